"""Conditional and predictive power at an interim look, and repeated confidence intervals for the hazard ratio."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survtrial._repr import HtmlReprMixin
from survtrial.design import _recursion as rec
from survtrial.design.boundaries import GroupSequentialDesign
from survtrial.errors import InputError
from survtrial.stats._input import as_number

__all__ = [
    "ConditionalPowerResult",
    "RepeatedConfidenceIntervals",
    "conditional_power",
    "drift_from_hazard_ratio",
    "repeated_confidence_intervals",
]

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(48)
_GH_WEIGHTS = _GH_WEIGHTS / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True, repr=False)
class ConditionalPowerResult(HtmlReprMixin):
    """Conditional power at an interim look under several assumptions about the effect.

    Attributes
    ----------
    z, information_fraction : float
        Interim z-statistic (positive favours the experimental arm) and its information fraction.
    future_fractions, future_upper, future_lower : ndarray
        Remaining looks and the bounds used (futility only if binding).
    design_drift, trend_drift : float
        Drift theta sqrt(I_max) of the design (H1) and of the current trend, z / sqrt(t).
    design_effect, trend, null : float
        P(crossing a remaining efficacy bound | Z_k = z) under the design effect, the current
        trend and H0 (the conditional type I error).
    predictive : float
        Predictive power: conditional power averaged over the posterior of the drift from the
        interim data with a flat prior, N(z / sqrt(t), 1 / t) (Spiegelhalter et al. 1986).
    """

    z: float
    information_fraction: float
    future_fractions: np.ndarray
    future_upper: np.ndarray
    future_lower: np.ndarray
    design_drift: float
    trend_drift: float
    design_effect: float
    trend: float
    null: float
    predictive: float

    def at(self, drift: float) -> float:
        """Conditional power under any drift theta sqrt(I_max) (see :func:`drift_from_hazard_ratio`)."""
        return _cp(
            self.z, self.information_fraction, self.future_fractions, self.future_lower, self.future_upper, drift
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per assumption: design effect, current trend, H0, predictive."""
        return pd.DataFrame(
            {
                "assumption": ["design effect", "current trend", "H0", "predictive (flat prior)"],
                "drift": [self.design_drift, self.trend_drift, 0.0, np.nan],
                "conditional_power": [self.design_effect, self.trend, self.null, self.predictive],
            }
        )

    def __repr__(self) -> str:
        return (
            f"ConditionalPowerResult(z={self.z:.4g} at t={self.information_fraction:.4g}, "
            f"{self.future_fractions.size} look(s) to go)\n"
            f"  design effect {self.design_effect:.4f}, current trend {self.trend:.4f}, "
            f"H0 {self.null:.4g}, predictive {self.predictive:.4f}"
        )


