"""Tests for survtrial.design events / sample size / expected events, against rpact, published
examples and independent plain-loop implementations."""

from __future__ import annotations

import math
from statistics import NormalDist
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from survtrial.design import (
    events_power,
    expected_events,
    freedman_events,
    hazard_from_survival,
    noninferiority_margin,
    schoenfeld_events,
    survival_power,
    survival_sample_size,
)
from survtrial.errors import InputError

# rpact 3.3.4 design used for the group-sequential cases, with the outputs pasted:
#   d3 <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = "asOF")
#   ch <- getDesignCharacteristics(d3)
#   ch$inflationFactor         1.01279481267116
#   ch$rejectionProbabilities  0.0186487762585 0.3988001681854 0.3825510555562
#   ch$futilityProbabilities   0 0
RPACT_OF3 = SimpleNamespace(
    alpha=0.025,
    beta=0.2,
    sided=1,
    inflation_factor=1.01279481267116,
    information_fractions=np.array([1, 2, 3]) / 3,
    upper_h1=np.array([0.0186487762585, 0.3988001681854, 0.3825510555562]),
    lower_h1=np.zeros(3),
)

# ---------------------------------------------------------------------------------------------
# Event counts


def test_schoenfeld_published_worked_example():
    # MRC CBU statistics wiki, "Sample size for the log-rank test" (FAQ/powsurv), Schoenfeld (1983):
    # events = 4 (1.96 + 0.84)^2 / [log(log(0.75) / log(0.37))]^2 = 20.39, two-sided 5%, 80% power,
    # with the z-values rounded as printed; we pass exactly those quantiles.
    d = schoenfeld_events(
        math.log(0.75) / math.log(0.37),
        alpha=2 * (1 - NormalDist().cdf(1.96)),
        sided=2,
        power=NormalDist().cdf(0.84),
    )
    assert round(d, 2) == 20.39


def _plain_events(hr, alpha, power, r, h0, method):
    """Double programming: the textbook formulas with the standard library normal quantiles."""
    z = NormalDist().inv_cdf(1 - alpha) + NormalDist().inv_cdf(power)
    if method == "schoenfeld":
        return z**2 * (1 + r) ** 2 / (r * (math.log(hr) - math.log(h0)) ** 2)
    if method == "freedman":
        return z**2 * (1 + r * hr) ** 2 / (r * (1 - hr) ** 2)
    return z**2 * (1 + hr) ** 2 / (1 - hr) ** 2 * (1 + r) ** 2 / (4 * r)


@pytest.mark.parametrize("method", ["schoenfeld", "freedman", "hsieh-freedman"])
def test_events_equal_plain_formula(method):
    for hr in (0.3, 0.6, 0.8, 1.3):
        for alpha in (0.005, 0.025):
            for power in (0.8, 0.9):
                for r in (0.5, 1.0, 2.0):
                    got = survival_sample_size(
                        hr, control_hazard=0.1, alpha=alpha, power=power, allocation_ratio=r,
                        method=method, follow_up=12,
                    ).events_fixed
                    assert got == pytest.approx(_plain_events(hr, alpha, power, r, 1.0, method), rel=1e-12)
    assert schoenfeld_events(0.6, alpha=0.01, power=0.85, allocation_ratio=2) == pytest.approx(
        _plain_events(0.6, 0.01, 0.85, 2.0, 1.0, "schoenfeld"), rel=1e-12
    )
    assert freedman_events(0.6) == pytest.approx(_plain_events(0.6, 0.025, 0.8, 1.0, 1.0, "freedman"), rel=1e-12)


def test_events_power_matches_rpact():
    # getPowerSurvival(alpha = 0.025, directionUpper = FALSE, lambda2 = 0.05, hazardRatio = c(0.6, 0.7),
    #   maxNumberOfEvents = 200, maxNumberOfSubjects = 400, accrualTime = c(0, 24))$overallReject
    #   [1] 0.9507448162 0.7129790299
    assert survival_power([0.6, 0.7], events=200) == pytest.approx([0.9507448162, 0.7129790299], abs=1e-10)
    # getPowerSurvival(alpha = 0.05, sided = 2, lambda2 = 0.05, hazardRatio = 0.7, maxNumberOfEvents = 200,
    #   maxNumberOfSubjects = 400, accrualTime = c(0, 24))$overallReject   [1] 0.7129827266
    assert survival_power(0.7, events=200, alpha=0.05, sided=2) == pytest.approx(0.7129827266, abs=1e-10)
    # power inverts the event formula (one-sided)
    d = schoenfeld_events(0.7, power=0.9, allocation_ratio=2)
    assert events_power(d, 0.7, allocation_ratio=2) == pytest.approx(0.9, abs=1e-12)


