"""Shared helpers of the report tests: synthetic trial frames (plain-loop estimators) and a small
end-to-end report that the HTML and browser tests (and pipeline tests) reuse."""

from __future__ import annotations

import numpy as np
import pandas as pd

KM_COLUMNS = ["group", "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"]
PAYLOAD = "<script>alert(1)</script>"


def plain_km(time, event, group) -> pd.DataFrame:
    """Kaplan-Meier by a plain loop over distinct times (textbook product-limit, Greenwood SE,
    log(-log) 95% limits): the tidy frame contract of kaplan_meier(...).to_frame()."""
    rows = []
    z = 1.959963984540054
    for g in pd.unique(group):
        t, e = time[group == g], event[group == g]
        s, greenwood = 1.0, 0.0
        for u in np.unique(t):
            n = int(np.sum(t >= u))
            d = int(np.sum((t == u) & (e == 1)))
            c = int(np.sum((t == u) & (e == 0)))
            if d:
                s *= 1 - d / n
                greenwood += d / (n * (n - d)) if n > d else np.inf
            lo = hi = 1.0 if s == 1 else np.nan
            if 0 < s < 1:
                half = z * np.sqrt(greenwood) / abs(np.log(s))
                lo, hi = np.exp(-np.exp(np.log(-np.log(s)) + half)), np.exp(-np.exp(np.log(-np.log(s)) - half))
            se = 0.0 if s == 0 else s * np.sqrt(greenwood)  # the plots do not use it once S = 0
            rows.append((g, float(u), n, d, c, s, se, lo, hi))
    return pd.DataFrame(rows, columns=KM_COLUMNS)


def synthetic_trial(seed: int = 20240630, n: int = 300, arms=("Chemotherapy", "Blinatumomab")):
    """Exponential DFS with uniform censoring over 0.2-5.2 years; returns (time, event, group)."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.asarray(arms, dtype=object), n)
    rate = np.where(group == arms[0], 0.043, 0.014)
    t = rng.exponential(1 / rate)
    c = rng.uniform(0.2, 5.2, group.size)
    return np.round(np.minimum(t, c), 3), (t <= c).astype(int), group


def forest_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "subgroup": ["Overall", "Risk group", "Risk group", "Sex", "Sex", "Age", "Age"],
        "level": [None, "SR-Avg", "SR-High", "Male", "Female", "1-<5 years", "5-<10 years"],
        "n": [600, 360, 240, 316, 284, 400, 200],
        "events": [60, 27, 33, 32, 28, 41, 19],
        "events_chemo": [45, 20, 25, 24, 21, 30, 15],
        "events_blina": [15, 7, 8, 8, 7, 11, 4],
        "hr": [0.33, 0.35, 0.32, 0.30, 0.37, 0.36, 0.27],
        "lower": [0.19, 0.15, 0.15, 0.14, 0.17, 0.19, 0.09],
        "upper": [0.58, 0.82, 0.69, 0.64, 0.81, 0.68, 0.81],
        "p_interaction": [np.nan, 0.87, 0.87, 0.72, 0.72, 0.0004, np.nan],
    })


def cif_frame(seed: int = 7) -> pd.DataFrame:
    """Aalen-Johansen CIF by a plain loop for two causes in two arms (no CI needed by the plot)."""
    rng = np.random.default_rng(seed)
    rows = []
    for arm, scale in (("Chemotherapy", 1.0), ("Blinatumomab", 0.35)):
        n = 200
        t = rng.exponential(1 / (0.05 * scale), n)
        cause = np.where(rng.uniform(size=n) < 0.7, "Marrow relapse", "Other relapse")
        c = rng.uniform(0.5, 5, n)
        time, status = np.minimum(t, c), np.where(t <= c, cause, "censored")
        s, cif = 1.0, {"Marrow relapse": 0.0, "Other relapse": 0.0}
        for u in np.unique(time):
            at_risk = np.sum(time >= u)
            d = {k: np.sum((time == u) & (status == k)) for k in cif}
            if sum(d.values()) == 0:
                continue
            for k, deaths in d.items():
                cif[k] += s * deaths / at_risk
                rows.append((arm, k, float(u), cif[k], max(cif[k] - 0.03, 0.0), min(cif[k] + 0.03, 1.0)))
            s *= 1 - sum(d.values()) / at_risk
    return pd.DataFrame(rows, columns=["group", "cause", "time", "cif", "lower", "upper"])


def build_report(payload: str = PAYLOAD):
    """A small end-to-end report over synthetic frames with ``payload`` in every user-text slot.

    Returns (report, km_frame). Reused by the HTML and browser tests.
    """
    from survtrial.report.html import Report, provenance
    from survtrial.report.plots import cumulative_incidence_plot, forest_plot, km_plot

    time, event, group = synthetic_trial(arms=("Chemotherapy", f"Blinatumomab {payload}"))
    km = plain_km(time, event, group)
    forest = forest_frame()
    forest.loc[1, "level"] = f"SR-Avg {payload}"
    report = Report(
        f"Interim report {payload}", subtitle=f"Subtitle {payload}", banner=f"Confidential {payload}",
        provenance=provenance(seed=20240630, scenario=f"aall1731 {payload}", command=["survtrial", payload]),
    )
    report.add_section(f"Primary endpoint {payload}", text=f"First paragraph {payload}.\n\nSecond paragraph.")
    report.add_figure(km_plot(km, title=f"DFS {payload}", xlabel="Years from randomization"),
                      f"Kaplan-Meier estimates {payload}", name="km")
    summary = km.groupby("group", sort=False).agg(patients=("n_risk", "max"), events=("n_event", "sum")).reset_index()
    report.add_table(summary, f"Events by arm {payload}", csv_name="events_by_arm")
    report.add_heading(f"Heading {payload}")
    report.add_note(f"Note {payload}", title=f"Note title {payload}")
    report.add_section("Subgroups")
    report.add_figure(forest_plot(forest), f"Forest plot {payload}", name="forest")
    report.add_table(forest, "Subgroup analysis", csv_name="subgroups")
    report.add_section("Competing risks and safety", page_break=False)
    report.add_figure(cumulative_incidence_plot(cif_frame()), "Cumulative incidence", name="cif")
    ae = pd.DataFrame({"AE term": [f"Fever {payload}", "Seizure"], f"arm {payload}": [12, 1]})
    report.add_table(ae, f"Adverse events {payload}")
    report.add_callout(f"Callout {payload}", kind="warning", title=f"Warning {payload}")
    return report, km
