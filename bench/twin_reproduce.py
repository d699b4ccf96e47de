"""Benchmark: a twin end to end (one replicate with report) and 1000 replicates of the analysis.

Targets (issue 14): one replicate end to end under 3 s; 1000 replicates (no report) under 30 s on 2 cores.
Prints medians over --repeats runs, the CPU time beside each wall time (the machine may be shared: the
load average is printed before and after), and the published-vs-twin table of the 1000-replicate run
(markdown).
``--twin`` names a packaged twin or a twin YAML (default aall1731).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from survtrial.workflows.reproduce import reproduce
from survtrial.workflows.twin import compare_with_published, run_replicates


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


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
        cli, cli_cpu = [], []
        for r in range(args.repeats):  # a fresh process: start-up, imports and compilation included
            c0, t0 = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run([sys.executable, "-c", "from survtrial.cli import app; app()", "reproduce", args.twin,
                            "--seed", str(1731 + r), "--out", str(tmp / f"cli{r}")], check=True,
                           stdout=subprocess.DEVNULL)
            cli.append(time.perf_counter() - t0)
            cli_cpu.append(_cpu(resource.RUSAGE_CHILDREN) - c0)
        one, one_cpu = [], []
        for r in range(args.repeats):
            c0, t0 = time.process_time(), time.perf_counter()
            reproduce(args.twin, seed=1731 + r, out=tmp / f"run{r}")
            one.append(time.perf_counter() - t0)
            one_cpu.append(time.process_time() - c0)
        c0, k0, t0 = time.process_time(), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        reps = run_replicates(args.twin, replicates=args.replicates, seed=1731, workers=args.workers)
        many = time.perf_counter() - t0
        many_cpu = time.process_time() - c0 + _cpu(resource.RUSAGE_CHILDREN) - k0  # the workers have exited
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    after = os.getloadavg()[0]
    print(f"load average (1 min) before the runs {load:.1f}, after {after:.1f} on {os.cpu_count()} CPUs "
          "(a shared machine inflates wall times, not CPU times)")
    print(f"`survtrial reproduce {args.twin}` in a fresh process (start-up, simulate, analyse, write report): "
          f"median {np.median(cli):.2f} s wall, {np.median(cli_cpu):.2f} s CPU over {args.repeats} (target < 3 s)")
    print(f"one replicate end to end in a warm process: median {np.median(one):.2f} s wall, "
          f"{np.median(one_cpu):.2f} s CPU over {args.repeats}")
    print(f"{args.replicates} replicates of the analysis on {args.workers} workers: {many:.1f} s wall "
          f"({args.replicates / many:.0f} twins/s; target < 30 s), {many_cpu:.1f} s CPU in all processes "
          f"({1000 * many_cpu / args.replicates:.0f} ms per replicate)")
    cmp = compare_with_published(args.twin, reps)
    if "interim_stop" in reps.columns:
        stop = reps["interim_stop"].mean()
        print(f"share of twins stopping at the first interim: {100 * stop:.1f}% "
              f"(MC SE {100 * np.sqrt(stop * (1 - stop) / len(reps)):.1f}%)\n")
    print("| headline | published | twin mean | twin SD | twin 2.5% | twin 97.5% | published inside |")
    print("|---|---|---|---|---|---|---|")
    for r in cmp.to_dict("records"):
        d = 3 if abs(r["published"]) < 1 else 2
        print(f"| {r['headline']} | {r['published']:g} | {r['twin_mean']:.{d}f} | {r['twin_sd']:.{d}f} | "
              f"{r['twin_2.5%']:.{d}f} | {r['twin_97.5%']:.{d}f} | {'yes' if r['published_inside_95%'] else 'NO'} |")
    _curve_targets(args.twin, cmp)


def _curve_targets(twin: str, cmp) -> None:
    """Issue 14's curve-level targets over the replicates, each with its criterion and whether it holds
    (for a twin with AALL1731's keys: ``hr``, ``rmst_days``, at-risk and survival headlines)."""
    from survtrial.workflows.twin_spec import load_twin

    tw = load_twin(twin)
    c = cmp.set_index("key")
    if not {"hr", "rmst_days"} <= set(c.index):
        return
    kinds = {k: h.kind for k, h in tw.headlines.items()}
    print("\n| curve-level target | published | criterion | twins (mean) | holds |\n|---|---|---|---|---|")
    hr = c.loc["hr"]
    lo, hi = np.exp(np.log(hr["published"]) + np.array([-0.15, 0.15]))
    print(f"| mean Cox HR (stratified by risk group) | {hr['published']:g} | {lo:.3f} to {hi:.3f} "
          f"(exp(log 0.39 +- 0.15)) | {hr['twin_mean']:.3f} | {'yes' if lo <= hr['twin_mean'] <= hi else 'NO'} |")
    for k in [k for k, kind in kinds.items() if kind == "at_risk"]:
        r = c.loc[k]
        rel = r["twin_mean"] / r["published"] - 1
        print(f"| mean {r['headline'][0].lower()}{r['headline'][1:]} | {r['published']:g} | within 10% | "
              f"{r['twin_mean']:.1f} ({100 * rel:+.1f}%) | {'yes' if abs(rel) <= 0.10 else 'NO'} |")
    for k in [k for k, kind in kinds.items() if kind == "survival"
              and tw.endpoint_of(tw.headlines[k]) == tw.primary_endpoint]:
        r = c.loc[k]
        gap = (r["twin_mean"] - r["published"]) / r["published_se"]
        print(f"| mean {r['headline']} | {r['published']:g} (SE {r['published_se']:g}) | within 1 published SE | "
              f"{r['twin_mean']:.2f} ({gap:+.2f} SE) | {'yes' if abs(gap) <= 1 else 'NO'} |")
    r = c.loc["rmst_days"]
    se = (r["published_upper"] - r["published_lower"]) / (2 * 1.959964)
    gap = (r["twin_mean"] - r["published"]) / se
    label = f"{r['headline'][0].lower()}{r['headline'][1:]}"
    print(f"| mean {label} | {r['published']:g} (SE {se:.1f} from the CI) | within 1 published SE | "
          f"{r['twin_mean']:.1f} ({gap:+.2f} SE) | {'yes' if abs(gap) <= 1 else 'NO'} |")
    inside = int(cmp["published_inside_95%"].sum())
    print(f"| every headline inside the twins' central 95% | | {len(cmp)} headlines | {inside} of {len(cmp)} | "
          f"{'yes' if inside == len(cmp) else 'NO'} |")

if __name__ == "__main__":
    main()
