"""Functions that rearrange or combine the elements of tensors: ``diff``, ``meshgrid``,
``tril_indices``/``triu_indices``, ``take_along_dim``, ``isin``, ``cartesian_prod``,
``combinations``, ``rot90``, ``vander``, ``diagflat``, ``block_diag``, ``cov``, ``renorm``, the
trapezoidal rule (``trapezoid``, ``trapz``, ``cumulative_trapezoid``) and ``unravel_index``.

Most are written with other public forms (Tensor methods and the installed functions), so
that autograd records the forms inside them and a result's ``grad_fn`` is torch's
(``diff`` ends in ``SubBackward0``, ``meshgrid`` gives ``expand`` views, ``cov`` a
``squeeze``, ``trapezoid`` a ``mul`` or ``div`` by a number): `autograd/math_rules.py` lists them
as composite.
"""
import collections.abc
import itertools
import numbers
import warnings

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.core.device import to_device
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.out import write_out
from nbtensor.dispatch.tensor import Tensor, wrap_dim
from nbtensor.ops.creation import _resolve, _wrap, full, full_like, ones, zeros
from nbtensor.ops.elementwise import result_type

__all__ = ["diff", "meshgrid", "tril_indices", "triu_indices", "take_along_dim", "isin", "cartesian_prod",
           "combinations", "rot90", "vander", "diagflat", "block_diag", "cov", "renorm", "trapezoid", "trapz",
           "cumulative_trapezoid", "unravel_index"]
# (the Tensor methods torch has of these)
_METHODS = ("diff", "take_along_dim", "rot90", "diagflat", "cov", "renorm")


def _call(name, *args, **kwargs):
    """The public function `name` as users call it (recorded while autograd records)."""
    return forms.installed_function(name)(*args, **kwargs)


def _result(result, out, name):
    return result if out is None else write_out(out, result, name, cast=True)


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """The `n`-th forward difference along `dim` (``x[i + 1] - x[i]``; ``!=`` for bools),
    after joining `prepend` and `append` (tensors of the input's rank) around the input."""
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.dim())
    parts = [input]
    for extra, first in ((prepend, True), (append, False)):
        if extra is None:
            continue
        if extra.dim() != input.dim():
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts.insert(0, extra) if first else parts.append(extra)
    x = parts[0] if len(parts) == 1 else _call("cat", parts, d)
    for _ in range(n):
        length = x._shape[d]
        if length <= 1:
            x = x.narrow(d, 0, 0)
            break
        later, earlier = x.narrow(d, 1, length - 1), x.narrow(d, 0, length - 1)
        x = later.logical_xor(earlier) if x.dtype is dt.bool else later.sub(earlier)
    return _result(x, out, "diff")


