"""Group-sequential design: spending functions, boundaries, sample size, conditional power."""

# Survival events, subjects and study duration (sample_size, events, accrual, targets).
from survtrial.design.accrual import StudyModel
from survtrial.design.events import events_power, freedman_events, schoenfeld_events
from survtrial.design.sample_size import (
    SurvivalSampleSizeResult,
    expected_events,
    survival_power,
    survival_sample_size,
)
from survtrial.design.targets import (
    hazard_from_median,
    hazard_from_survival,
    noninferiority_margin,
    survival_from_hazard,
)

__all__ = [
    "StudyModel",
    "SurvivalSampleSizeResult",
    "events_power",
    "expected_events",
    "freedman_events",
    "hazard_from_median",
    "hazard_from_survival",
    "noninferiority_margin",
    "schoenfeld_events",
    "survival_from_hazard",
    "survival_power",
    "survival_sample_size",
]
