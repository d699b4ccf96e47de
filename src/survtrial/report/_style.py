"""Shared look of survtrial figures: palette, rc settings, frame checks, label escaping, export."""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import LayoutEngine
from matplotlib.ticker import FuncFormatter

from survtrial.errors import InputError

# Okabe & Ito (2008) colour-blind safe palette, ordered for contrast on white: blue, vermillion,
# bluish green, reddish purple, orange, sky blue, black (yellow is left out: too light on paper).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
)
# Line styles cycle alongside the colours so that curves stay distinguishable in greyscale print.
LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")

PNG_DPI = 150

#: Proportions labelled as percentages with as few decimals as the ticks need (0.025 -> "2.5").
PERCENT = FuncFormatter(lambda v, _: f"{round(100 * v, 6):g}")

RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Liberation Sans", "Arial", "Helvetica", "DejaVu Sans"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.0,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.edgecolor": "#222222",
    "axes.labelcolor": "#222222",
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.major.size": 3.5,
    "ytick.major.size": 3.5,
    "xtick.color": "#222222",
    "ytick.color": "#222222",
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "lines.linewidth": 1.6,
    "lines.solid_joinstyle": "miter",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",
    "svg.hashsalt": "survtrial",
    "mathtext.default": "regular",
}


@contextmanager
def style() -> Iterator[None]:
    """Apply survtrial's figure settings for the duration of a ``with`` block (no global change)."""
    with mpl.rc_context(RC):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free Figure with constrained layout; call inside ``style()``."""
    return Figure(figsize=(width, height), layout="constrained")


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def linestyle(i: int) -> str:
    return LINESTYLES[i % len(LINESTYLES)]


def plain(text: Any) -> str:
    """User text for a matplotlib label: ``$`` escaped so it is never parsed as mathtext."""
    return str(text).replace("$", r"\$")


def as_frame(frame: Any, required: Sequence[str], what: str) -> pd.DataFrame:
    """Return ``frame`` (pandas, polars or dict of columns) as pandas, checking required columns."""
    if isinstance(frame, pd.DataFrame):
        out = frame
    elif hasattr(frame, "to_pandas"):  # polars DataFrame
        out = frame.to_pandas()
    elif isinstance(frame, dict):
        out = pd.DataFrame(frame)
    else:
        raise InputError(
            f"{what}: expected a pandas or polars DataFrame, got {type(frame).__name__}"
        )
    cols = [str(c) for c in out.columns]
    missing = [c for c in required if c not in cols]
    if missing:
        raise InputError(
            f"{what}: missing column(s) {missing}; found {cols}. "
            f"Rename the columns or pass the frame produced by the matching to_frame()"
        )
    if len(out) == 0:
        raise InputError(f"{what}: the frame has no rows; nothing to plot")
    return out


def numeric(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    """Column ``name`` as float64; non-numeric values are an InputError naming the row."""
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    raw = frame[name].to_numpy()
    bad = np.flatnonzero(np.isnan(values) & pd.notna(raw))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{what}: column {name!r} row {i}: non-numeric value {raw[i]!r}; numbers expected"
        )
    return values


def levels_in_order(values: pd.Series) -> list[Any]:
    """Distinct values in categorical order if categorical, otherwise in order of appearance."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    return list(pd.unique(values.dropna()))


def format_p(p: float) -> str:
    """The report's one P-value format: ``<0.001``, else three decimals (``0.012``, ``0.500``), and
    ``>0.999`` at the top; empty for a missing value.

    Examples
    --------
    >>> [format_p(p) for p in (0.00004, 0.0123, 0.04951, 0.5, 0.99995)]
    ['<0.001', '0.012', '0.050', '0.500', '>0.999']
    """
    if p is None or not math.isfinite(p):
        return ""
    if p < 0.001:
        return "<0.001"
    if p > 0.999:
        return ">0.999"
    return f"{p:.3f}"


def p_phrase(p: float) -> str:
    """A P value in a sentence: ``P < 0.001``, ``P = 0.012``, ``P > 0.999`` (:func:`format_p`'s text).

    Examples
    --------
    >>> p_phrase(0.0004), p_phrase(0.0123)
    ('P < 0.001', 'P = 0.012')
    """
    text = format_p(p)
    if not text:
        return "P not available"
    return f"P {text[0]} {text[1:]}" if text[0] in "<>" else f"P = {text}"


def format_hr(hr: float, low: float | None = None, high: float | None = None) -> str:
    """A hazard ratio with two decimals, and its CI if given: ``0.39 (0.24\u20130.64)`` (an en dash);
    ``NE`` (not estimable) for a missing, zero or infinite ratio.

    Examples
    --------
    >>> format_hr(0.3912), format_hr(0.3912, 0.2401, 0.6402), format_hr(float("inf"))
    ('0.39', '0.39 (0.24\u20130.64)', 'NE')
    """
    if hr is None or not math.isfinite(hr) or hr <= 0:
        return "NE"
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return f"{hr:.2f}"
    return f"{hr:.2f} ({low:.2f}\u2013{high:.2f})"


