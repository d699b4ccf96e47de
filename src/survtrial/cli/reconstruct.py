"""`survtrial reconstruct`: patient-level data from a digitized Kaplan-Meier figure (Guyot et al. 2012)."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from survtrial.cli._app import app, fail
from survtrial.cli._output import Overwrite, check_output_dir, write_outputs
from survtrial.errors import InputError


def _events(values: list[str] | None) -> dict[str, int] | None:
    """``["blina=38", "chemo=89"]`` (or comma-separated) -> {"blina": 38, "chemo": 89}."""
    out: dict[str, int] = {}
    for item in (x.strip() for v in values or [] for x in v.split(",")):
        if not item:
            continue
        arm, sep, n = item.rpartition("=")
        if not sep or not arm.strip():
            raise InputError(f"--events {item!r}: write arm=N, e.g. --events chemo=89")
        try:
            count = int(n)
        except ValueError:
            raise InputError(f"--events {item!r}: {n!r} is not a whole number of events") from None
        if arm.strip() in out:
            raise InputError(f"--events: arm {arm.strip()!r} given twice")
        out[arm.strip()] = count
    return out or None


def _render(res) -> None:
    import pandas as pd
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(highlight=False)
    if not con.is_terminal:
        con = Console(highlight=False, width=160)
    summ = res.summary()
    t = Table(title=f"Reconstructed patient data (Guyot et al. 2012); survival read as {res.survival_scale}")
    for col in ("arm", "patients", "events (published)", "censored", "points", "max |KM - curve|",
                "mean |KM - curve|", "max at-risk diff", "intervals unmatched"):
        t.add_column(col, justify="left" if col == "arm" else "right")
    for r in summ.to_dict("records"):
        pub = "" if pd.isna(r["events_published"]) else f" ({int(r['events_published'])})"
        t.add_row(escape(str(r["arm"])), str(r["n"]), f"{r['events']}{pub}", str(r["censored"]), str(r["points"]),
                  f"{r['max_abs_difference']:.4f}", f"{r['mean_abs_difference']:.4f}",
                  str(r["max_n_risk_difference"]), str(r["intervals_unmatched"]))
    con.print(t)
    iv = res.to_frame("intervals")
    t = Table(title="Per at-risk interval: reconstructed vs published / implied")
    for col in ("arm", "interval", "at risk (published)", "events (implied)", "censored (implied)"):
        t.add_column(col, justify="left" if col in ("arm", "interval") else "right")

    def implied(x) -> str:
        return "" if x != x else f" ({x:.1f})"

    for r in iv.to_dict("records"):
        t.add_row(escape(str(r["arm"])), escape(f"[{r['start']:g}, {r['end']:g})"),
                  f"{r['n_risk_reconstructed']} ({r['n_risk_published']})",
                  f"{r['events_reconstructed']}{implied(r['events_implied'])}",
                  f"{r['censored_reconstructed']}{implied(r['censored_implied'])}")
    con.print(t)


@app.command()
def reconstruct(
    curve: Path = typer.Option(..., "--curve", help="Digitized points (CSV or Parquet): columns arm, time, survival."),
    at_risk: Path = typer.Option(..., "--at-risk", help="Numbers at risk under the figure: arm, time, n_risk."),
    out: Path = typer.Option(..., "--out", help="Output directory: ipd.parquet, ipd.csv, fit.csv, fit_intervals.csv."),
    events: list[str] | None = typer.Option(None, "--events", help="Published total events of an arm, arm=N (repeat)."),
    time_unit: str | None = typer.Option(None, "--time-unit", help="Unit of the time axis (e.g. months); a label."),
    scale: str | None = typer.Option(None, "--scale", help="Survival as 'proportion' (0-1) or 'percent' (0-100); "
                                                          "default: read from the values when unambiguous."),
    clean: bool = typer.Option(False, "--clean", help="Repair digitizing errors (sort, clip to [0, 1], running "
                                                      "minimum) instead of rejecting them."),
    overwrite: Overwrite = False,
) -> None:
    """Reconstruct patient-level data (time, event, arm) from a digitized Kaplan-Meier figure."""
    from survtrial.data.reconstruct import reconstruct_ipd

    try:
        check_output_dir(out, overwrite=overwrite)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = reconstruct_ipd(curve, at_risk, _events(events), survival_scale=scale, clean=clean,
                                  time_unit=time_unit)
        ipd = res.to_frame()
        if time_unit:
            ipd.insert(1, "time_unit", time_unit)
        write_outputs(out, {
            "ipd.parquet": lambda p: ipd.to_parquet(p, index=False),
            "ipd.csv": lambda p: ipd.to_csv(p, index=False),
            "fit.csv": lambda p: res.summary().to_csv(p, index=False),
            "fit_intervals.csv": lambda p: res.to_frame("intervals").to_csv(p, index=False),
        }, overwrite=overwrite)
    except InputError as err:
        fail(err)
    _render(res)
    from rich.console import Console
    from rich.markup import escape

    con = Console(stderr=True, highlight=False)
    for w in caught:
        con.print(f"[yellow]warning:[/yellow] {escape(str(w.message))}")
    Console(highlight=False).print(f"wrote {out}/ (ipd.parquet, ipd.csv, fit.csv, fit_intervals.csv)")
