"""Analytic power of non-proportional-hazards designs against a simulation of the same design.

The simulator (tests/design/_nph_sim.py) is independent of survtrial: numpy draws under the same
tables, data cuts by events or calendar time, plain weighted log-rank / Kaplan-Meier statistics, the
design's bounds applied look by look (futility bounds followed). Each check uses a fixed seed and a
tolerance of 3 Monte-Carlo standard errors of the simulated proportion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _nph_sim import cut, draw, event_cut_time, km_contrast_z, wlr_z

from survtrial.design import (
    ahr_power,
    design_assumptions,
    maxcombo_power,
    milestone_power,
    rmst_power,
    weighted_logrank_power,
)

pytestmark = pytest.mark.slow

N = 300  # subjects per trial
ENROLL = [(6.0, 20.0), (6.0, 30.0)]  # (duration, rate): 120 + 180 = 300 subjects over a year
BREAKS, CONTROL, HR, DROPOUT = [0.0, 4.0], [math.log(2) / 10, math.log(2) / 10], [1.0, 0.5], 0.01
TRIALS = 3000


def tables(hr=HR):
    return design_assumptions(
        {"duration": [d for d, _ in ENROLL], "rate": [r for _, r in ENROLL]},
        {"duration": [4.0, np.inf], "fail_rate": CONTROL, "hr": list(hr), "dropout_rate": DROPOUT},
    )


def trials(seed: int, hr=HR):
    return draw(TRIALS, N, ENROLL, BREAKS, CONTROL, list(hr), DROPOUT, np.random.default_rng(seed))


def run_group_sequential(data, cuts, upper, lower, statistic) -> float:
    """Proportion of trials crossing an efficacy bound (futility bounds followed)."""
    entry, arm, ev_time, drop = data
    wins = 0
    for i in range(TRIALS):
        for k, spec in enumerate(cuts):
            cal = event_cut_time(entry[i], ev_time[i], drop[i], spec[1]) if spec[0] == "events" else spec[1]
            fu, ev, inc = cut(entry[i], ev_time[i], drop[i], cal)
            z = statistic(fu[inc], ev[inc], arm[i][inc])
            if z >= upper[k]:
                wins += 1
                break
            if z <= lower[k]:
                break
    return wins / TRIALS


def assert_within(simulated: float, analytic: float) -> None:
    se = math.sqrt(analytic * (1 - analytic) / TRIALS)
    assert abs(simulated - analytic) < 3 * se, f"simulated {simulated:.4f}, analytic {analytic:.4f}, 3 SE {3 * se:.4f}"


def test_ahr_log_rank_design_by_events():
    d = ahr_power(tables(), events=[100, 180], beta_spending="OF", beta=0.2)
    assert 0.4 < d.power < 0.9
    sim = run_group_sequential(trials(11), [("events", 100), ("events", 180)], d.upper, d.lower,
                               lambda t, e, g: wlr_z(t, e, g, [(0, 0)])[0])
    assert_within(sim, d.power)


def test_fleming_harrington_design_by_calendar_time():
    d = weighted_logrank_power(tables(), "fh(0, 0.5)", analysis_times=[15, 27], beta_spending="OF", beta=0.2)
    assert 0.4 < d.power < 0.95
    sim = run_group_sequential(trials(12), [("time", 15.0), ("time", 27.0)], d.upper, d.lower,
                               lambda t, e, g: wlr_z(t, e, g, [(0, 0.5)])[0])
    assert_within(sim, d.power)


FOUR = [(0, 0), (0, 0.5), (0.5, 0), (0.5, 0.5)]
FOUR_NAMES = ["logrank", "fh(0, 0.5)", "fh(0.5, 0)", "fh(0.5, 0.5)"]


def test_maxcombo_design_power_and_type_one_error():
    d = maxcombo_power(tables(), FOUR_NAMES, analysis_times=[15, 27], beta_spending="OF", beta=0.2)
    assert 0.4 < d.power < 0.95

    def stat(t, e, g):
        return wlr_z(t, e, g, FOUR).max()

    sim = run_group_sequential(trials(13), [("time", 15.0), ("time", 27.0)], d.upper, d.lower, stat)
    assert_within(sim, d.power)
    # under H0 (HR 1 throughout), with the futility bound ignored: the type I error is alpha
    null = run_group_sequential(trials(14, hr=[1.0, 1.0]), [("time", 15.0), ("time", 27.0)], d.upper,
                                np.full(2, -np.inf), stat)
    assert_within(null, 0.025)


@pytest.mark.parametrize(("kind", "fn", "tau"), [("rmst", rmst_power, 18.0), ("milestone", milestone_power, 15.0)])
def test_kaplan_meier_contrast_designs(kind, fn, tau):
    d = fn(tables(), tau, study_duration=27)
    assert 0.4 < d.power < 0.95
    sim = run_group_sequential(trials(15 if kind == "rmst" else 16), [("time", 27.0)], [d.bound], [-np.inf],
                               lambda t, e, g: km_contrast_z(t, e, g, kind, tau))
    assert_within(sim, d.power)
