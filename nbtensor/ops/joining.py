"""Joining and reordering (SPEC §7): cat/concat/concatenate, stack, hstack, vstack,
dstack, column_stack, atleast_*d, flip/fliplr/flipud, roll, repeat, tile, repeat_interleave.

All of them are strided copies: the output (or a block of it) is written by the copy kernel
(`copy_into`) from a view of the input: flip reads through a negative-stride view, repeat
through an expanded (stride-0) view, roll copies 2^k blocks.
"""
import itertools
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.base import backend_for
from nbtensor.backends.host import host_array
from nbtensor.core.device import CPU
from nbtensor.ops.creation import _wrap
from nbtensor.dispatch.out import check_out_tensor, resize_out
from nbtensor.core.layout import format_strides, suggested_format
from nbtensor.core.plan import contiguous_strides, remember, row_major_strides
from nbtensor.dispatch.tensor import (Tensor, _numel, _overlaps, allocate, check_writable, common_device, copy_into,
                                     empty_like_layout, empty_tensor, make, make_view, view_of, wrap_dim)
from nbtensor.ops.views import narrow, parse_sizes
from nbtensor.dispatch import dispatcher as forms

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "flip", "fliplr", "flipud",
           "roll", "tile", "repeat_interleave"]

_CPU = backend_for(CPU)

_METHODS = ["flip", "fliplr", "flipud", "roll", "repeat", "repeat_interleave"]


