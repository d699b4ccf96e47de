"""Inference after a group-sequential trial stops: stage-wise ordering p-value, median-unbiased estimate, CI."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from survtrial._repr import HtmlReprMixin
from survtrial.design import _recursion as rec
from survtrial.design.boundaries import GroupSequentialDesign
from survtrial.errors import InputError

__all__ = ["StagewiseInference", "stagewise_inference"]


@dataclass(frozen=True, repr=False)
class StagewiseInference(HtmlReprMixin):
    """Stage-wise ordering inference at the look where the trial stopped.

    Estimates are drifts theta sqrt(I_max) (the design's scale); :meth:`hazard_ratio` converts.

    Attributes
    ----------
    look : int
    z : float
    p_value : float
        One-sided for one-sided designs; two-sided (twice the one-sided, capped at 1) otherwise.
    median_unbiased : float
        Drift at which the stage-wise p-value function is 1/2.
    lower, upper : float
        Confidence limits for the drift at ``level``.
    level : float
    """

    look: int
    z: float
    p_value: float
    median_unbiased: float
    lower: float
    upper: float
    level: float

    def hazard_ratio(self, max_events: float, allocation_ratio: float = 1.0) -> tuple[float, float, float]:
        """(median-unbiased HR, lower, upper) with ``max_events`` at full information (Schoenfeld).

        HR = exp(-drift (1 + r) / sqrt(r d_max)); the limits swap (a larger drift is a smaller HR).
        """
        d, r = float(max_events), float(allocation_ratio)
        if not (d > 0 and r > 0):
            raise InputError("max_events and allocation_ratio must be > 0")
        s = (1.0 + r) / math.sqrt(r * d)
        return math.exp(-self.median_unbiased * s), math.exp(-self.upper * s), math.exp(-self.lower * s)

    def to_frame(self) -> pd.DataFrame:
        """One row: look, z, p-value, median-unbiased drift and confidence limits."""
        return pd.DataFrame(
            {
                "look": [self.look],
                "z": [self.z],
                "p_value": [self.p_value],
                "median_unbiased_drift": [self.median_unbiased],
                "lower": [self.lower],
                "upper": [self.upper],
                "level": [self.level],
            }
        )

    def __repr__(self) -> str:
        return (
            f"StagewiseInference(look {self.look}, z={self.z:.4g}): p = {self.p_value:.4g}, "
            f"median-unbiased drift {self.median_unbiased:.4g} ({self.level:g} CI {self.lower:.4g}, {self.upper:.4g})"
        )


def stagewise_inference(design: GroupSequentialDesign, z: float, look: int, level: float = 0.95) -> StagewiseInference:
    """Adjusted p-value, median-unbiased estimate and confidence interval by stage-wise ordering.

    Parameters
    ----------
    design : GroupSequentialDesign
        The design as carried out (updated to the observed fractions with :func:`update_design`).
    z : float
        z-statistic at the stopping look (positive favours the experimental arm).
    look : int
        1-based look at which the trial stopped.
    level : float
        Two-sided confidence level of the interval for the drift.

    Returns
    -------
    StagewiseInference

    Notes
    -----
    Stage-wise (Armitage-Fairbanks-Tsiatis) ordering: stopping earlier for efficacy is more
    extreme; at the same look a larger z is. P_theta(more extreme than (k, z)) =
    sum_{j<k} P_theta(cross upper at j) + P_theta(reach k, Z_k >= z). The p-value is its value
    under H0; the median-unbiased estimate solves it = 1/2; the limits solve it = (1 -+ level)/2
    (Jennison & Turnbull 2000, section 8.4). Futility bounds enter only if they are binding (the
    non-binding convention that the trial might have continued). Two-sided designs use the
    continuation regions |Z_j| < c_j and the direction of ``z``.

    References
    ----------
    Tsiatis AA, Rosner GL, Mehta CR (1984). Exact confidence intervals following a group
    sequential test. Biometrics 40:797-803. Jennison & Turnbull (2000), ch. 8.

    Examples
    --------
    >>> from survtrial.design import group_sequential
    >>> d = group_sequential(k=3, alpha=0.025)
    >>> res = stagewise_inference(d, z=2.8, look=2)
    >>> round(res.p_value, 5)
    0.00261
    """
    if not isinstance(design, GroupSequentialDesign):
        raise InputError(f"design: expected a GroupSequentialDesign, got {type(design).__name__}")
    if isinstance(look, bool) or not isinstance(look, (int, np.integer)) or not 1 <= look <= design.k:
        raise InputError(f"look: must be 1..{design.k}, got {look!r}")
    try:
        zz, lev = float(z), float(level)
    except (TypeError, ValueError):
        raise InputError(f"z and level must be numbers, got {z!r}, {level!r}") from None
    if not math.isfinite(zz):
        raise InputError(f"z: must be finite, got {z!r}")
    if not 0.0 < lev < 1.0:
        raise InputError(f"level: must be in (0, 1), got {level!r}")
    sign = -1.0 if (design.sided == 2 and zz < 0) else 1.0
    t = design.information_fractions[:look]
    upper = design.upper[:look].copy()
    upper[-1] = sign * zz
    if design.sided == 2:
        lower = -upper
        lower[-1] = -np.inf
    elif design.binding_futility:
        lower = design.lower[:look].copy()
        lower[-1] = -np.inf
    else:
        lower = np.full(look, -np.inf)

    def more_extreme(drift: float) -> float:  # drift in the direction of z (flipped when sign < 0)
        return float(rec.crossing(lower, upper, t, drift)[0].sum())

    p = more_extreme(0.0)
    if design.sided == 2:
        p = min(1.0, 2.0 * p)
    centre, span = sign * zz / math.sqrt(t[-1]), 12.0 / math.sqrt(t[-1])

    def solve(prob: float) -> float:
        return brentq(lambda x: more_extreme(x) - prob, centre - span, centre + span, xtol=1e-10)

    estimate, low, high = solve(0.5), solve((1.0 - lev) / 2.0), solve((1.0 + lev) / 2.0)
    if sign < 0:
        estimate, low, high = -estimate, -high, -low
    return StagewiseInference(
        look=int(look),
        z=zz,
        p_value=p,
        median_unbiased=estimate,
        lower=low,
        upper=high,
        level=lev,
    )
