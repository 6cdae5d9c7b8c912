"""Element-wise operations: one table row per op generates every form of it.

A row names the op, its promotion rule and its kernel(s); `install()` derives the function
(``nbtensor.add``), the method (``Tensor.add``), the in-place method (``add_``), the
operators (``__add__``, ``__radd__``, ``__iadd__``) and ``out=`` from it.
"""
import numbers

import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.base import backend_for
from nbtensor.backends.host import host_array
from nbtensor.core.device import CPU
from nbtensor.core.layout import CHANNELS_LAST_OF_RANK, format_strides, is_contiguous_in, strides_of_inputs
from nbtensor.dispatch.out import check_out_cast, check_out_tensor, resize_out
from nbtensor.core.plan import (broadcast_shapes, broadcast_strides, broadcasts_to, contiguous_strides, remember,
                                row_major_strides)
from nbtensor.dispatch.tensor import common_device
from nbtensor.dispatch.tensor import (Tensor, _numel, _overlaps, allocate, check_writable, checked_scalar, copy_into,
                                      empty_tensor, is_non_overlapping_and_dense, make, make_view, positive_zero,
                                      refuse_partial_overlap)

# ---------------------------------------------------------------- promotion rules
SAME, FLOAT, COMPARE, LOGICAL, BITWISE = "same", "float", "compare", "logical", "bitwise"


def result_type(*operands):
    """torch's result dtype: dimensioned tensors outrank 0-d tensors, which outrank Python
    numbers, unless a lower class brings a higher category (bool < integer < floating).
    A Python int from 2**63 on is torch's uint64 number, which no bool tensor promotes with."""
    dim = zero = wrapped = None
    unsigned = False
    promote = dt._PROMOTE
    for x in operands:
        if isinstance(x, Tensor):
            if x._shape:
                dim = x.dtype if dim is None else promote[(dim, x.dtype)]
            else:
                zero = x.dtype if zero is None else promote[(zero, x.dtype)]
        elif x is not None:
            d = dt.scalar_dtype(x)
            wrapped = d if wrapped is None else promote[(wrapped, d)]
            unsigned = unsigned or type(x) is int and x >= _INT64
    tensors = dt.combine_categories(dim, zero)
    if unsigned and wrapped is dt.int64 and tensors is dt.bool:
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           "attempted to promote Bool and UInt64")
    return dt.combine_categories(dim, dt.combine_categories(zero, wrapped))


def _category(d):
    return "float" if d.is_floating_point else "bool" if d is dt.bool else "int"


_FOUND_DTYPE = "Found dtype {out} but expected {result}"


def _half_floor_divide(a, b):
    """torch's floor division of float16 values: CPython's algorithm (fmod, then correct the
    quotient) with every step rounded to half, which differs from rounding the float32
    floor division once in ~3% of random inputs (10000 // 3 is 3334)."""
    a, b = _halves(a, b)
    op = OPS_BY_NAME
    mod = apply(op["fmod"], (a, b))
    div = apply(op["div"], (apply(op["sub"], (a, mod)), b))
    wrong_sign = apply(op["logical_and"], (apply(op["ne"], (mod, 0)),
                                           apply(op["ne"], (apply(op["lt"], (b, 0)), apply(op["lt"], (mod, 0))))))
    div = apply(op["where_kernel"], (wrong_sign, apply(op["sub"], (div, 1)), div))
    floor = apply(op["floor"], (div,))
    up = apply(op["gt"], (apply(op["sub"], (div, floor)), 0.5))
    floor = apply(op["where_kernel"], (up, apply(op["add"], (floor, 1)), floor))
    quotient = apply(op["div"], (a, b))
    zero = apply(op["mul"], (quotient, 0.0))  # copysign(0, a / b): a / b is finite here
    floor = apply(op["where_kernel"], (apply(op["eq"], (div, 0)), zero, floor))
    return apply(op["where_kernel"], (apply(op["eq"], (b, 0)), quotient, floor))


def _half_trunc_divide(a, b):
    """torch's truncating division of float16 values: the quotient rounded to half, then
    truncated (5 / 0.003 is 1667, where truncating the float32 quotient gives 1666)."""
    a, b = _halves(a, b)
    return apply(OPS_BY_NAME["trunc"], (apply(OPS_BY_NAME["div"], (a, b)),))


def _halves(*operands):
    """The operands (tensors or numbers) as float16 tensors."""
    return [x.to(dt.float16) if isinstance(x, Tensor) else _tensor_like(x, dt.float16) for x in operands]


def _one_value(x):
    """True for a number or a float16 tensor that holds one value for the whole iteration
    (torch's TensorIterator::is_scalar: every stride of a dimension of size > 1 is 0), as a
    float16 op sees it: a tensor of another dtype is first cast, and the cast of an
    expanded tensor is a dense copy, so only one of a single element stays one value."""
    if not isinstance(x, Tensor):
        return True
    if x.dtype is not dt.float16:
        return _numel(x._shape) == 1
    return all(st == 0 for st, n in zip(x._strides, x._shape) if n != 1)


def _tensor_like(value, dtype):
    return make(np.array((value,), dtype=dtype.np), 0, (), (), dtype)  # a CPU scalar: any device takes it


