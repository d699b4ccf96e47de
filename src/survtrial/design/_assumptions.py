"""Validate planning assumptions (survival targets, accrual, dropout) into arrays for the study model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial.design.accrual import StudyModel
from survtrial.design.targets import hazard_from_median, hazard_from_survival
from survtrial.errors import InputError


def per_case(name: str, value: Any) -> np.ndarray:
    """A per-case planning value: a number or a 1-d array of numbers (a grid)."""
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a number or a 1-d list of numbers") from None
    if a.ndim > 1:
        raise InputError(f"{name}: expected a number or a 1-d grid of numbers, got shape {a.shape}")
    if a.size == 0:
        raise InputError(f"{name}: empty grid")
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name}={value!r}: missing or infinite value")
    return a


def _sequence(name: str, value: Any) -> np.ndarray:
    a = per_case(name, value)
    return np.atleast_1d(a)


def _exactly_one(names: dict[str, Any], what: str) -> str:
    given = [k for k, v in names.items() if v is not None]
    if len(given) != 1:
        listed = ", ".join(names)
        got = ", ".join(given) if given else "none"
        raise InputError(f"{what}: give exactly one of {listed} (got {got})")
    return given[0]


@dataclass(frozen=True)
class Assumptions:
    """Validated planning assumptions, broadcast over ``shape`` planning cases."""

    shape: tuple[int, ...]
    survival_starts: np.ndarray
    control_hazard: np.ndarray  # (n, m)
    hazard_ratio: np.ndarray  # (n,)
    dropout_hazard: tuple[float, float]
    allocation_ratio: float
    accrual_breaks: np.ndarray  # (J + 1,), last inf when accrual is open-ended
    accrual_intensity: np.ndarray  # (J,)
    absolute_rates: bool
    n_subjects: np.ndarray | None  # (n,)
    follow_up: np.ndarray | None  # (n,)
    extra: dict[str, np.ndarray]  # further per-case values broadcast with the grid, (n,) each

    @property
    def n(self) -> int:
        return self.hazard_ratio.size

    @property
    def open_ended(self) -> bool:
        return bool(np.isinf(self.accrual_breaks[-1]))

    def model(self, rates: np.ndarray, end: np.ndarray) -> StudyModel:
        return StudyModel(
            accrual_breaks=self.accrual_breaks,
            accrual_rates=rates,
            accrual_end=end,
            survival_starts=self.survival_starts,
            control_hazard=self.control_hazard,
            hazard_ratio=self.hazard_ratio,
            dropout_hazard=self.dropout_hazard,
            allocation_ratio=self.allocation_ratio,
        )


def _control(
    control_hazard: Any, control_median: Any, control_survival: Any, landmark_time: Any, piecewise_times: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Survival piece starts (m,) and control hazards: (m,) piecewise or a per-case grid (n,)."""
    which = _exactly_one(
        {"control_hazard": control_hazard, "control_median": control_median, "control_survival": control_survival},
        "control arm survival",
    )
    if piecewise_times is not None:
        if which != "control_hazard":
            raise InputError("piecewise_times needs control_hazard with one hazard per piece")
        starts = _sequence("piecewise_times", piecewise_times)
        if starts[0] != 0:
            starts = np.concatenate([[0.0], starts])
        if np.any(np.diff(starts) <= 0):
            raise InputError(f"piecewise_times={list(starts)} must increase strictly from 0")
        hazards = _sequence("control_hazard", control_hazard)
        if hazards.size != starts.size:
            raise InputError(
                f"control_hazard has {hazards.size} value(s) but piecewise_times defines {starts.size} "
                f"piece(s) starting at {list(starts)}; give one hazard per piece"
            )
        if np.any(hazards < 0) or not np.any(hazards > 0):
            raise InputError("control_hazard: piecewise hazards must be >= 0 and not all 0")
        return starts, hazards
    if which == "control_hazard":
        hazards = per_case("control_hazard", control_hazard)
        if np.any(hazards <= 0):
            raise InputError(f"control_hazard={control_hazard!r} must be > 0")
    elif which == "control_median":
        hazards = np.asarray(hazard_from_median(per_case("control_median", control_median)))
    else:
        if landmark_time is None:
            raise InputError("control_survival needs landmark_time (e.g. control_survival=0.879, landmark_time=3)")
        hazards = np.asarray(hazard_from_survival(per_case("control_survival", control_survival), landmark_time))
    return np.zeros(1), hazards


