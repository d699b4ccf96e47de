"""MaxCombo test: the most extreme of several weighted log-rank z's, with a multivariate normal p-value."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError, StatisticWarning
from survtrial.stats._mvnormal import outside_probability
from survtrial.stats._risksets import RiskSetTable
from survtrial.stats._twogroup import two_arms
from survtrial.stats.weighted_logrank import check_alternative, p_value_normal, score_terms
from survtrial.stats.weights import FlemingHarrington, MagirrBurman, Weight, WeightFunction

__all__ = [
    "DEFAULT_TESTS",
    "MaxComboResult",
    "MaxComboScores",
    "maxcombo_from_counts",
    "maxcombo_p_value",
    "maxcombo_test",
]

if TYPE_CHECKING:  # pandas is imported lazily, only where a frame is built
    import pandas as pd

#: FH(0, 0), FH(0, 0.5), FH(0.5, 0), FH(0.5, 0.5): the combination of Lin et al. (2020).
DEFAULT_TESTS: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.0, 0.5), (0.5, 0.0), (0.5, 0.5))


def as_tests(tests: Any) -> tuple[Weight, ...]:
    """Validate a list of >= 2 weights: (rho, gamma) pairs or weight objects."""
    if isinstance(tests, (str, bytes)) or not isinstance(tests, Sequence):
        raise InputError(
            f"tests: expected a list of weights, e.g. [(0, 0), (0, 0.5)] or "
            f"[(0, 0), MagirrBurman(delay=6)], got {tests!r}"
        )
    if len(tests) < 2 or all(isinstance(t, (int, float)) for t in tests):
        raise InputError(
            f"tests: MaxCombo needs at least two weighted tests, got {list(tests)!r}; give a list "
            f"such as [(0, 0), (0, 0.5)] (FH(rho, gamma) pairs) or add MagirrBurman(delay=...)"
        )
    out = []
    for i, t in enumerate(tests):
        if isinstance(t, (FlemingHarrington, MagirrBurman, WeightFunction)):
            out.append(t)
        elif isinstance(t, (tuple, list)) and len(t) == 2:
            out.append(FlemingHarrington(*t))
        elif isinstance(t, str) and t.lower() == "logrank":
            out.append(FlemingHarrington())
        else:
            raise InputError(
                f"tests[{i}] = {t!r}: give a (rho, gamma) pair, 'logrank', FlemingHarrington(...), "
                f"MagirrBurman(...) or WeightFunction(...)"
            )
    return tuple(out)


class MaxComboScores(NamedTuple):
    """Scores, their joint covariance and the z's of several weighted log-rank tests."""

    score: np.ndarray
    covariance: np.ndarray
    z: np.ndarray


def _scores(table: RiskSetTable, tests: Sequence[Weight]) -> MaxComboScores:
    W = np.column_stack([t.values(table) for t in tests]) if table.time.size else np.zeros((0, len(tests)))
    ome, var = score_terms(table)
    score = ome @ W
    cov = (W * var[:, None]).T @ W
    sd = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, score / sd, 0.0)
    return MaxComboScores(score, cov, z)


def maxcombo_from_counts(
    n0: Any,
    n1: Any,
    d0: Any,
    d1: Any,
    stratum: Any = None,
    *,
    tests: Any = DEFAULT_TESTS,
    time: Any = None,
) -> MaxComboScores:
    """The component z's of a MaxCombo test and their covariance from a risk-set table.

    Same input contract as :func:`~survtrial.stats.weighted_logrank.weighted_logrank_from_counts`
    (one row per event time of each stratum, strata contiguous, times ascending within a
    stratum). Returns ``score`` (k,) = ``sum w_i (O - E)`` of arm 1, ``covariance`` (k, k) =
    ``sum w_i w_j V`` (hypergeometric V, summed over event times and strata) and ``z`` (k,).
    ``maxcombo_p_value(z, covariance)`` gives the p-value.

    Examples
    --------
    >>> s = maxcombo_from_counts([4, 3, 2], [4, 4, 2], [1, 1, 0], [0, 1, 1], tests=[(0, 0), (0, 1)])
    >>> s.z.round(4).tolist()
    [-0.1499, 0.8324]
    """
    table = RiskSetTable.from_counts(
        np.asarray(n0, dtype=np.float64), np.asarray(n1, dtype=np.float64),
        np.asarray(d0, dtype=np.float64), np.asarray(d1, dtype=np.float64), stratum, time,
    )
    return _scores(table, as_tests(tests))


