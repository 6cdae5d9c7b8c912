"""Order statistics, histograms, distances and matrix functions written with other public
forms: ``quantile``/``nanquantile``, ``mode``, ``histogram``, ``dist``, ``cdist``,
``corrcoef``, ``matrix_power`` and ``matrix_exp``.

Each calls Tensor methods and the installed functions, so autograd records what happens
inside (``autograd/extra_rules.py`` lists them as composite; ``mode`` has torch's rule), and
each runs on every device. Sizes come from shapes; the values read on the host are a few
scalars (a histogram's range, matrix_exp's scaling), never the data themselves.
"""
import math
import numbers

from nbtensor.core import dtype as dt
from nbtensor.core.plan import broadcast_shapes
from nbtensor.core.return_types import return_type
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.out import write_out
from nbtensor.dispatch.tensor import Tensor, wrap_dim
from nbtensor.ops.creation import arange, eye, full, linspace

__all__ = ["quantile", "nanquantile", "mode", "histogram", "dist", "cdist", "corrcoef", "matrix_power",
           "matrix_exp"]

mode_type = return_type("mode")
histogram_type = return_type("histogram", ("hist", "bin_edges"))


def _call(name, *args, **kwargs):
    """The public function `name` as users call it (recorded while autograd records)."""
    return forms.installed_function(name)(*args, **kwargs)


def _result(result, out, name):
    return result if out is None else write_out(out, result, name)


# ---------------------------------------------------------------- quantile
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_checks(name, input, q, interpolation):
    if not input.dtype.is_floating_point or input.dtype is dt.float16:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if q.dim() > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.numel() and not bool(q.ge(0).logical_and(q.le(1)).all()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    elif isinstance(q, numbers.Real):
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        q = full((), q, dtype=input.dtype, device=input.device)
    else:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(q).__name__})")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    return q