def _hazard_ratio(
    starts: np.ndarray,
    control: np.ndarray,
    hazard_ratio: Any,
    experimental_hazard: Any,
    experimental_median: Any,
    experimental_survival: Any,
    landmark_time: Any,
) -> np.ndarray:
    which = _exactly_one(
        {
            "hazard_ratio": hazard_ratio,
            "experimental_hazard": experimental_hazard,
            "experimental_median": experimental_median,
            "experimental_survival": experimental_survival,
        },
        "experimental arm effect",
    )
    piecewise = starts.size > 1
    if which == "hazard_ratio":
        hr = per_case("hazard_ratio", hazard_ratio)
        if np.any(hr <= 0):
            raise InputError(f"hazard_ratio={hazard_ratio!r} must be > 0")
        return hr
    if which == "experimental_survival":
        if landmark_time is None:
            raise InputError("experimental_survival needs landmark_time")
        h1 = np.asarray(hazard_from_survival(per_case("experimental_survival", experimental_survival), landmark_time))
        if not piecewise:
            return h1 / control
        # proportional hazards: HR = log S_E(t) / log S_C(t) = H_E(t) / H_C(t)
        t = float(landmark_time)
        exposure = np.clip(t - starts, 0.0, np.append(np.diff(starts), np.inf))
        return h1 * t / float(control @ exposure)
    if piecewise:
        raise InputError(
            f"{which} cannot be combined with piecewise control hazards; give hazard_ratio or "
            "experimental_survival with landmark_time"
        )
    if which == "experimental_hazard":
        h1 = per_case("experimental_hazard", experimental_hazard)
        if np.any(h1 <= 0):
            raise InputError(f"experimental_hazard={experimental_hazard!r} must be > 0")
    else:
        h1 = np.asarray(hazard_from_median(per_case("experimental_median", experimental_median)))
    return h1 / control


def _dropout(dropout_rate: Any, dropout_time: Any) -> tuple[float, float]:
    """Exponential dropout hazards (experimental, control) from proportions lost by dropout_time."""
    rates = _sequence("dropout_rate", dropout_rate)
    if rates.size == 1:
        rates = np.repeat(rates, 2)
    if rates.size != 2:
        raise InputError(f"dropout_rate: give one rate or a pair (experimental, control), got {rates.size} values")
    if np.any((rates < 0) | (rates >= 1)):
        raise InputError(f"dropout_rate={dropout_rate!r} must be in [0, 1): the proportion lost by dropout_time")
    if not np.any(rates > 0):
        return 0.0, 0.0
    if dropout_time is None:
        raise InputError("dropout_rate > 0 needs dropout_time (the time by which that proportion drops out)")
    t = float(per_case("dropout_time", dropout_time))
    if t <= 0:
        raise InputError(f"dropout_time={dropout_time!r} must be > 0")
    phi = -np.log1p(-rates) / t
    return float(phi[0]), float(phi[1])


def _accrual(
    accrual_time: Any, accrual_intensity: Any, accrual_rate: Any
) -> tuple[np.ndarray, np.ndarray, bool]:
    breaks = _sequence("accrual_time", accrual_time)
    if breaks[0] != 0:
        breaks = np.concatenate([[0.0], breaks])
    if np.any(breaks < 0):
        raise InputError(f"accrual_time={accrual_time!r}: accrual times must be >= 0")
    if np.any(np.diff(breaks) <= 0):
        raise InputError(f"accrual_time={list(breaks)} must increase strictly from 0 (and end after 0)")
    if accrual_intensity is not None and accrual_rate is not None:
        raise InputError("give accrual_intensity (relative weights) or accrual_rate (subjects per time unit), not both")
    absolute = accrual_rate is not None
    name = "accrual_rate" if absolute else "accrual_intensity"
    value = accrual_rate if absolute else accrual_intensity
    pieces = breaks.size - 1
    weights = np.ones(max(pieces, 1)) if value is None else _sequence(name, value)
    if np.any(weights < 0) or not np.any(weights > 0):
        raise InputError(f"{name}={value!r}: values must be >= 0 and not all 0")
    if absolute and weights.size == breaks.size:  # last rate continues until enough subjects
        return np.append(breaks, np.inf), weights, True
    if breaks.size < 2:
        raise InputError(f"accrual_time={accrual_time!r}: give the accrual duration (> 0)")
    if weights.size != pieces:
        extra = " (or one more rate for open-ended accrual)" if absolute else ""
        raise InputError(
            f"{name} has {weights.size} value(s) but accrual_time {list(breaks)} defines {pieces} "
            f"piece(s); give one value per piece{extra}"
        )
    return breaks, weights, absolute


