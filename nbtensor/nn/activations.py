"""The activations torch runs as one op (leaky_relu, elu, gelu, silu, softplus, hardtanh,
prelu), each registered at the dispatch point under torch's op name with torch's derivative:
one node with torch's name (``grad_fn=<GeluBackward0>``), and torch's gradient at the kinks
and at NaN (that of its scalar loops: torch's vectorised loops differ at NaN for elu and
hardtanh, so torch's own answer there depends on the tensor's size).
"""
import math

import nbtensor as torch
from nbtensor.autograd.rules import _for, _wants, rule
from nbtensor.dispatch import dispatcher as _forms

__all__ = []  # (the public functions are nn.functional's)

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_KAPPA = 0.044715


def _leaky_relu(x, slope):
    return torch.where(x > 0, x, x * slope)


@rule("leaky_relu")
def _leaky_relu_rule(args, kwargs, out):
    x, slope = args
    return "LeakyReluBackward0", (x,), lambda g: (torch.where(x > 0, g, g * slope),), (x,)


def _elu(x, alpha):
    return torch.where(x <= 0, x.expm1() * alpha if alpha != 1 else x.expm1(), x)


@rule("elu")
def _elu_rule(args, kwargs, out):
    x, alpha = args

    def backward(g):  # torch's elu_backward: alpha * exp(x) * grad where x is not positive
        return (torch.where(x <= 0, (g * alpha if alpha != 1 else g) * x.exp(), g),)
    return "EluBackward0", (x,), backward, (x,)


def _gelu(x, approximate):
    if approximate == "tanh":
        inner = (x + x * x * x * _KAPPA) * _SQRT_2_OVER_PI
        return x * 0.5 * (1 + inner.tanh())
    return x * 0.5 * (1 + (x * _SQRT1_2).erf())


@rule("gelu")
def _gelu_rule(args, kwargs, out):
    x, approximate = args

    def backward(g):  # torch's GeluBackwardKernelImpl
        if approximate == "tanh":
            squared = x * x
            t = ((x + squared * x * _KAPPA) * _SQRT_2_OVER_PI).tanh()
            left, right = x * 0.5, 1 + t
            inner_derivative = (1 + squared * (3 * _KAPPA)) * _SQRT_2_OVER_PI
            return (g * (right * 0.5 + left * (1 - t * t) * inner_derivative),)
        cdf = (1 + (x * _SQRT1_2).erf()) * 0.5
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return (g * (cdf + x * pdf),)
    return "GeluBackward0", (x,), backward, (x,)


def _silu(x):
    return x / ((-x).exp() + 1)


@rule("silu")
def _silu_rule(args, kwargs, out):
    x = args[0]

    def backward(g):  # torch's silu_backward: grad * s * (1 + x * (1 - s)), s = sigmoid(x)
        s = ((-x).exp() + 1).reciprocal()
        return (g * s * (x * (1 - s) + 1),)
    return "SiluBackward0", (x,), backward, (x,)


def _softplus(x, beta, threshold):
    scaled = x * beta
    above = scaled > threshold
    # (the exponent is capped where its branch is not taken: no overflow there)
    return torch.where(above, x, torch.where(above, threshold, scaled).exp().log1p() / beta)


@rule("softplus")
def _softplus_rule(args, kwargs, out):
    x, beta, threshold = args

    def backward(g):  # torch's softplus_backward: grad * z / (z + 1), z = exp(beta * x)
        scaled = x * beta
        above = scaled > threshold
        z = torch.where(above, threshold, scaled).exp()
        return (torch.where(above, g, g * z / (z + 1)),)
    return "SoftplusBackward0", (x,), backward, (x,)


def _hardtanh(x, low, high):
    clamped = x.clamp(low, high)
    return clamped if clamped.dtype is x.dtype else clamped.to(x.dtype)


@rule("hardtanh")
def _hardtanh_rule(args, kwargs, out):
    x, low, high = args
    # torch's hardtanh_backward: no gradient at or beyond the bounds
    return "HardtanhBackward0", (x,), lambda g: (torch.where((x <= low) | (x >= high), 0.0, g),), (x,)


def _prelu(x, weight):
    return torch.where(x > 0, x, weight * x)


@rule("prelu")
def _prelu_rule(args, kwargs, out):
    x, weight = args

    def backward(g):  # torch's _prelu_kernel_backward
        positive = x > 0
        gx = torch.where(positive, g, weight * g) if _wants(x) else None
        gw = _for(torch.where(positive, 0.0, x * g), weight) if _wants(weight) else None
        return gx, gw
    return "PreluKernelBackward0", (x, weight), backward, (x, weight)


# Each passes through the dispatch point under torch's op name (autograd records one node).
_forms.install_functions(globals(), {
    "_leaky_relu": ("leaky_relu", _leaky_relu), "_elu": ("elu", _elu), "_gelu": ("gelu", _gelu),
    "_silu": ("silu", _silu), "_softplus": ("softplus", _softplus), "_hardtanh": ("hardtanh", _hardtanh),
    "_prelu": ("prelu", _prelu)})
