"""Creation functions (SPEC §2): constant fills, ranges, random tensors, `*_like`, `new_*`,
and the window functions of signal processing (``hann_window``, ``hamming_window``,
``blackman_window``, ``bartlett_window``, ``kaiser_window``)."""
import math
import operator
import warnings
import numbers
import sys

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.base import backend_for, seed_devices
from nbtensor.backends.host import from_host, host_array
from nbtensor.core import device as device_module
from nbtensor.core.device import CPU, to_device
from nbtensor.core.arguments import invalid_combination
from nbtensor.core.layout import memory_format_argument, preserve_format
from nbtensor.core.layout import memory_format as memory_format_type
from nbtensor.core.plan import contiguous_strides, remember
from nbtensor.core.size import Size
from nbtensor.dispatch.tensor import (_fill, requiring_grad, Tensor, allocate, checked_scalar, common_device, copy_into,
                                     empty_in_format, empty_like_format, empty_tensor, make)
from nbtensor.ops.views import parse_sizes
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch import tensor as _tensor_module
from nbtensor.dispatch.out import check_out_tensor, resize_out
from nbtensor.ops.bridge import tensor
from nbtensor.ops.elementwise import _FLT_MAX, _INT64

__all__ = [
    "empty", "zeros", "ones", "full", "scalar_tensor", "eye", "arange", "linspace", "logspace", "rand", "randn",
    "randint", "randperm", "normal", "zeros_like", "ones_like", "empty_like", "full_like",
    "rand_like", "randn_like", "randint_like", "manual_seed", "seed", "initial_seed",
    "Generator", "default_generator", "empty_strided", "get_rng_state", "set_rng_state",
    "hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]

_DEFAULT_SEED = 67280421310721


class Generator:
    """A random number generator; ``manual_seed`` makes every random creator reproducible."""

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def seed(self):
        return self.manual_seed(np.random.SeedSequence().entropy % (1 << 63))._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 CPU tensor (`set_state` restores the stream)."""
        return _wrap(_pack_state(self._rng.bit_generator.state, self._seed), dt.uint8)

    def set_state(self, new_state):
        """Continue from a state `get_state` returned; returns the generator."""
        state, self._seed = _unpack_state(new_state)
        self._rng.bit_generator.state = state
        return self


# nbtensor's generator state (PCG64's, not torch's Mersenne twister): state, increment
# (128 bits each), whether half a 64-bit draw is buffered, that half, the initial seed.
_STATE_FIELDS = (("state", 16), ("inc", 16), ("has_uint32", 8), ("uinteger", 8), ("seed", 8))
_STATE_BYTES = sum(n for _, n in _STATE_FIELDS)


def _pack_state(state, seed):
    values = dict(state["state"], has_uint32=state["has_uint32"], uinteger=state["uinteger"],
                  seed=seed & 0xFFFFFFFFFFFFFFFF)
    raw = b"".join(int(values[name]).to_bytes(n, "little") for name, n in _STATE_FIELDS)
    return np.frombuffer(raw, dtype=np.uint8).copy()


def _unpack_state(new_state):
    """(PCG64's state dict, the initial seed) from a state tensor, with torch's errors."""
    if not isinstance(new_state, Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    if new_state.dtype is not dt.uint8:
        raise TypeError("RNG state must be a torch.ByteTensor")
    if new_state.numel() != _STATE_BYTES:
        raise RuntimeError(f"Expected a generator state of size {_STATE_BYTES} (nbtensor's PCG64 state) but "
                           f"found the input RNG state size to be {new_state.numel()}")
    raw = bytes(host_array(new_state.contiguous().reshape(-1)))
    values, at = {}, 0
    for name, n in _STATE_FIELDS:
        values[name], at = int.from_bytes(raw[at:at + n], "little"), at + n
    state = {"bit_generator": "PCG64", "state": {"state": values["state"], "inc": values["inc"]},
             "has_uint32": values["has_uint32"], "uinteger": values["uinteger"]}
    return state, values["seed"]


default_generator = Generator()


def get_rng_state():
    """The default generator's state, a uint8 tensor (`set_rng_state` restores it)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Make the default generator continue from `new_state` (from `get_rng_state`)."""
    default_generator.set_state(new_state)


def manual_seed(seed):
    """Seed the default generator and every device's: every random creator then gives the
    same values again."""
    seed_devices(seed)
    return default_generator.manual_seed(seed)


def seed():
    value = default_generator.seed()
    seed_devices(value)
    return value


def initial_seed():
    return default_generator.initial_seed()


def _resolve(dtype, device, default=None):
    """The dtype a creator makes, after checking `device` (every creator goes through here,
    so all treat them alike)."""
    to_device(device)
    if dtype is None:
        dtype = default or dt.get_default_dtype()
    elif isinstance(dtype, str):  # the creator's name, for torch's message (error path only)
        dt.dtype_argument(dtype, sys._getframe(1).f_code.co_name)
    else:
        dtype = dt.to_dtype(dtype)
    return dtype


def _no_bool(name, dtype):
    """`dtype`, unless it is bool, for which torch has no range kernels."""
    if dtype is dt.bool:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'Bool\'')
    return dtype


def _sizes(size, kwargs_size=None):
    sizes = parse_sizes(size if kwargs_size is None else (kwargs_size,))
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
    return sizes


def _size_args(size, kwargs, name):
    """Sizes given positionally (``f(2, 3)``, ``f((2, 3))``) or as ``size=``; the other
    keywords are checked by `_options`."""
    kw = kwargs.pop("size", None)
    if kw is not None and size:
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    _options(name, kwargs)
    return _sizes(size, kw)


def _options(name, options):
    """The keywords of creator `name` that torch takes and nbtensor has nothing to do with:
    ``layout`` (strided) and ``pin_memory`` (False; True needs an accelerator: torch's
    RuntimeError without one; with a GPU the tensor is not pinned yet). Any other keyword is
    torch's TypeError: a misspelt ``dtype=`` must not pass unseen."""
    for key, value in options.items():
        if key == "pin_memory":
            if value:
                try:
                    backend_for(CPU).pinned(0, np.float32)  # (page-locked memory needs a GPU)
                except RuntimeError:
                    raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no pinned "
                                       "memory allocator is available on this system.") from None
        elif key != "layout":
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")


