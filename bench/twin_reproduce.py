"""Benchmark: a twin end to end (one replicate with report) and 1000 replicates of the analysis.

Targets (issue 14): one replicate end to end under 3 s; 1000 replicates (no report) under 30 s on 2 cores.
Prints medians over --repeats runs and the published-vs-twin table of the 1000-replicate run (markdown).
``--twin`` names a packaged twin or a twin YAML (default aall1731).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from survtrial.workflows.reproduce import reproduce
from survtrial.workflows.twin import compare_with_published, run_replicates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--twin", default="aall1731")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="survtrial-twin-"))
    load = os.getloadavg()[0]
    try:
        cli = []
        for r in range(args.repeats):  # a fresh process: start-up, imports and compilation included
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "from survtrial.cli import app; app()", "reproduce", args.twin,
                            "--seed", str(1731 + r), "--out", str(tmp / f"cli{r}")], check=True,
                           stdout=subprocess.DEVNULL)
            cli.append(time.perf_counter() - t0)
        one = []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            reproduce(args.twin, seed=1731 + r, out=tmp / f"run{r}")
            one.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        reps = run_replicates(args.twin, replicates=args.replicates, seed=1731, workers=args.workers)
        many = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average before the runs: {load:.1f} (a shared machine inflates wall times)")
    print(f"`survtrial reproduce {args.twin}` in a fresh process (start-up, simulate, analyse, write report): "
          f"median {np.median(cli):.2f} s over {args.repeats} (target < 3 s)")
    print(f"one replicate end to end in a warm process: median {np.median(one):.2f} s over {args.repeats}")
    print(f"{args.replicates} replicates of the analysis on {args.workers} workers: {many:.1f} s "
          f"({args.replicates / many:.0f} twins/s; target < 30 s)")
    cmp = compare_with_published(args.twin, reps)
    if "interim_stop" in reps.columns:
        stop = reps["interim_stop"].mean()
        print(f"share of twins stopping at the first interim: {100 * stop:.1f}% "
              f"(MC SE {100 * np.sqrt(stop * (1 - stop) / len(reps)):.1f}%)\n")
    print("| headline | published | twin mean | twin SD | twin 2.5% | twin 97.5% | published inside |")
    print("|---|---|---|---|---|---|---|")
    for r in cmp.to_dict("records"):
        print(f"| {r['headline']} | {r['published']:g} | {r['twin_mean']:.2f} | {r['twin_sd']:.2f} | "
              f"{r['twin_2.5%']:.2f} | {r['twin_97.5%']:.2f} | {'yes' if r['published_inside_95%'] else 'NO'} |")


if __name__ == "__main__":
    main()
