"""Piecewise-exponential hazards: survival, cumulative hazard and inverse-CDF sampling, vectorised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import exprel

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError

__all__ = [
    "PiecewiseHazard",
    "check_piecewise",
    "piecewise_cumulative_hazard",
    "piecewise_inverse_cumulative_hazard",
    "piecewise_survival",
    "sample_piecewise_exponential",
    "stack_hazards",
]


def check_piecewise(breaks: Any, rates: Any, role: str = "hazard") -> tuple[np.ndarray, np.ndarray]:
    """Validate ``breaks`` (interval starts) and ``rates``; return float arrays.

    ``breaks`` must be 1-d, start at 0, be finite and strictly increasing. ``rates`` has shape
    ``(k,)`` or ``(m, k)`` with ``k = len(breaks)``, finite and >= 0. Raises InputError otherwise.
    """
    b = np.asarray(breaks, dtype=float)
    r = np.asarray(rates, dtype=float)
    if b.ndim != 1 or b.size == 0:
        raise InputError(f"{role}: breaks must be a non-empty 1-d list of interval starts, got shape {b.shape}")
    if b[0] != 0.0:
        raise InputError(f"{role}: breaks must start at 0 (the first interval is [0, breaks[1])), got {float(b[0])!r}")
    if not np.all(np.isfinite(b)):
        raise InputError(f"{role}: breaks must be finite; the last interval extends to infinity by itself")
    bad = np.flatnonzero(np.diff(b) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise InputError(
            f"{role}: breaks must be strictly increasing; position {i}: {float(b[i])!r} <= {float(b[i - 1])!r}"
        )
    if r.ndim not in (1, 2) or r.shape[-1] != b.size:
        raise InputError(
            f"{role}: expected one rate per interval ({b.size} intervals from {b.size} breaks), "
            f"got rates of shape {r.shape}"
        )
    flat = r.reshape(-1)
    bad = np.flatnonzero(~np.isfinite(flat) | (flat < 0))
    if bad.size:
        i = int(bad[0])
        where = f"position {i}" if r.ndim == 1 else f"row {i // b.size} interval {i % b.size}"
        raise InputError(f"{role}: rate {float(flat[i])!r} at {where} is invalid; hazard rates must be finite and >= 0")
    return b, r


def _cum_at_breaks(breaks: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Cumulative hazard at each break, shape like ``rates`` (first column 0)."""
    inc = rates[..., :-1] * np.diff(breaks)
    zero = np.zeros((*rates.shape[:-1], 1))
    return np.concatenate([zero, np.cumsum(inc, axis=-1)], axis=-1)


def _rows(rates: np.ndarray, row: Any, n: int) -> np.ndarray | None:
    if rates.ndim == 1:
        if row is not None:
            raise InputError("row= is only meaningful with a 2-d rates array (one row per group)")
        return None
    if row is None:
        raise InputError("a 2-d rates array needs row= (the rates row of each observation)")
    idx = np.asarray(row)
    if idx.shape != (n,) or idx.dtype.kind not in "iu":
        raise InputError(f"row: expected {n} integer row indices, got shape {idx.shape} dtype {idx.dtype}")
    if n and (idx.min() < 0 or idx.max() >= rates.shape[0]):
        raise InputError(f"row: indices must lie in 0..{rates.shape[0] - 1}")
    return idx


def piecewise_cumulative_hazard(t: Any, breaks: Any, rates: Any, *, row: Any = None) -> np.ndarray:
    """Cumulative hazard H(t) of a piecewise-constant hazard, vectorised over ``t``.

    Parameters
    ----------
    t : array_like
        Times >= 0 (``inf`` allowed).
    breaks : array_like, shape (k,)
        Interval starts, ``breaks[0] == 0``; the last interval extends to infinity.
    rates : array_like, shape (k,) or (m, k)
        Hazard on each interval; with 2-d rates, ``row`` picks each time's row (group).
    row : array_like of int, optional
        Row of ``rates`` for each element of ``t`` (2-d rates only).

    Returns
    -------
    numpy.ndarray
        ``H(t) = sum_j rates_j * |[breaks_j, breaks_j+1) intersect [0, t)|``.

    Examples
    --------
    >>> piecewise_cumulative_hazard([0.5, 2.0], [0.0, 1.0], [0.2, 0.1]).round(6).tolist()
    [0.1, 0.3]
    """
    b, r = check_piecewise(breaks, rates)
    tt = np.asarray(t, dtype=float)
    shape = tt.shape
    tt = tt.reshape(-1)
    if np.any(np.isnan(tt)) or np.any(tt < 0):
        raise InputError("t: times must be >= 0 and not missing")
    idx = _rows(r, row, tt.size)
    hb = _cum_at_breaks(b, r)
    j = np.searchsorted(b, tt, side="right") - 1
    if idx is None:
        rate, base = r[j], hb[j]
    else:
        rate, base = r[idx, j], hb[idx, j]
    with np.errstate(invalid="ignore"):
        extra = np.where(rate > 0, rate * (tt - b[j]), 0.0)
    return (base + extra).reshape(shape)


