"""Twin definitions as data: a trial's arms, endpoints, analysis, headlines and published values, validated.

A twin says which scenario simulates the trial, how the paper analysed it (stratification, landmark,
RMST horizon, subgroups, toxicity columns), which published figures it re-enacts (each one a
headline of a small vocabulary of kinds, with its published value, SE or CI and source) and the
interim analysis plan. The code that runs a twin (:mod:`survtrial.workflows.twin`) knows no trial.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from survtrial.errors import InputError
from survtrial.workflows._twin_io import load_twin, packaged_twins, twin_from_dict

__all__ = [
    "HEADLINE_FIELDS",
    "Arms",
    "DerivedColumn",
    "Endpoint",
    "Headline",
    "InterimAnalysisPlan",
    "PublishedValue",
    "RmstHorizon",
    "TwinAnalysis",
    "TwinSpec",
    "load_twin",
    "packaged_twins",
    "twin_from_dict",
]

Finite = Annotated[float, Field(allow_inf_nan=False)]
PositiveTime = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


def _fail(detail: str) -> PydanticCustomError:
    return PydanticCustomError("twin", "{detail}", {"detail": detail})


def _names(values: Any) -> str:
    return ", ".join(repr(str(v)) for v in values)


class _Strict(BaseModel):
    """Unknown keys are errors; instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PublishedValue(_Strict):
    """A published figure: value, its SE and/or 95% CI where published, and where it comes from.

    ``source`` says where the value was read (paper, table, figure, abstract); ``field`` is its
    dotted path in the trial's reference file of published figures, when there is one.
    """

    value: Finite
    se: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = None
    ci95: tuple[Finite, Finite] | None = None
    source: str = Field(min_length=1)
    field: str | None = None

    @model_validator(mode="after")
    def _ci(self) -> PublishedValue:
        if self.ci95 is not None and not self.ci95[0] <= self.value <= self.ci95[1]:
            raise _fail(f"ci95 {list(self.ci95)} does not contain the value {self.value:g}; give [lower, upper]")
        return self


class Arms(_Strict):
    """The two compared arms by their names in the data (hazard ratios are experimental / control)."""

    control: str = Field(min_length=1)
    experimental: str = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _distinct(self) -> Arms:
        if self.control == self.experimental:
            raise _fail(f"control and experimental are both {self.control!r}; name two different arms")
        extra = [k for k in self.labels if k not in (self.control, self.experimental)]
        if extra:
            raise _fail(f"labels for unknown arm(s) {_names(extra)}; arms: {_names([self.control, self.experimental])}")
        return self

    @property
    def names(self) -> tuple[str, str]:
        """(control, experimental)."""
        return self.control, self.experimental


class Endpoint(_Strict):
    """A time-to-event endpoint by its columns: time, event (1 = event) and, optionally, the event type."""

    label: str | None = None
    time: str = Field(min_length=1)
    event: str = Field(min_length=1)
    event_type: str | None = None


class RmstHorizon(_Strict):
    """Horizon of the restricted mean survival time and why it was chosen."""

    years: PositiveTime
    justification: str = Field(min_length=1)


class DerivedColumn(_Strict):
    """A categorical column cut from a numeric one: ``labels[j]`` for ``breaks[j-1] <= x < breaks[j]``."""

    source: str = Field(min_length=1)
    breaks: list[Finite] = Field(min_length=1)
    labels: list[str]

    @model_validator(mode="after")
    def _lengths(self) -> DerivedColumn:
        if any(b <= a for a, b in pairwise(self.breaks)):
            raise _fail(f"breaks must increase strictly, got {self.breaks}")
        if len(self.labels) != len(self.breaks) + 1:
            raise _fail(f"{len(self.breaks)} breaks need {len(self.breaks) + 1} labels, got {len(self.labels)}")
        return self


