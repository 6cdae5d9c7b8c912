"""``x[index]`` and ``x[index] = value``.

Basic indices (ints, slices with positive steps, None, ...) produce views by stride
arithmetic. Integer tensors, lists, arrays and bool masks select copies (advanced
indexing, in advanced_indexing.py).
"""
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.core.plan import numel as _numel, remember
from nbtensor.dispatch.tensor import (Tensor, _overlaps, check_no_partial_overlap, check_writable, copy_into, make_view,
                                      same_data, scalar_storage, view_of)
from nbtensor.ops import advanced_indexing
from nbtensor.ops.indexcheck import check_value, slice_bounds
from nbtensor.ops.views import expand
from nbtensor.dispatch import dispatcher as forms


def _is_advanced(item):
    # Sequences inside an index (a list, a range, a tuple within the index tuple) select.
    if isinstance(item, (Tensor, np.ndarray, list, range, tuple)):
        return True
    return isinstance(item, (bool, np.bool_))


def _ellipsis_dims(items, ndim):
    consumed = ellipses = 0
    for it in items:
        if it is Ellipsis:
            ellipses += 1
        elif it is not None:
            consumed += 1
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    return ndim - consumed


def basic_view(t, items, key=None):
    """The view selected by basic index items (no tensors, lists or bools among them);
    `key`: `_basic_key(items)`, when the caller has it."""
    if key is None:
        key = _basic_key(items)
        if key is None:  # (an item given by __index__, a slice of such bounds: not remembered)
            offset, shape, strides = _basic_plan(t._shape, t._strides, items)
            return view_of(t, t._offset + offset, shape, strides)
    memo_key = (t._shape, t._strides, key)
    plan = _BASIC_PLANS.get(memo_key)
    if plan is None:  # (an index that raises is not remembered: it raises at each call)
        plan = remember(_BASIC_PLANS, memo_key, _basic_plan(t._shape, t._strides, items))
    offset, shape, strides = plan
    return view_of(t, t._offset + offset, shape, strides)


# (shape, strides, `_basic_key` of the index) -> `_basic_plan`'s (offset, shape, strides)
_BASIC_PLANS = {}


def _basic_key(items):
    """A hashable stand-in for basic index `items` made of ints, None, Ellipsis and slices
    whose bounds are ints or None (a slice is not hashable); None for any other item."""
    key = []
    for it in items:
        kind = type(it)
        if kind is slice:
            a, b, c = it.start, it.stop, it.step
            if ((a is None or type(a) is int) and (b is None or type(b) is int)
                    and (c is None or type(c) is int)):
                key.append((a, b, c))
                continue
            return None
        if kind is int or it is None or it is Ellipsis:
            key.append(it)
            continue
        return None
    return tuple(key)


def _basic_plan(shape_in, strides_in, items):
    """(offset from the tensor's, shape, strides) of the view that basic index `items` select
    from a tensor of `shape_in` and `strides_in`; torch's IndexError for a bad item."""
    ndim = len(shape_in)
    fill = _ellipsis_dims(items, ndim)
    shape, strides = [], []
    offset = 0
    d = 0
    for item in items:
        if item is None:
            # torch unsqueezes here: the new dimension's stride spans the next remaining
            # dimension (size * stride), or 1 at the end, so strides match torch's.
            shape.append(1)
            strides.append(shape_in[d] * strides_in[d] if d < ndim else 1)
        elif item is Ellipsis:
            shape.extend(shape_in[d:d + fill])
            strides.extend(strides_in[d:d + fill])
            d += fill
        elif type(item) is slice:
            if item.start is None and item.stop is None and item.step is None:
                shape.append(shape_in[d])  # `:` keeps the dimension as it is
                strides.append(strides_in[d])
            else:
                start, length, step = slice_bounds(item, shape_in[d])
                offset += start * strides_in[d]  # (an empty slice too: torch's storage_offset)
                shape.append(length)
                strides.append(strides_in[d] * step)
            d += 1
        else:
            try:
                i = item if type(item) is int else item.__index__()
            except (AttributeError, TypeError):
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                    f"are valid indices (got {type(item).__name__})") from None
            size = shape_in[d]
            if i < -size or i >= size:
                raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")
            offset += (i + size if i < 0 else i) * strides_in[d]
            d += 1
    shape.extend(shape_in[d:])
    strides.extend(strides_in[d:])
    return offset, tuple(shape), tuple(strides)


_BASIC_TYPES = frozenset((int, slice, type(None), type(Ellipsis)))


def _has_advanced(items):
    for it in items:
        if type(it) not in _BASIC_TYPES and _is_advanced(it):
            return True
    return False


def _integer_scalars(items):
    """`items` with 0-d integer tensors replaced by Python ints and 0-d bool (or uint8)
    tensors by Python bools: torch indexes with them as with those numbers (an int selects,
    a bool adds a dimension of size 1 or 0), so the tensor's memory is not an index that
    could overlap the destination."""
    return tuple(_scalar_index(it) if type(it) is Tensor and not it._shape and not it.dtype.is_floating_point
                 else it for it in items)


def _scalar_index(t):
    value = t._element()
    return bool(value) if t.dtype in (dt.bool, dt.uint8) else int(value)


