"""The design explorer's inputs as one frozen object, and the design they give (survtrial.design API)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from survtrial.errors import InputError

__all__ = [
    "ALPHA_SPENDING_CHOICES",
    "BETA_SPENDING_CHOICES",
    "FIELDS",
    "MAXCOMBO_CHOICES",
    "TESTS",
    "DesignInputs",
    "build_design",
    "default_inputs",
    "error_field",
    "parse_fractions",
]

#: Test choices: label shown -> key.
TESTS = {"logrank": "Log-rank (average hazard ratio)", "fh": "Fleming-Harrington FH(rho, gamma)",
         "maxcombo": "MaxCombo"}
MAXCOMBO_CHOICES = ("fh(0, 0)", "fh(0, 0.5)", "fh(0.5, 0)", "fh(0.5, 0.5)", "fh(1, 0)", "fh(0, 1)")
ALPHA_SPENDING_CHOICES = ("OF", "P", "HSD(-4)", "HSD(-2)", "HSD(1)", "KD(2)", "KD(3)")
BETA_SPENDING_CHOICES = ("none", "OF", "P", "HSD(-4)", "HSD(-2)", "HSD(1)", "KD(2)")
#: The fields an error message can point at (each has a message slot beside it in the page).
FIELDS = ("enroll", "fail", "test", "levels", "looks", "spending", "design")
ENROLL_COLUMNS = ("duration", "rate")
FAIL_COLUMNS = ("duration", "fail_rate", "hr", "dropout_rate")
FAIL_COLUMNS_MEDIAN = ("duration", "control_median", "hr", "dropout_rate")


@dataclass(frozen=True)
class DesignInputs:
    """What the design panel holds: the assumption tables and the design's settings.

    ``enroll`` rows are ``{duration, rate}`` (subjects per time unit, both arms); ``fail`` rows are
    ``{duration, fail_rate or control_median, hr, dropout_rate}`` (control hazard per time unit, or
    its median when ``control_as == "median"``). ``fractions`` are the looks' event (H0
    information) fractions ending at 1; ``final_time`` is the final look's calendar time.
    """

    enroll: tuple[Mapping[str, Any], ...]
    fail: tuple[Mapping[str, Any], ...]
    control_as: str = "fail_rate"
    allocation_ratio: float = 1.0
    test: str = "logrank"
    rho: float = 0.0
    gamma: float = 0.5
    combo_tests: tuple[str, ...] = ("fh(0, 0)", "fh(0, 0.5)", "fh(0.5, 0)")
    alpha: float = 0.025
    power: float = 0.9
    sided: int = 1
    final_time: float = 36.0
    fractions: tuple[float, ...] = (0.5, 1.0)
    alpha_spending: str = "OF"
    beta_spending: str = "none"
    binding_futility: bool = False
    time_unit: str = "months"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> DesignInputs:
        """A copy with some inputs changed."""
        return replace(self, **changes)


def default_inputs() -> DesignInputs:
    """gsDesign2's default tables (a delayed effect: HR 0.9 for 3 months, 0.6 after), two looks, 36 months."""
    ln2 = math.log(2)
    return DesignInputs(
        enroll=({"duration": 2.0, "rate": 3.0}, {"duration": 2.0, "rate": 6.0}, {"duration": 10.0, "rate": 9.0}),
        fail=({"duration": 3.0, "fail_rate": round(ln2 / 9, 6), "hr": 0.9, "dropout_rate": 0.001},
              {"duration": math.inf, "fail_rate": round(ln2 / 18, 6), "hr": 0.6, "dropout_rate": 0.001}),
    )


def parse_fractions(text: Any) -> tuple[float, ...]:
    """Information fractions from text such as ``"0.5, 0.75, 1"`` (InputError naming the entry)."""
    if isinstance(text, (list, tuple)):
        parts = list(text)
    else:
        parts = [p for p in re.split(r"[,;\s]+", str(text).strip()) if p]
    if not parts:
        raise InputError("looks: no information fractions; give e.g. 0.5, 1 (the last must be 1)")
    out = []
    for i, p in enumerate(parts):
        try:
            out.append(float(p))
        except (TypeError, ValueError):
            raise InputError(f"looks: entry {i + 1} ({p!r}) is not a number; give fractions such as 0.5, 1") from None
    return tuple(out)


