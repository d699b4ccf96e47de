"""AALL1731 risk classification of one child: eligibility, risk group, randomization, and an audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from survtrial.clinical.patient import validate_patient
from survtrial.clinical.rules import Rule, RuleSet, Stage, load_rules

__all__ = ["RiskClassification", "classify_patient", "classify_record"]


@dataclass(frozen=True)
class RiskClassification:
    """Result of :func:`classify_patient`.

    Attributes
    ----------
    patient_id : str or None
    eligible : bool or None
        NCI standard risk and not excluded; None when a blank value leaves it open.
    risk_group : str or None
        "SR-Fav", "SR-Avg" or "SR-High"; None when not eligible or not decided by the known values.
    randomized : bool or None
        Whether the child would have been randomized (A vs B, or C vs D); None when open.
    arms : str
        The randomization's arms when randomized, else "".
    needs : tuple of str
        Blank fields that keep the result open (empty when fully decided).
    rule_keys : tuple of str
        Keys (``stage.id``) of the rules that fired, in the order applied.
    rules : tuple of str
        Readable audit trail: each rule that fired or ruled a group out, with the values it used.
    """

    patient_id: str | None
    eligible: bool | None
    risk_group: str | None
    randomized: bool | None
    arms: str
    needs: tuple[str, ...]
    rule_keys: tuple[str, ...]
    rules: tuple[str, ...]

    @property
    def decided(self) -> bool:
        """True when no blank value keeps the result open."""
        return not self.needs

    @property
    def summary(self) -> str:
        """One line a clinician can read, e.g. ``"SR-Avg, randomized (A vs B)"``."""
        needs = ", ".join(self.needs)
        if self.eligible is False:
            why = [
                r.split(" [")[0]
                for r in self.rules
                if (r.startswith("eligibility.") and "-> false" in r)
                or (r.startswith("exclusions.") and "-> true" in r)
            ]
            return "not eligible: " + "; ".join(why)
        if self.risk_group is None:
            return f"cannot classify: needs {needs}"
        if self.eligible is None:
            return f"{self.risk_group} if eligible; cannot classify: needs {needs}"
        if self.randomized is None:
            return f"{self.risk_group}; randomization cannot be decided: needs {needs}"
        if self.randomized:
            return f"{self.risk_group}, randomized ({self.arms})"
        return f"{self.risk_group}, not randomized"

    def explain(self) -> str:
        """The summary followed by the audit trail, one rule per line."""
        return "\n".join([self.summary, *("  " + r for r in self.rules)])

    def __repr__(self) -> str:
        pid = f"patient_id={self.patient_id!r}, " if self.patient_id is not None else ""
        return f"RiskClassification({pid}{self.summary!r}, {len(self.rule_keys)} rule(s) fired)"


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return "blank" if v is None else str(v)


def _line(rule: Rule, truth: bool | None, rec: Mapping[str, Any]) -> str:
    used = ", ".join(f"{f}={_fmt(rec.get(f))}" for f in sorted(rule.expr.fields))
    word = {True: "true", False: "false", None: "unknown"}[truth]
    return f"{rule.key}: {rule.text} -> {word} ({used}) [{rule.status}]"


def _evaluate(stage: Stage, rec: Mapping[str, Any]) -> tuple[bool | None, frozenset[str], list]:
    results = [(r, *r.expr.evaluate(rec)) for r in stage.rules]
    if stage.combine == "rest":
        return True, frozenset(), results
    decisive = stage.combine == "any"
    if any(t is decisive for _, t, _ in results):
        return decisive, frozenset(), results
    unknown = [m for _, t, m in results if t is None]
    if unknown:
        return None, frozenset().union(*unknown), results
    return not decisive, frozenset(), results


def classify_record(rec: Mapping[str, Any], rules: RuleSet) -> RiskClassification:
    """Classify an already validated record (see :func:`survtrial.clinical.patient.validate_patient`)."""
    stages = list(rules.stages)
    trail: list[str] = []
    keys: list[str] = []
    needs: set[str] = set()

    def fired(results: list, truth: bool) -> None:
        for rule, t, _ in results:
            if t is truth:
                keys.append(rule.key)
                trail.append(_line(rule, t, rec))

    elig, exclusions, groups = stages[0], stages[1], stages[2:]
    e_t, e_m, e_res = _evaluate(elig, rec)
    x_t, x_m, x_res = _evaluate(exclusions, rec)
    eligible = _and(e_t, None if x_t is None else not x_t)
    if e_t is False:
        fired(e_res, False)
    elif e_t is True:
        fired(e_res, True)
    if x_t is True:
        fired(x_res, True)
    if eligible is False:
        return RiskClassification(rec.get("patient_id"), False, None, False, "", (), tuple(keys), tuple(trail))
    if eligible is None:
        needs |= e_m if e_t is None else set()
        needs |= x_m if x_t is None else set()
        for rule, t, _ in (*e_res, *x_res):
            if t is None:
                trail.append(_line(rule, t, rec))

    chosen: Stage | None = None
    open_before = False
    for stage in groups:
        t, m, res = _evaluate(stage, rec)
        if t is True:
            chosen = stage
            fired(res, True)
            break
        if t is None:
            open_before = True
            needs |= m
            trail.extend(_line(r, tt, rec) for r, tt, _ in res if tt is None)
        else:
            out = [r for r, tt, _ in res if tt is False] if stage.combine == "all" else []
            trail.append(
                f"not {stage.group}: "
                + ("; ".join(_line(r, False, rec) for r in out) if out else f"none of its {len(res)} rules applies")
            )
    group = chosen.group if chosen is not None and not open_before else None

    randomized: bool | None = None
    arms = ""
    if group is not None and chosen is not None:
        if chosen.randomized_if is not None:
            rif = chosen.randomized_if
            r_t, r_m = rif.expr.evaluate(rec)
            needs |= r_m
            if r_t:
                keys.append(rif.key)
            trail.append(_line(rif, r_t, rec))
            randomized = r_t
            arms = rif.arms
        else:
            randomized = bool(chosen.randomized)
            if chosen.note:
                trail.append(f"{chosen.name}: {chosen.note}")
        randomized = _and(eligible, randomized)
    return RiskClassification(
        patient_id=rec.get("patient_id"),
        eligible=eligible,
        risk_group=group,
        randomized=randomized,
        arms=arms if randomized else "",
        needs=tuple(sorted(needs)),
        rule_keys=tuple(keys),
        rules=tuple(trail),
    )


def classify_patient(
    record: Mapping[str, Any] | None = None,
    /,
    *,
    rules: RuleSet | str | Path | None = None,
    **values: Any,
) -> RiskClassification:
    """Assign one child to an AALL1731 risk group, saying whether they would have been randomized.

    Parameters
    ----------
    record : mapping, optional
        Field values (a dict, or a row of a cohort frame); keyword values override it.
    rules : RuleSet, path or None
        The rules to apply; default the package's ``clinical/rules.yaml``. A clinician's corrected
        copy of that file can be passed as a path.
    **values
        Cohort-file fields: ``age_years``, ``wbc_per_ul``, ``sex``, ``cytogenetics``,
        ``cns_status``, ``testicular``, ``day8_pb_mrd_pct``, ``eoi_bm_flow_mrd_pct``,
        ``eoi_hts_mrd``, ``eoc_bm_mrd_pct`` (and ``patient_id``). Omitted fields are blank.

    Returns
    -------
    RiskClassification
        ``eligible``, ``risk_group``, ``randomized``, ``needs`` (the blank fields keeping the
        result open) and ``rules`` (the audit trail).

    Notes
    -----
    Rules are applied in the order of the rules file: eligibility (NCI standard risk), exclusions,
    SR-High, SR-Fav, then SR-Avg for everyone left. Blank values make a rule *unknown*
    (three-valued Kleene logic): an "any of" stage fires as soon as one known rule is true and an
    "all of" stage fails as soon as one known rule is false, so a group fixed by the known values
    is given (KMT2A makes SR-High whatever else is blank), while a group that a blank could change
    is not: the result says "cannot classify: needs ...". Nothing is guessed or imputed.

    References
    ----------
    Gupta S, Rau RE, Kairalla JA, et al. Blinatumomab in standard-risk B-cell acute lymphoblastic
    leukemia in children. N Engl J Med 2025;392:875-891.

    Examples
    --------
    >>> r = classify_patient(age_years=4, wbc_per_ul=12000, cytogenetics="KMT2A")
    >>> r.risk_group, r.randomized, r.needs
    ('SR-High', None, ('cns_status', 'eoc_bm_mrd_pct', 'testicular'))
    >>> print(classify_patient(age_years=10, wbc_per_ul=5000).summary)  # doctest: +NORMALIZE_WHITESPACE
    not eligible: eligibility.nci_standard_risk: 1 <= age_years < 10 and wbc_per_ul < 50000
        -> false (age_years=10, wbc_per_ul=5000)
    """
    rs = rules if isinstance(rules, RuleSet) else load_rules(rules)
    return classify_record(validate_patient(record, **values), rs)
