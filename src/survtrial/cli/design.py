"""CLI for trial design: `design` (boundaries, events, subjects, timing) and `monitor` (look-by-look decisions)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from survtrial import __version__
from survtrial._tlf import parse_formats
from survtrial.cli._app import app, fail
from survtrial.cli._output import Overwrite, check_output_dir, write_outputs
from survtrial.errors import InputError

# Flag name -> DesignSpec key, for flags that take lists ("0,6,12") or percentages ("87.9%").
_LIST_KEYS = ("information_fractions", "control_hazard", "piecewise_times", "accrual_time",
              "accrual_intensity", "accrual_rate", "dropout_rate")
# DesignSpec key -> command-line flag where the flag is not the key with dashes.
_FLAG_NAMES = {"hazard_ratio": "--hr", "information_fractions": "--fractions", "landmark_time": "--landmark",
               "noninferiority_margin": "--margin", "margin_survival_difference": "--margin-difference"}


def flag_of(key: str) -> str:
    """The command-line flag of a design key: ``control_median`` -> ``--control-median``."""
    return _FLAG_NAMES.get(key, "--" + key.replace("_", "-"))


def in_flags(err: InputError, keys: set[str] | None = None) -> InputError:
    """The error with design keys named as the flags that set them: "key 'control_median'" ->
    "--control-median". ``keys``: only these (the ones given as flags next to a design file,
    whose own keys keep their names); None: every key."""
    from survtrial.design.plan import DesignSpec

    text = str(err).replace("design options: ", "")
    for key in sorted(DesignSpec.model_fields, key=len, reverse=True):
        if keys is not None and key not in keys:
            continue
        flag = flag_of(key)
        text = text.replace(f"key {key!r}", flag).replace(f"{key!r}", flag)
        if "_" in key:
            text = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w])", flag, text)
    return InputError(text)


def _console():
    from rich.console import Console

    con = Console(highlight=False)
    if not con.is_terminal:  # files and pipes: do not squeeze the look table into 80 columns
        con = Console(highlight=False, width=160)
    return con


def _numbers(key: str, text: str) -> Any:
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise InputError(f"{flag_of(key)}: {text!r} is not a comma-separated list of numbers") from None
    if not values:
        raise InputError(f"{flag_of(key)}: no numbers given")
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
    """Validate file keys overridden by flags and compute the plan; errors name the flags (and the
    keys of the file, for values read from it)."""
    from survtrial.design.plan import parse_spec, plan_trial

    data = read_mapping(config) if config is not None else {}
    flagged = {k for k, v in overrides.items() if v is not None}
    try:
        for key in flagged:
            value = overrides[key]
            data[key] = _numbers(key, value) if key in _LIST_KEYS and isinstance(value, str) else value
        source = str(config) if config is not None else "design options"
        return plan_trial(parse_spec(data, source))
    except InputError as err:
        raise in_flags(err, None if config is None else flagged) from None


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}"


def _amount(value: Any, unit: str | None, per: bool = False) -> str:
    values = value if isinstance(value, list) else [value]
    text = ", ".join(f"{v:g}" for v in values)
    if unit is None:
        return text
    if per:
        return f"{text} per {unit[:-1]}"
    return f"{text} {unit[:-1] if values == [1] else unit}"


def _inputs_line(spec) -> str:
    """The time inputs echoed with their unit ("control median 12 months; accrual 24 months")."""
    unit = spec.time_unit
    parts = []
    for key, label, per in (("control_median", "control median", False), ("experimental_median",
                            "experimental median", False), ("control_hazard", "control hazard", True),
                            ("experimental_hazard", "experimental hazard", True),
                            ("landmark_time", "landmark", False), ("piecewise_times", "pieces start at", False),
                            ("accrual_time", "accrual", False), ("accrual_rate", "accrual rate", True),
                            ("follow_up", "follow-up", False), ("dropout_time", "dropout by", False)):
        value = getattr(spec, key)
        if value is not None:
            parts.append(f"{label} {_amount(value, unit, per)}")
    return "; ".join(parts)


def render_plan(plan) -> None:
    """Print the headline numbers (every time with its unit) and the look-by-look table."""
    from rich.table import Table

    s = plan.summary()
    spec, gs = plan.spec, plan.design
    unit = spec.time_unit
    margin = f", margin HR {s['null_hazard_ratio']:.4f}" if s["type"] == "non-inferiority" else ""
    spending = gs.alpha_spending.label if gs.alpha_spending is not None else gs.test_type
    con = _console()
    con.print(f"[bold]{spec.title or 'Survival trial design'}[/bold] ({s['type']}{margin})")
    effect = f"HR {s['hazard_ratio']:.4g}; " if s["hazard_ratio"] is not None else ""
    method = f"; {s['method']} events" if s["method"] is not None else ""
    con.print(
        f"  {effect}alpha {s['alpha']:g} {s['sided']}-sided; power {s['power']:.3g}; "
        f"{s['looks']} look(s), spending {spending}{method}; allocation {s['allocation_ratio']:g}:1"
    )
    if unit is not None:
        inputs = _inputs_line(spec)
        con.print(f"  time unit: {unit}" + (f"; {inputs}" if inputs else ""))
    if plan.scope == "boundaries":
        con.print("  boundaries only: give the effect (--hr, or --experimental-median/-survival/-hazard) for events")
    else:
        con.print(
            f"  events {s['max_events']:.1f} (fixed design {s['events_fixed']:.1f} x inflation "
            f"{s['inflation_factor']:.4f}), round up to {s['max_events_rounded']}"
            + (f"; subjects {s['n_subjects']:.1f}, round up to {s['n_subjects_rounded']}" if plan.scope == "full"
               else "")
        )
    if plan.scope == "events":
        con.print("  subjects and timing not computed: give the control arm (--control-median, --control-survival "
                  "with --landmark, or --control-hazard), --accrual-time and --follow-up or --n-subjects, "
                  "with --time-unit")
    if plan.scope == "full":
        con.print(
            f"  accrual {s['accrual_duration']:.2f} {unit}, follow-up {s['follow_up']:.2f} {unit}, study duration "
            f"{s['study_duration']:.2f} {unit}; expected under H1: duration "
            f"{_fmt(s['expected_study_duration_h1'])} {unit}, subjects {_fmt(s['expected_subjects_h1'], 1)}"
        )
    frame = plan.to_frame()
    cols = [("look", "Look", 0), ("information_fraction", "Info", 3), ("events", "Events", 1),
            ("time", f"Time ({unit})", 2), ("subjects", "Subjects", 1), ("efficacy_z", "Efficacy z", 3),
            ("efficacy_hr", "Efficacy HR", 3)]
    name = "Futility" if gs.sided == 1 else "Lower"
    low_z, low_hr = ("futility_z", "futility_hr") if gs.sided == 1 else ("lower_z", "harm_hr")
    if frame[low_z].notna().any():
        cols += [(low_z, f"{name} z", 3), (low_hr, f"{name} HR", 3)]
    cols += [("nominal_alpha", "Nominal alpha", 5), ("cumulative_alpha", "Cum. alpha", 5),
             ("cumulative_power", "Cum. power", 3)]
    cols = [c for c in cols if c[0] in frame.columns]
    table = Table(caption="z > 0 favours the experimental arm; HR = experimental / control")
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


def _tlf_writer(plan, kind: str):
    """Write the plan's RTF or Word file, with the boundary plot already written beside it."""
    from survtrial._tlf import fill
    from survtrial.design._plan_tlf import plan_tlf

    def write(p: Path) -> None:
        png = p.parent / "boundaries.png"
        fill(plan_tlf(plan, png.read_bytes() if png.exists() else None), kind)(p)

    return write


