"""Tests for piecewise_exponential_fit: a plain loop, the likelihood maximised numerically, simulation."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from survtrial.errors import InputError
from survtrial.stats.piecewise_fit import piecewise_exponential_fit


def plain_counts(t, e, breaks):
    """Events and exposure per piece by a loop over subjects and pieces."""
    k = len(breaks)
    d, ex = [0] * k, [0.0] * k
    for ti, ei in zip(t, e, strict=True):
        for j in range(k):
            a = breaks[j]
            b = breaks[j + 1] if j + 1 < k else math.inf
            if ti > a:
                ex[j] += min(ti, b) - a
            if ei == 1 and a <= ti < b:
                d[j] += 1
    return d, ex


def draw(rng, n, breaks, rates):
    u = rng.exponential(size=n)
    b, r = np.asarray(breaks, float), np.asarray(rates, float)
    cum = np.concatenate([[0.0], np.cumsum(r[:-1] * np.diff(b))])
    k = np.searchsorted(cum, u, side="right") - 1
    return b[k] + (u - cum[k]) / r[k]


def test_counts_equal_plain_loop_per_group_and_stratum():
    rng = np.random.default_rng(7)
    n = 400
    t = np.round(rng.exponential(2, n), 2)
    e = rng.integers(0, 2, n)
    g = rng.choice(["a", "b"], n)
    s = rng.choice(["x", "y", "z"], n)
    breaks = [0, 0.5, 1.5, 3]
    fit = piecewise_exponential_fit("t", "e", "g", "s", breaks=breaks,
                                    data=pd.DataFrame({"t": t, "e": e, "g": g, "s": s}))
    for gi in "ab":
        for si in "xyz":
            m = (g == gi) & (s == si)
            d, ex = plain_counts(t[m], e[m], breaks)
            sel = (fit.group == gi) & (fit.stratum == si)
            assert fit.events[sel].tolist() == d
            assert np.allclose(fit.exposure[sel], ex, rtol=1e-12)
            assert np.allclose(fit.rate[sel], np.array(d) / np.array(ex), rtol=1e-12)
            assert np.allclose(fit.hazards(gi, si), np.array(d) / np.array(ex), rtol=1e-12)


def test_rates_maximise_the_likelihood_and_se_is_inverse_information():
    rng = np.random.default_rng(11)
    t = draw(rng, 300, [0, 1], [0.4, 0.2])
    c = rng.uniform(0, 4, 300)
    time, event = np.minimum(t, c), (t <= c).astype(int)
    breaks = [0, 1, 2.5]
    fit = piecewise_exponential_fit(time, event, breaks=breaks)

    def negloglik(logr):
        r = np.exp(logr)
        ll = 0.0
        for ti, ei in zip(time, event, strict=True):  # the full likelihood, subject by subject
            cum = 0.0
            for j, a in enumerate(breaks):
                b = breaks[j + 1] if j + 1 < len(breaks) else math.inf
                cum += r[j] * max(0.0, min(ti, b) - a)
                if ei and a <= ti < b:
                    ll += logr[j]
            ll -= cum
        return -ll

    opt = optimize.minimize(negloglik, np.log([0.3, 0.3, 0.3]), method="BFGS", options={"gtol": 1e-10})
    assert np.allclose(np.exp(opt.x), fit.rate, rtol=1e-5)
    # Observed information on the rate scale, by finite differences of the log-likelihood.
    for j in range(3):
        h = 1e-4 * fit.rate[j]

        def f(x, j=j):
            r = fit.rate.copy()
            r[j] = x
            return -negloglik(np.log(r))

        info = -(f(fit.rate[j] + h) - 2 * f(fit.rate[j]) + f(fit.rate[j] - h)) / h**2
        assert math.isclose(1 / math.sqrt(info), fit.std_err[j], rel_tol=1e-4)


def test_recovers_known_hazards_within_their_standard_errors():
    """Two groups x three pieces, 20,000 subjects per group: the 6 z = (rate - truth) / SE are jointly
    chi-square(6) under a correct SE; require sum z^2 below its 99.9% point (fixed seed)."""
    rng = np.random.default_rng(2024)
    truth = {"c": [0.30, 0.20, 0.10], "e": [0.30, 0.12, 0.06]}
    breaks = [0, 0.5, 2]
    t, e, g = [], [], []
    for arm, rates in truth.items():
        x = draw(rng, 20_000, breaks, rates)
        c = rng.uniform(1, 5, 20_000)
        t.append(np.minimum(x, c))
        e.append((x <= c).astype(int))
        g += [arm] * 20_000
    fit = piecewise_exponential_fit(np.concatenate(t), np.concatenate(e), np.array(g), breaks=breaks)
    z = np.concatenate([(fit.hazards(a) - truth[a]) / fit.std_err[fit.group == a] for a in truth])
    assert np.sum(z**2) < stats.chi2.ppf(0.999, 6)


def test_standard_error_matches_spread_over_seeds():
    """Over 400 trials of 500 subjects, the SD of each estimated rate equals the mean reported SE
    within Monte-Carlo error (SE of an SD from 400 draws ~ SD / sqrt(2 x 399): allow 4 of those)."""
    breaks, rates = [0, 1], [0.5, 0.25]
    est, ses = [], []
    for seed in range(400):
        rng = np.random.default_rng([5, seed])
        x = draw(rng, 500, breaks, rates)
        c = rng.uniform(0, 3, 500)
        f = piecewise_exponential_fit(np.minimum(x, c), (x <= c).astype(int), breaks=breaks)
        est.append(f.rate)
        ses.append(f.std_err)
    sd, mean_se = np.std(est, axis=0, ddof=1), np.mean(ses, axis=0)
    assert np.all(np.abs(sd - mean_se) <= 4 * sd / np.sqrt(2 * 399))
    bias_z = (np.mean(est, axis=0) - rates) / (sd / np.sqrt(400))
    assert np.all(np.abs(bias_z) < 4)


def test_exact_poisson_limits():
    fit = piecewise_exponential_fit([1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 0, 0], breaks=[0, 2.5, 10])
    lo, hi = fit.confidence_interval(0.9)
    for j in range(2):
        d, ex = fit.events[j], fit.exposure[j]
        want_lo = stats.chi2.ppf(0.05, 2 * d) / (2 * ex) if d > 0 else 0.0
        want_hi = stats.chi2.ppf(0.95, 2 * d + 2) / (2 * ex)
        assert math.isclose(lo[j], want_lo, rel_tol=1e-10, abs_tol=1e-15)
        assert math.isclose(hi[j], want_hi, rel_tol=1e-10)
    assert np.isnan(fit.rate[2]) and np.isnan(lo[2])  # no exposure beyond 10


def test_chosen_breaks_share_events_equally():
    rng = np.random.default_rng(3)
    t = rng.exponential(1, 1000)
    fit = piecewise_exponential_fit(t, np.ones(1000, int), breaks=4)
    assert fit.breaks.size == 4 and fit.breaks[0] == 0
    assert np.all(np.abs(fit.events - 250) <= 1)


def test_result_protocol_and_errors():
    fit = piecewise_exponential_fit([1, 2, 3], [1, 1, 0], group=["a", "b", "a"], breaks=[0, 1.5])
    frame = fit.to_frame()
    assert list(frame.columns) == ["group", "stratum", "piece", "start", "end", "events", "exposure", "rate",
                                   "std_err", "lower", "upper"]
    assert len(frame) == 4 and len(repr(fit).splitlines()) == 3
    with pytest.raises(InputError, match="piece starts must begin at 0"):
        piecewise_exponential_fit([1, 2], [1, 1], breaks=[0.5, 1])
    with pytest.raises(InputError, match="only 2 events"):
        piecewise_exponential_fit([1, 2], [1, 1], breaks=3)
    with pytest.raises(InputError, match="conf_level"):
        piecewise_exponential_fit([1, 2], [1, 1], conf_level=95)
    with pytest.raises(InputError, match="no fit for group 'c'"):
        fit.hazards("c")