def _tensor_list(name, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return list(tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-d or 1-d tensors: result ``i`` holds ``tensors[i]`` along
    dimension ``i`` (``indexing='ij'``, the default) or with the first two dimensions
    swapped (``'xy'``); each result is an expanded view of its input."""
    tensors = _tensor_list("meshgrid", tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor "
                               f"of shape {list(t._shape)}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if t.device != tensors[0].device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = [t.numel() for t in tensors]
    grids = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[i] = -1
        grids.append(t.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def _triangle_indices(name, lower, row, col, offset, dtype, device):
    row, col, offset = (_int_size(name, label, position, value)
                        for position, (label, value) in enumerate((("row", row), ("col", col), ("offset", offset)), 1))
    for label, value in (("row", row), ("col", col)):
        if value < 0:
            raise RuntimeError(f"{label} must be non-negative, got{value}")
    dtype = _resolve(dtype, device, dt.int64)
    if dtype.is_floating_point or dtype is dt.bool:
        raise NotImplementedError(f"\"{name}\" not implemented for '{dtype.c_name}'")
    # (worked out from the sizes alone, on the host, like a creator's values)
    rows, cols = np.tril_indices(row, offset, col) if lower else np.triu_indices(row, offset, col)
    return _wrap(np.stack([rows, cols]).reshape(2, -1), dtype, to_device(device))


def _int_size(name, parameter, position, value):
    """`value` as an int, as torch's parser reads tril_indices' arguments: an int, a NumPy
    integer or a 0-d integer tensor (not a bool, a float or a tensor of one element), else
    torch's TypeError naming its type."""
    if type(value) is not bool and isinstance(value, (int, np.integer)):
        return int(value)
    if (isinstance(value, Tensor) and not value._shape and not value.dtype.is_floating_point
            and value.dtype is not dt.bool):
        return int(value.item())
    raise TypeError(f"{name}(): argument '{parameter}' (position {position}) must be int, not {type(value).__name__}")


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    """The (row, column) indices of the lower triangle of a ``row x col`` matrix (with the
    diagonals up to `offset`), as a 2 x N tensor in row-major order."""
    return _triangle_indices("tril_indices", True, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    """The (row, column) indices of the upper triangle of a ``row x col`` matrix (from the
    diagonal `offset` up), as a 2 x N tensor in row-major order."""
    return _triangle_indices("triu_indices", False, row, col, offset, dtype, device)


def take_along_dim(input, indices, dim=None, *, out=None):
    """The elements of `input` at `indices` along `dim` (both broadcast in the other
    dimensions); without `dim`, indices into the flattened input."""
    if not isinstance(indices, Tensor) or indices.dtype not in (dt.int64, dt.int32):
        got = indices.dtype.c_name if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be int but got {got} instead")
    if indices.dtype is not dt.int64:
        indices = indices.to(dt.int64)
    if dim is None:
        return _result(input.reshape(-1).gather(0, indices.reshape(-1)), out, "take_along_dim")
    if input.dim() != indices.dim():
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.dim()} dimensions for input, and {indices.dim()} dimensions for indices")
    d = wrap_dim(dim, input.dim())
    size = indices._shape[d]
    # every index addresses the dimension from its end too (torch wraps negative indices)
    indices = indices.remainder(input._shape[d]) if input._shape[d] else indices
    shape = list(_broadcast_except(input._shape, indices._shape, d))
    shape[d] = input._shape[d]
    index_shape = list(shape)
    index_shape[d] = size
    return _result(input.expand(shape).gather(d, indices.expand(index_shape)), out, "take_along_dim")


def _broadcast_except(a, b, d):
    """The shape `a` and `b` broadcast to, with dimension `d` left as `a`'s."""
    shape = []
    for i, (x, y) in enumerate(zip(a, b)):
        if i == d or x == y or y == 1:
            shape.append(x)
        elif x == 1:
            shape.append(y)
        else:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
    return shape


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of `elements` is among `test_elements` (either may be a
    number); with `invert`, where it is not. NaN is in nothing."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__})")
    for x in (elements, test_elements):
        if isinstance(x, Tensor) and x.dtype is dt.bool:
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    common = result_type(elements, test_elements)
    device = (elements if isinstance(elements, Tensor) else test_elements).device
    values = [x.to(common) if isinstance(x, Tensor) else full((), x, dtype=common, device=device)
              for x in (elements, test_elements)]
    x, pool = values
    pool = pool.reshape(-1).sort().values
    if pool.dtype.is_floating_point:
        # NaN sorts last and matches nothing (and searchsorted's binary search steps right at it)
        pool = pool.narrow(0, 0, int(pool.isnan().logical_not().sum().item()))
    if pool.numel() == 0:
        found = zeros(x._shape, dtype=dt.bool, device=x.device)
    else:
        at = _call("searchsorted", pool, x.reshape(-1)).clamp(max=pool.numel() - 1)
        found = pool.take(at).eq(x.reshape(-1)).reshape(x._shape)
    return found.logical_not() if invert else found


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-d tensor, as rows (one tensor: itself)."""
    tensors = _tensor_list("cartesian_prod", tensors)
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = _call("meshgrid", *tensors, indexing="ij")
    return _call("stack", [g.flatten() for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The length-`r` combinations of the elements of 1-d `input` (with repeated elements
    when `with_replacement`), one per row, in lexicographic order of positions."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    # (positions from the length alone, on the host; the values are gathered on the device)
    chosen = np.array(list(pick(range(input.numel()), r)), dtype=np.int64).reshape(-1, r)
    columns = [input.index_select(0, _wrap(np.ascontiguousarray(chosen[:, i]), dt.int64, input.device))
               for i in range(r)]
    return _call("stack", columns, 1)


def rot90(input, k=1, dims=(0, 1)):
    """`input` rotated by 90 degrees `k` times in the plane of `dims`, from the first
    dimension towards the second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    first, second = (wrap_dim(d, input.dim()) for d in dims)
    if first == second:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {first} and dim1 = {second}")
    k %= 4
    if k == 1:
        return input.flip(second).transpose(first, second)
    if k == 2:
        return input.flip(first, second)
    if k == 3:
        return input.flip(first).transpose(first, second)
    return input.clone().contiguous()


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-d `x`: column j holds ``x ** (N - 1 - j)`` (``x ** j``
    when `increasing`); integers and bools give int64."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.numel() if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    d = x.dtype if x.dtype.is_floating_point else dt.int64
    result = ones((x.numel(), min(n, 1)), dtype=d, device=x.device)
    if n > 1:
        powers = x.to(d).unsqueeze(1).expand(x.numel(), n - 1).cumprod(1)
        result = _call("cat", [result, powers], 1)
    return result if increasing else result.flip(1)


def diagflat(input, offset=0):
    """A 2-d tensor with the flattened `input` on diagonal `offset`."""
    return input.flatten().diag_embed(offset)


def block_diag(*tensors):
    """The tensors (each 0-, 1- or 2-d: a 1 x 1, 1 x n or m x n block) along the diagonal
    of one matrix of their promoted dtype, zeros elsewhere."""
    blocks = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.dim()} dimensions")
        blocks.append(t if t.dim() == 2 else t.reshape(1, -1))
    if not blocks:
        return zeros((1, 0))
    rows, columns = (sum(b._shape[d] for b in blocks) for d in (0, 1))
    result = zeros((rows, columns), dtype=result_type(*blocks), device=blocks[0].device)
    row = column = 0
    for b in blocks:
        height, width = b._shape
        result[row:row + height, column:column + width] = b
        row, column = row + height, column + width
    return result


