"""The AALL1731 digital twin's headline figures, interim decision and replicate runs (no report)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from survtrial.analysis.trial import TrialAnalysis, analyse_trial
from survtrial.clinical.benefit import load_published
from survtrial.design.convention import design_z
from survtrial.errors import InputError
from survtrial.simulate.scenario import Scenario, load_scenario
from survtrial.simulate.trial import simulate_trials_data
from survtrial.stats.km import kaplan_meier

__all__ = [
    "CURVE_GRID",
    "HEADLINES",
    "Headline",
    "analyse_twin",
    "compare_with_published",
    "interim_decision",
    "published_table",
    "rmst_horizon",
    "run_replicates",
    "twin_design",
    "twin_headlines",
]

REFERENCE, EXPERIMENTAL = "chemo", "blina"
TOXICITY_LABELS = {"tox_crs_grade3plus": "Cytokine release syndrome, grade >= 3", "tox_seizure": "Seizure",
                   "tox_fever": "Fever", "tox_infection_grade3plus": "Infection, grade >= 3",
                   "tox_febrile_neutropenia_grade3plus": "Febrile neutropenia, grade >= 3",
                   "tox_sepsis_grade3plus": "Sepsis, grade >= 3"}
SUBGROUPS = ("risk_group", "sex", "ethnicity", "cytogenetics", "age_group")
# Horizon of the restricted-mean DFS difference when the scenario has no RMST curve target (the
# AALL1731 scenario solves it from the published arm means: rmst_horizon below).
RMST_HORIZON_YEARS = 4.0


def rmst_horizon(scenario: Scenario) -> float:
    """The scenario's RMST horizon (its RMST curve target's, solved from a published arm mean), else
    :data:`RMST_HORIZON_YEARS`."""
    tau = scenario.calibrated.rmst_horizon
    return float(tau) if tau is not None else RMST_HORIZON_YEARS


@dataclass(frozen=True)
class Headline:
    """One published figure: where it is in the published YAML and how the twin computes it."""

    key: str
    label: str
    path: tuple[str, ...]
    unit: str
    index: int | None = None  # position in a published list (numbers at risk)


HEADLINES: tuple[Headline, ...] = (
    Headline("dfs3_chemo", "3-year DFS, chemotherapy (%)", ("results_first_interim", "dfs_3y", "chemo"), "%"),
    Headline("dfs3_blina", "3-year DFS, blinatumomab (%)", ("results_first_interim", "dfs_3y", "blina"), "%"),
    Headline("hr", "DFS hazard ratio", ("results_first_interim", "dfs_hazard_ratio"), "ratio"),
    Headline("dfs3_avg_chemo", "3-year DFS SR-Avg, chemotherapy (%)",
             ("results_first_interim", "dfs_3y_by_risk", "SR-Avg", "chemo"), "%"),
    Headline("dfs3_avg_blina", "3-year DFS SR-Avg, blinatumomab (%)",
             ("results_first_interim", "dfs_3y_by_risk", "SR-Avg", "blina"), "%"),
    Headline("dfs3_high_chemo", "3-year DFS SR-High, chemotherapy (%)",
             ("results_first_interim", "dfs_3y_by_risk", "SR-High", "chemo"), "%"),
    Headline("dfs3_high_blina", "3-year DFS SR-High, blinatumomab (%)",
             ("results_first_interim", "dfs_3y_by_risk", "SR-High", "blina"), "%"),
    Headline("marrow3_chemo", "3-year marrow relapse, chemotherapy (%)",
             ("results_first_interim", "marrow_relapse_cif_3y", "chemo"), "%"),
    Headline("marrow3_blina", "3-year marrow relapse, blinatumomab (%)",
             ("results_first_interim", "marrow_relapse_cif_3y", "blina"), "%"),
    Headline("relapse3_chemo", "3-year any relapse, chemotherapy (%)",
             ("results_first_interim", "any_relapse_cif_3y", "chemo"), "%"),
    Headline("relapse3_blina", "3-year any relapse, blinatumomab (%)",
             ("results_first_interim", "any_relapse_cif_3y", "blina"), "%"),
    Headline("os3_chemo", "3-year OS, chemotherapy (%)", ("results_first_interim", "os_3y", "chemo"), "%"),
    Headline("os3_blina", "3-year OS, blinatumomab (%)", ("results_first_interim", "os_3y", "blina"), "%"),
    Headline("rmst_days", "Restricted mean DFS difference (days)",
             ("results_first_interim", "dfs_rmst_difference_days"), "days"),
    *(Headline(f"at_risk_{y}y_{arm}", f"Number at risk at {y} year{'s' if y > 1 else ''}, {name}",
               ("results_first_interim", "dfs_numbers_at_risk", arm), "patients", index=y)
      for y in (1, 2, 3, 4) for arm, name in (("chemo", "chemotherapy"), ("blina", "blinatumomab"))),
    Headline("crs_blina", "Grade >= 3 CRS, blinatumomab (%)", ("safety", "blina_grade3plus_crs_percent"), "%"),
    Headline("seizure_blina", "Seizures, blinatumomab (%)", ("safety", "blina_seizure_percent"), "%"),
    Headline("median_follow_up", "Median follow-up (years)", ("results_first_interim", "median_follow_up_years"),
             "years"),
)


def published_table() -> pd.DataFrame:
    """Published value, SE and 95% CI of each headline (from the packaged copy of the published figures).

    Where only an SE is published, the CI is value +- 1.96 SE (as the paper's ± figures imply);
    where neither is published, both are missing.
    """
    pub = load_published()
    rows = []
    for h in HEADLINES:
        node: Any = pub
        for k in h.path:
            node = node[k]
        if h.index is not None:
            node = node[h.index]
        if isinstance(node, dict):
            value, se = float(node["value"]), node.get("se")
            ci = node.get("ci95")
        else:
            value, se, ci = float(node), None, None
        if ci:
            lo, hi = float(ci[0]), float(ci[1])
        elif se:
            lo, hi = value - 1.96 * se, value + 1.96 * se
        else:
            lo, hi = np.nan, np.nan
        rows.append({"key": h.key, "headline": h.label, "published": value,
                     "published_se": float(se) if se is not None else np.nan,
                     "published_lower": lo, "published_upper": hi})
    return pd.DataFrame(rows)


def _with_age_group(frame: pd.DataFrame) -> pd.DataFrame:
    if "age_years" in frame.columns and "age_group" not in frame.columns:
        frame = frame.assign(age_group=np.where(frame["age_years"] < 5, "1-4 years", "5-9 years"))
    return frame


def analyse_twin(frame: pd.DataFrame, *, detailed: bool = True, tau: float | None = None) -> TrialAnalysis:
    """Analyse a twin as the paper did: stratified log-rank and Cox (by risk group), 3-year DFS,
    RMST to ``tau`` (default :data:`RMST_HORIZON_YEARS`; see :func:`rmst_horizon`), OS, cumulative
    incidence by event type; with ``detailed`` also subgroups and the toxicity table."""
    frame = _with_age_group(frame)
    tox = {c: lab for c, lab in TOXICITY_LABELS.items() if c in frame.columns}
    return analyse_trial(
        frame, time="dfs_time", event="dfs_event", arm="arm", reference=REFERENCE, strata=["risk_group"],
        event_type="dfs_event_type", subgroups=[s for s in SUBGROUPS if s in frame.columns] if detailed else (),
        landmark=3.0, tau=RMST_HORIZON_YEARS if tau is None else tau, endpoint="DFS", time_unit="years",
        secondary={"OS": ("os_time", "os_event")},
        toxicities=tox if detailed else None, detailed=detailed,
    )


def twin_headlines(analysis: TrialAnalysis, frame: pd.DataFrame) -> dict[str, float]:
    """The twin's value of every headline in :data:`HEADLINES` (percent where the paper uses percent)."""
    return _headlines(analysis.headline(), frame)


def _headlines(h: dict[str, float], frame: pd.DataFrame) -> dict[str, float]:
    out = {
        "dfs3_chemo": h["S:all:chemo"], "dfs3_blina": h["S:all:blina"], "hr": h["hr"],
        "hr_lower": h["hr_lower"], "hr_upper": h["hr_upper"],
        "dfs3_avg_chemo": h.get("S:SR-Avg:chemo", np.nan), "dfs3_avg_blina": h.get("S:SR-Avg:blina", np.nan),
        "dfs3_high_chemo": h.get("S:SR-High:chemo", np.nan), "dfs3_high_blina": h.get("S:SR-High:blina", np.nan),
        "os3_chemo": h["OS:S:chemo"], "os3_blina": h["OS:S:blina"],
        "rmst_days": h["rmst_difference"] * 365.25, "logrank_p": h["logrank_p"], "logrank_z": h["logrank_z"],
    }
    for arm in (REFERENCE, EXPERIMENTAL):
        out[f"marrow3_{arm}"] = h.get(f"CIF:marrow_relapse:{arm}", 0.0)
        out[f"relapse3_{arm}"] = out[f"marrow3_{arm}"] + h.get(f"CIF:other_relapse:{arm}", 0.0)
        out[f"se_dfs3_{arm}"] = h[f"SE:all:{arm}"]
    blina = frame[frame["arm"] == EXPERIMENTAL]
    out["crs_blina"] = 100 * float(blina["tox_crs_grade3plus"].mean()) if "tox_crs_grade3plus" in frame else np.nan
    out["seizure_blina"] = 100 * float(blina["tox_seizure"].mean()) if "tox_seizure" in frame else np.nan
    rev = kaplan_meier(frame["dfs_time"], 1 - frame["dfs_event"])  # reverse KM: follow-up
    out["median_follow_up"] = float(rev.median()["estimate"].iloc[0])
    t = frame["dfs_time"].to_numpy()
    for arm in (REFERENCE, EXPERIMENTAL):  # numbers at risk under the KM figure: followed >= y years
        mine = t[(frame["arm"] == arm).to_numpy()]
        for y in (1, 2, 3, 4):
            out[f"at_risk_{y}y_{arm}"] = float(np.sum(mine >= y))
    out["events"] = float(frame["dfs_event"].sum())
    return out


def _direct_headline(frame: pd.DataFrame, tau: float) -> dict[str, float]:
    """The entries of ``analyse_twin(frame, detailed=False, tau=tau).headline()`` that
    :func:`twin_headlines` reads, from the same ``survtrial.stats`` calls with the same arguments
    (without building the analysis' frames and tables: about five times faster, for replicates)."""
    from survtrial.analysis._frames import combined_key
    from survtrial.stats.cox import cox_ph
    from survtrial.stats.cuminc import cumulative_incidence
    from survtrial.stats.logrank import logrank_test
    from survtrial.stats.rmst import restricted_mean_survival_time

    h: dict[str, float] = {}
    key = combined_key(frame, ["risk_group"])

    def landmarks(km: Any, prefix: str) -> None:
        lm = km.survival_at([3.0])
        for arm, s, se in zip(lm["group"].astype(str), lm["survival"], lm["std_err"], strict=True):
            h[f"S:{prefix}:{arm}"] = 100 * float(s)
            h[f"SE:{prefix}:{arm}"] = 100 * float(se)

    landmarks(kaplan_meier("dfs_time", "dfs_event", "arm", data=frame, conf_level=0.95, conf_type="log-log"), "all")
    for level, sub in frame.groupby(frame["risk_group"].astype(str), sort=True):
        landmarks(kaplan_meier("dfs_time", "dfs_event", "arm", data=sub, conf_level=0.95, conf_type="log-log"),
                  str(level))
    lr = logrank_test("dfs_time", "dfs_event", "arm", data=frame, strata=key, reference=REFERENCE)
    arm_cat = pd.Categorical(frame["arm"].astype(str), categories=[REFERENCE, EXPERIMENTAL])
    cox = cox_ph(frame["dfs_time"].to_numpy(), frame["dfs_event"].to_numpy(), pd.DataFrame({"arm": arm_cat}),
                 strata=key, reference={"arm": REFERENCE}, conf_level=0.95)
    ci = cox.confidence_interval()
    h.update(hr=float(cox.hazard_ratio[0]), hr_lower=float(ci.low[0]), hr_upper=float(ci.high[0]),
             logrank_p=float(lr.p_value), logrank_z=float(lr.z) if lr.z is not None else np.nan)
    rm = restricted_mean_survival_time("dfs_time", "dfs_event", "arm", data=frame, tau=tau, reference=REFERENCE,
                                       conf_level=0.95)
    h["rmst_difference"] = float(rm.difference)
    os_lm = kaplan_meier("os_time", "os_event", "arm", data=frame, conf_level=0.95,
                         conf_type="log-log").survival_at([3.0])
    for arm, s in zip(os_lm["group"].astype(str), os_lm["survival"], strict=True):
        h[f"OS:S:{arm}"] = 100 * float(s)
    types = frame["dfs_event_type"].astype(str)
    causes = sorted(set(types) - {"censored"})
    if causes:
        codes = np.zeros(len(frame), dtype=np.int64)
        for k, c in enumerate(causes, start=1):
            codes[(types == c).to_numpy()] = k
        cif = cumulative_incidence(frame["dfs_time"].to_numpy(dtype=float), codes, frame["arm"].astype(str).to_numpy(),
                                   causes=dict(enumerate(causes, start=1))).at([3.0])
        for cause, arm, value in zip(cif["cause"], cif["group"], cif["cif"], strict=True):
            h[f"CIF:{cause}:{arm}"] = 100 * float(value)
    return h


def interim_decision(analysis: TrialAnalysis, scenario: Scenario) -> dict[str, float]:
    """Would the first interim analysis have stopped the trial for efficacy at this data cut?

    The efficacy bound is the spending-function bound at the observed information fraction
    (events / planned events), updated as :func:`survtrial.design.update_design` does; the
    statistic is the stratified log-rank z in survtrial's convention (z > 0 favours the experimental
    arm, :func:`survtrial.design.convention.design_z`): stop if ``z >= bound``.
    """
    return _interim(float(analysis.primary.events.sum()), design_z(analysis.primary.logrank), scenario)


def _interim(events: float, z: float, scenario: Scenario) -> dict[str, float]:
    """The interim decision from the DFS events and the log-rank z in survtrial's convention."""
    plan = scenario.interim_analyses
    fraction = min(events / plan.planned_events, 1.0)
    bound = _first_look_bound(tuple(plan.information_fractions), plan.alpha_one_sided, plan.spending,
                              plan.spending_parameter, int(min(events, plan.planned_events)),
                              plan.planned_events)
    return {"events": events, "information_fraction": fraction, "efficacy_bound_z": bound,
            "nominal_alpha": float(sps.norm.sf(bound)), "z": z, "stop": float(z >= bound)}


@lru_cache(maxsize=4096)
def _first_look_bound(fractions: tuple[float, ...], alpha: float, spending: str, parameter: float | None,
                      events: int, planned: int) -> float:
    from survtrial.design import group_sequential, spending_function, update_design

    design = group_sequential(list(fractions), alpha=alpha, sided=1,
                              alpha_spending=spending_function(spending, parameter))
    return float(update_design(design, events=[events], max_events=planned).upper[0])


CURVE_GRID = np.round(np.arange(0, 5.0 + 1e-9, 1 / 24), 10)
"""Times (years, every half month to 5 years) at which replicate DFS curves are kept."""


def _replicate_range(args: tuple) -> tuple[list[dict[str, float]], np.ndarray | None]:
    scenario, seed, start, stop, keep_curves = args
    tau = rmst_horizon(scenario)
    rows = []
    curves = np.empty((stop - start, 2, CURVE_GRID.size)) if keep_curves else None
    for q, frame in enumerate(simulate_trials_data(scenario, seed, start, stop, covariates=False)):
        if curves is not None:
            for a, arm in enumerate((REFERENCE, EXPERIMENTAL)):
                mine = frame[frame["arm"] == arm]
                km = kaplan_meier(mine["dfs_time"].to_numpy(), mine["dfs_event"].to_numpy())
                curves[q, a] = km.survival_at(CURVE_GRID)["survival"].to_numpy()
        h = _direct_headline(frame, tau)
        out = _headlines(h, frame)
        z = design_z(h["logrank_z"])
        out.update({f"interim_{k}": v for k, v in _interim(out["events"], z, scenario).items()})
        rows.append(out)
    return rows, curves


def run_replicates(scenario: Scenario | str, *, replicates: int, seed: int, workers: int | None = None,
                   progress: Any = None, curves: bool = False) -> pd.DataFrame:
    """Simulate and analyse ``replicates`` independent twins; one row of headlines per replicate.

    Replicate ``i`` (1-based) is trial ``i - 1`` of the simulation engine's run with ``seed``: the
    same patients as ``simulate_trial(scenario, seed=seed, index=i - 1)`` and as the engine's trial
    of that index under any design (one generator). Results do not depend on ``workers``.
    ``progress`` is called with the number of finished replicates. With ``curves``, ``attrs["dfs_curves"]``
    holds each arm's Kaplan-Meier DFS over the replicates at :data:`CURVE_GRID`: median and central
    90% (``arm, time, median, lower, upper``).
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    workers = workers or min(2, os.cpu_count() or 1)
    chunk = 16
    ranges = [(sc, int(seed), a, min(a + chunk, replicates), curves) for a in range(0, replicates, chunk)]
    rows: list[dict[str, float]] = []
    kept: list[np.ndarray] = []
    if workers <= 1 or replicates < 8:
        results = map(_replicate_range, ranges)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(_replicate_range, ranges)
    try:
        for part, part_curves in results:
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
        q = np.quantile(c, [0.5, 0.05, 0.95], axis=0)  # (3, arms, grid)
        out.attrs["dfs_curves"] = pd.DataFrame({
            "arm": np.repeat([REFERENCE, EXPERIMENTAL], CURVE_GRID.size), "time": np.tile(CURVE_GRID, 2),
            "median": q[0].ravel(), "lower": q[1].ravel(), "upper": q[2].ravel()})
    return out


def twin_design(scenario: Scenario) -> dict[str, Any]:
    """The engine design of the scenario's interim plan: looks at its information fractions of the
    planned events, its spending function and one-sided alpha (stratified log-rank)."""
    plan = scenario.interim_analyses
    if plan is None:
        raise InputError(f"scenario {scenario.name!r} has no interim_analyses plan")
    if plan.spending_parameter is not None:
        raise InputError("the simulation engine's designs take a named spending function without a parameter; "
                         f"scenario {scenario.name!r} gives spending_parameter {plan.spending_parameter!r}")
    return {"information_fractions": list(plan.information_fractions), "planned_events": plan.planned_events,
            "alpha": plan.alpha_one_sided, "alpha_spending": plan.spending, "control_arm": REFERENCE,
            "experimental_arm": EXPERIMENTAL}


def compare_with_published(twin: pd.DataFrame | dict[str, float]) -> pd.DataFrame:
    """Published figures next to the twin: one twin (its estimate) or replicates (mean, SD, central 95%,
    whether the published value lies inside it)."""
    pub = published_table()
    if isinstance(twin, dict):
        pub["twin"] = [twin.get(k, np.nan) for k in pub["key"]]
        pub["difference"] = pub["twin"] - pub["published"]
        return pub
    vals = {k: twin[k].to_numpy(dtype=float) for k in pub["key"] if k in twin.columns}
    pub["twin_mean"] = [np.nanmean(vals[k]) if k in vals else np.nan for k in pub["key"]]
    pub["twin_sd"] = [np.nanstd(vals[k], ddof=1) if k in vals else np.nan for k in pub["key"]]
    pub["twin_2.5%"] = [np.nanquantile(vals[k], 0.025) if k in vals else np.nan for k in pub["key"]]
    pub["twin_97.5%"] = [np.nanquantile(vals[k], 0.975) if k in vals else np.nan for k in pub["key"]]
    pub["published_inside_95%"] = (pub["published"] >= pub["twin_2.5%"]) & (pub["published"] <= pub["twin_97.5%"])
    within = (pub["twin_mean"] - pub["published"]).abs() <= pub["published_se"]
    pub["mean_within_1_published_se"] = within.astype(object).where(pub["published_se"].notna(), None)
    return pub
