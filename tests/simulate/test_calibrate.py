"""Tests of survtrial.simulate.calibrate: closed forms re-derived by hand, numerical integrals, and the
AALL1731 calibration checked against the published figures (shared/reference/aall1731_published.yaml)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from survtrial.errors import InputError
from survtrial.simulate.calibrate import (
    AccrualPattern,
    calibrate_cause_shares,
    calibrate_cut_for_median_follow_up,
    calibrate_hazard_ratio,
    calibrate_piecewise_hazards,
    calibrate_post_relapse_death_rate,
    overall_survival_after_events,
)
from survtrial.simulate.piecewise import PiecewiseHazard

# --- piecewise hazards ----------------------------------------------------------------------------


@st.composite
def known_hazards(draw):
    k = draw(st.integers(1, 5))
    gaps = draw(st.lists(st.floats(0.1, 2.0), min_size=k, max_size=k))
    knots = np.cumsum(gaps)
    rates = draw(st.lists(st.floats(0.001, 1.0), min_size=k, max_size=k))
    return np.concatenate([[0.0], knots[:-1]]), np.asarray(rates), knots


@settings(max_examples=50, deadline=None)
@given(known_hazards())
def test_round_trip_recovers_known_hazards_from_their_landmark_survival(case):
    breaks, rates, landmarks = case
    truth = PiecewiseHazard(breaks, rates)
    fitted = calibrate_piecewise_hazards(landmarks, truth.survival(landmarks))
    # rates are identified on [0, last landmark); beyond it the last rate continues
    np.testing.assert_allclose(fitted.hazard(breaks), rates, rtol=1e-9)
    np.testing.assert_allclose(fitted.survival(landmarks), truth.survival(landmarks), rtol=1e-12)
    assert fitted.hazard(landmarks[-1] + 1.0) == pytest.approx(rates[-1], rel=1e-9)


@settings(max_examples=50, deadline=None)
@given(known_hazards(), st.floats(0.2, 6.0))
def test_round_trip_with_the_hazard_as_its_own_shape_returns_it_unchanged(case, landmark):
    breaks, rates, _ = case
    truth = PiecewiseHazard(breaks, rates)
    fitted = calibrate_piecewise_hazards([landmark], [truth.survival(landmark)], shape=truth)
    np.testing.assert_allclose(fitted.hazard(breaks), rates, rtol=1e-9)
    after = [landmark, landmark + 10]
    np.testing.assert_allclose(fitted.hazard(after), truth.hazard(after), rtol=1e-9)


def test_closed_form_matches_the_textbook_formula_in_a_loop():
    times, targets = [1.0, 2.5, 4.0], [0.95, 0.9, 0.88]
    fitted = calibrate_piecewise_hazards(times, targets)
    previous_t, previous_s = 0.0, 1.0
    for t, s in zip(times, targets, strict=True):
        lam = -math.log(s / previous_s) / (t - previous_t)  # lambda_j = -log(S_j/S_{j-1}) / (t_j - t_{j-1})
        assert float(fitted.hazard(previous_t)) == pytest.approx(lam, rel=1e-12)
        previous_t, previous_s = t, s


def test_shape_with_plateau_keeps_the_profile_and_hits_the_target():
    shape = PiecewiseHazard([0.0, 1.0, 2.0, 3.0], [1.0, 0.8, 0.6, 0.1])
    fitted = calibrate_piecewise_hazards([3.0], [0.879], shape=shape)
    assert float(fitted.survival(3.0)) == pytest.approx(0.879, rel=1e-13)
    np.testing.assert_allclose(fitted.rates / fitted.rates[0], shape.rates, rtol=1e-12)
    # hand scale: c = -log(0.879) / (1.0 + 0.8 + 0.6)
    assert fitted.rates[0] == pytest.approx(-math.log(0.879) / 2.4, rel=1e-12)


def test_shape_breaks_and_landmarks_are_merged():
    shape = PiecewiseHazard([0.0, 1.5], [1.0, 0.5])
    fitted = calibrate_piecewise_hazards([1.0, 3.0], [0.9, 0.8], shape=shape)
    np.testing.assert_array_equal(fitted.breaks, [0.0, 1.0, 1.5, 3.0])
    np.testing.assert_allclose(fitted.survival([1.0, 3.0]), [0.9, 0.8], rtol=1e-13)
    assert fitted.rates[2] / fitted.rates[1] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("times", "targets", "message"),
    [
        ([3.0], [1.2], r"\(0, 1\)"),
        ([1.0, 3.0], [0.8, 0.9], "decrease"),
        ([3.0, 1.0], [0.9, 0.8], "increasing"),
        ([1.0, 2.0], [0.9], "one survival target per landmark"),
    ],
)
def test_invalid_targets_are_refused(times, targets, message):
    with pytest.raises(InputError, match=message):
        calibrate_piecewise_hazards(times, targets)


def test_a_shape_that_is_zero_where_survival_must_fall_is_refused():
    with pytest.raises(InputError, match=r"zero on \[0, 1\)"):
        calibrate_piecewise_hazards([1.0], [0.9], shape=([0.0, 1.0], [0.0, 1.0]))


# --- event-type shares ----------------------------------------------------------------------------


def test_cause_shares_reproduce_the_cumulative_incidences():
    types = ["marrow", "other", "death", "smn"]
    event_probability = 0.12
    shares = calibrate_cause_shares(
        event_probability, [(["marrow"], 0.077), (["marrow", "other"], 0.118)], types, {"death": 1.0, "smn": 3.0}
    )
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-15)
    # CIF_k = p_k * (1 - S): recompute each from the shares
    assert shares["marrow"] * event_probability == pytest.approx(0.077, rel=1e-13)
    assert (shares["marrow"] + shares["other"]) * event_probability == pytest.approx(0.118, rel=1e-13)
    rest = 1 - 0.118 / 0.12
    assert shares["death"] == pytest.approx(rest / 4)
    assert shares["smn"] == pytest.approx(3 * rest / 4)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ([(["marrow"], 0.2)], "infeasible"),
        ([(["marrow"], 0.08), (["marrow", "other"], 0.05)], "infeasible"),
        ([(["marrow"], 0.05), (["other", "death"], 0.08)], "nested"),
        ([(["relapse"], 0.05)], "unknown event type"),
    ],
)
def test_infeasible_or_inconsistent_cause_targets_are_refused(targets, message):
    with pytest.raises(InputError, match=message):
        calibrate_cause_shares(0.1, targets, ["marrow", "other", "death"])


def test_targets_that_use_up_every_type_leave_no_remainder():
    with pytest.raises(InputError, match="left for event types"):
        calibrate_cause_shares(0.1, [(["a", "b"], 0.05)], ["a", "b"])


# --- deaths after relapse -------------------------------------------------------------------------


def os_by_quadrature(t, hazard, fatal_share, relapse_share, death_rate):
    """Independent OS: 1 - p_f F(t) - p_r * integral_0^t f(u) (1 - exp(-rate (t - u))) du, by quad."""

    def density(u):
        return float(hazard.hazard(u) * hazard.survival(u))

    points = [b for b in hazard.breaks if 0 < b < t]
    f_t, _ = quad(density, 0, t, points=points or None, epsabs=1e-14)
    died, _ = quad(lambda u: density(u) * (1 - math.exp(-death_rate * (t - u))), 0, t,
                   points=points or None, epsabs=1e-14)
    return 1 - fatal_share * f_t - relapse_share * died


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.3, 2.0, 40.0])
def test_overall_survival_closed_form_matches_quadrature(rate):
    hazard = PiecewiseHazard([0.0, 1.0, 2.0, 3.0], [0.03, 0.05, 0.04, 0.01])
    for t in (0.5, 2.2, 3.0, 6.0):
        got = overall_survival_after_events(t, hazard, fatal_share=0.05, relapse_share=0.9, death_rate=rate)
        assert got == pytest.approx(os_by_quadrature(t, hazard, 0.05, 0.9, rate), abs=1e-11)


def test_overall_survival_limits():
    hazard = PiecewiseHazard([0.0], [0.04])
    f3 = 1 - math.exp(-0.12)
    none = overall_survival_after_events(3.0, hazard, fatal_share=0.1, relapse_share=0.8, death_rate=0.0)
    instant = overall_survival_after_events(3.0, hazard, fatal_share=0.1, relapse_share=0.8, death_rate=np.inf)
    assert none == pytest.approx(1 - 0.1 * f3, rel=1e-14)
    assert instant == pytest.approx(1 - 0.9 * f3, rel=1e-14)


def test_post_relapse_death_rate_hits_the_mixture_os_target():
    hazards = [PiecewiseHazard([0.0, 3.0], [0.035, 0.01]), PiecewiseHazard([0.0, 3.0], [0.055, 0.01])]
    weights, fatal, relapse = [0.6, 0.4], [0.01, 0.02], [0.98, 0.95]
    rate = calibrate_post_relapse_death_rate(0.97, 3.0, hazards, weights, fatal, relapse)
    os_mix = sum(
        w * os_by_quadrature(3.0, h, f, r, rate) for h, w, f, r in zip(hazards, weights, fatal, relapse, strict=True)
    )
    assert os_mix == pytest.approx(0.97, abs=1e-10)


def test_unreachable_os_targets_are_refused():
    hazards = [PiecewiseHazard([0.0], [0.04])]
    with pytest.raises(InputError, match="unreachable"):
        calibrate_post_relapse_death_rate(0.999, 3.0, hazards, [1.0], [0.1], [0.8])
    with pytest.raises(InputError, match="unreachable"):
        calibrate_post_relapse_death_rate(0.5, 3.0, hazards, [1.0], [0.1], [0.8])


# --- accrual and the data cut ---------------------------------------------------------------------


def test_accrual_pattern_cdf_and_quantile_are_inverse_with_a_pause():
    acc = AccrualPattern.from_periods([1.0, 0.5, 2.0], [50.0, 0.0, 100.0])
    assert acc.expected_n == pytest.approx(250.0)
    u = np.linspace(0.001, 0.999, 50)
    x = acc.quantile(u)
    np.testing.assert_allclose(acc.cdf(x), u, rtol=1e-12)
    assert not np.any((x > 1.0) & (x < 1.5))  # nobody enrolled during the pause
    assert acc.cdf(1.2) == pytest.approx(0.2)


def test_cut_for_median_follow_up_closed_form_after_accrual():
    # uniform accrual over 5 years, dropout d: G(m) = (C - m)/5 * exp(-d m) = 1/2
    acc = AccrualPattern.from_periods([5.0], [1.0])
    cut = calibrate_cut_for_median_follow_up(2.5, acc, 0.01)
    assert cut == pytest.approx(2.5 + 5 * 0.5 * math.exp(0.01 * 2.5), rel=1e-12)


def test_cut_for_median_follow_up_before_the_end_of_accrual():
    # cut C inside accrual: only those enrolled by C count, G(m) = (C - m)/C * exp(-d m) = 1/2
    acc = AccrualPattern.from_periods([5.0], [1.0])
    d = 0.02
    cut = calibrate_cut_for_median_follow_up(1.0, acc, d)
    assert cut == pytest.approx(1.0 / (1 - 0.5 * math.exp(d)), rel=1e-9)


def test_unreachable_median_follow_up_is_refused():
    with pytest.raises(InputError, match="cannot be reached"):
        calibrate_cut_for_median_follow_up(2.5, AccrualPattern.from_periods([5.0], [1.0]), 0.5)


# --- the AALL1731 scenario against the published figures ------------------------------------------


def test_aall1731_hazards_reproduce_published_three_year_dfs(aall1731, reference):
    # chemotherapy: exactly (landmark targets); blinatumomab: within a published SE (curve targets,
    # met together with the HR and the RMST difference)
    cal = aall1731.calibrated
    by_risk = reference["results_first_interim"]["dfs_3y_by_risk"]
    for stratum in cal.strata:
        pub = by_risk[stratum]["chemo"]
        assert cal.dfs_survival(3.0, "chemo", stratum) == pytest.approx(pub["value"] / 100, rel=1e-12), stratum
        pub = by_risk[stratum]["blina"]
        assert abs(100 * cal.dfs_survival(3.0, "blina", stratum) - pub["value"]) < pub["se"], stratum


def test_aall1731_cumulative_incidences_and_os_reproduce_published_figures(aall1731, reference):
    cal = aall1731.calibrated
    res = reference["results_first_interim"]
    relapse = ["marrow_relapse", "other_relapse"]
    for arm in cal.arms:
        marrow = res["marrow_relapse_cif_3y"][arm]["value"] / 100
        any_relapse = res["any_relapse_cif_3y"][arm]["value"] / 100
        assert cal.cumulative_incidence(3.0, arm, ["marrow_relapse"]) == pytest.approx(marrow, rel=1e-12)
        assert cal.cumulative_incidence(3.0, arm, relapse) == pytest.approx(any_relapse, rel=1e-12)
        assert cal.overall_survival(3.0, arm) == pytest.approx(res["os_3y"][arm]["value"] / 100, abs=1e-10)
        # all event types together make up 1 - DFS
        total = cal.cumulative_incidence(3.0, arm, list(cal.event_types))
        assert total == pytest.approx(1 - cal.dfs_survival(3.0, arm), rel=1e-12)


def test_aall1731_overall_dfs_is_consistent_with_the_published_overall_figure(aall1731, reference):
    # the twin sets per-risk-group DFS; with the assumed risk split the arm-level DFS must lie
    # within one published SE of the published overall 3-year DFS
    cal = aall1731.calibrated
    for arm in cal.arms:
        pub = reference["results_first_interim"]["dfs_3y"][arm]
        assert abs(100 * cal.dfs_survival(3.0, arm) - pub["value"]) < pub["se"], arm


def test_aall1731_accrual_from_numbers_at_risk_reproduces_them_and_the_median_follow_up(aall1731, reference):
    cal = aall1731.calibrated
    res = reference["results_first_interim"]
    assert cal.cut_date == res["data_cutoff"] and cal.accrual.end == pytest.approx(cal.cut_years, rel=1e-12)
    fit = cal.accrual_fit.to_frame("at_risk")
    # expected numbers at risk within 5% of the published ones at years 0-4 (2% at years 0-3)
    assert (fit["relative_difference"].abs() < 0.05).all()
    assert (fit.loc[fit["year"] < 4, "relative_difference"].abs() < 0.02).all()
    # the published median follow-up is not a target, yet the accrual solved from the numbers at
    # risk gives it: G(m) = F_E(C - m) / F_E(C) exp(-dropout m) is 1/2 within 0.03 years of 2.5
    m = res["median_follow_up_years"]
    acc, cut = cal.accrual, cal.cut_years

    def g(u: float) -> float:
        return float(acc.cdf(cut - u) / acc.cdf(cut)) * math.exp(-cal.dropout_rate * u)

    assert g(m - 0.03) > 0.5 > g(m + 0.03)


def test_calibrated_scenario_tables_and_repr(aall1731):
    cal = aall1731.calibrated
    table = cal.summary(3.0)
    assert len(table) == len(cal.arms) * (len(cal.strata) + 1)
    assert {"dfs", "os", "cif_marrow_relapse"} <= set(table.columns)
    assert len(cal.to_frame()) == sum(h.breaks.size for h in cal.hazards.values())
    assert "\n" not in repr(cal) and len(repr(cal)) < 200
    with pytest.raises(InputError, match="unknown arm"):
        cal.dfs_survival(3.0, "placebo")


# --- hazard ratios against a reference arm, cure fractions -----------------------------------------


def ratio_loop(reference: PiecewiseHazard, breaks, values, t: float) -> float:
    """Double programming: the hazard ratio at t times the reference hazard at t, found by loops."""
    r = values[0]
    for b, v in zip(breaks, values, strict=True):
        if b <= t:
            r = v
    h = reference.rates[0]
    for b, v in zip(reference.breaks, reference.rates, strict=True):
        if b <= t:
            h = v
    return r * h


@settings(max_examples=40, deadline=None)
@given(known_hazards(), st.lists(st.floats(0.05, 3.0), min_size=1, max_size=4), st.floats(0.1, 5.0))
def test_given_hazard_ratios_multiply_the_reference_hazard_on_merged_breaks(case, values, width):
    breaks, rates, _ = case
    ref = PiecewiseHazard(breaks, rates)
    rb = np.arange(len(values)) * width
    h = calibrate_hazard_ratio(ref, rb, values)
    assert set(ref.breaks) | set(rb) == set(h.breaks)
    for t in np.concatenate([h.breaks, h.breaks + 1e-3, [50.0]]):
        assert float(h.hazard(t)) == pytest.approx(ratio_loop(ref, rb, values, t), rel=1e-12)


def test_a_delayed_effect_fitted_to_the_three_year_target_is_the_closed_form():
    # control: the AALL1731-like shape (flat to 3 years, then a quarter); experimental HR 1 before
    # 0.5 years, then c solved from S(3): H_ref(0.5) + c (H_ref(3) - H_ref(0.5)) = -log S(3)
    ref = calibrate_piecewise_hazards([3.0], [0.879], shape=([0, 1, 2, 3], [1, 1, 1, 0.25]))
    lam = -math.log(0.879) / 3.0
    h = calibrate_hazard_ratio(ref, [0.0, 0.5], [1.0, "fit"], [False, True], [3.0], [0.96])
    c = (-math.log(0.96) - 0.5 * lam) / (2.5 * lam)
    assert float(h.survival(3.0)) == pytest.approx(0.96, rel=1e-14)
    assert float(h.hazard(0.25)) == float(ref.hazard(0.25))  # HR exactly 1 before the delay
    for t in (0.5, 1.5, 2.9, 3.0, 10.0):  # after it, c times the reference (plateau included)
        assert float(h.hazard(t)) == pytest.approx(c * float(ref.hazard(t)), rel=1e-12)


def test_fitted_ratios_with_several_landmarks_hit_every_target():
    ref = PiecewiseHazard([0.0, 2.0], [0.2, 0.1])
    times, targets = [1.0, 2.0, 4.0], [0.9, 0.8, 0.72]
    h = calibrate_hazard_ratio(ref, [0.0, 0.5, 1.5], ["fit", 0.5, "fit"], [True, False, True], times, targets)
    np.testing.assert_allclose(h.survival(times), targets, rtol=1e-13)
    assert float(h.hazard(0.7)) == pytest.approx(0.5 * 0.2, rel=1e-12)  # the given value stays
    with pytest.raises(InputError, match=r"no hazard-ratio value 'fit' .* on \[1, 2\)"):  # none on [1, 2)
        calibrate_hazard_ratio(ref, [0.0, 0.5, 3.0], ["fit", 0.5, "fit"], [True, False, True], times, targets)


def test_infeasible_hazard_ratio_targets_are_refused():
    # HR 1 for 2 years gives S(3) <= exp(-0.2) = 0.8187 whatever is fitted after: 0.9 cannot hold
    ref = PiecewiseHazard([0.0], [0.1])
    with pytest.raises(InputError, match=r"alone lowers S\(3\) to 0.818731, below the target 0.9"):
        calibrate_hazard_ratio(ref, [0.0, 2.0], [1.0, "fit"], [False, True], [3.0], [0.9])
    # in a scenario, the error names the key (control 60% at 2 years: HR 1 to 1.9 years leaves the
    # treated arm 61.0% at 1.9 years, below its 2-year target of 75%)
    from survtrial.simulate.scenario import scenario_from_dict

    sc = scenario_from_dict(cure_scenario({"control": 0.0, "treated": 0.0},
                                          {"breaks": [0.0, 1.9], "values": [1.0, "fit"]}))
    with pytest.raises(InputError, match=r"scenario key 'hazards.all.treated': on \[0, 2\) the given hazard alone"):
        sc.calibrated  # noqa: B018


def test_cure_fraction_mixture_hits_the_targets_and_os_matches_quadrature():
    from survtrial.simulate.scenario import scenario_from_dict

    data = cure_scenario(cure={"control": 0.3, "treated": 0.5})
    cal = scenario_from_dict(data).calibrated
    assert cal.cure_fractions["all", "treated"] == 0.5
    assert cal.dfs_survival(2.0, "control") == pytest.approx(0.6, rel=1e-13)
    assert cal.dfs_survival(2.0, "treated") == pytest.approx(0.75, rel=1e-13)
    # S(inf) is the cure fraction
    assert cal.dfs_survival(1e6, "control") == pytest.approx(0.3, abs=1e-12)
    # OS: a share p of DFS events followed by death at rate d; quadrature of the density of those not cured
    h, d, p = cal.hazards["all", "treated"], cal.post_relapse_death_rate["treated"], 1.0
    f = lambda u: float(h.hazard(u) * h.survival(u))  # noqa: E731
    dead = quad(lambda u: f(u) * (1 - math.exp(-d * (3.0 - u))), 0.0, 3.0, points=[1.0])[0]
    assert cal.overall_survival(3.0, "treated") == pytest.approx(1 - 0.5 * p * dead, rel=1e-10)
    assert cal.overall_survival(3.0, "treated") == pytest.approx(0.9, rel=1e-10)  # the target


def cure_scenario(cure: dict[str, float], hazard_ratio: dict | None = None) -> dict:
    """One stratum; control DFS 60% at 2 years, treated 75%; deaths after relapse solved from OS 90% at 3 years."""
    treated = {"survival_targets": {2.0: 0.75}, "cure_fraction": cure["treated"]}
    if hazard_ratio is not None:
        treated["hazard_ratio"] = hazard_ratio
    return {
        "name": "cure",
        "arms": {"control": {}, "treated": {}},
        "strata": {"all": {"share": 1.0}},
        "accrual": {"start_date": "2020-01-01", "n": 400, "duration_years": 2.0},
        "randomization": {"ratio": {"control": 1, "treated": 1}, "block_size": 2},
        "hazard_shape": {"breaks": [0.0, 1.0], "relative": [1.0, 0.5]},
        "hazards": {"all": {"control": {"survival_targets": {2.0: 0.6}, "cure_fraction": cure["control"]},
                            "treated": treated}},
        "competing_events": {"types": {"relapse": {}}, "by_arm": {a: {"shares": {"relapse": 1.0}}
                                                                  for a in ("control", "treated")}},
        "post_relapse_death": {"applies_to": ["relapse"], "os_targets": {"control": {3.0: 0.8},
                                                                          "treated": {3.0: 0.9}}},
        "data_cut": {"events": 100},
    }


def test_a_delayed_effect_in_the_aall1731_twin_keeps_every_three_year_target_exact(aall1731, reference):
    # blinatumomab: HR 1 for the first half year (no separation before the first cycle), then one
    # hazard ratio per risk group solved exactly from its published 3-year DFS
    by_risk = reference["results_first_interim"]["dfs_3y_by_risk"]
    changes = {}
    for s in aall1731.strata:
        changes[f"hazards.{s}.blina"] = {
            "survival_targets": {3.0: by_risk[s]["blina"]["value"] / 100},
            "hazard_ratio": {"breaks": [0.0, 0.5], "values": [1.0, "fit"], "reference": "chemo"}}
    sc = aall1731.frozen().updated(changes)
    cal = sc.calibrated
    for s in cal.strata:
        for arm in cal.arms:
            want = by_risk[s][arm]["value"] / 100
            assert cal.dfs_survival(3.0, arm, s) == pytest.approx(want, rel=1e-13), (s, arm)
        hr = cal.hazard_ratio("blina", "chemo", s)
        assert hr["hazard_ratio"].iloc[0] == 1.0 and hr["start"].iloc[1] == 0.5
        ph = math.log(by_risk[s]["blina"]["value"] / 100) / math.log(by_risk[s]["chemo"]["value"] / 100)
        assert 0 < hr["hazard_ratio"].iloc[-1] < ph  # the effect after the delay is stronger than under PH
    # and the cause shares and OS, solved after the hazards, still meet their targets
    res = reference["results_first_interim"]
    for arm in cal.arms:
        assert cal.cumulative_incidence(3.0, arm, ["marrow_relapse"]) == pytest.approx(
            res["marrow_relapse_cif_3y"][arm]["value"] / 100, rel=1e-12)
        assert cal.overall_survival(3.0, arm) == pytest.approx(res["os_3y"][arm]["value"] / 100, abs=1e-10)


def test_aall1731_three_year_points_with_the_delay_do_not_pin_the_hazard_ratio(aall1731):
    """What the delayed effect and the 3-year points jointly allow: with the curves on top of each
    other through the first year (blinatumomab's ratio 1 to one year) and every 3-year DFS within one
    published SE (chemotherapy exact, the solved chemotherapy shape), the limit of the stratified Cox
    HR still reaches either side of issue 14's band exp(log 0.39 +- 0.15): the HR target, not the
    points, decides it. Stratifying by risk group moves the limit by about 0.1% (0.3863 vs 0.3867 pooled)."""
    from survtrial.simulate._curve_fit import cox_limit, curve_values, follow_up_curve
    from survtrial.simulate._scenario_core import build_core

    cal = aall1731.calibrated
    band = np.exp(np.log(0.39) + np.array([-0.15, 0.15]))

    def evaluate(late_avg, late_high, stratified=True):
        p = {**cal.parameters, "blina_first_year": 1.0, "blina_late_sr_avg": late_avg,
             "blina_late_sr_high": late_high}
        m = build_core(aall1731, p).curve_model
        rows = {r["target"]: r for r in curve_values(aall1731.curve_targets, m)[0]}
        g, knots = follow_up_curve(m.accrual, m.cut, m.dropout)
        hr = cox_limit(m.hazards, m.cure, m.strata, m.weights, "chemo", "blina",
                       (m.shares["chemo"], m.shares["blina"]), g, knots, m.cut, stratified=stratified)
        return hr, [r["residual"] for k, r in rows.items() if k.startswith("DFS at 3 years")]

    strong, points = evaluate(0.05, 0.10)  # strong late effects: the 3-year points up to 0.74 SE above
    assert max(abs(r) for r in points) <= 1 and strong < band[0]
    weak, points = evaluate(0.24, 0.42)  # weak late effects: the 3-year points up to 0.94 SE below
    assert max(abs(r) for r in points) <= 1 and weak > band[1]
    solved = [cal.parameters[k] for k in ("blina_late_sr_avg", "blina_late_sr_high")]
    assert cal.parameters["blina_first_year"] == pytest.approx(1.0)  # the solution keeps the curves together
    stratified, _ = evaluate(*solved)
    pooled, _ = evaluate(*solved, stratified=False)
    assert band[0] < stratified < band[1] and abs(pooled / stratified - 1) < 2e-3