def test_group_sequential_power_matches_rpact():
    boundaries = pytest.importorskip("survtrial.design.boundaries")
    d3 = boundaries.group_sequential(k=3, alpha=0.025, beta=0.2)
    # getPowerSurvival(d3, directionUpper = FALSE, lambda2 = 0.05, hazardRatio = 0.7, maxNumberOfEvents = 200,
    #   maxNumberOfSubjects = 400, accrualTime = c(0, 24))$overallReject   [1] 0.7072057106
    assert survival_power(0.7, events=200, design=d3) == pytest.approx(0.7072057106, abs=1e-7)
    # same with thetaH0 = 1.5, hazardRatio = 1 (non-inferiority)          [1] 0.813023188
    assert survival_power(1.0, events=200, design=d3, noninferiority_margin=1.5) == pytest.approx(
        0.813023188, abs=1e-7
    )


# ---------------------------------------------------------------------------------------------
# Subjects and timing against rpact 3.3.4 getSampleSizeSurvival (outputs printed with digits = 10).
# Each case: our arguments, the rpact call, and rpact's eventsFixed, eventsPerStage, maxNumberOfSubjects,
# accrual end, followUpTime, analysisTime. rpact integrates numerically and finds roots to ~1e-6,
# far below its printed precision (one decimal); we compare at rel 1e-6.

