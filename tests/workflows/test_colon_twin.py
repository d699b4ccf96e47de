"""The colon cancer adjuvant trial twin (Moertel et al. 1990, 1995), built from figure-level data only:
its patient-data copy is R's, its digitized figures come from that data as the script says, its scenario
is what the build step computes from the figures, and its headlines match the real patient data within
the twin's own replicate spread."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import warnings
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from survtrial.errors import StatisticWarning
from survtrial.simulate.scenario import load_scenario
from survtrial.stats.cox import cox_ph
from survtrial.stats.km import kaplan_meier
from survtrial.workflows.twin import run_replicates
from survtrial.workflows.twin_spec import load_twin

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "colon_twin"


@pytest.fixture(scope="module")
def ct():
    """The example module that digitizes, builds and compares (examples/colon_twin/colon_twin.py)."""
    spec = importlib.util.spec_from_file_location("colon_twin", EXAMPLE / "colon_twin.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["colon_twin"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def real(ct):
    return ct.real_patients()


@pytest.fixture(scope="module")
def built(ct):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticWarning)  # coarse readings: a few intervals unmatched
        return ct.build(ct.read_digitized())


def test_patient_data_is_r_survival_colon():
    """The shipped copy is R survival 3.5-3's `colon` (929 patients, one row each): digest as exported by
    examples/colon_twin/export_colon.R, and R's own estimates on it."""
    path = EXAMPLE / "colon_patients.csv"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == (
        "1276b8d4ce33be5e9a42d39616eac17ae880ada18118cce07778350de5e3693e")
    raw = pd.read_csv(path)
    assert len(raw) == 929 and raw["rx"].value_counts().to_dict() == {"Obs": 315, "Lev": 310, "Lev+5FU": 304}


def test_real_data_reproduce_r(real):
    """R 4.2.2, survival 3.5-3, on colon[colon$rx != "Lev", ], etype 1 (recurrence) and 2 (death):
    summary(survfit(Surv(time/365.25, status) ~ rx), times = 1:5) and coxph(Surv(time, status) ~ rx):
      recurrence  Obs 0.7206 0.5760 0.5105 0.4739 0.4504; Lev+5FU 0.8410 0.7003 0.6564 0.6361 0.6152
                  coef -0.5126 (se 0.1187)
      death       Obs 0.9238 0.7615 0.6532 0.5639 0.5257; Lev+5FU 0.9178 0.8026 0.7434 0.6808 0.6340
                  coef -0.3728 (se 0.1188)
    """
    r_values = {
        ("dfs", "obs"): [0.7206, 0.5760, 0.5105, 0.4739, 0.4504],
        ("dfs", "lev5fu"): [0.8410, 0.7003, 0.6564, 0.6361, 0.6152],
        ("os", "obs"): [0.9238, 0.7615, 0.6532, 0.5639, 0.5257],
        ("os", "lev5fu"): [0.9178, 0.8026, 0.7434, 0.6808, 0.6340],
    }
    for (ep, arm), expect in r_values.items():
        sub = real[real["arm"] == arm]
        km = kaplan_meier(sub[f"{ep}_time"], sub[f"{ep}_event"]).survival_at([1, 2, 3, 4, 5])
        assert km["survival"].round(4).tolist() == expect, (ep, arm)
    x = (real["arm"] == "lev5fu").astype(float).to_numpy()
    for ep, coef, se in (("dfs", -0.5126, 0.1187), ("os", -0.3728, 0.1188)):
        fit = cox_ph(real[f"{ep}_time"].to_numpy(), real[f"{ep}_event"].to_numpy(), x)
        assert (round(float(fit.coef[0]), 4), round(float(np.sqrt(fit.var[0, 0])), 4)) == (coef, se), ep


def test_digitized_figures_are_the_readings_described(ct, real):
    """The shipped readings are what `colon_twin.py digitize` takes from the patient data: monthly, to 0.5
    points, and numbers at risk at whole years (so nobody needs R or the patient data to rebuild the twin)."""
    fresh = ct.digitize(real)
    for name, frame in fresh.items():
        shipped = pd.read_csv(EXAMPLE / f"{name}.csv")
        pd.testing.assert_frame_equal(shipped, frame, check_dtype=False, obj=name)
    curve = fresh["recurrence_curve"]
    assert (curve["time"].diff().dropna().isin([1, -102])).all()
    assert np.allclose(curve["survival"] * 2, np.round(curve["survival"] * 2))  # 0.5-point readings


