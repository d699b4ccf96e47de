"""Compare: up to four designs side by side, each column the design API's numbers; power by calendar time."""

from __future__ import annotations

import numpy as np
import pytest

from survtrial.app.compare import MAX_DESIGNS, add_design, compare_figure, compare_table, power_steps
from survtrial.app.inputs import build_design, default_inputs
from survtrial.app.view import design_view, fmt
from survtrial.errors import InputError


@pytest.fixture(scope="module")
def views():
    base = default_inputs().with_(fractions=(0.5, 0.75, 1.0), beta_spending="HSD(-2)")
    return tuple(design_view(build_design(base.with_(test=t))) for t in ("logrank", "fh"))


def test_table_has_one_column_per_design_with_its_numbers(views):
    table = compare_table(views).set_index("")
    assert list(table.columns) == ["Design 1", "Design 2"]
    for col, v in zip(table.columns, views, strict=True):
        d = v.design
        assert table.loc["Test", col] == d.statistic
        assert table.loc["Subjects", col] == fmt(d.n_subjects, 1)
        assert table.loc["Power", col] == fmt(d.power, 4)
        assert table.loc["Efficacy z", col] == ", ".join(fmt(z, 3) for z in d.upper)
        assert table.loc["Expected subjects under H1", col] == fmt(d.expected_subjects[0], 1)


def test_power_steps_rise_at_the_looks_to_the_power(views):
    t, p = power_steps(views[0])
    d = views[0].design
    assert p[-1] == pytest.approx(d.power)
    # the step at look k: cumulative efficacy crossing probability up to k, from time[k] on
    for k, time in enumerate(d.time):
        assert p[np.flatnonzero(t == time)[-1]] == pytest.approx(np.cumsum(d.upper_h1)[k])
    assert np.all(np.diff(p) >= 0) and np.all(np.diff(t) >= 0)
    assert len(compare_figure(views).axes[0].lines) == 2


def test_at_most_four_designs(views):
    kept = ()
    for _ in range(MAX_DESIGNS):
        kept = add_design(kept, views[0])
    with pytest.raises(InputError, match="up to 4 designs side by side"):
        add_design(kept, views[1])
