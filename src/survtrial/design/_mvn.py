"""Multivariate normal rectangle probabilities by Genz's separation of variables on fixed quasi-random points.

Genz (1992): with X = mean + L y (L the Cholesky factor of the correlation, variables taken one at a
time) the probability of lo <= X <= hi is the unit-cube integral of prod_i e_i, where
e_i = Phi(b_i') - Phi(a_i') for the limits conditioned on y_<i, and y_i = Phi^-1(Phi(a_i') + w_i e_i).
Variables are taken in the order of Genz & Bretz (2002): at each step the one with the smallest
conditional probability (expected values of the earlier y's) comes next, which puts a rare event
first and makes tail probabilities accurate to a few parts in 10^4 of their size.

The integral is estimated by randomised quasi-Monte Carlo: ``REPLICATES`` independently scrambled Sobol
sequences of ``POINTS`` points (scipy.stats.qmc, fixed seed ``SEED``). Every call uses the same points,
so a probability is a smooth, deterministic function of the limits (root finding on it is stable) and
the spread of the replicate means gives its standard error.

Group-sequential use: a :class:`State` holds the running product and the y's of the variables taken
so far (the looks before the current one); :meth:`Genz.extend` adds the next look's variables, so a
search over the current look's limits costs only that look's variables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

POINTS = 2**11  # per replicate
REPLICATES = 8
SEED = 20_260_611
_SQRT_2PI = math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class State:
    """Variables taken so far: their original indices (in order), Cholesky rows, expected y's, and per point
    the running product ``f`` (replicates x points) and the y's ``y`` (replicates x points x taken)."""

    order: tuple[int, ...]
    rows: np.ndarray  # (taken, taken) lower-triangular factor in the taken order
    expected: np.ndarray  # (taken,)
    f: np.ndarray  # (replicates * points,)
    y: tuple[np.ndarray, ...]  # one array (replicates * points,) per variable taken

    @property
    def probability(self) -> float:
        return float(self.f.mean())

    @property
    def standard_error(self) -> float:
        means = replicate_means(self.f)
        return float(means.std(ddof=1) / math.sqrt(REPLICATES))


class Genz:
    """Rectangle probabilities of a d-variate normal (mean, correlation matrix)."""

    def __init__(self, mean: np.ndarray, corr: np.ndarray) -> None:
        self.mean = np.asarray(mean, dtype=float)
        self.d = self.mean.size
        self.corr = np.asarray(corr, dtype=float) + 1e-12 * np.eye(self.d)
        from scipy.stats import qmc  # imported here: scipy.stats is slow to import

        w = np.stack([qmc.Sobol(self.d, scramble=True, seed=SEED + r).random(POINTS) for r in range(REPLICATES)])
        self.w = np.ascontiguousarray(w.transpose(2, 0, 1).reshape(self.d, REPLICATES * POINTS))

    def coarse(self, factor: int) -> Genz:
        """The same distribution on the first 1/factor of each replicate's points (a cheaper first search)."""
        other = object.__new__(Genz)
        other.__dict__.update(self.__dict__)
        n = self.w.shape[1] // REPLICATES
        other.w = np.ascontiguousarray(self.w.reshape(self.d, REPLICATES, n)[:, :, : n // factor].reshape(self.d, -1))
        return other

    @property
    def points(self) -> int:
        return int(self.w.shape[1])

    def with_mean(self, mean: np.ndarray) -> Genz:
        """The same correlation and points with another mean."""
        other = object.__new__(Genz)
        other.__dict__.update(self.__dict__)
        other.mean = np.asarray(mean, dtype=float)
        return other

    def start(self) -> State:
        return State((), np.zeros((0, 0)), np.zeros(0), np.ones(self.points), ())

    def _row(self, state: State, j: int) -> np.ndarray:
        """Cholesky row of variable j against the taken variables."""
        k = len(state.order)
        row = np.zeros(k)
        for i, o in enumerate(state.order):
            row[i] = (self.corr[j, o] - row[:i] @ state.rows[i, :i]) / state.rows[i, i]
        return row

    def extend(self, state: State, index: np.ndarray, lower: np.ndarray, upper: np.ndarray,
               fixed_order: tuple[int, ...] | None = None, need_y: bool = True) -> State:
        """Take the variables ``index`` with limits [lower, upper] (raw scale; +-inf allowed).

        ``fixed_order`` fixes the order in which they are taken (default: Genz-Bretz, chosen from these
        limits); a search over limits keeps one order so that the estimate is smooth in them.
        ``need_y=False``: the result will not be extended further (its last y is not computed).
        """
        index = [int(i) for i in index]
        lo = dict(zip(index, np.asarray(lower, dtype=float) - self.mean[index], strict=True))
        hi = dict(zip(index, np.asarray(upper, dtype=float) - self.mean[index], strict=True))
        order, expected = list(state.order), list(state.expected)
        k0, kk = len(order), len(order) + len(index)
        rows = np.zeros((kk, kk))
        rows[:k0, :k0] = state.rows
        pending = {j: self._row(state, j) for j in index}
        f = state.f.copy()
        y = list(state.y)
        shift = np.empty(self.points)
        tmp = np.empty(self.points)
        while pending:
            taken = len(order)
            if fixed_order is not None:
                j = fixed_order[taken - k0]
            else:
                best, best_p = None, 2.0
                for c, row in pending.items():
                    s = math.sqrt(max(self.corr[c, c] - row @ row, 1e-300))
                    m = row @ np.asarray(expected)
                    p = float(ndtr((hi[c] - m) / s) - ndtr((lo[c] - m) / s))
                    if p < best_p:
                        best, best_p = c, p
                j = best
            row = pending.pop(j)
            s = math.sqrt(max(self.corr[j, j] - row @ row, 1e-300))
            rows[taken, :taken] = row
            rows[taken, taken] = s
            for other, orow in pending.items():  # extend the other candidates' rows by this variable
                pending[other] = np.append(orow, (self.corr[other, j] - orow @ row) / s)
            m = row @ np.asarray(expected)
            a, b = (lo[j] - m) / s, (hi[j] - m) / s
            pa, pb = ndtr(a), ndtr(b)
            mass = max(pb - pa, 1e-300)
            da = math.exp(-0.5 * a * a) if math.isfinite(a) else 0.0
            db = math.exp(-0.5 * b * b) if math.isfinite(b) else 0.0
            expected.append((da - db) / _SQRT_2PI / mass)
            shift.fill(0.0)
            for i in range(taken):
                np.multiply(y[i], row[i], out=tmp)
                shift += tmp
            ea = ndtr((lo[j] - shift) / s) if math.isfinite(lo[j]) else 0.0
            eb = ndtr((hi[j] - shift) / s) if math.isfinite(hi[j]) else 1.0
            e = eb - ea
            f *= e
            order.append(j)
            if need_y or pending:
                u = ea + self.w[taken] * e
                np.clip(u, 1e-300, 1.0 - 1e-16, out=u)
                y.append(ndtri(u))
        return State(tuple(order), rows, np.asarray(expected), f, tuple(y))

    def probability(self, lower: np.ndarray, upper: np.ndarray) -> tuple[float, float]:
        """P(lower <= X <= upper) over all d variables, and its standard error."""
        st = self.extend(self.start(), np.arange(self.d), lower, upper)
        return st.probability, st.standard_error


def replicate_means(f: np.ndarray) -> np.ndarray:
    """Means of a per-point integrand over each scrambled replicate (for standard errors of sums)."""
    return f.reshape(REPLICATES, -1).mean(axis=1)
