"""Strided gather/scatter kernels: advanced indexing, gather/scatter along a dimension,
masked compress (``x[mask]``) and masked fill.

Conventions (DESIGN §1): flat 1-D storages, element offsets, int64 shape/stride arrays.
Copy kernels are called with storages viewed as unsigned integers of the element's width,
so one compilation serves every dtype of that width; the accumulating kernels (add,
multiply) get the real dtype (float16 is routed through float32 by the facade). The facade
validated every index: these kernels never bounds-check.

Every kernel works on a range of its iteration ([lo, hi) of rows or of elements), so the
backend can run one kernel over the whole range or split it across threads (nogil); there
are no separate ``prange`` builds to compile.
"""
import numba
import numpy as np

from .._jit import helper, kernel
from ..strides import advance, position

# A plain jitted function called by kernels: LLVM links it into each cached kernel; it is
# never called on its own (compiles faster than numba-IR inlining of large bodies).
_subroutine = numba.njit(error_model="numpy", nogil=True)

ADD, MUL = 1, 2
# Rows of the mid level shorter than this are copied in place, not by a `_copy_mid` call.
_SHORT_RUN = 16


@helper
def _put(dst, d, v, mode):
    if mode == ADD:
        dst[d] += v
    else:
        dst[d] *= v


@helper
def _copy_run(dst, src):
    """dst[:] = src[:] for two 1-D slices of one length, by a loop LLVM vectorises (their
    indices count from 0; ``dst[o + q] = src[s + q]`` ran 2.5x slower)."""
    for q in range(dst.shape[0]):
        dst[q] = src[q]


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
# dst[dst_off(p, j, q1, q2)] (op)= src[src_off(p, j, q1, q2)] over P x J x Q1 x Q2, where
# off(p, j, q1, q2) = base + level(pre, p) + level(mid, j) + level(post, q1) + q2 * inner.
# A side is its storage, a tuple of three int64 tables (pre, mid, post; empty = affine) and
# meta = [base, pre_stride, mid_stride, mid_wrap, post_stride, inner_stride]. A row is one
# (p, j) pair; dims = [P, J, Q1, Q2].


@_subroutine
def _copy_mid(dst, dp, dtab, dm, src, sp, stab, sm, ja, jb):
    """One element per mid position j in [ja, jb) (no post dims)."""
    n = jb - ja
    if dtab.shape[0] == 0 and stab.shape[0] != 0 and dm[2] == 1:
        # gather into a contiguous run, indexed from 0 so that LLVM vectorises it
        o = dst[dp + ja:dp + jb]
        t = stab[ja:jb]
        w, s = sm[3], sm[2]
        if w == 0 and s == 1:  # no negative index to wrap (the facade knows)
            for i in range(n):
                o[i] = src[sp + t[i]]
        else:
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
        _copy_mid_any(dst, dp, dtab, dm, src, sp, stab, sm, ja, jb)


@helper
def _copy_mid_any(dst, dp, dtab, dm, src, sp, stab, sm, ja, jb):
    """`_copy_mid` for any layout, one element at a time."""
    for j in range(ja, jb):
        dst[dp + _level(dtab, j, dm[3], dm[2])] = src[sp + _level(stab, j, sm[3], sm[2])]


@kernel()
def indexed_copy(dst, dtabs, dm, src, stabs, sm, dims, r0, r1):
    """Copy rows [r0, r1) (see the layout comment above). Rows that write one element
    twice leave one of the values there."""
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
        if q1n == 1 and q2n == 1 and jb - ja < _SHORT_RUN:
            # a call per row of a few elements would cost more than the copy
            _copy_mid_any(dst, dp, dmid, dm, src, sp, smid, sm, ja, jb)
        elif q1n == 1 and q2n == 1:
            _copy_mid(dst, dp, dmid, dm, src, sp, smid, sm, ja, jb)
        else:
            for j in range(ja, jb):
                d0 = dp + _level(dmid, j, dm[3], dm[2])
                s0 = sp + _level(smid, j, sm[3], sm[2])
                for q1 in range(q1n):
                    d1 = d0 + _level(dpost, q1, 0, dm[4])
                    s1 = s0 + _level(spost, q1, 0, sm[4])
                    if di == 1 and si == 1:
                        o = dst[d1:d1 + q2n]
                        v = src[s1:s1 + q2n]
                        for q2 in range(q2n):
                            o[q2] = v[q2]
                    else:
                        for q2 in range(q2n):
                            dst[d1 + q2 * di] = src[s1 + q2 * si]
        r += jb - ja


