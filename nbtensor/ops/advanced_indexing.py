"""Advanced indexing: ``x[idx]``, ``x[mask]``, ``x[idx] = v`` and ``index_put_``.

torch's rules (those of NumPy, except that integers and 0-d integer tensors are plain
``select``\\ s applied first):
- integer tensors, lists and NumPy integer arrays index one dimension each; they broadcast
  together to a shape B; a bool mask of k dimensions stands for the k integer arrays of its
  ``nonzero()``; a Python bool (or 0-d bool tensor) adds a dimension indexed by [0] / [];
- the result has the dimensions before the indexed ones, then B, then those after, when the
  indexed dimensions are adjacent; otherwise B comes first;
- reads return copies; writes store into the tensor's memory, the value broadcast to the
  result shape.

Slices, None, ``...`` and integers are applied as views first; the remaining work is one
pre x B x post copy by the gather primitive of the tensor's backend. Index values are read on
the host (`host_array`: on the CPU the index's own memory); index tensors may be on the CPU or
on the indexed tensor's device, as in torch.
"""
import numbers
import warnings

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.base import backend_for
from nbtensor.backends.base import ADD, COPY
from nbtensor.ops.indexcheck import check_range, check_value, index_array, int64_table, slice_bounds
from nbtensor.core.layout import strides_by_inputs
from nbtensor.core.plan import broadcast_shapes, broadcast_strides, contiguous_strides
from nbtensor.dispatch.tensor import (Tensor, _numel, _overlap_error, _overlaps, allocate, check_writable, checked_scalar,
                      common_device, copy_into, has_internal_overlap, make, make_view, refuse_overlap,
                      scalar_storage)
from nbtensor.ops.pick import fast_index_put, fast_pick, fast_put, row_major_cpu
from nbtensor.ops.views import view_strides
from nbtensor.dispatch import dispatcher as forms

__all__ = ["advanced_getitem", "advanced_setitem", "index_put_", "index_put", "parse", "arith"]


def _as_tuple(items):
    """torch treats a lone list holding sequences, tensors, slices, None or ... as a tuple."""
    if len(items) == 1 and isinstance(items[0], list) and len(items[0]) < 32:
        seq = items[0]
        if any(isinstance(e, (list, tuple, Tensor, np.ndarray, slice)) or e is None or e is Ellipsis
               for e in seq):
            return tuple(seq)
    return items


