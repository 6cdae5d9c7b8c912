"""The activations torch runs as one op (leaky_relu, elu (and selu through it), celu, gelu,
silu, softplus, hardtanh, prelu, log_sigmoid, hardsigmoid, hardswish, mish, softshrink,
hardshrink, threshold, glu), each registered at the dispatch point under torch's op name
with torch's derivative: one node with torch's name (``grad_fn=<GeluBackward0>``), and torch's gradient at the kinks
and at NaN (that of its scalar loops: torch's vectorised loops differ at NaN for elu and
hardtanh, so torch's own answer there depends on the tensor's size).
"""
import math

import numpy as np

import nbtensor as torch
from nbtensor.autograd.rules import _for, _wants, backward_op, rule, threshold_backward, zero_for
from nbtensor.dispatch import dispatcher as _forms

__all__ = []  # (the public functions are nn.functional's)

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_KAPPA = 0.044715
_ONE_SIXTH_F = float(np.float32(1.0) / np.float32(6.0))  # (torch's hardsigmoid_backward: 1.0f / 6.0f)


def _masked_backward(name, node, compute):
    """A backward op linear in the gradient and piecewise constant in x (torch's
    leaky_relu_backward, hardtanh_backward...): its gradient is itself for the incoming
    gradient, zero for x."""
    def derivatives(gg, grad, x, *params):
        return (op(gg, x, *params) if _wants(grad) else None), zero_for(x, gg)
    op = backward_op(name, node, compute, derivatives)
    return op


def _leaky_relu(x, slope):
    return torch.where(x > 0, x, x * slope)


_leaky_relu_backward = _masked_backward("leaky_relu_backward", "LeakyReluBackwardBackward0",
                                        lambda g, x, slope: torch.where(x > 0, g, g * slope))


@rule("leaky_relu")
def _leaky_relu_rule(args, kwargs, out):
    x, slope = args
    return "LeakyReluBackward0", (x,), lambda g: (_leaky_relu_backward(g, x, slope),), (x,)


def _elu(x, alpha, scale=1.0, input_scale=1.0):
    """torch's elu op: ``scale * x`` where x > 0, else ``alpha * scale * (exp(input_scale * x) - 1)``
    (selu and celu are elu with a `scale` or an `input_scale`)."""
    negative = (x * input_scale if input_scale != 1 else x).expm1()
    coef = alpha * scale
    return torch.where(x <= 0, negative * coef if coef != 1 else negative, x * scale if scale != 1 else x)


def _elu_backward_values(g, x, alpha, scale, input_scale):
    """torch's elu_backward: alpha * scale * input_scale * exp(input_scale * x) * grad where
    x is not positive, else scale * grad."""
    coef = alpha * scale * input_scale
    negative = (x * input_scale if input_scale != 1 else x).exp()
    return torch.where(x <= 0, (g * coef if coef != 1 else g) * negative, g * scale if scale != 1 else g)


# torch's elu_double_backward: x's gradient is elu_backward(gg * grad * input_scale) where
# x < 0 (so 0 at x = 0, and no nan from the branch not taken at x = inf)
_elu_backward = backward_op(
    "elu_backward", "EluBackwardBackward0", _elu_backward_values,
    lambda gg, g, x, alpha, scale, input_scale: (
        _elu_backward(gg, x, alpha, scale, input_scale) if _wants(g) else None,
        _elu_backward(gg * g * input_scale, x, alpha, scale, input_scale) * (x < 0).to(gg.dtype)
        if _wants(x) else None))


def _elu_rule_named(node):
    def make(args, kwargs, out):
        x, alpha, scale, input_scale = (tuple(args) + (1.0, 1.0))[:4]
        if node == "CeluBackward0":  # (torch's celu derivative: input_scale 1.0 / alpha.toFloat())
            scale, input_scale = 1.0, 1.0 / float(np.float32(alpha))
        return node, (x,), lambda g: (_elu_backward(g, x, alpha, scale, input_scale),), (x,)
    return make


rule("elu")(_elu_rule_named("EluBackward0"))
rule("celu")(_elu_rule_named("CeluBackward0"))


def _celu(x, alpha):
    return _elu(x, alpha, 1.0, 1.0 / alpha)


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


