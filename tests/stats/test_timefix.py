"""Nearly equal times as one time (R survival's timefix), and the statistics with and without it against R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.stats.cox import cox_ph
from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test
from survtrial.stats.rmst import restricted_mean_survival_time
from survtrial.stats.timefix import TIMEFIX_TOLERANCE, merge_near_ties

# R 4.x, survival 3.5.3:
#   time <- c(1, 2, 0.1 + 0.2, 0.3, 3, 0.7 + 0.1, 0.8, 4, 5, 2 + 1e-10, 6, 2.5)
#   event <- c(1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1)
#   group <- rep(c("A", "B"), 6)
#   f <- survfit(Surv(time, event) ~ 1, timefix = TF); f$n.risk; f$surv; f$std.err
#   survdiff(Surv(time, event) ~ group)$chisq        # timefix = TRUE (its FALSE fails in 3.5.3)
#   coxph(Surv(time, event) ~ group, ties = "breslow", control = coxph.control(timefix = TF))$score
#   m <- coxph(Surv(time, event) ~ group, control = coxph.control(timefix = TF)); coef(m); sqrt(diag(vcov(m)))
TIME = np.array([1, 2, 0.1 + 0.2, 0.3, 3, 0.7 + 0.1, 0.8, 4, 5, 2 + 1e-10, 6, 2.5])
EVENT = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1])
GROUP = np.array(["A", "B"] * 6)
R = {
    True: {
        "n_risk": [12, 10, 8, 7, 5, 4, 3, 2, 1],
        "surv": [0.916666666666667, 0.825, 0.721875, 0.61875, 0.495, 0.37125, 0.2475, 0.2475, 0],
        "std_err": [0.0870388279778489, 0.136699922044121, 0.191164880519439, 0.245669565379058,
                    0.332195026081872, 0.440098703346043, 0.600294540499525, 0.600294540499525],
        "logrank": 0.543271368545143,
        "coef": 0.570245396016954,
        "se": 0.78278208594581,
    },
    False: {
        "n_risk": [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        "surv": [1, 0.909090909090909, 0.818181818181818, 0.818181818181818, 0.715909090909091,
                 0.715909090909091, 0.596590909090909, 0.477272727272727, 0.357954545454545,
                 0.238636363636364, 0.238636363636364, 0],
        "std_err": [0, 0.0953462589245592, 0.14213381090374, 0.14213381090374, 0.195087577921207,
                    0.195087577921207, 0.267193743176176, 0.348414259743335, 0.452466385188811,
                    0.609419803085276, 0.609419803085276],
        "logrank": 0.684670462952771,
        "coef": 0.634471352720064,
        "se": 0.778381727281866,
    },
}


def test_the_tolerance_is_rs():
    assert TIMEFIX_TOLERANCE == pytest.approx(1.4901161193847656e-08, rel=0, abs=0)


def test_runs_merge_to_their_first_value_and_chain():
    # 0.1 + 0.2 and 0.3 differ by one ulp; a chain of steps each within the tolerance is one time
    t = np.array([0.1 + 0.2, 0.3, 5.0, 5.0 + 1e-9, 5.0 + 2e-9, 7.0])
    assert merge_near_ties(t).tolist() == [0.3, 0.3, 5.0, 5.0, 5.0, 7.0]
    # relative rule: the step divided by the mean of the distinct |times|
    big = np.array([1e9, 1e9 + 1.0, 2e9])  # step 1 <= 1.49e-8 x mean(1.33e9)
    assert merge_near_ties(big).tolist() == [1e9, 1e9, 2e9]
    # absolute rule: near zero a step below the tolerance merges even if large relative to the mean
    small = np.array([0.0, 1e-9, 1e-12])
    assert merge_near_ties(small).tolist() == [0.0, 0.0, 0.0]


def test_nothing_to_merge_returns_the_same_array():
    t = np.array([1.0, 2.0, 3.0, np.inf])
    assert merge_near_ties(t) is t
    assert merge_near_ties(np.array([4.0])).tolist() == [4.0]


def test_infinite_times_stay():
    t = np.array([1.0, 1.0 + 1e-12, np.inf])
    assert merge_near_ties(t).tolist() == [1.0, 1.0, np.inf]


@pytest.mark.parametrize("timefix", [True, False])
def test_kaplan_meier_as_r(timefix):
    fit = kaplan_meier(TIME, EVENT, timefix=timefix)
    want = R[timefix]
    np.testing.assert_array_equal(fit.n_risk, want["n_risk"])
    np.testing.assert_allclose(fit.survival, want["surv"], rtol=1e-13, atol=1e-15)
    k = len(want["std_err"])  # R's std.err is the SE of log S (Inf at S = 0)
    np.testing.assert_allclose(fit.std_err_log[:k], want["std_err"], rtol=1e-12)


@pytest.mark.parametrize("timefix", [True, False])
def test_logrank_and_cox_as_r(timefix):
    want = R[timefix]
    assert logrank_test(TIME, EVENT, GROUP, timefix=timefix).statistic == pytest.approx(want["logrank"], rel=1e-12)
    fit = cox_ph(TIME, EVENT, (GROUP == "B").astype(float), timefix=timefix)
    assert fit.coef[0] == pytest.approx(want["coef"], rel=1e-8)
    assert fit.se[0] == pytest.approx(want["se"], rel=1e-8)


def test_rmst_merges_as_the_curve_does():
    # the area under the merged curve equals the area under the curve of the exactly tied times
    tied = np.where(np.isclose(TIME, 0.3), 0.3, np.where(np.isclose(TIME, 0.8), 0.8, TIME))
    tied = np.where(np.isclose(tied, 2.0), 2.0, tied)
    a = restricted_mean_survival_time(TIME, EVENT, tau=5.5)
    b = restricted_mean_survival_time(tied, EVENT, tau=5.5, timefix=False)
    assert a.rmst[0] == b.rmst[0] and a.std_err[0] == b.std_err[0]
    c = restricted_mean_survival_time(TIME, EVENT, tau=5.5, timefix=False)
    assert c.rmst[0] != a.rmst[0]


def _aeq_reference(t, tol=TIMEFIX_TOLERANCE):
    """R's aeqSurv, line by line: cuts = the distinct times not tied to the one before; each time
    becomes the last cut at or below it (findInterval)."""
    y = np.unique(t[np.isfinite(t)])
    if y.size < 2:
        return t
    dy = np.diff(y)
    tied = (dy <= tol) | (dy / np.mean(np.abs(y)) <= tol)
    cuts = y[np.concatenate(([True], ~tied))]
    out = t.copy()
    fin = np.isfinite(t)
    out[fin] = cuts[np.searchsorted(cuts, t[fin], side="right") - 1]
    return out


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 2000), st.sampled_from([0.0, 0.002, 0.05, 0.5, 1.0]))
def test_merging_equals_rs_rule(seed, n, share_near):
    # share_near of the times sit a rounding error (or a chain of them) above another time: few
    # moved values take the look-up path, many the sorting-permutation path
    rng = np.random.default_rng(seed)
    t = rng.exponential(5.0, n).round(rng.integers(0, 8))
    near = rng.random(n) < share_near
    t[near] = t[rng.integers(0, n, near.sum())] * (1 + rng.integers(1, 4, near.sum()) * 4e-9)
    if n > 3:
        t[0] = np.inf
    want = _aeq_reference(t)
    got = merge_near_ties(t)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n_near", [3, 400])
def test_both_merging_paths(n_near):
    # 3 near-equal values among 2,000 take the look-up path, 400 the sorting-permutation path
    rng = np.random.default_rng(n_near)
    t = rng.exponential(5.0, 2000)
    t[:n_near] = t[1000:1000 + n_near] + 1e-14
    got = merge_near_ties(t)
    assert (got != t).sum() == n_near
    np.testing.assert_array_equal(got, _aeq_reference(t))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 300), st.sampled_from([0.0, 0.05, 0.5]), st.booleans())
def test_count_tables_merge_as_the_times_do(seed, n, share_near, weighted):
    # kaplan_meier and logrank_test merge their per-group (and per-stratum) count tables; that
    # must equal merging the times first and analysing them exactly
    rng = np.random.default_rng(seed)
    t = rng.exponential(5.0, n).round(rng.integers(0, 8))
    near = rng.random(n) < share_near
    t[near] = t[rng.integers(0, n, near.sum())] * (1 + rng.integers(1, 4, near.sum()) * 4e-9)
    e = rng.integers(0, 2, n)
    g = rng.integers(0, 3, n)
    s = rng.integers(0, 2, n)
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    fixed = merge_near_ties(t)
    a = kaplan_meier(t, e, g, weights=w).to_frame()
    b = kaplan_meier(fixed, e, g, weights=w, timefix=False).to_frame()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    if len(np.unique(g)) > 1 and e.sum() > 0:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = logrank_test(t, e, g, strata=s, weights=w, rho=1.0)
            y = logrank_test(fixed, e, g, strata=s, weights=w, rho=1.0, timefix=False)
        # weighted sums: a merged table adds per-time sums, so the last bit may differ
        np.testing.assert_allclose(x.observed, y.observed, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(x.expected, y.expected, rtol=1e-13, atol=1e-13)
        assert x.statistic == pytest.approx(y.statistic, rel=1e-11, abs=1e-13)


@pytest.mark.parametrize("fn", [kaplan_meier, logrank_test, cox_ph, restricted_mean_survival_time])
def test_timefix_must_be_a_flag(fn):
    from survtrial.errors import InputError

    args = {kaplan_meier: (TIME, EVENT), logrank_test: (TIME, EVENT, GROUP),
            cox_ph: (TIME, EVENT, (GROUP == "B").astype(float)),
            restricted_mean_survival_time: (TIME, EVENT)}[fn]
    extra = {"tau": 3.0} if fn is restricted_mean_survival_time else {}
    with pytest.raises(InputError, match="timefix must be True or False, got 'yes'"):
        fn(*args, timefix="yes", **extra)
