"""Data types: the `dtype` objects, their aliases, the default dtype and torch's promotion rules."""
import builtins

import numpy as np

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types"]

# Categories used by torch's promotion rule: bool < integer < floating.
BOOL, INTEGER, FLOATING = 0, 1, 2


class dtype:
    """A tensor element type, printed as ``nbtensor.float32``.

    There is exactly one instance per type, so dtypes compare with ``is``.
    """

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "category", "rank",
                 "c_name", "cpp_name")

    def __init__(self, name, np_dtype, category, rank, c_name):
        self.name = name
        self.c_name = c_name  # the name torch's error messages use (Float, Long, ...)
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = category == FLOATING
        self.is_signed = name not in ("bool", "uint8")
        self.category = category
        self.rank = rank  # position in the promotion lattice within a category

    @property
    def is_complex(self):
        return False

    def to_complex(self):
        raise TypeError(f"nbtensor has no complex dtypes (asked for the complex form of {self})")

    def __repr__(self):
        return f"nbtensor.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


dtype.__module__ = "nbtensor"  # shown as nbtensor.dtype, as torch.dtype

bool = dtype("bool", np.bool_, BOOL, 0, "Bool")
uint8 = dtype("uint8", np.uint8, INTEGER, 0, "Byte")
int8 = dtype("int8", np.int8, INTEGER, 0, "Char")
int16 = dtype("int16", np.int16, INTEGER, 1, "Short")
int32 = dtype("int32", np.int32, INTEGER, 2, "Int")
int64 = dtype("int64", np.int64, INTEGER, 3, "Long")
float16 = dtype("float16", np.float16, FLOATING, 0, "Half")
float32 = dtype("float32", np.float32, FLOATING, 1, "Float")
float64 = dtype("float64", np.float64, FLOATING, 2, "Double")

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)

# The C++ type names some of torch's messages use ("Expected out tensor to have dtype float").
for _d, _cpp in zip(ALL_DTYPES, ("bool", "unsigned char", "signed char", "short int", "int", "long int",
                                 "c10::Half", "float", "double")):
    _d.cpp_name = _cpp

ALIASES = {
    "bool": bool, "uint8": uint8, "int8": int8, "int16": int16, "short": int16,
    "int32": int32, "int": int32, "int64": int64, "long": int64,
    "float16": float16, "half": float16, "float32": float32, "float": float32,
    "float64": float64, "double": float64,
}

_BY_NUMPY = {d.np: d for d in ALL_DTYPES}


def _dtype_by_name(name):
    return ALIASES[name]


def from_numpy_dtype(np_dtype):
    """The nbtensor dtype for a NumPy dtype; TypeError when nbtensor has none."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(value):
    """Accept a dtype, a NumPy dtype/type, a Python type or an alias string; return a dtype."""
    if isinstance(value, dtype):
        return value
    if value is builtins.float:
        return float64  # torch maps the Python type float to float64, not the default dtype
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool
    if isinstance(value, str):
        name = value[len("torch."):] if value.startswith("torch.") else value
        name = name[len("nbtensor."):] if name.startswith("nbtensor.") else name
        if name in ALIASES:
            return ALIASES[name]
        raise TypeError(f"invalid dtype: {value!r}")
    try:
        return from_numpy_dtype(value)
    except TypeError:
        raise TypeError(f"invalid dtype: {value!r} is not an nbtensor dtype") from None


def dtype_argument(value, fn):
    """A ``dtype=`` argument of function `fn`: torch takes dtypes and the Python types, and
    raises TypeError for a name such as ``'float32'``."""
    if isinstance(value, str):
        raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not str")
    return to_dtype(value)


_default_dtype = float32


def get_default_dtype():
    """The floating dtype used for Python floats and float-producing creators (float32 at start)."""
    return _default_dtype


def set_default_dtype(d):
    """Set the default floating dtype (float32 or float64, as torch allows; float16 too)."""
    global _default_dtype
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d


def _promote_pair(a, b):
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == INTEGER:
        if uint8 in (a, b):
            other = b if a is uint8 else a
            # uint8 with int8 needs int16 to hold both ranges; wider ints already do.
            return int16 if other is int8 else other
        return a if a.rank > b.rank else b
    return a if a.rank > b.rank else b


_PROMOTE = {(a, b): _promote_pair(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(type1, type2):
    """The smallest dtype to which both may be cast, by torch's lattice."""
    return _PROMOTE[(to_dtype(type1), to_dtype(type2))]


def scalar_dtype(value):
    """The dtype torch gives a Python number when it takes part in an op."""
    if isinstance(value, builtins.bool) or isinstance(value, np.bool_):
        return bool
    if isinstance(value, (builtins.int, np.integer)):
        return int64
    if isinstance(value, (builtins.float, np.floating)):
        return _default_dtype
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def check_scalar_argument(value):
    """torch's argument parser's errors for a number passed where it takes a Scalar (a fill
    value, an operand, alpha, a bound, a weight): a Python int must lie in [-2**63, 2**64)
    (it is read as an int64, or as a uint64 from 2**63 on), and a NumPy uint64 must hold an
    int64 (OverflowError / TypeError, as torch; nothing is checked for any other value)."""
    t = type(value)
    if t is builtins.int:
        if not -2**63 <= value < 2**64:
            raise OverflowError("can't convert negative int to unsigned" if value < 0 else "int too big to convert")
    elif t is np.uint64 and value >= 2**63:
        raise TypeError("an integer is required")


def combine_categories(higher, lower):
    """torch's rule for letting a lower-priority operand class raise the result category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return _PROMOTE[(higher, lower)]
    return higher


def can_cast(from_, to):
    """True when torch allows casting `from_` into `to` in an in-place op or ``out=``."""
    from_, to = to_dtype(from_), to_dtype(to)
    return from_.category <= to.category


def as_half(values):
    """NumPy `values` (an array or a number) converted to float16 as torch converts: a
    double goes through float first (c10::Half is built from a float), so it is rounded
    twice (0.632 / 300 is 0.0021057, where rounding once gives 0.0021076)."""
    a = np.asarray(values)
    if a.dtype == np.float64:
        with np.errstate(over="ignore"):  # beyond float32 is inf, as beyond float16
            a = a.astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # too large for half is inf, as in torch
        return a.astype(np.float16)
