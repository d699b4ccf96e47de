"""What a design specification asks for: boundaries alone, events alone, or events, subjects and timing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial.design._assumptions import _control, _hazard_ratio
from survtrial.design.events import event_method, required_events
from survtrial.errors import InputError

__all__ = ["CONTROL_KEYS", "EFFECT_KEYS", "TIME_KEYS", "TIMING_KEYS", "EventsPlan", "events_plan", "scope"]

#: Keys whose values are times or rates per time: a design that has one must state its time unit.
TIME_KEYS = ("control_hazard", "control_median", "experimental_hazard", "experimental_median", "landmark_time",
             "piecewise_times", "accrual_time", "accrual_rate", "follow_up", "dropout_time")
#: Keys of the experimental arm's effect.
EFFECT_KEYS = ("hazard_ratio", "experimental_hazard", "experimental_median", "experimental_survival")
#: Keys of the control arm's survival.
CONTROL_KEYS = ("control_hazard", "control_median", "control_survival")
#: Keys that ask for subjects and timing (accrual, follow-up, dropout).
TIMING_KEYS = ("accrual_time", "accrual_rate", "accrual_intensity", "follow_up", "n_subjects", "dropout_time")


def _given(spec: Any, keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if getattr(spec, k) is not None]


def scope(spec: Any) -> str:
    """"boundaries" (no effect given), "events" (an effect, no accrual or follow-up) or "full"."""
    timing = _given(spec, TIMING_KEYS) + (["dropout_rate"] if spec.dropout_rate not in (0, 0.0, None) else [])
    if not _given(spec, EFFECT_KEYS):
        asked = timing + _given(spec, CONTROL_KEYS)
        if asked:
            raise InputError(
                f"{', '.join(asked)} given without the effect to size the trial for; give hazard_ratio "
                f"(or experimental_median / experimental_survival / experimental_hazard)"
            )
        return "boundaries"
    return "full" if timing else "events"


@dataclass(frozen=True)
class EventsPlan:
    """Events of a group-sequential survival design when no accrual or follow-up is given."""

    method: str
    hazard_ratio: float
    null_hazard_ratio: float
    allocation_ratio: float
    information_fractions: np.ndarray
    inflation_factor: float
    events_fixed: float
    max_events: float
    events_per_look: np.ndarray

    @property
    def noninferiority(self) -> bool:
        return self.null_hazard_ratio != 1.0


def events_plan(spec: Any, design: Any) -> EventsPlan:
    """Events alone: Schoenfeld (or Freedman) events x the design's inflation factor."""
    if any(getattr(spec, k) is not None for k in CONTROL_KEYS):  # checked even when not needed
        _control(spec.control_hazard, spec.control_median, spec.control_survival, spec.landmark_time,
                 spec.piecewise_times)
    if spec.hazard_ratio is not None:
        if spec.experimental_hazard is not None or spec.experimental_median is not None or \
                spec.experimental_survival is not None:
            raise InputError("experimental arm effect: give exactly one of hazard_ratio, experimental_hazard, "
                             "experimental_median, experimental_survival")
        hr = float(spec.hazard_ratio)
    else:
        starts, control = _control(spec.control_hazard, spec.control_median, spec.control_survival,
                                   spec.landmark_time, spec.piecewise_times)
        hr = float(np.ravel(_hazard_ratio(starts, control, None, spec.experimental_hazard,
                                          spec.experimental_median, spec.experimental_survival,
                                          spec.landmark_time))[0])
    method = event_method(spec.method)
    null_hr = float(spec.null_hazard_ratio)
    fixed = float(required_events(hr, design.alpha, float(design.power), design.sided, spec.allocation_ratio,
                                  null_hr, method))
    fractions = np.asarray(design.information_fractions, dtype=float)
    inflation = float(design.inflation_factor)
    return EventsPlan(method=method, hazard_ratio=hr, null_hazard_ratio=null_hr,
                      allocation_ratio=float(spec.allocation_ratio), information_fractions=fractions,
                      inflation_factor=inflation, events_fixed=fixed, max_events=fixed * inflation,
                      events_per_look=fixed * inflation * fractions)
