"""Cross-reference checks of a scenario: arms, strata, event types and covariates named consistently."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from survtrial.simulate.scenario import Scenario

__all__ = ["RESERVED_COLUMNS", "covariate_order", "cross_reference_problems"]

RESERVED_COLUMNS = frozenset(
    {
        "patient_id", "arm", "arm_code", "risk_group", "enrol_time", "enrol_date",
        "dfs_time", "dfs_event", "dfs_event_type", "os_time", "os_event",
    }
)  # fmt: skip
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _fmt(names: Any) -> str:
    return ", ".join(repr(str(n)) for n in names)


def _same_keys(key: str, given: Any, expected: list[str], what: str) -> list[tuple[str, str]]:
    """Problems when the keys of mapping ``given`` (at ``key``) differ from ``expected``."""
    out = []
    for k in given:
        if k not in expected:
            out.append((f"{key}.{k}", f"unknown {what}; allowed: {_fmt(expected)}"))
    missing = [k for k in expected if k not in given]
    if missing:
        out.append((key, f"missing {what}(s) {_fmt(missing)}; every {what} needs an entry ({_fmt(expected)})"))
    return out


def _arm_problems(sc: Scenario, arms: list[str]) -> list[tuple[str, str]]:
    out = _same_keys("randomization.ratio", sc.randomization.ratio, arms, "arm")
    sizes = {a: arm.n for a, arm in sc.arms.items()}
    fixed = [a for a, n in sizes.items() if n is not None]
    if fixed and len(fixed) != len(arms):
        out.append(("arms", f"'n' given for {_fmt(fixed)} only; give it for every arm or for none"))
    elif fixed:
        total = sum(sizes.values())
        if sc.accrual.n is not None and sc.accrual.n != total:
            out.append(
                ("accrual.n", f"{sc.accrual.n} differs from the sum of the arms' n ({total}); make them agree")
            )
    elif sc.accrual.n is None and sc.accrual.duration_years is not None:
        out.append(("accrual.n", "uniform accrual over 'duration_years' needs 'n' (or 'n' on every arm)"))
    for s, stratum in sc.strata.items():
        if stratum.arm_codes is not None:
            out += _same_keys(f"strata.{s}.arm_codes", stratum.arm_codes, arms, "arm")
    return out


def _hazard_problems(sc: Scenario, arms: list[str], strata: list[str]) -> list[tuple[str, str]]:
    out = _same_keys("hazards", sc.hazards, strata, "stratum")
    for s, per_arm in sc.hazards.items():
        if s in strata:
            out += _same_keys(f"hazards.{s}", per_arm, arms, "arm")
        for a, spec in per_arm.items():
            ratio = spec.hazard_ratio
            if ratio is None or a not in arms:
                continue
            key = f"hazards.{s}.{a}.hazard_ratio.reference"
            ref = ratio.reference or arms[0]
            if ref not in arms:
                out.append((key, f"unknown arm {ref!r}; allowed: {_fmt(x for x in arms if x != a)}"))
            elif ref == a:
                hint = "" if ratio.reference else " (the default reference is the first arm)"
                out.append((key, f"arm {a!r} cannot be its own reference{hint}; name another arm"))
            elif ref in per_arm and per_arm[ref].hazard_ratio is not None:
                out.append((key, f"the reference arm {ref!r} is itself given by a hazard ratio; "
                                 "refer to an arm with its own hazard (targets or rates)"))
    return out


def _event_problems(sc: Scenario, arms: list[str]) -> list[tuple[str, str]]:
    ce = sc.competing_events
    types = list(ce.types)
    out = _same_keys("competing_events.by_arm", ce.by_arm, arms, "arm")
    for a, spec in ce.by_arm.items():
        key = f"competing_events.by_arm.{a}"
        for name, mapping in (("shares", spec.shares), ("weights", spec.weights)):
            for t in mapping or {}:
                if t not in types:
                    out.append((f"{key}.{name}.{t}", f"unknown event type; allowed: {_fmt(types)}"))
        previous: set[str] = set()
        for i, target in enumerate(sorted(spec.cif_targets or [], key=lambda x: len(set(x.types)))):
            bad = [t for t in target.types if t not in types]
            if bad:
                out.append((f"{key}.cif_targets", f"unknown event type(s) {_fmt(bad)}; allowed: {_fmt(types)}"))
            current = set(target.types)
            if i and not (previous < current):
                nested = "the type sets must be nested (each adds types to the previous one)"
                out.append((f"{key}.cif_targets", f"{nested}, got {sorted(previous)} then {sorted(current)}"))
            previous = current
    prd = sc.post_relapse_death
    if prd is not None:
        for t in prd.applies_to:
            if t not in types:
                out.append(("post_relapse_death.applies_to", f"unknown event type {t!r}; allowed: {_fmt(types)}"))
            elif ce.types[t].fatal:
                out.append(("post_relapse_death.applies_to", f"event type {t!r} is already fatal"))
        per_arm = prd.rates if prd.rates is not None else prd.os_targets
        out += _same_keys(
            "post_relapse_death." + ("rates" if prd.rates is not None else "os_targets"), per_arm, arms, "arm"
        )
    for name, spec in sc.toxicity.items():
        if not _IDENT.fullmatch(name):
            out.append((f"toxicity.{name}", "toxicity names become columns 'tox_<name>': use letters, digits, _"))
        by_stratum = getattr(spec, "by_stratum", None)
        if by_stratum is None:
            out += _same_keys(f"toxicity.{name}", spec, arms, "arm")
            continue
        strata = list(sc.strata)
        out += _same_keys(f"toxicity.{name}.by_stratum", by_stratum, strata, "stratum")
        for s, per_arm in by_stratum.items():
            if s in strata:
                out += _same_keys(f"toxicity.{name}.by_stratum.{s}", per_arm, arms, "arm")
    return out


def covariate_order(covariates: dict[str, Any]) -> list[str]:
    """Covariate names with every parent (``by``) before its children; file order otherwise.

    Raises ValueError naming the covariates on a cycle.
    """
    order: list[str] = []
    pending = list(covariates)
    while pending:
        ready = [k for k in pending if getattr(covariates[k], "by", None) in (None, "risk_group", *order)]
        if not ready:
            raise ValueError(f"covariates {_fmt(pending)} depend on each other in a cycle (or on an unknown parent)")
        order += ready
        pending = [k for k in pending if k not in ready]
    return order


def _covariate_problems(sc: Scenario, strata: list[str]) -> list[tuple[str, str]]:
    out = []
    levels: dict[str, list[str]] = {"risk_group": strata}
    levels.update({k: c.all_levels() for k, c in sc.covariates.items() if c.type == "categorical"})
    for name, cov in sc.covariates.items():
        key = f"covariates.{name}"
        if name in RESERVED_COLUMNS or name.startswith("tox_"):
            reserved = _fmt(sorted(RESERVED_COLUMNS))
            out.append((key, f"name clashes with a simulated column; reserved: {reserved}, tox_*"))
        if not _IDENT.fullmatch(name):
            out.append((key, "covariate names become columns: use letters, digits and _"))
        parent = getattr(cov, "by", None)
        if parent is None:
            continue
        if parent not in levels or parent == name:
            allowed = [k for k in levels if k != name]
            out.append((f"{key}.by",
                        f"unknown parent {parent!r}; allowed: {_fmt(allowed)} (risk_group or a categorical covariate)"))
            continue
        given = cov.levels_by if cov.type == "categorical" else cov.quantiles_by
        field = "levels_by" if cov.type == "categorical" else "quantiles_by"
        out += _same_keys(f"{key}.{field}", given, levels[parent], f"level of {parent}")
    if not out:
        try:
            covariate_order(dict(sc.covariates))
        except ValueError as err:
            out.append(("covariates", str(err)))
    return out


def _named_values(sc: Scenario) -> list[tuple[str, str]]:
    """(key, parameter name) of every parameter named in a hazard shape or hazard-ratio profile."""
    out = []
    shapes = [("hazard_shape.relative", sc.hazard_shape)]
    for s, per_arm in sc.hazards.items():
        for a, spec in per_arm.items():
            shapes.append((f"hazards.{s}.{a}.shape.relative", spec.shape))
            if spec.hazard_ratio is not None:
                shapes.append((f"hazards.{s}.{a}.hazard_ratio.values", spec.hazard_ratio))
    for key, obj in shapes:
        values = getattr(obj, "relative", None) or getattr(obj, "values", None) or []
        out += [(key, v) for v in values if isinstance(v, str) and v != "fit"]
    return out


def _curve_problems(sc: Scenario, arms: list[str]) -> list[tuple[str, str]]:
    out = []
    declared = list(sc.parameters)
    used = _named_values(sc)
    for key, name in used:
        if name not in declared:
            out.append((key, f"unknown parameter {name!r}; declared in 'parameters': {_fmt(declared) or 'none'}"))
    for name in declared:
        if name not in {n for _, n in used}:
            out.append((f"parameters.{name}", "declared but used nowhere; name it in a hazard_shape.relative or "
                                              "hazard_ratio.values, or remove it"))
    ct = sc.curve_targets
    n_targets = 0 if ct is None else ct.count
    if len(declared) > n_targets:
        out.append(("parameters", f"{len(declared)} parameter(s) {_fmt(declared)} but {n_targets} curve target(s) "
                                  "to solve them from; add curve_targets or fix parameters as numbers"))
    for name, target in ((("hazard_ratio", ct.hazard_ratio), ("rmst_difference", ct.rmst_difference))
                         if ct is not None else ()):
        if target is None:
            continue
        for field in ("arm", "reference"):
            arm = getattr(target, field)
            if arm is not None and arm not in arms:
                out.append((f"curve_targets.{name}.{field}", f"unknown arm {arm!r}; allowed: {_fmt(arms)}"))
        for arm in getattr(target, "horizon_from_mean_days", None) or {}:
            if arm not in arms:
                out.append((f"curve_targets.{name}.horizon_from_mean_days", f"unknown arm {arm!r}; allowed: "
                                                                            f"{_fmt(arms)}"))
    for i, target in enumerate(ct.survival if ct is not None else []):
        if target.arm not in arms:
            out.append((f"curve_targets.survival[{i}].arm", f"unknown arm {target.arm!r}; allowed: {_fmt(arms)}"))
        if target.stratum is not None and target.stratum not in sc.strata:
            out.append((f"curve_targets.survival[{i}].stratum",
                        f"unknown stratum {target.stratum!r}; allowed: {_fmt(sc.strata)}"))
    if ct is not None and sc.data_cut.events is not None:
        out.append(("curve_targets", "curve targets need a data cut in calendar time (calendar_date, "
                                     "years_from_start or median_follow_up_years), not an event count"))
    at_risk = sc.accrual.from_numbers_at_risk
    if at_risk is not None:
        out += _same_keys("accrual.from_numbers_at_risk.at_risk", at_risk.at_risk, arms, "arm")
        if at_risk.years[0] != 0:  # absolute counts (from year 0 they give the accrual's shape, scaled to n)
            for arm, counts in at_risk.at_risk.items():
                n_arm = sc.arms[arm].n if arm in sc.arms else None
                if n_arm is not None and counts and counts[0] > n_arm:
                    out.append((f"accrual.from_numbers_at_risk.at_risk.{arm}",
                                f"{counts[0]:g} at risk at year {at_risk.years[0]:g} exceeds the arm's {n_arm} "
                                f"patients (arms.{arm}.n); numbers at risk cannot exceed the patients randomized"))
            first = sum(c[0] for c in at_risk.at_risk.values() if c)
            if sc.accrual.n is not None and first > sc.accrual.n:
                out.append(("accrual.from_numbers_at_risk.at_risk",
                            f"{first:g} at risk at year {at_risk.years[0]:g} (all arms) exceeds the "
                            f"{sc.accrual.n} patients randomized (accrual.n)"))
        if sc.data_cut.calendar_date is None:
            out.append(("data_cut", "accrual from numbers at risk is solved up to the data cut: give "
                                    "data_cut.calendar_date"))
        n_fixed = sc.accrual.n or (sum(a.n for a in sc.arms.values()) if all(a.n for a in sc.arms.values()) else None)
        if n_fixed is None and at_risk.years[0] != 0:
            out.append(("accrual.n", "give the patients randomized (accrual.n), or the numbers at risk at year 0"))
    return out


def cross_reference_problems(sc: Scenario) -> list[tuple[str, str]]:
    """All (key, message) problems with names referenced across the scenario; empty when consistent."""
    arms, strata = list(sc.arms), list(sc.strata)
    out = _arm_problems(sc, arms) + _hazard_problems(sc, arms, strata)
    out += _event_problems(sc, arms) + _covariate_problems(sc, strata) + _curve_problems(sc, arms)
    cut = sc.data_cut.calendar_date
    if cut is not None and cut <= sc.accrual.start_date:
        out.append(("data_cut.calendar_date", f"{cut} is not after accrual.start_date {sc.accrual.start_date}"))
    return out
