"""Tests for survtrial.design.stagewise_inference: rpact 3.3.4 final p-value / CI / median-unbiased
estimate, fixed-sample reduction and a Monte-Carlo p-value."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from survtrial.design import (
    group_sequential,
    repeated_confidence_intervals,
    stagewise_inference,
)
from survtrial.errors import InputError

N = NormalDist()


def test_aall1731_first_interim_on_an_obrien_fleming_plan(reference):
    """Published first-interim DFS hazard ratio and 95% CI, read as log HR with SE = CI width / (2 z_0.975).

    The plan is an assumption (aall1731.md: O'Brien-Fleming-type spending, one-sided 0.025; the fractions
    are not in our sources): three equally spaced looks, the published result at the first.
    """
    ref = reference["results_first_interim"]
    hr, (ci_lo, ci_hi) = ref["dfs_hazard_ratio"]["value"], ref["dfs_hazard_ratio"]["ci95"]
    se = (math.log(ci_hi) - math.log(ci_lo)) / (2 * N.inv_cdf(0.975))
    z = -math.log(hr) / se
    d = group_sequential(k=3, alpha=0.025, beta=0.1)
    res = stagewise_inference(d, z, look=1)
    # at the first look the stage-wise p-value is the unadjusted one-sided p-value
    assert res.p_value == pytest.approx(1 - N.cdf(z), rel=1e-9)
    assert res.p_value < float(str(ref["dfs_test"]["p"]).lstrip("<"))  # published: P < 0.001
    # the repeated CI excludes HR = 1 exactly when z crosses the efficacy bound
    rci = repeated_confidence_intervals(d, [math.log(hr)], [se])
    assert bool(rci.upper[0] < 1) == bool(z >= d.upper[0])


def test_stagewise_inference_matches_rpact():
    # d  <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF")
    # res <- getAnalysisResults(d, getDataset(overallEvents = c(100, 200), overallLogRanks = c(1.8, 2.8),
    #                          overallAllocationRatios = c(1, 1)), directionUpper = TRUE, maxInformation = 300)
    # res$finalPValues                        NA 0.002607396414 NA
    # res$finalConfidenceIntervalLowerBounds  NA 1.125459363    NA
    # res$finalConfidenceIntervalUpperBounds  NA 1.960030651    NA
    # res$medianUnbiasedEstimates             NA 1.485379413    NA
    # (rpact reports the hazard ratio with HR > 1 as benefit for directionUpper = TRUE: the reciprocal of ours)
    d = group_sequential(k=3, alpha=0.025, beta=0.1)
    res = stagewise_inference(d, z=2.8, look=2)
    assert res.p_value == pytest.approx(0.002607396414, abs=1e-10)
    mue, lo, hi = res.hazard_ratio(max_events=300)
    assert 1 / mue == pytest.approx(1.485379413, rel=1e-7)
    assert 1 / hi == pytest.approx(1.125459363, rel=1e-7)
    assert 1 / lo == pytest.approx(1.960030651, rel=1e-7)
    assert lo < mue < hi


def test_single_look_reduces_to_the_fixed_sample_test():
    d = group_sequential(k=1)
    res = stagewise_inference(d, z=1.7, look=1, level=0.9)
    assert res.p_value == pytest.approx(1 - N.cdf(1.7), abs=1e-12)
    assert res.median_unbiased == pytest.approx(1.7, abs=1e-8)
    q = N.inv_cdf(0.95)
    assert (res.lower, res.upper) == pytest.approx((1.7 - q, 1.7 + q), abs=1e-8)


@pytest.mark.slow
def test_stagewise_p_value_monte_carlo():
    d = group_sequential([0.3, 0.6, 1.0], alpha=0.025, alpha_spending="asP")
    res = stagewise_inference(d, z=2.4, look=2)
    rng = np.random.default_rng(4242)
    n = 200_000
    t = d.information_fractions
    inc = np.diff(np.r_[0.0, t])
    z = np.cumsum(rng.standard_normal((n, 3)) * np.sqrt(inc), axis=1) / np.sqrt(t)
    more_extreme = (z[:, 0] >= d.upper[0]) | ((z[:, 0] < d.upper[0]) & (z[:, 1] >= 2.4))
    se = math.sqrt(res.p_value * (1 - res.p_value) / n)
    assert abs(more_extreme.mean() - res.p_value) < 3 * se


def test_two_sided_is_symmetric():
    d = group_sequential(k=3, alpha=0.05, sided=2)
    a = stagewise_inference(d, z=2.8, look=2)
    b = stagewise_inference(d, z=-2.8, look=2)
    assert a.p_value == pytest.approx(b.p_value, abs=1e-14)
    assert (a.median_unbiased, a.lower, a.upper) == pytest.approx((-b.median_unbiased, -b.upper, -b.lower), abs=1e-8)
    assert "p = " in repr(a) and len(res_frame := a.to_frame()) == 1 and "median_unbiased_drift" in res_frame


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"z": 2.0, "look": 0}, "look"),
        ({"z": 2.0, "look": 4}, "look"),
        ({"z": float("inf"), "look": 1}, "z: must be finite"),
        ({"z": 2.0, "look": 1, "level": 1.5}, "level"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        stagewise_inference(group_sequential(k=3), **kwargs)
