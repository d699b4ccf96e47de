"""The typer application object and the shared error exit used by every command module."""

from __future__ import annotations

from typing import NoReturn

import typer

from survtrial import __version__
from survtrial.errors import InputError

app = typer.Typer(
    name="survtrial",
    help="Randomized time-to-event trials end to end: analyse, design, simulate, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"survtrial {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool | None = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """survtrial: analyse, design, simulate and report randomized survival trials."""


def fail(err: InputError | str) -> NoReturn:
    """Print an input error (no traceback) to stderr and exit with status 2."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]error:[/bold red] {escape(str(err))}", highlight=False)
    raise typer.Exit(code=2)
