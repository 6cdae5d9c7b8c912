"""Element-wise functions composed of the op table's rows: ``addcmul``, ``addcdiv``, ``xlogy``,
``logaddexp2``, ``logit``, ``deg2rad``, ``rad2deg``, ``sgn``, ``signbit``, ``heaviside``,
``nan_to_num``, ``isneginf``, ``isposinf``, ``isreal`` and ``sinc``.

Each is computed in torch's result dtype by the table's kernels, in the order of torch's own
kernel (so the roundings are its roundings); the ones that need a kernel of their own
(``hypot``, ``erfc``, ``erfinv``, ``lgamma``, ``digamma``) are rows of the table. `_register`
derives the method, the in-place method and ``out=`` of every function here from the function
itself.
"""
import math

from nbtensor.core import dtype as dt
from nbtensor.core.device import CPU
from nbtensor.core.typeinfo import finfo
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.out import check_out_cast, check_out_tensor, resize_out
from nbtensor.dispatch.tensor import Tensor, check_no_partial_overlap, check_writable, common_device, copy_into
from nbtensor.ops.creation import full, full_like, ones_like, zeros_like
from nbtensor.ops.elementwise import OPS_BY_NAME, apply, result_type

__all__ = ["addcmul", "addcdiv", "xlogy", "logaddexp2", "logit", "deg2rad", "rad2deg", "sgn", "signbit",
           "heaviside", "nan_to_num", "isneginf", "isposinf", "isreal", "sinc"]


def _op(name, *operands):
    """Row `name` of the op table applied to `operands`."""
    return apply(OPS_BY_NAME[name], operands)


def _as(x, d):
    """Tensor `x` in dtype `d` (a number stays a number)."""
    return x.to(d) if isinstance(x, Tensor) and x.dtype is not d else x


def _floating(*operands):
    """The result dtype of an op that computes in floating point (integers and bools give
    the default dtype), as torch's ``promote_integer_inputs_to_float``."""
    d = result_type(*operands)
    return d if d.is_floating_point else dt.get_default_dtype()


def _require_tensors(name, **arguments):
    """torch's TypeError for an argument that must be a Tensor (positions from 1, in order)."""
    for position, (argument, x) in enumerate(arguments.items(), 1):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be Tensor, "
                            f"not {type(x).__name__}")


def _deliver(result, out, name):
    """`result`, or the ``out=`` tensor holding it (resized as torch's; the result's dtype
    must cast to out's)."""
    if out is None:
        return result
    check_out_tensor(out, name)
    common_device((result, out))
    check_out_cast(out, result.dtype)
    check_writable(out)
    resize_out(out, result._shape)
    return copy_into(out, result)


def _into_self(self, result):
    """An in-place form's write of `result` into `self`, with torch's checks: the result
    must have `self`'s shape (no broadcasting `self` up) and cast to its dtype."""
    check_writable(self)
    if result._shape != self._shape:
        raise RuntimeError(f"output with shape {list(self._shape)} doesn't match the broadcast shape "
                           f"{list(result._shape)}")
    check_out_cast(self, result.dtype)
    return copy_into(self, result)


def in_place(fn):
    """The in-place form of `fn`: its result written into its first argument (returned);
    torch's RuntimeError when another tensor argument partly overlaps it (``x.addcmul_(x,
    x.t())``: torch's kernel would read values it has already written)."""
    def fn_(self, *args, **kwargs):
        for other in (*args, *kwargs.values()):
            if type(other) is Tensor and type(self) is Tensor:
                check_no_partial_overlap(self, other)
        return _into_self(self, fn(self, *args, **kwargs))
    fn_.__name__ = fn.__name__ + "_"
    fn_.__doc__ = f"In-place ``{fn.__name__}``; returns `self`."
    return fn_


def _register(name, fn, inplace):
    """``nbtensor.<name>`` and ``Tensor.<name>`` are `fn`; with `inplace`, ``Tensor.<name>_``
    writes its result into the tensor."""
    forms.function(name, fn)
    forms.method(name, fn)
    if inplace:
        forms.method(name + "_", in_place(fn))


