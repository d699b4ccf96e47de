"""CLI `simulate`: operating characteristics of a design for a scenario (or a grid of scenarios), in parallel."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from survtrial._limits import check_count, check_memory, check_workers
from survtrial.cli._app import app, fail
from survtrial.cli._output import check_output_dir, write_file
from survtrial.errors import InputError

# sweep names that are not dotted scenario keys
_ALIASES = {"dropout_rate": "dropout.rate", "n": "accrual.n", "accrual_years": "accrual.duration_years"}


def _console():
    from rich.console import Console

    con = Console(highlight=False)
    if not con.is_terminal:
        con = Console(highlight=False, width=160)
    return con


def _value(text: str) -> float | int:
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"--sweep: {text!r} is not a number") from None
    return int(v) if v.is_integer() and "." not in text and "e" not in text.lower() else v


def parse_sweeps(items: list[str]) -> list[dict[str, Any]]:
    """``["hazard_ratio=1,0.7", "dropout_rate=0.01,0.02"]`` -> the grid of parameter dicts."""
    axes = []
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise InputError(f"--sweep {item!r}: expected NAME=V1,V2,... e.g. hazard_ratio=1,0.7,0.39")
        vals = [_value(v.strip()) for v in values.split(",") if v.strip()]
        if any(name == a for a, _ in axes):
            raise InputError(f"--sweep: parameter {name!r} given twice")
        axes.append((name, vals))
    if not axes:
        return [{}]
    names = [a for a, _ in axes]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*[v for _, v in axes])]


def _models(scenario: str, design: Path, grid: list[dict[str, Any]], landmarks: list[float] | None,
            tests: list[str] | None = None, decision_test: str | None = None):
    from survtrial.simulate.design_spec import load_simulation_design, with_tests
    from survtrial.simulate.engine import build_model
    from survtrial.simulate.scenario import load_scenario

    sc = load_scenario(scenario)
    des = with_tests(load_simulation_design(design), tests or None, decision_test)
    models = []
    for point in grid:
        changes = {_ALIASES.get(k, k): v for k, v in point.items() if k != "hazard_ratio"}
        try:
            scp = sc.updated(changes) if changes else sc
        except InputError as err:
            raise InputError(f"--sweep {point}: {err}") from None
        models.append(build_model(scp, des, hazard_ratio=point.get("hazard_ratio"), landmarks=landmarks))
    return models


def _label(point: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in point.items()) or "run"


def _atomic(path: Path, write) -> None:
    write_file(path, write, overwrite=True)


def _check_run_folder(out: Path) -> None:
    """--out: a new folder, or one holding a simulation run (the runner then resumes it or says why not)."""
    if out.is_dir() and ((out / "run.json").is_file() or (out / "sweep.json").is_file()):
        return
    check_output_dir(out)


def _check_memory(models, n_sims: int) -> None:
    """The runner keeps every trial's record in memory (the summary reads them): refuse what cannot fit."""
    import pyarrow as pa

    from survtrial.simulate.engine import record_schema

    schema = record_schema(models[0])
    width = sum(1 if pa.types.is_dictionary(f.type) or f.type.bit_width < 8 else f.type.bit_width // 8
                for f in schema)
    # the chunks' frames, their concatenation and the summary's copies: about 2.2x the records (measured)
    check_memory("--n-sims", n_sims, 3 * width, what="the trials' records")


