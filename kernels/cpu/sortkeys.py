"""Sorting support kernels.

A stable sort with indices is done as NumPy's (SIMD) sort of packed uint64 keys: each
element's bits are mapped to an unsigned integer with the same order (floats: flip the sign
bit, or every bit of a negative; -0.0 becomes +0.0 and every NaN one NaN above +inf, as
torch orders them; signed integers: flip the sign bit; descending: flip every bit), and the
top 32 bits of that key are packed above the element's position in its row. Sorting the
packed keys sorts by value, then by position: a stable sort. Elements of at most 32 bits
are done then; for 64-bit elements the low 32 key bits go to a side array and
``fix_runs`` re-sorts each run of equal high halves by (low half, position).
``unpack``/``unpack_values`` turn sorted keys back into values and indices;
``searchsorted_rows`` is a batched binary search.
"""
import numpy as np

from .._jit import helper, kernel

UNSIGNED, SIGNED, FLOAT = 0, 1, 2

_LOW = np.uint64(0xFFFFFFFF)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_SHIFT = np.uint64(32)


@helper
def _float_key(b, sign, full, inf):
    """Order key of float bits b, branch-free: NaNs -> one NaN above +inf, -0.0 -> +0.0,
    negatives -> every bit flipped, positives -> sign bit set."""
    mag = b & (sign - _ONE)
    b = inf + _ONE if mag > inf else (_ZERO if mag == _ZERO else b)
    neg = (b & sign) != _ZERO
    return (b ^ full) if neg else (b | sign)


@kernel()
def pack_keys(src, kind, width, inf_bits, descending, n, out, low, e0, e1):
    """For e in [e0, e1) (rows of n elements): out[e] = (top 32 bits of the order key of
    src[e]) << 32 | (position in the row); for 64-bit elements low[e] = the key's low 32
    bits. Descending flips every key bit.

    Returns (number of canonicalised elements (-0.0, non-canonical NaN), smallest and
    largest top half)."""
    sign = _ONE << np.uint64(width - 1)
    full = (sign - _ONE) | sign
    inf = np.uint64(inf_bits)
    flip = full if descending else _ZERO
    canonical_nan = inf + _ONE
    shift = np.uint64(width - 32 if width > 32 else 0)
    altered = 0
    hi_min = _LOW
    hi_max = _ZERO
    row = e0 // n
    col = e0 - row * n
    e = e0
    while e < e1:
        m = min(n - col, e1 - e)
        s = src[e:e + m]
        o = out[e:e + m]
        for i in range(m):
            b = np.uint64(s[i])
            if kind == FLOAT:
                altered += (((b & (sign - _ONE)) > inf) & (b != canonical_nan)) | (b == sign)
                key = _float_key(b, sign, full, inf) ^ flip
            elif kind == SIGNED:
                key = (b ^ sign) ^ flip
            else:
                key = b ^ flip
            hi = key >> shift
            hi_min = min(hi_min, hi)
            hi_max = max(hi_max, hi)
            o[i] = (hi << _SHIFT) | np.uint64(col + i)
        if width == 64:
            lw = low[e:e + m]
            for i in range(m):
                b = np.uint64(s[i])
                if kind == FLOAT:
                    key = _float_key(b, sign, full, inf) ^ flip
                else:
                    key = (b ^ sign) ^ flip
                lw[i] = np.uint32(key & _LOW)
        e += m
        col = 0
    return altered, hi_min, hi_max


@kernel()
def partition_keys(keys, pivot, out):
    """Branch-free partition of packed keys: those whose top half is below `pivot` go to
    the front of `out`, the others to the back (in any order: they are sorted next).
    Every key is stored at both ends and only one end advances, so a stray store is always
    overwritten before its slot is final. Returns the size of the front part."""
    lo = 0
    hi = keys.shape[0] - 1
    for i in range(keys.shape[0]):
        v = keys[i]
        out[lo] = v
        out[hi] = v
        front = (v >> _SHIFT) < pivot
        lo += front
        hi -= 1 - front
    return lo


