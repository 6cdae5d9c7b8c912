"""More layers of ``nn`` and ``nn.functional``, each composed of existing nbtensor ops (so
they run on every device and autograd differentiates them): ``rms_norm``/``RMSNorm``,
``bilinear``/``Bilinear``, ``local_response_norm``/``LocalResponseNorm``,
``channel_shuffle``/``ChannelShuffle``, ``lp_pool1d``/``lp_pool2d``/``lp_pool3d`` with
``LPPool1d``/``LPPool2d``/``LPPool3d``, ``pdist`` and ``gumbel_softmax``."""
import collections.abc
import math
import numbers
import operator
import warnings

import nbtensor as torch
from nbtensor.nn import init
from nbtensor.nn.module import Module
from nbtensor.nn.parameter import Parameter
from nbtensor.nn.pooling import avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d

__all__ = ["rms_norm", "bilinear", "local_response_norm", "channel_shuffle", "lp_pool1d", "lp_pool2d", "lp_pool3d",
           "pdist", "gumbel_softmax", "RMSNorm", "Bilinear", "LocalResponseNorm", "ChannelShuffle", "LPPool1d",
           "LPPool2d", "LPPool3d"]


# ------------------------------------------------------------------ RMS normalisation
def _rms_shape(input, normalized_shape, weight):
    """`normalized_shape` as a tuple of ints, after torch's checks of it, `weight` and `input`."""
    if not isinstance(normalized_shape, (tuple, list, torch.Size)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    shape = tuple(int(n) for n in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    if input.dim() < len(shape):
        raise ValueError(f"Input tensor must have at least {len(shape)} dimensions, but got {input.dim()}")
    if tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"rms_norm\" not implemented for '{input.dtype.c_name}'")
    return shape


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """`input` divided by the root mean square of its last ``len(normalized_shape)``
    dimensions (plus `eps`; None: the machine epsilon of the dtype computed in), times
    `weight`. Half-precision inputs are normalised in float32 and the result cast back, as
    torch's."""
    shape = _rms_shape(input, normalized_shape, weight)
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    x = input.float() if input.dtype is torch.float16 else input
    if eps is None:  # (of the dtype computed in, as torch's: float32's for a float16 input)
        eps = torch.finfo(x.dtype).eps
    out = x * ((x * x).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out.to(input.dtype)


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dimensions (`normalized_shape`), with a
    learnt element-wise `weight` (ones) unless `elementwise_affine` is False."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(torch.empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        """weight to ones."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input):
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


# ------------------------------------------------------------------ bilinear
def _check_bilinear(input1, input2, weight, bias):
    """torch's checks of bilinear's arguments, in its order and words."""
    tensors = [("input1", input1), ("input2", input2), ("weight", weight)] + ([("bias", bias)] if bias is not None
                                                                             else [])
    if len({t.dtype for _, t in tensors}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got "
                           + ", ".join(f"{name}: {t.dtype.c_name.lower()}" for name, t in tensors))
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} "
                               f"and {input2.shape[i]}")
    for name, x, wdim in (("input1", input1, 1), ("input2", input2, 2)):
        if x.shape[-1] != weight.shape[wdim]:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {x.shape[-1]} but "
                               f"expected {weight.shape[wdim]}")
    if bias is not None:
        if bias.dim() == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        if bias.shape[0] != weight.shape[0]:
            raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                               f"{weight.shape[0]}")


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1[..., :] @ weight[o] @ input2[..., :] + bias[o]`` (weight:
    (out, in1, in2)), as a matmul of input1 with weight's (in1, out * in2) view, then a
    product with input2 summed over in2."""
    _check_bilinear(input1, input2, weight, bias)
    out_features, in1, in2 = weight.shape
    left = torch.matmul(input1, weight.permute(1, 0, 2).reshape(in1, out_features * in2))
    left = left.reshape(*input1.shape[:-1], out_features, in2)
    out = (left * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


class Bilinear(Module):
    """``y = x1^T A x2 + b``, with torch's initialisation: weight and bias uniform in
    ±1/sqrt(in1_features)."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = Parameter(torch.empty((out_features, in1_features, in2_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(torch.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


# ------------------------------------------------------------------ local response normalisation
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """`input` over ``(k + alpha * mean of input² over a window of `size` channels) ** beta``;
    the window around channel c runs from c - size // 2, zero beyond the channels. The mean
    is an avg_pool2d of the squares viewed as (N, 1, C, rest)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    if size < 1:
        sizes = f"kH: {size} kW: 1" if dim == 3 else f"kT: {size} kH: 1 kW: 1"
        raise RuntimeError(f"kernel size should be greater than zero, but got {sizes}")
    n, channels = input.shape[0], input.shape[1]
    squares = (input * input).reshape(n, 1, channels, -1)
    # zero padding of size // 2 on both sides, counted in the mean; for an even size that
    # leaves one window too many at the end
    div = avg_pool2d(squares, (size, 1), stride=1, padding=(size // 2, 0))
    div = div.narrow(2, 0, channels).reshape(input.shape)
    return input / (div * alpha + k).pow(beta)


class LocalResponseNorm(Module):
    """Normalises each channel by the squares of its `size` neighbouring channels (see
    F.local_response_norm)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