def _into(out, result, name, write=True):
    """`result` of factory `name`, or, given an ``out=`` tensor, `out` resized to its shape
    (without torch's warning for resized outputs: its factories give none) and holding it;
    ``empty`` (not `write`) leaves out's values as they are."""
    if out is None:
        return result
    _check_out(out, result, name)
    resize_out(out, result._shape, warn=False)
    return out.copy_(result) if write else out


def _into_range(out, result, name):
    """`_into` for arange, linspace and logspace: torch resizes their ``out=`` only when its
    number of elements differs (to 1-D; arange warns then, unless out was empty), so an out
    of the right size keeps its shape."""
    if out is None:
        return result
    _check_out(out, result, name)
    n = result.numel()
    if out.numel() == n:
        return out.copy_(result.reshape(out._shape))
    if name == "arange" and out.numel():
        warnings.warn(f"The number of elements in the out tensor of shape {list(out._shape)} is {out.numel()} which "
                      f"does not match the computed number of elements {n}. Note that this may occur as a result "
                      f"of rounding error. The out tensor will be resized to a tensor of shape ({n},).",
                      UserWarning, stacklevel=4)
    resize_out(out, result._shape, warn=False)
    return out.copy_(result)


def _check_out(out, result, name):
    """torch's errors for a factory's ``out=``: not a tensor, of another dtype or device, one
    that requires grad (``empty``: always; the others: while grad mode is on)."""
    check_out_tensor(out, name)
    if out.requires_grad:
        if name == "empty":
            raise RuntimeError("cannot resize variables that require grad")
        if _tensor_module.grad_enabled():
            raise RuntimeError(f"aten::{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
    if out.dtype is not result.dtype:
        raise RuntimeError(f"dtype {result.dtype.c_name} does not match dtype of out parameter ({out.dtype.c_name})")
    common_device((out, result), cpu_scalars=False)


def _out_dtype(dtype, out):
    """A factory's dtype: the ``out=`` tensor's when none is given."""
    return out.dtype if dtype is None and isinstance(out, Tensor) else dtype


def _out_device(device, out):
    """A factory's device: the ``out=`` tensor's when none is given."""
    return out.device if device is None and isinstance(out, Tensor) else device


def _wrap(array, dtype, device=CPU):
    """A tensor on `device` holding a freshly made host ndarray, converted to `dtype`."""
    # not np.ascontiguousarray: it turns a 0-d array (or a NumPy scalar) into shape (1,)
    array = np.asarray(array, dtype=dtype.np)
    if not array.flags.c_contiguous:
        array = array.copy(order="C")
    return make(from_host(array, device), 0, array.shape, contiguous_strides(array.shape), dtype)


def _filled(sizes, value, dtype, device):
    if dtype is dt.float16 and math.prod(sizes) != 1:
        checked_scalar(value, dtype, strict_half=True)  # as torch's fill of more than one element
    out = empty_tensor(sizes, dtype, device)
    value = checked_scalar(value, dtype)  # RuntimeError on overflow, as torch
    if device is not CPU:
        return copy_into(out, value)
    out._storage.fill(dt.as_half(value) if dtype is dt.float16 else value)
    return out


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, memory_format=None, **kwargs):
    """An uninitialised tensor of the given size (laid out in `memory_format`: row-major by
    default, or channels-last)."""
    if (dtype is None and device is None or _plain_kind(dtype, device)) and out is None and not requires_grad and not kwargs and memory_format is None:
        plain = _plain_filled(size, None, dtype, device)
        if plain is not None:
            return plain
    sizes = _size_args(size, kwargs, "empty")
    dtype = _resolve(_out_dtype(dtype, out), device)
    if memory_format is None:
        result = _into(out, empty_tensor(sizes, dtype, to_device(_out_device(device, out))), "empty", write=False)
    else:
        result = _empty_in(sizes, memory_format, out, dtype, to_device(device))
    return requiring_grad(result) if requires_grad else result


def _empty_in(sizes, memory_format, out, dtype, device):
    """``empty(sizes, memory_format=)``: torch refuses the keyword with ``out=``, and
    preserve_format (there is no input to preserve)."""
    fmt = memory_format_argument(memory_format, "empty")
    if out is not None:
        raise RuntimeError("'memory_format' argument is incompatible with 'out' tensor argument")
    return empty_in_format(sizes, fmt, dtype, device)