RPACT_CASES = {
    "exponential": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "accrual_time": 24, "follow_up": 12},
        # getSampleSizeSurvival(alpha = 0.025, beta = 0.2, lambda2 = 0.05, hazardRatio = 0.7,
        #   accrualTime = c(0, 24), followUpTime = 12)
        (246.7871045, [246.7871045], 399.367164, 24, 12, [36]),
    ),
    "dropout": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "accrual_time": 24, "follow_up": 12, "dropout_rate": 0.05,
             "dropout_time": 12},
        # ... same, dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12
        (246.7871045, [246.7871045], 416.9778604, 24, 12, [36]),
    ),
    "dropout_by_arm": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "power": 0.9, "accrual_time": 24, "follow_up": 12,
             "dropout_rate": (0.1, 0.05), "dropout_time": 12},
        # getSampleSizeSurvival(alpha = 0.025, beta = 0.1, lambda2 = 0.05, hazardRatio = 0.7, accrualTime = c(0, 24),
        #   followUpTime = 12, dropoutRate1 = 0.1, dropoutRate2 = 0.05, dropoutTime = 12)
        (330.377914, [330.377914], 569.8149801, 24, 12, [36]),
    ),
    "piecewise": (
        {"hazard_ratio": 0.75, "control_hazard": [0.03, 0.05, 0.04], "piecewise_times": [0, 6, 12],
             "accrual_time": [0, 6, 18], "accrual_intensity": [1, 2], "follow_up": 12},
        # getSampleSizeSurvival(alpha = 0.025, beta = 0.2, piecewiseSurvivalTime = c(0, 6, 12),
        #   lambda2 = c(0.03, 0.05, 0.04), hazardRatio = 0.75, accrualTime = c(0, 6, 18),
        #   accrualIntensity = c(1, 2), accrualIntensityType = "relative", followUpTime = 12)
        (379.3517296, [379.3517296], 773.4335009, 18, 12, [30]),
    ),
    "medians": (
        {"experimental_median": 18, "control_median": 12, "accrual_time": 24, "follow_up": 12},
        # getSampleSizeSurvival(alpha = 0.025, beta = 0.2, median1 = 18, median2 = 12, accrualTime = c(0, 24),
        #   followUpTime = 12)
        (190.9680402, [190.9680402], 289.7034076, 24, 12, [36]),
    ),
    "allocation_2": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "allocation_ratio": 2, "accrual_time": 24, "follow_up": 12},
        # ... allocationRatioPlanned = 2
        (277.6354926, [277.6354926], 464.9535729, 24, 12, [36]),
    ),
    "freedman": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "method": "freedman", "allocation_ratio": 2, "accrual_time": 24,
             "follow_up": 12},
        # ... typeOfComputation = "Freedman", allocationRatioPlanned = 2
        (251.1641515, [251.1641515], 420.6222646, 24, 12, [36]),
    ),
    "hsieh_freedman": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "method": "hsieh-freedman", "allocation_ratio": 2,
             "accrual_time": 24, "follow_up": 12},
        # ... typeOfComputation = "HsiehFreedman", allocationRatioPlanned = 2
        (283.5407804, [283.5407804], 474.8431034, 24, 12, [36]),
    ),
    "two_sided": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "alpha": 0.05, "sided": 2, "power": 0.9, "accrual_time": 24,
             "follow_up": 12},
        # getSampleSizeSurvival(alpha = 0.05, sided = 2, beta = 0.1, lambda2 = 0.05, hazardRatio = 0.7, ...)
        (330.377914, [330.377914], 534.6393232, 24, 12, [36]),
    ),
    "n_subjects_given": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "accrual_time": 24, "n_subjects": 450},
        # getSampleSizeSurvival(alpha = 0.025, beta = 0.2, lambda2 = 0.05, hazardRatio = 0.7,
        #   accrualTime = c(0, 24), maxNumberOfSubjects = 450)
        (246.7871045, [246.7871045], 450, 24, 7.959908444, [31.95990844]),
    ),
    "open_accrual_dropout": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "accrual_time": 6, "accrual_rate": [10, 20], "follow_up": 12,
             "dropout_rate": 0.05, "dropout_time": 12},
        # getSampleSizeSurvival(alpha = 0.025, beta = 0.2, lambda2 = 0.05, hazardRatio = 0.7, accrualTime = c(0, 6),
        #   accrualIntensity = c(10, 20), followUpTime = 12, dropoutRate1 = 0.05, dropoutRate2 = 0.05,
        #   dropoutTime = 12)   (rpact: followUpTime 11.99999566, bisection tolerance 1e-4 on subjects)
        (246.7871045, [246.7871045], 427.2270389, 24.36135195, 12, [36.3613476]),
    ),
    "open_accrual_n": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "accrual_time": 6, "accrual_rate": [10, 20], "n_subjects": 400},
        # ... accrualTime = c(0, 6), accrualIntensity = c(10, 20), maxNumberOfSubjects = 400
        (246.7871045, [246.7871045], 400, 23, 13.48699666, [36.48699666]),
    ),
    "group_sequential": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "accrual_time": 24, "follow_up": 12, "dropout_rate": 0.05,
             "dropout_time": 12, "design": RPACT_OF3},
        # getSampleSizeSurvival(d3, lambda2 = 0.05, hazardRatio = 0.7, accrualTime = c(0, 24), followUpTime = 12,
        #   dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)
        (246.7871045, [83.31489977, 166.6297995, 249.9446993], 422.3130141, 24, 12,
         [16.93782532, 25.40510247, 36]),
    ),
    "group_sequential_fixed_n": (
        {"hazard_ratio": 0.7, "control_hazard": 0.05, "accrual_time": [0, 6, 24], "accrual_rate": [10, 25],
             "design": RPACT_OF3},
        # getSampleSizeSurvival(d3, lambda2 = 0.05, hazardRatio = 0.7, accrualTime = c(0, 6, 24),
        #   accrualIntensity = c(10, 25))
        (246.7871045, [83.31489977, 166.6297995, 249.9446993], 510, 24, 6.425519354,
         [17.14631909, 23.78010366, 30.42551935]),
    ),
}


@pytest.mark.parametrize("name", sorted(RPACT_CASES))
def test_sample_size_matches_rpact(name):
    kwargs, (events_fixed, per_look, subjects, accrual, follow_up, looks) = RPACT_CASES[name]
    res = survival_sample_size(**kwargs)
    assert res.events_fixed == pytest.approx(events_fixed, rel=1e-9)
    assert res.events_per_look == pytest.approx(per_look, rel=1e-9)
    assert res.n_subjects == pytest.approx(subjects, rel=1e-6)
    assert res.accrual_duration == pytest.approx(accrual, rel=1e-6)
    assert res.follow_up == pytest.approx(follow_up, rel=1e-6)
    assert res.look_times == pytest.approx(looks, rel=1e-6)


