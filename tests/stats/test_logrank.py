"""Tests for stats.logrank: R survdiff outputs, a plain-loop implementation, lifelines and scipy.

R values: R 4.2.2, survival 3.5.3, printed with ``sprintf("%.12g", x)``; ``ds`` is built by the
same formula in R and in ``synthetic()`` (see tests/stats/test_km.py for the R line).
"""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as scipy_stats
from hypothesis import given, settings
from hypothesis import strategies as st

import survtrial.stats.logrank as logrank_module
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats.logrank import logrank_test


def synthetic() -> pd.DataFrame:
    i = np.arange(90)
    return pd.DataFrame(
        {
            "time": (i * 37) % 23 + 1.0,
            "event": ((i * 11) % 5 != 0).astype(int),
            "g": np.array(["a", "b", "c"])[i % 3],
            "s": i // 30,
        }
    )


def plain_logrank(time, event, group, strata=None, weights=None, rho=0.0, gamma=0.0):
    """Independent loop over strata and event times (double programming): O, E, V, chi-square."""
    n = len(time)
    strata = [0] * n if strata is None else list(strata)
    w = [1.0] * n if weights is None else list(weights)
    levels = sorted(set(group))
    k = len(levels)
    obs, exp = [0.0] * k, [0.0] * k
    var = [[0.0] * k for _ in range(k)]
    for s in sorted(set(strata)):
        rows = [i for i in range(n) if strata[i] == s]
        surv = 1.0  # pooled KM of the stratum, left-continuous
        for t in sorted({time[i] for i in rows if event[i] == 1}):
            at = [i for i in rows if time[i] >= t]
            n_g = [sum(w[i] for i in at if group[i] == g) for g in levels]
            d_g = [sum(w[i] for i in at if time[i] == t and event[i] == 1 and group[i] == g) for g in levels]
            nn, dd = sum(n_g), sum(d_g)
            wt = surv**rho * (1.0 - surv) ** gamma
            for a in range(k):
                obs[a] += wt * d_g[a]
                exp[a] += wt * dd * n_g[a] / nn
                if nn > 1:
                    for b in range(k):
                        delta = 1.0 if a == b else 0.0
                        var[a][b] += wt**2 * dd * (nn - dd) / (nn - 1) * n_g[a] / nn * (delta - n_g[b] / nn)
            surv *= 1.0 - dd / nn
    obs, exp, var = np.array(obs), np.array(exp), np.array(var)
    keep = np.flatnonzero(exp > 0)[1:]
    u = (obs - exp)[keep]
    chi = float(u @ np.linalg.solve(var[np.ix_(keep, keep)], u))
    return obs, exp, var, chi


# ------------------------------------------------------------------ R survdiff

R_SURVDIFF = {
    # survdiff(Surv(time, event) ~ g, data = ds)
    "plain": {
        "kwargs": {},
        "chisq": 0.152719840082,
        "obs": [24, 24, 24],
        "exp": [25.1619737339, 24.1519013423, 22.6861249238],
        "var": [13.8494390857, -7.13267653346, -6.71676255228, -7.13267653346, 13.8672907916,
             -6.73461425811, -6.71676255228, -6.73461425811, 13.4513768104],
    },
    # survdiff(Surv(time, event) ~ g + strata(s), data = ds)
    "strata": {
        "kwargs": {"strata": "s"},
        "chisq": 0.210105097102,
        "obs": [24, 24, 24],
        "exp": [25.7365584682, 22.95605964, 23.3073818919],
        "var": [14.5481786512, -7.32998410831, -7.21819454293, -7.32998410831, 13.8234995047,
             -6.49351539635, -7.21819454293, -6.49351539635, 13.7117099393],
    },
    # survdiff(Surv(time, event) ~ g, data = ds, rho = 1)
    "rho1": {
        "kwargs": {"rho": 1},
        "chisq": 0.102004139957,
        "obs": [13.2173963542, 13.5186096659, 13.9383983817],
        "exp": [13.6930806406, 13.8227630866, 13.1585606746],
        "var": [6.12388326303, -3.12547192116, -2.99841134187, -3.12547192116, 6.19335179915,
             -3.06787987799, -2.99841134187, -3.06787987799, 6.06629121986],
    },
    # survdiff(Surv(time, event) ~ g + strata(s), data = ds, rho = 0.5)
    "strata_rho05": {
        "kwargs": {"strata": "s", "rho": 0.5},
        "chisq": 0.132110992805,
        "obs": [17.0430952254, 17.5468999775, 17.4346377737],
        "exp": [18.1211057597, 17.0264439892, 16.8770832277],
        "var": [8.80143653378, -4.42804076925, -4.37339576453, -4.42804076925, 8.62301557918,
             -4.19497480993, -4.37339576453, -4.19497480993, 8.56837057446],
    },
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(R_SURVDIFF))
def test_matches_r_survdiff(case):
    ref = R_SURVDIFF[case]
    res = logrank_test("time", "event", "g", data=synthetic(), **ref["kwargs"])
    assert res.statistic == pytest.approx(ref["chisq"], rel=1e-9)
    assert res.df == 2
    np.testing.assert_allclose(res.observed, ref["obs"], rtol=1e-10)
    np.testing.assert_allclose(res.expected, ref["exp"], rtol=1e-10)
    np.testing.assert_allclose(res.variance.ravel(), ref["var"], rtol=1e-10)
    assert res.z is None and res.p_value_one_sided is None


