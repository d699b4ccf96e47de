"""RMST and milestone fixed designs: gsDesign2's documented examples (version 1.1.8, pkgdown page
fixed_design.html, which computes with npsurvSS 1.1.0's size_two_arm / power_two_arm), an independent
quadrature of Yung & Liu's variances, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from survtrial.design.km_contrast_design import milestone_design, milestone_power, rmst_design, rmst_power
from survtrial.design.nph_assumptions import design_assumptions
from survtrial.errors import InputError

LOG2 = math.log(2)


def tables(rate: float, hr=0.7, breaks=(100,), control=(LOG2 / 12,)):
    return design_assumptions({"duration": [18], "rate": [rate]},
                              {"duration": list(breaks), "fail_rate": list(control), "hr": hr, "dropout_rate": 0.001})


@pytest.mark.parametrize(
    ("fn", "rate", "n", "events", "power"),
    [
        # fixed_design_rmst(alpha = .025, power = .9, enroll_rate = define_enroll_rate(duration = 18, rate = 1),
        #   fail_rate = define_fail_rate(duration = 100, fail_rate = log(2) / 12, hr = .7, dropout_rate = .001),
        #   study_duration = 36, tau = 18)                       -> RMST: tau = 18  N 671.  Events 477.  Power 0.9
        (rmst_design, 1, 671, 477, 0.9),
        # same with rate = 20 and power = NULL                     -> N 360  Events 256.  Power 0.661
        (rmst_power, 20, 360, 256, 0.661),
        # fixed_design_milestone(..., tau = 18)                  -> Milestone: tau = 18  N 606.  Events 431.
        (milestone_design, 1, 606, 431, 0.9),
        # same with rate = 20 and power = NULL                     -> N 360  Events 256.  Power 0.705
        (milestone_power, 20, 360, 256, 0.705),
    ],
)
def test_matches_gsdesign2_fixed_designs(fn, rate, n, events, power):
    kwargs = {"power": 0.9} if fn in (rmst_design, milestone_design) else {}
    d = fn(tables(rate), 18, study_duration=36, **kwargs)
    assert (round(d.n_subjects), round(d.events), round(d.power, 3)) == (n, events, power)
    assert d.bound == pytest.approx(1.959964, abs=1e-6)


def plain_variances(lam0, hr, tau, t, acc=18.0, phi=0.001):
    """Yung & Liu's sigma^2 per subject, each arm from its own hazard, by nested scipy.quad."""
    out = []
    for lam in (lam0, lam0 * hr):
        def surv(x, lam=lam):
            return math.exp(-lam * x)

        def risk(x, lam=lam):
            return math.exp(-(lam + phi) * x) * min(max(t - x, 0.0), acc) / acc

        def tail(x, lam=lam):
            return quad(surv, x, tau, epsabs=1e-14, epsrel=1e-13)[0]

        rmst_var = quad(lambda x, lam=lam: tail(x) ** 2 * lam / risk(x), 0, tau, epsabs=1e-13, epsrel=1e-12)[0]
        km_var = surv(tau) ** 2 * quad(lambda x, lam=lam: lam / risk(x), 0, tau, epsabs=1e-13, epsrel=1e-12)[0]
        out.append((quad(surv, 0, tau)[0], rmst_var, surv(tau), km_var))
    return out


@pytest.mark.parametrize("tau", [12.0, 18.0, 30.0])
def test_variances_equal_independent_quadrature(tau):
    lam0, hr = LOG2 / 12, 0.7
    (r0, v0, s0, k0), (r1, v1, s1, k1) = plain_variances(lam0, hr, tau, 36.0)
    d = rmst_power(tables(20), tau, study_duration=36)
    assert (d.control, d.experimental) == pytest.approx((r0, r1), rel=1e-12)
    assert d.variance == pytest.approx(v0 / 0.5 + v1 / 0.5, rel=1e-10)
    m = milestone_power(tables(20), tau, study_duration=36)
    assert (m.control, m.experimental) == pytest.approx((s0, s1), rel=1e-12)
    assert m.variance == pytest.approx(k0 / 0.5 + k1 / 0.5, rel=1e-10)


def test_piecewise_delayed_effect_gives_a_larger_rmst_design_than_ph():
    ph = rmst_design(tables(1, hr=0.7), 24, study_duration=36)
    late = rmst_design(tables(1, hr=[1.0, 0.7], breaks=(6, np.inf), control=(LOG2 / 12,) * 2), 24,
                       study_duration=36)
    assert late.n_subjects > ph.n_subjects
    assert late.difference > 0


@pytest.mark.parametrize(
    ("tau", "duration", "message"),
    [(36, 36, "before the analysis at 36"), (0, 36, "must be > 0"), (40, 36, "before the analysis")],
)
def test_tau_beyond_follow_up(tau, duration, message):
    with pytest.raises(InputError, match=message):
        rmst_power(tables(20), tau, study_duration=duration)


def test_one_stratum_only_and_effect_direction():
    two = design_assumptions({"stratum": ["a", "b"], "duration": [18, 18], "rate": [10, 10]},
                             {"stratum": ["a", "b"], "duration": [np.inf, np.inf], "fail_rate": [0.05, 0.08]})
    with pytest.raises(InputError, match="one stratum"):
        milestone_power(two, 12, study_duration=36)
    with pytest.raises(InputError, match="not in favour of the experimental arm"):
        rmst_design(tables(1, hr=1.3), 18, study_duration=36)
    with pytest.raises(InputError, match=r"power: must be in \(0, 1\)"):
        rmst_design(tables(1), 18, study_duration=36, power=1.0)


def test_matches_npsurvss_vignette():
    # npsurvSS 1.1.0, vignette "Basic functionalities": arms as create_arm_lachin(size = 120, accr_time = 6,
    #   surv_median = 15 / surv_milestone = c(12, 0.5), loss median 120, follow_time = 12);
    #   power_two_arm(control, active, test = list(test = "survival difference", milestone = 12))  0.2050328
    #   size_two_arm(..., same test) at 80% power                           n 1459.218, d 755.9768
    a = design_assumptions({"duration": [6], "rate": [40]},
                           {"duration": [np.inf], "fail_rate": LOG2 / 12, "hr": 12 / 15, "dropout_rate": LOG2 / 120})
    assert milestone_power(a, 12, study_duration=18).power == pytest.approx(0.2050328, abs=2e-6)
    d = milestone_design(a, 12, study_duration=18, power=0.8)
    assert d.n_subjects == pytest.approx(1459.218, rel=1e-6)
    assert d.events == pytest.approx(755.9768, rel=1e-6)
