"""Submission-ready tables and figures (TLF conventions) as RTF (rtflite) and Word (python-docx) files.

A :class:`Tlf` is a titled list of tables (cells as text, as the HTML report shows them) and figures
(PNG); every table and figure gets its own page with the document title, the item's numbered title,
the population line, then the table or figure, the footnotes (method, data cut) and a source line;
every page is numbered "Page x of y". Files are written atomically (:func:`survtrial._atomic.write_file`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from survtrial._atomic import write_file
from survtrial.errors import InputError

__all__ = ["Tlf", "TlfFigure", "TlfTable", "frame_cells", "write_docx", "write_rtf"]


@dataclass(frozen=True)
class TlfTable:
    """One table: its numbered title, column headers and rows of cells as text."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class TlfFigure:
    """One figure: its numbered title and PNG bytes."""

    title: str
    png: bytes
    width_inches: float = 6.5
    height_inches: float = 4.0


@dataclass(frozen=True)
class Tlf:
    """A document of tables and figures with the TLF conventions' title, population and footnotes."""

    title: str
    population: str
    items: tuple[TlfTable | TlfFigure, ...]
    footnotes: tuple[str, ...] = field(default=())
    source: str = ""

    @property
    def tables(self) -> list[TlfTable]:
        return [i for i in self.items if isinstance(i, TlfTable)]

    @property
    def figures(self) -> list[TlfFigure]:
        return [i for i in self.items if isinstance(i, TlfFigure)]


def frame_cells(frame: Any, formats: dict[str, Any] | None = None, missing: str = "NA") -> tuple[
        tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Headers and cells of a pandas frame as text (``formats``: column -> function; else ``str``)."""
    import pandas as pd

    formats = formats or {}
    cols = tuple(str(c) for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(frame.columns, row, strict=True):
            if v is None or (not isinstance(v, str) and bool(pd.isna(v))):
                cells.append(missing)
            else:
                cells.append(str(formats[c](v)) if c in formats else str(v))
        rows.append(tuple(cells))
    return cols, tuple(rows)


def _need(module: str, package: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(f"{what} output needs the {package} package: pip install 'survtrial[tlf]' "
                         f"(or pip install {package})") from None


def _rtf_document(tlf: Tlf, item: TlfTable | TlfFigure, folder: Path, k: int) -> Any:
    rtf = _need("rtflite", "rtflite", "RTF")
    pl = _need("polars", "polars", "RTF")
    title = rtf.RTFTitle(text=[tlf.title, item.title, tlf.population])
    header = rtf.RTFPageHeader()  # "Page x of y", right-aligned, on every page
    notes = list(tlf.footnotes)
    source = rtf.RTFSource(text=[tlf.source]) if tlf.source else None
    if isinstance(item, TlfTable):
        names = [f"c{j}" for j in range(len(item.columns))]  # headers may repeat; rtflite needs unique names
        df = pl.DataFrame({n: [r[j] for r in item.rows] for j, n in enumerate(names)},
                          schema=dict.fromkeys(names, pl.String))
        widths = [max(4, min(30, max([len(item.columns[j]), *(len(r[j]) for r in item.rows)])))
                  for j in range(len(names))]
        return rtf.RTFDocument(
            df=df, rtf_page_header=header, rtf_title=title,
            rtf_column_header=[rtf.RTFColumnHeader(text=list(item.columns), col_rel_width=widths)],
            rtf_body=rtf.RTFBody(col_rel_width=widths, text_justification=[["l"] + ["c"] * (len(names) - 1)]),
            rtf_footnote=rtf.RTFFootnote(text=notes) if notes else None, rtf_source=source)
    png = folder / f"figure-{k}.png"
    png.write_bytes(item.png)
    return rtf.RTFDocument(
        rtf_page_header=header, rtf_title=title,
        rtf_figure=rtf.RTFFigure(figures=str(png), fig_width=item.width_inches, fig_height=item.height_inches),
        rtf_footnote=rtf.RTFFootnote(text=notes, as_table=False) if notes else None,
        rtf_source=rtf.RTFSource(text=[tlf.source], as_table=False) if tlf.source else None)


def _fill_rtf(tlf: Tlf, target: Path) -> None:
    rtf = _need("rtflite", "rtflite", "RTF")
    if not tlf.items:
        raise InputError("RTF output: the document has no table or figure")
    with tempfile.TemporaryDirectory(prefix="survtrial-rtf-") as tmp:
        folder = Path(tmp)
        parts = []
        for k, item in enumerate(tlf.items):
            part = folder / f"part-{k}.rtf"
            part.write_text(_rtf_document(tlf, item, folder, k).rtf_encode(), encoding="utf-8")
            parts.append(str(part))
        if len(parts) == 1:
            target.write_bytes(Path(parts[0]).read_bytes())
        else:
            rtf.assemble_rtf(parts, str(target))


def write_rtf(tlf: Tlf, path: str | os.PathLike[str], *, overwrite: bool = False, flag: str = "path") -> Path:
    """Write ``tlf`` as one RTF file (one page or more per table and figure), atomically."""
    _need("rtflite", "rtflite", "RTF")
    return write_file(path, lambda p: _fill_rtf(tlf, p), flag=flag, overwrite=overwrite)


def _page_number_field(paragraph: Any, code: str) -> None:
    """Append a Word field (PAGE or NUMPAGES) to ``paragraph``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), code)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _fill_docx(tlf: Tlf, target: Path) -> None:
    docx = _need("docx", "python-docx", "Word")
    from io import BytesIO

    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt

    if not tlf.items:
        raise InputError("Word output: the document has no table or figure")
    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(10)
    header = doc.sections[0].header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header.add_run("Page ")
    _page_number_field(header, "PAGE")
    header.add_run(" of ")
    _page_number_field(header, "NUMPAGES")
    for k, item in enumerate(tlf.items):
        if k:
            doc.add_page_break()
        for text, bold in ((tlf.title, True), (item.title, True), (tlf.population, False)):
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(text).bold = bold
        if isinstance(item, TlfTable):
            table = doc.add_table(rows=1 + len(item.rows), cols=len(item.columns))
            table.style = "Table Grid"
            for j, c in enumerate(item.columns):
                cell = table.rows[0].cells[j]
                cell.text = c
                cell.paragraphs[0].runs[0].bold = True
            for i, row in enumerate(item.rows, start=1):
                for j, v in enumerate(row):
                    table.rows[i].cells[j].text = v
        else:
            doc.add_picture(BytesIO(item.png), width=Inches(item.width_inches))
        for note in tlf.footnotes:
            doc.add_paragraph(note).runs[0].font.size = Pt(9)
        if tlf.source:
            doc.add_paragraph(tlf.source).runs[0].font.size = Pt(8)
    doc.save(str(target))


