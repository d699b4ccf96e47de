"""Guyot et al. (2012) kernel: patient-level data from one digitized Kaplan-Meier curve and its numbers at risk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GuyotArm", "guyot_reconstruct", "locate_risk_times"]

MAX_ITERATIONS = 10_000


@dataclass(frozen=True)
class GuyotArm:
    """One arm reconstructed by :func:`guyot_reconstruct` (all counts are integers).

    Attributes
    ----------
    time, event : (n,) patient times and event indicators (1 = event, 0 = censored); ``n`` is the
        first number at risk.
    point_time, point_survival : (K,) the curve the algorithm walked: the digitized points, plus
        (``point_inserted``) a starting point (0, 1) when the curve lacked it and a step-function
        point at every at-risk time that had none.
    point_n_risk, point_events, point_censored, point_km : (K,) reconstructed number at risk just
        before each point, events placed at it, censorings in ``[point_time[k], point_time[k + 1])``
        and the reconstructed Kaplan-Meier value after its events.
    risk_time, risk_published : (m,) at-risk times and published numbers at risk.
    risk_reconstructed : (m,) reconstructed number at risk at each at-risk time.
    interval_events, interval_censored : (m,) events and censorings in ``[risk_time[i], risk_time[i + 1])``
        (the last interval runs to the end of the curve).
    interval_iterations : (m,) censoring counts tried in each interval.
    interval_converged : (m,) whether the interval met its target exactly (the next published number
        at risk; for the last interval the total events when given, otherwise always True).
    censored_at_end : patients still at risk after the last point, censored at its time.
    total_events : the published total used for the last interval, or -1 when not given.
    """

    time: np.ndarray
    event: np.ndarray
    point_time: np.ndarray
    point_survival: np.ndarray
    point_inserted: np.ndarray
    point_n_risk: np.ndarray
    point_events: np.ndarray
    point_censored: np.ndarray
    point_km: np.ndarray
    risk_time: np.ndarray
    risk_published: np.ndarray
    risk_reconstructed: np.ndarray
    interval_events: np.ndarray
    interval_censored: np.ndarray
    interval_iterations: np.ndarray
    interval_converged: np.ndarray
    censored_at_end: int
    total_events: int


def locate_risk_times(
    t: np.ndarray, s: np.ndarray, t_risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Give every at-risk time a curve point; return (t, s, inserted, lower).

    The curve starts with (0, 1): that point is added when the first point is not it. Where no
    digitized point sits exactly at an at-risk time, a point is inserted with the survival of the
    last point before it (the curve is a right-continuous step function). ``lower[i]`` is the index
    of the first point at ``t_risk[i]``.
    """
    start = not (t[0] == 0.0 and s[0] == 1.0)
    if start:
        t, s = np.concatenate([[0.0], t]), np.concatenate([[1.0], s])
    missing = t_risk[~np.isin(t_risk, t)]
    if missing.size:
        pos = np.searchsorted(t, missing, side="left")
        s_new = s[np.maximum(pos - 1, 0)]
        t = np.insert(t, pos, missing)
        s = np.insert(s, pos, s_new)
        inserted = np.insert(np.zeros(t.size - missing.size, dtype=bool), pos, True)
    else:
        inserted = np.zeros(t.size, dtype=bool)
    inserted[0] |= start
    lower = np.searchsorted(t, t_risk, side="left")
    return t, s, inserted, lower


def _round(x: float) -> int:
    """Round half up (not to even): 2.5 -> 3."""
    return int(np.floor(x + 0.5))


