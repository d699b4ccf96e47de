"""Benchmark: reconstruction of a two-arm curve with 1,500 patients (Guyot et al. 2012), whole call.

Target (issue 14): under 1 s including start-up. A trial of 750 + 750 patients is simulated (control
hazard 0.35/year, HR 0.7, uniform accrual over 3 years, cut at 5, dropout 0.05/year), its curves read at every step
(about 300-400 points per arm, as Guyot et al. instruct) with reading noise, numbers at risk yearly.
Timed, each in a fresh interpreter (median of --repeats):

* ``python -c "import survtrial; survtrial.reconstruct_ipd(curve.csv, at_risk.csv, clean=True)"``
  (start-up, imports, reading the CSVs, reconstruction, fit report);
* ``survtrial reconstruct --curve ... --out DIR`` (the CLI, writing Parquet and CSV);
* the floor: ``python -c "import pandas"`` in the same interpreter, what any pandas-based tool pays.

No R peer: IPDfromKM and survHE are not installable here (not in Debian).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def make_inputs(folder: Path, seed: int = 1) -> tuple[Path, Path]:
    from survtrial.data.reconstruct import km_at

    rng = np.random.default_rng(seed)
    curves, risks = [], []
    for arm, rate in (("control", 0.35), ("experimental", 0.35 * 0.7)):
        x = rng.exponential(1 / rate, 750)
        c = np.minimum(5.0 - rng.uniform(0, 3, 750), rng.exponential(1 / 0.05, 750))
        t, e = np.minimum(x, c), (x <= c).astype(int)
        steps = np.concatenate([[0.0], np.unique(t[(e == 1) & (t <= 4.5)]), [4.5]])
        s = km_at(t, e, steps)
        s[1:] += rng.normal(0, 0.002, steps.size - 1)
        curves.append(pd.DataFrame({"arm": arm, "time": steps, "survival": 100 * np.clip(s, 0, 1)}))
        years = np.arange(5.0)
        risks.append(pd.DataFrame({"arm": arm, "time": years, "n_risk": [(t >= y).sum() for y in years]}))
    curve, risk = folder / "curve.csv", folder / "at_risk.csv"
    pd.concat(curves).to_csv(curve, index=False)
    pd.concat(risks).to_csv(risk, index=False)
    return curve, risk


def wall(cmd: list[str], repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system of the child) over ``repeats`` runs.

    On a shared machine the CPU time is what the call costs when it has a core to itself."""
    secs, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        secs.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(secs), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="survtrial-reconstruct-"))
    try:
        curve, risk = make_inputs(tmp)
        n_points = len(pd.read_csv(curve))
        call = (f"import survtrial; r = survtrial.reconstruct_ipd({str(curve)!r}, {str(risk)!r}, clean=True); "
                f"assert r.time.size == 1500")
        api = wall([sys.executable, "-c", call], args.repeats)
        exe = shutil.which("survtrial") or "survtrial"
        cli = wall([exe, "reconstruct", "--curve", str(curve), "--at-risk", str(risk), "--out", str(tmp / "out"),
                    "--clean"], args.repeats)
        floor = wall([sys.executable, "-c", "import pandas"], args.repeats)
        from survtrial.data.reconstruct import reconstruct_ipd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an interval off by a patient or two is reported, not timed
            reconstruct_ipd(curve, risk, clean=True)  # warm
            inproc = statistics.median(
                _timed(lambda: reconstruct_ipd(curve, risk, clean=True)) for _ in range(args.repeats))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"two arms, 1,500 patients, {n_points} digitized points; median of {args.repeats} runs; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| call | wall s | CPU s | CPU / floor |\n|---|---|---|---|")
    rows = [("reconstruct_ipd, fresh interpreter (start-up + imports + CSV + reconstruction)", api),
            ("survtrial reconstruct CLI (also writes Parquet, CSV, prints tables)", cli),
            ("floor: python -c 'import pandas'", floor)]
    for name, (w, c) in rows:
        print(f"| {name} | {w:.3f} | {c:.3f} | {c / floor[1]:.2f}x |")
    print(f"| reconstruct_ipd in a warm process | {inproc:.3f} | - | - |")
    verdict = "met" if api[1] < 1.0 else "NOT met"
    print(f"target: whole call under 1 s -> {verdict} on CPU time ({api[1]:.2f} s; wall {api[0]:.2f} s)")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