def test_subjects_per_look_and_expected_duration_match_rpact():
    # getSampleSizeSurvival(d3, ... as "group_sequential" above):
    #   numberOfSubjects 298.0443359, 422.3130141, 422.3130141; studyDuration 31.41926685;
    #   expectedNumberOfSubjectsH1 419.9955553
    kwargs = RPACT_CASES["group_sequential"][0]
    res = survival_sample_size(**kwargs)
    assert res.subjects_per_look == pytest.approx([298.0443359, 422.3130141, 422.3130141], rel=1e-6)
    assert res.expected_study_duration == pytest.approx(31.41926685, rel=1e-6)
    assert res.expected_subjects == pytest.approx(419.9955553, rel=1e-6)
    # "group_sequential_fixed_n": numberOfSubjects 338.6579772, 504.5025916, 510; studyDuration 27.52768562;
    #   expectedNumberOfSubjectsH1 504.6123136
    res = survival_sample_size(**RPACT_CASES["group_sequential_fixed_n"][0])
    assert res.subjects_per_look == pytest.approx([338.6579772, 504.5025916, 510], rel=1e-6)
    assert res.expected_study_duration == pytest.approx(27.52768562, rel=1e-6)
    assert res.expected_subjects == pytest.approx(504.6123136, rel=1e-6)


def test_with_group_sequential_design_object():
    boundaries = pytest.importorskip("survtrial.design.boundaries")
    d3 = boundaries.group_sequential(k=3, alpha=0.025, beta=0.2)
    res = survival_sample_size(0.7, control_hazard=0.05, accrual_time=24, follow_up=12, dropout_rate=0.05,
                               dropout_time=12, design=d3)
    # rpact values as in test_subjects_per_look_and_expected_duration_match_rpact; the design's own
    # inflation factor agrees with rpact to about 1e-7
    assert res.max_events == pytest.approx(249.9446993, rel=1e-6)
    assert res.n_subjects == pytest.approx(422.3130141, rel=1e-6)
    assert res.expected_study_duration == pytest.approx(31.41926685, rel=1e-6)


def test_grid_matches_rpact_vector_and_scalar_calls():
    # getSampleSizeSurvival(alpha = 0.025, beta = 0.2, lambda2 = 0.05, hazardRatio = c(0.6, 0.7, 0.8),
    #   accrualTime = c(0, 24), followUpTime = 12)$maxNumberOfSubjects
    #   203.3954742, 399.367164, 983.1601847
    res = survival_sample_size([0.6, 0.7, 0.8], control_hazard=0.05, accrual_time=24, follow_up=12)
    assert res.n_subjects == pytest.approx([203.3954742, 399.367164, 983.1601847], rel=1e-8)
    one = survival_sample_size(0.8, control_hazard=0.05, accrual_time=24, follow_up=12)
    assert res.n_subjects[2] == pytest.approx(one.n_subjects, rel=1e-13)
    assert len(res.summary_frame()) == 3 and len(res.to_frame()) == 3


# ---------------------------------------------------------------------------------------------
# AALL1731 worked examples (figures from the shared YAML)


def test_aall1731_like_superiority_design_matches_rpact(reference):
    dfs = reference["results_first_interim"]["dfs_3y"]
    control, blina = dfs["chemo"]["value"] / 100, dfs["blina"]["value"] / 100
    res = survival_sample_size(
        control_survival=control, experimental_survival=blina, landmark_time=3, power=0.9,
        accrual_time=5, follow_up=2,
    )
    # getSampleSizeSurvival(alpha = 0.025, beta = 0.1, pi1 = 1 - 0.960, pi2 = 1 - 0.879, eventTime = 3,
    #   accrualTime = c(0, 5), followUpTime = 2)
    #   hazardRatio 0.3165222442, eventsFixed 31.76050054, maxNumberOfSubjects 272.0145392
    assert res.hazard_ratio == pytest.approx(0.3165222442, rel=1e-9)
    assert res.events_fixed == pytest.approx(31.76050054, rel=1e-9)
    assert res.n_subjects == pytest.approx(272.0145392, rel=1e-8)


def test_aall1731_like_noninferiority_design_matches_rpact(reference):
    baseline = reference["results_first_interim"]["dfs_3y"]["blina"]["value"] / 100
    margin = noninferiority_margin(baseline, 0.02)
    assert margin == pytest.approx(math.log(baseline - 0.02) / math.log(baseline), rel=1e-14)
    res = survival_sample_size(
        1.0, control_survival=baseline, landmark_time=3, noninferiority_margin=margin,
        accrual_time=5, follow_up=3,
    )
    # getSampleSizeSurvival(alpha = 0.025, beta = 0.2, thetaH0 = log(0.94) / log(0.96), hazardRatio = 1,
    #   lambda2 = -log(0.96) / 3, accrualTime = c(0, 5), followUpTime = 3)
    #   eventsFixed 181.5040066, maxNumberOfSubjects 2523.363774
    assert res.noninferiority
    assert res.events_fixed == pytest.approx(181.5040066, rel=1e-9)
    assert res.n_subjects == pytest.approx(2523.363774, rel=1e-8)


