"""Compute the design panel's design in a background thread, the latest inputs first, so the page stays responsive."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["DesignWorker"]


class DesignWorker:
    """One background thread that computes :func:`survtrial.app.panel.compute` for the latest inputs.

    :meth:`submit` returns a request number at once; :meth:`get` gives that request's result once it is
    computed (None before). Requests overtaken by newer ones before they start are dropped (a MaxCombo
    design takes seconds; typing several values in a row computes the last one, not every one); a
    computation already running finishes and is kept only if no newer request was made.

    Examples
    --------
    >>> w = DesignWorker(lambda x: {"square": x * x})
    >>> n = w.submit(12)
    >>> w.wait(n, timeout=10), w.get(n)
    (True, {'square': 144})
    """

    def __init__(self, compute: Callable[..., dict[str, Any]] | None = None) -> None:
        if compute is None:
            from survtrial.app.panel import compute
        self._compute = compute
        self._cond = threading.Condition()
        self._wanted: tuple[int, tuple[Any, ...]] | None = None
        self._finished: tuple[int, dict[str, Any] | None] = (0, None)
        self._count = 0
        self._thread: threading.Thread | None = None

    def submit(self, *args: Any) -> int:
        """Ask for ``compute(*args)``; the request's number (for :meth:`get`)."""
        with self._cond:
            self._count += 1
            self._wanted = (self._count, args)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="survtrial-app-design", daemon=True)
                self._thread.start()
            return self._count

    def get(self, request: int) -> dict[str, Any] | None:
        """The result of request ``request``, or None while it is not computed (or was overtaken)."""
        with self._cond:
            n, out = self._finished
            return out if n == request else None

    def busy(self) -> bool:
        """True while a computation runs or waits."""
        with self._cond:
            return self._thread is not None

    def wait(self, request: int, timeout: float | None = None) -> bool:
        """Block until request ``request`` is computed or overtaken (tests and scripts); True when computed."""
        with self._cond:
            self._cond.wait_for(lambda: self._finished[0] >= request or self._count > request, timeout)
            return self._finished[0] == request

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._wanted is None:
                    self._thread = None
                    return
                n, args = self._wanted
                self._wanted = None
            try:
                out = self._compute(*args)
            except Exception as err:  # compute() turns errors into messages; this is the last guard
                out = {"error": f"the design could not be computed ({type(err).__name__}: {err})", "field": "design"}
            with self._cond:
                if n == self._count:  # still the latest request
                    self._finished = (n, out)
                self._cond.notify_all()
