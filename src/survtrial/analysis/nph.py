"""When hazards may not be proportional: PH test, piecewise hazard ratios, MaxCombo and milestone comparisons."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from survtrial._repr import HtmlReprMixin
from survtrial.design.convention import design_z
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats.cox import CoxResult
from survtrial.stats.maxcombo import MaxComboResult, maxcombo_test
from survtrial.stats.milestone import MilestoneResult, milestone_test
from survtrial.stats.piecewise import PiecewiseHazardRatioResult, piecewise_hazard_ratio
from survtrial.stats.proportional_hazards import ProportionalHazardsTest, proportional_hazards_test

__all__ = ["PH_LEVEL", "NonProportionalHazards", "analyse_nph", "default_cut_points"]

#: A proportional-hazards test P below this makes the single hazard ratio a doubtful summary.
PH_LEVEL = 0.05


@dataclass(frozen=True)
class NonProportionalHazards(HtmlReprMixin):
    """What a report says about an effect that may change over time (primary endpoint).

    Attributes
    ----------
    ph_test : Grambsch-Therneau test of the (stratified) Cox model of the arm (R ``cox.zph``,
        ``transform = "km"``), with the scaled Schoenfeld residuals of the arm effect.
    piecewise : Cox hazard ratio per interval between ``cut_points`` (None when no cut point fits
        inside the follow-up).
    cut_points, cut_points_rule : the cut points (in the data's time unit) and where they come from
        ("given", or the tertiles of the event times).
    maxcombo : the MaxCombo test (FH(0,0), FH(0,0.5), FH(0.5,0), FH(0.5,0.5); two-sided), or None.
    milestone : Kaplan-Meier survival difference at ``milestone_time`` (None when the default
        milestone is beyond the follow-up of an arm; ``notes`` says so).
    notes : what a reader must know: intervals where an arm has no events (their hazard ratio is
        not estimable), a milestone left out, and the statistics' own warnings.
    reference, experimental : arm labels; hazard ratios are experimental / reference.
    """

    ph_test: ProportionalHazardsTest
    piecewise: PiecewiseHazardRatioResult | None
    cut_points: tuple[float, ...]
    cut_points_rule: str
    maxcombo: MaxComboResult | None
    milestone: MilestoneResult | None
    milestone_time: float
    reference: str
    experimental: str
    notes: tuple[str, ...] = field(default=())

    @property
    def ph_p_value(self) -> float:
        """The global P of the proportional-hazards test (the arm is the model's only term)."""
        return float(self.ph_test.global_test.p_value)

    @property
    def ph_doubtful(self) -> bool:
        """True when the PH test rejects at :data:`PH_LEVEL` (P < 0.05)."""
        return self.ph_p_value < PH_LEVEL

    @property
    def maxcombo_z(self) -> np.ndarray:
        """The MaxCombo components' z in survtrial's convention (> 0 favours the experimental arm)."""
        return np.array([design_z(float(z)) for z in self.maxcombo.z]) if self.maxcombo is not None else np.array([])

    def _html_lines(self) -> list[str]:
        return [f"NonProportionalHazards({self.experimental} vs {self.reference}: PH test P = "
                f"{self.ph_p_value:.3g}{', doubtful' if self.ph_doubtful else ''})"]

    def _html_tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables except the residuals (one row per event; ``tables()`` has them)."""
        return {k: v for k, v in self.tables().items() if k != "schoenfeld"}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The frames behind the report's tables, by short name (full precision, machine names)."""
        out = {"ph_test": self.ph_test.to_frame(), "schoenfeld": self.ph_test.residuals_frame()}
        if self.piecewise is not None:
            out["piecewise_hr"] = self.piecewise.summary().rename_axis("interval").reset_index()
        if self.maxcombo is not None:
            mc = self.maxcombo.to_frame()
            mc["z"] = self.maxcombo_z  # survtrial's sign, as every z a report shows
            out["maxcombo"] = pd.concat([mc, self.maxcombo.summary()[["test", "statistic", "p_value"]]
                                         .rename(columns={"statistic": "z"})], ignore_index=True)
        if self.milestone is not None:
            out["milestone"] = self.milestone.summary()
        return out


def default_cut_points(time: np.ndarray, event: np.ndarray) -> tuple[float, ...]:
    """The tertiles of the event times (both arms), rounded to two significant digits, kept when
    strictly inside (0, last follow-up) and distinct: two cut points, three intervals of about the
    same number of events.

    Examples
    --------
    >>> t = np.arange(1.0, 31.0)
    >>> default_cut_points(t, np.ones(30, dtype=int))
    (11.0, 20.0)
    """
    ev = np.sort(np.asarray(time, dtype=float)[np.asarray(event) == 1])
    if ev.size < 3:
        return ()
    last = float(np.max(time))
    out: list[float] = []
    for q in np.quantile(ev, [1 / 3, 2 / 3]):  # R quantile(type = 7)
        if q <= 0:
            continue
        digits = 1 - math.floor(math.log10(q))
        c = float(round(q, digits))
        if 0 < c < last and (not out or c > out[-1]):
            out.append(c)
    return tuple(out)


def _note(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, StatisticWarning)]


def analyse_nph(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str,
    reference: str,
    cox: CoxResult,
    strata: Any = None,
    cut_points: Sequence[float] | None = None,
    milestone: float,
    milestone_given: bool = True,
    maxcombo: bool = True,
    conf_level: float = 0.95,
) -> NonProportionalHazards:
    """The non-proportional-hazards part of a primary-endpoint analysis.

    Parameters
    ----------
    frame : one row per subject; ``time``, ``event``, ``arm`` name its columns.
    reference : the control arm.
    cox : the primary endpoint's Cox model of the arm (stratified as the analysis); its PH test.
    strata : one stratum label per row (the analysis' strata joined), or None.
    cut_points : cut points of the piecewise hazard ratio, in the unit of ``time`` (strictly
        increasing, strictly inside the follow-up); None: :func:`default_cut_points`.
    milestone : t* of the milestone comparison, in the unit of ``time``.
    milestone_given : False when ``milestone`` is a default (the landmark): beyond the follow-up it
        is then left out with a note instead of refused.
    maxcombo : compute the MaxCombo test.

    Notes
    -----
    PH test: :func:`~survtrial.stats.proportional_hazards_test` (R ``cox.zph(fit)``, KM time
    scale) of ``cox``. Piecewise hazard ratios: :func:`~survtrial.stats.piecewise_hazard_ratio`
    (R ``survSplit`` + ``coxph(... + arm:strata(tgroup))``), stratified as the analysis. MaxCombo:
    :func:`~survtrial.stats.maxcombo_test`, two-sided, stratified. Milestone:
    :func:`~survtrial.stats.milestone_test`, two-sided, unstratified Kaplan-Meier difference.
    An interval where an arm has no events is reported (hazard ratio 0 or infinite, not estimable),
    not refused.
    """
    t = frame[time].to_numpy(dtype=float)
    e = frame[event].to_numpy()
    g = frame[arm].astype(str).to_numpy()
    last = {a: float(t[g == a].max()) for a in pd.unique(g)}
    last_text = ", ".join(f"{a!r} {v:g}" for a, v in last.items())
    notes: list[str] = []
    if cut_points is None:
        cuts, rule = default_cut_points(t, e), "tertiles of the event times, rounded to two significant digits"
    else:
        cuts, rule = tuple(float(c) for c in cut_points), "given"
        bad = [c for c in cuts if not (0 < c < max(last.values()))]
        if any(b <= a for a, b in pairwise(cuts)):
            raise InputError(f"cut_points={list(cuts)}: cut points must be strictly increasing (sorted, no "
                             f"repeats), e.g. {sorted(set(cuts))}")
        if bad:
            raise InputError(f"cut_points={list(cuts)}: {bad} outside the follow-up; cut points must lie strictly "
                             f"between 0 and the last follow-up time. Last follow-up time per arm: {last_text}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticWarning)
        ph = proportional_hazards_test(cox)
        pw = None
        if cuts:
            pw = piecewise_hazard_ratio(t, e, g, strata=strata, cuts=list(cuts), reference=reference,
                                        conf_level=conf_level)
        mc = maxcombo_test(t, e, g, strata=strata, reference=reference) if maxcombo else None
        ms = None
        try:
            ms = milestone_test(t, e, g, milestone=milestone, reference=reference, conf_level=conf_level)
        except InputError:
            if milestone_given:
                raise
            notes.append(f"milestone comparison left out: the default milestone (the landmark, {milestone:g}) is "
                         f"beyond the follow-up of an arm (last follow-up time per arm: {last_text}); give one")
    notes = _note(caught) + notes
    if not cuts:
        notes.append("piecewise hazard ratios left out: fewer than three events, or no cut point inside the "
                     "follow-up")
    return NonProportionalHazards(ph_test=ph, piecewise=pw, cut_points=cuts, cut_points_rule=rule, maxcombo=mc,
                                  milestone=ms, milestone_time=float(milestone), reference=reference,
                                  experimental=next(a for a in last if a != reference), notes=tuple(notes))
