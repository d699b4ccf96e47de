"""Helpers of the compiled simulation kernels against numpy, and one look's statistics with ties."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.simulate import _generate, _looks
from survtrial.simulate import _sorting as kern
from survtrial.simulate.trial import apply_data_cut
from survtrial.stats.cox import cox_ph
from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test

_values = st.lists(st.floats(min_value=0.0, max_value=1e3, allow_nan=False), min_size=0, max_size=200)


def _select_all(a):
    n = a.size
    out = np.empty(n)
    kern.select_into(a, out, np.empty(n + 1, dtype=np.int64), np.empty(n, dtype=np.int64), np.arange(n))
    return out


@settings(max_examples=50, deadline=None)
@given(_values, st.integers(0, 5))
def test_selecting_every_rank_sorts_like_numpy(values, repeat):
    # ties (repeated values) and constant arrays included; the result must be np.sort's, bit for bit
    a = np.asarray(values + values[:repeat], dtype=float)
    np.testing.assert_array_equal(_select_all(a), np.sort(a))


def test_selecting_every_rank_of_exponential_times():
    a = np.random.default_rng(3).standard_exponential(1000) * 4.0
    np.testing.assert_array_equal(_select_all(a), np.sort(a))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.5, 3.0]) | st.floats(0.0, 4.0), st.booleans()),
                max_size=120))
def test_argsort_events_first_equals_lexsort(pairs):
    keys = np.array([p[0] for p in pairs], dtype=float)
    is_event = np.array([int(p[1]) for p in pairs], dtype=np.int64)
    n = keys.size
    order, start, bucket = (np.empty(n + 1, dtype=np.int64) for _ in range(3))
    kern.argsort_events_first(keys, is_event, 4.0, order, start, bucket)
    # numpy: by key, events (1) before dropouts (0), then by index (stable)
    want = np.lexsort((np.arange(n), 1 - is_event, keys))
    np.testing.assert_array_equal(order[:n], want)


@pytest.mark.parametrize("m", [0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 1441])
def test_running_sum_is_the_cumulative_sum(m):
    x = np.random.default_rng(m).standard_exponential(m)
    got = x.copy()
    total = _generate._running_sum(got, m)
    want = np.cumsum(x)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert np.all(np.diff(got) >= 0)  # enrolment times stay sorted
    assert total == (got[-1] if m else 0.0)


def _grid(enrol, n_bins, filled=False):
    """The enrolment grid as generate_trial builds it: grid[b + 1] = 1 + the last patient of bin
    b, 0 after an empty bin (``filled``: the exact counts of patients in bins < b everywhere)."""
    n = enrol.size
    lo = enrol[0] if n else 0.0
    span = enrol[-1] - lo if n else 0.0
    gscale = n_bins / span if span > 0 else 0.0
    b = np.minimum(((enrol - lo) * gscale).astype(np.int64), n_bins - 1)
    if filled:
        grid = np.array([np.sum(b < k) for k in range(n_bins + 1)], dtype=np.int64)
    else:
        grid = np.zeros(n_bins + 1, dtype=np.int64)
        grid[b + 1] = np.arange(1, n + 1)  # numpy keeps the last write per bin
    return grid, lo, gscale


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(0, 2**32 - 1), st.integers(1, 40))
def test_count_followed_is_the_brute_force_count(n, seed, n_bins):
    rng = np.random.default_rng(seed)
    enrol = np.sort(np.round(rng.uniform(0.0, 3.0, n), rng.integers(1, 4)))  # rounded: ties
    grid, lo, gscale = _grid(enrol, n_bins, filled=bool(seed % 2))
    cuts = np.concatenate([enrol[rng.integers(0, n, 5)] + rng.uniform(0, 2, 5), [enrol[-1], 10.0]])
    for cut in cuts:
        # follow-up limits exactly at patients' cut - e (the boundary case), and around them
        ts = np.concatenate([cut - enrol, cut - enrol + 1e-12, rng.uniform(0, 4, 5), [0.0]])
        wants = []
        for t in ts:
            want = int(np.sum(cut - enrol >= t))
            assert _generate.count_followed(enrol, n, grid, lo, gscale, cut, t) == want
            wants.append(want)
        got = np.full(ts.size + 1, -1, dtype=np.int64)
        _generate.count_followed_all(enrol, n, grid, lo, gscale, cut, ts, ts.size, got)
        assert got[:-1].tolist() == wants and got[-1] == -1


def _analyse(enrol, arm, exit_t, cause, events, landmarks=()):
    """analyse_looks on hand-made patient arrays (one stratum, two arms, looks by events)."""
    n = enrol.size
    pref = np.zeros((2, n + 1), dtype=np.int64)
    pref[0, 1:] = np.cumsum(arm == 0)
    pref[1, 1:] = np.cumsum(arm == 1)
    grid, _, _ = _grid(enrol, max(1, n // 2))
    cand = np.flatnonzero(cause >= -1).astype(np.int64)
    K, L = len(events), len(landmarks)
    out = _looks.LookOutputs(
        cut=np.empty((1, K)), events=np.empty((1, K), dtype=np.int64), subjects=np.empty((1, K), dtype=np.int64),
        events_arm=np.empty((1, K, 2)), log_hr=np.empty((1, K)), log_hr_se=np.empty((1, K)),
        km=np.empty((1, K, L, 2)), short=np.empty((1, K), dtype=np.bool_), stat_z=np.empty((1, 1, K)),
        stat_estimate=np.empty((1, 1, K)), stat_p=np.empty((1, 1, K)), stat_info=np.empty((1, 1, K, 0)))
    ana = _looks.analysis_args(
        control=0, experimental=1, stratified=False, by_events=True, look_events=events, look_times=np.zeros(K),
        landmarks=landmarks, cells=len(landmarks) > 0, check_times=np.zeros(0), test_kind=[0],
        plain_tests=[[0, 0]], weighted_tests=None, maxcombo_tests=None, curve_tests=None,
        stop_upper=np.full((1, K), np.inf), stop_lower=np.full((1, K), -np.inf))
    _looks.analyse_looks(n, enrol, arm.astype(np.int64), exit_t, cause.astype(np.int64), pref, grid, cand, cand.size,
                         1, 2, ana, _looks.workspace(n, 2, 1, 1), out, 0)
    res = {name: v[0] for name, v in out._asdict().items()}
    res["se"] = res.pop("log_hr_se")
    res["z"] = res["stat_z"][0]
    return res


def _frame(enrol, arm, exit_t, cause):
    ev = cause >= 0
    return pd.DataFrame({
        "arm": np.where(arm == 1, "exp", "ctl"), "enrol_time": enrol, "dfs_time": exit_t,
        "dfs_event": ev.astype(np.int64), "dfs_event_type": np.where(ev, "relapse", "censored"),
        "os_time": exit_t, "os_event": np.zeros(enrol.size, dtype=np.int64),
    })


def _tied_trial(seed, n=80):
    rng = np.random.default_rng(seed)
    enrol = np.sort(np.round(rng.uniform(0.0, 2.0, n), 1))
    exit_t = np.round(rng.exponential(1.5, n), 1) + 0.1
    cause = np.where(rng.random(n) < 0.6, 0, -1)
    arm = rng.integers(0, 2, n)
    return enrol, arm, exit_t, cause


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("landmarks", [(), (0.5, 1.0)])
def test_look_statistics_with_tied_times_equal_the_analysis_functions(seed, landmarks):
    # times on a 0.1-year grid: tied event times, dropouts tied with events, tied calendar times
    # at the cut, and sums like 0.7 + 0.1 whose cut - e rounds below the exit time
    enrol, arm, exit_t, cause = _tied_trial(seed)
    df = _frame(enrol, arm, exit_t, cause)
    events = [10, 20, 30]
    out = _analyse(enrol, arm, exit_t, cause, events, landmarks)
    for k, d in enumerate(events):
        cut = apply_data_cut(df, events=d)
        assert out["cut"][k] == cut.attrs["data_cut_years"]
        assert out["events"][k] == cut["dfs_event"].sum() and out["subjects"][k] == len(cut)
        assert out["events_arm"][k, 1] == cut.loc[cut["arm"] == "exp", "dfs_event"].sum()
        lr = logrank_test("dfs_time", "dfs_event", "arm", data=cut, reference="ctl", timefix=False)
        assert out["z"][k] == pytest.approx(-lr.z, rel=1e-12, abs=1e-12)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cx = cox_ph("dfs_time", "dfs_event", ["arm"], data=cut, reference={"arm": "ctl"}, timefix=False)
        assert out["log_hr"][k] == pytest.approx(cx.coef[0], rel=1e-7, abs=1e-8)
        assert out["se"][k] == pytest.approx(cx.se[0], rel=1e-7)
        if landmarks:
            km = kaplan_meier("dfs_time", "dfs_event", "arm", data=cut, timefix=False)
            km = km.survival_at(list(landmarks))
            for a, name in enumerate(["ctl", "exp"]):
                want = km.loc[km["group"] == name, "survival"].to_numpy()
                np.testing.assert_allclose(out["km"][k, :, a], want, rtol=1e-12)


def test_rounding_below_the_exit_time_at_the_cut():
    # 0.7 + 0.1 = 0.7999999999999999 and 0.7999999999999999 - 0.7 < 0.1: the dropout enrolled at
    # 0.7 is censored at 0.0999... by apply_data_cut, so it is not at risk at the event time 0.1
    enrol = np.array([0.0, 0.1, 0.2, 0.7, 0.7, 0.75])
    arm = np.array([0, 1, 0, 1, 0, 1])
    exit_t = np.array([2.0, 0.5, 0.05, 0.1, 0.1, 3.0])  # no tied event times: the fast pass 1
    cause = np.array([-2, -1, 0, 0, -1, -2])
    out = _analyse(enrol, arm, exit_t, cause, [2])
    cut = apply_data_cut(_frame(enrol, arm, exit_t, cause), events=2)
    assert cut.loc[4, "dfs_time"] < 0.1  # the premise
    lr = logrank_test("dfs_time", "dfs_event", "arm", data=cut, reference="ctl", timefix=False)
    assert out["z"][0] == pytest.approx(-lr.z, rel=1e-12)


def test_fast_and_general_paths_agree_without_ties():
    rng = np.random.default_rng(4)
    n = 300
    enrol = np.sort(rng.uniform(0, 3, n))
    exit_t = rng.exponential(2.0, n)
    cause = np.where(rng.random(n) < 0.7, 0, -1)
    arm = rng.integers(0, 2, n)
    fast = _analyse(enrol, arm, exit_t, cause, [30, 60, 90])
    general = _analyse(enrol, arm, exit_t, cause, [30, 60, 90], landmarks=(1.0,))
    for key in ("cut", "events", "subjects", "events_arm"):
        np.testing.assert_array_equal(fast[key], general[key])
    # the fast path divides once per event time: z (and Cox's start from it) may differ in the
    # last bits
    for key in ("z", "log_hr", "se"):
        np.testing.assert_allclose(fast[key], general[key], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(_values, st.integers(0, 5), st.data())
def test_select_into_gives_the_order_statistics(values, repeat, data):
    a = np.asarray(values + values[:repeat], dtype=float)
    n = a.size
    if n == 0:
        return
    ranks = np.array(sorted(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5))), dtype=np.int64)
    out = np.empty(n)
    kern.select_into(a, out, np.empty(n + 1, dtype=np.int64), np.empty(n, dtype=np.int64), ranks)
    np.testing.assert_array_equal(out[ranks], np.sort(a)[ranks])
