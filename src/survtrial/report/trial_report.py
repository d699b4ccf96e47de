"""Assemble the monitoring committee's report (tables and figures) from a TrialAnalysis.

Every label is built from the analysis: the time unit (axes, captions, "3-year"), the endpoint's
name (titles, axes, file names; "endpoint" when the data do not name it), the reference arm and why
it was chosen, and the sign convention (hazard ratios experimental vs reference; z > 0 favours the
experimental arm).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from survtrial.analysis.trial import TrialAnalysis
from survtrial.report import display
from survtrial.report._style import arm_colors, hr_phrase, p_phrase
from survtrial.report.cif_plot import cumulative_incidence_panels
from survtrial.report.display import MINUS, humanize, words
from survtrial.report.forest import forest_plot
from survtrial.report.html import Report
from survtrial.report.km_plot import km_plot
from survtrial.report.nph_section import add_nph_section, cut_points_words, nph_sentence
from survtrial.report.schoenfeld_plot import schoenfeld_plot
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
    lines = [
        f"time unit: {analysis.time_unit or 'not stated'}",
        f"endpoint: {analysis.primary.endpoint or 'not named'}",
        f"landmark: {analysis.landmark_words()}",
        f"reference (control) arm: {ref}, {why}",
        f"hazard ratio {exp} vs {ref} (< 1 favours {exp}); log-rank z > 0 favours {exp}",
    ]
    if analysis.nph is not None:
        cuts = cut_points_words(analysis.nph.cut_points, analysis.time_unit)
        lines.append(f"piecewise hazard ratios cut at {cuts} ({analysis.nph.cut_points_rule}); milestone: "
                     f"{analysis.milestone_words()}")
    return lines


def _shared_ylim(frames: Sequence[pd.DataFrame]) -> tuple[float, float]:
    """One y range for Kaplan-Meier panels that are compared: from the tenth below the lowest
    curve or CI value of any panel to 1."""
    lows = [f[c].to_numpy(dtype=float) for f in frames for c in ("survival", "lower")]
    values = np.concatenate([v[np.isfinite(v)] for v in lows] + [np.array([1.0])])
    return max(0.0, float(np.floor((values.min() - 0.02) * 10.0 + 1e-9) / 10.0)), 1.0


def _subgroup_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The subgroup frame with its names and levels in words (for the forest plot)."""
    out = frame.copy()
    out["subgroup"] = [humanize(v) for v in out["subgroup"]]
    out["level"] = [humanize(v) if isinstance(v, str) else v for v in out["level"]]
    return out


def trial_figures(analysis: TrialAnalysis, *, time_label: str | None = None) -> dict[str, Any]:
    """The report's figures as matplotlib Figures, by name (for notebooks): KM per endpoint and per
    stratum level (one y range for the levels), cumulative incidence (one panel per cause), forest
    plot, and the arm effect over time. The time axis says the analysis' unit; an arm has one
    colour in every figure (:func:`~survtrial.report._style.arm_colors`: reference blue,
    experimental vermillion)."""
    return {name: build() for name, build in figure_builders(analysis, time_label=time_label).items()}


def figure_builders(analysis: TrialAnalysis, *, time_label: str | None = None) -> dict[str, Callable[[], Any]]:
    """:func:`trial_figures` as functions building each figure, by name (a report draws them in a
    :meth:`~survtrial.report.html.Report.figure_batch`, and builds only those it shows)."""
    time_label = time_label or time_axis_label(analysis.time_unit)
    p = analysis.primary
    ref, exp = analysis.reference, analysis.experimental
    colors = arm_colors([ref, exp])
    e = _stem(p.name)
    ylabel = _probability_label(p.endpoint)
    km = _arm_order(p.km.to_frame(), ref, exp)
    figs: dict[str, Callable[[], Any]] = {f"km_{e}": partial(km_plot, km, xlabel=time_label, ylabel=ylabel,
                                                             colors=colors)}
    if p.km_by_stratum:
        frames = {level: _arm_order(k.to_frame(), ref, exp) for level, k in p.km_by_stratum.items()}
        ylim = _shared_ylim(list(frames.values()))
        right = max(float(f["time"].max()) for f in frames.values())
        for level, frame in frames.items():
            figs[f"km_{e}_{level}"] = partial(km_plot, frame, xlabel=time_label, ylabel=ylabel, ylim=ylim, xmax=right,
                                              title=f"{humanize(p.strata[0])} = {level}", colors=colors)
    for name, ep in analysis.secondary.items():
        figs[f"km_{_stem(name)}"] = partial(km_plot, _arm_order(ep.km.to_frame(), ref, exp), xlabel=time_label,
                                            ylabel=_probability_label(name), colors=colors)
    if analysis.competing is not None:
        cif = analysis.competing.cuminc.to_frame()
        cif["group"] = pd.Categorical(cif["group"].astype(str), categories=[ref, exp])
        cif = cif.sort_values(["group", "cause", "time"], kind="stable")
        causes = list(pd.unique(analysis.competing.landmarks["cause"]))
        figs["cumulative_incidence"] = partial(
            cumulative_incidence_panels, cif, at_risk=km, causes=causes, titles={c: humanize(c) for c in causes},
            colors=colors, xlabel=time_label, xmax=float(km["time"].max()))
    if analysis.subgroups is not None:
        figs["forest"] = partial(forest_plot, _subgroup_display(analysis.subgroups),
                                 favours=(f"Favours {exp}", f"Favours {ref}"),
                                 xlabel=f"Hazard ratio, {exp} vs {ref} (log scale)")
    if analysis.nph is not None:
        figs[f"schoenfeld_{e}"] = partial(schoenfeld_plot, analysis.nph.ph_test, piecewise=analysis.nph.piecewise,
                                          cox_log_hr=float(p.cox.coef[0]), xlabel=time_label,
                                          ylabel=f"Hazard ratio {exp} vs {ref} (log scale)")
    return figs


