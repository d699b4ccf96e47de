"""Scenario models of the DFS hazard of one arm in one stratum: targets, rates, hazard ratios, cure."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated

import numpy as np
from pydantic import Field, field_validator, model_validator

from survtrial.simulate._scenario_base import NonNegative, Positive, StrictModel, fail
from survtrial.simulate._scenario_curves import PARAMETER_NAME

__all__ = ["FIT", "HazardRatioProfile", "HazardShape", "HazardSpec", "check_breaks"]

FIT = "fit"
"""A hazard-ratio value solved from the arm's survival targets."""

Time = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


def check_breaks(breaks: list[float]) -> list[float]:
    """Interval starts: first 0, strictly increasing (validation error otherwise)."""
    if not breaks or breaks[0] != 0:
        raise fail(f"breaks must start at 0 (interval starts in years), got {breaks}")
    if any(b <= a for a, b in pairwise(breaks)):
        raise fail(f"breaks must be strictly increasing, got {breaks}")
    return breaks


class HazardShape(StrictModel):
    """A relative hazard profile: ``relative[j]`` on ``[breaks[j], breaks[j+1])``, the last one to infinity.

    Calibration scales it so that survival targets are met; a small last value gives the
    flattening plateau (cure) seen in pediatric ALL curves.
    """

    breaks: list[Time]
    relative: list[NonNegative | str]

    _breaks = field_validator("breaks")(check_breaks)

    @field_validator("relative", mode="before")
    @classmethod
    def _relative(cls, v: object) -> object:
        return _numbers_or_names(v, "a relative hazard >= 0", allow_fit=False)

    @model_validator(mode="after")
    def _lengths(self) -> HazardShape:
        if len(self.breaks) != len(self.relative):
            raise fail(f"{len(self.breaks)} breaks but {len(self.relative)} relative values; give one per interval")
        return self


class HazardRatioProfile(StrictModel):
    """Hazard ratio against a reference arm (same stratum), piecewise constant in time from randomization.

    ``values[j]`` holds on ``[breaks[j], breaks[j+1])``, the last one to infinity. A value ``fit``
    is solved from the arm's ``survival_targets`` (the other values stay as given). Examples:
    a delayed effect ``breaks: [0, 1], values: [1.0, 0.6]``; a diminishing one
    ``breaks: [0, 1, 2], values: [0.4, 0.7, 1.0]``; crossing hazards ``values: [1.3, 0.6]``; a
    delayed effect whose size the targets fix ``values: [1.0, fit]``. ``reference`` is the arm
    whose hazard is multiplied (default: the scenario's first arm).
    """

    breaks: list[Time]
    values: list[NonNegative | str]
    reference: str | None = None

    _breaks = field_validator("breaks")(check_breaks)

    @field_validator("values", mode="before")
    @classmethod
    def _values(cls, v: object) -> object:
        return _numbers_or_names(v, "a hazard ratio >= 0, 'fit' (solved from the arm's survival_targets)",
                                 allow_fit=True)

    @model_validator(mode="after")
    def _lengths(self) -> HazardRatioProfile:
        if len(self.breaks) != len(self.values):
            raise fail(f"{len(self.breaks)} breaks but {len(self.values)} values; give one hazard ratio per interval")
        return self

    @property
    def fitted(self) -> list[bool]:
        """Which values are solved from the targets."""
        return [v == FIT for v in self.values]


def _numbers_or_names(v: object, what: str, *, allow_fit: bool) -> object:
    """Each entry a finite number >= 0, or the name of a scenario parameter (or 'fit')."""
    if not isinstance(v, list):
        return v
    for i, x in enumerate(v):
        number = isinstance(x, int | float) and not isinstance(x, bool)
        name = isinstance(x, str) and PARAMETER_NAME.fullmatch(x) is not None and (allow_fit or x != FIT)
        if not (name or (number and np.isfinite(x) and x >= 0)):
            raise fail(f"value {x!r} at position {i} is invalid; allowed: {what} or the name of one of the "
                       "scenario's 'parameters'")
    return v