def assumptions(
    *,
    hazard_ratio: Any = None,
    control_hazard: Any = None,
    control_median: Any = None,
    control_survival: Any = None,
    experimental_hazard: Any = None,
    experimental_median: Any = None,
    experimental_survival: Any = None,
    landmark_time: Any = None,
    piecewise_times: Any = None,
    allocation_ratio: Any = 1.0,
    accrual_time: Any = 12.0,
    accrual_intensity: Any = None,
    accrual_rate: Any = None,
    n_subjects: Any = None,
    follow_up: Any = None,
    dropout_rate: Any = 0.0,
    dropout_time: Any = None,
    extra: dict[str, Any] | None = None,
) -> Assumptions:
    """Validate and broadcast the planning assumptions shared by sample size, power and expected events.

    ``extra`` holds further per-case values (e.g. power) to broadcast with the grid.
    """
    extra = {k: per_case(k, v) for k, v in (extra or {}).items()}
    if landmark_time is not None:
        lt = float(per_case("landmark_time", landmark_time))
        if lt <= 0:
            raise InputError(f"landmark_time={landmark_time!r} must be > 0")
    starts, control = _control(control_hazard, control_median, control_survival, landmark_time, piecewise_times)
    hr = _hazard_ratio(
        starts, control, hazard_ratio, experimental_hazard, experimental_median, experimental_survival, landmark_time
    )
    r = float(per_case("allocation_ratio", allocation_ratio))
    if r <= 0:
        raise InputError(f"allocation_ratio={allocation_ratio!r} must be > 0 (experimental per control subject)")
    breaks, intensity, absolute = _accrual(accrual_time, accrual_intensity, accrual_rate)
    phi = _dropout(dropout_rate, dropout_time)
    n_subj = None if n_subjects is None else per_case("n_subjects", n_subjects)
    fu = None if follow_up is None else per_case("follow_up", follow_up)
    if fu is not None and np.any(fu < 0):
        raise InputError(f"follow_up={follow_up!r} must be >= 0 (time from the end of accrual to the final analysis)")
    if n_subj is not None and np.any(n_subj <= 0):
        raise InputError(f"n_subjects={n_subjects!r} must be > 0")
    fixed_n = absolute and not np.isinf(breaks[-1])
    if fixed_n and n_subj is not None:
        raise InputError(
            "n_subjects is already fixed by accrual_rate over a closed accrual_time; drop n_subjects, "
            "or give accrual_intensity (relative) instead of accrual_rate"
        )
    if (fixed_n or n_subj is not None) and fu is not None:
        raise InputError(
            "give follow_up (the number of subjects is then computed) or a fixed number of subjects "
            "(n_subjects, or accrual_rate over a closed accrual_time; the follow-up is then computed), not both"
        )
    if not fixed_n and n_subj is None and fu is None:
        raise InputError("give follow_up (or n_subjects): the minimum follow-up after the end of accrual")

    per = [hr, *([control] if starts.size == 1 else []), *(a for a in (n_subj, fu) if a is not None)]
    per += list(extra.values())
    try:
        shape = np.broadcast_shapes(*(a.shape for a in per))
    except ValueError:
        raise InputError(
            "grid arguments (hazard ratio, control hazard, n_subjects, follow_up, "
            f"{', '.join(extra) or 'power'}) differ in length"
        ) from None
    n = int(np.prod(shape)) if shape else 1
    control2d = (
        np.broadcast_to(control, (n, starts.size)).copy()
        if starts.size > 1
        else np.broadcast_to(np.asarray(control, dtype=float).reshape(-1), (n,))[:, None].copy()
    )
    return Assumptions(
        shape=shape,
        survival_starts=starts,
        control_hazard=control2d,
        hazard_ratio=np.broadcast_to(hr.reshape(-1), (n,)).copy(),
        dropout_hazard=phi,
        allocation_ratio=r,
        accrual_breaks=breaks,
        accrual_intensity=intensity,
        absolute_rates=absolute,
        n_subjects=None if n_subj is None else np.broadcast_to(n_subj.reshape(-1), (n,)).copy(),
        follow_up=None if fu is None else np.broadcast_to(fu.reshape(-1), (n,)).copy(),
        extra={k: np.broadcast_to(v.reshape(-1), (n,)).copy() for k, v in extra.items()},
    )


