"""Group-sequential AHR designs: gsDesign2's documented examples, rpact and today's design for the
proportional-hazards case, bad input.

gsDesign2 values: reference manual of version 1.1.8 (Merck/gsDesign2 commit a9352e0b, pkgdown pages
gs_design_ahr.html and gs_power_ahr.html), pasted with their calls. gsDesign2 integrates on the
Jennison-Turnbull grid with r = 18 and solves bounds to 1e-6 on the z scale and the sample size with
uniroot's default tolerance; tolerances below say which.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from survtrial.design import group_sequential, survival_sample_size
from survtrial.design.ahr_design import ahr_design, ahr_power
from survtrial.design.nph_assumptions import design_assumptions
from survtrial.errors import InputError

LOG2 = math.log(2)
Z_TOL = 2e-5  # gsDesign2's bound tolerance (1e-6) plus its r = 18 grid error
N_TOL = 3e-5  # relative: uniroot's default tolerance 1.2e-4 on an inflation factor near 4.8
P_TOL = 3e-6  # crossing probabilities


def default_tables():
    # gsDesign2 defaults: define_enroll_rate(duration = c(2, 2, 10), rate = c(3, 6, 9));
    # define_fail_rate(duration = c(3, 100), fail_rate = log(2) / c(9, 18), hr = c(.9, .6), dropout_rate = .001)
    return design_assumptions(
        {"duration": [2, 2, 10], "rate": [3, 6, 9]},
        {"duration": [3, 100], "fail_rate": LOG2 / np.array([9, 18]), "hr": [0.9, 0.6], "dropout_rate": 0.001},
    )


def gsd2(**kw):
    """gs_design_ahr's defaults: alpha 0.025, beta 0.1, sfLDOF efficacy and futility (beta) spending."""
    return ahr_design(default_tables(), alpha=0.025, beta=0.1, alpha_spending="OF", beta_spending="OF",
                      convention="gsdesign2", **kw)


def test_single_look_designs_match_gsdesign2():
    # gs_design_ahr()                      -> n 476., event 292., info 71.7, info0 73.0, z 1.96, ~hr 0.795
    # gs_design_ahr(analysis_time = 40)    -> n 428., event 280., info 68.8, info0 69.9, ~hr 0.791
    d36 = ahr_design(default_tables(), analysis_times=36, power=0.9, convention="gsdesign2")
    assert (round(d36.n_subjects), round(d36.max_events)) == (476, 292)
    assert (round(d36.info[0], 1), round(d36.info0[0], 1)) == (71.7, 73.0)
    assert round(d36.hazard_ratio_at_bounds()[0][0], 3) == 0.795
    d40 = ahr_design(default_tables(), analysis_times=40, power=0.9, convention="gsdesign2")
    assert (round(d40.n_subjects), round(d40.max_events)) == (428, 280)
    assert (round(d40.info[0], 1), round(d40.info0[0], 1)) == (68.8, 69.9)
    # one look: the two conventions coincide; the fixed design has power 0.9 exactly
    assert d36.power == pytest.approx(0.9, abs=1e-12)