class Op:
    """One element-wise op: its kernels and promotion rule, and the names of its forms."""

    def __init__(self, name, arity, rule=SAME, kernel=None, function=True, methods=None,
                 inplace=True, dunders=(), check=None, categories=("bool", "int", "float"),
                 condition_first=False, scalars="both", scalar_kernels=None, exact_out=None,
                 bool_to_long=False, error_name=None, names=("input", "other"), late_check=None,
                 promote=None, float_scalar=None, has_out=True, half=None,
                 number_first_row_major=False, commutative=False, number_params=()):
        self.name = name
        self.names = names  # torch's keyword names of the function's operands
        # torch's kernel name in "not implemented" errors (or a function of the operands)
        self.error_name = error_name or name + "_cpu"
        self.arity = arity
        self.rule = rule
        kernel = kernel or name
        self.kernels = kernel if isinstance(kernel, dict) else {c: kernel for c in ("bool", "int", "float")}
        self.function = function
        self.methods = (name,) if methods is None else methods
        self.inplace = inplace
        self.dunders = dunders
        # extra validation, check(op, operands, compute_dtype): `check` runs before the
        # destination is validated (torch's meta functions), `late_check` after it and after
        # the dtype is known to be implemented (torch's kernels: division by zero, frac)
        self.check = check
        self.late_check = late_check
        self.categories = categories
        self.condition_first = condition_first  # operand 0 is a bool mask, not promoted
        # Which arguments of the function form may be Python numbers, as torch's signatures
        # allow: "both" (add, pow), "other" (eq, fmod: the input must be a tensor), "none".
        self.scalars = scalars
        # float kernels torch uses for a Python-number operand 1 (pow: x ** 0.5 is sqrt(x),
        # so (-inf) ** 0.5 is nan and (-0.) ** 0.5 is -0.); not for float16, whose
        # generic pow gives inf and +0. there
        self.scalar_kernels = scalar_kernels
        # out= must have the result's dtype exactly (torch's unary ops that keep the dtype,
        # clamp, where) rather than any dtype the result casts to: the message when it has not.
        if exact_out is None and arity == 1 and rule in (SAME, BITWISE) and name != "square":
            exact_out = _FOUND_DTYPE
        self.exact_out = exact_out
        self.bool_to_long = bool_to_long  # a bool result is int64 (square is pow(x, 2) in torch)
        # the operands the result dtype is promoted from, when not all (lerp's number weight)
        self.promote = promote
        # On float16 operands torch computes in float32 after rounding every operand to
        # float16, except the operand at position `float_scalar` when it is a number (or,
        # for mul's and div's second, a tensor holding one value for the whole iteration,
        # read in float32 from its own dtype: torch's original_scalar_value; lerp's weight:
        # a number only): it enters in float32 unrounded (x * 0.1 is not x * float16(0.1)).
        self.float_scalar = float_scalar
        # torch's overload for a number first operand (pow(2, x)) allocates a row-major
        # result instead of following the tensor's layout
        self.number_first_row_major = number_first_row_major
        # Operand positions torch passes to its kernel as parameters when they all hold Python
        # numbers (pow's exponent, clamp's bounds, lerp's weight): its iterator then has only
        # the tensors, which alone decide the result's layout (inputs of one shape, all
        # contiguous: row-major); any other number operand is a 0-d tensor there and counts
        self.number_params = number_params
        # the reflected operator (__rmul__) is the op with the tensor first, as torch's: a
        # float16 tensor times a number then keeps the number unrounded, as x * 0.1 does
        self.commutative = commutative
        self.has_out = has_out  # the function form takes out= (torch's isnan, relu do not)
        # half(a, b) -> Tensor: how a float16 result is computed, where torch rounds every
        # step of its algorithm to half instead of rounding once (floor_divide, trunc
        # division). A divisor that is one value (a number, a 0-d or expanded tensor) takes
        # torch's scalar-divisor path instead: the float32 result, rounded once.
        self.half = half
        self.fast = {}  # dtype -> (kernel_flat, result_dtype) when inputs need no cast

    def dtypes(self, operands):
        """(result dtype, compute dtype, kernel output dtype, common dtype) for these
        operands. Compute and kernel dtype are None when torch has no kernel for the result
        dtype (`not_implemented` is raised once the destination has been checked, as torch
        dispatches the kernel last). The common dtype is the one the inputs are cast to
        (float16 inputs are then computed in float32)."""
        if self.promote is not None:
            res = result_type(*self.promote(operands))
        else:
            res = result_type(*(operands[1:] if self.condition_first else operands))
        cat = _category(res)
        if cat not in self.categories or self.kernels.get(cat) is None:
            return res, None, None, res
        if self.rule == FLOAT and not res.is_floating_point:
            res = dt.get_default_dtype()
        elif self.bool_to_long and res is dt.bool:
            res = dt.int64
        compute = dt.float32 if res is dt.float16 else res
        if self.rule in (COMPARE, LOGICAL):
            return dt.bool, compute, dt.bool, res
        return res, compute, compute, res

    def not_implemented(self, operands, res):
        name = self.error_name(operands) if callable(self.error_name) else self.error_name
        return NotImplementedError(f'"{name}" not implemented for \'{res.c_name}\'')

    def kernel_name(self, compute):
        return self.kernels[_category(compute)]


# ---------------------------------------------------------------- validation hooks
def _no_bool_sub(op, operands, compute):
    bools = [x.dtype is dt.bool if isinstance(x, Tensor) else isinstance(x, (bool, np.bool_)) for x in operands]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _no_bool_relu(op, operands, compute):
    if operands[0].dtype is dt.bool:
        raise RuntimeError("Boolean inputs not supported for relu")


def _no_bool_neg(op, operands, compute):
    if compute is dt.bool:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _any_zero(x, compute):
    if isinstance(x, Tensor):
        if x.numel() == 0:
            return False
        if x.dtype is not compute:
            x = x.to(compute)  # as the kernel sees it: int64 -2**63 is 0 in int16
        return not np.all(host_array(x))  # (fetched from the device: a value check)
    return _scalar_storage(x, compute)[0] == 0  # as the kernel sees it: 256 is 0 in int8


def _integer_divisor(op, operands, compute):
    if compute.is_floating_point or any(isinstance(x, Tensor) and 0 in x._shape for x in operands):
        return  # float division by zero is inf/nan; an empty result divides nothing
    if _any_zero(operands[1], compute):
        raise RuntimeError("ZeroDivisionError")


def _integer_power(op, operands, compute):
    # Only a Python-number exponent is refused; an exponent tensor follows integer rules
    # (1 ** -n = 1, (-1) ** -n = +-1, otherwise 0), as torch computes it.
    e = operands[1]
    if compute is not None and not compute.is_floating_point and not isinstance(e, Tensor) and e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def _pow_late(op, operands, compute):
    e = operands[1]
    if isinstance(e, Tensor):
        # a bool base with a Python bool exponent is x ** True = x, x ** False = True
        # (torch's copy_/fill_ shortcuts); a bool exponent tensor has no kernel
        if compute is dt.bool:
            raise NotImplementedError('"pow" not implemented for \'Bool\'')
    elif isinstance(operands[0], Tensor) and not isinstance(e, bool):
        # torch converts a number exponent to the result dtype with an overflow check, except
        # into float32 and float64, which compute in double (x ** 1e40 is inf, 0 or 1)
        res = result_type(*operands)
        if res is not dt.float32 and res is not dt.float64:
            checked_scalar(e, res, strict_half=True)


def _float_only(op, operands, compute):
    if not compute.is_floating_point:
        raise NotImplementedError(f'"{op.error_name}" not implemented for \'{compute.c_name}\'')


