"""Tests for stats.maxcombo and the multivariate normal integration (stats._mvnormal).

simtrial values: simtrial 1.0.2 (DESCRIPTION ``Version: 1.0.2``), printed in its vignette
``maxcombo.Rmd`` and its reference page ``?mb_delayed_effect`` (pkgdown site built from commit
87748f2). Its p-values come from mvtnorm's ``GenzBretz(maxpts = 50000, abseps = 1e-5)``, so they
carry an integration error up to 1e-5. Monte-Carlo checks use fixed seeds and tolerances of
4 Monte-Carlo standard errors plus the integration error bound.
"""

from __future__ import annotations

import doctest
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

import survtrial
import survtrial.stats.maxcombo as maxcombo_module
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats._mvnormal import box_probability
from survtrial.stats.maxcombo import maxcombo_from_counts, maxcombo_p_value, maxcombo_test
from survtrial.stats.weighted_logrank import weighted_logrank_test
from survtrial.stats.weights import MagirrBurman

sys.path.insert(0, str(Path(__file__).parent))
from nph_helpers import plain_table, tied_sample

DATA = Path(__file__).resolve().parents[1] / "data"


def test_aml_matches_simtrial_vignette():
    # simtrial 1.0.2 vignette "maxcombo": x <- aml |> transmute(tte = time, event = status,
    #   stratum = "All", treatment = case_when(x == "Maintained" ~ "experimental",
    #   x == "Nonmaintained" ~ "control"));  x |> maxcombo(rho = c(0, 0), gamma = c(0, 1))
    #   $z -1.842929 -1.621762   $p_value 0.0491509
    aml = pd.read_csv(DATA / "survival_aml.csv")
    r = maxcombo_test("time", "status", "x", data=aml, tests=[(0, 0), (0, 1)], reference="Nonmaintained",
                      alternative="less", timefix=False)
    np.testing.assert_allclose(r.z, [-1.842929, -1.621762], atol=5e-7)
    assert r.statistic == r.z.min()
    assert abs(r.p_value - 0.0491509) <= r.p_value_error + 1e-5 + 5e-8
    assert r.p_value_error <= 1e-5


def test_mb_delayed_effect_matches_simtrial():
    # simtrial 1.0.2 ?mb_delayed_effect:
    #   mb_delayed_effect |> maxcombo(rho = c(0, 0, 1), gamma = c(0, 1, 1), return_corr = TRUE)
    #   $z -2.473248 -2.424018 -2.482653
    #   $corr v1 1 0.8606625 0.9312916 / v2 0.8606625 1 0.9579831 / v3 0.9312916 0.9579831 1
    #   $p_value 0.01104817
    d = pd.read_csv(DATA / "simtrial_mb_delayed_effect.csv")
    r = maxcombo_test("tte", "event", "treatment", data=d, tests=[(0, 0), (0, 1), (1, 1)], reference="control",
                      alternative="less", timefix=False)
    np.testing.assert_allclose(r.z, [-2.473248, -2.424018, -2.482653], atol=5e-7)
    np.testing.assert_allclose(r.correlation[np.triu_indices(3, 1)], [0.8606625, 0.9312916, 0.9579831], atol=5e-8)
    assert abs(r.p_value - 0.01104817) <= r.p_value_error + 1e-5 + 5e-9
    assert r.labels == ["FH(0, 0)", "FH(0, 1)", "FH(1, 1)"]


