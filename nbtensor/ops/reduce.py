"""Reductions (SPEC §6): sum, mean, prod, max/min (with indices), amax/amin, argmax/argmin,
var/std, norm, all/any, logsumexp, softmax/log_softmax, nansum/nanmean, median/nanmedian,
and the scans cumsum/cumprod/cummax/cummin/logcumsumexp.

Every reduction is planned as a (K, R) problem: K outputs, each reducing R elements at
stride sr, outputs at stride sk. Kept and reduced dimensions are each collapsed into one
when their strides allow (else the input is copied once in the right order), and the
kernels (family "reduce" of the input's device's backend; the CPU's are rendered by
kernels/cpu/codegen.py) pick a vectorised loop for either layout, writing into storage of
that device. The scans run NumPy on the CPU; on a device whose backend has `scan_rows` it
scans the input as (outer, n, inner) elements, elsewhere they run on the host values. The
medians run NumPy on the host values (`host_array`) and put their results back on the
input's device.
"""
import math
import numbers
import warnings

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.base import backend_for
from nbtensor.backends.host import from_host, host_array
from nbtensor.ops.creation import _wrap
from nbtensor.ops.elementwise import _FLT_MAX, OPS_BY_NAME, apply, fast_where
from nbtensor.dispatch.out import check_out_cast, check_out_dtype, check_out_tensor, resize_out
from nbtensor.core.plan import contiguous_strides, remember
from nbtensor.dispatch.tensor import (Tensor, _numel, check_writable, common_device, copy_into, empty_tensor, make,
                                      wrap_dim)
from nbtensor.core.return_types import return_type
from nbtensor.core.device import CPU
from nbtensor.dispatch import dispatcher as forms

_CPU = backend_for(CPU)

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
           "var_mean", "std_mean", "norm", "all", "any", "logsumexp", "softmax", "log_softmax",
           "cumsum", "cumprod", "count_nonzero", "aminmax", "nansum", "nanmean", "median", "nanmedian",
           "cummax", "cummin", "logcumsumexp"]

_builtin_sum, _builtin_max, _builtin_any, _builtin_all = sum, max, any, all

MaxResult = return_type("max")
MinResult = return_type("min")
AminmaxResult = return_type("aminmax", ("min", "max"))
MedianResult = return_type("median")
NanmedianResult = return_type("nanmedian")
CummaxResult = return_type("cummax")
CumminResult = return_type("cummin")


def reduction_dims(dim, ndim, name="reduction"):
    """Normalise `dim` (None, int, or sequence) to a sorted tuple of distinct dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, numbers.Integral):
        d = wrap_dim(dim, ndim)
        return (d,) if ndim else ()  # a 0-d tensor accepts dim 0 / -1 and reduces nothing
    if not isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dim' (position 1) must be tuple of ints, not {type(dim).__name__}")
    for i, d in enumerate(dim):
        if not isinstance(d, numbers.Integral):
            raise TypeError(f"{name}(): argument 'dim' (position 1) must be tuple of ints, but found element "
                            f"of type {type(d).__name__} at pos {i}")
    dims = [wrap_dim(d, ndim) % (ndim or 1) for d in dim]  # (a 0-d tensor's -1 is its dim 0)
    for d in dims:  # (a 0-d tensor's dims too: torch refuses (0, -1) there)
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if not ndim:
        return ()
    return tuple(sorted(dims)) if dims else tuple(range(ndim))


def _collapse(shape, strides, dims):
    """(size, stride) covering `dims` in the order given, or None if strides don't allow it."""
    dims = [d for d in dims if shape[d] != 1]
    if not dims:
        return 1, 1
    size, stride = shape[dims[-1]], strides[dims[-1]]
    for d in reversed(dims[:-1]):
        if strides[d] != stride * size:
            return None
        size *= shape[d]
    return size, stride


def _plan(x, dims, order_free):
    """(x, K, R, sk, sr): `x` possibly replaced by a copy whose layout collapses cleanly;
    `dims` are sorted and distinct (as `reduction_dims` gives them)."""
    ndim = len(x._shape)
    if (not dims or dims[0] == ndim - len(dims)) and x.is_contiguous():
        # the common case (a.sum(), a.sum(-1)): trailing dims of a row-major tensor give
        # what the general plan below gives, in a fifth of its time (0.4 us of 2)
        K, R = _numel(x._shape[:ndim - len(dims)]), _numel(x._shape[ndim - len(dims):])
        return x, K, R, (R if K > 1 else 1), 1
    kept = [d for d in range(x.dim()) if d not in dims]
    red = list(dims)
    if order_free:
        red.sort(key=lambda d: x._strides[d], reverse=True)
    k = _collapse(x._shape, x._strides, kept)
    r = _collapse(x._shape, x._strides, red)
    if k is None or r is None:
        x = x.permute(kept + red).contiguous()
        K = _numel(x._shape[:len(kept)])
        R = _numel(x._shape[len(kept):])
        return x, K, R, R, 1
    return x, k[0], r[0], k[1], r[1]


def _out_shape(shape, dims, keepdim):
    if keepdim:
        return tuple(1 if d in dims else s for d, s in enumerate(shape))
    return tuple(s for d, s in enumerate(shape) if d not in dims)


def _wrap_result(values, shape, dtype):
    """A tensor of `shape` and `dtype` over the storage `values` (the kernel's accumulator)."""
    if values.dtype != dtype.np:
        if type(values) is not np.ndarray:  # on a device: its copy kernel narrows
            return make(values, 0, shape, contiguous_strides(shape), dt.from_numpy_dtype(values.dtype)).to(dtype)
        values = _narrowed(values, dtype)
    return make(values, 0, shape, contiguous_strides(shape), dtype)


def _narrowed(values, dtype):
    """The accumulator's `values` in `dtype`; a float64 sum past float32's range is inf, as
    torch's float32 sum, without NumPy's overflow warning. float32 goes through the copy
    kernel (+0.5 us; an np.errstate block costs +1.3 us on every float32 reduction), a
    single value that fits by NumPy."""
    if dtype is dt.float32:
        if values.shape[0] == 1 and not _FLT_MAX < abs(float(values[0])) < math.inf:
            return values.astype(np.float32)  # one value that fits (the common a.sum()): cheaper
        out = np.empty(values.shape[0], np.float32)
        _CPU.whole_kernel("copy")(out, values)
        return out
    if dtype is dt.float16:  # rare: numba has no float16
        with np.errstate(over="ignore"):
            return values.astype(np.float16)
    return values.astype(dtype.np)  # integers wrap, as the copy kernel would


# Float products of shorter runs multiply first to last, as torch's CPU loop does below four
# vectors of float32: an overflow meets a later zero as nan there, never as 0. Longer runs
# are reassociated (vectorised) and redone in order only when the result is not finite.
_ORDERED_RUN = 32


def every_dim(dim):
    """True when a reduction's `dim` argument asks for every dimension (None, or empty)."""
    return dim is None or (isinstance(dim, (tuple, list)) and not dim)


def norm_is_magnitude(p, reduced, ndim, dim):
    """True where torch's `p`-norm is |x| itself: one element per result (`reduced`), never
    its overflowing square; but a 0-d input reduced over a named dim is squared, and the
    0-norm is a count."""
    return p != 0 and reduced == 1 and not (ndim == 0 and not every_dim(dim))


