"""Compiled (numba) normal probabilities for the MaxCombo test: P(Z_1..Z_m <= b) for m <= 4 correlated normals.

The one-sided p-value of a MaxCombo statistic (the largest of m weighted log-rank z's, their
correlation R estimated from the same trial) is ``1 - F(b; R)`` with ``F(b; R) = P(Z_i <= b for
all i)``, Z ~ N(0, R). simtrial and R mvtnorm compute F by Genz-Bretz quasi-Monte Carlo; here it
is computed by Plackett's identity along a path of correlation matrices, which reduces it to
one-dimensional integrals of bivariate normal probabilities (deterministic; absolute error below
1e-5 for the correlations of weighted log-rank tests, about 2e-7 for most and 6e-6 where two of
the z's are nearly the same (correlation 0.99997, as FH(0,0) and FH(0.5,0) with survival near 1):
the tolerance R mvtnorm's Genz-Bretz integration is asked for by simtrial, and
survtrial.stats.maxcombo_test's):

- ``dF/d rho_ij = phi_2(b, b; rho_ij) P(Z_others <= b | Z_i = Z_j = b)`` (Plackett 1954), the
  conditional law normal (m - 2 dimensions: none, one or two variables);
- ``F(b; R) = F(b; R0) + integral_0^1 sum_{i<j} (R - R0)_ij dF/d rho_ij (R0 + t (R - R0)) dt``,
  from the equicorrelated R0 (common correlation rho0, the mean of R's), where
  ``F(b; R0) = integral phi(x) Phi((b - sqrt(rho0) x) / sqrt(1 - rho0))**m dx``;
- the path integrand of pair (i, j) is nearly singular at t = 1 when r_ij is near 1
  (``phi_2`` grows as ``1 / sqrt(1 - r)``); its part ``phi_2 x P(others | Z_i = Z_j = b at R)`` is
  integrated exactly, ``(R - R0)_ij int phi_2(b, b; r_ij(t)) dt = Phi_2(b, b; r_ij) - Phi_2(b, b;
  rho0)``, and the quadrature sees only ``phi_2 x`` the change of the conditional probability
  along the path, which vanishes at t = 1;
- both integrals by Gauss-Legendre quadrature (the second over panels split where the
  integrand steps), bivariate probabilities by Genz's method (Genz 2004; Drezner & Wesolowsky
  1990), accurate to about 1e-15.

References
----------
Plackett RL (1954). A reduction formula for normal multivariate integrals. Biometrika 41:351-360.
Genz A (2004). Numerical computation of rectangular bivariate and trivariate normal and t
probabilities. Statistics and Computing 14:251-260.
Drezner Z, Wesolowsky GO (1990). On the computation of the bivariate normal integral. J Stat
Comput Simul 35:101-107.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_SQRT2 = math.sqrt(2.0)
_TWOPI = 2.0 * math.pi

# Gauss-Legendre nodes and weights on [-1, 1]: 6, 12 and 20 points (half of each symmetric set)
_GL6 = np.polynomial.legendre.leggauss(6)
_GL12 = np.polynomial.legendre.leggauss(12)
_GL20 = np.polynomial.legendre.leggauss(20)
_BX = np.zeros((3, 10))
_BW = np.zeros((3, 10))
for _row, (_x, _w) in enumerate((_GL6, _GL12, _GL20)):
    _half = _x.size // 2
    _BX[_row, :_half] = _x[:_half]
    _BW[_row, :_half] = _w[:_half]
_BN = np.array([3, 6, 10])

# the path t in [0, 1] is walked as t = 1 - (1 - u)**3 (Gauss-Legendre in u): the integrand
# varies fastest near t = 1, where the conditional laws of a nearly singular R are narrow; with
# the singular part integrated exactly, six nodes give about 3e-6 (1.1e-5 for correlations of
# 0.9997-0.99997), eight 2e-7 (6e-6), measured against 40 nodes and geometric panels near t = 1
PATH_NODES = 8
_PU, _PW = np.polynomial.legendre.leggauss(PATH_NODES)
_PU = (_PU + 1.0) / 2.0
_PT = 1.0 - (1.0 - _PU) ** 3
_PWT = _PW / 2.0 * 3.0 * (1.0 - _PU) ** 2
EQUI_NODES = 8  # per panel of width 2.25 over [-9, 9], for F(b; R0): error below 2e-8
_EX, _EW = np.polynomial.legendre.leggauss(EQUI_NODES)
_PANELS = 8
_PANEL_WIDTH = 18.0 / _PANELS


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def ndtr(x):
    """Standard normal distribution function."""
    return 0.5 * math.erfc(-x / _SQRT2)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def bvn_upper(h, k, r):
    """P(X > h, Y > k) for standard bivariate normals with correlation r (Genz 2004; error below 3e-11)."""
    # Genz's choice of points is 6, 12, 20 for |r| < 0.3, < 0.75, else; 12 up to 0.925 and 6
    # beyond (the other branch) keep the error below 3e-11 (measured against his) at half the cost
    if abs(r) < 0.3 or abs(r) >= 0.925:
        ng = 0
    else:
        ng = 1
    lg = _BN[ng]
    hk = h * k
    bvn = 0.0
    if abs(r) < 0.925:
        hs = (h * h + k * k) / 2.0
        asr = math.asin(r)
        for i in range(lg):
            x = _BX[ng, i]
            w = _BW[ng, i]
            sn = math.sin(asr * (x + 1.0) / 2.0)
            bvn += w * math.exp((sn * hk - hs) / (1.0 - sn * sn))
            sn = math.sin(asr * (-x + 1.0) / 2.0)
            bvn += w * math.exp((sn * hk - hs) / (1.0 - sn * sn))
        return bvn * asr / (2.0 * _TWOPI) + ndtr(-h) * ndtr(-k)
    if r < 0.0:
        k = -k
        hk = -hk
    if abs(r) < 1.0:
        a_s = (1.0 - r) * (1.0 + r)
        a = math.sqrt(a_s)
        bs = (h - k) ** 2
        c = (4.0 - hk) / 8.0
        d = (12.0 - hk) / 16.0
        bvn = a * math.exp(-(bs / a_s + hk) / 2.0) * (1.0 - c * (bs - a_s) * (1.0 - d * bs / 5.0) / 3.0
                                                      + c * d * a_s * a_s / 5.0)
        if hk > -160.0:
            b = math.sqrt(bs)
            bvn -= math.exp(-hk / 2.0) * math.sqrt(_TWOPI) * ndtr(-b / a) * b * (1.0 - c * bs * (1.0 - d * bs / 5.0)
                                                                                  / 3.0)
        a = a / 2.0
        for i in range(lg):
            x = _BX[ng, i]
            w = _BW[ng, i]
            xs = (a * (x + 1.0)) ** 2
            rs = math.sqrt(1.0 - xs)
            bvn += a * w * (math.exp(-bs / (2.0 * xs) - hk / (1.0 + rs)) / rs
                            - math.exp(-(bs / xs + hk) / 2.0) * (1.0 + c * xs * (1.0 + d * xs)))
            xs = a_s * (-x + 1.0) ** 2 / 4.0
            rs = math.sqrt(1.0 - xs)
            bvn += a * w * math.exp(-(bs / xs + hk) / 2.0) * (math.exp(-hk * (1.0 - rs) / (2.0 * (1.0 + rs))) / rs
                                                                - (1.0 + c * xs * (1.0 + d * xs)))
        bvn = -bvn / _TWOPI
    if r > 0.0:
        return bvn + ndtr(-max(h, k))
    return -bvn + max(0.0, ndtr(-h) - ndtr(-k))


@njit(cache=True, error_model="numpy")
def bvn_lower(h, k, r):
    """P(X <= h, Y <= k) for standard bivariate normals with correlation r."""
    return bvn_upper(-h, -k, r)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _equicorrelated(b, rho, m):
    """F(b; R0) for the equicorrelated R0 (correlation rho in [0, 1)), Z_i = s X + c e_i with
    s = sqrt(rho), c = sqrt(1 - rho): ``E Phi((b - c M) / s)`` over M, the largest of m standard
    normals (density m phi(y) Phi(y)**(m - 1)), when s >= c, else ``E Phi((b - s X) / c)**m`` over
    X: either way an integrand whose step is at least one unit wide; composite Gauss-Legendre over
    [-9, 9] in panels of width 2.25."""
    if rho <= 0.0:
        return ndtr(b) ** m
    s = math.sqrt(rho)
    c = math.sqrt(1.0 - rho)
    tot = 0.0
    for p in range(_PANELS):
        mid = -9.0 + (p + 0.5) * _PANEL_WIDTH
        for i in range(_EX.size):
            x = mid + 0.5 * _PANEL_WIDTH * _EX[i]
            dens = math.exp(-0.5 * x * x)
            if s >= c:
                tot += _EW[i] * m * dens * ndtr(x) ** (m - 1) * ndtr((b - c * x) / s)
            else:
                tot += _EW[i] * dens * ndtr((b - s * x) / c) ** m
    return tot * 0.5 * _PANEL_WIDTH / math.sqrt(_TWOPI)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _conditional(b, R, m, i, j, r, one_r2):
    """P(Z_k <= b for k not in {i, j} | Z_i = Z_j = b) at correlation R (``r = R[i, j]``)."""
    if m == 2:
        return 1.0
    # the other variables given Z_i = Z_j = b: mean b (r_ki + r_kj) / (1 + r), covariance
    # r_kl - (r_ki r_li - r (r_ki r_lj + r_kj r_li) + r_kj r_lj) / (1 - r^2)
    k = 0
    while k == i or k == j:
        k += 1
    q = k + 1
    while q == i or q == j:
        q += 1
    mk = b * (R[k, i] + R[k, j]) / (1.0 + r)
    vk = 1.0 - (R[k, i] * R[k, i] - 2.0 * r * R[k, i] * R[k, j] + R[k, j] * R[k, j]) / one_r2
    sk = math.sqrt(max(vk, 0.0))
    if m == 3:
        return ndtr((b - mk) / sk) if sk > 0.0 else (1.0 if b >= mk else 0.0)
    ml = b * (R[q, i] + R[q, j]) / (1.0 + r)
    vl = 1.0 - (R[q, i] * R[q, i] - 2.0 * r * R[q, i] * R[q, j] + R[q, j] * R[q, j]) / one_r2
    sl = math.sqrt(max(vl, 0.0))
    ckl = R[k, q] - (R[k, i] * R[q, i] - r * (R[k, i] * R[q, j] + R[k, j] * R[q, i]) + R[k, j] * R[q, j]) / one_r2
    if sk > 0.0 and sl > 0.0:
        rr = min(max(ckl / (sk * sl), -1.0), 1.0)
        return bvn_lower((b - mk) / sk, (b - ml) / sl, rr)
    # a degenerate conditional variable: its indicator times the other's probability
    pk = ndtr((b - mk) / sk) if sk > 0.0 else (1.0 if b >= mk else 0.0)
    pl = ndtr((b - ml) / sl) if sl > 0.0 else (1.0 if b >= ml else 0.0)
    return min(pk, pl)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _plackett_terms(b, R, m):
    """sum_{i<j} D_ij phi_2(b, b; r_ij) (P(others | Z_i = Z_j = b) - C_ij) at correlation R, with
    D = the path's direction in R[m + i, j] and C = the conditional probabilities at the path's
    end in R[m + j, i] (i < j; the rows m..2m-1 below their diagonal); see :func:`below`."""
    tot = 0.0
    for i in range(m):
        for j in range(i + 1, m):
            dij = R[m + i, j]
            if dij == 0.0:
                continue
            r = R[i, j]
            one_r2 = (1.0 - r) * (1.0 + r)
            if one_r2 <= 0.0:
                continue
            dens = math.exp(-b * b / (1.0 + r)) / (_TWOPI * math.sqrt(one_r2))
            tot += dij * dens * (_conditional(b, R, m, i, j, r, one_r2) - R[m + j, i])
    return tot


@njit(cache=True, error_model="numpy")
def below(b, R, m, work):
    """F(b; R) = P(Z_i <= b, i < m) for Z ~ N(0, R[:m, :m]), m in 1..4; ``work``: (2m, m) scratch."""
    if m == 1:
        return ndtr(b)
    if m == 2:
        return bvn_lower(b, b, R[0, 1])
    rho0 = 0.0
    for i in range(m):
        for j in range(i + 1, m):
            rho0 += R[i, j]
    rho0 /= m * (m - 1) / 2
    rho0 = min(max(rho0, 0.0), 0.999)
    tot = _equicorrelated(b, rho0, m)
    # work rows m..2m-1: the direction R - R0 above their diagonal, the conditional probabilities
    # at R below it; the singular part of each pair's path integral exactly
    base = bvn_lower(b, b, rho0)
    for i in range(m):
        work[m + i, i] = 0.0
        for j in range(i + 1, m):
            r = R[i, j]
            work[m + i, j] = r - rho0
            one_r2 = (1.0 - r) * (1.0 + r)
            cond = _conditional(b, R, m, i, j, r, one_r2) if one_r2 > 0.0 else 0.0
            work[m + j, i] = cond
            if cond != 0.0:
                tot += cond * (bvn_lower(b, b, r) - base)
    for q in range(_PT.size):
        t = _PT[q]
        for i in range(m):
            for j in range(m):
                work[i, j] = 1.0 if i == j else rho0 + t * (R[i, j] - rho0)
        tot += _PWT[q] * _plackett_terms(b, work, m)
    return min(max(tot, 0.0), 1.0)
