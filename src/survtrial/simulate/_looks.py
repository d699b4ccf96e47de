"""Compiled (numba) analysis of every look of one simulated trial: its risk-set table, then the tests.

Before the looks: the DFS event calendar times' order statistics give every look's cut; the exits
(events and dropouts) by the last cut are gathered in patient (enrolment) order and argsorted by
exit time once (events before dropouts at equal times). Per look, two passes over those exits
and no pass over all patients:

- pass 1, exit-time order: the distinct event times t_j by the cut, and ``plus[j, c]`` = exits
  of cell c observed by the cut with exit time < t_j (lo = event times <= the exit time, lo <= j);
- pass 2, reverse enrolment order (follow-up ``cut - e`` ascending): ``minus[j, c]`` = those
  exits with hi <= j, hi = event times <= cut - e (no longer followed at t_j).

Numbers at risk: ``risk[j, c] = F_c(t_j) - plus[j, c] + minus[j, c]`` with F_c(t) the patients
of cell c followed ``cut - e >= t`` (the enrolment grid gives how many patients, the running
cell counts how many of them in cell c). For an exit, ``[j < hi] - [lo <= j] + [hi <= j]`` is
``[j < lo]``: at risk while its exit time is >= t_j, as in the data cut by ``apply_data_cut``,
so the counts are exact. Rare cases take exact slower paths: equal event times (ties), and a
dropout whose ``cut - e`` rounds below its exit time (``apply_data_cut`` gives it time
``min(exit, cut - e)``).

From these counts each look builds its risk-set table (rows of the stratified or pooled analysis,
per-cell counts where a Kaplan-Meier statistic needs them), the log-rank sums and the Cox
estimate; the tests are functions of that table (:mod:`survtrial.simulate._statistics`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from survtrial.simulate._estimates import cox_binary, logrank_rows, logrank_unit
from survtrial.simulate._generate import cell_count, count_followed, count_followed_all
from survtrial.simulate._passes import at_risk_slow, event_times, event_times_ties, exit_limits
from survtrial.simulate._sorting import argsort_events_first, select_into
from survtrial.simulate._statistics import MAX_COMPONENTS, SIGN, LookTable, compute

_SQRT2 = math.sqrt(2.0)


class AnalysisArgs(NamedTuple):
    """What the looks compute: one typed bundle (a numba named tuple), built by
    ``engine.build_model``; :func:`analysis_args` fixes the field types."""

    control: int  # arm index of the control arm
    experimental: int
    stratified: bool  # stratified analysis (by the scenario's strata): log-rank-type tests and Cox
    by_events: bool  # looks at event counts (else at calendar times)
    look_events: np.ndarray  # (K,) int: DFS events of each look (event looks)
    look_times: np.ndarray  # (K,) calendar times of the looks (calendar looks)
    landmarks: np.ndarray  # (L,) times of the Kaplan-Meier estimates per arm
    cells: bool  # build the per-cell table at every look (Kaplan-Meier-type statistics, landmarks)
    check_times: np.ndarray  # (Q,) times at which the numbers at risk per arm are counted
    test_kind: np.ndarray  # (S,) int: kind of each statistic (survtrial.simulate._statistics)
    plain_tests: np.ndarray  # (n, 2) int: slot, kind of the log-rank and Cox tests
    weighted_tests: np.ndarray | None  # (n, 4): slot, weight kind, a, b; None: none (not compiled)
    maxcombo_tests: np.ndarray | None  # (n, 2 + 3 m): slot, m, (weight kind, a, b) x m; None: none
    curve_tests: np.ndarray | None  # (n, 4): slot, kind (RMST / milestone), time, check index; None: none
    stop_upper: np.ndarray  # (S, K) design-scale z stopping a statistic's test at planned information
    stop_lower: np.ndarray  # (S, K) -inf where the design does not stop for a low z


_ANA_SCALARS = {"control": int, "experimental": int, "stratified": bool, "by_events": bool, "cells": bool}
_ANA_INT_ARRAYS = ("look_events", "test_kind", "plain_tests")
_ANA_TABLES = ("plain_tests", "weighted_tests", "maxcombo_tests", "curve_tests", "stop_upper", "stop_lower")
_ANA_FAMILIES = ("weighted_tests", "maxcombo_tests", "curve_tests")


def analysis_args(**fields) -> AnalysisArgs:
    """An :class:`AnalysisArgs` with every field of its fixed type: 2-D tables, None for a family
    without tests (its code is then not compiled)."""
    out = {}
    S = len(fields["test_kind"])
    for name in AnalysisArgs._fields:
        v = fields[name]
        if name in _ANA_SCALARS:
            out[name] = _ANA_SCALARS[name](v)
        elif name in _ANA_FAMILIES and (v is None or len(v) == 0):
            out[name] = None
        else:
            # C-contiguous and writeable: a read-only array is another numba type (another compilation)
            a = np.require(v, dtype=np.int64 if name in _ANA_INT_ARRAYS else np.float64, requirements="CW")
            if name in _ANA_TABLES:
                width = a.shape[-1] if a.ndim == 2 else 2
                a = a.reshape(S, -1) if name.startswith("stop") else a.reshape(len(a), width)
            out[name] = a
    return AnalysisArgs(**out)


class LookOutputs(NamedTuple):
    """Per-trial, per-look results (first axis: trials of the block; K looks, A arms, L landmarks,
    S statistics, Q entries of information)."""

    cut: np.ndarray  # (T, K) calendar time of the look
    events: np.ndarray  # (T, K) int: DFS events in the analysis; -1: look not computed
    subjects: np.ndarray  # (T, K) int: patients enrolled by the cut
    events_arm: np.ndarray  # (T, K, A)
    log_hr: np.ndarray  # (T, K) Cox log HR (experimental vs control)
    log_hr_se: np.ndarray  # (T, K)
    km: np.ndarray  # (T, K, L, A) Kaplan-Meier per arm at the landmarks
    short: np.ndarray  # (T, K) bool: event look the trial could not reach
    stat_z: np.ndarray  # (T, S, K) z of each statistic on the design scale (> 0 favours experimental)
    stat_estimate: np.ndarray  # (T, S, K) its estimate (on the statistic's own scale)
    stat_p: np.ndarray  # (T, S, K) one-sided p-value (experimental better)
    stat_info: np.ndarray  # (T, S, K, Q) information (Q = 0: not recorded)


def workspace(n_cap, n_cells, n_groups, n_stats):
    """Work arrays of :func:`analyse_looks` for trials of up to n_cap patients (allocated in
    Python once per block; the kernels receive them)."""
    n_cap, n_cells, n_groups, n_stats = int(n_cap), int(n_cells), int(n_groups), int(n_stats)
    fw = np.empty((8, n_cap + 2))
    iw = np.empty((12, n_cap + 2), dtype=np.int64)
    dc = np.empty((n_cap + 1, n_cells))
    risk = np.empty((n_cap + 1, n_cells))
    plus = np.empty((n_cap + 2, n_cells), dtype=np.int64)
    minus = np.empty((n_cap + 2, n_cells), dtype=np.int64)
    run = np.empty(n_cells, dtype=np.int64)
    rows = np.empty((5, n_groups * (n_cap + 1)))
    row_group = np.empty(n_groups * (n_cap + 1), dtype=np.int64)
    # scratch rows: the weighted log-rank sums' (see survtrial.simulate._statistics), then the
    # MaxCombo scores, covariance, correlation and work matrices
    scratch = np.empty((6 * MAX_COMPONENTS + 4, max(2 * n_cap + 2, n_groups * (n_cap + 1), MAX_COMPONENTS)))
    # rows 0-2: z, estimate, p of each statistic at a look; rows 3..: its information
    info = np.empty((3 + n_stats, max(n_stats, MAX_COMPONENTS * (MAX_COMPONENTS + 1) // 2)))
    return fw, iw, dc, risk, plus, minus, run, rows, row_group, scratch, info


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def _risk_at_arms(cut, t, n_strata, n_arms, nc, cand, enrol, cell, exit_t, n, pref, grid, lo, gscale, out):
    """Numbers at risk per arm at follow-up time t in the data cut at ``cut`` into ``out`` (patients
    enrolled by the cut whose time min(exit, cut - e), or exit for an observed event, is >= t):
    those followed ``cut - e >= t`` minus those among them whose exit is before t (exits with a
    drawn cause; the others leave after the horizon, beyond any look's follow-up)."""
    p = count_followed(enrol, n, grid, lo, gscale, cut, t)
    for a in range(n_arms):
        tot = 0
        for s in range(n_strata):
            tot += cell_count(pref, p, s * n_arms + a)
        out[a] = tot
    for r in range(nc):
        i = cand[r]
        if i < p and exit_t[i] < t:
            out[cell[i] % n_arms] -= 1.0


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def _prepare_exits(n, enrol, cell, exit_t, cause, cand, nc, by_events, look_events, look_times, fw, iw):
    """Before the looks: the event looks' cuts (order statistics of the DFS events' calendar
    times, in ``fw[7]``) and the exits by the last cut, in patient order (``fw[1:4]``, ``iw[0]``,
    ``iw[4]``) and in exit-time order (``fw[4:6]``, ``iw[1]``, ``iw[2]``, ``iw[5]``); (events
    drawn, last cut, exits)."""
    K = look_events.size
    # candidates (exits with a drawn cause) in patient (= enrolment) order; DFS events' calendar times
    pe, pt, px = fw[1], fw[2], fw[3]
    pc, pev = iw[0], iw[4]
    ev_x = fw[0]
    n_ev = 0
    for r in range(nc):
        i = cand[r]
        x = enrol[i] + exit_t[i]
        ev = 1 if cause[i] >= 0 else 0
        pe[r] = enrol[i]
        pt[r] = exit_t[i]
        px[r] = x
        pc[r] = cell[i]
        pev[r] = ev
        ev_x[n_ev] = x
        n_ev += ev
    # the event looks' cuts: order statistics d_k of these times (and the last one if fewer)
    cal = fw[7]
    ranks = iw[10]
    n_ranks = 0
    if by_events:
        for k in range(K):
            if look_events[k] <= n_ev:
                ranks[n_ranks] = look_events[k] - 1
                n_ranks += 1
        if look_events[K - 1] > n_ev and n_ev > 0:
            ranks[n_ranks] = n_ev - 1
            n_ranks += 1
    select_into(ev_x[:n_ev], cal, iw[7], iw[8], ranks[:n_ranks])
    if by_events:
        d_last = look_events[K - 1]
        if n_ev >= d_last:
            final = cal[d_last - 1]
        else:
            final = cal[n_ev - 1] if n_ev > 0 else 0.0
    else:
        final = look_times[K - 1]
    # exits (DFS events and dropouts) by the last cut, compacted in place
    n_exit = 0
    for r in range(nc):
        keep = 1 if px[r] <= final else 0
        pe[n_exit] = pe[r]
        pt[n_exit] = pt[r]
        px[n_exit] = px[r]
        pc[n_exit] = pc[r]
        pev[n_exit] = pev[r]
        n_exit += keep
    order = iw[9]
    argsort_events_first(pt[:n_exit], pev[:n_exit], final, order, iw[7], iw[8])
    # the same exits in exit-time order (events before dropouts at equal times)
    st, sx = fw[4], fw[5]
    sid, sc, sev = iw[1], iw[2], iw[5]
    for r in range(n_exit):
        q = order[r]
        st[r] = pt[q]
        sx[r] = px[q]
        sid[r] = q
        sc[r] = pc[q]
        sev[r] = pev[q]
    return n_ev, final, n_exit


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def _unit_rows(D, cut, enrol, n, grid, lo, gscale, ut, ecell, pref, plus, minus, n_strata, n_arms, control,
               experimental, stratified, n0, n1, d0, d1, row_time, row_group, followed):
    """Two arms, one event per time: one row per event time (stratified: the event's stratum,
    the only one with an event then; pooled: strata summed), all with d = 1; the log-rank sums
    (vectorised) and the experimental arm's events. The general path gives the same numbers.
    ``followed``: work array (D) for the patients followed to each event time."""
    count_followed_all(enrol, n, grid, lo, gscale, cut, ut, D, followed)
    ev1 = 0.0
    for j in range(D):
        p = followed[j]
        c = ecell[j]
        a = c & 1  # c % n_arms with two arms
        e1 = 1.0 if a == experimental else 0.0
        if n_strata == 1:
            r0 = cell_count(pref, p, control) - plus[j, control] + minus[j, control]
            r1 = cell_count(pref, p, experimental) - plus[j, experimental] + minus[j, experimental]
            row_group[j] = 0
        elif stratified:
            c0 = c - a + control
            c1 = c0 + experimental - control
            r0 = cell_count(pref, p, c0) - plus[j, c0] + minus[j, c0]
            r1 = cell_count(pref, p, c1) - plus[j, c1] + minus[j, c1]
            row_group[j] = c >> 1
        else:
            r0 = 0
            r1 = 0
            for s in range(n_strata):
                c0 = s * n_arms + control
                c1 = s * n_arms + experimental
                r0 += cell_count(pref, p, c0) - plus[j, c0] + minus[j, c0]
                r1 += cell_count(pref, p, c1) - plus[j, c1] + minus[j, c1]
            row_group[j] = 0
        n0[j] = float(r0)
        n1[j] = float(r1)
        d0[j] = 1.0 - e1
        d1[j] = e1
        row_time[j] = ut[j]
        ev1 += e1
    ome, var = logrank_unit(n0, n1, d1, D)
    return ome, var, ev1


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _general_rows(D, tie, fuzz, cut, n_exit, pe, px, pc, pev, jlo, enrol, n, grid, lo, gscale, ut, ecell, pref, plus,
                  minus, n_strata, n_arms, control, experimental, stratified, n_groups, risk, dc, events_arm, n0, n1,
                  d0, d1, row_time, row_group, followed):
    """Every case: the numbers at risk and events per stratum x arm cell at each event time, the
    rows of the (stratified) analysis and their log-rank sums (``followed``: work array, as in
    :func:`_unit_rows`)."""
    n_cells = n_strata * n_arms
    n_rows = n_groups * D
    if not tie:
        for j in range(D):
            for cc in range(n_cells):
                dc[j, cc] = 0.0
            dc[j, ecell[j]] = 1.0
    if fuzz:
        at_risk_slow(cut, n_exit, pe, px, pc, pev, jlo, ut, D, enrol, n, pref, grid, lo, gscale, risk)
    else:
        count_followed_all(enrol, n, grid, lo, gscale, cut, ut, D, followed)
        for j in range(D):
            p = followed[j]
            for c in range(n_cells):
                risk[j, c] = cell_count(pref, p, c) - plus[j, c] + minus[j, c]
    for a in range(n_arms):
        tot = 0.0
        for j in range(D):
            for s in range(n_strata):
                tot += dc[j, s * n_arms + a]
        events_arm[a] = tot
    # stratified log-rank and Cox on (group, time) rows
    for r in range(n_rows):
        n0[r] = 0.0
        n1[r] = 0.0
        d0[r] = 0.0
        d1[r] = 0.0
    for g in range(n_groups):
        for j in range(D):
            row_group[g * D + j] = g
            row_time[g * D + j] = ut[j]
    for j in range(D):
        for s in range(n_strata):
            g = s if stratified else 0
            r = g * D + j
            n0[r] += risk[j, s * n_arms + control]
            n1[r] += risk[j, s * n_arms + experimental]
            d0[r] += dc[j, s * n_arms + control]
            d1[r] += dc[j, s * n_arms + experimental]
    return logrank_rows(n0, n1, d0, d1, n_rows)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def _landmarks(D, ut, landmarks, risk, dc, n_strata, n_arms, km):
    """Kaplan-Meier per arm (strata pooled) at the landmarks into km (L, A)."""
    for a in range(n_arms):
        for li in range(landmarks.size):
            s_km = 1.0
            for j in range(D):
                if ut[j] > landmarks[li]:
                    break
                nr = 0.0
                de = 0.0
                for s in range(n_strata):
                    nr += risk[j, s * n_arms + a]
                    de += dc[j, s * n_arms + a]
                if de > 0.0:
                    s_km *= 1.0 - de / nr
            km[li, a] = s_km


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def _record_statistics(k, ana, zs, es, ps, infos, alive, planned, o_z, o_est, o_p, o_info):
    """Look k's statistics into the outputs, each z turned to the design scale (``SIGN``: the one
    place where the sign changes); a test at planned information crossing its bound stops.
    Returns whether every test has stopped."""
    stopped = 0
    for s in range(ana.test_kind.size):
        zd = SIGN[ana.test_kind[s]] * zs[s]  # the design scale: > 0 favours the experimental arm
        o_z[s, k] = zd
        o_est[s, k] = es[s]
        o_p[s, k] = ps[s] if not np.isnan(ps[s]) else 0.5 * math.erfc(zd / _SQRT2)
        for qq in range(o_info.shape[2]):
            o_info[s, k, qq] = infos[s, qq]
        if alive[s] and planned and (zd >= ana.stop_upper[s, k] or zd <= ana.stop_lower[s, k]):
            alive[s] = False
        stopped += 0 if alive[s] else 1
    return stopped == ana.test_kind.size


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def _blank_after(k, out, row):
    """Looks after k are not computed: events -1, statistics NaN."""
    K = out.events.shape[1]
    for kk in range(k + 1, K):
        out.cut[row, kk] = np.nan
        out.events[row, kk] = -1
        out.subjects[row, kk] = -1
        out.short[row, kk] = False
        out.log_hr[row, kk] = np.nan
        out.log_hr_se[row, kk] = np.nan
        out.events_arm[row, kk] = np.nan
        out.km[row, kk] = np.nan
        out.stat_z[row, :, kk] = np.nan
        out.stat_estimate[row, :, kk] = np.nan
        out.stat_p[row, :, kk] = np.nan
        out.stat_info[row, :, kk] = np.nan


@njit(cache=True, error_model="numpy")
def analyse_looks(n, enrol, cell, exit_t, cause, pref, grid, cand, nc, n_strata, n_arms, ana, ws, out, row):
    """Per-look statistics of one trial, written into row ``row`` of the outputs (a :class:`LookOutputs`).

    Per look: the cut, the risk-set table (:class:`~survtrial.simulate._statistics.LookTable`),
    the log-rank sums and the Cox estimate, Kaplan-Meier landmarks, then every statistic of
    ``ana.test_kind``, its z turned to the design scale (:func:`_record_statistics`). A statistic
    whose look k is at its planned events (event looks, not short) and whose z crosses
    ``stop_upper[s, k]`` or falls to ``stop_lower[s, k]`` has stopped; once every statistic has
    stopped the later looks are not computed (events -1, statistics NaN): no decision depends on
    them. ``stop_lower`` is -inf where the design does not stop for a low z.
    """
    control, experimental, stratified = ana.control, ana.experimental, ana.stratified
    by_events, look_events, look_times = ana.by_events, ana.look_events, ana.look_times
    fw, iw, dc, risk, plus, minus, run, rows, row_group, scratch, info = ws
    zs, es, ps = info[0], info[1], info[2]  # per statistic at this look
    infos = info[3:]
    o_cut, o_events, o_enrolled, o_events_arm = out.cut[row], out.events[row], out.subjects[row], out.events_arm[row]
    o_loghr, o_se, o_km, o_short = out.log_hr[row], out.log_hr_se[row], out.km[row], out.short[row]
    o_z, o_est, o_p, o_info = out.stat_z[row], out.stat_estimate[row], out.stat_p[row], out.stat_info[row]
    K = look_events.size
    Q = ana.check_times.size
    risk_at = np.zeros((Q, n_arms))
    alive = np.ones(ana.test_kind.size, dtype=np.bool_)
    n_ev, final, n_exit = _prepare_exits(n, enrol, cell, exit_t, cause, cand, nc, by_events, look_events, look_times,
                                         fw, iw)
    pe, px, pc, pev = fw[1], fw[3], iw[0], iw[4]
    st, sx, sid, sc, sev = fw[4], fw[5], iw[1], iw[2], iw[5]
    cal = fw[7]
    jlo, ecell, followed = iw[3], iw[6], iw[11]
    ut = fw[6]
    n0, n1, d0, d1, row_time = rows[0], rows[1], rows[2], rows[3], rows[4]
    n_groups = n_strata if stratified else 1
    lo = enrol[0] if n > 0 else 0.0
    G = grid.size - 1
    span = enrol[n - 1] - lo if n > 0 else 0.0
    gscale = G / span if span > 0.0 else 0.0
    for k in range(K):
        short = False
        if by_events:
            d_k = look_events[k]
            if n_ev >= d_k:
                cut = cal[d_k - 1]
            else:
                short = True
                cut = final
        else:
            cut = look_times[k]
        o_cut[k] = cut
        o_short[k] = short
        o_enrolled[k] = count_followed(enrol, n, grid, lo, gscale, cut, 0.0)
        # pass 1, exit-time order: distinct event times, events per cell, lo per exit
        D, tie = event_times(cut, n_exit, st, sx, sc, sev, sid, ut, ecell, jlo, plus, run)
        if tie:  # equal event times (not with continuous draws, but exact all the same)
            D, m = event_times_ties(cut, n_exit, st, sx, sc, sev, sid, ut, dc, jlo, plus, run)
        else:
            m = D
        o_events[k] = m
        # pass 2, reverse enrolment order: exits no longer followed at t_j
        fuzz = exit_limits(cut, n_exit, pe, px, pc, pev, jlo, ut, D, minus, run)
        unit = n_arms == 2 and not tie and not fuzz and not ana.cells
        if unit:
            n_rows = D
            ome, var, ev1 = _unit_rows(D, cut, enrol, n, grid, lo, gscale, ut, ecell, pref, plus, minus, n_strata,
                                       n_arms, control, experimental, stratified, n0, n1, d0, d1, row_time, row_group,
                                       followed)
            o_events_arm[k, experimental] = ev1
            o_events_arm[k, control] = D - ev1
        else:
            n_rows = n_groups * D
            ome, var = _general_rows(D, tie, fuzz, cut, n_exit, pe, px, pc, pev, jlo, enrol, n, grid, lo, gscale, ut,
                                     ecell, pref, plus, minus, n_strata, n_arms, control, experimental, stratified,
                                     n_groups, risk, dc, o_events_arm[k], n0, n1, d0, d1, row_time, row_group, followed)
        beta, se = cox_binary(n0, n1, d0, d1, n_rows, ome / var if var > 0.0 else np.nan, unit)
        o_loghr[k] = beta
        o_se[k] = se
        if ana.landmarks.size > 0:
            _landmarks(D, ut, ana.landmarks, risk, dc, n_strata, n_arms, o_km[k])
        for q in range(Q):
            _risk_at_arms(cut, ana.check_times[q], n_strata, n_arms, nc, cand, enrol, cell, exit_t, n, pref, grid, lo,
                          gscale, risk_at[q])
        tab = LookTable(n_rows, n0, n1, d0, d1, row_time, row_group, n_groups, D, ut, risk, dc, not unit,
                        n_strata, n_arms, control, experimental, risk_at, ome, var, beta, se, scratch)
        compute(ana.plain_tests, ana.weighted_tests, ana.maxcombo_tests, ana.curve_tests, tab, zs, es, ps, infos)
        planned = by_events and not short and m == look_events[k]
        if _record_statistics(k, ana, zs, es, ps, infos, alive, planned, o_z, o_est, o_p, o_info):
            _blank_after(k, out, row)
            break
