"""Fixed designs comparing Kaplan-Meier summaries: RMST difference at tau and survival difference at t* (milestone)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtr, ndtri

from survtrial._repr import HtmlReprMixin
from survtrial.design import _pwexp as pw
from survtrial.design._wlr_moments import nodes
from survtrial.design.nph_assumptions import DesignAssumptions, as_assumptions, design_assumptions  # noqa: F401
from survtrial.design.nph_design import error_levels
from survtrial.design.nph_events import events_at
from survtrial.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["KaplanMeierContrastDesign", "milestone_design", "milestone_power", "rmst_design", "rmst_power"]


@dataclass(frozen=True, repr=False)
class KaplanMeierContrastDesign(HtmlReprMixin):
    """A fixed design on the RMST difference at ``tau`` or the survival difference at ``tau`` (milestone).

    Attributes
    ----------
    kind : {"rmst", "milestone"}
    tau : float
        Truncation time (RMST) or milestone time, since randomisation.
    study_duration : float
        Calendar time of the analysis.
    control, experimental : float
        RMST up to tau (or survival at tau) of each arm under the tables.
    difference : float
        experimental - control (> 0 favours the experimental arm).
    variance : float
        n Var(estimated difference) (per subject randomised).
    n_subjects, events : float
        Subjects and expected events at the analysis.
    alpha, power : float
        One-sided level and power (computed when the design is sized by power, otherwise the target).
    assumptions : DesignAssumptions
        The tables with enrolment scaled to ``n_subjects``.
    """

    kind: str
    tau: float
    study_duration: float
    control: float
    experimental: float
    difference: float
    variance: float
    n_subjects: float
    events: float
    alpha: float
    power: float
    assumptions: DesignAssumptions

    @property
    def bound(self) -> float:
        """Critical value on the z scale, z_{1 - alpha}."""
        return float(ndtri(1.0 - self.alpha))

    @property
    def standard_error(self) -> float:
        """Standard error of the estimated difference at the design's sample size."""
        return math.sqrt(self.variance / self.n_subjects)

    def to_frame(self) -> pd.DataFrame:
        """One row: the design's numbers."""
        import pandas as pd
        return pd.DataFrame([{
            "design": self.kind, "tau": self.tau, "time": self.study_duration, "n": self.n_subjects,
            "events": self.events, "control": self.control, "experimental": self.experimental,
            "difference": self.difference, "standard_error": self.standard_error, "bound": self.bound,
            "alpha": self.alpha, "power": self.power,
        }])

    summary = to_frame

    def __repr__(self) -> str:
        what = "RMST" if self.kind == "rmst" else "survival"
        return (
            f"KaplanMeierContrastDesign({self.kind}: {what} difference at {self.tau:g} = {self.difference:.4g} "
            f"({self.experimental:.4g} vs {self.control:.4g}); n {self.n_subjects:.1f}, events {self.events:.1f} "
            f"at {self.study_duration:g}, one-sided alpha {self.alpha:g}, power {self.power:.4f})"
        )


def _rmst_pw(s: Any, hazard: np.ndarray, lo: np.ndarray, hi: float) -> np.ndarray:
    """int_lo^hi S(u) du for piecewise-exponential S (closed form per period)."""
    starts, dur = s.fail_starts, s.fail_duration
    ends = starts + dur
    a = np.clip(np.asarray(lo, dtype=float)[..., None], starts, ends)
    b = np.clip(np.full_like(a, hi), starts, ends)
    b = np.maximum(a, b)
    s_start = pw.survival(s, hazard, starts)
    with np.errstate(over="ignore", invalid="ignore"):
        part = np.where(hazard > 0,
                        s_start * (np.exp(-hazard * (a - starts)) - np.exp(-hazard * (b - starts)))
                        / np.where(hazard > 0, hazard, 1.0),
                        s_start * (b - a))
    return part.sum(axis=-1)


