"""The Tensor: a view (storage, offset, shape, strides, dtype, device) over a flat buffer.

Storage on the CPU is a 1-D NumPy array; strides and offsets count elements. View math is
Python arithmetic; data movement goes through the strided copy kernel (`copy_into`).
Operations (element-wise, reductions, shape functions) are attached by their own modules.
"""
import math
import numbers
import warnings
import weakref

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor import backends  # noqa: F401  (registers the CPU backend)
from nbtensor.backends.base import backend_for, device_of
from nbtensor.backends.host import from_host, host_array, on_host, strided_view
from nbtensor.core.device import CPU, to_device
from nbtensor.core.device import device as _device_cls
from nbtensor.core.arguments import invalid_combination
from nbtensor.core.layout import (contiguous_format, format_strides, is_contiguous_in, memory_format_argument, preserve_format,
                                  strides_of_inputs, suggest_memory_format)
from nbtensor.core.layout import memory_format as memory_format_type
from nbtensor.core.plan import broadcast_shapes, broadcast_strides, contiguous_strides, row_major
from nbtensor.core.plan import numel as _numel
from nbtensor.core.numpy_names import accept_numpy_names
from nbtensor.core.size import Size
from nbtensor.dispatch import dispatcher as forms

_cpu_tuning = backend_for(CPU).tuning  # the CPU fast paths below: when threads would pay
_cpu_allocate = backend_for(CPU).allocate  # (np.empty below its pooling size: see backends/cpu/allocator)

__all__ = ["Tensor"]




class AutogradRecord:
    """The fields of a tensor's autograd record that most tensors leave at their default:
    read from the class until a tensor sets its own (in the record's ``__dict__``). Shared by
    `AutogradMeta` and by autograd's nodes, one of which may serve as the record of the
    tensor it made (see nbtensor/autograd/graph.py)."""

    grad = None
    retains_grad = False
    hooks = None
    post_accumulate_hooks = None
    accumulator = None
    # a view recorded by autograd: `base` is the tensor whose memory it views (torch's
    # ``_base``) and `view_version` the memory's version when `grad_fn` was last made (an
    # in-place write through the base or another view makes autograd regenerate it:
    # `refresh_view`)
    view_version = 0
    # (output number, torch's op name) of a view that is one of several outputs of one op
    # (split, chunk, unbind): torch refuses in-place writes to it and its use after one
    # through its base
    multi_output = None


class AutogradMeta(AutogradRecord):
    """What autograd knows about a tensor that requires grad (a tensor that does not has
    none: ``_ag is None``). `grad_fn` is the node that made it (None: a leaf)."""

    # (every recorded op that does not make its result's record its node makes one)
    __slots__ = ("requires_grad", "grad_fn", "output_nr", "base", "edge")

    def __init__(self, requires_grad=True, grad_fn=None, output_nr=0):
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.output_nr = output_nr
        self.base = None
        # where a gradient for this tensor flows: (grad_fn, output_nr), or a leaf's
        # (AccumulateGrad, 0) once made; None where autograd works it out at each use (a
        # leaf before its first use; a view, whose node may need regenerating first)
        self.edge = None if grad_fn is None else (grad_fn, output_nr)


# Set by nbtensor.autograd: brings a view's grad_fn up to date after in-place writes to its
# memory (see AutogradMeta.base).
refresh_view = None


# Set by nbtensor.autograd: whether grad mode is on in this thread.
grad_enabled = None
_float_warned = False  # (float() of a tensor that requires grad has warned once)

# Set by nbtensor.autograd: called the first time a tensor requires grad (it starts recording).
on_requires_grad = []
# Called as hook(original, copy) by Tensor.__deepcopy__ (nn.Parameter keeps its kind).
on_deepcopy = []

# The write clock: how many in-place writes any storage has had since autograd started
# recording (its one element). A node notes the clock when it is made instead of each saved
# tensor's version (one read, not a lookup per tensor: every recorded op makes a node);
# backward looks at the tensors only when the clock has moved since (see `versions_at`).
WRITE_CLOCK = [0]
# id(storage) -> its write log: [number of writes no longer logged, then the clock reading
# of each later write] (the entry goes when the storage does). Its version (torch's
# ``_version``) is its number of writes.
_WRITES = {}
_WRITE_REFS = {}  # id(storage) -> the weak reference to it that removes its log when it goes
_LOGGED = 64  # a log longer than this keeps its newest half


