"""Power of a given non-proportional-hazards design under another scenario (analytic)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from survtrial.design.ahr_design import ahr_design, ahr_power  # noqa: F401 (ahr_design: doctest)
from survtrial.design.km_contrast_design import KaplanMeierContrastDesign, milestone_power, rmst_power
from survtrial.design.maxcombo_design import MaxComboDesign, maxcombo_power
from survtrial.design.nph_assumptions import DesignAssumptions, design_assumptions
from survtrial.design.nph_design import NphGroupSequentialDesign
from survtrial.design.wlr_design import weighted_logrank_power
from survtrial.errors import InputError

__all__ = ["design_power"]


def _scenario(design: Any, scenario: Any) -> DesignAssumptions:
    if isinstance(scenario, DesignAssumptions):
        return scenario
    ratio = design.assumptions.allocation_ratio
    if isinstance(scenario, Mapping) and "enroll_rate" in scenario:
        return design_assumptions(scenario["enroll_rate"], scenario["fail_rate"],
                                  allocation_ratio=scenario.get("allocation_ratio", ratio))
    # a failure table: the design's enrolment (its sample size and pace) with other failure assumptions
    return design_assumptions(design.assumptions.enrollment_frame(), scenario, allocation_ratio=ratio)


def design_power(design: Any, scenario: Any, *, looks: str = "events") -> Any:
    """Analytic power of a design's bounds under another scenario.

    Parameters
    ----------
    design : NphGroupSequentialDesign, MaxComboDesign or KaplanMeierContrastDesign
        From :func:`ahr_design`, :func:`weighted_logrank_design`, :func:`maxcombo_design`,
        :func:`rmst_design`, :func:`milestone_design` (or their ``*_power``).
    scenario : DesignAssumptions, mapping with ``enroll_rate`` and ``fail_rate``, or a failure table
        A failure table alone keeps the design's enrolment (its sample size and pace).
    looks : {"events", "times"}
        Looks at the design's expected events (an event-driven trial, default) or at its calendar
        times. Fixed designs analyse at the design's study duration.

    Returns
    -------
    The design's result type, evaluated under ``scenario``: ``power`` and the per-look crossing
    probabilities under the scenario's alternative; bounds are the design's z bounds.

    Notes
    -----
    The design's efficacy and futility z bounds are kept as they are; only the timing (by events or
    calendar time), the expected effect and the information change with the scenario. A look by
    events that the scenario never reaches raises InputError saying the ceiling.

    Examples
    --------
    >>> a = design_assumptions({"duration": [12], "rate": [20]},
    ...                        {"duration": [4, np.inf], "fail_rate": 0.05, "hr": [1, 0.6]})
    >>> d = ahr_design(a, analysis_times=[24, 36], power=0.9)
    >>> worse = {"duration": [6, np.inf], "fail_rate": 0.05, "hr": [1, 0.6]}
    >>> round(design_power(d, worse).power, 3) < 0.9
    True
    """
    if looks not in ("events", "times"):
        raise InputError(f"looks={looks!r}: use 'events' (the design's expected events) or 'times'")
    if isinstance(design, KaplanMeierContrastDesign):
        a = _scenario(design, scenario)
        fn = rmst_power if design.kind == "rmst" else milestone_power
        return fn(a, design.tau, study_duration=design.study_duration, alpha=design.alpha)
    if not isinstance(design, (NphGroupSequentialDesign, MaxComboDesign)):
        raise InputError(f"design: expected a design from survtrial.design (ahr_design, weighted_logrank_design, "
                         f"maxcombo_design, rmst_design, ...), got {type(design).__name__}")
    a = _scenario(design, scenario)
    timing = {"events": design.events} if looks == "events" else {"analysis_times": design.time}
    lower = np.where(np.isfinite(design.lower), design.lower, -np.inf)
    if isinstance(design, MaxComboDesign):
        return maxcombo_power(a, design.tests, tests_by_look=design.tests_by_look, alpha=design.alpha,
                              efficacy_bounds=design.upper, futility_bounds=lower,
                              binding_futility=design.binding_futility, info_scale=design.info_scale, **timing)
    common = dict(alpha=design.alpha, sided=design.sided, efficacy_bounds=design.upper,
                  futility_bounds=None if design.sided == 2 else lower,
                  binding_futility=design.binding_futility, info_scale=design.info_scale, **timing)
    if design.method == "ahr":
        return ahr_power(a, **common)
    return weighted_logrank_power(a, design.details["weight"], **common)

