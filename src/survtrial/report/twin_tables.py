"""A twin's tables as read: published figures beside the twin's, each in its unit's format, percent CIs in [0, 100]."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from survtrial.report._style import format_hr
from survtrial.report.display import DASH, MINUS, humanize, percent_ci
from survtrial.report.display import signed as signed_text

__all__ = [
    "accrual_table",
    "at_risk_fit_table",
    "calibrated_hazards_table",
    "curve_targets_table",
    "published_vs_twin_table",
    "replicates_table",
    "value_text",
]

#: Decimals per headline unit ('ratio' goes through format_hr: two decimals).
_DECIMALS = {"%": 1, "days": 0, "years": 2, "months": 1, "weeks": 1, "patients": 0}


def value_text(value: float, unit: str, *, signed: bool = False) -> str:
    """A headline value in its unit's format: hazard ratios with two decimals, percents with one,
    days and patients whole; NA when missing."""
    if value is None or not math.isfinite(value):
        return "NA"
    if unit == "ratio" and not signed:
        return format_hr(value)
    d = 2 if unit == "ratio" else _DECIMALS.get(unit, 2)
    return signed_text(value, d) if signed else f"{value:.{d}f}".replace("-", MINUS)


def _ci_text(low: float, high: float, unit: str) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    if unit == "%":
        return percent_ci(low, high)
    if unit == "ratio":
        return f"{low:.2f}{DASH}{high:.2f}"
    return f"{value_text(low, unit)}{DASH}{value_text(high, unit)}"


def _spread_text(value: float, unit: str) -> str:
    """A mean or SD over twins: one decimal more than a single value for counts and ratios."""
    if unit == "patients":
        return f"{value:.1f}" if math.isfinite(value) else "NA"
    if unit == "ratio":
        return f"{value:.3f}" if math.isfinite(value) else "NA"
    return value_text(value, unit)


def _published(r: Any) -> str:
    ci = _ci_text(r.published_lower, r.published_upper, r.unit)
    return value_text(r.published, r.unit) + (f" ({ci})" if ci else "")


def published_vs_twin_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """One twin beside the paper: headline, published value (95% CI), published SE, twin, difference
    (twin minus published), each in the headline's unit."""
    rows = []
    for r in comparison.itertuples(index=False):
        rows.append({"Headline": humanize(r.headline), "Published (95% CI)": _published(r),
                     "Published SE": value_text(r.published_se, r.unit) if r.unit != "ratio" else
                     (f"{r.published_se:.3f}" if math.isfinite(r.published_se) else "NA"),
                     "Twin": value_text(r.twin, r.unit),
                     "Twin \u2212 published": value_text(r.difference, r.unit, signed=True)})
    return pd.DataFrame(rows)


def replicates_table(comparison: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The twins' distribution beside the paper: published value (95% CI), the twins' mean (SD), their
    central ``level`` interval (the ``twin_<q>%`` columns of the comparison) and whether the published
    value lies inside it."""
    lo_col, hi_col = f"twin_{100 * (1 - level) / 2:g}%", f"twin_{100 * (1 + level) / 2:g}%"
    inside_col = f"published_inside_{100 * level:g}%"
    rows = []
    for _, r in comparison.iterrows():
        unit = r["unit"]
        inside = r.get(inside_col)
        rows.append({"Headline": humanize(r["headline"]), "Published (95% CI)": _published(r),
                     "Twins: mean (SD)": f"{_spread_text(r['twin_mean'], unit)} ({_spread_text(r['twin_sd'], unit)})",
                     f"Twins: central {100 * level:g}%": _ci_text(r[lo_col], r[hi_col], unit),
                     "Published inside": "" if inside is None or pd.isna(inside) else ("yes" if inside else "NO")})
    return pd.DataFrame(rows)


def calibrated_hazards_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The scenario's calibrated hazards with interval headers in words: ``hazard [0, 1)`` ->
    ``Years 0-1``, ``hazard [3, inf)`` -> ``After 3 years``; ``S(3y) %`` -> ``Survival at 3 years, %``."""
    names = {}
    for c in frame.columns:
        m = re.fullmatch(r"hazard \[([\d.]+), ([\w.]+)\)", str(c))
        s = re.fullmatch(r"S\(([\d.]+)y\) %", str(c))
        if m:
            a, b = m.groups()
            names[c] = f"After {a} years" if b == "inf" else f"Years {a}{DASH}{b}"
        elif s:
            names[c] = f"Survival at {s.group(1)} years, %"
        else:
            names[c] = humanize(c)
    out = frame.rename(columns=names)
    for c in out.columns:
        if str(c).startswith(("Years", "After")):
            out[c] = [f"{v:.4f}" for v in out[c]]
        elif str(c).startswith("Survival"):
            out[c] = [f"{v:.1f}" for v in out[c]]
    return out


def curve_targets_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A scenario's curve targets (``CurveFit.to_frame()``: target, published, se, scale, model,
    residual) as read: each value in its scale (hazard ratios two decimals, proportions as percents),
    the residual in SEs."""
    rows = []
    for _, r in frame.iterrows():
        scale = str(r["scale"])
        se = f"{100 * r['se']:.2f} points" if scale == "proportion" else (
            f"{r['se']:.3f} (of the log)" if scale == "log" else f"{r['se']:.3g} {scale}")
        rows.append({"Target": humanize(r["target"]), "Published": _scaled(r["published"], scale), "SE": se,
                     "Calibrated model": _scaled(r["model"], scale), "Residual, SEs": signed_text(r["residual"], 2)})
    return pd.DataFrame(rows)


def _scaled(v: float, scale: str) -> str:
    """A curve target's value: proportions as percents, hazard ratios (log scale) with two decimals."""
    if scale == "proportion":
        return f"{100 * v:.1f}%"
    if scale == "log":
        return format_hr(v)
    return f"{value_text(v, scale if scale in _DECIMALS else 'years')} {scale}"



def accrual_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Accrual pieces (``AccrualFit.to_frame("pieces")``): dates, years from the start, patients per
    year and patients enrolled in each piece."""
    return pd.DataFrame({
        "From": [str(v) for v in frame["start"]], "To": [str(v) for v in frame["end"]],
        "Years from start": [f"{a:.2f}{DASH}{b:.2f}" for a, b in zip(frame["start_years"], frame["end_years"],
                                                                     strict=True)],
        "Patients per year": [f"{v:.1f}" for v in frame["rate_per_year"]],
        "Patients enrolled": [f"{v:.1f}" for v in frame["patients"]],
    })


def at_risk_fit_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers at risk, published and expected under the solved accrual (``AccrualFit.to_frame("at_risk")``)."""
    return pd.DataFrame({
        "Arm": [str(v) for v in frame["arm"]], "Year": [f"{v:g}" for v in frame["year"]],
        "Published": [f"{v:.0f}" for v in frame["published"]], "Expected": [f"{v:.1f}" for v in frame["fitted"]],
        "Expected \u2212 published": [signed_text(v, 1) for v in frame["difference"]],
        "Relative difference, %": [signed_text(100 * v, 1) for v in frame["relative_difference"]],
    })
