"""Regressions for element-wise mismatches the differential fuzzer (tests/fuzz) found.

Expected values are written out by hand (torch 2.13 CPU is the reference), so the tests
run without torch.
"""
import math

import numpy as np
import pytest

import nbtensor as nt
from support import check

INF, NAN = math.inf, math.nan


# ---------------------------------------------------------------- sign of +-inf
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_sign_of_infinities(dtype):
    d = getattr(nt, dtype)
    x = nt.tensor([INF, -INF, 0.0, -0.0, NAN, 2.0, -3.0], dtype=d)
    expected = np.array([1, -1, 0, 0, 0, 1, -1], dtype=dtype)
    got = x.sign()
    check(got, expected)
    assert list(np.signbit(got.cpu().numpy())) == [False, True, False, False, False, False, True]
    x.sign_()
    check(x, expected)


@pytest.mark.parametrize("dtype,values,expected", [
    ("uint8", [0, 3, 255], [0, 1, 1]),
    ("int8", [-128, 3, 0], [-1, 1, 0]),
    ("int64", [-2**63, 2**63 - 1, 0], [-1, 1, 0]),
    ("bool", [True, False], [True, False]),
])
def test_sign_integers(dtype, values, expected):
    check(nt.tensor(values, dtype=getattr(nt, dtype)).sign(), np.array(expected, dtype=dtype))


# ---------------------------------------------------------------- which error comes first
# torch validates the destination (shape, dtype cast, overlap) before it dispatches the
# kernel, so a dtype without a kernel is reported only after those checks pass.
def test_cast_to_destination_is_checked_before_the_missing_kernel():
    v = nt.zeros(3, dtype=nt.bool)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Bool"):
        v ^= 0.1
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Short"):
        nt.bitwise_and(nt.zeros(3), nt.zeros(3), out=nt.zeros(3, dtype=nt.int16))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Int"):
        nt.zeros(3, dtype=nt.int32).bitwise_or_(0.5)
    with pytest.raises(NotImplementedError, match='"bitwise_and_cpu" not implemented for \'Float\''):
        nt.bitwise_and(nt.zeros(3), nt.zeros(3), out=nt.zeros(3))


def test_shape_and_overlap_are_checked_before_the_missing_kernel():
    with pytest.raises(RuntimeError, match="must match the size"):
        nt.zeros(3) & nt.zeros(2, dtype=nt.int32)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        nt.zeros(3).bitwise_xor_(nt.zeros(2, 3))
    v = nt.zeros(4)
    with pytest.raises(RuntimeError, match="unsupported operation"):
        v[1:].bitwise_xor_(v[:3])
    with pytest.raises(RuntimeError, match="more than one element"):
        nt.zeros(1, dtype=nt.bool).expand(3).floor_()
    with pytest.raises(RuntimeError, match="Found dtype Short but expected Bool"):
        nt.round(nt.zeros(3, dtype=nt.bool), out=nt.zeros(3, dtype=nt.int16))
    with pytest.raises(RuntimeError, match="Found dtype Int but expected Float"):
        nt.bitwise_not(nt.zeros(3), out=nt.zeros(3, dtype=nt.int32))


def test_zero_division_is_checked_after_the_destination():
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        nt.ones(3, dtype=nt.int64).floor_divide_(nt.zeros(2, 3, dtype=nt.int64))
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        nt.ones(3, dtype=nt.int64) % 0


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_invert_of_a_float_tensor_is_a_type_error(dtype):
    with pytest.raises(TypeError, match=r"~ \(operator.invert\) is only implemented on integer and Boolean"):
        ~nt.zeros(2, dtype=getattr(nt, dtype))
    with pytest.raises(NotImplementedError, match="bitwise_not_cpu"):
        nt.bitwise_not(nt.zeros(2, dtype=getattr(nt, dtype)))
    check(~nt.tensor([0, 5], dtype=nt.int8), np.int8([-1, -6]))
    check(~nt.tensor([True, False]), np.bool_([False, True]))


def test_kernel_names_of_unimplemented_dtypes():
    b = nt.tensor([True, False])
    for fn, name in ((nt.abs, "abs_cpu"), (nt.floor, "floor_vml_cpu"), (nt.ceil, "ceil_vml_cpu"),
                     (nt.trunc, "trunc_vml_cpu"), (nt.frac, "frac_cpu")):
        with pytest.raises(NotImplementedError, match=f'"{name}" not implemented for \'Bool\''):
            fn(b)
    with pytest.raises(NotImplementedError, match='"abs_cpu" not implemented for \'Bool\''):
        b.abs_()
    with pytest.raises(NotImplementedError, match='"abs_cpu"'):
        nt.abs(b, out=nt.zeros(2, dtype=nt.bool))
    with pytest.raises(NotImplementedError, match='"div_floor_cpu" not implemented for \'Bool\''):
        nt.floor_divide(b, b)
    with pytest.raises(NotImplementedError, match='"pow" not implemented for \'Bool\''):
        b ** b
    with pytest.raises(NotImplementedError, match='"pow" not implemented for \'Bool\''):
        nt.pow(True, b)
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        b - b
    with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
        b - 1
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        nt.relu(b)
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        _ = -b


