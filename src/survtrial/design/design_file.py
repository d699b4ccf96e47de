"""A design file: planning assumptions as tables, the test, error rates, looks and spending, validated into one object.

The YAML layout (``survtrial design design.yaml``; the tables take gsDesign2's names)::

    title: AALL1731-like, delayed effect
    time_unit: years                       # of every duration, rate and time below; required
    allocation_ratio: 1                    # experimental per control subject
    enroll_rate:                           # calendar periods from the start of enrolment (both arms)
      - {duration: 1, rate: 100}
      - {duration: 4, rate: 330}
    fail_rate:                             # periods of time since randomisation (per stratum)
      - {duration: 1, fail_rate: 0.043, hr: 0.8, dropout_rate: 0.01}
      - {duration: .inf, control_median: 16.1, hr: 0.3, dropout_rate: 0.01}
    test: logrank                          # or fh(0, 0.5), mb(t*=1), maxcombo(logrank, fh(0, 0.5)), rmst(4)
    alpha: 0.025
    sided: 1
    power: 0.9                             # solve the sample size; omit it for the power of the tables' enrolment
    looks: {analysis_times: [7], information_fractions: [0.5, 0.75, 1]}
    efficacy: {spending: OF}
    futility: {spending: OF, binding: false}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from survtrial.design.nph_assumptions import ENROLL_TABLE, FAIL_TABLE, DesignAssumptions, design_assumptions
from survtrial.errors import InputError

__all__ = ["DesignFile", "TestChoice", "failure_rows", "is_design_file", "parse_design_file", "read_design_file"]

KEYS = ("title", "time_unit", "allocation_ratio", "enroll_rate", "fail_rate", "test", "alpha", "sided", "power",
        "looks", "efficacy", "futility", "study_duration")
LOOK_KEYS = ("events", "information_fractions", "analysis_times", "rule", "study_duration")
EFFICACY_KEYS = ("spending", "bounds")
FUTILITY_KEYS = ("spending", "bounds", "binding", "beta")
_FAIL_COLUMNS = ("stratum", "duration", "fail_rate", "control_median", "hr", "dropout_rate")
_RULES = {"later": "later", "all": "later", "earlier": "earlier", "first": "earlier"}
_CALL = re.compile(r"^\s*([A-Za-z_-]+)\s*\((.*)\)\s*$", re.S)


def is_design_file(data: Any) -> bool:
    """True for a mapping in this module's layout (it has the tables), as opposed to keyword design keys."""
    return isinstance(data, Mapping) and any(k in data for k in ("enroll_rate", "fail_rate"))


@dataclass(frozen=True)
class TestChoice:
    """The test a design is for: ``kind`` in ahr (log-rank), wlr, maxcombo, rmst, milestone.

    ``weights``: the weighted log-rank weight(s) (``WlrWeight``); ``tau``: the RMST horizon or the
    milestone time (time since randomisation).
    """

    kind: str
    weights: tuple[Any, ...] = ()
    tau: float | None = None

    @property
    def label(self) -> str:
        if self.kind == "ahr":
            return "log-rank (AHR)"
        if self.kind == "wlr":
            return self.weights[0].label
        if self.kind == "maxcombo":
            return "MaxCombo (" + ", ".join(w.label for w in self.weights) + ")"
        return f"{'RMST' if self.kind == 'rmst' else 'milestone'} at {self.tau:g}"


@dataclass(frozen=True, repr=False)
class DesignFile:
    """A validated design file (see the module docstring); :meth:`solve` computes the design.

    Attributes
    ----------
    source : str
        The file (or "design") named in error messages.
    title : str or None
    time_unit : str
        days, weeks, months or years: the unit of every duration, rate and time of the file.
    assumptions : DesignAssumptions
    test : TestChoice
    alpha, power : float
        ``power`` is None for a power calculation at the tables' enrolment.
    sided : int
    looks : dict
        ``events``, ``information_fractions``, ``analysis_times`` (lists or None), ``rule``,
        ``study_duration`` (None unless given).
    efficacy, futility : dict
        ``spending`` / ``bounds`` (and for futility ``binding``, ``beta``), None where absent.
    study_duration : float or None
        The analysis time of an RMST or milestone design.
    """

    source: str
    title: str | None
    time_unit: str
    assumptions: DesignAssumptions
    test: TestChoice
    alpha: float
    sided: int
    power: float | None
    looks: dict[str, Any]
    efficacy: dict[str, Any]
    futility: dict[str, Any]
    study_duration: float | None
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def sized(self) -> bool:
        """True when the sample size is solved for ``power``."""
        return self.power is not None

    def solve(self) -> Any:
        """The design: an NphGroupSequentialDesign, MaxComboDesign or KaplanMeierContrastDesign.

        Errors of the design functions are re-raised naming this file and the key concerned.
        """
        try:
            return _solve(self)
        except InputError as err:
            raise InputError(f"{self.source}: {_keyed(str(err))} (time unit: {self.time_unit})") from None

    def __repr__(self) -> str:
        mode = f"power {self.power:g}" if self.sized else "power of the tables' enrolment"
        return (f"DesignFile({self.title or 'untitled'!r}: {self.test.label}, alpha {self.alpha:g} {self.sided}-sided, "
                f"{mode}; time unit {self.time_unit}; {self.assumptions!r})")


