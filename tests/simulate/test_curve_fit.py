"""Calibration to curves: the Cox HR limit and RMST of a calibrated scenario, the solve of its free
parameters, accrual from numbers at risk, and the checks of their scenario keys.

References: the Cox limit against the independent implementation in survtrial.stats (one stratum,
Gauss-Legendre in other pieces) and against the mean Cox estimate of simulated trials (3 MC SEs);
RMST against numerical quadrature; solves as round trips from known parameter values.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy.integrate import quad

from survtrial.errors import InputError
from survtrial.simulate._curve_fit import cox_limit, follow_up_curve, restricted_mean
from survtrial.simulate._model import AccrualPattern
from survtrial.simulate.piecewise import PiecewiseHazard
from survtrial.simulate.scenario import scenario_from_dict
from survtrial.stats import _piecewise_exp as pe


def two_strata(**changes) -> dict:
    """Two strata; control exponential, the treated arm with a delayed effect (HR 1 to `delay`,
    then `late`); uniform accrual over 2 years, calendar cut at 4 years."""
    data = {
        "name": "curves",
        "arms": {"control": {"n": 300}, "treated": {"n": 300}},
        "strata": {"a": {"share": 0.6}, "b": {"share": 0.4}},
        "accrual": {"start_date": "2020-01-01", "n": 600, "duration_years": 2.0},
        "randomization": {"ratio": {"control": 1, "treated": 1}, "block_size": 4},
        "hazards": {s: {"control": {"breaks": [0.0], "rates": [rate]},
                        "treated": {"hazard_ratio": {"breaks": [0.0, 0.5], "values": [1.0, "late"]}}}
                    for s, rate in (("a", 0.15), ("b", 0.3))},
        "competing_events": {"types": {"event": {}},
                             "by_arm": {a: {"shares": {"event": 1.0}} for a in ("control", "treated")}},
        "dropout": {"rate": 0.05},
        "data_cut": {"years_from_start": 4.0},
        "parameters": {"late": {"lower": 0.1, "upper": 1.0}},
        "curve_targets": {"hazard_ratio": {"value": 0.6, "se_log": 0.1}},
    }
    for key, value in changes.items():
        node = data
        *path, last = key.split(".")
        for p in path:
            node = node[p]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def test_cox_limit_of_one_stratum_equals_the_stats_implementation():
    # survtrial.stats._piecewise_exp.cox_limit: the same score, coded independently (G from
    # knots, 64-point Gauss-Legendre); here one stratum, uniform accrual over 2 years, cut at 4
    ctl = PiecewiseHazard([0.0, 1.0], [0.2, 0.1])
    trt = PiecewiseHazard([0.0, 0.5, 1.0], [0.2, 0.08, 0.05])
    accrual = AccrualPattern.from_periods([2.0], [300.0])
    g, knots = follow_up_curve(accrual, 4.0, 0.05)
    hazards = {("s", "c"): ctl, ("s", "t"): trt}
    cure = dict.fromkeys(hazards, 0.0)
    ours = cox_limit(hazards, cure, ["s"], [1.0], "c", "t", (0.5, 0.5), g, knots, 4.0)
    breaks = np.array([0.0, 0.5, 1.0])
    censor = (np.array([0.0, 2.0, 4.0]), np.array([1.0, 1.0, 0.0]))  # G: 1 to 2 years, linear to 0 at 4
    theirs = np.exp(pe.cox_limit(breaks, ctl.hazard(breaks), trt.hazard(breaks), horizon=4.0, censoring=censor,
                                 dropout=0.05))
    assert ours == pytest.approx(theirs, rel=1e-10)
    # proportional hazards: the limit is the hazard ratio, whatever the follow-up
    ph = cox_limit({("s", "c"): ctl, ("s", "t"): ctl.scaled(0.7)}, cure | {("s", "t"): 0.0}, ["s"], [1.0], "c", "t",
                   (0.5, 0.5), g, knots, 4.0)
    assert ph == pytest.approx(0.7, rel=1e-12)


def test_cox_limit_is_the_mean_of_simulated_stratified_cox_estimates():
    # engine: stratified Cox log HR at a calendar look at the cut, 400 trials of 6000 patients;
    # the mean estimate converges to the limit (bias O(1/n), far below the MC SE here)
    from survtrial.simulate.engine import simulate_trials

    data = two_strata(**{"parameters": None, "curve_targets": None})
    for s in ("a", "b"):
        data["hazards"][s]["treated"]["hazard_ratio"]["values"] = [1.0, 0.4]
    data["arms"] = {"control": {"n": 3000}, "treated": {"n": 3000}}
    data["accrual"]["n"] = 6000
    sc = scenario_from_dict(data)
    cal = sc.calibrated
    g, knots = follow_up_curve(cal.accrual, 4.0, 0.05)
    limit = cox_limit(cal.hazards, cal.cure_fractions, cal.strata, cal.stratum_shares, "control", "treated",
                      (0.5, 0.5), g, knots, 4.0)
    res = simulate_trials(sc, {"calendar_times": [4.0], "planned_events": 2000}, 400, seed=5, landmarks=[])
    est = res.trials["log_hr"].to_numpy()
    assert abs(est.mean() - math.log(limit)) < 3 * est.std(ddof=1) / math.sqrt(est.size), (est.mean(), limit)


def test_restricted_mean_with_cure_equals_quadrature():
    h = {("a", "x"): PiecewiseHazard([0.0, 1.0], [0.3, 0.1]), ("b", "x"): PiecewiseHazard([0.0], [0.2])}
    cure = {("a", "x"): 0.25, ("b", "x"): 0.0}
    got = restricted_mean(h, cure, ["a", "b"], [0.7, 0.3], "x", 3.5)

    def s(t):
        return 0.7 * (0.25 + 0.75 * float(h["a", "x"].survival(t))) + 0.3 * float(h["b", "x"].survival(t))

    assert got == pytest.approx(quad(s, 0.0, 3.5, points=[1.0])[0], rel=1e-10)


def test_parameters_solved_from_the_cox_hr_are_recovered():
    # compute the model HR at late = 0.45, then solve late back from that HR
    fixed = scenario_from_dict(two_strata(**{"parameters": None, "curve_targets": None}) | {
        "hazards": {s: {"control": {"breaks": [0.0], "rates": [r]},
                        "treated": {"hazard_ratio": {"breaks": [0.0, 0.5], "values": [1.0, 0.45]}}}
                    for s, r in (("a", 0.15), ("b", 0.3))}})
    cal = fixed.calibrated
    g, knots = follow_up_curve(cal.accrual, 4.0, 0.05)
    hr = cox_limit(cal.hazards, cal.cure_fractions, cal.strata, cal.stratum_shares, "control", "treated",
                   (0.5, 0.5), g, knots, 4.0)
    solved = scenario_from_dict(two_strata(**{"curve_targets.hazard_ratio.value": hr})).calibrated
    assert solved.parameters["late"] == pytest.approx(0.45, rel=1e-8)
    row = solved.curve_fit.to_frame().iloc[0]
    assert row["model"] == pytest.approx(hr, rel=1e-10) and abs(row["residual"]) < 1e-8


def test_rmst_horizon_from_an_arm_mean_and_frozen_scenarios():
    data = two_strata(**{"curve_targets.rmst_difference": {"value_days": 60, "se_days": 20,
                                                           "horizon_from_mean_days": {"control": 800}}})
    sc = scenario_from_dict(data)
    cal = sc.calibrated
    tau = cal.rmst_horizon
    mean = restricted_mean(cal.hazards, cal.cure_fractions, cal.strata, cal.stratum_shares, "control", tau)
    assert mean * 365.25 == pytest.approx(800, rel=1e-10)
    # two targets, one parameter: least squares; frozen() writes the solution in and drops the solve
    frozen = sc.frozen()
    assert not frozen.parameters and frozen.curve_targets is None
    for key, h in cal.hazards.items():
        assert frozen.calibrated.hazards[key] == h


def test_targets_that_cannot_hold_together_are_named():
    data = two_strata(**{"curve_targets.hazard_ratio.value": 1.8})  # the treated arm's late HR <= 1
    with pytest.raises(InputError) as info:
        scenario_from_dict(data).calibrated  # noqa: B018
    msg = str(info.value)
    assert "scenario key 'curve_targets': the targets cannot hold together" in msg
    assert "late = 1 (at a bound)" in msg and "Cox HR treated vs control (stratified): published 1.8" in msg


@pytest.mark.parametrize(("changes", "key", "fragment"), [
    ({"parameters.extra": {"lower": 0.0, "upper": 1.0}}, "parameters.extra", "declared but used nowhere"),
    ({"parameters.late": {"lower": 1.0, "upper": 0.5}}, "parameters.late", "lower 1.0 must be below upper 0.5"),
    ({"curve_targets": None}, "parameters", "1 parameter(s) 'late' but 0 curve target(s)"),
    ({"data_cut": {"events": 100}}, "curve_targets", "need a data cut in calendar time"),
    ({"curve_targets.hazard_ratio.reference": "placebo"}, "curve_targets.hazard_ratio.reference",
     "unknown arm 'placebo'"),
    ({"curve_targets.hazard_ratio.se_log": None}, "curve_targets.hazard_ratio",
     "give exactly one of 'se_log' (standard error) or the 95% CI"),
    ({"curve_targets.hazard_ratio.ci95": [0.7, 0.9]}, "curve_targets.hazard_ratio", ""),
])
def test_bad_curve_keys_name_the_key(changes, key, fragment):
    with pytest.raises(InputError) as info:
        scenario_from_dict(two_strata(**changes))
    assert f"scenario key '{key}'" in str(info.value) and fragment in str(info.value), str(info.value)


def _at_risk_expected(periods, cut, hazard_rate, dropout, years):
    """Double programming: E[at risk at y] = sum over accrual pieces of rate x |piece before cut - y|
    x S(y) x exp(-dropout y) (one arm, exponential DFS)."""
    out = []
    for y in years:
        start, total = 0.0, 0.0
        for duration, rate in periods:
            end = start + duration
            total += rate * max(0.0, min(end, cut - y) - start)
            start = end
        out.append(total * math.exp(-(hazard_rate + dropout) * y))
    return out


def test_accrual_solved_from_expected_numbers_at_risk_recovers_the_rates():
    # a known accrual (rates 100, 300, 200 per year over 1 + 1 + 1 years), cut at 2022-12-31, one
    # stratum, exponential DFS 0.2 in both arms; its expected numbers at risk at years 0, 1, 2
    # (one piece per year before the cut) give back the rates
    periods = [(1.0, 100.0), (1.0, 300.0), (1.0, 200.0)]
    cut = (np.datetime64("2022-12-31") - np.datetime64("2020-01-01")).astype(int) / 365.25
    years = [0.0, 1.0, 2.0]
    arm = [v / 2 for v in _at_risk_expected(periods, cut, 0.2, 0.05, years)]
    data = two_strata(**{"parameters": None, "curve_targets": None, "strata": {"all": {"share": 1.0}},
                         "data_cut": {"calendar_date": "2022-12-31"}})
    data["hazards"] = {"all": {a: {"breaks": [0.0], "rates": [0.2]} for a in ("control", "treated")}}
    data["arms"] = {"control": {}, "treated": {}}
    data["accrual"] = {"start_date": "2020-01-01", "from_numbers_at_risk": {
        "years": years, "at_risk": {"control": arm, "treated": arm}}}
    cal = scenario_from_dict(data).calibrated
    # the solved pieces start at cut - 2 and cut - 1: the known pieces end at 1 and 2, so compare
    # the patients randomized by each published follow-up's enrolment limit
    fit = cal.accrual_fit
    for y in years:
        want = sum(r * max(0.0, min(a + d, cut - y) - a) for a, (d, r) in zip([0.0, 1.0, 2.0], periods, strict=True))
        assert fit.cumulative(cut - y) == pytest.approx(want, rel=1e-6), y
    assert cal.n is None and cal.accrual.expected_n == pytest.approx(sum(d * r for d, r in periods[:2]) + 200 *
                                                                      (cut - 2.0), rel=1e-6)


@pytest.mark.parametrize(("mutate", "key", "fragment"), [
    (lambda d: d["data_cut"].update({"calendar_date": None, "years_from_start": 3.0}), "data_cut",
     "give data_cut.calendar_date"),
    (lambda d: d["accrual"]["from_numbers_at_risk"]["at_risk"].pop("treated"),
     "accrual.from_numbers_at_risk.at_risk", "missing arm(s) 'treated'"),
    (lambda d: d["accrual"]["from_numbers_at_risk"]["at_risk"].update({"treated": [100, 120, 50]}),
     "accrual.from_numbers_at_risk", "must not increase"),
    (lambda d: d["accrual"].update({"duration_years": 2.0}), "accrual", "give exactly one of"),
    (lambda d: (d["accrual"]["from_numbers_at_risk"].update({"years": [0.5, 1, 2]}),
                d["accrual"]["from_numbers_at_risk"]["at_risk"].update({"treated": [320, 210, 90]})),
     "accrual.from_numbers_at_risk.at_risk.treated", "320 at risk at year 0.5 exceeds the arm's 300 patients"),
    (lambda d: (d["arms"]["control"].pop("n"), d["arms"]["treated"].pop("n"),
                d["accrual"]["from_numbers_at_risk"].update({"years": [1, 2]}),
                d["accrual"]["from_numbers_at_risk"]["at_risk"].update({"control": [400, 80], "treated": [300, 90]})),
     "accrual.from_numbers_at_risk.at_risk", "700 at risk at year 1 (all arms) exceeds the 600 patients"),
])
def test_bad_numbers_at_risk_name_the_key(mutate, key, fragment):
    data = two_strata(**{"parameters": None, "curve_targets": None, "data_cut": {"calendar_date": "2022-12-31"}})
    data["accrual"] = {"start_date": "2020-01-01", "n": 600, "from_numbers_at_risk": {
        "years": [0, 1, 2], "at_risk": {"control": [300, 200, 80], "treated": [300, 210, 90]}}}
    data = copy.deepcopy(data)
    mutate(data)
    data["data_cut"] = {k: v for k, v in data["data_cut"].items() if v is not None}
    with pytest.raises(InputError) as info:
        scenario_from_dict(data)
    assert f"scenario key '{key}" in str(info.value) and fragment in str(info.value), str(info.value)