def test_bool_power_of_a_python_bool():
    b = nt.tensor([True, False])
    check(nt.pow(b, True), np.bool_([True, False]))
    check(nt.pow(b, False), np.bool_([True, True]))
    check(b.clone().pow_(False), np.bool_([True, True]))
    check(b ** 2, np.int64([1, 0]))


def test_bool_results_that_torch_computes():
    b = nt.tensor([True, False])
    check(b.sign(), np.bool_([True, False]))
    check(nt.square(b), np.int64([1, 0]))


# ---------------------------------------------------------------- signatures
@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "relu"])
def test_no_out_keyword(name):
    with pytest.raises(TypeError, match=f"{name}\\(\\) got an unexpected keyword argument 'out'"):
        getattr(nt, name)(nt.ones(2), out=nt.ones(2))


def test_methods_take_no_out_keyword():
    x = nt.ones(2)
    for call in (lambda: x.add(x, out=nt.ones(2)), lambda: x.exp(out=nt.ones(2)),
                 lambda: x.div(x, out=nt.ones(2)), lambda: x.maximum(x, out=nt.ones(2))):
        with pytest.raises(TypeError, match="keyword argument|invalid combination"):
            call()


def test_method_type_errors_count_positions_after_self():
    with pytest.raises(TypeError, match=r"atan2_\(\): argument 'other' \(position 1\) must be Tensor, not int"):
        nt.ones(2).atan2_(2)
    with pytest.raises(TypeError, match=r"atan2\(\): argument 'other' \(position 1\)"):
        nt.ones(2).atan2(2)
    with pytest.raises(TypeError, match=r"atan2\(\): argument 'other' \(position 2\)"):
        nt.atan2(nt.ones(2), 2)


def test_clamp_min_and_max_forms():
    x = nt.tensor([1.0, 5.0])
    out = nt.zeros(2)
    nt.clamp_min(x, 2.0, out=out)
    check(out, np.float32([2, 5]))
    check(x.clone().clamp_min_(2.0), np.float32([2, 5]))
    check(x.clone().clamp_max_(2.0), np.float32([1, 2]))


# ---------------------------------------------------------------- lerp
def test_lerp_requires_tensor_input_and_end():
    a = nt.zeros(3, dtype=nt.int32)
    for call in (lambda: nt.lerp(a, 3, 0.5), lambda: nt.lerp(nt.zeros(3), 3.0, 0.5),
                 lambda: nt.lerp(1.0, nt.zeros(3), 0.5), lambda: nt.zeros(3).lerp(3.0, 0.5),
                 lambda: nt.zeros(3).lerp_(nt.zeros(3), "x")):
        with pytest.raises(TypeError, match="received an invalid combination of arguments"):
            call()