class _Walk:
    """Events and censorings over one at-risk interval for a given number of censorings."""

    __slots__ = ("censor_times", "censored", "events", "km", "km_last", "n", "n_end")

    def __init__(self, s: np.ndarray, t: np.ndarray, t_from: float, t_to: float, n0: int, km_last: float,
                 n_censor: int) -> None:
        k = s.size
        times = np.empty(0)
        bucket = np.empty(0, dtype=np.int64)
        if n_censor > 0 and t_to > t_from:
            times = t_from + np.arange(1, n_censor + 1) * ((t_to - t_from) / (n_censor + 1))
            bucket = np.searchsorted(t, times, side="right") - 1
        cens = np.bincount(bucket, minlength=k).astype(np.int64)
        planned = cens.copy()
        events = np.zeros(k, dtype=np.int64)
        n_at = np.zeros(k, dtype=np.int64)
        km = np.zeros(k)
        n = n0
        for j in range(k):
            n_at[j] = n
            d = _round(n * (1.0 - s[j] / km_last)) if km_last > 0 and n > 0 else 0
            d = min(max(d, 0), n)
            if d > 0:
                km_last *= 1.0 - d / n
            events[j] = d
            km[j] = km_last
            c = min(int(cens[j]), n - d)
            cens[j] = c
            n -= d + c
        if (cens != planned).any():  # the arm ran out of patients: keep the first censorings of each span
            rank = np.arange(bucket.size) - np.searchsorted(bucket, bucket, side="left")
            times = times[rank < cens[bucket]]
        self.n, self.events, self.censored, self.km = n_at, events, cens, km
        self.censor_times = times
        self.km_last, self.n_end = km_last, n


def _search(run, c0: int, cap: int, miss) -> tuple[_Walk, int, bool]:
    """Guyot's update c <- c + miss(walk) until the target is met; the best walk if it cycles."""
    seen: dict[int, tuple[int, _Walk]] = {}
    c = min(max(c0, 0), cap)
    for it in range(1, MAX_ITERATIONS + 1):
        walk = run(c)
        diff = miss(walk)
        seen[c] = (abs(diff), walk)
        if diff == 0:
            return walk, it, True
        c_next = min(max(c + diff, 0), cap)
        if c_next in seen:
            break
        c = c_next
    best = min(seen, key=lambda k: (seen[k][0], k))
    return seen[best][1], len(seen), False