def _tensor_list(name, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    common_device(tensors, cpu_scalars=False)
    return list(tensors)


def _fast_join(tensors, dim, new_dim):
    """cat (or, with `new_dim`, stack) of non-empty row-major CPU tensors of one dtype and of
    shapes that join without any of torch's errors, by the backend's copies into a fresh
    storage (`joined`: when every dim before the joined one has size 1, each input's memory
    is one block of the result's); None for anything else (the general path checks,
    promotes and raises)."""
    if (type(tensors) is not list and type(tensors) is not tuple) or not tensors or type(dim) is not int:
        return None
    first = tensors[0]
    if type(first) is not Tensor:
        return None
    dtype = first.dtype
    shapes = []
    for t in tensors:
        if (type(t) is not Tensor or t.dtype is not dtype or t.device is not CPU
                or not (t._contig or t._contig is None and t.is_contiguous())):
            return None
        shapes.append(t._shape)
    key = (tuple(shapes), dim, new_dim)
    plan = _JOIN_PLANS.get(key, False)
    if plan is False:
        plan = remember(_JOIN_PLANS, key, _join_plan(shapes, dim, new_dim))
    if plan is None:
        return None
    d, sizes, total, out_shape, out_strides, blocks, ambiguous = plan
    if ambiguous and suggested_format(*((first._shape + (1,), first._strides + (1,)) if new_dim and d == len(out_shape) - 1
                                        else (first._shape, first._strides))):
        return None  # (row-major, but laid out channels-last to torch too: cat may follow that)
    # (its size is the inputs' together: no overflow to check)
    if blocks and len(tensors) == 2:  # (``cat([x, y])``, ``stack([x, y])``: the common join)
        second = tensors[1]
        store = _CPU.joined_pair(dtype.np, first._storage, first._offset, sizes[0],
                                 second._storage, second._offset, sizes[1])
    else:
        store = _CPU.joined(total, dtype.np, out_shape,
                            [(t._storage, t._offset, n, t._shape) for t, n in zip(tensors, sizes)],
                            0 if blocks else d, new_dim)
    return make(store, 0, out_shape, out_strides, dtype, True)


def _join_plan(shapes, dim, new_dim):
    """(the joined dim, each input's element count, their total, the result's shape and
    strides, whether each input is one block of the result (every dim before the joined
    one has size 1), whether the layout may read as channels-last) for `_fast_join` of
    inputs of `shapes`; None where the general path decides (a dim out of range, shapes
    that do not join, an empty input)."""
    shape = shapes[0]
    ndim = len(shape) + new_dim
    if not shape or not -ndim <= dim < ndim:
        return None
    d = dim % ndim
    sizes, extent = [], 0
    for tshape in shapes:
        if tshape != shape and (new_dim or len(tshape) != len(shape) or tshape[:d] != shape[:d]
                                or tshape[d + 1:] != shape[d + 1:]):
            return None
        n = _numel(tshape)
        if n == 0:
            return None
        sizes.append(n)
        if not new_dim:
            extent += tshape[d]
    out_shape = shape[:d] + ((len(shapes),) + shape[d:] if new_dim else (extent,) + shape[d + 1:])
    return (d, sizes, sum(sizes), out_shape, row_major_strides(out_shape), _numel(shape[:d]) == 1,
            len(out_shape) in (4, 5))


# (input shapes, dim, new_dim) -> `_join_plan`
_JOIN_PLANS = {}


def cat(tensors, dim=0, *, out=None):
    """Concatenate tensors along an existing dimension `dim`. 1-D empty tensors are skipped
    (as torch does); dtypes are promoted by torch's rule."""
    if out is None:
        fast = _fast_join(tensors, dim, 0)
        if fast is not None:
            return fast
    tensors = _tensor_list("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.dim() == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dt.promote_types(dtype, t.dtype)
    parts = [(i, t) for i, t in enumerate(tensors) if not (t.dim() == 1 and t._shape[0] == 0)]
    ref = parts[0][1] if parts else tensors[0]
    # (only empty 1-D tensors: torch skips them all and never reads `dim`)
    dim = wrap_dim(dim, ref.dim()) if parts else 0
    if out is not None:  # torch checks out= (device, cast, overlap) before the shapes
        check_out_tensor(out, "cat")
        common_device((ref, out), cpu_scalars=False)
        if not dt.can_cast(dtype, out.dtype):
            raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                            f"{out.dtype.c_name}")
        if any(_overlaps(t, out) for t in tensors if t.numel()):
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to tensor refer "
                "to a single memory location (cat's out= shares memory with an input). Please clone() the "
                "tensor before performing the operation.")
    total = 0
    for i, t in parts:
        if t.dim() != ref.dim():
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.dim()} and {t.dim()}")
        for d in range(ref.dim()):
            if d != dim and t._shape[d] != ref._shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size {ref._shape[d]} "
                    f"but got size {t._shape[d]} for tensor number {i} in the list.")
        total += t._shape[dim]
    shape = ref._shape[:dim] + (total,) + ref._shape[dim + 1:]
    if out is None:
        memory_format = _common_format(tensors)
        if memory_format is None:
            result = empty_tensor(shape, dtype, ref.device)
        else:
            result = make(allocate(_numel(shape), dtype, shape, ref.device), 0, shape,
                          format_strides(shape, memory_format), dtype)
    else:
        check_writable(out)
        resize_out(out, shape)
        result = out
    start = 0
    for _, t in parts:
        n = t._shape[dim]
        copy_into(narrow(result, dim, start, n), t)
        start += n
    return result


def _common_format(tensors):
    """torch's memory format for cat's result: the channels-last format all the inputs
    suggest (see core/layout.py), else None (row-major)."""
    found = None
    for t in tensors:
        memory_format = suggested_format(t._shape, t._strides)
        if memory_format is None or found is not None and memory_format != found:
            return None
        found = memory_format
    return found


