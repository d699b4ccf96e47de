"""Recursive numerical integration of group-sequential z-statistics (Armitage-McPherson-Rowe; Jennison-Turnbull ch. 19).

Canonical joint distribution: Z_k = S_k / sqrt(I_k) with S_k a Brownian motion with drift theta in
information time, so E[Z_k] = theta sqrt(I_k), Cov(Z_j, Z_k) = sqrt(I_j / I_k) for j <= k.

A :class:`State` holds the sub-density of Z_k over the continuation region, already multiplied by
quadrature weights, so that integrals over it are dot products. The recursion is Jennison &
Turnbull's (2000, section 19.2); the quadrature is composite Gauss-Legendre (8 nodes per panel of
width 1.5 standard deviations, over mean +- 8.5 sd, panel edges at the bounds) instead of their
Simpson grid: for the same accuracy it needs about a quarter of the points, and it stays accurate
when a bound lies in the tail, where the Simpson grid is log-spaced (the O'Brien-Fleming case).
When consecutive looks are close the transition kernel is narrower than the marginal density,
so the panels shrink by the kernel's width (refinement capped at 10x).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)
PANEL = 1.5  # panel width in standard deviations of Z (scaled down for close looks)
_HALF_RANGE = 8.5  # the grid spans mean +- 8.5 sd (outside mass < 2e-17)
_MAX_REFINE = 10.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_BRACKET = (-40.0, 40.0)


@dataclass(frozen=True)
class State:
    """Sub-density of Z at information ``info`` on grid ``z``; ``wh`` = quadrature weight * density.

    ``origin`` = (information, score) of the point the paths started from (0, 0 at the trial start).
    """

    z: np.ndarray
    wh: np.ndarray
    info: float
    origin: tuple[float, float] = (0.0, 0.0)

    @property
    def mass(self) -> float:
        """Probability of having continued up to this look."""
        return float(self.wh.sum())


def start(info: float = 0.0, z: float = 0.0) -> State:
    """Point mass: Z = ``z`` at information ``info`` (``info=0`` is the start of the trial)."""
    score = float(z) * math.sqrt(info)
    return State(np.array([float(z)]), np.array([1.0]), float(info), (float(info), score))


def _grid(mean: float, sd: float, lo: float, hi: float, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes and weights on [lo, hi] intersected with mean +- 8.5 sd."""
    a = max(lo, mean - _HALF_RANGE * sd)
    b = min(hi, mean + _HALF_RANGE * sd)
    if not b > a:
        return np.empty(0), np.empty(0)
    n = max(1, math.ceil((b - a) / width))
    half = 0.5 * (b - a) / n
    mid = a + half * (2.0 * np.arange(n) + 1.0)
    z = (mid[:, None] + half * _NODES[None, :]).ravel()
    return z, np.tile(half * _WEIGHTS, n)


def _means(state: State, info: float, theta: float) -> tuple[np.ndarray, float]:
    """Mean of the next score S given each grid point, and the sd of the increment."""
    d = info - state.info
    return state.z * math.sqrt(state.info) + theta * d, math.sqrt(d)


def upper_tail(state: State, c: float, info: float, theta: float) -> float:
    """P(continued so far and Z >= c at information ``info``)."""
    if c == np.inf or state.z.size == 0:
        return 0.0
    m, sd = _means(state, info, theta)
    return float(state.wh @ ndtr((m - c * math.sqrt(info)) / sd))


def lower_tail(state: State, c: float, info: float, theta: float) -> float:
    """P(continued so far and Z < c at information ``info``)."""
    if c == -np.inf or state.z.size == 0:
        return 0.0
    m, sd = _means(state, info, theta)
    return float(state.wh @ ndtr((c * math.sqrt(info) - m) / sd))


