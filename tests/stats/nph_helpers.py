"""Plain-loop implementations (double programming) and samples shared by the weighted log-rank tests."""

from __future__ import annotations

import numpy as np


def plain_table(time, event, arm, strata=None, w=None):
    """Per stratum, one tuple (t, S(t-), n0, n1, d0, d1) per distinct event time: loops only."""
    n = len(time)
    strata = [0] * n if strata is None else list(strata)
    w = [1.0] * n if w is None else list(w)
    out = {}
    for s in sorted(set(strata)):
        rows = [i for i in range(n) if strata[i] == s]
        surv, terms = 1.0, []
        for t in sorted({time[i] for i in rows if event[i] == 1}):
            n0 = sum(w[i] for i in rows if time[i] >= t and arm[i] == 0)
            n1 = sum(w[i] for i in rows if time[i] >= t and arm[i] == 1)
            d0 = sum(w[i] for i in rows if time[i] == t and event[i] == 1 and arm[i] == 0)
            d1 = sum(w[i] for i in rows if time[i] == t and event[i] == 1 and arm[i] == 1)
            terms.append((t, surv, n0, n1, d0, d1))
            surv *= 1.0 - (d0 + d1) / (n0 + n1)
        out[s] = terms
    return out


def plain_weighted_logrank(time, event, arm, strata=None, w=None, weight=lambda t, s, cap: 1.0, mb_delay=None):
    """Score sum w (d1 - n1 d / n) and hypergeometric variance, summed over strata (textbook loop).

    ``mb_delay`` set: the Magirr-Burman cap of simtrial's mb_weight, max 1/S(t-) over event
    times <= delay with both arms at risk (1 if none), passed to ``weight`` as ``cap``.
    """
    score = var = 0.0
    for terms in plain_table(time, event, arm, strata, w).values():
        cap = 1.0
        if mb_delay is not None:
            early = [1.0 / s for t, s, n0, n1, _, _ in terms if t <= mb_delay and n0 > 0 and n1 > 0]
            cap = max(early) if early else 1.0
        for t, s, n0, n1, d0, d1 in terms:
            nn, dd = n0 + n1, d0 + d1
            wt = weight(t, s, cap)
            score += wt * (d1 - n1 * dd / nn)
            if nn > 1:
                var += wt * wt * n0 * n1 * dd * (nn - dd) / (nn * nn * (nn - 1.0))
    return score, var


def tied_sample(n=160, seed=5):
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    t = np.ceil(rng.exponential(np.where(arm == 1, 14.0, 10.0)))
    c = rng.uniform(2, 30, n).round()
    time = np.minimum(t, c)
    event = (t <= c).astype(int)
    strata = rng.integers(0, 3, n)
    w = rng.integers(1, 4, n).astype(float)
    return time, event, arm, strata, w
