"""The losses of ``nn.functional``, computed as torch 2.13 computes them.

Where torch runs one op (nll_loss, mse_loss, huber_loss, smooth_l1_loss and the binary
cross-entropies) the loss is one op here too: registered at the dispatch point under that
op's name with its derivative rule, so a graph holds torch's node
(``grad_fn=<NllLossBackward0>``) and one node instead of several. Where torch composes ops
(weighted mse/l1 losses, class-probability targets, label smoothing) the same ops are
composed in the same order, so the values and the graph are torch's.
"""
import warnings

import numpy as np

import nbtensor as torch
from nbtensor.autograd.rules import _for, _wants, _zeros_of, backward_op, into_zeros, like, rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.dispatch.tensor import Tensor
from nbtensor.autograd import grad_mode
from nbtensor.ops.pick import fast_negated_picks, fast_negated_puts

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "legacy_reduction"]


# ------------------------------------------------------------------ reductions
def legacy_reduction(size_average, reduce, reduction):
    """The reduction torch uses: `reduction`, unless the deprecated `size_average` or `reduce`
    is given (then torch's ``_Reduction.legacy_get_string``, with its warning)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    chosen = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{chosen}' instead.",
                  stacklevel=3)
    return chosen


def _checked(reduction):
    """torch's ``_Reduction.get_enum``: ValueError for an unknown reduction."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _mean_scale(reduction, n):
    """The factor torch's backward applies for a mean over `n` elements (1 otherwise)."""
    return 1.0 / n if reduction == "mean" and n else 1.0


def _scaled(grad, factor):
    return grad if factor == 1.0 else grad * factor