def empty_strided(size, stride, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor with explicit strides."""
    dtype = _resolve(dtype, device)
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
                           f"({len(stride)})")
    for n in size:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(size)}")
    if 0 not in size and any(n > 1 and s < 0 for n, s in zip(size, stride)):
        # (a negative stride would reach before the storage)
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}")
    span = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    result = make(allocate(span, dtype, size, to_device(device)), 0, size, stride, dtype)
    return requiring_grad(result) if requires_grad else result


# positional sizes (a tuple of ints) -> (shape, strides, numel), for `_plain_filled`
_PLAIN_SHAPES = {}
_SMALL_STORAGE = 1 << 17  # elements: under the CPU allocator's pooling threshold at any itemsize


def _plain_kind(dtype, device):
    """True when `dtype` and `device` are what `_plain_filled` takes: each None or given as
    the object itself (the autograd rules' ``zeros(shape, dtype=g.dtype, device=g.device)``).
    Callers test the common call, both None, first: no call for it."""
    return (dtype is None or type(dtype) is dt.dtype) and (device is None or device is CPU)


def _plain_filled(size, value, dtype=None, device=None):
    """``zeros(*size)``/``ones(*size)``/``empty(*size)`` (`value` None), or ``full(size,
    value)`` with `dtype` the value's, with positional sizes, of a small tensor of `dtype`
    (None: the default dtype) on the CPU, given as `device` or the default device (None):
    the sizes are parsed once per `size` and the storage is one NumPy call; None for
    anything else (the general path)."""
    if (device_module.get_default_device() if device is None else device) is not CPU:
        return None
    sizes = size[0] if len(size) == 1 and (type(size[0]) is tuple or type(size[0]) is Size) else size
    for s in sizes:
        if type(s) is not int:
            return None  # (2.0 == 2 and True == 1 as keys: only ints may share a plan)
    plan = _PLAIN_SHAPES.get(sizes, False)
    if plan is False:
        try:
            shape = _sizes(sizes)
        except RuntimeError:
            return None  # the general path raises
        n = math.prod(shape)
        plan = remember(_PLAIN_SHAPES, sizes, (shape, contiguous_strides(shape), n) if n < _SMALL_STORAGE else None)
    if plan is None:
        return None
    shape, strides, n = plan
    if dtype is None:
        dtype = dt.get_default_dtype()
    return make(_small_storage(n, dtype, value), 0, shape, strides, dtype)


def _small_storage(n, dtype, value):
    """A new CPU storage of `n` (< `_SMALL_STORAGE`) elements of `dtype` holding `value`
    (None: uninitialised), by one NumPy call."""
    if type(value) is int and value == 0:  # (not -0.0: full keeps its sign)
        return np.zeros(n, dtype.np)
    store = np.empty(n, dtype.np)
    if value is not None:
        store.fill(value)  # (np.ones is Python code around this)
    return store


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, **kwargs):
    """A tensor of zeros."""
    if (dtype is None and device is None or _plain_kind(dtype, device)) and out is None and not requires_grad and not kwargs:
        plain = _plain_filled(size, 0, dtype, device)
        if plain is not None:
            return plain
    sizes = _size_args(size, kwargs, "zeros")
    result = _into(out, _filled(sizes, 0, _resolve(_out_dtype(dtype, out), device), to_device(_out_device(device, out))),
                   "zeros")
    return requiring_grad(result) if requires_grad else result


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, **kwargs):
    """A tensor of ones."""
    if (dtype is None and device is None or _plain_kind(dtype, device)) and out is None and not requires_grad and not kwargs:
        plain = _plain_filled(size, 1, dtype, device)
        if plain is not None:
            return plain
    sizes = _size_args(size, kwargs, "ones")
    result = _into(out, _filled(sizes, 1, _resolve(_out_dtype(dtype, out), device), to_device(_out_device(device, out))),
                   "ones")
    return requiring_grad(result) if requires_grad else result


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, **options):
    """A tensor filled with `fill_value` (its dtype inferred from the value when not given)."""
    _options("full", options)
    if out is not None:
        result = _into(out, full(size, fill_value, _out_dtype(dtype, out), _out_device(device, out)), "full")
        return requiring_grad(result) if requires_grad else result
    if dtype is None and device is None and not requires_grad and not options:
        plain = _plain_full(size, fill_value)
        if plain is not None:
            return plain
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt.check_scalar_argument(fill_value)  # (torch's OverflowError for an int beyond 64 bits)
    default = dt.scalar_dtype(fill_value)
    result = _filled(_sizes((size,)), fill_value, _resolve(dtype, device, default), to_device(device))
    return requiring_grad(result) if requires_grad else result


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    """A 0-d tensor holding the number `s`, in the default dtype unless `dtype` is given
    (an int or a bool too, unlike ``tensor``)."""
    if not isinstance(s, (numbers.Number, np.generic, Tensor)):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    return full((), s, dtype=dt.get_default_dtype() if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def _plain_full(size, value):
    """``full(size, value)`` of a tuple of ints and a float that the default dtype holds
    (or an int within int64) by `_plain_filled`; None for anything else."""
    if type(size) is not tuple and type(size) is not Size:
        return None
    if type(value) is float:
        dtype = dt.get_default_dtype()
        if dtype is dt.float32 and math.isfinite(value) and abs(value) > _FLT_MAX:
            return None  # (the general path raises torch's overflow error)
    elif type(value) is int and -_INT64 <= value < _INT64:
        dtype = dt.int64
    else:
        return None
    return _plain_filled((size,), value, dtype)


def eye(n, m=None, dtype=None, device=None, requires_grad=False, out=None, **options):
    """The identity matrix (n x m)."""
    _options("eye", options)
    if out is not None:
        return _into(out, eye(n, m, _out_dtype(dtype, out), _out_device(device, out)), "eye")
    m = n if m is None else m
    if n < 0 or m < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}" if n < 0 else
                           f"m must be greater or equal to 0, got {m}")
    result = _wrap(np.eye(n, m), _resolve(dtype, device), to_device(device))
    return requiring_grad(result) if requires_grad else result


def _number(x, name):
    if isinstance(x, Tensor):
        return x.item()
    if not isinstance(x, numbers.Number):
        raise TypeError(f"arange(): argument '{name}' must be Number, not {type(x).__name__}")
    return x


_SMALL_INT = 1 << 62  # (no overflow in NumPy's count of a range of such ints)


def arange(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False, out=None, **options):
    """Values start, start+step, ... below `end` (int64 for integer arguments)."""
    _options("arange", options)
    if out is not None:
        result = _into_range(out, arange(start, end, step, _out_dtype(dtype, out), _out_device(device, out)), "arange")
        return requiring_grad(result) if requires_grad else result
    if end is None:
        start, end = 0, start
    if (type(start) is int and type(end) is int and type(step) is int and dtype is None
            and (device is CPU or device is None and device_module.get_default_device() is CPU)
            and not requires_grad and not options
            and -_SMALL_INT < start < _SMALL_INT and -_SMALL_INT < end < _SMALL_INT and 0 < step < _SMALL_INT
            and start <= end):
        # plain ints on the CPU (arange(n), the common case): one NumPy call
        values = np.arange(start, end, step, dtype=np.int64)
        return make(values, 0, values.shape, (1,), dt.int64, True)
    start, end, step = _number(start, "start"), _number(end, "end"), _number(step, "step")
    all_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    dtype = _no_bool("arange", _resolve(dtype, device, dt.int64 if all_int else None))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    for v in (start, end, step) if all_int else ():
        if not -2 ** 63 <= v < 2 ** 63:  # (torch reads integer bounds as int64)
            raise RuntimeError(f"value cannot be converted to type int64_t without overflow (got {v})")
    if any(isinstance(v, float) and not math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError(
            f"upper bound and lower bound inconsistent with step sign (start={start}, end={end}, step={step})")
    if all_int:
        n = max(0, -(-(end - start) // step))
        values = start + step * np.arange(n, dtype=np.int64)
    else:
        n = max(0, math.ceil((end - start) / step))
        values = start + step * np.arange(n, dtype=np.float64)
    result = _wrap(values, dtype, to_device(device))
    return requiring_grad(result) if requires_grad else result


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False, out=None, **options):
    """`steps` evenly spaced values from `start` to `end` inclusive."""
    _options("linspace", options)
    if out is not None:
        result = _into_range(out, linspace(start, end, steps, _out_dtype(dtype, out), _out_device(device, out)),
                             "linspace")
        return requiring_grad(result) if requires_grad else result
    start, end = _number(start, "start"), _number(end, "end")
    if steps < 0:
        raise RuntimeError(f"number of steps must be non-negative, got {steps}")
    dtype = _no_bool("linspace", _resolve(dtype, device))
    start, end = _endpoint(start, dtype), _endpoint(end, dtype)
    device = to_device(device)
    if steps == 1:
        result = _wrap(np.array([start], dtype=np.float64), dtype, device)
        return requiring_grad(result) if requires_grad else result
    half = steps // 2
    i = np.arange(steps)
    if dtype is dt.float32 or dtype is dt.float64:
        # torch computes in the output type: step = (end - start) / (steps - 1) rounded to
        # it, then start + step*i for the first half and end - step*(steps-1-i) for the
        # second, each with one rounding (its kernels use fused multiply-add). A wider type
        # (float64 for float32, long double for float64) reproduces those roundings.
        npd = dtype.np.type
        wide = np.float64 if dtype is dt.float32 else np.longdouble
        lo, hi = npd(start), npd(end)
        step = wide((hi - lo) / npd(steps - 1))
        values = np.where(i < half, wide(lo) + step * i.astype(wide),
                          wide(hi) - step * (steps - 1 - i).astype(wide))
        result = _wrap(values.astype(npd), dtype, device)
        return requiring_grad(result) if requires_grad else result
    if dtype.is_floating_point:  # float16: computed in float64, then rounded once
        i = i.astype(np.float64)
        step = (end - start) / (steps - 1)
        values = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
        result = _wrap(values, dtype, device)
        return requiring_grad(result) if requires_grad else result
    # Integer dtypes: torch truncates start and end to integers first, steps in double
    # (one rounding per element, as above), and truncates each value.
    lo, hi = math.trunc(start), math.trunc(end)
    step = np.longdouble(np.float64(hi - lo) / (steps - 1))
    i = i.astype(np.longdouble)
    values = np.where(i < half, np.longdouble(lo) + step * i, np.longdouble(hi) - step * (steps - 1 - i))
    result = _wrap(np.trunc(values.astype(np.float64)), dtype, device)
    return requiring_grad(result) if requires_grad else result


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False, out=None, **options):
    """`base` raised to `steps` evenly spaced exponents."""
    _options("logspace", options)
    if out is not None:
        result = _into_range(out, logspace(start, end, steps, base, _out_dtype(dtype, out), _out_device(device, out)),
                             "logspace")
        return requiring_grad(result) if requires_grad else result
    dtype = _no_bool("logspace", _resolve(dtype, device))
    start, end = _endpoint(_number(start, "start"), dtype), _endpoint(_number(end, "end"), dtype)
    exps = linspace(start, end, steps, dtype=dt.float64, device="cpu").numpy()
    with np.errstate(over="ignore", invalid="ignore"):
        result = _wrap(np.power(base, exps), dtype, to_device(device))
    return requiring_grad(result) if requires_grad else result


def _endpoint(x, dtype):
    """linspace/logspace's `start` or `end` converted to the result dtype first, as torch
    does: an int beyond 64 bits, a value the dtype cannot hold (a NaN or 1.5 for an integer
    type, 1e40 for float32, 1e5 for float16) raise; an integer type truncates a float and
    wraps a negative int into an unsigned type (uint8 -5 is 251)."""
    dt.check_scalar_argument(x)
    return checked_scalar(x, dtype, strict_half=True)


def _generator(generator):
    return (generator or default_generator)._rng


def _require_float(dtype, kernel):
    """torch raises NotImplementedError (a RuntimeError) for float samplers on other dtypes."""
    if not dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dtype.c_name}\' '
                                  f"(random floats need a floating point dtype, got {dtype})")


def _random(sizes, dtype, device, draw, kernel="check_uniform_bounds", sample=None, generator=None):
    _require_float(dtype, kernel)
    on_device = _device_sample(sizes, dtype, device, sample, generator)
    if on_device is not None:
        return on_device
    compute = np.float64 if dtype is dt.float64 else np.float32
    return _wrap(draw(sizes, compute), dtype, device)


def _device_sample(shape, dtype, device, sample, generator):
    """A tensor of `shape` and float `dtype` drawn by `device`'s own generator (`sample`:
    ("uniform", low, high) or ("normal", mean, std)), or None where the default generator
    draws instead: on the CPU, with an explicit `generator`, or on a device without one."""
    if device is CPU or generator is not None or sample is None:
        return None
    backend = backend_for(device)
    if backend.random_fill is None:
        return None
    compute = dt.float64 if dtype is dt.float64 else dt.float32
    result = empty_tensor(tuple(shape), compute, device)
    backend.random_fill(result._storage, *sample)
    return result if compute is dtype else result.to(dtype)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, **kwargs):
    """Uniform samples in [0, 1)."""
    rng = _generator(generator)
    sizes = _size_args(size, kwargs, "rand")
    result = _into(out, _random(sizes, _resolve(_out_dtype(dtype, out), device), to_device(_out_device(device, out)),
                                lambda s, d: rng.random(s, dtype=d), sample=("uniform", 0.0, 1.0),
                                generator=generator), "rand")
    return requiring_grad(result) if requires_grad else result


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, **kwargs):
    """Standard normal samples."""
    rng = _generator(generator)
    sizes = _size_args(size, kwargs, "randn")
    result = _into(out, _random(sizes, _resolve(_out_dtype(dtype, out), device), to_device(_out_device(device, out)),
                                lambda s, d: rng.standard_normal(s, dtype=d), "normal_kernel_cpu",
                                sample=("normal", 0.0, 1.0), generator=generator), "randn")
    return requiring_grad(result) if requires_grad else result


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None, **kwargs):
    """Integers uniformly drawn from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``
    (also with torch's keywords ``low=``, ``high=``)."""
    if out is not None:
        return _into(out, randint(*args, size=size, generator=generator, dtype=_out_dtype(dtype, out),
                                  device=_out_device(device, out), **kwargs), "randint")
    args = list(args)
    if "low" in kwargs or "high" in kwargs:
        if args:
            raise TypeError("randint(): give low and high either positionally or as keywords")
        args = [kwargs.pop("low", 0), kwargs.pop("high")]
    _options("randint", kwargs)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError(f"randint() expects (high, size) or (low, high, size), got {len(args) + 1} arguments")
    low, high = _random_bound(low, "randint", (low, high)), _random_bound(high, "randint", (low, high))
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = _resolve(dtype, device, dt.int64)
    _check_random_range(low, high, dtype)
    values = _generator(generator).integers(low, high, size=_sizes((size,)), dtype=np.int64)
    result = _wrap(values, dtype, to_device(device))
    return requiring_grad(result) if requires_grad else result


def _int_argument(name, parameter, position, value):
    """`value` as an int, as torch's signatures take an int argument: an int, a NumPy integer
    or an integer tensor of one element (not a bool); else torch's TypeError."""
    if type(value) is not bool:
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{name}(): argument '{parameter}' (position {position}) must be int, not {type(value).__name__}")


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False, out=None, **options):
    """A random permutation of 0..n-1."""
    _options("randperm", options)
    if out is not None:
        return _into(out, randperm(n, generator, _out_dtype(dtype, out), _out_device(device, out)), "randperm")
    n = _int_argument("randperm", "n", 1, n)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got {n}")
    result = _wrap(_generator(generator).permutation(n), _resolve(dtype, device, dt.int64),
                 to_device(device))
    return requiring_grad(result) if requires_grad else result


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None, **_):
    """Normal samples; `mean` and `std` may be numbers or tensors (broadcast)."""
    rng = _generator(generator)
    m = host_array(mean) if isinstance(mean, Tensor) else mean
    s = host_array(std) if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {np.min(s)}")
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
        if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
            raise TypeError("normal() needs a size when mean and std are numbers")
    else:
        size = _sizes((size,))
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    default = ref.dtype if ref is not None and ref.dtype.is_floating_point else None
    dtype = _resolve(dtype, device, default)
    _require_float(dtype, "normal_kernel_cpu")
    values = m + s * rng.standard_normal(size)
    result = _wrap(values, dtype, ref.device if device is None and ref is not None else to_device(device))
    if out is not None:
        result = out.copy_(result)
        return requiring_grad(result) if requires_grad else result
    result = result
    return requiring_grad(result) if requires_grad else result


