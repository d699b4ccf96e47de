"""Tests for survtrial.design.update_design: rpact at the observed rates, spending identities, input errors."""

from __future__ import annotations

import numpy as np
import pytest

from survtrial.design import (
    crossing_probabilities,
    group_sequential,
    spending_function,
    update_design,
)
from survtrial.errors import InputError


def test_efficacy_bounds_at_observed_fractions_match_rpact():
    # Planned kMax = 3 (asOF, one-sided 0.025); the first look happened at 40% of the information.
    # getDesignGroupSequential(informationRates = c(0.4, 2/3, 1), alpha = 0.025, typeOfDesign = "asOF")
    #   $criticalValues 3.356869356 2.517092682 1.993427642
    # then the second at 70%:
    # getDesignGroupSequential(informationRates = c(0.4, 0.7, 1), alpha = 0.025, typeOfDesign = "asOF")
    #   $criticalValues 3.356869356 2.444542281 2.000539072
    d = group_sequential(k=3, alpha=0.025, beta=0.1)
    u1 = update_design(d, [0.4])
    np.testing.assert_allclose(u1.upper, [3.356869356, 2.517092682, 1.993427642], atol=1e-7)
    np.testing.assert_allclose(u1.information_fractions, [0.4, 2 / 3, 1])
    assert u1.observed_looks == 1
    u2 = update_design(u1, [0.4, 0.7])
    np.testing.assert_allclose(u2.upper, [3.356869356, 2.444542281, 2.000539072], atol=1e-7)
    assert u2.upper[0] == u1.upper[0]  # the bound used at look 1 is kept
    assert u2.drift == d.drift  # maximum information is not re-planned


def test_events_give_the_same_update():
    d = group_sequential(k=3, alpha=0.025, beta=0.1, beta_spending="OF")
    a = update_design(d, [0.35, 0.7])
    b = update_design(d, events=[105, 210], max_events=300)
    np.testing.assert_allclose(a.upper, b.upper, rtol=1e-14)
    np.testing.assert_allclose(a.lower, b.lower, rtol=1e-14)


@pytest.mark.parametrize("binding", [False, True])
def test_futility_spends_planned_beta_at_observed_fractions_under_planned_drift(binding):
    d = group_sequential(k=4, alpha=0.025, beta=0.1, beta_spending="HSD(-2)", binding_futility=binding)
    u = update_design(d, [0.3, 0.55])
    t = u.information_fractions
    np.testing.assert_allclose(t, [0.3, 0.55, 0.75, 1.0])
    p1 = crossing_probabilities(u.lower, u.upper, t, d.drift)
    np.testing.assert_allclose(np.cumsum(p1.lower)[:-1], spending_function("HSD(-2)")(t, 0.1)[:-1], atol=1e-10)
    # alpha: non-binding ignores the futility bounds, binding counts them; either way it is the plan's
    lower0 = u.lower if binding else np.full(4, -np.inf)
    p0 = crossing_probabilities(lower0, u.upper, t, 0.0)
    np.testing.assert_allclose(np.cumsum(p0.upper), spending_function("OF")(t, 0.025), atol=1e-10)


@pytest.mark.parametrize("last", [0.92, 1.08])
def test_final_analysis_off_plan_spends_all_alpha(last):
    d = group_sequential(k=3, alpha=0.025, beta=0.2, beta_spending="OF")
    u = update_design(d, [0.3, 0.62, last], final=True)
    assert u.k == 3 and u.observed_looks == 3
    p0 = crossing_probabilities(None, u.upper, u.information_fractions, 0.0)
    assert p0.total_upper == pytest.approx(0.025, abs=1e-11)
    assert u.alpha_spent[-1] == pytest.approx(0.025, abs=1e-11)
    assert u.lower[-1] == u.upper[-1]
    # bounds of looks 1 and 2 are those of the update made at look 2
    u2 = update_design(d, [0.3, 0.62])
    np.testing.assert_allclose(u.upper[:2], u2.upper[:2], rtol=0, atol=1e-12)


def test_early_final_analysis_drops_remaining_looks():
    d = group_sequential(k=4)
    u = update_design(d, [0.25, 0.5], final=True)
    assert u.k == 2
    assert u.alpha_spent[-1] == pytest.approx(0.025, abs=1e-11)


def test_planned_looks_passed_by_the_observed_information_are_dropped():
    d = group_sequential([0.2, 0.4, 0.6, 1.0])
    u = update_design(d, [0.45])
    np.testing.assert_allclose(u.information_fractions, [0.45, 0.6, 1.0])


def test_fixed_futility_bounds_are_carried_over():
    d = group_sequential(k=3, futility_bounds=[0.0, 0.8])
    u = update_design(d, [0.4])
    np.testing.assert_allclose(u.lower[:2], [0.0, 0.8])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda d: update_design(d), "information_fractions=.*or events"),
        (lambda d: update_design(d, [0.3], events=[30], max_events=100), "not both"),
        (lambda d: update_design(d, events=[30]), "max_events"),
        (lambda d: update_design(d, events=[30], max_events=-1), "max_events"),
        (lambda d: update_design(d, [0.5, 0.4]), "strictly increasing"),
        (lambda d: update_design(d, [1.0, 1.1]), "interim look at fraction >= 1"),
        (lambda d: update_design(d, [0.2, 0.4, 0.6, 0.8]), "design plans 3"),
        (lambda d: update_design(update_design(d, [0.3, 0.6]), [0.3]), "already has 2 observed looks"),
        (lambda d: update_design(update_design(d, [0.3]), [0.35, 0.6]), "cannot change"),
        (lambda d: update_design(group_sequential(k=3, test_type="P"), [0.3]), "spending-function designs"),
        (lambda d: update_design("design", [0.3]), "GroupSequentialDesign"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(InputError, match=match):
        call(group_sequential(k=3))
