"""``F.interpolate`` (modes nearest, nearest-exact, linear, bilinear, trilinear, area) and the
modules Upsample, UpsamplingNearest2d and UpsamplingBilinear2d. Each spatial dimension is
resampled in turn by index_select (and, for the linear modes, a weighted sum of the two
neighbours), with torch's source-index rules, so every device runs it and autograd
differentiates it."""
import math

import nbtensor as torch
from nbtensor.nn.module import Module

__all__ = ["interpolate", "upsample", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


_MISMATCH = {  # torch's messages when a per-dimension argument has the wrong length
    "size": "Input and output must have the same number of spatial dimensions, but got input with spatial "
            "dimensions of {dims} and output size of {value}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
            "format and output size in (o1, o2, ...,oK) format.",
    "scale_factor": "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    "spatial dimensions of {dims} and scale_factor of shape {value}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.",
}


def _per_dim(value, dims, name, input):
    """`value` (a number, or one per spatial dimension) as a list of `dims` entries."""
    if isinstance(value, (tuple, list, torch.Size)):
        if len(value) != dims:
            raise ValueError(_MISMATCH[name].format(dims=list(input.shape[2:]), value=tuple(value)))
        return list(value)
    return [value] * dims


def _source(positions, scale, align_corners, exact=False, linear=False):
    """torch's source coordinate of each output position along one dimension."""
    if linear:
        if align_corners:
            return positions * scale
        return ((positions + 0.5) * scale - 0.5).clamp(min=0.0)
    return ((positions + 0.5) * scale if exact else positions * scale).floor()


def _resample(x, dim, out_size, scale, mode, align_corners):
    """`x` resampled to `out_size` along `dim` (`scale`: input units per output unit)."""
    in_size = x.shape[dim]
    positions = torch.arange(out_size, dtype=torch.float64, device=x.device)
    if mode in ("nearest", "nearest-exact"):
        index = _source(positions, scale, False, exact=mode == "nearest-exact").clamp(max=in_size - 1)
        return x.index_select(dim, index.long())
    src = _source(positions, scale, align_corners, linear=True)
    low = src.floor().clamp(max=in_size - 1)
    high = (low + 1).clamp(max=in_size - 1)
    weight = (src - low).to(x.dtype).reshape((-1,) + (1,) * (x.dim() - 1 - dim))
    return x.index_select(dim, low.long()) * (1 - weight) + x.index_select(dim, high.long()) * weight


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dimensions of `input` (N, C, d1, ..., dK) to `size`, or to
    floor(d * `scale_factor`), by `mode`: "nearest" (torch's floor(i * scale) source
    index), "nearest-exact" (floor((i + 0.5) * scale)), "linear"/"bilinear"/"trilinear"
    (`align_corners`: the corner pixels' centres stay aligned) or "area" (adaptive average
    pooling)."""
    dims = input.dim() - 2
    if dims < 1 or dims > 3 or mode not in _MODES.split(" | "):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: {_MODES} (got {mode})")
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    if mode in _LINEAR and _LINEAR[mode] != dims:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input")
    if mode in ("bicubic", "lanczos") or antialias:
        raise NotImplementedError(f"nbtensor: interpolate's mode {mode!r}"
                                  f"{' with antialias' if antialias else ''} is not implemented")
    in_sizes = list(input.shape[2:])
    if size is not None:
        out_sizes = [int(s) for s in _per_dim(size, dims, "size", input)]
        scales = [None] * dims
    else:
        factors = [float(f) for f in _per_dim(scale_factor, dims, "scale_factor", input)]
        out_sizes = [math.floor(n * f) for n, f in zip(in_sizes, factors)]
        scales = [None] * dims if recompute_scale_factor else factors
    if min(out_sizes) <= 0 or min(in_sizes) <= 0:
        names = "DHW"[3 - dims:] if dims > 1 else "W"
        shown = lambda sizes: ", ".join(f"{n}: {s}" for n, s in zip(names, sizes))  # noqa: E731
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({shown(in_sizes)}) "
                           f"output ({shown(out_sizes)})")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"upsample_{mode.replace('-', '_')}{dims}d\" not implemented for "
                                  f"'{input.dtype.c_name}'")
    if mode == "area":
        pool = (torch.nn.functional.adaptive_avg_pool1d if dims == 1 else torch.nn.functional.adaptive_avg_pool2d
                if dims == 2 else None)
        if pool is None:
            raise NotImplementedError("nbtensor: interpolate's mode 'area' is not implemented for 5-D inputs")
        return pool(input, out_sizes if dims > 1 else out_sizes[0])
    out = input
    for d, (n_in, n_out, factor) in enumerate(zip(in_sizes, out_sizes, scales)):
        if mode in _LINEAR and align_corners:
            scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            scale = n_in / n_out if factor is None else 1.0 / factor
        out = _resample(out, 2 + d, n_out, scale, mode, bool(align_corners))
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """`interpolate` (torch's deprecated name)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


class Upsample(Module):
    """`interpolate` as a module: to `size` or by `scale_factor`, with `mode`."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        shown = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return shown + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W) inputs."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) inputs, corners aligned."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)

