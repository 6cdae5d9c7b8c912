"""Scalar functions of the element-wise expressions (kernels/cpu/ops.py) that the CUDA target
compiles differently from the CPU: NumPy ufuncs numba-cuda does not type (np.floor,
np.fmod, ...) and the CPU's vectorisable helpers (vexp, sigmoid, fma_wide), which are
LLVM intrinsics of the CPU target. Every other helper of kernels/cpu/scalar.py is plain
Python that numba-cuda compiles as it is.

Each function here is its own NumPy implementation, which is what Numba's CUDA simulator
runs (kernels execute as Python there), and has a CUDA overload that calls libdevice, the
CUDA math library, per float type (``floorf`` for float32, ``floor`` for float64).
Integers pass through the rounding functions unchanged.
"""
import math

import numpy as np
from numba import types
from numba.cuda import libdevice
from numba.extending import overload

__all__ = ["cexp2", "cexpm1", "ccopysign", "cfmod", "cfloor", "cceil", "ctrunc", "round_half_even",
           "vexp", "sigmoid", "fma_wide", "logaddexp", "remainder_float", "CUDA_NAMES"]

# np.<name>( in an expression of ops.py -> the function of this module that replaces it.
CUDA_NAMES = {"exp2": "cexp2", "expm1": "cexpm1", "copysign": "ccopysign", "fmod": "cfmod",
              "floor": "cfloor", "ceil": "cceil", "trunc": "ctrunc"}


def _libdevice(name32, name64, integer=None):
    """An overload implementation choosing libdevice's float32 or float64 function."""
    f32, f64 = getattr(libdevice, name32), getattr(libdevice, name64)

    def choose(*args):
        if all(a == types.float32 for a in args):
            return lambda *a: f32(*a)
        if all(isinstance(a, types.Float) for a in args):
            return lambda *a: f64(*a)
        if integer is not None and all(isinstance(a, (types.Integer, types.Boolean)) for a in args):
            return integer
        return None
    return choose


def _unary(np_fn, name32, name64, integer=None):
    def fn(x):
        return np_fn(x)
    overload(fn, target="cuda", inline="always")(_libdevice(name32, name64, integer))
    return fn


def _binary(np_fn, name32, name64):
    def fn(x, y):
        return np_fn(x, y)
    overload(fn, target="cuda", inline="always")(_libdevice(name32, name64))
    return fn


_same = lambda x: x  # noqa: E731  (rounding an integer changes nothing)

cexp2 = _unary(np.exp2, "exp2f", "exp2")
cexpm1 = _unary(np.expm1, "expm1f", "expm1")
cfloor = _unary(np.floor, "floorf", "floor", _same)
cceil = _unary(np.ceil, "ceilf", "ceil", _same)
ctrunc = _unary(np.trunc, "truncf", "trunc", _same)
round_half_even = _unary(np.rint, "rintf", "rint", _same)  # rint rounds half to even
vexp = _unary(np.exp, "expf", "exp")
ccopysign = _binary(np.copysign, "copysignf", "copysign")
cfmod = _binary(np.fmod, "fmodf", "fmod")


def fma_wide(a, b, c):
    """a * b + c of floats in float64 with one rounding (add/sub with alpha, as torch fuses
    them). In NumPy: exact for float32 operands (their product fits a float64)."""
    return np.float64(a) * np.float64(b) + np.float64(c)


@overload(fma_wide, target="cuda", inline="always")
def _fma_wide(a, b, c):
    return lambda a, b, c: libdevice.fma(np.float64(a), np.float64(b), np.float64(c))


def sigmoid(x):
    """1 / (1 + e**-x), as e**x / (1 + e**x) for negative x so tiny results keep their value."""
    e = vexp(-abs(x))
    one = type(e)(1)
    return (e if x < 0 else one) / (one + e)


@overload(sigmoid, target="cuda", inline="always")
def _sigmoid(x):
    one = {types.float32: np.float32(1), types.float64: np.float64(1)}.get(x)
    if one is None:
        return None

    def impl(x):
        e = vexp(-abs(x))
        return (e if x < 0 else one) / (one + e)
    return impl


def logaddexp(x, y):
    """log(exp(x) + exp(y)) without overflow; equal infinities give themselves, NaN propagates."""
    if x != x or y != y:
        return x + y
    if x == y:
        return x + 0.6931471805599453
    m = x if x > y else y
    return m + np.log1p(vexp(-abs(x - y)))


@overload(logaddexp, target="cuda", inline="always")
def _logaddexp(x, y):
    def impl(x, y):
        if x != x or y != y:
            return x + y
        if x == y:
            return x + 0.6931471805599453
        m = x if x > y else y
        return m + math.log1p(vexp(-abs(x - y)))
    return impl


def remainder_float(x, y):
    """torch's remainder: fmod moved to the divisor's sign; a zero keeps fmod's sign."""
    r = cfmod(x, y)
    if r != 0 and (r < 0) != (y < 0):
        r += y
    return r


@overload(remainder_float, target="cuda", inline="always")
def _remainder_float(x, y):
    def impl(x, y):
        r = cfmod(x, y)
        if r != 0 and (r < 0) != (y < 0):
            r += y
        return r
    return impl
