"""CUDA backend glue for the gather/scatter kernels (kernels/cuda/gather.py): the same four
functions, arguments and results as nbtensor/backends/cpu/gather.py, over storages that are
1-D numba device arrays.

The loops are planned by the CPU module's pure-Python helpers (the same coalescing, the
same level tables); the plan of a call, index tables included, is packed into one int64
array and copied to the device with one asynchronous copy on the default stream (the
kernels' stream: a copy from pageable memory is staged at once and does not wait for the
GPU). Kernels run through `launch` (grid-stride loops: any launch shape covers any size;
``NBTENSOR_CUDA_SIGNATURES`` records their signatures for the sm_90 PTX compile).

Accumulation (ADD, MUL) is atomic, so duplicate destinations receive every value, in an
unspecified order (float sums and products may round differently from the CPU's serial
order): float32/float64/int32/int64 storages are updated in place (``cuda.atomic.add``,
or a compare-and-swap loop for products); bool/uint8/int8/int16 ones, for which CUDA has no
atomics, in an int32 copy of the whole storage written back modulo their width (for bool:
nonzero), which is what the CPU's wrapping serial loop gives. float16 arithmetic is routed
through float32 by the facade, as on the CPU. Copies that write one destination twice
(a scatter with duplicate indices) keep one of the values, not necessarily the last.
"""
import numpy as np

from nbtensor.backends.base import ADD, COPY, MUL  # noqa: F401  (the modes callers pass)
from nbtensor.backends.gather_plan import along_dim_plan, level, mask_plan, post_level
from nbtensor.backends.cuda import allocator, runtime
from nbtensor.backends.cuda.launch import launch
from nbtensor.backends.host import bits
from nbtensor.core.plan import numel as _numel

__all__ = ["indexed", "along_dim", "compress", "masked_fill", "SIGNATURES"]

KERNELS = "nbtensor.kernels.cuda.gather"

# The layout of `indexed`'s packed plan (kernels/cuda/gather.py: IX_HEAD, IX_SIDE).
_IX_HEAD, _IX_SIDE = 5, 12

# Rows of a compress tile per thread: a tile is threads() * TILE_ROWS positions, so the
# single-block scan of the tile counts walks TILE_ROWS times fewer of them.
TILE_ROWS = 8


def _allocate(n, dtype):
    """New device storage of `n` elements (uninitialised), from the caching allocator."""
    return allocator.default().allocate(n, dtype)


def _to_device(host):
    """A device copy of the 1-D host array `host`, queued on the kernels' stream."""
    dev = _allocate(host.shape[0], host.dtype)
    dev.copy_to_device(host, stream=runtime.cuda().default_stream())
    return dev


# --------------------------------------------------------------------------- signatures
# Every signature the launchers below produce (kernels compile lazily, on first launch;
# tests/cuda/test_gather_ptx.py compiles each one for sm_90). Storages are C-contiguous
# 1-D arrays; `info` is the packed int64 plan.
_A = "[::1]"
_UINTS = ("uint8", "uint16", "uint32", "uint64")  # copies move bits
_ATOMIC = ("float32", "float64", "int32", "int64")  # accumulated in place
_INTS = ("int32", "int64")
_NARROW = ("boolean", "uint8", "int8", "int16")  # accumulated in an int32 copy
_MASK_BITS = {1: 0xFF, 2: 0xFFFF}

