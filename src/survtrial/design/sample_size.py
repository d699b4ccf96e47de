"""Events, subjects and study duration for two-arm survival trials (superiority and non-inferiority)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survtrial.design._assumptions import Assumptions, assumptions, per_case
from survtrial.design.accrual import StudyModel, solve_increasing
from survtrial.design.events import (
    EVENT_METHODS,
    _events,
    _method,
    _standardised_effect,
    _validated,
    events_power,
)
from survtrial.errors import InputError, StatisticWarning

__all__ = ["SurvivalSampleSizeResult", "expected_events", "survival_power", "survival_sample_size"]


def _squeeze(a: np.ndarray, shape: tuple[int, ...]) -> Any:
    """Per-case array (n, ...) back to the user's shape: scalars for scalar input."""
    if shape == ():
        a = a[0]
        return float(a) if np.ndim(a) == 0 else a
    return a


def _null_hazard_ratio(noninferiority_margin: Any, hazard_ratio: np.ndarray) -> float:
    if noninferiority_margin is None:
        if np.any(hazard_ratio == 1):
            raise InputError("hazard_ratio=1: no difference to detect; for non-inferiority give noninferiority_margin")
        return 1.0
    margin = float(per_case("noninferiority_margin", noninferiority_margin))
    if margin <= 1:
        raise InputError(
            f"noninferiority_margin={noninferiority_margin!r} must be > 1: the largest hazard ratio "
            "(experimental over control) still called 'not worse'; see noninferiority_margin() to "
            "convert a landmark-survival difference"
        )
    if np.any(hazard_ratio >= margin):
        raise InputError(
            f"hazard_ratio must be below noninferiority_margin={margin:g} (got up to {hazard_ratio.max():g}): "
            "the planning effect must lie inside the non-inferiority region"
        )
    return margin


def _sequential(design: Any, inflation_factor: Any, information_fractions: Any) -> tuple[np.ndarray, float]:
    """Information fractions and inflation factor, from a design object or given directly."""
    if design is not None:
        if inflation_factor is not None or information_fractions is not None:
            raise InputError("give design, or inflation_factor with information_fractions, not both")
        try:
            inflation_factor = design.inflation_factor
            information_fractions = design.information_fractions
        except AttributeError:
            raise InputError(
                f"design ({type(design).__name__}) needs .inflation_factor and .information_fractions; "
                "build it with survtrial.design.group_sequential"
            ) from None
    if information_fractions is None:
        if inflation_factor not in (None, 1, 1.0):
            raise InputError("inflation_factor needs information_fractions (one per look, ending at 1)")
        return np.ones(1), 1.0
    fr = np.atleast_1d(per_case("information_fractions", information_fractions))
    if np.any(fr <= 0) or np.any(np.diff(fr) <= 0) or abs(fr[-1] - 1) > 1e-12:
        raise InputError(
            f"information_fractions={list(fr)} must increase strictly within (0, 1] and end at 1"
        )
    inflation = 1.0 if inflation_factor is None else float(per_case("inflation_factor", inflation_factor))
    if inflation < 1:
        raise InputError(f"inflation_factor={inflation_factor!r} must be >= 1 (maximum over fixed-design events)")
    return fr, inflation


def _error_rates(design: Any, alpha: Any, power: Any, sided: Any) -> tuple[Any, Any, int]:
    """alpha, power and sidedness; a design object supplies those not given (and must agree with those given)."""
    out = {"alpha": alpha, "power": power, "sided": sided}
    if design is not None:
        beta = getattr(design, "beta", None)
        from_design = {
            "alpha": getattr(design, "alpha", None),
            "power": getattr(design, "power", None) if beta is None else 1 - beta,
            "sided": getattr(design, "sided", None),
        }
        for key, value in from_design.items():
            if value is None:
                continue
            if out[key] is None:
                out[key] = value
            elif not np.allclose(out[key], value):
                raise InputError(f"{key}={out[key]!r} conflicts with the design's {key}={value!r}; drop one")
    defaults = {"alpha": 0.025, "power": 0.8, "sided": 1}
    for key, value in defaults.items():
        if out[key] is None:
            out[key] = value
    return out["alpha"], out["power"], int(out["sided"])


