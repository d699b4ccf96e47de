"""The self-contained HTML report: sections, tables, figures, callouts and a provenance block."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from survtrial._atomic import write_directory
from survtrial._tlf import Tlf, TlfFigure, TlfTable, write_docx, write_rtf
from survtrial.errors import InputError
from survtrial.report import _provenance
from survtrial.report._css import CSS
from survtrial.report._provenance import (
    PROVENANCE_LABELS,
    provenance,
    provenance_text,
    scenario_hash,
)
from survtrial.report._render import Drawing, render_figures
from survtrial.report._svg import inline_svg
from survtrial.report._tables import NumberFormat, table_cells, table_html, to_pandas

__all__ = ["Report", "ReportFiles", "provenance", "scenario_hash"]

WIDE_FIGURE_INCHES = 7.0

# No scripts, no network: only inline styles and data: images may load. Defence in depth on top
# of escaping every piece of user text.
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text)) if b.strip()]
    return "".join("<p>" + "<br>".join(escape(line) for line in b.splitlines()) + "</p>" for b in blocks)


def _safe_name(name: Any, role: str, suffix: str) -> str:
    """A plain file name from ``name``: runs of other characters than letters, digits, '.', '_'
    and '-' become '_' ("km DFS/SR-Avg" -> "km_DFS_SR-Avg"); ``suffix`` is added if missing."""
    text = str(name)
    if suffix and text.lower().endswith(suffix):
        text = text[: -len(suffix)]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    slug = re.sub(r"\.{2,}", ".", slug)[:100]
    if not slug:
        raise InputError(f"{role} {name!r}: needs at least one letter or digit (it becomes a file name)")
    return slug + suffix


@dataclass(frozen=True)
class ReportFiles:
    """Paths written by :meth:`Report.write`."""

    directory: Path
    html: Path
    figures: tuple[Path, ...]
    tables: tuple[Path, ...]

    def __repr__(self) -> str:
        return (
            f"ReportFiles({str(self.html)!r}, {len(self.figures)} figure file(s), "
            f"{len(self.tables)} table file(s))"
        )


@dataclass
class _Section:
    title: str | None
    anchor: str
    page_break: bool
    parts: list[Any]  # HTML strings and figure slots (str() gives their HTML once drawn)
    landscape: bool = False


class _FigureSlot:
    """A numbered figure's place in the page and in the RTF/Word items, filled once it is drawn."""

    __slots__ = ("caption", "html", "n", "section", "source", "stem", "tlf")

    def __init__(self, source: Any, stem: str, n: int, caption: str, section: _Section) -> None:
        self.source, self.stem, self.n, self.caption, self.section = source, stem, n, caption, section
        self.html: str | None = None
        self.tlf: TlfFigure | None = None

    def __str__(self) -> str:
        if self.html is None:
            raise InputError(f"figure {self.stem!r} is read before it is drawn (inside figure_batch())")
        return self.html


