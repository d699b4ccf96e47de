"""Cohort mode: read a cohort file, classify every child, attach the benefit, and summarise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy.special import ndtri  # the normal quantile (scipy.stats.norm.ppf), without importing scipy.stats

from survtrial._repr import HtmlReprMixin
from survtrial.clinical.benefit import AbsoluteBenefit, absolute_benefit
from survtrial.clinical.classify import RiskClassification, classify_record
from survtrial.clinical.patient import FIELDS, validate_records
from survtrial.clinical.rules import RuleSet, load_rules
from survtrial.errors import InputError

__all__ = ["CATEGORIES", "CohortAssessment", "CohortSummary", "assess_cohort", "read_cohort"]

CATEGORIES = ("not eligible", "SR-Fav", "SR-Avg", "SR-High", "cannot classify")


def read_cohort(path: str | Path):
    """Read a cohort file (CSV or Parquet, one row per child) into a pandas DataFrame.

    Cells are read as text (CSV) so that labels such as ``CNS1`` keep their spelling; blank
    cells become missing. Validation happens in :func:`assess_cohort`.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError(f"cohort file {str(p)!r} not found")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if suffix in (".csv", ".txt", ".gz"):
            return pd.read_csv(p, dtype=str, keep_default_na=True, skipinitialspace=True)
    except (ValueError, OSError) as err:
        raise InputError(f"cohort file {str(p)!r} cannot be read: {err}") from None
    raise InputError(f"cohort file {str(p)!r}: unsupported type {suffix!r}; use .csv or .parquet")


@dataclass(frozen=True)
class CohortSummary(HtmlReprMixin):
    """Shares per group and the expected benefit for a cohort (shares are of all children)."""

    n: int
    counts: dict[str, int]
    share_eligible: float
    share_randomized: float
    benefit_per_100_treated: float
    benefit_per_100_treated_ci: tuple[float, float]
    benefit_per_100_children: float
    level: float

    def to_frame(self):
        """One row per category, then the totals, as a pandas DataFrame (measure, value)."""
        import pandas as pd

        rows = [(f"share {k}", self.counts[k] / self.n) for k in CATEGORIES]
        rows += [
            ("children", self.n),
            ("share eligible (NCI standard risk, not excluded)", self.share_eligible),
            ("share eligible for blinatumomab (randomized in AALL1731)", self.share_randomized),
            ("DFS events prevented at 3 years per 100 children treated", self.benefit_per_100_treated),
            (f"  lower {self.level:.0%} limit", self.benefit_per_100_treated_ci[0]),
            (f"  upper {self.level:.0%} limit", self.benefit_per_100_treated_ci[1]),
            ("DFS events prevented at 3 years per 100 children in the cohort", self.benefit_per_100_children),
        ]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def __repr__(self) -> str:
        shares = ", ".join(f"{k} {self.counts[k] / self.n:.1%}" for k in CATEGORIES if self.counts[k])
        return (
            f"CohortSummary(n={self.n}: {shares};\n  eligible for blinatumomab {self.share_randomized:.1%}, "
            f"{self.benefit_per_100_treated:.1f} DFS events prevented per 100 treated)"
        )


@dataclass(frozen=True)
class CohortAssessment(HtmlReprMixin):
    """Per-child classification and benefit for a cohort (see :func:`assess_cohort`)."""

    patients: tuple[dict[str, Any], ...]
    classifications: tuple[RiskClassification, ...]
    benefits: dict[str, AbsoluteBenefit]
    summary: CohortSummary

    def categories(self) -> list[str]:
        """Each child's category: one of ``CATEGORIES``."""
        return [category(c) for c in self.classifications]

    def to_frame(self):
        """The cohort's columns (validated values) plus eligible, risk_group, randomized, arms,
        summary, needs, rules and the benefit columns; one row per child, input order."""
        import pandas as pd

        rows = []
        for rec, c in zip(self.patients, self.classifications, strict=True):
            b = self.benefits.get(str(c.risk_group)) if c.randomized else None
            row = {k: rec[k] for k in FIELDS}
            row.update(
                eligible=c.eligible,
                risk_group=c.risk_group,
                randomized=c.randomized,
                arms=c.arms,
                classification=c.summary,
                needs="; ".join(c.needs),
                rules="; ".join(c.rule_keys),
                dfs3_chemo_pct=b.dfs_chemo if b else math.nan,
                dfs3_blina_pct=b.dfs_blina if b else math.nan,
                benefit_pct=b.difference if b else math.nan,
                benefit_lower=b.difference_ci[0] if b else math.nan,
                benefit_upper=b.difference_ci[1] if b else math.nan,
                nnt=b.nnt.estimate if b and b.nnt else math.nan,
                nnt_text=str(b.nnt) if b and b.nnt else _no_estimate(c),
            )
            rows.append(row)
        frame = pd.DataFrame(rows)
        for col in ("eligible", "randomized"):
            frame[col] = frame[col].astype("boolean")
        return frame

    def __repr__(self) -> str:
        return f"CohortAssessment({len(self.patients)} children)\n{self.summary!r}"