def _like(fill, name="empty_like", value=False):
    """The ``*_like`` creator that `fill`s a new tensor laid out as its input (torch's default
    preserve_format) or in its ``memory_format=``; `value` (0, 1, or None for empty_like)
    lets a plain call on a small row-major CPU tensor skip the general path (the gradient of
    every ``backward()`` of a scalar is such a ``ones_like``). `fill` takes the new tensor
    and the ``generator=`` (which only the random creators take)."""
    def like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, **options):
        if (value is not False and dtype is None and device is None and not requires_grad
                and memory_format is None and not options and type(input) is Tensor):
            fast = _plain_like(input, value)
            if fast is not None:
                return fast
        generator = options.pop("generator", None) if name in _RANDOM_LIKE else None
        fmt = _like_format(name, memory_format, options, (input,),
                           dict(dtype=dtype, device=device, requires_grad=requires_grad, generator=generator))
        dtype = input.dtype if dtype is None else dt.dtype_argument(dtype, name)
        out = empty_like_format(input, fmt, dtype, input.device if device is None else to_device(device))
        result = fill(out, generator)
        return requiring_grad(result) if requires_grad else result
    like.__name__ = like.__qualname__ = name  # (named in Python's TypeErrors, as torch's)
    return like


# the options every like-creator's overloads end with, as torch's TypeError lists them
_LIKE_OPTIONS = ("torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout layout = None, "
                 "torch.device device = None, bool pin_memory = False, bool requires_grad = False")


