"""Divergence and likelihood losses of ``nn.functional``: kl_div, poisson_nll_loss and
gaussian_nll_loss, composed of nbtensor ops in torch's order (so their graphs are torch's)."""
import math
import warnings

import nbtensor as torch
from nbtensor.autograd import grad_mode
from nbtensor.nn.losses import _checked, _reduce, legacy_reduction

__all__ = ["kl_div", "poisson_nll_loss", "gaussian_nll_loss"]


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence ``target * (log(target) - input)`` of `target` (a
    probability, or its log with `log_target`) from log-probabilities `input`; 'batchmean'
    divides the sum by the batch size (the mathematical KL divergence per sample)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    applied = "sum" if reduction == "batchmean" else _checked(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = torch.xlogy(target, target) - target * input
    loss = _reduce(loss, applied)
    if reduction == "batchmean" and input.dim() != 0:
        loss = loss / input.shape[0]
    return loss


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """The negative log likelihood of counts `target` under Poisson rates: ``exp(input) -
    target * input`` for log rates (`log_input`), else ``input - target * log(input + eps)``;
    `full` adds Stirling's approximation of log(target!) where target > 1."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def _homoscedastic_var(input, var):
    """`var` shaped to broadcast against `input` as torch's checks allow: input's shape, or
    one dimension short (unsqueezed), or input's with a single dimension of 1."""
    if var.shape == input.shape:
        return var
    if tuple(input.shape[:-1]) == tuple(var.shape):
        return var.unsqueeze(-1)
    if input.dim() == var.dim() and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
        return var
    raise ValueError("var is of incorrect size")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """The negative log likelihood of `target` under a Gaussian of mean `input` and variance
    `var` (a tensor, or a float for all): ``0.5 * (log(var) + (input - target)² / var)``, var
    clamped (untracked) below at `eps`; `full` adds the constant ``0.5 * log(2 pi)``."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * torch.ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = _homoscedastic_var(input, var)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
