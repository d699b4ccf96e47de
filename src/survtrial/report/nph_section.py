"""The report's section on non-proportional hazards: PH test, effect over time, piecewise HRs, MaxCombo, RMST."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from survtrial.analysis.nph import PH_LEVEL
from survtrial.analysis.trial import TrialAnalysis
from survtrial.report._style import format_hr, format_p, hr_phrase, p_phrase
from survtrial.report.display import DASH, MINUS, humanize, signed, words
from survtrial.report.html import Report
from survtrial.report.schoenfeld_plot import schoenfeld_plot
from survtrial.units import Duration

__all__ = ["add_nph_section", "cut_points_words", "interval_words", "nph_sentence", "nph_tables"]

#: Names of the MaxCombo components as a reader knows them.
_FH_WORDS = {"FH(0, 0)": "log-rank, FH(0, 0)", "FH(0, 0.5)": "late effect, FH(0, 0.5)",
             "FH(0.5, 0)": "early effect, FH(0.5, 0)", "FH(0.5, 0.5)": "middle effect, FH(0.5, 0.5)"}


def cut_points_words(cuts: Sequence[float], unit: str | None) -> str:
    """'1 year', '12, 24 months', '370, 720' (no unit stated), 'none'.

    Examples
    --------
    >>> cut_points_words([1.0], "years"), cut_points_words([12.0, 24.0], "months"), cut_points_words([], "days")
    ('1 year', '12, 24 months', 'none')
    """
    if not len(cuts):
        return "none"
    if unit and len(cuts) == 1:
        return Duration(float(cuts[0]), unit).noun
    return ", ".join(f"{c:g}" for c in cuts) + (f" {unit}" if unit else "")


def interval_words(start: float, end: float, unit: str | None) -> str:
    """'0\u2013370 days', 'after 720 days' (the unit left out when not stated)."""
    u = f" {unit}" if unit else ""
    if not math.isfinite(end):
        return f"after {Duration(float(start), unit).noun if unit else f'{start:g}'}"
    return f"{start:g}{DASH}{end:g}{u}"


def _piece_hr(pw: Any, k: int) -> str:
    c = float(pw.coef[k])
    if math.isfinite(c):
        ci = pw.confidence_interval()
        return format_hr(math.exp(c), float(ci.low[k]), float(ci.high[k]))
    ref, exp_ = (str(g) for g in pw.groups)
    if pw.events[k].sum() == 0:
        return "NE (no events)"
    return f"NE (no events in {exp_ if pw.events[k, 1] == 0 else ref})"


def nph_sentence(analysis: TrialAnalysis, *, in_report: bool = True) -> str:
    """One sentence: is proportional hazards doubtful (PH test P < 0.05), and which summary then
    describes the effect (piecewise hazard ratios, RMST difference, milestone difference).
    ``in_report`` False words a pointer to the report's tables for a console."""
    nph = analysis.nph
    if nph is None:
        return ""
    p = analysis.primary
    hr, lo, hi = p.hazard_ratio
    test = f"Grambsch-Therneau test of proportional hazards {p_phrase(nph.ph_p_value)}"
    if not nph.ph_doubtful:
        return (f"No evidence against proportional hazards ({test}): the hazard ratio "
                f"{hr_phrase(hr, lo, hi)} describes the effect; the hazard ratios per interval "
                f"{'below' if in_report else 'in the report'} show how much it varies over time (the test has "
                "little power when events are few).")
    unit = analysis.time_unit
    parts = []
    if nph.piecewise is not None:
        pw = nph.piecewise
        pieces = [f"{_piece_hr(pw, k).split(' (')[0]} "
                  f"{'' if not math.isfinite(pw.end[k]) else 'in '}{interval_words(pw.start[k], pw.end[k], unit)}"
                  for k in range(pw.coef.size)]
        parts.append("the hazard ratios per interval (" + ", ".join(pieces) + ")")
    if p.rmst is not None:
        amount = signed(float(p.rmst.difference), 0 if unit == "days" else 2) + (f" {unit}" if unit else "")
        if unit not in (None, "days"):
            from survtrial.units import convert

            amount += f" = {signed(convert(float(p.rmst.difference), unit, 'days'), 0)} days"
        parts.append(f"the restricted mean {p.endpoint or 'event-free time'} difference to {analysis.tau_words()} "
                     f"({amount})")
    if nph.milestone is not None:
        parts.append(f"the difference in {p.endpoint or 'event-free survival'} at {analysis.milestone_words()} "
                     f"({signed(100 * nph.milestone.difference, 1)} points)")
    what = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else "the curves"
    return (f"Proportional hazards are doubtful ({test} < {PH_LEVEL:g}): the single hazard ratio "
            f"{hr_phrase(hr, lo, hi)} averages an effect that changes over time; describe it by {what} rather "
            "than by the single hazard ratio.")