def _classify(item, device):
    """(kind, payload): kind in none, ellipsis, slice, int, bool, mask, index (an index of a
    tensor on `device`)."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, slice):
        return "slice", item
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, (Tensor, np.ndarray, list, range, tuple)):
        arr, kind = index_array(item, device)
        if arr.ndim == 0:
            return ("bool", bool(arr)) if kind == "mask" else ("int", int(arr))
        return ("mask" if kind == "mask" else "index"), arr
    try:
        return "int", item.__index__()
    except (AttributeError, TypeError):
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
            f"indices (got {type(item).__name__})") from None


def _consumed(kind, payload):
    if kind in ("slice", "int", "index"):
        return 1
    if kind == "mask":
        return payload.ndim
    return 0


class Plan:
    """A parsed advanced index: the view left after basic items, the positions of the indexed
    dimensions in it, their index arrays (validated), and the result layout."""

    __slots__ = ("view", "dims", "arrays", "mins", "bshape", "front", "raw", "empty", "items", "mask_error",
                 "lead_mask_error")

    def identity(self):
        """Whether torch's basic indexing returns the tensor itself (only `...`, full slices)."""
        return all(k in ("index", "mask", "ellipsis") or
                   (k == "slice" and p.start in (None, 0) and p.stop is None and p.step in (None, 1))
                   for k, p in self.items)

    def check_dims(self):
        """torch's AdvancedIndex checks: each bool mask has the shape of the dims it indexes,
        and an indexed dimension of size 0 takes only an empty index."""
        if self.mask_error is not None:
            raise self.mask_error
        if 0 not in self.bshape and 0 in self.view._shape and any(self.view._shape[d] == 0 for d in self.dims):
            raise IndexError("index is out of bounds for dimension with size 0")
        return self

    def check(self):
        """Range-check the index values (IndexError as torch words it) unless the result has
        no elements: torch reads no index then, and neither does any kernel here (callers
        return before one runs when `empty` is set)."""
        self.empty = 0 in self.bshape or (0 in self.view._shape and _numel(self.result_shape()) == 0)
        if self.empty:
            self.mins = [0] * len(self.raw)
        else:
            shape = self.view._shape
            self.mins = [check_range(a, shape[d], _out_of_bounds(d, shape[d])) for d, a in zip(self.dims, self.raw)]
        return self

    def result_dims(self):
        """(pre dims, post dims) of the view around the broadcast index dims."""
        nd = len(self.view._shape)
        if self.front:
            return [], [d for d in range(nd) if d not in self.dims]
        return list(range(self.dims[0])), list(range(self.dims[-1] + 1, nd))

    def result_shape(self):
        pre, post = self.result_dims()
        shape = self.view._shape
        return tuple(shape[d] for d in pre) + self.bshape + tuple(shape[d] for d in post)

    def index(self):
        """The indexed side's mid level: (int64 table, stride, wrap) over B."""
        v = self.view
        if len(self.arrays) == 1:
            d = self.dims[0]
            return int64_table(self.arrays[0]), v._strides[d], v._shape[d] if self.mins[0] < 0 else 0
        lin = np.zeros(self.bshape, np.int64)
        for d, arr, lo in zip(self.dims, self.arrays, self.mins):
            a = arr.astype(np.int64, copy=False)
            if lo < 0:
                a = np.where(a < 0, a + v._shape[d], a)
            lin += a * v._strides[d]
        return lin.reshape(-1), 1, 0

    def strides_split(self, strides):
        """Split strides of the view's dims into (pre, post) lists."""
        pre, post = self.result_dims()
        return [strides[d] for d in pre], [strides[d] for d in post]


def parse(t, items, check=True):
    """Parse index `items` of tensor `t` into a Plan (IndexError on bad indices). The index
    values are range-checked unless `check` is false: then the caller runs ``plan.check()``
    (after its own checks, in torch's order) before anything reads them."""
    items = [_classify(it, t.device) for it in items]
    ndim = len(t._shape)
    consumed = sum(_consumed(k, p) for k, p in items)
    if sum(1 for k, _ in items if k == "ellipsis") > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    shape, strides, offset = [], [], t._offset
    dims, arrays = [], []
    mask_error = None  # raised by check_dims: torch checks overlap before a mask's shape
    lead_mask_error = None  # a mismatched mask before any other index tensor (see _leading_mask)
    d = 0
    for kind, payload in items:
        if kind == "none":  # torch's unsqueeze stride (it orders the result's layout)
            shape.append(1)
            strides.append(t._shape[d] * t._strides[d] if d < ndim else 1)
        elif kind == "ellipsis":
            fill = ndim - consumed
            shape.extend(t._shape[d:d + fill])
            strides.extend(t._strides[d:d + fill])
            d += fill
        elif kind == "slice":
            start, length, step = slice_bounds(payload, t._shape[d])
            if length:
                offset += start * t._strides[d]
            shape.append(length)
            strides.append(t._strides[d] * step)
            d += 1
        elif kind == "int":
            size = t._shape[d]
            i = payload
            if i < -size or i >= size:
                raise IndexError(_out_of_bounds(len(shape), size)(i))
            offset += (i + size if i < 0 else i) * t._strides[d]
            d += 1
        elif kind == "bool":
            dims.append(len(shape))
            arrays.append(np.zeros(1 if payload else 0, np.int64))
            shape.append(1)
            strides.append(0)
        elif kind == "mask":
            k = payload.ndim
            if mask_error is None:
                mask_error = _mask_mismatch(payload.shape, tuple(shape) + tuple(t._shape[d:]), len(shape))
                if not arrays:
                    lead_mask_error = mask_error
            # torch's index tensors for a mask: the columns of nonzero()'s (n, k) result
            nz = np.stack(np.nonzero(payload), axis=1) if k else np.zeros((0, 0), np.int64)
            for arr in (nz[:, j] for j in range(k)):
                dims.append(len(shape))
                arrays.append(arr)
                shape.append(t._shape[d])
                strides.append(t._strides[d])
                d += 1
        else:  # integer index array
            dims.append(len(shape))
            arrays.append(payload)
            shape.append(t._shape[d])
            strides.append(t._strides[d])
            d += 1
    shape.extend(t._shape[d:])
    strides.extend(t._strides[d:])
    plan = Plan()
    plan.view = make_view(t._storage, offset, tuple(shape), tuple(strides), t.dtype)
    plan.dims = dims
    plan.arrays = plan.raw = arrays
    try:
        plan.bshape = tuple(np.broadcast_shapes(*[a.shape for a in arrays]))
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(a.shape)) for a in arrays)) from None
    if len(arrays) > 1:
        plan.arrays = [np.broadcast_to(a, plan.bshape) for a in arrays]
    plan.front = bool(dims) and dims != list(range(dims[0], dims[0] + len(dims)))
    plan.items = items
    plan.mask_error, plan.lead_mask_error = mask_error, lead_mask_error
    return plan.check_dims().check() if check else plan


