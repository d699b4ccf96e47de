"""Piecewise-exponential hazards fitted to patient data: events / exposure per piece, group and stratum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.stats._input import as_event, as_labels, as_time, check_lengths, column, where
from survtrial.stats.cox import ConfidenceInterval

__all__ = ["PiecewiseExponentialFit", "piecewise_exponential_fit"]


def _check_level(level: float) -> float:
    lv = float(level)
    if not 0.0 < lv < 1.0:
        raise InputError(f"conf_level={level!r} must be strictly between 0 and 1 (e.g. 0.95)")
    return lv


@dataclass(frozen=True, repr=False)
class PiecewiseExponentialFit(HtmlReprMixin):
    """Piecewise-constant hazards per group and stratum (see :func:`piecewise_exponential_fit`).

    Attributes
    ----------
    breaks : (k,) piece starts (``breaks[0] == 0``; the last piece is open-ended).
    groups, strata : level labels (``["all"]`` when not given).
    group, stratum, piece : (rows,) labels and piece index of each row (group, then stratum, then piece).
    start, end : (rows,) piece limits (``end`` is ``inf`` for the last piece).
    events, exposure : (rows,) events and person-time in the piece.
    rate, std_err : (rows,) hazard ``events / exposure`` and its SE ``sqrt(events) / exposure``
        (NaN where the exposure is 0).
    conf_level : level of the default limits.
    """

    breaks: np.ndarray
    groups: np.ndarray
    strata: np.ndarray
    group: np.ndarray
    stratum: np.ndarray
    piece: np.ndarray
    start: np.ndarray
    end: np.ndarray
    events: np.ndarray
    exposure: np.ndarray
    rate: np.ndarray
    std_err: np.ndarray
    conf_level: float

    def confidence_interval(self, level: float | None = None) -> ConfidenceInterval:
        """Exact Poisson (Garwood) limits for each rate: ``chi2(a/2; 2d) / 2E`` to ``chi2(1 - a/2; 2d + 2) / 2E``
        (lower limit 0 when d = 0)."""
        lv = _check_level(self.conf_level if level is None else level)
        a = 1.0 - lv
        d, e = self.events, self.exposure
        with np.errstate(divide="ignore", invalid="ignore"):
            low = np.where(d > 0, special.chdtri(2 * np.maximum(d, 1), 1 - a / 2) / (2 * e), 0.0)
            high = special.chdtri(2 * d + 2, a / 2) / (2 * e)
        return ConfidenceInterval(np.where(e > 0, low, np.nan), np.where(e > 0, high, np.nan))

    def hazards(self, group: Any = None, stratum: Any = None) -> np.ndarray:
        """The (k,) rates of one group and stratum (the only one when there is one)."""
        g = self.groups[0] if group is None else group
        s = self.strata[0] if stratum is None else stratum
        sel = (self.group == str(g)) & (self.stratum == str(s))
        if not sel.any():
            raise InputError(f"no fit for group {g!r}, stratum {s!r}; groups {list(self.groups)}, "
                             f"strata {list(self.strata)}")
        return self.rate[sel]

    def to_frame(self):
        """One row per group, stratum and piece: start, end, events, exposure, rate, std_err, lower, upper."""
        import pandas as pd

        lo, hi = self.confidence_interval()
        return pd.DataFrame({"group": self.group, "stratum": self.stratum, "piece": self.piece,
                             "start": self.start, "end": self.end, "events": self.events,
                             "exposure": self.exposure, "rate": self.rate, "std_err": self.std_err,
                             "lower": lo, "upper": hi})

    def summary(self):
        """Same as :meth:`to_frame`."""
        return self.to_frame()

    def __repr__(self) -> str:
        lines = [f"PiecewiseExponentialFit({self.breaks.size} piece(s) from {np.round(self.breaks, 4).tolist()}; "
                 f"{self.groups.size} group(s), {self.strata.size} stratum(s))"]
        for g in self.groups[:4]:
            for s in self.strata[:2]:
                sel = (self.group == g) & (self.stratum == s)
                rates = ", ".join(f"{r:.4g}" for r in self.rate[sel])
                lines.append(f"  {g}" + (f" / {s}" if self.strata.size > 1 else "") + f": {rates}")
        return "\n".join(lines)


def _choose_breaks(t: np.ndarray, e: np.ndarray, k: int) -> np.ndarray:
    """k pieces with (about) equal numbers of events: breaks at the event-time quantiles j/k."""
    ev = np.sort(t[e == 1])
    if ev.size < k:
        raise InputError(f"breaks={k}: only {ev.size} events; choose at most that many pieces or give break points")
    cuts = np.unique(np.quantile(ev, np.arange(1, k) / k, method="inverted_cdf"))
    return np.concatenate([[0.0], cuts[cuts > 0]])


def piecewise_exponential_fit(
    time: Any,
    event: Any,
    group: Any = None,
    strata: Any = None,
    *,
    breaks: Any = 1,
    data: Any = None,
    conf_level: float = 0.95,
) -> PiecewiseExponentialFit:
    """Maximum-likelihood piecewise-constant hazards per group (and stratum) from patient data.

    Parameters
    ----------
    time, event, group, strata : array-like or column names of ``data``
        Follow-up, 1 = event / 0 = censored, and optional group and stratum labels.
    breaks : sequence of piece starts, or int
        Piece starts beginning at 0 (the last piece is open-ended), shared by every group and stratum;
        an integer k chooses k pieces with about equal numbers of (pooled) events, cut at the event-time
        quantiles j/k. Default 1: one exponential rate.
    data : pandas or polars DataFrame, optional
    conf_level : level of the limits in ``to_frame()``.

    Returns
    -------
    PiecewiseExponentialFit

    Notes
    -----
    With hazard ``l_j`` on piece j the log-likelihood is ``sum_j (d_j log l_j - l_j E_j)``, where
    ``d_j`` are the events and ``E_j`` the person-time in the piece (a Poisson kernel), so the MLE is
    ``l_j = d_j / E_j`` and the inverse observed information gives ``SE(l_j) = sqrt(d_j) / E_j``
    (``SE(log l_j) = 1 / sqrt(d_j)``). Each group x stratum is fitted separately. Limits are the
    exact Poisson (Garwood) ones for the count given the exposure.

    References
    ----------
    Friedman M (1982). Piecewise exponential models for survival data with covariates. Ann Stat 10:101-13.
    Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika 28:437-42.

    Examples
    --------
    >>> fit = piecewise_exponential_fit([1, 2, 3, 4, 5], [1, 0, 1, 1, 0], breaks=[0, 2.5])
    >>> fit.events.tolist(), fit.exposure.tolist(), fit.rate.round(4).tolist()
    ([1, 2], [10.5, 4.5], [0.0952, 0.4444])
    """
    t = as_time(column(data, time, "time"), where(data, time, "time"))
    e = as_event(column(data, event, "event"), where(data, event, "event"))
    g_raw, s_raw = column(data, group, "group"), column(data, strata, "strata")
    check_lengths(t.size, event=e, group=g_raw, strata=s_raw)
    g_role = where(data, group, "group")
    g_codes, g_levels = (np.zeros(t.size, np.int64), np.array(["all"])) if g_raw is None else as_labels(g_raw, g_role)
    s_codes, s_levels = (np.zeros(t.size, np.int64), np.array(["all"])) if s_raw is None else as_labels(s_raw, "strata")
    if isinstance(breaks, (int, np.integer)) and not isinstance(breaks, bool):
        if breaks < 1:
            raise InputError(f"breaks={breaks}: the number of pieces must be at least 1")
        b = _choose_breaks(t, e, int(breaks))
    else:
        b = np.asarray(breaks, dtype=float)
        if b.ndim != 1 or b.size == 0 or b[0] != 0 or not np.all(np.isfinite(b)) or np.any(np.diff(b) <= 0):
            raise InputError(f"breaks={list(np.atleast_1d(breaks))}: piece starts must begin at 0, be finite and "
                             f"strictly increasing (the last piece is open-ended)")
    k = b.size
    ends = np.append(b[1:], np.inf)
    # Exposure of each subject in each piece, and the piece of each event (vectorised over pieces).
    expo = np.clip(t[:, None] - b[None, :], 0.0, (ends - b)[None, :])
    piece_of = np.searchsorted(b, t, side="right") - 1
    cell = g_codes * s_levels.size + s_codes
    n_cells = g_levels.size * s_levels.size
    exposure = np.zeros((n_cells, k))
    np.add.at(exposure, cell, expo)
    events = np.zeros((n_cells, k), dtype=np.int64)
    np.add.at(events, (cell[e == 1], piece_of[e == 1]), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(exposure > 0, events / exposure, np.nan)
        se = np.where(exposure > 0, np.sqrt(events) / exposure, np.nan)
    gi, si = np.divmod(np.repeat(np.arange(n_cells), k), s_levels.size)
    return PiecewiseExponentialFit(
        breaks=b, groups=g_levels.astype(str), strata=s_levels.astype(str),
        group=g_levels.astype(str)[gi], stratum=s_levels.astype(str)[si], piece=np.tile(np.arange(k), n_cells),
        start=np.tile(b, n_cells), end=np.tile(ends, n_cells), events=events.ravel(),
        exposure=exposure.ravel(), rate=rate.ravel(), std_err=se.ravel(), conf_level=_check_level(conf_level),
    )
