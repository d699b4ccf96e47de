"""Calibrated scenario parameters (what the engine simulates from) and the accrual distribution."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.simulate.piecewise import PiecewiseHazard

__all__ = ["AccrualPattern", "CalibratedScenario"]


@dataclass(frozen=True)
class AccrualPattern:
    """Piecewise-constant accrual intensity: ``rates[j]`` patients/year on ``[knots[j], knots[j+1])``.

    With the total fixed, enrolment times are independent draws from the density proportional to
    the rates (a Poisson process conditioned on its count), sorted.
    """

    knots: np.ndarray
    rates: np.ndarray

    @classmethod
    def from_periods(cls, durations: Sequence[float], rates: Sequence[float]) -> AccrualPattern:
        """Consecutive periods of the given durations (years) and rates (patients per year)."""
        d = np.asarray(durations, dtype=float)
        r = np.asarray(rates, dtype=float)
        if d.ndim != 1 or d.shape != r.shape or d.size == 0 or np.any(d <= 0) or np.any(r < 0) or r.sum() <= 0:
            raise InputError("accrual periods need positive durations and rates >= 0, at least one > 0")
        return cls(np.concatenate([[0.0], np.cumsum(d)]), r)

    @property
    def end(self) -> float:
        """End of accrual (years from study start)."""
        return float(self.knots[-1])

    @property
    def expected_n(self) -> float:
        """Expected number of patients: sum of rate x duration."""
        return float(np.sum(self.rates * np.diff(self.knots)))

    @property
    def first(self) -> float:
        """Start of the first period with a positive rate."""
        return float(self.knots[np.flatnonzero(self.rates > 0)[0]])

    def _cum(self) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(self.rates * np.diff(self.knots))]) / self.expected_n

    def cdf(self, x: Any) -> np.ndarray:
        """P(enrolment time <= x)."""
        return np.interp(np.asarray(x, dtype=float), self.knots, self._cum(), left=0.0, right=1.0)

    def quantile(self, u: Any) -> np.ndarray:
        """Inverse of :meth:`cdf` (right-continuous; pauses with rate 0 are skipped)."""
        uu = np.asarray(u, dtype=float)
        cum = self._cum()
        j = np.clip(np.searchsorted(cum, uu, side="left") - 1, 0, self.rates.size - 1)
        dens = self.rates[j] / self.expected_n
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(dens > 0, self.knots[j] + (uu - cum[j]) / dens, self.knots[j])
        return np.where(uu <= 0, self.first, t)


@dataclass(frozen=True)
class CalibratedScenario(HtmlReprMixin):
    """Simulation parameters solved from a scenario (see ``calibrate_scenario``). Times in years.

    Attributes
    ----------
    hazards : dict
        ``(stratum, arm) -> PiecewiseHazard`` of the DFS event (of the patients not cured).
    cure_fractions : dict
        ``(stratum, arm) -> share`` of patients who never have a DFS event (mixture cure model:
        ``S(t) = pi + (1 - pi) exp(-H(t))``); 0 where the scenario gives none.
    cause_shares : dict
        ``(stratum, arm) -> (E,)`` probability of each event type given a DFS event.
    fatal, relapse_death : numpy.ndarray of bool, (E,)
        Event types that are deaths; types followed by the post-relapse death hazard.
    post_relapse_death_rate : dict
        ``arm -> rate`` per year (0: never).
    n, arm_counts
        Fixed total and per-arm sizes, or None (Poisson total, randomized by ratio).
    cut_years, cut_events
        Data cut: years from study start, or the DFS event count (one of them, or neither).
    parameters : dict
        The scenario's free parameters as solved from its curve targets (empty if none).
    curve_fit : CurveFit or None
        The curve targets (published Cox HR, RMST difference) next to their model values.
    accrual_fit : AccrualFit or None
        The accrual's fit to the published numbers at risk, when solved from them.
    """

    name: str
    arms: tuple[str, ...]
    strata: tuple[str, ...]
    stratum_shares: np.ndarray
    hazards: dict[tuple[str, str], PiecewiseHazard]
    cure_fractions: dict[tuple[str, str], float]
    event_types: tuple[str, ...]
    fatal: np.ndarray
    relapse_death: np.ndarray
    cause_shares: dict[tuple[str, str], np.ndarray]
    post_relapse_death_rate: dict[str, float]
    dropout_rate: float
    accrual: AccrualPattern
    n: int | None
    arm_counts: dict[str, int] | None
    start_date: dt.date
    cut_years: float | None
    cut_events: int | None
    parameters: dict[str, float] = field(default_factory=dict)
    curve_fit: Any = None
    accrual_fit: Any = None

    @property
    def rmst_horizon(self) -> float | None:
        """The horizon (years) of the RMST curve target, if any (given, or solved from an arm's mean)."""
        return None if self.curve_fit is None else self.curve_fit.rmst_horizon

    @property
    def cut_date(self) -> dt.date | None:
        """Calendar date of a time-based data cut (None when cut by event count)."""
        if self.cut_years is None:
            return None
        return self.start_date + dt.timedelta(days=round(self.cut_years * 365.25))

    def _mix(self, arm: str, stratum: str | None, value: Any) -> float:
        if arm not in self.arms:
            raise InputError(f"unknown arm {arm!r}; allowed: {list(self.arms)}")
        if stratum is not None:
            if stratum not in self.strata:
                raise InputError(f"unknown stratum {stratum!r}; allowed: {list(self.strata)}")
            return float(value(stratum))
        return float(sum(w * value(s) for s, w in zip(self.strata, self.stratum_shares, strict=True)))

    def dfs_survival(self, t: float, arm: str, stratum: str | None = None) -> float:
        """Model DFS at ``t``; for the arm as a whole (strata mixed by their shares) if no stratum."""
        return self._mix(arm, stratum, lambda s: self._dfs(s, arm, t))

    def _dfs(self, stratum: str, arm: str, t: float) -> float:
        pi = self.cure_fractions[stratum, arm]
        return pi + (1.0 - pi) * float(self.hazards[stratum, arm].survival(t))

    def hazard_ratio(self, arm: str, reference: str, stratum: str) -> pd.DataFrame:
        """Ratio of the DFS hazards (of those not cured) of ``arm`` to ``reference`` in a stratum,
        one row per interval of their merged breaks (NaN where the reference hazard is 0)."""
        for a in (arm, reference):
            if a not in self.arms:
                raise InputError(f"unknown arm {a!r}; allowed: {list(self.arms)}")
        if stratum not in self.strata:
            raise InputError(f"unknown stratum {stratum!r}; allowed: {list(self.strata)}")
        h, r = self.hazards[stratum, arm], self.hazards[stratum, reference]
        b = np.union1d(h.breaks, r.breaks)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(r.hazard(b) > 0, h.hazard(b) / np.where(r.hazard(b) > 0, r.hazard(b), 1.0), np.nan)
        return pd.DataFrame({"start": b, "end": np.append(b[1:], np.inf), "hazard_ratio": ratio})

    def cumulative_incidence(self, t: float, arm: str, types: Sequence[str], stratum: str | None = None) -> float:
        """Model cumulative incidence at ``t`` of the union of event ``types``."""
        bad = [k for k in types if k not in self.event_types]
        if bad:
            raise InputError(f"unknown event type(s) {bad}; allowed: {list(self.event_types)}")
        mask = np.isin(self.event_types, list(types))
        return self._mix(
            arm, stratum, lambda s: self.cause_shares[s, arm][mask].sum() * (1 - self._dfs(s, arm, t))
        )

    def overall_survival(self, t: float, arm: str, stratum: str | None = None) -> float:
        """Model OS at ``t`` (fatal DFS events, and deaths after relapse at the arm's rate)."""
        from survtrial.simulate.calibrate import overall_survival_after_events

        def one(s: str) -> float:
            p = self.cause_shares[s, arm]
            return overall_survival_after_events(
                t,
                self.hazards[s, arm],
                fatal_share=float(p[self.fatal].sum()),
                relapse_share=float(p[self.relapse_death].sum()),
                death_rate=self.post_relapse_death_rate[arm],
                cure_fraction=self.cure_fractions[s, arm],
            )

        return self._mix(arm, stratum, one)

    def summary(self, t: float = 3.0) -> pd.DataFrame:
        """Model DFS, cumulative incidence per event type and OS at ``t``: per stratum x arm and per arm."""
        rows = []
        for a in self.arms:
            for s in (*self.strata, None):
                row: dict[str, Any] = {"arm": a, "stratum": "all" if s is None else s}
                row["dfs"] = self.dfs_survival(t, a, s)
                for k in self.event_types:
                    row[f"cif_{k}"] = self.cumulative_incidence(t, a, [k], s)
                row["os"] = self.overall_survival(t, a, s)
                rows.append(row)
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """The calibrated DFS hazards: one row per stratum x arm x interval (with the cell's cure
        fraction; ``survival_at_start`` is of the whole cell, cured included)."""
        parts = []
        for (s, a), h in self.hazards.items():
            f = h.to_frame()
            pi = self.cure_fractions[s, a]
            f["survival_at_start"] = pi + (1.0 - pi) * f["survival_at_start"]
            f.insert(0, "cure_fraction", pi)
            f.insert(0, "arm", a)
            f.insert(0, "stratum", s)
            parts.append(f)
        return pd.concat(parts, ignore_index=True)

    def __repr__(self) -> str:
        cut = (
            f"cut at {self.cut_years:.3f} y ({self.cut_date})"
            if self.cut_years is not None
            else (f"cut at DFS event {self.cut_events}" if self.cut_events else "no cut")
        )
        return (
            f"CalibratedScenario({self.name!r}: {len(self.strata)} strata x {len(self.arms)} arms, "
            f"n={self.n or 'Poisson'}, {cut})"
        )
