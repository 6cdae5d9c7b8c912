"""CUDA gather/scatter kernels: advanced indexing, gather/scatter along a dimension, masked
compress (``x[mask]``) and masked fill. The host side is nbtensor/backends/cuda/gather.py.

Conventions (DESIGN §1): flat 1-D device storages, element offsets, and the plan of each
launch packed into one int64 device array `info` (one host-to-device copy per call; its
layouts are described above each group of kernels). Every kernel is a grid-stride loop, so
any launch shape covers any size. The facade validated every index: no bounds checks.

Copy kernels take storages viewed as unsigned integers of the element's width (one
compilation per width serves every dtype). Accumulating kernels take the real dtype:
``cuda.atomic.add`` for sums, a compare-and-swap loop for products (CUDA has no atomic
multiply), so duplicate destinations receive every value. Floats are multiplied on their
bits viewed as int32/int64, because `cuda.atomic.cas` only takes integer arrays.
"""
import numpy as np
from numba import config, cuda, int64

# Largest block (threads per block) a launch may use: the size of the scan's shared array.
MAX_THREADS = 1024

if config.ENABLE_CUDASIM:
    # The simulator's libdevice functions are stubs that return None: NumPy reinterprets
    # the bits instead (the kernels run as Python there, on NumPy scalars).
    def _f32_of(b):
        return np.int32(b).view(np.float32)

    def _bits_f32(x):
        return np.float32(x).view(np.int32)

    def _f64_of(b):
        return np.int64(b).view(np.float64)

    def _bits_f64(x):
        return np.float64(x).view(np.int64)
else:
    from numba.cuda import libdevice

    _f32_of = libdevice.int_as_float
    _bits_f32 = libdevice.float_as_int
    _f64_of = libdevice.longlong_as_double
    _bits_f64 = libdevice.double_as_longlong


# --------------------------------------------------------------------------- atomics
@cuda.jit(device=True)
def _mul_int(dst, i, v):
    """dst[i] *= v atomically (integer dst: int32 or int64; wraps like the CPU)."""
    old = dst[i]
    while True:
        got = cuda.atomic.cas(dst, i, old, old * v)
        if got == old:
            return
        old = got


@cuda.jit(device=True)
def _mul_f32(bits, i, v):
    """dst[i] *= v atomically, dst float32 given as its int32 bits."""
    old = bits[i]
    while True:
        got = cuda.atomic.cas(bits, i, old, _bits_f32(_f32_of(old) * v))
        if got == old:
            return
        old = got


@cuda.jit(device=True)
def _mul_f64(bits, i, v):
    """dst[i] *= v atomically, dst float64 given as its int64 bits."""
    old = bits[i]
    while True:
        got = cuda.atomic.cas(bits, i, old, _bits_f64(_f64_of(old) * v))
        if got == old:
            return
        old = got


# --------------------------------------------------------------------------- indexed
# dst[dst_off(p, j, q1, q2)] (op)= src[src_off(p, j, q1, q2)] over P x J x Q1 x Q2, where
# off = base + level(pre, p) + level(mid, j) + level(post, q1) + q2 * inner (the CPU's plan,
# nbtensor/backends/cpu/gather.py). info = [numel, P, J, Q1, Q2, side 0 (dst), side 1 (src),
# tables]; a side is IX_SIDE values: base, pre stride, mid stride, mid wrap, post stride,
# inner stride, then (start in info, length) of its pre, mid and post tables (length 0: the
# level is affine, i * stride).
IX_HEAD = 5
IX_SIDE = 12


@cuda.jit(device=True)
def _ix_level(info, m, k, i, wrap, stride):
    """Offset of position `i` of level `k` of the side at info[m:]: ``i * stride``, or the
    level's table entry (a negative one wrapped by `wrap`) times `stride`."""
    if info[m + 7 + 2 * k] == 0:
        return i * stride
    v = info[info[m + 6 + 2 * k] + i]
    return (v + ((v >> 63) & wrap)) * stride


@cuda.jit(device=True)
def _ix_side(info, side, p, j, q1, q2):
    m = IX_HEAD + side * IX_SIDE
    return (info[m] + _ix_level(info, m, 0, p, 0, info[m + 1]) + _ix_level(info, m, 1, j, info[m + 3], info[m + 2])
            + _ix_level(info, m, 2, q1, 0, info[m + 4]) + q2 * info[m + 5])


@cuda.jit(device=True)
def _ix_offsets(info, e):
    """(dst offset, src offset) of flat position `e` (q2 innermost: neighbouring threads
    touch neighbouring inner elements)."""
    q2n = info[4]
    r = e // q2n
    q2 = e - r * q2n
    q1n = info[3]
    t = r // q1n
    q1 = r - t * q1n
    jn = info[2]
    p = t // jn
    j = t - p * jn
    return _ix_side(info, 0, p, j, q1, q2), _ix_side(info, 1, p, j, q1, q2)


