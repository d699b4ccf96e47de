"""Calibration: solve hazards, event-type shares, post-relapse death rates and the data cut from targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import exprel

from survtrial.errors import InputError
from survtrial.simulate._curve_fit import solve_parameters
from survtrial.simulate._hazard_fit import calibrate_hazard_ratio, calibrate_piecewise_hazards
from survtrial.simulate._model import AccrualPattern, CalibratedScenario
from survtrial.simulate._scenario_core import build_core
from survtrial.simulate.piecewise import PiecewiseHazard

if TYPE_CHECKING:
    from survtrial.simulate.scenario import Scenario

__all__ = [
    "AccrualPattern",
    "CalibratedScenario",
    "calibrate_cause_shares",
    "calibrate_cut_for_median_follow_up",
    "calibrate_hazard_ratio",
    "calibrate_piecewise_hazards",
    "calibrate_post_relapse_death_rate",
    "calibrate_scenario",
    "overall_survival_after_events",
]

DAYS_PER_YEAR = 365.25


def calibrate_cause_shares(
    event_probability: float,
    cif_targets: Sequence[tuple[Sequence[str], float]],
    types: Sequence[str],
    weights: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Probabilities of each event type given an event, so that cumulative incidences hit targets.

    Parameters
    ----------
    event_probability : float
        ``P(any event by t) = 1 - S(t)`` at the time of the targets.
    cif_targets : sequence of (types, cif)
        Cumulative incidence at ``t`` of the union of ``types``; the type sets must be nested
        (e.g. ``[(["marrow_relapse"], 0.077), (["marrow_relapse", "other_relapse"], 0.118)]``).
    types : sequence of str
        All event types.
    weights : mapping, optional
        Split, in proportion, of each increment among the types it adds, and of the remainder
        among the types in no target. Types not listed weigh 1.

    Returns
    -------
    dict
        ``{type: share}``, summing to 1.

    Notes
    -----
    The event type is drawn, given an event, with fixed probabilities ``p_k`` (cause-specific
    hazards proportional to the all-cause hazard), so ``CIF_k(t) = p_k (1 - S(t))`` at every t and a
    target ``CIF_A(t)`` gives ``sum_{k in A} p_k = CIF_A(t) / (1 - S(t))`` in closed form.

    Examples
    --------
    >>> p = calibrate_cause_shares(0.12, [(["marrow"], 0.06)], ["marrow", "other"])
    >>> {k: round(v, 6) for k, v in p.items()}
    {'marrow': 0.5, 'other': 0.5}
    """
    if not 0 < event_probability <= 1:
        raise InputError(f"event probability must lie in (0, 1], got {event_probability!r}")
    w = {k: float((weights or {}).get(k, 1.0)) for k in types}
    shares = dict.fromkeys(types, 0.0)
    done: set[str] = set()
    reached = 0.0
    for target_types, cif in sorted(cif_targets, key=lambda x: len(set(x[0]))):
        current = set(target_types)
        unknown = current - set(types)
        if unknown:
            raise InputError(f"unknown event type(s) {sorted(unknown)}; allowed: {list(types)}")
        if not done <= current:
            raise InputError(
                f"cumulative-incidence targets must be nested; {sorted(done)} is not within {sorted(current)}"
            )
        share = cif / event_probability
        increment = share - reached
        if increment < -1e-12 or share > 1 + 1e-12:
            raise InputError(
                f"cumulative incidence {cif:g} of {sorted(current)} is infeasible: with an event "
                f"probability of {event_probability:.6g} it needs a share of {share:.6g} after {reached:.6g} "
                f"already given to {sorted(done)} (shares must grow and stay <= 1)"
            )
        _spread(shares, sorted(current - done, key=list(types).index), max(increment, 0.0), w)
        done, reached = current, share
    _spread(shares, [k for k in types if k not in done], max(1.0 - reached, 0.0), w)
    return shares


def _spread(shares: dict[str, float], among: list[str], amount: float, w: dict[str, float]) -> None:
    if amount <= 1e-15:
        return
    total = sum(w[k] for k in among)
    if total <= 0:
        raise InputError(
            f"a share of {amount:.6g} is left for event types {among or '(none)'} but their weights are 0 "
            f"(or no type is left); add a type or a positive weight"
        )
    for k in among:
        shares[k] += amount * w[k] / total


