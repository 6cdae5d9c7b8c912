"""Sorting (SPEC §7): sort, argsort, msort, topk, kthvalue, searchsorted, bucketize.

Sorts are always stable (torch's ``stable=True`` order, which is also a valid answer for
``stable=False``): equal elements keep their order, NaN sorts above every number (first
when descending). How:
order-preserving keys with the element's position packed in (kernels/cpu/sortkeys.py)
are sorted by NumPy's SIMD ``np.sort`` on uint64 and unpacked to values and indices. For
64-bit dtypes the packed key holds the top half of the order key; runs of equal top halves
(short ones, for most data) are then ordered by the low half. topk/kthvalue of narrower
dtypes use ``np.partition`` on the same keys. (NumPy's stable argsort, the alternative,
took 140-190 ms for 10^6 elements here; np.sort of the packed keys takes ~10 ms.)

A tensor on another device is sorted by its backend where it has ``sort_rows`` (the rows
with `dim` moved last, a full stable sort; topk and kthvalue keep the first k of each row);
elsewhere, and for searchsorted on every device, the values are fetched to the host
(``host_array``), sorted by the CPU's code, and the results put back.
"""
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.core import return_types
from nbtensor.backends.base import backend_for
from nbtensor.backends.host import host_array
from nbtensor.ops.creation import _wrap
from nbtensor.core.device import CPU
from nbtensor.backends.host import bits, run_split, split_ranges
from nbtensor.dispatch.out import result_or_out, write_out
from nbtensor.core.plan import contiguous_strides
from nbtensor.dispatch.tensor import Tensor, _numel, common_device, copy_into, empty_like_layout, make, wrap_dim
from nbtensor.dispatch import dispatcher as forms

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "searchsorted", "bucketize"]

_METHODS = ["sort", "argsort", "msort", "topk", "kthvalue"]

# dtype -> (kind: 0 unsigned, 1 signed, 2 float; width in bits; bits of +inf)
_KINDS = {dt.bool: (0, 8, 0), dt.uint8: (0, 8, 0), dt.int8: (1, 8, 0), dt.int16: (1, 16, 0),
          dt.int32: (1, 32, 0), dt.int64: (1, 64, 0), dt.float16: (2, 16, 0x7C00),
          dt.float32: (2, 32, 0x7F800000), dt.float64: (2, 64, 0x7FF0000000000000)}
# Runs of equal top halves longer than this are re-sorted with NumPy instead of in the kernel.
_RUN_LIMIT = 64
_LOW = np.uint64(0xFFFFFFFF)


def _kernel(name, *args):
    """Run sort-key kernel `name` on host arrays (the CPU's: NumPy's sort runs between them)."""
    return backend_for(CPU).launch("sortkeys", name, *args)


def _rows(input, dim):
    """input with `dim` moved last, as a C-contiguous (rows, n) host ndarray, and its shape."""
    moved = input.movedim(dim, -1) if input.dim() else input.reshape(1)
    n = moved._shape[-1]
    rows = int(np.prod(moved._shape[:-1], dtype=np.int64))
    return np.ascontiguousarray(host_array(moved)).reshape(rows, n), moved._shape


def _sorted_keys(arr, descending, first):
    """Packed keys, rows sorted (only the first `first` of each row when that is fewer and
    the dtype is at most 32 bits wide); and whether the values can be rebuilt from them."""
    kind, width, inf_bits = _KINDS[dt.from_numpy_dtype(arr.dtype)]
    src = bits(arr.reshape(-1))
    total, n = src.shape[0], arr.shape[1]
    keys = np.empty(total, np.uint64)
    low = np.empty(total if width == 64 else 0, np.uint32)
    parts = run_split(split_ranges(total), lambda e0, e1: _kernel(
        "pack_keys", src, kind, width, inf_bits, descending, n, keys, low, e0, e1))
    rebuild = width <= 32 and sum(p[0] for p in parts) == 0
    keys2 = keys.reshape(arr.shape)
    if width == 64 and min(p[1] for p in parts) == max(p[2] for p in parts):
        # one top half for every element: the low halves alone decide the order
        keys2 = (low.astype(np.uint64) << np.uint64(32)) | (keys & _LOW)
        keys2 = keys2.reshape(arr.shape)
        width = 32
    if width <= 32 and first < n:
        keys2 = np.partition(keys2, first - 1, axis=-1)[:, :first]
    keys2 = _sort_rows(keys2, low if width == 64 else low[:0])
    return keys2, (kind, width, rebuild)


