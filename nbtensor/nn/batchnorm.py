"""Batch normalisation: ``F.batch_norm`` (one op, ``NativeBatchNormBackward0``, with torch's
derivative) and ``BatchNorm1d``, ``BatchNorm2d``, ``LazyBatchNorm1d``, ``LazyBatchNorm2d``.

While training, each channel (dimension 1) is normalised with the mean and the biased
variance of its values over the batch (and positions); the running estimates move towards
the batch's mean and *unbiased* variance by `momentum` (None: a cumulative average over
``num_batches_tracked``). In eval mode the running estimates are used. The running
estimates are updated in place, outside autograd, as torch's buffers are.
"""
import functools

import nbtensor as torch
from nbtensor.autograd.rules import _for, _wants, rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn import init
from nbtensor.nn.module import Module
from nbtensor.nn.normalization import check_mixed_dtypes, opmath
from nbtensor.nn.parameter import Parameter, UninitializedParameter, has_lazy_parameters

__all__ = ["batch_norm", "BatchNorm1d", "BatchNorm2d", "LazyBatchNorm1d", "LazyBatchNorm2d"]


def _dims(x):
    """The dimensions a channel's statistics run over: all but dimension 1."""
    return (0,) + tuple(range(2, len(x._shape)))


def _per_channel(t, ndim):
    """A (C,) tensor shaped (1, C, 1, ...) to broadcast against an `ndim`-D input."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _batch_stats(x, eps):
    """(x normalised with its batch statistics, 1 / sqrt(biased var + eps)) per channel."""
    dims = _dims(x)
    centred = x - x.mean(dims, keepdim=True)
    rstd = ((centred * centred).mean(dims, keepdim=True) + eps).rsqrt()
    return centred * rstd, rstd


def _running_stats(x, running_mean, running_var, eps):
    """(x normalised with the running estimates, 1 / sqrt(running_var + eps)), broadcastable."""
    n = len(x._shape)
    rstd = _per_channel((running_var + eps).rsqrt(), n)
    return (x - _per_channel(running_mean, n)) * rstd, rstd


def _affine(out, weight, bias):
    n = len(out._shape)
    if weight is not None:
        out = out * _per_channel(weight, n)
    if bias is not None:
        out = out + _per_channel(bias, n)
    return out


def _batch_norm(input, running_mean, running_var, weight, bias, training, eps):
    """torch's native_batch_norm (its first output; the running estimates are updated by
    `batch_norm`)."""
    x = opmath(input)
    if training:
        out, _ = _batch_stats(x, eps)
    else:
        out, _ = _running_stats(x, running_mean, running_var, eps)
    return _affine(out, weight, bias).to(input.dtype)  # (float16 with float32 parameters: float16)


@rule("batch_norm")
def _batch_norm_rule(args, kwargs, out):
    x, running_mean, running_var, weight, bias, training, eps = args
    dims = _dims(x)

    def gradients(g, x_hat, rstd, centre):
        n = len(x._shape)
        grad_x = grad_w = grad_b = None
        if _wants(x):
            gy = g * _per_channel(weight, n) if weight is not None else g
            grad_x = _for(centre(gy, x_hat) * rstd, x)
        if _wants(weight):
            grad_w = _for((g * x_hat).sum(dims), weight)
        if _wants(bias):
            grad_b = _for(g.sum(dims), bias)
        return grad_x, grad_w, grad_b

    if training:
        def backward(g):  # torch's batch_norm_backward, from x_hat and 1 / sigma recomputed
            x_hat, rstd = _batch_stats(opmath(x), eps)
            return gradients(g, x_hat, rstd, lambda gy, xh: gy - gy.mean(dims, keepdim=True)
                             - xh * (gy * xh).mean(dims, keepdim=True))
        return "NativeBatchNormBackward0", (x, weight, bias), backward, (x, weight)

    def backward_eval(g):  # the running estimates are constants
        x_hat, rstd = _running_stats(opmath(x), running_mean, running_var, eps)
        return gradients(g, x_hat, rstd, lambda gy, xh: gy)
    return "NativeBatchNormBackward0", (x, weight, bias), backward_eval, (x, weight, running_mean, running_var)


# (passes through the dispatch point under torch's op name: autograd records one node)
_forms.install_functions(globals(), {"_batch_norm": ("batch_norm", _batch_norm)})


def _check_size(name, t, channels):
    if t is not None and t.numel() != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dimension 1) of `input` to mean 0 and variance 1, then scale
    by `weight` and shift by `bias` (per channel). Training: the batch's statistics, and
    the running estimates (when given) moved by `momentum` towards the batch's mean and
    unbiased variance; otherwise the running estimates."""
    if input.dim() < 2:
        raise ValueError(f"Expected 2D or more input (got {input.dim()}D input)")
    if training:
        count = input.shape[0]
        for s in input.shape[2:]:
            count *= s
        if count == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input size "
                             f"torch.Size({list(input.shape)})")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        _check_size(name, t, channels)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"batch_norm\" not implemented for '{input.dtype.c_name}'")
    check_mixed_dtypes(input, weight, bias, running_mean, running_var)
    out = _batch_norm(input, running_mean, running_var, weight, bias, training, eps)
    if training and running_mean is not None:
        with torch.no_grad():
            dims = (0,) + tuple(range(2, input.dim()))
            values = input.detach()
            n = values.numel() // channels
            mean = values.mean(dims)
            var = ((values - _per_channel(mean, input.dim())) ** 2).sum(dims) / max(n - 1, 1)
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype) * momentum)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(var.to(running_var.dtype) * momentum)
    return out


