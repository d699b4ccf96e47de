"""Group-sequential MaxCombo designs: the maximum of several weighted log-rank z's, bounds, power, sample size."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import ndtri

from survtrial.design import _combo
from survtrial.design import _validate as val
from survtrial.design import _wlr_moments as wm
from survtrial.design._mvn import POINTS, REPLICATES, Genz
from survtrial.design._nph_looks import LookPlan, look_plan, look_times
from survtrial.design.maxcombo_result import MaxComboDesign
from survtrial.design.nph_assumptions import DesignAssumptions, as_assumptions, design_assumptions  # noqa: F401
from survtrial.design.nph_design import error_levels
from survtrial.design.nph_events import average_hazard_ratio, events_at, time_of_events
from survtrial.design.wlr_weights import WlrWeight, wlr_weight
from survtrial.errors import InputError

__all__ = ["DEFAULT_TESTS", "MaxComboDesign", "maxcombo_design", "maxcombo_power"]

#: FH(0,0), FH(0,0.5), FH(0.5,0), FH(0.5,0.5): the combination of Lin et al. (2020) and Roychoudhury et al. (2021).
DEFAULT_TESTS = ("logrank", "fh(0, 0.5)", "fh(0.5, 0)", "fh(0.5, 0.5)")


def _tests(tests: Any) -> tuple[WlrWeight, ...]:
    if isinstance(tests, (str, WlrWeight)):
        tests = [tests]
    out = tuple(wlr_weight(t) for t in tests)
    if len(out) < 2:
        got = ", ".join(t.label for t in out)
        raise InputError(f"tests: MaxCombo needs at least two tests, got {len(out)} ({got}); "
                         "for one test use weighted_logrank_design")
    labels = [t.label for t in out]
    dup = [x for i, x in enumerate(labels) if x in labels[:i]]
    if dup:
        raise InputError(f"tests: {dup[0]} is given twice; each test once")
    return out


def _by_look(tests_by_look: Any, k: int, m: int) -> tuple[tuple[int, ...], ...]:
    if tests_by_look is None:
        return tuple(tuple(range(m)) for _ in range(k))
    rows = list(tests_by_look)
    if len(rows) != k:
        raise InputError(f"tests_by_look: one list of test indices per look ({k}), got {len(rows)}")
    out = []
    for j, row in enumerate(rows):
        idx = tuple(sorted({int(i) for i in row}))
        if not idx or idx[0] < 0 or idx[-1] >= m:
            raise InputError(f"tests_by_look: look {j + 1} has {list(row)!r}; give indices of tests 0..{m - 1}")
        out.append(idx)
    if len({i for row in out for i in row}) < 2:
        raise InputError("tests_by_look: MaxCombo needs at least two different tests over the looks")
    return tuple(out)


def _layout(by_look: tuple[tuple[int, ...], ...]) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    blocks, variables = [], []
    for k, row in enumerate(by_look):
        blocks.append(np.arange(len(variables), len(variables) + len(row)))
        variables += [(k, j) for j in row]
    return blocks, variables


def _correlation(cov: np.ndarray, variables: list[tuple[int, int]]) -> np.ndarray:
    d = len(variables)
    out = np.empty((d, d))
    for p, (look_p, j) in enumerate(variables):
        for q, (look_q, i) in enumerate(variables):
            out[p, q] = cov[min(look_p, look_q), j, i] / math.sqrt(cov[look_p, j, j] * cov[look_q, i, i])
    return out


def _build(a: DesignAssumptions, tests: tuple[WlrWeight, ...], plan: LookPlan, times: np.ndarray,
           tests_by_look: Any, alpha: float, beta: float, alpha_spending: Any, beta_spending: Any,
           efficacy_bounds: Any, futility_bounds: Any, binding: bool, spending_time: Any, info_scale: str,
           solve_size: bool, convention: str) -> MaxComboDesign:
    if info_scale not in ("h0_h1", "h1"):
        raise InputError(f"info_scale={info_scale!r}: MaxCombo uses 'h0_h1' (default: H0 correlations from the "
                         "variances under H0) or 'h1' (the alternative's, as gsDesign2)")
    if convention not in ("survtrial", "gsdesign2"):
        raise InputError(f"convention={convention!r}: use 'survtrial' (default) or 'gsdesign2'")
    k, m = times.size, len(tests)
    by_look = _by_look(tests_by_look, k, m)
    mo = wm.moments(a, times, list(tests))
    v1, v0 = mo["cov1"], mo["cov0"]
    d1 = np.einsum("kii->ki", v1)
    mean_unit = -mo["mean"] / np.sqrt(d1)
    blocks, variables = _layout(by_look)
    corr1 = _correlation(v1, variables)
    corr0 = corr1 if info_scale == "h1" else _correlation(v0, variables)
    mu_unit = np.array([mean_unit[kk, j] for kk, j in variables])
    # spending time: the smallest H0 information fraction among the tests (gsDesign2's rule)
    d0 = np.einsum("kii->ki", v0)
    frac = d0 / d0[-1]
    s_time = frac.min(axis=1)
    if spending_time is not None:
        st = np.atleast_1d(np.asarray(spending_time, dtype=float)).ravel()
        if st.size != k or np.any(st <= 0) or np.any(np.diff(st) <= 0) or abs(st[-1] - 1) > 1e-12:
            raise InputError(f"spending_time={st.tolist()}: one fraction per look, increasing in (0, 1], ending at 1")
        s_time = st
    eff = None if efficacy_bounds is None else _fixed(efficacy_bounds, k, "efficacy_bounds")
    fut = None if futility_bounds is None else _fixed(futility_bounds, k, "futility_bounds")
    if beta_spending is not None and fut is not None:
        raise InputError("give either beta_spending or futility_bounds, not both")
    need_alpha = eff is None or np.any(np.isnan(eff))
    a_sf = val.spending(alpha_spending if alpha_spending is not None else "OF", s_time, alpha,
                        "alpha_spending") if need_alpha else None
    b_sf = None if beta_spending is None else val.spending(beta_spending, s_time, beta, "beta_spending")
    cum_a = a_sf(s_time, alpha) if a_sf is not None else None
    cum_b = b_sf(s_time, beta) if b_sf is not None else None
    fine0 = Genz(np.zeros(mu_unit.size), corr0)
    fine1 = Genz(mu_unit, corr1)
    last_equal = convention != "gsdesign2"
    warm: dict[str, np.ndarray] = {"upper": np.full(k, np.nan), "lower": np.full(k, np.nan)}

    def walk(g0: Genz, g1: Genz | None, upper_given: np.ndarray | None, width: float
             ) -> tuple[np.ndarray, np.ndarray, float]:
        """Bounds look by look (efficacy under H0 unless given, futility under ``g1``) and, with ``g1``,
        the probability of not rejecting H0 (futility stops plus failing at the last look)."""
        up = np.full(k, np.inf) if upper_given is None else upper_given.copy()
        low = np.full(k, -np.inf)
        t0 = _combo.start(g0) if binding else None
        t1 = _combo.start(g1) if g1 is not None else None
        spent_a = spent_b = 0.0
        alpha_reps = np.zeros((k, REPLICATES))
        for j in range(k):
            if upper_given is None:
                if eff is not None and not np.isnan(eff[j]):
                    up[j] = eff[j]
                elif cum_a is not None:
                    up[j] = _combo.efficacy_bound(g0, blocks, up, j, cum_a[j] - spent_a, t0, warm["upper"][j],
                                                  2 * width)
                if np.isfinite(up[j]):
                    if t0 is None:
                        alpha_reps[j] = _combo.first_crossing(g0, blocks, up, j, up[j])
                    else:
                        alpha_reps[j] = t0.replicate_means() - t0.below(g0, blocks[j], up[j])[0]
                    spent_a += float(alpha_reps[j].mean())
            if t1 is None:
                continue
            if fut is not None and not np.isnan(fut[j]):
                low[j] = min(fut[j], up[j])
            elif cum_b is not None:
                if j == k - 1 and last_equal:
                    low[j] = up[j]
                else:
                    low[j] = _combo.futility_bound(g1, t1, blocks[j], up[j], cum_b[j] - spent_b, warm["lower"][j],
                                                   width)
            if j == k - 1:
                spent_b += float(t1.below(g1, blocks[j], up[j])[0].mean())  # not rejecting at the last look
                break
            low_states = None
            if np.isfinite(low[j]):
                rep, low_states = t1.below(g1, blocks[j], low[j])
                spent_b += float(rep.mean())
            t1 = t1.advance(g1, blocks[j], up[j], low[j], low_states)
            if t0 is not None:
                t0 = t0.advance(g0, blocks[j], up[j], low[j])
        warm["lower"] = np.where(np.isfinite(low), low, warm["lower"])
        if upper_given is None:
            warm["upper"] = np.where(np.isfinite(up), up, warm["upper"])
            warm["alpha"] = alpha_reps
        return up, low, 1.0 - spent_b

    # a first search on 1/8 of the points, then the full points from there
    coarse0, coarse1 = fine0.coarse(8), fine1.coarse(8)
    upper_nb = None
    if not binding:
        walk(coarse0, None, None, 0.02)
        upper_nb = walk(fine0, None, None, 5e-4)[0]

    def power_at(x: float, g0: Genz, g1: Genz, width: float) -> float:
        return walk(g0, g1.with_mean(mu_unit * x), None if binding else upper_nb, width)[2]

    if solve_size:
        from scipy.optimize import brentq

        target = 1.0 - beta
        best = max(range(m), key=lambda j: mean_unit[-1, j])
        z_final = upper_nb[-1] if upper_nb is not None else float(ndtri(1 - alpha))
        x0 = (z_final + float(ndtri(target))) / mean_unit[-1, best]

        def coarse(x: float) -> float:
            return power_at(x, coarse0, coarse1, 0.02) - target

        lo, hi = 0.9 * x0, 1.1 * x0
        flo, fhi = coarse(lo), coarse(hi)
        for _ in range(40):
            if flo < 0:
                break
            hi, fhi, lo = lo, flo, lo * 0.8
            flo = coarse(lo)
        for _ in range(40):
            if fhi > 0:
                break
            lo, flo, hi = hi, fhi, hi * 1.25
            fhi = coarse(hi)
        x = brentq(coarse, lo, hi, xtol=1e-4 * x0)

        def fine(t: float) -> float:
            return power_at(t, fine0, fine1, 5e-4) - target

        a_x, b_x = x * (1 - 2e-3), x * (1 + 2e-3)
        fa, fb = fine(a_x), fine(b_x)
        for _ in range(40):  # widen until the fine function changes sign
            if fa <= 0 <= fb:
                break
            a_x, b_x = (a_x - 2 * (b_x - a_x), a_x) if fa > 0 else (b_x, b_x + 2 * (b_x - a_x))
            fa, fb = fine(a_x), fine(b_x)
        x = brentq(fine, a_x, b_x, xtol=1e-7 * x0)
        scale = x * x
    else:
        scale = 1.0
        walk(coarse0, coarse1, None if binding else upper_nb, 0.02)
    g1 = fine1.with_mean(mu_unit * math.sqrt(scale))
    up, low, _ = walk(fine0, g1, None if binding else upper_nb, 5e-4)
    g0 = fine0
    up1, low1, se_p, _ = _combo.crossings(g1, blocks, up, low)
    up0, low0, _, _ = _combo.crossings(g0, blocks, up, low)
    if binding:
        alpha_cum, se_a = np.cumsum(up0), None
    else:  # the decomposition the bounds were solved with (accurate in the tail)
        reps = np.cumsum(warm["alpha"], axis=0)
        alpha_cum, se_a = reps.mean(axis=1), reps.std(axis=1, ddof=1) / math.sqrt(REPLICATES)
    res = average_hazard_ratio(a, times)
    tests_mask = np.full((k, m), np.nan)
    for kk, row in enumerate(by_look):
        tests_mask[kk, list(row)] = 1.0
    return MaxComboDesign(
        tests=tests, tests_by_look=by_look, assumptions=a.scaled(scale) if scale != 1.0 else a, looks=plan,
        alpha=alpha, beta=beta, binding_futility=binding, info_scale=info_scale, alpha_spending=a_sf,
        beta_spending=b_sf, time=times, n=res.n * scale, events=res.events * scale, ahr=res.ahr,
        mean_z=mean_unit * math.sqrt(scale) * tests_mask, info=d1 * scale * tests_mask, info0=d0 * scale * tests_mask,
        upper=up, lower=low, upper_h1=up1, lower_h1=low1, upper_h0=up0, lower_h0=low0, alpha_spent=alpha_cum,
        spending_time=s_time, sample_size_factor=scale, correlation_h0=corr0, correlation_h1=corr1,
        standard_error={"power": se_p, "alpha": se_a if se_a is not None else np.full(k, np.nan),
                        "points": np.array([POINTS * REPLICATES])},
    )


def _fixed(values: Any, k: int, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    if name == "futility_bounds" and arr.size == k - 1:
        arr = np.append(arr, np.nan)
    if arr.size != k:
        raise InputError(f"{name}: need one z bound per look ({k}), got {arr.size}")
    return arr


def _times(a: DesignAssumptions, plan: LookPlan, study_duration: float | None) -> np.ndarray:
    q1, q0 = a.shares
    return look_times(plan, lambda d: time_of_events(a, d, "events"), lambda t: events_at(a, t) * q1 * q0,
                      study_duration)


def maxcombo_design(
    assumptions: Any,
    tests: Any = DEFAULT_TESTS,
    *,
    analysis_times: Any = None,
    information_fractions: Any = None,
    look_rule: str = "later",
    tests_by_look: Any = None,
    alpha: float = 0.025,
    power: float | None = None,
    beta: float | None = None,
    alpha_spending: Any = None,
    beta_spending: Any = None,
    efficacy_bounds: Any = None,
    futility_bounds: Any = None,
    binding_futility: bool = False,
    spending_time: Any = None,
    info_scale: str = "h0_h1",
    convention: str = "survtrial",
) -> MaxComboDesign:
    """Sample size of a group-sequential MaxCombo design (gsDesign2 ``gs_design_combo`` analogue).

    Parameters
    ----------
    assumptions : DesignAssumptions
        Tables whose enrolment rates give the shape; they are scaled until the power is reached.
    tests : sequence of str or WlrWeight, default FH(0,0), FH(0,0.5), FH(0.5,0), FH(0.5,0.5)
        At least two weighted log-rank tests (``"logrank"``, ``"fh(rho, gamma)"``, ``"mb(t*=..)"``).
    analysis_times, information_fractions, look_rule
        Look timing as in :func:`ahr_design` (fractions of the expected events at the final look).
    tests_by_look : sequence of sequences of int, optional
        Indices of ``tests`` combined at each look (default: all at every look).
    alpha : float
        One-sided type I error in (0, 0.5].
    power, beta : float, optional
        Target power (default 0.9).
    alpha_spending, beta_spending, efficacy_bounds, futility_bounds, binding_futility, spending_time
        As in :func:`ahr_design`; spending is at the smallest H0 information fraction among the
        tests (gsDesign2's rule) unless ``spending_time`` is given.
    info_scale : {"h0_h1", "h1"}
        Correlation of the z's under H0 from the weighted variances under H0 (default) or under the
        alternative (gsDesign2).
    convention : {"survtrial", "gsdesign2"}
        ``"gsdesign2"`` spends the last look's futility bound as gsDesign2 does instead of setting it
        to the efficacy bound.

    Returns
    -------
    MaxComboDesign

    Notes
    -----
    At look k the statistic is max_j Z_jk, Z_jk = -U_j(t_k) / sqrt(V_jj(t_k)) the weighted log-rank z
    of test j (> 0 favours experimental). The scores are jointly normal with independent increments:
    Cov(U_i(t_k), U_j(t_l)) = V_ij(t_min(k, l)), the weighted covariances of
    ``survtrial.design._wlr_moments`` (so the correlation across looks and tests is
    V_ij(t_k) / sqrt(V_ii(t_k) V_jj(t_l)), gsDesign2's product of within-look and across-look
    correlations). Under the alternative E[Z_jk] = -E[U_j] / sqrt(V_jj) with the alternative's
    variances (the z of a test standardised by its observed variance has variance 1). Bounds and
    probabilities are multivariate normal rectangle probabilities computed by Genz's method with
    Genz-Bretz variable ordering on 8 scrambled Sobol sequences of 4,096 points each (scipy.stats.qmc,
    fixed seed): deterministic, with standard errors from the replicates reported in
    ``standard_error`` (about 5e-6 for the cumulative alpha and 5e-5 for the power in the tests).

    References
    ----------
    Roychoudhury S, Anderson KM, Ye J, Mukhopadhyay P (2021). Robust design and analysis of clinical
    trials with nonproportional hazards: a straw man guidance from a cross-pharma working group.
    Stat Biopharm Res 15:280-294. Lin RS, Lin J, Roychoudhury S, et al. (2020). Alternative analysis
    methods for time to event endpoints under nonproportional hazards: a comparative analysis. Stat
    Biopharm Res 12:187-198. Karrison TG (2016). Versatile tests for comparing survival curves based
    on weighted log-rank statistics. Stata J 16:678-690. Genz A (1992). Numerical computation of
    multivariate normal probabilities. J Comput Graph Stat 1:141-149. Genz A, Bretz F (2002).
    J Comput Graph Stat 11:950-971.

    Examples
    --------
    >>> a = design_assumptions({"duration": [12], "rate": [500 / 12]},
    ...                        {"duration": [4, 100], "fail_rate": np.log(2) / 15, "hr": [1, 0.6],
    ...                         "dropout_rate": 0.001})
    >>> d = maxcombo_design(a, ["logrank", "fh(0, 0.5)"], analysis_times=36, power=0.9)
    >>> round(float(d.upper[0]), 2), d.power > 0.8999
    (2.08, True)
    """
    a = as_assumptions(assumptions)
    alpha, beta, _ = error_levels(alpha, power, beta, 1)
    t = _tests(tests)
    plan = look_plan(analysis_times, None, information_fractions, look_rule)
    times = _times(a, plan, None)
    return _build(a, t, plan, times, tests_by_look, alpha, beta, alpha_spending, beta_spending, efficacy_bounds,
                  futility_bounds, bool(binding_futility), spending_time, info_scale, True, convention)


def maxcombo_power(
    assumptions: Any,
    tests: Any = DEFAULT_TESTS,
    *,
    events: Any = None,
    analysis_times: Any = None,
    information_fractions: Any = None,
    look_rule: str = "later",
    study_duration: float | None = None,
    tests_by_look: Any = None,
    alpha: float = 0.025,
    beta: float | None = None,
    alpha_spending: Any = None,
    beta_spending: Any = None,
    efficacy_bounds: Any = None,
    futility_bounds: Any = None,
    binding_futility: bool = False,
    spending_time: Any = None,
    info_scale: str = "h0_h1",
    convention: str = "survtrial",
) -> MaxComboDesign:
    """Power of a group-sequential MaxCombo design with the tables' sample size (``gs_power_combo`` analogue).

    Looks at ``events`` and/or ``analysis_times``; ``beta`` is the total spent by ``beta_spending``
    (default 0.1). See :func:`maxcombo_design` for the parameters and the method.

    Returns
    -------
    MaxComboDesign

    Examples
    --------
    >>> a = design_assumptions({"duration": [12], "rate": [500 / 12]},
    ...                        {"duration": [4, 100], "fail_rate": np.log(2) / 15, "hr": [1, 0.6],
    ...                         "dropout_rate": 0.001})
    >>> p = maxcombo_power(a, ["logrank", "fh(0, 0.5)"], analysis_times=[24, 36])
    >>> 0.9 < p.power < 1
    True
    """
    a = as_assumptions(assumptions)
    alpha, beta, _ = error_levels(alpha, None, beta, 1)
    t = _tests(tests)
    plan = look_plan(analysis_times, events, information_fractions, look_rule)
    times = _times(a, plan, study_duration)
    return _build(a, t, plan, times, tests_by_look, alpha, beta, alpha_spending, beta_spending, efficacy_bounds,
                  futility_bounds, bool(binding_futility), spending_time, info_scale, False, convention)