def test_covariance_matches_plain_loop_and_simtrials_identity():
    time, event, arm, strata, w = tied_sample(seed=21)
    tests = [(0, 0), (0, 0.5), (0.5, 0), (0.5, 0.5), MagirrBurman(delay=6, w_max=2)]
    r = maxcombo_test(time, event, arm, strata, tests=tests, case_weights=w)
    table = plain_table(time.tolist(), event.tolist(), arm.tolist(), strata, w)

    def weight(i, t, s, cap):
        if i < 4:
            rho, gamma = tests[i]
            return s**rho * (1 - s) ** gamma
        return min(min(cap, 2.0), 1 / s)

    k = len(tests)
    cov = np.zeros((k, k))
    score = np.zeros(k)
    for terms in table.values():
        early = [1 / s for t, s, n0, n1, _, _ in terms if t <= 6 and n0 > 0 and n1 > 0]
        cap = max(early) if early else 1.0
        for t, s, n0, n1, d0, d1 in terms:
            nn, dd = n0 + n1, d0 + d1
            h = n0 * n1 * dd * (nn - dd) / (nn * nn * (nn - 1)) if nn > 1 else 0.0
            for i in range(k):
                score[i] += weight(i, t, s, cap) * (d1 - n1 * dd / nn)
                for j in range(k):
                    cov[i, j] += weight(i, t, s, cap) * weight(j, t, s, cap) * h
    np.testing.assert_allclose(r.covariance, cov, rtol=1e-12)
    np.testing.assert_allclose(r.score, score, rtol=1e-12)
    np.testing.assert_allclose(r.z, score / np.sqrt(np.diag(cov)), rtol=1e-12)
    # simtrial computes cov(FH(a), FH(b)) as the variance of FH((rho_a + rho_b)/2, (gamma_a + gamma_b)/2)
    mid = weighted_logrank_test(time, event, arm, strata, rho=0.25, gamma=0.25, case_weights=w)
    assert r.covariance[1, 2] == pytest.approx(mid.variance, rel=1e-12)
    # each component is the weighted log-rank test
    for i, spec in enumerate(r.tests):
        one = weighted_logrank_test(time, event, arm, strata, weights=spec, case_weights=w)
        assert r.z[i] == pytest.approx(one.z, rel=1e-13)


@pytest.mark.parametrize("alternative", ["less", "greater", "two-sided"])
def test_p_value_matches_a_million_draws(alternative):
    time, event, arm, strata, _ = tied_sample(n=300, seed=4)
    r = maxcombo_test(time, event, arm, strata, alternative=alternative)
    draws = np.random.default_rng(20240611).multivariate_normal(np.zeros(4), r.correlation, size=1_000_000)
    if alternative == "less":
        hit = draws.min(axis=1) <= r.statistic
    elif alternative == "greater":
        hit = draws.max(axis=1) >= r.statistic
    else:
        hit = np.abs(draws).max(axis=1) >= r.statistic
    p_mc = hit.mean()
    se = math.sqrt(p_mc * (1 - p_mc) / hit.size)
    assert abs(r.p_value - p_mc) <= 4 * se + r.p_value_error
    assert 0.0005 < r.p_value < 0.9  # a p-value that the check can resolve


def test_p_value_is_reproducible_and_seed_independent_within_its_error():
    time, event, arm, _, _ = tied_sample(seed=2)
    a = maxcombo_test(time, event, arm)
    b = maxcombo_test(time, event, arm)
    c = maxcombo_test(time, event, arm, rng=np.random.default_rng(99))
    assert a.p_value == b.p_value  # the default seed is fixed
    assert abs(a.p_value - c.p_value) <= a.p_value_error + c.p_value_error


def test_swapping_arms_mirrors_the_test_and_rows_order_does_not_matter():
    time, event, arm, strata, _ = tied_sample(seed=17)
    a = maxcombo_test(time, event, arm, strata, alternative="less")
    b = maxcombo_test(time, event, arm, strata, alternative="greater", reference=1)
    np.testing.assert_allclose(b.z, -a.z, atol=1e-13)
    np.testing.assert_allclose(b.correlation, a.correlation, rtol=1e-13)
    assert b.p_value == pytest.approx(a.p_value, abs=a.p_value_error + b.p_value_error)
    perm = np.random.default_rng(3).permutation(time.size)
    c = maxcombo_test(time[perm], event[perm], arm[perm], strata[perm], alternative="less")
    np.testing.assert_allclose(c.z, a.z, rtol=1e-13)
    assert c.p_value == a.p_value  # same correlation, same seed: the same integration
    one = maxcombo_test(time, event, arm, np.zeros(time.size), alternative="less")
    flat = maxcombo_test(time, event, arm, alternative="less")
    np.testing.assert_allclose(one.z, flat.z, rtol=1e-13)


