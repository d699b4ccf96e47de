"""Treatment calendar of an AALL1731 arm: phases, blinatumomab bag changes, visits, travel; CSV and iCalendar."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from survtrial._repr import HtmlReprMixin
from survtrial._yaml import read_yaml
from survtrial.clinical.benefit import load_published
from survtrial.clinical.classify import RiskClassification, classify_patient
from survtrial.clinical.infusion import Event, bag_changes, blinatumomab_events
from survtrial.errors import InputError

__all__ = ["Event", "Phase", "TreatmentCalendar", "bag_changes", "load_schedule", "treatment_calendar"]

SCHEDULE = Path(__file__).with_name("schedule.yaml")


@functools.lru_cache(maxsize=1)
def load_schedule() -> dict[str, Any]:
    """The phase definitions (``clinical/schedule.yaml``), with their sources and status."""
    return read_yaml(SCHEDULE, "schedule file")


@dataclass(frozen=True)
class Phase:
    """One treatment phase, dates inclusive."""

    name: str
    title: str
    start: dt.date
    end: dt.date
    status: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class TreatmentCalendar(HtmlReprMixin):
    """Phase-by-phase calendar of one arm from a start date (see :func:`treatment_calendar`)."""

    arm: str
    arm_note: str
    start: dt.date
    end: dt.date
    bag_hours: int
    phases: tuple[Phase, ...]
    events: tuple[Event, ...]
    infusion_days: int
    bags: int
    bag_changes: int
    inpatient_days: int
    clinic_visits: int
    home_visits: int
    trips: int
    blinatumomab_trips: int
    distance_km: float
    travel_km: float
    travel_hours: float
    blinatumomab_travel_km: float
    blinatumomab_travel_hours: float
    assumptions: tuple[str, ...]

    def to_frame(self):
        """All events as a pandas DataFrame (one row per event, in date order)."""
        import pandas as pd

        rows = []
        for e in self.events:
            timed = isinstance(e.start, dt.datetime)
            rows.append(
                {
                    "date": (e.start.date() if timed else e.start).isoformat(),
                    "time": e.start.strftime("%H:%M") if timed else "",
                    "end": e.end.isoformat(timespec="minutes") if timed else e.end.isoformat(),
                    "kind": e.kind,
                    "phase": e.phase,
                    "title": e.title,
                    "location": e.location,
                    "trip": e.trip,
                }
            )
        return pd.DataFrame(rows)

    def phases_frame(self):
        """The phases with start and end dates (inclusive) and length in days."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"phase": p.title, "start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days,
                 "status": p.status}
                for p in self.phases
            ]
        )

    def summary(self) -> dict[str, Any]:
        """The burden in numbers (for tables and the CLI)."""
        keys = ("arm", "start", "end", "bag_hours", "infusion_days", "bags", "bag_changes", "inpatient_days",
                "clinic_visits", "home_visits", "trips", "blinatumomab_trips", "distance_km", "travel_km",
                "travel_hours", "blinatumomab_travel_km", "blinatumomab_travel_hours")
        out = {k: getattr(self, k) for k in keys}
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out

    def to_ics(self, *, stamp: dt.datetime | None = None) -> bytes:
        """The calendar as an iCalendar (.ics) file a family can import (RFC 5545, via icalendar)."""
        import icalendar

        cal = icalendar.Calendar()
        cal.add("prodid", "-//survtrial//AALL1731 treatment calendar//EN")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", f"AALL1731 arm {self.arm} treatment calendar")
        stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
        for i, e in enumerate(self.events):
            ev = icalendar.Event()
            ev.add("uid", f"{self.start.isoformat()}-{self.arm}-{i:04d}@survtrial")
            ev.add("dtstamp", stamp)
            ev.add("summary", e.title)
            ev.add("dtstart", e.start)
            # all-day events end on the day after (DTEND is exclusive in iCalendar)
            ev.add("dtend", e.end if isinstance(e.end, dt.datetime) else e.end + dt.timedelta(days=1))
            if e.location:
                ev.add("location", e.location)
            ev.add("categories", [e.kind])
            ev.add("description", f"{e.phase}; {'trip to the centre' if e.trip else 'no trip'}")
            cal.add_component(ev)
        return cal.to_ical()

    def __repr__(self) -> str:
        km = f", travel {self.travel_km:.0f} km / {self.travel_hours:.1f} h" if self.distance_km else ""
        return (
            f"TreatmentCalendar(arm {self.arm}, {self.start} to {self.end}, {len(self.phases)} phases;\n"
            f"  {self.infusion_days} infusion days, {self.bags} bags ({self.bag_hours} h), "
            f"{self.bag_changes} bag changes, {self.clinic_visits} clinic + {self.home_visits} home visits{km})"
        )


