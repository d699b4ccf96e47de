"""Helpers of the compiled simulation kernels against numpy (independent implementations)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from survtrial.simulate import _kernels as kern

_values = st.lists(st.floats(min_value=0.0, max_value=1e3, allow_nan=False), min_size=0, max_size=200)


@settings(max_examples=50, deadline=None)
@given(_values, st.integers(0, 5))
def test_sorted_equals_numpy_sort(values, repeat):
    # ties (repeated values) and constant arrays included; the result must be np.sort's, bit for bit
    a = np.asarray(values + values[:repeat], dtype=float)
    got = kern._sorted(a)
    np.testing.assert_array_equal(got, np.sort(a))


def test_sorted_exponential_times():
    a = np.random.default_rng(3).standard_exponential(1000) * 4.0
    np.testing.assert_array_equal(kern._sorted(a), np.sort(a))
