"""Curve-level model values of a calibrated scenario (Cox HR limit, RMST) and the solve of its free parameters."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.simulate._model import AccrualPattern
from survtrial.simulate.piecewise import PiecewiseHazard

__all__ = ["CurveFit", "CurveModel", "cox_limit", "follow_up_curve", "restricted_mean", "solve_parameters"]

DAYS_PER_YEAR = 365.25
_Z975 = float(special.ndtri(0.975))
Cells = Mapping[tuple[str, str], PiecewiseHazard]


def _sf(h: PiecewiseHazard, cure: float, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S(t) and the density f(t) = -S'(t) of a cell: a share ``cure`` never has the event."""
    su = h.survival(t)
    return cure + (1.0 - cure) * su, (1.0 - cure) * h.hazard(t) * su


def follow_up_curve(accrual: AccrualPattern, cut: float, dropout: float) -> tuple[Callable, np.ndarray]:
    """G(t): probability that a patient randomized by the cut is still followed t years after
    randomization (``F_E(cut - t) / F_E(cut) exp(-dropout t)``, E the enrolment time), and its knots."""
    base = float(accrual.cdf(cut))
    if not base > 0:
        raise InputError(f"nobody is randomized by the data cut ({cut:.3f} years after the accrual start)")

    def g(t: np.ndarray) -> np.ndarray:
        return accrual.cdf(cut - np.asarray(t, dtype=float)) / base * np.exp(-dropout * np.asarray(t, dtype=float))

    knots = cut - accrual.knots
    return g, knots[(knots > 0) & (knots < cut)]


