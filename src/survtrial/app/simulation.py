"""Check a design by simulation: the design's tables as an engine scenario, and a cancellable background run."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from survtrial.errors import InputError

__all__ = ["BackgroundJob", "ScenarioJob", "SimulationCheck", "SimulationJob", "check_table", "simulation_inputs"]

#: Time units of the design tables -> years (the engine's unit).
YEARS_PER_UNIT = {"months": 1 / 12, "years": 1.0, "weeks": 7 / 365.25, "days": 1 / 365.25}
CHUNK = 100  # trials per chunk: progress and cancellation are checked between chunks


class Cancelled(Exception):
    """Raised inside the engine's progress callback to stop a run."""


def _ratio(r: float) -> tuple[int, int]:
    frac = Fraction(r).limit_denominator(10)
    if not math.isclose(float(frac), r, rel_tol=1e-9):
        raise InputError(f"allocation_ratio={r:g}: the simulation randomises in blocks; use a ratio of small whole "
                         "numbers (e.g. 1, 2, 1.5)")
    return frac.numerator, frac.denominator


def simulation_inputs(design: Any, time_unit: str = "months") -> tuple[dict[str, Any], dict[str, Any]]:
    """The engine scenario and simulation design that stand for a design: its tables (enrolment scaled to
    its sample size) and its looks at the expected events, rounded to whole events.

    Returns ``(scenario, simulation_design)`` as mappings for :func:`survtrial.simulate.run_simulation`.

    Notes
    -----
    Times are converted to years (``time_unit``). The engine takes one dropout hazard, so every
    period's dropout rate must be the same; one stratum. Efficacy bounds come from the design's
    alpha spending at the simulated event fractions; a log-rank design's futility z bounds are
    passed as they are. The engine tests with the log-rank statistic.
    """
    if time_unit not in YEARS_PER_UNIT:
        raise InputError(f"time unit {time_unit!r}: choose one of {', '.join(YEARS_PER_UNIT)}")
    years = YEARS_PER_UNIT[time_unit]
    a = design.assumptions
    if len(a.strata) != 1:
        raise InputError("simulation: one stratum only; the tables have " + str(len(a.strata)))
    s = a.strata[0]
    if np.ptp(s.dropout_hazard) > 0:
        raise InputError("table 'fail_rate', column 'dropout_rate': the simulation engine takes one dropout rate for "
                         "all periods; make the rates equal to check by simulation")
    ce, cc = _ratio(a.allocation_ratio)
    n_total = max(2, round(design.n_subjects))
    n_exp = round(n_total * ce / (ce + cc))
    starts = [float(x) * years for x in s.fail_starts]
    scenario = {
        "name": "design",
        "description": "the design explorer's assumptions",
        "arms": {"control": {"n": n_total - n_exp}, "experimental": {"n": n_exp}},
        "strata": {"all": {"share": 1.0}},
        "accrual": {"start_date": "2030-01-01", "n": n_total,
                    "periods": [{"duration_years": float(d) * years, "rate": float(r) / years}
                                for d, r in zip(s.enroll_duration, s.enroll_rate, strict=True)]},
        "randomization": {"ratio": {"control": cc, "experimental": ce}, "block_size": 2 * (ce + cc)},
        "hazards": {"all": {
            "control": {"breaks": starts, "rates": [float(x) / years for x in s.control_hazard]},
            "experimental": {"hazard_ratio": {"breaks": starts, "values": [float(x) for x in s.hazard_ratio]}},
        }},
        "competing_events": {"types": {"event": {}},
                             "by_arm": {"control": {"shares": {"event": 1.0}},
                                        "experimental": {"shares": {"event": 1.0}}}},
        "dropout": {"rate": float(s.dropout_hazard[0]) / years},
        "data_cut": {"events": int(max(1, round(design.events[-1])))},
    }
    events = [int(max(1, round(e))) for e in design.events]
    for i in range(1, len(events)):
        events[i] = max(events[i], events[i - 1] + 1)
    sim = {"events": events, "alpha": float(design.alpha), "sided": int(design.sided),
           "alpha_spending": _spending_name(design.alpha_spending)}
    if design.statistic.startswith("log-rank") and np.any(np.isfinite(design.lower)) and design.sided == 1:
        sim["futility_bounds"] = [float(x) if np.isfinite(x) else -1e6 for x in design.lower[:-1]]
        sim["binding_futility"] = bool(design.binding_futility)
    return scenario, sim


