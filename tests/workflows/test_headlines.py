"""Every headline kind against a second computation: plain loops over the patient records, or the
statistics functions called directly on the frame (not through the trial analysis)."""

from __future__ import annotations

import copy
from importlib.resources import files

import numpy as np
import pytest
import yaml

from survtrial.simulate.trial import simulate_trial
from survtrial.stats.cox import cox_ph
from survtrial.stats.cuminc import cumulative_incidence
from survtrial.stats.km import kaplan_meier
from survtrial.stats.rmst import restricted_mean_survival_time
from survtrial.workflows.twin import analyse_twin, twin_headlines
from survtrial.workflows.twin_spec import load_twin, twin_from_dict

EXTRA = {
    "os_hr": {"label": "OS hazard ratio", "kind": "hazard_ratio", "endpoint": "OS"},
    "rmst3_months": {"label": "RMST difference to 3 years (months)", "kind": "rmst_difference", "tau": 3.0,
                     "unit": "months"},
    "os_rmst_years": {"label": "OS RMST difference to 3.5 years", "kind": "rmst_difference", "endpoint": "OS",
                      "tau": 3.5, "unit": "years"},
    "risk2_chemo": {"label": "At risk at 2 years, chemotherapy", "kind": "at_risk", "arm": "chemo", "at": 2.0},
    "os_risk1_blina": {"label": "OS at risk at 1 year, blinatumomab", "kind": "at_risk", "endpoint": "OS",
                       "arm": "blina", "at": 1.0},
    "dfs1_blina": {"label": "1-year DFS, blinatumomab", "kind": "survival", "arm": "blina", "at": 1.0},
    "os2_high_chemo": {"label": "2-year OS SR-High, chemotherapy", "kind": "survival", "endpoint": "OS",
                       "arm": "chemo", "stratum": "SR-High", "at": 2.0},
    "median_dfs_chemo": {"label": "Median DFS, chemotherapy", "kind": "median_survival", "arm": "chemo"},
    "os_follow_up": {"label": "Median follow-up for OS", "kind": "median_follow_up", "endpoint": "OS"},
    "nonrelapse2_chemo": {"label": "2-year non-relapse events, chemotherapy", "kind": "cumulative_incidence",
                          "causes": ["death_in_remission", "second_malignancy"], "arm": "chemo", "at": 2.0},
    "fever_chemo": {"label": "Fever, chemotherapy", "kind": "toxicity_rate", "column": "tox_fever", "arm": "chemo"},
}


