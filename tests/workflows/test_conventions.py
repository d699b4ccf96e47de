"""`survtrial analyze` as a new user meets it: units, control arm, endpoint name and sign are stated, never assumed.

Reference values are R 4 survival outputs on the files in tests/workflows/data (the R calls are pasted
next to each number).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.errors import InputError
from survtrial.workflows.analyze import analyze_adam, analyze_table

DATA = Path(__file__).parent / "data"
runner = CliRunner()

# library(survival)
# adsl <- read.csv("trt01pn/adsl.csv"); adtte <- read.csv("trt01pn/adtte.csv")
# d <- merge(adsl, adtte, by = "USUBJID")
# d$arm <- factor(d$TRT01P, levels = c("Observation", "Drug X"))  # TRT01PN order: Observation = 1
# summary(coxph(Surv(AVAL, 1 - CNSR) ~ arm, data = d))$conf.int
#   armDrug X exp(coef) 0.627126940043414, lower .95 0.423006204687672, upper .95 0.929745697745972
# sd <- survdiff(Surv(AVAL, 1 - CNSR) ~ arm, data = d); (sd$obs[2] - sd$exp[2]) / sqrt(sd$var[2, 2])
#   -2.34173978632335
R_TRT01PN = {"hr": 0.627126940043414, "lower": 0.423006204687672, "upper": 0.929745697745972,
             "survdiff_z": -2.34173978632335}

# d <- read.csv("placebo_drug.csv"); d$arm <- factor(d$arm, levels = c("placebo", "drug"))
# summary(coxph(Surv(time, event) ~ arm, data = d))$conf.int
#   armdrug exp(coef) 0.752025739859516, lower .95 0.481654184367458, upper .95 1.1741675495957
# sd <- survdiff(Surv(time, event) ~ arm, data = d); (sd$obs[2] - sd$exp[2]) / sqrt(sd$var[2, 2])
#   -1.25918971662513
# summary(survfit(Surv(time, event) ~ arm, data = d), times = 24)$surv
#   placebo 0.298419357067050, drug 0.399336961329154
R_PLACEBO = {"hr": 0.752025739859516, "lower": 0.481654184367458, "upper": 1.1741675495957,
             "survdiff_z": -1.25918971662513, "S24_placebo": 0.298419357067050, "S24_drug": 0.399336961329154}


def _text(path: Path) -> str:
    t = path.read_text()
    t = re.sub(r"<style>.*?</style>", "", t, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)))


# --- control arm ------------------------------------------------------------------------------------

def test_trt01pn_orders_the_arms_as_r_does():
    res = analyze_adam(DATA / "trt01pn" / "adsl.csv", DATA / "trt01pn" / "adtte.csv")
    a = res.analysis
    assert (a.reference, a.experimental) == ("Observation", "Drug X")  # alphabetical order would invert it
    assert a.reference_arm.rule == "order" and a.reference_arm.reason == "lowest TRT01PN (1 = 'Observation')"
    hr, lo, hi = a.primary.hazard_ratio
    assert (hr, lo, hi) == pytest.approx((R_TRT01PN["hr"], R_TRT01PN["lower"], R_TRT01PN["upper"]), rel=1e-9)
    assert a.primary.logrank.z == pytest.approx(R_TRT01PN["survdiff_z"], rel=1e-12)  # stats keeps R's sign
    assert a.primary.z == pytest.approx(-R_TRT01PN["survdiff_z"], rel=1e-12)  # survtrial's: > 0 favours Drug X


def test_cli_trt01pn_prints_reference_and_why_and_report_says_it(tmp_path):
    out = tmp_path / "rep"
    res = runner.invoke(app, ["analyze", "--adsl", str(DATA / "trt01pn" / "adsl.csv"), "--adtte",
                              str(DATA / "trt01pn" / "adtte.csv"), "--out", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "reference (control) arm: Observation, lowest TRT01PN (1 = 'Observation')" in res.output
    assert "PFS: HR Drug X vs Observation 0.63 (95% CI 0.42-0.93); log-rank z = 2.34 (> 0 favours Drug X)" in res.output
    assert "time unit: days (from AVALU and PARAM 'Progression-free survival (days)')" in res.output
    assert "endpoint: PFS (from PARAMCD; PARAM 'Progression-free survival (days)')" in res.output
    text = _text(out / "report.html")
    assert "Reference (control) arm: Observation, lowest TRT01PN (1 = 'Observation')" in text
    assert "Hazard ratio Drug X vs Observation 0.63" in text and "log-rank z = 2.34 (z > 0 favours Drug X)" in text
    assert "Days from randomization" in (out / "figures" / "km_pfs.svg").read_text()
    # a landmark given in years is named in years and computed at 3 x 365.25 days
    assert "3-year estimate" in text and "3-year PFS, % \u00b1 SE" in text
    assert "DFS" not in text and not list(out.rglob("*dfs*"))


def test_trt01pn_and_a_control_name_that_disagree_are_refused(tmp_path):
    sl = pd.read_csv(DATA / "trt01pn" / "adsl.csv")
    sl["TRT01P"] = sl["TRT01P"].replace({"Observation": "Drug X 10 mg", "Drug X": "Placebo"})
    sl.to_csv(tmp_path / "adsl.csv", index=False)
    out = tmp_path / "rep"
    res = runner.invoke(app, ["analyze", "--adsl", str(tmp_path / "adsl.csv"), "--adtte",
                              str(DATA / "trt01pn" / "adtte.csv"), "--out", str(out)])
    assert res.exit_code == 2
    assert "TRT01PN" in res.output and "'Placebo'" in res.output and "--reference" in res.output
    assert not out.exists()
    ok = runner.invoke(app, ["analyze", "--adsl", str(tmp_path / "adsl.csv"), "--adtte",
                             str(DATA / "trt01pn" / "adtte.csv"), "--reference", "Placebo", "--out", str(out)])
    assert ok.exit_code == 0 and "Placebo, set by --reference" in ok.output


def test_placebo_drug_table_in_months(tmp_path):
    """The issue's case: a CSV with `time` in months and arms placebo/drug."""
    path = DATA / "placebo_drug.csv"
    out = tmp_path / "rep"
    base = ["analyze", "--data", str(path), "--time", "time", "--event", "event", "--group", "arm", "--out", str(out)]
    refused = runner.invoke(app, base)
    assert refused.exit_code == 2
    assert "time unit of column 'time' is not stated" in refused.output and "--time-unit" in refused.output
    assert not out.exists() and list(tmp_path.iterdir()) == []
    res = runner.invoke(app, [*base, "--time-unit", "months", "--landmark", "24"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "reference (control) arm: placebo, its name says control ('placebo')" in res.output
    assert "HR drug vs placebo 0.75 (95% CI 0.48-1.17)" in res.output
    assert "Event-free at 24 months: placebo 29.8%, drug 39.9%" in res.output
    text = _text(out / "report.html")
    assert "Time to event: drug vs placebo" in text and "24-month estimate" in text
    assert "Months from randomization" in (out / "figures" / "km_endpoint.svg").read_text()
    assert "DFS" not in text and "year" not in text.split("Provenance")[0].replace("RMST horizon: 3 years", "")
    summary = pd.read_csv(out / "tables" / "endpoint_summary.csv").set_index("arm")
    assert summary.loc["placebo", "S(24 months) %"] == pytest.approx(100 * R_PLACEBO["S24_placebo"], rel=1e-12)
    assert summary.loc["drug", "S(24 months) %"] == pytest.approx(100 * R_PLACEBO["S24_drug"], rel=1e-12)


def test_placebo_drug_numbers_and_forest_direction():
    frame = pd.read_csv(DATA / "placebo_drug.csv")
    frame["site"] = (frame["id"] % 3).map({0: "A", 1: "B", 2: "C"})
    res = analyze_table(frame, time="time", event="event", group="arm", time_unit="months", subgroups=["site"],
                        landmark="2y", endpoint_name="PFS")
    a = res.analysis
    assert (a.reference, a.experimental) == ("placebo", "drug")
    assert a.primary.hazard_ratio == pytest.approx((R_PLACEBO["hr"], R_PLACEBO["lower"], R_PLACEBO["upper"]),
                                                   rel=1e-9)
    assert a.primary.z == pytest.approx(-R_PLACEBO["survdiff_z"], rel=1e-12)
    # 2y on a months axis is 24 months, named "2-year"
    assert a.landmark == 24.0 and a.landmark_words(adjective=True) == "2-year"
    lm = a.primary.landmarks.set_index("arm")["survival"]
    assert lm["drug"] == pytest.approx(R_PLACEBO["S24_drug"], rel=1e-12)
    forest = res.figures()["forest"]
    texts = [t.get_text() for t in forest.axes[0].texts]
    assert "\u2190 Favours drug" in texts and "Favours placebo \u2192" in texts
    assert forest.axes[0].get_xlabel() == "Hazard ratio, drug vs placebo (log scale)"
    assert "km_pfs" in res.figures() and "pfs_summary" in res.tables()


def test_arms_without_a_control_name_are_refused_listing_them(tmp_path):
    frame = pd.read_csv(DATA / "placebo_drug.csv").replace({"arm": {"placebo": "B", "drug": "A"}})
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "rep"
    res = runner.invoke(app, ["analyze", "--data", str(tmp_path / "t.csv"), "--time", "time", "--event", "event",
                              "--group", "arm", "--time-unit", "months", "--out", str(out)])
    assert res.exit_code == 2 and "cannot tell which is the control arm" in res.output
    assert "--reference NAME, NAME one of: A, B" in res.output and not out.exists()


# --- time unit ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("columns", "unit", "expected"),
    [
        ({"time_months": "time_months"}, None, "months"),
        ({"OS_DAYS": "OS_DAYS"}, None, "days"),
        ({"AVAL": "AVAL", "AVALU": "MONTHS"}, None, "months"),
        ({"time_months": "time_months"}, "months", "months"),
    ],
)
def test_unit_from_column_name_or_unit_column(columns, unit, expected):
    frame = pd.read_csv(DATA / "placebo_drug.csv").rename(columns={"time": next(iter(columns))})
    for col, value in columns.items():
        if col.endswith("U"):
            frame[col] = value
    res = analyze_table(frame, time=next(iter(columns)), event="event", group="arm", time_unit=unit, tau=None,
                        landmark=12)
    assert res.analysis.time_unit == expected


@pytest.mark.parametrize(
    ("rename", "extra", "unit", "fragments"),
    [
        ("time_months", {}, "years", ["--time-unit says years", "column name 'time_months' says months"]),
        ("AVAL", {"AVALU": "DAYS"}, "months", ["--time-unit says months", "column 'AVALU' says days"]),
        ("days", {"daysU": "WEEKS"}, None, ["column name 'days' says days", "column 'daysU' says weeks"]),
    ],
)
def test_conflicting_units_are_refused_naming_both(rename, extra, unit, fragments):
    frame = pd.read_csv(DATA / "placebo_drug.csv").rename(columns={"time": rename}).assign(**extra)
    with pytest.raises(InputError) as err:
        analyze_table(frame, time=rename, event="event", group="arm", time_unit=unit)
    assert "conflicting time units" in str(err.value)
    assert all(f in str(err.value) for f in fragments), str(err.value)


def test_adam_unit_conflict_and_missing_avalu(tmp_path):
    tte = pd.read_csv(DATA / "trt01pn" / "adtte.csv")
    res = runner.invoke(app, ["analyze", "--adsl", str(DATA / "trt01pn" / "adsl.csv"), "--adtte",
                              str(DATA / "trt01pn" / "adtte.csv"), "--time-unit", "months",
                              "--out", str(tmp_path / "o")], env={"COLUMNS": "200"})
    assert res.exit_code == 2 and "--time-unit says months, AVALU says days" in res.output
    tte.drop(columns=["AVALU", "PARAM"]).to_csv(tmp_path / "adtte.csv", index=False)
    args = ["analyze", "--adsl", str(DATA / "trt01pn" / "adsl.csv"), "--adtte", str(tmp_path / "adtte.csv")]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no AVALU variable" in res.output and "--time-unit" in res.output
    assert not (tmp_path / "o").exists()
    res = runner.invoke(app, [*args, "--time-unit", "days", "--landmark", "365", "--out", str(tmp_path / "o")],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "365-day PFS" in res.output and "time unit: days (from --time-unit)" in res.output


def test_landmark_without_unit_and_no_data_unit_is_refused():
    from survtrial.units import parse_duration

    with pytest.raises(InputError, match="'3' has no unit"):
        parse_duration("3", unit=None, role="--landmark")


# --- endpoint name -----------------------------------------------------------------------------------

def test_endpoint_name_flag_and_paramcd_choice(tmp_path):
    tte = pd.read_csv(DATA / "trt01pn" / "adtte.csv")
    both = pd.concat([tte, tte.assign(PARAMCD="OS", PARAM="Overall survival (days)")])
    both.to_csv(tmp_path / "adtte.csv", index=False)
    args = ["analyze", "--adsl", str(DATA / "trt01pn" / "adsl.csv"), "--adtte", str(tmp_path / "adtte.csv")]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "parameters ['OS', 'PFS']; choose one with --paramcd" in res.output
    res = runner.invoke(app, [*args, "--paramcd", "OS", "--endpoint-name", "Overall survival", "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "figures" / "km_overall_survival.svg").exists()
    assert "Overall survival probability" in (tmp_path / "o" / "figures" / "km_overall_survival.svg").read_text()


def test_rmst_horizon_beyond_follow_up_names_the_flag():
    frame = pd.read_csv(DATA / "placebo_drug.csv")
    with pytest.raises(InputError, match=r"^--tau 5 years \(= 60 months\) is beyond the follow-up") as err:
        analyze_table(frame, time="time", event="event", group="arm", time_unit="months", tau="5y")
    assert "Give --tau <=" in str(err.value)


def test_readme_plain_table_example_prints_what_the_readme_says(tmp_path):
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text()
    block = readme.split("The second command prints what it assumed from nothing but the data:")[1]
    expected = block.split("```text\n")[1].split("```")[0].strip().splitlines()
    res = runner.invoke(app, ["analyze", "--data", str(root / "examples" / "trial.csv"), "--time", "months",
                              "--event", "relapse", "--group", "arm", "--endpoint-name", "RFS", "--landmark", "2y",
                              "--out", str(tmp_path / "report")], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[: len(expected)] == expected
    # the file is the R-checked fixture with its columns renamed
    same = pd.read_csv(DATA / "placebo_drug.csv").rename(columns={"time": "months", "event": "relapse"})
    pd.testing.assert_frame_equal(pd.read_csv(root / "examples" / "trial.csv"), same)