def test_design_by_calendar_time_matches_gsdesign2():
    # gs_design_ahr(analysis_time = c(12, 24, 36))
    #   analysis bound probability probability0          z
    # 1        1 upper 0.002479915 5.380432e-05  3.8727626
    # 2        1 lower 0.003207242 4.432143e-02 -1.7026005
    # 3        2 upper 0.578701034 9.209255e-03  2.3578702
    # 4        2 lower 0.055582503 8.297907e-01  0.9530459
    # 5        3 upper 0.899999961 2.442393e-02  2.0095985
    # 6        3 lower 0.100116520 9.755007e-01  2.0078723
    #   analysis time        n    event       ahr     theta     info    info0
    # 1        1   12 435.9740  98.8426 0.8107539 0.2097907 24.35800 24.71065
    # 2        2   24 523.1688 237.7010 0.7151566 0.3352538 58.12631 59.42526
    # 3        3   36 523.1688 320.8743 0.6833395 0.3807634 78.80434 80.21858
    d = gsd2(analysis_times=[12, 24, 36])
    np.testing.assert_allclose(d.n, [435.9740, 523.1688, 523.1688], rtol=N_TOL)
    np.testing.assert_allclose(d.events, [98.8426, 237.7010, 320.8743], rtol=N_TOL)
    np.testing.assert_allclose(d.ahr, [0.8107539, 0.7151566, 0.6833395], rtol=1e-7)
    np.testing.assert_allclose(d.info, [24.35800, 58.12631, 78.80434], rtol=N_TOL)
    np.testing.assert_allclose(d.info0, [24.71065, 59.42526, 80.21858], rtol=N_TOL)
    np.testing.assert_allclose(d.upper, [3.8727626, 2.3578702, 2.0095985], atol=Z_TOL)
    np.testing.assert_allclose(d.lower, [-1.7026005, 0.9530459, 2.0078723], atol=Z_TOL)
    np.testing.assert_allclose(np.cumsum(d.upper_h1), [0.002479915, 0.578701034, 0.899999961], atol=P_TOL)
    np.testing.assert_allclose(np.cumsum(d.lower_h1), [0.003207242, 0.055582503, 0.100116520], atol=P_TOL)
    np.testing.assert_allclose(np.cumsum(d.upper_h0), [5.380432e-05, 9.209255e-03, 2.442393e-02], atol=P_TOL)
    np.testing.assert_allclose(np.cumsum(d.lower_h0), [4.432143e-02, 8.297907e-01, 9.755007e-01], atol=P_TOL)
    # spending times: upper on H0 information, lower on H1 information (0.3080415, 0.3090946)
    assert d.efficacy_spending_time[0] == pytest.approx(0.3080415, abs=1e-7)
    assert d.futility_spending_time[0] == pytest.approx(0.3090946, abs=1e-7)


def test_design_by_information_fraction_matches_gsdesign2():
    # gs_design_ahr(info_frac = c(.25, .75, 1), analysis_time = 36)
    #   z: 4.332634 / -2.212697, 2.339820 / 1.007926, 2.011797 / 2.011548
    #   time 10.73156 24.35467 36.00000; n 381.5646 524.3936 524.3936; event 80.40639 241.21917 321.62557
    d = gsd2(analysis_times=36, information_fractions=[0.25, 0.75, 1])
    np.testing.assert_allclose(d.time, [10.73156, 24.35467, 36.0], atol=1e-5)
    np.testing.assert_allclose(d.n, [381.5646, 524.3936, 524.3936], rtol=N_TOL)
    np.testing.assert_allclose(d.events, [80.40639, 241.21917, 321.62557], rtol=N_TOL)
    np.testing.assert_allclose(d.upper, [4.332634, 2.339820, 2.011797], atol=Z_TOL)
    np.testing.assert_allclose(d.lower, [-2.212697, 1.007926, 2.011548], atol=Z_TOL)
    np.testing.assert_allclose(d.information_fraction0, [0.25, 0.75, 1.0], rtol=1e-10)


def test_later_of_time_and_fraction_matches_gsdesign2():
    # gs_design_ahr(info_frac = c(.25, .75, 1), analysis_time = c(12, 25, 36))  (driven by times)
    #   z 3.872763 / -1.699272, 2.310046 / 1.088909, 2.016112 / 2.014278; n 438.7817 526.5381 526.5381
    d = gsd2(analysis_times=[12, 25, 36], information_fractions=[0.25, 0.75, 1])
    np.testing.assert_allclose(d.time, [12, 25, 36])
    np.testing.assert_allclose(d.n, [438.7817, 526.5381, 526.5381], rtol=N_TOL)
    np.testing.assert_allclose(d.upper, [3.872763, 2.310046, 2.016112], atol=Z_TOL)
    np.testing.assert_allclose(d.lower, [-1.699272, 1.088909, 2.014278], atol=Z_TOL)
    # gs_design_ahr(info_frac = c(1 / 3, .8, 1), analysis_time = c(12, 25, 36))  (driven by fractions)
    #   z 3.710303 / -1.502467, 2.251552 / 1.256569, 2.025216 / 2.021450
    e = gsd2(analysis_times=[12, 25, 36], information_fractions=[1 / 3, 0.8, 1])
    np.testing.assert_allclose(e.upper, [3.710303, 2.251552, 2.025216], atol=Z_TOL)
    np.testing.assert_allclose(e.lower, [-1.502467, 1.256569, 2.021450], atol=Z_TOL)
    assert e.time[0] > 12 and e.time[1] > 25


