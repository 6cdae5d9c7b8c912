"""More activation modules: Softmin, LogSigmoid, Softsign, Tanhshrink, Threshold,
Hardsigmoid, Hardswish, Mish, SELU, CELU, RReLU, Softshrink, Hardshrink and GLU (each applies its
``nn.functional`` function; reprs as torch's)."""
import inspect

from nbtensor.nn import functional as F
from nbtensor.nn.modules import _INPLACE, Softmax, _activation

__all__ = ["Softmin", "LogSigmoid", "Softsign", "Tanhshrink", "Threshold", "Hardsigmoid", "Hardswish", "Mish",
           "SELU", "CELU", "RReLU", "Softshrink", "Hardshrink", "GLU"]

_REQUIRED = inspect.Parameter.empty


class Softmin(Softmax):
    """softmax(-x) along `dim`."""

    def forward(self, input):
        return F.softmin(input, self.dim)


LogSigmoid = _activation("LogSigmoid", F.logsigmoid, "log(sigmoid(x)), element-wise.")
Softsign = _activation("Softsign", F.softsign, "x / (1 + |x|), element-wise.")
Tanhshrink = _activation("Tanhshrink", F.tanhshrink, "x - tanh(x), element-wise.")
Threshold = _activation("Threshold", F.threshold, "value where x <= threshold, else x.",
                        (("threshold", _REQUIRED), ("value", _REQUIRED), _INPLACE))
Mish = _activation("Mish", F.mish, "x * tanh(softplus(x)), element-wise.", (_INPLACE,))
SELU = _activation("SELU", F.selu, "scale * elu(x, alpha) with torch's fixed alpha and scale.", (_INPLACE,))
CELU = _activation("CELU", F.celu, "x where x > 0, else alpha * (exp(x / alpha) - 1).", (("alpha", 1.0), _INPLACE))
_RReLU = _activation("RReLU", F.rrelu, "", (("lower", 1.0 / 8), ("upper", 1.0 / 3), _INPLACE))


class RReLU(_RReLU):
    """Randomized leaky ReLU (``F.rrelu``): random negative slopes in [lower, upper] while
    training, their mean in eval mode."""

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)


GLU = _activation("GLU", F.glu, "a * sigmoid(b) for the halves a, b of the input along dim.", (("dim", -1),))


def _quiet(cls, doc):
    """`cls` with an empty repr body (torch prints ``Hardsigmoid()`` even when in place)."""
    return type(cls.__name__, (cls,), {"extra_repr": lambda self: "", "__doc__": doc, "__module__": __name__})


Hardsigmoid = _quiet(_activation("Hardsigmoid", F.hardsigmoid, "", (_INPLACE,)),
                     "min(max(x + 3, 0), 6) / 6, element-wise.")
Hardswish = _quiet(_activation("Hardswish", F.hardswish, "", (_INPLACE,)), "x * hardsigmoid(x), element-wise.")


def _shrink(name, fn, doc):
    """A shrink module: `lambd` (default 0.5), printed bare as torch's (``Softshrink(0.5)``)."""
    base = _activation(name, fn, doc, (("lambd", 0.5),))
    return type(name, (base,), {"extra_repr": lambda self: str(self.lambd), "__doc__": doc, "__module__": __name__})


Softshrink = _shrink("Softshrink", F.softshrink, "x - lambd above lambd, x + lambd below -lambd, else 0.")
Hardshrink = _shrink("Hardshrink", F.hardshrink, "x outside [-lambd, lambd], else 0.")

for _cls in (LogSigmoid, Softsign, Tanhshrink, Threshold, Mish, SELU, CELU, GLU):
    _cls.__module__ = __name__  # (made by modules._activation: found here by pickle)
