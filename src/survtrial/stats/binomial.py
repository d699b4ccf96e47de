"""Confidence intervals for binomial proportions and for the difference of two proportions."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special  # beta quantiles: special.betaincinv (scipy.stats is slow to import)

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError, StatisticWarning

__all__ = [
    "BINOMIAL_METHODS",
    "RISK_DIFFERENCE_METHODS",
    "BinomialResult",
    "RiskDifferenceResult",
    "binomial_ci",
    "risk_difference_ci",
]

BINOMIAL_METHODS = ("clopper-pearson", "wilson", "wilson-cc", "jeffreys", "agresti-coull", "wald")
_BINOMIAL_ALIASES = {"exact": "clopper-pearson", "score": "wilson"}
RISK_DIFFERENCE_METHODS = ("newcombe", "newcombe-cc", "wald")


def _scalar_or_array(a: np.ndarray) -> Any:
    return a[()] if a.ndim == 0 else a


def _check_level(conf_level: float) -> float:
    try:
        level = float(conf_level)
    except (TypeError, ValueError):
        raise InputError(f"conf_level={conf_level!r} is not a number; use e.g. 0.95") from None
    if not 0.0 < level < 1.0:
        raise InputError(f"conf_level={conf_level!r} must be strictly between 0 and 1 (e.g. 0.95)")
    return level


def _counts(x: Any, role: str) -> np.ndarray:
    """Validate a count (scalar or array): finite, integer-valued and >= 0; returns float64."""
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    a = np.asarray(x)
    if a.dtype.kind == "b" or a.dtype.kind not in "iuf":
        raise InputError(f"{role}: counts must be integers >= 0, got dtype {a.dtype}")
    a = a.astype(np.float64)
    flat = a.reshape(-1)
    bad = np.flatnonzero(~np.isfinite(flat) | (flat < 0) | (flat != np.round(flat)))
    if bad.size:
        i = int(bad[0])
        where = role if a.ndim == 0 else f"{role} position {i}"
        raise InputError(f"{where}: {flat[i]:g} is not a count; counts must be integers >= 0")
    return a


def _pair(successes: Any, n: Any, xrole: str, nrole: str) -> tuple[np.ndarray, np.ndarray]:
    x = _counts(successes, xrole)
    m = _counts(n, nrole)
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError:
        raise InputError(
            f"{xrole} (shape {np.shape(x)}) and {nrole} (shape {np.shape(m)}) do not match; "
            f"pass arrays of one length or a scalar"
        ) from None
    over = np.flatnonzero((x > m).reshape(-1))
    if over.size:
        i = int(over[0])
        where = "" if x.ndim == 0 else f" at position {i}"
        raise InputError(
            f"{xrole}{where}: {x.reshape(-1)[i]:.0f} successes exceed {nrole}="
            f"{m.reshape(-1)[i]:.0f} trials; check that the columns are not swapped"
        )
    return np.array(x, dtype=np.float64), np.array(m, dtype=np.float64)


def _interval(x: np.ndarray, n: np.ndarray, level: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided interval for x successes out of n > 0 (arrays of one shape)."""
    alpha = 1.0 - level
    z = special.ndtri(1.0 - alpha / 2.0)
    p = x / n
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "clopper-pearson":
            lo = np.where(x > 0, special.betaincinv(x, n - x + 1.0, alpha / 2.0), 0.0)
            hi = np.where(x < n, special.betaincinv(x + 1.0, n - x, 1.0 - alpha / 2.0), 1.0)
        elif method == "jeffreys":
            lo = np.where(x > 0, special.betaincinv(x + 0.5, n - x + 0.5, alpha / 2.0), 0.0)
            hi = np.where(x < n, special.betaincinv(x + 0.5, n - x + 0.5, 1.0 - alpha / 2.0), 1.0)
        elif method == "wilson":
            z2 = z * z
            centre = (x + z2 / 2.0) / (n + z2)
            half = z * np.sqrt(n * p * (1.0 - p) + z2 / 4.0) / (n + z2)
            lo = np.where(x > 0, np.maximum(centre - half, 0.0), 0.0)
            hi = np.where(x < n, np.minimum(centre + half, 1.0), 1.0)
        elif method == "wilson-cc":
            z2 = z * z
            q = 1.0 - p
            den = 2.0 * (n + z2)
            lo_root = np.sqrt(np.maximum(z2 - 2.0 - 1.0 / n + 4.0 * p * (n * q + 1.0), 0.0))
            hi_root = np.sqrt(np.maximum(z2 + 2.0 - 1.0 / n + 4.0 * p * (n * q - 1.0), 0.0))
            lo = (2.0 * n * p + z2 - 1.0 - z * lo_root) / den
            hi = (2.0 * n * p + z2 + 1.0 + z * hi_root) / den
            lo = np.where(x > 0, np.clip(lo, 0.0, 1.0), 0.0)
            hi = np.where(x < n, np.clip(hi, 0.0, 1.0), 1.0)
        elif method == "agresti-coull":
            z2 = z * z
            nt = n + z2
            pt = (x + z2 / 2.0) / nt
            half = z * np.sqrt(pt * (1.0 - pt) / nt)
            lo = np.clip(pt - half, 0.0, 1.0)
            hi = np.clip(pt + half, 0.0, 1.0)
        elif method == "wald":
            half = z * np.sqrt(p * (1.0 - p) / n)
            lo = np.clip(p - half, 0.0, 1.0)
            hi = np.clip(p + half, 0.0, 1.0)
        else:  # pragma: no cover - guarded by _method
            raise AssertionError(method)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def _result_frame(columns: dict[str, Any], method: str, conf_level: float):
    """Numeric columns (scalars or arrays) as one row per entry, plus the method and level."""
    import pandas as pd

    frame = pd.DataFrame({k: np.atleast_1d(np.asarray(v, dtype=float)).ravel() for k, v in columns.items()})
    frame["method"] = method
    frame["conf_level"] = conf_level
    return frame


