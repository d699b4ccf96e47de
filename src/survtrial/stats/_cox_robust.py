"""Score residuals and the (cluster-)robust sandwich variance of a Cox fit, as R coxph."""

from __future__ import annotations

import numpy as np

from survtrial.stats._cox_kernel import CoxData, Terms, evaluate

__all__ = ["cluster_scores", "robust_score_test", "robust_var", "score_residuals"]


def score_residuals(cd: CoxData, terms: Terms) -> np.ndarray:
    """Score residuals L_i as a (p, n) array in sorted order; sum_i w_i L_i = U(beta).

    L_i = delta_i (x_i - mean over j of xbar_gj) - exp(eta_i) sum_{g: t_g <= t_i} sum_j rho_ij
    wtave_g (x_i - xbar_gj) / D_gj, where rho_ij = 1 - j/d for a death of group g itself (its
    Efron share of the j-th term) and 1 otherwise; this is R's coxscore2 (Breslow: j = 0).
    """
    xt = cd.xt
    k, kg = cd.ev_k, cd.kgroup
    K, G = cd.kstart.size, cd.gstart.size
    p = xt.shape[0]
    A, q, jf = terms.A, terms.q, cd.jfrac
    cG = np.zeros(G)
    cG[kg] = np.bincount(k, q, minlength=K)
    hG = np.zeros((p, G))
    hG[:, kg] = np.add.reduceat(A * q, cd.kstart, axis=1)
    C = cd.seg.cumsum(cG)[cd.gid]
    H = cd.seg.cumsum(hG)[:, cd.gid]
    ev, egid = cd.ev, cd.ev_gid
    if cd.ties == "efron":
        eG = np.zeros(G)
        eG[kg] = np.bincount(k, q * jf, minlength=K)
        kG = np.zeros((p, G))
        kG[:, kg] = np.add.reduceat(A * (q * jf), cd.kstart, axis=1)
        C[ev] -= eG[egid]
        H[:, ev] -= kG[:, egid]
    risk = terms.r / cd.w
    L = xt * C
    L -= H
    L *= -risk
    Abar = np.add.reduceat(A, cd.kstart, axis=1) / cd.kd
    L[:, ev] += cd.xe - Abar[:, k]
    return L


def cluster_scores(cd: CoxData, terms: Terms, groups: np.ndarray | None) -> np.ndarray:
    """Weighted score residuals summed within clusters, (n_clusters, p); rows when no cluster."""
    L = score_residuals(cd, terms)
    L *= cd.w
    if groups is None:
        return L.T
    g = groups[cd.order]
    k = int(groups.max()) + 1
    return np.stack([np.bincount(g, L[j], minlength=k) for j in range(L.shape[0])], axis=1)


def robust_var(cd: CoxData, terms: Terms, V: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Sandwich V B'B V, B the cluster sums of weighted score residuals (R dfbeta, collapse=cluster)."""
    B = np.einsum("kp,pq->kq", cluster_scores(cd, terms, groups), V)
    return np.einsum("kp,kq->pq", B, B)


def robust_score_test(cd: CoxData, groups: np.ndarray | None) -> tuple[float, int]:
    """R's robust score test (``fit$rscore``): u'(T'T)^- u with T the cluster scores at beta = 0."""
    beta0 = np.zeros(cd.xt.shape[0])
    T = cluster_scores(cd, evaluate(cd, beta0, need_info=False), groups)
    u = T.sum(axis=0)
    return float(u @ np.linalg.lstsq(np.einsum("kp,kq->pq", T, T), u, rcond=None)[0]), int(u.size)
