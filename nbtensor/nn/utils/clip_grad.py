"""``nn.utils.clip_grad``: the total norm of many tensors, and scaling or clamping the
gradients of parameters in place, as torch."""
import functools
import math
import types
import warnings

import nbtensor as torch

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _without_grad(fn):
    """`fn` run with gradient recording off."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with torch.no_grad():
            return fn(*args, **kwargs)
    return wrapper


def _as_list(tensors):
    """`tensors` (one tensor or an iterable of them) as a list."""
    return [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)


def _grads(parameters):
    """The gradients (those not None) of `parameters`, a tensor or an iterable of them."""
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def _check_finite(total, norm_type):
    """torch's RuntimeError when the total norm `total` is NaN or infinite."""
    if not math.isfinite(float(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
            "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")


@_without_grad
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type` norm of the norms of `tensors` (a tensor or an iterable of them): the
    norm of all their elements as if they were one vector; a 0-d tensor on the first
    tensor's device (``tensor(0.)`` for none). With `error_if_nonfinite`, a NaN or infinite
    total raises torch's RuntimeError. `foreach` is accepted and ignored (one code path)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return torch.tensor(0.0)
    device = tensors[0].device
    norms = [torch.linalg.vector_norm(t, norm_type).to(device) for t in tensors]
    total = torch.linalg.vector_norm(torch.stack(norms), norm_type)
    if error_if_nonfinite:
        _check_finite(total, norm_type)
    return total


@_without_grad
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Multiply the gradients of `parameters` in place by ``max_norm / (total_norm + 1e-6)``
    clamped at 1 (so gradients are only ever scaled down); `total_norm` is a norm computed
    beforehand (e.g. by ``get_total_norm``). Returns None."""
    grads = _grads(parameters)
    max_norm = float(max_norm)
    if not grads:
        return
    scale = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.to(g.device, g.dtype))


def _parameter_list(parameters):
    """`parameters` as a list; warns as torch when it was an empty generator."""
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=4)
    return parameters


@_without_grad
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients of `parameters` in place so that their total `norm_type` norm (the
    norm of each gradient's norm, as if all were one vector) is at most `max_norm`; returns
    that total norm before scaling, a 0-d tensor. ``get_total_norm`` followed by
    ``clip_grads_with_norm_``; with `error_if_nonfinite`, a NaN or infinite total raises."""
    parameters = _parameter_list(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated name of ``clip_grad_norm_`` (warns with torch's FutureWarning)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@_without_grad
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of `parameters` in place to [-clip_value, clip_value]; returns None."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(-clip_value, clip_value)