@cuda.jit(cache=True)
def indexed_copy(dst, src, info):
    """dst[d] = src[s] (uint storages; a destination written twice keeps one value)."""
    for e in range(cuda.grid(1), info[0], cuda.gridsize(1)):
        d, s = _ix_offsets(info, e)
        dst[d] = src[s]


@cuda.jit(cache=True)
def indexed_add(dst, src, info):
    """dst[d] += src[s] atomically (dst float32/float64/int32/int64; src may be narrower)."""
    for e in range(cuda.grid(1), info[0], cuda.gridsize(1)):
        d, s = _ix_offsets(info, e)
        cuda.atomic.add(dst, d, src[s])


@cuda.jit(cache=True)
def indexed_mul(dst, src, info):
    """dst[d] *= src[s] atomically, integer dst (int32/int64)."""
    for e in range(cuda.grid(1), info[0], cuda.gridsize(1)):
        d, s = _ix_offsets(info, e)
        _mul_int(dst, d, src[s])


@cuda.jit(cache=True)
def indexed_mul_f32(dst_bits, src, info):
    """dst[d] *= src[s] atomically, float32 dst given as int32 bits."""
    for e in range(cuda.grid(1), info[0], cuda.gridsize(1)):
        d, s = _ix_offsets(info, e)
        _mul_f32(dst_bits, d, src[s])


@cuda.jit(cache=True)
def indexed_mul_f64(dst_bits, src, info):
    """dst[d] *= src[s] atomically, float64 dst given as int64 bits."""
    for e in range(cuda.grid(1), info[0], cuda.gridsize(1)):
        d, s = _ix_offsets(info, e)
        _mul_f64(dst_bits, d, src[s])


# --------------------------------------------------------------------------- walks
# An iteration of a shape (last dimension innermost) over up to three operands: info =
# [ndim, numel, extra, base0, base1, base2, shape (ndim), strides of operand 0, 1, 2 (ndim
# each)]. `extra` is the indexed stride of along_dim (0 elsewhere).
WALK_HEAD = 6


@cuda.jit(device=True)
def _walk(info, e):
    """The three operands' offsets at flat position `e`."""
    nd = info[0]
    a = info[3]
    b = info[4]
    c = info[5]
    r = e
    for d in range(nd - 1, -1, -1):
        n = info[WALK_HEAD + d]
        t = r // n
        q = r - t * n
        r = t
        a += q * info[WALK_HEAD + nd + d]
        b += q * info[WALK_HEAD + 2 * nd + d]
        c += q * info[WALK_HEAD + 3 * nd + d]
    return a, b, c


# ------------------------------------------------------------------------ along a dimension
# Operands: 0 = the plain side (gather's output, scatter's source), 1 = the int64 index,
# 2 = the indexed side with the stride of `dim` set to 0; info[2] is that stride.


@cuda.jit(cache=True)
def along_dim_gather(plain, idx, other, info):
    """plain[pos] = other[pos with dim := idx[pos]] (uint storages)."""
    sd = info[2]
    for e in range(cuda.grid(1), info[1], cuda.gridsize(1)):
        a, b, c = _walk(info, e)
        plain[a] = other[c + idx[b] * sd]


@cuda.jit(cache=True)
def along_dim_scatter(plain, idx, other, info):
    """other[pos with dim := idx[pos]] = plain[pos] (uint storages; a destination written
    twice keeps one of the values)."""
    sd = info[2]
    for e in range(cuda.grid(1), info[1], cuda.gridsize(1)):
        a, b, c = _walk(info, e)
        other[c + idx[b] * sd] = plain[a]


@cuda.jit(cache=True)
def along_dim_add(plain, idx, other, info):
    """other[pos with dim := idx[pos]] += plain[pos] atomically."""
    sd = info[2]
    for e in range(cuda.grid(1), info[1], cuda.gridsize(1)):
        a, b, c = _walk(info, e)
        cuda.atomic.add(other, c + idx[b] * sd, plain[a])


@cuda.jit(cache=True)
def along_dim_mul(plain, idx, other, info):
    """other[pos with dim := idx[pos]] *= plain[pos] atomically, integer `other`."""
    sd = info[2]
    for e in range(cuda.grid(1), info[1], cuda.gridsize(1)):
        a, b, c = _walk(info, e)
        _mul_int(other, c + idx[b] * sd, plain[a])


@cuda.jit(cache=True)
def along_dim_mul_f32(plain, idx, other_bits, info):
    """The float32 product scatter, `other` given as int32 bits."""
    sd = info[2]
    for e in range(cuda.grid(1), info[1], cuda.gridsize(1)):
        a, b, c = _walk(info, e)
        _mul_f32(other_bits, c + idx[b] * sd, plain[a])


