"""Tests for stats.piecewise against R survSplit + coxph (R 4.2.2, survival 3.5-3).

Printed by tests/stats/nph_reference.R, ``pw()``:
``ds <- survSplit(Surv(time, status) ~ ., data = d, cut = cuts, episode = "tgroup")``;
``coxph(Surv(tstart, time, status) ~ arm:strata(tgroup) (+ strata(s)), data = ds)`` with ``arm``
coded 0 (reference) / 1; events per interval and arm from ``table(ds$tgroup, ds$arm, ds$status)``.
"""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survtrial
import survtrial.stats.piecewise as piecewise_module
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats.cox import cox_ph
from survtrial.stats.piecewise import piecewise_hazard_ratio

DATA = Path(__file__).resolve().parents[1] / "data"

R_PIECEWISE = {
    # veteran, cut = c(30, 90, 180), ~ arm:strata(tgroup) (arm = trt == "test"), Efron
    "veteran": {
        "coef": [0.162528973333323, 0.701371123481377, -0.529577554354172, -0.56703447798461],
        "se": [0.31322579333026, 0.365445023674941, 0.399510473358937, 0.433952537217802],
        "events": [19, 22, 12, 20, 21, 9, 12, 13],
    },
    # lung, cut = c(180, 365), ~ arm:strata(tgroup) + strata(ph.ecog) (arm = sex == 2), Breslow
    "lung": {
        "coef": [-0.963231006976701, -0.462506921092289, -0.311330085325151],
        "se": [0.330024056600806, 0.284469271047151, 0.334643734129121],
        "events": [41, 12, 34, 20, 26, 17],
    },
}


def run(name):
    if name == "veteran":
        d = pd.read_csv(DATA / "survival_veteran.csv")
        return piecewise_hazard_ratio("time", "status", "trt", data=d, cuts=[30, 90, 180])
    d = pd.read_csv(DATA / "survival_lung.csv")
    return piecewise_hazard_ratio("time", "status", "sex", "ph.ecog", data=d, cuts=[180, 365], ties="breslow")


@pytest.mark.parametrize("name", sorted(R_PIECEWISE))
def test_matches_r_survsplit_coxph(name):
    ref = R_PIECEWISE[name]
    r = run(name)
    np.testing.assert_allclose(r.coef, ref["coef"], rtol=1e-12)
    np.testing.assert_allclose(r.se, ref["se"], rtol=1e-12)
    np.testing.assert_array_equal(r.events.ravel(), ref["events"])
    # two-sided Wald p and limits from coef and se
    z = np.asarray(ref["coef"]) / np.asarray(ref["se"])
    np.testing.assert_allclose(r.p_value, [math.erfc(abs(v) / math.sqrt(2)) for v in z], rtol=1e-8)
    lo, hi = r.confidence_interval()
    np.testing.assert_allclose(lo, np.exp(np.asarray(ref["coef"]) - 1.959963984540054 * np.asarray(ref["se"])),
                               rtol=1e-9)
    np.testing.assert_allclose(hi / lo, np.exp(2 * 1.959963984540054 * np.asarray(ref["se"])), rtol=1e-9)


@pytest.mark.parametrize("name", sorted(R_PIECEWISE))
def test_average_hazard_ratio_is_the_event_weighted_geometric_mean(name):
    ref = R_PIECEWISE[name]
    r = run(name)
    d = np.asarray(ref["events"], dtype=float).reshape(-1, 2).sum(axis=1)
    coef, se = np.asarray(ref["coef"]), np.asarray(ref["se"])
    # independent computation from R's interval estimates: gsDesign2's AHR formula on observed events
    expect = sum(dk * bk for dk, bk in zip(d, coef, strict=True)) / d.sum()
    expect_se = math.sqrt(sum((dk / d.sum()) ** 2 * sk**2 for dk, sk in zip(d, se, strict=True)))
    assert r.average_log_hr == pytest.approx(expect, rel=1e-9)
    assert r.average_hazard_ratio == pytest.approx(math.exp(expect), rel=1e-9)
    assert r.average_log_hr_se == pytest.approx(expect_se, rel=1e-9)


def test_single_interval_fit_equals_cox_on_truncated_data():
    d = pd.read_csv(DATA / "survival_veteran.csv")
    r = piecewise_hazard_ratio("time", "status", "trt", data=d, cuts=[60])
    late = d[d["time"] > 60]
    fit = cox_ph(late["time"], late["status"], (late["trt"] == "test").astype(float), names=["arm"])
    assert r.coef[1] == pytest.approx(fit.coef[0], rel=1e-12)
    early = d.assign(t=np.minimum(d["time"], 60), e=d["status"] * (d["time"] <= 60))
    fit0 = cox_ph(early["t"], early["e"], (early["trt"] == "test").astype(float), names=["arm"])
    assert r.coef[0] == pytest.approx(fit0.coef[0], rel=1e-12)
    assert r.n_risk[1].tolist() == [float((late["trt"] == "standard").sum()), float((late["trt"] == "test").sum())]


def test_interval_without_events_in_one_arm_is_warned_and_reported():
    time = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    event = [1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0]
    arm = ["a", "b"] * 6
    with pytest.warns(StatisticWarning, match=r"interval \(6, 9\] has 1 event\(s\) in 'a' and 0 in 'b'"):
        r = piecewise_hazard_ratio(time, event, arm, cuts=[6, 9])
    assert r.coef[1] == -np.inf and r.hazard_ratio[1] == 0.0 and np.isnan(r.se[1])
    assert r.events[1].tolist() == [1.0, 0.0]
    assert np.isfinite(r.average_log_hr)  # the average uses the estimable intervals
    frame = r.summary()
    assert frame.index.tolist() == ["(0, 6]", "(6, 9]", "(9, inf]", "average"]


@pytest.mark.parametrize(
    ("cuts", "message"),
    [
        ([90, 30],     r"cuts=\[90.0, 30.0\]: cut points must be strictly increasing"),
        ([30, 30],     r"strictly increasing"),
        ([0, 30],      r"\[0.0\] outside the follow-up.*between 0 and the last follow-up time 999"),
        ([30, 1000],   r"\[1000.0\] outside the follow-up"),
        ([],           r"give one or more finite cut points"),
        (["a"],        r"give the cut points as numbers"),
    ],
)  # fmt: skip
def test_bad_cuts(cuts, message):
    d = pd.read_csv(DATA / "survival_veteran.csv")
    with pytest.raises(InputError, match=message):
        survtrial.piecewise_hazard_ratio("time", "status", "trt", data=d, cuts=cuts)


def test_frames_and_docstring_examples():
    r = run("veteran")
    assert list(r.to_frame().columns) == [
        "start", "end", "n_risk_standard", "n_risk_test", "events_standard", "events_test",
        "hazard_ratio", "lower", "upper", "coef", "se", "p_value",
    ]  # fmt: skip
    assert "average HR" in repr(r)
    assert doctest.testmod(piecewise_module).failed == 0
