"""Selection functions (SPEC §7): index_select, masked_select, masked_fill, nonzero, argwhere,
gather, scatter, scatter_add, scatter_reduce, take, index_add_, index_copy_, index_fill_ and the
one-argument ``where``.

Every index is validated here, on the host (`host_array`: on the CPU the index's own
memory), before a kernel runs. The copies run on the gather primitive of the device's
backend; the tensors of one call must be on one device. ``nonzero`` uses NumPy's SIMD
``np.nonzero`` on the host values (on the CPU a zero-copy view; a kernel would do the same two
passes, count then fill, no faster).
"""
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.ops.advanced_indexing import _check_writable_aliased, arith
from nbtensor.backends.base import backend_for
from nbtensor.core.device import CPU
from nbtensor.core.layout import contiguous_format
from nbtensor.backends.host import from_host, host_array, on_host
from nbtensor.ops.creation import _wrap, arange
from nbtensor.ops.pick import fast_pick, fast_scatter, row_major_cpu
from nbtensor.backends.base import ADD, COPY, MUL
from nbtensor.ops.indexcheck import check_range, int64_table
from nbtensor.dispatch.out import result_or_out
from nbtensor.core.plan import broadcast_shapes, broadcast_strides
from nbtensor.dispatch.tensor import (Tensor, _overlaps, check_writable, refuse_overlap, checked_scalar, common_device, copy_into, empty_tensor,
                      make, make_view, scalar_storage, wrap_dim)
from nbtensor.dispatch import dispatcher as forms

__all__ = ["index_select", "masked_select", "masked_fill", "nonzero", "argwhere", "gather",
           "scatter", "scatter_add", "scatter_reduce", "take", "index_add", "index_copy", "index_fill"]

_METHODS = __all__ + ["masked_fill_", "scatter_", "scatter_add_", "scatter_reduce_", "index_add_", "index_copy_",
                      "index_fill_"]

_REDUCE = {None: COPY, "add": ADD, "multiply": MUL}


# --------------------------------------------------------------------------- helpers
def _shape1(t):
    """Shape and strides with a 0-d tensor seen as one element of a 1-D tensor."""
    return (t._shape, t._strides) if t._shape else ((1,), (1,))


def _require_tensor(name, arg, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(value).__name__}")


def _index_dtype(name, index, allowed, error, message):
    _require_tensor(name, "index", index)
    if index.dtype not in allowed:
        raise error(message.format(name=name, dtype=index.dtype.c_name))


def _vector(name, index, error=IndexError, message="{name}(): Index is supposed to be a vector"):
    if index.dim() > 1:
        raise error(message.format(name=name))
    return int64_table(host_array(index))


