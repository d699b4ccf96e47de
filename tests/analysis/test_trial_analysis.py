"""The trial analysis reports exactly what the statistics functions give when called directly."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from survtrial.analysis.subgroups import interaction_test, subgroup_analysis
from survtrial.analysis.trial import analyse_trial
from survtrial.stats.binomial import binomial_ci
from survtrial.stats.cox import cox_ph
from survtrial.stats.cuminc import cumulative_incidence
from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test
from survtrial.stats.rmst import restricted_mean_survival_time


@pytest.fixture(scope="module")
def analysis(trial_frame):
    return analyse_trial(trial_frame, time="time", event="event", arm="arm", reference="chemo",
                         endpoint="DFS", time_unit="years", strata=["risk_group"], event_type="event_type",
                         subgroups=["risk_group", "sex"],
                         secondary={"OS": ("os_time", "os_event")}, toxicities=["crs", "seizure"])


def test_headline_equals_direct_calls(trial_frame, analysis):
    df = trial_frame
    h = analysis.headline()
    km = kaplan_meier(df["time"], df["event"], df["arm"]).survival_at([3.0]).set_index("group")
    for arm in ("chemo", "blina"):
        assert h[f"S:all:{arm}"] == pytest.approx(100 * km.loc[arm, "survival"], rel=1e-12)
        assert h[f"SE:all:{arm}"] == pytest.approx(100 * km.loc[arm, "std_err"], rel=1e-12)
    lr = logrank_test(df["time"], df["event"], df["arm"], strata=df["risk_group"], reference="chemo")
    assert h["logrank_p"] == pytest.approx(lr.p_value, rel=1e-12)
    x = (df["arm"] == "blina").astype(float).to_numpy()
    cox = cox_ph(df["time"], df["event"], x, names=["blina"], strata=df["risk_group"])
    assert h["hr"] == pytest.approx(np.exp(cox.coef[0]), rel=1e-10)
    rm = restricted_mean_survival_time(df["time"], df["event"], df["arm"], tau=3.0, reference="chemo")
    assert h["rmst_difference"] == pytest.approx(float(rm.difference), rel=1e-12)
    codes = df["event_type"].map({"censored": 0, "death_in_remission": 1, "marrow_relapse": 2,
                                  "other_relapse": 3}).to_numpy()
    ci = cumulative_incidence(df["time"], codes, df["arm"]).at([3.0])
    row = ci[(ci["group"] == "chemo") & (ci["cause"] == 2)].iloc[0]
    assert h["CIF:marrow_relapse:chemo"] == pytest.approx(100 * row["cif"], rel=1e-12)


def test_hr_direction_is_experimental_over_reference(trial_frame, analysis):
    # blina was simulated with a lower hazard: HR < 1 and negative log-rank z
    assert analysis.experimental == "blina" and analysis.reference == "chemo"
    h = analysis.headline()
    assert h["hr"] < 1 and h["logrank_z"] < 0  # the statistics layer keeps R's sign
    assert h["z"] == -h["logrank_z"] and analysis.primary.z > 0  # survtrial's: z > 0 favours blina


def test_safety_table_uses_exact_intervals(trial_frame, analysis):
    s = analysis.safety.set_index("toxicity")
    n_b = int((trial_frame["arm"] == "blina").sum())
    x = int(trial_frame.loc[trial_frame["arm"] == "blina", "crs"].sum())
    exact = sps.binomtest(x, n_b).proportion_ci(method="exact")
    assert s.loc["crs", "n_blina"] == x
    assert s.loc["crs", "CI_blina"] == f"{100 * exact.low:.1f}-{100 * exact.high:.1f}"
    assert s.loc["crs", "%_blina"] == pytest.approx(100 * x / n_b)
    assert binomial_ci(x, n_b).lower == pytest.approx(exact.low, rel=1e-9)


def test_flow_counts(trial_frame, analysis):
    f = analysis.flow.set_index("subjects")
    for arm in ("chemo", "blina"):
        sub = trial_frame[trial_frame["arm"] == arm]
        assert f.loc["randomized", arm] == len(sub)
        assert f.loc["events", arm] == sub["event"].sum()
        assert f.loc["  marrow_relapse", arm] == (sub["event_type"] == "marrow_relapse").sum()


def test_interaction_p_against_lifelines(trial_frame, lifelines):
    df = trial_frame
    arm01 = (df["arm"] == "blina").astype(float).to_numpy()
    sex = (df["sex"] == "M").astype(float).to_numpy()
    p = interaction_test(df["time"].to_numpy(), df["event"].to_numpy(), arm01,
                         sex.astype(int))
    d = pd.DataFrame({"T": df["time"], "E": df["event"], "arm": arm01, "sex": sex, "armsex": arm01 * sex})
    fit = lifelines.CoxPHFitter().fit(d, "T", "E")  # Efron ties, as survtrial
    z = fit.params_["armsex"] / fit.standard_errors_["armsex"]
    # observed difference 2e-5, from lifelines' convergence tolerance (its Newton stops earlier)
    assert p == pytest.approx(2 * sps.norm.sf(abs(z)), rel=5e-5)


def test_subgroup_rows_and_levels(trial_frame):
    f = subgroup_analysis(trial_frame, time="time", event="event", arm="arm", reference="chemo",
                          subgroups=["sex", "age_years"], overall=(0.5, 0.4, 0.6))
    assert list(f["subgroup"]) == ["Overall", "sex", "sex", "age_years", "age_years"]
    males = trial_frame[trial_frame["sex"] == "M"]
    direct = cox_ph(males["time"], males["event"], (males["arm"] == "blina").astype(float).to_numpy())
    row = f[(f["subgroup"] == "sex") & (f["level"] == "M")].iloc[0]
    assert row["hr"] == pytest.approx(float(np.exp(direct.coef[0])), rel=1e-10)
    assert row["n"] == len(males) and row["events_blina"] == males.loc[males["arm"] == "blina", "event"].sum()
    assert f.loc[f["subgroup"] == "sex", "p_interaction"].nunique() == 1


def test_tables_are_frames(analysis):
    tables = analysis.tables()
    assert {"subject_flow", "dfs_summary", "dfs_logrank", "dfs_cox", "subgroups", "safety", "gray_tests"} <= set(tables)
    assert all(isinstance(t, pd.DataFrame) and len(t) for t in tables.values())


def test_numeric_arm_codes_are_labels(trial_frame):
    """Arms coded 1/2 (as R's ovarian$rx) analyse as the labels "1"/"2": the same numbers as named
    arms, and every table and the report (whose RMST rows once looked up a string in an integer
    index) build."""
    from survtrial.report.trial_report import trial_report

    named = analyse_trial(trial_frame, time="time", event="event", arm="arm", reference="chemo",
                          time_unit="years", strata=["risk_group"])
    coded = trial_frame.assign(arm=trial_frame["arm"].map({"chemo": 1, "blina": 2}))
    num = analyse_trial(coded, time="time", event="event", arm="arm", reference="1", time_unit="years",
                        strata=["risk_group"])
    assert (num.primary.reference, num.primary.experimental) == ("1", "2")
    h, g = named.headline(), num.headline()
    assert g["hr"] == pytest.approx(h["hr"], rel=1e-12)
    assert g["rmst_difference"] == pytest.approx(h["rmst_difference"], rel=1e-12)
    assert g["S:all:1"] == pytest.approx(h["S:all:chemo"], rel=1e-12)
    html = trial_report(num, title="coded arms").render()
    assert "Restricted mean, 1" in html and "Restricted mean, 2" in html
