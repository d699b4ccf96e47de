"""Compare up to four designs side by side: one table column per design and their power over calendar time."""

from __future__ import annotations

from typing import Any

import numpy as np

from survtrial.app.view import DesignView, fmt
from survtrial.errors import InputError

__all__ = ["MAX_DESIGNS", "add_design", "compare_figure", "compare_table"]

MAX_DESIGNS = 4


def add_design(kept: tuple[DesignView, ...], view: DesignView) -> tuple[DesignView, ...]:
    """``kept`` with ``view`` appended; InputError when four are kept already."""
    if len(kept) >= MAX_DESIGNS:
        raise InputError(f"compare: up to {MAX_DESIGNS} designs side by side; clear the comparison to add another")
    return (*kept, view)


def compare_table(views: tuple[DesignView, ...], time_unit: str = "months") -> Any:
    """One column per design (``Design 1`` ...): test, subjects, events, duration, power, looks, bounds,
    expected subjects and duration under H1, as the page shows them."""
    import pandas as pd

    if not views:
        return pd.DataFrame({"": []})
    rows = ["Test", "Subjects", "Events", f"Duration ({time_unit})", "Power", "Looks",
            f"Look times ({time_unit})", "Efficacy z", "Futility z", "Expected subjects under H1",
            f"Expected duration under H1 ({time_unit})"]
    table: dict[str, list[str]] = {"": rows}
    for i, v in enumerate(views, start=1):
        d = v.design
        lower = [fmt(x, 3) for x in d.lower]
        table[f"Design {i}"] = [
            d.statistic, fmt(d.n_subjects, 1), fmt(d.max_events, 1), fmt(d.time[-1], 1), fmt(d.power, 4), str(d.k),
            ", ".join(fmt(t, 1) for t in d.time), ", ".join(fmt(z, 3) for z in d.upper), ", ".join(lower),
            fmt(d.expected_subjects[0], 1), fmt(d.expected_duration[0], 1),
        ]
    return pd.DataFrame(table)


def power_steps(view: DesignView) -> tuple[np.ndarray, np.ndarray]:
    """Calendar time and the cumulative probability of crossing an efficacy bound by then (steps at the looks)."""
    d = view.design
    t = np.concatenate([[0.0], np.repeat(d.time, 2)])
    p = np.concatenate([[0.0, 0.0], np.repeat(np.cumsum(d.upper_h1), 2)[:-1]])
    return t, p


def compare_figure(views: tuple[DesignView, ...], time_unit: str = "months") -> Any:
    """Overlaid power curves: probability of stopping for efficacy by calendar time, one line per design."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 3.0), layout="tight")
    ax = fig.subplots()
    for i, v in enumerate(views, start=1):
        t, p = power_steps(v)
        ax.plot(t, p, lw=1.8, label=f"Design {i}: {v.design.statistic}, n {v.design.n_subjects:.0f}")
    ax.set(xlabel=f"Time from start of enrolment ({time_unit})", ylabel="Cumulative power", ylim=(0, 1))
    ax.grid(alpha=0.3)
    if views:
        ax.legend(fontsize=8, loc="upper left")
    return fig