def _scalar_value(name, value):
    """A Python number from a number or a 0-d tensor (torch's rule for fill values)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"{name} only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value.dim()} dimension(s).")
        return value.item()
    if not isinstance(value, (numbers.Number, np.generic)):
        raise TypeError(f"{name}(): value must be a number or a 0-d tensor, got {type(value).__name__}")
    dt.check_scalar_argument(value)  # (torch's OverflowError for an int beyond 64 bits)
    return value


def _dim_side(t, dim, index=None):
    """t as an operand of the indexed kernel split around `dim`: (storage, offset,
    (pre, mid, post strides), index) with `index` = (table, wrap) along dim."""
    shape, st = _shape1(t)
    mid = None if index is None else (index[0], st[dim], index[1])
    return (t._storage, t._offset, (st[:dim], (st[dim],) if index is None else (), st[dim + 1:]), mid)


def _scalar_side(value, dtype, device, ndim, dim):
    return (scalar_storage(value, dtype, device), 0, ((0,) * dim, (0,), (0,) * (ndim - dim - 1)), None)


# --------------------------------------------------------------------------- row-major fast paths
def _fast_pick(kernel, input, dim, index, out_shape):
    """index_select (`kernel` "select_rows") or gather ("gather_rows") of a row-major CPU
    `input` along `dim` by a row-major int64 CPU `index` tensor: `fast_pick` of its memory."""
    if type(index) is not Tensor or index.dtype is not dt.int64 or not row_major_cpu(index):
        return None
    return fast_pick(kernel, input, dim, index._storage, index._offset, index._shape, out_shape)


# --------------------------------------------------------------------------- index_select
def index_select(input, dim, index, *, out=None):
    """The slices of `input` at positions `index` (a 1-D int tensor) along `dim`, copied."""
    if out is None and type(input) is Tensor and type(index) is Tensor and type(dim) is int:
        fast = _fast_pick("select_rows", input, dim, index, None)  # (its plan checks the shapes)
        if fast is not None:
            return fast
    _index_dtype("index_select", index, (dt.int64, dt.int32), RuntimeError,
                 "{name}(): Expected dtype int32 or int64 for index, but got {dtype}")
    common_device((input, index), cpu_scalars=False)
    table = _vector("index_select", index)
    shape, _ = _shape1(input)
    dim = wrap_dim(dim, len(shape))
    size = shape[dim]
    if len(shape) > 1 and (0 in shape or dim == 1):
        # torch's paths for an empty input and for dim 1: their own checks and words (RuntimeError)
        if size == 0 and table.size:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        bad = np.flatnonzero((table < 0) | (table >= size))
        if bad.size:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={table[bad[0]]} axis_dim={size}")
    check_range(table, size, lambda v: (
        f"index_select(): index {v} is out of range for dimension {dim} with size {size}"), negative=False)
    result = empty_tensor(shape[:dim] + (table.shape[0],) + shape[dim + 1:], input.dtype, input.device)
    backend_for(input.device).gather("indexed", _dim_side(result, dim), _dim_side(input, dim, (table, 0)),
                                     shape[:dim], (table.shape[0],), shape[dim + 1:])
    if not input._shape:
        result = result.reshape(())
    return result_or_out(result, out, "index_select", (input, index))


# --------------------------------------------------------------------------- masks
def _check_bool_mask(mask, message):
    _require_tensor("mask", "mask", mask)
    if mask.dtype is not dt.bool:
        raise RuntimeError(message.format(dtype=mask.dtype.c_name))


def masked_select(input, mask, *, out=None):
    """The elements of `input` where `mask` (bool, broadcast with input) is True, as 1-D."""
    _check_bool_mask(mask, "masked_select: expected BoolTensor for mask, but got {dtype}")
    common_device((input, mask), cpu_scalars=False)
    shape = broadcast_shapes(input._shape, mask._shape)
    data = backend_for(input.device).gather(
        "compress", (input._storage, input._offset, broadcast_strides(input._shape, input._strides, shape)),
        (mask._storage, mask._offset, broadcast_strides(mask._shape, mask._strides, shape)), shape, input.dtype.np)
    result = make(data, 0, (data.shape[0],), (1,), input.dtype)
    return result_or_out(result, out, "masked_select", (input, mask))


def masked_fill_(self, mask, value):
    """Set the elements of self where `mask` (bool, broadcastable to self) is True to `value`."""
    _check_bool_mask(mask, "masked_fill_ only supports boolean masks, but got mask with dtype {dtype}")
    common_device((self, mask), cpu_scalars=False)
    value = _scalar_value("masked_fill_", value)
    shape = broadcast_shapes(self._shape, mask._shape)
    if shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the broadcast shape {list(shape)}")
    checked_scalar(value, self.dtype, strict_half=True)  # torch's masked_fill_ refuses 1e5 in half
    _check_writable_aliased(self, "masked_fill_", "tensor[mask] = scalar")  # torch writes an expanded self
    if _overlaps(self, mask):
        mask = mask.clone()
    backend_for(self.device).gather("masked_fill", (self._storage, self._offset, self._strides),
                                    (mask._storage, mask._offset, broadcast_strides(mask._shape, mask._strides, shape)),
                                    shape, scalar_storage(value, self.dtype, self.device))
    return self


def masked_fill(input, mask, value):
    """A copy of `input` (broadcast with `mask`) with `value` where `mask` is True."""
    _check_bool_mask(mask, "masked_fill_ only supports boolean masks, but got mask with dtype {dtype}")
    common_device((input, mask), cpu_scalars=False)
    shape = broadcast_shapes(input._shape, mask._shape)
    result = copy_into(empty_tensor(shape, input.dtype, input.device), input)
    return masked_fill_(result, mask, value)


# --------------------------------------------------------------------------- nonzero
def nonzero(input, *, out=None, as_tuple=False):
    """Coordinates of the nonzero elements: an (n, ndim) int64 tensor, or with `as_tuple` a
    tuple of ndim 1-D tensors (one for a 0-d input)."""
    if input.device is not CPU:
        return _nonzero_on_device(input, out, as_tuple)
    arr = host_array(input)
    coords = np.nonzero(arr.reshape(1) if arr.ndim == 0 else arr)
    if as_tuple:
        return tuple(_wrap(c, dt.int64, input.device) for c in coords)
    n = coords[0].shape[0]
    # torch's layout: column-major (n, ndim), strides (1, n)
    cols = np.ascontiguousarray(np.stack(coords, axis=0) if arr.ndim else np.empty((0, n), np.int64),
                                dtype=np.int64)
    result = make(from_host(cols, input.device), 0, (n, arr.ndim), (1, n), dt.int64)
    return result_or_out(result, out, "nonzero")


def _nonzero_on_device(input, out, as_tuple):
    """`nonzero` computed on `input`'s device: the flat positions of its nonzero elements
    (masked_select's compress of a range, which reads back only the count), unravelled into
    coordinates by element-wise ops there."""
    shape = input._shape or (1,)
    flat = arange(input.numel(), dtype=dt.int64, device=input.device)[(input != 0).reshape(-1)]
    coords, step = [], 1
    for size in reversed(shape):
        coords.append(flat // step % size if step > 1 else flat % size)
        step *= size
    coords.reverse()
    if as_tuple:
        return tuple(coords)
    n = flat._shape[0]
    cols = empty_tensor((input.dim(), n), dt.int64, input.device)
    for d, c in enumerate(coords[:input.dim()]):
        copy_into(cols[d], c)
    result = make_view(cols._storage, 0, (n, input.dim()), (1, n), dt.int64)  # torch's column-major layout
    return result_or_out(result, out, "nonzero")


def argwhere(input):
    """``nonzero(input)``: the (n, ndim) coordinates of the nonzero elements."""
    return nonzero(input)


def _where_single(condition):
    """``where(condition)``: ``nonzero(condition, as_tuple=True)``."""
    return nonzero(condition, as_tuple=True)


# --------------------------------------------------------------------------- gather / scatter
def _along_dim_checks(name, self, dim, index, src=None):
    """Validate a gather/scatter call; returns (dim, int64 index tensor). As torch's
    scatter_gather_dtype_check, an empty index may have any dtype (it selects nothing)."""
    _require_tensor(name, "index", index)
    if index.numel():
        _index_dtype(name, index, (dt.int64, dt.int32), RuntimeError,
                     "{name}(): Expected dtype int32/int64 for index, but got {dtype}")
    common_device((self, index, src), cpu_scalars=False)
    sshape = _shape1(self)[0]
    ishape = _shape1(index)[0]
    dim = wrap_dim(dim, len(sshape))
    if len(ishape) != len(sshape) and index.numel():  # (torch checks no shape of an empty index)
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as {'input' if src is None else 'self'} "
            f"tensor (index has {index.dim()}, {'input' if src is None else 'self'} has {self.dim()})")
    if index.numel():
        src_shape = _shape1(src)[0] if isinstance(src, Tensor) else None
        if src_shape is not None and len(src_shape) != len(ishape):
            raise RuntimeError(f"Index tensor must have the same number of dimensions as src tensor "
                               f"(index has {index.dim()}, src has {src.dim()})")
        for d in range(len(ishape)):
            too_big = (d != dim and ishape[d] > sshape[d]) or (src_shape is not None and ishape[d] > src_shape[d])
            if too_big:
                detail = "" if src_shape is None else f" and to be no larger size than src {list(src._shape)}"
                raise RuntimeError(
                    f"Size does not match at dimension {d}: expected index {list(index._shape)} to be no "
                    f"larger than self {list(self._shape)} apart from dimension {dim}{detail}")
        size = sshape[dim]
        check_range(host_array(index), size, lambda v: (
            f"{name}(): index {v} is out of bounds for dimension {dim} with size {size}"),
            negative=False, error=RuntimeError)
    if index.dtype is not dt.int64:
        index = index.to(dt.int64)
    return dim, index


def _operand(t):
    shape, st = _shape1(t)
    return (t._storage, t._offset, st)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` (for dim=1): values picked along `dim`."""
    if out is None and type(input) is Tensor and type(index) is Tensor and type(dim) is int:
        fast = _fast_pick("gather_rows", input, dim, index, index._shape)  # (its plan checks the shapes)
        if fast is not None:
            return fast
    dim, index = _along_dim_checks("gather", input, dim, index)
    result = empty_tensor(index._shape, input.dtype, input.device)
    if not index.numel():  # (nothing to pick; the index may have fewer dimensions than input)
        return result_or_out(result, out, "gather", (input, index))
    backend_for(input.device).gather("along_dim", _operand(result), _operand(index), _operand(input),
                                     _shape1(index)[0], dim, True)
    return result_or_out(result, out, "gather", (input, index))


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    """Write `src` (a tensor, or a number) into self at ``self[...index[i][j]...]`` along
    `dim`; ``reduce='add'`` / ``'multiply'`` combine with the values already there."""
    if src is None:
        src = value
    if reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce!r}.")
    return _scatter(self, dim, index, src, _REDUCE[reduce], "scatter")