def _mask_mismatch(mask_shape, shape, at):
    """torch's IndexError for a bool mask whose shape differs from `shape` from dim `at` on
    (None when it matches)."""
    for i, n in enumerate(mask_shape):
        if n != shape[at + i]:
            return IndexError(f"The shape of the mask {list(mask_shape)} at index {i} does not match the "
                              f"shape of the indexed tensor {list(shape)} at index {at + i}")
    return None


def as_torch_reads(items):
    """The index as torch reads it when it differs from `items` (a lone list taken as a
    tuple), else None."""
    tup = _as_tuple(items)
    return None if tup is items else tup


def advanced_getitem(t, items):
    """``t[items]`` for an index holding tensors, lists, arrays or bools: a new tensor."""
    single = _full_mask(t, items)
    if single is not None:
        return _masked_select_same_shape(t, single)
    picked = _row_pick(t, items)
    if picked is not None:
        return picked
    plan = parse(t, items)
    shape = plan.result_shape()
    strides = _result_strides(plan, shape)
    out = make(allocate(_numel(shape), t.dtype, shape, t.device), 0, shape, strides, t.dtype)
    if plan.empty:  # nothing to read (the index values were not checked: torch does not either)
        return out
    v = plan.view
    pre_st, post_st = plan.strides_split(v._strides)
    npre, nb = len(pre_st), len(plan.bshape)
    ost = out._strides
    backend_for(t.device).gather(
        "indexed", (out._storage, 0, (ost[:npre], ost[npre:npre + nb], ost[npre + nb:]), None),
        (v._storage, v._offset, (pre_st, (), post_st), plan.index()), shape[:npre], plan.bshape, shape[npre + nb:])
    return out


