"""Check by simulation: the design as an engine scenario, a small run against the analytic log-rank numbers, cancel."""

from __future__ import annotations

import math

import numpy as np
import pytest

from survtrial.app.inputs import build_design, default_inputs
from survtrial.app.simulation import SimulationJob, simulation_inputs
from survtrial.errors import InputError
from survtrial.simulate.scenario import scenario_from_dict

# a proportional-hazards design small enough to simulate quickly: HR 0.6, control median 12 months
PH = default_inputs().with_(
    enroll=({"duration": 12.0, "rate": 10.0},),
    fail=({"duration": math.inf, "fail_rate": math.log(2) / 12, "hr": 0.6, "dropout_rate": 0.01},),
    final_time=30.0, fractions=(0.5, 1.0), power=0.8, beta_spending="HSD(-2)")


def test_the_scenario_is_the_designs_tables_in_years():
    d = build_design(default_inputs())
    scenario, sim = simulation_inputs(d, "months")
    s = d.assumptions.strata[0]
    hz = scenario["hazards"]["all"]
    # control hazard per year = per month x 12; cut points in years = months / 12
    assert hz["control"]["rates"] == pytest.approx(list(s.control_hazard * 12))
    assert hz["control"]["breaks"] == pytest.approx([0.0, 3 / 12])
    assert hz["experimental"]["hazard_ratio"]["values"] == [0.9, 0.6]
    periods = scenario["accrual"]["periods"]
    assert sum(p["duration_years"] * p["rate"] for p in periods) == pytest.approx(d.n_subjects)
    assert scenario["accrual"]["n"] == round(d.n_subjects)
    assert scenario["dropout"]["rate"] == pytest.approx(0.001 * 12)
    assert sim["events"] == [round(e) for e in d.events]
    scenario_from_dict(scenario)  # the engine's own validation accepts it


def test_unequal_dropout_rates_are_refused_with_a_message():
    inputs = default_inputs().with_(fail=(
        {"duration": 3.0, "fail_rate": 0.08, "hr": 0.9, "dropout_rate": 0.001},
        {"duration": math.inf, "fail_rate": 0.04, "hr": 0.6, "dropout_rate": 0.002}))
    with pytest.raises(InputError, match="column 'dropout_rate': the simulation engine takes one dropout rate"):
        simulation_inputs(build_design(inputs))


def test_small_simulation_agrees_with_the_analytic_log_rank_numbers():
    d = build_design(PH)
    job = SimulationJob(d, 400, seed=11).start()
    assert job.wait(120) and job.state == "done", job.error
    res = job.result
    analytic, simulated, se = res.power
    assert se == pytest.approx(math.sqrt(simulated * (1 - simulated) / 400))
    # analytic log-rank power at the simulated (rounded) looks equals the design's within rounding
    assert analytic == pytest.approx(d.power, abs=0.01)
    # 400 trials: MC SE of a probability near 0.8 is 0.02; 3.5 SE covers the check at 1 in 2000
    assert abs(simulated - analytic) < 3.5 * math.sqrt(analytic * (1 - analytic) / 400)
    t = res.table
    for col in ("efficacy", "futility"):
        p = t[f"{col}_analytic"].to_numpy()
        tol = 3.5 * np.sqrt(np.maximum(p * (1 - p), 0.01 * 0.99) / 400)
        assert np.all(np.abs(t[f"{col}_simulated"].to_numpy() - p) < tol), col
    assert job.done == job.total == 400


def test_a_run_can_be_cancelled_and_reports_progress():
    d = build_design(PH)
    job = SimulationJob(d, 200_000, seed=1).start()
    job.cancel()
    assert job.wait(120)
    assert job.state == "cancelled" and job.result is None and job.done < 200_000


def test_bad_number_of_trials():
    with pytest.raises(InputError, match="simulations: 0 must be a whole number >= 1"):
        SimulationJob(build_design(PH), 0, seed=1)
