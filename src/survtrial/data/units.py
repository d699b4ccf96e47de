"""Durations such as '3y', '36m', '1095d' or '156w' converted to years."""

from __future__ import annotations

import re

from survtrial.errors import InputError

__all__ = ["UNIT_TO_YEARS", "parse_duration", "years_per_unit"]

UNIT_TO_YEARS = {
    "DAYS": 1 / 365.25, "DAY": 1 / 365.25, "D": 1 / 365.25,
    "WEEKS": 7 / 365.25, "WEEK": 7 / 365.25, "W": 7 / 365.25,
    "MONTHS": 1 / 12, "MONTH": 1 / 12, "M": 1 / 12,
    "YEARS": 1.0, "YEAR": 1.0, "Y": 1.0,
}
_UNITS = {"y": 1.0, "m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25}
_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(y|yr|yrs|years?|m|mo|months?|w|wk|weeks?|d|days?)?\s*$", re.I)


def parse_duration(value: str | float, *, role: str = "duration") -> float:
    """Return ``value`` in years: a number is taken as years; '3y', '36m', '156w', '1095.75d' as stated.

    Months are 1/12 year, weeks 7 days and days 1/365.25 year.

    Examples
    --------
    >>> parse_duration("36m")
    3.0
    >>> parse_duration(2.5)
    2.5
    """
    if isinstance(value, (int, float)):
        years = float(value)
    else:
        m = _PATTERN.match(str(value))
        if not m:
            raise InputError(f"{role}: {value!r} is not a duration; write e.g. 3y, 36m, 156w or 1096d")
        unit = (m.group(2) or "y")[0].lower()
        years = float(m.group(1)) * _UNITS[unit]
    if not years > 0:
        raise InputError(f"{role}: {value!r} must be a positive duration")
    return years


def years_per_unit(unit: str, *, role: str = "time unit") -> float:
    """Length of one ``unit`` (days, weeks, months, years; singular, plural or D/W/M/Y) in years."""
    key = str(unit).strip().upper()
    if key not in UNIT_TO_YEARS:
        raise InputError(f"{role} {unit!r} not recognised; use one of days, weeks, months, years")
    return UNIT_TO_YEARS[key]