def _scatter(self, dim, index, src, mode, name):
    if (type(self) is Tensor and type(dim) is int and type(index) is Tensor
            and len(index._shape) == len(self._shape) and -len(self._shape) <= dim < len(self._shape)
            and fast_scatter(self, dim, index, src, mode)):
        return self
    if isinstance(src, Tensor):
        if src.dtype is not self.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype "
                               f"(got {self.dtype.c_name} and {src.dtype.c_name})")
    elif not isinstance(src, (numbers.Number, np.generic)):
        raise TypeError(f"{name}(): src must be a Tensor or a number, got {type(src).__name__}")
    dim, index = _along_dim_checks(name, self, dim, index, src)
    check_writable(self)
    if isinstance(src, Tensor):
        src = _read_apart(self, src)
    index = _read_apart(self, index)

    if not index.numel():
        return self  # (nothing to write; the index may have fewer dimensions than self)

    def run(dst, val):
        ishape = _shape1(index)[0]
        plain = _operand(val) if isinstance(val, Tensor) else (
            scalar_storage(val, dst.dtype, dst.device), 0, (0,) * len(ishape))
        backend_for(dst.device).gather("along_dim", plain, _operand(index), _operand(dst), ishape, dim, False, mode)

    if mode == COPY:
        run(self, src)
    else:
        arith(self, src, run)
    return self


