"""Design from a design file: validate the tables, solve the design, check it by simulation if asked, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survtrial._repr import HtmlReprMixin

if TYPE_CHECKING:
    import pandas as pd

    from survtrial.design.design_file import DesignFile
    from survtrial.report.html import Report

__all__ = ["DesignFileResult", "design_file_result", "plan_from_file"]


@dataclass(frozen=True, repr=False)
class DesignFileResult(HtmlReprMixin):
    """A design file's design, its simulation check (or None) and its report.

    Attributes
    ----------
    file : DesignFile
    design : NphGroupSequentialDesign, MaxComboDesign or KaplanMeierContrastDesign
    check : DesignSimulationCheck or None
    report : Report
    """

    file: DesignFile
    design: Any
    check: Any
    report: Report

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables as the API's frames (what the CSVs hold), by name."""
        from survtrial.report.design_report import design_tables

        return {k: raw for k, (_, raw, _) in design_tables(self.design, self.file.time_unit, self.check).items()}

    def _html_tables(self) -> dict[str, pd.DataFrame]:
        tables = self.tables()
        keep = ("summary", "bounds", "simulation_check")
        return {k: tables[k] for k in keep if k in tables}

    def tlf_population(self) -> str:
        """The population line of the RTF and Word copies: the planned trial's subjects, allocation and events."""
        d, a = self.design, self.design.assumptions
        events = d.events if _is_fixed(d) else d.max_events
        return (f"Population: planned, {d.n_subjects:.1f} subjects randomized {a.allocation_ratio:g}:1 "
                f"(experimental:control), {events:.1f} expected events")

    def tlf_footnotes(self) -> list[str]:
        """Method, conventions and data-cut footnotes of the RTF and Word copies."""
        d, unit = self.design, self.file.time_unit
        if _is_fixed(d):
            method = (f"Method: {self.file.test.label} design, one analysis at {d.study_duration:g} {unit} from the "
                      f"start of enrolment, one-sided alpha {d.alpha:g}.")
        else:
            method = (f"Method: group-sequential design for the {d.statistic} test, {d.k} look(s), "
                      f"{'one' if d.sided == 1 else 'two'}-sided alpha {d.alpha:g}; planning assumptions as "
                      "piecewise tables of enrolment, failure and dropout rates; z > 0 favours the experimental "
                      "arm; hazard ratios experimental / control.")
        notes = [method, f"Times in {unit}."]
        if self.check is not None:
            notes.append(f"Check by simulation: {self.check.n_sims:,} trials per hypothesis, seed {self.check.seed}.")
        notes.append("Data cut: not applicable (a design, before any data).")
        return notes

    def to_rtf(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Every table and figure of the report as one RTF file (TLF conventions: title, population line,
        method footnote, page numbers); cells are the HTML report's. Written atomically."""
        return self.report.to_rtf(path, self.tlf_population(), self.tlf_footnotes(), overwrite=overwrite)

    def to_docx(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """As :meth:`to_rtf`, as a Word file."""
        return self.report.to_docx(path, self.tlf_population(), self.tlf_footnotes(), overwrite=overwrite)

    def __repr__(self) -> str:
        check = "" if self.check is None else f"; checked by {self.check.n_sims:,} simulated trials per hypothesis"
        return f"DesignFileResult({self.file.title or self.file.test.label!r}{check})\n{self.design!r}"


def plan_from_file(design: str | Path | dict[str, Any], *, check_by_simulation: int | None = None, seed: int = 1,
                   command: Any = None) -> DesignFileResult:
    """Read a design file (or mapping), solve the design, check it by simulation if asked, build its report.

    Parameters
    ----------
    design : path or mapping
        A design YAML in :mod:`survtrial.design.design_file`'s layout.
    check_by_simulation : int, optional
        Trials to simulate under H1 and under H0 (:func:`survtrial.simulate.design_check.check_by_simulation`).
    seed : int
        Seed of the simulation.
    command : optional
        The command line, for the report's provenance.

    Returns
    -------
    DesignFileResult

    Examples
    --------
    >>> res = plan_from_file("examples/design/aall1731_like_delayed.yaml")  # doctest: +SKIP
    """
    from survtrial.design.design_file import parse_design_file, read_design_file

    if isinstance(design, dict):
        f, source = parse_design_file(design, "design"), None
    else:
        f, source = read_design_file(design), str(design)
    d = f.solve()
    check = None
    if check_by_simulation is not None:
        from survtrial.simulate.design_check import check_by_simulation as run_check

        check = run_check(d, check_by_simulation, seed=seed, time_unit=f.time_unit)
    return design_file_result(f, d, check, command=command, source=source)


def design_file_result(file: DesignFile, design: Any, check: Any = None, *, command: Any = None,
                       source: str | None = None) -> DesignFileResult:
    """The result (and report) of a design file whose design is solved (``file.solve()``) and, if given,
    checked by simulation: what :func:`plan_from_file` returns, for callers that have the design already
    (the design explorer exports its report through it).

    Parameters
    ----------
    file : DesignFile
    design : NphGroupSequentialDesign, MaxComboDesign or KaplanMeierContrastDesign
        ``file.solve()``.
    check : DesignSimulationCheck, optional
    command, source : optional
        The command line and the design file's name, for the report's provenance.

    Examples
    --------
    >>> from survtrial.design.design_file import parse_design_file
    >>> f = parse_design_file({"time_unit": "months", "enroll_rate": [{"duration": 12, "rate": 20}],
    ...                        "fail_rate": [{"duration": ".inf", "fail_rate": 0.05, "hr": 0.6}],
    ...                        "power": 0.9, "looks": {"analysis_times": [24, 36]}})
    >>> res = design_file_result(f, f.solve())
    >>> res.tlf_population()[:40]
    'Population: planned, 244.1 subjects rand'
    """
    from survtrial.report.design_report import design_report

    rep = design_report(design, file.time_unit, title=file.title, check=check, command=command, source=source)
    return DesignFileResult(file=file, design=design, check=check, report=rep)


def _is_fixed(design: Any) -> bool:
    return hasattr(design, "tau") and hasattr(design, "kind")
