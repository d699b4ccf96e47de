"""check_by_simulation: a design's analytic crossing probabilities against survtrial's own engine.

Issue 16: every analytic power is also checked against survtrial's simulation of the same design
within 3 Monte-Carlo standard errors (a few thousand trials per case, small n). Fixed seeds; the
tolerance of each row is 3 x sqrt(p (1 - p) / n_sims) at the analytic p. The designs have a delayed
effect (hazard ratio 1 or 0.9 for the first months, then 0.5-0.6), so the AHR method's effect
changes from look to look; a few hundred subjects and 80-250 events keep each case at a few seconds
(at 35 events the log-rank z is close to a lattice, since O is a whole number, and per-look
probabilities drift from the normal approximation, so the cases avoid such small looks).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from survtrial.design import design_assumptions
from survtrial.design.ahr_design import ahr_design, ahr_power
from survtrial.errors import InputError
from survtrial.simulate.design_check import check_by_simulation, scenario_of

SIMS = 3000


def assert_within_3_se(check) -> None:
    t = check.table
    bad = t[np.abs(t["simulated"] - t["analytic"]) > 3 * t["mc_se"] + 1e-12]
    assert bad.empty, f"outside 3 Monte-Carlo SE:\n{bad.to_string()}"


@pytest.fixture(scope="module")
def delayed():
    """Delayed effect (HR 1 for 4 months, 0.55 after), sized for 80% power, 3 looks, OF futility."""
    a = design_assumptions({"duration": [6, 6], "rate": [10, 20]},
                           {"duration": [4, np.inf], "fail_rate": math.log(2) / 10, "hr": [1.0, 0.55],
                            "dropout_rate": 0.005})
    return ahr_design(a, analysis_times=[30], information_fractions=[0.5, 0.75, 1], power=0.8, beta_spending="OF")


def test_ahr_design_under_a_delayed_effect_agrees_with_the_engine(delayed):
    chk = check_by_simulation(delayed, SIMS, seed=1, time_unit="months")
    assert chk.n_subjects == math.ceil(delayed.n_subjects) == 363
    assert chk.events == tuple(math.ceil(e) for e in delayed.events)
    assert_within_3_se(chk)
    # the power row is the design's power for the rounded trial, and within 0.01 of the design's own
    a, _, se = chk.power
    assert abs(a - delayed.power) < 0.01 and se == pytest.approx(math.sqrt(a * (1 - a) / SIMS))
    h0 = chk.table[chk.table["hypothesis"] == "H0"]
    alpha = h0[h0["quantity"] == "type I error, futility ignored"].iloc[0]
    assert alpha["analytic"] == pytest.approx(0.025, abs=1e-3)


def test_the_analytic_column_is_the_design_at_whole_numbers(delayed):
    chk = check_by_simulation(delayed, 50, seed=2, time_unit="months")
    a = delayed.assumptions.scaled(chk.n_subjects / delayed.n_subjects)
    ref = ahr_power(a, events=list(chk.events), efficacy_bounds=delayed.upper, futility_bounds=delayed.lower)
    t = chk.table
    eff = t[(t["hypothesis"] == "H1") & (t["quantity"] == "efficacy")]["analytic"].to_numpy()
    np.testing.assert_allclose(eff, ref.upper_h1, rtol=1e-12)
    fut0 = t[(t["hypothesis"] == "H0") & (t["quantity"] == "futility")]["analytic"].to_numpy()
    np.testing.assert_allclose(fut0, ref.lower_h0, rtol=1e-12)


def test_strata_and_two_to_one_allocation():
    a = design_assumptions({"stratum": ["low", "high"], "duration": [12, 12], "rate": [15, 10]},
                           {"stratum": ["low", "low", "high", "high"], "duration": [3, np.inf, 3, np.inf],
                            "fail_rate": [0.03, 0.03, 0.08, 0.08], "hr": [1.0, 0.5, 0.9, 0.6],
                            "dropout_rate": 0.005}, allocation_ratio=2)
    d = ahr_power(a, events=[80, 140], beta_spending="OF", beta=0.2)
    chk = check_by_simulation(d, SIMS, seed=5, time_unit="months")
    t = chk.table
    overall = t[t["look"] == "all"]  # power and type I error; per look see the next test
    assert len(overall) == 3
    assert (np.abs(overall["simulated"] - overall["analytic"]) <= 3 * overall["mc_se"]).all(), overall.to_string()


@pytest.mark.xfail(strict=True, reason=(
    "known limitation of the design's variance model (info_scale 'h0_h1', as gsDesign2): under the alternative "
    "it takes the log-rank z as N(theta sqrt(I1), 1), but with 2:1 allocation the z standardised by its H0 "
    "variance has SD about sqrt(I1 / I0) = 1.03-1.04 and a larger mean (simulated 1.33 against 1.26 at the "
    "first look), so the first look's efficacy crossing is 0.090 simulated against 0.069 analytic (20,000 "
    "trials: 11 Monte-Carlo SEs); the total power holds (0.673 simulated against 0.667). With 1:1 allocation "
    "they agree."))
def test_two_to_one_allocation_per_look():
    a = design_assumptions({"duration": [12], "rate": [25]},
                           {"duration": [3, np.inf], "fail_rate": 0.05, "hr": [1.0, 0.55], "dropout_rate": 0.005},
                           allocation_ratio=2)
    d = ahr_power(a, events=[80, 140], beta_spending="OF", beta=0.2)
    assert_within_3_se(check_by_simulation(d, 5000, seed=7, time_unit="months"))


def test_the_engine_scenario_is_the_tables_in_years():
    a = design_assumptions({"duration": [6, 18], "rate": [10, 20]},
                           {"duration": [4, 8, np.inf], "fail_rate": [0.05, 0.04, 0.03], "hr": [1.0, 0.7, 0.5],
                            "dropout_rate": 0.01}, allocation_ratio=1.5)
    sc = scenario_of(a, 401, 150, 1 / 12)
    assert sc["arms"] == {"control": {"n": 160}, "experimental": {"n": 241}}
    assert sc["randomization"]["ratio"] == {"control": 2, "experimental": 3}
    h = sc["hazards"]["s1"]
    np.testing.assert_allclose(h["control"]["breaks"], [0, 4 / 12, 12 / 12])
    np.testing.assert_allclose(h["control"]["rates"], [0.6, 0.48, 0.36])
    assert h["experimental"]["hazard_ratio"]["values"] == [1.0, 0.7, 0.5]
    np.testing.assert_allclose([p["duration_years"] for p in sc["accrual"]["periods"]], [0.5, 1.5])
    assert sc["dropout"]["rate"] == pytest.approx(0.12)


def test_what_the_engine_cannot_simulate_is_refused():
    fail = {"duration": [4, np.inf], "fail_rate": 0.05, "hr": [1, 0.6]}
    two_dropouts = design_assumptions({"duration": [12], "rate": [20]}, {**fail, "dropout_rate": [0.01, 0.02]})
    with pytest.raises(InputError, match="one dropout hazard"):
        scenario_of(two_dropouts, 240, 100, 1.0)
    shapes = design_assumptions({"stratum": ["a", "b", "b"], "duration": [12, 6, 6], "rate": [20, 10, 30]},
                                {"stratum": ["a", "a", "b", "b"], "duration": [4, np.inf] * 2, "fail_rate": 0.05,
                                 "hr": [1, 0.6] * 2})
    with pytest.raises(InputError, match="stratum 'b'"):
        scenario_of(shapes, 480, 100, 1.0)
    odd = design_assumptions({"duration": [12], "rate": [20]}, fail, allocation_ratio=math.pi)
    with pytest.raises(InputError, match="allocation ratio"):
        scenario_of(odd, 240, 100, 1.0)
    with pytest.raises(InputError, match="n_sims"):
        check_by_simulation(ahr_power(design_assumptions({"duration": [12], "rate": [20]}, fail), events=[50]), 5)


@pytest.fixture(scope="module")
def late_effect():
    """Delayed effect (HR 1 for 4 months, 0.55 after), 300 subjects, looks at 120 and 200 events."""
    return design_assumptions({"duration": [6, 6], "rate": [20, 30]},
                              {"duration": [4, np.inf], "fail_rate": math.log(2) / 10, "hr": [1.0, 0.55],
                               "dropout_rate": 0.005})


def _designs(a):
    from survtrial.design import milestone_power, rmst_power, weighted_logrank_power
    from survtrial.design.maxcombo_design import maxcombo_power

    return {
        "fh(0, 0.5)": weighted_logrank_power(a, "fh(0, 0.5)", events=[120, 200], beta_spending="OF", beta=0.2),
        "maxcombo": maxcombo_power(a, ["logrank", "fh(0, 0.5)"], events=[120, 200], beta_spending="OF", beta=0.2),
        "rmst": rmst_power(a, 18.0, study_duration=27),
        "milestone": milestone_power(a, 15.0, study_duration=27),
    }


@pytest.mark.parametrize("which", ["fh(0, 0.5)", "maxcombo", "rmst", "milestone"])
def test_weighted_maxcombo_rmst_and_milestone_designs(late_effect, which):
    """Within 3 MC SEs of the engine's own statistic for each test (its test plug-ins)."""
    d = _designs(late_effect)[which]
    chk = check_by_simulation(d, SIMS, seed=1, time_unit="months")
    assert chk.n_subjects == 300
    assert chk.events == ((120, 200) if which in ("fh(0, 0.5)", "maxcombo") else chk.events)
    assert_within_3_se(chk)


