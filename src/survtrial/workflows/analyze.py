"""Analyse a trial from its data files (ADaM or a plain table) and build the committee's report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from survtrial._repr import HtmlReprMixin
from survtrial.analysis._frames import require_labels
from survtrial.analysis.arms import ReferenceArm, choose_reference
from survtrial.analysis.trial import TrialAnalysis, analyse_trial
from survtrial.data.adam import AnalysisData, load_adam
from survtrial.data.io import read_table
from survtrial.data.units import parse_duration, parse_durations, resolve_time_unit, unit_column_values
from survtrial.errors import InputError
from survtrial.report.html import Report, provenance
from survtrial.report.nph_section import cut_points_words
from survtrial.report.trial_report import report_title, trial_figures, trial_report
from survtrial.units import Duration, unit_in_name

__all__ = ["DEFAULT_LANDMARK", "DEFAULT_TAU", "AnalyzeResult", "analyze_adam", "analyze_table"]

#: Landmark and RMST horizon when none is given: three years, converted to the data's unit and
#: named "3-year" whatever that unit is.
DEFAULT_LANDMARK = "3y"
DEFAULT_TAU = "3y"


@dataclass(frozen=True)
class AnalyzeResult(HtmlReprMixin):
    """The analysis (tables as frames via ``analysis.tables()``) and its report (``report.write(dir)``)."""

    analysis: TrialAnalysis
    report: Report
    data: AnalysisData | None = None
    time_unit_source: str = ""
    endpoint_source: str = ""

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the report as a pandas frame, by name."""
        return self.analysis.tables()

    def _html_lines(self) -> list[str]:
        return [f"AnalyzeResult({self.analysis.endpoint}: {self.analysis.experimental} vs "
                f"{self.analysis.reference})", *self.conventions()]

    def _html_tables(self) -> dict[str, pd.DataFrame]:
        return self.analysis._html_tables()

    def _html_figure(self) -> str:
        return self.analysis._html_figure()

    def figures(self) -> dict[str, Any]:
        """Every figure of the report as a matplotlib Figure, by name."""
        return trial_figures(self.analysis)

    def tlf_population(self) -> str:
        """The population line of the submission tables: who was analysed, per arm."""
        flow = self.analysis.flow.set_index("subjects")
        row = "analysed" if "analysed" in flow.index else flow.index[0]
        arms = [a for a in flow.columns]
        total = int(flow.loc[row, arms].sum())
        return (f"Population: all randomized subjects analysed, N = {total} ("
                + ", ".join(f"{a} {int(flow.loc[row, a])}" for a in arms) + ")")

    def tlf_footnotes(self, data_cut: str | None = None) -> list[str]:
        """The footnotes of the submission tables: methods, conventions and the data cut."""
        a = self.analysis
        strata = a.options.get("strata") or []
        by = f", stratified by {', '.join(strata)}" if strata else ""
        unit = a.time_unit or "units not stated"
        notes = [
            f"Hazard ratio {a.experimental} vs {a.reference} (< 1 favours {a.experimental}) from a Cox model "
            f"(Efron ties){by}, Wald 95% CI; log-rank test{by}, z > 0 favours {a.experimental}.",
            f"Kaplan-Meier estimates with Greenwood SE and log-log 95% CIs; landmark {a.landmark_words()}"
            + (f"; restricted mean survival time to {a.tau_words()}" if a.tau is not None else "")
            + f". Times in {unit}.",
        ]
        if data_cut:
            notes.append(f"Data cut: {data_cut}.")
        else:
            last = float(np.nanmax(a.primary.km.time)) if a.primary.km.time.size else float("nan")
            inputs = self.report.provenance.get("inputs", "")
            notes.append(f"Data cut: not stated in the data; last follow-up {last:g} {a.time_unit or ''}".rstrip()
                         + (f" (input: {inputs})." if inputs else "."))
        return notes

    def to_rtf(self, path: str | Path, *, data_cut: str | None = None, overwrite: bool = False) -> Path:
        """The report's tables and figures as one RTF file (TLF conventions: title, population line,
        footnotes with the method and data cut, page numbers); cells are the HTML report's."""
        return self.report.to_rtf(path, self.tlf_population(), self.tlf_footnotes(data_cut), overwrite=overwrite)

    def to_docx(self, path: str | Path, *, data_cut: str | None = None, overwrite: bool = False) -> Path:
        """As :meth:`to_rtf`, as a Word file."""
        return self.report.to_docx(path, self.tlf_population(), self.tlf_footnotes(data_cut), overwrite=overwrite)

    def conventions(self) -> list[str]:
        """What a reader must know to read the numbers: unit, reference arm and why, endpoint, signs."""
        return conventions(self.analysis, self.time_unit_source, self.endpoint_source)


