"""Publication plots: Kaplan-Meier, forest, cumulative incidence and twin-calibration figures."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from survtrial.errors import InputError
from survtrial.report._style import (
    PALETTE,
    PERCENT,
    as_frame,
    color,
    levels_in_order,
    linestyle,
    new_figure,
    numeric,
    plain,
    save_figure,
    style,
)
from survtrial.report.forest import FOREST_COLUMNS, forest_plot
from survtrial.report.km_plot import KM_COLUMNS, km_plot, numbers_at_risk

__all__ = [
    "CIF_COLUMNS",
    "FOREST_COLUMNS",
    "KM_COLUMNS",
    "PALETTE",
    "calibration_plot",
    "cumulative_incidence_plot",
    "forest_plot",
    "km_plot",
    "numbers_at_risk",
    "save_figure",
]

#: Columns of the tidy cumulative-incidence frame (``cumulative_incidence(...).to_frame()``).
CIF_COLUMNS = ("group", "cause", "time", "cif", "lower", "upper")

_CIF = "cumulative_incidence_plot frame"


def cumulative_incidence_plot(
    frame: Any,
    *,
    causes: Sequence[Any] | None = None,
    show_ci: bool = False,
    title: str | None = None,
    xlabel: str = "Time from randomization",
    ylabel: str | None = None,
    ylim: tuple[float, float] | str = "auto",
    percent: bool = False,
    xmax: float | None = None,
    figsize: tuple[float, float] = (6.5, 4.2),
) -> Figure:
    """Cumulative incidence step curves, one per group and cause.

    Parameters
    ----------
    frame : pandas or polars DataFrame
        Columns ``group, cause, time, cif, lower, upper`` (``group`` optional; ``lower/upper``
        only with ``show_ci``), one row per group, cause and time at which the CIF changes.
    causes : sequence, optional
        Causes to draw, in this order; default: all, in the frame's order.
    show_ci : bool
        Shade the pointwise band (``lower``, ``upper``).
    title, xlabel, ylabel : str
        Say the time unit in ``xlabel`` (the default names none). ``ylabel`` defaults to
        "Cumulative incidence" (or "Cumulative incidence (%)").
    ylim : (float, float) or "auto"
        "auto": from 0 to the next 0.05 above the highest value drawn.
    percent : bool
        Label the y-axis in percent.
    xmax : float, optional
        Right end of the x-axis; default the last time.
    figsize : (float, float)

    Returns
    -------
    matplotlib.figure.Figure
        One axes labelled "cumulative-incidence" with one ``Line2D`` per group x cause present
        in the frame (group-major order): colour marks the group, line style the cause.

    Notes
    -----
    Curves start at (0, 0) and are right-continuous steps, as R ``plot(cmprsk::cuminc(...))``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"group": ["A", "A", "B"], "cause": ["relapse", "death", "relapse"],
    ...     "time": [1.0, 2.0, 1.5], "cif": [0.1, 0.05, 0.2],
    ...     "lower": [0.02, 0.01, 0.08], "upper": [0.3, 0.2, 0.4]})
    >>> len(cumulative_incidence_plot(f).axes[0].get_lines())
    3
    """
    required = ["cause", "time", "cif"] + (["lower", "upper"] if show_ci else [])
    df = as_frame(frame, required, _CIF)
    groups = levels_in_order(df["group"]) if "group" in df.columns else [None]
    all_causes = levels_in_order(df["cause"])
    if causes is None:
        causes = all_causes
    else:
        unknown = [c for c in causes if c not in all_causes]
        if unknown:
            raise InputError(f"cumulative_incidence_plot causes: {unknown} not in the frame; found {all_causes}")
    top = 0.0
    with style():
        fig = new_figure(*figsize)
        ax = fig.add_subplot()
        ax.set_label("cumulative-incidence")
        for gi, g in enumerate(groups):
            for ci, cause in enumerate(causes):
                sel = df["cause"] == cause
                if g is not None:
                    sel &= df["group"] == g
                part = df.loc[sel].sort_values("time", kind="stable")
                if part.empty:  # this cause never occurs in this group
                    continue
                t = numeric(part, "time", _CIF)
                y = numeric(part, "cif", _CIF)
                if np.any(~np.isfinite(t)) or np.any(t < 0) or np.any((y < 0) | (y > 1)):
                    raise InputError(f"{_CIF}: group {g!r} cause {cause!r}: need times >= 0 and cif in [0, 1]")
                x = np.concatenate([[0.0], t])
                y = np.concatenate([[0.0], y])
                label = str(cause) if g is None else (str(g) if len(causes) == 1 else f"{g}: {cause}")
                style_i = ci if len(groups) > 1 and len(causes) > 1 else gi + ci
                ax.step(x, y, where="post", color=color(gi if g is not None else ci),
                        linestyle=linestyle(style_i), label=plain(label))
                top = max(top, float(np.nanmax(y)))
                if show_ci:
                    lo = np.concatenate([[0.0], numeric(part, "lower", _CIF)])
                    hi = np.concatenate([[0.0], numeric(part, "upper", _CIF)])
                    ax.fill_between(x, lo, hi, step="post", color=color(gi if g is not None else ci),
                                    alpha=0.12, linewidth=0)
                    top = max(top, float(np.nanmax(hi)))
        if ylim == "auto":
            ylo, yhi = 0.0, min(1.0, math.ceil((top + 0.01) * 20) / 20)
        elif isinstance(ylim, str) or len(ylim) != 2 or not ylim[0] < ylim[1]:
            raise InputError(f"cumulative_incidence_plot ylim: expected 'auto' or (low, high), got {ylim!r}")
        else:
            ylo, yhi = float(ylim[0]), float(ylim[1])
        ax.set_ylim(ylo, yhi)
        ax.set_xlim(0.0, xmax if xmax is not None else max(float(df["time"].max()), 1e-9))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
        if percent:
            ax.yaxis.set_major_formatter(PERCENT)
        ax.set_xlabel(plain(xlabel))
        ax.set_ylabel(plain(ylabel or ("Cumulative incidence (%)" if percent else "Cumulative incidence")))
        if title:
            ax.set_title(plain(title))
        ax.legend(loc="upper left", handlelength=2.6)
    return fig


def _published(entry: Any, name: str) -> tuple[float, float, float]:
    if isinstance(entry, (int, float)):
        return float(entry), math.nan, math.nan
    try:
        value, lo, hi = entry
    except (TypeError, ValueError):
        raise InputError(
            f"calibration_plot published[{name!r}]: expected a number or (value, low, high), got {entry!r}"
        ) from None
    as_float = [math.nan if v is None else float(v) for v in (value, lo, hi)]
    return as_float[0], as_float[1], as_float[2]


def calibration_plot(
    twin_values: Mapping[str, Any],
    published: Mapping[str, Any],
    *,
    interval: float = 0.90,
    ncols: int = 3,
    titles: Mapping[str, str] | None = None,
) -> Figure:
    """Small multiples: the twin's replicate distribution of each headline vs the published value.

    Parameters
    ----------
    twin_values : mapping name -> array
        One value per twin replicate (``--replicates R``) for each headline statistic;
        non-finite values (failed replicates) are dropped.
    published : mapping name -> (value, low, high) or value
        Published estimate and its CI (``None`` for a missing limit). Every key needs twin values.
    interval : float
        Central probability of the twin interval shaded in each panel (default 0.90).
    ncols : int
        Panels per row.
    titles : mapping name -> str, optional
        Panel titles; default the names.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per headline, labelled by its name: histogram of the replicates, the twin's
        central interval shaded, the published value as a black vertical line and its CI as a
        horizontal bar; a line of text says whether the published value is inside the interval.

    Notes
    -----
    The twin interval is the empirical ``(1 - interval) / 2`` and ``(1 + interval) / 2``
    quantiles (numpy's default linear interpolation, R ``quantile(type = 7)``). The check
    "published inside the twin's central 90% interval" is the calibration criterion of the
    AALL1731 twin.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> fig = calibration_plot({"HR": rng.normal(0.4, 0.05, 200)}, {"HR": (0.39, 0.24, 0.64)})
    >>> fig.axes[0].get_label()
    'HR'
    """
    if not 0 < interval < 1:
        raise InputError(f"calibration_plot interval: {interval!r} must lie strictly between 0 and 1")
    if not twin_values:
        raise InputError("calibration_plot twin_values: empty; give at least one headline")
    missing = [k for k in published if k not in twin_values]
    if missing:
        raise InputError(
            f"calibration_plot published: no twin values for {missing}; twin has {list(twin_values)}"
        )
    names = list(twin_values)
    ncols = max(1, min(int(ncols), len(names)))
    nrows = math.ceil(len(names) / ncols)
    q = ((1 - interval) / 2, (1 + interval) / 2)
    with style():
        fig = new_figure(2.4 * ncols, 2.0 * nrows + 0.35)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for k, name in enumerate(names):
            ax = axes.flat[k]
            ax.set_label(str(name))
            values = np.asarray(twin_values[name], dtype=float).ravel()
            values = values[np.isfinite(values)]
            if values.size == 0:
                raise InputError(f"calibration_plot twin_values[{name!r}]: no finite values")
            edges = np.histogram_bin_edges(values, bins="auto")
            if edges.size > 41:
                edges = np.histogram_bin_edges(values, bins=40)
            lo_q, hi_q = np.quantile(values, q)
            ax.axvspan(lo_q, hi_q, color=PALETTE[5], alpha=0.25, linewidth=0, label=f"Twin {interval:.0%} interval")
            ax.hist(values, bins=edges, color="#9a9a9a", edgecolor="white", linewidth=0.4, label="Twin replicates")
            ax.set_yticks([])
            ax.spines["left"].set_visible(False)
            ax.set_title(plain((titles or {}).get(name, name)), fontsize=9)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
            if name in published:
                value, lo, hi = _published(published[name], name)
                ymax = ax.get_ylim()[1]
                ax.axvline(value, color="#000000", linewidth=1.4, label="Published (95% CI)")
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.errorbar([value], [ymax * 1.04], xerr=[[value - lo], [hi - value]], fmt="none",
                                ecolor="#000000", elinewidth=1.0, capsize=2.5)
                ax.set_ylim(0, ymax * 1.12)
                inside = lo_q <= value <= hi_q
                ax.text(0.0, -0.3, f"Published {'inside' if inside else 'OUTSIDE'} twin {interval:.0%} interval",
                        transform=ax.transAxes, fontsize=7.5, ha="left", va="top",
                        color="#222222" if inside else PALETTE[1])
        for ax in axes.flat[len(names):]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        if any(n in published for n in names):
            for ax in axes.flat[: len(names)]:
                h, lab = ax.get_legend_handles_labels()
                if len(h) > len(handles):
                    handles, labels = h, lab
        fig.legend(handles, labels, loc="outside lower center", ncols=len(handles), fontsize=8)
    return fig