def category(c: RiskClassification) -> str:
    """Summary category of a classification: "not eligible", a risk group, or "cannot classify"
    (group open, or eligibility open)."""
    if c.eligible is False:
        return "not eligible"
    if c.risk_group is None or c.eligible is None:
        return "cannot classify"
    return c.risk_group


def _no_estimate(c: RiskClassification) -> str:
    if c.randomized is None:
        return "no estimate: " + c.summary
    return "no estimate: not randomized in AALL1731 (benefit not established)"


def assess_cohort(
    data: Any, *, rules: RuleSet | str | Path | None = None, level: float = 0.95, first_row: int = 1
) -> CohortAssessment:
    """Classify every child of a cohort and attach the AALL1731 absolute benefit of their group.

    Parameters
    ----------
    data : pandas or polars DataFrame, dict of columns, or path
        One row per child with the cohort-file columns (``patient_id``, ``age_years``,
        ``wbc_per_ul``, ``sex``, ``cytogenetics``, ``cns_status``, ``testicular``,
        ``day8_pb_mrd_pct``, ``eoi_bm_flow_mrd_pct``, ``eoi_hts_mrd``, ``eoc_bm_mrd_pct``); blank
        cells mean not known. A path is read with :func:`read_cohort`.
    rules : RuleSet or path, optional
        Classification rules (default: the package's ``rules.yaml``).
    level : float
        Confidence level of the benefit intervals.
    first_row : int
        Number of the first data row in error messages (1 = first row after the header).

    Returns
    -------
    CohortAssessment
        ``to_frame()`` for the per-child table and ``summary`` for the cohort figures.

    Notes
    -----
    The expected benefit per 100 children treated is the mean, over the children who would have
    been randomized, of their group's 3-year DFS difference (percentage points = DFS events
    prevented per 100 treated; most are relapses); its interval treats the published group
    estimates as independent: SE = sqrt(sum_g w_g^2 se_g^2) with w_g the group shares.

    Examples
    --------
    >>> from survtrial.clinical.population import synthetic_cohort
    >>> a = assess_cohort(synthetic_cohort(200, rng=3))
    >>> sum(a.summary.counts.values())
    200
    """
    if isinstance(data, (str, Path)):
        data = read_cohort(data)
    rs = rules if isinstance(rules, RuleSet) else load_rules(rules)
    records = validate_records(data, first_row=first_row)
    cls = tuple(classify_record(r, rs) for r in records)
    benefits = {g: absolute_benefit(g, level=level) for g in ("SR-Avg", "SR-High")}
    n = len(cls)
    counts = {k: 0 for k in CATEGORIES}
    for c in cls:
        counts[category(c)] += 1
    treated = {g: sum(1 for c in cls if c.randomized and c.risk_group == g) for g in benefits}
    n_treated = sum(treated.values())
    if n_treated:
        w = {g: treated[g] / n_treated for g in treated}
        mean = sum(w[g] * benefits[g].difference for g in w)
        se = math.sqrt(sum((w[g] * benefits[g].se_difference) ** 2 for g in w))
        z = ndtri(0.5 + level / 2)
        ci = (mean - z * se, mean + z * se)
    else:
        mean, ci = math.nan, (math.nan, math.nan)
    summary = CohortSummary(
        n=n,
        counts=counts,
        share_eligible=sum(1 for c in cls if c.eligible) / n,
        share_randomized=n_treated / n,
        benefit_per_100_treated=mean,
        benefit_per_100_treated_ci=ci,
        benefit_per_100_children=(mean * n_treated / n) if n_treated else 0.0,
        level=level,
    )
    return CohortAssessment(tuple(records), cls, benefits, summary)