def _as_read(items):
    """(items, advanced) for index `items` holding something beyond ints and slices: the
    items as torch reads them (0-d integer tensors as numbers, a lone list as a tuple), and
    whether any of them still indexes advanced."""
    while True:
        items = _integer_scalars(items)
        if not _has_advanced(items):
            return items, False
        retry = advanced_indexing.as_torch_reads(items)
        if retry is None:
            return items, True
        items = retry
        if not _has_advanced(items):
            return items, False


def getitem(t, index):
    """``t[index]``: a view for basic indices, a copy for advanced ones."""
    if type(index) is int:  # (``x[i]``, a loop's common index: no parse)
        shape = t._shape
        if shape and -shape[0] <= index < shape[0]:
            return view_of(t, t._offset + index % shape[0] * t._strides[0], shape[1:], t._strides[1:])
    if type(index) is Tensor:
        picked = advanced_indexing.pick_rows(t, index)
        if picked is not None:
            return picked
        items = (index,)
    else:
        items = index if type(index) is tuple else (index,)
        key = _basic_key(items)
        if key is not None:  # (ints, slices, None, ...: a view by a plan remembered per index)
            return basic_view(t, items, key)
    if _has_advanced(items):
        items, advanced = _as_read(items)
        if advanced:
            return advanced_indexing.advanced_getitem(t, items)
    return basic_view(t, items)


def _fill_row(t, i, value):
    """``t[i] = number`` for a contiguous CPU tensor `t` (a training loop's ``m[3] = 0``): the
    row is made directly (no parse of the index) and filled by `copy_into`; False (nothing
    written) for any other tensor. torch's order of checks: the value's conversion, then
    the index."""
    store = t._storage
    if (type(store) is not np.ndarray or not t._shape or not (t._contig or t._contig is None and t.is_contiguous())
            or not store.flags.writeable):
        return False
    scalar_storage(value, t.dtype)  # (refuses a value the dtype cannot hold, before the index)
    size = t._shape[0]
    if i < -size or i >= size:
        raise IndexError(f"index {i} is out of bounds for dimension 0 with size {size}")
    shape = t._shape[1:]
    start = t._offset + (i + size if i < 0 else i) * _numel(shape)
    copy_into(make_view(store, start, shape, t._strides[1:], t.dtype, True), value)
    return True


def _copy_source(target, value):
    """`value` as torch's copy_to hands it to copy_ for ``t[basic] = value``: as given when
    it has the target's shape, else without its leading size-1 dims and expanded to the
    target's shape with torch's strides. None for a 0-d value (it fills) and for one that
    cannot expand (the copy raises torch's shape error)."""
    if value._shape == target._shape:
        return value
    if not value._shape:
        return None
    k = 0
    while k < len(value._shape) and value._shape[k] == 1:
        k += 1
    try:
        return expand(make_view(value._storage, value._offset, value._shape[k:], value._strides[k:], value.dtype),
                      target._shape)
    except RuntimeError:
        return None


def _check_setitem_number(t, value):
    """torch's parsing of the number of ``t[index] = value`` (before anything else): an int
    (a NumPy one too) must fit int64, and a NumPy float other than float64 (which is a
    Python float) or a NumPy bool is refused."""
    if type(value) is int or isinstance(value, np.integer):
        if not -2**63 <= int(value) < 2**63:
            raise ValueError("Overflow when unpacking long long")
    elif isinstance(value, (np.floating, np.bool_)) and not isinstance(value, float):
        raise TypeError(f"can't assign a numpy.{type(value).__name__} to a torch.{t.dtype.c_name}Tensor")


def setitem(t, index, value):
    """``t[index] = value``, written into `t`'s memory."""
    if type(value) is not float and type(value) is not Tensor:
        _check_setitem_number(t, value)
    if type(index) is int and (type(value) is float or type(value) is int) and _fill_row(t, index, value):
        return
    items = index if type(index) is tuple else (index,)
    if _has_advanced(items):
        items, advanced = _as_read(items)
        if advanced:
            advanced_indexing.advanced_setitem(t, items, value)
            return
    try:
        target = basic_view(t, items)
    except (IndexError, ValueError):  # (an index out of range, a slice step below 1)
        check_value(t, value)  # torch checks the value before it reads the index
        raise
    if isinstance(value, Tensor):
        source = _copy_source(target, value) if _overlaps(target, value) else None
        if source is not None and same_data(target, source):
            return  # (x[:] = x, or x[...] = x[0] of an expanded x: torch's copy_ skips them)
        check_writable(target)
        if source is not None:
            # copy_'s partial-overlap check: x[1:4] = x[0:3] is refused; an expanded value
            # is not dense, so torch cannot tell and the value is read from a copy
            check_no_partial_overlap(target, source)
        # torch lets a value with extra leading size-1 dimensions fill a smaller target.
        while value.dim() > target.dim() and value._shape[0] == 1:
            value = value.squeeze(0)
    else:
        check_writable(target)
        if not isinstance(value, numbers.Number):
            value = check_value(t, value)
    copy_into(target, value)


forms.method("__getitem__", getitem)
forms.method("__setitem__", setitem)
