"""Layer normalisation: ``F.layer_norm`` (one op, ``NativeLayerNormBackward0``, with torch's
derivative) and ``nn.LayerNorm``."""
import numbers

import nbtensor as torch
from nbtensor.autograd.rules import _for, _wants, rule
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.nn import init
from nbtensor.nn.module import Module
from nbtensor.nn.parameter import Parameter

__all__ = ["layer_norm", "LayerNorm"]


def _normalized(x, dims, eps):
    """((x - mean) / sqrt(var + eps), 1 / sqrt(var + eps)) over `dims` (biased variance)."""
    centred = x - x.mean(dims, keepdim=True)
    rstd = ((centred * centred).mean(dims, keepdim=True) + eps).rsqrt()
    return centred * rstd, rstd


def _layer_norm(input, normalized_shape, weight, bias, eps):
    """torch's native_layer_norm (its first output)."""
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    # (torch's result is contiguous whatever the input's layout)
    out, _ = _normalized(opmath(input).contiguous(), dims, eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.to(input.dtype)  # (float16 with float32 parameters: float16)


@rule("layer_norm")
def _layer_norm_rule(args, kwargs, out):
    x, normalized_shape, weight, bias, eps = args

    def backward(g):  # torch's layer_norm_backward, from x_hat and 1 / sigma recomputed
        dims = tuple(range(len(x._shape) - len(normalized_shape), len(x._shape)))
        lead = tuple(range(len(x._shape) - len(normalized_shape)))
        x_hat, rstd = _normalized(opmath(x), dims, eps)
        grad_x = grad_w = grad_b = None
        if _wants(x):
            gy = g * weight if weight is not None else g
            grad_x = rstd * (gy - gy.mean(dims, keepdim=True) - x_hat * (gy * x_hat).mean(dims, keepdim=True))
            grad_x = _for(grad_x, x)
        if _wants(weight):
            grad_w = _for((g * x_hat).sum(lead) if lead else g * x_hat, weight)
        if _wants(bias):
            grad_b = _for(g.sum(lead) if lead else g, bias)
        return grad_x, grad_w, grad_b
    return "NativeLayerNormBackward0", (x, weight, bias), backward, (x, weight)


# (passes through the dispatch point under torch's op name: autograd records one node)
_forms.install_functions(globals(), {"_layer_norm": ("layer_norm", _layer_norm)})


def opmath(x):
    """`x` in the dtype torch computes a normalisation of it in: float32 for float16."""
    return x.float() if x.dtype == torch.float16 else x


def check_mixed_dtypes(input, *parameters):
    """torch's CPU check of a normalisation's dtypes; `parameters` in torch's order (weight,
    bias, then any running estimates; None skipped). When the first differs from the input's
    dtype ("mixed"), all must be float32 and the input float16 (the result keeps the input's
    dtype); otherwise each must have the input's dtype. True when mixed."""
    given = [p for p in parameters if p is not None]
    if not given or input.device.type != "cpu":
        return False
    if given[0].dtype != input.dtype:
        if any(p.dtype != torch.float32 for p in given):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if input.dtype != torch.float16:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        return True
    for p in given[1:]:
        if p.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {input.dtype.c_name} but found {p.dtype.c_name}")
    return False


def _check_shape(name, t, shape):
    if t is not None and tuple(t.shape) != shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                           f"{list(t.shape)} and normalized_shape = {list(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise `input` over its last ``len(normalized_shape)`` dimensions to mean 0 and
    variance 1 (biased, plus `eps`), then scale by `weight` and shift by `bias`."""
    if not isinstance(normalized_shape, (tuple, list, torch.Size)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    shape = tuple(int(n) for n in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    _check_shape("weight", weight, shape)
    _check_shape("bias", bias, shape)
    if input.dim() < len(shape) or tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    check_mixed_dtypes(input, weight, bias)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"LayerNormKernelImpl\" not implemented for '{input.dtype.c_name}'")
    return _layer_norm(input, shape, weight, bias, eps)


def affine_parameters(module, shape, affine, bias, device, dtype):
    """A normalisation layer's learnt `weight` (ones) and `bias` (zeros) of `shape`, or None
    for each it lacks (no `affine`, or no `bias`), registered in torch's order."""
    if affine:
        module.weight = Parameter(torch.empty(shape, device=device, dtype=dtype))
        if bias:
            module.bias = Parameter(torch.empty(shape, device=device, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)
    reset_affine(module)


def reset_affine(module):
    """weight to ones, bias to zeros (those `module` has)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Layer normalisation over the last dimensions (`normalized_shape`), with a learnt
    element-wise `weight` (ones) and `bias` (zeros) unless `elementwise_affine` (or `bias`)
    is False."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        affine_parameters(self, self.normalized_shape, elementwise_affine, bias, device, dtype)

    def reset_parameters(self):
        """weight to ones, bias to zeros."""
        reset_affine(self)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
