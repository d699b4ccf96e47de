"""Group-sequential design: spending functions, boundaries, sample size, conditional power, non-proportional hazards."""

# Boundaries, spending, crossing probabilities, monitoring, conditional power, inference after
# stopping; survival events, subjects and study duration (sample_size, events, accrual, targets).
from survtrial.design.accrual import StudyModel
from survtrial.design.ahr_design import ahr_design, ahr_power
from survtrial.design.boundaries import GroupSequentialDesign, group_sequential
from survtrial.design.conditional import (
    ConditionalPowerResult,
    RepeatedConfidenceIntervals,
    conditional_power,
    drift_from_hazard_ratio,
    repeated_confidence_intervals,
)
from survtrial.design.events import events_power, freedman_events, schoenfeld_events
from survtrial.design.inference import StagewiseInference, stagewise_inference
from survtrial.design.km_contrast_design import (
    KaplanMeierContrastDesign,
    milestone_design,
    milestone_power,
    rmst_design,
    rmst_power,
)
from survtrial.design.lachin_foulkes import LachinFoulkesResult, lachin_foulkes_sample_size
from survtrial.design.maxcombo_design import MaxComboDesign, maxcombo_design, maxcombo_power
from survtrial.design.monitoring import update_design
from survtrial.design.nph_assumptions import DesignAssumptions, design_assumptions
from survtrial.design.nph_design import NphGroupSequentialDesign
from survtrial.design.nph_events import (
    AverageHazardRatio,
    average_hazard_ratio,
    expected_information,
    expected_time,
)
from survtrial.design.plan import DesignSpec, TrialPlan, plan_trial
from survtrial.design.power import survival_power
from survtrial.design.probabilities import CrossingProbabilities, crossing_probabilities
from survtrial.design.sample_size import SurvivalSampleSizeResult, survival_sample_size
from survtrial.design.scenario_power import design_power
from survtrial.design.spending import (
    SpendingFunction,
    hwang_shih_decani_spending,
    kim_demets_spending,
    obrien_fleming_spending,
    pocock_spending,
    spending_function,
    user_spending,
)
from survtrial.design.targets import (
    hazard_from_median,
    hazard_from_survival,
    noninferiority_margin,
    survival_from_hazard,
)
from survtrial.design.timing import expected_events
from survtrial.design.wlr_design import (
    weighted_logrank_design,
    weighted_logrank_information,
    weighted_logrank_power,
)
from survtrial.design.wlr_weights import WlrWeight, fleming_harrington, magirr_burman, wlr_weight

__all__ = [
    "AverageHazardRatio",
    "ConditionalPowerResult",
    "CrossingProbabilities",
    "DesignAssumptions",
    "DesignSpec",
    "GroupSequentialDesign",
    "KaplanMeierContrastDesign",
    "LachinFoulkesResult",
    "MaxComboDesign",
    "NphGroupSequentialDesign",
    "RepeatedConfidenceIntervals",
    "SpendingFunction",
    "StagewiseInference",
    "StudyModel",
    "SurvivalSampleSizeResult",
    "TrialPlan",
    "WlrWeight",
    "ahr_design",
    "ahr_power",
    "average_hazard_ratio",
    "conditional_power",
    "crossing_probabilities",
    "design_assumptions",
    "design_power",
    "drift_from_hazard_ratio",
    "events_power",
    "expected_events",
    "expected_information",
    "expected_time",
    "fleming_harrington",
    "freedman_events",
    "group_sequential",
    "hazard_from_median",
    "hazard_from_survival",
    "hwang_shih_decani_spending",
    "kim_demets_spending",
    "lachin_foulkes_sample_size",
    "magirr_burman",
    "maxcombo_design",
    "maxcombo_power",
    "milestone_design",
    "milestone_power",
    "noninferiority_margin",
    "obrien_fleming_spending",
    "plan_trial",
    "pocock_spending",
    "repeated_confidence_intervals",
    "rmst_design",
    "rmst_power",
    "schoenfeld_events",
    "spending_function",
    "stagewise_inference",
    "survival_from_hazard",
    "survival_power",
    "survival_sample_size",
    "update_design",
    "user_spending",
    "weighted_logrank_design",
    "weighted_logrank_information",
    "weighted_logrank_power",
    "wlr_weight",
]
