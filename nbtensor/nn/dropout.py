"""Dropout: ``F.dropout`` (each element), and the channel-wise ``F.dropout1d``,
``F.dropout2d`` with ``Dropout1d``, ``Dropout2d``: while training, each channel of each
sample is zeroed as a whole with probability `p` and the others scaled by 1 / (1 - p) (one
random draw per channel, one product)."""
import warnings

import nbtensor as torch
from nbtensor.nn.module import Module

__all__ = ["dropout", "dropout1d", "dropout2d", "Dropout1d", "Dropout2d"]


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability `p` and scale the rest by 1/(1-p) while training."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    # torch's: a noise tensor of 0 and 1 / (1 - p) (kept with probability 1 - p), one product
    noise = (torch.rand(input.shape, device=input.device) > p).to(input.dtype).div_(1.0 - p)
    return input.mul_(noise) if inplace else input * noise


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _feature_dropout(input, p, training, inplace):
    """torch's feature_dropout: dimension 0 the batch, 1 the channel; one keep-or-drop draw
    per (sample, channel), broadcast over the rest."""
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    noise = (torch.rand(shape, device=input.device) > p).to(input.dtype).div_(1.0 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of `input` ((N, C, L) or (C, L)) with probability `p` while
    training, scaling the others by 1 / (1 - p)."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if input.dim() == 3:
        return _feature_dropout(input, p, training, inplace)
    out = _feature_dropout(input.unsqueeze(0), p, training, inplace)
    return input if inplace else out.squeeze(0)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of `input` ((N, C, H, W) or (C, H, W)) with probability `p` while
    training, scaling the others by 1 / (1 - p). A 3-D input is read as (N, C, L), with
    torch's warning."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


class _DropoutNd(Module):
    """What the channel-dropout layers share with nn.Dropout: `p`, `inplace`, torch's repr
    (nn.Dropout itself lives in nn/modules.py, which imports nn.functional, which imports
    this module: subclassing it here would be an import cycle)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        _check_p(p)
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) or (C, L) inputs with probability `p` while training."""

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of (N, C, H, W) inputs with probability `p` while training."""

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)
