"""The arm effect over time: scaled Schoenfeld residuals with R plot.cox.zph's spline smooth, and piecewise HRs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from survtrial.errors import InputError
from survtrial.report._style import PALETTE, new_figure, plain, style

__all__ = ["ZphSmooth", "schoenfeld_plot", "zph_smooth"]

_INK = "#222222"
_HR_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0)


@dataclass(frozen=True)
class ZphSmooth:
    """A smooth of scaled Schoenfeld residuals: ``fit`` (beta(t) estimate) and ``lower``/``upper``
    (fit -/+ 2 SE) at ``x`` (the test's time scale) and ``time`` (the same points in time)."""

    x: np.ndarray
    time: np.ndarray
    fit: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Natural cubic spline basis with ``knots`` (boundary knots first and last): 1, x and
    d_k - d_{K-1} (Hastie, Tibshirani & Friedman, Elements of Statistical Learning, eq. 5.4-5.5).
    It spans the space of R ``splines::ns(x, knots = interior, Boundary.knots = boundary,
    intercept = TRUE)``; least-squares fits and their variances do not depend on the basis."""
    k = knots.size

    def d(j: int) -> np.ndarray:
        return (np.maximum(x - knots[j], 0.0) ** 3 - np.maximum(x - knots[-1], 0.0) ** 3) / (knots[-1] - knots[j])

    cols = [np.ones_like(x), x] + [d(j) - d(k - 2) for j in range(k - 2)]
    return np.column_stack(cols)


def zph_smooth(x: Any, y: Any, time: Any, variance: float, *, df: int = 4, points: int = 40) -> ZphSmooth | None:
    """R ``plot.cox.zph``'s smooth of one term's scaled Schoenfeld residuals, with its band.

    Parameters
    ----------
    x : the transformed event times of the test (``ProportionalHazardsTest.x``).
    y : the term's scaled residuals (a column of ``ProportionalHazardsTest.residuals``); NaNs dropped.
    time : the event times (``ProportionalHazardsTest.time``), to map the smooth back to time.
    variance : the term's diagonal element of ``ProportionalHazardsTest.variance`` (R ``x$var``).
    df, points : spline degrees of freedom and grid size (R's ``df = 4``, ``nsmo = 40``).

    Returns
    -------
    ZphSmooth, or None when the spline fit is singular (fewer than ``df`` distinct times; R skips
    the term with a warning).

    Notes
    -----
    As R survival 3.5 ``plot.cox.zph(fit, df = 4, nsmo = 40)``: a least-squares natural cubic spline
    in x with ``df`` basis functions (intercept included), its knots the ``(1/3, 2/3)`` quantiles
    (type 7) and the range of the grid and the event x's together; the band is fit -/+
    ``2 sqrt(var * s(x))`` with ``s(x) = p(x)' (X'X)^-1 p(x)``, the variance of the zph test (not of
    the residuals). The grid is mapped to time by linear interpolation through the (x, time) pairs,
    as R labels its time axis.

    Examples
    --------
    >>> x = np.linspace(0.0, 1.0, 30)
    >>> s = zph_smooth(x, 0.5 - x, 10 * x, 0.1)
    >>> round(float(s.fit[0]), 6), round(float(s.fit[-1]), 6)
    (0.5, -0.5)
    """
    xx, yy, tt = (np.asarray(v, dtype=float).ravel() for v in (x, y, time))
    if not (xx.size == yy.size == tt.size):
        raise InputError("zph_smooth: x, y and time must have one value per event")
    keep = np.isfinite(yy)
    grid = np.linspace(xx.min(), xx.max(), points)
    both = np.concatenate([grid, xx])
    interior = np.quantile(both, np.linspace(0.0, 1.0, df)[1:-1])
    knots = np.concatenate([[both.min()], interior, [both.max()]])
    if np.any(np.diff(knots) <= 0) or np.unique(xx[keep]).size < df:
        return None
    scale = knots[-1] - knots[0]
    basis = _natural_spline_basis((both - knots[0]) / scale, (knots - knots[0]) / scale)
    pmat, xmat = basis[:points], basis[points:][keep]
    q, r = np.linalg.qr(xmat)
    if np.linalg.matrix_rank(r) < df:
        return None
    coef = np.linalg.solve(r, q.T @ yy[keep])
    fit = pmat @ coef
    rinv = np.linalg.solve(r, np.eye(df))
    seval = np.einsum("ij,jk,ik->i", pmat, rinv @ rinv.T, pmat)
    half = 2.0 * np.sqrt(variance * seval)
    first = np.unique(xx, return_index=True)[1]
    on_time = np.interp(grid, xx[first], tt[first])
    return ZphSmooth(x=grid, time=on_time, fit=fit, lower=fit - half, upper=fit + half)


def _hr_ticks(lo: float, hi: float) -> list[float]:
    ticks = [t for t in _HR_TICKS if lo <= math.log(t) <= hi]
    if len(ticks) > 7:
        ticks = [t for t in ticks if t in (0.01, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0)]
    return ticks


def schoenfeld_plot(
    ph_test: Any,
    *,
    term: int = 0,
    piecewise: Any = None,
    cox_log_hr: float | None = None,
    xlabel: str = "Time from randomization",
    ylabel: str = "Hazard ratio (log scale)",
    title: str | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
) -> Figure:
    """The arm effect over time: beta(t) from the scaled Schoenfeld residuals, on the hazard-ratio scale.

    Parameters
    ----------
    ph_test : :class:`~survtrial.stats.proportional_hazards.ProportionalHazardsTest`.
    term : which term (column of its residuals) to draw.
    piecewise : optional :class:`~survtrial.stats.piecewise.PiecewiseHazardRatioResult`, drawn as
        a step (the hazard ratio in each interval) over the smooth.
    cox_log_hr : the Cox model's log hazard ratio (the time-constant effect), a dashed line.
    xlabel, ylabel, title : say the time unit in ``xlabel``.

    Returns
    -------
    matplotlib.figure.Figure
        One axes labelled "schoenfeld": residual points (a PathCollection), the smooth and its band
        (:func:`zph_smooth`), the piecewise step, the Cox line and the line of no effect (HR 1).

    Notes
    -----
    Points are plotted at their event time; the y-axis is the log hazard ratio labelled as hazard
    ratios. Its range covers the smooth's band, the piecewise and Cox estimates, HR 1 and the central
    99% of the residuals (as R draws them all); residuals beyond it are counted in the legend.

    Examples
    --------
    >>> from survtrial.stats.cox import cox_ph
    >>> from survtrial.stats.proportional_hazards import proportional_hazards_test
    >>> t = np.arange(1.0, 41.0); e = np.ones(40, dtype=int); arm = np.tile([0, 1], 20)
    >>> fig = schoenfeld_plot(proportional_hazards_test(cox_ph(t, e, arm, names=["arm"])))
    >>> fig.axes[0].get_label()
    'schoenfeld'
    """
    x = np.asarray(ph_test.x, dtype=float)
    t = np.asarray(ph_test.time, dtype=float)
    y = np.asarray(ph_test.residuals, dtype=float)[:, term]
    var = float(np.asarray(ph_test.variance)[term, term])
    smooth = zph_smooth(x, y, t, var)
    right = float(t.max()) if t.size else 1.0
    levels = [0.0, *np.quantile(y[np.isfinite(y)], [0.005, 0.995])] if np.isfinite(y).any() else [0.0]
    if smooth is not None:
        levels += [float(smooth.lower.min()), float(smooth.upper.max())]
    if cox_log_hr is not None and math.isfinite(cox_log_hr):
        levels.append(float(cox_log_hr))
    if piecewise is not None:
        levels += [float(c) for c in piecewise.coef if math.isfinite(c)]
    lo, hi = min(levels), max(levels)
    pad = 0.06 * max(hi - lo, 0.5)
    lo, hi = lo - pad, hi + pad
    inside = np.isfinite(y) & (y >= lo) & (y <= hi)
    with style():
        fig = new_figure(*figsize)
        ax = fig.add_subplot()
        ax.set_label("schoenfeld")
        n_out = int(np.sum(np.isfinite(y) & ~inside))
        ax.scatter(t[inside], y[inside], s=7, color="#9a9a9a", linewidths=0, zorder=1,
                   label="Scaled Schoenfeld residuals" + (f" ({n_out} beyond the axis)" if n_out else ""))
        if smooth is not None:
            ax.fill_between(smooth.time, smooth.lower, smooth.upper, color=PALETTE[0], alpha=0.15, linewidth=0,
                            label="Spline smooth \u00b1 2 SE")
            ax.plot(smooth.time, smooth.fit, color=PALETTE[0], linewidth=1.8, label="_smooth")
        if piecewise is not None:
            ends = np.minimum(np.asarray(piecewise.end, dtype=float), right)
            starts = np.asarray(piecewise.start, dtype=float)
            label = "Piecewise hazard ratio"
            for k, c in enumerate(piecewise.coef):
                if math.isfinite(c):
                    ax.hlines(c, starts[k], ends[k], color=PALETTE[1], linewidth=2.2, label=label)
                    label = "_piece"
        if cox_log_hr is not None and math.isfinite(cox_log_hr):
            ax.axhline(cox_log_hr, color=_INK, linestyle="--", linewidth=1.0, label="Cox hazard ratio (constant)")
        ax.axhline(0.0, color="#777777", linewidth=0.7, zorder=0)
        ax.set_xlim(0.0, right)
        ax.set_ylim(lo, hi)
        ticks = _hr_ticks(lo, hi)
        ax.yaxis.set_major_locator(FixedLocator([math.log(v) for v in ticks]))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{math.exp(v):.2g}"))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
        ax.set_xlabel(plain(xlabel))
        ax.set_ylabel(plain(ylabel))
        if title:
            ax.set_title(plain(title))
        fig.legend(
            *ax.get_legend_handles_labels(), loc="outside lower center", fontsize=7.5, ncols=2)
    return fig