def _rmst_sentence(analysis: TrialAnalysis) -> str:
    p = analysis.primary
    unit = analysis.time_unit
    ref, exp = analysis.reference, analysis.experimental
    dlo, dhi = (float(v) for v in p.rmst.confidence_interval(which="difference"))
    dif = float(p.rmst.difference)
    what = f"Restricted mean {p.endpoint or 'event-free time'} to {analysis.tau_words()}"

    def num(x: float, d: int) -> str:
        return f"{x:.{d}f}".replace("-", MINUS)

    if unit is None:
        return (f"{what}: difference {exp} {MINUS} {ref} {num(dif, 3)} (time unit not stated; 95% CI "
                f"{num(dlo, 3)} to {num(dhi, 3)}).")
    if unit == "days":
        return f"{what}: difference {exp} {MINUS} {ref} {num(dif, 0)} days (95% CI {num(dlo, 0)} to {num(dhi, 0)})."
    from survtrial.units import convert

    return (f"{what}: difference {exp} {MINUS} {ref} {num(dif, 3)} {unit} = {num(convert(dif, unit, 'days'), 0)} "
            f"days (95% CI {num(convert(dlo, unit, 'days'), 0)} to {num(convert(dhi, unit, 'days'), 0)} days).")


def add_trial_sections(
    report: Report, analysis: TrialAnalysis, *, time_label: str | None = None,
    conventions: Sequence[str] | None = None,
) -> Report:
    """Add the standard sections (flow, primary endpoint, its effect over time, risk groups,
    secondary endpoints, competing risks, subgroups, safety) for ``analysis`` to ``report``.

    ``conventions``: lines for the "How to read" note that opens the primary-endpoint section
    (default: :func:`trial_conventions`). Tables are shown as a reader reads them
    (:mod:`survtrial.report.display`); their CSV files hold the analysis' frames at full precision.
    """
    figs = figure_builders(analysis, time_label=time_label)
    # The figures are drawn on a second process (where possible) while the tables are built here.
    with report.figure_batch(prefetch=list(figs.values())):
        return _add_trial_sections(report, analysis, figs, time_label=time_label, conventions=conventions)


