"""`survtrial analyze`: ADaM round trip, CNSR semantics, validation exits, escaping in the browser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.data.export import to_adam, write_adam
from survtrial.report.browser import find_chromium, render_html
from survtrial.simulate.trial import simulate_trial
from survtrial.workflows.analyze import analyze_adam, analyze_table
from survtrial.workflows.twin import analyse_twin
from survtrial.workflows.twin_spec import load_twin

TOX = {"tox_crs_grade3plus": ("Cytokine release syndrome", "Immune system disorders", 3),
       "tox_fever": ("Fever", "General disorders", 2)}


@pytest.fixture(scope="module")
def twin():
    return simulate_trial("aall1731", 99)


@pytest.fixture(scope="module")
def adam_dir(twin, tmp_path_factory):
    frames = to_adam(twin, subject="patient_id", arm="arm", study="SIM",
                     endpoints={"DFS": ("dfs_time", "dfs_event", "dfs_event_type"),
                                "OS": ("os_time", "os_event", None)},
                     variables={"risk_group": "RISKGRP", "sex": "SEX"}, toxicities=TOX)
    return write_adam(frames, tmp_path_factory.mktemp("adam") / "adam", formats=("csv", "xpt"))


@pytest.mark.parametrize("fmt", ["csv", "xpt"])
def test_round_trip_reproduces_direct_analysis(twin, adam_dir, fmt):
    tw = load_twin("aall1731")
    direct = analyse_twin(twin, tw, detailed=False).headline()
    res = analyze_adam(adam_dir / f"adsl.{fmt}", adam_dir / f"adtte.{fmt}", adam_dir / f"adae.{fmt}",
                       paramcd="DFS", strata=["RISKGRP"], reference="chemo", tau=f"{tw.analysis.rmst.years:g}y")
    via = res.analysis.headline()
    for key in ("S:all:chemo", "S:all:blina", "SE:all:blina", "hr", "hr_lower", "hr_upper", "logrank_p",
                "CIF:marrow_relapse:chemo", "S:SR-High:blina", "z"):
        assert via[key] == pytest.approx(direct[key], rel=1e-9, abs=1e-12), key
    # AVAL is in days (AVALU) and stays in days: the RMST difference too
    assert res.analysis.time_unit == "days" and res.time_unit_source == "AVALU and PARAM 'DFS (days)'"
    assert via["rmst_difference"] == pytest.approx(direct["rmst_difference"] * 365.25, rel=1e-9)
    flow = res.analysis.flow.set_index("subjects")
    assert flow.loc["randomized", "chemo"] == (twin["arm"] == "chemo").sum()


def test_inverting_cnsr_changes_the_answer(adam_dir, tmp_path):
    """CNSR = 0 is an event: reading it the other way round would give a very different analysis."""
    tte = pd.read_csv(adam_dir / "adtte.csv")
    good = analyze_adam(adam_dir / "adsl.csv", adam_dir / "adtte.csv", paramcd="DFS", reference="chemo")
    tte["CNSR"] = 1 - tte["CNSR"]
    tte.to_csv(tmp_path / "adtte_flipped.csv", index=False)
    flipped = analyze_adam(adam_dir / "adsl.csv", tmp_path / "adtte_flipped.csv", paramcd="DFS", reference="chemo")
    n_events = int((pd.read_csv(adam_dir / "adtte.csv").query("PARAMCD == 'DFS'")["CNSR"] == 0).sum())
    assert int(good.analysis.primary.events.sum()) == n_events
    assert int(flipped.analysis.primary.events.sum()) == 1440 - n_events


def test_plain_table_path(twin, tmp_path):
    path = tmp_path / "trial.parquet"
    twin.to_parquet(path)
    res = analyze_table(path, time="dfs_time", event="dfs_event", group="arm", strata=["risk_group"],
                        reference="chemo", tau="4y", endpoint_name="DFS", time_unit="years")
    direct = analyse_twin(twin, load_twin("aall1731"), detailed=False).headline()
    assert res.analysis.headline()["hr"] == pytest.approx(direct["hr"], rel=1e-12)


def test_cli_bad_paramcd_lists_existing_and_writes_nothing(adam_dir, tmp_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(app, ["analyze", "--adsl", str(adam_dir / "adsl.csv"), "--adtte",
                                 str(adam_dir / "adtte.csv"), "--paramcd", "EFS", "--out", str(out)])
    assert r.exit_code == 2 and "PARAMCD 'EFS' not found" in r.output and "'DFS', 'OS'" in r.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_missing_strata_variable(adam_dir, tmp_path):
    r = CliRunner().invoke(app, ["analyze", "--adsl", str(adam_dir / "adsl.csv"), "--adtte",
                                 str(adam_dir / "adtte.csv"), "--strata", "NOPE", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "NOPE" in r.output


@pytest.mark.skipif(find_chromium() is None, reason="headless Chromium not installed (apt-get install chromium)")
def test_report_escapes_data_strings(twin, tmp_path):
    evil = "<script>alert(1)</script>"
    t = twin.assign(arm=np.where(twin["arm"] == "blina", f"blina{evil}", "chemo"))
    frames = to_adam(t, subject="patient_id", arm="arm", endpoints={"DFS": ("dfs_time", "dfs_event", "dfs_event_type")},
                     variables={"risk_group": "RISKGRP"},
                     toxicities={"tox_fever": (f"Fever{evil}", "General disorders", 3)})
    d = write_adam(frames, tmp_path / "adam", formats=("csv",))
    r = CliRunner().invoke(app, ["analyze", "--adsl", str(d / "adsl.csv"), "--adtte", str(d / "adtte.csv"),
                                 "--adae", str(d / "adae.csv"), "--strata", "RISKGRP", "--subgroups", "RISKGRP",
                                 "--reference", "chemo", "--out", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    page = render_html(tmp_path / "rep" / "report.html", selectors=["script", "svg", "table"])
    assert page.errors == () and page.counts["script"] == 0
    assert page.counts["svg"] >= 3 and page.counts["table"] >= 5
    assert "Fever<script>" in page.text and "blina<script>" in page.text


def test_notebook_api_gives_frames_and_figures(adam_dir):
    res = analyze_adam(adam_dir / "adsl.csv", adam_dir / "adtte.csv", paramcd="DFS", strata=["RISKGRP"],
                       subgroups=["SEX"], reference="chemo")
    tables = res.tables()
    assert isinstance(tables["dfs_summary"], pd.DataFrame) and len(tables["subgroups"]) == 3
    figs = res.figures()
    assert {"km_dfs", "forest", "cumulative_incidence"} <= set(figs)
    assert all(hasattr(f, "savefig") for f in figs.values())


def test_plain_table_units_and_non_numeric_times():
    frame = pd.DataFrame({"t": [12, 24, 36, 48], "e": [1, 0, 1, 1], "g": ["a", "b", "a", "b"]})
    from survtrial.errors import InputError

    with pytest.raises(InputError, match="--time-unit 'minutes' not recognised"):
        analyze_table(frame, time="t", event="e", group="g", time_unit="minutes", tau=None)
    with pytest.raises(InputError, match=r"column 't' row 2: 'x' is not a number"):
        analyze_table(frame.assign(t=[12, "x", 36, 48]), time="t", event="e", group="g", tau=None,
                      time_unit="months", reference="a")
