"""Tests for solve_piecewise_hazards and its closed forms: quadrature, simulation with cox_ph, exact
recovery of consistent targets, and named inconsistent ones."""

import math

import numpy as np
import pytest
from scipy import integrate, optimize

from survtrial.errors import InputError
from survtrial.stats import _piecewise_exp as pe
from survtrial.stats.cox import cox_ph
from survtrial.stats.piecewise_solve import (
    HazardRatioTarget,
    RMSTDifferenceTarget,
    SurvivalTarget,
    solve_piecewise_hazards,
)

BREAKS = np.array([0.0, 0.5, 2.0])
CONTROL = np.array([0.05, 0.045, 0.03])
EXPERIMENTAL = np.array([0.05, 0.015, 0.012])  # no separation before 0.5


def plain_h(breaks, rates, t):
    h = 0.0
    for j, a in enumerate(breaks):
        b = breaks[j + 1] if j + 1 < len(breaks) else math.inf
        h += rates[j] * max(0.0, min(t, b) - a)
    return h


def test_survival_and_restricted_mean_against_quadrature():
    for t in (0.2, 0.5, 1.7, 3.0, 6.0):
        assert math.isclose(pe.survival(BREAKS, CONTROL, np.array([t]))[0], math.exp(-plain_h(BREAKS, CONTROL, t)),
                            rel_tol=1e-14)
        want, _ = integrate.quad(lambda x: math.exp(-plain_h(BREAKS, CONTROL, x)), 0, t, points=[0.5, 2.0],
                                 epsabs=1e-14, epsrel=1e-13)
        assert math.isclose(pe.restricted_mean(BREAKS, CONTROL, t), want, rel_tol=1e-11)
    assert math.isclose(pe.restricted_mean(BREAKS, np.zeros(3), 2.5), 2.5, rel_tol=1e-14)


def test_cox_limit_against_adaptive_quadrature_and_proportional_hazards():
    cens = (np.array([1.0, 5.0]), np.array([1.0, 0.0]))

    def score(b):
        def f(t):
            g = np.interp(t, cens[0], cens[1], left=1.0, right=0.0) * math.exp(-0.02 * t)
            s0, s1 = math.exp(-plain_h(BREAKS, CONTROL, t)), math.exp(-plain_h(BREAKS, EXPERIMENTAL, t))
            j = np.searchsorted(BREAKS, t, side="right") - 1
            p0, p1 = 1 / 3, 2 / 3
            eb = math.exp(b)
            return g * p0 * s0 * p1 * s1 * (EXPERIMENTAL[j] - eb * CONTROL[j]) / (p0 * s0 + p1 * s1 * eb)
        return integrate.quad(f, 0, 5, points=[0.5, 1.0, 2.0], epsabs=1e-15, epsrel=1e-12, limit=200)[0]

    want = optimize.brentq(score, -3, 1, xtol=1e-12)
    got = pe.cox_limit(BREAKS, CONTROL, EXPERIMENTAL, horizon=5, ratio=2, censoring=cens, dropout=0.02)
    assert math.isclose(got, want, abs_tol=1e-9)
    # Proportional hazards: the limit is log HR whatever the follow-up.
    assert math.isclose(pe.cox_limit(BREAKS, CONTROL, 0.6 * CONTROL, horizon=3, censoring=cens), math.log(0.6),
                        abs_tol=1e-12)


def test_cox_limit_against_a_large_simulated_trial():
    """200,000 patients per arm under the delayed effect, uniform follow-up 1-5 years: cox_ph's log HR
    lies within 3 of its SEs of the limit (fixed seed)."""
    rng = np.random.default_rng(1986)
    n = 200_000

    def draw(rates):
        u = rng.exponential(size=n)
        cum = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(BREAKS))])
        k = np.searchsorted(cum, u, side="right") - 1
        return BREAKS[k] + (u - cum[k]) / rates[k]

    t0, t1 = draw(CONTROL), draw(EXPERIMENTAL)
    c0, c1 = rng.uniform(1, 5, n), rng.uniform(1, 5, n)
    time = np.concatenate([np.minimum(t0, c0), np.minimum(t1, c1)])
    event = np.concatenate([t0 <= c0, t1 <= c1]).astype(int)
    fit = cox_ph(time, event, np.repeat([0.0, 1.0], n), timefix=False)
    limit = pe.cox_limit(BREAKS, CONTROL, EXPERIMENTAL, horizon=5, censoring=((1.0, 5.0), (1.0, 0.0)))
    assert abs(fit.coef[0] - limit) <= 3 * fit.se[0]


