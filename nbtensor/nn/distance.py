"""Norms and distances between vectors: ``F.normalize``, ``F.cosine_similarity``,
``F.pairwise_distance`` and their modules, composed of nbtensor ops as torch composes them
(so autograd records them through those ops, on every device)."""
from nbtensor.autograd import grad_mode
from nbtensor.nn.module import Module

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "CosineSimilarity", "PairwiseDistance"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """`input` divided by its `p`-norm along `dim` (a norm below `eps` counts as `eps`)."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    if out is None:
        return input / denom
    return out.copy_(input / denom)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between `x1` and `x2` (broadcast) along `dim`: each divided by
    its 2-norm (at least `eps`; the clamp is untracked, as torch's), then multiplied and summed."""
    x1_norm = x1.norm(2, dim, keepdim=True).clone()
    x2_norm = x2.norm(2, dim, keepdim=True).clone()
    with grad_mode.no_grad():
        x1_norm.clamp_(min=eps)
        x2_norm.clamp_(min=eps)
    return ((x1 / x1_norm) * (x2 / x2_norm)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The `p`-norm of ``x1 - x2 + eps`` along the last dimension."""
    last = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, last if last >= 0 else None, keepdim=keepdim)


class CosineSimilarity(Module):
    """``cosine_similarity(x1, x2, dim, eps)`` as a module."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``pairwise_distance(x1, x2, p, eps, keepdim)`` as a module."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