def conditional_power(
    design: GroupSequentialDesign,
    z: float,
    look: int | None = None,
    *,
    information_fraction: float | None = None,
) -> ConditionalPowerResult:
    """Conditional power of a group-sequential design given the interim z-statistic.

    Parameters
    ----------
    design : GroupSequentialDesign
        The design whose remaining efficacy bounds are to be crossed (use an updated design from
        :func:`update_design` if the looks so far were not at the planned fractions).
    z : float
        Interim z-statistic, positive favouring the experimental arm (log-rank: -log HR / SE).
    look : int, optional
        1-based number of the current look (its planned fraction is used unless
        ``information_fraction`` is given).
    information_fraction : float, optional
        Observed information fraction; the remaining looks are the design's looks beyond it.

    Returns
    -------
    ConditionalPowerResult

    Notes
    -----
    Brownian-motion formulation (Jennison & Turnbull 2000, section 10.2; Lan & Wittes 1988):
    given S_k = z sqrt(t_k), future scores add independent N(theta (t_j - t_k), t_j - t_k)
    increments (information as fractions of I_max, theta as the drift). Conditional power is the
    probability of crossing any remaining efficacy bound; futility bounds are applied only if they
    are binding; for two-sided designs crossing the lower bound ends the trial and does not count.
    With one look to go under drift theta it is
    Phi((z sqrt(t) - c sqrt(1) + theta (1 - t)) / sqrt(1 - t)). Predictive power averages it over
    N(z / sqrt(t), 1 / t) (48-point Gauss-Hermite).

    References
    ----------
    Lan KKG, Wittes J (1988). The B-value: a tool for monitoring data. Biometrics 44:579-585.
    Spiegelhalter DJ, Freedman LS, Blackburn PR (1986). Monitoring clinical trials: conditional
    or predictive power? Control Clin Trials 7:8-17. Jennison & Turnbull (2000), ch. 10.

    Examples
    --------
    >>> from survtrial.design import group_sequential
    >>> d = group_sequential(k=2, alpha=0.025, beta=0.1)
    >>> cp = conditional_power(d, z=1.5, look=1)
    >>> round(cp.design_effect, 4), round(cp.trend, 4)
    (0.8442, 0.5855)
    """
    if not isinstance(design, GroupSequentialDesign):
        raise InputError(f"design: expected a GroupSequentialDesign, got {type(design).__name__}")
    zz = as_number(z, "z")
    t_all = design.information_fractions
    if information_fraction is not None:
        t = as_number(information_fraction, "information_fraction")
        if not 0.0 < t < t_all[-1]:
            raise InputError(
                f"information_fraction: must be in (0, {t_all[-1]:g}) (before the final look), "
                f"got {information_fraction!r}"
            )
        nxt = np.flatnonzero(t_all > t + 1e-12)
    elif look is not None:
        if isinstance(look, bool) or not isinstance(look, (int, np.integer)) or not 1 <= look < design.k:
            raise InputError(f"look: must be an interim look 1..{design.k - 1} of this design, got {look!r}")
        t = float(t_all[look - 1])
        nxt = np.arange(look, design.k)
    else:
        raise InputError("give look=<interim look number> or information_fraction=<observed fraction>")
    upper = design.upper[nxt]
    if design.sided == 2:
        lower = -upper
    elif design.binding_futility:
        lower = design.lower[nxt]
    else:
        lower = np.full(nxt.size, -np.inf)
    tf = t_all[nxt]
    trend = zz / math.sqrt(t)
    nodes = trend + _GH_NODES / math.sqrt(t)
    pred = float(sum(w * _cp(zz, t, tf, lower, upper, x) for x, w in zip(nodes, _GH_WEIGHTS, strict=True)))
    return ConditionalPowerResult(
        z=zz,
        information_fraction=t,
        future_fractions=tf,
        future_upper=upper,
        future_lower=lower,
        design_drift=design.drift,
        trend_drift=trend,
        design_effect=_cp(zz, t, tf, lower, upper, design.drift),
        trend=_cp(zz, t, tf, lower, upper, trend),
        null=_cp(zz, t, tf, lower, upper, 0.0),
        predictive=min(1.0, max(0.0, pred)),
    )


def _cp(z: float, t: float, tf: np.ndarray, lower: np.ndarray, upper: np.ndarray, drift: float) -> float:
    up, _ = rec.crossing(lower, upper, tf, float(drift), origin=rec.start(t, z))
    return float(up.sum())


def drift_from_hazard_ratio(hazard_ratio: float, max_events: float, allocation_ratio: float = 1.0) -> float:
    """Drift theta sqrt(I_max) of a hazard ratio with ``max_events`` at full information (Schoenfeld).

    ``-log(HR) sqrt(r d) / (1 + r)`` with r = experimental : control allocation.

    Examples
    --------
    >>> round(drift_from_hazard_ratio(0.7, 331), 4)
    3.2446
    """
    hr = as_number(hazard_ratio, "hazard_ratio")
    d = as_number(max_events, "max_events")
    r = as_number(allocation_ratio, "allocation_ratio")
    if hr <= 0 or d <= 0 or r <= 0:
        raise InputError("hazard_ratio, max_events and allocation_ratio must all be > 0")
    return -math.log(hr) * math.sqrt(r * d) / (1.0 + r)


