"""Group-sequential boundary plot on the z and hazard-ratio scales, with observed looks overlaid."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from survtrial.errors import InputError
from survtrial.report._style import color, new_figure, plain, style

__all__ = ["boundary_plot"]


def _hr_scale(z: np.ndarray, events: np.ndarray, allocation_ratio: float, null_hr: float) -> np.ndarray:
    """Schoenfeld: HR = HR0 exp(-z (1 + r) / sqrt(r d))."""
    with np.errstate(over="ignore", invalid="ignore"):
        return null_hr * np.exp(-z * (1 + allocation_ratio) / np.sqrt(allocation_ratio * events))


def boundary_plot(
    design: Any,
    *,
    events: Any = None,
    allocation_ratio: float = 1.0,
    null_hazard_ratio: float = 1.0,
    observed_events: Any = None,
    observed_z: Any = None,
    title: str | None = None,
) -> Figure:
    """Efficacy and futility boundaries of a group-sequential design, on the z and HR scales.

    Parameters
    ----------
    design : GroupSequentialDesign
        Needs ``information_fractions``, ``upper``, ``lower`` and ``sided``.
    events : float or sequence, optional
        Maximum number of events (looks at ``events x fractions``) or events per look. With
        events the x-axis counts events and a second panel shows the hazard-ratio scale.
    allocation_ratio : float
        Experimental per control subject, for the hazard-ratio scale.
    null_hazard_ratio : float
        Hazard ratio under H0 (a non-inferiority margin), for the hazard-ratio scale.
    observed_events, observed_z : sequence, optional
        Interim results to overlay (events and z statistic at each look so far).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One panel (z) without events; two panels (z and HR) with events.

    Notes
    -----
    Z > 0 favours the experimental arm. The hazard-ratio bound at a look with d events is
    ``HR0 exp(-z (1 + r) / sqrt(r d))`` (Schoenfeld); crossing the efficacy bound means an
    observed HR below the efficacy HR bound.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> d = SimpleNamespace(information_fractions=np.array([0.5, 1.0]), upper=np.array([2.96, 1.97]),
    ...                     lower=np.array([-np.inf, -np.inf]), sided=1)
    >>> len(boundary_plot(d, events=200).axes)
    2
    """
    t = np.asarray(design.information_fractions, dtype=float)
    upper = np.asarray(design.upper, dtype=float)
    lower = np.asarray(design.lower, dtype=float)
    if events is None:
        x, xlabel, d = t, "Information fraction", None
    else:
        d = np.asarray(events, dtype=float)
        d = d * t if d.ndim == 0 else d.ravel()
        if d.size != t.size or np.any(~np.isfinite(d)) or np.any(d <= 0):
            raise InputError(f"events: give the maximum events or one positive count per look ({t.size})")
        x, xlabel = d, "Events"
    obs_x = obs_z = None
    if observed_z is not None:
        obs_z = np.asarray(observed_z, dtype=float).ravel()
        if observed_events is None:
            raise InputError("observed_z needs observed_events (events at each observed look)")
        obs_x = np.asarray(observed_events, dtype=float).ravel()
        if obs_x.size != obs_z.size:
            raise InputError("observed_events and observed_z differ in length")
        if events is None:
            raise InputError("overlaying observed looks needs events (the design's maximum events)")
    label_low = "Futility" if design.sided == 1 else "Lower efficacy"
    with style():
        fig = new_figure(8.0 if d is not None else 4.5, 3.4)
        axes = fig.subplots(1, 2 if d is not None else 1, squeeze=False)[0]
        ax = axes[0]
        ax.plot(x, upper, marker="o", color=color(0), label="Efficacy")
        has_low = np.isfinite(lower)
        if has_low.any():
            ax.plot(x[has_low], lower[has_low], marker="s", color=color(1), linestyle="--", label=label_low)
        top = np.nanmax(np.append(upper, obs_z if obs_z is not None else [])) + 0.5
        ax.fill_between(x, upper, top, color=color(0), alpha=0.08, linewidth=0)
        if obs_z is not None:
            ax.plot(obs_x, obs_z, marker="D", color=color(6), linestyle=":", label="Observed")
        ax.axhline(0.0, color="#888888", linewidth=0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("z statistic (> 0 favours experimental)")
        ax.set_title("Boundaries, z scale")
        ax.legend(loc="lower right")
        if d is not None:
            ax2 = axes[1]
            r = float(allocation_ratio)
            ax2.plot(d, _hr_scale(upper, d, r, null_hazard_ratio), marker="o", color=color(0), label="Efficacy")
            if has_low.any():
                ax2.plot(d[has_low], _hr_scale(lower[has_low], d[has_low], r, null_hazard_ratio), marker="s",
                         color=color(1), linestyle="--", label=label_low)
            if obs_z is not None:
                ax2.plot(obs_x, _hr_scale(obs_z, obs_x, r, null_hazard_ratio), marker="D", color=color(6),
                         linestyle=":", label="Observed")
            ax2.axhline(null_hazard_ratio, color="#888888", linewidth=0.6)
            ax2.set_yscale("log")
            plain_number = FuncFormatter(lambda v, _: f"{v:.2g}")
            ax2.yaxis.set_major_formatter(plain_number)
            ax2.yaxis.set_minor_formatter(plain_number)
            ax2.set_xlabel("Events")
            ax2.set_ylabel("Hazard ratio (experimental / control)")
            ax2.set_title("Boundaries, hazard-ratio scale")
        if title:
            fig.suptitle(plain(title), fontweight="bold", x=0.01, ha="left")
    return fig
