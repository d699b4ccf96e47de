"""Tests for stats.milestone: R survfit at t* with simtrial 1.0.2's milestone() formulas.

R values from tests/stats/nph_reference.R (R 4.2.2, survival 3.5-3):
``summary(survfit(Surv(month, evntd) ~ trt, data = ex1), times = 6)`` and
``summary(survfit(Surv(time, status) ~ trt, data = veteran), times = 90)`` ($surv, $std.err).
simtrial 1.0.2's ``milestone(data, ms_time, test_type)`` computes from those two numbers per arm:
naive ``z = (S_e - S_c) / sqrt(se_e^2 + se_c^2)``; log-log ``z = -(log(-log S_e) - log(-log S_c)) /
sqrt(sigma_e^2 / log(S_e)^2 + sigma_c^2 / log(S_c)^2)``, sigma^2 = se^2 / S^2. The tests apply
those formulas to R's numbers (an independent computation) and compare.
"""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survtrial
import survtrial.stats.milestone as milestone_module
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats.milestone import milestone_test

DATA = Path(__file__).resolve().parents[1] / "data"

R_KM = {
    # name: (file, time, event, group, reference, t*, S_ref, S_exp, se_ref, se_exp)
    "ex1": ("simtrial_ex1_delayed_effect.csv", "month", "evntd", "trt", 0, 6.0,
            0.409724653700205, 0.561639842648641, 0.0463674735896916, 0.0331412808576326),
    "veteran": ("survival_veteran.csv", "time", "status", "trt", "standard", 90.0,
                0.546746234725774, 0.38016806722689, 0.0602840709903379, 0.0591290241463507),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(R_KM))
def test_matches_r_survfit_and_simtrial_formulas(name):
    file, t, e, g, ref, tstar, s_c, s_e, se_c, se_e = R_KM[name]
    r = milestone_test(t, e, g, data=pd.read_csv(DATA / file), milestone=tstar, reference=ref)
    np.testing.assert_allclose(r.survival, [s_c, s_e], rtol=1e-13)
    np.testing.assert_allclose(r.std_err, [se_c, se_e], rtol=1e-12)
    naive = (s_e - s_c) / math.sqrt(se_e**2 + se_c**2)
    sig_e, sig_c = se_e**2 / s_e**2, se_c**2 / s_c**2
    loglog = -(math.log(-math.log(s_e)) - math.log(-math.log(s_c))) / math.sqrt(
        sig_e / math.log(s_e) ** 2 + sig_c / math.log(s_c) ** 2
    )
    assert r.difference == pytest.approx(s_e - s_c, rel=1e-12)
    assert r.z == pytest.approx(naive, rel=1e-11)
    assert r.z_loglog == pytest.approx(loglog, rel=1e-11)
    assert r.ratio == pytest.approx(math.log(s_e) / math.log(s_c), rel=1e-12)
    # simtrial's one-sided p, pnorm(z, lower.tail = FALSE), is alternative="greater" here
    g_ = milestone_test(t, e, g, data=pd.read_csv(DATA / file), milestone=tstar, reference=ref,
                        alternative="greater")
    assert g_.p_value == pytest.approx(0.5 * math.erfc(naive / math.sqrt(2)), rel=1e-10)
    assert g_.p_value_loglog == pytest.approx(0.5 * math.erfc(loglog / math.sqrt(2)), rel=1e-10)


def test_intervals_and_frames():
    file, t, e, g, ref, tstar, s_c, s_e, se_c, se_e = R_KM["veteran"]
    r = survtrial.milestone_test(t, e, g, data=pd.read_csv(DATA / file), milestone=tstar, reference=ref,
                                 conf_level=0.9)
    q = 1.6448536269514722  # qnorm(0.95)
    lo, hi = r.confidence_interval()
    half = q * math.sqrt(se_c**2 + se_e**2)
    assert (float(lo), float(hi)) == pytest.approx((s_e - s_c - half, s_e - s_c + half), rel=1e-12)
    lo, hi = r.confidence_interval(level=0.95, which="ratio")
    assert float(hi) / float(lo) == pytest.approx(math.exp(2 * 1.959963984540054 * r.log_ratio_se), rel=1e-12)
    # per-arm limits: survfit's log-log interval exp(-exp(log(-log S) -/+ z se_log / log S))
    slo, shi = r.confidence_interval(which="survival")
    se_log = se_c / s_c
    for limit, sign in ((slo, -1), (shi, 1)):
        expect = math.exp(-math.exp(math.log(-math.log(s_c)) + sign * q * se_log / math.log(s_c)))
        assert float(limit[0]) == pytest.approx(expect, rel=1e-12)
    assert list(r.to_frame().columns) == ["group", "n", "n_risk", "survival", "std_err", "lower", "upper"]
    assert r.summary()["measure"].tolist() == ["survival difference", "cumulative hazard ratio (log-log)"]
    assert "t*=90" in repr(r)


def test_beyond_follow_up_names_last_time_per_arm():
    with pytest.raises(InputError, match=r"milestone=12 is beyond the follow-up of arm 'b'.*'a' 20, 'b' 10"):
        milestone_test([5, 20, 3, 10], [1, 0, 1, 0], ["a", "a", "b", "b"], milestone=12)
    # an arm whose curve has reached 0 is defined beyond its last time (S = 0)
    with pytest.warns(StatisticWarning, match="SE of the difference is 0 or undefined"):
        r = milestone_test([5, 20, 3, 10], [1, 0, 1, 1], ["a", "a", "b", "b"], milestone=12)
    assert r.survival.tolist() == [0.5, 0.0]


def test_no_event_before_t_star_makes_loglog_nan():
    with pytest.warns(StatisticWarning, match="log\\(-log\\) ratio is undefined"):
        r = milestone_test([5, 6, 7, 2, 9, 12], [1, 1, 0, 1, 1, 0], ["a"] * 3 + ["b"] * 3, milestone=4)
    assert r.survival[0] == 1.0 and np.isnan(r.z_loglog) and np.isfinite(r.z)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"milestone": -1},        r"milestone=-1 must be a finite time > 0"),
        ({"milestone": "x"},       r"milestone='x' is not a number"),
        ({"conf_level": 1.5},      r"conf_level: 1.5 is not in \(0, 1\)"),
        ({"alternative": "up"},    r"alternative='up'"),
    ],
)  # fmt: skip
def test_bad_input(kwargs, message):
    args = {"time": [1, 2, 3, 4], "event": [1, 1, 1, 0], "group": ["a", "b", "a", "b"], "milestone": 2, **kwargs}
    with pytest.raises(InputError, match=message):
        milestone_test(**args)


def test_docstring_examples_run():
    assert doctest.testmod(milestone_module).failed == 0