def _lerp_dtypes(op, operands, compute):
    # torch's lerp: `end`, and a weight tensor with dimensions, must have the input's dtype
    # (a 0-d weight tensor is promoted with the others; a number weight is not promoted).
    x, end, weight = operands
    if end.dtype is not x.dtype:
        raise RuntimeError(f"expected dtype {x.dtype.cpp_name} for `end` but got dtype {end.dtype.cpp_name}")
    if isinstance(weight, Tensor) and weight._shape and weight.dtype is not x.dtype:
        raise RuntimeError(f"expected dtype {x.dtype.cpp_name} for `weight` but got dtype {weight.dtype.cpp_name}")


def _lerp_promoted(operands):
    return operands if isinstance(operands[2], Tensor) else operands[:2]


def _lerp_kernel_name(operands):
    return "lerp_kernel_tensor" if isinstance(operands[2], Tensor) else "lerp_kernel_scalar"


_INT_IDENTITY = {"int": "copy"}  # torch has no rounding kernels for bool

# ---------------------------------------------------------------- the table
OPS = [
    # binary arithmetic
    Op("add", 2, dunders=("__add__", "__radd__", "__iadd__"), commutative=True),
    Op("sub", 2, check=_no_bool_sub, methods=("sub", "subtract"), dunders=("__sub__", "__rsub__", "__isub__")),
    # add/sub with alpha (nbtensor.add(x, y, alpha=a) and its forms, see _ops): x + a * y
    # rounded once, the dtype from x and y alone; a float16 result takes alpha rounded to
    # half, as torch converts alpha to the result's dtype (docs/design.md)
    Op("add_alpha", 3, kernel={"bool": "add_alpha_bool", "int": "add_alpha", "float": "add_alpha_float"},
       function=False, methods=(), inplace=False, promote=lambda operands: operands[:2]),
    Op("mul", 2, methods=("mul", "multiply"), dunders=("__mul__", "__rmul__", "__imul__"), float_scalar=1,
       commutative=True),
    Op("div", 2, FLOAT, methods=("div", "divide", "true_divide"), dunders=("__truediv__", "__rtruediv__", "__itruediv__"),
       float_scalar=1),
    Op("floor_divide", 2, kernel={"int": "floor_divide_int", "float": "floor_divide"}, late_check=_integer_divisor,
       dunders=("__floordiv__", "__rfloordiv__", "__ifloordiv__"), categories=("int", "float"),
       error_name="div_floor_cpu", float_scalar=1, half=_half_floor_divide),
    Op("div_trunc", 2, kernel={"int": "div_trunc_int", "float": "div_trunc"}, late_check=_integer_divisor,
       function=False, methods=(), inplace=False, categories=("int", "float"), float_scalar=1,
       half=_half_trunc_divide),
    Op("remainder", 2, kernel={"int": "remainder", "float": "remainder_float"}, late_check=_integer_divisor,
       dunders=("__mod__", "__rmod__", "__imod__"),
       categories=("int", "float")),
    Op("fmod", 2, kernel={"int": "fmod_int", "float": "fmod"}, late_check=_integer_divisor,
       categories=("int", "float"), scalars="other"),
    # bool ** Python bool is x >= e (x ** True is x, x ** False is True), as torch's shortcuts
    Op("pow", 2, kernel={"bool": "ge", "int": "pow_int", "float": "pow"}, check=_integer_power,
       late_check=_pow_late, dunders=("__pow__", "__rpow__", "__ipow__"),
       scalar_kernels={0.5: "sqrt", -0.5: "rsqrt", 2: "square"}, names=("input", "exponent"), number_first_row_major=True,
       number_params=(1,)),
    Op("atan2", 2, FLOAT, methods=("atan2", "arctan2"), scalars="none"),
    Op("copysign", 2, FLOAT, scalars="other"),
    Op("logaddexp", 2, inplace=False, categories=("float",), scalars="none"),
    # sqrt(x² + y²) without overflow or underflow on the way (C's hypot)
    Op("hypot", 2, categories=("float",), scalars="none"),
    # (a number operand comes only from clamp(x, min=number), torch's clamp_min: a parameter)
    Op("maximum", 2, inplace=False, scalars="none", number_params=(1,)),
    Op("minimum", 2, inplace=False, scalars="none", number_params=(1,)),
    Op("fmax", 2, inplace=False, scalars="none"),
    Op("fmin", 2, inplace=False, scalars="none"),
    # comparison and logic
    Op("eq", 2, COMPARE, dunders=("__eq__",), scalars="other"),
    Op("ne", 2, COMPARE, methods=("ne", "not_equal"), dunders=("__ne__",), scalars="other"),
    Op("lt", 2, COMPARE, methods=("lt", "less"), dunders=("__lt__",), scalars="other"),
    Op("le", 2, COMPARE, methods=("le", "less_equal"), dunders=("__le__",), scalars="other"),
    Op("gt", 2, COMPARE, methods=("gt", "greater"), dunders=("__gt__",), scalars="other"),
    Op("ge", 2, COMPARE, methods=("ge", "greater_equal"), dunders=("__ge__",), scalars="other"),
    Op("logical_and", 2, LOGICAL, scalars="none"),
    Op("logical_or", 2, LOGICAL, scalars="none"),
    Op("logical_xor", 2, LOGICAL, scalars="none"),
    Op("bitwise_and", 2, BITWISE, categories=("bool", "int"), dunders=("__and__", "__rand__", "__iand__"),
       commutative=True),
    Op("bitwise_or", 2, BITWISE, categories=("bool", "int"), dunders=("__or__", "__ror__", "__ior__"),
       commutative=True),
    Op("bitwise_xor", 2, BITWISE, categories=("bool", "int"), dunders=("__xor__", "__rxor__", "__ixor__"),
       commutative=True),
    Op("bitwise_left_shift", 2, BITWISE, kernel="lshift", categories=("int",), error_name="lshift_cpu",
       dunders=("__lshift__", "__rlshift__", "__ilshift__")),
    Op("bitwise_right_shift", 2, BITWISE, kernel="rshift", categories=("int",), error_name="rshift_cpu",
       dunders=("__rshift__", "__rrshift__", "__irshift__")),
    # unary
    Op("neg", 1, check=_no_bool_neg, methods=("neg", "negative"), dunders=("__neg__",)),
    Op("abs", 1, categories=("int", "float"), methods=("abs", "absolute"), dunders=("__abs__",)),
    Op("reciprocal", 1, FLOAT),
    Op("square", 1, bool_to_long=True),
    Op("exp", 1, FLOAT),
    Op("exp2", 1, FLOAT),
    Op("expm1", 1, FLOAT),
    Op("log", 1, FLOAT),
    Op("log2", 1, FLOAT),
    Op("log10", 1, FLOAT),
    Op("log1p", 1, FLOAT),
    Op("sqrt", 1, FLOAT),
    Op("rsqrt", 1, FLOAT),
    Op("sin", 1, FLOAT),
    Op("cos", 1, FLOAT),
    Op("tan", 1, FLOAT),
    Op("asin", 1, FLOAT, methods=("asin", "arcsin")),
    Op("acos", 1, FLOAT, methods=("acos", "arccos")),
    Op("atan", 1, FLOAT, methods=("atan", "arctan")),
    Op("asinh", 1, FLOAT, methods=("asinh", "arcsinh")),
    Op("acosh", 1, FLOAT, methods=("acosh", "arccosh")),
    Op("atanh", 1, FLOAT, methods=("atanh", "arctanh")),
    Op("sinh", 1, FLOAT),
    Op("cosh", 1, FLOAT),
    Op("tanh", 1, FLOAT),
    Op("erf", 1, FLOAT),
    Op("erfc", 1, FLOAT),  # (1 - erf(x) would lose every digit where erf(x) is near 1)
    Op("erfinv", 1, FLOAT),
    Op("lgamma", 1, FLOAT),
    Op("digamma", 1, FLOAT),
    Op("sigmoid", 1, FLOAT),
    Op("relu", 1, categories=("int", "float"), has_out=False, check=_no_bool_relu),
    Op("sign", 1, kernel={"bool": "copy", "int": "sign", "float": "sign"}),
    Op("floor", 1, kernel=dict(_INT_IDENTITY, float="floor"), categories=("int", "float"), error_name="floor_vml_cpu"),
    Op("ceil", 1, kernel=dict(_INT_IDENTITY, float="ceil"), categories=("int", "float"), error_name="ceil_vml_cpu"),
    Op("round", 1, kernel=dict(_INT_IDENTITY, float="round"), function=False, methods=(), inplace=False,
       categories=("int", "float"), error_name="round_vml_cpu"),
    Op("trunc", 1, kernel=dict(_INT_IDENTITY, float="trunc"), methods=("trunc", "fix"), categories=("int", "float"),
       error_name="trunc_vml_cpu"),
    Op("frac", 1, late_check=_float_only),
    Op("isnan", 1, COMPARE, inplace=False, has_out=False),
    Op("isinf", 1, COMPARE, inplace=False, has_out=False),
    Op("isfinite", 1, COMPARE, inplace=False, has_out=False),
    Op("logical_not", 1, LOGICAL),
    Op("bitwise_not", 1, BITWISE, kernel={"bool": "logical_not", "int": "bitwise_not"},
       categories=("bool", "int"), dunders=("__invert__",)),
    # ternary
    Op("clamp_both", 3, kernel="clamp", function=False, methods=(), inplace=False, exact_out=_FOUND_DTYPE,
       number_params=(1, 2)),
    Op("lerp", 3, check=_lerp_dtypes, categories=("float",), promote=_lerp_promoted, error_name=_lerp_kernel_name,
       float_scalar=2, number_params=(2,)),
    Op("threshold_backward", 3, function=False, methods=(), inplace=False, has_out=False,
       categories=("int", "float"), names=("grad_output", "self", "threshold"), number_params=(2,)),
    Op("maximum_backward", 3, function=False, methods=(), inplace=False, has_out=False, categories=("float",)),
    Op("minimum_backward", 3, function=False, methods=(), inplace=False, has_out=False, categories=("float",)),
    Op("div_other_backward", 3, function=False, methods=(), inplace=False, has_out=False, categories=("float",)),
    Op("where_kernel", 3, kernel="where", function=False, methods=(), inplace=False, condition_first=True,
       exact_out="Expected out type to be {result} but got {out}"),
]
OPS_BY_NAME = {op.name: op for op in OPS}


