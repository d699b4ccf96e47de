"""A design's analytic power and crossing probabilities beside the simulation engine's, for the same trial.

:func:`check_by_simulation` turns a design of :mod:`survtrial.design` (its tables with enrolment
scaled to the design's sample size, piecewise hazard ratio included) into an engine scenario,
simulates it under the design's alternative and under H0 (the control hazards in both arms),
applies the design's own bounds look by look and lays the simulated crossing probabilities beside
the analytic ones, with Monte-Carlo standard errors.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from survtrial._repr import HtmlReprMixin
from survtrial.errors import Cancelled, InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DesignSimulationCheck", "check_by_simulation"]

CHUNK = 1000  # trials between progress calls: the engine's seed block (TRIALS_PER_SEED_BLOCK), so nothing is redrawn
_START = "2020-01-01"  # the engine counts calendar time from a date; any date gives the same trials


@dataclass(frozen=True, repr=False)
class DesignSimulationCheck(HtmlReprMixin):
    """Analytic and simulated operating characteristics of one design, look by look.

    Attributes
    ----------
    design : object
        The design checked (``NphGroupSequentialDesign`` or ``MaxComboDesign``).
    analytic : object
        The same bounds evaluated analytically for the simulated trial: whole subjects
        (``n_subjects``) and whole events per look (``events``), rounded up from the design's.
    n_sims : int
        Trials simulated under each hypothesis.
    seed : int
    n_subjects : int
    events : tuple of int
    table : pandas.DataFrame
        One row per hypothesis, quantity and look: ``analytic``, ``simulated``, ``mc_se`` (the
        standard error of a proportion of ``n_sims`` trials at the analytic probability) and
        ``difference_se`` ((simulated - analytic) / mc_se).
    """

    design: Any
    analytic: Any
    n_sims: int
    seed: int
    n_subjects: int
    events: tuple[int, ...]
    table: pd.DataFrame

    @property
    def power(self) -> tuple[float, float, float]:
        """(analytic, simulated, Monte-Carlo SE) of the power, futility bounds followed."""
        row = self.table[(self.table["hypothesis"] == "H1") & (self.table["quantity"] == "power")].iloc[0]
        return float(row["analytic"]), float(row["simulated"]), float(row["mc_se"])

    @property
    def max_abs_difference_se(self) -> float:
        """Largest |simulated - analytic| in Monte-Carlo SEs over the table's rows (rows with SE 0 left out)."""
        d = self.table["difference_se"].to_numpy(dtype=float)
        d = d[np.isfinite(d)]
        return float(np.max(np.abs(d))) if d.size else 0.0

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> pd.DataFrame:
        """The power and the type I error rows only."""
        return self.table[self.table["look"] == "all"].reset_index(drop=True)

    def __repr__(self) -> str:
        a, s, se = self.power
        name = getattr(self.design, "statistic", None) or f"{self.design.kind} at {self.design.tau:g}"
        return (f"DesignSimulationCheck({name}: {self.n_sims} trials per hypothesis, "
                f"seed {self.seed}; "
                f"{self.n_subjects} subjects, looks at {list(self.events)} events)\n"
                f"  power analytic {a:.4f}, simulated {s:.4f} (MC SE {se:.4f}); largest difference "
                f"{self.max_abs_difference_se:.2f} SE")


def _ratio(r: float) -> tuple[int, int]:
    f = Fraction(r).limit_denominator(12)
    if abs(float(f) - r) > 1e-9 or f.numerator + f.denominator > 12:
        raise InputError(f"allocation ratio {r:g}: the simulation randomises in blocks, so the ratio must be a "
                         "fraction of small whole numbers (1, 2, 1.5, 2/3...)")
    return f.numerator, f.denominator  # experimental, control


