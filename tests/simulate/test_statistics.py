"""Every per-look statistic of the engine equals the analysis functions on the same trial's data.

For random seeds and trial indices, ``trial_data`` gives the engine's trial; cut at each look,
the log-rank and Fleming-Harrington z's must equal ``logrank_test(rho=, gamma=)`` and
``weighted_logrank_test``, Magirr-Burman ``weighted_logrank_test(weights="mb")``, MaxCombo
``maxcombo_test`` (z's exactly, the p-value to the integration tolerance), RMST
``restricted_mean_survival_time``, milestone ``milestone_test`` and ``kaplan_meier(...).survival_at``
with Greenwood SE, Cox ``cox_ph`` (all with ``timefix=False``: the engine takes its draws
exactly). MaxCombo's p-value is also compared with a Monte-Carlo of its normal vector.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.errors import InputError
from survtrial.simulate.engine import build_model, simulate_range, trial_data
from survtrial.simulate.scenario import scenario_from_dict
from survtrial.simulate.trial import apply_data_cut
from survtrial.stats.cox import cox_ph
from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test
from survtrial.stats.maxcombo import maxcombo_test
from survtrial.stats.milestone import milestone_test
from survtrial.stats.rmst import restricted_mean_survival_time
from survtrial.stats.weighted_logrank import weighted_logrank_test
from survtrial.stats.weights import FlemingHarrington, MagirrBurman

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "stats"))
from engine_scenarios import scenario, small_scenario
from nph_helpers import _maxcombo_p_reference

SMALL = scenario(n=300)
NPH_CURE = scenario_from_dict({
    **small_scenario(n=300),
    "name": "crossing_cure",
    "hazards": {
        "low": {"control": {"breaks": [0.0, 2.0], "rates": [0.3, 0.15], "cure_fraction": 0.2},
                "treated": {"hazard_ratio": {"breaks": [0.0, 0.5], "values": [1.0, 0.5]}, "cure_fraction": 0.4}},
        "high": {"control": {"breaks": [0.0, 1.5], "rates": [0.5, 0.3]},
                 "treated": {"hazard_ratio": {"breaks": [0.0, 1.0], "values": [1.6, 0.4]}, "cure_fraction": 0.3}},
    },
})
TESTS = ["logrank", "fh(0,0.5)", "fh(1,0)", "fh(0.5,2)", "mb(0.75y)", "mb(9m,1.5)", "maxcombo",
         "maxcombo(fh(0,0),mb(1y))", "rmst(1y)", "milestone(0.8y)", "cox"]
MODELS = {
    "stratified": build_model(SMALL, {"events": [20, 45, 70]}, tests=TESTS, landmarks=[]),
    "pooled": build_model(SMALL, {"events": [20, 45, 70], "stratified": False}, tests=TESTS, landmarks=[1.0]),
    "calendar": build_model(SMALL, {"calendar_times": [1.5, 2.5], "planned_events": 80}, tests=TESTS,
                            landmarks=[]),
    "control_second": build_model(SMALL, {"events": [30, 60], "control_arm": "treated"}, tests=TESTS,
                                  landmarks=[]),
    "aall1731": build_model("aall1731", {"events": [40, 80]}, tests=["fh(0,1)", "maxcombo", "rmst(2y)",
                                                                     "milestone(2y)", "logrank"]),
    # non-proportional hazards as scenario data: the packaged delayed effect (HR 1 for a year, 0.6
    # after), and crossing hazards with cure fractions (the cured leave only by dropout)
    "delayed_effect": build_model("delayed_effect", {"events": [120, 240]}, tests=[*TESTS[:7], "rmst(2y)", "cox"],
                                  landmarks=[]),
    "cure_crossing": build_model(NPH_CURE, {"events": [40, 90]}, tests=TESTS, landmarks=[1.0]),
}


def _maxcombo_p_monte_carlo(zmin: float, corr: np.ndarray, draws: int = 1_000_000) -> tuple[float, float]:
    """P(min Z <= zmin), Z ~ N(0, corr), by Monte-Carlo (fixed seed); (p, its SE)."""
    rng = np.random.default_rng(12345)
    z = rng.standard_normal((draws, corr.shape[0])) @ np.linalg.cholesky(corr).T
    p = float(np.mean(z.min(axis=1) <= zmin))
    return p, math.sqrt(max(p * (1 - p), 1e-12) / draws)


def _check(model, seed: int, index: int, mc_check: bool = False) -> None:
    rec = simulate_range(model, seed, index, index + 1).iloc[0]
    df = trial_data(model, seed, index)
    control, experimental = model.arms[model.control], model.arms[model.experimental]
    strata = "risk_group" if model.analysis.stratified else None
    for k in range(1, model.k + 1):
        if pd.isna(rec[f"events_{k}"]):
            continue
        if model.design.kind == "events":
            cut = apply_data_cut(df, events=int(model.design.events[k - 1]))
        else:
            cut = apply_data_cut(df, years=float(rec[f"time_{k}"]))
        for t in model.tests:
            z = rec[f"{t.slug}_z_{k}"]
            p = rec[f"{t.slug}_p_{k}"]
            label = t.label
            if label == "logrank" or label.startswith("fh("):
                rho, gamma = (0.0, 0.0) if label == "logrank" else (t.params[1], t.params[2])
                lr = logrank_test("dfs_time", "dfs_event", "arm", data=cut, strata=strata, reference=control,
                                  rho=rho, gamma=gamma, timefix=False)
                # design scale: z > 0 favours the experimental arm; logrank_test's z is R's (O - E) / sqrt(V)
                assert z == pytest.approx(-lr.z, rel=1e-10, abs=1e-12), (label, k)
                other = 1 - list(lr.groups).index(control)
                assert rec[f"{t.slug}_estimate_{k}"] == pytest.approx(lr.observed[other] - lr.expected[other],
                                                                    rel=1e-10, abs=1e-10)
                assert p == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)), rel=1e-12)
                wl = weighted_logrank_test("dfs_time", "dfs_event", "arm", strata, data=cut, rho=rho, gamma=gamma,
                                           reference=control, alternative="less", timefix=False)
                assert z == pytest.approx(-wl.z, rel=1e-10, abs=1e-12) and p == pytest.approx(wl.p_value, rel=1e-9)
            elif label.startswith("mb("):
                wl = weighted_logrank_test("dfs_time", "dfs_event", "arm", strata, data=cut, weights="mb",
                                           delay=t.params[1], w_max=None if np.isinf(t.params[2]) else t.params[2],
                                           reference=control, timefix=False)
                assert z == pytest.approx(-wl.z, rel=1e-10, abs=1e-12), (label, k)
                assert rec[f"{t.slug}_estimate_{k}"] == pytest.approx(wl.score, rel=1e-10, abs=1e-12)
            elif label.startswith("maxcombo"):
                m = int(t.params[0])
                comps = [FlemingHarrington(t.params[2 + 3 * i], t.params[3 + 3 * i]) if t.params[1 + 3 * i] == 0
                         else MagirrBurman(delay=t.params[2 + 3 * i],
                                           w_max=None if np.isinf(t.params[3 + 3 * i]) else t.params[3 + 3 * i])
                         for i in range(m)]
                mc = maxcombo_test("dfs_time", "dfs_event", "arm", strata, data=cut, tests=comps, reference=control,
                                   alternative="less", timefix=False)
                # the engine's z is the largest design-scale z: minus maxcombo_test's min(z) ("less")
                assert z == pytest.approx(-mc.statistic, rel=1e-10), (label, k)
                # p-value: against an independent integration (_maxcombo_p_reference) on maxcombo_test's
                # correlation; the engine's integration error is below 1e-5 (6e-6 where two z's
                # correlate 0.99997); and against maxcombo_test's own p-value within its error bound
                # (its quasi-Monte-Carlo is split by the first z to leave the box, so a small p keeps
                # its relative precision; taking 1 minus the box probability once gave 6.11e-5 where
                # the bivariate normal gives 6.54e-5). Not against scipy's multivariate_normal.cdf
                # (asked for 1e-8 in four dimensions, it scatters by 2e-5 with the seed)
                assert abs(p - _maxcombo_p_reference(mc.statistic, mc.correlation)) <= 1e-5, (label, k, p)
                assert abs(p - mc.p_value) <= mc.p_value_error + 1e-5, (label, k, p, mc.p_value)
                if mc_check:
                    p_mc, se = _maxcombo_p_monte_carlo(mc.statistic, mc.correlation)
                    assert abs(p - p_mc) <= 4.5 * se + 1e-6, (label, k, p, p_mc)
            elif label.startswith("rmst("):
                try:
                    rm = restricted_mean_survival_time("dfs_time", "dfs_event", "arm", data=cut, tau=t.time,
                                                       reference=control, timefix=False)
                except InputError:  # tau beyond an arm's follow-up: undefined, NaN in the engine
                    assert np.isnan(z) and np.isnan(rec[f"{t.slug}_estimate_{k}"]), (label, k)
                    continue
                assert rec[f"{t.slug}_estimate_{k}"] == pytest.approx(rm.difference, rel=1e-10, abs=1e-12)
                assert z == pytest.approx(rm.difference / rm.difference_se, rel=1e-10, abs=1e-12), (label, k)
            elif label.startswith("milestone("):
                km = kaplan_meier("dfs_time", "dfs_event", "arm", data=cut, timefix=False).survival_at([t.time])
                row = {g: r for g, r in zip(km["group"].astype(str), km.itertuples(), strict=True)}
                if row[control].n_risk == 0 or row[experimental].n_risk == 0:  # t beyond an arm's follow-up
                    assert np.isnan(z), (label, k)
                    with pytest.raises(InputError):
                        milestone_test("dfs_time", "dfs_event", "arm", data=cut, milestone=t.time,
                                       reference=control, timefix=False)
                    continue
                diff = row[experimental].survival - row[control].survival
                se = math.hypot(row[experimental].std_err, row[control].std_err)
                assert rec[f"{t.slug}_estimate_{k}"] == pytest.approx(diff, rel=1e-10, abs=1e-13)
                assert z == pytest.approx(diff / se, rel=1e-10, abs=1e-12), (label, k)
                ms = milestone_test("dfs_time", "dfs_event", "arm", data=cut, milestone=t.time, reference=control,
                                    timefix=False)
                assert z == pytest.approx(ms.z, rel=1e-10, abs=1e-12), (label, k)
            elif label == "cox":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cx = cox_ph("dfs_time", "dfs_event", ["arm"], data=cut, strata=strata,
                                reference={"arm": control}, timefix=False)
                # the kernel's Newton iteration stops after a step below 1e-6 (error about 1e-12)
                assert z == pytest.approx(-cx.coef[0] / cx.se[0], rel=1e-7), (label, k)
            else:  # pragma: no cover - a test added without a check here
                raise AssertionError(f"no reference for test {label}")


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), index=st.integers(0, 2500))
def test_every_statistic_equals_the_analysis_functions(name, seed, index):
    _check(MODELS[name], seed, index)


def test_maxcombo_p_value_against_monte_carlo():
    # the p-value of the smallest weighted z (R's sign) under its own correlation, against 10^6
    # draws of the same normal vector
    for index in (3, 11):
        _check(MODELS["stratified"], 77, index, mc_check=True)


def test_signs_on_the_design_scale():
    # a strong effect (HR 0.4): every test's z is positive (favours the experimental arm), and the
    # estimates have their own signs: O - E and log HR negative, RMST and survival differences positive
    model = build_model(SMALL, {"events": [70]}, tests=TESTS, hazard_ratio=0.4, landmarks=[])
    recs = simulate_range(model, 5, 0, 200)
    for t in model.tests:
        z = recs[f"{t.slug}_z_1"].to_numpy()
        assert np.nanmean(z) > 1.5, t.label
        if t.has_estimate:
            est = np.nanmedian(recs[f"{t.slug}_estimate_1"].to_numpy())
            assert (est > 0) == t.label.startswith(("rmst", "milestone")), t.label


def test_unknown_and_bad_tests_are_named():
    with pytest.raises(InputError, match=r"unknown test 'wilcoxon'; known tests: logrank, fh\(rho,gamma\)"):
        build_model(SMALL, {"events": [30]}, tests=["wilcoxon"])
    with pytest.raises(InputError, match="rho and gamma must be >= 0"):
        build_model(SMALL, {"events": [30]}, tests=["fh(-1,0)"])
    with pytest.raises(InputError, match="is not a number"):
        build_model(SMALL, {"events": [30]}, tests=["fh(a,0)"])
    with pytest.raises(InputError, match="maxcombo needs at least two"):
        build_model(SMALL, {"events": [30]}, tests=["maxcombo(fh(0,0))"])
    with pytest.raises(InputError, match="beyond the follow-up any look of this design reaches"):
        build_model(SMALL, {"calendar_times": [1.5, 2.5], "planned_events": 80}, tests=["rmst(3y)"])
    with pytest.raises(InputError, match="MaxCombo is one-sided"):
        build_model(SMALL, {"events": [30, 60], "sided": 2, "alpha": 0.05}, tests=["maxcombo"])
    with pytest.raises(InputError, match=r"design: key 'tests': unknown test 'foo'"):
        from survtrial.simulate.design_spec import simulation_design

        simulation_design({"events": [30], "tests": ["logrank", "foo"]})


def test_times_beyond_an_arms_follow_up_give_nan():
    # look 1 at 20 events (about 1.3 years after the start, at most 1.52 in these 50 trials):
    # before 1.5 years nobody is followed 1.5 years, so RMST to 1.5 years and survival at 1.5
    # years are undefined there (the analysis functions refuse: tau beyond the follow-up); defined
    # at the last look
    model = build_model(SMALL, {"events": [20, 70]}, tests=["logrank", "rmst(1.5y)", "milestone(1.5y)"])
    recs = simulate_range(model, 8, 0, 50)
    early = (recs["time_1"] < 1.5).to_numpy()
    assert early.sum() >= 45
    for name in ("rmst_1.5y", "milestone_1.5y"):
        assert recs[f"{name}_z_1"][early].isna().all() and recs[f"{name}_p_1"][early].isna().all()
        assert recs[f"{name}_z_2"].notna().all()
        assert model.bounds.upper[[t.slug for t in model.tests].index(name), 0] == np.inf
    cut = apply_data_cut(trial_data(model, 8, 0), events=20)
    with pytest.raises(InputError, match="beyond the follow-up"):
        restricted_mean_survival_time("dfs_time", "dfs_event", "arm", data=cut, tau=1.5, timefix=False)
    _check(model, 8, 0)
    for index in np.flatnonzero(~early):  # a look after 1.5 years: defined or not as the data say
        _check(model, 8, int(index))


def test_design_keys_choose_the_tests_and_the_decision_test():
    from survtrial.simulate.design_spec import simulation_design, with_tests
    from survtrial.simulate.statistics import parse_test

    des = simulation_design({"events": [30, 60], "tests": ["logrank", "FH(0, 0.5)"], "decision_test": "fh(0,0.5)"})
    model = build_model(SMALL, des, landmarks=[])
    assert [t.label for t in model.tests] == ["logrank", "fh(0,0.5)"] and model.decision_index == 1
    recs = simulate_range(model, 4, 0, 300)
    assert recs["rejected"].equals(recs["fh_0_0.5_rejected"])
    assert np.array_equal(recs["z_2"].to_numpy(), recs["fh_0_0.5_z_2"].to_numpy(), equal_nan=True)
    # tests given elsewhere replace the design's; its decision test stays if among them
    kept = with_tests(des, ["fh(0,0.5)", "maxcombo"])
    assert kept.tests[kept.decision_index].label == "fh(0,0.5)"
    first = with_tests(des, ["cox", "maxcombo"])
    assert first.tests[first.decision_index].label == "cox"
    added = with_tests(des, None, "rmst(1y)")  # a decision test not among the tests is added first
    assert [t.label for t in added.tests] == ["rmst(1y)", "logrank", "fh(0,0.5)"] and added.decision_index == 0
    # names: case and spaces ignored, times with units, labels canonical
    assert parse_test(" MB( 9m , 2 ) ").label == "mb(0.75y,2)" and parse_test("rmst(6m)").time == 0.5
    with pytest.raises(InputError, match="repeats"):
        with_tests(des, ["fh(0,0.5)", "FH(0, .5)"])
