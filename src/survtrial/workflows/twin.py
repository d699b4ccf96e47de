"""Running a twin: analyse a trial as its paper did, its headlines, interim decision and replicates (no report)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr  # normal CDF; scipy.stats is slow to import

from survtrial.analysis.trial import TrialAnalysis, analyse_trial
from survtrial.design.convention import design_z
from survtrial.errors import InputError
from survtrial.simulate._scenario_check import RESERVED_COLUMNS
from survtrial.simulate.scenario import Scenario, load_scenario
from survtrial.simulate.trial import simulate_trials_data
from survtrial.stats.km import kaplan_meier
from survtrial.workflows.headlines import TwinData, hazard_ratio_limits, headline_value, survival_se
from survtrial.workflows.twin_spec import InterimAnalysisPlan, TwinSpec, load_twin

__all__ = [
    "CURVE_GRID",
    "analyse_twin",
    "check_twin_against_scenario",
    "compare_with_published",
    "interim_decision",
    "load_twin_scenario",
    "published_table",
    "run_replicates",
    "twin_design",
    "twin_headlines",
]


def published_table(twin: TwinSpec | str) -> pd.DataFrame:
    """Published value, SE and 95% CI of each headline of the twin, with its unit and source.

    Where only an SE is published, the CI is value +- 1.96 SE (as the paper's ± figures imply);
    where neither is published, both are missing.
    """
    tw = load_twin(twin)
    rows = []
    for key, h in tw.headlines.items():
        p = h.published
        if p.ci95 is not None:
            lo, hi = float(p.ci95[0]), float(p.ci95[1])
        elif p.se is not None:
            lo, hi = p.value - 1.96 * p.se, p.value + 1.96 * p.se
        else:
            lo, hi = np.nan, np.nan
        rows.append({"key": key, "headline": h.label, "unit": h.unit_label, "published": float(p.value),
                     "published_se": float(p.se) if p.se is not None else np.nan,
                     "published_lower": lo, "published_upper": hi, "source": p.source})
    return pd.DataFrame(rows)


def _with_derived_columns(frame: pd.DataFrame, twin: TwinSpec) -> pd.DataFrame:
    new = {}
    for name, spec in twin.analysis.derived_columns.items():
        if name in frame.columns or spec.source not in frame.columns:
            continue
        idx = np.searchsorted(np.asarray(spec.breaks, dtype=float), frame[spec.source].to_numpy(dtype=float),
                              side="right")
        new[name] = np.asarray(spec.labels, dtype=object)[idx]
    return frame.assign(**new) if new else frame


def analyse_twin(frame: pd.DataFrame, twin: TwinSpec | str, *, detailed: bool = True) -> TrialAnalysis:
    """Analyse a trial (simulated or real) as the twin's paper did.

    The primary endpoint gets the (stratified) log-rank test, Cox model, landmark estimates, the RMST
    to the twin's horizon and, when it has an event-type column, cumulative incidences; the other
    endpoints are secondary. With ``detailed`` also the subgroups, the toxicity table and the
    secondary endpoints' tests (False is the fast path for replicates).
    """
    tw = load_twin(twin)
    frame = _with_derived_columns(frame, tw)
    a = tw.analysis
    primary = tw.endpoints[tw.primary_endpoint]
    missing = [(f"endpoints.{name}", c) for name, ep in tw.endpoints.items()
               for c in (ep.time, ep.event, ep.event_type) if c is not None and c not in frame.columns]
    missing += [("analysis.strata", c) for c in a.strata if c not in frame.columns]
    if "arm" not in frame.columns:
        missing.append(("arms", "arm"))
    if missing:
        raise InputError("; ".join(f"twin key '{k}': column {c!r} not in the data" for k, c in missing)
                         + f"; columns: {list(frame.columns)}")
    tox = {c: lab for c, lab in a.toxicities.items() if c in frame.columns}
    secondary = {name: (ep.time, ep.event) for name, ep in tw.endpoints.items() if name != tw.primary_endpoint}
    return analyse_trial(
        frame, time=primary.time, event=primary.event, arm="arm", reference=tw.arms.control, strata=a.strata,
        event_type=primary.event_type,
        subgroups=[s for s in a.subgroups if s in frame.columns] if detailed else (),
        landmark=a.landmark, tau=a.rmst.years if a.rmst is not None else None, endpoint=tw.primary_endpoint,
        time_unit="years",
        secondary=secondary, toxicities=tox if detailed else None, detailed=detailed,
    )


def twin_headlines(analysis: TrialAnalysis | None, frame: pd.DataFrame, twin: TwinSpec | str) -> dict[str, float]:
    """The value of every headline of the twin for one trial, plus what the calibration reads.

    Keys: each headline's key; ``<key>_lower`` and ``<key>_upper`` (95% limits) of hazard ratios,
    ``se_<key>`` (Greenwood) of survival headlines; ``logrank_z``, ``logrank_p`` and ``events`` of the
    primary endpoint (``logrank_z`` as :func:`survtrial.stats.logrank.logrank_test` reports it).
    ``analysis`` None computes each number directly by the statistics call the analysis makes
    (:class:`~survtrial.workflows.headlines.TwinData`): the same values, without the analysis' tables.
    """
    tw = load_twin(twin)
    return _headline_values(TwinData(tw, analysis, _with_derived_columns(frame, tw)))


def _headline_values(data: TwinData) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, h in data.twin.headlines.items():
        out[key] = headline_value(h, data)
        if h.kind == "hazard_ratio":
            out[f"{key}_lower"], out[f"{key}_upper"] = hazard_ratio_limits(h, data)
        elif h.kind == "survival":
            out[f"se_{key}"] = survival_se(h, data)
    lr = data.logrank()
    out["logrank_p"] = float(lr.p_value)
    out["logrank_z"] = float(lr.z) if lr.z is not None else np.nan
    out["events"] = data.events()
    return out


def interim_decision(analysis: TrialAnalysis, plan: InterimAnalysisPlan) -> dict[str, float]:
    """Would the first interim analysis have stopped the trial for efficacy at this data cut?

    The efficacy bound is the spending-function bound at the observed information fraction
    (events / planned events), updated as :func:`survtrial.design.update_design` does; the
    statistic is the stratified log-rank z in survtrial's convention (z > 0 favours the experimental
    arm, :func:`survtrial.design.convention.design_z`): stop if ``z >= bound``.
    """
    return _interim(float(analysis.primary.events.sum()), design_z(analysis.primary.logrank), plan)


def _interim(events: float, z: float, plan: InterimAnalysisPlan) -> dict[str, float]:
    """The interim decision from the primary endpoint's events and log-rank z (survtrial's convention)."""
    fraction = min(events / plan.planned_events, 1.0)
    bound = _first_look_bound(tuple(plan.information_fractions), plan.alpha_one_sided, plan.spending,
                              plan.spending_parameter, int(min(events, plan.planned_events)),
                              plan.planned_events)
    return {"events": events, "information_fraction": fraction, "efficacy_bound_z": bound,
            "nominal_alpha": float(ndtr(-bound)), "z": z, "stop": float(z >= bound)}


@lru_cache(maxsize=4096)
def _first_look_bound(fractions: tuple[float, ...], alpha: float, spending: str, parameter: float | None,
                      events: int, planned: int) -> float:
    from survtrial.design import group_sequential, spending_function, update_design

    design = group_sequential(list(fractions), alpha=alpha, sided=1,
                              alpha_spending=spending_function(spending, parameter))
    return float(update_design(design, events=[events], max_events=planned).upper[0])


def check_twin_against_scenario(twin: TwinSpec, scenario: Scenario) -> None:
    """Refuse a twin whose headlines or analysis name arms, strata, event types, covariates or toxicities
    the scenario does not simulate (InputError, one line per problem, naming the twin key)."""
    problems = []
    arms = list(scenario.arm_names)
    for role, arm in (("control", twin.arms.control), ("experimental", twin.arms.experimental)):
        if arm not in arms:
            problems.append((f"arms.{role}", f"{arm!r} is not an arm of scenario {scenario.name!r}; arms: {arms}"))
    types = list(scenario.competing_events.types)
    strat = twin.analysis.strata[0] if twin.analysis.strata else None
    toxicities = [f"tox_{t}" for t in scenario.toxicity]
    for key, h in twin.headlines.items():
        if h.stratum is not None and strat == "risk_group" and h.stratum not in scenario.stratum_names:
            problems.append((f"headlines.{key}.stratum",
                             f"{h.stratum!r} is not a stratum of scenario {scenario.name!r}; "
                             f"strata: {scenario.stratum_names}"))
        for c in h.causes or ():
            if c not in types:
                problems.append((f"headlines.{key}.causes",
                                 f"{c!r} is not an event type of scenario {scenario.name!r}; types: {types}"))
    a = twin.analysis
    columns = [*RESERVED_COLUMNS, *scenario.covariates]
    for where, names in (("analysis.strata", a.strata), ("analysis.subgroups", a.subgroups)):
        for name in names:
            if name not in columns and name not in a.derived_columns:
                problems.append((where, f"{name!r} is not a column scenario {scenario.name!r} simulates nor a "
                                        f"derived column; its covariates: {list(scenario.covariates) or 'none'}"))
    for name, spec in a.derived_columns.items():
        if spec.source not in columns:
            problems.append((f"analysis.derived_columns.{name}.source",
                             f"{spec.source!r} is not a column scenario {scenario.name!r} simulates"))
    for col in twin.analysis.toxicities:
        if col not in toxicities:
            problems.append((f"analysis.toxicities.{col}",
                             f"scenario {scenario.name!r} simulates no such column; its toxicity columns: "
                             f"{toxicities or 'none'}"))
    if problems:
        raise InputError(f"twin {twin.name!r} and scenario {scenario.name!r} do not match: "
                         + "; ".join(f"twin key '{k}': {m}" for k, m in problems))


def load_twin_scenario(twin: TwinSpec, scenario: str | os.PathLike[str] | Scenario | None = None) -> Scenario:
    """The scenario the twin simulates (``scenario`` overrides the twin's), checked against the twin."""
    sc = load_scenario(twin.scenario_source if scenario is None else scenario)
    check_twin_against_scenario(twin, sc)
    return sc


CURVE_GRID = np.round(np.arange(0, 5.0 + 1e-9, 1 / 24), 10)
"""Times (years, every half month to 5 years) at which replicate curves of the primary endpoint are kept."""


def _replicate_range(args: tuple) -> tuple[list[dict[str, float]], np.ndarray | None]:
    """Replicates ``start..stop-1`` (the engine's trials of ``seed``): their headlines and interim
    decisions by the direct path (the analysis' statistics calls, without its tables: equal to
    :func:`analyse_twin` then :func:`twin_headlines`, tested) and, with ``keep_curves``, Kaplan-Meier
    curves of the primary endpoint per arm."""
    twin, scenario, seed, start, stop, keep_curves = args
    ep = twin.endpoints[twin.primary_endpoint]
    arms = (twin.arms.control, twin.arms.experimental)
    derived = twin.analysis.derived_columns
    needed = {derived[c].source if c in derived else c for c in twin.analysis.strata}  # subgroups: not here
    covariates = bool(needed & set(scenario.covariates))
    rows = []
    curves = np.empty((stop - start, 2, CURVE_GRID.size)) if keep_curves else None
    for q, frame in enumerate(simulate_trials_data(scenario, seed, start, stop, covariates=covariates)):
        data = TwinData(twin, None, _with_derived_columns(frame, twin))
        out = _headline_values(data)
        if twin.interim_analysis is not None:
            z = design_z(data.logrank())
            out.update({f"interim_{k}": v for k, v in _interim(data.events(), z, twin.interim_analysis).items()})
        rows.append(out)
        if curves is not None:
            arm = data.column("arm")
            t, e = data.column(ep.time).astype(float), data.column(ep.event)
            for a, name in enumerate(arms):
                mine = arm == name
                curves[q, a] = kaplan_meier(t[mine], e[mine]).values_at(CURVE_GRID, columns=["survival"])["survival"][0]
    return rows, curves


def run_replicates(twin: TwinSpec | str, *, replicates: int, seed: int, scenario: Any = None,
                   workers: int | None = None, progress: Any = None, curves: bool = False) -> pd.DataFrame:
    """Simulate and analyse ``replicates`` independent twins; one row of headlines per replicate.

    Replicate ``i`` (1-based) is trial ``i - 1`` of the simulation engine's run with ``seed``: the
    same patients as ``simulate_trial(scenario, seed=seed, index=i - 1)`` and as the engine's trial
    of that index under any design (one generator). Results do not depend on ``workers``.
    ``scenario`` overrides the twin's. ``progress`` is called with the number of finished
    replicates. With ``curves``, ``attrs["curves"]`` holds each arm's Kaplan-Meier curve of the
    primary endpoint over the replicates at :data:`CURVE_GRID`: median and central 90% (``arm,
    time, median, lower, upper``).
    """
    tw = load_twin(twin)
    sc = load_twin_scenario(tw, scenario)
    workers = workers or min(2, os.cpu_count() or 1)
    chunk = 16
    ranges = [(tw, sc, int(seed), a, min(a + chunk, replicates), curves) for a in range(0, replicates, chunk)]
    rows: list[dict[str, float]] = []
    kept: list[np.ndarray] = []
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 and replicates >= 8 else None
    try:
        for part, part_curves in (pool.map(_replicate_range, ranges) if pool else map(_replicate_range, ranges)):
            rows += part
            if part_curves is not None:
                kept.append(part_curves)
            if progress:
                progress(len(rows))
    finally:
        if pool is not None:
            pool.shutdown()
    out = pd.DataFrame(rows)
    out.insert(0, "replicate", np.arange(1, replicates + 1))
    if curves:
        c = np.concatenate(kept)
        q = np.quantile(c, [0.5, 0.05, 0.95], axis=0)  # (3, arms, grid): median and the central 90% band
        out.attrs["curves"] = pd.DataFrame({
            "arm": np.repeat([tw.arms.control, tw.arms.experimental], CURVE_GRID.size),
            "time": np.tile(CURVE_GRID, 2), "median": q[0].ravel(), "lower": q[1].ravel(), "upper": q[2].ravel()})
    return out


def twin_design(twin: TwinSpec | str) -> dict[str, Any]:
    """The simulation engine's design of the twin's interim plan: looks at its information fractions
    of the planned primary-endpoint events, its spending function and one-sided alpha, the log-rank
    stratified as the twin's analysis (``survtrial.simulate.engine.simulate_trials(scenario, design,
    ...)`` then gives the operating characteristics of the trial's design under the twin)."""
    tw = load_twin(twin)
    plan = tw.interim_analysis
    if plan is None:
        raise InputError(f"twin {tw.name!r} has no interim_analysis plan")
    if plan.spending_parameter is not None:
        raise InputError("the simulation engine's designs take a named spending function without a parameter; "
                         f"twin {tw.name!r} gives spending_parameter {plan.spending_parameter!r}")
    return {"information_fractions": list(plan.information_fractions), "planned_events": plan.planned_events,
            "alpha": plan.alpha_one_sided, "alpha_spending": plan.spending, "control_arm": tw.arms.control,
            "experimental_arm": tw.arms.experimental, "stratified": bool(tw.analysis.strata)}


def compare_with_published(twin: TwinSpec | str, values: pd.DataFrame | dict[str, float]) -> pd.DataFrame:
    """Published figures next to the twin: one twin (its estimate) or replicates (mean, SD, central 95%,
    whether the published value lies inside it)."""
    pub = published_table(twin)
    if isinstance(values, dict):
        pub["twin"] = [values.get(k, np.nan) for k in pub["key"]]
        pub["difference"] = pub["twin"] - pub["published"]
        return pub
    vals = {k: values[k].to_numpy(dtype=float) for k in pub["key"] if k in values.columns}
    pub["twin_mean"] = [np.nanmean(vals[k]) if k in vals else np.nan for k in pub["key"]]
    pub["twin_sd"] = [np.nanstd(vals[k], ddof=1) if k in vals else np.nan for k in pub["key"]]
    pub["twin_2.5%"] = [np.nanquantile(vals[k], 0.025) if k in vals else np.nan for k in pub["key"]]
    pub["twin_97.5%"] = [np.nanquantile(vals[k], 0.975) if k in vals else np.nan for k in pub["key"]]
    pub["published_inside_95%"] = (pub["published"] >= pub["twin_2.5%"]) & (pub["published"] <= pub["twin_97.5%"])
    within = (pub["twin_mean"] - pub["published"]).abs() <= pub["published_se"]
    pub["mean_within_1_published_se"] = within.astype(object).where(pub["published_se"].notna(), None)
    return pub
