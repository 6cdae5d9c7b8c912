"""The convolution layers: ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``, ``LazyConv1d/2d/3d``,
``LazyConvTranspose1d/2d/3d`` (their functions and ops are in nn/conv.py)."""
import math

import nbtensor as torch
from nbtensor.nn import functional as F
from nbtensor.nn import init
from nbtensor.nn.conv import _expand
from nbtensor.nn.module import Module
from nbtensor.nn.parameter import Parameter, UninitializedParameter, has_lazy_parameters

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d"]


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What the convolution layers share: settings kept as tuples, torch's checks, weight
    (and bias) drawn as torch draws them, torch's repr."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None, output_padding=0):
        super().__init__()
        n = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.kernel_size, self.stride = _expand(kernel_size, n, "kernel_size"), _expand(stride, n, "stride")
        self.dilation = _expand(dilation, n, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _expand(padding, n, "padding")
        if padding_mode not in _PADDING_MODES:
            raise ValueError("padding_mode must be one of {'replicate', 'zeros', 'reflect', 'circular'}, but got "
                             f"padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.padding, self.groups = in_channels, out_channels, padding, groups
        self.padding_mode, self.transposed = padding_mode, self._transposed
        self.output_padding = _expand(output_padding, n, "output_padding")
        self._reversed_padding_repeated_twice = self._padding_amounts()
        self._make_parameters(bias, device, dtype)

    def _padding_amounts(self):
        """F.pad's amounts (last dimension first) for a padding_mode other than zeros."""
        amounts = []
        for i in reversed(range(self._dims)):
            if self.padding == "valid":
                amounts += [0, 0]
            elif self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                amounts += [total // 2, total - total // 2]
            else:
                amounts += [self.padding[i]] * 2
        return amounts

    def _weight_shape(self):
        first, second = ((self.in_channels, self.out_channels) if self.transposed
                         else (self.out_channels, self.in_channels))
        return (first, second // self.groups) + self.kernel_size

    def _make_parameters(self, bias, device, dtype):
        def parameter(shape):
            return Parameter(torch.empty(shape, device=device, dtype=dtype))
        self.weight = parameter(self._weight_shape())
        self.register_parameter("bias", parameter(self.out_channels) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight from kaiming_uniform_ (a=sqrt(5)), bias uniform in ±1/sqrt(fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = init._fans(self.weight)[0]
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def forward(self, input):
        conv = (F.conv1d, F.conv2d, F.conv3d)[self._dims - 1]
        if self.padding_mode != "zeros":
            return conv(F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), self.weight,
                        self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution layer: `in_channels` -> `out_channels` with a kernel of `kernel_size`."""

    _dims = 1


class Conv2d(_ConvNd):
    """2-D convolution layer (see F.conv2d): weight (out, in/groups, kh, kw), bias (out)."""

    _dims = 2


class Conv3d(_ConvNd):
    """3-D convolution layer (see F.conv3d): weight (out, in/groups, kd, kh, kw), bias (out)."""

    _dims = 3


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype, output_padding)

    def _output_padding(self, input, output_size):
        """output_padding, or the one that makes the output `output_size`."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        output_size = list(output_size)[-n:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or "
                             f"{n + 2} elements (got {len(output_size)})")
        spatial = list(input.shape[-n:])
        least = [(s - 1) * st - 2 * p + d * (k - 1) + 1 for s, st, p, d, k
                 in zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size)]
        most = [m + st - 1 for m, st in zip(least, self.stride)]
        if any(not lo <= o <= hi for o, lo, hi in zip(output_size, least, most)):
            raise ValueError(f"requested an output size of {tuple(output_size)}, but valid sizes range from {least} "
                             f"to {most} (for an input of torch.Size({spatial}))")
        return tuple(o - lo for o, lo in zip(output_size, least))

    def forward(self, input, output_size=None):
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._dims - 1]
        return conv(input, self.weight, self.bias, self.stride, self.padding, self._output_padding(input, output_size),
                    self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer: weight (in, out/groups, k)."""

    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer: weight (in, out/groups, kh, kw); with stride 2 it
    doubles the height and width (the upsampling of D2L's FCN)."""

    _dims = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution layer: weight (in, out/groups, kd, kh, kw)."""

    _dims = 3


class _LazyConv:
    """A convolution whose `in_channels` is read from its first input; its parameters are
    uninitialised until then, when it initialises them and becomes its non-lazy class."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype)

    def _make_parameters(self, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.register_parameter("bias", UninitializedParameter(device=device, dtype=dtype) if bias else None)

    def has_uninitialized_params(self):
        """Whether the parameters still wait for the first input (or a state dict)."""
        return has_lazy_parameters(self)

    def forward(self, input, *args, **kwargs):
        # (loaded from a state dict, the parameters are kept and, as in torch, in_channels stays 0)
        if self.has_uninitialized_params():
            self.in_channels = input.shape[0] if input.dim() == self._dims + 1 else input.shape[1]
            if self.in_channels % self.groups:
                raise ValueError("in_channels must be divisible by groups")
            self.weight.materialize(self._weight_shape())
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()
        self.__class__ = self._cls_to_become
        return self.forward(input, *args, **kwargs)


class LazyConv1d(_LazyConv, Conv1d):
    """Conv1d with `in_channels` taken from the first input."""

    _cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """Conv2d with `in_channels` taken from the first input (D2L's LeNet/AlexNet/VGG)."""

    _cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """Conv3d with `in_channels` taken from the first input."""

    _cls_to_become = Conv3d


class _LazyConvTranspose(_LazyConv):
    """A transposed convolution whose `in_channels` is read from its first input."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        _ConvTransposeNd.__init__(self, 0, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                                  dilation, padding_mode, device, dtype)


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """ConvTranspose1d with `in_channels` taken from the first input."""

    _cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """ConvTranspose2d with `in_channels` taken from the first input."""

    _cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """ConvTranspose3d with `in_channels` taken from the first input."""

    _cls_to_become = ConvTranspose3d
