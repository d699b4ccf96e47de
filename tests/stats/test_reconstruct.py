"""Tests for the Guyot et al. (2012) kernel: a plain-loop second implementation, hand counts, invariants."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.stats.reconstruct import guyot_reconstruct


def plain_guyot(t, s, t_risk, n_risk, total_events=None):
    """Second implementation, written from the paper's description with Python lists only.

    Returns (sorted (time, event) records, reconstructed numbers at risk at the at-risk times).
    """
    t, s = list(map(float, t)), list(map(float, s))
    if not (t[0] == 0 and s[0] == 1):
        t, s = [0.0, *t], [1.0, *s]
    for tr in t_risk:  # a step point at every at-risk time without one
        if tr not in t:
            j = max(i for i in range(len(t)) if t[i] < tr)
            t.insert(j + 1, float(tr))
            s.insert(j + 1, s[j])
    lower = [t.index(float(tr)) for tr in t_risk]
    upper = [*lower[1:], len(t)]
    m = len(t_risk)
    state = {"n": int(n_risk[0]), "km": 1.0}
    events, cens = [0] * len(t), [0] * len(t)
    at_risk = [0] * len(t)

    def walk(i, c, t_to):
        n, km = state["n"], state["km"]
        width = t_to - t_risk[i]
        cen_times = [t_risk[i] + j * width / (c + 1) for j in range(1, c + 1)] if width > 0 else []
        rows = []
        for k in range(lower[i], upper[i]):
            nxt = t[k + 1] if k + 1 < upper[i] else math.inf
            in_span = [x for x in cen_times if t[k] <= x < nxt]
            d = math.floor(n * (1 - s[k] / km) + 0.5) if km > 0 and n > 0 else 0
            d = min(max(d, 0), n)
            if d:
                km = km * (1 - d / n)
            cc = min(len(in_span), n - d)  # no more censorings than patients left: the first ones kept
            rows.append((n, d, cc, in_span[:cc]))
            n = n - d - cc
        return rows, n, km

    def search(i, guess, t_to, miss):
        tried = {}
        c = min(max(guess, 0), state["n"])
        while True:
            rows, n_end, km = walk(i, c, t_to)
            diff = miss(rows, n_end)
            tried[c] = (abs(diff), rows, n_end, km)
            if diff == 0:
                return tried[c]
            c_next = min(max(c + diff, 0), state["n"])
            if c_next in tried:
                return tried[min(tried, key=lambda k: (tried[k][0], k))]
            c = c_next

    censored_so_far = 0
    cen_records = []
    for i in range(m):
        if i < m - 1:
            ratio = s[lower[i + 1]] / s[lower[i]] if s[lower[i]] > 0 else None
            guess = math.floor(n_risk[i] * ratio - n_risk[i + 1] + 0.5) if ratio is not None else 0
            _, rows, n_end, km = search(i, guess, t_risk[i + 1], lambda r, ne, tg=n_risk[i + 1]: ne - tg)
        else:
            span = t_risk[i] - t_risk[0]
            guess = math.floor(censored_so_far / span * (t[-1] - t_risk[i]) + 0.5) if span > 0 else 0
            guess = min(guess, state["n"])
            if total_events is None:
                rows, n_end, km = walk(i, guess, t[-1])
            else:
                left = total_events - sum(events[: lower[i]])
                _, rows, n_end, km = search(i, guess, t[-1], lambda r, ne, tg=left: sum(x[1] for x in r) - tg)
        for k, (n, d, cc, times) in zip(range(lower[i], upper[i]), rows, strict=True):
            at_risk[k], events[k], cens[k] = n, d, cc
            cen_records.extend((x, 0) for x in times)
        censored_so_far += sum(x[2] for x in rows)
        state["n"], state["km"] = n_end, km
    records = []
    for k in range(len(t)):
        records += [(t[k], 1)] * events[k]
    records += cen_records
    records += [(t[-1], 0)] * (int(n_risk[0]) - len(records))
    return sorted(records), [at_risk[k] for k in lower]


def _records(arm):
    return sorted(zip(arm.time.tolist(), arm.event.tolist(), strict=True))


def test_hand_example_counts():
    # S: 1, .9, .8, .7 at t = 0..3; 100 at risk at 0 and 75 at 2; no total events. By hand:
    # interval [0, 2), first guess c = round(100 * .8 / 1 - 75) = 5 censorings at 2j/6: 2 before
    # t=1, 3 after. At t=1, n = 98 and d = round(98 * (1 - .9)) = 10; n(2) = 98 - 10 - 3 = 85, 10 too
    # many, so c = 15 (at 2j/16: 7 before t=1): n = 93, d = round(9.3) = 9, n(2) = 93 - 9 - 8 = 76;
    # c = 16 (8 and 8): n = 92, d = 9, n(2) = 75 = published. Last interval [2, 3]: the earlier rate,
    # 16 censorings over 2 units, gives 8 over its 1 unit. KM after t=1 is 1 - 9/92; at t=2
    # d = round(75 (1 - .8 / (83/92))) = round(8.494) = 8, then
    # n = 75 - 8 - 8 = 59 at t=3 and d = round(59 (1 - .7 / (83/92 * 67/75))) = round(7.756) = 8.
    arm = guyot_reconstruct(np.array([0.0, 1, 2, 3]), np.array([1.0, 0.9, 0.8, 0.7]),
                            np.array([0.0, 2]), np.array([100, 75]))
    assert arm.point_events.tolist() == [0, 9, 8, 8]
    assert arm.point_censored.tolist() == [8, 8, 8, 0]
    assert arm.point_n_risk.tolist() == [100, 92, 75, 59]
    assert arm.risk_reconstructed.tolist() == [100, 75]
    assert arm.censored_at_end == 100 - 25 - 24
    assert arm.interval_converged.all()
    assert np.allclose(arm.point_km, np.cumprod([1, 1 - 9 / 92, 1 - 8 / 75, 1 - 8 / 59]))
    rec, risk = plain_guyot([0, 1, 2, 3], [1, 0.9, 0.8, 0.7], [0, 2], [100, 75])
    got = _records(arm)
    assert [e for _, e in got] == [e for _, e in rec] and risk == [100, 75]
    assert np.allclose([x for x, _ in got], [x for x, _ in rec], rtol=0, atol=1e-12)


@st.composite
def digitized_arm(draw):
    """A random curve (possibly inconsistent with its numbers at risk) and an at-risk table."""
    k = draw(st.integers(2, 25))
    steps = draw(st.lists(st.integers(1, 20), min_size=k - 1, max_size=k - 1))
    t = np.concatenate([[0.0], np.cumsum(steps) / 4.0])
    drops = draw(st.lists(st.floats(0, 0.15), min_size=k - 1, max_size=k - 1))
    s = np.concatenate([[1.0], np.cumprod(1 - np.asarray(drops))])
    if draw(st.booleans()):  # a vertical drop read twice
        j = draw(st.integers(1, k - 1))
        t = np.insert(t, j, t[j])
        s = np.insert(s, j, (s[j - 1] + s[j]) / 2)
    n0 = draw(st.integers(1, 400))
    grid = np.unique(np.round(t[-1] * np.array(sorted(draw(st.lists(st.floats(0, 1), max_size=4)))), 2))
    t_risk = np.unique(np.concatenate([[0.0], grid[grid <= t[-1]]]))
    falls = draw(st.lists(st.floats(0, 0.6), min_size=t_risk.size - 1, max_size=t_risk.size - 1))
    n_risk = np.floor(n0 * np.concatenate([[1.0], np.cumprod(1 - np.asarray(falls))])).astype(int)
    n_risk[0] = n0
    total = draw(st.one_of(st.none(), st.integers(0, n0)))
    return t, s, t_risk, n_risk, total


@settings(max_examples=200, deadline=None)
@given(digitized_arm())
def test_kernel_equals_plain_loop(case):
    t, s, t_risk, n_risk, total = case
    arm = guyot_reconstruct(t, s, t_risk, n_risk, total)
    rec, risk = plain_guyot(t, s, t_risk, n_risk, total)
    got = _records(arm)
    assert len(got) == len(rec) == n_risk[0]
    assert [e for _, e in got] == [e for _, e in rec]
    assert np.allclose([x for x, _ in got], [x for x, _ in rec], rtol=0, atol=1e-12)
    assert arm.risk_reconstructed.tolist() == risk


@settings(max_examples=200, deadline=None)
@given(digitized_arm())
def test_invariants(case):
    t, s, t_risk, n_risk, total = case
    arm = guyot_reconstruct(t, s, t_risk, n_risk, total)
    n0 = int(n_risk[0])
    assert arm.time.size == n0 and arm.event.sum() == arm.point_events.sum()
    assert (arm.point_events >= 0).all() and (arm.point_censored >= 0).all()
    assert arm.point_events.sum() + arm.point_censored.sum() + arm.censored_at_end == n0
    # Where an interval converged, the published number at risk is met.
    ok = arm.interval_converged[:-1]
    assert (arm.risk_reconstructed[1:][ok] == n_risk[1:][ok]).all()
    if total is not None and arm.interval_converged[-1]:
        assert arm.event.sum() == total
    # The reconstructed number at risk at every at-risk time is the count with time >= it.
    for tr, nr in zip(arm.risk_time, arm.risk_reconstructed, strict=True):
        assert (arm.time >= tr).sum() == nr
    # The KM of the patient records equals the walk's KM at every point, and the walk's KM is
    # within the rounding bound max_{j <= k} 0.5 / n_j of the digitized value (inverted KM equation
    # with d rounded to the nearest integer; see the kernel's Notes).
    order = np.argsort(arm.time, kind="stable")
    tt, ee = arm.time[order], arm.event[order]
    bound = 0.0
    for k, (tk, sk) in enumerate(zip(arm.point_time, arm.point_survival, strict=True)):
        km = 1.0
        for u in np.unique(tt[(ee == 1) & (tt <= tk)]):
            km *= 1 - ((tt == u) & (ee == 1)).sum() / (tt >= u).sum()
        nxt_same = k + 1 < arm.point_time.size and arm.point_time[k + 1] == tk
        if not nxt_same:
            assert math.isclose(km, arm.point_km[k], abs_tol=1e-12)
        if arm.point_n_risk[k] > 0:
            bound = max(bound, 0.5 / arm.point_n_risk[k])
        else:
            bound = math.inf
        assert abs(arm.point_km[k] - sk) <= bound + 1e-12