def _reduce(name, x, dims, keepdim, acc_dtype, out_dtype, empty_value=None):
    """Run value reduction `name` (sum, prod, max, min) and return a new tensor."""
    shape = _out_shape(x._shape, dims, keepdim)
    K = _numel(shape)
    R = _numel([x._shape[d] for d in dims])
    if K == 0 or R == 0:
        result = from_host(np.full(K, empty_value if R == 0 else 0, dtype=acc_dtype.np), x.device)
        return _wrap_result(result, shape, out_dtype)
    if x.dtype is dt.float16:
        x = x.to(dt.float32)
    x, K, R, sk, sr = _plan(x, dims, order_free=True)
    backend = backend_for(x.device)
    values = backend.allocate(K, acc_dtype.np)
    args = (x._storage, x._offset, K, R, sk, sr, values)
    ordered = name == "prod" and acc_dtype.is_floating_point
    if ordered and R < _ORDERED_RUN:
        backend.launch("reduce", "prod_reduce_ordered", *args)
    elif backend.parallel(K * R):
        backend.launch("reduce", name + "_reduce_par", *args, backend.nchunks())
    else:
        backend.launch("reduce", name + "_reduce", *args)
    if ordered and R >= _ORDERED_RUN and not _all_finite(make(values, 0, (K,), (1,), acc_dtype)):
        # reassociated, partial products can overflow where first to last they meet a zero
        # first (arange(80.).prod() is 0): redo the product in order
        backend.launch("reduce", "prod_reduce_ordered", *args)
    return _wrap_result(values, shape, out_dtype)


def _arg_reduce(name, x, dim, keepdim):
    """(values, indices) of argmax/argmin along `dim` (None: over the flattened tensor)."""
    if dim is None:
        x = x.reshape(-1)
        dims, shape = (0,), (1,) * x.dim() if keepdim else ()
    else:
        d = wrap_dim(dim, x.dim())  # checked on a 0-d tensor too: max(5) raises as torch does
        dims = (d,) if x.dim() else ()
        shape = _out_shape(x._shape, dims, keepdim)
    R = _numel([x._shape[d] for d in dims])
    K = _numel(shape)
    if R == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dims[0] if dims else 0} to have non-zero size.")
    if x.dtype is dt.float16:
        x = x.to(dt.float32)
    x, K, R, sk, sr = _plan(x, dims, order_free=False)
    backend = backend_for(x.device)
    values = backend.allocate(K, x.dtype.np)
    indices = backend.allocate(K, np.int64)
    args = (x._storage, x._offset, K, R, sk, sr, values, indices)
    if K > 1 and backend.parallel(K * R):
        backend.launch("reduce", name + "_reduce_par", *args, backend.nchunks())
    else:
        backend.launch("reduce", name + "_reduce", *args)
    return values, indices, shape


def _finish(result, out):
    """`result`, or `out` resized and holding it (the caller checked `out` beforehand)."""
    if out is None:
        return result
    common_device((out, result), cpu_scalars=False)
    if out._shape != result._shape:
        resize_out(out, result._shape)
    check_writable(out)
    return copy_into(out, result)


def _check_out(out, name, dtype=None, rule="exact"):
    """Validate an ``out=`` tensor before any work, with the rule torch applies to `name`:
    "exact" (its dtype is `dtype`), "cast" (a `dtype` result casts to it), "input" (amax,
    amin: it has the input's dtype `dtype`) or "bool" (all, any: bool or uint8)."""
    if out is None:
        return
    check_out_tensor(out, name)
    if rule == "exact":
        check_out_dtype(out, dtype)
    elif rule == "cast":
        check_out_cast(out, dtype)
    elif rule == "input" and out.dtype is not dtype:
        raise RuntimeError(f"Expected the dtype for input and out to match, but got {dtype.c_name} for "
                           f"input's dtype and {out.dtype.c_name} for out's dtype.")
    elif rule == "bool" and out.dtype not in (dt.bool, dt.uint8):
        raise RuntimeError(f"{name} only supports bool tensor for result, got: {out.dtype.c_name}")
    check_writable(out, internal_overlap=False)  # an expanded out= is resized first, as in torch


def _check_scalar_type(out, dtype):
    """torch's check of a scan's ``out=`` tensor (cummax, cummin, logcumsumexp): exactly `dtype`."""
    if out is not None and isinstance(out, Tensor) and out.dtype is not dtype:
        raise RuntimeError(f"expected scalar_type {dtype.c_name} but found {out.dtype.c_name}")


def _check_median_out(out, name, dtype):
    """torch's check of median/nanmedian's ``out=`` pair: values of the input's dtype, int64 indices."""
    if out is None or not isinstance(out, (tuple, list)) or len(out) != 2:
        return
    values, indices = out
    if isinstance(values, Tensor) and values.dtype is not dtype:
        raise RuntimeError("Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; "
                           f"but type {values.type()} does not equal {_legacy_name(dtype)} "
                           f"(while checking arguments for {name})")
    if isinstance(indices, Tensor) and indices.dtype is not dt.int64:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have scalar type Long; but got "
                           f"{indices.type()} instead (while checking arguments for {name})")


def _legacy_name(dtype):
    return f"torch.{dtype.c_name}Tensor"