def bump_version(t):
    """Count one in-place write to `t`'s memory (torch's RuntimeError when `t` is an inference
    tensor and this thread is outside inference mode)."""
    storage = t._storage
    log = _WRITES.get(id(storage))
    # (an inference tensor keeps no count, as torch's: its memory never gets a log, so every
    # write to it comes here, also from the writers' inlined common case)
    if log is None and _INFERENCE and is_inference(t):
        refuse_inference_write(t)
        return
    now = WRITE_CLOCK[0] = WRITE_CLOCK[0] + 1
    if log is None:
        _keep_log(storage, [0, now])
    else:
        log.append(now)
        if len(log) > _LOGGED:
            kept = log[-(_LOGGED // 2):]
            log[:] = [log[0] + len(log) - 1 - len(kept)] + kept


def _keep_log(storage, log):
    """Make `log` the write log of `storage`, removed when the storage goes (by a weak
    reference's callback: half the cost of weakref.finalize, paid at a storage's first write)."""
    key = id(storage)
    _WRITES[key] = log
    _WRITE_REFS[key] = weakref.ref(storage, lambda _, key=key: (_WRITES.pop(key, None), _WRITE_REFS.pop(key, None)))


def versions_at(t, clock):
    """(version of `t`'s memory now, its version when the write clock read `clock`): equal
    when nothing has written it since. The second is exact unless more than a few dozen
    writes to it came after `clock` (then it is the oldest version still logged)."""
    log = _WRITES.get(id(t._storage))
    if log is None:
        return 0, 0
    now = log[0] + len(log) - 1
    later = 0
    for i in range(len(log) - 1, 0, -1):
        if log[i] <= clock:
            break
        later += 1
    return now, now - later


def move_storage(tensors, new):
    """Put every tensor of `tensors` (all those on one storage) on the storage `new`, which
    holds the old one's elements at the same places (a grown copy, a copy in shared memory),
    as torch swaps the memory under a storage that all its tensors keep: their offsets and
    strides stay, and so do their kind (inference or not) and version."""
    old = tensors[0]._storage
    carry_inference(old, new)
    log = _WRITES.pop(id(old), None)
    if log is not None:
        _keep_log(new, log)
    for t in tensors:
        t._storage = new


def version_of(t):
    """How many in-place writes `t`'s memory has had (torch's ``_version``)."""
    log = _WRITES.get(id(t._storage))
    return 0 if log is None else log[0] + len(log) - 1


def requiring_grad(t):
    """`t`, made by a creator given ``requires_grad=True``, as a leaf that requires grad
    (torch's creator error for a dtype that cannot)."""
    if not t.dtype.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return t.requires_grad_()


# (bound once: `make` runs for every tensor an op makes)
_new = object.__new__
_ndarray = np.ndarray


def make(storage, offset, shape, strides, dtype, contiguous=None):
    """Build a Tensor over the new storage `storage` without copying or validating (internal
    fast path); its device is the one whose backend made `storage`. `contiguous`: True when
    the caller knows the layout is (saves the check on first use), else None (worked out
    when asked). Made in inference mode, it is an inference tensor (see `is_inference`). A
    tensor over a storage that tensors already have (a view, an alias) is `make_view`'s."""
    t = _new(Tensor)
    t._ag = None
    t._base = None
    t._storage = storage
    t._offset = offset
    t._shape = shape
    t._strides = strides
    t.dtype = dtype
    t.device = CPU if type(storage) is _ndarray else device_of(storage)
    t._contig = contiguous
    if inference_threads and inference_state.inference:
        _mark_inference(storage)
    return t


def make_view(storage, offset, shape, strides, dtype, contiguous=None):
    """`make` for a storage that tensors already have (an alias, a view that is not one of
    torch's view ops' results: see `view_of`): the tensor is of their kind, inference or
    not, wherever it is made. (`make`'s body without the mark rather than a flag of it:
    given by keyword a flag cost a view ~40 ns, and a keyword-only one keeps CPython 3.11
    from specialising any call of `make`.)"""
    t = _new(Tensor)
    t._ag = None
    t._base = None
    t._storage = storage
    t._offset = offset
    t._shape = shape
    t._strides = strides
    t.dtype = dtype
    t.device = CPU if type(storage) is _ndarray else device_of(storage)
    t._contig = contiguous
    return t


def view_of(t, offset, shape, strides, contiguous=None):
    """A view of `t`'s memory made by one of torch's view ops (slicing, ``view``, ``t``, ...):
    `make_view`, remembering the tensor at the root of `t`'s chain of views as its `_base`
    (torch's): an in-place op on the view that records makes the base's history change too,
    also when the base was outside the graph (``buf[0].copy_(y)``, see autograd.views)."""
    view = _new(Tensor)
    view._ag = None
    base = t._base
    view._base = t if base is None else base
    view._storage = t._storage
    view._offset = offset
    view._shape = shape
    view._strides = strides
    view.dtype = t.dtype
    view.device = t.device
    view._contig = contiguous
    return view


# Inference tensors (torch.inference_mode): a tensor made while its thread is in inference
# mode is one, and so is every view of one; a view of a normal tensor stays normal, wherever
# it is made. The kind belongs to the memory: `make` marks a new storage made in inference
# mode (a view's storage is not new: `make_view` marks nothing). Set by nbtensor.autograd:
# `inference_threads`, how many threads are inside ``inference_mode()`` now (while none is,
# `make` pays one global read), and `inference_state`, whose ``inference`` attribute says
# whether this thread is.
inference_threads = 0
inference_state = None
_INFERENCE = {}  # id(storage) -> a weak reference to it: the storages of inference tensors


def _mark_inference(storage):
    key = id(storage)
    if key not in _INFERENCE:
        _INFERENCE[key] = weakref.ref(storage, lambda _, key=key: _INFERENCE.pop(key, None))


def is_inference(t):
    """True when `t` was made in inference mode or is a view of such a tensor."""
    ref = _INFERENCE.get(id(t._storage))
    return ref is not None and ref() is t._storage


_INPLACE_INFERENCE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
                      "clone to get a normal tensor before doing inplace update.See "
                      "https://github.com/pytorch/rfcs/pull/17 for more details.")


def refuse_inference_write(t):
    """torch's RuntimeError for an in-place write to `t` when it is an inference tensor and
    this thread is outside inference mode (torch checks once the write is done)."""
    if _INFERENCE and not inference_state.inference and is_inference(t):
        raise RuntimeError(_INPLACE_INFERENCE)


def carry_inference(old, new):
    """Give the storage `new`, which replaces `old` under the same tensors (a resize, a move to
    shared memory), `old`'s kind."""
    ref = _INFERENCE.get(id(old))
    if ref is not None and ref() is old:
        _mark_inference(new)
    else:
        _INFERENCE.pop(id(new), None)


_MAX_BYTES = (1 << 63) - 1


def allocate(n, dtype, shape=None, device=CPU):
    """A new flat storage of `n` elements on `device`; torch's RuntimeError (not NumPy's
    ValueError or MemoryError) when the size overflows or the memory cannot be had."""
    nbytes = n * dtype.itemsize
    if nbytes > _MAX_BYTES:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape or (n,))}")
    try:
        if device is CPU:
            return _cpu_allocate(n, dtype.np)
        return backend_for(device).allocate(n, dtype.np)
    except (MemoryError, ValueError):
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} "
                           f"bytes (sizes={list(shape or (n,))}).") from None


