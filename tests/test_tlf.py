"""Submission-ready outputs: RTF (rtflite) and Word (python-docx) files read back hold the numbers of the
HTML report (analysis) and of ``to_frame()`` (design), with the TLF conventions (title, population line,
method and data-cut footnotes, page numbers) and the figures embedded."""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

import docx
import pandas as pd
import pytest
from typer.testing import CliRunner

import survtrial as st
from survtrial.cli import app
from survtrial.design.plan import plan_trial
from survtrial.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def rtf_cells(text: str) -> list[str]:
    """The text of every table cell of an RTF file, in order (a small reader of RTF's cell groups:
    ``{\\f0 text}\\cell``, with ``\\uN*`` characters, ``\\line`` breaks and escaped braces)."""
    out = []
    for raw in re.findall(r"\{\\f\d+ ?((?:[^{}\\]|\\[^c]|\\c(?!ell))*)\}\\cell", text):
        s = re.sub(r"\\uc1", "", raw)
        s = re.sub(r"\\u(-?\d+)\*?", lambda m: chr(int(m.group(1)) % 65536), s)
        s = s.replace("\\line ", "\n").replace("\\line", "\n").replace("\\{", "{").replace("\\}", "}")
        out.append(s.replace("\\\\", "\\").strip())
    return out


def html_tables(page: str) -> list[list[list[str]]]:
    """Header and body cells of every report table of an HTML report, as text."""
    tables = []
    for body in re.findall(r'<table class="report-table"[^>]*>(.*?)</table>', page, flags=re.S):
        rows = []
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
            rows.append([unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)])
        tables.append(rows)
    return tables


def docx_tables(path: Path) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in docx.Document(str(path)).tables]


@pytest.fixture(scope="module")
def analysis():
    trial = pd.read_csv(ROOT / "examples" / "trial.csv")
    return st.analyze_table(trial, time="months", event="relapse", group="arm", endpoint_name="RFS",
                            landmark="2y")


def test_analysis_rtf_and_docx_hold_the_html_reports_cells(analysis, tmp_path):
    html = html_tables(analysis.report.render())
    assert len(html) >= 5
    rtf_path = analysis.to_rtf(tmp_path / "t.rtf", data_cut="2024-06-30")
    docx_path = analysis.to_docx(tmp_path / "t.docx", data_cut="2024-06-30")
    # Word: the same tables, cell for cell
    assert docx_tables(docx_path) == html
    # RTF: each table's cells appear consecutively, in the same order
    cells = rtf_cells(rtf_path.read_text(encoding="utf-8"))
    pos = 0
    for table in html:
        flat = [c for row in table for c in row]
        for k in range(pos, len(cells) - len(flat) + 1):
            if cells[k:k + len(flat)] == flat:
                pos = k + len(flat)
                break
        else:
            raise AssertionError(f"table {table[0]} not found in the RTF")
    # the numbers are the analysis' own: hazard ratio and CI of the Cox fit (R coxph: 0.752, 0.482-1.174)
    hr, lo, hi = analysis.analysis.primary.hazard_ratio
    assert (round(hr, 3), round(lo, 3), round(hi, 3)) == (0.752, 0.482, 1.174)
    shown = f"{hr:.2f} ({lo:.2f}\u2013{hi:.2f})"
    assert any(shown in c for c in cells) and any(shown in c for t in html for r in t for c in r)


def test_tlf_conventions_title_population_footnotes_pages_figures(analysis, tmp_path):
    n_figures = sum(1 for f in analysis.report._files if f.startswith("figures/") and f.endswith(".png"))
    assert n_figures >= 2
    d = docx.Document(str(analysis.to_docx(tmp_path / "t.docx", data_cut="2024-06-30")))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "Population: all randomized subjects analysed, N = 120 (placebo 60, drug 60)" in text
    assert "Data cut: 2024-06-30." in text and "Cox model (Efron ties)" in text and "Times in months." in text
    assert "Table 1. " in text and f"Figure {n_figures}. " in text
    header = d.sections[0].header._element.xml
    assert 'w:instr="PAGE"' in header and 'w:instr="NUMPAGES"' in header
    assert len(d.inline_shapes) == n_figures
    rtf = analysis.to_rtf(tmp_path / "t.rtf").read_text(encoding="utf-8")
    assert rtf.count("\\pngblip") == n_figures
    assert "\\chpgn" in rtf and "NUMPAGES" in rtf
    assert "Population: all randomized subjects analysed, N = 120" in rtf
    # without a stated data cut the footnote says so and gives the last follow-up
    assert "Data cut: not stated in the data; last follow-up 45.7 months" in rtf


