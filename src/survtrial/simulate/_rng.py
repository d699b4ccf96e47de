"""The simulation engine's random stream: xoshiro256++ seeded by SeedSequence, ziggurat exponentials.

The compiled kernels draw a few thousand numbers per simulated trial. numpy's Generator is reached
from numba through a function pointer per draw (about 3.7 ns per exponential); this generator is
inlined into the kernels' loops (about 1 ns per uniform, 2 ns per exponential), which halves the
cost of drawing a trial. A block of trials gets ``SeedSequence(seed, spawn_key=(block,))``'s
first eight 64-bit words: two xoshiro256++ states, stream A (words 0-3) and stream B (4-7), so the
results do not depend on chunk sizes or workers, as with a numpy Generator.

- Generator: xoshiro256++ (Blackman & Vigna 2021), period 2**256 - 1, passes BigCrush; the state is
  a ``uint64[8]`` array that the functions below advance in place.
- Uniforms on [0, 1): the top 53 bits times 2**-53 (every multiple of 2**-53 equally likely), from
  stream A.
- Standard exponentials: the ziggurat method with 256 strips (Marsaglia & Tsang 2000): the low 8
  bits of one 64-bit draw choose the strip and its top 53 bits the abscissa; 98.9% of draws are
  accepted at once, the rest use one more uniform (wedge test or the tail beyond r by memorylessness).
  Filling an array alternates streams A and B (two independent dependency chains side by side).
- Sub-streams: a trial's exit segments each take one word of stream A and expand it by splitmix64
  into two xoshiro256++ states of their own (:func:`seeded_state`, the seeding the xoshiro
  authors recommend), so each segment's sequence can stop and resume without moving the others.

References
----------
Steele GL, Lea D, Flood CH. Fast splittable pseudorandom number generators. OOPSLA 2014:453-472.
Blackman D, Vigna S. Scrambled linear pseudorandom number generators. ACM Trans Math Softw 2021;47:36.
Marsaglia G, Tsang WW. The ziggurat method for generating random variables. J Stat Softw 2000;5(8).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

__all__ = ["bits", "block_state", "exponential_rest", "exponential_step", "exponentials", "quick_exponential",
           "seeded_state", "uniform", "uniform_step", "uniforms"]

_R = 7.69711747013104972  # right end of the base strip (256 strips)
_V = 3.949659822581557e-3  # area of every strip
_TWO53 = 9007199254740992.0


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(accept, width, density) tables of the exponential ziggurat with 256 strips.

    x[0] = V / f(r) is the width of the base strip (rectangle plus tail), x[1] = r, and each strip
    i >= 1 spans [0, x[i]] x [f(x[i]), f(x[i + 1])] with area V, so x[i + 1] = -log(V / x[i] +
    f(x[i])); x[256] = 0. A draw with 53-bit integer j in strip i is x = j * x[i] / 2**53,
    accepted at once when j < accept[i] = 2**53 * x[i + 1] / x[i] (x inside the strip's rectangle).
    """
    x = np.empty(257)
    x[0] = _V / math.exp(-_R)
    x[1] = _R
    for i in range(2, 256):
        x[i] = -math.log(_V / x[i - 1] + math.exp(-x[i - 1]))
    x[256] = 0.0
    accept = np.array([int(x[i + 1] / x[i] * _TWO53) for i in range(256)], dtype=np.int64)
    width = x[:256] / _TWO53
    density = np.exp(-x)
    return accept, width, density


_ACCEPT, _WIDTH, _DENSITY = _ziggurat_tables()


def block_state(seed: int, block: int, *key: int) -> np.ndarray:
    """State of a block of trials: ``SeedSequence(seed, spawn_key=(block, *key))``'s first eight
    words, two xoshiro256++ states (stream A: words 0-3, stream B: words 4-7)."""
    state = np.random.SeedSequence(entropy=seed, spawn_key=(block, *key)).generate_state(8, np.uint64)
    for k in (0, 4):  # the one state xoshiro cannot leave; SeedSequence never gives it in practice
        if not state[k:k + 4].any():
            state[k] = 1
    return state


@njit(no_cpython_wrapper=True)
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(no_cpython_wrapper=True)
def step(s0, s1, s2, s3):
    """One xoshiro256++ output and the next state: (out, s0, s1, s2, s3)."""
    res = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return res, s0, s1, s2, s3


@njit(no_cpython_wrapper=True)
def _outside_rectangle(res, s0, s1, s2, s3):
    """A ziggurat draw whose first word ``res`` fell outside its strip's rectangle: one more
    uniform decides; (x, accepted, s0, s1, s2, s3), a rejection starting over with a fresh word."""
    strip = np.intp(res & uint64(0xFF))
    x = np.int64(res >> uint64(11)) * _WIDTH[strip]
    res, s0, s1, s2, s3 = step(s0, s1, s2, s3)
    u = np.int64(res >> uint64(11)) * (1.0 / _TWO53)
    if strip == 0:  # the tail beyond r: r + Exp(1) by memorylessness
        return _R - math.log1p(-u), True, s0, s1, s2, s3
    accepted = _DENSITY[strip] + u * (_DENSITY[strip + 1] - _DENSITY[strip]) < math.exp(-x)
    return x, accepted, s0, s1, s2, s3


