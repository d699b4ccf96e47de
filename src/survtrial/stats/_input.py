"""The one coercion helper at the API edge: columns or arrays in, validated numpy arrays out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from survtrial.errors import InputError

__all__ = [
    "as_event",
    "as_flag",
    "as_labels",
    "as_number",
    "as_numeric_matrix",
    "as_time",
    "as_weights",
    "check_lengths",
    "column",
    "where",
]


def _frame_columns(data: Any) -> list[str]:
    cols = getattr(data, "columns", None)
    if cols is None:
        raise InputError(
            f"data must be a pandas or polars DataFrame (or a dict of columns), got {type(data).__name__}"
        )
    return [str(c) for c in cols]


def column(data: Any, name: Any, role: str) -> Any:
    """Return column ``name`` of ``data`` (pandas, polars or dict) as a numpy array.

    If ``data`` is None, ``name`` is taken to be the values themselves (array, list, Series).
    ``role`` names the argument (``"time"``, ``"event"``...) for error messages.
    """
    if name is None:
        return None
    if data is None:
        if isinstance(name, str):
            raise InputError(
                f"{role}={name!r} looks like a column name but no data frame was given; "
                f"pass data=frame, or pass the values themselves"
            )
        return _to_numpy(name)
    if not isinstance(name, str):
        return _to_numpy(name)
    if isinstance(data, dict):
        if name not in data:
            raise InputError(
                f"{role}: column {name!r} not found; available columns: {sorted(map(str, data))}"
            )
        return _to_numpy(data[name])
    cols = _frame_columns(data)
    if name not in cols:
        raise InputError(f"{role}: column {name!r} not found; available columns: {cols}")
    return _to_numpy(data[name])


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "to_numpy"):  # pandas / polars Series
        try:
            return np.asarray(x.to_numpy())
        except TypeError:
            return np.asarray(list(x))
    return np.asarray(x)


class _ColumnRole(str):
    """The role of values taken from a frame's column: messages say ``column 'AVAL' row 17`` (1-based)."""

    column: str


def where(data: Any, name: Any, role: str) -> str:
    """How messages name the values of argument ``role``: ``column 'months'`` when ``name`` is a
    column of ``data`` (positions then read as 1-based rows), else ``role`` itself (0-based positions).

    Examples
    --------
    >>> where({"months": [1]}, "months", "time"), where(None, [1.0], "time")
    ("column 'months'", 'time')
    """
    if data is None or not isinstance(name, str):
        return role
    label = _ColumnRole(f"column {name!r}")
    label.column = name
    return label


def _where(role: str, idx: int) -> str:
    if isinstance(role, _ColumnRole):
        return f"{role} row {idx + 1}"
    return f"{role} position {idx}"


def as_time(x: Any, role: str = "time", *, allow_zero: bool = True) -> np.ndarray:
    """Validate follow-up times: 1-d, numeric, finite, >= 0 (or > 0 when ``allow_zero`` is False)."""
    a = np.asarray(x)
    if a.ndim != 1:
        raise InputError(f"{role}: expected a 1-d array of times, got shape {a.shape}")
    if a.size == 0:
        raise InputError(f"{role}: empty input; at least one observation is needed")
    if a.dtype.kind not in "iuf":
        if a.dtype.kind == "b":
            raise InputError(f"{role}: boolean values given where times are needed")
        try:
            a = a.astype(float)
        except (TypeError, ValueError):
            bad = next((i for i, v in enumerate(a) if not _is_number(v)), 0)
            raise InputError(
                f"{_where(role, bad)}: non-numeric value {_show(a[bad])}; times must be numbers >= 0"
            ) from None
    a = a.astype(np.float64, copy=False)
    nan = np.flatnonzero(~np.isfinite(a))
    if nan.size:
        raise InputError(
            f"{_where(role, int(nan[0]))}: missing or infinite time {_show(a[nan[0]])} "
            f"({nan.size} such value(s)); drop or impute these rows first"
        )
    neg = np.flatnonzero(a < 0) if allow_zero else np.flatnonzero(a <= 0)
    if neg.size:
        rule = ">= 0" if allow_zero else "> 0"
        raise InputError(
            f"{_where(role, int(neg[0]))}: invalid time {_show(a[neg[0]])} ({neg.size} such value(s)); "
            f"times must be {rule}"
        )
    return a


def _show(v: Any) -> str:
    """A value as the user wrote it: plain Python repr, not numpy's ``np.float64(...)``."""
    return repr(v.item() if isinstance(v, np.generic) else v)


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def as_event(x: Any, role: str = "event", *, codes: Sequence[int] = (0, 1)) -> np.ndarray:
    """Validate event indicators; returns int64. Accepts booleans or integers in ``codes``.

    With the default codes a value of 1 (True) is an event and 0 (False) a censoring.
    """
    a = np.asarray(x)
    if a.ndim != 1:
        raise InputError(f"{role}: expected a 1-d array, got shape {a.shape}")
    if a.size == 0:
        raise InputError(f"{role}: empty input; at least one observation is needed")
    if a.dtype.kind == "b":
        return a.astype(np.int64)
    if a.dtype.kind not in "iuf":
        try:
            a = a.astype(float)
        except (TypeError, ValueError):
            bad = next((i for i, v in enumerate(a) if not _is_number(v)), 0)
            raise InputError(
                f"{_where(role, bad)}: non-numeric value {_show(a[bad])}; "
                f"event codes must be one of {list(codes)}"
            ) from None
    if a.dtype.kind == "f":
        nan = np.flatnonzero(~np.isfinite(a))
        if nan.size:
            raise InputError(
                f"{_where(role, int(nan[0]))}: missing event indicator; use one of {list(codes)}"
            )
    if len(codes) <= 4:  # a few codes: one comparison each is several times faster than np.isin
        allowed = np.zeros(a.shape, dtype=bool)
        for c in codes:
            allowed |= a == c
    else:
        allowed = np.isin(a, np.asarray(codes))
    if not allowed.all():
        i = int(np.flatnonzero(~allowed)[0])
        raise InputError(
            f"{_where(role, i)}: event code {_show(a[i])} is not one of {list(codes)}"
            + (" (1 = event, 0 = censored)" if tuple(codes) == (0, 1) else "")
        )
    return a.astype(np.int64)


