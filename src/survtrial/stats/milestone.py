"""Milestone comparison of two arms: Kaplan-Meier survival at a fixed time t*, difference and log(-log) ratio."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtri

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats._kmci import check_conf, confint
from survtrial.stats._kmcounts import curve_counts, split_by
from survtrial.stats._twogroup import two_arms
from survtrial.stats.cox import ConfidenceInterval
from survtrial.stats.km import product_limit
from survtrial.stats.weighted_logrank import check_alternative, p_value_normal

__all__ = ["MilestoneResult", "milestone_test"]

if TYPE_CHECKING:  # pandas is imported lazily, only where a frame is built
    import pandas as pd


@dataclass(frozen=True, repr=False)
class MilestoneResult(HtmlReprMixin):
    """Result of :func:`milestone_test`. Per-arm arrays are in the order of ``groups``.

    Attributes
    ----------
    milestone : float
        The time t*.
    groups : (2,) str
        ``(reference, experimental)``.
    n, n_risk : (2,)
        Subjects, and subjects at risk at t* (follow-up >= t*), per arm.
    survival, std_err, std_err_log : (2,)
        Kaplan-Meier S(t*), its Greenwood SE, and the SE of log S(t*).
    difference, difference_se, z, p_value : float
        ``S_exp(t*) - S_ref(t*)``, ``sqrt(se_exp^2 + se_ref^2)``, ``difference / difference_se``
        (z > 0 favours the experimental arm) and its p-value for ``alternative``.
    log_ratio, log_ratio_se, z_loglog, p_value_loglog : float
        ``log(-log S_exp) - log(-log S_ref)``, the log of the ratio of cumulative hazards
        ``H_exp(t*) / H_ref(t*)`` (< 0 favours the experimental arm), its delta-method SE, simtrial's
        log-log statistic ``-log_ratio / log_ratio_se`` (> 0 favours the experimental arm) and its
        p-value for ``alternative``.
    alternative : str
        ``"greater"`` is the one-sided alternative that the experimental arm survives longer.
    conf_level : float
    """

    milestone: float
    groups: np.ndarray
    n: np.ndarray
    n_risk: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    std_err_log: np.ndarray
    difference: float
    difference_se: float
    z: float
    p_value: float
    log_ratio: float
    log_ratio_se: float
    z_loglog: float
    p_value_loglog: float
    alternative: str
    conf_level: float

    @property
    def ratio(self) -> float:
        """``H_exp(t*) / H_ref(t*) = log S_exp / log S_ref``, the ratio on the log(-log) scale."""
        return float(np.exp(self.log_ratio))

    def confidence_interval(self, level: float | None = None, which: str = "difference") -> ConfidenceInterval:
        """Limits for ``which`` = ``"difference"`` (Wald), ``"ratio"`` (exp(log ratio -/+ z SE)) or
        ``"survival"`` (per arm, log-log scale as R ``survfit(conf.type="log-log")``)."""
        lv, _ = check_conf(self.conf_level if level is None else level, "log-log")
        q = float(ndtri(0.5 + lv / 2.0))
        if which == "difference":
            half = q * self.difference_se
            return ConfidenceInterval(np.float64(self.difference - half), np.float64(self.difference + half))
        if which == "ratio":
            half = q * self.log_ratio_se
            return ConfidenceInterval(np.exp(self.log_ratio - half), np.exp(self.log_ratio + half))
        if which == "survival":
            lo, hi = confint(self.survival, self.std_err_log, lv, "log-log")
            return ConfidenceInterval(lo, hi)
        raise InputError(f"which={which!r}: use 'difference', 'ratio' or 'survival'")

    def to_frame(self) -> pd.DataFrame:
        """Per arm: ``group, n, n_risk, survival, std_err, lower, upper`` (log-log limits)."""
        import pandas as pd

        ci = self.confidence_interval(which="survival")
        return pd.DataFrame(
            {
                "group": self.groups.astype(str),
                "n": self.n,
                "n_risk": self.n_risk,
                "survival": self.survival,
                "std_err": self.std_err,
                "lower": ci.low,
                "upper": ci.high,
            }
        )

    def summary(self) -> pd.DataFrame:
        """Two rows (difference, cumulative-hazard ratio): ``measure, estimate, std_err, lower,
        upper, z, p_value`` (for the ratio, ``std_err`` is the SE of its log)."""
        import pandas as pd

        d = self.confidence_interval(which="difference")
        r = self.confidence_interval(which="ratio")
        return pd.DataFrame(
            [
                ("survival difference", self.difference, self.difference_se, float(d.low), float(d.high),
                 self.z, self.p_value),
                ("cumulative hazard ratio (log-log)", self.ratio, self.log_ratio_se, float(r.low),
                 float(r.high), self.z_loglog, self.p_value_loglog),
            ],
            columns=["measure", "estimate", "std_err", "lower", "upper", "z", "p_value"],
        )

    def __repr__(self) -> str:
        lo, hi = self.confidence_interval()
        return (
            f"MilestoneResult(t*={self.milestone:g}: S {self.groups[1]} {self.survival[1]:.4g} vs "
            f"{self.groups[0]} {self.survival[0]:.4g}; difference {self.difference:.4g} "
            f"({100 * self.conf_level:g}% CI {float(lo):.4g} to {float(hi):.4g}), z={self.z:.4g}, "
            f"{self.alternative} p={self.p_value:.4g})"
        )


def milestone_test(
    time: Any,
    event: Any,
    group: Any,
    data: Any = None,
    *,
    milestone: float,
    reference: Any = None,
    alternative: str = "two-sided",
    conf_level: float = 0.95,
    case_weights: Any = None,
    timefix: bool = True,
) -> MilestoneResult:
    """Compare two arms' Kaplan-Meier survival at a milestone time t*.

    Parameters
    ----------
    time, event, group : array-like or column names
        Follow-up times, event indicators (1 = event) and the arm (two levels).
    data : pandas or polars DataFrame, optional
    milestone : float
        The time t* (> 0), in the units of ``time``.
    reference : label, optional
        The control arm (default: the first level in sorted order).
    alternative : {"two-sided", "less", "greater"}
        For both z's; ``"greater"``: the experimental arm survives longer (simtrial's one-sided
        ``pnorm(z, lower.tail = FALSE)``).
    conf_level : float
        Level of the confidence limits.
    case_weights : array-like or column name, optional
        Positive frequency weights.
    timefix : bool, default True
        Merge times equal up to rounding error, as R survival's ``timefix = TRUE``.

    Returns
    -------
    MilestoneResult

    Notes
    -----
    S(t*) is the right-continuous Kaplan-Meier estimate with Greenwood's variance, as R
    ``summary(survfit(...), times = t*)``. The difference ``S_exp - S_ref`` has SE
    ``sqrt(se_exp^2 + se_ref^2)``, a Wald CI and ``z = difference / SE``: simtrial 1.0.2's
    ``milestone(data, t*, test_type = "naive")``. On the log(-log) scale the statistic is
    ``-(log(-log S_exp) - log(-log S_ref)) / sqrt(s_exp^2 / log(S_exp)^2 + s_ref^2 /
    log(S_ref)^2)`` with s^2 = Var(S) / S^2 (the Greenwood variance of log S): simtrial's
    ``test_type = "log-log"`` (its default) exactly; its ``estimate`` is ``-log_ratio`` here.
    exp(log_ratio) is the ratio of cumulative hazards at t*. Unlike simtrial (which carries the
    last value forward with ``extend = TRUE``), a t* beyond the last follow-up time of an arm
    whose curve has not dropped to 0 is an :class:`~survtrial.errors.InputError`. Where S is 0 or
    1 in an arm the log-log statistic is NaN (with a
    :class:`~survtrial.errors.StatisticWarning`).

    References
    ----------
    Klein JP, Logan B, Harhoff M, Andersen PK (2007). Analyzing survival curves at a fixed point
    in time. Stat Med 26:4505-4519.
    Greenwood M (1926). The natural duration of cancer. Reports on Public Health 33.

    Examples
    --------
    >>> time = [6, 7, 10, 15, 19, 25, 1, 2, 3, 4, 8, 9]
    >>> event = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1]
    >>> arm = ["new"] * 6 + ["old"] * 6
    >>> r = milestone_test(time, event, arm, milestone=8.5, reference="old")
    >>> r.survival.round(4).tolist(), round(r.difference, 4), round(r.z, 4)
    ([0.25, 0.6667], 0.4167, 1.4852)
    """
    alternative = check_alternative(alternative)
    level, _ = check_conf(conf_level, "log-log")
    try:
        tstar = float(milestone)
    except (TypeError, ValueError):
        raise InputError(f"milestone={milestone!r} is not a number; give the time t* in the units of time") from None
    if not np.isfinite(tstar) or tstar <= 0:
        raise InputError(f"milestone={milestone!r} must be a finite time > 0")
    arms = two_arms(time, event, group, data=data, weights=case_weights, reference=reference, timefix=timefix,
                    test="a milestone test")
    surv, se_log, n_risk, last, at_zero = (np.empty(2) for _ in range(5))
    for i, rows in enumerate(split_by(arms.arm, 2)):
        w = None if arms.weights is None else arms.weights[rows]
        tt, nr, dd, _ = curve_counts(arms.time[rows], arms.event[rows], w)
        s, gw = product_limit(nr, dd)
        j = int(np.searchsorted(tt, tstar, side="right")) - 1
        surv[i] = s[j] if j >= 0 else 1.0
        se_log[i] = np.sqrt(gw[j]) if j >= 0 else 0.0
        k = int(np.searchsorted(tt, tstar, side="left"))
        n_risk[i] = nr[k] if k < tt.size else 0.0
        last[i] = tt[-1]
        at_zero[i] = s[-1] == 0
    beyond = [i for i in range(2) if tstar > last[i] and not at_zero[i]]
    if beyond:
        arm_txt = ", ".join(f"{arms.labels[i]!r} {last[i]:g}" for i in range(2))
        raise InputError(
            f"milestone={tstar:g} is beyond the follow-up of arm {arms.labels[beyond[0]]!r}: the "
            f"Kaplan-Meier estimate is not defined there. Last follow-up time per arm: {arm_txt}; "
            f"choose t* <= {min(last[i] for i in range(2) if not at_zero[i]):g}"
        )
    with np.errstate(invalid="ignore"):
        std_err = surv * se_log
    diff = float(surv[1] - surv[0])
    dse = float(np.sqrt(std_err[0] ** 2 + std_err[1] ** 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(surv)
        log_ratio = float(np.log(-logs[1]) - np.log(-logs[0]))
        lr_se = float(np.sqrt(se_log[1] ** 2 / logs[1] ** 2 + se_log[0] ** 2 / logs[0] ** 2))
    z = diff / dse if dse > 0 else np.nan
    ok_ll = np.isfinite(log_ratio) and np.isfinite(lr_se) and lr_se > 0
    z_ll = -log_ratio / lr_se if ok_ll else np.nan
    if not dse > 0 or not ok_ll:
        what = ("the SE of the difference is 0 or undefined" if not dse > 0
                else "the log(-log) ratio is undefined")
        warnings.warn(
            f"milestone test at t*={tstar:g}: {what} (S(t*) = {surv[0]:.4g} in {arms.labels[0]!r}, "
            f"{surv[1]:.4g} in {arms.labels[1]!r}; S = 1 means no event before t*, S = 0 no one "
            f"left); its z and p are NaN",
            StatisticWarning,
            stacklevel=2,
        )
    return MilestoneResult(
        milestone=tstar,
        groups=np.array(arms.labels),
        n=arms.n,
        n_risk=n_risk,
        survival=surv,
        std_err=std_err,
        std_err_log=se_log,
        difference=diff,
        difference_se=dse,
        z=float(z),
        p_value=p_value_normal(z, alternative) if np.isfinite(z) else np.nan,
        log_ratio=log_ratio if ok_ll else np.nan,
        log_ratio_se=lr_se if ok_ll else np.nan,
        z_loglog=float(z_ll),
        p_value_loglog=p_value_normal(z_ll, alternative) if np.isfinite(z_ll) else np.nan,
        alternative=alternative,
        conf_level=level,
    )
