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
        """The analysis' stratum label of each row (columns joined by '/', as ``combined_key``)."""
        if "strata" not in self._cache:
            columns = list(self.twin.analysis.strata)
            key = None
            if columns:
                key = self.column(columns[0])
                for c in columns[1:]:
                    key = np.char.add(np.char.add(key.astype(str), "/"), self.column(c).astype(str))
                key = key.astype(str)
            self._cache["strata"] = key
        return self._cache["strata"]

    def logrank(self) -> LogRankResult:
        """The primary endpoint's log-rank test, stratified as the analysis."""
        ep = self.endpoint(self.twin.primary_endpoint)
        if ep is not None and ep.logrank is not None:
            return ep.logrank
        if "logrank" not in self._cache:
            spec = self.twin.endpoints[self.twin.primary_endpoint]
            self._cache["logrank"] = logrank_test(self.column(spec.time), self.column(spec.event), self.column("arm"),
                                                  strata=self._strata_key(), reference=self.twin.arms.control)
        return self._cache["logrank"]

    def events(self) -> float:
        """Primary-endpoint events in the two arms."""
        ep = self.endpoint(self.twin.primary_endpoint)
        if ep is not None:
            return float(ep.events.sum())
        spec = self.twin.endpoints[self.twin.primary_endpoint]
        arms = np.isin(self.column("arm"), [self.twin.arms.control, self.twin.arms.experimental])
        return float(np.nansum(self.column(spec.event)[arms]))

    def hazard_ratio(self, name: str) -> tuple[float, float, float]:
        """(HR, lower, upper) of an endpoint from its Cox model (fitted here, as the endpoint analysis
        fits it, when the fast path skipped the secondary endpoints' tests or on the direct path)."""
        ep = self.endpoint(name)
        if ep is not None and ep.cox is not None:
            return ep.hazard_ratio
        key = ("hr", name)
        if key not in self._cache:
            spec, (ref, exp) = self.twin.endpoints[name], (self.twin.arms.control, self.twin.arms.experimental)
            arm = self.column("arm")
            if np.isin(arm, [ref, exp]).all():  # the treatment-coded column itself: arm[T.exp]
                covariates: Any = (arm == exp).astype(np.float64)
                names: list[str] | None = [f"arm[T.{exp}]"]
                reference = None
            else:
                covariates = pd.DataFrame({"arm": pd.Categorical(arm, categories=[ref, exp])})
                names, reference = None, {"arm": ref}
            cox = cox_ph(self.column(spec.time), self.column(spec.event), covariates, names=names,
                         strata=self._strata_key(), reference=reference)
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
        """A column of the frame as a numpy array (labels as numpy str), converted once."""
        key = ("column", name)
        if key not in self._cache:
            c = self.frame[name]
            if isinstance(c.dtype, pd.CategoricalDtype) and (c.cat.codes.to_numpy() >= 0).all():
                labels = np.asarray(c.cat.categories.astype(str), dtype=str)  # the labels once, not per row
                value = labels[c.cat.codes.to_numpy()]
            elif pd.api.types.is_numeric_dtype(c) and not pd.api.types.is_bool_dtype(c):
                value = c.to_numpy()
            else:
                value = np.asarray(c.astype(str).to_numpy(), dtype=str)
            self._cache[key] = value
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
            out: dict[tuple[str, float], tuple[float, float, float]] = {}
            if lm is not None:
                cols = [lm[c].to_numpy() for c in ("arm", "time", "survival", "std_err", "n_risk")]
                for arm, t, s, se, n in zip(*cols, strict=True):
                    out[(str(arm), float(t))] = (float(s), float(se), float(n))
            else:
                km = self.km(name, stratum)
                if km is not None:  # the numbers of km.survival_at(times), without its frame
                    v = km.values_at(times, columns=("survival", "std_err", "n_risk"))
                    for i, arm in enumerate(km.groups):
                        for j, t in enumerate(times):
                            out[(str(arm), float(t))] = (float(v["survival"][i, j]), float(v["std_err"][i, j]),
                                                         float(v["n_risk"][i, j]))
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
        diff = float(restricted_mean_survival_time(d.column(spec.time), d.column(spec.event), d.column("arm"),
                                                   tau=tau, reference=d.twin.arms.control).difference)
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
            cif = {}  # empty: no event of any cause in the trial
            if causes:  # the estimates only: the analysis's SEs are not read here
                res = aalen_johansen(d.column(spec.time).astype(float), codes, d.column("arm"),
                                     causes=dict(enumerate(causes, start=1)), jackknife=False)
                v = res.values_at([h.at], columns=["cif"])["cif"]
                cif = {(str(g), str(c)): float(v[i, j, 0]) for i, g in enumerate(res.groups)
                       for j, c in enumerate(res.causes)}
            d._cache[key] = cif
        else:
            tab = comp.landmarks.rename(columns={"arm": "group"})
            tab = tab[tab["time"] == h.at] if (tab["time"] == h.at).any() else comp.cuminc.at([h.at])
            d._cache[key] = {(str(r.group), str(r.cause)): float(r.cif) for r in tab.itertuples(index=False)}
    cif = d._cache[key]
    return sum(100 * cif.get((h.arm, c), 0.0) for c in h.causes)


def toxicity_rate(h: Headline, d: TwinData) -> float:
    """Percent of the arm's patients with the toxicity column true (NaN when the data lack the column)."""
    if h.column not in d.frame.columns:
        return np.nan
    in_arm = d.column("arm") == h.arm
    return 100 * float(np.mean(d.frame[h.column].to_numpy()[in_arm]))


def median_follow_up(h: Headline, d: TwinData) -> float:
    """Median follow-up by the reverse Kaplan-Meier method (censoring as the event) of the endpoint."""
    spec = d.twin.endpoints[d.twin.endpoint_of(h)]
    rev = kaplan_meier(d.column(spec.time), 1 - d.column(spec.event))
    return float(rev.quantile_values(0.5, limits=False)[0][0, 0])


def median_survival(h: Headline, d: TwinData) -> float:
    """Kaplan-Meier median of the arm (R's rule; NaN when the curve does not reach 0.5)."""
    name = d.twin.endpoint_of(h)
    key = ("median", name)
    if key not in d._cache:
        km = d.km(name, None)
        est = km.quantile_values(0.5, limits=False)[0][:, 0]
        d._cache[key] = {str(g): float(v) for g, v in zip(km.groups, est, strict=True)}
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
