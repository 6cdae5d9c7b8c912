"""``nn.functional``: the stateless layers, activations and losses, built from nbtensor ops
(so autograd records them through those ops, on every device)."""
import math
import numbers
import operator
import warnings

import nbtensor as torch
from nbtensor.nn import activations as _act
from nbtensor.nn.distance import cosine_similarity, normalize, pairwise_distance  # noqa: F401
from nbtensor.nn.embedding import embedding, embedding_bag  # noqa: F401
from nbtensor.nn.likelihood_losses import gaussian_nll_loss, kl_div, poisson_nll_loss  # noqa: F401
from nbtensor.nn.losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,  # noqa: F401
                                huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from nbtensor.nn.margin_losses import (cosine_embedding_loss, hinge_embedding_loss,  # noqa: F401
                                       margin_ranking_loss, soft_margin_loss)
from nbtensor.nn.more_dropout import alpha_dropout, dropout3d, feature_alpha_dropout  # noqa: F401
from nbtensor.nn.more_layers import (bilinear, channel_shuffle, gumbel_softmax, local_response_norm,  # noqa: F401
                                     lp_pool1d, lp_pool2d, lp_pool3d, pdist, rms_norm)
from nbtensor.nn.more_losses import (multi_margin_loss, multilabel_margin_loss,  # noqa: F401
                                     multilabel_soft_margin_loss, triplet_margin_loss,
                                     triplet_margin_with_distance_loss)
from nbtensor.nn.normalization import layer_norm  # noqa: F401
from nbtensor.nn.attention import scaled_dot_product_attention  # noqa: F401
from nbtensor.nn.batchnorm import batch_norm  # noqa: F401
from nbtensor.nn.group_norm import group_norm, instance_norm  # noqa: F401
from nbtensor.nn.conv import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d  # noqa: F401
from nbtensor.nn.dropout import dropout, dropout1d, dropout2d  # noqa: F401
from nbtensor.nn.im2col import fold, unfold  # noqa: F401
from nbtensor.nn.interpolate import interpolate, upsample  # noqa: F401
from nbtensor.nn.pixel_shuffle import pixel_shuffle, pixel_unshuffle  # noqa: F401
from nbtensor.nn.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,  # noqa: F401
                                 adaptive_max_pool1d, adaptive_max_pool1d_with_indices, adaptive_max_pool2d,
                                 adaptive_max_pool2d_with_indices, adaptive_max_pool3d,
                                 adaptive_max_pool3d_with_indices, avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d,
                                 max_pool1d_with_indices, max_pool2d, max_pool2d_with_indices, max_pool3d,
                                 max_pool3d_with_indices)
from nbtensor.nn.unpool import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: F401

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "rrelu", "rrelu_", "elu", "gelu", "silu", "softplus", "prelu", "hardtanh", "relu6",
           "selu", "celu", "logsigmoid", "hardsigmoid", "hardswish", "mish", "softshrink", "hardshrink", "threshold",
           "glu", "softsign", "tanhshrink", "relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_", "selu_",
           "celu_", "softmax", "softmin", "log_softmax", "linear", "dropout", "one_hot", "layer_norm", "embedding",
           "normalize", "cosine_similarity", "pairwise_distance",
           "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
           "gaussian_nll_loss", "soft_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "cosine_embedding_loss", "pad"]
# the convolutional layers (nn/conv.py, nn/pooling.py, nn/batchnorm.py, nn/dropout.py, nn/im2col.py)
__all__ += ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d",
            "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
            "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
            "adaptive_max_pool2d_with_indices", "batch_norm", "dropout1d", "dropout2d", "unfold", "fold",
            "pixel_shuffle", "pixel_unshuffle", "group_norm", "instance_norm",
            "scaled_dot_product_attention", "interpolate", "upsample"]
