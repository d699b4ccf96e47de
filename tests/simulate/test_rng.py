"""The engine's random stream: xoshiro256++ against its reference output, ziggurat exponentials against scipy."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from survtrial.simulate import _rng

_MASK = 2**64 - 1


def _reference_xoshiro(state, n):
    """xoshiro256++ as in Blackman & Vigna's reference C code, on Python integers."""

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & _MASK

    s = [int(v) for v in state]
    out = []
    for _ in range(n):
        out.append((rotl((s[0] + s[3]) & _MASK, 23) + s[0]) & _MASK)
        t = (s[1] << 17) & _MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


def test_xoshiro_matches_the_published_test_vector():
    # rand_xoshiro's test of Xoshiro256PlusPlus, state words (1, 2, 3, 4): its first ten outputs
    expected = [41943041, 58720359, 3588806011781223, 3591011842654386, 9228616714210784205,
                9973669472204895162, 14011001112246962877, 12406186145184390807, 15849039046786891736,
                10450023813501588000]
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    got = [int(_rng.bits(state)) for _ in range(10)]
    assert got == expected == _reference_xoshiro([1, 2, 3, 4], 10)


def test_uniforms_are_the_top_53_bits_of_the_reference_stream():
    state = _rng.block_state(2024, 3)
    raw = _reference_xoshiro(state[:4], 1000)  # stream A
    u = np.empty(1000)
    _rng.uniforms(state, u, 0, 1000)
    np.testing.assert_array_equal(u, np.array([r >> 11 for r in raw], dtype=float) * 2.0**-53)
    expected_next = (_reference_xoshiro(state[:4], 1)[0] >> 11) * 2.0**-53
    assert _rng.uniform(state) == expected_next


def test_block_state_is_the_seed_sequence_child():
    want = np.random.SeedSequence(entropy=7, spawn_key=(12,)).generate_state(8, np.uint64)
    np.testing.assert_array_equal(_rng.block_state(7, 12), want)
    assert not np.array_equal(_rng.block_state(7, 12), _rng.block_state(7, 13))


def test_ziggurat_strips_have_equal_areas():
    accept, width, density = _rng._ziggurat_tables()
    x = np.append(width * 2.0**53, 0.0)  # x[0] (base strip width), x[1] = r, ..., x[256] = 0
    r, v = _rng._R, _rng._V
    np.testing.assert_allclose(density, np.exp(-x), rtol=1e-15)
    # base strip: rectangle r f(r) plus the tail integral f(r); strips i >= 1: x_i (f(x_{i+1}) - f(x_i))
    assert math.isclose(r * math.exp(-r) + math.exp(-r), v, rel_tol=1e-12)
    areas = x[1:256] * (np.exp(-x[2:257]) - np.exp(-x[1:256]))
    np.testing.assert_allclose(areas, v, rtol=1e-9)
    np.testing.assert_allclose(x[0] * math.exp(-r), v, rtol=1e-12)
    assert np.all(accept[1:] < 2**53) and np.all(np.diff(x[1:]) < 0)


def test_exponentials_follow_the_standard_exponential():
    state = _rng.block_state(99, 0)
    n = 1_000_000
    x = np.empty(n)
    _rng.exponentials(state, x, 0, n)
    assert np.all(x >= 0) and np.all(np.isfinite(x))
    se_mean = 1.0 / math.sqrt(n)
    assert abs(x.mean() - 1.0) < 5 * se_mean
    assert abs(x.var() - 1.0) < 5 * math.sqrt(8.0 / n)  # Var((X - 1)^2) = 8 for Exp(1)
    assert stats.kstest(x, "expon").pvalue > 1e-3
    # the tail beyond r (its own code path) and a wedge region (the rejection path)
    p_tail = math.exp(-_rng._R)
    assert abs((x > _rng._R).mean() - p_tail) < 5 * math.sqrt(p_tail / n)
    counts, edges = np.histogram(x, bins=np.linspace(0.0, 8.0, 81))
    expected = n * (np.exp(-edges[:-1]) - np.exp(-edges[1:]))
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert stats.chi2.sf(chi2, df=80) > 1e-3


def test_fill_functions_continue_the_same_stream():
    a, b = _rng.block_state(5, 1), _rng.block_state(5, 1)
    whole = np.empty(300)
    _rng.exponentials(a, whole, 0, 300)
    parts = np.empty(300)
    _rng.exponentials(b, parts, 0, 120)
    _rng.exponentials(b, parts, 120, 300)
    np.testing.assert_array_equal(whole, parts)
    np.testing.assert_array_equal(a, b)


def test_exponentials_interleave_two_streams():
    # with both streams in the same state the pairs repeat; each position sequence is stream A's
    # one-at-a-time sequence (an odd count ends with a draw from A)
    a = _rng.block_state(11, 0)[:4]
    twin = np.concatenate([a, a])
    out = np.empty(400)
    _rng.exponentials(twin, out, 0, 400)
    np.testing.assert_array_equal(out[0::2], out[1::2])
    single = np.concatenate([a, _rng.block_state(11, 1)[:4]])
    one = np.empty(1)
    seq = []
    for _ in range(200):
        _rng.exponentials(single, one, 0, 1)
        seq.append(one[0])
    np.testing.assert_array_equal(out[0::2], seq)
    np.testing.assert_array_equal(single[4:], _rng.block_state(11, 1)[:4])  # B untouched