def advance(
    state: State,
    lo: float,
    hi: float,
    info: float,
    theta: float,
    next_info: float | None = None,
    center: float | None = None,
) -> State:
    """Sub-density of Z at ``info`` restricted to the continuation interval (lo, hi).

    ``theta`` is the drift of this step (score mean increment per unit information); the grid is
    centred on the marginal mean of Z, (score at the origin + theta * information since) / sqrt(info),
    unless ``center`` gives that mean (when the drift changed from step to step).
    """
    d = info - state.info
    i0, s0 = state.origin
    span = info - i0
    sd = math.sqrt(span / info)  # marginal sd of Z given the origin
    mean = (s0 + theta * span) / math.sqrt(info) if center is None else float(center)
    ratio = d / info
    if next_info is not None:
        ratio = min(ratio, (next_info - info) / info)
    z, w = _grid(mean, sd, lo, hi, PANEL * max(min(math.sqrt(ratio), sd), sd / _MAX_REFINE))
    if z.size == 0 or state.z.size == 0:
        return State(np.empty(0), np.empty(0), info, state.origin)
    m, ksd = _means(state, info, theta)
    arg = (z[:, None] * math.sqrt(info) - m[None, :]) / ksd
    dens = np.exp(-0.5 * arg * arg) @ state.wh
    return State(z, w * dens * (math.sqrt(info) / (ksd * _SQRT_2PI)), info, state.origin)


def crossing(
    lower: np.ndarray,
    upper: np.ndarray,
    info: np.ndarray,
    theta: float,
    origin: State | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-look probabilities of first crossing the upper and the lower bound."""
    state = origin if origin is not None else start()
    k = len(info)
    up, low = np.zeros(k), np.zeros(k)
    for j in range(k):
        up[j] = upper_tail(state, upper[j], info[j], theta)
        low[j] = lower_tail(state, lower[j], info[j], theta)
        if j < k - 1:
            state = advance(state, lower[j], upper[j], info[j], theta, info[j + 1])
    return up, low


def solve_upper(state: State, target: float, info: float, theta: float, guess: float | None = None) -> float:
    """z with P(continued, Z >= z) == target at ``info``; +inf when nothing is to be spent."""
    if target <= 1e-300:
        return np.inf
    if target >= state.mass:
        return _BRACKET[0]
    return _newton(state, target, info, theta, guess, upper=True)


def solve_lower(state: State, target: float, info: float, theta: float, guess: float | None = None) -> float:
    """z with P(continued, Z < z) == target at ``info``; -inf when nothing is to be spent."""
    if target <= 1e-300:
        return -np.inf
    if target >= state.mass:
        return _BRACKET[1]
    return _newton(state, target, info, theta, guess, upper=False)


def _newton(state: State, target: float, info: float, theta: float, guess: float | None, upper: bool) -> float:
    """Safeguarded Newton iteration on log(tail(z)) - log(target), keeping a sign bracket."""
    m, sd = _means(state, info, theta)
    root_i = math.sqrt(info)
    sign = 1.0 if upper else -1.0
    # tail(z) = sum wh * Phi(sign * (m - z sqrt(I)) / sd); d tail / dz = -sign * sum wh * phi(.) sqrt(I) / sd
    if guess is None or not np.isfinite(guess):
        i0, s0 = state.origin
        mean, spread = (s0 + theta * (info - i0)) / root_i, math.sqrt((info - i0) / info)
        guess = mean + sign * spread * float(ndtri(1.0 - min(target / state.mass, 0.999999)))
    lo, hi = _BRACKET
    log_target = math.log(target)
    c = min(max(guess, lo), hi)
    for _ in range(100):
        x = sign * (m - c * root_i) / sd
        p = float(state.wh @ ndtr(x))
        if p <= 0.0:
            g, slope = -np.inf, 0.0
        else:
            g = math.log(p) - log_target
            slope = -sign * float(state.wh @ np.exp(-0.5 * x * x)) * root_i / (sd * _SQRT_2PI) / p
        if g == 0.0:
            return c
        # the tail decreases in z when upper, increases otherwise
        if (g > 0) == upper:
            lo = c
        else:
            hi = c
        step = -g / slope if slope != 0.0 and np.isfinite(g) else np.nan
        new = c + step
        if not (lo < new < hi) or not np.isfinite(new):
            new = 0.5 * (lo + hi)
        if abs(new - c) < 1e-13 * max(1.0, abs(c)) or hi - lo < 1e-13:
            return new
        c = new
    return c
