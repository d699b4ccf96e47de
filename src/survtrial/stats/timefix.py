"""Nearly equal follow-up times made one time, as R survival's ``timefix`` (``aeqSurv``) does."""

from __future__ import annotations

import numpy as np

__all__ = ["TIMEFIX_TOLERANCE", "merge_near_ties"]

TIMEFIX_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
"""R's ``sqrt(.Machine$double.eps)``, about 1.49e-8 (the tolerance of ``all.equal``)."""


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
    s = np.sort(tf)
    if s.size < 2:
        return t
    new = s[1:] != s[:-1]  # a new distinct time starts here
    y = s[np.concatenate(([True], new))]  # the distinct times, sorted
    if y.size < 2:
        return t
    dy = np.diff(y)
    tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    n_moved = int(np.count_nonzero(tied))
    if n_moved == 0:
        return t
    if n_moved * 64 < tf.size:  # few values move: look them up
        run = np.concatenate(([0], np.cumsum(~tied)))
        firsts = y[np.concatenate(([True], ~tied))]
        moved = np.concatenate(([False], tied))
        values, targets = y[moved], firsts[run[moved]]
        idx = np.minimum(np.searchsorted(values, tf), values.size - 1)
        hit = values[idx] == tf
        merged = tf.copy()
        merged[hit] = targets[idx[hit]]
    else:  # many (large continuous samples): through the sorting permutation
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
