"""`survtrial design design.yaml` with tables: print the design (every time with its unit), write its report."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from survtrial.cli._output import check_output_dir
from survtrial.errors import InputError

__all__ = ["TEMPLATE", "is_table_file", "print_template", "run_design_file"]

TEMPLATE = "design_template.yaml"


def _template_text() -> str:
    from importlib.resources import files

    return files("survtrial.design").joinpath(TEMPLATE).read_text(encoding="utf-8")


def print_template() -> None:
    """The commented template of a design file, on standard output."""
    sys.stdout.write(_template_text())


def is_table_file(path: Path) -> bool:
    """True when the design file holds the tables (enroll_rate / fail_rate) rather than keyword keys."""
    from survtrial._yaml import read_yaml
    from survtrial.design.design_file import is_design_file

    return is_design_file(read_yaml(path, "design file"))


def _console():
    from rich.console import Console

    con = Console(highlight=False)
    return con if con.is_terminal else Console(highlight=False, width=160)


def _amount(x: float, unit: str) -> str:
    return f"{x:g} {unit[:-1] if x == 1 else unit}"


def _f(x: Any, d: int) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{d}f}"


def render(res: Any) -> None:
    """Headline numbers, the assumptions echoed with their unit, the look table and the simulation check."""
    from rich.table import Table

    f, d, unit = res.file, res.design, res.file.time_unit
    con = _console()
    con.print(f"[bold]{f.title or 'Trial design'}[/bold] ({f.test.label})")
    a = f.assumptions
    per = unit[:-1]
    enrol = "; ".join(f"{s.name}: " + ", ".join(f"{r:.4g}/{per} for {_amount(x, unit)}" for x, r in
                                                 zip(s.enroll_duration, s.enroll_rate, strict=True))
                      for s in a.strata)
    con.print(f"  time unit: {unit}; allocation {a.allocation_ratio:g}:1")
    con.print(f"  enrolment as given (the design scales the rates): {enrol}")
    for s in a.strata:
        starts = s.fail_starts
        parts = [f"{t0:g}-{t0 + x:g} {unit}" if math.isfinite(x) else f"from {_amount(t0, unit)}"
                 for t0, x in zip(starts, s.fail_duration, strict=True)]
        con.print(f"  {s.name}: " + "; ".join(
            f"{p}: control hazard {h:.4g}/{per}, HR {hr:g}, dropout {q:.4g}/{per}"
            for p, h, hr, q in zip(parts, s.control_hazard, s.hazard_ratio, s.dropout_hazard, strict=True)))
    if f.test.kind in ("rmst", "milestone"):
        con.print(f"  {d.kind} at {d.tau:g} {unit}, analysis at {d.study_duration:g} {unit}: subjects "
                  f"{d.n_subjects:.1f}, events {d.events:.1f}, difference {d.difference:.4g} (SE "
                  f"{d.standard_error:.4g}), power {d.power:.4f}, one-sided alpha {d.alpha:g}")
    else:
        h1, dur = d.expected_subjects, d.expected_duration
        con.print(f"  subjects {d.n_subjects:.1f}, events {d.max_events:.1f}, final look at {d.time[-1]:.2f} {unit}; "
                  f"power {d.power:.4f}, {'one' if d.sided == 1 else 'two'}-sided alpha {d.alpha:g}")
        con.print(f"  expected subjects {h1[0]:.1f} (H1) / {h1[1]:.1f} (H0); expected duration {dur[0]:.2f} / "
                  f"{dur[1]:.2f} {unit}")
        frame = d.to_frame()
        low = "futility_z" if d.sided == 1 else "lower_z"
        cols = [("look", "Look", 0), ("time", f"Time ({unit})", 2), ("n", "Subjects", 1), ("events", "Events", 1),
                ("ahr", "AHR", 3), ("efficacy_z", "Efficacy z", 3), ("efficacy_hr", "Efficacy HR", 2),
                (low, "Futility z" if d.sided == 1 else "Lower z", 3), ("upper_h1", "Eff. H1", 4),
                ("lower_h1", "Fut. H1" if d.sided == 1 else "Lower H1", 4), ("upper_h0", "Eff. H0", 4),
                ("cumulative_power", "Cum. power", 4), ("cumulative_alpha", "Cum. alpha", 4)]
        cols = [c for c in cols if c[0] in frame.columns and frame[c[0]].notna().any()]
        table = Table(caption="z > 0 favours the experimental arm; HR = experimental / control; probabilities of "
                      "first crossing at each look")
        for _, label, _ in cols:
            table.add_column(label, justify="right")
        for rec in frame.to_dict(orient="records"):
            table.add_row(*(str(rec[c]) if n == 0 else _f(float(rec[c]), n) for c, _, n in cols))
        con.print(table)
    if res.check is not None:
        c = res.check
        a_, s_, se = c.power
        table = Table(caption=f"{c.n_sims:,} simulated trials per hypothesis, seed {c.seed}; {c.n_subjects} subjects, "
                      f"looks at {', '.join(map(str, c.events))} events; MC SE at the analytic probability")
        for label in ("Hypothesis", "Quantity", "Look", "Analytic", "Simulated", "MC SE", "Diff. (SE)"):
            table.add_column(label, justify="left" if label in ("Hypothesis", "Quantity") else "right")
        for rec in c.table.to_dict(orient="records"):
            table.add_row(rec["hypothesis"], rec["quantity"], rec["look"], _f(rec["analytic"], 4),
                          _f(rec["simulated"], 4), _f(rec["mc_se"], 4), _f(rec["difference_se"], 2))
        con.print(f"  check by simulation: power analytic {a_:.4f}, simulated {s_:.4f} (MC SE {se:.4f})")
        con.print(table)


def run_design_file(path: Path, *, out: Path | None, overwrite: bool, check: int | None, seed: int,
                    flags: list[str], formats: list[str] = ()) -> None:
    """Validate, solve, print and (with ``out``) write the report, and its RTF / Word copies for ``formats``
    ("rtf", "docx"); InputError before anything is written."""
    from survtrial._tlf import fill
    from survtrial.workflows.design_file import plan_from_file

    if flags:
        raise InputError(f"{', '.join(flags)}: a design file with tables holds the whole design; set these in "
                         f"{str(path)!r} (see survtrial design --template)")
    if out is not None:
        check_output_dir(out, overwrite=overwrite)
    res = plan_from_file(path, check_by_simulation=check, seed=seed, command=sys.argv)
    render(res)
    if out is not None:
        tlf = res.report.tlf(res.tlf_population(), res.tlf_footnotes()) if formats else None
        files = res.report.write(out, "report.html", overwrite=overwrite,
                                 extra={f"report.{k}": fill(tlf, k) for k in formats})
        copies = "".join(f", report.{k}" for k in formats)
        _console().print(f"wrote {files.html} ({len(files.tables)} tables as CSV, {len(files.figures)} figure "
                         f"files{copies})")
