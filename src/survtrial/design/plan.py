"""A complete survival trial plan from one validated specification: boundaries, events, subjects, timing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from survtrial.design.sample_size import SurvivalSampleSizeResult, survival_sample_size
from survtrial.design.targets import noninferiority_margin
from survtrial.errors import InputError

__all__ = ["DesignSpec", "TrialPlan", "parse_spec", "plan_trial"]

Number = float | list[float]


def _proportion(value: Any) -> Any:
    """Accept 0.879 or "87.9%" for survival probabilities and differences."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage such as '87.9%'") from None
    return value


class DesignSpec(BaseModel):
    """Specification of a two-arm survival trial design, as read from YAML/JSON or command-line flags.

    Keys mirror :func:`~survtrial.design.group_sequential` and
    :func:`~survtrial.design.survival_sample_size`; unknown keys are rejected. Survival
    probabilities may be written as proportions (0.879) or percentages ("87.9%").
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = None
    time_unit: str = "years"
    # error rates and looks
    alpha: float = Field(0.025, gt=0, lt=1)
    power: float = Field(0.8, gt=0, lt=1)
    sided: int = Field(1, ge=1, le=2)
    looks: int | None = Field(None, ge=1)
    information_fractions: list[float] | None = None
    alpha_spending: str = "OF"
    beta_spending: str | None = None
    binding_futility: bool = False
    # effect
    hazard_ratio: float | None = Field(None, gt=0)
    control_hazard: Number | None = None
    control_median: float | None = Field(None, gt=0)
    control_survival: float | None = Field(None, gt=0, lt=1)
    experimental_hazard: float | None = Field(None, gt=0)
    experimental_median: float | None = Field(None, gt=0)
    experimental_survival: float | None = Field(None, gt=0, lt=1)
    landmark_time: float | None = Field(None, gt=0)
    piecewise_times: list[float] | None = None
    noninferiority_margin: float | None = Field(None, gt=0)
    margin_survival_difference: float | None = Field(None, gt=0, lt=1)
    method: str = "schoenfeld"
    allocation_ratio: float = Field(1.0, gt=0)
    # accrual, follow-up, dropout
    accrual_time: Number = 12.0
    accrual_intensity: list[float] | None = None
    accrual_rate: list[float] | None = None
    follow_up: float | None = Field(None, ge=0)
    n_subjects: float | None = Field(None, gt=0)
    dropout_rate: Number = 0.0
    dropout_time: float | None = Field(None, gt=0)

    _to_proportion = field_validator(
        "control_survival", "experimental_survival", "margin_survival_difference", mode="before"
    )(_proportion)

    @model_validator(mode="after")
    def _margin_needs_baseline(self) -> DesignSpec:
        if self.margin_survival_difference is not None:
            if self.noninferiority_margin is not None:
                raise ValueError("give noninferiority_margin (hazard ratio) or margin_survival_difference, not both")
            if self.control_survival is None:
                raise ValueError("margin_survival_difference needs control_survival (the baseline it is taken from)")
        if (
            self.looks is not None
            and self.information_fractions is not None
            and len(self.information_fractions) != self.looks
        ):
            raise ValueError("looks and information_fractions disagree; give one of them")
        return self

    @property
    def null_hazard_ratio(self) -> float:
        """Hazard ratio under H0: 1, or the non-inferiority margin (converted from a survival difference)."""
        if self.margin_survival_difference is not None:
            return float(noninferiority_margin(self.control_survival, self.margin_survival_difference))
        return 1.0 if self.noninferiority_margin is None else self.noninferiority_margin


def parse_spec(data: Any, source: str = "design specification") -> DesignSpec:
    """Validate a mapping into a :class:`DesignSpec`; errors become one InputError naming each bad key."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping of keys to values, got {type(data).__name__}")
    try:
        return DesignSpec.model_validate(data)
    except ValidationError as err:
        lines = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(top level)"
            if e["type"] == "extra_forbidden":
                lines.append(f"unknown key {key!r}; allowed keys: {', '.join(DesignSpec.model_fields)}")
            else:
                msg = e["msg"].removeprefix("Value error, ")
                lines.append(f"key {key!r}: {msg} (got {e.get('input')!r})" if key != "(top level)" else msg)
        raise InputError(f"{source}: " + "; ".join(lines)) from None


