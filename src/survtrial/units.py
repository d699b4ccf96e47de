"""Time units: names, conversions, durations such as '3y' or '36m', and the words a report uses for them.

survtrial never assumes a time unit. Data times keep the unit they were given in (a declared unit,
ADaM's AVALU, or a column name such as ``time_months``); durations (landmarks, RMST horizons)
carry their own unit or are in the data's unit; every label is built from the unit by the
functions below, so "3-year" is printed only for three years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from survtrial.errors import InputError

__all__ = [
    "DAYS_PER_UNIT",
    "UNITS",
    "Duration",
    "canonical_unit",
    "convert",
    "parse_duration",
    "time_axis_label",
    "unit_in_name",
]

#: The four units survtrial knows, by their canonical (plural, lower-case) names.
UNITS = ("days", "weeks", "months", "years")

#: Length of each unit in days: a year is 365.25 days, a month 1/12 year, a week 7 days.
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}

_ALIASES = {
    "days": "days", "day": "days", "d": "days",
    "weeks": "weeks", "week": "weeks", "wks": "weeks", "wk": "weeks", "w": "weeks",
    "months": "months", "month": "months", "mos": "months", "mo": "months", "mon": "months", "m": "months",
    "years": "years", "year": "years", "yrs": "years", "yr": "years", "y": "years",
}
# Words in a column name that state a unit (single letters are left out: 't_m' may be minutes).
_NAME_WORDS = {k: v for k, v in _ALIASES.items() if len(k) > 1 and k != "mon"}
_SINGULAR = {"days": "day", "weeks": "week", "months": "month", "years": "year"}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]+)?\s*$")


def canonical_unit(unit: str, *, role: str = "time unit") -> str:
    """The canonical name ('days', 'weeks', 'months', 'years') of ``unit``, any case, singular,
    plural or abbreviated (D, WK, MO, YRS...).

    Examples
    --------
    >>> canonical_unit("MONTHS"), canonical_unit("yr")
    ('months', 'years')
    """
    key = str(unit).strip().lower()
    if key not in _ALIASES:
        raise InputError(f"{role} {unit!r} not recognised; use one of days, weeks, months, years")
    return _ALIASES[key]


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (365.25-day years, 12 months a year)."""
    a, b = canonical_unit(from_unit), canonical_unit(to_unit)
    return float(value) if a == b else float(value) * DAYS_PER_UNIT[a] / DAYS_PER_UNIT[b]


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [w.lower() for w in re.split(r"[^A-Za-z]+", spaced) if w]


def unit_in_name(name: str) -> str | None:
    """The unit a column name states ('time_months', 'OS_DAYS', 'followupYears'), else None.

    A name that mentions two different units states none.

    Examples
    --------
    >>> unit_in_name("time_months"), unit_in_name("AVAL"), unit_in_name("days")
    ('months', None, 'days')
    """
    found = {_NAME_WORDS[w] for w in _words(name) if w in _NAME_WORDS}
    return found.pop() if len(found) == 1 else None


def _number(value: float) -> str:
    return f"{value:.6g}"


@dataclass(frozen=True)
class Duration:
    """A length of time with its unit, as the user wrote it (``Duration(3, "years")`` for '3y').

    ``value_in(unit)`` converts; ``adjective`` ("3-year", "36-month") and ``noun`` ("3 years",
    "1 month") are the words reports use for it.
    """

    value: float
    unit: str

    def value_in(self, unit: str) -> float:
        """The duration in ``unit``."""
        return convert(self.value, self.unit, unit)

    @property
    def adjective(self) -> str:
        """'3-year', '36-month', '1.5-year': as in '3-year DFS'."""
        return f"{_number(self.value)}-{_SINGULAR[self.unit]}"

    @property
    def noun(self) -> str:
        """'3 years', '1 month'."""
        return f"{_number(self.value)} {_SINGULAR[self.unit] if self.value == 1 else self.unit}"

    def __str__(self) -> str:
        return self.noun


def parse_duration(value: str | float | Duration, *, unit: str | None, role: str = "duration") -> Duration:
    """A positive duration: '3y', '36m', '156w', '1096d', '3 years', or a bare number in ``unit``.

    Parameters
    ----------
    value : text with a unit, a number, or a :class:`Duration`.
    unit : the unit of a bare number (the data's time unit); None refuses bare numbers.
    role : what the duration is (the flag, e.g. ``"--landmark"``), named in error messages.

    Notes
    -----
    'm' is months (write 'd' for days); a year is 365.25 days and a month 1/12 of a year.

    Examples
    --------
    >>> parse_duration("36m", unit=None).adjective
    '36-month'
    >>> parse_duration(3, unit="years").noun
    '3 years'
    """
    if isinstance(value, Duration):
        out = Duration(float(value.value), canonical_unit(value.unit, role=role))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out = _bare(float(value), unit, value, role)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise InputError(f"{role}: {value!r} is not a duration; write e.g. 3y, 36m, 156w or 1096d")
        if m.group(2) is None:
            out = _bare(float(m.group(1)), unit, value, role)
        else:
            out = Duration(float(m.group(1)), canonical_unit(m.group(2), role=f"{role} {value!r}: unit"))
    if not out.value > 0 or out.value == float("inf"):
        raise InputError(f"{role}: {value!r} must be a positive duration")
    return out


def _bare(number: float, unit: str | None, value: object, role: str) -> Duration:
    if unit is None:
        raise InputError(f"{role}: {value!r} has no unit; write it with one, e.g. {number:g}y or {number:g}m")
    return Duration(number, canonical_unit(unit))


def time_axis_label(unit: str | None, origin: str = "randomization") -> str:
    """'Months from randomization'; without a unit 'Time from randomization (unit not stated)'.

    Examples
    --------
    >>> time_axis_label("months")
    'Months from randomization'
    """
    if unit is None:
        return f"Time from {origin} (unit not stated)"
    return f"{canonical_unit(unit).capitalize()} from {origin}"
