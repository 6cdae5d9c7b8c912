"""Scalar functions used inside element-wise kernel expressions (see ops.py)."""
import math

import numpy as np
from numba.extending import overload
from numba.np.numpy_support import as_dtype

from .._jit import helper


def like(value, example):
    """`value` converted to the type of `example` (an element of a kernel's array)."""


@overload(like, inline="always")
def _like_impl(value, example):
    target = as_dtype(example).type
    return lambda value, example: target(value)


def same_dtype(a, b):
    """True when arrays `a` and `b` hold one element type (a constant when compiled)."""


@overload(same_dtype, inline="always")
def _same_dtype_impl(a, b):
    same = a.dtype == b.dtype
    return lambda a, b: same


@helper
def sign(x, zero, one):
    # 1, -1 or 0 in the dtype of `zero`/`one`; NaN and both zeros give +0 (torch's sign),
    # infinities give +-1.
    if x > zero:
        return one
    if x < zero:
        return zero - one
    return zero


@helper
def select(c, x, y):
    # `where`'s element. Written as a call on loaded values with `c` compared explicitly, the
    # loop compiles to vector selects; `x if c else y` on array reads, in the rendered loop,
    # stayed a branch per element (65 536 float32 with a random mask: 205 us, now 16 us)
    return x if c != 0 else y


@helper
def clamp(x, lo, hi):
    # torch: a NaN bound gives NaN (whatever x is); a NaN x stays NaN; lo > hi gives hi
    if lo != lo or hi != hi:
        return lo + hi
    t = lo if x < lo else x
    return hi if t > hi else t


@helper
def maximum(x, y):
    # NaN in either operand propagates, as torch.maximum does; of two equal values (0. and
    # -0.) the first is kept, as torch keeps it.
    if x != x:
        return x
    if y != y:
        return y
    return x if x >= y else y


@helper
def minimum(x, y):
    if x != x:
        return x
    if y != y:
        return y
    return x if x <= y else y


@helper
def fmax(x, y):
    if x != x:
        return y
    if y != y:
        return x
    return x if x >= y else y


@helper
def fmin(x, y):
    if x != x:
        return y
    if y != y:
        return x
    return x if x <= y else y


@helper
def ipow(x, y):
    # Integer power by squaring, in int64 (wrapping; the store narrows it, as torch's does).
    # A negative exponent (only from a tensor: the facade refuses a negative Python number)
    # gives 1 / x ** -y truncated, as torch: 0 unless x is 1 or -1. (int64 throughout:
    # numba types uint8 - uint8 as uint64, and uint64 with an int64 as float64.)
    xi = np.int64(x)
    if y < 0:
        if xi == 1:
            return xi
        if xi == -1:
            return xi if y & 1 else -xi
        return np.int64(0)
    result = np.int64(1)
    base = xi
    e = np.int64(y)
    while e > 0:
        if e & 1:
            result = result * base
        base = base * base
        e >>= 1
    return result




@helper
def floor_div_int(x, y):
    # Python's floored division, except that the most negative value // -1 wraps to itself
    # (two's complement) as in torch, where numba's // gives 0.
    if y == -1:
        return -x
    return x // y


@helper
def remainder_float(x, y):
    # torch's remainder: fmod moved to the divisor's sign; a zero keeps fmod's sign
    # (-4. % 2. is -0.), where Python's % gives the divisor's sign.
    r = np.fmod(x, y)
    if r != 0 and (r < 0) != (y < 0):
        r += y
    return r


@helper
def lshift(x, y):
    # torch: a count outside [0, 64) gives 0; counts from the dtype's width up to 63 shift
    # every bit out once the int64 result is stored back into the narrower dtype.
    if y < 0 or y >= 64:
        return np.int64(0)
    return np.int64(x) << np.int64(y)


@helper
def rshift(x, y):
    # torch: a count outside [0, 64) fills with the sign bit (0 or -1).
    xi = np.int64(x)
    if y < 0 or y >= 64:
        return np.int64(-1) if xi < 0 else np.int64(0)
    return xi >> np.int64(y)


