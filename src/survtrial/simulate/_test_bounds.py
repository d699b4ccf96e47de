"""Group-sequential bounds of each simulated test: the design's for log-rank and Cox, others' at their own information.

The design's bounds are computed at the information fractions of the events (events at the
look / planned events): right for the log-rank test and Cox, whose information grows as the
events. A weighted log-rank, RMST or milestone test accrues information at another pace
(FH(0, 0.5) puts little weight on early events), and MaxCombo is the largest of correlated z's.
Their bounds come from the trials' own information under H0: a pilot run of the scenario with
equal arms (the control arm's hazards in both; :data:`N_PILOT` trials, seed :data:`PILOT_SEED`)
records each test's information at each look (the variance of its score; 1 / SE^2 for RMST and
milestone; for MaxCombo the covariance matrix of its weighted scores), averaged over the pilot.

- A single-z test: ``group_sequential`` with the design's alpha, spending, power, futility
  settings at the fractions ``I_k / I_K`` of its mean information. A look where the test is
  undefined in most pilot trials (an RMST time beyond the follow-up of an early look) gets no
  bound (+inf) and spends nothing.
- MaxCombo: efficacy bounds b_k on the largest z at look k, with alpha spent at the design's
  information fractions (the events'); the z's of its m weighted tests at the K looks are taken
  jointly normal with ``corr(Z_a,k, Z_b,l) = C_ab(min(k, l)) / sqrt(C_aa(k) C_bb(l))`` (C the mean
  covariance of the weighted scores: independent increments, as Karrison 2016 and gsDesign2).
  b_1 solves ``P(max_a Z_a,1 >= b_1) = alpha_1`` by the deterministic integration of
  :mod:`survtrial.simulate._mvn` (error about 1e-7); later bounds are quantiles of
  :data:`MC_DRAWS` draws of the mK-dimensional normal (a fixed seed :data:`MC_SEED`; the crossing
  probabilities then carry a Monte-Carlo error of about ``sqrt(a / MC_DRAWS)``, 4e-5 for an
  increment a = 0.0015). scipy's ``multivariate_normal.cdf`` was measured for this: 3 s per
  4-dimensional and 84 s per 16-dimensional evaluation at its default tolerance with these
  correlations (0.85-0.99), too slow to solve bounds with. MaxCombo has no futility bounds and
  one-sided designs only.

References
----------
Karrison TG (2016). Versatile tests for comparing survival curves based on weighted log-rank
statistics. Stata J 16:678-690. Anderson KM et al. gsDesign2 (R package), ``gs_design_combo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from survtrial.errors import InputError
from survtrial.simulate import _mvn
from survtrial.simulate import _statistics as ks

N_PILOT = 2000
PILOT_SEED = 20240613
MC_DRAWS = 2**20
MC_SEED = 20240614


@dataclass(frozen=True)
class TestBounds:
    """Planned bounds of every test (design scale, z > 0 favours experimental).

    upper, lower : (S, K) efficacy and futility (or harm) bounds; +inf / -inf where none.
    fractions : (S, K) information fractions the bounds were computed at (NaN: look without bound).
    correlation : per MaxCombo test (by slug), the (mK, mK) correlation of its z's.
    """

    upper: np.ndarray
    lower: np.ndarray
    fractions: np.ndarray
    correlation: dict[str, np.ndarray]


def _design_lower(gs: Any, spec: Any) -> np.ndarray:
    lower = np.full(gs.upper.size, -np.inf)
    if gs.sided == 2:
        lower = gs.lower.astype(float).copy()
    elif spec.beta_spending is not None or spec.futility_bounds is not None:
        lower = gs.lower.astype(float).copy()
    return lower


def own_information_bounds(des: Any, info: np.ndarray, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(upper, lower, fractions) of a single-z test with mean information ``info`` (K,), NaN at
    looks where it is undefined."""
    from survtrial.design.boundaries import group_sequential

    spec = des.spec
    K = info.size
    ok = np.isfinite(info) & (info > 0)
    if not ok.any():
        raise InputError(
            f"test {label}: undefined at every look of this design (e.g. an RMST or milestone time beyond the "
            f"follow-up of every look); choose an earlier time"
        )
    idx = np.flatnonzero(ok)
    # information must grow from look to look; a later look with less (pilot noise) counts as equal
    f = np.maximum.accumulate(info[idx]) / np.max(info[idx])
    for j in range(1, f.size):
        f[j] = max(f[j], f[j - 1] * (1 + 1e-9) + 1e-12)
    f = np.minimum(f / f[-1], 1.0)
    fut = None
    if spec.futility_bounds is not None:
        full = np.append(np.asarray(spec.futility_bounds, dtype=float), np.nan)
        fut = full[idx][:-1].tolist()
    try:
        gs = group_sequential(f, alpha=spec.alpha, power=spec.power, sided=spec.sided,
                              alpha_spending=spec.alpha_spending, beta_spending=spec.beta_spending,
                              binding_futility=spec.binding_futility, futility_bounds=fut)
    except InputError as err:
        raise InputError(f"test {label}: bounds at its information fractions {np.round(f, 4).tolist()}: "
                         f"{err}") from None
    upper = np.full(K, np.inf)
    lower = np.full(K, -np.inf)
    fr = np.full(K, np.nan)
    upper[idx] = gs.upper
    lower[idx] = _design_lower(gs, spec)
    fr[idx] = f
    return upper, lower, fr


