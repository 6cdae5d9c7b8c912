"""Element-wise operations: one table row per op generates every form of it.

A row names the op, its promotion rule and its kernel(s); `install()` derives the function
(``nbtensor.add``), the method (``Tensor.add``), the in-place method (``add_``), the
operators (``__add__``, ``__radd__``, ``__iadd__``) and ``out=`` from it.
"""
import numbers

import numpy as np

from . import _cpu
from . import _dtype as dt
from ._out import check_out_cast, check_out_tensor, resize_out
from ._plan import broadcast_shapes, broadcast_strides, contiguous_strides, remember
from ._tensor import (Tensor, _numel, _overlaps, check_writable, copy_into, refuse_partial_overlap,
                      empty_like_layout, empty_tensor, is_non_overlapping_and_dense, make, make_contiguous)

# ---------------------------------------------------------------- promotion rules
SAME, FLOAT, COMPARE, LOGICAL, BITWISE = "same", "float", "compare", "logical", "bitwise"


def result_type(*operands):
    """torch's result dtype: dimensioned tensors outrank 0-d tensors, which outrank Python
    numbers, unless a lower class brings a higher category (bool < integer < floating)."""
    dim = zero = wrapped = None
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
    return dt.combine_categories(dim, dt.combine_categories(zero, wrapped))


def _category(d):
    return "float" if d.is_floating_point else "bool" if d is dt.bool else "int"


_FOUND_DTYPE = "Found dtype {out} but expected {result}"


class Op:
    """One element-wise op: its kernels and promotion rule, and the names of its forms."""

    def __init__(self, name, arity, rule=SAME, kernel=None, function=True, methods=None,
                 inplace=True, dunders=(), check=None, categories=("bool", "int", "float"),
                 condition_first=False, scalars="both", scalar_kernels=None, exact_out=None,
                 bool_to_long=False, error_name=None, names=("input", "other")):
        self.name = name
        self.names = names  # torch's keyword names of the function's operands
        self.error_name = error_name or name  # torch's kernel name in "not implemented" errors
        self.arity = arity
        self.rule = rule
        kernel = kernel or name
        self.kernels = kernel if isinstance(kernel, dict) else {c: kernel for c in ("bool", "int", "float")}
        self.function = function
        self.methods = (name,) if methods is None else methods
        self.inplace = inplace
        self.dunders = dunders
        self.check = check  # extra validation: check(op, operands, compute_dtype)
        self.categories = categories
        self.condition_first = condition_first  # operand 0 is a bool mask, not promoted
        # Which arguments of the function form may be Python numbers, as torch's signatures
        # allow: "both" (add, pow), "other" (eq, fmod: the input must be a tensor), "none".
        self.scalars = scalars
        # float kernels torch uses for a Python-number operand 1 (pow: x ** 0.5 is sqrt(x),
        # so (-inf) ** 0.5 is nan and (-0.) ** 0.5 is -0.)
        self.scalar_kernels = scalar_kernels
        # out= must have the result's dtype exactly (torch's unary ops that keep the dtype,
        # clamp, where) rather than any dtype the result casts to: the message when it has not.
        if exact_out is None and arity == 1 and rule in (SAME, BITWISE) and name != "square":
            exact_out = _FOUND_DTYPE
        self.exact_out = exact_out
        self.bool_to_long = bool_to_long  # a bool result is int64 (square is pow(x, 2) in torch)
        self.fast = {}  # dtype -> (kernel_flat, result_dtype) when inputs need no cast

    def dtypes(self, operands):
        """(result dtype, compute dtype, kernel output dtype) for these operands."""
        res = result_type(*(operands[1:] if self.condition_first else operands))
        cat = _category(res)
        if cat not in self.categories or self.kernels.get(cat) is None:
            if res is dt.bool and self.name == "relu":
                raise RuntimeError("Boolean inputs not supported for relu")
            raise NotImplementedError(f'"{self.error_name}_cpu" not implemented for \'{res.c_name}\'')
        if self.rule == FLOAT and not res.is_floating_point:
            res = dt.get_default_dtype()
        elif self.bool_to_long and res is dt.bool:
            res = dt.int64
        compute = dt.float32 if res is dt.float16 else res
        if self.rule in (COMPARE, LOGICAL):
            return dt.bool, compute, dt.bool
        return res, compute, compute

    def kernel_name(self, compute):
        return self.kernels[_category(compute)]