def test_scenario_numbers_are_derived_from_the_figures(built):
    """Every `derived:` number of the packaged scenario is what the build step computes, as rounded there."""
    text = (files("survtrial") / "scenarios" / "colon.yaml").read_text(encoding="utf-8")
    sc = yaml.safe_load(text)
    fit = built["recurrence_fit"]
    for arm in ("obs", "lev5fu"):
        spec = sc["hazards"]["all"][arm]
        assert spec["breaks"] == fit.breaks.tolist()
        assert spec["rates"] == np.round(fit.hazards(arm), 4).tolist(), arm
        assert sc["post_relapse_death"]["os_targets"][arm] == {5.0: built["os5"][arm]}
    assert sc["dropout"]["rate"] == round(built["dropout"], 4)
    acc = built["accrual"]
    used = acc.rate > 0
    last = np.flatnonzero(used)[-1] + 1
    assert [p["duration_years"] for p in sc["accrual"]["periods"]] == np.round(
        acc.piece_end[:last] - acc.piece_start[:last], 4).tolist()
    assert [p["rate"] for p in sc["accrual"]["periods"]] == np.round(acc.rate[:last], 2).tolist()
    assert not used[last:].any()  # nobody accrued in the years cut off
    assert sc["data_cut"]["years_from_start"] == round(acc.cut, 4)
    assert sc["accrual"]["n"] == sc["arms"]["obs"]["n"] + sc["arms"]["lev5fu"]["n"] == acc.total
    derived = [line for line in text.splitlines() if "# derived:" in line]
    assert len(derived) == 8  # n, periods, two rate lists, two OS targets, dropout, cut: all checked above


def test_reconstruction_fit(built):
    """Guyot reconstruction of the monthly readings: KM within 0.8 points of every reading; events close to
    the real counts (recurrences 177 / 119, deaths 168 / 123 in R's data), a few lost to the coarse grid."""
    for name, real_events in (("recurrence", {"obs": 177, "lev5fu": 119}), ("survival", {"obs": 168, "lev5fu": 123})):
        summary = built[name].summary().set_index("arm")
        assert (summary["max_abs_difference"] <= 0.008).all(), name
        for arm, n in real_events.items():
            assert 0.95 * n <= summary.loc[arm, "events"] <= n, (name, arm)


def test_published_values_are_the_figure_readings(ct):
    """Each digitized value of the twin is the shipped reading it names; the others are the abstract's."""
    tw = load_twin("colon")
    d = {n: pd.read_csv(EXAMPLE / f"{n}.csv") for n in ("recurrence_curve", "survival_curve", "survival_at_risk")}
    figure = {"TTR": d["recurrence_curve"], "OS": d["survival_curve"]}
    for key, h in tw.headlines.items():
        p = h.published
        assert p.source.startswith(("digitized:", "published:")), key
        if h.kind == "survival":
            c = figure[h.endpoint]
            assert p.value == c[(c["arm"] == h.arm) & (c["time"] == 12 * h.at)]["survival"].item(), key
        elif h.kind == "at_risk":
            r = d["survival_at_risk"]
            assert p.value == r[(r["arm"] == h.arm) & (r["time"] == 12 * h.at)]["n_risk"].item(), key
        elif h.kind == "median_survival":
            c = figure[h.endpoint]
            month = c[(c["arm"] == h.arm) & (c["survival"] <= 50)]["time"].iloc[0]
            assert p.value == round(month / 12, 4) and f"({month} months)" in p.source, key
        else:
            assert p.source.startswith("published:"), key
    for key, reduction in (("hr_recurrence", 40), ("hr_death", 33)):  # "reduced ... by 40%": HR 0.60
        p = tw.headlines[key].published
        assert f"by {reduction}%" in p.source and p.value == pytest.approx(1 - reduction / 100, abs=1e-12), key


@pytest.mark.slow
def test_twin_from_the_figures_matches_the_real_data(ct):
    """The real patient data's headlines (KM at years 1-5, HRs, medians, numbers at risk, follow-up) lie in
    the central 95% of 200 twins built from the figures; the HRs within a third of the twins' SD."""
    reps = run_replicates("colon", replicates=200, seed=2024, workers=2)
    real = ct.real_headlines()
    tw = load_twin("colon")
    for key in tw.headlines:
        lo, hi = np.quantile(reps[key].dropna(), [0.025, 0.975])
        assert lo <= real[key] <= hi, f"{key}: real {real[key]:.4g} outside the twins' [{lo:.4g}, {hi:.4g}]"
    for key in ("hr_recurrence", "hr_death"):
        # MC SE of the mean is SD / sqrt(200) = 0.07 SD: a third of an SD is far beyond it
        assert abs(reps[key].mean() - real[key]) <= reps[key].std() / 3, key


def test_scenario_and_twin_load():
    sc = load_scenario("colon")
    assert sc.arm_names == ["obs", "lev5fu"] and sc.calibrated.cut_years == pytest.approx(9.2512)
    assert load_twin("colon").scenario_source == "colon"