class _BatchNorm(Module):
    """What the batch-norm layers share (torch's _NormBase): per-channel `weight` (ones) and
    `bias` (zeros) when `affine`, and the buffers running_mean (zeros), running_var (ones)
    and num_batches_tracked (0) when `track_running_stats`."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._make_state(affine and bias, device, dtype)

    def _make_state(self, bias, device, dtype):
        n = self.num_features
        if self.affine:
            self.weight = Parameter(torch.empty(n, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(torch.empty(n, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self._make_buffers(device, dtype)
        self.reset_parameters()

    def _make_buffers(self, device, dtype):
        if self.track_running_stats:
            n = self.num_features
            self.register_buffer("running_mean", torch.zeros(n, device=device, dtype=dtype))
            self.register_buffer("running_var", torch.ones(n, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        """running_mean to zeros, running_var to ones, num_batches_tracked to 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """The running estimates reset, weight to ones and bias to zeros."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                          self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs (after a Linear layer: D2L 8.5)."""

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel (after a convolution)."""

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class _LazyBatchNorm:
    """A batch norm whose `num_features` is read from its first input (dimension 1): its
    parameters are uninitialised and its buffers empty until then."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        self._device, self._dtype = device, dtype
        super().__init__(0, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _make_state(self, bias, device, dtype):
        self.register_parameter("weight", UninitializedParameter(device=device, dtype=dtype) if self.affine else None)
        self.register_parameter("bias", UninitializedParameter(device=device, dtype=dtype) if bias else None)
        self._make_buffers(device, dtype)

    def has_uninitialized_params(self):
        """Whether the parameters or running statistics still wait for the first input (or a
        state dict): until then the statistics are empty."""
        return has_lazy_parameters(self) or (self.track_running_stats and self.running_mean.numel() == 0)

    def _lazy_loads(self, state_dict, prefix):
        """The parameters', and the empty running statistics', shapes from `state_dict`."""
        out = super()._lazy_loads(state_dict, prefix)
        if self.track_running_stats and self.running_mean.numel() == 0:
            for name, fill in (("running_mean", 0.0), ("running_var", 1.0)):
                source = state_dict.get(prefix + name)
                if source is not None:
                    out[prefix + name] = functools.partial(self._make_statistic, name, tuple(source.shape), fill)
        return out

    def _make_statistic(self, name, shape, fill):
        """A running statistic of `shape` filled with `fill` (registered and returned)."""
        self.register_buffer(name, torch.full(shape, fill, device=self._device, dtype=self._dtype))
        return self._buffers[name]

    def forward(self, input):
        self._check_input_dim(input)
        # (loaded from a state dict, the state is kept and, as in torch, num_features stays 0)
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            self._make_buffers(self._device, self._dtype)
            self.reset_parameters()
        del self._device, self._dtype
        self.__class__ = self._cls_to_become
        return self.forward(input)


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """BatchNorm1d with `num_features` taken from the first input."""

    _cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """BatchNorm2d with `num_features` taken from the first input (D2L 8.5's LeNet with
    batch norm)."""

    _cls_to_become = BatchNorm2d
