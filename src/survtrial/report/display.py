"""Tables as a committee reads them: human labels, hazard ratios with two decimals, one P format, bounded percents.

Each function turns a result of :mod:`survtrial.analysis` into a frame of text, every cell
formatted here (the CSV beside the report keeps the analysis' own frame at full precision).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from survtrial.report._style import format_hr, format_p

__all__ = [
    "competing_risks_table",
    "cox_table",
    "flow_table",
    "gray_table",
    "humanize",
    "landmark_table",
    "logrank_table",
    "percent_ci",
    "rmst_table",
    "safety_table",
    "signed",
    "subgroup_table",
    "summary_table",
    "words",
]

#: A machine name a reader should not see: snake_case (``marrow_relapse``, ``o_minus_e``) or a
#: model term (``arm[T.blina]``).
MACHINE_NAME = re.compile(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b|\[T\.")
DASH = "\u2013"
MINUS = "\u2212"


def humanize(text: Any) -> str:
    """A data label for a reader: underscores become spaces, and an all-lowercase label starts with
    a capital ("marrow_relapse" -> "Marrow relapse"); other labels are kept ("SR-Avg", "RISKGRP").

    Examples
    --------
    >>> humanize("marrow_relapse"), humanize("risk_group"), humanize("SR-Avg"), humanize("hispanic")
    ('Marrow relapse', 'Risk group', 'SR-Avg', 'Hispanic')
    >>> humanize("Any grade >= 3 event")
    'Any grade ≥ 3 event'
    """
    s = str(text)
    out = re.sub(r"_+", " ", s).strip().replace(">=", "\u2265").replace("<=", "\u2264")
    return out[:1].upper() + out[1:] if s == s.lower() else out


def words(text: Any) -> str:
    """A data name inside a sentence: underscores become spaces, case kept ("risk_group" ->
    "risk group")."""
    return re.sub(r"_+", " ", str(text)).strip()


def _num(x: float, decimals: int) -> str:
    if x is None or not math.isfinite(x):
        return "NA"
    text = f"{x:.{decimals}f}"
    return MINUS + text[1:] if text.startswith("-") and float(text) != 0 else text.lstrip("-")


def signed(x: float, decimals: int) -> str:
    """A difference with its sign: ``+0.3``, ``\u22120.3``; ``0.0`` when it rounds to zero.

    Examples
    --------
    >>> signed(0.31, 1), signed(-0.31, 1), signed(-0.04, 1)
    ('+0.3', '\u22120.3', '0.0')
    """
    if not math.isfinite(x):
        return "NA"
    if round(x, decimals) == 0:
        return f"{0:.{decimals}f}"
    return f"{x:+.{decimals}f}".replace("-", MINUS)


def percent_ci(low: float, high: float, decimals: int = 1) -> str:
    """A CI of a percentage, limits kept within [0, 100]: ``39.0-46.4`` (an en dash).

    Examples
    --------
    >>> percent_ci(96.6, 100.2), percent_ci(-0.4, 2.5)
    ('96.6\u2013100.0', '0.0\u20132.5')
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return "NA"
    lo, hi = min(max(low, 0.0), 100.0), min(max(high, 0.0), 100.0)
    return f"{lo:.{decimals}f}{DASH}{hi:.{decimals}f}"


def _interval(low: float, high: float, decimals: int) -> str:
    """A CI of a quantity that may be negative: ``-1.1 to 0.4``."""
    return f"{_num(low, decimals)} to {_num(high, decimals)}"


def flow_table(flow: pd.DataFrame) -> pd.DataFrame:
    """Subject flow per arm with its rows in words (event types humanized)."""
    names = {"randomized": "Randomized", "analysed": "Analysed", "events": "Events", "censored": "Censored"}
    rows = [names.get(str(r).strip(), f"Events: {humanize(str(r).strip()).lower()}") for r in flow.iloc[:, 0]]
    out = flow.iloc[:, 1:].copy()
    out.insert(0, "Subjects", rows)
    return out


