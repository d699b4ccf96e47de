"""A twin of the colon cancer adjuvant trial (Moertel et al. 1990, 1995) built from figure-level data only.

Three steps, each a command (run from the repository root):

    python examples/colon_twin/colon_twin.py digitize   # colon_patients.csv -> the digitized figures (CSV)
    python examples/colon_twin/colon_twin.py build      # digitized figures -> the scenario's numbers
    python examples/colon_twin/colon_twin.py compare    # the twin over replicates vs the real patient data

``digitize`` stands in for a reader of the printed figures. The published figures' digitized points
were not available to us, so it draws the published-style Kaplan-Meier curves of the real patient
data (R survival's ``colon``, Obs and Lev+5FU arms) and reads them as a reader of a printed figure
would: on a time axis in months, a reading every month from 0 to 102 months, survival read to the
nearest 0.5 percentage point, and the numbers at risk printed under the figure at years 0 to 8.
Nothing else of the patient data is used to build the twin. ``build`` reconstructs patient data from
those readings (Guyot et al. 2012, :func:`survtrial.reconstruct_ipd`), fits piecewise-exponential hazards to it
(:func:`survtrial.piecewise_exponential_fit`) and solves the accrual from the numbers at risk
(:func:`survtrial.solve_accrual_from_at_risk`); the packaged scenario ``colon`` holds the results,
each with its derivation. ``compare`` runs the packaged twin ``colon`` and sets its replicates
beside the real data analysed the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import survtrial as st

HERE = Path(__file__).resolve().parent
ARMS = {"Obs": "obs", "Lev+5FU": "lev5fu"}  # R's labels -> the twin's arm names (Lev alone is not in the twin)
READ_EVERY = 1  # months between readings of a curve (the figure's time axis is in months)
READ_UNTIL = 102  # months: the last reading (the last patient is followed 9.1 years)
READ_TO = 0.005  # survival read to the nearest 0.5 percentage point
AT_RISK_MONTHS = np.arange(0, 97, 12)  # numbers at risk printed at years 0..8
HAZARD_BREAKS = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # yearly pieces to 5 years, one piece after
LOSS_BEFORE = 4.5  # years: censorings before this are losses to follow-up (all patients were followed 5 years)
ACCRUAL_START = dt.date(1984, 3, 1)  # assumption: the calendar does not matter, only the spans
DATA_CUT = dt.date(1993, 6, 1)  # assumption: a cut late enough for every published number at risk
DAYS_PER_YEAR = 365.25


def real_patients(path: Path = HERE / "colon_patients.csv") -> pd.DataFrame:
    """The real patient data of the twin's two arms in the twin's columns (times in years).

    ``dfs_time``/``dfs_event`` are the time to recurrence (a death without recurrence censors it,
    as in R's recurrence records); ``os_time``/``os_event`` overall survival.
    """
    raw = pd.read_csv(path)
    raw = raw[raw["rx"].isin(ARMS)].reset_index(drop=True)
    return pd.DataFrame({
        "patient_id": raw["id"], "arm": pd.Categorical(raw["rx"].map(ARMS), categories=list(ARMS.values())),
        "risk_group": "all", "dfs_time": raw["rec_time"] / DAYS_PER_YEAR, "dfs_event": raw["rec_status"],
        "os_time": raw["death_time"] / DAYS_PER_YEAR, "os_event": raw["death_status"],
    })


def digitize(patients: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The printed figures as a reader would take them, on a time axis in months: curves ``arm, time,
    survival`` (percent, read to 0.5 points every month to 102 months) and numbers at risk ``arm, time,
    n_risk`` at 0, 12, ..., 96 months."""
    months = np.arange(0, READ_UNTIL + 1, READ_EVERY)
    out = {}
    for name, time, event in (("recurrence", "dfs_time", "dfs_event"), ("survival", "os_time", "os_event")):
        frame = pd.DataFrame({"time": patients[time] * 12, "event": patients[event], "arm": patients["arm"]})
        km = st.kaplan_meier("time", "event", "arm", data=frame)
        read = km.survival_at(months.astype(float))
        at_risk = km.survival_at(AT_RISK_MONTHS.astype(float))
        out[f"{name}_curve"] = pd.DataFrame({
            "arm": read["group"].astype(str), "time": read["time"].astype(int),
            "survival": (np.round(read["survival"] / READ_TO) * READ_TO * 100).round(1)})
        out[f"{name}_at_risk"] = pd.DataFrame({
            "arm": at_risk["group"].astype(str), "time": at_risk["time"].astype(int),
            "n_risk": at_risk["n_risk"].astype(int)})
    return out


def read_digitized(folder: Path = HERE) -> dict[str, pd.DataFrame]:
    """The digitized figures shipped beside this script, times converted from months to years."""
    names = ("recurrence_curve", "recurrence_at_risk", "survival_curve", "survival_at_risk")
    out = {n: pd.read_csv(folder / f"{n}.csv") for n in names}
    for frame in out.values():
        frame["time"] = frame["time"] / 12
    return out


def build(digitized: dict[str, pd.DataFrame]) -> dict[str, object]:
    """The scenario's numbers from the digitized figures alone.

    Returns the reconstructions, the recurrence hazards per arm and piece, the loss-to-follow-up rate,
    the 5-year overall survival per arm (read from the figure), and the accrual fit.
    """
    rec = st.reconstruct_ipd(digitized["recurrence_curve"], digitized["recurrence_at_risk"], time_unit="years")
    os_ = st.reconstruct_ipd(digitized["survival_curve"], digitized["survival_at_risk"], time_unit="years")
    rec_fit = st.piecewise_exponential_fit(rec.time, rec.event, rec.arm, breaks=HAZARD_BREAKS)
    os_fit = st.piecewise_exponential_fit(os_.time, os_.event, os_.arm, breaks=HAZARD_BREAKS)
    # Losses to follow-up: censorings of the reconstructed survival data before anyone can have been
    # censored by the data cut, per person-year at risk then (both arms).
    early = np.minimum(os_.time, LOSS_BEFORE)
    dropout = float(np.sum((os_.event == 0) & (os_.time < LOSS_BEFORE)) / early.sum())
    curve = digitized["survival_curve"]
    os5 = {a: float(curve[(curve["arm"] == a) & (curve["time"] == 5.0)]["survival"].iloc[0]) / 100
           for a in rec.arms}
    risk = digitized["survival_at_risk"]
    years = sorted(risk["time"].unique())
    at_risk = {a: risk[risk["arm"] == a].set_index("time").loc[years, "n_risk"].tolist() for a in rec.arms}
    accrual = st.solve_accrual_from_at_risk(
        at_risk, years, accrual_start=ACCRUAL_START, data_cut=DATA_CUT,
        hazards={a: (os_fit.breaks, os_fit.hazards(a)) for a in rec.arms}, dropout=dropout)
    return {"recurrence": rec, "survival": os_, "recurrence_fit": rec_fit, "survival_fit": os_fit,
            "dropout": dropout, "os5": os5, "accrual": accrual}


def _write_digitized() -> None:
    for name, frame in digitize(real_patients()).items():
        frame.to_csv(HERE / f"{name}.csv", index=False)
        print(f"wrote {HERE / name}.csv ({len(frame)} rows)")


def _print_build() -> None:
    b = build(read_digitized())
    for name in ("recurrence", "survival"):
        print(f"{name}: reconstruction fit per arm\n{b[name].summary().to_string(index=False)}\n")
    print(f"recurrence hazards per year (pieces from {HAZARD_BREAKS}):")
    fit = b["recurrence_fit"]
    for a in fit.groups:
        print(f"  {a}: [{', '.join(f'{r:.4f}' for r in fit.hazards(a))}]")
    print(f"loss to follow-up per year: {b['dropout']:.4f}")
    print(f"5-year overall survival read from the figure: {b['os5']}")
    acc = b["accrual"]
    print(acc)
    print(acc.to_frame("pieces").to_string(index=False))
    print(acc.to_frame("at_risk").round(2).to_string(index=False))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["digitize", "build", "compare"])
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1990)
    args = ap.parse_args(argv)
    if args.step == "digitize":
        _write_digitized()
    elif args.step == "build":
        _print_build()
    else:
        _print_compare(args.replicates, args.seed)


