"""Norms: ``linalg.vector_norm``, ``linalg.matrix_norm`` and ``linalg.norm``, which picks
one of the two as torch does, computed by NumPy on a host array of the input, the result
on the input's device. float16 is computed in float32 and rounded back."""
import math
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.ops.linalg.util import array_of, check_devices, check_tensor, compute_np_dtype, finish
from nbtensor.ops import reduce as _reduce
from nbtensor.ops.reduce import check_norm_dtype, norm_is_magnitude
from nbtensor.dispatch.tensor import wrap_dim

__all__ = ["vector_norm", "matrix_norm", "norm"]

_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _norm_input(name, x, dtype, out):
    """Validate the input, ``dtype=`` and the device of `out`; return (host array in the
    compute dtype, result dtype, device)."""
    check_tensor(name.replace(".", "_"), "input", 1, x)
    device = check_devices(x, out)
    dtype = check_norm_dtype(name, x.dtype, dtype) or x.dtype
    return array_of(x).astype(compute_np_dtype(dtype), copy=False), dtype, device


def _reduce_dims(dim, ndim):
    """`dim` (None, an int or a sequence) as a tuple of distinct non-negative dims, or None
    for all of them."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    wrapped = []
    for d in dims:  # (checked on a 0-d tensor too: only dim 0 / -1, once)
        w = wrap_dim(d, ndim) % (ndim or 1)  # (a 0-d tensor's -1 is its dim 0)
        if w in wrapped:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        wrapped.append(w)
    if not wrapped or ndim == 0:
        return None
    return tuple(wrapped)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The vector `ord`-norm over `dim` (all elements by default): ``sum(|x|**ord)**(1/ord)``,
    max |x| for inf, min |x| for -inf, the count of non-zeros for 0."""
    if isinstance(ord, str) or not isinstance(ord, numbers.Real):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    a, dtype, device = _norm_input("linalg.vector_norm", x, dtype, out)
    axes = _reduce_dims(dim, a.ndim)
    if ord < 0 or ord == math.inf:  # a minimum or maximum: no identity for empty input
        what = f"linalg.vector_norm cannot compute the {ord:g} norm on"
        if axes is None and a.size == 0:
            raise RuntimeError(f"{what} an empty tensor because the operation does not have an identity")
        for d in axes or ():
            if a.shape[d] == 0:
                raise RuntimeError(f"{what} the dimension {d} because this dimension is empty and the "
                                   "operation does not have an identity")
    n = a.size if axes is None else math.prod(a.shape[d] for d in axes)
    if norm_is_magnitude(ord, n, a.ndim, dim):
        return finish(np.abs(a).max(axis=axes, keepdims=keepdim), dtype, out, device)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing norm is inf, silently (torch)
        return finish(np.linalg.vector_norm(a, ord=ord, axis=axes, keepdims=keepdim), dtype, out, device)


def _empty_matrix_norm(a, ord, d0, d1, keepdim):
    """Matrix norms of empty matrices: 0 where torch reduces with a maximum or a sum, and
    torch's IndexError where it takes a minimum over an empty dimension."""
    empty_min = {-2: -1 if 0 in (a.shape[d0], a.shape[d1]) else None,
                 -1: d1 - (d1 > d0) if a.shape[d1] == 0 else None,
                 -math.inf: d0 - (d0 > d1) if a.shape[d0] == 0 else None}.get(ord)
    if empty_min is not None:
        raise IndexError(f"amin(): Expected reduction dim {empty_min} to have non-zero size.")
    shape = [1 if d in (d0, d1) else s for d, s in enumerate(a.shape) if keepdim or d not in (d0, d1)]
    return np.zeros(shape, a.dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """The matrix norm over the two dims `dim`: 'fro', 'nuc' (sum of singular values), 2/-2
    (largest/smallest singular value), 1/-1 (max/min column sum), inf/-inf (row sums)."""
    name = "linalg.matrix_norm"
    check_tensor("linalg_matrix_norm", "input", 1, A)
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):  # (torch checks the order first)
        raise RuntimeError(f"{name}: Order {ord} not supported.")
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    a, dtype, device = _norm_input(name, A, dtype, out)
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(str(d) for d in dims)}")
    d0, d1 = wrap_dim(dims[0], a.ndim), wrap_dim(dims[1], a.ndim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dims[0]}, {dims[1]})")
    if ord in (2, -2, "nuc") and dtype is dt.float16:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
    if a.shape[d0] == 0 or a.shape[d1] == 0:
        return finish(_empty_matrix_norm(a, ord, d0, d1, keepdim), dtype, out, device)
    return finish(np.linalg.norm(a, ord=ord, axis=(d0, d1), keepdims=keepdim), dtype, out, device)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """``linalg.norm``: a vector norm when `dim` is an int or 1-tuple (or when neither `ord`
    nor `dim` is given: the 2-norm of all elements), a matrix norm when `dim` is a 2-tuple
    or `ord` is a string; with `ord` but no `dim`, the input must be 1-D or 2-D."""
    check_tensor("linalg_norm", "input", 1, A)
    if dim is None and ord is not None and A.dim() > 2:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.dim()}D.")
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype, out=out)
    if dim is not None:
        dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype, out=out)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    if ord is None or A.dim() < 2:
        return vector_norm(A, 2 if ord is None else ord, None, keepdim, dtype=dtype, out=out)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)


_reduce.matrix_norm = matrix_norm  # (torch.norm's string orders: 'nuc', and torch's error for others)
