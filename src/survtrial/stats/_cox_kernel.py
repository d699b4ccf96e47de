"""Cox partial-likelihood kernel: sorted risk sets, Efron/Breslow/exact derivatives, Newton-Raphson."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from survtrial.stats._cox_exact import exact_groups

__all__ = ["CoxData", "NewtonResult", "Terms", "evaluate", "hazard_increments", "newton", "prepare"]


class Segments:
    """Cumulative sums along the last axis restricted to contiguous segments (strata).

    Exact (no subtraction of running totals): one segment is a plain cumsum, balanced segments
    are padded into a 2-d layout and summed along rows, very unbalanced ones are looped over.
    """

    def __init__(self, seg_id: np.ndarray) -> None:
        G = seg_id.size
        self.counts = np.bincount(seg_id) if G else np.zeros(0, dtype=np.int64)
        self.n_seg = self.counts.size
        self.starts = np.concatenate(([0], np.cumsum(self.counts)[:-1])).astype(np.int64)
        self.seg_id = seg_id
        maxlen = int(self.counts.max()) if G else 0
        if self.n_seg <= 1:
            self.mode = "single"
        elif self.n_seg * maxlen <= 4 * G + 4096:
            self.mode = "pad"
            self.maxlen = maxlen
            self.offset = np.arange(G) - self.starts[seg_id]
            self.rev_offset = self.counts[seg_id] - 1 - self.offset
        else:
            self.mode = "loop"

    def cumsum(self, a: np.ndarray, reverse: bool = False) -> np.ndarray:
        """Cumulative sum along the last axis within each segment (from the end when ``reverse``)."""
        if self.mode == "single":
            return np.cumsum(a[..., ::-1], axis=-1)[..., ::-1] if reverse else np.cumsum(a, axis=-1)
        if self.mode == "pad":
            col = self.rev_offset if reverse else self.offset
            buf = np.zeros((*a.shape[:-1], self.n_seg, self.maxlen))
            buf[..., self.seg_id, col] = a
            np.cumsum(buf, axis=-1, out=buf)
            return buf[..., self.seg_id, col]
        out = np.empty(a.shape, dtype=np.float64)
        for s0, c in zip(self.starts, self.counts, strict=True):
            sl = slice(s0, s0 + c)
            seg = a[..., sl]
            out[..., sl] = np.cumsum(seg[..., ::-1], axis=-1)[..., ::-1] if reverse else np.cumsum(seg, axis=-1)
        return out


@dataclass
class CoxData:
    """Data sorted once by (stratum, time) with tie-group bookkeeping; covariates centred.

    Covariates are stored transposed, (p, n) C-contiguous: every per-iteration pass then runs
    over contiguous rows, which is markedly faster than the (n, p) layout for small p. Products
    over n use ``np.einsum`` (single-threaded loops) rather than BLAS: for these tall, thin
    shapes threaded BLAS gains nothing and stalls badly when the cores are shared.
    """

    xt: np.ndarray  # (p, n) sorted, centred by the weighted means
    w: np.ndarray  # (n,) case weights
    delta: np.ndarray  # (n,) bool event indicator
    order: np.ndarray  # (n,) sorted position -> input row
    gid: np.ndarray  # (n,) tie group (distinct stratum, time) of each sorted row
    gstart: np.ndarray  # (G,) first sorted row of each tie group
    gtime: np.ndarray  # (G,) time of each tie group
    gstratum: np.ndarray  # (G,) stratum code of each tie group
    seg: Segments  # strata as segments of the G tie groups
    ev: np.ndarray  # (n_ev,) sorted rows that are events
    ev_k: np.ndarray  # (n_ev,) event-group index of each event
    ev_gid: np.ndarray  # (n_ev,) tie group of each event
    kstart: np.ndarray  # (K,) first event (position in ev) of each event group
    kgroup: np.ndarray  # (K,) tie group of each event group
    kd: np.ndarray  # (K,) number of events (unweighted) in each event group
    wtave: np.ndarray  # (n_ev,) mean weight of the deaths in the event's group (R's ``wtave``)
    jfrac: np.ndarray  # (n_ev,) Efron fraction j/d of the event's term (zeros for Breslow)
    xe: np.ndarray  # (p, n_ev) covariates of the events
    wx_events: np.ndarray  # (p,) sum of w x over events
    w_events: float  # sum of w over events
    ties: str
    all_distinct: bool  # every tie group is a single row
    work: np.ndarray  # (p, n) scratch buffer reused by every evaluation

    @property
    def n_events(self) -> int:
        return int(self.ev.size)

    def with_columns(self, keep: np.ndarray) -> CoxData:
        """The same data restricted to covariate columns ``keep`` (boolean mask)."""
        xt = np.ascontiguousarray(self.xt[keep])
        xe = xt[:, self.ev]
        return dataclasses.replace(
            self, xt=xt, xe=xe, wx_events=np.einsum("in,n->i", xe, self.w[self.ev]), work=np.empty_like(xt)
        )


def prepare(
    time: np.ndarray,
    delta: np.ndarray,
    x: np.ndarray,
    strata: np.ndarray | None,
    weights: np.ndarray,
    ties: str,
) -> tuple[CoxData, np.ndarray]:
    """Sort by (stratum, time), centre covariates, index tie groups; returns (data, means)."""
    n, p = x.shape
    if strata is None:
        order = np.argsort(time)  # order within tied times is irrelevant to every statistic
        ss = np.zeros(n, dtype=np.int64)
    else:
        order = np.lexsort((time, strata))
        ss = strata[order]
    ts = time[order]
    w = weights[order]
    means = np.einsum("n,np->p", weights, x) / weights.sum()
    # one row gather (much faster than x[order] or per-column gathers), then transpose
    xt = np.ascontiguousarray(np.take(x, order, axis=0).T)
    xt -= means[:, None]
    d = delta[order].astype(bool)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    if strata is not None:
        new[1:] |= ss[1:] != ss[:-1]
    gid = np.cumsum(new) - 1
    gstart = np.flatnonzero(new)
    ev = np.flatnonzero(d)
    ev_gid = gid[ev]
    knew = np.empty(ev.size, dtype=bool)
    if ev.size:
        knew[0] = True
        np.not_equal(ev_gid[1:], ev_gid[:-1], out=knew[1:])
    ev_k = np.cumsum(knew) - 1
    kstart = np.flatnonzero(knew)
    kd = np.diff(np.append(kstart, ev.size))
    we = w[ev]
    deadwt = np.add.reduceat(we, kstart) if ev.size else np.zeros(0)
    wtave = (deadwt / kd)[ev_k]
    jfrac = np.zeros(ev.size)
    if ties == "efron" and ev.size:
        jfrac = (np.arange(ev.size) - kstart[ev_k]) / kd[ev_k]
    xe = xt[:, ev]
    cd = CoxData(
        xt=xt,
        w=w,
        delta=d,
        order=order,
        gid=gid,
        gstart=gstart,
        gtime=ts[gstart],
        gstratum=ss[gstart],
        seg=Segments(ss[gstart]),
        ev=ev,
        ev_k=ev_k,
        ev_gid=ev_gid,
        kstart=kstart,
        kgroup=ev_gid[kstart],
        kd=kd,
        wtave=wtave,
        jfrac=jfrac,
        xe=xe,
        wx_events=np.einsum("in,n->i", xe, we),
        w_events=float(we.sum()),
        ties=ties,
        all_distinct=gstart.size == n,
        work=np.empty((p, n)),
    )
    return cd, means


@dataclass
class Terms:
    """Quantities at one beta, kept for residuals and the baseline hazard."""

    loglik: float
    score: np.ndarray
    info: np.ndarray
    shift: float  # eta was shifted by this before exp()
    r: np.ndarray  # (n,) w * exp(eta - shift)
    D: np.ndarray  # (n_ev,) Efron denominator of each event's term (shifted scale)
    q: np.ndarray  # (n_ev,) wtave / D
    S1: np.ndarray  # (p, K) risk-set sums of r x at each event group
    E1: np.ndarray | None  # (p, K) sums of r x over the deaths of each group (Efron with ties)


def _group_sums(cd: CoxData, a: np.ndarray) -> np.ndarray:
    return a if cd.all_distinct else np.add.reduceat(a, cd.gstart, axis=-1)


def efron_ties(cd: CoxData) -> bool:
    """True when Efron's correction is active (ties='efron' and some group has >= 2 deaths)."""
    return cd.ties == "efron" and cd.kstart.size < cd.ev.size