def test_two_group_fh_matches_r():
    # survdiff(Surv(time, event) ~ g, data = ds[ds$g != 'c', ], rho = 1)
    #   chisq 0.00462628042934; obs 13.3762573856 13.7612409703; exp 13.5224860173 13.6150123386;
    #   var 4.62203125286
    d = synthetic()
    res = logrank_test("time", "event", "g", data=d[d.g != "c"], rho=1)
    assert res.statistic == pytest.approx(0.00462628042934, rel=1e-9)
    np.testing.assert_allclose(res.observed, [13.3762573856, 13.7612409703], rtol=1e-10)
    np.testing.assert_allclose(res.expected, [13.5224860173, 13.6150123386], rtol=1e-10)
    assert res.variance[1, 1] == pytest.approx(4.62203125286, rel=1e-10)
    # z = (O - E) of b (non-reference) / sqrt(V): O < E here
    assert res.z == pytest.approx((13.7612409703 - 13.6150123386) / np.sqrt(4.62203125286), rel=1e-9)


def test_group_without_expected_events_is_dropped_as_r():
    # ds2 <- data.frame(time = c(1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0.5, 0.7),
    #   event = c(1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0), g = c(rep(c("a", "b"), 6), "c", "c"))
    # survdiff(Surv(time, event) ~ g, data = ds2): Chisq = 0.0151212506648 on 1 df,
    #   p = 0.902132046249; exp 3.16089466089 4.83910533911 0
    time = [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0.5, 0.7]
    event = [1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0]
    group = ["a", "b"] * 6 + ["c", "c"]
    res = logrank_test(time, event, group)
    assert res.df == 1
    assert res.statistic == pytest.approx(0.0151212506648, rel=1e-9)
    assert res.p_value == pytest.approx(0.902132046249, rel=1e-9)
    np.testing.assert_allclose(res.expected, [3.16089466089, 4.83910533911, 0], rtol=1e-10)


# ------------------------------------------------------------------ double programming


def random_data(rng, n, kind, k=2, n_strata=1):
    time = rng.exponential(5.0, n) if kind == "continuous" else rng.integers(0, 8, n).astype(float)
    event = (rng.random(n) < 0.6).astype(int)
    group = np.array(list("ABCDE"))[rng.integers(0, k, n)]
    strata = rng.integers(0, n_strata, n)
    return time, event, group, strata


@pytest.mark.parametrize("kind", ["continuous", "ties"])
@pytest.mark.parametrize(("rho", "gamma"), [(0, 0), (1, 0), (0, 1), (0.5, 2)])
def test_stratified_matches_plain_loop(kind, rho, gamma):
    rng = np.random.default_rng(31)
    time, event, group, strata = random_data(rng, 160, kind, k=3, n_strata=3)
    res = logrank_test(time, event, group, strata=strata, rho=rho, gamma=gamma)
    obs, exp, var, chi = plain_logrank(time, event, group, strata, rho=rho, gamma=gamma)
    np.testing.assert_allclose(res.observed, obs, rtol=1e-11)
    np.testing.assert_allclose(res.expected, exp, rtol=1e-11)
    np.testing.assert_allclose(res.variance, var, rtol=1e-10, atol=1e-12)
    assert res.statistic == pytest.approx(chi, rel=1e-10)


def test_weighted_matches_plain_loop():
    rng = np.random.default_rng(8)
    time, event, group, strata = random_data(rng, 120, "ties", k=2, n_strata=2)
    w = rng.uniform(0.5, 3.0, time.size)
    res = logrank_test(time, event, group, strata=strata, weights=w, rho=1)
    obs, exp, var, chi = plain_logrank(time, event, group, strata, w, rho=1)
    np.testing.assert_allclose(res.observed, obs, rtol=1e-11)
    np.testing.assert_allclose(res.expected, exp, rtol=1e-11)
    np.testing.assert_allclose(res.variance, var, rtol=1e-10)
    assert res.statistic == pytest.approx(chi, rel=1e-10)


