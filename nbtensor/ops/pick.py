"""Picking slices or elements of a row-major CPU tensor along one dimension by int64 index
values (index_select, gather, and the ``x[index]`` forms that are one of them), and storing
into such slices (``x[..., index] = v``), with one kernel that checks the values are in
range, then copies. Planned once per shapes; anything else (another layout, device or dtype
of index, a value out of range) is left to the general paths, which check, wrap negative
values and raise torch's errors.
"""
import numpy as np

from nbtensor.backends.base import backend_for
from nbtensor.backends.host import bits
from nbtensor.core import dtype as dt
from nbtensor.core.device import CPU
from nbtensor.core.plan import contiguous_strides, remember
from nbtensor.dispatch.tensor import Tensor, _numel, _overlaps, make

__all__ = ["fast_pick", "fast_put", "fast_scatter", "fast_index_put", "fast_negated_picks", "fast_negated_puts", "row_major_cpu"]

_CPU = backend_for(CPU)


def row_major_cpu(t):
    """True for a row-major tensor whose memory is a CPU NumPy storage."""
    return (type(t) is Tensor and type(t._storage) is np.ndarray
            and (t._contig or t._contig is None and t.is_contiguous()))


def fast_pick(kernel, input, dim, table, offset, index_shape, out_shape):
    """index_select (`kernel` "select_rows") or gather ("gather_rows") of a row-major CPU
    `input` along `dim` (in range) by the int64 values ``table[offset:]`` laid out row-major
    as `index_shape`: the result, of shape `out_shape` (None: index_select's, worked out from
    the others), by one kernel when they all lie in [0, size); None for anything else, or
    for any value out of range (the general path decides)."""
    if not row_major_cpu(input):
        return None
    plan = _plan(kernel, input.dtype, input._shape, index_shape, dim, out_shape)
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


def fast_put(t, dim, table, offset, n, value, step):
    """``t[..., index, ...] = value`` along `dim` of a row-major CPU `t` (in range) by the `n`
    int64 values ``table[offset:]``: `value` is a one-element storage of t's dtype (`step` 0)
    or a row-major tensor of the indexed shape (`step` 1). True when one kernel wrote it;
    False, writing nothing, for a value out of [0, size) or a size the general path splits
    across threads."""
    shape = t._shape
    plan = _plan("put_rows", t.dtype, shape, (n,), dim, shape[:dim] + (n,) + shape[dim + 1:])
    if plan is None:
        return False
    put, n, pre, size, _, post = plan[:6]
    if step:
        src, soff = bits(value._storage), value._offset
    else:
        src, soff = bits(value), 0
    return put(bits(t._storage), t._offset, table, offset, n, pre, size, post, src, soff, step)


def fast_scatter(t, dim, index, src, mode):
    """``t.scatter_(dim, index, src)`` (`mode` COPY; ADD: scatter_add_, MUL) of a writable
    row-major CPU `t` by a row-major int64 CPU `index` of t's shape but along `dim` (in range),
    from a tensor `src` of t's dtype and the index's shape, row-major or one value expanded,
    none of them sharing t's memory: True when one kernel wrote it; False, writing nothing, for
    anything else or an index value out of [0, size) (the general path checks and raises)."""
    shape, ishape = t._shape, index._shape
    if (not row_major_cpu(t) or type(index) is not Tensor or index.dtype is not dt.int64 or not row_major_cpu(index)
            or type(src) is not Tensor or src.dtype is not t.dtype or type(src._storage) is not np.ndarray
            or src._shape != ishape or t.dtype in _NOT_SCATTERED or not t._storage.flags.writeable
            or _overlaps(index, t) or _overlaps(src, t)):
        return False
    d = dim % len(shape)
    if ishape[:d] != shape[:d] or ishape[d + 1:] != shape[d + 1:]:
        return False
    if src._contig or src._contig is None and src.is_contiguous():
        step = 1
    elif all(stride == 0 or n == 1 for n, stride in zip(ishape, src._strides)):
        step = 0
    else:
        return False
    plan = _plan("scatter_rows", t.dtype, shape, ishape, d, ishape)
    if plan is None:
        return False
    scatter, n, pre, size, k, post = plan[:6]
    return scatter(t._storage, t._offset, index._storage, index._offset, n, pre, size, k, post,
                   src._storage, src._offset, step, mode)


