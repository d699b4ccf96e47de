"""Weighted log-rank designs: score moments against an independent quadrature and gsDesign2's documented
examples (version 1.1.8, Merck/gsDesign2 commit a9352e0b: pkgdown pages gs_info_wlr.html,
gs_design_wlr.html, gs_power_wlr.html), weights, bad input.

gsDesign2 integrates with R's ``integrate`` at its default tolerance (relative and absolute 1.2e-4),
so its variances agree with these to about 5e-5 relative; its bounds depend on their ratios.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from survtrial.design import _wlr_moments as wm
from survtrial.design.nph_assumptions import design_assumptions
from survtrial.design.wlr_design import (
    weighted_logrank_design,
    weighted_logrank_information,
    weighted_logrank_power,
)
from survtrial.design.wlr_weights import fleming_harrington, magirr_burman, wlr_weight
from survtrial.errors import InputError

LOG2 = math.log(2)


def delayed(rate: float):
    # define_enroll_rate(duration = 12, rate = rate);
    # define_fail_rate(duration = c(4, 100), fail_rate = log(2) / 15, hr = c(1, .6), dropout_rate = 0.001)
    return design_assumptions({"duration": [12], "rate": [rate]},
                              {"duration": [4, 100], "fail_rate": LOG2 / 15, "hr": [1, 0.6], "dropout_rate": 0.001})


# --------------------------------------------------------------------------------------------
# Independent computation of the score moments: plain functions integrated by scipy.quad


def plain_moments(t, weight, lam0=LOG2 / 15, hr=(1.0, 0.6), brk=4.0, phi=0.001, rate=500 / 12, acc=12.0):
    def cum(x, h):  # cumulative hazard, piecewise
        return h[0] * min(x, brk) + h[1] * max(x - brk, 0.0)

    def haz(x, h):
        return h[0] if x < brk else h[1]

    h0 = (lam0, lam0)
    h1 = (lam0 * hr[0], lam0 * hr[1])
    hb = tuple(0.5 * (a + b) for a, b in zip(h0, h1, strict=True))

    def n_at(x):
        return rate * min(max(t - x, 0.0), acc)

    def pooled(x):
        return 0.5 * math.exp(-cum(x, h1)) + 0.5 * math.exp(-cum(x, h0))

    def w(x, surv):
        if weight[0] == "fh":
            return surv(x) ** weight[1] * (1 - surv(x)) ** weight[2]
        tstar, wmax = weight[1], weight[2]
        return min(wmax, 1 / surv(min(x, tstar)))

    def parts(x):
        r1 = 0.5 * n_at(x) * math.exp(-cum(x, h1) - phi * x)
        r0 = 0.5 * n_at(x) * math.exp(-cum(x, h0) - phi * x)
        return r0, r1

    def mean_f(x):
        r0, r1 = parts(x)
        return w(x, pooled) * r0 * r1 / (r0 + r1) * (haz(x, h1) - haz(x, h0)) if r0 + r1 > 0 else 0.0

    def var1_f(x):
        r0, r1 = parts(x)
        return w(x, pooled) ** 2 * r0 * r1 / (r0 + r1) ** 2 * (r0 * haz(x, h0) + r1 * haz(x, h1)) if r0 + r1 else 0.0

    def var0_f(x):
        def null_surv(y):
            return math.exp(-cum(y, hb))
        return w(x, null_surv) ** 2 * 0.25 * n_at(x) * math.exp(-cum(x, hb) - phi * x) * haz(x, hb)

    pts = sorted({brk, max(t - acc, 0.0), *([weight[1]] if weight[0] == "mb" else [])} - {0.0})
    pts = [p for p in pts if 0 < p < t]
    opts = dict(points=pts, epsabs=1e-12, epsrel=1e-12, limit=500)
    return quad(mean_f, 0, t, **opts)[0], quad(var1_f, 0, t, **opts)[0], quad(var0_f, 0, t, **opts)[0]


@pytest.mark.parametrize(
    ("weight", "spec"),
    [
        ("logrank", ("fh", 0.0, 0.0)),
        ("fh(0.5, 0.5)", ("fh", 0.5, 0.5)),
        ("fh(0, 1)", ("fh", 0.0, 1.0)),
        ("mb(t*=6)", ("mb", 6.0, math.inf)),
    ],
)
@pytest.mark.parametrize("t", [10.0, 30.0])
def test_moments_equal_independent_quadrature(weight, spec, t):
    got = wm.moments(delayed(500 / 12), np.array([t]), [wlr_weight(weight)])
    want = plain_moments(t, spec)
    assert got["mean"][0, 0] == pytest.approx(want[0], rel=1e-9)
    assert got["cov1"][0, 0, 0] == pytest.approx(want[1], rel=1e-9)
    assert got["cov0"][0, 0, 0] == pytest.approx(want[2], rel=1e-9)


def test_cross_covariance_is_the_product_weight():
    # V_ij with weights w_i w_j: FH(0, .5) x FH(.5, 0) = FH(.5, .5) in the diagonal of another call
    a = delayed(500 / 12)
    both = wm.moments(a, np.array([24.0]), [fleming_harrington(0, 0.5), fleming_harrington(0.5, 0)])
    prod = wm.moments(a, np.array([24.0]), [fleming_harrington(0.25, 0.25)])
    assert both["cov1"][0, 0, 1] == pytest.approx(prod["cov1"][0, 0, 0], rel=1e-12)
    assert both["cov0"][0, 1, 0] == pytest.approx(prod["cov0"][0, 0, 0], rel=1e-12)


def test_null_scenario_has_no_mean_and_equal_variances():
    a = design_assumptions({"duration": [12], "rate": [30]}, {"duration": [np.inf], "fail_rate": 0.05})
    mo = wm.moments(a, np.array([20.0]), [fleming_harrington(0, 0.5), magirr_burman(w_max=2)])
    np.testing.assert_allclose(mo["mean"], 0.0, atol=1e-15)
    np.testing.assert_allclose(mo["cov1"], mo["cov0"], rtol=1e-13)


# --------------------------------------------------------------------------------------------
# gsDesign2 1.1.8


def test_information_matches_gsdesign2_gs_info_wlr():
    # gs_info_wlr(enroll_rate (duration 12, rate 500 / 12), fail_rate, event = c(30, 40, 50),
    #             analysis_time = c(10, 24, 30))
    #   analysis time        n     event        delta     sigma2     theta     info    info0
    # 1        1   10 416.6667  77.80361 -0.005325328 0.04667807 0.1140863 19.44920 19.47416
    # 2        2   24 500.0001 246.28341 -0.040920239 0.12270432 0.3334865 61.35217 62.08666
    # 3        3   30 500.0001 293.69568 -0.052942680 0.14583769 0.3630247 72.91885 74.25144
    info = weighted_logrank_information(delayed(500 / 12), [10, 24, 30])
    np.testing.assert_allclose(info["n"], [416.6667, 500, 500], rtol=1e-6)
    np.testing.assert_allclose(info["events"], [77.80361, 246.28341, 293.69568], rtol=1e-7)
    # gsDesign2's delta is E[U] per planned subject (500), sigma2 the variance per subject enrolled by then
    np.testing.assert_allclose(info["mean_score"] / 500, [-0.005325328, -0.040920239, -0.052942680], rtol=1e-5)
    np.testing.assert_allclose(info["info"], [19.44920, 61.35217, 72.91885], rtol=1e-4)
    np.testing.assert_allclose(info["info0"], [19.47416, 62.08666, 74.25144], rtol=1e-4)
    # theta = -E[U] / V: equal after enrolment ends; at month 10 gsDesign2's is smaller by 416.67 / 500
    np.testing.assert_allclose(info["theta"][1:], [0.3334865, 0.3630247], rtol=1e-4)
    assert info["theta"][0] * 416.6667 / 500 == pytest.approx(0.1140863, rel=1e-4)


def test_design_by_calendar_time_matches_gsdesign2():
    # gs_design_wlr(enroll_rate = define_enroll_rate(duration = 12, rate = 1), fail_rate, ratio = 1,
    #   alpha = 0.025, beta = 0.2, weight = list(method = "mb", param = list(tau = Inf, w_max = 2)),
    #   upar = list(sf = sfLDOF, total_spend = 0.025), lpar = list(sf = sfLDOF, total_spend = 0.2),
    #   analysis_time = c(24, 36), info_frac = NULL)                      (example 2)
    #   upper z 2.6817619 1.9801832; lower z 0.9180959 1.9309710
    #   upper probability 0.32626250 0.79999972; probability0 0.003661778 0.022769009
    #   time 24 36; n 300.2519; event 147.8941 198.9415; theta 0.2561850 0.2593958
    #   info 73.94117 122.21758; info0 75.54355 126.97674
    d = weighted_logrank_design(delayed(1), "mb(w_max=2)", analysis_times=[24, 36], alpha=0.025, power=0.8,
                                alpha_spending="OF", beta_spending="OF", convention="gsdesign2")
    assert d.n_subjects == pytest.approx(300.2519, rel=3e-5)
    np.testing.assert_allclose(d.events, [147.8941, 198.9415], rtol=3e-5)
    np.testing.assert_allclose(d.theta, [0.2561850, 0.2593958], rtol=1e-4)
    np.testing.assert_allclose(d.info, [73.94117, 122.21758], rtol=1e-4)
    np.testing.assert_allclose(d.info0, [75.54355, 126.97674], rtol=1e-4)
    np.testing.assert_allclose(d.upper, [2.6817619, 1.9801832], atol=1e-4)
    np.testing.assert_allclose(d.lower, [0.9180959, 1.9309710], atol=1e-4)
    np.testing.assert_allclose(np.cumsum(d.upper_h1), [0.32626250, 0.79999972], atol=1e-4)
    np.testing.assert_allclose(np.cumsum(d.upper_h0), [0.003661778, 0.022769009], atol=2e-5)


def test_design_by_information_fraction_upper_bounds_match_gsdesign2():
    # gs_design_wlr(..., analysis_time = 36, info_frac = c(0.6, 1))            (example 1)
    #   upper z 2.668630 1.980967; info_frac0 0.6000002 1
    # gsDesign2 prints n 267.1275 and theta 0.3709552 at look 1 there, which disagree with its own
    # example 2 (same looks within 0.13 months: n 300.25, theta 0.256); survtrial gives 300.4.
    d = weighted_logrank_design(delayed(1), "mb(w_max=2)", analysis_times=36, information_fractions=[0.6, 1],
                                power=0.8, beta_spending="OF", convention="gsdesign2")
    np.testing.assert_allclose(d.information_fraction0, [0.6, 1.0], rtol=1e-9)
    np.testing.assert_allclose(d.upper, [2.668630, 1.980967], atol=2e-5)
    assert d.time[0] == pytest.approx(24.13302, abs=2e-3)


def test_power_by_calendar_time_matches_gsdesign2():
    # gs_power_wlr(enroll_rate (rate 500 / 12), fail_rate, event = NULL, analysis_time = c(10, 24, 30),
    #   upar = list(sf = sfLDOF, total_spend = 0.025), lpar = list(sf = sfLDOF, total_spend = 0.2))  (ex. 5)
    #   upper z 4.223047 2.190753 2.035169; lower z -1.720545 1.611318 2.127943
    #   upper probability 0.0001007196 0.6617929637 0.8101441292; probability0 1.2e-05 1.423798e-02 2.258665e-02
    p = weighted_logrank_power(delayed(500 / 12), "logrank", analysis_times=[10, 24, 30], beta_spending="OF",
                               beta=0.2, convention="gsdesign2")
    # efficacy bounds depend on gsDesign2's H0 information fractions (0.2622732 against 0.262248 here)
    np.testing.assert_allclose(p.upper, [4.223047, 2.190753, 2.035169], atol=3e-4)
    np.testing.assert_allclose(np.cumsum(p.upper_h0)[1:], [1.423798e-02, 2.258665e-02], atol=1e-5)
    # from look 2 on (after enrolment, where gsDesign2's theta is right) the alternative agrees
    assert p.lower[1] == pytest.approx(1.611318, abs=2e-4)
    np.testing.assert_allclose(np.cumsum(p.upper_h1)[1:], [0.6617929637, 0.8101441292], atol=1e-4)


# --------------------------------------------------------------------------------------------
# Weights and bad input


def test_weight_parsing():
    assert wlr_weight("logrank").is_logrank
    assert wlr_weight("FH(0.5,0)") == fleming_harrington(0.5, 0)
    assert wlr_weight((0, 0.5)).label == "FH(0, 0.5)"
    assert wlr_weight("mb(4)") == magirr_burman(t_star=4)
    assert wlr_weight("mb(t*=4, w_max=2)") == magirr_burman(4, 2)
    assert wlr_weight("mb(w_max=2)").label == "MB(w_max=2)"
    from survtrial.stats.weights import FlemingHarrington, MagirrBurman

    assert wlr_weight(FlemingHarrington(0, 0.5)) == fleming_harrington(0, 0.5)
    assert wlr_weight(MagirrBurman(delay=6, w_max=2)) == magirr_burman(6, 2)
    assert wlr_weight("mb(delay=6)") == magirr_burman(6)
    s = np.array([1.0, 0.8, 0.4, 0.2])
    np.testing.assert_allclose(fleming_harrington(1, 1)(s), s * (1 - s))
    np.testing.assert_allclose(magirr_burman(w_max=2)(s), [1, 1.25, 2, 2])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fh(-1, 0)", "rho=.* must be a finite number >= 0"),
        ("fh(0, x)", "gamma='x' is not a number"),
        ("mb()", "give t_star, w_max or both"),
        ("mb(w_max=0.5)", "w_max=0.5 must be >= 1"),
        ("mb(s=3)", "unknown parameter"),
        ("wilcoxon", "not recognised"),
    ],
)
def test_bad_weights(spec, message):
    with pytest.raises(InputError, match=message):
        wlr_weight(spec)


def test_information_fraction_looks_target_h0_information():
    d = weighted_logrank_design(delayed(1), "fh(0, 0.5)", analysis_times=36, information_fractions=[0.5, 1],
                                power=0.9)
    np.testing.assert_allclose(d.information_fraction0, [0.5, 1.0], rtol=1e-9)
    assert d.power == pytest.approx(0.9, abs=1e-10)
    assert "FH(0, 0.5)" in repr(d)


def test_matches_npsurvss_vignette():
    # npsurvSS 1.1.0, vignette "Basic functionalities" (inst/doc/basic_functionalities.html):
    #   active  <- create_arm_lachin(size = 120, accr_time = 6, surv_median = 15, loss_milestone = c(120, 0.5),
    #                                follow_time = 12)
    #   control <- create_arm_lachin(size = 120, accr_time = 6, surv_milestone = c(12, 0.5), loss_median = 120,
    #                                follow_time = 12)
    #   power_two_arm(control, active)                                   0.2366524
    #   size_two_arm(control, active)  (weighted logrank, 80%)          n 1219.496, d 631.7837
    #   exp_events(control, active)                                      124.3367
    # npsurvSS's power is Phi(sqrt(n) delta / sigma - z) with the variance under the alternative:
    # survtrial's info_scale="h1"; its integrals use R's integrate (relative tolerance 1.2e-4).
    from survtrial.design.nph_events import events_at

    a = design_assumptions({"duration": [6], "rate": [40]},
                           {"duration": [np.inf], "fail_rate": LOG2 / 12, "hr": 12 / 15, "dropout_rate": LOG2 / 120})
    p = weighted_logrank_power(a, "logrank", analysis_times=18, info_scale="h1")
    assert p.power == pytest.approx(0.2366524, abs=1e-5)
    d = weighted_logrank_design(a, "logrank", analysis_times=18, info_scale="h1", power=0.8)
    assert d.n_subjects == pytest.approx(1219.496, rel=1e-4)
    assert d.max_events == pytest.approx(631.7837, rel=1e-4)
    assert events_at(a, np.array([18.0]))[0] == pytest.approx(124.3367, rel=1e-6)
