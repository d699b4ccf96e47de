"""Closed-form expected enrolment, at-risk numbers and events per arm and failure period of one stratum.

A subject randomised at calendar time u is followed for x = t - u at calendar time t. In failure
period p (follow-up in [s_p, s_p + L_p)) the control hazard is lambda_p, the experimental hazard
hr_p lambda_p, the dropout hazard phi_p (both arms). Q(x) = exp(-int_0^x (lambda + phi)) is the
probability of being event-free and still followed. The probability of an event observed in
period p by follow-up x is P_p(x) = lambda_p Q(s_p) y phi1(mu_p y) with y = clip(x - s_p, 0, L_p),
mu_p = lambda_p + phi_p and phi1(z) = (1 - e^-z) / z; its integral G_p(x) = int_0^x P_p is
lambda_p Q(s_p) y^2 phi2(mu_p y) + P_p(end) max(x - s_p - L_p, 0), phi2(z) = (z - 1 + e^-z) / z^2.
Enrolment is piecewise constant, so expected events are sums of G_p differences: no quadrature.
"""

from __future__ import annotations

import numpy as np

from survtrial.design.accrual import _phi1, _phi2
from survtrial.design.nph_assumptions import StratumAssumptions


def arm_hazards(s: StratumAssumptions) -> tuple[np.ndarray, np.ndarray]:
    """Event hazards per failure period: (experimental, control)."""
    return s.control_hazard * s.hazard_ratio, s.control_hazard


def _period_state(s: StratumAssumptions, hazard: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mu per period, Q at each period start, and the event probability over each whole period."""
    mu = hazard + s.dropout_hazard
    finite = np.where(np.isfinite(s.fail_duration), s.fail_duration, 0.0)
    q_end = np.cumprod(np.exp(-mu * finite))
    q_start = np.concatenate([[1.0], q_end[:-1]])
    whole = np.where(
        np.isfinite(s.fail_duration),
        hazard * q_start * finite * _phi1(mu * finite),
        np.divide(hazard * q_start, mu, out=np.zeros_like(mu), where=mu > 0),
    )
    return mu, q_start, whole


def _g(s: StratumAssumptions, hazard: np.ndarray, x: np.ndarray) -> np.ndarray:
    """G_p(x) for follow-up times x (any shape): shape x.shape + (m,)."""
    mu, q0, whole = _period_state(s, hazard)
    starts = s.fail_starts
    ends = starts + s.fail_duration
    xx = np.maximum(np.asarray(x, dtype=float), 0.0)[..., None]
    y = np.clip(xx - starts, 0.0, s.fail_duration)
    beyond = np.where(np.isfinite(ends), np.maximum(xx - ends, 0.0), 0.0)
    return hazard * q0 * y * y * _phi2(mu * y) + whole * beyond


def enrolled(s: StratumAssumptions, t: np.ndarray) -> np.ndarray:
    """Expected subjects (both arms) randomised by calendar time t."""
    b = s.enroll_breaks
    tt = np.asarray(t, dtype=float)[..., None]
    return (np.clip(tt - b[:-1], 0.0, s.enroll_duration) * s.enroll_rate).sum(axis=-1)


def period_events(s: StratumAssumptions, hazard: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Expected events per failure period by calendar times t, all subjects of the stratum in one arm.

    Returns shape (len(t), m); multiply by the arm's share of randomisation.
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    b = s.enroll_breaks
    lo = np.minimum(b[:-1], t[:, None])  # (k, J)
    hi = np.minimum(b[1:], t[:, None])
    g_lo = _g(s, hazard, t[:, None] - lo)  # (k, J, m)
    g_hi = _g(s, hazard, t[:, None] - hi)
    return ((g_lo - g_hi) * s.enroll_rate[None, :, None]).sum(axis=1)


def eventual_event_probability(s: StratumAssumptions, hazard: np.ndarray) -> float:
    """Probability that a subject's event is ever observed (before dropout), open-ended follow-up."""
    return float(_period_state(s, hazard)[2].sum())


def survival(s: StratumAssumptions, hazard: np.ndarray, x: np.ndarray) -> np.ndarray:
    """exp(-cumulative hazard) at follow-up x (event only, no dropout)."""
    return np.exp(-_cumulative(s, hazard, x))


def _cumulative(s: StratumAssumptions, rate: np.ndarray, x: np.ndarray) -> np.ndarray:
    xx = np.asarray(x, dtype=float)[..., None]
    y = np.clip(xx - s.fail_starts, 0.0, s.fail_duration)
    return (y * rate).sum(axis=-1)


def at_risk_probability(s: StratumAssumptions, hazard: np.ndarray, x: np.ndarray) -> np.ndarray:
    """exp(-int (hazard + dropout)) at follow-up x: event-free and still followed."""
    return np.exp(-_cumulative(s, hazard + s.dropout_hazard, x))


def hazard_at(s: StratumAssumptions, rate: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A per-period rate evaluated at follow-up times x (right-continuous)."""
    idx = np.searchsorted(s.fail_starts, np.asarray(x, dtype=float), side="right") - 1
    return rate[np.clip(idx, 0, rate.size - 1)]