@kernel()
def indexed_acc(dst, dtabs, dm, src, stabs, sm, dims, mode):
    """dst (+= or *=, by `mode`) src over the whole P x J x Q1 x Q2 iteration, serially:
    every duplicate destination receives every value."""
    dpre, dmid, dpost = dtabs
    spre, smid, spost = stabs
    for p in range(dims[0]):
        dp = dm[0] + _level(dpre, p, 0, dm[1])
        sp = sm[0] + _level(spre, p, 0, sm[1])
        for j in range(dims[1]):
            d0 = dp + _level(dmid, j, dm[3], dm[2])
            s0 = sp + _level(smid, j, sm[3], sm[2])
            for q1 in range(dims[2]):
                d1 = d0 + _level(dpost, q1, 0, dm[4])
                s1 = s0 + _level(spost, q1, 0, sm[4])
                for q2 in range(dims[3]):
                    _put(dst, d1 + q2 * dm[5], src[s1 + q2 * sm[5]], mode)


# --------------------------------------------------------------------------- walking ranges
# An iteration of `shape` (int64, the last dimension innermost) over operands with strides
# st (operands x ndim) from offsets base; a range is the flat element interval [e0, e1),
# walked row by row: `_start` positions the odometer, the caller loops over each row.


@helper
def _start(shape, st, base, e0, cur, odo):
    """Position cur/odo at flat element e0; returns its column in the innermost dim."""
    inner = shape[shape.shape[0] - 1]
    row = e0 // inner
    position(shape, st, base, row, cur, odo)
    return e0 - row * inner


# --------------------------------------------------------------------------- along a dim
# Operands: 0 = the plain side (gather's output, scatter's source), 1 = the int64 index
# tensor, 2 = the indexed side with the stride of `dim` set to 0; `sd` is that stride.


@kernel()
def along_dim_copy(plain, idx, other, shape, st, base, sd, scatter, e0, e1):
    """Gather ``plain[pos] = other[pos, dim := idx[pos]]`` (or, with `scatter`, the
    reverse assignment) for the flat positions [e0, e1)."""
    nd = shape.shape[0]
    inner = shape[nd - 1]
    s0, s1, s2 = st[0, nd - 1], st[1, nd - 1], st[2, nd - 1]
    cur = np.empty(3, np.int64)
    odo = np.empty(nd, np.int64)
    col = _start(shape, st, base, e0, cur, odo)
    e = e0
    while e < e1:
        n = min(inner - col, e1 - e)
        a = cur[0] + col * s0
        b = cur[1] + col * s1
        c = cur[2] + col * s2
        if scatter:
            for i in range(n):
                other[c + i * s2 + idx[b + i * s1] * sd] = plain[a + i * s0]
        elif s0 == 1:
            o = plain[a:a + n]
            for i in range(n):
                o[i] = other[c + i * s2 + idx[b + i * s1] * sd]
        else:
            for i in range(n):
                plain[a + i * s0] = other[c + i * s2 + idx[b + i * s1] * sd]
        e += n
        col = 0
        if e < e1:
            advance(shape, st, odo, cur)


@kernel()
def along_dim_acc(plain, idx, other, shape, st, base, sd, mode, e0, e1):
    """Scatter-accumulate ``other[pos, dim := idx[pos]] (+= or *=) plain[pos]``."""
    nd = shape.shape[0]
    inner = shape[nd - 1]
    s0, s1, s2 = st[0, nd - 1], st[1, nd - 1], st[2, nd - 1]
    cur = np.empty(3, np.int64)
    odo = np.empty(nd, np.int64)
    col = _start(shape, st, base, e0, cur, odo)
    e = e0
    while e < e1:
        n = min(inner - col, e1 - e)
        a = cur[0] + col * s0
        b = cur[1] + col * s1
        c = cur[2] + col * s2
        for i in range(n):
            _put(other, c + i * s2 + idx[b + i * s1] * sd, plain[a + i * s0], mode)
        e += n
        col = 0
        if e < e1:
            advance(shape, st, odo, cur)


