"""Render written reports in headless Chromium: no console errors, no requests, figures and tables present."""

from __future__ import annotations

import re
import struct

import pandas as pd
import pytest
from report_fixtures import PAYLOAD, build_report

from survtrial.report.browser import (
    BrowserError,
    BrowserUnavailable,
    check_report,
    find_chromium,
    pdf_page_count,
    render_html,
)
from survtrial.report.plots import numbers_at_risk

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium, or set SURVTRIAL_CHROMIUM)"
)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    report, km = build_report()
    files = report.write(tmp_path_factory.mktemp("report") / "dsmb")
    return files, km


@needs_chromium
def test_report_renders_cleanly_in_chromium(written):
    files, km = written
    selectors = ["svg#figure-km", "svg#figure-forest", "svg#figure-cif", "table.report-table", "script",
                 "section.report-section"]
    page = render_html(files.html, selectors=selectors, pdf=True)
    assert page.errors == () and [m for m in page.console if m.level == "warning"] == []
    assert page.requests == ()  # nothing fetched besides the file itself
    assert page.counts == {"svg#figure-km": 1, "svg#figure-forest": 1, "svg#figure-cif": 1,
                           "table.report-table": 3, "script": 0, "section.report-section": 4}
    # the payloads stayed text: visible in the rendered text, never elements
    assert f"Interim report {PAYLOAD}" in page.text and f"Fever {PAYLOAD}" in page.text
    # the KM figure's numbers-at-risk row is live SVG text in the DOM, equal to the frame's values
    svg = re.search(r'<svg id="figure-km".*?</svg>', page.dom, re.DOTALL).group(0)
    svg_text = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    ticks = [float(t) for t in svg_text[: svg_text.index("Years from randomization")] if re.fullmatch(r"[\d.]+", t)]
    expected = numbers_at_risk(km, ticks)
    shown = [t for t in svg_text if re.fullmatch(r"\d+", t)]
    for group, row in expected.iterrows():
        counts = [f"{v:.0f}" for v in row]
        assert " ".join(counts) in " ".join(shown), group
    # printing: cover + contents page, one page per section at least, a landscape page for the forest plot
    assert pdf_page_count(page.pdf) >= 4
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", page.pdf)
    assert any(float(w) > float(h) for w, h in boxes) and any(float(w) < float(h) for w, h in boxes)


@needs_chromium
def test_check_report_passes_a_good_report_and_flags_a_bad_page(written, tmp_path):
    files, _ = written
    assert check_report(files.html) == []
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><p>x</p><img src='missing.png'>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>"
    )
    problems = check_report(bad)
    assert any(p.startswith("external reference") and "missing.png" in p for p in problems)
    assert any(p.startswith("active content: line 1: <script>") for p in problems)
    assert "browser [error] console: boom (" + bad.resolve().as_uri() + ")" in problems
    assert any(p.startswith("browser [error] exception: ReferenceError: undefinedFunction") for p in problems)
    assert any(p.startswith("browser [error] network: Failed to load resource") for p in problems)
    assert "browser requested " + bad.resolve().parent.joinpath("missing.png").as_uri() in problems
    assert "rendered page has no element matching 'svg.report-figure-svg'" in problems


def test_missing_browser_and_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SURVTRIAL_CHROMIUM", str(tmp_path / "no-such-browser"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>")
    with pytest.raises(BrowserUnavailable):
        render_html(page)
    with pytest.raises(FileNotFoundError):
        render_html(tmp_path / "absent.html")


def test_a_browser_that_exits_is_an_error_not_a_hang(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>")
    with pytest.raises(BrowserError, match=r"closed the DevTools pipe|timed out"):
        render_html(page, chromium="/bin/false", timeout=10)


def test_table_frames_roundtrip_through_csv(written):
    files, km = written
    (events_csv,) = [p for p in files.tables if p.name == "events_by_arm.csv"]
    table = pd.read_csv(events_csv)
    assert table["events"].tolist() == km.groupby("group", sort=False)["n_event"].sum().tolist()


@needs_chromium
def test_layout_finds_what_overflows_the_page_and_what_scrolls_in_its_box(tmp_path):
    page_file = tmp_path / "wide.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><style>body{margin:0} .wrap{overflow-x:auto;width:600px}"
        "@media print{.wrap{overflow:visible}}</style></head><body>"
        "<section id='s1'><div id='wide' style='width:1500px;height:10px'></div></section>"
        "<section id='s2'><div class='wrap'><table id='t' style='width:900px'><tr><td>x</td></tr></table></div>"
        "<p id='fits' style='width:650px'>fits</p></section></body></html>")
    page = render_html(page_file, pdf=True, screenshot=True)
    lay = page.layout
    assert lay.media == "screen" and lay.viewport == 1280 and not lay.fits
    assert [(e, s) for e, _, _, s in lay.overflow] == [("div#wide", "s1")]
    assert lay.overflow[0][2] == pytest.approx(1500)
    assert lay.scrollers == (("table#t", 600.0, 900.0),)  # scrolls inside its own box: allowed
    assert lay.problems() == ["screen at 1280 px: div#wide spans 0-1500 px (in s1)"]
    portrait, landscape = page.print_layout
    # on paper nothing scrolls: the table spills out of the portrait page (703 px printable), as the div
    assert portrait.viewport == 703 and landscape.viewport == 943
    assert {e for e, *_ in portrait.overflow} >= {"div#wide", "table#t"}
    assert "fits" not in " ".join(e for e, *_ in portrait.overflow)
    # whole-page screenshots: PNG tiles 1280 px wide covering the page
    assert page.screenshots and all(p.startswith(b"\x89PNG") for p in page.screenshots)
    width, height = struct.unpack(">II", page.screenshots[0][16:24])
    assert width == 1500 and height <= 1600  # the page is as wide as its widest element
