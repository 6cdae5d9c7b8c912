"""Embeddings: ``F.embedding`` (one op, ``EmbeddingBackward0``: the rows' gradients summed
into the weight's rows, none into the padding row) and ``nn.Embedding``; ``F.embedding_bag``
and ``nn.EmbeddingBag`` (the rows of each bag of indices reduced to one: see
``_bag_reduce``)."""
import math
import warnings

import nbtensor as torch
from nbtensor.autograd.rules import rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn import init
from nbtensor.nn.module import Module
from nbtensor.nn.parameter import Parameter

__all__ = ["embedding", "Embedding", "embedding_bag", "EmbeddingBag"]


def _embedding(weight, indices, padding_idx, scale_grad_by_freq):
    """torch's embedding op: the rows of `weight` at `indices`, shaped (*indices.shape, dim)."""
    rows = weight.index_select(0, indices.reshape(-1))
    return rows.reshape(tuple(indices.shape) + (weight.shape[1],))


@rule("embedding")
def _embedding_rule(args, kwargs, out):
    weight, indices, padding_idx, scale_grad_by_freq = args
    num, dim, dtype, device = weight.shape[0], weight.shape[1], weight.dtype, weight.device

    def backward(g):  # torch's embedding_dense_backward
        flat = indices.reshape(-1)
        rows = g.reshape(-1, dim)
        if padding_idx >= 0:
            rows = rows.masked_fill((flat == padding_idx).unsqueeze(1), 0.0)
        if scale_grad_by_freq:
            rows = rows / flat.bincount(minlength=num).index_select(0, flat).unsqueeze(1).to(rows.dtype)
        return (torch.zeros((num, dim), dtype=dtype, device=device).index_add(0, flat, rows),)
    return "EmbeddingBackward0", (weight,), backward, (indices,)


# (passes through the dispatch point under torch's op name: autograd records one node)
_forms.install_functions(globals(), {"_embedding": ("embedding", _embedding)})


def _padding_index(padding_idx, num_embeddings, refusal=lambda: AssertionError("Padding_idx must be within "
                                                                               "num_embeddings")):
    """`padding_idx` as a row number (a negative one counts from the end), -1 for none;
    ``refusal()`` (the exception torch raises there, which differs by API) when it is not a row."""
    if padding_idx is None:
        return -1
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise refusal()
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def _renorm(weight, indices, max_norm, norm_type):
    """torch's embedding_renorm_: scale, in place and untracked, each row that `indices` reads
    whose `norm_type`-norm exceeds `max_norm` to norm `max_norm` (over norm + 1e-7)."""
    with torch.no_grad():
        rows_at = indices.reshape(-1).unique()
        rows = weight.index_select(0, rows_at)
        norms = rows.norm(norm_type, 1, keepdim=True)
        scale = torch.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.index_copy_(0, rows_at, rows * scale.to(rows.dtype))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """The rows of `weight` (num_embeddings, embedding_dim) at the indices `input`; the row
    `padding_idx` gets no gradient; with `max_norm`, the rows read are first renormalised
    in place to at most that norm; with `scale_grad_by_freq`, each row's gradient is divided
    by how often the batch reads it."""
    if sparse:
        raise NotImplementedError("nbtensor: sparse embedding gradients (sparse=True) are not supported")
    if input.dtype is not torch.int64 and input.dtype is not torch.int32:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    padding = _padding_index(padding_idx, weight.shape[0])
    if input.numel() and (int(input.min()) < 0 or int(input.max()) >= weight.shape[0]):
        raise IndexError("index out of range in self")
    indices = input if input.dtype is torch.int64 else input.long()
    if max_norm is not None:
        _renorm(weight, indices.contiguous(), max_norm, norm_type)
    return _embedding(weight, indices, padding, scale_grad_by_freq)