def scenario_of(assumptions: Any, n_subjects: int, last_events: int, to_years: float) -> dict[str, Any]:
    """An engine scenario (mapping) of design tables: piecewise accrual, control hazards and hazard
    ratios per stratum, one dropout hazard, ``n_subjects`` randomised; times converted to years."""
    a = assumptions
    rates = {float(h) for s in a.strata for h in s.dropout_hazard}
    if len(rates) > 1:
        raise InputError(f"table 'fail_rate', column 'dropout_rate': the simulation engine has one dropout hazard "
                         f"for every period, stratum and arm; the tables have {sorted(rates)}")
    first = a.strata[0]
    for s in a.strata[1:]:
        same = (s.enroll_duration.size == first.enroll_duration.size
                and np.allclose(s.enroll_duration, first.enroll_duration)
                and np.allclose(s.enroll_rate / s.enroll_rate.sum(), first.enroll_rate / first.enroll_rate.sum()))
        if not same:
            raise InputError(f"table 'enroll_rate', stratum {s.name!r}: the simulation engine enrols every stratum "
                             f"with one accrual pattern (strata are shares of it); give stratum {s.name!r} the same "
                             f"durations as {first.name!r} and rates in the same proportions")
    exp_share, ctrl_share = _ratio(a.allocation_ratio)
    n1 = round(n_subjects * exp_share / (exp_share + ctrl_share))
    block = (exp_share + ctrl_share) * max(1, 4 // (exp_share + ctrl_share))
    total = a.n_subjects
    strata, hazards = {}, {}
    for s in a.strata:
        key = f"s{len(strata) + 1}"
        strata[key] = {"share": s.n_subjects / total, "label": s.name}
        starts = (s.fail_starts * to_years).tolist()
        hazards[key] = {
            "control": {"breaks": starts, "rates": (s.control_hazard / to_years).tolist()},
            "experimental": {"hazard_ratio": {"breaks": starts, "values": s.hazard_ratio.tolist()}},
        }
    shares = [x["share"] for x in strata.values()]
    shares[-1] = 1.0 - sum(shares[:-1])
    for x, v in zip(strata.values(), shares, strict=True):
        x["share"] = v
    return {
        "name": "design_check",
        "description": "the design's tables, enrolment scaled to its sample size",
        "arms": {"control": {"n": n_subjects - n1}, "experimental": {"n": n1}},
        "strata": strata,
        "accrual": {"start_date": _START, "n": n_subjects,
                    "periods": [{"duration_years": float(d * to_years), "rate": float(r)}
                                for d, r in zip(first.enroll_duration, first.enroll_rate, strict=True)]},
        "randomization": {"ratio": {"control": ctrl_share, "experimental": exp_share}, "block_size": block,
                          "stratified": True},
        "hazards": hazards,
        "competing_events": {"types": {"event": {"label": "event"}},
                             "by_arm": {"control": {"shares": {"event": 1.0}},
                                        "experimental": {"shares": {"event": 1.0}}}},
        "dropout": {"rate": float(rates.pop()) / to_years},
        "data_cut": {"events": int(last_events)},
    }


def _tests(design: Any) -> tuple[list[str] | None, list[list[int]]]:
    """Engine test names and, per look, the indices of those whose maximum is the statistic."""
    from survtrial.design.maxcombo_result import MaxComboDesign

    if isinstance(design, MaxComboDesign):
        names = [_engine_name(w) for w in design.tests]
        return names, [list(row) for row in design.tests_by_look]
    if design.method == "ahr":
        return None, [[0]] * design.k
    return [_engine_name(design.details["weight"])], [[0]] * design.k


def _engine_name(w: Any) -> str:
    if w.kind == "fh":
        return "logrank" if w.is_logrank else f"fh({w.rho:g},{w.gamma:g})"
    if math.isfinite(w.w_max) and math.isfinite(w.t_star):
        return f"mb({w.t_star:g},{w.w_max:g})"
    if math.isfinite(w.t_star):
        return f"mb({w.t_star:g})"
    raise InputError(f"test {w.label}: the simulation engine's Magirr-Burman test needs t* (mb(t*) or mb(t*, w_max))")


def _z(records: Any, names: list[str] | None, k: int, use: list[int]) -> np.ndarray:
    if names is None:
        return records[f"z_{k + 1}"].to_numpy(dtype=float)
    from survtrial.simulate.statistics import parse_test

    cols = [records[f"{parse_test(names[i]).slug}_z_{k + 1}"].to_numpy(dtype=float) for i in use]
    return np.max(np.column_stack(cols), axis=1)


def _crossings(records: Any, names: list[str] | None, use: list[list[int]], upper: np.ndarray,
               lower: np.ndarray, follow_lower: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per-look proportions of trials first crossing the upper / lower bound (lower followed or not)."""
    n, k = len(records), upper.size
    alive = np.ones(n, dtype=bool)
    up = np.zeros(k)
    low = np.zeros(k)
    short = np.zeros(n, dtype=bool)
    for j in range(k):
        z = _z(records, names, j, use[j])
        col = f"short_{j + 1}"
        if col in records:  # a look the trial could not reach (too few events) is its final one
            short |= records[col].to_numpy(dtype=bool)
        last = short | (j == k - 1)
        hit_up = alive & (z >= upper[j])
        hit_low = alive & ~hit_up & (z <= lower[j]) if follow_lower or j == k - 1 else np.zeros(n, dtype=bool)
        up[j] = hit_up.mean()
        low[j] = hit_low.mean()
        alive &= ~hit_up & ~hit_low & ~last
    return up, low


def _evaluate(design: Any, a: Any, events: list[int]) -> Any:
    """The design's bounds evaluated for tables ``a`` with looks at ``events``."""
    from survtrial.design.ahr_design import ahr_power
    from survtrial.design.maxcombo_result import MaxComboDesign
    from survtrial.design.scenario_power import maxcombo_power, weighted_logrank_power

    lower = np.where(np.isfinite(design.lower), design.lower, -np.inf)
    if isinstance(design, MaxComboDesign):
        return maxcombo_power(a, design.tests, tests_by_look=design.tests_by_look, alpha=design.alpha,
                              efficacy_bounds=design.upper, futility_bounds=lower,
                              binding_futility=design.binding_futility, info_scale=design.info_scale, events=events)
    common = dict(alpha=design.alpha, sided=design.sided, efficacy_bounds=design.upper,
                  futility_bounds=None if design.sided == 2 else lower, binding_futility=design.binding_futility,
                  info_scale=design.info_scale, events=events)
    if design.method == "ahr":
        return ahr_power(a, **common)
    return weighted_logrank_power(a, design.details["weight"], **common)


def _no_early_stops(model: Any) -> Any:
    """The model with the engine's own stopping switched off: every look is analysed, so the design's
    bounds (not the engine's) decide."""
    ana = model.analysis
    return dataclasses.replace(model, analysis=ana._replace(stop_upper=np.full_like(ana.stop_upper, np.inf),
                                                            stop_lower=np.full_like(ana.stop_lower, -np.inf)))


class _Steps:
    """Progress over both hypotheses' runs, and cancellation between chunks of trials."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None, cancel: Any) -> None:
        if progress is not None and not callable(progress):
            raise InputError(f"progress must be a function progress(done, total), got {type(progress).__name__}")
        if cancel is not None and not callable(getattr(cancel, "is_set", None)):
            raise InputError(f"cancel must be an event with is_set() (threading.Event), got {type(cancel).__name__}")
        self.done, self.total, self.progress, self.cancel = 0, total, progress, cancel

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled(f"check by simulation cancelled after {self.done:,} of {self.total:,} trials")

    def add(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total)
        self.check()


def _run(model: Any, n_sims: int, seed: int, chunk_size: int, steps: _Steps) -> pd.DataFrame:
    """Records of trials 0..n_sims-1 of the engine's run with ``seed``, simulated ``chunk_size`` trials at a time
    (:func:`~survtrial.simulate.engine.simulate_range`: a trial's record does not depend on its chunk)."""
    import pandas as pd

    from survtrial.simulate.engine import simulate_range

    parts = []
    for a in range(0, n_sims, chunk_size):
        b = min(n_sims, a + chunk_size)
        steps.check()
        parts.append(simulate_range(model, seed, a, b))
        steps.add(b - a)
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _chunk(chunk_size: Any) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InputError(f"chunk_size must be a whole number of trials >= 1, got {chunk_size!r}")
    return int(chunk_size)


def check_by_simulation(design: Any, n_sims: int, *, seed: int = 1, time_unit: str | None = None,
                        scenario: Any = None, progress: Callable[[int, int], None] | None = None,
                        cancel: Any = None, chunk_size: int = CHUNK) -> DesignSimulationCheck:
    """Simulate a design's trial under its alternative and under H0 and set the results beside the analytic ones.

    Parameters
    ----------
    design : NphGroupSequentialDesign or MaxComboDesign
        From :func:`~survtrial.design.ahr_design` / ``ahr_power`` (log-rank), and, when the engine
        has its test plug-ins, ``weighted_logrank_design`` / ``maxcombo_design`` and their
        ``*_power``.
    n_sims : int
        Trials per hypothesis (e.g. 2,000: Monte-Carlo SE of a power of 0.9 about 0.007).
    seed : int, default 1
        Seed of the engine's run (the H0 run uses the same seed with equal hazards).
    time_unit : str, optional
        Unit of the design's tables; the engine works in years. The z statistics do not depend
        on the unit, so without it the tables' times are taken as years.
    scenario : DesignAssumptions, mapping with enroll_rate and fail_rate, or a failure table, optional
        Simulate and evaluate the design's bounds under other assumptions (as
        :func:`~survtrial.design.design_power`; a failure table alone keeps the design's enrolment);
        default the design's own tables. Group-sequential designs only.
    progress : callable, optional
        Called as ``progress(trials_done, total)`` before the first chunk and after each chunk of
        trials, ``total`` being ``2 * n_sims`` (the run under H1, then the one under H0).
    cancel : threading.Event, optional
        When set, the check stops before its next chunk and raises :class:`survtrial.errors.Cancelled`.
    chunk_size : int, default 1000
        Trials simulated between two progress calls. The results do not depend on it (trial i of
        the run is the same trial whatever the chunk; multiples of the engine's seed block of 1,000
        trials waste nothing, other sizes redraw part of a block).

    Returns
    -------
    DesignSimulationCheck

    Notes
    -----
    The simulated trial is the design's rounded up: whole subjects (allocation by permuted blocks,
    arm sizes fixed) enrolled with the tables' piecewise rates, piecewise-exponential event
    times with the tables' control hazards and hazard ratios, exponential dropout, looks at the
    calendar time of the d-th event (d the design's expected events per look, rounded up). At each
    look the engine computes the log-rank z (weighted z's for weighted and MaxCombo designs;
    stratified when the tables have strata), > 0 favouring the experimental arm; the design's
    efficacy and futility bounds are applied look by look (futility followed, as the design's
    crossing probabilities assume; the type I error row ignores a non-binding futility bound, as
    the design's alpha does). The analytic column evaluates the same bounds for that rounded trial
    (``design_power`` with looks at those events), so the two columns describe the same trial.
    H0: both arms have the control hazards (``hazard_ratio=1`` in the engine). Monte-Carlo SE:
    sqrt(p (1 - p) / n_sims) at the analytic p.

    Examples
    --------
    >>> import numpy as np
    >>> from survtrial.design import ahr_power, design_assumptions
    >>> a = design_assumptions({"duration": [12], "rate": [25]},
    ...                        {"duration": [4, np.inf], "fail_rate": np.log(2) / 10, "hr": [1, 0.5]})
    >>> d = ahr_power(a, events=[100, 180])
    >>> chk = check_by_simulation(d, 400, seed=3)
    >>> chk.n_subjects, chk.events, chk.max_abs_difference_se < 4
    (300, (100, 180), True)
    """
    from survtrial.design.km_contrast_design import KaplanMeierContrastDesign
    from survtrial.design.maxcombo_result import MaxComboDesign
    from survtrial.design.nph_design import NphGroupSequentialDesign
    from survtrial.simulate.engine import build_model
    from survtrial.units import convert

    if not isinstance(design, (NphGroupSequentialDesign, MaxComboDesign, KaplanMeierContrastDesign)):
        raise InputError(f"check_by_simulation: expected a design from survtrial.design (ahr_design, "
                         f"weighted_logrank_design, maxcombo_design, rmst_design, milestone_design or their *_power), "
                         f"got {type(design).__name__}")
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims < 10:
        raise InputError(f"n_sims must be a whole number of trials >= 10, got {n_sims!r}")
    chunk = _chunk(chunk_size)
    steps = _Steps(2 * int(n_sims), progress, cancel)
    if isinstance(design, KaplanMeierContrastDesign):
        if scenario is not None:
            raise InputError("check_by_simulation: scenario= goes with group-sequential designs; for an RMST or "
                             "milestone design evaluate rmst_power / milestone_power on the other tables")
        return _check_fixed(design, int(n_sims), int(seed), 1.0 if time_unit is None else
                            convert(1.0, time_unit, "years"), chunk, steps)
    names, use = _tests(design)
    to_years = 1.0 if time_unit is None else convert(1.0, time_unit, "years")
    n_int = math.ceil(design.n_subjects - 1e-6)
    events = [math.ceil(e - 1e-6) for e in design.events]
    if np.any(np.diff(events) <= 0):
        raise InputError(f"the design's looks at {design.events.tolist()} events round up to {events}: two looks "
                         "at the same number of events cannot be simulated")
    a = design.assumptions.scaled(n_int / design.assumptions.n_subjects)
    if scenario is not None:  # another scenario: its tables, with whole subjects
        from survtrial.design.scenario_power import _scenario

        given = _scenario(design, scenario)
        n_int = math.ceil(given.n_subjects - 1e-6)
        a = given.scaled(n_int / given.n_subjects)
    analytic = _evaluate(design, a, events)
    from survtrial.simulate.scenario import scenario_from_dict

    sc = scenario_from_dict(scenario_of(a, n_int, events[-1], to_years), source="the design's tables")
    engine_design = {"events": events, "stop_for_futility": False, "stratified": len(a.strata) > 1}
    extra = {} if names is None else {"tests": names}
    lower = np.where(np.isfinite(design.lower), design.lower, -np.inf)
    upper = np.asarray(design.upper, dtype=float)
    rows = []
    steps.add(0)
    for hyp, hr in (("H1", None), ("H0", 1.0)):
        model = _no_early_stops(build_model(sc, engine_design, hazard_ratio=hr, landmarks=[], **extra))
        rec = _run(model, int(n_sims), seed, chunk, steps)
        up, low = _crossings(rec, names, use, upper, lower)
        ana_up = analytic.upper_h1 if hyp == "H1" else analytic.upper_h0
        ana_low = analytic.lower_h1 if hyp == "H1" else analytic.lower_h0
        lower_name = "futility" if design.sided == 1 else "lower bound"
        for j in range(design.k):
            rows.append((hyp, "efficacy", str(j + 1), events[j], ana_up[j], up[j]))
            if np.any(np.isfinite(lower)):
                rows.append((hyp, lower_name, str(j + 1), events[j], ana_low[j], low[j]))
        if hyp == "H1":
            rows.append((hyp, "power", "all", events[-1], float(np.sum(ana_up)), float(np.sum(up))))
        else:
            rows.append((hyp, "type I error, bounds followed", "all", events[-1], float(np.sum(ana_up)),
                         float(np.sum(up))))
            if np.any(np.isfinite(lower[:-1])) and not design.binding_futility:
                up_nb, _ = _crossings(rec, names, use, upper, np.full_like(lower, -np.inf), follow_lower=False)
                rows.append((hyp, "type I error, futility ignored", "all", events[-1],
                             float(analytic.alpha_spent[-1]), float(np.sum(up_nb))))
    import pandas as pd

    table = pd.DataFrame(rows, columns=["hypothesis", "quantity", "look", "events", "analytic", "simulated"])
    p = table["analytic"].clip(0.0, 1.0).to_numpy(dtype=float)
    se = np.sqrt(p * (1 - p) / n_sims)
    table["mc_se"] = se
    with np.errstate(divide="ignore", invalid="ignore"):
        table["difference_se"] = np.where(se > 0, (table["simulated"] - table["analytic"]) / se, np.nan)
    return DesignSimulationCheck(design=design, analytic=analytic, n_sims=int(n_sims), seed=int(seed),
                                 n_subjects=n_int, events=tuple(events), table=table)


def _check_fixed(design: Any, n_sims: int, seed: int, to_years: float, chunk: int,
                 steps: _Steps) -> DesignSimulationCheck:
    """RMST or milestone design: one analysis at the study duration, the engine's rmst(tau) / milestone(t) z."""
    from survtrial.design.km_contrast_design import milestone_power, rmst_power
    from survtrial.simulate.engine import build_model
    from survtrial.simulate.scenario import scenario_from_dict

    n_int = math.ceil(design.n_subjects - 1e-6)
    a = design.assumptions.scaled(n_int / design.assumptions.n_subjects)
    fn = rmst_power if design.kind == "rmst" else milestone_power
    analytic = fn(a, design.tau, study_duration=design.study_duration, alpha=design.alpha)
    events = math.ceil(analytic.events - 1e-6)
    sc = scenario_from_dict(scenario_of(a, n_int, events, to_years), source="the design's tables")
    name = f"{design.kind}({design.tau * to_years:.12g}y)"
    engine_design = {"calendar_times": [design.study_duration * to_years], "planned_events": max(events, 1),
                     "stop_for_futility": False, "stratified": len(a.strata) > 1}
    from survtrial.simulate.statistics import parse_test

    column = f"{parse_test(name).slug}_z_1"
    rows = []
    steps.add(0)
    for hyp, hr, p in (("H1", None, analytic.power), ("H0", 1.0, design.alpha)):
        model = build_model(sc, engine_design, hazard_ratio=hr, landmarks=[], tests=[name])
        z = _run(model, n_sims, seed, chunk, steps)[column].to_numpy(dtype=float)
        rows.append((hyp, "power" if hyp == "H1" else "type I error", "all", events, float(p),
                     float(np.mean(z >= analytic.bound))))
    import pandas as pd

    table = pd.DataFrame(rows, columns=["hypothesis", "quantity", "look", "events", "analytic", "simulated"])
    p = table["analytic"].to_numpy(dtype=float)
    se = np.sqrt(p * (1 - p) / n_sims)
    table["mc_se"] = se
    table["difference_se"] = (table["simulated"] - table["analytic"]) / se
    return DesignSimulationCheck(design=design, analytic=analytic, n_sims=n_sims, seed=seed, n_subjects=n_int,
                                 events=(events,), table=table)
