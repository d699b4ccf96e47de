"""Continuous blinatumomab infusion: bag changes for a bag duration, and the visits of one cycle."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from survtrial.errors import InputError

__all__ = ["Event", "bag_changes", "blinatumomab_events"]


@dataclass(frozen=True)
class Event:
    """One dated item of the calendar. ``start``/``end`` are datetimes (timed) or dates (all day)."""

    start: dt.date | dt.datetime
    end: dt.date | dt.datetime
    kind: str  # phase, clinic, admission, discharge, infusion start, bag change, infusion end
    phase: str
    title: str
    location: str  # clinic, hospital, home, "" (phase)
    trip: bool  # the family travels to the centre for it (round trip)


def bag_changes(infusion_hours: float, bag_hours: float) -> int:
    """Bag changes in one continuous infusion: bags hung after the first, ceil(infusion/bag) - 1.

    Examples
    --------
    >>> [bag_changes(28 * 24, h) for h in (24, 48, 72, 96, 168)]
    [27, 13, 9, 6, 3]
    """
    if bag_hours <= 0 or infusion_hours <= 0:
        raise InputError("infusion and bag durations must be > 0 hours")
    return math.ceil(infusion_hours / bag_hours) - 1


def blinatumomab_events(
    spec: dict, ph: Any, bag_hours: int, t0: dt.time, loc_out: str, events: list, counts: dict
) -> None:
    """Append one cycle's admission, discharge, bag changes and disconnection to ``events``.

    ``spec`` is the cycle's entry of schedule.yaml (``infusion_days``, ``inpatient_days``), ``ph``
    its phase (``start``, ``title``); visits during the hospital days are on the ward, later ones
    at ``loc_out`` ("clinic": a round trip each, or "home"). ``counts`` is updated in place.
    """
    hours = 24 * int(spec["infusion_days"])
    inpatient = int(spec.get("inpatient_days", 0))
    begin = dt.datetime.combine(ph.start, t0)
    stop = begin + dt.timedelta(hours=hours)
    discharge = begin + dt.timedelta(days=inpatient)
    n_changes = bag_changes(hours, bag_hours)
    counts["infusion"] += int(spec["infusion_days"])
    counts["bags"] += n_changes + 1
    counts["changes"] += n_changes
    counts["inpatient"] += inpatient
    title = ph.title

    def visit(when: dt.datetime, kind: str, what: str) -> None:
        ward = inpatient and when <= discharge  # a change at discharge is done on the ward
        loc = "hospital" if ward else loc_out
        trip = (not ward) and loc == "clinic"
        events.append(Event(when, when + dt.timedelta(minutes=30), kind, title, f"{title}: {what}", loc, trip))
        if not ward:
            counts["clinic" if loc == "clinic" else "home"] += 1
        if trip:
            counts["trips"] += 1
            counts["blina_trips"] += 1

    if inpatient:
        events.append(Event(begin, begin + dt.timedelta(minutes=30), "admission", title,
                        f"{title}: admission, infusion starts (bag 1)", "hospital", True))
        events.append(Event(discharge, discharge + dt.timedelta(minutes=30), "discharge", title,
                        f"{title}: discharge home with the pump", "hospital", False))
        counts["trips"] += 1
        counts["blina_trips"] += 1
    else:
        visit(begin, "infusion start", "infusion starts (bag 1)")
    for k in range(1, n_changes + 1):
        visit(begin + dt.timedelta(hours=k * bag_hours), "bag change", f"bag change (bag {k + 1})")
    visit(stop, "infusion end", "infusion ends, pump disconnected")
