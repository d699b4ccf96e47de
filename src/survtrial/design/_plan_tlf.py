"""A trial plan's tables (summary, looks) as a submission-ready TLF document (RTF or Word)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from survtrial._tlf import Tlf, TlfFigure, TlfTable, frame_cells

__all__ = ["format_number", "plan_tlf"]

_LABELS = {
    "look": "Look", "information_fraction": "Information fraction", "events": "Events",
    "time": "Time", "subjects": "Subjects", "efficacy_z": "Efficacy bound (z)", "futility_z": "Futility bound (z)",
    "efficacy_hr": "Efficacy bound (HR)", "futility_hr": "Futility bound (HR)", "harm_hr": "Harm bound (HR)",
    "lower_z": "Lower bound (z)", "nominal_alpha": "Nominal one-sided alpha",
    "cumulative_alpha": "Cumulative alpha spent", "cumulative_power": "Cumulative power",
}


def format_number(value: Any) -> str:
    """A design number for a submission table: integers as they are, |x| >= 100 to one decimal,
    |x| >= 1 to four decimals, smaller numbers to four significant digits; NaN as "NA".

    Examples
    --------
    >>> [format_number(v) for v in (1150.6517, 3.710303, 0.000103506, 3, float("nan"))]
    ['1150.7', '3.7103', '0.0001035', '3', 'NA']
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return "NA"
    if abs(v) >= 100:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.4f}"
    return f"{v:.4g}"


def _summary_rows(plan: Any) -> pd.DataFrame:
    s = plan.summary()
    unit = s.get("time_unit") or ""
    rows = [("Design", f"{s['type']}, {s['looks']} look(s)"),
            ("Type I error", f"{s['alpha']:g} ({'one' if s['sided'] == 1 else 'two'}-sided)"),
            ("Power", format_number(s["power"])),
            ("Inflation factor", format_number(s["inflation_factor"]))]
    if s["hazard_ratio"] is not None:
        rows += [("Planning hazard ratio", format_number(s["hazard_ratio"])),
                 ("Null hazard ratio", format_number(s["null_hazard_ratio"])),
                 ("Events, fixed design", format_number(s["events_fixed"])),
                 ("Events, maximum", format_number(s["max_events"]))]
    if s["n_subjects"] is not None:
        rows += [("Subjects", format_number(s["n_subjects"])),
                 (f"Accrual ({unit})", format_number(s["accrual_duration"])),
                 (f"Study duration ({unit})", format_number(s["study_duration"])),
                 (f"Expected duration under H1 ({unit})", format_number(s["expected_study_duration_h1"]))]
    return pd.DataFrame(rows, columns=["Quantity", "Value"])


def plan_tlf(plan: Any, figure_png: bytes | None = None) -> Tlf:
    """The plan as a TLF document: the design summary, the looks table (``plan.to_frame()``, each
    number as :func:`format_number` prints it) and, when given, the boundary figure."""
    s = plan.summary()
    title = plan.spec.title or "Group-sequential survival design"
    looks = plan.to_frame()
    unit = s.get("time_unit")
    cols, rows = frame_cells(looks, dict.fromkeys(looks.columns, format_number))
    labels = tuple(f"Time ({unit})" if c == "time" and unit else _LABELS.get(c, c) for c in cols)
    items: list[TlfTable | TlfFigure] = [
        TlfTable("Table 1. Design summary", *frame_cells(_summary_rows(plan))),
        TlfTable("Table 2. Boundaries, events and timing per look", labels, rows),
    ]
    if figure_png is not None:
        items.append(TlfFigure("Figure 1. Efficacy (and futility) bounds on the z and hazard-ratio scales",
                               figure_png))
    if s["n_subjects"] is not None:
        population = (f"Population: planned, {s['n_subjects_rounded']} subjects randomized "
                      f"{s['allocation_ratio']:g}:1 (experimental:control), {s['max_events_rounded']} events")
    elif s["max_events"] is not None:
        population = f"Population: planned, {s['max_events_rounded']} events (subjects not computed)"
    else:
        population = "Population: not applicable (boundaries only)"
    d = plan.design
    spending = d.test_type if d.alpha_spending is None else d.alpha_spending.label
    method = (f"Method: group-sequential design, alpha spending {spending}"
              + (f", futility spending {d.beta_spending.label}" if d.beta_spending is not None else "")
              + (f"; events by {s['method']}" if s["method"] else "")
              + "; z > 0 favours the experimental arm; hazard ratios experimental vs control.")
    notes = (method, "Data cut: not applicable (a design, before any data).")
    from survtrial import __version__

    return Tlf(title, population, tuple(items), notes, f"Source: survtrial {__version__}")
