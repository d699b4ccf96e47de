"""Monitoring from data: the events and log-rank z of each interim data cut, in survtrial's sign convention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pandas as pd

from survtrial.analysis._frames import combined_key, require_labels
from survtrial.analysis.arms import ReferenceArm, choose_reference
from survtrial.data.io import read_table
from survtrial.design.convention import design_z
from survtrial.errors import InputError
from survtrial.stats.logrank import logrank_test

__all__ = ["MonitorLooks", "looks_from_data", "monitor_looks"]


@dataclass(frozen=True)
class MonitorLooks:
    """Events and z (> 0 favours the experimental arm) of each look, and the control arm used."""

    events: list[float]
    z: list[float]
    reference_arm: ReferenceArm


def monitor_looks(
    cuts: Sequence[str | Path | pd.DataFrame],
    *,
    time: str,
    event: str,
    group: str,
    strata: Sequence[str] = (),
    reference: str | None = None,
) -> MonitorLooks:
    """Events and z statistic of each look, one data set (data cut) per look, in look order.

    ``z`` is in survtrial's convention (z > 0 favours the experimental arm), converted from
    :func:`survtrial.logrank_test` by :func:`survtrial.design.convention.design_z`. The control arm
    is ``reference``, else the arm whose name says control (:mod:`survtrial.analysis.arms`), else
    refused; it must be the same at every look. Events are the number of subjects with
    ``event == 1`` (the information of the log-rank test is proportional to it).
    """
    if not cuts:
        raise InputError("give at least one data set (one per look): --data FILE, repeated")
    events: list[float] = []
    zs: list[float] = []
    choice: ReferenceArm | None = None
    for k, cut in enumerate(cuts, start=1):
        frame = cut if isinstance(cut, pd.DataFrame) else read_table(cut, role=f"look {k} data")
        missing = [c for c in (time, event, group, *strata) if c not in frame.columns]
        if missing:
            raise InputError(f"look {k} data: column(s) {missing} not found (--time/--event/--group/--strata); "
                             f"available: {list(frame.columns)}")
        source = f"look {k} data" + ("" if isinstance(cut, pd.DataFrame) else f" ({cut})")
        try:
            require_labels(frame, [group], "arm")
            here = choose_reference(frame[group], reference=reference)
        except InputError as err:
            raise InputError(f"{source}: {err}") from None
        if choice is not None and (here.reference, here.experimental) != (choice.reference, choice.experimental):
            raise InputError(f"look {k} data: arms {[here.reference, here.experimental]} differ from look 1's "
                             f"{[choice.reference, choice.experimental]}")
        choice = choice or here
        try:  # from the frame, so that a bad time or event code is named by column and row
            data = frame.assign(**{group: frame[group].astype(str)})
            lr = logrank_test(time, event, group, data=data, strata=combined_key(frame, list(strata)),
                              reference=choice.reference)
        except InputError as err:
            raise InputError(f"{source}: {err}") from None
        events.append(float(frame[event].sum()))
        zs.append(design_z(lr))
    if any(b <= a for a, b in pairwise(events)):
        raise InputError(f"events must increase from look to look, got {events}; give the data cuts in order")
    return MonitorLooks(events=events, z=zs, reference_arm=choice)


def looks_from_data(
    cuts: Sequence[str | Path | pd.DataFrame],
    *,
    time: str,
    event: str,
    group: str,
    strata: Sequence[str] = (),
    reference: str | None = None,
) -> tuple[list[float], list[float]]:
    """``(events, z)`` of :func:`monitor_looks` (z > 0 favours the experimental arm)."""
    looks = monitor_looks(cuts, time=time, event=event, group=group, strata=strata, reference=reference)
    return looks.events, looks.z
