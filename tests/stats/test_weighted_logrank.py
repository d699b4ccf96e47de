"""Tests for stats.weighted_logrank and stats.weights: R survdiff, simtrial, a plain loop, properties.

R values: R 4.2.2, survival 3.5-3, printed by tests/stats/nph_reference.R (``sprintf("%.15g")``)
on tests/data/survival_*.csv. simtrial values: simtrial 1.0.2 (DESCRIPTION ``Version: 1.0.2``),
printed in its reference pages (pkgdown site built from commit 87748f2), on its data sets
``ex1_delayed_effect`` and ``mb_delayed_effect`` (tests/data/simtrial_*.csv, all 17 digits).
"""

from __future__ import annotations

import doctest
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survtrial
import survtrial.stats.weighted_logrank as wlr_module
import survtrial.stats.weights as weights_module
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats.logrank import logrank_test
from survtrial.stats.weighted_logrank import weighted_logrank_from_counts, weighted_logrank_test
from survtrial.stats.weights import FlemingHarrington, MagirrBurman, WeightFunction

sys.path.insert(0, str(Path(__file__).parent))
from nph_helpers import plain_table, plain_weighted_logrank, tied_sample

DATA = Path(__file__).resolve().parents[1] / "data"


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name)


def fh(rho, gamma):
    return lambda t, s, cap: s**rho * (1.0 - s) ** gamma


def lung():
    d = read("survival_lung.csv")
    d["arm"] = (d["sex"] == 2).astype(int)
    return d


# ------------------------------------------------------------------ R survdiff (FH(rho, 0))

# nph_reference.R: survdiff(Surv(time, status) ~ trt, data = v, rho = rho) and
# survdiff(Surv(time, status) ~ sex + strata(ph.ecog), data = l, rho = rho):
# chisq, obs (2), exp (2), var[2, 2]
R_SURVDIFF = {
    ("veteran", 0.0): [0.00822734320235077, 64, 64, 64.5001966636009, 63.4998033363991, 30.4103883992589],
    ("veteran", 0.5): [0.474012743384062, 43.2220176585201, 44.9955645978325, 46.0223823442418,
                       42.1951999121108, 16.5439484117064],
    ("veteran", 1.0): [0.871209492927177, 32.2250535741455, 35.2191559103245, 35.3672108808923,
                       32.0769986035777, 11.3326962349423],
    ("lung", 0.0): [10.9647613441404, 101, 49, 81.4202171333735, 68.5797828666265, 34.963633504811],
    ("lung", 0.5): [13.4338699089821, 79.0216133743659, 34.0404709445576, 61.9825096936637,
                    51.0795746252598, 21.61187031055],
    ("lung", 1.0): [14.0724914887717, 65.0853468470423, 25.5765026672914, 50.2780517791579,
                    40.3837977351759, 15.5804668563727],
}  # fmt: skip


@pytest.mark.parametrize(("data", "rho"), sorted(R_SURVDIFF))
def test_fh_rho_matches_r_survdiff(data, rho):
    chisq, o0, o1, e0, e1, v = R_SURVDIFF[(data, rho)]
    if data == "veteran":
        res = weighted_logrank_test("time", "status", "trt", data=read("survival_veteran.csv"), rho=rho)
    else:
        res = weighted_logrank_test("time", "status", "sex", "ph.ecog", data=lung(), rho=rho)
    assert res.chi_square == pytest.approx(chisq, rel=1e-12)
    assert res.variance == pytest.approx(v, rel=1e-12)
    np.testing.assert_allclose(res.observed, [o0, o1], rtol=1e-13)
    np.testing.assert_allclose(res.expected, [e0, e1], rtol=1e-13)
    assert res.score == pytest.approx(o1 - e1, rel=1e-12)
    # z is the weighted O - E of the experimental (second) arm over its SE
    assert res.z == pytest.approx((o1 - e1) / math.sqrt(v), rel=1e-12)


@pytest.mark.parametrize(("rho", "gamma"), [(0, 0), (1, 0), (0, 1), (0.5, 0.5), (2, 0.25)])
def test_logrank_test_with_rho_gamma_agrees(rho, gamma):
    d = lung()
    a = weighted_logrank_test("time", "status", "sex", "ph.ecog", data=d, rho=rho, gamma=gamma)
    b = logrank_test("time", "status", "sex", data=d, strata="ph.ecog", rho=rho, gamma=gamma)
    assert a.z == pytest.approx(b.z, rel=1e-12, abs=1e-15)
    assert a.chi_square == pytest.approx(b.statistic, rel=1e-12)
    np.testing.assert_allclose(a.observed, b.observed, rtol=1e-13)
    np.testing.assert_allclose(a.expected, b.expected, rtol=1e-13)


