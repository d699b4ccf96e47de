"""What the design panel shows, computed from a design object: headline numbers, the look table, curves."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DesignView", "design_view", "fmt"]


def fmt(value: float, digits: int) -> str:
    """A number as the page shows it: fixed decimals, an en dash (U+2013) for none (NaN or infinite)."""
    v = float(value)
    if not math.isfinite(v):
        return "\u2013"  # en dash
    return f"{v:,.{digits}f}"


@dataclass(frozen=True)
class DesignView:
    """The design panel's content. ``headline`` maps a label to its displayed text; ``looks`` is the
    per-look table as displayed (strings); ``curve`` holds calendar time, expected events and AHR
    under the design's sample size for the plot; ``design`` is the design object itself."""

    headline: dict[str, str]
    looks: Any
    curve: Any
    design: Any


def _hr_at_bounds(design: Any) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(design, "hazard_ratio_at_bounds"):
        return design.hazard_ratio_at_bounds()
    # MaxCombo: the bound on the log-rank (FH(0,0)) z when it is among the tests, else none
    for j, t in enumerate(design.tests):
        if t.kind == "fh" and t.rho == 0 and t.gamma == 0:
            root = np.sqrt(design.info0[:, j])
            with np.errstate(over="ignore", invalid="ignore"):
                low = np.where(np.isfinite(design.lower), np.exp(-design.lower / root), np.nan)
            return np.exp(-design.upper / root), low
    nan = np.full(design.k, np.nan)
    return nan, nan


def design_view(design: Any, *, time_unit: str = "months", points: int = 61) -> DesignView:
    """Headline numbers, look table and curves of a design, as the page shows them.

    Parameters
    ----------
    design : NphGroupSequentialDesign or MaxComboDesign
    time_unit : str
        Label of the time axis.
    points : int
        Calendar times on the curve (from 0 to the final look).

    Notes
    -----
    Hazard ratios at the bounds are exp(-z / sqrt(I0)) (gsDesign2's "~HR at bound"); for MaxCombo
    they are those of the log-rank member when it is one of the tests, else not shown.
    """
    import pandas as pd

    from survtrial.design import average_hazard_ratio

    hr_up, hr_low = _hr_at_bounds(design)
    futility = np.where(np.isfinite(design.lower), design.lower, np.nan)
    headline = {
        "Test": design.statistic,
        "Subjects": fmt(design.n_subjects, 1),
        "Events": fmt(design.max_events, 1),
        f"Duration ({time_unit})": fmt(design.time[-1], 1),
        "Power": fmt(design.power, 4),
        "Alpha (one-sided)" if design.sided == 1 else "Alpha (two-sided)": fmt(design.alpha, 4),
        "Expected subjects under H1": fmt(design.expected_subjects[0], 1),
        f"Expected duration under H1 ({time_unit})": fmt(design.expected_duration[0], 1),
    }
    looks = pd.DataFrame({
        "Look": [str(i + 1) for i in range(design.k)],
        f"Time ({time_unit})": [fmt(x, 2) for x in design.time],
        "Subjects": [fmt(x, 1) for x in design.n],
        "Events": [fmt(x, 1) for x in design.events],
        "AHR": [fmt(x, 4) for x in design.ahr],
        "Efficacy z": [fmt(x, 4) for x in design.upper],
        "Futility z" if design.sided == 1 else "Lower z": [fmt(x, 4) for x in futility],
        "Efficacy HR": [fmt(x, 4) for x in hr_up],
        "Futility HR" if design.sided == 1 else "Lower HR": [fmt(x, 4) for x in hr_low],
        "Nominal p": [fmt(x, 5) for x in design.nominal_alpha],
        "Cumulative alpha": [fmt(x, 5) for x in design.alpha_spent],
        "Cumulative power": [fmt(x, 4) for x in np.cumsum(design.upper_h1)],
    })
    grid = np.linspace(0.0, float(design.time[-1]), points)[1:]
    a = average_hazard_ratio(design.assumptions, grid)
    curve = pd.DataFrame({"time": grid, "events": a.events, "ahr": a.ahr})
    return DesignView(headline=headline, looks=looks, curve=curve, design=design)


def curve_figure(view: DesignView, *, time_unit: str = "months") -> Any:
    """Expected events and average hazard ratio over calendar time, looks marked (matplotlib figure)."""
    from matplotlib.figure import Figure

    d, c = view.design, view.curve
    fig = Figure(figsize=(7.2, 3.0), layout="tight")
    left, right = fig.subplots(1, 2)
    left.plot(c["time"], c["events"], color="#1f4e79")
    left.scatter(d.time, d.events, color="#c0392b", zorder=3, s=18)
    left.set(xlabel=f"Time from start of enrolment ({time_unit})", ylabel="Expected events")
    right.plot(c["time"], c["ahr"], color="#1f4e79")
    right.scatter(d.time, d.ahr, color="#c0392b", zorder=3, s=18)
    right.set(xlabel=f"Time from start of enrolment ({time_unit})", ylabel="Average hazard ratio")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        for t in d.time:
            ax.axvline(t, color="#999999", lw=0.6, ls=":")
    return fig
