"""Monitoring from data: the events and log-rank z of each interim data cut, in the design's convention."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import pandas as pd

from survtrial.analysis._frames import combined_key, require_labels
from survtrial.analysis.endpoint import arm_levels
from survtrial.data.io import read_table
from survtrial.errors import InputError
from survtrial.stats.logrank import logrank_test

__all__ = ["looks_from_data"]


def looks_from_data(
    cuts: Sequence[str | Path | pd.DataFrame],
    *,
    time: str,
    event: str,
    group: str,
    strata: Sequence[str] = (),
    reference: str | None = None,
) -> tuple[list[float], list[float]]:
    """Events and z statistic of each look, one data set (data cut) per look, in look order.

    Returns ``(events, z)`` with ``z`` in the design module's convention (z > 0 favours the
    experimental arm): minus the (stratified) log-rank z of :func:`survtrial.logrank_test`, whose
    z is (O - E)/sqrt(V) of the experimental arm. Events are the number of subjects with
    ``event == 1`` (the information of the log-rank test is proportional to it).
    """
    if not cuts:
        raise InputError("give at least one data set (one per look)")
    events: list[float] = []
    zs: list[float] = []
    for k, cut in enumerate(cuts, start=1):
        frame = cut if isinstance(cut, pd.DataFrame) else read_table(cut, role=f"look {k} data")
        missing = [c for c in (time, event, group, *strata) if c not in frame.columns]
        if missing:
            raise InputError(f"look {k} data: column(s) {missing} not found; available: {list(frame.columns)}")
        try:
            require_labels(frame, [group], "arm")
            ref, _ = arm_levels(frame[group], reference)
            data = frame.assign(**{group: frame[group].astype(str)})
            lr = logrank_test(time, event, group, data=data, strata=combined_key(frame, list(strata)), reference=ref)
        except InputError as err:
            raise InputError(f"look {k} data{'' if isinstance(cut, pd.DataFrame) else f' ({cut})'}: {err}") from None
        events.append(float(frame[event].sum()))
        zs.append(-float(lr.z))
    if any(b <= a for a, b in pairwise(events)):
        raise InputError(f"events must increase from look to look, got {events}; give the data cuts in order")
    return events, zs
