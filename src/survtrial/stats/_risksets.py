"""Shared kernel: tabulate weighted counts per distinct time and category, and numbers at risk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TimeTable", "tabulate"]


@dataclass(frozen=True)
class TimeTable:
    """Counts at each distinct observed time (ascending).

    Attributes
    ----------
    time : (m,) distinct times, ascending.
    counts : (m, C) weighted count of observations with that time in each category.
    total : (C,) weighted count of all observations per category.
    index : (n,) position in ``time`` of each input observation (same order as the input).
    """

    time: np.ndarray
    counts: np.ndarray
    total: np.ndarray
    index: np.ndarray

    def at_risk(self, cols: np.ndarray | slice | None = None) -> np.ndarray:
        """Weighted number at risk just before each time: sum of counts at times >= t.

        ``cols`` selects/aggregates categories: an (C,) -> (C') grouping is done by the caller;
        here the reverse cumulative sum is taken over rows for the selected columns.
        """
        c = self.counts if cols is None else self.counts[:, cols]
        return np.cumsum(c[::-1], axis=0)[::-1]


def tabulate(
    time: np.ndarray,
    category: np.ndarray | None = None,
    n_categories: int = 1,
    weights: np.ndarray | None = None,
) -> TimeTable:
    """Tabulate (weighted) counts of observations per distinct time and category.

    Parameters
    ----------
    time : (n,) float array of validated times.
    category : (n,) int array in ``0..n_categories-1`` (e.g. ``group * 2 + event``); None = all 0.
    n_categories : number of categories C.
    weights : (n,) positive weights, or None for counts.

    Returns
    -------
    TimeTable
        Distinct times are compared exactly (no tolerance); callers that want R's ``aeqSurv``
        merging of near-identical times must round first.

    Notes
    -----
    One O(n log n) sort, then a single ``bincount``; memory O(n + m*C).
    """
    time = np.asarray(time, dtype=np.float64)
    n = time.size
    order = np.argsort(time, kind="stable")
    ts = time[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    rank_sorted = np.cumsum(new) - 1
    utimes = ts[new]
    m = utimes.size
    index = np.empty(n, dtype=np.int64)
    index[order] = rank_sorted
    if category is None:
        flat = index
        C = 1
    else:
        C = int(n_categories)
        flat = index * C + np.asarray(category, dtype=np.int64)
    counts = np.bincount(flat, weights=weights, minlength=m * C).reshape(m, C)
    if weights is None:
        counts = counts.astype(np.float64)
    total = counts.sum(axis=0)
    return TimeTable(time=utimes, counts=counts, total=total, index=index)