def _targets(hr_horizon=5.0):
    cens = ((1.0, 5.0), (1.0, 0.0))
    s = lambda r, t: float(pe.survival(BREAKS, r, np.array([t]))[0])  # noqa: E731
    hr = math.exp(pe.cox_limit(BREAKS, CONTROL, EXPERIMENTAL, horizon=hr_horizon, censoring=cens))
    rmst = pe.restricted_mean(BREAKS, EXPERIMENTAL, 4.5) - pe.restricted_mean(BREAKS, CONTROL, 4.5)
    return [
        SurvivalTarget("control", 1.0, s(CONTROL, 1.0), 0.01),
        SurvivalTarget("control", 3.0, s(CONTROL, 3.0), 0.02),
        SurvivalTarget("experimental", 3.0, s(EXPERIMENTAL, 3.0), 0.012),
        HazardRatioTarget(hr, 0.25, horizon=hr_horizon, censoring=cens),
        RMSTDifferenceTarget(rmst, 0.05, tau=4.5),
    ]


def test_consistent_targets_are_met_exactly():
    # Free: control x 3 pieces, experimental x 2 (tied to control before 0.5): 5 hazards, 5 targets.
    sol = solve_piecewise_hazards(_targets(), breaks=BREAKS, arms=["control", "experimental"],
                                  hr_before=(0.5, 1.0))
    assert np.allclose(sol.rates("control"), CONTROL, rtol=1e-7)
    assert np.allclose(sol.rates("experimental"), EXPERIMENTAL, rtol=1e-7)
    assert np.max(np.abs(sol.residual)) < 1e-7
    frame = sol.to_frame("hazards")
    assert frame["solved"].tolist() == [True, True, True, False, True, True]
    assert sol.summary()["target"].tolist()[3:] == ["Cox HR", "RMST difference to 4.5"]


def test_inconsistent_targets_are_named():
    """3-year survival 0.879 vs 0.960 with their SEs (AALL1731's) cannot hold with a Cox HR of 1.0 +- 5%
    on the log scale. The weighted compromise moves the least precise target (chemo, SE 0.021) by 2.85
    SE; the error names it, and names all three as the conflicting set: any two of them fit exactly."""
    targets = [SurvivalTarget("chemo", 3, 0.879, 0.021), SurvivalTarget("blina", 3, 0.960, 0.012),
               HazardRatioTarget(1.0, 0.05, horizon=4)]
    with pytest.raises(InputError) as err:
        solve_piecewise_hazards(targets, arms=["chemo", "blina"])
    msg = str(err.value)
    assert "cannot hold together" in msg and "S(3) chemo 0.879 (model 0.9389, +2.85 SE)" in msg
    assert "the conflict is among S(3) chemo, S(3) blina, Cox HR: leaving out any one" in msg
    assert "(within 0.00, 0.00, 0.00 SE)" in msg
    sol = solve_piecewise_hazards(targets, arms=["chemo", "blina"], max_residual=None)
    assert np.max(np.abs(sol.residual)) > 2