def test_duplicate_tests_give_the_single_test():
    time, event, arm, _, _ = tied_sample(seed=6)
    r = maxcombo_test(time, event, arm, tests=[(0, 0.5), (0, 0.5)], alternative="less")
    one = weighted_logrank_test(time, event, arm, rho=0, gamma=0.5, alternative="less")
    assert r.p_value == pytest.approx(one.p_value, rel=1e-12)  # singular correlation: exact
    assert r.p_value_error == pytest.approx(0.0, abs=1e-15)


def test_from_counts_equals_patient_level():
    time, event, arm, strata, _ = tied_sample(seed=13)
    table = plain_table(time.tolist(), event.tolist(), arm.tolist(), strata)
    rows = [(s, *r) for s in sorted(table) for r in table[s]]
    s_idx, t, _surv, n0, n1, d0, d1 = (np.array(c) for c in zip(*rows, strict=True))
    tests = [(0, 0), (1, 0), MagirrBurman(delay=5)]
    sc = maxcombo_from_counts(n0, n1, d0, d1, s_idx, tests=tests, time=t)
    r = maxcombo_test(time, event, arm, strata, tests=tests)
    np.testing.assert_allclose(sc.z, r.z, rtol=1e-13)
    np.testing.assert_allclose(sc.covariance, r.covariance, rtol=1e-13)
    stat, p, err = maxcombo_p_value(sc.z, sc.covariance, "two-sided")
    assert stat == r.statistic and p == pytest.approx(r.p_value, abs=0) and err == r.p_value_error


@pytest.mark.parametrize("dim", [2, 3, 5])
def test_box_probability_against_scipy(dim):
    rng = np.random.default_rng(dim)
    a = rng.normal(size=(dim, dim + 2))
    cov = a @ a.T / (dim + 2)
    lower = rng.uniform(-2, 0, dim)
    upper = lower + rng.uniform(0.5, 3, dim)
    upper[0] = np.inf
    ours = box_probability(cov, lower, upper, rng=np.random.default_rng(0), abs_tol=1e-6, rel_tol=1e-6)
    ref = multivariate_normal(np.zeros(dim), cov).cdf(upper, lower_limit=lower, rng=np.random.default_rng(1))
    assert abs(ours.probability - ref) <= ours.error + 1e-5  # scipy's own default abseps is 1e-5
    assert ours.error <= 1e-6
    one = box_probability(cov[:1, :1], lower[:1], [1.0], rng=np.random.default_rng(0))
    sd = math.sqrt(cov[0, 0])
    exact = 0.5 * (math.erfc(-1.0 / sd / math.sqrt(2)) - math.erfc(-lower[0] / sd / math.sqrt(2)))
    assert one.probability == pytest.approx(exact, rel=1e-14) and one.error == 0.0


def test_frames_repr_and_top_level_export():
    r = survtrial.maxcombo_test("time", "status", "trt", data=pd.read_csv(DATA / "survival_veteran.csv"))
    frame = r.to_frame()
    assert frame["test"].tolist() == ["FH(0, 0)", "FH(0, 0.5)", "FH(0.5, 0)", "FH(0.5, 0.5)"]
    assert list(frame.columns) == ["test", "score", "variance", "z", "p_value"]
    row = r.summary().iloc[0]
    assert row["p_value"] == r.p_value and row["statistic"] == np.abs(r.z).max()
    assert "MaxComboResult(test vs reference standard" in repr(r)


