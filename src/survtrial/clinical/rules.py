"""Loading the AALL1731 risk rules (rules.yaml) into compiled, checked stages."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from survtrial._yaml import read_yaml
from survtrial.clinical._expr import Classes, Expr, compile_rule
from survtrial.clinical.patient import FIELDS
from survtrial.errors import InputError

__all__ = ["DEFAULT_RULES", "Rule", "RuleSet", "Stage", "load_rules"]

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")
_STAGE_KEYS = {"title", "status", "group", "any_of", "all_of", "randomized_if", "randomized", "rule", "note"}


@dataclass(frozen=True)
class Rule:
    """One rule: ``stage.id``, its compiled expression, status and source note."""

    stage: str
    id: str
    expr: Expr
    status: str
    source: str
    arms: str = ""

    @property
    def key(self) -> str:
        return f"{self.stage}.{self.id}"

    @property
    def text(self) -> str:
        return self.expr.source


@dataclass(frozen=True)
class Stage:
    """A step of the assignment: eligibility gate, exclusions, or a risk group."""

    name: str
    kind: str  # "eligibility" | "exclusion" | "group"
    combine: str  # "all" | "any" | "rest" (the group of everyone left)
    rules: tuple[Rule, ...]
    title: str
    status: str
    group: str | None = None
    randomized_if: Rule | None = None
    randomized: bool | None = None  # fixed randomization flag when there is no randomized_if
    note: str = ""


@dataclass(frozen=True)
class RuleSet:
    """The compiled rules, in the order they are applied."""

    stages: tuple[Stage, ...]
    path: str
    missing_values: str
    classes: Classes = dataclasses.field(default_factory=dict)  # field -> class name -> labels

    def stage(self, name: str) -> Stage:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(s.group for s in self.stages if s.kind == "group" and s.group)

    def __repr__(self) -> str:
        n = sum(len(s.rules) for s in self.stages)
        return f"RuleSet({n} rules; order {[s.name for s in self.stages]}; from {self.path})"


def _classes(cr: Mapping[str, Any], path: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """``<field>_classes`` mappings: class name -> list of labels, or a sentence meaning every other
    known label of the field (its blank labels, such as 'unknown', belong to no class)."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for key, spec in cr.items():
        if not key.endswith("_classes"):
            continue
        name = key.removesuffix("_classes")
        where = f"{path}: classification_rules.{key}"
        field = FIELDS.get(name)
        if field is None or field.kind != "label":
            labelled = sorted(f for f, s in FIELDS.items() if s.kind == "label")
            raise InputError(f"{where}: {name!r} is not a labelled field; classes can group labels of {labelled}")
        if not isinstance(spec, Mapping) or not spec:
            raise InputError(f"{where}: expected a mapping of class name -> list of labels")
        listed: dict[str, tuple[str, ...]] = {}
        rest: list[str] = []
        for cls, labels in spec.items():
            if isinstance(labels, str):
                rest.append(str(cls))
                continue
            if not isinstance(labels, list) or not labels:
                raise InputError(f"{where}.{cls}: expected a non-empty list of labels (or a sentence for 'the rest')")
            bad = [lab for lab in labels if lab not in field.labels or lab in field.blank_labels]
            if bad:
                known = [x for x in field.labels if x not in field.blank_labels]
                raise InputError(f"{where}.{cls}: {bad} not values of field {name!r}; accepted: {known}")
            listed[str(cls)] = tuple(str(x) for x in labels)
        if len(rest) > 1:
            raise InputError(f"{where}: only one class may be 'every other label' (found {rest})")
        taken = {lab for labels in listed.values() for lab in labels}
        for cls in rest:
            listed[cls] = tuple(x for x in field.labels if x not in taken and x not in field.blank_labels)
        out[name] = listed
    return out