@kernel()
def fix_runs(keys, low, n, limit, big):
    """Order each run of equal top halves in the sorted rows of `keys` by (low half,
    position): every run element's key becomes (low half) << 32 | position; runs up to
    `limit` long are then sorted here (insertion sort), longer ones are recorded as
    [start, end) rows of `big` for the caller to sort. Returns how many were recorded."""
    total = keys.shape[0]
    runs = np.empty((total // 2 + 1, 3), np.int64)
    nruns = 0
    for base in range(0, total, n):
        row = keys[base:base + n]
        s = 0
        hi = row[0] >> _SHIFT
        for e in range(1, n + 1):
            h = row[e] >> _SHIFT if e < n else ~hi
            if h != hi:
                if e - s > 1:
                    runs[nruns, 0] = base + s
                    runs[nruns, 1] = base + e
                    runs[nruns, 2] = base
                    nruns += 1
                s = e
                hi = h
    # independent random reads of the low halves (good memory-level parallelism)
    for r in range(nruns):
        s, e, base = runs[r, 0], runs[r, 1], runs[r, 2]
        for i in range(s, e):
            j = keys[i] & _LOW
            keys[i] = (np.uint64(low[base + np.int64(j)]) << _SHIFT) | j
    nbig = 0
    for r in range(nruns):
        s, e = runs[r, 0], runs[r, 1]
        if e - s > limit:
            big[nbig, 0] = s
            big[nbig, 1] = e
            nbig += 1
            continue
        for i in range(s + 1, e):
            v = keys[i]
            k = i - 1
            while k >= s and keys[k] > v:
                keys[k + 1] = keys[k]
                k -= 1
            keys[k + 1] = v
    return nbig


@kernel()
def unpack_values(keys, kind, width, descending, values, indices, e0, e1):
    """Indices and values straight from sorted keys of elements of at most 32 bits whose
    bits were not canonicalised (the key is a bijection of the value then)."""
    sign = _ONE << np.uint64(width - 1)
    full = (sign - _ONE) | sign
    flip = full if descending else _ZERO
    k = keys[e0:e1]
    v = values[e0:e1]
    ix = indices[e0:e1]
    for i in range(e1 - e0):
        p = k[i]
        ix[i] = np.int64(p & _LOW)
        b = (p >> _SHIFT) ^ flip
        if kind == FLOAT:
            b = (b ^ sign) if (b & sign) != _ZERO else (b ^ full)
        elif kind == SIGNED:
            b = b ^ sign
        v[i] = b


@kernel()
def unpack(keys, m, src, n, values, indices, e0, e1):
    """For rows of m sorted keys over source rows of n elements, positions [e0, e1): the
    indices (positions in the source row) and the values they point at."""
    row = e0 // m
    col = e0 - row * m
    e = e0
    while e < e1:
        count = min(m - col, e1 - e)
        k = keys[e:e + count]
        ix = indices[e:e + count]
        v = values[e:e + count]
        srow = src[row * n:(row + 1) * n]
        for i in range(count):
            ix[i] = np.int64(k[i] & _LOW)
        for i in range(count):
            v[i] = srow[ix[i]]
        e += count
        row += 1
        col = 0


@helper
def _before(a, b):
    """a sorts before b, NaN last (NumPy's and torch's order)."""
    return a < b or (b != b and a == a)


@kernel()
def searchsorted_rows(seq, values, right, out):
    """out[r, :] = insertion points of values[r, :] in the sorted row seq[r, :]: the first
    place whose element is not before the value (left) or is after it (right)."""
    n = seq.shape[1]
    for r in range(seq.shape[0]):
        row = seq[r]
        for c in range(values.shape[1]):
            v = values[r, c]
            lo, hi = 0, n
            while lo < hi:
                mid = (lo + hi) >> 1
                if _before(v, row[mid]) if right else not _before(row[mid], v):
                    hi = mid
                else:
                    lo = mid + 1
            out[r, c] = lo
