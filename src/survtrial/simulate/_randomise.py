"""Compiled (numba) randomisation of one simulated trial: strata, permuted blocks, fixed arm counts."""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from survtrial.simulate import _rng

__all__ = ["fix_arm_counts", "randomise"]


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _shuffle_into(seq, o, template, u):
    """Fisher-Yates shuffle of the template into seq[o:o + len], index digits peeled off one uniform."""
    bsize = template.size
    for j in range(bsize):
        seq[o + j] = template[j]
    for j in range(bsize - 1, 0, -1):
        x = u * (j + 1)
        r = int(x)
        if r > j:
            r = j
        u = x - r
        tmp = seq[o + j]
        seq[o + j] = seq[o + r]
        seq[o + r] = tmp


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True)
def _stratum_branchless(u, strat_cum):
    """Stratum of a patient from its uniform: the count of cumulative shares <= u (branch-free)."""
    s = 0
    for k in range(strat_cum.size - 1):
        s += 1 if strat_cum[k] <= u else 0
    return s


@njit(cache=True, error_model="numpy", _nrt=True)
def randomise(state, n, u_strat, strat_cum, stratified_blocks, blocks, n_arms, cell):
    """Stratum x arm cell of each patient: strata from the uniforms, arms by permuted blocks.

    ``blocks[0]`` is the block template (its arms in order); with more rows, ``blocks`` lists
    every ordering of the template (all bsize! permutations, so each arrangement has its
    permutation probability) and a block is the row ``floor(u * rows)`` of one uniform.
    Blocks of two take one bit each (bits of 64-bit draws, in the order the blocks open). Larger
    blocks: each group's sequence of blocks is drawn group by group, one uniform per block (a
    row of the table; without one, the Fisher-Yates index digits peeled off it up to 14, or one
    uniform per position), then dealt to the group's patients in enrolment order.
    """
    n_strata = strat_cum.size
    template = blocks[0]
    bsize = template.size
    n_groups = n_strata if stratified_blocks else 1
    if bsize == 2:
        word = uint64(0)
        left = 0
        if n_groups == 1 and n_strata == 1:  # block k holds patients 2k, 2k + 1 (cell has room for n + 1)
            n_blocks = (n + 1) // 2
            k = 0
            while k < n_blocks:
                word = _rng.bits(state)
                m = min(64, n_blocks - k)
                for q in range(m):
                    r = np.intp((word >> uint64(q)) & uint64(1))
                    cell[2 * (k + q)] = template[1 - r]
                    cell[2 * (k + q) + 1] = template[r]
                k += m
            return
        # the second arm of a group's open block waits in pend[g] (-1: none); branch-free, a
        # new block consumes the next bit
        pend = np.full(n_groups, -1, dtype=np.int64)
        t0 = template[0]
        t1 = template[1]
        for i in range(n):
            s = _stratum_branchless(u_strat[i], strat_cum) if n_strata > 1 else 0
            g = s if stratified_blocks else 0
            a = pend[g]
            new = 1 if a < 0 else 0
            if left == 0:  # predictable: once per 64 blocks
                word = _rng.bits(state)
                left = 64
            r = np.intp(word & uint64(1))
            word >>= uint64(new)
            left -= new
            first = t0 if r == 1 else t1  # template[1 - r]
            second = t1 if r == 1 else t0  # template[r]
            cell[i] = s * n_arms + (first if new else a)
            pend[g] = second if new else -1
        return
    # larger blocks: each group's sequence of shuffled blocks is drawn first (group by group,
    # block by block), then dealt to the group's patients in enrolment order
    counts = np.zeros(n_groups, dtype=np.int64)
    for i in range(n):
        s = _stratum_branchless(u_strat[i], strat_cum) if n_strata > 1 else 0
        cell[i] = s
        counts[s if stratified_blocks else 0] += 1
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for g in range(n_groups):
        start[g + 1] = start[g] + -(-counts[g] // bsize) * bsize
    seq = np.empty(start[n_groups], dtype=np.int64)
    n_blocks = start[n_groups] // bsize
    n_rows = blocks.shape[0]
    if n_rows > 1:  # a row of the table of orderings: no dependency chain per block
        u = np.empty(n_blocks)
        _rng.uniforms(state, u, 0, n_blocks)
        for b in range(n_blocks):
            row = min(int(u[b] * n_rows), n_rows - 1)
            o = b * bsize
            for j in range(bsize):
                seq[o + j] = blocks[row, j]
    elif bsize <= 14:
        u = np.empty(n_blocks)
        _rng.uniforms(state, u, 0, n_blocks)
        for b in range(n_blocks):
            _shuffle_into(seq, b * bsize, template, u[b])
    else:  # more permutations than one uniform resolves: a uniform per position
        u = np.empty(n_blocks * (bsize - 1))
        _rng.uniforms(state, u, 0, u.size)
        for b in range(n_blocks):
            o = b * bsize
            for j in range(bsize):
                seq[o + j] = template[j]
            for j in range(bsize - 1, 0, -1):
                r = min(int(u[b * (bsize - 1) + bsize - 1 - j] * (j + 1)), j)
                tmp = seq[o + j]
                seq[o + j] = seq[o + r]
                seq[o + r] = tmp
    for i in range(n):
        s = cell[i]
        g = s if stratified_blocks else 0
        cell[i] = s * n_arms + seq[start[g]]
        start[g] += 1


@njit(cache=True, error_model="numpy", no_cpython_wrapper=True, _nrt=True)
def fix_arm_counts(state, n, target, n_arms, cell):
    """Fixed arm counts: the last surplus patients of over-full arms get the missing arms, shuffled."""
    counts = np.zeros(n_arms, dtype=np.int64)
    if n_arms == 2:  # arm = cell % 2 = the cell's low bit (no division)
        ones = 0
        for i in range(n):
            ones += cell[i] & 1
        counts[0] = n - ones
        counts[1] = ones
    else:
        for i in range(n):
            counts[cell[i] % n_arms] += 1
    n_move = 0
    for a in range(n_arms):
        if counts[a] > target[a]:
            n_move += counts[a] - target[a]
    if n_move == 0:
        return
    moved = np.empty(n_move, dtype=np.int64)
    m = 0
    for a in range(n_arms):
        e = counts[a] - target[a]
        if e > 0:
            found = np.empty(e, dtype=np.int64)
            f = e
            for i in range(n - 1, -1, -1):
                if cell[i] % n_arms == a:
                    f -= 1
                    found[f] = i
                    if f == 0:
                        break
            for q in range(e):
                moved[m] = found[q]
                m += 1
    new = np.empty(n_move, dtype=np.int64)
    m = 0
    for a in range(n_arms):
        for _q in range(max(0, target[a] - counts[a])):
            new[m] = a
            m += 1
    for j in range(n_move - 1, 0, -1):
        r = min(int(_rng.uniform(state) * (j + 1)), j)
        tmp = new[j]
        new[j] = new[r]
        new[r] = tmp
    for q in range(n_move):
        i = moved[q]
        cell[i] = (cell[i] // n_arms) * n_arms + new[q]