def _like_overloads(*heads):
    """torch's overloads of a random like-creator: each of `heads` (its leading parameters)
    with a ``generator`` and without."""
    return tuple(f"({head}, *, {options})" for head in heads
                 for options in (f"torch.Generator generator, {_LIKE_OPTIONS}", _LIKE_OPTIONS))


# the like-creators whose bad keywords are torch's TypeError listing their overloads
_RANDOM_LIKE = {"rand_like": _like_overloads("Tensor input"), "randn_like": _like_overloads("Tensor input"),
                "randint_like": _like_overloads("Tensor input, int low, int high", "Tensor input, Tensor high",
                                                "Tensor input, int high")}
_LIKE_KEYWORDS = frozenset(("layout", "pin_memory"))


def _like_format(name, memory_format, options, args, named):
    """The memory format of like-creator `name`'s result (preserve_format unless given), its
    other `options` checked by `_options`. A keyword torch does not take or a memory_format
    that is not one is torch's TypeError, for the random creators in their parser's words
    (`args`: the positional arguments, `named`: the keywords of the call to show)."""
    overloads = _RANDOM_LIKE.get(name)
    if overloads is not None and not (_LIKE_KEYWORDS.issuperset(options) and (
            memory_format is None or type(memory_format) is memory_format_type)):
        shown = {k: v for k, v in named.items() if v is not None and v is not False}
        if memory_format is not None:
            shown["memory_format"] = memory_format
        raise TypeError(invalid_combination(name, args, {**shown, **options}, overloads))
    _options(name, options)
    return preserve_format if memory_format is None else memory_format_argument(memory_format, name)


