"""Shared plumbing for the linear-algebra modules.

Every linear-algebra function follows one pattern: validate the tensors (with torch's
exception classes and messages) and find the device they agree on (`check_args`,
`check_devices`), fetch their values to the host (`arrays`), compute with NumPy
(BLAS/LAPACK), and turn the fresh result into a tensor on that device or write it into
``out=`` (`finish`, `wrap`). The helpers here are that round trip, written once. On the
CPU it costs nothing: the host arrays are the tensors' own memory and a result becomes a
tensor's storage as it is.
"""

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.host import from_host, host_array, on_host
from nbtensor.core.device import CPU
from nbtensor.dispatch.out import check_out_dtype, check_out_tensor, resize_out
from nbtensor.core.plan import row_major_strides
from nbtensor.dispatch.tensor import Tensor, check_writable, common_device, copy_into, make

# The C++ type names torch prints in some messages ("float != double").


def check_tensor(fname, argname, position, value):
    """TypeError, worded as torch's argument parser does, when `value` is not a Tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


def check_args(fname, names, values, out=None):
    """torch's TypeError for an argument that is not a Tensor, for the positional tensor
    arguments `values` named `names`; returns the device they (and `out`) agree on."""
    for v in values:
        if type(v) is not Tensor or v.device is not CPU:
            break
    else:
        if out is None or type(out) is Tensor and out.device is CPU:
            return CPU
    for pos, (name, value) in enumerate(zip(names, values), 1):
        check_tensor(fname, name, pos, value)
    return check_devices(*values, out)


def check_devices(*tensors):
    """The device an op on `tensors` runs on (anything not a tensor, such as an absent
    ``out=``, is skipped); torch's RuntimeError when they are on two devices."""
    for t in tensors:
        if t is not None and (type(t) is not Tensor or t.device is not CPU):
            return common_device(tensors)
    return CPU


def array_of(t):
    """The values of `t` as a host ndarray: on the CPU a zero-copy view (any strides), where
    a tensor that is its whole row-major storage takes a faster path than `host_array`; from
    another device a fetched copy."""
    storage = t._storage
    if type(storage) is not np.ndarray:
        return host_array(t)
    if t._offset == 0 and t._strides == row_major_strides(t._shape) and storage.flags.c_contiguous:
        try:
            return storage.reshape(t._shape)
        except ValueError:  # the storage holds more elements than the tensor
            pass
    return host_array(t)


def arrays(*tensors):
    """The values of `tensors` as host ndarrays (see `array_of`)."""
    return [array_of(t) for t in tensors]


def compute_np_dtype(dtype):
    """The NumPy dtype to compute in: float16 goes through float32 (as torch's CPU kernels
    accumulate half precision in float), everything else as is."""
    return np.float32 if dtype is dt.float16 else dtype.np


def upcast(array, dtype):
    """`array` in the dtype `compute_np_dtype(dtype)` (copies only for float16)."""
    return array.astype(np.float32) if dtype is dt.float16 else array


def wrap(array, dtype, device=CPU):
    """A new tensor of `dtype` on `device` holding the host ndarray `array`, which must be
    freshly made (not a view of a tensor's memory): on the CPU it becomes the storage,
    copied only to make it row-major or to convert it to `dtype`."""
    array = np.asarray(array)
    if array.dtype != dtype.np or not array.flags.c_contiguous:
        with np.errstate(over="ignore", invalid="ignore"):  # (out of range: inf, as torch's cast, silently)
            array = array.astype(dtype.np, order="C")  # (np.ascontiguousarray would make 0-d 1-d)
    shape = array.shape
    storage = array.reshape(-1) if device is CPU else from_host(array, device)
    return make(storage, 0, shape, row_major_strides(shape), dtype)


def fresh(result, *inputs):
    """`result`, copied when NumPy handed back a view of one of `inputs`."""
    if isinstance(result, np.ndarray) and result.base is not None and any(
            np.may_share_memory(result, a) for a in inputs):
        return result.copy()
    return result


def check_out(out, shape, dtype):
    """Validate ``out=`` as torch does: the dtype must match exactly; a wrongly shaped
    `out` is resized (with torch's warning when it had elements)."""
    check_out_tensor(out, "out")
    check_out_dtype(out, dtype)
    check_writable(out)
    resize_out(out, shape)
    return out


def finish(result, dtype, out=None, device=CPU):
    """Turn a freshly computed host ndarray into a tensor of `dtype` on `device`, or write
    it into `out` (on its own device)."""
    if out is None:
        return wrap(result, dtype, device)
    result = np.asarray(result)
    check_out(out, result.shape, dtype)
    copy_to(out, result)
    return out


def copy_to(t, values, where=True):
    """``np.copyto`` into the values of tensor `t` (casting as needed), on any device."""
    if t.device is CPU:  # (without on_host's context-manager cost, which small products feel)
        np.copyto(t.numpy(), values, casting="unsafe", where=where)
        return
    with on_host(t) as host:
        np.copyto(host, values, casting="unsafe", where=where)


def write_inplace(self, result):
    """Copy the tensor `result` into `self` (the in-place ``op_`` forms); torch's error
    when the result does not have `self`'s shape."""
    if result._shape != self._shape:
        raise RuntimeError(f"the result of shape {list(result._shape)} does not match the shape "
                           f"{list(self._shape)} of the tensor written in place")
    if not dt.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {result.dtype.c_name} can't be cast to the desired output type "
                           f"{self.dtype.c_name}")
    check_writable(self)
    copy_into(self, result)
    return self


def not_implemented(kernel, dtype):
    """torch's NotImplementedError for a kernel that has no `dtype` version."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{dtype.c_name}\'')


def batch_prefix(batched, index):
    """torch's "(Batch element i): " prefix for errors in one matrix of a batch."""
    return f"(Batch element {index}): " if batched else ""
