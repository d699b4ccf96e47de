"""Bounds and crossing probabilities of a group-sequential MaxCombo test (the maximum of several z's per look).

Variables are the z statistics of the tests at each look, ordered look by look (``blocks``). The
trial continues at look l while a_l < M_l < b_l, M_l the maximum z at that look. With
1[a < M < b] = 1[M < b] - 1[M < a] the probability of continuing to look k is a signed sum of "all
below" rectangle probabilities over the subsets of earlier looks with a futility bound
(:class:`Terms`, built look by look so that prefixes are shared); they are evaluated by
``_mvn.Genz`` on fixed quasi-random points, the earlier looks' variables kept while a bound of look k
is searched. Efficacy bounds under H0 without binding futility use a disjoint decomposition instead
(the first test, in order, that reaches the bound), each term a rectangle whose rare event the
Genz-Bretz ordering takes first: alpha is then accurate to a few parts in 10^4 of itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from survtrial.design._mvn import REPLICATES, Genz, State, replicate_means

_INF = np.inf
XTOL = 1e-5  # bounds are solved to this on the z scale (below the integration error)


@dataclass
class Terms:
    """Signed states whose sum is the probability of continuing through the looks taken so far."""

    states: list[tuple[float, State]]

    def replicate_means(self) -> np.ndarray:
        return sum(sign * replicate_means(st.f) for sign, st in self.states)

    def below(self, g: Genz, idx: np.ndarray, c: float, orders: list | None = None,
              need_y: bool = True) -> tuple[np.ndarray, list]:
        """Replicate means of P(continue, M < c) for the block ``idx``, and the extended states."""
        out = np.zeros(REPLICATES)
        ext_states = []
        for i, (sign, st) in enumerate(self.states):
            fixed = orders[i] if orders is not None and i < len(orders) else None
            ext = g.extend(st, idx, np.full(idx.size, -_INF), np.full(idx.size, c), fixed, need_y)
            if orders is not None and i >= len(orders):
                orders.append(ext.order[len(st.order):])
            out += sign * replicate_means(ext.f)
            ext_states.append((sign, ext))
        return out, ext_states

    def advance(self, g: Genz, idx: np.ndarray, upper: float, lower: float,
                lower_states: list | None = None) -> Terms:
        """Continuation through one more look with bounds (lower, upper) on its maximum."""
        new: list[tuple[float, State]] = []
        if np.isfinite(upper):
            new += self.below(g, idx, upper)[1]
        else:
            new += self.states
        if np.isfinite(lower):
            low_states = lower_states if lower_states is not None else self.below(g, idx, lower)[1]
            new += [(-sign, st) for sign, st in low_states]
        return Terms(new)


def start(g: Genz) -> Terms:
    return Terms([(1.0, g.start())])


def _root(fun, target: float, lo: float, hi: float) -> float:
    """c with fun(c) = target for increasing fun; the bracket is widened as needed."""
    flo, fhi = fun(lo) - target, fun(hi) - target
    for _ in range(60):
        if flo <= 0:
            break
        lo, fhi, hi = lo - 2 * (hi - lo), flo, lo
        flo = fun(lo) - target
    for _ in range(60):
        if fhi >= 0:
            break
        hi, flo, lo = hi + 2 * (hi - lo), fhi, hi
        fhi = fun(hi) - target
    if flo == 0:
        return lo
    if fhi == 0:
        return hi
    from scipy.optimize import brentq

    return brentq(lambda c: fun(c) - target, lo, hi, xtol=XTOL, rtol=1e-12)


def first_crossing(g: Genz, blocks: list[np.ndarray], upper: np.ndarray, k: int, b: float,
                   orders: list | None = None) -> np.ndarray:
    """Replicate means of P(every earlier z below its bound, M_k >= b), by the first test reaching b."""
    prev = np.concatenate(blocks[:k]) if k else np.zeros(0, dtype=int)
    prev_hi = np.concatenate([np.full(blocks[j].size, upper[j]) for j in range(k)]) if k else np.zeros(0)
    idx = blocks[k]
    allidx = np.concatenate([prev, idx])
    out = np.zeros(REPLICATES)
    for pos in range(idx.size):
        lo = np.full(allidx.size, -_INF)
        hi = np.concatenate([prev_hi, np.full(idx.size, _INF)])
        lo[prev.size + pos] = b
        hi[prev.size: prev.size + pos] = b
        fixed = orders[pos] if orders is not None and pos < len(orders) else None
        st = g.extend(g.start(), allidx, lo, hi, fixed, need_y=False)
        if orders is not None and pos >= len(orders):
            orders.append(st.order)
        out += replicate_means(st.f)
    return out


def efficacy_bound(g0: Genz, blocks: list[np.ndarray], upper: np.ndarray, k: int, target: float,
                   terms: Terms | None, guess: float | None = None, width: float = 0.02) -> float:
    """Efficacy bound of look k spending ``target`` under H0 (``terms``: continuation with binding futility)."""
    if target <= 1e-15:
        return _INF
    m = blocks[k].size
    lo, hi = float(ndtri(1.0 - target)) - 0.05, float(ndtri(1.0 - target / m)) + 0.05
    if guess is not None and np.isfinite(guess):
        lo, hi = guess - width, guess + width
    orders: list = []
    if terms is None:
        def fun(c: float) -> float:
            return -first_crossing(g0, blocks, upper, k, c, orders).mean()
    else:
        total = terms.replicate_means().mean()

        def fun(c: float) -> float:
            return -(total - terms.below(g0, blocks[k], c, orders, need_y=False)[0].mean())
    return _root(fun, -target, lo, hi)


def futility_bound(g1: Genz, terms: Terms, idx: np.ndarray, cap: float, target: float,
                   guess: float | None = None, width: float = 0.01) -> float:
    """Futility bound spending ``target`` under the alternative given the continuation ``terms``; <= ``cap``."""
    if target <= 1e-15:
        return -_INF
    orders: list = []
    top = cap if np.isfinite(cap) else 40.0

    def fun(c: float) -> float:
        return terms.below(g1, idx, c, orders, need_y=False)[0].mean()

    if guess is not None and np.isfinite(guess) and guess < top - 5 * width:
        return _root(fun, target, guess - width, guess + width)
    if fun(top) <= target:
        return cap
    return _root(fun, target, min(-1.0, top - 1.0), top)


def crossings(g: Genz, blocks: list[np.ndarray], upper: np.ndarray, lower: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-look probabilities of first crossing the upper and the lower bound, with the standard errors
    of their cumulative sums."""
    k_looks = len(blocks)
    up = np.zeros((k_looks, REPLICATES))
    low = np.zeros((k_looks, REPLICATES))
    terms = start(g)
    for k in range(k_looks):
        cont = terms.replicate_means()
        below_up, up_states = terms.below(g, blocks[k], upper[k]) if np.isfinite(upper[k]) else (cont, terms.states)
        up[k] = cont - below_up
        low_states = None
        if np.isfinite(lower[k]):
            if lower[k] == upper[k]:
                low[k], low_states = below_up, up_states
            else:
                low[k], low_states = terms.below(g, blocks[k], lower[k])
        if k < k_looks - 1:
            new = list(up_states)
            if low_states is not None:
                new += [(-s, st) for s, st in low_states]
            terms = Terms(new)
    def se(r: np.ndarray) -> np.ndarray:
        return r.std(axis=-1, ddof=1) / math.sqrt(REPLICATES)
    return up.mean(axis=1), low.mean(axis=1), se(np.cumsum(up, axis=0)), se(np.cumsum(low, axis=0))
