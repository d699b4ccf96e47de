"""Entry points of the compiled simulation kernels: simulate a block of trials, or replay one trial.

One call (without the GIL: threads run blocks side by side) simulates a block of consecutive
trials from one xoshiro256++ state (draws in trial order, so the first m trials of a block do not
depend on how many follow): each trial is drawn by
:func:`~survtrial.simulate._generate.generate_trial` from the generation bundle
(:class:`~survtrial.simulate._generate.GenerationArgs`) and analysed at every look by
:func:`~survtrial.simulate._looks.analyse_looks` from the analysis bundle
(:class:`~survtrial.simulate._looks.AnalysisArgs`) into the outputs
(:class:`~survtrial.simulate._looks.LookOutputs`); the work arrays are allocated once per block.
The two halves are compiled on their own (side by side on first use, see
:mod:`survtrial.simulate._warmup`) and :func:`simulate_block` calls them through their addresses;
kernels called only from other kernels are compiled without a Python wrapper
(``no_cpython_wrapper=True``): nothing calls them from Python, and the wrappers cost compile time
(about a tenth of the analysis half's).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from survtrial.simulate._cache import drop_stale_kernel_cache
from survtrial.simulate._generate import DROPOUT, NO_EXIT, fill_late_exits, generate_trial, pref_rows
from survtrial.simulate._looks import workspace

# before any kernel is loaded from numba's cache (wherever numba keeps it: NUMBA_CACHE_DIR or __pycache__)
drop_stale_kernel_cache(cache=generate_trial.stats.cache_path)

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


@njit(cache=True, error_model="numpy", nogil=True)
def simulate_block(state, sizes, gen, ana, out, draw, analyse):
    """Simulate trials of ``sizes[i]`` patients from ``state`` and analyse every look of each into row i of ``out``.

    ``draw`` and ``analyse`` are :func:`~survtrial.simulate._generate.generate_trial` and
    :func:`~survtrial.simulate._looks.analyse_looks` as first-class functions (compiled for these
    bundles' types, see :func:`survtrial.simulate._warmup.ensure_compiled`): called through their
    addresses, so this kernel is compiled on its own in a fraction of a second instead of
    re-optimising both halves' code.
    """
    n_cap = sizes.max() if sizes.size else 0
    n_strata = gen.strat_cum.size
    n_arms = gen.n_arms
    n_cells = n_strata * n_arms
    enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch = _buffers(n_cap, n_cells)
    ws = workspace(n_cap, n_cells, n_strata if ana.stratified else 1, ana.test_kind.size)
    for i in range(sizes.size):
        n = sizes[i]
        draw(
            state, n, gen.acc_knots, gen.acc_cum, gen.acc_dens, gen.strat_cum, gen.stratified_blocks, gen.blocks,
            gen.target, gen.n_arms, gen.breaks, gen.tot_rates, gen.tot_cum, gen.p_event, gen.type_cum, gen.horizon,
            gen.min_events, enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch,
        )
        analyse(n, enrol, cell, exit_t, cause, pref, grid, cand, n_cand[0], n_strata, n_arms, ana, ws, out, i)


@njit(cache=True, error_model="numpy", nogil=True)
def patient_block(state, late_state, sizes, index, gen):
    """Patient arrays (enrol, cell, exit time, cause) of trial ``index`` of a block (the earlier
    trials are drawn and discarded); the exits the trial did not draw (after the horizon) come
    from ``late_state``."""
    n_cap = sizes[: index + 1].max()
    n_cells = gen.strat_cum.size * gen.n_arms
    enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch = _buffers(n_cap, n_cells)
    for i in range(index + 1):
        generate_trial(
            state, sizes[i], gen.acc_knots, gen.acc_cum, gen.acc_dens, gen.strat_cum, gen.stratified_blocks,
            gen.blocks, gen.target, gen.n_arms, gen.breaks, gen.tot_rates, gen.tot_cum, gen.p_event, gen.type_cum,
            gen.horizon, gen.min_events, enrol, cell, exit_t, cause, pref, grid, cand, sup, n_cand, scratch,
        )
    n = sizes[index]
    fill_late_exits(late_state, n, enrol, cell, gen.breaks, gen.tot_rates, gen.tot_cum, gen.horizon, exit_t, sup,
                    n_cand)
    causes = np.full(n, NO_EXIT, dtype=np.int64)
    for r in range(n_cand[0]):
        causes[cand[r]] = cause[cand[r]]
    return enrol[:n].copy(), cell[:n].copy(), exit_t[:n].copy(), causes
