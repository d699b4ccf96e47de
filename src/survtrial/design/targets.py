"""Planning targets on the hazard scale: hazards from medians or landmark survival, non-inferiority margins."""

from __future__ import annotations

from typing import Any

import numpy as np

from survtrial.errors import InputError

__all__ = [
    "hazard_from_median",
    "hazard_from_survival",
    "noninferiority_margin",
    "survival_from_hazard",
]


def _array(x: Any, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name}={x!r} is not a number") from None
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name}={x!r}: missing or infinite value")
    return a


def _out(a: np.ndarray) -> np.ndarray | float:
    return float(a) if a.ndim == 0 else a


def _check_open_unit(a: np.ndarray, name: str) -> None:
    if np.any((a <= 0) | (a >= 1)):
        bad = a.ravel()[np.flatnonzero(((a <= 0) | (a >= 1)).ravel())[0]]
        raise InputError(
            f"{name}={bad!r} is outside (0, 1); give survival as a proportion (0.879, not 87.9)"
        )


def _check_positive(a: np.ndarray, name: str) -> None:
    if np.any(a <= 0):
        bad = a.ravel()[np.flatnonzero((a <= 0).ravel())[0]]
        raise InputError(f"{name}={bad!r} must be > 0")


def hazard_from_median(median: Any) -> np.ndarray | float:
    """Constant hazard of an exponential distribution with the given median: ``log(2) / median``.

    Parameters
    ----------
    median : float or array_like
        Median survival time (> 0), in the time unit of the design.

    Returns
    -------
    float or numpy.ndarray

    Notes
    -----
    As rpact ``getLambdaByMedian(median, kappa = 1)``.

    Examples
    --------
    >>> round(hazard_from_median(12), 6)
    0.057762
    """
    m = _array(median, "median")
    _check_positive(m, "median")
    return _out(np.log(2) / m)


def hazard_from_survival(survival: Any, time: Any) -> np.ndarray | float:
    """Constant hazard giving survival probability ``survival`` at ``time``: ``-log(S) / t``.

    Parameters
    ----------
    survival : float or array_like
        Landmark survival probability in (0, 1), e.g. 0.879 for "87.9% at 3 years".
    time : float
        Landmark time (> 0), e.g. 3 (years).

    Returns
    -------
    float or numpy.ndarray

    Notes
    -----
    As rpact ``getLambdaByPi(1 - survival, eventTime = time, kappa = 1)``.

    Examples
    --------
    >>> round(hazard_from_survival(0.879, 3), 5)
    0.04299
    """
    s = _array(survival, "survival")
    t = _array(time, "time")
    _check_open_unit(s, "survival")
    _check_positive(t, "time")
    return _out(-np.log(s) / t)


def survival_from_hazard(hazard: Any, time: Any) -> np.ndarray | float:
    """Survival probability ``exp(-hazard * time)`` under a constant hazard.

    Examples
    --------
    >>> round(survival_from_hazard(hazard_from_survival(0.879, 3), 3), 6)
    0.879
    """
    h = _array(hazard, "hazard")
    t = _array(time, "time")
    if np.any(h < 0):
        raise InputError("hazard must be >= 0")
    _check_positive(t, "time")
    return _out(np.exp(-h * t))


def noninferiority_margin(control_survival: Any, difference: Any) -> np.ndarray | float:
    """Hazard-ratio non-inferiority margin equivalent to a landmark-survival difference.

    "Experimental no more than ``difference`` below ``control_survival`` at the landmark" becomes,
    under proportional hazards, ``HR margin = log(control_survival - difference) / log(control_survival)``.

    Parameters
    ----------
    control_survival : float or array_like
        Expected control survival at the landmark, in (0, 1).
    difference : float or array_like
        Largest acceptable loss of landmark survival, in (0, control_survival) as a proportion
        (0.02 for "2 points").

    Returns
    -------
    float or numpy.ndarray
        Hazard-ratio margin (> 1), for ``survival_sample_size(noninferiority_margin=...)``.

    Notes
    -----
    Under proportional hazards S_E(t) = S_C(t)^HR at every t, so a survival margin at one landmark
    fixes the hazard-ratio margin; the conversion does not depend on the landmark time.

    Examples
    --------
    >>> round(noninferiority_margin(0.96, 0.02), 4)
    1.5157
    """
    s = _array(control_survival, "control_survival")
    d = _array(difference, "difference")
    _check_open_unit(s, "control_survival")
    if np.any((d <= 0) | (d >= s)):
        raise InputError(
            f"difference={difference!r} must be > 0 and below control_survival={control_survival!r} "
            "(a proportion: 0.02 for 2 percentage points)"
        )
    return _out(np.log(s - d) / np.log(s))