def _write_plot(plan, stem: Path, observed_events=None, observed_z=None) -> None:
    from survtrial.report._style import save_figure
    from survtrial.report.design_plots import boundary_plot

    fig = boundary_plot(
        plan.design,
        events=None if plan.sample_size is None else plan.sample_size.events_per_look,
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
        Path | None,
        typer.Argument(help="YAML or JSON file with design keys (flags override it), or a design file of tables "
                       "(enroll_rate, fail_rate; see --template)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for design.json, design.csv, boundaries.png/.svg (a design file of "
                     "tables: report.html, tables/*.csv, figures/)."),
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
    time_unit: Annotated[
        str | None,
        typer.Option(help="Unit of every time (medians, hazards, landmark, accrual, follow-up): days, weeks, months "
                     "or years. Required with any of them; never assumed."),
    ] = None,
    check_by_simulation: Annotated[
        int | None,
        typer.Option("--check-by-simulation", help="With a design file of tables: simulate N trials under H1 and "
                     "under H0 and show the analytic crossing probabilities beside the simulated ones."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of --check-by-simulation.")] = 1,
    template: Annotated[
        bool, typer.Option("--template", help="Print a commented design file of tables (YAML) and exit.")
    ] = False,
    formats: Annotated[list[str] | None, typer.Option(
        "--format", help="With --out, also design.rtf and/or design.docx (rtf, docx; repeat or comma-separate): "
        "summary, looks and boundary figure with title, population, method footnote, page numbers; for a design "
        "file of tables, report.rtf / report.docx: the report's tables and figure.")] = None,
    overwrite: Overwrite = False,
) -> None:
    """Design a group-sequential survival trial: boundaries, events, subjects and look times.

    A design file with tables (enroll_rate, fail_rate: piecewise hazard ratio, any test) gives the
    non-proportional-hazards design and its HTML report; `survtrial design --template` prints one.
    """
    overrides = {k: v for k, v in locals().items()
                 if k not in ("config", "out", "overwrite", "check_by_simulation", "seed", "template", "formats")}
    try:
        if template:
            from survtrial.cli.design_file import print_template

            print_template()
            return
        kinds = [k for k in parse_formats(formats) if k != "html"]
        if config is not None:
            from survtrial.cli.design_file import is_table_file, run_design_file

            if is_table_file(config):
                if kinds and out is None:
                    raise InputError(f"--format {','.join(kinds)} writes files: give --out")
                run_design_file(config, out=out, overwrite=overwrite, check=check_by_simulation, seed=seed,
                                flags=[flag_of(k) for k, v in overrides.items() if v is not None], formats=kinds)
                return
        if check_by_simulation is not None:
            raise InputError("--check-by-simulation goes with a design file of tables (enroll_rate, fail_rate); "
                             "see survtrial design --template")
        if kinds and out is None:
            raise InputError(f"--format {','.join(kinds)} writes files: give --out")
        if out is not None:
            check_output_dir(out, overwrite=overwrite)
        plan = load_plan(config, overrides)
        render_plan(plan)
        if out is not None:
            write_outputs(out, {
                "design.json": lambda p: p.write_text(design_json(plan)),
                "design.csv": lambda p: plan.to_frame().to_csv(p, index=False),
                "boundaries": lambda p: _write_plot(plan, p),
                # after the plot: the RTF/Word copies embed its PNG from the same staging folder
                **{f"design.{k}": _tlf_writer(plan, k) for k in kinds},
            }, overwrite=overwrite)
            _console().print(f"wrote {out}/design.json, design.csv, boundaries.png, boundaries.svg"
                             + "".join(f", design.{k}" for k in kinds))
    except InputError as err:
        fail(err)


def _looks_from_csv(path: Path) -> tuple[list[float], list[float], list[float] | None]:
    """events, z and (if the file has a column hr or hazard_ratio) the observed hazard ratios."""
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
    hr_col = next((c for c in ("hr", "hazard_ratio") if c in cols), None)
    out = []
    for name in ("events", "z", *([hr_col] if hr_col else [])):
        values = pd.to_numeric(frame[cols[name]], errors="coerce")
        bad = values.isna().to_numpy().nonzero()[0]
        if bad.size:
            i = int(bad[0])
            raise InputError(f"{path}: column {name!r} row {i + 1}: {frame[cols[name]].iloc[i]!r} is not a number")
        out.append(values.tolist())
    return out[0], out[1], (out[2] if hr_col else None)


def _as_list(x: Any) -> list[float]:
    return list(x) if isinstance(x, list) else [x]


def render_monitor(plan, frame) -> None:
    from rich.table import Table

    con = _console()
    s = plan.summary()
    con.print(
        f"[bold]{plan.spec.title or 'Survival trial'}[/bold]: monitoring against {s['looks']} planned look(s), "
        f"maximum events {s['max_events']:.1f} ({s['type']})"
    )
    cols = [("look", "Look", 0), ("events", "Events", 0), ("information_fraction", "Info", 3), ("z", "z", 3),
            ("hazard_ratio", "HR from z", 3), ("observed_hazard_ratio", "HR given", 3),
            ("efficacy_z", "Efficacy z", 3), ("efficacy_hr", "Efficacy HR", 3),
            ("futility_z", "Futility z", 3), ("cp_design_effect", "CP design", 3),
            ("cp_current_trend", "CP trend", 3), ("decision", "Decision", -1)]
    cols = [c for c in cols if c[0] in frame.columns and (c[2] < 0 or frame[c[0]].notna().any())]
    table = Table(caption="z > 0 favours the experimental arm; HR = experimental / control (from z: Schoenfeld)")
    for _, label, d in cols:
        table.add_column(label, justify="left" if d < 0 else "right")
    for rec in frame.to_dict(orient="records"):
        cells = []
        for c, _, d in cols:
            v = rec.get(c)
            cells.append(str(v) if d < 0 else (f"{v:g}" if d == 0 else _fmt(v, d)))
        table.add_row(*cells)
    con.print(table)
    for warning in direction_warnings(plan, frame):
        _console_err().print(f"[bold yellow]warning:[/bold yellow] {warning}")


def _console_err():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def direction_warnings(plan, frame) -> list[str]:
    """One warning per look where the z and the hazard ratio given with it disagree in direction."""
    if "direction_conflict" not in frame.columns:
        return []
    hr0 = plan.null_hazard_ratio
    out = []
    for rec in frame[frame["direction_conflict"].astype(bool)].to_dict(orient="records"):
        z, hr = rec["z"], rec["observed_hazard_ratio"]
        says = "better" if z > 0 else "worse"
        other = "better" if hr < hr0 else "worse"
        out.append(
            f"look {rec['look']}: z = {z:.2f} says the experimental arm is {says} (z > 0 favours experimental), "
            f"but the hazard ratio {hr:.3g} says it is {other}; check the sign of z: the log-rank z of "
            f"logrank_test and R survdiff is negative when the experimental arm is better, give minus that z"
        )
    return out


@app.command()
def monitor(
    design_file: Annotated[Path, typer.Argument(help="Design YAML/JSON (a design.json written by `design` works).")],
    events: Annotated[str | None, typer.Option(help="Events at each look so far, e.g. 60,110.")] = None,
    z: Annotated[
        str | None,
        typer.Option("--z", help="Log-rank z at each look, > 0 favours experimental (minus R survdiff's / "
                     "logrank_test's z)."),
    ] = None,
    hazard_ratio: Annotated[
        str | None,
        typer.Option("--hr", help="Observed hazard ratio (experimental / control) at each look; a warning is "
                     "printed where it and --z disagree in direction."),
    ] = None,
    looks_csv: Annotated[
        Path | None, typer.Option(help="CSV with columns events and z (and optionally hr), one row per look.")
    ] = None,
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Analysis data set of each look (one per data cut, in order; CSV/Parquet/XPT)."),
    ] = None,
    time: Annotated[str, typer.Option(help="With --data: time column.")] = "time",
    event: Annotated[str, typer.Option(help="With --data: event column (1 = event).")] = "event",
    group: Annotated[str, typer.Option(help="With --data: arm column.")] = "arm",
    strata: Annotated[list[str] | None, typer.Option(help="With --data: stratification column(s).")] = None,
    reference: Annotated[
        str | None,
        typer.Option(help="With --data: control arm (default: the arm named placebo, control, observation, "
                     "standard, SOC...; else refused)."),
    ] = None,
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
        hrs = None
        if data:
            from survtrial.workflows.monitor import monitor_looks

            if hazard_ratio is not None:
                raise InputError("--hr goes with --events and --z; with --data the z is computed from the data")
            looks = monitor_looks(data, time=time, event=event, group=group, strata=strata or (),
                                  reference=reference)
            d, zz = looks.events, looks.z
            arm = looks.reference_arm
            _console().print(f"reference (control) arm: {arm.reference}, {arm.reason}; "
                             f"z > 0 favours {arm.experimental}")
        elif looks_csv is not None:
            d, zz, hrs = _looks_from_csv(looks_csv)
            if hazard_ratio is not None:
                raise InputError("--hr goes with --events and --z; put observed hazard ratios in --looks-csv's "
                                 "hr column")
        elif events is not None and z is not None:
            d, zz = _as_list(_numbers("events", events)), _as_list(_numbers("z", z))
            if hazard_ratio is not None:
                hrs = _as_list(_numbers("hazard_ratio", hazard_ratio))
        else:
            raise InputError("give the observed looks: --events 60,110 --z 1.5,2.2 (or --looks-csv file.csv)")
        plan = load_plan(design_file, {})
        try:
            frame = plan.monitor(d, zz, final=final, observed_hazard_ratio=hrs)
        except InputError as err:
            raise InputError(str(err).replace("hazard ratios:", "--hr:").replace("events and z:", "--events and --z:")
                             .replace("events=", "--events ")) from None
        render_monitor(plan, frame)
        if out is not None:
            write_outputs(out, {
                "monitor.csv": lambda p: frame.to_csv(p, index=False),
                "boundaries": lambda p: _write_plot(plan, p, observed_events=d, observed_z=zz),
            }, overwrite=overwrite)
            _console().print(f"wrote {out}/monitor.csv, boundaries.png, boundaries.svg")
    except InputError as err:
        fail(err)
