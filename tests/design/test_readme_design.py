"""The README's section "Designing for a delayed effect" says what survtrial computes.

Every number of its table and text is recomputed here from the example design files
(examples/design/) through the survtrial.design API and check_by_simulation (1,000 trials, seed 1,
as the README's command).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import survtrial as st
from survtrial.design import design_power
from survtrial.design.design_file import parse_design_file

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### Designing for a delayed effect")[1].split("\n### ")[0]
FILES = {"log-rank (AHR)": "aall1731_like_delayed", "FH(0, 0.5)": "aall1731_like_fh",
         "MaxCombo (log-rank, FH(0, 0.5))": "aall1731_like_maxcombo"}


@pytest.fixture(scope="module")
def designs():
    return {k: st.read_design_file(REPO / "examples" / "design" / f"{v}.yaml").solve() for k, v in FILES.items()}


@pytest.fixture(scope="module")
def logrank_check():
    return st.plan_from_file(REPO / "examples" / "design" / "aall1731_like_delayed.yaml", check_by_simulation=1000,
                             seed=1).check


def _table() -> tuple[list[str], dict[str, list[str]]]:
    rows = [[c.strip() for c in r.strip().strip("|").split("|")] for r in SECTION.splitlines()
            if r.startswith("| ")]
    return rows[0][1:], {r[0]: r[1:] for r in rows[1:]}


def _list(values, d):
    return ", ".join(f"{v:.{d}f}" for v in values)


def test_the_table(designs):
    cols, rows = _table()
    assert cols == list(FILES)
    for j, name in enumerate(cols):
        d = designs[name]
        h1, h0 = d.expected_subjects
        t1, t0 = d.expected_duration
        expected = {
            "subjects": f"{d.n_subjects:.1f}",
            "events at the final look": f"{d.max_events:.1f}",
            "looks (years from the start of enrolment)": _list(d.time, 2),
            "efficacy z bounds": _list(d.upper, 3),
            "futility z bounds": _list(d.lower, 3),
            "expected subjects under H1 / H0": f"{h1:.1f} / {h0:.1f}",
            "expected duration under H1 / H0 (years)": f"{t1:.2f} / {t0:.2f}",
        }
        for row, value in expected.items():
            assert rows[row][j] == value, (row, name)
        assert d.power == pytest.approx(0.9, abs=1e-6)


def test_the_proportional_hazards_design_under_the_delayed_effect():
    data = yaml.safe_load((REPO / "examples" / "design" / "aall1731_like_delayed.yaml").read_text())
    ph = copy.deepcopy(data)
    for row in ph["fail_rate"]:
        row["hr"] = 0.39
    d = parse_design_file(ph).solve()
    delayed = parse_design_file(data).assumptions.failure_frame()
    p = design_power(d, delayed)
    text = " ".join(SECTION.split())
    assert f"({d.n_subjects:.1f} subjects for 90% power, three looks by 7 years) has {100 * p.power:.1f}% power" in text
    assert (f"{100 * p.upper_h1[0]:.1f}% instead of {100 * d.upper_h1[0]:.1f}% of crossing at the first look"
            in text)
    assert f"{-np.log(0.879) / 3:.3f}" == "0.043"


def test_the_simulation_check(logrank_check):
    c = logrank_check
    a, s, se = c.power
    text = " ".join(SECTION.split())
    assert f"{c.n_subjects} subjects, looks at {c.events[0]}, {c.events[1]} and {c.events[2]} events" in text
    assert f"power analytic {a:.4f}, simulated {s:.4f} (MC SE {se:.4f})" in text
    alpha = c.table[c.table["quantity"] == "type I error, futility ignored"].iloc[0]
    assert f"type I error {alpha['analytic']:.4f} analytic, {alpha['simulated']:.4f} simulated" in text
    assert abs(s - a) < 3 * se and abs(alpha["simulated"] - alpha["analytic"]) < 3 * alpha["mc_se"]
    code = re.search(r"res\.check\.power\s+# \(([^)]*)\)", SECTION).group(1)
    assert code == f"{a:.4f}, {s:.3f}, {se:.4f}"


@pytest.mark.parametrize("name, label", [("aall1731_like_fh", "FH(0, 0.5)"), ("aall1731_like_maxcombo", "MaxCombo")])
def test_the_weighted_and_maxcombo_simulation_checks(name, label):
    """The engine's own FH(0, 0.5) and MaxCombo statistics and bounds, as the README's commands run them."""
    c = st.plan_from_file(REPO / "examples" / "design" / f"{name}.yaml", check_by_simulation=1000, seed=1).check
    a, s, se = c.power
    alpha = c.table[c.table["quantity"] == "type I error, futility ignored"].iloc[0]
    text = " ".join(SECTION.split())
    assert f"{c.n_subjects} subjects, looks at {c.events[0]}, {c.events[1]} and {c.events[2]}" in text
    assert (f"{label} power analytic {a:.4f}, simulated {s:.4f} (MC SE {se:.4f}), type I error "
            f"{alpha['analytic']:.4f} analytic, {alpha['simulated']:.4f} simulated") in text
    assert abs(s - a) < 3 * se and abs(alpha["simulated"] - alpha["analytic"]) < 3 * alpha["mc_se"]


def test_the_python_block_comments(designs, logrank_check):
    d = designs["log-rank (AHR)"]
    line = re.search(r"res\.design\.time\s+# (.*)", SECTION).group(1)
    times = str([round(float(t), 2) for t in d.time])
    assert line == f"{d.n_subjects:.1f}, {d.max_events:.1f}, {times}"
    p = design_power(d, st.read_design_file(REPO / "examples" / "design" / "aall1731_like_delayed.yaml")
                     .assumptions.failure_frame().assign(hr=0.39)).power
    assert f"# {p:.3f} if HR 0.39 throughout" in SECTION
