"""Lachin-Foulkes sample size for two-arm survival trials, from event probabilities under accrual and dropout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from survtrial._repr import HtmlReprMixin
from survtrial.design._assumptions import assumptions, null_hazard_ratio, per_case, squeeze
from survtrial.design._lachin_foulkes import null_control_hazard, required_subjects, timing
from survtrial.design.accrual import StudyModel
from survtrial.design.events import _check_sided, _probability
from survtrial.errors import InputError

__all__ = ["LachinFoulkesResult", "lachin_foulkes_sample_size"]

#: Accepted ``scale`` values: the effect the test statistic is built on.
SCALES = ("hazard-difference", "log-hazard-ratio")
#: Accepted ``null_variance`` values: variance of the statistic under H0.
NULL_VARIANCES = ("pooled", "alternative")


@dataclass(frozen=True)
class LachinFoulkesResult(HtmlReprMixin):
    """Subjects, expected events and timing of a Lachin-Foulkes design; see :func:`lachin_foulkes_sample_size`.

    Per-case attributes are floats for scalar inputs and 1-d arrays over a grid of inputs
    (hazard ratios, control hazards, follow-up times or powers). Values are not rounded.
    """

    scale: str
    null_variance: str
    alpha: float
    power: Any
    sided: int
    allocation_ratio: float
    null_hazard_ratio: float
    hazard_ratio: Any
    control_hazard: Any
    null_control_hazard: Any
    event_probability_control: Any
    event_probability_experimental: Any
    n_subjects: Any
    n_control: Any
    n_experimental: Any
    events: Any
    events_control: Any
    events_experimental: Any
    accrual_duration: Any
    follow_up: Any
    study_duration: Any
    model: StudyModel

    def to_frame(self) -> pd.DataFrame:
        """One row per planning case: effect, subjects and events (total and per arm), timing."""
        cols = {
            "hazard_ratio": self.hazard_ratio,
            "power": self.power,
            "n_subjects": self.n_subjects,
            "n_control": self.n_control,
            "n_experimental": self.n_experimental,
            "events": self.events,
            "events_control": self.events_control,
            "events_experimental": self.events_experimental,
            "event_probability_control": self.event_probability_control,
            "event_probability_experimental": self.event_probability_experimental,
            "accrual_duration": self.accrual_duration,
            "follow_up": self.follow_up,
            "study_duration": self.study_duration,
        }
        n = max(np.size(v) for v in cols.values())
        return pd.DataFrame({k: np.broadcast_to(np.atleast_1d(v), (n,)) for k, v in cols.items()})

    def __repr__(self) -> str:
        head = (
            f"LachinFoulkesResult({self.scale}, null variance {self.null_variance}, alpha={self.alpha:g} "
            f"{self.sided}-sided, allocation {self.allocation_ratio:g}:1)"
        )
        if np.ndim(self.n_subjects) == 0:
            return (
                f"{head}\n  hazard ratio {self.hazard_ratio:.4g}, power {self.power:.3g}: subjects "
                f"{self.n_subjects:.1f} ({self.n_control:.1f} control), events {self.events:.1f}\n"
                f"  accrual {self.accrual_duration:.2f}, follow-up {self.follow_up:.2f}, "
                f"study duration {self.study_duration:.2f}"
            )
        return f"{head}\n  grid of {np.size(self.n_subjects)} planning cases; see to_frame()"


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    key = str(value).lower().replace("_", "-").replace(" ", "-")
    if key not in allowed:
        raise InputError(f"{name}={value!r} is not one of {list(allowed)}")
    return key


def lachin_foulkes_sample_size(
    hazard_ratio: Any = None,
    *,
    control_hazard: Any = None,
    control_median: Any = None,
    control_survival: Any = None,
    experimental_hazard: Any = None,
    experimental_median: Any = None,
    experimental_survival: Any = None,
    landmark_time: Any = None,
    piecewise_times: Any = None,
    noninferiority_margin: Any = None,
    alpha: float = 0.025,
    power: Any = 0.8,
    sided: int = 1,
    allocation_ratio: float = 1.0,
    accrual_time: Any = 12.0,
    accrual_intensity: Any = None,
    accrual_rate: Any = None,
    follow_up: Any = None,
    n_subjects: Any = None,
    dropout_rate: Any = 0.0,
    dropout_time: Any = None,
    scale: str = "hazard-difference",
    null_variance: str = "pooled",
) -> LachinFoulkesResult:
    """Subjects and expected events of a two-arm survival trial by the Lachin-Foulkes method.

    Parameters
    ----------
    hazard_ratio : float or 1-d array, optional
        Planning hazard ratio, experimental over control; or give ``experimental_hazard``,
        ``experimental_median`` or ``experimental_survival`` (exactly one of the four).
    control_hazard, control_median, control_survival : float, optional
        Control-arm exponential survival (exactly one): a hazard (or one hazard per piece with
        ``piecewise_times``), a median, or the survival probability at ``landmark_time``.
    experimental_hazard, experimental_median, experimental_survival, landmark_time
        As in :func:`survival_sample_size`.
    piecewise_times : sequence of float, optional
        Start times of piecewise-exponential survival pieces; only with
        ``scale="log-hazard-ratio"`` (a difference of hazards is not one number then).
    noninferiority_margin : float, optional
        Hazard-ratio margin (> 1) for H0: HR >= margin; only with ``scale="log-hazard-ratio"``.
    alpha : float, default 0.025
        Type I error; with ``sided=2`` split equally over both tails (``z_{1 - alpha/sided}``).
    power : float or 1-d array, default 0.8
        Target power, 1 - beta.
    sided : {1, 2}, default 1
    allocation_ratio : float, default 1
        Experimental subjects per control subject: Q_E = r / (1 + r), Q_C = 1 / (1 + r)
        (gsDesign ``ratio``).
    accrual_time : float or sequence, default 12
        Accrual duration, or the times where the accrual rate changes (``[0, 6, 12]``).
    accrual_intensity : sequence, optional
        Relative accrual rate per accrual piece (default uniform); with ``follow_up`` the
        rates are scaled to the required subjects (Lachin-Foulkes; gsDesign ``nSurv`` with
        ``T`` and ``minfup``).
    accrual_rate : sequence, optional
        Absolute subjects per time unit per piece. With one more rate than ``accrual_time``
        pieces the last rate continues and the accrual duration is computed from ``follow_up``
        (Kim-Tsiatis; gsDesign ``nSurv(T=NULL, minfup=...)``); over a closed ``accrual_time``
        the number of subjects is fixed and the follow-up is computed (``nSurv(T=NULL,
        minfup=NULL)``).
    follow_up : float or 1-d array, optional
        Minimum follow-up: time from the end of accrual to the analysis. The study duration is
        ``accrual + follow_up`` (gsDesign ``nSurvival`` ``Ts``; the accrual is ``Tr``).
    n_subjects : float or 1-d array, optional
        Total subjects (with relative ``accrual_intensity``, instead of ``follow_up``): the
        follow-up giving the target power with that many subjects is computed.
    dropout_rate : float or (float, float), default 0
        Proportion lost to follow-up by ``dropout_time`` (experimental, control), exponential:
        the dropout hazard is ``-log(1 - dropout_rate) / dropout_time`` (gsDesign ``eta``).
    dropout_time : float, optional
        Required when ``dropout_rate > 0``.
    scale : {"hazard-difference", "log-hazard-ratio"}
        ``"hazard-difference"`` (Lachin & Foulkes 1986; gsDesign ``nSurvival(type="rd")``) or
        ``"log-hazard-ratio"`` (gsDesign ``nSurvival(type="rr")`` and
        ``nSurv(method="LachinFoulkes")``).
    null_variance : {"pooled", "alternative"}
        ``"pooled"``: the H0 variance at the pooled hazard (Lachin-Foulkes); ``"alternative"``:
        the H1 variance in both terms (gsDesign ``approx=TRUE``).

    Returns
    -------
    LachinFoulkesResult
        ``n_subjects``, ``n_control``, ``n_experimental``; expected ``events`` (and per arm)
        under H1 at the end of the study; ``event_probability_control`` /
        ``_experimental``; ``accrual_duration``, ``follow_up``, ``study_duration``; ``model``
        (the accrual scaled to ``n_subjects``, for ``model.expected_events(t)``); ``to_frame()``.

    Notes
    -----
    Time units are those of the hazards, accrual and follow-up (all the same unit). With
    ``P(lambda)`` the probability that a subject on an arm with hazard ``lambda`` has an observed
    event by the end of the study (averaged over the accrual distribution, with exponential
    dropout competing), and ``phi(lambda) = lambda^2 / P(lambda)``, the hazard-difference
    sample size is::

        n = [(z_a sqrt(phi(lbar) (1/Q_C + 1/Q_E)) + z_b sqrt(phi(l_C)/Q_C + phi(l_E)/Q_E)) / (l_C - l_E)]^2

    with ``lbar = Q_C l_C + Q_E l_E`` the pooled hazard under H0, ``z_a = z_{1-alpha/sided}``,
    ``z_b = z_{1-beta}``. On the log-hazard-ratio scale the variances are
    ``1/(Q_C P_C) + 1/(Q_E P_E)``, under H0 at control hazard ``l_C (1 + r HR)/(1 + r HR0)``
    (per piece) with hazard ratio HR0, and the effect is ``|log(HR / HR0)|``. When the arms
    have different dropout, each arm's phi uses its own dropout hazard. ``P`` is computed in
    closed form for piecewise-constant accrual, (piecewise-)exponential survival and
    exponential dropout (:class:`StudyModel`; Kim & Tsiatis 1990 for the piecewise case).
    Expected events are ``n (Q_C P_C + Q_E P_E)`` under H1. With absolute accrual rates the
    requirement depends on the durations: the accrual duration (open-ended last rate) or the
    follow-up (fixed number of subjects) is solved so that the subjects accrued equal the
    subjects required, as gsDesign ``nSurv`` does. Matches gsDesign ``nSurvival`` and ``nSurv``
    (``print.nSurvival`` shows ``n`` rounded up to even and the events rounded up).

    References
    ----------
    Lachin JM, Foulkes MA. Evaluation of sample size and power for analyses of survival with
    allowance for nonuniform patient entry, losses to follow-up, noncompliance, and
    stratification. Biometrics 1986;42:507-519. Kim K, Tsiatis AA. Study duration for clinical
    trials with survival response and early stopping rule. Biometrics 1990;46:81-92.

    Examples
    --------
    Control hazard 0.2, experimental 0.1 per year, six months of uniform accrual, 1.5 years of
    further follow-up, one-sided 2.5%, 90% power (gsDesign ``nSurvival(type="rd")``):

    >>> res = lachin_foulkes_sample_size(control_hazard=0.2, experimental_hazard=0.1, power=0.9,
    ...                                  accrual_time=0.5, follow_up=1.5)
    >>> round(res.n_subjects, 2), round(res.events, 2)
    (412.28, 93.89)
    """
    scale = _choice("scale", scale, SCALES)
    null_variance = _choice("null_variance", null_variance, NULL_VARIANCES)
    sided = _check_sided(sided)
    a_alpha = float(_probability(per_case("alpha", alpha), "alpha"))
    a = assumptions(
        hazard_ratio=hazard_ratio,
        control_hazard=control_hazard,
        control_median=control_median,
        control_survival=control_survival,
        experimental_hazard=experimental_hazard,
        experimental_median=experimental_median,
        experimental_survival=experimental_survival,
        landmark_time=landmark_time,
        piecewise_times=piecewise_times,
        allocation_ratio=allocation_ratio,
        accrual_time=accrual_time,
        accrual_intensity=accrual_intensity,
        accrual_rate=accrual_rate,
        n_subjects=n_subjects,
        follow_up=follow_up,
        dropout_rate=dropout_rate,
        dropout_time=dropout_time,
        extra={"power": power},
    )
    pw = _probability(a.extra["power"], "power")
    if scale == "hazard-difference":
        if a.survival_starts.size > 1:
            raise InputError(
                "piecewise_times: the hazard difference is defined for exponential survival only; "
                "use scale='log-hazard-ratio' for piecewise-exponential survival"
            )
        if noninferiority_margin is not None:
            raise InputError("noninferiority_margin needs scale='log-hazard-ratio'")
    hr0 = null_hazard_ratio(noninferiority_margin, a.hazard_ratio)
    if np.any(-ndtri(a_alpha / sided) + ndtri(pw) <= 0):
        raise InputError("power must exceed the one-sided significance level alpha/sided")

    z = (-ndtri(a_alpha / sided), ndtri(pw))

    def required(rates: np.ndarray, end: np.ndarray, final: np.ndarray) -> tuple[np.ndarray, ...]:
        return required_subjects(a, rates, end, final, z, hr0, scale, null_variance)

    end, final, rates = timing(a, required)
    n, p_ctl, p_exp = required(rates, end, final)
    r = a.allocation_ratio
    n_ctl, n_exp = n / (1 + r), n * r / (1 + r)
    lam_c, null_ctl = a.control_hazard, null_control_hazard(a, hr0, scale)
    model = a.model(rates, end)
    model = a.model(rates * (n / model.n_subjects)[:, None], end)

    def sq(x: Any) -> Any:
        return squeeze(np.asarray(x), a.shape)

    return LachinFoulkesResult(
        scale=scale,
        null_variance=null_variance,
        alpha=a_alpha,
        power=sq(pw),
        sided=sided,
        allocation_ratio=r,
        null_hazard_ratio=hr0,
        hazard_ratio=sq(a.hazard_ratio),
        control_hazard=sq(lam_c if a.survival_starts.size > 1 else lam_c[:, 0]),
        null_control_hazard=sq(null_ctl if a.survival_starts.size > 1 else null_ctl[:, 0]),
        event_probability_control=sq(p_ctl),
        event_probability_experimental=sq(p_exp),
        n_subjects=sq(n),
        n_control=sq(n_ctl),
        n_experimental=sq(n_exp),
        events=sq(n_ctl * p_ctl + n_exp * p_exp),
        events_control=sq(n_ctl * p_ctl),
        events_experimental=sq(n_exp * p_exp),
        accrual_duration=sq(end),
        follow_up=sq(final - end),
        study_duration=sq(final),
        model=model,
    )
