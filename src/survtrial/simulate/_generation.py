"""The generation model: a calibrated scenario flattened for the compiled generator, and its trials' patients.

One generator serves the operating characteristics (``engine``) and the patient-level trials
(``trial.simulate_trial``, ``engine.trial_data``): trial ``index`` of ``seed`` is drawn by the
same kernel from the same streams, so it is the same trial wherever it is looked at. Streams of
trial ``index`` (``block, pos = divmod(index, TRIALS_PER_SEED_BLOCK)``), all children of the run
seed ``s``:

- ``SeedSequence(s, spawn_key=(block,))``: the block's xoshiro256++ stream A (enrolment, strata,
  blocks, cure, the seeds of the exit segments; in trial order) — see ``_generate``;
- ``SeedSequence(s, spawn_key=(block, 0, 2))``: Poisson trial sizes (when n is not fixed);
- ``SeedSequence(s, spawn_key=(block, pos, 1))``: deaths after relapse and dropout after a DFS
  event (OS), numpy;
- ``SeedSequence(s, spawn_key=(block, pos, 4))`` and ``(block, pos, 5)``: baseline covariates and
  toxicities (``simulate_trial`` only; the engine never draws them).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survtrial.errors import InputError
from survtrial.simulate import _generate, _rng
from survtrial.simulate import _kernels as kern
from survtrial.simulate._generate import GenerationArgs, generation_args
from survtrial.simulate._model import AccrualPattern
from survtrial.simulate._warmup import call_compiled
from survtrial.simulate.piecewise import stack_hazards

__all__ = ["TRIALS_PER_SEED_BLOCK", "GenerationModel", "block_sizes", "build_generation", "check_seed",
           "patient_frames", "trial_streams"]

TRIALS_PER_SEED_BLOCK = 1000
"""Trials drawn from one child seed ``SeedSequence(seed, spawn_key=(block,))``; fixed, so results
do not depend on chunk sizes or workers."""


@dataclass(frozen=True, repr=False)
class GenerationModel:
    """What the generator draws from: the kernel bundle and the facts needed to label its output.

    ``cell_weights``: expected patients per stratum x arm cell (``s * n_arms + a``);
    ``cure``: cure fraction per cell; ``ev_rates``: the DFS hazard per cell and piece of ``breaks``.
    """

    scenario_name: str
    scenario_digest: str
    arms: tuple[str, ...]
    strata: tuple[str, ...]
    event_types: tuple[str, ...]
    fatal: np.ndarray
    relapse_death: np.ndarray
    post_relapse_death_rate: np.ndarray
    dropout_rate: float
    start_date: Any
    cell_weights: np.ndarray
    cure: np.ndarray
    ev_rates: np.ndarray
    accrual: AccrualPattern
    args: GenerationArgs

    def event_curve(self) -> tuple[Any, float]:
        """(expected DFS events by calendar time c, expected events with unlimited follow-up)."""
        a = self.args
        w = self.cell_weights * (1.0 - self.cure)  # the cured (rows of their own, if any) have no events
        w = np.concatenate([w, np.zeros(a.tot_rates.shape[0] - w.size)])
        length = np.append(np.diff(a.breaks), np.inf)
        surv0 = np.exp(-a.tot_cum)
        enrol_q = self.accrual.quantile((np.arange(512) + 0.5) / 512)

        def f_row(t: np.ndarray) -> np.ndarray:  # (rows, len(t)) P(DFS event by t)
            tt = np.clip(t, 0.0, None)[None, :, None]
            inside = np.clip(tt - a.breaks[None, None, :], 0.0, length[None, None, :])
            with np.errstate(invalid="ignore"):
                part = a.p_event[:, None, :] * surv0[:, None, :] * -np.expm1(-a.tot_rates[:, None, :] * inside)
            return np.nan_to_num(part).sum(axis=2)

        total = float(w @ f_row(np.array([np.inf]))[:, 0])

        def expected(c: float) -> float:
            return float(w @ f_row(c - enrol_q).mean(axis=1))

        return expected, total

    def __repr__(self) -> str:
        return f"GenerationModel({self.scenario_name!r}: arms {list(self.arms)}, strata {list(self.strata)})"


def build_generation(scenario: Any, *, hazard_ratio: float | None = None, control: int = 0) -> GenerationModel:
    """Flatten a scenario into the generator's bundle (horizon infinite, min_events 0).

    ``hazard_ratio`` replaces the other arm's DFS hazard (of those not cured) by ``hazard_ratio``
    x the ``control`` arm's in every stratum, and its cure fraction by the control arm's (two arms).
    """
    from survtrial.simulate.scenario import load_scenario

    sc = load_scenario(scenario)
    cal = sc.calibrated
    arms, strata = tuple(cal.arms), tuple(cal.strata)
    hazards, cure = dict(cal.hazards), dict(cal.cure_fractions)
    if hazard_ratio is not None:
        hr = float(hazard_ratio)
        if not np.isfinite(hr) or hr <= 0:
            raise InputError(f"hazard_ratio must be a finite number > 0, got {hazard_ratio!r}")
        for s in strata:
            for a in arms:
                if a != arms[control]:
                    hazards[s, a] = hazards[s, arms[control]].scaled(hr)
                    cure[s, a] = cure[s, arms[control]]
    cells = [(s, a) for s in strata for a in arms]
    breaks, ev = stack_hazards([hazards[c] for c in cells])
    cure_cell = np.array([cure[c] for c in cells])
    mu = float(cal.dropout_rate)
    shares = np.stack([cal.cause_shares[c] for c in cells])
    if np.any(cure_cell > 0):  # the cured of each cell: a row of their own, dropout only
        ev_rows = np.vstack([ev, np.zeros_like(ev)])
        shares = np.vstack([shares, shares])
    else:
        ev_rows = ev
    tot = ev_rows + mu
    with np.errstate(divide="ignore", invalid="ignore"):
        p_event = np.where(tot > 0, ev_rows / np.where(tot > 0, tot, 1.0), 0.0)  # P(DFS event | exit)
    tot_cum = np.concatenate([np.zeros((tot.shape[0], 1)), np.cumsum(tot[:, :-1] * np.diff(breaks), axis=1)], axis=1)
    type_cum = np.cumsum(shares, axis=1)
    type_cum /= type_cum[:, -1:]

    acc = cal.accrual
    n_fixed = int(cal.n) if cal.n is not None else -1
    ratio = np.array([sc.randomization.ratio[a] for a in arms], dtype=np.int64)
    bsize = int(sc.randomization.block_size)
    template = np.repeat(np.arange(len(arms)), bsize // int(ratio.sum()) * ratio).astype(np.int64)
    # blocks of 3 to 6: every ordering of the template (at most 720 rows), one row per block drawn
    blocks = (template[np.array(list(itertools.permutations(range(bsize))))] if 3 <= bsize <= 6
              else template[None, :])
    target = (np.array([cal.arm_counts[a] for a in arms], dtype=np.int64) if cal.arm_counts
              else np.full(len(arms), -1, dtype=np.int64))
    cum = np.concatenate([[0.0], np.cumsum(acc.rates * np.diff(acc.knots))]) / acc.expected_n
    args = generation_args(
        n_fixed=n_fixed, n_mean=float(acc.expected_n), acc_knots=acc.knots, acc_cum=cum,
        acc_dens=acc.rates / acc.expected_n, strat_cum=np.cumsum(cal.stratum_shares),
        stratified_blocks=sc.randomization.stratified, blocks=blocks, target=target, n_arms=len(arms),
        breaks=breaks, tot_rates=tot, tot_cum=tot_cum, p_event=p_event, type_cum=type_cum,
        cure=cure_cell if np.any(cure_cell > 0) else np.empty(0),
    )
    alloc = ratio / ratio.sum() if target[0] < 0 else target / target.sum()
    n_exp = n_fixed if n_fixed > 0 else float(acc.expected_n)
    weights = np.array([cal.stratum_shares[strata.index(s)] * alloc[arms.index(a)] for s, a in cells]) * n_exp
    return GenerationModel(
        scenario_name=sc.name, scenario_digest=sc.digest, arms=arms, strata=strata,
        event_types=tuple(cal.event_types), fatal=cal.fatal, relapse_death=cal.relapse_death,
        post_relapse_death_rate=np.array([cal.post_relapse_death_rate[a] for a in arms]), dropout_rate=mu,
        start_date=cal.start_date, cell_weights=weights, cure=cure_cell, ev_rates=ev, accrual=acc, args=args,
    )


def block_sizes(args: GenerationArgs, seed: int, block: int, count: int) -> np.ndarray:
    """Patients in each of the first ``count`` trials of a seed block: the scenario's fixed n, or
    Poisson totals from the block's own stream ``SeedSequence(seed, spawn_key=(block, 0, 2))``
    (drawn in trial order, so the first m do not depend on count)."""
    if args.n_fixed >= 0:
        return np.full(count, args.n_fixed, dtype=np.int64)
    g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(block, 0, 2))))
    return g.poisson(args.n_mean, size=count).astype(np.int64)


def check_seed(seed: Any) -> int:
    """A run seed: an integer >= 0 (None draws fresh entropy, which the result records)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    return int(seed)


