"""Benchmark: non-proportional-hazards designs as whole calls (interpreter start-up and imports included).

Run from the repository root: ``python bench/design_vs_peers.py``. Each task is a fresh process
(``python -c ...`` / ``Rscript -e ...``) timed from outside, best of three:

- the AHR group-sequential design with 3 looks and beta-spending futility (target: under 0.5 s);
- the MaxCombo group-sequential design with 4 tests and 3 looks, futility by beta spending (target: under 5 s);
- the proportional-hazards case of the AHR design against rpact in the same run (same looks and
  spending: the events and subjects agree to rpact's precision).

gsDesign2 (the R package these designs follow) is not installed here; its reference values are in
tests/design. The script prints wall and CPU time (a shared machine inflates wall time), the load
average, the floor of any such call (starting python with numpy and scipy.special), and for the PH
case rpact's time and the ratio.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time

AHR = """
import numpy as np
from survtrial.design import ahr_design, design_assumptions
a = design_assumptions({"duration": [2, 2, 10], "rate": [3, 6, 9]},
                       {"duration": [3, 100], "fail_rate": np.log(2) / np.array([9, 18]), "hr": [0.9, 0.6],
                        "dropout_rate": 0.001})
d = ahr_design(a, analysis_times=[12, 24, 36], power=0.9, alpha_spending="OF", beta_spending="OF")
print(f"{d.n_subjects:.4f} {d.max_events:.4f}")
"""

MAXCOMBO = """
import numpy as np
from survtrial.design import design_assumptions, maxcombo_design
a = design_assumptions({"duration": [12], "rate": [500 / 12]},
                       {"duration": [4, 100], "fail_rate": np.log(2) / 15, "hr": [1, 0.6], "dropout_rate": 0.001})
d = maxcombo_design(a, ["logrank", "fh(0, 0.5)", "fh(0.5, 0)", "fh(0.5, 0.5)"], analysis_times=[12, 24, 36],
                    power=0.8, alpha_spending="OF", beta_spending="OF", beta=0.2)
print(f"{d.n_subjects:.4f} {d.max_events:.4f}")
"""

PH_SURVTRIAL = """
import math
import numpy as np
from survtrial.design import ahr_design, design_assumptions
phi = -math.log(1 - 0.05) / 12
a = design_assumptions({"duration": [12], "rate": [10]},
                       {"duration": [np.inf], "fail_rate": 0.05, "hr": 0.7, "dropout_rate": phi})
d = ahr_design(a, analysis_times=36, information_fractions=[1 / 3, 2 / 3, 1], power=0.9, beta_spending="OF",
               info_scale="h0")
print(f"{d.n_subjects:.6f} {d.max_events:.6f}")
"""

PH_RPACT = """
suppressMessages(library(rpact))
d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF", typeBetaSpending = "bsOF")
s <- getSampleSizeSurvival(d, lambda2 = 0.05, hazardRatio = 0.7, accrualTime = 12, followUpTime = 24,
  dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)
cat(sprintf("%.6f %.6f\\n", s$maxNumberOfSubjects, s$maxNumberOfEvents))
"""


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def whole_call(argv: list[str], reps: int = 3) -> tuple[float, float, str]:
    """Best wall time and best CPU time (user + system) of ``reps`` fresh processes, and the output.

    On a shared machine the wall time includes waiting for a core; the CPU time does not.
    """
    best, best_cpu, out = float("inf"), float("inf"), ""
    for _ in range(reps):
        c0, t0 = _cpu(), time.perf_counter()
        res = subprocess.run(argv, check=True, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, _cpu() - c0)
        out = res.stdout.strip()
    return best, best_cpu, out


def main() -> None:
    py = [sys.executable, "-c"]
    rows = [
        ("AHR GSD, 3 looks, OF efficacy + OF futility (target < 0.5 s)", whole_call([*py, AHR])),
        ("MaxCombo GSD, 4 tests x 3 looks, OF + OF futility (target < 5 s)", whole_call([*py, MAXCOMBO])),
        ("PH case (AHR design, info scale h0), survtrial", whole_call([*py, PH_SURVTRIAL])),
    ]
    rows.append(("(python -c 'import numpy, scipy.special': the floor of any call)",
                 whole_call([*py, "import numpy, scipy.special"])))
    r_time = None
    if shutil.which("Rscript"):
        r_res = whole_call(["Rscript", "-e", PH_RPACT])
        r_time = r_res[0]
        rows.append(("PH case, rpact getSampleSizeSurvival (same looks and spending)", r_res))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'task (whole call, best of 3)':<68} {'wall s':>7} {'cpu s':>7}  output (subjects, events)")
    for name, (secs, cpu, out) in rows:
        print(f"{name:<68} {secs:7.3f} {cpu:7.3f}  {out}")
    if r_time is not None:
        print(f"rpact / survtrial wall time for the PH case: {r_time / rows[2][1][0]:.1f}x")

if __name__ == "__main__":
    main()
