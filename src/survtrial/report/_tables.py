"""Data frames to escaped HTML tables, with column-wise number formatting."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from survtrial.errors import InputError
from survtrial.report._style import format_p

NumberFormat = str | Callable[[Any], str] | Mapping[str, str | Callable[[Any], str]] | None

#: Column names treated as P values by the default format ("<0.001", 2-3 decimals).
P_VALUE_NAMES = frozenset(
    {"p", "pvalue", "p_value", "p-value", "p value", "p.value", "p_interaction", "p_trend", "p_heterogeneity"}
)
MISSING = "NA"
_NUM = ' class="num"'


def to_pandas(frame: Any, what: str) -> pd.DataFrame:
    """A pandas copy of a pandas/polars frame or dict of columns, index kept as leading columns."""
    if isinstance(frame, pd.DataFrame):
        out = frame.copy()
    elif hasattr(frame, "to_pandas"):
        out = frame.to_pandas()
    elif isinstance(frame, Mapping):
        out = pd.DataFrame(dict(frame))
    else:
        raise InputError(f"{what}: expected a pandas or polars DataFrame, got {type(frame).__name__}")
    if not (isinstance(out.index, pd.RangeIndex) and out.index.start == 0 and out.index.step == 1):
        out = out.reset_index()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" / ".join(str(p) for p in c if str(p) != "") for c in out.columns]
    else:
        out.columns = [str(c) for c in out.columns]
    return out


def _is_missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _decimals(values: np.ndarray) -> int:
    """Decimals giving about three significant digits at the column's typical (median) size."""
    finite = np.abs(values[np.isfinite(values)])
    nonzero = finite[finite > 0]
    if nonzero.size == 0 or np.all(finite == np.round(finite)):
        return 0
    return int(min(4, max(0, 2 - math.floor(math.log10(float(np.median(nonzero)))))))


def _formatter(spec: str | Callable[[Any], str], column: str) -> Callable[[Any], str]:
    if callable(spec):
        return spec
    if not isinstance(spec, str):
        raise InputError(f"number_format for column {column!r}: expected a format string or a function")
    template = spec if "{" in spec else "{:" + spec + "}"
    try:
        template.format(1.5)
    except (ValueError, IndexError, KeyError) as err:
        raise InputError(f"number_format {spec!r} for column {column!r} is not a valid format: {err}") from None
    return template.format


def column_formatters(frame: pd.DataFrame, number_format: NumberFormat) -> dict[str, Callable[[Any], str]]:
    """One formatter per column: explicit ``number_format`` first, then the defaults."""
    explicit: Mapping[str, Any] = {}
    general = None
    if isinstance(number_format, Mapping):
        unknown = [c for c in number_format if c not in frame.columns]
        if unknown:
            raise InputError(f"number_format: columns {unknown} not in the table; found {list(frame.columns)}")
        explicit = number_format
    elif number_format is not None:
        general = number_format
    out: dict[str, Callable[[Any], str]] = {}
    for name in frame.columns:
        col = frame[name]
        if name in explicit:
            out[name] = _formatter(explicit[name], name)
        elif pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            out[name] = str
        elif name.strip().lower() in P_VALUE_NAMES:
            out[name] = lambda v: format_p(float(v))
        elif pd.api.types.is_integer_dtype(col):
            out[name] = lambda v: f"{int(v):d}"
        elif general is not None:
            out[name] = _formatter(general, name)
        else:
            d = _decimals(col.to_numpy(dtype=float))
            out[name] = lambda v, d=d: f"{float(v):.{d}f}"
    return out


#: Text cells that read as numbers (estimates with CIs, "<0.001", "NA"): right-aligned like numbers.
_PART = r"(?:NA|NE|to|[-+<>=\u2212\u2013\u00b1\d.,;%()\s])"
_NUMBER_TEXT = re.compile(rf"^{_PART}*\d{_PART}*$")


def is_numeric_column(col: pd.Series) -> bool:
    """Numbers, or text that reads as numbers in every non-empty cell (formatted estimates)."""
    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return True
    cells = [str(v) for v in col if not _is_missing(v) and str(v) not in ("", "NA", "NE", "reference")]
    return all(_NUMBER_TEXT.match(c) for c in cells)  # an all-missing column aligns as numbers


def table_cells(frame: pd.DataFrame,
                number_format: NumberFormat) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Headers and cells of ``frame`` as text, exactly as :func:`table_html` shows them (for RTF and Word)."""
    formats = column_formatters(frame, number_format)
    rows = tuple(tuple(MISSING if _is_missing(v) else formats[c](v) for c, v in zip(frame.columns, row, strict=True))
                 for row in frame.itertuples(index=False, name=None))
    return tuple(str(c) for c in frame.columns), rows


def table_html(frame: pd.DataFrame, caption_html: str, *, table_id: str, number_format: NumberFormat) -> str:
    """Render ``frame`` as an HTML table; every header and cell is escaped."""
    formats = column_formatters(frame, number_format)
    numeric = {c: is_numeric_column(frame[c]) for c in frame.columns}
    head = "".join(
        f'<th scope="col"{_NUM if numeric[c] else ""}>{escape(c)}</th>' for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(frame.columns, row, strict=True):
            if _is_missing(v):
                cells.append(f'<td class="na{" num" if numeric[c] else ""}">{MISSING}</td>')
                continue
            cells.append(f"<td{_NUM if numeric[c] else ''}>{escape(formats[c](v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="report-table" id="{escape(table_id)}">'
        f"<caption>{caption_html}</caption>"
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
