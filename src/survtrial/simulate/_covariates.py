"""Scenario covariate models: categorical, quantile-given numeric, and constant covariates."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from survtrial.simulate._scenario_base import Probability, StrictModel, check_sum, fail

__all__ = ["CategoricalCovariate", "ConstantCovariate", "Covariate", "QuantileCovariate"]


class CategoricalCovariate(StrictModel):
    """A categorical covariate: ``levels`` {label: probability}, or ``by`` a parent with ``levels_by``."""

    type: Literal["categorical"]
    levels: dict[str, Probability] | None = None
    by: str | None = None
    levels_by: dict[str, dict[str, Probability]] | None = None

    @model_validator(mode="after")
    def _check(self) -> CategoricalCovariate:
        if self.levels is not None:
            if self.by is not None or self.levels_by is not None:
                raise fail("give either 'levels' or 'by' with 'levels_by', not both")
            check_sum(self.levels, "level probabilities")
        else:
            if self.by is None or self.levels_by is None:
                raise fail("give 'levels' {label: probability}, or 'by' (a parent) with 'levels_by'")
            for parent, lv in self.levels_by.items():
                check_sum(lv, f"level probabilities for {self.by} = {parent!r}")
        return self

    def all_levels(self) -> list[str]:
        """Every label, in order of first appearance."""
        groups = [self.levels] if self.levels is not None else list((self.levels_by or {}).values())
        return list(dict.fromkeys(k for g in groups for k in g))


def _check_quantiles(q: dict[float, float], what: str) -> None:
    items = sorted(q.items())
    ps = [p for p, _ in items]
    if ps[0] != 0.0 or ps[-1] != 1.0 or any(not (0 <= p <= 1) for p in ps):
        raise fail(f"{what}: probabilities must lie in [0, 1] and include 0 and 1, got {ps}")
    vals = [v for _, v in items]
    if any(not np.isfinite(v) for v in vals) or any(b < a for a, b in pairwise(vals)):
        raise fail(f"{what}: values must be finite and non-decreasing in the probability, got {vals}")


class QuantileCovariate(StrictModel):
    """A numeric covariate given by quantiles ``{probability: value}`` (linear between them).

    The quantile function interpolates linearly, so a published median is reproduced exactly.
    """

    type: Literal["quantiles"]
    quantiles: dict[float, float] | None = None
    by: str | None = None
    quantiles_by: dict[str, dict[float, float]] | None = None
    decimals: int | None = Field(None, ge=0, le=12)

    @model_validator(mode="after")
    def _check(self) -> QuantileCovariate:
        if self.quantiles is not None:
            if self.by is not None or self.quantiles_by is not None:
                raise fail("give either 'quantiles' or 'by' with 'quantiles_by', not both")
            _check_quantiles(self.quantiles, "quantiles")
        else:
            if self.by is None or self.quantiles_by is None:
                raise fail("give 'quantiles' {probability: value}, or 'by' (a parent) with 'quantiles_by'")
            for parent, q in self.quantiles_by.items():
                _check_quantiles(q, f"quantiles for {self.by} = {parent!r}")
        return self


class ConstantCovariate(StrictModel):
    """A covariate with the same value for everyone (e.g. ``testicular: false`` by eligibility)."""

    type: Literal["constant"]
    value: bool | int | float | str


Covariate = Annotated[
    CategoricalCovariate | QuantileCovariate | ConstantCovariate, Field(discriminator="type")
]
