"""Tests for survtrial.design.conditional: closed forms (Lan-Wittes B-value, Spiegelhalter), rpact 3.3.4
conditional power and repeated confidence intervals, quadrature and Monte-Carlo checks."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import integrate

from survtrial.design import (
    conditional_power,
    drift_from_hazard_ratio,
    group_sequential,
    repeated_confidence_intervals,
)
from survtrial.errors import InputError

N = NormalDist()


@pytest.mark.parametrize(("t", "z"), [(0.5, 1.5), (0.3, -0.4), (0.75, 2.6)])
def test_one_look_to_go_equals_closed_forms(t, z):
    """Jennison & Turnbull (2000) eq. (10.6): CP = Phi((z sqrt(t) - c + theta (1 - t)) / sqrt(1 - t));
    predictive power with a flat prior (Spiegelhalter et al. 1986): Phi((z / sqrt(t) - c) sqrt(t / (1 - t)))."""
    d = group_sequential([t, 1.0], alpha=0.025, beta=0.1)
    c = float(d.upper[1])
    cp = conditional_power(d, z, look=1)

    def closed(theta):
        return N.cdf((z * math.sqrt(t) - c + theta * (1 - t)) / math.sqrt(1 - t))

    assert cp.design_effect == pytest.approx(closed(d.drift), abs=1e-12)
    assert cp.trend == pytest.approx(closed(z / math.sqrt(t)), abs=1e-12)
    assert cp.null == pytest.approx(closed(0.0), abs=1e-12)
    assert cp.predictive == pytest.approx(N.cdf((z / math.sqrt(t) - c) * math.sqrt(t / (1 - t))), abs=1e-10)


def test_conditional_power_matches_rpact():
    # d  <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF")
    # sr <- getStageResults(d, dataInput = getDataset(overallEvents = 100, overallLogRanks = 1.5,
    #                       overallAllocationRatios = 1), directionUpper = TRUE)
    # getConditionalPower(sr, nPlanned = c(100, 100), thetaH1 = 1 / 0.7)$conditionalPower
    #   NA 0.3942264718 0.8769560334
    # getConditionalPower(sr, nPlanned = c(100, 100), thetaH1 = 1)$conditionalPower
    #   NA 0.02009966576 0.09039116233
    d = group_sequential(k=3, alpha=0.025, beta=0.1)
    cp = conditional_power(d, 1.5, look=1)
    assert cp.at(drift_from_hazard_ratio(0.7, 300)) == pytest.approx(0.8769560334, abs=1e-8)
    assert cp.null == pytest.approx(0.09039116233, abs=1e-8)
    assert cp.at(0.0) == cp.null


@pytest.mark.slow
def test_multi_look_conditional_power_monte_carlo():
    d = group_sequential([0.25, 0.5, 0.75, 1.0], alpha=0.025, beta=0.1, alpha_spending="asP")
    t, z = 0.25, 0.9
    cp = conditional_power(d, z, look=1)
    rng = np.random.default_rng(31337)
    n = 200_000
    future = d.information_fractions[1:]
    inc = np.diff(np.r_[t, future])
    s = z * math.sqrt(t) + np.cumsum(rng.standard_normal((n, 3)) * np.sqrt(inc) + d.drift * inc, axis=1)
    crossed = np.any(s / np.sqrt(future) >= d.upper[1:], axis=1).mean()
    se = math.sqrt(cp.design_effect * (1 - cp.design_effect) / n)
    assert abs(crossed - cp.design_effect) < 3 * se


def test_predictive_power_equals_quadrature_over_the_posterior():
    d = group_sequential(k=4, alpha=0.025, beta=0.1)
    t, z = 0.5, 1.2
    cp = conditional_power(d, z, look=2)
    mean, sd = z / math.sqrt(t), 1 / math.sqrt(t)
    expected = integrate.quad(lambda x: cp.at(x) * N.pdf((x - mean) / sd) / sd, mean - 9 * sd, mean + 9 * sd)[0]
    assert cp.predictive == pytest.approx(expected, abs=1e-8)


def test_binding_futility_lowers_conditional_power_non_binding_ignores_it():
    nb = group_sequential(k=3, beta_spending="OF")
    b = group_sequential(k=3, beta_spending="OF", binding_futility=True)
    free = group_sequential(k=3)
    cp_nb = conditional_power(nb, 1.0, look=1)
    np.testing.assert_allclose(cp_nb.future_lower, -np.inf)
    cp_b = conditional_power(b, 1.0, look=1)
    assert cp_b.future_lower[0] == b.lower[1]
    same_bounds = conditional_power(free, 1.0, look=1)
    assert cp_nb.null == pytest.approx(same_bounds.null, abs=1e-6)  # same efficacy bounds


def test_information_fraction_off_plan_uses_the_remaining_looks():
    d = group_sequential(k=3)
    cp = conditional_power(d, 1.1, information_fraction=0.4)
    np.testing.assert_allclose(cp.future_fractions, [2 / 3, 1.0])
    cp2 = conditional_power(d, 1.1, information_fraction=0.7)
    np.testing.assert_allclose(cp2.future_fractions, [1.0])
    frame = cp.to_frame()
    assert list(frame["assumption"]) == ["design effect", "current trend", "H0", "predictive (flat prior)"]
    assert len(repr(cp).splitlines()) == 2


def test_repeated_confidence_intervals_match_rpact():
    # d  <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF")
    # res <- getAnalysisResults(d, getDataset(overallEvents = c(100, 200), overallLogRanks = c(1.8, 2.8),
    #                          overallAllocationRatios = c(1, 1)), directionUpper = TRUE, maxInformation = 300)
    # res$repeatedConfidenceIntervalLowerBounds 0.6824538033 1.0416545033 NA
    # res$repeatedConfidenceIntervalUpperBounds 3.010362811  2.119434435  NA
    # (rpact orients HR > 1 as benefit here; log HR = z * 2 / sqrt(d), SE = 2 / sqrt(d), Schoenfeld, 1:1)
    d = group_sequential(k=3, alpha=0.025, beta=0.1)
    events = np.array([100.0, 200.0])
    rci = repeated_confidence_intervals(d, np.array([1.8, 2.8]) * 2 / np.sqrt(events), 2 / np.sqrt(events))
    # rpact finds RCI limits by a numerical search (relative error ~1e-7): with its own printed critical
    # value 3.710302873 the closed form exp(0.36 -+ 3.710302873 * 0.2) is 0.68245371 / 3.01036271
    np.testing.assert_allclose(rci.lower, [0.6824538033, 1.0416545033], rtol=3e-7)
    np.testing.assert_allclose(rci.upper, [3.010362811, 2.119434435], rtol=3e-7)
    np.testing.assert_allclose(rci.lower[0], math.exp(0.36 - 3.710302873 * 0.2), rtol=1e-9)
    assert rci.level == pytest.approx(0.95)
    assert list(rci.to_frame().columns) == ["look", "hazard_ratio", "rci_lower", "rci_upper", "z_bound"]
    # crossing the efficacy bound <=> the RCI excludes 1
    z = np.array([1.8, 2.8])
    assert np.array_equal(z >= d.upper[:2], rci.lower > 1)


def test_drift_from_hazard_ratio_is_schoenfeld():
    assert drift_from_hazard_ratio(0.7, 300, 2) == pytest.approx(-math.log(0.7) * math.sqrt(2 * 300) / 3, rel=1e-14)
    with pytest.raises(InputError, match="must all be > 0"):
        drift_from_hazard_ratio(0.7, 0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda d: conditional_power(d, 1.0), "look=.*or information_fraction"),
        (lambda d: conditional_power(d, 1.0, look=3), "interim look 1..2"),
        (lambda d: conditional_power(d, 1.0, look=0), "interim look"),
        (lambda d: conditional_power(d, float("nan"), look=1), "z: must be finite"),
        (lambda d: conditional_power(d, 1.0, information_fraction=1.0), "information_fraction"),
        (lambda d: conditional_power("x", 1.0, look=1), "GroupSequentialDesign"),
        (lambda d: repeated_confidence_intervals(d, [0.1], [0.0]), "standard_error"),
        (lambda d: repeated_confidence_intervals(d, [0.1, 0.2], [0.1]), "one value each"),
        (lambda d: repeated_confidence_intervals(d, [0.1] * 4, [0.1] * 4), "one value each"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(InputError, match=match):
        call(group_sequential(k=3))