def _read_apart(self, other):
    """`other`, a tensor an index writer into self reads, as the writer may read it: torch's
    assert_no_overlap raises when their memory overlaps (``y.index_add_(0, i, y)``); an
    overlap it cannot classify (strided views) is read from a copy."""
    if _overlaps(other, self) and refuse_overlap(self, other, full=True):
        return other.clone()
    return other


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """Out-of-place ``scatter_``: a copy of `input` with `src` written along `dim`."""
    return scatter_(_row_major_copy(input), dim, index, src, value, reduce=reduce)


def scatter_add_(self, dim, index, src):
    """Add the values of `src` into self at the positions `index` gives along `dim`
    (duplicates accumulate)."""
    _require_tensor("scatter_add", "src", src)
    return _scatter(self, dim, index, src, ADD, "scatter_add")


def scatter_add(input, dim, index, src):
    """Out-of-place ``scatter_add_``."""
    return scatter_add_(_row_major_copy(input), dim, index, src)


_SCATTER_REDUCE = ("sum", "prod", "mean", "amax", "amin")


def _reduce_identity(reduce, d):
    """The value a position starts from when ``include_self=False`` discards self's value."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if d is dt.bool:
        return reduce == "amin"
    if d.is_floating_point:
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(d.np)
    return int(info.min if reduce == "amax" else info.max)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """Reduce the values of `src` into self at the positions `index` gives along `dim`:
    ``reduce`` is 'sum', 'prod', 'mean', 'amax' or 'amin'; with ``include_self=False`` the
    values already in self at those positions take no part. Integer means round down."""
    _require_tensor("scatter_reduce", "src", src)
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch's older names, still taken
    if reduce not in _SCATTER_REDUCE:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if src.dtype is not self.dtype:
        raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype "
                           f"(got {self.dtype.c_name} and {src.dtype.c_name})")
    if reduce == "mean" and self.dtype is dt.bool:
        raise NotImplementedError('"scatter_gather_tensor_cpu_reduce_mean" not implemented for \'Bool\'')
    dim, index = _along_dim_checks("scatter_reduce", self, dim, index, src)  # every index checked here
    check_writable(self)
    if index.numel() == 0:
        return self
    src, index = _read_apart(self, src), _read_apart(self, index)
    if not include_self:
        _scatter(self, dim, index, _reduce_identity(reduce, self.dtype), COPY, "scatter_reduce")
    if reduce in ("sum", "mean", "prod"):
        _scatter(self, dim, index, src, MUL if reduce == "prod" else ADD, "scatter_reduce")
    else:  # on the host: NumPy's unbuffered maximum/minimum
        ishape = _shape1(index)[0]
        target = list(np.indices(ishape, sparse=True))
        target[dim] = host_array(index).reshape(ishape)
        values = host_array(src).reshape(_shape1(src)[0])[tuple(slice(0, n) for n in ishape)]
        ufunc = np.maximum if reduce == "amax" else np.minimum
        with np.errstate(invalid="ignore"), on_host(self) as dst:  # NaN propagates
            ufunc.at(dst.reshape(_shape1(self)[0]), tuple(target), values)
    if reduce == "mean":
        count = empty_tensor(self._shape, dt.int64, self.device).fill_(1 if include_self else 0)
        _scatter(count, dim, index, empty_tensor(index._shape, dt.int64, self.device).fill_(1), ADD,
                 "scatter_reduce")
        count = masked_fill(count, count.eq(0), 1)
        self.copy_(self.div(count, rounding_mode=None if self.dtype.is_floating_point else "floor"))
    return self


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Out-of-place ``scatter_reduce_``."""
    return scatter_reduce_(_row_major_copy(input), dim, index, src, reduce, include_self=include_self)


