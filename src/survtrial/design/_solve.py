"""Solvers behind group_sequential: bounds from spending, classic Wang-Tsiatis constants, beta-spending drift."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from survtrial.design import _recursion as rec
from survtrial.errors import InputError


def _alpha_tail(state: rec.State, sided: int, info: float) -> Callable[[float], float]:
    if sided == 2:
        return lambda c: rec.upper_tail(state, c, info, 0.0) + rec.lower_tail(state, -c, info, 0.0)
    return lambda c: rec.upper_tail(state, c, info, 0.0)


def _solve_alpha(state: rec.State, sided: int, info: float, target: float) -> float:
    """Efficacy bound spending ``target`` at this look (two-sided: both tails together)."""
    if sided == 1:
        return rec.solve_upper(state, target, info, 0.0)
    # under H0 with symmetric bounds the two tails are equal; fixed-point steps absorb rounding
    c = rec.solve_upper(state, target / 2.0, info, 0.0)
    for _ in range(20):
        if not np.isfinite(c):
            break
        new = rec.solve_upper(state, target - rec.lower_tail(state, -c, info, 0.0), info, 0.0, c)
        if abs(new - c) < 1e-13:
            return new
        c = new
    return c


def efficacy_bounds(
    t: np.ndarray,
    cum_alpha: np.ndarray,
    sided: int,
    lower: np.ndarray | None = None,
    fixed_upper: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Efficacy bounds spending ``cum_alpha`` under H0; returns (upper, alpha actually crossed per look).

    ``lower`` are binding futility bounds (one-sided only); ``fixed_upper`` keeps non-NaN entries.
    """
    k = len(t)
    upper = np.empty(k)
    crossed = np.zeros(k)
    state = rec.start()
    spent = 0.0
    for j in range(k):
        tail = _alpha_tail(state, sided, t[j])
        if fixed_upper is not None and not np.isnan(fixed_upper[j]):
            upper[j] = fixed_upper[j]
        else:
            upper[j] = _solve_alpha(state, sided, t[j], cum_alpha[j] - spent)
        crossed[j] = tail(upper[j])
        spent += crossed[j]
        if j < k - 1:
            lo = -upper[j] if sided == 2 else (-np.inf if lower is None else lower[j])
            state = rec.advance(state, lo, upper[j], t[j], 0.0, t[j + 1])
    return upper, crossed


