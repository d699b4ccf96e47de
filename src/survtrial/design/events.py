"""Required number of events for a two-arm log-rank comparison (Schoenfeld, Freedman, Hsieh-Freedman)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from survtrial.errors import InputError

__all__ = ["EVENT_METHODS", "events_power", "freedman_events", "schoenfeld_events"]

#: Accepted ``method`` names (lower case) and the rpact ``typeOfComputation`` they reproduce.
EVENT_METHODS: dict[str, str] = {
    "schoenfeld": "Schoenfeld",
    "freedman": "Freedman",
    "hsieh-freedman": "HsiehFreedman",
}


def _probability(x: Any, name: str, *, upper: float = 1.0) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a <= 0) or np.any(a >= upper):
        bad = a.ravel()[np.flatnonzero(~((a > 0) & (a < upper)).ravel())[0]]
        raise InputError(f"{name}={bad!r} is outside (0, {upper:g}); give a probability strictly inside")
    return a


def _positive(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        bad = a.ravel()[np.flatnonzero(~(np.isfinite(a) & (a > 0)).ravel())[0]]
        raise InputError(f"{name}={bad!r} must be a finite number > 0")
    return a


def _check_sided(sided: int) -> int:
    if sided not in (1, 2):
        raise InputError(f"sided={sided!r}: use 1 (one-sided test) or 2 (two-sided test)")
    return int(sided)


def event_method(method: str) -> str:
    key = str(method).lower().replace("_", "-").replace(" ", "-")
    key = {"hsiehfreedman": "hsieh-freedman", "hsieh": "hsieh-freedman"}.get(key, key)
    if key not in EVENT_METHODS:
        hint = ""
        if key.replace("-", "") in ("lachinfoulkes", "lf"):
            hint = ("; Lachin-Foulkes sizes subjects directly (one analysis): "
                    "survtrial.design.lachin_foulkes_sample_size")
        raise InputError(f"method={method!r} is not one of {sorted(EVENT_METHODS)}{hint}")
    return key


def standardised_effect(
    hazard_ratio: np.ndarray, allocation_ratio: np.ndarray, null_hazard_ratio: np.ndarray, method: str
) -> np.ndarray:
    """Drift per sqrt(event): the log-rank z statistic is about N(effect * sqrt(d), 1)."""
    r = allocation_ratio
    if method == "schoenfeld":
        return np.sqrt(r) / (1 + r) * np.abs(np.log(hazard_ratio) - np.log(null_hazard_ratio))
    if method == "freedman":
        return np.sqrt(r) * np.abs(1 - hazard_ratio) / (1 + r * hazard_ratio)
    return 2 * np.sqrt(r) / (1 + r) * np.abs(1 - hazard_ratio) / (1 + hazard_ratio)


def validated_inputs(
    hazard_ratio: Any,
    alpha: Any,
    sided: int,
    allocation_ratio: Any,
    null_hazard_ratio: Any,
    method: str,
) -> tuple[np.ndarray, ...]:
    method = event_method(method)
    sided = _check_sided(sided)
    hr = _positive(hazard_ratio, "hazard_ratio")
    a = _probability(alpha, "alpha")
    r = _positive(allocation_ratio, "allocation_ratio")
    h0 = _positive(null_hazard_ratio, "null_hazard_ratio")
    if method != "schoenfeld" and np.any(h0 != 1):
        raise InputError(
            f"null_hazard_ratio={float(np.ravel(h0)[0])!r}: the {method} formula is for superiority "
            "(null hazard ratio 1) only; use method='schoenfeld' for non-inferiority"
        )
    if np.any(hr == h0):
        raise InputError(
            "hazard_ratio equals the null hazard ratio: no effect to detect; the planning hazard ratio "
            "must differ from 1 (superiority) or lie below the non-inferiority margin"
        )
    return hr, a / sided, r, h0, method


def required_events(
    hazard_ratio: Any,
    alpha: Any,
    power: Any,
    sided: int,
    allocation_ratio: Any,
    null_hazard_ratio: Any,
    method: str,
) -> np.ndarray | float:
    hr, a, r, h0, method = validated_inputs(hazard_ratio, alpha, sided, allocation_ratio, null_hazard_ratio, method)
    pw = _probability(power, "power")
    z = -ndtri(a) - ndtri(1 - pw)
    if np.any(z <= 0):
        raise InputError("power must exceed the one-sided significance level alpha/sided")
    d = (z / standardised_effect(hr, r, h0, method)) ** 2
    return float(d) if np.ndim(d) == 0 else d


def schoenfeld_events(
    hazard_ratio: Any,
    *,
    alpha: Any = 0.025,
    power: Any = 0.8,
    sided: int = 1,
    allocation_ratio: Any = 1.0,
    null_hazard_ratio: Any = 1.0,
) -> np.ndarray | float:
    """Number of events for a log-rank test to reach ``power`` (Schoenfeld's formula).

    Parameters
    ----------
    hazard_ratio : float or array_like
        Planning hazard ratio, experimental over control (< 1: experimental better).
    alpha : float or array_like, default 0.025
        Type I error; with ``sided=2`` it is split equally over both tails.
    power : float or array_like, default 0.8
        Target power, 1 - beta.
    sided : {1, 2}, default 1
    allocation_ratio : float, default 1
        Subjects randomized to experimental per subject on control (rpact ``allocationRatioPlanned``).
    null_hazard_ratio : float, default 1
        Hazard ratio under the null hypothesis; a non-inferiority margin (> 1) gives the
        non-inferiority design (rpact ``thetaH0``).

    Returns
    -------
    float or numpy.ndarray
        Events ``d`` (not rounded), broadcast over the array arguments.

    Notes
    -----
    ``d = (z_{1-alpha/sided} + z_{1-beta})^2 (1 + r)^2 / (r (log HR - log HR0)^2)``, the
    asymptotic variance of the log-rank statistic under local alternatives; identical to
    rpact ``getSampleSizeSurvival(typeOfComputation = "Schoenfeld")`` (``eventsFixed``). The
    two-sided version ignores the power of the wrong tail, as rpact does with
    ``twoSidedPower = FALSE``.

    References
    ----------
    Schoenfeld D. The asymptotic properties of nonparametric tests for comparing survival
    distributions. Biometrika 1981;68:316-319. Schoenfeld DA. Sample-size formula for the
    proportional-hazards regression model. Biometrics 1983;39:499-503.

    Examples
    --------
    >>> round(schoenfeld_events(0.5, alpha=0.05, sided=2, power=0.9), 1)
    87.5
    """
    return required_events(hazard_ratio, alpha, power, sided, allocation_ratio, null_hazard_ratio, "schoenfeld")


def freedman_events(
    hazard_ratio: Any,
    *,
    alpha: Any = 0.025,
    power: Any = 0.8,
    sided: int = 1,
    allocation_ratio: Any = 1.0,
) -> np.ndarray | float:
    """Number of events for a log-rank test to reach ``power`` (Freedman's formula).

    Parameters
    ----------
    hazard_ratio, alpha, power, sided, allocation_ratio
        As in :func:`schoenfeld_events` (superiority only: the null hazard ratio is 1).

    Returns
    -------
    float or numpy.ndarray
        Events ``d`` (not rounded).

    Notes
    -----
    ``d = (z_{1-alpha/sided} + z_{1-beta})^2 (1 + r HR)^2 / (r (1 - HR)^2)``, as rpact
    ``typeOfComputation = "Freedman"``. Freedman's formula gives more events than Schoenfeld's
    for the same hazard ratio; Hsieh's allocation-adjusted version is available through
    ``survival_sample_size(method="hsieh-freedman")``.

    References
    ----------
    Freedman LS. Tables of the number of patients required in clinical trials using the logrank
    test. Statistics in Medicine 1982;1:121-129.

    Examples
    --------
    >>> round(freedman_events(0.5, alpha=0.05, sided=2, power=0.9), 1)
    94.6
    """
    return required_events(hazard_ratio, alpha, power, sided, allocation_ratio, 1.0, "freedman")


def events_power(
    events: Any,
    hazard_ratio: Any,
    *,
    alpha: Any = 0.025,
    sided: int = 1,
    allocation_ratio: Any = 1.0,
    null_hazard_ratio: Any = 1.0,
    method: str = "schoenfeld",
) -> np.ndarray | float:
    """Power of a fixed-sample log-rank test after ``events`` events.

    Parameters
    ----------
    events : float or array_like
        Number of events at the (single) analysis.
    hazard_ratio, alpha, sided, allocation_ratio, null_hazard_ratio
        As in :func:`schoenfeld_events`.
    method : {"schoenfeld", "freedman", "hsieh-freedman"}

    Returns
    -------
    float or numpy.ndarray
        Power; with ``sided=2`` the probability of rejecting in either tail.

    Notes
    -----
    ``power = Phi(theta sqrt(d) - z_{1-alpha/sided}) [+ Phi(-theta sqrt(d) - z_{1-alpha/2})]``
    with ``theta`` the standardised effect of the chosen method, as rpact ``getPowerSurvival``
    with ``kMax = 1``. It inverts :func:`schoenfeld_events` exactly for one-sided tests.

    Examples
    --------
    >>> round(events_power(schoenfeld_events(0.7, power=0.9), 0.7), 6)
    0.9
    """
    hr, a, r, h0, method = validated_inputs(hazard_ratio, alpha, sided, allocation_ratio, null_hazard_ratio, method)
    d = _positive(events, "events")
    drift = standardised_effect(hr, r, h0, method) * np.sqrt(d)
    za = -ndtri(a)
    p = ndtr(drift - za)
    if sided == 2:
        p = p + ndtr(-drift - za)
    return float(p) if np.ndim(p) == 0 else p