def _weights(name, w, observations, integral):
    """torch's checks of cov's `fweights` (`integral`) or `aweights`."""
    if w.dim() > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                           f"{w.dim()} dimensions")
    if integral and w.dtype.is_floating_point:
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} with "
                           f"{w.dtype.c_name} dtype")
    if not integral and not w.dtype.is_floating_point:
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got {name} with "
                           f"{w.dtype.c_name} dtype")
    if w.numel() != observations:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                           f"input but got {w.numel()} != {observations}")
    if observations and bool(w.lt(0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of `input` (a 1-d input is one
    variable), observations in the columns, optionally weighted by frequency (`fweights`)
    and importance (`aweights`); divides by (N - correction)."""
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    if input.dtype is dt.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    observations = x._shape[1]
    weights = None
    if fweights is not None:
        _weights("fweights", fweights, observations, True)
        weights = fweights
    if aweights is not None:
        _weights("aweights", aweights, observations, False)
        weights = aweights if weights is None else weights.mul(aweights)
    if not x.dtype.is_floating_point:
        x = x.to(dt.get_default_dtype())
    if weights is None:
        mean = x.mean(1, keepdim=True)
        total = observations
        factor = total - correction
    else:
        total = weights.sum()
        mean = x.mul(weights).sum(1, keepdim=True).div(total)
        if correction == 0:
            factor = total
        elif aweights is None:
            factor = total.sub(correction)
        else:
            factor = total.sub(weights.mul(aweights).sum().mul(correction).div(total))
    if float(factor) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number "
                      "of observations.", UserWarning, stacklevel=2)
        factor = factor.clamp(min=0) if isinstance(factor, Tensor) else 0
    centred = x.sub(mean)
    weighted = centred if weights is None else centred.mul(weights)
    return centred.mm(weighted.t()).div(factor).squeeze()


def renorm(input, p, dim, maxnorm, *, out=None):
    """Each slice of `input` along `dim` whose `p`-norm exceeds `maxnorm` scaled down to norm
    `maxnorm` (by ``maxnorm / (norm + 1e-7)``, as torch)."""
    if not isinstance(p, numbers.Real) or p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{input.dtype.c_name}")
    d = wrap_dim(dim, max(input.dim(), 1))
    reduced = [i for i in range(input.dim()) if i != d]
    norm = input.norm(p, reduced, keepdim=True) if reduced else input.abs()
    factor = full_like(norm, maxnorm).div(norm.add(1e-7)).where(norm.gt(maxnorm), 1.0)
    return _result(input.mul(factor).contiguous(), out, "renorm")  # (torch's result is row-major)


# ---------------------------------------------------------------- the trapezoidal rule
_TRAPEZOID_SIGNATURES = " * (Tensor y, Tensor x, *, int dim = -1)\n * (Tensor y, *, Number dx = 1, int dim = -1)\n"
_TRAPZ_SIGNATURES = " * (Tensor y, *, float dx = 1, int dim = -1)\n * (Tensor y, Tensor x, *, int dim = -1)\n"


def _is_number(x):
    """True for what torch's ``Number`` argument takes: a real number or a 0-d tensor."""
    return isinstance(x, numbers.Real) or isinstance(x, Tensor) and x.dim() == 0


def _integration_arguments(name, signatures, y, x, dx):
    """torch's TypeError unless `y` is a tensor and one of a tensor `x` or a number `dx` (or
    neither) is given."""
    if not isinstance(y, Tensor):
        raise TypeError(f"{name}(): argument 'y' (position 1) must be Tensor, not {type(y).__name__}")
    if (x is None and (dx is None or _is_number(dx))) or (isinstance(x, Tensor) and dx is None):
        return
    got = [type(y).__name__] + ([type(x).__name__] if x is not None else [])
    got += [f"dx={type(dx).__name__}"] if dx is not None else []
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), but "
                    f"expected one of:\n{signatures}")


