"""MaxCombo designs: the multivariate-normal engine against Monte Carlo and scipy, gsDesign2's documented
examples (version 1.1.8, Merck/gsDesign2 commit a9352e0b: pkgdown pages gs_power_combo.html,
gs_design_combo.html, fixed_design.html), bad input.

gsDesign2 integrates with mvtnorm's GenzBretz(maxpts = 1e5, abseps = 1e-5); survtrial's integration
error is in ``standard_error`` (a few 1e-6 for alpha, 1e-4 for crossing probabilities under the
alternative). Tolerances below are a few times the larger of the two.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import multivariate_normal

from survtrial.design import _combo
from survtrial.design._mvn import Genz
from survtrial.design.maxcombo_design import maxcombo_design, maxcombo_power
from survtrial.design.nph_assumptions import design_assumptions
from survtrial.design.spending import obrien_fleming_spending
from survtrial.errors import InputError

LOG2 = math.log(2)


def delayed(rate: float, duration: float = 12):
    return design_assumptions({"duration": [duration], "rate": [rate]},
                              {"duration": [4, 100], "fail_rate": LOG2 / 15, "hr": [1, 0.6], "dropout_rate": 0.001})


def gs_correlation(m: int = 4, fractions=(0.3, 0.7, 1.0), within: float = 0.9):
    base = within * np.ones((m, m)) + (1 - within) * np.eye(m)
    k = len(fractions)
    corr = np.zeros((m * k, m * k))
    for i in range(k):
        for j in range(k):
            corr[i * m:(i + 1) * m, j * m:(j + 1) * m] = base * math.sqrt(min(fractions[i], fractions[j])
                                                                          / max(fractions[i], fractions[j]))
    return corr


# --------------------------------------------------------------------------------------------
# The integration engine


def test_rectangle_probability_matches_scipy():
    corr = gs_correlation(m=2, fractions=(0.5, 1.0))
    mean = np.array([0.3, 0.4, 0.9, 1.0])
    lo, hi = np.array([-np.inf, -1.0, -np.inf, 0.5]), np.array([2.5, 2.4, 2.0, np.inf])
    got, se = Genz(mean, corr).probability(lo, hi)
    want = multivariate_normal.cdf(hi, mean=mean, cov=corr, lower_limit=lo, abseps=1e-9, releps=0,
                                   maxpts=10**7, rng=1)
    assert abs(got - want) < max(4 * se, 2e-6)
    assert se < 1e-4


def test_group_sequential_probabilities_match_monte_carlo():
    # 4 tests x 3 looks: P(continue through looks 1-2, max z at look 3 >= 2.1) under H0 and with drift,
    # against 2 x 10^6 draws of the same normal vector (seed 7); tolerance 4 Monte-Carlo SEs
    corr = gs_correlation()
    blocks = [np.arange(0, 4), np.arange(4, 8), np.arange(8, 12)]
    upper = np.array([3.5, 2.6, 2.1])
    lower = np.array([-0.5, 0.8, 2.1])
    chol = np.linalg.cholesky(corr)
    rng = np.random.default_rng(7)
    for mean in (np.zeros(12), np.repeat([0.8, 1.6, 2.1], 4)):
        hits_up, hits_low, n = np.zeros(3), np.zeros(3), 0
        for _ in range(4):
            x = rng.standard_normal((500_000, 12)) @ chol.T + mean
            alive = np.ones(x.shape[0], bool)
            for k, b in enumerate(blocks):
                mx = x[:, b].max(axis=1)
                up, low = alive & (mx >= upper[k]), alive & (mx < lower[k]) & (mx < upper[k])
                hits_up[k] += up.sum()
                hits_low[k] += low.sum()
                alive &= ~(up | low)
            n += x.shape[0]
        g = Genz(mean, corr)
        up, low, se_up, _se_low = _combo.crossings(g, blocks, upper, lower)
        mc_up, mc_low = hits_up / n, hits_low / n
        mc_se = np.sqrt(np.maximum(mc_up * (1 - mc_up), 1e-12) / n)
        assert np.all(np.abs(up - mc_up) < 4 * (mc_se + np.r_[se_up[0], np.diff(se_up)].clip(min=0) + 1e-6))
        mc_se_low = np.sqrt(np.maximum(mc_low * (1 - mc_low), 1e-12) / n)
        assert np.all(np.abs(low - mc_low) < 4 * (mc_se_low + 2e-4))


def test_efficacy_bound_of_one_test_is_the_normal_quantile():
    # a single variable per look reduces to the canonical group-sequential model
    g = Genz(np.zeros(1), np.ones((1, 1)))
    b = _combo.efficacy_bound(g, [np.arange(1)], np.array([np.inf]), 0, 0.025, None)
    assert b == pytest.approx(1.959963985, abs=2e-6)


# --------------------------------------------------------------------------------------------
# gsDesign2 1.1.8


FH_TEST = dict(tests=["logrank", "fh(0, 0.5)", "fh(0.5, 0.5)"], analysis_times=[12, 24, 36],
               tests_by_look=[[0], [0], [0, 1, 2]])


def gsdesign2_spending_times():
    """gsDesign2's spending times, backed out of its printed alpha: sfLDOF(t1) = 3.299865e-10 and
    sfLDOF(t2) = 2.565830e-03. They are its smallest H0 information fractions; survtrial's own (from
    variances integrated to 1e-9) are 0.127143 and 0.552615 (R's integrate at its default tolerance)."""
    of = obrien_fleming_spending()
    t1 = brentq(lambda t: of(t, 0.025) - 3.299865e-10, 0.05, 0.5, xtol=1e-15)
    t2 = brentq(lambda t: of(t, 0.025) - 2.565830e-03, 0.3, 0.9, xtol=1e-15)
    return [t1, t2, 1.0]


def test_power_with_spending_matches_gsdesign2():
    # gs_power_combo(enroll_rate = define_enroll_rate(duration = 12, rate = 500 / 12), fail_rate,
    #   fh_test = rbind(data.frame(rho = 0, gamma = 0, tau = -1, test = 1, analysis = 1:3,
    #                              analysis_time = c(12, 24, 36)),
    #                   data.frame(rho = c(0, 0.5), gamma = 0.5, tau = -1, test = 2:3, analysis = 3,
    #                              analysis_time = 36)),
    #   upper = gs_spending_combo, upar = list(sf = gsDesign::sfLDOF, total_spend = 0.025),
    #   lower = gs_spending_combo, lpar = list(sf = gsDesign::sfLDOF, total_spend = 0.2))
    #   analysis bound  probability probability0         z
    # 1        1 upper 6.329275e-08 3.299865e-10  6.175397
    # 2        1 lower 3.269613e-04 0.000000e+00 -2.516527
    # 3        2 upper 4.260145e-01 2.565830e-03  2.798651
    # 4        2 lower 8.468664e-02 0.000000e+00  1.237721
    # 5        3 upper 9.016034e-01 2.501539e-02  2.097415
    #   event 107.3943 246.2834 331.2910
    p = maxcombo_power(delayed(500 / 12), **FH_TEST, alpha_spending="OF", beta_spending="OF", beta=0.2,
                       info_scale="h1", convention="gsdesign2", spending_time=gsdesign2_spending_times())
    np.testing.assert_allclose(p.events, [107.3943, 246.2834, 331.2910], rtol=1e-6)
    np.testing.assert_allclose(p.upper, [6.175397, 2.798651, 2.097415], atol=5e-4)
    np.testing.assert_allclose(p.lower[:2], [-2.516527, 1.237721], atol=1e-4)
    np.testing.assert_allclose(np.cumsum(p.upper_h1), [6.329275e-08, 4.260145e-01, 9.016034e-01], atol=3e-4)
    np.testing.assert_allclose(np.cumsum(p.lower_h1)[:2], [3.269613e-04, 8.468664e-02], atol=3e-4)
    np.testing.assert_allclose(p.alpha_spent, [3.299865e-10, 2.565830e-03, 0.025], atol=3e-5)
    assert p.standard_error["alpha"][-1] < 2e-5


def test_design_with_spending_matches_gsdesign2():
    # gs_design_combo(enroll_rate, fail_rate, fh_test, alpha = 0.025, beta = 0.2, ratio = 1, binding = FALSE,
    #   upper = gs_spending_combo, upar = list(sf = sfLDOF, total_spend = 0.025),
    #   lower = gs_spending_combo, lpar = list(sf = sfLDOF, total_spend = 0.2))            (example 2)
    #   z 6.1753973 / -2.7160302, 2.7986508 / 0.6532811, 2.0974153; n 301.2857
    #   upper probability 2.088148e-08 2.203595e-01 7.999986e-01; event 64.71271 148.40332 199.62644
    d = maxcombo_design(delayed(500 / 12), **FH_TEST, alpha_spending="OF", beta_spending="OF", power=0.8,
                        info_scale="h1", convention="gsdesign2", spending_time=gsdesign2_spending_times())
    assert d.n_subjects == pytest.approx(301.2857, rel=1e-3)
    np.testing.assert_allclose(d.events, [64.71271, 148.40332, 199.62644], rtol=1e-3)
    np.testing.assert_allclose(d.upper, [6.1753973, 2.7986508, 2.0974153], atol=5e-4)
    np.testing.assert_allclose(d.lower[:2], [-2.7160302, 0.6532811], atol=1e-3)
    np.testing.assert_allclose(np.cumsum(d.upper_h1), [2.088148e-08, 2.203595e-01, 0.8], atol=3e-4)


def test_design_with_fixed_bounds_matches_gsdesign2():
    # gs_design_combo(enroll_rate, fail_rate, fh_test, alpha = 0.025, beta = 0.2, ratio = 1, binding = FALSE,
    #   upar = x$upper$bound, lpar = x$lower$bound)      (example 1, bounds of a gsDesign::gsSurv design)
    #   z 3.7103029 / -0.2361874, 2.5114070 / 1.1703638, 1.9929702 / 1.9929702; n 444.8006
    #   upper probability 0.002056996 0.469126614 0.800002232
    d = maxcombo_design(delayed(500 / 12), **FH_TEST, efficacy_bounds=[3.7103029, 2.5114070, 1.9929702],
                        futility_bounds=[-0.2361874, 1.1703638, 1.9929702], power=0.8, info_scale="h1",
                        convention="gsdesign2")
    assert d.n_subjects == pytest.approx(444.8006, rel=1e-3)
    np.testing.assert_allclose(np.cumsum(d.upper_h1), [0.002056996, 0.469126614, 0.8], atol=3e-4)


@pytest.mark.parametrize(("rate", "n", "power"), [(1, 483, 0.900), (20, 360, 0.797)])
def test_fixed_design_matches_gsdesign2(rate, n, power):
    # fixed_design_maxcombo(alpha = .025, power = .9 (or NULL), enroll_rate = define_enroll_rate(duration = 18,
    #   rate = 1 (or 20)), fail_rate = define_fail_rate(duration = c(4, 100), fail_rate = log(2) / 12,
    #   hr = c(1, .6), dropout_rate = .001), study_duration = 36, rho = c(0, 0.5), gamma = c(0, 0),
    #   tau = c(-1, -1))
    #   -> MaxCombo: FHC(0, 0), FHC(0.5, 0): N 483., Bound 2.02, Power 0.900 / N 360., Power 0.797
    a = design_assumptions({"duration": [18], "rate": [rate]},
                           {"duration": [4, 100], "fail_rate": LOG2 / 12, "hr": [1, 0.6], "dropout_rate": 0.001})
    tests = ["logrank", "fh(0.5, 0)"]
    if rate == 1:
        d = maxcombo_design(a, tests, analysis_times=36, power=0.9, info_scale="h1")
    else:
        d = maxcombo_power(a, tests, analysis_times=36, info_scale="h1")
    assert round(d.n_subjects) == n
    assert round(float(d.upper[0]), 2) == 2.02
    assert round(d.power, 3) == power


# --------------------------------------------------------------------------------------------
# Bad input and result protocol


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tests": ["logrank"]}, "at least two tests"),
        ({"tests": "fh(0, 0.5)"}, "at least two tests"),
        ({"tests": ["logrank", "fh(0,0)"]}, "given twice"),
        ({"tests": ["logrank", "fh(0, 0.5)"], "tests_by_look": [[0], [3]]}, "indices of tests 0..1"),
        ({"tests": ["logrank", "fh(0, 0.5)"], "tests_by_look": [[0], [0]]}, "at least two different tests"),
        ({"tests": ["logrank", "fh(0, 0.5)"], "info_scale": "h0"}, "info_scale"),
        ({"tests": ["logrank", "fh(0, 0.5)"], "alpha": 0.7}, r"alpha=0.7 must be in \(0, 0.5\]"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        maxcombo_power(delayed(500 / 12), analysis_times=[24, 36], **kwargs)


def test_result_protocol():
    p = maxcombo_power(delayed(500 / 12), ["logrank", "fh(0, 0.5)"], analysis_times=[24, 36], beta_spending="OF",
                       beta=0.2)
    frame = p.to_frame()
    assert list(frame["look"]) == [1, 2] and "mean_z FH(0, 0.5)" in frame
    assert frame["cumulative_power"].iloc[-1] == pytest.approx(p.power)
    assert p.summary()["statistic"].iloc[0].startswith("MaxCombo")
    assert "MaxComboDesign" in repr(p)
    assert np.allclose(np.diag(p.correlation_h1), 1.0)
