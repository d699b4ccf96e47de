"""CLI for `survtrial app`: serve the design explorer on 127.0.0.1 and print its URL."""

from __future__ import annotations

import typer

from survtrial.cli._app import app, fail
from survtrial.errors import InputError


@app.command("app")
def app_command(
    port: int | None = typer.Option(None, "--port", help="TCP port on 127.0.0.1 (default: a free one)."),
) -> None:
    r"""Open the design explorer: a local web page (Shiny for Python) on 127.0.0.1; prints its URL.

    Needs the optional extra: pip install 'survtrial\[app]'. Stop it with Ctrl+C.
    """
    from survtrial.app import require_shiny, run_app

    try:
        require_shiny()

        def announce(url: str) -> None:
            typer.echo(f"survtrial design explorer: {url}  (Ctrl+C to stop)")

        run_app("127.0.0.1", port, on_start=announce)
    except InputError as err:
        fail(err)