@pytest.mark.parametrize("rho", [0, 1])
def test_integer_weights_equal_repeated_rows(rho):
    rng = np.random.default_rng(4)
    time, event, group, strata = random_data(rng, 80, "ties", k=3, n_strata=2)
    w = rng.integers(1, 4, time.size)
    a = logrank_test(time, event, group, strata=strata, weights=w, rho=rho)
    rep = np.repeat(np.arange(time.size), w)
    b = logrank_test(time[rep], event[rep], group[rep], strata=strata[rep], rho=rho)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-11)
    np.testing.assert_allclose(a.expected, b.expected, rtol=1e-12)
    np.testing.assert_allclose(a.variance, b.variance, rtol=1e-11)


# ------------------------------------------------------------------ peers


@pytest.mark.parametrize("kind", ["continuous", "ties"])
def test_matches_lifelines(kind, lifelines):
    lifelines_statistics = lifelines.statistics
    rng = np.random.default_rng(12)
    time, event, group, _ = random_data(rng, 300, kind, k=3)
    ours = logrank_test(time, event, group)
    theirs = lifelines_statistics.multivariate_logrank_test(time, group, event)
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-8)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-8)
    two = group != "C"
    ours2 = logrank_test(time[two], event[two], group[two])
    a, b = group[two] == "A", group[two] == "B"
    t2, e2 = time[two], event[two]
    theirs2 = lifelines_statistics.logrank_test(t2[a], t2[b], e2[a], e2[b])
    assert ours2.statistic == pytest.approx(theirs2.test_statistic, rel=1e-8)


def test_matches_lifelines_weights_and_fleming_harrington(lifelines):
    lifelines_statistics = lifelines.statistics
    rng = np.random.default_rng(13)
    time, event, group, _ = random_data(rng, 300, "ties", k=3)
    # lifelines' FH weighting misaligns its KM when a time equals 0 (its timeline starts at 0)
    time = time + 1.0
    w = rng.integers(1, 5, time.size).astype(float)
    ours = logrank_test(time, event, group, weights=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lifelines_statistics.multivariate_logrank_test(time, group, event, weights=w)
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-8)
    # lifelines' Fleming-Harrington(p, q) = our G(rho = p, gamma = q)
    for p, q in [(1, 0), (0, 1), (1, 1)]:
        ours = logrank_test(time, event, group, rho=p, gamma=q)
        theirs = lifelines_statistics.multivariate_logrank_test(
            time, group, event, weightings="fleming-harrington", p=p, q=q
        )
        assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-8)


@pytest.mark.parametrize("kind", ["continuous", "ties"])
def test_matches_scipy_logrank(kind):
    rng = np.random.default_rng(21)
    time, event, group, _ = random_data(rng, 400, kind)
    ours = logrank_test(time, event, group, reference="A")

    def sample(label):
        m = group == label
        return scipy_stats.CensoredData(uncensored=time[m & (event == 1)], right=time[m & (event == 0)])

    theirs = scipy_stats.logrank(sample("A"), sample("B"))
    # scipy's statistic is (O - E) of its first sample (here the reference A) over sqrt(V)
    assert ours.z == pytest.approx(-theirs.statistic, rel=1e-8)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-8)
    # scipy's alternative="greater" is P(Z >= statistic): more deaths than expected in its first
    # sample (the reference), i.e. our one-sided alternative that the other arm does better
    greater = scipy_stats.logrank(sample("A"), sample("B"), alternative="greater")
    assert ours.p_value_one_sided == pytest.approx(greater.pvalue, rel=1e-8)


# ------------------------------------------------------------------ properties

records = st.lists(
    st.tuples(st.integers(0, 10), st.booleans(), st.sampled_from(["a", "b"]), st.integers(0, 2)),
    min_size=4,
    max_size=40,
).filter(lambda r: {x[2] for x in r} == {"a", "b"} and any(x[1] for x in r))


