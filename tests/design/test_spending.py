"""Tests for survtrial.design.spending: formulas against rpact alphaSpent and plain re-implementations."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.design.spending import (
    SpendingFunction,
    hwang_shih_decani_spending,
    kim_demets_spending,
    obrien_fleming_spending,
    pocock_spending,
    spending_function,
    user_spending,
)
from survtrial.errors import InputError

N = NormalDist()

# rpact 3.3.4, `d$alphaSpent` printed with digits = 10 (the spending function at the looks):
#   getDesignGroupSequential(kMax = 4, alpha = 0.025, sided = 1, typeOfDesign = "asOF")
#   getDesignGroupSequential(informationRates = c(0.2, 0.45, 0.7, 1), alpha = 0.025, typeOfDesign = "asP")
#   getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "asHSD", gammaA = -4)
#   getDesignGroupSequential(informationRates = c(0.3, 0.7, 1), alpha = 0.025, typeOfDesign = "asKD", gammaA = 2)
#   getDesignGroupSequential(kMax = 3, alpha = 0.05, sided = 2, typeOfDesign = "asOF")
# (rpact reports the last value as 0.02499999 where its own root finder stopped; the spending
# function itself is exactly alpha at t = 1.)
RPACT_ALPHA_SPENT = [
    ("asOF", [0.25, 0.5, 0.75, 1.0], 0.025, 1, [7.366808436e-06, 1.525322757e-03, 9.649325119e-03, 0.025]),
    ("asP", [0.2, 0.45, 0.7, 1.0], 0.025, 1, [0.007384863228, 0.014320023711, 0.019743201194, 0.025]),
    ("asHSD(-4)", [1 / 3, 2 / 3, 1.0], 0.025, 1, [0.001303061716, 0.006246445147, 0.025]),
    ("asKD(2)", [0.3, 0.7, 1.0], 0.025, 1, [0.00225000000, 0.01224999987, 0.025]),
    ("asOF", [1 / 3, 2 / 3, 1.0], 0.05, 2, [0.0002070114363, 0.0120967781518, 0.05]),
]


@pytest.mark.parametrize(("name", "t", "alpha", "sided", "expected"), RPACT_ALPHA_SPENT)
def test_alpha_spent_matches_rpact(name, t, alpha, sided, expected):
    got = spending_function(name)(t, alpha, sided)
    # rpact's values come from its own bound search; agreement to ~2e-10 absolute (relative 1e-7)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=2e-10)


def _plain(family, param, t, level):
    """Textbook formulas, one value at a time (Lan-DeMets 1983; Hwang-Shih-DeCani 1990; Kim-DeMets 1987)."""
    if t <= 0:
        return 0.0
    if family == "OF":
        # 2 (1 - Phi(x)) = erfc(x / sqrt 2), written with erfc so the far tail keeps its digits
        return math.erfc(N.inv_cdf(1 - level / 2) / math.sqrt(t) / math.sqrt(2))
    if family == "P":
        return level * math.log(1 + (math.e - 1) * t)
    if family == "HSD":
        return level * t if param == 0 else level * (1 - math.exp(-param * t)) / (1 - math.exp(-param))
    return level * t**param


@pytest.mark.parametrize(
    ("sf", "family", "param"),
    [
        (obrien_fleming_spending(), "OF", None),
        (pocock_spending(), "P", None),
        (hwang_shih_decani_spending(-4), "HSD", -4),
        (hwang_shih_decani_spending(1), "HSD", 1),
        (hwang_shih_decani_spending(0), "HSD", 0),
        (kim_demets_spending(3), "KD", 3),
    ],
)
def test_spending_equals_plain_formula(sf, family, param):
    t = np.array([0.0, 0.01, 0.1, 0.33, 0.5, 0.9, 1.0])
    for level in (0.025, 0.1):
        expected = [_plain(family, param, x, level) for x in t]
        np.testing.assert_allclose(sf(t, level), expected, rtol=1e-12, atol=1e-300)


def test_two_sided_spends_twice_the_half_level():
    """rpact two-sided: 2 f(t; alpha/2); only the OF type is not linear in the level."""
    t = np.array([0.25, 0.5, 1.0])
    of = obrien_fleming_spending()
    np.testing.assert_allclose(of(t, 0.05, 2), 2 * of(t, 0.025, 1), rtol=1e-14)
    assert not np.allclose(of(t[:2], 0.05, 2), of(t[:2], 0.05, 1))
    p = pocock_spending()
    np.testing.assert_allclose(p(t, 0.05, 2), p(t, 0.05, 1), rtol=1e-14)


@settings(max_examples=50, deadline=None)
@given(
    family=st.sampled_from(["OF", "P", "HSD", "KD"]),
    param=st.floats(-8, 8).filter(lambda x: abs(x) > 1e-3),
    level=st.floats(1e-4, 0.5),
    t=st.lists(st.floats(0, 1), min_size=2, max_size=12),
)
def test_spending_is_a_cdf_like_function(family, param, level, t):
    sf = spending_function(family, abs(param) if family == "KD" else param)
    t = np.sort(np.asarray(t))
    v = sf(t, level)
    assert np.all(np.diff(v) >= -1e-15)
    assert np.all(v >= 0) and np.all(v <= level * (1 + 1e-12))
    assert float(sf(0.0, level)) == 0.0
    assert float(sf(1.0, level)) == level


def test_names_as_rpact_and_gsdesign():
    for names, family in [
        (["OF", "asOF", "sfLDOF", "obrien-fleming"], "OF"),
        (["P", "asP", "sfLDPocock", "pocock"], "P"),
    ]:
        for n in names:
            assert spending_function(n).family == family
    assert spending_function("sfHSD(-4)") == hwang_shih_decani_spending(-4)
    assert spending_function("asHSD", -4) == hwang_shih_decani_spending(-4)
    assert spending_function(("KD", 2)) == kim_demets_spending(2)
    assert spending_function("sfPower(2.5)") == kim_demets_spending(2.5)
    sf = hwang_shih_decani_spending(-4)
    assert spending_function(sf) is sf
    assert sf.rpact_name == "asHSD" and sf.gsdesign_name == "sfHSD" and sf.label == "asHSD(-4)"
    assert repr(sf) == "SpendingFunction(asHSD(-4))"


def test_user_points_interpolate_linearly_and_match_rpact_as_user():
    # rpact asUser, userAlphaSpending = c(0.001, 0.01, 0.025) at kMax = 3: spent exactly these
    sf = user_spending([1 / 3, 2 / 3, 1], [0.04, 0.4, 1.0])
    np.testing.assert_allclose(sf([1 / 3, 2 / 3, 1], 0.025), [0.001, 0.01, 0.025], rtol=1e-14)
    # linear between points and from (0, 0): gsDesign sfLinear
    np.testing.assert_allclose(sf(0.5, 0.025), 0.025 * (0.04 + (0.4 - 0.04) / 2), rtol=1e-14)
    np.testing.assert_allclose(sf(1 / 6, 0.025), 0.025 * 0.02, rtol=1e-14)
    # points ending before 1 are completed to (1, 1)
    np.testing.assert_allclose(user_spending([0.5], [0.3])([0.5, 0.75, 1.0], 1.0), [0.3, 0.65, 1.0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: spending_function("asXYZ"), "not recognised"),
        (lambda: spending_function("HSD"), "needs its gamma"),
        (lambda: spending_function("KD"), "needs its rho"),
        (lambda: spending_function("HSD(abc)"), "not a number"),
        (lambda: spending_function(3.0), "expected a name"),
        (lambda: kim_demets_spending(0), "rho"),
        (lambda: hwang_shih_decani_spending(float("nan")), "gamma"),
        (lambda: user_spending([0.5, 0.4], [0.1, 1.0]), "strictly increasing"),
        (lambda: user_spending([0.5, 1.0], [0.6, 0.5]), "non-decreasing"),
        (lambda: user_spending([0.5, 1.0], [0.1, 0.9]), "must be 1"),
        (lambda: user_spending([0.5, 1.0], [0.1]), "one proportion per fraction"),
        (lambda: user_spending([0.5, 1.0], [0.001, 0.025]), "must be 1"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_spending_function_is_frozen():
    sf = pocock_spending()
    with pytest.raises(AttributeError):
        sf.family = "OF"  # type: ignore[misc]
    assert isinstance(sf, SpendingFunction)
