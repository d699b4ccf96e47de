"""Piecewise-constant accrual over calendar time solved from published numbers at risk (least squares, rates >= 0)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.stats import _piecewise_exp as pe

__all__ = ["AccrualFit", "solve_accrual_from_at_risk"]

DAYS_PER_YEAR = 365.25


def _date(value: Any, role: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{role}: {value!r} is not a date; write YYYY-MM-DD") from None


def _years(d: dt.date, start: dt.date) -> float:
    return (d - start).days / DAYS_PER_YEAR


@dataclass(frozen=True, repr=False)
class AccrualFit(HtmlReprMixin):
    """Accrual rates per calendar piece and the numbers at risk they imply (see :func:`solve_accrual_from_at_risk`).

    Attributes
    ----------
    accrual_start, data_cut : dates; ``cut`` the data cut in years after the accrual start.
    piece_start, piece_end : (J,) calendar pieces in years after the accrual start.
    rate : (J,) patients randomized per year in each piece; ``patients`` = rate x length.
    total : patients randomized by the cut (the constraint; ``rate`` reproduces it).
    arms, years : labels and follow-up times of the published numbers at risk.
    published, fitted : (arms, years) published numbers at risk and their expectation under the fit.
    """

    accrual_start: dt.date
    data_cut: dt.date
    cut: float
    piece_start: np.ndarray
    piece_end: np.ndarray
    rate: np.ndarray
    patients: np.ndarray
    total: float
    arms: tuple[str, ...]
    years: np.ndarray
    published: np.ndarray
    fitted: np.ndarray

    def cumulative(self, x: Any) -> np.ndarray:
        """Patients randomized by ``x`` years after the accrual start."""
        x = np.asarray(x, dtype=float)
        inside = np.clip(x[..., None] - self.piece_start, 0.0, self.piece_end - self.piece_start)
        return (inside * self.rate).sum(axis=-1)

    def follow_up(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, share of patients with potential follow-up >= time) at its knots; linear between.

        This is the administrative-censoring curve G of the accrual, e.g. for
        :class:`~survtrial.stats.piecewise_solve.HazardRatioTarget` ``censoring=``.
        """
        knots = np.unique(np.concatenate([[0.0], self.cut - self.piece_start, self.cut - self.piece_end]))
        knots = knots[(knots >= 0) & (knots <= self.cut)]
        return knots, self.cumulative(self.cut - knots) / self.total

    def to_frame(self, what: str = "pieces"):
        """``"pieces"``: start/end dates and years, rate per year, patients. ``"at_risk"``: arm, year,
        published, fitted, difference, relative difference."""
        import pandas as pd

        if what == "pieces":
            def day(x: float) -> dt.date:
                return self.accrual_start + dt.timedelta(days=round(x * DAYS_PER_YEAR))

            return pd.DataFrame({
                "start": [day(x) for x in self.piece_start], "end": [day(x) for x in self.piece_end],
                "start_years": self.piece_start, "end_years": self.piece_end,
                "rate_per_year": self.rate, "patients": self.patients,
            })
        if what == "at_risk":
            a, y = np.meshgrid(np.arange(len(self.arms)), np.arange(self.years.size), indexing="ij")
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = (self.fitted - self.published) / self.published
            return pd.DataFrame({
                "arm": np.asarray(self.arms)[a.ravel()], "year": self.years[y.ravel()],
                "published": self.published.ravel(), "fitted": self.fitted.ravel(),
                "difference": (self.fitted - self.published).ravel(), "relative_difference": rel.ravel(),
            })
        raise InputError(f"what={what!r}: use 'pieces' or 'at_risk'")

    def summary(self):
        """Published vs fitted numbers at risk."""
        return self.to_frame("at_risk")

    def __repr__(self) -> str:
        worst = np.nanmax(np.abs(self.fitted - self.published) / np.maximum(self.published, 1))
        rates = ", ".join(f"{r:.0f}" for r in self.rate)
        return (f"AccrualFit({self.total:.0f} patients from {self.accrual_start} to {self.data_cut}; "
                f"{self.rate.size} pieces)\n  rates per year: {rates}\n"
                f"  largest relative at-risk difference: {100 * worst:.1f}%")


