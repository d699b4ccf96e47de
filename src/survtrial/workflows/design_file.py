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

__all__ = ["DesignFileResult", "plan_from_file"]


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
    from survtrial.report.design_report import design_report

    if isinstance(design, dict):
        f, source = parse_design_file(design, "design"), None
    else:
        f, source = read_design_file(design), str(design)
    d = f.solve()
    check = None
    if check_by_simulation is not None:
        from survtrial.simulate.design_check import check_by_simulation as run_check

        check = run_check(d, check_by_simulation, seed=seed, time_unit=f.time_unit)
    rep = design_report(d, f.time_unit, title=f.title, check=check, command=command, source=source)
    return DesignFileResult(file=f, design=d, check=check, report=rep)
