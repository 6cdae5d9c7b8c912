"""More losses of ``nn.functional``, composed of nbtensor ops (so autograd differentiates them
on every device): triplet_margin_loss, triplet_margin_with_distance_loss,
multilabel_soft_margin_loss, multi_margin_loss and multilabel_margin_loss. Their modules
are in nn/more_loss_layers.py."""
import nbtensor as torch
from nbtensor.nn import activations as _act
from nbtensor.nn.distance import pairwise_distance
from nbtensor.nn.losses import _reduce, legacy_reduction
from nbtensor.nn.margin_losses import _reduction

__all__ = ["triplet_margin_loss", "triplet_margin_with_distance_loss", "multilabel_soft_margin_loss",
           "multi_margin_loss", "multilabel_margin_loss"]


# ------------------------------------------------------------------ triplet losses
def _check_triplet_dims(anchor, positive, negative):
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) > 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           "inputs")


def _triplet(anchor, positive, negative, distance, margin, swap, reduction):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))``; with `swap`, the
    negative distance is the smaller of d(anchor, negative) and d(positive, negative)."""
    _check_triplet_dims(anchor, positive, negative)
    to_positive = distance(anchor, positive)
    to_negative = distance(anchor, negative)
    if swap:
        to_negative = torch.minimum(to_negative, distance(positive, negative))
    return _reduce((margin + to_positive - to_negative).clamp(min=0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """The triplet loss with the `p`-norm distance (``pairwise_distance(x1, x2, p, eps)``):
    `anchor` should be nearer `positive` than `negative` by `margin`."""
    reduction = _reduction(size_average, reduce, reduction)
    return _triplet(anchor, positive, negative, lambda x1, x2: pairwise_distance(x1, x2, p, eps), margin, swap,
                    reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """The triplet loss with `distance_function` (None: the Euclidean pairwise_distance)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _triplet(anchor, positive, negative, distance_function or pairwise_distance, margin, swap, reduction)


# ------------------------------------------------------------------ multi-label soft margin
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """The binary cross-entropy of each class's logit in `input` against `target` (0 or 1),
    each class weighted by `weight`, averaged over the classes (the last dimension)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{input.dtype.c_name}'")
    loss = -(target * _act._log_sigmoid(input) + (1 - target) * _act._log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    if class_dim < 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid")
    return _reduce(loss, reduction)


# ------------------------------------------------------------------ multi-class margin losses
def _check_margin_input(input):
    """torch's check: a non-empty vector, a matrix with classes, or a scalar."""
    ndim = input.dim()
    if not (ndim == 0 or (ndim in (1, 2) and input.shape[-1] != 0)):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")


def _check_dtypes(input, target, kernel):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.c_name}'")
    if target.dtype is not torch.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.c_name}")


def _as_rows(input):
    """`input` as (N, C): a scalar is one sample of one class, a vector one sample."""
    return input.reshape(1, 1) if input.dim() == 0 else input.reshape(-1, input.shape[-1])


def _per_sample(loss, input):
    """Loss of each row, shaped as torch returns it unreduced (a scalar for an unbatched input)."""
    return loss if input.dim() == 2 else loss.reshape(())


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """The multi-class hinge loss: for each sample, the mean over the classes j other than
    its target y of ``max(0, margin - input[y] + input[j]) ** p`` (p 1 or 2), each times
    ``weight[y]`` when given."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _check_margin_input(input)
    rows = _as_rows(input)
    samples, classes = rows.shape
    if target.dim() > 1 or target.numel() != samples:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{samples}], but got {list(target.shape)}. "
                           f"Input has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got {list(weight.shape)}")
    _check_dtypes(input, target, "multi_margin_loss_cpu_kernel")
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.c_name} but found {weight.dtype.c_name}")
    if weight is not None and weight.requires_grad and torch.is_grad_enabled():
        raise RuntimeError("The function 'multi_margin_loss' is not differentiable with respect to argument 'weight'. "
                           "This input cannot have requires_grad True.")
    target = target.reshape(samples, 1)
    if samples and (bool((target < 0).any()) or bool((target >= classes).any())):
        raise RuntimeError("target out of range")
    # relu, not clamp: a hinge exactly at 0 has no gradient, as torch's strict z > 0
    hinge = torch.relu(margin - rows.gather(1, target) + rows)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.index_select(0, target.reshape(-1)).unsqueeze(1)
    is_target = torch.arange(classes, device=input.device) == target
    hinge = torch.where(is_target, torch.zeros_like(hinge), hinge)
    return _reduce(_per_sample(hinge.sum(1) / classes, input), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The multi-label hinge loss: `target` holds each sample's class indices, ended by the
    first -1; the loss sums ``max(0, 1 - (input[j] - input[k]))`` over its targets j and the
    classes k not among them, over the number of classes."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_margin_input(input)
    rows = _as_rows(input)
    samples, classes = rows.shape
    shaped = (target.dim() <= 1 and target.numel() == classes) if input.dim() <= 1 else (
        target.dim() == 2 and tuple(target.shape) == (samples, classes))
    if not shaped:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    _check_dtypes(input, target, "multilabel_margin_loss_forward_out_frame")
    targets = target.reshape(samples, classes)
    if targets.numel() and (bool((targets < -1).any()) or bool((targets >= classes).any())):
        raise RuntimeError("argument #2 'target' is out of range")
    # the targets before each row's first -1; membership of each class among them
    valid = (targets != -1).long().cumprod(1).to(input.dtype)
    chosen = targets.clamp(min=0)
    members = (chosen.unsqueeze(2) == torch.arange(classes, device=input.device)).to(input.dtype)
    is_target = (members * valid.unsqueeze(2)).amax(1)
    hinge = torch.relu(1 - rows.gather(1, chosen).unsqueeze(2) + rows.unsqueeze(1))
    pairs = hinge * valid.unsqueeze(2) * (1 - is_target).unsqueeze(1)
    return _reduce(_per_sample(pairs.sum((1, 2)) / classes, input), reduction)