def _plan():
    return plan_trial({"control_survival": "87.9%", "landmark_time": 3, "hazard_ratio": 0.6, "power": 0.9,
                       "looks": 3, "accrual_time": 5, "follow_up": 2, "time_unit": "years",
                       "title": "AALL1731-like superiority"})


def _close(text: str, value: float) -> bool:
    """``text`` is ``value`` as printed: equal within half a unit of its last printed digit."""
    if text == "NA":
        return value != value
    mantissa = text.split("e")[0]
    digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
    scale = 10 ** int(text.split("e")[1]) if "e" in text else 1
    return abs(float(text) - value) <= 0.5 * 10 ** -digits * scale * (1 + 1e-9)


def test_design_rtf_and_docx_hold_to_frame_numbers(tmp_path):
    plan = _plan()
    frame = plan.to_frame()
    for path in (plan.to_rtf(tmp_path / "d.rtf"), plan.to_docx(tmp_path / "d.docx")):
        if path.suffix == ".docx":
            tables = docx_tables(path)
            looks = tables[1]
            body = looks[1:]
        else:
            cells = rtf_cells(path.read_text(encoding="utf-8"))
            ncol = frame.shape[1]
            start = cells.index("Look")
            body = [cells[start + ncol * (i + 1): start + ncol * (i + 2)] for i in range(len(frame))]
        assert len(body) == len(frame)
        for i, row in enumerate(body):
            for text, value in zip(row, frame.iloc[i].tolist(), strict=True):
                assert _close(text, float(value)), (path.suffix, frame.columns.tolist(), row)
    # rpact getSampleSizeSurvival (README): 163.0 events and 1150.7 subjects
    assert docx_tables(tmp_path / "d.docx")[0][1:] and "1150.7" in [c for r in docx_tables(tmp_path / "d.docx")[0]
                                                                     for c in r]


def test_cli_format_writes_rtf_and_docx_atomically(tmp_path):
    out = tmp_path / "design"
    res = runner.invoke(app, ["design", "--title", "AALL1731-like", "--hr", "0.6", "--power", "0.9", "--looks", "3",
                              "--out", str(out), "--format", "rtf,docx"])
    assert res.exit_code == 0, res.output
    assert {"design.rtf", "design.docx", "boundaries.png"} <= {p.name for p in out.iterdir()}
    d = docx.Document(str(out / "design.docx"))
    assert len(d.inline_shapes) == 1  # the boundary plot
    assert "\\pngblip" in (out / "design.rtf").read_text(encoding="utf-8")
    # a bad format is refused before anything is written: exit 2, no folder
    bad = runner.invoke(app, ["design", "--looks", "3", "--out", str(tmp_path / "bad"), "--format", "pdf"])
    assert bad.exit_code == 2 and "--format 'pdf'" in bad.output and not (tmp_path / "bad").exists()
    assert runner.invoke(app, ["design", "--looks", "3", "--format", "rtf"]).exit_code == 2


def test_analyze_cli_format(tmp_path):
    out = tmp_path / "rep"
    res = runner.invoke(app, ["analyze", "--data", str(ROOT / "examples" / "trial.csv"), "--time", "months",
                              "--event", "relapse", "--group", "arm", "--endpoint-name", "RFS", "--out", str(out),
                              "--format", "docx", "--data-cut", "2024-06-30"])
    assert res.exit_code == 0, res.output
    assert (out / "report.docx").is_file() and not (out / "report.rtf").exists()
    html = html_tables((out / "report.html").read_text(encoding="utf-8"))
    assert docx_tables(out / "report.docx") == html


def test_existing_file_and_missing_library_are_input_errors(analysis, tmp_path, monkeypatch):
    path = tmp_path / "t.rtf"
    path.write_text("old")
    with pytest.raises(InputError, match="exists; pass"):
        analysis.to_rtf(path)
    assert path.read_text() == "old"
    monkeypatch.setitem(sys.modules, "rtflite", None)
    with pytest.raises(InputError, match=r"pip install 'survtrial\[tlf\]'"):
        analysis.to_rtf(tmp_path / "new.rtf")
    assert not (tmp_path / "new.rtf").exists()


def test_cli_refuses_a_format_whose_library_is_missing_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "docx", None)
    out = tmp_path / "rep"
    res = runner.invoke(app, ["analyze", "--data", str(ROOT / "examples" / "trial.csv"), "--time", "months",
                              "--event", "relapse", "--group", "arm", "--out", str(out), "--format", "docx"])
    assert res.exit_code == 2 and "python-docx" in res.output and not out.exists()
