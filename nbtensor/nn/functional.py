"""``nn.functional``: the stateless layers, activations and losses, built from nbtensor ops
(so autograd records them through those ops, on every device)."""
import nbtensor as torch

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "dropout", "one_hot",
           "mse_loss", "nll_loss", "cross_entropy", "binary_cross_entropy_with_logits", "pad"]


def relu(input, inplace=False):
    return input.relu_() if inplace else torch.relu(input)


def sigmoid(input):
    return torch.sigmoid(input)


def tanh(input):
    return torch.tanh(input)


def softmax(input, dim=None, dtype=None):
    return torch.softmax(input, -1 if dim is None else dim, dtype=dtype)


def log_softmax(input, dim=None, dtype=None):
    return torch.log_softmax(input, -1 if dim is None else dim, dtype=dtype)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``, with torch's message for mismatched shapes."""
    if input.shape[-1] != weight.shape[-1]:
        rows = 1
        for s in input.shape[:-1]:
            rows *= s
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    out = torch.matmul(input, weight.t())
    return out if bias is None else out + bias


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability `p` and scale the rest by 1/(1-p) while training."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = (torch.rand(input.shape, device=input.device) > p).to(input.dtype)
    return input * keep / (1.0 - p)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not torch.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor.max()) + 1 if tensor.numel() else 0
    if tensor.numel() and (int(tensor.min()) < 0 or int(tensor.max()) >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if int(tensor.min()) >= 0
                           else "Class values must be non-negative.")
    return (tensor.unsqueeze(-1) == torch.arange(num_classes, device=tensor.device)).long()


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The mean (or sum, or each) of ``(input - target) ** 2``; an integer target is promoted
    as torch does."""
    return _reduce((input - target) ** 2, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """The negative log likelihood of the `target` classes under log-probabilities `input`
    (N, C) or (C,)."""
    if target.dtype is not torch.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype}")
    if input.dim() == 1:
        input, target = input.unsqueeze(0), target.reshape(1)
    n, classes = input.shape[0], input.shape[1]
    if target.shape[0] != n:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size ({target.shape[0]}).")
    valid = target != ignore_index
    safe = torch.where(valid, target, torch.zeros_like(target))
    if bool((safe < 0).any()) or bool((safe >= classes).any()):
        bad = int(safe[(safe < 0) | (safe >= classes)][0])
        raise IndexError(f"Target {bad} is out of bounds.")
    picked = -input.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(input.dtype)
    if weight is not None:
        w = w * weight[safe]
    picked = picked * w
    if reduction == "mean":
        return picked.sum() / w.sum()
    return _reduce(picked, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)``; a floating `target` of input's shape holds
    class probabilities."""
    logp = torch.log_softmax(input, 1 if input.dim() > 1 else 0)
    if target.dtype.is_floating_point:
        return _reduce(-(target * logp).sum(1 if input.dim() > 1 else 0), reduction)
    if label_smoothing:
        smooth = -logp.mean(1 if input.dim() > 1 else 0)
        nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction="none")
        return _reduce((1 - label_smoothing) * nll + label_smoothing * smooth, reduction)
    return nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    # max(x, 0) - x*t + log(1 + exp(-|x|)): stable for large |x|
    loss = input.clamp(min=0) - input * target + (-input.abs()).exp().log1p()
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * ((-input.abs()).exp().log1p() + (-input).clamp(min=0))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def pad(input, pad, mode="constant", value=0.0):
    """Constant padding of the last len(pad)//2 dimensions (pad = (left, right, top, ...))."""
    if mode != "constant":
        raise NotImplementedError(f"pad mode {mode!r} is not implemented in nbtensor")
    if len(pad) % 2:
        raise ValueError("Padding length must be divisible by 2")
    out = input
    for i in range(len(pad) // 2):
        dim = input.dim() - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if left < 0 or right < 0:
            raise NotImplementedError("negative padding is not implemented in nbtensor")
        parts = []
        if left:
            shape = list(out.shape)
            shape[dim] = left
            parts.append(torch.full(shape, value, dtype=out.dtype, device=out.device))
        parts.append(out)
        if right:
            shape = list(out.shape)
            shape[dim] = right
            parts.append(torch.full(shape, value, dtype=out.dtype, device=out.device))
        out = torch.cat(parts, dim) if len(parts) > 1 else out
    return out
