"""Compiled (numba) generation of one simulated trial's patients: enrolment, randomisation, exits, causes.

Per trial: sorted enrolment times by exponential spacings through the accrual quantile function,
stratum, permuted blocks, exit times from the total (event + dropout) piecewise hazard drawn by
geometric skips (only for the patients who may leave before the horizon), and the cause of exit
drawn only for exits before the horizon. Besides the
patient arrays it fills the running count of each stratum x arm cell and a grid over the
enrolment times (:func:`count_followed` answers "how many were followed at least t by the cut" in
O(1) expected).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, uint64

from survtrial.simulate import _rng

# cause codes in the patient arrays
NO_EXIT = -2  # no exit before the horizon (censored at any look)
DROPOUT = -1  # lost to follow-up; event types are 0..E-1


class GenerationArgs(NamedTuple):
    """The model arrays the generator reads: one typed bundle (a numba named tuple), built by
    ``engine.build_model``; :func:`generation_args` fixes the field types, so the compiled kernels
    (and numba's on-disk cache) see one signature."""

    n_fixed: int  # patients per trial; -1: Poisson with mean n_mean
    n_mean: float
    acc_knots: np.ndarray
    acc_cum: np.ndarray
    acc_dens: np.ndarray
    strat_cum: np.ndarray
    stratified_blocks: bool
    blocks: np.ndarray
    target: np.ndarray
    n_arms: int
    breaks: np.ndarray
    tot_rates: np.ndarray
    tot_cum: np.ndarray
    p_event: np.ndarray
    type_cum: np.ndarray
    horizon: float
    min_events: int


_GEN_INT_ARRAYS = ("blocks", "target")
_GEN_SCALARS = {"n_fixed": int, "n_mean": float, "stratified_blocks": bool, "n_arms": int, "horizon": float,
                "min_events": int}


def generation_args(**fields) -> GenerationArgs:
    """A :class:`GenerationArgs` with every field of its fixed type (C-contiguous writeable float64
    or int64 arrays, Python scalars)."""
    out = {}
    for name in GenerationArgs._fields:
        v = fields[name]
        if name in _GEN_SCALARS:
            out[name] = _GEN_SCALARS[name](v)
        else:
            # C-contiguous and writeable: a read-only array is another numba type (another compilation)
            out[name] = np.require(v, dtype=np.int64 if name in _GEN_INT_ARRAYS else np.float64, requirements="CW")
    return GenerationArgs(**out)


@njit(cache=True, error_model="numpy")
def _accrual_quantile(u, knots, cum, dens):
    j = 0
    last = dens.size - 1
    while j < last and cum[j + 1] <= u:
        j += 1
    while j < last and dens[j] <= 0.0:
        j += 1
    if dens[j] <= 0.0:
        return knots[j]
    return knots[j] + (u - cum[j]) / dens[j]


@njit(cache=True, error_model="numpy")
def _inverse_hazard(h, cell, breaks, rates, cum):
    """Smallest t with H_cell(t) = h (inf beyond a zero-hazard tail); the piece is found by
    counting the cumulative hazards below h (no data-dependent branch)."""
    k = breaks.size
    j = 0
    for m in range(1, k):
        j += 1 if cum[cell, m] < h else 0
    r = rates[cell, j]
    c = cum[cell, j]
    b = breaks[j]
    flat = b if h <= c else np.inf
    return b + (h - c) / r if r > 0.0 else flat


@njit(cache=True, error_model="numpy")
def _piece(t, breaks):
    """Index of the hazard piece holding t: the count of later breaks <= t (branch-free)."""
    j = 0
    for m in range(1, breaks.size):
        j += 1 if breaks[m] <= t else 0
    return j


@njit(cache=True, error_model="numpy")
def _cause(u, t, c, breaks, p_event, type_cum):
    """Cause of an exit at time t in cell c from one uniform: an event type 0..E-1, or DROPOUT.

    u < P(event | exit at t) = event hazard / total hazard means an event; its type is then the
    first k with u / P(event) < type_cum[c, k].
    """
    p = p_event[c, _piece(t, breaks)]
    v = u / p if p > 0.0 else 0.0
    k = 0
    for m in range(type_cum.shape[1] - 1):
        k += 1 if type_cum[c, m] <= v else 0
    return k if u < p else DROPOUT


# enrolment segments of the exit skips (see _exits): more segments give tighter bounds (fewer
# exit times drawn) for a little more bookkeeping; 8 was the fastest of 8, 16 and 32
SEGMENTS = 8


@njit(inline="always")
def _cum_hazard(t, c, breaks, rates, cum):
    """H_c(t), the cumulative total hazard of cell c at t >= 0 (a zero-rate tail stays flat at inf)."""
    j = _piece(t, breaks)
    r = rates[c, j]
    return cum[c, j] + (r * (t - breaks[j]) if r > 0.0 else 0.0)


@njit(cache=True, error_model="numpy")
def _segment_bound(s, n, enrol, horizon, breaks, rates, cum):
    """Skip bound h of enrolment segment s: the largest H_c(horizon - e_a) over the cells, e_a the
    enrolment of the segment's first patient, so h >= H_cell(horizon - e_i) for every patient i of
    the segment (enrolment is sorted); 0 if the horizon is not after e_a."""
    w = horizon - enrol[s * n // SEGMENTS]
    if not w > 0.0:
        return 0.0
    h = 0.0
    for c in range(rates.shape[0]):
        h = max(h, _cum_hazard(w, c, breaks, rates, cum))
    return h


@njit(inline="always")
def _segment(s, n, enrol, horizon, breaks, rates, cum):
    """Patients a..b-1 of enrolment segment s and its skip bound h (0 for an empty segment)."""
    a = s * n // SEGMENTS
    b = (s + 1) * n // SEGMENTS
    h = _segment_bound(s, n, enrol, horizon, breaks, rates, cum) if a < b else 0.0
    return a, b, h


@njit(cache=True, error_model="numpy")
def _exits(state, n, enrol, cell, breaks, rates, cum, horizon, exit_t, cand, sup, n_cand):
    """Exit times of the patients who may leave before the horizon, drawn by skips; the candidates.

    A patient's exit is H_cell^-1(E) with E ~ Exp(1) in cumulative-hazard units. The patients are
    walked in enrolment order in SEGMENTS segments; a segment's bound h (:func:`_segment_bound`)
    is at least every H_cell(horizon - e_i) in it, so only patients with E < h can leave before
    the horizon. One exponential E covers a stretch: E = K h + R with K = floor(E / h) (geometric:
    the next K patients have E >= h and are skipped) and R (the next patient's E, Exp(1)
    truncated to [0, h)) independent of K, by memorylessness; a stretch past the segment's end
    leaves E - m h ~ Exp(1) for the next segment. So about one exponential per patient with
    E < h instead of one per patient. A segment with an infinite bound (an infinite horizon)
    draws one exponential per patient.

    Writes ``exit_t`` for the patients with E < h (in ``sup[:n_cand[1]]``, patient order; the
    others' exits are after the horizon and drawn only when needed, by
    :func:`fill_late_exits`), the candidates (exit at or before the horizon) in
    ``cand[:nc]`` (patient order); returns nc. Draws from stream A.
    """
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    E, s0, s1, s2, s3 = _rng.exponential_step(s0, s1, s2, s3)
    nc = 0
    ns = 0
    for s in range(SEGMENTS):
        a, b, h = _segment(s, n, enrol, horizon, breaks, rates, cum)
        if not h > 0.0:  # empty, or the horizon is before this segment: no exit before it
            continue
        if h == np.inf:
            for i in range(a, b):
                t = _inverse_hazard(E, cell[i], breaks, rates, cum)
                exit_t[i] = t
                sup[ns] = i
                ns += 1
                cand[nc] = i
                nc += 1 if enrol[i] + t <= horizon else 0
                E, s0, s1, s2, s3 = _rng.exponential_step(s0, s1, s2, s3)
            continue
        inv_h = 1.0 / h
        i = a
        while True:
            k = E * inv_h
            if k >= b - i:  # past the segment's end (predictable: once per segment)
                E = max(E - (b - i) * h, 0.0)
                break
            q = int(k)
            i += q
            t = _inverse_hazard(min(max(E - q * h, 0.0), h), cell[i], breaks, rates, cum)
            exit_t[i] = t
            sup[ns] = i
            ns += 1
            cand[nc] = i  # kept if the exit is before the horizon (branch-free append)
            nc += 1 if enrol[i] + t <= horizon else 0
            i += 1
            E, s0, s1, s2, s3 = _rng.exponential_step(s0, s1, s2, s3)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    n_cand[1] = ns
    n_cand[2] = 0
    return nc


@njit(cache=True, error_model="numpy")
def fill_late_exits(state, n, enrol, cell, breaks, rates, cum, horizon, exit_t, sup, n_cand):
    """The exit times :func:`_exits` skipped (patients with E >= their segment's bound h): E = h +
    Exp(1) (memorylessness), in patient order from ``state``'s stream A; all after the horizon.
    Marks them drawn (``n_cand[2] = 1``)."""
    if n_cand[2]:
        return
    ns = n_cand[1]
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    q = 0
    for s in range(SEGMENTS):
        a, b, h = _segment(s, n, enrol, horizon, breaks, rates, cum)
        for i in range(a, b):
            if q < ns and sup[q] == i:
                q += 1
                continue
            x, s0, s1, s2, s3 = _rng.exponential_step(s0, s1, s2, s3)
            exit_t[i] = _inverse_hazard(h + x, cell[i], breaks, rates, cum)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    n_cand[2] = 1


@njit(cache=True, error_model="numpy")
def _shuffle_into(seq, o, template, u):
    """Fisher-Yates shuffle of the template into seq[o:o + len], index digits peeled off one uniform."""
    bsize = template.size
    for j in range(bsize):
        seq[o + j] = template[j]
    for j in range(bsize - 1, 0, -1):
        x = u * (j + 1)
        r = int(x)
        if r > j:
            r = j
        u = x - r
        tmp = seq[o + j]
        seq[o + j] = seq[o + r]
        seq[o + r] = tmp


@njit(cache=True, error_model="numpy")
def _stratum_branchless(u, strat_cum):
    """Stratum of a patient from its uniform: the count of cumulative shares <= u (branch-free)."""
    s = 0
    for k in range(strat_cum.size - 1):
        s += 1 if strat_cum[k] <= u else 0
    return s


@njit(cache=True, error_model="numpy")
def _randomise(state, n, u_strat, strat_cum, stratified_blocks, blocks, n_arms, cell):
    """Stratum x arm cell of each patient: strata from the uniforms, arms by permuted blocks.

    ``blocks[0]`` is the block template (its arms in order); with more rows, ``blocks`` lists
    every ordering of the template (all bsize! permutations, so each arrangement has its
    permutation probability) and a block is the row ``floor(u * rows)`` of one uniform.
    Blocks of two take one bit each (bits of 64-bit draws, in the order the blocks open). Larger
    blocks: each group's sequence of blocks is drawn group by group, one uniform per block (a
    row of the table; without one, the Fisher-Yates index digits peeled off it up to 14, or one
    uniform per position), then dealt to the group's patients in enrolment order.
    """
    n_strata = strat_cum.size
    template = blocks[0]
    bsize = template.size
    n_groups = n_strata if stratified_blocks else 1
    if bsize == 2:
        word = uint64(0)
        left = 0
        if n_groups == 1 and n_strata == 1:  # block k holds patients 2k, 2k + 1 (cell has room for n + 1)
            n_blocks = (n + 1) // 2
            k = 0
            while k < n_blocks:
                word = _rng.bits(state)
                m = min(64, n_blocks - k)
                for q in range(m):
                    r = np.intp((word >> uint64(q)) & uint64(1))
                    cell[2 * (k + q)] = template[1 - r]
                    cell[2 * (k + q) + 1] = template[r]
                k += m
            return
        # the second arm of a group's open block waits in pend[g] (-1: none); branch-free, a
        # new block consumes the next bit
        pend = np.full(n_groups, -1, dtype=np.int64)
        t0 = template[0]
        t1 = template[1]
        for i in range(n):
            s = _stratum_branchless(u_strat[i], strat_cum) if n_strata > 1 else 0
            g = s if stratified_blocks else 0
            a = pend[g]
            new = 1 if a < 0 else 0
            if left == 0:  # predictable: once per 64 blocks
                word = _rng.bits(state)
                left = 64
            r = np.intp(word & uint64(1))
            word >>= uint64(new)
            left -= new
            first = t0 if r == 1 else t1  # template[1 - r]
            second = t1 if r == 1 else t0  # template[r]
            cell[i] = s * n_arms + (first if new else a)
            pend[g] = second if new else -1
        return
    # larger blocks: each group's sequence of shuffled blocks is drawn first (group by group,
    # block by block), then dealt to the group's patients in enrolment order
    counts = np.zeros(n_groups, dtype=np.int64)
    for i in range(n):
        s = _stratum_branchless(u_strat[i], strat_cum) if n_strata > 1 else 0
        cell[i] = s
        counts[s if stratified_blocks else 0] += 1
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for g in range(n_groups):
        start[g + 1] = start[g] + -(-counts[g] // bsize) * bsize
    seq = np.empty(start[n_groups], dtype=np.int64)
    n_blocks = start[n_groups] // bsize
    n_rows = blocks.shape[0]
    if n_rows > 1:  # a row of the table of orderings: no dependency chain per block
        u = np.empty(n_blocks)
        _rng.uniforms(state, u, 0, n_blocks)
        for b in range(n_blocks):
            row = min(int(u[b] * n_rows), n_rows - 1)
            o = b * bsize
            for j in range(bsize):
                seq[o + j] = blocks[row, j]
    elif bsize <= 14:
        u = np.empty(n_blocks)
        _rng.uniforms(state, u, 0, n_blocks)
        for b in range(n_blocks):
            _shuffle_into(seq, b * bsize, template, u[b])
    else:  # more permutations than one uniform resolves: a uniform per position
        u = np.empty(n_blocks * (bsize - 1))
        _rng.uniforms(state, u, 0, u.size)
        for b in range(n_blocks):
            o = b * bsize
            for j in range(bsize):
                seq[o + j] = template[j]
            for j in range(bsize - 1, 0, -1):
                r = min(int(u[b * (bsize - 1) + bsize - 1 - j] * (j + 1)), j)
                tmp = seq[o + j]
                seq[o + j] = seq[o + r]
                seq[o + r] = tmp
    for i in range(n):
        s = cell[i]
        g = s if stratified_blocks else 0
        cell[i] = s * n_arms + seq[start[g]]
        start[g] += 1


@njit(cache=True, error_model="numpy")
def _fix_arm_counts(state, n, target, n_arms, cell):
    """Fixed arm counts: the last surplus patients of over-full arms get the missing arms, shuffled."""
    counts = np.zeros(n_arms, dtype=np.int64)
    if n_arms == 2:  # arm = cell % 2 = the cell's low bit (no division)
        ones = 0
        for i in range(n):
            ones += cell[i] & 1
        counts[0] = n - ones
        counts[1] = ones
    else:
        for i in range(n):
            counts[cell[i] % n_arms] += 1
    n_move = 0
    for a in range(n_arms):
        if counts[a] > target[a]:
            n_move += counts[a] - target[a]
    if n_move == 0:
        return
    moved = np.empty(n_move, dtype=np.int64)
    m = 0
    for a in range(n_arms):
        e = counts[a] - target[a]
        if e > 0:
            found = np.empty(e, dtype=np.int64)
            f = e
            for i in range(n - 1, -1, -1):
                if cell[i] % n_arms == a:
                    f -= 1
                    found[f] = i
                    if f == 0:
                        break
            for q in range(e):
                moved[m] = found[q]
                m += 1
    new = np.empty(n_move, dtype=np.int64)
    m = 0
    for a in range(n_arms):
        for _q in range(max(0, target[a] - counts[a])):
            new[m] = a
            m += 1
    for j in range(n_move - 1, 0, -1):
        r = min(int(_rng.uniform(state) * (j + 1)), j)
        tmp = new[j]
        new[j] = new[r]
        new[r] = tmp
    for q in range(n_move):
        i = moved[q]
        cell[i] = (cell[i] // n_arms) * n_arms + new[q]


@njit(cache=True, error_model="numpy")
def _running_sum(x, m):
    """x[:m] replaced by its running sums (four interleaved segments, then their offsets); the total.

    Non-decreasing for x >= 0: each segment's last value is exactly the next segment's offset.
    """
    q = (m + 3) // 4
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    for i in range(m - 3 * q if m > 3 * q else 0):
        s0 += x[i]
        x[i] = s0
        s1 += x[q + i]
        x[q + i] = s1
        s2 += x[2 * q + i]
        x[2 * q + i] = s2
        s3 += x[3 * q + i]
        x[3 * q + i] = s3
    for i in range(m - 3 * q if m > 3 * q else 0, q):
        s0 += x[i]
        x[i] = s0
        if q + i < m:
            s1 += x[q + i]
            x[q + i] = s1
        if 2 * q + i < m:
            s2 += x[2 * q + i]
            x[2 * q + i] = s2
    off = s0
    for k in range(1, 4):
        hi = min(m, (k + 1) * q)
        for i in range(k * q, hi):
            x[i] = off + x[i]
        if hi > k * q:
            off = x[hi - 1]
    return off


@njit(cache=True, error_model="numpy")
def generate_trial(
    state, n, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, blocks, target, n_arms,
    breaks, tot_rates, tot_cum, p_event, type_cum, horizon, min_events,
    enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch,
):
    """Draw one trial of n patients into the buffers (each of capacity >= n + 1).

    Fills the patient arrays (enrolment order; ``exit_t`` for the patients in ``sup[:n_cand[1]]``,
    the others' exits are after the horizon and filled by :func:`fill_late_exits` when needed;
    ``cause`` only for the patients in ``cand``, the others have none before the horizon:
    NO_EXIT), ``pref`` (patients of each stratum x arm cell among the first i; read it with
    :func:`cell_count`), ``grid`` (see :func:`count_followed`) and ``cand[:n_cand[0]]``
    (patients with a drawn cause of exit, in patient order).

    Draw order: n + 1 exponential spacings (enrolment); [n stratum uniforms if there are several
    strata]; the randomisation's draws (see ``_randomise``); [re-assignment uniforms for fixed arm
    counts]; the exit skips' exponentials (:func:`_exits`: about one per patient who may leave
    before the horizon); one cause uniform per exit before ``horizon`` in patient order; only if
    those hold fewer than ``min_events`` DFS events, the skipped patients' exits
    (:func:`fill_late_exits`) and one cause uniform per later finite exit in patient order.
    """
    n_strata = strat_cum.size
    n_cells = n_strata * n_arms
    # enrolment: running sums of exponential spacings, scaled to sorted uniforms, through the
    # accrual quantile function
    _rng.exponentials(state, enrol, 0, n + 1)
    total = _running_sum(enrol, n + 1)
    inv = 1.0 / total
    if acc_dens.size == 1:
        scale = inv / acc_dens[0]
        k0 = acc_knots[0]
        for i in range(n):
            enrol[i] = k0 + enrol[i] * scale
    else:
        for i in range(n):
            enrol[i] = _accrual_quantile(enrol[i] * inv, acc_knots, acc_cum, acc_dens)
    if n_strata > 1:
        _rng.uniforms(state, scratch, 0, n)
    _randomise(state, n, scratch, strat_cum, stratified_blocks, blocks, n_arms, cell)
    if target[0] >= 0:
        _fix_arm_counts(state, n, target, n_arms, cell)
    # exit times from the total hazard; candidates for a cause (exits before the horizon); running
    # cell counts; the enrolment grid: bins of equal width over the enrolment times (about two
    # patients each), grid[b + 1] = 1 + the last patient of bin b, so grid[b] = the patients in
    # bins < b wherever bin b - 1 holds a patient and 0 (a lower bound) elsewhere
    nc = _exits(state, n, enrol, cell, breaks, tot_rates, tot_cum, horizon, exit_t, cand, sup, n_cand)
    G = grid.size - 1
    lo = enrol[0] if n > 0 else 0.0
    span = enrol[n - 1] - lo if n > 0 else 0.0
    gscale = G / span if span > 0.0 else 0.0
    for b in range(G + 1):
        grid[b] = 0
    for c in range(pref.shape[0]):
        pref[c, 0] = 0
    if pref.shape[0] == 2:  # two cells: pref[0] is not stored (see cell_count)
        r1 = 0
        for i in range(n):
            r1 += cell[i]
            pref[1, i + 1] = r1
    elif pref.shape[0] == 1:  # three or four cells packed, 16 bits each (see cell_count)
        run = 0
        for i in range(n):
            run += np.int64(1) << (16 * cell[i])
            pref[0, i + 1] = run
    else:
        for c in range(n_cells):  # one running count per cell (faster than rows of counts)
            run = 0
            for i in range(n):
                run += 1 if cell[i] == c else 0
                pref[c, i + 1] = run
    # the bins go through cause as scratch: it is written only later, for the candidates
    top_bin = G - 1.0
    for i in range(n):
        cause[i] = int(min((enrol[i] - lo) * gscale, top_bin))
    for i in range(n):
        grid[cause[i] + 1] = i + 1
    _rng.uniforms(state, scratch, 0, nc)
    n_events = 0
    if breaks.size == 1 and type_cum.shape[1] == 1:  # one piece, one event type: branch-free
        for r in range(nc):
            i = cand[r]
            ev = 1 if scratch[r] < p_event[cell[i], 0] else 0
            cause[i] = ev - 1  # 0 (the event type) or DROPOUT
            n_events += ev
    else:
        for r in range(nc):
            i = cand[r]
            k = _cause(scratch[r], exit_t[i], cell[i], breaks, p_event, type_cum)
            cause[i] = k
            n_events += 1 if k >= 0 else 0
    if n_events < min_events and np.isfinite(horizon):
        fill_late_exits(state, n, enrol, cell, breaks, tot_rates, tot_cum, horizon, exit_t, sup, n_cand)
        q = 0
        n_first = nc
        for i in range(n):
            if q < n_first and cand[q] == i:  # a cause drawn already
                q += 1
                continue
            t = exit_t[i]
            if np.isfinite(t):
                cause[i] = _cause(_rng.uniform(state), t, cell[i], breaks, p_event, type_cum)
                cand[nc] = i
                nc += 1
        cand[:nc].sort()
    n_cand[0] = nc


PACKED_MAX_N = 32767  # trials of up to this many patients keep 3-4 cells' counts in one word


@njit(cache=True)
def pref_rows(n_cells, n_cap):
    """Rows of the running cell counts: 2 for two cells (row 1 only is kept), 1 for three or four
    cells in trials of up to PACKED_MAX_N patients (16 bits per cell in one int64), else one per
    cell."""
    if n_cells == 2:
        return 2
    return 1 if n_cells <= 4 and n_cap <= PACKED_MAX_N else n_cells


@njit(inline="always")
def cell_count(pref, p, c):
    """Patients of cell c among the first p: ``pref[c, p]``; with two cells only row 1 is kept
    (cell 0 is the rest), with one row the cells' counts are packed 16 bits each."""
    if pref.shape[0] == 2 and c == 0:
        return p - pref[1, p]
    if pref.shape[0] == 1:
        return (pref[0, p] >> (16 * c)) & 0xFFFF
    return pref[c, p]


@njit(cache=True, error_model="numpy")
def count_followed(enrol, n, grid, lo, gscale, cut, t):
    """Number of patients followed for ``cut - e >= t`` by the cut (computed as apply_data_cut
    does; the condition holds for a prefix of the sorted enrolment times).

    Start from the grid bin of e = cut - t (its count of patients in lower bins, or the nearest
    lower bin's where the bin below is empty), a branch-free search of the next seven patients,
    then steps to the exact count if more are followed or rounding put the boundary below (rare).
    """
    G = grid.size - 1
    b = int(min(max((cut - t - lo) * gscale, 0.0), G - 1.0))
    p = grid[b]
    while p == 0 and b > 0:  # bin b - 1 empty: a lower bin's count is a lower bound
        b -= 1
        p = grid[b]
    top = min(p + 7, n)
    for step in (4, 2, 1):
        q = min(p + step, top)
        ok = cut - enrol[q - 1] >= t
        p = q if ok else p
    while p < n and cut - enrol[p] >= t:
        p += 1
    while p > 0 and cut - enrol[p - 1] < t:
        p -= 1
    return p
