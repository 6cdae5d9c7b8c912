"""Group and instance normalisation: ``F.group_norm``, ``F.instance_norm`` and the modules
GroupNorm, InstanceNorm1d/2d/3d (and BatchNorm3d, the batch norm of 5-D inputs). Both
functions are compositions of recorded ops (group_norm: layer norm over each group of
channels; instance_norm: batch norm over a (1, N * C, ...) view, as torch computes it), so
they run on every device and autograd differentiates them."""
import warnings

import nbtensor as torch
from nbtensor.nn.batchnorm import _BatchNorm, batch_norm
from nbtensor.nn.module import Module
from nbtensor.nn.normalization import _normalized, affine_parameters, check_mixed_dtypes, opmath, reset_affine

__all__ = ["group_norm", "instance_norm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
           "BatchNorm3d"]


def _per_channel(t, ndim):
    """A (C,) tensor shaped to broadcast along dimension 1 of an `ndim`-D input."""
    return t.reshape((-1,) + (1,) * (ndim - 2))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of ``C / num_groups`` channels of each sample of `input`
    (N, C, ...) to mean 0 and variance 1 (biased, plus `eps`), then scale by `weight` and
    shift by `bias` (per channel)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(input.shape)}")
    check_mixed_dtypes(input, weight, bias)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"GroupNormKernelImpl\" not implemented for '{input.dtype.c_name}'")
    out, _ = _normalized(opmath(input).reshape(n, num_groups, -1), (2,), eps)
    out = out.reshape(input.shape)
    if weight is not None:
        out = out * _per_channel(weight, input.dim())
    if bias is not None:
        out = out + _per_channel(bias, input.dim())
    return out.to(input.dtype)


def _check_spatial(input):
    spatial = 1
    for s in input.shape[2:]:
        spatial *= s
    if spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(input.shape)})")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample of `input` (N, C, ...) over its spatial
    dimensions; with `use_input_stats` False, by `running_mean`/`running_var` instead. When
    the input's statistics are used and running estimates are given, those move by
    `momentum` towards the batch's average of the per-sample statistics."""
    if use_input_stats:
        _check_spatial(input)
    n, c = input.shape[0], input.shape[1]
    folded = input.reshape((1, n * c) + tuple(input.shape[2:]))
    repeat = [None if t is None else t.repeat(n) for t in (running_mean, running_var, weight, bias)]
    out = batch_norm(folded, repeat[0], repeat[1], repeat[2], repeat[3], use_input_stats, momentum, eps)
    if use_input_stats:
        with torch.no_grad():
            for running, moved in zip((running_mean, running_var), repeat[:2]):
                if running is not None:
                    running.copy_(moved.reshape(n, c).mean(0))
    return out.reshape(input.shape)


class GroupNorm(Module):
    """Group normalisation (`group_norm`) with a learnt per-channel `weight` (ones) and `bias`
    (zeros) unless `affine` (or `bias`) is False."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        affine_parameters(self, (num_channels,), affine, bias, device, dtype)

    def reset_parameters(self):
        """weight to ones, bias to zeros."""
        reset_affine(self)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    """What the instance-norm layers share: torch's defaults affine=False and
    track_running_stats=False; an input without its batch dimension is taken as one sample."""

    dims = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        d = self.dims
        if input.dim() not in (d + 1, d + 2):
            raise ValueError(f"expected {d + 1}D or {d + 2}D input (got {input.dim()}D input)")
        unbatched = input.dim() == d + 1
        channels = input.shape[0 if unbatched else 1]
        if channels != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={0 if unbatched else 1} to match num_features "
                                 f"({self.num_features}), but got: {channels}.")
            warnings.warn(f"input's size at dim={0 if unbatched else 1} does not match num_features. You can "
                          "silence this warning by not passing in num_features, which is not used because "
                          "affine=False", stacklevel=3)
        x = input.unsqueeze(0) if unbatched else input
        out = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out


def _instance_norm_class(dims):
    doc = (f"Instance normalisation of (N, C, ...) inputs with {dims} spatial dimension(s), or (C, ...) "
           "ones without the batch dimension.")
    return type(f"InstanceNorm{dims}d", (_InstanceNorm,), {"dims": dims, "__doc__": doc, "__module__": __name__})


InstanceNorm1d, InstanceNorm2d, InstanceNorm3d = (_instance_norm_class(d) for d in (1, 2, 3))


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) inputs, per channel."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")