def conventions(analysis: TrialAnalysis, unit_source: str, endpoint_source: str) -> list[str]:
    """The conventions of an analysis in words (printed by the CLI, shown at the top of the report)."""
    ref, exp = analysis.reference, analysis.experimental
    why = analysis.reference_arm.reason if analysis.reference_arm is not None else "given"
    unit = analysis.time_unit or "not stated"
    lm = analysis.landmark_words()
    if analysis.landmark_duration is not None and analysis.landmark_duration.unit != analysis.time_unit:
        lm += f" (= {analysis.landmark:.6g} {unit} of the data)"
    named = analysis.primary.endpoint
    lines = [
        f"time unit: {unit}" + (f" (from {unit_source})" if unit_source else ""),
        f"endpoint: {named or 'not named (give --endpoint-name)'}"
        + (f" (from {endpoint_source})" if named and endpoint_source else ""),
        f"reference (control) arm: {ref}, {why}",
        f"hazard ratio {exp} vs {ref} (< 1 favours {exp}); log-rank z > 0 favours {exp}",
        f"landmark: {lm}" + (f"; RMST horizon: {analysis.tau_words()}" if analysis.tau is not None else ""),
    ]
    if analysis.nph is not None:
        n = analysis.nph
        lines.append(f"piecewise hazard ratios cut at {cut_points_words(n.cut_points, unit)} ({n.cut_points_rule}); "
                     f"milestone: {analysis.milestone_words()}")
    return lines


def _nph_options(cut_points: Sequence[str | float] | None, milestone: str | float | None, maxcombo: bool,
                 unit: str) -> dict[str, Any]:
    """The non-proportional-hazards options as analyse_trial takes them (durations parsed, flags named)."""
    return {"cut_points": None if cut_points is None else parse_durations(cut_points, unit=unit, role="--cut-points"),
            "milestone": None if milestone is None else parse_duration(milestone, unit=unit, role="--milestone"),
            "maxcombo": maxcombo}


def _flag_words(value: Any, unit: str) -> str:
    """'10 years (= 3652.5 days)' for a Duration in another unit than the data's."""
    if isinstance(value, Duration):
        return value.noun + (f" (= {value.value_in(unit):g} {unit})" if value.unit != unit else "")
    return ", ".join(_flag_words(v, unit) for v in value)


def _analyse(frame: pd.DataFrame, tau: Duration | None, unit: str, **options: Any) -> TrialAnalysis:
    """analyse_trial, with a value beyond the follow-up named as the flag it came from (--tau,
    --milestone, --cut-points) in the unit it was given in."""
    try:
        return analyse_trial(frame, tau=tau, time_unit=unit, **options)
    except InputError as err:
        text = str(err)
        given = {"tau=": ("--tau", tau), "milestone=": ("--milestone", options.get("milestone")),
                 "cut_points=": ("--cut-points", options.get("cut_points"))}
        for prefix, (flag, value) in given.items():
            if value is not None and text.startswith(prefix):
                rest = text[text.index(":") if prefix == "cut_points=" else text.index(" "):]
                rest = rest.replace("Use tau <=", "Give --tau <=").replace("choose t* <=", "give --milestone <=")
                raise InputError(f"{flag} {_flag_words(value, unit)}{rest}") from None
        raise


def _endpoint(name: str | None, paramcd: str | None, param: str | None) -> tuple[str | None, str]:
    if name:
        return name, "--endpoint-name"
    if paramcd:
        return paramcd, "PARAMCD" + (f"; PARAM {param!r}" if param else "")
    return None, ""


