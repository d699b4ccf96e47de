"""Forest plot of subgroup hazard ratios with counts, HR (95% CI) text and interaction P values."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import blended_transform_factory

from survtrial.errors import InputError
from survtrial.report._style import (
    as_frame,
    format_hr,
    format_p,
    levels_in_order,
    numeric,
    plain,
    style,
)

__all__ = ["FOREST_COLUMNS", "forest_plot"]

#: Columns of a subgroup-analysis frame: one row per subgroup level (plus an overall row).
FOREST_COLUMNS = ("subgroup", "level", "n", "events", "hr", "lower", "upper", "p_interaction")

_WHAT = "forest_plot frame"
_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
_ROW_IN = 0.24  # row height, inches
_CHAR_IN = 0.064  # average character width at 9 pt, inches
_INK = "#222222"


def _count_text(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return ""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return f"{v:.0f}" if v.is_integer() else f"{v:.1f}"


def _hr_text(hr: float, lo: float, hi: float) -> str:
    return format_hr(float(hr), float(lo), float(hi))


def _count_columns(frame: pd.DataFrame, count_columns: Any) -> list[tuple[str, str]]:
    if count_columns is None:
        out = [(c, h) for c, h in (("n", "No. of\npatients"), ("events", "Events")) if c in frame.columns]
        for c in frame.columns:
            m = re.fullmatch(r"events_(.+)", str(c))
            if m:
                out.append((str(c), f"Events,\n{m.group(1)}"))
        return out
    pairs = list(count_columns.items()) if isinstance(count_columns, Mapping) else [(c, c) for c in count_columns]
    missing = [c for c, _ in pairs if c not in frame.columns]
    if missing:
        raise InputError(f"forest_plot count_columns: {missing} not in the frame; found {list(frame.columns)}")
    return [(str(c), str(h)) for c, h in pairs]


def _rows(frame: pd.DataFrame, overall: str) -> list[dict[str, Any]]:
    """Display rows: overall first, then per subgroup a header row followed by its levels."""
    sub = frame["subgroup"].astype(str)
    is_overall = sub.str.casefold() == overall.casefold()
    rows = [{"kind": "overall", "label": str(frame.loc[i, "subgroup"]), "i": i} for i in frame.index[is_overall]]
    rest = frame.loc[~is_overall]
    for name in levels_in_order(rest["subgroup"]):
        part = rest.loc[rest["subgroup"] == name]
        p = pd.to_numeric(part["p_interaction"], errors="coerce").dropna()
        p_text = format_p(float(p.iloc[0])) if len(p) else ""
        levels = part["level"]
        if len(part) == 1 and (pd.isna(levels.iloc[0]) or str(levels.iloc[0]) == ""):
            rows.append({"kind": "level", "label": str(name), "i": part.index[0], "p": p_text, "indent": False})
            continue
        rows.append({"kind": "header", "label": str(name), "p": p_text})
        for i in part.index:
            rows.append({"kind": "level", "label": str(frame.loc[i, "level"]), "i": i, "indent": True})
    return rows


def _xlim(lower: np.ndarray, upper: np.ndarray, hr: np.ndarray) -> tuple[float, float]:
    lows = np.concatenate([lower[np.isfinite(lower)], hr[np.isfinite(hr)], [1.0]])
    highs = np.concatenate([upper[np.isfinite(upper)], hr[np.isfinite(hr)], [1.0]])
    lo = max([t for t in _TICKS if t <= max(lows.min(), _TICKS[0]) * 0.999] or [_TICKS[0]])
    hi = min([t for t in _TICKS if t >= min(highs.max(), _TICKS[-1]) * 1.001] or [_TICKS[-1]])
    return lo, hi


def forest_plot(
    frame: Any,
    *,
    overall: str = "Overall",
    size_by: str = "events",
    count_columns: Sequence[str] | Mapping[str, str] | None = None,
    favours: tuple[str, str] | None = ("Favours experimental", "Favours control"),
    xlim: tuple[float, float] | None = None,
    xlabel: str = "Hazard ratio (log scale)",
    title: str | None = None,
) -> Figure:
    """Forest plot: subgroup hazard ratios on a log axis with counts and interaction P values.

    Parameters
    ----------
    frame : pandas or polars DataFrame
        Columns ``subgroup, level, n, events, hr, lower, upper, p_interaction``; one row per
        subgroup level, in display order, plus optionally a row whose ``subgroup`` equals
        ``overall`` (drawn as a diamond at the top). ``p_interaction`` may repeat on every level
        of a subgroup or be given on one of them (the first non-missing value is shown).
        A missing ``hr`` is printed as "NE" (not estimable) without a marker.
    overall : str
        ``subgroup`` value of the overall row (case-insensitive).
    size_by : {"events", "inverse_variance"}
        Square area proportional to the row's events, or to 1/SE(log HR)^2 with the SE taken
        from the CI width.
    count_columns : sequence or mapping, optional
        Text columns left of the plot (mapping: column -> header). Default: ``n`` ("No. of
        patients"), ``events`` and any ``events_<arm>`` columns ("Events, <arm>").
    favours : (str, str) or None
        Direction labels under the axis, left and right of HR = 1.
    xlim : (float, float), optional
        HR axis range; default: round log ticks covering all CIs; CIs beyond it end in arrows.
    xlabel, title : str

    Returns
    -------
    matplotlib.figure.Figure
        One axes labelled "forest": squares (a PathCollection), CI segments (a LineCollection),
        the reference line at 1 and the overall diamond (a Polygon), text columns as text.

    Notes
    -----
    HR < 1 favours the experimental arm when hazard ratios are experimental vs control (the
    default direction labels say so). Text columns: labels and counts left of the plot,
    "HR (95% CI)" and "P for interaction" right of it, as in NEJM subgroup figures.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"subgroup": ["Overall", "Sex", "Sex"], "level": [None, "Male", "Female"],
    ...     "n": [100, 50, 50], "events": [30, 14, 16], "hr": [0.5, 0.45, 0.56],
    ...     "lower": [0.3, 0.2, 0.3], "upper": [0.8, 0.9, 1.1], "p_interaction": [None, 0.64, 0.64]})
    >>> ax = forest_plot(f).axes[0]
    >>> ax.get_label(), ax.get_xscale()
    ('forest', 'log')
    """
    df = as_frame(frame, ("subgroup", "level", "hr", "lower", "upper", "p_interaction"), _WHAT)
    df = df.reset_index(drop=True)
    hr, lower, upper = (numeric(df, c, _WHAT) for c in ("hr", "lower", "upper"))
    for i in range(len(df)):
        if np.isfinite(hr[i]) and not (hr[i] > 0):
            raise InputError(f"{_WHAT}: row {i}: hazard ratio {hr[i]!r} must be > 0")
        if np.isfinite(hr[i]) and np.isfinite(lower[i]) and np.isfinite(upper[i]) and not (
            0 < lower[i] <= hr[i] <= upper[i]
        ):
            raise InputError(
                f"{_WHAT}: row {i}: need 0 < lower <= hr <= upper, got {lower[i]}, {hr[i]}, {upper[i]}"
            )
    if size_by == "events":
        if "events" not in df.columns:
            raise InputError(f"{_WHAT}: size_by='events' needs an 'events' column; or use 'inverse_variance'")
        weight = numeric(df, "events", _WHAT)
    elif size_by == "inverse_variance":
        se = (np.log(upper) - np.log(lower)) / (2 * 1.959963984540054)
        weight = 1.0 / se**2
    else:
        raise InputError(f"forest_plot size_by: {size_by!r} is not 'events' or 'inverse_variance'")
    columns = _count_columns(df, count_columns)
    rows = _rows(df, overall)
    if xlim is None:
        xlo, xhi = _xlim(lower, upper, hr)
    elif len(xlim) != 2 or not 0 < xlim[0] < 1 < xlim[1]:
        raise InputError(f"forest_plot xlim: expected (low, high) with 0 < low < 1 < high, got {xlim!r}")
    else:
        xlo, xhi = float(xlim[0]), float(xlim[1])

    # Column geometry in inches, from the longest text in each column.
    label_w = _CHAR_IN * max(len(r["label"]) + (2 if r.get("indent") else 0) for r in rows) + 0.25
    col_w = [
        _CHAR_IN * max([len(s) for s in head.split("\n")] + [len(_count_text(v)) for v in df[c]]) + 0.2
        for c, head in columns
    ]
    plot_w = 2.6
    hr_w = _CHAR_IN * max([len("HR (95% CI)")] + [len(_hr_text(*v)) for v in zip(hr, lower, upper, strict=True)]) + 0.35
    p_w = _CHAR_IN * len("interaction") + 0.3
    width = label_w + sum(col_w) + plot_w + hr_w + p_w + 0.45
    top, bottom = 0.55, 0.85 if favours else 0.6
    height = top + bottom + _ROW_IN * len(rows) + (0.3 if title else 0.0)
    x_plot = 0.25 + label_w + sum(col_w)

    with style():
        fig = Figure(figsize=(width, height))
        ax = fig.add_axes((x_plot / width, bottom / height, plot_w / width, _ROW_IN * len(rows) / height))
        ax.set_label("forest")
        ax.set_xscale("log")
        ax.set_xlim(xlo, xhi)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.yaxis.set_major_locator(NullLocator())
        ax.yaxis.set_minor_locator(NullLocator())
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ticks = [t for t in _TICKS if xlo <= t <= xhi]
        if len(ticks) > 7:
            ticks = [t for t in ticks if t in (xlo, xhi) or math.log10(t).is_integer() or t in (0.5, 2.0)]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel(plain(xlabel))
        ax.axvline(1.0, color="#555555", linewidth=0.8, zorder=1)
        text_x = blended_transform_factory(fig.dpi_scale_trans, ax.transData)

        def put(x: float, y: float, s: str, **kw: Any) -> None:
            kw.setdefault("va", "center")
            ax.text(x, y, plain(s), transform=text_x, clip_on=False, color=_INK, **kw)

        head = {"fontweight": "bold", "va": "bottom", "linespacing": 1.1}
        head_y = -0.7
        put(0.1, head_y, "Subgroup", **head)
        x = 0.1 + label_w
        for (_, text), w in zip(columns, col_w, strict=True):
            x += w
            put(x - 0.1, head_y, text, ha="right", multialignment="right", **head)
        put(x_plot + plot_w + 0.15, head_y, "HR (95% CI)", **head)
        put(width - 0.15, head_y, "P for\ninteraction", ha="right", multialignment="right", **head)

        marks = [r for r in rows if r["kind"] == "level"]
        wmax = np.nanmax([weight[r["i"]] for r in marks]) if marks else 1.0
        squares, segments = [], []
        for y, r in enumerate(rows):
            if r["kind"] == "header":
                put(0.1, y, r["label"], fontweight="bold")
                put(width - 0.15, y, r["p"], ha="right")
                continue
            i = r["i"]
            bold = {"fontweight": "bold"} if r["kind"] == "overall" else {}
            put(0.1 + (0.15 if r.get("indent") else 0.0), y, r["label"], **bold)
            x = 0.1 + label_w
            for (c, _), w in zip(columns, col_w, strict=True):
                x += w
                put(x - 0.1, y, _count_text(df.loc[i, c]), ha="right", **bold)
            put(x_plot + plot_w + 0.15, y, _hr_text(hr[i], lower[i], upper[i]), **bold)
            if r["kind"] == "level" and r.get("p"):
                put(width - 0.15, y, r["p"], ha="right")
            if not np.isfinite(hr[i]):
                continue
            lo, hi = max(lower[i], xlo), min(upper[i], xhi)
            if r["kind"] == "overall":
                ax.add_patch(Polygon([(lower[i], y), (hr[i], y - 0.32), (upper[i], y), (hr[i], y + 0.32)],
                                     closed=True, facecolor=_INK, edgecolor=_INK, zorder=3))
                continue
            if np.isfinite(lo) and np.isfinite(hi):
                segments.append([(lo, y), (hi, y)])
                for end, clipped, mark in ((xlo, lower[i] < xlo, "<"), (xhi, upper[i] > xhi, ">")):
                    if clipped:
                        ax.plot([end], [y], marker=mark, markersize=4, color=_INK, clip_on=False)
            w = weight[i] if np.isfinite(weight[i]) else 0.0
            squares.append((hr[i], y, 14 + 110 * w / wmax if wmax > 0 else 40))
        if segments:
            ax.hlines([s[0][1] for s in segments], [s[0][0] for s in segments],
                      [s[1][0] for s in segments], color=_INK, linewidth=1.0, zorder=2)
        if squares:
            sq = np.array(squares)
            # ink, not an arm's colour: a square is a hazard ratio of the two arms
            ax.scatter(sq[:, 0], sq[:, 1], s=sq[:, 2], marker="s", color=_INK, zorder=4,
                       linewidths=0)
        if favours:
            ax.annotate("\u2190 " + plain(favours[0]), xy=(1.0, 0.0), xycoords=("data", "axes fraction"),
                        xytext=(-4, -34), textcoords="offset points", ha="right", va="top", fontsize=8,
                        color=_INK)
            ax.annotate(plain(favours[1]) + " \u2192", xy=(1.0, 0.0), xycoords=("data", "axes fraction"),
                        xytext=(4, -34), textcoords="offset points", ha="left", va="top", fontsize=8,
                        color=_INK)
        if title:
            fig.text(0.1 / width, 1 - 0.12 / height, plain(title), ha="left", va="top",
                     fontweight="bold", fontsize=10, color=_INK)
    return fig
