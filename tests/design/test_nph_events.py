"""Planning tables, expected events, information and the average hazard ratio: against gsDesign2's
documented examples, an independent numerical integration, and today's proportional-hazards model.

gsDesign2 values are from its reference manual (version 1.1.8, DESCRIPTION of Merck/gsDesign2 at
commit a9352e0b; pkgdown pages ahr.html, pw_info.html, expected_event.html, expected_time.html,
gs_info_ahr.html), pasted with the call that produced them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from survtrial.design import expected_events
from survtrial.design.nph_assumptions import DesignAssumptions, design_assumptions
from survtrial.design.nph_events import (
    average_hazard_ratio,
    events_at,
    expected_information,
    expected_time,
    time_of_events,
)
from survtrial.errors import InputError

LOG2 = math.log(2)


def default_tables(rate_scale: float = 1.0, hr=(0.9, 0.6)) -> DesignAssumptions:
    # gsDesign2 defaults: define_enroll_rate(duration = c(2, 2, 10), rate = c(3, 6, 9));
    # define_fail_rate(duration = c(3, 100), fail_rate = log(2) / c(9, 18), hr = c(.9, .6), dropout_rate = .001)
    return design_assumptions(
        {"duration": [2, 2, 10], "rate": np.array([3, 6, 9]) * rate_scale},
        {"duration": [3, 100], "fail_rate": LOG2 / np.array([9, 18]), "hr": list(hr), "dropout_rate": 0.001},
    )


def stratified_tables() -> DesignAssumptions:
    # ahr() example 3 / pw_info() stratified example
    return design_assumptions(
        {"stratum": ["Low"] * 2 + ["High"] * 3, "duration": [2, 10, 4, 4, 8], "rate": [5, 10, 0, 3, 6]},
        {"stratum": ["Low"] * 2 + ["High"] * 2, "duration": [1, np.inf, 1, np.inf],
         "fail_rate": [0.1, 0.2, 0.3, 0.4], "dropout_rate": 0.001, "hr": [0.9, 0.75, 0.8, 0.6]},
    )


# --------------------------------------------------------------------------------------------
# gsDesign2 1.1.8 documented examples


def test_ahr_default_matches_gsdesign2():
    # ahr(total_duration = c(15, 30))
    #   time       ahr   n    event      info     info0
    # 1   15 0.7857415 108 30.27841  7.441186  7.569603
    # 2   30 0.6952153 108 58.49097 14.327243 14.622742
    res = average_hazard_ratio(default_tables(), [15, 30])
    np.testing.assert_allclose(res.ahr, [0.7857415, 0.6952153], rtol=1e-6)
    np.testing.assert_allclose(res.n, [108, 108], rtol=1e-12)
    np.testing.assert_allclose(res.events, [30.27841, 58.49097], rtol=2e-7)
    np.testing.assert_allclose(res.info, [7.441186, 14.327243], rtol=2e-7)
    np.testing.assert_allclose(res.info0, [7.569603, 14.622742], rtol=2e-7)


def test_ahr_stratified_matches_gsdesign2():
    # ahr(enroll_rate = enroll_rate, fail_rate = fail_rate, total_duration = c(15, 30))  (example 3)
    #   time       ahr   n    event     info    info0
    # 1   15 0.7332218 164 113.2782 28.18130 28.31954
    # 2   30 0.7175169 170 166.1836 41.49942 41.54590
    res = average_hazard_ratio(stratified_tables(), [15, 30])
    np.testing.assert_allclose(res.ahr, [0.7332218, 0.7175169], rtol=1e-6)
    np.testing.assert_allclose(res.n, [164, 170], rtol=1e-12)
    np.testing.assert_allclose(res.events, [113.2782, 166.1836], rtol=1e-6)
    np.testing.assert_allclose(res.info, [28.18130, 41.49942], rtol=1e-6)
    np.testing.assert_allclose(res.info0, [28.31954, 41.54590], rtol=1e-6)


def test_period_table_matches_gsdesign2_pw_info():
    # pw_info(enroll_rate = enroll_rate, fail_rate = fail_rate, total_duration = c(15, 30)) (stratified)
    #   time stratum t   hr   n     event      info     info0
    # 1   15    High 0 0.80   0 12.076677  2.990626  3.019169
    # 2   15    High 1 0.60  54 23.118608  5.741884  5.779652
    # 3   15     Low 0 0.90   5  9.962824  2.484435  2.490706
    # 4   15     Low 1 0.75 105 68.120046 16.964361 17.030011
    # 5   30    High 0 0.80   0 14.169853  3.509171  3.542463
    # 6   30    High 1 0.60  60 45.213092 11.297986 11.303273
    # 7   30     Low 0 0.90   5  9.962824  2.484435  2.490706
    # 8   30     Low 1 0.75 105 96.837847 24.207826 24.209462
    ref = pd.DataFrame(
        [(15, "High", 0, 0.80, 0, 12.076677, 2.990626, 3.019169),
         (15, "High", 1, 0.60, 54, 23.118608, 5.741884, 5.779652),
         (15, "Low", 0, 0.90, 5, 9.962824, 2.484435, 2.490706),
         (15, "Low", 1, 0.75, 105, 68.120046, 16.964361, 17.030011),
         (30, "High", 0, 0.80, 0, 14.169853, 3.509171, 3.542463),
         (30, "High", 1, 0.60, 60, 45.213092, 11.297986, 11.303273),
         (30, "Low", 0, 0.90, 5, 9.962824, 2.484435, 2.490706),
         (30, "Low", 1, 0.75, 105, 96.837847, 24.207826, 24.209462)],
        columns=["time", "stratum", "start", "hr", "n", "events", "info", "info0"],
    )
    got = expected_information(stratified_tables(), [15, 30]).sort_values(["time", "stratum", "start"])
    got = got.reset_index(drop=True)
    assert got["stratum"].tolist() == ref["stratum"].tolist()
    np.testing.assert_allclose(got["start"], ref["start"])
    np.testing.assert_allclose(got["hr"], ref["hr"])
    # gsDesign2 splits the subjects randomised by calendar time at the period starts; survtrial by
    # follow-up (those whose follow-up at `time` lies in the period): the totals agree
    np.testing.assert_allclose(got.groupby("time")["n"].sum(), ref.groupby("time")["n"].sum(), rtol=1e-12)
    for col in ("events", "info", "info0"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-6)


def test_expected_event_matches_gsdesign2():
    # expected_event(simple = FALSE)  (defaults, total_duration = 25; one arm with the control rates)
    #   t  fail_rate    event
    # 1 0 0.07701635 22.24824
    # 2 3 0.03850818 35.10546
    # expected_event(total_duration = .5)  ->  0.02850923
    a = default_tables(hr=(1, 1))
    got = expected_information(a, [25, 0.5])
    np.testing.assert_allclose(got["events"][:2], [22.24824, 35.10546], rtol=2e-7)
    assert got["events"][2:].sum() == pytest.approx(0.02850923, rel=2e-7)
    # expected_event(enroll_rate = define_enroll_rate(duration = c(5, 5), rate = c(10, 20)),
    #   fail_rate = define_fail_rate(duration = 100, fail_rate = log(2) / 6, dropout_rate = .01),
    #   total_duration = 22, simple = FALSE)  ->  event 118.8484
    b = design_assumptions({"duration": [5, 5], "rate": [10, 20]},
                           {"duration": 100, "fail_rate": LOG2 / 6, "dropout_rate": 0.01})
    assert events_at(b, np.array([22.0]))[0] == pytest.approx(118.8484, rel=1e-6)


def test_expected_time_and_gs_info_ahr_match_gsdesign2():
    # expected_time()  (enrolment rates x 5):  time 14.90814, ahr 0.7865729, event 150, info 36.86707, info0 37.5
    out = expected_time(default_tables(5.0), 150)
    # gsDesign2 solves with uniroot's default tolerance: its time is good to about 5 digits
    assert out["time"][0] == pytest.approx(14.90814, abs=5e-5)
    assert out["ahr"][0] == pytest.approx(0.7865729, abs=2e-6)
    assert out["info"][0] == pytest.approx(36.86707, abs=2e-4)
    assert out["events"][0] == pytest.approx(150.0, rel=1e-11)
    # gs_info_ahr(analysis_time = c(18, 27, 36))
    #   analysis time    event       ahr     theta      info     info0
    # 1        1   18 37.59032 0.7545471 0.2816376  9.208013  9.397579
    # 2        2   27 54.01154 0.7037599 0.3513180 13.216112 13.502885
    # 3        3   36 66.23948 0.6833395 0.3807634 16.267921 16.559870
    res = average_hazard_ratio(default_tables(), [18, 27, 36])
    np.testing.assert_allclose(res.events, [37.59032, 54.01154, 66.23948], rtol=2e-7)
    np.testing.assert_allclose(res.theta, [0.2816376, 0.3513180, 0.3807634], rtol=2e-7)
    np.testing.assert_allclose(res.info, [9.208013, 13.216112, 16.267921], rtol=2e-7)


# --------------------------------------------------------------------------------------------
# Independent computation: the event probability integrated numerically (scipy quad), plain loops


def _event_density(t_follow: float, lam: list[float], phi: float, breaks: list[float]) -> float:
    """Density of an observed event at follow-up t: lambda(t) exp(-Lambda(t) - phi t), plain loop."""
    cum, k = 0.0, 0
    for j, start in enumerate(breaks):
        end = breaks[j + 1] if j + 1 < len(breaks) else math.inf
        if t_follow >= start:
            cum += lam[j] * (min(t_follow, end) - start)
            k = j
    return lam[k] * math.exp(-cum - phi * t_follow)


def test_events_equal_quadrature_of_the_model():
    enroll = [(0, 4, 10.0), (4, 10, 25.0)]  # (start, end, rate)
    breaks, lam0, hr, phi = [0, 2, 6], [0.08, 0.05, 0.03], [1.0, 0.5, 0.7], 0.02
    a = design_assumptions({"duration": [4, 6], "rate": [10, 25]},
                           {"duration": [2, 4, np.inf], "fail_rate": lam0, "hr": hr, "dropout_rate": phi},
                           allocation_ratio=2)
    t = 17.0
    lam1 = [x * h for x, h in zip(lam0, hr, strict=True)]
    want = 0.0
    for share, lam in ((2 / 3, lam1), (1 / 3, lam0)):
        for lo, hi, rate in enroll:
            def inner(u, lam=lam):
                return quad(lambda s: _event_density(s, lam, phi, breaks), 0, t - u,
                            points=[b for b in breaks if 0 < b < t - u], epsabs=1e-13, epsrel=1e-13)[0]
            want += share * rate * quad(inner, lo, min(hi, t), epsabs=1e-12, epsrel=1e-12)[0]
    assert events_at(a, np.array([t]))[0] == pytest.approx(want, rel=1e-9)


def test_proportional_hazards_tables_equal_todays_expected_events():
    # The keyword API and the tables describe the same model: expected events agree to rounding.
    kw = dict(hazard_ratio=0.7, control_hazard=[0.06, 0.04], piecewise_times=[0, 3], accrual_time=[0, 6, 24],
              accrual_intensity=[1, 3], n_subjects=400, dropout_rate=0.05, dropout_time=12)
    a = DesignAssumptions.from_keywords(**kw)
    times = np.array([6.0, 12.0, 30.0, 60.0])
    np.testing.assert_allclose(events_at(a, times), expected_events(times, **kw), rtol=1e-13)
    assert a.n_subjects == pytest.approx(400, rel=1e-14)
    np.testing.assert_allclose(average_hazard_ratio(a, times).ahr, 0.7, rtol=1e-14)
    # info0 is Schoenfeld's d r / (1 + r)^2
    res = average_hazard_ratio(a, times)
    np.testing.assert_allclose(res.info0, res.events / 4, rtol=1e-14)


def test_time_of_events_inverts_events():
    a = stratified_tables()
    t = time_of_events(a, np.array([50.0, 120.0, 160.0]))
    np.testing.assert_allclose(events_at(a, t), [50, 120, 160], rtol=1e-11)


def test_tables_accept_frames_dicts_rows_and_polars():
    rows = [{"duration": 2, "rate": 3}, {"duration": 10, "rate": 9}]
    fail = pd.DataFrame({"duration": [3, np.inf], "fail_rate": [0.07, 0.04], "hr": [0.9, 0.6]})
    a = design_assumptions(rows, fail)
    b = design_assumptions(pd.DataFrame(rows), fail.to_dict(orient="list"))
    assert a.enrollment_frame().equals(b.enrollment_frame())
    assert a.failure_frame().equals(b.failure_frame())
    pl = pytest.importorskip("polars")
    c = design_assumptions(pl.DataFrame(rows), pl.from_pandas(fail))
    assert c.failure_frame().equals(a.failure_frame())
    assert a.scaled(2).n_subjects == 2 * a.n_subjects


# --------------------------------------------------------------------------------------------
# Bad input: the error names the table, the row and the column


GOOD_FAIL = {"duration": [3, np.inf], "fail_rate": [0.07, 0.04], "hr": [0.9, 0.6]}


@pytest.mark.parametrize(
    ("enroll", "fail", "message"),
    [
        ({"duration": [2, 0], "rate": [3, 6]}, GOOD_FAIL, "table 'enroll_rate', row 2, column 'duration'"),
        ({"duration": [2, 4], "rate": [3, -6]}, GOOD_FAIL, "table 'enroll_rate', row 2, column 'rate'"),
        ({"duration": [2], "rate": [3]}, {**GOOD_FAIL, "hr": [0.9, 0.0]}, "row 2, column 'hr'"),
        ({"duration": [2], "rate": [3]}, {**GOOD_FAIL, "fail_rate": [-0.1, 0.2]}, "row 1, column 'fail_rate'"),
        ({"duration": [2], "rate": [3]}, {**GOOD_FAIL, "duration": [-3, np.inf]}, "row 1, column 'duration'"),
        ({"duration": [2], "rate": [3]}, {**GOOD_FAIL, "duration": [np.inf, 4]}, "only the last period"),
        ({"duration": [2], "rate": [3]}, {**GOOD_FAIL, "dropout_rate": [0.1, -1]}, "column 'dropout_rate'"),
        ({"duration": [2], "rate": [3]}, {**GOOD_FAIL, "hazard_ratio": 0.7}, "unknown column"),
        ({"duration": [2], "rate": [0]}, GOOD_FAIL, "enrols nobody"),
        ({"duration": [2], "rate": ["x"]}, GOOD_FAIL, "row 1, column 'rate': 'x' is not a number"),
        ({"stratum": ["A"], "duration": [2], "rate": [3]}, GOOD_FAIL, "stratum 'A' has no rows"),
    ],
)
def test_bad_tables_name_table_row_and_column(enroll, fail, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        design_assumptions(enroll, fail)


def test_finite_last_period_must_cover_the_follow_up():
    a = design_assumptions({"duration": [12], "rate": [10]}, {"duration": [3, 20], "fail_rate": [0.1, 0.05]})
    average_hazard_ratio(a, 20)  # within the tables
    with pytest.raises(InputError, match=r"row 2, column 'duration'.*end at follow-up 23.*inf"):
        average_hazard_ratio(a, 30)


def test_unreachable_events_say_the_ceiling():
    a = default_tables()
    with pytest.raises(InputError, match=r"never expected.*at most"):
        time_of_events(a, np.array([200.0]))


def test_allocation_ratio_must_be_positive():
    with pytest.raises(InputError, match="allocation_ratio"):
        design_assumptions({"duration": [2], "rate": [3]}, GOOD_FAIL, allocation_ratio=0)