def write_docx(tlf: Tlf, path: str | os.PathLike[str], *, overwrite: bool = False, flag: str = "path") -> Path:
    """Write ``tlf`` as one Word file (a page or more per table and figure), atomically."""
    _need("docx", "python-docx", "Word")
    return write_file(path, lambda p: _fill_docx(tlf, p), flag=flag, overwrite=overwrite)


def tlf_writer(kind: str) -> Any:
    """The writer for ``kind`` "rtf" or "docx" (InputError naming the choices otherwise)."""
    writers = {"rtf": write_rtf, "docx": write_docx}
    if kind not in writers:
        raise InputError(f"--format {kind!r}: choose html, rtf or docx")
    return writers[kind]


def fill(tlf: Tlf, kind: str) -> Any:
    """A function writing ``tlf`` as ``kind`` to a path (for a directory written atomically as a whole)."""
    tlf_writer(kind)
    return (lambda p: _fill_rtf(tlf, Path(p))) if kind == "rtf" else (lambda p: _fill_docx(tlf, Path(p)))


def require(kind: str) -> None:
    """Raise InputError now (before any work) when the library that writes ``kind`` is missing."""
    if kind == "rtf":
        _need("rtflite", "rtflite", "RTF")
    elif kind == "docx":
        _need("docx", "python-docx", "Word")


def parse_formats(values: Sequence[str] | None) -> list[str]:
    """``--format`` values (repeated or comma-separated) as a list of 'html', 'rtf', 'docx'.

    Examples
    --------
    >>> parse_formats(["rtf,docx", "RTF"]), parse_formats(None)
    (['rtf', 'docx'], ['html'])
    """
    out: list[str] = []
    for v in values or ["html"]:
        for f in (x.strip().lower() for x in str(v).split(",")):
            if not f:
                continue
            if f not in ("html", "rtf", "docx"):
                raise InputError(f"--format {f!r}: choose html, rtf or docx (repeat or comma-separate)")
            if f not in out:
                require(f)
                out.append(f)
    return out
