"""Compiled (numba) kernels of the simulation engine: generate trials and analyse every look in one pass.

One call simulates a block of trials from one ``numpy.random.Generator`` (draws in trial order, so
the first m trials of a block do not depend on how many follow). Per trial: sorted enrolment by
exponential spacings, stratum, permuted blocks, one exponential exit time per patient from the total
(event + dropout) piecewise hazard, and the cause of exit drawn only for exits before the horizon.
Per trial before the looks: the event calendar times sorted once (linear bucket sort) give every
look's cut. Per look: the distinct event times, events per cell and the dropouts before each event
time in one pass over the exits in exit-time order; numbers at risk by one walk down the enrolment
times per cell (patients with a calendar exit by the cut skipped), no sort of all patients;
stratified log-rank, stratified Cox (Efron ties, Newton-Raphson) and Kaplan-Meier landmarks per arm.
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
    """Number of a[lo:hi] (sorted) that are <= x (branch-free binary search)."""
    n = hi - lo
    if n <= 0:
        return 0
    base = lo
    while n > 1:
        half = n >> 1
        base = base + half if a[base + half - 1] <= x else base
        n -= half
    return base - lo + (1 if a[base] <= x else 0)


@njit(cache=True, error_model="numpy")
def _bucket_argsort(keys, hi):
    """Stable argsort of keys in [0, hi] (finite): one bucket per key, insertion sort inside.

    Linear in expectation for keys spread over the range, as exit times are; exact order.
    """
    n = keys.size
    order = np.empty(n, dtype=np.int64)
    if n == 0:
        return order
    nb = n
    scale = nb / hi if hi > 0.0 else 0.0
    start = np.zeros(nb + 1, dtype=np.int64)
    bucket = np.empty(n, dtype=np.int64)
    for i in range(n):
        b = int(keys[i] * scale)
        if b >= nb:
            b = nb - 1
        elif b < 0:
            b = 0
        bucket[i] = b
        start[b + 1] += 1
    for b in range(nb):
        start[b + 1] += start[b]
    fill = start[:-1].copy()
    for i in range(n):
        b = bucket[i]
        order[fill[b]] = i
        fill[b] += 1
    for b in range(nb):
        lo = start[b]
        for r in range(lo + 1, start[b + 1]):
            v = order[r]
            key = keys[v]
            q = r - 1
            while q >= lo and keys[order[q]] > key:
                order[q + 1] = order[q]
                q -= 1
            order[q + 1] = v
    return order


@njit(cache=True, error_model="numpy")
def _sorted(values):
    """Sorted copy of finite values: bucket sort (one bucket per value over [min, max]), insertion
    sort inside; linear in expectation for values spread over their range, as event times are."""
    n = values.size
    out = np.empty(n, dtype=np.float64)
    if n == 0:
        return out
    lo = values[0]
    hi = values[0]
    for i in range(n):
        v = values[i]
        lo = min(lo, v)
        hi = max(hi, v)
    scale = n / (hi - lo) if hi > lo else 0.0
    start = np.zeros(n + 1, dtype=np.int64)
    bucket = np.empty(n, dtype=np.int64)
    for i in range(n):
        b = min(int((values[i] - lo) * scale), n - 1)
        bucket[i] = b
        start[b + 1] += 1
    for b in range(n):
        start[b + 1] += start[b]
    for i in range(n):
        b = bucket[i]
        out[start[b]] = values[i]
        start[b] += 1
    # start[b] is now the end of bucket b: insertion sort of each bucket
    lo_b = 0
    for b in range(n):
        hi_b = start[b]
        for r in range(lo_b + 1, hi_b):
            v = out[r]
            q = r - 1
            while q >= lo_b and out[q] > v:
                out[q + 1] = out[q]
                q -= 1
            out[q + 1] = v
        lo_b = hi_b
    return out


@njit(cache=True, error_model="numpy")
def _count_followed(a, lo, hi, cut, t):
    """Number of a[lo:hi] (sorted enrolment times) with follow-up ``cut - a >= t``, computed as
    apply_data_cut does (monotone in a, so a binary search is exact; branch-free)."""
    n = hi - lo
    if n <= 0:
        return 0
    base = lo
    while n > 1:
        half = n >> 1
        base = base + half if cut - a[base + half - 1] >= t else base
        n -= half
    return base - lo + (1 if cut - a[base] >= t else 0)


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
def _draw_cause(rng, t, c, breaks, ev_rates, tot_rates, type_cum):
    lam = _rate_at(t, c, breaks, ev_rates)
    p_event = lam / _rate_at(t, c, breaks, tot_rates)
    u = rng.random()
    if u < p_event:
        v = u / p_event
        n_types = type_cum.shape[1]
        k = 0
        while k < n_types - 1 and type_cum[c, k] <= v:
            k += 1
        return k
    return DROPOUT


@njit(cache=True, error_model="numpy")
def _shuffle_block(block, g, template, u):
    """Fisher-Yates shuffle of the template into block[g], index digits peeled off one uniform."""
    bsize = template.size
    for j in range(bsize):
        block[g, j] = template[j]
    for j in range(bsize - 1, 0, -1):
        x = u * (j + 1)
        r = int(x)
        if r > j:
            r = j
        u = x - r
        tmp = block[g, j]
        block[g, j] = block[g, r]
        block[g, r] = tmp


@njit(cache=True, error_model="numpy")
def generate_trial(
    rng, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, template,
    target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
    enrol, cell, exit_t, cause, cen, cxe, ccnt, cand, n_cand,
):
    """Draw one trial into the buffers; returns n (patients), or -n if the buffers are too small.

    Besides the patient arrays it fills ``cen[c, :ccnt[c]]`` (enrolment times per stratum x arm
    cell, sorted), ``cxe[c, :ccnt[c]]`` (their calendar exit times, enrolment + exit time) and
    ``cand[:n_cand[0]]`` (patients with a drawn cause of exit, in patient order).

    Draw order (all in bulk, so that the bookkeeping loops make no generator calls): [n if
    Poisson]; n + 1 exponential spacings; n standard exponentials (exits); [n stratum uniforms if
    there are several strata]; n // block + groups + 1 block uniforms (one per permuted block, used
    in the order the blocks start; blocks of more than 14 draw one uniform per position instead);
    [re-assignment uniforms for fixed arm counts]; one cause uniform per exit before
    ``horizon`` in patient order; only if those hold fewer than ``min_events`` DFS events, cause
    uniforms for the later finite exits in patient order.
    """
    n = n_fixed
    if n < 0:
        n = rng.poisson(n_mean)
    if n > enrol.size:
        return -n
    n_strata = strat_cum.size
    # sorted uniforms by exponential spacings, mapped through the accrual quantile function
    total = 0.0
    for i in range(n):
        total += rng.standard_exponential()
        enrol[i] = total
    total += rng.standard_exponential()
    for i in range(n):
        exit_t[i] = rng.standard_exponential()
    u_strat = np.empty(n if n_strata > 1 else 0, dtype=np.float64)
    for i in range(u_strat.size):
        u_strat[i] = rng.random()
    bsize = template.size
    n_groups = n_strata if stratified_blocks else 1
    u_block = np.empty(n // bsize + n_groups + 1, dtype=np.float64)
    for i in range(u_block.size):
        u_block[i] = rng.random()
    inv = 1.0 / total
    if acc_dens.size == 1:
        scale = inv / acc_dens[0]
        for i in range(n):
            enrol[i] = acc_knots[0] + enrol[i] * scale
    else:
        for i in range(n):
            enrol[i] = _accrual_quantile(enrol[i] * inv, acc_knots, acc_cum, acc_dens)
    block = np.empty((n_groups, bsize), dtype=np.int64)
    pos = np.full(n_groups, bsize, dtype=np.int64)
    nb = 0
    if n_groups == 1 and bsize == 2 and n_strata == 1:
        # blocks of two, as _shuffle_block does it: the pair is swapped when int(2u) == 0
        for i0 in range(0, n, 2):
            r = min(int(u_block[nb] * 2.0), 1)
            nb += 1
            cell[i0] = template[1 - r]
            if i0 + 1 < n:
                cell[i0 + 1] = template[r]
    elif bsize == 2:
        # blocks of two per group: the second arm of a group's open block waits in pend[g]
        pend = np.full(n_groups, -1, dtype=np.int64)
        for i in range(n):
            s = 0
            if n_strata > 1:
                u = u_strat[i]
                while s < n_strata - 1 and strat_cum[s] <= u:
                    s += 1
            g = s if stratified_blocks else 0
            a = pend[g]
            if a < 0:
                r = min(int(u_block[nb] * 2.0), 1)
                nb += 1
                a = template[1 - r]
                pend[g] = template[r]
            else:
                pend[g] = -1
            cell[i] = s * n_arms + a
    elif n_groups == 1 and bsize <= 14:
        # one sequence of blocks: block nb covers patients nb * bsize .. (same draws as below)
        i0 = 0
        while i0 < n:
            _shuffle_block(block, 0, template, u_block[nb])
            nb += 1
            top = min(n, i0 + bsize)
            for i in range(i0, top):
                s = 0
                if n_strata > 1:
                    u = u_strat[i]
                    while s < n_strata - 1 and strat_cum[s] <= u:
                        s += 1
                cell[i] = s * n_arms + block[0, i - i0]
            i0 = top
    for i in range(n if ((n_groups > 1 and bsize != 2) or bsize > 14) else 0):
        s = 0
        if n_strata > 1:
            u = u_strat[i]
            while s < n_strata - 1 and strat_cum[s] <= u:
                s += 1
        g = s if stratified_blocks else 0
        if pos[g] == bsize:
            if bsize > 14:  # more permutations than one uniform resolves: a uniform per position
                for j in range(bsize):
                    block[g, j] = template[j]
                for j in range(bsize - 1, 0, -1):
                    r = min(int(rng.random() * (j + 1)), j)
                    tmp = block[g, j]
                    block[g, j] = block[g, r]
                    block[g, r] = tmp
            else:
                _shuffle_block(block, g, template, u_block[nb])
            nb += 1
            pos[g] = 0
        cell[i] = s * n_arms + block[g, pos[g]]
        pos[g] += 1
    if target[0] >= 0:
        counts = np.zeros(n_arms, dtype=np.int64)
        for i in range(n):
            counts[cell[i] % n_arms] += 1
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
                r = int(rng.random() * (j + 1))
                if r > j:
                    r = j
                tmp = new[j]
                new[j] = new[r]
                new[r] = tmp
            for q in range(n_move):
                i = moved[q]
                cell[i] = (cell[i] // n_arms) * n_arms + new[q]
    for c in range(ccnt.size):
        ccnt[c] = 0
    nc = 0
    single_piece = breaks.size == 1
    for i in range(n):
        c = cell[i]
        if single_piece:
            r = tot_rates[c, 0]
            t = exit_t[i] / r if r > 0.0 else np.inf
        else:
            t = _inverse_hazard(exit_t[i], c, breaks, tot_rates, tot_cum)
        exit_t[i] = t
        e_i = enrol[i]
        cen[c, ccnt[c]] = e_i
        cxe[c, ccnt[c]] = e_i + t
        ccnt[c] += 1
        cause[i] = NO_EXIT
        cand[nc] = i  # kept if the exit is before the horizon (branch-free append)
        nc += 1 if e_i + t <= horizon else 0
    n_events = 0
    for r in range(nc):
        i = cand[r]
        k = _draw_cause(rng, exit_t[i], cell[i], breaks, ev_rates, tot_rates, type_cum)
        cause[i] = k
        if k >= 0:
            n_events += 1
    if n_events < min_events and np.isfinite(horizon):
        for i in range(n):
            t = exit_t[i]
            if cause[i] == NO_EXIT and np.isfinite(t):
                cause[i] = _draw_cause(rng, t, cell[i], breaks, ev_rates, tot_rates, type_cum)
                cand[nc] = i
                nc += 1
        cand[:nc].sort()
    n_cand[0] = nc
    return n


@njit(cache=True, error_model="numpy")
def _cox_terms(beta, n0, n1, d0, d1, n_times):
    """Score and information of the (stratified) partial likelihood at beta (Efron ties)."""
    eb = math.exp(beta)
    score = 0.0
    info = 0.0
    for j in range(n_times):
        d = d0[j] + d1[j]
        if d == 0.0:
            continue
        score += d1[j]
        if d == 1.0:
            s1 = n1[j] * eb
            p = s1 / (n0[j] + s1)
            score -= p
            info += p - p * p
            continue
        s0 = n0[j] + n1[j] * eb
        s1 = n1[j] * eb
        t0 = d0[j] + d1[j] * eb
        t1 = d1[j] * eb
        nd = int(d + 0.5)
        for tie in range(nd):
            f = tie / d
            p = (s1 - f * t1) / (s0 - f * t0)
            score -= p
            info += p - p * p
    return score, info


@njit(cache=True, error_model="numpy")
def _cox_binary(n0, n1, d0, d1, n_times, start):
    """Stratified Cox MLE for one 0/1 covariate (Efron ties): (beta, se).

    Newton-Raphson on the score from ``start`` (the one-step log-rank estimate); the partial
    likelihood is concave in beta, and a step that does not reduce |score| is halved. NaN when an
    arm has no events (the MLE is infinite) or the iteration does not converge.
    """
    tot1 = 0.0
    tot0 = 0.0
    for j in range(n_times):
        tot1 += d1[j]
        tot0 += d0[j]
    if tot1 == 0.0 or tot0 == 0.0 or not np.isfinite(start):
        return np.nan, np.nan
    beta = start
    score, info = _cox_terms(beta, n0, n1, d0, d1, n_times)
    for _it in range(100):
        if info <= 0.0:
            return np.nan, np.nan
        step = score / info
        new = beta + step
        s_new, i_new = _cox_terms(new, n0, n1, d0, d1, n_times)
        halvings = 0
        while abs(s_new) > abs(score) and halvings < 40:
            step *= 0.5
            new = beta + step
            s_new, i_new = _cox_terms(new, n0, n1, d0, d1, n_times)
            halvings += 1
        beta, score, info = new, s_new, i_new
        if abs(step) <= 1e-11 * (1.0 + abs(beta)):
            if abs(beta) > 30.0 or info <= 0.0:
                return np.nan, np.nan
            return beta, 1.0 / math.sqrt(info)
    return np.nan, np.nan


@njit(cache=True, error_model="numpy")
def analyse_looks(
    n, enrol, cell, exit_t, cause, cen, cxe, ccnt, cand, nc, n_strata, n_arms, control, experimental,
    stratified, look_kind, look_events, look_times, landmarks, stop_upper, stop_lower,
    o_cut, o_events, o_enrolled, o_events_arm, o_z, o_loghr, o_se, o_km, o_short,
):
    """Per-look statistics of one trial, written into row slices of the outputs (length K).

    A trial whose look k is at its planned events (event looks, not short) and whose z crosses
    ``stop_upper[k]`` or falls to ``stop_lower[k]`` stops there: the decision cannot depend on
    later looks, so they are not computed (events -1, statistics NaN). ``stop_lower`` is -inf
    where the design does not stop for a low z.
    """
    n_cells = n_strata * n_arms
    # DFS events before the horizon: calendar times; the last look's cut
    K = look_kind.size
    n_ev = 0
    for r in range(nc):
        if cause[cand[r]] >= 0:
            n_ev += 1
    ev_x = np.empty(n_ev, dtype=np.float64)
    q = 0
    for r in range(nc):
        i = cand[r]
        if cause[i] >= 0:
            ev_x[q] = enrol[i] + exit_t[i]
            q += 1
    ev_x = _sorted(ev_x)
    if look_kind[0] == 0:
        d_last = look_events[K - 1]
        if n_ev >= d_last:
            final = ev_x[d_last - 1]
        else:
            final = ev_x[n_ev - 1] if n_ev > 0 else 0.0
    else:
        final = look_times[K - 1]
    n_cal = 0
    while n_cal < n_ev and ev_x[n_cal] <= final:
        n_cal += 1
    cal = ev_x[:n_cal]
    # exits (DFS events and dropouts) by the last cut, in patient (= enrolment) order
    n_exit = 0
    for r in range(nc):
        i = cand[r]
        if enrol[i] + exit_t[i] <= final:
            n_exit += 1
    ex_t = np.empty(n_exit, dtype=np.float64)
    ex_x = np.empty(n_exit, dtype=np.float64)
    ex_c = np.empty(n_exit, dtype=np.int64)
    ex_ev = np.empty(n_exit, dtype=np.bool_)
    q = 0
    for r in range(nc):
        i = cand[r]
        x = enrol[i] + exit_t[i]
        if x <= final:
            ex_t[q] = exit_t[i]
            ex_x[q] = x
            ex_c[q] = cell[i]
            ex_ev[q] = cause[i] >= 0
            q += 1
    xorder = _bucket_argsort(ex_t, final)
    n_groups = n_strata if stratified else 1
    L = landmarks.size
    ut = np.empty(n_cal, dtype=np.float64)
    dc = np.zeros((n_cal, n_cells), dtype=np.float64)
    risk = np.zeros((n_cal, n_cells), dtype=np.float64)
    drop_before = np.zeros((n_cal, n_cells), dtype=np.int64)
    n_out = np.zeros(n_cells, dtype=np.int64)
    n_drop = np.zeros(n_cells, dtype=np.int64)
    eq_cnt = np.zeros(n_cells, dtype=np.int64)
    rows_max = n_groups * n_cal
    n0 = np.empty(rows_max)
    n1 = np.empty(rows_max)
    d0 = np.empty(rows_max)
    d1 = np.empty(rows_max)
    for k in range(K):
        short = False
        if look_kind[0] == 0:
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
        enrolled = 0
        for c in range(n_cells):
            enrolled += _count_le(cen[c], 0, ccnt[c], cut)
        o_enrolled[k] = enrolled
        # distinct event times (events with x <= cut, in time order), per-cell event counts, and
        # per cell the exits by the cut and the dropouts by the cut with exit time < t_j
        D = 0
        m = 0
        eq_val = -1.0  # exit time of the latest dropout(s); eq_cnt: how many per cell
        for c in range(n_cells):
            n_out[c] = 0
            n_drop[c] = 0
            eq_cnt[c] = 0
        for r in range(n_exit):
            q = xorder[r]
            if ex_x[q] > cut:
                continue
            c = ex_c[q]
            n_out[c] += 1
            t = ex_t[q]
            if not ex_ev[q]:
                if t != eq_val:
                    eq_val = t
                    for cc in range(n_cells):
                        eq_cnt[cc] = 0
                eq_cnt[c] += 1
                n_drop[c] += 1
                continue
            m += 1
            if D == 0 or t != ut[D - 1]:
                ut[D] = t
                tie = t == eq_val  # dropouts at exactly t were seen first: not before t
                for cc in range(n_cells):
                    dc[D, cc] = 0.0
                    drop_before[D, cc] = n_drop[cc] - (eq_cnt[cc] if tie else 0)
                D += 1
            dc[D - 1, c] += 1.0
        o_events[k] = m
        # at risk at t_j in cell c: patients without an exit by the cut (calendar exit > cut)
        # followed for cut - e >= t_j (apply_data_cut's limit), plus exits by the cut with exit
        # time >= t_j. Thresholds move monotonically in j: one walk down the enrolment times.
        for c in range(n_cells):
            if D == 0:
                continue
            p = _count_followed(cen[c], 0, ccnt[c], cut, ut[0])
            stay = 0
            for q in range(p):
                stay += 1 if cxe[c, q] > cut else 0
            for j in range(D):
                while p > 0 and cut - cen[c, p - 1] < ut[j]:
                    p -= 1
                    stay -= 1 if cxe[c, p] > cut else 0
                risk[j, c] = stay
        # exits by the cut with exit time >= t_j: all exits by the cut minus the events at the
        # earlier event times and the dropouts with exit time < t_j
        for c in range(n_cells):
            before = 0.0
            for j in range(D):
                risk[j, c] += n_out[c] - before - drop_before[j, c]
                before += dc[j, c]
        for a in range(n_arms):
            tot = 0.0
            for j in range(D):
                for s in range(n_strata):
                    tot += dc[j, s * n_arms + a]
            o_events_arm[k, a] = tot
        # stratified log-rank and Cox on (group, time) rows
        rows = n_groups * D
        for r in range(rows):
            n0[r] = 0.0
            n1[r] = 0.0
            d0[r] = 0.0
            d1[r] = 0.0
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
        beta, se = _cox_binary(n0, n1, d0, d1, rows, ome / var if var > 0.0 else np.nan)
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
        z = o_z[k]
        if look_kind[0] == 0 and not short and m == look_events[k] and (
            z >= stop_upper[k] or z <= stop_lower[k]
        ):
            for kk in range(k + 1, K):
                o_cut[kk] = np.nan
                o_events[kk] = -1
                o_enrolled[kk] = -1
                o_short[kk] = False
                o_z[kk] = np.nan
                o_loghr[kk] = np.nan
                o_se[kk] = np.nan
                for a in range(n_arms):
                    o_events_arm[kk, a] = np.nan
                    for li in range(L):
                        o_km[kk, li, a] = np.nan
            break


@njit(cache=True, error_model="numpy")
def simulate_block(
    rng, n_trials, n_cap, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks,
    template, target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
    control, experimental, stratified, look_kind, look_events, look_times, landmarks, stop_upper,
    stop_lower, o_cut, o_events, o_enrolled, o_events_arm, o_z, o_loghr, o_se, o_km, o_short, o_n,
):
    """Simulate ``n_trials`` consecutive trials from ``rng`` and analyse every look of each."""
    enrol = np.empty(n_cap, dtype=np.float64)
    cell = np.empty(n_cap, dtype=np.int64)
    exit_t = np.empty(n_cap, dtype=np.float64)
    cause = np.empty(n_cap, dtype=np.int64)
    n_strata = strat_cum.size
    cen = np.empty((n_strata * n_arms, n_cap), dtype=np.float64)
    cxe = np.empty((n_strata * n_arms, n_cap), dtype=np.float64)
    ccnt = np.zeros(n_strata * n_arms, dtype=np.int64)
    cand = np.empty(n_cap, dtype=np.int64)
    n_cand = np.zeros(1, dtype=np.int64)
    for i in range(n_trials):
        n = generate_trial(
            rng, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, template,
            target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
            enrol, cell, exit_t, cause, cen, cxe, ccnt, cand, n_cand,
        )
        if n < 0:
            return i, -n  # buffer too small: caller enlarges and repeats the block
        o_n[i] = n
        analyse_looks(
            n, enrol, cell, exit_t, cause, cen, cxe, ccnt, cand, n_cand[0], n_strata, n_arms, control,
            experimental, stratified, look_kind, look_events, look_times, landmarks, stop_upper,
            stop_lower,
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
    n_cells = strat_cum.size * n_arms
    cen = np.empty((n_cells, n_cap), dtype=np.float64)
    cxe = np.empty((n_cells, n_cap), dtype=np.float64)
    ccnt = np.zeros(n_cells, dtype=np.int64)
    cand = np.empty(n_cap, dtype=np.int64)
    n_cand = np.zeros(1, dtype=np.int64)
    n = 0
    for _i in range(index + 1):
        n = generate_trial(
            rng, n_fixed, n_mean, acc_knots, acc_cum, acc_dens, strat_cum, stratified_blocks, template,
            target, n_arms, breaks, ev_rates, tot_rates, tot_cum, type_cum, horizon, min_events,
            enrol, cell, exit_t, cause, cen, cxe, ccnt, cand, n_cand,
        )
        if n < 0:
            return n, enrol, cell, exit_t, cause
    return n, enrol[:n].copy(), cell[:n].copy(), exit_t[:n].copy(), cause[:n].copy()
