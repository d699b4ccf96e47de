"""Benchmark: the AALL1731 twin end to end (one replicate with report) and 1000 replicates of the analysis.

Targets (issue 14): one replicate end to end under 3 s; 1000 replicates (no report) under 30 s on 2 workers.
Prints medians over --repeats runs and the published-vs-twin table of the 1000-replicate run (markdown).
"""

from __future__ import annotations

import argparse
import shutil
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
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="survtrial-twin-"))
    try:
        one = []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            reproduce("aall1731", seed=1731 + r, out=tmp / f"run{r}")
            one.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        reps = run_replicates("aall1731", replicates=args.replicates, seed=1731, workers=args.workers)
        many = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"one replicate end to end (simulate, analyse, write report): median {np.median(one):.2f} s "
          f"over {args.repeats} (target < 3 s)")
    print(f"{args.replicates} replicates of the analysis on {args.workers} workers: {many:.1f} s "
          f"({args.replicates / many:.0f} twins/s; target < 30 s)")
    cmp = compare_with_published(reps)
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
