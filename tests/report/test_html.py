"""Tests for the HTML report: escaping, self-containedness, structure, number formats, atomic write."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from report_fixtures import PAYLOAD, build_report

import survtrial
from survtrial.errors import InputError
from survtrial.report import html as html_module
from survtrial.report.check import active_content, external_references
from survtrial.report.html import Report, provenance, scenario_hash


class _Collect(HTMLParser):
    """Independent parse of the page: every start tag with its attributes, and the text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(text: str) -> _Collect:
    p = _Collect()
    p.feed(text)
    p.close()
    return p


@pytest.fixture(scope="module")
def rendered() -> str:
    report, _ = build_report()
    return report.render()


def test_user_text_is_escaped_everywhere(rendered):
    page = _parse(rendered)
    assert [t for t, _ in page.tags if t == "script"] == []
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    assert active_content(rendered) == []
    text = "".join(page.text)
    # each slot shows the payload as text: title (page title and h1), subtitle, banner, section
    # title (heading and contents), paragraph, sub-heading, note title and text, captions, table
    # cells and headers, the arm name in the KM figure (SVG text), provenance scenario and command
    for expected in [
        f"Interim report {PAYLOAD}", f"Subtitle {PAYLOAD}", f"Confidential {PAYLOAD}",
        f"Primary endpoint {PAYLOAD}", f"First paragraph {PAYLOAD}.", f"Heading {PAYLOAD}",
        f"Note title {PAYLOAD}", f"Note {PAYLOAD}", f"Kaplan-Meier estimates {PAYLOAD}",
        f"Events by arm {PAYLOAD}", f"Fever {PAYLOAD}", f"arm {PAYLOAD}", f"Warning {PAYLOAD}",
        f"Callout {PAYLOAD}", f"Blinatumomab {PAYLOAD}", f"SR-Avg {PAYLOAD}", f"aall1731 {PAYLOAD}",
    ]:
        assert expected in text, expected
    assert rendered.count("&lt;script&gt;") >= 17


def test_escaping_also_holds_for_quotes_and_ampersands():
    r = Report('A & B "quoted" \'single\'', provenance={"generated": "x"})
    r.add_section("S").add_table(pd.DataFrame({"a&b": ['"><img src=x onerror=alert(1)>']}), "t")
    out = r.render()
    assert active_content(out) == [] and external_references(out) == []
    assert "A &amp; B &quot;quoted&quot; &#x27;single&#x27;" in out
    assert not any(t == "img" for t, _ in _parse(out).tags)


URL_ATTRS = {"src", "href", "xlink:href", "srcset", "data", "poster", "action"}


def test_report_is_self_contained(rendered):
    """Independent check: no attribute points at http(s)/file, no external style sheet, no CSS url()."""
    page = _parse(rendered)
    for tag, attrs in page.tags:
        for k, v in attrs.items():
            if k in URL_ATTRS and v is not None:
                assert not re.match(r"\s*(https?:|file:|//)", v, re.IGNORECASE), (tag, k, v)
                if tag != "a":  # anything loaded must be a fragment or data:
                    assert v.startswith(("#", "data:")), (tag, k, v)
        if tag == "link":
            assert attrs.get("rel") != "stylesheet", attrs
    styles = re.findall(r"<style[^>]*>(.*?)</style>", rendered, re.DOTALL)
    assert styles and not any(re.search(r"url\(|@import", s) for s in styles)
    assert external_references(rendered) == []
    assert 'http-equiv="Content-Security-Policy"' in rendered and "default-src 'none'" in rendered


@pytest.mark.parametrize(
    "snippet",
    [
        '<img src="https://example.org/x.png">',
        '<link rel="stylesheet" href="style.css">',
        '<script src="file:///tmp/x.js"></script>',
        '<style>body { background: url(http://example.org/b.png) }</style>',
        '<style>@import "x.css";</style>',
        '<a href="http://example.org">x</a>',
        '<svg><use xlink:href="other.svg#m"></use></svg>',
        '<p style="background:url(//example.org/x.png)">x</p>',
    ],
)
def test_external_reference_check_catches_each_kind(snippet):
    assert len(external_references(f"<html><body>{snippet}</body></html>")) == 1


