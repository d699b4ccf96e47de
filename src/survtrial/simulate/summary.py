"""Operating characteristics of a simulated design, each with its Monte-Carlo standard error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from survtrial._repr import HtmlReprMixin
from survtrial.errors import InputError

__all__ = ["OperatingCharacteristics", "summarize"]


def _prop(x: np.ndarray) -> tuple[float, float]:
    n = x.size
    if n == 0:
        return np.nan, np.nan
    p = float(np.mean(x))
    return p, float(np.sqrt(p * (1.0 - p) / n))


def _mean(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return np.nan, np.nan
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan


@dataclass(frozen=True, repr=False)
class OperatingCharacteristics(HtmlReprMixin):
    """Summary of a simulation run (see :func:`summarize`).

    Attributes
    ----------
    overall : pandas.DataFrame
        ``measure, estimate, mc_se``: rejection probability (power, or type I error under H0),
        early efficacy and futility stopping, expected events, duration (years from study start)
        and subjects at stopping, mean Cox HR, bias of log HR and of HR, coverage of the Wald CI;
        then ``rejection_probability[<test>]`` for each test of the simulation, had it been the
        decision test.
    by_look : pandas.DataFrame
        One row per look: probability of rejecting / stopping for futility / stopping at that look,
        cumulative rejection, and the mean events, calendar time and subjects among trials reaching
        the look; each with ``*_se``.
    n_sims : int
    true_hazard_ratio : float or None
    level : float
        Level of the confidence intervals whose coverage is reported.
    """

    overall: pd.DataFrame
    by_look: pd.DataFrame
    n_sims: int
    true_hazard_ratio: float | None
    level: float

    def value(self, measure: str) -> float:
        """Estimate of one overall measure, e.g. ``value("rejection_probability")``."""
        row = self.overall.loc[self.overall["measure"] == measure, "estimate"]
        if row.empty:
            raise InputError(f"unknown measure {measure!r}; measures: {self.overall['measure'].tolist()}")
        return float(row.iloc[0])

    def to_frame(self) -> pd.DataFrame:
        """Long table ``measure, look, estimate, mc_se`` (look missing for whole-trial measures)."""
        parts = [self.overall.assign(look=pd.array([pd.NA] * len(self.overall), dtype="Int64"))]
        for col in ("rejection", "futility", "stop", "cumulative_rejection", "events", "time", "subjects"):
            parts.append(pd.DataFrame({
                "measure": f"look_{col}",
                "look": pd.array(self.by_look["look"], dtype="Int64"),
                "estimate": self.by_look[col],
                "mc_se": self.by_look[f"{col}_se"],
            }))
        return pd.concat(parts, ignore_index=True)[["measure", "look", "estimate", "mc_se"]]

    def __repr__(self) -> str:
        def get(m: str) -> str:
            r = self.overall.loc[self.overall["measure"] == m].iloc[0]
            return f"{r['estimate']:.4g} (MC SE {r['mc_se']:.2g})"

        looks = " ".join(f"{x:.4f}" for x in self.by_look["rejection"])
        return "\n".join([
            f"OperatingCharacteristics({self.n_sims} trials; rejection probability {get('rejection_probability')})",
            f"  rejection by look: {looks}",
            f"  expected events {get('expected_events')}, duration {get('expected_duration')}, "
            f"subjects {get('expected_subjects')}",
        ])


def summarize(trials: pd.DataFrame, model: Any = None, *, level: float = 0.95,
              true_hazard_ratio: float | None = None) -> OperatingCharacteristics:
    """Operating characteristics from per-trial records, with Monte-Carlo SEs.

    Parameters
    ----------
    trials : pandas.DataFrame
        Records from :func:`~survtrial.simulate.engine.simulate_trials` (or a runner's dataset).
    model : EngineModel, optional
        Supplies the number of looks and the true hazard ratio.
    level : float
        Level of the Wald confidence interval of the HR at stopping, for coverage.
    true_hazard_ratio : float, optional
        Overrides the model's (needed for bias and coverage; NaN without one).

    Returns
    -------
    OperatingCharacteristics

    Notes
    -----
    Probabilities p have MC SE sqrt(p (1 - p) / n); means have SD / sqrt(n) over the trials with
    a finite value. Bias at stopping: mean of log HR minus log of the true HR (and mean of HR
    minus HR); coverage: share of trials whose Wald interval ``exp(log_hr -/+ z se)`` contains
    the true HR (trials without an estimate excluded). The rejection probability counts
    efficacy stops and, for two-sided designs, crossings of the lower bound.

    Examples
    --------
    >>> from survtrial.simulate.engine import simulate_trials
    >>> oc = simulate_trials("aall1731", {"events": [40, 80]}, 100, seed=3).summary()
    >>> 0.0 <= oc.value("rejection_probability") <= 1.0
    True
    """
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1), got {level!r}")
    n = len(trials)
    if n == 0:
        raise InputError("no trials to summarise")
    K = model.k if model is not None else int(trials["stop_look"].max())
    truth = true_hazard_ratio if true_hazard_ratio is not None else (
        model.true_hazard_ratio if model is not None else None)
    stop = trials["stop_look"].to_numpy()
    dec = trials["decision"].astype(str).to_numpy()
    rejected = trials["rejected"].to_numpy(dtype=bool)
    final = np.array([K] * n)
    rows = []

    def add(measure: str, pair: tuple[float, float]) -> None:
        rows.append({"measure": measure, "estimate": pair[0], "mc_se": pair[1]})

    add("rejection_probability", _prop(rejected))
    add("early_efficacy_stop_probability", _prop((dec == "efficacy") & (stop < final)))
    add("futility_stop_probability", _prop(dec == "futility"))
    add("expected_events", _mean(trials["events"].to_numpy(dtype=float)))
    add("expected_duration", _mean(trials["time"].to_numpy(dtype=float)))
    add("expected_subjects", _mean(trials["subjects"].to_numpy(dtype=float)))
    log_hr = trials["log_hr"].to_numpy(dtype=float)
    se = trials["log_hr_se"].to_numpy(dtype=float)
    add("mean_hazard_ratio", _mean(np.exp(log_hr)))
    if truth is not None and truth > 0:
        ok = np.isfinite(log_hr) & np.isfinite(se)
        add("log_hr_bias", _mean(log_hr[ok] - np.log(truth)))
        add("hr_bias", _mean(np.exp(log_hr[ok]) - truth))
        q = float(ndtri(0.5 + level / 2))
        cover = (log_hr[ok] - q * se[ok] <= np.log(truth)) & (np.log(truth) <= log_hr[ok] + q * se[ok])
        add("hr_coverage", _prop(cover))
    else:
        for m in ("log_hr_bias", "hr_bias", "hr_coverage"):
            add(m, (np.nan, np.nan))
    for t in getattr(model, "tests", ()):
        col = f"{t.slug}_rejected"
        if col in trials:
            add(f"rejection_probability[{t.label}]", _prop(trials[col].to_numpy(dtype=bool)))
    overall = pd.DataFrame(rows)

    look_rows = []
    cum = 0.0
    for k in range(1, K + 1):
        at = stop == k
        rej = _prop(at & rejected)
        cum += rej[0]
        reached = stop >= k
        row: dict[str, Any] = {"look": k}
        row["rejection"], row["rejection_se"] = rej
        row["futility"], row["futility_se"] = _prop(at & (dec == "futility"))
        row["stop"], row["stop_se"] = _prop(at)
        row["cumulative_rejection"], row["cumulative_rejection_se"] = _prop(rejected & (stop <= k))
        for name in ("events", "time", "subjects"):
            col = f"{name}_{k}"
            vals = trials[col].to_numpy(dtype=float)[reached] if col in trials else np.array([])
            row[name], row[f"{name}_se"] = _mean(vals)
        look_rows.append(row)
    return OperatingCharacteristics(overall, pd.DataFrame(look_rows), n, truth, float(level))