def _spacing_value(name, dx):
    """The number `dx` (a 0-d tensor's value); torch refuses a bool."""
    if isinstance(dx, Tensor):
        dx = dx.item()
    if isinstance(dx, bool):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return dx


def _no_bools(name, y, x=None):
    """torch's RuntimeError for a bool `y` (or `x`)."""
    if x is None and y.dtype is dt.bool:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if x is not None and dt.bool in (x.dtype, y.dtype):
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported")


def _ends(t, d):
    """(`t` without its first slice along `d`, `t` without its last): the right and left
    ends of each interval."""
    n = t._shape[d]
    return t.narrow(d, min(n, 1), max(n - 1, 0)), t.narrow(d, 0, max(n - 1, 0))


def _sample_dim(y, dim, with_x):
    """`dim` wrapped for `y`; a 0-d `y` has no samples (torch's IndexErrors)."""
    if y.dim() == 0:
        shown = wrap_dim(dim, 0) if with_x else dim
        raise IndexError(f"Dimension specified as {shown} but tensor has no dimensions")
    return wrap_dim(dim, y.dim())


def _widths(name, y, x, d):
    """The interval widths ``x[i + 1] - x[i]`` along `d`: a 1-D `x` holds one value per
    sample and lies along `d`; a shorter `x` gains leading dimensions of size 1."""
    if x.dim() == 1:
        if x._shape[0] != y._shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[d] = x._shape[0]
        x = x.view(shape)
    elif x.dim() < y.dim():
        x = x.view([1] * (y.dim() - x.dim()) + list(x._shape))
    right, left = _ends(x, d)
    return right.sub(left)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along `dim`: the integral of the samples `y` taken at the points
    `x` (a 1-D tensor of one point per sample, or one that broadcasts against `y`), or at
    spacing `dx` (default 1). Integers give the default float dtype."""
    _integration_arguments("trapezoid", _TRAPEZOID_SIGNATURES, y, x, dx)
    d = _sample_dim(y, dim, x is not None)
    if y._shape[d] == 0:
        return y.new_zeros(y._shape[:d] + y._shape[d + 1:])
    _no_bools("trapezoid", y, x)
    if x is None:
        # the sum of all samples, less half of each end one, times the spacing
        step = 1 if dx is None else _spacing_value("trapezoid", dx)
        ends = y.select(d, 0).add(y.select(d, -1))
        return y.sum(d).sub(ends.mul(0.5)).mul(step)
    right, left = _ends(y, d)
    return right.add(left).mul(_widths("trapezoid", y, x, d)).sum(d).div(2)


def trapz(y, x=None, *, dx=None, dim=-1):
    """torch's older name of `trapezoid`: ``trapz(y, x, *, dim=-1)`` or
    ``trapz(y, *, dx=1, dim=-1)``."""
    _integration_arguments("trapz", _TRAPZ_SIGNATURES, y, x, dx)
    return trapezoid(y, x, dim=dim) if x is not None else trapezoid(y, dx=1 if dx is None else dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal rule along `dim`: element i is the integral over the first
    i + 2 samples of `y` (so `dim` is one shorter), at the points `x` or spacing `dx`."""
    _integration_arguments("cumulative_trapezoid", _TRAPEZOID_SIGNATURES, y, x, dx)
    if x is None and y.dim() == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = _sample_dim(y, dim, x is not None)
    _no_bools("cumulative_trapezoid", y, x)
    right, left = _ends(y, d)
    if x is None:
        step = 1 if dx is None else _spacing_value("cumulative_trapezoid", dx)
        return right.add(left).mul(step / 2).cumsum(d)
    return right.add(left).mul(_widths("cumulative_trapezoid", y, x, d)).div(2).cumsum(d)


# ---------------------------------------------------------------- flat indices to coordinates
def _unravel_shape(shape):
    """`shape` as a tuple of ints, with torch's TypeErrors and ValueError."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, np.integer):
        shape = (shape,)
    elif not isinstance(shape, collections.abc.Sequence):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for n in shape:
        if not isinstance(n, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(n)}")
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    return shape


def unravel_index(indices, shape):
    """The coordinates in a tensor of `shape` of the flat (row-major) `indices`: a tuple of
    int64 tensors shaped as `indices`, one per dimension. As in torch, indices outside the
    tensor are not refused: they wrap (floored division, then remainder by each size)."""
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices.dtype.is_floating_point or indices.dtype is dt.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = _unravel_shape(shape)
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    device = indices.device
    steps = _call("tensor", strides, dtype=dt.int64, device=device)
    sizes = _call("tensor", shape, dtype=dt.int64, device=device)
    # (all coordinates in one (..., ndim) tensor: each result is a view of it, as torch's)
    return indices.unsqueeze(-1).floor_divide(steps).remainder(sizes).unbind(-1)


forms.functions(__all__, globals())
forms.methods(_METHODS, globals())
