"""Ops that write values into positions of a tensor: ``fill_diagonal_``, ``masked_scatter``,
``put``, ``index_reduce``, the ``*_scatter`` ops (``diagonal_scatter``, ``select_scatter``,
``slice_scatter``: a copy of the input with a view of it replaced) and ``resize_``.

Every position is checked before anything is written (no index reaches a kernel
unchecked); the writes go through the tensor methods (views, ``fill_``, ``copy_``,
``index_put_``, ``__setitem__``, ``scatter_reduce_``), so they run on every device.
``fill_diagonal_``, ``masked_scatter`` and ``put`` call the installed forms (autograd lists
them as composite); the ``*_scatter`` ops have rules of their own (``autograd/writer_rules.py``).
"""
import warnings

from nbtensor.core import dtype as dt
from nbtensor.core.layout import format_strides, memory_format_argument, preserve_format, suggest_memory_format
from nbtensor.core.plan import broadcast_shapes, contiguous_strides
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.out import _grow_storage
from nbtensor.dispatch.tensor import Tensor, _numel, check_writable, wrap_dim
from nbtensor.ops.selecting import _row_major_copy, scatter_reduce_
from nbtensor.ops.views import parse_sizes

__all__ = ["masked_scatter", "put", "index_reduce", "diagonal_scatter", "select_scatter", "slice_scatter",
           "resize_as_"]
_METHODS = __all__ + ["fill_diagonal_", "masked_scatter_", "put_", "index_reduce_", "resize_"]