@dataclass(frozen=True)
class TrialPlan:
    """A group-sequential survival design: boundaries (``design``) and events/subjects (``sample_size``)."""

    spec: DesignSpec
    design: Any
    sample_size: SurvivalSampleSizeResult

    @property
    def null_hazard_ratio(self) -> float:
        return self.sample_size.null_hazard_ratio

    def hazard_ratio_bounds(self, events: Any) -> pd.DataFrame:
        """Boundaries on the hazard-ratio scale at the given events (null HR x Schoenfeld bound)."""
        frame = self.design.hazard_ratio_bounds(events, self.spec.allocation_ratio)
        for col in frame.columns:
            if col.endswith("_hr"):
                frame[col] = frame[col] * self.null_hazard_ratio
        return frame

    def to_frame(self) -> pd.DataFrame:
        """One row per look: fraction, events, calendar time, subjects, z and HR bounds, alpha spent, power."""
        ss = self.sample_size
        d = self.design
        hr = self.hazard_ratio_bounds(ss.events_per_look)
        out = pd.DataFrame(
            {
                "look": np.arange(1, d.k + 1),
                "information_fraction": d.information_fractions,
                "events": ss.events_per_look,
                "time": ss.look_times,
                "subjects": ss.subjects_per_look,
                "efficacy_z": d.upper,
                "futility_z": np.where(np.isfinite(d.lower), d.lower, np.nan),
                "efficacy_hr": hr["efficacy_hr"],
                "futility_hr": hr["harm_hr" if d.sided == 2 else "futility_hr"],
                "nominal_alpha": d.nominal_alpha,
                "cumulative_alpha": d.alpha_spent,
                "cumulative_power": np.cumsum(d.upper_h1),
            }
        )
        if d.sided == 2:
            out = out.rename(columns={"futility_z": "lower_z", "futility_hr": "harm_hr"})
        return out

    def summary(self) -> dict[str, Any]:
        """Headline numbers as plain Python values (for JSON and the printed table)."""
        ss = self.sample_size
        d = self.design
        return {
            "type": "non-inferiority" if ss.noninferiority else "superiority",
            "hazard_ratio": ss.hazard_ratio,
            "null_hazard_ratio": ss.null_hazard_ratio,
            "alpha": d.alpha,
            "sided": d.sided,
            "power": float(d.power),
            "looks": d.k,
            "method": ss.method,
            "allocation_ratio": ss.allocation_ratio,
            "inflation_factor": float(d.inflation_factor),
            "events_fixed": ss.events_fixed,
            "max_events": ss.max_events,
            "max_events_rounded": math.ceil(ss.max_events - 1e-9),
            "n_subjects": ss.n_subjects,
            "n_subjects_rounded": math.ceil(ss.n_subjects - 1e-9),
            "accrual_duration": ss.accrual_duration,
            "follow_up": ss.follow_up,
            "study_duration": ss.study_duration,
            "expected_study_duration_h1": ss.expected_study_duration,
            "expected_subjects_h1": ss.expected_subjects,
            "time_unit": self.spec.time_unit,
        }


def plan_trial(spec: DesignSpec | dict[str, Any]) -> TrialPlan:
    """Compute the boundaries and the survival sample size for a specification.

    Parameters
    ----------
    spec : DesignSpec or dict
        Design keys (see :class:`DesignSpec`); a dict is validated first.

    Returns
    -------
    TrialPlan

    Notes
    -----
    Boundaries from :func:`~survtrial.design.group_sequential` (spending on information
    fractions); events and subjects from :func:`~survtrial.design.survival_sample_size` with that
    design's inflation factor; see both for conventions (rpact-compatible).

    Examples
    --------
    >>> plan = plan_trial({"control_survival": "87.9%", "landmark_time": 3, "hazard_ratio": 0.6,
    ...                    "power": 0.9, "looks": 3, "accrual_time": 5, "follow_up": 2})
    >>> round(plan.sample_size.max_events, 1)
    163.0
    """
    if not isinstance(spec, DesignSpec):
        spec = parse_spec(spec)
    from survtrial.design.boundaries import group_sequential

    k = spec.looks if spec.information_fractions is None else None
    gs = group_sequential(
        spec.information_fractions,
        k=1 if k is None and spec.information_fractions is None else k,
        alpha=spec.alpha,
        power=spec.power,
        sided=spec.sided,
        alpha_spending=spec.alpha_spending,
        beta_spending=spec.beta_spending,
        binding_futility=spec.binding_futility,
    )
    margin = spec.null_hazard_ratio
    ss = survival_sample_size(
        spec.hazard_ratio,
        control_hazard=spec.control_hazard,
        control_median=spec.control_median,
        control_survival=spec.control_survival,
        experimental_hazard=spec.experimental_hazard,
        experimental_median=spec.experimental_median,
        experimental_survival=spec.experimental_survival,
        landmark_time=spec.landmark_time,
        piecewise_times=spec.piecewise_times,
        noninferiority_margin=None if margin == 1.0 else margin,
        allocation_ratio=spec.allocation_ratio,
        accrual_time=spec.accrual_time,
        accrual_intensity=spec.accrual_intensity,
        accrual_rate=spec.accrual_rate,
        follow_up=spec.follow_up,
        n_subjects=spec.n_subjects,
        dropout_rate=spec.dropout_rate,
        dropout_time=spec.dropout_time,
        method=spec.method,
        design=gs,
    )
    return TrialPlan(spec=spec, design=gs, sample_size=ss)
