"""torch's rules for the memory layout of a fresh result: TensorIterator's
``reorder_dimensions``, shared by element-wise ops, advanced indexing and ``empty_like``;
and torch's memory formats (``nbtensor.channels_last``, ...): the strides each lays out,
the contiguity each checks, and the one torch reads off strides (``suggest_memory_format``),
which ``cat`` and ``to`` follow."""

from nbtensor.core.plan import contiguous_strides, row_major

__all__ = ["strides_by_inputs", "strides_of_inputs", "memory_format", "contiguous_format", "preserve_format",
           "channels_last", "channels_last_3d", "memory_format_argument", "suggested_format", "suggest_memory_format",
           "is_contiguous_in", "format_strides"]


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


class memory_format:
    """A memory format (torch.memory_format): the order in which a tensor's dimensions are
    laid out in memory. There are four, ``nbtensor.contiguous_format`` (row-major),
    ``channels_last`` (4-D), ``channels_last_3d`` (5-D) and ``preserve_format`` (the input's
    order, for functions that copy a tensor); each is one object, compared by identity."""

    __slots__ = ("_name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'torch.memory_format' instances")

    def __repr__(self):
        return f"nbtensor.{self._name}"

    def __reduce__(self):
        return self._name  # (pickled as the global nbtensor.<name>: the one object comes back)


memory_format.__module__ = "nbtensor"  # shown as nbtensor.memory_format, as torch.memory_format


def _format(name):
    fmt = object.__new__(memory_format)
    fmt._name = name
    return fmt


contiguous_format = _format("contiguous_format")
preserve_format = _format("preserve_format")
channels_last = _format("channels_last")
channels_last_3d = _format("channels_last_3d")

# each channels-last format's rank and dimension order, innermost first (C, then W, H, D, N)
_CHANNELS_LAST = {channels_last: (4, (1, 3, 2, 0)), channels_last_3d: (5, (1, 4, 3, 2, 0))}
CHANNELS_LAST_OF_RANK = {4: channels_last, 5: channels_last_3d}


def memory_format_argument(value, fn):
    """The ``memory_format=`` argument of function `fn`, which must be a memory format
    (torch's TypeError otherwise: a name such as ``'channels_last'`` is not one)."""
    if type(value) is not memory_format:
        raise TypeError(f"{fn}(): argument 'memory_format' must be torch.memory_format, not {type(value).__name__}")
    return value


def suggested_format(shape, strides):
    """torch's ``suggest_memory_format`` where it is channels-last: ``channels_last`` for a
    4-D and ``channels_last_3d`` for a 5-D tensor whose strides are laid out channels-last
    (c10's is_channels_last_strides_2d/3d, ambiguous cases counting as row-major), else None."""
    fmt = CHANNELS_LAST_OF_RANK.get(len(shape))
    if fmt is None or strides[1] == 0:
        return None
    least = 0
    for d in _CHANNELS_LAST[fmt][1]:
        if shape[d] == 0 or strides[d] < least:
            return None
        if d == 0 and least == strides[1]:
            return None  # (N111 and N11W-slices: row-major is the default)
        least = strides[d] * shape[d] if shape[d] > 1 else strides[d]
    return fmt


def suggest_memory_format(shape, strides):
    """torch's ``suggest_memory_format``: `suggested_format`, else ``contiguous_format``."""
    return suggested_format(shape, strides) or contiguous_format


def is_contiguous_in(shape, strides, fmt):
    """torch's ``is_contiguous(memory_format=fmt)``: row-major for contiguous_format and
    preserve_format; for a channels-last format, a tensor of its rank dense in its order,
    the strides of size-1 dimensions ignored (a tensor without elements is not exempt)."""
    layout = _CHANNELS_LAST.get(fmt)
    if layout is None:
        return row_major(shape, strides)
    rank, order = layout
    if len(shape) != rank:
        return False
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def format_strides(shape, fmt):
    """The strides of a new dense tensor of `shape` in memory format `fmt` (torch's
    ``empty(memory_format=)``): row-major, or channels innermost, then the spatial dimensions
    from the last, then the batch, each stride the product of the sizes inside it as torch
    computes it (0 outside a dimension of size 0). torch's RuntimeError for preserve_format
    and for a channels-last format and a shape of another rank."""
    if fmt is contiguous_format:
        return contiguous_strides(shape)
    if fmt not in _CHANNELS_LAST:
        raise RuntimeError("unsupported memory format Preserve")
    rank, order = _CHANNELS_LAST[fmt]
    if len(shape) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt._name} format")
    strides = [0] * rank
    step = 1
    for d in order:
        strides[d] = step
        step *= shape[d]
    return tuple(strides)
