"""CPU backend glue for the gather/scatter kernels (kernels/cpu/gather.py), run through the
backend's gather primitive (`CPUBackend.gather`).

Callers pass raw operands (storage, offset, strides, index tables) that the facade already
validated; this module never sees a Tensor. It plans the loops (coalescing dimensions
without reordering them) and launches the kernels.

Threads: every kernel takes a range of its iteration, and above PARALLEL_THRESHOLD
elements `host.run_split` runs one range per thread on a small pool (the kernels release
the GIL). Measured here: a numba ``prange`` build of each kernel costs 2-4 s of extra cold
compilation per dtype, the pool ~15 us per call, which these ops (at least 65536 elements)
do not notice.
"""
import itertools

import numpy as np

from nbtensor.backends.base import ADD, COPY, MUL  # noqa: F401  (the modes callers pass)
from nbtensor.backends.cpu.direct import bind_on_first_call
from nbtensor.backends.host import bits, run_split, split_ranges
from nbtensor.backends.gather_plan import along_dim_plan, level, mask_plan, post_level
from nbtensor.core.plan import numel as _numel

__all__ = ["indexed", "along_dim", "compress", "masked_fill"]

_kernels = None


def _k():
    global _kernels
    if _kernels is None:
        from nbtensor.kernels.cpu import gather
        _kernels = gather
    return _kernels


def _arith(storage):
    # numba has no float16 arithmetic: the facade routes float16 through float32.
    if storage.dtype == np.float16:
        raise TypeError("internal error: float16 arithmetic must be routed through float32")
    return storage


