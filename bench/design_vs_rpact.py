"""Benchmark: survtrial.design against rpact in the same run (K=10 boundaries with futility; 1,000-point grid).

Run from the repository root: ``python bench/design_vs_rpact.py``. Needs Rscript with rpact; prints wall
times (best of 3 for survtrial, as rpact's script does for the boundaries), the speed ratio and the
largest relative difference between the two results.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from survtrial.design import group_sequential, survival_sample_size

HERE = Path(__file__).resolve().parent
HR_GRID = np.linspace(0.5, 0.9, 1000)  # = seq(0.5, 0.9, length.out = 1000) in the R script


def best_of(fn, reps: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def k10():
    return group_sequential(k=10, alpha=0.025, beta=0.1, alpha_spending="OF", beta_spending="OF")


def grid():
    d3 = group_sequential(k=3, alpha=0.025, beta=0.2)
    return survival_sample_size(
        HR_GRID, control_hazard=0.05, accrual_time=[0, 6, 24], accrual_intensity=[1, 2], follow_up=12,
        dropout_rate=0.05, dropout_time=12, design=d3,
    )


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.max(np.abs(a[ok] - b[ok]) / np.abs(b[ok])))


def main() -> None:
    t_k10, design = best_of(k10)
    t_grid, res = best_of(grid)
    rows = [("K=10 boundaries, OF alpha + OF beta spending", t_k10, None, None),
            ("1,000-point sample-size grid (3 looks, piecewise accrual, dropout)", t_grid, None, None)]
    if shutil.which("Rscript") is None:
        print("Rscript not found: survtrial timings only")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["Rscript", str(HERE / "design_vs_rpact.R"), tmp], check=True)
            times = pd.read_csv(Path(tmp) / "rpact_times.csv").set_index("task")["seconds"]
            r_k10 = pd.read_csv(Path(tmp) / "rpact_k10.csv")
            r_grid = pd.read_csv(Path(tmp) / "rpact_grid.csv")
        diff_k10 = max(rel_diff(design.upper, r_k10["upper"]), rel_diff(design.lower[:-1], r_k10["lower"][:-1]))
        diff_grid = max(rel_diff(res.max_events, r_grid["max_events"]),
                        rel_diff(res.n_subjects, r_grid["n_subjects"]),
                        rel_diff(res.look_times[:, 0], r_grid["look1"]),
                        rel_diff(res.look_times[:, 1], r_grid["look2"]))
        rows = [(rows[0][0], t_k10, float(times["k10_boundaries"]), diff_k10),
                (rows[1][0], t_grid, float(times["grid_1000"]), diff_grid)]
    print(f"{'task':<68} {'survtrial s':>11} {'rpact s':>9} {'rpact/survtrial':>15} {'max rel diff':>12}")
    for name, ours, theirs, diff in rows:
        ratio = f"{theirs / ours:15.1f}" if theirs else f"{'-':>15}"
        print(f"{name:<68} {ours:11.4f} {theirs if theirs else float('nan'):9.3f} {ratio} "
              f"{diff if diff is not None else float('nan'):12.2e}")


if __name__ == "__main__":
    main()
