"""Compiled (numba) sorting helpers of the simulation kernels: bucket sorts, linear for spread-out times."""

from __future__ import annotations

from numba import njit


@njit(cache=True, error_model="numpy", _nrt=False)
def argsort_events_first(keys, is_event, hi, order, start, bucket):
    """Argsort of keys in [0, hi] (finite) by (key, dropout flag), stable among equals.

    One bucket per key, insertion sort inside: linear in expectation for keys spread over the
    range, as exit times are. At equal keys events (is_event 1) come before dropouts (0). Work
    arrays: order (the result, n), start (n + 1) and bucket (n).
    """
    n = keys.size
    if n == 0:
        return
    nb = n
    scale = nb / hi if hi > 0.0 else 0.0
    for b in range(nb + 1):
        start[b] = 0
    for i in range(n):
        b = int(keys[i] * scale)
        if b >= nb:
            b = nb - 1
        elif b < 0:
            b = 0
        bucket[i] = b
        start[b + 1] += 1
    for b in range(nb):
        start[b + 1] += start[b]
    for i in range(n):  # start[b] becomes the end of bucket b
        b = bucket[i]
        order[start[b]] = i
        start[b] += 1
    lo = 0
    for b in range(nb):
        end = start[b]
        for r in range(lo + 1, end):
            v = order[r]
            key = keys[v]
            flag = is_event[v]
            q = r - 1
            while q >= lo and (keys[order[q]] > key or (keys[order[q]] == key and is_event[order[q]] < flag)):
                order[q + 1] = order[q]
                q -= 1
            order[q + 1] = v
        lo = end


@njit(cache=True, error_model="numpy", _nrt=False)
def select_into(values, out, start, bucket, ranks):
    """out[q] = the q-th smallest of values (0-based) for each q in ranks (ascending, < n).

    A bucket sort (one bucket per value over [min, max], linear in expectation for values spread
    over their range, as event times are) that insertion-sorts only the buckets holding one of
    the ranks: every value of a bucket lies between those of the buckets before and after it, so
    a sorted bucket puts its order statistics in place. Other entries of out hold the values
    grouped by bucket; with every rank, out is the sorted values. Work arrays: start (n + 1) and
    bucket (n).
    """
    n = values.size
    if n == 0:
        return
    lo = values[0]
    hi = values[0]
    for i in range(n):
        v = values[i]
        lo = min(lo, v)
        hi = max(hi, v)
    scale = n / (hi - lo) if hi > lo else 0.0
    for b in range(n + 1):
        start[b] = 0
    for i in range(n):
        b = min(int((values[i] - lo) * scale), n - 1)
        bucket[i] = b
        start[b + 1] += 1
    for b in range(n):
        start[b + 1] += start[b]
    for i in range(n):
        b = bucket[i]
        out[start[b]] = values[i]
        start[b] += 1
    # start[b] is now the end of bucket b; find the bucket of each rank (ranks ascending)
    b = 0
    done = -1
    for k in range(ranks.size):
        q = ranks[k]
        while start[b] <= q:
            b += 1
        if b == done:
            continue
        lo_b = start[b - 1] if b > 0 else 0
        for r in range(lo_b + 1, start[b]):
            v = out[r]
            j = r - 1
            while j >= lo_b and out[j] > v:
                out[j + 1] = out[j]
                j -= 1
            out[j + 1] = v
        done = b