# ---------------------------------------------------------------- fused multiply-add forms
def _fused_value(value, res):
    """`value` as torch's kernel takes it: converted to the result dtype (an integer result
    truncates a float value)."""
    if isinstance(value, Tensor):
        value = value.item()
    return int(value) if not res.is_floating_point and res is not dt.bool else value


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2``, element-wise (broadcast, promoted as torch)."""
    _require_tensors("addcmul", input=input, tensor1=tensor1, tensor2=tensor2)
    res = result_type(input, tensor1, tensor2)
    if res is dt.bool:
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    value = _fused_value(value, res)
    a = _as(tensor1, res)
    if value != 1:
        a = _op("mul", a, value)  # (value * t1) * t2, as torch's kernel multiplies
    return _deliver(_op("add", _as(input, res), _op("mul", a, _as(tensor2, res))), out, "addcmul")


_ADDCDIV_INTEGERS = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a "
    "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
    "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
    "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
    "(input + value * tensor1 / tensor2), for all dtypes.")


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2``, element-wise; integer `tensor1` and `tensor2`
    together are refused, as in torch."""
    _require_tensors("addcdiv", input=input, tensor1=tensor1, tensor2=tensor2)
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError(_ADDCDIV_INTEGERS)
    res = result_type(input, tensor1, tensor2)
    a = _as(tensor1, res)
    if value != 1:
        a = _op("mul", a, _fused_value(value, res))
    return _deliver(_op("add", _as(input, res), _op("div", a, _as(tensor2, res))), out, "addcdiv")


# ---------------------------------------------------------------- logarithms and friends
def _scalar_operand(x, res):
    """A Python number operand as a 0-d CPU tensor of `res` (any device's tensors take it)."""
    return x if isinstance(x, Tensor) else full((), x, dtype=res, device=CPU)


def xlogy(input, other, *, out=None):
    """``input * log(other)``, 0 where `input` is 0 (unless `other` is NaN); computed in
    floating point (integer operands give the default dtype)."""
    return _times_log(input, other, "log", "xlogy", out)


def xlog1py(input, other, *, out=None):
    """``input * log1p(other)``, 0 where `input` is 0 (unless `other` is NaN): torch.special's."""
    return _times_log(input, other, "log1p", "xlog1py", out)


