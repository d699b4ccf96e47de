"""The README's section "When hazards are not proportional" says what survtrial computes.

Every number of its table and its printed sentence is recomputed here from the same trial (the packaged
delayed_effect scenario, seed 1) through the report's own formatters, and the PH test's rejection rate
over seeds 1-200.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import survtrial as st
from survtrial.cli import app
from survtrial.report._style import format_hr, format_p
from survtrial.report.display import signed

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### When hazards are not proportional")[1].split("\n### ")[0]


@pytest.fixture(scope="module")
def trial():
    return st.simulate_trial(st.load_scenario("delayed_effect"), seed=1)


@pytest.fixture(scope="module")
def analysis(trial):
    return st.analyze_table(trial, time="dfs_time", event="dfs_event", group="arm", time_unit="years",
                            endpoint_name="PFS", cut_points=["1y"], tau="5y").analysis


def _table() -> dict[str, tuple[str, str]]:
    rows = re.findall(r"^\| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", SECTION, re.M)
    return {name.strip(): (est.strip(), p.strip()) for name, est, p in rows[1:]}  # after the header


def test_the_table(analysis):
    a, nph = analysis, analysis.nph
    hr, lo, hi = a.primary.hazard_ratio
    pw, mc, m = nph.piecewise, nph.maxcombo, nph.milestone
    ci = pw.confidence_interval()
    zs = nph.maxcombo_z
    mlo, mhi = m.confidence_interval(which="difference")
    rm = a.primary.rmst.to_frame("comparisons").set_index("measure").loc["difference"]
    expected = {
        "Cox hazard ratio, one number for the whole follow-up": (format_hr(hr, lo, hi),
                                                                 f"{format_p(a.primary.logrank.p_value)} (log-rank)"),
        "test of proportional hazards (chi-square, 1 df)": (f"{nph.ph_test.statistic[-1]:.2f}",
                                                            format_p(nph.ph_p_value)),
        "hazard ratio, first year": (format_hr(pw.hazard_ratio[0], ci.low[0], ci.high[0]), format_p(pw.p_value[0])),
        "hazard ratio, after the first year": (format_hr(pw.hazard_ratio[1], ci.low[1], ci.high[1]),
                                               format_p(pw.p_value[1])),
        "log-rank, FH(0, 0) z": (f"{zs[0]:.2f}", format_p(mc.to_frame()["p_value"][0])),
        "late-effect weights, FH(0, 0.5) z": (f"{zs[1]:.2f}", format_p(mc.to_frame()["p_value"][1])),
        "MaxCombo (largest of the four z's)": (f"{mc.statistic:.2f}", format_p(mc.p_value)),
        "PFS at 3 years, difference (points)": (f"{signed(100 * m.difference, 1)} ({signed(100 * float(mlo), 1)} to "
                                                f"{signed(100 * float(mhi), 1)})", format_p(m.p_value)),
        "restricted mean PFS to 5 years, difference (years)": (
            f"{signed(rm['estimate'], 2)} ({signed(rm['lower'], 2)} to {signed(rm['upper'], 2)})",
            format_p(rm["p_value"])),
    }
    assert _table() == expected
    assert nph.cut_points == (1.0,) and math.isclose(nph.milestone_time, 3.0)
    assert "seed=1" in SECTION and "nph.ph_p_value, nph.piecewise.hazard_ratio, nph.maxcombo.p_value   # " \
        f"{nph.ph_p_value:.3f}, [{pw.hazard_ratio[0]:.2f}, {pw.hazard_ratio[1]:.2f}], {mc.p_value:.3f}" in SECTION


def test_the_printed_sentence(trial, tmp_path):
    data = tmp_path / "delayed_effect.csv"
    trial.to_csv(data, index=False)
    res = CliRunner().invoke(app, ["analyze", "--data", str(data), "--time", "dfs_time", "--event", "dfs_event",
                                   "--group", "arm", "--time-unit", "years", "--endpoint-name", "PFS",
                                   "--cut-points", "1y", "--tau", "5y", "--out", str(tmp_path / "r")],
                             env={"COLUMNS": "1000"})
    assert res.exit_code == 0, res.output
    printed = SECTION.split("```text\n")[1].split("```")[0].strip()
    assert printed in " ".join(res.output.split())
    assert "(0.81, 95% CI 0.65-1.02; log-rank P = 0.070)" in " ".join(SECTION.split())
    assert "HR experimental vs control 0.81 (95% CI 0.65-1.02)" in res.output and "P = 0.070" in res.output


def test_the_ph_tests_rejection_rate_over_200_trials():
    sc = st.load_scenario("delayed_effect")
    p = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(1, 201):
            t = st.simulate_trial(sc, seed=seed)
            a = st.analyse_trial(t, time="dfs_time", event="dfs_event", arm="arm", reference="control", landmark=3,
                                 tau=3, time_unit="years", cut_points=[1.0], maxcombo=False)
            p.append(a.nph.ph_p_value)
    rate = float(np.mean(np.array(p) < 0.05))
    se = math.sqrt(rate * (1 - rate) / 200)
    assert f"it gave P < 0.05 in {100 * rate:.0f}% of them (Monte-Carlo\nSE {100 * se:.1f}%)" in SECTION