def _check_input(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _sum_dtype(x, dtype, out, name):
    """The dtype sum/prod/cumsum/cumprod compute in: `dtype`, else that of `out` (torch
    casts the input to it first: 1.7 + 1.7 + 1.7 into int16 is 3), else int64 for
    integers."""
    _check_input(x, name)
    if dtype is not None:
        d = dt.to_dtype(dtype)
        _check_out(out, name, d)
        return d
    if out is not None:
        check_out_tensor(out, name)
        check_writable(out, internal_overlap=False)  # an expanded out= is resized first, as in torch
        return out.dtype
    return x.dtype if x.dtype.is_floating_point else dt.int64


def _acc(d):
    # Float sums accumulate in float64: as fast here and more accurate than pairwise float32.
    return dt.float64 if d.is_floating_point else dt.int64


# (shape, dim, keepdim, dtype) -> what `_fast_reduce` needs for a contiguous CPU input, or None
# where the general path decides (memoised: the small-tensor cost is in the planning)
_SUM_PLANS = {}
_FAST_SUM_DTYPES = (dt.float32, dt.float64, dt.int64)


def _sum_plan(shape, dim, keepdim, dtype):
    """(result shape, its strides, K, R, output stride, row stride) when summing a row-major
    tensor of `shape` over `dim` reduces K rows of R elements serially to a non-empty result
    (the kept and the reduced dimensions each collapse to one stride); else None."""
    try:
        dims = reduction_dims(dim, len(shape))
    except (IndexError, RuntimeError, TypeError):
        return None  # the general path raises
    strides = contiguous_strides(shape)
    kept = [d for d in range(len(shape)) if d not in dims]
    k = _collapse(shape, strides, kept)
    r = _collapse(shape, strides, sorted(dims, key=lambda d: strides[d], reverse=True))
    if k is None or r is None or k[0] == 0 or r[0] == 0 or _CPU.parallel(k[0] * r[0]):
        return None
    out_shape = _out_shape(shape, dims, keepdim)
    return out_shape, contiguous_strides(out_shape), k[0], r[0], k[1], r[1]


def _int_tuple(dim):
    """True for a tuple or list of plain ints (a `dim` argument a plan may be keyed by)."""
    if type(dim) is not tuple and type(dim) is not list:
        return False
    for d in dim:
        if type(d) is not int:
            return False
    return True


def _plannable(input, dim, keepdim):
    """True when the fast reductions may plan this call: a contiguous float32, float64 or
    int64 CPU tensor, a bool `keepdim`, and `dim` None or plain ints (1.0 == 1 and True == 1
    as keys: only ints may share a plan)."""
    return (input.dtype in _FAST_SUM_DTYPES and input.device is CPU
            and (input._contig or input._contig is None and input.is_contiguous())
            and type(keepdim) is bool and (dim is None or type(dim) is int or _int_tuple(dim)))


def _fast_plan(input, dim, keepdim):
    """The remembered `_sum_plan` of reducing `input` over `dim` when it is a contiguous
    float32, float64 or int64 CPU tensor and `dim` plain ints; None for anything else."""
    if not _plannable(input, dim, keepdim):
        return None
    d = input.dtype
    if type(dim) is list:
        dim = tuple(dim)
    key = (input._shape, dim, keepdim, d)
    plan = _SUM_PLANS.get(key, False)
    if plan is False:
        plan = remember(_SUM_PLANS, key, _sum_plan(input._shape, dim, keepdim, d))
    return plan


def _fast_kernel(name):
    """The CPU reduce kernel `name`, bound on first use."""
    kernel = _FAST_BOUND.get(name)
    if kernel is None:
        kernel = _FAST_BOUND[name] = _CPU.kernel("reduce", name)
    return kernel


def _fast_reduce(kind, input, dim, keepdim):
    """`sum`, `amax` or `amin` (`kind`: "sum", "max", "min") of a contiguous float32, float64
    or int64 CPU tensor over dimensions whose layout collapses (the planning, the kernel and
    its accumulator's dtype memoised per call shape); None for anything else (the general
    path checks and raises)."""
    if not _plannable(input, dim, keepdim):
        return None
    d = input.dtype
    key = (kind, input._shape, dim if type(dim) is not list else tuple(dim), keepdim, d)
    plan = _REDUCE_PLANS.get(key, False)
    if plan is False:
        plan = remember(_REDUCE_PLANS, key, _reduce_plan(kind, input._shape, key[2], keepdim, d))
    if plan is None:
        return None
    kernel, acc, shape, strides, K, R, sk, sr = plan
    values = _CPU.allocate(K, acc)
    kernel(input._storage, input._offset, K, R, sk, sr, values)
    if acc is not d.np:
        values = _narrowed(values, d)
    return make(values, 0, shape, strides, d, True)


def _reduce_plan(kind, shape, dim, keepdim, d):
    """What `_fast_reduce` needs for one call shape: (kernel, its accumulator's NumPy dtype,
    then `_sum_plan`'s six), or None."""
    plan = _sum_plan(shape, dim, keepdim, d)
    if plan is None:
        return None
    name = _FAST_KERNELS[kind]
    acc = (np.int64 if d is dt.int64 else np.float64) if kind == "sum" else d.np
    if kind == "sum" and d is dt.float32:
        name, acc = "sum_reduce_narrow", np.float32  # (accumulates in float64, writes float32)
    made = [None, np.dtype(acc), *plan]  # (NumPy's dtypes are singletons)
    # (the kernel by its entry point for this dtype's storages: see backends/cpu/direct.py)
    made[0] = _CPU.bind_on_first_call(made, 0, _fast_kernel(name))
    return made


# (kind, shape, dim, keepdim, dtype) -> `_reduce_plan`
_REDUCE_PLANS = {}


def _fast_arg_reduce(name, input, dim, keepdim):
    """(values, indices) storages and the result's shape and strides of `name` ("argmax",
    "argmin") along the int `dim` of a contiguous, non-empty float32, float64 or int64 CPU
    tensor of at least one dimension, by `_fast_reduce`'s remembered plans; None for
    anything else (the general path checks and raises)."""
    if type(dim) is not int or not input._shape:
        return None
    plan = _fast_plan(input, dim, keepdim)
    if plan is None:
        return None
    shape, strides, K, R, sk, sr = plan
    values, indices = _CPU.allocate(K, input.dtype.np), _CPU.allocate(K, np.int64)
    key = (name, input.dtype)
    kernel = _FAST_BOUND.get(key)
    if kernel is None:  # (by its entry point for this dtype's storages: see backends/cpu/direct.py)
        kernel = _FAST_BOUND[key] = _CPU.bind_on_first_call(_FAST_BOUND, key, _fast_kernel(name + "_reduce"))
    kernel(input._storage, input._offset, K, R, sk, sr, values, indices)
    return values, indices, shape, strides


_FAST_KERNELS = {"sum": "sum_reduce", "max": "max_reduce", "min": "min_reduce"}
_FAST_BOUND = {}  # kernel name -> the kernel (_fast_kernel); (arg-reduce name, dtype) -> its entry point


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over `dim` (all elements when None); integers accumulate in int64."""
    if dtype is None and out is None and type(input) is Tensor:
        fast = _fast_reduce("sum", input, dim, keepdim)
        if fast is not None:
            return fast
    d = _sum_dtype(input, dtype, out, "sum")
    x = input if input.dtype is d else input.to(d)
    dims = reduction_dims(dim, input.dim())
    return _finish(_reduce("sum", x, dims, keepdim, _acc(d), d, 0), out)


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product over `dim` (all elements when None)."""
    d = _sum_dtype(input, dtype, out, "prod")
    x = input if input.dtype is d else input.to(d)
    dims = reduction_dims(dim, input.dim()) if dim is not None else tuple(range(input.dim()))
    # torch multiplies float32 (and float16) in float32: [3e38, 10, 0] is nan, not 0
    acc = dt.float32 if d in (dt.float32, dt.float16) else _acc(d)
    return _finish(_reduce("prod", x, dims, keepdim, acc, d, 1), out)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Arithmetic mean over `dim`; floating dtypes only, as in torch."""
    if dtype is None and out is None and type(input) is Tensor and input.dtype.is_floating_point:
        total = _fast_reduce("sum", input, dim, keepdim)  # (the sum below, planned once per shape)
        if total is not None:  # (a fresh non-empty CPU storage of the input's dtype: divided in place)
            store = total._storage
            np.divide(store, _numel(input._shape) // _numel(total._shape), out=store)
            return total
    _check_input(input, "mean")
    d = dt.to_dtype(dtype) if dtype is not None else input.dtype
    if not d.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} dtype must be "
            f"either a floating point or complex dtype. Got: {d.c_name}")
    dims = reduction_dims(dim, input.dim())  # (torch wraps dim before it checks out=)
    _check_out(out, "mean", d, "exact" if dtype is not None else "cast")
    if out is not None:
        d = out.dtype  # torch sums in out's dtype (float64 out: a float32 input's exact mean)
    # a float16 mean is summed from the input cast to float32 (an int32 input never passes
    # through half, where 2**31 would be inf), then rounded once
    x = input.to(dt.float32 if d is dt.float16 else d)
    count = _numel([input._shape[i] for i in dims])
    # the sum in x's dtype (accumulated in float64, rounded once): a float32 sum past float32's
    # range is inf, as torch's, before the division
    total = _reduce("sum", x, dims, keepdim, dt.float64, x.dtype, 0)
    result = apply(OPS_BY_NAME["div"], (total, float(count) if count else math.nan)).to(d)
    return _finish(result, out)


def _extreme(name, input, dims, keepdim, given=None):
    """max/min over `dims`; `given` is the dim argument as passed (None, an int or a sequence):
    with no dim an empty input is a RuntimeError, else the first (in the order given) empty
    dim is an IndexError that names it as given, as torch does."""
    if every_dim(given):
        if input.numel() == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
    elif input.numel() == 0:
        for d in ((given,) if isinstance(given, numbers.Integral) else given):
            if input._shape[wrap_dim(d, input.dim())] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    kernel = "max" if name in ("max", "amax") else "min"
    return _reduce(kernel, input, dims, keepdim, input.dtype if input.dtype is not dt.float16 else dt.float32,
                   input.dtype)


def _check_empty_dims(name, input, dim):
    """amax/amin of an empty input: torch's IndexError for the first empty dim as given (before
    any check of repeated dims)."""
    if input.numel() == 0 and dim is not None and not (isinstance(dim, (tuple, list)) and not dim):
        for d in ((dim,) if isinstance(dim, numbers.Integral) else dim):
            if input._shape[wrap_dim(d, input.dim())] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _all_if_empty(dim):
    return None if isinstance(dim, (tuple, list)) and not dim else dim


def amax(input, dim=(), keepdim=False, *, out=None):
    """Maximum over `dim` (all dims when empty); NaN propagates."""
    if out is None and type(input) is Tensor:
        fast = _fast_reduce("max", input, None if type(dim) is tuple and not dim else dim, keepdim)
        if fast is not None:
            return fast
    _check_input(input, "amax")
    _check_out(out, "amax", input.dtype, "input")
    _check_empty_dims("amax", input, dim)
    return _finish(_extreme("amax", input, reduction_dims(_all_if_empty(dim), input.dim(), "amax"), keepdim, dim), out)


def amin(input, dim=(), keepdim=False, *, out=None):
    """Minimum over `dim` (all dims when empty); NaN propagates."""
    if out is None and type(input) is Tensor:
        fast = _fast_reduce("min", input, None if type(dim) is tuple and not dim else dim, keepdim)
        if fast is not None:
            return fast
    _check_input(input, "amin")
    _check_out(out, "amin", input.dtype, "input")
    _check_empty_dims("amin", input, dim)
    return _finish(_extreme("amin", input, reduction_dims(_all_if_empty(dim), input.dim(), "amin"), keepdim, dim), out)


def _max_min(name, input, dim, keepdim, out, other):
    if isinstance(dim, Tensor):
        # torch.max(a, b) is the element-wise maximum.
        return apply(OPS_BY_NAME["maximum" if name == "max" else "minimum"], (input, dim), out=out)
    if dim is None:
        if type(input) is Tensor:
            fast = _fast_reduce(name, input, None, False)
            if fast is not None:
                return fast
        return _extreme(name, input, tuple(range(input.dim())), False)
    if out is None and type(input) is Tensor:
        fast = _fast_arg_reduce("argmax" if name == "max" else "argmin", input, dim, keepdim)
        if fast is not None:
            values, indices, shape, strides = fast
            return (MaxResult if name == "max" else MinResult)(
                make(values, 0, shape, strides, input.dtype), make(indices, 0, shape, strides, dt.int64))
    d = wrap_dim(dim, input.dim())
    if input.dim() and input._shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    if out is not None:
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
        _check_out(out[0], name, input.dtype)
        _check_out(out[1], name, dt.int64)
    values, indices, shape = _arg_reduce("argmax" if name == "max" else "argmin", input, dim, keepdim)
    result = (MaxResult if name == "max" else MinResult)(
        _wrap_result(values, shape, input.dtype), _wrap_result(indices, shape, dt.int64))
    if out is not None:
        _finish(result[0], out[0])
        _finish(result[1], out[1])
        return (MaxResult if name == "max" else MinResult)(*out)
    return result


def max(input, dim=None, keepdim=False, *, other=None, out=None):
    """Largest element; with `dim`, the named pair (values, indices); with a tensor (second
    argument or ``other=``), the element-wise maximum."""
    return _max_min("max", input, dim if other is None else other, keepdim, out, None)


def min(input, dim=None, keepdim=False, *, other=None, out=None):
    """Smallest element; with `dim`, the named pair (values, indices); with a tensor (second
    argument or ``other=``), the element-wise minimum."""
    return _max_min("min", input, dim if other is None else other, keepdim, out, None)


def aminmax(input, *, dim=None, keepdim=False):
    """The named pair (min, max)."""
    if dim is not None and not isinstance(dim, numbers.Integral):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if input.numel() == 0:
        if dim is None:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation "
                               "has no identity.")
        d = wrap_dim(dim, input.dim())
        if input.dim() and input._shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    return AminmaxResult(amin(input, dim if dim is not None else (), keepdim),
                         amax(input, dim if dim is not None else (), keepdim))


def _arg_extreme(name, input, dim, keepdim, out):
    _check_input(input, name)
    if input.dtype is dt.bool:
        raise RuntimeError(f"{name}(): does not support bool input")
    if input.numel() == 0 and dim is None:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    if out is None and type(input) is Tensor:
        fast = _fast_arg_reduce(name, input, dim, keepdim)
        if fast is not None:
            return make(fast[1], 0, fast[2], fast[3], dt.int64)
    _check_out(out, name, dt.int64)
    _, indices, shape = _arg_reduce(name, input, dim, keepdim)
    return _finish(_wrap_result(indices, shape, dt.int64), out)


def argmax(input, dim=None, keepdim=False, *, out=None):
    """Index of the first maximum (flattened when `dim` is None)."""
    return _arg_extreme("argmax", input, dim, keepdim, out)


def argmin(input, dim=None, keepdim=False, *, out=None):
    """Index of the first minimum (flattened when `dim` is None)."""
    return _arg_extreme("argmin", input, dim, keepdim, out)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance over `dim`, with Bessel's correction by default (`correction=` as torch)."""
    if dim is None and out is None and not keepdim:
        v = _variance_of_every_element(input, unbiased, correction, "var")
        if v is not None:
            return _scalar_result(v, input.dtype)
    return _finish(_from_float64(_var64(input, dim, unbiased, keepdim, correction, out, "var"), input.dtype), out)


