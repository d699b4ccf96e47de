"""The AALL1731 twin end to end: report numbers equal direct statistics, calibration over replicates,
browser rendering, reproducibility and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.report.browser import find_chromium, render_html
from survtrial.simulate.scenario import load_scenario
from survtrial.stats.cox import cox_ph
from survtrial.stats.cuminc import cumulative_incidence
from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test
from survtrial.stats.rmst import restricted_mean_survival_time
from survtrial.workflows.reproduce import reproduce
from survtrial.workflows.twin import published_table, run_replicates
from survtrial.workflows.twin_spec import load_twin


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("twin") / "aall1731"
    return reproduce("aall1731", seed=11, out=out)


def test_report_numbers_equal_direct_statistics(run):
    """The published-vs-twin CSV holds exactly what the statistics functions give on patients.parquet."""
    pts = pd.read_parquet(run.out / "patients.parquet")
    table = pd.read_csv(run.out / "tables" / "published_vs_twin.csv").set_index("key")
    t, e, arm = pts["dfs_time"], pts["dfs_event"], pts["arm"]
    lm = kaplan_meier(t, e, arm).survival_at([3.0]).set_index("group")
    assert table.loc["dfs3_chemo", "twin"] == pytest.approx(100 * lm.loc["chemo", "survival"], rel=1e-12)
    assert table.loc["dfs3_blina", "twin"] == pytest.approx(100 * lm.loc["blina", "survival"], rel=1e-12)
    x = (arm == "blina").astype(float).to_numpy()
    cox = cox_ph(t, e, x, strata=pts["risk_group"])
    assert table.loc["hr", "twin"] == pytest.approx(float(np.exp(cox.coef[0])), rel=1e-10)
    high = pts[pts["risk_group"] == "SR-High"]
    s_high = kaplan_meier(high["dfs_time"], high["dfs_event"], high["arm"]).survival_at([3.0]).set_index("group")
    assert table.loc["dfs3_high_blina", "twin"] == pytest.approx(100 * s_high.loc["blina", "survival"], rel=1e-12)
    rm = restricted_mean_survival_time(t, e, arm, tau=load_twin("aall1731").analysis.rmst.years, reference="chemo")
    assert table.loc["rmst_days", "twin"] == pytest.approx(float(rm.difference) * 365.25, rel=1e-12)
    codes = (pts["dfs_event_type"] == "marrow_relapse").astype(int) + 2 * (
        (pts["dfs_event"] == 1) & (pts["dfs_event_type"] != "marrow_relapse")).astype(int)
    ci = cumulative_incidence(t, codes, arm).at([3.0])
    marrow = ci[(ci["group"] == "chemo") & (ci["cause"] == 1)]["cif"].iloc[0]
    assert table.loc["marrow3_chemo", "twin"] == pytest.approx(100 * marrow, rel=1e-12)
    os_lm = kaplan_meier(pts["os_time"], pts["os_event"], arm).survival_at([3.0]).set_index("group")
    assert table.loc["os3_blina", "twin"] == pytest.approx(100 * os_lm.loc["blina", "survival"], rel=1e-12)
    crs = pts.loc[pts["arm"] == "blina", "tox_crs_grade3plus"].mean()
    assert table.loc["crs_blina", "twin"] == pytest.approx(100 * crs)
    lr = logrank_test(t, e, arm, strata=pts["risk_group"], reference="chemo")
    # survtrial's convention (z > 0 favours blina, as the bound it is compared with); R's sign in lr.z
    assert run.interim["z"] == pytest.approx(-lr.z, rel=1e-12) and run.interim["z"] > 0
    for arm_name in ("chemo", "blina"):  # numbers at risk under the KM figure
        mine = pts.loc[pts["arm"] == arm_name, "dfs_time"]
        assert table.loc[f"at_risk2_{arm_name}", "twin"] == (mine >= 2).sum()


def test_the_twin_rmst_horizon_is_the_scenarios():
    # the twin YAML rounds the horizon the scenario solves from the published chemotherapy mean
    tw = load_twin("aall1731")
    assert abs(tw.analysis.rmst.years - load_scenario("aall1731").calibrated.rmst_horizon) < 0.005


def test_outputs_written(run):
    names = {p.name for p in run.out.iterdir()}
    assert {"report.html", "patients.parquet", "figures", "tables"} <= names
    figs = {p.name for p in (run.out / "figures").iterdir()}
    assert {"km_dfs.png", "km_dfs.svg", "forest.png", "cumulative_incidence.svg"} <= figs
    assert not [p for p in run.out.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_same_seed_same_numbers(run):
    again = reproduce("aall1731", seed=11)
    pd.testing.assert_frame_equal(again.patients, run.patients)
    assert again.comparison["twin"].tolist() == run.comparison["twin"].tolist()


@pytest.mark.slow
def test_calibration_over_300_replicates():
    """Each published headline lies in the twins' central 95%; mean 3-year DFS per arm and risk group
    within one published SE; the curve-level targets of the re-calibrated twin."""
    reps = run_replicates("aall1731", replicates=300, seed=2024, workers=2)
    pub = published_table("aall1731").set_index("key")
    for key, row in pub.iterrows():
        lo, hi = np.quantile(reps[key], [0.025, 0.975])
        assert lo <= row["published"] <= hi, f"{key}: published {row['published']} outside twin [{lo:.3f}, {hi:.3f}]"
    for key in ("dfs3_chemo", "dfs3_blina", "dfs3_avg_chemo", "dfs3_avg_blina", "dfs3_high_chemo", "dfs3_high_blina"):
        assert abs(reps[key].mean() - pub.loc[key, "published"]) <= pub.loc[key, "published_se"], key
    assert reps["interim_stop"].isin([0.0, 1.0]).all()
    # curve-level targets (issue 14): mean Cox HR within exp(log 0.39 +- 0.15), mean numbers at risk at
    # years 1-4 within 10% of the published, RMST difference within one published SE (from its CI)
    hr = pub.loc["hr"]
    assert np.exp(np.log(hr["published"]) - 0.15) <= reps["hr"].mean() <= np.exp(np.log(hr["published"]) + 0.15)
    for key in [k for k in pub.index if k.startswith("at_risk")]:
        assert abs(reps[key].mean() / pub.loc[key, "published"] - 1) < 0.10, key
    rmst = pub.loc["rmst_days"]
    se = (rmst["published_upper"] - rmst["published_lower"]) / (2 * 1.959964)
    assert abs(reps["rmst_days"].mean() - rmst["published"]) <= se


def test_replicates_do_not_depend_on_workers():
    a = run_replicates("aall1731", replicates=8, seed=5, workers=1)
    b = run_replicates("aall1731", replicates=8, seed=5, workers=2)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.skipif(find_chromium() is None, reason="headless Chromium not installed (apt-get install chromium)")
def test_report_renders_and_escapes_scenario_name(tmp_path):
    sc = load_scenario("aall1731").updated({"name": "twin<script>alert(1)</script>"})
    res = reproduce("aall1731", scenario=sc, seed=3, out=tmp_path / "r")
    page = render_html(res.out / "report.html", selectors=["svg#figure-km_dfs", "table", "script"])
    assert page.errors == ()
    assert page.counts["svg#figure-km_dfs"] == 1 and page.counts["table"] >= 8 and page.counts["script"] == 0
    assert "twin<script>alert(1)</script>" in page.text  # shown as text, not run


def test_cli_unknown_twin_or_scenario_exits_2_and_leaves_nothing(tmp_path):
    out = tmp_path / "never"
    res = CliRunner().invoke(app, ["reproduce", "no-such-trial", "--out", str(out)])
    assert res.exit_code == 2
    assert "no-such-trial" in res.output and "aall1731" in res.output  # the packaged twins are listed
    assert not out.exists() and list(tmp_path.iterdir()) == []
    res = CliRunner().invoke(app, ["reproduce", "aall1731", "--scenario", "no-such-trial", "--out", str(out)])
    assert res.exit_code == 2
    assert "no-such-trial" in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_runs_and_prints_table(tmp_path):
    res = CliRunner().invoke(app, ["reproduce", "--seed", "4", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "3-year DFS, chemotherapy" in res.output and (tmp_path / "o" / "report.html").exists()


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda y: y.replace("share: 0.57", "share: 0.70"), "sum"),
        (lambda y: y.replace("rate: 0.01", "rate: -0.01"), "dropout.rate"),
        (lambda y: y.replace("dropout:", "drop_out:"), "drop_out"),
        # issue 14's bad input: targets that cannot hold together (blinatumomab below chemotherapy in
        # SR-Avg while its hazard ratio is bounded by 1), numbers at risk that increase or exceed the arm
        (lambda y: y.replace("value: 0.975 ", "value: 0.800 "),
         "the targets cannot hold together with the landmark targets and the hazards' shapes"),
        (lambda y: y.replace("chemo: [722, 627, 449, 221, 44]", "chemo: [722, 627, 449, 460, 44]"),
         "numbers at risk must not increase over the years"),
        (lambda y: y.replace("years: [0, 1, 2, 3, 4]", "years: [0.25, 1, 2, 3, 4]").replace(
            "chemo: [722, 627, 449, 221, 44]", "chemo: [760, 627, 449, 221, 44]"),
         "760 at risk at year 0.25 exceeds the arm's 722 patients"),
    ],
)
def test_cli_bad_scenario_file_exits_2_and_leaves_nothing(tmp_path, mutate, fragment):
    from importlib.resources import files

    text = (files("survtrial") / "scenarios" / "aall1731.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    assert mutate(text) != text, "the mutation must change the scenario"
    bad.write_text(mutate(text), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["reproduce", "aall1731", "--scenario", str(bad), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert fragment in " ".join(res.output.split()) and "Traceback" not in res.output
    assert not out.exists()


def test_the_twin_design_runs_on_the_engine_and_its_trials_are_the_replicates():
    """One generator: trial i of an operating-characteristics run of the AALL1731 design under the
    twin is replicate i + 1 of the twin with the same seed (the same patients)."""
    from survtrial.simulate.engine import simulate_trials, trial_data
    from survtrial.simulate.trial import apply_data_cut, simulate_trial
    from survtrial.workflows.twin import twin_design

    tw = load_twin("aall1731")
    sc = load_scenario("aall1731")
    design = twin_design(tw)
    assert design["planned_events"] == tw.interim_analysis.planned_events
    res = simulate_trials(sc, design, 40, seed=5)
    assert res.summary() is not None and res.n_sims == 40
    reps = run_replicates(tw, replicates=8, seed=5, workers=1)
    for i in (0, 7):
        twin = simulate_trial(sc, seed=5, index=i, full_follow_up=True)
        engine = trial_data(res.model, 5, i)
        pd.testing.assert_frame_equal(engine, twin[engine.columns])
        # the replicate is this trial at the scenario's data cut
        cut = simulate_trial(sc, seed=5, index=i)
        assert reps.iloc[i]["events"] == cut["dfs_event"].sum()
        # the engine's first look: the twin cut at the look's events gives the engine's z
        look = apply_data_cut(twin, events=int(res.model.design.events[0]))
        lr = logrank_test(look["dfs_time"], look["dfs_event"], look["arm"], strata=look["risk_group"],
                          reference="chemo", timefix=False)
        assert res.trials.iloc[i]["z_1"] == pytest.approx(-lr.z, rel=1e-12)


def test_replicate_curves_in_the_report(tmp_path):
    res = reproduce("aall1731", seed=3, replicates=8, workers=1, out=tmp_path / "r")
    curves = res.replicates.attrs["curves"]
    assert set(curves["arm"]) == {"chemo", "blina"} and (curves["lower"] <= curves["median"]).all()
    assert (curves["median"] <= curves["upper"]).all() and (curves.loc[curves["time"] == 0, "median"] == 1).all()
    assert (tmp_path / "r" / "figures" / "twin_curve_band.svg").exists()
    assert (tmp_path / "r" / "replicate_curves.parquet").exists()


def test_replicate_headlines_equal_the_full_analysis():
    """The replicates' direct path (the analysis' statistics calls, no tables) gives the numbers the
    full analysis gives, replicate by replicate (the covariates it leaves out change nothing else)."""
    from survtrial.simulate.trial import simulate_trial
    from survtrial.workflows.twin import analyse_twin, interim_decision, twin_headlines

    tw = load_twin("aall1731")
    sc = load_scenario("aall1731")
    reps = run_replicates(tw, replicates=3, seed=21, workers=1)
    for i in range(3):
        frame = simulate_trial(sc, seed=21, index=i)
        analysis = analyse_twin(frame, tw, detailed=False)
        want = twin_headlines(analysis, frame, tw)
        want.update({f"interim_{k}": v for k, v in interim_decision(analysis, tw.interim_analysis).items()})
        got = reps.iloc[i]
        assert set(want) <= set(got.index)
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12, nan_ok=True), (i, key)
        detailed = twin_headlines(analyse_twin(frame, tw, detailed=True), frame, tw)
        direct = twin_headlines(None, frame, tw)  # the direct path on the full frame (covariates too)
        for key, value in detailed.items():
            assert direct[key] == pytest.approx(value, rel=1e-12, abs=1e-12, nan_ok=True), (i, key)


def test_cli_simulate_of_the_aall1731_design_runs_the_twins_trials(tmp_path):
    """`survtrial simulate aall1731 --design examples/aall1731_design.yaml` as the README runs it:
    trial i of the seed is the twin's trial i (replicate i + 1): the look's z is the stratified
    log-rank of the twin's patients cut at the look's events."""
    from survtrial.simulate.trial import apply_data_cut, simulate_trial

    design = Path(__file__).parents[2] / "examples" / "aall1731_design.yaml"
    out = tmp_path / "oc"
    res = CliRunner().invoke(app, ["simulate", "aall1731", "--design", str(design), "--n-sims", "6", "--seed", "5",
                                   "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    trials = pd.concat([pd.read_parquet(p) for p in sorted((out / "chunks").glob("*.parquet"))]).set_index("trial")
    sc = load_scenario("aall1731")
    for i in (0, 5):
        twin = simulate_trial(sc, seed=5, index=i, full_follow_up=True)
        look = apply_data_cut(twin, events=int(trials.loc[i, "events_1"]))
        lr = logrank_test(look["dfs_time"], look["dfs_event"], look["arm"], strata=look["risk_group"],
                          reference="chemo", timefix=False)
        assert trials.loc[i, "z_1"] == pytest.approx(-lr.z, rel=1e-12)
        assert trials.loc[i, "events_chemo_1"] == look.loc[look["arm"] == "chemo", "dfs_event"].sum()
