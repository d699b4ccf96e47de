"""Check a design by simulation in the background (survtrial.simulate's check_by_simulation), cancellable."""

from __future__ import annotations

import threading
from typing import Any

from survtrial.errors import Cancelled, InputError

__all__ = ["BackgroundJob", "ScenarioJob", "SimulationJob", "check_rows"]

# chunk size given to run_simulation for a twin's run; in memory the runner reports progress (and so lets a run be
# cancelled) after each task of whole seed blocks (1,000 trials), whatever the chunk size
CHUNK = 100


class BackgroundJob:
    """A simulation in a background thread: progress, cancellation, result or error.

    ``start()`` returns at once; ``done``/``total`` advance after each chunk of trials;
    ``cancel()`` stops the run at the next chunk. ``state`` is ``"running"``, ``"done"``,
    ``"cancelled"`` or ``"error"``; ``result`` holds the result when done, ``error`` the message
    otherwise. Subclasses say what to run in :meth:`work` (given the progress callback and the
    cancel event).
    """

    def __init__(self, n_sims: int) -> None:
        if isinstance(n_sims, bool) or not isinstance(n_sims, int) or n_sims < 1:
            raise InputError(f"simulations: {n_sims!r} must be a whole number >= 1")
        self.n_sims = n_sims
        self.done, self.total = 0, n_sims
        self.state = "running"
        self.result: Any = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="survtrial-app-simulation", daemon=True)

    def work(self, progress: Any, cancel: threading.Event) -> Any:  # pragma: no cover - subclasses
        raise NotImplementedError

    def start(self) -> BackgroundJob:
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends (tests and scripts); True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self._stop.is_set():
            raise Cancelled(f"cancelled after {done:,} of {total:,} trials")

    def _run(self) -> None:
        try:
            self.result = self.work(self._progress, self._stop)
            self.state = "done"
        except Cancelled:
            self.state = "cancelled"
        except InputError as err:
            self.error, self.state = str(err), "error"
        except Exception as err:  # shown in the page as a message, never as a traceback
            self.error, self.state = f"{type(err).__name__}: {err}", "error"


class SimulationJob(BackgroundJob):
    """Check a design by simulation in the background: ``result`` is the
    :class:`~survtrial.simulate.design_check.DesignSimulationCheck` of
    ``check_by_simulation(design, n_sims, seed=seed, time_unit=time_unit)``, the call `survtrial design
    design.yaml --check-by-simulation N --seed S` makes. ``total`` counts the trials under H1 and under H0.

    ``inputs`` (the explorer's inputs of the design) is kept so that the report of the same design can
    include the check.
    """

    def __init__(self, design: Any, n_sims: int, seed: int, time_unit: str = "months", inputs: Any = None) -> None:
        super().__init__(n_sims)
        self.design, self.seed, self.time_unit, self.inputs = design, seed, time_unit, inputs
        self.total = 2 * n_sims

    def work(self, progress: Any, cancel: threading.Event) -> Any:
        from survtrial.simulate.design_check import check_by_simulation

        return check_by_simulation(self.design, self.n_sims, seed=self.seed, time_unit=self.time_unit,
                                   progress=progress, cancel=cancel)


def check_rows(check: Any) -> Any:
    """The check's table as the page shows it: the design report's 'Check by simulation' table (hypothesis,
    quantity, look, events, analytic, simulated, Monte-Carlo SE, difference in SE; the printed digits of
    `survtrial design --check-by-simulation`)."""
    from survtrial.report.design_report import simulation_check_table

    shown, _, _ = simulation_check_table(check)
    return shown.fillna("\u2013")


class ScenarioJob(BackgroundJob):
    """Simulate a scenario under an engine design in the background; ``result`` is its OperatingCharacteristics."""

    def __init__(self, scenario: Any, design: dict[str, Any], n_sims: int, seed: int) -> None:
        super().__init__(n_sims)
        self.scenario, self.design, self.seed = scenario, design, seed

    def work(self, progress: Any, cancel: threading.Event) -> Any:
        from survtrial.simulate import run_simulation

        res = run_simulation(self.scenario, self.design, self.n_sims, seed=self.seed, chunk_size=CHUNK,
                             progress=progress)
        return res.summary()