def _variance_of_every_element(input, unbiased, correction, name):
    """The variance (a float) of every element of a row-major float32/float64 CPU tensor
    small enough for one thread — ``x.var()``, ``x.std()`` in a loop — by the moments kernels
    called directly, with `_var64`'s arithmetic (float32: the mean rounded to float32 from a
    float64 sum, as torch); None for anything else, and for a sum of squares past float64's
    range (`_var64` corrects the mean there)."""
    if type(input) is not Tensor or not (input.dtype is dt.float32 or input.dtype is dt.float64):
        return None
    if not (input._contig or input._contig is None and input.is_contiguous()) or not _one_cpu_thread(input):
        return None
    global _ROW_SUMS, _SUM_SQ_DEV
    if _ROW_SUMS is None:
        _ROW_SUMS, _SUM_SQ_DEV = _CPU.kernel("moments", "row_sums"), _CPU.kernel("moments", "sum_sq_dev")
    n = _numel(input._shape)
    store, offset = input._storage, input._offset
    moments = np.empty(2, np.float64)
    _ROW_SUMS(store, offset, 1, n, n, 1, moments)
    total = moments[0]
    if input.dtype is dt.float64:
        m = total / n
    elif -_FLT_MAX <= total <= _FLT_MAX:
        m = np.float64(np.float32(total) / np.float32(n))
    else:
        m = math.inf if total > 0 else -math.inf if total < 0 else math.nan  # float32's sum overflowed
    moments[0] = m
    _SUM_SQ_DEV(store, offset, 1, n, n, 1, moments, 0, moments[1:])
    squares = float(moments[1])
    if not math.isfinite(squares) and math.isfinite(m):
        return None
    dof = n - _correction(unbiased, correction)
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.float64(squares) / 0.0)  # (as `_var64`'s division: inf, or the machine's nan)
    return squares / dof


_ROW_SUMS = _SUM_SQ_DEV = None  # the moments kernels, bound on first use


def _scalar_result(value, dtype):
    """A 0-d tensor of `dtype` holding the float64 `value` (narrowed as `_from_float64`)."""
    return _from_float64(make(np.array((value,)), 0, (), (), dt.float64), dtype)


