"""Benchmark: the simulation engine's per-trial cost and the generator's share of it.

For the AALL1731 scenario (design with looks at 80/120/160 DFS events), the PH benchmark design of
``simulate_vs_peers.py`` (1440 patients, one or two strata, looks at 25/50/75/100 events) and the
packaged delayed-effect scenario, prints per trial:

- ``engine``: ``simulate_range`` (generation and analysis of every look), microseconds per trial;
- ``generation``: the compiled generator alone (``_generate.generate_trial`` in a loop, revealing
  exits as far as the design's horizon needs);
- ``full trial``: every exit revealed (what ``trial_data`` / ``simulate_trial`` draw per trial);
- the exits revealed and the candidates (exits by the horizon) per trial.

Times are the thread CPU time of the best of ``--repeats`` runs (on a shared machine, wall time
varies with the other processes' load; CPU time much less). Compare versions by running this
script against each source tree (``PYTHONPATH=old/src python bench/generator_cost.py``) in the
same session. Run: ``python bench/generator_cost.py [--trials 5000] [--repeats 10]``.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from numba import njit

from survtrial.simulate import _generate

LAMBDA = -math.log(0.879) / 3.0
DROPOUT = -math.log(0.98)


def ph_scenario(strata: int):
    from survtrial.simulate.scenario import scenario_from_dict

    names = ["all"] if strata == 1 else ["s1", "s2"]
    return scenario_from_dict({
        "name": f"ph_{strata}", "arms": {"control": {}, "experimental": {}},
        "strata": {s: {"share": 1.0 / len(names)} for s in names},
        "accrual": {"start_date": "2019-07-01", "n": 1440, "duration_years": 4.0},
        "randomization": {"ratio": {"control": 1, "experimental": 1}, "block_size": 2, "stratified": True},
        "hazards": {s: {a: {"breaks": [0.0], "rates": [LAMBDA * (1.0 + 0.5 * i) * (0.39 if a == "experimental" else 1)]}
                        for a in ("control", "experimental")} for i, s in enumerate(names)},
        "competing_events": {"types": {"dfs": {}},
                             "by_arm": {a: {"shares": {"dfs": 1.0}} for a in ("control", "experimental")}},
        "dropout": {"rate": DROPOUT}, "data_cut": {"events": 100},
    })


def _generate_only(state, n, gen, horizon, min_events, count):
    """The generator alone, ``count`` trials of n patients (work arrays allocated as the engine does)."""
    return _generate_loop(state, n, gen, horizon, min_events, count,
                          _generate.buffers(n, gen.strat_cum.size * gen.n_arms))


@njit
def _generate_loop(state, n, gen, horizon, min_events, count, bufs):
    revealed = 0
    cand = 0
    for _ in range(count):
        _generate.generate_trial(state, n, gen, horizon, min_events, bufs)
        revealed += bufs[12].sum()
        cand += bufs[15][0]
    return revealed, cand


def best_cpu(fn, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    from survtrial.simulate import _rng
    from survtrial.simulate.engine import build_model, simulate_range

    models = {
        "aall1731, events 80/120/160": build_model("aall1731", {"events": [80, 120, 160]}),
        "PH, 1 stratum, events 25..100": build_model(ph_scenario(1), {"events": [25, 50, 75, 100]}, landmarks=[]),
        "PH, 2 strata, events 25..100": build_model(ph_scenario(2), {"events": [25, 50, 75, 100]}, landmarks=[]),
        "delayed_effect, events 150/300": build_model("delayed_effect", {"events": [150, 300]}, landmarks=[]),
    }
    n_t = args.trials
    print(f"load average {os.getloadavg()[0]:.1f}; best of {args.repeats} runs of {n_t} trials (thread CPU time)")
    print(f"{'model':34s} {'engine':>9s} {'generation':>11s} {'full trial':>11s} {'revealed':>9s} {'by horizon':>11s}")
    for name, m in models.items():
        g = m.generation
        n = int(g.n_fixed)
        simulate_range(m, 1, 0, 200)  # compile / load the kernels
        _generate_only(_rng.block_state(1, 0), n, g, g.horizon, g.min_events, 2)
        engine = best_cpu(lambda m=m: simulate_range(m, 7, 0, n_t), args.repeats) / n_t
        gen = best_cpu(lambda g=g, n=n: _generate_only(_rng.block_state(2, 0), n, g, g.horizon, g.min_events, n_t),
                       args.repeats) / n_t
        full = best_cpu(lambda g=g, n=n: _generate_only(_rng.block_state(2, 0), n, g, np.inf, 0, n_t // 5),
                        args.repeats) / (n_t // 5)
        revealed, cand = _generate_only(_rng.block_state(3, 0), n, g, g.horizon, g.min_events, 500)
        print(f"{name:34s} {1e6 * engine:8.2f}u {1e6 * gen:10.2f}u {1e6 * full:10.2f}u "
              f"{revealed / 500:9.1f} {cand / 500:11.1f}")
    print("(u = microseconds per trial)")


if __name__ == "__main__":
    main()