def evaluate(cd: CoxData, beta: np.ndarray, *, need_info: bool = True) -> Terms:
    """Log partial likelihood, score and information at ``beta`` (Efron or Breslow ties).

    Risk-set sums S0, S1 are reverse cumulative sums over tie groups within strata. The second
    moment never forms an (n, p, p) array: sum_g c_g S2_g = X' diag(r C) X with C the cumulative
    sum of c_g, and the Efron correction of the tied deaths enters the same diagonal. The Efron
    term means A_gj = (S1_g - f_j E1_g) / D_gj are never formed per death either: their sums
    reduce to per-group scalars times S1_g and E1_g (f_j = j/d). Exact ties add their tie
    groups separately (``_cox_exact.exact_groups``).
    """
    xt = cd.xt
    eta = np.einsum("i,in->n", beta, xt)
    shift = float(eta.max())
    r = np.exp(eta - shift)
    r *= cd.w
    rx = np.multiply(xt, r, out=cd.work)
    S0 = cd.seg.cumsum(_group_sums(cd, r), reverse=True)
    if cd.all_distinct and cd.seg.mode == "single":  # reverse cumsum in place: no (p, n) copy
        back = rx[:, ::-1]
        S1 = np.cumsum(back, axis=1, out=back)[:, ::-1]
    else:
        S1 = cd.seg.cumsum(_group_sums(cd, rx), reverse=True)
    k, kg, K = cd.ev_k, cd.kgroup, cd.kstart.size
    S1k = S1[:, kg]
    del S1
    D = S0[kg][k]
    tied = efron_ties(cd)
    E1 = None
    jf = cd.jfrac
    if tied:
        re = r[cd.ev]
        D -= jf * np.add.reduceat(re, cd.kstart)[k]
        E1 = np.add.reduceat(np.multiply(cd.xe, re, out=cd.work[:, : re.size]), cd.kstart, axis=1)
    wt = cd.wtave
    if cd.ties == "exact":
        wt = np.where(cd.kd[k] == 1, wt, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = wt / D
        loglik = float(beta @ cd.wx_events - shift * cd.w_events - np.sum(wt * np.log(D)))
    c = np.bincount(k, q, minlength=K)  # sum_j wtave / D_gj
    score = cd.wx_events - np.einsum("ik,k->i", S1k, c)
    if tied:
        e = np.bincount(k, q * jf, minlength=K)  # sum_j wtave f_j / D_gj
        score += np.einsum("ik,k->i", E1, e)
    info = np.zeros((beta.size, beta.size))
    if need_info:
        G = cd.gstart.size
        cG = np.zeros(G)
        cG[kg] = c
        C = cd.seg.cumsum(cG)
        v = C if cd.all_distinct else C[cd.gid]
        if tied:
            eG = np.zeros(G)
            eG[kg] = e
            v[cd.ev] -= eG[cd.ev_gid]
        v *= r
        info = np.einsum("in,jn->ij", np.multiply(xt, v, out=cd.work), xt)
        # minus sum_gj wtave A_gj A_gj' with A_gj = (S1_g - f_j E1_g) / D_gj
        qd = q / D
        info -= np.einsum("ik,jk->ij", S1k * np.bincount(k, qd, minlength=K), S1k)
        if tied:
            a1 = np.bincount(k, qd * jf, minlength=K)
            cross = np.einsum("ik,jk->ij", S1k * a1, E1)
            info += cross + cross.T
            info -= np.einsum("ik,jk->ij", E1 * np.bincount(k, qd * jf * jf, minlength=K), E1)
        info = (info + info.T) / 2
    if cd.ties == "exact":
        ll_x, sc_x, inf_x = exact_groups(cd, eta, shift, need_info)
        loglik += ll_x
        score = score + sc_x
        info = info + inf_x
        if cd.ev.size:
            # events of tied groups: sum of eta is in wx_events, log-denominator in ll_x
            loglik += shift * float(np.sum(np.where(cd.kd[k] == 1, 0.0, cd.w[cd.ev])))
    return Terms(loglik=loglik, score=score, info=info, shift=shift, r=r, D=D, q=q, S1=S1k, E1=E1)


def _solve(info: np.ndarray, u: np.ndarray) -> np.ndarray | None:
    try:
        L = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return None
    y = np.linalg.solve(L, u)
    return np.linalg.solve(L.T, y)


@dataclass
class NewtonResult:
    beta: np.ndarray
    terms: Terms
    loglik_null: float
    score_test: float
    iterations: int
    converged: bool
    failed: bool  # information matrix not positive definite along the way


def newton(cd: CoxData, max_iter: int, tol: float, start: Terms | None = None) -> NewtonResult:
    """Newton-Raphson from beta = 0 with step halving, following R's coxfit6.

    Convergence when |1 - loglik_old / loglik_new| <= tol on a full (not halved) step; a step
    that lowers the log likelihood is halved towards the last accepted beta. ``start`` may hold
    the terms already evaluated at beta = 0.
    """
    beta = np.zeros(cd.xt.shape[0])
    cur = evaluate(cd, beta) if start is None else start
    ll0 = cur.loglik
    step = _solve(cur.info, cur.score)
    if step is None:
        return NewtonResult(beta, cur, ll0, np.nan, 0, False, True)
    score_test = float(cur.score @ step)
    newbeta = beta + step
    halving = False
    converged = failed = False
    it = 0
    new = cur
    for it in range(1, max_iter + 1):
        new = evaluate(cd, newbeta)
        nll = new.loglik
        if not halving and _close(cur.loglik, nll, tol):
            converged = True
            break
        if it == max_iter:
            break
        if not nll >= cur.loglik:  # also catches NaN / -inf
            halving = True
            newbeta = (newbeta + beta) / 2
            continue
        halving = False
        step = _solve(new.info, new.score)
        if step is None:
            failed = True
            break
        cur, beta = new, newbeta
        newbeta = beta + step
    return NewtonResult(newbeta, new, ll0, score_test, it, converged, failed)


def _close(old: float, new: float, tol: float) -> bool:
    if new == old:
        return True
    if not np.isfinite(new) or new == 0:
        return False
    return abs(1.0 - old / new) <= tol


def hazard_increments(cd: CoxData, terms: Terms) -> np.ndarray:
    """Baseline hazard increment at each tie group for covariates at their means (zero if no death).

    Efron ties: sum_j wtave / D_gj (R survfit ctype=2); Breslow and exact: deadwt / S0 (ctype=1).
    """
    out = np.zeros(cd.gstart.size)
    inc = np.bincount(cd.ev_k, cd.wtave / terms.D, minlength=cd.kstart.size)
    out[cd.kgroup] = inc * np.exp(-terms.shift)
    return out
