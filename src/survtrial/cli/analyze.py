"""`survtrial analyze`: the committee's report from ADaM files (or a plain table)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from survtrial._tlf import fill as tlf_fill
from survtrial._tlf import parse_formats
from survtrial.cli._app import app, fail
from survtrial.cli._output import Overwrite, check_output_dir
from survtrial.errors import InputError


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


@app.command()
def analyze(
    out: Path = typer.Option(..., "--out", help="Output directory for report.html, figures/ and tables/."),
    adsl: Path | None = typer.Option(None, help="ADSL (CSV, Parquet, XPT or sas7bdat)."),
    adtte: Path | None = typer.Option(None, help="ADTTE with PARAMCD, AVAL, CNSR (CNSR = 0 is an event)."),
    adae: Path | None = typer.Option(None, help="ADAE for the safety tables (optional)."),
    paramcd: str | None = typer.Option(None, help="ADTTE parameter to analyse (needed when ADTTE holds several)."),
    data: Path | None = typer.Option(None, help="Plain table instead of ADaM: one row per subject."),
    time: str | None = typer.Option(None, help="With --data: time column."),
    event: str | None = typer.Option(None, help="With --data: event column (1 = event, 0 = censored)."),
    group: str | None = typer.Option(None, help="With --data: arm column."),
    event_type: str | None = typer.Option(None, help="Event-type column for competing risks (ADaM default: EVNTDESC)."),
    time_unit: str | None = typer.Option(
        None, help="Unit of the times: days, weeks, months or years. Required unless AVALU (ADaM), the time "
        "column's name (time_months) or a unit column (AVAL + AVALU) states it; never assumed.",
    ),
    endpoint_name: str | None = typer.Option(
        None, help="Name of the endpoint in titles, axes and file names (ADaM default: PARAMCD)."
    ),
    strata: list[str] | None = typer.Option(None, help="Stratification variable(s); repeat or comma-separate."),
    subgroups: list[str] | None = typer.Option(None, help="Subgroup variable(s) for the forest plot."),
    landmark: str = typer.Option(
        "3y", help="Landmark for S(t): 3y, 36m, 156w, 1096d (named as written), or a number in the data's unit."
    ),
    tau: str = typer.Option("3y", help="RMST horizon, as --landmark."),
    cut_points: list[str] | None = typer.Option(
        None, "--cut-points", help="Cut points of the piecewise hazard ratios, e.g. 1y,2y (as --landmark; "
        "increasing, inside the follow-up). Default: the tertiles of the event times."),
    milestone: str | None = typer.Option(
        None, help="Time t* of the milestone comparison (as --landmark). Default: the landmark."),
    maxcombo: bool = typer.Option(True, "--maxcombo/--no-maxcombo", help="Compute the MaxCombo test."),
    arm_var: str | None = typer.Option(None, help="ADSL arm variable (default: TRT01P, TRT01A, ARM, ...)."),
    reference: str | None = typer.Option(
        None, help="Control arm. Default: lowest TRT01PN (ADaM), else the arm named placebo, control, "
        "observation, standard, SOC, chemo alone...; else refused.",
    ),
    formats: list[str] | None = typer.Option(
        None, "--format", help="Outputs besides report.html: rtf (report.rtf, rtflite) and/or docx (report.docx, "
        "python-docx): every table and figure with title, population, method and data-cut footnotes, page "
        "numbers. Repeat or comma-separate; html alone by default."),
    data_cut: str | None = typer.Option(None, "--data-cut", help="Data cut (date or words) for the RTF/Word "
                                        "footnotes; default: the last follow-up time in the data."),
    overwrite: Overwrite = False,
) -> None:
    """Analyse a randomized time-to-event trial and write the monitoring committee's report."""
    from rich.console import Console

    from survtrial.workflows.analyze import analyze_adam, analyze_table

    try:
        kinds = [k for k in parse_formats(formats) if k != "html"]
        check_output_dir(out, overwrite=overwrite, names=("report.html", "figures", "tables",
                                                          *(f"report.{k}" for k in kinds)))
        if data is not None:
            if adsl or adtte:
                raise InputError("give either --data (plain table) or --adsl/--adtte (ADaM), not both")
            if not (time and event and group):
                raise InputError("--data needs --time, --event and --group column names")
            if paramcd is not None:
                raise InputError("--paramcd applies to ADaM data (--adtte); name a plain table's endpoint "
                                 "with --endpoint-name")
            res = analyze_table(data, time=time, event=event, group=group, strata=_split(strata),
                                subgroups=_split(subgroups), event_type=event_type, landmark=landmark,
                                tau=tau, reference=reference, time_unit=time_unit,
                                endpoint_name=endpoint_name, cut_points=_split(cut_points) or None,
                                milestone=milestone, maxcombo=maxcombo, command=sys.argv)
        else:
            if adsl is None or adtte is None:
                raise InputError("give --adsl and --adtte (ADaM), or --data with --time/--event/--group")
            res = analyze_adam(adsl, adtte, adae, paramcd=paramcd, strata=_split(strata),
                               subgroups=_split(subgroups), landmark=landmark, tau=tau, arm_var=arm_var,
                               reference=reference, time_unit=time_unit, event_type_var=event_type,
                               endpoint_name=endpoint_name, cut_points=_split(cut_points) or None,
                               milestone=milestone, maxcombo=maxcombo, command=sys.argv)
        tlf = res.report.tlf(res.tlf_population(), res.tlf_footnotes(data_cut)) if kinds else None
        files = res.report.write(out, overwrite=overwrite,
                                 extra={f"report.{k}": tlf_fill(tlf, k) for k in kinds})
    except InputError as err:
        fail(err)
    a = res.analysis
    hr, lo, hi = a.primary.hazard_ratio
    con = Console(highlight=False)
    for line in res.conventions():
        con.print(line)
    name = a.primary.endpoint or "Time to event"
    from survtrial.report._style import p_phrase

    con.print(f"{name}: HR {a.experimental} vs {a.reference} {hr:.2f} (95% CI {lo:.2f}-{hi:.2f}); "
              f"log-rank z = {a.primary.z:.2f} (> 0 favours {a.experimental}), {p_phrase(a.primary.logrank.p_value)}")
    lm = a.primary.landmarks
    lm = lm[(lm["stratum"] == "all")].set_index("arm")["survival"]
    what = f"{a.landmark_words(adjective=True)} {a.primary.endpoint}" if a.primary.endpoint else \
        f"Event-free at {a.landmark_words()}"
    con.print(f"{what}: " + ", ".join(
        f"{arm} {100 * lm[arm]:.1f}%" for arm in (a.reference, a.experimental) if arm in lm.index))
    if a.nph is not None:
        from survtrial.report.nph_section import nph_sentence

        con.print(nph_sentence(a, in_report=False))
        for note in a.nph.notes:
            con.print(f"warning: {note}")
    con.print(f"report: {files.html}")
