"""Group-sequential weighted log-rank designs (Fleming-Harrington, Magirr-Burman) under non-proportional hazards."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from survtrial.design import _wlr_moments as wm
from survtrial.design._nph_looks import look_plan, look_times
from survtrial.design.nph_assumptions import as_assumptions, design_assumptions  # noqa: F401 (doctests)
from survtrial.design.nph_design import NphGroupSequentialDesign, bound_spec, build, error_levels
from survtrial.design.nph_events import _times, average_hazard_ratio, time_of_events
from survtrial.design.wlr_weights import WlrWeight, wlr_weight

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["weighted_logrank_design", "weighted_logrank_information", "weighted_logrank_power"]


def _unit(a: Any, times: np.ndarray, w: WlrWeight) -> dict[str, np.ndarray]:
    mo = wm.moments(a, times, [w])
    res = average_hazard_ratio(a, times)
    v1, v0 = mo["cov1"][:, 0, 0], mo["cov0"][:, 0, 0]
    return {"n": res.n, "events": res.events, "ahr": res.ahr, "theta": -mo["mean"][:, 0] / v1, "info": v1,
            "info0": v0, "mean_score": mo["mean"][:, 0], "weighted_ahr": mo["wahr"][:, 0]}


def weighted_logrank_information(assumptions: Any, times: Any, weight: Any = "logrank") -> pd.DataFrame:
    """Mean and variance of a weighted log-rank score at calendar times (gsDesign2 ``gs_info_wlr`` analogue).

    Parameters
    ----------
    assumptions : DesignAssumptions
    times : float or sequence of float
        Calendar times from the start of enrolment.
    weight : str or WlrWeight
        ``"logrank"``, ``"fh(rho, gamma)"``, ``"mb(t*=..., w_max=...)"``.

    Returns
    -------
    pandas.DataFrame
        One row per time: ``time``, ``n``, ``events``, ``ahr`` (event-weighted, as
        :func:`average_hazard_ratio`), ``weighted_ahr``, ``mean_score`` (E[U], < 0 when the
        experimental arm has fewer events than expected), ``info`` (variance of U under the
        alternative), ``info0`` (under H0), ``theta`` = -E[U] / info.

    Notes
    -----
    U = sum over event times of w(t) (O_E - E_E), the weighted log-rank score with FH weights
    S(t-)^rho (1 - S(t-))^gamma of the pooled survival (or Magirr-Burman's min(w_max, 1 / S(min(t, t*))));
    its mean and variance follow Yung & Liu (2020, asymptotic mean), computed from the tables by
    quadrature (see ``survtrial.design._wlr_moments``). Under H0 both arms take the
    allocation-weighted average hazard of each period (gsDesign2's null). ``weighted_ahr`` is
    exp(int w log HR dV / int w dV), dV the variance density. gsDesign2 1.1.8's ``gs_info_wlr``
    divides E[U] by the planned sample size but the variance by the subjects enrolled so far, so
    its ``theta`` at looks before the end of enrolment is smaller than this one by that ratio
    (its ``delta``, ``sigma2``, ``info`` and ``info0`` agree).

    References
    ----------
    Yung G, Liu Y (2020). Sample size and power for the weighted log-rank test and Kaplan-Meier
    based tests with allowance for nonproportional hazards. Biometrics 76:939-950. Magirr D,
    Burman C-F (2019). Modestly weighted logrank tests. Stat Med 38:3782-3790. Fleming TR,
    Harrington DP (1991). Counting Processes and Survival Analysis. Wiley.

    Examples
    --------
    >>> a = design_assumptions({"duration": [12], "rate": [500 / 12]},
    ...                        {"duration": [4, 100], "fail_rate": np.log(2) / 15, "hr": [1, 0.6],
    ...                         "dropout_rate": 0.001})
    >>> weighted_logrank_information(a, [24, 30])[["time", "info", "info0"]].round(3)
       time    info   info0
    0  24.0  61.352  62.087
    1  30.0  72.923  74.255
    """
    a = as_assumptions(assumptions)
    t = _times(times)
    u = _unit(a, t, wlr_weight(weight))
    import pandas as pd
    return pd.DataFrame({"time": t, "n": u["n"], "events": u["events"], "ahr": u["ahr"],
                         "weighted_ahr": u["weighted_ahr"], "mean_score": u["mean_score"], "info": u["info"],
                         "info0": u["info0"], "theta": u["theta"]})


def _timing(a: Any, plan: Any, w: WlrWeight, study_duration: float | None) -> np.ndarray:
    return look_times(
        plan,
        lambda d: time_of_events(a, d, "events"),
        lambda t: wm.moments(a, np.atleast_1d(t), [w])["cov0"][:, 0, 0],
        study_duration,
    )


def _design(a: Any, w: WlrWeight, plan: Any, times: np.ndarray, alpha: float, beta: float, sided: int,
            bounds: dict[str, Any], info_scale: str, solve_size: bool, convention: str) -> NphGroupSequentialDesign:
    unit = _unit(a, times, w)
    return build(
        method="wlr", statistic=w.label, assumptions=a, looks=plan, time=times, unit=unit,
        spec_of=lambda f0, f1: bound_spec(plan.k, alpha, beta, sided, bounds["alpha_spending"],
                                          bounds["beta_spending"], bounds["efficacy_bounds"],
                                          bounds["futility_bounds"], bounds["binding_futility"],
                                          bounds["futility_under"], f0, f1, bounds["spending_time"]),
        alpha=alpha, beta=beta, sided=sided, info_scale=info_scale, solve_size=solve_size, convention=convention,
        details={"weight": w, "weighted_ahr": unit["weighted_ahr"], "mean_score": unit["mean_score"]},
    )


def weighted_logrank_design(
    assumptions: Any,
    weight: Any = "fh(0, 0.5)",
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
    """Sample size of a group-sequential weighted log-rank design (gsDesign2 ``gs_design_wlr`` analogue).

    Parameters
    ----------
    assumptions : DesignAssumptions
        Tables whose enrolment rates give the shape; they are scaled until the power is reached.
    weight : str or WlrWeight, default ``"fh(0, 0.5)"``
        ``"logrank"``, ``"fh(rho, gamma)"``, ``"mb(t*=..., w_max=...)"`` (see :func:`wlr_weight`).
    analysis_times, information_fractions, look_rule
        As in :func:`ahr_design`; information fractions are of the weighted score's variance under H0
        (gsDesign2's ``info_frac``).
    alpha, power, beta, sided, alpha_spending, beta_spending, efficacy_bounds, futility_bounds,
    binding_futility, futility_under, spending_time, info_scale, convention
        As in :func:`ahr_design`.

    Returns
    -------
    NphGroupSequentialDesign
        ``theta`` = -E[U] / V (V the variance under the alternative), ``info`` = V, ``info0`` the
        variance under H0; ``details["weighted_ahr"]``.

    Notes
    -----
    The weighted score's mean and variances come from :func:`weighted_logrank_information`; with
    them the design is the non-constant-effect group-sequential model of :func:`ahr_design`: the
    weighted z, standardised by its observed variance, is canonical on I0 = ``info0`` under H0
    and on I1 = ``info`` under the alternative with mean theta_k sqrt(I1_k) = -E[U] / sqrt(V).
    The enrolment scale is solved so that the power is 1 - beta; look times do not depend on it.

    References
    ----------
    Yung G, Liu Y (2020). Biometrics 76:939-950. Magirr D, Burman C-F (2019). Stat Med
    38:3782-3790. Anderson KM, Zhao Y, et al. gsDesign2 (R package).

    Examples
    --------
    >>> a = design_assumptions({"duration": [12], "rate": [1]},
    ...                        {"duration": [4, 100], "fail_rate": np.log(2) / 15, "hr": [1, 0.6],
    ...                         "dropout_rate": 0.001})
    >>> d = weighted_logrank_design(a, "mb(w_max=2)", analysis_times=[24, 36], power=0.8,
    ...                             beta_spending="OF", beta=0.2)
    >>> round(d.n_subjects, 1)
    310.4
    """
    a = as_assumptions(assumptions)
    alpha, beta, sided = error_levels(alpha, power, beta, sided)
    w = wlr_weight(weight)
    plan = look_plan(analysis_times, None, information_fractions, look_rule)
    times = _timing(a, plan, w, None)
    bounds = {"alpha_spending": alpha_spending, "beta_spending": beta_spending, "efficacy_bounds": efficacy_bounds,
              "futility_bounds": futility_bounds, "binding_futility": binding_futility,
              "futility_under": futility_under, "spending_time": spending_time}
    return _design(a, w, plan, times, alpha, beta, sided, bounds, info_scale, True, convention)


def weighted_logrank_power(
    assumptions: Any,
    weight: Any = "fh(0, 0.5)",
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
    """Power of a group-sequential weighted log-rank design with the tables' sample size (``gs_power_wlr``).

    Looks at ``events`` and/or ``analysis_times``; ``beta`` is the total spent by ``beta_spending``
    (default 0.1); other parameters as in :func:`weighted_logrank_design`.

    Returns
    -------
    NphGroupSequentialDesign

    Examples
    --------
    >>> a = design_assumptions({"duration": [12], "rate": [500 / 12]},
    ...                        {"duration": [4, 100], "fail_rate": np.log(2) / 15, "hr": [1, 0.6],
    ...                         "dropout_rate": 0.001})
    >>> p = weighted_logrank_power(a, "logrank", analysis_times=[10, 24, 30], beta_spending="OF", beta=0.2)
    >>> [round(float(x), 3) for x in p.upper]
    [4.223, 2.191, 2.035]
    """
    a = as_assumptions(assumptions)
    alpha, beta, sided = error_levels(alpha, None, beta, sided)
    w = wlr_weight(weight)
    plan = look_plan(analysis_times, events, information_fractions, look_rule)
    times = _timing(a, plan, w, study_duration)
    bounds = {"alpha_spending": alpha_spending, "beta_spending": beta_spending, "efficacy_bounds": efficacy_bounds,
              "futility_bounds": futility_bounds, "binding_futility": binding_futility,
              "futility_under": futility_under, "spending_time": spending_time}
    return _design(a, w, plan, times, alpha, beta, sided, bounds, info_scale, False, convention)
