"""Exact partial likelihood for tied deaths (discrete conditional logistic, R coxph ties="exact")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from survtrial.stats._cox_kernel import CoxData

__all__ = ["exact_groups"]


def exact_groups(
    cd: CoxData, eta: np.ndarray, shift: float, need_info: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    """Exact partial likelihood (discrete conditional logistic) for tie groups with >= 2 deaths.

    For a tie group with d deaths in a risk set R the denominator is the elementary symmetric
    polynomial e_d(r_R) = sum over d-subsets of R of prod r; it and its first two derivatives are
    built by the recursion B(k, m) = B(k, m-1) + r_m B(k-1, m-1) (Gail, Lubin and Rubinstein
    1981), vectorised over m as a cumulative sum for each k and rescaled at every k to avoid
    overflow. Cost O(d * |R| * p^2) per group: meant for small tie groups, as in R.
    """
    p, nrow = cd.xt.shape
    iu, ju = np.triu_indices(p)
    ll = 0.0
    sc = np.zeros(p)
    inf = np.zeros((p, p))
    seg_end = cd.seg.starts + cd.seg.counts  # in tie-group units
    gend_row = np.append(cd.gstart[1:], nrow)
    for kk in np.flatnonzero(cd.kd >= 2):
        g = cd.kgroup[kk]
        d = int(cd.kd[kk])
        last_group = seg_end[cd.gstratum[g]] - 1
        rows = slice(cd.gstart[g], gend_row[last_group])
        e = eta[rows] - shift
        emax = float(e.max())
        r = np.exp(e - emax)
        x = cd.xt[:, rows]  # (p, m): members of the risk set
        m = r.size
        xi, xj = (x[iu], x[ju]) if need_info else (None, None)
        # Position j of B holds B(k, j) for j = 0..m; B[:m] is B(k, m'-1) for m' = 1..m. dB and the
        # upper triangle of d2B follow the same layout along their last axis. Level k = 0 first.
        B, dB, d2B = np.ones(m + 1), np.zeros((p, m + 1)), np.zeros((iu.size, m + 1))
        nB, ndB, nd2B = np.zeros(m + 1), np.zeros((p, m + 1)), np.zeros((iu.size, m + 1))
        logscale = 0.0
        for _ in range(d):
            y = x * B[:m] + dB[:, :m]  # d/dbeta of r_m' B(k-1, m'-1), divided by r_m'
            nB[0] = 0.0  # B(k, 0) = 0 for k >= 1
            ndB[:, 0] = 0.0
            nd2B[:, 0] = 0.0
            np.cumsum(r * B[:m], out=nB[1:])
            np.cumsum(r * y, axis=1, out=ndB[:, 1:])
            if need_info:
                inner = xi * y[ju]
                inner += dB[iu, :m] * xj
                inner += d2B[:, :m]
                inner *= r
                np.cumsum(inner, axis=1, out=nd2B[:, 1:])
            top = nB[m]
            logscale += np.log(top)
            nB /= top
            ndB /= top
            nd2B /= top
            B, nB, dB, ndB, d2B, nd2B = nB, B, ndB, dB, nd2B, d2B
        grad = dB[:, m]  # B(d, m) == 1 after rescaling: these are d log B and d2 B / B
        ll -= logscale + d * (emax + shift)
        sc -= grad
        if need_info:
            hess = np.zeros((p, p))
            hess[iu, ju] = d2B[:, m]
            hess[ju, iu] = d2B[:, m]
            inf += hess - np.outer(grad, grad)
    return ll, sc, inf