def _moments(a: DesignAssumptions, kind: str, tau: float, t: float) -> tuple[float, float, float]:
    """(control, experimental, variance per subject) of the KM contrast at analysis time t."""
    if len(a.strata) != 1:
        raise InputError(
            f"{kind} designs take one stratum (the unstratified Kaplan-Meier); the tables have "
            f"{len(a.strata)}: {', '.join(s.name for s in a.strata)}"
        )
    s = a.strata[0]
    if not (0 < tau < t):
        raise InputError(
            f"tau={tau:g}: the {kind} time must be > 0 and before the analysis at {t:g} (the longest follow-up)"
        )
    a.check_follow_up(t)
    q1, q0 = a.shares
    h1, h0 = pw.arm_hazards(s)
    total = s.n_subjects
    x, wq = nodes([*s.fail_starts[1:], *(t - s.enroll_breaks[1:])], tau)
    frac = pw.enrolled(s, t - x) / total  # probability of randomisation early enough to be followed for x
    values, variance = [], 0.0
    for share, hazard in ((q0, h0), (q1, h1)):
        risk = pw.at_risk_probability(s, hazard, x) * frac
        haz = pw.hazard_at(s, hazard, x)
        if kind == "rmst":
            value = float(_rmst_pw(s, hazard, np.array(0.0), tau))
            inner = _rmst_pw(s, hazard, x, tau)
            sigma2 = float((inner**2 * haz / risk * wq).sum())
        else:
            value = float(pw.survival(s, hazard, np.array(tau)))
            sigma2 = value**2 * float((haz / risk * wq).sum())
        values.append(value)
        variance += sigma2 / share
    return values[0], values[1], variance


def _contrast(assumptions: Any, kind: str, tau: Any, study_duration: Any, alpha: Any, power: Any,
              solve: bool) -> KaplanMeierContrastDesign:
    a = as_assumptions(assumptions)
    alpha_, beta, _ = error_levels(alpha, power if solve else None, None, 1)
    try:
        t, tt = float(study_duration), float(tau)
    except (TypeError, ValueError):
        raise InputError(f"study_duration={study_duration!r} and tau={tau!r} must be numbers") from None
    if not (math.isfinite(t) and t > 0):
        raise InputError(f"study_duration={study_duration!r} must be a calendar time > 0")
    ctrl, expt, var = _moments(a, kind, tt, t)
    diff = expt - ctrl
    z_a = float(ndtri(1.0 - alpha_))
    if solve:
        if diff <= 0:
            raise InputError(f"the {kind} difference at tau={tt:g} is {diff:.4g} (not in favour of the experimental "
                             "arm): no sample size gives the power")
        n = (z_a + float(ndtri(1.0 - beta))) ** 2 * var / diff**2
        factor = n / a.n_subjects
        achieved = 1.0 - beta
    else:
        factor, n = 1.0, a.n_subjects
        achieved = float(ndtr(math.sqrt(n) * diff / math.sqrt(var) - z_a))
    sized = a.scaled(factor) if factor != 1.0 else a
    return KaplanMeierContrastDesign(
        kind=kind, tau=tt, study_duration=t, control=ctrl, experimental=expt, difference=diff, variance=var,
        n_subjects=n, events=float(events_at(sized, np.array([t]))[0]), alpha=alpha_, power=achieved,
        assumptions=sized,
    )


_NOTES = """
    Notes
    -----
    The estimate is the difference of the arms' Kaplan-Meier {what}, experimental minus control,
    with variance sigma^2 / n: sigma^2 = sum over arms of sigma_j^2 / p_j (p_j the share
    randomised), {formula}, pi_j(x) the probability that a subject of arm j is randomised early
    enough and still event-free and followed at follow-up x (Greenwood's variance in the limit).
    The test is one-sided, Z = difference / SE > z_{{1-alpha}}; power = Phi(sqrt(n) difference /
    sigma - z_{{1-alpha}}) and n = (z_{{1-alpha}} + z_{{1-beta}})^2 sigma^2 / difference^2 (Yung &
    Liu 2020, as npsurvSS ``size_two_arm`` / ``power_two_arm`` and gsDesign2 ``fixed_design_{name}``).
    The integral over follow-up uses 20-point Gauss-Legendre panels between the kinks of the
    integrand; {inner}. One stratum only; ``tau`` must precede the analysis time.

    References
    ----------
    Yung G, Liu Y (2020). Sample size and power for the weighted log-rank test and Kaplan-Meier
    based tests with allowance for nonproportional hazards. Biometrics 76:939-950. Royston P,
    Parmar MKB (2013). Restricted mean survival time: an alternative to the hazard ratio for the
    design and analysis of randomized trials with a time-to-event outcome. BMC Med Res Methodol
    13:152. Klein JP, Logan B, Harhoff M, Andersen PK (2007). Analyzing survival curves at a fixed
    point in time. Stat Med 26:4505-4519.
"""

