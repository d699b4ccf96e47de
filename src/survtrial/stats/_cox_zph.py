"""Kernel of the Grambsch-Therneau test: time-weighted score, 2p x 2p information, Schoenfeld residuals."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from survtrial.stats._cox_kernel import CoxData, Terms, efron_ties

__all__ = ["ZphTerms", "zph_terms"]


class ZphTerms(NamedTuple):
    """Score of the time-interaction columns, the joint information and Schoenfeld residuals.

    ``u2`` (p,): sum over event groups of g(t) (x_i - mean) (the first p score entries are taken
    as 0 at the MLE, as R); ``imat`` (2p, 2p): [[I, I_g], [I_g, I_gg]] with I_g = sum g(t) I(t),
    I_gg = sum g(t)^2 I(t); ``schoen`` (p, n_events) ``x_i - mean`` of each event in sorted
    order (Efron: the mean of the Efron means of its tie group).
    """

    u2: np.ndarray
    imat: np.ndarray
    schoen: np.ndarray


def _information(cd: CoxData, terms: Terms, m: np.ndarray, tied: bool) -> np.ndarray:
    """sum over event groups of m_g times the group's information (the kernel's evaluate with
    per-group multipliers: every per-group sum there is linear in the group's terms)."""
    k, kg, K = cd.ev_k, cd.kgroup, cd.kstart.size
    q, D, jf = terms.q, terms.D, cd.jfrac
    G = cd.gstart.size
    cG = np.zeros(G)
    cG[kg] = np.bincount(k, q, minlength=K) * m
    C = cd.seg.cumsum(cG)
    v = C.copy() if cd.all_distinct else C[cd.gid]
    if tied:
        eG = np.zeros(G)
        eG[kg] = np.bincount(k, q * jf, minlength=K) * m
        v[cd.ev] -= eG[cd.ev_gid]
    v *= terms.r
    xt, S1, E1 = cd.xt, terms.S1, terms.E1
    info = np.einsum("in,jn->ij", xt * v, xt)
    qd = q / D
    info -= np.einsum("ik,jk->ij", S1 * (np.bincount(k, qd, minlength=K) * m), S1)
    if tied:
        cross = np.einsum("ik,jk->ij", S1 * (np.bincount(k, qd * jf, minlength=K) * m), E1)
        info += cross + cross.T
        info -= np.einsum("ik,jk->ij", E1 * (np.bincount(k, qd * jf * jf, minlength=K) * m), E1)
    return (info + info.T) / 2


def zph_terms(cd: CoxData, terms: Terms, g: np.ndarray) -> ZphTerms:
    """R's ``zph1`` at the fitted beta (``terms`` = evaluate(cd, beta)); ``g`` (K,) the centred
    transformed time of each event group. Efron or Breslow as ``cd`` was prepared."""
    k, K = cd.ev_k, cd.kstart.size
    q, D, jf = terms.q, terms.D, cd.jfrac
    tied = efron_ties(cd)
    S1, E1 = terms.S1, terms.E1
    # score of x * g(t): sum g (w x over deaths) - sum_j wtave g xbar_gj
    u2 = np.einsum("in,n->i", cd.xe, cd.w[cd.ev] * g[k])
    u2 -= S1 @ (np.bincount(k, q, minlength=K) * g)
    if tied:
        u2 += E1 @ (np.bincount(k, q * jf, minlength=K) * g)
    ones = np.ones(K)
    i11 = _information(cd, terms, ones, tied)
    i12 = _information(cd, terms, g, tied)
    i22 = _information(cd, terms, g * g, tied)
    imat = np.block([[i11, i12], [i12, i22]])
    inv = 1.0 / D
    mean = S1 * np.bincount(k, inv, minlength=K)
    if tied:
        mean -= E1 * np.bincount(k, inv * jf, minlength=K)
    mean /= cd.kd
    return ZphTerms(u2, imat, cd.xe - mean[:, k])
