"""Events, subjects and study duration for two-arm survival trials (superiority and non-inferiority)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survtrial._repr import HtmlReprMixin
from survtrial.design._assumptions import (
    assumptions,
    error_rates,
    null_hazard_ratio,
    sequential,
    squeeze,
    stopping_probabilities,
)
from survtrial.design.accrual import StudyModel, solve_increasing
from survtrial.design.events import EVENT_METHODS, event_method, required_events
from survtrial.design.timing import subjects_and_timing

__all__ = ["SurvivalSampleSizeResult", "survival_sample_size"]


@dataclass(frozen=True)
class SurvivalSampleSizeResult(HtmlReprMixin):
    """Events, subjects and timing of a two-arm survival trial; see :func:`survival_sample_size`.

    Per-case attributes are floats for scalar inputs and 1-d arrays over a grid of inputs; per-look
    attributes add a trailing axis of length K (number of looks).
    """

    method: str
    alpha: float
    power: Any
    sided: int
    allocation_ratio: float
    null_hazard_ratio: float
    hazard_ratio: Any
    control_hazard: Any
    information_fractions: np.ndarray
    inflation_factor: float
    events_fixed: Any
    max_events: Any
    events_per_look: Any
    n_subjects: Any
    accrual_duration: Any
    follow_up: Any
    study_duration: Any
    look_times: Any
    subjects_per_look: Any
    expected_study_duration: Any
    expected_subjects: Any
    model: StudyModel

    @property
    def noninferiority(self) -> bool:
        """True for a non-inferiority design (null hazard ratio above 1)."""
        return self.null_hazard_ratio != 1.0

    @property
    def n_experimental(self) -> Any:
        """Subjects on the experimental arm: ``n_subjects * r / (1 + r)``."""
        return np.multiply(self.n_subjects, self.allocation_ratio / (1 + self.allocation_ratio))

    @property
    def n_control(self) -> Any:
        """Subjects on the control arm: ``n_subjects / (1 + r)``."""
        return np.divide(self.n_subjects, 1 + self.allocation_ratio)

    def expected_events(self, t: Any, *, by_arm: bool = False) -> Any:
        """Expected events by calendar time(s) ``t`` under the planning assumptions.

        For one planning case returns an array over ``t`` (a float for scalar ``t``); for a grid,
        shape (cases, len(t)). ``by_arm=True`` adds a leading axis (experimental, control).
        """
        scalar_t = np.ndim(t) == 0
        out = self.model.expected_events(np.atleast_1d(np.asarray(t, dtype=float)), by_arm=by_arm)
        if np.ndim(self.hazard_ratio) == 0:
            out = out[..., 0, :]
            if scalar_t:
                out = out[..., 0]
        return float(out) if np.ndim(out) == 0 else out

    def to_frame(self) -> pd.DataFrame:
        """One row per look (and per planning case for a grid): events, calendar time, subjects."""
        k = self.information_fractions.size
        cases = np.atleast_1d(self.hazard_ratio).size
        frame = pd.DataFrame(
            {
                "case": np.repeat(np.arange(cases), k),
                "hazard_ratio": np.repeat(np.atleast_1d(self.hazard_ratio), k),
                "look": np.tile(np.arange(1, k + 1), cases),
                "information_fraction": np.tile(self.information_fractions, cases),
                "events": np.ravel(self.events_per_look),
                "time": np.ravel(self.look_times),
                "subjects": np.ravel(self.subjects_per_look),
            }
        )
        return frame.drop(columns="case") if cases == 1 else frame

    def summary_frame(self) -> pd.DataFrame:
        """One row per planning case: fixed and maximum events, subjects, accrual, follow-up, duration."""
        cols = {
            "hazard_ratio": self.hazard_ratio,
            "power": self.power,
            "events_fixed": self.events_fixed,
            "max_events": self.max_events,
            "n_subjects": self.n_subjects,
            "n_experimental": self.n_experimental,
            "n_control": self.n_control,
            "accrual_duration": self.accrual_duration,
            "follow_up": self.follow_up,
            "study_duration": self.study_duration,
            "expected_study_duration": self.expected_study_duration,
            "expected_subjects": self.expected_subjects,
        }
        n = np.atleast_1d(self.hazard_ratio).size
        return pd.DataFrame({k: np.broadcast_to(np.atleast_1d(v), (n,)) for k, v in cols.items()})

    def __repr__(self) -> str:
        kind = f"non-inferiority (margin HR {self.null_hazard_ratio:.4g})" if self.noninferiority else "superiority"
        looks = self.information_fractions.size
        head = (
            f"SurvivalSampleSizeResult({kind}, {EVENT_METHODS[self.method]}, alpha={self.alpha:g} "
            f"{self.sided}-sided, {looks} look(s), allocation {self.allocation_ratio:g}:1)"
        )
        if np.ndim(self.hazard_ratio) == 0:
            return (
                f"{head}\n  hazard ratio {self.hazard_ratio:.4g}, power {self.power:.3g}: "
                f"events {self.max_events:.1f} (fixed design {self.events_fixed:.1f}), "
                f"subjects {self.n_subjects:.1f}\n  accrual {self.accrual_duration:.2f}, "
                f"follow-up {self.follow_up:.2f}, study duration {self.study_duration:.2f}"
            )
        return f"{head}\n  grid of {np.size(self.hazard_ratio)} planning cases; see summary_frame()"


def survival_sample_size(
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
    alpha: Any = None,
    power: Any = None,
    sided: int | None = None,
    allocation_ratio: float = 1.0,
    accrual_time: Any = 12.0,
    accrual_intensity: Any = None,
    accrual_rate: Any = None,
    follow_up: Any = None,
    n_subjects: Any = None,
    dropout_rate: Any = 0.0,
    dropout_time: Any = None,
    method: str = "schoenfeld",
    design: Any = None,
    inflation_factor: Any = None,
    information_fractions: Any = None,
) -> SurvivalSampleSizeResult:
    """Events, subjects, accrual and study duration for a two-arm survival trial.

    Parameters
    ----------
    hazard_ratio : float or 1-d array, optional
        Planning hazard ratio, experimental over control. Alternatively give the experimental
        arm as ``experimental_hazard``, ``experimental_median`` or ``experimental_survival``
        (exactly one of the four). An array gives a grid of designs, computed at once.
    control_hazard, control_median, control_survival : float, optional
        Control-arm survival (exactly one): a constant hazard (or one hazard per piece with
        ``piecewise_times``), a median, or the survival probability at ``landmark_time``
        ("87.9% at 3 years": ``control_survival=0.879, landmark_time=3``).
    experimental_hazard, experimental_median, experimental_survival : float, optional
        Experimental-arm survival, converted to a hazard ratio (proportional hazards).
    landmark_time : float, optional
        Time at which ``control_survival`` / ``experimental_survival`` apply.
    piecewise_times : sequence of float, optional
        Start times of the piecewise-exponential survival pieces (0 first).
    noninferiority_margin : float, optional
        Hazard-ratio margin (> 1) for a non-inferiority test of H0: HR >= margin; see
        :func:`noninferiority_margin` to convert "no more than 2 points below 96% at 3 years".
    alpha, power, sided : optional
        Type I error (default 0.025), power (default 0.8), 1- or 2-sided (default 1). A
        ``design`` supplies them when not given.
    allocation_ratio : float, default 1
        Experimental subjects per control subject.
    accrual_time : float or sequence, default 12
        Accrual duration, or the times where the accrual rate changes (``[0, 6, 12]``).
    accrual_intensity : sequence, optional
        Relative accrual rate per accrual piece (default uniform); the number of subjects is
        then computed from ``follow_up`` (or given as ``n_subjects``).
    accrual_rate : sequence, optional
        Absolute subjects per time unit per piece. Over a closed ``accrual_time`` the number of
        subjects is fixed and the follow-up is computed; with one more rate than pieces the last
        rate continues open-ended and the accrual duration is computed (from ``follow_up`` or
        ``n_subjects``).
    follow_up : float or 1-d array, optional
        Minimum follow-up: time from the end of accrual to the final analysis.
    n_subjects : float or 1-d array, optional
        Total subjects (instead of ``follow_up``); the follow-up is computed.
    dropout_rate : float or (float, float), default 0
        Proportion lost to follow-up by ``dropout_time`` (experimental, control); exponential.
    dropout_time : float, optional
        Required when ``dropout_rate > 0``.
    method : {"schoenfeld", "freedman", "hsieh-freedman"}
        Event formula (rpact ``typeOfComputation``); non-inferiority needs ``"schoenfeld"``.
    design : object, optional
        A group-sequential design (``survtrial.design.group_sequential``) or any object with
        ``.inflation_factor`` and ``.information_fractions``.
    inflation_factor, information_fractions : optional
        The same two quantities given directly (instead of ``design``).

    Returns
    -------
    SurvivalSampleSizeResult
        ``events_fixed``, ``max_events`` (= events_fixed x inflation factor), ``events_per_look``,
        ``n_subjects`` (and per arm), ``accrual_duration``, ``follow_up``, ``study_duration``,
        ``look_times`` (calendar time at which each look's events are expected),
        ``subjects_per_look``; ``expected_events(t)``; ``to_frame()``. Values are not rounded.

    Notes
    -----
    Events follow Schoenfeld (default), Freedman or Hsieh-Freedman as rpact
    ``getSampleSizeSurvival(typeOfComputation=...)``; the maximum number of events is the fixed
    number times the design's inflation factor and look k has ``fraction_k x max`` events.
    Subjects follow from the probability that a subject has an observed event by the final
    analysis, integrated over piecewise-constant accrual with piecewise-exponential survival and
    exponential dropout (Lachin & Foulkes 1986; Kim & Tsiatis 1990), in closed form. The
    calendar time of look k solves E[events](t) = d_k. The results match rpact 3.3 to its printed
    precision (tests hold the rpact calls and outputs); dropout is expressed, as in rpact, as the
    proportion lost by ``dropout_time``. Weibull survival (rpact ``kappa != 1``) and optimum
    allocation (``allocationRatioPlanned = 0``) are not implemented.

    References
    ----------
    Schoenfeld DA. Biometrics 1983;39:499-503. Freedman LS. Stat Med 1982;1:121-129.
    Lachin JM, Foulkes MA. Biometrics 1986;42:507-519. Kim K, Tsiatis AA. Biometrics
    1990;46:81-92. Wassmer G, Brannath W. Group Sequential and Confirmatory Adaptive Designs in
    Clinical Trials. Springer 2016 (rpact).

    Examples
    --------
    Control 3-year DFS 87.9%, planning hazard ratio 0.6, one-sided 0.025, 90% power, five years
    of uniform accrual and two years of further follow-up:

    >>> res = survival_sample_size(0.6, control_survival=0.879, landmark_time=3, power=0.9,
    ...                            accrual_time=5, follow_up=2)
    >>> round(res.events_fixed, 1), round(res.n_subjects, 1)
    (161.1, 1137.2)
    """
    alpha, power, sided = error_rates(design, alpha, power, sided)
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
    method = event_method(method)
    null_hr = null_hazard_ratio(noninferiority_margin, a.hazard_ratio)
    fractions, inflation = sequential(design, inflation_factor, information_fractions)
    fixed = np.broadcast_to(
        np.asarray(
            required_events(a.hazard_ratio, alpha, a.extra["power"], sided, a.allocation_ratio, null_hr, method)
        ),
        (a.n,),
    )
    max_events = fixed * inflation
    per_look = max_events[:, None] * fractions
    model, final = subjects_and_timing(a, max_events)
    looks = np.empty_like(per_look)
    looks[:, -1] = final
    if fractions.size > 1:
        looks[:, :-1] = solve_increasing(model.expected_events, per_look[:, :-1], 0.0, final[:, None])
    subjects = model.expected_subjects(looks)
    stop = stopping_probabilities(design, fractions.size)
    nan = np.full(a.n, np.nan)

    def sq(x: Any) -> Any:
        return squeeze(np.asarray(x), a.shape)

    return SurvivalSampleSizeResult(
        method=method,
        alpha=float(alpha),
        power=sq(a.extra["power"]),
        sided=sided,
        allocation_ratio=a.allocation_ratio,
        null_hazard_ratio=null_hr,
        hazard_ratio=sq(a.hazard_ratio),
        control_hazard=sq(a.control_hazard if a.survival_starts.size > 1 else a.control_hazard[:, 0]),
        information_fractions=fractions,
        inflation_factor=inflation,
        events_fixed=sq(fixed),
        max_events=sq(max_events),
        events_per_look=sq(per_look),
        n_subjects=sq(model.n_subjects),
        accrual_duration=sq(model.accrual_end),
        follow_up=sq(final - model.accrual_end),
        study_duration=sq(final),
        look_times=sq(looks),
        subjects_per_look=sq(subjects),
        expected_study_duration=sq(nan if stop is None else looks @ stop),
        expected_subjects=sq(nan if stop is None else subjects @ stop),
        model=model,
    )
