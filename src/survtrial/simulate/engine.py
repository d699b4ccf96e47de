"""The vectorised simulation engine: many trials of a scenario under a group-sequential design.

``build_model`` turns a scenario and a design into flat arrays; ``simulate_range`` simulates trials
``start..stop-1`` of a seeded run (compiled kernels, one block of trials per call) and applies the
design's bounds; ``simulate_trials`` does a whole run in this process; ``trial_data`` returns one
trial's patient-level data (same seed and index, same trial) for checking against the analysis
module. Parallel and resumable runs: :mod:`survtrial.simulate.runner`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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
from survtrial.simulate._generate import GenerationArgs, generation_args
from survtrial.simulate._looks import AnalysisArgs, LookOutputs
from survtrial.simulate._test_bounds import N_PILOT, PILOT_SEED, TestBounds
from survtrial.simulate._warmup import ensure_compiled
from survtrial.simulate.design_spec import SimulationDesign, load_simulation_design, with_tests
from survtrial.simulate.piecewise import stack_hazards

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

TRIALS_PER_SEED_BLOCK = 1000
"""Trials drawn from one child seed ``SeedSequence(seed, spawn_key=(block,))``; fixed, so results
do not depend on chunk sizes or workers."""

RANDOM_STREAM = ("xoshiro256++ x2, ziggurat; blocks of 3-6 from a table; exits by skips in 8 segments; "
                 "causes to a 3-SD horizon (3)")
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


def _event_curve(w: np.ndarray, breaks: np.ndarray, frac: np.ndarray, tot: np.ndarray, tot_cum: np.ndarray,
                 enrol_q: np.ndarray):
    """Expected events by calendar time c (and with unlimited follow-up) for cell weights w;
    ``frac`` is the DFS share of the total hazard per cell and piece."""
    length = np.append(np.diff(breaks), np.inf)
    surv0 = np.exp(-tot_cum)

    def f_cell(t: np.ndarray) -> np.ndarray:  # (cells, len(t)) P(event by t)
        tt = np.clip(t, 0.0, None)[None, :, None]
        inside = np.clip(tt - breaks[None, None, :], 0.0, length[None, None, :])
        with np.errstate(invalid="ignore"):
            part = frac[:, None, :] * surv0[:, None, :] * -np.expm1(-tot[:, None, :] * inside)
        return np.nan_to_num(part).sum(axis=2)

    total = float(w @ f_cell(np.array([np.inf]))[:, 0])

    def expected(c: float) -> float:
        return float(w @ f_cell(c - enrol_q).mean(axis=1))

    return expected, total


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
    leaving follow-up is the DFS hazard plus the constant dropout hazard; the engine draws exit
    times from it (by geometric skips, only for patients who may leave before the horizon:
    ``survtrial.simulate._generate._exits``) and, for exits before the horizon, whether the exit is a DFS
    event (probability DFS hazard / total hazard at the exit time) and its type (the calibrated
    shares). The horizon is the calendar time by which the expected number of DFS events exceeds
    the last look's events by 3 Poisson SDs (+5), or the last calendar look; a trial that has
    too few events by then gets the causes of its later exits drawn too.

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
    hazards = dict(cal.hazards)
    if hazard_ratio is not None:
        hr = float(hazard_ratio)
        if not np.isfinite(hr) or hr <= 0:
            raise InputError(f"hazard_ratio must be a finite number > 0, got {hazard_ratio!r}")
        for s in strata:
            hazards[s, arms[experimental]] = hazards[s, arms[control]].scaled(hr)
    cells = [(s, a) for s in strata for a in arms]
    breaks, ev = stack_hazards([hazards[c] for c in cells])
    mu = float(cal.dropout_rate)
    tot = ev + mu
    with np.errstate(divide="ignore", invalid="ignore"):
        p_event = np.where(tot > 0, ev / np.where(tot > 0, tot, 1.0), 0.0)  # P(DFS event | exit), per piece
    tot_cum = np.concatenate([np.zeros((len(cells), 1)), np.cumsum(tot[:, :-1] * np.diff(breaks), axis=1)], axis=1)
    shares = np.stack([cal.cause_shares[c] for c in cells])
    type_cum = np.cumsum(shares, axis=1)
    type_cum /= type_cum[:, -1:]
    true_hr = _true_hazard_ratio(ev, len(arms), control, experimental)

    if landmarks is None:
        lm = sorted({float(t) for st in sc.hazards.values() for h in st.values() for t in (h.survival_targets or {})})
    else:
        lm = np.atleast_1d(np.asarray(landmarks, dtype=float)).tolist()
    lm_arr = np.asarray(lm, dtype=float)
    if np.any(~np.isfinite(lm_arr)) or np.any(lm_arr <= 0):
        raise InputError(f"landmarks must be times > 0 (years), got {lm}")

    acc = cal.accrual
    n_fixed = int(cal.n) if cal.n is not None else -1
    n_mean = float(acc.expected_n)
    ratio = np.array([sc.randomization.ratio[a] for a in arms], dtype=np.int64)
    bsize = int(sc.randomization.block_size)
    template = np.repeat(np.arange(len(arms)), bsize // int(ratio.sum()) * ratio).astype(np.int64)
    # blocks of 3 to 6: every ordering of the template (at most 720 rows), one row per block drawn
    blocks = (template[np.array(list(itertools.permutations(range(bsize))))] if 3 <= bsize <= 6
              else template[None, :])
    target = (np.array([cal.arm_counts[a] for a in arms], dtype=np.int64) if cal.arm_counts
              else np.full(len(arms), -1, dtype=np.int64))
    cum = np.concatenate([[0.0], np.cumsum(acc.rates * np.diff(acc.knots))]) / acc.expected_n
    dens = acc.rates / acc.expected_n

    alloc = ratio / ratio.sum() if target[0] < 0 else target / target.sum()
    n_exp = n_fixed if n_fixed > 0 else n_mean
    w = np.array([cal.stratum_shares[strata.index(s)] * alloc[arms.index(a)] for s, a in cells]) * n_exp
    enrol_q = acc.quantile((np.arange(512) + 0.5) / 512)
    expected, e_max = _event_curve(w, breaks, p_event, tot, tot_cum, enrol_q)
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
    generation = generation_args(
        n_fixed=n_fixed, n_mean=n_mean, acc_knots=acc.knots, acc_cum=cum, acc_dens=dens,
        strat_cum=np.cumsum(cal.stratum_shares), stratified_blocks=sc.randomization.stratified, blocks=blocks,
        target=target, n_arms=len(arms), breaks=breaks, tot_rates=tot, tot_cum=tot_cum, p_event=p_event,
        type_cum=type_cum, horizon=horizon, min_events=min_events,
    )
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
        fatal=cal.fatal, relapse_death=cal.relapse_death,
        post_relapse_death_rate=np.array([cal.post_relapse_death_rate[a] for a in arms]),
        dropout_rate=mu, generation=generation, analysis=analysis, tests=test_specs, decision_index=decision,
        bounds=bounds,
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


def _true_hazard_ratio(ev: np.ndarray, n_arms: int, control: int, experimental: int) -> float | None:
    """The common ratio of experimental to control DFS hazards, if proportional everywhere."""
    c = ev[control::n_arms]
    e = ev[experimental::n_arms]
    pos = c > 0
    if np.any(e[~pos] > 0) or not np.any(pos):
        return None
    r = e[pos] / c[pos]
    return float(r[0]) if np.allclose(r, r[0], rtol=1e-9, atol=0) else None


def _block_sizes(model: EngineModel, seed: int, block: int, count: int) -> np.ndarray:
    """Patients in each of the first ``count`` trials of a seed block: the scenario's fixed n, or
    Poisson totals from the block's own stream ``SeedSequence(seed, spawn_key=(block, 0, 2))``
    (drawn in trial order, so the first m do not depend on count)."""
    gen = model.generation
    if gen.n_fixed >= 0:
        return np.full(count, gen.n_fixed, dtype=np.int64)
    g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(block, 0, 2))))
    return g.poisson(gen.n_mean, size=count).astype(np.int64)


def check_seed(seed: Any) -> int:
    """A run seed: an integer >= 0 (None draws fresh entropy, which the result records)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)


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
    draw, analyse = ensure_compiled(state, sizes, model.generation, model.analysis, looks)
    kern.simulate_block(state, sizes, model.generation, model.analysis, looks, draw, analyse)
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
class SimulationResult:
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
    The engine draws exit times only for patients who may leave before its horizon, and the
    cause of an exit only for exits before it. The exit times it skipped (all after the
    horizon) come here from the xoshiro stream of ``SeedSequence(seed, spawn_key=(block, index,
    3))``; the causes of the exits after the horizon (never inside a look) from a numpy stream
    ``SeedSequence(seed, spawn_key=(block, index, 1))``, as do deaths after relapse (OS) and the
    dropout time after a DFS event (memoryless: event time + Exp(dropout rate)).

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
    if index < 0:
        raise InputError(f"index must be >= 0, got {index}")
    B = TRIALS_PER_SEED_BLOCK
    block, pos = divmod(int(index), B)
    gen = model.generation
    sizes = _block_sizes(model, seed, block, pos + 1)
    enrol, cell, exit_t, cause = kern.patient_block(
        _rng.block_state(seed, block), _rng.block_state(seed, block, pos, 3), sizes, pos, gen)
    n = int(sizes[pos])
    g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(block, pos, 1))))
    A = len(model.arms)
    arm, stratum = cell % A, cell // A
    cause = cause.copy()
    late = (cause == kern.NO_EXIT) & np.isfinite(exit_t)
    breaks, tcum = gen.breaks, gen.type_cum
    j = np.searchsorted(breaks, exit_t[late], side="right") - 1
    p_event = gen.p_event[cell[late], j]
    u = g.random(int(late.sum()))
    v = np.where(u < p_event, u / np.where(p_event > 0, p_event, 1.0), 0.0)
    typ = np.minimum((v[:, None] >= tcum[cell[late]]).sum(axis=1), tcum.shape[1] - 1)
    cause[late] = np.where(u < p_event, typ, kern.DROPOUT)
    is_event = cause >= 0
    etype = np.where(is_event, cause, 0)
    with np.errstate(divide="ignore"):
        drop_after = g.standard_exponential(n) / model.dropout_rate
        death_after = g.standard_exponential(n) / model.post_relapse_death_rate[arm]
    t_drop = np.where(is_event, exit_t + drop_after, np.where(cause == kern.DROPOUT, exit_t, np.inf))
    t_death = np.where(is_event & model.fatal[etype], exit_t,
                       np.where(is_event & model.relapse_death[etype], exit_t + death_after, np.inf))
    labels = ["censored", *model.event_types]
    df = pd.DataFrame({
        "patient_id": np.arange(1, n + 1, dtype=np.int64),
        "arm": pd.Categorical.from_codes(arm, list(model.arms)),
        "risk_group": pd.Categorical.from_codes(stratum, list(model.strata)),
        "enrol_time": enrol,
        "dfs_time": exit_t,
        "dfs_event": is_event.astype(np.int64),
        "dfs_event_type": pd.Categorical.from_codes(np.where(is_event, cause + 1, 0), labels),
        "os_time": np.minimum(t_death, t_drop),
        "os_event": (t_death <= t_drop).astype(np.int64),
    })
    df.attrs.update(scenario=model.scenario_name, scenario_digest=model.scenario_digest,
                    start_date=model.start_date.isoformat(), data_cut_years=np.inf, seed=seed, trial=int(index))
    return df