SIGNATURES = {
    "indexed_copy": [f"void({u}{_A}, {u}{_A}, int64{_A})" for u in _UINTS],
    "indexed_add": [f"void({t}{_A}, {t}{_A}, int64{_A})" for t in _ATOMIC]
    + [f"void(int32{_A}, {t}{_A}, int64{_A})" for t in _NARROW],
    "indexed_mul": [f"void({t}{_A}, {t}{_A}, int64{_A})" for t in _INTS]
    + [f"void(int32{_A}, {t}{_A}, int64{_A})" for t in _NARROW],
    "indexed_mul_f32": [f"void(int32{_A}, float32{_A}, int64{_A})"],
    "indexed_mul_f64": [f"void(int64{_A}, float64{_A}, int64{_A})"],
    "along_dim_gather": [f"void({u}{_A}, int64{_A}, {u}{_A}, int64{_A})" for u in _UINTS],
    "along_dim_scatter": [f"void({u}{_A}, int64{_A}, {u}{_A}, int64{_A})" for u in _UINTS],
    "along_dim_add": [f"void({t}{_A}, int64{_A}, {t}{_A}, int64{_A})" for t in _ATOMIC]
    + [f"void({t}{_A}, int64{_A}, int32{_A}, int64{_A})" for t in _NARROW],
    "along_dim_mul": [f"void({t}{_A}, int64{_A}, {t}{_A}, int64{_A})" for t in _INTS]
    + [f"void({t}{_A}, int64{_A}, int32{_A}, int64{_A})" for t in _NARROW],
    "along_dim_mul_f32": [f"void(float32{_A}, int64{_A}, int32{_A}, int64{_A})"],
    "along_dim_mul_f64": [f"void(float64{_A}, int64{_A}, int64{_A}, int64{_A})"],
    "widen": [f"void({t}{_A}, int32{_A})" for t in _NARROW],
    "narrow": [f"void(int32{_A}, {u}{_A}, int64)" for u in ("uint8", "uint16")],
    "mask_count": [f"void(uint8{_A}, int64{_A}, int64{_A}, int64)"],
    "scan_counts": [f"void(int64{_A}, int64)"],
    "compress": [f"void({u}{_A}, uint8{_A}, {u}{_A}, int64{_A}, int64{_A}, int64)" for u in _UINTS],
    "masked_fill": [f"void({u}{_A}, uint8{_A}, {u}{_A}, int64{_A})" for u in _UINTS],
}


# --------------------------------------------------------------------------- accumulation
def _accumulate(family, n, target, args, mode):
    """Launch `family`'s ADD or MUL kernel (``<family>_add``, ``_mul``, ``_mul_f32``,
    ``_mul_f64``) over `n` positions with ``args(storage)``, the arguments given the
    accumulating storage: `target` itself, its integer bits (float products), or an int32
    copy (narrow dtypes)."""
    dtype = target.dtype
    if dtype == np.float16:
        raise TypeError("internal error: float16 arithmetic must be routed through float32")
    if dtype.itemsize < 4:  # bool, uint8, int8, int16
        size = target.shape[0]
        wide = _allocate(size, np.int32)
        launch(KERNELS, "widen", size, target, wide)
        launch(KERNELS, family + ("_add" if mode == ADD else "_mul"), n, *args(wide))
        launch(KERNELS, "narrow", size, wide, bits(target), 0 if dtype == np.bool_ else _MASK_BITS[dtype.itemsize])
    elif mode == ADD:
        launch(KERNELS, family + "_add", n, *args(target))
    elif dtype == np.float32:
        launch(KERNELS, family + "_mul_f32", n, *args(target.view(np.int32)))
    elif dtype == np.float64:
        launch(KERNELS, family + "_mul_f64", n, *args(target.view(np.int64)))
    else:
        launch(KERNELS, family + "_mul", n, *args(target))


