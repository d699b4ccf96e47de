"""Calibration targets (published landmarks, Cox HR, RMST difference) and their values under piecewise hazards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from survtrial.errors import InputError
from survtrial.stats import _piecewise_exp as pe

__all__ = ["HazardRatioTarget", "RMSTDifferenceTarget", "SurvivalTarget", "Target", "check_targets",
           "model_value", "residual"]


def _se_from_ci(low: float, high: float, level: float, log: bool) -> float:
    z = float(special.ndtri(0.5 + level / 2))
    if log:
        return (np.log(high) - np.log(low)) / (2 * z)
    return (high - low) / (2 * z)


@dataclass(frozen=True)
class SurvivalTarget:
    """S(time) = value (a proportion) in ``arm``, with its published standard error."""

    arm: str
    time: float
    value: float
    se: float
    label: str | None = None

    def name(self) -> str:
        return self.label or f"S({self.time:g}) {self.arm}"


@dataclass(frozen=True)
class HazardRatioTarget:
    """The Cox hazard ratio of ``arm`` vs the reference, with the SE of its log.

    ``horizon``: end of follow-up of the analysis; ``censoring``: optional (times, probability still
    followed) knots, linear between (e.g. from uniform accrual); ``dropout``: exponential rate;
    ``ratio``: patients in ``arm`` per patient in the reference arm.
    """

    value: float
    se_log: float
    horizon: float
    arm: str | None = None
    ratio: float = 1.0
    censoring: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    dropout: float = 0.0
    label: str | None = None

    @classmethod
    def from_ci(cls, value: float, low: float, high: float, *, level: float = 0.95, **kw: Any) -> HazardRatioTarget:
        """The SE of log HR from a published CI: (log high - log low) / (2 z)."""
        return cls(value=value, se_log=_se_from_ci(low, high, level, True), **kw)

    def name(self) -> str:
        return self.label or f"Cox HR{' ' + self.arm if self.arm else ''}"


@dataclass(frozen=True)
class RMSTDifferenceTarget:
    """RMST(arm) - RMST(reference) up to ``tau`` = value, with its SE (in the time unit of ``tau``)."""

    value: float
    se: float
    tau: float
    arm: str | None = None
    label: str | None = None

    @classmethod
    def from_ci(cls, value: float, low: float, high: float, *, level: float = 0.95, **kw: Any) -> RMSTDifferenceTarget:
        """The SE from a published symmetric CI: (high - low) / (2 z)."""
        return cls(value=value, se=_se_from_ci(low, high, level, False), **kw)

    def name(self) -> str:
        return self.label or f"RMST difference to {self.tau:g}{' ' + self.arm if self.arm else ''}"


Target = SurvivalTarget | HazardRatioTarget | RMSTDifferenceTarget


def _compared(target: Target, arms: tuple[str, ...], reference: str) -> str:
    others = [a for a in arms if a != reference]
    arm = getattr(target, "arm", None)
    if arm is None:
        if len(others) != 1:
            raise InputError(f"{target.name()}: name the compared arm (arm=...); arms {list(arms)}")
        return others[0]
    return arm


def model_value(t: Target, breaks, hz: dict[str, np.ndarray], arms, reference) -> float:
    if isinstance(t, SurvivalTarget):
        return float(pe.survival(breaks, hz[t.arm], np.array([t.time]))[0])
    other = _compared(t, arms, reference)
    if isinstance(t, RMSTDifferenceTarget):
        return pe.restricted_mean(breaks, hz[other], t.tau) - pe.restricted_mean(breaks, hz[reference], t.tau)
    cens = None if t.censoring is None else (np.asarray(t.censoring[0], float), np.asarray(t.censoring[1], float))
    return float(np.exp(pe.cox_limit(breaks, hz[reference], hz[other], horizon=t.horizon, ratio=t.ratio,
                                     censoring=cens, dropout=t.dropout)))


def residual(t: Target, m: float) -> float:
    if isinstance(t, HazardRatioTarget):
        return (np.log(m) - np.log(t.value)) / t.se_log
    return (m - t.value) / t.se


def check_targets(targets: Sequence[Target], arms: tuple[str, ...]) -> None:
    if not targets:
        raise InputError("targets: give at least one target")
    for t in targets:
        if not isinstance(t, (SurvivalTarget, HazardRatioTarget, RMSTDifferenceTarget)):
            raise InputError(f"targets: {t!r} is not a SurvivalTarget, HazardRatioTarget or RMSTDifferenceTarget")
        arm = getattr(t, "arm", None)
        if arm is not None and arm not in arms:
            raise InputError(f"{t.name()}: arm {arm!r} is not one of {list(arms)}")
        se = t.se_log if isinstance(t, HazardRatioTarget) else t.se
        if not (np.isfinite(se) and se > 0):
            raise InputError(f"{t.name()}: standard error {se!r} must be a finite number > 0")
        if isinstance(t, SurvivalTarget) and not (0 < t.value < 1 and t.time > 0):
            raise InputError(f"{t.name()}: survival {t.value!r} must be in (0, 1) (a proportion) at a time > 0")
        if isinstance(t, HazardRatioTarget) and not (t.value > 0 and t.horizon > 0 and t.ratio > 0):
            raise InputError(f"{t.name()}: HR, horizon and ratio must be > 0")
        if isinstance(t, RMSTDifferenceTarget) and not t.tau > 0:
            raise InputError(f"{t.name()}: tau must be > 0")
