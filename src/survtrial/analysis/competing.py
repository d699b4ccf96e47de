"""Competing risks of a two-arm trial: cumulative incidence per event type and Gray's test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survtrial.analysis._frames import combined_key
from survtrial.errors import InputError
from survtrial.stats.cuminc import CumulativeIncidenceResult, GrayTestResult, cumulative_incidence, gray_test

__all__ = ["CompetingRisksAnalysis", "analyse_competing_risks"]


@dataclass(frozen=True)
class CompetingRisksAnalysis:
    """Aalen-Johansen cumulative incidence per arm and event type, with Gray's test per type.

    ``landmarks`` holds CIF +- SE and limits per arm x cause at the landmark times; ``tests``
    Gray's chi-square and P per cause.
    """

    cuminc: CumulativeIncidenceResult
    gray: GrayTestResult | None
    landmarks: pd.DataFrame
    tests: pd.DataFrame | None


def analyse_competing_risks(
    frame: pd.DataFrame,
    *,
    time: str,
    event_type: str,
    arm: str,
    censored_label: str = "censored",
    landmarks: Sequence[float] = (3.0,),
    strata: Sequence[str] = (),
    test: bool = True,
) -> CompetingRisksAnalysis:
    """Cumulative incidence of each event type per arm and Gray's test between arms.

    Parameters
    ----------
    frame : one row per subject; ``event_type`` holds ``censored_label`` for censored subjects
        and the event type otherwise (e.g. ``marrow_relapse``, ``death_in_remission``).
    strata : optional stratification of Gray's test.
    test : False skips Gray's test (``gray`` and ``tests`` are then None).

    Notes
    -----
    CIF variance as ``cmprsk::cuminc``; Gray's test with rho = 0 (as ``cuminc``'s default).
    """
    for col in (time, event_type, arm, *strata):
        if col not in frame.columns:
            raise InputError(f"column {col!r} not found; available: {list(frame.columns)}")
    types = frame[event_type].astype(str)
    causes = sorted(set(types) - {censored_label})
    if not causes:
        raise InputError(f"{event_type}: no events other than {censored_label!r}; nothing to estimate")
    codes = np.zeros(len(frame), dtype=np.int64)
    for k, c in enumerate(causes, start=1):
        codes[(types == c).to_numpy()] = k
    mapping = {k: c for k, c in enumerate(causes, start=1)}
    t = frame[time].to_numpy(dtype=float)
    g = frame[arm].astype(str).to_numpy()
    ci = cumulative_incidence(t, codes, g, causes=mapping)
    lm = ci.at(list(landmarks)).rename(columns={"group": "arm"})
    gray = tests = None
    if test:
        gray = gray_test(t, codes, g, cause=None, strata=combined_key(frame, list(strata)))
        tests = pd.DataFrame({"cause": [mapping.get(c, c) for c in gray.causes],
                              "statistic": gray.statistic, "df": gray.df, "p_value": gray.p_value})
    return CompetingRisksAnalysis(cuminc=ci, gray=gray, landmarks=lm, tests=tests)