def _method(method: str) -> str:
    key = str(method).lower().replace("_", "-")
    key = _BINOMIAL_ALIASES.get(key, key)
    if key not in BINOMIAL_METHODS:
        raise InputError(f"method={method!r} is not known; use one of {list(BINOMIAL_METHODS)}")
    return key


def _safe_interval(x: np.ndarray, n: np.ndarray, level: float, method: str, role: str):
    """Interval with NaN (and a StatisticWarning) where n == 0."""
    empty = n == 0
    if empty.any():
        where = "" if n.ndim == 0 else f" at position(s) {np.flatnonzero(empty.reshape(-1))[:5].tolist()}"
        warnings.warn(
            f"{role} = 0{where}: the proportion is undefined; NaN returned there",
            StatisticWarning,
            stacklevel=3,
        )
    nn = np.where(empty, 1.0, n)
    lo, hi = _interval(x, nn, level, method)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(empty, np.nan, x / nn)
    return p, np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


@dataclass(frozen=True)
class BinomialResult(HtmlReprMixin):
    """Proportions with two-sided confidence limits (scalars, or arrays for vectorised input).

    Attributes
    ----------
    successes, n : counts as given (float arrays, or scalars).
    proportion : ``successes / n`` (NaN where ``n == 0``).
    lower, upper : confidence limits at ``conf_level`` by ``method``.
    method : interval method; conf_level : confidence level.
    """

    successes: Any
    n: Any
    proportion: Any
    lower: Any
    upper: Any
    method: str
    conf_level: float

    def confidence_interval(self, level: float | None = None, method: str | None = None):
        """Return ``(lower, upper)``; recomputed when another ``level`` or ``method`` is asked for."""
        lvl = self.conf_level if level is None else _check_level(level)
        meth = self.method if method is None else _method(method)
        if lvl == self.conf_level and meth == self.method:
            return self.lower, self.upper
        x, n = np.asarray(self.successes, float), np.asarray(self.n, float)
        _, lo, hi = _safe_interval(x, n, lvl, meth, "n")
        return _scalar_or_array(lo), _scalar_or_array(hi)

    def to_frame(self):
        """One row per proportion: successes, n, proportion, lower, upper, method, conf_level."""
        cols = {
            "successes": self.successes,
            "n": self.n,
            "proportion": self.proportion,
            "lower": self.lower,
            "upper": self.upper,
        }
        return _result_frame(cols, self.method, self.conf_level)

    def __repr__(self) -> str:
        pct = f"{100 * self.conf_level:g}%"
        p = np.asarray(self.proportion)
        if p.ndim == 0:
            return (
                f"BinomialResult({self.successes:.0f}/{self.n:.0f} = {float(p):.4g}, "
                f"{pct} CI {float(self.lower):.4g} to {float(self.upper):.4g}, method={self.method!r})"
            )
        return f"BinomialResult({p.size} proportions, {pct} CI, method={self.method!r})"