# the 3-D convolutions and poolings (nn/conv.py, nn/pooling.py, nn/more_layers.py)
__all__ += ["conv3d", "conv_transpose3d", "max_pool3d", "max_pool3d_with_indices", "avg_pool3d", "adaptive_avg_pool3d",
            "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "lp_pool3d"]
# nn/more_layers.py, nn/more_dropout.py, nn/more_losses.py
__all__ += ["rms_norm", "bilinear", "local_response_norm", "channel_shuffle", "lp_pool1d", "lp_pool2d", "pdist",
            "gumbel_softmax", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "triplet_margin_loss",
            "triplet_margin_with_distance_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
            "multilabel_margin_loss"]
# nn/embedding.py, nn/unpool.py
__all__ += ["embedding_bag", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


def relu(input, inplace=False):
    """max(input, 0), element-wise; with `inplace`, written into `input` (returned)."""
    return input.relu_() if inplace else torch.relu(input)


def sigmoid(input):
    return torch.sigmoid(input)


def tanh(input):
    return torch.tanh(input)


# ------------------------------------------------------------------ more activations
# Each is one op of nn/activations.py, with torch's derivative.
def _floating_only(input, kernel):
    """torch's NotImplementedError for an activation that has no integer or bool kernel."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.c_name}\'')


def _applied(compute, input, inplace):
    """``compute(input)``, or with `inplace` written into `input` (returned), as torch's
    ``*_`` forms. The in-place form computes from a clone when `input` requires grad: the
    ops' saved values are then not the ones it overwrites, and the gradient reaches
    `input`'s history through the clone (a leaf raises torch's in-place error)."""
    if not inplace:
        return compute(input)
    return input.copy_(compute(input.clone() if input.requires_grad else input))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """`input` where it is positive, else ``negative_slope * input`` (slope `negative_slope`
    at 0, as torch's derivative)."""
    _floating_only(input, "leaky_relu_cpu")
    return _applied(lambda x: _act._leaky_relu(x, negative_slope), input, inplace)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: `input` where it is positive, else `input` times a slope drawn
    for each element uniformly from [lower, upper] in training, and (lower + upper) / 2
    otherwise; the gradient at 0 is that slope (torch's)."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _floating_only(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")

    def compute(x):
        slope = torch.empty_like(x).uniform_(lower, upper) if training else (lower + upper) / 2
        return torch.where(x > 0, x, x * slope)
    return _applied(compute, input, inplace)


def elu(input, alpha=1.0, inplace=False):
    """`input` where it is positive, else ``alpha * (exp(input) - 1)``."""
    _floating_only(input, "elu_cpu")
    if inplace:
        # torch's elu_ differentiates through its result (EluBackward1): so does expm1's rule
        return _applied(lambda x: torch.where(x <= 0, x.clamp(max=0).expm1() * alpha, x), input, True)
    return _act._elu(input, alpha)


def gelu(input, approximate="none"):
    """``input * Phi(input)`` (Phi: the standard normal CDF, through erf); with
    ``approximate='tanh'``, torch's tanh approximation of it."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _floating_only(input, "GeluKernelImpl")
    return _act._gelu(input, approximate)


def silu(input, inplace=False):
    """``input * sigmoid(input)`` (also called swish)."""
    _floating_only(input, "silu_cpu")
    return _applied(_act._silu, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * input)) / beta``, and `input` itself where ``beta * input``
    exceeds `threshold` (where the two agree to working precision)."""
    _floating_only(input, "softplus_cpu")
    return _act._softplus(input, beta, threshold)


def prelu(input, weight):
    """`input` where it is positive, else `weight` times it: one learnt slope, or one per
    channel (dimension 1 of `input`)."""
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    count = weight.numel()
    if count != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() >= 2 else 1
        if count != channels:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{count} and channel size = {channels}.")
        weight = weight.reshape((count,) + (1,) * (input.dim() - 2))
    elif weight.dim() == 1 and input.dim() == 0:
        weight = weight.reshape(())
    return _act._prelu(input, weight)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """`input` clamped to [min_val, max_val]; its gradient is zero at the bounds (torch's)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype is torch.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return _applied(lambda x: _act._hardtanh(x, min_val, max_val), input, inplace)


def relu6(input, inplace=False):
    """``hardtanh(input, 0, 6)``: min(max(input, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _softmax_dim(name, ndim, stacklevel=3):
    """torch's implicit dimension of softmax, softmin and log_softmax called without `dim`
    (0 for 0-, 1- and 3-dimensional input, else 1), with its deprecation warning."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(input) / sum(exp(input)) along `dim` (computed in `dtype` when given)."""
    return torch.softmax(input, _softmax_dim("softmax", input.dim()) if dim is None else dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-input) along `dim`."""
    return torch.softmax(-input, _softmax_dim("softmin", input.dim()) if dim is None else dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(input)) along `dim`, computed stably."""
    return torch.log_softmax(input, _softmax_dim("log_softmax", input.dim()) if dim is None else dim, dtype=dtype)


# ------------------------------------------------------------------ the other activations
# One op each (nn/activations.py) where torch has one; softsign and tanhshrink are torch's
# compositions.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_inplace(input, alpha, scale=1.0, input_scale=1.0):
    """elu with scales written into `input` (torch's elu_ family differentiates through the
    result; so does expm1's rule here)."""
    def compute(x):
        negative = (x.clamp(max=0) * input_scale).expm1() * (alpha * scale)
        return torch.where(x <= 0, negative, x * scale if scale != 1 else x)
    return _applied(compute, input, True)


def selu(input, inplace=False):
    """``scale * elu(input, alpha)`` with torch's constants (alpha ≈ 1.6733, scale ≈ 1.0507)."""
    _floating_only(input, "elu_cpu")
    if inplace:
        return _elu_inplace(input, _SELU_ALPHA, _SELU_SCALE)
    return _act._elu(input, _SELU_ALPHA, _SELU_SCALE)


def celu(input, alpha=1.0, inplace=False):
    """`input` where it is positive, else ``alpha * (exp(input / alpha) - 1)``."""
    _floating_only(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return _elu_inplace(input, alpha, 1.0, 1.0 / alpha)
    return _act._celu(input, alpha)


def logsigmoid(input):
    """log(sigmoid(input)), computed stably."""
    _floating_only(input, "log_sigmoid_cpu")
    return _act._log_sigmoid(input)


def hardsigmoid(input, inplace=False):
    """min(max(input + 3, 0), 6) / 6: a piecewise-linear sigmoid."""
    _floating_only(input, "hardsigmoid_cpu")
    return _applied(_act._hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    """``input * hardsigmoid(input)``."""
    _floating_only(input, "hardswish_cpu")
    return _applied(_act._hardswish, input, inplace)


def mish(input, inplace=False):
    """``input * tanh(softplus(input))``."""
    _floating_only(input, "mish_cpu")
    return _applied(_act._mish, input, inplace)


def softshrink(input, lambd=0.5):
    """``input - lambd`` above `lambd`, ``input + lambd`` below ``-lambd``, else 0."""
    _floating_only(input, "softshrink_check")
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype Float, but found {lambd:g}")
    return _act._softshrink(input, lambd)


def hardshrink(input, lambd=0.5):
    """`input` outside [-lambd, lambd], else 0."""
    _floating_only(input, "hardshrink_cpu")
    return _act._hardshrink(input, lambd)


def threshold(input, threshold, value, inplace=False):
    """`value` where `input` is at most `threshold`, else `input`."""
    if input.dtype is torch.bool:
        raise RuntimeError("Bool inputs not supported for threshold")
    return _applied(lambda x: _act._threshold(x, threshold, value), input, inplace)


_threshold = threshold  # (for threshold_, whose argument has the function's name)


def glu(input, dim=-1):
    """The gated linear unit: ``a * sigmoid(b)`` for the halves a, b of `input` along `dim`."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    _floating_only(input, "glu_cpu")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {size}")
    return _act._glu(input, dim)


def softsign(input):
    """``input / (1 + |input|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``input - tanh(input)``."""
    return input - input.tanh()


# torch's in-place function forms
def relu_(input):
    """relu written into `input` (returned)."""
    return relu(input, inplace=True)


def elu_(input, alpha=1.0):
    """elu written into `input` (returned)."""
    return elu(input, alpha, inplace=True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu written into `input` (returned)."""
    return rrelu(input, lower, upper, training, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu written into `input` (returned)."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh written into `input` (returned)."""
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input, threshold, value):
    """threshold written into `input` (returned)."""
    return _threshold(input, threshold, value, inplace=True)


def selu_(input):
    """selu written into `input` (returned)."""
    return selu(input, inplace=True)


def celu_(input, alpha=1.0):
    """celu written into `input` (returned)."""
    return celu(input, alpha, inplace=True)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``, with torch's messages for mismatched shapes and dtypes
    (with a bias, torch's addmm: every dtype must be the weight's; nothing is promoted)."""
    if bias is not None:
        for name, t in (("mat1", input), ("self", bias)):
            if t.dtype != weight.dtype:
                raise RuntimeError(f"{name} and mat2 must have the same dtype, but got {t.dtype.c_name} and "
                                   f"{weight.dtype.c_name}")
    if input.shape[-1] != weight.shape[-1]:
        rows = 1
        for s in input.shape[:-1]:
            rows *= s
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if bias is not None:
        # torch's fused paths: addmm for a batch of rows (AddmmBackward0), and for other
        # contiguous inputs with a 1-D bias the rows viewed as a batch (ViewBackward0)
        if input.dim() == 2:
            return torch.addmm(bias, input, weight.t())
        if bias.dim() == 1 and input.is_contiguous():
            batch = input.shape[:-1]
            rows = torch.addmm(bias, input.reshape(math.prod(batch), input.shape[-1]), weight.t())
            return rows.view(*batch, rows.shape[1])
    out = torch.matmul(input, weight.t())
    return out if bias is None else out.add_(bias)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not torch.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor.max()) + 1 if tensor.numel() else 0
    if tensor.numel() and (int(tensor.min()) < 0 or int(tensor.max()) >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if int(tensor.min()) >= 0
                           else "Class values must be non-negative.")
    return (tensor.unsqueeze(-1) == torch.arange(num_classes, device=tensor.device)).long()


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dimensions of `input` by pad = (left, right, top, bottom,
    front, back, ...), as torch's: "constant" fills with `value` (None: 0) and a negative
    amount crops; "reflect" mirrors without repeating the edge, "replicate" repeats the edge
    and "circular" wraps round, each for the last 1, 2 or 3 dimensions of a (C, ...) or
    (N, C, ...) input. Built from index_select, narrow and cat, so it runs on every device and
    autograd goes through it."""
    amounts = _pad_amounts(pad)
    if not isinstance(mode, str):
        raise TypeError(f"pad(): argument 'mode' (position 3) must be str, not {type(mode).__name__}")
    if value is not None and not isinstance(value, numbers.Real) and not (
            isinstance(value, torch.Tensor) and value.dim() == 0):
        raise TypeError(f"pad(): argument 'value' (position 4) must be float, not {type(value).__name__}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(amounts) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    ndim, k = input.dim(), len(amounts) // 2
    if k > ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(amounts)} and input of dimension {ndim}")
    # (dim, left, right) of each padded dimension, the outermost first
    sides = [(ndim - 1 - j, amounts[2 * j], amounts[2 * j + 1]) for j in reversed(range(k))]
    if mode == "constant":
        return _constant_pad(input, sides, 0.0 if value is None else float(value))
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k > 3 or ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {2 * k} is not supported for {ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    _check_pad_sizes(input, sides, mode)
    out = input
    for dim, left, right in sides:
        if left or right:
            out = out.index_select(dim, _pad_index(mode, input.shape[dim], left, right, input.device))
    return out.clone() if out is input else out


def _pad_amounts(pad):
    """`pad` as a list of ints, with torch's TypeError for anything else."""
    where = "pad(): argument 'pad' (position 2) must be tuple of ints"
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"{where}, not {type(pad).__name__}")
    for pos, amount in enumerate(pad):
        if isinstance(amount, bool) or not hasattr(type(amount), "__index__"):
            raise TypeError(f"{where}, but found element of type {type(amount).__name__} at pos {pos}")
    return [operator.index(amount) for amount in pad]


def _constant_pad(input, sides, value):
    """Crop the negative amounts (torch's narrow, outermost dimension first), then add blocks
    of `value` (cast to input's dtype as torch casts it) for the positive ones."""
    out = input
    for dim, left, right in sides:
        if left < 0 or right < 0:
            length = out.shape[dim] + min(left, 0) + min(right, 0)
            if length < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
            out = out.narrow(dim, max(-left, 0), length)
    padded = False
    for dim, left, right in sides:
        if left > 0 or right > 0:
            shape, parts = list(out.shape), [out]
            if left > 0:
                parts.insert(0, out.new_full(shape[:dim] + [left] + shape[dim + 1:], value))
            if right > 0:
                parts.append(out.new_full(shape[:dim] + [right] + shape[dim + 1:], value))
            out, padded = torch.cat(parts, dim), True
    return out if padded else out.clone()


def _pad_index(mode, n, left, right, device):
    """The positions of input read along a dimension of size `n` padded by (left, right) in
    `mode` (a negative amount crops). Output position j stands at i = j - left of the input:
    reflect mirrors i at both edges without repeating them, replicate clamps it, circular
    wraps it round what is left of the dimension once the negative amounts have cropped it."""
    i = torch.arange(-left, n + right, device=device)
    if mode == "reflect":
        return (n - 1) - ((n - 1) - i.abs()).abs()
    if mode == "replicate":
        return i.clamp(0, n - 1)
    start, kept = max(-left, 0), n - max(-left, 0) - max(-right, 0)
    return (i - start) % kept + start


def _check_pad_sizes(input, sides, mode):
    """torch's checks, in its order and words, of the amounts of a reflect, replicate or
    circular pad; and one of its own: circular padding wider than what is left once the
    negative amounts have cropped the dimension (torch would read memory it never wrote)."""
    shape, k = list(input.shape), len(sides)
    if mode == "circular":
        for dim, left, right in sides:
            if left > shape[dim] or right > shape[dim]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if shape[dim] + left + right < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        for dim, left, right in sides:
            if max(left, right) > shape[dim] - max(-left, 0) - max(-right, 0):
                raise RuntimeError("Padding value causes wrapping around more than once.")
        return
    if 0 in shape[input.dim() - k - 1:]:
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {shape}")
    if mode == "reflect":
        for argument, (dim, left, right) in enumerate(reversed(sides)):
            if left >= shape[dim] or right >= shape[dim]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * argument}: Padding size should be less than the corresponding input "
                    f"dimension, but got: padding ({left}, {right}) at dimension {dim} of input {shape}")
    out = [shape[dim] + left + right for dim, left, right in sides]
    if max(out) < 1:
        sizes = [f"{name}: {shape[dim]}" for name, (dim, _, _) in zip("DHW"[3 - k:], sides)]
        sizes = " ".join(sizes[:-2] + [", ".join(sizes[-2:])]) + (" " if (mode, k) == ("replicate", 2) else "")
        outs = " ".join(f"{name}: {o}" for name, o in zip("DHW"[3 - k:], out))
        raise RuntimeError(f"input ({sizes}) is too small. Calculated output {outs}")
    if min(out) < 0:
        full = shape[:input.dim() - k] + out
        raise RuntimeError(f"Trying to create tensor with negative dimension {next(n for n in out if n < 0)}: {full}")
    if input.dtype is torch.bool:
        kind = "reflection" if mode == "reflect" else "replication"
        raise NotImplementedError(f"\"{kind}_pad{k}d\" not implemented for 'Bool'")
