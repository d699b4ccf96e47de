"""Kernel of Gray's K-sample test for cumulative incidence: score and variance within one stratum."""

from __future__ import annotations

import numpy as np

from survtrial.stats._risksets import tabulate
from survtrial.stats.km import product_limit

__all__ = ["gray_score"]


def gray_score(
    time: np.ndarray, status: np.ndarray, group: np.ndarray, n_groups: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score for groups ``0..G-2`` and its covariance (Gray 1988), as cmprsk computes them.

    Parameters
    ----------
    time : (n,) validated times of one stratum.
    status : (n,) 0 = censored, 1 = the cause tested, 2 = any other cause.
    group : (n,) group codes in ``0..n_groups-1`` (a group may be absent from the stratum).
    n_groups : G; rho : weight exponent of ``(1 - F(t-))^rho``.

    Notes
    -----
    Per distinct time with ``n_j`` at risk, left-continuous all-cause KM ``S_j(t-)`` and CIF
    ``F_j(t-)`` of group ``j``: ``h_j = n_j / S_j(t-)``, ``R_j = h_j (1 - F_j(t-))`` (the
    subdistribution risk set), ``F`` the pooled CIF with jumps ``d1 / sum h``. The score is
    ``sum w (d1_j - d1 R_j / sum R)`` with ``w = (1 - F(t-))^rho``. Its variance sums, over
    times and groups ``k``, ``t3_k h_ik h_jk`` with ``h_ik = a_ik + t4_k (C_ik - c_ik(t))``, where
    ``a = w (diag(h) - h h' / sum h)``, ``c(t)`` its running integral against ``dF / (1 - F(t-))``,
    ``C`` the final value of ``c``, and ``t3``, ``t4`` the per-group binomial-variance and
    sensitivity terms for events of the cause (``a`` present) and of other causes (``a = 0``).
    The tie corrections are those of cmprsk 2.2 (``crstm``).
    """
    G = int(n_groups)
    tab = tabulate(time, group * 3 + status, G * 3)
    m = tab.time.size
    cnt = tab.counts.reshape(m, G, 3)
    rs = tab.at_risk().reshape(m, G, 3).sum(axis=2)  # (m, G)
    d1, d2 = cnt[:, :, 1], cnt[:, :, 2]
    skm, _ = product_limit(rs, d1 + d2)
    skmm = np.vstack([np.ones((1, G)), skm[:-1]])
    live = rs > 0
    rs_safe = np.where(live, rs, 1.0)
    f1 = np.cumsum(skmm * d1 / rs_safe, axis=0)
    f1m = np.vstack([np.zeros((1, G)), f1[:-1]])

    h = np.where(live, rs / np.where(live, skmm, 1.0), 0.0)  # (m, G)
    tr = h.sum(axis=1)  # (m,)
    tq = (h * (1.0 - f1m)).sum(axis=1)
    nd1 = d1.sum(axis=1)
    tr_safe = np.where(tr > 0, tr, 1.0)
    tq_safe = np.where(tq > 0, tq, 1.0)
    f = np.cumsum(np.where(tr > 0, nd1 / tr_safe, 0.0))  # pooled CIF after each time
    fm = np.concatenate([[0.0], f[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        wt = np.where(fm < 1.0, (1.0 - fm) ** rho, 0.0) if rho != 0 else np.ones(m)

    # Score for the first G - 1 groups.
    score_terms = wt[:, None] * (d1 - nd1[:, None] * h * (1.0 - f1m) / tq_safe[:, None])
    score = np.where(live, score_terms, 0.0).sum(axis=0)[: G - 1]

    # a (m, G, G) and its running integral c.
    a = wt[:, None, None] * (
        np.einsum("tj,jk->tjk", h, np.eye(G)) - h[:, :, None] * h[:, None, :] / tr_safe[:, None, None]
    )
    one_m_fm = np.where(fm < 1.0, 1.0 - fm, 1.0)
    c = np.cumsum(a * (nd1 / (tr_safe * one_m_fm))[:, None, None], axis=0)
    c_end = c[-1]
    dc = c_end[None, :, :] - c  # C - c(t), (m, G, G); [t, i, k]

    cov = np.zeros((G, G))
    # Events of the cause tested.
    ev = nd1 > 0
    if ev.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            t4 = np.where(skm > 0, 1.0 - (1.0 - f)[:, None] / np.where(skm > 0, skm, 1.0), 1.0)
            t5 = np.where(
                nd1[:, None] > 1,
                1.0 - (nd1[:, None] - 1.0) / (tr_safe[:, None] * skmm - 1.0),
                1.0,
            )
            t3 = t5 * skmm * nd1[:, None] / (tr_safe[:, None] * rs_safe)
        t3 = np.where(live & ev[:, None], t3, 0.0)
        hh = a + t4[:, None, :] * dc  # [t, i, k]
        cov += np.einsum("tk,tik,tjk->ij", t3, hh, hh)
    # Events of the other causes.
    oth = (d2 > 0) & (skm > 0) & live
    if oth.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            t4 = np.where(oth, (1.0 - f)[:, None] / np.where(skm > 0, skm, 1.0), 0.0)
            nm1 = np.where(rs > 1, rs - 1.0, 1.0)
            t5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / nm1, 1.0)
            t3 = np.where(oth, t5 * skmm**2 * d2 / rs_safe**2, 0.0)
        hh = t4[:, None, :] * dc
        cov += np.einsum("tk,tik,tjk->ij", t3, hh, hh)
    return score, cov[: G - 1, : G - 1]