def empty_tensor(shape, dtype, device=CPU):
    """A new contiguous tensor of `shape` with uninitialised memory."""
    shape = tuple(shape)
    return make(allocate(_numel(shape), dtype, shape, device), 0, shape, contiguous_strides(shape), dtype)


def is_non_overlapping_and_dense(t):
    """True when `t` covers exactly `numel` consecutive elements in some dimension order
    (torch's check: dims of size 1 are skipped, and a tensor without elements is dense
    whatever its strides, as it is contiguous)."""
    shape, strides = t._shape, t._strides
    if 0 in shape:
        return True
    if len(shape) == 1:
        return shape[0] < 2 or strides[0] == 1
    expected = 1
    for d in sorted((d for d in range(len(shape)) if shape[d] >= 2), key=lambda d: strides[d]):
        if strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def empty_like_layout(t, dtype=None, device=None):
    """A new tensor shaped like `t` (on `t`'s device unless `device`), keeping `t`'s
    dimension order when `t` is dense (torch's preserve_format), else row-major."""
    dtype = dtype or t.dtype
    device = device or t.device
    if (t._contig or t._contig is None and t.is_contiguous()) and 1 not in t._shape and 0 not in t._shape:
        return empty_tensor(t._shape, dtype, device)  # row-major (size-1 and empty dims keep their strides)
    if not is_non_overlapping_and_dense(t):
        if len(t._shape) < 2:
            return empty_tensor(t._shape, dtype, device)
        strides = strides_of_inputs([t], t._shape) or contiguous_strides(t._shape)  # dims by stride, as torch
        return make(allocate(_numel(t._shape), dtype, t._shape, device), 0, t._shape, strides, dtype)
    return make(allocate(_numel(t._shape), dtype, t._shape, device), 0, t._shape, t._strides, dtype)


def empty_in_format(shape, fmt, dtype, device=CPU):
    """A new tensor of `shape` laid out in memory format `fmt` (contiguous_format or a
    channels-last one: torch's RuntimeError for a shape of another rank, or preserve_format)."""
    shape = tuple(shape)
    strides = format_strides(shape, fmt)
    return make(allocate(_numel(shape), dtype, shape, device), 0, shape, strides, dtype)


def empty_like_format(t, fmt, dtype=None, device=None):
    """A new tensor shaped like `t` in memory format `fmt`; preserve_format keeps `t`'s
    dimension order (`empty_like_layout`)."""
    if fmt is preserve_format:
        return empty_like_layout(t, dtype, device)
    return empty_in_format(t._shape, fmt, dtype or t.dtype, device or t.device)


# torch's overloads of Tensor.to, as its TypeError lists them
_TO_SIGNATURES = tuple(
    f"({head}bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)"
    for head in ("torch.device device = None, torch.dtype dtype = None, ", "torch.dtype dtype, ", "Tensor tensor, "))
_TO_KEYWORDS = frozenset(("device", "dtype", "non_blocking", "copy", "memory_format"))


def to_keywords(args, kwargs):
    """(device, dtype, copy, memory_format) given as keywords to ``to(*args, **kwargs)``
    (None, None, False, None when absent): torch's TypeError for a keyword it does not take
    or a memory_format that is not one."""
    fmt = kwargs.get("memory_format")
    if not _TO_KEYWORDS.issuperset(kwargs) or fmt is not None and type(fmt) is not memory_format_type:
        raise TypeError(invalid_combination("to", args, kwargs, _TO_SIGNATURES))
    return kwargs.get("device"), kwargs.get("dtype"), kwargs.get("copy", False), fmt


_C_TYPES = {dt.bool: "bool", dt.uint8: "uint8_t", dt.int8: "int8_t", dt.int16: "int16_t", dt.int32: "int",
            dt.int64: "int64_t", dt.float16: "c10::Half", dt.float32: "float", dt.float64: "double"}


def _overflow(value, dtype):
    return RuntimeError(f"value cannot be converted to type {_C_TYPES[dtype]} without overflow (got {value})")


