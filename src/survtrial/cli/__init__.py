"""The survtrial command line: thin typer commands that parse, call one function, and render with rich.

Each command group lives in its own module below and registers itself on ``app`` when imported.
"""

from __future__ import annotations

from survtrial.cli._app import app, fail

# Command modules (each adds its commands to `app` on import); one line each.
from survtrial.cli import clinical as _clinical  # noqa: F401,E402  classify, benefit, calendar
from survtrial.cli import design as _design  # noqa: F401,E402  design, monitor
from survtrial.cli import analyze as _analyze  # noqa: F401,E402  analyze
from survtrial.cli import simulate as _simulate  # noqa: F401,E402  simulate
from survtrial.cli import reproduce as _reproduce  # noqa: F401,E402  reproduce

__all__ = ["app", "fail"]
