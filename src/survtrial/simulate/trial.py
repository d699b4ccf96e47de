"""Simulate one randomized trial's patient-level data from a scenario; cut it by calendar time or events."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from survtrial.errors import InputError
from survtrial.simulate._scenario_check import covariate_order
from survtrial.simulate.calibrate import DAYS_PER_YEAR
from survtrial.simulate.piecewise import sample_piecewise_exponential, stack_hazards
from survtrial.simulate.scenario import Scenario, load_scenario

__all__ = ["apply_data_cut", "permuted_block_randomization", "simulate_trial"]

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


def simulate_trial(scenario: Any, rng: Any = None, *, full_follow_up: bool = False) -> pd.DataFrame:
    """Simulate one trial: one row per randomized patient, censored at the scenario's data cut.

    Parameters
    ----------
    scenario : Scenario, str or path
        A scenario, a packaged scenario name (``"aall1731"``) or a YAML path.
    rng : int, numpy.random.Generator or None
        Seed or generator; the same seed gives an identical frame.
    full_follow_up : bool
        If True, no administrative censoring (only dropout): cut it later with
        :func:`apply_data_cut`, e.g. at each interim look. Subjects who never have the event
        (cure plateau, no dropout) then have an infinite time and event 0.

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` (1..n in order of enrolment), ``arm``, ``arm_code`` (if the strata define
        codes), ``risk_group``, the scenario's covariates, ``enrol_time`` (years from study start),
        ``enrol_date``, ``dfs_time``, ``dfs_event`` (0/1), ``dfs_event_type`` (``censored`` or an
        event type), ``os_time``, ``os_event``, and ``tox_<name>`` (bool) per toxicity. Times are in
        years from randomization. ``attrs`` holds the scenario name and digest, the start date and
        the data cut.

    Notes
    -----
    Enrolment: order statistics of draws from the accrual density (Poisson total if not fixed).
    Stratum: independent draws with the stratum shares. Arm: permuted blocks within stratum (see
    :func:`permuted_block_randomization`; exact arm counts when the scenario fixes them).
    DFS time: inverse-CDF draw from the calibrated piecewise-exponential hazard of the patient's
    stratum and arm. Event type given a DFS event: drawn with the calibrated shares (cause-specific
    hazards proportional to the DFS hazard). Death: at a fatal DFS event, or after a relapse-type
    event at the arm's exponential post-relapse death rate. Dropout: exponential. Toxicities:
    independent Bernoulli per arm. Each component draws from its own child stream
    (``Generator.spawn``), so changing one part of a scenario leaves the others' draws unchanged,
    and the latent times do not depend on the cut, so a full-follow-up frame cut with
    :func:`apply_data_cut` equals the frame simulated at that cut.

    Examples
    --------
    >>> df = simulate_trial("aall1731", rng=2024)
    >>> df["arm"].value_counts().sort_index().to_dict()
    {'chemo': 722, 'blina': 718}
    """
    sc = load_scenario(scenario)
    cal = sc.calibrated
    if any(cal.cure_fractions.values()):
        raise InputError(f"scenario {sc.name!r} has cure fractions, which this generator does not simulate yet")
    g_acc, g_str, g_arm, g_cov, g_dfs, g_type, g_death, g_drop, g_tox = np.random.default_rng(rng).spawn(9)
    n = cal.n if cal.n is not None else int(g_acc.poisson(cal.accrual.expected_n))
    enrol = np.sort(cal.accrual.quantile(g_acc.random(n)))
    n_arms = len(cal.arms)
    stratum = np.minimum(
        np.searchsorted(np.cumsum(cal.stratum_shares), g_str.random(n), side="right"), len(cal.strata) - 1
    )
    blocks = stratum if sc.randomization.stratified else np.zeros(n, dtype=np.int64)
    targets = [cal.arm_counts[a] for a in cal.arms] if cal.arm_counts else None
    ratio = [sc.randomization.ratio[a] for a in cal.arms]
    arm = permuted_block_randomization(blocks, ratio, sc.randomization.block_size, g_arm, target_counts=targets)
    covariates = _covariates(sc, stratum, g_cov)

    cells = [(s, a) for s in cal.strata for a in cal.arms]
    row = stratum * n_arms + arm
    breaks, rates = stack_hazards([cal.hazards[c] for c in cells])
    t_event = sample_piecewise_exponential(breaks, rates, row=row, rng=g_dfs)
    etype = _draw_codes_rows(g_type.random(n), np.stack([cal.cause_shares[c] for c in cells])[row])
    death_rate = np.array([cal.post_relapse_death_rate[a] for a in cal.arms])[arm]
    with np.errstate(divide="ignore"):
        after = g_death.standard_exponential(n) / death_rate
    t_death = np.where(cal.fatal[etype], t_event, np.where(cal.relapse_death[etype], t_event + after, np.inf))
    with np.errstate(divide="ignore"):
        t_drop = g_drop.standard_exponential(n) / cal.dropout_rate
    tox_u = g_tox.random((n, len(sc.toxicity)))

    frame: dict[str, Any] = {"patient_id": np.arange(1, n + 1, dtype=np.int64)}
    frame["arm"] = pd.Categorical.from_codes(arm, list(cal.arms))
    if all(st.arm_codes for st in sc.strata.values()):
        codes = np.array([sc.strata[s].arm_codes[a] for s, a in cells], dtype=object)[row]
        frame["arm_code"] = pd.Categorical(codes)
    frame["risk_group"] = pd.Categorical.from_codes(stratum, list(cal.strata))
    frame.update(covariates)
    frame["enrol_time"] = enrol
    days = np.floor(enrol * DAYS_PER_YEAR).astype(np.int64).astype("timedelta64[D]")
    frame["enrol_date"] = (np.datetime64(cal.start_date, "D") + days).astype("datetime64[ns]")
    dfs_event = t_event <= t_drop
    frame["dfs_time"] = np.minimum(t_event, t_drop)
    frame["dfs_event"] = dfs_event.astype(np.int64)
    labels = ["censored", *cal.event_types]
    frame["dfs_event_type"] = pd.Categorical.from_codes(np.where(dfs_event, etype + 1, 0), labels)
    frame["os_time"] = np.minimum(t_death, t_drop)
    frame["os_event"] = (t_death <= t_drop).astype(np.int64)
    for j, (name, per_arm) in enumerate(sc.toxicity.items()):
        frame[f"tox_{name}"] = tox_u[:, j] < np.array([per_arm[a] for a in cal.arms])[arm]
    df = pd.DataFrame(frame)
    df.attrs.update(
        scenario=sc.name, scenario_digest=sc.digest, start_date=cal.start_date.isoformat(), data_cut_years=np.inf
    )
    if full_follow_up:
        return df
    if cal.cut_events is not None:
        return apply_data_cut(df, events=cal.cut_events)
    return apply_data_cut(df, years=cal.cut_years)


def _draw_codes_rows(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw: ``probs`` (n, E), one uniform per row."""
    cum = np.cumsum(probs, axis=1)
    cum = cum / cum[:, -1:]
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


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