def _var64(input, dim, unbiased, keepdim, correction, out, name):
    """The variance in float64 (deviations, squares and their sum too: float32 [-2, 3e38] has
    a variance past float32's range but a standard deviation inside it, as torch computes)."""
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    _check_input(input, name)
    _check_out(out, name, input.dtype, "cast")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"std and var only support floating point and complex dtypes, got {input.dtype.c_name}")
    dims = reduction_dims(dim, input.dim())
    n = _numel([input._shape[d] for d in dims])
    x64 = input if input.dtype in (dt.float32, dt.float64) else input.to(dt.float64)
    fused = _one_cpu_thread(x64)  # the moments kernels read float32 as it is, widening each element
    if not fused and x64.dtype is dt.float32:
        x64 = x64.to(dt.float64)
    total = _moment("row_sums", x64, dims, True) if fused else _reduce("sum", x64, dims, True, dt.float64,
                                                                       dt.float64, 0)
    if input.dtype is dt.float32 and n and input.numel() == n:
        # torch's single-output path (std_var_all_cpu): the mean in float32 (a sum past
        # float32's range is inf there), the deviations in float64
        t = total.item()
        if -_FLT_MAX <= t <= _FLT_MAX:
            m = np.float64(np.float32(t) / np.float32(n))
        else:
            m = math.inf if t > 0 else -math.inf if t < 0 else math.nan  # float32's sum overflowed
        mu = make(from_host(np.array([m]), total.device), 0, total._shape, total._strides, dt.float64)
    else:
        mu = apply(OPS_BY_NAME["div"], (total, float(n) if n else math.nan))
    several = mu.numel() > 1
    if several and not fused:
        mu = _corrected_mean(x64, mu, dims)
    ss = _sum_of_squares(x64, mu, dims, keepdim, fused, several)
    if n > 1 and not _all_finite(ss) and _all_finite(mu):
        # A mean off by one ulp can square past float64's range (10 x -1e300): correct it
        # by the mean deviation once, as accurate as torch's Welford there. (Only on this
        # path: the common case makes one pass for the mean and one for the squares.)
        mu = _corrected_mean(x64, mu, dims)
        ss = _sum_of_squares(x64, mu, dims, keepdim, fused)
    # torch divides by max(0, n - correction): a sum of squares over no degrees of freedom is
    # inf (nan when it is 0, as for an empty input), never negative; and it warns.
    dof = n - _correction(unbiased, correction)
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    return apply(OPS_BY_NAME["div"], (ss, float(_builtin_max(0, dof))))


def _corrected_mean(x, mu, dims):
    """The float64 mean `mu` of `x` over `dims` (kept) corrected once by the mean deviation
    from it."""
    return apply(OPS_BY_NAME["add"], (mu, mean(apply(OPS_BY_NAME["sub"], (x, mu)), dims, keepdim=True)))


def _sum_of_squares(x, mu, dims, keepdim, fused, corrected=False):
    """The sum over `dims` of ``(x - mu) ** 2`` in float64 (`mu` the float64 mean with the
    dims kept): the moments kernel when `fused` (`_one_cpu_thread`), else float64 element-wise
    ops and a sum (`x` is float64 then). `corrected`: the kernel first corrects each mean by
    `_corrected_mean`'s step (the caller does that for the element-wise ops). torch reduces
    along a dim by Welford's method, whose mean of a row of equal values is exactly that value
    (a variance of exactly 0, and so std's gradient 0 there); a float mean may be an ulp off,
    unless corrected. (torch's single result comes from a two-pass mean, as here uncorrected.)"""
    if fused:
        return _moment("corrected_sum_sq_dev" if corrected else "sum_sq_dev", x, dims, keepdim, mu._storage,
                       mu._offset)
    dev = apply(OPS_BY_NAME["sub"], (x, mu))
    return _reduce("sum", apply(OPS_BY_NAME["mul"], (dev, dev), inplace=True), dims, keepdim, dt.float64,
                   dt.float64, 0)


def _one_cpu_thread(x):
    """True for a non-empty float32/float64 CPU tensor small enough for one thread: the
    moments kernels' inputs."""
    return type(x._storage) is np.ndarray and x.numel() > 0 and not _CPU.parallel(x.numel())


def _moment(kernel, x, dims, keepdim, *means):
    """Run moments kernel `kernel` over `x`'s rows along `dims` (with the means' storage and
    offset for ``sum_sq_dev``): a float64 tensor, the dims kept when `keepdim`."""
    shape = _out_shape(x._shape, dims, keepdim)
    rows, K, R, sk, sr = _plan(x, dims, order_free=True)  # (`rows` may be a reordered copy of x)
    out = _CPU.allocate(K, np.float64)
    _CPU.launch("moments", kernel, rows._storage, rows._offset, K, R, sk, sr, *means, out)
    return make(out, 0, shape, contiguous_strides(shape), dt.float64)


def _all_finite(t):
    if t._shape == () or t._shape == (1,):
        return math.isfinite(t.item())
    return bool(np.isfinite(host_array(t)).all())


def _from_float64(t, dtype):
    """The fresh float64 result `t` of a reduction in `dtype` (by `_narrowed` on the CPU:
    overflow to inf without NumPy's warning)."""
    if dtype is dt.float64:
        return t
    if type(t._storage) is np.ndarray and t._offset == 0 and t.is_contiguous() and t._storage.shape[0] == t.numel():
        return make(_narrowed(t._storage, dtype), 0, t._shape, t._strides, dtype)
    return t.to(dtype)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation over `dim` (square root of `var`, taken in float64 before the cast)."""
    if dim is None and out is None and not keepdim:
        v = _variance_of_every_element(input, unbiased, correction, "std")
        if v is not None:
            return _scalar_result(math.sqrt(v) if v >= 0 else v, input.dtype)  # (nan stays nan)
    v = _var64(input, dim, unbiased, keepdim, correction, out, "std")
    return _finish(_from_float64(apply(OPS_BY_NAME["sqrt"], (v,), inplace=True), input.dtype), out)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def check_norm_dtype(name, input_dtype, dtype):
    """torch's checks of a norm's input dtype and ``dtype=`` argument: both floating, and
    `dtype` at least as wide as the input's (no narrowing). Returns `dtype` as a dtype."""
    if not input_dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {input_dtype.c_name}")
    if dtype is None:
        return None
    dtype = dt.to_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name}: dtype should be floating point or complex, but got {dtype.c_name}")
    if dt.promote_types(input_dtype, dtype) is not dtype:
        raise RuntimeError(f"{name}: the dtype of the input ({input_dtype.c_name}) should be convertible without "
                           f"narrowing to the specified dtype ({dtype.c_name})")
    return dtype


# torch.linalg.matrix_norm, set by ops/linalg/norms.py when it is imported (it imports this
# module: an import here would make a cycle)
matrix_norm = None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None, *, out=None):
    """Vector p-norm over `dim` ('fro' and 2: Euclidean; inf, -inf, 0, 1, other p)."""
    _check_input(input, "norm")
    if isinstance(p, str) and (p != "fro" or (dim is not None and not isinstance(dim, numbers.Integral)
                                              and len(dim) > 2)):
        # ('nuc', 'fro' over more than two dims, or torch's error for other strings)
        return matrix_norm(input, p, tuple(range(input.dim())) if dim is None else dim, keepdim, dtype=dtype, out=out)
    dtype = check_norm_dtype("linalg.vector_norm", input.dtype, dtype)
    x = input if dtype is None else input.to(dtype)
    _check_out(out, "norm", x.dtype)
    dims = reduction_dims(dim, x.dim())
    if x.dtype is dt.float16:  # torch accumulates a float16 norm in float32: [300, 4, 5] is 300
        return _finish(norm(x.to(dt.float32), p, dim, keepdim).to(dt.float16), out)  # (dim as given: 'fro' over
        # every dim of a 3-d tensor is its vector norm, not the matrix norm's error)
    a = apply(OPS_BY_NAME["abs"], (x,))
    if p in (math.inf, -math.inf) and a.numel() == 0:
        name = "inf" if p > 0 else "-inf"
        empty = [d for d in dims if a._shape[d] == 0] if dim is not None else []
        if every_dim(dim):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty tensor because "
                               "the operation does not have an identity")
        if empty:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the dimension {empty[0]}"
                               "because this dimension is empty and the operation does not have an identity")
    if norm_is_magnitude(p, _numel([a._shape[d] for d in dims]), a.dim(), dim):
        result = amax(a, dims, keepdim)
    elif p in ("fro", 2, 2.0, None):
        result = apply(OPS_BY_NAME["sqrt"], (sum(apply(OPS_BY_NAME["mul"], (a, a)), dims, keepdim),))
    elif p == math.inf:
        result = amax(a, dims, keepdim)
    elif p == -math.inf:
        result = amin(a, dims, keepdim)
    elif p == 0:
        result = sum(apply(OPS_BY_NAME["ne"], (a, 0)), dims, keepdim).to(x.dtype)
    elif p == 1:
        result = sum(a, dims, keepdim)
    else:
        powered = sum(apply(OPS_BY_NAME["pow"], (a, float(p))), dims, keepdim)
        result = apply(OPS_BY_NAME["pow"], (powered, 1.0 / p))
    return _finish(result, out)


