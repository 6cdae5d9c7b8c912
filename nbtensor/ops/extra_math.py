"""More element-wise math, composed of the op table's rows: ``gcd``, ``lcm``, ``ldexp``,
``frexp``, ``nextafter``, ``float_power_``, ``i0``, ``polygamma`` and ``mvlgamma``.

No kernel of their own: each runs the table's kernels (so on every device). ``gcd`` is
Euclid's loop over the whole tensor (as many passes as the slowest element needs),
``nextafter`` steps the bit pattern of the float seen as an integer, ``i0`` sums its power
series (|x| <= 15) or its asymptotic series (beyond), and ``polygamma`` is the Hurwitz zeta
function, summed up to 9 and finished by Euler-Maclaurin, all in float64 and rounded once.
"""
import math

from nbtensor.core import dtype as dt
from nbtensor.core.return_types import return_type
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.out import check_out_tensor
from nbtensor.dispatch.tensor import Tensor, common_device
from nbtensor.ops.creation import arange, full
from nbtensor.ops.special_math import _as, _deliver, _floating, _into_self, _op, _register, _require_tensors, in_place
from nbtensor.ops.elementwise import result_type
from nbtensor.ops.elementwise_forms import float_power

__all__ = ["gcd", "lcm", "ldexp", "frexp", "nextafter", "i0", "polygamma", "mvlgamma"]

frexp_type = return_type("frexp", ("mantissa", "exponent"))


def _integers(name, input, other):
    _require_tensors(name, input=input, other=other)
    res = result_type(input, other)
    if res.is_floating_point or res is dt.bool:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{res.c_name}'")
    common_device((input, other))
    return _as(input, res), _as(other, res)


def _where(condition, a, b):
    return _op("where_kernel", condition, a, b)


def _gcd(a, b):
    """gcd(|a|, |b|) by Euclid's loop, element-wise (C's remainder, as torch's kernel)."""
    a, b = _op("abs", a), _op("abs", b)
    a, b = _op("add", a, _op("mul", b, 0)), _op("add", b, _op("mul", a, 0))  # (broadcast both)
    while bool(_op("ne", a, 0).any()):
        nonzero = _op("ne", a, 0)
        divisor = _where(nonzero, a, 1)
        a, b = _where(nonzero, _op("fmod", b, divisor), 0), _where(nonzero, a, b)
    return b


def gcd(input, other, *, out=None):
    """The greatest common divisor of the integers of `input` and `other` (non-negative;
    gcd(0, 0) is 0)."""
    a, b = _integers("gcd", input, other)
    return _deliver(_gcd(a, b), out, "gcd")


def lcm(input, other, *, out=None):
    """The least common multiple of the integers of `input` and `other`: ``|a / gcd * b|``
    in the integer dtype (0 when either is 0)."""
    a, b = _integers("lcm", input, other)
    g = _gcd(a, b)
    zero = _op("eq", g, 0)
    multiple = _op("abs", _op("mul", _op("div_trunc", a, _where(zero, 1, g)), b))
    return _deliver(_where(zero, 0, multiple), out, "lcm")


def ldexp(input, other, *, out=None):
    """``input * 2 ** other``, in floating point (integer operands give the default dtype)."""
    _require_tensors("ldexp", input=input, other=other)
    res = _floating(input, other)
    return _deliver(_op("mul", _as(input, res), _op("exp2", _as(other, res))), out, "ldexp")


def frexp(input, *, out=None):
    """``(mantissa, exponent)`` with ``input == mantissa * 2 ** exponent``, 0.5 <= |mantissa|
    < 1 (exponent int32; zeros, infinities and NaN have exponent 0 and are their own mantissa)."""
    _require_tensors("frexp", input=input)
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    x = _as(input, dt.float64)
    regular = _op("logical_and", _op("isfinite", x), _op("ne", x, 0))
    size = _where(regular, _op("abs", x), 1.0)
    exponent = _op("add", _op("floor", _op("log2", size)), 1)
    for _ in range(2):  # (log2 may round across a power of two: one step either way fixes it)
        mantissa = _op("abs", _op("div", size, _op("exp2", exponent)))
        exponent = _op("add", exponent, _op("sub", _op("ge", mantissa, 1).to(dt.float64),
                                            _op("lt", mantissa, 0.5).to(dt.float64)))
    mantissa = _where(regular, _op("div", x, _op("exp2", exponent)), x)
    result = frexp_type(_as(mantissa, input.dtype), _where(regular, exponent, 0).to(dt.int32))
    if out is None:
        return result
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("frexp(): argument 'out' must be tuple of Tensors")
    for target in out:
        check_out_tensor(target, "frexp")
    if out[0].dtype is not input.dtype:
        raise RuntimeError(f"torch.frexp() expects mantissa to have dtype {input.dtype.cpp_name} but got "
                           f"{out[0].dtype.cpp_name}")
    if out[1].dtype is not dt.int32:
        raise RuntimeError(f"torch.frexp() expects exponent to have int dtype but got {out[1].dtype.cpp_name}")
    return frexp_type(_deliver(result[0], out[0], "frexp"), _deliver(result[1], out[1], "frexp"))