def _keyed(text: str) -> str:
    """Name the file's keys in messages of the design functions (their argument names)."""
    for arg, key in (("analysis_times", "looks.analysis_times"),
                     ("information_fractions", "looks.information_fractions"),
                     ("alpha_spending", "efficacy.spending"), ("beta_spending", "futility.spending"),
                     ("efficacy_bounds", "efficacy.bounds"), ("futility_bounds", "futility.bounds"),
                     ("tests:", "test:"), ("look_rule", "looks.rule")):
        text = re.sub(rf"(?<![\w.]){re.escape(arg)}", key, text)
    text = re.sub(r"^events:", "looks.events:", text)
    return text.replace("within the study duration", "within looks.study_duration")


def read_design_file(path: str | Path) -> DesignFile:
    """Read and validate a design YAML (through survtrial's one YAML reader, with its limits).

    Examples
    --------
    >>> from importlib.resources import files
    >>> f = read_design_file(files("survtrial.design") / "design_template.yaml")
    >>> f.test.label, f.time_unit
    ('log-rank (AHR)', 'years')
    """
    from survtrial._yaml import read_yaml

    data = read_yaml(path, "design file")
    return parse_design_file(data, f"design file {str(Path(path))!r}")


def _key(source: str, key: str, message: str) -> InputError:
    return InputError(f"{source}: key {key!r}: {message}")


