"""Digitized Kaplan-Meier curves and numbers at risk: reading, the survival scale, cleaning and checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from survtrial.errors import InputError
from survtrial.stats._input import column

__all__ = ["ArmCurve", "read_digitized"]

# A curve whose largest value is at most this is read as proportions; at least PERCENT_FROM as
# percentages; anything between cannot be told apart and needs survival_scale=.
PROPORTION_UP_TO = 1.5
PERCENT_FROM = 50.0
SCALES = ("proportion", "percent")


@dataclass(frozen=True)
class ArmCurve:
    """One arm's validated input: curve points (proportions) and numbers at risk."""

    arm: str
    time: np.ndarray
    survival: np.ndarray
    rows: np.ndarray  # 1-based input row of each curve point
    risk_time: np.ndarray
    n_risk: np.ndarray
    total_events: int | None
    n_cleaned: int  # points changed by cleaning


def _load(obj: Any, role: str) -> tuple[Any, str]:
    """A frame (pandas, polars, dict of columns) or a file path; returns (data, name for messages)."""
    if isinstance(obj, (str, Path)):
        from survtrial.data.io import read_table

        return read_table(obj, role=role), str(obj)
    if obj is None:
        raise InputError(f"{role}: no table given")
    return obj, role


def _has(data: Any, name: str) -> bool:
    cols = data.keys() if isinstance(data, Mapping) else getattr(data, "columns", ())
    return name in [str(c) for c in cols]


def _numeric(data: Any, name: str, where: str) -> np.ndarray:
    raw = column(data, name, f"{where} column {name!r}")
    try:
        a = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next(i for i, v in enumerate(raw) if not _is_number(v))
        raise InputError(f"{where} row {bad + 1}, column {name!r}: {raw[bad]!r} is not a number") from None
    miss = np.flatnonzero(~np.isfinite(a))
    if miss.size:
        raise InputError(
            f"{where} row {int(miss[0]) + 1}, column {name!r}: missing or infinite value; "
            f"every row needs a number ({miss.size} such row(s))"
        )
    return a


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _arms(data: Any, name: str | None, where: str, n: int) -> np.ndarray:
    if name is None or not _has(data, name):
        return np.full(n, "all", dtype=object)
    raw = np.asarray(column(data, name, f"{where} column {name!r}"), dtype=object)
    for i, v in enumerate(raw):
        if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
            raise InputError(f"{where} row {i + 1}, column {name!r}: blank arm; every row needs its arm")
    return np.array([str(v) for v in raw], dtype=object)


def infer_scale(survival: np.ndarray, scale: str | None, where: str) -> str:
    """'proportion' or 'percent': as given, or read from the largest value when unambiguous."""
    if scale is not None:
        if scale not in SCALES:
            raise InputError(f"survival_scale={scale!r}: use 'proportion' (0-1) or 'percent' (0-100)")
        return scale
    top = float(survival.max())
    if top <= PROPORTION_UP_TO:
        return "proportion"
    if top >= PERCENT_FROM:
        return "percent"
    row = int(np.argmax(survival)) + 1
    raise InputError(
        f"{where} row {row}: the largest survival value is {top:g}, too large for a proportion (0-1) "
        f"and too small for the start of a percentage curve (0-100); pass survival_scale='proportion' "
        f"or 'percent' (CLI: --scale)"
    )


def _check_curve(arm: str, t: np.ndarray, s: np.ndarray, rows: np.ndarray, where: str, clean: bool,
                 cols: tuple[str, str]):
    """Checks (or, with ``clean``, repairs) one arm's points; returns (t, s, rows, n_changed)."""
    tag = f"{where} row {{}} (arm {arm!r}), column {{!r}}"
    tc, sc = cols
    if t.size < 2:
        raise InputError(f"{where} arm {arm!r}: {t.size} point(s); a curve needs at least 2 digitized points")
    if clean:
        order = np.argsort(t, kind="stable")
        t0, s0 = t.copy(), s.copy()
        t, s, rows = np.maximum(t[order], 0.0), np.clip(s[order], 0.0, 1.0), rows[order]
        s = np.minimum.accumulate(s)
        changed = int(np.sum((t != t0[order]) | (s != s0[order])) + np.sum(order != np.arange(order.size)))
        return t, s, rows, min(changed, t.size)
    neg = np.flatnonzero(t < 0)
    if neg.size:
        i = int(neg[0])
        raise InputError(f"{tag.format(rows[i], tc)}: negative time {t[i]:g}; times start at 0 "
                         f"(clean=True / --clean sets them to 0)")
    down = np.flatnonzero(np.diff(t) < 0)
    if down.size:
        i = int(down[0]) + 1
        raise InputError(f"{tag.format(rows[i], tc)}: time {t[i]:g} comes after {t[i - 1]:g}; times must be "
                         f"sorted ascending within an arm (clean=True / --clean sorts them)")
    out = np.flatnonzero((s < 0) | (s > 1))
    if out.size:
        i = int(out[0])
        raise InputError(f"{tag.format(rows[i], sc)}: survival {s[i]:g} is outside [0, 1] on the proportion "
                         f"scale; fix the point, check survival_scale, or clean=True / --clean to clip it")
    up = np.flatnonzero(np.diff(s) > 0)
    if up.size:
        i = int(up[0]) + 1
        raise InputError(f"{tag.format(rows[i], sc)}: survival increases from {s[i - 1]:g} to {s[i]:g} at time "
                         f"{t[i]:g}; a Kaplan-Meier curve never increases (fix the point, or clean=True / "
                         f"--clean to carry the previous value forward)")
    return t, s, rows, 0


