"""``torch.embedding`` and ``torch.embedding_bag``: the ops under ``F.embedding`` and
``F.embedding_bag``, as torch's namespace has them (weight first, torch's flags and defaults).

``torch.embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False)``
is F.embedding's recorded op: `padding_idx` is a row number taken as it is (a negative one
means none, and one past the table is never met), and no renormalisation.

``torch.embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
per_sample_weights=None, include_last_offset=False, padding_idx=None)`` takes `mode` as an int
(0 sum, 1 mean, 2 max) and returns torch's 4-tuple ``(output, offset2bag, bag_size,
max_indices)``. The output is F.embedding_bag's; the three index tensors are what torch's CPU
kernel returns for them (they are its backward's bookkeeping, so they depend on the path it
takes, written out in `_bookkeeping`), in the promoted dtype of `indices` and `offsets`.
"""
import numbers

import nbtensor as torch
from nbtensor.nn import embedding as _emb

__all__ = ["embedding", "embedding_bag"]

_MODES = ("sum", "mean", "max")
_CHECK_FAILED = ("to be true, but got false.  (Could this error message be improved?  If so, please report an "
                 "enhancement request to PyTorch.)")


def _tensor_argument(op, name, position, value):
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")


def _int_argument(op, name, position, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be int, not {type(value).__name__}")


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """The rows of `weight` (2-D) at `indices`, shaped ``(*indices.shape, weight.shape[1])``;
    in backward, the rows equal to `padding_idx` (when it is >= 0) get no gradient."""
    _tensor_argument("embedding", "weight", 1, weight)
    _tensor_argument("embedding", "indices", 2, indices)
    _int_argument("embedding", "padding_idx", 3, padding_idx)
    if sparse:
        raise NotImplementedError("nbtensor: sparse embedding gradients (sparse=True) are not supported")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if indices.dtype is not torch.int64 and indices.dtype is not torch.int32:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {indices.type()} instead (while checking arguments for embedding)")
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= weight.shape[0]):
        raise IndexError("index out of range in self")
    return _emb._embedding(weight, indices if indices.dtype is torch.int64 else indices.long(), int(padding_idx),
                           bool(scale_grad_by_freq))


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """``(output, offset2bag, bag_size, max_indices)``: `output` holds each bag's rows of
    `weight` summed (`mode` 0), averaged (1) or maxed (2), a bag being the `indices` (1-D)
    from its offset in `offsets` to the next; see the module's docstring for the others."""
    _tensor_argument("embedding_bag", "weight", 1, weight)
    _tensor_argument("embedding_bag", "indices", 2, indices)
    _tensor_argument("embedding_bag", "offsets", 3, offsets)
    _int_argument("embedding_bag", "mode", 5, mode)
    if weight.dim() != 2:
        raise RuntimeError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    num = weight.shape[0]
    padding = _emb._padding_index(padding_idx, num, lambda: RuntimeError(
        f"padding_idx must be within the number of embeddings, {-num} through {num - 1}, but got {padding_idx}"))
    if not 0 <= mode < len(_MODES):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    if indices.dim() not in (1, 2):
        raise RuntimeError(f"input has to be a 1D or 2D Tensor, but got Tensor of dimension {indices.dim()}")
    if indices.dim() == 1 and offsets.dim() != 1:
        raise RuntimeError(f"offsets has to be a 1D Tensor, but got Tensor of dimension {offsets.dim()}")
    index_dtype = torch.promote_types(indices.dtype, offsets.dtype)
    if index_dtype is not torch.int64 and index_dtype is not torch.int32:
        # (torch checks the indices after promoting both: float offsets are reported as the indices')
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {torch.empty(0, dtype=index_dtype).type()} instead (while checking "
                           "arguments for embedding_bag)")
    _emb._check_bag_weight(weight)
    if indices.dim() == 2:
        if offsets.numel() and offsets.dim() == 1:
            _emb._bag_bounds(offsets, indices.shape[0], include_last_offset)  # (torch's checks of the offsets)
        raise NotImplementedError("nbtensor: torch.embedding_bag takes 1-D indices with offsets; for bags of one "
                                  "length give nn.functional.embedding_bag a 2-D input")
    starts, lengths = _emb._bag_bounds(offsets, indices.numel(), include_last_offset)
    if per_sample_weights is not None:
        _check_per_sample_weights(weight, indices, per_sample_weights, mode)
    if include_last_offset and offsets.numel() < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if sparse:
        raise NotImplementedError("nbtensor: sparse embedding gradients (sparse=True) are not supported")
    flat = _emb._checked_bag_indices(indices, num)
    reduced = _emb._bag_reduce(weight, flat, starts, lengths, _MODES[mode], per_sample_weights, padding,
                               scale_grad_by_freq, argmax=mode == 2)
    output, argmax = reduced if mode == 2 else (reduced, None)
    return (output,) + _bookkeeping(weight, flat, offsets, mode, per_sample_weights, include_last_offset, padding,
                                    argmax, index_dtype)


