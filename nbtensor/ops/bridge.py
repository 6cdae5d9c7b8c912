"""The NumPy bridge: `from_numpy`, `as_tensor` and `frombuffer` share memory, `tensor` copies,
DLPack."""
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.base import backend_for
from nbtensor.backends.host import from_host, host_array
from nbtensor.core.device import CPU, to_device
from nbtensor.core.plan import contiguous_strides
from nbtensor.dispatch.tensor import requiring_grad, Tensor, make
from nbtensor.dispatch import dispatcher as forms

__all__ = ["from_numpy", "frombuffer", "as_tensor", "tensor", "from_dlpack", "asarray"]


def from_numpy(array):
    """A tensor sharing `array`'s memory (any non-negative strides)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtype = dt.from_numpy_dtype(array.dtype)
    if not array.dtype.isnative:
        raise TypeError(f"can't convert np.ndarray of non-native byte order ({array.dtype.str})")
    item = array.itemsize
    if any(s < 0 for s in array.strides):
        raise ValueError(
            f"At least one stride in the given numpy array is negative (strides {array.strides}), "
            "and tensors with negative strides are not currently supported. (You can probably work "
            "around this by making a copy of your array with array.copy().)")
    if any(s % item for s in array.strides):
        raise ValueError(
            f"given numpy array strides {array.strides} are not a multiple of the element byte size ({item}). "
            "Copy the numpy array to reallocate the memory.")
    strides = tuple(s // item for s in array.strides)
    if array.size == 0:
        storage = np.empty(0, dtype=array.dtype)
    elif array.flags.c_contiguous:
        # (a plain view: its base is the array owning the memory, which tells `_overlaps`
        # at once that two arrays' tensors share none)
        storage = array.reshape(-1)
    else:
        span = 1 + sum((n - 1) * s for n, s in zip(array.shape, strides))
        # A 1-D window over the array's own memory: writes through either side show in both.
        storage = np.lib.stride_tricks.as_strided(array, shape=(span,), strides=(item,),
                                                  writeable=array.flags.writeable)
    return make(storage, 0, tuple(array.shape), strides, dtype)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-d tensor sharing the memory of an object with the buffer protocol (bytearray,
    bytes, array.array, mmap), read as `dtype` from byte `offset`: `count` elements, or
    (-1) all that follow. A read-only buffer's memory stays read-only (writes raise)."""
    try:
        length = memoryview(buffer).nbytes
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    item = dtype.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % item:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({item})")
        count = (length - offset) // item
    elif offset + count * item > length:
        raise ValueError(f"requested buffer length ({count} * {item} bytes) after offset ({offset} bytes) must not "
                         f"be greater than actual buffer length ({length} bytes)")
    t = from_numpy(np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset))
    return requiring_grad(t) if requires_grad else t


# Python sequences torch.tensor reads element by element.
_SEQUENCES = (list, tuple, range)


# The dtype of a flat sequence of Python numbers by the set of their types (a float: the
# default dtype, looked up when used): one set() of the types instead of a check per element.
_PLAIN_KINDS = {frozenset({bool}): dt.bool, frozenset({int}): dt.int64, frozenset({bool, int}): dt.int64}
_PLAIN_NUMBERS = frozenset({bool, int, float})


def _plain_dtype(seq):
    """The dtype of a flat list, tuple or range of plain Python bools, ints and floats (None
    when it holds anything else, or nothing)."""
    if type(seq) is range:
        return dt.int64 if len(seq) else None
    kinds = frozenset(map(type, seq))
    if not kinds or not kinds <= _PLAIN_NUMBERS:
        return None
    return dt.get_default_dtype() if float in kinds else _PLAIN_KINDS[kinds]


def _infer_list_dtype(data):
    """torch's dtype for nested Python data: the promotion (promote_types) of every
    element's own dtype, where a Python float counts as the default dtype, an int as
    int64, a bool as bool, and NumPy scalars, arrays and tensors as their dtype."""
    return _infer_nested(data)[0]


