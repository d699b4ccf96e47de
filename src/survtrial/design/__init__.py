"""Group-sequential design: spending functions, boundaries, sample size, conditional power."""

# Boundaries, spending, crossing probabilities (boundaries, spending, probabilities); survival
# events, subjects and study duration (sample_size, events, accrual, targets).
from survtrial.design.accrual import StudyModel
from survtrial.design.boundaries import GroupSequentialDesign, group_sequential
from survtrial.design.events import events_power, freedman_events, schoenfeld_events
from survtrial.design.probabilities import CrossingProbabilities, crossing_probabilities
from survtrial.design.sample_size import (
    SurvivalSampleSizeResult,
    expected_events,
    survival_power,
    survival_sample_size,
)
from survtrial.design.spending import SpendingFunction, spending_function
from survtrial.design.targets import (
    hazard_from_median,
    hazard_from_survival,
    noninferiority_margin,
    survival_from_hazard,
)

__all__ = [
    "CrossingProbabilities",
    "GroupSequentialDesign",
    "SpendingFunction",
    "StudyModel",
    "SurvivalSampleSizeResult",
    "crossing_probabilities",
    "events_power",
    "expected_events",
    "freedman_events",
    "group_sequential",
    "hazard_from_median",
    "hazard_from_survival",
    "noninferiority_margin",
    "schoenfeld_events",
    "spending_function",
    "survival_from_hazard",
    "survival_power",
    "survival_sample_size",
]
