"""torch's rules for the memory layout of a fresh result: TensorIterator's
``reorder_dimensions``, shared by element-wise ops, advanced indexing and ``empty_like``;
and the channels-last formats torch reads off strides (``suggest_memory_format``), which
``cat`` follows."""

__all__ = ["strides_by_inputs", "strides_of_inputs", "suggested_format", "format_strides"]


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


# the dimension order each channels-last format checks, innermost first (C, then W, H, D, N)
_CHANNELS_LAST_ORDER = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}


def suggested_format(shape, strides):
    """torch's ``suggest_memory_format``: "channels_last" for a 4-D and "channels_last_3d"
    for a 5-D tensor whose strides are laid out channels-last (c10's
    is_channels_last_strides_2d/3d, ambiguous cases counting as row-major), else None."""
    order = _CHANNELS_LAST_ORDER.get(len(shape))
    if order is None or strides[1] == 0:
        return None
    least = 0
    for d in order:
        if shape[d] == 0 or strides[d] < least:
            return None
        if d == 0 and least == strides[1]:
            return None  # (N111 and N11W-slices: row-major is the default)
        least = strides[d] * shape[d] if shape[d] > 1 else strides[d]
    return "channels_last" if len(shape) == 4 else "channels_last_3d"


def channels_last_contiguous(shape, strides):
    """True for a 4-D (5-D) tensor dense in channels-last order, its size-1 dimensions'
    strides ignored (torch's ``is_contiguous(memory_format=channels_last)``)."""
    order = _CHANNELS_LAST_ORDER.get(len(shape))
    if order is None:
        return False
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def format_strides(shape, memory_format):
    """The strides of a dense tensor of `shape` in `memory_format` (a `suggested_format`):
    channels innermost, then the spatial dimensions from the last, then the batch."""
    strides = [0] * len(shape)
    step = 1
    for d in _CHANNELS_LAST_ORDER[len(shape)]:
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)