def _render(con, label: str, oc, model) -> None:
    from rich.markup import escape
    from rich.table import Table

    name = f"{model.scenario_name} {label}" if label else model.scenario_name
    t = Table(title=f"{name}: {oc.n_sims} trials", title_justify="left")
    for col in ("measure", "estimate", "MC SE"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for r in oc.overall.itertuples():
        t.add_row(escape(r.measure), f"{r.estimate:.4f}", f"{r.mc_se:.4f}")
    con.print(t)
    lt = Table(title_justify="left")
    for col in ("look", "reject", "futility", "stop", "cum. reject", "events", "time (years)", "subjects"):
        lt.add_column(col, justify="right")
    for r in oc.by_look.itertuples():
        lt.add_row(str(r.look), f"{r.rejection:.4f} ± {r.rejection_se:.4f}", f"{r.futility:.4f}", f"{r.stop:.4f}",
                   f"{r.cumulative_rejection:.4f}", f"{r.events:.1f}", f"{r.time:.3f}", f"{r.subjects:.1f}")
    con.print(lt)


_H_DESIGN = "Design YAML/JSON: looks (events, fractions + planned events, or calendar times), spending, futility."
_H_OUT = "Directory for run.json, chunks/*.parquet, summary.csv and summary.parquet."
_H_SWEEP = ("Grid parameter NAME=V1,V2 (repeatable): hazard_ratio, dropout_rate, n, accrual_years, "
            "or a dotted scenario key.")
_H_LANDMARKS = "Kaplan-Meier landmark years, e.g. 3 or 2,3 (default: the scenario's target times)."
_H_TEST = ("Test computed at every look (repeatable): logrank, 'fh(rho,gamma)', 'mb(t*)', maxcombo, 'rmst(4y)', "
           "'milestone(3y)', cox. Default: the design's tests (logrank).")
_H_DECISION = "The test the trial's decisions follow (default: the design's decision_test, else the first --test)."


@app.command()
def simulate(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML (or a packaged name such as aall1731).")],
    design: Annotated[Path, typer.Option("--design", help=_H_DESIGN)],
    n_sims: Annotated[int, typer.Option("--n-sims", help="Number of simulated trials (per sweep point).")] = 10_000,
    out: Annotated[Path | None, typer.Option("--out", help=_H_OUT)] = None,
    seed: Annotated[int, typer.Option(help="Run seed (same results for any chunking or workers).")] = 1,
    workers: Annotated[int, typer.Option(help="Local worker threads (one per core).")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler.")] = None,
    scheduler_timeout: Annotated[float, typer.Option(help="Seconds to wait for the Dask scheduler.")] = 10.0,
    chunk_size: Annotated[int | None, typer.Option(help="Trials per chunk / Parquet file (default 50000).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run in --out.")] = False,
    sweep: Annotated[list[str] | None, typer.Option(help=_H_SWEEP)] = None,
    landmarks: Annotated[str | None, typer.Option(help=_H_LANDMARKS)] = None,
    test: Annotated[list[str] | None, typer.Option("--test", help=_H_TEST)] = None,
    decision_test: Annotated[str | None, typer.Option("--decision-test", help=_H_DECISION)] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Simulate many trials of a scenario under a group-sequential design: power, stopping, bias, coverage."""
    import pandas as pd

    try:
        check_count(n_sims, "--n-sims", minimum=1)
        check_workers(workers)
        check_count(seed, "--seed", minimum=0)
        if chunk_size is not None:
            check_count(chunk_size, "--chunk-size", minimum=1)
        if resume and out is None:
            raise InputError("--resume needs --out (the directory of the run to continue)")
        if out is not None:
            _check_run_folder(out)
        lm = None
        if landmarks is not None:
            try:
                lm = [float(x) for x in landmarks.split(",") if x.strip()]
            except ValueError:
                raise InputError(f"--landmarks: {landmarks!r} is not a comma-separated list of years") from None
        grid = parse_sweeps(sweep or [])
        from survtrial.simulate._warmup import set_notifier, start_early

        set_notifier(lambda text: _console().print(f"[dim]{text}[/dim]"))  # first run: numba compiles the kernels
        start_early()  # the generator compiles (if not in numba's cache) while the inputs are read
        models = _models(scenario, design, grid, lm, test, decision_test)
        _check_memory(models, n_sims)
        client = None
        if scheduler is not None:
            from survtrial.simulate.runner import connect_scheduler

            client = connect_scheduler(scheduler, timeout=scheduler_timeout)
        try:
            frames = _run_all(models, grid, n_sims, out, seed, workers, client, chunk_size, resume, progress)
        finally:
            if client is not None:
                client.close()
    except InputError as err:
        fail(err)
    except KeyboardInterrupt:
        _console().print("[yellow]interrupted[/yellow]: finished chunks are kept; rerun with --resume to continue")
        raise typer.Exit(code=130) from None
    table = pd.concat(frames, ignore_index=True)
    if len(grid) > 1:
        render_sweep(_console(), grid, frames)
    if out is not None:
        _atomic(out / "summary.csv", lambda p: table.to_csv(p, index=False))
        _atomic(out / "summary.parquet", lambda p: table.to_parquet(p, index=False))
        _console().print(f"wrote {out}/summary.csv, summary.parquet and the per-trial chunks")


# Measures of the side-by-side sweep table, with their labels (scenario times are in years).
_SWEEP_ROWS = (("rejection_probability", "rejection probability (power / type I error)", 4),
               ("early_efficacy_stop_probability", "early stop for efficacy", 4),
               ("futility_stop_probability", "stop for futility", 4), ("expected_events", "expected events", 1),
               ("expected_duration", "expected duration (years)", 2), ("expected_subjects", "expected subjects", 1),
               ("mean_hazard_ratio", "mean hazard ratio", 3), ("hr_coverage", "HR CI coverage", 3))


def render_sweep(con, grid: list[dict[str, Any]], frames: list) -> None:
    """One table at the end of a sweep: a column per point, a row per measure (estimate ± MC SE), and
    the rejection probability at each look; with several tests, each one's rejection probability."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=f"Sweep: {len(grid)} points side by side (estimate ± Monte-Carlo SE)", title_justify="left")
    t.add_column("measure")
    for point in grid:
        t.add_column("\n".join(f"{k}={v}" for k, v in point.items()), justify="right")
    overall = [f[f["look"].isna()].set_index("measure") for f in frames]
    for measure, label, digits in _SWEEP_ROWS:
        if not all(measure in o.index for o in overall):
            continue
        t.add_row(label, *(f"{o.loc[measure, 'estimate']:.{digits}f} ± {o.loc[measure, 'mc_se']:.{digits}f}"
                           for o in overall))
    per_test = [m for m in overall[0].index if m.startswith("rejection_probability[")]
    if len(per_test) > 1:  # each test's rejection as the decision test
        for measure in per_test:
            if all(measure in o.index for o in overall):
                t.add_row(escape(f"rejection, {measure[len('rejection_probability['):-1]}"),
                          *(f"{o.loc[measure, 'estimate']:.4f} ± {o.loc[measure, 'mc_se']:.4f}" for o in overall))
    looks = [f[f["measure"] == "look_rejection"].set_index("look") for f in frames]
    for k in sorted(set().union(*(set(lk.index) for lk in looks))):
        t.add_row(f"rejection at look {k}", *(f"{lk.loc[k, 'estimate']:.4f}" if k in lk.index else "-"
                                               for lk in looks))
    con.print(t)


def _progress_callback(bar, task, start: float):
    """Progress updates with the rate of trials simulated in this process (resumed chunks excluded)."""
    first: dict[str, int] = {}

    def update(done: int, total: int) -> None:
        first.setdefault("done", done)
        elapsed = time.perf_counter() - start
        new = done - first["done"]
        rate = f"{new / elapsed:,.0f} trials/s" if elapsed > 0 and new > 0 else ""
        bar.update(task, completed=done, rate=rate)

    return update


def _run_all(models, grid, n_sims, out, seed, workers, client, chunk_size, resume, show) -> list:
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from survtrial.simulate.runner import run_simulation

    con = _console()
    frames = []
    multi = len(grid) > 1
    if out is not None and multi:
        out.mkdir(parents=True, exist_ok=True)
        _atomic(out / "sweep.json", lambda p: p.write_text(json.dumps({"points": grid}, indent=2) + "\n"))
    for point, model in zip(grid, models, strict=True):
        label = _label(point)
        target = None if out is None else (out / "points" / label if multi else out)
        start = time.perf_counter()
        with Progress(
            TextColumn(f"[bold]{label}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} trials"),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=con, disable=not show, transient=False,
        ) as bar:
            task = bar.add_task(label, total=n_sims, rate="")
            update = _progress_callback(bar, task, start)
            res = run_simulation(model, n_sims=n_sims, seed=seed, out=target, chunk_size=chunk_size,
                                 workers=workers, scheduler=client, resume=resume, progress=update,
                                 notes=lambda text: con.print(f"[yellow]resume[/yellow]: {escape(text)}"))
        oc = res.summary()
        _render(con, "" if not point else f"({label})", oc, model)
        frame = oc.to_frame()
        for i, (k, v) in enumerate(point.items()):
            frame.insert(i, k, v)
        frame.insert(0, "scenario", model.scenario_name)
        frames.append(frame)
    return frames
