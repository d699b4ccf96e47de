"""Reading twins: packaged names or YAML files, with validation errors that name the bad key."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from survtrial._yaml import parse_yaml, read_text
from survtrial.errors import InputError

if TYPE_CHECKING:
    from survtrial.workflows.twin_spec import TwinSpec

__all__ = ["load_twin", "packaged_twins", "twin_from_dict"]

_PACKAGE = "survtrial.twins"


def _names(values: Any) -> str:
    return ", ".join(repr(str(v)) for v in values)


def packaged_twins() -> list[str]:
    """Names of the twins shipped with survtrial (``survtrial/twins/*.yaml``)."""
    root = resources.files(_PACKAGE)
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


def _read(name_or_path: str | os.PathLike[str]) -> tuple[str, str, Path | None]:
    """(text, source description, directory of the file or None for a packaged twin)."""
    arg = os.fspath(name_or_path)
    path = Path(arg)
    looks_like_name = isinstance(name_or_path, str) and not path.suffix and "/" not in arg and os.sep not in arg
    if looks_like_name and not path.exists():
        names = packaged_twins()
        if arg not in names:
            raise InputError(f"unknown twin {arg!r}; packaged twins: {_names(names) or 'none'} "
                             f"(or give the path of a twin YAML file)")
        text = resources.files(_PACKAGE).joinpath(f"{arg}.yaml").read_text(encoding="utf-8")
        return text, f"packaged twin {arg!r}", None
    if not path.is_file():
        raise InputError(f"twin file not found: '{path}' (give an existing YAML file or a packaged name)")
    return read_text(path, "twin file"), f"twin file '{path}'", path.absolute().parent


def load_twin(name_or_path: Any) -> TwinSpec:
    """Load and validate a twin by packaged name (``packaged_twins()``) or YAML path.

    Parameters
    ----------
    name_or_path : str, os.PathLike or TwinSpec
        A packaged twin name, the path of a twin YAML file, or a TwinSpec (returned as is).

    Returns
    -------
    TwinSpec
        Validated; a relative ``scenario`` path is read relative to the twin file's directory.

    Raises
    ------
    InputError
        Unknown packaged name (the message lists the packaged ones), missing file, YAML syntax
        error (with line and column), or invalid content: one line per problem, each
        ``twin key '<dotted.key>': <what is wrong>; <what is allowed>``. Unknown keys and
        headlines that point nowhere (an arm, endpoint, stratification or toxicity column the twin
        does not have) are refused.

    Examples
    --------
    >>> tw = load_twin("aall1731")
    >>> tw.arms.names, tw.primary_endpoint, tw.headlines["hr"].kind
    (('chemo', 'blina'), 'DFS', 'hazard_ratio')
    """
    from survtrial.workflows.twin_spec import TwinSpec

    if isinstance(name_or_path, TwinSpec):
        return name_or_path
    text, source, base = _read(name_or_path)
    data = parse_yaml(text, source)
    if isinstance(data, dict) and "hazards" in data and "headlines" not in data:
        raise InputError(f"{source} is a scenario, not a twin: run a twin with it, "
                         f"e.g. `survtrial reproduce TWIN --scenario {name_or_path}`")
    twin = twin_from_dict(data, source=source)
    twin._base = base
    return twin


def twin_from_dict(data: Any, *, source: str = "twin") -> TwinSpec:
    """Validate a mapping (e.g. parsed YAML) as a TwinSpec; InputError naming each bad key."""
    from survtrial.workflows.twin_spec import TwinSpec

    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping of twin keys at the top level, got {type(data).__name__}")
    try:
        return TwinSpec.model_validate(data)
    except ValidationError as err:
        raise InputError(_format(err, source)) from None


def _owner(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model whose field ``loc[-1]`` is (for 'allowed keys' lists)."""
    from survtrial.workflows.twin_spec import (
        Arms,
        DerivedColumn,
        Endpoint,
        Headline,
        InterimAnalysisPlan,
        PublishedValue,
        RmstHorizon,
        TwinAnalysis,
        TwinSpec,
    )

    models: dict[str, type[BaseModel]] = {
        "": TwinSpec, "arms": Arms, "analysis": TwinAnalysis, "interim_analysis": InterimAnalysisPlan,
        "analysis.rmst": RmstHorizon,
    }
    parent = [str(x) for x in loc[:-1]]
    if len(parent) == 2 and parent[0] == "headlines":
        return Headline
    if len(parent) == 3 and parent[0] == "headlines" and parent[2] == "published":
        return PublishedValue
    if len(parent) == 2 and parent[0] == "endpoints":
        return Endpoint
    if len(parent) == 3 and parent[:2] == ["analysis", "derived_columns"]:
        return DerivedColumn
    return models.get(".".join(parent))


def _key(loc: tuple[Any, ...]) -> str:
    key = ""
    for item in loc:
        key = f"{key}[{item}]" if isinstance(item, int) else (f"{key}.{item}" if key else str(item))
    return key


def _message(e: dict[str, Any]) -> str:
    kind, ctx, got = e["type"], e.get("ctx") or {}, e.get("input")
    if kind == "extra_forbidden":
        owner = _owner(tuple(e["loc"]))
        allowed = _names(owner.model_fields) if owner is not None else "see the documentation"
        return f"unknown key; allowed keys: {allowed}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"got {got!r}; allowed: {ctx.get('expected')}"
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "")
        return f"value {got!r} is out of range; allowed: {sign} {bound}"
    if kind == "twin":
        return e["msg"]
    msg = e["msg"].removeprefix("Value error, ")
    return f"{msg} (got {got!r})" if not isinstance(got, dict | list) else msg


def _format(err: ValidationError, source: str) -> str:
    """One line per problem: ``twin key '<dotted.key>': <message>``."""
    lines = []
    for e in err.errors():
        if e["type"] == "twin_references":
            lines += [f"twin key '{k}': {m}" for k, m in e["ctx"]["problems"]]
            continue
        key = _key(tuple(e["loc"]))
        lines.append(f"twin key '{key}': {_message(e)}" if key else f"twin: {_message(e)}")
    if len(lines) == 1:
        return f"{source}: {lines[0]}"
    return f"{source}: {len(lines)} problems\n" + "\n".join(f"  {line}" for line in lines)
