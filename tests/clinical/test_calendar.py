"""Treatment calendar: hand-computed bag changes per bag duration, dates, visits, travel, .ics."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import icalendar
import pytest

from survtrial.clinical.calendar import bag_changes, load_schedule, treatment_calendar
from survtrial.errors import InputError

# Hand count for one 28-day (672 h) infusion, bag hung at hour 0, changed every h hours before 672:
#   24 h: changes at 24, 48, ..., 648          -> 27   (28 bags)
#   48 h: 48, ..., 624                          -> 13   (14 bags)
#   72 h: 72, ..., 648 (9 x 72 = 648 < 672)     -> 9    (10 bags)
#   96 h: 96, ..., 576 (7 x 96 = 672 is the end) -> 6   (7 bags)
#  168 h: 168, 336, 504                         -> 3    (4 bags)
HAND = {24: 27, 48: 13, 72: 9, 96: 6, 168: 3}
# Of these, the changes inside the hospital days (3 days = 72 h in cycle 1, 2 days = 48 h in cycle 2,
# a change at the discharge hour still on the ward):
#   24 h: cycle 1 at 24, 48, 72 -> 3; cycle 2 at 24, 48 -> 2;  48 h: 48 -> 1 and 48 -> 1;
#   72 h: 72 -> 1 and none;  96 h and 168 h: none.
ON_WARD = {24: (3, 2), 48: (1, 1), 72: (1, 0), 96: (0, 0), 168: (0, 0)}


def test_bag_hours_allowed_come_from_the_reference(reference):
    assert sorted(HAND) == sorted(reference["intervention"]["bag_change_hours_allowed"])


@pytest.mark.parametrize("hours", sorted(HAND))
def test_bag_changes_per_bag_duration(hours):
    days = reference_cycle_days()
    assert bag_changes(24 * days, hours) == HAND[hours]
    cal = treatment_calendar("2025-01-06", arm="B", sex="F", bag_hours=hours)
    assert cal.bag_changes == 2 * HAND[hours] and cal.bags == 2 * (HAND[hours] + 1)
    assert cal.infusion_days == 2 * days
    changes = cal.to_frame().query("kind == 'bag change'")
    assert len(changes) == 2 * HAND[hours]
    on_ward = changes.groupby("phase")["location"].apply(lambda s: int((s == "hospital").sum()))
    assert (on_ward["Blinatumomab cycle 1"], on_ward["Blinatumomab cycle 2"]) == ON_WARD[hours]
    # clinic visits per cycle: the changes after discharge plus the disconnection; trips add the admission
    blina = cal.to_frame().query("phase.str.startswith('Blinatumomab')")
    expected_visits = (HAND[hours] - ON_WARD[hours][0] + 1) + (HAND[hours] - ON_WARD[hours][1] + 1)
    assert int((blina["location"] == "clinic").sum()) == expected_visits
    assert cal.blinatumomab_trips == expected_visits + 2


def reference_cycle_days():
    return int(load_schedule()["phases"]["blinatumomab_1"]["infusion_days"])


def test_phase_dates_and_cycle_placement():
    cal = treatment_calendar("2025-01-06", arm="B", sex="M", bag_hours=96)
    names = [p.name for p in cal.phases]
    assert names.index("blinatumomab_1") == names.index("consolidation") + 1
    assert names.index("interim_maintenance_1") == names.index("blinatumomab_1") + 1
    assert names.index("blinatumomab_2") == names.index("interim_maintenance_1") + 1
    assert names.index("delayed_intensification") == names.index("blinatumomab_2") + 1
    for a, b in pairwise(cal.phases):
        assert b.start == a.end + dt.timedelta(days=1)
    ph = {p.name: p for p in cal.phases}
    spec = load_schedule()["phases"]
    assert ph["blinatumomab_1"].start == dt.date(2025, 1, 6) + dt.timedelta(
        days=spec["induction"]["days"] + spec["consolidation"]["days"]
    )
    # therapy for a boy on a randomized arm: 3 years from the start of Interim Maintenance I (schedule.yaml)
    years = load_schedule()["therapy_years_from_im1"]["boys"]
    im1 = ph["interim_maintenance_1"].start
    assert cal.end == im1.replace(year=im1.year + years) - dt.timedelta(days=1)
    first_bag_change = cal.to_frame().query("kind == 'bag change'").iloc[0]
    assert (first_bag_change["date"], first_bag_change["time"]) == (
        (ph["blinatumomab_1"].start + dt.timedelta(days=4)).isoformat(), "10:00")


def test_chemotherapy_arm_has_no_infusion_and_same_backbone():
    a = treatment_calendar("2025-01-06", arm="A", sex="F")
    b = treatment_calendar("2025-01-06", arm="B", sex="F")
    assert (a.bags, a.bag_changes, a.infusion_days, a.inpatient_days) == (0, 0, 0, 0)
    assert [p.name for p in a.phases] == [p.name for p in b.phases if not p.name.startswith("blinatumomab")]
    trips = b.to_frame().query("trip")
    assert b.trips == len(trips)
    assert b.blinatumomab_trips == int(trips["phase"].str.startswith("Blinatumomab").sum())
    assert a.blinatumomab_trips == 0 and a.trips == a.clinic_visits


def test_travel_and_home_nursing():
    cal = treatment_calendar("2025-01-06", arm="D", sex="F", bag_hours=48, distance_km=150, speed_kmh=75)
    assert cal.travel_km == pytest.approx(cal.trips * 2 * 150)
    assert cal.travel_hours == pytest.approx(cal.trips * 2 * 150 / 75)
    assert cal.blinatumomab_travel_km == pytest.approx(cal.blinatumomab_trips * 300)
    home = treatment_calendar("2025-01-06", arm="D", sex="F", bag_hours=48, distance_km=150, home_nursing=True)
    # at home: only the two admissions remain as blinatumomab trips
    assert home.blinatumomab_trips == 2
    assert home.home_visits == cal.blinatumomab_trips - 2


def test_patient_gives_the_arm():
    child = {"age_years": 5, "wbc_per_ul": 4000, "sex": "M", "cytogenetics": "KMT2A", "cns_status": "CNS1",
             "testicular": False, "day8_pb_mrd_pct": 0.1, "eoi_bm_flow_mrd_pct": 0.0, "eoi_hts_mrd": "detectable",
             "eoc_bm_mrd_pct": 0.0}
    assert treatment_calendar("2025-01-06", patient=child).arm == "D"
    assert treatment_calendar("2025-01-06", patient=child, blinatumomab=False).arm == "C"
    with pytest.raises(InputError, match="no AALL1731 arm"):
        treatment_calendar("2025-01-06", patient=dict(child, age_years=12))


def test_ics_parses_and_holds_every_event():
    cal = treatment_calendar("2025-01-06", arm="B", sex="F", bag_hours=72)
    parsed = icalendar.Calendar.from_ical(cal.to_ics())
    events = [c for c in parsed.walk() if c.name == "VEVENT"]
    assert len(events) == len(cal.events)
    assert len({str(e["uid"]) for e in events}) == len(events)
    changes = [e for e in events if "bag change" in str(e["summary"])]
    assert len(changes) == 2 * HAND[72]
    first = min(e.decoded("dtstart") for e in changes)
    start = next(p.start for p in cal.phases if p.name == "blinatumomab_1")
    assert first == dt.datetime.combine(start, dt.time(10)) + dt.timedelta(hours=72)
    phase = next(e for e in events if str(e["summary"]) == "Induction")
    assert phase.decoded("dtend") == cal.phases[0].end + dt.timedelta(days=1)  # DTEND exclusive


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"arm": "B", "sex": "F", "bag_hours": 120}, "not an allowed bag duration"),
        ({"arm": "E", "sex": "F"}, "unknown; use one of"),
        ({"arm": "B"}, "give sex"),
        ({"arm": "B", "sex": "X"}, "use 'M' or 'F'"),
        ({"arm": "B", "sex": "F", "distance_km": -3}, "distance_km"),
        ({"sex": "F"}, "give arm"),
        ({"arm": "B", "sex": "F", "infusion_start": "25:00"}, "HH:MM"),
    ],
)
def test_bad_arguments(kwargs, fragment):
    with pytest.raises(InputError) as err:
        treatment_calendar("2025-01-06", **kwargs)
    assert fragment in str(err.value)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        treatment_calendar("06/01/2025", arm="A", sex="F")
