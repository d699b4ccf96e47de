"""Log-rank and Fleming-Harrington G(rho, gamma) tests for two or more groups, optionally stratified."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import chdtrc, ndtr

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats._input import (
    as_event,
    as_flag,
    as_labels,
    as_time,
    as_weights,
    check_lengths,
    column,
    where,
)
from survtrial.stats._risksets import RiskSetTable, risk_set_table
from survtrial.stats._twogroup import reference_label
from survtrial.stats.weights import check_exponent

__all__ = ["LogRankResult", "logrank_test"]

if TYPE_CHECKING:  # pandas is imported lazily, only where a frame is built
    import pandas as pd


@dataclass(frozen=True, repr=False)
class LogRankResult(HtmlReprMixin):
    """Result of :func:`logrank_test`.

    Attributes
    ----------
    statistic : float
        Chi-square statistic (O - E)' V^- (O - E) over the groups with E > 0, as R ``survdiff``.
    df : int
        Degrees of freedom: number of groups with E > 0, minus 1.
    p_value : float
        Upper-tail chi-square p-value.
    groups : (k,) str
        Group labels, sorted; the first is the reference unless ``reference`` says otherwise.
    n : (k,) int
        Observations per group.
    observed, expected : (k,)
        (Weighted) observed and expected events per group, summed over strata; with
        rho/gamma != 0 these are weighted by the G(rho, gamma) weights, as in R ``survdiff``.
    variance : (k, k)
        Variance-covariance matrix of O - E (summed over strata).
    z : float or None
        Two groups only: (O - E) of the non-reference group divided by sqrt(V); z < 0 means the
        non-reference (experimental) group had fewer events than expected (hazard ratio < 1).
    p_value_one_sided : float or None
        Two groups only: P(Z <= z), the one-sided p-value for the alternative that the
        non-reference group has the lower hazard.
    reference : str or None
        Label of the reference (control) group for ``z``.
    rho, gamma : float
        Fleming-Harrington weight exponents; (0, 0) is the log-rank test.
    n_strata : int
        Number of strata.
    """

    statistic: float
    df: int
    p_value: float
    groups: np.ndarray
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    z: float | None
    p_value_one_sided: float | None
    reference: str | None
    rho: float
    gamma: float
    n_strata: int

    def to_frame(self) -> pd.DataFrame:
        """Per-group table as R ``print(survdiff)``.

        Columns: ``group, n, observed, expected, o_minus_e, o_minus_e_sq_over_e,
        o_minus_e_sq_over_v`` (the last two are R's ``(O-E)^2/E`` and ``(O-E)^2/V``).
        """
        import pandas as pd

        ome = self.observed - self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            over_e = ome**2 / self.expected
            over_v = ome**2 / np.diag(self.variance)
        return pd.DataFrame(
            {
                "group": self.groups.astype(str),
                "n": self.n,
                "observed": self.observed,
                "expected": self.expected,
                "o_minus_e": ome,
                "o_minus_e_sq_over_e": over_e,
                "o_minus_e_sq_over_v": over_v,
            }
        )

    def __repr__(self) -> str:
        name = "log-rank" if self.rho == 0 and self.gamma == 0 else f"G(rho={self.rho:g}, gamma={self.gamma:g})"
        strata = f", {self.n_strata} strata" if self.n_strata > 1 else ""
        lines = [
            (
                f"LogRankResult({name}, {self.groups.size} groups{strata}: "
                f"chi-square={self.statistic:.6g} on {self.df} df, p={self.p_value:.4g})"
            )
        ]
        if self.z is not None:
            lines.append(
                f"  z={self.z:.6g} ({self.groups[self._other()]} vs reference {self.reference}), "
                f"one-sided p={self.p_value_one_sided:.4g}"
            )
        return "\n".join(lines)

    def _other(self) -> int:
        return int(np.flatnonzero(self.groups.astype(str) != self.reference)[0])


def _sums(table: RiskSetTable, rho: float, gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """O, E (k,) and V (k, k) summed over the rows (event times) of every stratum of ``table``."""
    k = table.n_risk.shape[1]
    if table.time.size == 0:  # no event anywhere
        return np.zeros(k), np.zeros(k), np.zeros((k, k))
    n_g, d_g = table.n_risk, table.n_event
    n = n_g.sum(axis=1)
    d = d_g.sum(axis=1)
    frac = n_g / n[:, None]  # n > 0 at every event time
    if rho != 0 or gamma != 0:
        left = table.surv_left  # pooled KM of each stratum, S(t-)
        wt = left**rho * (1.0 - left) ** gamma
        observed = wt @ d_g
        wd = wt * d
    else:
        wt = None
        observed = d_g.sum(axis=0)
        wd = d
    expected = wd @ frac
    # hypergeometric variance; counts are frequency weights, so n - 1 uses the weighted n
    with np.errstate(divide="ignore", invalid="ignore"):
        h = d * (n - d) / (n - 1.0)
    h[n <= 1] = 0.0
    if wt is not None:
        h *= wt * wt
    hf = frac * h[:, None]
    variance = np.diag(hf.sum(axis=0)) - hf.T @ frac
    return observed, expected, variance


def _undefined_reason(table: RiskSetTable, variance: np.ndarray, keep: np.ndarray) -> str:
    """Why the test statistic is undefined, in words (no events; one group at risk; d = n)."""
    if table.time.size == 0:
        return "there are no events"
    n_g, d = table.n_risk, table.n_event.sum(axis=1)
    if int(keep.sum()) < 2:
        return ("at every event time only one group has subjects at risk (all events happen after "
                "the other groups' follow-up has ended), so fewer than two groups have expected events")
    n = n_g.sum(axis=1)
    if np.all((d >= n) | (n <= 1)):
        return ("the variance is zero: at every event time everyone at risk has the event (d = n), "
                "e.g. all events at one time with nobody else at risk")
    return "the variance matrix of O - E is singular for these data"


def logrank_test(
    time: Any,
    event: Any,
    group: Any,
    *,
    data: Any = None,
    strata: Any = None,
    weights: Any = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    reference: Any = None,
    timefix: bool = True,
) -> LogRankResult:
    """Log-rank test (Mantel-Haenszel) or Fleming-Harrington G(rho, gamma) test, k >= 2 groups.

    Parameters
    ----------
    time, event, group : array-like or column names
        Follow-up times (>= 0), event indicators (1/True = event) and group labels (>= 2 levels).
    data : pandas or polars DataFrame, optional
        If given, ``time``, ``event``, ``group``, ``strata`` and ``weights`` may be column names.
    strata : array-like or column name, optional
        Stratification: O - E and V are computed within strata and summed.
    weights : array-like or column name, optional
        Positive case (frequency) weights: at-risk and event counts are weighted sums.
    rho, gamma : float
        Weights S(t-)^rho (1 - S(t-))^gamma at each event time, S the pooled Kaplan-Meier within
        the stratum, left-continuous. (0, 0) is the log-rank test; ``rho=1, gamma=0`` is the
        Peto-Peto-Prentice-type test of R ``survdiff(rho=1)``.
    reference : label, optional
        Control group for the signed statistic ``z`` (two groups). Default: the first level in
        sorted order, like R's factor levels.
    timefix : bool, default True
        Treat times that differ only by floating-point rounding as one time, as R survival does
        by default (``timefix = TRUE``; :func:`~survtrial.stats.timefix.merge_near_ties`); False takes
        the times exactly as given.

    Returns
    -------
    LogRankResult

    Notes
    -----
    Follows R ``survdiff(Surv(time, event) ~ group + strata(s), rho=rho)``: the variance at each
    event time is the hypergeometric w^2 d (n - d)/(n - 1) (n_g/n)(delta_gh - n_h/n); groups with
    zero expected events are dropped from the chi-square and its df. Weights are frequency weights:
    with integer weights the result equals the unweighted test on the data with each row repeated
    w times (times with weighted n <= 1 contribute no variance). Strata with a single subject (or
    without events) add nothing, as in ``survdiff``. If there are no events, if at every event
    time only one group is at risk, or if the variance is zero (everyone at risk has the event at
    every event time) the statistic is undefined: a :class:`~survtrial.errors.StatisticWarning`
    saying which is issued and statistic = 0, p = 1, z = 0.
    Two-group sign convention: ``z = (O - E)_experimental / sqrt(V)``, experimental = the group
    that is not ``reference``; ``z**2 == statistic``.

    References
    ----------
    Mantel N (1966). Cancer Chemother Rep 50:163-70. Peto R, Peto J (1972). JRSS A 135:185-207.
    Harrington DP, Fleming TR (1982). Biometrika 69:553-66.
    Kleinbaum DG, Klein M. Survival Analysis: A Self-Learning Text, 3rd ed., ch. 2 (remission data).

    Examples
    --------
    >>> res = logrank_test([6, 7, 10, 15, 1, 2, 3, 4], [1, 1, 0, 1, 1, 1, 1, 0],
    ...                    ["B", "B", "B", "B", "A", "A", "A", "A"])
    >>> round(res.statistic, 4), res.df, round(res.z, 4)
    (4.2126, 1, -2.0525)
    """
    timefix = as_flag(timefix, "timefix")
    t = as_time(column(data, time, "time"), where(data, time, "time"))
    e = as_event(column(data, event, "event"), where(data, event, "event"))
    g_raw = column(data, group, "group")
    if g_raw is None:
        raise InputError("group: a group column is needed for a log-rank test")
    s_raw = column(data, strata, "strata")
    w_raw = column(data, weights, "weights")
    check_lengths(len(t), event=e, group=g_raw, strata=s_raw, weights=w_raw)
    codes, levels = as_labels(g_raw, where(data, group, "group"))
    labels = np.array([str(v) for v in levels])
    if labels.size < 2:
        raise InputError(
            f"group: only one level {labels.tolist()}; a log-rank test needs at least 2 groups "
            f"(check the column or the filter applied before the test)"
        )
    k = labels.size
    w = None if w_raw is None else as_weights(w_raw, len(t), where(data, weights, "weights"))
    rho, gamma = check_exponent(rho, "rho"), check_exponent(gamma, "gamma")
    ref = reference_label(reference, levels, labels) if k == 2 else None

    if s_raw is None:
        s_codes, n_strata = None, 1
    else:
        s_codes, s_levels = as_labels(s_raw, "strata")
        n_strata = s_levels.size
    table = risk_set_table(t, e, codes, k, s_codes, n_strata, w, timefix)
    observed, expected, variance = _sums(table, rho, gamma)

    keep = expected > 0
    df = int(keep.sum()) - 1
    statistic = 0.0
    undefined = df < 1
    if not undefined:
        idx = np.flatnonzero(keep)[1:]
        ome = (observed - expected)[idx]
        vv = variance[np.ix_(idx, idx)]
        try:
            statistic = float(np.dot(ome, np.linalg.solve(vv, ome)))
        except np.linalg.LinAlgError:
            undefined = True
    if undefined:
        warnings.warn(
            f"log-rank test undefined: {_undefined_reason(table, variance, keep)}; returning "
            f"statistic 0, p = 1",
            StatisticWarning,
            stacklevel=2,
        )
        statistic, df_out, p = 0.0, k - 1, 1.0
    else:
        df_out, p = df, float(chdtrc(df, statistic))

    z = p1 = None
    if k == 2:
        other = 1 - int(np.flatnonzero(labels == ref)[0])
        v = variance[other, other]
        z = float((observed[other] - expected[other]) / np.sqrt(v)) if v > 0 and not undefined else 0.0
        p1 = float(ndtr(z))
    n = np.bincount(codes, minlength=k).astype(np.int64)
    return LogRankResult(
        statistic=statistic,
        df=df_out,
        p_value=p,
        groups=labels,
        n=n,
        observed=observed,
        expected=expected,
        variance=variance,
        z=z,
        p_value_one_sided=p1,
        reference=ref,
        rho=rho,
        gamma=gamma,
        n_strata=n_strata,
    )
