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
    arm_gid,
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
    "twin_band_plot",
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
    interval: float = 0.95,
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
        Central probability of the twin interval shaded in each panel (default 0.95: the interval
        :func:`~survtrial.workflows.twin.compare_with_published` tabulates, so figure and table agree).
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
    "published inside the twin's central 95% interval" is the check the twin reports tabulate.

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


def twin_band_plot(
    curves: Any,
    published: Mapping[str, Sequence[tuple[float, float, float]]] | None = None,
    *,
    at_risk: Mapping[str, Sequence[tuple[float, float, float]]] | None = None,
    arm_labels: Mapping[str, str] | None = None,
    ylabel: str = "Disease-free survival (%)",
    xlabel: str = "Years from randomization",
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Kaplan-Meier curves over twin replicates: the median and a central band per arm, with the
    published landmarks (value and CI) on top and, optionally, the published numbers at risk under
    the x-axis beside the twins' mean.

    Parameters
    ----------
    curves : frame with columns ``arm, time, median, lower, upper`` (survival as proportions).
    published : optional mapping arm -> [(time, value, se), ...] (proportions); drawn as points
        with +-1.96 SE bars.
    at_risk : optional mapping arm -> [(time, published, twin mean), ...]: a table under the axes,
        two rows per arm (published, then the twins' mean), labelled by the arm's name (short).
    arm_labels : legend label per arm (default the arm names).
    colors : colour per arm (:func:`~survtrial.report._style.arm_colors`, so that an arm has one colour
        in every figure of a report; default the palette in the frame's arm order). Every mark of an arm
        carries the SVG id :func:`~survtrial.report._style.arm_gid`; published intervals are drawn
        within 0-100%.

    Returns
    -------
    matplotlib.figure.Figure
        Axes labelled "survival" and, with ``at_risk``, "at-risk" (one text per row and time).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"arm": ["a"] * 3, "time": [0, 1, 2], "median": [1, 0.9, 0.8],
    ...                   "lower": [1, 0.85, 0.7], "upper": [1, 0.95, 0.9]})
    >>> fig = twin_band_plot(c, {"a": [(2.0, 0.82, 0.02)]}, at_risk={"a": [(1.0, 90, 88.4), (2.0, 40, 41.2)]})
    >>> [ax.get_label() for ax in fig.axes]
    ['survival', 'at-risk']
    """
    frame = as_frame(curves, ("arm", "time", "median", "lower", "upper"), "twin_band_plot curves")
    arms = levels_in_order(frame["arm"])
    rows = [(i, arm, kind) for i, arm in enumerate(arms) if (at_risk or {}).get(arm) for kind in (1, 2)]
    with style():
        fig = new_figure(6.2, 3.6 + (0.2 * len(rows) + 0.45 if rows else 0.0))
        if rows:
            grid = fig.add_gridspec(2, 1, height_ratios=[3.6, 0.22 * len(rows) + 0.25])
            ax = fig.add_subplot(grid[0])
        else:
            ax = fig.add_subplot()
        ax.set_label("survival")
        palette = {str(a): (colors or {}).get(str(a), color(i)) for i, a in enumerate(arms)}
        for i, arm in enumerate(arms):
            col = palette[str(arm)]
            part = frame[frame["arm"] == arm].sort_values("time")
            label = plain((arm_labels or {}).get(arm, arm))
            t = part["time"].to_numpy(dtype=float)
            band = ax.fill_between(t, part["lower"].to_numpy(dtype=float), part["upper"].to_numpy(dtype=float),
                                   step="post", color=col, alpha=0.18, linewidth=0)
            band.set_gid(arm_gid(arm, "band"))
            (line,) = ax.step(t, part["median"].to_numpy(dtype=float), where="post", color=col,
                              linestyle=linestyle(i), label=f"{label}: twin median")
            line.set_gid(arm_gid(arm, "curve"))
            for k, (when, value, se) in enumerate((published or {}).get(arm, ())):
                lo, hi = max(value - 1.96 * se, 0.0), min(value + 1.96 * se, 1.0)
                bar = ax.errorbar([when], [value], yerr=[[value - lo], [hi - value]], fmt="o", color=col, ms=4,
                                  capsize=3, label=f"{label}: published" if k == 0 else None)
                parts = [a for a in (bar.lines[0], *bar.lines[1], *bar.lines[2]) if a is not None]
                for j, part_artist in enumerate(parts):
                    part_artist.set_gid(arm_gid(arm, "published", 10 * k + j))
        ax.yaxis.set_major_formatter(PERCENT)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="lower left")
        if rows:
            risk = fig.add_subplot(grid[1], sharex=ax)
            risk.set_label("at-risk")
            risk.set_ylim(len(rows) - 0.5, -0.5)
            for side in ("top", "right", "bottom", "left"):
                risk.spines[side].set_visible(False)
            risk.tick_params(axis="x", which="both", length=0, labelbottom=False)
            risk.tick_params(axis="y", length=0, pad=18)
            names = [f"{plain(arm)}: {'published' if kind == 1 else 'twins (mean)'}" for _, arm, kind in rows]
            risk.set_yticks(range(len(rows)), names, fontsize=8)
            for r, (_, arm, kind) in enumerate(rows):
                risk.get_yticklabels()[r].set_color(palette[str(arm)])
                risk.get_yticklabels()[r].set_gid(arm_gid(arm, "at-risk", r))
                for when, pub, twin in at_risk[arm]:
                    risk.text(when, r, f"{pub if kind == 1 else twin:.0f}", ha="center", va="center", fontsize=8,
                              color="#222222", clip_on=False)
            risk.annotate("No. at risk", xy=(0, 1), xycoords="axes fraction", xytext=(-18, 2),
                          textcoords="offset points", ha="right", va="bottom", fontsize=8.5, fontweight="bold",
                          color="#222222")
    return fig
