"""Python-number conversion and integer/float range edges: torch's results and errors
(hand-computed expectations; no torch import)."""
import math

import numpy as np
import pytest

import nbtensor as torch


# ------------------------------------------------------------ Scalar arguments beyond 64 bits
@pytest.mark.parametrize("call", [
    lambda v: torch.full((2,), v, dtype=torch.float32),
    lambda v: torch.scalar_tensor(v),
    lambda v: torch.full_like(torch.zeros(2), v),
    lambda v: torch.zeros(2).new_full((2,), v),
    lambda v: torch.zeros(2) + v,
    lambda v: v - torch.zeros(2),
    lambda v: torch.zeros(2).eq(v),
    lambda v: torch.where(torch.tensor([True, False]), torch.zeros(2), v),
    lambda v: torch.zeros(2).lerp(torch.ones(2), v),
    lambda v: torch.zeros(2).masked_fill(torch.tensor([True, False]), v),
    lambda v: torch.zeros(2).index_fill(0, torch.tensor([0]), v),
    lambda v: torch.zeros(2).add(torch.ones(2), alpha=v),
    lambda v: torch.linspace(0, v, 3),
])
def test_int_beyond_64_bits_is_overflow_error(call):
    with pytest.raises(OverflowError, match="^int too big to convert"):
        call(2 ** 64)
    with pytest.raises(OverflowError, match="^can't convert negative int to unsigned"):
        call(-2 ** 63 - 1)


def test_numpy_uint64_beyond_int64_is_type_error():
    with pytest.raises(TypeError, match="^an integer is required"):
        torch.full((2,), np.uint64(2 ** 64 - 1), dtype=torch.bool)
    with pytest.raises(TypeError, match="^an integer is required"):
        torch.zeros(2).masked_fill(torch.tensor([True, False]), np.uint64(2 ** 63))
    with pytest.raises(TypeError, match="^an integer is required"):
        torch.zeros(2, dtype=torch.uint8).add(np.uint64(2 ** 64 - 1))
    # within int64 it is an int
    assert torch.full((2,), np.uint64(5)).tolist() == [5, 5]


def test_uint64_python_int_with_bool_tensor_does_not_promote():
    msg = "^Promotion for uint16, uint32, uint64 types is not supported, attempted to promote Bool and UInt64"
    with pytest.raises(RuntimeError, match=msg):
        torch.zeros(2, dtype=torch.bool) * 2 ** 63
    with pytest.raises(RuntimeError, match=msg):
        torch.zeros(2, dtype=torch.bool).eq(2 ** 63)
    with pytest.raises(RuntimeError, match=msg):
        torch.tensor(True) + 2 ** 63
    with pytest.raises(RuntimeError, match=msg):
        torch.result_type(torch.zeros(2, dtype=torch.bool), 2 ** 63)
    # an int tensor keeps its dtype (and wraps), a float or smaller int still promotes
    assert (torch.zeros(2, dtype=torch.int64) + 2 ** 63).tolist() == [-2 ** 63, -2 ** 63]
    r = torch.zeros(2, dtype=torch.bool) + 2 ** 62
    assert r.dtype is torch.int64 and r.tolist() == [2 ** 62, 2 ** 62]


# ------------------------------------------------------------ alpha
def test_sub_alpha_numpy_uint64_is_its_value():
    r = torch.zeros(2).sub(torch.ones(2), alpha=np.uint64(5))
    assert r.tolist() == [-5.0, -5.0]
    r = torch.zeros(2, dtype=torch.uint8).sub(torch.ones(2, dtype=torch.uint8), alpha=np.uint64(5))
    assert r.tolist() == [251, 251]


def test_numpy_float_alpha_on_int_tensor_raises():
    with pytest.raises(RuntimeError, match="^For integral input tensors, argument alpha must not be a floating"):
        torch.zeros(2, dtype=torch.int64).add(torch.ones(2, dtype=torch.int64), alpha=np.float32(1.5))


# ------------------------------------------------------------ full_like / new_full
def test_full_like_new_full_refuse_half_overflow():
    with pytest.raises(RuntimeError, match="^value cannot be converted to type c10::Half without overflow"):
        torch.full_like(torch.zeros(2, dtype=torch.float16), 1e10)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type c10::Half without overflow"):
        torch.zeros(1, dtype=torch.float16).new_full((2,), 2 ** 31)
    # into a single element torch makes it inf
    assert torch.full_like(torch.zeros(1, dtype=torch.float16), 1e10).tolist() == [float("inf")]


def test_full_like_fill_value_must_be_a_number():
    with pytest.raises(TypeError, match=r"^full_like\(\): argument 'fill_value' \(position 2\) must be Number, "
                                        "not NoneType"):
        torch.full_like(torch.zeros(2), None)
    with pytest.raises(TypeError, match=r"^new_full\(\): argument 'fill_value' \(position 2\) must be Number, "
                                        "not str"):
        torch.zeros(2).new_full((2,), "a")
    with pytest.raises(TypeError, match="must be Number, not Tensor"):
        torch.full_like(torch.zeros(2), torch.tensor([3.5]))
    assert torch.full_like(torch.zeros(2), torch.tensor(3.5)).tolist() == [3.5, 3.5]
    assert torch.full_like(torch.zeros(2, dtype=torch.uint8), -1).tolist() == [255, 255]