_BITS = {dt.float16: dt.int16, dt.float32: dt.int32, dt.float64: dt.int64}


def nextafter(input, other, *, out=None):
    """The next floating-point value after `input` in the direction of `other` (`other` when
    they are equal; NaN when either is)."""
    _require_tensors("nextafter", input=input, other=other)
    res = result_type(input, other)
    if not res.is_floating_point:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{res.c_name}'")
    x, y = _as(input, res), _as(other, res)
    x = _op("add", x, _op("mul", y, 0))  # (broadcast)
    bits = x.contiguous().view(_BITS[res])
    away = _op("eq", _op("gt", y, x), _op("gt", x, 0))  # |x| grows
    stepped = _where(away, _op("add", bits, 1), _op("sub", bits, 1)).view(res)
    smallest = full((), 1, dtype=_BITS[res], device=x.device).view(res)  # the least subnormal
    stepped = _where(_op("eq", x, 0), _op("copysign", smallest.to(x.device), y), stepped)
    result = _where(_op("eq", x, y), y, stepped)
    nan = _op("logical_or", _op("isnan", x), _op("isnan", y))
    return _deliver(_where(nan, math.nan, result), out, "nextafter")


def float_power_(self, exponent):
    """``self ** exponent`` in float64, written into `self` (which must be float64)."""
    if self.dtype is not dt.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.c_name} but the operation's "
                           "result requires dtype Double")
    return _into_self(self, float_power(self, exponent))


# ---------------------------------------------------------------- Bessel I0
_SERIES_LIMIT = 15.0


def bessel_i(x, order):
    """The modified Bessel function I0 (`order` 0) or I1 (1) of float64 tensor `x`."""
    ax = _op("abs", x)
    # power series: sum of (x/2)^(2k + order) / (k! (k + order)!)
    small = _op("clamp_both", ax, 0.0, _SERIES_LIMIT)
    quarter = _op("mul", _op("mul", small, small), 0.25)
    term = _op("mul", small, 0.5) if order else _op("add", _op("mul", small, 0), 1.0)
    total = term
    for k in range(1, 40):
        term = _op("div", _op("mul", term, quarter), float(k * (k + order)))
        total = _op("add", total, term)
    # asymptotic series: e^x / sqrt(2 pi x) * sum of (-1)^k prod(4 order^2 - (2j - 1)^2) / (k! (8x)^k)
    large = _op("clamp_both", ax, _SERIES_LIMIT, math.inf)
    inverse = _op("reciprocal", _op("mul", large, 8.0))
    term = _op("mul", inverse, 0)
    term = _op("add", term, 1.0)
    asymptotic = term
    for k in range(1, 31):
        factor = -(4 * order * order - (2 * k - 1) ** 2) / k
        term = _op("mul", _op("mul", term, inverse), factor)
        asymptotic = _op("add", asymptotic, term)
    scale = _op("div", _op("exp", large), _op("sqrt", _op("mul", large, 2 * math.pi)))
    result = _where(_op("le", ax, _SERIES_LIMIT), total, _op("mul", scale, asymptotic))
    return _op("mul", result, _op("sign", x)) if order else result


def i0(input, *, out=None):
    """The modified Bessel function of the first kind, of order 0 (in floating point)."""
    _require_tensors("i0", input=input)
    res = _floating(input)
    return _deliver(_as(bessel_i(_as(input, dt.float64), 0), res), out, "i0")


# ---------------------------------------------------------------- polygamma
# B_2j / (2j)!, j = 1..8
_BERNOULLI = (1 / 6 / 2, -1 / 30 / 24, 1 / 42 / 720, -1 / 30 / 40320, 5 / 66 / 3628800,
              -691 / 2730 / 479001600, 7 / 6 / 87178291200, -3617 / 510 / 20922789888000)