def _set_table(module, weight, device, dtype, requires_grad=True):
    """The embedding layer `module`'s weight: `weight` (checked against its shape), or a new
    one drawn by its `reset_parameters`."""
    shape = (module.num_embeddings, module.embedding_dim)
    if weight is None:
        module.weight = Parameter(torch.empty(shape, device=device, dtype=dtype), requires_grad=requires_grad)
        module.reset_parameters()
        return
    if tuple(weight.shape) != shape:
        raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
    module.weight = Parameter(weight, requires_grad=requires_grad)


class Embedding(Module):
    """A lookup table of `num_embeddings` learnt vectors of size `embedding_dim` (initialised
    from N(0, 1), the `padding_idx` row zero): ``emb(indices)`` gives their rows."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        padding = _padding_index(padding_idx, num_embeddings)
        self.padding_idx = None if padding < 0 else padding
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        _set_table(self, _weight, device, dtype, requires_grad=not _freeze)

    def reset_parameters(self):
        """Draw the weight from N(0, 1) and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with torch.no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is `embeddings` (2-D), not trained when `freeze`."""
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


# ------------------------------------------------------------------ embedding bags
def _check_index_type(t):
    if t.dtype is not torch.int64 and t.dtype is not torch.int32:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {t.type()} instead (while checking arguments for embedding_bag)")


def _check_bag_weight(weight):
    if not weight.dtype.is_floating_point:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: "
                           f"Half, BFloat16, Float, Double; but got {weight.type()} instead (while checking "
                           "arguments for embedding_bag)")


def _checked_bag_indices(input, num):
    """`input` as int64 indices; torch's RuntimeError naming the first one outside [0, num)."""
    indices = input.long()
    if input.numel():
        bad = (indices < 0) | (indices >= num)
        if bool(bad.any()):
            at = int(bad.nonzero()[0, 0])
            raise RuntimeError(f"Index {at} of input takes value {int(indices[at])} which is not in the valid range "
                               f"[0, {num})")
    return indices


def _bag_bounds(offsets, n, include_last_offset):
    """(starts, lengths) of the bags, as lists, with torch's checks of `offsets`."""
    offs = [int(o) for o in offsets.tolist()]
    if offs and offs[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {offs[0]}\n[ {offsets.type()}{{}} ]")
    if offs and offs[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                           f"{offs[-1]}")
    for i in range(1, len(offs)):
        if offs[i] < offs[i - 1]:
            raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, but offsets[{i}] = {offs[i]} is less "
                               f"than offsets[{i - 1}] = {offs[i - 1]}")
    starts = offs[:-1] if include_last_offset else offs
    ends = offs[1:] if include_last_offset else offs[1:] + [n]
    return starts, [e - s for s, e in zip(starts, ends)]


