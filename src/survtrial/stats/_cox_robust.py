"""Score residuals and the (cluster-)robust sandwich variance of a Cox fit, as R coxph."""

from __future__ import annotations

import numpy as np

from survtrial.stats._cox_kernel import CoxData, Terms, efron_ties, evaluate

__all__ = ["cluster_scores", "robust_score_test", "robust_var", "score_residuals"]


def score_residuals(cd: CoxData, terms: Terms) -> np.ndarray:
    """Score residuals L_i as a (p, n) array in sorted order; sum_i w_i L_i = U(beta).

    L_i = delta_i (x_i - mean over j of xbar_gj) - exp(eta_i) sum_{g: t_g <= t_i} sum_j rho_ij
    wtave_g (x_i - xbar_gj) / D_gj, where rho_ij = 1 - j/d for a death of group g itself (its
    Efron share of the j-th term) and 1 otherwise; this is R's coxscore2 (Breslow: j = 0).
    With xbar_gj = (S1_g - f_j E1_g) / D_gj every sum over j is a per-group scalar times S1_g
    or E1_g.
    """
    xt = cd.xt
    k, kg = cd.ev_k, cd.kgroup
    K, G = cd.kstart.size, cd.gstart.size
    p = xt.shape[0]
    D, q, jf, S1, E1 = terms.D, terms.q, cd.jfrac, terms.S1, terms.E1
    tied = efron_ties(cd)

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(k, values, minlength=K)

    def combine(a_s: np.ndarray, a_e: np.ndarray | None) -> np.ndarray:
        out = S1 * a_s
        if tied:
            out -= E1 * a_e
        return out

    qd = q / D
    cG = np.zeros(G)
    cG[kg] = per_group(q)
    hG = np.zeros((p, G))  # sum_j q_j xbar_gj
    hG[:, kg] = combine(per_group(qd), per_group(qd * jf) if tied else None)
    C = cd.seg.cumsum(cG)[cd.gid]
    H = cd.seg.cumsum(hG)[:, cd.gid]
    ev, egid = cd.ev, cd.ev_gid
    if tied:
        eG = np.zeros(G)
        eG[kg] = per_group(q * jf)
        kG = np.zeros((p, G))  # sum_j q_j f_j xbar_gj
        kG[:, kg] = combine(per_group(qd * jf), per_group(qd * jf * jf))
        C[ev] -= eG[egid]
        H[:, ev] -= kG[:, egid]
    risk = terms.r / cd.w
    L = xt * C
    L -= H
    L *= -risk
    inv = 1.0 / D
    Abar = combine(per_group(inv), per_group(inv * jf) if tied else None) / cd.kd
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
