"""Group-sequential bounds and crossing probabilities for a non-constant effect (the NPE model of gsDesign2).

At look k the statistic Z_k estimates the effect theta_k (> 0 favours the experimental arm) and is
standardised by its own (observed) variance, as the log-rank and weighted log-rank z are. Under H0,
Z is canonical on the H0 information I0: Cov(Z_j, Z_k) = sqrt(I0_j / I0_k); efficacy bounds spend
alpha there. Under the alternative Z is canonical on the alternative's information I1, with
E[Z_k] = theta_k sqrt(I1_k) and variance 1; the score S_k = Z_k sqrt(I1_k) has independent
increments, and the recursion is that of ``_recursion`` with the drift of each step
(theta_k I1_k - theta_{k-1} I1_{k-1}) / (I1_k - I1_{k-1}). With a constant theta and I1 = I0 this is
the canonical model of ``group_sequential``. ``info_scale="h0"`` / ``"h1"`` use one of I0, I1 for both.

``convention="gsdesign2"`` reproduces gsDesign2 1.1.8's ``gs_power_npe``, which in addition
multiplies the first look's bounds by sqrt(I1 / I0) in that look's crossing probabilities under
the alternative (its vignette's Var(Z | H1) = I0 / I1, applied at the first look only). The two
agree when I1 = I0. Simulations of log-rank and FH(0, 0.5) designs (tests/design) agree with this
model; applying the variance ratio I0 / I1 at every look overstated their power by 1-2 points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from survtrial.design import _recursion as rec
from survtrial.design import _solve as sol
from survtrial.design.spending import SpendingFunction
from survtrial.errors import InputError

INFO_SCALES = ("h0_h1", "h0", "h1")


@dataclass(frozen=True)
class BoundSpec:
    """How bounds are obtained. ``efficacy`` / ``futility``: fixed z bounds (NaN: from spending)."""

    alpha: float
    sided: int
    alpha_spending: SpendingFunction | None
    efficacy: np.ndarray | None
    beta: float
    beta_spending: SpendingFunction | None
    futility: np.ndarray | None
    futility_under: str  # "h1" (beta spending under the alternative) or "h0"
    binding: bool
    efficacy_times: np.ndarray | None = None
    futility_times: np.ndarray | None = None


@dataclass(frozen=True)
class Boundaries:
    upper: np.ndarray
    lower: np.ndarray
    upper_h1: np.ndarray
    lower_h1: np.ndarray
    upper_h0: np.ndarray
    lower_h0: np.ndarray
    alpha_spent: np.ndarray  # cumulative type I error under H0 (non-binding: ignoring futility)
    efficacy_times: np.ndarray
    futility_times: np.ndarray


def scale_information(info0: np.ndarray, info1: np.ndarray, info_scale: str) -> tuple[np.ndarray, np.ndarray]:
    """(I0, I1) used by the model: ``h0`` takes I1 = I0 (local alternatives), ``h1`` takes I0 = I1."""
    if info_scale == "h0":
        return info0, info0
    if info_scale == "h1":
        return info1, info1
    return info0, info1


def _steps(theta: np.ndarray, info: np.ndarray) -> np.ndarray:
    """Drift of each step of the score process S_k = theta_k I_k (independent increments)."""
    score = theta * info
    return np.diff(np.concatenate([[0.0], score])) / np.diff(np.concatenate([[0.0], info]))


class _H1Walk:
    """The alternative's sub-density, look by look, with bounds given on the Z scale."""

    def __init__(self, theta: np.ndarray, i0: np.ndarray, i1: np.ndarray, convention: str) -> None:
        self.theta, self.i1 = theta, i1
        self.step = _steps(theta, i1)
        self.ratio = np.sqrt(i1 / i0)
        self.convention = convention
        self.state = rec.start()

    def scale(self, k: int, probability: bool) -> float:
        """Factor from a bound on Z to the bound on the alternative's canonical scale."""
        if self.convention == "gsdesign2" and probability and k == 0:
            return float(self.ratio[k])
        return 1.0

    def upper(self, k: int, c: float) -> float:
        return rec.upper_tail(self.state, c * self.scale(k, True), self.i1[k], self.step[k])

    def lower(self, k: int, c: float) -> float:
        return rec.lower_tail(self.state, c * self.scale(k, True), self.i1[k], self.step[k])

    def solve_lower(self, k: int, target: float) -> float:
        c = rec.solve_lower(self.state, target, self.i1[k], self.step[k])
        return c / self.scale(k, False) if np.isfinite(c) else c

    def advance(self, k: int, lo: float, hi: float) -> None:
        if k + 1 < self.i1.size:
            s = self.scale(k, False)
            self.state = rec.advance(
                self.state, lo * s, hi * s, self.i1[k], self.step[k], self.i1[k + 1],
                center=self.theta[k] * math.sqrt(self.i1[k]),
            )


