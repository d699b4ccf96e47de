"""Piecewise-exponential hazards per arm solved from published landmarks, a Cox HR and an RMST difference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.stats import _piecewise_exp as pe
from survtrial.stats._targets import (
    HazardRatioTarget,
    RMSTDifferenceTarget,
    SurvivalTarget,
    Target,
    check_targets,
    model_value,
    residual,
)

__all__ = [
    "HazardRatioTarget",
    "PiecewiseHazardSolution",
    "RMSTDifferenceTarget",
    "SurvivalTarget",
    "solve_piecewise_hazards",
]


@dataclass(frozen=True, repr=False)
class PiecewiseHazardSolution(HtmlReprMixin):
    """Hazards per arm and piece solved by :func:`solve_piecewise_hazards`, with each target's fit.

    Attributes
    ----------
    arms : arm labels; ``reference`` the reference arm.
    breaks : (k,) piece starts; ``hazards`` : (arms, k) rates.
    targets : the targets; ``model`` their values under the hazards; ``residual`` the standardized
        residual of each ((model - value) / se; log scale for the HR).
    free : (arm, piece) of each solved hazard (the others are tied by ``hr_before``).
    hr_before : (t0, h0) or None.
    """

    arms: tuple[str, ...]
    reference: str
    breaks: np.ndarray
    hazards: np.ndarray
    targets: tuple[Target, ...]
    model: np.ndarray
    residual: np.ndarray
    free: tuple[tuple[str, int], ...]
    hr_before: tuple[float, float] | None

    def rates(self, arm: str) -> np.ndarray:
        """The (k,) hazards of one arm."""
        if arm not in self.arms:
            raise InputError(f"arm {arm!r} not solved; arms: {list(self.arms)}")
        return self.hazards[self.arms.index(arm)]

    def survival(self, arm: str, t: Any) -> np.ndarray:
        """S(t) of one arm."""
        return pe.survival(self.breaks, self.rates(arm), np.asarray(t, dtype=float))

    def restricted_mean(self, arm: str, tau: float) -> float:
        """RMST of one arm up to ``tau``."""
        return pe.restricted_mean(self.breaks, self.rates(arm), float(tau))

    def to_frame(self, what: str = "hazards"):
        """``"hazards"``: arm, piece, start, end, rate, solved (False where tied by ``hr_before``).
        ``"targets"``: target, value, se, model, residual (in SEs)."""
        import pandas as pd

        if what == "hazards":
            k = self.breaks.size
            free = set(self.free)
            return pd.DataFrame({
                "arm": np.repeat(self.arms, k), "piece": np.tile(np.arange(k), len(self.arms)),
                "start": np.tile(self.breaks, len(self.arms)),
                "end": np.tile(np.append(self.breaks[1:], np.inf), len(self.arms)),
                "rate": self.hazards.ravel(),
                "solved": [(a, j) in free for a in self.arms for j in range(k)],
            })
        if what == "targets":
            return pd.DataFrame({
                "target": [t.name() for t in self.targets],
                "value": [t.value for t in self.targets],
                "se": [t.se_log if isinstance(t, HazardRatioTarget) else t.se for t in self.targets],
                "model": self.model, "residual": self.residual,
            })
        raise InputError(f"what={what!r}: use 'hazards' or 'targets'")

    def summary(self):
        """The targets with their model values and standardized residuals."""
        return self.to_frame("targets")

    def __repr__(self) -> str:
        lines = [f"PiecewiseHazardSolution({len(self.arms)} arms x {self.breaks.size} pieces from "
                 f"{np.round(self.breaks, 4).tolist()}; max |residual| {np.abs(self.residual).max():.3g} SE)"]
        for a, h in zip(self.arms, self.hazards, strict=True):
            lines.append(f"  {a}: " + ", ".join(f"{x:.4g}" for x in h))
        return "\n".join(lines)


class _Problem:
    """Free log-hazards -> hazards per arm -> standardized residuals."""

    def __init__(self, targets, breaks, arms, reference, hr_before):
        self.targets, self.breaks, self.arms, self.reference = tuple(targets), breaks, arms, reference
        k = breaks.size
        ends = np.append(breaks[1:], np.inf)
        self.tied = np.zeros(k, dtype=bool) if hr_before is None else ends <= hr_before[0] + 1e-12
        self.h0 = 1.0 if hr_before is None else float(hr_before[1])
        self.free = tuple((a, j) for a in arms for j in range(k) if a == reference or not self.tied[j])

    def hazards(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        k = self.breaks.size
        hz = {a: np.zeros(k) for a in self.arms}
        for (a, j), x in zip(self.free, theta, strict=True):
            hz[a][j] = np.exp(x)
        for a in self.arms:
            if a != self.reference:
                hz[a][self.tied] = self.h0 * hz[self.reference][self.tied]
        return hz

    def values(self, theta, subset=None) -> np.ndarray:
        hz = self.hazards(theta)
        ts = self.targets if subset is None else [self.targets[i] for i in subset]
        return np.array([model_value(t, self.breaks, hz, self.arms, self.reference) for t in ts])

    def residuals(self, theta, subset=None) -> np.ndarray:
        ts = self.targets if subset is None else [self.targets[i] for i in subset]
        return np.array([residual(t, m) for t, m in zip(ts, self.values(theta, subset), strict=True)])

    def start(self) -> np.ndarray:
        rates = {}
        for a in self.arms:
            lands = [-np.log(t.value) / t.time for t in self.targets if isinstance(t, SurvivalTarget) and t.arm == a]
            rates[a] = float(np.mean(lands)) if lands else None
        fallback = np.mean([r for r in rates.values() if r]) if any(rates.values()) else 0.1
        return np.log([rates[a] or fallback for a, _ in self.free])

    def solve(self, subset=None) -> optimize.OptimizeResult:
        return optimize.least_squares(lambda th: self.residuals(th, subset), self.start(), method="trf",
                                      xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20_000)


def solve_piecewise_hazards(
    targets: Sequence[Target],
    *,
    breaks: Any = (0.0,),
    arms: Sequence[str] | None = None,
    reference: str | None = None,
    hr_before: tuple[float, float] | None = None,
    max_residual: float | None = 2.0,
) -> PiecewiseHazardSolution:
    """Piecewise-constant hazards per arm that reproduce published landmarks, a Cox HR and an RMST difference.

    Parameters
    ----------
    targets : SurvivalTarget, HazardRatioTarget and RMSTDifferenceTarget objects
        Each with its published standard error (``from_ci`` turns a published CI into one).
    breaks : piece starts shared by every arm, beginning at 0 (the last piece is open-ended).
    arms : arm labels (default: the arms named by the targets, in order); ``reference`` the arm
        the HR and RMST difference compare against (default: the first arm).
    hr_before : (t0, h0), optional
        Shape constraint: on every piece that ends by ``t0`` each other arm's hazard is ``h0`` times
        the reference's (``(0.5, 1.0)``: no separation for half a year). ``t0`` must be a break.
    max_residual : float or None, default 2.0
        A target whose model value is more than this many SEs from the published one makes the
        targets inconsistent: an InputError lists them and says which single target, left out, lets
        the rest fit. None returns the solution with its residuals instead.

    Returns
    -------
    PiecewiseHazardSolution

    Notes
    -----
    The free parameters are the log hazards of the reference arm on every piece and of the other
    arms on the pieces not tied by ``hr_before``; they minimize ``sum_j ((model_j - target_j) / se_j)^2``
    (the HR on the log scale), a weighted least squares solved by scipy's trust-region reflective
    method. With as many independent targets as free hazards and consistent targets the residuals are
    0 to solver precision. More free hazards than targets is an InputError (the problem is not
    well posed), as is a hazard no target informs (e.g. a piece beyond every landmark and horizon).
    Model values: ``S(t) = exp(-H(t))``; the RMST difference is exact per piece; the Cox HR is the
    limit of the partial-likelihood estimate under the given follow-up (Struthers & Kalbfleisch 1986):
    the root of ``int G p0 S0 p1 S1 (l1 - e^b l0) / (p0 S0 + p1 S1 e^b) dt`` on [0, horizon], by
    64-point Gauss-Legendre quadrature between knots. Under non-proportional hazards it depends on
    the follow-up, which is why the target carries its horizon and censoring.

    References
    ----------
    Struthers CA, Kalbfleisch JD (1986). Misspecified proportional hazard models. Biometrika 73:363-9.

    Examples
    --------
    >>> sol = solve_piecewise_hazards(
    ...     [SurvivalTarget("chemo", 3, 0.879, 0.021), SurvivalTarget("blina", 3, 0.960, 0.012)],
    ...     arms=["chemo", "blina"])
    >>> sol.hazards.round(5).tolist()
    [[0.04299], [0.01361]]
    """
    b = np.asarray(breaks, dtype=float)
    if b.ndim != 1 or b.size == 0 or b[0] != 0 or not np.all(np.isfinite(b)) or np.any(np.diff(b) <= 0):
        raise InputError(f"breaks={list(np.atleast_1d(breaks))}: piece starts must begin at 0, be finite and "
                         f"strictly increasing")
    named = [t.arm for t in targets if getattr(t, "arm", None) is not None]
    arm_list = tuple(dict.fromkeys(arms if arms is not None else named))
    if reference is not None and reference not in arm_list:
        arm_list = (reference, *arm_list)
    if not arm_list:
        raise InputError("arms: name the arms (no target names one)")
    ref = reference if reference is not None else arm_list[0]
    check_targets(targets, arm_list)
    if hr_before is not None:
        t0, h0 = float(hr_before[0]), float(hr_before[1])
        if not np.any(np.isclose(b[1:], t0)):
            raise InputError(f"hr_before=({t0:g}, {h0:g}): {t0:g} must be one of the breaks {b.tolist()}")
        if not h0 > 0:
            raise InputError(f"hr_before: the hazard ratio {h0!r} must be > 0")
    prob = _Problem(targets, b, arm_list, ref, hr_before)
    p, m = len(prob.free), len(prob.targets)
    if p > m:
        raise InputError(
            f"{p} hazards to solve ({', '.join(f'{a} piece {j}' for a, j in prob.free)}) but only {m} target(s) "
            f"({', '.join(t.name() for t in prob.targets)}): add targets, use fewer pieces, or tie pieces with "
            f"hr_before")
    fit = prob.solve()
    _check_identified(prob, fit)
    z = prob.residuals(fit.x)
    if max_residual is not None and np.max(np.abs(z)) > max_residual:
        raise InputError(_inconsistency(prob, fit.x, z, float(max_residual)))
    hz = prob.hazards(fit.x)
    return PiecewiseHazardSolution(
        arms=arm_list, reference=ref, breaks=b, hazards=np.vstack([hz[a] for a in arm_list]),
        targets=prob.targets, model=prob.values(fit.x), residual=z, free=prob.free,
        hr_before=None if hr_before is None else (float(hr_before[0]), float(hr_before[1])),
    )


def _piece(prob: _Problem, i: int) -> str:
    a, j = prob.free[i]
    end = prob.breaks[j + 1] if j + 1 < prob.breaks.size else np.inf
    return f"{a} piece {j} [{prob.breaks[j]:g}, {end:g})"


def _check_identified(prob: _Problem, fit: optimize.OptimizeResult) -> None:
    rates = np.exp(fit.x)
    zero = np.flatnonzero(rates < 1e-7 * max(rates.max(), 1e-300))
    if zero.size:
        raise InputError(
            "the best fit puts hazard 0 on " + ", ".join(_piece(prob, i) for i in zero)
            + ": the targets pull these pieces to zero, so no finite hazard is determined there; constrain "
            "them (hr_before), move or drop the break, or add a target that needs events there")
    jac = fit.jac
    col = np.linalg.norm(jac, axis=0)
    dead = np.flatnonzero(col <= 1e-10 * max(col.max(), 1.0))
    if dead.size:
        names = ", ".join(_piece(prob, i) for i in dead)
        raise InputError(f"no target informs the hazard of {names}: add a landmark or horizon beyond it, or "
                         f"drop the break")
    sv = np.linalg.svd(jac, compute_uv=False)
    if sv[-1] <= 1e-9 * sv[0]:
        raise InputError("the targets do not determine the hazards (their effects on the targets are "
                         "collinear); add a target of another kind or time, or use fewer pieces")


def _inconsistency(prob: _Problem, theta: np.ndarray, z: np.ndarray, limit: float) -> str:
    bad = np.flatnonzero(np.abs(z) > limit)
    vals = prob.values(theta)
    listed = "; ".join(f"{prob.targets[i].name()} {prob.targets[i].value:g} (model {vals[i]:.4g}, "
                       f"{z[i]:+.2f} SE)" for i in bad)
    msg = f"the targets cannot hold together: beyond {limit:g} SE at the least-squares compromise: {listed}"
    p, m = len(prob.free), len(prob.targets)
    rescue, worst_rest = [], []
    if m - 1 >= p:
        for i in range(m):
            rest = [j for j in range(m) if j != i]
            fit = prob.solve(rest)
            worst = float(np.max(np.abs(prob.residuals(fit.x, rest))))
            if worst <= limit:
                rescue.append(prob.targets[i].name())
                worst_rest.append(worst)
    if rescue:
        msg += (f"; the conflict is among {', '.join(rescue)}: leaving out any one of them lets the others fit "
                f"(within {', '.join(f'{w:.2f}' for w in worst_rest)} SE)")
    else:
        msg += "; no single target, left out, lets the others fit"
    return msg + " (max_residual=None returns the compromise)"