def test_power_by_events_matches_gsdesign2():
    # gs_power_ahr(lpar = list(sf = gsDesign::sfLDOF, total_spend = 0.1))  (event = c(30, 40, 50))
    #   analysis bound probability probability0          z
    # 1        1 upper  0.02306940  0.003808109  2.6686261
    # 2        1 lower  0.03491806  0.120797743 -1.1710082
    # 3        2 upper  0.08972624  0.012211793  2.2887245
    # 4        2 lower  0.06678169  0.265485575 -0.6627182
    # 5        3 upper  0.20699328  0.024999954  2.0307067
    # 6        3 lower  0.10075852  0.430308332 -0.2266532
    #   time 14.90817 19.16437 24.54264; info 7.373433 9.789940 12.227632; info0 7.50002 10 12.5
    p = ahr_power(default_tables(), events=[30, 40, 50], beta_spending="OF", beta=0.1, convention="gsdesign2")
    np.testing.assert_allclose(p.time, [14.90817, 19.16437, 24.54264], atol=5e-5)  # uniroot tolerance
    np.testing.assert_allclose(p.info, [7.373433, 9.789940, 12.227632], atol=2e-5)
    np.testing.assert_allclose(p.upper, [2.6686261, 2.2887245, 2.0307067], atol=Z_TOL)
    np.testing.assert_allclose(p.lower, [-1.1710082, -0.6627182, -0.2266532], atol=Z_TOL)
    np.testing.assert_allclose(np.cumsum(p.upper_h1), [0.02306940, 0.08972624, 0.20699328], atol=P_TOL)
    np.testing.assert_allclose(np.cumsum(p.lower_h1), [0.03491806, 0.06678169, 0.10075852], atol=P_TOL)
    np.testing.assert_allclose(np.cumsum(p.upper_h0), [0.003808109, 0.012211793, 0.024999954], atol=P_TOL)
    np.testing.assert_allclose(np.cumsum(p.lower_h0), [0.120797743, 0.265485575, 0.430308332], atol=P_TOL)
    # survtrial's model differs from gsDesign2's only at the first look under the alternative
    q = ahr_power(default_tables(), events=[30, 40, 50], beta_spending="OF", beta=0.1)
    np.testing.assert_allclose(q.upper, p.upper, atol=1e-12)
    np.testing.assert_allclose(q.upper_h0, p.upper_h0, atol=1e-12)
    assert abs(q.power - p.power) < 0.002


