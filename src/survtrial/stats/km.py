"""Kaplan-Meier product-limit estimator with Greenwood standard errors and R survfit conventions."""

from __future__ import annotations

import numpy as np

__all__ = ["product_limit"]


def product_limit(n_risk: np.ndarray, n_event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Product-limit survival and the Greenwood sum from (weighted) counts at each distinct time.

    Parameters
    ----------
    n_risk : (m,) or (m, k) array
        Number (or weighted number) at risk just before each time, times ascending along axis 0.
    n_event : array of the same shape
        Number (or weighted number) of events at each time.

    Returns
    -------
    surv : array like ``n_risk``
        ``S(t) = cumprod(1 - d / n)`` along axis 0.
    greenwood_sum : array like ``n_risk``
        ``cumsum(d / (n (n - d)))`` so that ``Var S(t) = S(t)**2 * greenwood_sum`` (Greenwood) and
        ``greenwood_sum`` is also the variance of the Nelson-Aalen-type log-survival, i.e.
        ``sqrt(greenwood_sum)`` is R survfit's ``std.err`` (the SE of -log S(t)).

    Notes
    -----
    Rows with ``d == 0`` contribute a factor 1 and a Greenwood term 0 (also when ``n == 0``).
    When ``n == d > 0`` (everyone at risk fails) S drops to 0 and the Greenwood term is ``inf``,
    as in R survfit, where the standard error is infinite from that time on.
    """
    n = np.asarray(n_risk, dtype=np.float64)
    d = np.asarray(n_event, dtype=np.float64)
    has = d > 0
    safe_n = np.where(has, n, 1.0)
    surv = np.cumprod(np.where(has, 1.0 - d / safe_n, 1.0), axis=0)
    rest = n - d
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(has, d / (safe_n * np.where(has, rest, 1.0)), 0.0)
    term = np.where(has & (rest <= 0), np.inf, term)
    return surv, np.cumsum(term, axis=0)