# ---------------------------------------------------------------- validation hooks
def _no_bool_sub(op, operands, compute):
    if any(x.dtype is dt.bool if isinstance(x, Tensor) else isinstance(x, (bool, np.bool_)) for x in operands):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _no_bool_neg(op, operands, compute):
    if compute is dt.bool:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _any_zero(x, compute):
    if isinstance(x, Tensor):
        return x.numel() > 0 and not np.all(x.numpy())
    return _scalar_storage(x, compute)[0] == 0  # as the kernel sees it: 256 is 0 in int8


def _integer_divisor(op, operands, compute):
    if compute.is_floating_point or any(isinstance(x, Tensor) and 0 in x._shape for x in operands):
        return  # float division by zero is inf/nan; an empty result divides nothing
    if _any_zero(operands[1], compute):
        raise RuntimeError(f"ZeroDivisionError: {op.name} of an integer tensor by zero")


def _integer_power(op, operands, compute):
    # Only a Python-number exponent is refused; an exponent tensor follows integer rules
    # (1 ** -n = 1, (-1) ** -n = +-1, otherwise 0), as torch computes it.
    e = operands[1]
    if not compute.is_floating_point and not isinstance(e, Tensor) and e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def _float_only(op, operands, compute):
    if not compute.is_floating_point:
        raise NotImplementedError(f'"{op.error_name}_cpu" not implemented for \'{compute.c_name}\'')


def _float_inputs(op, operands, compute):
    # lerp: the tensors themselves must be floating (a float weight does not promote them)
    x = operands[0]
    if isinstance(x, Tensor) and not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{op.name}_kernel_scalar" not implemented for \'{x.dtype.c_name}\'')


_INT_IDENTITY = {"int": "copy"}  # torch has no rounding kernels for bool