def test_index_fill_refuses_half_overflow():
    with pytest.raises(RuntimeError, match="^value cannot be converted to type c10::Half without overflow"):
        torch.zeros(3, dtype=torch.float16).index_fill(0, torch.tensor([0]), 1e10)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type c10::Half without overflow"):
        torch.zeros(1, dtype=torch.float16).index_fill(0, torch.tensor([0]), 1e10)
    x = torch.zeros(3, dtype=torch.float16)
    with pytest.raises(RuntimeError):
        x.index_fill_(0, torch.tensor([1]), 65520.0)
    assert x.tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------ linspace / logspace
def test_linspace_converts_endpoints_to_the_dtype_first():
    # -5 wraps to 251 in uint8, then the step is (5 - 251) / 10
    assert torch.linspace(-5, 5, 11, dtype=torch.uint8).tolist() == [251, 226, 201, 177, 152, 128, 103, 78, 54,
                                                                      29, 5]
    # exponents 0.5 and 2.5 become 0 and 2 in an integer dtype
    assert torch.logspace(0.5, 2.5, 3, dtype=torch.int64).tolist() == [1, 10, 100]
    assert torch.logspace(0.5, 2.5, 3, base=2, dtype=torch.uint8).tolist() == [1, 2, 4]


@pytest.mark.parametrize("fn", [torch.linspace, torch.logspace])
@pytest.mark.parametrize("start, end, dtype, ctype", [
    (0, 300, torch.uint8, "uint8_t"),
    (-1.5, 1.5, torch.uint8, "uint8_t"),
    (0, 200, torch.int8, "int8_t"),
    (0, 2 ** 63, torch.int64, "int64_t"),
    (float("nan"), 1, torch.int32, "int"),
    (0, 1e40, torch.float32, "float"),
    (0, 1e5, torch.float16, "c10::Half"),
])
def test_linspace_endpoint_overflow(fn, start, end, dtype, ctype):
    with pytest.raises(RuntimeError, match=f"^value cannot be converted to type {ctype} without overflow"):
        fn(start, end, 3, dtype=dtype)


# ------------------------------------------------------------ randint / random_
@pytest.mark.parametrize("low, high, dtype, message", [
    (0, 257, torch.uint8, "to - 1 is out of bounds for unsigned char"),
    (-1, 5, torch.uint8, "from is out of bounds for unsigned char"),
    (-129, 0, torch.int8, "from is out of bounds for signed char"),
    (0, 129, torch.int8, "to - 1 is out of bounds for signed char"),
    (0, 2 ** 15 + 1, torch.int16, "to - 1 is out of bounds for short int"),
    (0, 2 ** 31 + 1, torch.int32, "to - 1 is out of bounds for int"),
    (0, 3, torch.bool, "to - 1 is out of bounds for bool"),
])
def test_random_bounds_outside_the_dtype(low, high, dtype, message):
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        torch.randint(low, high, (1,), dtype=dtype)
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        torch.zeros(1, dtype=dtype).random_(low, high)


def test_random_bounds_types_and_int64_range():
    with pytest.raises(ValueError, match="^Overflow when unpacking long long"):
        torch.randint(0, 2 ** 63, (1,))
    with pytest.raises(ValueError, match="^Overflow when unpacking long long"):
        torch.randint(-2 ** 63 - 1, 0, (1,))
    with pytest.raises(TypeError, match=r"^randint\(\) received an invalid combination of arguments"):
        torch.randint(0, 3.0, (1,))
    with pytest.raises(TypeError, match=r"^random_\(\) received an invalid combination of arguments"):
        torch.zeros(1).random_(0.5, 3)
    # the bounds that fit still work, and the defaults of random_() are not "given" bounds
    r = torch.randint(0, 256, (50,), dtype=torch.uint8)
    assert r.dtype is torch.uint8 and 0 <= r.min().item() and r.max().item() <= 255
    assert torch.randint(0, 2, (4,), dtype=torch.bool).dtype is torch.bool
    assert torch.zeros(3, dtype=torch.int64).random_().dtype is torch.int64
    assert torch.randint(np.int64(2), (3,)).max().item() < 2


# ------------------------------------------------------------ empty_strided
def test_empty_strided_checks_sizes_and_strides():
    with pytest.raises(RuntimeError, match=r"^Storage size calculation overflowed with sizes=\[2, 2\] and "
                                           r"strides=\[-1, 1\]"):
        torch.empty_strided((2, 2), (-1, 1))
    with pytest.raises(RuntimeError, match=r"^dimensionality of sizes \(2\) must match dimensionality of "
                                           r"strides \(1\)"):
        torch.empty_strided((2, 2), (1,))
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -2: \[-2, 2\]"):
        torch.empty_strided((-2, 2), (1, 1))
    assert torch.empty_strided((0, 2), (-1, 1)).shape == (0, 2)
    assert torch.empty_strided((2, 3), (1, 2)).stride() == (1, 2)


