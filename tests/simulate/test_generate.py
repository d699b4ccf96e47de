"""The compiled trial generator: exit times per hazard row (KS), order-statistic reveals that do not
depend on the horizon, cure fractions, permuted blocks and the running cell counts.

Distribution checks use fixed seeds; Kolmogorov-Smirnov and chi-square p-values above 1e-3, and
proportions within 3 binomial standard errors.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from numba import njit
from scipy import stats

from survtrial.simulate import _exits, _generate, _kernels, _randomise, _rng
from survtrial.simulate._generation import build_generation
from survtrial.simulate.piecewise import PiecewiseHazard
from survtrial.simulate.scenario import scenario_from_dict

BREAKS = np.array([0.0, 1.0, 3.0])
RATES = np.array([[0.3, 0.1, 0.2], [0.05, 0.0, 0.4]])  # the second row with a zero-hazard stretch


def _cum(breaks, rates):
    cum = np.zeros_like(rates)
    for j in range(1, breaks.size):
        cum[:, j] = cum[:, j - 1] + rates[:, j - 1] * (breaks[j] - breaks[j - 1])
    return cum


def _gen(**changes):
    """Two cells (one stratum, two arms), accrual uniform over 4 years, the hazards above."""
    args = dict(n_fixed=300, n_mean=300, acc_knots=[0.0, 4.0], acc_cum=[0.0, 1.0], acc_dens=[0.25],
                strat_cum=[1.0], stratified_blocks=True, blocks=[[0, 1]], target=[-1, -1], n_arms=2,
                breaks=BREAKS, tot_rates=RATES, tot_cum=_cum(BREAKS, RATES), p_event=np.full((2, 3), 0.5),
                type_cum=np.ones((2, 1)))
    args.update(changes)
    return _generate.generation_args(**args)


def _reveal_rest(gen, n, bufs):
    """Every exit of the trial in the buffers (continuing its segment streams)."""
    enrol, cell, row, exit_t = bufs[:4]
    u_cause, perm, recip, seg, seg_k, seg_e, bits = bufs[5], *bufs[9:15]
    rows = row if gen.cure.size else cell
    _exits.reveal_all(n, enrol, bits, seg, seg_k, seg_e, perm, recip, rows, gen.breaks, gen.tot_rates, gen.tot_cum,
                      exit_t, u_cause)
    bits[:] = 0


def test_lowest_set_bit_table_gives_every_bit():
    for b in range(64):
        product = ((1 << b) * int(_exits._DEBRUIJN)) % 2**64  # the kernel's uint64 product
        assert _exits._BIT_INDEX[product >> 58] == b


@pytest.mark.parametrize("horizon", [2.5, 6.0, np.inf])
def test_exit_times_are_exponential_in_cumulative_hazard_and_the_candidates_are_the_exits_by_the_horizon(horizon):
    # horizon 2.5 lies inside the accrual (later segments reveal nothing), 6.0 after it, inf: all.
    # Every patient's exit (revealed for the horizon or afterwards) must be H_row^-1 of an
    # independent Exp(1)
    n, trials = 300, 300
    gen = _gen()
    bufs = _generate.buffers(n, 2)
    enrol, cell, _row, exit_t, cause, u_cause, _pref, _grid, cand = bufs[:9]
    seg_k, n_cand = bufs[12], bufs[15]
    state = _rng.block_state(8, 0)
    h_all, u_all, drawn = [], [], 0
    cum = gen.tot_cum
    for _ in range(trials):
        _generate.generate_trial(state, n, gen, horizon, 0, bufs)
        nc = n_cand[0]
        drawn += int(seg_k.sum())
        cand_h = cand[:nc].copy()
        _reveal_rest(gen, n, bufs)
        c, t = cell[:n], exit_t[:n]
        j = np.searchsorted(BREAKS, t, side="right") - 1
        h_all.append(cum[c, j] + RATES[c, j] * (t - BREAKS[j]))
        u_all.append(u_cause[:n].copy())
        # the candidates are exactly the exits by the horizon (of the whole trial), in patient order
        by_horizon = np.flatnonzero(enrol[:n] + t <= horizon)
        np.testing.assert_array_equal(cand_h, by_horizon)
        assert np.all(np.isin(cause[by_horizon], [-1, 0]))
    h = np.concatenate(h_all)
    assert stats.kstest(h, "expon").pvalue > 1e-3
    # the uniforms of the causes: uniform, and independent of the exit
    u = np.concatenate(u_all)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(stats.spearmanr(h, u).statistic) < 4 / math.sqrt(h.size)
    # no dependence between neighbours in enrolment order
    assert abs(stats.spearmanr(h[:-1], h[1:]).statistic) < 4 / math.sqrt(h.size)
    if np.isfinite(horizon):  # fewer exits revealed than there are patients
        assert drawn < 0.75 * n * trials
    else:
        assert drawn == n * trials


def test_the_trial_does_not_depend_on_the_horizon():
    # the same block drawn with horizons 0 (nothing revealed), 1.5, 4.5 and inf, and with a
    # min_events that forces every exit: once the rest is revealed, the trials are identical,
    # and the next trial's draws too (stream A does not depend on the horizon)
    n = 200
    gen = _gen()
    runs = []
    for horizon, min_events in ((0.0, 0), (1.5, 0), (4.5, 0), (np.inf, 0), (1.5, 150)):
        bufs = _generate.buffers(n, 2)
        state = _rng.block_state(11, 3)
        trials = []
        for _ in range(3):
            _generate.generate_trial(state, n, gen, horizon, min_events, bufs)
            _reveal_rest(gen, n, bufs)
            trials.append(np.concatenate([bufs[0][:n], bufs[1][:n], bufs[3][:n], bufs[5][:n]]))
        runs.append(np.concatenate(trials))
    for other in runs[1:]:
        np.testing.assert_array_equal(other, runs[0])


def test_too_few_events_by_the_horizon_reveal_every_exit():
    # a horizon before almost every exit: fewer than min_events DFS events, so every exit is
    # revealed and every finite one is a candidate with a cause, in patient order
    n, rate = 200, 0.5
    gen = _gen(breaks=[0.0], tot_rates=np.full((2, 1), rate), tot_cum=np.zeros((2, 1)),
               p_event=np.full((2, 1), 0.8), acc_knots=[0.0, 2.0], acc_dens=[0.5])
    bufs = _generate.buffers(n, 2)
    state = _rng.block_state(3, 0)
    for _ in range(3):
        _generate.generate_trial(state, n, gen, 0.05, 50, bufs)
        cand, cause, n_cand = bufs[8], bufs[4], bufs[15]
        np.testing.assert_array_equal(cand[: n_cand[0]], np.arange(n))
        assert np.mean(cause[:n] == 0) == pytest.approx(0.8, abs=0.1)


def _patient_trials(state, sizes, first, gen):
    """``patient_trials`` with its work arrays allocated for these sizes."""
    bufs = _generate.buffers(sizes.max(), gen.strat_cum.size * gen.n_arms)
    return _kernels.patient_trials(state, sizes, first, gen, bufs)


def test_patient_trials_are_the_engine_trials_revealed_in_full():
    # trials 2..4 of a block: the generator's arrays with every exit revealed
    n = 150
    gen = _gen(n_fixed=n, n_mean=n)
    sizes = np.full(5, n, dtype=np.int64)
    enrol, cell, row, exit_t, cause, offsets = _patient_trials(_rng.block_state(5, 1), sizes, 2, gen)
    assert offsets.tolist() == [0, n, 2 * n, 3 * n] and np.array_equal(row, cell)
    bufs = _generate.buffers(n, 2)
    state = _rng.block_state(5, 1)
    for q in range(5):
        _generate.generate_trial(state, n, gen, 3.0, 0, bufs)
        if q < 2:
            continue
        _reveal_rest(gen, n, bufs)
        o = offsets[q - 2]
        np.testing.assert_array_equal(enrol[o:o + n], bufs[0][:n])
        np.testing.assert_array_equal(exit_t[o:o + n], bufs[3][:n])
        finite = np.isfinite(bufs[3][:n])
        assert np.all((cause[o:o + n] >= -1) == finite)


def _delayed_scenario(cure: dict[str, float] | None = None, dropout: float = 0.0) -> dict:
    """Two strata whose arms' hazards have different breaks: a delayed effect (HR 1 to 0.5 years,
    then 0.5) in one stratum, crossing hazards (1.6 then 0.4 from 1 year) in the other."""
    cure = cure or {}
    control = {"low": {"breaks": [0.0, 2.0], "rates": [0.3, 0.15]}, "high": {"breaks": [0.0, 1.5], "rates": [0.5, 0.3]}}
    ratio = {"low": {"breaks": [0.0, 0.5], "values": [1.0, 0.5]}, "high": {"breaks": [0.0, 1.0], "values": [1.6, 0.4]}}
    return {
        "name": "nph",
        "arms": {"control": {"n": 3000}, "treated": {"n": 3000}},
        "strata": {"low": {"share": 0.5}, "high": {"share": 0.5}},
        "accrual": {"start_date": "2020-01-01", "n": 6000, "duration_years": 1.0},
        "randomization": {"ratio": {"control": 1, "treated": 1}, "block_size": 4},
        "hazards": {s: {"control": {**control[s], "cure_fraction": cure.get(f"{s}.control", 0.0)},
                        "treated": {"hazard_ratio": ratio[s], "cure_fraction": cure.get(f"{s}.treated", 0.0)}}
                    for s in ("low", "high")},
        "competing_events": {"types": {"relapse": {}, "death": {"fatal": True}},
                             "by_arm": {a: {"shares": {"relapse": 0.7, "death": 0.3}} for a in ("control", "treated")}},
        "dropout": {"rate": dropout},
        "data_cut": {"events": 100},
    }


def _truth(sc, stratum: str, arm: str) -> PiecewiseHazard:
    return sc.calibrated.hazards[stratum, arm]


def test_exit_times_follow_each_arms_piecewise_hazard_with_breaks_merged():
    # no dropout: the exit is the DFS event; per stratum x arm, KS of the drawn times against the
    # arm's own piecewise-exponential distribution (the control's breaks and the ratio's merged)
    sc = scenario_from_dict(_delayed_scenario())
    gm = build_generation(sc)
    assert gm.args.breaks.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    sizes = np.full(4, 6000, dtype=np.int64)
    _enrol, cell, _row, exit_t, cause, _ = _patient_trials(_rng.block_state(21, 0), sizes, 0, gm.args)
    assert np.all(cause >= 0)  # every exit is a DFS event
    for c, (s, a) in enumerate((s, a) for s in sc.strata for a in sc.arms):
        hz = _truth(sc, s, a)
        t = exit_t[cell == c]
        assert stats.kstest(t, lambda x, h=hz: 1.0 - h.survival(x)).pvalue > 1e-3, (s, a)
    # the treated arm in stratum 'low': HR exactly 1 before 0.5 years
    np.testing.assert_array_equal(gm.ev_rates[1, :1], gm.ev_rates[0, :1])
    # the event types given an event: the shares (3 SEs)
    death = np.mean(cause == 1)
    assert abs(death - 0.3) < 3 * math.sqrt(0.3 * 0.7 / cause.size)


def test_cure_fractions_hold_and_the_cured_only_drop_out():
    cure = {"low.control": 0.2, "low.treated": 0.5, "high.treated": 0.3}
    sc = scenario_from_dict(_delayed_scenario(cure, dropout=0.05))
    gm = build_generation(sc)
    assert gm.args.tot_rates.shape[0] == 8 and gm.args.cure.tolist() == [0.2, 0.5, 0.0, 0.3]
    sizes = np.full(4, 6000, dtype=np.int64)
    _enrol, cell, row, exit_t, cause, _ = _patient_trials(_rng.block_state(22, 0), sizes, 0, gm.args)
    cured = row >= 4
    assert np.array_equal(row % 4, cell)
    for c, (s, a) in enumerate((s, a) for s in sc.strata for a in sc.arms):
        pi = cure.get(f"{s}.{a}", 0.0)
        mine = cell == c
        share = float(cured[mine].mean())
        assert abs(share - pi) <= 3 * math.sqrt(pi * (1 - pi) / mine.sum()), (s, a, share)
        # the cured leave only by dropout (Exp(0.05)); the others as the cell's total hazard
        assert np.all(cause[mine & cured] == _exits.DROPOUT)
        drop = exit_t[mine & cured]
        if drop.size:
            assert stats.kstest(drop, "expon", args=(0, 1 / 0.05)).pvalue > 1e-3
        hz = _truth(sc, s, a)
        t = exit_t[mine & ~cured]
        total = PiecewiseHazard(hz.breaks, hz.rates + 0.05)
        assert stats.kstest(t, lambda x, h=total: 1.0 - h.survival(x)).pvalue > 1e-3, (s, a)
    # event-free survival at 2 years per cell: the model's pi + (1 - pi) S(2), with dropout as
    # independent censoring removed: P(no DFS event by 2) among those followed
    ev_by_2 = (cause >= 0) & (exit_t <= 2.0)
    for c, (s, a) in enumerate((s, a) for s in sc.strata for a in sc.arms):
        mine = cell == c
        p_event = float(ev_by_2[mine].mean())
        pi = cure.get(f"{s}.{a}", 0.0)
        hz = _truth(sc, s, a)
        # P(DFS event by 2) with dropout competing: (1 - pi) * integral of h S_total over [0, 2]
        total = PiecewiseHazard(hz.breaks, hz.rates + 0.05)
        grid = np.linspace(0.0, 2.0, 20001)
        dens = hz.hazard(grid) * total.survival(grid)
        want = (1 - pi) * float(np.sum((dens[1:] + dens[:-1]) / 2 * np.diff(grid)))
        assert abs(p_event - want) <= 3 * math.sqrt(want * (1 - want) / mine.sum()), (s, a, p_event, want)


@pytest.mark.parametrize(("template", "table"), [
    ([0, 0, 1], True), ([0, 0, 1, 1], True), ([0, 1, 1, 2, 2, 2], True),
    ([0, 0, 1], False), ([0, 0, 1, 1], False), ([0, 0, 0, 0, 1, 1, 1, 1], False),
])
def test_permuted_blocks_are_uniform_over_the_arrangements(template, table):
    # two strata, blocks within stratum: every complete block of a stratum's patients is an
    # arrangement of the template, each distinct arrangement equally likely (chi-square), drawn
    # from the table of all orderings (as the generator builds it for blocks of 3 to 6) or by
    # Fisher-Yates from the template alone
    tpl = np.array(template, dtype=np.int64)
    blocks = tpl[np.array(list(itertools.permutations(range(tpl.size))))] if table else tpl[None, :]
    n_arms = int(tpl.max()) + 1
    n, strat_cum = 600, np.array([0.3, 1.0])
    state = _rng.block_state(4, 0)
    cell = np.empty(n + 1, dtype=np.int64)
    seen = Counter()
    for _ in range(200):
        u = np.empty(n)
        _rng.uniforms(state, u, 0, n)
        _randomise.randomise(state, n, u, strat_cum, True, blocks, n_arms, cell)
        stratum, arm = cell[:n] // n_arms, cell[:n] % n_arms
        assert np.array_equal(stratum, (u >= 0.3).astype(np.int64))
        for s in (0, 1):
            a = arm[stratum == s]
            full = a[: a.size // tpl.size * tpl.size].reshape(-1, tpl.size)
            assert (np.sort(full, axis=1) == np.sort(tpl)).all()
            seen.update(map(tuple, full))
    arrangements = {tuple(tpl[list(p)]) for p in itertools.permutations(range(tpl.size))}
    assert set(seen) == arrangements
    counts = np.array([seen[a] for a in sorted(arrangements)])
    assert stats.chisquare(counts).pvalue > 1e-3


@njit
def _counts(pref, n, n_cells):
    out = np.empty((n_cells, n + 1), dtype=np.int64)
    for c in range(n_cells):
        for p in range(n + 1):
            out[c, p] = _generate.cell_count(pref, p, c)
    return out


@pytest.mark.parametrize(("n_strata", "n_arms", "n"), [(1, 2, 300), (2, 2, 300), (1, 3, 300), (3, 2, 300),
                                                      (2, 2, 40000)])
def test_running_cell_counts_are_the_counts(n_strata, n_arms, n):
    # two cells keep one row, three or four cells (trials up to 32767) one packed word, more
    # cells (or larger trials) a row per cell: every layout must count every cell at every p
    n_cells = n_strata * n_arms
    strat_cum = np.cumsum(np.full(n_strata, 1.0 / n_strata))
    strat_cum[-1] = 1.0
    gen = _gen(strat_cum=strat_cum, blocks=[list(range(n_arms)) * 2], target=np.full(n_arms, -1), n_arms=n_arms,
               breaks=[0.0], tot_rates=np.full((n_cells, 1), 0.1), tot_cum=np.zeros((n_cells, 1)),
               p_event=np.full((n_cells, 1), 0.8), type_cum=np.ones((n_cells, 1)), acc_knots=[0.0, 2.0],
               acc_dens=[0.5])
    bufs = _generate.buffers(n, n_cells)
    pref = bufs[6]
    want_rows = 2 if n_cells == 2 else 1 if n_cells <= 4 and n <= _generate.PACKED_MAX_N else n_cells
    assert pref.shape[0] == want_rows
    _generate.generate_trial(_rng.block_state(6, 0), n, gen, 5.0, 0, bufs)
    cell = bufs[1][:n]
    want = np.vstack([np.concatenate(([0], np.cumsum(cell == c))) for c in range(n_cells)])
    np.testing.assert_array_equal(_counts(pref, n, n_cells), want)


def test_piecewise_accrual_with_a_pause_gives_enrolment_from_its_density():
    # accrual as data: rates 100, 0 (a pause), 300 and 50 per year over 1, 0.5, 1 and 2 years;
    # with n fixed, the enrolment times are order statistics of the density proportional to the
    # rates: KS against the accrual CDF (pooled over trials), none inside the pause
    from survtrial.simulate._model import AccrualPattern

    durations, rates = [1.0, 0.5, 1.0, 2.0], [100.0, 0.0, 300.0, 50.0]
    pattern = AccrualPattern.from_periods(durations, rates)
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(rates) * np.asarray(durations))]) / pattern.expected_n
    n = 400
    gen = _gen(n_fixed=n, n_mean=n, acc_knots=pattern.knots, acc_cum=cum,
               acc_dens=pattern.rates / pattern.expected_n)
    bufs = _generate.buffers(n, 2)
    state = _rng.block_state(31, 0)
    enrolled = []
    for _ in range(50):
        _generate.generate_trial(state, n, gen, 0.0, 0, bufs)
        e = bufs[0][:n].copy()
        assert np.all(np.diff(e) >= 0)
        enrolled.append(e)
    e = np.concatenate(enrolled)
    assert not np.any((e > 1.0) & (e < 1.5))
    assert stats.kstest(e, lambda x: pattern.cdf(x)).pvalue > 1e-3