def _softplus_backward_values(g, x, beta, threshold):
    """torch's softplus_backward: grad * z / (z + 1), z = exp(beta * x), or grad above the
    threshold."""
    scaled = x * beta
    above = scaled > threshold
    z = torch.where(above, threshold, scaled).exp()
    return torch.where(above, g, g * z / (z + 1))


def _softplus_double_backward(g, x, beta, threshold):
    """torch's: sigmoid_backward(g, sigmoid(beta x)) * beta below the threshold (strictly), else 0."""
    scaled = x * beta
    s = scaled.sigmoid()
    return g * (1 - s) * s * (scaled < threshold).to(g.dtype) * beta


_softplus_backward = backward_op(
    "softplus_backward", "SoftplusBackwardBackward0", _softplus_backward_values,
    lambda gg, g, x, beta, threshold: (
        _softplus_backward(gg, x, beta, threshold) if _wants(g) else None,
        _softplus_double_backward(gg * g, x, beta, threshold) if _wants(x) else None))


@rule("softplus")
def _softplus_rule(args, kwargs, out):
    x, beta, threshold = args
    return "SoftplusBackward0", (x,), lambda g: (_softplus_backward(g, x, beta, threshold),), (x,)


def _hardtanh(x, low, high):
    clamped = x.clamp(low, high)
    return clamped if clamped.dtype is x.dtype else clamped.to(x.dtype)


# torch's hardtanh_backward: no gradient at or beyond the bounds
_hardtanh_backward = _masked_backward("hardtanh_backward", "HardtanhBackwardBackward0",
                                      lambda g, x, low, high: torch.where((x <= low) | (x >= high), 0.0, g))


@rule("hardtanh")
def _hardtanh_rule(args, kwargs, out):
    x, low, high = args
    return "HardtanhBackward0", (x,), lambda g: (_hardtanh_backward(g, x, low, high),), (x,)


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


def _log_sigmoid(x):
    # torch's: min(x, 0) - log1p(exp(-|x|)), stable for any x; its kernel writes a row-major
    # result whatever the input's layout (so .view(-1) of a transposed input's works)
    x = x.contiguous()
    return x.clamp(max=0) - (-x.abs()).exp().log1p()


def _log_sigmoid_backward_values(g, x):
    """torch's log_sigmoid_backward: (x < 0 ? 1 - z / (1 + z) : z / (1 + z)) * grad, z = exp(-|x|)."""
    z = (-x.abs()).exp()
    ratio = z / (z + 1)
    return g * torch.where(x < 0, 1 - ratio, ratio)


def _log_sigmoid_double_backward(g, x):
    """torch's: g * (s - 1) * s, s = sigmoid(x) (the formula above has a kink at 0 through
    |x|, which differentiating it would keep: -0.0 instead of -0.25 there)."""
    s = x.sigmoid()
    return g * (s - 1) * s


_log_sigmoid_backward = backward_op(
    "log_sigmoid_backward", "LogSigmoidBackwardBackward0", _log_sigmoid_backward_values,
    lambda gg, g, x: (_log_sigmoid_backward(gg, x) if _wants(g) else None,
                      _log_sigmoid_double_backward(gg * g, x) if _wants(x) else None))


@rule("log_sigmoid")
def _log_sigmoid_rule(args, kwargs, out):
    x = args[0]
    return "LogSigmoidBackward0", (x,), lambda g: (_log_sigmoid_backward(g, x),), (x,)


def _hardsigmoid(x):
    return (x + 3).clamp(0, 6) / 6


# torch's hardsigmoid_backward: grad * (1.0f / 6.0f) strictly between -3 and 3, else 0 (its
# gradient in x, which torch does not implement, is zero here)
_hardsigmoid_backward = _masked_backward("hardsigmoid_backward", "HardsigmoidBackwardBackward0",
                                         lambda g, x: torch.where((x > -3) & (x < 3), g * _ONE_SIXTH_F, 0.0))


@rule("hardsigmoid")
def _hardsigmoid_rule(args, kwargs, out):
    x = args[0]
    return "HardsigmoidBackward0", (x,), lambda g: (_hardsigmoid_backward(g, x),), (x,)


def _hardswish(x):
    return x * (x + 3).clamp(0, 6) / 6


