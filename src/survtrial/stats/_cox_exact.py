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
        x = cd.xt[:, rows].T
        m = r.size
        xx = x[:, :, None] * x[:, None, :] if need_info else None
        # B, dB, d2B hold B(k-1, m'-1) and its derivatives for m' = 1..m; level k-1 = 0 first
        B = np.ones(m)
        dB = np.zeros((m, p))
        d2B = np.zeros((m, p, p))
        logscale = 0.0
        for _ in range(d):
            t1 = np.cumsum(r * B)
            t2 = np.cumsum(r[:, None] * (x * B[:, None] + dB), axis=0)
            if need_info:
                xd = x[:, :, None] * dB[:, None, :]
                inner = xx * B[:, None, None] + xd + xd.transpose(0, 2, 1) + d2B
                t3 = np.cumsum(r[:, None, None] * inner, axis=0)
            top = t1[-1]
            logscale += np.log(top)
            grad = t2[-1] / top  # d log B(k, m) at the last level: B(d, m) / top == 1
            if need_info:
                hess = t3[-1] / top
                d2B = np.concatenate((np.zeros((1, p, p)), t3[:-1])) / top
            B = np.concatenate(([0.0], t1[:-1])) / top
            dB = np.concatenate((np.zeros((1, p)), t2[:-1])) / top
        ll -= logscale + d * (emax + shift)
        sc -= grad
        if need_info:
            inf += hess - np.outer(grad, grad)
    return ll, sc, inf