def hr_phrase(hr: float, low: float, high: float, level: float = 0.95) -> str:
    """A hazard ratio in a sentence: ``0.39 (95% CI 0.24\u20130.64)`` (two decimals, :func:`format_hr`).

    Examples
    --------
    >>> hr_phrase(0.3912, 0.2401, 0.6402)
    '0.39 (95% CI 0.24\u20130.64)'
    """
    text = format_hr(hr, low, high)
    return text.replace("(", f"({100 * level:g}% CI ", 1) if "(" in text else text


def arm_colors(arms: Sequence[Any]) -> dict[str, str]:
    """One colour per arm, the same in every figure of a report: the reference (control) arm first
    (blue), the experimental arm second (vermillion), then the palette's order.

    Examples
    --------
    >>> arm_colors(["chemo", "blina"])
    {'chemo': '#0072B2', 'blina': '#D55E00'}
    """
    return {str(a): color(i) for i, a in enumerate(arms)}


def arm_gid(arm: Any, what: str, index: int = 0) -> str:
    """The SVG group id of an artist drawn for ``arm`` (``arm-<slug>-<what>-<index>``), so that a
    check can find every mark of an arm in a figure and read its colour."""
    slug = "".join(ch if ch.isalnum() else "_" for ch in str(arm))
    return f"arm-{slug}-{what}-{index}"


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render ``fig`` as PNG (150 dpi) or SVG (text kept as text, deterministic ids) bytes."""
    buf = io.BytesIO()
    # Generic font families resolve at draw time, so the style applies while saving too.
    with style():
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
        elif fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None})
        else:
            raise InputError(f"figure format {fmt!r} is not supported; use 'png' or 'svg'")
    return buf.getvalue()


class _LayoutOnce(LayoutEngine):
    """A figure's layout engine run at its first ``execute`` only: ``savefig`` draws a figure with a
    layout engine twice (a layout pass, then the drawing, each executing the engine), and the second
    execution finds the positions the first one set."""

    def __init__(self, engine: LayoutEngine) -> None:
        self._engine = engine
        self._adjust_compatible = engine.adjust_compatible
        self._colorbar_gridspec = engine.colorbar_gridspec
        self._done = False
        super().__init__()

    def execute(self, fig: Any) -> None:
        if not self._done:
            self._done = True
            self._engine.execute(fig)

    def set(self, **kwargs: Any) -> None:
        self._engine.set(**kwargs)

    def get(self) -> dict[str, Any]:
        return self._engine.get()


def figure_svg_png(fig: Figure) -> tuple[bytes, bytes]:
    """``(figure_bytes(fig, "svg"), figure_bytes(fig, "png"))`` with the layout solved once.

    The layout (constrained or tight) is solved for the SVG and the PNG reuses it: sizes are in
    inches, so it does not depend on the resolution. Without this, each ``savefig`` solves it twice
    and the PNG's would find it unchanged; the bytes are the same either way, in about 80% of the
    time. The figure keeps its layout engine afterwards.
    """
    engine = fig.get_layout_engine()
    if engine is None:
        return figure_bytes(fig, "svg"), figure_bytes(fig, "png")
    fig.set_layout_engine(_LayoutOnce(engine))
    try:
        svg = figure_bytes(fig, "svg")
        with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)  # no engine: savefig skips its layout pass
        png = figure_bytes(fig, "png")
    finally:
        fig.set_layout_engine(engine)
    return svg, png


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_figure(fig: Figure, path_stem: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Save ``fig`` as ``<path_stem>.png`` (150 dpi) and ``<path_stem>.svg``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, e.g. from :func:`km_plot`.
    path_stem : str or path
        Target path without extension; the parent directory is created if needed.

    Returns
    -------
    (png_path, svg_path) : tuple of Path

    Notes
    -----
    Each file is written to a temporary name and renamed when complete, so a failure never
    leaves a truncated image. SVG text stays text (``svg.fonttype='none'``: editable in
    vector-graphics software) and element ids are deterministic.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(); _ = fig.add_subplot().plot([0, 1], [1, 0])
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in save_figure(fig, d / "line")]
    ['line.png', 'line.svg']
    """
    stem = Path(path_stem)
    if stem.suffix.lower() in {".png", ".svg"}:
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_name(stem.name + ".png")
    svg = stem.with_name(stem.name + ".svg")
    _write_atomic(png, figure_bytes(fig, "png"))
    _write_atomic(svg, figure_bytes(fig, "svg"))
    return png, svg


def step_vertices(x: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
    """The steps' vertices where a value changes, with the first and the last: a right-continuous
    step drawn through them is the same picture. A Kaplan-Meier or cumulative incidence frame holds a
    row at every time of the data (censorings, other causes' events), most of which change nothing;
    fewer vertices draw faster, make smaller SVGs, and let matplotlib snap the lines to pixels."""
    if x.size <= 2:
        return (x, *values)
    keep = np.zeros(x.size, dtype=bool)
    keep[0] = keep[-1] = True
    for v in values:
        same = (v[1:] == v[:-1]) | (np.isnan(v[1:]) & np.isnan(v[:-1]))
        keep[1:] |= ~same
    return tuple(a[keep] for a in (x, *values))
