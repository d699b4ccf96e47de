"""Why survtrial's first-look rejection differs from rpact's: the enrolment convention, not the test.

rpact's getSimulationSurvival enrols patient i (1-based) at i x 48/1440 months with the arms
alternating, experimental first; survtrial draws enrolment times (order statistics of the
accrual distribution) and randomises in permuted blocks of two. This script simulates the
bench's design (bench/simulate_vs_peers.py) both ways with independent numpy draws and analyses
every trial with survtrial's look kernel (the log-rank z equal to logrank_test, the cut at the
d-th event), so the only difference between the two rows is the enrolment. Run:
``python bench/simulate_rpact_convention.py [TRIALS] [RPACT_ITERATIONS]``.

With R and rpact installed it then compares the whole first look, not only its 0.3% tail:
rpact's stage-1 log-rank statistics and analysis times (``getData``, two seeds) against
survtrial's look kernel on rpact's enrolment convention (two-sample Kolmogorov-Smirnov tests,
means, and the rejection probability at the first bound with its Monte-Carlo z).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulate_vs_peers import DROPOUT, EVENTS, LAMBDA

from survtrial.design import group_sequential
from survtrial.simulate._looks import LookOutputs, analyse_looks, analysis_args, workspace


def _bundles(upper, events):
    """The look kernel's analysis bundle (one stratum, control arm 0, looks at ``events``) and
    outputs for one trial."""
    K = upper.size
    ana = analysis_args(control=0, experimental=1, stratified=False, by_events=True, look_events=events,
                        look_times=np.zeros(K), landmarks=np.zeros(0), cells=False, check_times=np.zeros(0),
                        test_kind=[0], plain_tests=[[0, 0]], weighted_tests=None, maxcombo_tests=None,
                        curve_tests=None, stop_upper=upper[None, :], stop_lower=np.full((1, K), -np.inf))
    out = LookOutputs(cut=np.empty((1, K)), events=np.empty((1, K), np.int64), subjects=np.empty((1, K), np.int64),
                      events_arm=np.empty((1, K, 2)), log_hr=np.empty((1, K)), log_hr_se=np.empty((1, K)),
                      km=np.empty((1, K, 0, 2)), short=np.empty((1, K), np.bool_), stat_z=np.empty((1, 1, K)),
                      stat_estimate=np.empty((1, 1, K)), stat_p=np.empty((1, 1, K)), stat_info=np.empty((1, 1, K, 0)))
    return ana, out


def _rejections(n_trials, seed, hr, upper, events, rpact_enrolment):
    rejected, _, _ = _looks(n_trials, seed, hr, *_bundles(upper, events), rpact_enrolment)
    return rejected


@njit
def _looks(n_trials, seed, hr, ana, out, rpact_enrolment):
    """(rejection probability per look, first-look z, first-look cut in years) of n_trials trials."""
    np.random.seed(seed)
    n = 1440
    upper = ana.stop_upper[0]
    K = upper.size
    ws = workspace(n, 2, 1, 1)
    G = n // 2
    rejected = np.zeros(K)
    z1, cut1 = np.empty(n_trials), np.empty(n_trials)
    o_cut, o_z, o_events = out.cut[0], out.stat_z[0, 0], out.events[0]
    enrol, exit_t = np.empty(n), np.empty(n)
    cell, cause = np.empty(n, np.int64), np.empty(n, np.int64)
    pref, grid, cand = np.zeros((2, n + 1), np.int64), np.zeros(G + 1, np.int64), np.arange(n)
    for trial in range(n_trials):
        if rpact_enrolment:  # patient i at i x 48/1440 months, experimental (1) first
            for i in range(n):
                enrol[i] = 4.0 * (i + 1) / n
                cell[i] = 1 - i % 2
        else:  # sorted uniform enrolment times, permuted blocks of two
            u = np.sort(np.random.random(n))
            for i in range(n):
                enrol[i] = 4.0 * u[i]
            for i0 in range(0, n, 2):
                r = 1 if np.random.random() < 0.5 else 0
                cell[i0] = 1 - r
                cell[i0 + 1] = r
        for i in range(n):
            rate = LAMBDA * (hr if cell[i] == 1 else 1.0)
            t_event = np.random.exponential(1.0 / rate)
            t_drop = np.random.exponential(1.0 / DROPOUT)
            exit_t[i] = min(t_event, t_drop)
            cause[i] = 0 if t_event <= t_drop else -1
        ones = 0
        grid[:] = 0
        lo = enrol[0]
        gscale = G / (enrol[n - 1] - lo)
        for i in range(n):
            ones += cell[i]
            pref[1, i + 1] = ones
            pref[0, i + 1] = i + 1 - ones
            grid[min(int((enrol[i] - lo) * gscale), G - 1) + 1] = i + 1
        analyse_looks(n, enrol, cell, exit_t, cause, pref, grid, cand, n, 1, 2, ana, ws, out, 0)
        z1[trial] = o_z[0]
        cut1[trial] = o_cut[0]
        for k in range(K):
            if o_events[k] < 0:
                break
            if o_z[k] >= upper[k]:
                rejected[k] += 1
                break
    return rejected / n_trials, z1, cut1


def _rpact_stage1(iterations: int, seeds: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, float]:
    """rpact's stage-1 z statistics and analysis times (months) over the seeds; the first bound."""
    import pandas as pd

    frames, critical = [], np.nan
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            out = Path(tmp) / f"stage1_{seed}.csv"
            run = subprocess.run(["Rscript", str(Path(__file__).resolve().parent / "simulate_rpact_stage1.R"),
                                  str(iterations), str(seed), str(out)], capture_output=True, text=True, check=True)
            critical = float(run.stdout.split()[1])
            frames.append(pd.read_csv(out))
    d = pd.concat(frames)
    assert ((d["overallEvents1"] + d["overallEvents2"]) == EVENTS[0]).all()
    return d["testStatistic"].to_numpy(), d["analysisTime"].to_numpy(), critical