# ------------------------------------------------------------------ simtrial 1.0.2


def test_fh_gamma_matches_simtrial_wlr():
    # simtrial 1.0.2, ?wlr Example 2:
    #   x <- data.frame(treatment = ifelse(ex1_delayed_effect$trt == 1, "experimental", "control"),
    #                   stratum = "All", tte = ex1_delayed_effect$month, event = ex1_delayed_effect$evntd)
    #   x |> wlr(weight = fh(rho = 0, gamma = 0.5))
    #   $estimate -12.28665  $se 3.716574  $z 3.305908
    # simtrial applies no timefix; its z is -estimate / se, i.e. minus ours.
    d = read("simtrial_ex1_delayed_effect.csv")
    res = weighted_logrank_test("month", "evntd", "trt", data=d, rho=0, gamma=0.5, reference=0, timefix=False)
    assert res.score == pytest.approx(-12.28665, abs=5e-6)
    assert math.sqrt(res.variance) == pytest.approx(3.716574, abs=5e-7)
    assert -res.z == pytest.approx(3.305908, abs=5e-7)
    # simtrial's one-sided p-value pnorm(z, lower.tail = FALSE) is our "less"
    less = weighted_logrank_test("month", "evntd", "trt", data=d, rho=0, gamma=0.5, reference=0,
                                 alternative="less", timefix=False)
    assert less.p_value == pytest.approx(0.5 * math.erfc(3.305908 / math.sqrt(2)), rel=2e-6)


def test_magirr_burman_matches_simtrial_mb_weight():
    # simtrial 0.3.0.7 reference page ?MBdelayed (the same data as 1.0.2's mb_delayed_effect; the
    # mb_weight algorithm is unchanged since, see test_mb_weight_is_simtrials_rule):
    #   ten <- MBdelayed |> counting_process(arm = "experimental") |> mb_weight(6)
    #   ten |> summarize(S = sum(o_minus_e * mb_weight), V = sum(var_o_minus_e * mb_weight^2), Z = S / sqrt(V))
    #   S -18.11459  V 52.42537  Z -2.50183
    d = read("simtrial_mb_delayed_effect.csv")
    res = weighted_logrank_test("tte", "event", "treatment", data=d, weights="mb", delay=6, reference="control",
                                timefix=False)
    assert res.score == pytest.approx(-18.11459, abs=5e-6)
    assert res.variance == pytest.approx(52.42537, abs=5e-6)
    assert res.z == pytest.approx(-2.50183, abs=5e-6)
    assert res.weight_label == "MB(delay=6, w_max=inf)"


def test_mb_weight_is_simtrials_rule():
    d = read("simtrial_mb_delayed_effect.csv")
    arm = (d["treatment"] == "experimental").to_numpy().astype(int)
    t, e = d["tte"].tolist(), d["event"].tolist()
    for delay, w_max in [(6, None), (3, 2.0), (None, 2.0), (0.01, None), (100, 1.5)]:
        res = weighted_logrank_test(t, e, arm, weights=MagirrBurman(delay, w_max), timefix=False)
        dl = math.inf if delay is None else delay
        wm = math.inf if w_max is None else w_max
        score, var = plain_weighted_logrank(t, e, arm, weight=lambda _t, s, cap, wm=wm: min(min(cap, wm), 1 / s),
                                            mb_delay=dl)
        assert res.score == pytest.approx(score, rel=1e-12)
        assert res.variance == pytest.approx(var, rel=1e-12)


# ------------------------------------------------------------------ plain loop


