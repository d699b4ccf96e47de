"""Compiled (numba) exit times of one simulated trial, revealed in increasing order up to a horizon.

A patient leaves follow-up (DFS event or dropout) at ``H_row^-1(E)``: E ~ Exp(1) in units of the
cumulative total hazard of the patient's hazard row (stratum x arm, and cured or not). The
patients are split, in enrolment order, into SEGMENTS segments. In a segment of m patients the
E's are revealed in increasing order, as order statistics: ``E_(k+1) = E_(k) + X / (m - k)``
(X ~ Exp(1)), carried by a uniformly chosen patient among the m - k not yet revealed (a partial
Fisher-Yates shuffle): one uniform u gives the patient, ``floor(u (m - k))``, and the cause of
that exit, the fraction ``u (m - k) - floor(u (m - k))`` (uniform given the patient, to 2**-53
(m - k)). Each segment draws from its own two xoshiro256++ streams (spacings; patients and
causes), seeded from one word of the trial's stream A.

A look at calendar time ``horizon`` needs only the exits at ``e + t <= horizon``: the segment's
bound ``h`` (the largest ``H_row(horizon - e)`` over its rows, at its first patient's enrolment
e) is at least every such patient's E, so revealing while ``E_(k) <= h`` finds them all. The
sequence of draws of a segment does not depend on where it stops, so revealing further later
(a larger horizon, or every exit: the full trial) continues the same sequence: the trial is the
same whatever the horizon, and a design's looks only decide how much of it is drawn.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from survtrial.simulate import _rng

__all__ = ["DROPOUT", "NO_EXIT", "SEGMENTS", "collect_exits", "reveal", "reveal_all", "seed_segments"]

NO_EXIT = -2  # no exit (revealed) before the horizon: censored at any look
DROPOUT = -1  # lost to follow-up; event types are 0..E-1

# enrolment segments: more give tighter bounds (fewer exits revealed beyond the horizon) for one
# seeded stream more each
SEGMENTS = 8


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def inverse_hazard(h, row, breaks, rates, cum):
    """Smallest t with H_row(t) = h (inf beyond a zero-hazard tail); the piece is found by
    counting the cumulative hazards below h (no data-dependent branch)."""
    k = breaks.size
    j = 0
    for m in range(1, k):
        j += 1 if cum[row, m] < h else 0
    r = rates[row, j]
    c = cum[row, j]
    b = breaks[j]
    flat = b if h <= c else np.inf
    return b + (h - c) / r if r > 0.0 else flat


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def piece(t, breaks):
    """Index of the hazard piece holding t: the count of later breaks <= t (branch-free)."""
    j = 0
    for m in range(1, breaks.size):
        j += 1 if breaks[m] <= t else 0
    return j


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def cause_of_exit(u, t, row, breaks, p_event, type_cum):
    """Cause of an exit at time t in hazard row ``row`` from one uniform: an event type 0..E-1, or DROPOUT.

    u < P(event | exit at t) = event hazard / total hazard means an event; its type is then the
    first k with u / P(event) < type_cum[row, k].
    """
    p = p_event[row, piece(t, breaks)]
    v = u / p if p > 0.0 else 0.0
    k = 0
    for m in range(type_cum.shape[1] - 1):
        k += 1 if type_cum[row, m] <= v else 0
    return k if u < p else DROPOUT


@njit(no_cpython_wrapper=True)
def _cum_hazard(t, row, breaks, rates, cum):
    """H_row(t), the cumulative total hazard of a row at t >= 0 (a zero-rate tail stays flat)."""
    j = piece(t, breaks)
    r = rates[row, j]
    return cum[row, j] + (r * (t - breaks[j]) if r > 0.0 else 0.0)


@njit(no_cpython_wrapper=True)
def segment_range(s, n):
    """Patients a..b-1 of enrolment segment s."""
    return s * n // SEGMENTS, (s + 1) * n // SEGMENTS


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def segment_bound(a, enrol, horizon, breaks, rates, cum):
    """Bound h of a segment whose first patient is a: the largest H_row(horizon - e_a) over the
    rows, so h >= H_row(horizon - e_i) for every patient i of the segment (enrolment is sorted);
    0 if the horizon is not after e_a, inf for an infinite horizon."""
    w = horizon - enrol[a]
    if not w > 0.0:
        return 0.0
    if w == np.inf:
        return np.inf
    h = 0.0
    for row in range(rates.shape[0]):
        h = max(h, _cum_hazard(w, row, breaks, rates, cum))
    return h


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def seed_segments(state, n, seg, seg_k, seg_e, perm):
    """Start the trial's segment streams: one word of stream A per segment (always SEGMENTS words,
    whatever the trial's size), expanded by splitmix64; nothing revealed yet."""
    for s in range(SEGMENTS):
        a0, a1, a2, a3, b0, b1, b2, b3 = _rng.seeded_state(_rng.bits(state))
        seg[s, 0], seg[s, 1], seg[s, 2], seg[s, 3] = a0, a1, a2, a3
        seg[s, 4], seg[s, 5], seg[s, 6], seg[s, 7] = b0, b1, b2, b3
        seg_k[s] = 0
        seg_e[s] = -1.0  # the first order statistic is not drawn yet
    for i in range(n):
        perm[i] = i


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def reveal(s, n, bound, limit, enrol, bits, seg, seg_k, seg_e, perm, recip, row, breaks, rates, cum, exit_t,
           u_cause):
    """Reveal the exits of segment s in increasing E while E <= bound (inf: all of them); mark
    in ``bits`` (bit i for patient i) those at calendar time ``enrol + t <= limit`` (finite t).

    Per exit, from the segment's two streams: the spacing X ~ Exp(1) (ziggurat) of the next order
    statistic from the first, and from the second one uniform whose integer part (times the
    patients not yet revealed) chooses its patient and whose fraction is the uniform of its
    cause (kept in ``u_cause``); two streams, so the two dependency chains run side by side. The next
    order statistic stays drawn (``seg_e``) when the bound stops the walk, so a later call
    continues the same sequence. Revealed patients are
    ``perm[a:a + seg_k[s]]``, in the order revealed.
    """
    a, b = segment_range(s, n)
    m = b - a
    k = seg_k[s]
    if k >= m:
        return
    one = np.uint64(1)
    zero = np.uint64(0)
    s0, s1, s2, s3 = seg[s, 0], seg[s, 1], seg[s, 2], seg[s, 3]
    t0, t1, t2, t3 = seg[s, 4], seg[s, 5], seg[s, 6], seg[s, 7]
    e = seg_e[s]
    if e < 0.0:
        x, s0, s1, s2, s3 = _rng.exponential_step(s0, s1, s2, s3)
        e = x * recip[m]
    while e <= bound:
        u, t0, t1, t2, t3 = _rng.uniform_step(t0, t1, t2, t3)
        x = u * (m - k)
        r = min(int(x), m - k - 1)
        j = a + k + r
        i = perm[j]
        perm[j] = perm[a + k]
        perm[a + k] = i
        t = inverse_hazard(e, row[i], breaks, rates, cum)
        exit_t[i] = t
        u_cause[i] = x - r
        keep = enrol[i] + t <= limit and t < np.inf
        bits[i >> 6] |= (one if keep else zero) << np.uint64(i & 63)
        k += 1
        if k == m:
            e = np.inf
            break
        # _rng.exponential_step, its common case here (a call per exit costs more than the draw)
        res, s0, s1, s2, s3 = _rng.step(s0, s1, s2, s3)
        x = _rng.quick_exponential(res)
        if x < 0.0:
            x, s0, s1, s2, s3 = _rng.exponential_rest(res, s0, s1, s2, s3)
        e += x * recip[m - k]
    seg[s, 0], seg[s, 1], seg[s, 2], seg[s, 3] = s0, s1, s2, s3
    seg[s, 4], seg[s, 5], seg[s, 6], seg[s, 7] = t0, t1, t2, t3
    seg_k[s] = k
    seg_e[s] = e


