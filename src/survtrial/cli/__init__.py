"""The survtrial command line: thin typer commands that parse, call one function, and render with rich.

Each command group lives in its own module below and registers itself on ``app`` when imported.
"""

from __future__ import annotations

from survtrial.cli._app import app, fail

# Command modules (each adds its commands to `app` on import); one line each.
# Import order is the order of `survtrial --help`, so the import sorter leaves this block alone.
# isort: off
from survtrial.cli import reproduce as _reproduce  # noqa: F401  reproduce
from survtrial.cli import analyze as _analyze  # noqa: F401  analyze
from survtrial.cli import design as _design  # noqa: F401  design, monitor
from survtrial.cli import simulate as _simulate  # noqa: F401  simulate
from survtrial.cli import clinical as _clinical  # noqa: F401  classify, benefit, calendar
from survtrial.cli import reconstruct as _reconstruct  # noqa: F401  reconstruct
# isort: on

__all__ = ["app", "fail"]
