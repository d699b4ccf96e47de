"""Engine: model checks, reproducibility by seed and trial index, stopping rules and bound updates."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from survtrial.design import group_sequential, update_design
from survtrial.errors import InputError
from survtrial.simulate.design_spec import load_simulation_design, simulation_design
from survtrial.simulate.engine import (
    build_model,
    record_schema,
    simulate_range,
    simulate_table,
    simulate_trials,
    trial_data,
)

sys.path.insert(0, str(Path(__file__).parent))
from engine_scenarios import scenario, small_scenario, write_yaml

SMALL = scenario(n=300)


def test_records_do_not_depend_on_the_range():
    model = build_model(SMALL, {"events": [20, 45, 70]})
    whole = simulate_range(model, 3, 0, 2300)
    part = simulate_range(model, 3, 950, 1210)  # starts inside seed block 0, ends inside block 1
    pd.testing.assert_frame_equal(part.reset_index(drop=True), whole.iloc[950:1210].reset_index(drop=True))
    again = simulate_range(model, 3, 0, 2300)
    pd.testing.assert_frame_equal(whole, again)
    other = simulate_range(model, 4, 0, 50)
    assert not np.array_equal(other["z"].to_numpy(), whole["z"].to_numpy()[:50])


def test_trial_data_is_reproducible_and_matches_the_design(reference):
    model = build_model("aall1731", {"events": [40, 80]})
    a = trial_data(model, 8, 1234)
    b = trial_data(model, 8, 1234)
    pd.testing.assert_frame_equal(a, b)
    # the scenario fixes the arm sizes to the published ones, and the strata
    sc = model.arms
    pop = reference["population"]
    assert a["arm"].value_counts().to_dict() == {"chemo": pop["randomized_chemo"], "blina": pop["randomized_blina"]}
    assert list(a["risk_group"].cat.categories) == ["SR-Avg", "SR-High"]
    assert np.all(np.diff(a["enrol_time"].to_numpy()) >= 0)
    end = model.generator.accrual.end  # accrual (solved from the numbers at risk) ends at the data cut
    assert a["enrol_time"].between(0, end).all() and sc == ("chemo", "blina")
    # permuted blocks of 4 within stratum: arms balanced to within 2 in every stratum before re-assignment
    counts = pd.crosstab(a["risk_group"], a["arm"])
    assert (counts["chemo"] - counts["blina"]).abs().max() <= 6


def test_decisions_follow_the_bounds():
    model = build_model(SMALL, {"events": [20, 45, 70], "beta_spending": "OF", "power": 0.8})
    recs = simulate_range(model, 21, 0, 3000)
    gs = model.design.design
    for row in recs.itertuples():
        for k in range(1, row.stop_look):  # looks before stopping continued
            z = getattr(row, f"z_{k}")
            assert gs.lower[k - 1] < z < gs.upper[k - 1]
        z = getattr(row, f"z_{row.stop_look}")
        if row.decision == "efficacy":
            assert z >= gs.upper[row.stop_look - 1]
        elif row.decision == "futility":
            assert z <= gs.lower[row.stop_look - 1] and row.stop_look < 3
        else:
            assert row.stop_look == 3 and z < gs.upper[2]
    assert (recs["decision"] == "futility").any() and (recs["decision"] == "efficacy").any()
    stop = recs["stop_look"].to_numpy() - 1
    assert np.array_equal(recs["z"], recs[["z_1", "z_2", "z_3"]].to_numpy()[np.arange(len(recs)), stop])


def test_short_trials_get_the_final_bound_at_their_information():
    sc = scenario(n=120, cure_tail=1.0, dropout=0.0)
    need = int(build_model(sc, {"events": [5]}).expected_events_max)
    model = build_model(sc, {"events": [10, need]})
    recs = simulate_range(model, 11, 0, 200)
    row = recs[recs["short_2"] & ~recs["short_1"]].iloc[0]  # short at the final look only
    upd = update_design(model.design.design, events=[10, int(row["events_2"])], max_events=need, final=True)
    assert row["efficacy_2"] == upd.upper[1] != model.design.design.upper[1]
    full = recs[~recs["short_2"]].iloc[0]
    assert full["efficacy_2"] == model.design.design.upper[1]


@pytest.mark.parametrize("planned", [80, 125])
def test_calendar_looks_use_bounds_updated_at_the_observed_events(planned):
    # by 2.5 and 4 years these trials have about 66 (SD 7) and 114 events: with 80 planned about 2%
    # reach full information at look 2 (an early final analysis; 600 trials: about 12 of them);
    # with 125 most end short of it at look 3
    model = build_model(SMALL, {"calendar_times": [1.5, 2.5, 4.0], "planned_events": planned})
    recs = simulate_range(model, 2, 0, 600)
    seen_early_final = seen_short = False
    for row in recs.itertuples():
        ev = [row.events_1, row.events_2, row.events_3]
        m = next((k + 1 for k, e in enumerate(ev) if e >= planned), 3)  # a look reaching full information is final
        seen_early_final |= m < 3
        seen_short |= ev[m - 1] < planned
        upd = update_design(model.design.design, events=ev[:m], max_events=planned, final=True)
        used = [row.efficacy_1, row.efficacy_2, row.efficacy_3]
        assert used[:m] == upd.upper.tolist()
        assert np.isnan(used[m:]).all() and row.stop_look <= m
    assert seen_early_final if planned == 80 else seen_short


def test_hazard_ratio_override_and_true_hr():
    assert build_model(SMALL, {"events": [30]}).true_hazard_ratio == pytest.approx(0.7, rel=1e-12)
    assert build_model(SMALL, {"events": [30]}, hazard_ratio=0.5).true_hazard_ratio == pytest.approx(0.5, rel=1e-12)
    # AALL1731: arm-by-stratum targets give different ratios per stratum: no single true HR
    assert build_model("aall1731", {"events": [30]}).true_hazard_ratio is None


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"events": [30], "strata": ["low", "mid"]}, "not in the scenario: ['mid']; not in the design: ['high']"),
        ({"events": [30], "control_arm": "placebo"}, "arm 'placebo' is not in scenario"),
        ({"events": [100, 400]}, "has 300 patients; it can produce at most 300"),
        ({"events": [100, 280]}, "produces about"),
        ({"events": [30], "spending": "OF"}, "unknown key 'spending'"),
        ({"events": [30, 20]}, "'events' must be positive counts increasing"),
        ({"calendar_times": [1, 2]}, "'calendar_times' need 'planned_events'"),
        ({"alpha": 0.025}, "no look schedule"),
    ],
)
def test_bad_designs_are_named(design, message):
    with pytest.raises(InputError, match=None) as err:
        build_model(SMALL, design)
    assert message in str(err.value)


def test_bad_runs():
    with pytest.raises(InputError, match="n_sims must be a positive integer"):
        simulate_trials(SMALL, {"events": [30]}, 0)
    with pytest.raises(InputError, match="hazard_ratio must be a finite number > 0"):
        build_model(SMALL, {"events": [30]}, hazard_ratio=-1)
    with pytest.raises(InputError, match="compares two arms"):
        data = small_scenario()
        data["arms"]["third"] = {}
        data["randomization"]["ratio"]["third"] = 1
        data["randomization"]["block_size"] = 3
        for s in data["hazards"]:
            data["hazards"][s]["third"] = data["hazards"][s]["control"]
        data["competing_events"]["by_arm"]["third"] = data["competing_events"]["by_arm"]["control"]
        from survtrial.simulate.scenario import scenario_from_dict

        build_model(scenario_from_dict(data), {"events": [30]})


def test_design_json_from_survtrial_design_is_accepted(tmp_path):
    from survtrial.cli.design import design_json
    from survtrial.design.plan import plan_trial

    plan = plan_trial({"control_survival": 0.879, "landmark_time": 3, "hazard_ratio": 0.6, "power": 0.9,
                       "looks": 3, "accrual_time": 5, "follow_up": 2, "time_unit": "years"})
    path = tmp_path / "design.json"
    path.write_text(design_json(plan))
    des = load_simulation_design(path)
    assert des.planned_events == math.ceil(plan.sample_size.max_events)
    assert des.kind == "events" and des.k == 3
    expect = np.ceil(plan.design.information_fractions * des.planned_events - 1e-9)
    assert des.events.tolist() == expect.astype(int).tolist()
    # the same keys as YAML, with the effect keys of `survtrial design`
    spec = json.loads(path.read_text())["spec"]
    assert load_simulation_design(write_yaml(tmp_path / "d.yaml", spec)).planned_events == des.planned_events


def test_fraction_design_rounds_events_up_and_uses_their_fractions():
    des = simulation_design({"information_fractions": [0.33, 0.67, 1.0], "planned_events": 100})
    assert des.events.tolist() == [33, 67, 100]
    ref = group_sequential([0.33, 0.67, 1.0])
    assert des.design.upper == pytest.approx(ref.upper, rel=1e-12)


def test_arrow_records_read_back_as_the_pandas_records():
    # the runner writes simulate_table; reading its Parquet gives simulate_range's frame
    import pyarrow.parquet as pq

    model = build_model(SMALL, {"events": [20, 45, 70]}, landmarks=[1.0])
    frame = simulate_range(model, 5, 990, 1240)
    table = simulate_table(model, 5, 990, 1240)
    pd.testing.assert_frame_equal(table.to_pandas(), frame)
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf, use_dictionary=["decision"])
    pd.testing.assert_frame_equal(pq.read_table(pa.BufferReader(buf.getvalue())).to_pandas(), frame)
    assert table.schema.equals(record_schema(model))
