"""The parts of a calibration that depend on the scenario's free parameters: hazards, accrual, data cut."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from survtrial.errors import InputError
from survtrial.simulate._curve_fit import CurveModel
from survtrial.simulate._hazard_fit import scenario_hazards
from survtrial.simulate._model import AccrualPattern
from survtrial.simulate.piecewise import PiecewiseHazard

if TYPE_CHECKING:
    from survtrial.simulate.scenario import Scenario

__all__ = ["Core", "build_core"]

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Core:
    """Hazards (of those not cured) and cure fractions per cell, the accrual (and its fit to the
    numbers at risk, if solved from them), the data cut in years (None: cut by events)."""

    hazards: dict[tuple[str, str], PiecewiseHazard]
    cure: dict[tuple[str, str], float]
    accrual: AccrualPattern
    accrual_fit: Any
    cut_years: float | None
    curve_model: CurveModel | None


def _years(date: dt.date, start: dt.date) -> float:
    return (date - start).days / DAYS_PER_YEAR


def _arm_shares(sc: Scenario) -> dict[str, float]:
    if all(a.n for a in sc.arms.values()):
        total = sum(a.n for a in sc.arms.values())
        return {k: a.n / total for k, a in sc.arms.items()}
    total = sum(sc.randomization.ratio.values())
    return {k: r / total for k, r in sc.randomization.ratio.items()}


def _accrual_from_at_risk(sc: Scenario, hazards: dict, cure: dict) -> tuple[AccrualPattern, Any]:
    from survtrial.design.accrual_fit import solve_accrual_from_at_risk

    spec = sc.accrual.from_numbers_at_risk
    years = np.asarray(spec.years, dtype=float)
    grid = np.union1d(years, [0.0])
    strata = list(sc.strata)
    weights = [sc.strata[s].share for s in strata]
    arm_hazards = {}
    for a in sc.arms:  # the arm's DFS (strata mixed) through its values at the published years
        surv = np.array([sum(w * (cure[s, a] + (1 - cure[s, a]) * float(hazards[s, a].survival(y)))
                             for s, w in zip(strata, weights, strict=True)) for y in grid])
        rates = -np.diff(np.log(surv)) / np.diff(grid) if grid.size > 1 else np.zeros(0)
        arm_hazards[a] = (grid, np.append(rates, rates[-1] if rates.size else 0.0))
    n = sc.accrual.n or (sum(a.n for a in sc.arms.values()) if all(a.n for a in sc.arms.values()) else None)
    at_risk = {a: np.asarray(spec.at_risk[a], dtype=float) for a in sc.arms}
    if n is not None and years[0] == 0:  # another sample size: the accrual's shape, scaled to n
        scale = n / sum(float(v[0]) for v in at_risk.values())
        at_risk = {a: v * scale for a, v in at_risk.items()}
    try:
        fit = solve_accrual_from_at_risk(
            at_risk, years, accrual_start=sc.accrual.start_date,
            data_cut=sc.data_cut.calendar_date, hazards=arm_hazards, dropout=sc.dropout.rate,
            breaks=spec.breaks_years, total=n,
        )
    except InputError as err:
        raise InputError(f"scenario key 'accrual.from_numbers_at_risk': {err}") from None
    knots = np.append(fit.piece_start, fit.piece_end[-1])
    return AccrualPattern(knots, np.asarray(fit.rate, dtype=float)), fit


def build_core(sc: Scenario, parameters: dict[str, float] | None = None) -> Core:
    """Hazards, accrual and cut of a scenario for given values of its parameters."""
    from survtrial.simulate.calibrate import calibrate_cut_for_median_follow_up

    hazards, cure = scenario_hazards(sc, parameters)
    acc = sc.accrual
    fit = None
    if acc.periods is not None:
        accrual = AccrualPattern.from_periods([p.duration_years for p in acc.periods], [p.rate for p in acc.periods])
    elif acc.from_numbers_at_risk is not None:
        accrual, fit = _accrual_from_at_risk(sc, hazards, cure)
    else:
        accrual = AccrualPattern.from_periods([acc.duration_years], [1.0])
    cut = sc.data_cut
    cut_years: float | None = None
    if cut.calendar_date is not None:
        cut_years = _years(cut.calendar_date, acc.start_date)
    elif cut.years_from_start is not None:
        cut_years = float(cut.years_from_start)
    elif cut.median_follow_up_years is not None:
        try:
            cut_years = calibrate_cut_for_median_follow_up(cut.median_follow_up_years, accrual, sc.dropout.rate)
        except InputError as err:
            raise InputError(f"scenario key 'data_cut.median_follow_up_years': {err}") from None
    model = None
    if sc.curve_targets is not None and cut_years is not None:
        strata = tuple(sc.strata)
        model = CurveModel(hazards=hazards, cure=cure, strata=strata,
                           weights=np.array([sc.strata[s].share for s in strata]), arms=tuple(sc.arms),
                           shares=_arm_shares(sc), accrual=accrual, cut=cut_years, dropout=float(sc.dropout.rate))
    return Core(hazards=hazards, cure=cure, accrual=accrual, accrual_fit=fit, cut_years=cut_years, curve_model=model)