def _fail_table(inputs: DesignInputs) -> dict[str, list[Any]]:
    """The failure table in the design API's columns, checked as a design file's (a median column becomes the
    hazard log(2)/median: :func:`survtrial.design.design_file.failure_rows`)."""
    from survtrial.design.design_file import failure_rows

    rows = failure_rows(inputs.fail)
    return {c: [r.get(c) for r in rows] for c in FAIL_COLUMNS}


def design_call(inputs: DesignInputs) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The design API call the inputs stand for: (function name, assumption tables, keyword arguments).

    The same call is made by :func:`build_design`, written by the Python export and the YAML export,
    so the three cannot disagree.
    """
    enroll = {c: [r.get(c) for r in inputs.enroll] for c in ENROLL_COLUMNS}
    tables = {"enroll_rate": enroll, "fail_rate": _fail_table(inputs), "allocation_ratio": inputs.allocation_ratio}
    kw: dict[str, Any] = {
        "analysis_times": inputs.final_time,
        "information_fractions": list(inputs.fractions),
        "alpha": inputs.alpha,
        "power": inputs.power,
        "alpha_spending": inputs.alpha_spending,
    }
    if inputs.beta_spending and inputs.beta_spending != "none":
        kw["beta_spending"] = inputs.beta_spending
        kw["binding_futility"] = bool(inputs.binding_futility)
    if inputs.test == "maxcombo":
        if inputs.sided != 1:
            raise InputError("test: MaxCombo designs are one-sided; choose sided 1")
        if len(inputs.combo_tests) < 2:
            raise InputError(f"test: MaxCombo needs at least two tests, {len(inputs.combo_tests)} chosen; tick two or "
                             "more")
        return "maxcombo_design", tables, {"tests": list(inputs.combo_tests), **kw}
    kw["sided"] = inputs.sided
    if inputs.test == "fh":
        return "weighted_logrank_design", tables, {"weight": f"fh({inputs.rho:g}, {inputs.gamma:g})", **kw}
    if inputs.test != "logrank":
        raise InputError(f"test: {inputs.test!r} is not one of {', '.join(TESTS)}")
    return "ahr_design", tables, kw


def build_design(inputs: DesignInputs) -> Any:
    """The design of the inputs: :func:`~survtrial.design.ahr_design`,
    :func:`~survtrial.design.weighted_logrank_design` or :func:`~survtrial.design.maxcombo_design`.

    Raises InputError (from the design API's own validation) for bad input.

    Examples
    --------
    >>> d = build_design(default_inputs())
    >>> d.statistic, round(d.power, 3)
    ('log-rank (AHR)', 0.9)
    """
    import survtrial.design as design

    name, tables, kw = design_call(inputs)
    if any(f <= 0 for f in inputs.fractions) or not math.isclose(inputs.fractions[-1], 1.0):
        raise InputError(f"looks: information fractions {list(inputs.fractions)} must be > 0, increasing and end at 1")
    assumptions = design.design_assumptions(tables["enroll_rate"], tables["fail_rate"],
                                            allocation_ratio=tables["allocation_ratio"])
    return getattr(design, name)(assumptions, **kw)


# Which field an InputError belongs beside, by what the message names first.
_FIELD_PATTERNS = (
    ("enroll", (r"'enroll_rate'", r"^enroll")),
    ("fail", (r"'fail_rate'", r"control_median", r"follow-up")),
    ("test", (r"^test", r"weight", r"MaxCombo", r"\bfh\(")),
    ("levels", (r"^alpha", r"^power", r"^beta\b", r"^sided", r"allocation_ratio")),
    ("spending", (r"spending", r"futility")),
    ("looks", (r"^looks", r"information_fraction", r"analysis_time", r"look")),
)


def error_field(message: str) -> str:
    """The input an error message is about (one of :data:`FIELDS`); ``"design"`` when none is named."""
    for name, patterns in _FIELD_PATTERNS:
        if any(re.search(p, message, re.IGNORECASE) for p in patterns):
            return name
    return "design"


def rows_from_frame(frame: Any, columns: Sequence[str]) -> tuple[dict[str, Any], ...]:
    """Rows of an edited grid (pandas frame of strings or numbers) as dicts of the given columns.

    Cells stay as typed (strings included) so that the design API's validation names the bad cell.
    """
    out = []
    for rec in frame.to_dict("records"):
        row = {}
        for c in columns:
            v = rec.get(c)
            if isinstance(v, str):
                s = v.strip()
                if s.lower() in ("inf", "infinity", "∞"):
                    v = math.inf
                else:
                    try:
                        v = float(s)
                    except ValueError:
                        v = s
            elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                v = float(v)
            row[c] = v
        out.append(row)
    return tuple(out)
