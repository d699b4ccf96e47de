"""When the looks of a non-proportional-hazards design happen: calendar times, events, information fractions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial.design.accrual import solve_increasing
from survtrial.errors import InputError

RULES = ("later", "earlier")


@dataclass(frozen=True)
class LookPlan:
    """Look targets: any of calendar times, event counts and H0 information fractions, per look.

    A look happens when its targets are met: the ``later`` of them (gsDesign2's rule: time at
    least ``analysis_times[k]`` and events at least ``events[k]``) or the ``earlier``.
    """

    k: int
    analysis_times: np.ndarray | None
    events: np.ndarray | None
    information_fractions: np.ndarray | None
    rule: str

    def describe(self) -> str:
        parts = []
        if self.analysis_times is not None:
            parts.append("calendar time " + ", ".join(f"{x:g}" for x in self.analysis_times))
        if self.events is not None:
            parts.append("events " + ", ".join(f"{x:g}" for x in self.events))
        if self.information_fractions is not None:
            parts.append("information fraction " + ", ".join(f"{x:g}" for x in self.information_fractions))
        return parts[0] if len(parts) == 1 else f"{self.rule} of: " + "; ".join(parts)


def _vector(x: Any, name: str) -> np.ndarray | None:
    if x is None:
        return None
    try:
        a = np.atleast_1d(np.asarray(x, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name}={x!r}: expected numbers, one per look") from None
    if a.size == 0:
        raise InputError(f"{name}: give at least one look")
    bad = np.flatnonzero(~(np.isfinite(a) & (a > 0)))
    if bad.size:
        raise InputError(f"{name}: look {bad[0] + 1} has {a[bad[0]]!r}; values must be finite and > 0")
    return a


def look_plan(
    analysis_times: Any = None,
    events: Any = None,
    information_fractions: Any = None,
    rule: str = "later",
) -> LookPlan:
    """Validate look targets. A single analysis time with K information fractions is the final look's time."""
    times = _vector(analysis_times, "analysis_times")
    ev = _vector(events, "events")
    fr = _vector(information_fractions, "information_fractions")
    if rule not in RULES:
        raise InputError(f"look_rule={rule!r}: use 'later' (all targets met) or 'earlier' (first target met)")
    if times is None and ev is None and fr is None:
        raise InputError("looks: give analysis_times, events or information_fractions (one value per look)")
    if fr is not None:
        if np.any(np.diff(fr) <= 0) or np.any(fr > 1) or abs(fr[-1] - 1) > 1e-12:
            raise InputError(
                f"information_fractions={fr.tolist()}: must increase strictly within (0, 1] and end at 1"
            )
        k = fr.size
        if times is not None and times.size == 1 and k > 1:
            times = np.concatenate([np.full(k - 1, np.nan), times])  # the final look's time
        if ev is not None and ev.size == 1 and k > 1:
            ev = np.concatenate([np.full(k - 1, np.nan), ev])
        if (times is None or np.isnan(times[-1])) and (ev is None or np.isnan(ev[-1])):
            raise InputError(
                "information_fractions need the final look's calendar time (analysis_times) or events: the "
                "fractions are of the information then"
            )
    sizes = {name: a.size for name, a in (("analysis_times", times), ("events", ev), ("information_fractions", fr))
             if a is not None}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{n} has {s}" for n, s in sizes.items())
        raise InputError(f"looks: one value per look in each target ({listed})")
    for name, a in (("analysis_times", times), ("events", ev)):
        if a is not None and np.any(np.diff(a[~np.isnan(a)]) <= 0):
            raise InputError(f"{name}={a.tolist()}: must increase strictly from look to look")
    return LookPlan(next(iter(sizes.values())), times, ev, fr, rule)


def look_times(
    plan: LookPlan,
    time_of_events: Callable[[np.ndarray], np.ndarray],
    info0_at: Callable[[np.ndarray], np.ndarray],
    study_duration: float | None = None,
) -> np.ndarray:
    """Calendar time of each look under the plan (InputError when looks coincide or come too late)."""
    k = plan.k
    pick = np.maximum if plan.rule == "later" else np.minimum
    cand = np.full(k, np.nan)

    def combine(x: np.ndarray | None) -> None:
        nonlocal cand
        if x is None:
            return
        cand = np.where(np.isnan(cand), x, np.where(np.isnan(x), cand, pick(cand, x)))

    combine(plan.analysis_times)
    if plan.events is not None:
        ev = plan.events
        t_ev = np.full(k, np.nan)
        ok = ~np.isnan(ev)
        t_ev[ok] = time_of_events(ev[ok])
        combine(t_ev)
    if plan.information_fractions is not None:
        final = cand[-1]
        target = plan.information_fractions * float(info0_at(np.array([final]))[0])
        t_fr = solve_increasing(info0_at, target[:-1], 0.0, np.full(k - 1, final)) if k > 1 else np.empty(0)
        combine(np.append(t_fr, final))
    if np.any(np.isnan(cand)):
        j = int(np.flatnonzero(np.isnan(cand))[0])
        raise InputError(f"looks: look {j + 1} has no target (give a time, events or fraction for every look)")
    if np.any(np.diff(cand) <= 1e-9 * np.maximum(1.0, cand[1:])):
        j = int(np.flatnonzero(np.diff(cand) <= 1e-9 * np.maximum(1.0, cand[1:]))[0])
        raise InputError(
            f"looks {j + 1} and {j + 2} would both happen at calendar time {cand[j]:.4g} ({plan.describe()}); "
            "space the targets so that each look comes after the one before"
        )
    if study_duration is not None and cand[-1] > study_duration * (1 + 1e-12):
        late = np.flatnonzero(cand > study_duration * (1 + 1e-12))
        when = ", ".join(f"look {j + 1} at {cand[j]:.4g}" for j in late)
        raise InputError(
            f"looks cannot be reached within the study duration {study_duration:g}: {when} "
            f"({plan.describe()}); enrol more subjects, lengthen the study or lower the targets"
        )
    return cand