# ---------------------------------------------------------------- execution
def _operand(x, compute, shape, device, via=None):
    """(storage, offset, strides) of `x` on `device` in the compute dtype, broadcast to
    `shape`; cast to `via` first when given (float16, for a float16 result computed in
    float32)."""
    if isinstance(x, Tensor):
        if via is not None and x.dtype is not via:
            x = x.to(via)  # (a float32 operand of a float16 result too)
        if x.dtype is not compute:
            x = x.to(compute)
        if x.device is not device:
            x = x.to(device)  # a CPU scalar (0-d) among another device's tensors
        strides = x._strides if x._shape == shape else broadcast_strides(x._shape, x._strides, shape)
        return x._storage, x._offset, strides
    store = _scalar_storage(x, compute) if via is None else _scalar_storage(x, via).astype(compute.np)
    return (store if device is CPU else backend_for(device).constant(store)), 0, (0,) * len(shape)


def _scalar_storage(value, d):
    try:
        if d is dt.float16:
            return dt.as_half((value,))
        if d is dt.float32 and isinstance(value, float) and not -_FLT_MAX <= value <= _FLT_MAX:
            with np.errstate(over="ignore"):  # too large for the dtype is inf, as torch casts
                return np.array((value,), dtype=d.np)
        return np.array((value,), dtype=d.np)
    except (OverflowError, ValueError):
        # torch wraps out-of-range Python ints into small integer dtypes.
        return np.array(value).astype(d.np).reshape(1)


def _as_operand(x, op, i):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Number, np.generic)):
        dt.check_scalar_argument(x)  # (torch's OverflowError for an int beyond 64 bits)
        return x.item() if isinstance(x, np.generic) else x
    if isinstance(x, np.ndarray):
        from nbtensor.ops.bridge import as_tensor
        return as_tensor(x)
    name = op.names[i] if i < len(op.names) else "other"
    raise TypeError(f"{op.name}(): argument '{name}' (position {i + 1}) must be Tensor, not {type(x).__name__}")


def _same_layout(a, b):
    return a._offset == b._offset and a._strides == b._strides and a._shape == b._shape