def binomial_ci(
    successes: Any,
    n: Any,
    *,
    conf_level: float = 0.95,
    method: str = "clopper-pearson",
) -> BinomialResult:
    """Confidence interval for a binomial proportion, vectorised over arrays of counts.

    Parameters
    ----------
    successes : int or array of int
        Number of successes (events), ``0 <= successes <= n``.
    n : int or array of int
        Number of trials (patients); broadcast against ``successes``.
    conf_level : float
        Two-sided confidence level.
    method : str
        ``"clopper-pearson"`` (alias ``"exact"``; default), ``"wilson"`` (alias ``"score"``),
        ``"wilson-cc"`` (Wilson with continuity correction), ``"jeffreys"``, ``"agresti-coull"``
        or ``"wald"``.

    Returns
    -------
    BinomialResult
        ``proportion``, ``lower``, ``upper`` are scalars for scalar input, arrays otherwise.

    Notes
    -----
    - Clopper-Pearson: beta quantiles ``B(a/2; x, n-x+1)`` and ``B(1-a/2; x+1, n-x)`` with limits 0
      at ``x = 0`` and 1 at ``x = n``, as R ``binom.test``.
    - Wilson: the score interval without continuity correction, as R
      ``prop.test(x, n, correct = FALSE)`` (Newcombe 1998a, method 3).
    - Wilson-cc: Newcombe 1998a, method 4 (formula as R ``prop.test(correct = TRUE)`` whenever
      ``|x - n/2| >= 0.5``; R additionally shrinks the correction near its null ``p = 0.5``).
    - Jeffreys: equal-tailed Beta(x + 1/2, n - x + 1/2) interval, lower 0 at ``x = 0`` and upper 1
      at ``x = n`` (Brown, Cai & DasGupta 2001).
    - Agresti-Coull and Wald: normal intervals, truncated to [0, 1].
    ``n == 0`` gives NaN with a :class:`~survtrial.errors.StatisticWarning`.

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-413.
    Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
    methods. Stat Med 1998;17:857-872.
    Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion. Stat Sci
    2001;16:101-133.

    Examples
    --------
    >>> r = binomial_ci(2, 718)                     # grade >= 3 CRS: 2 of 718 patients
    >>> print(f"{r.proportion:.4f} ({r.lower:.5f} to {r.upper:.5f})")
    0.0028 (0.00034 to 0.01003)
    >>> binomial_ci([0, 5], [718, 718], method="wilson").upper.round(4)
    array([0.0053, 0.0162])
    """
    level = _check_level(conf_level)
    meth = _method(method)
    x, m = _pair(successes, n, "successes", "n")
    p, lo, hi = _safe_interval(x, m, level, meth, "n")
    return BinomialResult(
        successes=_scalar_or_array(x),
        n=_scalar_or_array(m),
        proportion=_scalar_or_array(p),
        lower=_scalar_or_array(lo),
        upper=_scalar_or_array(hi),
        method=meth,
        conf_level=level,
    )


