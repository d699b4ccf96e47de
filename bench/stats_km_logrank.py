"""Benchmark: Kaplan-Meier + log-rank (2 groups) in survtrial vs scipy, lifelines and R survival.

Run from the repository root: ``python bench/stats_km_logrank.py`` (sizes 1e6 and 1e7, continuous and
tied times). Each tool does per-group KM curves plus the two-group log-rank test on the same data;
times are medians of 3 repeats, ratios are peer time / survtrial time (> 1: survtrial faster).
R (``bench/stats_km_logrank.R``: survfit + survdiff) runs when ``Rscript`` is on the PATH.
lifelines runs only up to ``--lifelines-max`` rows (it is slow and memory-hungry beyond that).
The last columns check agreement: relative difference of the chi-square against each peer. R and
survtrial both merge times closer than about sqrt(eps) by default (``timefix``; R's ``aeqSurv``);
scipy and lifelines do not, so on continuous data their rows can differ slightly. scipy 1.17's
``logrank`` multiplies int64 counts in its variance, which overflows silently once n_x * n_y * n is
beyond 9.2e18 (about n = 1e6 with ties, n = 1e7 without): its chi-square is then wrong.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import median_time

from survtrial.stats.km import kaplan_meier
from survtrial.stats.logrank import logrank_test

HERE = Path(__file__).resolve().parent


def make_data(n: int, ties: bool, seed: int = 20240601) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two arms, exponential event times (hazard ratio 0.8), uniform censoring; ties: whole days."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n).astype(np.int32)
    event_time = rng.exponential(np.where(group == 1, 1 / 0.08, 1 / 0.1))
    censor_time = rng.uniform(0.0, 30.0, n)
    time_ = np.minimum(event_time, censor_time)
    if ties:
        time_ = np.ceil(time_ * 30.0)  # "days" on a 30-per-unit grid: about 900 distinct values
    event = (event_time <= censor_time).astype(np.int32)
    return time_, event, group


def run_survtrial(t, e, g):
    fit = kaplan_meier(t, e, g)
    test = logrank_test(t, e, g)
    return fit, test


def run_scipy(t, e, g):
    from scipy import stats

    x = stats.CensoredData(uncensored=t[(g == 0) & (e == 1)], right=t[(g == 0) & (e == 0)])
    y = stats.CensoredData(uncensored=t[(g == 1) & (e == 1)], right=t[(g == 1) & (e == 0)])
    curves = (stats.ecdf(x), stats.ecdf(y))
    return curves, stats.logrank(x, y)


def run_lifelines(t, e, g):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test as ll_logrank

    a, b = g == 0, g == 1
    curves = (KaplanMeierFitter().fit(t[a], e[a]), KaplanMeierFitter().fit(t[b], e[b]))
    return curves, ll_logrank(t[a], t[b], e[a], e[b])


def run_r(cases: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]) -> pd.DataFrame | None:
    if shutil.which("Rscript") is None:
        print("Rscript not found: R columns left empty")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for name, t, e, g in cases:
            t.astype("<f8").tofile(d / f"{name}_time.f64")
            e.astype("<i4").tofile(d / f"{name}_event.i32")
            g.astype("<i4").tofile(d / f"{name}_group.i32")
        pd.DataFrame({"case": [c[0] for c in cases], "n": [c[1].size for c in cases]}).to_csv(
            d / "cases.csv", index=False
        )
        proc = subprocess.run(
            ["Rscript", str(HERE / "stats_km_logrank.R"), str(d)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            print("R failed:\n" + proc.stderr[-2000:])
            return None
        return pd.read_csv(d / "r_results.csv").set_index("case")


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a - b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--lifelines-max", type=float, default=1e6)
    parser.add_argument("--no-r", action="store_true", help="skip the R comparison")
    args = parser.parse_args()

    rows, cases = [], []
    with warnings.catch_warnings():  # warm-up: imports and first-call costs stay out of the timings
        warnings.simplefilter("ignore")
        for fn in (run_survtrial, run_scipy, run_lifelines):
            fn(*make_data(1000, False))
    for n in (int(s) for s in args.sizes):
        for ties in (False, True):
            name = f"n{n}_{'tied' if ties else 'continuous'}"
            t, e, g = make_data(n, ties)
            cases.append((name, t, e, g))
            ours_s, (fit, test) = median_time(lambda t=t, e=e, g=g: run_survtrial(t, e, g))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scipy_s, (_, sres) = median_time(lambda t=t, e=e, g=g: run_scipy(t, e, g))
                if n <= args.lifelines_max:
                    ll_s, (_, lres) = median_time(lambda t=t, e=e, g=g: run_lifelines(t, e, g))
                else:
                    ll_s, lres = float("nan"), None
            rows.append(
                {
                    "case": name,
                    "n": n,
                    "km_rows": fit.time.size,
                    "survtrial_s": ours_s,
                    "scipy_s": scipy_s,
                    "lifelines_s": ll_s,
                    "chisq": test.statistic,
                    "d_scipy": rel(test.statistic, float(sres.statistic) ** 2),
                    "d_lifelines": rel(test.statistic, lres.test_statistic) if lres else float("nan"),
                    "median0": float(fit.median()["estimate"].iloc[0]),
                }
            )
            print(f"done {name}: survtrial {ours_s:.2f}s, scipy {scipy_s:.2f}s, lifelines {ll_s:.2f}s", flush=True)
            del fit, test, sres, lres

    table = pd.DataFrame(rows).set_index("case")
    r = None if args.no_r else run_r(cases)
    if r is not None:
        table["R_s"] = r["seconds"]
        table["d_R"] = [rel(a, b) for a, b in zip(table["chisq"], r.loc[table.index, "chisq"], strict=True)]
        # R's write.csv keeps 15 significant digits: equal to that precision
        table["R_median_equal"] = np.isclose(table["median0"], r.loc[table.index, "median0"], rtol=1e-14, atol=0)
        table["R_rows_equal"] = table["km_rows"] == r.loc[table.index, "rows"]
    else:
        table["R_s"] = np.nan
    for peer in ("scipy", "lifelines", "R"):
        table[f"{peer}/survtrial"] = table[f"{peer}_s"] / table["survtrial_s"]
    cols = ["n", "survtrial_s", "scipy_s", "lifelines_s", "R_s", "scipy/survtrial", "lifelines/survtrial",
            "R/survtrial", "d_scipy", "d_lifelines"] + [c for c in ("d_R", "R_median_equal", "R_rows_equal")
                                                       if c in table]  # fmt: skip
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table[cols].to_string(float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
