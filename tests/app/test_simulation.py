"""Check by simulation in the app: the same check as `survtrial design design.yaml --check-by-simulation N --seed S`
(the exported design file, read back by the CLI), shown with the report's digits; progress and cancel."""

from __future__ import annotations

import math
import re

import pytest
import yaml
from typer.testing import CliRunner

from survtrial.app.export import design_yaml, yaml_data
from survtrial.app.inputs import build_design, default_inputs
from survtrial.app.simulation import SimulationJob, check_rows
from survtrial.cli import app
from survtrial.errors import InputError
from survtrial.simulate.design_check import check_by_simulation
from survtrial.workflows.design_file import plan_from_file

# a proportional-hazards design small enough to simulate quickly: HR 0.6, control median 12 months
PH = default_inputs().with_(
    enroll=({"duration": 12.0, "rate": 10.0},),
    fail=({"duration": math.inf, "fail_rate": math.log(2) / 12, "hr": 0.6, "dropout_rate": 0.01},),
    final_time=30.0, fractions=(0.5, 1.0), power=0.8, beta_spending="HSD(-2)")
CASES = {
    "logrank": PH,
    "fh": default_inputs().with_(test="fh", rho=0, gamma=0.5, beta_spending="HSD(-2)"),
    "maxcombo": default_inputs().with_(test="maxcombo", combo_tests=("fh(0, 0)", "fh(0, 0.5)")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_apps_check_is_the_clis_check_of_the_exported_design_file(name, tmp_path):
    inputs = CASES[name]
    job = SimulationJob(build_design(inputs), 150, seed=7, time_unit=inputs.time_unit, inputs=inputs).start()
    assert job.wait(300) and job.state == "done", job.error
    assert job.done == job.total == 300  # trials under H1 and under H0
    shown = job.result
    # the API call the CLI makes for the exported design file (plan_from_file), and the CLI's own output
    cli = plan_from_file(yaml_data(inputs), check_by_simulation=150, seed=7).check
    assert shown.table.equals(cli.table)
    assert (shown.n_subjects, shown.events) == (cli.n_subjects, cli.events)
    path = tmp_path / "design.yaml"
    path.write_text(design_yaml(inputs))
    out = CliRunner().invoke(app, ["design", str(path), "--check-by-simulation", "150", "--seed", "7"])
    assert out.exit_code == 0, out.output
    a, s, se = (float(x) for x in re.search(r"check by simulation: power analytic ([\d.]+), simulated ([\d.]+) "
                                            r"\(MC SE ([\d.]+)\)", out.output).groups())
    assert (a, s, se) == tuple(round(x, 4) for x in shown.power)
    # FH and MaxCombo designs are checked with their own test statistics (the engine's plug-ins)
    assert shown.design.statistic == build_design(inputs).statistic
    rows = check_rows(shown)
    assert rows["Simulated"].tolist() == [f"{x:.4f}" for x in cli.table["simulated"]]
    assert rows["Analytic"].tolist() == [f"{x:.4f}" for x in cli.table["analytic"]]
    assert yaml.safe_load(design_yaml(inputs))["test"].startswith(name.replace("logrank", "log"))


def test_the_job_is_check_by_simulation_with_progress():
    d = build_design(PH)
    job = SimulationJob(d, 1200, seed=3, time_unit="months").start()
    assert job.wait(300) and job.state == "done", job.error
    direct = check_by_simulation(d, 1200, seed=3, time_unit="months")
    assert job.result.table.equals(direct.table)
    assert (job.done, job.total, job.fraction) == (2400, 2400, 1.0)


def test_a_run_can_be_cancelled():
    d = build_design(PH)
    job = SimulationJob(d, 200_000, seed=1).start()
    job.cancel()
    assert job.wait(120)
    assert job.state == "cancelled" and job.result is None and job.done < job.total == 400_000


def test_bad_number_of_trials():
    with pytest.raises(InputError, match="simulations: 0 must be a whole number >= 1"):
        SimulationJob(build_design(PH), 0, seed=1)
    job = SimulationJob(build_design(PH), 5, seed=1).start()
    assert job.wait(60) and job.state == "error" and "n_sims must be a whole number of trials >= 10" in job.error


def test_unequal_dropout_rates_are_a_message_not_a_traceback():
    inputs = default_inputs().with_(fail=(
        {"duration": 3.0, "fail_rate": 0.08, "hr": 0.9, "dropout_rate": 0.001},
        {"duration": math.inf, "fail_rate": 0.04, "hr": 0.6, "dropout_rate": 0.002}))
    job = SimulationJob(build_design(inputs), 100, seed=1).start()
    assert job.wait(60) and job.state == "error"
    assert "column 'dropout_rate': the simulation engine has one dropout hazard" in job.error