def _quantile(name, ignore_nan, input, q, dim, keepdim, interpolation, out):
    q = _quantile_checks(name, input, q, interpolation)
    scalar_q = q.dim() == 0
    x = input.reshape(-1) if dim is None else input.movedim(wrap_dim(dim, max(input.dim(), 1)), -1) \
        if input.dim() else input.reshape(1)
    if x._shape[-1] == 0:
        raise IndexError(f"{name}() cannot compute a quantile over an empty dimension")
    n = x._shape[-1]
    values = x.sort(-1).values  # (NaN last)
    nan = x.isnan()
    if ignore_nan:
        last = nan.logical_not().sum(-1, keepdim=True).sub(1).clamp(min=0).to(input.dtype)
    else:
        last = full((), n - 1, dtype=input.dtype, device=input.device)
    ranks = q.reshape(-1).mul(last)
    if not ignore_nan:  # a row with NaN gives NaN (its last sorted value)
        ranks = ranks.where(nan.any(-1, keepdim=True).logical_not(), float(n - 1))
    if interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.floor() if interpolation != "higher" else ranks.ceil()
    above = ranks.ceil() if interpolation != "lower" else ranks.floor()
    lead = tuple(values._shape[:-1])
    below_index = below.to(dt.int64).expand(lead + (below._shape[-1],))
    above_index = above.to(dt.int64).expand(lead + (above._shape[-1],))
    low, high = values.gather(-1, below_index), values.gather(-1, above_index)
    if interpolation in ("linear", "midpoint"):
        weight = ranks.sub(below) if interpolation == "linear" else full((), 0.5, dtype=input.dtype,
                                                                         device=input.device)
        result = low.lerp(high, weight.expand(low._shape))
    else:
        result = low
    result = result.movedim(-1, 0)  # (q's dimension first, as torch's)
    if keepdim:
        if dim is None:
            result = result.reshape((result._shape[0],) + (1,) * input.dim())
        elif input.dim():
            result = result.unsqueeze(wrap_dim(dim, input.dim()) + 1)
    if scalar_q:
        result = result.squeeze(0)
    return _result(result, out, name)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The `q`-th quantiles (q a number or 1-D tensor in [0, 1]) of `input`'s values, or of
    each slice along `dim`, interpolated as `interpolation` says between the two sorted values
    around rank ``q * (n - 1)``; a slice holding NaN gives NaN. With a 1-D `q` the result's
    first dimension runs over q."""
    return _quantile("quantile", False, input, q, dim, keepdim, interpolation, out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """``quantile`` ignoring NaN values (NaN only where a slice is all NaN)."""
    return _quantile("nanquantile", True, input, q, dim, keepdim, interpolation, out)


# ---------------------------------------------------------------- mode
def mode(input, dim=-1, keepdim=False, *, out=None):
    """``(values, indices)``: the most frequent value of each slice along `dim` (the smallest
    of equally frequent ones) and the position of its last occurrence."""
    if input.dim() == 0:
        wrap_dim(dim, 0)  # (torch's TypeError for a tuple, IndexError past -1 / 0)
        result = mode_type(input.clone(), full((), 0, dtype=dt.int64, device=input.device))
    else:
        d = wrap_dim(dim, input.dim())
        if input._shape[d] == 0:
            raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
        x = input.movedim(d, -1)
        ordered = x.sort(-1, stable=True)
        values, order = ordered.values, ordered.indices
        n = values._shape[-1]
        positions = arange(n, device=input.device).expand(values._shape)
        starts = values.narrow(-1, 1, n - 1).ne(values.narrow(-1, 0, n - 1))
        starts = _call("cat", [full(values._shape[:-1] + (1,), True, dtype=dt.bool, device=input.device),
                               starts], -1)
        run_start = positions.mul(starts).cummax(-1).values
        count = positions.sub(run_start)
        best = count.argmax(-1, keepdim=True)
        value, index = values.gather(-1, best), order.gather(-1, best)
        value, index = value.squeeze(-1), index.squeeze(-1)
        if keepdim:  # (unsqueezed: the kept dim's stride as torch's, not 1)
            value, index = value.unsqueeze(d), index.unsqueeze(d)
        result = mode_type(value, index)
    if out is None:
        return result
    return mode_type(write_out(out[0], result[0], "mode"), write_out(out[1], result[1], "mode"))


# ---------------------------------------------------------------- histogram
def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """``(hist, bin_edges)``: the number (or total `weight`) of `input`'s values in each bin —
    `bins` equal bins over `range` (default: the values' min and max) or the bins between the
    edges of the 1-D tensor `bins`; the last bin includes its right edge. With `density`,
    hist is divided by its sum and the bins' widths."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{input.dtype.c_name}'")
    if weight is not None and weight._shape != input._shape:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                           f"input tensor excluding its innermost dimension, but got input with shape "
                           f"{list(input._shape) + [1]} and weight with shape {list(weight._shape)}")
    x = input.reshape(-1)
    if isinstance(bins, Tensor):
        if bins.dtype is not input.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
                               f"got input with dtype {input.dtype.cpp_name} and bins for dimension 0 with dtype "
                               f"{bins.dtype.cpp_name}")
        edges = bins
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None:
            low, high = float(range[0]), float(range[1])
        elif x.numel():
            low, high = x.min().item(), x.max().item()
        else:
            low, high = 0.0, 1.0
        if low > high:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {low:g} max {high:g} "
                               "for dimension 0")
        if not (math.isfinite(low) and math.isfinite(high)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{low:g}, {high:g}] is not finite")
        if low == high:
            low, high = low - 0.5, high + 0.5
        edges = linspace(low, high, bins + 1, dtype=input.dtype, device=input.device)
    count = edges.numel() - 1
    first, last = edges[0], edges[-1]
    inside = x.ge(first).logical_and(x.le(last))
    slot = _call("searchsorted", edges, x.contiguous(), right=True).sub(1).clamp(0, max(count - 1, 0))
    amount = weight.reshape(-1).to(input.dtype) if weight is not None else full(x._shape, 1, dtype=input.dtype,
                                                                                   device=input.device)
    amount = amount.mul(inside)
    hist = full((max(count, 0),), 0, dtype=input.dtype, device=input.device)
    if x.numel() and count > 0:
        hist = hist.index_add(0, slot, amount)
    if density:
        widths = edges.narrow(0, 1, count).sub(edges.narrow(0, 0, count))
        hist = hist.div(hist.sum().mul(widths))
    result = histogram_type(hist, edges if isinstance(bins, Tensor) else edges)
    if out is None:
        return result
    return histogram_type(write_out(out[0], hist, "histogram"), write_out(out[1], edges, "histogram"))


