"""survtrial: randomized time-to-event trials end to end (analysis, design, simulation, AALL1731 twin)."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public top-level names -> module that defines them (imported lazily, so `import survtrial` is fast).
_EXPORTS: dict[str, str] = {
    "kaplan_meier": "survtrial.stats.km",
    "KaplanMeierResult": "survtrial.stats.km",
    "logrank_test": "survtrial.stats.logrank",
    "LogRankResult": "survtrial.stats.logrank",
    "cox_ph": "survtrial.stats.cox",
    "CoxResult": "survtrial.stats.cox",
    "restricted_mean_survival_time": "survtrial.stats.rmst",
    "RMSTResult": "survtrial.stats.rmst",
    "cumulative_incidence": "survtrial.stats.cuminc",
    "CumulativeIncidenceResult": "survtrial.stats.cuminc",
    "gray_test": "survtrial.stats.cuminc",
    "GrayTestResult": "survtrial.stats.cuminc",
    "binomial_ci": "survtrial.stats.binomial",
    "risk_difference_ci": "survtrial.stats.binomial",
    "BinomialResult": "survtrial.stats.binomial",
    "merge_near_ties": "survtrial.stats.timefix",
    "piecewise_exponential_fit": "survtrial.stats.piecewise_fit",
    "PiecewiseExponentialFit": "survtrial.stats.piecewise_fit",
    "solve_piecewise_hazards": "survtrial.stats.piecewise_solve",
    "PiecewiseHazardSolution": "survtrial.stats.piecewise_solve",
    "SurvivalTarget": "survtrial.stats.piecewise_solve",
    "HazardRatioTarget": "survtrial.stats.piecewise_solve",
    "RMSTDifferenceTarget": "survtrial.stats.piecewise_solve",
    "weighted_logrank_test": "survtrial.stats.weighted_logrank",
    "WeightedLogRankResult": "survtrial.stats.weighted_logrank",
    "FlemingHarrington": "survtrial.stats.weights",
    "MagirrBurman": "survtrial.stats.weights",
    "WeightFunction": "survtrial.stats.weights",
    "maxcombo_test": "survtrial.stats.maxcombo",
    "MaxComboResult": "survtrial.stats.maxcombo",
    "milestone_test": "survtrial.stats.milestone",
    "MilestoneResult": "survtrial.stats.milestone",
    "proportional_hazards_test": "survtrial.stats.proportional_hazards",
    "ProportionalHazardsTest": "survtrial.stats.proportional_hazards",
    "piecewise_hazard_ratio": "survtrial.stats.piecewise",
    "PiecewiseHazardRatioResult": "survtrial.stats.piecewise",
    "RiskDifferenceResult": "survtrial.stats.binomial",
    "survival_sample_size": "survtrial.design.sample_size",
    "SurvivalSampleSizeResult": "survtrial.design.sample_size",
    "lachin_foulkes_sample_size": "survtrial.design.lachin_foulkes",
    "solve_accrual_from_at_risk": "survtrial.design.accrual_fit",
    "AccrualFit": "survtrial.design.accrual_fit",
    "LachinFoulkesResult": "survtrial.design.lachin_foulkes",
    "survival_power": "survtrial.design.power",
    "schoenfeld_events": "survtrial.design.events",
    "group_sequential": "survtrial.design.boundaries",
    "GroupSequentialDesign": "survtrial.design.boundaries",
    "update_design": "survtrial.design.monitoring",
    "crossing_probabilities": "survtrial.design.probabilities",
    "conditional_power": "survtrial.design.conditional",
    "repeated_confidence_intervals": "survtrial.design.conditional",
    "stagewise_inference": "survtrial.design.inference",
    "design_assumptions": "survtrial.design.nph_assumptions",
    "DesignAssumptions": "survtrial.design.nph_assumptions",
    "average_hazard_ratio": "survtrial.design.nph_events",
    "expected_information": "survtrial.design.nph_events",
    "ahr_design": "survtrial.design.ahr_design",
    "ahr_power": "survtrial.design.ahr_design",
    "NphGroupSequentialDesign": "survtrial.design.nph_design",
    "weighted_logrank_design": "survtrial.design.wlr_design",
    "weighted_logrank_power": "survtrial.design.wlr_design",
    "maxcombo_design": "survtrial.design.maxcombo_design",
    "maxcombo_power": "survtrial.design.maxcombo_design",
    "MaxComboDesign": "survtrial.design.maxcombo_result",
    "rmst_design": "survtrial.design.km_contrast_design",
    "milestone_design": "survtrial.design.km_contrast_design",
    "KaplanMeierContrastDesign": "survtrial.design.km_contrast_design",
    "design_power": "survtrial.design.scenario_power",
    "classify_patient": "survtrial.clinical.classify",
    "RiskClassification": "survtrial.clinical.classify",
    "absolute_benefit": "survtrial.clinical.benefit",
    "AbsoluteBenefit": "survtrial.clinical.benefit",
    "number_needed_to_treat": "survtrial.clinical.nnt",
    "NumberNeededToTreat": "survtrial.clinical.nnt",
    "assess_cohort": "survtrial.clinical.cohort",
    "CohortAssessment": "survtrial.clinical.cohort",
    "synthetic_cohort": "survtrial.clinical.population",
    "treatment_calendar": "survtrial.clinical.calendar",
    "TreatmentCalendar": "survtrial.clinical.calendar",
    "Report": "survtrial.report.html",
    "ReportFiles": "survtrial.report.html",
    "km_plot": "survtrial.report.plots",
    "forest_plot": "survtrial.report.plots",
    "cumulative_incidence_plot": "survtrial.report.plots",
    "calibration_plot": "survtrial.report.plots",
    "save_figure": "survtrial.report.plots",
    "Scenario": "survtrial.simulate.scenario",
    "load_scenario": "survtrial.simulate.scenario",
    "simulate_trial": "survtrial.simulate.trial",
    "apply_data_cut": "survtrial.simulate.trial",
    "PiecewiseHazard": "survtrial.simulate.piecewise",
    "calibrate_piecewise_hazards": "survtrial.simulate.calibrate",
    "simulate_trials": "survtrial.simulate.engine",
    "SimulationResult": "survtrial.simulate.engine",
    "run_simulation": "survtrial.simulate.runner",
    "simulation_design": "survtrial.simulate.design_spec",
    "OperatingCharacteristics": "survtrial.simulate.summary",
    "analyse_trial": "survtrial.analysis.trial",
    "TrialAnalysis": "survtrial.analysis.trial",
    "load_adam": "survtrial.data.adam",
    "prepare_adam": "survtrial.data.adam",
    "read_table": "survtrial.data.io",
    "reconstruct_ipd": "survtrial.data.reconstruct",
    "ReconstructionResult": "survtrial.data.reconstruct",
    "analyze_adam": "survtrial.workflows.analyze",
    "analyze_table": "survtrial.workflows.analyze",
    "reproduce": "survtrial.workflows.reproduce",
    "load_twin": "survtrial.workflows.twin_spec",
    "TwinSpec": "survtrial.workflows.twin_spec",
    "InputError": "survtrial.errors",
    "ConvergenceWarning": "survtrial.errors",
    "StatisticWarning": "survtrial.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'survtrial' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
