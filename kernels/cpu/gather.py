"""Strided gather/scatter kernels: advanced indexing, gather/scatter along a dimension,
masked compress (``x[mask]``) and masked fill.

Conventions (DESIGN §1): flat 1-D storages, element offsets, int64 shape/stride arrays.
Data-movement modes are called with storages viewed as unsigned integers of the element's
width, so one compilation serves every dtype of that width; the arithmetic modes (add,
multiply) get the real dtype (float16 is routed through float32 by the facade). The facade
validated every index: these kernels never bounds-check.

Each kernel body is a helper over a chunk of the work; a serial kernel runs one chunk and a
``_par`` kernel spreads chunks over threads with ``prange`` (chosen above a size threshold).
"""
import numba
import numpy as np
from numba import prange

from .._jit import helper, kernel
from ..strides import advance, position

# A plain jitted function called by kernels: LLVM links (and may inline) it into each cached
# kernel; it is never called on its own.
_subroutine = numba.njit(error_model="numpy", nogil=True)

# Modes of the indexed kernels: what happens to the destination element.
COPY, ADD, MUL = 0, 1, 2
# Modes of the gather/scatter-along-a-dimension kernels.
GATHER, SCATTER, SCATTER_ADD, SCATTER_MUL = 0, 1, 2, 3


@helper
def _put(dst, d, v, mode):
    if mode == ADD:
        dst[d] += v
    else:
        dst[d] *= v


@helper
def _wrapped(v, wrap):
    """v, or v + wrap when v is negative (branch-free)."""
    return v + ((v >> 63) & wrap)


@helper
def _level(tab, i, wrap, stride):
    """Offset of position `i` of one level: ``i * stride``, or ``table[i] * stride`` with a
    negative table entry wrapped by `wrap` (an index value)."""
    if tab.shape[0] == 0:
        return i * stride
    return _wrapped(tab[i], wrap) * stride


# --------------------------------------------------------------------------- indexed copy
# dst[dst_off(p, j, q1, q2)] (op)= src[src_off(p, j, q1, q2)], over P x J x Q1 x Q2 where
# off(p, j, q1, q2) = base + level(pre, p) + level(mid, j) + level(post, q1) + q2 * inner.
# A side is its storage, a tuple of three int64 tables (pre, mid, post; empty = affine) and
# meta = [base, pre_stride, mid_stride, mid_wrap, post_stride, inner_stride].
# `indexed_copy` moves bits; `indexed_acc` adds or multiplies real values. Their bodies are
# plain subroutines (compiled into the cached kernel), which compiles much faster than
# inlining at the numba IR level.


@_subroutine
def _copy_mid(dst, dp, dtab, dm, src, sp, stab, sm, ja, jb):
    """One element per mid position j in [ja, jb) (no post dims)."""
    n = jb - ja
    if dtab.shape[0] == 0 and stab.shape[0] != 0 and dm[2] == 1:
        # gather into a contiguous run, indexed from 0 so that LLVM vectorises it
        o = dst[dp + ja:dp + jb]
        t = stab[ja:jb]
        w, s = sm[3], sm[2]
        for i in range(n):
            o[i] = src[sp + _wrapped(t[i], w) * s]
    elif dtab.shape[0] != 0 and stab.shape[0] == 0 and sm[2] == 1:
        # scatter from a contiguous run
        v = src[sp + ja:sp + jb]
        t = dtab[ja:jb]
        w, s = dm[3], dm[2]
        for i in range(n):
            dst[dp + _wrapped(t[i], w) * s] = v[i]
    else:
        for j in range(ja, jb):
            dst[dp + _level(dtab, j, dm[3], dm[2])] = src[sp + _level(stab, j, sm[3], sm[2])]


@_subroutine
def _copy_rows(dst, dtabs, dm, src, stabs, sm, dims, r0, r1):
    jn, q1n, q2n = dims[1], dims[2], dims[3]
    dpre, dmid, dpost = dtabs
    spre, smid, spost = stabs
    di, si = dm[5], sm[5]
    r = r0
    while r < r1:
        p = r // jn
        ja = r - p * jn
        jb = min(jn, ja + (r1 - r))
        dp = dm[0] + _level(dpre, p, 0, dm[1])
        sp = sm[0] + _level(spre, p, 0, sm[1])
        if q1n == 1 and q2n == 1:
            _copy_mid(dst, dp, dmid, dm, src, sp, smid, sm, ja, jb)
        else:
            for j in range(ja, jb):
                d0 = dp + _level(dmid, j, dm[3], dm[2])
                s0 = sp + _level(smid, j, sm[3], sm[2])
                for q1 in range(q1n):
                    d1 = d0 + _level(dpost, q1, 0, dm[4])
                    s1 = s0 + _level(spost, q1, 0, sm[4])
                    if di == 1 and si == 1:
                        dst[d1:d1 + q2n] = src[s1:s1 + q2n]
                    else:
                        for q2 in range(q2n):
                            dst[d1 + q2 * di] = src[s1 + q2 * si]
        r += jb - ja


