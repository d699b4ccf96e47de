"""Number needed to treat with Altman's confidence-interval convention (NNTB / NNTH)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from survtrial.errors import InputError

__all__ = ["NumberNeededToTreat", "number_needed_to_treat"]


def _inv(scale: float, d: float) -> float:
    return math.inf if d == 0 else scale / abs(d)


@dataclass(frozen=True)
class NumberNeededToTreat:
    """NNT from a risk difference and its confidence interval.

    ``estimate`` is signed: positive = number needed to treat to benefit (NNTB), negative =
    number needed to treat to harm (NNTH), infinite when the difference is 0. ``benefit_bound`` is
    the smallest NNTB inside the interval (None if the interval has no benefit side) and
    ``harm_bound`` the smallest NNTH (None if it has no harm side). When the difference interval
    crosses zero the NNT interval is not one interval but "NNTH harm_bound to infinity to NNTB
    benefit_bound" (Altman 1998); otherwise it is [near, far] on one side (``far`` may be
    infinite when a limit is exactly 0).
    """

    estimate: float
    difference: float
    difference_ci: tuple[float, float]
    level: float
    scale: float
    benefit_bound: float | None
    harm_bound: float | None
    far_bound: float  # the other end when the interval does not cross zero (inf if it does)

    @property
    def crosses_zero(self) -> bool:
        return self.benefit_bound is not None and self.harm_bound is not None

    @property
    def kind(self) -> str:
        """"benefit" (NNTB), "harm" (NNTH) or "none" (difference exactly 0)."""
        return "benefit" if self.difference > 0 else "harm" if self.difference < 0 else "none"

    def interval(self) -> tuple[float, float]:
        """Signed NNT limits (+ NNTB, - NNTH): (near, far) on one side, or (-NNTH, +NNTB) when the
        difference interval crosses zero (the NNT interval then runs through infinity)."""
        if self.crosses_zero:
            return (-float(self.harm_bound), float(self.benefit_bound))  # type: ignore[arg-type]
        if self.benefit_bound is not None:
            return (self.benefit_bound, self.far_bound)
        return (-float(self.harm_bound), -self.far_bound)  # type: ignore[arg-type]

    def __str__(self) -> str:
        pct = f"{self.level * 100:g}% CI"
        name = {"benefit": "NNTB", "harm": "NNTH", "none": "NNT"}[self.kind]
        head = f"{name} {_num(abs(self.estimate))}"
        if self.crosses_zero:
            return f"{head} ({pct} NNTH {_num(self.harm_bound)} to \u221e to NNTB {_num(self.benefit_bound)})"
        near = self.benefit_bound if self.benefit_bound is not None else self.harm_bound
        side = "NNTB" if self.benefit_bound is not None else "NNTH"
        return f"{head} ({pct} {side} {_num(near)} to {_num(self.far_bound)})"

    def __repr__(self) -> str:
        return f"NumberNeededToTreat({self})"


def _num(x: float | None) -> str:
    if x is None or math.isinf(x):
        return "\u221e"
    return f"{x:.1f}"


def number_needed_to_treat(
    difference: float, lower: float, upper: float, *, level: float = 0.95, scale: float = 100.0
) -> NumberNeededToTreat:
    """NNT = scale / difference with the interval obtained by inverting the difference's interval.

    Parameters
    ----------
    difference : float
        Absolute benefit (e.g. DFS with treatment minus DFS without), positive = benefit.
    lower, upper : float
        Confidence limits of the difference.
    level : float
        Their confidence level (for display).
    scale : float
        100 when differences are percentage points, 1 for proportions.

    Returns
    -------
    NumberNeededToTreat

    Notes
    -----
    Follows Altman (BMJ 1998): when the difference interval excludes zero the NNT limits are
    scale/upper and scale/lower on the same side; when it includes zero the NNT interval is
    "NNTH scale/|lower| to infinity to NNTB scale/upper".

    References
    ----------
    Altman DG. Confidence intervals for the number needed to treat. BMJ 1998;317:1309-1312.

    Examples
    --------
    >>> print(number_needed_to_treat(10.0, -2.5, 22.5))
    NNTB 10.0 (95% CI NNTH 40.0 to ∞ to NNTB 4.4)
    """
    vals = (difference, lower, upper)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in vals):
        raise InputError(f"difference and limits must be finite numbers, got {vals}")
    if not lower <= difference <= upper:
        raise InputError(f"expected lower <= difference <= upper, got {lower} <= {difference} <= {upper}")
    if scale <= 0:
        raise InputError(f"scale={scale!r}: must be > 0 (100 for percentage points, 1 for proportions)")
    est = math.inf if difference == 0 else scale / difference
    benefit = _inv(scale, upper) if upper > 0 else None
    harm = _inv(scale, lower) if lower < 0 else None
    if benefit is not None and harm is not None:
        far = math.inf
    elif benefit is not None:
        far = _inv(scale, lower)  # lower >= 0: inf when exactly 0
    elif harm is not None:
        far = _inv(scale, upper)
    else:  # difference interval is exactly [0, 0]
        far = math.inf
    return NumberNeededToTreat(
        estimate=est,
        difference=float(difference),
        difference_ci=(float(lower), float(upper)),
        level=level,
        scale=scale,
        benefit_bound=benefit,
        harm_bound=harm,
        far_bound=far,
    )
