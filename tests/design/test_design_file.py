"""Design files: the tables, test, error rates, looks and spending of a YAML, validated and solved.

The solved design must be the one the API gives for the same arguments (the file is only another
way to call it), and every refusal of issue 16's bad-input list must name the table, row and
column (or the key) at fault.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest

from survtrial.design import design_assumptions
from survtrial.design.ahr_design import ahr_design, ahr_power
from survtrial.design.design_file import is_design_file, parse_design_file, read_design_file
from survtrial.design.maxcombo_design import maxcombo_design
from survtrial.design.wlr_design import weighted_logrank_design
from survtrial.errors import InputError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "design"

BASE = {
    "time_unit": "months",
    "enroll_rate": [{"duration": 6, "rate": 10}, {"duration": 6, "rate": 20}],
    "fail_rate": [{"duration": 4, "control_median": 12, "hr": 1.0, "dropout_rate": 0.002},
                  {"duration": math.inf, "control_median": 12, "hr": 0.6, "dropout_rate": 0.002}],
    "power": 0.8,
    "looks": {"analysis_times": [30], "information_fractions": [0.6, 1]},
    "futility": {"spending": "OF"},
}


def tables():
    lam = math.log(2) / 12
    return design_assumptions({"duration": [6, 6], "rate": [10, 20]},
                              {"duration": [4, np.inf], "fail_rate": lam, "hr": [1.0, 0.6], "dropout_rate": 0.002})


def with_(**changes):
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def test_the_file_gives_the_api_design():
    f = parse_design_file(BASE)
    d = f.solve()
    ref = ahr_design(tables(), analysis_times=[30], information_fractions=[0.6, 1], power=0.8, beta_spending="OF")
    assert f.time_unit == "months" and f.sized
    np.testing.assert_array_equal(d.upper, ref.upper)
    np.testing.assert_array_equal(d.lower, ref.lower)
    assert d.n_subjects == ref.n_subjects and d.max_events == ref.max_events
    np.testing.assert_array_equal(d.time, ref.time)


@pytest.mark.parametrize(("test", "label"), [("fh(0, 0.5)", "FH(0, 0.5)"), ("mb(t*=4)", "MB(t*=4)")])
def test_weighted_log_rank_files(test, label):
    f = parse_design_file(with_(test=test))
    d = f.solve()
    ref = weighted_logrank_design(tables(), test, analysis_times=[30], information_fractions=[0.6, 1], power=0.8,
                                  beta_spending="OF")
    assert f.test.label == label == d.statistic
    np.testing.assert_array_equal(d.upper, ref.upper)
    assert d.n_subjects == ref.n_subjects


def test_maxcombo_forms_are_one_test_list():
    a = parse_design_file(with_(test="maxcombo(logrank, fh(0, 0.5))")).test
    b = parse_design_file(with_(test=["logrank", "fh(0, 0.5)"])).test
    c = parse_design_file(with_(test={"maxcombo": ["logrank", "fh(0,0.5)"]})).test
    assert a == b == c and a.kind == "maxcombo" and len(a.weights) == 2
    assert len(parse_design_file(with_(test="maxcombo")).test.weights) == 4  # the default four FH tests


def test_maxcombo_file_gives_the_api_design():
    f = parse_design_file(with_(test="maxcombo(logrank, fh(0, 0.5))", futility=None))
    d = f.solve()
    ref = maxcombo_design(tables(), ["logrank", "fh(0, 0.5)"], analysis_times=[30], information_fractions=[0.6, 1],
                          power=0.8)
    np.testing.assert_array_equal(d.upper, ref.upper)
    assert d.n_subjects == ref.n_subjects


def test_power_mode_with_events_and_fixed_bounds():
    f = parse_design_file(with_(power=None, looks={"events": [80, 130]}, efficacy={"bounds": [2.8, 2.0]},
                          futility={"bounds": [0.0]}))
    d = f.solve()
    ref = ahr_power(tables(), events=[80, 130], efficacy_bounds=[2.8, 2.0], futility_bounds=[0.0])
    assert not f.sized
    assert d.power == ref.power and list(d.upper) == [2.8, 2.0]


def test_control_median_is_log2_over_median():
    f = parse_design_file(BASE)
    np.testing.assert_allclose(f.assumptions.strata[0].control_hazard, math.log(2) / 12, rtol=1e-15)


@pytest.mark.parametrize("name", ["aall1731_like_delayed.yaml", "aall1731_like_fh.yaml",
                                  "aall1731_like_maxcombo.yaml"])
def test_example_files_read(name):
    f = read_design_file(EXAMPLES / name)
    assert f.time_unit == "years" and f.sized and not f.assumptions.proportional_hazards
    hr = f.assumptions.strata[0].hazard_ratio
    assert hr.tolist() == [0.8, 0.3]


def test_the_template_is_the_log_rank_example():
    from importlib.resources import files

    text = files("survtrial.design").joinpath("design_template.yaml").read_text()
    assert text == (EXAMPLES / "aall1731_like_delayed.yaml").read_text()
    assert is_design_file({"enroll_rate": [], "x": 1}) and not is_design_file({"hazard_ratio": 0.7})


def _enroll(row, col, value):
    d = copy.deepcopy(BASE)
    d["enroll_rate"][row - 1][col] = value
    return d


def _fail(row, col, value):
    d = copy.deepcopy(BASE)
    d["fail_rate"][row - 1][col] = value
    return d


BAD = [
    (_enroll(2, "duration", 0), ["table 'enroll_rate', row 2, column 'duration'", "> 0"]),
    (_enroll(1, "duration", -3), ["table 'enroll_rate', row 1, column 'duration'"]),
    (_enroll(2, "rate", -1), ["table 'enroll_rate', row 2, column 'rate'", ">= 0"]),
    (_fail(1, "duration", 0), ["table 'fail_rate', row 1, column 'duration'"]),
    (_fail(2, "dropout_rate", -0.1), ["table 'fail_rate', row 2, column 'dropout_rate'", ">= 0"]),
    (_fail(2, "hr", 0), ["table 'fail_rate', row 2, column 'hr'", "HR of 0"]),
    (_fail(1, "control_median", -5), ["table 'fail_rate', row 1, column 'control_median'"]),
    (_fail(2, "duration", 24), ["table 'fail_rate', row 2, column 'duration'", "open-ended"]),
    (with_(power=1.2), ["key 'power'", "(0, 1)"]),
    (with_(power=0), ["key 'power'", "(0, 1)"]),
    (with_(alpha=0.6), ["key 'alpha'", "(0, 0.5]"]),
    (with_(alpha=0), ["key 'alpha'", "(0, 0.5]"]),
    (with_(test="maxcombo(logrank)"), ["key 'test'", "at least two tests"]),
    (with_(test=["fh(0, 0.5)"]), ["key 'test'", "at least two tests"]),
    (with_(test="fh(0.5)"), ["key 'test'"]),
    (with_(time_unit=None), ["key 'time_unit'", "never assumed"]),
    (with_(time_unit="fortnights"), ["key 'time_unit'"]),
    (with_(colour="red"), ["unknown key(s) ['colour']"]),
    (with_(looks=None), ["key 'looks'"]),
    (with_(looks={"events": [50, 100]}), ["key 'looks.events'", "omit power"]),
    (with_(sided=3), ["key 'sided'"]),
]


@pytest.mark.parametrize(("data", "fragments"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_names_table_row_column_or_key(data, fragments):
    with pytest.raises(InputError) as err:
        parse_design_file(data, "design file 'x.yaml'")
    for fragment in fragments:
        assert fragment in str(err.value)
    assert str(err.value).startswith("design file 'x.yaml':")


def test_median_and_rate_together_are_refused():
    d = copy.deepcopy(BASE)
    d["fail_rate"][0]["fail_rate"] = 0.05
    with pytest.raises(InputError, match=r"row 1, column 'fail_rate': give the control arm's hazard"):
        parse_design_file(d)


def test_looks_beyond_the_study_say_when_they_would_be():
    f = parse_design_file(with_(power=None, looks={"events": [60, 100], "study_duration": 20}))
    with pytest.raises(InputError) as err:
        f.solve()
    msg = str(err.value)
    assert "looks.study_duration 20" in msg and "look 2 at" in msg and "(time unit: months)" in msg
    late = float(msg.split("look 2 at ")[1].split()[0].rstrip(","))
    assert late > 20
    f = parse_design_file(with_(power=None, looks={"events": [60, 1000]}))
    with pytest.raises(InputError, match=r"looks.events: 1000 events are never expected"):
        f.solve()
    f = parse_design_file(with_(looks={"analysis_times": [20, 30], "study_duration": 25}))
    with pytest.raises(InputError, match=r"looks.study_duration 25 months: look 2 at 30 months"):
        f.solve()


def test_rmst_and_milestone_files():
    from survtrial.design import milestone_design, rmst_design

    f = parse_design_file(with_(test="rmst(18)", looks=None, futility=None, study_duration=30))
    ref = rmst_design(tables(), 18, study_duration=30, power=0.8)
    assert f.solve().n_subjects == ref.n_subjects
    f = parse_design_file(with_(test="milestone(15)", looks=None, futility=None, study_duration=30))
    assert f.solve().n_subjects == milestone_design(tables(), 15, study_duration=30, power=0.8).n_subjects
    with pytest.raises(InputError, match="key 'study_duration'"):
        parse_design_file(with_(test="rmst(18)", looks=None, futility=None))
    with pytest.raises(InputError, match="not before the analysis"):
        parse_design_file(with_(test="rmst(40)", looks=None, futility=None, study_duration=30))


@pytest.mark.parametrize("rule", ["earlier", "later"])
def test_looks_at_the_first_or_the_last_of_several_targets(rule):
    looks = {"analysis_times": [20, 30], "events": [60, 110], "rule": "first" if rule == "earlier" else "later"}
    d = parse_design_file(with_(power=None, looks=looks)).solve()
    ref = ahr_power(tables(), analysis_times=[20, 30], events=[60, 110], look_rule=rule, beta_spending="OF")
    np.testing.assert_array_equal(d.time, ref.time)
    assert d.power == ref.power
    times_only = ahr_power(tables(), analysis_times=[20, 30], beta_spending="OF").time
    events_only = ahr_power(tables(), events=[60, 110], beta_spending="OF").time
    pick = np.minimum if rule == "earlier" else np.maximum
    np.testing.assert_allclose(d.time, pick(times_only, events_only), rtol=1e-9)


@pytest.mark.parametrize("test", ["logrank", "fh", "maxcombo"])
def test_the_design_explorers_export_reads_back_as_the_same_design(test):
    """survtrial app exports a design file in this layout: `survtrial design` reads it as the explorer's design."""
    import dataclasses

    import yaml

    from survtrial.app.export import design_yaml
    from survtrial.app.inputs import build_design, default_inputs

    inputs = dataclasses.replace(default_inputs(), test=test)
    d = parse_design_file(yaml.safe_load(design_yaml(inputs))).solve()
    ref = build_design(inputs)
    np.testing.assert_array_equal(d.upper, ref.upper)
    assert d.n_subjects == ref.n_subjects and d.statistic == ref.statistic