class Report:
    """A self-contained HTML report, built section by section and written atomically.

    Parameters
    ----------
    title : str
        Report title (``<h1>`` and the page title).
    subtitle : str, optional
    provenance : dict, optional
        Rows of the provenance block; usually :func:`provenance` (versions and time are filled
        in automatically if missing).
    banner : str, optional
        A line shown above the title, e.g. "CONFIDENTIAL - closed session of the DSMB".

    Notes
    -----
    Every piece of caller text (titles, captions, table cells and headers, notes, provenance
    values) is HTML-escaped; figures are inlined as SVG, the style sheet is embedded and a
    Content-Security-Policy forbids scripts and network loads, so the single file renders the
    same offline, in e-mail attachments and in print. Print CSS starts each section on a new
    page (``page_break``), keeps figures and table rows whole and repeats table headers.

    Examples
    --------
    >>> import pandas as pd
    >>> r = Report("Interim analysis", provenance=provenance(seed=1))
    >>> r = r.add_section("Primary endpoint", text="DFS by arm.")
    >>> r = r.add_table(pd.DataFrame({"arm": ["A", "B"], "events": [30, 12]}), "Events by arm")
    >>> "<td>A</td>" in r.render()
    True
    """

    def __init__(self, title: str, subtitle: str | None = None, provenance: dict[str, Any] | None = None,
                 *, banner: str | None = None) -> None:
        self.title = str(title)
        self.subtitle = None if subtitle is None else str(subtitle)
        self.banner = None if banner is None else str(banner)
        given = dict(provenance or {})
        auto = _provenance.provenance()
        self.provenance = {k: provenance_text(given[k]) if k in given else auto[k] for k in PROVENANCE_LABELS}
        self.provenance |= {str(k): provenance_text(v) for k, v in given.items() if k not in PROVENANCE_LABELS}
        self._sections: list[_Section] = [_Section(None, "preface", False, [])]
        self._files: dict[str, bytes] = {}
        self._n_figures = 0
        self._n_tables = 0
        self._tlf_items: list[Any] = []  # tables (cells as shown) and figures (PNG) for RTF/Word
        self._figure_names: set[str] = set()
        self._batch: list[_FigureSlot] | None = None  # figures added inside figure_batch(), not yet drawn

    def __repr__(self) -> str:
        n = sum(1 for s in self._sections if s.title is not None)
        return (
            f"Report({self.title!r}: {n} section(s), {self._n_figures} figure(s), "
            f"{self._n_tables} table(s))"
        )

    @property
    def _current(self) -> _Section:
        return self._sections[-1]

    def add_section(self, title: str, *, text: str | None = None, page_break: bool = True) -> Report:
        """Start a numbered section (a new printed page unless ``page_break=False``)."""
        n = sum(1 for s in self._sections if s.title is not None) + 1
        self._sections.append(_Section(str(title), f"section-{n}", page_break, []))
        if text:
            self.add_text(text)
        return self

    def add_heading(self, title: str) -> Report:
        """A sub-heading inside the current section."""
        self._current.parts.append(f"<h3>{escape(str(title))}</h3>")
        return self

    def add_text(self, text: str) -> Report:
        """Paragraphs of plain text (blank lines separate paragraphs); no markup is interpreted."""
        self._current.parts.append(_paragraphs(text))
        return self

    def add_callout(self, text: str, *, kind: str = "note", title: str | None = None) -> Report:
        """A highlighted box: ``kind`` "note", "warning" or "important"."""
        if kind not in ("note", "warning", "important"):
            raise InputError(f"add_callout kind: {kind!r} is not one of 'note', 'warning', 'important'")
        head = f'<p class="callout-title">{escape(str(title))}</p>' if title else ""
        role = ' role="note"' if kind == "note" else ' role="alert"'
        self._current.parts.append(f'<aside class="callout {kind}"{role}>{head}{_paragraphs(text)}</aside>')
        return self

    def add_note(self, text: str, *, title: str | None = None) -> Report:
        """A note callout (shorthand for ``add_callout(text, kind="note")``)."""
        return self.add_callout(text, kind="note", title=title)

    def add_table(self, frame: Any, caption: str, *, csv_name: str | None = None,
                  number_format: NumberFormat = None, data: Any = None) -> Report:
        """A numbered table from a pandas/polars frame; with ``csv_name`` also ``tables/<name>.csv``.

        ``data``: the frame written to the CSV when it is not the one shown (e.g. the analysis'
        frame at full precision with its column names, beside a table formatted for reading).

        ``number_format``: None (defaults: integers as is, P-value columns as "<0.001"/0.03,
        other floats with about three significant digits, one number of decimals per column),
        a format spec for all float columns (".2f" or "{:.1%}"), a function, or a mapping
        column -> spec/function. Missing values show as "NA". The CSV keeps full precision.
        """
        df = to_pandas(frame, "add_table frame")
        self._n_tables += 1
        n = self._n_tables
        links = ""
        table_id = f"table-{n}"
        if csv_name is not None:
            file = _safe_name(csv_name, "add_table csv_name", ".csv")
            rel = f"tables/{file}"
            if rel in self._files:
                raise InputError(f"add_table csv_name {csv_name!r}: already used by another table")
            raw = df if data is None else to_pandas(data, "add_table data")
            self._files[rel] = raw.to_csv(index=False, lineterminator="\n").encode("utf-8")
            links = f' <span class="downloads">[<a href="{escape(rel)}">CSV</a>]</span>'
            table_id = "table-" + file[: -len(".csv")]
        caption_html = f'<span class="label">Table {n}.</span> {escape(str(caption))}{links}'
        html = table_html(df, caption_html, table_id=table_id, number_format=number_format)
        self._tlf_items.append(TlfTable(f"Table {n}. {caption}", *table_cells(df, number_format)))
        self._current.parts.append(f'<div class="table-wrap">{html}</div>')
        return self

    def add_figure(self, fig: Any, caption: str, *, name: str) -> Report:
        """A numbered figure: inline SVG in the page, ``figures/<name>.png`` and ``.svg`` on write.

        ``fig``: a matplotlib Figure, or a function without arguments returning one. The figure is
        drawn now (later changes to ``fig`` do not show), or, inside :meth:`figure_batch`, when the
        batch ends; its SVG root gets ``id="figure-<name>"``.
        """
        stem = _safe_name(name, "add_figure name", "")
        if stem in self._figure_names:
            raise InputError(f"add_figure name {name!r}: already used by another figure")
        if not (hasattr(fig, "savefig") or callable(fig)):
            raise InputError(f"add_figure: expected a matplotlib Figure, got {type(fig).__name__}")
        self._figure_names.add(stem)
        self._n_figures += 1
        slot = _FigureSlot(fig, stem, self._n_figures, str(caption), self._current)
        self._current.parts.append(slot)
        self._tlf_items.append(slot)
        if self._batch is not None:
            self._batch.append(slot)
        else:
            self._place([slot], render_figures([fig], processes=1))
        return self

    @contextmanager
    def figure_batch(self, processes: int | None = None, *, prefetch: Sequence[Any] = ()) -> Iterator[Report]:
        """Figures added inside are drawn together when the block ends, on ``processes`` processes
        (default two on Linux with two cores, else one; see :mod:`survtrial.report._render`).

        ``prefetch``: figures (or functions building them) the block will add: a second process starts
        drawing them at once, while this one goes on adding tables; one of them not added is drawn
        for nothing. The report is the same byte for byte as with the figures drawn one by one; a
        figure given as a function is also built in the batch. Do not change a figure after adding it
        in a batch.
        """
        if self._batch is not None:  # nested: the outer batch draws them
            yield self
            return
        self._batch = []
        early = Drawing(prefetch, processes) if prefetch else None
        ok = False
        try:
            yield self
            ok = True
        finally:
            pending, self._batch = self._batch, None
            if not ok:
                if early is not None:
                    early.cancel()
            elif pending:
                position = {id(source): i for i, source in enumerate(prefetch)}
                ready = early.result() if early is not None else []
                late = [slot for slot in pending if id(slot.source) not in position]
                drawn_late = dict(zip(map(id, late), render_figures([x.source for x in late], processes),
                                      strict=True))
                self._place(pending, [ready[position[id(slot.source)]] if id(slot.source) in position
                                      else drawn_late[id(slot)] for slot in pending])
            elif early is not None:
                early.cancel()

    def _place(self, slots: Sequence[_FigureSlot], drawn: Sequence[tuple[bytes, bytes, float, float]]) -> None:
        """Put drawn figures where their slots stand: the page, the files, the RTF/Word items."""
        for slot, (svg, png, width, height) in zip(slots, drawn, strict=True):
            stem, n, caption = slot.stem, slot.n, slot.caption
            self._files[f"figures/{stem}.png"] = png
            self._files[f"figures/{stem}.svg"] = svg
            slot.tlf = TlfFigure(f"Figure {n}. {caption}", png, height_inches=6.5 * height / width)
            body = inline_svg(svg, element_id=f"figure-{stem}", label=f"Figure {n}. {caption}")
            links = (
                f' <span class="downloads">[<a href="figures/{stem}.png">PNG</a> '
                f'<a href="figures/{stem}.svg">SVG</a>]</span>'
            )
            # Figures wider than a portrait text block (e.g. forest plots) print on a landscape page.
            wide = " wide" if width > WIDE_FIGURE_INCHES else ""
            slot.section.landscape |= bool(wide)
            slot.html = (
                f'<figure class="report-figure{wide}">{body}<figcaption><span class="label">Figure {n}.</span> '
                f"{escape(caption)}{links}</figcaption></figure>"
            )
            slot.source = None  # the figure is no longer needed

    def _drawn(self) -> None:
        if self._batch:
            raise InputError("the report is read inside figure_batch(): its figures are drawn when the batch ends")

    def _provenance_html(self) -> str:
        rows = []
        for key, value in self.provenance.items():
            label = PROVENANCE_LABELS.get(key) or key[:1].upper() + key[1:].replace("_", " ")
            rows.append(f"<tr><th scope=\"row\">{escape(label)}</th><td>{escape(value)}</td></tr>")
        return f'<table class="provenance">{"".join(rows)}</table>'

    def render(self) -> str:
        """The complete HTML document as a string."""
        sections = [s for s in self._sections if s.title is not None]
        toc = "".join(
            f'<li><a href="#{s.anchor}">{escape(s.title or "")}</a></li>' for s in sections
        ) + '<li><a href="#provenance">Provenance</a></li>'
        self._drawn()
        parts = ["".join(map(str, self._sections[0].parts))]
        for i, s in enumerate(sections, start=1):
            cls = "report-section" + (" page-break" if s.page_break else "") + (" landscape" if s.landscape else "")
            parts.append(
                f'<section class="{cls}" id="{s.anchor}"><h2>{i}. {escape(s.title or "")}</h2>'
                f'{"".join(map(str, s.parts))}</section>'
            )
        parts.append(
            '<section class="report-section page-break" id="provenance"><h2>Provenance</h2>'
            f"{self._provenance_html()}</section>"
        )
        version = escape(self.provenance.get("survtrial", ""))
        banner = f'<p class="banner">{escape(self.banner)}</p>' if self.banner else ""
        subtitle = f'<p class="subtitle">{escape(self.subtitle)}</p>' if self.subtitle else ""
        generated = escape(self.provenance.get("generated", ""))
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="survtrial {version}">\n'
            f"<title>{escape(self.title)}</title>\n"
            '<link rel="icon" href="data:,">\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n"
            f'<header class="report-header">{banner}<h1>{escape(self.title)}</h1>{subtitle}'
            f'<p class="generated">Generated {generated} by survtrial {version}</p></header>\n'
            f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{toc}</ol></nav>\n'
            f"<main>\n{chr(10).join(parts)}\n</main>\n"
            f"<footer>{escape(self.title)} &middot; survtrial {version} &middot; {generated}</footer>\n"
            "</body>\n</html>\n"
        )

    def _repr_html_(self) -> str:
        return (
            f'<iframe sandbox="" srcdoc="{escape(self.render(), quote=True)}" '
            'style="width:100%;height:640px;border:1px solid #ddd"></iframe>'
        )

    def tlf(self, population: str, footnotes: Sequence[str] = ()) -> Tlf:
        """The report's tables (cells exactly as the HTML shows them) and figures as a TLF document:
        ``population`` under each title, ``footnotes`` (method, data cut) under each table or figure,
        and a source line (survtrial version and the time the report was generated)."""
        source = (f"Source: survtrial {self.provenance.get('survtrial', '')}, generated "
                  f"{self.provenance.get('generated', '')}")
        self._drawn()
        items = tuple(x.tlf if isinstance(x, _FigureSlot) else x for x in self._tlf_items)
        return Tlf(self.title, str(population), items, tuple(map(str, footnotes)), source)

    def to_rtf(self, path: str | os.PathLike[str], population: str, footnotes: Sequence[str] = (), *,
               overwrite: bool = False) -> Path:
        """Every table and figure as one RTF file (rtflite), TLF conventions; written atomically."""
        return write_rtf(self.tlf(population, footnotes), path, overwrite=overwrite, flag="to_rtf path")

    def to_docx(self, path: str | os.PathLike[str], population: str, footnotes: Sequence[str] = (), *,
                overwrite: bool = False) -> Path:
        """Every table and figure as one Word file (python-docx), TLF conventions; written atomically."""
        return write_docx(self.tlf(population, footnotes), path, overwrite=overwrite, flag="to_docx path")

    def write(self, out_dir: str | os.PathLike[str], html_name: str = "report.html", *,
              overwrite: bool = False, extra: Mapping[str, Callable[[Path], object]] | None = None) -> ReportFiles:
        """Write the HTML, ``figures/*.png|svg`` and ``tables/*.csv`` into ``out_dir``, atomically.

        Everything is written into a fresh directory next to ``out_dir`` and renamed into place
        at the end; on any error the partial directory is removed and an existing ``out_dir``
        is left as it was. A non-empty existing ``out_dir`` needs ``overwrite=True`` and is replaced
        only if survtrial wrote it (see :func:`survtrial._atomic.write_directory`). ``extra`` (file
        name -> function writing it, e.g. the RTF copy of the tables) is written into the same directory.
        """
        html_file = _safe_name(html_name, "write html_name", ".html")
        self._drawn()

        def fill(tmp: Path) -> None:
            for rel, data in self._files.items():
                _write_file(tmp / rel, data)
            _write_file(tmp / html_file, self.render().encode("utf-8"))
            for name, write in (extra or {}).items():
                write(tmp / _safe_name(name, "write extra", ""))

        out = write_directory(out_dir, fill, flag="write out_dir", overwrite=overwrite, parents=True)
        files = sorted(self._files)
        return ReportFiles(
            directory=out,
            html=out / html_file,
            figures=tuple(out / f for f in files if f.startswith("figures/")),
            tables=tuple(out / f for f in files if f.startswith("tables/")),
        )


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
