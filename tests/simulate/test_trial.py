"""Tests of simulate_trial, apply_data_cut and permuted-block randomization.

Monte-Carlo checks use fixed seeds and 3 standard errors; targets come from the published figures
(shared/reference/aall1731_published.yaml), never retyped.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.errors import InputError
from survtrial.simulate.trial import (
    apply_data_cut,
    permuted_block_randomization,
    simulate_trial,
)

RELAPSES = ["marrow_relapse", "other_relapse"]


@pytest.fixture(scope="module")
def large(aall1731):
    """200,000 children, no dropout, everyone followed >= 3.5 years: 3-year outcomes are binomial."""
    big = aall1731.frozen().updated(
        {
            "arms.chemo.n": 100_000,
            "arms.blina.n": 100_000,
            "accrual.n": 200_000,
            "dropout.rate": 0.0,
            "data_cut": {"years_from_start": aall1731.calibrated.accrual.end + 3.5},
        }
    )
    return simulate_trial(big, rng=20250101)


def within(observed: float, expected: float, n: int, k: float = 3.0) -> bool:
    return abs(observed - expected) <= k * math.sqrt(expected * (1 - expected) / n)


# --- shape of the frame -----------------------------------------------------------------------


def test_same_seed_gives_an_identical_frame_and_other_seeds_differ(aall1731):
    a = simulate_trial(aall1731, rng=42)
    b = simulate_trial(aall1731, seed=42, index=0)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs and a.attrs["seed"] == 42 and a.attrs["trial"] == 0
    c = simulate_trial(aall1731, rng=43)
    assert not np.array_equal(a["dfs_time"].to_numpy(), c["dfs_time"].to_numpy())
    d = simulate_trial(aall1731, seed=42, index=1)
    assert not np.array_equal(a["enrol_time"].to_numpy(), d["enrol_time"].to_numpy())


def test_a_generator_supplies_the_seed_and_advances(aall1731):
    gen = np.random.default_rng(42)
    first, second = simulate_trial(aall1731, rng=gen), simulate_trial(aall1731, rng=gen)
    draws = np.random.default_rng(42).integers(2**63, size=2)
    pd.testing.assert_frame_equal(first, simulate_trial(aall1731, seed=int(draws[0])))
    pd.testing.assert_frame_equal(second, simulate_trial(aall1731, seed=int(draws[1])))
    with pytest.raises(InputError, match="give rng= or seed=, not both"):
        simulate_trial(aall1731, rng=1, seed=1)
    with pytest.raises(InputError, match="index must be an integer >= 0"):
        simulate_trial(aall1731, seed=1, index=-1)


def test_exact_published_arm_counts(aall1731, reference):
    pop = reference["population"]
    for seed in (1, 2, 3):
        counts = simulate_trial(aall1731, rng=seed)["arm"].value_counts()
        assert counts["chemo"] == pop["randomized_chemo"] and counts["blina"] == pop["randomized_blina"]


def test_columns_types_and_internal_consistency(aall1731):
    df = simulate_trial(aall1731, rng=7)
    cal = aall1731.calibrated
    head = ["patient_id", "arm", "arm_code", "risk_group", *aall1731.covariates]
    tail = ["enrol_time", "enrol_date", "dfs_time", "dfs_event", "dfs_event_type", "os_time", "os_event"]
    assert list(df.columns) == head + tail + [f"tox_{k}" for k in aall1731.toxicity]
    assert df["patient_id"].tolist() == list(range(1, len(df) + 1))
    assert df["enrol_time"].is_monotonic_increasing
    assert list(df["dfs_event_type"].cat.categories) == ["censored", *cal.event_types]
    assert df.filter(like="tox_").dtypes.eq(bool).all()
    # dates: study start + floor(years * 365.25) days
    start = pd.Timestamp(cal.start_date)
    days = np.floor(df["enrol_time"].to_numpy() * 365.25)
    assert (df["enrol_date"] == start + pd.to_timedelta(days, unit="D")).all()
    # censoring at the cut, and the logical links between the columns
    room = cal.cut_years - df["enrol_time"]
    assert (df["dfs_time"] >= 0).all() and (df["dfs_time"] <= room + 1e-12).all()
    assert (df["os_time"] >= df["dfs_time"]).all()
    assert ((df["dfs_event_type"] == "censored") == (df["dfs_event"] == 0)).all()
    assert not ((df["os_event"] == 1) & (df["dfs_event"] == 0)).any()
    fatal = df["dfs_event_type"] == "death_in_remission"
    assert (df.loc[fatal, "os_event"] == 1).all() and (df.loc[fatal, "os_time"] == df.loc[fatal, "dfs_time"]).all()
    codes = {(s, a): c for s, st in aall1731.strata.items() for a, c in st.arm_codes.items()}
    assert all(codes[s, a] == c for s, a, c in zip(df["risk_group"], df["arm"], df["arm_code"], strict=True))
    assert df.attrs["scenario"] == "aall1731" and df.attrs["data_cut_years"] == cal.cut_years


# --- randomization ----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 2), min_size=1, max_size=200),
    st.sampled_from([([1, 1], 2), ([1, 1], 4), ([2, 1], 6), ([1, 1, 1], 3)]),
    st.integers(0, 10**6),
)
def test_permuted_blocks_balance_every_stratum_at_every_block_end(strata, design, seed):
    ratio, block = design
    arm = permuted_block_randomization(strata, ratio, block, rng=seed)
    strata = np.asarray(strata)
    per_block = np.repeat(np.arange(len(ratio)), block // sum(ratio) * np.asarray(ratio))
    for s in np.unique(strata):
        seq = arm[strata == s]
        for start in range(0, seq.size, block):
            chunk = np.sort(seq[start : start + block])
            if chunk.size == block:  # a complete block holds exactly the ratio
                np.testing.assert_array_equal(chunk, per_block)
            else:  # an incomplete last block is the start of a permuted block
                assert all(np.sum(chunk == a) <= np.sum(per_block == a) for a in range(len(ratio)))


def test_target_counts_move_only_the_latest_patients_of_the_overfilled_arm():
    strata = np.random.default_rng(0).integers(0, 2, size=1441)
    free = permuted_block_randomization(strata, [1, 1], 4, rng=9)
    target = [722, 719]
    fixed = permuted_block_randomization(strata, [1, 1], 4, rng=9, target_counts=target)
    assert np.bincount(fixed).tolist() == target
    changed = np.flatnonzero(free != fixed)
    excess = np.bincount(free, minlength=2) - np.asarray(target)
    assert changed.size == np.abs(excess).max()
    over = int(np.argmax(excess))
    if changed.size:
        assert np.array_equal(changed, np.flatnonzero(free == over)[-changed.size :])


def test_randomization_input_errors():
    with pytest.raises(InputError, match="multiple of the ratio total 3"):
        permuted_block_randomization([0, 0], [2, 1], 4)
    with pytest.raises(InputError, match="summing to 2"):
        permuted_block_randomization([0, 0], [1, 1], 2, target_counts=[2, 1])


# --- large-n checks against the published 3-year figures -----------------------------------------


def test_three_year_dfs_per_arm_and_risk_group_matches_the_model_and_the_published_targets(
        large, aall1731, reference):
    # the generator reproduces the calibrated model's 3-year DFS per cell (3 binomial SEs); the model
    # meets the published chemotherapy figures exactly and the blinatumomab ones within a published
    # SE (test_calibrate), so the simulated blinatumomab figures lie within a published SE too
    by_risk = reference["results_first_interim"]["dfs_3y_by_risk"]
    cal = aall1731.calibrated
    assert (large["dfs_time"][large["dfs_event"] == 0] >= 3.0).all()  # nobody censored before 3 years
    for (stratum, arm), cell in large.groupby(["risk_group", "arm"], observed=True):
        model = cal.dfs_survival(3.0, arm, stratum)
        event_free = float((cell["dfs_time"] > 3.0).mean())
        assert within(event_free, model, len(cell)), (stratum, arm, event_free, model)
        published = by_risk[stratum][arm]
        assert abs(100 * event_free - published["value"]) < published["se"], (stratum, arm)


def test_three_year_cumulative_incidences_and_os_match_the_published_figures(large, reference):
    res = reference["results_first_interim"]
    for arm, cell in large.groupby("arm", observed=True):
        by3 = cell["dfs_time"] <= 3.0
        marrow = float((by3 & (cell["dfs_event_type"] == "marrow_relapse")).mean())
        relapse = float((by3 & cell["dfs_event_type"].isin(RELAPSES)).mean())
        alive = float(1 - ((cell["os_event"] == 1) & (cell["os_time"] <= 3.0)).mean())
        n = len(cell)
        assert within(marrow, res["marrow_relapse_cif_3y"][arm]["value"] / 100, n), (arm, marrow)
        assert within(relapse, res["any_relapse_cif_3y"][arm]["value"] / 100, n), (arm, relapse)
        assert within(alive, res["os_3y"][arm]["value"] / 100, n), (arm, alive)


def test_demographics_match_the_published_population(large, reference):
    pop = reference["population"]
    n = len(large)
    assert within(float((large["sex"] == "M").mean()), pop["percent_boys"] / 100, n)
    assert within(float((large["ethnicity"] == "hispanic").mean()), pop["percent_hispanic"] / 100, n)
    black = float((large["ethnicity"] == "non_hispanic_black").mean())
    assert within(black, pop["percent_non_hispanic_black"] / 100, n)
    # sample median: SE = sqrt(1/4n) / f(median); the quantile function's steeper side (between the
    # median and the upper quartile) gives the smaller density f = 0.25 / (Q(0.75) - Q(0.5))
    q = aall_age_quantiles(large.attrs)
    density = 0.25 / (q[0.75] - q[0.5])
    se = math.sqrt(0.25 / n) / density
    assert abs(float(large["age_years"].median()) - pop["median_age_years"]) < 3 * se + 0.005


def aall_age_quantiles(attrs) -> dict:
    from survtrial.simulate.scenario import load_scenario

    return load_scenario(attrs["scenario"]).covariates["age_years"].quantiles


def test_tox_rates_match_the_scenario(large, aall1731):
    # per arm, or per risk group and arm (the published grade >= 3 table)
    for name in aall1731.toxicity:
        for (stratum, arm), cell in large.groupby(["risk_group", "arm"], observed=True):
            p = aall1731.toxicity_probability(name, stratum, arm)
            got = float(cell[f"tox_{name}"].mean())
            assert (got == 0.0) if p == 0 else within(got, p, len(cell)), (name, stratum, arm)


def test_covariates_follow_the_risk_classification_rules(aall1731):
    classify = pytest.importorskip("survtrial.clinical.classify").classify_patient
    df = simulate_trial(aall1731, rng=5).head(300)
    fields = ["age_years", "wbc_per_ul", "sex", "cytogenetics", "cns_status", "testicular",
              "day8_pb_mrd_pct", "eoi_bm_flow_mrd_pct", "eoi_hts_mrd", "eoc_bm_mrd_pct"]  # fmt: skip
    for rec in df[["risk_group", *fields]].astype(object).to_dict("records"):
        group = rec.pop("risk_group")
        result = classify(**rec)
        assert (result.risk_group, result.randomized) == (group, True), (rec, result.summary)


# --- data cuts --------------------------------------------------------------------------------


def test_cutting_full_follow_up_at_the_scenario_cut_equals_the_simulated_cut(aall1731):
    full = simulate_trial(aall1731, rng=11, full_follow_up=True)
    assert np.isinf(full.attrs["data_cut_years"])
    cut = apply_data_cut(full, years=aall1731.calibrated.cut_years)
    pd.testing.assert_frame_equal(cut, simulate_trial(aall1731, rng=11))
    by_date = apply_data_cut(full, date=aall1731.calibrated.cut_date)
    assert abs(by_date.attrs["data_cut_years"] - aall1731.calibrated.cut_years) < 1 / 365.25


def loop_cut(df: pd.DataFrame, years: float) -> list[tuple]:
    """Double programming: re-censor row by row."""
    out = []
    for r in df.itertuples():
        if r.enrol_time > years:
            continue
        room = years - r.enrol_time
        dfs_event = int(r.dfs_event == 1 and r.enrol_time + r.dfs_time <= years)
        os_event = int(r.os_event == 1 and r.enrol_time + r.os_time <= years)
        out.append(
            (
                r.patient_id,
                r.dfs_time if dfs_event else min(r.dfs_time, room),
                dfs_event,
                r.dfs_event_type if dfs_event else "censored",
                r.os_time if os_event else min(r.os_time, room),
                os_event,
            )
        )
    return out


def test_event_count_cut_keeps_exactly_d_events_and_matches_a_plain_loop(aall1731):
    full = simulate_trial(aall1731, rng=3, full_follow_up=True)
    d = 45
    cut = apply_data_cut(full, events=d)
    assert int(cut["dfs_event"].sum()) == d
    event_times = np.sort((full["enrol_time"] + full["dfs_time"])[full["dfs_event"] == 1].to_numpy())
    assert cut.attrs["data_cut_years"] == event_times[d - 1]
    cols = ["patient_id", "dfs_time", "dfs_event", "dfs_event_type", "os_time", "os_event"]
    got = [tuple(r) for r in cut[cols].astype(object).itertuples(index=False)]
    assert got == loop_cut(full, event_times[d - 1])
    # an interim look cut from the cut data again: nested cuts agree with a direct cut
    again = apply_data_cut(cut, events=20)
    pd.testing.assert_frame_equal(again, apply_data_cut(full, events=20))


def test_data_cut_errors(aall1731):
    df = simulate_trial(aall1731, rng=1)
    with pytest.raises(InputError, match="follow-up cannot be extended"):
        apply_data_cut(df, years=df.attrs["data_cut_years"] + 1)
    with pytest.raises(InputError, match="exactly one of years=, date= or events="):
        apply_data_cut(df, years=1.0, events=3)
    with pytest.raises(InputError, match=r"only .* DFS events in the data"):
        apply_data_cut(df, events=10_000)
    with pytest.raises(InputError, match=r"column\(s\) \['os_time'"):
        apply_data_cut(df.drop(columns=["os_time"]), years=1.0)
    bare = df.copy()
    bare.attrs = {}
    with pytest.raises(InputError, match="start_date="):
        apply_data_cut(bare, date="2023-01-01")


def reverse_km_median(time: np.ndarray, censored: np.ndarray) -> tuple[float, float]:
    """Plain reverse Kaplan-Meier (censoring is the 'event'): median and Greenwood SE of G there."""
    order = np.argsort(time, kind="stable")
    t, c = time[order], censored[order]
    at_risk, g, greenwood = t.size, 1.0, 0.0
    i = 0
    while i < t.size:
        j = i
        while j < t.size and t[j] == t[i]:
            j += 1
        d = int(c[i:j].sum())
        if d:
            g *= 1 - d / at_risk
            greenwood += d / (at_risk * (at_risk - d)) if at_risk > d else 0.0
            if g <= 0.5:
                return float(t[i]), g * math.sqrt(greenwood)
        at_risk -= j - i
        i = j
    return math.inf, math.nan


def test_median_follow_up_by_reverse_km_is_the_models(aall1731):
    # the model's potential follow-up: G(u) = F_E(C - u) / F_E(C) exp(-rate u), F_E the accrual CDF
    # (solved from the numbers at risk, scaled to n); its median m solves G(m) = 1/2
    from scipy.optimize import brentq

    n = 50_000
    big = aall1731.updated({"arms.chemo.n": n // 2, "arms.blina.n": n // 2, "accrual.n": n})
    cal = big.calibrated
    rate, cut, acc = cal.dropout_rate, cal.cut_years, cal.accrual

    def g(u):
        return float(acc.cdf(cut - u) / acc.cdf(cut)) * math.exp(-rate * u)

    m = brentq(lambda u: g(u) - 0.5, 0.0, cut)
    df = simulate_trial(big, rng=99)
    median, se_g = reverse_km_median(df["os_time"].to_numpy(), (df["os_event"] == 0).to_numpy())
    # SE of the median = SE of G(m) / density of follow-up at m (-G'(m), numerically)
    density = (g(m - 1e-4) - g(m + 1e-4)) / 2e-4
    assert abs(median - m) < 3 * se_g / density, (median, m, se_g / density)


def test_poisson_accrual_and_event_count_cut_scenario(aall1731):
    sc = aall1731.frozen().updated(
        {
            "arms.chemo.n": None,
            "arms.blina.n": None,
            "accrual.n": None,
            "accrual.duration_years": None,
            "accrual.periods": [{"duration_years": 1.0, "rate": 100.0}, {"duration_years": 3.0, "rate": 300.0}],
            "data_cut": {"events": 30},
        }
    )
    a, b = simulate_trial(sc, rng=8), simulate_trial(sc, rng=8)
    pd.testing.assert_frame_equal(a, b)
    assert int(a["dfs_event"].sum()) == 30
    full = simulate_trial(sc, rng=8, full_follow_up=True)
    expected = sc.calibrated.accrual.expected_n
    assert abs(len(full) - expected) < 4 * math.sqrt(expected)  # Poisson total
    # ratio-balanced without fixed counts: imbalance bounded by half a block per stratum
    counts = full["arm"].value_counts()
    assert abs(counts["chemo"] - counts["blina"]) <= len(sc.strata) * sc.randomization.block_size // 2


def test_covariates_may_be_listed_before_their_parent(aall1731):
    covs = dict(aall1731.model_dump(exclude_none=True)["covariates"])
    reordered = {"cytogenetics": covs.pop("cytogenetics"), **covs}
    sc = aall1731.updated({"covariates": reordered})
    df = simulate_trial(sc, rng=4)
    assert list(df.columns[4:6]) == ["cytogenetics", "age_years"]
    # x by y and y by x: a cycle
    x = {"type": "categorical", "by": "y", "levels_by": {"b": {"a": 1.0}}}
    y = {"type": "categorical", "by": "x", "levels_by": {"a": {"b": 1.0}}}
    cycle = "scenario key 'covariates': covariates 'x', 'y' depend on each other in a cycle"
    with pytest.raises(InputError, match=cycle):
        aall1731.updated({"covariates.x": x, "covariates.y": y})


# --- one generator: the twin's trial is the engine's trial ----------------------------------------


def _nph_scenario():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from engine_scenarios import small_scenario

    from survtrial.simulate.scenario import scenario_from_dict

    data = small_scenario(n=300)
    data["hazards"]["low"]["treated"] = {"hazard_ratio": {"breaks": [0.0, 0.7], "values": [1.0, 0.4]},
                                         "cure_fraction": 0.2}
    data["accrual"] = {"start_date": "2020-01-01", "periods": [{"duration_years": 1.0, "rate": 100.0},
                                                              {"duration_years": 1.0, "rate": 200.0}]}
    return scenario_from_dict(data)


@pytest.mark.parametrize("which", ["aall1731", "nph"])
@pytest.mark.parametrize("index", [0, 7, 1003])
def test_simulate_trial_is_the_engine_trial_under_every_design(aall1731, which, index):
    from survtrial.simulate.engine import build_model, trial_data

    sc = aall1731 if which == "aall1731" else _nph_scenario()
    full = simulate_trial(sc, seed=99, index=index, full_follow_up=True)
    designs = [{"events": [20, 40]}, {"events": [30, 60, 90]}, {"calendar_times": [1.0, 2.5], "planned_events": 50}]
    for design in designs:
        engine = trial_data(build_model(sc, design), 99, index)
        pd.testing.assert_frame_equal(engine, full[engine.columns])
        assert engine.attrs["seed"] == full.attrs["seed"] and engine.attrs["trial"] == index


def test_trials_drawn_together_equal_trials_drawn_one_by_one(aall1731):
    from survtrial.simulate.trial import simulate_trials_data

    together = list(simulate_trials_data(aall1731, 4, 998, 1002))
    assert [df.attrs["trial"] for df in together] == [998, 999, 1000, 1001]
    for df in together:
        pd.testing.assert_frame_equal(df, simulate_trial(aall1731, seed=4, index=df.attrs["trial"]))
