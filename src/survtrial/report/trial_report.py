"""Assemble the monitoring committee's report (tables and figures) from a TrialAnalysis.

Every label is built from the analysis: the time unit (axes, captions, "3-year"), the endpoint's
name (titles, axes, file names; "endpoint" when the data do not name it), the reference arm and why
it was chosen, and the sign convention (hazard ratios experimental vs reference; z > 0 favours the
experimental arm).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from survtrial.analysis.trial import TrialAnalysis
from survtrial.report._style import format_p
from survtrial.report.forest import forest_plot
from survtrial.report.html import Report
from survtrial.report.km_plot import km_plot
from survtrial.report.plots import cumulative_incidence_plot
from survtrial.units import time_axis_label

__all__ = ["add_trial_sections", "report_title", "trial_conventions", "trial_figures", "trial_report"]


def _arm_order(frame: pd.DataFrame, reference: str, experimental: str) -> pd.DataFrame:
    df = frame.copy()
    df["group"] = pd.Categorical(df["group"].astype(str), categories=[reference, experimental])
    return df.sort_values(["group", "time"], kind="stable")


def _stem(name: str) -> str:
    return name.lower()


def _probability_label(endpoint: str | None) -> str:
    return f"{endpoint} probability" if endpoint else "Probability of no event"


def report_title(analysis: TrialAnalysis) -> str:
    """'DFS: blina vs chemo'; 'Time to event: drug vs placebo' when the endpoint is not named."""
    return f"{analysis.primary.endpoint or 'Time to event'}: {analysis.experimental} vs {analysis.reference}"


def trial_conventions(analysis: TrialAnalysis) -> list[str]:
    """The unit, endpoint, reference arm (and why) and sign conventions of ``analysis``, in words."""
    ref, exp = analysis.reference, analysis.experimental
    why = analysis.reference_arm.reason if analysis.reference_arm is not None else "given"
    return [
        f"time unit: {analysis.time_unit or 'not stated'}",
        f"endpoint: {analysis.primary.endpoint or 'not named'}",
        f"landmark: {analysis.landmark_words()}",
        f"reference (control) arm: {ref}, {why}",
        f"hazard ratio {exp} vs {ref} (< 1 favours {exp}); log-rank z > 0 favours {exp}",
    ]


def trial_figures(analysis: TrialAnalysis, *, time_label: str | None = None) -> dict[str, Any]:
    """The report's figures as matplotlib Figures, by name (for notebooks): KM per endpoint and per
    stratum level, cumulative incidence, forest plot. The time axis says the analysis' unit."""
    time_label = time_label or time_axis_label(analysis.time_unit)
    p = analysis.primary
    ref, exp = analysis.reference, analysis.experimental
    e = _stem(p.name)
    ylabel = _probability_label(p.endpoint)
    figs: dict[str, Any] = {
        f"km_{e}": km_plot(_arm_order(p.km.to_frame(), ref, exp), xlabel=time_label, ylabel=ylabel)}
    for level, km in p.km_by_stratum.items():
        figs[f"km_{e}_{level}"] = km_plot(
            _arm_order(km.to_frame(), ref, exp), xlabel=time_label, ylabel=ylabel,
            title=f"{p.strata[0]} = {level}")
    for name, ep in analysis.secondary.items():
        figs[f"km_{_stem(name)}"] = km_plot(_arm_order(ep.km.to_frame(), ref, exp), xlabel=time_label,
                                            ylabel=_probability_label(name))
    if analysis.competing is not None:
        figs["cumulative_incidence"] = cumulative_incidence_plot(analysis.competing.cuminc.to_frame(),
                                                                 xlabel=time_label)
    if analysis.subgroups is not None:
        figs["forest"] = forest_plot(analysis.subgroups, favours=(f"Favours {exp}", f"Favours {ref}"),
                                     xlabel=f"Hazard ratio, {exp} vs {ref} (log scale)")
    return figs


def _p_phrase(p: float) -> str:
    """'= 0.03', '< 0.001' or '> 0.99' (format_p's text with its sign)."""
    text = format_p(p)
    return f"{text[0]} {text[1:]}" if text[:1] in "<>" and text else f"= {text}"


def _rmst_sentence(analysis: TrialAnalysis) -> str:
    p = analysis.primary
    unit = analysis.time_unit
    dlo, dhi = p.rmst.confidence_interval(which="difference")
    what = f"Restricted mean {p.endpoint or 'event-free time'} to {analysis.tau_words()}"
    if unit is None:
        return (f"{what}: difference {p.rmst.difference:.3f} (time unit not stated; 95% CI {dlo:.3f} to "
                f"{dhi:.3f}), {analysis.experimental} - {analysis.reference}.")
    days = ""
    if unit != "days":
        from survtrial.units import convert

        days = (f" = {convert(p.rmst.difference, unit, 'days'):.0f} days; 95% CI "
                f"{convert(dlo, unit, 'days'):.0f} to {convert(dhi, unit, 'days'):.0f} days")
    else:
        days = f"; 95% CI {dlo:.0f} to {dhi:.0f} days"
    return (f"{what}: difference {analysis.experimental} - {analysis.reference} {p.rmst.difference:.3f} "
            f"{unit}{days}.")


