"""Index validation shared by advanced indexing and the selection functions.

Every index value is checked here, in the facade, before any kernel runs: the kernels do
no bounds checking (DESIGN §1).
"""
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.host import host_array
from nbtensor.core.device import CPU
from nbtensor.dispatch.tensor import Tensor, checked_scalar
from nbtensor.ops.bridge import tensor

__all__ = ["INDEX_DTYPE_ERROR", "index_array", "check_range", "int64_table", "check_index_device",
           "slice_bounds", "check_value"]

INDEX_DTYPE_ERROR = "tensors used as indices must be long, int, byte or bool tensors"

_INDEX_KINDS = {dt.int64: "int", dt.int32: "int", dt.uint8: "mask", dt.bool: "mask"}


def _refuse_past_int64(seq):
    """torch's ValueError for a Python int in an index list that int64 cannot hold (an index
    tensor made of it would wrap or turn float)."""
    for v in seq:
        if type(v) is int and not -2 ** 63 <= v < 2 ** 63:
            raise ValueError("Overflow when unpacking long long")
        if type(v) is list or type(v) is tuple:
            _refuse_past_int64(v)


def index_array(obj, device=CPU):
    """An index object (Tensor, ndarray or list) of a tensor on `device` as (host ndarray,
    kind), kind 'int' or 'mask'.

    IndexError for dtypes torch refuses as indices (floats, int8, int16), and for an index
    tensor on another device than `device`, unless on the CPU (torch's rule).
    """
    if isinstance(obj, Tensor):
        if obj.device is not device:
            check_index_device(obj, device)
        dtype, arr = obj.dtype, host_array(obj)
    elif isinstance(obj, np.ndarray):
        dtype, arr = dt.from_numpy_dtype(obj.dtype), obj
    elif isinstance(obj, range):
        dtype, arr = dt.int64, np.arange(obj.start, obj.stop, obj.step, dtype=np.int64)
    else:
        _refuse_past_int64(obj)
        try:
            t = tensor(obj, device=CPU) if len(obj) else tensor(obj, dtype=dt.int64, device=CPU)
        except (TypeError, ValueError) as e:
            raise IndexError(f"{INDEX_DTYPE_ERROR} (could not convert the index {obj!r}: {e})") from None
        dtype, arr = t.dtype, host_array(t)
    kind = _INDEX_KINDS.get(dtype)
    if kind is None:
        raise IndexError(f"{INDEX_DTYPE_ERROR} (got an index of dtype {dtype})")
    if kind == "mask" and dtype is dt.uint8:
        import warnings
        warnings.warn("indexing with dtype nbtensor.uint8 is deprecated, please use a dtype "
                      "nbtensor.bool instead.", UserWarning, stacklevel=4)
    return arr, kind


def check_range(arr, size, describe, negative=True, error=IndexError):
    """Raise `error` when a value of integer array `arr` is outside [-size, size) (or
    [0, size) when `negative` is false). `describe(value)` words the message.

    Returns the minimum value (so callers know whether negatives need wrapping)."""
    if arr.size == 0:
        return 0
    lo, hi = int(arr.min()), int(arr.max())
    low_bound = -size if negative else 0
    if lo < low_bound:
        raise error(describe(lo))
    if hi >= size:
        raise error(describe(hi))
    return lo


def int64_table(arr):
    """`arr` flattened to a C-contiguous int64 array (no copy when it already is one)."""
    return np.ascontiguousarray(arr, dtype=np.int64).reshape(-1)


def check_index_device(index, device):
    """torch's rule for the index tensors of ``x[index]`` and ``index_put_``: on the CPU or
    on `device`, the indexed tensor's (IndexError otherwise)."""
    if index.device is not CPU and index.device != device:
        raise IndexError(f"indices should be either on cpu or on the same device as the indexed tensor ({device})")


def slice_bounds(s, size):
    """(start, length, step) of slice `s` on a dimension of `size`; ValueError on step <= 0."""
    step = 1 if s.step is None else s.step.__index__()
    if step <= 0:
        raise ValueError(f"step must be greater than zero (got slice step {step})")
    start, stop, _ = slice(s.start, s.stop, step).indices(size)
    length = max(0, (stop - start + step - 1) // step)
    return start, length, step


def check_value(t, value):
    """torch's check of the value of ``t[...] = value``, made before the index is read: a
    number must convert to t's dtype without overflow. Returns the value as the write takes it:
    a Tensor or a number as given, anything else (a list, a NumPy array: an nbtensor
    extension, torch refuses them with a TypeError) converted to a tensor of t's dtype and
    device."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number):
        checked_scalar(value, t.dtype)
        return value
    return tensor(value, dtype=t.dtype, device=t.device)
