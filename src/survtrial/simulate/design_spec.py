"""The simulation design: when the looks happen (events or calendar time) and the group-sequential bounds.

A design YAML/JSON uses the key names of ``survtrial design`` (``alpha``, ``sided``, ``power``,
``looks``, ``information_fractions``, ``alpha_spending``, ``beta_spending``,
``binding_futility``) plus the look schedule: ``events`` (one count per look), or
``information_fractions`` with ``planned_events``, or ``calendar_times`` (years from study start)
with ``planned_events`` for the information scale; and the tests computed at every look,
``tests`` (default ``[logrank]``; names in :mod:`survtrial.simulate.statistics`) with the one
the decisions follow, ``decision_test`` (default the first). A ``design.json`` written by ``survtrial
design`` (or a plain design-spec YAML with effect sizes) is accepted too: its planned events are
the plan's maximum number of events, rounded up.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from survtrial._yaml import read_yaml
from survtrial.design._validate import key_errors
from survtrial.errors import InputError

__all__ = ["SimulationDesign", "SimulationDesignSpec", "load_simulation_design", "simulation_design", "with_tests"]

# keys of survtrial.design.plan.DesignSpec that only the sample-size part uses
_PLAN_ONLY = (
    "hazard_ratio", "control_hazard", "control_median", "control_survival", "experimental_hazard",
    "experimental_median", "experimental_survival", "landmark_time", "piecewise_times",
    "noninferiority_margin", "margin_survival_difference", "method", "allocation_ratio", "accrual_time",
    "accrual_intensity", "accrual_rate", "follow_up", "n_subjects", "dropout_rate", "dropout_time",
    "time_unit",
)


class SimulationDesignSpec(BaseModel):
    """Validated design keys for the simulation engine (unknown keys are rejected, named)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = None
    alpha: float = Field(0.025, gt=0, lt=1)
    sided: int = Field(1, ge=1, le=2)
    power: float | None = Field(None, gt=0, lt=1)
    looks: int | None = Field(None, ge=1)
    information_fractions: list[float] | None = None
    events: list[int] | None = None
    planned_events: int | None = Field(None, ge=1)
    calendar_times: list[float] | None = None
    alpha_spending: str = "OF"
    beta_spending: str | None = None
    binding_futility: bool = False
    futility_bounds: list[float] | None = None
    stop_for_futility: bool = True
    control_arm: str | None = None
    experimental_arm: str | None = None
    stratified: bool = True
    strata: list[str] | None = None
    tests: list[str] | None = None
    decision_test: str | None = None

    @field_validator("tests", mode="before")
    @classmethod
    def _known_tests(cls, v: Any) -> Any:
        from survtrial.simulate.statistics import parse_tests

        if isinstance(v, str):
            v = [v]
        if v is not None:
            if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
                raise ValueError("'tests' must be a list of test names, e.g. [logrank, 'fh(0,0.5)', maxcombo]")
            try:
                parse_tests(v)
            except InputError as err:
                raise ValueError(str(err).removeprefix("tests: ")) from None
        return v

    @field_validator("decision_test")
    @classmethod
    def _known_decision_test(cls, v: str | None) -> str | None:
        from survtrial.simulate.statistics import parse_test

        if v is not None:
            try:
                parse_test(v)
            except InputError as err:
                raise ValueError(str(err)) from None
        return v

    @model_validator(mode="after")
    def _schedule(self) -> SimulationDesignSpec:
        kinds = [k for k in ("events", "calendar_times") if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError("give looks as 'events' or as 'calendar_times', not both")
        if self.events is not None:
            ev = self.events
            if not ev or any(e < 1 for e in ev) or any(b <= a for a, b in itertools.pairwise(ev)):
                raise ValueError(f"'events' must be positive counts increasing from look to look, got {ev}")
            if self.information_fractions is not None:
                raise ValueError("give 'events' or 'information_fractions' (with 'planned_events'), not both")
            if self.planned_events is not None and self.planned_events != ev[-1]:
                raise ValueError(
                    f"'planned_events' ({self.planned_events}) must equal the last look's events ({ev[-1]})"
                )
        elif self.calendar_times is not None:
            ct = self.calendar_times
            bad = any(not math.isfinite(t) or t <= 0 for t in ct) or any(b <= a for a, b in itertools.pairwise(ct))
            if not ct or bad:
                raise ValueError(f"'calendar_times' must be positive and increasing (years from study start), got {ct}")
            if self.planned_events is None:
                raise ValueError("'calendar_times' need 'planned_events' (the maximum events that define information)")
            if self.information_fractions is not None and len(self.information_fractions) != len(ct):
                raise ValueError(
                    f"{len(self.information_fractions)} information_fractions but {len(ct)} calendar_times; "
                    "give one per look"
                )
        elif self.planned_events is None:
            raise ValueError(
                "no look schedule: give 'events' (one count per look), 'information_fractions' with "
                "'planned_events', or 'calendar_times' with 'planned_events'"
            )
        fr = self.information_fractions
        if self.looks is not None and fr is not None and len(fr) != self.looks:
            raise ValueError("'looks' and 'information_fractions' disagree; give one of them")
        if self.beta_spending is not None and self.futility_bounds is not None:
            raise ValueError("give 'beta_spending' or 'futility_bounds', not both")
        return self

    @property
    def n_looks(self) -> int:
        for key in ("events", "calendar_times", "information_fractions"):
            v = getattr(self, key)
            if v is not None:
                return len(v)
        return self.looks or 1


@dataclass(frozen=True)
class SimulationDesign:
    """A resolved design: look schedule, planned events and the planned group-sequential design.

    Attributes
    ----------
    spec : SimulationDesignSpec
    kind : str
        ``"events"`` (look k at the calendar time of the ``events[k]``-th DFS event) or
        ``"calendar"`` (look k at ``calendar_times[k]`` years from study start).
    events : ndarray of int or None
    calendar_times : ndarray or None
    planned_events : int
        Events at full information (fractions are observed events / planned_events).
    fractions : ndarray
        Planned information fractions of the looks (``events / planned_events`` for event looks).
    design : GroupSequentialDesign
        Bounds at the planned fractions.
    """

    spec: SimulationDesignSpec
    kind: str
    events: np.ndarray | None
    calendar_times: np.ndarray | None
    planned_events: int
    fractions: np.ndarray
    design: Any

    @property
    def k(self) -> int:
        return int(self.fractions.size)

    @property
    def tests(self) -> tuple[Any, ...]:
        """The tests computed at every look (:class:`~survtrial.simulate.statistics.TestSpec`), the
        decision test among them."""
        from survtrial.simulate.statistics import parse_tests

        return parse_tests(self.spec.tests, self.spec.decision_test)[0]

    @property
    def decision_index(self) -> int:
        """Index in :attr:`tests` of the test the trial's decisions follow."""
        from survtrial.simulate.statistics import parse_tests

        return parse_tests(self.spec.tests, self.spec.decision_test)[1]

    @property
    def digest(self) -> str:
        """Short SHA-256 of the validated keys (same digest, same design)."""
        blob = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        when = (
            f"events {self.events.tolist()}" if self.kind == "events"
            else f"calendar times {self.calendar_times.tolist()} (planned events {self.planned_events})"
        )
        bounds = " ".join(f"{u:.4f}" for u in self.design.upper)
        return f"SimulationDesign({self.k} looks at {when}; efficacy z {bounds})"


def _validate(data: dict[str, Any], source: str) -> SimulationDesignSpec:
    try:
        return SimulationDesignSpec.model_validate(data)
    except ValidationError as err:
        raise key_errors(err, source, [*SimulationDesignSpec.model_fields, *_PLAN_ONLY]) from None


def _from_plan(data: dict[str, Any], source: str) -> dict[str, Any]:
    """A survtrial design spec (effect sizes, accrual...): take its looks and rounded-up maximum events."""
    from survtrial.design.plan import parse_spec, plan_trial

    plan_keys = {k: v for k, v in data.items() if k not in ("planned_events", "events", "calendar_times",
                                                           "futility_bounds", "stop_for_futility", "control_arm",
                                                           "experimental_arm", "stratified", "strata",
                                                           "tests", "decision_test")}
    plan = plan_trial(parse_spec(plan_keys, source))
    out = {k: v for k, v in data.items() if k not in _PLAN_ONLY}
    out.setdefault("planned_events", math.ceil(plan.sample_size.max_events - 1e-9))
    if out.get("information_fractions") is None and out.get("events") is None and out.get("calendar_times") is None:
        out["information_fractions"] = [float(f) for f in plan.design.information_fractions]
    return out


def simulation_design(data: dict[str, Any] | SimulationDesignSpec, source: str = "design") -> SimulationDesign:
    """Validate design keys and build the planned group-sequential design.

    Parameters
    ----------
    data : dict or SimulationDesignSpec
        Keys as in the module docstring; a ``design.json`` of ``survtrial design`` (with ``spec``
        and ``looks``) or a design spec with effect sizes is converted first.
    source : str
        Name used in error messages (the file name).

    Returns
    -------
    SimulationDesign

    Notes
    -----
    Event looks: with ``information_fractions`` and ``planned_events``, look k is at
    ``ceil(f_k * planned_events)`` events; the design's fractions are then those counts divided by
    ``planned_events``, so the planned bounds are exactly the bounds at the observed fractions
    whenever a trial reaches its looks. Bounds from :func:`survtrial.design.group_sequential`.

    Examples
    --------
    >>> d = simulation_design({"events": [25, 50, 75, 100], "alpha": 0.025})
    >>> d.kind, d.planned_events, [round(float(u), 4) for u in d.design.upper]
    ('events', 100, [4.3326, 2.9631, 2.359, 2.0141])
    """
    from survtrial.design.boundaries import group_sequential

    if isinstance(data, SimulationDesignSpec):
        spec = data
    else:
        if not isinstance(data, dict):
            raise InputError(f"{source}: expected a mapping of design keys, got {type(data).__name__}")
        if "spec" in data and "looks" in data and isinstance(data["spec"], dict):
            data = data["spec"]  # design.json written by `survtrial design`
        if any(k in data for k in _PLAN_ONLY) or (
            data.get("planned_events") is None and data.get("events") is None and "hazard_ratio" in data
        ):
            data = _from_plan(dict(data), source)
        spec = _validate(dict(data), source)
    planned = spec.planned_events if spec.planned_events is not None else spec.events[-1]
    if spec.events is not None:
        kind, events, times = "events", np.asarray(spec.events, dtype=np.int64), None
        fractions = events / planned
    elif spec.calendar_times is not None:
        kind, events, times = "calendar", None, np.asarray(spec.calendar_times, dtype=float)
        k = times.size
        fractions = (np.asarray(spec.information_fractions, dtype=float) if spec.information_fractions is not None
                     else np.arange(1, k + 1) / k)
    else:
        k = spec.looks or 1
        f = np.asarray(spec.information_fractions, dtype=float) if spec.information_fractions is not None \
            else np.arange(1, k + 1) / k
        if np.any(f <= 0) or np.any(np.diff(f) <= 0) or abs(f[-1] - 1.0) > 1e-9:
            raise InputError(
                f"{source}: key 'information_fractions' must increase within (0, 1] and end at 1, got {f.tolist()}"
            )
        events = np.ceil(f * planned - 1e-9).astype(np.int64)
        if np.any(np.diff(events) <= 0) or events[0] < 1:
            raise InputError(
                f"{source}: information_fractions {f.tolist()} x planned_events {planned} give event counts "
                f"{events.tolist()}; looks need increasing counts >= 1 (raise planned_events)"
            )
        kind, times, fractions = "events", None, events / planned
    try:
        gs = group_sequential(
            fractions,
            alpha=spec.alpha,
            power=spec.power,
            sided=spec.sided,
            alpha_spending=spec.alpha_spending,
            beta_spending=spec.beta_spending,
            binding_futility=spec.binding_futility,
            futility_bounds=spec.futility_bounds,
        )
    except InputError as err:
        raise InputError(f"{source}: {err}") from None
    return SimulationDesign(spec, kind, events, times, planned, np.asarray(fractions, dtype=float), gs)


def load_simulation_design(path: str | Path | dict[str, Any] | SimulationDesign) -> SimulationDesign:
    """Read a design YAML/JSON file (or take a mapping) and resolve it; see :func:`simulation_design`.

    Examples
    --------
    >>> load_simulation_design({"calendar_times": [2.0, 3.5], "planned_events": 120}).kind
    'calendar'
    """
    if isinstance(path, SimulationDesign):
        return path
    if isinstance(path, (dict, SimulationDesignSpec)):
        return simulation_design(path)
    return simulation_design(read_yaml(path, "design file"), str(path))


def with_tests(design: SimulationDesign, tests: list[str] | None = None, decision_test: str | None = None,
               where: str = "--test") -> SimulationDesign:
    """The design with other tests (and decision test); None keeps the design's.

    Examples
    --------
    >>> d = with_tests(simulation_design({"events": [50, 100]}), ["logrank", "fh(0,0.5)"], "fh(0,0.5)")
    >>> [t.label for t in d.tests], d.tests[d.decision_index].label
    (['logrank', 'fh(0,0.5)'], 'fh(0,0.5)')
    """
    from survtrial.simulate.statistics import parse_tests

    if tests is None and decision_test is None:
        return design
    new_tests = list(tests) if tests else design.spec.tests
    new_decision = decision_test if decision_test is not None else design.spec.decision_test
    specs, _ = parse_tests(new_tests, None, where)
    if tests and decision_test is None and new_decision is not None:
        # the tests given replace the design's: its decision test stays if it is among them
        keep = parse_tests([new_decision])[0][0].slug in {t.slug for t in specs}
        new_decision = new_decision if keep else None
    if decision_test is not None:
        parse_tests([decision_test], None, "--decision-test")
    spec = design.spec.model_copy(update={"tests": new_tests, "decision_test": new_decision})
    return SimulationDesign(spec, design.kind, design.events, design.calendar_times, design.planned_events,
                            design.fractions, design.design)
