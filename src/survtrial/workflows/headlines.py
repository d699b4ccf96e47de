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

from survtrial.analysis._frames import combined_key
from survtrial.analysis.endpoint import EndpointAnalysis
from survtrial.analysis.trial import TrialAnalysis
from survtrial.stats.cox import cox_ph
from survtrial.stats.km import KaplanMeierResult, kaplan_meier
from survtrial.stats.logrank import LogRankResult, logrank_test
from survtrial.workflows.twin_spec import Headline, TwinSpec

__all__ = ["HEADLINE_KINDS", "TwinData", "headline_value"]

_PER_YEAR = {"days": 365.25, "months": 12.0, "years": 1.0}


@dataclass
class TwinData:
    """One trial (simulated or real) of a twin and what its headlines read; results shared between
    headlines are cached.

    ``analysis`` is the trial analysis the headlines read where it holds them; None is the direct
    path of replicate runs: each number comes from the same ``survtrial.stats`` call, with the same
    arguments, the analysis would make (:func:`~survtrial.analysis.endpoint.analyse_endpoint`), and
    only the numbers the twin's headlines ask for are computed (no tables, no frames).
    """

    twin: TwinSpec
    analysis: TrialAnalysis | None
    frame: pd.DataFrame
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def endpoint(self, name: str) -> EndpointAnalysis | None:
        """The analysis of an endpoint (None on the direct path)."""
        a = self.analysis
        if a is None:
            return None
        return a.primary if name == self.twin.primary_endpoint else a.secondary.get(name)

    def _strata_key(self) -> np.ndarray | None:
        if "strata" not in self._cache:
            self._cache["strata"] = combined_key(self.frame, list(self.twin.analysis.strata))
        return self._cache["strata"]

    def logrank(self) -> LogRankResult:
        """The primary endpoint's log-rank test, stratified as the analysis."""
        ep = self.endpoint(self.twin.primary_endpoint)
        if ep is not None and ep.logrank is not None:
            return ep.logrank
        if "logrank" not in self._cache:
            spec = self.twin.endpoints[self.twin.primary_endpoint]
            self._cache["logrank"] = logrank_test(spec.time, spec.event, "arm", data=self.frame,
                                                  strata=self._strata_key(), reference=self.twin.arms.control)
        return self._cache["logrank"]

    def events(self) -> float:
        """Primary-endpoint events in the two arms."""
        ep = self.endpoint(self.twin.primary_endpoint)
        if ep is not None:
            return float(ep.events.sum())
        spec = self.twin.endpoints[self.twin.primary_endpoint]
        arms = self.frame["arm"].astype(str).isin([self.twin.arms.control, self.twin.arms.experimental])
        return float(self.frame.loc[arms.to_numpy(), spec.event].sum())

    def hazard_ratio(self, name: str) -> tuple[float, float, float]:
        """(HR, lower, upper) of an endpoint from its Cox model (fitted here, as the endpoint analysis
        fits it, when the fast path skipped the secondary endpoints' tests or on the direct path)."""
        ep = self.endpoint(name)
        if ep is not None and ep.cox is not None:
            return ep.hazard_ratio
        key = ("hr", name)
        if key not in self._cache:
            spec, (ref, exp) = self.twin.endpoints[name], (self.twin.arms.control, self.twin.arms.experimental)
            f = self.frame
            arm = pd.Categorical(f["arm"].astype(str), categories=[ref, exp])
            cox = cox_ph(f[spec.time].to_numpy(), f[spec.event].to_numpy(), pd.DataFrame({"arm": arm}),
                         strata=self._strata_key(), reference={"arm": ref})
            ci = cox.confidence_interval()
            self._cache[key] = (float(cox.hazard_ratio[0]), float(ci.low[0]), float(ci.high[0]))
        return self._cache[key]

    def km(self, name: str, stratum: str | None) -> KaplanMeierResult | None:
        """Kaplan-Meier by arm of an endpoint, overall or within a level of the first stratum column."""
        key = ("km", name, stratum)
        if key not in self._cache:
            ep = self.endpoint(name)
            if ep is not None and stratum is None:
                self._cache[key] = ep.km
            elif ep is not None and name == self.twin.primary_endpoint:
                self._cache[key] = ep.km_by_stratum.get(stratum)
            else:
                spec = self.twin.endpoints[name]
                t, e, arm = self.column(spec.time), self.column(spec.event), self.column("arm")
                if stratum is not None:
                    keep = self.column(self.twin.analysis.strata[0]) == stratum
                    t, e, arm = t[keep], e[keep], arm[keep]
                self._cache[key] = kaplan_meier(t, e, arm) if t.size else None
        return self._cache[key]

    def column(self, name: str) -> np.ndarray:
        """A column of the frame as a numpy array (labels as str), converted once."""
        key = ("column", name)
        if key not in self._cache:
            c = self.frame[name]
            numeric = pd.api.types.is_numeric_dtype(c) and not pd.api.types.is_bool_dtype(c)
            self._cache[key] = c.to_numpy() if numeric else c.astype(str).to_numpy()
        return self._cache[key]

    def landmarks(self, name: str, stratum: str | None) -> dict[tuple[str, float], tuple[float, float, float]]:
        """(arm, time) -> (S(t), SE, n at risk) at every time the twin's headlines ask of this endpoint
        and stratum (the analysis's own landmark rows where they hold the time)."""
        key = ("at", name, stratum)
        if key not in self._cache:
            times = sorted({h.at for h in self.twin.headlines.values()
                            if h.kind in ("survival", "at_risk") and self.twin.endpoint_of(h) == name
                            and h.stratum == stratum})
            ep = self.endpoint(name)
            lm = None
            if ep is not None:
                lm = ep.landmarks[ep.landmarks["stratum"] == ("all" if stratum is None else stratum)]
                if not set(times) <= set(lm["time"]):
                    lm = None
            if lm is None:
                km = self.km(name, stratum)
                lm = None if km is None else km.survival_at(times).rename(columns={"group": "arm"})
            out: dict[tuple[str, float], tuple[float, float, float]] = {}
            if lm is not None:
                cols = [lm[c].to_numpy() for c in ("arm", "time", "survival", "std_err", "n_risk")]
                for arm, t, s, se, n in zip(*cols, strict=True):
                    out[(str(arm), float(t))] = (float(s), float(se), float(n))
            self._cache[key] = out
        return self._cache[key]


