"""Scalar functions of the element-wise expressions (kernels/cpu/ops.py) that the CUDA target
compiles differently from the CPU: NumPy ufuncs numba-cuda does not type (np.floor,
np.fmod, ...) and the CPU's vectorisable helpers (vexp, vlog, sigmoid, fma_wide), which are
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

from nbtensor.kernels.cpu import scalar as cpu_scalar

# np.<name> in an expression of ops.py -> (arity, libdevice's float32 and float64 functions,
# whether an integer passes through unchanged). Each becomes the function c<name> here.
_LIBDEVICE = {
    "exp2": (1, "exp2f", "exp2", False), "expm1": (1, "expm1f", "expm1", False),
    "log": (1, "logf", "log", False), "log2": (1, "log2f", "log2", False),
    "log10": (1, "log10f", "log10", False), "log1p": (1, "log1pf", "log1p", False),
    "sqrt": (1, "sqrtf", "sqrt", False), "sin": (1, "sinf", "sin", False),
    "cos": (1, "cosf", "cos", False), "tan": (1, "tanf", "tan", False),
    "arcsin": (1, "asinf", "asin", False), "arccos": (1, "acosf", "acos", False),
    "arctan": (1, "atanf", "atan", False), "arcsinh": (1, "asinhf", "asinh", False),
    "arccosh": (1, "acoshf", "acosh", False), "arctanh": (1, "atanhf", "atanh", False),
    "sinh": (1, "sinhf", "sinh", False), "cosh": (1, "coshf", "cosh", False),
    "tanh": (1, "tanhf", "tanh", False), "floor": (1, "floorf", "floor", True),
    "ceil": (1, "ceilf", "ceil", True), "trunc": (1, "truncf", "trunc", True),
    "rint": (1, "rintf", "rint", True), "exp": (1, "expf", "exp", False),
    "arctan2": (2, "atan2f", "atan2", False), "copysign": (2, "copysignf", "copysign", False),
    "fmod": (2, "fmodf", "fmod", False),
}
# np.<name>( in an expression of ops.py -> the function of this module that replaces it.
CUDA_NAMES = {name: "c" + name for name in _LIBDEVICE}

__all__ = [*CUDA_NAMES.values(), "round_half_even", "vexp", "vlog", "sigmoid", "fma_wide", "lgamma", "logaddexp",
           "remainder_float", "wrapped", "CUDA_NAMES"]


def _overload(arity, name32, name64, integer):
    """The CUDA overload's implementation chooser: libdevice's float32 function for float32
    arguments, its float64 one for other floats, the argument itself for an integer."""
    f32, f64 = getattr(libdevice, name32), getattr(libdevice, name64)

    def choose(args, one, two):
        if all(a == types.float32 for a in args):
            return one(f32) if arity == 1 else two(f32)
        if all(isinstance(a, types.Float) for a in args):
            return one(f64) if arity == 1 else two(f64)
        if integer and all(isinstance(a, (types.Integer, types.Boolean)) for a in args):
            return lambda x: x
        return None

    def unary(f):
        return lambda x: f(x)

    def binary(f):
        return lambda x, y: f(x, y)

    if arity == 1:
        return lambda x: choose((x,), unary, binary)
    return lambda x, y: choose((x, y), unary, binary)


def _make(name, arity, name32, name64, integer):
    np_fn = getattr(np, name)
    if arity == 1:
        def fn(x):
            return np_fn(x)
    else:
        def fn(x, y):
            return np_fn(x, y)
    fn.__name__ = fn.__qualname__ = "c" + name
    fn.__doc__ = f"np.{name} (what the simulator runs); libdevice's {name32}/{name64} on the GPU."
    overload(fn, target="cuda")(_overload(arity, name32, name64, integer))
    return fn


for _name, _spec in _LIBDEVICE.items():
    globals()["c" + _name] = _make(_name, *_spec)
round_half_even = crint  # noqa: F821  (rint rounds half to even)
vexp = cexp  # noqa: F821
vlog = clog  # noqa: F821


def fma_wide(a, b, c):
    """a * b + c of floats in float64 with one rounding (add/sub with alpha, as torch fuses
    them). In NumPy: exact for float32 operands (their product fits a float64)."""
    return np.float64(a) * np.float64(b) + np.float64(c)


@overload(fma_wide, target="cuda")
def _fma_wide(a, b, c):
    return lambda a, b, c: libdevice.fma(np.float64(a), np.float64(b), np.float64(c))


def sigmoid(x):
    """1 / (1 + e**-x), as e**x / (1 + e**x) for negative x so tiny results keep their value."""
    e = vexp(-abs(x))
    one = type(e)(1)
    return (e if x < 0 else one) / (one + e)


@overload(sigmoid, target="cuda")
def _sigmoid(x):
    one = {types.float32: np.float32(1), types.float64: np.float64(1)}.get(x)
    if one is None:
        return None

    def impl(x):
        e = vexp(-abs(x))
        return (e if x < 0 else one) / (one + e)
    return impl


def lgamma(x):
    """log|gamma(x)|, +inf at the poles (where Python's math.lgamma, which the simulator
    runs, raises instead)."""
    try:
        return math.lgamma(x)
    except ValueError:
        return math.inf


@overload(lgamma, target="cuda")
def _lgamma(x):
    return lambda x: math.lgamma(x)


def logaddexp(x, y):
    """log(exp(x) + exp(y)) without overflow (the simulator runs the CPU's helper)."""
    return cpu_scalar.logaddexp(x, y)


@overload(logaddexp, target="cuda")
def _logaddexp(x, y):
    def impl(x, y):
        if x != x or y != y:
            return x + y
        if x == y:
            return x + 0.6931471805599453
        m = x if x > y else y
        return m + clog1p(vexp(-abs(x - y)))  # noqa: F821
    return impl


def remainder_float(x, y):
    """torch's remainder of floats (the simulator runs the CPU's helper)."""
    return cpu_scalar.remainder_float(x, y)


@overload(remainder_float, target="cuda")
def _remainder_float(x, y):
    def impl(x, y):
        r = cfmod(x, y)  # noqa: F821
        if r != 0 and (r < 0) != (y < 0):
            r += y
        return r
    return impl


def wrapped(value, out):
    """`value` in `out`'s dtype, as the GPU stores it: integers wrap as a narrower integer
    does (said for the simulator, whose NumPy refuses to store an out-of-range Python int),
    and a half is made through float, as torch makes one from a double."""
    with np.errstate(all="ignore"):
        if out.dtype == np.float16:
            value = np.float32(value)
        return np.array(value).astype(out.dtype)[()]


@overload(wrapped, target="cuda")
def _wrapped(value, out):
    if out.dtype == types.float16 and value != types.float32:
        return lambda value, out: np.float32(value)
    return lambda value, out: value
