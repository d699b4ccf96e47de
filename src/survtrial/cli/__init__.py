"""The survtrial command line: thin typer commands that parse, call one function, and render with rich.

Each command group lives in its own module below and registers itself on ``app`` when imported.
"""

from __future__ import annotations

from survtrial.cli._app import app, fail

# Command modules (each adds its commands to `app` on import); one line each.

__all__ = ["app", "fail"]
