"""The design report: assumptions, expected events and AHR over time, bounds, crossing probabilities, on one page.

Every number comes from the :mod:`survtrial.design` result (``to_frame()``, ``summary()``, the
assumptions' frames, :func:`~survtrial.design.average_hazard_ratio`) and, with a simulation check,
from :func:`~survtrial.simulate.design_check.check_by_simulation`; the report only formats them.
Each table's CSV holds the API's frame at full precision.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from survtrial.report._style import arm_colors, new_figure, plain, style
from survtrial.report.html import Report, provenance

__all__ = ["design_figure", "design_report", "design_tables", "simulation_check_table"]

ARMS = ("control", "experimental")


def _f(values: Any, decimals: int) -> list[str | None]:
    """Numbers as text with fixed decimals (the CSV keeps full precision); no bound (infinite) or no
    value is None, shown as NA."""
    out: list[str | None] = []
    for v in np.asarray(values, dtype=float):
        text = None if not np.isfinite(v) else f"{v:.{decimals}f}"
        out.append(text[1:] if text is not None and text.startswith("-") and float(text) == 0 else text)
    return out


def _unit1(unit: str) -> str:
    return unit[:-1]


def _is_fixed(design: Any) -> bool:
    return hasattr(design, "tau") and hasattr(design, "kind")


def _grid(design: Any) -> np.ndarray:
    end = float(design.study_duration if _is_fixed(design) else design.time[-1])
    return np.linspace(end / 200, end * 1.15, 116)


def events_over_time(design: Any) -> pd.DataFrame:
    """Expected events (per arm and total), subjects and the AHR over calendar time (``average_hazard_ratio``)."""
    from survtrial.design.nph_events import average_hazard_ratio

    return average_hazard_ratio(design.assumptions, _grid(design)).to_frame()


def design_figure(design: Any, unit: str, title: str | None = None) -> Any:
    """Two panels over calendar time: expected events per arm and in total; the average hazard ratio.

    Looks are dotted vertical lines. Control is blue, experimental vermillion (the report's arm colours).
    """
    frame = events_over_time(design)
    looks = np.atleast_1d(design.study_duration if _is_fixed(design) else design.time)
    colors = arm_colors(ARMS)
    with style():
        fig = new_figure(7.0, 2.9)
        left, right = fig.subplots(1, 2)
        t = frame["time"].to_numpy()
        left.plot(t, frame["events"], color="#222222", label="both arms")
        left.plot(t, frame["events_control"], color=colors["control"], linestyle="--", label="control",
                  gid="arm-control-events-0")
        left.plot(t, frame["events_experimental"], color=colors["experimental"], linestyle="-.",
                  label="experimental", gid="arm-experimental-events-0")
        left.set_ylabel("Expected events")
        left.set_ylim(bottom=0)
        left.legend(loc="upper left")
        right.plot(t, frame["ahr"], color="#222222")
        right.axhline(1.0, color="#888888", linewidth=0.8)
        right.set_ylabel("Average hazard ratio")
        hrs = np.concatenate([s.hazard_ratio for s in design.assumptions.strata])
        right.set_ylim(min(0.9 * float(np.min(hrs)), 0.9 * float(frame["ahr"].min())),
                       max(1.05, 1.05 * float(np.max(hrs))))
        for ax in (left, right):
            for j, x in enumerate(looks):
                ax.axvline(float(x), color="#888888", linestyle=":", linewidth=0.9)
                if ax is left:
                    ax.annotate(f"look {j + 1}" if looks.size > 1 else "analysis", (float(x), 0), xytext=(2, 2),
                                textcoords="offset points", fontsize=7.5, color="#555555", rotation=90,
                                va="bottom")
            ax.set_xlabel(f"{unit.capitalize()} from the start of enrolment")
            ax.set_xlim(0, float(t[-1]))
        if title:
            fig.suptitle(plain(title), x=0.01, ha="left", fontsize=10, fontweight="bold")
    return fig


def _assumption_tables(design: Any, unit: str) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, str]]:
    a = design.assumptions
    enroll = a.enrollment_frame()
    fail = a.failure_frame()
    starts_e = enroll.groupby("stratum", sort=False)["duration"].cumsum() - enroll["duration"]
    shown_e = pd.DataFrame({
        "Stratum": enroll["stratum"],
        f"Period ({unit} from start)": [f"{s:g}-{s + d:g}" for s, d in zip(starts_e, enroll["duration"], strict=True)],
        f"Subjects per {_unit1(unit)}": _f(enroll["rate"], 2),
        "Subjects in period": _f(enroll["rate"] * enroll["duration"], 1),
    })
    finite = fail["duration"].replace(np.inf, 0.0)
    starts_f = finite.groupby(fail["stratum"], sort=False).cumsum() - finite
    period = [f"{s:g}-{s + d:g}" if np.isfinite(d) else f"{s:g} and later"
              for s, d in zip(starts_f, fail["duration"], strict=True)]
    with np.errstate(divide="ignore"):
        median = np.where(fail["fail_rate"] > 0, np.log(2) / fail["fail_rate"], np.inf)
    shown_f = pd.DataFrame({
        "Stratum": fail["stratum"],
        f"Period ({unit} from randomization)": period,
        f"Control hazard (per {_unit1(unit)})": fail["fail_rate"].map(lambda x: f"{x:.4g}"),
        f"Control median ({unit}) if constant": [f"{m:.3g}" if np.isfinite(m) else "none" for m in median],
        "Hazard ratio": fail["hr"].map(lambda x: f"{x:.2f}"),
        f"Dropout hazard (per {_unit1(unit)})": fail["dropout_rate"].map(lambda x: f"{x:.4g}"),
    })
    return {
        "enroll_rate": (shown_e, enroll, f"Enrolment (both arms; allocation experimental:control "
                                         f"{a.allocation_ratio:g}:1), scaled to the design's sample size"),
        "fail_rate": (shown_f, fail, f"Failure, hazard ratio (experimental / control) and dropout by period of "
                                     f"time since randomization; time unit: {unit}"),
    }


def _look_tables(design: Any, unit: str) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, str]]:
    frame = design.to_frame()
    k = design.k
    one_sided = design.sided == 1
    low_name = "futility" if one_sided else "lower"
    low_col = f"{low_name}_z"
    has_low = low_col in frame and frame[low_col].notna().any()
    shown = pd.DataFrame({"Look": frame["look"], f"Time ({unit})": _f(frame["time"], 2),
                          "Subjects": _f(frame["n"], 1), "Events": _f(frame["events"], 1),
                          "Average HR": _f(frame["ahr"], 3)})
    if "info_fraction0" in frame:
        shown["Information fraction (H0)"] = _f(frame["info_fraction0"], 3)
    else:
        shown["Spending time"] = _f(frame["spending_time"], 3)
    shown["Efficacy z"] = _f(frame["efficacy_z"], 3)
    if "efficacy_hr" in frame:
        shown["HR at efficacy bound"] = _f(frame["efficacy_hr"], 2)
    if has_low:
        shown[f"{low_name.capitalize()} z"] = _f(frame[low_col], 3)
        if f"{low_name}_hr" in frame:
            shown[f"HR at {low_name} bound"] = _f(frame[f"{low_name}_hr"], 2)
    shown["Nominal one-sided p"] = _f(frame["nominal_alpha"], 4)
    prob = pd.DataFrame({"Look": frame["look"], "Efficacy, H1": _f(frame["upper_h1"], 4),
                         "Cumulative power": _f(frame["cumulative_power"], 4)})
    if has_low:
        prob[f"{low_name.capitalize()}, H1"] = _f(frame["lower_h1"], 4)
    prob["Efficacy, H0"] = _f(frame["upper_h0"], 4)
    prob["Cumulative alpha" + (" (futility ignored)" if has_low and not design.binding_futility else "")] = \
        _f(frame["cumulative_alpha"], 4)
    if has_low:
        prob[f"{low_name.capitalize()}, H0"] = _f(frame["lower_h0"], 4)
    hr_note = ("; HR at a bound: exp(-z / sqrt(H0 information)), gsDesign2's '~HR at bound'"
               if "efficacy_hr" in frame else "; bounds on the largest of the tests' z")
    bounds_cols = [c for c in ("look", "time", "n", "events", "ahr", "info", "info0", "info_fraction",
                               "info_fraction0", "spending_time", "theta", "efficacy_z", low_col, "efficacy_hr",
                               f"{low_name}_hr", "nominal_alpha") if c in frame]
    bounds_cols += [c for c in frame.columns if c.startswith("mean_z ")]
    prob_cols = [c for c in ("look", "upper_h1", "lower_h1", "cumulative_power", "upper_h0", "lower_h0",
                             "cumulative_alpha") if c in frame]
    return {
        "bounds": (shown, frame[bounds_cols], f"Bounds per look: z > 0 favours the experimental arm{hr_note}; "
                                              f"time from the start of enrolment ({unit})"),
        "crossing_probabilities": (prob, frame[prob_cols],
                                   f"Probability of crossing each bound first at each look ({k} look(s)), under the "
                                   "design's alternative (H1) and under H0, "
                                   + ("futility bounds followed" if has_low else "no futility bounds")),
    }


def _summary_table(design: Any, unit: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    s = design.summary() if not _is_fixed(design) else None
    if s is None:
        raw = design.to_frame()
        r = raw.iloc[0]
        shown = pd.DataFrame({"Quantity": [
            "Analysis time", "Subjects", "Expected events", f"{'RMST' if design.kind == 'rmst' else 'Survival'} at "
            f"{design.tau:g} {unit}, control", "experimental", "Difference (experimental - control)",
            "Standard error", "Critical z (one-sided)", "Power"],
            "Value": [f"{r['time']:.4g} {unit}", f"{r['n']:.1f}", f"{r['events']:.1f}", f"{r['control']:.4g}",
                      f"{r['experimental']:.4g}", f"{r['difference']:.4g}", f"{r['standard_error']:.4g}",
                      f"{r['bound']:.3f}", f"{r['power']:.4f}"]})
        return shown, raw, "The fixed design"
    r = s.iloc[0]
    shown = pd.DataFrame({"Quantity": [
        "Test", "Looks", "Subjects (maximum)", "Events (maximum)", "Study duration",
        "Power", "Type I error (one-sided)" if design.sided == 1 else "Type I error (two-sided)",
        "Expected subjects under H1 / H0", "Expected duration under H1 / H0"],
        "Value": [r["statistic"], f"{int(r['looks'])}", f"{r['n_subjects']:.1f}", f"{r['events']:.1f}",
                  f"{r['duration']:.2f} {unit}", f"{r['power']:.4f}", f"{r['alpha']:g}",
                  f"{r['expected_subjects_h1']:.1f} / {r['expected_subjects_h0']:.1f}",
                  f"{r['expected_duration_h1']:.2f} / {r['expected_duration_h0']:.2f} {unit}"]})
    return shown, s, "The design in numbers (expected values with every bound followed)"


def design_tables(design: Any, unit: str, check: Any = None) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, str]]:
    """The report's tables: name -> (table shown, the API's frame written as CSV, caption)."""
    out = {"summary": _summary_table(design, unit)}
    out |= _assumption_tables(design, unit)
    if not _is_fixed(design):
        out |= _look_tables(design, unit)
    ev = events_over_time(design)
    cols = ["time", "n", "events_control", "events_experimental", "events", "ahr"]
    shown = ev[cols].iloc[::10].reset_index(drop=True)
    shown.columns = [f"Time ({unit})", "Subjects", "Events, control", "Events, experimental", "Events", "Average HR"]
    for col, d in zip(shown.columns, (2, 1, 1, 1, 1, 3), strict=True):
        shown[col] = _f(shown[col], d)
    out["events_over_time"] = (shown, ev,
                               "Expected events and average hazard ratio over calendar time (every 10th row of "
                               "the CSV)")
    if check is not None:
        out["simulation_check"] = simulation_check_table(check)
    return out


def simulation_check_table(check: Any) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The report's table of a check by simulation: (table shown, ``check.table``, caption); 4 decimals, the
    difference in Monte-Carlo SEs to 2, as `survtrial design --check-by-simulation` prints them."""
    t = check.table
    shown = pd.DataFrame({"Hypothesis": t["hypothesis"], "Quantity": t["quantity"], "Look": t["look"],
                          "Events": t["events"], "Analytic": _f(t["analytic"], 4),
                          "Simulated": _f(t["simulated"], 4), "Monte-Carlo SE": _f(t["mc_se"], 4),
                          "Difference (SE)": _f(t["difference_se"], 2)})
    return shown, t, (f"Analytic vs simulated: {check.n_sims:,} trials per hypothesis (seed {check.seed}), "
                      f"{check.n_subjects} subjects, looks at {', '.join(map(str, check.events))} events")


