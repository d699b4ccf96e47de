"""Competing risks for a committee: one panel per cause, arms with CI bands, numbers at risk, one y range."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from survtrial.errors import InputError
from survtrial.report._style import (
    PERCENT,
    arm_gid,
    as_frame,
    color,
    levels_in_order,
    new_figure,
    numeric,
    plain,
    step_vertices,
    style,
)
from survtrial.report.km_plot import draw_risk_table, numbers_at_risk

__all__ = ["cumulative_incidence_panels"]

_WHAT = "cumulative_incidence_panels frame"


def _x_ticks(right: float) -> np.ndarray:
    ticks = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, right)
    return ticks[(ticks >= 0) & (ticks <= right * (1 + 1e-9))]


def cumulative_incidence_panels(
    frame: Any,
    *,
    at_risk: Any = None,
    causes: Sequence[Any] | None = None,
    titles: Mapping[Any, str] | None = None,
    colors: Mapping[str, str] | None = None,
    xlabel: str = "Time from randomization",
    ylabel: str = "Cumulative incidence (%)",
    xmax: float | None = None,
    ncols: int = 2,
    width: float = 6.5,
) -> Figure:
    """Cumulative incidence of each cause in its own panel: one step curve and CI band per arm,
    numbers at risk under every panel, the same x and y ranges in all panels.

    Parameters
    ----------
    frame : pandas or polars DataFrame
        ``cumulative_incidence(...).to_frame()``: columns ``group, cause, time, cif, lower, upper``.
    at_risk : DataFrame, optional
        A tidy Kaplan-Meier frame of the composite endpoint (every cause an event; columns
        ``group, time, n_risk``) for the numbers at risk (subjects free of any event and still
        followed); without it no risk table is drawn.
    causes : the causes to draw, in this order (default all, in the frame's order).
    titles : panel title per cause (default the cause).
    colors : colour per arm (default the palette in the frame's group order); use
        :func:`~survtrial.report._style.arm_colors` so that an arm has one colour in every figure.
    xlabel, ylabel : axis labels; say the time unit in ``xlabel``.
    xmax : right end of the time axis (default the last time).
    ncols : panels per row (one when an arm's name is longer than 16 characters: the numbers-at-risk
        labels would squeeze two panels).
    width : figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per cause labelled ``cif:<cause>`` and, with ``at_risk``, one labelled
        "at-risk" under each.

    Notes
    -----
    Curves start at (0, 0) and are right-continuous steps, as R ``plot(cmprsk::cuminc(...))``;
    bands are the pointwise limits given in the frame. The y range runs from 0 to the next 5% above
    the highest upper limit of any panel, so that panels compare at a glance. Every artist of an
    arm carries the SVG id :func:`~survtrial.report._style.arm_gid` of the arm.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"group": ["A", "A", "B"], "cause": ["relapse", "death", "relapse"],
    ...     "time": [1.0, 2.0, 1.5], "cif": [0.1, 0.05, 0.2],
    ...     "lower": [0.02, 0.01, 0.08], "upper": [0.3, 0.2, 0.4]})
    >>> [ax.get_label() for ax in cumulative_incidence_panels(f).axes]
    ['cif:relapse', 'cif:death']
    """
    df = as_frame(frame, ("group", "cause", "time", "cif", "lower", "upper"), _WHAT)
    groups = [str(g) for g in levels_in_order(df["group"])]
    df = df.assign(group=df["group"].astype(str))
    present = levels_in_order(df["cause"])
    if causes is None:
        causes = present
    unknown = [c for c in causes if c not in present]
    if unknown or not causes:
        raise InputError(f"cumulative_incidence_panels causes: {unknown or 'none'} not in the frame; found {present}")
    palette = {g: (colors or {}).get(g, color(i)) for i, g in enumerate(groups)}
    t_all = numeric(df, "time", _WHAT)
    if np.any(~np.isfinite(t_all)) or np.any(t_all < 0):
        raise InputError(f"{_WHAT}: times must be finite and >= 0")
    right = float(xmax) if xmax is not None else max(float(t_all.max()), 1e-9)
    ticks = _x_ticks(right)
    upper = numeric(df, "upper", _WHAT)
    top = float(np.nanmax(np.concatenate([upper, numeric(df, "cif", _WHAT)])))
    yhi = min(1.0, math.ceil((top + 1e-9) * 20) / 20) if top > 0 else 0.05
    risk = None
    if at_risk is not None:
        km = as_frame(at_risk, ("group", "time", "n_risk"), "cumulative_incidence_panels at_risk")
        km = km.assign(group=km["group"].astype(str))
        risk = numbers_at_risk(km, ticks).reindex(groups).fillna(0.0)
    k = len(causes)
    ncols = max(1, min(int(ncols), k, 1 if max(len(g) for g in groups) > 16 else k))
    nrows = math.ceil(k / ncols)
    risk_h = 0.22 * len(groups) + 0.3 if risk is not None else 0.0
    panel_h = 2.5
    with style():
        fig = new_figure(width, nrows * (panel_h + risk_h + 0.55) + 0.2)
        ratios = [panel_h, risk_h] * nrows if risk is not None else [panel_h] * nrows
        grid = fig.add_gridspec(len(ratios), ncols, height_ratios=ratios)
        step = 2 if risk is not None else 1
        for j, cause in enumerate(causes):
            r, c = divmod(j, ncols)
            ax = fig.add_subplot(grid[step * r, c])
            ax.set_label(f"cif:{cause}")
            for g in groups:
                part = df[(df["cause"] == cause) & (df["group"] == g)].sort_values("time", kind="stable")
                x = np.concatenate([[0.0], numeric(part, "time", _WHAT)])
                y = np.concatenate([[0.0], numeric(part, "cif", _WHAT)])
                lo = np.concatenate([[0.0], numeric(part, "lower", _WHAT)])
                hi = np.concatenate([[0.0], numeric(part, "upper", _WHAT)])
                if np.any((y < 0) | (y > 1)):
                    raise InputError(f"{_WHAT}: group {g!r} cause {cause!r}: cif must lie in [0, 1]")
                if x[-1] < right:  # the curve stays flat to the end of the axis
                    x, y, lo, hi = (np.append(v, v[-1]) for v in (x, y, lo, hi))
                    x[-1] = right
                x, y, lo, hi = step_vertices(x, y, lo, hi)
                band = ax.fill_between(x, np.nan_to_num(lo), np.nan_to_num(hi, nan=y[-1]), step="post",
                                       color=palette[g], alpha=0.15, linewidth=0)
                band.set_gid(arm_gid(g, "band", j))
                (line,) = ax.step(x, y, where="post", color=palette[g], label=plain(g))
                line.set_gid(arm_gid(g, "curve", j))
            ax.set_xlim(0.0, right)
            ax.set_ylim(0.0, yhi)
            ax.set_xticks(ticks)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
            ax.yaxis.set_major_formatter(PERCENT)
            ax.set_title(plain((titles or {}).get(cause, cause)), fontsize=9.5)
            ax.set_xlabel(plain(xlabel), fontsize=8.5)
            if c == 0:
                ax.set_ylabel(plain(ylabel))
            if j == 0:
                ax.legend(loc="upper left", handlelength=2.0)
            if risk is not None:
                draw_risk_table(fig, grid[step * r + 1, c], ax, risk, palette)
    return fig