# --------------------------------------------------------------------------- masks
# Operand 0 is the data (source or destination), operand 1 the mask (uint8, nonzero = set);
# ranges follow the logical row-major order (compress keeps it).


@kernel()
def mask_count(mask, shape, st, base, e0, e1):
    """Number of set mask elements among the flat positions [e0, e1)."""
    nd = shape.shape[0]
    inner = shape[nd - 1]
    sm = st[1, nd - 1]
    cur = np.empty(2, np.int64)
    odo = np.empty(nd, np.int64)
    col = _start(shape, st, base, e0, cur, odo)
    e = e0
    k = 0
    while e < e1:
        n = min(inner - col, e1 - e)
        m = cur[1] + col * sm
        if sm == 1:
            row = mask[m:m + n]
            for i in range(n):
                k += row[i] != 0
        else:
            for i in range(n):
                k += mask[m + i * sm] != 0
        e += n
        col = 0
        if e < e1:
            advance(shape, st, odo, cur)
    return k


@kernel()
def compress(src, mask, out, k, kend, shape, st, base, e0, e1):
    """out[k:kend] = the source elements at flat positions [e0, e1) whose mask is set.

    Branch-free: each element is stored at out[k] and k advances past the selected ones;
    the loop stops as soon as the last selected element is stored, so it never writes
    outside out[k:kend] (kend - k is the count of set mask elements in the range).
    """
    if k == kend:
        return
    nd = shape.shape[0]
    inner = shape[nd - 1]
    ss, sm = st[0, nd - 1], st[1, nd - 1]
    cur = np.empty(2, np.int64)
    odo = np.empty(nd, np.int64)
    col = _start(shape, st, base, e0, cur, odo)
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
def mask_count_flat(mask, moff, n):
    """Number of set elements of mask[moff:moff + n]."""
    # (a slice: an index counted from 0 is known not to wrap, so LLVM vectorises the loop;
    # ``mask[moff + i]`` costs 4x as much. The kernels below slice for the same reason.)
    row = mask[moff:moff + n]
    k = 0
    for i in range(n):
        k += row[i] != 0
    return k


@kernel()
def compress_flat(src, soff, mask, moff, n, out, count):
    """out[:count] = the elements of src[soff:soff + n] whose mask[moff + i] is set (`count`
    of them), branch-free as `compress`: it stops at the last set element, and never
    stores past out[count - 1] (were `count` wrong, the memory outside stays untouched)."""
    if count == 0:
        return
    row = mask[moff:moff + n]
    s = src[soff:soff + n]
    last = n - 1
    while last > 0 and row[last] == 0:
        last -= 1
    top = count - 1
    k = 0
    for i in range(last + 1):
        out[min(k, top)] = s[i]
        k += row[i] != 0


@kernel()
def masked_fill(dst, mask, value, shape, st, base, e0, e1):
    """dst[pos] = value[0] where mask[pos] is set, for the flat positions [e0, e1)."""
    nd = shape.shape[0]
    inner = shape[nd - 1]
    sd, sm = st[0, nd - 1], st[1, nd - 1]
    v = value[0]
    cur = np.empty(2, np.int64)
    odo = np.empty(nd, np.int64)
    col = _start(shape, st, base, e0, cur, odo)
    e = e0
    while e < e1:
        n = min(inner - col, e1 - e)
        a = cur[0] + col * sd
        m = cur[1] + col * sm
        if sd == 1 and sm == 1:
            o = dst[a:a + n]
            f = mask[m:m + n]
            for i in range(n):
                o[i] = v if f[i] != 0 else o[i]
        else:
            for i in range(n):
                if mask[m + i * sm] != 0:
                    dst[a + i * sd] = v
        e += n
        col = 0
        if e < e1:
            advance(shape, st, odo, cur)


