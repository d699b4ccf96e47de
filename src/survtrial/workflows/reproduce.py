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
from survtrial._repr import HtmlReprMixin
from survtrial.analysis.trial import TrialAnalysis
from survtrial.errors import InputError
from survtrial.report._style import arm_colors
from survtrial.report.display import humanize
from survtrial.report.html import Report, provenance
from survtrial.report.plots import calibration_plot
from survtrial.report.trial_report import add_trial_sections
from survtrial.report.twin_tables import (
    accrual_table,
    at_risk_fit_table,
    calibrated_hazards_table,
    curve_targets_table,
    published_vs_twin_table,
    replicates_table,
)
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
class ReproduceResult(HtmlReprMixin):
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

    def _html_lines(self) -> list[str]:
        return [f"ReproduceResult({self.twin.title}, seed {self.seed})"]

    def _html_tables(self) -> dict[str, pd.DataFrame]:
        cols = [c for c in ("headline", "published", "published_lower", "published_upper", "twin", "difference")
                if c in self.comparison.columns]
        return {"published vs twin": self.comparison[cols]}

    def _html_figure(self) -> str:
        return self.analysis._html_figure()


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
    report.add_table(published_vs_twin_table(comparison), "Published figures (value, 95% CI and SE where "
                     "published; a CI from an SE alone is value \u00b1 1.96 SE, percents kept within 0-100) and "
                     "this twin, each in its unit", csv_name="published_vs_twin", data=comparison[cols])
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
        text = f"{len(reps)} independent twins (trials 0 to {len(reps) - 1} of seed {seed})."
        if "interim_stop" in reps.columns:
            stop = reps["interim_stop"].to_numpy(dtype=float)
            se = np.sqrt(stop.mean() * (1 - stop.mean()) / stop.size)
            text += (f" The interim analysis would have stopped the trial for efficacy in {100 * stop.mean():.1f}% "
                     f"of them (Monte-Carlo SE {100 * se:.1f}%).")
        report.add_text(text)
        cols = ["headline", "published", "published_lower", "published_upper", "twin_mean", "twin_sd",
                "twin_2.5%", "twin_97.5%", "published_inside_95%"]
        report.add_table(replicates_table(rep_cmp, 0.95), "Published value and the twins' distribution (mean, SD, "
                         "central 95%: the interval shaded in the figure below)",
                         csv_name="published_vs_twin_replicates", data=rep_cmp[cols])
        keys = [k for k in tw.headlines if k in reps.columns]
        titles = {k: textwrap.fill(humanize(h.label), 30) for k, h in tw.headlines.items()}
        def limit(v: float, unit: str) -> float | None:  # a percent's CI drawn within 0-100, as tabled
            return None if not np.isfinite(v) else (min(max(v, 0.0), 100.0) if unit == "%" else v)

        pub = {r.key: (r.published, limit(r.published_lower, r.unit), limit(r.published_upper, r.unit))
               for r in rep_cmp.itertuples(index=False)}
        fig = calibration_plot({k: reps[k].to_numpy() for k in keys}, {k: pub[k] for k in keys}, titles=titles,
                               interval=0.95)
        report.add_figure(fig, "Each headline across twins (histogram, central 95% shaded: the table's interval) "
                          "and the published value (line) with its 95% CI", name="calibration")
        if "curves" in reps.attrs:
            _add_curve_band(report, tw, reps, rep_cmp)
    add_trial_sections(report, analysis)
    report.add_section("Scenario")
    report.add_text(f"Scenario {sc.name} (digest {sc.digest}): {sc.description} Event hazards per stratum and "
                    "arm (piecewise constant), as calibrated from the scenario's targets; the scenario file names "
                    "the source of every number.")
    lm = tw.analysis.landmark
    hazards = _hazard_table(sc, lm)
    report.add_table(calibrated_hazards_table(hazards),
                     f"Calibrated {tw.primary_endpoint} hazards per year, by time from randomization in years, and "
                     f"the {lm:g}-year survival they give", csv_name="calibrated_hazards", data=hazards)
    cal = sc.calibrated
    if cal.curve_fit is not None:
        solved = ", ".join(f"{k} = {v:.3g}" for k, v in cal.parameters.items()) or "none"
        targets = cal.curve_fit.to_frame()
        report.add_table(curve_targets_table(targets), "Curve targets of the scenario: published value and SE, the "
                         f"calibrated model's value, residual in SEs (solved parameters: {solved})",
                         csv_name="curve_targets", data=targets)
    if cal.accrual_fit is not None:
        pieces, at_risk = cal.accrual_fit.to_frame("pieces"), cal.accrual_fit.to_frame("at_risk")
        report.add_table(accrual_table(pieces), "Accrual solved from the published numbers at risk (patients per "
                         "year in each piece)", csv_name="accrual", data=pieces)
        report.add_table(at_risk_fit_table(at_risk), "Numbers at risk at each year from randomization: published and "
                         "expected under the solved accrual", csv_name="numbers_at_risk_fit", data=at_risk)
    return report


