"""The scalar expression of every element-wise kernel, keyed by kernel name.

`{0}`, `{1}`, `{2}` stand for the input elements; `zero` and `one` are constants of the
first input's dtype. Names from scalar.py and vmath.py, `np` and `math` may be used.
codegen.py turns each row into the kernels in generated/ and reduce.py.
"""

UNARY = {
    "copy": "{0}",
    "neg": "-{0}",
    "abs": "abs({0})",
    "reciprocal": "one / {0}",
    "square": "{0} * {0}",
    "exp": "vexp({0})",
    "exp2": "np.exp2({0})",
    "expm1": "np.expm1({0})",
    "log": "vlog({0})",
    "log2": "np.log2({0})",
    "log10": "np.log10({0})",
    "log1p": "np.log1p({0})",
    "sqrt": "np.sqrt({0})",
    "rsqrt": "one / np.sqrt({0})",
    "sin": "np.sin({0})",
    "cos": "np.cos({0})",
    "tan": "np.tan({0})",
    "asin": "np.arcsin({0})",
    "acos": "np.arccos({0})",
    "atan": "np.arctan({0})",
    "asinh": "np.arcsinh({0})",
    "acosh": "np.arccosh({0})",
    "atanh": "np.arctanh({0})",
    "sinh": "np.sinh({0})",
    "cosh": "np.cosh({0})",
    "tanh": "np.tanh({0})",
    "erf": "erf({0})",
    "erfc": "math.erfc({0})",
    "erfinv": "erfinv({0})",
    "lgamma": "lgamma({0})",
    "digamma": "digamma({0})",
    "sigmoid": "sigmoid({0})",
    "relu": "zero if {0} < zero else {0}",
    "sign": "sign({0}, zero, one)",  # torch: sign(nan) is 0, sign(+-inf) is +-1
    "floor": "np.floor({0})",
    "ceil": "np.ceil({0})",
    "round": "round_half_even({0})",
    "trunc": "np.trunc({0})",
    "frac": "{0} - np.trunc({0})",
    "isnan": "{0} != {0}",
    "isinf": "abs({0}) == np.inf",
    "isfinite": "abs({0}) < np.inf",
    "logical_not": "{0} == zero",
    "bitwise_not": "~{0}",
}

BINARY = {
    "add": "{0} + {1}",
    "sub": "{0} - {1}",
    "mul": "{0} * {1}",
    "div": "{0} / {1}",
    "floor_divide": "{0} // {1}",
    "floor_divide_int": "floor_div_int({0}, {1})",
    "div_trunc": "np.trunc({0} / {1})",
    "div_trunc_int": "trunc_div_int({0}, {1})",
    "remainder": "{0} % {1}",
    "remainder_float": "remainder_float({0}, {1})",
    "fmod": "np.fmod({0}, {1})",
    "fmod_int": "fmod_int({0}, {1})",
    "pow": "{0} ** {1}",
    "pow_int": "ipow({0}, {1})",
    "atan2": "np.arctan2({0}, {1})",
    "copysign": "np.copysign({0}, {1})",
    "logaddexp": "logaddexp({0}, {1})",
    "hypot": "math.hypot({0}, {1})",
    "lshift": "lshift({0}, {1})",
    "rshift": "rshift({0}, {1})",
    "maximum": "maximum({0}, {1})",
    "minimum": "minimum({0}, {1})",
    "fmax": "fmax({0}, {1})",
    "fmin": "fmin({0}, {1})",
    "eq": "{0} == {1}",
    "ne": "{0} != {1}",
    "lt": "{0} < {1}",
    "le": "{0} <= {1}",
    "gt": "{0} > {1}",
    "ge": "{0} >= {1}",
    "logical_and": "({0} != zero) & ({1} != zero)",
    "logical_or": "({0} != zero) | ({1} != zero)",
    "logical_xor": "({0} != zero) != ({1} != zero)",
    "bitwise_and": "{0} & {1}",
    "bitwise_or": "{0} | {1}",
    "bitwise_xor": "{0} ^ {1}",
}

TERNARY = {
    "where": "select({0}, {1}, {2})",
    "clamp": "clamp({0}, {1}, {2})",
    # torch: for |weight| >= 0.5 from the end, so that weight 1 gives `end` exactly
    "lerp": "{0} + {2} * ({1} - {0}) if abs({2}) < 0.5 else {1} - ({1} - {0}) * (one - {2})",
    # add/sub with alpha, fused as torch's: x + alpha * y (floats: one fma in float64, so that
    # alpha * y neither overflows nor rounds on its own; integers wrap in their dtype)
    "add_alpha": "{0} + {2} * {1}",
    "add_alpha_float": "fma_wide({2}, {1}, {0})",
    "add_alpha_bool": "({0} != zero) | (({2} != zero) & ({1} != zero))",
    # relu's and threshold's gradient: the incoming gradient where x is above the threshold
    # (a NaN x is not at or below it: relu(nan)'s gradient passes, as torch's)
    "threshold_backward": "zero if {1} <= {2} else {0}",
    # maximum's and minimum's gradient for x (operands g, x, y): none where y wins, half at a
    # tie, all of it otherwise (also where either is NaN: the result is NaN too)
    "maximum_backward": "zero if {1} < {2} else ({0} / (one + one) if {1} == {2} else {0})",
    "minimum_backward": "zero if {1} > {2} else ({0} / (one + one) if {1} == {2} else {0})",
    # the divisor's gradient of x / y (operands g, x, y): torch's -g * ((x / y) / y), which
    # neither overflows nor underflows where y * y would
    "div_other_backward": "-{0} * (({1} / {2}) / {2})",
}

# Reductions: (how the accumulator starts from the first element, how it takes the next).
# `acc` is the accumulator, `v` the next element; both in the output (accumulator) dtype.
REDUCTIONS = {
    "sum": "acc + v",
    "prod": "acc * v",
    "max": "maximum(acc, v)",
    "min": "minimum(acc, v)",
}
# How the first element enters the accumulator, where not as it is: torch's sums start
# from +0., so a sum of -0. is +0. (x + 0. is not folded away: no fast-math nsz flag).
REDUCTION_FIRST = {"sum": "{0} + cast(0)"}
# Reductions whose contiguous runs are reduced by a helper from blocked.py,
# called as helper(run, acc) -> acc.
RUN_HELPERS = {"sum": "blocked_sum"}
# Reductions whose long contiguous runs are reduced in LANES independent lanes (the
# comparison that takes the next element, strict: a tie keeps what was there), then again
# in order by the plain update when the lanes' answer could depend on the order: a NaN
# seen, or an extreme of 0 (0. and -0. tie; torch keeps the first).
LANE_COMPARISONS = {"max": ">", "min": "<"}
LANES = 8
# Reductions that also get a `<name>_reduce_ordered` kernel: no reassociation, so each
# output multiplies its elements first to last. torch's CPU loop does that for short runs
# (fewer than 4 vectors), and where a float product overflows and meets a zero the order
# decides between nan and 0.
ORDERED_REDUCTIONS = ("prod",)
# Reductions that also get a `<name>_reduce_narrow` kernel: accumulated in float64 as
# `<name>_reduce`, stored into an output of a narrower float dtype (a float32 sum past
# float32's range is inf, as torch's), so a small float32 sum needs no narrowing copy.
NARROWING_REDUCTIONS = ("sum",)
