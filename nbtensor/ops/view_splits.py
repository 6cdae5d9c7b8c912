"""More views and splits: ``as_strided`` (and ``as_strided_``), the ``unsafe_*`` splits (torch's
splits whose pieces autograd does not track as views: here the same views), ``hsplit``,
``vsplit``, ``dsplit``, ``narrow_copy`` and the method ``Tensor.moveaxis``.

``as_strided`` checks the whole layout against the storage before making the view, as
torch's ``setStorage`` does: no element of the result may lie outside the memory."""
import numbers

from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.out import write_out
from nbtensor.dispatch.tensor import Tensor, _numel, view_of
from nbtensor.ops.views import chunk, movedim, narrow, split

__all__ = ["as_strided", "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes", "hsplit", "vsplit", "dsplit",
           "narrow_copy"]


def _ints(name, values):
    try:
        return tuple(int(v.__index__()) for v in values)
    except (AttributeError, TypeError):
        raise TypeError(f"as_strided(): argument '{name}' must be tuple of ints, but found {values!r}") from None


def _strided_layout(input, size, stride, storage_offset):
    """(shape, strides, offset) of ``as_strided``, checked against `input`'s storage."""
    shape, strides = _ints("size", size), _ints("stride", stride)
    offset = input._offset if storage_offset is None else int(storage_offset)
    if len(shape) != len(strides):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in strides):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(strides)}")
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)} and strides="
                           f"{list(strides)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    itemsize = input.element_size()
    needed = 0 if _numel(shape) == 0 else offset + 1 + sum((n - 1) * s for n, s in zip(shape, strides))
    available = input._storage.shape[0]
    if needed > available:
        raise RuntimeError(f"setStorage: sizes {list(shape)}, strides {list(strides)}, storage offset {offset}, "
                           f"and itemsize {itemsize} requiring a storage size of {needed * itemsize} are out of "
                           f"bounds for storage of size {available * itemsize}")
    return shape, strides, offset


def as_strided(input, size, stride, storage_offset=None):
    """A view of `input`'s memory with the given sizes and strides (in elements) from
    `storage_offset` (default: input's own offset); every element must lie in the memory."""
    shape, strides, offset = _strided_layout(input, size, stride, storage_offset)
    return view_of(input, offset, shape, strides)


def as_strided_(self, size, stride, storage_offset=None):
    """``as_strided`` in place: `self` takes the new layout; returns `self`."""
    self._shape, self._strides, self._offset = _strided_layout(self, size, stride, storage_offset)
    self._contig = None
    return self


def unsafe_chunk(input, chunks, dim=0):
    """``chunk``'s pieces (views)."""
    return chunk(input, chunks, dim)


def unsafe_split(input, split_size, dim=0):
    """``split``'s pieces of `split_size` (views)."""
    if not isinstance(split_size, numbers.Integral):
        raise TypeError(f"unsafe_split(): argument 'split_size' (position 2) must be int, not "
                        f"{type(split_size).__name__}")
    return split(input, split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """``split``'s pieces of the given sizes (views)."""
    return split(input, list(split_sizes), dim)


def _directional_split(name, dim, least):
    def split_along(input, indices_or_sections):
        if input.dim() < least:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {least} dimension, but got a tensor "
                               f"with {input.dim()} dimensions!")
        d = 0 if name == "hsplit" and input.dim() == 1 else dim
        if isinstance(indices_or_sections, numbers.Integral):
            sections, size = int(indices_or_sections), input._shape[d]
            if sections == 0 or size % sections:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the "
                                   f"dimension {size} is not divisible by the split_size {sections}!")
        return input.tensor_split(indices_or_sections, d)
    split_along.__name__ = name
    split_along.__doc__ = (f"``tensor_split`` along dimension {dim} (views); a number of sections must divide "
                           "that dimension.")
    return split_along


hsplit = _directional_split("hsplit", 1, 1)
vsplit = _directional_split("vsplit", 0, 2)
dsplit = _directional_split("dsplit", 2, 3)


def narrow_copy(input, dim, start, length, *, out=None):
    """A copy of ``input.narrow(dim, start, length)`` (row-major)."""
    result = narrow(input, dim, start, length).clone()
    if isinstance(result, Tensor) and not result.is_contiguous():
        result = result.contiguous()
    return result if out is None else write_out(out, result, "narrow_copy")


forms.functions(__all__, globals())
forms.methods(__all__, globals())
forms.method("as_strided_", as_strided_)
forms.method("moveaxis", movedim)