def futility_bounds(
    t: np.ndarray,
    upper: np.ndarray,
    cum_beta: np.ndarray,
    theta: float,
    fixed_lower: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Futility bounds spending ``cum_beta`` under drift ``theta``; returns (lower, total beta).

    The last futility bound equals the last efficacy bound; total beta is the probability under
    ``theta`` of stopping for futility or ending without rejecting H0.
    """
    k = len(t)
    lower = np.empty(k)
    state = rec.start()
    spent = 0.0
    for j in range(k - 1):
        if fixed_lower is not None and not np.isnan(fixed_lower[j]):
            lower[j] = fixed_lower[j]
        else:
            lower[j] = min(rec.solve_lower(state, cum_beta[j] - spent, t[j], theta), upper[j])
        spent += rec.lower_tail(state, lower[j], t[j], theta)
        state = rec.advance(state, lower[j], upper[j], t[j], theta, t[j + 1])
    lower[-1] = upper[-1]
    return lower, spent + rec.lower_tail(state, upper[-1], t[-1], theta)


def binding_bounds(
    t: np.ndarray,
    cum_alpha: np.ndarray,
    cum_beta: np.ndarray,
    theta: float,
    fixed_upper: np.ndarray | None = None,
    fixed_lower: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Efficacy and binding futility bounds solved look by look; returns (upper, lower, total beta)."""
    k = len(t)
    upper, lower = np.empty(k), np.empty(k)
    s0, s1 = rec.start(), rec.start()
    alpha, beta = 0.0, 0.0
    for j in range(k):
        if fixed_upper is not None and not np.isnan(fixed_upper[j]):
            upper[j] = fixed_upper[j]
        else:
            upper[j] = rec.solve_upper(s0, cum_alpha[j] - alpha, t[j], 0.0)
        alpha += rec.upper_tail(s0, upper[j], t[j], 0.0)
        if j == k - 1:
            lower[j] = upper[j]
        elif fixed_lower is not None and not np.isnan(fixed_lower[j]):
            lower[j] = fixed_lower[j]
        else:
            lower[j] = min(rec.solve_lower(s1, cum_beta[j] - beta, t[j], theta), upper[j])
        beta += rec.lower_tail(s1, lower[j], t[j], theta)
        if j < k - 1:
            s0 = rec.advance(s0, lower[j], upper[j], t[j], 0.0, t[j + 1])
            s1 = rec.advance(s1, lower[j], upper[j], t[j], theta, t[j + 1])
    return upper, lower, beta


def classic_bounds(t: np.ndarray, alpha: float, sided: int, delta: float) -> np.ndarray:
    """Wang-Tsiatis bounds ``C * t**(delta - 1/2)`` with C so that the total alpha is ``alpha``.

    delta = 0 gives O'Brien-Fleming, delta = 1/2 Pocock (Jennison & Turnbull 2000, ch. 2).
    """
    shape = t ** (delta - 0.5)

    def excess(c: float) -> float:
        b = c * shape
        lo = -b if sided == 2 else np.full(len(t), -np.inf)
        up, low = rec.crossing(lo, b, t, 0.0)
        return up.sum() + (low.sum() if sided == 2 else 0.0) - alpha

    from scipy.optimize import brentq  # imported here: scipy.optimize is slow to import

    z = _z(alpha / sided)
    c = brentq(excess, z / shape.max(), (z + 3.0) / shape.min(), xtol=1e-13, rtol=1e-15)
    return c * shape


def power(t: np.ndarray, lower: np.ndarray, upper: np.ndarray, theta: float) -> float:
    """Probability of crossing the upper bound at some look under drift ``theta``."""
    return float(rec.crossing(lower, upper, t, theta)[0].sum())


def solve_drift(excess: Callable[[float], float], guess: float) -> float:
    """Root of a decreasing-in-drift function ``excess`` (e.g. beta(theta) - beta), bracketed near ``guess``.

    Bracket, then the Anderson-Bjorck variant of regula falsi (superlinear, never leaves the bracket).
    """
    a, b = guess, guess * 1.12
    fa, fb = excess(a), excess(b)
    for _ in range(200):
        if fa >= 0:
            break
        b, fb = a, fa
        a = a * 0.8
        fa = excess(a)
    for _ in range(200):
        if fb <= 0:
            break
        a, fa = b, fb
        b = b * 1.25
        fb = excess(b)
    if fa < 0 or fb > 0:
        raise InputError("beta: no drift attains power 1 - beta with these bounds; check alpha, beta and the spending")
    side = 0
    for _ in range(100):
        c = (a * fb - b * fa) / (fb - fa)
        if not (a < c < b):
            c = 0.5 * (a + b)
        fc = excess(c)
        if fc == 0.0 or b - a < 1e-12 * b or abs(fc) < 1e-14:
            return c
        if fc > 0:  # root above c
            if side == 1:
                m = 1.0 - fc / fa
                fb *= m if m > 0 else 0.5
            a, fa, side = c, fc, 1
        else:
            if side == -1:
                m = 1.0 - fc / fb
                fa *= m if m > 0 else 0.5
            b, fb, side = c, fc, -1
    return c


def _z(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(1.0 - p))


def fixed_drift(alpha: float, beta: float, sided: int) -> float:
    """Drift theta sqrt(I) of a single-look test with these alpha (per side) and beta."""
    return _z(alpha / sided) + _z(beta)


def expected_fraction(t: np.ndarray, up: np.ndarray, low: np.ndarray) -> float:
    """Expected information as a fraction of the maximum, given per-look stopping probabilities."""
    stop = up + low
    stop = np.append(stop[:-1], max(0.0, 1.0 - stop[:-1].sum()))
    return float(stop @ t)


__all__ = [
    "binding_bounds",
    "classic_bounds",
    "efficacy_bounds",
    "expected_fraction",
    "fixed_drift",
    "futility_bounds",
    "power",
    "solve_drift",
]