# ---------------------------------------------------------------- the table
OPS = [
    # binary arithmetic
    Op("add", 2, dunders=("__add__", "__radd__", "__iadd__")),
    Op("sub", 2, check=_no_bool_sub, methods=("sub", "subtract"), dunders=("__sub__", "__rsub__", "__isub__")),
    Op("mul", 2, methods=("mul", "multiply"), dunders=("__mul__", "__rmul__", "__imul__")),
    Op("div", 2, FLOAT, methods=("div", "divide", "true_divide"), dunders=("__truediv__", "__rtruediv__", "__itruediv__")),
    Op("floor_divide", 2, kernel={"int": "floor_divide_int", "float": "floor_divide"}, check=_integer_divisor,
       dunders=("__floordiv__", "__rfloordiv__", "__ifloordiv__"), categories=("int", "float")),
    Op("div_trunc", 2, kernel={"int": "div_trunc_int", "float": "div_trunc"}, check=_integer_divisor,
       function=False, methods=(), inplace=False, categories=("int", "float")),
    Op("remainder", 2, kernel={"int": "remainder", "float": "remainder_float"}, check=_integer_divisor,
       dunders=("__mod__", "__rmod__", "__imod__"),
       categories=("int", "float")),
    Op("fmod", 2, kernel={"int": "fmod_int", "float": "fmod"}, check=_integer_divisor,
       categories=("int", "float"), scalars="other"),
    Op("pow", 2, kernel={"int": "pow_int", "float": "pow"}, check=_integer_power, categories=("int", "float"),
       dunders=("__pow__", "__rpow__", "__ipow__"), scalar_kernels={0.5: "sqrt", -0.5: "rsqrt"},
       names=("input", "exponent")),
    Op("atan2", 2, FLOAT, methods=("atan2", "arctan2"), scalars="none"),
    Op("copysign", 2, FLOAT, scalars="other"),
    Op("logaddexp", 2, inplace=False, categories=("float",), scalars="none"),
    Op("maximum", 2, inplace=False, scalars="none"),
    Op("minimum", 2, inplace=False, scalars="none"),
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
    Op("bitwise_and", 2, BITWISE, categories=("bool", "int"), dunders=("__and__", "__rand__", "__iand__")),
    Op("bitwise_or", 2, BITWISE, categories=("bool", "int"), dunders=("__or__", "__ror__", "__ior__")),
    Op("bitwise_xor", 2, BITWISE, categories=("bool", "int"), dunders=("__xor__", "__rxor__", "__ixor__")),
    Op("bitwise_left_shift", 2, BITWISE, kernel="lshift", categories=("int",), error_name="lshift",
       dunders=("__lshift__", "__rlshift__", "__ilshift__")),
    Op("bitwise_right_shift", 2, BITWISE, kernel="rshift", categories=("int",), error_name="rshift",
       dunders=("__rshift__", "__rrshift__", "__irshift__")),
    # unary
    Op("neg", 1, check=_no_bool_neg, methods=("neg", "negative"), dunders=("__neg__",)),
    Op("abs", 1, kernel={"bool": "copy", "int": "abs", "float": "abs"}, methods=("abs", "absolute"),
       dunders=("__abs__",)),
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
    Op("sigmoid", 1, FLOAT),
    Op("relu", 1, categories=("int", "float")),
    Op("sign", 1, kernel={"bool": "copy", "int": "sign", "float": "sign"}),
    Op("floor", 1, kernel=dict(_INT_IDENTITY, float="floor"), categories=("int", "float")),
    Op("ceil", 1, kernel=dict(_INT_IDENTITY, float="ceil"), categories=("int", "float")),
    Op("round", 1, kernel=dict(_INT_IDENTITY, float="round"), function=False, methods=(), inplace=False,
       categories=("int", "float")),
    Op("trunc", 1, kernel=dict(_INT_IDENTITY, float="trunc"), methods=("trunc", "fix"), categories=("int", "float")),
    Op("frac", 1, check=_float_only),
    Op("isnan", 1, COMPARE, inplace=False),
    Op("isinf", 1, COMPARE, inplace=False),
    Op("isfinite", 1, COMPARE, inplace=False),
    Op("logical_not", 1, LOGICAL),
    Op("bitwise_not", 1, BITWISE, kernel={"bool": "logical_not", "int": "bitwise_not"},
       categories=("bool", "int"), dunders=("__invert__",)),
    # ternary
    Op("clamp_both", 3, kernel="clamp", function=False, methods=(), inplace=False, exact_out=_FOUND_DTYPE),
    Op("lerp", 3, check=_float_inputs),
    Op("where_kernel", 3, kernel="where", function=False, methods=(), inplace=False, condition_first=True,
       exact_out="Expected out type to be {result} but got {out}"),
]
OPS_BY_NAME = {op.name: op for op in OPS}


# ---------------------------------------------------------------- execution
def _operand(x, compute, shape):
    """(storage, offset, strides) of `x` in the compute dtype, broadcast to `shape`."""
    if isinstance(x, Tensor):
        if x.dtype is not compute:
            x = x.to(compute)
        strides = x._strides if x._shape == shape else broadcast_strides(x._shape, x._strides, shape)
        return x._storage, x._offset, strides
    return _scalar_storage(x, compute), 0, (0,) * len(shape)


def _scalar_storage(value, d):
    try:
        return np.array((value,), dtype=d.np)
    except (OverflowError, ValueError):
        # torch wraps out-of-range Python ints into small integer dtypes.
        return np.array(value).astype(d.np).reshape(1)


_POSITION_NAMES = ("input", "other", "other")


def _as_operand(x, op, i):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Number, np.generic)):
        return x.item() if isinstance(x, np.generic) else x
    if isinstance(x, np.ndarray):
        from ._bridge import as_tensor
        return as_tensor(x)
    raise TypeError(f"{op.name}(): argument '{_POSITION_NAMES[i]}' (position {i + 1}) must be Tensor, "
                    f"not {type(x).__name__}")


