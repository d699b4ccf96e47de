"""Subgroup analysis for a forest plot: Cox HR per subgroup level and arm-by-subgroup interaction tests."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import chdtrc  # chi-square upper tail (scipy.stats.chi2.sf); scipy.stats is slow to import

from survtrial.analysis._frames import combined_key
from survtrial.errors import ConvergenceWarning, InputError, StatisticWarning
from survtrial.stats.cox import cox_ph

__all__ = ["interaction_test", "subgroup_analysis"]


def _fit_hr(t: np.ndarray, e: np.ndarray, x: np.ndarray, strata: np.ndarray | None) -> tuple[float, float, float]:
    """HR and CI of a single 0/1 covariate; NaN ('not estimable') when the likelihood is monotone."""
    if e.sum() == 0 or np.ptp(x) == 0:
        return np.nan, np.nan, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", StatisticWarning)
        try:
            fit = cox_ph(t, e, x[:, None], names=["arm"], strata=strata)
        except ConvergenceWarning:
            return np.nan, np.nan, np.nan
    ci = fit.confidence_interval()
    return float(fit.hazard_ratio[0]), float(ci.low[0]), float(ci.high[0])


def interaction_test(t: np.ndarray, e: np.ndarray, arm01: np.ndarray, level_codes: np.ndarray,
                     strata: np.ndarray | None = None) -> float:
    """Wald test P of the arm x subgroup interaction in a Cox model (df = levels - 1).

    Model: arm + subgroup dummies + arm:subgroup dummies (treatment coding, first level as
    reference), stratified as the primary analysis. Returns NaN when the model is not estimable
    (a level without events in an arm gives a monotone likelihood).
    """
    levels = np.unique(level_codes)
    if levels.size < 2:
        return np.nan
    dummies = (level_codes[:, None] == levels[None, 1:]).astype(float)
    X = np.column_stack([arm01, dummies, arm01[:, None] * dummies])
    k = dummies.shape[1]
    names = ["arm", *[f"g{j}" for j in range(k)], *[f"arm:g{j}" for j in range(k)]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", StatisticWarning)
        try:
            fit = cox_ph(t, e, X, names=names, strata=strata)
        except (ConvergenceWarning, InputError):
            return np.nan
    idx = np.arange(1 + k, 1 + 2 * k)
    b = fit.coef[idx]
    V = fit.var[np.ix_(idx, idx)]
    try:
        stat = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        return np.nan
    return float(chdtrc(k, stat))


def subgroup_analysis(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str,
    reference: str,
    subgroups: Sequence[str],
    strata: Sequence[str] = (),
    overall: tuple[float, float, float] | None = None,
) -> pd.DataFrame:
    """Forest-plot frame: one row per subgroup level with n, events per arm, HR (95% CI), P interaction.

    Parameters
    ----------
    frame : one row per subject.
    time, event, arm : column names; ``reference`` is the control arm (HR = other / reference).
    subgroups : columns defining subgroups (categorical; numeric columns with more than 6 values
        are split at their median).
    strata : stratification of the primary analysis, used for the interaction models (a stratum
        column that is itself the subgroup is left out of that subgroup's model).
    overall : (HR, lower, upper) of the primary analysis for the top row.

    Returns
    -------
    DataFrame with columns ``subgroup, level, n, events, events_<arm>..., hr, lower, upper,
    p_interaction`` in the order of :data:`survtrial.report.forest.FOREST_COLUMNS`.

    Notes
    -----
    Within-level HRs come from unstratified Cox models (Efron ties) with the arm as the only
    covariate; they are not estimable (NaN) when a level has no events in one arm. Interaction
    P values are Wald tests of the arm-by-subgroup terms (df = levels - 1).
    """
    for col in (time, event, arm, *subgroups, *strata):
        if col not in frame.columns:
            raise InputError(f"subgroups: column {col!r} not found; available: {list(frame.columns)}")
    t = frame[time].to_numpy(dtype=float)
    e = frame[event].to_numpy(dtype=np.int64)
    arm_s = frame[arm].astype(str)
    arms = [reference, *sorted(set(arm_s) - {reference})]
    arm01 = (arm_s != reference).to_numpy().astype(float)
    rows = []
    ev_cols = {f"events_{a}": a for a in arms}
    if overall is not None:
        rows.append({"subgroup": "Overall", "level": "", "n": len(frame), "events": int(e.sum()),
                     **{c: int(e[arm_s.to_numpy() == a].sum()) for c, a in ev_cols.items()},
                     "hr": overall[0], "lower": overall[1], "upper": overall[2], "p_interaction": np.nan})
    for var in subgroups:
        col = frame[var]
        if pd.api.types.is_numeric_dtype(col) and col.nunique() > 6:
            cut = float(col.median())
            labels = np.where(col.to_numpy() < cut, f"< {cut:.3g}", f">= {cut:.3g}")
        else:
            if col.isna().any():
                raise InputError(f"subgroups: column {var!r} has missing values; recode them (e.g. 'unknown')")
            labels = col.astype(str).to_numpy()
        levels = sorted(set(labels))
        codes = np.searchsorted(levels, labels)
        other = [s for s in strata if s != var]
        st = combined_key(frame, other)
        p_int = interaction_test(t, e, arm01, codes, st)
        for j, lev in enumerate(levels):
            m = codes == j
            hr, lo, hi = _fit_hr(t[m], e[m], arm01[m], None)
            rows.append({"subgroup": var, "level": lev, "n": int(m.sum()), "events": int(e[m].sum()),
                         **{c: int(e[m & (arm_s.to_numpy() == a)].sum()) for c, a in ev_cols.items()},
                         "hr": hr, "lower": lo, "upper": hi, "p_interaction": p_int})
    return pd.DataFrame(rows)
