"""Sorting support kernels.

A stable sort of rows of elements at most 32 bits wide is done as NumPy's (SIMD) sort of
packed uint64 keys: the element's bits mapped to an unsigned integer with the same order
(floats: flip the sign bit, or every bit of a negative; -0.0 becomes +0.0 and every NaN one
NaN above +inf, as torch orders them; signed integers: flip the sign bit), shifted into the
high half, with the element's position in its row in the low half. Sorting the keys sorts
by value and then by position: a stable sort. ``pack_keys`` builds the keys, ``unpack``
turns sorted keys back into values and indices. ``searchsorted_rows`` is a batched binary
search.
"""
import numpy as np
from .._jit import helper, kernel

UNSIGNED, SIGNED, FLOAT = 0, 1, 2

_LOW = np.uint64(0xFFFFFFFF)
_ONE = np.uint64(1)
_SHIFT = np.uint64(32)


@helper
def _key(b, kind, sign, full, inf_bits, descending):
    if kind == FLOAT:
        mag = b & (sign - _ONE)
        if mag > inf_bits:
            b = inf_bits + _ONE
        elif mag == np.uint64(0):
            b = np.uint64(0)
        if b & sign:
            b = ~b & full
        else:
            b = b | sign
    elif kind == SIGNED:
        b = b ^ sign
    if descending:
        b = ~b & full
    return b


@kernel()
def pack_keys(src, kind, width, inf_bits, descending, n, out, e0, e1):
    """out[e] = (order-preserving key of src[e]) << 32 | (e mod n) for e in [e0, e1)
    (rows of length n)."""
    sign = _ONE << np.uint64(width - 1)
    full = (sign - _ONE) | sign
    inf = np.uint64(inf_bits)
    col = e0 % n
    for e in range(e0, e1):
        key = _key(np.uint64(src[e]), kind, sign, full, inf, descending)
        out[e] = (key << _SHIFT) | np.uint64(col)
        col += 1
        if col == n:
            col = 0


@kernel()
def unpack(keys, m, src, n, values, indices, e0, e1):
    """For rows of m sorted keys over source rows of n elements, positions [e0, e1): the
    indices (positions in the source row) and the values they point at."""
    row = e0 // m
    col = e0 - row * m
    base = row * n
    for e in range(e0, e1):
        j = np.int64(keys[e] & _LOW)
        indices[e] = j
        values[e] = src[base + j]
        col += 1
        if col == m:
            col = 0
            base += n


@kernel()
def searchsorted_rows(seq, values, right, out):
    """out[r, :] = insertion points of values[r, :] in the sorted row seq[r, :]."""
    for r in range(seq.shape[0]):
        if right:
            out[r, :] = np.searchsorted(seq[r], values[r], side="right")
        else:
            out[r, :] = np.searchsorted(seq[r], values[r], side="left")
