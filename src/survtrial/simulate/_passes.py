"""Compiled (numba) passes of one look over a trial's exits: event times, exits no longer followed, numbers at risk.

See :mod:`survtrial.simulate._looks` for how they combine into exact numbers at risk.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from survtrial.simulate._generate import cell_count, count_followed


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def event_times(cut, n_exit, st, sx, sc, sev, sid, ut, ecell, jlo, plus, run):
    """Pass 1 (exits in exit-time order), branch-free: distinct event times by the cut; (D, tie).

    ``ut[j]``, ``ecell[j]``: time and cell of event j; ``jlo[i]``: event times <= the exit time
    of exit i (patient order; unset for exits not observed by the cut); ``plus[j, c]``: observed
    exits of cell c no longer at risk at t_j (those before event j in this order). ``tie`` is 1
    if two events share a time (then use
    :func:`event_times_ties`).
    """
    n_cells = plus.shape[1]
    D = 0
    tie = 0
    if n_cells == 2:  # the running counts in registers
        r0 = 0
        r1 = 0
        for r in range(n_exit):
            t = st[r]
            if t > cut:  # exit-time order: no later exit is observed by this cut
                break
            obs = 1 if sx[r] <= cut else 0
            ev = obs & sev[r]
            c = sc[r]
            tie |= ev & (1 if t == ut[max(D - 1, 0)] and D > 0 else 0)
            ut[D] = t
            ecell[D] = c
            plus[D, 0] = r0
            plus[D, 1] = r1
            D += ev
            r1 += obs & c
            r0 += obs & (1 - c)
            jlo[sid[r]] = D
        plus[D, 0] = r0
        plus[D, 1] = r1
        return D, tie
    for c in range(n_cells):
        run[c] = 0
    for r in range(n_exit):
        obs = 1 if sx[r] <= cut else 0
        ev = obs & sev[r]
        t = st[r]
        c = sc[r]
        tie |= ev & (1 if t == ut[max(D - 1, 0)] and D > 0 else 0)
        ut[D] = t
        ecell[D] = c
        for cc in range(n_cells):
            plus[D, cc] = run[cc]
        D += ev
        run[c] += obs
        jlo[sid[r]] = D
    for cc in range(n_cells):
        plus[D, cc] = run[cc]
    return D, tie


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def event_times_ties(cut, n_exit, st, sx, sc, sev, sid, ut, dc, jlo, plus, run):
    """As :func:`event_times` with equal event times merged (events per time and cell in dc); (D, events)."""
    n_cells = dc.shape[1]
    for c in range(n_cells):
        run[c] = 0
    D = 0
    m = 0
    for r in range(n_exit):
        if sx[r] > cut:
            jlo[sid[r]] = D  # not used (not observed), but a valid index
            continue
        c = sc[r]
        if sev[r]:
            t = st[r]
            m += 1
            if D == 0 or t != ut[D - 1]:
                ut[D] = t
                for cc in range(n_cells):
                    dc[D, cc] = 0.0
                    plus[D, cc] = run[cc]
                D += 1
            dc[D - 1, c] += 1.0
        run[c] += 1
        jlo[sid[r]] = D
    for cc in range(n_cells):
        plus[D, cc] = run[cc]
    return D, m


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=False)
def exit_limits(cut, n_exit, pe, px, pc, pev, jlo, ut, D, minus, run):
    """Pass 2 (exits in reverse enrolment order, follow-up ``cut - e`` ascending).

    An exit's hi = event times <= cut - e; ``minus[j, c]``: observed exits of cell c with hi <= j,
    by consuming, for each event time in turn, the exits followed less than it (one mispredicted
    branch per event time, not per exit). Returns 1 if a dropout has hi < lo (its time
    ``min(exit, cut - e)`` is then below its exit time by rounding; use :func:`at_risk_slow`).
    """
    n_cells = minus.shape[1]
    r = n_exit - 1
    fuzz = 0
    if n_cells == 2:  # the running counts in registers
        r0 = 0
        r1 = 0
        for j in range(D):
            tj = ut[j]
            while r >= 0 and cut - pe[r] < tj:
                w = 1 if px[r] <= cut else 0
                fuzz |= w & (1 - pev[r]) & (1 if j < jlo[r] else 0)
                c = pc[r]
                r1 += w & c
                r0 += w & (1 - c)
                r -= 1
            minus[j, 0] = r0
            minus[j, 1] = r1
        minus[D, 0] = r0
        minus[D, 1] = r1
        return fuzz
    for c in range(n_cells):
        run[c] = 0
    for j in range(D):
        tj = ut[j]
        while r >= 0 and cut - pe[r] < tj:
            w = 1 if px[r] <= cut else 0
            fuzz |= w & (1 - pev[r]) & (1 if j < jlo[r] else 0)
            run[pc[r]] += w
            r -= 1
        for cc in range(n_cells):
            minus[j, cc] = run[cc]
    for cc in range(n_cells):
        minus[D, cc] = run[cc]
    return fuzz


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def at_risk_slow(cut, n_exit, pe, px, pc, pev, jlo, ut, D, enrol, n, pref, grid, lo, gscale, risk):
    """Numbers at risk by a difference array of the intervals lo <= j < hi, dropouts' lo = min(lo, hi)."""
    n_cells = risk.shape[1]
    sub = np.zeros((D + 1, n_cells), dtype=np.int64)
    jj = 0
    for r in range(n_exit - 1, -1, -1):
        if px[r] > cut:
            continue
        while jj < D and ut[jj] <= cut - pe[r]:
            jj += 1
        a = jlo[r]
        if pev[r] == 0 and jj < a:
            a = jj
        sub[a, pc[r]] += 1
        sub[jj, pc[r]] -= 1
    for c in range(n_cells):
        acc = 0
        for j in range(D):
            acc += sub[j, c]
            risk[j, c] = cell_count(pref, count_followed(enrol, n, grid, lo, gscale, cut, ut[j]), c) - acc
