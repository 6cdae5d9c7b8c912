"""The ``out=`` argument: check the target's dtype, resize it as torch does, write into it."""
import warnings

from . import _dtype as dt
from ._tensor import Tensor, check_writable, copy_into, empty_tensor

__all__ = ["resize_out", "write_out", "result_or_out"]


def resize_out(out, shape):
    """Give `out` the shape `shape` (new memory when it differs; torch warns when a tensor
    with elements is resized)."""
    shape = tuple(shape)
    if out._shape == shape:
        return
    if out.numel() != 0:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape {list(out._shape)}, "
            f"which does not match the required output shape {list(shape)}.", UserWarning, stacklevel=4)
    fresh = empty_tensor(shape, out.dtype, out.device)
    out._storage, out._offset, out._shape, out._strides = fresh._storage, 0, fresh._shape, fresh._strides
    out._contig = True


def write_out(out, result, name, cast=False):
    """Copy `result` into the ``out=`` tensor `out` (resized when needed) and return `out`.

    The dtypes must match, unless `cast` allows any cast torch's ``can_cast`` permits."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out.dtype is not result.dtype and not (cast and dt.can_cast(result.dtype, out.dtype)):
        raise RuntimeError(
            f"{name}(): Expected out tensor to have dtype {result.dtype}, but got {out.dtype} instead")
    resize_out(out, result._shape)
    check_writable(out)
    return copy_into(out, result)


def result_or_out(result, out, name):
    """`result`, or `out` holding a copy of it when an ``out=`` tensor was given."""
    return result if out is None else write_out(out, result, name)
