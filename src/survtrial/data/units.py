"""The time unit of a data set: from a declared unit, a unit column (AVALU) or the column's name, never guessed."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from survtrial.errors import InputError
from survtrial.units import (
    DAYS_PER_UNIT,
    UNITS,
    Duration,
    canonical_unit,
    convert,
    parse_duration,
    unit_in_name,
)

__all__ = [
    "UNITS",
    "UNIT_TO_YEARS",
    "Duration",
    "UnitSource",
    "canonical_unit",
    "convert",
    "parse_duration",
    "resolve_time_unit",
    "unit_column_values",
    "years_per_unit",
]

#: Length of each unit in years, by every accepted spelling (kept for callers of survtrial 0.1).
UNIT_TO_YEARS = {
    name: DAYS_PER_UNIT[canonical_unit(name)] / DAYS_PER_UNIT["years"]
    for name in ("DAYS", "DAY", "D", "WEEKS", "WEEK", "W", "MONTHS", "MONTH", "M", "YEARS", "YEAR", "Y")
}

#: (source, unit) pairs: where a unit was stated ("--time-unit", "column name 'time_months'",
#: "AVALU") and the canonical unit it states.
UnitSource = tuple[str, str]


def years_per_unit(unit: str, *, role: str = "time unit") -> float:
    """Length of one ``unit`` (days, weeks, months, years; singular, plural or D/W/M/Y) in years."""
    return DAYS_PER_UNIT[canonical_unit(unit, role=role)] / DAYS_PER_UNIT["years"]


def unit_column_values(values: pd.Series, column: str, where: str) -> str | None:
    """The one unit held by a unit column (AVALU), None when it is blank throughout.

    Several different units in the column are refused (one analysis, one unit).
    """
    text = values.astype("string").str.strip().replace("", pd.NA).dropna()
    units = sorted({str(u).upper() for u in text})
    if not units:
        return None
    if len(units) > 1:
        raise InputError(f"{where}: {column} holds several units {units}; one parameter must use one unit")
    return canonical_unit(units[0], role=f"{where}: {column} value")


def resolve_time_unit(sources: Sequence[tuple[str, str | None]], *, where: str, column: str) -> tuple[str, str]:
    """The one time unit that the given sources state, and which source(s) stated it.

    Parameters
    ----------
    sources : (source description, unit or None) pairs, e.g. ``[("--time-unit", None),
        ("column name 'time_months'", "months")]``; None means that source says nothing.
    where : the data set, for messages (``"data"``, ``"ADTTE"``).
    column : the time column, for messages.

    Returns
    -------
    (unit, source) : the canonical unit and a description of where it came from.

    Raises
    ------
    InputError
        No source states a unit (never assumed), or two sources state different units (both named).
    """
    stated = [(src, canonical_unit(u, role=src)) for src, u in sources if u is not None]
    if not stated:
        raise InputError(
            f"{where}: the time unit of column {column!r} is not stated; give it with --time-unit "
            f"(days, weeks, months or years), or name the column with its unit (e.g. time_months)"
        )
    for src, unit in stated[1:]:
        if unit != stated[0][1]:
            raise InputError(
                f"{where}: conflicting time units for column {column!r}: {stated[0][0]} says "
                f"{stated[0][1]}, {src} says {unit}; correct the one that is wrong"
            )
    return stated[0][1], " and ".join(src for src, _ in stated)


def parse_durations(values: Sequence[str | float | Duration], *, unit: str, role: str) -> list[Duration]:
    """Several durations (a bare number is in ``unit``)."""
    return [parse_duration(v, unit=unit, role=role) for v in values]


def name_unit(column: str) -> tuple[str, str | None]:
    """The (source, unit) pair a column's name gives."""
    return f"column name {column!r}", unit_in_name(column)
