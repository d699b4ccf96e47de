"""Tests for stats.km: R survfit outputs, lifelines / scipy cross-checks, a plain-loop KM, properties.

R values: R 4.2.2, survival 3.5.3, printed with ``sprintf("%.12g", x)``. The synthetic data set
``ds`` is built by the same formula in R and here (see ``synthetic()``).
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

import survtrial.stats.km as km_module
from survtrial.errors import InputError
from survtrial.stats.km import kaplan_meier, product_limit


def synthetic() -> pd.DataFrame:
    """R: i <- 0:89; ds <- data.frame(time = (i * 37) %% 23 + 1,
    event = as.integer((i * 11) %% 5 != 0), g = c("a", "b", "c")[i %% 3 + 1], s = i %/% 30,
    w = i %% 3 + 1, wf = 0.5 + (i %% 4) * 0.25)"""
    i = np.arange(90)
    return pd.DataFrame(
        {
            "time": (i * 37) % 23 + 1.0,
            "event": ((i * 11) % 5 != 0).astype(int),
            "g": np.array(["a", "b", "c"])[i % 3],
            "s": i // 30,
            "w": i % 3 + 1.0,
            "wf": 0.5 + (i % 4) * 0.25,
        }
    )


def plain_km(time, event, weights=None):
    """Independent textbook implementation: a loop over distinct times (double programming)."""
    time = list(map(float, time))
    w = [1.0] * len(time) if weights is None else list(map(float, weights))
    s, gw, rows = 1.0, 0.0, []
    for t in sorted(set(time)):
        n = sum(wi for ti, wi in zip(time, w, strict=True) if ti >= t)
        d = sum(wi for ti, ei, wi in zip(time, event, w, strict=True) if ti == t and ei == 1)
        c = sum(wi for ti, ei, wi in zip(time, event, w, strict=True) if ti == t and ei == 0)
        if d > 0:
            s *= 1.0 - d / n
            gw = gw + d / (n * (n - d)) if n > d else float("inf")
        rows.append((t, n, d, c, s, gw))
    return np.array(rows).T


def random_data(rng, n, kind):
    if kind == "continuous":
        time = rng.exponential(10.0, n)
    else:  # heavy ties
        time = rng.integers(0, 12, n).astype(float)
    event = (rng.random(n) < 0.7).astype(int)
    group = rng.integers(0, 2, n)
    return time, event, group


# ------------------------------------------------------------------ kernel


def test_product_limit_kernel_edge_cases():
    # n == d: S drops to 0 and the Greenwood term is infinite (R: std.err Inf)
    s, gw = product_limit(np.array([5.0, 4, 3, 2, 1]), np.array([1.0, 0, 1, 1, 1]))
    np.testing.assert_allclose(s, [0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3 / 2, 0.0])
    np.testing.assert_allclose(gw[:4], [1 / 20, 1 / 20, 1 / 20 + 1 / 6, 1 / 20 + 1 / 6 + 1 / 2])
    assert np.isinf(gw[4])
    # rows with nobody at risk and no events contribute nothing
    s, gw = product_limit(np.array([5.0, 4, 0]), np.array([1.0, 0, 0]))
    np.testing.assert_allclose(s, [0.8, 0.8, 0.8])
    np.testing.assert_allclose(gw, [0.05, 0.05, 0.05])
    # 2-d: column-wise
    n = np.array([[5.0, 3], [4, 2], [2, 1]])
    d = np.array([[1.0, 0], [1, 2], [0, 1]])
    s2, gw2 = product_limit(n, d)
    for j in range(2):
        sj, gj = product_limit(n[:, j], d[:, j])
        np.testing.assert_array_equal(s2[:, j], sj)
        np.testing.assert_array_equal(gw2[:, j], gj)


# ------------------------------------------------------------------ R survfit


def test_integer_weights_match_r():
    # survfit(Surv(time, event) ~ 1, data = ds, weights = w)   (integer weights: Greenwood)
    fit = kaplan_meier("time", "event", data=synthetic(), weights="w")
    np.testing.assert_array_equal(fit.time, np.arange(1, 24))
    np.testing.assert_array_equal(fit.n_risk[:5], [180, 173, 164, 156, 149])
    np.testing.assert_array_equal(fit.n_event[:5], [6, 6, 6, 6, 6])
    np.testing.assert_array_equal(fit.n_censor[:5], [1, 3, 2, 1, 3])
    np.testing.assert_allclose(
        fit.survival[[0, 5, 12, 20, 21, 22]],
        [0.966666666667, 0.788134584039, 0.527379521328, 0.126788087808, 0.0591677743102, 0],
        rtol=1e-11,
        atol=1e-14,
    )
    np.testing.assert_allclose(
        fit.std_err_log[[0, 5, 12, 20, 21]],
        [0.013840913309, 0.0393032907531, 0.0746989765731, 0.234571329631, 0.362234985714],
        rtol=1e-10,
    )
    assert np.isinf(fit.std_err_log[22])
    # the R call used conf.type = "log" (its default)
    fit_log = kaplan_meier("time", "event", data=synthetic(), weights="w", conf_type="log")
    np.testing.assert_allclose(
        fit_log.lower[[0, 5, 12, 20, 21]],
        [0.940795727426, 0.729701709018, 0.455553489414, 0.08005914988, 0.0290904375855],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        fit_log.upper[[0, 5, 12, 20, 21]],
        [0.993249030797, 0.851246632537, 0.610530192348, 0.200791780002, 0.120342827657],
        rtol=1e-10,
    )


def test_fractional_weights_match_r_greenwood():
    # survfit(Surv(time, event) ~ 1, data = ds, weights = wf, robust = FALSE, conf.type = "log")
    # (R's default for non-integer weights is the robust IJ variance; Greenwood needs robust=FALSE)
    fit = kaplan_meier("time", "event", data=synthetic(), weights="wf", conf_type="log")
    np.testing.assert_allclose(fit.n_risk[[0, 1, 10, 22]], [78.25, 74.75, 44.5, 3.5], rtol=1e-14)
    np.testing.assert_allclose(fit.n_event[[0, 1, 9]], [3, 2.75, 1.5], rtol=1e-14)
    np.testing.assert_allclose(
        fit.survival[[0, 4, 9, 15, 21]],
        [0.961661341853, 0.823751565166, 0.655870461702, 0.416316635152, 0.0664435712921],
        rtol=1e-11,
    )
    np.testing.assert_allclose(
        fit.std_err_log[[0, 4, 9, 15, 21]],
        [0.0225717484745, 0.0529166266073, 0.0846383837606, 0.14532362892, 0.51031901105],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        fit.lower[[0, 4, 9, 15, 21]],
        [0.920044960643, 0.742597595308, 0.55561472791, 0.313129559856, 0.0244381675294],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        fit.upper[[0, 1, 4, 21]], [1, 0.986130977194, 0.913774358281, 0.180649721823], rtol=1e-10
    )


@pytest.mark.parametrize(
    ("conf_type", "lower", "upper"),
    [
        # quantile(survfit(Surv(time, event) ~ g, data = ds, conf.type = "log-log"),
        #          probs = seq(.1, .9, .1))  -> $lower / $upper, rows g = a, b, c
        (
            "log-log",
            [[1, 1, 4, 6, 9, 12, 15, 17, 20], [1, 1, 4, 7, 10, 13, 14, 17, 20],
             [1, 1, 4, 6, 9, 12, 13, 17, 19]],
            [[8, 11, 14, 17, 19, 20, 22, np.nan, np.nan], [7, 11, 14, 16, 18, 20, 22, np.nan, np.nan],
             [6, 9, 13, 16, 18, 20, 21, np.nan, np.nan]],
        ),
        # same with conf.type = "plain"
        (
            "plain",
            [[2, 3, 5, 8, 11, 12, 15, 17, 20], [2, 3, 5, 8, 11, 13, 14, 17, 19],
             [2, 3, 5, 7, 9, 12, 13, 17, 19]],
            [[8, 12, 15, 17, 19, 20, 21, np.nan, np.nan], [8, 11, 14, 16, 18, 20, 22, 22, np.nan],
             [7, 10, 13, 16, 18, 20, 21, 22, np.nan]],
        ),
    ],
)  # fmt: skip
def test_quantiles_match_r_by_group(conf_type, lower, upper):
    # $quantile (same for both conf types): flat-at-q midpoints 3.5 (b, q = .1)
    estimate = [[3, 6, 9, 12, 15, 17, 19, 20, 22], [3.5, 7, 10, 13, 14, 17, 19, 21, 22],
                [3, 6, 9, 12, 13, 16, 19, 21, 22]]  # fmt: skip
    fit = kaplan_meier("time", "event", "g", data=synthetic(), conf_type=conf_type)
    q = fit.quantile(np.arange(1, 10) / 10)
    np.testing.assert_array_equal(q["estimate"].to_numpy().reshape(3, 9), estimate)
    np.testing.assert_array_equal(q["lower"].to_numpy().reshape(3, 9), lower)
    np.testing.assert_array_equal(q["upper"].to_numpy().reshape(3, 9), upper)


def test_quantile_flat_segment_rules_match_r():
    # quantile(survfit(Surv(1:10, rep(1, 10)) ~ 1), probs = c(.3, .5, .7))
    #   quantile 3.5 5.5 7.5; lower 2 3 5; upper 8 NA NA   (conf.type "log")
    q = kaplan_meier(np.arange(1, 11), np.ones(10), conf_type="log").quantile([0.3, 0.5, 0.7])
    np.testing.assert_array_equal(q["estimate"], [3.5, 5.5, 7.5])
    np.testing.assert_array_equal(q["lower"], [2, 3, 5])
    np.testing.assert_array_equal(q["upper"], [8, np.nan, np.nan])
    # flat at exactly 0.5 up to the end of follow-up: midpoint with the last time
    # quantile(survfit(Surv(c(1, 2, 3, 4), c(1, 1, 0, 0)) ~ 1), probs = .5): 3, lower 1, upper NA
    m = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0], conf_type="log").median()
    assert m["estimate"].tolist() == [3.0] and m["lower"].tolist() == [1.0]
    assert np.isnan(m["upper"].iloc[0])
    assert kaplan_meier([1, 2], [1, 1]).quantile(0.0)["estimate"].tolist() == [0.0]


def test_log_log_limits_before_first_event():
    # survfit(Surv(c(1,2,3,4,5,6,7,8), c(0,1,1,0,1,0,1,1)) ~ 1, conf.type = "log-log")
    #   lower NA, 0.334053879292, 0.258153665459, 0.258153665459, 0.131988176963, ...
    #   upper NA, 0.978561058526, 0.919797456045, 0.919797456045, 0.82499704204, ...
    # At S = 1 R 3.5.3 prints NA; current survival (survfit_confint: ifelse(se == 0, p, ...))
    # returns S = 1, which we follow.
    fit = kaplan_meier([1, 2, 3, 4, 5, 6, 7, 8], [0, 1, 1, 0, 1, 0, 1, 1])
    assert fit.lower[0] == 1.0 and fit.upper[0] == 1.0
    np.testing.assert_allclose(
        fit.lower[1:7],
        [0.334053879292, 0.258153665459, 0.258153665459, 0.131988176963, 0.131988176963,
         0.0131247930794],
        rtol=1e-10,
    )  # fmt: skip
    np.testing.assert_allclose(
        fit.upper[1:7],
        [0.978561058526, 0.919797456045, 0.919797456045, 0.82499704204, 0.82499704204,
         0.670013466821],
        rtol=1e-10,
    )  # fmt: skip
    assert np.isnan(fit.lower[7]) and np.isnan(fit.upper[7])


# ------------------------------------------------------------------ double programming


@pytest.mark.parametrize("kind", ["continuous", "ties"])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_plain_loop(kind, weighted):
    rng = np.random.default_rng(11)
    time, event, _ = random_data(rng, 150, kind)
    w = rng.uniform(0.2, 3.0, time.size) if weighted else None
    fit = kaplan_meier(time, event, weights=w)
    t, n, d, c, s, gw = plain_km(time, event, w)
    np.testing.assert_array_equal(fit.time, t)
    np.testing.assert_allclose(fit.n_risk, n, rtol=1e-12)
    np.testing.assert_allclose(fit.n_event, d, rtol=1e-12)
    np.testing.assert_allclose(fit.n_censor, c, rtol=1e-12)
    np.testing.assert_allclose(fit.survival, s, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fit.std_err_log, np.sqrt(gw), rtol=1e-12)


def test_groups_equal_separate_fits():
    rng = np.random.default_rng(5)
    time, event, _ = random_data(rng, 120, "ties")
    group = np.array(["x", "y", "z"])[rng.integers(0, 3, time.size)]
    fit = kaplan_meier(time, event, group)
    for i, g in enumerate(["x", "y", "z"]):
        one = kaplan_meier(time[group == g], event[group == g])
        r = slice(fit.offsets[i], fit.offsets[i + 1])
        np.testing.assert_array_equal(fit.time[r], one.time)
        np.testing.assert_array_equal(fit.survival[r], one.survival)
        np.testing.assert_array_equal(fit.upper[r], one.upper)


# ------------------------------------------------------------------ peers


@pytest.mark.parametrize("kind", ["continuous", "ties"])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_lifelines(kind, weighted, lifelines):
    rng = np.random.default_rng(2024)
    time, event, _ = random_data(rng, 400, kind)
    # lifelines warns on non-integer weights; integer weights keep the comparison clean
    w = rng.integers(1, 4, time.size).astype(float) if weighted else None
    fit = kaplan_meier(time, event, weights=w)
    kmf = lifelines.KaplanMeierFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmf.fit(time, event, weights=w)
    table = kmf.event_table.loc[fit.time]
    np.testing.assert_allclose(fit.n_risk, table["at_risk"], rtol=1e-12)
    np.testing.assert_allclose(fit.n_event, table["observed"], rtol=1e-12)
    np.testing.assert_allclose(fit.n_censor, table["censored"], rtol=1e-12)
    np.testing.assert_allclose(fit.survival, kmf.survival_function_.loc[fit.time].iloc[:, 0], rtol=1e-10, atol=1e-14)
    # lifelines' default interval is the "exponential Greenwood" one = R's log-log; compare where
    # both are defined (lifelines returns 0/1 limits where S = 0, R/we return NaN)
    ci = kmf.confidence_interval_.loc[fit.time].to_numpy()
    ok = fit.survival > 0
    np.testing.assert_allclose(fit.lower[ok], ci[ok, 0], rtol=1e-8)
    np.testing.assert_allclose(fit.upper[ok], ci[ok, 1], rtol=1e-8)
    if not weighted:
        assert float(fit.median()["estimate"].iloc[0]) == pytest.approx(kmf.median_survival_time_)


@pytest.mark.parametrize("kind", ["continuous", "ties"])
def test_matches_scipy_ecdf(kind):
    rng = np.random.default_rng(77)
    time, event, _ = random_data(rng, 500, kind)
    data = scipy_stats.CensoredData(uncensored=time[event == 1], right=time[event == 0])
    sf = scipy_stats.ecdf(data).sf
    np.testing.assert_array_equal(sf.quantiles, kaplan_meier(time, event).time)
    for ours, theirs in (("plain", "linear"), ("log-log", "log-log")):
        fit = kaplan_meier(time, event, conf_type=ours)
        np.testing.assert_allclose(fit.survival, sf.probabilities, rtol=1e-12, atol=1e-15)
        with warnings.catch_warnings():  # scipy warns where the interval is undefined (S = 0, 1)
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = sf.confidence_interval(0.9, method=theirs)
        mine = fit.confidence_interval(0.9)
        ok = (fit.survival > 0) & (fit.survival < 1)
        np.testing.assert_allclose(mine["lower"][ok], ci.low.probabilities[ok], rtol=1e-8)
        np.testing.assert_allclose(mine["upper"][ok], ci.high.probabilities[ok], rtol=1e-8)


# ------------------------------------------------------------------ properties

records = st.lists(
    st.tuples(st.integers(0, 15), st.booleans(), st.sampled_from(["a", "b"])), min_size=1, max_size=40
)


@settings(max_examples=50, deadline=None)
@given(records, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(rows, rnd):
    t, e, g = (list(x) for x in zip(*rows, strict=True))
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    a = kaplan_meier(t, e, g).to_frame()
    b = kaplan_meier([t[i] for i in perm], [e[i] for i in perm], [g[i] for i in perm]).to_frame()
    pd.testing.assert_frame_equal(a, b)


@settings(max_examples=50, deadline=None)
@given(records, st.sampled_from(["log-log", "log", "plain"]))
def test_survival_non_increasing_within_limits(rows, conf_type):
    t, e, g = (list(x) for x in zip(*rows, strict=True))
    fit = kaplan_meier(t, e, g, conf_type=conf_type)
    for i in range(fit.groups.size):
        s = fit.survival[fit.offsets[i] : fit.offsets[i + 1]]
        assert np.all(np.diff(s) <= 0)
        assert np.all((s >= 0) & (s <= 1))
    ok = ~np.isnan(fit.lower)
    assert np.all(fit.lower[ok] <= fit.survival[ok] + 1e-12)
    assert np.all(fit.upper[ok] >= fit.survival[ok] - 1e-12)
    assert np.all((fit.lower[ok] >= 0) & (fit.upper[ok] <= 1))


# ------------------------------------------------------------------ behaviour


def test_all_censored_gives_survival_one():
    fit = kaplan_meier([1.0, 2.0, 3.0], [0, 0, 0])
    assert fit.survival.tolist() == [1.0, 1.0, 1.0]
    assert fit.std_err.tolist() == [0.0, 0.0, 0.0]
    assert fit.lower.tolist() == [1.0, 1.0, 1.0] and fit.upper.tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(fit.median()["estimate"].iloc[0])


def test_survival_at_step_function_and_extension():
    fit = kaplan_meier([2, 4, 4, 6], [1, 1, 0, 0])
    out = fit.survival_at([0, 2, 3, 4, 5, 6, 100])
    np.testing.assert_allclose(out["survival"], [1, 0.75, 0.75, 0.5, 0.5, 0.5, 0.5])
    np.testing.assert_array_equal(out["n_risk"], [4, 4, 3, 3, 1, 1, 0])
    assert out["std_err"].iloc[0] == 0.0
    with pytest.raises(InputError, match="times position 0"):
        fit.survival_at([-1])


def test_confidence_interval_equals_refit():
    d = synthetic()
    fit = kaplan_meier("time", "event", "g", data=d)
    other = kaplan_meier("time", "event", "g", data=d, conf_level=0.8, conf_type="log")
    ci = fit.confidence_interval(0.8, "log")
    np.testing.assert_array_equal(ci["lower"], other.lower)
    np.testing.assert_array_equal(ci["upper"], other.upper)
    assert list(ci.columns) == ["group", "time", "survival", "lower", "upper"]


def test_frame_columns_and_short_repr():
    fit = kaplan_meier("time", "event", "g", data=synthetic())
    frame = fit.to_frame()
    assert list(frame.columns) == [
        "group", "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper",
    ]  # fmt: skip
    assert list(fit.to_frame(cumhaz=True).columns)[-2:] == ["cumhaz", "std_chaz"]
    assert frame["group"].astype(str).unique().tolist() == ["a", "b", "c"]
    assert kaplan_meier([1, 2], [1, 0]).to_frame()["group"].astype(str).tolist() == ["all", "all"]
    text = repr(fit)
    assert len(text.splitlines()) == 2 + 3 and "array" not in text


def test_accepts_polars_pandas_series_and_dicts():
    pl = pytest.importorskip("polars")
    d = synthetic()
    ref = kaplan_meier(d["time"].to_numpy(), d["event"].to_numpy(), d["g"].to_numpy()).to_frame()
    for data in (pl.from_pandas(d), d, {c: d[c].to_numpy() for c in d.columns}):
        pd.testing.assert_frame_equal(kaplan_meier("time", "event", "g", data=data).to_frame(), ref)
    pd.testing.assert_frame_equal(kaplan_meier(d["time"], d["event"].astype(bool), d["g"]).to_frame(), ref)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time": [1, -3, 2], "event": [1, 0, 1]}, r"time position 1: invalid time -3\.0"),
        ({"time": [1, np.nan, 2], "event": [1, 0, 1]}, r"time position 1: missing or infinite time"),
        ({"time": [1, 2, 3], "event": [1, 2, 0]}, r"event position 1: event code 2"),
        ({"time": [1, 2, 3], "event": [1, 0]}, r"different lengths.*event=2"),
        ({"time": [], "event": []}, r"time: empty input"),
        ({"time": ["1", "x", "2"], "event": [1, 0, 1]}, r"time position 1: non-numeric value 'x'"),
        ({"time": [1, 2], "event": [1, 0], "weights": [1, -1]}, r"weights position 1: weight -1"),
        ({"time": [1, 2], "event": [1, 0], "conf_type": "logit"}, r"conf_type: 'logit' is not one of"),
        ({"time": [1, 2], "event": [1, 0], "conf_level": 95}, r"conf_level: 95 is not in \(0, 1\)"),
        ({"time": [1, 2], "event": [1, 0], "group": ["a", None]}, r"group position 1: missing label"),
    ],
)
def test_bad_input_messages(kwargs, message):
    with pytest.raises(InputError, match=message):
        kaplan_meier(**kwargs)


def test_bad_column_and_quantile_arguments():
    d = synthetic()
    with pytest.raises(InputError, match=r"time: column 'AVAL' not found"):
        kaplan_meier("AVAL", "event", data=d)
    with pytest.raises(InputError, match=r"q: expected probabilities in \[0, 1\]"):
        kaplan_meier("time", "event", data=d).quantile(1.5)


def test_docstring_examples_run():
    assert doctest.testmod(km_module).failed == 0


@pytest.mark.parametrize("kind", ["continuous", "ties"])
def test_values_at_and_quantile_values_by_plain_loop(kind):
    """values_at against the textbook loop (S, Greenwood SE, n at risk at landmarks, also between and
    beyond the data), the frames of survival_at / quantile equal to the arrays."""
    rng = np.random.default_rng(5)
    time, event, group = random_data(rng, 60, kind)
    fit = kaplan_meier(time, event, group)
    times = [0.0, 0.5, 3.0, 7.0, float(np.max(time)), 1e3]
    v = fit.values_at(times)
    for i, g in enumerate(fit.groups):
        mine = group == int(g)
        t_g, s_g, gw_g = (plain_km(time[mine], event[mine])[j] for j in (0, 4, 5))
        for j, at in enumerate(times):
            k = np.searchsorted(t_g, at, side="right") - 1
            s, gw = (1.0, 0.0) if k < 0 else (s_g[k], gw_g[k])
            assert v["survival"][i, j] == pytest.approx(s, rel=1e-12, abs=1e-15)
            with np.errstate(invalid="ignore"):  # S = 0 with an infinite Greenwood sum: SE NaN, as R
                se = s * np.sqrt(gw)
            np.testing.assert_allclose(v["std_err"][i, j], se, rtol=1e-9, atol=1e-15, equal_nan=True)
            assert v["n_risk"][i, j] == np.sum(time[mine] >= at)
    frame = fit.survival_at(times)
    for name, arr in fit.values_at(times, columns=["n_event", "lower", "cumhaz"]).items():
        np.testing.assert_array_equal(frame[name].to_numpy(), arr.ravel())
    est, lo, hi = fit.quantile_values([0.25, 0.5])
    q = fit.quantile([0.25, 0.5])
    for name, arr in (("estimate", est), ("lower", lo), ("upper", hi)):
        np.testing.assert_array_equal(q[name].to_numpy(), arr.ravel())
    only, none_lo, none_hi = fit.quantile_values([0.25, 0.5], limits=False)
    np.testing.assert_array_equal(only, est)
    assert none_lo is None and none_hi is None
    with pytest.raises(InputError, match="not landmark columns"):
        fit.values_at([1.0], columns=["median"])
