"""Tables as read: each unit's format, percents within 0-100, human labels, the CSV keeping the raw frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survtrial.report.display import MACHINE_NAME, humanize, percent_ci, safety_table, signed
from survtrial.report.html import Report
from survtrial.report.twin_tables import (
    accrual_table,
    at_risk_fit_table,
    calibrated_hazards_table,
    curve_targets_table,
    published_vs_twin_table,
    replicates_table,
)


def test_labels_and_numbers():
    assert humanize("death_in_remission") == "Death in remission"
    assert humanize("non_hispanic_black") == "Non hispanic black" and humanize("RISKGRP") == "RISKGRP"
    assert MACHINE_NAME.search("o_minus_e_sq_over_v") and MACHINE_NAME.search("arm[T.blina]")
    assert MACHINE_NAME.search("dfs3_avg_chemo") and not MACHINE_NAME.search("3-year DFS SR-Avg, chemotherapy (%)")
    assert percent_ci(96.636, 100.164) == "96.6\u2013100.0" and percent_ci(-0.2, 0.5) == "0.0\u20130.5"
    assert percent_ci(np.nan, 3.0) == "NA"
    assert [signed(v, 1) for v in (2.25, -2.25, -0.04, 0.0)] == ["+2.2", "\u22122.2", "0.0", "0.0"]


COMPARISON = pd.DataFrame({
    "key": ["os3_blina", "hr", "rmst_days", "median_follow_up", "risk1_obs"],
    "headline": ["3-year OS, blinatumomab (%)", "DFS hazard ratio", "Restricted mean DFS difference (days)",
                 "Median follow-up (years)", "At risk at 1 year, observation"],
    "unit": ["%", "ratio", "days", "years", "patients"],
    "published": [98.4, 0.39, 72.0, 2.5, 291.0],
    "published_se": [0.9, np.nan, np.nan, np.nan, np.nan],
    "published_lower": [98.4 - 1.96 * 0.9, 0.24, 36.0, np.nan, np.nan],
    "published_upper": [98.4 + 1.96 * 0.9, 0.64, 108.0, np.nan, np.nan],
    "twin": [98.51, 0.2712, 79.7, 2.4812, 296.0],
})


def test_one_twin_each_headline_in_its_unit():
    t = published_vs_twin_table(COMPARISON.assign(difference=COMPARISON["twin"] - COMPARISON["published"]))
    assert t["Published (95% CI)"].tolist() == ["98.4 (96.6\u2013100.0)", "0.39 (0.24\u20130.64)", "72 (36\u2013108)",
                                                "2.50", "291"]
    assert t["Twin"].tolist() == ["98.5", "0.27", "80", "2.48", "296"]
    assert t["Twin \u2212 published"].tolist() == ["+0.1", "\u22120.12", "+8", "\u22120.02", "+5"]
    assert not any(MACHINE_NAME.search(c) for c in t.columns)


def test_replicates_table_reads_the_tables_interval():
    rep = COMPARISON.drop(columns="twin").assign(
        twin_mean=[98.42, 0.3912, 76.64, 2.50, 290.2], twin_sd=[0.6, 0.0812, 15.26, 0.07, 5.1],
        **{"twin_2.5%": [97.15, 0.17, 47.38, 2.36, 280.0], "twin_97.5%": [99.47, 0.47, 107.87, 2.63, 300.0],
           "published_inside_95%": [True, True, True, True, False]})
    t = replicates_table(rep, 0.95)
    assert t["Twins: central 95%"].tolist() == ["97.2\u201399.5", "0.17\u20130.47", "47\u2013108", "2.36\u20132.63",
                                               "280\u2013300"]
    assert t["Twins: mean (SD)"].tolist() == ["98.4 (0.6)", "0.391 (0.081)", "77 (15)", "2.50 (0.07)", "290.2 (5.1)"]
    assert t["Published inside"].tolist() == ["yes", "yes", "yes", "yes", "NO"]


def test_scenario_tables():
    hz = calibrated_hazards_table(pd.DataFrame({"stratum": ["SR-Avg"], "arm": ["chemo"], "S(3y) %": [90.2],
                                                "hazard [0, 1)": [0.0344], "hazard [3, inf)": [0.0086]}))
    assert list(hz.columns) == ["Stratum", "Arm", "Survival at 3 years, %", "Years 0\u20131", "After 3 years"]
    assert hz.iloc[0].tolist() == ["SR-Avg", "chemo", "90.2", "0.0344", "0.0086"]
    ct = curve_targets_table(pd.DataFrame({
        "target": ["Cox HR blina vs chemo (stratified)", "DFS at 3 years, blina SR-Avg", "RMST difference"],
        "published": [0.39, 0.975, 72.0], "se": [0.2502, 0.013, 18.37], "scale": ["log", "proportion", "days"],
        "model": [0.3863, 0.97309, 77.75], "residual": [-0.038, -0.1469, 0.3128]}))
    assert ct["Published"].tolist() == ["0.39", "97.5%", "72 days"]
    assert ct["Calibrated model"].tolist() == ["0.39", "97.3%", "78 days"]
    assert ct["Residual, SEs"].tolist() == ["\u22120.04", "\u22120.15", "+0.31"]
    ac = accrual_table(pd.DataFrame({"start": ["2019-06-28"], "end": ["2020-06-30"], "start_years": [0.0],
                                     "end_years": [1.0075], "rate_per_year": [106.6009], "patients": [107.4035]}))
    assert ac.iloc[0].tolist() == ["2019-06-28", "2020-06-30", "0.00\u20131.01", "106.6", "107.4"]
    ar = at_risk_fit_table(pd.DataFrame({"arm": ["chemo"], "year": [1.0], "published": [627.0], "fitted": [626.736],
                                         "difference": [-0.264], "relative_difference": [-0.00042]}))
    assert ar.iloc[0].tolist() == ["chemo", "1", "627", "626.7", "\u22120.3", "0.0"]


def test_safety_table_from_the_analysis_frame():
    from survtrial.analysis.safety import incidence_table
    from survtrial.stats.binomial import binomial_ci

    counts = pd.DataFrame({"chemo": [0, 208], "blina": [1, 296]}, index=pd.Index(["CRS", "fever_any"], name="event"))
    frame = incidence_table(counts, {"chemo": 722, "blina": 718}, "chemo", "blina").reset_index()
    t = safety_table(frame, "chemo", "blina")
    exact = binomial_ci(np.array([1]), np.array([718]), method="clopper-pearson")
    lo, hi = 100 * float(np.atleast_1d(exact.lower)[0]), 100 * float(np.atleast_1d(exact.upper)[0])
    assert t["Event"].tolist() == ["CRS", "Fever any"]
    assert t["blina: n (%; 95% CI)"].iloc[0] == f"1 (0.1; {lo:.1f}\u2013{hi:.1f})"
    assert t["chemo: n (%; 95% CI)"].iloc[0] == "0 (0.0; 0.0\u20130.5)"  # 0/722: upper 1 - 0.025^(1/722)
    assert pytest.approx(100 * (1 - 0.025 ** (1 / 722)), abs=0.05) == 0.5


def test_shown_table_and_its_csv(tmp_path):
    raw = pd.DataFrame({"o_minus_e": [19.689188], "p_value": [1.06e-05]})
    shown = pd.DataFrame({"O \u2212 E": ["19.7"], "P": ["<0.001"]})
    files = Report("T", provenance={}).add_section("S").add_table(shown, "c", csv_name="lr", data=raw).write(
        tmp_path / "out")
    html = files.html.read_text()
    assert "<th scope=\"col\" class=\"num\">O \u2212 E</th>" in html and "o_minus_e" not in html
    back = pd.read_csv(tmp_path / "out" / "tables" / "lr.csv")
    assert back["o_minus_e"].iloc[0] == 19.689188 and back["p_value"].iloc[0] == 1.06e-05