@cuda.jit(cache=True)
def along_dim_mul_f64(plain, idx, other_bits, info):
    """The float64 product scatter, `other` given as int64 bits."""
    sd = info[2]
    for e in range(cuda.grid(1), info[1], cuda.gridsize(1)):
        a, b, c = _walk(info, e)
        _mul_f64(other_bits, c + idx[b] * sd, plain[a])


# --------------------------------------------------------------------------- narrow dtypes
# CUDA has no atomics below 32 bits: bool/int8/uint8/int16 accumulate in an int32 copy of
# the storage, written back modulo the width (what the CPU's wrapping arithmetic gives).


@cuda.jit(cache=True)
def widen(src, wide):
    """wide[i] = src[i] (to int32)."""
    for i in range(cuda.grid(1), src.shape[0], cuda.gridsize(1)):
        wide[i] = src[i]


@cuda.jit(cache=True)
def narrow(wide, dst_bits, mask):
    """dst_bits[i] = wide[i] & mask, or (wide[i] != 0) when mask is 0 (bool)."""
    for i in range(cuda.grid(1), wide.shape[0], cuda.gridsize(1)):
        v = wide[i]
        if mask == 0:
            dst_bits[i] = 1 if v != 0 else 0
        else:
            dst_bits[i] = v & mask


# --------------------------------------------------------------------------- masks
# Walk operand 0 is the data (source or destination), operand 1 the mask (uint8, nonzero =
# set). compress keeps the row-major order. The positions are cut into tiles of `rows`
# block-wide rows (a row: one position per thread, so the reads are coalesced): mask_count
# counts each tile, scan_counts turns the counts into each tile's first output position
# (and the total), compress stores each row's set elements at the tile's running position
# plus their rank within the row (a block-wide prefix sum in shared memory).


@cuda.jit(device=True)
def _block_scan(sh, v):
    """(inclusive prefix sum of `v` over the block's threads up to this one, the block's
    total); every thread of the block must call it. Leaves `sh` free for reuse."""
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    sh[tid] = v
    cuda.syncthreads()
    step = 1
    while step < nt:
        x = sh[tid - step] if tid >= step else 0
        cuda.syncthreads()
        sh[tid] += x
        cuda.syncthreads()
        step *= 2
    incl = sh[tid]
    total = sh[nt - 1]
    cuda.syncthreads()
    return incl, total


@cuda.jit(cache=True)
def mask_count(mask, info, counts, rows):
    """counts[t] = the number of set mask elements in tile t (rows * blockDim.x positions)."""
    sh = cuda.shared.array(MAX_THREADS, int64)
    nt = cuda.blockDim.x
    n = info[1]
    size = nt * rows
    ntiles = (n + size - 1) // size
    # a block's threads run the same tiles, so all of them reach each _block_scan
    for tile in range(cuda.blockIdx.x, ntiles, cuda.gridDim.x):
        f = 0
        for e in range(tile * size + cuda.threadIdx.x, min(n, (tile + 1) * size), nt):
            _, m, _ = _walk(info, e)
            if mask[m] != 0:
                f += 1
        _, total = _block_scan(sh, f)
        if cuda.threadIdx.x == 0:
            counts[tile] = total


@cuda.jit(cache=True)
def scan_counts(counts, ntiles):
    """Exclusive prefix sum of counts[:ntiles] in place, the total into counts[ntiles]. One
    block (any size) walks the counts in block-sized chunks, carrying the running sum."""
    sh = cuda.shared.array(MAX_THREADS, int64)
    nt = cuda.blockDim.x
    carry = 0
    for start in range(0, ntiles, nt):
        i = start + cuda.threadIdx.x
        v = counts[i] if i < ntiles else 0
        incl, total = _block_scan(sh, v)
        if i < ntiles:
            counts[i] = carry + incl - v
        carry += total
    if cuda.threadIdx.x == 0:
        counts[ntiles] = carry


@cuda.jit(cache=True)
def compress(src, mask, out, info, starts, rows):
    """out[starts[tile] + rank] = the set elements of each tile, in order (uint storages)."""
    sh = cuda.shared.array(MAX_THREADS, int64)
    nt = cuda.blockDim.x
    n = info[1]
    size = nt * rows
    ntiles = (n + size - 1) // size
    for tile in range(cuda.blockIdx.x, ntiles, cuda.gridDim.x):
        at = starts[tile]
        for row in range(rows):
            e = tile * size + row * nt + cuda.threadIdx.x
            f = 0
            a = 0
            if e < n:
                a, m, _ = _walk(info, e)
                if mask[m] != 0:
                    f = 1
            incl, total = _block_scan(sh, f)
            if f:
                out[at + incl - 1] = src[a]
            at += total


@cuda.jit(cache=True)
def masked_fill(dst, mask, value, info):
    """dst[pos] = value[0] where mask[pos] is set (uint storages)."""
    v = value[0]
    for e in range(cuda.grid(1), info[1], cuda.gridsize(1)):
        a, m, _ = _walk(info, e)
        if mask[m] != 0:
            dst[a] = v
