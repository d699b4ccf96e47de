"""Regenerate examples/trial.csv and examples/cohort.csv, the plain-table inputs the README's commands use.

trial.csv: one row per subject of the example twin (examples/adam), DFS in months: ``id, months, relapse
(1 = event, 0 = censored), arm, sex, risk``. cohort.csv: 60 synthetic children in the cohort-file
format of ``survtrial benefit`` / ``classify`` (seed 2025).

Run:  python examples/make_plain_examples.py   (same inputs, same files)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from survtrial.clinical.population import synthetic_cohort

HERE = Path(__file__).resolve().parent
DAYS_PER_MONTH = 365.25 / 12


def main() -> list[Path]:
    adsl = pd.read_csv(HERE / "adam" / "adsl.csv")
    adtte = pd.read_csv(HERE / "adam" / "adtte.csv")
    dfs = adtte[adtte["PARAMCD"] == "DFS"].merge(adsl, on="USUBJID")
    trial = pd.DataFrame({"id": dfs["USUBJID"], "months": (dfs["AVAL"] / DAYS_PER_MONTH).round(3),
                          "relapse": 1 - dfs["CNSR"], "arm": dfs["TRT01P"], "sex": dfs["SEX"],
                          "risk": dfs["RISKGRP"]})
    trial.to_csv(HERE / "trial.csv", index=False)
    synthetic_cohort(60, rng=2025).to_csv(HERE / "cohort.csv", index=False)
    return [HERE / "trial.csv", HERE / "cohort.csv"]


if __name__ == "__main__":
    print("wrote", ", ".join(str(p) for p in main()))
