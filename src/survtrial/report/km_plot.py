"""Kaplan-Meier figure with confidence bands, censor ticks and a numbers-at-risk table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from survtrial.errors import InputError
from survtrial.report._style import (
    PERCENT,
    arm_gid,
    as_frame,
    color,
    levels_in_order,
    linestyle,
    new_figure,
    numeric,
    plain,
    step_vertices,
    style,
)

__all__ = ["CENSOR_SPACING", "KM_COLUMNS", "draw_risk_table", "km_plot", "numbers_at_risk", "sparse_censor_marks"]

#: Columns of the tidy Kaplan-Meier frame (``kaplan_meier(...).to_frame()``): one row per group
#: and distinct time (event or censoring), ``n_risk`` counted just before that time.
KM_COLUMNS = ("group", "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper")

_WHAT = "km_plot curves_frame"


def _groups(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    if "group" not in frame.columns:
        return [("All", frame.sort_values("time", kind="stable"))]
    out = []
    for level in levels_in_order(frame["group"]):
        part = frame.loc[frame["group"] == level]
        out.append((str(level), part.sort_values("time", kind="stable")))
    if frame["group"].isna().any():
        i = int(np.flatnonzero(frame["group"].isna().to_numpy())[0])
        raise InputError(f"{_WHAT}: column 'group' row {i}: missing group label")
    return out


def _check_times(values: Any, role: str) -> np.ndarray:
    t = np.asarray(values, dtype=float).ravel()
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InputError(f"{role}: expected finite times >= 0, got {list(np.asarray(values).ravel())}")
    if np.any(np.diff(t) <= 0):
        raise InputError(f"{role}: times must be strictly increasing, got {t.tolist()}")
    return t


def numbers_at_risk(curves_frame: Any, times: Sequence[float]) -> pd.DataFrame:
    """Numbers at risk per group at given times, read off a tidy Kaplan-Meier frame.

    Parameters
    ----------
    curves_frame : pandas or polars DataFrame
        Columns ``time`` and ``n_risk`` (and ``group`` for several curves), one row per distinct
        event or censoring time, as produced by ``kaplan_meier(...).to_frame()``.
    times : sequence of float
        Increasing times >= 0 (the x-axis ticks of the figure).

    Returns
    -------
    pandas.DataFrame
        Index: groups (in the frame's order); columns: ``times``; values: numbers at risk.

    Notes
    -----
    The number at risk at time ``t`` is the number of patients still under observation just
    before ``t`` (follow-up time >= t), as R ``summary(survfit, times=)`` reports ``n.risk``.
    It equals ``n_risk`` at the first frame time >= ``t`` because nobody leaves the risk set
    between frame times; after a group's last time it is 0. This needs every distinct time,
    censorings included, in the frame (the ``n_censor`` rows of the tidy frame).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"group": ["A"] * 3, "time": [1.0, 2.0, 4.0], "n_risk": [5, 4, 2]})
    >>> numbers_at_risk(f, [0, 2, 3, 5]).loc["A"].tolist()
    [5.0, 4.0, 2.0, 0.0]
    """
    frame = as_frame(curves_frame, ("time", "n_risk"), "numbers_at_risk curves_frame")
    ticks = _check_times(times, "numbers_at_risk times")
    rows = {}
    for name, part in _groups(frame):
        t = numeric(part, "time", _WHAT)
        n = numeric(part, "n_risk", _WHAT)
        idx = np.searchsorted(t, ticks, side="left")
        ok = idx < t.size
        at_risk = np.zeros(ticks.size)
        at_risk[ok] = n[idx[ok]]
        rows[name] = at_risk
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(ticks))
    out.index.name = "group"
    return out


#: A censoring is marked on a curve only where censorings are sparse: when no other censoring
#: time of the same curve lies within this fraction of the time axis on either side. Where they are
#: denser (a large trial's steady censoring), ticks would merge into a hatched band; the numbers at
#: risk under the axis show censoring there.
CENSOR_SPACING = 0.01


def sparse_censor_marks(time: np.ndarray, survival: np.ndarray, right: float,
                        spacing: float = CENSOR_SPACING) -> tuple[np.ndarray, np.ndarray]:
    """The censor ticks to draw: censoring times (sorted, distinct) with no neighbour closer than
    ``spacing * right`` on either side, and the curve's value there.

    Examples
    --------
    >>> t = np.array([1.0, 1.02, 1.04, 5.0, 9.0])
    >>> sparse_censor_marks(t, np.ones(5), right=10.0)[0].tolist()
    [5.0, 9.0]
    """
    t = np.asarray(time, dtype=float)
    if t.size == 0 or not right > 0:
        return t, np.asarray(survival, dtype=float)
    far = np.diff(t) > spacing * right
    keep = np.concatenate(([True], far)) & np.concatenate((far, [True]))
    return t[keep], np.asarray(survival, dtype=float)[keep]


def _format_count(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _auto_ylim(lows: list[np.ndarray]) -> tuple[float, float]:
    values = np.concatenate([v[np.isfinite(v)] for v in lows] + [np.array([1.0])])
    lo = float(values.min())
    lo = max(0.0, np.floor((lo - 0.02) * 10.0 + 1e-9) / 10.0)
    return lo, 1.0


def _x_ticks(xmax: float) -> np.ndarray:
    loc = MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10])
    ticks = loc.tick_values(0.0, xmax)
    return ticks[(ticks >= 0) & (ticks <= xmax * (1 + 1e-9))]


def km_plot(
    curves_frame: Any,
    *,
    at_risk_times: Sequence[float] | None = None,
    title: str | None = None,
    xlabel: str = "Time from randomization",
    ylabel: str | None = None,
    ylim: tuple[float, float] | str = "auto",
    show_ci: bool = True,
    censor_marks: bool = True,
    at_risk: bool = True,
    percent: bool = False,
    xmax: float | None = None,
    figsize: tuple[float, float] | None = None,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Kaplan-Meier step curves per group with a numbers-at-risk table under the x-axis.

    Parameters
    ----------
    curves_frame : pandas or polars DataFrame
        The tidy frame of ``kaplan_meier(...).to_frame()``: columns ``group, time, n_risk,
        n_event, n_censor, survival, std_err, lower, upper`` (``group`` optional for one curve;
        ``lower/upper`` needed only with ``show_ci``, ``n_censor`` only with ``censor_marks``).
        Groups are drawn in categorical order, otherwise in order of first appearance.
    at_risk_times : sequence of float, optional
        x-axis ticks and the times of the numbers-at-risk table; default: round ticks over the
        follow-up range.
    title : str, optional
        Panel title (journals usually put it in the caption instead).
    xlabel, ylabel : str
        Axis labels; say the time unit in ``xlabel`` ("Months from randomization", see
        :func:`survtrial.units.time_axis_label`): the default names none. ``ylabel`` defaults to
        "Survival probability" (or "Survival (%)").
    ylim : (float, float) or "auto"
        y-axis range; "auto" starts at the tenth below the lowest curve (or CI) value, ends at 1.
    show_ci : bool
        Shade the pointwise confidence band (``lower``, ``upper``) as given in the frame.
    censor_marks : bool
        Vertical ticks on the curve at censoring times (``n_censor > 0``) where censorings are
        sparse (:func:`sparse_censor_marks`: no other censoring within 1% of the time axis).
    at_risk : bool
        Draw the numbers-at-risk table.
    percent : bool
        Label the y-axis in percent.
    xmax : float, optional
        Right end of the x-axis; default: the last time (or last ``at_risk_times``).
    figsize : (float, float), optional
        Inches; default 6.5 wide (a journal's full text width).
    colors : mapping group -> colour, optional
        The colour of each group (e.g. :func:`~survtrial.report._style.arm_colors`, so that an arm
        has one colour in every figure of a report); default the palette in group order.

    Returns
    -------
    matplotlib.figure.Figure
        Axes labelled "survival" (one ``Line2D`` per group, in order) and, with ``at_risk``,
        "at-risk" (one text object per group and time, rows in group order).

    Notes
    -----
    Curves start at (0, 1) and step down after each event time (right-continuous), as R
    ``plot.survfit``; censor ticks sit on the curve at the censoring time. Numbers at risk follow
    :func:`numbers_at_risk`: patients with follow-up >= the tick time, 0 after a group's last
    time. The figure is built on ``matplotlib.figure.Figure`` directly (no pyplot state).
    Colours: Okabe-Ito (colour-blind safe); line styles also differ for greyscale printing. Every
    artist of a group (curve, band, ticks, its row of the risk table) carries the SVG id
    :func:`~survtrial.report._style.arm_gid` of the group.

    References
    ----------
    Pocock SJ, Clayton TC, Altman DG. Survival plots of time-to-event outcomes in clinical
    trials: good practice and pitfalls. Lancet 2002;359:1686-1689.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"group": ["A", "A", "B", "B"], "time": [1.0, 3.0, 2.0, 4.0],
    ...     "n_risk": [2, 1, 2, 1], "n_event": [1, 0, 1, 1], "n_censor": [0, 1, 0, 0],
    ...     "survival": [0.5, 0.5, 0.5, 0.0], "std_err": [0.35, 0.35, 0.35, 0.0],
    ...     "lower": [0.1, 0.1, 0.1, float("nan")], "upper": [0.9, 0.9, 0.9, float("nan")]})
    >>> fig = km_plot(f, at_risk_times=[0, 1, 2, 3, 4])
    >>> len(fig.axes[0].get_lines())
    2
    """
    required = ["time", "n_risk", "survival"]
    required += ["n_censor"] if censor_marks else []
    required += ["lower", "upper"] if show_ci else []
    frame = as_frame(curves_frame, required, _WHAT)
    groups = _groups(frame)

    curves = []
    for name, part in groups:
        t = numeric(part, "time", _WHAT)
        s = numeric(part, "survival", _WHAT)
        if np.any(t < 0) or np.any(~np.isfinite(t)):
            raise InputError(f"{_WHAT}: group {name!r}: times must be finite and >= 0")
        if np.any(np.isnan(s)) or np.any((s < 0) | (s > 1)):
            raise InputError(f"{_WHAT}: group {name!r}: survival must lie in [0, 1]")
        curve = {"name": name, "time": t, "survival": s}
        if show_ci:
            curve["lower"] = numeric(part, "lower", _WHAT)
            curve["upper"] = numeric(part, "upper", _WHAT)
        if censor_marks:
            curve["censored"] = numeric(part, "n_censor", _WHAT) > 0
        curves.append(curve)

    last = max(float(c["time"].max()) for c in curves)
    if at_risk_times is not None:
        ticks = _check_times(at_risk_times, "km_plot at_risk_times")
        right = xmax if xmax is not None else max(last, float(ticks[-1]))
    else:
        right = xmax if xmax is not None else last
        if not right > 0:
            right = 1.0
        ticks = _x_ticks(right)
    if ylim == "auto":
        ylo, yhi = _auto_ylim([c["survival"] for c in curves] + [c["lower"] for c in curves if show_ci])
    elif isinstance(ylim, str) or len(ylim) != 2 or not ylim[0] < ylim[1]:
        raise InputError(f"km_plot ylim: expected 'auto' or (low, high) with low < high, got {ylim!r}")
    else:
        ylo, yhi = float(ylim[0]), float(ylim[1])

    n = len(curves)
    width, height = figsize or (6.5, 4.2 + (0.2 * n + 0.45 if at_risk else 0.0))
    with style():
        fig = new_figure(width, height)
        if at_risk:
            grid = fig.add_gridspec(2, 1, height_ratios=[3.6, 0.25 * n + 0.25])
            ax = fig.add_subplot(grid[0])
        else:
            ax = fig.add_subplot()
        ax.set_label("survival")
        palette = {c["name"]: (colors or {}).get(c["name"], color(i)) for i, c in enumerate(curves)}
        for i, c in enumerate(curves):
            col = palette[c["name"]]
            x = np.concatenate([[0.0], c["time"]])
            y = np.concatenate([[1.0], c["survival"]])
            if show_ci:
                lo = np.concatenate([[1.0], c["lower"]])
                hi = np.concatenate([[1.0], c["upper"]])
                x, y, lo, hi = step_vertices(x, y, lo, hi)
            else:
                x, y = step_vertices(x, y)
            (line,) = ax.step(x, y, where="post", color=col, linestyle=linestyle(i), label=plain(c["name"]))
            line.set_gid(arm_gid(c["name"], "curve"))
            if show_ci:
                band = ax.fill_between(x, lo, hi, step="post", color=col, alpha=0.14, linewidth=0)
                band.set_gid(arm_gid(c["name"], "band"))
            if censor_marks and c["censored"].any():
                mx, my = sparse_censor_marks(c["time"][c["censored"]], c["survival"][c["censored"]], right)
                if mx.size:
                    marks = ax.scatter(mx, my, marker="|", s=18, color=col, linewidths=0.7, zorder=3)
                    marks.set_gid(arm_gid(c["name"], "censor"))
        ax.set_xlim(0.0, right)
        ax.set_ylim(ylo, yhi + 0.01 * (yhi - ylo))
        ax.set_xticks(ticks)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
        ax.spines["left"].set_bounds(ylo, yhi)
        ax.set_xlabel(plain(xlabel))
        if percent:
            ax.yaxis.set_major_formatter(PERCENT)
        ax.set_ylabel(plain(ylabel or ("Survival (%)" if percent else "Survival probability")))
        if title:
            ax.set_title(plain(title))
        if n > 1:
            ax.legend(loc="lower left", handlelength=2.6)
        if at_risk:
            draw_risk_table(fig, grid[1], ax, numbers_at_risk(frame, ticks), palette)
    return fig


