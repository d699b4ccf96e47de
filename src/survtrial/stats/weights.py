"""Weight functions of weighted log-rank tests: Fleming-Harrington, Magirr-Burman and user-defined."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial.errors import InputError
from survtrial.stats._risksets import RiskSetTable

__all__ = ["FlemingHarrington", "MagirrBurman", "WeightFunction", "as_weight", "check_exponent"]


def check_exponent(x: Any, name: str) -> float:
    """A Fleming-Harrington exponent: a real number (not a bool or a string), finite and >= 0."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise InputError(f"{name}: expected a number >= 0, got {x!r}; e.g. {name}=0.5")
    v = float(x)
    if not math.isfinite(v) or v < 0:
        raise InputError(
            f"{name}={x!r}: must be a finite number >= 0 (weights S(t-)^rho (1 - S(t-))^gamma); "
            f"e.g. {name}=0.5"
        )
    return v


def _positive_or_inf(x: Any, name: str, *, allow_zero: bool) -> float:
    if x is None:
        return math.inf
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise InputError(f"{name}: expected a number, got {x!r}")
    v = float(x)
    if math.isnan(v) or v < 0 or (v == 0 and not allow_zero):
        rule = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name}={x!r}: must be a number {rule} (or None for no limit)")
    return v


@dataclass(frozen=True)
class FlemingHarrington:
    """Fleming-Harrington G(rho, gamma) weight ``S(t-)^rho (1 - S(t-))^gamma``.

    ``S`` is the pooled Kaplan-Meier of the stratum, left-continuous (its value just before the
    event time), as R ``survdiff(rho=)`` and simtrial's ``fh_weight``. (0, 0) is the log-rank test;
    (0, gamma > 0) puts weight on late events, (rho > 0, 0) on early ones.

    Examples
    --------
    >>> from survtrial.stats._risksets import RiskSetTable
    >>> tab = RiskSetTable.from_counts(np.array([5.0, 4, 3]), np.array([5.0, 4, 2]),
    ...                                np.array([1.0, 0, 1]), np.array([0.0, 1, 1]))
    >>> tab.surv_left.tolist(), FlemingHarrington(0, 1).values(tab).round(4).tolist()
    ([1.0, 0.9, 0.7875], [0.0, 0.1, 0.2125])
    """

    rho: float = 0.0
    gamma: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "rho", check_exponent(self.rho, "rho"))
        object.__setattr__(self, "gamma", check_exponent(self.gamma, "gamma"))

    @property
    def label(self) -> str:
        return f"FH({self.rho:g}, {self.gamma:g})"

    def values(self, table: RiskSetTable) -> np.ndarray:
        """Weight at each row (event time) of ``table``."""
        if self.rho == 0 and self.gamma == 0:
            return np.ones(table.time.size)
        s = table.surv_left
        return s**self.rho * (1.0 - s) ** self.gamma


@dataclass(frozen=True)
class MagirrBurman:
    """Magirr-Burman modest weight ``min(w_max, 1 / S(t-), cap)``, capped from the delay ``t*`` on.

    Follows simtrial 1.0.2's ``mb_weight(delay, w_max)`` / ``wlr(weight = mb(delay, w_max))``:
    within each stratum the cap is the largest 1/S(t-) over the event times ``t <= delay`` at which
    both arms have subjects at risk (1 if there is none), then ``min(w_max, cap)``; the weight is
    ``min(cap, 1 / S(t-))``. With ``w_max=None`` (infinite) this is Magirr & Burman (2019)'s
    ``1 / max(S(t-), S(t*))`` except that the cap uses S just before the last event time ``<= t*``
    (simtrial's choice) rather than S(t*) after it. ``delay=None`` (infinite) with a finite
    ``w_max`` is Magirr (2021)'s ``min(w_max, 1 / S(t-))``.

    Examples
    --------
    >>> from survtrial.stats._risksets import RiskSetTable
    >>> tab = RiskSetTable.from_counts(np.array([5.0, 4, 3]), np.array([5.0, 4, 2]),
    ...                                np.array([1.0, 0, 1]), np.array([0.0, 1, 1]),
    ...                                time=np.array([1.0, 2, 3]))
    >>> MagirrBurman(delay=2.5).values(tab).round(4).tolist()  # cap 1/S(2-) = 1/0.9
    [1.0, 1.1111, 1.1111]
    """

    delay: float | None = None
    w_max: float | None = None

    def __post_init__(self) -> None:
        d = _positive_or_inf(self.delay, "delay", allow_zero=True)
        w = _positive_or_inf(self.w_max, "w_max", allow_zero=False)
        if math.isinf(d) and math.isinf(w):
            raise InputError(
                "Magirr-Burman weight: give the delay t* (delay=, in time units), w_max= (the "
                "largest weight, e.g. 2), or both; with neither the weight is 1/S(t-) without limit"
            )
        object.__setattr__(self, "delay", d)
        object.__setattr__(self, "w_max", w)

    @property
    def label(self) -> str:
        return f"MB(delay={self.delay:g}, w_max={self.w_max:g})"

    def values(self, table: RiskSetTable) -> np.ndarray:
        """Weight at each row (event time) of ``table``."""
        s = table.surv_left
        with np.errstate(divide="ignore"):
            inv = 1.0 / s
        both = (table.n_risk[:, 0] > 0) & (table.n_risk[:, 1] > 0) & (table.n_event.sum(axis=1) > 0)
        early = both & (table.time <= self.delay)
        out = np.empty_like(s)
        for j in range(table.n_strata):
            a, b = int(table.offsets[j]), int(table.offsets[j + 1])
            sel = early[a:b]
            cap = float(inv[a:b][sel].max()) if sel.any() else 1.0
            out[a:b] = np.minimum(min(cap, self.w_max), inv[a:b])
        return out