def test_inline_svg_ids_are_unique_and_references_resolve(rendered):
    ids = re.findall(r'\bid="([^"]+)"', rendered)
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r'url\(#([^)]+)\)', rendered)) | set(re.findall(r'href="#([^"]+)"', rendered))
    assert refs and refs <= set(ids)
    for name in ("km", "forest", "cif"):
        assert f'<svg id="figure-{name}" class="report-figure-svg"' in rendered
    assert "<?xml" not in rendered and "<!DOCTYPE svg" not in rendered


def test_structure_numbering_and_print_css(rendered):
    assert [m for m in re.findall(r"<h2>(\d+)\. ", rendered)] == ["1", "2", "3"]
    assert re.findall(r'<span class="label">Figure (\d+)\.</span>', rendered) == ["1", "2", "3"]
    assert re.findall(r'<span class="label">Table (\d+)\.</span>', rendered) == ["1", "2", "3"]
    toc = re.findall(r'<li><a href="#([^"]+)">', rendered)
    assert toc == ["section-1", "section-2", "section-3", "provenance"]
    # sections 1 and 2 start a printed page, section 3 was added with page_break=False;
    # section 2 holds the (wide) forest plot and prints landscape
    assert re.findall(r'<section class="([^"]+)" id="section-\d"', rendered) == [
        "report-section page-break", "report-section page-break landscape", "report-section",
    ]
    css = re.search(r"<style>(.*?)</style>", rendered, re.DOTALL).group(1)
    for rule in ("break-before: page", "break-inside: avoid", "display: table-header-group", "@media print"):
        assert rule in css


