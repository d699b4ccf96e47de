"""Compiled (numba) two-arm estimates over (time) rows: the Cox MLE (Efron ties) and log-rank sums."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def cox_terms(beta, n0, n1, d0, d1, n_times):
    """Score and information of the (stratified) partial likelihood at beta (Efron ties)."""
    eb = math.exp(beta)
    score = 0.0
    info = 0.0
    for j in range(n_times):
        d = d0[j] + d1[j]
        if d == 0.0:
            continue
        score += d1[j]
        if d == 1.0:
            s1 = n1[j] * eb
            p = s1 / (n0[j] + s1)
            score -= p
            info += p - p * p
            continue
        s0 = n0[j] + n1[j] * eb
        s1 = n1[j] * eb
        t0 = d0[j] + d1[j] * eb
        t1 = d1[j] * eb
        nd = int(d + 0.5)
        for tie in range(nd):
            f = tie / d
            p = (s1 - f * t1) / (s0 - f * t0)
            score -= p
            info += p - p * p
    return score, info


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, fastmath=True, _nrt=False)
def cox_terms_unit(beta, n0, n1, d1, n_times):
    """:func:`cox_terms` when every time has one event: a loop the compiler vectorises."""
    eb = math.exp(beta)
    score = 0.0
    info = 0.0
    for j in range(n_times):
        s1 = n1[j] * eb
        p = s1 / (n0[j] + s1)
        score += d1[j] - p
        info += p - p * p
    return score, info


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def logrank_rows(n0, n1, d0, d1, n_rows):
    """Log-rank O - E and hypergeometric variance of the experimental arm summed over (stratum,
    time) rows; rows without events add nothing."""
    ome = 0.0
    var = 0.0
    for r in range(n_rows):
        d = d0[r] + d1[r]
        if d == 0.0:
            continue
        nn = n0[r] + n1[r]
        ome += d1[r] - d * n1[r] / nn
        if nn > 1.0:
            var += d * (nn - d) / (nn - 1.0) * n0[r] * n1[r] / (nn * nn)
    return ome, var


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, fastmath=True, _nrt=False)
def logrank_unit(n0, n1, d1, n_times):
    """:func:`logrank_rows` when every time has one event
    (d (n - d) / (n - 1) = 1): a loop the compiler vectorises."""
    ome = 0.0
    var = 0.0
    for j in range(n_times):
        inv = 1.0 / (n0[j] + n1[j])
        q1 = n1[j] * inv
        ome += d1[j] - q1
        var += q1 * (n0[j] * inv)
    return ome, var


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def _cox_eval(beta, n0, n1, d0, d1, n_times, unit):
    if unit:
        return cox_terms_unit(beta, n0, n1, d1, n_times)
    return cox_terms(beta, n0, n1, d0, d1, n_times)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def cox_binary(n0, n1, d0, d1, n_times, start, unit):
    """Stratified Cox MLE for one 0/1 covariate (Efron ties): (beta, se).

    Newton-Raphson on the score from ``start`` (the one-step log-rank estimate), stopping after a
    step below 1e-6 (1 + |beta|); the partial likelihood is concave in beta, and a step that does
    not reduce |score| is halved. NaN when an
    arm has no events (the MLE is infinite) or the iteration does not converge. ``unit``: every
    time has exactly one event (then the score loop is vectorised).
    """
    tot1 = 0.0
    tot0 = 0.0
    for j in range(n_times):
        tot1 += d1[j]
        tot0 += d0[j]
    if tot1 == 0.0 or tot0 == 0.0 or not np.isfinite(start):
        return np.nan, np.nan
    beta = start
    score, info = _cox_eval(beta, n0, n1, d0, d1, n_times, unit)
    for _it in range(100):
        if info <= 0.0:
            return np.nan, np.nan
        step = score / info
        new = beta + step
        s_new, i_new = _cox_eval(new, n0, n1, d0, d1, n_times, unit)
        halvings = 0
        while abs(s_new) > abs(score) and halvings < 40:
            step *= 0.5
            new = beta + step
            s_new, i_new = _cox_eval(new, n0, n1, d0, d1, n_times, unit)
            halvings += 1
        beta, score, info = new, s_new, i_new
        # Newton converges quadratically (the third derivative is at most the second for a 0/1
        # covariate): after a step below 1e-6 the error left is about 1e-12; info is at the new beta
        if abs(step) <= 1e-6 * (1.0 + abs(beta)):
            if abs(beta) > 30.0 or info <= 0.0:
                return np.nan, np.nan
            return beta, 1.0 / math.sqrt(info)
    return np.nan, np.nan