def checked_scalar(value, dtype, strict_half=False):
    """`value` converted to `dtype` as torch converts a fill value (fill_, full, x[i] = v,
    masked_fill): RuntimeError when it does not fit. A float must lie in the integer
    type's range (uint8: 0..255, so -1.5 is refused); a negative int wraps into an unsigned
    type (uint8 takes -255..255, as torch's two's-complement rule allows); float16 takes
    any float (too large becomes inf, as x[i] = v does in torch) unless `strict_half`:
    then, as torch's checked conversion of a Scalar argument (fill_, clamp's bounds, alpha,
    a pow exponent), a finite value beyond float16's largest (65504) is refused."""
    if dtype is dt.bool or isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif isinstance(value, numbers.Real):
        v = float(value)
    else:
        return value  # not a number: let NumPy's conversion report it
    if dtype.is_floating_point:
        if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
            return v
        if (dtype is not dt.float16 or strict_half) and abs(v) > float(np.finfo(dtype.np).max):
            raise _overflow(value, dtype)
        return v
    info = np.iinfo(dtype.np)
    lo = info.min if dtype.is_signed else -int(info.max)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v) or v < float(info.min) or v > float(info.max):
            raise _overflow(value, dtype)
        v = math.trunc(v)
    elif v < lo or v > info.max:
        raise _overflow(value, dtype)
    bits = 8 * dtype.itemsize
    return (v - int(info.min)) % (1 << bits) + int(info.min)  # two's-complement wrap (uint8 -1 -> 255)


def scalar_storage(value, dtype, device=CPU):
    """A one-element storage on `device` holding `value` converted to `dtype` (a stride-0
    source operand, never written: the CPU's are shared between calls with the same number;
    not marked read-only, which would give kernels that also write their other operands a
    signature they cannot compile)."""
    key = (type(value), value, dtype)
    if device is CPU:
        found = _SCALARS.get(key)
        if found is not None and (value or positive_zero(value)):
            return found  # (-0.0 is a key equal to 0.0's: it is made each time)
    value = checked_scalar(value, dtype)
    if dtype is dt.float16:
        array = dt.as_half((value,))
    else:
        array = np.array((value,), dtype=dtype.np)
    if device is not CPU:
        return backend_for(device).constant(array)
    if key[0] is int or key[0] is float and (value or positive_zero(value)):
        if len(_SCALARS) >= 1024:
            _SCALARS.clear()
        _SCALARS[key] = array
    return array


_SCALARS = {}  # (type, number, dtype) -> its one-element CPU storage (see scalar_storage)


def positive_zero(value):
    """True unless `value` is a float -0.0 (called on numbers that are 0: 0.0 and -0.0 are
    equal keys, so only +0.0's storage is kept)."""
    return type(value) is not float or math.copysign(1.0, value) > 0


def common_device(operands, cpu_scalars=True):
    """The device an op on `operands` (tensors, numbers, None) runs on: its tensors' one
    device, where (unless not `cpu_scalars`) a 0-d CPU tensor may join tensors of any device,
    as torch's CPU scalars; torch's RuntimeError when they are on two."""
    for x in operands:
        if type(x) is not Tensor or x.device is not CPU:
            break
    else:
        return CPU  # (CPU tensors alone: the common case, without a set)
    devs = {x.device for x in operands
            if isinstance(x, Tensor) and (x._shape or x.device is not CPU or not cpu_scalars)}
    if len(devs) > 1:
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            + " and ".join(sorted(str(d) for d in devs)) + "!")
    return devs.pop() if devs else CPU


def _overlaps(a, b):
    """True when the memory of tensors a and b may overlap."""
    sa, sb = a._storage, b._storage
    if sa is sb:
        return True
    oa, ob = sa.base, sb.base
    if oa is None and ob is None:
        return False  # two storages that own their memory never share it
    # NumPy makes a view's base the array that owns the memory: two different owners
    oa = sa if oa is None else oa
    ob = sb if ob is None else ob
    if (oa is not ob and type(oa) is np.ndarray and type(ob) is np.ndarray
            and oa.base is None and ob.base is None):
        return False
    return a.device == b.device and backend_for(a.device).may_share_memory(sa, sb)


def same_data(a, b):
    """True when `a` and `b` are the same elements of one memory in the same layout and dtype
    (torch's is_same_data: a copy between them is skipped)."""
    return (a._storage is b._storage and a._offset == b._offset and a._strides == b._strides
            and a._shape == b._shape and a.dtype is b.dtype)


def _byte_range(t):
    begin = backend_for(t.device).address(t._storage) + t._offset * t.dtype.itemsize
    return begin, begin + _numel(t._shape) * t.dtype.itemsize


def check_no_partial_overlap(dst, src):
    """torch's rule for a write into `dst` that reads `src`: RuntimeError when both are dense
    and their memory overlaps without being the same elements in the same layout
    (``x[1:].copy_(x[:-1])``, ``x += x[1:2]``). Overlaps torch cannot classify (strided
    views) are allowed: the caller reads from a copy."""
    if _overlaps(dst, src):
        refuse_partial_overlap(dst, src)


def refuse_partial_overlap(dst, src):
    """`check_no_partial_overlap` for tensors already known to share memory."""
    refuse_overlap(dst, src)


def refuse_overlap(dst, src, full=False):
    """torch's overlap checks for a write into `dst` that reads `src`, tensors known to share
    memory: when both are dense and their bytes overlap, RuntimeError, except (unless `full`,
    torch's assert_no_overlap of index_put_) for the same elements in the same layout
    (assert_no_partial_overlap). Returns True when the overlap cannot be classified (strided
    views): the caller then reads `src` from a copy."""
    if not _numel(dst._shape) or not _numel(src._shape):
        return False
    if not full and dst is src:
        return False
    if not (is_non_overlapping_and_dense(dst) and is_non_overlapping_and_dense(src)):
        return True
    (a0, a1), (b0, b1) = _byte_range(dst), _byte_range(src)
    if not full and (a0, a1) == (b0, b1) and dst._strides == src._strides:
        return False
    if a0 < b1 and b0 < a1:
        raise _overlap_error(dst, src)
    return False


