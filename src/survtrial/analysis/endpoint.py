"""One time-to-event endpoint of a two-arm trial analysed as a trial report does: KM, log-rank, Cox, landmarks, RMST."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survtrial._repr import HtmlReprMixin
from survtrial.analysis._frames import combined_key
from survtrial.analysis.arms import ReferenceArm, choose_reference
from survtrial.design.convention import design_z
from survtrial.errors import InputError
from survtrial.stats.cox import CoxResult, cox_ph
from survtrial.stats.km import KaplanMeierResult, kaplan_meier
from survtrial.stats.logrank import LogRankResult, logrank_test
from survtrial.units import Duration, canonical_unit

__all__ = ["EndpointAnalysis", "analyse_endpoint", "arm_levels", "landmark_label", "landmark_times"]


def arm_levels(values: pd.Series, reference: str | ReferenceArm | None) -> tuple[str, str]:
    """Return (reference, experimental) arm labels of a two-arm trial by the rule of
    :func:`survtrial.analysis.arms.choose_reference` (given, else a control name, else refused)."""
    choice = choose_reference(values, reference=reference)
    return choice.reference, choice.experimental


def landmark_times(landmarks: Sequence[float | Duration], time_unit: str | None) -> list[float]:
    """Landmarks in the data's unit: a :class:`~survtrial.units.Duration` is converted to ``time_unit``."""
    out = []
    for lm in landmarks:
        if isinstance(lm, Duration):
            if time_unit is None:
                raise InputError(f"landmark {lm}: the data's time unit is not stated; give time_unit")
            out.append(lm.value_in(time_unit))
        else:
            out.append(float(lm))
    return out


def landmark_label(landmark: float | Duration, time_unit: str | None) -> str:
    """'3 years' for a landmark (as the user wrote it, or in the data's unit); 't = 3' without a unit."""
    if isinstance(landmark, Duration):
        return landmark.noun
    return Duration(float(landmark), canonical_unit(time_unit)).noun if time_unit else f"t = {float(landmark):g}"


@dataclass(frozen=True)
class EndpointAnalysis(HtmlReprMixin):
    """Everything a trial report says about one endpoint, comparing experimental with reference arm.

    Attributes
    ----------
    endpoint : name (e.g. ``"DFS"``), or None when the data do not name it.
    reference, experimental : arm labels; hazard ratios are experimental / reference.
    reference_arm : the reference and why it was chosen (:func:`~survtrial.analysis.arms.choose_reference`).
    time_unit : unit of the times (None: not stated); landmarks, RMST and axes are in it.
    km : Kaplan-Meier per arm (log-log CIs unless chosen otherwise).
    km_by_stratum : Kaplan-Meier per arm within each stratum level.
    logrank : stratified log-rank test (unstratified when no strata were given); None when
        ``tests=False``.
    cox : Cox model with the arm as the only covariate, stratified like the log-rank test; None
        when ``tests=False``.
    landmarks : S(t) +- SE with CI per arm (and per stratum) at each landmark time.
    rmst : restricted mean survival time per arm and the difference, or None if not requested.
    n : subjects per arm; events : events per arm.
    landmark_labels : each landmark in words ("3 years"), for table headers.
    """

    endpoint: str | None
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
    reference_arm: ReferenceArm | None = None
    time_unit: str | None = None
    landmark_labels: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The endpoint's name, or "endpoint" when the data do not name it."""
        return self.endpoint or "endpoint"

    @property
    def z(self) -> float | None:
        """Log-rank z in survtrial's convention: z > 0 favours the experimental arm (see
        :func:`survtrial.design.convention.design_z`); None without the test."""
        return None if self.logrank is None else design_z(self.logrank)

    @property
    def hazard_ratio(self) -> tuple[float, float, float]:
        """(HR, lower, upper) of experimental vs reference from the (stratified) Cox model."""
        ci = self.cox.confidence_interval()
        return float(self.cox.hazard_ratio[0]), float(ci.low[0]), float(ci.high[0])

    def _html_lines(self) -> list[str]:
        hr = "" if self.cox is None else " (hazard ratio {:.2f}, 95% CI {:.2f}-{:.2f})".format(*self.hazard_ratio)
        return [f"{self.name}: {self.experimental} vs {self.reference}{hr}"]

    def _html_tables(self) -> dict[str, pd.DataFrame]:
        return {"": self.summary()}

    def _html_figure(self) -> str:
        unit = f"time ({self.time_unit})" if self.time_unit else "time"
        return self.km._html_figure([self.reference, self.experimental], unit)

    def summary(self) -> pd.DataFrame:
        """One row per arm: n, events, landmark S +- SE, plus HR and log-rank P on the experimental row."""
        overall = self.landmarks[self.landmarks["stratum"] == "all"]
        names = dict(zip(overall["time"].drop_duplicates(), self.landmark_labels, strict=False))
        rows = []
        for arm in (self.reference, self.experimental):
            row: dict[str, Any] = {"arm": arm, "n": int(self.n[arm]), "events": float(self.events[arm])}
            for _, lm in overall[overall["arm"] == arm].iterrows():
                t = names.get(lm["time"], f"t = {lm['time']:g}")
                row[f"S({t}) %"] = 100 * lm["survival"]
                row[f"SE({t}) %"] = 100 * lm["std_err"]
            rows.append(row)
        out = pd.DataFrame(rows)
        if self.cox is None:
            return out
        hr, lo, hi = self.hazard_ratio
        out[f"HR vs {self.reference} (95% CI)"] = ["reference", f"{hr:.2f} ({lo:.2f}-{hi:.2f})"]
        out["log-rank P"] = [np.nan, self.logrank.p_value]
        return out


def analyse_endpoint(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str,
    reference: str | ReferenceArm | None = None,
    strata: Sequence[str] = (),
    landmarks: Sequence[float | Duration] = (),
    tau: float | Duration | None = None,
    endpoint: str | None = None,
    time_unit: str | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    tests: bool = True,
) -> EndpointAnalysis:
    """Analyse one endpoint: KM per arm, stratified log-rank, stratified Cox HR, landmarks, RMST.

    Parameters
    ----------
    frame : one row per subject.
    time, event, arm : column names (event 1 = event).
    reference : control arm label; default: the rule of
        :func:`~survtrial.analysis.arms.choose_reference` (an arm whose name says control, else refused).
    strata : stratification columns for the log-rank test and the Cox model (and per-stratum KM
        for the first one).
    landmarks : times at which S(t) is estimated: numbers in the unit of ``time``, or
        :class:`~survtrial.units.Duration` (converted to ``time_unit``).
    tau : RMST horizon (None to skip), a number in the unit of ``time`` or a Duration.
    endpoint : the endpoint's name for tables and reports (None: not named).
    time_unit : unit of ``time`` (days, weeks, months, years); None leaves labels without a unit.
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
    choice = choose_reference(frame[arm], reference=reference)
    ref, exp = choice.reference, choice.experimental
    unit = canonical_unit(time_unit) if time_unit is not None else None
    labels = tuple(landmark_label(lm, unit) for lm in landmarks)
    landmarks = landmark_times(landmarks, unit)
    if isinstance(tau, Duration):
        tau = landmark_times([tau], unit)[0]
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
                            n=n, events=events, reference_arm=choice, time_unit=unit, landmark_labels=labels)


def _landmark_rows(km: KaplanMeierResult, landmarks: Sequence[float], stratum: str) -> pd.DataFrame:
    out = km.survival_at(list(landmarks))
    out = out.rename(columns={"group": "arm"})
    out["arm"] = out["arm"].astype(str)
    out.insert(0, "stratum", stratum)
    return out