def test_power_binding_and_symmetric_bounds_match_gsdesign2():
    # gs_power_ahr(analysis_time = c(12, 24, 36), event = NULL, binding = TRUE,
    #   upar = list(sf = gsDesign::sfLDOF, total_spend = 0.025),
    #   lpar = list(sf = gsDesign::sfLDOF, total_spend = 0.025))
    #   z 3.8727626 / -3.3951783, 2.3578702 / -1.2026786, 2.0095985 / -0.4730657
    #   upper probability 3.696216e-04 1.157981e-01 3.238741e-01; probability0 5.380432e-05 9.209304e-03 2.5e-02
    p = ahr_power(default_tables(), analysis_times=[12, 24, 36], beta_spending="OF", beta=0.025,
                  binding_futility=True, convention="gsdesign2")
    np.testing.assert_allclose(p.upper, [3.8727626, 2.3578702, 2.0095985], atol=Z_TOL)
    np.testing.assert_allclose(p.lower, [-3.3951783, -1.2026786, -0.4730657], atol=Z_TOL)
    np.testing.assert_allclose(np.cumsum(p.upper_h1), [3.696216e-04, 1.157981e-01, 3.238741e-01], atol=P_TOL)
    np.testing.assert_allclose(np.cumsum(p.upper_h0), [5.380432e-05, 9.209304e-03, 2.5e-02], atol=P_TOL)
    # gs_power_ahr(analysis_time = c(12, 24, 36), event = c(30, 40, 50), h1_spending = FALSE, binding = TRUE,
    #   upar/lpar sfLDOF 0.025)  -> z +-3.132468, +-2.368721, +-2.010883; upper probability 7.063221e-03
    #   1.145733e-01 3.237355e-01; time 14.90817 24 36
    s = ahr_power(default_tables(), analysis_times=[12, 24, 36], events=[30, 40, 50], beta_spending="OF",
                  beta=0.025, binding_futility=True, futility_under="h0", convention="gsdesign2")
    np.testing.assert_allclose(s.time, [14.90817, 24, 36], atol=5e-5)
    np.testing.assert_allclose(s.upper, [3.132468, 2.368721, 2.010883], atol=Z_TOL)
    np.testing.assert_allclose(s.lower, [-3.132468, -2.368721, -2.010883], atol=Z_TOL)
    np.testing.assert_allclose(np.cumsum(s.upper_h1), [7.063221e-03, 1.145733e-01, 3.237355e-01], atol=P_TOL)


# --------------------------------------------------------------------------------------------
# Proportional hazards: today's design (Schoenfeld with the same boundaries) and rpact


def ph_tables(rate=10.0):
    phi = -math.log(1 - 0.05) / 12  # 5% drop out by month 12
    return design_assumptions({"duration": [12], "rate": [rate]},
                              {"duration": [np.inf], "fail_rate": 0.05, "hr": 0.7, "dropout_rate": phi})


def test_proportional_hazards_equals_todays_design_and_rpact():
    # rpact 3.3.4:
    #   d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF",
    #                                 typeBetaSpending = "bsOF")
    #   s <- getSampleSizeSurvival(d, lambda2 = 0.05, hazardRatio = 0.7, accrualTime = 12, followUpTime = 24,
    #                              dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)
    #   s$maxNumberOfEvents 350.000200914676; s$maxNumberOfSubjects 517.938830136564
    #   s$analysisTime 12.4015800440926 21.0715990558892 36
    #   d$criticalValues 3.71030287326250 2.51142748445272 1.99304748326540
    #   d$futilityBounds -0.694541165928609 1.002459560986608
    d = ahr_design(ph_tables(), analysis_times=36, information_fractions=[1 / 3, 2 / 3, 1], power=0.9,
                   beta_spending="OF", info_scale="h0")
    gs = group_sequential(k=3, alpha=0.025, beta=0.1, alpha_spending="OF", beta_spending="OF")
    ss = survival_sample_size(0.7, control_hazard=0.05, accrual_time=12, follow_up=24, design=gs,
                              dropout_rate=0.05, dropout_time=12)
    # today's result: same model, same boundaries -> equal to rounding
    assert d.max_events == pytest.approx(ss.max_events, rel=1e-11)
    assert d.n_subjects == pytest.approx(ss.n_subjects, rel=1e-11)
    np.testing.assert_allclose(d.time, ss.look_times, rtol=1e-11)
    np.testing.assert_allclose(d.upper, gs.upper, atol=1e-9)
    np.testing.assert_allclose(d.lower[:-1], gs.lower[:-1], atol=1e-9)
    # rpact, to its integration accuracy (as today's design)
    assert d.max_events == pytest.approx(350.000200914676, rel=1e-8)
    assert d.n_subjects == pytest.approx(517.938830136564, rel=1e-8)
    np.testing.assert_allclose(d.time, [12.4015800440926, 21.0715990558892, 36], rtol=1e-7)  # rpact's root
    np.testing.assert_allclose(d.upper, [3.71030287326250, 2.51142748445272, 1.99304748326540], atol=1e-7)
    np.testing.assert_allclose(d.lower[:-1], [-0.694541165928609, 1.002459560986608], atol=1e-7)


