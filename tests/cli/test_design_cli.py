"""Tests for `survtrial design` and `survtrial monitor` (numbers against rpact 3.3.4, files, errors)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy.stats import norm
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.design import group_sequential, update_design

runner = CliRunner()


def _control_3y(reference: dict) -> str:
    return f"{reference['results_first_interim']['dfs_3y']['chemo']['value']}%"


def _superiority_flags(reference: dict) -> list[str]:
    return ["--control-survival", _control_3y(reference), "--landmark", "3", "--hr", "0.6", "--power", "0.9",
            "--looks", "3", "--beta-spending", "OF", "--accrual-time", "5", "--follow-up", "2",
            "--time-unit", "years"]


# rpact 3.3.4:
#   d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF", typeBetaSpending = "bsOF")
#   x <- getSampleSizeSurvival(d, pi2 = 1 - 0.879, eventTime = 3, hazardRatio = 0.6, accrualTime = c(0, 5),
#                              followUpTime = 2)
#   x$eventsPerStage 56.87833755 113.75667510 170.63501265; x$maxNumberOfSubjects 1204.713669
#   x$analysisTime 3.790490953 5.430831897 7; d$criticalValues 3.710302873 2.511427484 1.993047483
#   d$futilityBounds -0.6945411659 1.0024595610
#   x$criticalValuesEffectScale 0.3738375735 0.6244173349 0.7370127145;
#   x$futilityBoundsEffectScale 1.20223836 0.82863244
RPACT_SUPERIORITY = {
    "events": [56.87833755, 113.75667510, 170.63501265],
    "time": [3.790490953, 5.430831897, 7.0],
    "efficacy_z": [3.710302873, 2.511427484, 1.993047483],
    "futility_z": [-0.6945411659, 1.0024595610],
    "efficacy_hr": [0.3738375735, 0.6244173349, 0.7370127145],
    "futility_hr": [1.20223836, 0.82863244],
}


def test_design_from_flags_matches_rpact_and_writes_all_files(tmp_path, reference):
    out = tmp_path / "plan"
    res = runner.invoke(app, ["design", *_superiority_flags(reference), "--title", "AALL1731-like", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "round up to 171" in res.output and "1205" in res.output
    assert sorted(p.name for p in out.iterdir()) == [".survtrial-output", "boundaries.png", "boundaries.svg",
                                                     "design.csv", "design.json"]
    assert not [p for p in tmp_path.iterdir() if p.name != "plan"]  # no staging directory left behind
    frame = pd.read_csv(out / "design.csv")
    for col, want in RPACT_SUPERIORITY.items():
        got = frame[col].to_numpy()[: len(want)]  # the final futility bound equals the efficacy bound
        assert got == pytest.approx(want, rel=2e-6), col
    doc = json.loads((out / "design.json").read_text())
    assert doc["summary"]["n_subjects"] == pytest.approx(1204.713669, rel=1e-6)
    assert doc["summary"]["max_events_rounded"] == 171
    assert (out / "boundaries.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / "boundaries.svg").read_text()[:500]


def test_design_from_yaml_equals_flags_and_flags_override(tmp_path, reference):
    spec = {"control_survival": _control_3y(reference), "landmark_time": 3, "hazard_ratio": 0.6, "power": 0.9,
            "looks": 3, "beta_spending": "OF", "accrual_time": 5, "follow_up": 2, "time_unit": "years"}
    path = tmp_path / "design.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert runner.invoke(app, ["design", str(path), "--out", str(tmp_path / "a")]).exit_code == 0
    assert runner.invoke(app, ["design", *_superiority_flags(reference), "--out", str(tmp_path / "b")]).exit_code == 0
    a = pd.read_csv(tmp_path / "a" / "design.csv")
    b = pd.read_csv(tmp_path / "b" / "design.csv")
    pd.testing.assert_frame_equal(a, b)
    res = runner.invoke(app, ["design", str(path), "--follow-up", "3", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    c = json.loads((tmp_path / "c" / "design.json").read_text())
    assert c["summary"]["follow_up"] == pytest.approx(3.0)
    a = json.loads((tmp_path / "a" / "design.json").read_text())
    assert c["summary"]["n_subjects"] < a["summary"]["n_subjects"]


def test_noninferiority_design_from_yaml_matches_rpact(tmp_path, reference):
    baseline = reference["results_first_interim"]["dfs_3y"]["blina"]["value"]
    path = tmp_path / "ni.yaml"
    path.write_text(yaml.safe_dump({
        "title": "De-escalation", "control_survival": f"{baseline}%", "landmark_time": 3, "hazard_ratio": 1.0,
        "margin_survival_difference": "2%", "looks": 2, "accrual_time": 5, "follow_up": 3, "time_unit": "years",
    }))
    res = runner.invoke(app, ["design", str(path), "--out", str(tmp_path / "ni")])
    assert res.exit_code == 0, res.output
    assert "non-inferiority" in res.output and "margin HR 1.5157" in res.output
    # d2 <- getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.2, typeOfDesign = "asOF")
    # y <- getSampleSizeSurvival(d2, thetaH0 = log(0.94) / log(0.96), hazardRatio = 1, lambda2 = -log(0.96) / 3,
    #                            accrualTime = c(0, 5), followUpTime = 3)
    # y$maxNumberOfEvents 182.1801144; y$maxNumberOfSubjects 2532.763379; y$analysisTime 5.205910887 8
    # y$criticalValuesEffectScale 0.814713812 1.132244556
    doc = json.loads((tmp_path / "ni" / "design.json").read_text())
    assert doc["summary"]["max_events"] == pytest.approx(182.1801144, rel=2e-6)
    assert doc["summary"]["n_subjects"] == pytest.approx(2532.763379, rel=2e-6)
    looks = pd.DataFrame(doc["looks"])
    assert looks["time"].to_numpy() == pytest.approx([5.205910887, 8.0], rel=2e-6)
    assert looks["efficacy_hr"].to_numpy() == pytest.approx([0.814713812, 1.132244556], rel=2e-6)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--alpha", "1.5"], "alpha"),
        (["--power", "0"], "power"),
        (["--accrual-time", "-2"], "--accrual-time"),
        (["--margin", "0.8"], "--margin"),
        (["--fractions", "0.5,0.4,1"], "--fractions"),
        (["--method", "lachin-foulkes"], "lachin_foulkes_sample_size"),
    ],
)
def test_design_bad_input_exits_2_naming_the_argument(tmp_path, args, needle):
    base = ["design", "--hr", "0.7", "--control-median", "1", "--accrual-time", "2", "--follow-up", "1",
            "--time-unit", "years"]
    out = tmp_path / "never"
    res = runner.invoke(app, [*base, *args, "--out", str(out)])
    assert res.exit_code == 2
    assert needle in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_design_yaml_unknown_key_is_named(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("hazard_ratio: 0.7\ncontrol_median: 1\nfollow_up: 1\ntime_unit: years\nalpah: 0.05\n")
    res = runner.invoke(app, ["design", str(path)])
    assert res.exit_code == 2
    assert "unknown key 'alpah'" in res.output


def _two_look_plan(tmp_path) -> Path:
    # a generic two-look design (no trial figures needed): control median 2 years, HR 0.65
    res = runner.invoke(app, ["design", "--control-median", "2", "--hr", "0.65", "--power", "0.9", "--looks", "2",
                              "--accrual-time", "3", "--follow-up", "2", "--time-unit", "years",
                              "--out", str(tmp_path / "plan")])
    assert res.exit_code == 0, res.output
    return tmp_path / "plan" / "design.json"


def test_monitor_updates_bounds_and_reports_conditional_power(tmp_path):
    design_json = _two_look_plan(tmp_path)
    dmax = json.loads(design_json.read_text())["summary"]["max_events"]
    d1, z1 = 100.0, 1.4
    res = runner.invoke(app, ["monitor", str(design_json), "--events", f"{d1:g}", "--z", f"{z1:g}",
                              "--out", str(tmp_path / "mon")])
    assert res.exit_code == 0, res.output
    row = pd.read_csv(tmp_path / "mon" / "monitor.csv").iloc[0]
    assert row["decision"] == "continue"
    t = d1 / dmax
    # Lan-DeMets O'Brien-Fleming bound at the observed fraction: 1 - Phi(c1) = 2 (1 - Phi(z_{0.9875} / sqrt(t)))
    spent = 2 * (1 - norm.cdf(norm.ppf(1 - 0.025 / 2) / math.sqrt(t)))
    assert row["efficacy_z"] == pytest.approx(norm.isf(spent), abs=1e-6)
    # Double programming of conditional power with one look to go (Lan & Wittes 1988 B-value):
    # CP(theta) = 1 - Phi((c2 - z1 sqrt(t) - theta (1 - t)) / sqrt(1 - t)), current trend theta = z1 / sqrt(t)
    c2 = update_design(group_sequential(k=2, alpha=0.025, power=0.9), events=[d1], max_events=dmax).upper[1]
    trend = 1 - norm.cdf((c2 - z1 * math.sqrt(t) - z1 / math.sqrt(t) * (1 - t)) / math.sqrt(1 - t))
    assert row["cp_current_trend"] == pytest.approx(trend, abs=1e-7)
    hr = math.exp(-z1 * 2 / math.sqrt(d1))
    assert row["hazard_ratio"] == pytest.approx(hr, rel=1e-12)
    assert (tmp_path / "mon" / "boundaries.png").exists()


def test_monitor_from_csv_stops_at_crossing(tmp_path):
    design_json = _two_look_plan(tmp_path)
    looks = tmp_path / "looks.csv"
    looks.write_text("look,events,z\n1,100,3.9\n2,200,2.5\n")
    res = runner.invoke(app, ["monitor", str(design_json), "--looks-csv", str(looks), "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(tmp_path / "m" / "monitor.csv")
    assert frame["decision"].tolist()[0].startswith("stop: efficacy")
    assert frame["decision"].tolist()[1].startswith("not reached")


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--events", "100,200", "--z", "1.0"], "one value of each per look"),
        (["--events", "200,100", "--z", "1,2"], "increase"),
        ([], "give the observed looks"),
    ],
)
def test_monitor_bad_input_exits_2(tmp_path, extra, needle):
    design_json = _two_look_plan(tmp_path)
    res = runner.invoke(app, ["monitor", str(design_json), *extra])
    assert res.exit_code == 2
    assert needle in res.output


def test_monitor_csv_missing_column_exits_2(tmp_path):
    design_json = _two_look_plan(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("events,zstat\n100,1.2\n")
    res = runner.invoke(app, ["monitor", str(design_json), "--looks-csv", str(bad)])
    assert res.exit_code == 2
    assert "missing column" in res.output and "'z'" in res.output


# rpact 3.3.4:
#   d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF")
#   x <- getSampleSizeSurvival(d, hazardRatio = 0.6, lambda2 = log(2) / 12, accrualTime = c(0, 24),
#                              followUpTime = 12)
#   x$eventsPerStage 54.3258999303 108.6517998606 162.9776997909 (events do not depend on lambda2 or accrual)
#   getDesignCharacteristics(d)$inflationFactor 1.01185276326
#   d$criticalValues 3.71030287326 2.51142748445 1.99304748327
RPACT_EVENTS = [54.3258999303, 108.6517998606, 162.9776997909]
RPACT_BOUNDS = [3.71030287326, 2.51142748445, 1.99304748327]


def test_design_events_alone_when_only_the_effect_is_given(tmp_path):
    res = runner.invoke(app, ["design", "--hr", "0.6", "--power", "0.9", "--looks", "3", "--out", str(tmp_path / "e")])
    assert res.exit_code == 0, res.output
    assert "round up to 163" in res.output and "subjects and timing not computed" in res.output
    frame = pd.read_csv(tmp_path / "e" / "design.csv")
    # rpact's inflation factor is itself a numerical integral (the tests above compare at 2e-6); 3e-9 apart here
    assert frame["events"].to_numpy() == pytest.approx(RPACT_EVENTS, rel=1e-8)
    assert frame["efficacy_z"].to_numpy() == pytest.approx(RPACT_BOUNDS, rel=1e-8)
    assert "time" not in frame.columns and "subjects" not in frame.columns
    # Schoenfeld by hand: (z_0.975 + z_0.9)^2 (1 + 1)^2 / log(0.6)^2, times the inflation factor
    fixed = (norm.ppf(0.975) + norm.ppf(0.9)) ** 2 * 4 / math.log(0.6) ** 2
    doc = json.loads((tmp_path / "e" / "design.json").read_text())
    assert doc["summary"]["events_fixed"] == pytest.approx(fixed, rel=1e-12)
    assert doc["summary"]["max_events"] == pytest.approx(fixed * 1.01185276326, rel=1e-8)
    assert doc["summary"]["scope"] == "events" and doc["summary"]["n_subjects"] is None


def test_design_boundaries_alone_when_no_effect_is_given(tmp_path):
    res = runner.invoke(app, ["design", "--looks", "3", "--power", "0.9", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert "boundaries only" in res.output
    frame = pd.read_csv(tmp_path / "b" / "design.csv")
    assert list(frame.columns[:3]) == ["look", "information_fraction", "efficacy_z"]
    assert frame["efficacy_z"].to_numpy() == pytest.approx(RPACT_BOUNDS, rel=1e-8)
    assert (tmp_path / "b" / "boundaries.png").exists()
    # monitoring needs the design's events: refused, naming the flag
    mon = runner.invoke(app, ["monitor", str(tmp_path / "b" / "design.json"), "--events", "50", "--z", "1"])
    assert mon.exit_code == 2 and "--hr" in mon.output


# rpact 3.3.4 (months: median 12, accrual 24, follow-up 12):
#   x2 <- getSampleSizeSurvival(getDesignGroupSequential(kMax = 1, alpha = 0.025, beta = 0.2), hazardRatio = 0.7,
#                               median2 = 12, accrualTime = c(0, 24), followUpTime = 12)
#   c(x2$maxNumberOfEvents, x2$maxNumberOfSubjects, x2$maxStudyDuration) 246.787104547 369.574139588 36
def test_design_time_unit_required_and_echoed(tmp_path):
    args = ["design", "--control-median", "12", "--accrual-time", "24", "--follow-up", "12", "--hr", "0.7"]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "never")])
    assert res.exit_code == 2
    assert "--control-median, --accrual-time, --follow-up hold times" in res.output and "--time-unit" in res.output
    assert "control_median" not in res.output and not (tmp_path / "never").exists()
    res = runner.invoke(app, [*args, "--time-unit", "months", "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "time unit: months; control median 12 months; accrual 24 months; follow-up 12 months" in res.output
    assert "study duration 36.00 months" in res.output and "Time (months)" in res.output
    assert "years" not in res.output
    doc = json.loads((tmp_path / "m" / "design.json").read_text())
    assert doc["spec"]["time_unit"] == "months"
    assert doc["summary"]["max_events"] == pytest.approx(246.787104547, rel=1e-8)
    assert doc["summary"]["n_subjects"] == pytest.approx(369.574139588, rel=1e-8)
    bad = runner.invoke(app, [*args, "--time-unit", "fortnights"])
    assert bad.exit_code == 2 and "--time-unit" in bad.output and "fortnights" in bad.output


def test_design_yaml_without_time_unit_names_the_key(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("hazard_ratio: 0.7\ncontrol_median: 1\naccrual_time: 2\nfollow_up: 1\n")
    res = runner.invoke(app, ["design", str(path)])
    assert res.exit_code == 2 and "time_unit" in res.output  # a file's keys are named as keys
    ok = runner.invoke(app, ["design", str(path), "--time-unit", "years"])
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--hr", "0.7", "--control-median", "1", "--control-hazard", "0.5"], "--control-hazard"),
        (["--hr", "0.7", "--control-median", "1", "--follow-up", "1"], "--accrual-time"),
        (["--control-median", "1"], "--control-median"),
        (["--hr", "-1"], "--hr"),
        (["--hr", "0.7", "--control-survival", "0.9", "--accrual-time", "2", "--follow-up", "1"], "--landmark"),
    ],
)
def test_design_errors_name_flags_not_python_names(args, flag):
    res = runner.invoke(app, ["design", *args, "--time-unit", "years"])
    assert res.exit_code == 2 and flag in res.output, res.output
    names = ("control_hazard", "control_median", "accrual_time", "hazard_ratio", "landmark_time", "follow_up")
    assert not any(n in res.output for n in names), res.output


def test_monitor_warns_when_z_and_hr_disagree(tmp_path):
    design_json = _two_look_plan(tmp_path)
    # the case: reproduce used to print the log-rank z with R's sign (-4.40) next to HR 0.39
    res = runner.invoke(app, ["monitor", str(design_json), "--events", "100", "--z=-4.40", "--hr", "0.39"])
    assert res.exit_code == 0, res.output
    assert "warning: look 1: z = -4.40 says the experimental arm is worse" in res.output
    assert "hazard ratio 0.39 says it is better" in res.output
    ok = runner.invoke(app, ["monitor", str(design_json), "--events", "100", "--z", "4.40", "--hr", "0.39"])
    assert ok.exit_code == 0 and "warning" not in ok.output and "stop: efficacy" in ok.output
    looks = tmp_path / "looks.csv"
    looks.write_text("events,z,hr\n100,-4.4,0.39\n")
    csv = runner.invoke(app, ["monitor", str(design_json), "--looks-csv", str(looks), "--out", str(tmp_path / "m")])
    assert csv.exit_code == 0 and "warning: look 1" in csv.output
    assert bool(pd.read_csv(tmp_path / "m" / "monitor.csv")["direction_conflict"].iloc[0]) is True
    bad = runner.invoke(app, ["monitor", str(design_json), "--events", "100", "--z", "1", "--hr", "0.5,0.6"])
    assert bad.exit_code == 2 and "--hr" in bad.output