def _as_date(x: Any) -> dt.date:
    if isinstance(x, dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    try:
        return dt.date.fromisoformat(str(x).strip())
    except ValueError:
        raise InputError(f"start={x!r}: not a date; use YYYY-MM-DD, e.g. 2025-03-03") from None


def _add_years(d: dt.date, years: float) -> dt.date:
    whole = int(years)
    try:
        base = d.replace(year=d.year + whole)
    except ValueError:  # 29 February
        base = d.replace(year=d.year + whole, day=28)
    return base + dt.timedelta(days=round((years - whole) * 365.25))


def _resolve_arm(arm, patient, blinatumomab) -> str:
    sched = load_schedule()
    if patient is None:
        if arm is None:
            raise InputError(f"give arm= (one of {list(sched['arms'])}) or patient=")
        key = str(arm).strip()
        match = {k.lower(): k for k in sched["arms"]}.get(key.lower())
        if match is None:
            raise InputError(f"arm={arm!r}: unknown; use one of {list(sched['arms'])}")
        return match
    if arm is not None:
        raise InputError("give arm or patient, not both")
    c = patient if isinstance(patient, RiskClassification) else classify_patient(patient)
    if c.risk_group == "SR-Fav" and c.eligible:
        return "SR-Fav"
    if c.randomized is not True:
        raise InputError(f"no AALL1731 arm for this child: {c.summary}")
    return {"SR-Avg": "BA", "SR-High": "DC"}[str(c.risk_group)][0 if blinatumomab else 1]


def treatment_calendar(
    start: dt.date | str,
    *,
    arm: str | None = None,
    patient: Mapping[str, Any] | RiskClassification | None = None,
    blinatumomab: bool = True,
    sex: str | None = None,
    bag_hours: int = 96,
    infusion_start: dt.time | str = "10:00",
    home_nursing: bool = False,
    distance_km: float = 0.0,
    speed_kmh: float = 60.0,
    therapy_years: float | None = None,
) -> TreatmentCalendar:
    """Phase-by-phase calendar of an AALL1731 arm with blinatumomab bag changes, visits and travel.

    Parameters
    ----------
    start : date or "YYYY-MM-DD"
        First day of Induction.
    arm : {"A", "B", "C", "D", "SR-Fav"}, optional
        A/B: SR-Avg chemotherapy / + blinatumomab; C/D: SR-High; SR-Fav: chemotherapy only.
    patient : mapping or RiskClassification, optional
        Instead of ``arm``: the child's values; the arm follows the risk group (B or D with
        ``blinatumomab=True``, A or C otherwise). The child's ``sex`` is used when given.
    blinatumomab : bool
        With ``patient``: the blinatumomab arm (default) or the chemotherapy arm.
    sex : {"M", "F"}, optional
        Sets the length of therapy (boys 3, girls 2 years from Interim Maintenance I; SR-Fav 2).
    bag_hours : {24, 48, 72, 96, 168}
        Infusion-bag duration (the durations allowed by the label, from the published figures).
    infusion_start : time or "HH:MM"
        Clock time at which each cycle's infusion starts (bag changes follow every ``bag_hours``).
    home_nursing : bool
        Bag changes after discharge done at home by a nurse (no trip) instead of at the clinic.
    distance_km : float
        One-way distance to the treatment centre, for the travel burden.
    speed_kmh : float
        Average travel speed (assumption, default 60 km/h).
    therapy_years : float, optional
        Overrides the length of therapy counted from the start of Interim Maintenance I.

    Returns
    -------
    TreatmentCalendar
        ``phases``, ``events``, counts (``bags``, ``bag_changes``, ``clinic_visits``,
        ``home_visits``, ``trips``), travel (``travel_km``, ``travel_hours``; the
        ``blinatumomab_*`` fields count what the cycles add), ``to_frame()``, ``to_ics()``.

    Notes
    -----
    Each 28-day cycle is a continuous infusion of 672 hours; a bag hung at hour 0 is changed at
    hours ``bag_hours``, 2 x ``bag_hours``, ... before 672, so a cycle uses ceil(672 / bag_hours)
    bags and ceil(672 / bag_hours) - 1 changes (24 h: 27; 48 h: 13; 72 h: 9; 96 h: 6; 168 h: 3).
    Changes during the first days of a cycle (3 in cycle 1, 2 in cycle 2, spent in hospital per
    the US label) happen on the ward; later ones are clinic visits (a round trip each) or home
    visits. The disconnection at hour 672 is one more visit. The admission is one round trip.
    Chemotherapy clinic days and phase lengths are approximations (see ``schedule.yaml``, every
    entry marked "assumption"): use the centre's roadmap for the real dates.

    References
    ----------
    Gupta S, et al. N Engl J Med 2025;392:875-891 (AALL1731); BLINCYTO (blinatumomab) US
    prescribing information (bag durations, hospitalization at the start of a cycle).

    Examples
    --------
    >>> cal = treatment_calendar("2025-03-03", arm="B", sex="F", bag_hours=168)
    >>> cal.bags, cal.bag_changes, cal.infusion_days
    (8, 6, 56)
    """
    sched = load_schedule()
    allowed = [int(h) for h in load_published()["intervention"]["bag_change_hours_allowed"]]
    if bag_hours not in allowed:
        raise InputError(f"bag_hours={bag_hours!r}: not an allowed bag duration; use one of {allowed}")
    if not (isinstance(distance_km, (int, float)) and math.isfinite(distance_km) and distance_km >= 0):
        raise InputError(f"distance_km={distance_km!r}: must be a number >= 0 (one-way km)")
    if not (isinstance(speed_kmh, (int, float)) and speed_kmh > 0):
        raise InputError(f"speed_kmh={speed_kmh!r}: must be > 0")
    if isinstance(infusion_start, str):
        try:
            infusion_start = dt.time.fromisoformat(infusion_start)
        except ValueError:
            raise InputError(f"infusion_start={infusion_start!r}: use HH:MM, e.g. 10:00") from None
    first = _as_date(start)
    if patient is not None and sex is None and not isinstance(patient, RiskClassification):
        sex = patient.get("sex")
    arm_key = _resolve_arm(arm, patient, blinatumomab)
    assumptions = [
        "phase lengths and clinic days approximate the COG standard-risk backbone (schedule.yaml)",
        "no delays between phases",
    ]
    if therapy_years is None:
        yrs = sched["therapy_years_from_im1"]
        if arm_key == "SR-Fav":
            therapy_years = float(yrs["SR-Fav"])
        elif sex is None:
            raise InputError("give sex='M' or 'F' (length of therapy differs) or therapy_years=")
        else:
            s = str(sex).strip().upper()
            if s not in ("M", "F"):
                raise InputError(f"sex={sex!r}: use 'M' or 'F'")
            therapy_years = float(yrs["boys" if s == "M" else "girls"])
            assumptions.append(f"therapy {therapy_years:g} years from Interim Maintenance I ({yrs['status']})")
    if not (isinstance(therapy_years, (int, float)) and 1 <= therapy_years <= 5):
        raise InputError(f"therapy_years={therapy_years!r}: expected 1 to 5 years from Interim Maintenance I")

    phases: list[Phase] = []
    events: list[Event] = []
    day = first
    counts = dict.fromkeys(("bags", "changes", "inpatient", "clinic", "home", "trips", "blina_trips", "infusion"), 0)
    loc_out = "home" if home_nursing else "clinic"
    for name in sched["arms"][arm_key]:
        spec = sched["phases"][name]
        kind = spec.get("kind", "chemotherapy")
        if kind == "maintenance":
            im1 = next(p.start for p in phases if p.name == "interim_maintenance_1")
            end = _add_years(im1, therapy_years) - dt.timedelta(days=1)
            if end < day:
                raise InputError(f"therapy_years={therapy_years}: ends before Maintenance would start")
            length = (end - day).days + 1
        elif kind == "blinatumomab":
            length = int(spec["infusion_days"]) + int(spec["rest_days"])
        else:
            length = int(spec["days"])
        ph = Phase(name, spec["title"], day, day + dt.timedelta(days=length - 1), str(spec["status"]))
        phases.append(ph)
        events.append(Event(ph.start, ph.end, "phase", ph.title, ph.title, "", False))
        if kind == "blinatumomab":
            blinatumomab_events(spec, ph, bag_hours, infusion_start, loc_out, events, counts)
        else:
            cycle = int(spec.get("cycle_days", length))
            for c0 in range(0, length, cycle):
                for d in spec["clinic_days"]:
                    if c0 + d - 1 < length:
                        when = ph.start + dt.timedelta(days=c0 + d - 1)
                        events.append(
                            Event(when, when, "clinic", ph.title, f"{ph.title}: clinic visit", "clinic", True)
                        )
                        counts["clinic"] += 1
                        counts["trips"] += 1
        day = ph.end + dt.timedelta(days=1)
    events.sort(key=lambda e: (e.start if isinstance(e.start, dt.datetime) else dt.datetime.combine(e.start, dt.time()),
                               e.kind != "phase"))
    km = 2.0 * distance_km
    return TreatmentCalendar(
        arm=arm_key,
        arm_note=str(sched["arm_notes"][arm_key]),
        start=first,
        end=phases[-1].end,
        bag_hours=int(bag_hours),
        phases=tuple(phases),
        events=tuple(events),
        infusion_days=counts["infusion"],
        bags=counts["bags"],
        bag_changes=counts["changes"],
        inpatient_days=counts["inpatient"],
        clinic_visits=counts["clinic"],
        home_visits=counts["home"],
        trips=counts["trips"],
        blinatumomab_trips=counts["blina_trips"],
        distance_km=float(distance_km),
        travel_km=counts["trips"] * km,
        travel_hours=counts["trips"] * km / speed_kmh,
        blinatumomab_travel_km=counts["blina_trips"] * km,
        blinatumomab_travel_hours=counts["blina_trips"] * km / speed_kmh,
        assumptions=tuple(assumptions),
    )