@helper
def logaddexp(x, y):
    # log(exp(x) + exp(y)) without overflow; equal infinities give themselves, NaN propagates.
    if x != x or y != y:
        return x + y
    if x == y:
        return x + 0.6931471805599453
    m = x if x > y else y
    return m + np.log1p(np.exp(-abs(x - y)))


@helper
def fmod_int(x, y):
    # Truncated remainder (sign of the dividend) from Python's floored one.
    r = x % y
    if r != 0 and (r < 0) != (x < 0):
        r -= y
    return r


@helper
def trunc_div_int(x, y):
    # Division rounding toward zero, from Python's floored one; by -1 it is floor_div_int's
    # wrapping negation (in int16, -(-32768) stays -32768, which the correction below
    # would turn into -32767).
    q = floor_div_int(x, y)
    if y != -1 and q < 0 and q * y != x:
        q += 1
    return q


@helper
def round_half_even(x):
    return np.rint(x)


@helper
def erf(x):
    return math.erf(x)


@helper
def lgamma(x):
    # log|gamma(x)|: +inf at 0 and the negative integers (C's lgamma)
    return math.lgamma(x)


@helper
def digamma(x):
    # The derivative of lgamma, in float64 (stored back in the input's float type): 0 gives
    # -inf (+0.) or +inf (-0.), a negative integer NaN; a negative x is reflected
    # (psi(x) = psi(1 - x) - pi / tan(pi * frac(x))), a small one raised by the recurrence
    # psi(x) = psi(x + 1) - 1 / x to 10 or more, where the asymptotic series converges.
    v = np.float64(x)
    if v == 0.0:
        return -math.copysign(math.inf, v)
    if v != v or v == math.inf:
        return v
    acc = 0.0
    if v < 0.0:
        if v == math.floor(v):
            return math.nan
        acc = -math.pi / math.tan(math.pi * (v - math.trunc(v)))
        v = 1.0 - v
    while v < 10.0:
        acc -= 1.0 / v
        v += 1.0
    z = 1.0 / (v * v)
    tail = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (
        691.0 / 32760 - z / 12.0))))))
    return acc + math.log(v) - 0.5 / v - tail


_HALF_SQRT_PI = 0.88622692545275801365  # sqrt(pi) / 2
_TWO_OVER_SQRT_PI = 1.1283791670955125739  # 2 / sqrt(pi)
_WINITZKI_A = 0.147


@helper
def _erfinv_guess(a):
    # A first guess of erfinv(a) for 0 <= a < 1, within ~0.5%: the series at 0 for small a,
    # else Winitzki's closed form (whose log(1 - a^2) term cancels badly near 0).
    if a < 0.25:
        return a * _HALF_SQRT_PI * (1.0 + (math.pi / 12.0) * a * a)
    lg = math.log((1.0 - a) * (1.0 + a))
    t = 2.0 / (math.pi * _WINITZKI_A) + 0.5 * lg
    return math.sqrt(math.sqrt(t * t - lg / _WINITZKI_A) - t)


@helper
def erfinv(y):
    # The inverse error function in float64 (stored back in the input's float type): +-1
    # give +-inf, |y| > 1 and NaN give NaN. The guess is refined by Halley steps (cubic
    # convergence: three take 0.5% past float64's precision) on erf(x) = |y|, or for
    # |y| >= 0.5 on erfc(x) = 1 - |y|: 1 - |y| is exact there, while erf(x) near 1 would
    # have lost the digits that place x.
    v = np.float64(y)
    a = abs(v)
    if not a <= 1.0:
        return math.nan
    if a == 1.0:
        return math.copysign(math.inf, v)
    if a < 1e-9:
        return v * _HALF_SQRT_PI  # (the series' next term is below float64's precision)
    x = _erfinv_guess(a)
    w = 1.0 - a
    for _ in range(3):
        slope = _TWO_OVER_SQRT_PI * math.exp(-x * x)
        if a < 0.5:
            f = math.erf(x) - a
            x -= f / (slope + x * f)
        else:
            g = math.erfc(x) - w
            x += g / (slope - x * g)
    return math.copysign(x, v)
