"""Tests for binomial and risk-difference confidence intervals (R output, scipy, published tables)."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special
from scipy.stats import binomtest

from survtrial.errors import InputError, StatisticWarning
from survtrial.stats.binomial import BINOMIAL_METHODS, binomial_ci, risk_difference_ci

# ---------------------------------------------------------------- Clopper-Pearson

# R 4: options(digits = 10); binom.test(x, n, conf.level = cl)$conf.int
R_BINOM_TEST = [
    # x, n, conf.level, lower, upper
    (2, 718, 0.95, 0.0003375170243, 0.0100256954910),
    (0, 718, 0.95, 0.0, 0.005124539632),
    (5, 718, 0.95, 0.002264876001, 0.016175808733),
    (718, 718, 0.95, 0.9948754604, 1.0),
    (7, 20, 0.90, 0.1773109176, 0.5580345113),
]


@pytest.mark.parametrize("x, n, level, lo, hi", R_BINOM_TEST)
def test_clopper_pearson_matches_r_binom_test(x, n, level, lo, hi):
    r = binomial_ci(x, n, conf_level=level)
    assert r.method == "clopper-pearson"
    assert r.lower == pytest.approx(lo, rel=1e-9, abs=1e-12)
    assert r.upper == pytest.approx(hi, rel=1e-9)


def test_clopper_pearson_matches_scipy_on_a_grid():
    xs, ns = np.meshgrid(np.arange(0, 31), [30, 31, 57])
    ok = xs <= ns
    x, n = xs[ok], ns[ok]
    r = binomial_ci(x, n, conf_level=0.9)
    for i in range(x.size):
        ci = binomtest(int(x[i]), int(n[i])).proportion_ci(confidence_level=0.9, method="exact")
        assert r.lower[i] == pytest.approx(ci.low, abs=1e-12)
        assert r.upper[i] == pytest.approx(ci.high, abs=1e-12)


def test_clopper_pearson_closed_form_at_zero_and_all():
    # x = 0: upper solves (1 - p)^n = a/2; x = n: lower solves p^n = a/2.
    n = 718
    r0 = binomial_ci(0, n)
    assert r0.lower == 0.0 and r0.proportion == 0.0
    assert r0.upper == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-12)
    rn = binomial_ci(n, n)
    assert rn.upper == 1.0
    assert rn.lower == pytest.approx(0.025 ** (1 / n), rel=1e-12)


@pytest.mark.parametrize("key", ["blina_grade3plus_crs_percent", "blina_seizure_percent"])
def test_published_safety_rates(key, reference):
    # AALL1731 safety table (blinatumomab arm, n = 718): grade >= 3 CRS 0.3% (2/718 is the count
    # that rounds to it), seizures 0.7% (5/718). The exact interval is what a safety table shows.
    n = reference["population"]["randomized_blina"]
    pct = reference["safety"][key]
    x = round(pct / 100 * n)
    r = binomial_ci(x, n)
    assert round(100 * r.proportion, 1) == pct
    ci = binomtest(x, n).proportion_ci(method="exact")
    assert (r.lower, r.upper) == pytest.approx((ci.low, ci.high), abs=1e-12)
    table = binomial_ci(np.array([0, x]), n)  # zero events versus the published count
    assert table.lower[0] == 0.0 and table.upper[0] < table.upper[1]


# ---------------------------------------------------------------- score intervals


def test_wilson_matches_newcombe_1998a_published():
    # Newcombe (1998a) Stat Med 17:857, Table II, method 3 (score, no continuity correction).
    r = binomial_ci([81, 15], [263, 148], method="wilson")
    assert np.round(r.lower, 4).tolist() == [0.2553, 0.0624]
    assert np.round(r.upper, 4).tolist() == [0.3662, 0.1605]


# R 4: prop.test(x, n, correct = FALSE)$conf.int  and  prop.test(x, n, correct = TRUE)$conf.int
R_PROP_TEST = [
    # x, n, correct, lower, upper
    (81, 263, False, 0.2552885199, 0.3662095770),
    (15, 148, False, 0.06238639953, 0.16048724172),
    (0, 20, False, 0.0, 0.1611251581),
    (81, 263, True, 0.2535086823, 0.3681762010),
    (15, 148, True, 0.05977820843, 0.16444977936),
    (1, 29, True, 0.001802640213, 0.196281751010),
]


@pytest.mark.parametrize("x, n, correct, lo, hi", R_PROP_TEST)
def test_wilson_matches_r_prop_test(x, n, correct, lo, hi):
    r = binomial_ci(x, n, method="wilson-cc" if correct else "wilson")
    assert r.lower == pytest.approx(lo, rel=1e-9, abs=1e-12)
    assert r.upper == pytest.approx(hi, rel=1e-9)


@pytest.mark.parametrize("method, scipy_method", [("wilson", "wilson"), ("wilson-cc", "wilsoncc")])
def test_wilson_matches_scipy_on_a_grid(method, scipy_method):
    n = 25
    x = np.arange(n + 1)
    r = binomial_ci(x, n, conf_level=0.8, method=method)
    for i in range(x.size):
        ci = binomtest(int(x[i]), n).proportion_ci(confidence_level=0.8, method=scipy_method)
        assert r.lower[i] == pytest.approx(max(ci.low, 0.0), abs=1e-12)
        assert r.upper[i] == pytest.approx(min(ci.high, 1.0), abs=1e-12)


def test_agresti_coull_and_wald_plain_formula():
    # Double programming with the textbook formulas (Agresti & Coull 1998; Brown et al. 2001).
    z = 1.959963984540054
    for x, n in [(0, 10), (3, 10), (10, 10), (45, 100)]:
        nt = n + z * z
        pt = (x + z * z / 2) / nt
        h = z * math.sqrt(pt * (1 - pt) / nt)
        r = binomial_ci(x, n, method="agresti-coull")
        assert (r.lower, r.upper) == pytest.approx((max(pt - h, 0), min(pt + h, 1)), abs=1e-13)
        p = x / n
        h = z * math.sqrt(p * (1 - p) / n)
        r = binomial_ci(x, n, method="wald")
        assert (r.lower, r.upper) == pytest.approx((max(p - h, 0), min(p + h, 1)), abs=1e-13)


def test_jeffreys_solves_its_defining_equations():
    # Jeffreys limits are the a/2 and 1 - a/2 quantiles of Beta(x + 1/2, n - x + 1/2).
    x, n = np.array([1, 4, 9]), np.array([10, 10, 12])
    r = binomial_ci(x, n, method="jeffreys", conf_level=0.9)
    assert np.allclose(special.betainc(x + 0.5, n - x + 0.5, r.lower), 0.05, atol=1e-12)
    assert np.allclose(special.betainc(x + 0.5, n - x + 0.5, r.upper), 0.95, atol=1e-12)
    edge = binomial_ci([0, 10], 10, method="jeffreys")
    assert edge.lower[0] == 0.0 and edge.upper[1] == 1.0


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(1, 2000),
    frac=st.floats(0, 1),
    level=st.floats(0.5, 0.999),
    method=st.sampled_from(BINOMIAL_METHODS),
)
def test_interval_contains_estimate_and_is_in_unit_range(n, frac, level, method):
    x = round(frac * n)
    r = binomial_ci(x, n, conf_level=level, method=method)
    assert 0.0 <= r.lower <= r.proportion <= r.upper <= 1.0


def test_confidence_interval_method_recomputes():
    r = binomial_ci([3, 8], [20, 20])
    lo, hi = r.confidence_interval(level=0.9, method="wilson")
    again = binomial_ci([3, 8], [20, 20], conf_level=0.9, method="wilson")
    assert np.array_equal(lo, again.lower) and np.array_equal(hi, again.upper)
    assert r.confidence_interval() == (r.lower, r.upper)
    frame = r.to_frame()
    assert list(frame.columns) == ["successes", "n", "proportion", "lower", "upper", "method", "conf_level"]
    assert len(frame) == 2
    assert "2 proportions" in repr(r) and "3/20" in repr(binomial_ci(3, 20))


def test_accepts_pandas_and_polars_series():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    a = binomial_ci(pd.Series([1, 2]), pd.Series([10, 10]))
    b = binomial_ci(pl.Series([1, 2]), pl.Series([10, 10]))
    assert np.array_equal(a.upper, b.upper)


# ---------------------------------------------------------------- risk difference


def test_newcombe_matches_published_table():
    # Newcombe (1998b) Stat Med 17:873, Table II, method 10: (a) 56/70 - 48/80, (b) 9/10 - 3/10.
    r = risk_difference_ci([56, 9], [70, 10], [48, 3], [80, 10])
    assert np.round(r.lower, 4).tolist() == [0.0524, 0.1705]
    assert np.round(r.upper, 4).tolist() == [0.3339, 0.8090]


def test_newcombe_double_programmed_with_scipy_wilson():
    for x1, n1, x2, n2 in [(0, 10, 0, 20), (10, 10, 0, 20), (5, 56, 0, 29), (30, 40, 35, 41)]:
        w1 = binomtest(x1, n1).proportion_ci(method="wilson")
        w2 = binomtest(x2, n2).proportion_ci(method="wilson")
        p1, p2 = x1 / n1, x2 / n2
        lo = p1 - p2 - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
        hi = p1 - p2 + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
        r = risk_difference_ci(x1, n1, x2, n2)
        assert (r.lower, r.upper) == pytest.approx((lo, hi), abs=1e-12)
        assert -1.0 <= r.lower <= r.difference <= r.upper <= 1.0


def test_newcombe_cc_uses_corrected_wilson_limits():
    r = risk_difference_ci(56, 70, 48, 80, method="newcombe-cc")
    a = binomial_ci(56, 70, method="wilson-cc")
    b = binomial_ci(48, 80, method="wilson-cc")
    assert r.lower == pytest.approx(0.2 - math.hypot(0.8 - a.lower, b.upper - 0.6), abs=1e-14)
    assert r.upper == pytest.approx(0.2 + math.hypot(a.upper - 0.8, 0.6 - b.lower), abs=1e-14)
    plain = risk_difference_ci(56, 70, 48, 80)
    assert r.lower < plain.lower and r.upper > plain.upper


# R 4: prop.test(c(x1, x2), c(n1, n2), correct = FALSE)$conf.int
@pytest.mark.parametrize(
    "x1, n1, x2, n2, lo, hi",
    [(56, 70, 48, 80, 0.05750489915, 0.34249510085), (9, 10, 3, 10, 0.2605242798, 0.9394757202)],
)
def test_wald_difference_matches_r_prop_test(x1, n1, x2, n2, lo, hi):
    r = risk_difference_ci(x1, n1, x2, n2, method="wald")
    assert (r.lower, r.upper) == pytest.approx((lo, hi), rel=1e-9)


def test_risk_difference_frame_and_repr():
    r = risk_difference_ci([56, 9], [70, 10], [48, 3], [80, 10])
    assert list(r.to_frame().columns)[:5] == ["proportion1", "proportion2", "difference", "lower", "upper"]
    assert "2 differences" in repr(r)
    assert "0.0524" in repr(risk_difference_ci(56, 70, 48, 80))
    assert r.confidence_interval(0.95) == (r.lower, r.upper)
    with pytest.raises(InputError, match="conf_level"):
        r.confidence_interval(0.9)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: binomial_ci(11, 10), "successes: 11 successes exceed n=10"),
        (lambda: binomial_ci([1, 12], [10, 10]), "successes at position 1: 12 successes exceed n=10"),
        (lambda: binomial_ci([1, -2], 10), "successes position 1: -2 is not a count"),
        (lambda: binomial_ci(1.5, 10), "successes: 1.5 is not a count"),
        (lambda: binomial_ci(1, [10, -1]), "n position 1"),
        (lambda: binomial_ci(1, 10, method="exactish"), "method='exactish' is not known"),
        (lambda: binomial_ci(1, 10, conf_level=95), "conf_level=95 must be strictly between 0 and 1"),
        (lambda: binomial_ci([1, 2, 3], [10, 10]), "do not match"),
        (lambda: risk_difference_ci(1, 10, 12, 10), "x2: 12 successes exceed n2=10"),
        (lambda: risk_difference_ci(1, 10, 2, 10, method="miettinen"), "not known"),
    ],
)
def test_bad_input_names_argument_and_position(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_zero_trials_gives_nan_with_warning():
    with pytest.warns(StatisticWarning, match="position"):
        r = binomial_ci([0, 1], [0, 4])
    assert np.isnan(r.proportion[0]) and np.isnan(r.lower[0]) and np.isnan(r.upper[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert r.upper[1] == binomial_ci(1, 4).upper
