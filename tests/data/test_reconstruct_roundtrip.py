"""Round trip: simulate trials, read their Kaplan-Meier curves as a digitizer would, reconstruct, compare.

Trials: two arms of 700, control hazard 0.35/year; proportional hazards (HR 0.7) or a delayed effect
(HR 1 for half a year, 0.6 after); uniform accrual over 3 years, data cut at 5, dropout 0.05/year.
The figure shows 4.5 years with numbers at risk at years 0-4 (exact). Two digitizers:

* "step": a reading at every step of the curve, as Guyot et al. (2012) instruct, with reading noise
  N(0, 0.002) on survival and N(0, 0.002 year) on time, plus the curve's end;
* "coarse": a reading every 0.25 year (noise N(0, 0.002) on survival), as a hurried reader would.

Readings are cleaned (``clean=True``: sorted, running minimum) as the noise makes some increase.
50 seeds per scenario. Tolerances and where they come from are stated in each test.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from survtrial.data.reconstruct import km_at, reconstruct_ipd
from survtrial.stats.cox import cox_ph

N_SEEDS = 50
SIGMA = 0.002  # reading noise on survival (0.2 percentage point) and, for step readings, on time (years)
HORIZON = 4.5
SCENARIOS = {
    "ph": {"control": ([0.0], [0.35]), "experimental": ([0.0], [0.35 * 0.7])},
    "delayed": {"control": ([0.0], [0.35]), "experimental": ([0.0, 0.5], [0.35, 0.35 * 0.6])},
}


def piecewise_draw(rng, n, breaks, rates):
    """Inverse cumulative hazard of a piecewise-constant hazard."""
    u = rng.exponential(size=n)
    b, r = np.asarray(breaks), np.asarray(rates)
    cum = np.concatenate([[0.0], np.cumsum(r[:-1] * np.diff(b))])
    k = np.searchsorted(cum, u, side="right") - 1
    return b[k] + (u - cum[k]) / r[k]


def simulate(rng, scenario, n=700):
    t, e, a = [], [], []
    for arm, (breaks, rates) in SCENARIOS[scenario].items():
        x = piecewise_draw(rng, n, breaks, rates)
        cens = np.minimum(5.0 - rng.uniform(0, 3, n), rng.exponential(1 / 0.05, n))
        t.append(np.minimum(x, cens))
        e.append((x <= cens).astype(np.int64))
        a += [arm] * n
    return np.concatenate(t), np.concatenate(e), np.array(a)


def digitize(rng, t, e, a, kind):
    curves, risks = [], []
    for arm in ("control", "experimental"):
        tt, ee = t[a == arm], e[a == arm]
        if kind == "step":
            x = np.concatenate([[0.0], np.unique(tt[(ee == 1) & (tt <= HORIZON)]), [HORIZON]])
            xr = x + np.concatenate([[0.0], rng.normal(0, SIGMA, x.size - 2), [0.0]])
        else:
            x = xr = np.arange(0, HORIZON + 1e-9, 0.25)
        s = km_at(tt, ee, x)
        s[1:] = s[1:] + rng.normal(0, SIGMA, x.size - 1)
        curves.append(pd.DataFrame({"arm": arm, "time": np.maximum(xr, 0.0), "survival": s}))
        years = np.arange(5.0)
        risks.append(pd.DataFrame({"arm": arm, "time": years, "n_risk": [(tt >= y).sum() for y in years]}))
    return pd.concat(curves, ignore_index=True), pd.concat(risks, ignore_index=True)


def median(t, e):
    grid = np.unique(t[e == 1])
    s = km_at(t, e, grid)
    return grid[np.argmax(s <= 0.5)] if (s <= 0.5).any() else np.nan


def median_window(t, e, delta):
    """Times between which the KM of (t, e) is within delta of 0.5: [first S <= .5 + d, first S <= .5 - d]."""
    grid = np.unique(t[e == 1])
    s = km_at(t, e, grid)
    return grid[np.argmax(s <= 0.5 + delta)], grid[np.argmax(s <= 0.5 - delta)]


def run(scenario, kind):
    rows = []
    for seed in range(N_SEEDS):
        rng = np.random.default_rng([2012, seed])
        t, e, a = simulate(rng, scenario)
        curves, risk = digitize(rng, t, e, a, kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # coarse readings may leave an interval unmatched (reported)
            res = reconstruct_ipd(curves, risk, clean=True)
        truth = cox_ph(t, e, (a == "experimental").astype(float))
        rec = cox_ph(res.time, res.event, (res.arm == "experimental").astype(float))
        row = {"seed": seed, "dlog": rec.coef[0] - truth.coef[0], "se": truth.se[0]}
        for i, arm in enumerate(res.arms):
            f = res.fits[i]
            m, mr = a == arm, res.arm == arm
            # Rounding bound of the inverted KM equation (kernel Notes): |KM - reading| <= 0.5 / n, at
            # the points where the walk still had patients (n > 0; without total events the last
            # interval's censoring rate, taken from the earlier intervals, may leave none: a warning).
            live = f.point_n_risk > 0
            row[f"km_bound_{arm}"] = 0.5 / f.point_n_risk[live].min()
            row[f"km_diff_{arm}"] = np.abs(f.point_km - f.point_survival)[live].max()
            row[f"km_diff_all_{arm}"] = res.max_abs_difference[i]
            x = curves.time[curves.arm == arm].to_numpy()
            row[f"km_truth_{arm}"] = np.abs(km_at(res.time[mr], res.event[mr], x) - km_at(t[m], e[m], x)).max()
            row[f"n_min_{arm}"] = (t[m] >= HORIZON).sum()
            med_true, med_rec = median(t[m], e[m]), median(res.time[mr], res.event[mr])
            n_at_median = (t[m] >= med_true).sum()
            lo, hi = median_window(t[m], e[m], 0.5 / n_at_median + 5 * SIGMA)
            row[f"median_{arm}"] = (med_rec, med_true, lo, hi)
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def results():
    return {(s, k): run(s, k) for s in SCENARIOS for k in ("step", "coarse")}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_step_readings_hazard_ratio_unbiased(results, scenario):
    """Mean log-HR error (reconstructed - true data) over 50 seeds within 3 Monte-Carlo SEs of 0
    (MC SE = SD of the 50 errors / sqrt(50)); measured: -0.0008 +- 0.0007 (PH), +0.0004 +- 0.0006
    (delayed). And in every seed the reconstruction moves log HR by less than half the trial's own
    standard error (the criterion for 'reasonable accuracy' used here; measured max 0.20 SE)."""
    d = results[(scenario, "step")]
    mc_se = d.dlog.std(ddof=1) / np.sqrt(len(d))
    assert abs(d.dlog.mean()) <= 3 * mc_se
    assert (d.dlog.abs() <= 0.5 * d.se).all()


@pytest.mark.parametrize("kind", ["step", "coarse"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_km_reproduces_readings_and_truth(results, scenario, kind):
    """KM of the reconstructed records vs the cleaned readings: within the rounding bound 0.5 / n of the
    inverted KM equation (n the smallest number at risk the walk reached). KM vs the true data at the
    reading times: the rounding bound, plus 5 reading SDs (the noise), plus one KM step of the true
    data at the figure's end (1 / n at risk there: a reading displaced in time can sit across a step)."""
    d = results[(scenario, kind)]
    for arm in ("control", "experimental"):
        assert (d[f"km_diff_{arm}"] <= d[f"km_bound_{arm}"] + 1e-12).all()
        allowed = d[f"km_bound_{arm}"] + 5 * SIGMA + 1.0 / d[f"n_min_{arm}"]
        assert (d[f"km_truth_{arm}"] <= allowed).all()


