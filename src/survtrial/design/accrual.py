"""Expected accrual and events over calendar time: piecewise accrual, piecewise-exponential survival, dropout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from survtrial.errors import InputError

__all__ = ["StudyModel", "solve_increasing"]


def _phi1(z: np.ndarray) -> np.ndarray:
    """(1 - exp(-z)) / z, continuous at 0 (value 1)."""
    out = np.ones_like(z)
    nz = z > 0
    out[nz] = -np.expm1(-z[nz]) / z[nz]
    return out


def _phi2(z: np.ndarray) -> np.ndarray:
    """(z - 1 + exp(-z)) / z**2, continuous at 0 (value 1/2); series below 1e-3."""
    small = z < 1e-3
    zs = z[small]
    out = np.empty_like(z)
    out[small] = 0.5 - zs / 6 + zs**2 / 24 - zs**3 / 120
    zb = z[~small]
    out[~small] = (zb + np.expm1(-zb)) / zb**2
    return out


def _piece_states(starts: np.ndarray, hazards: np.ndarray, dropout: float) -> tuple[np.ndarray, ...]:
    """Per survival piece: length, event hazard, total hazard, F and Q at the piece start.

    F(s) is the probability of the event before dropout by time s since entry; Q(s) the
    probability of being event-free and still followed at s.
    """
    lengths = np.append(np.diff(starts), np.inf)
    mu = hazards + dropout
    finite = np.where(np.isfinite(lengths), lengths, 0.0)
    inc_q = np.exp(-mu * finite)  # Q ratio over each complete piece
    q_end = np.cumprod(inc_q, axis=-1)
    q_start = np.concatenate([np.ones_like(q_end[..., :1]), q_end[..., :-1]], axis=-1)
    f_inc = hazards * q_start * finite * _phi1(mu * finite)
    f_start = np.concatenate([np.zeros_like(f_inc[..., :1]), np.cumsum(f_inc, axis=-1)[..., :-1]], axis=-1)
    return lengths, hazards, mu, f_start, q_start


def _cdf_and_integral(
    x: np.ndarray, starts: np.ndarray, hazards: np.ndarray, dropout: float
) -> tuple[np.ndarray, np.ndarray]:
    """F(x) and G(x) = int_0^x F(s) ds for x of shape (n, ...) and hazards of shape (n, m)."""
    lengths, lam, mu, f0, q0 = _piece_states(starts, hazards, dropout)
    n = hazards.shape[0]
    shape = x.shape
    xx = np.maximum(x.reshape(n, -1), 0.0)[..., None]  # (n, p, 1)
    xk = np.clip(xx - starts, 0.0, lengths)  # time spent in each piece (n, p, m)
    lam, mu, f0, q0 = (a[:, None, :] for a in (lam, mu, f0, q0))
    z = mu * xk
    inside = xk > 0
    cdf_terms = lam * q0 * xk * _phi1(z)
    # F(x) = F at the start of the piece containing x plus the increment inside that piece.
    last = np.maximum(inside.sum(axis=-1) - 1, 0)[..., None]
    cdf = np.take_along_axis(np.broadcast_to(f0, xk.shape) + cdf_terms, last, axis=-1)[..., 0]
    integral = (f0 * xk + lam * q0 * xk**2 * _phi2(z)).sum(axis=-1)
    return cdf.reshape(shape), integral.reshape(shape)


def solve_increasing(
    fun: Callable[[np.ndarray], np.ndarray],
    target: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    iterations: int = 200,
    xtol: float = 1e-11,
) -> np.ndarray:
    """Vectorised bisection: x in [lower, upper] with fun(x) = target for non-decreasing ``fun``.

    ``fun`` maps an array of candidate x (the broadcast shape of ``target``) to values; every
    element is solved at once, to an absolute tolerance ``xtol`` relative to max(1, x).
    """
    target = np.asarray(target, dtype=float)
    lo = np.broadcast_to(np.asarray(lower, dtype=float), target.shape).copy()
    hi = np.broadcast_to(np.asarray(upper, dtype=float), target.shape).copy()
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        below = fun(mid) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
        if np.all(hi - lo <= xtol * np.maximum(1.0, hi)):
            break
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class StudyModel:
    """Accrual, survival and dropout assumptions of a two-arm trial, for one or many planning cases.

    Attributes
    ----------
    accrual_breaks : numpy.ndarray, shape (J + 1,)
        Calendar times where the accrual rate changes, starting at 0 (the last may be ``inf``).
    accrual_rates : numpy.ndarray, shape (n, J)
        Subjects randomized per time unit in each accrual piece, for each of ``n`` cases.
    accrual_end : numpy.ndarray, shape (n,)
        Calendar time at which accrual stops (at most the last break).
    survival_starts : numpy.ndarray, shape (m,)
        Start times of the piecewise-exponential survival pieces (first is 0).
    control_hazard : numpy.ndarray, shape (n, m)
        Event hazard in the control arm per piece.
    hazard_ratio : numpy.ndarray, shape (n,)
        Experimental over control hazard (proportional hazards).
    dropout_hazard : tuple of float
        Exponential dropout hazards (experimental, control).
    allocation_ratio : float
        Experimental subjects per control subject.

    Notes
    -----
    A subject entering at calendar time u is analysed at t with follow-up t - u; the event is
    seen if it happens before dropout: F(s) = int_0^s lambda(v) exp(-Lambda(v) - phi v) dv,
    integrated in closed form over each survival piece. Expected events at t are
    sum over accrual pieces of rate_j * int F(t - u) du, also in closed form. This is the model of
    Lachin & Foulkes (1986) and Kim & Tsiatis (1990) as implemented (by numerical integration) in
    rpact ``getEventProbabilities``; no numerical quadrature is used here.
    """

    accrual_breaks: np.ndarray
    accrual_rates: np.ndarray
    accrual_end: np.ndarray
    survival_starts: np.ndarray
    control_hazard: np.ndarray
    hazard_ratio: np.ndarray
    dropout_hazard: tuple[float, float]
    allocation_ratio: float

    def __repr__(self) -> str:
        n = self.accrual_rates.shape[0]
        return (
            f"StudyModel({n} case(s), {self.accrual_rates.shape[1]} accrual piece(s), "
            f"{self.survival_starts.size} survival piece(s), allocation {self.allocation_ratio:g}:1)"
        )

    @property
    def n_subjects(self) -> np.ndarray:
        """Total subjects accrued by the end of accrual, shape (n,)."""
        return self.expected_subjects(self.accrual_end[:, None])[:, 0]

    def _as_times(self, t: np.ndarray | float) -> np.ndarray:
        a = np.asarray(t, dtype=float)
        n = self.accrual_rates.shape[0]
        if a.ndim == 0:
            a = np.full((n, 1), float(a))
        elif a.ndim == 1:
            a = np.broadcast_to(a, (n, a.size))
        if a.shape[0] != n:
            raise InputError(f"times: expected {n} rows (one per planning case), got shape {a.shape}")
        if np.any(~np.isfinite(a)) or np.any(a < 0):
            raise InputError("times must be finite calendar times >= 0")
        return a

    def _piece_limits(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Entry-time limits of each accrual piece, truncated at the accrual end: (n, k, J) each."""
        end = self.accrual_end[:, None, None]
        lo = np.minimum(self.accrual_breaks[:-1], end)
        hi = np.minimum(self.accrual_breaks[1:], end)
        return np.minimum(lo, t[..., None]), np.minimum(hi, t[..., None])

    def expected_subjects(self, t: np.ndarray | float) -> np.ndarray:
        """Subjects randomized by calendar time ``t``; shape (n, k) for k times."""
        t = self._as_times(t)
        lo, hi = self._piece_limits(t)
        return ((hi - lo) * self.accrual_rates[:, None, :]).sum(axis=-1)

    def arm_hazards(self) -> tuple[np.ndarray, np.ndarray]:
        """Event hazards per piece (experimental, control), each of shape (n, m)."""
        return self.hazard_ratio[:, None] * self.control_hazard, self.control_hazard

    def event_cdf(self, s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """P(event observed by follow-up time s) for (experimental, control); shape (n, k) each."""
        s = self._as_times(s)
        return tuple(
            _cdf_and_integral(s, self.survival_starts, h, phi)[0]
            for h, phi in zip(self.arm_hazards(), self.dropout_hazard, strict=True)
        )

    def expected_events(self, t: np.ndarray | float, *, by_arm: bool = False) -> np.ndarray:
        """Expected number of events observed by calendar time ``t``; shape (n, k).

        With ``by_arm=True`` returns shape (2, n, k): experimental then control.
        """
        t = self._as_times(t)
        lo, hi = self._piece_limits(t)
        r = self.allocation_ratio
        arms = []
        # int_lo^hi F(t - u) du = G(t - lo) - G(t - hi), both limits in one call
        limits = np.concatenate([t[..., None] - lo, t[..., None] - hi], axis=-1)
        pieces = lo.shape[-1]
        shares = (r / (1 + r), 1 / (1 + r))
        for share, hazards, phi in zip(shares, self.arm_hazards(), self.dropout_hazard, strict=True):
            g = _cdf_and_integral(limits, self.survival_starts, hazards, phi)[1]
            arms.append(share * ((g[..., :pieces] - g[..., pieces:]) * self.accrual_rates[:, None, :]).sum(axis=-1))
        out = np.stack(arms)
        return out if by_arm else out.sum(axis=0)

    def time_of_events(self, events: np.ndarray) -> np.ndarray:
        """Calendar time at which ``events`` are expected (solves E[events](t) = d); shape (n, k).

        Raises InputError if the expected number of events never reaches ``events`` (too few
        subjects, or too much dropout).
        """
        d = self._as_times(events)
        upper = self._reachable_upper(d)
        return solve_increasing(self.expected_events, d, 0.0, upper)

    def _reachable_upper(self, d: np.ndarray) -> np.ndarray:
        upper = np.broadcast_to(self.accrual_end[:, None] + 1.0, d.shape).copy()
        for _ in range(200):
            short = self.expected_events(upper) < d
            if not short.any():
                return upper
            upper = np.where(short, upper * 2.0, upper)
        ceiling = self.expected_events(upper)
        i = np.unravel_index(np.argmax(d - ceiling), d.shape)
        raise InputError(
            f"the expected number of events never reaches {d[i]:.1f} (at most about {ceiling[i]:.1f} "
            f"with {self.n_subjects[i[0]]:.1f} subjects); increase the number of subjects or the "
            "accrual, or reduce dropout"
        )
