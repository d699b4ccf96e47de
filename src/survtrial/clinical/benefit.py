"""Absolute benefit of adding blinatumomab: 3-year DFS per arm, difference, NNT and HR from AALL1731."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import ndtri  # the normal quantile (scipy.stats.norm.ppf), without importing scipy.stats

from survtrial._repr import HtmlReprMixin
from survtrial._yaml import read_yaml
from survtrial.clinical.classify import RiskClassification, classify_patient
from survtrial.clinical.nnt import NumberNeededToTreat, number_needed_to_treat
from survtrial.errors import InputError

__all__ = ["GROUPS", "AbsoluteBenefit", "absolute_benefit", "load_published"]

PUBLISHED = Path(__file__).with_name("published.yaml")
GROUPS = ("all", "SR-Avg", "SR-High", "SR-Fav")
_NOT_RANDOMIZED = (
    "not randomized in AALL1731: no estimate, benefit of blinatumomab not established for this group"
)


@functools.lru_cache(maxsize=1)
def load_published() -> dict[str, Any]:
    """The published AALL1731 figures shipped with the package (``clinical/published.yaml``)."""
    return read_yaml(PUBLISHED, "published figures file")


@dataclass(frozen=True)
class AbsoluteBenefit(HtmlReprMixin):
    """3-year DFS with chemotherapy alone and with blinatumomab added, for a group or a child.

    Percent values are on a 0-100 scale; ``difference`` is blinatumomab minus chemotherapy in
    percentage points (positive = benefit). When ``established`` is False the numbers are NaN and
    ``reason`` says why (e.g. SR-Fav children were not randomized).
    """

    risk_group: str
    established: bool
    reason: str
    method: str
    level: float
    horizon_years: float = 3.0
    dfs_chemo: float = math.nan
    se_chemo: float = math.nan
    dfs_blina: float = math.nan
    se_blina: float = math.nan
    difference: float = math.nan
    se_difference: float = math.nan
    difference_ci: tuple[float, float] = (math.nan, math.nan)
    nnt: NumberNeededToTreat | None = None
    relative_reduction: float = math.nan
    hr: float = math.nan
    hr_ci: tuple[float, float] = (math.nan, math.nan)
    hr_source: str = ""
    probability_benefit: float = math.nan
    classification: RiskClassification | None = field(default=None, repr=False)

    def confidence_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Wald interval for the DFS difference at ``level``, from the published SEs."""
        _check_level(level)
        z = ndtri(0.5 + level / 2)
        return (self.difference - z * self.se_difference, self.difference + z * self.se_difference)

    def to_frame(self):
        """One-row pandas DataFrame with every estimate (NNT bounds signed: + benefit, - harm)."""
        import pandas as pd

        nnt = self.nnt
        return pd.DataFrame(
            [
                {
                    "risk_group": self.risk_group,
                    "established": self.established,
                    "reason": self.reason,
                    "method": self.method,
                    "level": self.level,
                    "dfs3_chemo_pct": self.dfs_chemo,
                    "dfs3_blina_pct": self.dfs_blina,
                    "difference_pct": self.difference,
                    "difference_lower": self.difference_ci[0],
                    "difference_upper": self.difference_ci[1],
                    "nnt": nnt.estimate if nnt else math.nan,
                    "nnt_text": str(nnt) if nnt else "",
                    "relative_reduction": self.relative_reduction,
                    "hr": self.hr,
                    "hr_lower": self.hr_ci[0],
                    "hr_upper": self.hr_ci[1],
                    "hr_source": self.hr_source,
                    "probability_benefit": self.probability_benefit,
                }
            ]
        )

    def __repr__(self) -> str:
        if not self.established:
            return f"AbsoluteBenefit({self.risk_group}: {self.reason})"
        pct = f"{self.level:.0%}"
        lo, hi = self.difference_ci
        return (
            f"AbsoluteBenefit({self.risk_group}, {self.horizon_years:g}-year DFS "
            f"{self.dfs_chemo:.1f}% -> {self.dfs_blina:.1f}%,\n"
            f"  difference {self.difference:+.1f} points ({pct} CI {lo:.1f} to {hi:.1f}), {self.nnt},\n"
            f"  HR {self.hr:.2f} ({self.hr_ci[0]:.2f}-{self.hr_ci[1]:.2f}; {self.hr_source}), method={self.method})"
        )