def _spending_name(spending: Any) -> str:
    if spending is None:
        return "OF"
    family, parameter = getattr(spending, "family", None), getattr(spending, "parameter", None)
    if family is None:
        return str(spending)
    return family if parameter is None else f"{family}({parameter:g})"


@dataclass(frozen=True)
class SimulationCheck:
    """Simulated against analytic operating characteristics per look.

    ``table`` has one row per look: events, the analytic log-rank probability of stopping for
    efficacy and for futility there (:func:`~survtrial.design.ahr_power` at the simulated looks) and
    the simulated ones with their Monte-Carlo standard errors; ``power`` is (analytic, simulated,
    MC SE) of the whole design.
    """

    table: Any
    power: tuple[float, float, float]
    n_sims: int


def check_table(design: Any, sim: dict[str, Any], oc: Any, n_sims: int) -> SimulationCheck:
    """Put a simulation's operating characteristics beside the analytic log-rank ones at the same looks."""
    import pandas as pd

    from survtrial.design import ahr_power

    kw: dict[str, Any] = {"events": sim["events"], "alpha": sim["alpha"], "sided": sim["sided"],
                          "alpha_spending": sim["alpha_spending"]}
    if "futility_bounds" in sim:
        kw["futility_bounds"] = [*(x if x > -1e5 else -math.inf for x in sim["futility_bounds"]), math.nan]
        kw["binding_futility"] = sim["binding_futility"]
    analytic = ahr_power(design.assumptions, **kw)
    by = oc.by_look
    table = pd.DataFrame({
        "look": np.arange(1, analytic.k + 1),
        "events": sim["events"],
        "efficacy_analytic": analytic.upper_h1,
        "efficacy_simulated": by["rejection"].to_numpy(),
        "efficacy_mc_se": by["rejection_se"].to_numpy(),
        "futility_analytic": analytic.lower_h1,
        "futility_simulated": by["futility"].to_numpy(),
        "futility_mc_se": by["futility_se"].to_numpy(),
    })
    sim_power = oc.value("rejection_probability")
    se = math.sqrt(sim_power * (1 - sim_power) / n_sims)
    return SimulationCheck(table=table, power=(analytic.power, sim_power, se), n_sims=n_sims)


class BackgroundJob:
    """A simulation in a background thread: progress, cancellation, result or error.

    ``start()`` returns at once; ``done``/``total`` advance after each chunk of trials;
    ``cancel()`` stops the run at the next chunk. ``state`` is ``"running"``, ``"done"``,
    ``"cancelled"`` or ``"error"``; ``result`` holds the result when done, ``error`` the message
    otherwise. Subclasses say what to run in :meth:`work`.
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

    def work(self, progress: Any) -> Any:  # pragma: no cover - subclasses
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
            raise Cancelled

    def _run(self) -> None:
        try:
            self.result = self.work(self._progress)
            self.state = "done"
        except Cancelled:
            self.state = "cancelled"
        except InputError as err:
            self.error, self.state = str(err), "error"
        except Exception as err:  # shown in the page as a message, never as a traceback
            self.error, self.state = f"{type(err).__name__}: {err}", "error"


class SimulationJob(BackgroundJob):
    """Check a design by simulation in the background; ``result`` is a :class:`SimulationCheck`."""

    def __init__(self, design: Any, n_sims: int, seed: int, time_unit: str = "months") -> None:
        super().__init__(n_sims)
        self.design, self.seed, self.time_unit = design, seed, time_unit
        self.scenario, self.sim = simulation_inputs(design, time_unit)

    def work(self, progress: Any) -> SimulationCheck:
        from survtrial.simulate import run_simulation
        from survtrial.simulate.scenario import scenario_from_dict

        scenario = scenario_from_dict(self.scenario, source="design assumptions")
        res = run_simulation(scenario, self.sim, self.n_sims, seed=self.seed, chunk_size=CHUNK, progress=progress)
        return check_table(self.design, self.sim, res.summary(), self.n_sims)


class ScenarioJob(BackgroundJob):
    """Simulate a scenario under an engine design in the background; ``result`` is its OperatingCharacteristics."""

    def __init__(self, scenario: Any, design: dict[str, Any], n_sims: int, seed: int) -> None:
        super().__init__(n_sims)
        self.scenario, self.design, self.seed = scenario, design, seed

    def work(self, progress: Any) -> Any:
        from survtrial.simulate import run_simulation

        res = run_simulation(self.scenario, self.design, self.n_sims, seed=self.seed, chunk_size=CHUNK,
                             progress=progress)
        return res.summary()
