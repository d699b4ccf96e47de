"""The engine's per-look statistics equal the analysis module's functions on the same trial's data.

For random seeds and trial indices, ``trial_data`` gives the engine's patient-level trial; cutting
it with ``apply_data_cut`` at each look and running ``logrank_test``, ``cox_ph`` and
``kaplan_meier`` must reproduce what the engine recorded for that look.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.simulate.engine import build_model, simulate_range, trial_data
from survtrial.simulate.scenario import scenario_from_dict
from survtrial.simulate.trial import apply_data_cut
from survtrial.stats.cox import cox_ph
from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test

sys.path.insert(0, str(Path(__file__).parent))
from engine_scenarios import scenario, small_scenario

SMALL = scenario(n=300)
_POISSON = small_scenario(n=300)
_POISSON["accrual"] = {"start_date": "2020-01-01", "periods": [{"duration_years": 1.0, "rate": 100.0},
                                                               {"duration_years": 1.0, "rate": 200.0}]}
_POISSON["randomization"]["stratified"] = False
_TIGHT = build_model(SMALL, {"events": [20, 45, 70]}, landmarks=[1.0])
MODELS = {
    "events_stratified": build_model(SMALL, {"events": [20, 45, 70]}, landmarks=[1.0, 2.5]),
    "events_unstratified": build_model(SMALL, {"events": [20, 45, 70], "stratified": False}, landmarks=[1.5]),
    "calendar": build_model(SMALL, {"calendar_times": [1.5, 2.5, 4.0], "planned_events": 80}, landmarks=[2.0]),
    "aall1731": build_model("aall1731", {"events": [30, 60, 90]}),
    # a horizon before most events: nearly every trial draws the causes of its later exits too
    "late_causes": replace(_TIGHT, generation=_TIGHT.generation._replace(horizon=1.5), horizon=1.5),
    # no landmarks: the kernel's fast path (one row per event time), stratified and pooled
    "fast_stratified": build_model(SMALL, {"events": [20, 45, 70]}, landmarks=[]),
    "fast_pooled": build_model(SMALL, {"events": [20, 45, 70], "stratified": False}, landmarks=[]),
    # the control arm listed second: cells and arms indexed the other way round
    "control_second": build_model(SMALL, {"events": [20, 45, 70], "control_arm": "treated"}, landmarks=[]),
    # Poisson total, piecewise accrual, blocks across strata, two-sided bounds, harm (HR 1.6)
    "poisson_two_sided": build_model(scenario_from_dict(_POISSON), {"events": [30, 60], "sided": 2, "alpha": 0.05},
                                     hazard_ratio=1.6, landmarks=[1.0]),
}


def _check_trial(model, seed: int, index: int) -> None:
    rec = simulate_range(model, seed, index, index + 1).iloc[0]
    df = trial_data(model, seed, index)
    control = model.arms[model.control]
    strata = "risk_group" if model.analysis.stratified else None
    for k in range(1, model.k + 1):
        if pd.isna(rec[f"events_{k}"]):
            # looks after a stop at planned information are not computed
            assert k > rec["stop_look"] and np.isnan(rec[f"z_{k}"])
            continue
        if model.design.kind == "events":
            # the engine's look time is the calendar time of the d-th DFS event
            cut = apply_data_cut(df, events=int(model.design.events[k - 1]))
            assert cut.attrs["data_cut_years"] == rec[f"time_{k}"]
        else:
            cut = apply_data_cut(df, years=float(rec[f"time_{k}"]))
        assert len(cut) == rec[f"subjects_{k}"]
        assert int(cut["dfs_event"].sum()) == rec[f"events_{k}"]
        for arm in model.arms:
            assert int(cut.loc[cut["arm"] == arm, "dfs_event"].sum()) == rec[f"events_{arm}_{k}"]
        # the engine analyses the times exactly as drawn: timefix=False (R's merging of nearly
        # equal times would tie a few draws in about 1 trial in 50 of this size)
        lr = logrank_test("dfs_time", "dfs_event", "arm", data=cut, strata=strata, reference=control,
                          timefix=False)
        # engine z > 0 favours the experimental arm: the negated log-rank z of logrank_test
        assert rec[f"z_{k}"] == pytest.approx(-lr.z, rel=1e-12, abs=1e-12)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a non-converged or degenerate fit would show here
            cx = cox_ph("dfs_time", "dfs_event", ["arm"], data=cut, strata=strata, reference={"arm": control},
                        timefix=False)
        # cox_ph stops at |1 - loglik_old/loglik_new| <= 1e-9; the kernel after a Newton step < 1e-6 (error ~1e-12)
        assert rec[f"log_hr_{k}"] == pytest.approx(cx.coef[0], rel=1e-7, abs=1e-8)
        assert rec[f"log_hr_se_{k}"] == pytest.approx(cx.se[0], rel=1e-7)
        if model.landmarks.size == 0:
            continue
        km = kaplan_meier("dfs_time", "dfs_event", "arm", data=cut, timefix=False).survival_at(model.landmarks)
        for arm in model.arms:
            for t in model.landmarks:
                row = km[(km["group"] == arm) & (km["time"] == t)]
                assert rec[f"km_{arm}_{t:g}y_{k}"] == pytest.approx(float(row["survival"].iloc[0]), rel=1e-12)


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), index=st.integers(0, 2500))
def test_engine_statistics_equal_analysis_functions(name, seed, index):
    _check_trial(MODELS[name], seed, index)


def test_first_trials_of_a_seed():
    for i in range(3):
        _check_trial(MODELS["events_stratified"], 20240611, i)


def test_short_trial_looks_at_its_last_event():
    # a cure fraction after 1 year caps the events; the design asks for nearly all of them
    sc = scenario(n=120, cure_tail=1.0, dropout=0.0)
    probe = build_model(sc, {"events": [5]})
    need = int(probe.expected_events_max)  # about half of the trials cannot produce that many
    model = build_model(sc, {"events": [10, need]}, landmarks=[0.5])
    recs = simulate_range(model, 11, 0, 50)
    short = recs[recs["short_2"]]
    assert len(short) > 0
    i = int(short["trial"].iloc[0])
    df = trial_data(model, 11, i)
    total = int(df["dfs_event"].sum())
    assert short["events_2"].iloc[0] == total < need
    # the look is at the last DFS event (simtrial's get_cut_date_by_event with too few events)
    last = float((df["enrol_time"] + df["dfs_time"])[df["dfs_event"] == 1].max())
    assert short["time_2"].iloc[0] == last


def test_lifelines_agrees_on_one_unstratified_look(lifelines):
    model = MODELS["events_unstratified"]
    rec = simulate_range(model, 5, 7, 8).iloc[0]
    cut = apply_data_cut(trial_data(model, 5, 7), events=45)
    a = cut[cut["arm"] == "control"]
    b = cut[cut["arm"] == "treated"]
    res = lifelines.statistics.logrank_test(a["dfs_time"], b["dfs_time"], a["dfs_event"], b["dfs_event"])
    assert rec["z_2"] ** 2 == pytest.approx(res.test_statistic, rel=1e-9)


def test_plain_loop_stratified_logrank():
    """Double programming: O - E and V summed over strata by a plain loop over event times."""
    model = MODELS["events_stratified"]
    rec = simulate_range(model, 99, 3, 4).iloc[0]
    cut = apply_data_cut(trial_data(model, 99, 3), events=45)
    ome = var = 0.0
    for _, g in cut.groupby("risk_group", observed=True):
        t = g["dfs_time"].to_numpy()
        e = g["dfs_event"].to_numpy()
        x = (g["arm"] == "treated").to_numpy()
        for u in np.unique(t[e == 1]):
            at = t >= u
            n, n1 = at.sum(), (at & x).sum()
            d = ((t == u) & (e == 1)).sum()
            d1 = ((t == u) & (e == 1) & x).sum()
            ome += d1 - d * n1 / n
            if n > 1:
                var += d * (n - d) / (n - 1) * n1 * (n - n1) / n**2
    assert rec["z_2"] == pytest.approx(-ome / np.sqrt(var), rel=1e-12)