@njit(cache=True, error_model="numpy", _nrt=False)
def reveal_all(n, enrol, bits, seg, seg_k, seg_e, perm, recip, row, breaks, rates, cum, exit_t, u_cause):
    """Reveal every exit of every segment (the trial with unlimited follow-up) and mark every
    finite one in ``bits`` (those revealed before included)."""
    one = np.uint64(1)
    for s in range(SEGMENTS):
        reveal(s, n, np.inf, np.inf, enrol, bits, seg, seg_k, seg_e, perm, recip, row, breaks, rates, cum, exit_t,
               u_cause)
        a, _b = segment_range(s, n)
        for q in range(seg_k[s]):
            i = perm[a + q]
            if exit_t[i] < np.inf:
                bits[i >> 6] |= one << np.uint64(i & 63)


# de Bruijn sequence for the index of a 64-bit word's lowest set bit (Leiserson, Prokop & Randall 1998)
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_BIT_INDEX = np.zeros(64, dtype=np.int64)
for _b in range(64):
    _BIT_INDEX[((1 << _b) * 0x03F79D71B4CB0A89 % 2**64) >> 58] = _b


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def collect_exits(n, row, exit_t, u_cause, bits, breaks, p_event, type_cum, cause, cand):
    """The exits marked in ``bits``, in patient order (lowest set bit first), into ``cand``, with
    their causes in ``cause``; ``bits`` is left all zero. Returns (their number, the DFS events
    among them)."""
    nc = 0
    n_events = 0
    one = np.uint64(1)
    for w in range((n + 63) >> 6):
        word = bits[w]
        bits[w] = 0
        while word:
            low = word & (~word + one)
            cand[nc] = (w << 6) + _BIT_INDEX[np.intp((low * _DEBRUIJN) >> np.uint64(58))]
            nc += 1
            word ^= low
    if breaks.size == 1 and type_cum.shape[1] == 1:  # one piece, one event type: branch-free
        for r in range(nc):
            i = cand[r]
            ev = 1 if u_cause[i] < p_event[row[i], 0] else 0
            cause[i] = ev - 1  # 0 (the event type) or DROPOUT
            n_events += ev
    else:
        for r in range(nc):
            i = cand[r]
            k = cause_of_exit(u_cause[i], exit_t[i], row[i], breaks, p_event, type_cum)
            cause[i] = k
            n_events += 1 if k >= 0 else 0
    return nc, n_events