def overall_survival_after_events(
    t: float, hazard: PiecewiseHazard, *, fatal_share: float, relapse_share: float, death_rate: float,
    cure_fraction: float = 0.0,
) -> float:
    """OS at ``t`` when a share of DFS events is fatal and a share is followed by death at ``death_rate``.

    Notes
    -----
    ``OS(t) = 1 - (1 - pi) (fatal_share F(t) + relapse_share (F(t) - J(t)))`` with ``F = 1 - S``
    (S of ``hazard``), ``pi`` the cure fraction (the cured never have a DFS event) and
    ``J(t) = integral_0^t f(u) exp(-death_rate (t - u)) du`` (relapsed by t and still alive), in
    closed form on each piece of the hazard. Other event types are never fatal.
    """
    if t < 0 or death_rate < 0:
        raise InputError("t and death_rate must be >= 0")
    f_t = 1.0 - float(hazard.survival(t))
    if np.isinf(death_rate):
        j = 0.0
    else:
        a, r = hazard.breaks, hazard.rates
        length = np.clip(np.minimum(np.append(a[1:], np.inf), t) - a, 0.0, None)
        s_a = hazard.survival(np.minimum(a, t))
        expo = -death_rate * (t - a - length) - r * length
        piece = r * s_a * np.exp(expo) * length * exprel(-(death_rate - r) * length)
        j = float(np.sum(np.where(length > 0, piece, 0.0)))
    return 1.0 - (1.0 - cure_fraction) * (fatal_share * f_t + relapse_share * (f_t - j))


def calibrate_post_relapse_death_rate(
    os_target: float,
    time: float,
    hazards: Sequence[PiecewiseHazard],
    weights: Sequence[float],
    fatal_share: Sequence[float],
    relapse_share: Sequence[float],
    cure_fractions: Sequence[float] | None = None,
) -> float:
    """Death rate after relapse (per year) so that the weighted mixture of OS at ``time`` hits a target.

    Each component (stratum) has its DFS hazard (of those not cured), cure fraction (default 0),
    share of fatal DFS events and share of events followed by the post-relapse death hazard; OS is
    :func:`overall_survival_after_events`. Solved by Brent's method: OS decreases strictly in the rate.
    """
    cures = [0.0] * len(hazards) if cure_fractions is None else list(cure_fractions)

    def os_at(rate: float) -> float:
        return float(
            sum(
                w * overall_survival_after_events(time, h, fatal_share=f, relapse_share=r, death_rate=rate,
                                                  cure_fraction=c)
                for h, w, f, r, c in zip(hazards, weights, fatal_share, relapse_share, cures, strict=True)
            )
        )

    best, worst = os_at(0.0), os_at(np.inf)
    if os_target > best + 1e-12 or os_target <= worst:
        raise InputError(
            f"OS target {os_target:g} at {time:g} years is unreachable: OS lies in ({worst:.6g}, {best:.6g}] "
            f"for post-relapse death rates from infinity to 0, given the DFS hazards and event shares"
        )
    if os_target >= best:
        return 0.0
    hi = 1.0
    while os_at(hi) > os_target:
        hi *= 4.0
    from scipy.optimize import brentq  # here: a scenario without targets never loads the optimiser

    return float(brentq(lambda x: os_at(x) - os_target, 0.0, hi, xtol=1e-14, rtol=1e-13))


def calibrate_cut_for_median_follow_up(median_follow_up: float, accrual: AccrualPattern, dropout_rate: float) -> float:
    """Data-cut time (years from study start) at which the expected reverse-KM median follow-up is reached.

    Notes
    -----
    The reverse Kaplan-Meier estimates the potential follow-up distribution
    ``G(u) = P(cut - E > u | E <= cut) exp(-dropout u)`` (E: enrolment time), whatever the events.
    The cut C solves ``G(m) = 1/2``: ``C = m + F_E^{-1}(exp(dropout m) / 2)`` when that is after the
    end of accrual; otherwise (patients enrolled after C are not in the data) by Brent's method.

    References
    ----------
    Schemper M, Smith TL. A note on quantifying follow-up in studies of failure time. Control Clin
    Trials 1996;17:343-346.
    """
    m = float(median_follow_up)
    q = 0.5 * np.exp(dropout_rate * m)
    if not m > 0 or q >= 1:
        raise InputError(
            f"a median follow-up of {m:g} years cannot be reached with a dropout rate of {dropout_rate:g} per year "
            f"(at most exp(-rate * m) = {np.exp(-dropout_rate * m):.3g} are still followed at m); lower one of them"
        )
    cut = m + float(accrual.quantile(q))
    if cut >= accrual.end:
        return cut
    start = float(accrual.quantile(0.0)) + 1e-12  # first time with accrual

    def excess(c: float) -> float:
        return float(accrual.cdf(c - m)) / float(accrual.cdf(c)) - q

    from scipy.optimize import brentq

    return float(brentq(excess, m + start, cut, xtol=1e-12))


