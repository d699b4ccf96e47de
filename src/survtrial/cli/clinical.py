"""CLI for the AALL1731 patient side: `classify`, `benefit` (group or cohort) and `calendar`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from survtrial.cli._app import app, fail
from survtrial.cli._output import Overwrite, check_output_dir, check_output_file, write_file, write_outputs
from survtrial.errors import InputError

DRAW_BYTES = 96  # per bootstrap draw: two normal draws, the difference, the HR and a sorted copy (float64)
CHILD_BYTES = 5000  # per synthetic child: cohort row, assessment, output frames (measured 4.4 kB at 40,000)


def _console():
    from rich.console import Console

    return Console(highlight=False)


# Python argument names that the clinical functions put in their messages -> this CLI's flags.
_FLAGS = {"level": "--level", "method": "--method", "risk_group": "--group", "n_draws": "--draws",
          "bag_hours": "--bag-hours", "start": "--start", "arm": "--arm", "sex": "--sex",
          "infusion_start": "--infusion-start", "distance_km": "--distance-km", "speed_kmh": "--speed-kmh",
          "n": "--synthetic", "rules": "--rules"}


def _in_flags(err: InputError) -> InputError:
    """The message with a leading ``name=value`` argument written as the flag that set it."""
    import re

    text = re.sub(r"^([a-z_]+)=", lambda m: f"{_FLAGS[m.group(1)]} " if m.group(1) in _FLAGS else m.group(0),
                  str(err))
    return InputError(text)


def _group_table(benefits) -> None:
    from rich.table import Table

    t = Table(title="AALL1731: 3-year DFS, chemotherapy alone vs with blinatumomab (first interim)")
    for col in ("group", "chemo %", "blina %", "gain, points (CI)", "NNT (CI)", "HR (CI)"):
        t.add_column(col)
    for b in benefits:
        if not b.established:
            t.add_row(b.risk_group, "-", "-", "not randomized", "benefit not established", "-")
            continue
        lo, hi = b.difference_ci
        t.add_row(
            b.risk_group,
            f"{b.dfs_chemo:.1f} ± {b.se_chemo:.1f}",
            f"{b.dfs_blina:.1f} ± {b.se_blina:.1f}",
            f"{b.difference:+.1f} ({lo:.1f} to {hi:.1f})",
            str(b.nnt),
            f"{b.hr:.2f} ({b.hr_ci[0]:.2f}-{b.hr_ci[1]:.2f})" + ("" if b.risk_group == "all" else "*"),
        )
    con = _console()
    con.print(t)
    con.print("HR for all randomized: published (stratified Cox). *Risk groups: HR implied by the two 3-year DFS "
              "values under proportional hazards (no published group HR).")


def _children_table(frame, limit: int) -> None:
    """One row per child: eligibility, risk group, randomization (and what a blank value blocks)."""
    from rich.table import Table

    t = Table(title="Each child", title_justify="left")
    for col in ("patient_id", "eligible", "risk group", "randomized", "classification", "needs"):
        t.add_column(col)
    import pandas as pd

    def yes_no(v) -> str:
        return "?" if v is None or pd.isna(v) else ("yes" if bool(v) else "no")

    def text(v) -> str:
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

    for r in frame.head(limit).itertuples(index=False):
        t.add_row(str(r.patient_id), yes_no(r.eligible), text(r.risk_group) or "-", yes_no(r.randomized),
                  text(r.classification), text(r.needs))
    con = _console()
    con.print(t)
    if len(frame) > limit:
        con.print(f"... {len(frame) - limit} more children not shown (--max-rows {len(frame)} shows them; "
                  "--out FILE writes every child)")


def _summary_table(summary) -> None:
    from rich.table import Table

    t = Table(title=f"Cohort of {summary.n} children")
    t.add_column("measure")
    t.add_column("value", justify="right")
    for _, row in summary.to_frame().iterrows():
        v = row["value"]
        t.add_row(row["measure"], f"{v:.0f}" if row["measure"] == "children" else
                  (f"{v:.1%}" if row["measure"].startswith("share") else f"{v:.2f}"))
    _console().print(t)


def _load_cohort(cohort: Path | None, synthetic: int | None, seed: int, include_high_risk: bool):
    from survtrial.clinical.cohort import read_cohort
    from survtrial.clinical.population import synthetic_cohort

    if cohort is not None and synthetic is not None:
        raise InputError("give a cohort file or --synthetic N, not both")
    if synthetic is not None:
        return synthetic_cohort(synthetic, rng=seed, include_nci_high_risk=include_high_risk), True
    if cohort is None:
        return None, False
    return read_cohort(cohort), False


@app.command()
def classify(
    cohort: Annotated[Path, typer.Argument(help="Cohort file (.csv or .parquet), one row per child.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the per-child classification CSV here.")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="A corrected copy of rules.yaml to apply.")] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Children listed on screen (all go to --out).")] = 200,
    overwrite: Overwrite = False,
) -> None:
    """Classify each child: eligibility, AALL1731 risk group, randomization, and the rules that fired."""
    from survtrial.clinical.cohort import assess_cohort

    try:
        if max_rows < 0:
            raise InputError(f"--max-rows must be >= 0, got {max_rows}")
        if out is not None:
            check_output_file(out, overwrite=overwrite)
        a = assess_cohort(_load_cohort(cohort, None, 0, False)[0], rules=rules)
        frame = a.to_frame()
        cols = [*frame.columns[:11], "eligible", "risk_group", "randomized", "arms", "classification", "needs",
                "rules"]
        if out is not None:
            write_file(out, lambda p: frame[cols].to_csv(p, index=False), overwrite=overwrite)
    except InputError as err:
        fail(_in_flags(err))
    if max_rows:
        _children_table(frame, max_rows)
    _summary_table(a.summary)
    if out is not None:
        _console().print(f"wrote {out}")


@app.command()
def benefit(
    cohort: Annotated[
        Path | None, typer.Argument(help="Cohort file (.csv or .parquet); omit for the group table.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output directory for cohort mode.")] = None,
    group: Annotated[str | None, typer.Option("--group", help="Only this group: all, SR-Avg, SR-High, SR-Fav.")] = None,
    level: Annotated[float, typer.Option("--level", help="Confidence level.")] = 0.95,
    method: Annotated[str, typer.Option("--method", help="normal (published SEs) or bootstrap.")] = "normal",
    draws: Annotated[int, typer.Option("--draws", help="Bootstrap draws.")] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="Seed for --method bootstrap and --synthetic.")] = 2025,
    synthetic: Annotated[
        int | None, typer.Option("--synthetic", help="Use N synthetic children instead of a file.")
    ] = None,
    include_high_risk: Annotated[
        bool,
        typer.Option(
            "--include-high-risk", help="Synthetic population of all B-ALL aged 1-18, not only NCI standard risk."
        ),
    ] = False,
    rules: Annotated[Path | None, typer.Option("--rules", help="A corrected copy of rules.yaml to apply.")] = None,
    overwrite: Overwrite = False,
) -> None:
    """Absolute benefit of blinatumomab: per group, or per child of a cohort with a summary and chart."""
    from survtrial._limits import check_count, check_memory
    from survtrial.clinical.benefit import GROUPS, absolute_benefit
    from survtrial.clinical.cohort import assess_cohort

    try:
        check_count(seed, "--seed", minimum=0)
        check_count(draws, "--draws", minimum=1)
        check_memory("--draws", draws, DRAW_BYTES, what="the bootstrap draws")
        if synthetic is not None:
            check_count(synthetic, "--synthetic", minimum=1)
            check_memory("--synthetic", synthetic, CHILD_BYTES, what="the synthetic children and their assessment")
        if out is not None and (cohort is not None or synthetic is not None):
            check_output_dir(out, overwrite=overwrite)
        data, is_synthetic = _load_cohort(cohort, synthetic, seed, include_high_risk)
        if data is None:
            groups = [group] if group else list(GROUPS)
            _group_table([absolute_benefit(g, level=level, method=method, n_draws=draws, rng=seed) for g in groups])
            return
        if out is None:
            raise InputError("cohort mode needs --out DIR for the per-child table, summary and chart")
        a = assess_cohort(data, rules=rules, level=level)
        writers = _cohort_writers(a, data if is_synthetic else None, level, method, draws, seed)
        write_outputs(out, writers, overwrite=overwrite)
    except InputError as err:
        fail(_in_flags(err))
    _summary_table(a.summary)
    _console().print(f"wrote {out}/ ({', '.join(writers)})")


def _cohort_writers(a, synthetic_frame, level, method, draws, seed) -> dict:
    import pandas as pd

    from survtrial.clinical.benefit import GROUPS, absolute_benefit
    from survtrial.report._style import figure_bytes
    from survtrial.report.benefit_chart import benefit_chart

    groups = pd.concat(
        [absolute_benefit(g, level=level, method=method, n_draws=draws, rng=seed).to_frame() for g in GROUPS]
    )
    fig = benefit_chart(a)
    summary = a.summary
    meta = {
        "children": summary.n,
        "counts": summary.counts,
        "share_eligible": summary.share_eligible,
        "share_eligible_for_blinatumomab": summary.share_randomized,
        "dfs_events_prevented_per_100_treated": summary.benefit_per_100_treated,
        "ci": list(summary.benefit_per_100_treated_ci),
        "level": level,
        "source": "AALL1731 first interim analysis, N Engl J Med 2025;392:875-891",
    }
    writers = {
        "patients.csv": lambda p: a.to_frame().to_csv(p, index=False),
        "summary.csv": lambda p: summary.to_frame().to_csv(p, index=False),
        "summary.json": lambda p: p.write_text(json.dumps(meta, indent=2) + "\n"),
        "groups.csv": lambda p: groups.to_csv(p, index=False),
        "benefit.png": lambda p: p.write_bytes(figure_bytes(fig, "png")),
        "benefit.svg": lambda p: p.write_bytes(figure_bytes(fig, "svg")),
    }
    if synthetic_frame is not None:
        writers["synthetic_cohort.csv"] = lambda p: synthetic_frame.to_csv(p, index=False)
    return writers


@app.command()
def calendar(
    start: Annotated[str, typer.Option("--start", help="First day of Induction, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (calendar.csv, phases.csv, calendar.ics).")],
    arm: Annotated[str | None, typer.Option("--arm", help="A, B, C, D or SR-Fav.")] = None,
    cohort: Annotated[Path | None, typer.Option("--cohort", help="Cohort file to take the child from.")] = None,
    patient_id: Annotated[str | None, typer.Option("--patient-id", help="The child's patient_id in --cohort.")] = None,
    chemotherapy_only: Annotated[
        bool, typer.Option("--chemotherapy-only", help="With --cohort: the arm without blinatumomab.")
    ] = False,
    sex: Annotated[str | None, typer.Option("--sex", help="M or F (sets the length of therapy).")] = None,
    bag_hours: Annotated[
        int, typer.Option("--bag-hours", help="Infusion bag duration: 24, 48, 72, 96 or 168 hours.")
    ] = 96,
    infusion_start: Annotated[
        str, typer.Option("--infusion-start", help="Clock time the infusions start, HH:MM.")
    ] = "10:00",
    home_nursing: Annotated[bool, typer.Option("--home-nursing", help="Bag changes at home by a nurse.")] = False,
    distance_km: Annotated[
        float, typer.Option("--distance-km", help="One-way distance to the treatment centre.")
    ] = 0.0,
    speed_kmh: Annotated[float, typer.Option("--speed-kmh", help="Average travel speed.")] = 60.0,
    overwrite: Overwrite = False,
) -> None:
    """Treatment calendar of an AALL1731 arm: phases, bag changes, visits, travel; CSV and .ics."""
    from survtrial.clinical.calendar import treatment_calendar
    from survtrial.clinical.cohort import read_cohort
    from survtrial.clinical.patient import validate_records

    try:
        check_output_dir(out, overwrite=overwrite)
        patient = None
        if cohort is not None or patient_id is not None:
            if cohort is None or patient_id is None:
                raise InputError("--cohort and --patient-id go together")
            records = validate_records(read_cohort(cohort))
            match = [r for r in records if r["patient_id"] == patient_id]
            if not match:
                raise InputError(f"--patient-id {patient_id!r} not found in {str(cohort)!r}")
            patient = match[0]
        cal = treatment_calendar(
            start, arm=arm, patient=patient, blinatumomab=not chemotherapy_only, sex=sex, bag_hours=bag_hours,
            infusion_start=infusion_start, home_nursing=home_nursing, distance_km=distance_km, speed_kmh=speed_kmh,
        )
        write_outputs(out, {
            "calendar.csv": lambda p: cal.to_frame().to_csv(p, index=False),
            "phases.csv": lambda p: cal.phases_frame().to_csv(p, index=False),
            "calendar.ics": lambda p: p.write_bytes(cal.to_ics()),
        }, overwrite=overwrite)
    except InputError as err:
        fail(_in_flags(err))
    from rich.table import Table

    t = Table(title=f"AALL1731 arm {cal.arm} ({cal.arm_note}) from {cal.start}")
    t.add_column("phase")
    t.add_column("start")
    t.add_column("end")
    t.add_column("days", justify="right")
    for p in cal.phases:
        t.add_row(p.title, p.start.isoformat(), p.end.isoformat(), str(p.days))
    con = _console()
    con.print(t)
    con.print(
        f"blinatumomab: {cal.infusion_days} infusion days, {cal.bags} bags of {cal.bag_hours} h, "
        f"{cal.bag_changes} bag changes, {cal.inpatient_days} days in hospital\n"
        f"visits: {cal.clinic_visits} clinic, {cal.home_visits} home; trips {cal.trips} "
        f"({cal.blinatumomab_trips} for blinatumomab)"
        + (f"\ntravel: {cal.travel_km:.0f} km, {cal.travel_hours:.1f} h "
           f"(blinatumomab: {cal.blinatumomab_travel_km:.0f} km, {cal.blinatumomab_travel_hours:.1f} h)"
           if cal.distance_km else "")
    )
    con.print(f"wrote {out}/ (calendar.csv, phases.csv, calendar.ics)")