# ---------------------------------------------------------------- distances, correlations
def dist(input, other, p=2):
    """The `p`-norm of ``input - other`` (broadcast)."""
    for t in (input, other):
        if isinstance(t, Tensor) and not t.dtype.is_floating_point:
            raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                               f"{t.dtype.c_name} instead.")
    return input.sub(other).norm(p)


# ---------------------------------------------------------------- cdist
_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
# Past this many points in either set torch's default mode computes p = 2 by a matrix product.
_CDIST_MM_POINTS = 25
# Elements of the (..., P, R, M) differences made at once: larger inputs go in row blocks.
_CDIST_BLOCK = 1 << 22


def _cdist_checks(x1, x2, p, compute_mode):
    """torch's errors for cdist's arguments, in its order; returns p as a float."""
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for position, (argument, t) in enumerate((("x1", x1), ("x2", x2)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"cdist(): argument '{argument}' (position {position}) must be Tensor, not "
                            f"{type(t).__name__}")
    for label, t in (("X1", x1), ("X2", x2)):
        if t.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {label} got: {t.dim()}D")
    if x1._shape[-1] != x2._shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1._shape[-1]} X2: "
                           f"{x2._shape[-1]}")
    p = float(p.item() if isinstance(p, Tensor) else p)
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    for label, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {label} got: {t.dtype.c_name}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {x1.dtype.c_name} but found {x2.dtype.c_name}")
    if x1.dtype is dt.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    return p


def _safe_pow(t, exponent):
    """``t ** exponent`` with 0 (and gradient 0) where `t` is 0: the power's derivative is
    infinite there for exponents below 1, and torch's cdist gives such points no gradient."""
    zero = t.eq(0)
    return t.masked_fill(zero, 1).pow(exponent).masked_fill(zero, 0)


def _largest_difference(a):
    """The largest of `a` (the absolute differences) along the last dimension, NaN skipped as
    torch's max-norm kernel skips it. Every tied maximum gets the whole gradient, as torch's
    cdist gives it (``amax`` would share it out): the value is the detached maximum plus
    the tied entries less their own detached values, which add 0 and carry the gradient."""
    a = a.masked_fill(a.isnan(), 0)
    top = a.detach().amax(-1)
    carried = a.masked_fill(a.detach().ne(top.unsqueeze(-1)).logical_or(a.isinf()), 0)
    return top.add(carried.sub(carried.detach()).sum(-1))


def _pair_distances(x1, x2, p):
    """The p-norms of every difference of a row of `x1` and a row of `x2`, from the
    (..., P, R, M) differences."""
    a = x1.unsqueeze(-2).sub(x2.unsqueeze(-3)).abs()
    if p == 0:
        return a.ceil().clamp(max=1).sum(-1)  # (NaN stays NaN, as in torch)
    if p == math.inf:
        return _largest_difference(a)
    if p == 1:
        return a.sum(-1)
    if p == 2:
        return _safe_pow(a.square().sum(-1), 0.5)
    return _safe_pow(_safe_pow(a, p).sum(-1), 1 / p)