# ---------------------------------------------------------------- fill_diagonal_
def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (all indices equal) with `fill_value`; a tall 2-D matrix with
    `wrap` restarts the diagonal every ``columns + 1`` rows, as torch's (and NumPy's)."""
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.dim() > 2 and len(set(self._shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    diagonal = self.diagonal(0, 0, 1)
    while diagonal.dim() > 1:  # (the diagonal of the remaining dims is the last one)
        diagonal = diagonal.diagonal(0, 0, -1)
    diagonal.fill_(fill_value)
    rows, columns = self._shape[0], self._shape[1]
    if wrap and self.dim() == 2 and rows > columns + 1:
        for start in range(columns + 1, rows, columns + 1):
            self.narrow(0, start, rows - start).diagonal().fill_(fill_value)
    return self


# ---------------------------------------------------------------- masked_scatter
def _masked_scatter_checks(self, mask, source):
    if not isinstance(mask, Tensor) or not isinstance(source, Tensor):
        bad, name = (mask, "mask") if not isinstance(mask, Tensor) else (source, "source")
        raise TypeError(f"masked_scatter_(): argument '{name}' must be Tensor, not {type(bad).__name__}")
    if mask.dtype is not dt.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype.c_name}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{self.dtype.c_name} and {source.dtype.c_name}")


def masked_scatter_(self, mask, source):
    """Write the first elements of `source` (row-major) into `self` where `mask` (bool,
    broadcast to self's shape) is True, in row-major order; returns `self`."""
    _masked_scatter_checks(self, mask, source)
    check_writable(self)  # (an expanded self: torch refuses, where setitem below only warns)
    mask = mask.expand(self._shape)
    count = int(mask.sum())
    if source.numel() < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if count:
        self[mask] = source.reshape(-1).narrow(0, 0, count)
    return self


def masked_scatter(input, mask, source):
    """Out-of-place ``masked_scatter_``; `input` and `mask` broadcast together."""
    _masked_scatter_checks(input, mask, source)
    shape = broadcast_shapes(input._shape, mask._shape)
    result = _row_major_copy(input) if shape == input._shape else input.expand(shape).contiguous()
    return masked_scatter_(result, mask, source)


# ---------------------------------------------------------------- put
def put_(self, index, source, accumulate=False):
    """Write `source` into `self` seen as 1-D (row-major) at the positions `index` (negative
    ones count from the end); with `accumulate`, add it there (repeats add up)."""
    if index.dtype is not dt.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {index.dtype.c_name}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{self.dtype.c_name} and source.dtype = {source.dtype.c_name}")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    check_writable(self)
    n = self.numel()
    if index.numel() == 0:
        return self
    flat = index.reshape(-1)
    for bad in (flat.min().item(), flat.max().item()):
        if not -n <= bad < n:
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = flat.remainder(n)  # (negative positions from the end)
    coordinates = []
    for size in reversed(self._shape):  # row-major position -> one index per dimension
        coordinates.append(flat.remainder(size))
        flat = flat.div(size, rounding_mode="floor")
    return self.index_put_(tuple(reversed(coordinates)), source.reshape(-1), accumulate)


def put(input, index, source, accumulate=False):
    """Out-of-place ``put_``."""
    return put_(input.clone(), index, source, accumulate)


# ---------------------------------------------------------------- index_reduce
_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    """Reduce the slices of `source` along `dim` into the slices of `self` that `index`
    names: `reduce` is 'prod', 'mean', 'amax' or 'amin'; with ``include_self=False`` the
    values of self at the named slices take no part (integer means round down)."""
    warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=2)
    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                           f"{reduce}.")
    if not isinstance(index, Tensor) or index.dtype not in (dt.int64, dt.int32):
        got = index.dtype.c_name if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {got}")
    if index.dim() > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {index.dim()} with "
                         f"type: {index.dtype.c_name} and size: {list(index._shape)}")
    d = wrap_dim(dim, max(self.dim(), 1))
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_reduce_(): self ({self.dtype.c_name}) and source ({source.dtype.c_name}) must "
                           "have the same scalar type")
    outer = [n for i, n in enumerate(self._shape) if i != d]
    if source.dim() != self.dim() or [n for i, n in enumerate(source._shape) if i != d] != outer:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(self._shape)} source.shape = {list(source._shape)}")
    along = source._shape[d] if source.dim() else 1
    if index.numel() != along:
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({along}), for dim: {d}")
    if index.numel():
        size = self._shape[d] if self.dim() else 1
        low, high = index.min().item(), index.max().item()
        if low < 0 or high >= size:
            raise IndexError("index out of range in self")
    positions = [1] * self.dim()
    if self.dim():
        positions[d] = -1
    spread = index.to(dt.int64).reshape(positions).expand(source._shape)
    return scatter_reduce_(self, d, spread, source, reduce, include_self=include_self)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Out-of-place ``index_reduce_``."""
    return index_reduce_(_row_major_copy(input), dim, index, source, reduce, include_self=include_self)


# ---------------------------------------------------------------- the *_scatter ops
def _scattered(input, view, src):
    """A copy of `input` with the elements `view` (a function of the copy) picks replaced
    by `src`, which must have the view's shape (cast to input's dtype, as torch's copy)."""
    result = input.clone()
    target = view(result)
    if target._shape != src._shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._shape)}, slice size = {list(target._shape)}")
    target.copy_(src)
    return result


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of `input` with its diagonal (``input.diagonal(offset, dim1, dim2)``) replaced by `src`."""
    return _scattered(input, lambda t: t.diagonal(offset, dim1, dim2), src)


def select_scatter(input, src, dim, index):
    """A copy of `input` with the slice ``input.select(dim, index)`` replaced by `src`."""
    return _scattered(input, lambda t: t.select(dim, index), src)


def _slice_view(t, dim, start, end, step):
    """``t[..., start:end:step]`` along `dim` (None: the whole dimension; ends clamped as a
    Python slice's)."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = wrap_dim(dim, max(t.dim(), 1))
    size = t._shape[d]
    first, stop, _ = slice(start, end).indices(size)
    length = max(0, -(-(stop - first) // step))
    view = t.narrow(d, first, stop - first if stop > first else 0)
    if step == 1 or length == 0:
        return view.narrow(d, 0, length) if length != view._shape[d] else view
    index = [slice(None)] * t.dim()
    index[d] = slice(None, None, step)
    return view[tuple(index)]


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of `input` with the slice ``start:end:step`` of dimension `dim` replaced by `src`."""
    return _scattered(input, lambda t: _slice_view(t, dim, start, end, step), src)


# ---------------------------------------------------------------- resize_
def resize_(self, *sizes, memory_format=None):
    """Give `self` the shape `sizes`, keeping its memory and offset: the elements it already
    had keep their values; memory that is too small grows (where nothing else refers to it;
    otherwise RuntimeError). A new shape is laid out row-major, or in `memory_format` (given,
    it also lays out an unchanged shape); an unchanged shape keeps its strides. Tensors that
    require grad cannot be resized, as in torch."""
    shape = parse_sizes(sizes)
    fmt = None if memory_format is None else memory_format_argument(memory_format, "resize_")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    for n in shape:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    if fmt is None:
        if shape == self._shape:
            return self
        strides = contiguous_strides(shape)
    elif fmt is preserve_format:
        raise RuntimeError("Unsupported memory formatPreserve")
    else:
        strides = format_strides(shape, fmt)  # (torch's error for the rank, before anything changes)
    n = _numel(shape)
    if n and self._offset + n > self._storage.shape[0]:
        check_writable(self, internal_overlap=False)
        _grow_storage(self, shape, self._offset + n)
    self._shape, self._strides, self._contig = shape, strides, None
    return self


def resize_as_(input, the_template, *, memory_format=None):
    """``input.resize_(the_template.shape)``; with `memory_format`, laid out in it
    (preserve_format: in the one `the_template` suggests)."""
    if memory_format is None:
        return resize_(input, the_template._shape)
    fmt = memory_format_argument(memory_format, "resize_as_")
    if fmt is preserve_format:
        fmt = suggest_memory_format(the_template._shape, the_template._strides)
    return resize_(input, the_template._shape, memory_format=fmt)


forms.functions(__all__, globals())
forms.methods(_METHODS, globals())
