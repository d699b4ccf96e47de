"""The test statistics of the simulation engine: names as written in a design or on the command line.

A simulation computes, at every look of every trial, each test the design (key ``tests``) or the
command line (``--test``) asks for; the trial's decisions follow ``decision_test`` (default: the
first test). Names, case and spaces ignored; times in years, or with a unit (``4y``, ``48m``,
``26w``, ``180d``):

================================  ===============================================================
``logrank``                       log-rank (Mantel-Haenszel), stratified as the design says
``fh(rho,gamma)``                 Fleming-Harrington weighted log-rank, weights S(t-)^rho (1 - S(t-))^gamma
``mb(t*)``, ``mb(t*,w_max)``      Magirr-Burman modestly weighted log-rank: 1 / S(t-) up to t*, then
                                  constant; at most ``w_max``
``maxcombo``                      the largest of fh(0,0), fh(0,0.5), fh(0.5,0), fh(0.5,0.5)
``maxcombo(w1,w2,...)``           the largest of 2 to 4 weighted log-rank tests (fh(...) or mb(...))
``rmst(tau)``                     difference of restricted mean survival times up to tau
``milestone(t)``                  difference of Kaplan-Meier survival at t
``cox``                           Cox (Efron) hazard ratio, Wald z
================================  ===============================================================

Each test adds per-look record columns ``<name>_z_<k>`` (z > 0 favours the experimental arm),
``<name>_p_<k>`` (one-sided p-value) and, where the test has one, ``<name>_estimate_<k>`` (see
:data:`ESTIMATES`), plus ``<name>_rejected`` and ``<name>_stop_look``: the test's decision had it
been the decision test. ``<name>`` is the test's label with brackets and commas turned into
underscores: ``fh_0_0.5``, ``rmst_4y``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from survtrial.errors import InputError
from survtrial.simulate import _statistics as ks

__all__ = ["ESTIMATES", "KNOWN_TESTS", "TestSpec", "parse_test", "parse_tests"]

KNOWN_TESTS = ("logrank", "fh(rho,gamma)", "mb(t*[,w_max])", "maxcombo[(w1,w2,...)]", "rmst(tau)", "milestone(t)",
               "cox")
"""The test names the engine knows, as listed in error messages."""

ESTIMATES = {
    ks.LOGRANK: "O - E of the experimental arm",
    ks.WEIGHTED: "weighted O - E of the experimental arm (simtrial's wlr estimate)",
    ks.MAXCOMBO: None,
    ks.RMST: "RMST experimental - control (years)",
    ks.MILESTONE: "survival at t, experimental - control",
    ks.COX: "log hazard ratio, experimental vs control",
}
"""What each kind's ``estimate`` column holds (None: no estimate column)."""

DEFAULT_MAXCOMBO = ((ks.W_FH, 0.0, 0.0), (ks.W_FH, 0.0, 0.5), (ks.W_FH, 0.5, 0.0), (ks.W_FH, 0.5, 0.5))

_UNITS = {"y": 1.0, "m": 1.0 / 12.0, "w": 7.0 / 365.25, "d": 1.0 / 365.25}


@dataclass(frozen=True)
class TestSpec:
    """One test of a simulation: its label, record-column prefix, kernel kind and parameters.

    Attributes
    ----------
    label : str
        Canonical name, e.g. ``"fh(0,0.5)"``, ``"rmst(4y)"``.
    slug : str
        Prefix of its record columns, e.g. ``"fh_0_0.5"``.
    kind : int
        Kernel kind (:mod:`survtrial.simulate._statistics`).
    params : tuple of float
        Kernel parameters (for RMST and milestone the time; the look kernel's check-time index is
        added when the analysis bundle is built).
    time : float or None
        The time (years) an RMST or milestone test reads.
    """

    label: str
    slug: str
    kind: int
    params: tuple[float, ...]
    time: float | None = None

    @property
    def information_from_events(self) -> bool:
        """Its information grows as the events (log-rank, Cox): the design's bounds apply, updated at
        the observed events; other tests get bounds at their own information fractions."""
        return self.kind in (ks.LOGRANK, ks.COX)

    @property
    def has_estimate(self) -> bool:
        return ESTIMATES[self.kind] is not None

    def __repr__(self) -> str:
        return f"TestSpec({self.label!r})"


def _fail(text: str, why: str) -> InputError:
    return InputError(f"test {text!r}: {why}; known tests: {', '.join(KNOWN_TESTS)}")


def _split_args(text: str, inner: str) -> list[str]:
    """Top-level comma-separated arguments (brackets nest)."""
    args, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise _fail(text, "unbalanced brackets")
        if ch == "," and depth == 0:
            args.append(cur)
            cur = ""
        else:
            cur += ch
    if depth != 0:
        raise _fail(text, "unbalanced brackets")
    args.append(cur)
    return args


def _number(text: str, arg: str, what: str) -> float:
    try:
        v = float(arg)
    except ValueError:
        raise _fail(text, f"{what} {arg!r} is not a number") from None
    if not v == v or v in (float("inf"), float("-inf")):
        raise _fail(text, f"{what} must be a finite number, got {arg!r}")
    return v


def _time(text: str, arg: str, what: str) -> float:
    m = re.fullmatch(r"([0-9.eE+-]+)([ymwd]?)", arg)
    if not m:
        raise _fail(text, f"{what} {arg!r} is not a time (years, or a number with y, m, w or d: 4y, 48m)")
    v = _number(text, m.group(1), what) * _UNITS.get(m.group(2) or "y")
    if v <= 0:
        raise _fail(text, f"{what} must be a time > 0, got {arg!r}")
    return v