def add_trial_sections(
    report: Report, analysis: TrialAnalysis, *, time_label: str | None = None,
    conventions: Sequence[str] | None = None,
) -> Report:
    """Add the standard sections (flow, primary endpoint, risk groups, secondary endpoints,
    competing risks, subgroups, safety) for ``analysis`` to ``report``.

    ``conventions``: lines for the "How to read" note that opens the primary-endpoint section
    (default: :func:`trial_conventions`).
    """
    p = analysis.primary
    ref, exp = analysis.reference, analysis.experimental
    e = _stem(p.name)
    name = p.endpoint or "time to event"
    cap = name[:1].upper() + name[1:]  # at the start of a sentence
    at = analysis.landmark_words()
    adj = analysis.landmark_words(adjective=True)
    unit_words = analysis.time_unit or "time unit not stated"
    hr, lo, hi = p.hazard_ratio
    strat = f"stratified by {', '.join(p.strata)}" if p.strata else "unstratified"
    figs = trial_figures(analysis, time_label=time_label)
    report.add_section("Subject flow")
    report.add_table(analysis.flow, "Subjects per arm: randomized, analysed, events by type, censored",
                     csv_name="subject_flow")

    report.add_section(f"Primary endpoint: {name}" + ("" if p.endpoint else " (not named)"))
    report.add_note("\n".join(f"{line[0].upper()}{line[1:]}." for line in (conventions or trial_conventions(analysis))),
                    title="How to read these results")
    z = p.z
    lines = [f"{cap} at {at}: {exp} vs {ref} (reference). Hazard ratio {exp} vs {ref} {hr:.2f} "
             f"(95% CI {lo:.2f}-{hi:.2f}), Cox model {strat}, Efron ties; log-rank z = {z:.2f} "
             f"(z > 0 favours {exp}), P {_p_phrase(p.logrank.p_value)} ({strat})."]
    if p.rmst is not None:
        lines.append(_rmst_sentence(analysis))
    report.add_text(" ".join(lines))
    report.add_figure(figs[f"km_{e}"],
                      f"Kaplan-Meier estimates of {name} by arm, time in {unit_words} (shaded: pointwise 95% "
                      "log-log CIs; numbers at risk under the axis)", name=f"km_{e}")
    report.add_table(p.summary(), f"{cap} by arm: events, {adj} estimate ± SE (Greenwood), hazard ratio "
                     f"{exp} vs {ref}", csv_name=f"{e}_summary")
    report.add_table(p.logrank.to_frame(), f"Log-rank test ({strat}): observed and expected events",
                     csv_name=f"{e}_logrank")
    report.add_table(p.cox.to_frame(), f"Cox proportional hazards model: hazard ratio {exp} vs {ref}",
                     csv_name=f"{e}_cox")
    if p.rmst is not None:
        report.add_table(p.rmst.to_frame("comparisons"),
                         f"Restricted mean survival time to {analysis.tau_words()}, in {unit_words} "
                         f"({exp} - {ref} and {exp} / {ref})", csv_name=f"{e}_rmst")

    if p.km_by_stratum:
        report.add_section(f"{cap} by {p.strata[0]}")
        for level in p.km_by_stratum:
            key = f"km_{e}_{level}"
            report.add_figure(figs[key], f"{cap} by arm within {p.strata[0]} {level}, time in {unit_words}",
                              name=key)
        report.add_table(p.landmarks, f"{adj} {name} by arm and {p.strata[0]} (estimate, SE, 95% CI; "
                         f"time in {unit_words})", csv_name=f"{e}_landmarks")

    for sec, ep in analysis.secondary.items():
        report.add_section(f"Secondary endpoint: {sec}")
        report.add_figure(figs[f"km_{_stem(sec)}"], f"Kaplan-Meier estimates of {sec} by arm, time in {unit_words}",
                          name=f"km_{_stem(sec)}")
        report.add_table(ep.summary(), f"{sec} by arm ({adj} estimate)", csv_name=f"{_stem(sec)}_summary")

    if analysis.competing is not None:
        c = analysis.competing
        report.add_section("Competing risks")
        report.add_figure(figs["cumulative_incidence"],
                          f"Cumulative incidence (Aalen-Johansen) by event type and arm, time in {unit_words}",
                          name="cumulative_incidence")
        report.add_table(c.landmarks, f"Cumulative incidence at {at} by event type and arm (SE as cmprsk)",
                         csv_name="cumulative_incidence_landmarks")
        if c.tests is not None:
            report.add_table(c.tests, "Gray's test between arms, per event type", csv_name="gray_tests")

    if analysis.subgroups is not None:
        report.add_section("Subgroups")
        report.add_figure(figs["forest"],
                          f"Hazard ratio {exp} vs {ref} by subgroup with 95% CI (< 1 favours {exp}); P values "
                          "for the arm-by-subgroup interaction", name="forest")
        report.add_table(analysis.subgroups, f"Subgroup analysis (hazard ratios {exp} vs {ref})",
                         csv_name="subgroups")

    if analysis.safety is not None:
        report.add_section("Safety")
        report.add_table(analysis.safety, "Subjects with events per arm: % with exact (Clopper-Pearson) 95% CI; "
                         f"risk difference {exp} - {ref} with Newcombe 95% CI", csv_name="safety")
    return report


def trial_report(analysis: TrialAnalysis, *, title: str | None = None, subtitle: str | None = None,
                 provenance: dict[str, Any] | None = None, banner: str | None = None,
                 conventions: Sequence[str] | None = None) -> Report:
    """A new :class:`Report` with the standard sections for ``analysis`` (title: :func:`report_title`)."""
    report = Report(title or report_title(analysis), subtitle=subtitle, provenance=provenance, banner=banner)
    return add_trial_sections(report, analysis, conventions=conventions)
