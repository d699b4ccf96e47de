"""Nearly equal follow-up times made one time, as R survival's ``timefix`` (``aeqSurv``) does."""

from __future__ import annotations

import numpy as np

__all__ = ["TIMEFIX_TOLERANCE", "merge_curves", "merge_near_ties"]

TIMEFIX_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
"""R's ``sqrt(.Machine$double.eps)``, about 1.49e-8 (the tolerance of ``all.equal``)."""


def _runs(y: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """R's rule on the sorted distinct times y: (tied, run, firsts) or None when nothing merges.

    ``tied[k]``: y[k + 1] is one time with y[k] (the step is within the tolerance, absolute or
    relative to the mean of |y|); ``run[k]``: the run of y[k]; ``firsts[r]``: run r's first time.
    """
    if y.size < 2:
        return None
    dy = np.diff(y)
    tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    if not tied.any():
        return None
    run = np.concatenate(([0], np.cumsum(~tied)))
    firsts = y[np.concatenate(([True], ~tied))]
    return tied, run, firsts


def merge_near_ties(time: np.ndarray, tolerance: float = TIMEFIX_TOLERANCE) -> np.ndarray:
    """Times with runs of nearly equal values replaced by the run's smallest value.

    The rule of R survival's ``aeqSurv`` (used by ``survfit``, ``survdiff`` and ``coxph`` with
    their default ``timefix = TRUE``): over the sorted distinct finite times y, consecutive values
    are one time when ``diff(y) <= tolerance`` or ``diff(y) / mean(|y|) <= tolerance``; runs chain
    (each step within the tolerance), and every time in a run becomes the run's first value.
    Times computed in floating point (``0.1 + 0.2`` against ``0.3``, days / 365.25 two ways)
    are then tied as their exact values are, and the risk sets agree with R's.

    Returns ``time`` itself when nothing is merged (no copy).

    Examples
    --------
    >>> merge_near_ties(np.array([0.3, 0.1 + 0.2, 0.5])).tolist()
    [0.3, 0.3, 0.5]
    """
    t = np.asarray(time, dtype=np.float64)
    fin = np.isfinite(t)
    tf = t if fin.all() else t[fin]
    # large samples of (nearly) all distinct times usually have many near-ties: sort indirectly
    # once and use the permutation for both finding and moving them (speed only, same result)
    order = None
    if tf.size >= 1 << 16:
        sample = tf[:: tf.size // 4096]
        if np.unique(sample).size > 0.9 * sample.size:
            order = np.argsort(tf)
    s = tf[order] if order is not None else np.sort(tf)
    if s.size < 2:
        return t
    new = s[1:] != s[:-1]  # a new distinct time starts here
    y = s[np.concatenate(([True], new))]  # the distinct times, sorted
    runs = _runs(y, tolerance)
    if runs is None:
        return t
    tied, run, firsts = runs
    if order is None and np.count_nonzero(tied) * 64 < tf.size:  # few values move: look them up
        moved = np.concatenate(([False], tied))
        values, targets = y[moved], firsts[run[moved]]
        idx = np.minimum(np.searchsorted(values, tf), values.size - 1)
        hit = values[idx] == tf
        merged = tf.copy()
        merged[hit] = targets[idx[hit]]
    else:  # many: through the sorting permutation
        if order is None:
            order = np.argsort(tf)
        start = np.ones(s.size, dtype=bool)  # a run starts at every distinct time not tied to the last
        start[1:] = new
        start[1:][new] = ~tied
        first = np.maximum.accumulate(np.where(start, np.arange(s.size), 0))
        merged = np.empty_like(tf)
        merged[order] = s[first]
    if fin.all():
        return merged
    out = t.copy()
    out[fin] = merged
    return out


def merge_curves(
    curves: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    tolerance: float = TIMEFIX_TOLERANCE,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`merge_near_ties` applied to count tables: the same result without re-sorting the data.

    ``curves`` are tables ``(times, n_risk, n_event, n_censor)`` with distinct times ascending
    (one per group and stratum, as ``curve_counts`` builds them) that together hold every
    observation. The rule runs on the union of their times (one merge of sorted runs), so runs
    chain across curves as they do in R; within a curve the rows of one run become one row at
    the run's first time: events and censorings summed, the number at risk of its first row.
    The tables come back unchanged when nothing merges.
    """
    times = [c[0] for c in curves]
    allt = np.concatenate(times) if times else np.empty(0)
    if allt.size < 2:
        return curves
    # non-negative doubles sort as their bit patterns; the stable sort merges the sorted runs
    order = np.argsort(np.add(allt, 0.0).view(np.uint64), kind="stable")
    s = allt[order]
    new = np.concatenate(([True], s[1:] != s[:-1]))
    runs = _runs(s[new], tolerance)
    if runs is None:
        return curves
    _, run, firsts = runs
    run_of = np.empty(allt.size, dtype=np.int64)  # run of each table row, in table order
    run_of[order] = run[np.cumsum(new) - 1]
    out = []
    at = 0
    for tt, n_risk, n_event, n_censor in curves:
        r = run_of[at:at + tt.size]
        at += tt.size
        if tt.size == 0:
            out.append((tt, n_risk, n_event, n_censor))
            continue
        rows = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1])))
        out.append((firsts[r[rows]], n_risk[rows], np.add.reduceat(n_event, rows), np.add.reduceat(n_censor, rows)))
    return out
