"""Weighted log-rank tests of two arms: Fleming-Harrington G(rho, gamma), Magirr-Burman, user weights."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from scipy.special import ndtr

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats._risksets import RiskSetTable
from survtrial.stats._twogroup import two_arms
from survtrial.stats.weights import FlemingHarrington, Weight, as_weight

__all__ = [
    "WeightedLogRankResult",
    "WeightedScore",
    "p_value_normal",
    "score_terms",
    "weighted_logrank_from_counts",
    "weighted_logrank_test",
]

if TYPE_CHECKING:  # pandas is imported lazily, only where a frame is built
    import pandas as pd

ALTERNATIVES = ("two-sided", "less", "greater")


def check_alternative(alternative: Any) -> str:
    if alternative not in ALTERNATIVES:
        raise InputError(
            f"alternative={alternative!r}: use 'two-sided', 'less' (z < 0: the experimental arm has "
            f"the lower hazard) or 'greater'"
        )
    return str(alternative)


def p_value_normal(z: float, alternative: str) -> float:
    """P-value of a standard normal statistic ``z``: two-sided, P(Z <= z) ('less') or P(Z >= z)."""
    if alternative == "less":
        return float(ndtr(z))
    if alternative == "greater":
        return float(ndtr(-z))
    return float(2.0 * ndtr(-abs(z)))


def score_terms(table: RiskSetTable) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a two-column table: O - E of arm 1 and its hypergeometric variance.

    ``o_minus_e = d1 - n1 d / n`` and ``var = n0 n1 d (n - d) / (n^2 (n - 1))`` (0 where the
    weighted n <= 1), with n = n0 + n1 and d = d0 + d1: R ``survdiff``'s and simtrial's
    ``counting_process`` terms.
    """
    n0, n1 = table.n_risk[:, 0], table.n_risk[:, 1]
    d = table.n_event[:, 0] + table.n_event[:, 1]
    n = n0 + n1
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_n = np.where(n > 0, 1.0 / n, 0.0)
        ome = table.n_event[:, 1] - n1 * d * inv_n
        var = n0 * n1 * inv_n * inv_n * d * (n - d) / (n - 1.0)
    var[n <= 1] = 0.0
    return ome, var


class WeightedScore(NamedTuple):
    """A weighted log-rank score, its variance and z (see :func:`weighted_logrank_from_counts`)."""

    score: float
    variance: float
    z: float


def _z(score: float, variance: float) -> float:
    return float(score / np.sqrt(variance)) if variance > 0 else 0.0


def weighted_logrank_from_counts(
    n0: Any,
    n1: Any,
    d0: Any,
    d1: Any,
    stratum: Any = None,
    *,
    weights: Any = None,
    time: Any = None,
) -> WeightedScore:
    """The weighted log-rank score of arm 1 from a risk-set table (the arithmetic only).

    Parameters
    ----------
    n0, n1 : (m,) float arrays
        Numbers at risk just before each row's time in the reference (0) and experimental (1) arm.
    d0, d1 : (m,) float arrays
        Events at each row's time per arm.
    stratum : (m,) int array, optional
        Stratum of each row. Rows of one stratum must be contiguous (e.g. sorted by stratum), with
        times ascending within a stratum. None: one stratum.
    weights : weight object or spec, optional
        As ``weighted_logrank_test``'s ``weights`` (default log-rank, FH(0, 0)); a
        :class:`~survtrial.stats.weights.FlemingHarrington`,
        :class:`~survtrial.stats.weights.MagirrBurman` or
        :class:`~survtrial.stats.weights.WeightFunction`, or a (rho, gamma) pair.
    time : (m,) float array, optional
        Each row's time; needed by Magirr-Burman weights (the delay) and user functions of time.

    Returns
    -------
    WeightedScore
        ``score = sum w (d1 - n1 d / n)`` over rows and strata, ``variance = sum w^2 n0 n1 d (n -
        d) / (n^2 (n - 1))`` and ``z = score / sqrt(variance)`` (0 when the variance is 0).

    Notes
    -----
    Input contract (nothing is checked here, for speed): one row per distinct event time of each
    stratum (rows without events are allowed and change nothing), and no event time of a stratum
    may be left out before the last time at which both arms have someone at risk, because the
    weights use the pooled Kaplan-Meier S(t-) of the stratum, computed from these rows as
    ``prod (1 - d / n)``; rows after one arm is empty add nothing and may be dropped. Counts may
    be weighted (case weights). This is what :func:`weighted_logrank_test` evaluates after
    building the table from patient data, so both give the same numbers.

    Examples
    --------
    >>> r = weighted_logrank_from_counts([4, 3, 2], [4, 4, 2], [1, 1, 0], [0, 1, 1])
    >>> round(r.z, 6)
    -0.149906
    """
    table = RiskSetTable.from_counts(
        np.asarray(n0, dtype=np.float64), np.asarray(n1, dtype=np.float64),
        np.asarray(d0, dtype=np.float64), np.asarray(d1, dtype=np.float64), stratum, time,
    )
    w = (FlemingHarrington() if weights is None else as_weight(weights)).values(table)
    ome, var = score_terms(table)
    score = float(w @ ome)
    variance = float((w * w) @ var)
    return WeightedScore(score, variance, _z(score, variance))