def _bag_reduce(weight, indices, starts, lengths, mode, per_sample_weights, padding, scale_grad_by_freq,
                argmax=False):
    """Each bag's rows of `weight` reduced, composed of nbtensor ops (autograd and every
    device work through them): the rows read with ``index_select``; for sum and mean, scaled
    by the per-sample weights, the padding rows zeroed, and added into their bag's row with
    ``index_add`` (mean: divided by the bag's count of non-padding indices); for max, laid
    out as a (bags, longest bag, dim) table, -inf where a bag has no element or a padding
    index, and reduced with ``max`` (whose gradient goes to the first maximum, as torch's).
    An empty bag gives zeros. With `argmax` (mode max), also the (bags, dim) row numbers
    each maximum came from (0 for an empty bag), as torch's ``max_indices``."""
    bags, dim = len(lengths), weight.shape[1]
    total = starts[-1] + lengths[-1] if bags else 0
    used = indices[:total]
    keep = (used != padding) if padding >= 0 else None
    longest = max(lengths, default=0)
    if mode == "max" and longest:
        j = torch.arange(longest, device=weight.device)
        start = torch.tensor(starts, dtype=torch.int64, device=weight.device).reshape(bags, 1)
        length = torch.tensor(lengths, dtype=torch.int64, device=weight.device).reshape(bags, 1)
        valid = j < length
        at = (start + j).clamp(max=max(total - 1, 0)).reshape(-1)
        picked = used.index_select(0, at)
        if keep is not None:
            valid = valid & keep.index_select(0, at).reshape(bags, longest)
        rows = weight.index_select(0, picked).reshape(bags, longest, dim)
        top, where = torch.where(valid.unsqueeze(2), rows, -math.inf).max(1)
        some = valid.any(1, keepdim=True)
        out = torch.where(some, top, 0.0)
        if not argmax:
            return out
        words = picked.reshape(bags, longest).gather(1, where)
        return out, torch.where(some, words, 0)
    if mode == "max" and argmax:
        return torch.zeros((bags, dim), dtype=weight.dtype, device=weight.device), \
            torch.zeros((bags, dim), dtype=torch.int64, device=weight.device)
    bag = torch.repeat_interleave(torch.arange(bags, device=weight.device),
                                  torch.tensor(lengths, dtype=torch.int64, device=weight.device))
    rows = weight.index_select(0, used)
    if scale_grad_by_freq and rows.requires_grad:  # the same values; each row's gradient over its index's count
        counts = used.bincount(minlength=weight.shape[0]).index_select(0, used).unsqueeze(1).to(rows.dtype)
        rows = rows.detach() + (rows - rows.detach()) / counts
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:total].unsqueeze(1)
    if keep is not None:
        rows = rows.masked_fill(~keep.unsqueeze(1), 0.0)
    out = torch.zeros((bags, dim), dtype=weight.dtype, device=weight.device).index_add(0, bag, rows)
    if mode == "mean":
        ones = torch.ones(total, dtype=weight.dtype, device=weight.device) if keep is None else keep.to(weight.dtype)
        counts = torch.zeros(bags, dtype=weight.dtype, device=weight.device).index_add(0, bag, ones)
        out = out / counts.clamp(min=1).unsqueeze(1)
    return out


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The rows of `weight` at each bag of indices, summed, averaged or maxed (`mode`)
    without making the intermediate (indices, dim) lookup a separate step: `input` is either
    (B, N) (B bags of N indices) or 1-D with `offsets` (where each bag starts; with
    `include_last_offset` the last offset ends the last bag). `per_sample_weights` (mode
    'sum' only) scales each row; indices equal to `padding_idx` are left out of their bag;
    an empty bag gives zeros."""
    if weight.dtype is torch.int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        offsets = torch.arange(0, input.numel(), input.size(1), dtype=input.dtype, device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if sparse:
        raise NotImplementedError("nbtensor: sparse embedding gradients (sparse=True) are not supported")
    _check_index_type(input)
    _check_index_type(offsets)
    _check_bag_weight(weight)
    num = weight.shape[0]
    indices = _checked_bag_indices(input, num)
    if max_norm is not None:
        _renorm(weight, indices.contiguous(), max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if per_sample_weights is not None and per_sample_weights.dtype is not weight.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type {weight.type()} does not equal "
                           f"{per_sample_weights.type()} (while checking arguments for embedding_bag)")
    padding = _padding_index(padding_idx, num, lambda: RuntimeError(
        f"padding_idx must be within the number of embeddings, {-num} through {num - 1}, but got {padding_idx}"))
    starts, lengths = _bag_bounds(offsets, input.numel(), include_last_offset)
    return _bag_reduce(weight, indices, starts, lengths, mode, per_sample_weights, padding, scale_grad_by_freq)


class EmbeddingBag(Module):
    """An Embedding whose output reduces each bag of indices to one row (see F.embedding_bag):
    ``bag(input, offsets=None, per_sample_weights=None)`` is (bags, embedding_dim)."""

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        padding = _padding_index(padding_idx, num_embeddings,
                                 lambda: AssertionError("padding_idx must be within num_embeddings"))
        self.padding_idx = None if padding < 0 else padding
        _set_table(self, _weight, device, dtype)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset

    reset_parameters = Embedding.reset_parameters

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                             self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings!r}, {self.embedding_dim!r}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag whose weight is `embeddings` (2-D), not trained when `freeze`."""
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, max_norm=max_norm,
                  norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
