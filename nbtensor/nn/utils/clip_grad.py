"""``nn.utils.clip_grad``: scale or clamp the gradients of parameters in place, as torch."""
import math

import nbtensor as torch

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    """The gradients (those not None) of `parameters`, a tensor or an iterable of them."""
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients of `parameters` in place so that their total `norm_type` norm (the
    norm of each gradient's norm, as if all were one vector) is at most `max_norm`; returns
    that total norm before scaling, a 0-d tensor. As torch, the scale is
    ``max_norm / (total + 1e-6)`` clamped at 1, so gradients already within the bound are
    multiplied by 1; with `error_if_nonfinite`, a NaN or infinite total raises instead."""
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return torch.tensor(0.0)
    with torch.no_grad():
        device = grads[0].device
        norms = [torch.linalg.vector_norm(g, norm_type).to(device) for g in grads]
        total = torch.linalg.vector_norm(torch.stack(norms), norm_type)
        if error_if_nonfinite and not math.isfinite(float(total)):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
                "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                "`error_if_nonfinite=False`")
        scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.to(g.device, g.dtype))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of `parameters` in place to [-clip_value, clip_value]; returns None."""
    clip_value = float(clip_value)
    with torch.no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