class TwinAnalysis(_Strict):
    """How the paper analysed the trial."""

    strata: list[str] = Field(default_factory=list)
    landmark: PositiveTime
    rmst: RmstHorizon | None = None
    subgroups: list[str] = Field(default_factory=list)
    derived_columns: dict[str, DerivedColumn] = Field(default_factory=dict)
    toxicities: dict[str, str] = Field(default_factory=dict)


class InterimAnalysisPlan(_Strict):
    """Interim analyses at information fractions of the planned primary-endpoint events, with alpha spending."""

    planned_events: int = Field(ge=1)
    information_fractions: list[float] = Field(min_length=1)
    spending: str = "asOF"
    spending_parameter: float | None = None
    alpha_one_sided: float = Field(0.025, gt=0.0, lt=0.5)
    source: str = Field(min_length=1)

    @field_validator("information_fractions")
    @classmethod
    def _fractions(cls, v: list[float]) -> list[float]:
        if any(not 0 < f <= 1 for f in v) or any(b <= a for a, b in pairwise(v)) or v[-1] != 1:
            raise _fail(f"information fractions must increase within (0, 1] and end at 1, got {v}")
        return v

    @model_validator(mode="after")
    def _spending(self) -> InterimAnalysisPlan:
        from survtrial.design.spending import spending_function

        try:
            spending_function(self.spending, self.spending_parameter)
        except InputError as err:
            raise _fail(str(err)) from None
        return self


# Headline kinds: the keys each one needs and the keys it may take (besides label, kind, published).
HEADLINE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "survival": (("arm", "at"), ("endpoint", "stratum")),
    "hazard_ratio": ((), ("endpoint",)),
    "rmst_difference": (("unit",), ("endpoint", "tau")),
    "cumulative_incidence": (("arm", "at", "causes"), ("endpoint",)),
    "toxicity_rate": (("arm", "column"), ()),
    "median_follow_up": ((), ("endpoint",)),
    "at_risk": (("arm", "at"), ("endpoint",)),
    "median_survival": (("arm",), ("endpoint",)),
}
_OPTIONAL_KEYS = ("endpoint", "arm", "at", "stratum", "causes", "tau", "unit", "column")


class Headline(_Strict):
    """One published figure and how the twin computes it.

    ``kind`` is one of :data:`HEADLINE_FIELDS`: ``survival`` (Kaplan-Meier S(at) of an arm, percent,
    optionally within a stratum), ``hazard_ratio`` (Cox, experimental / control, stratified as the
    analysis), ``rmst_difference`` (experimental - control at ``tau``, default the analysis horizon,
    in ``unit``), ``cumulative_incidence`` (Aalen-Johansen CIF at ``at`` of the union of ``causes``,
    percent), ``toxicity_rate`` (percent of an arm with ``column`` true), ``median_follow_up``
    (reverse Kaplan-Meier), ``at_risk`` (patients of an arm still at risk at ``at``),
    ``median_survival`` (Kaplan-Meier median of an arm). ``endpoint`` defaults to the primary one.
    """

    label: str = Field(min_length=1)
    kind: Literal[tuple(HEADLINE_FIELDS)]  # type: ignore[valid-type]
    endpoint: str | None = None
    arm: str | None = None
    at: PositiveTime | None = None
    stratum: str | None = None
    causes: list[str] | None = Field(None, min_length=1)
    tau: PositiveTime | None = None
    unit: Literal["days", "months", "years"] | None = None
    column: str | None = None
    published: PublishedValue

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Headline:
        needed, optional = HEADLINE_FIELDS[self.kind]
        missing = [k for k in needed if getattr(self, k) is None]
        extra = [k for k in _OPTIONAL_KEYS if getattr(self, k) is not None and k not in needed + optional]
        if missing or extra:
            parts = [f"needs {_names(missing)}"] if missing else []
            parts += [f"does not take {_names(extra)}"] if extra else []
            allowed = _names(needed + optional) or "no other keys"
            raise _fail(f"kind {self.kind!r} {' and '.join(parts)}; its keys: {allowed}")
        return self

    @property
    def unit_label(self) -> str:
        """The unit the value is in: '%', 'ratio', 'days', 'years' or 'patients'."""
        if self.kind in ("survival", "cumulative_incidence", "toxicity_rate"):
            return "%"
        if self.kind == "hazard_ratio":
            return "ratio"
        if self.kind == "at_risk":
            return "patients"
        return self.unit or "years"


