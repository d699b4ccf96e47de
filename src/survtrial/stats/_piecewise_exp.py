"""Piecewise-exponential closed forms: cumulative hazard, survival, restricted mean, and the Cox limit."""

from __future__ import annotations

import numpy as np

__all__ = ["cox_limit", "cumulative_hazard", "restricted_mean", "survival"]


def cumulative_hazard(breaks: np.ndarray, rates: np.ndarray, t: np.ndarray) -> np.ndarray:
    """H(t) for hazards ``rates[j]`` on ``[breaks[j], breaks[j+1])`` (the last piece open-ended)."""
    t = np.asarray(t, dtype=float)
    lengths = np.diff(breaks)
    cum = np.concatenate([[0.0], np.cumsum(rates[:-1] * lengths)])
    j = np.clip(np.searchsorted(breaks, t, side="right") - 1, 0, breaks.size - 1)
    return cum[j] + rates[j] * (t - breaks[j])


def survival(breaks: np.ndarray, rates: np.ndarray, t: np.ndarray) -> np.ndarray:
    """S(t) = exp(-H(t))."""
    return np.exp(-cumulative_hazard(breaks, rates, t))


def restricted_mean(breaks: np.ndarray, rates: np.ndarray, tau: float) -> float:
    """int_0^tau S(t) dt, exactly: per piece S(a) (1 - exp(-rate len)) / rate (S(a) len when rate = 0)."""
    edges = np.append(breaks[breaks < tau], tau)
    a, length = edges[:-1], np.diff(edges)
    lam = rates[: a.size]
    s_a = survival(breaks, rates, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(lam > 0, -np.expm1(-lam * length) / lam, length)
    return float(np.sum(s_a * part))


def _grid(breaks: np.ndarray, horizon: float, extra: np.ndarray, per_piece: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, horizon], split at every break and censoring knot."""
    knots = np.unique(np.concatenate([[0.0, horizon], breaks[(breaks > 0) & (breaks < horizon)],
                                      extra[(extra > 0) & (extra < horizon)]]))
    x, w = np.polynomial.legendre.leggauss(per_piece)
    a, b = knots[:-1, None], knots[1:, None]
    return ((a + b) / 2 + (b - a) / 2 * x).ravel(), ((b - a) / 2 * w).ravel()


def cox_limit(
    breaks: np.ndarray,
    rates_reference: np.ndarray,
    rates_other: np.ndarray,
    *,
    horizon: float,
    ratio: float = 1.0,
    censoring: tuple[np.ndarray, np.ndarray] | None = None,
    dropout: float = 0.0,
) -> float:
    """The log hazard ratio a Cox model converges to when the hazards are not proportional.

    Solves ``U(b) = int_0^horizon G(t) p0 S0 p1 S1 (l1 - e^b l0) / (p0 S0 + p1 S1 e^b) dt = 0`` (the
    limit of the score of the partial likelihood; Struthers & Kalbfleisch 1986), with arm shares
    ``p1 / p0 = ratio``, ``G`` the probability of still being followed (``censoring`` given as knots
    and values, linear between, 1 before the first knot; times an exponential ``dropout``).
    """
    knots = np.empty(0) if censoring is None else np.asarray(censoring[0], dtype=float)
    t, w = _grid(breaks, horizon, knots)
    g = np.ones_like(t) if censoring is None else np.interp(t, censoring[0], censoring[1], left=1.0, right=0.0)
    g = g * np.exp(-dropout * t)
    p0, p1 = 1.0 / (1.0 + ratio), ratio / (1.0 + ratio)
    j = np.clip(np.searchsorted(breaks, t, side="right") - 1, 0, breaks.size - 1)
    l0, l1 = rates_reference[j], rates_other[j]
    y0 = p0 * survival(breaks, rates_reference, t)
    y1 = p1 * survival(breaks, rates_other, t)
    ww = w * g

    def score(b: float) -> float:
        eb = np.exp(b)
        return float(np.sum(ww * y0 * y1 * (l1 - eb * l0) / (y0 + y1 * eb)))

    lo, hi = -1.0, 1.0
    while score(lo) < 0:
        lo *= 2
        if lo < -60:
            return -np.inf
    while score(hi) > 0:
        hi *= 2
        if hi > 60:
            return np.inf
    from scipy import optimize  # here: scipy.optimize is slow to import and most readers never solve

    return float(optimize.brentq(score, lo, hi, xtol=1e-13, rtol=1e-13))
