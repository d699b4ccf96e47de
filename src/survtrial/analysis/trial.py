"""The whole two-arm trial analysis a monitoring committee reads: endpoints, competing risks, subgroups, safety."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from survtrial._repr import HtmlReprMixin
from survtrial.analysis._frames import combined_key
from survtrial.analysis.arms import ReferenceArm, choose_reference
from survtrial.analysis.competing import CompetingRisksAnalysis, analyse_competing_risks
from survtrial.analysis.endpoint import EndpointAnalysis, analyse_endpoint, landmark_times
from survtrial.analysis.nph import NonProportionalHazards, analyse_nph
from survtrial.analysis.safety import adverse_event_table, toxicity_table
from survtrial.analysis.subgroups import subgroup_analysis
from survtrial.errors import InputError
from survtrial.units import Duration, canonical_unit

__all__ = ["TrialAnalysis", "analyse_trial", "subject_flow"]


@dataclass(frozen=True)
class TrialAnalysis(HtmlReprMixin):
    """Results of :func:`analyse_trial`; every table is also available as a frame via :meth:`tables`."""

    primary: EndpointAnalysis
    secondary: dict[str, EndpointAnalysis]
    competing: CompetingRisksAnalysis | None
    subgroups: pd.DataFrame | None
    safety: pd.DataFrame | None
    flow: pd.DataFrame
    landmark: float
    tau: float | None
    options: dict[str, Any] = field(default_factory=dict)
    time_unit: str | None = None
    landmark_duration: Duration | None = None
    tau_duration: Duration | None = None
    nph: NonProportionalHazards | None = None
    milestone_duration: Duration | None = None

    @property
    def reference(self) -> str:
        return self.primary.reference

    @property
    def experimental(self) -> str:
        return self.primary.experimental

    @property
    def reference_arm(self) -> ReferenceArm | None:
        """The control arm and why it was chosen."""
        return self.primary.reference_arm

    @property
    def endpoint(self) -> str:
        """The primary endpoint's name ("endpoint" when the data do not name it)."""
        return self.primary.name

    def landmark_words(self, adjective: bool = False) -> str:
        """The landmark as reports write it: "3 years" (or "3-year" with ``adjective``); without a
        time unit "t = 3"."""
        d = self.landmark_duration
        if d is None:
            return f"t = {self.landmark:g}"
        return d.adjective if adjective else d.noun

    def milestone_words(self) -> str:
        """The milestone t* as reports write it ("3 years"; "t = 3" without a unit)."""
        if self.nph is None:
            return ""
        d = self.milestone_duration
        return d.noun if d is not None else f"t = {self.nph.milestone_time:g}"

    def tau_words(self) -> str:
        """The RMST horizon as reports write it ("4 years"; "t = 4" without a unit)."""
        if self.tau is None:
            return ""
        return self.tau_duration.noun if self.tau_duration is not None else f"t = {self.tau:g}"

    def headline(self) -> dict[str, float]:
        """Key figures as plain numbers: landmark S and SE per arm (percent), HR with CI, P values,
        RMST difference (in the time unit), landmark CIF per cause.

        ``z`` is the log-rank z in survtrial's convention (> 0 favours the experimental arm);
        ``logrank_z`` is :func:`~survtrial.stats.logrank_test`'s own (R's sign, < 0 favours it)."""
        p = self.primary
        out: dict[str, float] = {}
        lm = p.landmarks
        for _, r in lm[lm["time"] == self.landmark].iterrows():
            key = f"{r['stratum']}:{r['arm']}"
            out[f"S:{key}"] = 100 * float(r["survival"])
            out[f"SE:{key}"] = 100 * float(r["std_err"])
        hr, lo, hi = p.hazard_ratio
        out.update(hr=hr, hr_lower=lo, hr_upper=hi, logrank_p=float(p.logrank.p_value),
                   logrank_z=float(p.logrank.z) if p.logrank.z is not None else np.nan,
                   z=p.z if p.z is not None else np.nan)
        if p.rmst is not None:
            lo_d, hi_d = p.rmst.confidence_interval(which="difference")
            out.update(rmst_difference=float(p.rmst.difference), rmst_lower=float(lo_d),
                       rmst_upper=float(hi_d))
        for name, ep in self.secondary.items():
            s = ep.landmarks[(ep.landmarks["stratum"] == "all") & (ep.landmarks["time"] == self.landmark)]
            for _, r in s.iterrows():
                out[f"{name}:S:{r['arm']}"] = 100 * float(r["survival"])
                out[f"{name}:SE:{r['arm']}"] = 100 * float(r["std_err"])
            if ep.cox is not None:
                out[f"{name}:hr"] = ep.hazard_ratio[0]
        if self.competing is not None:
            c = self.competing.landmarks
            for _, r in c[c["time"] == self.landmark].iterrows():
                out[f"CIF:{r['cause']}:{r['arm']}"] = 100 * float(r["cif"])
                out[f"CIF_SE:{r['cause']}:{r['arm']}"] = 100 * float(r["std_err"])
        return out

    def _html_lines(self) -> list[str]:
        return [f"TrialAnalysis({self.endpoint}: {self.experimental} vs {self.reference})"]

    def _html_tables(self) -> dict[str, pd.DataFrame]:
        """The headline tables (``tables()`` has them all): subject flow and the primary endpoint's summary."""
        tables = self.tables()
        e = self.primary.name.lower()
        return {"subject flow": tables["subject_flow"], f"{self.endpoint}": tables[f"{e}_summary"]}

    def _html_figure(self) -> str:
        return self.primary._html_figure()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the report, by file stem."""
        p = self.primary
        e = p.name.lower()
        t: dict[str, pd.DataFrame] = {
            "subject_flow": self.flow,
            f"{e}_summary": p.summary(),
            f"{e}_landmarks": p.landmarks,
            f"{e}_logrank": p.logrank.to_frame(),
            f"{e}_cox": p.cox.to_frame(),
            f"{e}_km": p.km.to_frame(),
        }
        if p.rmst is not None:
            t[f"{e}_rmst"] = p.rmst.to_frame("groups")
            t[f"{e}_rmst_comparison"] = p.rmst.to_frame("comparisons")
        for name, ep in self.secondary.items():
            t[f"{name.lower()}_summary"] = ep.summary()
            t[f"{name.lower()}_landmarks"] = ep.landmarks
        if self.competing is not None:
            t["cumulative_incidence_landmarks"] = self.competing.landmarks
            if self.competing.tests is not None:
                t["gray_tests"] = self.competing.tests
        if self.subgroups is not None:
            t["subgroups"] = self.subgroups
        if self.safety is not None:
            t["safety"] = self.safety
        if self.nph is not None:
            t.update({f"{e}_{k}": v for k, v in self.nph.tables().items()})
        return t


def subject_flow(frame: pd.DataFrame, *, arm: str, event: str, event_type: str | None,
                 arms: Sequence[str], randomized: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Subject flow per arm: randomized, analysed, events (by type), censored."""
    a = frame[arm].astype(str)
    rows: dict[str, dict[str, int]] = {}
    for arm_label in arms:
        m = (a == arm_label).to_numpy()
        r = {"randomized": int(randomized[arm_label]) if randomized else int(m.sum()),
             "analysed": int(m.sum()), "events": int(frame.loc[m, event].sum()),
             "censored": int(m.sum() - frame.loc[m, event].sum())}
        if event_type is not None:
            types = frame.loc[m & (frame[event] == 1).to_numpy(), event_type].astype(str)
            for typ, cnt in types.value_counts().items():
                r[f"  {typ}"] = int(cnt)
        rows[arm_label] = r
    out = pd.DataFrame(rows).fillna(0).astype(int)
    out.index.name = "subjects"
    return out.reset_index()