def _sort_rows(keys, low):
    """Sort each row of packed keys (then, for 64-bit dtypes, order the runs of equal top
    halves by `low`). NumPy's sort releases the GIL: rows are shared out among threads, and
    a single long row is first split at a sampled median of the top halves
    (`partition_keys`), so that its two parts sort at once. Returns the sorted keys."""
    rows, n = keys.shape

    def sort(seg, seg_low):  # seg: (r, m) keys whose rows own the low halves seg_low
        seg.sort(axis=-1)
        if low.size and seg.size:
            _fix_runs(seg.reshape(-1), seg_low, seg.shape[1])

    ranges = split_ranges(keys.size)
    if len(ranges) == 1:
        sort(keys, low)
    elif rows > 1:
        run_split([(rows * lo // keys.size, rows * hi // keys.size) for lo, hi in ranges],
                  lambda r0, r1: sort(keys[r0:r1], low[r0 * n:r1 * n]))
    else:
        flat = keys.reshape(-1)
        pivot = np.median(flat[::max(1, n // 1024)] >> np.uint64(32)).astype(np.uint64)
        out = np.empty_like(flat)
        split = int(_kernel("partition_keys", flat, pivot, out))
        run_split([(0, split), (split, n)], lambda lo, hi: sort(out[lo:hi].reshape(1, -1), low))
        keys = out.reshape(keys.shape)
    return keys


def _fix_runs(keys, low, n):
    big = np.empty((keys.shape[0] // (_RUN_LIMIT + 1) + 1, 2), np.int64)
    for s, e in big[:_kernel("fix_runs", keys, low, n, _RUN_LIMIT, big)].tolist():
        keys[s:e].sort()


def _select(arr, descending, first):
    """The first `first` elements of each row of arr in stable sorted order: (values, indices)."""
    rows, n = arr.shape
    if arr.size == 0 or first == 0:
        return np.empty((rows, first), arr.dtype), np.empty((rows, first), np.int64)
    if n >= (1 << 32):
        raise RuntimeError(f"sort: rows of {n} elements are longer than nbtensor can sort (2**32 - 1)")
    keys, (kind, width, rebuild) = _sorted_keys(arr, descending, first)
    keys = np.ascontiguousarray(keys[:, :first])
    values = np.empty(keys.shape, arr.dtype)
    indices = np.empty(keys.shape, np.int64)
    flat_keys, flat_values, flat_indices = keys.reshape(-1), bits(values.reshape(-1)), indices.reshape(-1)
    if rebuild:
        run = lambda e0, e1: _kernel("unpack_values", flat_keys, kind, width, descending, flat_values, flat_indices, e0, e1)  # noqa: E731
    else:
        src = bits(arr.reshape(-1))
        run = lambda e0, e1: _kernel("unpack", flat_keys, first, src, n, flat_values, flat_indices, e0, e1)  # noqa: E731
    run_split(split_ranges(keys.size), run)
    return values, indices


def _back(a, moved_shape, dim, ndim, dtype, device):
    """A host result laid out as (rows, k) back to a contiguous tensor on `device` with the
    row dim at `dim`."""
    shape = moved_shape[:-1] + (a.shape[1],) if ndim else ()
    a = a.reshape(shape)
    if ndim and dim != ndim - 1:
        a = np.moveaxis(a, -1, dim)  # _wrap makes it contiguous (NumPy's transposing copy)
    return _wrap(a, dtype, device)


def _sorted_pair(input, dim, descending, first, name):
    ndim = input.dim()
    dim = wrap_dim(dim, ndim)
    if input.device is not CPU and backend_for(input.device).sort_rows is not None:
        return _device_sorted_pair(input, dim, ndim, bool(descending), first)
    arr, moved_shape = _rows(input, dim)
    values, indices = _select(arr, bool(descending), first)
    return (_back(values, moved_shape, dim, ndim, input.dtype, input.device),
            _back(indices, moved_shape, dim, ndim, dt.int64, input.device))


def _device_sorted_pair(input, dim, ndim, descending, first):
    """`_sorted_pair` for a tensor not on the CPU: its device's backend sorts the rows of
    `input` with `dim` moved last (`sort_rows`: a full sort, of which topk and kthvalue keep
    the first `first` of each row), and the results are laid out back with the row dim at
    `dim`, contiguous."""
    moved = input.movedim(dim, -1).contiguous() if ndim else input.reshape(1)
    if moved._offset:
        moved = moved.clone()  # sort_rows reads its rows from the start of the storage
    shape = moved._shape
    n = shape[-1]
    rows = _numel(shape[:-1])
    if n >= (1 << 32) and rows:
        raise RuntimeError(f"sort: rows of {n} elements are longer than nbtensor can sort (2**32 - 1)")
    values, indices = backend_for(input.device).sort_rows(moved._storage, rows, n, descending)
    strides = contiguous_strides(shape)
    pair = (make(values, 0, shape, strides, input.dtype, True),
            make(indices, 0, shape, strides, dt.int64, True))
    if not ndim:
        return tuple(t.reshape(()) for t in pair)
    if first < n:
        pair = tuple(t.narrow(-1, 0, first) for t in pair)
    return tuple(t.movedim(-1, dim).contiguous() for t in pair)


def _write_pair(out, pair, name):
    if out is None:
        return pair
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"{name}(): argument 'out' must be a tuple of two Tensors")
    for o, r in zip(out, pair):
        common_device((o, r), cpu_scalars=False)
    return (write_out(out[0], pair[0], name), write_out(out[1], pair[1], name))


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """Sorted values along `dim` and the indices they came from (a stable sort)."""
    n = input._shape[wrap_dim(dim, input.dim())] if input.dim() else 1
    pair = tuple(_input_layout(t, input) for t in _sorted_pair(input, dim, descending, n, "sort"))
    return return_types.sort(*_write_pair(out, pair, "sort"))


def _input_layout(t, input):
    """`t` (row-major, shaped like `input`) with torch's layout of sort's results: input's
    strides when input is dense, else dense strides in input's dimension order."""
    target = empty_like_layout(input, t.dtype)
    return t if target._strides == t._strides else copy_into(target, t)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort `input` along `dim` (stable)."""
    return sort(input, dim, descending).indices


def msort(input, *, out=None):
    """``sort(input, dim=0).values``."""
    return result_or_out(sort(input, 0).values, out, "msort")


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The k largest (or smallest) elements along `dim`, in sorted order, and their indices."""
    if input.dtype is dt.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    ndim = input.dim()
    dim = wrap_dim(dim, ndim)
    n = input._shape[dim] if ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range (k = {k}, dimension {dim} has size {n})")
    # (a 0-d input gives itself and index 0 for k = 0 too, as torch's copy does)
    pair = _sorted_pair(input, dim, largest, k if ndim else 1, "topk")
    return return_types.topk(*_write_pair(out, pair, "topk"))


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The k-th smallest element along `dim` (k counts from 1) and its index."""
    ndim = input.dim()
    dim = wrap_dim(dim, ndim)
    n = input._shape[dim] if ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {dim} to have non-zero size.")
    if input.dtype is dt.bool and ndim:  # (a 0-d input is returned without the kernel)
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim} "
                           f"(k = {k}, size {n})")
    if isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(o, Tensor) for o in out):
        if out[0].dtype is not input.dtype:
            raise RuntimeError(f"output values must be of same type as input (got {out[0].dtype.c_name} for "
                               f"{input.dtype.c_name})")
        if out[1].dtype is not dt.int64:
            raise RuntimeError(f"output indices must be of scalar type Long (got {out[1].dtype.c_name})")
    values, indices = _sorted_pair(input, dim, False, k, "kthvalue")
    if ndim:
        values, indices = values.narrow(dim, k - 1, 1), indices.narrow(dim, k - 1, 1)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        values, indices = values.contiguous(), indices.contiguous()
    return return_types.kthvalue(*_write_pair(out, (values, indices), "kthvalue"))


# --------------------------------------------------------------------------- searchsorted
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, out=None, sorter=None):
    """Indices where the values `input` would be inserted into the rows of
    `sorted_sequence` to keep them sorted (leftmost place, or rightmost with ``right=True`` /
    ``side='right'``)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side "
                               "of left while right was True")
        right = side == "right"
    device = common_device((sorted_sequence, input, sorter))
    seq = host_array(sorted_sequence)
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else host_array(input)
    if sorter is not None:
        if sorter._shape != sorted_sequence._shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(sorted_sequence._shape)} and sorter tensor {list(sorter._shape)}")
        order = host_array(sorter).astype(np.int64)
        n = seq.shape[-1] if seq.ndim else 1
        if order.size and (order.min() < 0 or order.max() >= n):
            bad = int(order.min()) if order.min() < 0 else int(order.max())
            raise RuntimeError(f"torch.searchsorted(): sorter index out of range: {bad} for a sequence of size {n}")
        seq = np.take_along_axis(seq, order, axis=-1)
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if seq.ndim > 1 and vals.ndim == 0:
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension "
                           f"is 1, but we got boundaries tensor dim({seq.ndim}) and input value's dim(0) numel(1)")
    dtype = dt.int32 if out_int32 else dt.int64
    if out is not None and isinstance(out, Tensor) and out.dtype is not dtype:
        raise RuntimeError("torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or "
                           "Long(int64) depending on whether out_int32 flag is True, but we got output tensor's "
                           f"dtype {out.dtype.c_name} and out_int32 flag is {bool(out_int32)}")
    common = np.promote_types(seq.dtype, vals.dtype)
    if common == np.bool_:
        raise NotImplementedError('"searchsorted_out_cpu" not implemented for \'Bool\'')
    if common == np.float16:
        common = np.dtype(np.float32)
    seq, vals = seq.astype(common, copy=False), vals.astype(common, copy=False)
    if seq.ndim == 1:
        if _has_nan(seq) or _has_nan(vals):
            result = _nan_search(seq.reshape(1, -1), vals.reshape(1, -1), right).reshape(vals.shape)
        else:
            result = np.searchsorted(seq, vals, side="right" if right else "left")
    else:
        if scalar or seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                "boundaries tensor and input value tensor must match, but we got boundaries tensor "
                f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
        s2 = np.ascontiguousarray(seq).reshape(-1, seq.shape[-1])
        v2 = np.ascontiguousarray(vals).reshape(-1, vals.shape[-1])
        if _has_nan(s2) or _has_nan(v2):
            result = _nan_search(s2, v2, right)
        else:
            result = np.empty(v2.shape, np.int64)
            if result.size:
                _kernel("searchsorted_rows", s2, v2, bool(right), result)
        result = result.reshape(vals.shape)
    return result_or_out(_wrap(np.asarray(result), dtype, device), out, "searchsorted")


_BUCKETIZE_SIGNATURES = (
    " * (Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False, Tensor out = None)\n"
    " * (Number self, Tensor boundaries, *, bool out_int32 = False, bool right = False)\n")


def _bucketize_arguments(input, boundaries, out):
    """torch's TypeError unless `input` is a tensor or a number (which takes no `out`) and
    `boundaries` a tensor; its RuntimeError unless `boundaries` is one-dimensional."""
    number = isinstance(input, numbers.Number) and not isinstance(input, complex)
    if not isinstance(boundaries, Tensor) or not (isinstance(input, Tensor) or number and out is None):
        got = ", ".join([type(input).__name__, type(boundaries).__name__] +
                        ([f"out={type(out).__name__}"] if out is not None else []))
        raise TypeError(f"bucketize() received an invalid combination of arguments - got ({got}), but expected "
                        f"one of:\n{_BUCKETIZE_SIGNATURES}")
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The index of the bucket each value of `input` (a tensor or a number) falls in, the
    buckets bounded by the sorted 1-D `boundaries`: ``boundaries[i - 1] < v <= boundaries[i]``
    (``boundaries[i - 1] <= v < boundaries[i]`` with ``right=True``); int64 indices, or int32
    with `out_int32`. `searchsorted` with the arguments swapped."""
    _bucketize_arguments(input, boundaries, out)
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def _has_nan(a):
    return a.dtype.kind == "f" and bool(np.isnan(a).any())


def _nan_search(seq, vals, right):
    """torch's binary search of each row of `vals` (rows, m) in the row of `seq` (rows or 1,
    n): it moves right unless ``seq[mid] >= v`` (``> v`` with `right`), so a NaN on either
    side of a comparison moves it right (NaN values land at n; NaN in the sequence is not
    simply "largest"). Done for all values at once, one halving step per loop."""
    n = seq.shape[1]
    start = np.zeros(vals.shape, np.int64)
    end = np.full(vals.shape, n, np.int64)
    row = np.arange(seq.shape[0])[:, None]
    with np.errstate(invalid="ignore"):
        while True:
            active = start < end
            if not active.any():
                return start
            mid = (start + end) >> 1
            probe = seq[row, np.minimum(mid, n - 1)]
            stop = probe > vals if right else probe >= vals
            start = np.where(active & ~stop, mid + 1, start)
            end = np.where(active & stop, mid, end)


forms.functions(__all__, globals())
forms.methods(_METHODS, globals())