def _infer_nested(data):
    """(`_infer_list_dtype` of `data`, True when it is sequences of plain Python numbers
    down to the last level, which NumPy converts in one call)."""
    kind = None
    plain = True
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, _SEQUENCES):
            d = _plain_dtype(x)
            if d is None:
                if x:
                    stack.extend(x)
                continue
            kind = d if kind is None else dt.promote_types(kind, d)
            continue
        plain = False
        if isinstance(x, Tensor):
            d = x.dtype
        elif isinstance(x, (np.ndarray, np.generic)):
            d = dt.from_numpy_dtype(x.dtype)
        elif isinstance(x, (numbers.Number, np.bool_)):
            d = dt.scalar_dtype(x)
        elif isinstance(x, str):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        kind = d if kind is None else dt.promote_types(kind, d)
    return (dt.get_default_dtype() if kind is None else kind), plain


def _check_rectangular(data):
    """torch's ValueError for the first sequence in `data` (nested Python sequences) whose
    length differs from the shape read off the first elements: "expected sequence of length
    2 at dim 1 (got 1)"."""
    shape, first = [], data
    while isinstance(first, _SEQUENCES):
        shape.append(len(first))
        first = first[0] if len(first) else None

    def check(seq, dim):
        if len(seq) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(seq)})")
        if dim + 1 < len(shape):
            for item in seq:
                if isinstance(item, _SEQUENCES):
                    check(item, dim + 1)
    check(data, 0)


def _to_array(data):
    if isinstance(data, Tensor):
        return host_array(data)
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, _SEQUENCES):
        if _plain_dtype(data) is not None:
            return np.array(data)  # (flat plain numbers: NumPy reads them directly)
        items = [_element_value(x) if isinstance(x, Tensor) else _to_array(x) if isinstance(x, _SEQUENCES) else x
                 for x in data]
        try:
            return np.array(items)
        except ValueError as e:
            raise ValueError(f"expected a rectangular nested sequence of numbers: {e}") from None
    if isinstance(data, (numbers.Number, np.generic)):
        return np.array(data)
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _element_value(t):
    """A tensor inside a list given to ``tensor()``: one number to torch (its only element,
    as an array of t's dtype), never a block of elements (torch's errors)."""
    if t.numel() != 1:
        if t.dtype.is_floating_point:
            raise ValueError("only one element tensors can be converted to Python scalars")
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return host_array(t).reshape(())


def _check_python_numbers(data, dtype):
    """torch's errors for the numbers of Python data (nested lists, or one number) stored as
    the integer or bool `dtype`: an int past int64 (or a NumPy unsigned one) overflows, and a
    NumPy float other than float64 (a Python float) or a NumPy bool is no integer to torch.
    Walks the data: called only when NumPy's reading of it was not all integers."""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        kind = type(x)
        if kind is int or isinstance(x, np.unsignedinteger):
            if not -2 ** 63 <= int(x) < 2 ** 63:
                raise _overflow()
        elif isinstance(x, np.floating) and kind is not np.float64 or isinstance(x, np.bool_) and dtype is not dt.bool:
            raise TypeError(f"'numpy.{kind.__name__}' object cannot be interpreted as an integer")


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays or tensors)."""
    device = data.device if device is None and isinstance(data, Tensor) else to_device(device)
    if isinstance(data, Tensor):
        inferred = data.dtype
    elif isinstance(data, np.ndarray):
        inferred = dt.from_numpy_dtype(data.dtype)
    elif isinstance(data, np.generic):
        if isinstance(data, np.unsignedinteger) and data >= 2 ** 63:
            raise _overflow()
        inferred = dt.from_numpy_dtype(data.dtype)
    else:
        inferred, plain = _infer_nested(data)
        if plain and dtype is None and inferred is not dt.float16 and type(data) is not range:
            # nested lists of Python numbers: NumPy reads them into the result's dtype at once
            # (an error, a ragged list or an int out of range, takes the path below)
            try:
                array = np.array(data, dtype=inferred.np)
            except OverflowError:
                if inferred is dt.int64:
                    raise _overflow() from None
            except (ValueError, TypeError):
                pass
            else:
                result = make(from_host(array, device), 0, array.shape, contiguous_strides(array.shape), inferred)
                return requiring_grad(result) if requires_grad else result
    dtype = inferred if dtype is None else dt.dtype_argument(dtype, "tensor")
    try:
        array = _to_array(data)
    except ValueError:
        if isinstance(data, _SEQUENCES):
            _check_rectangular(data)  # (torch's message for the first ragged sequence)
        raise
    python_data = isinstance(data, _SEQUENCES + (numbers.Number, np.generic))
    if python_data and not dtype.is_floating_point:
        if array.dtype.kind != "i" and (array.dtype.kind != "b" or dtype is not dt.bool):
            _check_python_numbers(data, dtype)  # (floats, bools, or ints NumPy could not hold in int64)
        if dtype is not dt.bool:
            _check_fits(array, dtype)
    if array.dtype == object:
        raise TypeError(f"can't convert {type(data).__name__} with object elements to a tensor")
    array = dt.as_half(array) if dtype is dt.float16 else np.array(array, dtype=dtype.np, order="C", copy=True)
    result = make(from_host(array, device), 0, array.shape, contiguous_strides(array.shape), dtype)
    return requiring_grad(result) if requires_grad else result


def _overflow():
    """torch's error for a Python int that does not fit the int64 it is read as."""
    return ValueError("Overflow when unpacking long long")