def hurwitz_zeta(s, q):
    """The Hurwitz zeta function zeta(s, q) = sum over k >= 0 of (q + k)^-s, for an integer
    s >= 2 and float64 tensor `q` (infinite at the integers q <= 0)."""
    low = q.min().item() if q.numel() else 0.0
    shifts = 9 if not low < 0 else 9 + int(math.ceil(-low)) if math.isfinite(low) else 9
    total = _op("mul", q, 0)
    a = q
    for _ in range(shifts):
        total = _op("add", total, _op("pow", a, float(-s)))
        a = _op("add", a, 1.0)
    # Euler-Maclaurin from a (>= 9)
    total = _op("add", total, _op("div", _op("pow", a, float(1 - s)), float(s - 1)))
    total = _op("add", total, _op("mul", _op("pow", a, float(-s)), 0.5))
    rising, power = float(s), _op("pow", a, float(-s - 1))
    inverse_square = _op("reciprocal", _op("mul", a, a))
    for j, b in enumerate(_BERNOULLI):
        total = _op("add", total, _op("mul", power, b * rising))
        rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
        power = _op("mul", power, inverse_square)
    return total


def polygamma(n, input, *, out=None):
    """The n-th derivative of the digamma function (``polygamma(0, x)`` is ``digamma(x)``)."""
    if isinstance(n, Tensor) and not isinstance(input, Tensor):  # (the method: x.polygamma(n))
        n, input = input, n
    _require_tensors("polygamma", input=input)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    res = _floating(input)
    if n == 0:
        return _deliver(_op("digamma", _as(input, res)), out, "polygamma")
    if n == 1:
        trigamma = _trigamma(_as(input, dt.float32 if res is dt.float16 else res))
        return _deliver(_as(trigamma, res), out, "polygamma")
    zeta = hurwitz_zeta(n + 1, _as(input, dt.float64))
    sign = 1.0 if n % 2 else -1.0
    return _deliver(_as(_op("mul", zeta, sign * math.factorial(n)), res), out, "polygamma")


def _trigamma(x):
    """``polygamma(1, x)`` of a float32 or float64 tensor as torch computes it (its
    calc_trigamma, in x's dtype: within about 1e-9 relative, not correctly rounded; torch's
    digamma gradient is this, and so is ours): below 1/2 the reflection pi^2 / sin^2(pi x)
    minus the value at 1 - x, then six steps of the recurrence and an asymptotic series."""
    low = _op("lt", x, 0.5)
    sine = _op("sin", _op("mul", x, math.pi))
    total = _op("where_kernel", low, _op("div", -(math.pi * math.pi), _op("mul", sine, sine)), 0.0)
    x = _op("where_kernel", low, _op("add", _op("neg", x), 1.0), x)
    for _ in range(6):
        total = _op("add", total, _op("reciprocal", _op("mul", x, x)))
        x = _op("add", x, 1.0)
    ixx = _op("reciprocal", _op("mul", x, x))
    inner = _op("add", _op("neg", _op("mul", ixx, 1 / 42)), 1 / 30)
    series = _op("mul", ixx, _op("add", _op("neg", _op("mul", ixx, inner)), 1 / 6))
    series = _op("add", _op("add", _op("reciprocal", _op("mul", x, 2.0)), 1.0), series)
    total = _op("add", total, _op("div", series, x))
    return _op("where_kernel", low, _op("neg", total), total)


def _polygamma_method(self, n):
    return polygamma(n, self)


def _polygamma_(self, n):
    return _into_self(self, polygamma(n, self))


def mvlgamma(input, p, *, out=None):
    """The multivariate log-gamma function of dimension `p` (>= 1): ``sum over i < p of
    lgamma(x - i / 2) + p (p - 1) / 4 log(pi)``."""
    _require_tensors("mvlgamma", input=input)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _as(input, _floating(input))
    shifts = _op("mul", arange(p, dtype=x.dtype, device=x.device), -0.5)
    terms = _op("lgamma", _op("add", x.unsqueeze(-1), shifts))
    total = _op("add", terms.sum(-1), p * (p - 1) / 4 * math.log(math.pi))
    return _deliver(total, out, "mvlgamma")


def _ldexp_(self, other):
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"ldexp can't be cast to the desired output type {self.dtype.c_name}")
    return _into_self(self, ldexp(self, other))


for _name, _inplace in (("gcd", True), ("lcm", True), ("ldexp", False), ("nextafter", True), ("i0", True),
                        ("mvlgamma", True)):
    _register(_name, globals()[_name], _inplace)
forms.function("frexp", frexp)
forms.method("frexp", frexp)
forms.function("polygamma", polygamma)
forms.method("polygamma", _polygamma_method)
forms.method("polygamma_", _polygamma_)
forms.method("float_power_", float_power_)
forms.method("ldexp_", _ldexp_)
# (torch also has these in-place forms as functions of its namespace)
for _fn in (gcd, lcm, i0):
    forms.function(_fn.__name__ + "_", in_place(_fn))
forms.function("ldexp_", _ldexp_)
