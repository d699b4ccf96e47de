"""Group-sequential log-rank designs under non-proportional hazards, by the average hazard ratio (AHR)."""

from __future__ import annotations

from typing import Any

import numpy as np

from survtrial.design._nph_looks import look_plan, look_times
from survtrial.design.nph_assumptions import as_assumptions, design_assumptions  # noqa: F401 (doctests)
from survtrial.design.nph_design import NphGroupSequentialDesign, bound_spec, build, error_levels
from survtrial.design.nph_events import average_hazard_ratio, events_at, time_of_events

__all__ = ["ahr_design", "ahr_power"]


def _ahr_unit(a: Any, times: np.ndarray) -> dict[str, np.ndarray]:
    res = average_hazard_ratio(a, times)
    return {"n": res.n, "events": res.events, "ahr": res.ahr, "theta": res.theta, "info": res.info,
            "info0": res.info0}


def _timing(a: Any, plan: Any, study_duration: float | None) -> np.ndarray:
    q1, q0 = a.shares
    return look_times(
        plan,
        lambda d: time_of_events(a, d, "events"),
        lambda t: events_at(a, t) * q1 * q0,
        study_duration,
    )


def ahr_design(
    assumptions: Any,
    *,
    analysis_times: Any = None,
    information_fractions: Any = None,
    look_rule: str = "later",
    alpha: float = 0.025,
    power: float | None = None,
    beta: float | None = None,
    sided: int = 1,
    alpha_spending: Any = None,
    beta_spending: Any = None,
    efficacy_bounds: Any = None,
    futility_bounds: Any = None,
    binding_futility: bool = False,
    futility_under: str = "h1",
    spending_time: Any = None,
    info_scale: str = "h0_h1",
    convention: str = "survtrial",
) -> NphGroupSequentialDesign:
    """Sample size of a group-sequential log-rank design under non-proportional hazards (AHR method).

    The tables' enrolment rates are scaled (durations kept) until the design has the power;
    gsDesign2 ``gs_design_ahr`` analogue.

    Parameters
    ----------
    assumptions : DesignAssumptions
        Enrolment and failure tables (:func:`design_assumptions`); their rates give the shape.
    analysis_times : float or sequence of float, optional
        Calendar time of each look; with ``information_fractions`` a single value is the final
        look's time.
    information_fractions : sequence of float, optional
        Events at each look over events at the final look (H0 information fractions), ending at 1.
    look_rule : {"later", "earlier"}
        With several targets per look, the look happens when all are met (``"later"``, gsDesign2)
        or at the first (``"earlier"``).
    alpha : float, default 0.025
        Total type I error in (0, 0.5] (two-sided when ``sided=2``).
    power, beta : float, optional
        Target power (or type II error); default power 0.9.
    sided : {1, 2}
    alpha_spending, beta_spending : str, SpendingFunction or sequence, optional
        As in :func:`group_sequential` (default ``"OF"`` efficacy spending; no futility unless
        ``beta_spending`` or ``futility_bounds``).
    efficacy_bounds, futility_bounds : sequence of float, optional
        Fixed z bounds per look (NaN: from spending; ``inf`` / ``-inf``: none), gsDesign2 ``gs_b``.
    binding_futility : bool
        Efficacy bounds computed allowing for futility stops.
    futility_under : {"h1", "h0"}
        Beta spending under the alternative (default, gsDesign2 ``h1_spending = TRUE``) or under H0.
    spending_time : sequence of float, optional
        Spending times per look instead of the information fractions (gsDesign2 ``timing``).
    info_scale : {"h0_h1", "h0", "h1"}
        Variance model (see Notes).
    convention : {"survtrial", "gsdesign2"}
        ``"gsdesign2"`` reproduces gsDesign2 1.1.8's crossing probabilities for
        ``info_scale="h0_h1"`` (see Notes); the two agree for the other scales.

    Returns
    -------
    NphGroupSequentialDesign

    Notes
    -----
    At look k the log-rank (or Cox) statistic estimates theta_k = -log AHR(t_k), with information
    I1_k (``info``) under the alternative and I0_k (``info0`` = events r / (1 + r)^2) under H0
    (:func:`average_hazard_ratio`). With ``info_scale="h0_h1"`` (default) the z statistic is
    standardised by its own variance: under H0 it is canonical on I0 (the efficacy bounds spend
    alpha there, at the H0 information fractions), under the alternative canonical on I1 with mean
    theta_k sqrt(I1_k) (futility bounds spend beta there, at its information fractions). ``"h0"``
    uses I0 throughout (local alternatives, as Schoenfeld: with one hazard ratio the events equal
    :func:`survival_sample_size`'s), ``"h1"`` uses I1 throughout. The recursion is Jennison &
    Turnbull's (2000, ch. 19) on the score process with a non-constant drift; the last futility
    bound equals the last efficacy bound and the enrolment scale is solved so that the power is
    1 - beta. Look times do not depend on that scale. gsDesign2 1.1.8 (default ``h0_h1_info``)
    also multiplies the first look's bounds by sqrt(I1 / I0) under the alternative, so its numbers
    differ slightly (0.20699 against 0.20579 for the power of its ``gs_power_ahr()`` example 1,
    523.17 against 523.69 subjects for its ``gs_design_ahr()`` example 3); ``convention="gsdesign2"``
    reproduces them (and, as gsDesign2 does, spends the last look's futility bound instead of
    setting it to the efficacy bound). Simulations of such designs (tests/design) agree with the
    default model within their Monte-Carlo error.

    References
    ----------
    Mukhopadhyay P, Huang W, Metcalfe P, Öhrn F, Jenner M, Stone A (2020). Statistical and
    practical considerations in designing of immuno-oncology trials. J Biopharm Stat
    30:1130-1146. Mukhopadhyay P, Ye J, Anderson KM, et al. (2022). JAMA Oncol 8:1294-1300.
    Jennison C, Turnbull BW (2000). Group Sequential Methods with Applications to Clinical
    Trials. Chapman & Hall/CRC. Anderson KM, Zhao Y, et al. gsDesign2 (R package).

    Examples
    --------
    gsDesign2's default tables, a single look at month 36, power 0.9:

    >>> a = design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
    ...                        {"duration": [3, 100], "fail_rate": np.log(2) / np.array([9, 18]),
    ...                         "hr": [0.9, 0.6], "dropout_rate": 0.001})
    >>> d = ahr_design(a, analysis_times=36, power=0.9)
    >>> round(d.n_subjects, 1), round(d.max_events, 1)
    (481.1, 295.1)
    """
    a = as_assumptions(assumptions)
    alpha, beta, sided = error_levels(alpha, power, beta, sided)
    plan = look_plan(analysis_times, None, information_fractions, look_rule)
    times = _timing(a, plan, None)
    unit = _ahr_unit(a, times)
    return build(
        method="ahr", statistic="log-rank (AHR)", assumptions=a, looks=plan, time=times, unit=unit,
        spec_of=lambda f0, f1: bound_spec(plan.k, alpha, beta, sided, alpha_spending, beta_spending,
                                          efficacy_bounds, futility_bounds, binding_futility, futility_under,
                                          f0, f1, spending_time),
        alpha=alpha, beta=beta, sided=sided, info_scale=info_scale, solve_size=True, convention=convention,
    )