def design_report(design: Any, unit: str, *, title: str | None = None, check: Any = None,
                  command: Any = None, source: str | None = None) -> Report:
    """The design report (HTML, self-contained; tables also as CSV) of a design of :mod:`survtrial.design`.

    Parameters
    ----------
    design : NphGroupSequentialDesign, MaxComboDesign or KaplanMeierContrastDesign
    unit : str
        The time unit of the design's tables (days, weeks, months or years); printed with every time.
    title : str, optional
    check : DesignSimulationCheck, optional
        From :func:`~survtrial.simulate.design_check.check_by_simulation`: adds the table of analytic
        against simulated crossing probabilities.
    command, source : optional
        The command line and design file, for the provenance block.

    Returns
    -------
    Report

    Examples
    --------
    >>> import numpy as np
    >>> from survtrial.design import design_assumptions
    >>> from survtrial.design.ahr_design import ahr_design
    >>> a = design_assumptions({"duration": [12], "rate": [20]},
    ...                        {"duration": [4, np.inf], "fail_rate": 0.05, "hr": [1, 0.6]})
    >>> r = design_report(ahr_design(a, analysis_times=[24, 36], power=0.9), "months")
    >>> "Crossing probabilities" in r.render()
    True
    """
    from survtrial.units import canonical_unit

    unit = canonical_unit(unit)
    tables = design_tables(design, unit, check)
    name = getattr(design, "statistic", None) or f"{design.kind} at {design.tau:g} {unit}"
    rep = Report(title or "Trial design", subtitle=f"{name}; time unit: {unit}",
                 provenance=provenance(command=command, seed=None if check is None else check.seed,
                                       design_file=source))

    def table(key: str) -> None:
        shown, raw, caption = tables[key]
        rep.add_table(shown, caption, csv_name=key, data=raw)

    rep.add_section("Design", text=_headline(design, unit))
    table("summary")
    rep.add_section("Assumptions", page_break=False,
                    text="The planning assumptions as tables (gsDesign2's enroll_rate and fail_rate), with the "
                         "enrolment rates scaled to the design's sample size.")
    table("enroll_rate")
    table("fail_rate")
    rep.add_section("Expected events and average hazard ratio over time", page_break=False,
                    text="The average hazard ratio (AHR) at a calendar time is the geometric mean of the piecewise "
                         "hazard ratios weighted by the expected events in each period (gsDesign2's definition); "
                         "under a delayed effect it falls as follow-up accrues.")
    rep.add_figure(design_figure(design, unit), f"Expected events per arm and in total, and the average hazard "
                   f"ratio, by {_unit1(unit)} from the start of enrolment; dotted lines: the analyses",
                   name="events_ahr")
    table("events_over_time")
    if not _is_fixed(design):
        rep.add_section("Bounds", page_break=False)
        table("bounds")
        rep.add_section("Crossing probabilities", page_break=False)
        table("crossing_probabilities")
    if check is not None:
        rep.add_section("Check by simulation", page_break=False, text=_check_text(check))
        table("simulation_check")
    return rep