def test_zero_variance_component_warns():
    with pytest.warns(StatisticWarning, match="zero variance"):
        r = maxcombo_test([1, 1], [1, 1], [0, 1], tests=[(0, 0), (0, 1)])
    assert r.p_value == 1.0


@pytest.mark.parametrize(
    ("tests", "message"),
    [
        ([(0, 0)],               r"at least two weighted tests, got \[\(0, 0\)\]"),
        ((0, 0.5),               r"at least two weighted tests"),
        ([],                     r"at least two weighted tests"),
        ("fh",                   r"expected a list of weights"),
        ([(0, 0), (0, -1)],      r"gamma=-1: must be a finite number >= 0"),
        ([(0, 0), "x"],          r"tests\[1\] = 'x'"),
        ([(0, 0), (1, 2, 3)],    r"tests\[1\] = \(1, 2, 3\)"),
    ],
)  # fmt: skip
def test_bad_tests(tests, message):
    with pytest.raises(InputError, match=message):
        maxcombo_test([1, 2, 3, 4], [1, 1, 1, 0], [0, 1, 0, 1], tests=tests)


def test_docstring_examples_run():
    assert doctest.testmod(maxcombo_module).failed == 0


@pytest.mark.parametrize("r", [0.5, 0.999, 0.9999, 0.99997])
def test_small_p_with_nearly_equal_z_keeps_its_relative_precision(r):
    # two z's of correlation r (FH(0,0) and FH(0.5,0) correlate 0.999-0.99997 while the pooled
    # survival stays near 1): P(max Z >= 3.84) = 2 Phi(-3.84) - Phi_2(-3.84, -3.84; r), with
    # Phi_2(h, h; r) = Phi(h) - 2 T(h, sqrt((1 - r) / (1 + r))) (Owen 1956, exact; scipy's owens_t).
    # Integrating the box and taking 1 minus it gave 6.15e-5 +/- 1e-16 at r = 0.999 (1 - Phi(3.84)
    # alone: the rare region where the second z leaves the box had no points)
    from scipy.special import ndtr, owens_t

    z = 3.84
    exact = 2 * ndtr(-z) - (ndtr(-z) - 2 * owens_t(-z, math.sqrt((1 - r) / (1 + r))))
    stat, p, err = maxcombo_p_value([z, z - 0.5], [[1.0, r], [r, 1.0]], "greater", rng=3)
    assert stat == z
    assert abs(p - exact) <= err + 1e-12 and err <= 1e-3 * exact
    # "less" and "two-sided" are the same event turned around
    _, p_less, _ = maxcombo_p_value([-z, -z + 0.5], [[1.0, r], [r, 1.0]], "less", rng=3)
    assert abs(p_less - exact) <= 2e-3 * exact
    _, p_two, err_two = maxcombo_p_value([z, z - 0.5], [[1.0, r], [r, 1.0]], "two-sided", rng=3)
    assert abs(p_two - 2 * exact) <= err_two + 1e-12  # the two tails are disjoint at this z


def test_small_p_of_four_fh_tests_against_an_independent_integration():
    # four FH z's whose correlation has a pair at 0.99997: the p-value against Plackett's identity
    # integrated by quadrature (tests/stats/nph_helpers.py::_maxcombo_p_reference, error
    # about 1e-8, written independently of both integrations in the package)
    from nph_helpers import _maxcombo_p_reference

    corr = np.array([[1.0, 0.99997, 0.93, 0.90],
                     [0.99997, 1.0, 0.93, 0.90],
                     [0.93, 0.93, 1.0, 0.97],
                     [0.90, 0.90, 0.97, 1.0]])
    for zmin in (-3.6, -4.2):
        stat, p, err = maxcombo_p_value([zmin, zmin + 0.01, zmin + 0.3, zmin + 0.5], corr, "less", rng=11)
        ref = _maxcombo_p_reference(zmin, corr)
        assert stat == zmin and abs(p - ref) <= err + 1e-8 and err <= 2e-3 * ref, (zmin, p, ref, err)
