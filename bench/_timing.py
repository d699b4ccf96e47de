"""Timing helper shared by the benchmark scripts: the median of a few runs of a call."""

from __future__ import annotations

import statistics
import time

REPEATS = 3


def median_time(fn, repeats: int = REPEATS) -> tuple[float, object]:
    """(median seconds over ``repeats`` calls of fn, the last call's result)."""
    secs, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        secs.append(time.perf_counter() - t0)
    return statistics.median(secs), out
