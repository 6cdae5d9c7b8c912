"""Embeddings: ``F.embedding`` (one op, ``EmbeddingBackward0``: the rows' gradients summed
into the weight's rows, none into the padding row) and ``nn.Embedding``."""
import nbtensor as torch
from nbtensor.autograd.rules import rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn import init
from nbtensor.nn.module import Module
from nbtensor.nn.parameter import Parameter

__all__ = ["embedding", "Embedding"]


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


def _padding_index(padding_idx, num_embeddings):
    """`padding_idx` as a row number (a negative one counts from the end), -1 for none;
    torch's AssertionError when it is not a row."""
    if padding_idx is None:
        return -1
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
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


class Embedding(Module):
    """A lookup table of `num_embeddings` learnt vectors of size `embedding_dim` (initialised
    from N(0, 1), the `padding_idx` row zero): ``emb(indices)`` gives their rows."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if padding_idx > 0:
                if padding_idx >= num_embeddings:
                    raise AssertionError("Padding_idx must be within num_embeddings")
            elif padding_idx < 0:
                if padding_idx < -num_embeddings:
                    raise AssertionError("Padding_idx must be within num_embeddings")
                padding_idx = num_embeddings + padding_idx
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(torch.empty((num_embeddings, embedding_dim), device=device, dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

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