@pytest.mark.parametrize(("rho", "gamma"), [(0, 0), (0, 0.5), (0.5, 0), (1, 2), (0.3, 1.7)])
@pytest.mark.parametrize("stratified", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_fh_matches_plain_loop(rho, gamma, stratified, weighted):
    time, event, arm, strata, w = tied_sample()
    s = strata if stratified else None
    cw = w if weighted else None
    res = weighted_logrank_test(time, event, arm, s, rho=rho, gamma=gamma, case_weights=cw)
    score, var = plain_weighted_logrank(time.tolist(), event.tolist(), arm.tolist(), s, cw, fh(rho, gamma))
    assert res.score == pytest.approx(score, rel=1e-12, abs=1e-13)
    assert res.variance == pytest.approx(var, rel=1e-12)


def test_user_weight_functions_match_plain_loop():
    time, event, arm, strata, _ = tied_sample(seed=8)
    f = lambda t, s: np.sqrt(t) * (1 - s)  # noqa: E731 - a user weight of (time, S(t-))
    res = weighted_logrank_test(time, event, arm, strata, weights=f)
    score, var = plain_weighted_logrank(time.tolist(), event.tolist(), arm.tolist(), strata,
                                        weight=lambda t, s, cap: math.sqrt(t) * (1 - s))
    assert res.score == pytest.approx(score, rel=1e-12)
    assert res.variance == pytest.approx(var, rel=1e-12)
    assert res.weight_label == "<lambda>"
    # the same weight written over the risk-set table
    table_w = WeightFunction(lambda tab: np.sqrt(tab.time) * (1 - tab.surv_left), on="table", name="tab")
    res2 = weighted_logrank_test(time, event, arm, strata, weights=table_w)
    assert res2.z == pytest.approx(res.z, rel=1e-14)
    # a weight of the numbers at risk: Gehan-Breslow (n), a plain loop over the table again
    gehan = WeightFunction(lambda tab: tab.n_risk.sum(axis=1), on="table", name="gehan")
    res3 = weighted_logrank_test(time, event, arm, weights=gehan)
    score3, var3 = 0.0, 0.0
    for _t, _s, n0, n1, d0, d1 in plain_table(time.tolist(), event.tolist(), arm.tolist())[0]:
        nn, dd = n0 + n1, d0 + d1
        score3 += nn * (d1 - n1 * dd / nn)
        var3 += nn * nn * n0 * n1 * dd * (nn - dd) / (nn * nn * (nn - 1)) if nn > 1 else 0.0
    assert res3.score == pytest.approx(score3, rel=1e-12)
    assert res3.variance == pytest.approx(var3, rel=1e-12)


def test_from_counts_is_the_same_arithmetic():
    time, event, arm, strata, w = tied_sample(seed=11)
    table = plain_table(time.tolist(), event.tolist(), arm.tolist(), strata, w)
    rows = [(s, *r) for s in sorted(table) for r in table[s]]
    s_idx, t, _surv, n0, n1, d0, d1 = (np.array(c) for c in zip(*rows, strict=True))
    for spec in [FlemingHarrington(0, 0.5), (1, 1), MagirrBurman(delay=8, w_max=3)]:
        direct = weighted_logrank_test(time, event, arm, strata, weights=spec, case_weights=w)
        counts = weighted_logrank_from_counts(n0, n1, d0, d1, s_idx, weights=spec, time=t)
        assert counts.z == pytest.approx(direct.z, rel=1e-13)
        assert counts.score == pytest.approx(direct.score, rel=1e-13)
        assert counts.variance == pytest.approx(direct.variance, rel=1e-13)
    # rows without events change nothing
    extra = weighted_logrank_from_counts(np.r_[n0, 5.0], np.r_[n1, 4.0], np.r_[d0, 0.0], np.r_[d1, 0.0],
                                         np.r_[s_idx, s_idx[-1]], weights=(0, 1), time=np.r_[t, t[-1] + 1])
    base = weighted_logrank_from_counts(n0, n1, d0, d1, s_idx, weights=(0, 1), time=t)
    assert extra.z == pytest.approx(base.z, rel=1e-14)


# ------------------------------------------------------------------ properties


@st.composite
def two_arm_data(draw):
    n = draw(st.integers(6, 40))
    time = draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))
    event = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    arm = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    if len(set(arm)) < 2:
        arm[0], arm[-1] = 0, 1
    if sum(event) == 0:
        event[0] = 1
    rho = draw(st.sampled_from([0.0, 0.5, 1.0]))
    gamma = draw(st.sampled_from([0.0, 0.5, 2.0]))
    return np.array(time, float), np.array(event), np.array(arm), rho, gamma