concat = cat
concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Join equally shaped tensors along a new dimension `dim`."""
    if out is None:
        fast = _fast_join(tensors, dim, 1)
        if fast is not None:
            return fast
    tensors = _tensor_list("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    dim = wrap_dim(dim, tensors[0].dim() + 1)  # checked before the shapes, as torch does
    for i, t in enumerate(tensors[1:], 1):
        if t._shape != tensors[0]._shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0]._shape)} "
                               f"at entry 0 and {list(t._shape)} at entry {i}")
    if out is None and dim < tensors[0].dim():
        # as torch: the cat along `dim`, whose size splits into (len(tensors), size) by a view
        # (the result takes cat's layout: channels-last inputs give a channels-last-like one)
        shape = tensors[0]._shape
        return cat(tensors, dim).view(shape[:dim] + (len(tensors),) + shape[dim:])
    return cat([t.unsqueeze(dim) for t in tensors], dim, out=out)


def _atleast(t, nd):
    shape, strides = t._shape, t._strides
    if len(shape) >= nd:
        return t
    if len(shape) == 0:
        shape, strides = (1,) * nd, (1,) * nd
    elif len(shape) == 1:
        shape, strides = ((1,) + shape + (1,))[:nd], ((shape[0] * strides[0],) + strides + (1,))[:nd]
    else:  # 2-D to 3-D
        shape, strides = shape + (1,), strides + (1,)
    return view_of(t, t._offset, shape, strides)


def _atleast_fn(nd):
    def fn(*tensors):
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            return tuple(_atleast(t, nd) for t in tensors[0])
        if len(tensors) == 1:
            return _atleast(tensors[0], nd)
        return tuple(_atleast(t, nd) for t in tensors)
    fn.__name__ = f"atleast_{nd}d"
    fn.__doc__ = f"Views of the inputs with at least {nd} dimensions (size-1 dimensions added)."
    return fn


atleast_1d, atleast_2d, atleast_3d = _atleast_fn(1), _atleast_fn(2), _atleast_fn(3)


def hstack(tensors, *, out=None):
    """Concatenate along the second dimension (the first for 1-D tensors)."""
    tensors = [_atleast(t, 1) for t in _tensor_list("hstack", tensors)]
    return cat(tensors, 0 if tensors and tensors[0].dim() == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Concatenate along the first dimension after making every input at least 2-D."""
    return cat([_atleast(t, 2) for t in _tensor_list("vstack", tensors)], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Concatenate along the third dimension after making every input at least 3-D."""
    return cat([_atleast(t, 3) for t in _tensor_list("dstack", tensors)], 2, out=out)


def column_stack(tensors, *, out=None):
    """Stack 0-d/1-D inputs as columns, and concatenate 2-D+ inputs along dimension 1."""
    cols = [t.reshape(t.numel(), 1) if t.dim() <= 1 else t for t in _tensor_list("column_stack", tensors)]
    return cat(cols, 1, out=out)


# --------------------------------------------------------------------------- flip / roll
def _dims_list(dims, ndim, name):
    dims = [dims] if isinstance(dims, numbers.Integral) else list(dims)
    wrapped = [wrap_dim(d, ndim) for d in dims]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return wrapped


def flip(input, *args, dims=None):
    """A copy with the order of elements reversed along each dimension in `dims`
    (``flip(x, (0, 1))``, ``x.flip(0, 1)`` or ``flip(x, dims=[0])``)."""
    if dims is None:
        if not args:
            raise TypeError("flip() missing required argument 'dims'")
        dims = args[0] if len(args) == 1 else args
    dims = _dims_list(dims, input.dim(), "flip")
    if not input.dim():
        dims = []  # a 0-d tensor accepts dim 0 / -1: nothing to reverse
    offset, strides = input._offset, list(input._strides)
    for d in dims:
        n = input._shape[d]
        if n > 1:
            offset += (n - 1) * strides[d]
            strides[d] = -strides[d]
    reversed_view = make_view(input._storage, offset, input._shape, tuple(strides), input.dtype)
    # (laid out as `input`, as torch's: a transposed input's flip is transposed too)
    return copy_into(empty_like_layout(input), reversed_view)


def fliplr(input):
    """Flip the columns (dimension 1) of a tensor of at least 2 dimensions."""
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, [1])


def flipud(input):
    """Flip the rows (dimension 0) of a tensor of at least 1 dimension."""
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, [0])


def roll(input, shifts, dims=None):
    """Rotate elements along `dims` by `shifts` (wrapping around); with no dims, roll the
    flattened tensor and restore the shape."""
    shifts = [shifts] if isinstance(shifts, numbers.Integral) else list(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return roll(input.flatten(), shifts, 0).view(input._shape)
    dims = [dims] if isinstance(dims, numbers.Integral) else list(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = [wrap_dim(d, input.dim()) for d in dims]
    out = empty_tensor(input._shape, input.dtype, input.device)
    if out.numel() == 0:
        return out
    amount = {}
    for d, s in zip(dims, shifts):
        amount[d] = (amount.get(d, 0) + s) % input._shape[d]
    # Each rolled dim is two blocks: src[:n-s] -> out[s:], src[n-s:] -> out[:s].
    choices = []
    for d, s in amount.items():
        n = input._shape[d]
        choices.append([(d, 0, s, n - s), (d, n - s, 0, s)])
    for combo in itertools.product(*choices):
        src, dst = input, out
        for d, src_start, dst_start, length in combo:
            src, dst = narrow(src, d, src_start, length), narrow(dst, d, dst_start, length)
        if src.numel():
            copy_into(dst, src)
    return out


# --------------------------------------------------------------------------- repeat / tile
def repeat(self, *sizes):
    """Tile self `sizes[i]` times along each dimension (leading new dimensions allowed)."""
    sizes = parse_sizes(sizes, "repeats")
    if len(sizes) < self.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           f"dimensions of tensor (repeats {list(sizes)} for a tensor of shape {list(self._shape)})")
    if any(r < 0 for r in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: repeats {list(sizes)}")
    lead = len(sizes) - self.dim()
    shape = (1,) * lead + self._shape
    strides = (0,) * lead + self._strides
    final = tuple(r * s for r, s in zip(sizes, shape))
    out = empty_tensor(final, self.dtype, self.device)
    if out.numel() == 0:
        return out
    pairs = tuple(x for r, s in zip(sizes, shape) for x in (r, s))
    out_view = make_view(out._storage, 0, pairs, contiguous_strides(pairs), out.dtype)
    src = make_view(self._storage, self._offset, pairs,
               tuple(x for st in strides for x in (0, st)), self.dtype)
    copy_into(out_view, src)
    return out


def tile(input, dims):
    """``input.repeat(dims)`` with `dims` padded with leading 1s to input's rank."""
    dims = parse_sizes((dims,) if isinstance(dims, numbers.Integral) else tuple(dims), "dims")
    dims = (1,) * (input.dim() - len(dims)) + dims
    return repeat(input, dims)


def _tile_method(self, *dims):
    """``x.tile(2, 1)`` or ``x.tile((2, 1))``: the method takes the sizes as torch's does."""
    if not dims:
        raise TypeError('tile() missing 1 required positional arguments: "dims"')
    return tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], numbers.Integral) else dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or each slice along `dim`) `repeats` times; repeats may be an int
    or a 1-D tensor of per-element counts. ``repeat_interleave(r)`` gives
    ``[0]*r[0] + [1]*r[1] + ...``."""
    if repeats is None:
        counts = _repeat_counts(input, None)
        return _wrap(np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts), dt.int64, input.device)
    if dim is None:
        input, dim = input.flatten(), 0
    dim = wrap_dim(dim, input.dim())
    size = input._shape[dim]
    if isinstance(repeats, Tensor) and repeats.numel() != 1:
        counts = _repeat_counts(repeats, size, dim)
        index = np.repeat(np.arange(size, dtype=np.int64), counts)
        from nbtensor.ops.selecting import index_select
        return index_select(input, dim, _wrap(index, dt.int64, input.device))
    r = int(repeats.item() if isinstance(repeats, Tensor) else repeats)
    if r < 0:
        raise RuntimeError(f"repeats can not be negative, got {r}")
    shape = input._shape
    expanded = make_view(input._storage, input._offset, shape[:dim + 1] + (r,) + shape[dim + 1:],
                    input._strides[:dim + 1] + (0,) + input._strides[dim + 1:], input.dtype)
    return expanded.reshape(shape[:dim] + (size * r,) + shape[dim + 1:])


def _repeat_counts(repeats, size, dim=0):
    if repeats.dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f"repeat_interleave: repeats must be an integer tensor, got {repeats.dtype}")
    if repeats.dim() > 1:
        raise RuntimeError(f"repeat_interleave only accept 1D vector as repeat, got shape {list(repeats._shape)}")
    counts = host_array(repeats).reshape(-1).astype(np.int64)
    if size is not None and counts.shape[0] != size:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{counts.shape[0]} and input.size({dim}) = {size}")
    if counts.size and counts.min() < 0:
        raise RuntimeError(f"repeats can not be negative, got {int(counts.min())}")
    return counts


forms.functions(__all__, globals())
forms.methods(_METHODS, globals())
forms.method("tile", _tile_method)