def apply(op, operands, out=None, inplace=False):
    """Run element-wise `op` on `operands` (tensors or numbers).

    With ``inplace=True`` the result is written into ``operands[0]``; with `out` into `out`.
    Everything is validated before `out` is touched: a call that raises leaves it as it was.
    """
    if inplace or out is not None:
        if fast_into(op, operands, operands[0] if inplace else out, inplace):
            return operands[0] if inplace else out
    else:
        fast = fast_result(op, operands)
        if fast is not None:
            return fast
    operands = [x if type(x) is Tensor else _as_operand(x, op, i) for i, x in enumerate(operands)]
    if out is not None:
        check_out_tensor(out, op.name)
    device = common_device(operands + [out])
    result_dtype, compute, kernel_dtype, common = op.dtypes(operands)
    if op.check is not None:
        op.check(op, operands, compute)
    shapes = [x._shape for x in operands if isinstance(x, Tensor)]
    shape = broadcast_shapes(*shapes) if len(shapes) > 1 else shapes[0]
    target = operands[0] if inplace else out
    shared = _check_target(op, operands, target, shape, result_dtype, inplace,
                           compute is not None and op.kernel_name(compute) == "copy") if target is not None else ()
    if compute is None:
        raise op.not_implemented(operands, result_dtype)
    if op.late_check is not None:
        op.late_check(op, operands, compute)
    if out is not None and out._shape != shape:
        resize_out(out, shape, _output_strides(op, operands, shape))
    if op.half is not None and result_dtype is dt.float16 and not _one_value(operands[1]):
        result = op.half(*operands)  # composed of ops whose layouts need not be torch's
        return copy_into(target if target is not None else _new_output(op, operands, shape, result_dtype, device), result)
    ins = []
    half = common is dt.float16
    for i, x in enumerate(operands):
        if i in shared and not _same_layout(target, x):
            x = x.clone()  # read from a private copy: the write would clobber inputs still to be read
        if i == 0 and op.condition_first:
            ins.append(_operand(x, dt.bool, shape, device))
        else:
            via = half and not (i == op.float_scalar and (not isinstance(x, Tensor) or i == 1 and _one_value(x)))
            ins.append(_operand(x, compute, shape, device, dt.float16 if via else None))
    kernel = op.kernel_name(compute)
    if (op.scalar_kernels is not None and compute.is_floating_point and not half
            and not isinstance(operands[1], Tensor)):
        special = op.scalar_kernels.get(operands[1])
        if special is not None:
            kernel, ins = special, ins[:1]
    # float16 results are computed in float32 and rounded to float16, also for an out= of
    # another dtype (torch: float16 / float16 into a float32 out= is 0.33325, not 1/3)
    direct = target is not None and target.dtype is kernel_dtype and (kernel_dtype is result_dtype or not half)
    dest = target if direct else _new_output(op, operands, shape, kernel_dtype, device)
    backend_for(device).elementwise(kernel, shape, _numel(shape), (dest._storage, dest._offset, dest._strides), ins)
    if kernel_dtype is not result_dtype:
        dest = dest.to(result_dtype)
    if target is not None:
        if not direct:
            copy_into(target, dest)
        return target
    return dest


def _check_target(op, operands, target, shape, result_dtype, inplace, copies=False):
    """Validate the in-place or ``out=`` destination in torch's order (memory overlaps, shape,
    dtype); returns the positions of the operands that share its memory. An ``out=`` of
    another shape is resized by the caller, once nothing can fail any more. `copies`: the
    op is a copy for these dtypes (floor of integers), which torch runs as ``copy_`` into the
    out= once resized: the overlap is judged on the layout it has now and again on the one
    it will have."""
    check_writable(target)
    shared = [i for i, x in enumerate(operands) if isinstance(x, Tensor) and _overlaps(target, x)]
    for i in shared:
        refuse_partial_overlap(target, operands[i])
    if (copies and shared and not inplace and shape != target._shape
            and target._offset + _numel(shape) <= target._storage.shape[0]):
        resized = make_view(target._storage, target._offset, shape, contiguous_strides(shape), target.dtype)
        for i in shared:
            refuse_partial_overlap(resized, operands[i])
    if shape != target._shape and (inplace or any(x is target for x in operands)):
        # torch resizes an out= only when it is not also an input
        raise RuntimeError(
            f"output with shape {list(target._shape)} doesn't match the broadcast shape {list(shape)}")
    if op.exact_out and not inplace:
        if target.dtype is not result_dtype:
            raise RuntimeError(op.exact_out.format(out=target.dtype.c_name, result=result_dtype.c_name))
    else:
        check_out_cast(target, result_dtype)
    return shared


def _output_strides(op, operands, shape):
    """Strides torch's TensorIterator gives a fresh output (None: row-major). Inputs of the
    result's shape that are all contiguous give a row-major result, all dense with the same
    strides give those strides; otherwise the dimensions are ordered by the inputs' strides
    (first input first; broadcast dimensions ignored; equal strides put the smaller size
    inside), as torch's reorder_dimensions, and the result is dense in that order."""
    if len(shape) < 2:
        return None
    a = operands[0]
    if op.number_first_row_major and not isinstance(a, Tensor):
        return None
    if (type(a) is Tensor and a._shape == shape and (a._contig or a._contig is None and a.is_contiguous())
            and 1 not in shape):
        return None  # the first input decides every order: row-major (a size-1 dim leaves it to the rest)
    tensors = [x for x in operands if isinstance(x, Tensor)]
    only_tensors = len(tensors) == len(operands) or (
        op.number_params and not any(isinstance(operands[i], Tensor) for i in op.number_params))
    key = (shape, only_tensors, tuple([(x._shape, x._strides) for x in tensors]))
    strides = _LAYOUTS.get(key, False)
    if strides is False:
        strides = remember(_LAYOUTS, key, _layout(tensors, shape, only_tensors))
    return strides


_LAYOUTS = {}  # (shape, whether only tensors are operands, their shapes and strides) -> strides


def _layout(tensors, shape, only_tensors):
    """torch's fast setup, for inputs all of the result's shape: all contiguous (None), all
    channels-last contiguous (channels-last strides), all dense in one layout (theirs); else
    the dimensions ordered by the inputs' strides."""
    if only_tensors and all(x._shape == shape for x in tensors):
        first = tensors[0]
        if all(x.is_contiguous() for x in tensors):
            return None
        fmt = CHANNELS_LAST_OF_RANK.get(len(shape))
        if fmt is not None and all(is_contiguous_in(shape, x._strides, fmt) for x in tensors):
            return format_strides(shape, fmt)
        if is_non_overlapping_and_dense(first) and all(x._strides == first._strides for x in tensors):
            return first._strides
    return strides_of_inputs(tensors, shape)


def _new_output(op, operands, shape, dtype, device):
    """A fresh output on `device` in the layout torch gives it (see `_output_strides`)."""
    strides = _output_strides(op, operands, shape)
    if strides is None:
        return empty_tensor(shape, dtype, device)
    return make(allocate(_numel(shape), dtype, shape, device), 0, shape, strides, dtype)