def real_headlines(twin: str = "colon") -> dict[str, float]:
    """The twin's headlines computed on the real patient data, analysed as the twin analyses its trials."""
    from survtrial.workflows.twin import analyse_twin, twin_headlines

    real = real_patients()
    return twin_headlines(analyse_twin(real, twin, detailed=False), real, twin)


def compare(replicates: int, seed: int, workers: int | None = None) -> pd.DataFrame:
    """Per headline: the published or digitized value, the real patient data's value, and the twin's
    mean, SD and central 95% over ``replicates`` (child seeds of ``seed``), with whether the real
    value lies inside that band and its distance from the twin mean in twin SDs."""
    from survtrial.workflows.twin import compare_with_published, run_replicates

    reps = run_replicates("colon", replicates=replicates, seed=seed, workers=workers)
    cmp = compare_with_published("colon", reps)
    real = real_headlines()
    cmp.insert(cmp.columns.get_loc("published") + 1, "real", [real[k] for k in cmp["key"]])
    cmp["real_inside_95%"] = (cmp["real"] >= cmp["twin_2.5%"]) & (cmp["real"] <= cmp["twin_97.5%"])
    cmp["real_z"] = (cmp["real"] - cmp["twin_mean"]) / cmp["twin_sd"]
    return cmp


def _cell(r: dict, digits: int) -> str:
    f = f"{{:.{digits}f}}"
    flag = "" if r["real_inside_95%"] else " (real outside)"
    return (f"{f.format(r['published'])} / {f.format(r['real'])} / {f.format(r['twin_mean'])} "
            f"({f.format(r['twin_2.5%'])}-{f.format(r['twin_97.5%'])}){flag}")


def _print_compare(replicates: int, seed: int) -> None:
    """The README table: paper / real data / twin mean (central 95% of the twins), both arms per row."""
    from survtrial.workflows.twin_spec import load_twin

    cmp = compare(replicates, seed).set_index("key")
    tw = load_twin("colon")
    print(f"{replicates} twins (seed {seed}) vs the real patient data (R survival's colon, Obs and Lev+5FU); "
          f"real values outside the twins' central 95%: {int((~cmp['real_inside_95%']).sum())} of {len(cmp)}\n")
    print("| figure | observation: paper / real / twin (95%) | levamisole + fluorouracil: paper / real / twin (95%) |")
    print("|---|---|---|")
    rows: dict[str, dict[str, str]] = {}
    for key, h in tw.headlines.items():
        r = {"key": key, **cmp.loc[key].to_dict()}
        digits = {"%": 1, "patients": 0}.get(h.unit_label, 2)
        if h.arm is None:
            print(f"| {h.label} | {_cell(r, digits)} | |")
            continue
        if h.kind == "median_survival":
            what = f"median {h.endpoint} (years)"
        else:
            what = f"{h.endpoint} S({h.at:g} y) (%)" if h.kind == "survival" else f"at risk at {h.at:g} y"
        rows.setdefault(what, {})[h.arm] = _cell(r, digits)
    for what, cells in rows.items():
        print(f"| {what} | {cells.get('obs', '')} | {cells.get('lev5fu', '')} |")


if __name__ == "__main__":
    main(sys.argv[1:])