def _check_level(level: float) -> None:
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise InputError(f"level={level!r}: must be a probability strictly between 0 and 1, e.g. 0.95")


def _group_name(risk_group: str | None) -> str:
    if risk_group is None:
        return "all"
    key = str(risk_group).strip().lower().replace("_", "-")
    for g in GROUPS:
        if g.lower() == key:
            return g
    raise InputError(f"risk_group={risk_group!r}: unknown; use one of {list(GROUPS)} ('all' = all randomized)")


def _figures(group: str) -> tuple[dict, dict]:
    res = load_published()["results_first_interim"]
    src = res["dfs_3y"] if group == "all" else res["dfs_3y_by_risk"][group]
    return src["chemo"], src["blina"]


def _cloglog(s: np.ndarray | float) -> Any:
    return np.log(-np.log(s))


def absolute_benefit(
    risk_group: str | None = None,
    *,
    patient: Mapping[str, Any] | RiskClassification | None = None,
    level: float = 0.95,
    method: str = "normal",
    n_draws: int = 20000,
    rng: int | np.random.Generator | None = None,
) -> AbsoluteBenefit:
    """Absolute and relative benefit of adding blinatumomab, from the AALL1731 published figures.

    Parameters
    ----------
    risk_group : {"all", "SR-Avg", "SR-High", "SR-Fav"} or None
        Group of randomized children; None or "all" = all randomized (the headline result).
    patient : mapping or RiskClassification, optional
        A child's values (cohort-file fields) or an existing classification; the group is then
        taken from :func:`~survtrial.clinical.classify.classify_patient`. Children who would not
        have been randomized (SR-Fav, SR-Avg with undetectable HTS MRD, SR-High with
        end-of-consolidation MRD >= 0.1%, not eligible) or cannot be classified get no estimate.
    level : float
        Confidence level of the intervals.
    method : {"normal", "bootstrap"}
        "normal": Wald intervals from the published SEs. "bootstrap": parametric bootstrap
        (an approximate posterior under flat priors) drawing each arm's 3-year DFS on the
        complementary log-log scale; percentile intervals and P(difference > 0).
    n_draws : int
        Bootstrap draws (``method="bootstrap"``).
    rng : int or numpy.random.Generator, optional
        Seed or generator for the bootstrap.

    Returns
    -------
    AbsoluteBenefit

    Notes
    -----
    Difference = DFS(blinatumomab) - DFS(chemotherapy) with SE sqrt(se1^2 + se2^2) from the
    published "value +/- SE" (independent arms). NNT = 100 / difference; its interval inverts the
    difference interval, and when that crosses zero it is reported as Altman (1998): "NNTB x to
    infinity to NNTH y". The relative reduction is 1 - (100 - DFS_blina) / (100 - DFS_chemo) (the
    share of 3-year DFS events avoided). The HR for all randomized is the published stratified
    estimate (its SE on the log scale taken from the 95% CI); for risk groups, where no HR is
    published, it is the HR implied by the two 3-year DFS values under proportional hazards,
    log(S_blina) / log(S_chemo), with a delta-method interval on the log scale
    (var log(-log S) = se^2 / (S log S)^2). Bootstrap draws: log(-log S) ~ Normal(log(-log S_hat),
    se / (S_hat |log S_hat|)) per arm, independently, then S = exp(-exp(.)).

    References
    ----------
    Gupta S, et al. N Engl J Med 2025;392:875-891 (AALL1731 first interim analysis).
    Altman DG. Confidence intervals for the number needed to treat. BMJ 1998;317:1309-1312.

    Examples
    --------
    >>> b = absolute_benefit("SR-Avg")
    >>> round(b.difference, 1), round(b.nnt.estimate, 1)
    (7.3, 13.7)
    >>> absolute_benefit("SR-Fav").established
    False
    """
    _check_level(level)
    if method not in ("normal", "bootstrap"):
        raise InputError(f"method={method!r}: use 'normal' or 'bootstrap'")
    classification = None
    if patient is not None:
        if risk_group is not None:
            raise InputError("give risk_group or patient, not both")
        classification = patient if isinstance(patient, RiskClassification) else classify_patient(patient)
        if classification.randomized is not True:
            group = classification.risk_group or "unclassified"
            why = classification.summary
            if classification.randomized is False and classification.eligible:
                why += ": no estimate, " + _NOT_RANDOMIZED.split(": ", 1)[1]
            return AbsoluteBenefit(group, False, why, method, level, classification=classification)
        group = str(classification.risk_group)
    else:
        group = _group_name(risk_group)
    if group == "SR-Fav":
        return AbsoluteBenefit(group, False, _NOT_RANDOMIZED, method, level, classification=classification)

    chemo, blina = _figures(group)
    s0, se0, s1, se1 = chemo["value"], chemo["se"], blina["value"], blina["se"]
    diff = s1 - s0
    se_diff = math.hypot(se0, se1)
    z = ndtri(0.5 + level / 2)
    rel = 1 - (100 - s1) / (100 - s0)
    # cloglog-scale SEs (delta method), used for the implied HR and the bootstrap
    p0, p1 = s0 / 100, s1 / 100
    g0, g1 = se0 / 100 / (p0 * abs(math.log(p0))), se1 / 100 / (p1 * abs(math.log(p1)))
    if group == "all":
        hr_pub = load_published()["results_first_interim"]["dfs_hazard_ratio"]
        lo95, hi95 = hr_pub["ci95"]
        se_log_hr = (math.log(hi95) - math.log(lo95)) / (2 * ndtri(0.975))
        hr, hr_source = float(hr_pub["value"]), "published (secondary source; its CI is not confirmed)"
    else:
        hr = math.log(p1) / math.log(p0)
        se_log_hr = math.hypot(g0, g1)
        hr_source = "implied by 3-year DFS under proportional hazards"
    hr_ci = (hr * math.exp(-z * se_log_hr), hr * math.exp(z * se_log_hr))
    if group == "all" and level == 0.95:
        hr_ci = (float(lo95), float(hi95))  # the published interval itself
    prob = math.nan
    if method == "normal":
        ci = (diff - z * se_diff, diff + z * se_diff)
    else:
        gen = np.random.default_rng(rng)
        e0 = gen.normal(_cloglog(p0), g0, n_draws)
        e1 = gen.normal(_cloglog(p1), g1, n_draws)
        d = 100 * (np.exp(-np.exp(e1)) - np.exp(-np.exp(e0)))
        a = (1 - level) / 2
        ci = tuple(float(x) for x in np.quantile(d, [a, 1 - a]))
        prob = float(np.mean(d > 0))
        if group != "all":
            hr_ci = tuple(float(x) for x in np.quantile(np.exp(e1 - e0), [a, 1 - a]))
    nnt = number_needed_to_treat(diff, ci[0], ci[1], level=level)
    return AbsoluteBenefit(
        risk_group=group,
        established=True,
        reason="randomized in AALL1731",
        method=method,
        level=level,
        dfs_chemo=float(s0),
        se_chemo=float(se0),
        dfs_blina=float(s1),
        se_blina=float(se1),
        difference=float(diff),
        se_difference=float(se_diff),
        difference_ci=(float(ci[0]), float(ci[1])),
        nnt=nnt,
        relative_reduction=float(rel),
        hr=float(hr),
        hr_ci=(float(hr_ci[0]), float(hr_ci[1])),
        hr_source=hr_source,
        probability_benefit=prob,
        classification=classification,
    )