# Python ints up to this size convert exactly to float64 and never overflow float32/float16
# (a larger one takes the general path, which raises torch's overflow error if needed).
_EXACT_INT = 1 << 53
# The CPU backend: the fast paths below launch its flat kernels directly (its `allocate` is
# np.empty and its `elementwise` is its launcher, so reaching them through it costs nothing).
_CPU = backend_for(CPU)
_cpu_allocate = _CPU.allocate
_cpu_tuning = _CPU.tuning


def fast_result(op, operands):
    """The per-op floor for the common case: contiguous inputs of one dtype and shape, or a
    contiguous tensor and Python numbers (a ternary op's second and third operands: numbers
    or such tensors); other layouts of one dtype go to `_layout_fast_path`; everything else
    returns None. It runs kernels only, never another form (autograd's recorder calls it
    with grad mode on: see `plain_elementwise` in elementwise_forms.py)."""
    a = operands[0]
    if type(a) is not Tensor:
        return None
    entry = op.fast.get(a.dtype)
    if entry is None or a.device is not CPU:
        return None
    if not (a._contig or a._contig is None and a.is_contiguous()):
        return _layout_fast_path(op, entry, operands) if op.arity <= 2 else None
    n = _numel(a._shape)
    if n >= _cpu_tuning.PARALLEL_THRESHOLD or n == 0:
        return None
    flat = entry[2]
    if flat is None:
        flat = _bind_flat(entry)
    result_dtype = entry[1]
    sa = a._storage
    whole = a._offset == 0 and sa.size == n  # (then the cheaper call: `_whole_kernel`)
    if op.arity == 1:
        store = _cpu_allocate(n, result_dtype.np)
        if whole:
            entry[4](store, sa)
        else:
            flat(store, 0, sa, a._offset, 1, n, 1)
        return make(store, 0, a._shape, a._strides if 1 not in a._shape else _fresh_strides(op, operands),
                    result_dtype, True)
    b = operands[1]
    if type(b) is Tensor:
        if b.dtype is not a.dtype or b.device is not CPU:
            return None
        if b._shape != a._shape or not (b._contig or b._contig is None and b.is_contiguous()):
            if op.arity != 2:
                return None
            result = _one_element_broadcast(op, entry, a, b)
            return _layout_fast_path(op, entry, operands) if result is None else result
        bs, bo, sb = b._storage, b._offset, 1
        whole = whole and bo == 0 and bs.size == n
    else:
        bs = _fast_number(b, a.dtype)
        if bs is None:
            return None
        if op.scalar_kernels is not None and b in op.scalar_kernels:
            store = _cpu_allocate(n, result_dtype.np)  # x ** 0.5: the unary special kernel
            _CPU.flat_kernel(op.scalar_kernels[b])(store, 0, a._storage, a._offset, 1, n, 1)
            return make(store, 0, a._shape, a._strides if 1 not in a._shape else _fresh_strides(op, operands),
                        result_dtype, True)
        bo = sb = 0
    if op.arity == 2:
        store = _cpu_allocate(n, result_dtype.np)
        if whole:
            entry[4](store, sa, bs)
        else:
            flat(store, 0, sa, a._offset, 1, bs, bo, sb, n, 1)
    else:
        c = operands[2]
        if type(c) is Tensor:
            if (c.dtype is not a.dtype or c.device is not CPU or c._shape != a._shape
                    or not (c._contig or c._contig is None and c.is_contiguous())):
                return None
            cs, co, sc = c._storage, c._offset, 1
        else:
            cs, co, sc = _fast_number(c, a.dtype), 0, 0
            if cs is None:
                return None
        store = _cpu_allocate(n, result_dtype.np)
        flat(store, 0, a._storage, a._offset, 1, bs, bo, sb, cs, co, sc, n, 1)
    return make(store, 0, a._shape, a._strides if 1 not in a._shape else _fresh_strides(op, operands),
                result_dtype, True)


def _bind_flat(entry):
    """The flat kernel of fast-path `entry`, bound on its first use together with its
    `whole` variant (entry[4]: operands that are whole storages, offset 0, as fresh tensors
    are; four to seven fewer arguments for numba to unbox, ~0.3 us a call). Both are called
    by their compiled entry points for the types of their first call (see
    backends/cpu/direct.py): an entry's calls always pass storages of its dtypes and ints."""
    entry[4] = _CPU.bind_on_first_call(entry, 4, _CPU.whole_kernel(entry[0]))
    flat = entry[2] = _CPU.bind_on_first_call(entry, 2, _CPU.flat_kernel(entry[0]))
    return flat


def _fresh_strides(op, operands, like=None):
    """The strides of the fast paths' fresh result shaped as `like` (default: the first
    operand), a row-major operand with a size-1 dim (whose stride there may be anything):
    torch's choice (`_output_strides`), which is row-major whenever `like`'s strides are (the
    common case, checked first)."""
    like = operands[0] if like is None else like
    row = row_major_strides(like._shape)
    if like._strides == row:
        return row
    return _output_strides(op, operands, like._shape) or row


def _one_element_broadcast(op, entry, a, b):
    """``a op b`` by the flat kernel when one operand has one element and at most the other's
    dimensions, and the other is row-major (``X @ w + b`` with a bias of one element): the
    single element is read with stride 0. None for any other pair (both tensors of one
    CPU dtype, `a` row-major, checked by the caller)."""
    if _numel(b._shape) == 1 and len(b._shape) <= len(a._shape):
        big, sa, sb = a, 1, 0
    elif (_numel(a._shape) == 1 and len(a._shape) <= len(b._shape)
            and (b._contig or b._contig is None and b.is_contiguous())):
        big, sa, sb = b, 0, 1
    else:
        return None
    n = _numel(big._shape)
    if n >= _cpu_tuning.PARALLEL_THRESHOLD or n == 0:
        return None
    flat = entry[2]  # (set by the caller)
    result_dtype = entry[1]
    store = _cpu_allocate(n, result_dtype.np)
    flat(store, 0, a._storage, a._offset, sa, b._storage, b._offset, sb, n, 1)
    strides = big._strides if 1 not in big._shape else _fresh_strides(op, (a, b), big)
    return make(store, 0, big._shape, strides, result_dtype, True)


