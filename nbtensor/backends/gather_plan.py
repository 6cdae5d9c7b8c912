"""Planning shared by the backends' indexed data movement (backends/cpu/gather.py,
backends/cuda/gather.py): loop levels over dimensions, merged where every operand allows,
with a table of element offsets where an operand's dimensions do not collapse to one stride.
Pure Python and NumPy on small host arrays; no storage is touched here.
"""
import numpy as np

from nbtensor.core.plan import merge_dims, plan, remember
from nbtensor.core.plan import numel as _numel

__all__ = ["coalesce", "offsets_table", "level", "post_level", "mask_plan", "along_dim_plan"]

_EMPTY = np.empty(0, np.int64)


def coalesce(shape, strides_list):
    """Drop size-1 dimensions and merge neighbours that are contiguous for every operand,
    keeping the dimension order (row-major order of the iteration is preserved)."""
    return merge_dims(shape, [d for d in range(len(shape)) if shape[d] != 1], strides_list)


def offsets_table(shape, strides):
    """Element offsets of every position of `shape`/`strides` in row-major order (int64)."""
    table = np.zeros(1, np.int64)
    for n, s in zip(shape, strides):
        table = (table[:, None] + np.arange(n, dtype=np.int64) * s).reshape(-1)
    return table


def level(shape, strides_list):
    """One loop level over dims `shape` for several operands: (size, [(table, stride)]).
    An operand whose dims collapse to one stride is affine (empty table)."""
    if not shape:
        return 1, [(_EMPTY, 0)] * len(strides_list)
    shape, strides_list = coalesce(shape, strides_list)
    if len(shape) <= 1:
        return (shape[0] if shape else 1), [(_EMPTY, st[0] if st else 0) for st in strides_list]
    out = []
    for st in strides_list:
        own_shape, (own,) = coalesce(shape, [st])
        if len(own_shape) <= 1:
            out.append((_EMPTY, own[0] if own else 0))
        else:
            out.append((offsets_table(own_shape, own), 1))
    return _numel(shape), out


def post_level(shape, strides_list):
    """The innermost levels: (Q1, [(table, stride)], Q2, [inner stride])."""
    shape, strides_list = coalesce(shape, strides_list)
    if not shape:
        return 1, [(_EMPTY, 0)] * len(strides_list), 1, [0] * len(strides_list)
    if len(shape) == 1:
        return 1, [(_EMPTY, 0)] * len(strides_list), shape[0], [st[0] for st in strides_list]
    q1, levels = level(shape[:-1], [st[:-1] for st in strides_list])
    return q1, levels, shape[-1], [st[-1] for st in strides_list]


_MASK_PLANS = {}


def mask_plan(shape, data_strides, mask_strides):
    """The walk of a mask and its data over `shape`: (coalesced shape, [data strides, mask
    strides]) as int64 arrays, remembered per layout: callers and kernels only read them."""
    key = (tuple(shape), tuple(data_strides), tuple(mask_strides))
    found = _MASK_PLANS.get(key)
    if found is not None:
        return found
    cshape, (ds, ms) = coalesce(key[0], [data_strides, mask_strides])
    if not cshape:
        cshape, ds, ms = [1], [0], [0]
    # (left writable: a read-only array is another Numba type, so another compiled kernel)
    return remember(_MASK_PLANS, key, (np.array(cshape, np.int64), np.array([ds, ms], np.int64)))


def along_dim_plan(plain, index, other, shape, dim):
    """The walk of `along_dim` over positions of `shape` (operands ``(storage, offset,
    strides)``): (other's stride along `dim`, the coalesced shape, the strides of plain,
    index and other, other's along `dim` zeroed: the index supplies that step)."""
    sd = other[2][dim] if other[2] else 0
    ostrides = tuple(0 if d == dim else s for d, s in enumerate(other[2]))
    if not shape:
        return sd, (1,), [(0,), (0,), (0,)]
    nshape, nstrides = plan(tuple(shape), [plain[2], index[2], ostrides])
    return sd, nshape, nstrides