def _check_fits(array, dtype):
    """torch's RuntimeError when a Python number in `array` (read as int64, float64 or bool)
    does not fit the integer `dtype` it is to be stored as: a float must lie in its range (a
    NaN never does), an int too, except that a negative int wraps into an unsigned type
    (uint8 takes -255..255)."""
    if array.dtype.kind not in "fiu" or not array.size:
        return
    info = np.iinfo(dtype.np)
    if array.dtype.kind == "f":
        bad = np.isnan(array) | (array < float(info.min)) | (array > float(info.max))
    else:
        bad = (array < (info.min if dtype.is_signed else -int(info.max))) | (array > info.max)
    if bad.any():
        value = array[bad].flat[0]
        raise RuntimeError(f"value cannot be converted to type {str(dtype).split('.')[-1]} without overflow "
                           f"(got {value.item()})")


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory with a tensor or ndarray when dtype and device allow."""
    dtype = None if dtype is None else dt.dtype_argument(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data.to(device=device if device is not None else data.device,
                       dtype=dtype if dtype is not None else data.dtype)
    if isinstance(data, np.ndarray) and to_device(device) is CPU and all(s >= 0 for s in data.strides):
        try:
            d = dt.from_numpy_dtype(data.dtype)
        except TypeError:
            d = None
        if d is not None and (dtype is None or dtype is d):
            return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """`obj` as a tensor: shares memory with a tensor or ndarray when it can, unless
    ``copy=True``; ``copy=False`` raises when a copy would be needed."""
    if copy:
        result = tensor(obj, dtype=dtype, device=device)
        return requiring_grad(result) if requires_grad else result
    result = as_tensor(obj, dtype=dtype, device=device)
    if copy is False and isinstance(obj, (Tensor, np.ndarray)) and not _shares_memory(result, obj):
        raise ValueError("asarray(): can't satisfy copy=False: the data must be copied to "
                         "change its dtype or device")
    result = result
    return requiring_grad(result) if requires_grad else result


def _shares_memory(result, obj):
    if isinstance(obj, Tensor):
        return result.device == obj.device and (
            result._storage is obj._storage or backend_for(obj.device).may_share_memory(result._storage, obj._storage))
    return result.device is CPU and np.shares_memory(result._storage, obj)


def from_dlpack(ext):
    """A tensor sharing the memory of any object with ``__dlpack__`` (NumPy, PyTorch, CuPy...):
    on the CPU through NumPy's DLPack import; on the GPU through the object's
    ``__cuda_array_interface__``, which CuPy arrays and PyTorch CUDA tensors have."""
    if isinstance(ext, Tensor):
        return ext
    gpu = hasattr(ext, "__cuda_array_interface__")
    if not hasattr(ext, "__dlpack__") and not gpu:
        raise TypeError(f"from_dlpack expects an object with __dlpack__, got {type(ext).__name__}")
    device_type = ext.__dlpack_device__()[0] if hasattr(ext, "__dlpack_device__") else 2
    if device_type == 2 and gpu:
        device = to_device("cuda")
        storage, offset, shape, strides, np_dtype = backend_for(device).from_interface(ext)
        return make(storage, offset, shape, strides, dt.from_numpy_dtype(np_dtype))
    if device_type != 1:
        raise RuntimeError(f"from_dlpack: DLPack device type {device_type} is not supported (the CPU, kDLCPU = 1, "
                           "and CUDA GPUs through __cuda_array_interface__, kDLCUDA = 2)")
    return from_numpy(np.from_dlpack(ext))


forms.functions(__all__, globals())