def nph_tables(analysis: TrialAnalysis) -> dict[str, pd.DataFrame]:
    """The section's tables as read (text cells): PH test, piecewise HRs, MaxCombo, milestone and RMST."""
    nph = analysis.nph
    p = analysis.primary
    ref, exp_ = analysis.reference, analysis.experimental
    unit = analysis.time_unit
    ph = nph.ph_test
    out: dict[str, pd.DataFrame] = {}
    rows = [{"Term": f"Arm: {exp_} vs {ref}" if name == "arm" else humanize(name), "Chi-square": f"{s:.2f}",
             "df": f"{int(d)}", "P": format_p(float(pv))}
            for name, s, d, pv in zip(ph.terms, ph.statistic[:-1], ph.df[:-1], ph.p_value[:-1], strict=True)]
    rows.append({"Term": "Global", "Chi-square": f"{ph.statistic[-1]:.2f}", "df": f"{int(ph.df[-1])}",
                 "P": format_p(float(ph.p_value[-1]))})
    out["ph_test"] = pd.DataFrame(rows)
    if nph.piecewise is not None:
        pw = nph.piecewise
        rows = []
        for k in range(pw.coef.size):
            rows.append({f"Interval{f' ({unit})' if unit else ''}": interval_words(pw.start[k], pw.end[k], None),
                         f"At risk, {ref}": f"{pw.n_risk[k, 0]:.0f}", f"At risk, {exp_}": f"{pw.n_risk[k, 1]:.0f}",
                         f"Events, {ref}": f"{pw.events[k, 0]:.0f}", f"Events, {exp_}": f"{pw.events[k, 1]:.0f}",
                         "Hazard ratio (95% CI)": _piece_hr(pw, k), "P": format_p(float(pw.p_value[k]))})
        lo, hi = pw.confidence_interval(which="average")
        z = pw.average_log_hr / pw.average_log_hr_se if pw.average_log_hr_se > 0 else np.nan
        from scipy.special import ndtr

        rows.append({next(iter(rows[0])): "Average (event-weighted)", f"At risk, {ref}": "",
                     f"At risk, {exp_}": "", f"Events, {ref}": f"{pw.events[:, 0].sum():.0f}",
                     f"Events, {exp_}": f"{pw.events[:, 1].sum():.0f}",
                     "Hazard ratio (95% CI)": format_hr(pw.average_hazard_ratio, float(lo), float(hi)),
                     "P": format_p(float(2 * ndtr(-abs(z)))) if math.isfinite(z) else ""})
        out["piecewise_hr"] = pd.DataFrame(rows)
    if nph.maxcombo is not None:
        mc = nph.maxcombo
        zs = nph.maxcombo_z
        frame = mc.to_frame()
        rows = [{"Test": _FH_WORDS.get(lab, lab), f"z (> 0 favours {exp_})": f"{z:.2f}".replace("-", MINUS),
                 "P (two-sided)": format_p(float(pv))}
                for lab, z, pv in zip(mc.labels, zs, frame["p_value"], strict=True)]
        rows.append({"Test": "MaxCombo: the largest |z|, P from their joint normal law",
                     f"z (> 0 favours {exp_})": f"{mc.statistic:.2f}", "P (two-sided)": format_p(float(mc.p_value))})
        out["maxcombo"] = pd.DataFrame(rows)
    rows = []
    d = 0 if unit == "days" else 2
    if nph.milestone is not None:
        m = nph.milestone
        lo, hi = m.confidence_interval(which="difference")
        rows.append({"Comparison": f"{p.endpoint or 'Event-free survival'} at {analysis.milestone_words()}: "
                                   f"{exp_} {MINUS} {ref} (points)",
                     "Estimate (95% CI)": f"{signed(100 * m.difference, 1)} ({signed(100 * float(lo), 1)} to "
                                          f"{signed(100 * float(hi), 1)})",
                     "z": f"{m.z:.2f}".replace("-", MINUS), "P": format_p(float(m.p_value))})
        if math.isfinite(m.log_ratio):
            rlo, rhi = m.confidence_interval(which="ratio")
            rows.append({"Comparison": f"Cumulative hazard ratio at {analysis.milestone_words()}, {exp_} / {ref}",
                         "Estimate (95% CI)": format_hr(m.ratio, float(rlo), float(rhi)),
                         "z": f"{m.z_loglog:.2f}".replace("-", MINUS), "P": format_p(float(m.p_value_loglog))})
    if p.rmst is not None:
        comp = p.rmst.to_frame("comparisons").set_index("measure").loc["difference"]
        rows.append({"Comparison": f"Restricted mean to {analysis.tau_words()}: {exp_} {MINUS} {ref}"
                                   + (f" ({unit})" if unit else ""),
                     "Estimate (95% CI)": f"{signed(comp['estimate'], d)} ({signed(comp['lower'], d)} to "
                                          f"{signed(comp['upper'], d)})",
                     "z": f"{comp['estimate'] / comp['std_err']:.2f}".replace("-", MINUS),
                     "P": format_p(float(comp["p_value"]))})
    if rows:
        out["milestone_rmst"] = pd.DataFrame(rows)
    return out