def _result_strides(plan, shape):
    """The strides torch's TensorIterator gives ``t[index]``: its output follows the memory
    order of the operands, the input restrided to the result's shape (0 along the index
    dims) and the index tensors (0 outside them), so a permuted input gives a permuted
    result. Row-major when the view is (so the common case costs one comparison)."""
    if not _numel(shape):
        pre, _ = plan.result_dims()
        npre, nb = len(pre), len(plan.bshape)
        if all(n == 1 for n in shape[:npre] + shape[npre + nb:]):
            # every operand has the result's shape and no elements, so is contiguous: torch's
            # fast setup makes the result row-major (otherwise its dims are ordered as below)
            return contiguous_strides(shape)
    v = plan.view
    dims = plan.dims
    last = None
    for d, x in enumerate(v._strides if _numel(shape) else ()):  # the input's strides outside the index, in order
        if x and d not in dims:
            if last is not None and x >= last:
                break
            last = x
    else:
        for a in plan.raw if _numel(shape) else ():
            if a.ndim > 1 and sum(n != 1 for n in a.shape) > 1:
                break
        else:
            if _numel(shape):  # (an empty result: its size-0 dim takes part in torch's ordering)
                return contiguous_strides(shape)  # nothing to reorder: row-major
    pre, post = plan.result_dims()
    npre, nb = len(pre), len(plan.bshape)
    src = [v._strides[d] for d in pre] + [0] * nb + [v._strides[d] for d in post]
    nd = len(shape)
    operands = [src]
    bshape = plan.bshape
    for a in plan.raw:
        if a.shape != bshape:
            a = np.broadcast_to(a, bshape)  # torch expands the indices to one shape first
        # then views each as [1] * npre + bshape + [1] * npost (torch's computeStride) and
        # broadcasts that to the result's shape
        viewed = view_strides(bshape, tuple(x // a.itemsize for x in a.strides),
                              (1,) * npre + bshape + (1,) * (nd - npre - nb))
        operands.append([0 if (n == 1 and m != 1) else x for x, n, m in
                         zip(viewed, (1,) * npre + bshape + (1,) * (nd - npre - nb), shape)])
    return strides_by_inputs(shape, operands) or contiguous_strides(shape)


def _out_of_bounds(dim, size):
    """torch's message for an index value outside dimension `dim` of `size` (for check_range)."""
    return lambda v: f"index {v} is out of bounds for dimension {dim} with size {size}"


def _row_pick(t, items):
    """``t[..., index, ...]`` for one 1-D int64 tensor or list of ints among full slices (an
    index_select along its dimension), or ``t[range(n), y]`` of an (n, C) `t` by a 1-D int64
    `y` (a gather of one element per row: D2L's cross_entropy), by the pick kernels; None
    for anything else, a negative or out-of-range value included (the general path)."""
    if not row_major_cpu(t) or len(items) > len(t._shape):
        return None
    if len(items) == 2 and type(items[0]) is range and len(t._shape) == 2:
        rows, y = items
        n = t._shape[0]
        if rows != range(n) or not (type(y) is Tensor and y.dtype is dt.int64 and y._shape == (n,)
                                    and row_major_cpu(y)):
            return None
        return fast_pick("gather_rows", t, 1, y._storage, y._offset, (n, 1), (n,))
    found = _one_index(items)
    if found is None:
        return None
    dim, table, offset, n = found
    return fast_pick("select_rows", t, dim, table, offset, (n,), t._shape[:dim] + (n,) + t._shape[dim + 1:])


def pick_rows(t, index):
    """``t[index]`` for a 1-D int64 `index` tensor (the common advanced index: a batch's
    rows), as `_row_pick` makes it, without parsing an index tuple; None where `_row_pick`
    gives None (the general path)."""
    if index.dtype is not dt.int64 or len(index._shape) != 1 or not t._shape or not row_major_cpu(t) \
            or not row_major_cpu(index):
        return None
    n = index._shape[0]
    return fast_pick("select_rows", t, 0, index._storage, index._offset, (n,), (n,) + t._shape[1:])


def _one_index(items):
    """(dim, int64 table, offset, n) when `items` are full slices around one 1-D int64 CPU
    tensor or non-empty list of ints (at `dim`); else None."""
    dim = None
    for d, it in enumerate(items):
        if type(it) is not slice or it != _ALL:
            if dim is not None:
                return None
            dim = d
    index = items[dim]
    if type(index) is Tensor:
        if index.dtype is not dt.int64 or len(index._shape) != 1 or not row_major_cpu(index):
            return None
        return dim, index._storage, index._offset, index._shape[0]
    if type(index) is list and index and all(type(v) is int for v in index):
        try:
            return dim, np.array(index, np.int64), 0, len(index)
        except OverflowError:  # (a value past int64: the general path raises torch's error)
            return None
    return None


def _row_put(t, items, value):
    """``t[..., index, ...] = value`` by `fast_put` for a writable row-major CPU `t`, an index
    `_one_index` takes, and a Python number or a row-major tensor of t's dtype and the indexed
    shape in memory of its own: True when done; False for anything else (the general path)."""
    if not row_major_cpu(t) or len(items) > len(t._shape) or not t._storage.flags.writeable:
        return False
    found = _one_index(items)
    if found is None:
        return False
    dim, table, offset, n = found
    if table is t._storage:  # (the index is read while t is written: the general path copies it)
        return False
    if type(value) is Tensor:
        shape = t._shape
        if (value.dtype is not t.dtype or value._shape != shape[:dim] + (n,) + shape[dim + 1:]
                or not row_major_cpu(value) or _overlaps(value, t)):
            return False
        return fast_put(t, dim, table, offset, n, value, 1)
    if type(value) not in (float, int):
        return False
    return fast_put(t, dim, table, offset, n, scalar_storage(value, t.dtype), 0)


_ALL = slice(None)


def _full_mask(t, items):
    """The bool mask when `items` is exactly one bool tensor of t's shape on t's device (the
    x[mask] path; a CPU mask of a tensor elsewhere takes the general path)."""
    if len(items) != 1:
        return None
    m = items[0]
    if isinstance(m, Tensor) and m.dtype is dt.bool and m._shape == t._shape and m.dim() > 0 and m.device is t.device:
        return m
    return None


def _leading_mask(t, items):
    """For `items` of full slices then one bool (or uint8) mask, the mask expanded to t's
    shape (torch's canDispatchToMaskedFill, which checks the mask's shape before anything
    else: IndexError); else None."""
    *lead, m = items
    if not (isinstance(m, Tensor) and m.dtype in (dt.bool, dt.uint8) and m._shape and m.device is t.device
            and all(isinstance(i, slice) and i == slice(None) for i in lead)):
        return None
    k, n = len(lead), m.dim()
    if k + n > t.dim():
        return None  # the general path raises "too many indices"
    mismatch = _mask_mismatch(m._shape, t._shape, k)
    if mismatch is not None:
        raise mismatch
    full = m.reshape((1,) * k + m._shape + (1,) * (t.dim() - k - n)).expand(t._shape)
    return full if m.dtype is dt.bool else full.to(dt.bool)


def _masked_select_same_shape(t, mask):
    data = backend_for(t.device).gather("compress", (t._storage, t._offset, t._strides),
                                        (mask._storage, mask._offset, mask._strides), t._shape, t.dtype.np)
    return make(data, 0, (data.shape[0],), (1,), t.dtype)


def _check_dtype(value, dtype, name):
    if value.dtype is not dtype:
        raise RuntimeError(
            f"{name} requires the source and destination dtypes match, got {dtype.c_name} for the "
            f"destination and {value.dtype.c_name} for the source.")


def _check_writable_aliased(t, name, example):
    """check_writable, except that a tensor with several elements at one memory location (an
    expanded view) is written, with torch's deprecation warning: torch's index_put_,
    masked_fill_ and index_fill_ (and the ``x[idx] = v`` they serve) allow it."""
    if not has_internal_overlap(t):
        check_writable(t)
        return
    if not backend_for(t.device).is_writable(t._storage):
        check_writable(t)  # raises the read-only error
    warnings.warn(f"Use of {name} on expanded tensors is deprecated. Please clone() the tensor before "
                  f"performing this operation. This also applies to advanced indexing e.g. {example}",
                  UserWarning, stacklevel=4)


def _refuse_overlap(dst, value, same=False):
    """torch's assert_no_overlap in index_put_ (`refuse_overlap` with `full`: x[[0, 1]] = x[:2]
    is refused too); `same`: the destination is the value itself to torch, always refused.
    Returns whether `value` must be read from a copy."""
    if same:
        raise _overlap_error(dst, value)
    return refuse_overlap(dst, value, full=True)


def _put(t, plan, value, mode, strip=True):
    """Store `value` (a Tensor, or a Python number) at the positions of `plan` (parsed with
    ``check=False``); torch's order of checks: overlap, index dims, value shape, dtype, then
    the index range."""
    v = plan.view
    shape = plan.result_shape()
    pre_st, post_st = plan.strides_split(v._strides)
    npre, nb = len(pre_st), len(plan.bshape)
    if isinstance(value, Tensor) and value.device is not t.device:
        if value._shape:
            common_device((t, value), cpu_scalars=False)  # raises
        value = value.to(t.device)  # torch moves a 0-d value to the destination's device
    if isinstance(value, Tensor):
        # torch compares the very tensor (x[idx] = x) when basic indexing returned x itself and
        # the value kept its shape (torch drops leading size-1 dims with a new view)
        same = value is t and (strip is False or not value._shape or value._shape[0] != 1) and plan.identity()
        while value.dim() > len(shape) and value._shape[0] == 1:
            value = value.squeeze(0)
        shared = _overlaps(value, t) and _refuse_overlap(v, value, same)
    else:
        store = scalar_storage(value, t.dtype, t.device)  # (an overflowing value is refused first)
    plan.check_dims()
    if isinstance(value, Tensor):
        try:
            fits = value.dim() <= len(shape) and broadcast_shapes(shape, value._shape) == shape
        except RuntimeError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(value._shape)} cannot be broadcast to "
                f"indexing result of shape {list(shape)}")
        _check_dtype(value, t.dtype, "Index put")
        if plan.check().empty:
            return
        if shared:
            value = value.clone()  # before reading its strides: the copy has its own layout
        vst = broadcast_strides(value._shape, value._strides, shape)
        src = (value._storage, value._offset, (vst[:npre], vst[npre:npre + nb], vst[npre + nb:]), None)
    else:
        if plan.check().empty:
            return
        src = (store, 0, ((0,) * npre, (0,) * nb, (0,) * (len(shape) - npre - nb)), None)
    dst = (v._storage, v._offset, (pre_st, (), post_st), plan.index())
    backend_for(t.device).gather("indexed", dst, src, shape[:npre], plan.bshape, shape[npre + nb:], mode)


