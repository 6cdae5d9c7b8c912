"""Derivative rules of the element-wise math of ``ops/special_math.py`` and of the table rows
``hypot``, ``erfc``, ``erfinv``, ``lgamma`` and ``digamma`` (torch's node names), and of the
structural ops of ``ops/arrange.py``. Registered into `rules.RULES` on import.
"""
import math

from nbtensor.autograd import grad_mode
from nbtensor.autograd.rules import COMPOSITE, _arg, _binary, _for, _moving, _not_implemented, _target, _unary, rule
from nbtensor.dispatch import dispatcher
from nbtensor.dispatch.tensor import Tensor
from nbtensor.ops import special_math

_unary("ErfcBackward0", lambda g, x, out: g * (-2 / math.sqrt(math.pi)) * (-x * x).exp(), names=("erfc",))
# torch's: sqrt(pi) / 2 * exp(erfinv(x)^2), from the result
_unary("ErfinvBackward0", lambda g, x, out: (out * out).exp() * (math.sqrt(math.pi) / 2) * g, names=("erfinv",))
_unary("LgammaBackward0", lambda g, x, out: g * x.digamma(), names=("lgamma",))
_unary("DigammaBackward0", lambda g, x, out: g * x.polygamma(1), names=("digamma",))
_unary("Deg2RadBackward0", lambda g, x, out: g * (math.pi / 180), saves=False, names=("deg2rad",))
_unary("Rad2DegBackward0", lambda g, x, out: g * (180 / math.pi), saves=False, names=("rad2deg",))
# torch's: the gradient passes where the input was finite
_unary("NanToNumBackward0", lambda g, x, out: g * x.isfinite(), names=("nan_to_num",))


def _sinc_grad(g, x, out):
    """d sinc / dx = (cos(pi x) pi x - sin(pi x)) / (pi x²), 0 at x = 0 (torch's)."""
    product = x * math.pi
    slope = (product * product.cos() - product.sin()) / (product * x)
    return g * slope.masked_fill(x == 0, 0)


_unary("SincBackward0", _sinc_grad, names=("sinc",))
_binary("HypotBackward0", lambda g, x, y, out: g * x / out, lambda g, x, y, out: g * y / out, ("hypot",))
_binary("Logaddexp2Backward0", lambda g, x, y, out: g / ((y - x).exp2() + 1),
        lambda g, x, y, out: g / ((x - y).exp2() + 1), ("logaddexp2",))
rule("heaviside", saves=False)(_not_implemented("heaviside"))


@rule("logit")
def _logit(args, kwargs, out):
    """torch's logit_backward: g / (x (1 - x)); nan outside [0, 1] (where logit is nan) without
    eps, 0 outside [eps, 1 - eps] with it. As torch's, a nan x keeps a nan gradient unless a
    graph is being built (create_graph: torch's infinitely_differentiable_logit_backward, a
    where over the interval, gives 0)."""
    x, eps = args[0], _arg(args, kwargs, 1, "eps")

    def backward(g):
        grad = g / (x * (1 - x))
        if eps is None or eps < 0:
            return (_for(grad.masked_fill((x < 0) | (x > 1), math.nan), x.dtype),)
        if grad_mode.is_grad_enabled():
            return (_for(grad.masked_fill(((x >= eps) & (x <= 1 - eps)).logical_not(), 0), x.dtype),)
        return (_for(grad.masked_fill((x < eps) | (x > 1 - eps), 0), x.dtype),)
    return "LogitBackward0", (x,), backward, (x,)


def _times_log_rule(name, node, log_of, pole):
    """The rule of form `name`, xlogy (``x * log(y)``) or xlog1py (``x * log1p(y)``; `node`:
    its node's name without the number torch appends for which operand was a number): torch's formulas,
    x's gradient is the form of (g, y) (so a zero x still gets g * log(y)) but 0 where x is 0
    and y at or below the log's `pole` (0, or -1 for log1p); y's is ``g * x / log_of(y)``
    (the log's derivative's denominator: y, or 1 + y)."""
    def make(args, kwargs, out):
        x, y = args[0], _arg(args, kwargs, 1, "other")
        mx, my = _target(x, out), _target(y, out)
        number = 1 if type(x) is not Tensor else 2 if type(y) is not Tensor else 0

        def backward(g):
            gx = None
            if mx is not None:
                gx = _TIMES_LOG[name](g, y).masked_fill((x == 0) & (y <= pole), 0)
                gx = _for(gx, mx)
            return gx, _for(g * x / log_of(y), my) if my is not None else None
        return f"{node}Backward{number}", (x, y), backward, (x if type(x) is Tensor else None,
                                                             y if type(y) is Tensor else None)
    return make


# (the forms, recorded: gradients of gradients go through them)
_TIMES_LOG = {}
dispatcher.install_functions(_TIMES_LOG, {"xlogy": ("xlogy", special_math.xlogy),
                                          "xlog1py": ("xlog1py", special_math.xlog1py)})
rule("xlogy")(_times_log_rule("xlogy", "Xlogy", lambda y: y, 0))
rule("xlog1py")(_times_log_rule("xlog1py", "SpecialXlog1Py", lambda y: 1 + y, -1))


def _fused_rule(node, dividing):
    """addcmul (``input + value * t1 * t2``) or, `dividing`, addcdiv (``input + value * t1 / t2``)."""
    def make(args, kwargs, out):
        c, t1, t2 = args[0], _arg(args, kwargs, 1, "tensor1"), _arg(args, kwargs, 2, "tensor2")
        value = kwargs.get("value", 1)
        mc, m1, m2 = _target(c, out), _target(t1, out), _target(t2, out)

        def backward(g):
            scaled = g if value == 1 else g * value
            if dividing:
                g1 = scaled / t2 if m1 is not None else None
                g2 = -scaled * t1 / (t2 * t2) if m2 is not None else None
            else:
                g1 = scaled * t2 if m1 is not None else None
                g2 = scaled * t1 if m2 is not None else None
            return (_for(g, mc) if mc is not None else None,
                    _for(g1, m1) if g1 is not None else None, _for(g2, m2) if g2 is not None else None)
        keep_t2 = m1 is not None or dividing and m2 is not None
        return node, (c, t1, t2), backward, (t1 if m2 is not None else None, t2 if keep_t2 else None)
    return make


rule("addcmul")(_fused_rule("AddcmulBackward0", False))
rule("addcdiv")(_fused_rule("AddcdivBackward0", True))
_moving("Rot90Backward0", ("rot90",), lambda p, *a, **k: p.rot90(*a, **k))
# Written with other public forms, which record themselves (so the result's node is torch's:
# diff's SubBackward0, meshgrid's ExpandBackward0, cov's SqueezeBackward0, ...).
COMPOSITE.update({"diff", "meshgrid", "take_along_dim", "cartesian_prod", "block_diag", "combinations", "vander",
                  "diagflat", "cov", "renorm", "trapezoid", "trapz", "cumulative_trapezoid", "unravel_index"})