@dataclass(frozen=True, repr=False)
class WeightedLogRankResult(HtmlReprMixin):
    """Result of :func:`weighted_logrank_test`.

    Attributes
    ----------
    z : float
        Weighted (O - E) of the experimental arm over its standard error; z < 0 favours the
        experimental arm (fewer events than expected, hazard ratio < 1).
    p_value : float
        P-value for ``alternative``.
    alternative : str
        ``"two-sided"``, ``"less"`` (P(Z <= z): the experimental arm has the lower hazard) or
        ``"greater"``.
    score, variance : float
        ``sum w (O - E)`` of the experimental arm over event times and strata, and its
        hypergeometric variance ``sum w^2 V``.
    weight : FlemingHarrington, MagirrBurman or WeightFunction
        The weight used; ``weight_label`` is its short name, e.g. ``"FH(0, 0.5)"``.
    groups : (2,) str
        ``(reference, experimental)``.
    n, n_events : (2,)
        Subjects and (case-weighted) events per arm, in the order of ``groups``.
    observed, expected : (2,)
        Weighted observed and expected events per arm (``sum w d_g`` and ``sum w d n_g / n``).
    n_strata : int
    """

    z: float
    p_value: float
    alternative: str
    score: float
    variance: float
    weight: Weight
    groups: np.ndarray
    n: np.ndarray
    n_events: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    n_strata: int

    @property
    def chi_square(self) -> float:
        """``z**2``, the chi-square statistic on 1 df of R ``survdiff`` for FH(rho, 0)."""
        return self.z * self.z

    @property
    def weight_label(self) -> str:
        return self.weight.label

    @property
    def reference(self) -> str:
        return str(self.groups[0])

    def to_frame(self) -> pd.DataFrame:
        """Per-arm table: ``group, n, events, observed, expected, o_minus_e`` (weighted O and E)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "group": self.groups.astype(str),
                "n": self.n,
                "events": self.n_events,
                "observed": self.observed,
                "expected": self.expected,
                "o_minus_e": self.observed - self.expected,
            }
        )

    def summary(self) -> pd.DataFrame:
        """One row: ``test, weight, reference, experimental, score, variance, z, chi_square,
        alternative, p_value``."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "test": "weighted log-rank",
                    "weight": self.weight_label,
                    "reference": self.reference,
                    "experimental": str(self.groups[1]),
                    "score": self.score,
                    "variance": self.variance,
                    "z": self.z,
                    "chi_square": self.chi_square,
                    "alternative": self.alternative,
                    "p_value": self.p_value,
                }
            ]
        )

    def __repr__(self) -> str:
        strata = f", {self.n_strata} strata" if self.n_strata > 1 else ""
        return (
            f"WeightedLogRankResult({self.weight_label}{strata}: z={self.z:.6g} ({self.groups[1]} vs "
            f"reference {self.groups[0]}), {self.alternative} p={self.p_value:.4g})"
        )


