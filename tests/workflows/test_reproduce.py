"""The AALL1731 twin end to end: report numbers equal direct statistics, calibration over replicates,
browser rendering, reproducibility and bad input."""

from __future__ import annotations

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
    """Each published headline lies in the twins' central 95%; mean 3-year DFS per arm within one published SE."""
    reps = run_replicates("aall1731", replicates=300, seed=2024, workers=2)
    pub = published_table("aall1731").set_index("key")
    for key, row in pub.iterrows():
        lo, hi = np.quantile(reps[key], [0.025, 0.975])
        assert lo <= row["published"] <= hi, f"{key}: published {row['published']} outside twin [{lo:.3f}, {hi:.3f}]"
    for key in ("dfs3_chemo", "dfs3_blina"):
        assert abs(reps[key].mean() - pub.loc[key, "published"]) <= pub.loc[key, "published_se"], key
    assert reps["interim_stop"].isin([0.0, 1.0]).all()


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
    assert fragment in res.output and "Traceback" not in res.output
    assert not out.exists()
