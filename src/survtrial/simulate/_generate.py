"""Compiled (numba) generation of one simulated trial's patients: enrolment, randomisation, exits, causes.

Per trial, from the trial's stream A (see :mod:`survtrial.simulate._rng`): sorted enrolment times
by exponential spacings through the accrual quantile function, stratum, permuted blocks
(:mod:`survtrial.simulate._randomise`), whether each patient is cured (scenarios with cure
fractions only), then one seed word per enrolment segment; the exit times and their causes come
from the segments' own streams, revealed in increasing order up to the horizon
(:mod:`survtrial.simulate._exits`). The horizon and ``min_events`` only decide how much of the
trial is revealed, never what it is: the same seed gives the same trial under every design, and
with unlimited follow-up (:func:`~survtrial.simulate._kernels.patient_trials`).

Besides the patient arrays it fills the running count of each stratum x arm cell and a grid over
the enrolment times (:func:`count_followed` answers "how many were followed at least t by the
cut" in O(1) expected).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from survtrial.simulate import _rng
from survtrial.simulate._exits import (
    DROPOUT,
    NO_EXIT,
    SEGMENTS,
    collect_exits,
    reveal,
    reveal_all,
    seed_segments,
    segment_bound,
    segment_range,
)
from survtrial.simulate._randomise import fix_arm_counts, randomise

__all__ = [
    "DROPOUT", "NO_EXIT", "PACKED_MAX_N", "GenerationArgs", "buffers", "cell_count", "count_followed",
    "count_followed_all", "generate_trial", "generation_args", "pref_rows",
]  # fmt: skip


class GenerationArgs(NamedTuple):
    """The model arrays the generator reads: one typed bundle (a numba named tuple), built by
    :func:`survtrial.simulate._generation.build_generation`; :func:`generation_args` fixes the
    field types, so the compiled kernels (and numba's on-disk cache) see one signature.

    The hazard rows are the stratum x arm cells (row ``s * n_arms + a``) and, when ``cure`` is
    not empty, as many more rows for the cured of each cell (dropout only: ``p_event`` 0).
    ``horizon`` and ``min_events`` (set from the design by ``engine.build_model``) say how much
    of each trial the engine reveals.
    """

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
    tot_rates: np.ndarray  # (rows, pieces): DFS hazard + dropout
    tot_cum: np.ndarray  # (rows, pieces): cumulative total hazard at the breaks
    p_event: np.ndarray  # (rows, pieces): P(DFS event | exit)
    type_cum: np.ndarray  # (rows, types): cumulative event-type shares
    cure: np.ndarray  # (cells,) cure fractions, or empty when no cell has one
    horizon: float
    min_events: int


_GEN_INT_ARRAYS = ("blocks", "target")
_GEN_SCALARS = {"n_fixed": int, "n_mean": float, "stratified_blocks": bool, "n_arms": int, "horizon": float,
                "min_events": int}


def generation_args(**fields) -> GenerationArgs:
    """A :class:`GenerationArgs` with every field of its fixed type (C-contiguous writeable float64
    or int64 arrays, Python scalars); ``cure`` defaults to empty, ``horizon`` to inf, ``min_events`` to 0."""
    fields = {"cure": np.empty(0), "horizon": np.inf, "min_events": 0, **fields}
    out = {}
    for name in GenerationArgs._fields:
        v = fields[name]
        if name in _GEN_SCALARS:
            out[name] = _GEN_SCALARS[name](v)
        else:
            # C-contiguous and writeable: a read-only array is another numba type (another compilation)
            out[name] = np.require(v, dtype=np.int64 if name in _GEN_INT_ARRAYS else np.float64, requirements="CW")
    return GenerationArgs(**out)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
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


@njit(cache=True, error_model="numpy", _nrt=False)
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


def buffers(n_cap, n_cells):
    """Work arrays of :func:`generate_trial` for trials of up to n_cap patients (allocated once
    per block, in Python: the kernels receive them, so none of them compiles an allocator): enrol,
    cell, row, exit_t, cause, u_cause, pref, grid, cand, perm, recip, seg, seg_k, seg_e, bits,
    n_cand, scratch."""
    n_cap, n_cells = int(n_cap), int(n_cells)
    enrol = np.empty(n_cap + 1)
    cell = np.empty(n_cap + 1, dtype=np.int64)
    row = np.empty(n_cap + 1, dtype=np.int64)
    exit_t = np.empty(n_cap + 1)
    cause = np.empty(n_cap + 1, dtype=np.int64)
    u_cause = np.empty(n_cap + 1)
    pref = np.zeros((pref_rows(n_cells, n_cap), n_cap + 1), dtype=np.int64)
    grid = np.zeros(max(1, n_cap // 2) + 1, dtype=np.int64)
    cand = np.empty(n_cap + 1, dtype=np.int64)
    perm = np.empty(n_cap + 1, dtype=np.int64)
    recip = np.empty(n_cap + 1)  # 1 / j: the spacings of the order statistics
    recip[0] = np.inf
    recip[1:] = 1.0 / np.arange(1, n_cap + 1, dtype=np.float64)  # IEEE division: as 1.0 / j in a loop
    seg = np.empty((SEGMENTS, 8), dtype=np.uint64)
    seg_k = np.zeros(SEGMENTS, dtype=np.int64)
    seg_e = np.empty(SEGMENTS)
    bits = np.zeros((n_cap + 63) // 64 + 1, dtype=np.uint64)  # the exits by the horizon, one bit per patient
    n_cand = np.zeros(1, dtype=np.int64)
    scratch = np.empty(n_cap + 1)
    return (enrol, cell, row, exit_t, cause, u_cause, pref, grid, cand, perm, recip, seg, seg_k, seg_e, bits,
            n_cand, scratch)


@njit(cache=True, error_model="numpy", _nrt=False)
def generate_trial(state, n, gen, horizon, min_events, bufs):
    """Draw one trial of n patients into the buffers (:func:`buffers`, capacity >= n).

    Fills the patient arrays (enrolment order): ``enrol``, ``cell`` (stratum x arm), ``row`` (its
    hazard row when some cells have cure fractions; else ``cell`` is the row), ``exit_t`` for the
    patients revealed (every exit at ``e + t <= horizon``, and some later ones), ``cause`` for
    the candidates ``cand[:n_cand[0]]`` (the revealed exits by the horizon, in patient order);
    ``pref`` (patients of each stratum x arm cell among the first i; read it with
    :func:`cell_count`) and ``grid`` (see :func:`count_followed`). If the candidates hold fewer
    than ``min_events`` DFS events (and the horizon is finite), every exit is revealed and every
    finite one is a candidate.

    Draw order, stream A: n + 1 exponential spacings (enrolment); [n stratum uniforms if there
    are several strata]; the randomisation's draws (see ``_randomise.randomise``); [re-assignment
    uniforms for fixed arm counts]; [n cure uniforms if some cell has a cure fraction]; SEGMENTS
    seed words. The exits: from the segment streams (see :mod:`survtrial.simulate._exits`), so
    stream A's use does not depend on the horizon or on min_events.
    """
    enrol, cell, row, exit_t, cause, u_cause, pref, grid, cand, perm, recip, seg, seg_k, seg_e, bits, n_cand = bufs[:16]
    scratch = bufs[16]
    n_strata = gen.strat_cum.size
    n_arms = gen.n_arms
    n_cells = n_strata * n_arms
    acc_dens = gen.acc_dens
    # enrolment: running sums of exponential spacings, scaled to sorted uniforms, through the
    # accrual quantile function
    _rng.exponentials(state, enrol, 0, n + 1)
    total = _running_sum(enrol, n + 1)
    inv = 1.0 / total
    if acc_dens.size == 1:
        scale = inv / acc_dens[0]
        k0 = gen.acc_knots[0]
        for i in range(n):
            enrol[i] = k0 + enrol[i] * scale
    else:
        for i in range(n):
            enrol[i] = _accrual_quantile(enrol[i] * inv, gen.acc_knots, gen.acc_cum, acc_dens)
    if n_strata > 1:
        _rng.uniforms(state, scratch, 0, n)
    randomise(state, n, scratch, gen.strat_cum, gen.stratified_blocks, gen.blocks, n_arms, cell)
    if gen.target[0] >= 0:
        fix_arm_counts(state, n, gen.target, n_arms, cell)
    rows = cell
    if gen.cure.size > 0:  # the cured of cell c use hazard row n_cells + c
        _rng.uniforms(state, scratch, 0, n)
        for i in range(n):
            c = cell[i]
            row[i] = c + (n_cells if scratch[i] < gen.cure[c] else 0)
        rows = row
    seed_segments(state, n, seg, seg_k, seg_e, perm)
    # running cell counts; the enrolment grid: bins of equal width over the enrolment times (about
    # two patients each), grid[b + 1] = 1 + the last patient of bin b, so grid[b] = the patients in
    # bins < b wherever bin b - 1 holds a patient and 0 (a lower bound) elsewhere
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
    # the exits: each segment revealed up to its bound at the horizon
    breaks, rates, cum = gen.breaks, gen.tot_rates, gen.tot_cum
    for s in range(SEGMENTS):
        a, b = segment_range(s, n)
        if a < b:
            h = segment_bound(a, enrol, horizon, breaks, rates, cum)
            if h > 0.0:
                reveal(s, n, h, horizon, enrol, bits, seg, seg_k, seg_e, perm, recip, rows, breaks, rates, cum,
                       exit_t, u_cause)
    nc, n_events = collect_exits(n, rows, exit_t, u_cause, bits, breaks, gen.p_event, gen.type_cum, cause, cand)
    if n_events < min_events and np.isfinite(horizon):
        reveal_all(n, enrol, bits, seg, seg_k, seg_e, perm, recip, rows, breaks, rates, cum, exit_t, u_cause)
        nc, n_events = collect_exits(n, rows, exit_t, u_cause, bits, breaks, gen.p_event, gen.type_cum, cause, cand)
    n_cand[0] = nc


PACKED_MAX_N = 32767  # trials of up to this many patients keep 3-4 cells' counts in one word


def pref_rows(n_cells, n_cap):
    """Rows of the running cell counts: 2 for two cells (row 1 only is kept), 1 for three or four
    cells in trials of up to PACKED_MAX_N patients (16 bits per cell in one int64), else one per
    cell."""
    if n_cells == 2:
        return 2
    return 1 if n_cells <= 4 and n_cap <= PACKED_MAX_N else n_cells


@njit
def cell_count(pref, p, c):
    """Patients of cell c among the first p: ``pref[c, p]``; with two cells only row 1 is kept
    (cell 0 is the rest), with one row the cells' counts are packed 16 bits each."""
    if pref.shape[0] == 2 and c == 0:
        return p - pref[1, p]
    if pref.shape[0] == 1:
        return (pref[0, p] >> (16 * c)) & 0xFFFF
    return pref[c, p]


@njit(cache=True, error_model="numpy", _nrt=False)
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


@njit(cache=True, error_model="numpy", _nrt=False)
def count_followed_all(enrol, n, grid, lo, gscale, cut, ts, m, out):
    """``out[j] = count_followed(enrol, n, grid, lo, gscale, cut, ts[j])`` for j < m: the same
    counts in one compiled loop (LLVM inlines the lookup, so independent lookups overlap; a call
    per time from another kernel costs more than the lookup)."""
    for j in range(m):
        out[j] = count_followed(enrol, n, grid, lo, gscale, cut, ts[j])