def guyot_reconstruct(
    t: np.ndarray,
    s: np.ndarray,
    t_risk: np.ndarray,
    n_risk: np.ndarray,
    total_events: int | None = None,
) -> GuyotArm:
    """Reconstruct one arm's patient data from its digitized curve (Guyot et al. 2012).

    Parameters
    ----------
    t, s : (K,) digitized times (ascending, >= 0) and survival (proportions in [0, 1], non-increasing);
        a point (0, 1) is added in front unless the curve starts with it. Several points may share a
        time (a vertical drop read at its top and bottom).
    t_risk, n_risk : (m,) at-risk times (strictly ascending, ``t_risk[0] == 0``, ``t_risk[-1] <= t[-1]``)
        and published numbers at risk (non-increasing integers).
    total_events : published total number of events in the arm, or None.

    Returns
    -------
    GuyotArm

    Notes
    -----
    Inputs are trusted (validate at the API edge, as :func:`survtrial.reconstruct_ipd` does).
    The algorithm of Guyot et al. (2012), as the paper describes it:

    1. In each at-risk interval ``[t_risk[i], t_risk[i+1])`` but the last, a first guess of the
       number censored is ``round(n_risk[i] * S(t_risk[i+1]) / S(t_risk[i]) - n_risk[i+1])``.
    2. The censorings are spread uniformly in the interval, at
       ``t_risk[i] + j (t_risk[i+1] - t_risk[i]) / (c + 1)``, ``j = 1..c``; walking through the
       points, the events at point k are ``round(n_k (1 - S_k / KM_last))`` where ``KM_last`` is
       the reconstructed KM at the last point with an event (the inverted KM equation), and
       ``n_{k+1} = n_k - d_k - c_k``.
    3. If the reconstructed number at risk at ``t_risk[i+1]`` differs from the published one, the
       censoring count is changed by the difference and step 2 repeated until they agree. Where
       they cannot agree (the curve drops more than the numbers at risk allow, or the update
       cycles because of rounding), the closest count is kept and the interval is flagged.
    4. In the last interval the number at risk at its end is unknown. Without ``total_events`` its
       censoring count is the earlier intervals' censorings per unit time times its length (no
       censoring with a single interval). With ``total_events`` the count is adjusted as in step 3
       until the events of all intervals add up to the published total.

    Patients still at risk after the last point are censored at its time. Rounding is half up.
    Censored patients keep their uniformly spread times (rather than a point between two
    digitized times), so the reconstructed KM is unchanged and follow-up is spread as assumed.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival data:
    reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol
    2012;12:9. doi:10.1186/1471-2288-12-9

    Examples
    --------
    >>> import numpy as np
    >>> arm = guyot_reconstruct(np.array([0., 1, 2, 3]), np.array([1., .9, .8, .7]),
    ...                         np.array([0., 2]), np.array([100, 75]))
    >>> int(arm.time.size), int(arm.event.sum()), arm.risk_reconstructed.tolist()
    (100, 25, [100, 75])
    """
    t_pts, s_pts, inserted, lower = locate_risk_times(np.asarray(t, float), np.asarray(s, float),
                                                      np.asarray(t_risk, float))
    n_risk = np.asarray(n_risk, dtype=np.int64)
    m, K = t_risk.size, t_pts.size
    t_end = float(t_pts[-1])
    upper = np.append(lower[1:], K)  # exclusive end of each interval's points
    n_at = np.zeros(K, dtype=np.int64)
    events = np.zeros(K, dtype=np.int64)
    cens = np.zeros(K, dtype=np.int64)
    km = np.ones(K)
    int_iter = np.zeros(m, dtype=np.int64)
    int_ok = np.ones(m, dtype=bool)
    n_now, km_last = int(n_risk[0]), 1.0
    censored_before = 0
    cens_times: list[np.ndarray] = []

    def run_for(i: int, n0: int, km0: float, t_to: float):
        lo, hi = lower[i], upper[i]
        seg_s, seg_t = s_pts[lo:hi], t_pts[lo:hi]
        return lambda c: _Walk(seg_s, seg_t, float(t_risk[i]), t_to, n0, km0, c)

    for i in range(m):
        lo, hi = lower[i], upper[i]
        if i < m - 1:
            run = run_for(i, n_now, km_last, float(t_risk[i + 1]))
            s0, s1 = s_pts[lo], s_pts[upper[i]]
            guess = _round(n_risk[i] * s1 / s0 - n_risk[i + 1]) if s0 > 0 else 0
            target = int(n_risk[i + 1])
            walk, int_iter[i], int_ok[i] = _search(run, guess, n_now, lambda w, tg=target: w.n_end - tg)
        else:
            run = run_for(i, n_now, km_last, t_end)
            length, span = t_end - float(t_risk[i]), float(t_risk[i] - t_risk[0])
            guess = _round(censored_before / span * length) if span > 0 else 0
            guess = min(guess, n_now)
            if total_events is None:
                walk, int_iter[i] = run(guess), 1
            else:
                left = int(total_events) - int(events[:lo].sum())
                walk, int_iter[i], int_ok[i] = _search(run, guess, n_now,
                                                       lambda w, tg=left: int(w.events.sum()) - tg)
        n_at[lo:hi], events[lo:hi], cens[lo:hi], km[lo:hi] = walk.n, walk.events, walk.censored, walk.km
        n_now, km_last = walk.n_end, walk.km_last
        cens_times.append(walk.censor_times)
        censored_before += int(walk.censored.sum())

    # Patient records: events at their point's time, censorings at their uniform times, the rest at the end.
    n_total = int(n_risk[0])
    n_ev = int(events.sum())
    cens_t = np.concatenate(cens_times)
    time = np.concatenate([np.repeat(t_pts, events), cens_t, np.full(n_total - n_ev - cens_t.size, t_end)])
    event = np.zeros(n_total, dtype=np.int8)
    event[:n_ev] = 1
    int_events = np.add.reduceat(events, lower)
    int_cens = np.add.reduceat(cens, lower)
    return GuyotArm(
        time=time, event=event, point_time=t_pts, point_survival=s_pts, point_inserted=inserted,
        point_n_risk=n_at, point_events=events, point_censored=cens, point_km=km,
        risk_time=np.asarray(t_risk, float), risk_published=n_risk, risk_reconstructed=n_at[lower],
        interval_events=int_events, interval_censored=int_cens, interval_iterations=int_iter,
        interval_converged=int_ok, censored_at_end=n_total - n_ev - cens_t.size,
        total_events=-1 if total_events is None else int(total_events),
    )