def trial_streams(seed: int, index: int, key: int) -> np.random.Generator:
    """The numpy stream ``SeedSequence(seed, spawn_key=(block, pos, key))`` of trial ``index``."""
    block, pos = divmod(int(index), TRIALS_PER_SEED_BLOCK)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(block, pos, key))))


def patient_frames(gm: GenerationModel, seed: int, start: int, stop: int):
    """Patient-level frames (unlimited follow-up) of trials ``start..stop-1`` of ``seed``, in order.

    Columns: ``patient_id, arm, risk_group, enrol_time, dfs_time, dfs_event, dfs_event_type,
    os_time, os_event`` (times in years; ``dfs_time`` inf for a patient who never leaves).
    """
    if not 0 <= start <= stop:
        raise InputError(f"trial range must satisfy 0 <= start <= stop, got {start}..{stop}")
    B = TRIALS_PER_SEED_BLOCK
    for block in range(start // B, -(-stop // B)):
        first, last = max(start, block * B) - block * B, min(stop, (block + 1) * B) - block * B
        if last <= first:
            continue
        sizes = block_sizes(gm.args, seed, block, last)
        bufs = _generate.buffers(sizes.max() if sizes.size else 0, gm.args.strat_cum.size * gm.args.n_arms)
        enrol, cell, _row, exit_t, cause, offsets = call_compiled(kern.patient_trials, _rng.block_state(seed, block),
                                                                  sizes, first, gm.args, bufs)
        for q in range(last - first):
            o, e = offsets[q], offsets[q + 1]
            yield _frame(gm, seed, block * B + first + q, enrol[o:e], cell[o:e], exit_t[o:e], cause[o:e])


def _frame(gm: GenerationModel, seed: int, index: int, enrol: np.ndarray, cell: np.ndarray, exit_t: np.ndarray,
           cause: np.ndarray) -> pd.DataFrame:
    n = enrol.size
    g = trial_streams(seed, index, 1)
    A = len(gm.arms)
    arm, stratum = cell % A, cell // A
    is_event = cause >= 0
    etype = np.where(is_event, cause, 0)
    with np.errstate(divide="ignore"):
        drop_after = g.standard_exponential(n) / gm.dropout_rate
        death_after = g.standard_exponential(n) / gm.post_relapse_death_rate[arm]
    t_drop = np.where(is_event, exit_t + drop_after, np.where(cause == kern.DROPOUT, exit_t, np.inf))
    t_death = np.where(is_event & gm.fatal[etype], exit_t,
                       np.where(is_event & gm.relapse_death[etype], exit_t + death_after, np.inf))
    labels = ["censored", *gm.event_types]
    df = pd.DataFrame({
        "patient_id": np.arange(1, n + 1, dtype=np.int64),
        "arm": pd.Categorical.from_codes(arm, list(gm.arms)),
        "risk_group": pd.Categorical.from_codes(stratum, list(gm.strata)),
        "enrol_time": enrol,
        "dfs_time": exit_t,
        "dfs_event": is_event.astype(np.int64),
        "dfs_event_type": pd.Categorical.from_codes(np.where(is_event, cause + 1, 0), labels),
        "os_time": np.minimum(t_death, t_drop),
        "os_event": (t_death <= t_drop).astype(np.int64),
    })
    df.attrs.update(scenario=gm.scenario_name, scenario_digest=gm.scenario_digest,
                    start_date=gm.start_date.isoformat(), data_cut_years=np.inf, seed=int(seed), trial=int(index))
    return df
