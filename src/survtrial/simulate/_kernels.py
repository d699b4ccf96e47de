"""Compiled (numba) kernels of the simulation engine: generate trials and analyse every look in one pass.

One call simulates a block of trials from one ``numpy.random.Generator`` (draws in trial order, so
the first m trials of a block do not depend on how many follow). Per trial: sorted enrolment by
exponential spacings, stratum, permuted blocks, one exponential exit time per patient from the total
(event + dropout) piecewise hazard, and the cause of exit drawn only for exits before the horizon.
Per look: cut, risk sets at the event times by binary search (no sort of all patients), stratified
log-rank, stratified Cox (Efron ties, Newton-Raphson) and Kaplan-Meier landmarks per arm.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# cause codes in the patient arrays
NO_EXIT = -2  # no exit before the horizon (censored at any look)
DROPOUT = -1  # lost to follow-up; event types are 0..E-1


@njit(cache=True, error_model="numpy")
def _count_le(a, lo, hi, x):
    """Number of a[lo:hi] (sorted) that are <= x."""
    left, right = lo, hi
    while left < right:
        mid = (left + right) >> 1
        if a[mid] <= x:
            left = mid + 1
        else:
            right = mid
    return left - lo


@njit(cache=True, error_model="numpy")
def _count_followed(a, lo, hi, cut, t):
    """Number of a[lo:hi] (sorted enrolment times) with follow-up ``cut - a >= t`` (computed as
    apply_data_cut does; monotone in a, so a binary search is exact)."""
    left, right = lo, hi
    while left < right:
        mid = (left + right) >> 1
        if cut - a[mid] >= t:
            left = mid + 1
        else:
            right = mid
    return left - lo


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
    """Smallest t with H_cell(t) = h (inf beyond a zero-hazard tail)."""
    k = breaks.size
    j = 0
    while j < k - 1 and cum[cell, j + 1] < h:
        j += 1
    r = rates[cell, j]
    if r > 0.0:
        return breaks[j] + (h - cum[cell, j]) / r
    if h <= cum[cell, j]:
        return breaks[j]
    return np.inf


@njit(cache=True, error_model="numpy")
def _rate_at(t, cell, breaks, rates):
    j = 0
    k = breaks.size
    while j < k - 1 and breaks[j + 1] <= t:
        j += 1
    return rates[cell, j]


@njit(cache=True, error_model="numpy")
def generate_trial(
    rng, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, template,
    target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
    enrol, cell, exit_t, cause,
):
    """Draw one trial into the buffers; returns n (patients). Buffers must hold n patients.

    Draw order: [n if Poisson], n + 1 spacings, per patient [stratum u][block u when a block starts]
    exit exponential, [re-assignment uniforms for fixed arm counts], cause uniforms for exits
    before ``horizon`` in patient order, then (only if fewer than ``min_events`` events were found)
    cause uniforms for the later finite exits in patient order.
    """
    n = n_fixed
    if n < 0:
        n = rng.poisson(n_mean)
    if n > enrol.size:
        return -n
    n_strata = strat_cum.size
    # sorted uniforms by exponential spacings
    total = 0.0
    for i in range(n):
        total += rng.standard_exponential()
        enrol[i] = total
    total += rng.standard_exponential()
    for i in range(n):
        enrol[i] = _accrual_quantile(enrol[i] / total, acc_knots, acc_cum, acc_dens)
    bsize = template.size
    n_groups = n_strata if stratified_blocks else 1
    block = np.empty((n_groups, bsize), dtype=np.int64)
    pos = np.full(n_groups, bsize, dtype=np.int64)
    arm = np.empty(n, dtype=np.int64)
    stratum = np.zeros(n, dtype=np.int64)
    for i in range(n):
        s = 0
        if n_strata > 1:
            u = rng.random()
            while s < n_strata - 1 and strat_cum[s] <= u:
                s += 1
        stratum[i] = s
        g = s if stratified_blocks else 0
        if pos[g] == bsize:
            # Fisher-Yates shuffle of the template, digits peeled off one uniform
            for j in range(bsize):
                block[g, j] = template[j]
            u = rng.random()
            span = 1.0
            for j in range(bsize - 1, 0, -1):
                if span * (j + 1) > 1.0e12:
                    u = rng.random()
                    span = 1.0
                x = u * (j + 1)
                r = int(x)
                if r > j:
                    r = j
                u = x - r
                span *= j + 1
                tmp = block[g, j]
                block[g, j] = block[g, r]
                block[g, r] = tmp
            pos[g] = 0
        arm[i] = block[g, pos[g]]
        pos[g] += 1
        # the exit draw is taken after the arm is known but does not depend on it (E ~ Exp(1))
        exit_t[i] = rng.standard_exponential()
    if target[0] >= 0:
        counts = np.zeros(n_arms, dtype=np.int64)
        for i in range(n):
            counts[arm[i]] += 1
        n_move = 0
        for a in range(n_arms):
            if counts[a] > target[a]:
                n_move += counts[a] - target[a]
        if n_move > 0:
            moved = np.empty(n_move, dtype=np.int64)
            m = 0
            for a in range(n_arms):
                e = counts[a] - target[a]
                if e > 0:
                    found = np.empty(e, dtype=np.int64)
                    f = e
                    for i in range(n - 1, -1, -1):
                        if arm[i] == a:
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
                for q in range(max(0, target[a] - counts[a])):
                    new[m] = a
                    m += 1
            for j in range(n_move - 1, 0, -1):
                r = int(rng.random() * (j + 1))
                if r > j:
                    r = j
                tmp = new[j]
                new[j] = new[r]
                new[r] = tmp
            for q in range(n_move):
                arm[moved[q]] = new[q]
    n_types = type_cum.shape[1]
    for i in range(n):
        c = stratum[i] * n_arms + arm[i]
        cell[i] = c
        exit_t[i] = _inverse_hazard(exit_t[i], c, breaks, tot_rates, tot_cum)
        cause[i] = NO_EXIT
    n_events = 0
    for sweep in range(2):
        if sweep == 1 and (n_events >= min_events or not np.isfinite(horizon)):
            break
        for i in range(n):
            t = exit_t[i]
            if not np.isfinite(t) or cause[i] != NO_EXIT:
                continue
            x = enrol[i] + t
            if sweep == 0 and x > horizon:
                continue
            c = cell[i]
            lam = _rate_at(t, c, breaks, ev_rates)
            p_event = lam / _rate_at(t, c, breaks, tot_rates)
            u = rng.random()
            if u < p_event:
                v = u / p_event
                k = 0
                while k < n_types - 1 and type_cum[c, k] <= v:
                    k += 1
                cause[i] = k
                n_events += 1
            else:
                cause[i] = DROPOUT
    return n


@njit(cache=True, error_model="numpy")
def _argsort_small(x, m):
    return np.argsort(x[:m], kind="mergesort")


@njit(cache=True, error_model="numpy")
def _cox_binary(n0, n1, d0, d1, n_times):
    """Stratified Cox MLE for one 0/1 covariate (Efron ties): (beta, se, converged)."""
    tot1 = 0.0
    tot0 = 0.0
    for j in range(n_times):
        tot1 += d1[j]
        tot0 += d0[j]
    if tot1 == 0.0 or tot0 == 0.0:
        return np.nan, np.nan, False
    beta = 0.0
    beta_prev = 0.0
    loglik_old = -np.inf
    converged = False
    info = 0.0
    for it in range(60):
        eb = math.exp(beta)
        loglik = 0.0
        score = 0.0
        info = 0.0
        for j in range(n_times):
            d = d0[j] + d1[j]
            if d == 0.0:
                continue
            s0 = n0[j] + n1[j] * eb
            s1 = n1[j] * eb
            t0 = d0[j] + d1[j] * eb
            t1 = d1[j] * eb
            loglik += d1[j] * beta
            score += d1[j]
            nd = int(d + 0.5)
            for l in range(nd):
                f = l / d
                den = s0 - f * t0
                p = (s1 - f * t1) / den
                loglik -= math.log(den)
                score -= p
                info += p - p * p
        if loglik < loglik_old - 1e-12 * abs(loglik_old) and it > 0:
            # step halving, as R coxph
            beta = (beta + beta_prev) / 2.0
            continue
        if info <= 0.0:
            return np.nan, np.nan, False
        step = score / info
        beta_prev = beta
        loglik_old = loglik
        beta = beta + step
        if abs(step) <= 1e-11 * (1.0 + abs(beta)):
            converged = True
            break
    if not converged or abs(beta) > 30.0:
        return np.nan, np.nan, False
    # information at the converged beta
    eb = math.exp(beta)
    info = 0.0
    for j in range(n_times):
        d = d0[j] + d1[j]
        if d == 0.0:
            continue
        s0 = n0[j] + n1[j] * eb
        s1 = n1[j] * eb
        t0 = d0[j] + d1[j] * eb
        t1 = d1[j] * eb
        nd = int(d + 0.5)
        for l in range(nd):
            f = l / d
            p = (s1 - f * t1) / (s0 - f * t0)
            info += p - p * p
    return beta, 1.0 / math.sqrt(info), True


@njit(cache=True, error_model="numpy")
def analyse_looks(
    n, enrol, cell, exit_t, cause, n_strata, n_arms, control, experimental, stratified, look_kind,
    look_events, look_times, landmarks,
    o_cut, o_events, o_enrolled, o_events_arm, o_z, o_loghr, o_se, o_km, o_short,
):
    """Per-look statistics of one trial, written into row slices of the outputs (length K)."""
    n_cells = n_strata * n_arms
    # per-cell enrolment (sorted, since patients are in enrolment order)
    ccount = np.zeros(n_cells + 1, dtype=np.int64)
    for i in range(n):
        ccount[cell[i] + 1] += 1
    for c in range(n_cells):
        ccount[c + 1] += ccount[c]
    fill = ccount[:-1].copy()
    cen = np.empty(n, dtype=np.float64)
    for i in range(n):
        c = cell[i]
        cen[fill[c]] = enrol[i]
        fill[c] += 1
    # exits before the horizon: events and dropouts
    n_exit = 0
    for i in range(n):
        if cause[i] != NO_EXIT:
            n_exit += 1
    ex_x = np.empty(n_exit, dtype=np.float64)
    ex_t = np.empty(n_exit, dtype=np.float64)
    ex_e = np.empty(n_exit, dtype=np.float64)
    ex_c = np.empty(n_exit, dtype=np.int64)
    ex_ev = np.empty(n_exit, dtype=np.bool_)
    m = 0
    for i in range(n):
        if cause[i] != NO_EXIT:
            ex_x[m] = enrol[i] + exit_t[i]
            ex_t[m] = exit_t[i]
            ex_e[m] = enrol[i]
            ex_c[m] = cell[i]
            ex_ev[m] = cause[i] >= 0
            m += 1
    n_ev_all = 0
    for q in range(n_exit):
        if ex_ev[q]:
            n_ev_all += 1
    ev_x = np.empty(n_ev_all, dtype=np.float64)
    q2 = 0
    for q in range(n_exit):
        if ex_ev[q]:
            ev_x[q2] = ex_x[q]
            q2 += 1
    ev_x.sort()
    n_groups = n_strata if stratified else 1
    K = look_kind.size
    L = landmarks.size
    t_buf = np.empty(n_ev_all, dtype=np.float64)
    c_buf = np.empty(n_ev_all, dtype=np.int64)
    for k in range(K):
        short = False
        if look_kind[0] == 0:
            d_k = look_events[k]
            if n_ev_all >= d_k:
                cut = ev_x[d_k - 1]
            else:
                short = True
                cut = ev_x[n_ev_all - 1] if n_ev_all > 0 else 0.0
        else:
            cut = look_times[k]
        o_cut[k] = cut
        o_short[k] = short
        # events in the analysis
        m = 0
        for q in range(n_exit):
            if ex_ev[q] and ex_x[q] <= cut:
                t_buf[m] = ex_t[q]
                c_buf[m] = ex_c[q]
                m += 1
        o_events[k] = m
        enrolled = 0
        for c in range(n_cells):
            enrolled += _count_le(cen, ccount[c], ccount[c + 1], cut)
        o_enrolled[k] = enrolled
        order = _argsort_small(t_buf, m)
        # distinct event times and per-cell event counts
        ut = np.empty(m, dtype=np.float64)
        dc = np.zeros((m, n_cells), dtype=np.float64)
        D = 0
        for r in range(m):
            t = t_buf[order[r]]
            if D == 0 or t != ut[D - 1]:
                ut[D] = t
                D += 1
            dc[D - 1, c_buf[order[r]]] += 1.0
        # at risk at t: enrolled with follow-up cut - e >= t, corrected for exits (x <= cut), whose
        # follow-up is their exit time: + [exit_t >= t] - [cut - e >= t]
        risk = np.zeros((D + 1, n_cells), dtype=np.float64)
        for q in range(n_exit):
            if ex_x[q] <= cut:
                lo = np.searchsorted(ut[:D], ex_t[q], side="right")
                hi = np.searchsorted(ut[:D], cut - ex_e[q], side="right")
                if hi != lo:
                    risk[lo, ex_c[q]] -= 1.0
                    risk[hi, ex_c[q]] += 1.0
        for c in range(n_cells):
            run = 0.0
            for j in range(D):
                run += risk[j, c]
                risk[j, c] = run + _count_followed(cen, ccount[c], ccount[c + 1], cut, ut[j])
        for a in range(n_arms):
            tot = 0.0
            for j in range(D):
                for s in range(n_strata):
                    tot += dc[j, s * n_arms + a]
            o_events_arm[k, a] = tot
        # stratified log-rank and Cox on (group, time) rows
        rows = n_groups * D
        n0 = np.zeros(rows)
        n1 = np.zeros(rows)
        d0 = np.zeros(rows)
        d1 = np.zeros(rows)
        for j in range(D):
            for s in range(n_strata):
                g = s if stratified else 0
                r = g * D + j
                n0[r] += risk[j, s * n_arms + control]
                n1[r] += risk[j, s * n_arms + experimental]
                d0[r] += dc[j, s * n_arms + control]
                d1[r] += dc[j, s * n_arms + experimental]
        ome = 0.0
        var = 0.0
        for r in range(rows):
            d = d0[r] + d1[r]
            if d == 0.0:
                continue
            nn = n0[r] + n1[r]
            ome += d1[r] - d * n1[r] / nn
            if nn > 1.0:
                var += d * (nn - d) / (nn - 1.0) * n0[r] * n1[r] / (nn * nn)
        o_z[k] = -ome / math.sqrt(var) if var > 0.0 else np.nan
        beta, se, ok = _cox_binary(n0, n1, d0, d1, rows)
        o_loghr[k] = beta
        o_se[k] = se
        # Kaplan-Meier per arm (strata pooled) at the landmarks
        for a in range(n_arms):
            for li in range(L):
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
                o_km[k, li, a] = s_km


@njit(cache=True, error_model="numpy")
def simulate_block(
    rng, n_trials, n_cap, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks,
    template, target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
    control, experimental, stratified, look_kind, look_events, look_times, landmarks,
    o_cut, o_events, o_enrolled, o_events_arm, o_z, o_loghr, o_se, o_km, o_short, o_n,
):
    """Simulate ``n_trials`` consecutive trials from ``rng`` and analyse every look of each."""
    enrol = np.empty(n_cap, dtype=np.float64)
    cell = np.empty(n_cap, dtype=np.int64)
    exit_t = np.empty(n_cap, dtype=np.float64)
    cause = np.empty(n_cap, dtype=np.int64)
    n_strata = strat_cum.size
    for i in range(n_trials):
        n = generate_trial(
            rng, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, template,
            target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
            enrol, cell, exit_t, cause,
        )
        if n < 0:
            return i, -n  # buffer too small: caller enlarges and repeats the block
        o_n[i] = n
        analyse_looks(
            n, enrol, cell, exit_t, cause, n_strata, n_arms, control, experimental, stratified,
            look_kind, look_events, look_times, landmarks,
            o_cut[i], o_events[i], o_enrolled[i], o_events_arm[i], o_z[i], o_loghr[i], o_se[i],
            o_km[i], o_short[i],
        )
    return n_trials, 0


@njit(cache=True, error_model="numpy")
def patient_block(
    rng, index, n_cap, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks,
    template, target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
):
    """Patient arrays of trial ``index`` of a block (the earlier trials are drawn and discarded)."""
    enrol = np.empty(n_cap, dtype=np.float64)
    cell = np.empty(n_cap, dtype=np.int64)
    exit_t = np.empty(n_cap, dtype=np.float64)
    cause = np.empty(n_cap, dtype=np.int64)
    n = 0
    for i in range(index + 1):
        n = generate_trial(
            rng, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, template,
            target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
            enrol, cell, exit_t, cause,
        )
        if n < 0:
            return n, enrol, cell, exit_t, cause
    return n, enrol[:n].copy(), cell[:n].copy(), exit_t[:n].copy(), cause[:n].copy()