def advanced_setitem(t, items, value):
    """``t[items] = value`` for an advanced index: writes into t's memory."""
    if _row_put(t, items, value):
        return
    if type(value) is not Tensor and not isinstance(value, numbers.Number):
        value = check_value(t, value)  # a list or array: converted to a tensor
    mask = _full_mask(t, items)
    if mask is not None and (not isinstance(value, Tensor) or value.numel() == 1):
        _check_writable_aliased(t, "masked_fill_", "tensor[mask] = scalar")
        _fill(t, mask, value)
        return
    # a number is a one-element tensor to torch's index_put_: both may be a masked_fill_
    single = not isinstance(value, Tensor) or value.numel() == 1
    if single:
        if not isinstance(value, Tensor):
            scalar_storage(value, t.dtype)  # torch converts the number to t's dtype first
        mask = _leading_mask(t, items)
        if mask is not None:
            _check_writable_aliased(t, "masked_fill_", "tensor[mask] = scalar")
            _fill(t, mask, value)
            return
    # torch's order: a value of several elements is checked for overlap with the indices
    # before they are parsed; a single one after a leading mask's shape (see _leading_mask)
    if not single:
        _check_index_count(t, items)  # (torch counts the dimensions an index takes before index_put_)
        items = _own_indices(t, items)
    try:
        plan = parse(t, items, check=False)
        if single and plan.lead_mask_error is not None:
            raise plan.lead_mask_error
    except IndexError:
        if isinstance(value, numbers.Number):
            scalar_storage(value, t.dtype)  # torch converts the value before it reads the index
        raise
    if single and not _mask_of_shape(t, items):
        owned = _own_indices(t, items)
        if owned is not items:
            plan = parse(t, owned, check=False)
    _check_writable_aliased(t, "index_put_", "tensor[indices] = tensor")
    _put(t, plan, value, COPY)