def analyse_trial(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str,
    reference: str | ReferenceArm | None = None,
    strata: Sequence[str] = (),
    event_type: str | None = None,
    censored_label: str = "censored",
    subgroups: Sequence[str] = (),
    landmark: float | Duration = 3.0,
    tau: float | Duration | None = 3.0,
    endpoint: str | None = None,
    time_unit: str | None = None,
    secondary: Mapping[str, tuple[str, str]] | None = None,
    toxicities: Sequence[str] | Mapping[str, str] | None = None,
    adverse_events: pd.DataFrame | None = None,
    randomized: Mapping[str, int] | None = None,
    conf_level: float = 0.95,
    detailed: bool = True,
    nph: bool = True,
    cut_points: Sequence[float | Duration] | None = None,
    milestone: float | Duration | None = None,
    maxcombo: bool = True,
) -> TrialAnalysis:
    """Analyse a two-arm time-to-event trial from one row per subject.

    Parameters
    ----------
    frame : one row per subject (the twin's frame, or :class:`survtrial.data.adam.AnalysisData`
        ``.subjects``).
    time, event, arm : column names for the primary endpoint.
    reference : the control arm; default: the rule of :func:`~survtrial.analysis.arms.choose_reference`
        (an arm whose name says control, else refused). A :class:`~survtrial.analysis.arms.ReferenceArm`
        keeps the reason it was chosen for.
    strata : stratification factors of the log-rank test and Cox model.
    event_type : column with the event type (``censored_label`` when censored) for competing risks.
    subgroups : columns for the forest plot.
    landmark, tau : landmark time for S(t) and RMST horizon: numbers in the unit of ``time``, or
        :class:`~survtrial.units.Duration` (converted to ``time_unit``, named as written).
    endpoint : the endpoint's name for tables, figures and file names (None: "endpoint").
    time_unit : unit of the times (days, weeks, months, years); None leaves every label without a
        unit ("t = 3") rather than guessing one.
    secondary : other endpoints, ``{"OS": ("os_time", "os_event")}``.
    toxicities : boolean columns (or mapping column -> label) for a toxicity table.
    adverse_events : ADAE-like frame for an adverse-event table (``survtrial.data.adam``).
    randomized : subjects randomized per arm (denominators of the flow and AE tables).
    detailed : False is the fast path for replicated simulations: secondary endpoints get only
        KM landmarks, and Gray's test and the non-proportional-hazards part are skipped (subgroups
        and safety only when asked for).
    nph : analyse the primary endpoint for non-proportional hazards
        (:func:`~survtrial.analysis.nph.analyse_nph`: PH test, piecewise hazard ratios, MaxCombo,
        milestone comparison).
    cut_points : cut points of the piecewise hazard ratios (numbers in the unit of ``time`` or
        Durations); default the tertiles of the event times.
    milestone : t* of the milestone comparison (default the landmark; a default beyond the
        follow-up is left out with a note, a given one is refused).
    maxcombo : compute the MaxCombo test.

    Notes
    -----
    Conventions are those of the statistics functions it calls: Greenwood SEs and log-log CIs for
    S(t), stratified log-rank as R ``survdiff``, Cox with Efron ties, RMST as ``survRM2``, CIF
    variance as ``cmprsk``, Clopper-Pearson exact CIs and Newcombe risk differences.
    """
    if len(frame) == 0:
        raise InputError("no subjects to analyse (empty data)")
    if arm not in frame.columns:
        raise InputError(f"column {arm!r} not found; available: {list(frame.columns)}")
    unit = canonical_unit(time_unit) if time_unit is not None else None
    choice = choose_reference(frame[arm], reference=reference)
    if not frame[arm].dropna().map(type).eq(str).all():
        # Arms are labels: numeric codes (1/2) become the strings every table, figure and the
        # reference choice use ("1", "2"), once, here.
        frame = frame.assign(**{arm: frame[arm].where(frame[arm].isna(), frame[arm].astype(str))})
    lm_duration = landmark if isinstance(landmark, Duration) else (Duration(float(landmark), unit) if unit else None)
    tau_duration = tau if isinstance(tau, Duration) else (
        Duration(float(tau), unit) if unit and tau is not None else None)
    landmark = landmark_times([landmark], unit)[0]
    tau = None if tau is None else landmark_times([tau], unit)[0]
    named = lm_duration if lm_duration is not None else landmark
    primary = analyse_endpoint(frame, time=time, event=event, arm=arm, reference=choice,
                               strata=strata, landmarks=(named,), tau=tau, endpoint=endpoint,
                               time_unit=unit, conf_level=conf_level)
    ref, exp = primary.reference, primary.experimental
    sec = {name: analyse_endpoint(frame, time=t, event=e, arm=arm, reference=choice, strata=strata,
                                  landmarks=(named,), tau=None, endpoint=name, time_unit=unit,
                                  conf_level=conf_level, tests=detailed)
           for name, (t, e) in (secondary or {}).items()}
    competing = None
    if event_type is not None:
        competing = analyse_competing_risks(frame, time=time, event_type=event_type, arm=arm,
                                            censored_label=censored_label, landmarks=(landmark,),
                                            test=detailed)
    forest = None
    if subgroups:
        forest = subgroup_analysis(frame, time=time, event=event, arm=arm, reference=ref,
                                   subgroups=subgroups, strata=strata, overall=primary.hazard_ratio)
    safety = None
    if toxicities:
        cols = list(toxicities)
        labels = dict(toxicities) if isinstance(toxicities, Mapping) else None
        safety = toxicity_table(frame, arm=arm, columns=cols, reference=ref, labels=labels,
                                conf_level=conf_level)
    elif adverse_events is not None:
        den = randomized or frame[arm].astype(str).value_counts().to_dict()
        safety = adverse_event_table(adverse_events, den, reference=ref, conf_level=conf_level)
    flow = subject_flow(frame, arm=arm, event=event, event_type=event_type, arms=(ref, exp),
                        randomized=randomized)
    nph_result = None
    ms_duration = lm_duration
    if nph and detailed:
        given = milestone is not None
        ms = milestone if given else (lm_duration if lm_duration is not None else landmark)
        ms_duration = ms if isinstance(ms, Duration) else (Duration(float(ms), unit) if unit else None)
        cuts = None if cut_points is None else landmark_times(list(cut_points), unit)
        nph_result = analyse_nph(frame, time=time, event=event, arm=arm, reference=ref, cox=primary.cox,
                                 strata=combined_key(frame, list(strata)), cut_points=cuts,
                                 milestone=landmark_times([ms], unit)[0], milestone_given=given,
                                 maxcombo=maxcombo, conf_level=conf_level)
    return TrialAnalysis(primary=primary, secondary=sec, competing=competing, subgroups=forest,
                         safety=safety, flow=flow, landmark=landmark, tau=tau,
                         options={"strata": list(strata), "subgroups": list(subgroups)},
                         time_unit=unit, landmark_duration=lm_duration, tau_duration=tau_duration,
                         nph=nph_result, milestone_duration=ms_duration)