def piecewise_survival(t: Any, breaks: Any, rates: Any, *, row: Any = None) -> np.ndarray:
    """Survival S(t) = exp(-H(t)) of a piecewise-constant hazard (see piecewise_cumulative_hazard).

    Examples
    --------
    >>> float(piecewise_survival(3.0, [0.0, 3.0], [-np.log(0.9) / 3, 0.0]).round(12))
    0.9
    """
    return np.exp(-piecewise_cumulative_hazard(t, breaks, rates, row=row))


def piecewise_inverse_cumulative_hazard(h: Any, breaks: Any, rates: Any, *, row: Any = None) -> np.ndarray:
    """Smallest t with H(t) = h; ``inf`` where h exceeds the total hazard (a cure plateau).

    Parameters
    ----------
    h : array_like
        Cumulative hazard values >= 0.
    breaks, rates, row
        As in piecewise_cumulative_hazard.

    Returns
    -------
    numpy.ndarray
        Times; ``inf`` when the last rate is 0 and ``h`` is beyond the cumulative hazard reached
        at the last break (those subjects never have the event).

    Examples
    --------
    >>> piecewise_inverse_cumulative_hazard([0.1, 0.3, 5.0], [0.0, 1.0], [0.2, 0.1]).round(6).tolist()
    [0.5, 2.0, 49.0]
    """
    b, r = check_piecewise(breaks, rates)
    hh = np.asarray(h, dtype=float)
    shape = hh.shape
    hh = hh.reshape(-1)
    if np.any(np.isnan(hh)) or np.any(hh < 0):
        raise InputError("h: cumulative hazards must be >= 0 and not missing")
    idx = _rows(r, row, hh.size)
    hb = _cum_at_breaks(b, r)
    hb_rows = hb[None, :] if idx is None else hb[idx]
    r_rows = r[None, :] if idx is None else r[idx]
    # interval j: number of later breaks whose cumulative hazard is strictly below h. Within it
    # hb[j] < h <= hb[j+1], so its rate is > 0 unless j is the open last interval.
    j = (hb_rows[:, 1:] < hh[:, None]).sum(axis=1)
    take = np.arange(hh.size) if idx is not None else np.zeros(hh.size, dtype=np.int64)
    base = hb_rows[take, j]
    rate = r_rows[take, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(rate > 0, b[j] + (hh - base) / rate, np.where(hh <= base, b[j], np.inf))
    return out.reshape(shape)


def sample_piecewise_exponential(
    breaks: Any, rates: Any, size: int | None = None, *, row: Any = None, rng: Any = None
) -> np.ndarray:
    """Draw event times from a piecewise-exponential distribution by inverting H(t).

    Parameters
    ----------
    breaks, rates
        As in piecewise_cumulative_hazard; 2-d rates give one distribution per row.
    size : int, optional
        Number of draws (1-d rates). With 2-d rates the number of draws is ``len(row)``.
    row : array_like of int, optional
        Row of ``rates`` for each draw (2-d rates only).
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray
        Times ``T = H^{-1}(E)`` with ``E ~ Exp(1)``; ``inf`` for subjects beyond a zero-hazard tail.

    Notes
    -----
    Inverse-CDF method: ``P(T > t) = P(E > H(t)) = exp(-H(t))``. One standard-exponential draw per
    subject, in input order, so the draws do not depend on how subjects are grouped.

    Examples
    --------
    >>> t = sample_piecewise_exponential([0.0, 1.0], [0.5, 0.0], 4, rng=1)
    >>> bool(np.all((t <= 1.0) | np.isinf(t)))
    True
    """
    gen = np.random.default_rng(rng)
    r = np.asarray(rates, dtype=float)
    if r.ndim == 2:
        if row is None:
            raise InputError("a 2-d rates array needs row= (the rates row of each draw)")
        n = len(row)
    else:
        if size is None:
            raise InputError("size= is required with a 1-d rates array")
        n = int(size)
    e = gen.standard_exponential(n)
    return piecewise_inverse_cumulative_hazard(e, breaks, r, row=row)


def stack_hazards(hazards: Sequence[PiecewiseHazard]) -> tuple[np.ndarray, np.ndarray]:
    """Express several piecewise hazards on their common breaks: returns (breaks, rates (m, k)).

    Useful to sample many groups in one vectorised call with ``row=``.
    """
    if not hazards:
        raise InputError("stack_hazards: need at least one hazard")
    b = np.unique(np.concatenate([h.breaks for h in hazards]))
    return b, np.vstack([h.refine(b).rates for h in hazards])


@dataclass(frozen=True)
class PiecewiseHazard(HtmlReprMixin):
    """A piecewise-constant hazard: ``rates[j]`` on ``[breaks[j], breaks[j+1])``, last to infinity.

    Attributes
    ----------
    breaks : numpy.ndarray
        Interval starts (years in survtrial), ``breaks[0] == 0``, strictly increasing.
    rates : numpy.ndarray
        Hazard per interval (>= 0). A zero last rate is a cure plateau: S(t) flattens at
        ``cure_fraction``.

    Examples
    --------
    >>> h = PiecewiseHazard([0, 1, 2, 3], [0.04, 0.04, 0.04, 0.0])
    >>> round(float(h.survival(3.0)), 6), round(h.cure_fraction, 6)
    (0.88692, 0.88692)
    """

    breaks: np.ndarray
    rates: np.ndarray

    def __post_init__(self) -> None:
        b, r = check_piecewise(self.breaks, self.rates)
        if r.ndim != 1:
            raise InputError("PiecewiseHazard: rates must be 1-d (one rate per interval)")
        b.setflags(write=False)
        r.setflags(write=False)
        object.__setattr__(self, "breaks", b)
        object.__setattr__(self, "rates", r)

    def hazard(self, t: Any) -> np.ndarray:
        """Hazard rate at ``t`` (right-continuous)."""
        tt = np.asarray(t, dtype=float)
        return self.rates[np.searchsorted(self.breaks, tt, side="right") - 1]

    def cumulative_hazard(self, t: Any) -> np.ndarray:
        """H(t)."""
        return piecewise_cumulative_hazard(t, self.breaks, self.rates)

    def survival(self, t: Any) -> np.ndarray:
        """S(t) = exp(-H(t))."""
        return piecewise_survival(t, self.breaks, self.rates)

    def inverse_cumulative_hazard(self, h: Any) -> np.ndarray:
        """Smallest t with H(t) = h (``inf`` beyond a zero-hazard tail)."""
        return piecewise_inverse_cumulative_hazard(h, self.breaks, self.rates)

    def quantile(self, p: Any) -> np.ndarray:
        """Time by which a fraction ``p`` has had the event: S(t) = 1 - p (``inf`` if never)."""
        pp = np.asarray(p, dtype=float)
        if np.any((pp < 0) | (pp >= 1) | np.isnan(pp)):
            raise InputError("quantile: probabilities must lie in [0, 1)")
        return self.inverse_cumulative_hazard(-np.log1p(-pp))

    def sample(self, size: int, rng: Any = None) -> np.ndarray:
        """``size`` event times by inverse-CDF sampling (``inf`` = never, under a cure plateau)."""
        return sample_piecewise_exponential(self.breaks, self.rates, size, rng=rng)

    @property
    def cure_fraction(self) -> float:
        """S(infinity): positive only when the last rate is 0."""
        if self.rates[-1] > 0:
            return 0.0
        return float(self.survival(self.breaks[-1]))

    def restricted_mean(self, tau: float) -> float:
        """Restricted mean event-free time: integral of S(t) over [0, tau] (closed form)."""
        if not np.isfinite(tau) or tau < 0:
            raise InputError(f"restricted_mean: tau must be a finite number >= 0, got {tau!r}")
        ends = np.minimum(np.append(self.breaks[1:], np.inf), tau)
        length = np.clip(ends - self.breaks, 0.0, None)
        s0 = self.survival(self.breaks)
        # integral of s0 * exp(-r u) du over [0, L] = s0 * L * exprel(-r L)
        return float(np.sum(s0 * length * exprel(-self.rates * length)))

    def refine(self, breaks: Any) -> PiecewiseHazard:
        """The same hazard expressed on ``breaks`` (must contain all of this hazard's breaks)."""
        b = np.asarray(breaks, dtype=float)
        if not np.all(np.isin(self.breaks, b)):
            raise InputError("refine: the new breaks must include every existing break")
        return PiecewiseHazard(b, self.hazard(b))

    def scaled(self, factor: float) -> PiecewiseHazard:
        """Hazard multiplied by ``factor`` (e.g. a hazard ratio)."""
        if not np.isfinite(factor) or factor < 0:
            raise InputError(f"scaled: factor must be a finite number >= 0, got {factor!r}")
        return PiecewiseHazard(self.breaks, self.rates * factor)

    def to_frame(self) -> pd.DataFrame:
        """One row per interval: start, end, rate, survival at the start."""
        return pd.DataFrame(
            {
                "start": self.breaks,
                "end": np.append(self.breaks[1:], np.inf),
                "rate": self.rates,
                "survival_at_start": self.survival(self.breaks),
            }
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PiecewiseHazard):
            return NotImplemented
        return np.array_equal(self.breaks, other.breaks) and np.array_equal(self.rates, other.rates)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        k = self.breaks.size
        rates = ", ".join(f"{v:.4g}" for v in self.rates[:6]) + (", ..." if k > 6 else "")
        return f"PiecewiseHazard({k} intervals from 0 to {self.breaks[-1]:g}+; rates [{rates}])"