# (numba has no float16 arithmetic, and a bool's add is an or: the general path's)
_NOT_SCATTERED = (dt.float16, dt.bool)


def fast_index_put(t, indices, values, mode):
    """``t.index_put_(indices, values)`` (`mode` COPY; ADD: accumulate) of a writable
    row-major CPU `t` by one or two row-major int64 CPU index tensors of one shape (for its
    first dims), from `values` of t's dtype, row-major of the indexed shape or one value,
    none of them sharing t's memory: True when one kernel wrote it; False, writing nothing,
    for anything else or an index value out of range (the general path checks and raises).
    The autograd rule of ``y_hat[range(n), y]`` adds its gradient this way."""
    k = len(indices)
    shape = t._shape
    if (not 0 < k <= 2 or k > len(shape) or not row_major_cpu(t) or t.dtype in _NOT_SCATTERED
            or not t._storage.flags.writeable or type(values) is not Tensor or values.dtype is not t.dtype
            or type(values._storage) is not np.ndarray or _overlaps(values, t)):
        return False
    first = indices[0]
    ishape = first._shape if type(first) is Tensor else None
    for i in indices:
        if (type(i) is not Tensor or i.dtype is not dt.int64 or i._shape != ishape or not row_major_cpu(i)
                or _overlaps(i, t)):
            return False
    m, post = _numel(ishape), _numel(shape[k:])
    vshape = values._shape
    if vshape == ishape + shape[k:] and (values._contig or values._contig is None and values.is_contiguous()):
        step = 1
    elif _numel(vshape) == 1 and len(vshape) <= len(ishape) + len(shape) - k:
        step = 0
    else:
        return False
    if m == 0 or post == 0 or _CPU.parallel(m * post):
        return False
    last = indices[-1]
    put = _gather_kernel("put_points_checked", t.dtype)
    return put(t._storage, t._offset, k, shape[0], shape[1] if k == 2 else 1, first._storage, first._offset,
               last._storage, last._offset, m, post, values._storage, values._offset, step, mode)



def fast_negated_picks(input, target):
    """``-input[j, target[j]]`` for each row j of a non-empty 2-D float32 or float64 CPU
    `input` (any strides) and a 1-D int64 CPU `target` of its rows: nll_loss's unreduced
    losses, by one kernel, when every target lies in [0, classes); None for anything else
    (the general path checks and raises)."""
    d = input.dtype
    if ((d is not dt.float32 and d is not dt.float64) or target.dtype is not dt.int64
            or type(input._storage) is not np.ndarray or type(target._storage) is not np.ndarray):
        return None
    n, classes = input._shape
    if n == 0 or classes == 0:
        return None
    out = _CPU.allocate(n, d.np)
    s0, s1 = input._strides
    picks = _gather_kernel("negated_picks", d)
    if picks(out, input._storage, input._offset, s0, s1, target._storage, target._offset, target._strides[0],
             n, classes) != -1:
        return None
    return make(out, 0, (n,), (1,), d, True)


