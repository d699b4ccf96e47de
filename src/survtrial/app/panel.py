"""The design panel as plain functions: the page's input values and grids -> the design and what is shown."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from survtrial.app.inputs import (
    ENROLL_COLUMNS,
    FAIL_COLUMNS,
    FAIL_COLUMNS_MEDIAN,
    DesignInputs,
    build_design,
    error_field,
    parse_fractions,
    rows_from_frame,
)
from survtrial.app.view import design_view
from survtrial.errors import InputError

__all__ = ["PENDING", "as_number", "collect_inputs", "compute", "not_ready", "table_frame"]

#: The design panel's result while the design of the latest inputs is being computed (in the background).
PENDING = {"error": "the design is still being computed; try again when its numbers show", "field": "pending"}


def not_ready(r: dict[str, Any]) -> str:
    """Why an action on the design (simulate, compare, export) cannot be taken now: it is being computed, or the
    message of its error."""
    return r["error"] if r is PENDING else "Fix the design first: " + r["error"]


def _cell(v: Any) -> str:
    if isinstance(v, str):
        return v
    f = float(v)
    return "inf" if math.isinf(f) else f"{f:g}"


def table_frame(rows: Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """An assumption table as the editable grid shows it (text cells, so that any typed value survives)."""
    return pd.DataFrame([{c: _cell(r.get(c, "")) for c in columns} for r in rows], columns=list(columns))


def as_number(value: Any, what: str) -> float:
    """A typed number (InputError naming ``what`` when empty or not a number)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(f"{what}: enter a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}: {value!r} is not a number") from None


def collect_inputs(values: dict[str, Any], enroll: Any, fail: Any) -> DesignInputs:
    """DesignInputs from the page's input values (as Shiny gives them) and the two grids' current rows."""
    control_as = values.get("control_as", "fail_rate")
    fail_cols = FAIL_COLUMNS_MEDIAN if control_as == "median" else FAIL_COLUMNS
    return DesignInputs(
        enroll=rows_from_frame(enroll, ENROLL_COLUMNS) if isinstance(enroll, pd.DataFrame) else tuple(enroll),
        fail=rows_from_frame(fail, fail_cols) if isinstance(fail, pd.DataFrame) else tuple(fail),
        control_as=control_as,
        allocation_ratio=as_number(values.get("allocation_ratio"), "allocation_ratio"),
        test=values.get("test", "logrank"),
        rho=as_number(values.get("rho", 0), "test: rho"),
        gamma=as_number(values.get("gamma", 0), "test: gamma"),
        combo_tests=tuple(values.get("combo_tests") or ()),
        alpha=as_number(values.get("alpha"), "alpha"),
        power=as_number(values.get("power"), "power"),
        sided=int(values.get("sided", 1)),
        final_time=as_number(values.get("final_time"), "looks: final analysis time"),
        fractions=parse_fractions(values.get("fractions", "")),
        alpha_spending=values.get("alpha_spending", "OF"),
        beta_spending=values.get("beta_spending", "none"),
        binding_futility=bool(values.get("binding_futility", False)),
        time_unit=values.get("time_unit", "months"),
    )


def compute(values: dict[str, Any], enroll: Any, fail: Any) -> dict[str, Any]:
    """What the design panel shows for the given inputs: ``{"inputs", "view"}`` or ``{"error", "field"}``.

    Every InputError of the inputs or of the design API becomes a message for the field it names;
    any other exception becomes a message too (no traceback reaches the page).
    """
    try:
        inputs = collect_inputs(values, enroll, fail)
        design = build_design(inputs)
        return {"inputs": inputs, "view": design_view(design, time_unit=inputs.time_unit)}
    except InputError as err:
        return {"error": str(err), "field": error_field(str(err))}
    except Exception as err:  # a bug or an unforeseen input: say so in the page
        return {"error": f"the design could not be computed ({type(err).__name__}: {err})", "field": "design"}


