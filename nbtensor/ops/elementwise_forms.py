"""Every form of every element-wise op, generated from the table in _elementwise.py.

For a row ``Op("add", 2, dunders=(...))`` this installs ``nbtensor.add(input, other, out=)``,
``Tensor.add``, ``Tensor.add_`` and the operators. A few ops take extra arguments (alpha,
rounding_mode, decimals, min/max); their wrappers adjust the operands and call the same rows.
"""
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.host import from_host, host_array
from nbtensor.ops.elementwise import _FLT_MAX, OPS, OPS_BY_NAME, apply, fast_where, result_type as _result_type
from nbtensor.core.plan import contiguous_strides
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.tensor import Tensor, check_no_partial_overlap, check_writable, checked_scalar, common_device, make

__all__ = []


def _export(name, fn):
    fn.__name__ = name
    forms.function(name, fn)


def _is_operand(x):
    t = type(x)  # (the exact types first: isinstance of an ABC runs Python code)
    return t is Tensor or t is float or t is int or isinstance(x, (Tensor, numbers.Number, np.ndarray, np.generic))


def _require_tensor(op, x, position, name=None, shown=None):
    """TypeError, as torch's signatures give, when operand `position` (1-based) of an op that
    takes no Python number there is not a Tensor (methods count from the first argument
    after self: `shown` is the position in the message, `name` the method's name)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name or op.name}(): argument '{op.names[position - 1]}' (position {shown or position}) "
                        f"must be Tensor, not {type(x).__name__}")


def _no_keywords(name, kwargs):
    raise TypeError(f"{name}() got an unexpected keyword argument '{sorted(kwargs)[0]}'")


def _bind(op, args, kwargs):
    """Operands from positional and keyword arguments named as torch names them (``exponent``
    for pow; ``self`` is torch's name of a scalar base)."""
    operands = list(args)
    first = kwargs.pop("input", kwargs.pop("self", None)) if len(operands) < 1 else None
    if first is not None:
        operands.append(first)
    if len(operands) < 2 and op.names[1] in kwargs:
        operands.append(kwargs.pop(op.names[1]))
    if kwargs or len(operands) != 2:
        bad = sorted(kwargs)
        raise TypeError(f"{op.name}() got an unexpected keyword argument '{bad[0]}'" if bad else
                        f"{op.name}() takes 2 operands ({', '.join(op.names)}), got {len(operands)}")
    return operands


def _mark_plain(form, op, how="plain_elementwise"):
    """Mark `form` as one whose call with `op.arity` positional arguments (and, for the
    marks below, only the keyword named) is exactly `apply` of `op` on them. Autograd's
    recorder first tries the op's fast path for such a call, which runs kernels only, so
    without turning grad mode off and without the form's frames; it calls the form when
    that path declines. `how` names the call:
    - ``plain_elementwise``: ``form(*args)`` is ``apply(op, args)`` (`fast_result`);
    - ``plain_into``: ``form(*args, out=t)`` is ``apply(op, args, out=t)`` (`fast_into`);
    - ``plain_inplace``: ``form(*args)`` is ``apply(op, args, inplace=True)`` (`fast_into`)."""
    setattr(form, how, op)
    return form


def _make_function(op):
    if op.arity == 1 and not op.has_out:  # isnan, isinf, isfinite, relu: torch has no out=
        def function(input, **kwargs):
            if kwargs:
                _no_keywords(op.name, kwargs)
            return apply(op, (input,))
    elif op.arity == 1:
        def function(input, *, out=None):
            return apply(op, (input,), out=out)
    elif op.names != ("input", "other"):
        def function(*args, out=None, **kwargs):
            return apply(op, args if len(args) == 2 and not kwargs else _bind(op, args, kwargs), out=out)
    elif op.scalars == "both":
        def function(input, other, *, out=None):
            return apply(op, (input, other), out=out)
    else:
        def function(input, other, *, out=None):
            _require_tensor(op, input, 1)
            if op.scalars == "none":
                _require_tensor(op, other, 2)
            return apply(op, (input, other), out=out)
    function.__doc__ = f"Element-wise ``{op.name}``; broadcasts, promotes dtypes as torch, writes into `out` if given."
    if op.arity == 1 or op.names == ("input", "other") and op.scalars != "none":
        _mark_plain(function, op)
        if op.has_out:
            _mark_plain(function, op, "plain_into")
    return function


def _method_operands(op, self, args, kwargs):
    """``x.add(other=y)``, ``x.pow(exponent=2)``: the operand named as torch names it."""
    name = op.names[1] if op.arity == 2 else None
    if args or name not in kwargs or len(kwargs) != 1:
        bad = sorted(set(kwargs) - {name}) or sorted(kwargs)
        raise TypeError(f"{op.name}() got an unexpected keyword argument '{bad[0]}'")
    return (self, kwargs[name])


def _make_method(op):
    # torch's methods take no out=
    if op.scalars == "none":
        def method(self, *args, **kwargs):
            operands = _method_operands(op, self, args, kwargs) if kwargs else (self,) + args
            _require_tensor(op, operands[1], 2, shown=1)
            return apply(op, operands)
    else:
        def method(self, *args, **kwargs):
            if kwargs:
                return apply(op, _method_operands(op, self, args, kwargs))
            return apply(op, (self,) + args)
    method.__doc__ = f"Element-wise ``{op.name}`` (see ``nbtensor.{op.name}``)."
    return method if op.scalars == "none" else _mark_plain(method, op)


def _make_inplace(op):
    def method_(self, *args, **kwargs):
        operands = _method_operands(op, self, args, kwargs) if kwargs else (self,) + args
        if op.scalars == "none":
            _require_tensor(op, operands[1], 2, op.name + "_", 1)
        return apply(op, operands, inplace=True)
    method_.__doc__ = f"In-place element-wise ``{op.name}``; returns `self`."
    return method_ if op.scalars == "none" else _mark_plain(method_, op, "plain_inplace")


def _invert(self):
    if self.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return apply(OPS_BY_NAME["bitwise_not"], (self,))


def _rtruediv(self, other):
    # torch: other / self is self.reciprocal() * other (two roundings, not one division), and
    # autograd records those two ops (written with the forms, which record themselves)
    if not _is_operand(other):
        return NotImplemented
    return self.reciprocal() * other


def _make_dunder(op, kind):
    if kind == "reflected" and op.commutative:
        kind = "forward"  # torch's __rmul__ is mul(self, other)
    if kind == "forward":
        def dunder(self, other=None):
            if op.arity == 1:
                return apply(op, (self,))
            if type(other) is not Tensor and not _is_operand(other):  # exact-type test first: cheap
                return NotImplemented
            return apply(op, (self, other))
        _mark_plain(dunder, op)
    elif kind == "reflected":
        def dunder(self, other):
            if not _is_operand(other):
                return NotImplemented
            return apply(op, (other, self))
    else:
        def dunder(self, other):
            if not _is_operand(other):
                return NotImplemented
            return apply(op, (self, other), inplace=True)
        _mark_plain(dunder, op, "plain_inplace")
    return dunder


def _dunder_kind(name):
    if name.startswith("__r") and name not in ("__rshift__",):
        return "reflected"
    if name.startswith("__i") and name not in ("__invert__",):
        return "inplace"
    return "forward"


# Operators whose torch semantics differ from their row's generated form (defined above).
_SPECIAL_DUNDERS = {"__invert__": _invert, "__rtruediv__": _rtruediv}


def _register_table_forms():
    """Every row's function, methods, in-place methods and operators (as defaults: the
    wrappers below, for ops with extra arguments, replace some)."""
    for op in OPS:
        if op.function:
            for name in op.methods or (op.name,):
                function = _make_function(op)
                function.__name__ = name
                forms.function(name, function, default=True)
        for name in op.methods:
            forms.method(name, _make_method(op), default=True)
            if op.inplace:
                forms.method(name + "_", _make_inplace(op), default=True)
        for name in op.dunders:
            if name not in _SPECIAL_DUNDERS:
                forms.method(name, _make_dunder(op, _dunder_kind(name)), default=True)
    forms.methods(_SPECIAL_DUNDERS, _SPECIAL_DUNDERS)
    forms.method("__pos__", lambda self: self.clone())


_register_table_forms()


def table_function(name):
    """The function form of op-table row `name` (for a namespace other than nbtensor's:
    ``nbtensor.special.erfc``)."""
    function = _make_function(OPS_BY_NAME[name])
    function.__name__ = name
    return function


# ---------------------------------------------------------------- ops with extra arguments
def _alpha_for(op, input, other, alpha):
    """`alpha` as add/sub's fused row takes it (sub is add with -alpha), after torch's checks:
    sub's bool check on `other` itself, a bool alpha only for a bool result, a float alpha
    only for a floating result, and alpha converted to the result dtype without overflow."""
    d = input.dtype if type(input) is Tensor else None
    if (type(alpha) is float and type(other) is Tensor and other.dtype is d
            and (d is dt.float64 or d is dt.float32 and -_FLT_MAX <= alpha <= _FLT_MAX)):
        return -alpha if op.name == "sub" else alpha  # (the optimizers' case: nothing to check)
    if isinstance(alpha, Tensor):
        alpha = alpha.item()
    dt.check_scalar_argument(alpha)
    if isinstance(alpha, np.generic):
        alpha = alpha.item()  # (a NumPy float is a float, and -np.uint64(5) would wrap)
    if op.check is not None:
        op.check(op, (input, other), None)
    same = type(other) is Tensor and type(input) is Tensor and other.dtype is input.dtype
    res = input.dtype if same else _result_type(input, other)
    if isinstance(alpha, bool) and res is not dt.bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and not res.is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if op.name == "sub":
        alpha = -alpha  # (int8 takes sub's alpha=128, not -129, as torch checks it)
    if res is dt.bool:
        return bool(alpha)
    if not (res is dt.float64 or res is dt.float32 and -_FLT_MAX <= alpha <= _FLT_MAX):
        checked_scalar(alpha, res, strict_half=True)
    return alpha


def _plain(alpha):
    return alpha == 1 and type(alpha) is not bool


def _with_alpha(name):
    """add/sub and their method and in-place forms with ``alpha=``: the op's own row when
    alpha is 1, else the fused ``input + alpha * other`` row (one rounding, as torch)."""
    op, fused = OPS_BY_NAME[name], OPS_BY_NAME["add_alpha"]

    def function(input, other, *, alpha=1, out=None):
        if _plain(alpha):
            return apply(op, (input, other), out=out)
        return apply(fused, (input, other, _alpha_for(op, input, other, alpha)), out=out)

    def method(self, other, *, alpha=1):
        if _plain(alpha):
            return apply(op, (self, other))
        return apply(fused, (self, other, _alpha_for(op, self, other, alpha)))

    def method_(self, other, *, alpha=1):
        if _plain(alpha):
            return apply(op, (self, other), inplace=True)
        return apply(fused, (self, other, _alpha_for(op, self, other, alpha)), inplace=True)

    function.__doc__ = f"``input {'+' if name == 'add' else '-'} alpha * other``, element-wise."
    _mark_plain(_mark_plain(function, op), op, "plain_into")
    return function, _mark_plain(method, op), _mark_plain(method_, op, "plain_inplace")


for _name, _aliases in (("add", ("add",)), ("sub", ("sub", "subtract"))):
    _f, _m, _m_ = _with_alpha(_name)
    for _alias in _aliases:
        _export(_alias, _f)
        forms.method(_alias, _m)
        forms.method(_alias + "_", _m_)

_ROUNDING = {None: "div", "floor": "floor_divide", "trunc": "div_trunc"}


def _div_op(rounding_mode):
    try:
        return OPS_BY_NAME[_ROUNDING[rounding_mode]]
    except KeyError:
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'") from None


def div(input, other, *, rounding_mode=None, out=None):
    """``input / other``; ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient."""
    return apply(_div_op(rounding_mode), (input, other), out=out)


def _div_method(self, other, *, rounding_mode=None):
    return apply(_div_op(rounding_mode), (self, other))


def _div_method_(self, other, *, rounding_mode=None):
    return apply(_div_op(rounding_mode), (self, other), inplace=True)


_mark_plain(_mark_plain(div, OPS_BY_NAME["div"]), OPS_BY_NAME["div"], "plain_into")
_mark_plain(_div_method, OPS_BY_NAME["div"])
_mark_plain(_div_method_, OPS_BY_NAME["div"], "plain_inplace")
for _alias in ("div", "divide"):
    _export(_alias, div)
    forms.method(_alias, _div_method)
    forms.method(_alias + "_", _div_method_)


def round(input, *, decimals=0, out=None):
    """Round half to even (to `decimals` places)."""
    op = OPS_BY_NAME["round"]
    if decimals == 0:
        return apply(op, (input,), out=out)
    if isinstance(input, Tensor) and not input.is_floating_point():
        raise NotImplementedError(f"\"round_cpu\" not implemented for '{input.dtype.c_name}'")
    scale = 10.0 ** decimals
    scaled = apply(op, (apply(OPS_BY_NAME["mul"], (input, scale)),))
    return apply(OPS_BY_NAME["div"], (scaled, scale), out=out)


def _round_method(self, decimals=0):
    return round(self, decimals=decimals)


def _round_method_(self, decimals=0):
    check_writable(self)  # torch refuses an expanded self before it looks at the dtype
    return self.copy_(round(self, decimals=decimals))


_export("round", round)
forms.method("round", _round_method)
forms.method("round_", _round_method_)
# (no __round__: torch's Tensor has none, so Python's round(t) raises its TypeError)


def _python_scalar_argument(value):
    """torch's parsing of a number for a Scalar argument: OverflowError beyond 64 bits."""
    dt.check_scalar_argument(value)


def _is_nan(b):
    return isinstance(b, float) and b != b


def clamp(input, min=None, max=None, *, out=None):
    """Limit values to [min, max] (either bound may be None); NaN stays NaN, and a NaN bound
    gives NaN everywhere (torch)."""
    return _clamp(input, min, max, out, False)


def _clamp(input, min, max, out, inplace):
    """clamp, into `out` or (`inplace`) into `input` itself."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    d = input.dtype if type(input) is Tensor else None
    if out is not None or not ((d is dt.float32 or d is dt.float64) and _fits(min, d) and _fits(max, d)):
        _check_clamp(input, min, max, out)
    if max is None:
        return apply(OPS_BY_NAME["maximum"], (input, min), out=out, inplace=inplace)
    if min is None:
        return apply(OPS_BY_NAME["minimum"], (input, max), out=out, inplace=inplace)
    return apply(OPS_BY_NAME["clamp_both"], (input, min, max), out=out, inplace=inplace)


def _fits(b, d):
    """The common case, cheaply: bound `b` needs no check for a float32/float64 tensor."""
    t = type(b)
    return (b is None or t is float and (d is dt.float64 or -_FLT_MAX <= b <= _FLT_MAX or b != b)
            or t is int and -2**63 <= b < 2**64)


def _check_clamp(input, min, max, out):
    bounds = [b for b in (min, max) if b is not None]
    for b in bounds:
        _python_scalar_argument(b)
    res = _result_type(input, *bounds)
    if res is dt.bool and not any(isinstance(b, Tensor) for b in bounds):  # (torch has no bool scalar kernels)
        kernel = "clamp_scalar_cpu" if len(bounds) == 2 else "clamp_min_scalar_cpu" if max is None else "clamp_max_scalar_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if isinstance(out, Tensor):  # out= must have the result dtype itself, not one it casts to
        if out.dtype is not res:
            raise RuntimeError(f"Found dtype {out.dtype.c_name} but expected {res.c_name}")
    _check_bounds(bounds, res)


def _check_bounds(bounds, res):
    """torch converts number bounds to the result dtype with an overflow check (int8 -129
    or float16 1e5 raise), except that a NaN among two bounds fills the result with NaN
    before any conversion."""
    if len(bounds) == 2 and (_is_nan(bounds[0]) or _is_nan(bounds[1])):
        return
    for b in bounds:
        if type(b) is float and (res is dt.float64 or res is dt.float32 and -_FLT_MAX <= b <= _FLT_MAX):
            continue  # the common case, cheaply: fits (a NaN is no overflow either)
        if isinstance(b, numbers.Number) and not isinstance(b, Tensor):
            checked_scalar(b, res, strict_half=True)




def _clamp_(self, min=None, max=None):
    check_writable(self)
    for b in (min, max):
        if isinstance(b, Tensor):
            check_no_partial_overlap(self, b)  # torch refuses a bound that partly overlaps self
    if not _promoted_fits(self, min, max):
        return _cast_error(self, min, max)
    if type(min) is not Tensor and type(max) is not Tensor and _result_type(
            self, *[b for b in (min, max) if b is not None]) is self.dtype:
        return _clamp(self, min, max, None, True)  # (number bounds: one pass, in place)
    return self.copy_(clamp(self, min, max))


def _promoted_fits(self, *others):
    return dt.can_cast(_result_type(self, *[o for o in others if o is not None]), self.dtype)


def _cast_error(self, *others):
    res = _result_type(self, *[o for o in others if o is not None])
    raise RuntimeError(f"result type {res.c_name} can't be cast to the desired output type {self.dtype.cpp_name}")


for _alias in ("clamp", "clip"):
    _export(_alias, clamp)
    forms.method(_alias, lambda self, min=None, max=None: clamp(self, min, max))
    forms.method(_alias + "_", _clamp_)


def clamp_min(input, min, *, out=None):
    return clamp(input, min=min, out=out)


def clamp_max(input, max, *, out=None):
    return clamp(input, max=max, out=out)


_export("clamp_min", clamp_min)
_export("clamp_max", clamp_max)
forms.method("clamp_min", lambda self, min: clamp(self, min=min))
forms.method("clamp_max", lambda self, max: clamp(self, max=max))
forms.method("clamp_min_", lambda self, min: _clamp_(self, min=min))
forms.method("clamp_max_", lambda self, max: _clamp_(self, max=max))


def where(condition, input=None, other=None, *, out=None):
    """``input`` where `condition` holds, else ``other`` (broadcast); with one argument, the
    indices of the non-zero elements of `condition` (as ``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        from nbtensor.ops.selecting import _where_single
        return _where_single(condition)
    if not isinstance(condition, Tensor) or condition.dtype not in (dt.bool, dt.uint8):
        got = condition.dtype if isinstance(condition, Tensor) else type(condition).__name__
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {got}")
    if condition.dtype is dt.uint8:
        condition = condition.to(dt.bool)
    return _where(condition, input, other, out)


def _where(condition, input, other, out):
    if out is None:
        fast = fast_where(condition, input, other)
        if fast is not None:
            return fast
    scalars = [x for x in (input, other) if not isinstance(x, Tensor) and isinstance(x, numbers.Number)]
    if len(scalars) == 2 and not any(type(x) is float for x in scalars):
        for x in scalars:  # (two numbers, no float: the result is int64, which would wrap these)
            if type(x) is int and not -2 ** 63 <= x < 2 ** 63:
                raise RuntimeError(f"value cannot be converted to type int64_t without overflow (got {x})")
    if scalars and len(scalars) < 2:
        # torch converts a number operand to the result dtype with an overflow check
        # (int8 and 300 raise), except into float16 (1e5 becomes inf)
        res = _result_type(input, other)
        if res is not dt.float16:
            for x in scalars:
                checked_scalar(x, res)
    return apply(OPS_BY_NAME["where_kernel"], (condition, input, other), out=out)


_export("where", where)
forms.method("where", lambda self, condition, other: where(condition, self, other))


def _lerp_signature(name, input, end, weight, method):
    """torch's lerp takes (Tensor input, Tensor end, Tensor or Number weight); a number weight
    is converted to the input's dtype with torch's overflow check (float16 excepted: 1e10
    gives inf there, as in torch)."""
    if isinstance(input, Tensor) and isinstance(end, Tensor) and (
            isinstance(weight, Tensor) or isinstance(weight, numbers.Number) and not isinstance(weight, complex)):
        if not isinstance(weight, Tensor) and input.dtype.is_floating_point and not (
                type(weight) is float and -_FLT_MAX <= weight <= _FLT_MAX):  # (the common weight: fits any float)
            checked_scalar(weight, input.dtype)
        return
    got = ", ".join(type(x).__name__ for x in ((end, weight) if method else (input, end, weight)))
    sig = "(Tensor end, Tensor weight)" if method else "(Tensor input, Tensor end, Tensor weight, *, Tensor out = None)"
    sig2 = "(Tensor end, Number weight)" if method else "(Tensor input, Tensor end, Number weight, *, Tensor out = None)"
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                    f" * {sig}\n * {sig2}\n")


def lerp(input, end, weight, *, out=None):
    """``input + weight * (end - input)`` (``end - (end - input) * (1 - weight)`` for a
    weight of magnitude 0.5 or more, as torch computes it)."""
    _lerp_signature("lerp", input, end, weight, False)
    return apply(OPS_BY_NAME["lerp"], (input, end, weight), out=out)


def _lerp_method(self, end, weight):
    _lerp_signature("lerp", self, end, weight, True)
    return apply(OPS_BY_NAME["lerp"], (self, end, weight))


def _lerp_method_(self, end, weight):
    _lerp_signature("lerp_", self, end, weight, True)
    return apply(OPS_BY_NAME["lerp"], (self, end, weight), inplace=True)


_export("lerp", lerp)
forms.method("lerp", _lerp_method)
forms.method("lerp_", _lerp_method_)


def float_power(input, exponent, *, out=None):
    """``input ** exponent`` computed in float64."""
    a = input.to(dt.float64) if isinstance(input, Tensor) else input
    e = exponent.to(dt.float64) if isinstance(exponent, Tensor) else float(exponent)
    return apply(OPS_BY_NAME["pow"], (a, e), out=out)


_export("float_power", float_power)
forms.method("float_power", float_power)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Element-wise ``|input - other| <= atol + rtol * |other|`` (bool tensor)."""
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    device = common_device((input, other))
    close = np.isclose(host_array(input), host_array(other), rtol=rtol, atol=atol, equal_nan=equal_nan)
    return make(from_host(close, device), 0, close.shape, contiguous_strides(close.shape), dt.bool)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element satisfies `isclose`."""
    return bool(np.all(host_array(isclose(input, other, rtol, atol, equal_nan))))


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    common_device((input, other))
    if input._shape != other._shape:
        return False
    if input.dtype is not other.dtype:  # compared in the promoted dtype, as torch's eq
        common = _result_type(input, other)
        input, other = input.to(common), other.to(common)
    return bool(np.array_equal(host_array(input), host_array(other)))


def result_type(tensor1, tensor2):
    """The dtype an op on these two operands produces (torch's promotion)."""
    return _result_type(tensor1, tensor2)


for _name in ("isclose", "allclose", "equal"):
    _export(_name, globals()[_name])
    forms.method(_name, globals()[_name])
_export("result_type", result_type)
