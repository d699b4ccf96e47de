"""Argument checks for group_sequential (fractions, error rates, tests, spending, futility); key-error messages."""

from __future__ import annotations

from typing import Any

import numpy as np

from survtrial.design.spending import SpendingFunction, spending_function, user_spending
from survtrial.errors import InputError

_CLASSIC = {"OF": 0.0, "P": 0.5, "WT": None}


def fractions(fractions: Any, k: Any) -> np.ndarray:
    if fractions is None:
        if k is None:
            raise InputError("give information_fractions=(...) or k=<number of looks>")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"k: number of looks must be an integer >= 1, got {k!r}")
        return np.arange(1, int(k) + 1) / int(k)
    try:
        t = np.asarray(fractions, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"information_fractions: expected numbers, got {fractions!r}") from None
    if k is not None and k != t.size:
        raise InputError(f"k={k} does not match the {t.size} information_fractions given")
    if t.size == 0:
        raise InputError("information_fractions: need at least one look (K >= 1)")
    if not np.all(np.isfinite(t)) or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise InputError(f"information_fractions: must be strictly increasing and > 0, got {t.tolist()}")
    if abs(t[-1] - 1.0) > 1e-9:
        raise InputError(f"information_fractions: the last look must be at 1 (full information), got {t[-1]}")
    t[-1] = 1.0
    return t


def probability(x: Any, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number in (0, 1), got {x!r}") from None
    if not (0.0 < v < 1.0):
        raise InputError(f"{name}: must be in (0, 1), got {x!r}")
    return v


def beta_level(beta: Any, power: Any) -> float:
    if beta is None and power is None:
        return 0.1
    if power is None:
        return probability(beta, "beta")
    p = probability(power, "power")
    if beta is not None and abs(probability(beta, "beta") - (1.0 - p)) > 1e-12:
        raise InputError(f"beta={beta} and power={power} disagree; give only one of them")
    return 1.0 - p


def test_type_and_delta(test_type: Any, delta: Any) -> tuple[str, float | None]:
    name = str(test_type)
    if name == "spending":
        if delta is not None:
            raise InputError("delta applies to test_type='WT' only")
        return name, None
    if name not in _CLASSIC:
        raise InputError(f"test_type: use 'spending', 'OF', 'P' or 'WT', got {test_type!r}")
    if name == "WT":
        if delta is None:
            raise InputError("test_type='WT' needs delta (0 = O'Brien-Fleming, 0.5 = Pocock)")
        d = float(delta)
        if not (-0.5 <= d <= 1.0):
            raise InputError(f"delta: Wang-Tsiatis shape must be in [-0.5, 1], got {delta!r}")
        return name, d
    if delta is not None and float(delta) != _CLASSIC[name]:
        raise InputError(f"delta does not apply to test_type={name!r}")
    return name, _CLASSIC[name]


def spending(spec: Any, t: np.ndarray, level: float, name: str) -> SpendingFunction:
    if isinstance(spec, (str, tuple, SpendingFunction)):
        try:
            return spending_function(spec)
        except InputError as err:
            raise InputError(f"{name}: {err}") from None
    try:
        cum = np.asarray(spec, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a name, a SpendingFunction or cumulative values, got {spec!r}") from None
    if cum.size != t.size:
        raise InputError(f"{name}: need one cumulative value per look ({t.size}), got {cum.size}")
    if abs(cum[-1] - level) > 1e-12 * max(1.0, level):
        raise InputError(f"{name}: the last cumulative value must equal the total ({level:g}), got {cum[-1]:g}")
    try:
        return user_spending(t, cum / level)
    except InputError as err:
        raise InputError(f"{name}: {err}") from None


def futility_bounds(bounds: Any, k: int) -> np.ndarray | None:
    if bounds is None:
        return None
    b = np.asarray(bounds, dtype=float).ravel()
    if b.size != k - 1:
        raise InputError(f"futility_bounds: need one z-bound per interim look ({k - 1}), got {b.size}")
    if np.any(np.isnan(b)) or np.any(b == np.inf):
        raise InputError(f"futility_bounds: must be numbers or -inf (no bound), got {b.tolist()}")
    return b



def key_errors(err: Any, source: str, allowed: Any) -> InputError:
    """One InputError naming each bad key of a flat pydantic model's ValidationError.

    Unknown keys list the ``allowed`` ones; other errors give the key, pydantic's message and the
    value received.
    """
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown key {key!r}; allowed keys: {', '.join(allowed)}")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            lines.append(f"key {key!r}: {msg} (got {e.get('input')!r})" if key != "(top level)" else msg)
    return InputError(f"{source}: " + "; ".join(lines))