# ---------------------------------------------------------------------------------------------
# Expected events: closed form against a plain numerical double integral


def _plain_expected_events(t, breaks, rates, starts, hazards, hr, dropout, r):
    """Double programming: quadrature over entry time of the event probability before dropout."""

    def cdf(s, lam, phi):
        def density(v):
            k = np.searchsorted(starts, v, side="right") - 1
            cum = sum(lam[j] * (min(v, starts[j + 1]) - starts[j]) for j in range(k)) + lam[k] * (v - starts[k])
            return lam[k] * math.exp(-cum - phi * v)

        return quad(density, 0, s, points=[x for x in starts if 0 < x < s], epsabs=1e-13, epsrel=1e-12)[0]

    total = 0.0
    for arm, share in ((0, r / (1 + r)), (1, 1 / (1 + r))):
        lam = [h * (hr if arm == 0 else 1.0) for h in hazards]
        for j, rate in enumerate(rates):
            lo, hi = breaks[j], min(breaks[j + 1], t)
            if hi > lo:
                integral, _ = quad(lambda u, lam=lam, phi=dropout[arm]: cdf(t - u, lam, phi), lo, hi, epsabs=1e-12)
                total += share * rate * integral
    return total


def test_expected_events_equal_numerical_integration():
    starts, hazards = [0.0, 6.0, 12.0], [0.03, 0.05, 0.04]
    breaks, rates = [0.0, 6.0, 18.0], [10.0, 25.0]
    phi = (-math.log(1 - 0.1) / 12, -math.log(1 - 0.05) / 12)
    times = np.array([3.0, 9.0, 18.0, 30.0])
    got = expected_events(times, hazard_ratio=0.75, control_hazard=hazards, piecewise_times=starts,
                          accrual_time=breaks, accrual_rate=rates, allocation_ratio=2,
                          dropout_rate=(0.1, 0.05), dropout_time=12)
    want = [_plain_expected_events(t, breaks, rates, starts, hazards, 0.75, phi, 2.0) for t in times]
    assert got == pytest.approx(want, rel=1e-9)


def test_event_cdf_closed_forms():
    # exponential event hazard lam with exponential dropout phi: F(s) = lam / (lam + phi) (1 - exp(-(lam + phi) s))
    res = survival_sample_size(0.5, control_hazard=0.2, accrual_time=2, follow_up=3, dropout_rate=0.1,
                               dropout_time=1)
    phi = -math.log(0.9)
    exp_arm, control_arm = res.model.event_cdf(np.array([0.5, 4.0, 1e6]))
    for lam, got in ((0.1, exp_arm[0]), (0.2, control_arm[0])):
        want = lam / (lam + phi) * (1 - np.exp(-(lam + phi) * np.array([0.5, 4.0, 1e6])))
        assert got == pytest.approx(want, rel=1e-12)


def test_look_times_solve_expected_events():
    res = survival_sample_size(0.7, control_hazard=0.05, accrual_time=24, follow_up=12, design=RPACT_OF3)
    assert res.expected_events(res.look_times) == pytest.approx(res.events_per_look, rel=1e-9)
    arms = res.expected_events(36.0, by_arm=True)
    assert arms.sum() == pytest.approx(res.max_events, rel=1e-9)
    assert arms[0] < arms[1]  # fewer events on the better experimental arm


# ---------------------------------------------------------------------------------------------
# Properties

log_hr = st.floats(0.05, 1.5)


@settings(max_examples=50, deadline=None)
@given(log_hr, st.floats(1.01, 2.0))
def test_events_decrease_as_effect_grows(small, factor):
    for sign in (-1, 1):
        near, far = math.exp(sign * small), math.exp(sign * small * factor)
        assert schoenfeld_events(far) < schoenfeld_events(near)
        assert freedman_events(far) < freedman_events(near)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.001, 0.2), st.floats(0.5, 0.99), st.floats(0.3, 0.9))
