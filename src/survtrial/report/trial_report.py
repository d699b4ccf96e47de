"""Assemble the monitoring committee's report (tables and figures) from a TrialAnalysis."""

from __future__ import annotations

from typing import Any

import pandas as pd

from survtrial.analysis.trial import TrialAnalysis
from survtrial.report._style import format_p
from survtrial.report.forest import forest_plot
from survtrial.report.html import Report
from survtrial.report.km_plot import km_plot
from survtrial.report.plots import cumulative_incidence_plot

__all__ = ["add_trial_sections", "trial_figures", "trial_report"]


def _arm_order(frame: pd.DataFrame, reference: str, experimental: str) -> pd.DataFrame:
    df = frame.copy()
    df["group"] = pd.Categorical(df["group"].astype(str), categories=[reference, experimental])
    return df.sort_values(["group", "time"], kind="stable")


def trial_figures(analysis: TrialAnalysis, *, time_label: str = "Years from randomization") -> dict[str, Any]:
    """The report's figures as matplotlib Figures, by name (for notebooks): KM per endpoint and per
    stratum level, cumulative incidence, forest plot."""
    p = analysis.primary
    ref, exp = analysis.reference, analysis.experimental
    figs: dict[str, Any] = {
        f"km_{p.endpoint.lower()}": km_plot(_arm_order(p.km.to_frame(), ref, exp), xlabel=time_label,
                                           ylabel=f"{p.endpoint} probability")}
    for level, km in p.km_by_stratum.items():
        figs[f"km_{p.endpoint.lower()}_{level}"] = km_plot(
            _arm_order(km.to_frame(), ref, exp), xlabel=time_label, ylabel=f"{p.endpoint} probability",
            title=f"{p.strata[0]} = {level}")
    for name, ep in analysis.secondary.items():
        figs[f"km_{name.lower()}"] = km_plot(_arm_order(ep.km.to_frame(), ref, exp), xlabel=time_label,
                                             ylabel=f"{name} probability")
    if analysis.competing is not None:
        figs["cumulative_incidence"] = cumulative_incidence_plot(analysis.competing.cuminc.to_frame(),
                                                                 xlabel=time_label)
    if analysis.subgroups is not None:
        figs["forest"] = forest_plot(analysis.subgroups, favours=(f"Favours {exp}", f"Favours {ref}"))
    return figs


def add_trial_sections(
    report: Report, analysis: TrialAnalysis, *, time_label: str = "Years from randomization"
) -> Report:
    """Add the standard sections (flow, primary endpoint, risk groups, secondary endpoints,
    competing risks, subgroups, safety) for ``analysis`` to ``report``."""
    p = analysis.primary
    ref, exp = analysis.reference, analysis.experimental
    lm = analysis.landmark
    hr, lo, hi = p.hazard_ratio
    strat = f"stratified by {', '.join(p.strata)}" if p.strata else "unstratified"
    figs = trial_figures(analysis, time_label=time_label)
    report.add_section("Subject flow")
    report.add_table(analysis.flow, "Subjects per arm: randomized, analysed, events by type, censored",
                     csv_name="subject_flow")

    report.add_section(f"Primary endpoint: {p.endpoint}")
    lines = [f"{p.endpoint} at {lm:g} years: {exp} vs {ref}. Hazard ratio {hr:.2f} (95% CI {lo:.2f}-{hi:.2f}), "
             f"Cox model {strat}, Efron ties; log-rank P = {format_p(p.logrank.p_value)} ({strat})."]
    if p.rmst is not None:
        dlo, dhi = p.rmst.confidence_interval(which="difference")
        lines.append(f"Restricted mean {p.endpoint} to {analysis.tau:g} years: difference {p.rmst.difference:.3f} "
                     f"years ({p.rmst.difference * 365.25:.0f} days; 95% CI {dlo * 365.25:.0f} to {dhi * 365.25:.0f}).")
    report.add_text(" ".join(lines))
    report.add_figure(figs[f"km_{p.endpoint.lower()}"],
                      f"Kaplan-Meier estimates of {p.endpoint} by arm (shaded: pointwise 95% log-log CIs; "
                      "numbers at risk under the axis)", name=f"km_{p.endpoint.lower()}")
    report.add_table(p.summary(), f"{p.endpoint} by arm: events, {lm:g}-year estimate ± SE (Greenwood), HR",
                     csv_name=f"{p.endpoint.lower()}_summary")
    report.add_table(p.logrank.to_frame(), f"Log-rank test ({strat}): observed and expected events",
                     csv_name=f"{p.endpoint.lower()}_logrank")
    report.add_table(p.cox.to_frame(), "Cox proportional hazards model", csv_name=f"{p.endpoint.lower()}_cox")
    if p.rmst is not None:
        report.add_table(p.rmst.to_frame("comparisons"),
                         f"Restricted mean survival time to {analysis.tau:g} (difference and ratio)",
                         csv_name=f"{p.endpoint.lower()}_rmst")

    if p.km_by_stratum:
        report.add_section(f"{p.endpoint} by {p.strata[0]}")
        for level in p.km_by_stratum:
            key = f"km_{p.endpoint.lower()}_{level}"
            report.add_figure(figs[key], f"{p.endpoint} by arm within {p.strata[0]} {level}", name=key)
        report.add_table(p.landmarks, f"{lm:g}-year {p.endpoint} by arm and {p.strata[0]} (estimate, SE, 95% CI)",
                         csv_name=f"{p.endpoint.lower()}_landmarks")

    for name, ep in analysis.secondary.items():
        report.add_section(f"Secondary endpoint: {name}")
        report.add_figure(figs[f"km_{name.lower()}"], f"Kaplan-Meier estimates of {name} by arm",
                          name=f"km_{name.lower()}")
        report.add_table(ep.summary(), f"{name} by arm", csv_name=f"{name.lower()}_summary")

    if analysis.competing is not None:
        c = analysis.competing
        report.add_section("Competing risks")
        report.add_figure(figs["cumulative_incidence"], "Cumulative incidence (Aalen-Johansen) by event type and arm",
                          name="cumulative_incidence")
        report.add_table(c.landmarks, f"Cumulative incidence at {lm:g} years by event type and arm (SE as cmprsk)",
                         csv_name="cumulative_incidence_landmarks")
        if c.tests is not None:
            report.add_table(c.tests, "Gray's test between arms, per event type", csv_name="gray_tests")

    if analysis.subgroups is not None:
        report.add_section("Subgroups")
        report.add_figure(figs["forest"],
                          "Hazard ratio by subgroup with 95% CI; P values for the arm-by-subgroup interaction",
                          name="forest")
        report.add_table(analysis.subgroups, "Subgroup analysis", csv_name="subgroups")

    if analysis.safety is not None:
        report.add_section("Safety")
        report.add_table(analysis.safety, "Subjects with events per arm: % with exact (Clopper-Pearson) 95% CI; "
                         f"risk difference {exp} - {ref} with Newcombe 95% CI", csv_name="safety")
    return report


def trial_report(analysis: TrialAnalysis, *, title: str, subtitle: str | None = None,
                 provenance: dict[str, Any] | None = None, banner: str | None = None) -> Report:
    """A new :class:`Report` with the standard sections for ``analysis``."""
    report = Report(title, subtitle=subtitle, provenance=provenance, banner=banner)
    return add_trial_sections(report, analysis)