def _upper_z(state: rec.State, target: float, info: float, sided: int) -> float:
    if sided == 2:
        return sol._solve_alpha(state, 2, info, target)
    return rec.solve_upper(state, target, info, 0.0)


def _h0_tail(state: rec.State, c: float, info: float, sided: int) -> float:
    p = rec.upper_tail(state, c, info, 0.0)
    return p + (rec.lower_tail(state, -c, info, 0.0) if sided == 2 else 0.0)


def efficacy_bounds(i0: np.ndarray, spec: BoundSpec, lower: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Efficacy bounds under H0 and the alpha crossed per look (``lower``: binding futility, or None)."""
    k = i0.size
    times = spec.efficacy_times if spec.efficacy_times is not None else i0 / i0[-1]
    cum = spec.alpha_spending(times, spec.alpha, spec.sided) if spec.alpha_spending is not None else None
    upper, crossed = np.empty(k), np.zeros(k)
    state, spent = rec.start(), 0.0
    for j in range(k):
        fixed = None if spec.efficacy is None else spec.efficacy[j]
        if fixed is not None and not np.isnan(fixed):
            upper[j] = fixed
        else:
            upper[j] = _upper_z(state, max(cum[j] - spent, 0.0), i0[j], spec.sided)
        crossed[j] = _h0_tail(state, upper[j], i0[j], spec.sided)
        spent += crossed[j]
        if j < k - 1:
            lo = -upper[j] if spec.sided == 2 else (-np.inf if lower is None else lower[j])
            state = rec.advance(state, lo, upper[j], i0[j], 0.0, i0[j + 1])
    return upper, crossed


def _futility_times(spec: BoundSpec, i0: np.ndarray, i1: np.ndarray) -> np.ndarray:
    if spec.futility_times is not None:
        return spec.futility_times
    return i1 / i1[-1] if spec.futility_under == "h1" else i0 / i0[-1]


def solve(theta: np.ndarray, i0: np.ndarray, i1: np.ndarray, spec: BoundSpec, convention: str = "survtrial",
          upper: np.ndarray | None = None) -> Boundaries:
    """Bounds (efficacy under H0, futility by beta spending or fixed) and crossing probabilities."""
    k = i0.size
    if upper is None or spec.binding:
        upper = None if spec.binding else efficacy_bounds(i0, spec, None)[0]
    f_times = _futility_times(spec, i0, i1)
    cum_b = spec.beta_spending(f_times, spec.beta) if spec.beta_spending is not None else None
    walk = _H1Walk(theta, i0, i1, convention)
    s0 = rec.start()  # H0, following the bounds (for binding efficacy and H0-spent futility)
    up_b = np.empty(k) if upper is None else upper.copy()
    low = np.full(k, -np.inf)
    cum_a = None
    if upper is None:
        e_times = spec.efficacy_times if spec.efficacy_times is not None else i0 / i0[-1]
        cum_a = spec.alpha_spending(e_times, spec.alpha, spec.sided) if spec.alpha_spending is not None else None
    a_spent = b_spent = 0.0
    for j in range(k):
        if upper is None:  # binding futility: efficacy solved allowing for the futility stops
            fixed = None if spec.efficacy is None else spec.efficacy[j]
            if fixed is not None and not np.isnan(fixed):
                up_b[j] = fixed
            else:
                up_b[j] = _upper_z(s0, max(cum_a[j] - a_spent, 0.0), i0[j], spec.sided)
            a_spent += _h0_tail(s0, up_b[j], i0[j], spec.sided)
        fixed_low = None if spec.futility is None else spec.futility[j]
        if spec.sided == 2:
            low[j] = -up_b[j]
        elif fixed_low is not None and not np.isnan(fixed_low):
            low[j] = min(fixed_low, up_b[j])
        elif cum_b is not None:
            target = max(cum_b[j] - b_spent, 0.0)
            if j == k - 1 and convention != "gsdesign2":
                low[j] = up_b[j]  # the last look: not rejecting is failing
            elif spec.futility_under == "h1":
                low[j] = min(walk.solve_lower(j, target), up_b[j])
            else:
                low[j] = min(rec.solve_lower(s0, target, i0[j], 0.0), up_b[j])
            if convention == "gsdesign2":  # gsDesign2 spends the increment of the spending function
                b_spent = cum_b[j]
            elif spec.futility_under == "h1":
                b_spent += walk.lower(j, low[j])
            else:
                b_spent += rec.lower_tail(s0, low[j], i0[j], 0.0)
        walk.advance(j, low[j], up_b[j])
        if j < k - 1:
            s0 = rec.advance(s0, low[j], up_b[j], i0[j], 0.0, i0[j + 1])
    return finish(theta, i0, i1, up_b, low, spec, convention, f_times)


def finish(theta: np.ndarray, i0: np.ndarray, i1: np.ndarray, upper: np.ndarray, lower: np.ndarray,
           spec: BoundSpec, convention: str, f_times: np.ndarray | None = None) -> Boundaries:
    """Crossing probabilities of given bounds under H1 and H0, and the alpha spent."""
    k = i0.size
    up1, low1 = np.zeros(k), np.zeros(k)
    walk = _H1Walk(theta, i0, i1, convention)
    for j in range(k):
        up1[j] = walk.upper(j, upper[j])
        low1[j] = walk.lower(j, lower[j])
        walk.advance(j, lower[j], upper[j])
    up0, low0 = rec.crossing(lower, upper, i0, 0.0)
    if spec.binding or spec.sided == 2:
        alpha = up0 + (low0 if spec.sided == 2 else 0.0)
    else:
        alpha = rec.crossing(np.full(k, -np.inf), upper, i0, 0.0)[0]
    e_times = spec.efficacy_times if spec.efficacy_times is not None else i0 / i0[-1]
    return Boundaries(upper, lower, up1, low1, up0, low0, np.cumsum(alpha), e_times,
                      f_times if f_times is not None else _futility_times(spec, i0, i1))


def check_information(i0: np.ndarray, i1: np.ndarray, what: str = "looks") -> None:
    for name, info in (("H0", i0), ("H1", i1)):
        if not np.all(np.isfinite(info)) or np.any(info <= 0):
            j = int(np.flatnonzero(~(np.isfinite(info) & (info > 0)))[0])
            raise InputError(f"{what}: look {j + 1} has no information under {name} (no expected events by then)")
        if np.any(np.diff(info) <= 0):
            j = int(np.flatnonzero(np.diff(info) <= 0)[0])
            raise InputError(
                f"{what}: looks {j + 1} and {j + 2} have the same or decreasing information under {name}; "
                "each look needs more events than the one before"
            )


def design_scale(theta: np.ndarray, i0: np.ndarray, i1: np.ndarray, spec: BoundSpec,
                 convention: str = "survtrial") -> tuple[float, Boundaries]:
    """Information multiplier c (sample size relative to the given tables) with power 1 - beta."""
    check_information(i0, i1)
    if theta[-1] <= 0:
        raise InputError(
            f"the effect at the final look is not in favour of the experimental arm (theta {theta[-1]:.4g}, "
            "hazard ratio >= 1): no sample size gives the power"
        )
    upper = None if spec.binding else efficacy_bounds(i0, spec, None)[0]
    z_a = float(ndtri(1 - spec.alpha / spec.sided))
    z_b = float(ndtri(1 - spec.beta))
    guess = (z_a * math.sqrt(i1[-1] / i0[-1]) + z_b) / (theta[-1] * math.sqrt(i1[-1]))
    last: dict[str, Boundaries] = {}

    def excess(x: float) -> float:
        c = x * x
        b = solve(theta, i0 * c, i1 * c, spec, convention, upper)
        last["b"] = b
        return (1.0 - float(b.upper_h1.sum())) - spec.beta

    x = sol.solve_drift(excess, guess)
    c = x * x
    return c, solve(theta, i0 * c, i1 * c, spec, convention, upper)
