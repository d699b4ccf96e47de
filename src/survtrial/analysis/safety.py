"""Safety tables: subjects with each toxicity per arm with exact intervals and risk differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from survtrial.errors import InputError
from survtrial.stats.binomial import binomial_ci, risk_difference_ci

__all__ = ["adverse_event_table", "incidence_table", "toxicity_table"]


def incidence_table(
    counts: pd.DataFrame,
    denominators: Mapping[str, int],
    reference: str,
    experimental: str,
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Turn subject counts per row x arm into percentages with Clopper-Pearson CIs and risk differences.

    Parameters
    ----------
    counts : index = row labels (e.g. toxicity or (body system, term)), columns = arms, values =
        number of subjects with the event.
    denominators : subjects per arm (safety population).

    Returns
    -------
    DataFrame: per arm ``n_<arm>``, ``%_<arm>``, ``CI_<arm>`` (exact, in percent, as text) and the
    risk difference experimental - reference in percentage points with Newcombe's hybrid score CI
    (``difference (pp)``, ``difference CI`` as text); then the limits as numbers: ``lower_<arm>``,
    ``upper_<arm>`` (percent), ``difference_lower``, ``difference_upper`` (points).
    """
    limits: dict[str, np.ndarray] = {}
    out = pd.DataFrame(index=counts.index)
    for a in (reference, experimental):
        x = counts[a].to_numpy(dtype=np.int64) if a in counts.columns else np.zeros(len(counts), dtype=np.int64)
        n = int(denominators[a])
        ci = binomial_ci(x, np.full(x.shape, n), conf_level=conf_level, method="clopper-pearson")
        out[f"n_{a}"] = x
        out[f"%_{a}"] = 100 * np.atleast_1d(ci.proportion)
        out[f"CI_{a}"] = [f"{100 * lo:.1f}-{100 * hi:.1f}" for lo, hi in
                          zip(np.atleast_1d(ci.lower), np.atleast_1d(ci.upper), strict=True)]
        limits[f"lower_{a}"] = 100 * np.atleast_1d(ci.lower)
        limits[f"upper_{a}"] = 100 * np.atleast_1d(ci.upper)
    x1 = out[f"n_{experimental}"].to_numpy()
    x2 = out[f"n_{reference}"].to_numpy()
    n1, n2 = int(denominators[experimental]), int(denominators[reference])
    rd = risk_difference_ci(x1, np.full(x1.shape, n1), x2, np.full(x2.shape, n2), conf_level=conf_level)
    out["difference (pp)"] = 100 * np.atleast_1d(rd.difference)
    out["difference CI"] = [f"{100 * lo:.1f} to {100 * hi:.1f}" for lo, hi in
                            zip(np.atleast_1d(rd.lower), np.atleast_1d(rd.upper), strict=True)]
    for name, values in limits.items():
        out[name] = values
    out["difference_lower"] = 100 * np.atleast_1d(rd.lower)
    out["difference_upper"] = 100 * np.atleast_1d(rd.upper)
    return out


def toxicity_table(
    frame: pd.DataFrame,
    *,
    arm: str,
    columns: Sequence[str],
    reference: str,
    labels: Mapping[str, str] | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Subjects with each toxicity (boolean columns) per arm, exact CIs and risk difference.

    Denominators are all subjects in each arm; see :func:`incidence_table` for the columns.
    """
    missing = [c for c in (arm, *columns) if c not in frame.columns]
    if missing:
        raise InputError(f"toxicity table: column(s) {missing} not found; available: {list(frame.columns)}")
    arms = frame[arm].astype(str)
    other = sorted(set(arms) - {reference})
    if len(other) != 1:
        raise InputError(f"toxicity table: need two arms including {reference!r}, found {sorted(set(arms))}")
    counts = pd.DataFrame({a: [int(frame.loc[arms == a, c].astype(bool).sum()) for c in columns]
                           for a in (reference, other[0])},
                          index=[(labels or {}).get(c, c) for c in columns])
    counts.index.name = "toxicity"
    den = arms.value_counts().to_dict()
    return incidence_table(counts, den, reference, other[0], conf_level=conf_level).reset_index()


def adverse_event_table(
    adverse_events: pd.DataFrame,
    randomized: Mapping[str, int],
    *,
    reference: str,
    min_grade: float = 3,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Subjects with any AE and with grade >= ``min_grade`` AEs by body system and preferred term.

    Parameters
    ----------
    adverse_events : columns ``subject_id, arm, term, body_system, grade`` (one row per event).
    randomized : subjects per arm (denominators).

    Notes
    -----
    A subject counts once per row of the table (worst grade), as is usual in safety tables;
    rows are sorted by body system, then by descending total frequency.
    """
    arms = sorted(randomized)
    if reference not in arms or len(arms) != 2:
        raise InputError(f"adverse events: need two arms including {reference!r}, found {arms}")
    exp = arms[1] if arms[0] == reference else arms[0]
    ae = adverse_events
    rows: dict[tuple[str, str], pd.Series] = {}
    rows[("Any adverse event", "")] = ae.groupby("arm")["subject_id"].nunique()
    severe = ae.loc[ae["grade"] >= min_grade]
    rows[(f"Any grade >= {min_grade:g} event", "")] = severe.groupby("arm")["subject_id"].nunique()
    counts = pd.DataFrame(rows).T.reindex(columns=arms).fillna(0).astype(int)
    by_sys = (severe.drop_duplicates(["subject_id", "body_system"])
              .groupby(["body_system", "arm"]).size().unstack("arm").reindex(columns=arms).fillna(0))
    by_term = (severe.drop_duplicates(["subject_id", "body_system", "term"])
               .groupby(["body_system", "term", "arm"]).size().unstack("arm").reindex(columns=arms).fillna(0))
    parts = [counts]
    for sys_name in by_sys.sum(axis=1).sort_values(ascending=False).index:
        parts.append(pd.DataFrame([by_sys.loc[sys_name].to_numpy()], columns=arms,
                                  index=pd.MultiIndex.from_tuples([(sys_name, "(any term)")])))
        terms = by_term.loc[sys_name]
        terms = terms.loc[terms.sum(axis=1).sort_values(ascending=False).index]
        terms.index = pd.MultiIndex.from_tuples([(sys_name, t) for t in terms.index])
        parts.append(terms)
    table = pd.concat(parts).astype(int)
    table.index = pd.MultiIndex.from_tuples(list(table.index), names=["body_system", "term"])
    return incidence_table(table, randomized, reference, exp, conf_level=conf_level).reset_index()
