"""Analyse a trial from its data files (ADaM or a plain table) and build the committee's report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from survtrial.analysis._frames import require_labels
from survtrial.analysis.trial import TrialAnalysis, analyse_trial
from survtrial.data.adam import AnalysisData, load_adam
from survtrial.data.io import read_table
from survtrial.data.units import parse_duration, years_per_unit
from survtrial.errors import InputError
from survtrial.report.html import Report, provenance
from survtrial.report.trial_report import trial_figures, trial_report

__all__ = ["AnalyzeResult", "analyze_adam", "analyze_table"]


@dataclass(frozen=True)
class AnalyzeResult:
    """The analysis (tables as frames via ``analysis.tables()``) and its report (``report.write(dir)``)."""

    analysis: TrialAnalysis
    report: Report
    data: AnalysisData | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the report as a pandas frame, by name."""
        return self.analysis.tables()

    def figures(self) -> dict[str, Any]:
        """Every figure of the report as a matplotlib Figure, by name."""
        return trial_figures(self.analysis)


def analyze_adam(
    adsl: str | Path,
    adtte: str | Path,
    adae: str | Path | None = None,
    *,
    paramcd: str = "DFS",
    strata: Sequence[str] = (),
    subgroups: Sequence[str] = (),
    landmark: str | float = "3y",
    tau: str | float | None = "3y",
    arm_var: str | None = None,
    reference: str | None = None,
    time_unit: str | None = None,
    event_type_var: str | None = None,
    command: Sequence[str] | None = None,
) -> AnalyzeResult:
    """ADaM files in, analysis and report out.

    Times are converted to years (from AVALU or ``time_unit``); ``landmark`` and ``tau`` accept
    durations such as ``"3y"`` or ``"36m"``. Event types come from EVNTDESC (or
    ``event_type_var``) and give the competing-risks section when there are several.
    """
    lm = parse_duration(landmark, role="landmark")
    tau_y = None if tau is None else parse_duration(tau, role="tau")
    data = load_adam(adsl, adtte, adae, paramcd=paramcd, arm_var=arm_var,
                     variables=list(dict.fromkeys([*strata, *subgroups])), time_unit=time_unit,
                     event_type_var=event_type_var)
    subjects = data.subjects
    n_types = subjects.loc[subjects["event"] == 1, "event_type"].nunique()
    analysis = analyse_trial(
        subjects, time="time", event="event", arm="arm", reference=reference, strata=strata,
        event_type="event_type" if n_types >= 2 else None, subgroups=subgroups, landmark=lm,
        tau=tau_y, endpoint=paramcd, adverse_events=data.adverse_events,
        randomized=data.randomized.to_dict(),
    )
    prov = provenance(command=list(command) if command else None,
                      inputs=", ".join(str(p) for p in (adsl, adtte, adae) if p is not None),
                      parameter=paramcd, time_unit=data.time_unit)
    report = trial_report(analysis, title=f"{paramcd}: {analysis.experimental} vs {analysis.reference}",
                          subtitle=f"Analysis of {len(subjects)} subjects from ADaM data",
                          provenance=prov)
    return AnalyzeResult(analysis=analysis, report=report, data=data)


def analyze_table(
    path: str | Path | pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str,
    strata: Sequence[str] = (),
    subgroups: Sequence[str] = (),
    event_type: str | None = None,
    landmark: str | float = "3y",
    tau: str | float | None = "3y",
    reference: str | None = None,
    time_unit: str = "years",
    endpoint: str = "Endpoint",
    command: Sequence[str] | None = None,
) -> AnalyzeResult:
    """The simple path: one row per subject in a CSV/Parquet file (or frame) with named columns.

    ``event`` is 1 = event, 0 = censored (not ADaM's CNSR). Times are in ``time_unit``.
    """
    frame = path if isinstance(path, pd.DataFrame) else read_table(path, role="data")
    missing = [c for c in (time, event, group, *strata, *subgroups, *( [event_type] if event_type else []))
               if c not in frame.columns]
    if missing:
        raise InputError(f"data: column(s) {missing} not found; available: {list(frame.columns)}")
    if len(frame) == 0:
        raise InputError(f"data: {path if not isinstance(path, pd.DataFrame) else 'the frame'} has no rows")
    scale = years_per_unit(time_unit, role="time_unit")
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
    frame[time] = values * scale
    lm = parse_duration(landmark, role="landmark")
    tau_y = None if tau is None else parse_duration(tau, role="tau")
    analysis = analyse_trial(frame, time=time, event=event, arm=group, reference=reference,
                             strata=strata, event_type=event_type, subgroups=subgroups,
                             landmark=lm, tau=tau_y, endpoint=endpoint)
    prov: dict[str, Any] = provenance(command=list(command) if command else None,
                                      inputs=str(path) if not isinstance(path, pd.DataFrame) else "frame")
    report = trial_report(analysis, title=f"{endpoint}: {analysis.experimental} vs {analysis.reference}",
                          provenance=prov)
    return AnalyzeResult(analysis=analysis, report=report)