def _rule(stage: str, rid: str, entry: Any, where: str, default_status: str, classes: Classes) -> Rule:
    if isinstance(entry, str):
        entry = {"rule": entry}
    if not isinstance(entry, Mapping) or "rule" not in entry:
        raise InputError(f"{where}: expected a mapping with a 'rule' string, got {entry!r}")
    try:
        expr = compile_rule(entry["rule"], FIELDS, classes)
    except InputError as err:
        raise InputError(f"{where}: {err}") from None
    return Rule(
        stage=stage,
        id=str(entry.get("id", rid)),
        expr=expr,
        status=str(entry.get("status", default_status)),
        source=str(entry.get("source", "")),
        arms=str(entry.get("arms", "")),
    )


def _stage(name: str, spec: Any, path: str, classes: Classes) -> Stage:
    where = f"{path}: classification_rules.{name}"
    if not isinstance(spec, Mapping):
        raise InputError(f"{where}: expected a mapping")
    status = str(spec.get("status", ""))
    kind = {"eligibility": "eligibility", "exclusions": "exclusion"}.get(name, "group")
    if "any_of" in spec and "all_of" in spec:
        raise InputError(f"{where}: give any_of or all_of, not both")
    if "any_of" in spec or "all_of" in spec:
        combine = "any" if "any_of" in spec else "all"
        entries = spec["any_of" if combine == "any" else "all_of"]
        if not isinstance(entries, list) or not entries:
            raise InputError(f"{where}.{combine}_of: expected a non-empty list of rules")
        rules = tuple(
            _rule(name, f"rule{i + 1}", e, f"{where}.{combine}_of[{i}]", status, classes)
            for i, e in enumerate(entries)
        )
    else:
        named = {k: v for k, v in spec.items() if k not in _STAGE_KEYS}
        combine = "all" if named else "rest"
        rules = tuple(_rule(name, k, v, f"{where}.{k}", status, classes) for k, v in named.items())
    if kind != "group" and combine == "rest":
        raise InputError(f"{where}: needs at least one rule")
    if kind == "group" and not spec.get("group"):
        raise InputError(f"{where}: a risk-group stage needs 'group: <label>' (e.g. SR-High)")
    rif = spec.get("randomized_if")
    return Stage(
        name=name,
        kind=kind,
        combine=combine,
        rules=rules,
        title=str(spec.get("title", name)),
        status=status,
        group=spec.get("group"),
        randomized_if=None
        if rif is None
        else _rule(name, "randomized_if", rif, f"{where}.randomized_if", status, classes),
        randomized=spec.get("randomized"),
        note=str(spec.get("note", "")),
    )


@functools.lru_cache(maxsize=8)
def _load(path: str) -> RuleSet:
    doc = read_yaml(path, "rules file")
    cr = (doc or {}).get("classification_rules") if isinstance(doc, Mapping) else None
    if not isinstance(cr, Mapping) or "order" not in cr:
        raise InputError(f"{path}: expected a 'classification_rules' mapping with an 'order' list")
    order = cr["order"]
    absent = [s for s in order if s not in cr]
    if absent:
        raise InputError(f"{path}: stage(s) {absent} listed in 'order' but not defined")
    classes = _classes(cr, path)
    stages = tuple(_stage(name, cr[name], path, classes) for name in order)
    kinds = [s.kind for s in stages]
    if kinds[:2] != ["eligibility", "exclusion"] or "group" not in kinds[2:]:
        raise InputError(f"{path}: order must start with eligibility, exclusions, then the risk groups")
    rest = [s.name for s in stages if s.combine == "rest"]
    if len(rest) > 1 or (rest and stages[-1].name != rest[0]):
        raise InputError(f"{path}: only the last risk group may be 'everyone else' (found {rest})")
    return RuleSet(
        stages=stages, path=str(path), missing_values=str(cr.get("missing_values", "")), classes=classes
    )


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load and compile a rules file (default: the package's ``rules.yaml``).

    Every rule string is parsed and type-checked against the cohort fields, so a misspelt field,
    an unknown label or a malformed expression is reported with the rule's key when loading.

    Examples
    --------
    >>> rules = load_rules()
    >>> [s.name for s in rules.stages]
    ['eligibility', 'exclusions', 'sr_high', 'sr_fav', 'sr_avg']
    """
    return _load(str(Path(path) if path is not None else DEFAULT_RULES))