def _check_devices(operands):
    devs = {x.device for x in operands if isinstance(x, Tensor)}
    if len(devs) > 1:
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            + " and ".join(sorted(str(d) for d in devs)) + "!")


def _same_layout(a, b):
    return a._offset == b._offset and a._strides == b._strides and a._shape == b._shape


def apply(op, operands, out=None, inplace=False):
    """Run element-wise `op` on `operands` (tensors or numbers).

    With ``inplace=True`` the result is written into ``operands[0]``; with `out` into `out`.
    Everything is validated before `out` is touched: a call that raises leaves it as it was.
    """
    fast = _fast_path(op, operands) if out is None and not inplace else None
    if fast is not None:
        return fast
    operands = [x if type(x) is Tensor else _as_operand(x, op, i) for i, x in enumerate(operands)]
    if out is not None:
        check_out_tensor(out, op.name)
    _check_devices(operands + [out])
    result_dtype, compute, kernel_dtype = op.dtypes(operands)
    if op.check is not None:
        op.check(op, operands, compute)
    shapes = [x._shape for x in operands if isinstance(x, Tensor)]
    shape = broadcast_shapes(*shapes) if len(shapes) > 1 else shapes[0]
    target = operands[0] if inplace else out
    shared = _check_target(op, operands, target, shape, result_dtype, inplace) if target is not None else ()
    ins = []
    for i, x in enumerate(operands):
        if i in shared and not _same_layout(target, x):
            x = x.clone()  # read from a private copy: the write would clobber inputs still to be read
        ins.append(_operand(x, dt.bool if i == 0 and op.condition_first else compute, shape))
    kernel = op.kernel_name(compute)
    if op.scalar_kernels is not None and compute.is_floating_point and not isinstance(operands[1], Tensor):
        special = op.scalar_kernels.get(operands[1])
        if special is not None:
            kernel, ins = special, ins[:1]
    direct = target is not None and target.dtype is kernel_dtype
    dest = target if direct else _new_output(operands, shape, kernel_dtype)
    _cpu.run(kernel, shape, _numel(shape), (dest._storage, dest._offset, dest._strides), ins)
    if target is not None:
        if not direct:
            copy_into(target, dest)
        return target
    if kernel_dtype is not result_dtype:
        return dest.to(result_dtype)
    return dest


def _check_target(op, operands, target, shape, result_dtype, inplace):
    """Validate the in-place or ``out=`` destination, then (``out=``) resize it; returns the
    positions of the operands that share its memory."""
    if inplace and shape != target._shape:
        raise RuntimeError(
            f"output with shape {list(target._shape)} doesn't match the broadcast shape {list(shape)}")
    if op.exact_out and not inplace:
        if target.dtype is not result_dtype:
            raise RuntimeError(op.exact_out.format(out=target.dtype.c_name, result=result_dtype.c_name))
    else:
        check_out_cast(target, result_dtype)
    check_writable(target)
    shared = [i for i, x in enumerate(operands) if isinstance(x, Tensor) and _overlaps(target, x)]
    for i in shared:
        refuse_partial_overlap(target, operands[i])
    if not inplace and target._shape != shape:
        resize_out(target, shape, _output_strides(operands, shape))
    return shared


def _output_strides(operands, shape):
    """Strides torch gives a fresh output: those of a full-shape dense input (a transposed
    input gives a transposed result), else row-major."""
    for x in operands:
        if isinstance(x, Tensor) and x._shape == shape:
            if not x.is_contiguous() and is_non_overlapping_and_dense(x):
                return x._strides
            break
    return None


def _new_output(operands, shape, dtype):
    """Output in the layout of a full-shape dense input (torch keeps e.g. transposed order)."""
    for x in operands:
        if isinstance(x, Tensor) and x._shape == shape:
            return empty_like_layout(x, dtype)
    return empty_tensor(shape, dtype)


# Python ints up to this size convert exactly to float64 and never overflow float32/float16
# (a larger one takes the general path, which raises torch's overflow error if needed).
_EXACT_INT = 1 << 53


