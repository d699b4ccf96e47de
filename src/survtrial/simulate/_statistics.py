"""Compiled (numba) test statistics of one look, each a small function of the look's risk-set table.

:func:`~survtrial.simulate._looks.analyse_looks` builds, per trial and look, a :class:`LookTable`:
the rows of the (stratified or pooled) analysis, one per event time and stratum with its numbers
at risk ``n0, n1`` and events ``d0, d1`` of the control and experimental arms; where a statistic
needs the arms' own curves, the numbers at risk and events of every stratum x arm cell at each
event time; the log-rank sums and the Cox estimate (computed for every look). Each statistic is
one function of that table and its parameters returning ``(z, estimate, p)`` and writing its
information (the variance of its score, or a covariance matrix) into ``info``.

The statistics come in families, one field of the analysis bundle each (:func:`compute`):
``plain`` (log-rank, Cox: no parameters), ``weighted`` (Fleming-Harrington, Magirr-Burman),
``maxcombo``, ``curves`` (RMST, milestone); rows of parameters whose first entry is the test's
slot in the outputs. A family the design does not use is None, and its code is not compiled:
the kernels are compiled per combination of families in use (numba prunes the branch on None),
so a log-rank simulation compiles no weighted, MaxCombo or Kaplan-Meier statistics. Adding a
statistic: its function here, its place in a family (a kind code), its entry in
:mod:`survtrial.simulate.statistics` (names, parameters, columns) and its tests.

Sign: ``z`` is on the scale of the ``survtrial.stats`` function the statistic reproduces (R's:
a log-rank-type z is ``(O - E)`` of the experimental arm over its SD, < 0 favouring the
experimental arm; an RMST or milestone difference is experimental - control, > 0 favouring it);
``SIGN[kind]`` turns it into the design scale (> 0 favours experimental) in one place, the
look kernel. ``p`` is NaN unless the statistic has its own (MaxCombo's multivariate normal
p-value); the look kernel then uses the normal tail of the design-scale z.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from survtrial.simulate._mvn import below

LOGRANK, WEIGHTED, MAXCOMBO, RMST, MILESTONE, COX = 0, 1, 2, 3, 4, 5
SIGN = np.array([-1.0, -1.0, -1.0, 1.0, 1.0, -1.0])
"""Design-scale sign of each kind's z (see the module docstring)."""

W_FH, W_MB = 0, 1
"""Weight functions of weighted log-rank statistics: Fleming-Harrington S(t-)^rho (1 - S(t-))^gamma
(parameters rho, gamma), Magirr-Burman min(1 / S(t-), cap, w_max) (parameters t*, w_max; see
:func:`_weighted_sums`)."""

MAX_COMPONENTS = 4
"""MaxCombo components the engine's p-value handles (see :mod:`survtrial.simulate._mvn`)."""


