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
    y = np.unique(t[np.isfinite(t)])
    if y.size < 2:
        return t
    dy = np.diff(y)
    tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    if not tied.any():
        return t
    cuts = y[np.concatenate(([True], ~tied))]
    out = t.copy()
    fin = np.isfinite(t)
    out[fin] = cuts[np.searchsorted(cuts, t[fin], side="right") - 1]
    return out
