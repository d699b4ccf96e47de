"""Harrell's concordance of a risk score with censored times, O(n log^2 n) and vectorised."""

from __future__ import annotations

import numpy as np

__all__ = ["concordance_counts", "concordance_index"]


def _prefix_before(order_key: np.ndarray, w: np.ndarray) -> np.ndarray:
    """For elements already in position order: weight of earlier elements with the same key."""
    o = np.lexsort((np.arange(order_key.size), order_key))
    ks, ws = order_key[o], w[o]
    cs = np.cumsum(ws) - ws
    first = np.searchsorted(ks, ks, side="left")
    out = np.empty_like(cs)
    out[o] = cs - cs[first]
    return out


def _dominance(key: np.ndarray, w: np.ndarray) -> np.ndarray:
    """out[i] = sum of w[j] over earlier positions j < i with key[j] < key[i] (divide and conquer)."""
    n = key.size
    pos = np.arange(n)
    out = np.zeros(n)
    nk = int(key.max()) + 1 if n else 0
    lev = 0
    while (1 << lev) < n:
        block = pos >> (lev + 1)
        right = (pos >> lev) & 1
        sk = (block * nk + key) * 2 + (1 - right)  # at equal key, queries before inserts
        o = np.argsort(sk, kind="stable")
        contrib = np.where(right[o] == 0, w[o], 0.0)
        cs = np.cumsum(contrib) - contrib
        bs = block[o]
        first = np.searchsorted(bs, bs, side="left")
        val = cs - cs[first]
        q = right[o] == 1
        out[o[q]] += val[q]
        lev += 1
    return out


def concordance_counts(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """Weighted (concordant, discordant, tied-in-score) pair counts; higher score = earlier event.

    A pair is comparable when, within a stratum, the earlier time is an event; an event and a
    censoring at the same time are comparable (the censored subject outlived), two events at
    the same time are not. This is R ``concordance(..., reverse=TRUE)``.
    """
    n = time.size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    s = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    ev = np.asarray(event).astype(bool)
    _, rank = np.unique(score, return_inverse=True)
    rank = rank.reshape(-1)
    # position order: stratum, time descending, censored before events, score rank descending
    order = np.lexsort((-rank, ev, -time, s))
    ts, es, ss, rs, ws = time[order], ev[order], s[order], rank[order], w[order]
    nstrat = int(ss.max()) + 1
    key = (nstrat - 1 - ss) * (int(rs.max()) + 1) + rs  # earlier strata never count as lower
    less = _dominance(key, ws)
    equal = _prefix_before(key, ws)
    # block of identical (stratum, time, event) rows: equal-score events tied in time do not count
    new = np.ones(n, dtype=bool)
    new[1:] = (ts[1:] != ts[:-1]) | (es[1:] != es[:-1]) | (ss[1:] != ss[:-1])
    blk = np.cumsum(new) - 1
    equal -= _prefix_before(blk * (int(rs.max()) + 1) + rs, ws)
    # comparable weight: everything earlier in the stratum, minus tied events before i
    snew = np.ones(n, dtype=bool)
    snew[1:] = ss[1:] != ss[:-1]
    cs = np.cumsum(ws) - ws
    sfirst = np.flatnonzero(snew)[np.cumsum(snew) - 1]
    bfirst = np.flatnonzero(new)[blk]
    comparable = cs[bfirst] - cs[sfirst]
    we = ws * es
    conc = float(np.einsum("n,n->", we, less))
    tied = float(np.einsum("n,n->", we, equal))
    disc = float(np.einsum("n,n->", we, comparable)) - conc - tied
    return conc, disc, tied


def concordance_index(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> float:
    """Harrell's C = (concordant + tied/2) / (concordant + discordant + tied); NaN if no pairs."""
    conc, disc, tied = concordance_counts(time, event, score, strata, weights)
    total = conc + disc + tied
    return (conc + tied / 2) / total if total > 0 else float("nan")
