"""The vectorised simulation engine: many trials of a scenario under a group-sequential design.

``build_model`` turns a scenario and a design into flat arrays; ``simulate_range`` simulates trials
``start..stop-1`` of a seeded run (compiled kernels, one block of trials per call) and applies the
design's bounds; ``simulate_trials`` does a whole run in this process; ``trial_data`` returns one
trial's patient-level data (same seed and index, same trial) for checking against the analysis
module. Parallel and resumable runs: :mod:`survtrial.simulate.runner`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError
from survtrial.simulate import _kernels as kern
from survtrial.simulate import _rng
from survtrial.simulate._analysis import (
    DECISIONS,
    analysis_part,
    check_times_within_follow_up,
    info_width,
    record_columns,
)
from survtrial.simulate._generate import GenerationArgs
from survtrial.simulate._generation import (
    TRIALS_PER_SEED_BLOCK,
    GenerationModel,
    block_sizes,
    build_generation,
    check_seed,
    patient_frames,
)
from survtrial.simulate._looks import AnalysisArgs, LookOutputs
from survtrial.simulate._test_bounds import N_PILOT, PILOT_SEED, TestBounds
from survtrial.simulate._warmup import block_work, ensure_compiled
from survtrial.simulate.design_spec import SimulationDesign, load_simulation_design, with_tests

__all__ = [
    "TRIALS_PER_SEED_BLOCK",
    "EngineModel",
    "SimulationResult",
    "build_model",
    "record_schema",
    "simulate_range",
    "simulate_table",
    "simulate_trials",
    "trial_data",
]

RANDOM_STREAM = ("xoshiro256++ x2, ziggurat; blocks of 3-6 from a table; exits revealed as order statistics "
                 "in 8 segments with their own streams, the same trial under every design (4)")
"""How trials are drawn from a seed; changes whenever the same seed would give other trials, so a
run started by another version is not resumed with different trials."""


@dataclass(frozen=True, repr=False)
class EngineModel:
    """Flat simulation parameters of one scenario x design (picklable; see :func:`build_model`)."""

    scenario_name: str
    scenario_digest: str
    design: SimulationDesign
    arms: tuple[str, ...]
    strata: tuple[str, ...]
    event_types: tuple[str, ...]
    control: int
    experimental: int
    hazard_ratio: float | None
    true_hazard_ratio: float | None
    landmarks: np.ndarray
    expected_events_max: float
    horizon: float
    start_date: Any
    fatal: np.ndarray
    relapse_death: np.ndarray
    post_relapse_death_rate: np.ndarray
    dropout_rate: float
    generation: GenerationArgs = field(repr=False)
    analysis: AnalysisArgs = field(repr=False)
    generator: GenerationModel = field(repr=False)
    tests: tuple[Any, ...] = ()
    decision_index: int = 0
    bounds: TestBounds | None = field(default=None, repr=False)

    @property
    def k(self) -> int:
        return self.design.k

    @property
    def identity(self) -> dict[str, Any]:
        """What determines the results besides the seed (for resumable runs)."""
        return {
            "scenario": self.scenario_name,
            "scenario_digest": self.scenario_digest,
            "design_digest": self.design.digest,
            "hazard_ratio": self.hazard_ratio,
            "landmarks": self.landmarks.tolist(),
            "tests": [t.label for t in self.tests],
            "decision_test": self.tests[self.decision_index].label,
            "trials_per_seed_block": TRIALS_PER_SEED_BLOCK,
            "random_stream": RANDOM_STREAM,
        }

    def __repr__(self) -> str:
        hr = "" if self.hazard_ratio is None else f", hazard ratio set to {self.hazard_ratio:g}"
        tests = ", ".join(t.label + (" (decisions)" if i == self.decision_index and len(self.tests) > 1 else "")
                          for i, t in enumerate(self.tests))
        return (
            f"EngineModel({self.scenario_name!r}{hr}: arms {list(self.arms)} (control {self.arms[self.control]!r}), "
            f"strata {list(self.strata)}; tests {tests}; {self.design!r})"
        )


def build_model(
    scenario: Any,
    design: Any,
    *,
    hazard_ratio: float | None = None,
    landmarks: Any = None,
    tests: Any = None,
    decision_test: str | None = None,
    _pilot: bool = False,
) -> EngineModel:
    """Flatten a scenario and a design into the engine's arrays, checking that they fit together.

    Parameters
    ----------
    scenario : Scenario, str or path
        A scenario (packaged name such as ``"aall1731"`` or a YAML path); two arms.
    design : SimulationDesign, dict or path
        The look schedule and bounds (see :mod:`survtrial.simulate.design_spec`).
    hazard_ratio : float, optional
        Replace the experimental arm's DFS hazard by ``hazard_ratio`` x the control hazard in every
        stratum (the sweep parameter ``hazard_ratio``); the true HR for bias and coverage.
    landmarks : sequence of float, optional
        Years at which Kaplan-Meier estimates per arm are recorded at each look; default the
        scenario's survival-target times.
    tests : sequence of str, optional
        Tests computed at every look (names in :mod:`survtrial.simulate.statistics`, e.g.
        ``["logrank", "fh(0,0.5)", "maxcombo", "rmst(4y)"]``); default the design's ``tests``
        (``[logrank]``).
    decision_test : str, optional
        The test the trial's decisions follow; default the design's ``decision_test``, else the
        first test.

    Returns
    -------
    EngineModel

    Notes
    -----
    Control is the design's ``control_arm`` or the scenario's first arm. The total hazard of
    leaving follow-up is the DFS hazard plus the constant dropout hazard (dropout only for the
    cured of a cell with a cure fraction); the engine draws exit times from it (revealed in
    increasing order, only as far as the horizon needs: ``survtrial.simulate._exits``) and, for
    exits before the horizon, whether the exit is a DFS event (probability DFS hazard / total
    hazard at the exit time) and its type (the calibrated shares). The horizon is the calendar
    time by which the expected number of DFS events exceeds the last look's events by 3 Poisson
    SDs (+5), or the last calendar look; a trial that has too few events by then has all its
    exits revealed. The horizon decides how much of a trial is drawn, never what it is: the same
    seed gives the same trials under every design.

    Bounds: the design's for the log-rank test and Cox (updated at the observed events); other
    tests get bounds at their own information, from a pilot run of the scenario with equal arms
    (:mod:`survtrial.simulate._test_bounds`).

    Examples
    --------
    >>> m = build_model("aall1731", {"events": [80, 120, 160]})
    >>> m.arms, m.strata, m.design.kind
    (('chemo', 'blina'), ('SR-Avg', 'SR-High'), 'events')
    """
    from survtrial.simulate.scenario import load_scenario

    sc = load_scenario(scenario)
    des = with_tests(load_simulation_design(design), tests, decision_test, where="tests")
    spec = des.spec
    cal = sc.calibrated
    arms, strata = tuple(cal.arms), tuple(cal.strata)
    if len(arms) != 2:
        raise InputError(f"scenario {sc.name!r} has {len(arms)} arms {list(arms)}; the engine compares two arms")
    for key in ("control_arm", "experimental_arm"):
        name = getattr(spec, key)
        if name is not None and name not in arms:
            raise InputError(f"design key {key!r}: arm {name!r} is not in scenario {sc.name!r}; arms are {list(arms)}")
    control = arms.index(spec.control_arm) if spec.control_arm else (
        1 - arms.index(spec.experimental_arm) if spec.experimental_arm else 0)
    experimental = 1 - control
    if spec.strata is not None:
        extra = sorted(set(spec.strata) - set(strata))
        missing = sorted(set(strata) - set(spec.strata))
        if extra or missing:
            raise InputError(
                f"design key 'strata' {spec.strata} does not match scenario {sc.name!r} strata {list(strata)}"
                + (f"; not in the scenario: {extra}" if extra else "")
                + (f"; not in the design: {missing}" if missing else "")
            )
    gm = build_generation(sc, hazard_ratio=hazard_ratio, control=control)
    true_hr = _true_hazard_ratio(gm.ev_rates, gm.cure, len(arms), control, experimental)

    if landmarks is None:
        lm = sorted({float(t) for st in sc.hazards.values() for h in st.values() for t in (h.survival_targets or {})})
    else:
        lm = np.atleast_1d(np.asarray(landmarks, dtype=float)).tolist()
    lm_arr = np.asarray(lm, dtype=float)
    if np.any(~np.isfinite(lm_arr)) or np.any(lm_arr <= 0):
        raise InputError(f"landmarks must be times > 0 (years), got {lm}")

    acc = cal.accrual
    n_fixed = gm.args.n_fixed
    n_exp = n_fixed if n_fixed > 0 else gm.args.n_mean
    expected, e_max = gm.event_curve()
    if des.kind == "events":
        need = int(des.events[-1])
        if n_fixed > 0 and need > n_fixed:
            raise InputError(
                f"the design's last look needs {need} DFS events but scenario {sc.name!r} has {n_fixed} patients; "
                f"it can produce at most {n_fixed} events (about {e_max:.0f} expected with unlimited follow-up)"
            )
        if need > e_max:
            raise InputError(
                f"the design's last look needs {need} DFS events but scenario {sc.name!r} produces about "
                f"{e_max:.1f} on average even with unlimited follow-up ({n_exp:g} patients); lower the design's "
                f"events or raise the scenario's sample size or hazards"
            )
        goal = need + 3.0 * np.sqrt(need) + 5.0  # fewer events by then: rare (about 1 in 2000), exact
        horizon = np.inf if goal >= e_max else _solve_time(expected, goal, float(acc.end))
        min_events = need
    else:
        horizon = float(des.calendar_times[-1])
        min_events = 0
    generation = gm.args._replace(horizon=float(horizon), min_events=int(min_events))
    # the analysis half: the tests, their bounds (a pilot run with equal arms where a test's
    # information is not the events'), the look kernel's bundle
    check_times_within_follow_up(des.tests, des, float(horizon), float(acc.knots[0]))

    def pilot() -> dict[str, np.ndarray]:
        null = build_model(sc, des, hazard_ratio=1.0, landmarks=[], _pilot=True)
        return _range_stats(null, PILOT_SEED, 0, N_PILOT, n_info=info_width(null.tests))

    analysis, test_specs, decision, bounds = analysis_part(
        des, control, experimental, lm_arr, pilot, pilot_key=(sc.digest, des.digest, TRIALS_PER_SEED_BLOCK,
                                                              RANDOM_STREAM), with_bounds=not _pilot)
    return EngineModel(
        scenario_name=sc.name, scenario_digest=sc.digest, design=des, arms=arms, strata=strata,
        event_types=tuple(cal.event_types), control=control, experimental=experimental,
        hazard_ratio=None if hazard_ratio is None else float(hazard_ratio), true_hazard_ratio=true_hr,
        landmarks=lm_arr, expected_events_max=e_max, horizon=float(horizon), start_date=cal.start_date,
        fatal=gm.fatal, relapse_death=gm.relapse_death, post_relapse_death_rate=gm.post_relapse_death_rate,
        dropout_rate=gm.dropout_rate, generation=generation, analysis=analysis, generator=gm,
        tests=test_specs, decision_index=decision, bounds=bounds,
    )


def _solve_time(expected, goal: float, start: float) -> float:
    hi = max(start, 1.0)
    while expected(hi) < goal:
        hi *= 2.0
        if hi > 1e4:
            return np.inf
    lo = 0.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if expected(mid) < goal:
            lo = mid
        else:
            hi = mid
    return hi


def _true_hazard_ratio(ev: np.ndarray, cure: np.ndarray, n_arms: int, control: int, experimental: int) -> float | None:
    """The common ratio of experimental to control DFS hazards, if proportional everywhere (with
    cure fractions: only when both arms have the same ones and the same hazards, ratio 1)."""
    c = ev[control::n_arms]
    e = ev[experimental::n_arms]
    pos = c > 0
    if np.any(e[~pos] > 0) or not np.any(pos):
        return None
    r = e[pos] / c[pos]
    if not np.allclose(r, r[0], rtol=1e-9, atol=0):
        return None
    if np.any(cure > 0) and (not np.array_equal(cure[control::n_arms], cure[experimental::n_arms]) or r[0] != 1.0):
        return None
    return float(r[0])


def _block_sizes(model: EngineModel, seed: int, block: int, count: int) -> np.ndarray:
    """Patients in each of the first ``count`` trials of a seed block (see ``_generation.block_sizes``)."""
    return block_sizes(model.generation, seed, block, count)


def _outputs(model: EngineModel, count: int, n_info: int = 0) -> dict[str, np.ndarray]:
    K, L, A, S = model.k, model.landmarks.size, len(model.arms), len(model.tests)
    return {
        "cut": np.empty((count, K)), "events": np.empty((count, K), dtype=np.int64),
        "subjects": np.empty((count, K), dtype=np.int64), "events_arm": np.empty((count, K, A)),
        "log_hr": np.empty((count, K)), "log_hr_se": np.empty((count, K)),
        "km": np.empty((count, K, L, A)), "short": np.empty((count, K), dtype=np.bool_),
        "stat_z": np.empty((count, S, K)), "stat_estimate": np.empty((count, S, K)), "stat_p": np.empty((count, S, K)),
        "stat_info": np.empty((count, S, K, n_info)),
        "n_patients": np.empty(count, dtype=np.int64),
    }


def _run_block(model: EngineModel, seed: int, block: int, count: int,
               out: dict[str, np.ndarray] | None = None, n_info: int = 0) -> dict[str, np.ndarray]:
    """The first ``count`` trials of a seed block, written into ``out`` (arrays of ``count`` rows)."""
    out = _outputs(model, count, n_info) if out is None else out
    sizes = _block_sizes(model, seed, block, count)
    out["n_patients"][:] = sizes
    looks = LookOutputs(**{name: out[name] for name in LookOutputs._fields})
    state = _rng.block_state(seed, block)
    bufs, ws = block_work(sizes, model.generation, model.analysis)
    draw, analyse = ensure_compiled(state, sizes, model.generation, model.analysis, looks, bufs, ws)
    kern.simulate_block(state, sizes, model.generation, model.analysis, looks, draw, analyse, bufs, ws)
    return out


def simulate_range(model: EngineModel, seed: int, start: int, stop: int) -> pd.DataFrame:
    """Per-trial records of trials ``start..stop-1`` of the run with this seed.

    Trial i is drawn from ``SeedSequence(seed, spawn_key=(i // TRIALS_PER_SEED_BLOCK,))`` after
    the earlier trials of its block, so a trial's record does not depend on the range it is
    computed in (a range starting inside a block draws, and drops, that block's earlier trials).
    Memory: the kernel writes straight into arrays of ``stop - start`` rows (about 70 bytes per
    trial and look), then one DataFrame is built from them.

    Examples
    --------
    >>> m = build_model("aall1731", {"events": [80, 160]})
    >>> simulate_range(m, 7, 0, 50).iloc[10:20].reset_index(drop=True).equals(simulate_range(m, 7, 10, 20))
    True
    """
    seed = check_seed(seed)
    return _records(model, np.arange(start, stop, dtype=np.int64), _range_stats(model, seed, start, stop))


def _range_stats(model: EngineModel, seed: int, start: int, stop: int, n_info: int = 0,
                 into: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Kernel outputs of trials start..stop-1 (see :func:`simulate_range`), in ``into`` (arrays of
    ``stop - start`` rows) if given; ``n_info`` > 0 records the tests' information too."""
    if not (0 <= start <= stop):
        raise InputError(f"trial range must satisfy 0 <= start <= stop, got {start}..{stop}")
    B = TRIALS_PER_SEED_BLOCK
    stats = _outputs(model, stop - start, n_info) if into is None else into
    for block in range(start // B, -(-stop // B)):
        b0 = block * B
        first, last = max(start, b0), min(stop, b0 + B)
        if last <= first:
            continue
        rows = slice(first - start, last - start)
        if first == b0:
            _run_block(model, seed, block, last - b0, {k: v[rows] for k, v in stats.items()})
        else:  # the range starts inside this block: draw its earlier trials and drop them
            out = _run_block(model, seed, block, last - b0, n_info=n_info)
            for k, v in stats.items():
                v[rows] = out[k][first - b0:]
    return stats


def _records(model: EngineModel, trial: np.ndarray, s: dict[str, np.ndarray]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for name, (values, valid) in record_columns(model, trial, s).items():
        if name == "decision":
            data[name] = pd.Categorical.from_codes(values, DECISIONS)
        elif valid is not None:
            data[name] = _nullable(values, valid)
        else:
            data[name] = values
    return pd.DataFrame(data, copy=False)  # one block per column: no consolidation copies (10x faster)


def _nullable(values: np.ndarray, valid: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(valid, values, 0).astype(np.int64), ~valid)


def record_schema(model: EngineModel):
    """The Arrow schema of the records (with pandas metadata: reading gives the same frame)."""
    import pyarrow as pa

    empty = _records(model, np.empty(0, dtype=np.int64), _outputs(model, 0))
    return pa.Schema.from_pandas(empty, preserve_index=False)


def simulate_table(model: EngineModel, seed: int, start: int, stop: int, schema: Any = None):
    """:func:`simulate_range` as a pyarrow Table (built from the arrays, without pandas)."""
    import pyarrow as pa

    schema = record_schema(model) if schema is None else schema
    stats = _range_stats(model, check_seed(seed), start, stop)
    arrays = []
    for name, (values, valid) in record_columns(model, np.arange(start, stop, dtype=np.int64), stats).items():
        field = schema.field(name)
        if name == "decision":
            arrays.append(pa.DictionaryArray.from_arrays(pa.array(values, type=field.type.index_type),
                                                         pa.array(DECISIONS, type=field.type.value_type)))
        elif valid is not None:
            arrays.append(pa.array(np.where(valid, values, 0).astype(np.int64), mask=~valid, type=field.type))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass(frozen=True, repr=False)
class SimulationResult(HtmlReprMixin):
    """Per-trial records of a simulation run (``trials``) and what produced them.

    ``trials`` has one row per trial: stopping look, decision (``efficacy``, ``futility``,
    ``harm`` (two-sided lower bound) or ``none``), events, calendar time (years from study start),
    subjects enrolled, z of the decision test (> 0 favours experimental), Cox log HR and SE at
    stopping; and per look j the same quantities with suffix ``_j``, the bounds applied, and
    Kaplan-Meier landmarks per arm; per test (:mod:`survtrial.simulate.statistics`)
    ``<test>_z_j``, ``<test>_estimate_j``, ``<test>_p_j``, and ``<test>_rejected``,
    ``<test>_stop_look`` as if it were the decision test.
    """

    trials: pd.DataFrame
    model: EngineModel
    seed: int

    @property
    def n_sims(self) -> int:
        return len(self.trials)

    def summary(self, level: float = 0.95):
        """Operating characteristics with Monte-Carlo SEs (see :func:`~survtrial.simulate.summary.summarize`)."""
        from survtrial.simulate.summary import summarize

        return summarize(self.trials, self.model, level=level)

    def to_frame(self) -> pd.DataFrame:
        return self.trials

    def __repr__(self) -> str:
        rej = float(self.trials["rejected"].mean()) if self.n_sims else float("nan")
        return (
            f"SimulationResult({self.n_sims} trials, seed {self.seed}; rejection probability {rej:.4f})\n"
            f"  {self.model!r}"
        )


def simulate_trials(
    scenario: Any,
    design: Any,
    n_sims: int,
    *,
    seed: Any = None,
    hazard_ratio: float | None = None,
    landmarks: Any = None,
    tests: Any = None,
    decision_test: str | None = None,
) -> SimulationResult:
    """Simulate ``n_sims`` trials in this process and apply the design's bounds.

    Parameters
    ----------
    scenario, design, hazard_ratio, landmarks, tests, decision_test
        As in :func:`build_model` (or pass an EngineModel as ``scenario`` and ``design=None``).
    n_sims : int
        Number of trials (>= 1).
    seed : int, optional
        Run seed; the same seed gives bit-identical results however the run is split (see
        :func:`simulate_range` and :func:`survtrial.simulate.runner.run_simulation`).

    Returns
    -------
    SimulationResult

    Notes
    -----
    Per look: the data are cut as ``apply_data_cut`` does (look by events: at the calendar time of
    the d-th DFS event, every event at that time included, as simtrial's ``cut_data_by_event``;
    a trial with fewer events has its look, then final, at its last event); z is the
    (stratified) log-rank statistic with the sign flipped so that z > 0 favours the experimental
    arm, i.e. ``-logrank_test(..., strata=..., reference=control).z``; the hazard ratio is the
    (stratified) Cox estimate with Efron ties, equal to ``cox_ph`` (NaN when an arm has no events);
    Kaplan-Meier landmarks per arm equal ``kaplan_meier(...).survival_at`` (all three with
    ``timefix=False``: the engine takes the drawn times exactly, without R's merging of times
    within 1.5e-8 of each other, which ties a pair of draws in about 1 trial in 50 of 1440
    patients). Bounds: the planned
    bounds when the observed fractions (events / planned events) are the planned ones, otherwise
    ``update_design`` at the observed fractions. Futility bounds stop the trial when
    ``stop_for_futility`` (default), binding or not.

    Examples
    --------
    >>> res = simulate_trials("aall1731", {"events": [40, 80]}, 200, seed=1)
    >>> res.n_sims, sorted(res.trials["decision"].unique().tolist())[:1]
    (200, ['efficacy'])
    """
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims <= 0:
        raise InputError(f"n_sims must be a positive integer, got {n_sims!r}")
    model = scenario if isinstance(scenario, EngineModel) else build_model(
        scenario, design, hazard_ratio=hazard_ratio, landmarks=landmarks, tests=tests, decision_test=decision_test)
    s = check_seed(seed)
    return SimulationResult(simulate_range(model, s, 0, int(n_sims)), model, s)


def trial_data(model: EngineModel, seed: int, index: int) -> pd.DataFrame:
    """Patient-level data (full follow-up) of trial ``index`` of the run with ``seed``.

    Returns a frame like :func:`~survtrial.simulate.trial.simulate_trial` with
    ``full_follow_up=True``: ``patient_id, arm, risk_group, enrol_time, dfs_time, dfs_event,
    dfs_event_type, os_time, os_event``; cut it with ``apply_data_cut`` at the engine's look
    times to reproduce the engine's per-look statistics with the analysis functions.

    Notes
    -----
    The engine reveals each trial's exits only as far as its looks need (its horizon); here the
    same generator reveals them all, continuing the same streams, so the trial is the one the
    engine analysed, and the one :func:`~survtrial.simulate.trial.simulate_trial` gives for the
    same scenario, ``seed`` and ``index`` (whatever the design). Deaths after relapse (OS) and
    the dropout time after a DFS event (memoryless: event time + Exp(dropout rate)) come from
    the numpy stream ``SeedSequence(seed, spawn_key=(block, index % 1000, 1))`` (see
    :mod:`survtrial.simulate._generation`).

    Examples
    --------
    >>> from survtrial.simulate.trial import apply_data_cut
    >>> m = build_model("aall1731", {"events": [80, 160]})
    >>> rec = simulate_range(m, 7, 3, 4).iloc[0]
    >>> cut = apply_data_cut(trial_data(m, 7, 3), events=80)
    >>> bool(cut.attrs["data_cut_years"] == rec["time_1"]), int(cut["dfs_event"].sum())
    (True, 80)
    """
    seed = check_seed(seed)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise InputError(f"index must be an integer >= 0, got {index!r}")
    return next(patient_frames(model.generator, seed, int(index), int(index) + 1))
