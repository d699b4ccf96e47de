"""Synthetic two-arm trial used by the analysis tests (fixed seed)."""

import numpy as np
import pandas as pd
import pytest


def make_trial(n=900, seed=7):
    rng = np.random.default_rng(seed)
    arm = rng.choice(["chemo", "blina"], n)
    risk = rng.choice(["SR-Avg", "SR-High"], n, p=[0.6, 0.4])
    lam = np.where(arm == "blina", 0.03, 0.07) * np.where(risk == "SR-High", 1.7, 1.0)
    t = rng.exponential(1 / lam)
    c = rng.uniform(0.5, 5.0, n)
    time = np.round(np.minimum(t, c), 3)  # rounding creates ties
    event = (t <= c).astype(int)
    etype = np.where(event == 1, rng.choice(["marrow_relapse", "other_relapse", "death_in_remission"], n,
                                            p=[0.6, 0.3, 0.1]), "censored")
    return pd.DataFrame({
        "patient_id": np.arange(n), "time": time, "event": event, "arm": arm, "risk_group": risk,
        "event_type": etype, "sex": rng.choice(["M", "F"], n), "age_years": rng.uniform(1, 10, n),
        "os_time": time, "os_event": (event * (rng.random(n) < 0.3)).astype(int),
        "crs": rng.random(n) < 0.01, "seizure": rng.random(n) < 0.02,
    })


@pytest.fixture(scope="session")
def trial_frame():
    return make_trial()