def all(input, dim=None, keepdim=False, *, out=None):
    """True where every element along `dim` is non-zero (uint8 input: a uint8 result)."""
    return _all_any("all", "min", True, input, dim, keepdim, out)


def any(input, dim=None, keepdim=False, *, out=None):
    """True where some element along `dim` is non-zero (uint8 input: a uint8 result)."""
    return _all_any("any", "max", False, input, dim, keepdim, out)


def _all_any(name, kernel, empty_value, input, dim, keepdim, out):
    _check_input(input, name)
    _check_out(out, name, rule="bool")
    dims = reduction_dims(dim, input.dim())
    b = input if input.dtype is dt.bool else apply(OPS_BY_NAME["ne"], (input, 0))
    if isinstance(dim, (tuple, list)) and not dim:  # torch's dim=(): no dim reduced, each element tested
        result = b.contiguous()  # (row-major, as torch's)
        result = result.clone() if result is input else result
        return _finish(result.to(dt.uint8) if input.dtype is dt.uint8 else result, out)
    result = _reduce(kernel, b, dims, keepdim, dt.bool, dt.bool, empty_value)
    return _finish(result.to(dt.uint8) if input.dtype is dt.uint8 else result, out)


def count_nonzero(input, dim=None):
    """Number of non-zero elements along `dim`."""
    return sum(apply(OPS_BY_NAME["ne"], (input, 0)), dim)


def _float_input(input, dtype):
    x = input if dtype is None else input.to(dtype)
    if not x.dtype.is_floating_point:
        x = x.to(dt.get_default_dtype())
    return x


def logsumexp(input, dim, keepdim=False, *, out=None):
    """``log(sum(exp(input)))`` over `dim`, computed stably (shifted by the maximum)."""
    if out is None:
        fused = _fused_logsumexp(input, dim, keepdim)
        if fused is not None:
            return fused
    _check_input(input, "logsumexp")
    x = _float_input(input, None)
    if out is not None and not (isinstance(out, Tensor) and out.dtype.is_floating_point):
        check_out_tensor(out, "logsumexp")
        raise RuntimeError(f"logsumexp(): Expected floating point type for result tensor, but got: {out.dtype.c_name}")
    _check_out(out, "logsumexp", x.dtype, "cast")
    dims = reduction_dims(dim, x.dim())
    if x.numel() == 0:
        return _finish(apply(OPS_BY_NAME["log"], (sum(x, dims, keepdim),)), out)
    m = _finite_or_zero(amax(x, dims, keepdim=True))
    shifted = apply(OPS_BY_NAME["exp"], (apply(OPS_BY_NAME["sub"], (x, m)),))
    s = apply(OPS_BY_NAME["log"], (sum(shifted, dims, keepdim=True),))
    result = apply(OPS_BY_NAME["add"], (s, m))
    if not keepdim:
        result = result.squeeze(dims) if dims else result
    return _finish(result, out)


def _fused_logsumexp(input, dim, keepdim):
    """logsumexp of a non-empty float32/float64 CPU tensor along its last dimension that
    holds more than one element (one int `dim`, or a list or tuple of one), by one kernel
    over each row (kernels/cpu/softmax.py); None for anything else (the composed path)."""
    if (type(input) is not Tensor or input.device is not CPU or input.dtype not in _FUSED_SOFTMAX_DTYPES
            or type(keepdim) is not bool):
        return None
    if (type(dim) is tuple or type(dim) is list) and len(dim) == 1:
        dim = dim[0]
    shape = input._shape
    ndim = len(shape)
    if type(dim) is not int or not ndim or not -ndim <= dim < ndim:
        return None
    d = dim % ndim
    if _numel(shape) == 0 or _numel(shape[d + 1:]) != 1:
        return None
    x, K, R, sk, sr = _plan(input, (d,), order_free=False)
    out = _CPU.allocate(K, input.dtype.np)
    _CPU.launch("softmax", "logsumexp_rows", x._storage, x._offset, K, R, sk, sr, out)
    shape = _out_shape(shape, (d,), keepdim)
    return make(out, 0, shape, contiguous_strides(shape), input.dtype)


def _finite_or_zero(m):
    """`m` with its infinite and NaN values replaced by 0 (logsumexp's shift)."""
    finite = apply(OPS_BY_NAME["isfinite"], (m,))
    fast = fast_where(finite, m, 0.0)
    return fast if fast is not None else apply(OPS_BY_NAME["where_kernel"], (finite, m, 0.0))


def _softmax_parts(input, dim, dtype, name="softmax"):
    """(x - max, exp(x - max), sum of that exp along `dim` kept as a size-1 dim); the last
    two are None for an empty input (then the first is that empty input in the result dtype:
    torch computes nothing and checks no dtype there)."""
    _check_input(input, name)
    d = wrap_dim(dim, input.dim())  # a 0-d input accepts only 0 and -1, as in torch
    target = input.dtype if dtype is None else dt.to_dtype(dtype)
    if input.numel() == 0:
        return (input if input.dtype is target else input.to(target)), None, None
    if not target.is_floating_point:
        # torch's kernel name: the "lastdim" one when nothing follows `dim` (inner size 1)
        kernel = "lastdim_kernel_impl" if _numel(input._shape[d + 1:]) == 1 else "kernel_impl"
        raise NotImplementedError(f"\"{name}_{kernel}\" not implemented for '{target.c_name}'")
    # float16 computes in float32 (torch's acc type) and rounds once at the end
    x = input if input.dtype is target else input.to(target)  # dtype= casts the input first
    if target is dt.float16:
        x = x.to(dt.float32)
    dims = (d,) if x.dim() else ()
    m = amax(x, dims, keepdim=True) if dims else x
    shifted = apply(OPS_BY_NAME["sub"], (x, m))
    exps = apply(OPS_BY_NAME["exp"], (shifted,))
    return shifted, exps, sum(exps, dims, keepdim=True)


def _fused_softmax(input, dim, dtype, log):
    """Softmax (or log-softmax) of a non-empty float32/float64 CPU tensor along its last
    dimension that holds more than one element, by one kernel over each row
    (kernels/cpu/softmax.py; `log`: 1 for log-softmax, else 0); None for anything else (the
    composed path)."""
    if (type(input) is not Tensor or input.device is not CPU or input.dtype not in _FUSED_SOFTMAX_DTYPES
            or dtype is not None and dt.to_dtype(dtype) is not input.dtype or type(dim) is not int):
        return None
    shape = input._shape
    ndim = len(shape)
    if (dim == ndim - 1 or dim == -1) and ndim and (input._contig or input._contig is None and input.is_contiguous()):
        # (the common call: rows of a row-major tensor, planned once per shape)
        plan = _ROW_MAJOR_SOFTMAX.get((shape, input.dtype))
        if plan is None:
            plan = _row_major_softmax_plan(shape, input.dtype)
        if plan is not None:
            n, K, R, strides, rows = plan
            out = _CPU.allocate(n, input.dtype.np)
            rows(n, K, input._storage, input._offset, K, R, R, 1, out, log)
            return make(out, 0, shape, strides, input.dtype, True)
    if not ndim or not -ndim <= dim < ndim:
        return None  # the composed path raises torch's error
    d = dim % ndim
    n = _numel(shape)
    if n == 0 or _numel(shape[d + 1:]) != 1:
        return None
    x, K, R, sk, sr = _plan(input, (d,), order_free=False)
    out = _CPU.allocate(n, input.dtype.np)
    _softmax_launcher("softmax_rows", input.dtype)(n, K, x._storage, x._offset, K, R, sk, sr, out, log)
    return make(out, 0, shape, contiguous_strides(shape), input.dtype)