def _overlap_error(dst, src):
    return RuntimeError(
        "unsupported operation: some elements of the input tensor and the written-to tensor refer "
        f"to a single memory location (written-to shape {list(dst._shape)}, strides {list(dst._strides)}; "
        f"input shape {list(src._shape)}, strides {list(src._strides)}). Please clone() the tensor "
        "before performing the operation.")


def has_internal_overlap(t):
    """True when several elements of `t` alias one memory location (an expanded view)."""
    if 0 not in t._strides:
        return False
    shape = t._shape
    if 0 in shape:
        return False  # no elements, nothing aliases (whatever the strides say)
    return any(st == 0 and sz > 1 for st, sz in zip(t._strides, shape))


def check_writable(t, internal_overlap=True):
    """RuntimeError unless `t` may be written: its memory is not read-only and (unless
    `internal_overlap` is False) no two of its elements share one memory location."""
    store = t._storage
    if not (store.flags.writeable if type(store) is np.ndarray else backend_for(t.device).is_writable(store)):
        raise RuntimeError(
            f"cannot write into a tensor whose memory is read-only (shape {list(t._shape)}): it "
            "shares the memory of a read-only NumPy array or buffer (from_numpy/as_tensor/frombuffer/"
            "from_dlpack). clone() it, or make the array writeable, before writing.")
    if internal_overlap and has_internal_overlap(t):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            f"single memory location (shape {list(t._shape)}, strides {list(t._strides)}). "
            "Please clone() the tensor before performing the operation.")


def copy_into(dst, src):
    """Write `src` (a Tensor or a Python number) into `dst`, broadcasting and casting.

    Safe when `src` overlaps `dst`: the source is first copied to a temporary.
    """
    if not isinstance(src, Tensor):
        store = scalar_storage(src, dst.dtype, dst.device)
        if type(dst._storage) is np.ndarray and (dst._contig or dst._contig is None and dst.is_contiguous()):
            n = _numel(dst._shape)
            if n < _cpu_tuning.PARALLEL_THRESHOLD:
                # one number into a small contiguous range: NumPy's fill costs least per call
                dst._storage[dst._offset:dst._offset + n] = store[0]
                return dst
        _copy_raw(dst, (store, 0, (0,) * len(dst._shape)), dst.dtype)
        return dst
    if src.device != dst.device:
        src = moved(src, dst.device)
    shape = dst._shape
    if (src._shape == shape and src.dtype is dst.dtype and src.is_contiguous() and dst.is_contiguous()
            and src._storage is not dst._storage and type(dst._storage) is np.ndarray):
        n = _numel(shape)
        if n < _cpu_tuning.PARALLEL_THRESHOLD:
            # A small contiguous same-dtype copy is a memcpy: NumPy's costs least per call.
            dst._storage[dst._offset:dst._offset + n] = src._storage[src._offset:src._offset + n]
            return dst
    if src._shape != shape:
        if broadcast_shapes(shape, src._shape) != tuple(shape):
            raise RuntimeError(
                f"output with shape {list(shape)} doesn't match the broadcast shape "
                f"{list(broadcast_shapes(shape, src._shape))}")
    if _overlaps(dst, src) and not (src._offset == dst._offset and src._strides == dst._strides
                                    and src._shape == shape):
        src = src.clone()
    strides = broadcast_strides(src._shape, src._strides, shape) if src._shape != shape else src._strides
    _copy_raw(dst, (src._storage, src._offset, strides), src.dtype)
    return dst


def moved(t, device):
    """A contiguous copy of `t` on `device` (through the host)."""
    storage = from_host(host_array(t), device)
    return make(storage, 0, t._shape, contiguous_strides(t._shape), t.dtype)


def _fill(self, value):
    """``self.fill_(value)`` (and ``zero_``: one function, not a second dispatched call)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions.")
        check_writable(self)
        return copy_into(self, value)  # a tensor value is cast like copy_ (wraps, no check)
    store = self._storage
    if (value == 0 and (type(value) is int or type(value) is float) and type(store) is np.ndarray
            and store.flags.writeable and (self._contig or self._contig is None and self.is_contiguous())):
        # zero_() of a contiguous CPU tensor (every optimizer step's grad.zero_()): NumPy's memset
        store[self._offset:self._offset + _numel(self._shape)] = value  # (-0.0 stays -0.0)
        return self
    dt.check_scalar_argument(value)  # (torch's OverflowError for an int beyond 64 bits)
    check_writable(self, internal_overlap=False)  # torch fills an expanded tensor with a number
    if self.dtype is dt.float16 and _numel(self._shape) != 1:
        # torch's fill refuses a number beyond half's range, except into a single element
        checked_scalar(value, dt.float16, strict_half=True)
    return copy_into(self, value)


def _copy_fresh(dst, src):
    """Copy `src` into `dst`, a new tensor of its shape, dtype and device (`copy_into`
    without the checks such a target never needs: broadcast, device, overlap); returns `dst`."""
    _copy_raw(dst, (src._storage, src._offset, src._strides), src.dtype)
    return dst


def _copy_raw(dst, src_operand, src_dtype):
    store, offset, strides = src_operand
    numel = _numel(dst._shape)
    if numel == 0:
        return
    f16 = dt.float16
    backend = backend_for(dst.device)
    if (src_dtype is f16) != (dst.dtype is f16) and not (backend.converts_half and dst.dtype is not dt.bool):
        # numba has no float16 on the CPU: NumPy converts half precision (on the host).
        flat = store if type(store) is np.ndarray else backend_for(dst.device).to_host(store)
        src_view = strided_view(flat, dst._shape, strides, offset, src_dtype.np)
        if dst.dtype is f16:
            src_view = dt.as_half(src_view)
        with np.errstate(over="ignore", invalid="ignore"), on_host(dst) as values:
            np.copyto(values, src_view, casting="unsafe")
        return
    backend.elementwise("copy", dst._shape, numel, (dst._storage, dst._offset, dst._strides),
                        [(store, offset, strides)])


def _cuda_exporter(t):
    """A CuPy array over GPU tensor `t`'s memory, for its DLPack export (DLPack capsules are
    CuPy's to make; the array keeps `t` alive)."""
    try:
        import cupy
    except ImportError:
        raise BufferError("exporting a GPU tensor through DLPack needs CuPy (pip install cupy-cuda12x); "
                          "__cuda_array_interface__ works without it") from None
    return cupy.asarray(t)