def _hardswish_backward_values(g, x):
    """torch's hardswish_backward: 0 up to -3, (x / 3 + 1/2) * grad below 3, grad from 3 on."""
    return torch.where(x <= -3, 0.0, torch.where(x < 3, g * (x / 3 + 0.5), g))


# torch's derivatives: hardswish_backward(gg) for grad, gg * grad / 3 strictly inside (-3, 3)
# for x. (Differentiating the formula above instead gave nan for grad at x = +-inf and nan:
# the masked branch g * (x / 3 + 1/2) is 0 * inf there.)
_hardswish_backward = backward_op(
    "hardswish_backward", "HardswishBackwardBackward0", _hardswish_backward_values,
    lambda gg, g, x: (_hardswish_backward(gg, x) if _wants(g) else None,
                      torch.where((x > -3) & (x < 3), gg * g / 3.0, 0.0) if _wants(x) else None))


@rule("hardswish")
def _hardswish_rule(args, kwargs, out):
    x = args[0]
    return "HardswishBackward0", (x,), lambda g: (_hardswish_backward(g, x),), (x,)


def _mish(x):
    return x * x.exp().log1p().tanh()


@rule("mish")
def _mish_rule(args, kwargs, out):
    x = args[0]

    def backward(g):  # torch's mish_backward: grad * (t + x * sigmoid(x) * (1 - t^2)), t = tanh(softplus(x))
        t = x.exp().log1p().tanh()
        return (g * (t + x * x.sigmoid() * (1 - t * t)),)
    return "MishBackward0", (x,), backward, (x,)


def _softshrink(x, lambd):
    # (x * 0 in the middle: NaN stays NaN, as torch's)
    return torch.where(x > lambd, x - lambd, torch.where(x < -lambd, x + lambd, x * 0))


def _hardshrink(x, lambd):
    return torch.where((x >= -lambd) & (x <= lambd), 0.0, x)


def _shrink_rule(node, backward_name):
    # torch's shrink backward: no gradient inside [-lambd, lambd]
    backward = _masked_backward(backward_name, node[:-1] + "Backward0",
                                lambda g, x, lambd: torch.where((x >= -lambd) & (x <= lambd), 0.0, g))

    def make(args, kwargs, out):
        x, lambd = args
        return node, (x,), lambda g: (backward(g, x, lambd),), (x,)
    return make


rule("softshrink")(_shrink_rule("SoftshrinkBackward0", "softshrink_backward"))
rule("hardshrink")(_shrink_rule("HardshrinkBackward0", "hardshrink_backward"))


def _threshold(x, threshold, value):
    out = torch.where(x <= threshold, value, x)
    return out if out.dtype is x.dtype else out.to(x.dtype)


@rule("threshold")
def _threshold_rule(args, kwargs, out):
    x, threshold, _ = args
    return "ThresholdBackward0", (x,), lambda g: (threshold_backward(g, x, threshold),), (x,)


def _glu(x, dim):
    a, b = x.chunk(2, dim)
    return a * b.sigmoid()


@rule("glu")
def _glu_rule(args, kwargs, out):
    x, dim = args

    def backward(g):  # torch's glu_backward: (grad * sigmoid(b), grad * a * sigmoid(b) * (1 - sigmoid(b)))
        a, b = x.chunk(2, dim)
        s = b.sigmoid()
        ga = g * s
        return (torch.cat([ga, ga * a * (1 - s)], dim),)
    return "GluBackward0", (x,), backward, (x,)


# Each passes through the dispatch point under torch's op name (autograd records one node).
_forms.install_functions(globals(), {
    "_leaky_relu": ("leaky_relu", _leaky_relu), "_elu": ("elu", _elu), "_gelu": ("gelu", _gelu),
    "_silu": ("silu", _silu), "_softplus": ("softplus", _softplus), "_hardtanh": ("hardtanh", _hardtanh),
    "_prelu": ("prelu", _prelu), "_celu": ("celu", _celu), "_log_sigmoid": ("log_sigmoid", _log_sigmoid),
    "_hardsigmoid": ("hardsigmoid", _hardsigmoid), "_hardswish": ("hardswish", _hardswish), "_mish": ("mish", _mish),
    "_softshrink": ("softshrink", _softshrink), "_hardshrink": ("hardshrink", _hardshrink),
    "_threshold": ("threshold", _threshold), "_glu": ("glu", _glu)})