def _plain_like(t, value):
    """A new `value`-filled (0, 1; None: uninitialised) tensor shaped like the row-major CPU
    tensor `t`, as one NumPy call; None when `t` is anything else (the general path)."""
    storage = t._storage
    if type(storage) is not np.ndarray or not (t._contig or t._contig is None and t.is_contiguous()):
        return None
    shape = t._shape
    if 1 in shape:
        return None  # (torch keeps a size-1 dimension's stride: the general path does)
    n = math.prod(shape)
    if n >= _SMALL_STORAGE:
        return None
    return make(_small_storage(n, t.dtype, value), 0, shape, t._strides, t.dtype, True)


empty_like = _like(lambda out, _: out, "empty_like", None)
zeros_like = _like(lambda out, _: copy_into(out, 0), "zeros_like", 0)
ones_like = _like(lambda out, _: copy_into(out, 1), "ones_like", 1)
rand_like = _like(lambda out, generator: out.copy_(rand(out._shape, generator=generator, dtype=out.dtype,
                                                        device="cpu")), "rand_like")
randn_like = _like(lambda out, generator: out.copy_(randn(out._shape, generator=generator, dtype=out.dtype,
                                                          device="cpu")), "randn_like")
empty_like.__doc__ = "An uninitialised tensor shaped like `input`."
zeros_like.__doc__ = "Zeros shaped like `input`."
ones_like.__doc__ = "Ones shaped like `input`."
rand_like.__doc__ = "Uniform [0, 1) samples shaped like `input`."
randn_like.__doc__ = "Standard normal samples shaped like `input`."


def _fill_with(out, value, name):
    """`out` (new) filled with the number (or 0-d tensor) `value` as torch's fill_ fills it:
    an int beyond 64 bits or a value the dtype cannot hold raise, also 1e5 into float16
    (but into one element); anything else is torch's TypeError naming `name`."""
    if isinstance(value, Tensor) and value._shape or not isinstance(value, (numbers.Number, np.generic, Tensor)):
        raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not {type(value).__name__}")
    return _fill(out, value)  # (fill_'s checks: an int beyond 64 bits, a value the dtype cannot hold)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None, **options):
    """`fill_value` everywhere, shaped like `input`."""
    fill = _like(lambda out, _: _fill_with(out, fill_value, "full_like"), "full_like")
    return fill(input, dtype=dtype, device=device, requires_grad=requires_grad, memory_format=memory_format,
                **options)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None,
                 generator=None, **options):
    """Random integers in [low, high) shaped like `input`."""
    bounds = (low,) if high is None else (low, high)
    fmt = _like_format("randint_like", memory_format, options, (input,) + bounds,
                       dict(dtype=dtype, device=device, requires_grad=requires_grad, generator=generator))
    if high is None:
        low, high = 0, low
    dtype = input.dtype if dtype is None else dt.dtype_argument(dtype, "randint_like")
    values = randint(low, high, input._shape, generator=generator, dtype=dtype,
                     device=input.device if device is None else device)
    result = values if fmt is preserve_format and values._strides == input._strides else (
        copy_into(empty_like_format(input, fmt, dtype, values.device), values))
    return requiring_grad(result) if requires_grad else result