def _check_risk(arm: str, tr: np.ndarray, nr: np.ndarray, rows: np.ndarray, t_last: float, where: str,
                cols: tuple[str, str]):
    tag = f"{where} row {{}} (arm {arm!r}), column {{!r}}"
    tc, nc = cols
    if tr.size == 0:
        raise InputError(f"{where}: no numbers at risk for arm {arm!r}; give at least the number at time 0")
    frac = np.flatnonzero((nr != np.round(nr)) | (nr < 0))
    if frac.size:
        i = int(frac[0])
        raise InputError(f"{tag.format(rows[i], nc)}: number at risk {nr[i]:g} is not a whole number >= 0")
    if tr[0] != 0:
        raise InputError(f"{tag.format(rows[0], tc)}: the first number at risk is at time {tr[0]:g}; the table "
                         f"must start at time 0 with the arm's size")
    dup = np.flatnonzero(np.diff(tr) <= 0)
    if dup.size:
        i = int(dup[0]) + 1
        raise InputError(f"{tag.format(rows[i], tc)}: at-risk time {tr[i]:g} does not come after {tr[i - 1]:g}; "
                         f"at-risk times must be strictly increasing")
    over = np.flatnonzero(nr > nr[0])
    if over.size:
        i = int(over[0])
        raise InputError(f"{tag.format(rows[i], nc)}: {int(nr[i])} at risk at time {tr[i]:g} exceeds the arm's "
                         f"first count {int(nr[0])}")
    up = np.flatnonzero(np.diff(nr) > 0)
    if up.size:
        i = int(up[0]) + 1
        raise InputError(f"{tag.format(rows[i], nc)}: numbers at risk increase from {int(nr[i - 1])} to "
                         f"{int(nr[i])} at time {tr[i]:g}; they can only fall")
    beyond = np.flatnonzero(tr > t_last)
    if beyond.size:
        i = int(beyond[0])
        raise InputError(f"{tag.format(rows[i], tc)}: at-risk time {tr[i]:g} is beyond the digitized curve, "
                         f"which ends at {t_last:g}; digitize the curve up to it or drop the row")


def _events(total_events: Any, arms: list[str]) -> dict[str, int]:
    if total_events is None:
        return {}
    if not isinstance(total_events, Mapping):
        if len(arms) != 1:
            raise InputError(f"total_events: give a mapping arm -> events for the arms {arms}")
        total_events = {arms[0]: total_events}
    out = {}
    for k, v in total_events.items():
        if str(k) not in arms:
            raise InputError(f"total_events: arm {str(k)!r} is not in the curve; arms: {arms}")
        if isinstance(v, bool) or not _is_number(v) or float(v) != int(float(v)) or float(v) < 0:
            raise InputError(f"total_events[{str(k)!r}] = {v!r}: must be a whole number >= 0")
        out[str(k)] = int(float(v))
    return out


def read_digitized(
    curves: Any, at_risk: Any, total_events: Any, *, arm: str | None, time: str, survival: str,
    n_risk: str, survival_scale: str | None, clean: bool,
) -> tuple[list[ArmCurve], str]:
    """Validate the inputs of :func:`~survtrial.data.reconstruct.reconstruct_ipd`; returns (arms, scale)."""
    cdata, cname = _load(curves, "curves")
    rdata, rname = _load(at_risk, "at_risk")
    t = _numeric(cdata, time, cname)
    s = _numeric(cdata, survival, cname)
    ca = _arms(cdata, arm, cname, t.size)
    tr = _numeric(rdata, time, rname)
    nr = _numeric(rdata, n_risk, rname)
    ra = _arms(rdata, arm, rname, tr.size)
    if t.size == 0:
        raise InputError(f"{cname}: no rows; a curve needs at least 2 digitized points")
    scale = infer_scale(s, survival_scale, cname)
    if scale == "percent":
        s = s / 100.0
    arms = list(dict.fromkeys(ca.tolist()))
    missing = [a for a in arms if a not in set(ra.tolist())]
    extra = [a for a in dict.fromkeys(ra.tolist()) if a not in set(arms)]
    if missing or extra:
        raise InputError(
            f"arms differ between {cname} and {rname}: "
            + "; ".join(x for x in (f"no numbers at risk for {missing}" if missing else "",
                                     f"no curve for {extra}" if extra else "") if x)
        )
    events = _events(total_events, arms)
    rows = np.arange(1, t.size + 1)
    rrows = np.arange(1, tr.size + 1)
    out = []
    for a in arms:
        sel, rsel = ca == a, ra == a
        ta, sa, rows_a, changed = _check_curve(a, t[sel], s[sel], rows[sel], cname, clean, (time, survival))
        _check_risk(a, tr[rsel], nr[rsel], rrows[rsel], float(ta[-1]), rname, (time, n_risk))
        n0 = int(nr[rsel][0])
        if a in events and events[a] > n0:
            raise InputError(f"total_events[{a!r}] = {events[a]} exceeds the arm's {n0} patients")
        out.append(ArmCurve(a, ta, sa, rows_a, tr[rsel], nr[rsel].astype(np.int64), events.get(a), changed))
    return out, scale