def _stopping_probabilities(design: Any, k: int) -> np.ndarray | None:
    """Probability of stopping at each look under H1 (rejection or futility), if the design has them."""
    if k == 1:
        return np.ones(1)
    up, low = getattr(design, "upper_h1", None), getattr(design, "lower_h1", None)
    if up is None or low is None:
        return None
    stop = np.nan_to_num(np.asarray(up, dtype=float)) + np.nan_to_num(np.asarray(low, dtype=float))
    stop[-1] = 1.0 - stop[:-1].sum()
    return stop


@dataclass(frozen=True)
class SurvivalSampleSizeResult:
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


def _unit_rates(a: Assumptions) -> np.ndarray:
    """Relative accrual weights scaled so that a closed accrual period recruits one subject."""
    lengths = np.diff(a.accrual_breaks)
    return np.broadcast_to(a.accrual_intensity / float(a.accrual_intensity @ lengths), (a.n, lengths.size))


def _subjects_and_timing(a: Assumptions, max_events: np.ndarray) -> tuple[StudyModel, np.ndarray]:
    """Study model (accrual scaled to the trial) and calendar time of the final analysis."""
    n = a.n
    if not a.absolute_rates and a.follow_up is not None:
        # subjects from the event probability at the end of the study (rpact nFixed = events / omega)
        end = np.full(n, a.accrual_breaks[-1])
        unit = a.model(_unit_rates(a).copy(), end)
        final = end + a.follow_up
        prob = unit.expected_events(final[:, None])[:, 0]
        return a.model(_unit_rates(a) * (max_events / prob)[:, None], end), final
    if a.absolute_rates and a.follow_up is not None:
        # open-ended accrual at given rates: accrue until the events arrive follow_up after its end
        rates = np.broadcast_to(a.accrual_intensity, (n, a.accrual_intensity.size)).copy()

        def events_at_end(end: np.ndarray) -> np.ndarray:
            return a.model(rates, end).expected_events((end + a.follow_up)[:, None])[:, 0]

        upper = np.ones(n)
        for _ in range(200):
            short = events_at_end(upper) < max_events
            if not short.any():
                break
            upper = np.where(short, 2 * upper, upper)
        end = solve_increasing(events_at_end, max_events, 0.0, upper)
        return a.model(rates, end), end + a.follow_up
    # the number of subjects is fixed: find when the events arrive
    model, end = _fixed_subjects_model(a)
    subjects = model.n_subjects
    if np.any(subjects <= max_events):
        i = int(np.argmax(max_events - subjects))
        raise InputError(
            f"{subjects[i]:.1f} subjects cannot give {max_events[i]:.1f} events; increase n_subjects or accrual"
        )
    final = model.time_of_events(max_events[:, None])[:, 0]
    if np.any(final < end - 1e-9):
        warnings.warn(
            "the required events are expected before the end of accrual (negative follow-up); "
            "fewer subjects or a shorter accrual would suffice",
            StatisticWarning,
            stacklevel=3,
        )
    return model, final


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
    alpha, power, sided = _error_rates(design, alpha, power, sided)
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
    method = _method(method)
    null_hr = _null_hazard_ratio(noninferiority_margin, a.hazard_ratio)
    fractions, inflation = _sequential(design, inflation_factor, information_fractions)
    fixed = np.broadcast_to(
        np.asarray(_events(a.hazard_ratio, alpha, a.extra["power"], sided, a.allocation_ratio, null_hr, method)),
        (a.n,),
    )
    max_events = fixed * inflation
    per_look = max_events[:, None] * fractions
    model, final = _subjects_and_timing(a, max_events)
    looks = np.empty_like(per_look)
    looks[:, -1] = final
    if fractions.size > 1:
        looks[:, :-1] = solve_increasing(model.expected_events, per_look[:, :-1], 0.0, final[:, None])
    subjects = model.expected_subjects(looks)
    stop = _stopping_probabilities(design, fractions.size)
    nan = np.full(a.n, np.nan)
    sq = lambda x: _squeeze(np.asarray(x), a.shape)
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