@dataclass(frozen=True)
class WeightFunction:
    """A user weight: ``func(time, surv_left)`` (``on="survival"``) or ``func(table)`` (``on="table"``).

    ``time`` and ``surv_left`` are the event times and the pooled left-continuous Kaplan-Meier
    S(t-) of their stratum, one entry per row of the risk-set table; ``table`` is the
    :class:`~survtrial.stats._risksets.RiskSetTable` itself (``time``, ``stratum``, ``n_risk``,
    ``n_event`` with one column per group, ``surv_left``). The function returns one finite weight
    per row.
    """

    func: Callable[..., Any]
    on: str = "survival"
    name: str = "user"

    def __post_init__(self) -> None:
        if not callable(self.func):
            raise InputError(f"weights: {self.func!r} is not callable; give a function of (time, surv_left)")
        if self.on not in ("survival", "table"):
            raise InputError(f"WeightFunction(on={self.on!r}): use 'survival' or 'table'")

    @property
    def label(self) -> str:
        return self.name

    def values(self, table: RiskSetTable) -> np.ndarray:
        """The function's weights, checked: one finite number per row."""
        raw = self.func(table) if self.on == "table" else self.func(table.time, table.surv_left)
        try:
            w = np.broadcast_to(np.asarray(raw, dtype=np.float64), table.time.shape)
        except (TypeError, ValueError):
            raise InputError(
                f"weights {self.name!r}: the function returned {type(raw).__name__} that is not "
                f"{table.time.size} numbers (one weight per event time)"
            ) from None
        bad = np.flatnonzero(~np.isfinite(w))
        if bad.size:
            raise InputError(
                f"weights {self.name!r}: non-finite weight {w[bad[0]]!r} at event time "
                f"{table.time[bad[0]]!r}; weights must be finite numbers"
            )
        return np.array(w)


Weight = FlemingHarrington | MagirrBurman | WeightFunction


def as_weight(
    spec: Any = "fh",
    *,
    rho: Any = 0.0,
    gamma: Any = 0.0,
    delay: Any = None,
    w_max: Any = None,
) -> Weight:
    """Turn ``spec`` into a weight object.

    ``"fh"`` uses ``rho``/``gamma``; ``"logrank"`` is FH(0, 0); ``"mb"`` uses ``delay``/``w_max``;
    a (rho, gamma) pair is FH; a weight object passes through; any other callable is a
    :class:`WeightFunction` of (time, surv_left).
    """
    if isinstance(spec, (FlemingHarrington, MagirrBurman, WeightFunction)):
        return spec
    if isinstance(spec, str):
        key = spec.lower().replace("-", "").replace("_", "")
        if key in ("fh", "flemingharrington"):
            return FlemingHarrington(rho, gamma)
        if key == "logrank":
            return FlemingHarrington(0.0, 0.0)
        if key in ("mb", "magirrburman"):
            return MagirrBurman(delay, w_max)
        raise InputError(
            f"weights={spec!r}: use 'fh' (with rho=, gamma=), 'mb' (with delay=, w_max=), 'logrank', "
            f"a (rho, gamma) pair, FlemingHarrington(...), MagirrBurman(...) or a function of "
            f"(time, surv_left)"
        )
    if isinstance(spec, tuple) and len(spec) == 2:
        return FlemingHarrington(spec[0], spec[1])
    if callable(spec):
        return WeightFunction(spec, name=getattr(spec, "__name__", "user"))
    raise InputError(
        f"weights={spec!r}: use 'fh', 'mb', 'logrank', a (rho, gamma) pair, a weight object or a "
        f"function of (time, surv_left)"
    )
