"""torch's rule for the memory layout of a fresh result (TensorIterator's
``reorder_dimensions``), shared by element-wise ops, advanced indexing and ``empty_like``."""

__all__ = ["strides_by_inputs", "strides_of_inputs"]


def strides_by_inputs(shape, operand_strides):
    """Dense strides for a result of `shape` whose dimensions are ordered like the inputs'
    (each given as strides broadcast to `shape`, 0 on broadcast dimensions): the first input
    whose strides differ decides, broadcast dimensions are skipped, equal strides put the
    smaller size inside. None when that order is row-major."""
    nd = len(shape)

    def should_swap(d0, d1):
        for st in operand_strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(nd - 1, -1, -1))  # perm[0]: the fastest-moving dimension
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    if perm == list(range(nd - 1, -1, -1)):
        return None
    strides, step = [0] * nd, 1
    for d in perm:  # (torch multiplies by the sizes as they are: 0 after an empty dim)
        strides[d] = step
        step *= shape[d]
    return tuple(strides)


def strides_of_inputs(tensors, shape):
    """`strides_by_inputs` for input tensors of shapes that broadcast to `shape`."""
    nd = len(shape)
    operand_strides = []
    for x in tensors:
        offset = nd - len(x._shape)
        st = [0] * nd
        for i, (size, stride) in enumerate(zip(x._shape, x._strides)):
            st[offset + i] = 0 if size == 1 and shape[offset + i] != 1 else stride
        operand_strides.append(st)
    return strides_by_inputs(shape, operand_strides)