# ------------------------------------------------------------------ channel shuffle
def channel_shuffle(input, groups):
    """Split the channels (dimension 1) into `groups` groups and interleave them: channel
    ``g * (C // groups) + i`` moves to ``i * groups + g``."""
    if isinstance(groups, bool) or not hasattr(type(groups), "__index__"):
        raise TypeError(f"channel_shuffle(): argument 'groups' (position 2) must be int, not "
                        f"{type(groups).__name__}")
    groups = operator.index(groups)
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    channels = input.shape[1]
    if channels % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {channels} channels and {groups} "
                           "groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    grouped = input.reshape(n, groups, channels // groups, *rest)
    return grouped.transpose(1, 2).contiguous().reshape(input.shape)


class ChannelShuffle(Module):
    """Interleaves the channels of `groups` groups (see F.channel_shuffle)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


# ------------------------------------------------------------------ power-average pooling
def _lp_finish(pooled, norm_type, window):
    """torch's last step: the window's sum of powers (the mean times `window`, negative means
    kept as they are) to the power 1 / norm_type."""
    return (torch.sign(pooled) * torch.relu(pooled.abs())).mul(window).pow(1.0 / norm_type)


def _window(kernel_size, dims):
    """The number of elements in a window of `kernel_size` (torch unpacks _pair/_triple of it:
    its ValueError for another length; a 1-D pool multiplies by `kernel_size` itself)."""
    if dims == 1:
        return kernel_size
    sizes = tuple(kernel_size) if isinstance(kernel_size, collections.abc.Iterable) else (kernel_size,) * dims
    if dims == 2:
        kw, kh = sizes
        return kw * kh
    kd, kw, kh = sizes
    return kd * kw * kh


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, dims):
    """The `norm_type`-norm of each `kernel_size` window of the last `dims` dimensions
    (``(sum x ** p) ** (1 / p)``; p = inf: the largest magnitude)."""
    window = _window(kernel_size, dims)
    if norm_type in (math.inf, -math.inf):
        most = (max_pool1d, max_pool2d, max_pool3d)[dims - 1]
        if norm_type == math.inf:
            return most(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -most(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    pooled = (avg_pool1d, avg_pool2d, avg_pool3d)[dims - 1](input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_finish(pooled, norm_type, window)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The `norm_type`-norm of each window of `kernel_size` along the last dimension
    (``(sum x ** p) ** (1 / p)``; p = inf: the largest magnitude)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The `norm_type`-norm of each `kernel_size` window of the last two dimensions."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The `norm_type`-norm of each `kernel_size` window of the last three dimensions."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


class _LPPoolNd(Module):
    """What the LPPool layers share: their settings, kept as given, and torch's repr."""

    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling along the last dimension (see F.lp_pool1d)."""

    _fn = staticmethod(lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over the last two dimensions (see F.lp_pool2d)."""

    _fn = staticmethod(lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over the last three dimensions (see F.lp_pool3d)."""

    _fn = staticmethod(lp_pool3d)


# ------------------------------------------------------------------ pdist, gumbel_softmax
def pdist(input, p=2):
    """The `p`-norm distance between each pair of rows i < j of `input` (N, M), in the
    order (0, 1), (0, 2), ..., (1, 2), ...: N * (N - 1) / 2 distances."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    first, second = torch.triu_indices(n, n, 1, device=input.device)
    differences = input.index_select(0, first) - input.index_select(0, second)
    if p == 0:  # the count of differing entries, differentiable (with gradient 0) as torch's
        return differences.abs().sign().sum(1)
    if p == math.inf and differences.shape[1]:
        return _largest_magnitude(differences)
    return differences.norm(p, 1)


def _largest_magnitude(differences):
    """The largest |entry| of each row, whose gradient goes whole to every entry tied for it
    (as torch's pdist; norm's would split it among them): the row's maximum, untracked, plus
    the tied entries' (zero) excess over it."""
    magnitudes = differences.abs()
    largest = magnitudes.amax(1, keepdim=True).detach()
    ties = (magnitudes == largest).to(magnitudes.dtype)
    return largest.squeeze(1) + ((magnitudes - largest) * ties).sum(1)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` along
    `dim`, g Gumbel(0, 1) noise drawn from nbtensor's generator. With `hard`, the one-hot
    vector of each sample's largest entry, differentiated as the soft sample (the
    straight-through estimator)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if not logits.dtype.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {logits.dtype.c_name}")
    # -log(U) is Exponential(1) for U uniform in [0, 1) (U = 0 gives g = -inf: a zero weight)
    exponentials = -torch.rand_like(logits).log()
    y_soft = ((logits - exponentials.log()) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = torch.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
