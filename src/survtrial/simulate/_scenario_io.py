"""Reading scenarios: packaged names or YAML files, with validation errors that name the bad key."""

from __future__ import annotations

import os
import types
import typing
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from survtrial._yaml import parse_yaml, read_text
from survtrial.errors import InputError

if TYPE_CHECKING:
    from survtrial.simulate.scenario import Scenario

__all__ = ["format_validation_error", "load_scenario", "packaged_scenarios", "scenario_from_dict"]

_PACKAGE = "survtrial.scenarios"


def packaged_scenarios() -> list[str]:
    """Names of the scenarios shipped with survtrial (``survtrial/scenarios/*.yaml``)."""
    root = resources.files(_PACKAGE)
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


def _read(name_or_path: str | os.PathLike[str]) -> tuple[str, str, str]:
    """Return (text, source description, default name)."""
    text_arg = os.fspath(name_or_path)
    path = Path(text_arg)
    looks_like_name = (
        isinstance(name_or_path, str) and not path.suffix and "/" not in text_arg and os.sep not in text_arg
    )
    if looks_like_name and not path.exists():
        names = packaged_scenarios()
        if text_arg not in names:
            raise InputError(
                f"unknown scenario {text_arg!r}; packaged scenarios: {', '.join(names) or 'none'} "
                f"(or give the path of a YAML file)"
            )
        text = resources.files(_PACKAGE).joinpath(f"{text_arg}.yaml").read_text(encoding="utf-8")
        return text, f"packaged scenario {text_arg!r}", text_arg
    if not path.is_file():
        raise InputError(f"scenario file not found: '{path}' (give an existing YAML file or a packaged name)")
    return read_text(path, "scenario file"), f"scenario file '{path}'", path.stem


def load_scenario(name_or_path: Any) -> Scenario:
    """Load and validate a scenario by packaged name (``"aall1731"``) or YAML path; calibrate it.

    Parameters
    ----------
    name_or_path : str, os.PathLike or Scenario
        A packaged scenario name (see :func:`packaged_scenarios`), the path of a YAML file, or a
        Scenario (returned as is).

    Returns
    -------
    Scenario
        Validated, with ``.calibrated`` already computed (calibration problems surface here).

    Raises
    ------
    InputError
        Unknown packaged name (the message lists the packaged ones), missing file, YAML syntax
        error (with line and column), or invalid content: one line per problem, each
        ``scenario key 'hazards.SR-Avg.blina': <what is wrong>; allowed: <...>``.

    Examples
    --------
    >>> sc = load_scenario("aall1731")
    >>> sc.arm_names, sc.stratum_names
    (['chemo', 'blina'], ['SR-Avg', 'SR-High'])
    """
    from survtrial.simulate.scenario import Scenario

    if isinstance(name_or_path, Scenario):
        return name_or_path
    text, source, default_name = _read(name_or_path)
    data = parse_yaml(text, source)
    if isinstance(data, dict) and "name" not in data:
        data = {"name": default_name, **data}
    scenario = scenario_from_dict(data, source=source)
    scenario.calibrated  # noqa: B018 - calibrate now so that infeasible targets fail at load time
    return scenario


def scenario_from_dict(data: Any, *, source: str = "scenario") -> Scenario:
    """Validate a mapping (e.g. parsed YAML) as a Scenario; InputError naming each bad key."""
    from survtrial.simulate.scenario import Scenario

    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping of scenario keys at the top level, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise InputError(format_validation_error(err, source)) from None


# --- validation messages -------------------------------------------------------------------------


def _unwrap(ann: Any) -> Any:
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann
            ann = args[0]
        else:
            return ann


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _tagged_member(ann: Any, item: Any) -> Any:
    """For a discriminated union, the member whose ``type`` tag equals ``item`` (else None)."""
    if typing.get_origin(ann) not in (typing.Union, types.UnionType):
        return None
    for member in typing.get_args(ann):
        member = _unwrap(member)
        field = member.model_fields.get("type") if _is_model(member) else None
        if field is not None and item in typing.get_args(field.annotation):
            return member
    return None


def _resolve(loc: tuple[Any, ...]) -> tuple[str, Any]:
    """Dotted key for a pydantic error location, and the (unwrapped) annotation found there."""
    from survtrial.simulate.scenario import Scenario

    ann: Any = Scenario
    key = ""
    for item in loc:
        ann = _unwrap(ann)
        member = _tagged_member(ann, item)
        if member is not None:  # discriminator tag inserted by pydantic: not part of the key
            ann = member
            continue
        if item == "[key]":
            key += " (key)"
            continue
        origin = typing.get_origin(ann)
        if _is_model(ann):
            field = ann.model_fields.get(str(item))
            ann = field.annotation if field is not None else None
        elif origin is dict:
            ann = typing.get_args(ann)[1]
        elif origin is list:
            ann = typing.get_args(ann)[0]
            key = f"{key}[{item}]"
            continue
        else:
            ann = None
        key = f"{key}.{item}" if key else str(item)
    return key, _unwrap(ann)


_BOUNDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}


def _message(e: dict[str, Any], owner: type[BaseModel] | None) -> str:
    kind, ctx, got = e["type"], e.get("ctx") or {}, e.get("input")
    allowed_keys = ", ".join(repr(k) for k in owner.model_fields) if owner is not None else ""
    if kind == "extra_forbidden":
        return f"unknown key; allowed keys: {allowed_keys}"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown type {ctx.get('tag')!r}; allowed: {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "missing 'type'; allowed: 'categorical', 'quantiles', 'constant'"
    if kind == "literal_error":
        return f"got {got!r}; allowed: {ctx.get('expected')}"
    if kind in _BOUNDS:
        sign, name = _BOUNDS[kind]
        return f"value {got!r} is out of range; allowed: {sign} {ctx.get(name)}"
    if kind in ("scenario", "scenario_references"):
        return e["msg"]
    msg = e["msg"].removeprefix("Value error, ")
    return f"{msg} (got {got!r})" if not isinstance(got, dict | list) else msg


def format_validation_error(err: ValidationError, source: str) -> str:
    """One line per problem: ``scenario key '<dotted.key>': <message>``."""
    lines = []
    for e in err.errors():
        if e["type"] == "scenario_references":
            lines += [f"scenario key '{k}': {m}" for k, m in e["ctx"]["problems"]]
            continue
        key, _ = _resolve(tuple(e["loc"]))
        _, parent = _resolve(tuple(e["loc"])[:-1])  # the model that refused an unknown key
        owner = parent if _is_model(parent) else None
        label = f"scenario key '{key}'" if key else "scenario"
        lines.append(f"{label}: {_message(e, owner)}")
    if len(lines) == 1:
        return f"{source}: {lines[0]}"
    return f"{source}: {len(lines)} problems\n" + "\n".join(f"  {line}" for line in lines)