def _times_log(input, other, log, name, out):
    """``input * <log>(other)`` (`log`: the op, "log" or "log1p"), 0 where `input` is 0 unless
    `other` is NaN: the body of `xlogy` and `xlog1py` (`name`)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({type(input).__name__}, "
            f"{type(other).__name__}), but expected one of:\n * (Tensor input, Tensor other, *, Tensor out = "
            "None)\n * (Number self, Tensor other, *, Tensor out = None)\n * (Tensor input, Number other, *, "
            "Tensor out = None)\n")
    res = _floating(input, other)
    x, y = _as(_scalar_operand(input, res), res), _as(_scalar_operand(other, res), res)
    product = _op("mul", x, _op(log, y))
    zero = _op("logical_and", _op("eq", x, 0), _op("eq", y, y))
    return _deliver(_op("where_kernel", zero, 0, product), out, name)


_INV_LOG2 = 1 / math.log(2.0)


def logaddexp2(input, other, *, out=None):
    """``log2(2 ** input + 2 ** other)`` without overflow (float tensors only, as torch)."""
    _require_tensors("logaddexp2", input=input, other=other)
    res = result_type(input, other)
    if not res.is_floating_point:
        raise NotImplementedError(f"\"logaddexp2_cpu\" not implemented for '{res.c_name}'")
    x, y = _as(input, res), _as(other, res)
    # torch's: max + log1p(2 ** -|x - y|) / log(2), and an infinity equal to the other itself
    gap = _op("neg", _op("abs", _op("sub", x, y)))
    result = _op("add", _op("maximum", x, y), _op("mul", _op("log1p", _op("exp2", gap)), _INV_LOG2))
    same_infinity = _op("logical_and", _op("isinf", x), _op("eq", x, y))
    return _deliver(_op("where_kernel", same_infinity, x, result), out, "logaddexp2")


def logit(input, eps=None, *, out=None):
    """``log(p / (1 - p))``; with `eps` (>= 0), `p` first clamped to [eps, 1 - eps]."""
    _require_tensors("logit", input=input)
    p = _as(input, _floating(input))
    if eps is not None and eps >= 0:
        p = apply(OPS_BY_NAME["clamp_both"], (p, eps, 1 - eps))
    return _deliver(_op("log", _op("div", p, _op("sub", 1, p))), out, "logit")


def deg2rad(input, *, out=None):
    """Degrees to radians (``input * pi / 180``, in floating point)."""
    _require_tensors("deg2rad", input=input)
    return _deliver(_op("mul", _as(input, _floating(input)), math.pi / 180), out, "deg2rad")


def rad2deg(input, *, out=None):
    """Radians to degrees (``input * 180 / pi``, in floating point)."""
    _require_tensors("rad2deg", input=input)
    return _deliver(_op("mul", _as(input, _floating(input)), 180 / math.pi), out, "rad2deg")


def sinc(input, *, out=None):
    """The normalised sinc: ``sin(pi x) / (pi x)``, and 1 at 0."""
    _require_tensors("sinc", input=input)
    x = _as(input, _floating(input))
    product = _op("mul", x, math.pi)
    return _deliver(_op("where_kernel", _op("eq", x, 0), 1, _op("div", _op("sin", product), product)), out, "sinc")


# ---------------------------------------------------------------- signs and classes of values
def sgn(input, *, out=None):
    """The sign of each element (for real tensors ``sign``)."""
    _require_tensors("sgn", input=input)
    return apply(OPS_BY_NAME["sign"], (input,), out=out)


def angle(input, *, out=None):
    """The argument of each element as a complex number: pi where it is negative, else 0
    (NaN stays NaN); integers and bools give the default float dtype."""
    _require_tensors("angle", input=input)
    x = _as(input, _floating(input))
    result = _op("mul", _as(_op("lt", x, 0), x.dtype), math.pi)
    if x.dtype.is_floating_point:
        result = _op("where_kernel", _op("ne", x, x), x, result)  # (NaN where the input is NaN)
    return _deliver(result, out, "angle")


def signbit(input, *, out=None):
    """True where the sign bit is set: negative numbers, -0. and NaNs with the sign bit."""
    _require_tensors("signbit", input=input)
    if input.dtype is dt.bool:
        result = zeros_like(input)
    elif input.dtype.is_floating_point:
        result = _op("lt", apply(OPS_BY_NAME["copysign"], (ones_like(input), input)), 0)
    else:
        result = _op("lt", input, 0)
    return _deliver(result.to(dt.bool), out, "signbit")


def heaviside(input, values, *, out=None):
    """0 where `input` < 0 (or NaN), `values` where it is 0, 1 where it is > 0."""
    _require_tensors("heaviside", input=input, values=values)
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    positive = _op("gt", input, 0).to(input.dtype)
    return _deliver(_op("where_kernel", _op("eq", input, 0), values, positive), out, "heaviside")


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """NaN replaced by `nan`, +inf by `posinf` and -inf by `neginf` (defaults: 0 and the
    dtype's largest and smallest finite values); other dtypes are copied as they are."""
    _require_tensors("nan_to_num", input=input)
    if not input.dtype.is_floating_point:
        return _deliver(input.clone(), out, "nan_to_num")
    big = finfo(input.dtype).max
    posinf = big if posinf is None else posinf
    neginf = -big if neginf is None else neginf
    result = input.clone()  # (laid out as `input`, as torch's element-wise result)
    result.masked_fill_(_op("isnan", input), nan)
    result.masked_fill_(_op("eq", input, math.inf), posinf)
    result.masked_fill_(_op("eq", input, -math.inf), neginf)
    return _deliver(result, out, "nan_to_num")


def _infinity(name, value):
    def test(input, *, out=None):
        _require_tensors(name, input=input)
        if input.dtype.is_floating_point:
            result = _op("eq", input, value)
        else:
            result = zeros_like(input, dtype=dt.bool)
        return _deliver(result, out, name)
    test.__name__ = name
    test.__doc__ = f"True where an element is {'+' if value > 0 else '-'}inf (never for integers or bools)."
    return test


isposinf = _infinity("isposinf", math.inf)
isneginf = _infinity("isneginf", -math.inf)


def isreal(input):
    """True everywhere: every element of a real tensor is real."""
    _require_tensors("isreal", input=input)
    return full_like(input, True, dtype=dt.bool)


for _name, _inplace in (("addcmul", True), ("addcdiv", True), ("xlogy", True), ("logaddexp2", False),
                        ("logit", True), ("deg2rad", True), ("rad2deg", True), ("sinc", True), ("sgn", True),
                        ("signbit", False), ("heaviside", True), ("nan_to_num", True), ("isposinf", False),
                        ("isneginf", False), ("isreal", False), ("angle", False)):
    _register(_name, globals()[_name], _inplace)