def test_not_well_posed_inputs():
    with pytest.raises(InputError, match=r"4 hazards to solve .* but only 2 target"):
        solve_piecewise_hazards(_targets()[1:3], breaks=[0, 1], arms=["control", "experimental"])
    with pytest.raises(InputError, match=r"no target informs the hazard of a piece 1 \[10, inf\)"):
        solve_piecewise_hazards([SurvivalTarget("a", 3, 0.8, 0.02), SurvivalTarget("a", 5, 0.7, 0.02)],
                                breaks=[0, 10])
    with pytest.raises(InputError, match="must be one of the breaks"):
        solve_piecewise_hazards(_targets(), breaks=BREAKS, hr_before=(0.7, 1.0))
    with pytest.raises(InputError, match=r"survival 87.9 must be in \(0, 1\)"):
        solve_piecewise_hazards([SurvivalTarget("a", 3, 87.9, 2.1)])
    with pytest.raises(InputError, match="standard error"):
        solve_piecewise_hazards([SurvivalTarget("a", 3, 0.879, 0.0)])
    with pytest.raises(InputError, match="arm 'x' is not one of"):
        solve_piecewise_hazards([SurvivalTarget("x", 3, 0.9, 0.01)], arms=["a"])
    with pytest.raises(InputError, match="hazard 0 on"):  # the targets pull a piece to zero hazard
        solve_piecewise_hazards([SurvivalTarget("a", 1, 0.999999999, 0.01), SurvivalTarget("a", 3, 0.8, 0.01)],
                                breaks=[0, 1], max_residual=None)


def test_from_ci():
    hr = HazardRatioTarget.from_ci(0.39, 0.24, 0.64, horizon=5)
    assert math.isclose(hr.se_log, (math.log(0.64) - math.log(0.24)) / (2 * 1.959963984540054), rel_tol=1e-12)
    d = RMSTDifferenceTarget.from_ci(72, 36, 108, tau=1643)
    assert math.isclose(d.se, 72 / (2 * 1.959963984540054), rel_tol=1e-12)


def test_aall1731_published_targets_hold_together_with_a_delayed_effect(reference):
    """AALL1731's 3-year DFS per arm (87.9 +- 2.1, 96.0 +- 1.2), Cox HR 0.39 (0.24-0.64) and RMST
    difference 72 days (36-108), from shared/reference. Assumptions of this test (not published):
    no separation before 0.5 year (the first blinatumomab cycle starts months after randomization),
    RMST horizon 4.5 years (the arm means, up to 1606 days, need a horizon of at least 4.4), the HR
    analysed with follow-up spread uniformly over 0-5 years (accrual 2019-06-28 to the 2024-06-30
    cut). With these the four figures hold together: every residual within 2 SE. The model values are
    re-derived here by quadrature."""
    res = reference["results_first_interim"]
    dfs, hr, rmst = res["dfs_3y"], res["dfs_hazard_ratio"], res["dfs_rmst_difference_days"]
    targets = [
        SurvivalTarget("chemo", 3, dfs["chemo"]["value"] / 100, dfs["chemo"]["se"] / 100),
        SurvivalTarget("blina", 3, dfs["blina"]["value"] / 100, dfs["blina"]["se"] / 100),
        HazardRatioTarget.from_ci(hr["value"], *hr["ci95"], horizon=5.0, censoring=((0.0, 5.0), (1.0, 0.0))),
        RMSTDifferenceTarget.from_ci(*(x / 365.25 for x in (rmst["value"], *rmst["ci95"])), tau=4.5),
    ]
    sol = solve_piecewise_hazards(targets, breaks=[0, 0.5], arms=["chemo", "blina"], hr_before=(0.5, 1.0))
    assert np.max(np.abs(sol.residual)) <= 2
    for t, m in zip(targets[:2], sol.model[:2], strict=True):
        assert math.isclose(m, math.exp(-plain_h([0, 0.5], sol.rates(t.arm), 3.0)), rel_tol=1e-12)
    quad = [integrate.quad(lambda x, a=a: math.exp(-plain_h([0, 0.5], sol.rates(a), x)), 0, 4.5,
                           points=[0.5], epsabs=1e-14)[0] for a in ("blina", "chemo")]
    assert math.isclose(sol.model[3], quad[0] - quad[1], rel_tol=1e-9)
    assert sol.rates("blina")[0] == sol.rates("chemo")[0]
