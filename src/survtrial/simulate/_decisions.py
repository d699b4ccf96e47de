"""Apply a group-sequential design's bounds to simulated looks, updating them at the observed information."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["apply_bounds"]

NONE, EFFICACY, FUTILITY, HARM = 0, 1, 2, 3

_CACHE: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
_CACHE_SIZE = 200_000


def _updated(des: Any, events: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bounds at the performed looks with these event counts, the last one final (cached)."""
    from survtrial.design.monitoring import update_design

    key = (des.digest, events)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    upd = update_design(des.design, events=list(events), max_events=des.planned_events, final=True)
    out = (upd.upper[: len(events)].copy(), upd.lower[: len(events)].copy())
    _CACHE[key] = out
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def apply_bounds(des: Any, events: np.ndarray, z: np.ndarray, short: np.ndarray, upper: np.ndarray | None = None,
                 lower: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Stopping look, decision and the bounds used, per trial.

    Parameters
    ----------
    des : SimulationDesign
    events : (T, K) int
        DFS events in the analysis at each look.
    z : (T, K) float
        Statistic at each look, > 0 favouring the experimental arm.
    short : (T, K) bool
        Event looks the trial could not reach (too few events); the first such look is final.
    upper, lower : (K,) float, optional
        Fixed bounds of a test whose information is not the events' (weighted log-rank, RMST,
        milestone, MaxCombo): applied at every look carried out, by its index. None: the
        design's bounds, updated at the observed events (log-rank, Cox).

    Returns
    -------
    dict with ``stop_look`` (1-based), ``decision`` (0 none, 1 efficacy, 2 futility, 3 harm),
    ``upper`` and ``lower`` (T, K) bounds applied (NaN at looks not carried out).

    Notes
    -----
    Looks are carried out up to the final one: the last planned look, the first event look the
    trial cannot reach, or the first calendar look with at least the planned events. A look with
    no new events since the previous one is skipped. When the observed fractions (events /
    planned events) of the looks carried out are not the planned ones, the bounds are those of
    ``update_design(design, events=..., max_events=planned, final=True)`` (the bound of a look does
    not depend on later looks, so the final flag only changes the last one).
    """
    upper_in, lower_in = upper, lower
    T, K = events.shape
    gs = des.design
    planned = des.planned_events
    if des.kind == "events":
        limit = short
    else:
        limit = events >= planned
    limit = limit.copy()
    limit[:, -1] = True
    final = np.argmax(limit, axis=1)
    upper = np.full((T, K), np.nan)
    lower = np.full((T, K), np.nan)
    performed = np.zeros((T, K), dtype=bool)
    reached = events >= 0  # the engine leaves looks after a stop at planned information uncomputed
    fixed = upper_in is not None
    if des.kind == "events":
        std = np.all((events == des.events[None, :]) | ~reached, axis=1) & ((final == K - 1) | ~reached[:, -1])
    else:
        std = np.zeros(T, dtype=bool)
    up_plan = upper_in if fixed else gs.upper
    low_plan = lower_in if fixed else gs.lower
    upper[std] = np.where(reached[std], up_plan, np.nan)
    lower[std] = np.where(reached[std], low_plan, np.nan)
    performed[std] = reached[std]
    for i in np.flatnonzero(~std):
        looks, counts, last = [], [], 0
        for k in range(int(final[i]) + 1):
            e = int(events[i, k])
            if e > last:
                looks.append(k)
                counts.append(e)
                last = e
        if not looks:
            continue
        if fixed:
            up, low = up_plan[looks], low_plan[looks]
        else:
            up, low = _updated(des, tuple(counts))
        upper[i, looks] = up
        lower[i, looks] = low
        performed[i, looks] = True
        final[i] = looks[-1]
    stop_look = final + 1
    decision = np.zeros(T, dtype=np.int8)
    alive = np.ones(T, dtype=bool)
    two_sided = gs.sided == 2
    follow = bool(des.spec.stop_for_futility)
    with np.errstate(invalid="ignore"):
        for k in range(K):
            act = alive & performed[:, k]
            zk = z[:, k]
            eff = act & (zk >= upper[:, k])
            low_hit = act & ~eff & (zk <= lower[:, k])
            harm = low_hit if two_sided else np.zeros(T, dtype=bool)
            fut = (low_hit & (k < final)) if (follow and not two_sided) else np.zeros(T, dtype=bool)
            stopped = eff | harm | fut
            decision[eff] = EFFICACY
            decision[harm] = HARM
            decision[fut] = FUTILITY
            stop_look[stopped] = k + 1
            alive &= ~stopped & (k < final)
    return {"stop_look": stop_look, "decision": decision, "upper": upper, "lower": lower}