def calibrate_scenario(sc: Scenario) -> CalibratedScenario:
    """Solve every target of a scenario into simulation parameters (hazards, shares, rates, cut).

    Order: the free ``parameters`` (if any) from the ``curve_targets`` (each trial of parameter
    values recomputes the landmark-calibrated hazards, the accrual solved from numbers at risk and
    the cut); then event-type shares, post-relapse death rates. Errors are InputError naming the
    scenario key whose target cannot be met. Results are cached by the scenario's digest, in the
    process and on disk (:mod:`survtrial.simulate._calibration_cache`: a new process reads the
    solution instead of solving again; the code's and numpy's/scipy's versions are part of the key).
    """
    from survtrial.simulate import _calibration_cache

    digest = sc.digest
    cached = _CACHE.get(digest)
    if cached is not None:
        return cached
    out = _calibration_cache.load(digest, sc.name)
    if out is None:
        out = _calibrate(sc)
        _calibration_cache.store(digest, out)
    if len(_CACHE) >= 64:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[digest] = out
    return out


_CACHE: dict[str, CalibratedScenario] = {}


def _calibrate(sc: Scenario) -> CalibratedScenario:
    arms, strata = tuple(sc.arms), tuple(sc.strata)
    weights = np.array([sc.strata[s].share for s in strata])
    curve_fit = None
    params: dict[str, float] = {}
    if sc.curve_targets is not None:
        curve_fit = solve_parameters(sc, lambda p: build_core(sc, p).curve_model)
        params = curve_fit.parameters
    core = build_core(sc, params)
    hazards, cure = core.hazards, core.cure

    def dfs(s: str, a: str, t: float) -> float:
        return cure[s, a] + (1.0 - cure[s, a]) * float(hazards[s, a].survival(t))

    ce = sc.competing_events
    types = tuple(ce.types)
    shares: dict[tuple[str, str], np.ndarray] = {}
    for a in arms:
        spec = ce.by_arm[a]
        if spec.shares is not None:
            p = {k: spec.shares.get(k, 0.0) for k in types}
        else:
            event_prob = float(
                sum(w * (1 - dfs(s, a, ce.at_years)) for s, w in zip(strata, weights, strict=True))
            )
            cif_targets = [(x.types, x.cif) for x in spec.cif_targets]
            try:
                p = calibrate_cause_shares(event_prob, cif_targets, types, spec.weights)
            except InputError as err:
                raise InputError(f"scenario key 'competing_events.by_arm.{a}': {err}") from None
        for s in strata:
            shares[s, a] = np.array([p[k] for k in types])

    fatal = np.array([ce.types[k].fatal for k in types])
    prd = sc.post_relapse_death
    relapse = np.array([prd is not None and k in prd.applies_to for k in types])
    death_rate = dict.fromkeys(arms, 0.0)
    if prd is not None and prd.rates is not None:
        death_rate.update(prd.rates)
    elif prd is not None:
        for a in arms:
            ((t, target),) = prd.os_targets[a].items()
            try:
                death_rate[a] = calibrate_post_relapse_death_rate(
                    target,
                    t,
                    [hazards[s, a] for s in strata],
                    weights,
                    [float(shares[s, a][fatal].sum()) for s in strata],
                    [float(shares[s, a][relapse].sum()) for s in strata],
                    [cure[s, a] for s in strata],
                )
            except InputError as err:
                raise InputError(f"scenario key 'post_relapse_death.os_targets.{a}': {err}") from None

    arm_counts = {a: arm.n for a, arm in sc.arms.items()} if all(x.n for x in sc.arms.values()) else None
    n = sum(arm_counts.values()) if arm_counts else sc.accrual.n
    return CalibratedScenario(
        name=sc.name,
        arms=arms,
        strata=strata,
        stratum_shares=weights,
        hazards=hazards,
        cure_fractions=cure,
        event_types=types,
        fatal=fatal,
        relapse_death=relapse,
        cause_shares=shares,
        post_relapse_death_rate=death_rate,
        dropout_rate=float(sc.dropout.rate),
        accrual=core.accrual,
        n=n,
        arm_counts=arm_counts,
        start_date=sc.accrual.start_date,
        cut_years=core.cut_years,
        cut_events=sc.data_cut.events,
        parameters=params,
        curve_fit=curve_fit,
        accrual_fit=core.accrual_fit,
    )
