"""Event coding for competing risks at the API edge: codes or labels in, 0 = censored / 1..K out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from survtrial.errors import InputError
from survtrial.stats._input import as_labels, as_time, as_weights, check_lengths, column, where

__all__ = ["competing_events", "prepare_competing"]


def _is_integral(v: np.ndarray) -> np.ndarray:
    return np.isfinite(v) & (v == np.round(v))


def _label(v: Any) -> Any:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def competing_events(
    event: Any, censor_code: Any, causes: Sequence[Any] | Mapping[Any, Any] | None, role: str = "event"
) -> tuple[np.ndarray, np.ndarray]:
    """Code events as 0 = censored, 1..K = causes; returns (codes, cause labels)."""
    a = np.asarray(event)
    if a.ndim != 1:
        raise InputError(f"{role}: expected a 1-d array of event codes, got shape {a.shape}")
    if a.size == 0:
        raise InputError(f"{role}: empty input; at least one observation is needed")
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    numeric = a.dtype.kind in "iuf"
    if numeric:
        a = a.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise InputError(
                f"{role} position {int(bad[0])}: missing event code; use {censor_code!r} for censored "
                f"and 1..K for the causes"
            )
        if isinstance(censor_code, str):
            raise InputError(
                f"censor_code={censor_code!r} is a label but {role} holds numbers; pass the number "
                f"that means censored (e.g. censor_code=0)"
            )
        cens = float(censor_code)
        keys = a
    else:
        miss = [i for i, v in enumerate(a) if v is None or (isinstance(v, float) and np.isnan(v))]
        if miss:
            raise InputError(f"{role} position {miss[0]}: missing event label; drop or recode these rows")
        keys = a.astype(str)
        cens = str(censor_code)

    if causes is None:
        observed = np.unique(keys[keys != cens])
        if numeric:
            bad = np.flatnonzero(~_is_integral(keys) | (keys < 0))
            bad = bad[keys[bad] != cens]
            if bad.size:
                i = int(bad[0])
                raise InputError(
                    f"{role} position {i}: event code {keys[i]:g} is not allowed; use {censor_code!r} "
                    f"for censored and positive integers 1..K for the causes"
                )
        elif cens not in set(keys.tolist()):
            raise InputError(
                f"{role}: the censoring code {censor_code!r} is not among the labels "
                f"{sorted(set(keys.tolist()))[:8]}; pass censor_code=<label that means censored>, "
                f"or causes=[...] listing every label when nobody is censored"
            )
        cause_keys = list(observed)
        labels = [_label(v) for v in observed]
    else:
        items = list(causes.items()) if isinstance(causes, Mapping) else [(c, c) for c in causes]
        if not items:
            raise InputError("causes: empty; list at least one cause code")
        cause_keys = []
        for code, _ in items:
            if numeric:
                try:
                    k = float(code)
                except (TypeError, ValueError):
                    raise InputError(
                        f"causes: {code!r} is not a number but {role} holds numeric codes"
                    ) from None
            else:
                k = str(code)
            if k == cens:
                raise InputError(f"causes: {code!r} is also the censoring code; remove it from causes")
            cause_keys.append(k)
        if len(set(cause_keys)) != len(cause_keys):
            raise InputError(f"causes: duplicated code in {[c for c, _ in items]}")
        labels = [_label(lab) for _, lab in items]
        allowed = np.isin(keys, np.asarray([*cause_keys, cens], dtype=keys.dtype))
        if not allowed.all():
            i = int(np.flatnonzero(~allowed)[0])
            shown = f"{keys[i]:g}" if numeric else repr(keys[i])
            raise InputError(
                f"{role} position {i}: event code {shown} is neither a listed cause "
                f"{[c for c, _ in items]} nor the censoring code {censor_code!r}; add it to causes"
            )
    codes = np.zeros(keys.size, dtype=np.int64)
    for j, k in enumerate(cause_keys):
        codes[keys == k] = j + 1
    return codes, np.asarray(labels, dtype=object)


def prepare_competing(time, event, group, strata, weights, data, censor_code, causes):
    t = as_time(column(data, time, "time"), where(data, time, "time"))
    codes, labels = competing_events(column(data, event, "event"), censor_code, causes)
    g_raw = column(data, group, "group")
    s_raw = column(data, strata, "strata")
    w_raw = column(data, weights, "weights")
    check_lengths(t.size, time=t, event=codes, group=g_raw, strata=s_raw, weights=w_raw)
    if g_raw is None:
        g, levels = np.zeros(t.size, dtype=np.int64), np.asarray(["all"], dtype=object)
    else:
        g, levels = as_labels(g_raw, where(data, group, "group"))
        levels = np.asarray(levels.tolist(), dtype=object)  # plain Python labels
    s = None if s_raw is None else as_labels(s_raw, "strata")[0]
    w = None if w_raw is None else as_weights(w_raw, t.size, where(data, weights, "weights"))
    return t, codes, labels, g, levels, s, w