@kernel()
def indexed_copy(dst, dtabs, dm, src, stabs, sm, dims):
    """Serial indexed copy (see the layout comment above)."""
    _copy_rows(dst, dtabs, dm, src, stabs, sm, dims, 0, dims[0] * dims[1])


@kernel(parallel=True)
def indexed_copy_par(dst, dtabs, dm, src, stabs, sm, dims, nchunks):
    """Threaded indexed copy (duplicate destinations: one of the values wins per element)."""
    rows = dims[0] * dims[1]
    per = (rows + nchunks - 1) // nchunks
    for c in prange(nchunks):
        r0 = c * per
        r1 = min(rows, r0 + per)
        if r0 < r1:
            _copy_rows(dst, dtabs, dm, src, stabs, sm, dims, r0, r1)


@kernel()
def indexed_acc(dst, dtabs, dm, src, stabs, sm, dims, mode):
    """Serial indexed accumulate: dst (+= or *=, by `mode`) src; duplicates all apply."""
    jn, q1n, q2n = dims[1], dims[2], dims[3]
    dpre, dmid, dpost = dtabs
    spre, smid, spost = stabs
    for p in range(dims[0]):
        dp = dm[0] + _level(dpre, p, 0, dm[1])
        sp = sm[0] + _level(spre, p, 0, sm[1])
        for j in range(jn):
            d0 = dp + _level(dmid, j, dm[3], dm[2])
            s0 = sp + _level(smid, j, sm[3], sm[2])
            for q1 in range(q1n):
                d1 = d0 + _level(dpost, q1, 0, dm[4])
                s1 = s0 + _level(spost, q1, 0, sm[4])
                for q2 in range(q2n):
                    _put(dst, d1 + q2 * dm[5], src[s1 + q2 * sm[5]], mode)


# --------------------------------------------------------------------------- walking chunks
# An iteration of `shape` (int64, the last dimension innermost) over operands with strides
# st (operands x ndim) from offsets base; a chunk is the flat element range [e0, e1).


@helper
def _chunk_start(shape, st, base, e0, cur, odo):
    inner = shape[shape.shape[0] - 1]
    row = e0 // inner
    position(shape, st, base, row, cur, odo)
    return e0 - row * inner


# --------------------------------------------------------------------------- along a dim
# Operands: 0 = the plain side (gather's output, scatter's source), 1 = the index tensor,
# 2 = the indexed side with the stride of `dim` set to 0; `sd` is that dimension's stride.


@helper
def _dim_chunk(plain, idx, other, shape, st, base, sd, mode, e0, e1):
    nd = shape.shape[0]
    inner = shape[nd - 1]
    s0, s1, s2 = st[0, nd - 1], st[1, nd - 1], st[2, nd - 1]
    cur = np.empty(3, np.int64)
    odo = np.empty(nd, np.int64)
    col = _chunk_start(shape, st, base, e0, cur, odo)
    e = e0
    while e < e1:
        n = min(inner - col, e1 - e)
        a = cur[0] + col * s0
        b = cur[1] + col * s1
        c = cur[2] + col * s2
        if mode == GATHER:
            for i in range(n):
                plain[a + i * s0] = other[c + i * s2 + idx[b + i * s1] * sd]
        elif mode == SCATTER:
            for i in range(n):
                other[c + i * s2 + idx[b + i * s1] * sd] = plain[a + i * s0]
        elif mode == SCATTER_ADD:
            for i in range(n):
                other[c + i * s2 + idx[b + i * s1] * sd] += plain[a + i * s0]
        else:
            for i in range(n):
                other[c + i * s2 + idx[b + i * s1] * sd] *= plain[a + i * s0]
        e += n
        col = 0
        if e < e1:
            advance(shape, st, odo, cur)


@kernel()
def along_dim(plain, idx, other, shape, st, base, sd, mode, n):
    """Serial gather / scatter / scatter-accumulate along one dimension."""
    _dim_chunk(plain, idx, other, shape, st, base, sd, mode, 0, n)


@kernel(parallel=True)
def along_dim_par(plain, idx, other, shape, st, base, sd, mode, n, nchunks):
    """Threaded gather (GATHER mode only: scatters may write one element twice)."""
    per = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        e0 = c * per
        e1 = min(n, e0 + per)
        if e0 < e1:
            _dim_chunk(plain, idx, other, shape, st, base, sd, mode, e0, e1)


