"""Derivative rules of ``ops/extra_math.py`` and ``ops/statistics.py`` (torch's node names):
``ldexp``, ``frexp``, ``nextafter``, ``i0``, ``polygamma``, ``mvlgamma`` and ``mode``; the
statistics written with other forms are composite. Registered into `rules.RULES` on import.
"""
import math

import nbtensor.ops.creation as creation
from nbtensor.autograd import grad_mode
from nbtensor.autograd.rules import COMPOSITE, NODE_NAMES, _arg, _not_implemented, _for, _target, like, rule
from nbtensor.core import dtype as dt
from nbtensor.autograd.selection_rules import _dim, _keepdim, _selected
from nbtensor.dispatch import dispatcher
from nbtensor.dispatch.tensor import Tensor
from nbtensor.ops.extra_math import bessel_i

rule("mode")(_selected("ModeBackward0", _dim(1), _keepdim(2)))


@rule("ldexp")
def _ldexp(args, kwargs, out):
    """d/dx (x 2^e) = 2^e; d/de = x 2^e log 2."""
    x, e = args[0], _arg(args, kwargs, 1, "other")
    mx, me = _target(x, out), _target(e, out)

    def backward(g):
        scale = e.exp2()
        return (_for(g * scale, mx) if mx is not None else None,
                _for(g * x * scale * math.log(2.0), me) if me is not None else None)
    return "LdexpBackward0", (x, e), backward, (x, e)


@rule("frexp")
def _frexp(args, kwargs, out):
    """The mantissa's gradient is g / 2^exponent (the exponent is not differentiable)."""
    x, exponent = args[0], out[1]
    return "FrexpBackward0", (x,), lambda grads: (
        None if grads[0] is None else grads[0] / exponent.to(grads[0].dtype).exp2(),), (exponent,)


@rule("nextafter", saves=False)
def _nextafter(args, kwargs, out):
    """torch's: the gradient passes to the input; the direction gets zero."""
    x, y = args[0], _arg(args, kwargs, 1, "other")
    mx, my = _target(x, out), _target(y, out)
    return "NextafterBackward0", (x, y), lambda g: (
        _for(g, mx) if mx is not None else None,
        _for(creation.zeros_like(g), my) if my is not None else None), ()


@rule("i0")
def _i0(args, kwargs, out):
    """d I0 / dx = I1(x)."""
    x = args[0]

    def backward(g):
        if grad_mode._state.enabled:
            raise RuntimeError("nbtensor: the second derivative of i0 is not implemented")
        return (_for(g * bessel_i(x.to(dtype=dt.float64), 1).to(g.dtype), x.dtype),)
    return "I0Backward0", (x,), backward, (x,)


@rule("polygamma")
def _polygamma(args, kwargs, out):
    """d polygamma(n, x) / dx = polygamma(n + 1, x) (the function takes (n, x), the method (x, n))."""
    if type(args[0]) is Tensor:
        x, n = args[0], _arg(args, kwargs, 1, "n")
    else:
        n, x = args[0], _arg(args, kwargs, 1, "input")
    meta = like(x)
    return "PolygammaBackward0", (x,), lambda g: (
        _for(g * dispatcher.installed_function("polygamma")(n + 1, x), meta),), (x,)


@rule("mvlgamma")
def _mvlgamma(args, kwargs, out):
    """d mvlgamma(x, p) / dx = sum over i < p of digamma(x - i / 2)."""
    x, p = args[0], _arg(args, kwargs, 1, "p")
    meta = like(x)

    def backward(g):
        shifts = creation.arange(p, dtype=g.dtype, device=g.device) * -0.5
        return (_for(g * (x.unsqueeze(-1) + shifts).digamma().sum(-1), meta),)
    return "MvlgammaBackward0", (x,), backward, (x,)


COMPOSITE.update({"quantile", "nanquantile", "dist", "cdist", "corrcoef", "matrix_power", "matrix_exp"})
NODE_NAMES["polygamma_"] = "PolygammaBackward1"
rule("histogram", saves=False)(_not_implemented("histogram"))