def _add_curve_band(report: Report, tw: TwinSpec, reps: pd.DataFrame, rep_cmp: pd.DataFrame) -> None:
    """The twins' primary-endpoint curves (median and central 90%) with the published landmarks (the
    twin's survival headlines without a stratum), and the published numbers at risk beside the twins'."""
    from survtrial.report.plots import twin_band_plot

    ep = tw.primary_endpoint
    points: dict[str, list[tuple[float, float, float]]] = {}
    for h in tw.headlines.values():
        if h.kind == "survival" and h.stratum is None and tw.endpoint_of(h) == ep and h.published.se is not None:
            points.setdefault(h.arm, []).append((float(h.at), h.published.value / 100, h.published.se / 100))
    keys = [k for k, h in tw.headlines.items() if h.kind == "at_risk" and tw.endpoint_of(h) == ep]
    mean = rep_cmp.set_index("key")["twin_mean"]
    at_risk: dict[str, list[tuple[float, float, float]]] = {}
    for k in keys:
        h = tw.headlines[k]
        at_risk.setdefault(h.arm, []).append((float(h.at), float(h.published.value), float(mean[k])))
    label = tw.endpoints[ep].label or ep
    fig = twin_band_plot(reps.attrs["curves"], points, at_risk=at_risk, arm_labels=dict(tw.arms.labels or {}),
                         ylabel=f"{label[:1].upper()}{label[1:]} (%)",
                         colors=arm_colors([tw.arms.control, tw.arms.experimental]))
    report.add_figure(fig, f"{ep} over {len(reps)} twins: Kaplan-Meier median (line) and central 90% (band) per "
                      "arm, time in years; published landmarks with their 95% CI (points); under the axes the "
                      "published numbers at risk and the twins' mean", name="twin_curve_band")
    if keys:
        rows = rep_cmp[rep_cmp["key"].isin(keys)]
        cols = ["headline", "published", "twin_mean", "twin_2.5%", "twin_97.5%"]
        report.add_table(replicates_table(rows, 0.95).drop(columns="Published inside"),
                         "Numbers at risk: published and the twins' mean and central 95%", csv_name="numbers_at_risk",
                         data=rows[cols])


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
    seed : the run's seed; the detailed twin (data + report) is trial 0 of the simulation engine's
        run with this seed, replicate ``i`` its trial ``i - 1`` (the same patients under any design).
    replicates : number of twins for the calibration section (1 = the single detailed twin only).
    workers : processes for the replicates (default: up to 2); results do not depend on it.
    out : directory to write ``report.html``, ``figures/``, ``tables/``, ``patients.parquet``
        (and ``replicates.parquet``, ``replicate_curves.parquet``); written atomically (nothing
        half-written is left behind).
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
    patients = simulate_trial(sc, seed=int(seed))
    analysis = analyse_twin(patients, tw, detailed=True)
    comparison = compare_with_published(tw, twin_headlines(analysis, patients, tw))
    interim = interim_decision(analysis, tw.interim_analysis) if tw.interim_analysis is not None else {}
    reps = rep_cmp = None
    if replicates > 1:
        reps = run_replicates(tw, scenario=sc, replicates=replicates, seed=int(seed), workers=workers,
                              progress=progress, curves=True)
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
            rows = reps.copy()
            rows.attrs = {}
            rows.to_parquet(tmp / "replicates.parquet", index=False)
            if "curves" in reps.attrs:
                reps.attrs["curves"].to_parquet(tmp / "replicate_curves.parquet", index=False)

    write_directory(out, fill, flag="out", overwrite=overwrite, parents=True)