def _g(x: float) -> str:
    return f"{x:g}"


def _weight(text: str, name: str, args: list[str]) -> tuple[tuple[int, float, float], str]:
    """A weight function ``fh(rho,gamma)`` or ``mb(t*[,w_max])``: (kind, a, b) and its label."""
    if name == "fh":
        if len(args) != 2 or "" in args:
            raise _fail(text, "fh takes two numbers rho, gamma >= 0, e.g. fh(0,0.5)")
        rho, gamma = (_number(text, a, n) for a, n in zip(args, ("rho", "gamma"), strict=True))
        if rho < 0 or gamma < 0:
            raise _fail(text, f"rho and gamma must be >= 0, got rho={_g(rho)}, gamma={_g(gamma)}")
        return (ks.W_FH, rho, gamma), f"fh({_g(rho)},{_g(gamma)})"
    if len(args) not in (1, 2) or "" in args:
        raise _fail(text, "mb takes the time t* and optionally w_max, e.g. mb(1y) or mb(1y,2)")
    delay = _time(text, args[0], "t*")
    w_max = _number(text, args[1], "w_max") if len(args) == 2 else float("inf")
    if w_max < 1:
        raise _fail(text, f"w_max must be >= 1 (weights start at 1), got {_g(w_max)}")
    label = f"mb({_g(delay)}y" + (f",{_g(w_max)})" if len(args) == 2 else ")")
    return (ks.W_MB, delay, w_max), label


def _parse_call(text: str) -> tuple[str, list[str] | None]:
    s = re.sub(r"\s+", "", text.lower())
    m = re.fullmatch(r"([a-z_]+)(?:\((.*)\))?", s)
    if not m:
        raise _fail(text, "expected a name, optionally with arguments in brackets")
    return m.group(1), None if m.group(2) is None else _split_args(text, m.group(2))


def _slug(label: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[(),]", "_", label)).strip("_")


def parse_test(text: str) -> TestSpec:
    """One test from its name (see the module docstring).

    Examples
    --------
    >>> parse_test("FH(0, 0.5)").slug, parse_test("rmst(48m)").label
    ('fh_0_0.5', 'rmst(4y)')
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"a test name must be a non-empty text, got {text!r}; known tests: {', '.join(KNOWN_TESTS)}")
    name, args = _parse_call(text)
    if name in ("logrank", "cox"):
        if args not in (None, [""]):
            raise _fail(text, f"{name} takes no arguments")
        return TestSpec(name, name, ks.LOGRANK if name == "logrank" else ks.COX, ())
    if name in ("fh", "mb"):
        (wk, a, b), label = _weight(text, name, args or [])
        return TestSpec(label, _slug(label), ks.WEIGHTED, (float(wk), a, b))
    if name == "maxcombo":
        if args in (None, [""]):
            comps, label = DEFAULT_MAXCOMBO, "maxcombo"
        else:
            parts = [_parse_call(a) for a in args]
            if len(parts) < 2:
                raise _fail(text, "maxcombo needs at least two weighted log-rank tests, e.g. maxcombo(fh(0,0),fh(0,1))")
            if len(parts) > ks.MAX_COMPONENTS:
                raise _fail(text, f"the engine's maxcombo takes at most {ks.MAX_COMPONENTS} weighted log-rank tests")
            comps, labels = [], []
            for (nm, sub), raw in zip(parts, args, strict=True):
                if nm not in ("fh", "mb"):
                    raise _fail(text, f"maxcombo combines fh(rho,gamma) and mb(t*) tests, not {raw!r}")
                w, lab = _weight(text, nm, sub or [])
                comps.append(w)
                labels.append(lab)
            if len(set(comps)) < len(comps):
                raise _fail(text, "a weighted log-rank test is repeated")
            label = f"maxcombo({','.join(labels)})"
        params = (float(len(comps)), *[float(x) for c in comps for x in c])
        return TestSpec(label, _slug(label), ks.MAXCOMBO, params)
    if name in ("rmst", "milestone"):
        what = "tau" if name == "rmst" else "t"
        if args is None or len(args) != 1 or args == [""]:
            raise _fail(text, f"{name} takes one time, e.g. {name}(4y)")
        t = _time(text, args[0], what)
        label = f"{name}({_g(t)}y)"
        return TestSpec(label, _slug(label), ks.RMST if name == "rmst" else ks.MILESTONE, (t,), time=t)
    raise InputError(f"unknown test {text!r}; known tests: {', '.join(KNOWN_TESTS)}")


def parse_tests(names: list[str] | tuple[str, ...] | None, decision: str | None = None,
                where: str = "tests") -> tuple[tuple[TestSpec, ...], int]:
    """The tests of a simulation and the index of the decision test.

    ``names`` default to ``["logrank"]``; ``decision`` defaults to the first test and is added
    (first) when it is not among them. ``where`` names the key or flag in error messages.
    """
    listed = ["logrank"] if not names else list(names)
    specs = []
    for text in listed:
        try:
            specs.append(parse_test(text))
        except InputError as err:
            raise InputError(f"{where}: {err}") from None
    seen: dict[str, str] = {}
    for spec, text in zip(specs, listed, strict=True):
        if spec.slug in seen:
            raise InputError(f"{where}: {text!r} repeats {seen[spec.slug]!r} (both are {spec.label})")
        seen[spec.slug] = text
    if decision is None:
        return tuple(specs), 0
    try:
        chosen = parse_test(decision)
    except InputError as err:
        raise InputError(f"decision_test: {err}") from None
    for i, spec in enumerate(specs):
        if spec.slug == chosen.slug:
            return tuple(specs), i
    return (chosen, *specs), 0