def indexed(dst, src, pre_shape, mid_shape, post_shape, mode=COPY):
    """Copy (or add/multiply, by `mode`) between two operands laid out as pre x mid x post.

    Each operand is ``(storage, offset, (pre_strides, mid_strides, post_strides), index)``
    where `index` is None (the mid dims walk by mid_strides) or ``(table, stride, wrap)``: a
    C-contiguous int64 table of len(mid) validated index values, stepped by `stride`, with
    negative values wrapped by `wrap`. Accumulating modes take real (non-float16) storages
    and the indexed side must be `dst`.
    """
    ops = (dst, src)
    pshape = tuple(pre_shape)
    p, pre = level(pshape, [op[2][0] for op in ops])
    j = _numel(mid_shape)
    q1, post, q2, inner = post_level(tuple(post_shape), [op[2][2] for op in ops])
    numel = p * j * q1 * q2
    if numel == 0:
        return
    sides = []
    for k, (storage, offset, strides, index) in enumerate(ops):
        if index is None:
            _, ((mtab, mstride),) = level(tuple(mid_shape), [strides[1]])
            wrap = 0
        else:
            mtab, mstride, wrap = index
        tabs = (pre[k][0], mtab, post[k][0])
        meta = np.array([offset, pre[k][1], mstride, wrap, post[k][1], inner[k]], np.int64)
        data = bits(storage) if mode == COPY else _arith(storage)
        sides.append((data, tabs, meta))
    dims = np.array([p, j, q1, q2], np.int64)
    (dd, dt, dm), (sd, stabs, sm) = sides
    k = _k()
    if mode != COPY:
        k.indexed_acc(dd, dt, dm, sd, stabs, sm, dims, mode)
        return
    rows = p * j
    ranges = [(rows * lo // numel, rows * hi // numel) for lo, hi in split_ranges(numel)]
    run_split(ranges, lambda r0, r1: k.indexed_copy(dd, dt, dm, sd, stabs, sm, dims, r0, r1))


def along_dim(plain, index, other, shape, dim, gather, mode=COPY):
    """Gather (``plain[pos] = other[pos with dim := index[pos]]``) or scatter the other way
    (copy / add / multiply by `mode`) over positions `pos` of `shape` (the index's shape).

    `plain`, `index`, `other` are ``(storage, offset, strides)``; `index` holds validated
    non-negative int64 values. `other`'s stride along `dim` is the one the index steps.
    """
    numel = _numel(shape)
    if numel == 0:
        return
    sd, nshape, nstrides = along_dim_plan(plain, index, other, shape, dim)
    shape_arr = np.array(nshape, np.int64)
    st = np.array(nstrides, np.int64)
    base = np.array([plain[1], index[1], other[1]], np.int64)
    k = _k()
    if mode != COPY:
        k.along_dim_acc(_arith(plain[0]), index[0], _arith(other[0]), shape_arr, st, base, sd, mode, 0, numel)
        return
    data_p, data_o = bits(plain[0]), bits(other[0])
    # a scatter may write one element from two ranges: run it in one thread
    ranges = [(0, numel)] if not gather else split_ranges(numel)
    run_split(ranges, lambda e0, e1: k.along_dim_copy(data_p, index[0], data_o, shape_arr, st, base, sd,
                                                      not gather, e0, e1))


def _mask_bytes(storage):
    # Masks are bool or uint8 tensors (the facade checks): nonzero bytes select.
    return storage.view(np.uint8)


def compress(src, mask, shape, out_dtype):
    """The elements of `src` whose `mask` is set, in row-major order over `shape`, as a new
    1-D ndarray of `out_dtype`. `src` and `mask` are ``(storage, offset, strides)`` broadcast
    to `shape`; the mask storage holds bytes (bool or uint8)."""
    numel = _numel(shape)
    if numel == 0:
        return np.empty(0, out_dtype)
    shape_arr, st = mask_plan(shape, src[2], mask[2])
    mbytes = _mask_bytes(mask[0])
    data = bits(src[0])
    ranges = split_ranges(numel)
    if len(ranges) == 1 and len(shape_arr) == 1 and st[0, 0] == 1 and st[1, 0] == 1:
        # (both laid out as one run: two kernels of few arguments, by their entry points)
        count = _entry("mask_count_flat", None)(mbytes, mask[1], numel)
        out = np.empty(count, out_dtype)
        _entry("compress_flat", data.dtype)(data, src[1], mbytes, mask[1], numel, bits(out), count)
        return out
    base = np.array([src[1], mask[1]], np.int64)
    k = _k()
    if len(ranges) == 1:  # (small inputs: no per-range bookkeeping)
        count = k.mask_count(mbytes, shape_arr, st, base, 0, numel)
        out = np.empty(count, out_dtype)
        if count:
            k.compress(data, mbytes, bits(out), 0, count, shape_arr, st, base, 0, numel)
        return out
    counts = run_split(ranges, lambda e0, e1: k.mask_count(mbytes, shape_arr, st, base, e0, e1))
    starts = [0, *itertools.accumulate(counts)]
    out = np.empty(starts[-1], out_dtype)
    if starts[-1]:
        dest = bits(out)
        bounds = {lo: (starts[i], starts[i + 1]) for i, (lo, _) in enumerate(ranges)}
        run_split(ranges, lambda e0, e1: k.compress(data, mbytes, dest, *bounds[e0], shape_arr, st, base, e0, e1))
    return out


def _entry(name, key):
    """Kernel `name` called by its entry point for the argument types of its calls under
    `key` (bound on the first of them: see direct.py)."""
    kernel = _ENTRIES.get((name, key))
    if kernel is None:
        kernel = _ENTRIES[name, key] = bind_on_first_call(_ENTRIES, (name, key), getattr(_k(), name))
    return kernel


_ENTRIES = {}  # (kernel name, storage dtype or None) -> its entry point


def masked_fill(dst, mask, shape, value_storage):
    """dst[pos] = value where mask[pos] is set; `dst`/`mask` are (storage, offset, strides)
    over `shape`, `value_storage` a one-element array of dst's dtype."""
    numel = _numel(shape)
    if numel == 0:
        return
    shape_arr, st = mask_plan(shape, dst[2], mask[2])
    base = np.array([dst[1], mask[1]], np.int64)
    args = (bits(dst[0]), _mask_bytes(mask[0]), bits(value_storage), shape_arr, st, base)
    k = _k()
    run_split(split_ranges(numel), lambda e0, e1: k.masked_fill(*args, e0, e1))
