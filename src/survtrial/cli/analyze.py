"""`survtrial analyze`: the committee's report from ADaM files (or a plain table)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from survtrial.cli._app import app, fail
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
    paramcd: str = typer.Option("DFS", help="ADTTE parameter to analyse."),
    data: Path | None = typer.Option(None, help="Plain table instead of ADaM: one row per subject."),
    time: str | None = typer.Option(None, help="With --data: time column."),
    event: str | None = typer.Option(None, help="With --data: event column (1 = event, 0 = censored)."),
    group: str | None = typer.Option(None, help="With --data: arm column."),
    event_type: str | None = typer.Option(None, help="Event-type column for competing risks (ADaM default: EVNTDESC)."),
    time_unit: str | None = typer.Option(
        None, help="Unit of the times (days, weeks, months, years); ADaM default: AVALU."
    ),
    strata: list[str] | None = typer.Option(None, help="Stratification variable(s); repeat or comma-separate."),
    subgroups: list[str] | None = typer.Option(None, help="Subgroup variable(s) for the forest plot."),
    landmark: str = typer.Option("3y", help="Landmark time for S(t), e.g. 3y, 36m."),
    tau: str = typer.Option("3y", help="RMST horizon, e.g. 3y."),
    arm_var: str | None = typer.Option(None, help="ADSL arm variable (default: TRT01P, TRT01A, ARM, ...)."),
    reference: str | None = typer.Option(None, help="Control arm label (default: first sorted)."),
    overwrite: bool = typer.Option(False, help="Replace a non-empty --out directory."),
) -> None:
    """Analyse a randomized time-to-event trial and write the monitoring committee's report."""
    from rich.console import Console

    from survtrial.cli._output import check_output_dir
    from survtrial.workflows.analyze import analyze_adam, analyze_table

    try:
        check_output_dir(out, overwrite=overwrite, names=("report.html", "figures", "tables"))
        if data is not None:
            if adsl or adtte:
                raise InputError("give either --data (plain table) or --adsl/--adtte (ADaM), not both")
            if not (time and event and group):
                raise InputError("--data needs --time, --event and --group column names")
            res = analyze_table(data, time=time, event=event, group=group, strata=_split(strata),
                                subgroups=_split(subgroups), event_type=event_type, landmark=landmark,
                                tau=tau, reference=reference, time_unit=time_unit or "years",
                                endpoint=paramcd, command=sys.argv)
        else:
            if adsl is None or adtte is None:
                raise InputError("give --adsl and --adtte (ADaM), or --data with --time/--event/--group")
            res = analyze_adam(adsl, adtte, adae, paramcd=paramcd, strata=_split(strata),
                               subgroups=_split(subgroups), landmark=landmark, tau=tau, arm_var=arm_var,
                               reference=reference, time_unit=time_unit, event_type_var=event_type,
                               command=sys.argv)
        files = res.report.write(out, overwrite=overwrite)
    except InputError as err:
        fail(err)
    hr, lo, hi = res.analysis.primary.hazard_ratio
    con = Console()
    con.print(f"HR {res.analysis.experimental} vs {res.analysis.reference}: {hr:.2f} ({lo:.2f}-{hi:.2f}); "
              f"log-rank P = {res.analysis.primary.logrank.p_value:.3g}", highlight=False)
    con.print(f"report: {files.html}", highlight=False)
