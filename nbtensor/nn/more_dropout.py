"""More dropout: ``F.dropout3d``/``Dropout3d`` (whole channels of volumes) and the alpha
dropouts of self-normalising networks, ``F.alpha_dropout``/``AlphaDropout`` and
``F.feature_alpha_dropout``/``FeatureAlphaDropout``. The noise is drawn with nbtensor's own
generator (``torch.rand``), on the input's device."""
import math
import warnings

import nbtensor as torch
from nbtensor.nn.dropout import _check_p, _DropoutNd, _feature_dropout

__all__ = ["dropout3d", "alpha_dropout", "feature_alpha_dropout", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]

# SELU's saturation value -scale * alpha, where alpha dropout sets the dropped elements
_SELU_SATURATION = 1.7580993408473766


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of `input` ((N, C, D, H, W) or (C, D, H, W)) with probability `p`
    while training, scaling the others by 1 / (1 - p). Other ranks warn, as torch's; any
    input but a 5-D one is read as one unbatched sample."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    if ndim == 5:
        return _feature_dropout(input, p, training, inplace)
    out = _feature_dropout(input.unsqueeze(0), p, training, inplace)
    return input if inplace else out.squeeze(0)


def _alpha_dropout(input, p, training, inplace, feature):
    """Set each element (or, with `feature`, each channel of each sample) with probability
    `p` to SELU's saturation value, then apply the affine map ``a * x + b`` that restores
    zero mean and unit variance to a standard-normal input."""
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return input.mul_(0) if inplace else input * 0
    if not input.dtype.is_floating_point:  # (torch's float noise cannot be written back)
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype.c_name}")
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    else:
        shape = tuple(input.shape)
    a = 1.0 / math.sqrt((_SELU_SATURATION ** 2 * p + 1) * (1 - p))
    keep = (torch.rand(shape, device=input.device) > p).to(input.dtype)
    # kept: a * x + a * alpha * p; dropped: a * alpha * (p - 1), i.e. a * (-alpha) + a * alpha * p
    shift = (keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
    scale = keep * a
    if inplace:
        return input.mul_(scale).add_(shift)
    return input * scale + shift


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of each element with probability `p` while training: the mean and
    variance of a standard-normal input are kept (see AlphaDropout)."""
    _check_p(p)
    return _alpha_dropout(input, p, training, inplace, feature=False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dimension 1) of each sample with probability `p`."""
    _check_p(p)
    return _alpha_dropout(input, p, training, inplace, feature=True)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of (N, C, D, H, W) inputs with probability `p` while training."""

    def forward(self, input):
        return dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: dropped elements take SELU's saturation value and an
    affine map keeps the input's mean and variance, while training."""

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels while training."""

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training, self.inplace)