@pytest.mark.parametrize("kind", ["step", "coarse"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_medians(results, scenario, kind):
    """The reconstructed median lies where the true KM is within delta of 0.5, delta = 0.5 / n (rounding)
    + 5 reading SDs; step readings may also sit 5 time SDs off, coarse readings up to one reading
    interval (0.25) later (events are placed at the reading after them)."""
    d = results[(scenario, kind)]
    slack = 5 * SIGMA if kind == "step" else 0.25
    for arm in ("control", "experimental"):
        for med_rec, _med_true, lo, hi in d[f"median_{arm}"]:
            assert lo - 5 * SIGMA <= med_rec <= hi + slack


def test_coarse_readings_ph_hazard_ratio(results):
    """Coarse readings under proportional hazards: mean log-HR error within 3 MC SEs of 0 (measured
    +0.0013 +- 0.0013) and every seed within half the trial's SE (measured max 0.34 SE)."""
    d = results[("ph", "coarse")]
    assert abs(d.dlog.mean()) <= 3 * d.dlog.std(ddof=1) / np.sqrt(len(d))
    assert (d.dlog.abs() <= 0.5 * d.se).all()


def test_coarse_readings_delayed_effect_within_half_se(results):
    """Coarse readings under a delayed effect: every seed within half the trial's SE (measured max 0.45)."""
    d = results[("delayed", "coarse")]
    assert (d.dlog.abs() <= 0.5 * d.se).all()


@pytest.mark.xfail(strict=True, reason=(
    "known limitation: with a reading only every 0.25 year, events are placed at the reading after "
    "them and the at-risk constraint turns some into censorings (5-8% of events lost); under a delayed "
    "effect this biases log HR by +0.0097 +- 0.0012 (HR 1% towards 1), 8 Monte-Carlo SEs. Read every step."))
def test_coarse_readings_delayed_effect_unbiased(results):
    d = results[("delayed", "coarse")]
    assert abs(d.dlog.mean()) <= 3 * d.dlog.std(ddof=1) / np.sqrt(len(d))
