"""Lachin-Foulkes subjects for given accrual and durations, and the accrual or follow-up solved at fixed rates."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from survtrial.design._assumptions import Assumptions
from survtrial.design.accrual import StudyModel, solve_increasing
from survtrial.design.timing import fixed_subjects_model, unit_rates
from survtrial.errors import InputError


def arm_probabilities(model: StudyModel, final: np.ndarray, shares: tuple[float, float]) -> tuple[np.ndarray, ...]:
    """P(event observed by ``final``) per subject: (control, experimental), each (n,)."""
    exp_events, ctl_events = model.expected_events(final[:, None], by_arm=True)[:, :, 0]
    return ctl_events / shares[0], exp_events / shares[1]


def null_control_hazard(a: Assumptions, hr0: float, scale: str) -> np.ndarray:
    """Control hazards under H0 (n, m): the pooled hazard, or l_C (1 + r HR) / (1 + r HR0) per piece."""
    r, hr = a.allocation_ratio, a.hazard_ratio[:, None]
    if scale == "hazard-difference":
        return (1 + r * hr) / (1 + r) * a.control_hazard
    return (1 + r * hr) / (1 + r * hr0) * a.control_hazard


def required_subjects(
    a: Assumptions,
    rates: np.ndarray,
    end: np.ndarray,
    final: np.ndarray,
    z: tuple[np.ndarray, np.ndarray],
    hr0: float,
    scale: str,
    null_variance: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lachin-Foulkes subjects for accrual ``rates`` (any scale) stopping at ``end``, analysed at ``final``.

    Returns (n, P_C, P_E), each (cases,): subjects and per-subject event probabilities under H1.
    """
    r = a.allocation_ratio
    shares = (1 / (1 + r), r / (1 + r))  # (control, experimental)
    unit = a.model(rates, end)
    unit = a.model(rates / unit.n_subjects[:, None], end)  # one subject in total
    p_ctl, p_exp = arm_probabilities(unit, final, shares)
    null_ctl = null_control_hazard(a, hr0, scale)
    null_hr = np.full(a.n, 1.0 if scale == "hazard-difference" else hr0)
    p0_ctl, p0_exp = arm_probabilities(
        dataclasses.replace(unit, control_hazard=null_ctl, hazard_ratio=null_hr), final, shares
    )
    hr = a.hazard_ratio
    if scale == "hazard-difference":
        lc, le, lbar = a.control_hazard[:, 0], hr * a.control_hazard[:, 0], null_ctl[:, 0]
        sd1 = np.sqrt(lc**2 / (shares[0] * p_ctl) + le**2 / (shares[1] * p_exp))
        sd0 = lbar * np.sqrt(1 / (shares[0] * p0_ctl) + 1 / (shares[1] * p0_exp))
        effect = np.abs(lc - le)
    else:
        sd1 = np.sqrt(1 / (shares[0] * p_ctl) + 1 / (shares[1] * p_exp))
        sd0 = np.sqrt(1 / (shares[0] * p0_ctl) + 1 / (shares[1] * p0_exp))
        effect = np.abs(np.log(hr / hr0))
    if null_variance == "alternative":
        sd0 = sd1
    return ((z[0] * sd0 + z[1] * sd1) / effect) ** 2, p_ctl, p_exp


def _doubling_upper(short: Any, start: np.ndarray, what: str) -> np.ndarray:
    """Double ``start`` where ``short(x)`` holds until it holds nowhere; InputError after 30 doublings.

    Thirty doublings (about 1e9 times the start) saturate every event probability while the
    closed-form integrals keep about seven significant digits there.
    """
    upper = start.copy()
    for _ in range(30):
        s = short(upper)
        if not s.any():
            return upper
        upper = np.where(s, 2 * upper, upper)
    raise InputError(what)


def timing(a: Assumptions, required: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accrual end, analysis time and accrual rates (n, J) of the design; solves one of them if needed.

    Relative accrual with ``follow_up``: both durations are given (Lachin-Foulkes). Absolute
    open-ended accrual with ``follow_up``: the accrual duration is extended until the accrued
    subjects meet the requirement (Kim-Tsiatis). A fixed number of subjects: the follow-up is
    extended until the requirement falls to that number.
    """
    n = a.n
    if not a.absolute_rates and a.follow_up is not None:
        end = np.full(n, a.accrual_breaks[-1])
        return end, end + a.follow_up, unit_rates(a).copy()
    if a.follow_up is not None:  # open-ended accrual at given rates
        rates = np.broadcast_to(a.accrual_intensity, (n, a.accrual_intensity.size)).copy()

        def surplus(end: np.ndarray) -> np.ndarray:
            return a.model(rates, end).n_subjects - required(rates, end, end + a.follow_up)[0]

        start = np.full(n, max(float(a.accrual_breaks[-2]), 1.0))
        upper = _doubling_upper(lambda e: surplus(e) < 0, start, "accrual never meets the required subjects")
        end = solve_increasing(surplus, np.zeros(n), np.zeros(n), upper)
        return end, end + a.follow_up, rates
    model, end = fixed_subjects_model(a)
    subjects = model.n_subjects
    rates = model.accrual_rates

    def deficit(fu: np.ndarray) -> np.ndarray:
        return subjects - required(rates, end, end + fu)[0]

    if np.any(deficit(np.zeros(n)) > 0):
        i = int(np.argmax(deficit(np.zeros(n))))
        raise InputError(
            f"{subjects[i]:.1f} subjects exceed the Lachin-Foulkes requirement even with no follow-up after "
            "accrual; reduce n_subjects (or the accrual), or give follow_up to compute the subjects"
        )
    upper = _doubling_upper(
        lambda fu: deficit(fu) < 0,
        np.maximum(end, 1.0),
        f"{subjects.min():.1f} subjects are too few for the required power at any follow-up; "
        "increase n_subjects (or the accrual rate) or reduce dropout",
    )
    fu = solve_increasing(deficit, np.zeros(n), np.zeros(n), upper)
    return end, end + fu, rates