def test_the_design_under_another_scenario(delayed):
    """Issue 16 item 4: a design's power under any scenario, analytic beside simulated (a longer delay)."""
    from survtrial.design import design_power

    longer_delay = {"duration": [6, np.inf], "fail_rate": math.log(2) / 10, "hr": [1.0, 0.55], "dropout_rate": 0.005}
    chk = check_by_simulation(delayed, SIMS, seed=2, time_unit="months", scenario=longer_delay)
    assert_within_3_se(chk)
    assert chk.n_subjects == 363 and chk.power[0] == pytest.approx(design_power(delayed, longer_delay).power,
                                                                   abs=0.01)
    assert chk.power[0] < delayed.power - 0.2


def test_chunks_progress_and_cancel_leave_the_numbers_as_they_are(delayed):
    """The same seed gives the same table in one range per hypothesis (the engine's simulate_trials), in
    chunks of the engine's seed block and in chunks that cut blocks; progress counts both hypotheses' trials;
    a set cancel event stops the run between chunks."""
    from survtrial.errors import Cancelled
    from survtrial.simulate._generation import TRIALS_PER_SEED_BLOCK
    from survtrial.simulate.design_check import CHUNK

    assert CHUNK == TRIALS_PER_SEED_BLOCK
    whole = check_by_simulation(delayed, 2100, seed=9, time_unit="months", chunk_size=10**6)
    calls: list[tuple[int, int]] = []
    chunked = check_by_simulation(delayed, 2100, seed=9, time_unit="months", progress=lambda *a: calls.append(a))
    cut = check_by_simulation(delayed, 2100, seed=9, time_unit="months", chunk_size=750)
    assert whole.table.equals(chunked.table) and whole.table.equals(cut.table)
    assert calls == [(0, 4200), (1000, 4200), (2000, 4200), (2100, 4200), (3100, 4200), (4100, 4200), (4200, 4200)]

    import threading

    stop = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 1000:
            stop.set()

    with pytest.raises(Cancelled, match="cancelled after 1,000 of 4,200 trials"):
        check_by_simulation(delayed, 2100, seed=9, time_unit="months", progress=progress, cancel=stop)
    assert seen == [0, 1000]
    with pytest.raises(InputError, match="chunk_size must be a whole number"):
        check_by_simulation(delayed, 100, chunk_size=0)
    with pytest.raises(InputError, match="cancel must be an event"):
        check_by_simulation(delayed, 100, cancel=True)