def fast_into(op, operands, target, inplace):
    """`fast_result` for an in-place op (`inplace`: `target` is ``operands[0]``) or an
    ``out=`` (`target`): writes and returns True when the target is a contiguous CPU tensor
    of the dtype the kernel computes and writes, the first operand a tensor of its shape,
    the others plain numbers or CPU tensors of that dtype whose shapes broadcast to it (any
    layout: an expanded gradient accumulating into ``.grad``; an ``out=`` of another shape
    is resized by the general path), and every tensor operand either is the target's exact
    memory or shares none of it (so none of torch's overlap, shape or cast errors can
    arise); else False, touching nothing."""
    d = target.dtype if type(target) is Tensor else None
    entry = op.fast.get(d)
    if (entry is None or entry[1] is not d or target.device is not CPU
            or not (target._contig or target._contig is None and target.is_contiguous())):
        return False
    store = target._storage
    shape = target._shape
    n = _numel(shape)
    if n >= _cpu_tuning.PARALLEL_THRESHOLD or n == 0 or not store.flags.writeable:
        return False
    offset = target._offset
    if len(operands) == 2:  # (``x += y``, ``add(x, y, out=z)``: the common calls, no argument lists)
        b = _whole(operands[1], target, d)
        a = (store, offset) if inplace else None if b is None else _whole(operands[0], target, d)
        if a is not None and b is not None:
            (sa, oa), (sb, ob) = a, b
            flat = entry[2]
            if flat is None:
                flat = _bind_flat(entry)
            if offset == 0 and oa == 0 and ob == 0 and n == store.size and sa.size == n and sb.size == n:
                entry[4](store, sa, sb)
            else:
                flat(store, offset, sa, oa, 1, sb, ob, 1, n, 1)
            return True
    if inplace:  # the target is its own first operand: nothing to check
        args = [store, offset, store, offset, 1]
        numbered = enumerate(operands[1:], 1)
    else:
        args = [store, offset]
        numbered = enumerate(operands)
    strided = None  # the operands as the N-d launcher takes them, once one is not row-major
    for i, x in numbered:
        if type(x) is Tensor:
            if x.dtype is not d or x.device is not CPU:
                return False
            xs = x._storage
            if xs is store:
                if x._offset != target._offset or x._strides != target._strides or x._shape != shape:
                    return False  # (torch's partial-overlap check compares strides too)
            elif _overlaps(target, x):
                return False  # (views of one NumPy array: the general path checks the overlap)
            if x._shape == shape and (x._contig or x._contig is None and x.is_contiguous()):
                args += (xs, x._offset, 1)
                if strided is not None:
                    strided.append((xs, x._offset, target._strides))
                continue
            if i == 0 or not broadcasts_to(x._shape, shape):
                return False  # (the first operand has the target's shape: so has the result)
            if strided is None:
                strided = [(s, o, target._strides if st == 1 else (0,) * len(shape))
                           for s, o, st in zip(args[2::3], args[3::3], args[4::3])]
            strided.append((xs, x._offset, broadcast_strides(x._shape, x._strides, shape)))
        elif i == 0:
            return False
        else:
            number = _fast_number(x, d)
            if number is None or op.scalar_kernels is not None and x in op.scalar_kernels:
                return False
            args += (number, 0, 0)
            if strided is not None:
                strided.append((number, 0, (0,) * len(shape)))
    if strided is not None:
        _CPU.elementwise(entry[0], shape, n, (store, target._offset, target._strides), strided)
        return True
    flat = entry[2]
    if flat is None:
        flat = _bind_flat(entry)
    flat(*args, n, 1)
    return True


def _whole(x, target, d):
    """(storage, offset) of `x` when it is a row-major CPU tensor of dtype `d` and of the
    row-major CPU `target`'s shape that is the target's exact memory or shares none of it
    (an operand `fast_into` reads by the flat kernel as it is); else None."""
    if (type(x) is not Tensor or x._shape != target._shape or x.dtype is not d or x.device is not CPU
            or not (x._contig or x._contig is None and x.is_contiguous())):
        return None
    xs, ts = x._storage, target._storage
    if xs is ts:  # (torch's partial-overlap check compares strides too)
        return (xs, x._offset) if x._offset == target._offset and x._strides == target._strides else None
    # (`_overlaps`' first answers, inlined: two storages whose memory two different NumPy
    # arrays own, as those of `from_numpy`, `rand` and `tensor` are, never share it)
    xo, to = xs.base, ts.base
    if xo is None and to is None:
        return (xs, x._offset)
    xo = xs if xo is None else xo
    to = ts if to is None else to
    if xo is not to and type(xo) is _ndarray and type(to) is _ndarray and xo.base is None and to.base is None:
        return (xs, x._offset)
    return None if _overlaps(target, x) else (xs, x._offset)


_ndarray = np.ndarray


_FLT_MAX = float(np.finfo(np.float32).max)


def _fast_number(x, d):
    """A one-element storage of the Python number `x` in the tensor dtype `d` when it
    converts exactly and without overflow (floats: finite in range, or an int up to 2**53;
    int64: an int in range); else None (the general path converts it, or refuses it: a list
    or an array, which could not be a key here either)."""
    kind = type(x)
    if kind is not float and kind is not int:
        return None
    key = (kind, x, d)
    found = _NUMBERS.get(key)
    if found is not None and (x or positive_zero(x)):
        return found  # (only numbers that passed the checks below are remembered; -0.0 is made each time)
    if d.is_floating_point:
        if type(x) is float:
            if d is dt.float32 and (x > _FLT_MAX or x < -_FLT_MAX):
                return None  # out of float32's range: the general path (no NumPy overflow warning)
        elif not (type(x) is int and -_EXACT_INT <= x <= _EXACT_INT):
            return None
    elif not (type(x) is int and d is dt.int64 and -_INT64 <= x < _INT64):
        return None
    found = np.array((x,), d.np)
    if x or positive_zero(x):  # (0.0 == -0.0 as keys: only +0.0's is kept)
        if len(_NUMBERS) >= 1024:
            _NUMBERS.clear()
        _NUMBERS[key] = found
    return found


