"""One time-to-event endpoint of a two-arm trial analysed as a trial report does: KM, log-rank, Cox, landmarks, RMST."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survtrial.analysis._frames import combined_key
from survtrial.errors import InputError
from survtrial.stats.cox import CoxResult, cox_ph
from survtrial.stats.km import KaplanMeierResult, kaplan_meier
from survtrial.stats.logrank import LogRankResult, logrank_test

__all__ = ["EndpointAnalysis", "analyse_endpoint", "arm_levels"]


def arm_levels(values: pd.Series, reference: str | None) -> tuple[str, str]:
    """Return (reference, experimental) arm labels of a two-arm trial, checking the reference exists."""
    levels = sorted(pd.Series(values).astype(str).unique())
    if len(levels) != 2:
        raise InputError(
            f"arm: the analysis needs exactly two arms, found {len(levels)}: {levels}; "
            f"filter the data to two arms"
        )
    if reference is None:
        reference = levels[0]
    if str(reference) not in levels:
        raise InputError(f"reference arm {reference!r} not found; arms are {levels}")
    other = levels[1] if levels[0] == str(reference) else levels[0]
    return str(reference), other


@dataclass(frozen=True)
class EndpointAnalysis:
    """Everything a trial report says about one endpoint, comparing experimental with reference arm.

    Attributes
    ----------
    endpoint : name (e.g. ``"DFS"``).
    reference, experimental : arm labels; hazard ratios are experimental / reference.
    km : Kaplan-Meier per arm (log-log CIs unless chosen otherwise).
    km_by_stratum : Kaplan-Meier per arm within each stratum level.
    logrank : stratified log-rank test (unstratified when no strata were given); None when
        ``tests=False``.
    cox : Cox model with the arm as the only covariate, stratified like the log-rank test; None
        when ``tests=False``.
    landmarks : S(t) +- SE with CI per arm (and per stratum) at each landmark time.
    rmst : restricted mean survival time per arm and the difference, or None if not requested.
    n : subjects per arm; events : events per arm.
    """

    endpoint: str
    reference: str
    experimental: str
    strata: tuple[str, ...]
    km: KaplanMeierResult
    km_by_stratum: dict[str, KaplanMeierResult]
    logrank: LogRankResult | None
    cox: CoxResult | None
    landmarks: pd.DataFrame
    rmst: Any
    n: pd.Series
    events: pd.Series

    @property
    def hazard_ratio(self) -> tuple[float, float, float]:
        """(HR, lower, upper) of experimental vs reference from the (stratified) Cox model."""
        ci = self.cox.confidence_interval()
        return float(self.cox.hazard_ratio[0]), float(ci.low[0]), float(ci.high[0])

    def summary(self) -> pd.DataFrame:
        """One row per arm: n, events, landmark S +- SE, plus HR and log-rank P on the experimental row."""
        overall = self.landmarks[self.landmarks["stratum"] == "all"]
        rows = []
        for arm in (self.reference, self.experimental):
            row: dict[str, Any] = {"arm": arm, "n": int(self.n[arm]), "events": float(self.events[arm])}
            for _, lm in overall[overall["arm"] == arm].iterrows():
                t = _fmt_time(lm["time"])
                row[f"S({t}) %"] = 100 * lm["survival"]
                row[f"SE({t}) %"] = 100 * lm["std_err"]
            rows.append(row)
        out = pd.DataFrame(rows)
        if self.cox is None:
            return out
        hr, lo, hi = self.hazard_ratio
        out["HR (95% CI)"] = ["reference", f"{hr:.2f} ({lo:.2f}-{hi:.2f})"]
        out["log-rank P"] = [np.nan, self.logrank.p_value]
        return out


def _fmt_time(t: float) -> str:
    return f"{t:g}y"


def analyse_endpoint(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str,
    reference: str | None = None,
    strata: Sequence[str] = (),
    landmarks: Sequence[float] = (3.0,),
    tau: float | None = 3.0,
    endpoint: str = "DFS",
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    tests: bool = True,
) -> EndpointAnalysis:
    """Analyse one endpoint: KM per arm, stratified log-rank, stratified Cox HR, landmarks, RMST.

    Parameters
    ----------
    frame : one row per subject.
    time, event, arm : column names (time in the unit landmarks and tau use; event 1 = event).
    reference : control arm label (default: first sorted arm).
    strata : stratification columns for the log-rank test and the Cox model (and per-stratum KM
        for the first one).
    landmarks : times at which S(t) is estimated (e.g. 3 years).
    tau : RMST horizon (None to skip).
    tests : False gives only the KM estimates and landmarks (no log-rank or Cox model): the fast
        path for replicated simulations.

    Notes
    -----
    KM CIs on the log-log scale by default; Cox ties by Efron; log-rank stratified as R
    ``survdiff(Surv(t, e) ~ arm + strata(...))``; RMST as R ``survRM2::rmst2`` (difference =
    experimental - reference). Every number is the output of the ``survtrial.stats`` functions,
    called once each.
    """
    for col in (time, event, arm, *strata):
        if col not in frame.columns:
            raise InputError(f"column {col!r} not found; available: {list(frame.columns)}")
    ref, exp = arm_levels(frame[arm], reference)
    strata = tuple(strata)
    strata_arg: Any = None
    if strata:
        strata_arg = combined_key(frame, list(strata))
    km = kaplan_meier(time, event, arm, data=frame, conf_level=conf_level, conf_type=conf_type)
    lr = cox = None
    by_stratum: dict[str, KaplanMeierResult] = {}
    parts = [_landmark_rows(km, landmarks, "all")]
    if tests:
        lr = logrank_test(time, event, arm, data=frame, strata=strata_arg, reference=ref)
        arm_cat = pd.Categorical(frame[arm].astype(str), categories=[ref, exp])
        cox = cox_ph(frame[time].to_numpy(), frame[event].to_numpy(),
                     pd.DataFrame({"arm": arm_cat}), strata=strata_arg, reference={"arm": ref},
                     conf_level=conf_level)
    if strata:
        for level, sub in frame.groupby(frame[strata[0]].astype(str), sort=True):
            by_stratum[str(level)] = kaplan_meier(time, event, arm, data=sub,
                                                  conf_level=conf_level, conf_type=conf_type)
            parts.append(_landmark_rows(by_stratum[str(level)], landmarks, str(level)))
    rmst = None
    if tau is not None:
        from survtrial.stats.rmst import restricted_mean_survival_time

        rmst = restricted_mean_survival_time(time, event, arm, data=frame, tau=tau,
                                             reference=ref, conf_level=conf_level)
    n = frame[arm].astype(str).value_counts().reindex([ref, exp])
    events = frame.groupby(frame[arm].astype(str))[event].sum().reindex([ref, exp])
    return EndpointAnalysis(endpoint=endpoint, reference=ref, experimental=exp, strata=strata,
                            km=km, km_by_stratum=by_stratum, logrank=lr, cox=cox,
                            landmarks=pd.concat(parts, ignore_index=True), rmst=rmst,
                            n=n, events=events)


def _landmark_rows(km: KaplanMeierResult, landmarks: Sequence[float], stratum: str) -> pd.DataFrame:
    out = km.survival_at(list(landmarks))
    out = out.rename(columns={"group": "arm"})
    out["arm"] = out["arm"].astype(str)
    out.insert(0, "stratum", stratum)
    return out
