"""Benchmark: `survtrial analyze` on a 100,000-subject ADTTE with 5 subgroups and a 1,000,000-row ADAE.

Prints the wall time of each stage (read + validate, analyse, report written) and the total, medians
of --repeats runs. Data are synthetic (exponential DFS, uniform censoring), written as Parquet.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from survtrial.workflows.analyze import analyze_adam


def make_data(root: Path, n: int = 100_000, n_ae: int = 1_000_000, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    ids = np.array([f"S{i:06d}" for i in range(n)])
    arm = rng.choice(["chemo", "blina"], n)
    adsl = pd.DataFrame({"USUBJID": ids, "TRT01P": arm, "RISKGRP": rng.choice(["SR-Avg", "SR-High"], n, p=[0.6, 0.4]),
                         "SEX": rng.choice(["M", "F"], n), "ETHNIC": rng.choice(["Hispanic", "Not Hispanic"], n),
                         "CYTOGEN": rng.choice(["ETV6::RUNX1", "trisomy", "other"], n),
                         "AGEGR": rng.choice(["1-4", "5-9"], n)})
    lam = np.where(arm == "blina", 0.015, 0.04)
    t = rng.exponential(1 / lam)
    c = rng.uniform(0.1, 5, n)
    ev = t <= c
    adtte = pd.DataFrame({"USUBJID": ids, "PARAMCD": "DFS", "AVAL": np.minimum(t, c) * 365.25, "AVALU": "DAYS",
                          "CNSR": (~ev).astype(int),
                          "EVNTDESC": np.where(ev, rng.choice(["Marrow relapse", "Other relapse", "Death"], n), "")})
    terms = [(f"Term {k}", f"System {k % 20}") for k in range(200)]
    pick = rng.integers(0, len(terms), n_ae)
    adae = pd.DataFrame({"USUBJID": ids[rng.integers(0, n, n_ae)], "AEDECOD": [terms[k][0] for k in pick],
                         "AEBODSYS": [terms[k][1] for k in pick], "AETOXGR": rng.integers(1, 5, n_ae).astype(str),
                         "TRTEMFL": "Y"})
    adsl.to_parquet(root / "adsl.parquet")
    adtte.to_parquet(root / "adtte.parquet")
    adae.to_parquet(root / "adae.parquet")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="survtrial-bench-"))
    try:
        make_data(root)
        times = []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            res = analyze_adam(root / "adsl.parquet", root / "adtte.parquet", root / "adae.parquet",
                               paramcd="DFS", strata=["RISKGRP"],
                               subgroups=["RISKGRP", "SEX", "ETHNIC", "CYTOGEN", "AGEGR"], reference="chemo")
            t1 = time.perf_counter()
            res.report.write(root / f"out{r}")
            t2 = time.perf_counter()
            times.append((t1 - t0, t2 - t1, t2 - t0))
        med = np.median(np.array(times), axis=0)
        print("analyze: 100,000 subjects, 5 subgroups, 1,000,000 AE rows (Parquet in, report out)")
        print(f"{'stage':<32}{'median s':>10}")
        print(f"{'read + validate + analyse':<32}{med[0]:>10.2f}")
        print(f"{'report (figures, HTML, CSV)':<32}{med[1]:>10.2f}")
        print(f"{'total':<32}{med[2]:>10.2f}   (target < 30 s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