# --------------------------------------------------------------------------- take
def take(input, index):
    """The elements of `input` seen as 1-D at the (possibly negative) positions `index`;
    the result has index's shape."""
    _index_dtype("take", index, (dt.int64,), RuntimeError,
                 "{name}(): Expected a long tensor for index, but got {dtype}")
    common_device((input, index), cpu_scalars=False)
    flat = input.reshape(-1)
    n = flat._shape[0]
    table = int64_table(host_array(index))
    if n == 0 and table.size:
        raise IndexError("take(): tried to take from an empty tensor")
    lo = check_range(table, n, lambda v: f"out of range: tried to access index {v} on a tensor of {n} elements.")
    result = empty_tensor(index._shape, input.dtype, input.device)
    backend_for(input.device).gather(
        "indexed", (result._storage, 0, ((), (1,) if index._shape else (), ()), None),
        (flat._storage, flat._offset, ((), (), ()), (table, flat._strides[0], n if lo < 0 else 0)),
        (), (table.shape[0],), ())
    return result


# --------------------------------------------------------------------------- index_add/copy/fill
def _source_checks(name, self, dim, table, source):
    _require_tensor(name, "source", source)
    if dim and dim >= len(source._shape):
        raise RuntimeError(f"{name}(): Indexing dim {dim} is out of bounds of the source tensor with dim "
                           f"{len(source._shape)}")
    if not source._shape and table.shape[0] != 1:  # (torch reads source.size(dim) then)
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    sshape = _shape1(source)[0]
    if table.shape[0] != sshape[dim]:
        raise RuntimeError(f"{name}(): Number of indices ({table.shape[0]}) should be equal to "
                           f"source.size(dim): ({sshape[dim]}), for dim: {dim}")
    if (len(self._shape) != len(source._shape)
            or any(a != b for d, (a, b) in enumerate(zip(self._shape, source._shape)) if d != dim)):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(self._shape)} source.shape = {list(source._shape)}")