_RMST_NOTES = _NOTES.format(
    what="restricted mean survival times up to tau", name="rmst",
    formula="sigma_j^2 = int_0^tau (int_x^tau S_j(u) du)^2 h_j(x) / pi_j(x) dx",
    inner="the inner integral is in closed form")
_MILESTONE_NOTES = _NOTES.format(
    what="survival at tau", name="milestone",
    formula="sigma_j^2 = S_j(tau)^2 int_0^tau h_j(x) / pi_j(x) dx", inner="S_j is in closed form")

_EXAMPLE_TABLES = """    >>> a = design_assumptions({"duration": [18], "rate": [20]},
    ...                        {"duration": [100], "fail_rate": np.log(2) / 12, "hr": 0.7,
    ...                         "dropout_rate": 0.001})"""


def rmst_design(assumptions: Any, tau: float, *, study_duration: float, alpha: float = 0.025,
                power: float = 0.9) -> KaplanMeierContrastDesign:
    return _contrast(assumptions, "rmst", tau, study_duration, alpha, power, True)


def rmst_power(assumptions: Any, tau: float, *, study_duration: float,
               alpha: float = 0.025) -> KaplanMeierContrastDesign:
    return _contrast(assumptions, "rmst", tau, study_duration, alpha, None, False)


def milestone_design(assumptions: Any, tau: float, *, study_duration: float, alpha: float = 0.025,
                     power: float = 0.9) -> KaplanMeierContrastDesign:
    return _contrast(assumptions, "milestone", tau, study_duration, alpha, power, True)


def milestone_power(assumptions: Any, tau: float, *, study_duration: float,
                    alpha: float = 0.025) -> KaplanMeierContrastDesign:
    return _contrast(assumptions, "milestone", tau, study_duration, alpha, None, False)


rmst_design.__doc__ = f"""Sample size of a fixed design on the RMST difference at ``tau`` (``fixed_design_rmst``).

    Parameters
    ----------
    assumptions : DesignAssumptions
        Tables (one stratum); enrolment rates are scaled to the sample size, durations kept.
    tau : float
        Truncation time of the restricted mean (time since randomisation), before ``study_duration``.
    study_duration : float
        Calendar time of the analysis.
    alpha : float
        One-sided type I error in (0, 0.5].
    power : float
        Target power in (0, 1).

    Returns
    -------
    KaplanMeierContrastDesign
{_RMST_NOTES}
    Examples
    --------
{_EXAMPLE_TABLES}
    >>> d = rmst_design(a, 18, study_duration=36, power=0.9)
    >>> round(d.n_subjects), round(d.events)
    (671, 477)
    """
rmst_power.__doc__ = f"""Power of a fixed RMST-difference design with the tables' sample size (``fixed_design_rmst``).

    Parameters as :func:`rmst_design` (without ``power``).
{_RMST_NOTES}
    Examples
    --------
{_EXAMPLE_TABLES}
    >>> round(rmst_power(a, 18, study_duration=36).power, 3)
    0.661
    """
milestone_design.__doc__ = f"""Sample size of a fixed design on the survival difference at ``tau`` (milestone).

    Parameters as :func:`rmst_design`; ``tau`` is the milestone time.

    Returns
    -------
    KaplanMeierContrastDesign
{_MILESTONE_NOTES}
    Examples
    --------
{_EXAMPLE_TABLES}
    >>> d = milestone_design(a, 18, study_duration=36, power=0.9)
    >>> round(d.n_subjects), round(d.events)
    (606, 431)
    """
milestone_power.__doc__ = f"""Power of a fixed milestone design (survival difference at ``tau``), tables' sample size.

    Parameters as :func:`milestone_design` (without ``power``).
{_MILESTONE_NOTES}
    Examples
    --------
{_EXAMPLE_TABLES}
    >>> round(milestone_power(a, 18, study_duration=36).power, 3)
    0.705
    """
