"""Hazard ratio of two arms per time interval (a Cox model with an arm effect per interval), and its average."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats._twogroup import two_arms
from survtrial.stats.cox import ConfidenceInterval, cox_ph

__all__ = ["PiecewiseHazardRatioResult", "piecewise_hazard_ratio"]

if TYPE_CHECKING:  # pandas is imported lazily, only where a frame is built
    import pandas as pd


def _z(level: float) -> float:
    lv = float(level)
    if not 0.0 < lv < 1.0:
        raise InputError(f"conf_level={level!r} must be strictly between 0 and 1 (e.g. 0.95)")
    return float(special.ndtri(0.5 + lv / 2.0))


@dataclass(frozen=True, repr=False)
class PiecewiseHazardRatioResult(HtmlReprMixin):
    """Result of :func:`piecewise_hazard_ratio`. Per-interval arrays have one entry per interval.

    Attributes
    ----------
    cuts : (k,) the cut points; the intervals are (0, c1], (c1, c2], ..., (ck, inf).
    start, end : (k + 1,) interval limits (``end[-1]`` is inf).
    groups : (2,) ``(reference, experimental)``.
    n_risk : (k + 1, 2) subjects at risk at the start of each interval, per arm.
    events : (k + 1, 2) events in each interval, per arm.
    coef, se : (k + 1,) log hazard ratio (experimental vs reference) and its model SE; coef is
        -inf / +inf when only the reference / experimental arm has events in the interval (the
        estimate is on the boundary), NaN without events; se is then NaN.
    p_value : (k + 1,) two-sided Wald p-values.
    average_log_hr, average_log_hr_se : float
        Event-weighted mean of the finite log hazard ratios, ``sum d_k coef_k / sum d_k`` (d_k the
        events in interval k, both arms), and its SE ``sqrt(sum (d_k / D)^2 se_k^2)``.
    ties, conf_level
    """

    cuts: np.ndarray
    start: np.ndarray
    end: np.ndarray
    groups: np.ndarray
    n_risk: np.ndarray
    events: np.ndarray
    coef: np.ndarray
    se: np.ndarray
    p_value: np.ndarray
    average_log_hr: float
    average_log_hr_se: float
    ties: str
    conf_level: float

    @property
    def hazard_ratio(self) -> np.ndarray:
        """exp(coef) per interval."""
        return np.exp(self.coef)

    @property
    def average_hazard_ratio(self) -> float:
        """exp(average_log_hr): the event-weighted geometric mean of the piecewise hazard ratios."""
        return float(np.exp(self.average_log_hr))

    def confidence_interval(self, level: float | None = None, which: str = "intervals") -> ConfidenceInterval:
        """Wald limits of the hazard ratio per interval (``which="intervals"``) or of the average."""
        q = _z(self.conf_level if level is None else level)
        if which == "intervals":
            return ConfidenceInterval(np.exp(self.coef - q * self.se), np.exp(self.coef + q * self.se))
        if which == "average":
            half = q * self.average_log_hr_se
            return ConfidenceInterval(np.exp(self.average_log_hr - half), np.exp(self.average_log_hr + half))
        raise InputError(f"which={which!r}: use 'intervals' or 'average'")

    def to_frame(self) -> pd.DataFrame:
        """One row per interval: ``start, end, n_risk_<ref>, n_risk_<exp>, events_<ref>,
        events_<exp>, hazard_ratio, lower, upper, coef, se, p_value``."""
        import pandas as pd

        ci = self.confidence_interval()
        ref, exp_ = (str(g) for g in self.groups)
        return pd.DataFrame(
            {
                "start": self.start,
                "end": self.end,
                f"n_risk_{ref}": self.n_risk[:, 0],
                f"n_risk_{exp_}": self.n_risk[:, 1],
                f"events_{ref}": self.events[:, 0],
                f"events_{exp_}": self.events[:, 1],
                "hazard_ratio": self.hazard_ratio,
                "lower": ci.low,
                "upper": ci.high,
                "coef": self.coef,
                "se": self.se,
                "p_value": self.p_value,
            }
        )

    def summary(self) -> pd.DataFrame:
        """:meth:`to_frame` plus a last row ``average`` (event-weighted geometric mean)."""
        import pandas as pd

        out = self.to_frame()
        ci = self.confidence_interval(which="average")
        z = self.average_log_hr / self.average_log_hr_se if self.average_log_hr_se > 0 else np.nan
        row = {c: np.nan for c in out.columns}
        row.update(
            start=float(self.start[0]), end=float(self.end[-1]), hazard_ratio=self.average_hazard_ratio,
            lower=float(ci.low), upper=float(ci.high), coef=self.average_log_hr, se=self.average_log_hr_se,
            p_value=float(2.0 * special.ndtr(-abs(z))),
        )
        for j, col in enumerate(out.columns[2:6]):
            row[col] = (self.n_risk[0] if j < 2 else self.events.sum(axis=0))[j % 2]
        out.index = [f"({a:g}, {b:g}]" for a, b in zip(self.start, self.end, strict=True)]
        return pd.concat([out, pd.DataFrame([row], index=["average"])])

    def __repr__(self) -> str:
        ci = self.confidence_interval()
        lines = [f"PiecewiseHazardRatioResult({self.groups[1]} vs reference {self.groups[0]}, {self.ties} ties)"]
        for i in range(self.coef.size):
            lines.append(
                f"  ({self.start[i]:g}, {self.end[i]:g}]: events {self.events[i, 0]:g}/{self.events[i, 1]:g}, "
                f"HR {self.hazard_ratio[i]:.4g} ({ci.low[i]:.4g}-{ci.high[i]:.4g})"
            )
        lo, hi = self.confidence_interval(which="average")
        lines.append(f"  average HR {self.average_hazard_ratio:.4g} ({float(lo):.4g}-{float(hi):.4g})")
        return "\n".join(lines)


def _check_cuts(cuts: Any, last: float) -> np.ndarray:
    try:
        c = np.atleast_1d(np.asarray(cuts, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError(f"cuts={cuts!r}: give the cut points as numbers, e.g. cuts=[6, 12]") from None
    if c.ndim != 1 or c.size == 0 or not np.all(np.isfinite(c)):
        raise InputError(f"cuts={cuts!r}: give one or more finite cut points, e.g. cuts=[6, 12]")
    if np.any(np.diff(c) <= 0):
        raise InputError(
            f"cuts={c.tolist()}: cut points must be strictly increasing (sorted, no repeats); "
            f"e.g. cuts={sorted(set(c.tolist()))}"
        )
    bad = c[(c <= 0) | (c >= last)]
    if bad.size:
        raise InputError(
            f"cuts={c.tolist()}: {bad.tolist()} outside the follow-up: cut points must lie strictly "
            f"between 0 and the last follow-up time {last:g} (follow-up range 0 to {last:g})"
        )
    return c


def _joint_fit(
    t: np.ndarray,
    e: np.ndarray,
    arm: np.ndarray,
    strata: np.ndarray | None,
    n_strata: int,
    start: np.ndarray,
    end: np.ndarray,
    intervals: list[int],
    ties: str,
) -> tuple[np.ndarray, np.ndarray]:
    """One Cox fit of the split data: rows at risk in each interval (censored at its end), strata
    (interval x user stratum), and an arm column per interval, zero elsewhere. Its risk sets, score
    and information are those of R's counting-process model, so its Newton iterations are R's."""
    tt, ee, ss, xs = [], [], [], []
    p = len(intervals)
    for j, i in enumerate(intervals):
        rows = np.flatnonzero(t > start[i])
        tt.append(np.minimum(t[rows], end[i]))
        ee.append(((e[rows] == 1) & (t[rows] <= end[i])).astype(np.int64))
        ss.append(j * n_strata + (np.zeros(rows.size, dtype=np.int64) if strata is None else strata[rows]))
        x = np.zeros((rows.size, p))
        x[:, j] = arm[rows]
        xs.append(x)
    fit = cox_ph(np.concatenate(tt), np.concatenate(ee), np.vstack(xs), names=[f"arm{i}" for i in intervals],
                 strata=np.concatenate(ss), ties=ties, timefix=False)
    return fit.coef, fit.se


def piecewise_hazard_ratio(
    time: Any,
    event: Any,
    group: Any,
    strata: Any = None,
    data: Any = None,
    *,
    cuts: Any,
    reference: Any = None,
    ties: str = "efron",
    conf_level: float = 0.95,
    timefix: bool = True,
) -> PiecewiseHazardRatioResult:
    """Cox hazard ratio of the experimental arm in each time interval, and their average.

    Parameters
    ----------
    time, event, group : array-like or column names
        Follow-up times, event indicators (1 = event) and the arm (two levels).
    strata : array-like or column name, optional
        Stratified baseline hazard (R ``+ strata(s)``).
    data : pandas or polars DataFrame, optional
    cuts : sequence of float
        Cut points, strictly increasing, strictly between 0 and the last follow-up time; the
        intervals are (0, c1], (c1, c2], ..., (ck, inf).
    reference : label, optional
        The control arm (default: the first level in sorted order).
    ties : {"efron", "breslow", "exact"}
    conf_level : float
    timefix : bool, default True
        Merge times equal up to rounding error, as R survival's ``timefix = TRUE``.

    Returns
    -------
    PiecewiseHazardRatioResult

    Notes
    -----
    The model is R's ``coxph(Surv(tstart, time, event) ~ arm:strata(tgroup) (+ strata(s)))`` on
    the data split at the cuts by ``survSplit(..., cut = cuts, episode = "tgroup")``, with ``arm``
    coded 0 (reference) / 1: one baseline hazard over time and an arm coefficient per interval.
    At any event time only the rows of its interval are at risk, so the partial likelihood
    separates by interval: each coefficient is the Cox estimate from the subjects at risk at the
    interval's start, censored at its end. It is computed as one fit (intervals as strata, an arm
    column per interval) so that the Newton iterations and their stopping rule are R's. An interval
    where one arm has no events has a boundary estimate (HR 0 or inf, no SE): a
    :class:`~survtrial.errors.StatisticWarning` names it and the table reports it.

    The average hazard ratio is the event-weighted geometric mean ``exp(sum d_k log HR_k / sum
    d_k)`` over the intervals with a finite estimate, d_k the observed events in interval k: the
    formula of gsDesign2's ``ahr()`` (which weights by the expected events of a design), applied
    to the estimates. Its SE treats the weights as fixed: the interval estimates are independent
    (block-diagonal information). It is not Kalbfleisch & Prentice's or Schemper's AHR.

    References
    ----------
    Therneau TM, Crowson C, Atkinson E. Using time dependent covariates and time dependent
    coefficients in the Cox model (survival package vignette ``timedep``), section on step
    functions (``survSplit``, ``strata(tgroup)``).
    Mukhopadhyay P, Ye J, Anderson KM, Roychoudhury S, Rubin EH, Halabi S, Chappell RJ (2022).
    Log-rank test vs MaxCombo and difference in restricted mean survival time tests for comparing
    survival under nonproportional hazards in immuno-oncology trials. JAMA Oncol 8:1294-1300
    (average hazard ratio of gsDesign2).

    Examples
    --------
    >>> time = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    >>> event = [1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0]
    >>> arm = ["a", "b"] * 6
    >>> r = piecewise_hazard_ratio(time, event, arm, cuts=[6])
    >>> r.events.tolist(), r.hazard_ratio.round(4).tolist()
    ([[2.0, 3.0], [2.0, 2.0]], [1.3076, 0.7604])
    """
    _z(conf_level)
    arms = two_arms(time, event, group, data=data, strata=strata, reference=reference, timefix=timefix,
                    test="a piecewise hazard ratio")
    t, e, arm = arms.time, arms.event, arms.arm
    c = _check_cuts(cuts, float(t.max()))
    start = np.concatenate(([0.0], c))
    end = np.concatenate((c, [np.inf]))
    k = start.size
    n_risk = np.zeros((k, 2))
    events = np.zeros((k, 2))
    coef = np.full(k, np.nan)
    se = np.full(k, np.nan)
    fitted = []
    for i in range(k):
        rows = t > start[i]
        ev = (e == 1) & rows & (t <= end[i])
        n_risk[i] = np.bincount(arm[rows], minlength=2)
        events[i] = np.bincount(arm[ev], minlength=2)
        if events[i, 0] > 0 and events[i, 1] > 0:
            fitted.append(i)
            continue
        if events[i].sum() > 0:
            coef[i] = -np.inf if events[i, 1] == 0 else np.inf
        warnings.warn(
            f"piecewise hazard ratio: interval ({start[i]:g}, {end[i]:g}] has "
            f"{events[i, 0]:g} event(s) in {arms.labels[0]!r} and {events[i, 1]:g} in "
            f"{arms.labels[1]!r}: its hazard ratio is not estimable (reported as "
            f"{np.exp(coef[i]):g}, no confidence interval)",
            StatisticWarning,
            stacklevel=2,
        )
    if fitted:
        coef[fitted], se[fitted] = _joint_fit(t, e, arm, arms.strata, arms.n_strata, start, end, fitted, ties)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2.0 * special.ndtr(-np.abs(coef / se))
    fin = np.isfinite(coef) & np.isfinite(se)
    d = events.sum(axis=1)
    if fin.any():
        wts = d[fin] / d[fin].sum()
        avg = float(wts @ coef[fin])
        avg_se = float(np.sqrt(wts**2 @ se[fin] ** 2))
    else:
        avg, avg_se = np.nan, np.nan
    return PiecewiseHazardRatioResult(
        cuts=c, start=start, end=end, groups=np.array(arms.labels), n_risk=n_risk, events=events,
        coef=coef, se=se, p_value=p, average_log_hr=avg, average_log_hr_se=avg_se, ties=ties,
        conf_level=float(conf_level),
    )