def maxcombo_p_value(
    z: Any,
    covariance: Any,
    alternative: str = "two-sided",
    *,
    rng: int | np.random.Generator = 0,
    abs_tol: float = 1e-5,
    rel_tol: float = 1e-3,
) -> tuple[float, float, float]:
    """(statistic, p-value, integration error) of a MaxCombo test from its z's and their covariance.

    ``"less"``: statistic min(z), p = P(min Z <= statistic); ``"greater"``: max(z), P(max Z >=
    statistic); ``"two-sided"``: max |z|, P(max |Z| >= statistic); Z ~ N(0, correlation). The
    probability outside the box is integrated by Genz's method on randomly shifted lattice points,
    split by the first z to leave the box so that a small p-value keeps its relative precision
    (:func:`survtrial.stats._mvnormal.outside_probability`); the error is the sum of the terms'
    3 standard errors over 16 independent random shifts.

    Examples
    --------
    >>> stat, p, err = maxcombo_p_value([-2.0, -2.4], [[1.0, 0.8], [0.8, 1.0]], "less")
    >>> stat, round(p, 4), err < 1e-5
    (-2.4, 0.0134, True)
    """
    alternative = check_alternative(alternative)
    z = np.asarray(z, dtype=np.float64)
    cov = np.asarray(covariance, dtype=np.float64)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    k = z.size
    if alternative == "less":
        stat = float(z.min())
        lo, hi = np.full(k, stat), np.full(k, np.inf)
    elif alternative == "greater":
        stat = float(z.max())
        lo, hi = np.full(k, -np.inf), np.full(k, stat)
    else:
        stat = float(np.abs(z).max())
        lo, hi = np.full(k, -stat), np.full(k, stat)
    out = outside_probability(corr, lo, hi, rng=gen, abs_tol=abs_tol, rel_tol=rel_tol)
    return stat, out.probability, out.error


@dataclass(frozen=True, repr=False)
class MaxComboResult(HtmlReprMixin):
    """Result of :func:`maxcombo_test`.

    Attributes
    ----------
    statistic : float
        min(z) for ``alternative="less"``, max(z) for ``"greater"``, max |z| for ``"two-sided"``.
    p_value : float
        P-value from the joint normal distribution of the z's under the null hypothesis.
    p_value_error : float
        Error bound of the numerical integration (3 Monte-Carlo standard errors of the randomized
        quasi-Monte-Carlo estimate).
    alternative : str
    tests : tuple of weights
        The component weights; ``labels`` their short names.
    z, score : (k,)
        Component z's and weighted O - E of the experimental arm (z < 0 favours it).
    covariance, correlation : (k, k)
        Joint covariance of the scores, ``sum w_i w_j V`` over event times and strata, and the
        correlation of the z's.
    groups, n, n_events, n_strata
        As in :class:`~survtrial.stats.weighted_logrank.WeightedLogRankResult`.
    """

    statistic: float
    p_value: float
    p_value_error: float
    alternative: str
    tests: tuple[Weight, ...]
    z: np.ndarray
    score: np.ndarray
    covariance: np.ndarray
    correlation: np.ndarray
    groups: np.ndarray
    n: np.ndarray
    n_events: np.ndarray
    n_strata: int

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.tests]

    @property
    def reference(self) -> str:
        return str(self.groups[0])

    def to_frame(self) -> pd.DataFrame:
        """One row per component test: ``test, score, variance, z, p_value`` (marginal, same
        alternative)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "test": self.labels,
                "score": self.score,
                "variance": np.diag(self.covariance),
                "z": self.z,
                "p_value": [p_value_normal(float(v), self.alternative) for v in self.z],
            }
        )

    def summary(self) -> pd.DataFrame:
        """One row: ``test, components, reference, experimental, statistic, alternative, p_value,
        p_value_error``."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "test": "MaxCombo",
                    "components": " + ".join(self.labels),
                    "reference": self.reference,
                    "experimental": str(self.groups[1]),
                    "statistic": self.statistic,
                    "alternative": self.alternative,
                    "p_value": self.p_value,
                    "p_value_error": self.p_value_error,
                }
            ]
        )

    def __repr__(self) -> str:
        zs = ", ".join(f"{lab} {v:.4g}" for lab, v in zip(self.labels, self.z, strict=True))
        return (
            f"MaxComboResult({self.groups[1]} vs reference {self.groups[0]}: z = {zs}; "
            f"{self.alternative} p={self.p_value:.4g} (+/- {self.p_value_error:.1g}))"
        )