@settings(max_examples=50, deadline=None)
@given(records)
def test_symmetric_in_arm_labels(rows):
    t, e, g, _ = (list(x) for x in zip(*rows, strict=True))
    swapped = ["b" if x == "a" else "a" for x in g]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticWarning)
        a = logrank_test(t, e, g, reference="a")
        b = logrank_test(t, e, swapped, reference="a")
        c = logrank_test(t, e, g, reference="b")
    assert a.statistic == pytest.approx(b.statistic, rel=1e-9, abs=1e-12)
    assert a.z == pytest.approx(-b.z, rel=1e-9, abs=1e-12)
    assert a.z == pytest.approx(-c.z, rel=1e-9, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(records, st.randoms(use_true_random=False))
def test_one_stratum_and_row_order(rows, rnd):
    t, e, g, s = (list(x) for x in zip(*rows, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticWarning)
        plain = logrank_test(t, e, g, rho=1)
        one = logrank_test(t, e, g, strata=[7] * len(t), rho=1)
        perm = list(range(len(t)))
        rnd.shuffle(perm)
        strat = logrank_test(t, e, g, strata=s)
        strat_perm = logrank_test([t[i] for i in perm], [e[i] for i in perm], [g[i] for i in perm],
                                  strata=[s[i] for i in perm])  # fmt: skip
    assert one.statistic == pytest.approx(plain.statistic, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(one.variance, plain.variance, rtol=1e-12, atol=1e-14)
    assert strat_perm.statistic == pytest.approx(strat.statistic, rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------ behaviour


def test_no_events_warns_and_returns_p_one():
    with pytest.warns(StatisticWarning, match="log-rank test undefined"):
        res = logrank_test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert res.statistic == 0.0 and res.p_value == 1.0 and res.z == 0.0
    assert res.expected.tolist() == [0.0, 0.0]


def test_frame_and_repr():
    res = logrank_test("time", "event", "g", data=synthetic(), strata="s")
    frame = res.to_frame()
    assert list(frame.columns) == [
        "group", "n", "observed", "expected", "o_minus_e", "o_minus_e_sq_over_e", "o_minus_e_sq_over_v",
    ]  # fmt: skip
    assert frame["n"].tolist() == [30, 30, 30]
    text = repr(res)
    assert "3 strata" in text and len(text.splitlines()) == 1 and "array" not in text
    assert len(repr(logrank_test([1, 2, 3, 4], [1, 1, 0, 1], ["x", "y", "x", "y"])).splitlines()) == 2


def test_accepts_polars_and_numeric_reference():
    pl = pytest.importorskip("polars")
    d = synthetic()
    d = d[d.g != "c"].assign(arm=lambda x: (x.g == "b").astype(int))
    a = logrank_test("time", "event", "arm", data=pl.from_pandas(d), reference=1)
    b = logrank_test(d["time"], d["event"], d["arm"], reference=0)
    assert a.reference == "1" and b.reference == "0"
    assert a.z == pytest.approx(-b.z, rel=1e-12)


_TWO = {"time": [1, 2], "event": [1, 0], "group": ["a", "b"]}  # a valid two-subject input to break one way


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({**_TWO, "group": ["a", "a"]}, r"group: only one level \['a'\]; a log-rank test needs at least 2 groups"),
        ({"time": [1, 2, 3], "event": [1, 0, 1], "group": ["a", "b"]}, r"different lengths.*group=2"),
        ({**_TWO, "time": [1, -2]},                 r"time position 1: invalid time -2"),
        ({**_TWO, "event": [1, 3]},                 r"event position 1: event code 3"),
        ({"time": [], "event": [], "group": []},    r"time: empty input"),
        ({**_TWO, "reference": "c"},                r"reference: 'c' is not a group level"),
        ({**_TWO, "rho": -1},                       r"rho=-1: must be a finite number >= 0"),
        ({**_TWO, "group": None},                   r"group: a group column is needed"),
        ({**_TWO, "strata": [1.0, np.nan]},         r"strata position 1: missing label"),
    ],
)  # fmt: skip
def test_bad_input_messages(kwargs, message):
    with pytest.raises(InputError, match=message):
        logrank_test(**kwargs)


def test_docstring_examples_run():
    assert doctest.testmod(logrank_module).failed == 0


def test_weighted_test_with_a_stratum_without_events():
    # R: d <- survdiff(Surv(c(1,2,3,4,5,6,7,8), c(1,0,1,1,0,0,0,0)) ~ c(0,1,0,1,0,1,0,1)
    #                  + strata(c(0,0,0,0,1,1,1,1)), rho = 1)
    #    d$chisq 1.96; d$obs 1.75 0.375 (stratum 2: 0 0); d$exp 0.875 1.25 (0 0)
    r = logrank_test([1, 2, 3, 4, 5, 6, 7, 8], [1, 0, 1, 1, 0, 0, 0, 0], [0, 1, 0, 1, 0, 1, 0, 1],
                     strata=[0, 0, 0, 0, 1, 1, 1, 1], rho=1.0)
    assert r.statistic == pytest.approx(1.96, rel=1e-12)
    np.testing.assert_allclose(r.observed, [1.75, 0.375], rtol=1e-12)
    np.testing.assert_allclose(r.expected, [0.875, 1.25], rtol=1e-12)
