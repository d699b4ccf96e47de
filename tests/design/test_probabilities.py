"""Tests for survtrial.design.crossing_probabilities: plain quadrature, scipy's multivariate normal, invariants."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import multivariate_normal

from survtrial.design import crossing_probabilities, group_sequential
from survtrial.errors import InputError

N = NormalDist()


def test_two_looks_equal_plain_quadrature():
    info = [0.4, 1.0]
    lower, upper, drift = [-0.3, 1.9], [2.7, 1.9], 2.5
    p = crossing_probabilities(lower, upper, info, drift)
    m1 = drift * math.sqrt(0.4)

    def density_times_tail(z, sign):
        m2 = z * math.sqrt(0.4) + drift * 0.6
        x = (1.9 - m2) / math.sqrt(0.6)
        return N.pdf(z - m1) * (1 - N.cdf(x) if sign > 0 else N.cdf(x))

    up2 = integrate.quad(density_times_tail, -0.3, 2.7, args=(1,), epsabs=1e-14)[0]
    low2 = integrate.quad(density_times_tail, -0.3, 2.7, args=(-1,), epsabs=1e-14)[0]
    np.testing.assert_allclose(p.upper, [1 - N.cdf(2.7 - m1), up2], atol=1e-12)
    np.testing.assert_allclose(p.lower, [N.cdf(-0.3 - m1), low2], atol=1e-12)
    # every path ends somewhere: the last look has lower == upper
    assert p.total_upper + p.total_lower == pytest.approx(1.0, abs=1e-12)


def test_no_crossing_before_the_last_look_equals_multivariate_normal():
    """P(Z1 < b1, Z2 < b2, Z3 < b3) from scipy's multivariate normal CDF with Cov = sqrt(t_j / t_k)."""
    t = np.array([0.25, 0.6, 1.0])
    b = np.array([2.9, 2.4, 2.0])
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    expected = multivariate_normal.cdf(
        b, mean=np.zeros(3), cov=cov, abseps=1e-10, releps=1e-10, maxpts=2_000_000, rng=np.random.default_rng(7)
    )
    p = crossing_probabilities(None, b, t, 0.0)
    assert 1.0 - p.total_upper == pytest.approx(expected, abs=5e-9)  # Genz QMC error ~1e-9


def test_absolute_information_and_fractions_agree():
    theta = 0.15
    a = crossing_probabilities(None, [2.8, 1.98], [50, 100], theta)
    b = crossing_probabilities(None, [2.8, 1.98], [0.5, 1.0], theta * math.sqrt(100))
    np.testing.assert_allclose(a.upper, b.upper, rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    gaps=st.lists(st.floats(0.02, 1.0), min_size=1, max_size=6),
    c=st.floats(1.0, 4.0),
    drift=st.floats(-2.0, 5.0),
)
def test_probabilities_are_probabilities_and_monotone_in_drift(gaps, c, drift):
    info = np.cumsum(gaps)
    upper = np.full(info.size, c)
    p = crossing_probabilities(None, upper, info, drift)
    assert np.all(p.upper >= -1e-15) and p.total_upper <= 1 + 1e-12
    q = crossing_probabilities(None, upper, info, drift + 0.5)
    assert q.total_upper >= p.total_upper - 1e-12
    # symmetric bounds under H0: both sides equally likely at every look
    s = crossing_probabilities(-upper, upper, info, 0.0)
    np.testing.assert_allclose(s.upper, s.lower, atol=1e-12)


def test_expected_information_and_frame():
    d = group_sequential(k=3, beta_spending="OF")
    p = d.probabilities(d.drift)
    stop = p.upper + p.lower
    assert p.expected_information == pytest.approx(float(stop @ d.information_fractions), abs=1e-12)
    f = p.to_frame()
    assert list(f.columns) == ["look", "information", "upper", "lower", "cumulative_upper", "cumulative_lower"]
    assert "CrossingProbabilities(K=3" in repr(p)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.0, 0.0], [1.0, 1.0], [0.5, 0.4]), "information: need strictly increasing"),
        (([0.0, 0.0], [1.0, 1.0], [0.0, 1.0]), "information"),
        (([0.0], [1.0, 1.0], [0.5, 1.0]), "lower: need one bound per look"),
        (([0.0, 0.0], [1.0, float("nan")], [0.5, 1.0]), "upper: bound at look 2 is NaN"),
        (([2.0, 0.0], [1.0, 1.0], [0.5, 1.0]), "lower: bound at look 1"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(InputError, match=match):
        crossing_probabilities(*args)
    with pytest.raises(InputError, match="drift"):
        crossing_probabilities(None, [2.0], [1.0], float("inf"))