def expected_events(t: Any, **assumptions_: Any) -> Any:
    """Expected number of events by calendar time ``t`` for given accrual and survival assumptions.

    Parameters
    ----------
    t : float or array_like
        Calendar times from the start of accrual.
    **assumptions_
        Survival, accrual and dropout arguments as in :func:`survival_sample_size`
        (``hazard_ratio`` or an experimental target, a control target, ``accrual_time``,
        ``accrual_intensity`` with ``n_subjects``, or ``accrual_rate``; ``dropout_rate``...).
        No follow-up is needed: the number of subjects must be fixed.

    Returns
    -------
    float or numpy.ndarray
        Expected events (both arms) at each ``t``; for a grid of assumptions an array of shape
        (cases, len(t)).

    Notes
    -----
    Closed-form integral of the event probability over piecewise-constant accrual,
    piecewise-exponential survival and exponential dropout (see :class:`StudyModel`), the quantity
    rpact's ``getEventProbabilities`` integrates numerically.

    Examples
    --------
    >>> round(expected_events(36, hazard_ratio=0.7, control_hazard=0.05, accrual_time=24,
    ...                       n_subjects=400), 2)
    247.18
    """
    a = assumptions(**assumptions_)
    if a.follow_up is not None:
        raise InputError("expected_events: give the number of subjects (n_subjects or accrual_rate), not follow_up")
    model, _ = _fixed_subjects_model(a)
    out = model.expected_events(np.atleast_1d(np.asarray(t, dtype=float)))
    if a.shape == ():
        out = out[0]
        if np.ndim(t) == 0:
            return float(out[0])
    return out


