"""Entry points of the compiled simulation kernels: simulate a block of trials, or replay one trial.

One call simulates a block of consecutive trials from one xoshiro256++ state (draws in trial
order, so the first m trials of a block do not depend on how many follow): each trial is drawn
by :func:`~survtrial.simulate._generate.generate_trial` and analysed at every look by
:func:`~survtrial.simulate._looks.analyse_looks`; the work arrays are allocated once per block.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from survtrial.simulate._cache import drop_stale_kernel_cache
from survtrial.simulate._generate import DROPOUT, NO_EXIT, fill_late_exits, generate_trial, pref_rows
from survtrial.simulate._looks import analyse_looks, workspace

drop_stale_kernel_cache()  # before any kernel is loaded from numba's cache

__all__ = ["DROPOUT", "NO_EXIT", "patient_block", "simulate_block"]


@njit(cache=True, error_model="numpy")
def _buffers(n_cap, n_cells):
    enrol = np.empty(n_cap + 1)
    cell = np.empty(n_cap + 1, dtype=np.int64)
    exit_t = np.empty(n_cap + 1)
    cause = np.empty(n_cap + 1, dtype=np.int64)
    pref = np.zeros((pref_rows(n_cells, n_cap), n_cap + 1), dtype=np.int64)
    grid = np.zeros(max(1, n_cap // 2) + 1, dtype=np.int64)
    cand = np.empty(n_cap + 1, dtype=np.int64)
    sup = np.empty(n_cap + 1, dtype=np.int64)
    n_cand = np.zeros(3, dtype=np.int64)
    scratch = np.empty(n_cap + 1)
    return enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch


@njit(cache=True, error_model="numpy")
def simulate_block(
    state, sizes, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, blocks, target, n_arms,
    breaks, tot_rates, tot_cum, p_event, type_cum, horizon, min_events,
    control, experimental, stratified, look_kind, look_events, look_times, landmarks, stop_upper, stop_lower,
    o_cut, o_events, o_enrolled, o_events_arm, o_z, o_loghr, o_se, o_km, o_short,
):
    """Simulate trials of ``sizes[i]`` patients from ``state`` and analyse every look of each."""
    n_cap = sizes.max() if sizes.size else 0
    n_strata = strat_cum.size
    n_cells = n_strata * n_arms
    enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch = _buffers(n_cap, n_cells)
    fw, iw, dc, risk, plus, minus, run, rows = workspace(n_cap, n_cells, n_strata if stratified else 1)
    for i in range(sizes.size):
        n = sizes[i]
        generate_trial(
            state, n, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, blocks, target, n_arms,
            breaks, tot_rates, tot_cum, p_event, type_cum, horizon, min_events,
            enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch,
        )
        analyse_looks(
            n, enrol, cell, exit_t, cause, pref, grid, cand, n_cand[0], n_strata, n_arms, control,
            experimental, stratified, look_kind, look_events, look_times, landmarks, stop_upper, stop_lower,
            fw, iw, dc, risk, plus, minus, run, rows,
            o_cut[i], o_events[i], o_enrolled[i], o_events_arm[i], o_z[i], o_loghr[i], o_se[i],
            o_km[i], o_short[i],
        )


@njit(cache=True, error_model="numpy")
def patient_block(
    state, late_state, sizes, index, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, blocks,
    target, n_arms, breaks, tot_rates, tot_cum, p_event, type_cum, horizon, min_events,
):
    """Patient arrays (enrol, cell, exit time, cause) of trial ``index`` of a block (the earlier
    trials are drawn and discarded); the exits the trial did not draw (after the horizon) come
    from ``late_state``."""
    n_cap = sizes[: index + 1].max()
    enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch = _buffers(n_cap, strat_cum.size * n_arms)
    for i in range(index + 1):
        generate_trial(
            state, sizes[i], acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, blocks, target, n_arms,
            breaks, tot_rates, tot_cum, p_event, type_cum, horizon, min_events,
            enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch,
        )
    n = sizes[index]
    fill_late_exits(late_state, n, enrol, cell, breaks, tot_rates, tot_cum, horizon, exit_t, sup, n_cand)
    causes = np.full(n, NO_EXIT, dtype=np.int64)
    for r in range(n_cand[0]):
        causes[cand[r]] = cause[cand[r]]
    return enrol[:n].copy(), cell[:n].copy(), exit_t[:n].copy(), causes
