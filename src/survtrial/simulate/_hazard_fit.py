"""Solving piecewise DFS hazards from landmark targets: scaled shapes, hazard-ratio profiles, cure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from survtrial.errors import InputError
from survtrial.simulate.piecewise import PiecewiseHazard

if TYPE_CHECKING:
    from survtrial.simulate.scenario import Scenario

__all__ = ["calibrate_hazard_ratio", "calibrate_piecewise_hazards", "scenario_hazards"]


def _landmarks(times: Any, survival_targets: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.atleast_1d(np.asarray(times, dtype=float))
    s = np.atleast_1d(np.asarray(survival_targets, dtype=float))
    if t.ndim != 1 or t.shape != s.shape or t.size == 0:
        raise InputError(f"need one survival target per landmark time, got {t.size} times and {s.size} targets")
    if not np.all(np.isfinite(t)) or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise InputError(f"landmark times must be finite, > 0 and strictly increasing, got {t.tolist()}")
    if np.any(~np.isfinite(s)) or np.any((s <= 0) | (s >= 1)):
        raise InputError(f"survival targets must lie in (0, 1), got {s.tolist()}")
    if np.any(np.diff(s) >= 0):
        raise InputError(f"survival targets must decrease in time, got {s.tolist()} at {t.tolist()}")
    return t, s


def _solve_scales(breaks: np.ndarray, fixed: np.ndarray, free: np.ndarray, t: np.ndarray, s: np.ndarray,
                  zero: tuple[str, str]) -> PiecewiseHazard:
    """Hazard ``fixed + c_k * free`` on the union of ``breaks`` and the landmarks ``t``, with one
    scale c_k >= 0 per landmark interval [t_{k-1}, t_k) solved so that S(t_k) = s_k; after the last
    landmark the last scale continues. ``zero``: (what is zero, how to fix it) for the message when
    nothing can be scaled on an interval where S must fall.

    The cumulative hazard over interval k is ``F_k + c_k G_k`` (F, G the integrals of ``fixed``
    and ``free`` over it), linear in c_k: ``c_k = (-log(s_k / s_{k-1}) - F_k) / G_k`` in closed form.
    """
    grid = np.union1d(breaks, t)
    j = np.searchsorted(breaks, grid, side="right") - 1
    fx, fr = fixed[j], free[j]
    seg = np.searchsorted(t, grid, side="right")  # landmark interval of each piece (K = after the last)
    inside = seg < t.size  # every piece but those from the last landmark on (the last one is open)
    length = np.diff(grid)[inside[:-1]]
    big_f = np.bincount(seg[inside], weights=fx[inside] * length, minlength=t.size)
    big_g = np.bincount(seg[inside], weights=fr[inside] * length, minlength=t.size)
    drop = -np.diff(np.log(np.concatenate([[1.0], s])))
    need = drop - big_f
    for k in range(t.size):
        lo = 0.0 if k == 0 else t[k - 1]
        s_lo = 1.0 if k == 0 else s[k - 1]
        if need[k] < -1e-12 * max(1.0, drop[k]):
            reached = s_lo * np.exp(-big_f[k])
            raise InputError(
                f"on [{lo:g}, {t[k]:g}) the given hazard alone lowers S({t[k]:g}) to {reached:.6g}, below the "
                f"target {s[k]:g}; raise the target or lower the fixed hazard ratios there"
            )
        if big_g[k] <= 0 and need[k] > 1e-12 * max(1.0, drop[k]):
            raise InputError(
                f"{zero[0]} on [{lo:g}, {t[k]:g}) but S must fall from {s_lo:g} to {s[k]:g}"
                + (f" (the given values reach {s_lo * np.exp(-big_f[k]):.6g})" if big_f[k] > 0 else "")
                + f"; {zero[1]}"
            )
    scale = np.divide(np.clip(need, 0.0, None), big_g, out=np.zeros_like(need), where=big_g > 0)
    scale = np.append(scale, scale[-1])
    return PiecewiseHazard(grid, fx + fr * scale[seg])


def calibrate_piecewise_hazards(
    times: Any, survival_targets: Any, shape: PiecewiseHazard | tuple[Any, Any] | None = None
) -> PiecewiseHazard:
    """Piecewise-constant hazard whose survival passes exactly through landmark targets.

    Parameters
    ----------
    times : array_like
        Landmark times ``t_1 < ... < t_K`` (> 0).
    survival_targets : array_like
        Targets ``S(t_k)`` in (0, 1), decreasing.
    shape : PiecewiseHazard or (breaks, relative), optional
        Relative hazard profile ``h0``. Between consecutive landmarks the hazard is ``c_k * h0(t)``;
        after the last landmark the last scale continues (a small ``h0`` there gives a plateau,
        zero gives a cure fraction). None: constant between landmarks.

    Returns
    -------
    PiecewiseHazard
        On the union of the shape's breaks and the landmarks.

    Notes
    -----
    With ``S_0 = 1`` at ``t_0 = 0``, the scale on landmark interval k is
    ``c_k = -log(S_k / S_{k-1}) / integral of h0 over [t_{k-1}, t_k)``. For a constant profile this is
    the closed form ``lambda_k = -log(S_k / S_{k-1}) / (t_k - t_{k-1})``. The cumulative hazard is linear
    in the scale, so the root of ``S(t_k; c) = S_k`` is this closed form: no iteration is needed and
    the targets are met to rounding error.

    Examples
    --------
    >>> h = calibrate_piecewise_hazards([3.0], [0.879], shape=([0, 1, 2, 3], [1, 1, 1, 0.25]))
    >>> round(float(h.survival(3.0)), 12), float(h.rates[3] / h.rates[0])
    (0.879, 0.25)
    """
    t, s = _landmarks(times, survival_targets)
    if shape is None:
        h0 = PiecewiseHazard([0.0], [1.0])
    elif isinstance(shape, PiecewiseHazard):
        h0 = shape
    else:
        h0 = PiecewiseHazard(*shape)
    zero = ("the hazard shape is zero", "give the shape a positive value there")
    return _solve_scales(h0.breaks, np.zeros_like(h0.rates), h0.rates, t, s, zero)


def calibrate_hazard_ratio(
    reference: PiecewiseHazard,
    breaks: Any,
    values: Any,
    fitted: Any = None,
    times: Any = None,
    survival_targets: Any = None,
) -> PiecewiseHazard:
    """Hazard of an arm given by a piecewise hazard ratio against a reference arm's hazard.

    Parameters
    ----------
    reference : PiecewiseHazard
        The reference (control) arm's hazard.
    breaks, values : array_like
        The ratio ``values[j]`` on ``[breaks[j], breaks[j+1])`` (breaks from 0, the last to infinity).
    fitted : array_like of bool, optional
        Which values are solved from the targets (their entries in ``values`` are ignored).
    times, survival_targets : array_like, optional
        Landmarks and the arm's survival there (needed when any value is fitted).

    Returns
    -------
    PiecewiseHazard
        ``ratio(t) * reference(t)`` on the union of both breaks (and the landmarks).

    Notes
    -----
    Fitted values share one scale per landmark interval: on ``[t_{k-1}, t_k)`` the hazard is
    ``r(t) h_ref(t)`` where r is given, ``c_k h_ref(t)`` where it is fitted, and the cumulative
    hazard over the interval, ``F_k + c_k G_k``, is linear in ``c_k``: the closed form
    ``c_k = (-log(S_k / S_{k-1}) - F_k) / G_k`` meets the target to rounding error. After the last
    landmark the last scale continues. A delayed effect whose size the 3-year survival fixes is
    ``breaks=[0, t0], values=[1, fit]``: HR 1 before t0, then ``c`` with
    ``H_ref(t0) + c (H_ref(3) - H_ref(t0)) = -log S(3)``.

    Examples
    --------
    >>> ref = PiecewiseHazard([0.0], [0.1])
    >>> h = calibrate_hazard_ratio(ref, [0.0, 1.0], [1.0, 0.6])
    >>> h.breaks.tolist(), h.rates.round(6).tolist()
    ([0.0, 1.0], [0.1, 0.06])
    >>> h = calibrate_hazard_ratio(ref, [0.0, 1.0], [1.0, 0.0], [False, True], [3.0], [0.8])
    >>> round(float(h.survival(3.0)), 12), round(float(h.rates[-1] / 0.1), 6)
    (0.8, 0.615718)
    """
    b = np.asarray(breaks, dtype=float)
    fit = np.zeros(b.size, dtype=bool) if fitted is None else np.asarray(fitted, dtype=bool)
    ratio = PiecewiseHazard(b, [0.0 if f else float(x) for x, f in zip(values, fit, strict=True)])
    grid = np.union1d(reference.breaks, b)
    base = reference.hazard(grid)
    fixed = ratio.hazard(grid) * base
    if not fit.any():
        return PiecewiseHazard(grid, fixed)
    if times is None or survival_targets is None:
        raise InputError("hazard-ratio values to fit need landmark times and survival targets")
    t, s = _landmarks(times, survival_targets)
    free = fit[np.searchsorted(b, grid, side="right") - 1] * base
    zero = ("no hazard-ratio value 'fit' (where the reference hazard is positive)",
            "make a value there 'fit' (add a break if needed)")
    return _solve_scales(grid, fixed, free, t, s, zero)


def scenario_hazards(
    sc: Scenario, parameters: dict[str, float] | None = None
) -> tuple[dict[tuple[str, str], PiecewiseHazard], dict[tuple[str, str], float]]:
    """The DFS hazard (of those not cured) and the cure fraction of every stratum x arm cell.

    Arms with their own hazard first, then the arms given by a hazard ratio against them.
    ``parameters``: the values of the scenario's named parameters. Errors are InputError naming
    the scenario key whose target cannot be met.
    """
    par = parameters or {}

    def numbers(values: Any) -> list[Any]:
        return [par[v] if isinstance(v, str) and v != "fit" else v for v in values]

    arms = list(sc.arms)
    hazards: dict[tuple[str, str], PiecewiseHazard] = {}
    cure: dict[tuple[str, str], float] = {}
    for s in sc.strata:
        per_arm = sc.hazards[s]
        for a in sorted(arms, key=lambda x: per_arm[x].hazard_ratio is not None):
            spec = per_arm[a]
            pi = float(spec.cure_fraction)
            cure[s, a] = pi
            targets = None
            if spec.survival_targets is not None:
                times, surv = zip(*spec.survival_targets.items(), strict=True)
                targets = (times, [(x - pi) / (1.0 - pi) for x in surv])  # of those not cured
            try:
                if spec.rates is not None:
                    hazards[s, a] = PiecewiseHazard(spec.breaks, spec.rates)
                elif spec.hazard_ratio is not None:
                    ratio = spec.hazard_ratio
                    times, surv = targets if targets is not None else (None, None)
                    hazards[s, a] = calibrate_hazard_ratio(hazards[s, ratio.reference or arms[0]], ratio.breaks,
                                                           numbers(ratio.values), ratio.fitted, times, surv)
                else:
                    shape = spec.shape or sc.hazard_shape
                    hz_shape = None if shape is None else PiecewiseHazard(shape.breaks, numbers(shape.relative))
                    hazards[s, a] = calibrate_piecewise_hazards(*targets, shape=hz_shape)
            except InputError as err:
                raise InputError(f"scenario key 'hazards.{s}.{a}': {err}") from None
    return {(s, a): hazards[s, a] for s in sc.strata for a in arms}, {(s, a): cure[s, a] for s in sc.strata
                                                                      for a in arms}