def test_events_increase_as_alpha_shrinks_or_power_grows(alpha, power, hr):
    d = schoenfeld_events(hr, alpha=alpha, power=power)
    assert schoenfeld_events(hr, alpha=alpha / 2, power=power) > d
    assert schoenfeld_events(hr, alpha=alpha, power=min(power + 0.005, 0.999)) > d


@settings(max_examples=50, deadline=None)
@given(st.floats(0.3, 0.9), st.floats(0.0, 24.0), st.floats(0.1, 12.0), st.floats(0.0, 0.3))
def test_subjects_decrease_with_longer_follow_up(hr, follow_up, extra, dropout):
    kw = {"control_median": 12, "accrual_time": [0, 6, 18], "accrual_intensity": [1, 3], "dropout_rate": dropout,
              "dropout_time": 12}
    short = survival_sample_size(hr, follow_up=follow_up, **kw)
    long = survival_sample_size(hr, follow_up=follow_up + extra, **kw)
    assert long.n_subjects < short.n_subjects
    assert long.max_events == pytest.approx(short.max_events, rel=1e-14)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 60.0), min_size=2, max_size=6))
def test_expected_events_non_decreasing_and_bounded(times):
    t = np.sort(np.array(times))
    e = expected_events(t, hazard_ratio=0.6, control_hazard=[0.02, 0.06], piecewise_times=[0, 12],
                        accrual_time=[0, 6, 18], accrual_rate=[5, 20], dropout_rate=0.1, dropout_time=12)
    assert np.all(np.diff(e) >= -1e-9)
    assert np.all(e <= 5 * 6 + 20 * 12 + 1e-9)


# ---------------------------------------------------------------------------------------------
# Result object and conversions


def test_result_repr_frames_and_arms():
    res = survival_sample_size(0.7, control_hazard=0.05, accrual_time=24, follow_up=12, allocation_ratio=2,
                               design=RPACT_OF3)
    text = repr(res)
    assert text.count("\n") <= 3 and "superiority" in text and "3 look(s)" in text
    frame = res.to_frame()
    assert list(frame["look"]) == [1, 2, 3]
    assert frame["events"].iloc[-1] == pytest.approx(res.max_events)
    assert res.n_experimental == pytest.approx(2 * res.n_control)
    assert hazard_from_survival(0.879, 3) == pytest.approx(-math.log(0.879) / 3)


# ---------------------------------------------------------------------------------------------
# Bad input: InputError naming the argument

BAD = [
    ({"alpha": 1.2}, "alpha"),
    ({"alpha": 0.0}, "alpha"),
    ({"power": 1.0}, "power"),
    ({"accrual_time": -3}, "accrual_time"),
    ({"accrual_time": [0, 6, 3]}, "accrual_time"),
    ({"noninferiority_margin": 0.8}, "noninferiority_margin"),
    ({"hazard_ratio": 1.6, "noninferiority_margin": 1.5}, "noninferiority_margin"),
    ({"hazard_ratio": 1.0}, "hazard_ratio"),
    ({"follow_up": None}, "follow_up"),
    ({"n_subjects": 500}, "n_subjects"),
    ({"dropout_rate": 0.1}, "dropout_time"),
    ({"dropout_rate": 1.0, "dropout_time": 12}, "dropout_rate"),
    ({"control_median": 10}, "control"),
    ({"piecewise_times": [0, 6]}, "control_hazard"),
    ({"follow_up": -1}, "follow_up"),
    ({"allocation_ratio": 0}, "allocation_ratio"),
    ({"method": "cox"}, "method"),
    ({"design": object()}, "design"),
    ({"inflation_factor": 1.1}, "information_fractions"),
    ({"information_fractions": [0.5, 0.4, 1]}, "information_fractions"),
]


@pytest.mark.parametrize(("override", "name"), BAD)
def test_bad_input_names_the_argument(override, name):
    kwargs = {"hazard_ratio": 0.7, "control_hazard": 0.05, "accrual_time": 24, "follow_up": 12} | override
    with pytest.raises(InputError, match=name):
        survival_sample_size(**kwargs)


def test_too_few_subjects_is_an_input_error():
    with pytest.raises(InputError, match="subjects"):
        survival_sample_size(0.7, control_hazard=0.05, accrual_time=24, n_subjects=200)
    with pytest.raises(InputError, match="never reaches"):
        survival_sample_size(0.7, control_hazard=0.05, accrual_time=24, n_subjects=260, dropout_rate=0.5,
                             dropout_time=12)
