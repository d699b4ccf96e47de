"""Regenerate examples/adam/: an ADaM-shaped copy (ADSL, ADTTE, ADAE as CSV and XPT) of one AALL1731 twin.

Run:  python examples/make_adam_example.py   (seed 1731; same seed, same files)
"""

from __future__ import annotations

from pathlib import Path

from survtrial.data.export import to_adam, write_adam
from survtrial.simulate.trial import simulate_trial

HERE = Path(__file__).resolve().parent
VARIABLES = {"risk_group": "RISKGRP", "sex": "SEX", "ethnicity": "ETHNIC", "cytogenetics": "CYTOGEN",
             "age_years": "AGE"}
TOXICITIES = {
    "tox_crs_grade3plus": ("Cytokine release syndrome", "Immune system disorders", 3),
    "tox_seizure": ("Seizure", "Nervous system disorders", 3),
    "tox_fever": ("Fever", "General disorders and administration site conditions", 2),
    "tox_infection_grade3plus": ("Infection", "Infections and infestations", 3),
}


def main(seed: int = 1731) -> Path:
    patients = simulate_trial("aall1731", seed)
    frames = to_adam(patients, subject="patient_id", arm="arm", study="AALL1731SIM",
                     endpoints={"DFS": ("dfs_time", "dfs_event", "dfs_event_type"),
                                "OS": ("os_time", "os_event", None)},
                     variables=VARIABLES, toxicities=TOXICITIES)
    return write_adam(frames, HERE / "adam", formats=("csv", "xpt"))


if __name__ == "__main__":
    print(f"wrote {main()}")