def test_proportional_hazards_power_equals_todays_crossing_probabilities():
    gs = group_sequential(k=3, alpha=0.025, beta=0.1, alpha_spending="OF")
    d = ahr_design(ph_tables(), analysis_times=36, information_fractions=[1 / 3, 2 / 3, 1], power=0.9,
                   info_scale="h0")
    p = ahr_power(d.assumptions, events=d.events, info_scale="h0")
    assert p.power == pytest.approx(0.9, abs=1e-10)
    np.testing.assert_allclose(p.upper_h1, gs.upper_h1, atol=1e-10)
    np.testing.assert_allclose(p.upper_h0, gs.upper_h0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"analysis_times": 36, "alpha": 0.6}, r"alpha=0.6 must be in \(0, 0.5\]"),
        ({"analysis_times": 36, "alpha": 0.0}, r"alpha=0.0 must be in \(0, 0.5\]"),
        ({"analysis_times": 36, "power": 1.2}, r"power: must be in \(0, 1\)"),
        ({"analysis_times": 36, "power": 0.01}, "must exceed the one-sided alpha"),
        ({"analysis_times": [24, 12]}, "must increase strictly"),
        ({"information_fractions": [0.5, 1]}, "need the final look's calendar time"),
        ({"analysis_times": 36, "information_fractions": [0.5, 0.4, 1]}, "increase strictly"),
        ({"analysis_times": 36, "info_scale": "h2"}, "info_scale"),
        ({"analysis_times": [12, 36], "beta_spending": "OF", "futility_bounds": [0, 0]}, "either beta_spending"),
        ({"analysis_times": [12, 36], "sided": 2, "beta_spending": "OF"}, "two-sided"),
    ],
)
def test_bad_design_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        ahr_design(default_tables(), **kwargs)


def test_looks_beyond_the_study_duration_say_when_they_would_be():
    with pytest.raises(InputError, match=r"within the study duration 20: look 3 at 24.54"):
        ahr_power(default_tables(), events=[30, 40, 50], study_duration=20)
    with pytest.raises(InputError, match="never expected"):
        ahr_power(default_tables(), events=[30, 40, 120])


def test_no_effect_has_no_sample_size():
    a = design_assumptions({"duration": [12], "rate": [10]}, {"duration": [np.inf], "fail_rate": 0.05, "hr": 1.2})
    with pytest.raises(InputError, match="not in favour of the experimental arm"):
        ahr_design(a, analysis_times=36)


def test_frame_and_repr_are_consistent():
    d = gsd2(analysis_times=[12, 24, 36])
    frame = d.to_frame()
    assert list(frame["look"]) == [1, 2, 3]
    np.testing.assert_allclose(frame["cumulative_power"].iloc[-1], d.power)
    assert "log-rank (AHR)" in repr(d) and "futility z" in repr(d)
    assert d.bounds_frame().shape[0] == 6
    assert d.summary()["n_subjects"].iloc[0] == pytest.approx(d.n_subjects)


def test_look_rules_take_the_later_or_the_earlier_target():
    # events 40 are expected at 19.16437 (gs_info_ahr(event = c(30, 40, 50)) above); month 22 comes later
    later = ahr_power(default_tables(), events=[30, 40, 50], analysis_times=[10, 22, 30])
    earlier = ahr_power(default_tables(), events=[30, 40, 50], analysis_times=[10, 22, 30], look_rule="earlier")
    np.testing.assert_allclose(later.time, [14.90817, 22, 30], atol=5e-5)
    np.testing.assert_allclose(earlier.time, [10, 19.16437, 24.54264], atol=5e-5)
    with pytest.raises(InputError, match="look_rule"):
        ahr_power(default_tables(), events=[30, 40], look_rule="first")
    with pytest.raises(InputError, match="would both happen"):
        ahr_power(default_tables(), events=[30, 40], analysis_times=[20, 20 + 1e-10])
