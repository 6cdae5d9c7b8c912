"""The ``out=`` argument: check the target's dtype, resize it as torch does, write into it."""
import collections
import sys
import warnings

import numpy as np

from nbtensor.backends.base import backend_for, device_of
from nbtensor.core import dtype as dt
from nbtensor.core.plan import contiguous_strides
from nbtensor.core.plan import numel as _numel
from nbtensor.dispatch.tensor import (Tensor, _overlaps, check_writable, common_device, copy_into, empty_tensor, make_view,
                                     move_storage, refuse_overlap)

__all__ = ["check_out_tensor", "check_out_dtype", "check_out_cast", "resize_out", "write_out",
           "result_or_out"]


def check_out_tensor(out, name):
    """TypeError (as torch's argument parser) unless `out` is a Tensor."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")


def check_out_dtype(out, dtype):
    """RuntimeError unless the ``out=`` tensor has exactly `dtype` (torch's wording)."""
    if out.dtype is not dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {dtype.cpp_name}, but got {out.dtype.cpp_name} instead")


def check_out_cast(out, dtype):
    """RuntimeError unless a result of `dtype` may be cast into the ``out=`` tensor."""
    if not dt.can_cast(dtype, out.dtype):
        raise RuntimeError(
            f"result type {dtype.c_name} can't be cast to the desired output type {out.dtype.c_name}")


def _sole_owner(storage):
    """True when nothing but the tensor holding `storage` refers to its memory: no other
    tensor, NumPy array (``numpy()``, ``from_numpy``) or DLPack consumer (CPython reference
    counts: the holder's reference, this frame's and getrefcount's argument)."""
    return sys.getrefcount(storage) <= 3 and _bases_unshared(storage)


def _bases_unshared(storage):
    """True when every array `storage` views (its `.base` chain) is referenced only by the
    next one down: a view of a temporary (tensor() reshapes its array) is fine."""
    backend = backend_for(device_of(storage))
    base_of = _ndarray_base if type(storage) is np.ndarray else backend.base_of
    base = base_of(storage)
    while base is not None:
        # the reference from the array it bases, the loop variable's and getrefcount's, and
        # the allocator's own when it pools the block (CPU storage of 1 MiB or more)
        if base is _FOREIGN or sys.getrefcount(base) > 3 + backend.allocator_references(base):
            return False
        base = base_of(base)
    return True


_FOREIGN = object()  # memory another kind of object provides (a buffer, a capsule): maybe shared


def _ndarray_base(array):
    base = array.base
    return base if base is None or isinstance(base, np.ndarray) else _FOREIGN


def _other_tensors(out, storage):
    """The tensors other than `out` on `storage`, and whether they account for every other
    reference to it (a holder the garbage collector does not see, such as a DLPack consumer,
    or an array on it, does not). Used only where storage is shared (gc.get_referrers scans
    every object)."""
    import gc
    tensors = [r for r in gc.get_referrers(storage)
               if r is not out and type(r) is Tensor and r._storage is storage]
    # references: out's, each tensor's, this frame's argument and getrefcount's
    accounted = sys.getrefcount(storage) == 3 + len(tensors) and _bases_unshared(storage)
    return tensors, accounted


def _reached_only_as_base(out, others):
    """The ids of the tensors among `others` (those on `out`'s memory) that nothing refers to
    but the `_base` links of `out` and of the others: a view keeps the tensor it views alive,
    as torch's does, so ``zeros(5)[5:]`` holds a tensor the program cannot reach. (References
    counted: those links, the `others` list's, the loop's and getrefcount's.)"""
    links = collections.Counter(id(t._base) for t in (out, *others) if t._base is not None)
    return {id(t) for t in others if sys.getrefcount(t) == 3 + links.get(id(t), -3)}


def _grow_storage(out, shape, size):
    """torch's storage resize for `out` to hold `shape`: `out` and every tensor sharing its
    memory move to new memory of `size` elements that starts with the old contents, each
    keeping its offset. Memory with elements may grow only when nothing else can read or write
    it (the other tensors on it have no elements), so no view is silently detached from its
    base; RuntimeError otherwise."""
    others = ()
    # (no local name for the storage before the reference counts are read)
    if not _sole_owner(out._storage):
        others, accounted = _other_tensors(out, out._storage)
        # an array on memory without elements sees nothing, before or after, and neither
        # does a tensor that only its views reach
        has = out._storage.shape[0]
        hidden = _reached_only_as_base(out, others)
        if has and not (accounted and all(_numel(t._shape) == 0 or id(t) in hidden for t in others)):
            raise RuntimeError(
                f"cannot resize the out= tensor from {list(out._shape)} to {list(shape)}: it needs {size} "
                f"elements of memory, has {has}, and that memory is shared with another tensor or array "
                "(a view cannot grow). Pass an out= tensor of the result's shape.")
    old = out._storage
    grown = empty_tensor((size,), out.dtype, out.device)
    copy_into(grown[:old.shape[0]], make_view(old, 0, (old.shape[0],), (1,), out.dtype))
    move_storage((out, *others), grown._storage)


def resize_out(out, shape, strides=None, warn=True):
    """Give `out` the shape `shape` as torch's ``resize_`` does, with `strides` (default:
    row-major), keeping its memory where it has room: a view ``out=base[0]`` keeps writing
    into `base`. Memory that is too small grows as torch's storage does (see `_grow_storage`).
    torch warns (unless not `warn`: its factories do not) when a tensor with elements is
    resized."""
    shape = tuple(shape)
    if out._shape == shape:
        return
    strides = contiguous_strides(shape) if strides is None else tuple(strides)
    n = _numel(shape)
    if out._offset + n > out._storage.shape[0] and n:
        _grow_storage(out, shape, out._offset + n)
    if warn and out.numel() != 0:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape {list(out._shape)}, "
            f"which does not match the required output shape {list(shape)}.", UserWarning, stacklevel=4)
    out._shape, out._strides = shape, strides
    out._contig = None


def write_out(out, result, name, cast=False):
    """Copy `result` into the ``out=`` tensor `out` (resized when needed) and return `out`.

    The dtypes must match, unless `cast` allows any cast torch's ``can_cast`` permits."""
    check_out_tensor(out, name)
    common_device((out, result), cpu_scalars=False)
    if out.dtype is not result.dtype and not (cast and dt.can_cast(result.dtype, out.dtype)):
        raise RuntimeError(
            f"Expected out tensor to have dtype {result.dtype.cpp_name}, but got {out.dtype.cpp_name} instead")
    check_writable(out)
    resize_out(out, result._shape)
    return copy_into(out, result)


def result_or_out(result, out, name, reads=()):
    """`result`, or `out` holding a copy of it when an ``out=`` tensor was given: torch's
    RuntimeError when out shares memory with one of `reads`, the tensors the op read
    (assert_no_overlap: ``index_select(x, 0, i, out=x)``)."""
    if out is None:
        return result
    for t in reads:
        if type(t) is Tensor and type(out) is Tensor and _overlaps(out, t):
            refuse_overlap(out, t, full=True)
    return write_out(out, result, name)
