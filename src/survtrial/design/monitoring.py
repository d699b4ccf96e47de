"""Boundary updates at monitoring time, when the observed information fractions differ from the plan."""

from __future__ import annotations

from typing import Any

import numpy as np

from survtrial.design.boundaries import GroupSequentialDesign, build
from survtrial.errors import InputError

__all__ = ["update_design"]


def update_design(
    design: GroupSequentialDesign,
    information_fractions: Any = None,
    *,
    events: Any = None,
    max_events: float | None = None,
    final: bool = False,
) -> GroupSequentialDesign:
    """Recompute the bounds at the information actually observed (spending-function designs).

    Parameters
    ----------
    design : GroupSequentialDesign
        The planned design, or a design returned by an earlier call (its observed looks stay fixed).
    information_fractions : sequence of float, optional
        Observed information of the looks carried out so far, as fractions of the planned
        maximum information (the last may exceed 1 at an over-running final analysis).
    events, max_events : optional
        Instead of fractions: observed events per look so far and the planned maximum number.
    final : bool
        The last observed look is the final analysis (all remaining alpha is spent there even if
        its fraction is not 1). Implied when a fraction reaches 1 or all planned looks are done.

    Returns
    -------
    GroupSequentialDesign
        Looks = observed looks followed by the planned looks still to come; ``observed_looks``
        says how many are fixed. Its ``power`` is at the planned drift.

    Notes
    -----
    As rpact ``getDesignGroupSequential(informationRates=..., ...)`` at the observed rates and
    gsDesign's ``gsDesign(..., maxn.IPlan=...)`` updates: the spending function is evaluated at
    the observed fractions, so alpha spent so far is what the plan allowed at that information;
    bounds of looks already carried out are kept as they were used; future planned looks keep
    their planned fractions. The drift (maximum information) is not re-solved: beta-spending
    futility bounds are recomputed at the observed fractions under the planned drift. At a final
    analysis that is not at fraction 1, the spending function is taken as fully spent (t = 1).

    References
    ----------
    Lan KKG, DeMets DL (1983). Biometrika 70:659-663. Jennison C, Turnbull BW (2000), section 7.2.

    Examples
    --------
    >>> from survtrial.design import group_sequential
    >>> d = group_sequential(k=3, alpha=0.025, beta=0.1)
    >>> u = update_design(d, [0.4])
    >>> round(float(u.upper[0]), 4), u.observed_looks
    (3.3569, 1)
    """
    if not isinstance(design, GroupSequentialDesign):
        raise InputError(f"design: expected a GroupSequentialDesign, got {type(design).__name__}")
    if design.alpha_spending is None:
        raise InputError(
            f"design: test_type={design.test_type!r} has no spending function; bounds can be updated for "
            "spending-function designs (test_type='spending') only"
        )
    obs = _observed(information_fractions, events, max_events)
    m, k_plan, prev = obs.size, design.k, design.observed_looks
    if m < prev:
        raise InputError(f"information_fractions: the design already has {prev} observed looks; give at least those")
    if prev and np.any(np.abs(obs[:prev] - design.information_fractions[:prev]) > 1e-12):
        raise InputError(
            f"information_fractions: looks 1..{prev} were carried out at "
            f"{design.information_fractions[:prev].tolist()}; they cannot change"
        )
    if m > k_plan:
        raise InputError(f"information_fractions: {m} looks given but the design plans {k_plan}")
    if np.any(obs[:-1] >= 1.0):
        raise InputError(
            f"information_fractions: an interim look at fraction >= 1 ({obs.tolist()}); the look that reaches "
            "full information is the final analysis"
        )
    final = bool(final) or obs[-1] >= 1.0 or m == k_plan
    planned = np.arange(m).tolist()
    if not final:
        planned += [j for j in range(m, k_plan) if design.information_fractions[j] > obs[-1]]
    t = np.concatenate([obs, design.information_fractions[planned[m:]]])
    spend_t = np.minimum(t, 1.0)
    spend_t[-1] = 1.0
    keep = min(prev, m)
    fixed_upper = np.full(t.size, np.nan)
    fixed_lower = np.full(t.size, np.nan)
    fixed_upper[:keep] = design.upper[:keep]
    fixed_lower[:keep] = design.lower[:keep]
    futility = None
    if design.beta_spending is None and design.has_futility:
        futility = design.lower[np.array(planned[:-1], dtype=int)]
        fixed_lower = None
    if t.size == 1 or design.sided == 2:
        fixed_lower = None
    return build(
        t,
        spend_t,
        design.alpha,
        design.beta,
        design.sided,
        design.alpha_spending,
        design.beta_spending,
        design.binding_futility,
        design.test_type,
        design.delta,
        futility,
        drift=design.drift,
        fixed_upper=fixed_upper,
        fixed_lower=fixed_lower,
        observed_looks=m,
    )


def _observed(fractions: Any, events: Any, max_events: Any) -> np.ndarray:
    if (fractions is None) == (events is None):
        raise InputError("give information_fractions=(...) or events=(...) with max_events, not both")
    if events is not None:
        if max_events is None:
            raise InputError("events: also give max_events, the planned maximum number of events")
        try:
            dmax = float(max_events)
        except (TypeError, ValueError):
            raise InputError(f"max_events: expected a number, got {max_events!r}") from None
        if not (np.isfinite(dmax) and dmax > 0):
            raise InputError(f"max_events: must be > 0, got {max_events!r}")
        name, values = "events", np.asarray(events, dtype=float).ravel() / dmax
    else:
        name, values = "information_fractions", np.asarray(fractions, dtype=float).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0) or np.any(np.diff(values) <= 0):
        raise InputError(f"{name}: need strictly increasing positive values, got {values.tolist()}")
    return values
