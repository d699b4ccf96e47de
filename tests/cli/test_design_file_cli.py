"""`survtrial design design.yaml` with tables: printed numbers with their unit, the report and its CSVs,
--check-by-simulation, --template; the keyword design keeps working beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from survtrial.cli import app
from survtrial.design.design_file import parse_design_file, read_design_file

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "design" / "aall1731_like_delayed.yaml"
runner = CliRunner()


def test_design_file_prints_and_writes_the_report(tmp_path):
    out = tmp_path / "plan"
    res = runner.invoke(app, ["design", str(EXAMPLE), "--out", str(out), "--check-by-simulation", "200",
                              "--seed", "4"])
    assert res.exit_code == 0, res.output
    d = read_design_file(EXAMPLE).solve()
    text = res.output
    assert "time unit: years" in text and "from 1 year: control hazard 0.043/year, HR 0.3" in text
    assert f"subjects {d.n_subjects:.1f}, events {d.max_events:.1f}, final look at 7.00 years" in text
    assert "check by simulation: power analytic" in text
    assert (out / "report.html").is_file() and (out / "figures" / "events_ahr.svg").is_file()
    bounds = pd.read_csv(out / "tables" / "bounds.csv")
    np.testing.assert_allclose(bounds["efficacy_z"], d.upper, rtol=1e-12)
    np.testing.assert_allclose(bounds["futility_z"], d.lower, rtol=1e-12)
    check = pd.read_csv(out / "tables" / "simulation_check.csv")
    assert set(check["hypothesis"]) == {"H0", "H1"} and len(check) == 15
    html = (out / "report.html").read_text()
    assert "Check by simulation" in html and "AALL1731-like trial, delayed effect, log-rank" in html


def test_template_is_a_valid_design_file(tmp_path):
    res = runner.invoke(app, ["design", "--template"])
    assert res.exit_code == 0
    import yaml

    f = parse_design_file(yaml.safe_load(res.stdout))
    assert f.test.label == "log-rank (AHR)" and f.time_unit == "years"


def test_keyword_design_file_still_takes_the_old_route(tmp_path):
    cfg = tmp_path / "kw.yaml"
    cfg.write_text("hazard_ratio: 0.6\ncontrol_median: 12\naccrual_time: 24\nfollow_up: 12\ntime_unit: months\n")
    res = runner.invoke(app, ["design", str(cfg), "--looks", "2"])
    assert res.exit_code == 0, res.output
    assert "events" in res.output and "Survival trial design" in res.output


def test_design_file_report_as_rtf_and_docx_holds_the_html_reports_cells(tmp_path):
    """--format rtf,docx with a design file of tables: report.rtf and report.docx beside report.html, every
    table cell as the HTML shows it (the report's own TLF copy)."""
    from tlf_check import assert_rtf_holds_the_tables, docx_tables, html_tables

    out = tmp_path / "plan"
    res = runner.invoke(app, ["design", str(EXAMPLE), "--out", str(out), "--format", "rtf,docx"])
    assert res.exit_code == 0, res.output
    assert "report.rtf, report.docx" in res.output
    html = html_tables((out / "report.html").read_text(encoding="utf-8"))
    assert len(html) == 6  # summary, two assumption tables, events over time, bounds, crossing probabilities
    rtf = (out / "report.rtf").read_text(encoding="utf-8")
    assert_rtf_holds_the_tables(rtf, html)
    assert docx_tables(out / "report.docx") == html
    assert "Population: planned" in rtf and "\\pngblip" in rtf
    # without --out nothing is written, and the command says why
    bad = runner.invoke(app, ["design", str(EXAMPLE), "--format", "rtf"])
    assert bad.exit_code == 2 and "--format rtf writes files: give --out" in bad.output
