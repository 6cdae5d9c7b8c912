"""The ``out=`` argument: check the target's dtype, resize it as torch does, write into it."""
import sys
import warnings

import numpy as np

from . import _dtype as dt
from ._plan import contiguous_strides
from ._plan import numel as _numel
from ._tensor import Tensor, check_writable, copy_into, empty_tensor

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
    base = storage.base
    while base is not None:
        # the reference from the array it bases, the loop variable's and getrefcount's
        if not isinstance(base, np.ndarray) or sys.getrefcount(base) > 3:
            return False
        base = base.base
    return True


def _only_empty_views(out, storage):
    """True when every other holder of `storage` is a tensor without elements (an empty view
    such as ``x.narrow(0, 1, 0)``): nothing can read or write through those, so giving `out`
    new memory detaches nothing observable. Checked only where resize_out would refuse
    (gc.get_referrers scans every object); the reference count must be fully accounted for
    (a holder the garbage collector does not see, such as a DLPack consumer, keeps the refusal)."""
    import gc
    empties = 0
    for r in gc.get_referrers(storage):
        if r is out:
            continue
        if type(r) is Tensor and r._storage is storage and _numel(r._shape) == 0:
            empties += 1
            continue
        return False
    # references: out's, each empty view's, this frame's argument and getrefcount's
    return sys.getrefcount(storage) == 3 + empties and _bases_unshared(storage)


def resize_out(out, shape, strides=None):
    """Give `out` the shape `shape` as torch's ``resize_`` does, with `strides` (default:
    row-major), keeping its memory where it has room: a view ``out=base[0]`` keeps writing
    into `base`. Memory that is too small is replaced only when nothing else refers to it but
    views without elements (or it holds no element at all); otherwise RuntimeError, so a view
    is never silently detached from its base.
    torch warns when a tensor with elements is resized."""
    shape = tuple(shape)
    if out._shape == shape:
        return
    strides = contiguous_strides(shape) if strides is None else tuple(strides)
    n = _numel(shape)
    if out._offset + n > out._storage.shape[0] and n:
        # Memory of no elements is replaced even when shared: no tensor or array on it can read
        # or write anything, so nothing observes the change (torch grows the shared storage).
        if out._storage.shape[0] and not _sole_owner(out._storage) and not _only_empty_views(out, out._storage):
            raise RuntimeError(
                f"cannot resize the out= tensor from {list(out._shape)} to {list(shape)}: it needs "
                f"{out._offset + n} elements of memory, has {out._storage.shape[0]}, and that memory is "
                "shared with another tensor or array (a view cannot grow). Pass an out= tensor of "
                "the result's shape.")
        out._storage, out._offset = empty_tensor((n,), out.dtype, out.device)._storage, 0
    if out.numel() != 0:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape {list(out._shape)}, "
            f"which does not match the required output shape {list(shape)}.", UserWarning, stacklevel=4)
    out._shape, out._strides = shape, strides
    out._contig = None


def write_out(out, result, name, cast=False):
    """Copy `result` into the ``out=`` tensor `out` (resized when needed) and return `out`.

    The dtypes must match, unless `cast` allows any cast torch's ``can_cast`` permits."""
    check_out_tensor(out, name)
    if out.dtype is not result.dtype and not (cast and dt.can_cast(result.dtype, out.dtype)):
        raise RuntimeError(
            f"Expected out tensor to have dtype {result.dtype.cpp_name}, but got {out.dtype.cpp_name} instead")
    check_writable(out)
    resize_out(out, result._shape)
    return copy_into(out, result)


def result_or_out(result, out, name):
    """`result`, or `out` holding a copy of it when an ``out=`` tensor was given."""
    return result if out is None else write_out(out, result, name)
