"""The design panel without a browser: the page's input values give the survtrial.design API's design and numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from survtrial.app.inputs import DesignInputs, build_design, default_inputs, error_field, parse_fractions
from survtrial.app.panel import compute, table_frame
from survtrial.app.view import fmt
from survtrial.design import ahr_design, design_assumptions, maxcombo_design, weighted_logrank_design

LOG2 = math.log(2)
# gsDesign2's default tables (define_enroll_rate / define_fail_rate defaults), as the page's grids hold them: text
ENROLL = pd.DataFrame({"duration": ["2", "2", "10"], "rate": ["3", "6", "9"]})
FAIL = pd.DataFrame({"duration": ["3", "inf"], "fail_rate": [f"{LOG2 / 9!r}", f"{LOG2 / 18!r}"], "hr": ["0.9", "0.6"],
                     "dropout_rate": ["0.001", "0.001"]})
VALUES = {"control_as": "fail_rate", "allocation_ratio": 1, "test": "logrank", "rho": 0, "gamma": 0.5,
          "combo_tests": ("fh(0, 0)", "fh(0, 0.5)"), "alpha": 0.025, "power": 0.9, "sided": "1", "final_time": 36,
          "fractions": "0.4, 0.7, 1", "alpha_spending": "OF", "beta_spending": "HSD(-2)", "binding_futility": False,
          "time_unit": "months"}


def tables():
    return design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
                              {"duration": [3, math.inf], "fail_rate": LOG2 / np.array([9, 18]), "hr": [0.9, 0.6],
                               "dropout_rate": 0.001})


COMMON = {"analysis_times": 36, "information_fractions": [0.4, 0.7, 1], "alpha": 0.025, "power": 0.9,
          "alpha_spending": "OF", "beta_spending": "HSD(-2)", "binding_futility": False}


@pytest.mark.parametrize(("test", "api"), [
    ("logrank", lambda: ahr_design(tables(), sided=1, **COMMON)),
    ("fh", lambda: weighted_logrank_design(tables(), "fh(0, 0.5)", sided=1, **COMMON)),
    ("maxcombo", lambda: maxcombo_design(tables(), ["fh(0, 0)", "fh(0, 0.5)"], **COMMON)),
])
def test_displayed_numbers_equal_the_design_api(test, api):
    shown = compute(VALUES | {"test": test}, ENROLL, FAIL)
    assert "error" not in shown
    expected = api()
    view = shown["view"]
    d = view.design
    np.testing.assert_allclose(d.n, expected.n, rtol=1e-12)
    np.testing.assert_allclose(d.events, expected.events, rtol=1e-12)
    np.testing.assert_allclose(d.upper, expected.upper, rtol=1e-12)
    # the page's text is the API's numbers, formatted
    assert view.headline["Subjects"] == fmt(expected.n_subjects, 1)
    assert view.headline["Events"] == fmt(expected.max_events, 1)
    assert view.headline["Power"] == fmt(expected.power, 4) == "0.9000"
    assert view.looks["Events"].tolist() == [fmt(x, 1) for x in expected.events]
    assert view.looks["Efficacy z"].tolist() == [fmt(x, 4) for x in expected.upper]
    assert view.looks["Futility z"].tolist() == [fmt(x, 4) for x in expected.lower]
    assert view.looks["Cumulative power"].tolist() == [fmt(x, 4) for x in np.cumsum(expected.upper_h1)]
    if test != "maxcombo":
        hr_up, hr_low = expected.hazard_ratio_at_bounds()
        assert view.looks["Efficacy HR"].tolist() == [fmt(x, 4) for x in hr_up]
        assert view.looks["Futility HR"].tolist() == [fmt(x, 4) for x in hr_low]
    else:  # the log-rank member's bound on the HR scale: exp(-z / sqrt(I0 of log-rank))
        assert view.looks["Efficacy HR"].tolist() == [
            fmt(math.exp(-z / math.sqrt(i0)), 4) for z, i0 in zip(expected.upper, expected.info0[:, 0], strict=True)]


def test_curve_is_the_expected_events_and_ahr_of_the_sized_tables():
    view = compute(VALUES, ENROLL, FAIL)["view"]
    from survtrial.design import average_hazard_ratio

    d = view.design
    at = average_hazard_ratio(d.assumptions, d.time)  # the looks lie on the curve
    np.testing.assert_allclose(at.events, d.events, rtol=1e-9)
    np.testing.assert_allclose(at.ahr, d.ahr, rtol=1e-9)
    assert view.curve["time"].iloc[-1] == pytest.approx(d.time[-1])
    # a plain-loop check of the curve's last point: events = sum over periods of the expected events
    assert view.curve["events"].iloc[-1] == pytest.approx(d.events[-1], rel=1e-9)


def test_medians_and_hazards_give_the_same_design():
    fail_median = FAIL.drop(columns="fail_rate").assign(control_median=["9", "18"])
    a = compute(VALUES | {"beta_spending": "none"}, ENROLL, FAIL)["view"].design
    b = compute(VALUES | {"control_as": "median", "beta_spending": "none"}, ENROLL, fail_median)["view"].design
    assert b.n_subjects == pytest.approx(a.n_subjects, rel=1e-12)


@pytest.mark.parametrize(("change", "field", "text"), [
    ({"enroll": ENROLL.assign(rate=["3", "-6", "9"])}, "enroll",
     "table 'enroll_rate', row 2, column 'rate': -6.0 must be a finite rate >= 0"),
    ({"enroll": ENROLL.assign(duration=["2", "two", "10"])}, "enroll",
     "table 'enroll_rate', row 2, column 'duration': 'two' is not a number"),
    ({"fail": FAIL.assign(hr=["0.9", "0"])}, "fail", "table 'fail_rate', row 2, column 'hr': 0.0 must be a finite"),
    ({"alpha": 0.7}, "levels", "alpha"),
    ({"alpha": None}, "levels", "alpha: enter a number"),
    ({"power": 1.2}, "levels", "power"),
    ({"fractions": "0.5, 0.8"}, "looks", "must be > 0, increasing and end at 1"),
    ({"fractions": "0.5, x, 1"}, "looks", "looks: entry 2 ('x') is not a number"),
    ({"test": "maxcombo", "combo_tests": ("fh(0, 0)",)}, "test", "MaxCombo needs at least two tests"),
])
def test_bad_input_gives_a_message_for_its_field(change, field, text):
    enroll, fail = change.pop("enroll", ENROLL), change.pop("fail", FAIL)
    shown = compute(VALUES | change, enroll, fail)
    assert shown["field"] == field and text in shown["error"]
    assert "Traceback" not in shown["error"]


def test_error_field_and_fractions():
    assert error_field("table 'fail_rate', row 1, column 'hr': x") == "fail"
    assert error_field("spending function 'zz' not recognised") == "spending"
    assert error_field("something else") == "design"
    assert parse_fractions("0.25; 0.5 1") == (0.25, 0.5, 1.0)


def test_default_inputs_and_grid_text_round_trip():
    d = default_inputs()
    frame = table_frame(d.fail, ("duration", "fail_rate", "hr", "dropout_rate"))
    assert frame["duration"].tolist() == ["3", "inf"]
    again = compute(VALUES | {"fractions": "0.5, 1", "beta_spending": "none"},
                    table_frame(d.enroll, ("duration", "rate")), frame)["view"].design
    assert again.n_subjects == pytest.approx(build_design(d).n_subjects, rel=1e-5)  # 6-digit rates in the grid
    assert isinstance(d, DesignInputs)


@pytest.mark.parametrize("median", ["-5", "twelve"])
def test_a_bad_median_gets_the_design_files_message(median):
    """One check of the failure table's columns (survtrial.design.design_file.failure_rows): the app's message is
    the design file's (which `survtrial design design.yaml` prints after the file's name)."""
    from survtrial.design.design_file import parse_design_file
    from survtrial.errors import InputError

    fail = FAIL.drop(columns="fail_rate").assign(control_median=["9", median])
    shown = compute(VALUES | {"control_as": "median"}, ENROLL, fail)
    data = {"time_unit": "months", "enroll_rate": [{"duration": 12, "rate": 10}],
            "fail_rate": [{"duration": 3, "control_median": 9, "hr": 0.9},
                          {"duration": ".inf", "control_median": median if median == "twelve" else -5.0, "hr": 0.6}],
            "looks": {"analysis_times": [36]}}
    with pytest.raises(InputError) as err:
        parse_design_file(data, "design file 'd.yaml'")
    assert shown["field"] == "fail"
    assert str(err.value) == "design file 'd.yaml': " + shown["error"]
    assert "table 'fail_rate', row 2, column 'control_median'" in shown["error"]


def test_an_infinite_median_is_no_events_in_that_period_as_in_a_design_file():
    fail = FAIL.drop(columns="fail_rate").assign(control_median=["inf", "18"])
    d = compute(VALUES | {"control_as": "median"}, ENROLL, fail)["view"].design
    assert d.assumptions.strata[0].control_hazard.tolist() == [0.0, LOG2 / 18]