@dataclass(frozen=True)
class RiskDifferenceResult(HtmlReprMixin):
    """Difference of two proportions ``p1 - p2`` with confidence limits.

    Attributes
    ----------
    difference : ``x1/n1 - x2/n2``; lower, upper : confidence limits.
    proportion1, proportion2 : the two proportions.
    method : interval method; conf_level : confidence level.
    """

    difference: Any
    lower: Any
    upper: Any
    proportion1: Any
    proportion2: Any
    method: str
    conf_level: float

    def confidence_interval(self, level: float | None = None):
        """Return ``(lower, upper)`` at the level the result was computed for.

        Intervals at another level need the counts: call :func:`risk_difference_ci` again.
        """
        if level is not None and _check_level(level) != self.conf_level:
            raise InputError(
                f"this result holds {self.conf_level:g}-level limits; "
                f"call risk_difference_ci(..., conf_level={level}) for another level"
            )
        return self.lower, self.upper

    def to_frame(self):
        """One row per comparison: proportion1, proportion2, difference, lower, upper, method."""
        cols = {
            "proportion1": self.proportion1,
            "proportion2": self.proportion2,
            "difference": self.difference,
            "lower": self.lower,
            "upper": self.upper,
        }
        return _result_frame(cols, self.method, self.conf_level)

    def __repr__(self) -> str:
        pct = f"{100 * self.conf_level:g}%"
        d = np.asarray(self.difference)
        if d.ndim == 0:
            return (
                f"RiskDifferenceResult(p1 - p2 = {float(d):.4g}, {pct} CI {float(self.lower):.4g} "
                f"to {float(self.upper):.4g}, method={self.method!r})"
            )
        return f"RiskDifferenceResult({d.size} differences, {pct} CI, method={self.method!r})"


def risk_difference_ci(
    x1: Any,
    n1: Any,
    x2: Any,
    n2: Any,
    *,
    conf_level: float = 0.95,
    method: str = "newcombe",
) -> RiskDifferenceResult:
    """Confidence interval for the difference of two independent proportions ``x1/n1 - x2/n2``.

    Parameters
    ----------
    x1, n1 : int or array
        Successes and trials in group 1.
    x2, n2 : int or array
        Successes and trials in group 2 (the reference); all four broadcast together.
    conf_level : float
        Two-sided confidence level.
    method : str
        ``"newcombe"`` (hybrid score, Newcombe 1998b method 10; default), ``"newcombe-cc"`` (the
        same built from continuity-corrected Wilson limits, method 11) or ``"wald"``.

    Returns
    -------
    RiskDifferenceResult

    Notes
    -----
    Hybrid score: with Wilson limits ``(l_i, u_i)`` for each proportion,
    ``lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` and ``upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``.
    Wald: ``d -/+ z sqrt(p1 q1 / n1 + p2 q2 / n2)`` truncated to [-1, 1], as R
    ``prop.test(cbind(x, n - x), correct = FALSE)``.

    References
    ----------
    Newcombe RG. Interval estimation for the difference between independent proportions:
    comparison of eleven methods. Stat Med 1998;17:873-890.

    Examples
    --------
    >>> r = risk_difference_ci(56, 70, 48, 80)      # Newcombe (1998b), Table II, example (a)
    >>> print(f"{r.difference:.4f} ({r.lower:.4f} to {r.upper:.4f})")
    0.2000 (0.0524 to 0.3339)
    """
    level = _check_level(conf_level)
    key = str(method).lower().replace("_", "-")
    if key not in RISK_DIFFERENCE_METHODS:
        raise InputError(f"method={method!r} is not known; use one of {list(RISK_DIFFERENCE_METHODS)}")
    a1, m1 = _pair(x1, n1, "x1", "n1")
    a2, m2 = _pair(x2, n2, "x2", "n2")
    try:
        a1, m1, a2, m2 = np.broadcast_arrays(a1, m1, a2, m2)
    except ValueError:
        raise InputError("x1/n1 and x2/n2 have shapes that do not match; pass equal lengths") from None
    single = "wilson" if key == "newcombe" else "wilson-cc"
    p1, l1, u1 = _safe_interval(a1, m1, level, single, "n1")
    p2, l2, u2 = _safe_interval(a2, m2, level, single, "n2")
    d = p1 - p2
    if key == "wald":
        z = special.ndtri(1.0 - (1.0 - level) / 2.0)
        se = np.sqrt(p1 * (1.0 - p1) / m1 + p2 * (1.0 - p2) / m2)
        lo = np.clip(d - z * se, -1.0, 1.0)
        hi = np.clip(d + z * se, -1.0, 1.0)
    else:
        lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return RiskDifferenceResult(
        difference=_scalar_or_array(np.asarray(d)),
        lower=_scalar_or_array(np.asarray(lo)),
        upper=_scalar_or_array(np.asarray(hi)),
        proportion1=_scalar_or_array(np.asarray(p1)),
        proportion2=_scalar_or_array(np.asarray(p2)),
        method=key,
        conf_level=level,
    )
