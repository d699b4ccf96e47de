"""Number needed to treat and Altman's (BMJ 1998) convention when the difference CI crosses zero."""

from __future__ import annotations

import math

import pytest

from survtrial.clinical.nnt import number_needed_to_treat
from survtrial.errors import InputError


def test_benefit_interval_is_the_inverted_difference_interval():
    n = number_needed_to_treat(8.0, 4.0, 12.5)
    assert n.estimate == pytest.approx(100 / 8.0)
    assert n.kind == "benefit" and not n.crosses_zero
    assert n.interval() == pytest.approx((100 / 12.5, 100 / 4.0))
    assert str(n) == "NNTB 12.5 (95% CI NNTB 8.0 to 25.0)"


def test_crossing_zero_reads_nntb_to_infinity_to_nnth():
    # Altman 1998: a difference CI from -l to +u gives "NNTH 100/l to infinity to NNTB 100/u"
    n = number_needed_to_treat(5.0, -4.0, 20.0, level=0.99)
    assert n.crosses_zero and n.kind == "benefit"
    assert n.harm_bound == pytest.approx(100 / 4.0) and n.benefit_bound == pytest.approx(100 / 20.0)
    assert n.interval() == pytest.approx((-25.0, 5.0))
    assert str(n) == "NNTB 20.0 (99% CI NNTH 25.0 to \u221e to NNTB 5.0)"
    # a point estimate on the harm side, interval crossing zero
    h = number_needed_to_treat(-2.0, -10.0, 5.0)
    assert h.kind == "harm" and h.estimate == pytest.approx(-50.0)
    assert str(h) == "NNTH 50.0 (95% CI NNTH 10.0 to \u221e to NNTB 20.0)"


def test_harm_only_and_limits_at_zero():
    h = number_needed_to_treat(-5.0, -8.0, -2.0, scale=100)
    assert h.kind == "harm" and h.interval() == pytest.approx((-12.5, -50.0))
    assert str(h) == "NNTH 20.0 (95% CI NNTH 12.5 to 50.0)"
    z = number_needed_to_treat(3.0, 0.0, 6.0)
    assert z.far_bound == math.inf and not z.crosses_zero
    assert str(z).endswith("NNTB 16.7 to \u221e)")
    none = number_needed_to_treat(0.0, -1.0, 1.0)
    assert none.estimate == math.inf and none.kind == "none"
    assert number_needed_to_treat(0.1, 0.05, 0.2, scale=1).estimate == pytest.approx(10.0)


@pytest.mark.parametrize("args", [(5.0, 6.0, 8.0), (math.nan, 0.0, 1.0), (1.0, 0.0, math.inf)])
def test_bad_arguments(args):
    with pytest.raises(InputError):
        number_needed_to_treat(*args)
