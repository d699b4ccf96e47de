"""Harrell's concordance of a risk score with censored times, O(n log^2 n) and vectorised."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["ConcordanceCounts", "concordance_fit", "concordance_with_se", "tied_event_pairs"]


class ConcordanceCounts(NamedTuple):
    """(Weighted) pair counts of R's ``coxph(...)$concordance`` / ``concordance(fit)$count``.

    ``concordant``, ``discordant``, ``tied_x`` (tied in the score, comparable in time): the
    comparable pairs; ``tied_y`` (events at the same time with different scores) and
    ``tied_xy`` (same time, same score): pairs of events that are not comparable. Pairs are
    within strata and weighted by ``w_i w_j``.
    """

    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float


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


def _pair_counts(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    strata: np.ndarray | None,
    weights: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per observation (original order): the partners' weight in its concordant, discordant and
    tied-in-score comparable pairs, both as the earlier event and as the later member; and the
    weights."""
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
    R = int(rs.max()) + 1
    # block of identical (stratum, time, event) rows: events in one block are not comparable
    new = np.ones(n, dtype=bool)
    new[1:] = (ts[1:] != ts[:-1]) | (es[1:] != es[:-1]) | (ss[1:] != ss[:-1])
    blk = np.cumsum(new) - 1
    snew = np.ones(n, dtype=bool)
    snew[1:] = ss[1:] != ss[:-1]
    we = ws * es
    # as the earlier event: its partners are the earlier positions of its stratum before its block
    key = (nstrat - 1 - ss) * R + rs  # earlier strata never count as lower
    less = _dominance(key, ws)
    equal = _prefix_before(key, ws) - _prefix_before(blk * R + rs, ws)
    cs = np.cumsum(ws) - ws
    sfirst = np.flatnonzero(snew)[np.cumsum(snew) - 1]
    bfirst = np.flatnonzero(new)[blk]
    comparable = cs[bfirst] - cs[sfirst]
    conc = es * less
    tied = es * equal
    disc = es * comparable - conc - tied
    # as the later member: its partners are the events after its block in its stratum (reversed
    # order: before it); concordant when the event's score is higher
    rev = slice(None, None, -1)
    key2 = ss[rev] * R + (R - 1 - rs[rev])  # later strata (first when reversed) never count as lower
    more = _dominance(key2, we[rev])[rev]
    eq2 = (_prefix_before(key2, we[rev]) - _prefix_before(blk[rev] * R + rs[rev], we[rev]))[rev]
    ce = np.cumsum(we)  # events' weight up to and including each position
    slast = np.r_[np.flatnonzero(snew)[1:], n] - 1  # last position of each position's stratum
    slast = slast[np.cumsum(snew) - 1]
    blast = np.r_[np.flatnonzero(new)[1:], n] - 1
    blast = blast[blk]
    comparable2 = ce[slast] - ce[blast]
    conc = conc + more
    tied = tied + eq2
    disc = disc + comparable2 - more - eq2
    out = [np.empty(n) for _ in range(3)]
    for a, b in zip(out, (conc, disc, tied), strict=True):
        a[order] = b
    return out[0], out[1], out[2], w


def tied_event_pairs(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> tuple[float, float]:
    """(tied_y, tied_xy): weighted pairs of events at the same time (and stratum) with different /
    equal scores."""
    ev = np.asarray(event).astype(bool)
    w = (np.ones(time.size) if weights is None else np.asarray(weights, dtype=np.float64))[ev]
    s = (np.zeros(time.size, dtype=np.int64) if strata is None else np.asarray(strata))[ev]
    t, x = time[ev], score[ev]
    if t.size < 2:
        return 0.0, 0.0

    def pairs(*keys: np.ndarray) -> float:
        _, idx = np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)
        idx = idx.reshape(-1)
        tot = np.bincount(idx, weights=w)
        sq = np.bincount(idx, weights=w * w)
        return float(np.sum(tot * tot - sq) / 2.0)

    same_t = pairs(s.astype(np.float64), t)
    same_tx = pairs(s.astype(np.float64), t, x)
    return same_t - same_tx, same_tx


def concordance_with_se(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
) -> tuple[float, float]:
    """Harrell's C and its SE; see :func:`concordance_fit` (this drops the pair counts)."""
    c, se, _ = concordance_fit(time, event, score, strata, weights, cluster)
    return c, se


def concordance_fit(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
) -> tuple[float, float, ConcordanceCounts]:
    """Harrell's C and its infinitesimal-jackknife SE, as R's ``concordancefit`` (``coxph``'s
    ``concordance["std"]``); higher score = earlier event.

    A pair is comparable when, within a stratum, the earlier time is an event; an event and a
    censoring at the same time are comparable (the censored subject outlived), two events at
    the same time are not (R ``concordance(..., reverse=TRUE)``). C = (concordant + tied/2) /
    (concordant + discordant + tied), ties in the score. With C_i, D_i, T_i the partners' weight
    in observation i's concordant, discordant and tied-in-score pairs, npair = C + D + T and
    Somers' d = (C - D) / npair, the influence of i is
    ``w_i ((C_i - D_i) / npair - d (C_i + D_i + T_i) / npair)`` (summed within clusters when
    given) and var(C) = sum of the squared influences / 4. (NaN, NaN) if no pairs. The third
    value holds the pair counts R reports (:class:`ConcordanceCounts`).
    """
    conc, disc, tied, w = _pair_counts(time, event, score, strata, weights)
    # every pair is counted once from each member: halve the weighted sums
    c, d, t = (float(np.einsum("n,n->", w, x)) / 2 for x in (conc, disc, tied))
    counts = ConcordanceCounts(c, d, t, *tied_event_pairs(time, event, score, strata, weights))
    npair = c + d + t
    if not npair > 0:
        return float("nan"), float("nan"), counts
    somers = (c - d) / npair
    dfbeta = w * ((conc - disc) / npair - somers / npair * (conc + disc + tied))
    if cluster is not None:
        _, idx = np.unique(cluster, return_inverse=True)
        dfbeta = np.bincount(idx.reshape(-1), weights=dfbeta)
    return (somers + 1) / 2, float(np.sqrt(np.einsum("n,n->", dfbeta, dfbeta) / 4)), counts