def _add_trial_sections(report: Report, analysis: TrialAnalysis, figs: dict[str, Callable[[], Any]], *,
                        time_label: str | None, conventions: Sequence[str] | None) -> Report:
    p = analysis.primary
    ref, exp = analysis.reference, analysis.experimental
    e = _stem(p.name)
    name = p.endpoint or "time to event"
    cap = name[:1].upper() + name[1:]  # at the start of a sentence
    at = analysis.landmark_words()
    adj = analysis.landmark_words(adjective=True)
    unit_words = analysis.time_unit or "time unit not stated"
    time_label = time_label or time_axis_label(analysis.time_unit)
    hr, lo, hi = p.hazard_ratio
    strat = f"stratified by {', '.join(words(s) for s in p.strata)}" if p.strata else "unstratified"
    report.add_section("Subject flow")
    report.add_table(display.flow_table(analysis.flow), "Subjects per arm: randomized, analysed, events by type, "
                     "censored", csv_name="subject_flow", data=analysis.flow)

    report.add_section(f"Primary endpoint: {name}" + ("" if p.endpoint else " (not named)"))
    report.add_note("\n".join(f"{line[0].upper()}{line[1:]}." for line in (conventions or trial_conventions(analysis))),
                    title="How to read these results")
    z = p.z
    lines = [f"{cap} at {at}: {exp} vs {ref} (reference). Hazard ratio {exp} vs {ref} {hr_phrase(hr, lo, hi)}, "
             f"Cox model {strat}, Efron ties; log-rank z = {z:.2f} (z > 0 favours {exp}), "
             f"{p_phrase(float(p.logrank.p_value))} ({strat})."]
    if p.rmst is not None:
        lines.append(_rmst_sentence(analysis))
    report.add_text(" ".join(lines).replace("z = -", f"z = {MINUS}"))
    if analysis.nph is not None:
        report.add_text(nph_sentence(analysis))
    report.add_figure(figs[f"km_{e}"],
                      f"Kaplan-Meier estimates of {name} by arm, time in {unit_words} (shaded: pointwise 95% "
                      "log-log CIs; ticks: censorings where they are sparse, i.e. no other within 1% of the time "
                      "axis; numbers at risk under the axis)", name=f"km_{e}")
    report.add_table(display.summary_table(p, adj), f"{cap} by arm: events, {adj} estimate \u00b1 SE (Greenwood) "
                     f"with 95% log-log CI, hazard ratio {exp} vs {ref}", csv_name=f"{e}_summary", data=p.summary())
    lr = p.logrank
    report.add_table(display.logrank_table(p), f"Log-rank test ({strat}): observed and expected events; "
                     f"chi-square {lr.statistic:.2f} on {lr.df} df, "
                     f"{p_phrase(float(lr.p_value))}", csv_name=f"{e}_logrank", data=lr.to_frame())
    report.add_table(display.cox_table(p), f"Cox proportional hazards model ({strat}, Efron ties): hazard ratio "
                     f"{exp} vs {ref}", csv_name=f"{e}_cox", data=p.cox.to_frame())
    if p.rmst is not None:
        report.add_table(display.rmst_table(p, analysis.time_unit),
                         f"Restricted mean survival time to {analysis.tau_words()}, in {unit_words} "
                         f"({exp} {MINUS} {ref} and {exp} / {ref})", csv_name=f"{e}_rmst",
                         data=p.rmst.to_frame("comparisons"))

    if analysis.nph is not None:
        add_nph_section(report, analysis, time_label=time_label, figure=figs.get(f"schoenfeld_{e}"))

    if p.km_by_stratum:
        level_name = words(p.strata[0])
        report.add_section(f"{cap} by {level_name}")
        for level in p.km_by_stratum:
            key = f"km_{e}_{level}"
            report.add_figure(figs[key], f"{cap} by arm within {level_name} {level}, time in {unit_words} (the "
                              "same axes in every panel)", name=key)
        report.add_table(display.landmark_table(p, adj, humanize(p.strata[0])), f"{adj} {name} by arm and {level_name} "
                         f"(estimate, SE, 95% log-log CI; at risk and events at {at})", csv_name=f"{e}_landmarks",
                         data=p.landmarks)

    for sec, ep in analysis.secondary.items():
        report.add_section(f"Secondary endpoint: {sec}")
        report.add_figure(figs[f"km_{_stem(sec)}"], f"Kaplan-Meier estimates of {sec} by arm, time in {unit_words}",
                          name=f"km_{_stem(sec)}")
        report.add_table(display.summary_table(ep, adj), f"{sec} by arm ({adj} estimate \u00b1 SE, 95% CI)",
                         csv_name=f"{_stem(sec)}_summary", data=ep.summary())

    if analysis.competing is not None:
        c = analysis.competing
        report.add_section("Competing risks")
        report.add_figure(figs["cumulative_incidence"],
                          f"Cumulative incidence (Aalen-Johansen) of each event type by arm, with pointwise 95% CIs "
                          f"(shaded), time in {unit_words}; one panel per event type, all on the same axes; numbers "
                          "at risk (free of any event and followed) under each panel", name="cumulative_incidence")
        report.add_table(display.competing_risks_table(c, [ref, exp]),
                         f"Cumulative incidence at {at} by event type and arm, % with 95% CI (variance as cmprsk)",
                         csv_name="cumulative_incidence_landmarks", data=c.landmarks)
        if c.tests is not None:
            report.add_table(display.gray_table(c.tests), "Gray's test of equal cumulative incidence in the two "
                             "arms, per event type", csv_name="gray_tests", data=c.tests)

    if analysis.subgroups is not None:
        report.add_section("Subgroups")
        report.add_figure(figs["forest"],
                          f"Hazard ratio {exp} vs {ref} by subgroup with 95% CI (< 1 favours {exp}); P values "
                          "for the arm-by-subgroup interaction", name="forest")
        report.add_table(display.subgroup_table(analysis.subgroups, ref, exp),
                         f"Subgroup analysis (hazard ratios {exp} vs {ref}; NE: not estimable)", csv_name="subgroups",
                         data=analysis.subgroups)

    if analysis.safety is not None:
        report.add_section("Safety")
        report.add_table(display.safety_table(analysis.safety, ref, exp),
                         "Subjects with events per arm: n (%; exact Clopper-Pearson 95% CI); risk difference "
                         f"{exp} {MINUS} {ref} in percentage points with Newcombe 95% CI", csv_name="safety",
                         data=analysis.safety)
    return report


def trial_report(analysis: TrialAnalysis, *, title: str | None = None, subtitle: str | None = None,
                 provenance: dict[str, Any] | None = None, banner: str | None = None,
                 conventions: Sequence[str] | None = None) -> Report:
    """A new :class:`Report` with the standard sections for ``analysis`` (title: :func:`report_title`)."""
    report = Report(title or report_title(analysis), subtitle=subtitle, provenance=provenance, banner=banner)
    return add_trial_sections(report, analysis, conventions=conventions)