class HazardSpec(StrictModel):
    """Event hazard of one arm in one stratum.

    One of: landmark ``survival_targets`` (the hazard is calibrated to pass through them exactly,
    following ``shape`` or the scenario's ``hazard_shape``; none = constant between landmarks),
    explicit ``rates`` with ``breaks``, or a ``hazard_ratio`` profile against a reference arm
    (its values given, or some of them ``fit`` to the ``survival_targets``). ``cure_fraction``:
    the share of the cell's patients who never have the event (a mixture cure model: the others
    follow the hazard; survival targets are then those of the whole cell).
    """

    survival_targets: dict[Positive, float] | None = None
    shape: HazardShape | None = None
    breaks: list[Time] | None = None
    rates: list[float] | None = None
    hazard_ratio: HazardRatioProfile | None = None
    cure_fraction: float = Field(0.0, ge=0.0, lt=1.0, allow_inf_nan=False)

    @field_validator("survival_targets")
    @classmethod
    def _targets(cls, v: dict[float, float] | None) -> dict[float, float] | None:
        if v is None:
            return v
        if not v:
            raise fail("no survival targets given; give {years: survival}, e.g. {3.0: 0.90}")
        items = sorted(v.items())
        for t, s in items:
            if not (0.0 < s < 1.0):
                raise fail(f"survival target {s!r} at {t:g} years is outside (0, 1); allowed: 0 < S(t) < 1")
        for (t0, s0), (t1, s1) in pairwise(items):
            if not s1 < s0:
                raise fail(
                    f"survival targets must decrease in time: S({t1:g}) = {s1!r} is not below "
                    f"S({t0:g}) = {s0!r}"
                )
        return dict(items)

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: list[float] | None) -> list[float] | None:
        if v is None:
            return v
        for i, r in enumerate(v):
            if not np.isfinite(r) or r < 0:
                raise fail(f"rate {r!r} at position {i} is invalid; allowed: finite hazard rates >= 0 (per year)")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> HazardSpec:
        ratio = self.hazard_ratio
        if self.rates is not None:
            if self.survival_targets is not None or ratio is not None:
                raise fail("give one of 'survival_targets', 'rates' (with 'breaks') or 'hazard_ratio'; "
                           "'rates' go alone")
            if self.breaks is None:
                raise fail("'rates' need 'breaks' (interval starts in years, first 0)")
            if self.shape is not None:
                raise fail("'shape' applies to calibrated 'survival_targets', not to explicit 'rates'")
            check_breaks(list(self.breaks))
            if len(self.breaks) != len(self.rates):
                raise fail(f"{len(self.breaks)} breaks but {len(self.rates)} rates; give one rate per interval")
        elif self.breaks is not None:
            raise fail("'breaks' go with explicit 'rates'; for calibrated targets use 'shape'")
        elif self.survival_targets is None and ratio is None:
            raise fail("give one of 'survival_targets' (calibrated), 'rates' (with 'breaks') or 'hazard_ratio' "
                       "(against a reference arm)")
        if ratio is not None:
            if self.shape is not None:
                raise fail("'shape' does not go with 'hazard_ratio': the reference arm's hazard gives the shape")
            fitted = any(ratio.fitted)
            if self.survival_targets is None and fitted:
                raise fail("hazard_ratio values 'fit' need 'survival_targets' to be solved from; give numbers "
                           "or add survival_targets")
            if self.survival_targets is not None and not fitted:
                raise fail("'survival_targets' with a 'hazard_ratio' need at least one value 'fit' (solved "
                           "from the targets); with every value given, drop the targets")
        if self.survival_targets is not None and self.cure_fraction > 0:
            low = [t for t, s in self.survival_targets.items() if s <= self.cure_fraction]
            if low:
                t = low[0]
                raise fail(f"survival target {self.survival_targets[t]!r} at {t:g} years is not above the cure "
                           f"fraction {self.cure_fraction!r}; the cured never have the event, so S(t) > cure_fraction")
        return self