def maxcombo_test(
    time: Any,
    event: Any,
    group: Any,
    strata: Any = None,
    data: Any = None,
    *,
    tests: Any = DEFAULT_TESTS,
    reference: Any = None,
    alternative: str = "two-sided",
    case_weights: Any = None,
    timefix: bool = True,
    rng: int | np.random.Generator = 0,
    abs_tol: float = 1e-5,
    rel_tol: float = 1e-3,
) -> MaxComboResult:
    """MaxCombo test: the most extreme of several weighted log-rank statistics of two arms.

    Parameters
    ----------
    time, event, group, strata, data, reference, case_weights, timefix
        As :func:`~survtrial.stats.weighted_logrank.weighted_logrank_test`.
    tests : list of (rho, gamma) pairs or weight objects, at least two
        Default FH(0, 0), FH(0, 0.5), FH(0.5, 0), FH(0.5, 0.5) (Lin et al. 2020). Entries may be
        :class:`~survtrial.stats.weights.MagirrBurman` or
        :class:`~survtrial.stats.weights.WeightFunction` objects.
    alternative : {"two-sided", "less", "greater"}
        ``"less"`` (experimental arm better: small p when the z's are very negative) is simtrial's
        ``maxcombo`` p-value.
    rng : int or numpy Generator, default 0
        Seed of the random shifts of the integration's lattice: a fixed seed gives the same p-value
        at every call.
    abs_tol, rel_tol : float
        The integration stops when its error bound is at most ``max(abs_tol, rel_tol * p)``.

    Returns
    -------
    MaxComboResult

    Notes
    -----
    Each component is a weighted log-rank score ``U_i = sum w_i (O - E)`` of the experimental arm
    with the weights of :func:`weighted_logrank_test` (S(t-) the pooled left-continuous
    Kaplan-Meier of the stratum). The scores share one set of event times, so their covariance is
    ``cov(U_i, U_j) = sum w_i w_j V`` (V the hypergeometric variance at each event time, summed
    over times and strata; for FH weights simtrial computes the same as the variance of
    FH((rho_i + rho_j)/2, (gamma_i + gamma_j)/2)); z_i = U_i / sqrt(cov_ii), and under the null
    hypothesis the z's are asymptotically jointly normal with that correlation (Karrison 2016).
    The p-value is the probability outside the box {all z within the statistic} under that
    normal law, written as the sum over i of P(the first i - 1 z's inside, the i-th outside) so
    that a small p keeps its relative precision (one minus the box probability loses the rare
    region where a z leaves the box); each term is integrated by Genz's method: separation of
    variables after a Cholesky
    factorisation with prioritised variables (Genz & Bretz 2002), averaged over 16 randomly shifted
    Richtmyer lattice sequences (randomized quasi-Monte-Carlo, as Genz's MVNDST), each extended until
    the error bound
    (3 standard errors of the mean over the 16 sequences; ``p_value_error`` is their sum over the
    terms) is at most ``max(abs_tol / terms, rel_tol * term)``, or 2^20 (about a million) integrand evaluations in all,
    whichever comes first; the error reached is what ``p_value_error`` reports. The default
    ``abs_tol = 1e-5`` is simtrial's (mvtnorm ``GenzBretz(maxpts = 50000, abseps = 1e-5)``).
    Strongly correlated components (FH weights often correlate above 0.95) make the integrand
    nearly discontinuous and the error shrink slowly (about 1/sqrt(points)); a singular
    correlation (two tests with proportional weights) is handled exactly. Sign
    convention: z < 0 favours the experimental arm (as simtrial's ``maxcombo`` z).

    References
    ----------
    Karrison TG (2016). Versatile tests for comparing survival curves based on weighted log-rank
    statistics. Stata J 16:678-690.
    Lin RS, Lin J, Roychoudhury S, et al. (2020). Alternative analysis methods for time to event
    endpoints under nonproportional hazards: a comparative analysis. Stat Biopharm Res 12:187-198.
    Fleming TR, Harrington DP (1991). Counting Processes and Survival Analysis. Wiley.
    Magirr D, Burman CF (2019). Modestly weighted logrank tests. Stat Med 38:3782-3790.
    Genz A (1992). Numerical computation of multivariate normal probabilities. J Comput Graph
    Stat 1:141-149. Genz A, Bretz F (2002). J Comput Graph Stat 11:950-971.

    Examples
    --------
    >>> time = [6, 7, 10, 15, 19, 25, 1, 2, 3, 4, 8, 9]
    >>> event = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1]
    >>> arm = ["new"] * 6 + ["old"] * 6
    >>> r = maxcombo_test(time, event, arm, reference="old", alternative="less")
    >>> r.z.round(4).tolist(), round(r.p_value, 3)
    ([-2.0954, -1.8901, -2.0217, -1.8018], 0.03)
    """
    alternative = check_alternative(alternative)
    specs = as_tests(tests)
    arms = two_arms(time, event, group, data=data, strata=strata, weights=case_weights, reference=reference,
                    timefix=timefix, test="a MaxCombo test")
    sc = _scores(arms.table(), specs)
    var = np.diag(sc.covariance)
    if not np.all(var > 0):
        bad = [t.label for t, v in zip(specs, var, strict=True) if not v > 0]
        warnings.warn(
            f"MaxCombo test undefined: component(s) {bad} have zero variance (no events, one arm at "
            f"risk at every event time, or zero weight at every informative time); returning p = 1",
            StatisticWarning,
            stacklevel=2,
        )
        stat, p, err = 0.0, 1.0, 0.0
        corr = np.full(sc.covariance.shape, np.nan)
    else:
        stat, p, err = maxcombo_p_value(sc.z, sc.covariance, alternative, rng=rng, abs_tol=abs_tol,
                                        rel_tol=rel_tol)
        sd = np.sqrt(var)
        corr = sc.covariance / np.outer(sd, sd)
    return MaxComboResult(
        statistic=stat,
        p_value=p,
        p_value_error=err,
        alternative=alternative,
        tests=specs,
        z=sc.z,
        score=sc.score,
        covariance=sc.covariance,
        correlation=corr,
        groups=np.array(arms.labels),
        n=arms.n,
        n_events=arms.n_events,
        n_strata=arms.n_strata,
    )
