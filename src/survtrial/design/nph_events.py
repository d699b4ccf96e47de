"""Expected events, statistical information and the average hazard ratio over calendar time, from the tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from survtrial._repr import HtmlReprMixin
from survtrial.design import _pwexp as pw
from survtrial.design.accrual import solve_increasing
from survtrial.design.nph_assumptions import DesignAssumptions, as_assumptions, design_assumptions  # noqa: F401 (doctests)
from survtrial.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AverageHazardRatio", "average_hazard_ratio", "expected_information", "expected_time"]


def _times(t: Any, name: str = "times") -> np.ndarray:
    try:
        a = np.atleast_1d(np.asarray(t, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name}={t!r}: expected calendar times (numbers)") from None
    if a.size == 0 or not np.all(np.isfinite(a)) or np.any(a <= 0):
        bad = a[~(np.isfinite(a) & (a > 0))] if a.size else a
        raise InputError(f"{name}={t!r}: calendar times must be finite and > 0 (got {bad.tolist()[:3]})")
    return a


def period_table(a: DesignAssumptions, t: np.ndarray) -> dict[str, np.ndarray]:
    """Per (time, stratum, period) arrays: events per arm, information under H1 and H0, subjects."""
    a.check_follow_up(float(t.max()))
    q1, q0 = a.shares
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "time", "stratum", "period", "start", "hr", "n", "events_experimental", "events_control")}
    for s in a.strata:
        m = s.control_hazard.size
        h1, h0 = pw.arm_hazards(s)
        e1 = q1 * pw.period_events(s, h1, t)
        e0 = q0 * pw.period_events(s, h0, t)
        starts = s.fail_starts
        # subjects whose follow-up at t lies in each period
        cum = pw.enrolled(s, np.maximum(t[:, None] - starts[None, :], 0.0))
        n = cum - np.concatenate([cum[:, 1:], np.zeros((t.size, 1))], axis=1)
        cols["time"].append(np.repeat(t, m))
        cols["stratum"].append(np.full(t.size * m, s.name, dtype=object))
        cols["period"].append(np.tile(np.arange(1, m + 1), t.size))
        cols["start"].append(np.tile(starts, t.size))
        cols["hr"].append(np.tile(s.hazard_ratio, t.size))
        cols["n"].append(n.ravel())
        cols["events_experimental"].append(e1.ravel())
        cols["events_control"].append(e0.ravel())
    out = {k: np.concatenate(v) for k, v in cols.items()}
    e1, e0 = out["events_experimental"], out["events_control"]
    out["events"] = e1 + e0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["info"] = np.where((e1 > 0) & (e0 > 0), e1 * e0 / (e1 + e0), 0.0)
    out["info0"] = out["events"] * q1 * q0
    return out


def expected_information(assumptions: Any, times: Any) -> pd.DataFrame:
    """Expected events and statistical information per arm, stratum and failure period at calendar times.

    Parameters
    ----------
    assumptions : DesignAssumptions
        From :func:`design_assumptions` (or a mapping with ``enroll_rate`` and ``fail_rate``).
    times : float or sequence of float
        Calendar times from the start of enrolment (> 0).

    Returns
    -------
    pandas.DataFrame
        One row per time, stratum and failure period: ``time``, ``stratum``, ``period`` (1-based),
        ``start`` (period start, time since randomisation), ``hr``, ``n`` (subjects whose
        follow-up at ``time`` lies in the period; they sum to the subjects randomised), expected
        ``events_experimental``, ``events_control`` and ``events`` observed in that period,
        ``info`` = 1 / (1 / d_experimental + 1 / d_control) and ``info0`` = d r / (1 + r)^2.

    Notes
    -----
    Expected events are closed-form integrals over piecewise-constant enrolment of the
    probability that a subject's event is observed, before dropout, in each period of follow-up
    (piecewise-exponential event and dropout hazards; see ``survtrial.design._pwexp``). ``info``
    is the information for the log hazard ratio of the period under the alternative (the
    inverse of the variance of the log ratio of two Poisson counts) and ``info0`` its value under
    H0 for the same events; gsDesign2 ``pw_info`` computes the same quantities.

    References
    ----------
    Lachin JM, Foulkes MA (1986). Biometrics 42:507-519. Mukhopadhyay P, Huang W, Metcalfe P,
    Öhrn F, Jenner M, Stone A (2020). Statistical and practical considerations in designing of
    immuno-oncology trials. J Biopharm Stat 30:1130-1146.

    Examples
    --------
    >>> a = design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
    ...                        {"duration": [3, 100], "fail_rate": np.log(2) / np.array([9, 18]),
    ...                         "hr": [0.9, 0.6], "dropout_rate": 0.001})
    >>> expected_information(a, 30)[["period", "hr", "events", "info"]].round(4)
       period   hr   events    info
    0       1  0.9  21.2478  5.3002
    1       2  0.6  37.2431  9.0271
    """
    a = as_assumptions(assumptions)
    t = _times(times)
    import pandas as pd
    return pd.DataFrame(period_table(a, t))


@dataclass(frozen=True, repr=False)
class AverageHazardRatio(HtmlReprMixin):
    """Average hazard ratio, expected events and information at calendar times; see :func:`average_hazard_ratio`.

    Attributes
    ----------
    time, ahr, n, events, info, info0 : numpy.ndarray
        Per calendar time: the average hazard ratio, subjects randomised, expected events (both
        arms), information for log(AHR) under the alternative and under H0.
    events_experimental, events_control : numpy.ndarray
    """

    time: np.ndarray
    ahr: np.ndarray
    n: np.ndarray
    events: np.ndarray
    events_experimental: np.ndarray
    events_control: np.ndarray
    info: np.ndarray
    info0: np.ndarray

    @property
    def theta(self) -> np.ndarray:
        """-log(AHR): the effect on the z scale per unit information (> 0 favours experimental)."""
        return -np.log(self.ahr)

    def to_frame(self) -> pd.DataFrame:
        """One row per time: time, ahr, theta, n, events (total and per arm), info, info0."""
        import pandas as pd
        return pd.DataFrame(
            {
                "time": self.time,
                "ahr": self.ahr,
                "theta": self.theta,
                "n": self.n,
                "events": self.events,
                "events_experimental": self.events_experimental,
                "events_control": self.events_control,
                "info": self.info,
                "info0": self.info0,
            }
        )

    def __repr__(self) -> str:
        rows = ", ".join(f"t={t:.4g}: AHR {h:.4f} ({e:.1f} events)" for t, h, e in
                         zip(self.time[:4], self.ahr[:4], self.events[:4], strict=True))
        more = f", ... ({self.time.size} times)" if self.time.size > 4 else ""
        return f"AverageHazardRatio({rows}{more})"


def ahr_from_table(tab: dict[str, np.ndarray], t: np.ndarray) -> AverageHazardRatio:
    k = t.size
    rows = np.searchsorted(t, tab["time"]) if np.all(np.diff(t) > 0) else np.array(
        [int(np.flatnonzero(t == x)[0]) for x in tab["time"]])

    def total(col: np.ndarray) -> np.ndarray:
        return np.bincount(rows, weights=col, minlength=k)

    events = total(tab["events"])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ahr = total(tab["events"] * np.log(tab["hr"])) / events
    return AverageHazardRatio(
        time=t.copy(),
        ahr=np.exp(log_ahr),
        n=total(tab["n"]),
        events=events,
        events_experimental=total(tab["events_experimental"]),
        events_control=total(tab["events_control"]),
        info=total(tab["info"]),
        info0=total(tab["info0"]),
    )


def average_hazard_ratio(assumptions: Any, times: Any) -> AverageHazardRatio:
    """Average hazard ratio (AHR) at calendar times, with expected events and its information.

    Parameters
    ----------
    assumptions : DesignAssumptions
    times : float or sequence of float
        Calendar times from the start of enrolment.

    Returns
    -------
    AverageHazardRatio

    Notes
    -----
    Definition (gsDesign2's ``ahr()``): with d_sp the expected events (both arms) in stratum s
    and failure period p by time t and hr_sp that period's hazard ratio,
    AHR(t) = exp(sum d_sp log hr_sp / sum d_sp): the geometric mean of the piecewise hazard
    ratios weighted by expected events. Its information is sum_sp 1 / (1 / d_sp,E + 1 / d_sp,C)
    under the alternative and sum_sp d_sp r / (1 + r)^2 under H0 (r the allocation ratio); a
    Cox or log-rank analysis at t estimates log(AHR) approximately (Kalbfleisch & Prentice 1981;
    Schemper et al. 2009). Under proportional hazards AHR is the hazard ratio and ``info0`` is
    Schoenfeld's d r / (1 + r)^2.

    References
    ----------
    Kalbfleisch JD, Prentice RL (1981). Estimation of the average hazard ratio. Biometrika
    68:105-112. Schemper M, Wakounig S, Heinze G (2009). The estimation of average hazard ratios
    by weighted Cox regression. Stat Med 28:2473-2489. Mukhopadhyay P, Ye J, Anderson KM,
    Roychoudhury S, Rubin EH, Halabi S, Chappell RJ (2022). Log-rank test vs MaxCombo and
    difference in restricted mean survival time tests for comparing survival under
    nonproportional hazards in immuno-oncology trials: a systematic review and meta-analysis.
    JAMA Oncol 8:1294-1300.

    Examples
    --------
    >>> a = design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
    ...                        {"duration": [3, 100], "fail_rate": np.log(2) / np.array([9, 18]),
    ...                         "hr": [0.9, 0.6], "dropout_rate": 0.001})
    >>> res = average_hazard_ratio(a, [15, 30])
    >>> res.ahr.round(6).tolist(), res.events.round(4).tolist()
    ([0.785741, 0.695215], [30.2784, 58.491])
    """
    a = as_assumptions(assumptions)
    t = _times(times)
    return ahr_from_table(period_table(a, t), t)


def events_at(a: DesignAssumptions, t: np.ndarray) -> np.ndarray:
    """Expected events (both arms, all strata) by calendar times t (no horizon check)."""
    q1, q0 = a.shares
    total = np.zeros(np.shape(t))
    for s in a.strata:
        h1, h0 = pw.arm_hazards(s)
        flat = np.ravel(t)
        ev = q1 * pw.period_events(s, h1, flat).sum(axis=1) + q0 * pw.period_events(s, h0, flat).sum(axis=1)
        total = total + ev.reshape(np.shape(t))
    return total


def eventual_events(a: DesignAssumptions) -> float:
    """Expected events as follow-up grows without end (the ceiling of any events target)."""
    q1, q0 = a.shares
    out = 0.0
    for s in a.strata:
        h1, h0 = pw.arm_hazards(s)
        out += s.n_subjects * (q1 * pw.eventual_event_probability(s, h1) + q0 * pw.eventual_event_probability(s, h0))
    return out


def time_of_events(a: DesignAssumptions, events: np.ndarray, what: str = "events") -> np.ndarray:
    """Calendar times at which the expected events reach each target (InputError when never)."""
    d = np.asarray(events, dtype=float)
    ceiling = eventual_events(a)
    if np.any(d >= ceiling * (1 - 1e-12)):
        i = int(np.argmax(d))
        raise InputError(
            f"{what}: {d[i]:g} events are never expected: with {a.n_subjects:.4g} subjects at most {ceiling:.2f} "
            "events are observed however long the follow-up; enrol more subjects or target fewer events"
        )
    upper = np.full(d.shape, max(a.enrollment_duration, 1.0))
    for _ in range(200):
        short = events_at(a, upper) < d
        if not short.any():
            break
        upper = np.where(short, upper * 2.0, upper)
    t = solve_increasing(lambda x: events_at(a, x), d, 0.0, upper, xtol=1e-13)
    a.check_follow_up(float(np.max(t)), what)
    return t


def expected_time(assumptions: Any, events: Any) -> pd.DataFrame:
    """Calendar time at which a number of events is expected, with the AHR and information then.

    Parameters
    ----------
    assumptions : DesignAssumptions
    events : float or sequence of float
        Targeted expected events (both arms).

    Returns
    -------
    pandas.DataFrame
        One row per target: ``time``, ``ahr``, ``events``, ``info``, ``info0`` (gsDesign2
        ``expected_time``).

    Notes
    -----
    Expected events are increasing in calendar time; the time solves E[events](t) = d by
    bisection to a relative 1e-13 (gsDesign2 uses ``uniroot``'s default tolerance, so its times
    differ in about the fifth digit). A target at or above the events expected with unlimited
    follow-up raises InputError saying the ceiling.

    Examples
    --------
    >>> a = design_assumptions({"duration": [2, 2, 10], "rate": [15, 30, 45]},
    ...                        {"duration": [3, 100], "fail_rate": np.log(2) / np.array([9, 18]),
    ...                         "hr": [0.9, 0.6], "dropout_rate": 0.001})
    >>> expected_time(a, 150).round(5)
           time      ahr  events      info  info0
    0  14.90814  0.78657   150.0  36.86707   37.5
    """
    a = as_assumptions(assumptions)
    d = np.atleast_1d(np.asarray(events, dtype=float)).ravel()
    if d.size == 0 or not np.all(np.isfinite(d)) or np.any(d <= 0):
        raise InputError(f"events={events!r}: targets must be finite numbers > 0")
    t = time_of_events(a, d)
    res = average_hazard_ratio(a, t)
    import pandas as pd
    return pd.DataFrame({"time": t, "ahr": res.ahr, "events": res.events, "info": res.info, "info0": res.info0})