def _check_per_sample_weights(weight, indices, per_sample_weights, mode):
    """torch's checks of `per_sample_weights` (mode sum, weight's dtype, one per index)."""
    if mode != 0:
        raise RuntimeError("embedding_bag: per_sample_weights only supported with mode='sum'")
    if per_sample_weights.dtype is not weight.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {weight.type()} does not equal "
                           f"{per_sample_weights.type()} (while checking arguments for embedding_bag)")
    if per_sample_weights.dim() != 1:
        raise RuntimeError(f"Expected per_sample_weights.value().dim() == 1 {_CHECK_FAILED}")
    if per_sample_weights.numel() != indices.numel():
        raise RuntimeError(f"Expected per_sample_weights.value().numel() == indices.numel() {_CHECK_FAILED}")


def _bookkeeping(weight, indices, offsets, mode, per_sample_weights, include_last_offset, padding, argmax, dtype):
    """(offset2bag, bag_size, max_indices) as torch's CPU kernel (_embedding_bag_cpu_impl) makes
    them:

    - offset2bag, each index's bag: empty when the sum takes the kernel's fast path (float32
      or float16 rows of stride 1, no padding index, per-sample weights of stride 1); else
      the running count of the bag starts (the last offset left out with
      `include_last_offset`) at or before each index, less one.
    - bag_size, each bag's length less its padding indices, for mean and max, or for a sum
      whose weight requires grad (zeros there); zeros of the offsets' length for a sum
      otherwise.
    - max_indices: for max, the row each maximum came from; else a copy of bag_size.
    """
    n = indices.numel()
    offs = [int(o) for o in offsets.tolist()]
    device = weight.device
    fast_sum = (mode == 0 and weight.dtype in (torch.float32, torch.float16) and weight.stride(1) == 1
                and padding < 0 and (per_sample_weights is None or per_sample_weights.stride(0) == 1))
    offset2bag = None
    if not fast_sum:
        starts = offs[:-1] if include_last_offset else offs
        counts = [0] * (n + 1)
        for o in starts:
            counts[o] += 1
        counts[0] -= 1
        running, offset2bag = 0, []
        for c in counts[:n]:
            running += c
            offset2bag.append(running)
    if weight.requires_grad or mode != 0:
        bags = len(offs) - (1 if include_last_offset else 0)
        sizes = [offs[i + 1] - offs[i] for i in range(bags - 1)] + ([n - offs[bags - 1]] if bags > 0 else [])
        if padding >= 0 and mode != 0:  # (the sum's sizes are zeroed)
            for i in (indices == padding).nonzero().reshape(-1).tolist():
                if 0 <= offset2bag[i] < bags:
                    sizes[offset2bag[i]] -= 1
    else:
        sizes = [0] * len(offs)
    if mode == 0:
        sizes = [0] * len(sizes)
    bag_size = torch.tensor(sizes, dtype=dtype, device=device)
    max_indices = argmax.to(dtype) if mode == 2 else bag_size.clone()
    return (torch.tensor(offset2bag or [], dtype=dtype, device=device), bag_size, max_indices)
