"""CUDA sort kernels: a stable bitonic sort of many rows at once, in global memory. The host
side is nbtensor/backends/cuda/sort.py.

Each row of n elements is padded (virtually) to p, the next power of two, and sorted as
(key, position) pairs: `sort_init` maps each element's bits to an unsigned order key (the
same map as the CPU's kernels/cpu/sortkeys.py: floats flip the sign bit, or every bit of a
negative; -0.0 is keyed as +0.0 and every NaN as one NaN above +inf; signed integers flip
the sign bit; descending flips every key bit) and pads each row with the largest key.
`sort_step` is one compare-exchange step of the bitonic network over every row at once (the
host launches it log2(p) * (log2(p) + 1) / 2 times); pairs are compared on (key, position),
so equal keys keep their order: the sort is stable, whichever direction. `sort_gather`
writes the first n pairs of each row out as (values, indices), values read from the source
at each index (so -0.0 and NaN payloads survive, as on the CPU).

Storages arrive as unsigned integers of the element's width (one compilation per width
serves every dtype); every kernel is a grid-stride loop, so any launch shape covers any size.
"""
from numba import cuda, uint64

UNSIGNED, SIGNED, FLOAT = 0, 1, 2


@cuda.jit(device=True)
def _order_key(b, kind, sign, mask, inf, nan, flip):
    """Unsigned order key of the element bits `b` (uint64): `sign` is the sign bit, `mask`
    the bits below it, `inf` the bits of +inf and `nan` the one key every NaN gets; `flip`
    is every bit of the width (descending) or 0."""
    if kind == FLOAT:
        mag = b & mask
        if mag > inf:
            b = nan
        elif mag == uint64(0):
            b = uint64(0)
        if (b & sign) != uint64(0):
            b = b ^ (sign | mask)
        else:
            b = b | sign
    elif kind == SIGNED:
        b = b ^ sign
    return b ^ flip


@cuda.jit(cache=True)
def sort_init(src, n, p, kind, sign, mask, inf, nan, flip, pad, keys, idx):
    """keys[r * p + j] = order key of src[r * n + j] (`pad` for j >= n, past the row's end),
    idx[r * p + j] = j, for every row r of the rows * p slots of `keys`."""
    for t in range(cuda.grid(1), keys.shape[0], cuda.gridsize(1)):
        r = t // p
        j = t - r * p
        if j < n:
            keys[t] = _order_key(uint64(src[r * n + j]), kind, sign, mask, inf, nan, flip)
        else:
            keys[t] = pad
        idx[t] = j


@cuda.jit(cache=True)
def sort_step(keys, idx, p, k, j):
    """One step of the bitonic network on every row of p slots: for the sequences of length
    `k` being merged, compare-exchange each slot i (bit `j` clear) with i + j, ascending where
    i's row position has bit `k` clear, descending elsewhere (the last merge, k = p, is
    ascending everywhere). Pairs are ordered by (key, position)."""
    low = j - 1
    for q in range(cuda.grid(1), keys.shape[0] // 2, cuda.gridsize(1)):
        i = ((q & ~low) << 1) | (q & low)  # q with a zero bit inserted at j
        m = i + j
        ki = keys[i]
        km = keys[m]
        ii = idx[i]
        im = idx[m]
        after = ki > km or (ki == km and ii > im)
        ascending = (i & (p - 1) & k) == 0
        if after == ascending:
            keys[i] = km
            keys[m] = ki
            idx[i] = im
            idx[m] = ii


@cuda.jit(cache=True)
def sort_gather(src, n, p, idx, values, indices):
    """The first n sorted slots of each row as results: indices[r * n + j] = idx[r * p + j]
    and values[r * n + j] = src[r * n + that index]."""
    for t in range(cuda.grid(1), values.shape[0], cuda.gridsize(1)):
        r = t // n
        s = idx[t + r * (p - n)]
        indices[t] = s
        values[t] = src[r * n + s]
