"""`survtrial app`: a local design explorer in the browser (Shiny for Python), above workflows and below the CLI.

Why Shiny for Python (the optional extra ``pip install 'survtrial[app]'``):

- its server side is reactive Python functions over input values, so everything the page shows is
  computed by plain functions (:mod:`survtrial.app.inputs`, :mod:`survtrial.app.view`,
  :mod:`survtrial.app.simulation`, :mod:`survtrial.app.export`) that the tests call without a browser;
- no JavaScript build step: the package ships its own compiled assets, so a fresh
  ``pip install`` is all it takes;
- gsDesign and rpact users already plan trials in R Shiny apps; the same habits (inputs on the
  left, outputs updating as they change) carry over.

Layout: :mod:`~survtrial.app.inputs` (the inputs and the design they give),
:mod:`~survtrial.app.panel` (the page's values -> the design or a message for a field),
:mod:`~survtrial.app.design_worker` (the design computed in a background thread, the latest inputs
first), :mod:`~survtrial.app.view` (what the design panel shows), :mod:`~survtrial.app.simulation`
(check by simulation in a background thread: ``check_by_simulation``), :mod:`~survtrial.app.compare`
(designs side by side), :mod:`~survtrial.app.export` (the design file, the design report as HTML and
RTF, Python code); :mod:`~survtrial.app.page`, :mod:`~survtrial.app.server` and
:mod:`~survtrial.app.server_export` are the Shiny page and its reactive wiring (the only modules that
import shiny).
"""

from __future__ import annotations

import socket

from survtrial.errors import InputError

__all__ = ["free_port", "make_app", "require_shiny", "run_app"]

INSTALL_HINT = "pip install 'survtrial[app]'"


def require_shiny() -> None:
    """InputError saying how to install the app's dependencies when shiny is missing."""
    try:
        import shiny  # noqa: F401
    except ImportError:
        raise InputError(f"survtrial app needs Shiny for Python, which is not installed; run: {INSTALL_HINT}") from None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now (the operating system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _check_port(host: str, port: int) -> int:
    """``port`` when it can be bound on ``host`` now; InputError saying so otherwise."""
    if not 0 < port < 65536:
        raise InputError(f"--port {port}: give a TCP port between 1 and 65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as err:
            raise InputError(f"--port {port}: cannot serve on {host}:{port} ({err.strerror}); choose another port "
                             "or omit --port for a free one") from None
    return port


def make_app():
    """The Shiny application object (see :mod:`survtrial.app.server`)."""
    require_shiny()
    from survtrial.app.server import make_app as _make

    return _make()


def run_app(host: str = "127.0.0.1", port: int | None = None, *, on_start=None) -> None:
    """Serve the design explorer on ``host:port`` (a free port when None) until interrupted.

    ``on_start(url)`` is called with the page's URL before serving starts.
    """
    require_shiny()
    import uvicorn

    port = free_port(host) if port is None else _check_port(host, int(port))
    application = make_app()
    if on_start is not None:
        on_start(f"http://{host}:{port}/")
    uvicorn.run(application, host=host, port=port, log_level="warning")
