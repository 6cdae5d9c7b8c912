"""Picking slices or elements of a row-major CPU tensor along one dimension by int64 index
values (index_select, gather, and the ``x[index]`` forms that are one of them) with one
kernel that checks the values are in range, then copies. Planned once per shapes; anything else
(another layout, device or dtype of index, a value out of range) is left to the general
paths, which check, wrap negative values and raise torch's errors.
"""
import numpy as np

from nbtensor.backends.base import backend_for
from nbtensor.backends.host import bits
from nbtensor.core import dtype as dt
from nbtensor.core.device import CPU
from nbtensor.core.plan import contiguous_strides, remember
from nbtensor.dispatch.tensor import Tensor, _numel, make

__all__ = ["fast_pick", "row_major_cpu"]

_CPU = backend_for(CPU)


def row_major_cpu(t):
    """True for a row-major tensor whose memory is a CPU NumPy storage."""
    return (type(t) is Tensor and type(t._storage) is np.ndarray
            and (t._contig or t._contig is None and t.is_contiguous()))


def fast_pick(kernel, input, dim, table, offset, index_shape, out_shape):
    """index_select (`kernel` "select_rows") or gather ("gather_rows") of a row-major CPU
    `input` along `dim` (in range) by the int64 values ``table[offset:]`` laid out row-major
    as `index_shape`: the result, of shape `out_shape`, by one kernel when they all lie in
    [0, size); None for anything else, or for any value out of range (the general path decides)."""
    if not row_major_cpu(input):
        return None
    key = (kernel, input._shape, index_shape, dim, out_shape)
    plan = _PICK_PLANS.get(key, False)
    if plan is False:
        plan = remember(_PICK_PLANS, key, _pick_plan(kernel, input._shape, index_shape, dim, out_shape))
    if plan is None:
        return None
    copy, n, pre, size, k, post, numel, out_shape, out_strides = plan
    d = input.dtype
    out = _CPU.allocate(numel, d.np)
    if d is dt.float16:  # (numba has no float16: the copy moves its bits)
        copied = copy(bits(out), bits(input._storage), input._offset, table, offset, n, pre, size, k, post)
    else:
        copied = copy(out, input._storage, input._offset, table, offset, n, pre, size, k, post)
    return make(out, 0, out_shape, out_strides, d) if copied else None  # (not copied: a value out of range)


# (kernel, input shape, index shape, dim, result shape) -> what `fast_pick` needs, or None
_PICK_PLANS = {}


def _pick_plan(kernel, shape, index_shape, dim, out_shape):
    """(the copy kernel, index elements, the input as pre x size x post, the index's extent k
    along dim, the result's elements, shape and strides) for `fast_pick`; None for an empty
    side or a result large enough for threads (the general path splits those)."""
    d = dim % len(shape)
    n = _numel(index_shape)
    pre, post = _numel(shape[:d]), _numel(shape[d + 1:])
    if n == 0 or pre * post == 0 or _CPU.parallel(_numel(out_shape)):
        return None
    k = index_shape[d] if kernel == "gather_rows" else n
    return (_CPU.kernel("gather", kernel + "_checked"), n, pre, shape[d], k, post, _numel(out_shape), out_shape,
            contiguous_strides(out_shape))