def _copy_ranks(self, index, source):
    """index_copy_'s first checks, as torch orders them (before the index's dtype): the ranks
    of the index, and of a source that is a scalar or of another rank than self."""
    _require_tensor("index_copy_", "source", source)
    if type(index) is Tensor and len(index._shape) >= 2:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {len(index._shape)})")
    n = index.numel() if type(index) is Tensor else None
    if not source._shape and n is not None and n != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {n})")
    if source._shape and self._shape and len(source._shape) != len(self._shape):
        raise IndexError("index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({len(source._shape)}), destination dimensionality "
                         f"({len(self._shape)})")


def _copy_slices(self, dim, table, source):
    """index_copy_'s shape checks (torch's messages): self and source alike but along `dim`
    (a scalar's slice is empty), and one index per source slice."""
    def sliced(shape):
        return [size for d, size in enumerate(shape) if d != dim]
    if sliced(self._shape) != sliced(source._shape):
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: "
            f"{' '.join(map(str, sliced(self._shape)))} at dimension {dim} and source slice shape: "
            f"{' '.join(map(str, sliced(source._shape)))} at dimension 0.")
    if source._shape and table.shape[0] != source._shape[dim]:
        raise IndexError(f"index_copy_(): Number of indices ({table.shape[0]}) should be equal to source.size(dim) "
                         f"({source._shape[dim]})")


def _prepare(name, self, dim, index, dtypes, dtype_error, negative, range_error, source=None, shape_checks=None):
    """(dim wrapped, the index's values as an int64 array) of an index writer, checked in
    torch's order: the index's dtype, the devices, the index's rank, `shape_checks(dim,
    table)` when given, then the index's values."""
    _index_dtype(name, index, dtypes, dtype_error[0], dtype_error[1])
    common_device((self, index, source), cpu_scalars=False)
    table = _vector(name, index, RuntimeError, "Index has to be a vector/scalar" if name == "index_fill_"
                    else "{name}(): Index is supposed to be a vector")
    shape = _shape1(self)[0]
    dim = wrap_dim(dim, len(shape))
    size = shape[dim]
    if shape_checks is not None:
        shape_checks(dim, table)
    if self.numel():  # an empty self: torch reads no index (the callers return before any kernel)
        check_range(table, size, lambda v: f"{name}(): index {v} is out of bounds for dimension {dim} with size {size}",
                    negative=negative, error=range_error)
    return dim, table


