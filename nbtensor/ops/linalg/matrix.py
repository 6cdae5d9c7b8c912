"""Matrix structure: trace, diag, diag_embed, triu/tril (and their in-place forms).

These build on views (`diagonal`) and NumPy masks on host arrays; every result is a new
tensor on its input's device.
"""
import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.ops.linalg.util import array_of, check_devices, check_tensor, copy_to, finish, not_implemented, wrap
from nbtensor.dispatch.tensor import check_writable, copy_into, wrap_dim
from nbtensor.ops.views import diagonal as diagonal_view

__all__ = ["trace", "diag", "diag_embed", "triu", "tril"]


def trace(input):
    """Sum of the main diagonal of a 2-D tensor (integers accumulate in int64)."""
    check_tensor("trace", "input", 1, input)
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    if input.dtype is dt.bool:
        raise not_implemented("trace", input.dtype)
    # Floats accumulate in float64 (then round), integers in int64 as torch's sum does.
    dtype = input.dtype if input.dtype.is_floating_point else dt.int64
    acc = np.float64 if input.dtype.is_floating_point else np.int64
    return finish(np.trace(array_of(input), dtype=acc), dtype, device=input.device)


def _zeros(shape, dtype, device):
    return wrap(np.zeros(shape, dtype.np), dtype, device)


def diag(input, diagonal=0, *, out=None):
    """1-D input: a square matrix with `input` on diagonal `diagonal`; 2-D input: a copy of
    that diagonal."""
    check_tensor("diag", "input", 1, input)
    check_devices(input, out)
    if input.dim() == 1:
        n = input._shape[0] + abs(diagonal)
        result = _zeros((n, n), input.dtype, input.device)
        copy_into(diagonal_view(result, diagonal), input)
    elif input.dim() == 2:
        result = diagonal_view(input, diagonal).clone()
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")
    if out is None:
        return result
    return finish(array_of(result), input.dtype, out)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals (offset, over dims dim1 and dim2 of the result) hold the
    last dimension of `input`; everything else is zero."""
    check_tensor("diag_embed", "input", 1, input)
    ndim = input.dim() + 1
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input._shape[-1] + abs(offset)
    shape = list(input._shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    result = _zeros(tuple(shape), input.dtype, input.device)
    copy_into(diagonal_view(result, offset, d1, d2), input)
    return result


def _tri_mask(name, input, k, upper):
    """Boolean (rows x cols) mask of the entries triu/tril set to zero."""
    if input.dim() < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    rows, cols = input._shape[-2:]
    # tri(r, c, k) is True where col <= row + k.
    return np.tri(rows, cols, k - 1, dtype=bool) if upper else ~np.tri(rows, cols, k, dtype=bool)


def _tri(name, input, diagonal, upper, out):
    check_tensor(name, "input", 1, input)
    device = check_devices(input, out)
    mask = _tri_mask(name, input, diagonal, upper)
    result = np.array(array_of(input), order="C")
    np.copyto(result, 0, where=mask, casting="unsafe")
    return finish(result, input.dtype, out, device)


def _tri_(name, self, diagonal, upper):
    check_writable(self)
    mask = _tri_mask(name[:-1], self, diagonal, upper)
    copy_to(self, 0, where=mask)
    return self


def triu(input, diagonal=0, *, out=None):
    """The upper triangle (on and above diagonal `diagonal`) of the last two dimensions;
    the rest is zero."""
    return _tri("triu", input, diagonal, True, out)


def tril(input, diagonal=0, *, out=None):
    """The lower triangle (on and below diagonal `diagonal`) of the last two dimensions;
    the rest is zero."""
    return _tri("tril", input, diagonal, False, out)


def triu_(self, diagonal=0):
    """In-place :func:`triu`."""
    return _tri_("triu_", self, diagonal, True)


def tril_(self, diagonal=0):
    """In-place :func:`tril`."""
    return _tri_("tril_", self, diagonal, False)


METHODS = {"trace": trace, "diag": diag, "diag_embed": diag_embed, "triu": triu, "tril": tril,
           "triu_": triu_, "tril_": tril_}
