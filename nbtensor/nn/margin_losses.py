"""Margin and embedding losses of ``nn.functional``: soft_margin_loss (one op,
``SoftMarginLossBackward0``, as torch's), and margin_ranking_loss, hinge_embedding_loss and
cosine_embedding_loss, composed of nbtensor ops in torch's order (so their graphs are torch's)."""
import nbtensor as torch
from nbtensor.autograd.rules import _for, _wants, rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn.losses import _checked, _mean_scale, _reduce, legacy_reduction

__all__ = ["soft_margin_loss", "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss"]


def _reduction(size_average, reduce, reduction):
    """The reduction to apply (torch's legacy arguments, its ValueError for a bad name)."""
    return _checked(legacy_reduction(size_average, reduce, reduction))


def _soft_margin(input, target, reduction):
    """torch's soft_margin_loss op: log(1 + exp(-target * input))."""
    return _reduce((-input * target).exp().log1p(), reduction)


@rule("soft_margin_loss")
def _soft_margin_rule(args, kwargs, out):
    x, t, reduction = args
    if _wants(t):
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. "
                           "This input cannot have requires_grad True.")

    def backward(g):  # torch's soft_margin_loss_backward: -y z / (1 + z) * norm * grad, z = exp(-x y)
        z = (-x * t).exp()
        return (_for(-t * z / (z + 1) * (g * _mean_scale(reduction, z.numel())), x),)
    return "SoftMarginLossBackward0", (x,), backward, (x, t)


_forms.install_functions(globals(), {"_soft_margin": ("soft_margin_loss", _soft_margin)})


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The logistic loss ``log(1 + exp(-target * input))`` of targets ±1."""
    return _soft_margin(input, target, _reduction(size_average, reduce, reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``: target 1 asks input1 to rank higher
    than input2 by `margin`, -1 lower."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """`input` where target is 1, ``max(0, margin - input)`` where it is -1 (a target of
    neither gets both terms, as torch's)."""
    reduction = _reduction(size_average, reduce, reduction)
    zeros = torch.zeros_like(input)
    margin_part = torch.where(target != 1, (margin - input).clamp(min=0), zeros)
    self_part = torch.where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


_EPSILON = 1e-12  # (torch's, added to each squared magnitude)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(input1, input2)`` where target is 1, ``max(0, cos - margin)`` where it is -1;
    the cosine along the last dimension of 1-d inputs (0-d target) or 2-d ones (1-d target)."""
    reduction = _reduction(size_average, reduce, reduction)
    dims = target.dim()
    if dims not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    wanted = 2 if dims == 1 else 1
    if input1.dim() != wanted or input2.dim() != wanted:
        raise RuntimeError(f"{dims}D target tensor expects {wanted}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    dim = dims  # (the last dimension of the inputs)
    products = (input1 * input2).sum(dim)
    magnitude1 = (input1 * input1).sum(dim) + _EPSILON
    magnitude2 = (input2 * input2).sum(dim) + _EPSILON
    cos = products / (magnitude1 * magnitude2).sqrt()
    zeros = torch.zeros_like(cos)
    positive = torch.where(target == 1, 1 - cos, zeros)
    negative = torch.where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(positive + negative, reduction)
