"""Power of a log-rank test for a given (maximum) number of events or subjects, fixed or group-sequential."""

from __future__ import annotations

from typing import Any

import numpy as np

from survtrial.design._assumptions import (
    assumptions,
    error_rates,
    null_hazard_ratio,
    sequential,
    squeeze,
)
from survtrial.design.events import (
    event_method,
    events_power,
    standardised_effect,
    validated_inputs,
)
from survtrial.design.timing import fixed_subjects_model
from survtrial.errors import InputError

__all__ = ["survival_power"]


def survival_power(
    hazard_ratio: Any = None,
    *,
    events: Any = None,
    follow_up: Any = None,
    noninferiority_margin: Any = None,
    alpha: Any = None,
    sided: int | None = None,
    allocation_ratio: float = 1.0,
    method: str = "schoenfeld",
    design: Any = None,
    **assumptions_: Any,
) -> Any:
    """Power of a log-rank test for a given (maximum) number of events or of subjects.

    Parameters
    ----------
    hazard_ratio : float or 1-d array, optional
        Planning hazard ratio (or give an experimental target in ``assumptions_``).
    events : float or 1-d array, optional
        Events at the final analysis. Without it, the events expected at
        ``accrual end + follow_up`` for the subjects given by ``n_subjects`` (or ``accrual_rate``).
    follow_up : float or 1-d array, optional
        Time from the end of accrual to the final analysis (needed when ``events`` is not given).
    noninferiority_margin, alpha, sided, allocation_ratio, method
        As in :func:`survival_sample_size`.
    design : GroupSequentialDesign, optional
        Supplies alpha and sidedness. With more than one look the power is the probability of
        crossing an efficacy bound (design ``.probabilities(drift)``), looks at
        ``events x information_fractions``.
    **assumptions_
        Survival, accrual and dropout arguments as in :func:`survival_sample_size`.

    Returns
    -------
    float or numpy.ndarray
        Power under the planning hazard ratio.

    Notes
    -----
    Single analysis: power = Phi(theta sqrt(d) - z_{1-alpha/sided}) (plus the opposite tail when
    two-sided), as rpact ``getPowerSurvival`` with ``kMax = 1`` (see :func:`events_power`).
    Group-sequential: drift theta sqrt(d_max) with theta the standardised effect of ``method``,
    as rpact ``getPowerSurvival(design, maxNumberOfEvents = d_max)``.

    Examples
    --------
    >>> round(survival_power(0.7, events=247), 4)
    0.8003
    """
    alpha, _, sided = error_rates(design, alpha, None, sided)
    if events is None:
        if follow_up is None:
            raise InputError("give events, or n_subjects (or accrual_rate) with follow_up")
        a = assumptions(hazard_ratio=hazard_ratio, allocation_ratio=allocation_ratio,
                        extra={"follow_up": follow_up}, **assumptions_)
        fu = a.extra["follow_up"]
        if np.any(fu < 0):
            raise InputError(f"follow_up={follow_up!r} must be >= 0")
        model, end = fixed_subjects_model(a)
        d = model.expected_events((end + fu)[:, None])[:, 0]
        hr, shape = a.hazard_ratio, a.shape
    else:
        a = assumptions(hazard_ratio=hazard_ratio, allocation_ratio=allocation_ratio, follow_up=0.0,
                        extra={"events": events}, **_targets_only(assumptions_))
        hr, d, shape = a.hazard_ratio, a.extra["events"], a.shape
    null_hr = null_hazard_ratio(noninferiority_margin, hr)
    fractions, _ = sequential(design, None, None) if design is not None else (np.ones(1), 1.0)
    if fractions.size == 1:
        p = np.asarray(events_power(d, hr, alpha=alpha, sided=sided, allocation_ratio=allocation_ratio,
                                    null_hazard_ratio=null_hr, method=method))
    else:
        validated_inputs(hr, alpha, sided, allocation_ratio, null_hr, event_method(method))
        drift = standardised_effect(hr, allocation_ratio, null_hr, event_method(method)) * np.sqrt(d)
        p = np.array([design.probabilities(x).total_upper for x in drift])
    return squeeze(np.atleast_1d(p), shape)


def _targets_only(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Survival-target arguments only (accrual and dropout do not matter when events are given)."""
    keep = {
        "control_hazard", "control_median", "control_survival", "experimental_hazard",
        "experimental_median", "experimental_survival", "landmark_time", "piecewise_times",
    }
    unknown = set(kwargs) - keep - {"accrual_time", "accrual_intensity", "accrual_rate", "n_subjects",
                                    "dropout_rate", "dropout_time"}
    if unknown:
        raise InputError(f"unexpected argument(s) {sorted(unknown)}")
    out = {k: v for k, v in kwargs.items() if k in keep}
    if not any(k.startswith("control_") for k in out):
        out["control_hazard"] = 1.0  # the hazard ratio alone determines power given events
    return out
