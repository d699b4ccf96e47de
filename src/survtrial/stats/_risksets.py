"""Shared kernels: weighted counts per distinct time and category, and the risk-set table of log-rank tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from survtrial.stats._kmcounts import curve_counts, event_grid, on_grid, split_by
from survtrial.stats.timefix import merge_curves

__all__ = ["RiskSetTable", "TimeTable", "left_km", "risk_set_table", "tabulate"]


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


# ------------------------------------------------------------------ risk-set (counting-process) table


@dataclass(frozen=True)
class RiskSetTable:
    """Numbers at risk and events per group at each distinct event time, stratum by stratum.

    The one counting-process table every log-rank-type statistic reads (log-rank, weighted
    log-rank, MaxCombo).

    Attributes
    ----------
    time : (m,) distinct event times, ascending within each stratum.
    stratum : (m,) int stratum of each row; the rows of a stratum are contiguous, strata in order.
    offsets : (n_strata + 1,) rows of stratum ``j`` are ``offsets[j]:offsets[j + 1]`` (a stratum
        without events has no rows).
    n_risk, n_event : (m, k) (weighted) number at risk just before ``time`` and events at ``time``,
        per group (column ``g`` = group code ``g``).
    """

    time: np.ndarray
    stratum: np.ndarray
    offsets: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray

    @property
    def n_strata(self) -> int:
        return int(self.offsets.size - 1)

    @cached_property
    def surv_left(self) -> np.ndarray:
        """(m,) pooled Kaplan-Meier of each stratum just before each row's time, S(t-)."""
        return left_km(self.n_risk.sum(axis=1), self.n_event.sum(axis=1), self.offsets)

    @classmethod
    def from_counts(
        cls,
        n0: np.ndarray,
        n1: np.ndarray,
        d0: np.ndarray,
        d1: np.ndarray,
        stratum: np.ndarray | None = None,
        time: np.ndarray | None = None,
    ) -> RiskSetTable:
        """A two-group table from its columns (see ``weighted_logrank_from_counts`` for the contract)."""
        n_risk = np.column_stack((n0, n1)).astype(np.float64, copy=False)
        n_event = np.column_stack((d0, d1)).astype(np.float64, copy=False)
        m = n_risk.shape[0]
        if stratum is None:
            s = np.zeros(m, dtype=np.int64)
            offsets = np.array([0, m], dtype=np.int64)
        else:
            s = np.asarray(stratum)
            starts = np.flatnonzero(s[1:] != s[:-1]) + 1
            offsets = np.concatenate(([0], starts, [m])).astype(np.int64)
        t = np.arange(m, dtype=np.float64) if time is None else np.asarray(time, dtype=np.float64)
        return cls(time=t, stratum=s, offsets=offsets, n_risk=n_risk, n_event=n_event)


def left_km(n: np.ndarray, d: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Kaplan-Meier S(t-) from pooled counts, restarted at 1 at the first row of every stratum.

    Rows without events (or with nobody at risk) contribute a factor 1.
    """
    has = d > 0
    factor = np.where(has, 1.0 - d / np.where(has, n, 1.0), 1.0)
    out = np.empty_like(factor)
    for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
        if b > a:
            out[a] = 1.0
            np.cumprod(factor[a:b - 1], out=out[a + 1:b])
    return out


def risk_set_table(
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    strata: np.ndarray | None = None,
    n_strata: int = 1,
    weights: np.ndarray | None = None,
    timefix: bool = True,
) -> RiskSetTable:
    """Build the :class:`RiskSetTable` of validated data.

    Parameters
    ----------
    time, event : (n,) validated times and 0/1 events.
    group : (n,) int codes ``0..n_groups-1``.
    strata : (n,) int codes ``0..n_strata-1`` or None (one stratum).
    weights : (n,) positive case (frequency) weights or None.
    timefix : merge times equal up to rounding error first, as R's ``aeqSurv`` (on the per-group
        count tables, across all strata and groups, as R does on the whole data).

    Notes
    -----
    One value sort per group and stratum (``curve_counts``), then each stratum's groups are put on
    the sorted union of their event times. Censoring-only times have no row: they change nothing
    but the numbers at risk, which every row carries.
    """
    k = int(n_groups)

    def curves(rows: np.ndarray | None) -> list:
        t = time if rows is None else time[rows]
        e = event if rows is None else event[rows]
        g = group if rows is None else group[rows]
        w = weights if rows is None or weights is None else weights[rows]
        return [curve_counts(t[r], e[r], None if w is None else w[r]) for r in split_by(g, k)]

    if strata is None:
        tables = [curves(None)]
    else:
        tables = [curves(idx) for idx in split_by(strata, n_strata)]
    if timefix:  # R's aeqSurv over all strata and groups, on the count tables
        flat = merge_curves([c for tab in tables for c in tab])
        tables = [flat[j * k:(j + 1) * k] for j in range(len(tables))]
    times, risk, events, sizes = [], [], [], []
    for tab in tables:
        grid = event_grid([c[0] for c in tab], [c[2] for c in tab])
        sizes.append(grid.size)
        if grid.size == 0:
            continue
        times.append(grid)
        cols = [on_grid(grid, tt, nr, dd) for tt, nr, dd, _ in tab]
        risk.append(np.column_stack([c[0] for c in cols]))
        events.append(np.column_stack([c[1] for c in cols]))
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    if times:
        t_all = np.concatenate(times)
        n_risk = np.concatenate(risk)
        n_event = np.concatenate(events)
    else:
        t_all, n_risk, n_event = np.empty(0), np.empty((0, k)), np.empty((0, k))
    stratum = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    return RiskSetTable(time=t_all, stratum=stratum, offsets=offsets, n_risk=n_risk, n_event=n_event)