def _landmark(h: Headline, d: TwinData, column: int) -> float:
    row = d.landmarks(d.twin.endpoint_of(h), h.stratum).get((h.arm, h.at))
    return np.nan if row is None else row[column]


def survival(h: Headline, d: TwinData) -> float:
    """Kaplan-Meier S(at) of the arm (within a stratum of the first stratification column), percent."""
    return 100 * _landmark(h, d, 0)


def survival_se(h: Headline, d: TwinData) -> float:
    """Greenwood SE of :func:`survival`, percent."""
    return 100 * _landmark(h, d, 1)


def at_risk(h: Headline, d: TwinData) -> float:
    """Patients of the arm with follow-up >= at (the number printed under a Kaplan-Meier figure)."""
    return _landmark(h, d, 2)


def hazard_ratio(h: Headline, d: TwinData) -> float:
    """Cox hazard ratio, experimental / control, stratified as the analysis (Efron ties)."""
    return d.hazard_ratio(d.twin.endpoint_of(h))[0]


def hazard_ratio_limits(h: Headline, d: TwinData) -> tuple[float, float]:
    """95% Wald limits of :func:`hazard_ratio`."""
    _, lo, hi = d.hazard_ratio(d.twin.endpoint_of(h))
    return lo, hi


def rmst_difference(h: Headline, d: TwinData) -> float:
    """Restricted mean survival time, experimental - control, to ``tau`` (default the analysis horizon)."""
    name = d.twin.endpoint_of(h)
    tau = h.tau if h.tau is not None else d.twin.analysis.rmst.years
    ep = d.endpoint(name)
    if name == d.twin.primary_endpoint and ep is not None and ep.rmst is not None and d.analysis.tau == tau:
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
        comp = d.analysis.competing if d.analysis is not None and name == d.twin.primary_endpoint else None
        if comp is None:  # the Aalen-Johansen estimate analyse_competing_risks makes, without its tables
            from survtrial.stats.cuminc import cumulative_incidence as aalen_johansen

            spec = d.twin.endpoints[name]
            types = d.column(spec.event_type)
            causes = sorted(set(types.tolist()) - {"censored"})
            codes = np.zeros(types.size, dtype=np.int64)
            for k, c in enumerate(causes, start=1):
                codes[types == c] = k
            tab = aalen_johansen(d.column(spec.time).astype(float), codes, d.column("arm"),
                                 causes=dict(enumerate(causes, start=1))).at([h.at]) if causes else None
        else:
            tab = comp.landmarks.rename(columns={"arm": "group"})
            tab = tab[tab["time"] == h.at] if (tab["time"] == h.at).any() else comp.cuminc.at([h.at])
        d._cache[key] = {} if tab is None else {  # None: no event of any cause in the trial
            (str(r.group), str(r.cause)): float(r.cif) for r in tab.itertuples(index=False)}
    cif = d._cache[key]
    return sum(100 * cif.get((h.arm, c), 0.0) for c in h.causes)


def toxicity_rate(h: Headline, d: TwinData) -> float:
    """Percent of the arm's patients with the toxicity column true (NaN when the data lack the column)."""
    if h.column not in d.frame.columns:
        return np.nan
    in_arm = d.frame["arm"].to_numpy() == h.arm
    return 100 * float(np.mean(d.frame[h.column].to_numpy()[in_arm]))


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