@settings(max_examples=60, deadline=None)
@given(two_arm_data(), st.randoms(use_true_random=False))
def test_properties(data, rnd):
    time, event, arm, rho, gamma = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticWarning)
        base = weighted_logrank_test(time, event, arm, rho=rho, gamma=gamma)
        swapped = weighted_logrank_test(time, event, arm, rho=rho, gamma=gamma, reference=1)
        perm = list(range(time.size))
        rnd.shuffle(perm)
        shuffled = weighted_logrank_test(time[perm], event[perm], arm[perm], rho=rho, gamma=gamma)
        one = weighted_logrank_test(time, event, arm, np.zeros(time.size), rho=rho, gamma=gamma)
    assert swapped.z == pytest.approx(-base.z, abs=1e-12)  # arms swapped: the sign flips
    assert swapped.p_value == pytest.approx(base.p_value, abs=1e-12)
    assert shuffled.z == pytest.approx(base.z, abs=1e-12)  # row order changes nothing
    assert one.z == pytest.approx(base.z, abs=1e-12)  # one stratum is unstratified


def test_alternatives():
    time, event, arm, _, _ = tied_sample(seed=3)
    two = weighted_logrank_test(time, event, arm, rho=0, gamma=1)
    less = weighted_logrank_test(time, event, arm, rho=0, gamma=1, alternative="less")
    greater = weighted_logrank_test(time, event, arm, rho=0, gamma=1, alternative="greater")
    z = two.z
    assert less.p_value == pytest.approx(0.5 * math.erfc(-z / math.sqrt(2)), rel=1e-12)
    assert greater.p_value == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=1e-12)
    assert two.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-12)
    assert less.p_value + greater.p_value == pytest.approx(1.0, rel=1e-14)


def test_frames_repr_and_top_level_export():
    res = survtrial.weighted_logrank_test("time", "status", "trt", data=read("survival_veteran.csv"), gamma=1)
    assert list(res.to_frame().columns) == ["group", "n", "events", "observed", "expected", "o_minus_e"]
    row = res.summary().iloc[0]
    assert row["weight"] == "FH(0, 1)" and row["reference"] == "standard" and row["z"] == res.z
    assert "FH(0, 1)" in repr(res) and len(repr(res).splitlines()) == 1
    assert res.to_frame()["n"].tolist() == [69, 68]


def test_zero_variance_warns_with_the_reason():
    with pytest.warns(StatisticWarning, match="only one arm has subjects at risk"):
        r = weighted_logrank_test([5, 6, 1, 2], [1, 1, 0, 0], [0, 0, 1, 1])
    assert r.z == 0.0 and r.p_value == 1.0
    with pytest.warns(StatisticWarning, match="everyone at risk has the event"):
        weighted_logrank_test([1, 1], [1, 1], [0, 1])
    with pytest.warns(StatisticWarning, match="no events"):
        weighted_logrank_test([1, 2], [0, 0], [0, 1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rho": -1},                 r"rho=-1: must be a finite number >= 0"),
        ({"gamma": float("nan")},     r"gamma=nan: must be a finite number >= 0"),
        ({"rho": "0.5"},              r"rho: expected a number >= 0, got '0.5'"),
        ({"gamma": True},             r"gamma: expected a number >= 0, got True"),
        ({"weights": "xyz"},          r"weights='xyz': use 'fh'"),
        ({"weights": "mb"},           r"give the delay t\* \(delay=, in time units\), w_max="),
        ({"weights": "mb", "delay": -2}, r"delay=-2: must be a number >= 0"),
        ({"weights": "mb", "w_max": 0}, r"w_max=0: must be a number > 0"),
        ({"alternative": "two.sided"}, r"alternative='two.sided': use 'two-sided'"),
        ({"group": ["a", "b", "c", "a"]}, r"exactly two arms, found 3 level\(s\)"),
        ({"weights": lambda t, s: [1, 2]}, r"is not 2 numbers|not 3 numbers|one weight per event time"),
        ({"weights": lambda t, s: t * np.inf}, r"non-finite weight"),
    ],
)  # fmt: skip
def test_bad_input(kwargs, message):
    args = {"time": [1, 2, 3, 4], "event": [1, 1, 1, 0], "group": ["a", "b", "a", "b"], **kwargs}
    with pytest.raises(InputError, match=message):
        weighted_logrank_test(**args)


def test_docstring_examples_run():
    assert doctest.testmod(wlr_module).failed == 0
    assert doctest.testmod(weights_module).failed == 0