def _headline(design: Any, unit: str) -> str:
    if _is_fixed(design):
        return (f"{design.kind.upper() if design.kind == 'rmst' else 'Milestone'} design at {design.tau:g} {unit}: "
                f"{design.n_subjects:.1f} subjects, {design.events:.1f} expected events at the analysis "
                f"{design.study_duration:g} {unit} from the start of enrolment; power {design.power:.4f} at one-sided "
                f"alpha {design.alpha:g}.")
    h1, h0 = design.expected_subjects, design.expected_duration
    return (f"{design.statistic}: {design.n_subjects:.1f} subjects and {design.max_events:.1f} expected events at the "
            f"final look ({design.time[-1]:.2f} {unit} from the start of enrolment), {design.k} look(s); power "
            f"{design.power:.4f} at {'one' if design.sided == 1 else 'two'}-sided alpha {design.alpha:g}. Expected "
            f"subjects {h1[0]:.1f} under H1 and {h1[1]:.1f} under H0; expected duration {h0[0]:.2f} and "
            f"{h0[1]:.2f} {unit}. z > 0 favours the experimental arm; hazard ratios are experimental / control.")


def _check_text(check: Any) -> str:
    a, s, se = check.power
    return (f"The design's trial simulated by survtrial's engine ({check.n_sims:,} trials under H1 and as many "
            f"under H0, seed {check.seed}) with whole subjects and events ({check.n_subjects} subjects; looks at "
            f"{', '.join(map(str, check.events))} events), the design's bounds applied look by look. Power: "
            f"analytic {a:.4f}, simulated {s:.4f} (Monte-Carlo SE {se:.4f}); the largest difference over the rows "
            f"is {check.max_abs_difference_se:.2f} Monte-Carlo SE.")