_FUSED_SOFTMAX_DTYPES = (dt.float32, dt.float64)


def _row_major_softmax_plan(shape, dtype):
    """(elements, rows, row length, the result's strides, the forward launcher) for softmax
    along the last dim of a row-major `shape` of `dtype`, remembered; None when it is empty."""
    n = _numel(shape)
    plan = None if n == 0 else (n, n // shape[-1], shape[-1], contiguous_strides(shape),
                                _softmax_launcher("softmax_rows", dtype))
    return remember(_ROW_MAJOR_SOFTMAX, (shape, dtype), plan)


_ROW_MAJOR_SOFTMAX = {}  # (shape, dtype) -> `_row_major_softmax_plan`


def _softmax_launcher(kernel, dtype):
    """``launch(n, K, *args)``: `kernel` of the softmax family over K rows (n elements in all)
    of `dtype` storages, its parallel build when the work is large enough and there is more
    than one row; both called by their entry points (backends/cpu/direct.py: the kernels'
    `log` flag must be passed as an int, 0 or 1, so that every call has the types of the
    first)."""
    launcher = _SOFTMAX_LAUNCHERS.get((kernel, dtype))
    if launcher is None:
        serial = [None]
        serial[0] = _CPU.bind_on_first_call(serial, 0, _CPU.kernel("softmax", kernel))
        parallel = [None]
        parallel[0] = _CPU.bind_on_first_call(parallel, 0, _CPU.kernel("softmax", kernel + "_par"))

        def launcher(n, K, *args):
            if _CPU.parallel(n) and K > 1:
                parallel[0](*args, _CPU.nchunks())
            else:
                serial[0](*args)
        launcher = _SOFTMAX_LAUNCHERS[(kernel, dtype)] = launcher
    return launcher


_SOFTMAX_LAUNCHERS = {}  # (kernel, dtype) -> `_softmax_launcher`


def fused_softmax_backward(grad, out, dim, log):
    """The input gradient of softmax (or, with `log`, log-softmax) along `dim` from the output
    gradient `grad` and the forward's row-major result `out`, by one kernel over each row, for
    float32/float64 CPU tensors of one dtype and shape along the last dimension; None for
    anything else (autograd's rule composes ops then). Not recorded: only for a backward pass
    that builds no graph."""
    if (type(grad) is not Tensor or grad.device is not CPU or out.device is not CPU or grad.dtype is not out.dtype
            or out.dtype not in _FUSED_SOFTMAX_DTYPES or grad._shape != out._shape or not out.is_contiguous()):
        return None
    shape = out._shape
    ndim = len(shape)
    n = _numel(shape)
    if not ndim or n == 0 or not -ndim <= dim < ndim or dim % ndim != ndim - 1:
        return None
    g, K, R, gk, gr = _plan(grad, (ndim - 1,), order_free=False)
    gx = _CPU.allocate(n, out.dtype.np)
    _softmax_launcher("softmax_backward_rows", out.dtype)(n, K, g._storage, g._offset, K, R, gk, gr, out._storage,
                                                          out._offset, gx, int(log))
    return make(gx, 0, shape, contiguous_strides(shape), out.dtype)


def softmax(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along `dim`, shifted by the maximum for stability."""
    fused = _fused_softmax(input, dim, dtype, 0)
    if fused is not None:
        return fused
    shifted, exps, total = _softmax_parts(input, dim, dtype)
    if total is None:
        return shifted.contiguous() if shifted is not input else shifted.clone()
    result = apply(OPS_BY_NAME["div"], (exps, total), inplace=True)
    return _softmax_result(result, input, dtype)


def log_softmax(input, dim, dtype=None):
    """``log(softmax(x))`` along `dim`, computed without overflow."""
    fused = _fused_softmax(input, dim, dtype, 1)
    if fused is not None:
        return fused
    shifted, _, total = _softmax_parts(input, dim, dtype, "log_softmax")
    if total is None:
        return shifted.contiguous() if shifted is not input else shifted.clone()
    result = apply(OPS_BY_NAME["sub"], (shifted, apply(OPS_BY_NAME["log"], (total,))), inplace=True)
    return _softmax_result(result, input, dtype)


def _softmax_result(result, input, dtype):
    """torch's softmax output: row-major (whatever the input's layout), float16 rounded once."""
    if (input.dtype if dtype is None else dt.to_dtype(dtype)) is dt.float16:
        result = result.to(dt.float16)
    return result.contiguous()


def _scan_input(input, dim):
    """(host ndarray of `input` with at least one dim, wrapped dim); dim is checked as torch
    does."""
    dim = wrap_dim(dim, input.dim())
    a = host_array(input)
    return (a if a.ndim else a.reshape(1)), dim


def _scans_on_device(x):
    """True when `x`'s device scans on itself (its backend has `scan_rows`)."""
    return x.device is not CPU and backend_for(x.device).scan_rows is not None


def _device_scan(name, x, dim):
    """Scan `name` of `x` (a tensor not on the CPU, already of the result's dtype) along
    `dim` by its device's backend (`scan_rows` over `x` as (outer, n, inner) elements):
    a new contiguous tensor, or (values, indices) for cummax/cummin."""
    dim = wrap_dim(dim, x.dim())
    x = x.contiguous()
    if x._offset:
        x = x.clone()  # scan_rows reads from the start of the storage
    shape = x._shape
    full = shape or (1,)
    outer, n, inner = _numel(full[:dim]), full[dim], _numel(full[dim + 1:])
    result = backend_for(x.device).scan_rows(name, x._storage, outer, n, inner)
    strides = contiguous_strides(shape)
    if name in ("cummax", "cummin"):
        return (make(result[0], 0, shape, strides, x.dtype), make(result[1], 0, shape, strides, dt.int64))
    return make(result, 0, shape, strides, x.dtype)


def _from_values(values, shape, dtype, device):
    """A contiguous tensor on `device` of `shape` holding the host `values`, cast to `dtype`."""
    values = np.asarray(values).reshape(shape)
    result = _wrap(values, dt.from_numpy_dtype(values.dtype), device)
    return result if result.dtype is dtype else result.to(dtype)


def _scan(np_fn, input, dim, dtype, out, name):
    wrap_dim(dim, input.dim())  # before the dtype checks, as torch
    d = _sum_dtype(input, dtype, out, name)  # out= of another dtype: the input is cast first
    if d is dt.bool and input.dim() and input.numel():  # (a 0-d input is copied, no kernel)
        raise NotImplementedError(f'"{name}_out_cpu" not implemented for \'Bool\'')
    if _scans_on_device(input):
        x = input if input.dtype is d else input.to(d)
        return _finish(x.clone() if not x.dim() else _device_scan(name, x, dim), out)
    a, dim = _scan_input(input if input.dtype is d else input.to(d), dim)
    # NumPy's scan is one strided pass, accumulated in torch's CPU accumulation type: float64
    # for float32, float32 for float16 (float16 [300, 300, 1/300].cumprod is [300, inf, 300]).
    acc = {dt.float32: np.float64, dt.float16: np.float32}.get(d, d.np)
    with np.errstate(over="ignore", invalid="ignore"):
        values = np_fn(a, axis=dim, dtype=acc)
        if np_fn is np.cumsum and d.is_floating_point and input.dim():
            values += 0.0  # torch's running sum starts at +0: a -0. input sums to 0. (0-d: a copy)
        if acc is not d.np:
            values = values.astype(d.np)
    return _finish(_from_values(values, input._shape, d, input.device), out)