class LookTable(NamedTuple):
    """The risk-set table of one look (built by the look kernel; arrays are work arrays, read the
    first ``n_rows`` / ``D`` entries)."""

    n_rows: int  # rows of the analysis: (group, event time), time ascending within a group
    n0: np.ndarray  # numbers at risk and events per row: control, experimental
    n1: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    row_time: np.ndarray
    row_group: np.ndarray  # the analysis stratum of the row (0 when pooled)
    n_groups: int
    D: int  # distinct event times
    times: np.ndarray  # (D,) the event times
    risk: np.ndarray  # (D, cells) numbers at risk per stratum x arm cell (when ``cells``)
    dc: np.ndarray  # (D, cells) events per cell
    cells: bool
    n_strata: int
    n_arms: int
    control: int
    experimental: int
    risk_at: np.ndarray  # (Q, A) numbers at risk per arm at the analysis's check times
    ome: float  # log-rank O - E of the experimental arm and its variance (every look computes them)
    var: float
    log_hr: float  # Cox (Efron) estimate and SE
    se: float
    scratch: np.ndarray  # (rows of work, D + 1) float work array


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def logrank(par, tab, info):
    """Log-rank (Mantel-Haenszel): z = (O - E) / sqrt(V) of the experimental arm; estimate O - E."""
    info[0] = tab.var
    z = tab.ome / math.sqrt(tab.var) if tab.var > 0.0 else np.nan
    return z, tab.ome, np.nan


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _power(x, a):
    """x ** a, the usual Fleming-Harrington exponents without pow()."""
    if a == 0.0:
        return 1.0
    if a == 0.5:
        return math.sqrt(x)
    if a == 1.0:
        return x
    if a == 2.0:
        return x * x
    return x**a


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _weighted_sums(tab, par, m, ome, cov):
    """Weighted O - E of the experimental arm (``ome[i]``) and the covariance of the weighted
    scores (``cov[i, j] = sum w_i w_j v``) for m weight functions over the rows; weight i is
    ``par[3 i:3 i + 3]`` = (kind, a, b).

    Weights read the pooled Kaplan-Meier estimate of the row's analysis stratum just before the
    row's time, S(t-) (R survdiff's ``rho``, per stratum). Magirr-Burman (t* = a, w_max = b), as
    simtrial's ``mb_weight`` and :class:`survtrial.stats.weights.MagirrBurman`: per stratum, the
    cap is the largest 1 / S(t-) over its event times t <= t* with both arms at risk (1 if none),
    and the weight ``min(cap, w_max, 1 / S(t-))``.
    """
    G = tab.n_groups
    R = tab.n_rows
    s_left = tab.scratch[0]  # per group: the running S(t-)
    caps = tab.scratch[1:1 + m]  # per component and group: Magirr-Burman caps
    w = tab.scratch[1 + m]
    s_row = tab.scratch[2 + m]  # per row: S(t-) of its group
    for g in range(G):
        s_left[g] = 1.0
        for i in range(m):
            caps[i, g] = 1.0
    for r in range(R):
        g = tab.row_group[r]
        s_row[r] = s_left[g]
        d = tab.d0[r] + tab.d1[r]
        if d > 0.0:
            s_left[g] *= 1.0 - d / (tab.n0[r] + tab.n1[r])
    for i in range(m):
        if par[3 * i] != W_MB:
            continue
        for r in range(R):
            both = tab.n0[r] > 0.0 and tab.n1[r] > 0.0
            if tab.d0[r] + tab.d1[r] > 0.0 and both and tab.row_time[r] <= par[3 * i + 1]:
                g = tab.row_group[r]
                caps[i, g] = max(caps[i, g], 1.0 / s_row[r])
    for i in range(m):
        ome[i] = 0.0
        for j in range(m):
            cov[i, j] = 0.0
    for r in range(R):
        d = tab.d0[r] + tab.d1[r]
        if d == 0.0:
            continue
        nn = tab.n0[r] + tab.n1[r]
        g = tab.row_group[r]
        s = s_row[r]
        oe = tab.d1[r] - d * tab.n1[r] / nn
        v = d * (nn - d) / (nn - 1.0) * tab.n0[r] * tab.n1[r] / (nn * nn) if nn > 1.0 else 0.0
        for i in range(m):
            if par[3 * i] == W_FH:
                w[i] = _power(s, par[3 * i + 1]) * _power(1.0 - s, par[3 * i + 2])
            else:
                w[i] = min(min(caps[i, g], par[3 * i + 2]), 1.0 / s)
            ome[i] += w[i] * oe
        for i in range(m):
            for j in range(i, m):
                cov[i, j] += w[i] * w[j] * v
    for i in range(m):
        for j in range(i):
            cov[i, j] = cov[j, i]


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def weighted(par, tab, info):
    """Weighted log-rank (Fleming-Harrington or Magirr-Burman): z = sum w (O - E) / sqrt(sum w^2 V);
    estimate sum w (O - E), as simtrial's ``wlr``. par = (weight kind, a, b)."""
    ome = tab.scratch[MAX_COMPONENTS + 3]
    cov = tab.scratch[MAX_COMPONENTS + 4:MAX_COMPONENTS + 5, :1]
    _weighted_sums(tab, par, 1, ome, cov)
    info[0] = cov[0, 0]
    z = ome[0] / math.sqrt(cov[0, 0]) if cov[0, 0] > 0.0 else np.nan
    return z, ome[0], np.nan


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def maxcombo(par, tab, info):
    """MaxCombo: the smallest of m weighted log-rank z's (R's sign: the one most in favour of the
    experimental arm) and its one-sided p-value ``P(min Z_i <= z)`` for Z ~ N(0, R), R the
    correlation of the weighted scores (simtrial's ``maxcombo``). par = (m, kind_1, a_1, b_1, ...).
    ``info``: the covariance matrix, upper triangle by rows."""
    m = int(par[0])
    ome = tab.scratch[MAX_COMPONENTS + 3]
    cov = tab.scratch[MAX_COMPONENTS + 4:MAX_COMPONENTS + 4 + m, :m]
    _weighted_sums(tab, par[1:], m, ome, cov)
    q = 0
    for i in range(m):
        for j in range(i, m):
            info[q] = cov[i, j]
            q += 1
    zmin = np.inf
    for i in range(m):
        if not cov[i, i] > 0.0:
            return np.nan, np.nan, np.nan
        zmin = min(zmin, ome[i] / math.sqrt(cov[i, i]))
    corr = tab.scratch[MAX_COMPONENTS + 4 + m:MAX_COMPONENTS + 4 + 3 * m, :m]  # (2m, m): R and work for below
    work = tab.scratch[MAX_COMPONENTS + 4 + 3 * m:MAX_COMPONENTS + 4 + 5 * m, :m]
    for i in range(m):
        for j in range(m):
            corr[i, j] = cov[i, j] / math.sqrt(cov[i, i] * cov[j, j])
    # P(min Z <= zmin) = 1 - P(all -Z_i < -zmin), -Z ~ N(0, R) as well
    p = 1.0 - below(-zmin, corr, m, work)
    return zmin, np.nan, p


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _arm_curve(tab, arm, until, surv_out):
    """Kaplan-Meier of one arm (strata pooled) at the event times <= ``until``: S after each
    time in ``surv_out[:J]`` and the Greenwood terms d / (n (n - d)) in ``surv_out[J:2J]``;
    returns J."""
    A = tab.n_arms
    s = 1.0
    J = 0
    for j in range(tab.D):
        if tab.times[j] > until:
            break
        nr = 0.0
        de = 0.0
        for st in range(tab.n_strata):
            nr += tab.risk[j, st * A + arm]
            de += tab.dc[j, st * A + arm]
        gw = 0.0
        if de > 0.0:
            s *= 1.0 - de / nr
            gw = de / (nr * (nr - de)) if nr > de else np.inf
        surv_out[j] = s
        surv_out[tab.D + j] = gw
        J += 1
    return J


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _defined(tab, q, arm, surv_last):
    """A Kaplan-Meier functional up to check time q is defined for the arm: someone is followed
    to it, or the arm's curve has dropped to 0 (the rule of survRM2 and restricted_mean_survival_time)."""
    return tab.risk_at[q, arm] >= 1.0 or surv_last == 0.0


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def rmst(par, tab, info):
    """Difference of restricted mean survival times (experimental - control) up to tau, strata
    pooled, with the SE of ``restricted_mean_survival_time`` (R survfit's se(rmean));
    z = difference / SE. par = (tau, check index). NaN where tau is beyond an arm's follow-up."""
    tau = par[0]
    q = int(par[1])
    curve = tab.scratch[0]
    area_after = tab.scratch[1]
    est = np.zeros(2)
    var = np.zeros(2)
    for k in range(2):
        arm = tab.control if k == 0 else tab.experimental
        J = _arm_curve(tab, arm, tau, curve)
        last = curve[J - 1] if J > 0 else 1.0
        if not _defined(tab, q, arm, last):
            info[0] = np.nan
            return np.nan, np.nan, np.nan
        # area pieces: S on [t_j, t_{j+1}) (the last up to tau); A_j = area from t_j to tau
        acc = 0.0
        for j in range(J - 1, -1, -1):
            nxt = tab.times[j + 1] if j + 1 < J else tau
            acc += curve[j] * (nxt - tab.times[j])
            area_after[j] = acc
        first = tab.times[0] if J > 0 else tau
        est[k] = first + acc
        v = 0.0
        for j in range(J):
            gw = curve[tab.D + j]
            if gw > 0.0 and np.isfinite(gw):
                v += area_after[j] * area_after[j] * gw
        var[k] = v
    diff = est[1] - est[0]
    se = math.sqrt(var[0] + var[1])
    info[0] = 1.0 / (se * se) if se > 0.0 else np.nan
    return (diff / se if se > 0.0 else np.nan), diff, np.nan


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def milestone(par, tab, info):
    """Difference of Kaplan-Meier survival at t* (experimental - control, strata pooled) over
    its Greenwood SE, as ``kaplan_meier(...).survival_at(t*)``. par = (t*, check index). NaN where
    t* is beyond an arm's follow-up."""
    q = int(par[1])
    curve = tab.scratch[0]
    s = np.zeros(2)
    v = np.zeros(2)
    for k in range(2):
        arm = tab.control if k == 0 else tab.experimental
        J = _arm_curve(tab, arm, par[0], curve)
        last = curve[J - 1] if J > 0 else 1.0
        if not _defined(tab, q, arm, last):
            info[0] = np.nan
            return np.nan, np.nan, np.nan
        gw = 0.0
        for j in range(J):
            gw += curve[tab.D + j]
        s[k] = last
        v[k] = last * last * gw
    diff = s[1] - s[0]
    se = math.sqrt(v[0] + v[1])
    info[0] = 1.0 / (se * se) if se > 0.0 else np.nan
    return (diff / se if se > 0.0 else np.nan), diff, np.nan


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def cox(par, tab, info):
    """Cox (Efron ties) Wald z = log HR / SE, as ``cox_ph``; estimate log HR."""
    info[0] = 1.0 / (tab.se * tab.se) if tab.se > 0.0 else np.nan
    return tab.log_hr / tab.se, tab.log_hr, np.nan


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _store(s, res, z, est, p):
    z[s] = res[0]
    est[s] = res[1]
    p[s] = res[2]


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def plain_family(rows, tab, z, est, p, info):
    """Log-rank and Cox tests: rows (slot, kind)."""
    for r in range(rows.shape[0]):
        s = rows[r, 0]
        if rows[r, 1] == LOGRANK:
            _store(s, logrank(rows[r], tab, info[s]), z, est, p)
        else:
            _store(s, cox(rows[r], tab, info[s]), z, est, p)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def weighted_family(rows, tab, z, est, p, info):
    """Weighted log-rank tests: rows (slot, weight kind, a, b); None: none."""
    if rows is None:
        return
    for r in range(rows.shape[0]):
        s = int(rows[r, 0])
        _store(s, weighted(rows[r, 1:], tab, info[s]), z, est, p)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def maxcombo_family(rows, tab, z, est, p, info):
    """MaxCombo tests: rows (slot, m, kind_1, a_1, b_1, ...); None: none."""
    if rows is None:
        return
    for r in range(rows.shape[0]):
        s = int(rows[r, 0])
        _store(s, maxcombo(rows[r, 1:], tab, info[s]), z, est, p)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def curves_family(rows, tab, z, est, p, info):
    """RMST and milestone tests: rows (slot, kind, time, check index); None: none."""
    if rows is None:
        return
    for r in range(rows.shape[0]):
        s = int(rows[r, 0])
        if rows[r, 1] == RMST:
            _store(s, rmst(rows[r, 2:], tab, info[s]), z, est, p)
        else:
            _store(s, milestone(rows[r, 2:], tab, info[s]), z, est, p)


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def compute(plain, weighted, maxcombos, curves, tab, z, est, p, info):
    """Every statistic of the look: ``z`` (own scale), ``est``, ``p`` and ``info`` by slot. A family
    given as None is pruned when this is compiled (its functions are not even typed)."""
    plain_family(plain, tab, z, est, p, info)
    if weighted is not None:
        weighted_family(weighted, tab, z, est, p, info)
    if maxcombos is not None:
        maxcombo_family(maxcombos, tab, z, est, p, info)
    if curves is not None:
        curves_family(curves, tab, z, est, p, info)
