"""Entry points of the compiled simulation kernels: simulate a block of trials, or draw trials' patients.

One call (without the GIL: threads run blocks side by side) simulates a block of consecutive
trials from one xoshiro256++ state (draws in trial order, so the first m trials of a block do not
depend on how many follow): each trial is drawn by
:func:`~survtrial.simulate._generate.generate_trial` from the generation bundle
(:class:`~survtrial.simulate._generate.GenerationArgs`) and analysed at every look by
:func:`~survtrial.simulate._looks.analyse_looks` from the analysis bundle
(:class:`~survtrial.simulate._looks.AnalysisArgs`) into the outputs
(:class:`~survtrial.simulate._looks.LookOutputs`); the work arrays are allocated once per block
(in Python: no kernel compiles an allocator).
The two halves are compiled on their own (side by side on first use, see
:mod:`survtrial.simulate._warmup`) and :func:`simulate_block` calls them through their addresses;
kernels called only from other kernels are compiled without a Python wrapper
(``no_cpython_wrapper=True``): nothing calls them from Python, and the wrappers cost compile time
(about a tenth of the analysis half's).
:func:`patient_trials` draws the same trials with every exit revealed (unlimited follow-up), for
``engine.trial_data`` and ``trial.simulate_trial``.

Kernels that allocate nothing (the generator, the exits, the random fills, the look passes,
sorting, estimates) are compiled with numba's runtime off (``_nrt=False``): numba then does not
increment and decrement the reference count of every array argument on every call (atomic
operations that took 7% of a log-rank trial's CPU time). Such a kernel cannot allocate, and the
kernels it calls inherit the setting unless they set it themselves (``randomise`` and
``fix_arm_counts`` allocate and say ``_nrt=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from survtrial.simulate._cache import drop_stale_kernel_cache
from survtrial.simulate._generate import DROPOUT, NO_EXIT, generate_trial

# before any kernel is loaded from numba's cache (wherever numba keeps it: NUMBA_CACHE_DIR or __pycache__)
drop_stale_kernel_cache(cache=generate_trial.stats.cache_path)

__all__ = ["DROPOUT", "NO_EXIT", "patient_trials", "simulate_block"]


@njit(cache=True, error_model="numpy", nogil=True)
def simulate_block(state, sizes, gen, ana, out, draw, analyse, bufs, ws):
    """Simulate trials of ``sizes[i]`` patients from ``state`` and analyse every look of each into row i of ``out``.

    ``bufs`` and ``ws`` are the work arrays of the two halves for trials of up to ``max(sizes)``
    patients (:func:`~survtrial.simulate._generate.buffers`, :func:`~survtrial.simulate._looks.workspace`,
    allocated in Python). ``draw`` and ``analyse`` are :func:`~survtrial.simulate._generate.generate_trial` and
    :func:`~survtrial.simulate._looks.analyse_looks` as first-class functions (compiled for these
    bundles' types, see :func:`survtrial.simulate._warmup.ensure_compiled`): called through their
    addresses, so this kernel is compiled on its own in a fraction of a second instead of
    re-optimising both halves' code.
    """
    n_strata = gen.strat_cum.size
    n_arms = gen.n_arms
    enrol, cell, _row, exit_t, cause, _u, pref, grid, cand = bufs[:9]
    n_cand = bufs[15]
    for i in range(sizes.size):
        n = sizes[i]
        draw(state, n, gen, gen.horizon, gen.min_events, bufs)
        analyse(n, enrol, cell, exit_t, cause, pref, grid, cand, n_cand[0], n_strata, n_arms, ana, ws, out, i)


@njit(cache=True, error_model="numpy")
def patient_trials(state, sizes, first, gen, bufs):
    """Patient arrays of trials ``first..len(sizes)-1`` of a block, with unlimited follow-up (the
    earlier trials are drawn as far as stream A needs and discarded): enrol, cell, hazard row,
    exit time (inf: never leaves), cause (an event type, DROPOUT, or NO_EXIT for an infinite
    exit time), concatenated in trial order, and the offsets of the trials (``first`` .. end);
    ``bufs``: :func:`~survtrial.simulate._generate.buffers` for trials of up to ``max(sizes)`` patients."""
    enrol, cell, row, exit_t, cause, _u, _pref, _grid, cand = bufs[:9]
    n_cand = bufs[15]
    for i in range(first):  # no exit revealed: only stream A matters for the later trials
        generate_trial(state, sizes[i], gen, 0.0, 0, bufs)
    m = sizes.size - first
    offsets = np.zeros(m + 1, dtype=np.int64)
    for q in range(m):
        offsets[q + 1] = offsets[q] + sizes[first + q]
    total = offsets[m]
    o_enrol = np.empty(total)
    o_cell = np.empty(total, dtype=np.int64)
    o_row = np.empty(total, dtype=np.int64)
    o_exit = np.empty(total)
    o_cause = np.full(total, NO_EXIT, dtype=np.int64)
    cured = gen.cure.size > 0
    for q in range(m):
        n = sizes[first + q]
        generate_trial(state, n, gen, np.inf, 0, bufs)
        o = offsets[q]
        for i in range(n):
            o_enrol[o + i] = enrol[i]
            o_cell[o + i] = cell[i]
            o_row[o + i] = row[i] if cured else cell[i]
            o_exit[o + i] = exit_t[i]
        for r in range(n_cand[0]):
            o_cause[o + cand[r]] = cause[cand[r]]
    return o_enrol, o_cell, o_row, o_exit, o_cause, offsets
