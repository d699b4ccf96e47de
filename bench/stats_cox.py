"""Benchmark: Cox model (Efron ties, p = 5) in survtrial vs R survival::coxph and lifelines.

Run from the repository root: ``python bench/stats_cox.py`` (sizes 1e4, 1e5, 1e6; continuous times
and heavily tied times rounded to 100 distinct values). Every tool fits the same data in its own
subprocess (so peak RSS, from ``os.wait4``, is per tool and size: interpreter + data + fit);
times are medians of 3 repeats of the fit alone; ratios are peer time / survtrial time.
R (``bench/stats_cox.R``) runs when ``Rscript`` is on the PATH, with ``timefix = FALSE`` in both
programs (neither merges nearly equal times, so both see identical ties and do the same work) and
otherwise R defaults, which include the concordance; the column ``+C s`` is survtrial with
``concordance=True`` for that comparison. lifelines (CoxPHFitter, Efron) is skipped at a size when
its time extrapolated from the previous size exceeds 60 s. ``dcoef`` columns are the largest
absolute coefficient difference against each peer.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _timing import median_time

HERE = Path(__file__).resolve().parent
P = 5
BETA = np.array([0.5, -0.3, 0.2, 0.0, 0.1])
LIFELINES_LIMIT_S = 60.0


def make_data(n: int, tied: bool, seed: int = 20240601) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Five N(0,1) covariates, exponential event times, exponential censoring (about 35%)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, P))
    event_time = rng.exponential(1 / np.exp(x @ BETA))
    censor_time = rng.exponential(2.0, n)
    t = np.minimum(event_time, censor_time)
    if tied:
        t = np.ceil(t / t.max() * 100)  # at most 100 distinct times
    return t, (event_time <= censor_time).astype(np.int32), x


def save(d: Path, case: str, t: np.ndarray, e: np.ndarray, x: np.ndarray) -> None:
    t.astype("<f8").tofile(d / f"{case}_time.f64")
    e.astype("<i4").tofile(d / f"{case}_event.i32")
    np.ascontiguousarray(x.T).astype("<f8").tofile(d / f"{case}_x.f64")  # column-major for R


def load(d: Path, case: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.fromfile(d / f"{case}_time.f64", dtype="<f8")
    e = np.fromfile(d / f"{case}_event.i32", dtype="<i4")
    x = np.fromfile(d / f"{case}_x.f64", dtype="<f8").reshape(P, n).T.copy()
    return t, e, x


def worker(tool: str, d: Path, case: str, n: int) -> dict:
    t, e, x = load(d, case, n)
    if tool == "survtrial":
        from survtrial.stats.cox import cox_ph

        secs, fit = median_time(lambda: cox_ph(t, e, x, timefix=False))
        c_secs, _ = median_time(lambda: cox_ph(t, e, x, concordance=True, timefix=False))
        return {"seconds": secs, "seconds_c": c_secs, "coef": fit.coef.tolist()}
    import pandas as pd
    from lifelines import CoxPHFitter

    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(P)]).assign(time=t, event=e)

    def fit_once():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return CoxPHFitter().fit(df, "time", "event")

    secs, fit = median_time(fit_once)
    return {"seconds": secs, "coef": fit.params_.to_numpy().tolist()}


def spawn(cmd: list[str]) -> tuple[str, int, int]:
    """Run a command; return (stdout, exit status, peak RSS in MiB) of that child alone."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        print(f"{cmd[0]} failed:\n{err[-2000:]}", file=sys.stderr)
    return out, proc.returncode, usage.ru_maxrss // 1024  # Linux: ru_maxrss in KiB


def run_python(tool: str, d: Path, case: str, n: int) -> dict | None:
    out, rc, rss = spawn([sys.executable, __file__, "--worker", tool, "--dir", str(d), "--case", case, "--n", str(n)])
    if rc != 0:
        return None
    res = json.loads(out.strip().splitlines()[-1])
    res["rss"] = rss
    return res


def run_r(d: Path, case: str, n: int) -> dict | None:
    out, rc, rss = spawn(["Rscript", str(HERE / "stats_cox.R"), str(d), case, str(n)])
    if rc != 0:
        return None
    vals = out.strip().splitlines()[-1].split(",")
    return {"seconds": float(vals[0]), "coef": [float(v) for v in vals[1:]], "rss": rss}


def fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5, 1e6])
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--no-lifelines", action="store_true")
    parser.add_argument("--worker", choices=["survtrial", "lifelines"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.dir), args.case, args.n)))
        return

    use_r = not args.no_r and shutil.which("Rscript") is not None
    if not args.no_r and not use_r:
        print("Rscript not found: R columns left empty")
    header = (f"{'case':<22}{'ours s':>8}{'+C s':>8}{'R s':>8}{'R/ours':>8}{'lifel. s':>10}"
              f"{'lif/ours':>9}{'dcoef R':>10}{'dcoef lif':>10}{'RSS ours':>9}{'RSS R':>7}{'RSS lif':>8}")
    print(header + "\n" + "-" * len(header))
    last_lifelines: dict[bool, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for n in (int(s) for s in args.sizes):
            for tied in (False, True):
                case = f"n{n:.0e}_{'tied' if tied else 'continuous'}".replace("+0", "")
                save(d, case, *make_data(n, tied))
                ours = run_python("survtrial", d, case, n)
                r = run_r(d, case, n) if use_r else None
                lif, lif_note = None, "-"
                if not args.no_lifelines:
                    prev = last_lifelines.get(tied)
                    if prev is not None and prev * 10 > LIFELINES_LIMIT_S:
                        lif_note = "skipped"
                    else:
                        lif = run_python("lifelines", d, case, n)
                        if lif is not None:
                            last_lifelines[tied] = lif["seconds"]
                for f in (d / f"{case}_time.f64", d / f"{case}_event.i32", d / f"{case}_x.f64"):
                    f.unlink()
                if ours is None:
                    print(f"{case:<22} survtrial failed")
                    continue
                b = np.asarray(ours["coef"])
                dr = float(np.max(np.abs(np.asarray(r["coef"]) - b))) if r else None
                dl = float(np.max(np.abs(np.asarray(lif["coef"]) - b))) if lif else None
                print(
                    f"{case:<22}{ours['seconds']:>8.3f}{ours['seconds_c']:>8.3f}"
                    f"{fmt(r and r['seconds']):>8}{fmt(r and r['seconds'] / ours['seconds'], '.1f'):>8}"
                    f"{(fmt(lif['seconds']) if lif else lif_note):>10}"
                    f"{fmt(lif and lif['seconds'] / ours['seconds'], '.1f'):>9}"
                    f"{fmt(dr, '.1e'):>10}{fmt(dl, '.1e'):>10}"
                    f"{ours['rss']:>9}{fmt(r and r['rss'], 'd'):>7}{fmt(lif and lif['rss'], 'd'):>8}",
                    flush=True,
                )
    print("\nseconds: median of 3 fits; RSS: peak resident set of the tool's process in MiB")


if __name__ == "__main__":
    main()