# ------------------------------------------------------------ x[index] = number
@pytest.mark.parametrize("index", [1, slice(None), [1], "mask"])
def test_setitem_int_beyond_int64_raises(index):
    x = torch.zeros(3)
    key = x >= 0 if index == "mask" else index
    for v in (2 ** 63, -2 ** 63 - 1, np.uint64(2 ** 63)):
        with pytest.raises(ValueError, match="^Overflow when unpacking long long"):
            x[key] = v
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_setitem_numpy_float32_and_bool_are_refused():
    x = torch.zeros(3, dtype=torch.int64)
    with pytest.raises(TypeError, match="^can't assign a numpy.float32 to a torch.LongTensor"):
        x[1] = np.float32(1.5)
    b = torch.zeros(3, dtype=torch.bool)
    with pytest.raises(TypeError, match="^can't assign a numpy.bool to a torch.BoolTensor"):
        b[b] = np.bool_(True)
    assert x.tolist() == [0, 0, 0]
    # NumPy ints and float64 (a Python float) are numbers as usual
    f = torch.zeros(3)
    f[1] = np.int8(-3)
    f[2] = np.float64(2.5)
    assert f.tolist() == [0.0, -3.0, 2.5]


def test_lerp_checks_a_number_weight_against_the_dtype_except_float16():
    with pytest.raises(RuntimeError, match="value cannot be converted to type float without overflow"):
        torch.lerp(torch.zeros(2), torch.ones(2), 1e40)
    half = torch.lerp(torch.zeros(2, dtype=torch.float16), torch.ones(2, dtype=torch.float16), 1e10)
    assert half.tolist() == [math.inf, math.inf]  # torch converts a half's weight unchecked
    assert torch.zeros(2).lerp(torch.ones(2), 0.25).tolist() == [0.25, 0.25]


@pytest.mark.parametrize("bounds, kernel", [({"min": True}, "clamp_min_scalar_cpu"),
                                            ({"max": False}, "clamp_max_scalar_cpu"),
                                            ({"min": True, "max": True}, "clamp_scalar_cpu")])
def test_clamp_of_a_bool_tensor_by_numbers_has_no_kernel_as_in_torch(bounds, kernel):
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Bool\''):
        torch.zeros(2, dtype=torch.bool).clamp(**bounds)
    with pytest.raises(NotImplementedError, match=kernel):
        torch.zeros(2, dtype=torch.bool).clamp_(**bounds)
    # a tensor bound has one; an int bound promotes to int64
    assert torch.zeros(2, dtype=torch.bool).clamp(min=torch.tensor(True)).tolist() == [True, True]
    assert torch.zeros(2, dtype=torch.bool).clamp(min=1).tolist() == [1, 1]


def test_a_huge_exponent_into_float32_is_computed_not_refused():
    # torch computes float32/float64 powers in double: no overflow check of the exponent
    assert torch.tensor([0, 1, 2]).pow(1e40).tolist() == [0.0, 1.0, math.inf]
    assert torch.tensor([2.0]).pow(-1e40).tolist() == [0.0]
    with pytest.raises(RuntimeError, match="value cannot be converted to type c10::Half without overflow"):
        torch.tensor([2.0], dtype=torch.float16).pow(1e10)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8_t without overflow"):
        torch.tensor([2], dtype=torch.int8).pow(300)


# ------------------------------------------------------------ Signed zeros of remembered numbers
@pytest.mark.parametrize("write", [
    lambda t, v: t.mul(v),
    lambda t, v: t * v,
    lambda t, v: t.masked_fill(torch.ones(t.shape, dtype=torch.bool), v),
    lambda t, v: t.index_fill(1, torch.tensor([0, 1, 2]), v),
    lambda t, v: _set_columns(t.clone(), v),
    lambda t, v: _mul_into(t, v),
])
def test_zero_and_negative_zero_numbers_keep_their_sign(write):
    # the one-element storages of numbers are remembered between calls, and 0.0 == -0.0 as
    # dict keys: each call must still get its own zero's sign (1 / result: +inf or -inf)
    x = torch.ones(2, 3)
    for v, sign in ((0.0, 1.0), (-0.0, -1.0), (0.0, 1.0), (-0.0, -1.0)):
        got = (1 / write(x, v)).cpu().numpy()
        np.testing.assert_array_equal(got, np.full((2, 3), sign * math.inf, np.float32))


def _set_columns(t, v):
    t[:, [0, 1, 2]] = v
    return t


def _mul_into(t, v):
    out = torch.empty(2, 3)
    torch.mul(t, v, out=out)
    return out