def as_weights(x: Any, n: int, role: str = "weights") -> np.ndarray:
    """Validate case weights: finite and > 0; None gives ones."""
    if x is None:
        return np.ones(n)
    a = np.asarray(x)
    if a.dtype.kind not in "iuf":
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            bad = next((i for i, v in enumerate(a.ravel()) if not _is_number(v)), 0)
            raise InputError(
                f"{_where(role, bad)}: non-numeric weight {_show(a.ravel()[bad])}; weights must be numbers > 0"
            ) from None
    a = a.astype(np.float64)
    check_lengths(n, **{role: a})
    bad = np.flatnonzero(~np.isfinite(a) | (a <= 0))
    if bad.size:
        raise InputError(
            f"{_where(role, int(bad[0]))}: weight {_show(a[bad[0]])} is not a finite number > 0; "
            f"drop zero-weight rows instead"
        )
    return a


def as_labels(x: Any, role: str = "group", *, min_levels: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Factorize labels: returns (codes 0..k-1, sorted unique levels). Missing labels are an error."""
    a = np.asarray(x)
    if a.ndim != 1:
        raise InputError(f"{role}: expected a 1-d array, got shape {a.shape}")
    if a.dtype.kind == "f":
        nan = np.flatnonzero(np.isnan(a))
        if nan.size:
            raise InputError(f"{_where(role, int(nan[0]))}: missing label; drop or recode these rows")
    elif a.dtype.kind == "O":
        with np.errstate(invalid="ignore"):
            miss = np.flatnonzero((a == None) | (a != a))  # noqa: E711 - elementwise None / NaN test
        if miss.size:
            raise InputError(f"{_where(role, int(miss[0]))}: missing label; drop or recode these rows")
        a = a.astype(str)
    if a.dtype.kind in "US" and a.size > 10_000:
        # Hash-based factorisation of many strings is several times faster than np.unique's sort
        # of the strings themselves; sorting only the few distinct levels keeps the same result.
        import pandas as pd

        codes, uniq = pd.factorize(a, sort=True)
        levels = np.asarray(uniq, dtype=a.dtype)
    else:
        levels, codes = np.unique(a, return_inverse=True)
    if levels.size < min_levels:
        raise InputError(
            f"{role}: found {levels.size} level(s) {list(levels)}, need at least {min_levels}; "
            f"check the column or filter"
        )
    return codes.astype(np.int64), levels


def as_numeric_matrix(x: Any, names: Sequence[str], role: str = "covariates") -> np.ndarray:
    """Validate a 2-d numeric design matrix (n, p): numeric, no NaN, no constant column."""
    a = np.asarray(x)
    if a.ndim == 1:
        a = a[:, None]
    if a.dtype.kind not in "iufb":
        try:
            a = a.astype(float)
        except (TypeError, ValueError):
            raise InputError(f"{role}: non-numeric values; encode categories or pass a frame") from None
    a = a.astype(np.float64)
    for j in range(a.shape[1]):
        col = a[:, j]
        nm = names[j] if j < len(names) else f"column {j}"
        if np.isnan(col).all():
            raise InputError(f"{role}: covariate {nm!r} is all missing; drop it")
        bad = np.flatnonzero(~np.isfinite(col))
        if bad.size:
            raise InputError(
                f"{role}: covariate {nm!r} row {int(bad[0])}: missing or infinite value; "
                f"drop or impute these rows ({bad.size} in all)"
            )
        if np.ptp(col) == 0:
            raise InputError(f"{role}: covariate {nm!r} is constant ({col[0]!r}); drop it from the model")
    return a


def as_number(x: Any, role: str) -> float:
    """Validate one finite real number (a scalar argument such as a drift or a spending parameter)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise InputError(f"{role}: expected a number, got {x!r}") from None
    if not np.isfinite(v):
        raise InputError(f"{role}: must be finite, got {x!r}")
    return v


def as_flag(x: Any, role: str) -> bool:
    """A True/False option (Python or numpy bool); anything else is an InputError naming it."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    raise InputError(f"{role} must be True or False, got {_show(x)}")


def check_lengths(n: int | None = None, **arrays: Any) -> int:
    """Check that all non-None arrays share one length; returns it."""
    lens = {k: len(v) for k, v in arrays.items() if v is not None}
    if n is None and lens:
        n = next(iter(lens.values()))
    bad = {k: m for k, m in lens.items() if m != n}
    if bad:
        raise InputError(
            f"arrays of different lengths: expected {n}, got "
            + ", ".join(f"{k}={m}" for k, m in bad.items())
        )
    return int(n or 0)