@njit(no_cpython_wrapper=True)
def exponential_step(s0, s1, s2, s3):
    """One standard exponential (ziggurat) and the next state: (x, s0, s1, s2, s3)."""
    while True:
        res, s0, s1, s2, s3 = step(s0, s1, s2, s3)
        strip = np.intp(res & uint64(0xFF))
        j = np.int64(res >> uint64(11))
        if j < _ACCEPT[strip]:
            return j * _WIDTH[strip], s0, s1, s2, s3
        x, accepted, s0, s1, s2, s3 = _outside_rectangle(res, s0, s1, s2, s3)
        if accepted:
            return x, s0, s1, s2, s3


@njit(no_cpython_wrapper=True)
def quick_exponential(res):
    """The ziggurat's first try on one 64-bit output: the exponential if it falls inside its
    strip's rectangle (98.9% of draws), else -1.0 (then finish with :func:`exponential_rest`).
    With :func:`step` this is :func:`exponential_step` with its common case inlined into the caller's loop."""
    strip = np.intp(res & uint64(0xFF))
    j = np.int64(res >> uint64(11))
    return j * _WIDTH[strip] if j < _ACCEPT[strip] else -1.0


@njit(no_cpython_wrapper=True)
def uniform_step(s0, s1, s2, s3):
    """One uniform on [0, 1) (the top 53 bits of one output) and the next state: (u, s0, s1, s2, s3)."""
    res, s0, s1, s2, s3 = step(s0, s1, s2, s3)
    return np.int64(res >> uint64(11)) * (1.0 / _TWO53), s0, s1, s2, s3


@njit(no_cpython_wrapper=True)
def _splitmix(x):
    """One splitmix64 step: (next state, output) (Steele, Lea & Flood 2014; Vigna's reference code)."""
    x = x + uint64(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    return x, z ^ (z >> uint64(31))


@njit(no_cpython_wrapper=True)
def seeded_state(word):
    """Two xoshiro256++ states (a0, a1, a2, a3, b0, b1, b2, b3) from one 64-bit word: eight
    splitmix64 outputs, as the xoshiro authors recommend for seeding (never all zero in
    practice; guarded all the same)."""
    x, a0 = _splitmix(word)
    x, a1 = _splitmix(x)
    x, a2 = _splitmix(x)
    x, a3 = _splitmix(x)
    x, b0 = _splitmix(x)
    x, b1 = _splitmix(x)
    x, b2 = _splitmix(x)
    x, b3 = _splitmix(x)
    if (a0 | a1 | a2 | a3) == uint64(0):
        a0 = uint64(1)
    if (b0 | b1 | b2 | b3) == uint64(0):
        b0 = uint64(1)
    return a0, a1, a2, a3, b0, b1, b2, b3


@njit(no_cpython_wrapper=True)
def exponential_rest(res, s0, s1, s2, s3):
    """Finish a ziggurat draw whose first word ``res`` fell outside its strip's rectangle."""
    x, accepted, s0, s1, s2, s3 = _outside_rectangle(res, s0, s1, s2, s3)
    if accepted:
        return x, s0, s1, s2, s3
    return exponential_step(s0, s1, s2, s3)


@njit(cache=True, error_model="numpy", _nrt=False)
def exponentials(state, out, lo, hi):
    """Fill out[lo:hi] with standard exponentials (ziggurat), advancing the state.

    Positions lo, lo + 2, ... come from stream A and lo + 1, lo + 3, ... from stream B (two
    independent dependency chains run side by side: about 20% faster than one stream); an odd
    count ends with one draw from A.
    """
    a0, a1, a2, a3 = state[0], state[1], state[2], state[3]
    b0, b1, b2, b3 = state[4], state[5], state[6], state[7]
    i = lo
    while i + 1 < hi:
        ra, a0, a1, a2, a3 = step(a0, a1, a2, a3)
        rb, b0, b1, b2, b3 = step(b0, b1, b2, b3)
        sa = np.intp(ra & uint64(0xFF))
        sb = np.intp(rb & uint64(0xFF))
        ja = np.int64(ra >> uint64(11))
        jb = np.int64(rb >> uint64(11))
        xa = ja * _WIDTH[sa]
        xb = jb * _WIDTH[sb]
        if (ja >= _ACCEPT[sa]) | (jb >= _ACCEPT[sb]):  # rare (2%): one branch for both
            if ja >= _ACCEPT[sa]:
                xa, a0, a1, a2, a3 = exponential_rest(ra, a0, a1, a2, a3)
            if jb >= _ACCEPT[sb]:
                xb, b0, b1, b2, b3 = exponential_rest(rb, b0, b1, b2, b3)
        out[i] = xa
        out[i + 1] = xb
        i += 2
    if i < hi:
        out[i], a0, a1, a2, a3 = exponential_step(a0, a1, a2, a3)
    state[0], state[1], state[2], state[3] = a0, a1, a2, a3
    state[4], state[5], state[6], state[7] = b0, b1, b2, b3


@njit(cache=True, error_model="numpy", _nrt=False)
def uniforms(state, out, lo, hi):
    """Fill out[lo:hi] with uniforms on [0, 1) (53 bits) from stream A, advancing it."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for i in range(lo, hi):
        res, s0, s1, s2, s3 = step(s0, s1, s2, s3)
        out[i] = np.int64(res >> uint64(11)) * (1.0 / _TWO53)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3


@njit(cache=True, error_model="numpy", _nrt=False)
def bits(state):
    """One raw 64-bit output of stream A, advancing it."""
    res, state[0], state[1], state[2], state[3] = step(state[0], state[1], state[2], state[3])
    return res


@njit(cache=True, error_model="numpy", _nrt=False)
def uniform(state):
    """One uniform on [0, 1) (53 bits) from stream A, advancing it."""
    return np.int64(bits(state) >> uint64(11)) * (1.0 / _TWO53)
