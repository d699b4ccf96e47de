"""The analysis half of an engine model: the tests, their bounds and the look kernel's bundle; the record columns.

:func:`analysis_part` turns a design's tests (:mod:`survtrial.simulate.statistics`) into the
analysis bundle of the kernels (:class:`~survtrial.simulate._looks.AnalysisArgs`) and the tests'
bounds (:mod:`survtrial.simulate._test_bounds`); :func:`record_columns` turns the kernel outputs
of a range of trials into the columns of their records, with each test's decisions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from survtrial.errors import InputError
from survtrial.simulate import _statistics as ks
from survtrial.simulate._decisions import apply_bounds
from survtrial.simulate._looks import analysis_args
from survtrial.simulate._test_bounds import TestBounds, test_bounds

DECISIONS = ["none", "efficacy", "futility", "harm"]

_BOUNDS: dict[tuple, TestBounds] = {}  # bounds of the tests by scenario, design and tests (this process)


def kernel_parameters(tests: tuple[Any, ...]) -> dict[str, Any]:
    """The tests as the look kernel reads them: their kinds, the parameter rows of each family
    (slot first; None for a family without tests) and the check times (RMST / milestone times,
    whose index ends their rows)."""
    times = sorted({t.time for t in tests if t.time is not None})
    plain, weighted, combos, curves = [], [], [], []
    for s, t in enumerate(tests):
        if t.kind in (ks.LOGRANK, ks.COX):
            plain.append([s, t.kind])
        elif t.kind == ks.WEIGHTED:
            weighted.append([s, *t.params])
        elif t.kind == ks.MAXCOMBO:
            combos.append([s, *t.params])
        else:
            curves.append([s, t.kind, t.time, times.index(t.time)])
    width = max((len(r) for r in combos), default=0)
    combos = [r + [0.0] * (width - len(r)) for r in combos]
    return {
        "test_kind": np.array([t.kind for t in tests], dtype=np.int64),
        "plain_tests": np.array(plain, dtype=np.int64).reshape(len(plain), 2),
        "weighted_tests": np.array(weighted) if weighted else None,
        "maxcombo_tests": np.array(combos) if combos else None,
        "curve_tests": np.array(curves) if curves else None,
        "check_times": np.array(times, dtype=float),
    }


def info_width(tests: tuple[Any, ...]) -> int:
    """Entries of information per test and look: 1, or m (m + 1) / 2 for a MaxCombo of m tests."""
    return max(int(t.params[0]) * (int(t.params[0]) + 1) // 2 if t.kind == ks.MAXCOMBO else 1 for t in tests)


def analysis_part(des: Any, control: int, experimental: int, landmarks: np.ndarray, pilot: Any,
                  pilot_key: tuple | None = None, with_bounds: bool = True):
    """(analysis bundle, tests, decision index, bounds) of a design.

    ``pilot()`` returns the kernel outputs of the design's H0 pilot run (see
    :mod:`survtrial.simulate._test_bounds`); it is called only if a test needs it, and the bounds
    are computed once per ``pilot_key`` (scenario and design digests, engine version) in this
    process. ``with_bounds=False`` (the pilot itself): no bounds, no stops.
    """
    from survtrial.simulate._test_bounds import pilot_information

    tests = des.tests
    decision = des.decision_index
    K = des.k
    families = kernel_parameters(tests)
    S = len(tests)
    if with_bounds:
        key = None if pilot_key is None else (*pilot_key, tuple(t.label for t in tests))
        bounds = _BOUNDS.get(key) if key is not None else None
        if bounds is None:
            bounds = test_bounds(des, tests, lambda: pilot_information(pilot(), tests))
            if key is not None:
                _BOUNDS[key] = bounds
    else:
        bounds = TestBounds(np.full((S, K), np.inf), np.full((S, K), -np.inf), np.full((S, K), np.nan), {})
    stop_upper = np.full((S, K), np.inf)
    stop_lower = np.full((S, K), -np.inf)
    if des.kind == "events":  # the kernel skips the looks after every test stopped at planned information
        stop_upper = bounds.upper.copy()
        if des.spec.sided == 2:
            stop_lower = bounds.lower.copy()
        elif des.spec.stop_for_futility:
            stop_lower[:, :-1] = bounds.lower[:, :-1]
    cells = landmarks.size > 0 or any(t.kind in (ks.RMST, ks.MILESTONE) for t in tests)
    ana = analysis_args(
        control=control, experimental=experimental, stratified=des.spec.stratified, by_events=des.kind == "events",
        look_events=des.events if des.kind == "events" else np.zeros(K, dtype=np.int64),
        look_times=des.calendar_times if des.kind != "events" else np.zeros(K), landmarks=landmarks, cells=cells,
        stop_upper=stop_upper, stop_lower=stop_lower, **families,
    )
    return ana, tests, decision, bounds


def check_times_within_follow_up(tests: tuple[Any, ...], des: Any, horizon: float, start: float) -> None:
    """An RMST or milestone time no look can reach (beyond the last calendar look, or the event
    looks' horizon, less the accrual start): InputError naming the test and the limit."""
    limit = (float(des.calendar_times[-1]) if des.kind != "events" else horizon) - start
    for t in tests:
        if t.time is not None and np.isfinite(limit) and t.time >= limit:
            raise InputError(
                f"test {t.label}: time {t.time:g} years is beyond the follow-up any look of this design reaches "
                f"(at most {limit:.3g} years after the first enrolment); choose a time below it"
            )


def record_columns(model: Any, trial: np.ndarray, s: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, Any]]:
    """Record columns: name -> (values, validity mask or None); ``decision`` holds category codes."""
    des = model.design
    K = des.k
    tests, dix = model.tests, model.decision_index
    decisions = []
    for t_i, t in enumerate(tests):
        if t.information_from_events:
            decisions.append(apply_bounds(des, s["events"], s["stat_z"][:, t_i], s["short"]))
        else:
            decisions.append(apply_bounds(des, s["events"], s["stat_z"][:, t_i], s["short"],
                                          upper=model.bounds.upper[t_i], lower=model.bounds.lower[t_i]))
    dec = decisions[dix]
    z = s["stat_z"][:, dix]
    idx = np.arange(trial.size)
    stop = dec["stop_look"] - 1
    cols: dict[str, tuple[np.ndarray, Any]] = {
        "trial": (trial, None),
        "n_patients": (s["n_patients"], None),
        "stop_look": (dec["stop_look"].astype(np.int64), None),
        "decision": (dec["decision"].astype(np.int8), None),
        "rejected": (dec["decision"] % 2 == 1, None),
        "events": (s["events"][idx, stop], None),
        "time": (s["cut"][idx, stop], None),
        "subjects": (s["subjects"][idx, stop], None),
        "z": (z[idx, stop], None),
        "log_hr": (s["log_hr"][idx, stop], None),
        "log_hr_se": (s["log_hr_se"][idx, stop], None),
    }
    for t_i, t in enumerate(tests):
        cols[f"{t.slug}_rejected"] = (decisions[t_i]["decision"] % 2 == 1, None)
        cols[f"{t.slug}_stop_look"] = (decisions[t_i]["stop_look"].astype(np.int64), None)
    for k in range(K):
        j = k + 1
        reached = s["events"][:, k] >= 0  # looks after every test stopped are not computed
        cols[f"time_{j}"] = (s["cut"][:, k], None)
        cols[f"events_{j}"] = (s["events"][:, k], reached)
        for a, arm in enumerate(model.arms):
            cols[f"events_{arm}_{j}"] = (s["events_arm"][:, k, a], reached)
        cols[f"subjects_{j}"] = (s["subjects"][:, k], reached)
        cols[f"z_{j}"] = (z[:, k], None)
        cols[f"log_hr_{j}"] = (s["log_hr"][:, k], None)
        cols[f"log_hr_se_{j}"] = (s["log_hr_se"][:, k], None)
        cols[f"efficacy_{j}"] = (dec["upper"][:, k], None)
        cols[f"futility_{j}"] = (dec["lower"][:, k], None)
        cols[f"short_{j}"] = (s["short"][:, k], None)
        for li, tl in enumerate(model.landmarks):
            for a, arm in enumerate(model.arms):
                cols[f"km_{arm}_{tl:g}y_{j}"] = (s["km"][:, k, li, a], None)
        for t_i, t in enumerate(tests):
            cols[f"{t.slug}_z_{j}"] = (s["stat_z"][:, t_i, k], None)
            if t.has_estimate:
                cols[f"{t.slug}_estimate_{j}"] = (s["stat_estimate"][:, t_i, k], None)
            cols[f"{t.slug}_p_{j}"] = (s["stat_p"][:, t_i, k], None)
    return cols