def _number(data: Mapping[str, Any], key: str, source: str, default: Any = None) -> float | None:
    value = data.get(key.rsplit(".", 1)[-1], default)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _key(source, key, f"{value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _key(source, key, f"{value!r} is not a number") from None


def _numbers(value: Any, key: str, source: str) -> list[float] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    out = []
    for i, v in enumerate(values):
        try:
            if isinstance(v, bool):
                raise TypeError
            out.append(float(v))
        except (TypeError, ValueError):
            raise _key(source, key, f"item {i + 1} ({v!r}) is not a number") from None
    if not out:
        raise _key(source, key, "give at least one value")
    return out


def _section(data: Mapping[str, Any], key: str, allowed: tuple[str, ...], source: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if isinstance(value, str) and key in ("efficacy", "futility"):
        return {"spending": value}
    if not isinstance(value, Mapping):
        raise _key(source, key, f"expected a mapping with keys {', '.join(allowed)}, got {value!r}")
    unknown = [str(k) for k in value if k not in allowed]
    if unknown:
        raise _key(source, key, f"unknown key(s) {unknown}; keys are {', '.join(allowed)}")
    return dict(value)


def _rows(value: Any, table: str, source: str) -> Any:
    if value is None:
        raise InputError(f"{source}: table {table!r} is missing; give it as a list of rows, e.g. "
                         + ("[{duration: 12, rate: 30}]" if table == ENROLL_TABLE
                            else "[{duration: .inf, fail_rate: 0.05, hr: 0.7, dropout_rate: 0.01}]"))
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list) and all(isinstance(r, Mapping) for r in value):
        return [dict(r) for r in value]
    raise InputError(f"{source}: table {table!r}: expected a list of rows (mappings of column: value), got "
                     f"{type(value).__name__}")


def _as_row_list(table: Any) -> list[dict[str, Any]]:
    if isinstance(table, list):
        return table
    n = max((len(v) for v in table.values() if isinstance(v, list)), default=1)
    return [{k: (v[i] if isinstance(v, list) else v) for k, v in table.items()} for i in range(n)]


def _failure_table(value: Any, source: str) -> list[dict[str, Any]]:
    """The failure rows with ``control_median`` turned into ``fail_rate`` (log 2 / median)."""
    return failure_rows(_as_row_list(_rows(value, FAIL_TABLE, source)), source)


def failure_rows(rows: Any, source: str | None = None) -> list[dict[str, Any]]:
    """The failure table's rows checked column by column, the control arm given by its hazard (``fail_rate``)
    or its median (``control_median``, turned into the hazard log 2 / median); ``duration`` may be the text
    inf. The one check of these columns, for design files and for the design explorer's table.

    Parameters
    ----------
    rows : sequence of mappings
        Columns among stratum, duration, fail_rate, control_median, hr, dropout_rate.
    source : str, optional
        What the messages name first (the design file), e.g. "design file 'plan.yaml'".

    Returns
    -------
    list of dict
        The rows with ``fail_rate`` and without ``control_median``; the other columns as given (the
        design assumptions check their values).

    Examples
    --------
    >>> failure_rows([{"duration": "inf", "control_median": 12, "hr": 0.7}])
    [{'duration': inf, 'hr': 0.7, 'fail_rate': 0.057762265046662105}]
    """
    where = "" if source is None else f"{source}: "
    out = []
    for i, row in enumerate(rows, start=1):
        unknown = [str(k) for k in row if k not in _FAIL_COLUMNS]
        if unknown:
            raise InputError(f"{where}table {FAIL_TABLE!r}, row {i}: unknown column(s) {unknown}; columns are "
                             f"{', '.join(_FAIL_COLUMNS)}")
        has_rate, has_median = row.get("fail_rate") is not None, row.get("control_median") is not None
        if has_rate == has_median:
            raise InputError(f"{where}table {FAIL_TABLE!r}, row {i}, column 'fail_rate': give the control arm's "
                             "hazard (fail_rate) or its median (control_median), one of them")
        r = {k: v for k, v in row.items() if k != "control_median"}
        if isinstance(r.get("duration"), str) and r["duration"].strip().lower() in (".inf", "inf", "infinity"):
            r["duration"] = math.inf
        if has_median:
            m = row["control_median"]
            try:
                m = float(m)
            except (TypeError, ValueError):
                raise InputError(f"{where}table {FAIL_TABLE!r}, row {i}, column 'control_median': {m!r} is "
                                 "not a number") from None
            if not (m > 0):
                raise InputError(f"{where}table {FAIL_TABLE!r}, row {i}, column 'control_median': {m!r} must be "
                                 "a median survival time > 0 (or inf for no events)")
            r["fail_rate"] = math.log(2) / m
        out.append(r)
    return out


def _check_open_ended(a: DesignAssumptions, source: str) -> None:
    for s in a.strata:
        if math.isfinite(s.fail_end):
            raise InputError(
                f"{source}: table {FAIL_TABLE!r}, row {s.fail_rows[-1]}, column 'duration': the last period of "
                f"stratum {s.name!r} ends at {s.fail_end:g}; the final period must be open-ended (duration .inf) "
                "so that every follow-up time has a hazard"
            )


def _parse_test(value: Any, source: str) -> TestChoice:
    from survtrial.design.wlr_weights import wlr_weight

    if value is None:
        value = "logrank"
    if isinstance(value, Mapping):
        if set(value) != {"maxcombo"}:
            raise _key(source, "test", f"{dict(value)!r}: a mapping is {{maxcombo: [test, test, ...]}}")
        parts: list[Any] = list(value["maxcombo"] or []) if isinstance(value["maxcombo"], list) else [value["maxcombo"]]
        return _maxcombo(parts, source)
    if isinstance(value, list):
        return _maxcombo(value, source)
    if not isinstance(value, str):
        raise _key(source, "test", f"{value!r}: use logrank, fh(rho, gamma), mb(t*=...), maxcombo(test, test, ...), "
                   "rmst(tau) or milestone(t)")
    text = value.strip()
    low = text.lower().replace(" ", "")
    if low in ("logrank", "log-rank", "ahr", "lr", "fh(0,0)"):
        return TestChoice("ahr")
    m = _CALL.match(text)
    name = m.group(1).lower() if m else low
    if name == "maxcombo":
        inner = m.group(2) if m else ""
        return _maxcombo(_split(inner) if inner.strip() else [], source)
    if name in ("rmst", "milestone"):
        try:
            tau = float(m.group(2)) if m else float("nan")
        except ValueError:
            tau = float("nan")
        if not (math.isfinite(tau) and tau > 0):
            raise _key(source, "test", f"{value!r}: give the time in the file's time unit, e.g. {name}(4)")
        return TestChoice(name, tau=tau)
    try:
        w = wlr_weight(text)
    except InputError as err:
        raise _key(source, "test", f"{err}; or rmst(tau), milestone(t), maxcombo(test, test, ...)") from None
    return TestChoice("ahr") if w.is_logrank else TestChoice("wlr", (w,))


def _split(text: str) -> list[str]:
    """Comma-separated items at bracket depth 0: 'logrank, fh(0, 0.5)' -> ['logrank', 'fh(0, 0.5)']."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def _maxcombo(parts: list[Any], source: str) -> TestChoice:
    from survtrial.design.maxcombo_design import DEFAULT_TESTS, _tests

    if not parts:
        parts = list(DEFAULT_TESTS)
    try:
        return TestChoice("maxcombo", _tests(parts))
    except InputError as err:
        raise _key(source, "test", str(err).removeprefix("tests: ")) from None


def _unit(data: Mapping[str, Any], source: str) -> str:
    from survtrial.units import canonical_unit

    unit = data.get("time_unit")
    if unit is None:
        raise _key(source, "time_unit", "missing; every duration, rate and time of the file is in it: give days, "
                   "weeks, months or years (never assumed)")
    try:
        return canonical_unit(str(unit))
    except InputError as err:
        raise _key(source, "time_unit", str(err)) from None


def parse_design_file(data: Any, source: str = "design") -> DesignFile:
    """Validate a design mapping (the module docstring's layout) into a :class:`DesignFile`.

    Errors name the file, the key or the table, row and column, and the fix (InputError).

    Examples
    --------
    >>> f = parse_design_file({"time_unit": "months", "enroll_rate": [{"duration": 12, "rate": 40}],
    ...                  "fail_rate": [{"duration": 4, "control_median": 12, "hr": 1},
    ...                                {"duration": ".inf", "control_median": 12, "hr": 0.6}],
    ...                  "test": "fh(0, 0.5)", "power": 0.9,
    ...                  "looks": {"analysis_times": [24, 36]}})
    >>> f.test.label, f.sized, f.assumptions.proportional_hazards
    ('FH(0, 0.5)', True, False)
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{source}: expected a mapping of design keys, got {type(data).__name__}")
    unknown = [str(k) for k in data if k not in KEYS]
    if unknown:
        raise InputError(f"{source}: unknown key(s) {unknown}; keys are {', '.join(KEYS)}")
    unit = _unit(data, source)
    ratio = _number(data, "allocation_ratio", source, 1.0)
    if not (ratio is not None and math.isfinite(ratio) and ratio > 0):
        raise _key(source, "allocation_ratio", f"{data.get('allocation_ratio')!r} must be a number > 0 "
                   "(experimental per control subject)")
    enroll = _rows(data.get("enroll_rate"), ENROLL_TABLE, source)
    fail = _failure_table(data.get("fail_rate"), source)
    try:
        a = design_assumptions(enroll, fail, allocation_ratio=ratio)
    except InputError as err:
        raise InputError(f"{source}: {err}") from None
    _check_open_ended(a, source)
    test = _parse_test(data.get("test"), source)
    alpha = _number(data, "alpha", source, 0.025)
    if not (0 < alpha <= 0.5):
        raise _key(source, "alpha", f"{data.get('alpha')!r} must be in (0, 0.5] (the total type I error)")
    sided = data.get("sided", 1)
    if sided not in (1, 2) or isinstance(sided, bool):
        raise _key(source, "sided", f"{sided!r}: use 1 (one-sided) or 2 (two-sided symmetric)")
    power = _number(data, "power", source)
    if power is not None and not (0 < power < 1):
        raise _key(source, "power", f"{data.get('power')!r} must be in (0, 1), e.g. 0.9")
    if power is not None and power <= alpha / sided:
        raise _key(source, "power", f"{power:g} must exceed the one-sided alpha {alpha / sided:g}")
    looks = _section(data, "looks", LOOK_KEYS, source)
    look = {k: _numbers(looks.get(k), f"looks.{k}", source) for k in ("events", "information_fractions",
                                                                      "analysis_times")}
    rule = str(looks.get("rule", "later")).strip().lower()
    if rule not in _RULES:
        raise _key(source, "looks.rule", f"{looks.get('rule')!r}: use later (every target met) or earlier (the "
                   "first target met)")
    look["rule"] = _RULES[rule]
    look["study_duration"] = _number(looks, "looks.study_duration", source)
    efficacy = _section(data, "efficacy", EFFICACY_KEYS, source)
    futility = _section(data, "futility", FUTILITY_KEYS, source)
    for name, sec in (("efficacy", efficacy), ("futility", futility)):
        if "bounds" in sec:
            vals = sec["bounds"] if isinstance(sec["bounds"], list) else [sec["bounds"]]
            sec["bounds"] = _numbers([float("nan") if v is None else v for v in vals], f"{name}.bounds", source)
    if "binding" in futility and not isinstance(futility["binding"], bool):
        raise _key(source, "futility.binding", f"{futility['binding']!r}: use true or false")
    if "beta" in futility:
        futility["beta"] = _number(futility, "futility.beta", source)
    study = _number(data, "study_duration", source)
    if test.kind in ("rmst", "milestone"):
        if study is None:
            raise _key(source, "study_duration", f"a {test.kind} design is analysed once, at the calendar time "
                       "study_duration (from the start of enrolment): give it")
        if any(look[k] is not None for k in ("events", "information_fractions", "analysis_times")) or futility:
            raise _key(source, "looks", f"a {test.kind} design has one analysis at study_duration; remove looks "
                       "and futility")
        if test.tau >= study:
            raise _key(source, "test", f"{test.kind} time {test.tau:g} {unit} is not before the analysis at "
                       f"study_duration {study:g} {unit}; choose a time within the follow-up")
    else:
        if study is not None:
            raise _key(source, "study_duration", "goes with rmst and milestone designs; for group-sequential "
                       "designs give looks.study_duration (the latest time a look may happen)")
        if all(look[k] is None for k in ("events", "information_fractions", "analysis_times")):
            raise _key(source, "looks", "give when the analyses happen: analysis_times (calendar times), events, "
                       "or information_fractions with the final look's analysis_times")
        if power is not None and look["events"] is not None:
            raise _key(source, "looks.events", "with power the sample size is solved, so event counts are not known "
                       "in advance; give analysis_times and/or information_fractions, or omit power to compute the "
                       "power of the tables' enrolment at these events")
        if test.kind == "maxcombo" and sided != 1:
            raise _key(source, "sided", "MaxCombo designs are one-sided; use sided: 1")
    title = data.get("title")
    return DesignFile(source=source, title=None if title is None else str(title), time_unit=unit, assumptions=a,
                      test=test, alpha=float(alpha), sided=int(sided), power=power, looks=look, efficacy=efficacy,
                      futility=futility, study_duration=study, data=dict(data))


def _bounds(values: list[float] | None) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=float)


def _solve(f: DesignFile) -> Any:
    from survtrial.design.ahr_design import ahr_design, ahr_power
    from survtrial.design.km_contrast_design import milestone_design, milestone_power, rmst_design, rmst_power
    from survtrial.design.maxcombo_design import maxcombo_design, maxcombo_power
    from survtrial.design.wlr_design import weighted_logrank_design, weighted_logrank_power

    t, a = f.test, f.assumptions
    if t.kind in ("rmst", "milestone"):
        fn = {("rmst", True): rmst_design, ("rmst", False): rmst_power, ("milestone", True): milestone_design,
              ("milestone", False): milestone_power}[t.kind, f.sized]
        extra = {"power": f.power} if f.sized else {}
        return fn(a, t.tau, study_duration=f.study_duration, alpha=f.alpha, **extra)
    look = f.looks
    common: dict[str, Any] = {
        "analysis_times": look["analysis_times"], "information_fractions": look["information_fractions"],
        "look_rule": look["rule"], "alpha": f.alpha,
        "alpha_spending": f.efficacy.get("spending"), "efficacy_bounds": _bounds(f.efficacy.get("bounds")),
        "beta_spending": f.futility.get("spending"), "futility_bounds": _bounds(f.futility.get("bounds")),
        "binding_futility": bool(f.futility.get("binding", False)),
    }
    if f.sized:
        if f.futility.get("beta") is not None:
            raise InputError("futility.beta: with power the beta spent is 1 - power; remove futility.beta")
        common["power"] = f.power
    else:
        common |= {"events": look["events"], "study_duration": look["study_duration"],
                   "beta": f.futility.get("beta")}
    if t.kind == "maxcombo":
        d = (maxcombo_design if f.sized else maxcombo_power)(a, t.weights, **common)
    else:
        common["sided"] = f.sided
        if t.kind == "wlr":
            d = (weighted_logrank_design if f.sized else weighted_logrank_power)(a, t.weights[0], **common)
        else:
            d = (ahr_design if f.sized else ahr_power)(a, **common)
    limit = look["study_duration"]
    if f.sized and limit is not None and d.time[-1] > limit * (1 + 1e-12):
        late = ", ".join(f"look {j + 1} at {x:.4g}" for j, x in enumerate(d.time) if x > limit * (1 + 1e-12))
        raise InputError(f"looks cannot be reached within looks.study_duration {limit:g} {f.time_unit}: {late} "
                         f"{f.time_unit}; lengthen the study or move the looks earlier")
    return d