def _nodes(knots: np.ndarray, horizon: float, per_piece: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, horizon], split at the knots (the integrands are
    smooth between them)."""
    k = np.unique(np.concatenate([[0.0, horizon], knots[(knots > 0) & (knots < horizon)]]))
    x, w = np.polynomial.legendre.leggauss(per_piece)
    a, b = k[:-1, None], k[1:, None]
    return ((a + b) / 2 + (b - a) / 2 * x).ravel(), ((b - a) / 2 * w).ravel()


def cox_limit(
    hazards: Cells,
    cure: Mapping[tuple[str, str], float],
    strata: Sequence[str],
    weights: Sequence[float],
    reference: str,
    arm: str,
    shares: tuple[float, float],
    follow_up: Callable,
    knots: np.ndarray,
    horizon: float,
    *,
    stratified: bool = True,
) -> float:
    """The hazard ratio a (stratified) Cox model of ``arm`` vs ``reference`` converges to.

    Notes
    -----
    The limit of the partial-likelihood score (Struthers & Kalbfleisch 1986), summed over strata
    when stratified: ``U(b) = sum_s w_s int_0^horizon G(t) p0 p1 (f1 S0 - e^b f0 S1) / (p0 S0 + p1
    S1 e^b) dt`` with S, f the survival and density of each arm in stratum s (cure included),
    p0, p1 the arms' shares and G the follow-up curve; pooled: one term with the strata mixed by
    their shares. U decreases in b; its root by Brent's method; the integrals by 48-point
    Gauss-Legendre between the hazards' breaks and the follow-up curve's knots.

    References
    ----------
    Struthers CA, Kalbfleisch JD. Misspecified proportional hazard models. Biometrika 1986;73:363-369.
    """
    breaks = np.concatenate([hazards[s, a].breaks for s in strata for a in (reference, arm)])
    t, w = _nodes(np.concatenate([breaks, knots]), horizon)
    ww = w * follow_up(t)
    p0, p1 = shares
    terms = []
    for s, ws in zip(strata, weights, strict=True):
        s0, f0 = _sf(hazards[s, reference], cure[s, reference], t)
        s1, f1 = _sf(hazards[s, arm], cure[s, arm], t)
        terms.append((ws, s0, f0, s1, f1))
    if not stratified:
        terms = [(1.0, *(sum(x[0] * x[i] for x in terms) for i in range(1, 5)))]

    def score(b: float) -> float:
        eb = np.exp(b)
        return float(sum(ws * np.sum(ww * p0 * p1 * (f1 * s0 - eb * f0 * s1) / (p0 * s0 + p1 * s1 * eb))
                         for ws, s0, f0, s1, f1 in terms))

    lo, hi = -1.0, 1.0
    while score(lo) < 0 and lo > -50:
        lo *= 2
    while score(hi) > 0 and hi < 50:
        hi *= 2
    from scipy import optimize  # loaded only when a curve is fitted

    return float(np.exp(optimize.brentq(score, lo, hi, xtol=1e-13, rtol=1e-13)))


def restricted_mean(hazards: Cells, cure: Mapping[tuple[str, str], float], strata: Sequence[str],
                    weights: Sequence[float], arm: str, tau: float) -> float:
    """Restricted mean DFS of an arm to ``tau`` (strata mixed by their shares; closed form per piece)."""
    return float(sum(w * (cure[s, arm] * tau + (1.0 - cure[s, arm]) * hazards[s, arm].restricted_mean(tau))
                     for s, w in zip(strata, weights, strict=True)))


@dataclass(frozen=True)
class CurveModel:
    """What the curve targets are computed from: hazards, cure, strata and follow-up."""

    hazards: Cells
    cure: Mapping[tuple[str, str], float]
    strata: tuple[str, ...]
    weights: np.ndarray
    arms: tuple[str, ...]
    shares: dict[str, float]
    accrual: AccrualPattern
    cut: float
    dropout: float


@dataclass(frozen=True)
class CurveFit(HtmlReprMixin):
    """Curve targets next to their model values: one row per target (``to_frame``); the solved
    ``parameters``; ``rmst_horizon`` (years) of the RMST target."""

    rows: tuple[dict[str, Any], ...]
    parameters: dict[str, float]
    rmst_horizon: float | None

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=["target", "published", "se", "scale", "model", "residual"])

    def __repr__(self) -> str:
        worst = max((abs(r["residual"]) for r in self.rows), default=0.0)
        return f"CurveFit({len(self.rows)} targets, parameters {self.parameters}; largest |residual| {worst:.2f} SE)"


def _pair(target: Any, arms: tuple[str, ...]) -> tuple[str, str]:
    ref = target.reference or arms[0]
    arm = target.arm or next(a for a in arms if a != ref)
    return ref, arm


def curve_values(ct: Any, m: CurveModel) -> tuple[list[dict[str, Any]], float | None]:
    """Rows (target, published, se, scale, model, residual) of the curve targets under model m."""
    from scipy import optimize

    rows, tau = [], None
    if ct.hazard_ratio is not None:
        t = ct.hazard_ratio
        ref, arm = _pair(t, m.arms)
        se = t.se_log if t.se_log is not None else (np.log(t.ci95[1]) - np.log(t.ci95[0])) / (2 * _Z975)
        g, knots = follow_up_curve(m.accrual, m.cut, m.dropout)
        hr = cox_limit(m.hazards, m.cure, m.strata, m.weights, ref, arm, (m.shares[ref], m.shares[arm]), g, knots,
                       m.cut, stratified=t.stratified)
        label = f"Cox HR {arm} vs {ref}" + (" (stratified)" if t.stratified else "")
        rows.append({"target": label, "published": t.value, "se": se, "scale": "log", "model": hr,
                     "residual": (np.log(hr) - np.log(t.value)) / se})
    if ct.rmst_difference is not None:
        t = ct.rmst_difference
        ref, arm = _pair(t, m.arms)
        se = t.se_days if t.se_days is not None else (t.ci95_days[1] - t.ci95_days[0]) / (2 * _Z975)

        def mean(a: str, tau: float) -> float:
            return restricted_mean(m.hazards, m.cure, m.strata, m.weights, a, tau)

        if t.tau_years is not None:
            tau = float(t.tau_years)
        else:
            ((who, days),) = t.horizon_from_mean_days.items()
            goal = days / DAYS_PER_YEAR
            hi = goal * 1.01 + 1e-9
            while mean(who, hi) < goal:
                hi *= 1.5
                if hi > 1e3:
                    raise InputError(f"the model's restricted mean of {who!r} never reaches {days:g} days")
            tau = float(optimize.brentq(lambda x: mean(who, x) - goal, goal, hi, xtol=1e-12))
        diff = (mean(arm, tau) - mean(ref, tau)) * DAYS_PER_YEAR
        rows.append({"target": f"RMST difference {arm} - {ref} to {tau:.3f} years (days)", "published": t.value_days,
                     "se": se, "scale": "days", "model": diff, "residual": (diff - t.value_days) / se})
    for t in ct.survival:
        strata = [t.stratum] if t.stratum is not None else list(m.strata)
        w = [1.0] if t.stratum is not None else list(m.weights)
        s_model = float(sum(wi * _sf(m.hazards[s, t.arm], m.cure[s, t.arm], np.array([t.years]))[0][0]
                            for s, wi in zip(strata, w, strict=True)))
        where = f" {t.stratum}" if t.stratum is not None else ""
        rows.append({"target": f"DFS at {t.years:g} years, {t.arm}{where}", "published": t.value, "se": t.se,
                     "scale": "proportion", "model": s_model, "residual": (s_model - t.value) / t.se})
    return rows, tau


def solve_parameters(sc: Any, build: Callable[[dict[str, float]], CurveModel], *, max_residual: float = 2.0
                     ) -> CurveFit:
    """Solve the scenario's parameters (within their bounds) so that the curve targets hold:
    weighted least squares of the targets' residuals (in published SEs; the HR on the log scale),
    scipy's trust-region reflective method. A target left more than ``max_residual`` SEs from its
    published value is an InputError naming the targets that cannot hold together."""
    from scipy import optimize

    names = list(sc.parameters)
    ct = sc.curve_targets
    if not names:
        rows, tau = curve_values(ct, build({}))
        return CurveFit(tuple(rows), {}, tau)
    lower = np.array([sc.parameters[n].lower for n in names])
    upper = np.array([sc.parameters[n].upper for n in names])
    start = np.array([p.start if p.start is not None else 0.5 * (p.lower + p.upper)
                      for p in sc.parameters.values()])

    at_start = dict(zip(names, map(float, start), strict=True))
    try:
        n_targets = len(curve_values(ct, build(at_start))[0])
    except InputError as err:
        raise InputError(f"scenario key 'parameters': at the start values {at_start}: {err}; give starts "
                         "(parameters.<name>.start) where the landmark targets hold") from None

    def residuals(x: np.ndarray) -> np.ndarray:
        try:
            rows, _ = curve_values(ct, build(dict(zip(names, map(float, x), strict=True))))
        except InputError:  # the landmark targets cannot hold there: far from any solution
            return np.full(n_targets, 1e3)
        return np.array([r["residual"] for r in rows])

    fit = optimize.least_squares(residuals, start, bounds=(lower, upper), method="trf", x_scale="jac",
                                 xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=500)
    params = dict(zip(names, map(float, fit.x), strict=True))
    rows, tau = curve_values(ct, build(params))
    bad = [r for r in rows if abs(r["residual"]) > max_residual]
    if bad:
        at = ", ".join(f"{n} = {v:.4g}" + (" (at a bound)" if np.isclose(v, sc.parameters[n].lower) or
                                           np.isclose(v, sc.parameters[n].upper) else "") for n, v in params.items())
        detail = "; ".join(f"{r['target']}: published {r['published']:.4g}, best model {r['model']:.4g} "
                           f"({r['residual']:+.1f} SE)" for r in rows)
        raise InputError(
            f"scenario key 'curve_targets': the targets cannot hold together with the landmark targets and the "
            f"hazards' shapes (best {at}): {detail}; more than {max_residual:g} SE off: "
            f"{', '.join(r['target'] for r in bad)}. Widen the parameters' bounds, free another parameter, or "
            f"drop one of these targets"
        )
    return CurveFit(tuple(rows), params, tau)