def test_lerp_dtype_checks():
    a = nt.zeros(3)
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype signed char"):
        nt.lerp(a, a.to(nt.int8), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        a.lerp_(a.double(), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype bool for `end` but got dtype float"):
        nt.lerp(nt.zeros(3, dtype=nt.bool), a, 0.5)
    # the dtype check comes before the shape check
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype signed char"):
        nt.lerp(a, nt.zeros(2, dtype=nt.int8), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype double"):
        nt.lerp(a, a, a.double())
    with pytest.raises(NotImplementedError, match='"lerp_kernel_scalar" not implemented for \'Int\''):
        nt.lerp(a.int(), a.int(), 0.5)
    with pytest.raises(NotImplementedError, match='"lerp_kernel_scalar" not implemented for \'Int\''):
        nt.lerp(a.int(), a.int(), 0.5, out=nt.zeros(3, dtype=nt.int8))
    with pytest.raises(NotImplementedError, match='"lerp_kernel_tensor" not implemented for \'Int\''):
        nt.lerp(a.int(), a.int(), a.int())


def test_lerp_zero_dim_weight_is_promoted():
    a = nt.ones(3, dtype=nt.int32)
    check(nt.lerp(a, a * 3, nt.tensor(0.5, dtype=nt.float64)), np.float64([2, 2, 2]))
    check(nt.lerp(nt.ones(3), nt.ones(3), nt.tensor(0.5, dtype=nt.float64)), np.float32([1, 1, 1]))
    with pytest.raises(RuntimeError, match="result type Double can't be cast to the desired output type Int"):
        a.lerp_(a * 3, nt.tensor(0.5, dtype=nt.float64))


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_lerp_with_infinities(dtype):
    d = getattr(nt, dtype)
    a = nt.tensor([INF, -INF, 1.0, INF, 0.0], dtype=d)
    b = nt.tensor([1.0, 2.0, INF, INF, -INF], dtype=d)
    expected = {
        0.25: [NAN, NAN, INF, NAN, -INF],
        0.75: [INF, -INF, NAN, NAN, NAN],
        0.0: [NAN] * 5,
        1.0: [NAN] * 5,
        0.5: [INF, -INF, NAN, NAN, NAN],
        2.0: [-INF, INF, INF, NAN, -INF],
    }
    for w, e in expected.items():
        check(nt.lerp(a, b, w), np.array(e, dtype=dtype))
        check(nt.lerp(a, b, nt.full((5,), w, dtype=d)), np.array(e, dtype=dtype))


def test_lerp_weight_one_gives_end_exactly():
    a, b = nt.tensor([1.0, 2.0, 3.0]), nt.tensor([7.0, -1.0, 0.3])
    check(nt.lerp(a, b, 1.0), np.float32([7.0, -1.0, 0.3]))
    check(nt.lerp(a, b, 0.0), np.float32([1.0, 2.0, 3.0]))


# ---------------------------------------------------------------- number arguments torch converts with a check
@pytest.mark.parametrize("call,ctype", [
    (lambda: nt.zeros((1, 4), dtype=nt.int8).clamp_(0, -129), "int8_t"),
    (lambda: nt.zeros(3, dtype=nt.float16).clamp_(2**40, 0.1), "c10::Half"),
    (lambda: nt.zeros(3, dtype=nt.float16).clamp(max=1e5), "c10::Half"),
    (lambda: nt.zeros(3, dtype=nt.uint8).clamp_(300, 3), "uint8_t"),
    (lambda: nt.zeros(3, dtype=nt.uint8).clamp(max=-256), "uint8_t"),
    (lambda: nt.zeros(3, dtype=nt.int32).clip(0, 2**40), "int"),
    (lambda: nt.zeros(3).clamp(0, 1e39), "float"),
    (lambda: nt.clamp(nt.zeros(3, dtype=nt.int8), 0, 200, out=nt.zeros(3, dtype=nt.int8)), "int8_t"),
    (lambda: nt.sub(nt.ones(2, dtype=nt.int8), 3, alpha=300), "int8_t"),
    (lambda: nt.ones(2, dtype=nt.uint8).sub(nt.ones(2, dtype=nt.uint8), alpha=-256), "uint8_t"),
    (lambda: nt.ones(2, dtype=nt.float16).sub(1.0, alpha=1e6), "c10::Half"),
    (lambda: nt.ones(2, dtype=nt.int32).add_(nt.ones(2, dtype=nt.int32), alpha=2**40), "int"),
    (lambda: nt.ones(2, dtype=nt.int8).pow_(300), "int8_t"),
    (lambda: nt.ones(2, dtype=nt.int32).pow(2**40), "int"),
    (lambda: nt.ones(2, dtype=nt.float16) ** 1e6, "c10::Half"),
    (lambda: nt.where(nt.zeros(2) > 0, nt.zeros(2, dtype=nt.int8), 300), "int8_t"),
    (lambda: nt.zeros(2, dtype=nt.int8).where(nt.zeros(2) > 0, 300), "int8_t"),
    (lambda: nt.where(nt.zeros(2) > 0, nt.zeros(2), 1e39), "float"),
])
def test_number_argument_overflow(call, ctype):
    with pytest.raises(RuntimeError, match=f"value cannot be converted to type {ctype} without overflow"):
        call()


def test_number_arguments_that_fit_or_wrap():
    check(nt.tensor([1, 2, 3], dtype=nt.uint8).clamp(max=-255), np.uint8([1, 1, 1]))  # two's complement
    check(nt.zeros(3, dtype=nt.uint8).clamp(-1), np.uint8([255, 255, 255]))
    check(nt.sub(nt.tensor([1, 2], dtype=nt.int8), 300), np.int8([-43, -42]))  # an operand wraps
    check(nt.sub(nt.tensor([1, 2], dtype=nt.int8), 300, alpha=2), np.int8([-87, -86]))
    check(nt.tensor([1, 2], dtype=nt.int8).sub(nt.tensor([1, 2], dtype=nt.int8).float(), alpha=1000),
          np.float32([-999, -1998]))
    check(300 ** nt.tensor([1, 2], dtype=nt.int8), np.int8([44, -112]))
    check(nt.where(nt.zeros(2) > 0, nt.zeros(2, dtype=nt.float16), 1e5), np.float16([INF, INF]))
    check(nt.where(nt.zeros(2) > 0, nt.zeros(2, dtype=nt.uint8), -255), np.uint8([1, 1]))
    check(nt.zeros(2, dtype=nt.float16).clamp(max=INF, min=-INF), np.float16([0, 0]))


def test_clamp_bound_beyond_64_bits_is_an_overflow_error():
    with pytest.raises(OverflowError, match="int too big to convert"):
        nt.zeros(3, dtype=nt.int8).clamp(NAN, 2**70)


def test_inplace_clamp_that_would_promote():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type signed char"):
        nt.zeros(3, dtype=nt.int8).clamp_(0, NAN)


# ---------------------------------------------------------------- clamp with a NaN bound
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_clamp_with_a_nan_bound_is_nan(dtype):
    d = getattr(nt, dtype)
    x = nt.tensor([1.0, NAN, -1.0], dtype=d)
    nan3 = np.full(3, NAN, dtype=dtype)
    check(x.clamp(0, NAN), nan3)
    check(x.clamp(NAN, 1), nan3)
    check(x.clamp(INF, NAN), nan3)
    check(x.clamp(min=NAN), nan3)
    check(x.clamp(max=NAN), nan3)
    check(x.clip(NAN, 2**40), nan3)
    y = x.clone()
    y.clamp_(NAN, 5)
    check(y, nan3)
    check(x.clamp(nt.tensor(NAN, dtype=d), nt.tensor(2.0, dtype=d)), nan3)
    # a NaN element bound gives NaN where it is
    check(x.clamp(min=nt.tensor([0.0, 0.0, NAN], dtype=d), max=nt.tensor(3.0, dtype=d)),
          np.array([1.0, NAN, NAN], dtype=dtype))
    check(x.clamp(2, 0), np.array([0.0, NAN, 0.0], dtype=dtype))  # min > max gives max


def test_clamp_of_an_integer_tensor_with_a_nan_bound():
    check(nt.tensor([1, 2, 3]).clamp(0, NAN), np.full(3, NAN, np.float32))


# ---------------------------------------------------------------- float16: rounding of operands
def test_float16_operands_round_to_float16_before_float32_arithmetic():
    x = nt.tensor([1.0, 2.0, 3.0], dtype=nt.float16)
    # torch: remainder, sub, fmod, pow... round the number to float16 first
    check(x % 0.1, np.float16([0.000244140625, 0.00048828125, 0.000732421875]))
    check(x - 0.1, np.float16([0.89990234375, 1.900390625, 2.900390625]))
    check(nt.fmod(x, 0.3), np.float16([0.099853515625, 0.19970703125, 0.299560546875]))
    # ... but mul and div take a number divisor/factor in float32 unrounded
    check(x * 0.1, np.float16([0.0999755859375, 0.199951171875, 0.300048828125]))
    check(0.1 * x, np.float16([0.0999755859375, 0.199951171875, 0.300048828125]))  # __rmul__ is mul(x, 0.1)
    check(x / 0.3, np.float16([3.333984375, 6.66796875, 10.0]))
    # comparisons compare with the float16 value of the number
    h = nt.tensor([0.1, 65504.0], dtype=nt.float16)
    check(h == 0.1, np.bool_([True, False]))
    check(h < 70000, np.bool_([True, True]))
    check(h == nt.tensor(0.1, dtype=nt.float64), np.bool_([True, False]))


def test_integer_operand_of_a_float16_result_rounds_to_float16():
    v0 = nt.arange(6, dtype=nt.float16).reshape((3, 2))
    v1 = nt.tensor([[-2, 5], [-3, 64], [-9223372036854775808, 2]])
    check(nt.remainder(v1, v0), np.float16([[NAN, 0.0], [1.0, 1.0], [NAN, 2.0]]))
    check(nt.tensor([70000, 2**40]) * nt.tensor(1.0, dtype=nt.float16), np.float16([INF, INF]))


def test_float16_result_into_a_float32_out_is_rounded_to_float16():
    v0 = nt.arange(4, dtype=nt.float16).reshape((2, 2))
    v3 = nt.zeros((2, 2))
    nt.div(v0.select(-2, -2), v0, out=v3)
    check(v3, np.float32([[NAN, 1.0], [0.0, 0.333251953125]]))


# ---------------------------------------------------------------- number / tensor
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_number_divided_by_a_tensor_is_reciprocal_times_number(dtype):
    x = np.concatenate([np.arange(-20, 20, 0.37), [1000.0, 3.0, 7.0, -3000.0]]).astype(dtype)
    wide = np.float32 if dtype == "float16" else getattr(np, dtype)
    for s in (0.1, 2.9, 3, 7):
        with np.errstate(divide="ignore"):
            expected = ((1 / x.astype(wide)).astype(dtype).astype(wide) * wide(s)).astype(dtype)
        check(s / nt.tensor(x), expected)


def test_number_divided_by_an_integer_tensor():
    check(3 / nt.tensor([1, 2, 0]), np.float32([3.0, 1.5, INF]))
    check(3 / nt.tensor([True, False]), np.float32([3.0, INF]))


# ---------------------------------------------------------------- more orderings
def test_sub_bool_check_sees_the_operand_not_alpha_times_it():
    x = nt.arange(3, dtype=nt.float64)
    for call in (lambda: x.clone().sub_(False, alpha=2.0), lambda: nt.sub(x, True, alpha=2),
                 lambda: nt.sub(x > 0, x, alpha=2), lambda: nt.sub(x, x > 0, alpha=2, out=x.clone())):
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
            call()
    check(nt.arange(3).add(True, alpha=2), np.int64([2, 3, 4]))


def test_out_that_is_also_an_input_is_not_resized():
    x = nt.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        nt.add(x, nt.zeros(2, 3), out=x)
    s = nt.zeros(())
    with pytest.raises(RuntimeError, match=r"output with shape \[\] doesn't match the broadcast shape \[2\]"):
        nt.eq(s, nt.zeros(2), out=s)
    o = nt.zeros(0)
    nt.add(x, x, out=o)  # an out= that is not an input is resized
    assert tuple(o.shape) == (3,)


def test_failed_out_call_leaves_out_unchanged():
    # torch resizes out= before it finds no kernel; nbtensor validates everything first
    x, o = nt.zeros(3), nt.ones(1)
    with pytest.raises(NotImplementedError, match="bitwise_or_cpu"):
        nt.bitwise_or(x, x, out=o)
    check(o, np.float32([1.0]))
    # a view that could not grow: still the missing kernel is what is reported
    base = nt.ones(4, dtype=nt.float16)
    with pytest.raises(NotImplementedError, match="bitwise_or_cpu"):
        nt.bitwise_or(nt.zeros(4, 2, 4, dtype=nt.float16), nt.zeros(4, 2, 4, dtype=nt.float16), out=base[:2])


# ---------------------------------------------------------------- layout of a fresh result
def _sizable_strides(t):
    return tuple(st for st, sz in zip(t.stride(), t.shape) if sz > 1)


def test_result_layout_follows_torchs_dimension_order():
    # (torch 2.13's strides, for dimensions of size > 1)
    v4 = nt.zeros((3, 1, 2, 2), dtype=nt.int8).narrow(0, 1, 1).permute(3, 2, 1, 0)
    assert _sizable_strides(v4 < nt.zeros((1, 2, 3), dtype=nt.int64)) == (6, 12, 3, 1)
    v2 = nt.zeros((4, 3, 2), dtype=nt.int64).diagonal(1, 2, -3)
    assert _sizable_strides(nt.cos(v2)) == (1, 3) and _sizable_strides(v2.neg()) == (1, 3)
    x = nt.arange(54, dtype=nt.float32).reshape(3, 3, 3, 2)
    d = x.diagonal(1, -3, -4)  # shape (3, 2, 2), not dense
    assert _sizable_strides(d * d) == (2, 1, 6)
    assert _sizable_strides(d * 2.5) == (2, 1, 6)
    v3 = nt.zeros((3, 5, 1), dtype=nt.float16).permute(2, 1, 0)
    assert _sizable_strides(nt.true_divide(nt.zeros((3, 5, 1), dtype=nt.int16), v3)) == (15, 1, 5)
    t = nt.ones(3, 4).T
    assert _sizable_strides(t + t) == (1, 4)  # dense: the input's strides
    assert _sizable_strides(t + nt.ones(4, 3)) == (1, 4)  # the first input decides
    assert _sizable_strides(nt.ones(4, 3) + t) == (3, 1)
    out = nt.zeros(0)
    nt.mul(d, d, out=out)  # a resized out= gets the same layout
    assert _sizable_strides(out) == (2, 1, 6)
    # pow with a number base is torch's pow(Scalar, Tensor): a row-major result
    p = nt.zeros((2, 4, 3, 2)).transpose(-1, 1)
    assert (2 ** p).stride() == (24, 12, 4, 1) and nt.pow(False, p).stride() == (24, 12, 4, 1)
    assert (p ** 2).stride() == (24, 1, 2, 6) and (2 - p).stride() == (24, 1, 2, 6)


def test_float32_zero_dim_operand_of_a_float16_result_rounds_to_float16():
    v2 = nt.arange(12, dtype=nt.float16)
    v2 += nt.tensor(1.324)  # 1.324 is 1.32421875 in float16; 7 + that ties to 8.328125
    assert v2.cpu().numpy()[7] == np.float16(8.328125)
    check(nt.arange(8, dtype=nt.float16)[7:] * nt.tensor(1.324), np.float16([9.265625]))  # mul: unrounded


def test_lerp_number_weight_enters_float16_lerp_unrounded():
    a = nt.tensor([-20.0, 0.37, 3.0], dtype=nt.float16)
    b = nt.tensor([7.0, -1.5, 2.0], dtype=nt.float16)
    af, bf = a.cpu().numpy().astype(np.float32), b.cpu().numpy().astype(np.float32)
    for w in (0.1, 0.3):
        wf = np.float32(w)
        check(nt.lerp(a, b, w), (af + wf * (bf - af)).astype(np.float16))
        wh = np.float32(np.float16(w))  # a 0-d weight tensor is promoted to float16 first
        check(nt.lerp(a, b, nt.tensor(w, dtype=nt.float64)), (af + wh * (bf - af)).astype(np.float16))


def test_inplace_clamp_refuses_a_bound_that_partly_overlaps_self():
    v = nt.zeros(4)
    with pytest.raises(RuntimeError, match="unsupported operation: some elements"):
        v[1:].clamp_(min=v[:3])
    check(v.clamp_(min=v), np.float32([0, 0, 0, 0]))  # the very same elements are fine
    with pytest.raises(RuntimeError, match="more than one element"):
        nt.zeros(1).expand(3).clamp_(min=0.5)


def test_sub_checks_minus_alpha():
    # torch's sub is add with -alpha: the negated alpha must fit the dtype
    x = nt.ones(2, dtype=nt.int8)
    check(nt.sub(x, x, alpha=128), np.int8([-127, -127]))
    with pytest.raises(RuntimeError, match="int8_t without overflow"):
        nt.sub(x, x, alpha=-129)  # -(-129) = 129 does not fit
    with pytest.raises(RuntimeError, match="int8_t without overflow"):
        nt.add(x, x, alpha=128)
    y = nt.ones(2, dtype=nt.int32)
    check(y.sub(y, alpha=2**31), np.int32([-2147483647, -2147483647]))
    u = nt.ones(2, dtype=nt.uint8)
    check(u.sub(u, alpha=255), np.uint8([2, 2]))
    with pytest.raises(RuntimeError, match="uint8_t without overflow"):
        u.sub(u, alpha=256)


def test_alpha_does_not_hide_an_overlap_with_other():
    v = nt.zeros(4)
    for call in (lambda: v[1:].add_(v[:3], alpha=2), lambda: v[1:].sub_(v[:3], alpha=2),
                 lambda: nt.add(v[:3], v[:3], alpha=2, out=v[1:])):
        with pytest.raises(RuntimeError, match="unsupported operation: some elements"):
            call()
    w = nt.ones(4)
    check(w.add_(w, alpha=2), np.float32([3, 3, 3, 3]))  # the very same elements are fine


def test_integer_divisor_is_checked_after_the_cast_to_the_result_dtype():
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        v = nt.zeros(1, dtype=nt.int16)
        v //= nt.tensor(-9223372036854775808)  # 0 in int16
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        nt.remainder(nt.full((1, 3), 5, dtype=nt.int8), nt.tensor(256))
    check(nt.remainder(nt.full((1, 3), 5, dtype=nt.int8), nt.tensor(257)), np.int8([[0, 0, 0]]))


def test_alpha_times_a_number_wraps_in_int64():
    check(nt.sub(nt.zeros(1, dtype=nt.int64), 2**40, alpha=2**40), np.int64([0]))  # 2**80 wraps to 0
    check(nt.arange(5).sub_(2**40, alpha=2**31), np.int64([0, 1, 2, 3, 4]))
    check(nt.arange(5, dtype=nt.int32).add(2**62, alpha=5), np.int32([0, 1, 2, 3, 4]))


def test_a_double_becomes_half_through_float_as_in_torch():
    # c10::Half is built from a float: 0.632 / 300 rounds to float32, then to half (0.0021057),
    # where NumPy's direct double -> half gives 0.0021076
    v = 0.632 / 300
    expected = np.float16(np.float32(v))
    assert expected != np.float16(v)
    h = nt.zeros(2, dtype=nt.float16)
    h[0] = v
    values = [nt.tensor([v]).half(), nt.tensor([v], dtype=nt.float16), nt.full((2,), v, dtype=nt.float16),
              nt.zeros(2, dtype=nt.float16) + v, h[:1], nt.zeros(2, dtype=nt.float16).fill_(v)]
    for t in values:
        assert t[0].item() == float(expected)
    out = nt.empty(1, dtype=nt.float16)
    nt.div(nt.tensor([0.632], dtype=nt.float64), 300, out=out)
    check(out, np.float16([expected]))


def test_float16_mul_div_by_one_value_read_in_float32():
    # torch's reduced-float scalar path reads a one-value divisor in float32 from its own dtype
    # (2**30 stays 2**30); an expanded divisor of another dtype is cast to half first (inf)
    x = nt.tensor([-32768.0, 3.0], dtype=nt.float16)
    expected = (np.float32([-32768.0, 3.0]) / np.float32(2**30)).astype(np.float16)
    check(x / nt.tensor([2**30]), expected)
    check(x / nt.tensor(2**30), expected)
    small = np.float16([0.001, -0.0002])
    check(nt.tensor(small) * nt.tensor([70000]), (small.astype(np.float32) * np.float32(70000)).astype(np.float16))
    check(x / nt.tensor([2**30]).expand(2), np.float16([-0.0, 0.0]))


def test_one_tensor_value_under_one_mask_is_masked_fill():
    # torch's index_put_ dispatches one value under one bool mask to masked_fill_(mask,
    # value.item()): any value dtype, with a Scalar's overflow check
    x = nt.zeros(2, 3)
    x[nt.tensor([True, False])] = nt.ones(1, dtype=nt.int16)
    x[:, nt.tensor([False, True, False])] = nt.tensor(7.5, dtype=nt.float64)
    check(x, np.float32([[1, 7.5, 1], [0, 7.5, 0]]))
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        x[nt.tensor([True, False])] = nt.ones(1, 3, dtype=nt.int16)  # several values: index_put_
    h = nt.ones(2, 3, dtype=nt.float16)
    with pytest.raises(RuntimeError, match="c10::Half without overflow"):
        h[h > 0] = nt.tensor(2147483541)
    with pytest.raises(RuntimeError, match="int8_t without overflow"):
        x8 = nt.zeros(2, dtype=nt.int8)
        x8[nt.tensor([True, True])] = nt.tensor(300)
    h[h > 0] = 1e5  # a number was converted to half before (inf), as in torch
    check(h, np.full((2, 3), np.inf, np.float16))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64"])
def test_truncating_division_by_minus_one_wraps_the_most_negative_value(dtype):
    # two's complement: -(-128) is -128 in int8, as torch's int8/int16 kernels give (its
    # int32/int64 kernels die with SIGFPE there); the rest is plain negation
    lo = int(np.iinfo(dtype).min)
    x = nt.tensor([lo, lo + 1, -7, 7], dtype=getattr(nt, dtype))
    check(nt.div(x, -1, rounding_mode="trunc"), np.array([lo, -(lo + 1), 7, -7], dtype))
    check(nt.div(x, nt.full((4,), -1, dtype=x.dtype), rounding_mode="trunc"), np.array([lo, -(lo + 1), 7, -7], dtype))


def test_a_0d_bool_tensor_index_is_a_python_bool():
    # torch indexes with a 0-d bool tensor as with True/False (a new dimension of size 1 or
    # 0), so its memory is no index that could overlap the destination
    x = nt.arange(3)
    assert x[nt.tensor(True)].shape == (1, 3) and x[nt.tensor(False)].shape == (0, 3)
    flag = nt.zeros((), dtype=nt.bool)
    view = flag.flatten()
    view[flag] = view.ne(flag)  # writes nothing (flag is False); torch raises no overlap error
    check(view, np.array([False]))
    y = nt.zeros(3)
    y[nt.tensor(True)] = 5
    check(y, np.float32([5, 5, 5]))


def test_a_mask_partially_overlapping_the_destination_is_refused():
    # torch's masked_fill_ (which x[mask] = one value is): the very same elements are fine,
    # a dense mask sharing only some of them raises
    b = nt.tensor([True, False, True, True])
    b[b] = False
    check(b, np.array([False] * 4))
    for value in (False, nt.tensor(False)):
        b = nt.tensor([True, False, True, True])
        with pytest.raises(RuntimeError, match="single memory location"):
            b[:3][b[1:]] = value
        check(b, np.array([True, False, True, True]))
    b = nt.tensor([True, False, True, True])
    b[::2][b[1::2]] = False  # strided views sharing no element
    check(b, np.array([True, False, False, True]))


@pytest.mark.parametrize("make_input", [lambda v: v.T, lambda v: v.reshape(-1)[:2]],
                         ids=["transposed view", "leading part"])
def test_floor_of_integers_into_an_out_it_overlaps_once_resized_raises(make_input):
    # torch: floor of integers is a copy_ into the resized out=, which refuses the partial
    # overlap (fuzz seed 30138490); an op with a kernel (neg) checks only before resizing
    v = nt.ones((4, 1), dtype=nt.int8)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        nt.floor(make_input(v), out=v)
    assert v.tolist() == [[1], [1], [1], [1]]


def test_an_op_with_a_kernel_accepts_an_out_of_the_same_memory_before_resizing():
    v = nt.ones((4, 1), dtype=nt.int8)
    with pytest.warns(UserWarning, match="was resized"):
        nt.neg(v.T, out=v)
    assert v.shape == (1, 4) and v.tolist() == [[-1, -1, -1, -1]]


def test_in_place_with_an_operand_over_the_same_elements_in_other_strides_raises():
    # (2, 1) with strides (1, 1) and (1, 2): the same memory, but torch compares strides as
    # they are, a partial overlap (fuzz seed 30231960)
    v = nt.zeros((1, 2), dtype=nt.int16)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        v.reshape((2, 1)).bitwise_and_(v.t())
    f = nt.zeros((1, 2))
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        nt.add(f.reshape((2, 1)), f.t(), out=f.reshape((2, 1)))


def test_a_fresh_result_takes_torchs_strides_where_a_size_1_dim_leaves_them_open():
    # a row-major input whose size-1 dim has any stride: torch's fast setup makes the result
    # of same-shape operands row-major, and with a number the dims are ordered by the
    # strides, equal ones putting the smaller size inside (fuzz seed 30401357)
    x = nt.zeros(2, 6)[:1, :3]
    assert x.stride() == (6, 1)
    for r in (x + x, x.exp(), x * 2, nt.where(x > 0, x, 0.0), nt.logical_or(x, x)):
        assert r.stride() == (3, 1)
    b = nt.zeros(4, 1).t()
    assert b.stride() == (1, 1)
    assert (b + b).stride() == (4, 1)
    assert (b + 1).stride() == (1, 1)
    assert (b + nt.ones(1)).stride() == (1, 1)


def test_numbers_torch_passes_as_kernel_parameters_leave_the_layout_to_the_tensors():
    # pow's number exponent, clamp's number bounds and lerp's number weight are parameters of
    # torch's kernel, not operands: a contiguous input (size-1 dims strided anyhow) gives a
    # row-major result; a number that torch wraps as a 0-d tensor (x * 2) is an operand
    x = nt.as_strided(nt.zeros(6), (1, 3, 1, 2), (1, 2, 1, 1))
    assert x.is_contiguous()
    for r in (x ** 0.5, x ** 3, x.clamp(0, 1), x.clamp(min=0), x.clamp(max=0), nt.lerp(x, x, 0.3)):
        assert r.stride() == (6, 2, 2, 1)
    for r in (x * 2, x + x.sum(), nt.lerp(x, x, nt.tensor(0.3)), nt.where(x > 0, x, 0.0)):
        assert r.stride() == (1, 2, 1, 1)


def test_channels_last_inputs_give_a_channels_last_result():
    # torch's fast setup: same-shape inputs all dense in channels-last order (size-1 dims
    # strided anyhow) give a channels-last result; a 5-D one the 3-D channels-last order
    x = nt.zeros(3, 2).t().reshape(1, 2, 1, 3)
    assert x.stride() == (2, 1, 6, 2) and not x.is_contiguous()
    for r in (x.exp(), x + x, x ** 0.5, nt.relu(x)):
        assert r.stride() == (6, 1, 6, 2)
    y = nt.zeros(2, 4, 5, 3).permute(0, 3, 1, 2)  # (2, 3, 4, 5), channels innermost
    assert (y * y).stride() == (60, 1, 15, 3)
    z = nt.zeros(2, 4, 5, 6, 3).permute(0, 4, 1, 2, 3)
    assert z.sigmoid().stride() == (360, 1, 90, 18, 3)
    assert (x * 2).stride() == (2, 1, 6, 2)  # (a number operand: no fast setup)


def test_equal_compares_in_the_promoted_dtype():
    # torch's equal is eq in the promoted dtype: int32 -2**31 as float16 is -inf (fuzz seed 30403970)
    v = nt.tensor([-2 ** 31, -3, 64], dtype=nt.int32)
    assert nt.equal(v.to(nt.float16), v)
    assert nt.equal(nt.tensor([16777217], dtype=nt.int32), nt.tensor([16777216.0]))  # both float32 16777216
    assert not nt.equal(nt.tensor([float("nan")]), nt.tensor([float("nan")]))
    assert nt.equal(nt.tensor([True, False]), nt.tensor([1, 0]))
