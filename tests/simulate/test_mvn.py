"""The engine's normal probabilities for MaxCombo p-values against scipy, one-dimensional integrals and Monte-Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import ndtr

from survtrial.simulate import _mvn


def test_bivariate_normal_equals_scipy():
    # scipy's two-dimensional normal CDF is Genz's bvnd (about 1e-15); the engine's uses fewer
    # points where the correlation is high, documented to 3e-11
    rng = np.random.default_rng(3)
    for _ in range(200):
        h, k = rng.uniform(-5, 5, 2)
        r = rng.uniform(-0.999, 0.999)
        want = stats.multivariate_normal.cdf([h, k], cov=[[1, r], [r, 1]], abseps=1e-14, releps=1e-14)
        assert _mvn.bvn_lower(h, k, r) == pytest.approx(want, abs=3e-11)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_independent_and_equicorrelated(m):
    work = np.empty((2 * m, m))
    for b in (-1.5, 0.3, 2.0, 3.5):
        assert _mvn.below(b, np.eye(m), m, work) == pytest.approx(ndtr(b) ** m, abs=1e-12)
        for rho in (0.3, 0.8, 0.97):
            R = np.full((m, m), rho)
            np.fill_diagonal(R, 1.0)
            s, c = math.sqrt(rho), math.sqrt(1 - rho)
            want = integrate.quad(lambda x, b=b, s=s, c=c: stats.norm.pdf(x) * ndtr((b - s * x) / c) ** m,
                                  -12, 12, points=[b / s], epsabs=1e-13, limit=200)[0]
            # equicorrelated: F(b; R0) alone (documented error below 2e-8)
            assert _mvn.below(b, R, m, work) == pytest.approx(want, abs=2e-8)


def _weighted_logrank_correlation(seed: int, m: int) -> np.ndarray:
    """The correlation of FH(0,0), FH(0,0.5), FH(0.5,0), FH(0.5,0.5) scores of one random two-arm sample."""
    rng = np.random.default_rng(seed)
    n = 300
    t = np.minimum(rng.exponential(1, n), rng.uniform(0, 2, n))
    ev = rng.random(n) < 0.8
    x = rng.integers(0, 2, n)
    o = np.argsort(t)
    ev, x = ev[o], x[o]
    nr = np.arange(n, 0, -1)
    n1 = np.cumsum(x[::-1])[::-1]
    d = ev.astype(float)
    s_left = np.concatenate([[1.0], np.cumprod(1 - d / nr)[:-1]])
    v = d * n1 * (nr - n1) / nr**2
    w = np.array([s_left**a * (1 - s_left) ** b for a, b in [(0, 0), (0, 0.5), (0.5, 0), (0.5, 0.5)]])[:m]
    c = (w * v) @ w.T
    return c / np.sqrt(np.outer(np.diag(c), np.diag(c)))


@pytest.mark.parametrize("m", [3, 4])
def test_weighted_logrank_correlations_against_monte_carlo(m):
    # correlations of 0.85-0.99, as MaxCombo's: 2 x 10^6 draws of the normal vector
    R = _weighted_logrank_correlation(1, m)
    rng = np.random.default_rng(7)
    draws = 2_000_000
    mx = (rng.standard_normal((draws, m)) @ np.linalg.cholesky(R).T).max(axis=1)
    work = np.empty((2 * m, m))
    for b in (-0.5, 0.5, 1.5, 2.5):
        p = float(np.mean(mx <= b))
        se = math.sqrt(p * (1 - p) / draws)
        assert abs(_mvn.below(b, R, m, work) - p) <= 4 * se


def test_moderate_correlations_against_scipy():
    # scipy's quasi-Monte-Carlo (Genz-Bretz) converges quickly for moderate correlations
    rng = np.random.default_rng(11)
    work = np.empty((8, 4))
    for _ in range(4):
        a = rng.normal(size=(4, 6))
        c = a @ a.T
        R = c / np.sqrt(np.outer(np.diag(c), np.diag(c)))
        for b in (0.0, 1.2):
            want = stats.multivariate_normal.cdf(np.full(4, b), cov=R, abseps=1e-7, releps=0, rng=1)
            assert _mvn.below(b, R, 4, work) == pytest.approx(want, abs=1e-5)  # the documented accuracy