# --------------------------------------------------------------------------- indexed
def indexed(dst, src, pre_shape, mid_shape, post_shape, mode=COPY):
    """Copy (or add/multiply, by `mode`) between two operands laid out as pre x mid x post.

    Each operand is ``(storage, offset, (pre_strides, mid_strides, post_strides), index)``
    where `index` is None (the mid dims walk by mid_strides) or ``(table, stride, wrap)``: a
    host int64 table of len(mid) validated index values, stepped by `stride`, with negative
    values wrapped by `wrap`. Accumulating modes take real (non-float16) storages and the
    indexed side must be `dst`; they are atomic (every duplicate destination gets every value).
    """
    ops = (dst, src)
    p, pre = level(tuple(pre_shape), [op[2][0] for op in ops])
    j = _numel(mid_shape)
    q1, post, q2, inner = post_level(tuple(post_shape), [op[2][2] for op in ops])
    numel = p * j * q1 * q2
    if numel == 0:
        return
    head = [numel, p, j, q1, q2]
    tables = []
    at = _IX_HEAD + 2 * _IX_SIDE
    for side, (_, offset, strides, index) in enumerate(ops):
        if index is None:
            _, ((mtab, mstride),) = level(tuple(mid_shape), [strides[1]])
            wrap = 0
        else:
            mtab, mstride, wrap = index
        head += [offset, pre[side][1], mstride, wrap, post[side][1], inner[side]]
        for tab in (pre[side][0], mtab, post[side][0]):
            tab = np.asarray(tab, np.int64).reshape(-1)
            head += [at, tab.shape[0]]
            tables.append(tab)
            at += tab.shape[0]
    info = _to_device(np.concatenate([np.array(head, np.int64)] + tables))
    if mode == COPY:
        launch(KERNELS, "indexed_copy", numel, bits(dst[0]), bits(src[0]), info)
        return
    source = src[0]
    _accumulate("indexed", numel, dst[0], lambda target: (target, source, info), mode)


# --------------------------------------------------------------------------- walks
def _walk_info(shape, strides_list, bases, numel, extra=0):
    """The packed plan of a walk (see kernels/cuda/gather.py): `shape` with up to three
    operands' strides and base offsets (missing operands get zeros)."""
    nd = len(shape)
    strides_list = list(strides_list) + [[0] * nd] * (3 - len(strides_list))
    bases = list(bases) + [0] * (3 - len(bases))
    return np.array([nd, numel, extra, *bases, *shape, *(s for st in strides_list for s in st)], np.int64)


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
    info = _to_device(_walk_info(nshape, nstrides, (plain[1], index[1], other[1]), numel, sd))
    if mode == COPY:
        launch(KERNELS, "along_dim_gather" if gather else "along_dim_scatter", numel,
               bits(plain[0]), index[0], bits(other[0]), info)
        return
    values, idx = plain[0], index[0]
    _accumulate("along_dim", numel, other[0], lambda target: (values, idx, target, info), mode)


# --------------------------------------------------------------------------- masks
def _mask_info(data, mask, shape, numel):
    shape_arr, st = mask_plan(shape, data[2], mask[2])
    return _to_device(_walk_info(shape_arr, st, (data[1], mask[1]), numel))


def compress(src, mask, shape, out_dtype):
    """The elements of `src` whose `mask` is set, in row-major order over `shape`, as a new
    1-D device array of `out_dtype`. `src` and `mask` are ``(storage, offset, strides)``
    broadcast to `shape`; the mask storage holds bytes (bool or uint8).

    A device prefix sum: count each tile, scan the counts, store; the host reads only the
    total (to size the result).
    """
    numel = _numel(shape)
    if numel == 0:
        return _allocate(0, out_dtype)
    info = _mask_info(src, mask, shape, numel)
    rows = TILE_ROWS
    threads = runtime.threads()
    ntiles = -(-numel // (threads * rows))
    counts = _allocate(ntiles + 1, np.int64)
    mbytes = mask[0].view(np.uint8)
    launch(KERNELS, "mask_count", ntiles * threads, mbytes, info, counts, rows)  # a block per tile
    launch(KERNELS, "scan_counts", 1, counts, ntiles, blocks=1)
    total = int(counts[ntiles:].copy_to_host()[0])
    out = _allocate(total, out_dtype)
    if total:
        launch(KERNELS, "compress", ntiles * threads, bits(src[0]), mbytes, bits(out), info, counts, rows)
    return out


def masked_fill(dst, mask, shape, value_storage):
    """dst[pos] = value where mask[pos] is set; `dst`/`mask` are (storage, offset, strides)
    over `shape`, `value_storage` a one-element device array of dst's dtype."""
    numel = _numel(shape)
    if numel == 0:
        return
    info = _mask_info(dst, mask, shape, numel)
    launch(KERNELS, "masked_fill", numel, bits(dst[0]), mask[0].view(np.uint8), bits(value_storage), info)