def _check_index_count(t, items):
    """torch's IndexError when `items` index more dimensions than `t` has."""
    consumed = 0
    for item in (items if isinstance(items, tuple) else (items,)):
        if isinstance(item, Tensor):
            consumed += item.dim() if item.dtype is dt.bool else 1
        else:
            consumed += _consumed(*_classify(item, t.device))
    if consumed > len(t._shape):
        raise IndexError(f"too many indices for tensor of dimension {len(t._shape)}")


def _mask_of_shape(t, items):
    m = items[0] if isinstance(items, tuple) and len(items) == 1 else items
    return isinstance(m, Tensor) and m.dtype is dt.bool and m._shape == t._shape


def _own_indices(t, items):
    """torch's assert_no_overlap(self, index) in index_put_: an index tensor sharing memory
    with the destination is refused when both are dense (``z[z] = 1``) or it is the
    destination itself (even empty), otherwise it is read from a copy, so that the writes
    cannot change indices still to be read."""
    single = not isinstance(items, tuple)
    own, copied = [], False
    for i in ((items,) if single else items):
        if isinstance(i, Tensor) and _overlaps(i, t) and _refuse_overlap(t, i, same=i is t):
            i, copied = i.clone(), True
        own.append(i)
    if not copied:
        return items
    return own[0] if single else tuple(own)