def fast_negated_puts(like, target, grad, count):
    """nll_loss's input gradient for a 2-D float32 or float64 input like `like` (its
    ``Like``), a 1-D int64 CPU `target` of its rows and the losses' gradient `grad` (one per
    row, or one value for a sum or mean over `count` rows; `count` 1 otherwise): zeros but
    ``-grad[j] / count`` at each row's target class, by one kernel, when every target lies in
    [0, classes); None for anything else (the general path checks and raises)."""
    d = like.dtype
    n, classes = like._shape
    if ((d is not dt.float32 and d is not dt.float64) or target.dtype is not dt.int64 or type(grad) is not Tensor
            or grad.dtype is not d or type(target._storage) is not np.ndarray or type(grad._storage) is not np.ndarray
            or n == 0 or classes == 0 or _CPU.parallel(n * classes)):
        return None
    if grad._shape == (n,):
        step = grad._strides[0]
    elif not grad._shape:
        step = 0
    else:
        return None
    out = _CPU.allocate(n * classes, d.np)
    # (a float64 divisor: the quotient rounded once to float32 is float32's own, as n < 2**24)
    puts = _gather_kernel("negated_puts", d)
    if puts(out, grad._storage, grad._offset, step, float(count), target._storage, target._offset,
            target._strides[0], n, classes) != -1:
        return None
    return make(out, 0, (n, classes), (classes, 1), d, True)


def _gather_kernel(name, dtype):
    """Kernel `name` of kernels/cpu/gather.py called by its entry point for storages of
    `dtype` (bound on its first call: see backends/cpu/direct.py)."""
    key = (name, dtype)
    kernel = _BOUND.get(key)
    if kernel is None:
        kernel = _BOUND[key] = _CPU.bind_on_first_call(_BOUND, key, _CPU.kernel("gather", name))
    return kernel


_BOUND = {}  # (kernel name, dtype) -> the kernel's entry point (its stand-in before the first call)


def _plan(kernel, dtype, shape, index_shape, dim, out_shape):
    """`_pick_plan`'s result, remembered per arguments (per `dtype` too: each plan calls its
    kernel by the entry point for that dtype's storages, see backends/cpu/direct.py)."""
    key = (kernel, dtype, shape, index_shape, dim, out_shape)
    plan = _PICK_PLANS.get(key, False)
    if plan is False:
        plan = remember(_PICK_PLANS, key, _pick_plan(kernel, shape, index_shape, dim, out_shape))
    return plan


def _gathers_along(shape, index_shape, dim):
    """True when an input of `shape` and an index of `index_shape` have the same sizes but along
    `dim`, a dim of them both."""
    if len(index_shape) != len(shape) or not -len(shape) <= dim < len(shape):
        return False
    d = dim % len(shape)
    return index_shape[:d] == shape[:d] and index_shape[d + 1:] == shape[d + 1:]


# (kernel, dtype, input shape, index shape, dim, result shape) -> what `fast_pick` and `fast_put`
# need, or None
_PICK_PLANS = {}


def _pick_plan(kernel, shape, index_shape, dim, out_shape):
    """(the copy kernel, index elements, the input as pre x size x post, the index's extent k
    along dim, the result's elements, shape and strides) for `fast_pick` (and `fast_put`,
    where the result is the indexed part); None for an empty side or a result large enough
    for threads (the general path splits those). A gather's is None also where the index
    does not have the input's size on every dim but `dim` (in range), as its kernel reads;
    `out_shape` None (index_select's) is worked out here, for a 1-D index and `dim` in range."""
    if kernel == "gather_rows" and not _gathers_along(shape, index_shape, dim):
        return None
    if out_shape is None:  # (index_select's: by a 1-D index along `dim`, in range)
        if len(index_shape) != 1 or not -len(shape) <= dim < len(shape):
            return None
        out_shape = shape[:dim % len(shape)] + index_shape + shape[dim % len(shape) + 1:]
    d = dim % len(shape)
    n = _numel(index_shape)
    pre, post = _numel(shape[:d]), _numel(shape[d + 1:])
    if n == 0 or pre * post == 0 or _CPU.parallel(_numel(out_shape)):
        return None
    k = index_shape[d] if kernel in ("gather_rows", "scatter_rows") else n
    plan = [None, n, pre, shape[d], k, post, _numel(out_shape), out_shape, contiguous_strides(out_shape)]
    plan[0] = _CPU.bind_on_first_call(plan, 0, _CPU.kernel("gather", kernel + "_checked"))
    return plan
