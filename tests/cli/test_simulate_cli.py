"""CLI `survtrial simulate`: tables printed, summary files written, bad input exits 2 writing nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.simulate.runner import run_simulation

sys.path.insert(0, str(Path(__file__).parents[1] / "simulate"))
from engine_scenarios import small_scenario, write_yaml

runner = CliRunner()


@pytest.fixture()
def files(tmp_path):
    sc = write_yaml(tmp_path / "small.yaml", small_scenario(n=300))
    design = write_yaml(tmp_path / "design.yaml", {"events": [20, 45, 70], "alpha": 0.025})
    return sc, design


def test_sweep_prints_and_saves_the_summary(tmp_path, files):
    sc, design = files
    out = tmp_path / "out"
    res = runner.invoke(app, ["simulate", str(sc), "--design", str(design), "--n-sims", "600", "--out", str(out),
                              "--sweep", "hazard_ratio=1,0.6", "--chunk-size", "250", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "hazard_ratio=0.6" in res.output and "rejection_probability" in res.output
    csv = pd.read_csv(out / "summary.csv")
    parquet = pd.read_parquet(out / "summary.parquet")
    assert len(csv) == len(parquet) and set(csv["hazard_ratio"]) == {1.0, 0.6}
    # each point equals a direct run with the same seed (common random numbers across the grid)
    direct = run_simulation(sc, design, n_sims=600, seed=1, hazard_ratio=0.6)
    got = csv[(csv["hazard_ratio"] == 0.6) & (csv["measure"] == "rejection_probability")]["estimate"].iloc[0]
    assert got == pytest.approx(direct.trials["rejected"].mean(), rel=1e-12)
    assert len(list((out / "points" / "hazard_ratio=0.6" / "chunks").glob("*.parquet"))) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n-sims", "0"], "--n-sims must be a whole number >= 1, got 0"),
        (["--sweep", "hazard_ratio"], "expected NAME=V1,V2"),
        (["--sweep", "hazard_ratio=-1"], "hazard_ratio must be a finite number > 0"),
        (["--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "1"], "cannot reach the Dask scheduler"),
        (["--test", "logrank", "--test", "wilcoxon"],
         "--test: unknown test 'wilcoxon'; known tests: logrank, fh(rho,gamma), mb(t*[,w_max])"),
        (["--test", "fh(0,-0.5)"], "rho and gamma must be >= 0"),
        (["--test", "rmst(9y)"], "test rmst(9y): time 9 years is beyond the follow-up"),
        (["--decision-test", "maxcombo(fh(0,0))"], "maxcombo needs at least two weighted log-rank tests"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, files, args, message):
    sc, design = files
    out = tmp_path / "out"
    res = runner.invoke(app, ["simulate", str(sc), "--design", str(design), "--out", str(out), "--no-progress", *args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert not out.exists()


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"events": [20, 45], "strata": ["low"]}, "not in the design: ['high']"),
        ({"events": [20, 400]}, "it can produce at most 300 events"),
        ({"events": [20, 45], "alpha_spend": "OF"}, "unknown key 'alpha_spend'"),
        ({"events": [20, 45], "tests": ["logrank", "gehan"]}, "key 'tests': unknown test 'gehan'; known tests:"),
        ({"events": [20, 45], "decision_test": "fh(1)"}, "key 'decision_test': test 'fh(1)': fh takes two numbers"),
    ],
)
def test_scenario_design_mismatch(tmp_path, files, design, message):
    sc, _ = files
    path = write_yaml(tmp_path / "bad.yaml", design)
    out = tmp_path / "out"
    res = runner.invoke(app, ["simulate", str(sc), "--design", str(path), "--out", str(out), "--no-progress"])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert not out.exists()


def test_tests_and_decision_test(tmp_path, files):
    sc, design = files
    out = tmp_path / "out"
    res = runner.invoke(app, ["simulate", str(sc), "--design", str(design), "--n-sims", "400", "--out", str(out),
                              "--test", "logrank", "--test", "fh(0,0.5)", "--test", "maxcombo", "--test", "rmst(1y)",
                              "--decision-test", "maxcombo", "--chunk-size", "200", "--no-progress", "--sweep",
                              "hazard_ratio=0.6"])
    assert res.exit_code == 0, res.output
    assert "rejection_probability[fh(0,0.5)]" in " ".join(res.output.split())
    csv = pd.read_csv(out / "summary.csv")
    direct = run_simulation(sc, design, n_sims=400, seed=1, hazard_ratio=0.6,
                            tests=["logrank", "fh(0,0.5)", "maxcombo", "rmst(1y)"], decision_test="maxcombo")
    assert direct.model.tests[direct.model.decision_index].label == "maxcombo"
    for label, col in (("rejection_probability", "rejected"), ("rejection_probability[rmst(1y)]", "rmst_1y_rejected")):
        got = csv.loc[csv["measure"] == label, "estimate"].iloc[0]
        assert got == pytest.approx(direct.trials[col].mean(), rel=1e-12)
    assert direct.trials["rejected"].equals(direct.trials["maxcombo_rejected"])


def test_sweep_ends_with_one_side_by_side_table(tmp_path, files):
    sc, design = files
    out = tmp_path / "out"
    res = runner.invoke(app, ["simulate", str(sc), "--design", str(design), "--n-sims", "400", "--out", str(out),
                              "--sweep", "hazard_ratio=1,0.6", "--no-progress"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    tail = res.output[res.output.index("Sweep: 2 points side by side"):]
    csv = pd.read_csv(out / "summary.csv")
    row = next(line for line in tail.splitlines() if "rejection probability" in line)
    cells = [c.strip() for c in row.split("\u2502")[2:4]]
    for hr, cell in zip((1.0, 0.6), cells, strict=True):
        r = csv[(csv["hazard_ratio"] == hr) & (csv["measure"] == "rejection_probability")].iloc[0]
        assert cell == f"{r['estimate']:.4f} ± {r['mc_se']:.4f}"
    assert "rejection at look 3" in tail and "expected duration (years)" in tail