def _survival_functions(hazards: Any, arms: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for a in arms:
        if hasattr(hazards, "rates") and hasattr(hazards, "breaks"):
            out[a] = (np.asarray(hazards.breaks, float), np.asarray(hazards.rates(a), float))
            continue
        if not isinstance(hazards, Mapping) or a not in hazards:
            raise InputError(f"hazards: no hazards for arm {a!r}; give a mapping arm -> (breaks, rates) or a "
                             f"PiecewiseHazardSolution")
        b, r = (np.asarray(x, dtype=float) for x in hazards[a])
        if b.ndim != 1 or b.size != r.size or b[0] != 0 or np.any(np.diff(b) <= 0) or np.any(r < 0):
            raise InputError(f"hazards[{a!r}]: breaks must start at 0 and increase, one rate >= 0 per piece")
        out[a] = (b, r)
    return out


def solve_accrual_from_at_risk(
    at_risk: Mapping[str, Sequence[float]],
    years: Sequence[float],
    *,
    accrual_start: Any,
    data_cut: Any,
    hazards: Any,
    dropout: float | Mapping[str, float] = 0.0,
    breaks: Sequence[Any] | None = None,
    total: float | None = None,
) -> AccrualFit:
    """Accrual rates over calendar time that reproduce published numbers at risk by follow-up year.

    Parameters
    ----------
    at_risk : mapping arm -> numbers at risk at ``years`` (as printed under a KM figure).
    years : follow-up times of the numbers at risk (years since randomization).
    accrual_start, data_cut : dates (``datetime.date`` or ``"YYYY-MM-DD"``).
    hazards : mapping arm -> (breaks, rates) of the event (e.g. DFS) hazards, or a
        :class:`~survtrial.stats.piecewise_solve.PiecewiseHazardSolution`.
    dropout : exponential loss-to-follow-up rate per year, one for all arms or per arm.
    breaks : calendar starts of the accrual pieces after the start (dates, or years after the start).
        Default: the cut minus each published year, so that the piece ``[cut - y - 1, cut - y)`` is
        the one the numbers at risk at year y and y + 1 tell apart.
    total : patients randomized by the cut; default the sum of the numbers at risk at year 0.

    Returns
    -------
    AccrualFit

    Notes
    -----
    A patient randomized at calendar time e (years after the start) is at risk at follow-up y when
    ``e <= cut - y`` and neither the event nor dropout has happened: the expected number at risk is
    ``n_a(y) = p_a S_a(y) exp(-dropout_a y) R(cut - y)``, with ``R`` the cumulative accrual and ``p_a``
    the arm's share at year 0. With piecewise-constant rates ``R`` is linear in them, so the rates
    solve a linear least-squares problem with rates >= 0 (scipy ``lsq_linear``, bounded-variable),
    each published count weighted by ``1 / sqrt(n)`` (its Poisson SD) and ``R(cut) = total`` imposed
    (as a row weighted 10^6 times more; met to 1e-6 patients). More pieces than published years
    leave some rates undetermined: an InputError.

    Examples
    --------
    >>> fit = solve_accrual_from_at_risk({"a": [100, 60]}, [0, 1], accrual_start="2020-01-01",
    ...                                  data_cut="2022-01-01", hazards={"a": ([0], [0.0])})
    >>> fit.rate.round(1).tolist(), fit.fitted.round(6).tolist()
    ([59.9, 40.0], [[100.0, 60.0]])
    """
    start, cut_date = _date(accrual_start, "accrual_start"), _date(data_cut, "data_cut")
    cut = _years(cut_date, start)
    if not cut > 0:
        raise InputError(f"data_cut {cut_date} must come after accrual_start {start}")
    y = np.asarray(years, dtype=float)
    if y.ndim != 1 or y.size == 0 or np.any(y < 0) or np.any(np.diff(y) <= 0):
        raise InputError(f"years={list(np.atleast_1d(years))}: follow-up times must be >= 0 and increasing")
    if np.any(y >= cut):
        raise InputError(f"years: {float(y[y >= cut][0]):g} is not before the data cut ({cut:.3f} years after "
                         f"the start); nobody can have that much follow-up")
    arms = tuple(str(a) for a in at_risk)
    if not arms:
        raise InputError("at_risk: give the numbers at risk of at least one arm")
    pub = np.array([np.asarray(at_risk[a], dtype=float) for a in at_risk])
    if pub.shape != (len(arms), y.size):
        raise InputError(f"at_risk: each arm needs {y.size} numbers (one per year in {y.tolist()})")
    if np.any(pub < 0) or np.any(np.diff(pub, axis=1) > 0):
        raise InputError("at_risk: numbers at risk must be >= 0 and non-increasing over the years")
    if total is None:
        if y[0] != 0:
            raise InputError("total: give the patients randomized, or include year 0 in the numbers at risk")
        total = float(pub[:, 0].sum())
    share = pub[:, 0] / pub[:, 0].sum() if y[0] == 0 else np.full(len(arms), 1 / len(arms))
    drop = {a: float(dropout[a] if isinstance(dropout, Mapping) else dropout) for a in arms}
    surv = _survival_functions(hazards, arms)
    # Calendar pieces.
    if breaks is None:
        inner = cut - y[(cut - y > 0) & (cut - y < cut)]
    else:
        inner = np.array([_years(_date(b, "breaks"), start) if not isinstance(b, (int, float)) else float(b)
                          for b in breaks])
        if np.any((inner <= 0) | (inner >= cut)):
            raise InputError("breaks: accrual piece starts must lie strictly between the accrual start and the cut")
    edges = np.unique(np.concatenate([[0.0], inner, [cut]]))
    lo, hi = edges[:-1], edges[1:]
    # Design: A[(arm, year), piece] = p_a S_a(y) D_a(y) |[lo, hi) n [0, cut - y]|.
    rows = []
    for i, a in enumerate(arms):
        b, r = surv[a]
        factor = share[i] * pe.survival(b, r, y) * np.exp(-drop[a] * y)
        rows.append(factor[:, None] * np.clip((cut - y)[:, None] - lo, 0.0, hi - lo))
    design = np.vstack(rows)
    target = pub.ravel()
    w = 1.0 / np.sqrt(np.maximum(target, 1.0))
    heavy = 1e6 * w.max()
    a_w = np.vstack([design * w[:, None], heavy * (hi - lo)[None, :]])
    b_w = np.concatenate([target * w, [heavy * total]])
    if np.linalg.matrix_rank(a_w) < lo.size:
        raise InputError(f"{lo.size} accrual pieces but the numbers at risk determine fewer: use fewer breaks "
                         f"(default: one piece per published year)")
    from scipy import optimize  # here: a calibration read from the cache needs no solver

    sol = optimize.lsq_linear(a_w, b_w, bounds=(0.0, np.inf), method="bvls", tol=1e-15)
    rate = sol.x
    if abs(rate @ (hi - lo) - total) > 1e-6 * max(total, 1.0):
        raise InputError("accrual: the total randomized could not be met with non-negative rates")
    return AccrualFit(
        accrual_start=start, data_cut=cut_date, cut=cut, piece_start=lo, piece_end=hi, rate=rate,
        patients=rate * (hi - lo), total=float(total), arms=arms, years=y, published=pub,
        fitted=(design @ rate).reshape(pub.shape),
    )
