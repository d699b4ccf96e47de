"""Two-arm input at the API edge of the non-proportional-hazards tests: validated, reference arm first."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from survtrial.errors import InputError
from survtrial.stats._input import as_event, as_flag, as_labels, as_time, as_weights, check_lengths, column, where
from survtrial.stats._risksets import RiskSetTable, risk_set_table
from survtrial.stats.timefix import merge_near_ties

__all__ = ["TwoArms", "two_arms"]


@dataclass(frozen=True)
class TwoArms:
    """Validated two-arm data. Arm code 0 is the reference (control), 1 the experimental arm.

    ``raw_time`` is as given; ``time`` has near-ties merged when ``timefix`` is set (R's
    ``aeqSurv``); ``strata`` is None or codes ``0..n_strata-1``; ``weights`` is None or positive
    case weights.
    """

    raw_time: np.ndarray
    timefix: bool
    event: np.ndarray
    arm: np.ndarray
    strata: np.ndarray | None
    n_strata: int
    weights: np.ndarray | None
    labels: tuple[str, str]  # (reference, experimental)

    @cached_property
    def time(self) -> np.ndarray:
        return merge_near_ties(self.raw_time) if self.timefix else self.raw_time

    @property
    def n(self) -> np.ndarray:
        return np.bincount(self.arm, minlength=2).astype(np.int64)

    @property
    def n_events(self) -> np.ndarray:
        w = self.event if self.weights is None else self.event * self.weights
        return np.bincount(self.arm, weights=w, minlength=2)

    def table(self) -> RiskSetTable:
        """The risk-set table: column 0 the reference arm, column 1 the experimental arm (near-ties
        merged on the count tables, which is the same as merging the times first and faster)."""
        return risk_set_table(self.raw_time, self.event, self.arm, 2, self.strata, self.n_strata, self.weights,
                              timefix=self.timefix)


def reference_label(reference: Any, levels: np.ndarray, labels: np.ndarray) -> str:
    """The label of ``reference`` among the levels (default: the first sorted level)."""
    if reference is None:
        return str(labels[0])
    for level, label in zip(levels.tolist(), labels.tolist(), strict=True):
        if reference == level or str(reference) == label:
            return label
    raise InputError(f"reference: {reference!r} is not a group level; levels are {labels.tolist()}")


def two_arms(
    time: Any,
    event: Any,
    group: Any,
    *,
    data: Any = None,
    strata: Any = None,
    weights: Any = None,
    reference: Any = None,
    timefix: bool = True,
    test: str = "this test",
    weights_role: str = "case_weights",
) -> TwoArms:
    """Validate time/event/group (exactly two levels)/strata/case weights; reference arm gets code 0."""
    timefix = as_flag(timefix, "timefix")
    t = as_time(column(data, time, "time"), where(data, time, "time"))
    e = as_event(column(data, event, "event"), where(data, event, "event"))
    g_raw = column(data, group, "group")
    if g_raw is None:
        raise InputError(f"group: {test} compares two arms; give the arm column")
    s_raw = column(data, strata, "strata")
    w_raw = column(data, weights, weights_role)
    check_lengths(len(t), event=e, group=g_raw, strata=s_raw, **{weights_role: w_raw})
    codes, levels = as_labels(g_raw, where(data, group, "group"))
    labels = np.array([str(v) for v in levels])
    if labels.size != 2:
        raise InputError(
            f"group: {test} compares exactly two arms, found {labels.size} level(s) {labels.tolist()}; "
            f"filter the data to two arms (logrank_test handles k groups)"
        )
    ref = reference_label(reference, levels, labels)
    ref_code = int(np.flatnonzero(labels == ref)[0])
    arm = (codes != ref_code).astype(np.int64)
    w = None if w_raw is None else as_weights(w_raw, len(t), where(data, weights, weights_role))
    if s_raw is None:
        s_codes, n_strata = None, 1
    else:
        s_codes, s_levels = as_labels(s_raw, "strata")
        n_strata = int(s_levels.size)
    other = str(labels[1 - ref_code])
    return TwoArms(t, timefix, e, arm, s_codes, n_strata, w, (ref, other))
