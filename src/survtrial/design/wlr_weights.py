"""Weight functions of weighted log-rank tests for design: Fleming-Harrington FH(rho, gamma) and Magirr-Burman."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial.errors import InputError

__all__ = ["WlrWeight", "fleming_harrington", "magirr_burman", "wlr_weight"]


@dataclass(frozen=True)
class WlrWeight:
    """A weight function of the pooled survival S (left-continuous; continuous in the design model).

    ``kind="fh"``: w = S^rho (1 - S)^gamma (rho = gamma = 0: the log-rank test).
    ``kind="mb"``: w = min(w_max, 1 / S(min(t, t_star))) (Magirr & Burman's modestly weighted test).
    """

    kind: str
    rho: float = 0.0
    gamma: float = 0.0
    t_star: float = math.inf
    w_max: float = math.inf

    @property
    def label(self) -> str:
        """``log-rank``, ``FH(rho, gamma)`` or ``MB(t*=..., w_max=...)``."""
        if self.kind == "fh":
            return "log-rank" if self.rho == 0 and self.gamma == 0 else f"FH({self.rho:g}, {self.gamma:g})"
        parts = []
        if math.isfinite(self.t_star):
            parts.append(f"t*={self.t_star:g}")
        if math.isfinite(self.w_max):
            parts.append(f"w_max={self.w_max:g}")
        return f"MB({', '.join(parts)})"

    @property
    def is_logrank(self) -> bool:
        return self.kind == "fh" and self.rho == 0 and self.gamma == 0

    def __call__(self, survival: np.ndarray, survival_at_t_star: np.ndarray | None = None) -> np.ndarray:
        """Weights at pooled survival values (``survival_at_t_star``: S(min(t, t*)) for Magirr-Burman)."""
        s = np.asarray(survival, dtype=float)
        if self.kind == "fh":
            out = np.ones_like(s)
            if self.rho:
                out = out * s**self.rho
            if self.gamma:
                out = out * np.clip(1.0 - s, 0.0, 1.0) ** self.gamma
            return out
        base = s if survival_at_t_star is None else np.asarray(survival_at_t_star, dtype=float)
        return np.minimum(self.w_max, 1.0 / base)

    def product(self, other: WlrWeight) -> WlrWeight | None:
        """The FH weight equal to self * other (None when not of that family)."""
        if self.kind == other.kind == "fh":
            return WlrWeight("fh", self.rho + other.rho, self.gamma + other.gamma)
        return None


def _nonnegative(x: Any, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise InputError(f"{name}={x!r} is not a number") from None
    if not (v >= 0 and math.isfinite(v)):
        raise InputError(f"{name}={x!r} must be a finite number >= 0")
    return v


def fleming_harrington(rho: float = 0.0, gamma: float = 0.0) -> WlrWeight:
    """Fleming-Harrington FH(rho, gamma) weights S(t-)^rho (1 - S(t-))^gamma of the pooled survival.

    Examples
    --------
    >>> fleming_harrington(0, 0.5).label
    'FH(0, 0.5)'
    """
    return WlrWeight("fh", _nonnegative(rho, "rho"), _nonnegative(gamma, "gamma"))


def magirr_burman(t_star: float | None = None, w_max: float | None = None) -> WlrWeight:
    """Magirr-Burman modestly weighted log-rank: w(t) = min(w_max, 1 / S(min(t, t*))).

    Give ``t_star`` (weights stop growing at t*; ``delay`` in ``survtrial.stats.MagirrBurman``),
    ``w_max`` (a cap), or both. In the design model S is the pooled survival of the tables; the
    analysis layer's cap (simtrial's: 1 / S just before the last event time <= t*) tends to it.

    References
    ----------
    Magirr D, Burman C-F (2019). Modestly weighted logrank tests. Stat Med 38:3782-3790.

    Examples
    --------
    >>> magirr_burman(t_star=4, w_max=2).label
    'MB(t*=4, w_max=2)'
    """
    t = math.inf if t_star is None else float(t_star)
    w = math.inf if w_max is None else float(w_max)
    if not t > 0:
        raise InputError(f"t_star={t_star!r} must be > 0 (time since randomisation)")
    if not w >= 1:
        raise InputError(f"w_max={w_max!r} must be >= 1 (weights start at 1)")
    if math.isinf(t) and math.isinf(w):
        raise InputError("magirr_burman: give t_star, w_max or both (otherwise the weights grow without bound)")
    return WlrWeight("mb", t_star=t, w_max=w)


_FH = re.compile(r"\s*fh\s*\(\s*([^,()]+)\s*,\s*([^,()]+)\s*\)\s*", re.IGNORECASE)
_MB = re.compile(r"\s*mb\s*\((.*)\)\s*", re.IGNORECASE)
_MB_KEYS = {"t*": "t_star", "tstar": "t_star", "tau": "t_star", "delay": "t_star", "wmax": "w_max"}


def wlr_weight(spec: Any) -> WlrWeight:
    """Parse a weight: a WlrWeight, ``"logrank"``, ``"fh(0, 0.5)"``, ``"mb(4)"``, ``"mb(t*=4, w_max=2)"``
    (``delay=`` as the analysis layer names t*), ``"mb(w_max=2)"``, a pair ``(rho, gamma)``, or the
    analysis layer's ``survtrial.stats.weights.FlemingHarrington`` / ``MagirrBurman``.

    Examples
    --------
    >>> wlr_weight("fh(0.5,0)"), wlr_weight("mb(t*=12)").t_star
    (WlrWeight(kind='fh', rho=0.5, gamma=0.0, t_star=inf, w_max=inf), 12.0)
    """
    if isinstance(spec, WlrWeight):
        return spec
    from survtrial.stats.weights import FlemingHarrington, MagirrBurman

    if isinstance(spec, FlemingHarrington):  # the analysis layer's weight objects
        return fleming_harrington(spec.rho, spec.gamma)
    if isinstance(spec, MagirrBurman):
        return magirr_burman(spec.delay, spec.w_max)
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        return fleming_harrington(*spec)
    if not isinstance(spec, str):
        raise InputError(f"test weight {spec!r}: expected 'logrank', 'fh(rho, gamma)', 'mb(t*=..., w_max=...)' "
                         "or a (rho, gamma) pair")
    text = spec.strip().lower().replace(" ", "")
    if text in ("logrank", "log-rank", "lr", "fh(0,0)"):
        return fleming_harrington(0, 0)
    m = _FH.fullmatch(spec)
    if m:
        return fleming_harrington(m.group(1), m.group(2))
    m = _MB.fullmatch(spec)
    if m:
        args: dict[str, float] = {}
        for i, part in enumerate(p for p in m.group(1).split(",") if p.strip()):
            key, _, value = part.partition("=")
            name = key.strip().lower() if value else ("t_star" if i == 0 else "w_max")
            name = _MB_KEYS.get(name, name)
            if name not in ("t_star", "w_max"):
                raise InputError(f"test weight {spec!r}: unknown parameter {key.strip()!r}; use t* and w_max")
            try:
                args[name] = float(value if value else key)
            except ValueError:
                raise InputError(f"test weight {spec!r}: {part.strip()!r} is not a number") from None
        return magirr_burman(**args)
    raise InputError(f"test weight {spec!r} not recognised; use 'logrank', 'fh(rho, gamma)' such as 'fh(0, 0.5)', "
                     "or 'mb(t*=..., w_max=...)'")