def weighted_logrank_test(
    time: Any,
    event: Any,
    group: Any,
    strata: Any = None,
    data: Any = None,
    *,
    weights: Any = "fh",
    rho: Any = 0.0,
    gamma: Any = 0.0,
    delay: Any = None,
    w_max: Any = None,
    reference: Any = None,
    alternative: str = "two-sided",
    case_weights: Any = None,
    timefix: bool = True,
) -> WeightedLogRankResult:
    """Weighted log-rank test of two arms, optionally stratified.

    Parameters
    ----------
    time, event, group : array-like or column names
        Follow-up times (>= 0), event indicators (1 = event) and the arm (exactly two levels).
    strata : array-like or column name, optional
        Scores and variances are computed within strata and summed.
    data : pandas or polars DataFrame, optional
        If given, ``time``, ``event``, ``group``, ``strata`` and ``case_weights`` may be column names.
    weights : {"fh", "mb", "logrank"}, weight object, (rho, gamma) or callable
        The weight function: ``"fh"`` is Fleming-Harrington ``S(t-)^rho (1 - S(t-))^gamma``
        (:class:`~survtrial.stats.weights.FlemingHarrington`); ``"mb"`` the Magirr-Burman modest
        weight with ``delay`` (t*) and/or ``w_max``
        (:class:`~survtrial.stats.weights.MagirrBurman`); a function ``f(time, surv_left)`` or a
        :class:`~survtrial.stats.weights.WeightFunction` (also over the whole risk-set table).
    rho, gamma : float >= 0
        Fleming-Harrington exponents (with ``weights="fh"``).
    delay, w_max : float, optional
        Magirr-Burman t* and largest weight (with ``weights="mb"``); at least one of them.
    reference : label, optional
        The control arm (default: the first level in sorted order, like R's factor levels).
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: the experimental arm has the lower hazard (small p when z << 0).
    case_weights : array-like or column name, optional
        Positive frequency weights of the subjects (``logrank_test``'s ``weights``).
    timefix : bool, default True
        Merge times equal up to rounding error, as R survival's ``timefix = TRUE``.

    Returns
    -------
    WeightedLogRankResult

    Notes
    -----
    At each distinct event time t_j of a stratum, with n_gj at risk and d_gj events per arm,
    ``O - E = d_1j - n_1j d_j / n_j`` for the experimental arm and ``V_j = n_0j n_1j d_j (n_j -
    d_j) / (n_j^2 (n_j - 1))`` (hypergeometric, as R ``survdiff`` and simtrial's
    ``counting_process``). The weight w_j uses the pooled Kaplan-Meier of the stratum just before
    t_j, S(t_j-). ``z = sum w (O - E) / sqrt(sum w^2 V)`` summed over event times and strata.

    Sign convention (that of :func:`~survtrial.stats.logrank.logrank_test`): z is the weighted
    O - E of the non-reference (experimental) arm, so z < 0 favours the experimental arm, and
    ``logrank_test(rho=, gamma=).z`` equals this z for FH weights. simtrial's
    ``wlr(weight = fh(rho, gamma))`` reports ``z = -sum w (O - E) / sqrt(sum w^2 V)`` (its
    ``estimate`` is our ``score``): simtrial's wlr z is minus this z, and its one-sided p-value
    ``pnorm(z, lower.tail = FALSE)`` is our ``alternative="less"``; simtrial's ``maxcombo`` z has
    our sign. For FH(rho, 0), ``z**2`` is R ``survdiff(rho=)``'s chi-square. A zero variance (no
    events, or nobody else at risk at every event time) gives z = 0, p = 1 and a
    :class:`~survtrial.errors.StatisticWarning`.

    References
    ----------
    Fleming TR, Harrington DP (1991). Counting Processes and Survival Analysis. Wiley, ch. 7.
    Harrington DP, Fleming TR (1982). A class of rank test procedures for censored survival data.
    Biometrika 69:553-566.
    Magirr D, Burman CF (2019). Modestly weighted logrank tests. Stat Med 38:3782-3790.
    Magirr D (2021). Non-proportional hazards in immuno-oncology: is an old perspective needed?
    Pharm Stat 20:512-527.

    Examples
    --------
    >>> time = [6, 7, 10, 15, 19, 25, 1, 2, 3, 4, 8, 9]
    >>> event = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1]
    >>> arm = ["new"] * 6 + ["old"] * 6
    >>> r = weighted_logrank_test(time, event, arm, rho=0, gamma=0.5, reference="old")
    >>> round(r.z, 4), round(r.p_value, 4)
    (-1.8901, 0.0587)
    """
    alternative = check_alternative(alternative)
    spec = as_weight(weights, rho=rho, gamma=gamma, delay=delay, w_max=w_max)
    arms = two_arms(time, event, group, data=data, strata=strata, weights=case_weights, reference=reference,
                    timefix=timefix, test="a weighted log-rank test")
    table = arms.table()
    w = spec.values(table)
    ome, var = score_terms(table)
    score = float(w @ ome)
    variance = float((w * w) @ var)
    if not variance > 0:
        warnings.warn(
            f"weighted log-rank test undefined: the variance is zero ({_why_zero(table)}); returning "
            f"z = 0, p = 1",
            StatisticWarning,
            stacklevel=2,
        )
    z = _z(score, variance)
    d = table.n_event.sum(axis=1)
    n = table.n_risk.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (w * d / n) @ table.n_risk
    return WeightedLogRankResult(
        z=z,
        p_value=p_value_normal(z, alternative) if variance > 0 else 1.0,
        alternative=alternative,
        score=score,
        variance=variance,
        weight=spec,
        groups=np.array(arms.labels),
        n=arms.n,
        n_events=arms.n_events,
        observed=w @ table.n_event,
        expected=np.asarray(expected, dtype=np.float64),
        n_strata=arms.n_strata,
    )


def _why_zero(table: RiskSetTable) -> str:
    if table.time.size == 0:
        return "there are no events"
    n0, n1 = table.n_risk[:, 0], table.n_risk[:, 1]
    if not np.any((n0 > 0) & (n1 > 0)):
        return "at every event time only one arm has subjects at risk"
    d = table.n_event.sum(axis=1)
    if np.all((d >= n0 + n1) | (n0 == 0) | (n1 == 0)):
        return "at every event time with both arms at risk everyone at risk has the event (d = n)"
    return "every event time with information has weight 0"