def summary_table(ep: Any, adjective: str) -> pd.DataFrame:
    """One row per arm: subjects, events, the landmark estimate with SE and 95% CI, the hazard ratio
    vs the reference arm and the log-rank P."""
    lm = ep.landmarks[ep.landmarks["stratum"] == "all"]
    lm = lm[lm["time"] == lm["time"].iloc[0]].set_index("arm")
    name = ep.endpoint or "event-free"
    rows = []
    for i, arm in enumerate((ep.reference, ep.experimental)):
        r = lm.loc[arm]
        row = {"Arm": arm, "Subjects": f"{int(ep.n[arm])}", "Events": f"{float(ep.events[arm]):.0f}",
               f"{adjective} {name}, % \u00b1 SE": f"{100 * r['survival']:.1f} \u00b1 {100 * r['std_err']:.1f}",
               "95% CI": percent_ci(100 * r["lower"], 100 * r["upper"])}
        if ep.cox is not None:
            hr, lo, hi = ep.hazard_ratio
            row[f"Hazard ratio vs {ep.reference} (95% CI)"] = "reference" if i == 0 else format_hr(hr, lo, hi)
            row["Log-rank P"] = "" if i == 0 else format_p(float(ep.logrank.p_value))
        rows.append(row)
    return pd.DataFrame(rows)


def logrank_table(ep: Any) -> pd.DataFrame:
    """Observed and expected events per arm (reference first), O - E and (O - E)^2 / E."""
    f = ep.logrank.to_frame().set_index("group")
    rows = []
    for arm in (ep.reference, ep.experimental):
        r = f.loc[arm]
        rows.append({"Arm": arm, "Subjects": f"{int(r['n'])}", "Observed events": f"{r['observed']:.0f}",
                     "Expected events": f"{r['expected']:.1f}", "O \u2212 E": _num(r["o_minus_e"], 1),
                     "(O \u2212 E)\u00b2 / E": f"{r['o_minus_e_sq_over_e']:.2f}"})
    return pd.DataFrame(rows)


def cox_table(ep: Any) -> pd.DataFrame:
    """The arm's Cox coefficient: hazard ratio (95% CI), log hazard ratio with SE, Wald z, P."""
    f = ep.cox.to_frame()
    r = f.iloc[0]
    return pd.DataFrame([{
        "Term": f"Arm: {ep.experimental} vs {ep.reference}",
        "Hazard ratio (95% CI)": format_hr(r["hazard_ratio"], r["hr_lower"], r["hr_upper"]),
        "Log hazard ratio (SE)": f"{_num(r['coef'], 3)} ({r['se']:.3f})",
        "Wald z": _num(r["z"], 2),
        "P": format_p(float(r["p_value"])),
    }])


def rmst_table(ep: Any, unit: str | None) -> pd.DataFrame:
    """Restricted mean per arm, their difference and ratio, with 95% CIs and P values."""
    groups = ep.rmst.to_frame("groups").set_index("group")
    comp = ep.rmst.to_frame("comparisons").set_index("measure")
    u = f" ({unit})" if unit else ""
    d = 0 if unit == "days" else 2
    rows = [{"Quantity": f"Restricted mean, {arm}{u}", "Estimate (95% CI)":
             f"{groups.loc[arm, 'rmst']:.{d}f} ({_interval(groups.loc[arm, 'lower'], groups.loc[arm, 'upper'], d)})",
             "SE": f"{groups.loc[arm, 'std_err']:.{d + 1}f}", "P": ""} for arm in (ep.reference, ep.experimental)]
    dif, rat = comp.loc["difference"], comp.loc["ratio"]
    rows.append({"Quantity": f"Difference, {ep.experimental} {MINUS} {ep.reference}{u}",
                 "Estimate (95% CI)": f"{_num(dif['estimate'], d)} ({_interval(dif['lower'], dif['upper'], d)})",
                 "SE": f"{dif['std_err']:.{d + 1}f}", "P": format_p(float(dif["p_value"]))})
    rows.append({"Quantity": f"Ratio, {ep.experimental} / {ep.reference}",
                 "Estimate (95% CI)": f"{rat['estimate']:.3f} ({rat['lower']:.3f}{DASH}{rat['upper']:.3f})",
                 "SE": "", "P": format_p(float(rat["p_value"]))})
    return pd.DataFrame(rows)