def analyze_adam(
    adsl: str | Path,
    adtte: str | Path,
    adae: str | Path | None = None,
    *,
    paramcd: str | None = None,
    strata: Sequence[str] = (),
    subgroups: Sequence[str] = (),
    landmark: str | float = DEFAULT_LANDMARK,
    tau: str | float | None = DEFAULT_TAU,
    arm_var: str | None = None,
    reference: str | None = None,
    time_unit: str | None = None,
    event_type_var: str | None = None,
    endpoint_name: str | None = None,
    cut_points: Sequence[str | float] | None = None,
    milestone: str | float | None = None,
    maxcombo: bool = True,
    command: Sequence[str] | None = None,
) -> AnalyzeResult:
    """ADaM files in, analysis and report out.

    Times stay in AVAL's unit (AVALU, or ``time_unit`` when AVALU is absent; conflicting units are
    refused). ``landmark`` and ``tau`` are durations with a unit (``"3y"``, ``"36m"``), converted
    to AVAL's unit and named as written, or bare numbers in AVAL's unit. The control arm is
    ``reference``, else the lowest TRT01PN (or TRT01AN...), else an arm whose name says control,
    else the analysis is refused (:mod:`survtrial.analysis.arms`). The endpoint is named by
    ``endpoint_name``, else PARAMCD. Event types come from EVNTDESC (or ``event_type_var``) and
    give the competing-risks section when there are several. ``cut_points`` (piecewise hazard
    ratios; default the tertiles of the event times), ``milestone`` (default the landmark) and
    ``maxcombo`` shape the non-proportional-hazards section (durations as ``landmark``).
    """
    data = load_adam(adsl, adtte, adae, paramcd=paramcd, arm_var=arm_var,
                     variables=list(dict.fromkeys([*strata, *subgroups])), time_unit=time_unit,
                     event_type_var=event_type_var)
    unit = data.time_unit
    lm = parse_duration(landmark, unit=unit, role="--landmark")
    tau_d = None if tau is None else parse_duration(tau, unit=unit, role="--tau")
    subjects = data.subjects
    choice = choose_reference(subjects["arm"], reference=reference, order=data.arm_codes,
                              order_variable=data.arm_code_variable)
    name, name_source = _endpoint(endpoint_name, data.paramcd, data.param)
    n_types = subjects.loc[subjects["event"] == 1, "event_type"].nunique()
    analysis = _analyse(
        subjects, tau_d, unit, time="time", event="event", arm="arm", reference=choice, strata=strata,
        event_type="event_type" if n_types >= 2 else None, subgroups=subgroups, landmark=lm,
        endpoint=name, adverse_events=data.adverse_events, randomized=data.randomized.to_dict(),
        **_nph_options(cut_points, milestone, maxcombo, unit),
    )
    prov = provenance(command=list(command) if command else None,
                      inputs=", ".join(str(p) for p in (adsl, adtte, adae) if p is not None),
                      parameter=data.paramcd + (f" ({data.param})" if data.param else ""),
                      time_unit=f"{unit} (from {data.time_unit_source})",
                      reference_arm=f"{choice.reference}, {choice.reason}")
    notes = conventions(analysis, data.time_unit_source, name_source)
    report = trial_report(analysis, title=report_title(analysis),
                          subtitle=f"Analysis of {len(subjects)} subjects from ADaM data",
                          provenance=prov, conventions=notes)
    return AnalyzeResult(analysis=analysis, report=report, data=data, time_unit_source=data.time_unit_source,
                         endpoint_source=name_source)


def table_time_unit(frame: pd.DataFrame, time: str, time_unit: str | None) -> tuple[str, str]:
    """The unit of ``frame[time]``: declared, in the column's name, or in a unit column ``<time>U``
    (AVAL with AVALU); never assumed. Two sources that disagree are refused, naming both."""
    unit_cols = [c for c in frame.columns if str(c).upper() == f"{time}U".upper()]
    in_column = unit_column_values(frame[unit_cols[0]], unit_cols[0], "data") if unit_cols else None
    return resolve_time_unit(
        [("--time-unit", time_unit), (f"column name {time!r}", unit_in_name(time)),
         (f"column {unit_cols[0]!r}" if unit_cols else "unit column", in_column)],
        where="data", column=time)