def squeeze(a: np.ndarray, shape: tuple[int, ...]) -> Any:
    """Per-case array (n, ...) back to the user's shape: scalars for scalar input."""
    if shape == ():
        a = a[0]
        return float(a) if np.ndim(a) == 0 else a
    return a


def null_hazard_ratio(noninferiority_margin: Any, hazard_ratio: np.ndarray) -> float:
    if noninferiority_margin is None:
        if np.any(hazard_ratio == 1):
            raise InputError("hazard_ratio=1: no difference to detect; for non-inferiority give noninferiority_margin")
        return 1.0
    margin = float(per_case("noninferiority_margin", noninferiority_margin))
    if margin <= 1:
        raise InputError(
            f"noninferiority_margin={noninferiority_margin!r} must be > 1: the largest hazard ratio "
            "(experimental over control) still called 'not worse'; see noninferiority_margin() to "
            "convert a landmark-survival difference"
        )
    if np.any(hazard_ratio >= margin):
        raise InputError(
            f"hazard_ratio must be below noninferiority_margin={margin:g} (got up to {hazard_ratio.max():g}): "
            "the planning effect must lie inside the non-inferiority region"
        )
    return margin


def sequential(design: Any, inflation_factor: Any, information_fractions: Any) -> tuple[np.ndarray, float]:
    """Information fractions and inflation factor, from a design object or given directly."""
    if design is not None:
        if inflation_factor is not None or information_fractions is not None:
            raise InputError("give design, or inflation_factor with information_fractions, not both")
        try:
            inflation_factor = design.inflation_factor
            information_fractions = design.information_fractions
        except AttributeError:
            raise InputError(
                f"design ({type(design).__name__}) needs .inflation_factor and .information_fractions; "
                "build it with survtrial.design.group_sequential"
            ) from None
    if information_fractions is None:
        if inflation_factor not in (None, 1, 1.0):
            raise InputError("inflation_factor needs information_fractions (one per look, ending at 1)")
        return np.ones(1), 1.0
    fr = np.atleast_1d(per_case("information_fractions", information_fractions))
    if np.any(fr <= 0) or np.any(np.diff(fr) <= 0) or abs(fr[-1] - 1) > 1e-12:
        raise InputError(
            f"information_fractions={list(fr)} must increase strictly within (0, 1] and end at 1"
        )
    inflation = 1.0 if inflation_factor is None else float(per_case("inflation_factor", inflation_factor))
    if inflation < 1:
        raise InputError(f"inflation_factor={inflation_factor!r} must be >= 1 (maximum over fixed-design events)")
    return fr, inflation


def error_rates(design: Any, alpha: Any, power: Any, sided: Any) -> tuple[Any, Any, int]:
    """alpha, power and sidedness; a design object supplies those not given (and must agree with those given)."""
    out = {"alpha": alpha, "power": power, "sided": sided}
    if design is not None:
        beta = getattr(design, "beta", None)
        from_design = {
            "alpha": getattr(design, "alpha", None),
            "power": getattr(design, "power", None) if beta is None else 1 - beta,
            "sided": getattr(design, "sided", None),
        }
        for key, value in from_design.items():
            if value is None:
                continue
            if out[key] is None:
                out[key] = value
            elif not np.allclose(out[key], value):
                raise InputError(f"{key}={out[key]!r} conflicts with the design's {key}={value!r}; drop one")
    defaults = {"alpha": 0.025, "power": 0.8, "sided": 1}
    for key, value in defaults.items():
        if out[key] is None:
            out[key] = value
    if np.ndim(out["alpha"]) or np.ndim(out["sided"]):
        raise InputError("alpha and sided take one value each; loop over them for a grid (power may be a grid)")
    return out["alpha"], out["power"], int(out["sided"])


def stopping_probabilities(design: Any, k: int) -> np.ndarray | None:
    """Probability of stopping at each look under H1 (rejection or futility), if the design has them."""
    if k == 1:
        return np.ones(1)
    up, low = getattr(design, "upper_h1", None), getattr(design, "lower_h1", None)
    if up is None or low is None:
        return None
    stop = np.nan_to_num(np.asarray(up, dtype=float)) + np.nan_to_num(np.asarray(low, dtype=float))
    stop[-1] = 1.0 - stop[:-1].sum()
    return stop
