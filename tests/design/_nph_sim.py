"""An independent small simulator of two-arm trials under piecewise tables, and plain statistics.

Written only for the tests of survtrial.design's non-proportional-hazards designs: numpy draws of
enrolment (piecewise uniform), piecewise-exponential event times with a piecewise hazard ratio and
exponential dropout; data cut at calendar times or at the calendar time of the d-th event; weighted
log-rank z (Fleming-Harrington weights from the left-continuous pooled Kaplan-Meier, hypergeometric
variance), Kaplan-Meier RMST and milestone differences with Greenwood-type variances.
"""

from __future__ import annotations

import math

import numpy as np


def draw(n_trials: int, n: int, enroll: list[tuple[float, float]], breaks: list[float], control: list[float],
         hr: list[float], dropout: float, rng: np.random.Generator, ratio: float = 1.0):
    """Entry time, arm (1 = experimental), event time, dropout time: arrays (n_trials, n)."""
    dur = np.array([d for d, _ in enroll])
    rate = np.array([r for _, r in enroll])
    mass = np.cumsum(dur * rate)
    u = rng.uniform(size=(n_trials, n)) * mass[-1]
    piece = np.searchsorted(mass, u)
    start_t = np.concatenate([[0.0], np.cumsum(dur)])[piece]
    start_m = np.concatenate([[0.0], mass])[piece]
    entry = start_t + (u - start_m) / rate[piece]
    n1 = round(n * ratio / (1 + ratio))
    arm = np.zeros((n_trials, n), dtype=int)
    arm[:, :n1] = 1
    arm = rng.permuted(arm, axis=1)
    e = rng.exponential(size=(n_trials, n))
    starts = np.array(breaks, dtype=float)
    lam0 = np.array(control, dtype=float)
    lam = np.where(arm[..., None] == 1, lam0 * np.array(hr), lam0)
    lengths = np.append(np.diff(starts), np.inf)
    cum_end = np.cumsum(lam * np.where(np.isfinite(lengths), lengths, 0.0), axis=-1)
    cum_start = np.concatenate([np.zeros((*cum_end.shape[:-1], 1)), cum_end[..., :-1]], axis=-1)
    k = (cum_start <= e[..., None]).sum(axis=-1) - 1
    take = np.take_along_axis
    event_time = starts[k] + (e - take(cum_start, k[..., None], -1)[..., 0]) / take(lam, k[..., None], -1)[..., 0]
    drop = rng.exponential(1 / dropout, size=(n_trials, n)) if dropout > 0 else np.full((n_trials, n), np.inf)
    return entry, arm, event_time, drop


def cut(entry, event_time, drop, calendar: float):
    """(follow-up time, event indicator, included mask) at a calendar cut."""
    inc = entry < calendar
    fu = np.minimum(np.minimum(event_time, drop), calendar - entry)
    ev = (event_time <= np.minimum(drop, calendar - entry)) & inc
    return fu, ev, inc


def event_cut_time(entry, event_time, drop, d: int) -> float:
    """Calendar time of the d-th observed event (events before dropout)."""
    seen = event_time <= drop
    times = np.sort((entry + event_time)[seen])
    return float(times[d - 1]) if times.size >= d else math.inf


def wlr_z(time, event, arm, weights) -> np.ndarray:
    """Weighted log-rank z for FH weights [(rho, gamma), ...]; z > 0 favours arm 1 (experimental)."""
    t_sorted = np.sort(time)
    t1_sorted = np.sort(time[arm == 1])
    ev_times, d = np.unique(time[event], return_counts=True)
    d1 = np.zeros_like(d)
    u1, c1 = np.unique(time[event & (arm == 1)], return_counts=True)
    d1[np.searchsorted(ev_times, u1)] = c1
    n = t_sorted.size - np.searchsorted(t_sorted, ev_times, side="left")
    n1 = t1_sorted.size - np.searchsorted(t1_sorted, ev_times, side="left")
    n0 = n - n1
    surv = np.cumprod(1 - d / n)
    s_left = np.concatenate([[1.0], surv[:-1]])
    out = []
    for rho, gamma in weights:
        w = s_left**rho * (1 - s_left) ** gamma
        u = np.sum(w * (d1 - n1 * d / n))
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.sum(np.where(n > 1, w * w * n1 * n0 * d * (n - d) / (n * n * (n - 1)), 0.0))
        out.append(-u / math.sqrt(v))
    return np.array(out)


def _km(time, event):
    ev_times, d = np.unique(time[event], return_counts=True)
    t_sorted = np.sort(time)
    n = t_sorted.size - np.searchsorted(t_sorted, ev_times, side="left")
    return ev_times, d, n, np.cumprod(1 - d / n)


def km_contrast_z(time, event, arm, kind: str, tau: float) -> float:
    """z of (experimental - control) RMST up to tau or survival at tau, Greenwood-type variances."""
    est, var = [], []
    for g in (0, 1):
        ev_times, d, n, s = _km(time[arm == g], event[arm == g])
        keep = ev_times <= tau
        ev_times, d, n, s = ev_times[keep], d[keep], n[keep], s[keep]
        green = d / (n * (n - d))
        if kind == "milestone":
            st = s[-1] if s.size else 1.0
            est.append(st)
            var.append(st**2 * green.sum())
        else:
            grid = np.concatenate([[0.0], ev_times, [tau]])
            levels = np.concatenate([[1.0], s])
            area = levels * np.diff(grid)
            est.append(area.sum())
            tail = np.cumsum(area[::-1])[::-1][1:]  # int_{t_i}^tau S(u) du for each event time
            var.append(np.sum(tail**2 * green))
    return (est[1] - est[0]) / math.sqrt(var[0] + var[1])