def fast_where(condition, x, y):
    """``where(condition, x, y)`` for the common case, by the flat kernel: a bool mask and a
    float32, float64 or int64 tensor `x` of one shape, row-major on the CPU, and `y` a
    Python number `_fast_number` converts exactly or a row-major tensor of `x`'s dtype and
    shape (``where(mask, x, 0.0)``: the mixed dtypes send it down the general path); None
    for anything else (the general path checks, promotes and raises)."""
    if type(x) is not Tensor or type(condition) is not Tensor or condition.dtype is not dt.bool:
        return None
    d = x.dtype
    shape = x._shape
    if (d not in _WHERE_DTYPES or x.device is not CPU or condition.device is not CPU
            or condition._shape != shape or not x.is_contiguous() or not condition.is_contiguous()):
        return None
    n = _numel(shape)
    if n >= _cpu_tuning.PARALLEL_THRESHOLD or n == 0:
        return None
    if type(y) is Tensor:
        if y.dtype is not d or y.device is not CPU or y._shape != shape or not y.is_contiguous():
            return None
        ys, yo, sy = y._storage, y._offset, 1
    else:
        ys = _fast_number(y, d)
        if ys is None:
            return None
        yo = sy = 0
    kernel = _WHERE_KERNELS.get(d)
    if kernel is None:
        kernel = _WHERE_KERNELS[d] = _CPU.flat_kernel(OPS_BY_NAME["where_kernel"].kernel_name(d))
    store = _cpu_allocate(n, d.np)
    kernel(store, 0, condition._storage, condition._offset, 1, x._storage, x._offset, 1, ys, yo, sy, n, 1)
    strides = x._strides if 1 not in shape else _fresh_strides(OPS_BY_NAME["where_kernel"], (condition, x, y))
    return make(store, 0, shape, strides, d, True)


_WHERE_DTYPES = (dt.float32, dt.float64, dt.int64)
_WHERE_KERNELS = {}  # dtype -> flat kernel, bound on first use


_INT64 = 1 << 63
# (type, value, dtype) -> the one-element storage `_fast_number` made for it: the learning rate
# and batch size of an update step are the same numbers every step. Only kernels' inputs:
# nothing writes into them.
_NUMBERS = {}


# (shape and strides of a[, of b, or None for a number]) -> (result shape, numel, result
# strides, a's and b's broadcast strides, the CPU's `direct_layout` of them); None when the
# shapes do not broadcast.
_LAYOUT_PLANS = {}


def _layout_fast_path(op, entry, operands):
    """One or two CPU tensors of one dtype in any layout (broadcast, transposed, expanded —
    ``x - x.max(1, keepdim=True)``, a gradient expanded by sum's backward), or a tensor and a
    Python number: the broadcast and torch's output layout are worked out once per layout
    and the dtype checks are skipped. None where the general path must decide."""
    a = operands[0]
    if len(operands) == 1:
        key, b, bs, bo = (a._shape, a._strides), None, None, 0
    else:
        b = operands[1]
        if type(b) is Tensor:
            if b.dtype is not a.dtype or b.device is not CPU:
                return None
            key = (a._shape, a._strides, b._shape, b._strides)
            bs, bo = b._storage, b._offset
        else:
            bs = _fast_number(b, a.dtype)
            if bs is None or op.scalar_kernels is not None and b in op.scalar_kernels:
                return None
            key, bo = (a._shape, a._strides, None), 0
    plan = _LAYOUT_PLANS.get(key, False)
    if plan is False:
        plan = remember(_LAYOUT_PLANS, key, _layout_plan(op, operands))
    if plan is None or plan[1] == 0:
        return None
    shape, n, strides, sa, sb, direct = plan
    dtype = entry[1]
    store = _cpu_allocate(n, dtype.np)
    if direct is not None and n < _cpu_tuning.PARALLEL_THRESHOLD:
        _launch_direct(entry, direct, n, store, a, bs, bo)
    else:
        ins = [(a._storage, a._offset, sa)] if b is None else [(a._storage, a._offset, sa), (bs, bo, sb)]
        _CPU.elementwise(entry[0], shape, n, (store, 0, strides), ins)
    return make(store, 0, shape, strides, dtype)


def _launch_direct(entry, direct, n, store, a, bs, bo):
    """Run `entry`'s kernel into the fresh `store` by the flat or 2-D kernel `direct` names
    (`direct_layout`), skipping the launcher's per-call planning; `bs` is None for a unary op."""
    kind, layout = direct
    if kind == "flat":
        flat = entry[2]
        if flat is None:
            flat = _bind_flat(entry)
        if bs is None:
            flat(store, 0, a._storage, a._offset, layout[0], n, 1)
        else:
            flat(store, 0, a._storage, a._offset, layout[0], bs, bo, layout[1], n, 1)
        return
    grid = entry[3]
    if grid is None:
        grid = entry[3] = _CPU.bind_on_first_call(entry, 3, _CPU.grid_kernel(entry[0]))  # (see `_bind_flat`)
    rows, m, (to, so), (ta, sa) = layout[:4]
    if bs is None:
        grid(store, 0, to, so, a._storage, a._offset, ta, sa, rows, m)
    else:
        tb, sb = layout[4]
        grid(store, 0, to, so, a._storage, a._offset, ta, sa, bs, bo, tb, sb, rows, m)


def _layout_plan(op, operands):
    """`_layout_fast_path`'s plan for these operands' layouts (see `_LAYOUT_PLANS`)."""
    tensors = [x for x in operands if type(x) is Tensor]
    try:
        shape = broadcast_shapes(*[x._shape for x in tensors])
    except RuntimeError:
        return None  # the general path raises torch's error
    strides = _output_strides(op, operands, shape) or contiguous_strides(shape)
    sa = broadcast_strides(operands[0]._shape, operands[0]._strides, shape)
    if len(operands) == 1:
        sb = None
    elif len(tensors) == 2:
        sb = broadcast_strides(operands[1]._shape, operands[1]._strides, shape)
    else:
        sb = (0,) * len(shape)
    layouts = (strides, sa) if sb is None else (strides, sa, sb)
    return shape, _numel(shape), strides, sa, sb, _CPU.direct_layout(shape, layouts)


def _prepare_fast_paths():
    """Record, per op and dtype, the kernel that needs no cast, promotion or value check."""
    for op in OPS:
        if op.condition_first:
            continue  # (where: operand 0 is a bool mask)
        for d in dt.ALL_DTYPES:
            if d is dt.float16:
                continue
            if not d.is_floating_point and (op.check is not None or op.late_check is not None):
                continue
            try:
                res, compute, kernel_dtype, _ = op.dtypes([make(np.empty(1, d.np), 0, (1,), (1,), d)] * op.arity)
            except RuntimeError:
                continue
            if compute is d and res is kernel_dtype:
                # (the flat, 2-D and whole-storage kernels are bound on first use)
                op.fast[d] = [op.kernel_name(compute), res, None, None, None]


_prepare_fast_paths()