def ahr_power(
    assumptions: Any,
    *,
    events: Any = None,
    analysis_times: Any = None,
    information_fractions: Any = None,
    look_rule: str = "later",
    study_duration: float | None = None,
    alpha: float = 0.025,
    beta: float | None = None,
    sided: int = 1,
    alpha_spending: Any = None,
    beta_spending: Any = None,
    efficacy_bounds: Any = None,
    futility_bounds: Any = None,
    binding_futility: bool = False,
    futility_under: str = "h1",
    spending_time: Any = None,
    info_scale: str = "h0_h1",
    convention: str = "survtrial",
) -> NphGroupSequentialDesign:
    """Power of a group-sequential log-rank design with the tables' sample size (AHR method).

    gsDesign2 ``gs_power_ahr`` analogue: looks at ``events`` and/or ``analysis_times`` (the later
    of the two by default); bounds as in :func:`ahr_design`. ``beta`` is the total beta spent by
    ``beta_spending`` (default 0.1). ``study_duration`` (optional) is the latest calendar time a
    look may happen: a look expected later raises InputError saying when it would be.

    Returns
    -------
    NphGroupSequentialDesign
        ``power`` is the probability of crossing an efficacy bound under the tables' hazard ratios.

    Notes
    -----
    See :func:`ahr_design`. A look by events happens when the expected events reach the target;
    a target above the events expected with unlimited follow-up raises InputError.

    Examples
    --------
    >>> a = design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
    ...                        {"duration": [3, 100], "fail_rate": np.log(2) / np.array([9, 18]),
    ...                         "hr": [0.9, 0.6], "dropout_rate": 0.001})
    >>> p = ahr_power(a, events=[30, 40, 50], beta_spending="OF", beta=0.1)
    >>> [round(float(x), 4) for x in p.upper]
    [2.6686, 2.2887, 2.0307]
    """
    a = as_assumptions(assumptions)
    alpha, beta, sided = error_levels(alpha, None, beta, sided)
    plan = look_plan(analysis_times, events, information_fractions, look_rule)
    times = _timing(a, plan, study_duration)
    unit = _ahr_unit(a, times)
    return build(
        method="ahr", statistic="log-rank (AHR)", assumptions=a, looks=plan, time=times, unit=unit,
        spec_of=lambda f0, f1: bound_spec(plan.k, alpha, beta, sided, alpha_spending, beta_spending,
                                          efficacy_bounds, futility_bounds, binding_futility, futility_under,
                                          f0, f1, spending_time),
        alpha=alpha, beta=beta, sided=sided, info_scale=info_scale, solve_size=False, convention=convention,
    )
