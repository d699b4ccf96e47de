"""Group-sequential design: spending functions, boundaries, sample size, conditional power, non-proportional hazards.

Names are imported lazily (on first use), so that a design that needs a few modules starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

# Boundaries, spending, crossing probabilities, monitoring, conditional power, inference after
# stopping; survival events, subjects and study duration (sample_size, events, accrual, targets);
# non-proportional hazards: tables, AHR, weighted log-rank, MaxCombo, RMST and milestone designs.
_EXPORTS: dict[str, str] = {
    "StudyModel": "survtrial.design.accrual",
    "ahr_design": "survtrial.design.ahr_design",
    "ahr_power": "survtrial.design.ahr_design",
    "GroupSequentialDesign": "survtrial.design.boundaries",
    "group_sequential": "survtrial.design.boundaries",
    "ConditionalPowerResult": "survtrial.design.conditional",
    "RepeatedConfidenceIntervals": "survtrial.design.conditional",
    "conditional_power": "survtrial.design.conditional",
    "drift_from_hazard_ratio": "survtrial.design.conditional",
    "repeated_confidence_intervals": "survtrial.design.conditional",
    "events_power": "survtrial.design.events",
    "freedman_events": "survtrial.design.events",
    "schoenfeld_events": "survtrial.design.events",
    "StagewiseInference": "survtrial.design.inference",
    "stagewise_inference": "survtrial.design.inference",
    "KaplanMeierContrastDesign": "survtrial.design.km_contrast_design",
    "milestone_design": "survtrial.design.km_contrast_design",
    "milestone_power": "survtrial.design.km_contrast_design",
    "rmst_design": "survtrial.design.km_contrast_design",
    "rmst_power": "survtrial.design.km_contrast_design",
    "LachinFoulkesResult": "survtrial.design.lachin_foulkes",
    "lachin_foulkes_sample_size": "survtrial.design.lachin_foulkes",
    "MaxComboDesign": "survtrial.design.maxcombo_result",
    "maxcombo_design": "survtrial.design.maxcombo_design",
    "maxcombo_power": "survtrial.design.maxcombo_design",
    "update_design": "survtrial.design.monitoring",
    "DesignAssumptions": "survtrial.design.nph_assumptions",
    "design_assumptions": "survtrial.design.nph_assumptions",
    "NphGroupSequentialDesign": "survtrial.design.nph_design",
    "AverageHazardRatio": "survtrial.design.nph_events",
    "average_hazard_ratio": "survtrial.design.nph_events",
    "expected_information": "survtrial.design.nph_events",
    "expected_time": "survtrial.design.nph_events",
    "DesignSpec": "survtrial.design.plan",
    "TrialPlan": "survtrial.design.plan",
    "plan_trial": "survtrial.design.plan",
    "survival_power": "survtrial.design.power",
    "CrossingProbabilities": "survtrial.design.probabilities",
    "crossing_probabilities": "survtrial.design.probabilities",
    "SurvivalSampleSizeResult": "survtrial.design.sample_size",
    "survival_sample_size": "survtrial.design.sample_size",
    "design_power": "survtrial.design.scenario_power",
    "SpendingFunction": "survtrial.design.spending",
    "hwang_shih_decani_spending": "survtrial.design.spending",
    "kim_demets_spending": "survtrial.design.spending",
    "obrien_fleming_spending": "survtrial.design.spending",
    "pocock_spending": "survtrial.design.spending",
    "spending_function": "survtrial.design.spending",
    "user_spending": "survtrial.design.spending",
    "hazard_from_median": "survtrial.design.targets",
    "hazard_from_survival": "survtrial.design.targets",
    "noninferiority_margin": "survtrial.design.targets",
    "survival_from_hazard": "survtrial.design.targets",
    "expected_events": "survtrial.design.timing",
    "weighted_logrank_design": "survtrial.design.wlr_design",
    "weighted_logrank_information": "survtrial.design.wlr_design",
    "weighted_logrank_power": "survtrial.design.wlr_design",
    "WlrWeight": "survtrial.design.wlr_weights",
    "fleming_harrington": "survtrial.design.wlr_weights",
    "magirr_burman": "survtrial.design.wlr_weights",
    "wlr_weight": "survtrial.design.wlr_weights",
}

__all__ = sorted(_EXPORTS)

def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'survtrial.design' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
