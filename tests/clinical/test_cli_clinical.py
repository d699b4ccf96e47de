"""CLI: `survtrial classify`, `benefit` and `calendar` through typer's CliRunner."""

from __future__ import annotations

import icalendar
import pandas as pd
import pytest
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.clinical.population import synthetic_cohort

runner = CliRunner()


@pytest.fixture
def cohort_csv(tmp_path):
    p = tmp_path / "cohort.csv"
    synthetic_cohort(60, rng=4).to_csv(p, index=False)
    return p


def test_benefit_group_table():
    r = runner.invoke(app, ["benefit"])
    assert r.exit_code == 0, r.output
    words = r.output.split()
    assert {"SR-Avg", "SR-High", "SR-Fav", "NNTB", "established"} <= set(words)
    r = runner.invoke(app, ["benefit", "--group", "SR-High", "--level", "0.99"])
    assert r.exit_code == 0 and "\u221e" in r.output


def test_benefit_cohort_mode_writes_everything(cohort_csv, tmp_path):
    out = tmp_path / "out"
    r = runner.invoke(app, ["benefit", str(cohort_csv), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".survtrial-output", "benefit.png", "benefit.svg", "groups.csv", "patients.csv", "summary.csv", "summary.json"]
    patients = pd.read_csv(out / "patients.csv")
    assert len(patients) == 60
    assert {"eligible", "risk_group", "randomized", "rules", "benefit_pct", "nnt_text"} <= set(patients.columns)
    assert (out / "benefit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (out / "benefit.svg").read_bytes()[:400]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no staging left


def test_benefit_synthetic_population(tmp_path):
    out = tmp_path / "syn"
    r = runner.invoke(app, ["benefit", "--synthetic", "200", "--seed", "3", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "synthetic_cohort.csv").is_file()
    assert "eligible for blinatumomab" in r.output


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda df: df.assign(age_years=df["age_years"].where(df.index != 4, -2)), "row 5"),
        (lambda df: df.assign(eoi_bm_flow_mrd_pct=df["eoi_bm_flow_mrd_pct"].where(df.index != 0, 120)), "0-100"),
        (lambda df: df.assign(cytogenetics=df["cytogenetics"].where(df.index != 2, "MLL")), "accepted"),
        (lambda df: df.drop(columns="cns_status"), "missing column"),
    ],
)
def test_bad_cohort_exits_2_without_partial_output(tmp_path, mutate, fragment):
    bad = tmp_path / "bad.csv"
    mutate(synthetic_cohort(10, rng=1)).to_csv(bad, index=False)
    out = tmp_path / "out"
    r = runner.invoke(app, ["benefit", str(bad), "--out", str(out)])
    assert r.exit_code == 2
    assert "error:" in r.output and fragment in r.output
    assert "Traceback" not in r.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_cohort_mode_requires_out(cohort_csv):
    r = runner.invoke(app, ["benefit", str(cohort_csv)])
    assert r.exit_code == 2 and "--out" in r.output


def test_classify_writes_csv(cohort_csv, tmp_path):
    out = tmp_path / "classified.csv"
    r = runner.invoke(app, ["classify", str(cohort_csv), "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert len(df) == 60 and "rules" in df.columns and "classification" in df.columns
    r = runner.invoke(app, ["classify", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and "not found" in r.output


def test_calendar_writes_csv_and_ics(tmp_path):
    out = tmp_path / "cal"
    r = runner.invoke(app, ["calendar", "--start", "2025-02-03", "--arm", "B", "--sex", "F", "--bag-hours", "168",
                            "--distance-km", "80", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "6 bag changes" in r.output and "travel:" in r.output
    cal = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    n_events = len([c for c in cal.walk() if c.name == "VEVENT"])
    assert n_events == len(pd.read_csv(out / "calendar.csv"))
    assert len(pd.read_csv(out / "phases.csv")) == 8


def test_calendar_for_a_child_of_a_cohort(tmp_path):
    df = synthetic_cohort(40, rng=4)
    p = tmp_path / "c.csv"
    df.to_csv(p, index=False)
    from survtrial.clinical.cohort import assess_cohort

    f = assess_cohort(df).to_frame()
    pid = f.loc[f["randomized"].eq(True), "patient_id"].iloc[0]
    out = tmp_path / "cal"
    r = runner.invoke(app, ["calendar", "--start", "2025-02-03", "--cohort", str(p), "--patient-id", pid,
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["calendar", "--start", "2025-02-03", "--arm", "B", "--sex", "F", "--bag-hours", "12",
                            "--out", str(tmp_path / "bad")])
    assert r.exit_code == 2 and "allowed bag duration" in r.output
    assert not (tmp_path / "bad").exists()


def test_classify_prints_each_childs_group(cohort_csv):
    from survtrial.clinical.cohort import assess_cohort

    frame = assess_cohort(pd.read_csv(cohort_csv)).to_frame()
    r = runner.invoke(app, ["classify", str(cohort_csv)], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    rows = {line.split("\u2502")[1].strip(): line for line in r.output.splitlines() if line.count("\u2502") > 4}
    for child in frame.itertuples(index=False):
        line = rows[child.patient_id]
        assert (child.risk_group if isinstance(child.risk_group, str) else "-") in line
        assert child.classification[:40] in line
    short = runner.invoke(app, ["classify", str(cohort_csv), "--max-rows", "5"], env={"COLUMNS": "250"})
    assert "55 more children not shown" in short.output


@pytest.mark.parametrize(("args", "flag"), [
    (["benefit", "--level", "2"], "--level 2.0"),
    (["benefit", "--method", "foo"], "--method 'foo'"),
    (["benefit", "--group", "XX"], "--group 'XX'"),
    (["calendar", "--start", "2025-13-01", "--arm", "B", "--out", "never"], "--start '2025-13-01'"),
    (["calendar", "--start", "2025-01-01", "--arm", "B", "--infusion-start", "25:00", "--out", "never"],
     "--infusion-start '25:00'"),
    (["calendar", "--start", "2025-01-01", "--arm", "B", "--distance-km", "-3", "--out", "never"], "--distance-km"),
])
def test_clinical_errors_name_the_flag(args, flag, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and f"error: {flag}" in r.output, r.output
    assert not (tmp_path / "never").exists()