def landmark_table(ep: Any, adjective: str, stratum_name: str | None) -> pd.DataFrame:
    """The landmark estimate per stratum level and arm: at risk, events, estimate, SE, 95% CI."""
    lm = ep.landmarks.copy()
    lm["arm"] = pd.Categorical(lm["arm"].astype(str), categories=[ep.reference, ep.experimental])
    lm = lm.sort_values(["arm"], kind="stable").sort_values(["stratum"], key=lambda s: s != "all", kind="stable")
    name = ep.endpoint or "event-free"
    rows = []
    for _, r in lm.iterrows():
        level = "All subjects" if r["stratum"] == "all" else humanize(r["stratum"])
        rows.append({stratum_name or "Stratum": level, "Arm": r["arm"], "At risk": f"{r['n_risk']:.0f}",
                     "Events": f"{r['n_event']:.0f}", f"{adjective} {name}, %": f"{100 * r['survival']:.1f}",
                     "SE, %": f"{100 * r['std_err']:.1f}", "95% CI": percent_ci(100 * r["lower"], 100 * r["upper"])})
    return pd.DataFrame(rows)


def competing_risks_table(competing: Any, arms: Sequence[str]) -> pd.DataFrame:
    """Per event type: cumulative incidence (%) with 95% CI per arm at the landmark."""
    lm = competing.landmarks
    rows = []
    for cause in pd.unique(lm["cause"]):
        row = {"Event type": humanize(cause)}
        for arm in arms:
            r = lm[(lm["cause"] == cause) & (lm["arm"].astype(str) == arm)]
            if r.empty:
                row[f"{arm}: % (95% CI)"] = "NA"
                continue
            r = r.iloc[0]
            row[f"{arm}: % (95% CI)"] = f"{100 * r['cif']:.1f} ({percent_ci(100 * r['lower'], 100 * r['upper'])})"
        rows.append(row)
    return pd.DataFrame(rows)


def gray_table(tests: pd.DataFrame) -> pd.DataFrame:
    """Gray's test per event type: chi-square, df, P."""
    return pd.DataFrame({"Event type": [humanize(c) for c in tests["cause"]],
                         "Chi-square": [f"{v:.2f}" for v in tests["statistic"]],
                         "df": [f"{int(v)}" for v in tests["df"]],
                         "P": [format_p(float(v)) for v in tests["p_value"]]})


def subgroup_table(frame: pd.DataFrame, reference: str, experimental: str) -> pd.DataFrame:
    """The forest plot's rows: subgroup, level, subjects, events per arm, HR (95% CI), interaction P."""
    rows = []
    for _, r in frame.iterrows():
        row = {"Subgroup": humanize(r["subgroup"]), "Level": humanize(r["level"]) if r["level"] else "",
               "Subjects": f"{int(r['n'])}"}
        for arm in (reference, experimental):
            if f"events_{arm}" in frame.columns:
                row[f"Events, {arm}"] = f"{int(r[f'events_{arm}'])}"
        row[f"Hazard ratio {experimental} vs {reference} (95% CI)"] = format_hr(r["hr"], r["lower"], r["upper"])
        row["Interaction P"] = format_p(float(r["p_interaction"]))
        rows.append(row)
    return pd.DataFrame(rows)


def safety_table(frame: pd.DataFrame, reference: str, experimental: str) -> pd.DataFrame:
    """Subjects with each event per arm as ``n (%; 95% CI)`` and the risk difference in points."""
    rows = []
    for _, r in frame.iterrows():
        row: dict[str, str] = {}
        if "body_system" in frame.columns:
            row["Body system"] = humanize(r["body_system"])
            row["Term"] = humanize(r["term"])
        else:
            row["Event"] = humanize(r.iloc[0])
        for arm in (reference, experimental):
            row[f"{arm}: n (%; 95% CI)"] = (f"{int(r[f'n_{arm}'])} ({r[f'%_{arm}']:.1f}; "
                                             f"{percent_ci(r[f'lower_{arm}'], r[f'upper_{arm}'])})")
        row["Difference, points (95% CI)"] = (f"{_num(r['difference (pp)'], 1)} "
                                               f"({_interval(r['difference_lower'], r['difference_upper'], 1)})")
        rows.append(row)
    return pd.DataFrame(rows)
