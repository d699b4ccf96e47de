"""`survtrial reproduce`: simulate a trial's twin, analyse it as the paper did, write data and report."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from survtrial._atomic import MARKER, check_output_dir, write_directory
from survtrial.analysis.trial import TrialAnalysis
from survtrial.errors import InputError
from survtrial.report.html import Report, provenance
from survtrial.report.plots import calibration_plot
from survtrial.report.trial_report import add_trial_sections
from survtrial.simulate.scenario import Scenario
from survtrial.simulate.trial import simulate_trial
from survtrial.workflows.twin import (
    analyse_twin,
    compare_with_published,
    interim_decision,
    load_twin_scenario,
    run_replicates,
    twin_headlines,
)
from survtrial.workflows.twin_spec import TwinSpec, load_twin

__all__ = ["DEFAULT_SEED", "ReproduceResult", "reproduce"]

DEFAULT_SEED = 1731


@dataclass(frozen=True)
class ReproduceResult:
    """What one ``reproduce`` run produced (frames for notebooks, paths when written).

    ``interim`` is empty when the twin has no interim analysis plan.
    """

    twin: TwinSpec
    scenario: Scenario
    seed: int
    patients: pd.DataFrame
    analysis: TrialAnalysis
    comparison: pd.DataFrame
    interim: dict[str, float]
    replicates: pd.DataFrame | None
    replicate_comparison: pd.DataFrame | None
    report: Report
    out: Path | None = None


def _hazard_table(sc: Scenario, landmark: float) -> pd.DataFrame:
    cal = sc.calibrated
    rows = []
    for (stratum, arm), hz in cal.hazards.items():
        rows.append({"stratum": stratum, "arm": arm, f"S({landmark:g}y) %": 100 * float(hz.survival(landmark)),
                     **{f"hazard [{a:g}, {b:g})": r for a, b, r in
                        zip(hz.breaks, [*hz.breaks[1:], np.inf], hz.rates, strict=True)}})
    return pd.DataFrame(rows)


def _build_report(tw: TwinSpec, sc: Scenario, seed: int, analysis: TrialAnalysis, comparison: pd.DataFrame,
                  interim: dict[str, float], reps: pd.DataFrame | None, rep_cmp: pd.DataFrame | None,
                  command: Sequence[str] | None) -> Report:
    prov = provenance(seed=seed, scenario=sc.name, scenario_hash=sc.digest,
                      command=list(command) if command else None,
                      replicates=1 if reps is None else len(reps))
    report = Report(tw.title, subtitle=tw.description or sc.description, provenance=prov)
    report.add_section("The twin next to the paper")
    report.add_text(
        f"One simulated trial (seed {seed}) of {analysis.flow.iloc[0, 1:].sum()} randomized {tw.subjects}, analysed "
        f"as the paper did ({tw.publication}). The twin simulates scenario {sc.name}, calibrated to the published "
        "figures (every number of the scenario names its source or is marked as an assumption). One twin varies "
        "around the published values as much as the trial itself would: compare with the published SEs and CIs, "
        "and see the replicate calibration below when run with --replicates."
    )
    cols = ["key", "headline", "published", "published_se", "published_lower", "published_upper", "twin", "difference"]
    report.add_table(comparison[cols], "Published figures (value, SE, 95% CI where published) and this twin",
                     csv_name="published_vs_twin")
    plan = tw.interim_analysis
    if interim and plan is not None:
        verdict = "would have crossed" if interim["stop"] else "would not have crossed"
        strat = "stratified " if tw.analysis.strata else ""
        report.add_callout(
            f"Interim analysis at this data cut: {interim['events']:.0f} {tw.primary_endpoint} events = information "
            f"fraction {interim['information_fraction']:.2f} of the planned {plan.planned_events}. "
            f"{plan.spending} alpha spending (one-sided {plan.alpha_one_sided:g}) gives an "
            f"efficacy bound of z = {interim['efficacy_bound_z']:.3f} "
            f"(nominal one-sided P {interim['nominal_alpha']:.2g}); "
            f"the {strat}log-rank z is {interim['z']:.2f} (z > 0 favours {analysis.experimental}, as the bound), "
            f"so the trial {verdict} the efficacy bound.",
            title="Interim decision")
    if reps is not None and rep_cmp is not None:
        report.add_section(f"Calibration across {len(reps)} twins")
        text = f"{len(reps)} independent twins (child seeds of {seed})."
        if "interim_stop" in reps.columns:
            stop = reps["interim_stop"].to_numpy(dtype=float)
            se = np.sqrt(stop.mean() * (1 - stop.mean()) / stop.size)
            text += (f" The interim analysis would have stopped the trial for efficacy in {100 * stop.mean():.1f}% "
                     f"of them (Monte-Carlo SE {100 * se:.1f}%).")
        report.add_text(text)
        cols = ["headline", "published", "published_lower", "published_upper", "twin_mean", "twin_sd",
                "twin_2.5%", "twin_97.5%", "published_inside_95%"]
        report.add_table(rep_cmp[cols], "Published value and the twins' distribution (mean, SD, central 95%)",
                         csv_name="published_vs_twin_replicates")
        keys = [k for k in tw.headlines if k in reps.columns]
        titles = {k: textwrap.fill(h.label, 30) for k, h in tw.headlines.items()}
        pub = {r.key: (r.published, r.published_lower if np.isfinite(r.published_lower) else None,
                       r.published_upper if np.isfinite(r.published_upper) else None)
               for r in rep_cmp.itertuples(index=False)}
        fig = calibration_plot({k: reps[k].to_numpy() for k in keys}, {k: pub[k] for k in keys}, titles=titles)
        report.add_figure(fig, "Each headline across twins (histogram, central 90% shaded) and the published "
                          "value (line) with its CI", name="calibration")
    add_trial_sections(report, analysis)
    report.add_section("Scenario")
    report.add_text(f"Scenario {sc.name} (digest {sc.digest}): {sc.description} Event hazards per stratum and "
                    "arm (piecewise constant), as calibrated from the scenario's targets; the scenario file names "
                    "the source of every number.")
    lm = tw.analysis.landmark
    report.add_table(_hazard_table(sc, lm),
                     f"Calibrated {tw.primary_endpoint} hazards (per year) and the {lm:g}-year survival they give",
                     csv_name="calibrated_hazards")
    return report


def reproduce(
    twin: str | Path | TwinSpec,
    *,
    scenario: str | Path | Scenario | None = None,
    seed: int = DEFAULT_SEED,
    replicates: int = 1,
    workers: int | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    command: Sequence[str] | None = None,
    progress: Callable[[int], Any] | None = None,
) -> ReproduceResult:
    """Simulate the twin, analyse it like the paper, compare with the published figures, write it all.

    Parameters
    ----------
    twin : packaged twin name (see :func:`~survtrial.workflows.twin_spec.packaged_twins`), twin YAML
        path, or a :class:`~survtrial.workflows.twin_spec.TwinSpec`.
    scenario : packaged scenario name, YAML path, or a :class:`Scenario` simulated instead of the
        twin's own (its arms, strata, event types and toxicities must match the twin's headlines).
    seed : the run's seed; replicate ``i`` uses child ``i`` of ``SeedSequence(seed)`` and the
        detailed twin (data + report) uses ``seed`` itself.
    replicates : number of twins for the calibration section (1 = the single detailed twin only).
    workers : processes for the replicates (default: up to 2); results do not depend on it.
    out : directory to write ``report.html``, ``figures/``, ``tables/``, ``patients.parquet``
        (and ``replicates.parquet``); written atomically (nothing half-written is left behind).
    """
    if replicates < 1:
        raise InputError(f"replicates must be >= 1, got {replicates}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed!r}")
    tw = load_twin(twin)
    sc = load_twin_scenario(tw, scenario)
    out_path = Path(out) if out is not None else None
    if out_path is not None:
        check_output_dir(out_path, flag="out", overwrite=overwrite, parents=True)
    patients = simulate_trial(sc, int(seed))
    analysis = analyse_twin(patients, tw, detailed=True)
    comparison = compare_with_published(tw, twin_headlines(analysis, patients, tw))
    interim = interim_decision(analysis, tw.interim_analysis) if tw.interim_analysis is not None else {}
    reps = rep_cmp = None
    if replicates > 1:
        reps = run_replicates(tw, scenario=sc, replicates=replicates, seed=int(seed), workers=workers,
                              progress=progress)
        rep_cmp = compare_with_published(tw, reps)
    report = _build_report(tw, sc, int(seed), analysis, comparison, interim, reps, rep_cmp, command)
    if out_path is not None:
        _write(out_path, report, patients, reps, overwrite)
    return ReproduceResult(twin=tw, scenario=sc, seed=int(seed), patients=patients, analysis=analysis,
                           comparison=comparison, interim=interim, replicates=reps,
                           replicate_comparison=rep_cmp, report=report, out=out_path)


def _write(out: Path, report: Report, patients: pd.DataFrame, reps: pd.DataFrame | None, overwrite: bool) -> None:
    """The report, the patients and the replicates, built beside ``out`` and renamed into place when complete."""

    def fill(tmp: Path) -> None:
        built = tmp / "built"
        report.write(built)
        for item in built.iterdir():
            if item.name != MARKER:
                item.rename(tmp / item.name)
        shutil.rmtree(built)
        data = patients.copy()
        data.attrs = {}
        data.to_parquet(tmp / "patients.parquet", index=False)
        if reps is not None:
            reps.to_parquet(tmp / "replicates.parquet", index=False)

    write_directory(out, fill, flag="out", overwrite=overwrite, parents=True)
