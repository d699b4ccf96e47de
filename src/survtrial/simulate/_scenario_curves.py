"""Scenario models for calibration to curves: accrual from numbers at risk, free parameters, curve targets."""

from __future__ import annotations

import re
from itertools import pairwise

from pydantic import Field, field_validator, model_validator

from survtrial.simulate._scenario_base import NonNegative, Positive, StrictModel, fail

__all__ = ["PARAMETER_NAME", "AtRiskAccrual", "CurveTargets", "HazardRatioCurveTarget", "Parameter",
           "RMSTDifferenceCurveTarget", "SurvivalCurveTarget"]

PARAMETER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class AtRiskAccrual(StrictModel):
    """Accrual rates over calendar time solved from published numbers at risk.

    ``years``: follow-up times (years since randomization) of the numbers printed under a KM figure;
    ``at_risk``: per arm, the numbers at risk at those years. The rates are piecewise constant
    between ``breaks_years`` (calendar years after the accrual start; default: the data cut minus
    each published year), solved at load time from the DFS hazards and dropout with
    :func:`survtrial.design.accrual_fit.solve_accrual_from_at_risk`, from the accrual start to the
    data cut (``data_cut.calendar_date``).
    """

    years: list[NonNegative] = Field(min_length=1)
    at_risk: dict[str, list[NonNegative]] = Field(min_length=1)
    breaks_years: list[Positive] | None = None

    @field_validator("years")
    @classmethod
    def _years(cls, v: list[float]) -> list[float]:
        if any(b <= a for a, b in pairwise(v)):
            raise fail(f"years must increase, got {v}")
        return v

    @model_validator(mode="after")
    def _counts(self) -> AtRiskAccrual:
        for arm, counts in self.at_risk.items():
            if len(counts) != len(self.years):
                raise fail(f"at_risk.{arm}: {len(counts)} numbers for {len(self.years)} years; give one per year")
            if any(b > a for a, b in pairwise(counts)):
                raise fail(f"at_risk.{arm}: numbers at risk must not increase over the years, got {counts}")
        return self


class Parameter(StrictModel):
    """A free number of the hazards (named in ``hazard_shape.relative`` or ``hazard_ratio.values``),
    solved within [lower, upper] so that the curve targets are met (weighted least squares)."""

    lower: NonNegative
    upper: Positive
    start: NonNegative | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Parameter:
        if not self.lower < self.upper:
            raise fail(f"lower {self.lower!r} must be below upper {self.upper!r}")
        if self.start is not None and not self.lower <= self.start <= self.upper:
            raise fail(f"start {self.start!r} must lie within [{self.lower!r}, {self.upper!r}]")
        return self


def _se_or_ci(se: float | None, ci: list[float] | None, what: str) -> None:
    if (se is None) == (ci is None):
        raise fail(f"give exactly one of '{what}' (standard error) or the 95% CI")
    if ci is not None and (len(ci) != 2 or not ci[0] < ci[1]):
        raise fail(f"the 95% CI must be two increasing numbers, got {ci}")


class HazardRatioCurveTarget(StrictModel):
    """The published Cox hazard ratio of ``arm`` vs ``reference`` (default: the scenario's second and
    first arms), stratified by stratum (as the stratified log-rank) or pooled; its model value is the
    limit of the Cox estimate under the scenario's accrual, data cut and dropout."""

    value: Positive
    ci95: list[Positive] | None = None
    se_log: Positive | None = None
    arm: str | None = None
    reference: str | None = None
    stratified: bool = True

    @model_validator(mode="after")
    def _uncertainty(self) -> HazardRatioCurveTarget:
        _se_or_ci(self.se_log, self.ci95, "se_log")
        if self.ci95 is not None and not self.ci95[0] < self.value < self.ci95[1]:
            raise fail(f"value {self.value!r} must lie inside its CI {self.ci95}")
        return self


class RMSTDifferenceCurveTarget(StrictModel):
    """The published difference in restricted mean DFS (days) of ``arm`` minus ``reference`` up to
    the horizon: ``tau_years``, or the horizon at which the model's restricted mean of one arm is
    its published mean (``horizon_from_mean_days: {arm: days}``)."""

    value_days: float
    ci95_days: list[float] | None = None
    se_days: Positive | None = None
    arm: str | None = None
    reference: str | None = None
    tau_years: Positive | None = None
    horizon_from_mean_days: dict[str, Positive] | None = None

    @model_validator(mode="after")
    def _check(self) -> RMSTDifferenceCurveTarget:
        _se_or_ci(self.se_days, self.ci95_days, "se_days")
        if (self.tau_years is None) == (self.horizon_from_mean_days is None):
            raise fail("give exactly one of 'tau_years' or 'horizon_from_mean_days' {arm: published mean in days}")
        if self.horizon_from_mean_days is not None and len(self.horizon_from_mean_days) != 1:
            raise fail("horizon_from_mean_days: give the published mean of exactly one arm")
        return self


class SurvivalCurveTarget(StrictModel):
    """A published landmark met in published SEs (not exactly, as ``survival_targets`` are): DFS of
    ``arm`` at ``years`` (``value`` a proportion), in ``stratum`` or for the arm (strata mixed)."""

    arm: str
    stratum: str | None = None
    years: Positive
    value: float = Field(gt=0.0, lt=1.0)
    se: Positive


class CurveTargets(StrictModel):
    """Published summaries of the whole curves, met together with the landmark targets by solving
    the scenario's ``parameters`` (weighted least squares in published SEs)."""

    hazard_ratio: HazardRatioCurveTarget | None = None
    rmst_difference: RMSTDifferenceCurveTarget | None = None
    survival: list[SurvivalCurveTarget] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some(self) -> CurveTargets:
        if self.hazard_ratio is None and self.rmst_difference is None and not self.survival:
            raise fail("give at least one of 'hazard_ratio', 'rmst_difference' or 'survival'")
        return self

    @property
    def count(self) -> int:
        """The number of targets."""
        return (self.hazard_ratio is not None) + (self.rmst_difference is not None) + len(self.survival)
