"""Simulate one randomized trial's patient-level data from a scenario; cut it by calendar time or events."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from survtrial.errors import InputError
from survtrial.simulate._generation import build_generation, check_seed, patient_frames, trial_streams
from survtrial.simulate._scenario_check import covariate_order
from survtrial.simulate.calibrate import DAYS_PER_YEAR
from survtrial.simulate.scenario import Scenario, load_scenario

__all__ = ["apply_data_cut", "permuted_block_randomization", "simulate_trial", "simulate_trials_data"]

_NEEDED = ("enrol_time", "dfs_time", "dfs_event", "dfs_event_type", "os_time", "os_event")


def permuted_block_randomization(
    strata: Any, ratio: Any, block_size: int, rng: Any = None, *, target_counts: Any = None
) -> np.ndarray:
    """Arm index (0..A-1) per patient by permuted blocks within each stratum, in enrolment order.

    Parameters
    ----------
    strata : array_like of int
        Stratum code per patient, patients in order of enrolment (one code for unstratified).
    ratio : sequence of int
        Allocation ratio, e.g. ``[1, 1]``.
    block_size : int
        A multiple of ``sum(ratio)``; each block holds ``block_size / sum(ratio) * ratio[a]`` of arm a.
    rng : int, numpy.random.Generator or None
        Seed or generator.
    target_counts : sequence of int, optional
        Exact final count per arm (must sum to the number of patients). Stratified blocks leave
        each stratum's last block incomplete, so the totals can differ from a fixed published split
        by up to about ``block_size / 2`` per stratum; the latest-enrolled patients of the
        over-filled arms are then re-assigned (in random order) to the under-filled ones.

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> arm = permuted_block_randomization([0] * 8, [1, 1], 4, rng=1)
    >>> np.bincount(arm).tolist()
    [4, 4]
    """
    s = np.asarray(strata)
    r = np.asarray(ratio, dtype=np.int64)
    if r.ndim != 1 or r.size < 2 or np.any(r < 1):
        raise InputError(f"ratio: need at least two positive integers, got {list(np.atleast_1d(r))}")
    if block_size < 1 or block_size % int(r.sum()):
        raise InputError(f"block_size {block_size} must be a positive multiple of the ratio total {int(r.sum())}")
    gen = np.random.default_rng(rng)
    template = np.repeat(np.arange(r.size), block_size // int(r.sum()) * r)
    arm = np.empty(s.size, dtype=np.int64)
    for code in np.unique(s):
        idx = np.flatnonzero(s == code)
        n_blocks = -(-idx.size // block_size)
        order = np.argsort(gen.random((n_blocks, block_size)), axis=1)
        arm[idx] = template[order].ravel()[: idx.size]
    if target_counts is not None:
        target = np.asarray(target_counts, dtype=np.int64)
        if target.shape != r.shape or target.sum() != s.size or np.any(target < 0):
            raise InputError(f"target_counts {target.tolist()} must give one count >= 0 per arm, summing to {s.size}")
        excess = np.bincount(arm, minlength=r.size) - target
        if np.any(excess):
            moved = np.concatenate([np.flatnonzero(arm == a)[-e:] for a, e in enumerate(excess) if e > 0])
            arm[moved] = gen.permutation(np.repeat(np.arange(r.size), np.clip(-excess, 0, None)))
    return arm


def _draw_codes(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    cum = np.cumsum(probs)
    cum = cum / cum[-1]
    return np.minimum(np.searchsorted(cum, u, side="right"), probs.size - 1)


def _covariates(sc: Scenario, stratum: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    """Baseline covariates, parents first (a covariate may depend on risk_group or a categorical one)."""
    n = stratum.size
    codes: dict[str, tuple[np.ndarray, list[str]]] = {"risk_group": (stratum, list(sc.strata))}
    out: dict[str, Any] = {}
    for name in covariate_order(dict(sc.covariates)):
        cov = sc.covariates[name]
        if cov.type == "constant":
            out[name] = np.full(n, cov.value)
            continue
        u = rng.random(n)
        if cov.type == "categorical":
            labels = cov.all_levels()
            groups = {None: cov.levels} if cov.levels is not None else cov.levels_by
            c = np.zeros(n, dtype=np.int64)
        else:
            groups = {None: cov.quantiles} if cov.quantiles is not None else cov.quantiles_by
            x = np.zeros(n)
        parent_codes, parent_levels = codes[cov.by] if cov.by is not None else (None, None)
        for level, spec in groups.items():
            mask = slice(None) if level is None else parent_codes == parent_levels.index(level)
            if cov.type == "categorical":
                c[mask] = _draw_codes(u[mask], np.array([spec.get(k, 0.0) for k in labels]))
            else:
                p, v = zip(*sorted(spec.items()), strict=True)
                x[mask] = np.interp(u[mask], p, v)
        if cov.type == "categorical":
            codes[name] = (c, labels)
            out[name] = pd.Categorical.from_codes(c, labels)
        else:
            out[name] = np.round(x, cov.decimals) if cov.decimals is not None else x
    return {name: out[name] for name in sc.covariates}  # columns in scenario order


def simulate_trial(
    scenario: Any, rng: Any = None, *, seed: int | None = None, index: int = 0, full_follow_up: bool = False
) -> pd.DataFrame:
    """Simulate one trial: one row per randomized patient, censored at the scenario's data cut.

    Parameters
    ----------
    scenario : Scenario, str or path
        A scenario, a packaged scenario name (``"aall1731"``) or a YAML path.
    rng : int, numpy.random.Generator or None
        An int is the run seed (as ``seed=``). A Generator supplies the seed: one draw
        ``rng.integers(2**63)`` (so it advances, and two calls with one Generator give two
        trials). None: fresh entropy (``attrs['seed']`` records it).
    seed : int, optional
        The run seed (instead of ``rng``): with ``index``, the trial is trial ``index`` of the
        simulation engine's run with this seed, the same whatever the design (see Notes).
    index : int
        Which trial of the seed's run (default 0).
    full_follow_up : bool
        If True, no administrative censoring (only dropout): cut it later with
        :func:`apply_data_cut`, e.g. at each interim look. Subjects who never have the event
        (cure, no dropout) then have an infinite time and event 0.

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` (1..n in order of enrolment), ``arm``, ``arm_code`` (if the strata define
        codes), ``risk_group``, the scenario's covariates, ``enrol_time`` (years from study start),
        ``enrol_date``, ``dfs_time``, ``dfs_event`` (0/1), ``dfs_event_type`` (``censored`` or an
        event type), ``os_time``, ``os_event``, and ``tox_<name>`` (bool) per toxicity (Bernoulli with
        the probability of the patient's arm, and stratum where the scenario gives them by stratum). Times are in
        years from randomization. ``attrs`` holds the scenario name and digest, the start date,
        the seed, the trial index and the data cut.

    Notes
    -----
    One generator serves the twin and the operating characteristics: the patients' enrolment,
    stratum, arm, DFS time and event type, OS and dropout are drawn by the simulation engine's
    compiled generator (:mod:`survtrial.simulate._generate`), so they equal
    ``engine.trial_data(build_model(scenario, design), seed, index)`` for every design.
    Enrolment: order statistics of the accrual density (Poisson total if not fixed). Stratum:
    independent draws with the stratum shares. Arm: permuted blocks within stratum (exact arm
    counts when the scenario fixes them: the latest surplus patients re-assigned). DFS: the
    total hazard (calibrated piecewise DFS hazard of the patient's stratum and arm, plus
    dropout; dropout only for the cured, with a cure fraction) gives the exit time, the ratio of
    the DFS hazard to it whether the exit is an event, the calibrated shares its type. Death: at
    a fatal DFS event, or after a relapse-type event at the arm's exponential post-relapse death
    rate. Covariates and toxicities (independent Bernoulli per arm), which the engine never
    needs, come from the trial's own numpy streams ``SeedSequence(seed, spawn_key=(block, pos,
    4))`` and ``(block, pos, 5)``, with ``block, pos = divmod(index, 1000)`` (see
    :mod:`survtrial.simulate._generation`); so changing the toxicities leaves every other
    column unchanged. The latent times do not depend on the cut: a full-follow-up frame cut with
    :func:`apply_data_cut` equals the frame simulated at that cut.

    Examples
    --------
    >>> df = simulate_trial("aall1731", rng=2024)
    >>> df["arm"].value_counts().sort_index().to_dict()
    {'chemo': 722, 'blina': 718}
    """
    sc = load_scenario(scenario)
    s = _run_seed(rng, seed)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise InputError(f"index must be an integer >= 0, got {index!r}")
    gm = build_generation(sc)
    df = next(patient_frames(gm, s, int(index), int(index) + 1))
    return _with_extras(sc, df, full_follow_up)


def simulate_trials_data(scenario: Any, seed: int, start: int, stop: int, *, full_follow_up: bool = False,
                         covariates: bool = True):
    """:func:`simulate_trial` for trials ``start..stop-1`` of ``seed``, one frame each, in order
    (drawn block by block: much faster than one call per trial for many trials). ``covariates=False``
    leaves the baseline covariates out (every other column is as with them)."""
    sc = load_scenario(scenario)
    s = _run_seed(None, seed)
    for df in patient_frames(build_generation(sc), s, int(start), int(stop)):
        yield _with_extras(sc, df, full_follow_up, covariates=covariates)


def _run_seed(rng: Any, seed: Any) -> int:
    if rng is not None and seed is not None:
        raise InputError("give rng= or seed=, not both")
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    return check_seed(seed if seed is not None else rng)


def _with_extras(sc: Scenario, df: pd.DataFrame, full_follow_up: bool, *, covariates: bool = True) -> pd.DataFrame:
    """The engine's patient columns plus arm codes, covariates, enrolment dates and toxicities."""
    cal = sc.calibrated
    seed, index = df.attrs["seed"], df.attrs["trial"]
    n = len(df)
    # columns as arrays (a Series would be aligned and copied on the way into the new frame)
    arm_cat, risk_cat = df["arm"].array, df["risk_group"].array
    arm = arm_cat.codes.astype(np.int64)
    stratum = risk_cat.codes.astype(np.int64)
    frame: dict[str, Any] = {"patient_id": df["patient_id"].to_numpy(), "arm": arm_cat}
    if all(st.arm_codes for st in sc.strata.values()):
        codes = [[str(sc.strata[s_].arm_codes[a]) for a in cal.arms] for s_ in cal.strata]
        cells = np.unique(stratum * len(cal.arms) + arm)  # categories: the labels that occur, sorted
        levels = sorted({codes[c // len(cal.arms)][c % len(cal.arms)] for c in cells.tolist()})
        table = np.array([[levels.index(c) if c in levels else -1 for c in row] for row in codes], dtype=np.int64)
        frame["arm_code"] = pd.Categorical.from_codes(table[stratum, arm], categories=levels)
    frame["risk_group"] = risk_cat
    if covariates:
        frame.update(_covariates(sc, stratum, trial_streams(seed, index, 4)))
    enrol = df["enrol_time"].to_numpy()
    frame["enrol_time"] = enrol
    days = np.floor(enrol * DAYS_PER_YEAR).astype(np.int64).astype("timedelta64[D]")
    frame["enrol_date"] = (np.datetime64(cal.start_date, "D") + days).astype("datetime64[ns]")
    for col in ("dfs_time", "dfs_event", "dfs_event_type", "os_time", "os_event"):
        frame[col] = df[col].array
    tox_u = trial_streams(seed, index, 5).random((n, len(sc.toxicity)))
    for j, name in enumerate(sc.toxicity):
        p = np.array([[sc.toxicity_probability(name, s_, a) for a in cal.arms] for s_ in cal.strata])
        frame[f"tox_{name}"] = tox_u[:, j] < p[stratum, arm]
    out = pd.DataFrame(frame)
    out.attrs = dict(df.attrs)
    if full_follow_up:
        return out
    if cal.cut_events is not None:
        return apply_data_cut(out, events=cal.cut_events)
    return apply_data_cut(out, years=cal.cut_years)


def apply_data_cut(
    df: pd.DataFrame,
    *,
    years: float | None = None,
    date: Any = None,
    events: int | None = None,
    start_date: Any = None,
) -> pd.DataFrame:
    """Cut trial data at a calendar time (years from start, or a date) or at the d-th DFS event.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame from :func:`simulate_trial` (best with ``full_follow_up=True``), or any frame with
        ``enrol_time``, ``dfs_time``, ``dfs_event``, ``dfs_event_type``, ``os_time``, ``os_event``.
    years : float, optional
        Cut at this many years from study start.
    date : date-like, optional
        Cut at this calendar date (needs the study start: ``df.attrs['start_date']`` or ``start_date``).
    events : int, optional
        Cut at the calendar time of the ``events``-th DFS event (that event included).
    start_date : date-like, optional
        Study start, when the frame does not carry it in ``attrs``.

    Returns
    -------
    pandas.DataFrame
        Patients enrolled by the cut; times censored at the cut, events after it removed (their
        type becomes ``censored``). ``attrs['data_cut_years']`` records the cut.

    Notes
    -----
    Follow-up already cut cannot be extended: cutting later than ``attrs['data_cut_years']``
    raises InputError. An event at exactly the cut is kept.

    Examples
    --------
    >>> full = simulate_trial("aall1731", rng=7, full_follow_up=True)
    >>> int(apply_data_cut(full, events=40)["dfs_event"].sum())
    40
    """
    given = [k for k, v in (("years", years), ("date", date), ("events", events)) if v is not None]
    if len(given) != 1:
        raise InputError(f"give exactly one of years=, date= or events=; got {given or 'none'}")
    missing = [c for c in _NEEDED if c not in df.columns]
    if missing:
        raise InputError(f"apply_data_cut: column(s) {missing} not found; expected a frame from simulate_trial")
    enrol = df["enrol_time"].to_numpy(dtype=float)
    dfs_t, os_t = df["dfs_time"].to_numpy(dtype=float), df["os_time"].to_numpy(dtype=float)
    dfs_e, os_e = df["dfs_event"].to_numpy() == 1, df["os_event"].to_numpy() == 1
    if date is not None:
        start = start_date if start_date is not None else df.attrs.get("start_date")
        if start is None:
            raise InputError("date= needs the study start: pass start_date= (the frame carries no start_date)")
        years = (pd.Timestamp(date) - pd.Timestamp(start)).days / DAYS_PER_YEAR
    elif events is not None:
        if int(events) != events or events < 1:
            raise InputError(f"events must be a positive integer, got {events!r}")
        calendar = np.sort((enrol + dfs_t)[dfs_e])
        if calendar.size < events:
            raise InputError(f"only {calendar.size} DFS events in the data; cannot cut at event {events}")
        years = float(calendar[int(events) - 1])
    years = float(years)
    if not np.isfinite(years) or years < 0:
        raise InputError(f"the cut must be a finite time >= 0 years from study start, got {years!r}")
    previous = float(df.attrs.get("data_cut_years", np.inf))
    if years > previous + 1e-12:
        raise InputError(
            f"the frame is already cut at {previous:.4f} years; follow-up cannot be extended to {years:.4f} "
            f"(simulate with full_follow_up=True and cut that)"
        )
    keep = enrol <= years
    limit = years - enrol
    dfs_keep = dfs_e & (enrol + dfs_t <= years)
    os_keep = os_e & (enrol + os_t <= years)
    out = df.loc[keep].copy()
    out["dfs_time"] = np.where(dfs_keep, dfs_t, np.minimum(dfs_t, limit))[keep]
    out["dfs_event"] = dfs_keep[keep].astype(np.int64)
    types = out["dfs_event_type"]
    out["dfs_event_type"] = types.where(dfs_keep[keep], "censored")
    if isinstance(types.dtype, pd.CategoricalDtype):
        out["dfs_event_type"] = out["dfs_event_type"].astype(types.dtype)
    out["os_time"] = np.where(os_keep, os_t, np.minimum(os_t, limit))[keep]
    out["os_event"] = os_keep[keep].astype(np.int64)
    out = out.reset_index(drop=True)
    out.attrs = {**df.attrs, "data_cut_years": years}
    start = out.attrs.get("start_date") if start_date is None else start_date
    if start is not None:
        out.attrs["data_cut_date"] = (pd.Timestamp(start) + pd.Timedelta(days=years * DAYS_PER_YEAR)).date().isoformat()
    return out
