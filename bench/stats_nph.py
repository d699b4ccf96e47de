"""Benchmark: the non-proportional-hazards statistics in survtrial vs R survival, same data, same run.

Run from the repository root: ``python bench/stats_nph.py`` (sizes 1e4 and 1e5 by default; well
under a minute). Data: two arms with a delayed effect (hazard ratio 1 before t = 0.5, then 0.6),
4 strata, one numeric covariate, uniform censoring, times rounded to 4 decimals (ties).

Each tool runs in its own process, which starts the interpreter, imports its library, reads the
data and calls every test 3 times; ``whole process`` is that process's wall time (what a user
waits for; survtrial's statistics are numpy, nothing is compiled on first use). Per test,
``first s`` is the first call and ``median s`` the median of the 3 calls, in each tool. Ratios are
R time / survtrial time (> 1: survtrial faster). Pairs: ``weighted_logrank_test(rho=1)`` vs ``survdiff(rho = 1)``,
``logrank_test`` vs ``survdiff``, ``cox_ph`` + ``proportional_hazards_test`` vs ``coxph`` +
``cox.zph`` (and the test alone on a fitted model), ``piecewise_hazard_ratio`` vs ``survSplit`` +
``coxph(arm:strata(tgroup))``; ``maxcombo_test`` (4 FH weights) has no R peer here (simtrial is not
installed) and is shown against survtrial's own log-rank. ``rel diff`` is the relative difference
of the statistic between the two.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CUTS = [0.5, 1.0, 2.0]
TESTS = ("logrank", "fh_rho1", "cox_zph", "zph_only", "piecewise", "maxcombo")


def make_data(n: int, seed: int = 20240611) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    stratum = rng.integers(0, 4, n)
    x = rng.normal(size=n)
    base = 0.5 * np.exp(0.2 * x + 0.1 * stratum)
    e1 = rng.exponential(1 / base)
    late = e1 > 0.5  # delayed effect in arm 1: hazard ratio 0.6 after t = 0.5
    e1 = np.where((arm == 1) & late, 0.5 + (e1 - 0.5) / 0.6, e1)
    c = rng.uniform(0.5, 4.0, n)
    t = np.ceil(np.minimum(e1, c) * 1e4) / 1e4  # 4 decimals (ties), never 0
    return {"time": t, "event": (e1 <= c).astype(np.int32), "arm": arm.astype(np.int32),
            "stratum": stratum.astype(np.int32), "x": x}


def save(d: Path, case: str, data: dict[str, np.ndarray]) -> None:
    for k, v in data.items():
        real = v.dtype.kind == "f"
        v.astype("<f8" if real else "<i4").tofile(d / f"{case}_{k}.{'f64' if real else 'i32'}")


def worker(d: Path, case: str) -> dict:
    """One process: import, read, then 3 timed calls of each test (the first one reported apart)."""
    import survtrial as st

    t = np.fromfile(d / f"{case}_time.f64", dtype="<f8")
    e = np.fromfile(d / f"{case}_event.i32", dtype="<i4")
    arm = np.fromfile(d / f"{case}_arm.i32", dtype="<i4")
    s = np.fromfile(d / f"{case}_stratum.i32", dtype="<i4")
    x = np.fromfile(d / f"{case}_x.f64", dtype="<f8")
    fit = st.cox_ph(t, e, np.column_stack((arm, x)), names=["arm", "x"], strata=s)
    calls = {
        "logrank": lambda: st.logrank_test(t, e, arm, strata=s).statistic,
        "fh_rho1": lambda: st.weighted_logrank_test(t, e, arm, s, rho=1).chi_square,
        "cox_zph": lambda: st.proportional_hazards_test(
            st.cox_ph(t, e, np.column_stack((arm, x)), names=["arm", "x"], strata=s)).statistic[-1],
        "zph_only": lambda: st.proportional_hazards_test(fit).statistic[-1],
        "piecewise": lambda: st.piecewise_hazard_ratio(t, e, arm, cuts=CUTS).coef[-1],
        "maxcombo": lambda: st.maxcombo_test(t, e, arm, s).p_value,
    }
    out = {}
    for name, fn in calls.items():
        values = []
        secs = []
        for _ in range(3):
            t0 = time.perf_counter()
            values.append(float(fn()))
            secs.append(time.perf_counter() - t0)
        out[name] = {"first": secs[0], "seconds": float(np.median(secs)), "value": values[-1]}
    return out


def run(cmd: list[str]) -> tuple[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"{cmd[0]} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return "", wall
    return proc.stdout, wall


def fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.dir), args.case)))
        return
    use_r = shutil.which("Rscript") is not None
    if not use_r:
        print("Rscript not found: R columns left empty")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for n in (int(v) for v in args.sizes):
            case = f"n{n}"
            save(d, case, make_data(n))
            out, cold_py = run([sys.executable, __file__, "--worker", "--dir", str(d), "--case", case])
            ours = json.loads(out.strip().splitlines()[-1]) if out else {}
            r, cold_r = {}, None
            if use_r:
                out_r, cold_r = run(["Rscript", str(HERE / "stats_nph.R"), str(d), case, str(n)])
                for line in out_r.strip().splitlines():
                    name, first, secs, val = line.split(",")
                    r[name] = {"first": float(first), "seconds": float(secs), "value": float(val)}
            print(f"\nn = {n:,}: whole process survtrial {cold_py:.2f} s, R {fmt(cold_r, '.2f')} s, "
                  f"R/survtrial {fmt(cold_r and cold_r / cold_py, '.1f')}")
            header = (f"{'test':<11}{'first ours':>11}{'first R':>9}{'R/ours':>8}{'median ours':>12}"
                      f"{'median R':>10}{'R/ours':>8}{'rel diff':>10}")
            print(header + "\n" + "-" * len(header))
            for name in TESTS:
                o = ours.get(name)
                p = r.get(name)
                if o is None:
                    continue
                r1 = p["first"] / o["first"] if p and o["first"] > 0 else None
                rm = p["seconds"] / o["seconds"] if p and o["seconds"] > 0 else None
                rel = abs(p["value"] - o["value"]) / abs(p["value"]) if p else None
                print(f"{name:<11}{o['first']:>11.4f}{fmt(p and p['first'], '.4f'):>9}{fmt(r1, '.1f'):>8}"
                      f"{o['seconds']:>12.4f}{fmt(p and p['seconds'], '.4f'):>10}{fmt(rm, '.1f'):>8}"
                      f"{fmt(rel, '.1e'):>10}")
            lr = ours.get("logrank", {}).get("seconds")
            mc = ours.get("maxcombo", {}).get("seconds")
            if lr and mc:
                print(f"maxcombo / logrank time (survtrial): {mc / lr:.1f}")


if __name__ == "__main__":
    main()
