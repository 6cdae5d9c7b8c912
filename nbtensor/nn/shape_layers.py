"""Modules that pad, rearrange or regroup their input: the padding layers (ConstantPad,
ZeroPad, ReflectionPad, ReplicationPad and CircularPad in 1, 2 and 3 dimensions),
PixelShuffle/PixelUnshuffle, Fold/Unfold and Softmax2d. Each applies its ``nn.functional``
function; attributes and reprs as torch's."""
from nbtensor.nn import functional as F
from nbtensor.nn.module import Module

__all__ = ["Softmax2d", "PixelShuffle", "PixelUnshuffle", "Fold", "Unfold"]


def _amounts(padding, dims):
    """torch's padding argument: an int pads every side, a tuple lists (left, right, top, ...)."""
    if isinstance(padding, int):
        return (padding,) * (2 * dims)
    return tuple(padding)


class _PadNd(Module):
    """F.pad(input, padding, mode) over the last `dims` dimensions."""

    mode = "constant"
    dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _amounts(padding, self.dims)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return str(self.padding)


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return str(self.padding)


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input):
        if input.dim() not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, "circular")


def _pad_class(base, name, dims, mode=None, doc=""):
    attributes = {"dims": dims, "__doc__": doc, "__module__": __name__}
    if mode is not None:
        attributes["mode"] = mode
    globals()[name] = cls = type(name, (base,), attributes)
    __all__.append(name)
    return cls


for _d in (1, 2, 3):
    _pad_class(_ConstantPadNd, f"ConstantPad{_d}d", _d, doc=f"Pads the last {_d} dimension(s) with `value`.")
    _pad_class(_ZeroPadNd, f"ZeroPad{_d}d", _d, doc=f"Pads the last {_d} dimension(s) with zeros.")
    _pad_class(_PadNd, f"ReflectionPad{_d}d", _d, "reflect",
               f"Pads the last {_d} dimension(s) with their mirror image (the edge not repeated).")
    _pad_class(_PadNd, f"ReplicationPad{_d}d", _d, "replicate",
               f"Pads the last {_d} dimension(s) by repeating the edge values.")
    _pad_class(_CircularPadNd, f"CircularPad{_d}d", _d, doc=f"Pads the last {_d} dimension(s) by wrapping round.")


class Softmax2d(Module):
    """softmax over the channels of a (C, H, W) or (N, C, H, W) input, at each position."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3)


class PixelShuffle(Module):
    """(*, C * r², H, W) -> (*, C, H * r, W * r) for r = `upscale_factor`."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H * r, W * r) -> (*, C * r², H, W) for r = `downscale_factor`."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class Unfold(Module):
    """Every patch of the input as a column (``F.unfold``)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Unfold):
    """Columns summed back into an image of `output_size` (``F.fold``, the inverse of Unfold)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"output_size={self.output_size}, " + super().extra_repr()