def compare_first_look(n: int, iterations: int) -> None:
    """rpact's whole first look against survtrial's look kernel on rpact's enrolment convention."""
    from scipy import stats

    if shutil.which("Rscript") is None:
        print("Rscript not found: the comparison with rpact's first look is skipped")
        return
    z_r, t_r, critical = _rpact_stage1(iterations, (31, 32))
    upper = group_sequential([e / EVENTS[-1] for e in EVENTS]).upper.astype(float)
    _, z_s, cut_s = _looks(n, 7, 0.39, *_bundles(upper, np.array(EVENTS, dtype=np.int64)), True)
    t_s = cut_s * 12.0
    print(f"\nFirst look (25 events), rpact ({z_r.size:,} iterations, seeds 31 and 32) vs survtrial's look kernel "
          f"on rpact's enrolment ({n:,} trials):")
    print(f"  log-rank z: mean {z_r.mean():.4f} vs {z_s.mean():.4f}, SD {z_r.std():.4f} vs {z_s.std():.4f}, "
          f"KS p = {stats.ks_2samp(z_r, z_s).pvalue:.2f}")
    print(f"  analysis time (months): mean {t_r.mean():.3f} vs {t_s.mean():.3f}, "
          f"KS p = {stats.ks_2samp(t_r, t_s).pvalue:.2f}")
    p_r, p_s = np.mean(z_r >= critical), np.mean(z_s >= critical)
    se = np.sqrt(p_r * (1 - p_r) / z_r.size + p_s * (1 - p_s) / z_s.size)
    print(f"  rejection at the first bound {critical:.4f} (rpact's; survtrial's {upper[0]:.4f}): "
          f"{p_r:.5f} vs {p_s:.5f} (z {(p_r - p_s) / se:+.2f})")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 60_000
    upper = group_sequential([e / EVENTS[-1] for e in EVENTS]).upper.astype(float)
    events = np.array(EVENTS, dtype=np.int64)
    _rejections(10, 1, 0.39, upper, events, True)
    print(f"HR 0.39, {n:,} trials per row; rejection probability at looks 1-4 (Monte-Carlo SE)")
    for label, rpact_style in (("rpact's enrolment (fixed times, alternating arms)", True),
                               ("survtrial's enrolment (drawn times, permuted blocks)", False)):
        t0 = time.perf_counter()
        r = _rejections(n, 2024, 0.39, upper, events, rpact_style)
        se = np.sqrt(r * (1 - r) / n)
        cells = " / ".join(f"{p:.5f} ({s:.5f})" for p, s in zip(r, se, strict=True))
        print(f"  {label}: {cells}  [{time.perf_counter() - t0:.0f} s]")
    compare_first_look(min(n, 400_000), iterations)


if __name__ == "__main__":
    main()
