"""The twin's headline kinds: one function per kind, reading the trial analysis (or the patient frame) it was asked for.

Each function takes a :class:`~survtrial.workflows.twin_spec.Headline` and a :class:`TwinData`
(the twin definition, its analysis and the patient frame) and returns the twin's value, in the unit
the paper uses (percent for survival, incidences and rates). A value that cannot be computed (a
landmark beyond the follow-up, a median not reached) is NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from survtrial.analysis.endpoint import EndpointAnalysis, analyse_endpoint
from survtrial.analysis.trial import TrialAnalysis
from survtrial.stats.km import KaplanMeierResult, kaplan_meier
from survtrial.workflows.twin_spec import Headline, TwinSpec

__all__ = ["HEADLINE_KINDS", "TwinData", "headline_value"]

_PER_YEAR = {"days": 365.25, "months": 12.0, "years": 1.0}


@dataclass
class TwinData:
    """One analysed trial (simulated or real) of a twin; results shared between headlines are cached."""

    twin: TwinSpec
    analysis: TrialAnalysis
    frame: pd.DataFrame
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def endpoint(self, name: str) -> EndpointAnalysis:
        """The analysis of an endpoint, with its Cox model (computed here when the fast path skipped it)."""
        a = self.analysis
        ep = a.primary if name == self.twin.primary_endpoint else a.secondary[name]
        if ep.cox is not None:
            return ep
        key = ("tests", name)
        if key not in self._cache:
            spec = self.twin.endpoints[name]
            self._cache[key] = analyse_endpoint(
                self.frame, time=spec.time, event=spec.event, arm="arm", reference=self.twin.arms.control,
                strata=self.twin.analysis.strata, landmarks=(a.landmark,), tau=None, endpoint=name)
        return self._cache[key]

    def km(self, name: str, stratum: str | None) -> KaplanMeierResult:
        ep = self.analysis.primary if name == self.twin.primary_endpoint else self.analysis.secondary[name]
        if stratum is None:
            return ep.km
        key = ("km", name, stratum)
        if key not in self._cache:
            if name == self.twin.primary_endpoint:
                self._cache[key] = ep.km_by_stratum.get(stratum)
            else:
                spec = self.twin.endpoints[name]
                sub = self.frame[self.frame[self.twin.analysis.strata[0]].astype(str) == stratum]
                self._cache[key] = kaplan_meier(spec.time, spec.event, "arm", data=sub) if len(sub) else None
        return self._cache[key]

    def landmarks(self, name: str, stratum: str | None) -> pd.DataFrame | None:
        """S(t), SE and n at risk per arm at every time the twin's headlines ask of this endpoint and stratum."""
        key = ("at", name, stratum)
        if key not in self._cache:
            km = self.km(name, stratum)
            times = sorted({h.at for h in self.twin.headlines.values()
                            if h.kind in ("survival", "at_risk") and self.twin.endpoint_of(h) == name
                            and h.stratum == stratum})
            self._cache[key] = None if km is None else km.survival_at(times).set_index(["group", "time"])
        return self._cache[key]


def _landmark(h: Headline, d: TwinData, column: str) -> float:
    tab = d.landmarks(d.twin.endpoint_of(h), h.stratum)
    if tab is None or (h.arm, h.at) not in tab.index:
        return np.nan
    return float(tab.loc[(h.arm, h.at), column])


def survival(h: Headline, d: TwinData) -> float:
    """Kaplan-Meier S(at) of the arm (within a stratum of the first stratification column), percent."""
    return 100 * _landmark(h, d, "survival")


def survival_se(h: Headline, d: TwinData) -> float:
    """Greenwood SE of :func:`survival`, percent."""
    return 100 * _landmark(h, d, "std_err")


def at_risk(h: Headline, d: TwinData) -> float:
    """Patients of the arm with follow-up >= at (the number printed under a Kaplan-Meier figure)."""
    return _landmark(h, d, "n_risk")