class Tensor:
    """A multi-dimensional array with PyTorch's interface, backed by Numba kernels.

    ``Tensor(*sizes)`` makes an uninitialised float tensor, ``Tensor(data)`` copies data
    (the legacy constructors); prefer ``nbtensor.tensor`` and the creation functions.
    """

    # (`_base`: for a view made by one of torch's view ops, the tensor at the root of its chain
    # of views, else None: see `view_of`)
    __slots__ = ("_storage", "_offset", "_shape", "_strides", "dtype", "device", "_contig", "_ag", "_base",
                 "__weakref__")
    __array_priority__ = 1000

    # ----------------------------------------------------------------- metadata
    @property
    def shape(self):
        return tuple.__new__(Size, self._shape)

    @accept_numpy_names
    def size(self, dim=None):
        """The shape as a `Size`, or the size of dimension `dim`."""
        if dim is None:
            return tuple.__new__(Size, self._shape)
        dim = self._wrap_dim(dim)
        if not self._shape:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._shape[dim]

    @accept_numpy_names
    def stride(self, dim=None):
        """Strides in elements, or the stride of dimension `dim`."""
        if dim is None:
            return tuple(self._strides)
        dim = self._wrap_dim(dim)
        if not self._shape:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._strides[dim]

    def dim(self):
        return len(self._shape)

    ndimension = dim

    @property
    def ndim(self):
        return len(self._shape)

    def numel(self):
        return _numel(self._shape)

    nelement = numel

    def storage_offset(self):
        return self._offset

    def element_size(self):
        return self.dtype.itemsize

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self.dtype.itemsize

    def data_ptr(self):
        return self.untyped_storage_ptr() + self._offset * self.dtype.itemsize

    def untyped_storage_ptr(self):
        return backend_for(self.device).address(self._storage)

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return False

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def requires_grad(self):
        """True when autograd records the ops on this tensor."""
        ag = self._ag
        return ag is not None and ag.requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    @property
    def _version(self):
        if _INFERENCE and is_inference(self):
            raise RuntimeError("Inference tensors do not track version counter.")
        return version_of(self)

    @property
    def grad_fn(self):
        """The node that computed this tensor (None for a leaf)."""
        ag = self._ag
        if ag is None:
            return None
        if ag.base is not None:
            refresh_view(self)
            return self._ag.grad_fn  # (its record may be new: see autograd.graph.ViewNode)
        return ag.grad_fn

    @property
    def output_nr(self):
        """Which output of its node this tensor is (0 for a leaf or a one-output op)."""
        ag = self._ag
        return 0 if ag is None else ag.output_nr

    @property
    def is_leaf(self):
        """True unless autograd recorded the op that made this tensor."""
        ag = self._ag
        return ag is None or ag.grad_fn is None

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (None until one runs)."""
        ag = self._ag
        if ag is None:
            return None
        if ag.grad_fn is not None and not ag.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                UserWarning, stacklevel=2)
        return ag.grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"{type(value).__name__}")
            if value._shape != self._shape:
                raise RuntimeError(f"assigned grad has data of a different size: {list(value._shape)} "
                                   f"vs {list(self._shape)}")
        if self._ag is None:
            if value is None:
                return
            self._ag = AutogradMeta(requires_grad=False)
        self._ag.grad = value

    def is_contiguous(self, memory_format=None):
        """True when the elements lie in row-major order without gaps (with `memory_format`
        ``channels_last`` or ``channels_last_3d``: in that format's order)."""
        if memory_format is not None:  # (None, not contiguous_format: the common call is faster so)
            return is_contiguous_in(self._shape, self._strides, memory_format_argument(memory_format, "is_contiguous"))
        c = self._contig
        if c is None:
            c = self._contig = row_major(self._shape, self._strides)
        return c

    def _wrap_dim(self, dim, ndim=None):
        return wrap_dim(dim, len(self._shape) if ndim is None else ndim)

    def __len__(self):
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        return (self.select(0, i) for i in range(self._shape[0]))

    def __reversed__(self):
        """The tensor flipped along its first dimension (a 0-d tensor is itself)."""
        return self.flip(0) if self._shape else self

    def __contains__(self, element):
        """``element in t``: True when some element of `t` equals `element` (a number, or a
        tensor compared with broadcasting), as torch's."""
        if isinstance(element, (Tensor, numbers.Number, np.generic)):
            return bool((self == element).any())
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")

    def __hash__(self):
        return id(self)

    # ----------------------------------------------------------------- copies
    def contiguous(self, *, memory_format=contiguous_format):
        """`self` when already contiguous in `memory_format` (row-major by default), else a
        copy laid out in it."""
        if memory_format is contiguous_format:
            c = self._contig
            if c or c is None and self.is_contiguous():
                return self
            return _copy_fresh(empty_tensor(self._shape, self.dtype, self.device), self)
        if self.is_contiguous(memory_format=memory_format_argument(memory_format, "contiguous")):
            return self
        if memory_format is preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        return _copy_fresh(empty_in_format(self._shape, memory_format, self.dtype, self.device), self)

    def requires_grad_(self, requires_grad=True):
        """Make autograd record (or stop recording) the ops on this leaf; returns `self`."""
        ag = self._ag
        if not requires_grad:
            if ag is not None and ag.grad_fn is not None:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            if ag is not None:
                ag.requires_grad = False
            return self
        if not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if inference_state is not None and not inference_state.inference and is_inference(self):
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        if ag is None:
            self._ag = AutogradMeta()
        else:
            ag.requires_grad = True
        for hook in on_requires_grad:
            hook()
        return self

    def detach(self):
        """A new tensor over the same memory, outside the graph (requires no grad)."""
        return make_view(self._storage, self._offset, self._shape, self._strides, self.dtype)

    def detach_(self):
        """Take `self` out of the graph (a leaf that requires no grad); returns `self`."""
        if self._ag is not None:
            self._ag = None
        return self

    def clone(self, memory_format=None):
        """A copy with its own memory, laid out in `memory_format` (by default
        preserve_format: dense tensors keep their dimension order)."""
        preserve = memory_format is None or memory_format is preserve_format
        if preserve and self.device is CPU and (self._contig or self._contig is None and self.is_contiguous()):
            n = _numel(self._shape)
            if n < _cpu_tuning.PARALLEL_THRESHOLD:
                # Small and contiguous: one NumPy memcpy is the cheapest copy per call.
                return make(self._storage[self._offset:self._offset + n].copy(), 0,
                            self._shape, self._strides, self.dtype, True)
        if preserve:
            out = empty_like_layout(self)
        else:
            out = empty_in_format(self._shape, memory_format_argument(memory_format, "clone"), self.dtype, self.device)
        return _copy_fresh(out, self)

    def copy_(self, src, non_blocking=False):
        """Copy `src` (broadcast, cast) into `self`'s memory; returns `self`."""
        if src is self or isinstance(src, Tensor) and same_data(self, src):
            return self  # torch's copy_ of a tensor into the same elements does nothing
        check_writable(self)
        if isinstance(src, Tensor):
            check_no_partial_overlap(self, src)
        return copy_into(self, src)

    def fill_(self, value):
        """Fill with `value` in place."""
        return _fill(self, value)

    def zero_(self):
        """Fill with zeros in place."""
        return _fill(self, 0)

    # ----------------------------------------------------------------- conversion
    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other)``, with keywords
        ``copy``, ``non_blocking`` (also positional, after the target) and ``memory_format``
        (default preserve_format); `self` when
        nothing changes (unless ``copy=True``)."""
        device = dtype = memory_format = None
        copy = False
        if kwargs:
            device, dtype, copy, memory_format = to_keywords(args, kwargs)
        flags = 0  # (positional bools after the target: non_blocking, then copy)
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif type(a) is bool:
                flags += 1
                if flags == 2:
                    copy = a
            elif isinstance(a, (str, _device_cls)) or isinstance(a, int):
                device = a
            elif a is not None:
                dtype = dt.to_dtype(a)
        device = self.device if device is None else to_device(device)
        dtype = self.dtype if dtype is None else dt.to_dtype(dtype)
        if device == self.device and dtype is self.dtype and not copy and (
                memory_format is None or memory_format is preserve_format
                or memory_format is suggest_memory_format(self._shape, self._strides)):
            return self
        if memory_format is None:
            return copy_into(empty_like_layout(self, dtype, device), self)
        return copy_into(empty_like_format(self, memory_format, dtype, device), self)

    # type(): nbtensor/_legacy.py (it knows the legacy classes FloatTensor, ...)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self, memory_format=None):
        """A copy on the CPU (`self` when already there and in `memory_format`)."""
        if memory_format is None:
            return self.to(CPU)
        return self.to(CPU, memory_format=memory_format_argument(memory_format, "cpu"))

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """A copy on the GPU `device` (`self` when already there and in `memory_format`)."""
        fmt = None if memory_format is None else memory_format_argument(memory_format, "cuda")
        device = to_device("cuda" if device is None else device)
        return self.to(device) if fmt is None else self.to(device, memory_format=fmt)

    def numpy(self, force=False):
        """An ndarray over the same memory with the same strides (no copy)."""
        if self.device.type != "cpu":
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. "
                "Use Tensor.cpu() to copy the tensor to host memory first.")
        if self._ag is not None and self._ag.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return strided_view(self._storage, self._shape, self._strides, self._offset, self.dtype.np)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        if dtype is not None and np.dtype(dtype) != a.dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        # NumPy's exporter honours max_version, dl_device and copy (copy=True must not share).
        kwargs = {k: v for k, v in (("max_version", max_version), ("dl_device", dl_device),
                                     ("copy", copy)) if v is not None}
        if self.device.type == "cuda":
            return _cuda_exporter(self).__dlpack__(stream=stream, **kwargs)
        return self.numpy().__dlpack__(**kwargs)

    def __dlpack_device__(self):
        if self.device.type == "cuda":
            return (2, self.device.index or 0)  # kDLCUDA
        return (1, 0)

    @property
    def __cuda_array_interface__(self):
        """The CUDA array interface (v3) of a tensor on the GPU: CuPy, PyTorch and Numba
        read its memory without a copy. A tensor elsewhere has none (AttributeError)."""
        if self.device.type != "cuda":
            raise AttributeError(f"a tensor on {self.device} has no __cuda_array_interface__ (only one on a GPU)")
        if self._ag is not None and self._ag.requires_grad:
            raise RuntimeError("Can't export a tensor that requires grad; use tensor.detach() first.")
        return backend_for(self.device).array_interface(self._storage, self._offset, self._shape, self._strides,
                                                        self.dtype.np)

    def item(self):
        """The single element as a Python number."""
        n = self.numel()
        if n != 1:
            raise RuntimeError(
                f"a Tensor with {n} elements cannot be converted to Scalar")
        return self._element().item()

    def _element(self):
        """The first element as a NumPy scalar (fetched from the device's memory)."""
        storage = self._storage
        if type(storage) is np.ndarray:
            return storage[self._offset]
        return host_array(self).reshape(-1)[0]

    def tolist(self):
        """Nested Python lists of Python numbers (a number for a 0-d tensor)."""
        return host_array(self).tolist()

    def __bool__(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'no values' if n == 0 else 'more than one value'} "
                               "is ambiguous")
        return bool(self._element())

    def _python_scalar(self):
        if self.numel() != 1:
            # torch raises ValueError here (item() raises RuntimeError).
            raise ValueError(
                f"only one element tensors can be converted to Python scalars (got {self.numel()} elements)")
        return self._element().item()

    def __int__(self):
        return int(self._python_scalar())

    def __float__(self):
        global _float_warned
        if not _float_warned and self._ag is not None and self._ag.requires_grad and grad_enabled():
            _float_warned = True  # (torch warns once per process, and not under no_grad)
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                          "behavior.\nConsider using tensor.detach() first.", UserWarning, stacklevel=2)
        return float(self._python_scalar())

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __format__(self, spec):
        if self.dim() == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce__(self):
        # (requires_grad travels as torch's pickles carry it: the copy is a leaf)
        return (_rebuild, (host_array(self).copy(), self.dtype.name, str(self.device), self.requires_grad))

    def __deepcopy__(self, memo):
        """``copy.deepcopy``, as torch's: of a leaf only; the copy has its own memory, is a
        leaf that requires grad when `self` does, and has a copy of ``.grad``."""
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
                "the moment.  If you were attempting to deepcopy a module, this may be because of a "
                "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")
        found = memo.get(id(self))
        if found is not None:
            return found
        new = self.detach().clone()
        if self.requires_grad:
            new.requires_grad_()
        memo[id(self)] = new
        grad = self._ag.grad if self._ag is not None else None
        if grad is not None:
            new.grad = grad.__deepcopy__(memo)
        for hook in on_deepcopy:
            hook(self, new)
        return new

    # __getitem__ / __setitem__ are installed by _indexing.py.


