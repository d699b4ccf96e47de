"""The reports a monitoring committee reads, as headless Chromium renders them (1280 px and print).

Three real reports: ``survtrial analyze`` of examples/adam (the README's command), and ``survtrial
reproduce`` of the AALL1731 and colon twins with a calibration section. Every check reads the
rendered page: its tables (every header and cell), its inline SVG figures and its text.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survtrial.report._style import arm_colors, format_p
from survtrial.report.browser import find_chromium, pdf_page_count, render_html
from survtrial.report.display import MACHINE_NAME

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(find_chromium() is None, reason="headless Chromium not installed")
REPLICATES = 20


def _text(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def report_tables(dom: str) -> list[dict]:
    """Every table.report-table of the rendered DOM: id, caption, header cells, body rows of cells."""
    out = []
    for m in re.finditer(r'<table class="report-table" id="([^"]*)">(.*?)</table>', dom, re.DOTALL):
        body = m.group(2)
        head = re.search(r"<thead>(.*?)</thead>", body, re.DOTALL).group(1)
        rows = re.search(r"<tbody>(.*?)</tbody>", body, re.DOTALL).group(1)
        out.append({
            "id": m.group(1),
            "caption": _text(re.search(r"<caption>(.*?)</caption>", body, re.DOTALL).group(1)),
            "head": [_text(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.DOTALL)],
            "rows": [[_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.DOTALL)]
                     for r in re.findall(r"<tr>(.*?)</tr>", rows, re.DOTALL)],
        })
    return out


def figures(dom: str) -> dict[str, str]:
    """Each inline SVG figure of the DOM by name (its id without 'figure-')."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<svg id="figure-([^"]+)".*?</svg>', dom, re.DOTALL)}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from survtrial.workflows.analyze import analyze_adam
    from survtrial.workflows.reproduce import reproduce

    root = tmp_path_factory.mktemp("committee")
    adam = ROOT / "examples" / "adam"
    res = analyze_adam(adam / "adsl.xpt", adam / "adtte.xpt", adam / "adae.xpt", paramcd="DFS", strata=["RISKGRP"],
                       subgroups=["RISKGRP", "SEX", "ETHNIC"], reference="chemo")
    res.report.write(root / "adam")
    out = {"adam": (root / "adam", res.analysis, ("chemo", "blina"), "days")}
    for twin in ("aall1731", "colon"):
        run = reproduce(twin, seed=1731, replicates=REPLICATES, workers=1, out=root / twin)
        out[twin] = (root / twin, run, (run.analysis.reference, run.analysis.experimental), "years")
    return out


@pytest.fixture(scope="module")
def pages(reports):
    return {name: render_html(d / "report.html", pdf=True, timeout=120) for name, (d, *_) in reports.items()}


NAMES = ["adam", "aall1731", "colon"]


@pytest.mark.parametrize("name", NAMES)
def test_renders_cleanly_and_its_text_is_there(pages, name):
    page = pages[name]
    assert page.errors == () and [m for m in page.console if m.level == "warning"] == []
    assert page.requests == ()
    for text in ("How to read these results", "is the effect constant over time?", "Grambsch-Therneau test",
                 "Hazard ratio (95% CI)", "MaxCombo", "Provenance"):
        assert text in page.text, text
    if name != "adam":
        assert f"Calibration across {REPLICATES} twins" in page.text and "Twins: central 95%" in page.text
    else:
        assert "Competing risks" in page.text and "Safety" in page.text
    assert pdf_page_count(page.pdf) >= 8


@pytest.mark.parametrize("name", NAMES)
def test_fits_1280_px_and_the_printed_page(pages, name):
    page = pages[name]
    assert page.layout.viewport == 1280
    assert page.layout.fits, page.layout.problems()
    assert page.layout.scrollers == ()  # every table fits without scrolling at 1280 px
    assert [p for lay in page.print_layout for p in lay.problems()] == []
    assert len(page.print_layout) == 2


@pytest.mark.parametrize("name", NAMES)
def test_every_table_label_is_human(pages, name):
    tables = report_tables(pages[name].dom)
    assert len(tables) >= 8
    for t in tables:
        assert t["head"], t["id"]
        for label in [*t["head"], *(row[0] for row in t["rows"] if row)]:
            assert not MACHINE_NAME.search(label), (t["id"], label)
        for row in t["rows"]:
            for cell in row:
                assert "[T." not in cell and not re.search(r"\b0\.0000\b", cell), (t["id"], cell)


@pytest.mark.parametrize("name", NAMES)
def test_figure_text_is_human(pages, name):
    for fig, svg in figures(pages[name].dom).items():
        for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg):
            assert not MACHINE_NAME.search(text), (fig, text)


def _percent_cells(table: dict) -> list[str]:
    """Cells holding percentages: the column says % (other than in '95%'), the column is a CI next to a
    percent estimate, or the row's label says (%)."""
    out = []
    head = table["head"]
    for row in table["rows"]:
        for j, cell in enumerate(row):
            h = head[j] if j < len(head) else ""
            percent_col = "%" in re.sub(r"\d+%", "", h) or (h == "95% CI" and j > 0 and "%" in head[j - 1])
            if percent_col or (row and "(%)" in row[0] and j > 0):
                out.append(cell)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_percent_ci_lies_within_0_and_100(pages, name):
    n = 0
    for t in report_tables(pages[name].dom):
        for cell in _percent_cells(t):
            for lo, hi in re.findall(r"(\u2212?[\d.]+)\u2013(\u2212?[\d.]+)", cell):
                lo, hi = (float(v.replace("\u2212", "-")) for v in (lo, hi))
                assert 0.0 <= lo <= hi <= 100.0, (t["id"], cell)
                n += 1
    assert n >= 10


def test_a_published_ci_beyond_100_is_shown_within_it(reports, pages):
    """The AALL1731 paper's 3-year OS (blinatumomab) 98.4 +- 1.96 x 0.9 reaches 100.2: the CSV keeps the
    computed limit, the page shows 100.0."""
    d = reports["aall1731"][0]
    raw = pd.read_csv(d / "tables" / "published_vs_twin.csv").set_index("key")
    assert raw.loc["os3_blina", "published_upper"] > 100
    assert "98.4 (96.6\u2013100.0)" in pages["aall1731"].text


P_CELL = re.compile(r"^(<0\.001|>0\.999|0\.\d{3}|)$")


@pytest.mark.parametrize("name", NAMES)
def test_one_p_value_format(pages, name):
    n = 0
    for t in report_tables(pages[name].dom):
        cols = [j for j, h in enumerate(t["head"]) if re.fullmatch(r"(.+ )?P( \(.*\))?", h)]
        for row in t["rows"]:
            for j in cols:
                assert P_CELL.match(row[j]), (t["id"], t["head"][j], row[j])
                n += row[j] != ""
    assert n >= 5
    # in sentences and captions: "P = 0.012", "P < 0.001", "P > 0.999"
    phrases = re.findall(r"\bP ([=<>]) ([\d.]+)", pages[name].text)
    assert phrases and all(re.fullmatch(r"0\.\d{3}", v) for _, v in phrases), phrases
    assert all(v == "0.001" for s, v in phrases if s == "<")
    # and in figures (the forest plot's interaction P values; its other numbers are counts and ticks)
    for svg in figures(pages[name].dom).values():
        for v in re.findall(r"<text[^>]*>([^<]*)</text>", svg):
            assert not re.fullmatch(r"[<>]\s?[\d.]+", unescape(v)) or P_CELL.match(unescape(v)), v


@pytest.mark.parametrize("name", NAMES)
def test_hazard_ratios_have_two_decimals(pages, name):
    n = 0
    for t in report_tables(pages[name].dom):
        cols = [j for j, h in enumerate(t["head"]) if h.startswith(("Hazard ratio", "HR"))]
        for row in t["rows"]:
            for j in cols:
                for v in re.findall(r"\d+\.\d+", row[j]):
                    assert len(v.split(".")[1]) == 2, (t["id"], row[j])
                    n += 1
        for row in t["rows"]:  # hazard-ratio rows of the twin tables
            if row and "hazard ratio" in row[0].lower():
                value = re.match(r"[\d.]+", row[1]).group(0)
                assert len(value.split(".")[1]) == 2, (t["id"], row)
    assert n >= 3
    for sentence_hr in re.findall(r"[Hh]azard ratio [^.]*? vs \S+ (\d+\.\d+)", pages[name].text):
        assert len(sentence_hr.split(".")[1]) == 2


def _arm_marks(svg: str) -> dict[str, set[str]]:
    """Colours used by every element of each arm's groups (id ...arm-<arm>-<what>-<k>)."""
    out: dict[str, set[str]] = {}
    for m in re.finditer(r'<g id="[^"]*?-arm-([A-Za-z0-9_]+)-([a-z-]+)-(\d+)">(.*?)</g>', svg, re.DOTALL):
        colours = {c.lower() for c in re.findall(r"(?:fill|stroke): (#[0-9a-fA-F]{6})", m.group(4))}
        out.setdefault(m.group(1), set()).update(colours)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_an_arm_has_one_colour_in_every_figure(reports, pages, name):
    _, _, arms, _ = reports[name]
    expected = {a: c.lower() for a, c in arm_colors(arms).items()}
    seen: dict[str, set[str]] = {}
    n_figures: dict[str, int] = {}
    for svg in figures(pages[name].dom).values():
        for arm, colours in _arm_marks(svg).items():
            seen.setdefault(arm, set()).update(colours)
            n_figures[arm] = n_figures.get(arm, 0) + 1
    assert set(seen) == set(arms)
    for arm in arms:
        assert seen[arm] == {expected[arm]}, (arm, seen[arm])
        assert n_figures[arm] >= 2
    assert expected[arms[0]] == "#0072b2" and expected[arms[1]] == "#d55e00"  # control blue, experimental vermillion


@pytest.mark.parametrize("name", NAMES)
def test_captions_say_the_time_unit(reports, pages, name):
    unit = reports[name][3]
    caps = re.findall(r"<figcaption>(.*?)</figcaption>", pages[name].dom, re.DOTALL)
    timed = [c for c in caps if "Kaplan-Meier" in c or "Cumulative incidence" in c or "over time" in c]
    assert timed and all(f"time in {unit}" in c for c in timed), timed
    svgs = figures(pages[name].dom)
    assert f"{unit.capitalize()} from randomization" in svgs[next(k for k in svgs if k.startswith("km_"))]


def test_panels_that_are_compared_share_their_axes(reports):
    from survtrial.report.trial_report import trial_figures

    figs = trial_figures(reports["adam"][1])
    cif = [ax for ax in figs["cumulative_incidence"].axes if ax.get_label().startswith("cif:")]
    assert len(cif) == 4
    assert len({ax.get_ylim() for ax in cif}) == 1 and len({ax.get_xlim() for ax in cif}) == 1
    strata = [figs[k].axes[0] for k in figs if k.startswith("km_dfs_")]
    assert len(strata) == 2
    assert strata[0].get_ylim() == strata[1].get_ylim() and strata[0].get_xlim() == strata[1].get_xlim()


@pytest.mark.parametrize("twin", ["aall1731", "colon"])
def test_calibration_band_is_the_tables_interval(reports, pages, twin):
    from survtrial.report.plots import calibration_plot

    _, run, _, _ = reports[twin]
    reps, cmp_ = run.replicates, run.replicate_comparison.set_index("key")
    keys = [k for k in run.twin.headlines if k in reps.columns]
    fig = calibration_plot({k: reps[k].to_numpy() for k in keys}, {}, interval=0.95)
    for ax, k in zip(fig.axes, keys, strict=False):
        (band,) = [p for p in ax.patches if p.get_label() == "Twin 95% interval"]
        limits = (cmp_.loc[k, "twin_2.5%"], cmp_.loc[k, "twin_97.5%"])
        assert (band.get_x(), band.get_x() + band.get_width()) == pytest.approx(limits, rel=1e-12)
    svg = figures(pages[twin].dom)["calibration"]
    assert "Twin 95% interval" in svg and "90%" not in svg
    cap = re.search(r"Figure \d+\.</span> Each headline across twins[^<]*", pages[twin].dom).group(0)
    assert "central 95% shaded: the table's interval" in cap
    # the tables and the calibration figure share the 95% interval; the curve band alone is the
    # central 90% over replicates that the twin's curve figure is defined with, and says so
    captions = re.findall(r"<(?:figcaption|caption)>(.*?)</(?:figcaption|caption)>", pages[twin].dom, re.DOTALL)
    central = [c for c in captions if "central" in c]
    band = [c for c in central if "(band)" in c]
    assert len(band) == 1 and "central 90% (band)" in band[0], band
    others = [c for c in central if c not in band]
    assert len(others) >= 2 and all("central 95%" in c and "90%" not in c for c in others), others


def test_p_format_function():
    assert [format_p(p) for p in (0.0004, 0.0123, 0.04951, 0.5, 0.9996, np.nan)] == [
        "<0.001", "0.012", "0.050", "0.500", ">0.999", ""]