def cumsum(input, dim, *, dtype=None, out=None):
    """Running sum along `dim` (integers accumulate in int64, floats in float64)."""
    return _scan(np.cumsum, input, dim, dtype, out, "cumsum")


def cumprod(input, dim, *, dtype=None, out=None):
    """Running product along `dim` (integers accumulate in int64)."""
    return _scan(np.cumprod, input, dim, dtype, out, "cumprod")


def logcumsumexp(input, dim, *, out=None):
    """``log(cumsum(exp(input)))`` along `dim`, computed stably and accumulated in float64."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{input.dtype.c_name}\'')
    _check_scalar_type(out, input.dtype)
    _check_out(out, "logcumsumexp", input.dtype, "cast")
    if _scans_on_device(input):
        return _finish(_device_scan("logcumsumexp", input, dim), out)
    a, dim = _scan_input(input, dim)
    with np.errstate(invalid="ignore"):
        values = np.logaddexp.accumulate(a.astype(np.float64), axis=dim)
    return _finish(_from_values(values, input._shape, input.dtype, input.device), out)


def _cum_extreme(name, input, dim, out):
    """(values, indices) of the running max/min: NaN wins and sticks; ties take the later
    index, as torch's ``cummax``/``cummin``."""
    if isinstance(out, (tuple, list)) and len(out) == 2:
        _check_scalar_type(out[0], input.dtype)
        _check_scalar_type(out[1], dt.int64)
    cls = CummaxResult if name == "cummax" else CumminResult
    if not input._shape and dim not in (-1, 0):
        raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    if input._shape and not _numel(input._shape):  # (torch returns before it reads `dim`)
        return _finish_pair(cls, cls(empty_tensor(input._shape, input.dtype, input.device),
                                     empty_tensor(input._shape, dt.int64, input.device)), out)
    if _scans_on_device(input):
        return _finish_pair(cls, cls(*_device_scan(name, input, dim)), out)
    a, dim = _scan_input(input, dim)
    acc = np.maximum if name == "cummax" else np.minimum
    values = acc.accumulate(a, axis=dim)
    hit = a == values
    if input.dtype.is_floating_point:
        hit |= np.isnan(a)
    shape = [1] * a.ndim
    shape[dim] = a.shape[dim]
    positions = np.where(hit, np.arange(a.shape[dim]).reshape(shape), 0)
    indices = np.maximum.accumulate(positions, axis=dim)
    result = cls(_from_values(values, input._shape, input.dtype, input.device),
                 _from_values(indices, input._shape, dt.int64, input.device))
    return _finish_pair(cls, result, out)


def _finish_pair(cls, result, out):
    if out is None:
        return result
    _finish(result[0], out[0])
    _finish(result[1], out[1])
    return cls(*out)


def cummax(input, dim, *, out=None):
    """Running maximum along `dim` and the index where it was found, as ``(values, indices)``."""
    return _cum_extreme("cummax", input, dim, out)


def cummin(input, dim, *, out=None):
    """Running minimum along `dim` and the index where it was found, as ``(values, indices)``."""
    return _cum_extreme("cummin", input, dim, out)


def _isnan(x):
    return apply(OPS_BY_NAME["isnan"], (x,))


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over `dim` treating NaN as zero (``sum`` otherwise)."""
    x = input
    if input.dtype.is_floating_point:
        if (dtype is None and isinstance(out, Tensor) and not out.dtype.is_floating_point
                and input.numel()):  # torch sums in out's dtype, and has no integer NaN sum
            raise NotImplementedError(f"\"nansum_cpu\" not implemented for '{out.dtype.c_name}'")
        x = apply(OPS_BY_NAME["where_kernel"], (_isnan(input), 0.0, input))
    return sum(x, dim, keepdim, dtype=dtype, out=out)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over `dim` of the elements that are not NaN (NaN where there are none)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{input.dtype.c_name}")
    if dtype is not None and not dt.to_dtype(dtype).is_floating_point:
        raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be either a floating "
                           f"point or complex dtype. Got: {dt.to_dtype(dtype).c_name}")
    count = sum(apply(OPS_BY_NAME["logical_not"], (_isnan(input),)), dim, keepdim)
    return _finish(apply(OPS_BY_NAME["div"], (nansum(input, dim, keepdim, dtype=dtype), count)), out)


def _median(name, input, dim, keepdim, out, skip_nan):
    """Lower median; NaN propagates (``median``) or is ignored (``nanmedian``)."""
    if input.dtype is dt.bool:
        raise NotImplementedError(f'"{"median_cpu" if dim is None else "median_out"}" not implemented for \'Bool\'')
    floating = input.dtype.is_floating_point
    if dim is not None:
        _check_median_out(out, "median", input.dtype)  # (torch names median for nanmedian too)
    if dim is None:
        a = host_array(input).ravel()
        if floating:
            nan = np.isnan(a)
            if skip_nan:
                a = a[~nan]
            elif nan.any():
                a = a[:0]
        if a.size == 0:  # NaN (cast as torch's CPU casts it for an integer dtype)
            value = np.array(np.nan if floating else
                             np.iinfo(input.dtype.np).min if input.dtype in (dt.int32, dt.int64) else 0,
                             input.dtype.np)
        else:
            k = (a.size - 1) // 2
            value = np.partition(a, k)[k]
        return _finish(_from_values(value, (), input.dtype, input.device), out)
    d = wrap_dim(dim, input.dim())
    n = input._shape[d] if input.dim() else 1
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")  # nanmedian too
    from nbtensor.ops.sorting import sort
    values, indices = sort(input, d) if input.dim() else (input, _wrap(0, dt.int64, input.device))
    sv = np.moveaxis(host_array(values).reshape(values._shape or (1,)), d, -1)
    si = np.moveaxis(host_array(indices).reshape(values._shape or (1,)), d, -1)
    nans = np.isnan(sv).sum(axis=-1) if floating else np.zeros(sv.shape[:-1], np.int64)
    if skip_nan:
        k = np.maximum(n - nans - 1, 0) // 2
    else:  # NaN sorts last: the first NaN is the median of a row that holds one
        k = np.where(nans > 0, n - nans, (n - 1) // 2)
    k = k[..., None]
    v = np.take_along_axis(sv, k, axis=-1)[..., 0]
    i = np.take_along_axis(si, k, axis=-1)[..., 0]
    shape = _out_shape(input._shape, (d,) if input.dim() else (), keepdim)
    cls = MedianResult if name == "median" else NanmedianResult
    result = cls(_from_values(v, shape, input.dtype, input.device), _from_values(i, shape, dt.int64, input.device))
    return _finish_pair(cls, result, out)


def median(input, dim=None, keepdim=False, *, out=None):
    """Lower median of all elements (NaN if any is NaN); with `dim`, the named pair
    ``(values, indices)`` along `dim`."""
    return _median("median", input, dim, keepdim, out, skip_nan=False)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """``median`` ignoring NaN (NaN only where every element is NaN)."""
    return _median("nanmedian", input, dim, keepdim, out, skip_nan=True)


def cumsum_(self, dim, dtype=None):
    """In-place ``cumsum``; returns `self`."""
    return self.copy_(cumsum(self, dim, dtype=dtype))


def cumprod_(self, dim, dtype=None):
    """In-place ``cumprod``; returns `self`."""
    return self.copy_(cumprod(self, dim, dtype=dtype))


forms.functions(__all__, globals())
forms.methods(__all__ + ["cumsum_", "cumprod_"], globals())