def draw_risk_table(fig: Figure, cell: Any, ax: Any, table: pd.DataFrame, palette: Mapping[str, str],
                    label: str = "No. at risk") -> Any:
    """A numbers-at-risk table in grid ``cell`` under ``ax`` (sharing its x-axis): one row per group
    of ``table`` (index: groups, columns: times, as :func:`numbers_at_risk`), the group's name in its
    colour. Returns the table's axes (labelled "at-risk")."""
    names = [str(g) for g in table.index]
    ticks = np.asarray(table.columns, dtype=float)
    risk = fig.add_subplot(cell, sharex=ax)
    risk.set_label("at-risk")
    risk.set_ylim(len(names) - 0.5, -0.5)
    for side in ("top", "right", "bottom", "left"):
        risk.spines[side].set_visible(False)
    risk.tick_params(axis="x", which="both", length=0, labelbottom=False)
    # Labels clear the (centred) numbers at the first tick.
    widest = max(len(_format_count(v)) for v in table.to_numpy().ravel())
    risk.tick_params(axis="y", length=0, pad=6 + 2.6 * widest)
    risk.set_yticks(range(len(names)), [plain(s) for s in names])
    for name, text in zip(names, risk.get_yticklabels(), strict=True):
        text.set_color(palette.get(name, "#222222"))
        text.set_gid(arm_gid(name, "at-risk"))
    for i in range(len(names)):
        for tick, value in zip(ticks, table.iloc[i].to_numpy(), strict=True):
            risk.text(tick, i, _format_count(value), ha="center", va="center", fontsize=8.5,
                      color="#222222", clip_on=False)
    risk.annotate(plain(label), xy=(0, 1), xycoords="axes fraction", xytext=(-6 - 2.6 * widest, 2),
                  textcoords="offset points", ha="right", va="bottom", fontsize=8.5,
                  fontweight="bold", color="#222222")
    return risk
