"""CLI for trial design: `design` (boundaries, events, subjects, timing) and `monitor` (look-by-look decisions)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from survtrial import __version__
from survtrial.cli._app import app, fail
from survtrial.cli._output import Overwrite, check_output_dir, write_outputs
from survtrial.errors import InputError

# Flag name -> DesignSpec key, for flags that take lists ("0,6,12") or percentages ("87.9%").
_LIST_KEYS = ("information_fractions", "control_hazard", "piecewise_times", "accrual_time",
              "accrual_intensity", "accrual_rate", "dropout_rate")


def _console():
    from rich.console import Console

    con = Console(highlight=False)
    if not con.is_terminal:  # files and pipes: do not squeeze the look table into 80 columns
        con = Console(highlight=False, width=160)
    return con


# DesignSpec keys whose flag is not the key with dashes
_FLAGS = {"information_fractions": "--fractions", "hazard_ratio": "--hr", "landmark_time": "--landmark",
          "noninferiority_margin": "--margin", "margin_survival_difference": "--margin-difference"}


def _numbers(key: str, text: str) -> Any:
    flag = _FLAGS.get(key, f"--{key.replace('_', '-')}")
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise InputError(f"{flag}: {text!r} is not a comma-separated list of numbers") from None
    if not values:
        raise InputError(f"{flag}: no numbers given")
    return values if len(values) > 1 or key in ("information_fractions", "accrual_intensity", "accrual_rate") \
        else values[0]


def read_mapping(path: Path) -> dict[str, Any]:
    """A YAML or JSON file as a mapping; a design.json written by `design` gives its `spec`."""
    from survtrial._yaml import read_yaml

    data = read_yaml(path, "design file")  # YAML is a superset of JSON
    if isinstance(data, dict) and "spec" in data and "looks" in data:
        data = data["spec"]
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of design keys, got {type(data).__name__}")
    return data


def load_plan(config: Path | None, overrides: dict[str, Any]):
    """Validate file keys overridden by flags and compute the plan."""
    from survtrial.design.plan import parse_spec, plan_trial

    data = read_mapping(config) if config is not None else {}
    for key, value in overrides.items():
        if value is None:
            continue
        data[key] = _numbers(key, value) if key in _LIST_KEYS and isinstance(value, str) else value
    source = str(config) if config is not None else "design options"
    return plan_trial(parse_spec(data, source))


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}"


def render_plan(plan) -> None:
    """Print the headline numbers and the look-by-look table."""
    from rich.table import Table

    s = plan.summary()
    spec, gs = plan.spec, plan.design
    unit = spec.time_unit
    margin = f", margin HR {s['null_hazard_ratio']:.4f}" if s["type"] == "non-inferiority" else ""
    spending = gs.alpha_spending.label if gs.alpha_spending is not None else gs.test_type
    con = _console()
    con.print(f"[bold]{spec.title or 'Survival trial design'}[/bold] ({s['type']}{margin})")
    con.print(
        f"  HR {s['hazard_ratio']:.4g}; alpha {s['alpha']:g} {s['sided']}-sided; power {s['power']:.3g}; "
        f"{s['looks']} look(s), spending {spending}; {s['method']} events; allocation {s['allocation_ratio']:g}:1"
    )
    con.print(
        f"  events {s['max_events']:.1f} (fixed design {s['events_fixed']:.1f} x inflation "
        f"{s['inflation_factor']:.4f}), round up to {s['max_events_rounded']}; subjects {s['n_subjects']:.1f}, "
        f"round up to {s['n_subjects_rounded']}"
    )
    con.print(
        f"  accrual {s['accrual_duration']:.2f}, follow-up {s['follow_up']:.2f}, study duration "
        f"{s['study_duration']:.2f} {unit}; expected under H1: duration "
        f"{_fmt(s['expected_study_duration_h1'])} {unit}, subjects {_fmt(s['expected_subjects_h1'], 1)}"
    )
    frame = plan.to_frame()
    low_z, low_hr = frame.columns[6], frame.columns[8]
    cols = [("look", "Look", 0), ("information_fraction", "Info", 3), ("events", "Events", 1),
            ("time", f"Time ({unit})", 2), ("subjects", "Subjects", 1), ("efficacy_z", "Efficacy z", 3),
            ("efficacy_hr", "Efficacy HR", 3)]
    if frame[low_z].notna().any():
        name = "Futility" if gs.sided == 1 else "Lower"
        cols += [(low_z, f"{name} z", 3), (low_hr, f"{name} HR", 3)]
    cols += [("nominal_alpha", "Nominal alpha", 5), ("cumulative_alpha", "Cum. alpha", 5),
             ("cumulative_power", "Cum. power", 3)]
    table = Table()
    for _, label, _ in cols:
        table.add_column(label, justify="right")
    for rec in frame.to_dict(orient="records"):
        table.add_row(*(str(rec[c]) if d == 0 else _fmt(float(rec[c]), d) for c, _, d in cols))
    con.print(table)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def design_json(plan) -> str:
    frame = plan.to_frame()
    doc = {
        "survtrial": __version__,
        "kind": "survival trial design",
        "spec": plan.spec.model_dump(exclude_none=True),
        "summary": plan.summary(),
        "looks": frame.to_dict(orient="records"),
    }
    return json.dumps(_jsonable(doc), indent=2) + "\n"


def _write_plot(plan, stem: Path, observed_events=None, observed_z=None) -> None:
    from survtrial.report._style import save_figure
    from survtrial.report.design_plots import boundary_plot

    fig = boundary_plot(
        plan.design,
        events=plan.sample_size.events_per_look,
        allocation_ratio=plan.spec.allocation_ratio,
        null_hazard_ratio=plan.null_hazard_ratio,
        observed_events=observed_events,
        observed_z=observed_z,
        title=plan.spec.title,
    )
    save_figure(fig, stem)


@app.command()
def design(
    config: Annotated[
        Path | None, typer.Argument(help="YAML or JSON file with design keys (flags override it).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for design.json, design.csv, boundaries.png/.svg.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title for the table and plot.")] = None,
    alpha: Annotated[float | None, typer.Option(help="Type I error (default 0.025).")] = None,
    power: Annotated[float | None, typer.Option(help="Power (default 0.8).")] = None,
    sided: Annotated[int | None, typer.Option(help="1 or 2 (default 1).")] = None,
    looks: Annotated[int | None, typer.Option(help="Number of equally spaced looks.")] = None,
    information_fractions: Annotated[
        str | None, typer.Option("--fractions", help="Look fractions, e.g. 0.5,0.75,1.")
    ] = None,
    alpha_spending: Annotated[str | None, typer.Option(help="OF, P, HSD(-4), KD(2)... (default OF).")] = None,
    beta_spending: Annotated[str | None, typer.Option(help="Futility spending, e.g. OF (default none).")] = None,
    binding_futility: Annotated[bool | None, typer.Option("--binding-futility/--non-binding-futility")] = None,
    hazard_ratio: Annotated[
        float | None, typer.Option("--hr", help="Planning hazard ratio (experimental/control).")
    ] = None,
    control_survival: Annotated[
        str | None, typer.Option(help="Control survival at --landmark, e.g. 87.9% or 0.879.")
    ] = None,
    control_median: Annotated[float | None, typer.Option(help="Control median survival.")] = None,
    control_hazard: Annotated[
        str | None, typer.Option(help="Control hazard (one per piece with --piecewise-times).")
    ] = None,
    experimental_survival: Annotated[str | None, typer.Option(help="Experimental survival at --landmark.")] = None,
    experimental_median: Annotated[float | None, typer.Option(help="Experimental median survival.")] = None,
    landmark_time: Annotated[
        float | None, typer.Option("--landmark", help="Landmark time of the survival targets.")
    ] = None,
    piecewise_times: Annotated[str | None, typer.Option(help="Starts of survival pieces, e.g. 0,1,2.")] = None,
    noninferiority_margin: Annotated[
        float | None, typer.Option("--margin", help="Non-inferiority HR margin (> 1).")
    ] = None,
    margin_survival_difference: Annotated[
        str | None,
        typer.Option("--margin-difference", help="Non-inferiority margin as survival loss at --landmark, e.g. 2%."),
    ] = None,
    method: Annotated[str | None, typer.Option(help="schoenfeld, freedman or hsieh-freedman.")] = None,
    allocation_ratio: Annotated[
        float | None, typer.Option(help="Experimental per control subject (default 1).")
    ] = None,
    accrual_time: Annotated[str | None, typer.Option(help="Accrual duration, or change points 0,1,5.")] = None,
    accrual_intensity: Annotated[str | None, typer.Option(help="Relative accrual rate per piece.")] = None,
    accrual_rate: Annotated[str | None, typer.Option(help="Subjects per time unit per piece.")] = None,
    follow_up: Annotated[float | None, typer.Option(help="Follow-up after the end of accrual.")] = None,
    n_subjects: Annotated[float | None, typer.Option(help="Total subjects (instead of --follow-up).")] = None,
    dropout_rate: Annotated[
        str | None, typer.Option(help="Proportion lost by --dropout-time (or exp,control).")
    ] = None,
    dropout_time: Annotated[float | None, typer.Option(help="Time for --dropout-rate.")] = None,
    time_unit: Annotated[str | None, typer.Option(help="Label of the time unit (default years).")] = None,
    overwrite: Overwrite = False,
) -> None:
    """Design a group-sequential survival trial: boundaries, events, subjects and look times."""
    overrides = {k: v for k, v in locals().items() if k not in ("config", "out", "overwrite")}
    try:
        if out is not None:
            check_output_dir(out, overwrite=overwrite)
        plan = load_plan(config, overrides)
        render_plan(plan)
        if out is not None:
            write_outputs(out, {
                "design.json": lambda p: p.write_text(design_json(plan)),
                "design.csv": lambda p: plan.to_frame().to_csv(p, index=False),
                "boundaries": lambda p: _write_plot(plan, p),
            }, overwrite=overwrite)
            _console().print(f"wrote {out}/design.json, design.csv, boundaries.png, boundaries.svg")
    except InputError as err:
        fail(err)


def _looks_from_csv(path: Path) -> tuple[list[float], list[float]]:
    import pandas as pd

    if not path.is_file():
        raise InputError(f"--looks-csv {str(path)!r} not found")
    try:
        frame = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as err:
        raise InputError(f"{path}: not a readable CSV file ({err})") from None
    cols = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ("events", "z") if c not in cols]
    if missing:
        raise InputError(f"{path}: missing column(s) {missing}; found {list(frame.columns)} (need events and z)")
    out = []
    for name in ("events", "z"):
        values = pd.to_numeric(frame[cols[name]], errors="coerce")
        bad = values.isna().to_numpy().nonzero()[0]
        if bad.size:
            i = int(bad[0])
            raise InputError(f"{path}: column {name!r} row {i + 1}: {frame[cols[name]].iloc[i]!r} is not a number")
        out.append(values.tolist())
    return out[0], out[1]


def render_monitor(plan, frame) -> None:
    from rich.table import Table

    con = _console()
    s = plan.summary()
    con.print(
        f"[bold]{plan.spec.title or 'Survival trial'}[/bold]: monitoring against {s['looks']} planned look(s), "
        f"maximum events {s['max_events']:.1f} ({s['type']})"
    )
    cols = [("look", "Look", 0), ("events", "Events", 0), ("information_fraction", "Info", 3), ("z", "z", 3),
            ("hazard_ratio", "HR", 3), ("efficacy_z", "Efficacy z", 3), ("efficacy_hr", "Efficacy HR", 3),
            ("futility_z", "Futility z", 3), ("cp_design_effect", "CP design", 3),
            ("cp_current_trend", "CP trend", 3), ("decision", "Decision", -1)]
    cols = [c for c in cols if c[0] in frame.columns and (c[2] < 0 or frame[c[0]].notna().any())]
    table = Table()
    for _, label, d in cols:
        table.add_column(label, justify="left" if d < 0 else "right")
    for rec in frame.to_dict(orient="records"):
        cells = []
        for c, _, d in cols:
            v = rec.get(c)
            cells.append(str(v) if d < 0 else (f"{v:g}" if d == 0 else _fmt(v, d)))
        table.add_row(*cells)
    con.print(table)


@app.command()
def monitor(
    design_file: Annotated[Path, typer.Argument(help="Design YAML/JSON (a design.json written by `design` works).")],
    events: Annotated[str | None, typer.Option(help="Events at each look so far, e.g. 60,110.")] = None,
    z: Annotated[str | None, typer.Option("--z", help="Log-rank z at each look (> 0 favours experimental).")] = None,
    looks_csv: Annotated[Path | None, typer.Option(help="CSV with columns events and z, one row per look.")] = None,
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Analysis data set of each look (one per data cut, in order; CSV/Parquet/XPT)."),
    ] = None,
    time: Annotated[str, typer.Option(help="With --data: time column.")] = "time",
    event: Annotated[str, typer.Option(help="With --data: event column (1 = event).")] = "event",
    group: Annotated[str, typer.Option(help="With --data: arm column.")] = "arm",
    strata: Annotated[list[str] | None, typer.Option(help="With --data: stratification column(s).")] = None,
    reference: Annotated[str | None, typer.Option(help="With --data: control arm (default: first sorted).")] = None,
    final: Annotated[bool, typer.Option("--final", help="The last look given is the final analysis.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Directory for monitor.csv and the boundary plot.")] = None,
    overwrite: Overwrite = False,
) -> None:
    """Monitor a trial look by look: updated bounds, crossed or not, conditional power."""
    try:
        if out is not None:
            check_output_dir(out, overwrite=overwrite)
        given = [looks_csv is not None, events is not None or z is not None, bool(data)]
        if sum(given) > 1:
            raise InputError("give one of: --events with --z, --looks-csv, or --data (one file per look)")
        if data:
            from survtrial.workflows.monitor import looks_from_data

            d, zz = looks_from_data(data, time=time, event=event, group=group, strata=strata or (),
                                    reference=reference)
        elif looks_csv is not None:
            d, zz = _looks_from_csv(looks_csv)
        elif events is not None and z is not None:
            d, zz = _numbers("events", events), _numbers("z", z)
            d, zz = list(d) if isinstance(d, list) else [d], list(zz) if isinstance(zz, list) else [zz]
        else:
            raise InputError("give the observed looks: --events 60,110 --z 1.5,2.2 (or --looks-csv file.csv)")
        plan = load_plan(design_file, {})
        frame = plan.monitor(d, zz, final=final)
        render_monitor(plan, frame)
        if out is not None:
            write_outputs(out, {
                "monitor.csv": lambda p: frame.to_csv(p, index=False),
                "boundaries": lambda p: _write_plot(plan, p, observed_events=d, observed_z=zz),
            }, overwrite=overwrite)
            _console().print(f"wrote {out}/monitor.csv, boundaries.png, boundaries.svg")
    except InputError as err:
        fail(err)
