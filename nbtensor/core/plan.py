"""Iteration planning: broadcasting, dimension reordering and coalescing (pure Python).

A plan turns "operands with a shape and strides" into the fewest, best-ordered loops, the
way NumPy's nditer and torch's TensorIterator do:
1. broadcast: every input gets the output's shape, broadcast dimensions stride 0;
2. drop size-1 dimensions; reorder so the output's smallest stride is innermost;
3. coalesce neighbours that are contiguous for every operand.
Most real calls collapse to one dimension, which a flat kernel handles.
"""
import functools
import math

__all__ = ["broadcast_shapes", "contiguous_strides", "row_major_strides", "plan", "numel", "remember"]

numel = math.prod  # number of elements of a shape (1 for ()); a C loop, cheap per call

# Entries a memo (remember) holds before it starts over: shapes met in a program's loops.
MEMO_LIMIT = 4096


def remember(memo, key, value):
    """memo[key] = value, emptying `memo` first when it is full; returns `value`."""
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


def contiguous_strides(shape):
    """Row-major strides (in elements) for `shape`."""
    strides = []
    acc = 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= s if s > 1 else 1
    return tuple(reversed(strides))


row_major_strides = functools.lru_cache(maxsize=1024)(contiguous_strides)
row_major_strides.__doc__ = "`contiguous_strides`, remembered per shape (for per-call fast paths)."


def row_major(shape, strides):
    """True when `strides` lay out `shape` in row-major order without gaps (always for a
    shape without elements, as torch: whatever its strides, it has nothing to lay out)."""
    if strides == row_major_strides(shape) or 0 in shape:
        return True  # (the first test is the common case, one memo lookup; the loop below
        # also accepts any stride of a dimension of size 1)
    expected = 1
    for i in range(len(shape) - 1, -1, -1):
        size = shape[i]
        if size == 1:
            continue
        if strides[i] != expected:
            return False
        expected *= size
    return True


def broadcast_shapes(*shapes):
    """The broadcast of several shapes; RuntimeError naming the sizes and the dimension."""
    if len(shapes) == 2 and shapes[0] == shapes[1]:
        return tuple(shapes[0])
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        offset = ndim - len(shape)
        for i in range(len(shape) - 1, -1, -1):  # (torch names the last dimension that differs)
            size = shape[i]
            if size < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {list(shape)}")
            current = result[offset + i]
            if size == current or size == 1:
                continue
            if current == 1:
                result[offset + i] = size
                continue
            raise RuntimeError(
                f"The size of tensor a ({current}) must match the size of tensor b ({size}) "
                f"at non-singleton dimension {offset + i}")
    return tuple(result)


def broadcasts_to(shape, target):
    """True when `shape` broadcasts to `target` leaving it as it is (`broadcast_shapes`
    would return `target`), without raising."""
    if len(shape) > len(target):
        return False
    lead = len(target) - len(shape)
    for i, size in enumerate(shape):
        if size != 1 and size != target[lead + i]:
            return False
    return True


def broadcast_strides(shape, strides, target):
    """Strides of a tensor of `shape`/`strides` viewed with the broadcast shape `target`."""
    if shape == target and 1 not in shape:
        return tuple(strides)  # (nothing broadcast: the common case, without a loop)
    offset = len(target) - len(shape)
    out = [0] * len(target)
    for i, size in enumerate(shape):
        if size != 1:
            out[offset + i] = strides[i]
    return tuple(out)


def merge_dims(shape, dims, strides_list):
    """Walk `dims` of `shape` in the given order (outermost first), merging each into the
    previous one when it is contiguous with it for every operand's strides. Returns
    (shape list, one strides list per operand)."""
    new_shape, new_strides = [], [[] for _ in strides_list]
    for d in dims:
        size = shape[d]
        if new_shape and all(ns[-1] == st[d] * size for ns, st in zip(new_strides, strides_list)):
            new_shape[-1] *= size
            for ns, st in zip(new_strides, strides_list):
                ns[-1] = st[d]
        else:
            new_shape.append(size)
            for ns, st in zip(new_strides, strides_list):
                ns.append(st[d])
    return new_shape, new_strides


def plan(shape, strides_list):
    """Reorder and coalesce an iteration of `shape` over operands with `strides_list`.

    `strides_list[0]` is the output's. Returns (shape, strides_list) with at least one
    dimension; the last dimension is the one to run innermost.
    """
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    if not dims:
        return (1,), [(1,) for _ in strides_list]
    if len(dims) > 1:
        # Outermost first: sort by the strides of the output, then of each input.
        dims.sort(key=lambda d: tuple(abs(st[d]) for st in strides_list), reverse=True)
    new_shape, new_strides = merge_dims(shape, dims, strides_list)
    return tuple(new_shape), [tuple(ns) for ns in new_strides]


def elementwise_layout(shape, strides):
    """How an element-wise iteration of `shape` over operands with `strides` (the output's
    first) runs: ``(None, steps)`` when the output is one contiguous range and each input is
    contiguous (step 1) or one broadcast value (step 0); else the coalesced
    ``(shape, strides list)`` of `plan`."""
    if all(s == strides[0] for s in strides[1:]) and row_major(shape, strides[0]):
        new_shape, new_strides = (numel(shape),), [(1,)] * len(strides)
    else:
        new_shape, new_strides = plan(shape, list(strides))
    if len(new_shape) == 1 and new_strides[0][0] == 1 and all(s[0] in (0, 1) for s in new_strides[1:]):
        return None, tuple(s[0] for s in new_strides[1:])
    return new_shape, new_strides