def hazard_ratio(h: Headline, d: TwinData) -> float:
    """Cox hazard ratio, experimental / control, stratified as the analysis (Efron ties)."""
    return d.endpoint(d.twin.endpoint_of(h)).hazard_ratio[0]


def hazard_ratio_limits(h: Headline, d: TwinData) -> tuple[float, float]:
    """95% Wald limits of :func:`hazard_ratio`."""
    _, lo, hi = d.endpoint(d.twin.endpoint_of(h)).hazard_ratio
    return lo, hi


def rmst_difference(h: Headline, d: TwinData) -> float:
    """Restricted mean survival time, experimental - control, to ``tau`` (default the analysis horizon)."""
    name = d.twin.endpoint_of(h)
    tau = h.tau if h.tau is not None else d.twin.analysis.rmst.years
    ep = d.analysis.primary
    if name == d.twin.primary_endpoint and ep.rmst is not None and d.analysis.tau == tau:
        diff = float(ep.rmst.difference)
    else:
        from survtrial.stats.rmst import restricted_mean_survival_time

        spec = d.twin.endpoints[name]
        diff = float(restricted_mean_survival_time(spec.time, spec.event, "arm", data=d.frame, tau=tau,
                                                   reference=d.twin.arms.control).difference)
    return diff * _PER_YEAR[h.unit]


def cumulative_incidence(h: Headline, d: TwinData) -> float:
    """Aalen-Johansen cumulative incidence at ``at`` of the union of ``causes`` in the arm, percent
    (the sum of the causes' incidences; a cause with no event in the trial counts 0)."""
    name = d.twin.endpoint_of(h)
    key = ("cif", name, h.at)
    if key not in d._cache:
        comp = d.analysis.competing if name == d.twin.primary_endpoint else None
        if comp is None:
            from survtrial.analysis.competing import analyse_competing_risks

            spec = d.twin.endpoints[name]
            comp = analyse_competing_risks(d.frame, time=spec.time, event_type=spec.event_type, arm="arm",
                                           landmarks=(h.at,), test=False)
        tab = comp.cuminc.at([h.at])
        d._cache[key] = {(str(r.group), str(r.cause)): float(r.cif) for r in tab.itertuples(index=False)}
    cif = d._cache[key]
    return sum(100 * cif.get((h.arm, c), 0.0) for c in h.causes)


def toxicity_rate(h: Headline, d: TwinData) -> float:
    """Percent of the arm's patients with the toxicity column true (NaN when the data lack the column)."""
    if h.column not in d.frame.columns:
        return np.nan
    return 100 * float(d.frame.loc[d.frame["arm"] == h.arm, h.column].mean())


def median_follow_up(h: Headline, d: TwinData) -> float:
    """Median follow-up by the reverse Kaplan-Meier method (censoring as the event) of the endpoint."""
    spec = d.twin.endpoints[d.twin.endpoint_of(h)]
    rev = kaplan_meier(d.frame[spec.time], 1 - d.frame[spec.event])
    return float(rev.median()["estimate"].iloc[0])


def median_survival(h: Headline, d: TwinData) -> float:
    """Kaplan-Meier median of the arm (R's rule; NaN when the curve does not reach 0.5)."""
    name = d.twin.endpoint_of(h)
    key = ("median", name)
    if key not in d._cache:
        med = d.km(name, None).median()
        d._cache[key] = dict(zip(med["group"].astype(str), med["estimate"].astype(float), strict=True))
    return d._cache[key].get(h.arm, np.nan)


HEADLINE_KINDS: dict[str, Callable[[Headline, TwinData], float]] = {
    "survival": survival,
    "hazard_ratio": hazard_ratio,
    "rmst_difference": rmst_difference,
    "cumulative_incidence": cumulative_incidence,
    "toxicity_rate": toxicity_rate,
    "median_follow_up": median_follow_up,
    "at_risk": at_risk,
    "median_survival": median_survival,
}


def headline_value(h: Headline, d: TwinData) -> float:
    """The value of one headline for one analysed trial."""
    return float(HEADLINE_KINDS[h.kind](h, d))