def analyze_table(
    path: str | Path | pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str,
    strata: Sequence[str] = (),
    subgroups: Sequence[str] = (),
    event_type: str | None = None,
    landmark: str | float = DEFAULT_LANDMARK,
    tau: str | float | None = DEFAULT_TAU,
    reference: str | None = None,
    time_unit: str | None = None,
    endpoint_name: str | None = None,
    cut_points: Sequence[str | float] | None = None,
    milestone: str | float | None = None,
    maxcombo: bool = True,
    command: Sequence[str] | None = None,
) -> AnalyzeResult:
    """The simple path: one row per subject in a CSV/Parquet file (or frame) with named columns.

    ``event`` is 1 = event, 0 = censored (not ADaM's CNSR). The unit of ``time`` must be stated:
    ``time_unit``, a column name that says it (``time_months``, ``os_days``) or a unit column
    (``AVALU`` for ``AVAL``); it is never assumed, and sources that disagree are refused. The
    control arm is ``reference``, else the arm whose name says control (placebo, control,
    observation, standard...), else the analysis is refused. The endpoint is ``endpoint_name``;
    without it the report says "endpoint", never a name the data do not give. ``cut_points``,
    ``milestone`` and ``maxcombo`` as :func:`analyze_adam`.
    """
    frame = path if isinstance(path, pd.DataFrame) else read_table(path, role="data")
    wanted = [(time, "--time"), (event, "--event"), (group, "--group"), *((c, "--strata") for c in strata),
              *((c, "--subgroups") for c in subgroups), *([(event_type, "--event-type")] if event_type else [])]
    missing = [f"{c!r} ({flag})" for c, flag in wanted if c not in frame.columns]
    if missing:
        raise InputError(f"data: column(s) {', '.join(missing)} not found; available: {list(frame.columns)}")
    if len(frame) == 0:
        raise InputError(f"data: {path if not isinstance(path, pd.DataFrame) else 'the frame'} has no rows")
    unit, unit_source = table_time_unit(frame, time, time_unit)
    values = pd.to_numeric(frame[time], errors="coerce")
    bad = values.isna() & frame[time].notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"column {time!r} row {row + 1}: {frame[time].iloc[row]!r} is not a number; times must be numbers"
        )
    wrong = ~np.isfinite(values.to_numpy(dtype=float)) | (values.to_numpy(dtype=float) < 0)
    if wrong.any():  # named here, in the unit given: below, times are in years
        row = int(np.flatnonzero(wrong)[0])
        raise InputError(f"column {time!r} row {row + 1}: time {values.iloc[row]} is missing, infinite or negative "
                         f"({int(wrong.sum())} such row(s)); times must be numbers >= 0")
    require_labels(frame, [group], "arm")
    require_labels(frame, list(strata), "stratum")
    frame = frame.copy()
    frame[time] = values
    lm = parse_duration(landmark, unit=unit, role="--landmark")
    tau_d = None if tau is None else parse_duration(tau, unit=unit, role="--tau")
    choice: ReferenceArm = choose_reference(frame[group], reference=reference)
    name, name_source = _endpoint(endpoint_name, None, None)
    analysis = _analyse(frame, tau_d, unit, time=time, event=event, arm=group, reference=choice,
                        strata=strata, event_type=event_type, subgroups=subgroups, landmark=lm, endpoint=name,
                        **_nph_options(cut_points, milestone, maxcombo, unit))
    prov: dict[str, Any] = provenance(command=list(command) if command else None,
                                      inputs=str(path) if not isinstance(path, pd.DataFrame) else "frame",
                                      time_unit=f"{unit} (from {unit_source})",
                                      reference_arm=f"{choice.reference}, {choice.reason}")
    notes = conventions(analysis, unit_source, name_source)
    report = trial_report(analysis, title=report_title(analysis),
                          provenance=prov, conventions=notes)
    return AnalyzeResult(analysis=analysis, report=report, time_unit_source=unit_source,
                         endpoint_source=name_source)