def _fill(t, mask, value):
    """t[mask] = value (a number or one-element tensor) for a bool mask of t's shape (or
    expanded to it). torch's index_put_ of one tensor value under one mask is
    masked_fill_(mask, value.item()): any value dtype, converted with a Scalar's overflow
    check (a number was converted to t's dtype before, without one). A mask sharing t's
    memory: torch's assert_no_partial_overlap (the same elements are fine, a dense partial
    overlap raises, others are read from a copy)."""
    if isinstance(value, Tensor):
        value = checked_scalar(value.item(), t.dtype, strict_half=True)
    if _overlaps(t, mask) and refuse_overlap(t, mask):
        mask = mask.clone()
    backend_for(t.device).gather("masked_fill", (t._storage, t._offset, t._strides),
                                 (mask._storage, mask._offset, mask._strides), t._shape,
                                 scalar_storage(value, t.dtype, t.device))


def index_put_(self, indices, values, accumulate=False):
    """Store `values` at ``self[indices]`` (a tuple of index tensors) in place; with
    `accumulate`, values at duplicate indices are summed."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put_(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    for i in indices:
        if i is not None and not isinstance(i, Tensor):
            raise TypeError(f"index_put_(): indices must be Tensors or None, got {type(i).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' must be Tensor, not {type(values).__name__}")
    if fast_index_put(self, indices, values, ADD if accumulate else COPY):
        return self
    items = _own_indices(self, tuple(slice(None) if i is None else i for i in indices))
    plan = parse(self, items, check=False)
    _check_writable_aliased(self, "index_put_", "tensor[indices] = tensor")
    if not accumulate:
        _put(self, plan, values, COPY, strip=False)
    elif self.dtype is not dt.float16:
        _put(self, plan, values, ADD, strip=False)
    else:  # through a float32 copy (arith refuses an expanded self: the copy would not alias)
        _check_dtype(values, self.dtype, "Index put")  # before the float32 casts hide it
        if _overlaps(values, self):
            _refuse_overlap(plan.view, values, values is self and plan.identity())
        arith(self, values, lambda dst, val: _put(dst, parse(dst, items, check=False), val, ADD))
    return self


def arith(dst, src, fn):
    """Run ``fn(dst, src)`` (an accumulating kernel launch) on storages numba can add:
    float16 goes through a float32 copy of `dst` (and of `src` when it is a Tensor)."""
    if dst.dtype is not dt.float16:
        fn(dst, src)
        return
    check_writable(dst)
    tmp = dst.to(dt.float32)
    fn(tmp, src.to(dt.float32) if isinstance(src, Tensor) else src)
    copy_into(dst, tmp)


def index_put(input, indices, values, accumulate=False):
    """Out-of-place ``index_put_``: a copy of `input` with the values stored."""
    return index_put_(input.clone(), indices, values, accumulate)


forms.method("index_put_", index_put_)
forms.method("index_put", index_put)
forms.function("index_put", index_put)
