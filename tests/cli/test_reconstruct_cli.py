"""Tests for `survtrial reconstruct`: the files it writes, its table, bad input (exit 2, nothing written)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.data.reconstruct import reconstruct_ipd

runner = CliRunner()
DATA = Path(__file__).parents[1] / "data" / "reconstruct"
CURVE = DATA / "bonner2006_locoregional_curve.csv"
RISK = DATA / "bonner2006_locoregional_at_risk.csv"
FILES = {"ipd.parquet", "ipd.csv", "fit.csv", "fit_intervals.csv"}


def test_writes_ipd_and_fit_report(tmp_path):
    out = tmp_path / "ipd"
    res = runner.invoke(app, ["reconstruct", "--curve", str(CURVE), "--at-risk", str(RISK), "--out", str(out),
                              "--clean", "--time-unit", "months", "--events", "radiotherapy=134"])
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} == {*FILES, ".survtrial-output"}
    want = reconstruct_ipd(CURVE, RISK, {"radiotherapy": 134}, clean=True, time_unit="months")
    ipd = pd.read_parquet(out / "ipd.parquet")
    assert (ipd["time_unit"] == "months").all()
    pd.testing.assert_frame_equal(ipd.drop(columns="time_unit"), want.to_frame())
    pd.testing.assert_frame_equal(pd.read_csv(out / "ipd.csv").drop(columns="time_unit"), want.to_frame(),
                                  check_dtype=False)
    fit = pd.read_csv(out / "fit.csv")
    assert fit["arm"].tolist() == ["radiotherapy", "radiotherapy+cetuximab"]
    assert fit["events"].tolist() == want.summary()["events"].tolist()
    assert len(pd.read_csv(out / "fit_intervals.csv")) == 12
    assert "max |KM - curve|" in res.output and "134 (134)" in res.output and "percent" in res.output


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c, r: c.assign(survival=c.survival.where(c.index != 5, 99.5)),
     "row 6 (arm 'radiotherapy'), column 'survival': survival increases"),
    (lambda c, r: c, "row 1 (arm 'radiotherapy'), column 'time': negative time"),
])
def test_bad_curve_exits_2_names_file_row_column_and_writes_nothing(tmp_path, edit, message):
    curve = pd.read_csv(CURVE)
    curve.loc[0, "time"] = -0.512 if "negative" in message else 0.0
    bad = tmp_path / "curve.csv"
    edit(curve, None).to_csv(bad, index=False)
    out = tmp_path / "ipd"
    res = runner.invoke(app, ["reconstruct", "--curve", str(bad), "--at-risk", str(RISK), "--out", str(out)])
    assert res.exit_code == 2
    text = " ".join(res.output.split())  # the console wraps long lines
    assert str(bad) in text.replace(" ", "") or "curve.csv" in text
    assert message in text
    assert "Traceback" not in res.output
    assert not out.exists()


def test_failed_run_keeps_previous_output(tmp_path):
    out = tmp_path / "ipd"
    ok = runner.invoke(app, ["reconstruct", "--curve", str(CURVE), "--at-risk", str(RISK), "--out", str(out),
                             "--clean"])
    assert ok.exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    risk = pd.read_csv(RISK)
    risk.loc[2, "n_risk"] = 500  # exceeds the arm's first count
    bad = tmp_path / "risk.csv"
    risk.to_csv(bad, index=False)
    res = runner.invoke(app, ["reconstruct", "--curve", str(CURVE), "--at-risk", str(bad), "--out", str(out),
                              "--clean", "--overwrite"])
    assert res.exit_code == 2
    assert "row 3 (arm 'radiotherapy'), column 'n_risk'" in " ".join(res.output.split())
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ipd")] == []  # no staging left


@pytest.mark.parametrize(("flag", "message"), [
    ("radiotherapy", "write arm=N"),
    ("radiotherapy=many", "is not a whole number"),
    ("nosucharm=3", "arm 'nosucharm' is not in the curve"),
])
def test_bad_events_flag(tmp_path, flag, message):
    res = runner.invoke(app, ["reconstruct", "--curve", str(CURVE), "--at-risk", str(RISK), "--out",
                              str(tmp_path / "o"), "--clean", "--events", flag])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert not (tmp_path / "o").exists()


def test_unmatched_interval_is_reported_as_warning(tmp_path):
    curve = pd.DataFrame({"arm": "a", "time": [0, 0.5, 1, 2], "survival": [1, 0.7, 0.7, 0.6]})
    risk = pd.DataFrame({"arm": "a", "time": [0, 1], "n_risk": [100, 95]})
    curve.to_csv(tmp_path / "c.csv", index=False)
    risk.to_csv(tmp_path / "r.csv", index=False)
    res = runner.invoke(app, ["reconstruct", "--curve", str(tmp_path / "c.csv"), "--at-risk",
                              str(tmp_path / "r.csv"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0
    assert "warning:" in res.output and "published 95" in " ".join(res.output.split())
