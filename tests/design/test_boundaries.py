"""Tests for survtrial.design.boundaries: rpact 3.3.4 outputs, Jennison & Turnbull tables, independent
quadrature (scipy.integrate), Monte-Carlo z-processes, and invariants.

The rpact values in _rpact_designs.py were printed by (R 4, rpact 3.3.4):

    show <- function(d) { ch <- getDesignCharacteristics(d)
      for (x in list(d$criticalValues, d$futilityBounds, d$alphaSpent, d$betaSpent, d$stageLevels,
                     ch$shift, ch$inflationFactor, ch$rejectionProbabilities, ch$futilityProbabilities,
                     ch$averageSampleNumber1, ch$averageSampleNumber01, ch$averageSampleNumber0))
        cat(format(x, digits = 10), "\\n") }
    show(getDesignGroupSequential(...))   # the calls listed with each entry
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from _rpact_designs import RPACT_DESIGNS
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from survtrial.design import _recursion as rec
from survtrial.design import crossing_probabilities, group_sequential, spending_function
from survtrial.errors import InputError

N = NormalDist()


def _got(d):
    return {
        "criticalValues": d.upper,
        "futilityBounds": d.lower[:-1],
        "alphaSpent": d.alpha_spent,
        "betaSpent": d.beta_spent,
        "stageLevels": d.nominal_alpha,
        "shift": d.drift**2,
        "inflationFactor": d.inflation_factor,
        "rejectionProbabilities": d.upper_h1,
        "futilityProbabilities": d.lower_h1[:-1],
        "ASN1": d.expected_information_h1,
        "ASN01": d.expected_information(d.drift / 2),
        "ASN0": d.expected_information_h0,
    }


# Tolerances: rpact prints 10 digits but its own integration and root finding are accurate to about
# 1e-8 in these K <= 4 bounds (alphaSpent stops at 0.02499999); our quadrature converges to ~1e-12
# (test_quadrature_is_converged), so the differences below are rpact's.
_ATOL = {"criticalValues": 1e-7, "futilityBounds": 1e-7, "alphaSpent": 2e-8}
_RTOL = {"shift": 1e-7, "inflationFactor": 1e-7, "ASN1": 1e-7, "ASN01": 1e-7, "ASN0": 1e-7}


@pytest.mark.parametrize(("call", "kwargs", "expected"), RPACT_DESIGNS, ids=[c[0][26:90] for c in RPACT_DESIGNS])
def test_design_matches_rpact(call, kwargs, expected):
    got = _got(group_sequential(**kwargs))
    for key, value in expected.items():
        if key in _RTOL:
            np.testing.assert_allclose(got[key], value, rtol=_RTOL[key], err_msg=f"{call}: {key}")
        else:
            np.testing.assert_allclose(got[key], value, rtol=0, atol=_ATOL.get(key, 1e-8), err_msg=f"{call}: {key}")


def test_lan_demets_obrien_fleming_k4_printed_values():
    # Brief / rpact print (4 decimals): getDesignGroupSequential(kMax = 4, alpha = 0.025, typeOfDesign = "asOF")
    d = group_sequential(k=4, alpha=0.025)
    assert np.round(d.upper, 4).tolist() == [4.3326, 2.9631, 2.3590, 2.0141]


def test_ten_looks_with_beta_spending_matches_rpact():
    # getDesignGroupSequential(kMax = 10, alpha = 0.025, beta = 0.1, sided = 1, typeOfDesign = "asOF",
    #                          typeBetaSpending = "bsOF", bindingFutility = FALSE)
    critical = [6.991351707, 4.876885198, 3.929682307, 3.367079072, 2.989329822, 2.714808993,
                2.504077397, 2.335829206, 2.197503380, 2.081175663]  # fmt: skip
    futility = [-3.9784865170, -1.9520393158, -0.9025311540, -0.2031370490, 0.3245877256,
                0.7529775281, 1.1170083839, 1.4365954488, 1.7314773244]  # fmt: skip
    shift = 11.93925786
    d = group_sequential(k=10, alpha=0.025, beta=0.1, beta_spending="OF")
    # rpact's grid error grows with K: it differs from our converged values by up to 1.7e-7 here
    np.testing.assert_allclose(d.upper, critical, atol=3e-7, rtol=0)
    np.testing.assert_allclose(d.lower[:-1], futility, atol=3e-7, rtol=0)
    np.testing.assert_allclose(d.drift**2, shift, rtol=1e-7)


def test_pocock_beta_spending_with_small_first_fractions_matches_rpact():
    # getDesignGroupSequential(informationRates = c(0.1, 0.2, 0.5, 0.75, 1), alpha = 0.025, beta = 0.1,
    #     typeOfDesign = "asP", typeBetaSpending = "bsP", bindingFutility = FALSE)
    # $criticalValues 2.655110048 2.623241954 2.344803952 2.360109068 2.352495752
    # $futilityBounds -0.9269368137 -0.3465483910 1.0031105303 1.6630232628 ; shift 14.91018044
    d = group_sequential([0.1, 0.2, 0.5, 0.75, 1], alpha_spending="asP", beta_spending="asP")
    np.testing.assert_allclose(d.upper, [2.655110048, 2.623241954, 2.344803952, 2.360109068, 2.352495752], atol=1e-7)
    np.testing.assert_allclose(d.lower[:-1], [-0.9269368137, -0.3465483910, 1.0031105303, 1.6630232628], atol=1e-7)
    np.testing.assert_allclose(d.drift**2, 14.91018044, rtol=1e-7)


# Jennison & Turnbull (2000), Table 2.1 (Pocock C_P(K, alpha)) and Table 2.3 (O'Brien-Fleming
# C_B(K, alpha)), two-sided alpha = 0.05, equally spaced looks, printed to 3 decimals.
JT_POCOCK = {1: 1.960, 2: 2.178, 3: 2.289, 4: 2.361, 5: 2.413}
JT_OBF = {1: 1.960, 2: 1.977, 3: 2.004, 4: 2.024, 5: 2.040}
# rpact, getDesignGroupSequential(kMax = K, alpha = 0.05, sided = 2, typeOfDesign = "P" / "OF"):
# Pocock: the constant; OF: the last critical value (= C_B). Same for one-sided alpha = 0.025.
RPACT_TWO_SIDED = {
    "P": [1.959963985, 2.178272089, 2.289478061, 2.361297891, 2.41317622],
    "OF": [1.959963985, 1.977430959, 2.004035579, 2.0242955, 2.040073175],
}
RPACT_ONE_SIDED = {
    "P": [1.959963985, 2.178272095, 2.289478456, 2.361299665, 2.413180287],
    "OF": [1.959963985, 1.977430959, 2.004035580, 2.024295504, 2.040073188],
}


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_classic_constants_jennison_turnbull_tables(k):
    p = group_sequential(k=k, alpha=0.05, sided=2, test_type="P")
    of = group_sequential(k=k, alpha=0.05, sided=2, test_type="OF")
    assert round(float(p.upper[0]), 3) == JT_POCOCK[k]
    np.testing.assert_allclose(p.upper, p.upper[0], rtol=1e-14)  # Pocock: one constant
    assert round(float(of.upper[-1]), 3) == JT_OBF[k]
    # O'Brien-Fleming shape: c_k = C_B sqrt(K / k)
    np.testing.assert_allclose(of.upper, of.upper[-1] * np.sqrt(k / np.arange(1, k + 1)), rtol=1e-13)
    np.testing.assert_allclose(p.upper[0], RPACT_TWO_SIDED["P"][k - 1], atol=1e-8)
    np.testing.assert_allclose(of.upper[-1], RPACT_TWO_SIDED["OF"][k - 1], atol=1e-8)
    # exact two-sided size
    assert p.alpha_spent[-1] == pytest.approx(0.05, abs=1e-12)
    p1 = group_sequential(k=k, alpha=0.025, test_type="P")
    of1 = group_sequential(k=k, alpha=0.025, test_type="OF")
    np.testing.assert_allclose(p1.upper[0], RPACT_ONE_SIDED["P"][k - 1], atol=1e-8)
    np.testing.assert_allclose(of1.upper[-1], RPACT_ONE_SIDED["OF"][k - 1], atol=1e-8)


def test_wang_tsiatis_spans_obrien_fleming_and_pocock():
    t = [0.3, 0.6, 1.0]
    np.testing.assert_allclose(
        group_sequential(t, test_type="WT", delta=0.0).upper, group_sequential(t, test_type="OF").upper, rtol=1e-12
    )
    np.testing.assert_allclose(
        group_sequential(t, test_type="WT", delta=0.5).upper, group_sequential(t, test_type="P").upper, rtol=1e-12
    )


# ---------------------------------------------------------------------------------------------
# Double programming: crossing probabilities by plain adaptive quadrature (scipy.integrate)


def _plain_two_look(b1, a1, b2, t1, drift):
    """P(cross upper at 1), P(cross lower at 1), P(cross upper at 2) with information t1 < 1 = t2.

    Z1 ~ N(drift sqrt(t1), 1); given Z1 = z, Z2 ~ N(z sqrt(t1) + drift (1 - t1), 1 - t1).
    """
    m1 = drift * math.sqrt(t1)
    up1 = 1 - N.cdf(b1 - m1)
    low1 = N.cdf(a1 - m1)

    def integrand(z):
        return N.pdf(z - m1) * (1 - N.cdf((b2 - z * math.sqrt(t1) - drift * (1 - t1)) / math.sqrt(1 - t1)))

    up2 = integrate.quad(integrand, a1, b1, epsabs=1e-14, epsrel=1e-12)[0]
    return up1, low1, up2


@pytest.mark.parametrize("binding", [False, True])
def test_two_look_design_equals_plain_quadrature(binding):
    d = group_sequential([0.45, 1.0], alpha=0.025, beta=0.15, beta_spending="KD(2)", binding_futility=binding)
    for drift, up, low in [(0.0, d.upper_h0, d.lower_h0), (d.drift, d.upper_h1, d.lower_h1)]:
        up1, low1, up2 = _plain_two_look(d.upper[0], d.lower[0], d.upper[1], 0.45, drift)
        np.testing.assert_allclose([up[0], low[0], up[1]], [up1, low1, up2], atol=1e-11)
    # beta spent at look 1 is exactly the KD(2) beta spending: 0.15 * 0.45^2
    assert d.beta_spent[0] == pytest.approx(0.15 * 0.45**2, abs=1e-12)
    assert d.power == pytest.approx(0.85, abs=1e-10)


def test_three_look_alpha_equals_plain_double_integral():
    d = group_sequential([0.3, 0.65, 1.0], alpha=0.025, alpha_spending="HSD(-2)")
    t = np.array([0.3, 0.65, 1.0])
    b = d.upper

    # P(Z1 < b1, Z2 < b2, Z3 >= b3) under H0, scores S_k = sqrt(t_k) Z_k with independent increments
    def inner(z2, z1):
        s2 = z2 * math.sqrt(t[1])
        cond = N.pdf((s2 - z1 * math.sqrt(t[0])) / math.sqrt(t[1] - t[0])) * math.sqrt(t[1] / (t[1] - t[0]))
        return N.pdf(z1) * cond * (1 - N.cdf((b[2] - s2) / math.sqrt(1 - t[1])))

    p3 = integrate.dblquad(inner, -9, b[0], -9, b[1], epsabs=1e-13, epsrel=1e-11)[0]
    increments = np.diff(np.r_[0.0, d.alpha_spent])
    assert increments[2] == pytest.approx(p3, abs=1e-10)
    expected = spending_function("HSD(-2)")(t, 0.025)
    np.testing.assert_allclose(d.alpha_spent, expected, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Monte-Carlo: z-processes with the canonical covariance (fixed seed, 200k paths)


def _simulate_first_crossing(t, lower, upper, drift, n, rng):
    inc = np.diff(np.r_[0.0, t])
    s = np.cumsum(rng.standard_normal((n, t.size)) * np.sqrt(inc) + drift * inc, axis=1)
    z = s / np.sqrt(t)
    alive = np.ones(n, bool)
    up = np.zeros(t.size)
    low = np.zeros(t.size)
    for k in range(t.size):
        hit_up = alive & (z[:, k] >= upper[k])
        hit_low = alive & (z[:, k] < lower[k])
        up[k], low[k] = hit_up.mean(), hit_low.mean()
        alive &= ~(hit_up | hit_low)
    return up, low


@pytest.mark.slow
def test_monte_carlo_alpha_per_look_and_power():
    d = group_sequential([0.25, 0.5, 0.75, 1.0], alpha=0.025, beta=0.1, alpha_spending="asP", beta_spending="asOF")
    rng = np.random.default_rng(20240611)
    n = 200_000
    t = d.information_fractions
    # H0, futility ignored (non-binding): per-look alpha = spending increments
    up0, _ = _simulate_first_crossing(t, np.full(4, -np.inf), d.upper, 0.0, n, rng)
    alpha_inc = np.diff(np.r_[0.0, d.alpha_spent])
    se = np.sqrt(alpha_inc * (1 - alpha_inc) / n)
    assert np.all(np.abs(up0 - alpha_inc) < 3 * se), (up0, alpha_inc, se)
    # H1 with all bounds: per-look efficacy and futility crossing and total power
    up1, low1 = _simulate_first_crossing(t, d.lower, d.upper, d.drift, n, rng)
    for sim, exact in [(up1, d.upper_h1), (low1, d.lower_h1)]:
        se = np.sqrt(exact * (1 - exact) / n)
        assert np.all(np.abs(sim - exact) <= 3 * se + 1e-12), (sim, exact, se)
    se_power = math.sqrt(0.9 * 0.1 / n)
    assert abs(up1.sum() - 0.9) < 3 * se_power


# ---------------------------------------------------------------------------------------------
# Numerical accuracy and invariants


@pytest.mark.parametrize(
    "fractions", [np.arange(1, 11) / 10, [0.5, 0.52, 0.9, 0.91, 1.0], [0.3, 0.301, 1.0], [0.05, 1.0]]
)
def test_quadrature_is_converged(monkeypatch, fractions):
    """Bounds at the default panel width equal those on a 4x finer grid to 1e-9 (also for close looks,
    where rpact 3.3.4 stops with 'critical values cannot be calculated')."""
    kw = {"alpha_spending": "asP", "beta_spending": "asOF"}
    d = group_sequential(fractions, **kw)
    monkeypatch.setattr(rec, "PANEL", rec.PANEL / 4)
    monkeypatch.setattr(rec, "_MAX_REFINE", 40.0)
    fine = group_sequential(fractions, **kw)
    np.testing.assert_allclose(d.upper, fine.upper, atol=1e-9)
    np.testing.assert_allclose(d.lower, fine.lower, atol=1e-9)
    assert d.drift == pytest.approx(fine.drift, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    fractions=st.lists(st.floats(0.05, 0.95), min_size=0, max_size=5, unique=True),
    alpha=st.sampled_from([0.01, 0.025, 0.05]),
    beta=st.sampled_from([0.1, 0.2]),
    spend=st.sampled_from(["asOF", "asP", "asHSD(-4)", "asHSD(1)", "asKD(2)"]),
    futility=st.sampled_from([None, "asOF", "asHSD(-2)", "asKD(3)"]),
    binding=st.booleans(),
)
def test_design_invariants(fractions, alpha, beta, spend, futility, binding):
    t = np.r_[np.sort(np.asarray(fractions)), 1.0]
    if np.any(np.diff(t) < 0.02):
        return
    d = group_sequential(
        t, alpha=alpha, beta=beta, alpha_spending=spend, beta_spending=futility, binding_futility=binding
    )
    sf = spending_function(spend)
    np.testing.assert_allclose(d.alpha_spent, sf(t, alpha), atol=1e-10)  # spends exactly as planned
    assert d.power == pytest.approx(1 - beta, abs=1e-8)
    assert d.beta_spent[-1] == pytest.approx(beta, abs=1e-8)
    assert np.all(d.lower <= d.upper)
    assert d.expected_information_h1 <= d.inflation_factor + 1e-12
    total_h0 = d.upper_h0.sum() + d.lower_h0.sum()
    assert total_h0 <= 1 + 1e-9
    if futility is None:
        assert d.inflation_factor >= 1 - 1e-9
        assert np.all(np.isinf(d.lower))
    else:
        np.testing.assert_allclose(d.beta_spent[:-1], spending_function(futility)(t, beta)[:-1], atol=1e-8)
        assert d.lower[-1] == d.upper[-1]
        if binding:  # with binding futility the H0 rejection probability (all bounds) is alpha
            assert d.upper_h0.sum() == pytest.approx(alpha, abs=1e-9)
        else:  # non-binding: obeying futility only lowers the type I error
            assert d.upper_h0.sum() <= alpha + 1e-12


def test_binding_futility_needs_less_information_than_non_binding():
    nb = group_sequential(k=4, beta_spending="OF")
    b = group_sequential(k=4, beta_spending="OF", binding_futility=True)
    assert b.drift < nb.drift
    assert np.all(b.upper[1:] <= nb.upper[1:])
    assert b.upper[0] == nb.upper[0]  # nothing to bind before the first look


def test_single_look_is_the_fixed_design():
    d = group_sequential(k=1, alpha=0.025, power=0.8)
    assert d.upper[0] == pytest.approx(N.inv_cdf(0.975), abs=1e-12)
    assert d.inflation_factor == pytest.approx(1.0, abs=1e-10)
    assert d.drift == pytest.approx(N.inv_cdf(0.975) + N.inv_cdf(0.8), abs=1e-10)


def test_fixed_futility_bounds():
    t = [1 / 3, 2 / 3, 1]
    nb = group_sequential(t, futility_bounds=[0.0, 0.5])
    plain = group_sequential(t)
    np.testing.assert_allclose(nb.upper, plain.upper, rtol=0, atol=0)  # non-binding: efficacy unchanged
    assert nb.drift > plain.drift  # futility stops cost power
    b = group_sequential(t, futility_bounds=[0.0, 0.5], binding_futility=True)
    assert b.upper_h0.sum() == pytest.approx(0.025, abs=1e-10)
    assert np.all(b.upper[1:] < plain.upper[1:])
    p = crossing_probabilities(b.lower, b.upper, t, 0.0)
    np.testing.assert_allclose(p.upper, b.upper_h0, atol=1e-14)


def test_hazard_ratio_bounds_match_rpact_effect_scale():
    # d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF",
    #                               typeBetaSpending = "bsOF")
    # s <- getSampleSizeSurvival(d, hazardRatio = 0.7, lambda2 = log(2) / 12, allocationRatioPlanned = 2,
    #                            accrualTime = c(0, 24), followUpTime = 12)
    # s$maxNumberOfEvents 393.750226029
    # s$criticalValuesEffectScale 0.5030758132 0.7197704409 0.8081030616
    # s$futilityBoundsEffectScale 1.13723969 0.87699610
    d = group_sequential(k=3, alpha=0.025, beta=0.1, beta_spending="OF")
    hr = d.hazard_ratio_bounds(393.750226029, allocation_ratio=2)
    np.testing.assert_allclose(hr["efficacy_hr"], [0.5030758132, 0.7197704409, 0.8081030616], atol=1e-8)
    np.testing.assert_allclose(hr["futility_hr"][:2], [1.13723969, 0.87699610], atol=1e-8)
    np.testing.assert_allclose(hr["events"], 393.750226029 * d.information_fractions)
    # Schoenfeld by hand, equal allocation, events per look given
    hr1 = d.hazard_ratio_bounds([100, 200, 300])
    np.testing.assert_allclose(hr1["efficacy_hr"], np.exp(-d.upper * 2 / np.sqrt([100, 200, 300])), rtol=1e-14)


def test_two_sided_lower_bounds_mirror_upper():
    d = group_sequential(k=3, alpha=0.05, sided=2)
    np.testing.assert_allclose(d.lower, -d.upper)
    np.testing.assert_allclose(d.upper_h0, d.lower_h0, atol=1e-13)
    assert d.alpha_spent[-1] == pytest.approx(0.05, abs=1e-12)
    assert "harm_hr" in d.hazard_ratio_bounds(300).columns


def test_frame_and_repr():
    d = group_sequential(k=4, beta_spending="OF")
    f = d.to_frame()
    assert isinstance(f, pd.DataFrame) and len(f) == 4
    assert {"efficacy_z", "futility_z", "nominal_alpha", "cumulative_alpha_spent", "cumulative_power"} <= set(f)
    np.testing.assert_allclose(f["cumulative_power"].iloc[-1], 0.9, atol=1e-9)
    text = repr(d)
    assert len(text.splitlines()) <= 6 and "asOF" in text and "non-binding" in text
    with pytest.raises(AttributeError):
        d.alpha = 0.05  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "information_fractions=.* or k="),
        ({"k": 0}, "k: number of looks"),
        ({"information_fractions": [0.5, 0.4, 1]}, "strictly increasing"),
        ({"information_fractions": [0.5, 0.9]}, "last look must be at 1"),
        ({"information_fractions": [0.5, 1], "k": 3}, "does not match"),
        ({"k": 2, "alpha": 1.2}, "alpha: must be in"),
        ({"k": 2, "alpha": 0}, "alpha: must be in"),
        ({"k": 2, "beta": -0.1}, "beta: must be in"),
        ({"k": 2, "beta": 0.1, "power": 0.8}, "disagree"),
        ({"k": 2, "power": 0.01}, "must exceed"),
        ({"k": 2, "sided": 3}, "sided"),
        ({"k": 2, "alpha_spending": "asFOO"}, "alpha_spending"),
        ({"k": 2, "beta_spending": [0.01, 0.2]}, "beta_spending: the last cumulative value"),
        ({"k": 2, "alpha_spending": [0.01]}, "one cumulative value per look"),
        ({"k": 2, "sided": 2, "beta_spending": "OF"}, "one-sided"),
        ({"k": 2, "test_type": "XX"}, "test_type"),
        ({"k": 2, "test_type": "WT"}, "needs delta"),
        ({"k": 2, "test_type": "P", "alpha_spending": "OF"}, "does not apply"),
        ({"k": 2, "test_type": "OF", "beta_spending": "OF", "binding_futility": True}, "binding"),
        ({"k": 3, "futility_bounds": [0.0]}, "one z-bound per interim"),
        ({"k": 2, "futility_bounds": [3.0]}, "above the efficacy bound"),
        ({"k": 2, "beta_spending": "OF", "futility_bounds": [0.0]}, "not both"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    with pytest.raises(InputError, match=match):
        group_sequential(**kwargs)


def test_hazard_ratio_bounds_bad_input():
    d = group_sequential(k=2)
    with pytest.raises(InputError, match="events"):
        d.hazard_ratio_bounds([10, 20, 30])
    with pytest.raises(InputError, match="allocation_ratio"):
        d.hazard_ratio_bounds(100, allocation_ratio=0)