@pytest.fixture(scope="module")
def case():
    data = yaml.safe_load((files("survtrial") / "twins" / "aall1731.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    for key, h in EXTRA.items():
        data["headlines"][key] = {**h, "published": {"value": 1.0, "source": "test"}}
    twin = twin_from_dict(data)
    frame = simulate_trial("aall1731", 2718)
    values = twin_headlines(analyse_twin(frame, twin, detailed=False), frame, twin)
    detailed = twin_headlines(analyse_twin(frame, twin, detailed=True), frame, twin)
    return frame, values, detailed, twin


def _km_loop(t, e, at):
    """Kaplan-Meier S(at) by a loop over the distinct event times."""
    s = 1.0
    for u in np.unique(t[(e == 1) & (t <= at)]):
        s *= 1 - np.sum((t == u) & (e == 1)) / np.sum(t >= u)
    return s


def _arm(frame, arm, col):
    return frame.loc[frame["arm"] == arm, col].to_numpy()


def test_fast_and_detailed_paths_agree(case):
    _, fast, detailed, _ = case
    assert fast.keys() == detailed.keys()
    for k in fast:
        assert fast[k] == pytest.approx(detailed[k], rel=1e-12, nan_ok=True), k


def test_direct_path_gives_the_analysis_numbers(case):
    """Replicates' direct path (no analysis: each number from its statistics call on arrays) against
    the detailed analysis, every headline kind of the extended twin, exactly."""
    frame, _, detailed, twin = case
    direct = twin_headlines(None, frame, twin)
    assert direct.keys() == detailed.keys()
    for k in direct:
        assert direct[k] == pytest.approx(detailed[k], rel=1e-12, abs=1e-12, nan_ok=True), k


def test_survival_and_at_risk_by_loops(case):
    f, v, _, _ = case
    for key, arm, at, time, event, sub in [
        ("dfs3_chemo", "chemo", 3.0, "dfs_time", "dfs_event", None),
        ("dfs1_blina", "blina", 1.0, "dfs_time", "dfs_event", None),
        ("dfs3_high_blina", "blina", 3.0, "dfs_time", "dfs_event", "SR-High"),
        ("dfs3_avg_chemo", "chemo", 3.0, "dfs_time", "dfs_event", "SR-Avg"),
        ("os3_chemo", "chemo", 3.0, "os_time", "os_event", None),
        ("os2_high_chemo", "chemo", 2.0, "os_time", "os_event", "SR-High"),
    ]:
        g = f if sub is None else f[f["risk_group"] == sub]
        expect = 100 * _km_loop(_arm(g, arm, time), _arm(g, arm, event), at)
        assert v[key] == pytest.approx(expect, rel=1e-12), key
    assert v["risk2_chemo"] == np.sum(_arm(f, "chemo", "dfs_time") >= 2.0)
    assert v["os_risk1_blina"] == np.sum(_arm(f, "blina", "os_time") >= 1.0)


def test_hazard_ratios_and_rmst_direct(case):
    f, v, _, _ = case
    x = (f["arm"] == "blina").astype(float).to_numpy()
    for key, time, event in [("hr", "dfs_time", "dfs_event"), ("os_hr", "os_time", "os_event")]:
        cox = cox_ph(f[time].to_numpy(), f[event].to_numpy(), x, strata=f["risk_group"])
        assert v[key] == pytest.approx(float(np.exp(cox.coef[0])), rel=1e-10), key
        lo, hi = np.exp(cox.coef[0] + np.array([-1, 1]) * 1.959963984540054 * np.sqrt(cox.var[0, 0]))
        assert (v[f"{key}_lower"], v[f"{key}_upper"]) == pytest.approx((lo, hi), rel=1e-9), key
    horizon = load_twin("aall1731").analysis.rmst.years  # the packaged twin's analysis horizon
    for key, time, event, tau, per_year in [("rmst_days", "dfs_time", "dfs_event", horizon, 365.25),
                                            ("rmst3_months", "dfs_time", "dfs_event", 3.0, 12.0),
                                            ("os_rmst_years", "os_time", "os_event", 3.5, 1.0)]:
        rm = restricted_mean_survival_time(f[time], f[event], f["arm"], tau=tau, reference="chemo")
        assert v[key] == pytest.approx(float(rm.difference) * per_year, rel=1e-12), key


def test_cumulative_incidence_toxicity_medians(case):
    f, v, _, _ = case
    types = f["dfs_event_type"].astype(str)
    causes = sorted(set(types) - {"censored"})
    codes = np.zeros(len(f), dtype=int)
    for k, c in enumerate(causes, start=1):
        codes[(types == c).to_numpy()] = k
    ci = cumulative_incidence(f["dfs_time"], codes, f["arm"]).at([2.0, 3.0])

    def cif(arm, cause, at):
        row = ci[(ci["group"] == arm) & (ci["cause"] == causes.index(cause) + 1) & (ci["time"] == at)]
        return 100 * float(row["cif"].iloc[0])

    assert v["marrow3_chemo"] == pytest.approx(cif("chemo", "marrow_relapse", 3.0), rel=1e-12)
    assert v["relapse3_blina"] == pytest.approx(cif("blina", "marrow_relapse", 3.0)
                                                + cif("blina", "other_relapse", 3.0), rel=1e-12)
    assert v["nonrelapse2_chemo"] == pytest.approx(cif("chemo", "death_in_remission", 2.0)
                                                   + cif("chemo", "second_malignancy", 2.0), rel=1e-12)
    assert v["fever_chemo"] == pytest.approx(100 * _arm(f, "chemo", "tox_fever").mean(), rel=1e-12)
    assert v["seizure_blina"] == pytest.approx(100 * _arm(f, "blina", "tox_seizure").mean(), rel=1e-12)
    rev = kaplan_meier(f["os_time"], 1 - f["os_event"]).median()["estimate"].iloc[0]
    assert v["os_follow_up"] == rev
    # median DFS is not reached in a trial whose DFS stays near 90%
    assert np.isnan(v["median_dfs_chemo"])


def test_median_survival_when_reached():
    """On the Freireich 6-MP data (Gehan) the headline gives R survfit's medians: 6-MP 23, placebo 8."""
    import pandas as pd

    gehan = pd.read_csv(files("survtrial") / "data" / "gehan.csv").rename(columns={"group": "arm"})
    twin = twin_from_dict({
        "name": "gehan", "title": "t", "publication": "Freireich 1963", "scenario": "none",
        "arms": {"control": "placebo", "experimental": "6-MP"},
        "endpoints": {"remission": {"time": "time", "event": "event"}}, "primary_endpoint": "remission",
        "analysis": {"landmark": 10},
        "headlines": {f"median_{a}": {"label": a, "kind": "median_survival", "arm": a,
                                      "published": {"value": m, "source": "R survfit"}}
                      for a, m in (("6-MP", 23), ("placebo", 8))},
    })
    v = twin_headlines(analyse_twin(gehan, twin), gehan, twin)
    assert (v["median_6-MP"], v["median_placebo"]) == (23.0, 8.0)


def _before_the_refactor(frame):
    """The AALL1731 headlines as workflows/twin.py computed them when they were code (commit 4170cf8):
    the trial analysis with the hard-coded settings, its headline() keys, the toxicity and follow-up
    formulas. Kept here as the reference the data-driven twin must reproduce exactly (the RMST
    horizon, then 4 years, is now the twin's, solved by the scenario)."""
    from survtrial.analysis.trial import analyse_trial

    frame = frame.assign(age_group=np.where(frame["age_years"] < 5, "1-4 years", "5-9 years"))
    a = analyse_trial(frame, time="dfs_time", event="dfs_event", arm="arm", reference="chemo",
                      strata=["risk_group"], event_type="dfs_event_type", landmark=3.0,
                      tau=load_twin("aall1731").analysis.rmst.years, endpoint="DFS",
                      secondary={"OS": ("os_time", "os_event")}, detailed=False)
    h = a.headline()
    out = {"dfs3_chemo": h["S:all:chemo"], "dfs3_blina": h["S:all:blina"], "hr": h["hr"],
           "hr_lower": h["hr_lower"], "hr_upper": h["hr_upper"],
           "dfs3_avg_chemo": h["S:SR-Avg:chemo"], "dfs3_avg_blina": h["S:SR-Avg:blina"],
           "dfs3_high_chemo": h["S:SR-High:chemo"], "dfs3_high_blina": h["S:SR-High:blina"],
           "os3_chemo": h["OS:S:chemo"], "os3_blina": h["OS:S:blina"], "rmst_days": h["rmst_difference"] * 365.25,
           "logrank_p": h["logrank_p"], "logrank_z": h["logrank_z"]}
    for arm in ("chemo", "blina"):
        out[f"marrow3_{arm}"] = h.get(f"CIF:marrow_relapse:{arm}", 0.0)
        out[f"relapse3_{arm}"] = out[f"marrow3_{arm}"] + h.get(f"CIF:other_relapse:{arm}", 0.0)
        out[f"se_dfs3_{arm}"] = h[f"SE:all:{arm}"]
    blina = frame[frame["arm"] == "blina"]
    out["crs_blina"] = 100 * float(blina["tox_crs_grade3plus"].mean())
    out["seizure_blina"] = 100 * float(blina["tox_seizure"].mean())
    reverse = kaplan_meier(frame["dfs_time"], 1 - frame["dfs_event"])
    out["median_follow_up"] = float(reverse.median()["estimate"].iloc[0])
    out["events"] = float(frame["dfs_event"].sum())
    return out


@pytest.mark.parametrize("seed", [1, 1731, 2024])
def test_aall1731_twin_gives_the_numbers_of_the_hard_coded_twin(seed):
    """Same simulated trial, same numbers, bit for bit: the twin YAML says what the code used to."""
    from survtrial.workflows.twin_spec import load_twin

    twin = load_twin("aall1731")
    frame = simulate_trial("aall1731", seed)
    new = twin_headlines(analyse_twin(frame, twin, detailed=False), frame, twin)
    old = _before_the_refactor(frame)
    for key, value in old.items():
        assert new[key] == value or (np.isnan(new[key]) and np.isnan(value)), key


def test_aall1731_interim_plan_is_the_scenarios():
    """The twin's interim plan (the paper's) states what the scenario's interim_analyses block states
    (the interim decision reads the twin's; the scenario's is kept for the engine's users)."""
    from survtrial.simulate.scenario import load_scenario
    from survtrial.workflows.twin_spec import load_twin

    plan, sc_plan = load_twin("aall1731").interim_analysis, load_scenario("aall1731").interim_analyses
    assert plan is not None
    for key in ("planned_events", "information_fractions", "spending", "spending_parameter", "alpha_one_sided"):
        assert getattr(plan, key) == getattr(sc_plan, key), key
