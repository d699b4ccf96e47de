"""Tests of survtrial.simulate.piecewise against plain-loop implementations and Monte-Carlo checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from survtrial.errors import InputError
from survtrial.simulate.piecewise import (
    PiecewiseHazard,
    piecewise_cumulative_hazard,
    piecewise_inverse_cumulative_hazard,
    piecewise_survival,
    sample_piecewise_exponential,
    stack_hazards,
)


def loop_cumulative_hazard(t: float, breaks: list[float], rates: list[float]) -> float:
    """Double programming: H(t) as a sum over intervals, one at a time."""
    total = 0.0
    for j, rate in enumerate(rates):
        start = breaks[j]
        end = breaks[j + 1] if j + 1 < len(breaks) else math.inf
        if t <= start:
            break
        total += rate * (min(t, end) - start)
    return total


@st.composite
def hazards(draw, zero_tail: bool = False):
    k = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.floats(0.05, 3.0), min_size=k - 1, max_size=k - 1))
    breaks = [0.0, *np.cumsum(gaps).tolist()]
    rates = draw(st.lists(st.floats(0.0, 2.0), min_size=k, max_size=k))
    if zero_tail:
        rates[-1] = 0.0
    return breaks, rates


@settings(max_examples=50, deadline=None)
@given(hazards(), st.lists(st.floats(0.0, 20.0), min_size=1, max_size=8))
def test_cumulative_hazard_matches_plain_loop(hz, times):
    breaks, rates = hz
    got = piecewise_cumulative_hazard(times, breaks, rates)
    want = [loop_cumulative_hazard(t, breaks, rates) for t in times]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(piecewise_survival(times, breaks, rates), np.exp(-np.asarray(want)), rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(hazards(), st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8))
def test_inverse_is_inverse_of_cumulative_hazard(hz, fractions):
    breaks, rates = hz
    # targets below the hazard accumulated up to a finite time, so the inverse is finite
    h_max = loop_cumulative_hazard(breaks[-1] + 5.0, breaks, rates)
    h = np.asarray(fractions) * h_max
    t = piecewise_inverse_cumulative_hazard(h, breaks, rates)
    assert np.all(np.isfinite(t))
    np.testing.assert_allclose(piecewise_cumulative_hazard(t, breaks, rates), h, rtol=1e-10, atol=1e-12)
    # smallest such t: just before it, H is strictly below h (where h > 0). A hazard > 0 but so small
    # that it adds less than rounding over the step (e.g. 1e-14 x 1e-6 to h near 1) cannot show it;
    # a zero hazard just before t (t inside or after a flat stretch) always fails here
    step = 1e-6
    before = piecewise_cumulative_hazard(np.maximum(t - step, 0.0), breaks, rates)
    rate_before = np.asarray(rates)[np.searchsorted(breaks, np.maximum(t - step, 0.0), side="right") - 1]
    unresolvable = (rate_before > 0) & (rate_before * step <= 8 * np.finfo(float).eps * h)
    assert np.all((before < h) | (h == 0) | (t == 0) | unresolvable)


def test_inverse_takes_the_smallest_time_across_a_zero_hazard_gap():
    # rates 0.2 on [0,1), 0 on [1,2), 0.1 after: H = 0.2 on the whole of [1, 2]
    t = piecewise_inverse_cumulative_hazard([0.2, 0.25], [0.0, 1.0, 2.0], [0.2, 0.0, 0.1])
    np.testing.assert_allclose(t, [1.0, 2.5])


def test_zero_tail_is_a_cure_fraction_and_sampling_matches_it():
    h = PiecewiseHazard([0.0, 1.0, 3.0], [0.3, 0.1, 0.0])
    cure = math.exp(-(0.3 * 1 + 0.1 * 2))  # hand-computed S(infinity)
    assert h.cure_fraction == pytest.approx(cure, rel=1e-12)
    assert np.isinf(h.inverse_cumulative_hazard(0.5 + 1e-9))
    n = 40_000
    draws = h.sample(n, rng=11)
    se = math.sqrt(cure * (1 - cure) / n)
    assert abs(np.isinf(draws).mean() - cure) < 3 * se
    assert np.all(draws[np.isfinite(draws)] <= 3.0)


def test_sampling_reproduces_the_survival_function():
    h = PiecewiseHazard([0.0, 0.5, 2.0], [0.6, 0.2, 0.05])
    n = 50_000
    draws = h.sample(n, rng=2024)
    for t in (0.25, 0.5, 1.0, 2.0, 6.0):
        s = float(h.survival(t))
        se = math.sqrt(s * (1 - s) / n)
        assert abs((draws > t).mean() - s) < 3 * se, t


def test_two_dimensional_rates_equal_per_row_computations():
    breaks = [0.0, 1.0, 2.5]
    rates = np.array([[0.1, 0.2, 0.0], [0.5, 0.05, 0.3], [0.0, 1.0, 0.1]])
    rng = np.random.default_rng(3)
    row = rng.integers(0, 3, size=200)
    t = rng.uniform(0, 6, size=200)
    got = piecewise_cumulative_hazard(t, breaks, rates, row=row)
    want = np.array([loop_cumulative_hazard(ti, breaks, list(rates[r])) for ti, r in zip(t, row, strict=True)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    h = rng.uniform(0, 0.5, size=200)
    inv = piecewise_inverse_cumulative_hazard(h, breaks, rates, row=row)
    for r in range(3):
        mask = row == r
        np.testing.assert_allclose(inv[mask], piecewise_inverse_cumulative_hazard(h[mask], breaks, rates[r]))


def test_sampling_uses_one_exponential_per_subject_in_input_order():
    breaks, rates = [0.0, 1.0], np.array([[0.2, 0.1], [1.0, 0.5]])
    row = np.array([0, 1, 1, 0, 1])
    got = sample_piecewise_exponential(breaks, rates, row=row, rng=5)
    e = np.random.default_rng(5).standard_exponential(5)
    np.testing.assert_array_equal(got, piecewise_inverse_cumulative_hazard(e, breaks, rates, row=row))


def test_restricted_mean_matches_numerical_integral():
    h = PiecewiseHazard([0.0, 1.0, 2.0, 3.0], [0.05, 0.1, 0.0, 0.02])
    for tau in (0.5, 2.5, 3.0, 7.0):
        want, _ = quad(lambda u: float(h.survival(u)), 0, tau, points=[1, 2, 3], epsabs=1e-13)
        assert h.restricted_mean(tau) == pytest.approx(want, rel=1e-10)


def test_quantile_refine_scaled_and_stack():
    h = PiecewiseHazard([0.0, 2.0], [0.1, 0.3])
    assert float(h.survival(h.quantile(0.5))) == pytest.approx(0.5, rel=1e-12)
    fine = h.refine([0.0, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(fine.rates, [0.1, 0.1, 0.3, 0.3])
    np.testing.assert_allclose(fine.survival([0.7, 3.3]), h.survival([0.7, 3.3]), rtol=1e-14)
    np.testing.assert_allclose(h.scaled(0.5).cumulative_hazard(3.0), 0.5 * h.cumulative_hazard(3.0))
    other = PiecewiseHazard([0.0, 1.0], [0.4, 0.0])
    breaks, rates = stack_hazards([h, other])
    np.testing.assert_array_equal(breaks, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(rates, [[0.1, 0.1, 0.3], [0.4, 0.0, 0.0]])
    assert h == PiecewiseHazard([0, 2], [0.1, 0.3])
    assert list(h.to_frame().columns) == ["start", "end", "rate", "survival_at_start"]
    assert len(repr(PiecewiseHazard(np.arange(50.0), np.ones(50)))) < 120


@pytest.mark.parametrize(
    ("breaks", "rates", "message"),
    [
        ([1.0, 2.0], [0.1, 0.1], "start at 0"),
        ([0.0, 2.0, 1.0], [0.1, 0.1, 0.1], "strictly increasing"),
        ([0.0, 1.0], [0.1, -0.2], "rate -0.2 at position 1"),
        ([0.0, 1.0], [0.1], "one rate per interval"),
        ([0.0, 1.0], [0.1, np.nan], "finite"),
    ],
)
def test_invalid_hazards_are_refused(breaks, rates, message):
    with pytest.raises(InputError, match=message):
        PiecewiseHazard(breaks, rates)


def test_two_dimensional_rates_need_rows():
    with pytest.raises(InputError, match="row="):
        piecewise_cumulative_hazard([1.0], [0.0], [[0.1], [0.2]])
    with pytest.raises(InputError, match="indices must lie"):
        piecewise_cumulative_hazard([1.0], [0.0], [[0.1], [0.2]], row=[2])
    with pytest.raises(InputError, match="times must be >= 0"):
        piecewise_cumulative_hazard([-1.0], [0.0], [0.1])


def test_inverse_with_a_hazard_below_rounding_over_a_small_step():
    # found by the property above: rates (1, 1e-14) after t = 1; h = H(6) lies 5e-14 above H(1)
    h = loop_cumulative_hazard(6.0, [0.0, 1.0], [1.0, 1e-14])
    t = piecewise_inverse_cumulative_hazard([h], [0.0, 1.0], [1.0, 1e-14])
    np.testing.assert_allclose(piecewise_cumulative_hazard(t, [0.0, 1.0], [1.0, 1e-14]), [h], rtol=1e-15)
    assert 5.9 < t[0] < 6.1  # the rounded h - 1 over the tiny rate