# --------------------------------------------------------------------------- row-major fast paths
# A row-major tensor seen as (pre, size, post) around the indexed dimension; the facade's fast
# paths call the `_checked` kernels, which check the index values before they copy.


@helper
def _all_in(idx, ioff, n, size):
    """True when every value of idx[ioff:ioff + n] lies in [0, size)."""
    row = idx[ioff:ioff + n]
    bad = False
    for i in range(n):  # (branch-free: it vectorises, and valid indices are the common case)
        v = row[i]
        bad |= (v < 0) | (v >= size)
    return not bad


@kernel()
def select_rows_checked(out, src, soff, idx, ioff, n, pre, size, k, post):
    """`select_rows` after checking its `n` index values: False, writing nothing, when one is
    out of [0, size) (one call for the facade's check and the copy)."""
    if not _all_in(idx, ioff, n, size):
        return False
    select_rows(out, src, soff, idx, ioff, pre, size, k, post)
    return True


@kernel()
def gather_rows_checked(out, src, soff, idx, ioff, n, pre, size, k, post):
    """`gather_rows` after checking its `n` index values, as `select_rows_checked`."""
    if not _all_in(idx, ioff, n, size):
        return False
    gather_rows(out, src, soff, idx, ioff, pre, size, k, post)
    return True


@kernel()
def scatter_rows_checked(dst, doff, idx, ioff, n, pre, size, k, post, src, soff, step, mode):
    """``dst[p, idx[p, j, q], q] (=, += or *=, by `mode`: 0, ADD or MUL) src[p, j, q]``
    (scatter_, scatter_add_: `step` 1 for a row-major src of the index's shape, 0 for one
    value) after checking the `n` index values: False, writing nothing, when one is out of
    [0, size). A repeated index keeps the last value written there."""
    if not _all_in(idx, ioff, n, size):
        return False
    ix = idx[ioff:ioff + n]
    s = src[soff:]
    t = dst[doff:]
    for p in range(pre):
        for j in range(k):
            o = (p * k + j) * post
            for q in range(post):
                d = (p * size + ix[o + q]) * post + q
                v = s[(o + q) * step]
                if mode == 0:
                    t[d] = v
                else:
                    _put(t, d, v, mode)
    return True


@kernel()
def put_points_checked(dst, doff, k, size0, size1, i0, o0, i1, o1, m, post, src, soff, step, mode):
    """``dst[i0[j], i1[j], q] (=, or += by `mode`: 0 or ADD) src[j, q]`` for j < m, q < post
    (index_put_ by `k` (1 or 2) row-major index tensors of m values into a row-major dst of
    size0 (x size1) x post; with k 1, i1 is not read; `step` 1 for a row-major src, 0 for
    one value). Negative values count from the end; False, writing nothing, when one is
    out of range. A repeated index keeps the last value written there."""
    a0 = i0[o0:o0 + m]
    a1 = i1[o1:o1 + m]  # (not read when k is 1)
    for j in range(m):
        a = _wrapped(a0[j], size0)
        if a < 0 or a >= size0:
            return False
        if k == 2:
            b = _wrapped(a1[j], size1)
            if b < 0 or b >= size1:
                return False
    s = src[soff:]
    t = dst[doff:]
    for j in range(m):
        p = _wrapped(a0[j], size0)
        if k == 2:
            p = p * size1 + _wrapped(a1[j], size1)
        d = p * post
        o = j * post
        for q in range(post):
            v = s[(o + q) * step]
            if mode == 0:
                t[d + q] = v
            else:
                _put(t, d + q, v, mode)
    return True


@helper
def _strided_all_in(idx, ioff, istep, n, size):
    """True when every value idx[ioff + j * istep], j < n, lies in [0, size) (branch-free)."""
    bad = False
    for j in range(n):
        c = idx[ioff + j * istep]
        bad |= (c < 0) | (c >= size)
    return not bad


@helper
def _first_out_of_range(idx, ioff, istep, n, size):
    """The first j < n whose idx[ioff + j * istep] lies outside [0, size) (there is one)."""
    for j in range(n):
        c = idx[ioff + j * istep]
        if c < 0 or c >= size:
            return j
    return n