def _fast_path(op, operands):
    """The per-op floor for the common case: contiguous inputs of one dtype and shape, or a
    contiguous tensor and a Python number; everything else returns None."""
    a = operands[0]
    if type(a) is not Tensor:
        return None
    entry = op.fast.get(a.dtype)
    if entry is None or not (a._contig or a._contig is None and a.is_contiguous()):
        return None
    n = _numel(a._shape)
    if n >= _cpu.PARALLEL_THRESHOLD or n == 0:
        return None
    flat = entry[2]
    if flat is None:
        flat = entry[2] = _cpu.kernel(entry[0], "_flat")
    result_dtype = entry[1]
    if op.arity == 1:
        store = np.empty(n, result_dtype.np)
        flat(store, 0, a._storage, a._offset, 1, n, 1)
    else:
        b = operands[1]
        if type(b) is Tensor:
            if b.dtype is not a.dtype or not (b._contig or b._contig is None and b.is_contiguous()):
                return None
            if b._shape != a._shape:
                return _broadcast_fast_path(entry, a, b)
            bs, bo, sb = b._storage, b._offset, 1
        elif (a.dtype.is_floating_point and (type(b) is float or type(b) is int and -_EXACT_INT <= b <= _EXACT_INT)
              or type(b) is int and a.dtype is dt.int64):
            if op.scalar_kernels is not None and b in op.scalar_kernels:
                if not a.dtype.is_floating_point:
                    return None
                store = np.empty(n, result_dtype.np)  # x ** 0.5: the unary special kernel
                _cpu.kernel(op.scalar_kernels[b], "_flat")(store, 0, a._storage, a._offset, 1, n, 1)
                return make_contiguous(store, 0, a._shape, a._strides, result_dtype)
            bs, bo, sb = np.array((b,), a.dtype.np), 0, 0
        else:
            return None
        store = np.empty(n, result_dtype.np)
        flat(store, 0, a._storage, a._offset, 1, bs, bo, sb, n, 1)
    return make_contiguous(store, 0, a._shape, a._strides, result_dtype)


# (shape of a, shape of b) -> (result shape, numel, result strides, a's and b's broadcast
# strides) for contiguous operands; None when the shapes do not broadcast.
_BROADCASTS = {}


def _broadcast_fast_path(entry, a, b):
    """Two contiguous tensors of one dtype and different shapes (``x - x.max(1, keepdim=True)``):
    the broadcast is worked out once per pair of shapes and the dtype checks are skipped."""
    key = (a._shape, b._shape)
    bc = _BROADCASTS.get(key, False)
    if bc is False:
        try:
            shape = broadcast_shapes(a._shape, b._shape)
        except RuntimeError:
            bc = None  # the general path raises torch's error
        else:
            bc = (shape, _numel(shape), contiguous_strides(shape),
                  broadcast_strides(a._shape, a._strides, shape), broadcast_strides(b._shape, b._strides, shape))
        remember(_BROADCASTS, key, bc)
    if bc is None or bc[1] == 0 or a.device is not b.device:
        return None
    shape, n, strides, sa, sb = bc
    store = np.empty(n, entry[1].np)
    _cpu.run(entry[0], shape, n, (store, 0, strides), [(a._storage, a._offset, sa), (b._storage, b._offset, sb)])
    return make_contiguous(store, 0, shape, strides, entry[1])


def _prepare_fast_paths():
    """Record, per op and dtype, the kernel that needs no cast, promotion or value check."""
    for op in OPS:
        if op.arity == 3:
            continue
        for d in dt.ALL_DTYPES:
            if d is dt.float16 or (op.check is not None and not d.is_floating_point):
                continue
            try:
                res, compute, kernel_dtype = op.dtypes([make(None, 0, (1,), (1,), d)] * op.arity)
            except RuntimeError:
                continue
            if compute is d and res is kernel_dtype:
                op.fast[d] = [op.kernel_name(compute), res, None]  # kernel bound on first use


_prepare_fast_paths()
