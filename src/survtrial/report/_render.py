"""Draw a report's figures (build them, then SVG and PNG) on two processes.

A report's figures are independent of each other and drawing them is most of the time a report
takes (matplotlib lays out and draws every artist once per format). :func:`render_figures` draws a
list of figures, or of functions building one, and returns for each its SVG and PNG bytes (the
same bytes :func:`~survtrial.report._style.figure_svg_png` gives) and its size in inches.

With ``processes=2`` (on Linux) the process forks once: parent and child claim the next figure
from a shared counter until none is left, so the heavy figures spread over both; the child sends
back its bytes through a pipe and exits. The fork copies the figures and their data, nothing is
pickled but the bytes, and the output does not depend on which process drew a figure (SVG ids are
salted, not random; a test compares the two ways byte for byte). Should the child fail or vanish,
the parent draws the figures the child did not return, so an error surfaces with its own traceback.
Elsewhere (macOS, Windows: no safe fork), with one process, or while the process runs other Python
threads (a server, a progress bar: a lock one of them holds at the fork would stay held in the
child), figures are drawn in order here.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import signal
import struct
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from matplotlib.figure import Figure

from survtrial.report._style import figure_svg_png

__all__ = ["Drawing", "Drawn", "default_processes", "render_figures"]

Drawn = tuple[bytes, bytes, float, float]  # svg, png, width and height in inches
FigureSource = Figure | Callable[[], Figure]


def default_processes() -> int:
    """Two where forking is safe and this process may use a second core (Linux), else one."""
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if cores >= 2 else 1


def _draw(source: FigureSource) -> Drawn:
    fig = source() if callable(source) and not hasattr(source, "savefig") else source
    if not hasattr(fig, "savefig"):
        from survtrial.errors import InputError

        raise InputError(f"add_figure: expected a matplotlib Figure, got {type(fig).__name__}")
    svg, png = figure_svg_png(fig)
    return svg, png, float(fig.get_figwidth()), float(fig.get_figheight())


def render_figures(sources: Sequence[FigureSource], processes: int | None = None) -> list[Drawn]:
    """``(svg, png, width, height)`` for each figure (or function building one), in order."""
    return Drawing(sources, processes).result()


class Drawing:
    """Figures being drawn: started at once (the child of a fork begins with them while this
    process goes on with other work), collected by :meth:`result` (this process then draws what
    is left), or abandoned by :meth:`cancel`."""

    def __init__(self, sources: Sequence[FigureSource], processes: int | None = None) -> None:
        self.sources = list(sources)
        procs = default_processes() if processes is None else int(processes)
        self._pid = 0
        self._done: list[Drawn] | None = None
        if procs < 2 or len(self.sources) < 2 or not hasattr(os, "fork") or _other_threads():
            return
        self._start()

    def _start(self) -> None:
        import multiprocessing

        # Backends are imported before the fork: the child then needs no import (and no import lock).
        import matplotlib.backends.backend_agg
        import matplotlib.backends.backend_svg  # noqa: F401

        n = len(self.sources)
        self._counter = mmap.mmap(-1, 8)  # anonymous and shared: parent and child see one counter
        self._counter[:8] = struct.pack("q", 0)
        self._lock = multiprocessing.get_context("fork").Lock()
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():
            # Python >= 3.12 warns when a process with threads forks (numpy's BLAS pool counts): the
            # child only draws figures it already holds into memory and leaves with os._exit, taking
            # no lock that another thread of the parent could hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: draw what it claims, send the bytes, leave without cleanup
            code = 1
            try:
                os.close(read_fd)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                done: dict[int, Drawn] = {}
                while (i := _claim(self._counter, self._lock, n)) < n:
                    done[i] = _draw(self.sources[i])
                with os.fdopen(write_fd, "wb") as pipe:
                    pickle.dump(done, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        self._pid = pid
        self._pipe = os.fdopen(read_fd, "rb")

    def result(self) -> list[Drawn]:
        """Every figure drawn, in order (this process drawing those the child has not claimed)."""
        if self._done is not None:
            return self._done
        n = len(self.sources)
        results: dict[int, Drawn] = {}
        if self._pid:
            try:
                while (i := _claim(self._counter, self._lock, n)) < n:
                    results[i] = _draw(self.sources[i])
                data = self._pipe.read()
                os.waitpid(self._pid, 0)
                self._pid = 0
                if data:
                    with contextlib.suppress(Exception):  # a truncated answer: draw those figures here
                        results.update(pickle.loads(data))
            finally:
                self.cancel()
        for i in range(n):  # drawn here: everything without a child, or what a failed child left
            if i not in results:
                results[i] = _draw(self.sources[i])
        self._done = [results[i] for i in range(n)]
        return self._done

    def cancel(self) -> None:
        """Stop the child (if any) and release what the drawing holds."""
        if not hasattr(self, "_pipe"):
            return
        self._pipe.close()
        if self._pid:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self._pid, 0)
            self._pid = 0
        self._counter.close()
        del self._pipe


def _other_threads() -> bool:
    """True while Python threads other than this one run."""
    return threading.active_count() > 1


def _claim(counter: mmap.mmap, lock: Any, n: int) -> int:
    """The next unclaimed index (``n`` when none is left)."""
    with lock:
        (i,) = struct.unpack("q", counter[:8])
        if i < n:
            counter[:8] = struct.pack("q", i + 1)
        return i