@dataclass(frozen=True, repr=False)
class RepeatedConfidenceIntervals(HtmlReprMixin):
    """Repeated confidence intervals for the hazard ratio, one per look so far.

    Attributes
    ----------
    hazard_ratio, lower, upper : ndarray
        Estimate and RCI limits on the hazard-ratio scale.
    z_bounds : ndarray
        Critical values c_k used (the design's efficacy bounds).
    level : float
        Simultaneous coverage: 1 - 2 alpha for a one-sided design, 1 - alpha for a two-sided one.
    """

    hazard_ratio: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    z_bounds: np.ndarray
    level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per look: estimate, RCI limits and the critical value."""
        return pd.DataFrame(
            {
                "look": np.arange(1, self.lower.size + 1),
                "hazard_ratio": self.hazard_ratio,
                "rci_lower": self.lower,
                "rci_upper": self.upper,
                "z_bound": self.z_bounds,
            }
        )

    def __repr__(self) -> str:
        last = self.lower.size - 1
        return (
            f"RepeatedConfidenceIntervals({self.lower.size} look(s), level {self.level:g}): last look HR "
            f"{self.hazard_ratio[last]:.4g} ({self.lower[last]:.4g}, {self.upper[last]:.4g})"
        )


def repeated_confidence_intervals(
    design: GroupSequentialDesign, log_hazard_ratio: Any, standard_error: Any
) -> RepeatedConfidenceIntervals:
    """Repeated confidence intervals (Jennison & Turnbull) for the hazard ratio at the looks so far.

    Parameters
    ----------
    design : GroupSequentialDesign
        Use the design updated to the observed fractions (:func:`update_design`).
    log_hazard_ratio, standard_error : sequence of float
        Cox or log-rank estimate of log(HR) and its standard error at each look so far.

    Returns
    -------
    RepeatedConfidenceIntervals

    Notes
    -----
    RCI_k = exp(log HR_k -+ c_k SE_k) with c_k the efficacy bound of look k (Jennison & Turnbull
    1989; 2000, ch. 9): the intervals cover the true HR at all looks simultaneously with
    probability >= 1 - 2 alpha for a one-sided design (its bounds used on both sides), and 1 -
    alpha for a two-sided design. Efficacy bound crossed <=> the RCI excludes HR = 1 from above.

    References
    ----------
    Jennison C, Turnbull BW (1989). Interim analyses: the repeated confidence interval approach.
    JRSS B 51:305-361.

    Examples
    --------
    >>> from survtrial.design import group_sequential
    >>> d = group_sequential(k=2, alpha=0.025)
    >>> rci = repeated_confidence_intervals(d, [-0.5], [0.2])
    >>> round(float(rci.lower[0]), 4), round(float(rci.upper[0]), 4)
    (0.3354, 1.0969)
    """
    if not isinstance(design, GroupSequentialDesign):
        raise InputError(f"design: expected a GroupSequentialDesign, got {type(design).__name__}")
    est = np.asarray(log_hazard_ratio, dtype=float).ravel()
    se = np.asarray(standard_error, dtype=float).ravel()
    if est.size == 0 or est.size != se.size or est.size > design.k:
        raise InputError(
            f"log_hazard_ratio, standard_error: need one value each per look so far (1..{design.k}), "
            f"got {est.size} and {se.size}"
        )
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(se)) and np.all(se > 0)):
        raise InputError("log_hazard_ratio must be finite and standard_error finite and > 0")
    c = design.upper[: est.size]
    with np.errstate(over="ignore"):
        lo, hi = np.exp(est - c * se), np.exp(est + c * se)
    level = 1.0 - 2.0 * design.alpha if design.sided == 1 else 1.0 - design.alpha
    return RepeatedConfidenceIntervals(np.exp(est), lo, hi, c, level)
