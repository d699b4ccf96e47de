"""Pointwise survival confidence limits and survival-curve quantiles following R survival's rules."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from survtrial.errors import InputError

__all__ = ["CONF_TYPES", "QUANTILE_TOL", "check_conf", "confint", "curve_quantiles"]

CONF_TYPES = ("log-log", "log", "plain")

#: R quantile.survfit's default tolerance, sqrt(.Machine$double.eps).
QUANTILE_TOL = float(np.sqrt(np.finfo(float).eps))


def check_conf(level: float, conf_type: str) -> tuple[float, str]:
    """Validate a confidence level in (0, 1) and a conf_type name; returns them."""
    raw = level
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise InputError(f"conf_level: expected a number in (0, 1), got {raw!r}") from None
    if not 0.0 < level < 1.0:
        raise InputError(f"conf_level: {raw!r} is not in (0, 1); e.g. 0.95 for a 95% interval")
    if conf_type not in CONF_TYPES:
        raise InputError(f"conf_type: {conf_type!r} is not one of {list(CONF_TYPES)}")
    return level, conf_type


def confint(
    surv: np.ndarray, se_log: np.ndarray, level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits for S(t) from ``se_log`` = SE of log S(t), as R ``survfit_confint``.

    ``plain``: S -/+ z se S clipped to [0, 1]; ``log``: S exp(-/+ z se), upper clipped at 1;
    ``log-log``: exp(-exp(log(-log S) -/+ z se / log S)). Where se == 0 (before the first event)
    both limits equal S; where S == 0 (se infinite) the limits are NaN, as R's NA.
    """
    z = float(ndtri(1.0 - (1.0 - level) / 2.0))
    s = np.asarray(surv, dtype=np.float64)
    se = np.asarray(se_log, dtype=np.float64)
    zero_se = se == 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = z * se * s
            lower = np.maximum(s - half, 0.0)
            upper = np.minimum(s + half, 1.0)
        elif conf_type == "log":
            ls = np.log(np.where(s == 0, np.nan, s))
            lower = np.exp(ls - z * se)
            upper = np.minimum(np.exp(ls + z * se), 1.0)
        else:
            # exp(-exp(log(-log S) -/+ h)) written as exp(log S * exp(-/+ h)): fewer exp/log calls
            lx = np.log(np.where((s == 0) | (s == 1), np.nan, s))
            scale = np.exp(z * se / lx)  # exp(h), h = z se / log S (< 0)
            lower = np.exp(lx / scale)
            upper = np.exp(lx * scale)
    if conf_type != "plain":
        lower = np.where(zero_se, s, lower)
        upper = np.where(zero_se, s, upper)
    return lower, upper


def _first_index_at_or_above(y: np.ndarray, idx: np.ndarray, p: np.ndarray) -> np.ndarray:
    """R ``approx(y, idx, p, method='constant', f=1)``: the idx of the smallest y >= p; -1 = NA."""
    order = np.argsort(y, kind="stable")
    ys = y[order]
    pos = np.searchsorted(ys, p, side="left")
    out = np.full(p.shape, -1, dtype=np.int64)
    ok = (pos < ys.size) & (p >= ys[0])
    out[ok] = idx[order[pos[ok]]]
    return out


def _findq(x: np.ndarray, y: np.ndarray, p: np.ndarray, xmax: float, tol: float) -> np.ndarray:
    """R survival's ``findq``: times where the curve ``y = 1 - S`` reaches each ``p``.

    ``x``/``y`` start with the origin (0, 0). If the curve is flat exactly at ``p`` (within ``tol``)
    the midpoint of the flat is returned; a flat at the end of the curve uses ``xmax``.
    """
    out = np.full(p.shape, np.nan)
    if np.all(np.isnan(y)) or np.nanmax(y) < p.min():
        return out
    # drop repeated values (R's duplicated(): keep first occurrence; NaN counts as a value)
    _, first = np.unique(y, return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    ok = ~np.isnan(y)
    if ok.sum() < 2:  # R's approx() needs two points; nothing sensible to report
        return out
    idx = np.flatnonzero(ok)
    i1 = _first_index_at_or_above(y[ok] + tol, idx, p)
    i2 = _first_index_at_or_above(y[ok] - tol, idx, p)
    good = (i1 >= 0) & (i2 >= 0)
    out[good] = (x[i1[good]] + x[i2[good]]) / 2.0
    out[p == 0] = x[0]
    if not np.isnan(y[-1]):
        last = np.abs(p - y[-1]) < tol
        last_ok = last & (i1 >= 0)
        out[last & (i1 < 0)] = np.nan
        out[last_ok] = (x[i1[last_ok]] + xmax) / 2.0
    return out


def curve_quantiles(
    time: np.ndarray,
    surv: np.ndarray,
    n_event: np.ndarray,
    p: np.ndarray,
    tol: float = QUANTILE_TOL,
) -> np.ndarray:
    """Quantiles (times where 1 - S reaches ``p``) of one step curve, as R ``quantile.survfit``.

    ``surv`` may be the estimate or a pointwise confidence limit (possibly with NaN). Rows without
    events repeat the previous value, so only event rows (and the origin) are searched; the last
    follow-up time is kept for the end-of-curve flat rule.
    """
    p = np.atleast_1d(np.asarray(p, dtype=np.float64))
    if time.size == 0:
        return np.full(p.shape, np.nan)
    ev = n_event > 0
    x = np.concatenate(([0.0], time[ev]))
    y = np.concatenate(([0.0], 1.0 - surv[ev]))
    return _findq(x, y, p, float(time[-1]), tol)