@kernel()
def negated_picks(out, src, soff, s0, s1, idx, ioff, istep, n, size):
    """``out[j] = -src[soff + j * s0 + idx[ioff + j * istep] * s1]`` for j < n (nll_loss's
    losses: minus each row's log-probability of its target class) after checking the n
    index values: -1 when done; else, writing nothing, the first j whose value is out of
    [0, size)."""
    if not _strided_all_in(idx, ioff, istep, n, size):
        return _first_out_of_range(idx, ioff, istep, n, size)
    s = src[soff:]
    for j in range(n):
        out[j] = -s[j * s0 + idx[ioff + j * istep] * s1]
    return -1


@kernel()
def negated_puts(out, g, goff, gstep, divisor, idx, ioff, istep, n, size):
    """The fresh row-major n x size `out` zeroed, then ``out[j, idx[ioff + j * istep]] =
    -(g[goff + j * gstep] / divisor)`` for j < n (nll_loss's gradient: minus each loss's
    gradient, over the count for a mean, at its target class) after checking the n index
    values: -1 when done; else, writing nothing, the first j whose value is out of [0, size)."""
    if not _strided_all_in(idx, ioff, istep, n, size):
        return _first_out_of_range(idx, ioff, istep, n, size)
    z = out[:n * size]
    for i in range(n * size):
        z[i] = 0
    for j in range(n):
        out[j * size + idx[ioff + j * istep]] = -(g[goff + j * gstep] / divisor)
    return -1


@kernel()
def put_rows_checked(dst, doff, idx, ioff, n, pre, size, post, src, soff, step):
    """``dst[p, idx[j], q] = src[soff + ((p * n + j) * post + q) * step]`` (``x[..., idx] = v``:
    `step` 1 for a row-major v of the indexed shape, 0 for one value) after checking the `n`
    index values: False, writing nothing, when one is out of [0, size). A repeated index
    keeps the last value written there."""
    if not _all_in(idx, ioff, n, size):
        return False
    ix = idx[ioff:ioff + n]
    for p in range(pre):
        for j in range(n):
            d = doff + (p * size + ix[j]) * post
            s = soff + (p * n + j) * post * step
            if post == 1:
                dst[d] = src[s]
            elif step == 1:
                _copy_run(dst[d:d + post], src[s:s + post])
            else:
                dst[d:d + post] = src[s]
    return True


@kernel()
def select_rows(out, src, soff, idx, ioff, pre, size, k, post):
    """``out[p, j, q] = src[p, idx[j], q]`` (index_select) for validated 0 <= idx < size."""
    ix = idx[ioff:ioff + k]
    if post == 1:  # (columns: ``m[:, [1, 3]]``; two slices per element would cost 2.5x)
        row = src[soff:]
        for p in range(pre):
            for j in range(k):
                out[p * k + j] = row[p * size + ix[j]]
        return
    for p in range(pre):
        for j in range(k):
            o = (p * k + j) * post
            s = soff + (p * size + ix[j]) * post
            _copy_run(out[o:o + post], src[s:s + post])


@kernel()
def gather_rows(out, src, soff, idx, ioff, pre, size, k, post):
    """``out[p, j, q] = src[p, idx[p, j, q], q]`` (gather) for validated 0 <= idx < size."""
    ix = idx[ioff:ioff + pre * k * post]
    s = src[soff:]
    if post == 1:  # (gather along the last dim: ``logits.gather(1, labels)``)
        for p in range(pre):
            row = p * size
            for j in range(k):
                o = p * k + j
                out[o] = s[row + ix[o]]
        return
    for p in range(pre):
        for j in range(k):
            o = (p * k + j) * post
            for q in range(post):
                out[o + q] = s[(p * size + ix[o + q]) * post + q]


@kernel()
def join_pair(out, a, ao, na, b, bo, nb):
    """``out = a[ao:ao + na] ++ b[bo:bo + nb]``: cat or stack of two tensors whose memory is
    one block each of the result's (the facade checked the ranges; called with the storages'
    own dtype, not as integers: a small join is one call, without views to make)."""
    for i in range(na):
        out[i] = a[ao + i]
    for i in range(nb):
        out[na + i] = b[bo + i]
