"""The Twin panel: a packaged scenario with its treatment delay changed, its arms' curves and its interim stopping."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from survtrial.errors import InputError

__all__ = ["delay_of", "twin_curves", "twin_figure", "twin_names", "twin_scenario", "twin_simulation_design"]


def _raw(name: str) -> dict[str, Any]:
    from survtrial._yaml import parse_yaml
    from survtrial.simulate._scenario_io import _read

    text, source, default = _read(name)
    data = parse_yaml(text, source)
    return {"name": default, **data}


def _profiles(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every hazard-ratio profile of the scenario with a delay (at least two periods)."""
    out = []
    for cells in data.get("hazards", {}).values():
        for spec in cells.values():
            hr = spec.get("hazard_ratio") if isinstance(spec, dict) else None
            if isinstance(hr, dict) and len(hr.get("breaks", [])) >= 2:
                out.append(hr)
    return out


def twin_names() -> list[str]:
    """Packaged scenarios with a delayed effect (a hazard-ratio profile) and an interim plan."""
    from survtrial.simulate.scenario import packaged_scenarios

    return [n for n in packaged_scenarios() if _profiles(_raw(n)) and _raw(n).get("interim_analyses")]


def delay_of(name: str) -> float:
    """The packaged scenario's delay: the start (years) of the second period of its hazard-ratio profile."""
    return float(_profiles(_raw(name))[0]["breaks"][1])


def twin_scenario(name: str, delay: float) -> Any:
    """The packaged scenario with every hazard-ratio profile's second period starting at ``delay`` years.

    Later cut points are kept; a delay at or beyond the next cut point is an InputError naming it.
    """
    data = copy.deepcopy(_raw(name))
    try:
        delay = float(delay)
    except (TypeError, ValueError):
        raise InputError(f"delay: {delay!r} is not a number of years") from None
    if not (np.isfinite(delay) and delay > 0):
        raise InputError(f"delay: {delay:g} must be a number of years > 0")
    for hr in _profiles(data):
        breaks = [float(b) for b in hr["breaks"]]
        if len(breaks) > 2 and delay >= breaks[2]:
            raise InputError(f"delay: {delay:g} years must be before the profile's next cut point at {breaks[2]:g} "
                             "years")
        hr["breaks"] = [breaks[0], delay, *breaks[2:]]
    from survtrial.simulate.scenario import scenario_from_dict

    scenario = scenario_from_dict(data, source=f"twin {name!r}")
    scenario.calibrated  # noqa: B018 - calibration problems surface here, as messages
    return scenario


def twin_curves(scenario: Any, years: Any) -> Any:
    """Event-free survival of each arm (strata mixed by their shares) at ``years`` from randomisation."""
    import pandas as pd

    cal = scenario.calibrated
    t = np.asarray(years, dtype=float)
    out = {"years": t}
    for arm in cal.arms:
        s = np.zeros_like(t)
        for stratum, share in zip(cal.strata, cal.stratum_shares, strict=True):
            cure = cal.cure_fractions.get((stratum, arm), 0.0)
            s += share * (cure + (1 - cure) * cal.hazards[stratum, arm].survival(t))
        out[arm] = s
    return pd.DataFrame(out)


def twin_figure(scenario: Any, delay: float, horizon: float = 5.0) -> Any:
    """The arms' event-free survival over ``horizon`` years, the delay marked (matplotlib figure)."""
    from matplotlib.figure import Figure

    frame = twin_curves(scenario, np.linspace(0, horizon, 101))
    fig = Figure(figsize=(7.2, 3.0), layout="tight")
    ax = fig.subplots()
    for arm in frame.columns[1:]:
        ax.plot(frame["years"], frame[arm], label=arm)
    ax.axvline(delay, color="#999999", lw=0.8, ls=":")
    ax.set(xlabel="Years from randomization", ylabel="Event-free survival", ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def twin_simulation_design(scenario: Any) -> dict[str, Any]:
    """The scenario's interim plan as the engine's design keys (events looks from the planned fractions)."""
    plan = scenario.interim_analyses
    if plan is None:
        raise InputError(f"twin {scenario.name!r} has no interim plan (interim_analyses)")
    spending = plan.spending if plan.spending_parameter is None else f"{plan.spending}({plan.spending_parameter:g})"
    return {"planned_events": plan.planned_events, "information_fractions": list(plan.information_fractions),
            "alpha": plan.alpha_one_sided, "alpha_spending": spending}