def test_provenance_block():
    p = provenance(seed=7, scenario="aall1731", scenario_hash=scenario_hash({"a": 1}),
                   command=["survtrial", "reproduce", "it's"], data_cut="2024-06-30")
    assert p["survtrial"] == survtrial.__version__
    assert p["numpy"] == np.__version__ and p["pandas"] == pd.__version__
    assert p["matplotlib"] == matplotlib.__version__
    assert p["seed"] == "7" and p["scenario"] == "aall1731"
    assert p["command"] == "survtrial reproduce 'it'\"'\"'s'"
    assert p["data_cut"] == "2024-06-30"
    expected = hashlib.sha256(json.dumps({"a": 1}, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert p["scenario_hash"] == expected
    out = Report("T", provenance={"seed": 3}).render()
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td></tr>', out))
    assert rows["Random seed"] == "3" and rows["Scenario"] == "not recorded"
    assert rows["NumPy"] == np.__version__ and rows["survtrial version"] == survtrial.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", rows["Generated (UTC)"])


def _cells(out: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", out, re.DOTALL).group(1)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_table_default_number_formats():
    frame = pd.DataFrame({
        "arm": ["A", "B", "C"],
        "n": [722, 718, 5],
        "events": [61.0, 22.0, np.nan],            # integral floats print without decimals
        "survival": [87.912, 96.04, 100.0],        # median ~96 -> 1 decimal
        "hr": [0.3912, 1.0, 0.24],                 # median ~0.39 -> 3 decimals
        "p_value": [0.0004, 0.0312, 0.4567],      # <0.001; 0.031; 0.457 (report.format_p)
    })
    out = Report("T", provenance={}).add_table(frame, "c").render()
    assert _cells(out) == [
        ["A", "722", "61", "87.9", "0.391", "&lt;0.001"],
        ["B", "718", "22", "96.0", "1.000", "0.031"],  # one P format: three decimals
        ["C", "5", "NA", "100.0", "0.240", "0.457"],
    ]


def test_table_explicit_formats_and_index():
    frame = pd.DataFrame({"hr": [0.3912, 0.5], "share": [0.25, 0.5], "n": [3, 4]}, index=["x", "y"])
    frame.index.name = "arm"
    out = Report("T", provenance={}).add_table(frame, "c", number_format=".2f").render()
    assert _cells(out) == [["x", "0.39", "0.25", "3"], ["y", "0.50", "0.50", "4"]]
    out = Report("T", provenance={}).add_table(
        frame, "c", number_format={"share": "{:.0%}", "hr": lambda v: f"HR={v:.1f}"}).render()
    assert _cells(out) == [["x", "HR=0.4", "25%", "3"], ["y", "HR=0.5", "50%", "4"]]
    with pytest.raises(InputError, match="not in the table"):
        Report("T", provenance={}).add_table(frame, "c", number_format={"nope": ".1f"})
    with pytest.raises(InputError, match="not a valid format"):
        Report("T", provenance={}).add_table(frame, "c", number_format=".2q")


def test_table_from_polars():
    pl = pytest.importorskip("polars")
    out = Report("T", provenance={}).add_table(pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "c").render()
    assert _cells(out) == [["1", "x"], ["2", "y"]]


def _small_report() -> Report:
    fig = Figure(figsize=(3, 2))
    fig.add_subplot().plot([0, 1], [1, 0])
    r = Report("Small", provenance={"seed": 1})
    r.add_section("S", text="t").add_figure(fig, "line", name="line")
    r.add_table(pd.DataFrame({"x": [0.1234567891234, 2.0]}), "tab", csv_name="tab")
    return r


def test_write_outputs(tmp_path):
    files = _small_report().write(tmp_path / "out")
    names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert names == [".survtrial-output", "figures/line.png", "figures/line.svg", "report.html", "tables/tab.csv"]
    assert files.html == tmp_path / "out" / "report.html"
    assert pd.read_csv(tmp_path / "out" / "tables" / "tab.csv")["x"].tolist() == [0.1234567891234, 2.0]
    assert (tmp_path / "out" / "figures" / "line.png").read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary directories left


def test_write_is_atomic(tmp_path, monkeypatch):
    calls = []
    real = html_module._write_file

    def failing(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full (simulated)")
        real(path, data)

    monkeypatch.setattr(html_module, "_write_file", failing)
    with pytest.raises(OSError, match="simulated"):
        _small_report().write(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # neither the report nor a partial directory
    # replacing an existing report: a failure leaves the old one untouched
    monkeypatch.setattr(html_module, "_write_file", real)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.html").write_text("previous")
    calls.clear()
    monkeypatch.setattr(html_module, "_write_file", failing)
    with pytest.raises(OSError):
        _small_report().write(tmp_path / "old", overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["old"]
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["report.html"]
    assert (tmp_path / "old" / "report.html").read_text() == "previous"


def test_write_refuses_to_clobber_and_overwrites_on_request(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="overwrite=True"):
        _small_report().write(tmp_path / "out")
    # a folder holding files survtrial did not write is not replaced, even on request
    with pytest.raises(InputError, match=r"holds files survtrial did not write \('keep.txt'\)"):
        _small_report().write(tmp_path / "out", overwrite=True)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]
    (tmp_path / "out" / "keep.txt").unlink()
    _small_report().write(tmp_path / "out")
    _small_report().write(tmp_path / "out", overwrite=True, html_name="index")  # survtrial's own output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".survtrial-output", "figures", "index.html",
                                                                    "tables"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    (tmp_path / "old").mkdir()  # a report written without the marker: only names the new one replaces
    (tmp_path / "old" / "report.html").write_text("previous")
    _small_report().write(tmp_path / "old", overwrite=True)
    assert "previous" not in (tmp_path / "old" / "report.html").read_text()
    _small_report().write(tmp_path / "empty")  # an empty directory is fine


def test_names_and_arguments_are_validated():
    r = _small_report()
    with pytest.raises(InputError, match="already used"):
        r.add_figure(Figure(), "again", name="line")
    with pytest.raises(InputError, match="already used"):
        r.add_table(pd.DataFrame({"a": [1]}), "again", csv_name="tab.csv")
    with pytest.raises(InputError, match="matplotlib Figure"):
        r.add_figure("not a figure", "x", name="x")
    with pytest.raises(InputError, match="kind"):
        r.add_callout("x", kind="danger")
    with pytest.raises(InputError, match="letter or digit"):
        r.add_table(pd.DataFrame({"a": [1]}), "x", csv_name="../..")
    r.add_figure(Figure(), "slug", name="km DFS/SR-Avg")
    assert 'id="figure-km_DFS_SR-Avg"' in r.render()


def test_repr_and_jupyter_html():
    r = _small_report()
    assert repr(r) == "Report('Small': 1 section(s), 1 figure(s), 1 table(s))"
    frame = r._repr_html_()
    assert frame.startswith('<iframe sandbox="" srcdoc="') and "<script" not in frame
