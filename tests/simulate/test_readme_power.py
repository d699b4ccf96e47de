"""The README's simulated power comparison under the delayed effect is what the engine computes.

The table in "When hazards are not proportional" (packaged delayed_effect scenario, the design
examples/delayed_effect_oc.yaml, 2,000 trials, seed 2026, the scenario as given and with equal arms)
is recomputed here: the same seed gives the same trials as the README's commands (any number of
workers), so every printed rejection rate must match to its printed digits.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from survtrial.simulate.engine import simulate_trials

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### When hazards are not proportional")[1].split("\n### ")[0]
LABELS = {"log-rank": "logrank", "FH(0, 0.5)": "fh_0_0.5", "MaxCombo (4 weights)": "maxcombo",
          "RMST difference to 5 years": "rmst_5y", "milestone: 3-year difference": "milestone_3y"}


def _table() -> dict[str, tuple[str, str]]:
    rows = re.findall(r"^\| ([^|]+) \| [^|]+ \| \**([0-9.]+)\** \| ([0-9.]+) \|$", SECTION, re.M)
    return {label.strip(): (power, alpha) for label, power, alpha in rows if label.strip() in LABELS}


def test_the_section_states_its_run():
    assert "--n-sims 2000 --seed 2026" in SECTION and "examples/delayed_effect_oc.yaml" in SECTION
    assert set(_table()) == set(LABELS)  # every row of the power table found


@pytest.mark.parametrize("column", [0, 1], ids=["power", "type I error"])
def test_power_table_is_recomputed(column):
    res = simulate_trials("delayed_effect", REPO / "examples" / "delayed_effect_oc.yaml", n_sims=2000, seed=2026,
                          hazard_ratio=None if column == 0 else 1.0)
    assert [t.slug for t in res.model.tests] == list(LABELS.values())
    for label, printed in _table().items():
        rate = float(np.mean(res.trials[f"{LABELS[label]}_rejected"]))
        text = printed[column]
        digits = len(text.split(".")[1])
        assert f"{rate:.{digits}f}" == text, (label, rate, text)