# --------------------------------------------------------------------------- masks
# Operand 0 is the data (source or destination), operand 1 the mask (uint8, nonzero = set);
# iteration order is the logical row-major order (compress keeps it).


@helper
def _count_chunk(mask, shape, st, base, e0, e1):
    nd = shape.shape[0]
    inner = shape[nd - 1]
    sm = st[1, nd - 1]
    cur = np.empty(2, np.int64)
    odo = np.empty(nd, np.int64)
    col = _chunk_start(shape, st, base, e0, cur, odo)
    e = e0
    k = 0
    while e < e1:
        n = min(inner - col, e1 - e)
        m = cur[1] + col * sm
        if sm == 1:
            for i in range(n):
                k += mask[m + i] != 0
        else:
            for i in range(n):
                k += mask[m + i * sm] != 0
        e += n
        col = 0
        if e < e1:
            advance(shape, st, odo, cur)
    return k


@helper
def _compress_chunk(src, mask, out, k, kend, shape, st, base, e0, e1):
    # Branch-free: every element is stored at out[k] and k advances past the selected ones;
    # the chunk stops as soon as its last selected element is stored, so it never writes
    # outside out[k:kend].
    if k == kend:
        return
    nd = shape.shape[0]
    inner = shape[nd - 1]
    ss, sm = st[0, nd - 1], st[1, nd - 1]
    cur = np.empty(2, np.int64)
    odo = np.empty(nd, np.int64)
    col = _chunk_start(shape, st, base, e0, cur, odo)
    e = e0
    while e < e1:
        n = min(inner - col, e1 - e)
        a = cur[0] + col * ss
        m = cur[1] + col * sm
        for i in range(n):
            out[k] = src[a + i * ss]
            k += mask[m + i * sm] != 0
            if k == kend:
                return
        e += n
        col = 0
        if e < e1:
            advance(shape, st, odo, cur)


@kernel()
def mask_count(mask, shape, st, base, n):
    """Number of nonzero mask elements."""
    out = np.zeros(1, np.int64)
    out[0] = _count_chunk(mask, shape, st, base, 0, n)
    return out


@kernel(parallel=True)
def mask_count_par(mask, shape, st, base, n, nchunks):
    """Nonzero mask elements per chunk of n / nchunks elements."""
    out = np.zeros(nchunks, np.int64)
    per = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        e0 = c * per
        e1 = min(n, e0 + per)
        if e0 < e1:
            out[c] = _count_chunk(mask, shape, st, base, e0, e1)
    return out


@kernel()
def compress(src, mask, out, shape, st, base, n):
    """out[:] = the source elements whose mask is set, in row-major order."""
    _compress_chunk(src, mask, out, 0, out.shape[0], shape, st, base, 0, n)


@kernel(parallel=True)
def compress_par(src, mask, out, shape, st, base, n, counts):
    """Threaded compress; counts[c] = selected elements of chunk c (from mask_count_par)."""
    nchunks = counts.shape[0]
    starts = np.zeros(nchunks, np.int64)
    for c in range(1, nchunks):
        starts[c] = starts[c - 1] + counts[c - 1]
    per = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        e0 = c * per
        e1 = min(n, e0 + per)
        if e0 < e1:
            _compress_chunk(src, mask, out, starts[c], starts[c] + counts[c], shape, st, base, e0, e1)


@helper
def _fill_chunk(dst, mask, value, shape, st, base, e0, e1):
    nd = shape.shape[0]
    inner = shape[nd - 1]
    sd, sm = st[0, nd - 1], st[1, nd - 1]
    v = value[0]
    cur = np.empty(2, np.int64)
    odo = np.empty(nd, np.int64)
    col = _chunk_start(shape, st, base, e0, cur, odo)
    e = e0
    while e < e1:
        n = min(inner - col, e1 - e)
        a = cur[0] + col * sd
        m = cur[1] + col * sm
        if sd == 1 and sm == 1:
            for i in range(n):
                dst[a + i] = v if mask[m + i] != 0 else dst[a + i]
        else:
            for i in range(n):
                if mask[m + i * sm] != 0:
                    dst[a + i * sd] = v
        e += n
        col = 0
        if e < e1:
            advance(shape, st, odo, cur)


@kernel()
def masked_fill(dst, mask, value, shape, st, base, n):
    """dst[i] = value[0] where mask[i] is set."""
    _fill_chunk(dst, mask, value, shape, st, base, 0, n)


@kernel(parallel=True)
def masked_fill_par(dst, mask, value, shape, st, base, n, nchunks):
    """Threaded masked fill."""
    per = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        e0 = c * per
        e1 = min(n, e0 + per)
        if e0 < e1:
            _fill_chunk(dst, mask, value, shape, st, base, e0, e1)