def _rebuild(array, dtype_name, device="cpu", requires_grad=False):
    """Unpickle a tensor: its values (a host array, 0-d for a 0-d tensor) onto `device`."""
    array = np.asarray(array, order="C")  # (np.ascontiguousarray would make a 0-d array 1-d)
    t = make(from_host(array, to_device(device)), 0, array.shape, contiguous_strides(array.shape),
             dt.from_numpy_dtype(array.dtype))
    return t.requires_grad_() if requires_grad else t


_LEGACY_NAMES = {
    dt.bool: "torch.BoolTensor", dt.uint8: "torch.ByteTensor", dt.int8: "torch.CharTensor",
    dt.int16: "torch.ShortTensor", dt.int32: "torch.IntTensor", dt.int64: "torch.LongTensor",
    dt.float16: "torch.HalfTensor", dt.float32: "torch.FloatTensor", dt.float64: "torch.DoubleTensor",
}


def wrap_dim(dim, ndim):
    """Normalise a possibly negative dimension; IndexError as torch words it."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if dim < lo or dim > hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim + (ndim or 1) if dim < 0 else dim  # (a 0-d tensor's -1 is its dim 0, as torch wraps it)


def _add_dtype_shortcuts():
    for name, d in (("float", dt.float32), ("double", dt.float64), ("half", dt.float16),
                    ("long", dt.int64), ("int", dt.int32), ("short", dt.int16),
                    ("char", dt.int8), ("byte", dt.uint8), ("bool", dt.bool)):
        def cast(self, memory_format=None, _d=d, _name=name):
            if memory_format is None:
                return self.to(_d)
            return self.to(_d, memory_format=memory_format_argument(memory_format, _name))
        cast.__name__ = cast.__qualname__ = name  # (named in Python's TypeErrors, as torch's)
        cast.__doc__ = f"``self.to({d})``"
        forms.method(name, cast)


_add_dtype_shortcuts()
# The class's own ops are forms like every other op's: installed (and recorded) by the dispatcher.
forms.methods(("contiguous", "detach", "detach_", "clone", "copy_", "fill_", "zero_", "to", "type_as", "cpu",
               "cuda", "requires_grad_"), vars(Tensor))
# Shown as nbtensor.Tensor (as torch shows torch.Tensor), e.g. by type(x) in the D2L notebook.
Tensor.__module__ = "nbtensor"