def maxcombo_correlation(cov: np.ndarray) -> np.ndarray:
    """(mK, mK) correlation of the m weighted z's at K looks from the mean covariances (K, m, m)."""
    K, m, _ = cov.shape
    sd = np.sqrt(np.array([np.diag(cov[k]) for k in range(K)]))  # (K, m)
    R = np.empty((m * K, m * K))
    for k in range(K):
        for ll in range(K):
            c = cov[min(k, ll)]
            R[k * m:(k + 1) * m, ll * m:(ll + 1) * m] = c / np.outer(sd[k], sd[ll])
    np.fill_diagonal(R, 1.0)
    w, v = np.linalg.eigh((R + R.T) / 2.0)
    if w.min() < 1e-10:  # averaging can leave it slightly indefinite
        R = (v * np.clip(w, 1e-10, None)) @ v.T
        d = np.sqrt(np.diag(R))
        R = R / np.outer(d, d)
    return R


def maxcombo_bounds(des: Any, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(upper bounds (K,), correlation) of MaxCombo from its mean covariances (K, m, m); see the
    module docstring."""
    from survtrial.design import _validate as val

    spec = des.spec
    K, m, _ = cov.shape
    R = maxcombo_correlation(cov)
    spend = val.spending(spec.alpha_spending, des.fractions, spec.alpha, "alpha_spending")
    cum = spend.spent(des.fractions, spec.alpha)
    inc = np.diff(np.concatenate([[0.0], cum]))
    upper = np.full(K, np.inf)
    work = np.empty((2 * m, m))
    r1 = np.ascontiguousarray(R[:m, :m])
    if inc[0] > 0:
        from scipy.optimize import brentq  # here: scipy.optimize takes 0.3 s to import

        upper[0] = brentq(lambda b: 1.0 - _mvn.below(b, r1, m, work) - inc[0], -10.0, 40.0, xtol=1e-10)
    if K == 1:
        return upper, R
    rng = np.random.Generator(np.random.PCG64(MC_SEED))
    chol = np.linalg.cholesky(R + 1e-12 * np.eye(m * K))
    maxima = np.empty((MC_DRAWS, K))
    batch = 1 << 16
    for a in range(0, MC_DRAWS, batch):
        x = rng.standard_normal((batch, m * K)) @ chol.T
        maxima[a:a + batch] = x.reshape(batch, K, m).max(axis=2)
    alive = maxima[:, 0] < upper[0]
    for k in range(1, K):
        target = inc[k] * MC_DRAWS
        if target <= 0:
            continue
        v = np.sort(maxima[alive, k])[::-1]
        if target >= v.size:
            upper[k] = -np.inf
        else:
            lo = int(np.floor(target))
            frac = target - lo
            above = v[lo - 1] if lo >= 1 else v[0] + (v[0] - v[min(1, v.size - 1)])
            upper[k] = above + frac * (v[lo] - above)
        alive &= maxima[:, k] < upper[k]
    return upper, R


def pilot_information(stats: dict[str, np.ndarray], tests: tuple[Any, ...]) -> list[np.ndarray]:
    """Per test, its mean information by look over the pilot trials (K,) (NaN where defined in
    fewer than half of them); for MaxCombo the mean covariance (K, m, m)."""
    info = stats["stat_info"]  # (N, S, K, Q)
    out = []
    for s, t in enumerate(tests):
        if t.kind == ks.MAXCOMBO:
            m = int(t.params[0])
            packed = info[:, s, :, : m * (m + 1) // 2]
            finite = np.isfinite(packed)
            mean = np.where(finite, packed, 0.0).sum(axis=0) / np.maximum(finite.sum(axis=0), 1)  # (K, q)
            cov = np.empty((mean.shape[0], m, m))
            iu = np.triu_indices(m)
            for k in range(mean.shape[0]):
                c = np.zeros((m, m))
                c[iu] = mean[k]
                cov[k] = c + np.triu(c, 1).T
            out.append(cov)
        else:
            x = info[:, s, :, 0]
            finite = np.isfinite(x)
            defined = finite.mean(axis=0) >= 0.5
            total = np.where(finite, x, 0.0).sum(axis=0)
            count = finite.sum(axis=0)
            out.append(np.where(defined & (count > 0), total / np.maximum(count, 1), np.nan))
    return out


def test_bounds(des: Any, tests: tuple[Any, ...], pilot: Any) -> TestBounds:
    """Planned bounds of every test; ``pilot()`` runs the H0 pilot (only called when a test needs it)
    and returns its per-test information (see :func:`pilot_information`)."""
    gs = des.design
    K = des.k
    S = len(tests)
    upper = np.full((S, K), np.inf)
    lower = np.full((S, K), -np.inf)
    fractions = np.full((S, K), np.nan)
    corr: dict[str, np.ndarray] = {}
    info = None
    for s, t in enumerate(tests):
        if t.kind == ks.MAXCOMBO and des.spec.sided != 1:
            raise InputError(f"test {t.label}: MaxCombo is one-sided (the largest z in favour of the experimental "
                             f"arm); use a one-sided design (sided: 1)")
        if t.information_from_events:
            upper[s] = gs.upper
            lower[s] = _design_lower(gs, des.spec)
            fractions[s] = des.fractions
            continue
        if K == 1 and t.kind != ks.MAXCOMBO:  # one look: the bound does not depend on information
            upper[s] = gs.upper
            lower[s] = _design_lower(gs, des.spec)
            fractions[s] = 1.0
            continue
        if info is None:
            info = pilot()
        if t.kind == ks.MAXCOMBO:
            upper[s], corr[t.slug] = maxcombo_bounds(des, info[s])
            fractions[s] = des.fractions
        else:
            upper[s], lower[s], fractions[s] = own_information_bounds(des, info[s], t.label)
    return TestBounds(upper, lower, fractions, corr)
