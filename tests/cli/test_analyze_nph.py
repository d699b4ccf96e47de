"""`survtrial analyze` options of the non-proportional-hazards section: cut points, milestone, MaxCombo.

Bad values exit with status 2, name the flag and the value as given, and write nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from survtrial.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
TRIAL = ROOT / "examples" / "trial.csv"  # months; placebo (last follow-up 43.9) / drug (45.7)
BASE = ["analyze", "--data", str(TRIAL), "--time", "months", "--event", "relapse", "--group", "arm"]

# Freireich et al. (1963) 6-MP vs placebo, weeks: no 6-MP relapse before week 6.
GEHAN = pd.DataFrame({
    "weeks": [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35,
              1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23],
    "relapse": [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0] + [1] * 21,
    "arm": ["6-MP"] * 21 + ["placebo"] * 21,
})


@pytest.mark.parametrize(("args", "message"), [
    (["--cut-points", "2y,1y"], r"--cut-points 2 years \(= 24 months\), 1 year \(= 12 months\): cut points must be "
                                r"strictly increasing"),
    (["--cut-points", "1y", "--cut-points", "1y"], r"--cut-points .*: cut points must be strictly increasing"),
    (["--cut-points", "5y"], r"--cut-points 5 years \(= 60 months\): \[60.0\] outside the follow-up; .*Last "
                             r"follow-up time per arm: 'placebo' 43.9, 'drug' 45.7"),
    (["--cut-points", "0"], r"--cut-points"),
    (["--cut-points", "soon"], r"--cut-points: 'soon' is not a duration"),
    (["--milestone", "4y"], r"--milestone 4 years \(= 48 months\) is beyond the follow-up of arm '(placebo|drug)'.*"
                            r"Last follow-up time per arm: .*give --milestone <= 43.9"),
    (["--milestone", "-2y"], r"--milestone"),
])
def test_bad_values_exit_2_name_the_flag_and_write_nothing(tmp_path, args, message):
    out = tmp_path / "report"
    res = runner.invoke(app, [*BASE, *args, "--out", str(out)], env={"COLUMNS": "300"})
    assert res.exit_code == 2, res.output
    assert re.search(message, " ".join(res.output.split())), res.output
    assert "Traceback" not in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_given_cut_points_milestone_and_no_maxcombo(tmp_path):
    out = tmp_path / "report"
    res = runner.invoke(app, [*BASE, "--cut-points", "1y,2y", "--milestone", "18m", "--no-maxcombo",
                              "--out", str(out)], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert "piecewise hazard ratios cut at 12, 24 months (given); milestone: 18 months" in res.output
    html = (out / "report.html").read_text()
    assert "cut points 12, 24 months, given" in html and "MaxCombo" not in html
    assert "at 18 months" in html
    table = pd.read_csv(out / "tables" / "endpoint_piecewise_hr.csv")
    assert table["start"].tolist()[:3] == [0.0, 12.0, 24.0]
    assert not (out / "tables" / "endpoint_maxcombo.csv").exists()


def test_an_interval_without_events_in_one_arm_is_reported_not_refused(tmp_path):
    data = tmp_path / "gehan.csv"
    GEHAN.to_csv(data, index=False)
    out = tmp_path / "report"
    res = runner.invoke(app, ["analyze", "--data", str(data), "--time", "weeks", "--event", "relapse", "--group",
                              "arm", "--time-unit", "weeks", "--landmark", "10", "--tau", "20", "--cut-points", "5",
                              "--out", str(out)], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "warning: piecewise hazard ratio: interval (0, 5] has 9 event(s) in 'placebo' and 0 in '6-MP'" in text
    html = (out / "report.html").read_text()
    assert "NE (no events in 6-MP)" in html and "Read with care" in html
