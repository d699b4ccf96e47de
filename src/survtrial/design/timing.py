"""Subjects, accrual end and analysis times from planning assumptions; expected events by calendar time."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from survtrial.design._assumptions import Assumptions, assumptions
from survtrial.design.accrual import StudyModel, solve_increasing
from survtrial.errors import InputError, StatisticWarning

__all__ = ["expected_events"]


def expected_events(t: Any, **assumptions_: Any) -> Any:
    """Expected number of events by calendar time ``t`` for given accrual and survival assumptions.

    Parameters
    ----------
    t : float or array_like
        Calendar times from the start of accrual.
    **assumptions_
        Survival, accrual and dropout arguments as in :func:`survival_sample_size`
        (``hazard_ratio`` or an experimental target, a control target, ``accrual_time``,
        ``accrual_intensity`` with ``n_subjects``, or ``accrual_rate``; ``dropout_rate``...).
        No follow-up is needed: the number of subjects must be fixed.

    Returns
    -------
    float or numpy.ndarray
        Expected events (both arms) at each ``t``; for a grid of assumptions an array of shape
        (cases, len(t)).

    Notes
    -----
    Closed-form integral of the event probability over piecewise-constant accrual,
    piecewise-exponential survival and exponential dropout (see :class:`StudyModel`), the quantity
    rpact's ``getEventProbabilities`` integrates numerically.

    Examples
    --------
    >>> round(expected_events(36, hazard_ratio=0.7, control_hazard=0.05, accrual_time=24,
    ...                       n_subjects=400), 2)
    247.18
    """
    a = assumptions(**assumptions_)
    if a.follow_up is not None:
        raise InputError("expected_events: give the number of subjects (n_subjects or accrual_rate), not follow_up")
    model, _ = fixed_subjects_model(a)
    out = model.expected_events(np.atleast_1d(np.asarray(t, dtype=float)))
    if a.shape == ():
        out = out[0]
        if np.ndim(t) == 0:
            return float(out[0])
    return out


def unit_rates(a: Assumptions) -> np.ndarray:
    """Relative accrual weights scaled so that a closed accrual period recruits one subject."""
    lengths = np.diff(a.accrual_breaks)
    return np.broadcast_to(a.accrual_intensity / float(a.accrual_intensity @ lengths), (a.n, lengths.size))


def subjects_and_timing(a: Assumptions, max_events: np.ndarray) -> tuple[StudyModel, np.ndarray]:
    """Study model (accrual scaled to the trial) and calendar time of the final analysis."""
    n = a.n
    if not a.absolute_rates and a.follow_up is not None:
        # subjects from the event probability at the end of the study (rpact nFixed = events / omega)
        end = np.full(n, a.accrual_breaks[-1])
        unit = a.model(unit_rates(a).copy(), end)
        final = end + a.follow_up
        prob = unit.expected_events(final[:, None])[:, 0]
        return a.model(unit_rates(a) * (max_events / prob)[:, None], end), final
    if a.absolute_rates and a.follow_up is not None:
        # open-ended accrual at given rates: accrue until the events arrive follow_up after its end
        rates = np.broadcast_to(a.accrual_intensity, (n, a.accrual_intensity.size)).copy()

        def events_at_end(end: np.ndarray) -> np.ndarray:
            return a.model(rates, end).expected_events((end + a.follow_up)[:, None])[:, 0]

        upper = np.ones(n)
        for _ in range(200):
            short = events_at_end(upper) < max_events
            if not short.any():
                break
            upper = np.where(short, 2 * upper, upper)
        end = solve_increasing(events_at_end, max_events, 0.0, upper)
        return a.model(rates, end), end + a.follow_up
    # the number of subjects is fixed: find when the events arrive
    model, end = fixed_subjects_model(a)
    subjects = model.n_subjects
    if np.any(subjects <= max_events):
        i = int(np.argmax(max_events - subjects))
        raise InputError(
            f"{subjects[i]:.1f} subjects cannot give {max_events[i]:.1f} events; increase n_subjects or accrual"
        )
    final = model.time_of_events(max_events[:, None])[:, 0]
    if np.any(final < end - 1e-9):
        warnings.warn(
            "the required events are expected before the end of accrual (negative follow-up); "
            "fewer subjects or a shorter accrual would suffice",
            StatisticWarning,
            stacklevel=3,
        )
    return model, final


def fixed_subjects_model(a: Assumptions) -> tuple[StudyModel, np.ndarray]:
    """Study model when the number of subjects is fixed (n_subjects or absolute closed accrual)."""
    n = a.n
    if a.absolute_rates:
        rates = np.broadcast_to(a.accrual_intensity, (n, a.accrual_intensity.size)).copy()
        if not a.open_ended:
            end = np.full(n, a.accrual_breaks[-1])
            return a.model(rates, end), end
        if a.n_subjects is None:
            raise InputError("open-ended accrual_rate needs n_subjects (or close accrual_time)")
        unbounded = a.model(rates, np.full(n, np.inf))
        upper = np.maximum(a.accrual_breaks[-2], 1.0) + a.n_subjects / max(a.accrual_intensity[-1], 1e-300)
        end = solve_increasing(lambda t: unbounded.expected_subjects(t[:, None])[:, 0], a.n_subjects, 0.0, upper)
        return a.model(rates, end), end
    if a.n_subjects is None:
        raise InputError("give n_subjects (with relative accrual_intensity) or accrual_rate")
    end = np.full(n, a.accrual_breaks[-1])
    return a.model(unit_rates(a) * a.n_subjects[:, None], end), end
