"""Trial scenarios: validated pydantic models of a randomized time-to-event trial, loaded from YAML.

A scenario states what a trial looks like (arms, strata, covariates, accrual, randomization,
event hazards or landmark targets, competing event types, deaths after relapse, dropout, toxicity,
the data cut and the interim plan). Numbers given as targets (e.g. 3-year DFS) are turned into
model parameters by :mod:`survtrial.simulate.calibrate`; ``Scenario.calibrated`` holds the result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from survtrial.errors import InputError
from survtrial.simulate._covariates import (
    CategoricalCovariate,
    ConstantCovariate,
    Covariate,
    QuantileCovariate,
)
from survtrial.simulate._scenario_base import (
    NonNegative,
    Positive,
    Probability,
    StrictModel,
    check_sum,
    fail,
    fmt,
)
from survtrial.simulate._scenario_curves import (
    AtRiskAccrual,
    CurveTargets,
    HazardRatioCurveTarget,
    Parameter,
    RMSTDifferenceCurveTarget,
)
from survtrial.simulate._scenario_hazards import FIT, HazardRatioProfile, HazardShape, HazardSpec
from survtrial.simulate._scenario_io import (
    load_scenario,
    packaged_scenarios,
    scenario_from_dict,
)

if TYPE_CHECKING:
    from survtrial.simulate.calibrate import CalibratedScenario

__all__ = [
    "FIT",
    "Accrual",
    "AccrualPeriod",
    "Arm",
    "AtRiskAccrual",
    "CategoricalCovariate",
    "CauseSpec",
    "CifTarget",
    "CompetingEvents",
    "ConstantCovariate",
    "CurveTargets",
    "DataCut",
    "Dropout",
    "EventType",
    "HazardRatioCurveTarget",
    "HazardRatioProfile",
    "HazardShape",
    "HazardSpec",
    "InterimPlan",
    "Parameter",
    "PostRelapseDeath",
    "QuantileCovariate",
    "RMSTDifferenceCurveTarget",
    "Randomization",
    "Scenario",
    "Stratum",
    "ToxicityByStratum",
    "load_scenario",
    "packaged_scenarios",
    "scenario_from_dict",
]

class Arm(StrictModel):
    """A treatment arm. ``n`` fixes the number randomized to it (all arms or none)."""

    label: str | None = None
    n: int | None = Field(None, ge=1)


class Stratum(StrictModel):
    """A stratum (risk group): its share of randomized patients and optional per-arm codes (A/B...)."""

    share: Probability
    label: str | None = None
    arm_codes: dict[str, str] | None = None


class AccrualPeriod(StrictModel):
    """A period of constant accrual rate (patients per year)."""

    duration_years: Positive
    rate: NonNegative


class Accrual(StrictModel):
    """Enrolment: uniform over ``duration_years``, piecewise-constant ``periods``, or piecewise
    rates solved ``from_numbers_at_risk`` (to the data cut).

    ``n`` fixes the total (the enrolment times are then the order statistics of ``n`` draws from
    the accrual density); without ``n`` and without arm sizes, the total is Poisson with mean
    ``sum(rate * duration)`` over the periods.
    """

    start_date: dt.date
    n: int | None = Field(None, ge=1)
    duration_years: Positive | None = None
    periods: list[AccrualPeriod] | None = None
    from_numbers_at_risk: AtRiskAccrual | None = None

    @model_validator(mode="after")
    def _one_pattern(self) -> Accrual:
        given = [self.duration_years is not None, self.periods is not None, self.from_numbers_at_risk is not None]
        if sum(given) != 1:
            raise fail("give exactly one of 'duration_years' (uniform accrual), 'periods' (piecewise rates) or "
                       "'from_numbers_at_risk' (rates solved from published numbers at risk)")
        if self.periods is not None and not any(p.rate > 0 for p in self.periods):
            raise fail("all accrual periods have rate 0; at least one rate must be > 0")
        return self


class Randomization(StrictModel):
    """Permuted-block randomization: arm ratio, block size, stratified by stratum or not."""

    ratio: dict[str, Annotated[int, Field(ge=1)]]
    block_size: int = Field(ge=1)
    stratified: bool = True

    @model_validator(mode="after")
    def _block_multiple(self) -> Randomization:
        total = sum(self.ratio.values())
        if self.block_size % total:
            raise fail(
                f"block_size {self.block_size} is not a multiple of the ratio total {total}; "
                f"allowed: {total}, {2 * total}, {3 * total}, ..."
            )
        return self


class EventType(StrictModel):
    """A type of DFS event. ``fatal`` events are deaths (the OS event happens at the DFS event)."""

    fatal: bool = False
    label: str | None = None


class CifTarget(StrictModel):
    """Cumulative incidence at ``competing_events.at_years`` of the union of ``types``."""

    types: list[str] = Field(min_length=1)
    cif: Probability


class CauseSpec(StrictModel):
    """Event-type probabilities given a DFS event, for one arm (applied in every stratum).

    Either ``shares`` directly, or ``cif_targets`` (nested sets of types with their cumulative
    incidence) plus ``weights`` splitting what the targets leave among the other types.
    """

    shares: dict[str, Probability] | None = None
    cif_targets: list[CifTarget] | None = None
    weights: dict[str, NonNegative] | None = None

    @model_validator(mode="after")
    def _check(self) -> CauseSpec:
        if (self.shares is None) == (self.cif_targets is None):
            raise fail("give exactly one of 'shares' {type: probability} or 'cif_targets'")
        if self.shares is not None:
            if self.weights is not None:
                raise fail("'weights' go with 'cif_targets'; with 'shares' give the probabilities directly")
            check_sum(self.shares, "event-type shares")
        return self


class CompetingEvents(StrictModel):
    """DFS event types and, per arm, their probabilities given a DFS event."""

    types: dict[str, EventType] = Field(min_length=1)
    at_years: Positive | None = None
    by_arm: dict[str, CauseSpec]

    @model_validator(mode="after")
    def _check(self) -> CompetingEvents:
        if "censored" in self.types:
            raise fail("'censored' is reserved for patients without a DFS event; rename that event type")
        if self.at_years is None and any(c.cif_targets is not None for c in self.by_arm.values()):
            raise fail("'cif_targets' need 'at_years' (the time of the cumulative incidences)")
        return self


class PostRelapseDeath(StrictModel):
    """Death after a non-fatal DFS event (relapse, second malignancy): exponential hazard per arm.

    Give ``rates`` per arm (per year), or ``os_targets`` per arm ({years: OS}) to calibrate them.
    """

    applies_to: list[str] = Field(min_length=1)
    rates: dict[str, NonNegative] | None = None
    os_targets: dict[str, dict[Positive, float]] | None = None

    @model_validator(mode="after")
    def _check(self) -> PostRelapseDeath:
        if (self.rates is None) == (self.os_targets is None):
            raise fail("give exactly one of 'rates' {arm: per-year hazard} or 'os_targets' {arm: {years: OS}}")
        for arm, target in (self.os_targets or {}).items():
            if len(target) != 1:
                raise fail(f"os_targets for arm {arm!r}: give exactly one landmark {{years: OS}}, got {target}")
            ((t, s),) = target.items()
            if not 0.0 < s < 1.0:
                raise fail(f"os_targets for arm {arm!r}: OS {s!r} at {t:g} years is outside (0, 1)")
        return self


class Dropout(StrictModel):
    """Loss to follow-up: exponential with ``rate`` per year."""

    rate: NonNegative = 0.0


class DataCut(StrictModel):
    """When the data are cut: a calendar date, years from study start, a DFS event count, or the
    cut that gives an expected median follow-up (reverse Kaplan-Meier) of ``median_follow_up_years``."""

    calendar_date: dt.date | None = None
    years_from_start: Positive | None = None
    events: int | None = Field(None, ge=1)
    median_follow_up_years: Positive | None = None

    @model_validator(mode="after")
    def _one(self) -> DataCut:
        given = [k for k, v in self.model_dump().items() if v is not None]
        if len(given) != 1:
            raise fail(f"give exactly one of {fmt(type(self).model_fields)}; got {given or 'none'}")
        return self


class InterimPlan(StrictModel):
    """Interim analyses at information fractions of the planned DFS events, with alpha spending."""

    planned_events: int = Field(ge=1)
    information_fractions: list[float] = Field(min_length=1)
    spending: str = "asOF"
    spending_parameter: float | None = None
    alpha_one_sided: float = Field(0.025, gt=0.0, lt=0.5)

    @field_validator("information_fractions")
    @classmethod
    def _fractions(cls, v: list[float]) -> list[float]:
        if any(not 0 < f <= 1 for f in v) or any(b <= a for a, b in pairwise(v)) or v[-1] != 1:
            raise fail(f"information fractions must increase within (0, 1] and end at 1, got {v}")
        return v

    @model_validator(mode="after")
    def _spending(self) -> InterimPlan:
        from survtrial.design.spending import spending_function

        try:
            spending_function(self.spending, self.spending_parameter)
        except InputError as err:
            raise fail(str(err)) from None
        return self


class ToxicityByStratum(StrictModel):
    """Bernoulli probabilities of a toxicity per stratum and arm: ``by_stratum: {stratum: {arm: p}}``."""

    by_stratum: dict[str, dict[str, Probability]]


class Scenario(StrictModel):
    """A randomized time-to-event trial scenario (validated). Load one with :func:`load_scenario`.

    Keys: ``arms``, ``strata``, ``covariates``, ``accrual``, ``randomization``, ``hazard_shape``,
    ``hazards`` (stratum -> arm -> HazardSpec), ``competing_events``, ``post_relapse_death``,
    ``dropout``, ``toxicity`` (name -> arm -> probability, or ``by_stratum`` -> stratum -> arm ->
    probability), ``data_cut``, ``interim_analyses``,
    ``parameters`` (free numbers of the hazards) and ``curve_targets`` (published Cox HR, RMST
    difference) that solve them.
    Times are in years. ``calibrated`` gives the model parameters solved from the targets.
    """

    name: str
    description: str = ""
    arms: dict[str, Arm] = Field(min_length=2)
    strata: dict[str, Stratum] = Field(min_length=1)
    covariates: dict[str, Covariate] = Field(default_factory=dict)
    accrual: Accrual
    randomization: Randomization
    hazard_shape: HazardShape | None = None
    hazards: dict[str, dict[str, HazardSpec]]
    competing_events: CompetingEvents
    post_relapse_death: PostRelapseDeath | None = None
    dropout: Dropout = Dropout()
    toxicity: dict[str, dict[str, Probability] | ToxicityByStratum] = Field(default_factory=dict)
    data_cut: DataCut
    interim_analyses: InterimPlan | None = None
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    curve_targets: CurveTargets | None = None

    @field_validator("strata")
    @classmethod
    def _shares(cls, v: dict[str, Stratum]) -> dict[str, Stratum]:
        check_sum({k: s.share for k, s in v.items()}, "stratum shares")
        return v

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        from survtrial.simulate._scenario_check import cross_reference_problems

        problems = cross_reference_problems(self)
        if problems:
            raise PydanticCustomError(
                "scenario_references",
                "{detail}",
                {"detail": "; ".join(f"{k}: {m}" for k, m in problems), "problems": problems},
            )
        return self

    @property
    def arm_names(self) -> list[str]:
        """Arm names in scenario order."""
        return list(self.arms)

    @property
    def stratum_names(self) -> list[str]:
        """Stratum names in scenario order."""
        return list(self.strata)

    @property
    def digest(self) -> str:
        """Short SHA-256 of the validated content (for provenance: same digest, same scenario)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @cached_property
    def calibrated(self) -> CalibratedScenario:
        """Model parameters solved from the scenario's targets (computed once, then cached)."""
        from survtrial.simulate.calibrate import calibrate_scenario

        return calibrate_scenario(self)

    def updated(self, changes: dict[str, Any]) -> Scenario:
        """A new validated scenario with dotted-key changes, e.g. ``{"dropout.rate": 0.02}``.

        A value of None removes the key. Raises InputError (naming the key) if the result is invalid.
        """
        data = self.model_dump(exclude_none=True)
        for key, value in changes.items():
            parts = key.split(".")
            node = data
            for part in parts[:-1]:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
            if value is None:
                node.pop(parts[-1], None)
            else:
                node[parts[-1]] = value
        return scenario_from_dict(data, source=f"{self.name} (updated)")

    def frozen(self) -> Scenario:
        """The same model with everything solved written in: the parameters' solved values in the
        hazard shapes and ratios (``parameters`` and ``curve_targets`` dropped) and the accrual solved
        from numbers at risk as ``periods``. Changes made to it (``updated``) then keep the hazards
        and accrual as they are instead of solving them again."""
        cal = self.calibrated
        data = self.model_dump(exclude_none=True)
        par = cal.parameters

        def numbers(values: list) -> list:
            return [par[v] if isinstance(v, str) and v in par else v for v in values]

        if "hazard_shape" in data:
            data["hazard_shape"]["relative"] = numbers(data["hazard_shape"]["relative"])
        for per_arm in data["hazards"].values():
            for spec in per_arm.values():
                if "shape" in spec:
                    spec["shape"]["relative"] = numbers(spec["shape"]["relative"])
                if "hazard_ratio" in spec:
                    spec["hazard_ratio"]["values"] = numbers(spec["hazard_ratio"]["values"])
        data.pop("parameters", None)
        data.pop("curve_targets", None)
        if cal.accrual_fit is not None:
            fit = cal.accrual_fit
            data["accrual"].pop("from_numbers_at_risk")
            data["accrual"]["periods"] = [{"duration_years": float(b - a), "rate": float(r)}
                                          for a, b, r in zip(fit.piece_start, fit.piece_end, fit.rate, strict=True)]
        return scenario_from_dict(data, source=f"{self.name} (frozen)")

    def toxicity_probability(self, name: str, stratum: str, arm: str) -> float:
        """The probability of toxicity ``name`` in a stratum and arm."""
        spec = self.toxicity[name]
        return float(spec.by_stratum[stratum][arm] if isinstance(spec, ToxicityByStratum) else spec[arm])

    def __repr__(self) -> str:
        n = self.accrual.n or sum(a.n or 0 for a in self.arms.values()) or "Poisson"
        return (
            f"Scenario({self.name!r}: arms {self.arm_names}, strata {self.stratum_names}, "
            f"n={n}, digest {self.digest})"
        )

    __str__ = __repr__
