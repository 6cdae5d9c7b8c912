"""Counting (SPEC §7): unique, unique_consecutive, bincount, histc.

These produce outputs whose size depends on the data; they run NumPy (``np.unique``,
``np.bincount``, ``np.histogram``) on the host values (on the CPU the zero-copy ndarray
view), which already does what a kernel would (a sort or one counting pass), and put the
results on the input's device.
"""
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.host import host_array
from nbtensor.ops.creation import _wrap
from nbtensor.dispatch.out import result_or_out
from nbtensor.dispatch.tensor import common_device, wrap_dim
from nbtensor.dispatch import dispatcher as forms

__all__ = ["unique", "unique_consecutive", "bincount", "histc"]

_METHODS = __all__


def _results(device, dtype, values, inverse, counts, return_inverse, return_counts, dim=None):
    """The host results as tensors on `device`: values (of `dtype`), then the inverse and the
    counts if asked for. With `dim`, the values are laid out as torch's: contiguous with
    `dim` first, then moved back into place."""
    if dim is None:
        out = [_wrap(values, dtype, device)]
    else:
        out = [_wrap(np.ascontiguousarray(np.moveaxis(values, dim, 0)), dtype, device).movedim(0, dim)]
    if return_inverse:
        out.append(_wrap(inverse, dt.int64, device))
    if return_counts:
        out.append(_wrap(counts, dt.int64, device))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or distinct slices along `dim`) in ascending order, optionally
    with the inverse mapping (input shape, or size(dim)) and the counts. NaNs stay distinct."""
    arr = host_array(input)
    if dim is None:
        vals, inv, cnt = np.unique(arr.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        inv = inv.reshape(arr.shape)
    else:
        if input.dim() == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        dim = wrap_dim(dim, input.dim())
        if any(n == 0 for d, n in enumerate(arr.shape) if d != dim):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
        if arr.shape[dim] == 0:
            vals, inv, cnt = arr.copy(), np.empty(0, np.int64), np.empty(0, np.int64)
        else:
            vals, inv, cnt = np.unique(arr, return_inverse=True, return_counts=True, axis=dim, equal_nan=False)
            inv = inv.reshape(-1)
    return _results(input.device, input.dtype, vals, inv, cnt, return_inverse, return_counts, dim)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive elements (or slices along `dim`) to one."""
    arr = host_array(input)
    if dim is None:
        flat = arr.reshape(-1)
        axis, rows = 0, flat
    else:
        axis = wrap_dim(dim, input.dim())
        flat = arr
        rows = np.moveaxis(arr, axis, 0).reshape(arr.shape[axis], -1)
    n = rows.shape[0]
    change = np.ones(n, bool)
    if n > 1:
        diff = rows[1:] != rows[:-1]
        change[1:] = diff if diff.ndim == 1 else diff.any(axis=1)
    starts = np.flatnonzero(change)
    vals = np.take(flat, starts, axis=axis)
    inv = np.cumsum(change) - 1
    if dim is None:
        inv = inv.reshape(arr.shape)
    cnt = np.diff(np.append(starts, n))
    return _results(input.device, input.dtype, vals, inv, cnt, return_inverse, return_counts,
                    None if dim is None else axis)


def bincount(input, weights=None, minlength=0):
    """Counts of each value 0..max(input) of a 1-D non-negative integer tensor (sums of
    `weights` instead of counts when given)."""
    if input.dtype.category != dt.INTEGER:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.dtype.c_name}'")
    if not isinstance(minlength, numbers.Integral) or minlength < 0:
        raise RuntimeError(f"minlength should be >= 0, got {minlength}")
    arr = host_array(input)
    if input.dim() != 1 or (arr.size and arr.min() < 0):
        detail = f"got shape {list(input._shape)}" if input.dim() != 1 else f"got value {int(arr.min())}"
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs ({detail}).")
    if weights is None:
        return _wrap(np.bincount(arr, minlength=minlength), dt.int64, input.device)
    if weights._shape != input._shape:
        raise RuntimeError(f"weights should be 1-d and have the same length as input (got weights of shape "
                           f"{list(weights._shape)} for input of shape {list(input._shape)})")
    device = common_device((input, weights))
    dtype = dt.float32 if weights.dtype is dt.float32 else dt.float64
    counts = np.bincount(arr, weights=host_array(weights).astype(np.float64), minlength=minlength)
    return _wrap(counts, dtype, device)


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram of `input` with `bins` equal-width bins over [min, max] (the data's range
    when min == max); elements outside are ignored."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype.c_name}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError(f"torch.histc: max must be larger than min (got min {min} and max {max})")
    arr = host_array(input).reshape(-1)
    if lo == hi and arr.size:
        finite = arr[~np.isnan(arr)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    data = arr[(arr >= lo) & (arr <= hi)]
    counts, _ = np.histogram(data, bins=bins, range=(lo, hi))
    return result_or_out(_wrap(counts, input.dtype, input.device), out, "histc")


forms.functions(__all__, globals())
forms.methods(_METHODS, globals())
