"""Notebook display for every result: its short repr, its frame as a compact HTML table, a small figure."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas is imported lazily, only when a notebook asks for the HTML
    import pandas as pd

__all__ = ["MAX_ROWS", "HtmlReprMixin", "format_cell", "frame_html", "result_html", "step_svg"]

#: Frames longer than this show their first and last ``MAX_ROWS // 2`` rows and say how many are hidden.
MAX_ROWS = 20

_STYLE = (
    "<style>.survtrial-result table{border-collapse:collapse;font-size:12px;margin:4px 0}"
    ".survtrial-result th,.survtrial-result td{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}"
    ".survtrial-result th{background:#f3f3f3}.survtrial-result caption{text-align:left;font-weight:600}"
    ".survtrial-result pre{margin:2px 0;font-size:12px}</style>"
)
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def format_cell(value: Any) -> str:
    """One cell as the HTML table shows it: floats to 6 significant digits (``f"{x:.6g}"``),
    NaN as ``NA``, integers and text as they are (text HTML-escaped).

    Examples
    --------
    >>> [format_cell(v) for v in (0.123456789, 3, float("nan"), "a<b")]
    ['0.123457', '3', 'NA', 'a&lt;b']
    """
    if value is None:
        return "NA"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        return "NA" if math.isnan(v) else f"{v:.6g}"
    import pandas as pd

    if value is pd.NA or value is pd.NaT:
        return "NA"
    return html.escape(str(value))


def shown_rows(n: int) -> list[int]:
    """Positions of the rows the table shows: all of them up to :data:`MAX_ROWS`, else the first and
    last ``MAX_ROWS // 2``."""
    if n <= MAX_ROWS:
        return list(range(n))
    half = MAX_ROWS // 2
    return [*range(half), *range(n - half, n)]


def frame_html(frame: pd.DataFrame, caption: str = "") -> str:
    """A compact HTML table of ``frame`` (no index unless it is named; long frames shortened)."""
    f = frame.reset_index() if any(name is not None for name in frame.index.names) else frame
    cols = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in f.columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    rows = shown_rows(len(f))
    body: list[str] = []
    values = f.to_numpy(dtype=object)
    for k, i in enumerate(rows):
        if k and i != rows[k - 1] + 1:
            hidden = i - rows[k - 1] - 1
            body.append(f'<tr><td colspan="{len(cols)}" style="text-align:center">&hellip; '
                        f"{hidden} more rows &hellip;</td></tr>")
        body.append("<tr>" + "".join(f"<td>{format_cell(v)}</td>" for v in values[i]) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    size = f"<div style='font-size:11px;color:#555'>{len(f)} rows &times; {len(cols)} columns</div>" \
        if len(rows) < len(f) else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{size}"


def step_svg(curves: Sequence[tuple[str, Sequence[float], Sequence[float]]], *, ylabel: str,
             start: float | None = 1.0, ylim: tuple[float, float] | None = (0.0, 1.0),
             step: bool = True, xlabel: str = "time") -> str:
    """A small inline SVG of step (or line) curves, one per ``(label, x, y)``; drawn by hand, so a
    notebook shows it without importing matplotlib. ``start`` prepends the point (0, start) to each
    step curve (1 for survival, 0 for incidence)."""
    width, height, left, right, top, bottom = 360, 200, 44, 110, 10, 30
    prepared = []
    for label, x, y in curves:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        if step and start is not None:
            x, y = np.r_[0.0, x], np.r_[start, y]
        prepared.append((label, x, y))
    xs = np.concatenate([p[1] for p in prepared]) if prepared else np.array([0.0, 1.0])
    ys = np.concatenate([p[2] for p in prepared]) if prepared else np.array([0.0, 1.0])
    x0, x1 = (0.0 if step else float(xs.min(initial=0.0))), float(xs.max(initial=1.0))
    y0, y1 = ylim if ylim is not None else (float(ys.min(initial=0.0)), float(ys.max(initial=1.0)))
    x1 = x1 if x1 > x0 else x0 + 1.0
    y1 = y1 if y1 > y0 else y0 + 1.0

    def px(v: np.ndarray) -> np.ndarray:
        return left + (v - x0) / (x1 - x0) * (width - left - right)

    def py(v: np.ndarray) -> np.ndarray:
        return top + (y1 - v) / (y1 - y0) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(ylabel)}">',
             f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
             'fill="none" stroke="#999"/>']
    for v in (y0, y1):
        parts.append(f'<text x="{left - 4}" y="{py(np.array(v)) + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{v:.3g}</text>')
    for v in (x0, x1):
        parts.append(f'<text x="{px(np.array(v)):.1f}" y="{height - bottom + 12}" font-size="10" '
                     f'text-anchor="middle">{v:.4g}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 4}" font-size="10" '
                 f'text-anchor="middle">{html.escape(xlabel)}</text>')
    parts.append(f'<text x="10" y="{(top + height - bottom) / 2}" font-size="10" text-anchor="middle" '
                 f'transform="rotate(-90 10 {(top + height - bottom) / 2})">{html.escape(ylabel)}</text>')
    for k, (label, x, y) in enumerate(prepared):
        if x.size == 0:
            continue
        if step:  # horizontal then vertical: the curve holds its value until the next time
            xx = np.repeat(x, 2)[1:]
            yy = np.repeat(y, 2)[:-1]
        else:
            xx, yy = x, y
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(xx), py(yy), strict=True))
        colour = _COLOURS[k % len(_COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{pts}"/>')
        parts.append(f'<text x="{width - right + 6}" y="{top + 12 + 14 * k}" font-size="10" '
                     f'fill="{colour}">{html.escape(str(label))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _repr_lines(obj: Any) -> list[str]:
    """The object's own repr as lines, or only its class name when the repr is a long generated one."""
    text = repr(obj)
    lines = text.splitlines()
    if not lines or len(lines) > 15 or max(len(s) for s in lines) > 200:
        return [type(obj).__name__]
    return lines


def result_html(obj: Any, tables: dict[str, pd.DataFrame], figure: str = "",
                lines: Sequence[str] | None = None) -> str:
    """The HTML of one result: its repr's lines (the first bold), each table, and the figure."""
    lines = list(lines) if lines is not None else _repr_lines(obj)
    head = f"<div><b>{html.escape(lines[0])}</b></div>" if lines else ""
    rest = f"<pre>{html.escape(chr(10).join(lines[1:]))}</pre>" if len(lines) > 1 else ""
    body = "".join(frame_html(frame, caption) for caption, frame in tables.items())
    fig = f"<div>{figure}</div>" if figure else ""
    return f'<div class="survtrial-result">{_STYLE}{head}{rest}{body}{fig}</div>'


class HtmlReprMixin:
    """Gives a result ``_repr_html_`` for notebooks: its short repr, the frame(s) of
    :meth:`_html_tables` (by default ``{"": self.to_frame()}``, so the table shows the numbers of
    ``to_frame()``) and, where one belongs, the small SVG of :meth:`_html_figure`."""

    __slots__ = ()

    def _html_tables(self) -> dict[str, pd.DataFrame]:
        """The frames the HTML shows, by caption."""
        return {"": self.to_frame()}  # type: ignore[attr-defined]

    def _html_figure(self) -> str:
        """An inline SVG, or "" for none."""
        return ""

    def _html_lines(self) -> list[str] | None:
        """Text lines above the tables (default: the repr's lines)."""
        return None

    def _repr_html_(self) -> str:
        return result_html(self, self._html_tables(), self._html_figure(), self._html_lines())