# ------------------------------------------------------------------ regression losses
def _warn_if_broadcast(input, target):
    """torch's warning when `target`'s size differs from `input`'s (broadcasting them is
    seldom what a regression loss means)."""
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _weighted_errors(errors, weight, reduction):
    """torch's weighted mse and l1 losses: each error times its weight; the mean is the
    weighted sum over the sum of the weights."""
    weighted = errors * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return torch.sum(weighted)
    if reduction == "mean":
        return torch.sum(weighted) / torch.sum(weight)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _check_weight_size(weight, input):
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """The mean (or sum, or each) of ``(input - target) ** 2``; with `weight` (input's shape)
    each squared error is weighted and the mean divides by the weights' sum."""
    _warn_if_broadcast(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is None:
        return _mse(input, target, _checked(reduction))
    diff = input - target
    _check_weight_size(weight, input)
    return _weighted_errors(diff ** 2, weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """The mean (or sum, or each) of ``|input - target|``; `weight` as in `mse_loss`."""
    _warn_if_broadcast(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is None:
        return _reduce((input - target).abs(), _checked(reduction))
    diff = input - target
    _check_weight_size(weight, input)
    return _weighted_errors(diff.abs(), weight, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 d²`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (d = input - target);
    with `weight` (input's shape) each element's loss is weighted before the reduction."""
    _warn_if_broadcast(input, target)
    if weight is None:
        return _huber(input, target, _checked(reduction), delta)
    _check_weight_size(weight, input)
    weighted = _huber(input, target, "none", delta) * weight
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    return _reduce(weighted, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 d² / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``; beta 0 is l1_loss."""
    _warn_if_broadcast(input, target)
    reduction = _checked(legacy_reduction(size_average, reduce, reduction))
    if beta == 0.0:
        return _reduce((input - target).abs(), reduction)
    return _smooth_l1(input, target, reduction, beta)


def _mse(input, target, reduction):
    """torch's mse_loss op (MseLossBackward0)."""
    diff = input - target
    return _reduce(diff * diff, reduction)


def _huber(input, target, reduction, delta):
    """torch's huber_loss op (HuberLossBackward0)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    z = (input - target).abs()
    return _reduce(torch.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)), reduction)


def _smooth_l1(input, target, reduction, beta):
    """torch's smooth_l1_loss op (SmoothL1LossBackward0)."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    z = (input - target).abs()
    return _reduce(torch.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta), reduction)


def _pair_grads(x, t, grad):
    """(gradient of input, of target) for a loss of ``input - target``: `grad` and its
    negation, each summed to its operand's shape; None where none is wanted."""
    return (_for(grad, x) if _wants(x) else None), (_for(-grad, t) if _wants(t) else None)


@rule("mse_loss")
def _mse_rule(args, kwargs, out):
    x, t, reduction = args

    def backward(g):  # torch's mse_loss_backward: norm * (input - target) * grad
        diff = x - t
        return _pair_grads(x, t, (diff * (2.0 * _mean_scale(reduction, diff.numel()))) * g)
    return "MseLossBackward0", (x, t), backward, (x, t)


def _kinked_rule(node, width_of_outer):
    """The rule of huber_loss (`width_of_outer`: the slope outside the kinks is the width) or
    smooth_l1_loss (slope 1, the inside divided by the width): torch's backward kernels,
    norm * (|d| >= width ? ±slope : inside) * grad."""
    def make(args, kwargs, out):
        x, t, reduction, width = args

        def backward(g):
            diff = x - t
            outer = diff.sign() * width if width_of_outer else diff.sign()
            inside = diff if width_of_outer else diff / width
            slope = torch.where(diff.abs() >= width, outer, inside)
            return _pair_grads(x, t, _scaled(slope, _mean_scale(reduction, diff.numel())) * g)
        return node, (x, t), backward, (x, t)
    return make


rule("huber_loss")(_kinked_rule("HuberLossBackward0", True))
rule("smooth_l1_loss")(_kinked_rule("SmoothL1LossBackward0", False))


# ------------------------------------------------------------------ classification
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """The negative log likelihood of the `target` classes under log-probabilities `input`:
    (C,) with a 0-d target, (N, C) with (N,), or (N, C, d1, ...) with (N, d1, ...); each
    target weighs ``weight[class]`` (1 without `weight`), targets equal to `ignore_index`
    weigh nothing, and the mean divides by the total weight."""
    reduction = _checked(legacy_reduction(size_average, reduce, reduction))
    if (isinstance(input, Tensor) and isinstance(target, Tensor) and len(input._shape) == 2
            and len(target._shape) == 1 and input._shape[0] == target._shape[0]):
        return _nll(input, target, weight, reduction, ignore_index)  # (the common call: a batch)
    dim = input.dim()
    if dim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {dim})")
    batch = target.shape[0] if target.dim() else 0  # (torch's size of a 0-d target)
    if dim != 1 and input.shape[0] != batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch}).")
    if dim == 1 and target.dim() == 1:
        if batch != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {batch}")
        target = target.reshape(())
    if dim <= 2 or dim == 4:
        return _nll(input, target, weight, reduction, ignore_index)
    # torch views other shapes as 4-d (N, C, 1, rest) and the unreduced loss back
    n, c = input.shape[0], input.shape[1]
    out_shape = (n,) + tuple(input.shape[2:])
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {list(out_shape)}, got {list(target.shape)}")
    flat = input.contiguous().view(n, c, 1, -1) if input.numel() else input.contiguous().view(n, c, 0, 0)
    labels = target.contiguous().view(n, 1, -1) if target.numel() else target.contiguous().view(n, 0, 0)
    loss = _nll(flat, labels, weight, reduction, ignore_index)
    return loss.view(out_shape) if reduction == "none" else loss


def _check_nll(input, target, weight):
    """torch's checks of nll_loss (1-d, 2-d) and nll_loss2d (4-d); returns the class count."""
    shape, target_shape = input._shape, target._shape
    if len(shape) == 4:
        if len(target_shape) != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {len(target_shape)}")
        if shape[0] != target_shape[0] or shape[2:] != target_shape[1:]:
            raise RuntimeError(f"size mismatch (got input: {list(shape)} , target: {list(target_shape)}")
    else:
        if len(target_shape) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if not (len(shape) == 1 and not target_shape) and shape[0] != target_shape[0]:
            raise RuntimeError(f"size mismatch (got input: {list(shape)}, target: {list(target_shape)})")
    classes = shape[1 if len(shape) > 1 else 0]
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")
    if target.dtype is not torch.int64 and target.dtype is not torch.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.c_name}")
    return classes


def _class_dim(dims):
    return 1 if dims > 1 else 0


def _ignoring(labels, ignore_index, classes, dtype):
    """(`labels` with those equal to `ignore_index` set to class 0, a `dtype` tensor of 1 for
    each label kept and 0 for each ignored, the bool mask of the ignored); torch's IndexError
    for any other label outside [0, classes)."""
    ignored = labels == ignore_index
    labels = labels.masked_fill(ignored, 0)
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise IndexError(f"Target {int(bad)} is out of bounds.")
    return labels, (~ignored).to(dtype), ignored


def _target_weights(weight, labels, kept, ignored):
    """Each target's weight (``weight[target]``, 1 without `weight`; 0 where `ignored`, an
    infinite class weight included), or None when every target weighs 1."""
    if weight is None:
        return kept
    weights = weight[labels]
    return weights if ignored is None else weights.masked_fill(ignored, 0.0)


def _nll(input, target, weight, reduction, ignore_index):
    """torch's nll_loss / nll_loss2d op (NllLossBackward0, NllLoss2DBackward0)."""
    classes = _check_nll(input, target, weight)
    if weight is None and len(input._shape) == 2 and len(target._shape) == 1 and not 0 <= ignore_index < classes:
        picked = fast_negated_picks(input, target)  # (the common call: a batch of class indices)
        if picked is not None:
            return _reduced(picked, reduction, None, input._shape[0])
    class_dim = _class_dim(input.dim())
    labels = target if target.dtype is torch.int64 else target.long()
    picked, kept, ignored = None, None, None
    if not 0 <= ignore_index < classes:
        # no target can be ignored unless it is out of range: gather's own check finds
        # those (then the general path below sorts ignored targets from wrong ones)
        try:
            picked = input.gather(class_dim, labels.unsqueeze(class_dim))
        except (IndexError, RuntimeError):
            picked = None
    if picked is None:
        labels, kept, ignored = _ignoring(labels, ignore_index, classes, input.dtype)
        picked = input.gather(class_dim, labels.unsqueeze(class_dim))
    # torch's kernel: -input[target] * weight[target] (IEEE signs: -0.0 for an input of 0),
    # and +0.0 where the target is ignored (not -input * 0, whose sign is the input's)
    picked = -picked.squeeze(class_dim)
    if weight is not None:
        picked = picked * weight[labels]
    if ignored is not None:
        picked = picked.masked_fill(ignored, 0.0)
    weights = _target_weights(weight, labels, kept, ignored)
    if input.dim() == 1:
        # a 1-d input takes torch's reducing kernel even unreduced: a sum from +0.0, so
        # the one term's -0.0 comes out +0.0
        picked = picked + 0.0
    return _reduced(picked, reduction, weights, labels.numel())


def _reduced(losses, reduction, weights, count):
    """nll_loss's `losses` reduced: their sum, or their sum over the total of `weights` (over
    `count` without them)."""
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / (weights.sum() if weights is not None else count)


@rule("nll_loss")
def _nll_rule(args, kwargs, out):
    _, target, weight, reduction, ignore_index = args
    meta = like(args[0])
    class_dim = _class_dim(len(meta._shape))
    classes = meta._shape[class_dim]

    def gradient(labels, weights, g, ignored=None):
        # torch's nll_loss_backward: -weight[target] * grad (over the total weight for a
        # mean) at each target's class, +0.0 elsewhere and at ignored targets (no NaN there
        # when the total weight is 0)
        if reduction == "mean":
            g = g / (weights.sum() if weights is not None else labels.numel())
        coef = -g if weights is None else -(weights * g)
        if coef.shape != labels.shape:
            coef = coef.expand(labels.shape)
        if ignored is not None:
            coef = coef.masked_fill(ignored, 0.0)
        return into_zeros(_zeros_of(meta), "scatter", class_dim, labels.unsqueeze(class_dim), coef.unsqueeze(class_dim))

    def backward(g):
        if (weight is None and len(meta._shape) == 2 and not 0 <= ignore_index < classes
                and not grad_mode._state.enabled):  # (the common call, outside create_graph)
            fast = fast_negated_puts(meta, target, g, len(target) if reduction == "mean" else 1)
            if fast is not None:
                return (fast,)
        labels = target if target.dtype is torch.int64 else target.long()
        if not 0 <= ignore_index < classes:
            try:  # (as in forward: the scatter's check finds targets out of range, ignored ones)
                return (gradient(labels, None if weight is None else weight[labels], g),)
            except (IndexError, RuntimeError):
                pass
        labels, kept, ignored = _ignoring(labels, ignore_index, classes, meta.dtype)
        return (gradient(labels, _target_weights(weight, labels, kept, ignored), g, ignored),)
    node = "NllLossBackward0" if len(meta._shape) <= 2 else "NllLoss2DBackward0"
    return node, (args[0],), backward, tuple(t for t in (target, weight) if t is not None)  # (torch's saved)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, class dim), target)``; a target of input's shape holds
    class probabilities; `label_smoothing` mixes the target with the uniform distribution."""
    reduction = _checked(legacy_reduction(size_average, reduce, reduction))
    class_dim = 1 if len(input._shape) > 1 else 0
    if target._shape == input._shape:
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{target.dtype.c_name}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim)
    logp = torch.log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        return _cross_entropy_smoothed(logp, target, weight, reduction, ignore_index, label_smoothing, class_dim)
    return nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)


def _check_smoothing(label_smoothing):
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")


def _class_weights(weight, dims, class_dim, classes):
    """`weight` viewed to broadcast along the class dim of a `dims`-d input."""
    if weight is None or dims <= 1:
        return weight
    shape = [1] * dims
    shape[class_dim] = classes
    return weight.view(shape)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim):
    """torch's cross_entropy_loss_prob_target."""
    classes = input.shape[class_dim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    logp = torch.log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        target = target * (1 - label_smoothing) + (label_smoothing / classes)
    products = logp * target
    if weight is not None:
        products = products * _class_weights(weight, input.dim(), class_dim, classes)
    if reduction == "none":
        return -products.sum(class_dim)
    if reduction == "sum":
        return -products.sum()
    if input.numel() == 0:
        return -products.sum().fill_(float("nan"))
    return -products.sum() / (input.numel() // classes)


def _cross_entropy_smoothed(logp, target, weight, reduction, ignore_index, label_smoothing, class_dim):
    """torch's cross_entropy_loss_label_smoothing (class-index targets)."""
    classes = logp.shape[class_dim]
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    ignored = target == ignore_index
    if weight is not None:
        smooth = -(logp * _class_weights(weight, logp.dim(), class_dim, classes)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        if weight is not None:
            smooth = smooth.sum() / weight.gather(0, target.masked_select(~ignored).flatten()).sum()
        else:
            smooth = smooth.sum() / (~ignored).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / classes)


# ------------------------------------------------------------------ binary cross-entropy
def _check_binary_target(input, target):
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(target log(input) + (1 - target) log(1 - input))`` for probabilities `input`, the
    logs clamped at -100 as torch's; `weight` broadcasts to input's shape."""
    reduction = _checked(legacy_reduction(size_average, reduce, reduction))
    _check_binary_target(input, target)
    if weight is not None:
        weight = weight.expand(torch.broadcast_shapes(target.shape, weight.shape))
    return _bce(input, target, weight, reduction)


def _clamped_logs(input):
    """(log(input), log(1 - input)), each clamped below at -100 as torch's."""
    return input.log().clamp(min=-100), (-input).log1p().clamp(min=-100)


def _check_probabilities(input, target):
    """torch's RuntimeError unless every element of `input` and of `target` lies in [0, 1]
    (NaN does not), naming the one of the first element, in order, where either fails (its
    kernel checks input, then target, element by element)."""
    if not input.numel():
        return
    input_ok, target_ok = (input >= 0) & (input <= 1), (target >= 0) & (target <= 1)
    if bool((input_ok & target_ok).all()):
        return  # (the common call: no more work)
    first = int((input_ok & target_ok).flatten().logical_not().byte().argmax())
    name = "target" if bool(input_ok.flatten()[first]) else "input"
    raise RuntimeError(f"all elements of {name} should be between 0 and 1")


def _bce(input, target, weight, reduction):
    """torch's binary_cross_entropy op (BinaryCrossEntropyBackward0)."""
    _check_probabilities(input, target)
    log_p, log_q = _clamped_logs(input)
    # (input's terms first: the result is laid out as the input, as torch's one kernel lays it)
    loss = -(log_p * target + log_q * (1 - target))
    return _reduce(loss if weight is None else loss * weight, reduction)


def _weighted_grad(grad, weight, reduction, n):
    if weight is not None:
        grad = grad * weight
    return _scaled(grad, _mean_scale(reduction, n))


_BCE_EPSILON = float(np.float32(1e-12))  # (torch's kernel clamps at EPSILON in float: 9.99999996e-13)


def _bce_finish(grad, weight, reduction, n):
    """torch's last steps of the binary cross-entropy gradients: times `weight`, then divided
    by the element count for a mean."""
    if weight is not None:
        grad = grad * weight
    return grad / n if reduction == "mean" and n else grad


def _bce_input_grad(g, x, t, weight, reduction):
    """torch's binary_cross_entropy_backward: g (x - t) / max((1 - x) x, EPSILON)."""
    return _bce_finish(g * (x - t) / ((1 - x) * x).clamp(min=_BCE_EPSILON), weight, reduction, x.numel())


def _bce_double_backward(g, gg, x, t, weight, reduction):
    """torch's binary_cross_entropy_double_backward (x's gradient of the input gradient):
    (x^2 - 2xt + t) / ((x + eps)^2 (1 - x + eps)^2) * gg * g, eps = 1e-12 (0 at a saturated
    x that equals its target, where the quotient's derivative is 0 / 0)."""
    eps = 1e-12
    grad = (x * x - 2 * x * t + t) / ((x + eps).pow(2) * (1 - x + eps).pow(2)) * (gg * g)
    return _bce_finish(grad, weight, reduction, x.numel())


def _bce_double_backward_grad_output(gg, x, t, weight, reduction):
    """torch's binary_cross_entropy_double_backward_grad_output (the input gradient's
    gradient in the incoming gradient): gg (x - t) / ((x + eps)(1 - x + eps)), eps = 1e-12;
    not the input gradient's own max((1 - x) x, EPSILON), which differs near saturation."""
    eps = 1e-12
    return _bce_finish(gg * (x - t) / ((x + eps) * (1 - x + eps)), weight, reduction, x.numel())


def _bce_double_backward_target(gg, g, x, t, weight, reduction):
    """torch's binary_cross_entropy_double_backward_target: -gg g / max((1 - x) x, 1e-12)."""
    res = -gg * g
    if weight is not None:
        res = res * weight
    res = res / ((1 - x) * x).clamp(min=1e-12)
    return res / x.numel() if reduction == "mean" and x.numel() else res


_bce_backward = backward_op(
    "binary_cross_entropy_backward", "BinaryCrossEntropyBackwardBackward0", _bce_input_grad,
    lambda gg, g, x, t, weight, reduction: (
        _for(_bce_double_backward_grad_output(gg, x, t, weight, reduction), g) if _wants(g) else None,
        _bce_double_backward(g, gg, x, t, weight, reduction) if _wants(x) else None,
        _bce_double_backward_target(gg, g, x, t, weight, reduction) if _wants(t) else None),
    n_tensors=3)


@rule("binary_cross_entropy")
def _bce_rule(args, kwargs, out):
    x, t, weight, reduction = args

    def backward(g):  # torch's binary_cross_entropy_backward and _target_backward (-logit(x) g)
        grad_input = _bce_backward(g, x, t, weight, reduction) if _wants(x) else None
        grad_target = _bce_finish(-x.logit() * g, weight, reduction, x.numel()) if _wants(t) else None
        return grad_input, grad_target
    return "BinaryCrossEntropyBackward0", (x, t), backward, (x, t, weight)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """The binary cross-entropy of `target` probabilities under logits `input`, computed
    stably; its gradient is torch's closed form (sigmoid(input) - target, with `pos_weight`
    and `weight`), exact where the stable formula's pieces have kinks (input 0)."""
    reduction = _checked(legacy_reduction(size_average, reduce, reduction))
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return _bce_logits(input, target, weight, pos_weight, reduction)


def _softplus_of_negative(x):
    """log(1 + exp(-x)), stable for any x: log1p(exp(-|x|)) + max(-x, 0)."""
    return (-x.abs()).exp().log1p() + (-x).clamp(min=0)


def _bce_logits(input, target, weight, pos_weight, reduction):
    """torch's binary_cross_entropy_with_logits op (BinaryCrossEntropyWithLogitsBackward0)."""
    if pos_weight is None:
        loss = (1 - target) * input + _softplus_of_negative(input)
    else:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * _softplus_of_negative(input)
    return _reduce(loss if weight is None else loss * weight, reduction)


@rule("binary_cross_entropy_with_logits")
def _bce_logits_rule(args, kwargs, out):
    x, t, weight, pos_weight, reduction = args
    for name, given in (("weight", weight), ("pos_weight", pos_weight)):
        if _wants(given):
            raise RuntimeError(f"The function 'binary_cross_entropy_with_logits' is not differentiable with "
                               f"respect to argument '{name}'. This input cannot have requires_grad True.")

    def backward(g):  # torch's binary_cross_entropy_with_logits_backward and _target_backward
        grad_input = grad_target = None
        if _wants(x):
            if pos_weight is None:
                grad_input = x.sigmoid() - t
            else:
                scaled = pos_weight * t
                grad_input = (scaled + 1 - t) * x.sigmoid() - scaled
            grad_input = _weighted_grad(grad_input * g, weight, reduction, x.numel())
        if _wants(t):
            if pos_weight is None:
                grad_target = -x
            else:  # log_sigmoid(-x) - log_sigmoid(x) * pos_weight
                grad_target = -_softplus_of_negative(-x) + _softplus_of_negative(x) * pos_weight
            grad_target = _weighted_grad(grad_target * g, weight, reduction, x.numel())
        return grad_input, grad_target
    return "BinaryCrossEntropyWithLogitsBackward0", (x, t), backward, (x, t, weight, pos_weight)


# Each op passes through the dispatch point under torch's op name: autograd records it as
# one node with the rule above (its insides run untracked).
_forms.install_functions(globals(), {
    "_mse": ("mse_loss", _mse), "_huber": ("huber_loss", _huber), "_smooth_l1": ("smooth_l1_loss", _smooth_l1),
    "_nll": ("nll_loss", _nll), "_bce": ("binary_cross_entropy", _bce),
    "_bce_logits": ("binary_cross_entropy_with_logits", _bce_logits)})