# ------------------------------------------------------------------ in-place random fills
def uniform_(self, a=0.0, b=1.0, generator=None):
    """Fill with uniform samples from [a, b)."""
    _require_float(self.dtype, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    drawn = _device_sample(self._shape, self.dtype, self.device, ("uniform", a, b), generator)
    if drawn is not None:
        return self.copy_(drawn)
    values = _generator(generator).uniform(a, b, self._shape)
    return self.copy_(_wrap(values, dt.float64))


def normal_(self, mean=0.0, std=1.0, generator=None):
    """Fill with normal samples."""
    _require_float(self.dtype, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    drawn = _device_sample(self._shape, self.dtype, self.device, ("normal", mean, std), generator)
    if drawn is not None:
        return self.copy_(drawn)
    values = mean + std * _generator(generator).standard_normal(self._shape)
    return self.copy_(_wrap(values, dt.float64))


def random_(self, from_=None, to=None, generator=None):
    """Fill with random integers: ``random_(to)`` draws from [0, to), ``random_(from, to)``
    from [from, to), ``random_()`` from [0, 2**mantissa] (floats) or the dtype's range."""
    given = (from_, to)
    from_, to = (None if b is None else _random_bound(b, "random_", given) for b in given)
    if from_ is not None and to is None:
        from_, to = 0, from_
    elif from_ is None and to is not None:
        from_ = 0
    if from_ is None:
        mantissa = {dt.float16: 11, dt.float32: 24, dt.float64: 53}
        if self.dtype in mantissa:
            from_, to = 0, (1 << mantissa[self.dtype]) + 1
        else:
            from_, to = 0, 2 if self.dtype is dt.bool else int(np.iinfo(self.dtype.np).max) + 1
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    _check_random_range(from_, to, self.dtype)
    values = _generator(generator).integers(from_, to, self._shape)
    return self.copy_(_wrap(values, dt.int64))


# the C type names torch's random bound checks print
_RANDOM_C_NAMES = {dt.bool: "bool", dt.uint8: "unsigned char", dt.int8: "signed char", dt.int16: "short int",
                   dt.int32: "int", dt.int64: "long int"}


def _random_bound(x, name, bounds):
    """A bound of randint/random_ as the int torch reads it: a 0-d tensor's value; a float or
    a bool is torch's TypeError, an int beyond int64 its ValueError."""
    if isinstance(x, Tensor):
        x = x.item()
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        got = ", ".join(type(b).__name__ for b in bounds)
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                        "but expected int bounds")
    x = int(x)
    if not -_INT64 <= x < _INT64:
        raise ValueError("Overflow when unpacking long long")
    return x


def _check_random_range(low, high, dtype):
    """torch's RuntimeError when [low, high) of random integers is not within an integer
    `dtype` (randint(0, 300, dtype=uint8) would wrap); float dtypes take any int64 bounds."""
    if dtype.is_floating_point:
        return
    if dtype is dt.bool:
        lo, hi = 0, 1
    else:
        info = np.iinfo(dtype.np)
        lo, hi = int(info.min), int(info.max)
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {_RANDOM_C_NAMES[dtype]}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {_RANDOM_C_NAMES[dtype]}")


def _new(fill, name, doc):
    """The ``new_*`` creator `name` that `fill`s a new tensor of the sizes given (also as
    ``size=``), with `self`'s dtype and device by default; its other keywords are checked by
    `_options`."""
    def new(self, *size, dtype=None, device=None, requires_grad=False, **options):
        sizes = _size_args(size, options, name)
        dtype = self.dtype if dtype is None else dt.dtype_argument(dtype, name)
        device = self.device if device is None else to_device(device)
        result = fill(empty_tensor(sizes, dtype, device))
        return requiring_grad(result) if requires_grad else result
    new.__name__ = new.__qualname__ = name
    new.__doc__ = doc
    return new


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False, **options):
    """A tensor of `size` filled with `fill_value`, with `self`'s dtype and device by default."""
    fill = _new(lambda out: _fill_with(out, fill_value, "new_full"), "new_full", None)
    return fill(self, size, dtype=dtype, device=device, requires_grad=requires_grad, **options)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """A copy of `data` with `self`'s dtype and device by default."""
    result = tensor(data, dtype=self.dtype if dtype is None else dtype,
                  device=self.device if device is None else device, requires_grad=requires_grad)
    return requiring_grad(result) if requires_grad else result


def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False, **options):
    """`empty_strided` with `self`'s dtype and device by default."""
    _options("new_empty_strided", options)
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype,
                         device=self.device if device is None else device, requires_grad=requires_grad)


def legacy_constructor(args, device, dtype=None):
    """``Tensor(*sizes)`` (uninitialised) or ``Tensor(data)`` (a copy), of the default float
    dtype or `dtype` (the typed classes: ``FloatTensor``, ``LongTensor``, ...)."""
    dtype = dtype or dt.get_default_dtype()
    if not args:
        return empty(0, dtype=dtype, device=device)  # torch.Tensor() is tensor([])
    if len(args) == 1 and isinstance(args[0], Size):
        return empty(args[0], dtype=dtype, device=device)  # a Size is sizes, not data
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        data = args[0]
        if isinstance(data, Tensor):
            return data
        return tensor(data, dtype=dtype, device=device)
    return empty(*args, dtype=dtype, device=device)


forms.methods(("uniform_", "normal_", "random_", "new_full", "new_tensor", "new_empty_strided"), globals())
_BY_DEFAULT = "with `self`'s dtype and device by default."
forms.method("new_empty", _new(lambda out: out, "new_empty", f"An uninitialised tensor {_BY_DEFAULT}"))
forms.method("new_zeros", _new(lambda out: copy_into(out, 0), "new_zeros", f"Zeros {_BY_DEFAULT}"))
forms.method("new_ones", _new(lambda out: copy_into(out, 1), "new_ones", f"Ones {_BY_DEFAULT}"))


# ---------------------------------------------------------------- window functions
# the C type names torch prints in its TensorOptions
_C_TYPE_NAMES = {**_RANDOM_C_NAMES, dt.float16: "c10::Half", dt.float32: "float", dt.float64: "double"}
_WINDOW_OPTIONS = ("*, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
                   "bool pin_memory = False, bool requires_grad = False")
# each window's parameters after (window_length, periodic), which torch's overloads take in order
_WINDOW_PARAMETERS = {"hann_window": (), "blackman_window": (), "bartlett_window": (),
                      "hamming_window": ("alpha", "beta"), "kaiser_window": ("beta",)}


def _window_signature(name, values):
    """torch's TypeError for window arguments no overload takes: `periodic` must be a bool,
    and each later parameter needs the ones before it (``values``: name -> value or None)."""
    names = ("window_length", "periodic") + _WINDOW_PARAMETERS[name]
    given = [values[n] is not None for n in names]
    if (values["periodic"] is None or isinstance(values["periodic"], bool)) and given == sorted(given, reverse=True):
        return
    got, keywords = [], False
    for n, present in zip(names, given):
        keywords = keywords or not present
        if present:
            kind = type(values[n]).__name__
            got.append(f"{n}={kind}" if keywords else kind)
    lines = [f" * (int window_length, {_WINDOW_OPTIONS})\n"]
    for k in range(1, len(names)):
        params = ", ".join(("bool " if n == "periodic" else "float ") + n for n in names[1:k + 1])
        lines.append(f" * (int window_length, {params}, {_WINDOW_OPTIONS})\n")
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), but "
                    f"expected one of:\n{''.join(lines)}")


def _strided(layout):
    """True for the layout nbtensor has (``nbtensor.strided``; None means it)."""
    return layout is None or repr(layout) == "nbtensor.strided"


def _window_options(dtype, dtype_given, device, layout, pin_memory):
    """torch's rendering of a creator's TensorOptions in its errors."""
    shown_layout = ("Strided" if _strided(layout) else "Sparse") + (" (default)" if layout is None else "")
    return (f"TensorOptions(dtype={_C_TYPE_NAMES[dtype]}{'' if dtype_given else ' (default)'}, "
            f"device={to_device(device)}, layout={shown_layout}, requires_grad=false (default), "
            f"pinned_memory={'true' if pin_memory else 'false'}, memory_format=(nullopt))")