def add_nph_section(report: Report, analysis: TrialAnalysis, *, time_label: str,
                    figure: Any = None) -> Report:
    """Add "When hazards may not be proportional" for the primary endpoint of ``analysis``.

    ``figure``: the Schoenfeld figure (or a function building it) when the caller has it already,
    e.g. one a :meth:`~survtrial.report.html.Report.figure_batch` is drawing; default: built here.
    """
    nph = analysis.nph
    if nph is None:
        return report
    p = analysis.primary
    ref, exp_ = analysis.reference, analysis.experimental
    unit = analysis.time_unit
    unit_words = unit or "time unit not stated"
    raw = nph.tables()
    tables = nph_tables(analysis)
    e = p.name.lower()
    report.add_section(f"{p.endpoint or 'Primary endpoint'}: is the effect constant over time?")
    report.add_text(nph_sentence(analysis))
    if nph.notes:
        report.add_callout("\n".join(nph.notes), kind="warning", title="Read with care")
    strat = f"stratified by {', '.join(words(s) for s in p.strata)}" if p.strata else "unstratified"
    report.add_table(tables["ph_test"], "Test of proportional hazards (Grambsch-Therneau, as R cox.zph with its "
                     f"default Kaplan-Meier time scale) for the Cox model of the arm, {strat}",
                     csv_name=f"{e}_ph_test", data=raw["ph_test"])
    fig = figure if figure is not None else partial(
        schoenfeld_plot, nph.ph_test, piecewise=nph.piecewise, cox_log_hr=float(p.cox.coef[0]), xlabel=time_label,
        ylabel=f"Hazard ratio {exp_} vs {ref} (log scale)")
    report.add_figure(fig, f"The effect of {exp_} vs {ref} over time, time in {unit_words}: scaled Schoenfeld "
                      "residuals of the arm (grey), their smooth as R's plot.cox.zph draws it (a natural cubic "
                      "spline with 4 df on the Kaplan-Meier time scale, band \u00b1 2 SE from the test's variance; "
                      "blue), the hazard ratio per interval (orange) and the Cox hazard ratio (dashed). A flat "
                      "smooth means proportional hazards.", name=f"schoenfeld_{e}")
    if "piecewise_hr" in tables:
        cuts = cut_points_words(nph.cut_points, unit)
        rule = "given" if nph.cut_points_rule == "given" else f"the {nph.cut_points_rule}"
        points = "point" if len(nph.cut_points) == 1 else "points"
        report.add_table(tables["piecewise_hr"], f"Hazard ratio {exp_} vs {ref} per interval (Cox model, {strat}; "
                         f"cut {points} {cuts}, {rule}); at risk at the interval's start; NE: not estimable",
                         csv_name=f"{e}_piecewise_hr", data=raw["piecewise_hr"])
    if "maxcombo" in tables:
        report.add_table(tables["maxcombo"], "Weighted log-rank tests (Fleming-Harrington weights from the pooled "
                         f"Kaplan-Meier, {strat}) and the MaxCombo test", csv_name=f"{e}_maxcombo",
                         data=raw["maxcombo"])
    if "milestone_rmst" in tables:
        report.add_table(tables["milestone_rmst"], "Comparisons that need no proportional hazards: Kaplan-Meier "
                         "difference at the milestone (Greenwood SE) and restricted mean difference",
                         csv_name=f"{e}_milestone", data=raw.get("milestone", pd.DataFrame()))
    return report