class TwinSpec(_Strict):
    """A digital twin of a published two-arm trial (validated). Load one with :func:`load_twin`."""

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = ""
    publication: str = Field(min_length=1)
    subjects: str = "patients"
    scenario: str = Field(min_length=1)
    arms: Arms
    endpoints: dict[str, Endpoint] = Field(min_length=1)
    primary_endpoint: str
    analysis: TwinAnalysis
    interim_analysis: InterimAnalysisPlan | None = None
    headlines: dict[str, Headline] = Field(min_length=1)

    _base: Path | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _references(self) -> TwinSpec:
        problems = _reference_problems(self)
        if problems:
            raise PydanticCustomError("twin_references", "{detail}",
                                      {"detail": "; ".join(f"{k}: {m}" for k, m in problems),
                                       "problems": problems})
        return self

    @property
    def scenario_source(self) -> str:
        """The scenario to load: a packaged name as given, a path resolved against the twin file's directory."""
        p = Path(self.scenario)
        if self._base is None or p.is_absolute() or (not p.suffix and "/" not in self.scenario):
            return self.scenario
        return str(self._base / p)

    def endpoint_of(self, headline: Headline) -> str:
        """The endpoint a headline reads (the primary one unless it names another)."""
        return headline.endpoint or self.primary_endpoint

    def arm_label(self, arm: str) -> str:
        """The arm's label (its name when none is given)."""
        return self.arms.labels.get(arm, arm)


def _reference_problems(tw: TwinSpec) -> list[tuple[str, str]]:
    """Keys that point nowhere: (dotted key, message) per problem."""
    out: list[tuple[str, str]] = []
    endpoints, arms = list(tw.endpoints), list(tw.arms.names)
    if tw.primary_endpoint not in tw.endpoints:
        out.append(("primary_endpoint", f"{tw.primary_endpoint!r} is not an endpoint; endpoints: {_names(endpoints)}"))
    columns = set(tw.analysis.derived_columns)
    for s in tw.analysis.subgroups:
        if s in tw.analysis.toxicities:
            out.append(("analysis.subgroups", f"{s!r} is a toxicity column, not a subgroup"))
    for key, h in tw.headlines.items():
        where = f"headlines.{key}"
        if h.endpoint is not None and h.endpoint not in tw.endpoints:
            out.append((f"{where}.endpoint", f"{h.endpoint!r} is not an endpoint; endpoints: {_names(endpoints)}"))
        if h.arm is not None and h.arm not in arms:
            out.append((f"{where}.arm", f"{h.arm!r} is not an arm of the twin; arms: {_names(arms)}"))
        if h.stratum is not None and not tw.analysis.strata:
            out.append((f"{where}.stratum", "a stratum needs stratification: give analysis.strata"))
        if h.column is not None and h.column not in tw.analysis.toxicities:
            out.append((f"{where}.column", f"{h.column!r} is not a toxicity of analysis.toxicities; "
                                           f"toxicities: {_names(tw.analysis.toxicities) or 'none'}"))
        ep = tw.endpoints.get(tw.endpoint_of(h))
        if h.kind == "cumulative_incidence" and ep is not None and ep.event_type is None:
            out.append((where, f"cumulative incidences need an endpoint with 'event_type'; "
                               f"endpoint {tw.endpoint_of(h)!r} has none"))
        if h.kind == "rmst_difference" and h.tau is None and tw.analysis.rmst is None:
            out.append((where, "give 'tau' or the analysis horizon analysis.rmst.years"))
        if key in columns:
            out.append((where, "a headline key may not repeat a derived column name"))
    return out