def _window_dtype(name, dtype, device, layout, pin_memory):
    """The window's dtype: a floating one, on a strided layout (torch's RuntimeErrors)."""
    d = _resolve(dtype, device)
    if not _strided(layout):
        raise RuntimeError(f"{name} is not implemented for sparse types, got: "
                           f"{_window_options(d, dtype is not None, device, layout, pin_memory)}")
    if not d.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: "
                           f"{_window_options(d, dtype is not None, device, layout, pin_memory)}")
    return d


def _window_length(name, window_length):
    """`window_length` as an int (a 0-d integer tensor's value): torch's TypeError for
    anything else, its RuntimeError for a negative length."""
    if isinstance(window_length, Tensor) and window_length.dim() == 0 and not (
            window_length.dtype.is_floating_point or window_length.dtype is dt.bool):
        window_length = window_length.item()
    if isinstance(window_length, bool) or not isinstance(window_length, numbers.Integral):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    return int(window_length)


def _window(name, shape, window_length, periodic, dtype, layout, device, pin_memory, requires_grad, **parameters):
    """A window of `window_length` points made by ``shape(positions, m)`` from the positions
    0 .. m - 1 (of the dtype) of a symmetric window of m points; a periodic window is the
    first `window_length` points of the symmetric one of ``window_length + 1``."""
    _window_signature(name, {"window_length": window_length, "periodic": periodic, **parameters})
    d = _window_dtype(name, dtype, device, layout, pin_memory)
    n = _window_length(name, window_length)
    if n <= 1:
        result = ones(n, dtype=d, device=device)
    else:
        m = n + 1 if periodic is not False else n
        result = shape(arange(m, dtype=d, device=device), m)
        if m != n:
            result = result.narrow(0, 0, n)
    return requiring_grad(result) if requires_grad else result


def _cosine_sum(a0, a1):
    """The window ``a0 - a1 cos(2 pi k / (m - 1))`` (Hann's and Hamming's)."""
    return lambda k, m: k.mul(2 * math.pi / (m - 1)).cos().mul(-a1).add(a0)


def _blackman(k, m):
    """``0.42 - 0.5 cos(2 pi k / (m - 1)) + 0.08 cos(4 pi k / (m - 1))``."""
    angle = k.mul(math.pi / (m - 1))
    return angle.mul(4).cos().mul(0.08).sub(angle.mul(2).cos().mul(0.5)).add(0.42)


def _bartlett(k, m):
    """The triangle ``1 - |2k / (m - 1) - 1|``: ``2k / (m - 1)`` rising to the middle, then
    ``2 - 2k / (m - 1)``."""
    ramp = k.mul(2 / (m - 1))
    rising = (m - 1) // 2 + 1
    ramp.narrow(0, rising, m - rising).mul_(-1).add_(2)
    return ramp


def _kaiser(beta):
    """``I0(beta sqrt(1 - ((k - c) / c)^2)) / I0(beta)`` with c = (m - 1) / 2 (the absolute
    value under the root keeps rounding from making it negative); float16 is computed in
    float32 and rounded once, as torch's kernel does."""
    def shape(k, m):
        work = k.to(dt.float32) if k.dtype is dt.float16 else k
        centre = (m - 1) / 2
        radius = work.sub(centre).div(centre).square().neg().add(1).abs().sqrt()
        scale = full((), beta, dtype=work.dtype, device=work.device).i0()
        return radius.mul(beta).i0().div(scale).to(k.dtype)
    return shape


def hann_window(window_length, periodic=None, *, dtype=None, layout=None, device=None, pin_memory=False,
                requires_grad=False):
    """The Hann window ``0.5 - 0.5 cos(2 pi k / (N - 1))``; periodic (the default): the first
    `window_length` points of the window of ``window_length + 1``."""
    return _window("hann_window", _cosine_sum(0.5, 0.5), window_length, periodic, dtype, layout, device,
                   pin_memory, requires_grad)


def hamming_window(window_length, periodic=None, alpha=None, beta=None, *, dtype=None, layout=None, device=None,
                   pin_memory=False, requires_grad=False):
    """The Hamming window ``alpha - beta cos(2 pi k / (N - 1))`` (alpha 0.54, beta 0.46);
    periodic by default. As in torch, `alpha` needs `periodic`, and `beta` needs `alpha`."""
    shape = _cosine_sum(0.54 if alpha is None else alpha, 0.46 if beta is None else beta)
    return _window("hamming_window", shape, window_length, periodic, dtype, layout, device, pin_memory,
                   requires_grad, alpha=alpha, beta=beta)


def blackman_window(window_length, periodic=None, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    """The Blackman window ``0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))``;
    periodic by default."""
    return _window("blackman_window", _blackman, window_length, periodic, dtype, layout, device, pin_memory,
                   requires_grad)


def bartlett_window(window_length, periodic=None, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    """The Bartlett (triangular) window ``1 - |2k / (N - 1) - 1|``; periodic by default."""
    return _window("bartlett_window", _bartlett, window_length, periodic, dtype, layout, device, pin_memory,
                   requires_grad)


def kaiser_window(window_length, periodic=None, beta=None, *, dtype=None, layout=None, device=None,
                  pin_memory=False, requires_grad=False):
    """The Kaiser window ``I0(beta sqrt(1 - ((k - c) / c)^2)) / I0(beta)``, c = (N - 1) / 2,
    beta 12 by default; periodic by default. As in torch, `beta` needs `periodic`."""
    return _window("kaiser_window", _kaiser(12.0 if beta is None else beta), window_length, periodic, dtype,
                   layout, device, pin_memory, requires_grad, beta=beta)


def _construct(cls, *args, device=None):
    return legacy_constructor(args, device)


forms.method("__new__", staticmethod(_construct))
forms.functions(__all__, globals())
