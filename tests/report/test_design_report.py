"""The design report shows the survtrial.design API's numbers: every table cell is the API's value formatted,
every CSV is the API's frame."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from survtrial.design import design_assumptions, milestone_design
from survtrial.design.ahr_design import ahr_design
from survtrial.design.maxcombo_design import maxcombo_power
from survtrial.design.nph_events import average_hazard_ratio
from survtrial.report.design_report import design_report, design_tables


@pytest.fixture(scope="module")
def tables():
    return design_assumptions({"duration": [6, 6], "rate": [10, 20]},
                              {"duration": [4, np.inf], "fail_rate": np.log(2) / 12, "hr": [1.0, 0.6],
                               "dropout_rate": 0.002})


@pytest.fixture(scope="module")
def design(tables):
    return ahr_design(tables, analysis_times=[30], information_fractions=[0.5, 0.75, 1], power=0.8,
                      beta_spending="OF")


def cells(html: str, table_id: str) -> list[list[str]]:
    """The body cells of the table with this id, as text."""
    m = re.search(rf'<table class="report-table" id="{table_id}">(.*?)</table>', html, re.S)
    assert m, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", m.group(1).split("<tbody>")[1], re.S)
    return [[unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]


def header(html: str, table_id: str) -> list[str]:
    m = re.search(rf'id="{table_id}">.*?<thead><tr>(.*?)</tr></thead>', html, re.S)
    return [unescape(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", m.group(1))]


def column(html: str, table_id: str, name: str) -> list[str]:
    j = header(html, table_id).index(name)
    return [row[j] for row in cells(html, table_id)]


def fixed(values, d):
    out = []
    for v in np.asarray(values, dtype=float):
        t = f"{v:.{d}f}" if np.isfinite(v) else "NA"
        out.append(t[1:] if t.startswith("-") and float(t) == 0 else t)
    return out


def test_bounds_and_probabilities_are_the_api_values(design):
    html = design_report(design, "months").render()
    f = design.to_frame()
    assert column(html, "table-bounds", "Efficacy z") == fixed(design.upper, 3)
    assert column(html, "table-bounds", "Futility z") == fixed(design.lower, 3)
    hr_up, hr_low = design.hazard_ratio_at_bounds()
    assert column(html, "table-bounds", "HR at efficacy bound") == fixed(hr_up, 2)
    assert column(html, "table-bounds", "HR at futility bound") == fixed(hr_low, 2)
    assert column(html, "table-bounds", "Events") == fixed(design.events, 1)
    assert column(html, "table-bounds", "Time (months)") == fixed(design.time, 2)
    assert column(html, "table-bounds", "Information fraction (H0)") == fixed(design.information_fraction0, 3)
    probs = "table-crossing_probabilities"
    assert column(html, probs, "Efficacy, H1") == fixed(design.upper_h1, 4)
    assert column(html, probs, "Futility, H1") == fixed(design.lower_h1, 4)
    assert column(html, probs, "Efficacy, H0") == fixed(design.upper_h0, 4)
    assert column(html, probs, "Futility, H0") == fixed(design.lower_h0, 4)
    assert column(html, probs, "Cumulative power") == fixed(np.cumsum(design.upper_h1), 4)
    assert column(html, probs, "Cumulative alpha (futility ignored)") == fixed(f["cumulative_alpha"], 4)


def test_summary_states_the_expected_subjects_and_duration(design):
    html = design_report(design, "months").render()
    rows = dict((r[0], r[1]) for r in cells(html, "table-summary"))
    h1, h0 = design.expected_subjects
    d1, d0 = design.expected_duration
    assert rows["Subjects (maximum)"] == f"{design.n_subjects:.1f}"
    assert rows["Events (maximum)"] == f"{design.max_events:.1f}"
    assert rows["Power"] == f"{design.power:.4f}"
    assert rows["Expected subjects under H1 / H0"] == f"{h1:.1f} / {h0:.1f}"
    assert rows["Expected duration under H1 / H0"] == f"{d1:.2f} / {d0:.2f} months"


def test_every_csv_is_the_api_frame(design):
    t = design_tables(design, "months")
    pd.testing.assert_frame_equal(t["enroll_rate"][1], design.assumptions.enrollment_frame())
    pd.testing.assert_frame_equal(t["fail_rate"][1], design.assumptions.failure_frame())
    pd.testing.assert_frame_equal(t["summary"][1], design.summary())
    frame = design.to_frame()
    raw = t["bounds"][1]
    for c in raw.columns:
        np.testing.assert_array_equal(raw[c].to_numpy(), frame[c].to_numpy())
    ev = t["events_over_time"][1]
    ref = average_hazard_ratio(design.assumptions, ev["time"].to_numpy()).to_frame()
    pd.testing.assert_frame_equal(ev, ref)
    # the files the report writes hold these frames
    rep = design_report(design, "months")
    assert rep._files["tables/bounds.csv"].decode() == raw.to_csv(index=False, lineterminator="\n")


def test_assumptions_tables_echo_the_unit_and_periods(design):
    html = design_report(design, "months").render()
    assert header(html, "table-fail_rate")[1] == "Period (months from randomization)"
    assert column(html, "table-fail_rate", "Period (months from randomization)") == ["0-4", "4 and later"]
    assert column(html, "table-fail_rate", "Hazard ratio") == ["1.00", "0.60"]
    scaled = design.assumptions.strata[0].enroll_rate
    assert column(html, "table-enroll_rate", "Subjects per month") == fixed(scaled, 2)
    assert "Events, control" in header(html, "table-events_over_time")
    assert 'id="figure-events_ahr"' in html


def test_maxcombo_and_fixed_designs_report(tables):
    d = maxcombo_power(tables, ["logrank", "fh(0, 0.5)"], analysis_times=[24, 30])
    html = design_report(d, "months").render()
    assert column(html, "table-bounds", "Efficacy z") == fixed(d.upper, 3)
    assert column(html, "table-crossing_probabilities", "Efficacy, H1") == fixed(d.upper_h1, 4)
    m = milestone_design(tables, 15, study_duration=30, power=0.8)
    html = design_report(m, "months").render()
    rows = dict((r[0], r[1]) for r in cells(html, "table-summary"))
    assert rows["Subjects"] == f"{m.n_subjects:.1f}" and rows["Power"] == f"{m.power:.4f}"
    assert "table-bounds" not in html


def test_the_design_report_renders_in_a_browser(tmp_path):
    from pathlib import Path

    from survtrial.report.browser import find_chromium, render_html
    from survtrial.workflows.design_file import plan_from_file

    if find_chromium() is None:
        pytest.skip("headless Chromium not installed")
    example = Path(__file__).resolve().parents[2] / "examples" / "design" / "aall1731_like_delayed.yaml"
    res = plan_from_file(example, check_by_simulation=200, seed=3)
    files = res.report.write(tmp_path / "design")
    page = render_html(files.html, pdf=True, timeout=120)
    assert page.errors == () and page.requests == () and list(page.console) == []
    assert page.layout.fits, page.layout.problems()
    assert page.layout.scrollers == ()
    assert [p for lay in page.print_layout for p in lay.problems()] == []
    for text in ("Crossing probabilities", "Check by simulation", "Expected subjects under H1 / H0",
                 "Years from the start of enrolment", "Random seed"):
        assert text in page.text, text
    assert "index" not in header(files.html.read_text(), "table-events_over_time")
