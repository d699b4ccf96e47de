"""Tests for the shared risk-set tabulation kernel (double-programmed with plain loops)."""

import numpy as np

from survtrial.stats._risksets import tabulate


def test_tabulate_matches_loop():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 20, 300).astype(float)
    cat = rng.integers(0, 4, 300)
    w = rng.uniform(0.5, 2, 300)
    tab = tabulate(t, cat, 4, w)
    ut = np.unique(t)
    assert np.array_equal(tab.time, ut)
    for i, u in enumerate(ut):
        for c in range(4):
            expect = sum(w[j] for j in range(300) if t[j] == u and cat[j] == c)
            assert np.isclose(tab.counts[i, c], expect, rtol=1e-12)
            risk = sum(w[j] for j in range(300) if t[j] >= u and cat[j] == c)
            assert np.isclose(tab.at_risk()[i, c], risk, rtol=1e-12)
    assert np.array_equal(tab.time[tab.index], t)


def test_tabulate_unweighted_single_category():
    tab = tabulate(np.array([3.0, 1.0, 3.0, 2.0]))
    assert tab.time.tolist() == [1.0, 2.0, 3.0]
    assert tab.counts[:, 0].tolist() == [1.0, 1.0, 2.0]
    assert tab.at_risk()[:, 0].tolist() == [4.0, 3.0, 2.0]