def survival_power(
    hazard_ratio: Any = None,
    *,
    events: Any = None,
    follow_up: Any = None,
    noninferiority_margin: Any = None,
    alpha: Any = None,
    sided: int | None = None,
    allocation_ratio: float = 1.0,
    method: str = "schoenfeld",
    design: Any = None,
    **assumptions_: Any,
) -> Any:
    """Power of a log-rank test for a given (maximum) number of events or of subjects.

    Parameters
    ----------
    hazard_ratio : float or 1-d array, optional
        Planning hazard ratio (or give an experimental target in ``assumptions_``).
    events : float or 1-d array, optional
        Events at the final analysis. Without it, the events expected at
        ``accrual end + follow_up`` for the subjects given by ``n_subjects`` (or ``accrual_rate``).
    follow_up : float or 1-d array, optional
        Time from the end of accrual to the final analysis (needed when ``events`` is not given).
    noninferiority_margin, alpha, sided, allocation_ratio, method
        As in :func:`survival_sample_size`.
    design : GroupSequentialDesign, optional
        Supplies alpha and sidedness. With more than one look the power is the probability of
        crossing an efficacy bound (design ``.probabilities(drift)``), looks at
        ``events x information_fractions``.
    **assumptions_
        Survival, accrual and dropout arguments as in :func:`survival_sample_size`.

    Returns
    -------
    float or numpy.ndarray
        Power under the planning hazard ratio.

    Notes
    -----
    Single analysis: power = Phi(theta sqrt(d) - z_{1-alpha/sided}) (plus the opposite tail when
    two-sided), as rpact ``getPowerSurvival`` with ``kMax = 1`` (see :func:`events_power`).
    Group-sequential: drift theta sqrt(d_max) with theta the standardised effect of ``method``,
    as rpact ``getPowerSurvival(design, maxNumberOfEvents = d_max)``.

    Examples
    --------
    >>> round(survival_power(0.7, events=247), 4)
    0.8003
    """
    alpha, _, sided = _error_rates(design, alpha, None, sided)
    if events is None:
        if follow_up is None:
            raise InputError("give events, or n_subjects (or accrual_rate) with follow_up")
        a = assumptions(hazard_ratio=hazard_ratio, allocation_ratio=allocation_ratio,
                        extra={"follow_up": follow_up}, **assumptions_)
        fu = a.extra["follow_up"]
        if np.any(fu < 0):
            raise InputError(f"follow_up={follow_up!r} must be >= 0")
        model, end = _fixed_subjects_model(a)
        d = model.expected_events((end + fu)[:, None])[:, 0]
        hr, shape = a.hazard_ratio, a.shape
    else:
        a = assumptions(hazard_ratio=hazard_ratio, allocation_ratio=allocation_ratio, follow_up=0.0,
                        extra={"events": events}, **_targets_only(assumptions_))
        hr, d, shape = a.hazard_ratio, a.extra["events"], a.shape
    null_hr = _null_hazard_ratio(noninferiority_margin, hr)
    fractions, _ = _sequential(design, None, None) if design is not None else (np.ones(1), 1.0)
    if fractions.size == 1:
        p = np.asarray(events_power(d, hr, alpha=alpha, sided=sided, allocation_ratio=allocation_ratio,
                                    null_hazard_ratio=null_hr, method=method))
    else:
        _validated(hr, alpha, sided, allocation_ratio, null_hr, _method(method))
        drift = _standardised_effect(hr, allocation_ratio, null_hr, _method(method)) * np.sqrt(d)
        p = np.array([design.probabilities(x).total_upper for x in drift])
    return _squeeze(np.atleast_1d(p), shape)


def _targets_only(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Survival-target arguments only (accrual and dropout do not matter when events are given)."""
    keep = {
        "control_hazard", "control_median", "control_survival", "experimental_hazard",
        "experimental_median", "experimental_survival", "landmark_time", "piecewise_times",
    }
    unknown = set(kwargs) - keep - {"accrual_time", "accrual_intensity", "accrual_rate", "n_subjects",
                                    "dropout_rate", "dropout_time"}
    if unknown:
        raise InputError(f"unexpected argument(s) {sorted(unknown)}")
    out = {k: v for k, v in kwargs.items() if k in keep}
    if not any(k.startswith("control_") for k in out):
        out["control_hazard"] = 1.0  # the hazard ratio alone determines power given events
    return out


def _fixed_subjects_model(a: Assumptions) -> tuple[StudyModel, np.ndarray]:
    """Study model when the number of subjects is fixed (n_subjects or absolute closed accrual)."""
    n = a.n
    if a.absolute_rates:
        rates = np.broadcast_to(a.accrual_intensity, (n, a.accrual_intensity.size)).copy()
        if not a.open_ended:
            end = np.full(n, a.accrual_breaks[-1])
            return a.model(rates, end), end
        if a.n_subjects is None:
            raise InputError("open-ended accrual_rate needs n_subjects (or close accrual_time)")
        unbounded = a.model(rates, np.full(n, np.inf))
        upper = np.maximum(a.accrual_breaks[-2], 1.0) + a.n_subjects / max(a.accrual_intensity[-1], 1e-300)
        end = solve_increasing(lambda t: unbounded.expected_subjects(t[:, None])[:, 0], a.n_subjects, 0.0, upper)
        return a.model(rates, end), end
    if a.n_subjects is None:
        raise InputError("give n_subjects (with relative accrual_intensity) or accrual_rate")
    end = np.full(n, a.accrual_breaks[-1])
    return a.model(_unit_rates(a) * a.n_subjects[:, None], end), end
