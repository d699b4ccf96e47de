"""Infinitesimal-jackknife standard errors of Aalen-Johansen cumulative incidence (R multi-state survfit)."""

from __future__ import annotations

import numpy as np

from survtrial.stats._risksets import tabulate

__all__ = ["ij_std_err"]


def ij_std_err(
    time: np.ndarray,
    codes: np.ndarray,
    n_causes: int,
    group: np.ndarray,
    n_groups: int,
    weights: np.ndarray | None,
) -> np.ndarray:
    """(m, G, K) IJ standard error of each cause's CIF per group on the pooled grid of distinct times.

    R ``survfit(Surv(time, factor(status)) ~ group)`` (multi-state, robust variance by default)
    carries, per subject i, the influence U_i(t) of i on the state probabilities: at each event
    time U <- U H + dH_i with H = I + dA the transition matrix and dH_i the influence on it, and
    reports ``std.err = sqrt(sum_i w_i^2 U_i(t)^2)``. For competing risks out of one initial state
    the recursion has a closed form: with S the all-cause Kaplan-Meier, A(t) = sum d/(n(n - d)),
    b_kj = S(t_j-) d_kj / n_j (the CIF increments, F_k = cumsum b_k), P_k(t) = sum_{t_j <= t}
    A(t_{j-1}) b_kj and Q_k(t) = sum_{t_j <= t} S(t_j-) d_kj / n_j^2,
    U_ik(t) = P_k(t) - Q_k(t) while i is at risk (t < T_i) and afterwards
    U_ik(t) = P_k(T_i) - Q_k(T_i) + delta_ik S(T_i-) / n(T_i) + C_i (F_k(t) - F_k(T_i)),
    C_i = A(T_i) - delta_i / (n(T_i) - d(T_i)). The sum of squares over subjects then needs only
    cumulative sums over the sorted exit times: O(n log n) in all.
    """
    K, G = int(n_causes), int(n_groups)
    tab = tabulate(time, group * (K + 1) + codes, G * (K + 1), weights)
    m = tab.time.size
    counts = tab.counts.reshape(m, G, K + 1)
    n_all = tab.at_risk().reshape(m, G, K + 1).sum(axis=2)
    w = np.ones(time.size) if weights is None else weights
    out = np.zeros((m, G, K))
    for gi in range(G):
        sel = group == gi
        nn = n_all[:, gi]
        dd = counts[:, gi, 1:]
        da = dd.sum(axis=1)
        has = da > 0
        safe_n = np.where(nn > 0, nn, 1.0)
        surv = np.cumprod(np.where(has, 1.0 - da / safe_n, 1.0))
        s_prev = np.concatenate(([1.0], surv[:-1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            a_inc = np.where(has, da / (safe_n * (nn - da)), 0.0)  # inf where everyone at risk fails
        A = np.cumsum(a_inc)
        A_prev = np.concatenate(([0.0], A[:-1]))
        b = s_prev[:, None] * dd / safe_n[:, None]
        F = np.cumsum(b, axis=0)
        with np.errstate(invalid="ignore"):
            P = np.cumsum(np.where(b > 0, A_prev[:, None] * b, 0.0), axis=0)
        Q = np.cumsum(s_prev[:, None] * dd / safe_n[:, None] ** 2, axis=0)
        li, ci, wi = tab.index[sel], codes[sel], w[sel]
        delta = ci > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            C = A[li] - np.where(delta, 1.0 / (nn[li] - da[li]), 0.0)
        C = np.where(surv[li] > 0, C, 0.0)  # no CIF increments after S reaches 0
        alpha = P[li] - C[:, None] * F[li] - Q[li]
        ev = np.flatnonzero(delta)
        alpha[ev, ci[ev] - 1] += s_prev[li[ev]] / nn[li[ev]]
        w2 = wi * wi
        s0 = np.cumsum(np.bincount(li, w2, minlength=m))
        s3 = np.cumsum(np.bincount(li, w2 * C * C, minlength=m))
        s1 = np.cumsum(np.stack([np.bincount(li, w2 * alpha[:, k] ** 2, minlength=m) for k in range(K)], 1), 0)
        s2 = np.cumsum(np.stack([np.bincount(li, w2 * alpha[:, k] * C, minlength=m) for k in range(K)], 1), 0)
        beta = P - Q
        var = (s0[-1] - s0)[:, None] * beta**2 + s1 + 2.0 * F * s2 + F**2 * s3[:, None]
        out[:, gi, :] = np.sqrt(np.maximum(var, 0.0))
    return out