def index_add_(self, dim, index, source, *, alpha=1):
    """``self[..., index[i], ...] += alpha * source[..., i, ...]`` along `dim` (duplicates add up)."""
    dim, table = _prepare("index_add_", self, dim, index, (dt.int64, dt.int32),
                          (RuntimeError, "{name}(): Expected dtype int32/int64 for index but got: {dtype}"),
                          False, RuntimeError, source,
                          lambda d, table: _source_checks("index_add_", self, d, table, source))
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_add_(): self ({self.dtype.c_name}) and source ({source.dtype.c_name}) "
                           "must have the same scalar type")
    check_writable(self)
    if not self.numel():
        return self  # nothing to write (the index values were not checked: see _prepare)
    if _overlaps(index, self):
        refuse_overlap(self, index, full=True)  # (its values are read already: torch's check only)
    source = _read_apart(self, source)
    if alpha != 1:
        if not self.dtype.is_floating_point and isinstance(alpha, float):
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        scaled = np.multiply(host_array(source), alpha, dtype=source.dtype.np, casting="unsafe")
        source = _wrap(scaled, source.dtype, source.device)
    shape = _shape1(self)[0]
    arith(self, source, lambda dst, src: backend_for(dst.device).gather(
        "indexed", _dim_side(dst, dim, (table, 0)), _dim_side(src, dim), shape[:dim], table.shape,
        shape[dim + 1:], ADD))
    return self


def index_copy_(self, dim, index, source):
    """``self[..., index[i], ...] = source[..., i, ...]`` along `dim`."""
    _copy_ranks(self, index, source)
    dim, table = _prepare("index_copy_", self, dim, index, (dt.int64,),
                          (RuntimeError, "{name}(): Expected a long tensor for index, but got {dtype}"),
                          False, IndexError, source, lambda d, table: _copy_slices(self, d, table, source))
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got "
                           f"(self) {self.dtype.c_name} and (source) {source.dtype.c_name}")
    check_writable(self)
    if not self.numel():
        return self  # nothing to write (the index values were not checked: see _prepare)
    if _overlaps(index, self):
        refuse_overlap(self, index, full=True)  # (its values are read already: torch's check only)
    source = _read_apart(self, source)
    shape = _shape1(self)[0]
    backend_for(self.device).gather("indexed", _dim_side(self, dim, (table, 0)), _dim_side(source, dim),
                                    shape[:dim], table.shape, shape[dim + 1:])
    return self


def index_fill_(self, dim, index, value):
    """Set the slices of self at positions `index` (negative allowed) along `dim` to `value`."""
    dim, table = _prepare("index_fill_", self, dim, index, (dt.int64,),
                          (IndexError, "{name}(): Expected dtype int64 for index, but got {dtype}."),
                          True, IndexError)
    value = _scalar_value("index_fill_", value)
    checked_scalar(value, self.dtype, strict_half=True)  # torch's index_fill_ refuses 1e5 in half
    _check_writable_aliased(self, "index_fill_", "tensor[mask] = scalar")  # torch writes an expanded self
    if not self.numel():
        return self  # nothing to write (the index values were not checked: see _prepare)
    shape = _shape1(self)[0]
    backend_for(self.device).gather("indexed", _dim_side(self, dim, (table, shape[dim])),
                                    _scalar_side(value, self.dtype, self.device, len(shape), dim),
                                    shape[:dim], table.shape, shape[dim + 1:])
    return self


def index_add(input, dim, index, source, *, alpha=1):
    """Out-of-place ``index_add_``."""
    return index_add_(_row_major_copy(input), dim, index, source, alpha=alpha)


def index_copy(input, dim, index, source):
    """Out-of-place ``index_copy_``."""
    return index_copy_(_row_major_copy(input), dim, index, source)


def index_fill(input, dim, index, value):
    """Out-of-place ``index_fill_``."""
    return index_fill_(input.clone(), dim, index, value)


forms.functions(__all__, globals())
forms.methods(_METHODS, globals())


def _row_major_copy(input):
    """The copy an out-of-place writer starts from: row-major, as torch's (scatter, scatter_add,
    scatter_reduce, index_add, index_copy, index_reduce and masked_scatter return a
    contiguous result even for a transposed input; index_fill, index_put and put keep its
    layout)."""
    return input.clone(memory_format=contiguous_format)
