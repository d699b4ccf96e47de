"""Time units and durations: conversions, names, and the words reports use."""

import pytest

from survtrial.errors import InputError
from survtrial.units import Duration, canonical_unit, convert, parse_duration, time_axis_label, unit_in_name


@pytest.mark.parametrize(("text", "value", "unit", "adjective", "noun"), [
    ("3y", 3.0, "years", "3-year", "3 years"),
    ("36m", 36.0, "months", "36-month", "36 months"),
    ("1 year", 1.0, "years", "1-year", "1 year"),
    ("156w", 156.0, "weeks", "156-week", "156 weeks"),
    ("1096d", 1096.0, "days", "1096-day", "1096 days"),
    ("1.5 YEARS", 1.5, "years", "1.5-year", "1.5 years"),
])
def test_parse_and_name(text, value, unit, adjective, noun):
    d = parse_duration(text, unit=None)
    assert (d.value, d.unit, d.adjective, d.noun) == (value, unit, adjective, noun)


def test_bare_numbers_take_the_data_unit_or_are_refused():
    assert parse_duration("24", unit="months") == Duration(24.0, "months")
    assert parse_duration(2, unit="years").adjective == "2-year"
    with pytest.raises(InputError, match=r"--landmark: 24 has no unit; write it with one, e.g. 24y or 24m"):
        parse_duration(24, unit=None, role="--landmark")
    for bad in ("-3y", "0m", "3 fortnights", "y3"):
        with pytest.raises(InputError, match="--tau"):
            parse_duration(bad, unit="years", role="--tau")


def test_conversions():
    # a year is 365.25 days and 12 months; a week 7 days
    assert convert(3, "years", "months") == pytest.approx(36.0, rel=1e-15)
    assert convert(3, "years", "days") == pytest.approx(1095.75, rel=1e-15)
    assert convert(14, "days", "weeks") == pytest.approx(2.0, rel=1e-15)
    assert parse_duration("36m", unit=None).value_in("years") == pytest.approx(3.0, rel=1e-15)
    assert canonical_unit("MONTHS") == canonical_unit("mo") == "months"
    with pytest.raises(InputError, match="'minutes' not recognised"):
        canonical_unit("minutes")


@pytest.mark.parametrize(("name", "unit"), [
    ("time_months", "months"), ("OS_DAYS", "days"), ("followupYears", "years"), ("days", "days"),
    ("t_wks", "weeks"), ("time", None), ("AVAL", None), ("t_m", None), ("days_or_months", None),
    ("dayspring", None),
])
def test_unit_in_column_names(name, unit):
    assert unit_in_name(name) == unit


def test_axis_label():
    assert time_axis_label("days") == "Days from randomization"
    assert time_axis_label(None) == "Time from randomization (unit not stated)"