def _blocked_distances(x1, x2, p):
    """`_pair_distances` over blocks of x1's rows, so the differences never hold more than
    about `_CDIST_BLOCK` elements at once."""
    per_row = math.prod(broadcast_shapes(x1._shape[:-2], x2._shape[:-2])) * x2._shape[-2] * x1._shape[-1]
    rows = max(1, _CDIST_BLOCK // max(per_row, 1))
    if x1._shape[-2] <= rows:
        return _pair_distances(x1, x2, p)
    return _call("cat", [_pair_distances(part, x2, p) for part in x1.split(rows, -2)], -2)


def _euclidean_by_product(x1, x2):
    """Euclidean distances from one matrix product (torch's mode for many points):
    ``|a - b|^2 = -2 a.b + |a|^2 + |b|^2`` is the product of the rows ``[-2a, |a|^2, 1]``
    and ``[b, 1, |b|^2]``, clamped at 1e-30 (cancellation can leave it negative)."""
    n1 = x1.square().sum(-1, keepdim=True)
    n2 = x2.square().sum(-1, keepdim=True)
    left = _call("cat", [x1.mul(-2), n1, n1.new_ones(n1._shape)], -1)
    right = _call("cat", [x2, n2.new_ones(n2._shape), n2], -1)
    return left.matmul(right.mT).clamp_min(1e-30).sqrt()


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The `p`-norm distance of every row of `x1` (..., P, M) to every row of `x2` (..., R, M),
    batch dimensions broadcast: (..., P, R). `p` may be 0 (the count of differing
    coordinates) to inf (the largest difference). For p = 2 torch's default mode uses a
    matrix product when P or R exceeds 25 (``use_mm_for_euclid_dist`` always,
    ``donot_use_mm_for_euclid_dist`` never), whose roundings differ slightly."""
    p = _cdist_checks(x1, x2, p, compute_mode)
    batch = broadcast_shapes(x1._shape[:-2], x2._shape[:-2])
    P, R = x1._shape[-2], x2._shape[-2]
    if x1._shape[-1] == 0:
        return x1.new_zeros(batch + (P, R))
    if p == 2 and (compute_mode == _CDIST_MODES[1] or
                   compute_mode == _CDIST_MODES[0] and max(P, R) > _CDIST_MM_POINTS):
        return _euclidean_by_product(x1, x2)
    return _blocked_distances(x1, x2, p)


def corrcoef(input):
    """Pearson's correlation coefficients of the variables in the rows of `input` (from
    ``cov``), clipped to [-1, 1]."""
    c = _call("cov", input)
    if c.dim() == 0:
        return c.div(c)
    std = c.diagonal().sqrt()
    return c.div(std.unsqueeze(1)).div(std.unsqueeze(0)).clamp(-1, 1)


# ---------------------------------------------------------------- matrix functions
def _square(name, A):
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A._shape[-1] != A._shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A._shape[-2]} by "
                           f"{A._shape[-1]} matrices")


def _identity_like(A):
    n = A._shape[-1]
    return eye(n, dtype=A.dtype, device=A.device).expand(A._shape).clone()


def matrix_power(input, n):
    """`input` (a square matrix or a batch) multiplied by itself `n` times (the inverse's
    power for negative `n`, the identity for 0)."""
    _square("linalg.matrix_power", input)
    if n == 0:
        return _identity_like(input)
    base = input if n > 0 else _call("inverse", input)
    n = abs(n)
    if n == 1:
        return base.clone()
    result = None
    while n:
        if n & 1:
            result = base if result is None else result.matmul(base)
        n >>= 1
        if n:
            base = base.matmul(base)
    return result


_TAYLOR_TERMS = 12  # (after scaling to a 1-norm <= 1/4: a remainder below 3e-18)


def matrix_exp(input):
    """The matrix exponential of a square matrix (or batch): scaling and squaring of a
    Taylor polynomial."""
    _square("linalg.matrix_exp", input)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got "
                           f"{input.dtype.c_name}")
    if input.numel() == 0:
        return input.clone()
    size = input.detach().abs().sum(-2).amax().item()  # (the largest 1-norm of the batch)
    squarings = max(0, int(math.ceil(math.log2(size))) + 2) if size > 0 and math.isfinite(size) else 0
    scaled = input.div(2.0 ** squarings) if squarings else input
    identity = _identity_like(input)
    result = identity
    for k in range(_TAYLOR_TERMS, 0, -1):  # Horner: I + A/1 (I + A/2 (I + ...))
        result = identity.add(scaled.matmul(result).div(k))
    for _ in range(squarings):
        result = result.matmul(result)
    return result


forms.functions(__all__, globals())
forms.methods(["mode", "histogram", "dist", "corrcoef", "matrix_power", "matrix_exp"], globals())
forms.method("quantile", quantile)
forms.method("nanquantile", nanquantile)
