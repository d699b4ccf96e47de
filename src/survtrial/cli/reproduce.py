"""`survtrial reproduce`: re-enact a published trial with its digital twin (a packaged twin or a twin YAML)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from survtrial.cli._app import app, fail
from survtrial.cli._output import Overwrite, check_output_dir
from survtrial.errors import InputError

DEFAULT_TWIN = "aall1731"  # the packaged twin run when none is named
# what a reproduce output folder holds (an old one holding only these may be replaced)
OUTPUT_NAMES = ("report.html", "figures", "tables", "patients.parquet", "replicates.parquet")
REPLICATE_BYTES = 4096  # one twin's headline row and its share of the comparison (measured about 300 bytes)


@app.command()
def reproduce(
    twin: str = typer.Argument(DEFAULT_TWIN, help="Packaged twin name or a twin YAML path."),
    scenario: str | None = typer.Option(None, help="Scenario (packaged name or YAML path) simulated instead of "
                                                   "the twin's own."),
    seed: int = typer.Option(1731, help="Seed of the run (same seed, same numbers)."),
    replicates: int = typer.Option(1, help="Independent twins for the calibration section."),
    workers: int | None = typer.Option(None, help="Processes for the replicates (default: up to 2)."),
    out: Path | None = typer.Option(None, help="Output directory (default: survtrial-out/<twin name>)."),
    overwrite: Overwrite = False,
) -> None:
    """Simulate the trial's twin, analyse it as the paper did, compare with the published figures."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    from rich.table import Table

    from survtrial._limits import check_count, check_memory, check_workers
    from survtrial.workflows.twin_spec import load_twin

    con = Console()
    try:
        check_count(seed, "--seed", minimum=0)
        check_count(replicates, "--replicates", minimum=1)
        check_memory("--replicates", replicates, REPLICATE_BYTES, what="the twins' headline rows")
        if workers is not None:
            check_workers(workers)
        tw = load_twin(twin)
        default_out = out is None
        out = out if out is not None else Path("survtrial-out") / tw.name
        check_output_dir(out, overwrite=overwrite, parents=default_out, names=OUTPUT_NAMES)
        from survtrial.simulate._warmup import set_notifier
        from survtrial.workflows.reproduce import reproduce as run  # after the checks: a refusal is quick

        set_notifier(lambda text: Console(stderr=True).print(f"[dim]{text}[/dim]"))  # first run: numba compiles
        if replicates > 1:
            with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=con, transient=True) as bar:
                task = bar.add_task("twins", total=replicates)
                res = run(tw, scenario=scenario, seed=seed, replicates=replicates, workers=workers, out=out,
                          overwrite=overwrite, command=sys.argv, progress=lambda k: bar.update(task, completed=k))
        else:
            res = run(tw, scenario=scenario, seed=seed, replicates=1, out=out, overwrite=overwrite, command=sys.argv)
    except InputError as err:
        fail(err)
    table = Table(title=f"{res.twin.name}: published vs twin (scenario {res.scenario.name}, seed {res.seed})")
    table.add_column("headline")
    table.add_column("published", justify="right")
    table.add_column("twin" if res.replicates is None else "twin mean [95%]", justify="right")
    cmp = res.comparison if res.replicate_comparison is None else res.replicate_comparison
    for r in cmp.to_dict("records"):
        if res.replicates is None:
            twin_value = f"{r['twin']:.2f}"
        else:
            twin_value = f"{r['twin_mean']:.2f} [{r['twin_2.5%']:.2f}, {r['twin_97.5%']:.2f}]"
        table.add_row(r["headline"], f"{r['published']:g}", twin_value)
    con.print(table)
    i = res.interim
    if i:
        con.print(f"interim: {i['events']:.0f} events, bound z={i['efficacy_bound_z']:.3f}, log-rank z={i['z']:.2f} "
                  f"(z > 0 favours the experimental arm) -> "
                  f"{'stop for efficacy' if i['stop'] else 'continue'}", highlight=False)
    if res.replicates is not None and "interim_stop" in res.replicates.columns:
        con.print(f"share of twins stopping at the interim: {100 * res.replicates['interim_stop'].mean():.1f}%",
                  highlight=False)
    con.print(f"report: {res.out / 'report.html'}", highlight=False)
