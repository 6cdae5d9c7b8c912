"""Regression tests for answers that used to be silently wrong (issue 9), each against the
value torch 2.13 gives, written out by hand so the tests run without torch."""
import math
import sys
import warnings

import numpy as np
import pytest

import nbtensor as nb
from support import check


def _bits(t):
    return t.cpu().numpy().tobytes()


def test_value_cloned_for_overlap_is_read_with_its_own_layout():
    x = nb.arange(10)
    x[[0, 1, 2]] = x[::3][:3]
    check(x, [0, 3, 6, 3, 4, 5, 6, 7, 8, 9])


@pytest.mark.parametrize("call, expected", [
    (lambda: nb.add(nb.tensor([0.]), nb.tensor([100], dtype=nb.int8), alpha=3), np.float32([300])),
    (lambda: nb.sub(nb.tensor([0.]), nb.tensor([100], dtype=nb.int8), alpha=3), np.float32([-300])),
    (lambda: nb.tensor([0]).sub_(nb.tensor([255], dtype=nb.uint8), alpha=2), np.int64([-510])),
    (lambda: nb.tensor([0]).add_(nb.tensor([255], dtype=nb.uint8), alpha=2), np.int64([510])),
    (lambda: nb.add(nb.tensor([1], dtype=nb.int16), nb.tensor([True]), alpha=2), np.int16([3])),
    (lambda: nb.add(nb.tensor([True]), nb.tensor([True]), alpha=2), np.bool_([True])),
    (lambda: nb.add(nb.tensor([True]), nb.tensor([True]), alpha=0), np.bool_([True])),
    (lambda: nb.add(nb.tensor([1], dtype=nb.int8), 100, alpha=3), np.int8([45])),  # 301 wraps
])
def test_alpha_is_applied_in_the_result_dtype(call, expected):
    check(call(), expected)


def test_alpha_errors():
    with pytest.raises(RuntimeError, match="Boolean alpha only supported"):
        nb.add(nb.tensor([1]), nb.tensor([2]), alpha=True)
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        nb.add(nb.tensor([True]), nb.tensor([True]), alpha=2.0)


@pytest.mark.parametrize("name, dtype, expected", [
    ("sum", nb.int16, np.int16(3)), ("prod", nb.int16, np.int16(1)),
    ("sum", nb.float64, np.float64(np.float32(1.7)) * 3),
])
def test_sum_casts_to_the_out_dtype_first(name, dtype, expected):
    out = nb.empty(0, dtype=dtype)
    r = getattr(nb, name)(nb.tensor([1.7, 1.7, 1.7]), 0, out=out)
    assert r is out
    # exact: a float32 sum cast afterwards (5.099999904632568) is within allclose's default
    # tolerance of torch's 5.1000001430511475, so only an exact check tells them apart
    check(out, expected)
    assert out.dtype is dtype and out.shape == ()


@pytest.mark.parametrize("call, error, match", [
    (lambda: nb.sum(nb.ones(2), 0, dtype=nb.float64, out=nb.empty(0)), RuntimeError,
     "Expected out tensor to have dtype double, but got float instead"),
    (lambda: nb.mean(nb.ones(2), 0, out=nb.empty(0, dtype=nb.int16)), RuntimeError,
     "result type Float can't be cast to the desired output type Short"),
    (lambda: nb.amax(nb.ones(2), 0, out=nb.empty(0, dtype=nb.float64)), RuntimeError,
     "Expected the dtype for input and out to match"),
    (lambda: nb.all(nb.ones(2), 0, out=nb.empty(0)), RuntimeError, "all only supports bool tensor"),
    (lambda: nb.argmax(nb.ones(2), 0, out=nb.empty(0, dtype=nb.int32)), RuntimeError,
     "Expected out tensor to have dtype long int, but got int instead"),
    (lambda: nb.norm(nb.ones(2), dim=0, out=nb.empty(0, dtype=nb.float64)), RuntimeError,
     "Expected out tensor to have dtype float, but got double"),
    (lambda: nb.sum(nb.ones(2), 0, out=[1]), TypeError, "must be Tensor, not list"),
    (lambda: nb.add(nb.ones(2), 1, out=[1]), TypeError, "argument 'out' must be Tensor, not list"),
    (lambda: nb.sum(None), TypeError, "must be Tensor, not NoneType"),
])
def test_reduction_out_rules(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_mean_into_a_wider_out_and_all_into_uint8():
    out = nb.empty(0, dtype=nb.float64)
    nb.mean(nb.tensor([1., 2.]), 0, out=out)
    check(out, np.float64(1.5))
    # torch computes in out's dtype: the input is cast to it first
    out = nb.empty(0, dtype=nb.float64)
    nb.mean(nb.tensor([[-0.0, 2.0, 300.0]]), 1, out=out)
    check(out, np.float64([302.0 / 3]))
    out = nb.empty(0, dtype=nb.float64)
    nb.mean(nb.tensor([5.0, 1.009], dtype=nb.float16), 0, out=out)
    check(out, (np.float64(5.0) + np.float64(np.float16(1.009))) / 2)
    out = nb.empty(0, dtype=nb.uint8)
    nb.all(nb.tensor([1.5, 2.]), 0, out=out)
    check(out, np.uint8(1))


@pytest.mark.parametrize("call", [
    lambda: nb.add(nb.ones(2), None), lambda: nb.ones(2) + None, lambda: nb.mul(None, nb.ones(2)),
    lambda: nb.exp(None), lambda: nb.where(nb.tensor([True]), nb.ones(1), None),
])
def test_none_operand_is_a_type_error(call):
    with pytest.raises(TypeError):
        call()


def test_variance_with_no_degrees_of_freedom():
    # torch divides by max(0, N - correction): 0/0 is nan, anything else over 0 is inf.
    check(nb.zeros(0, 2).std(0), np.float32([np.nan, np.nan]))
    check(nb.zeros(0, 2).var(0), np.float32([np.nan, np.nan]))
    check(nb.tensor([[1., 2.]]).var(dim=1, correction=5), np.float32([np.inf]))
    check(nb.tensor([[1., 2.]]).std(dim=1, correction=2), np.float32([np.inf]))
    v, m = nb.var_mean(nb.tensor([[1., 2.]]), dim=1, correction=5)
    check(v, np.float32([np.inf]))
    check(m, np.float32([1.5]))
    s, m = nb.std_mean(nb.tensor([[3., 3.]]), dim=1, correction=2)
    check(s, np.float32([np.nan]))


def test_sign_of_nan_and_zero():
    r = nb.sign(nb.tensor([math.nan, -0.0, 0.0, -2.0, 3.0]))
    check(r, np.float32([0, 0, 0, -1, 1]))
    assert not np.signbit(r.cpu().numpy()[:3]).any()


def test_unsigned_integer_power_wraps_exactly():
    # uint8 ** uint8 computed in int64 and wrapped (a float detour loses the low bits: 64 ** 64
    # is 0 mod 256, (1 + 128) ** 129 is 129); by hand: mod 256 of the exact powers
    a = nb.tensor([64, 200, 129, 255, 3, 2], dtype=nb.uint8)
    check(a ** a, np.uint8([0, 0, 129, 255, pow(3, 3, 256), 4]))
    check(a.to(nb.int16) ** 5, np.int16([pow(v, 5, 1 << 16) - (1 << 16) * (pow(v, 5, 1 << 16) >= 1 << 15)
                                         for v in (64, 200, 129, 255, 3, 2)]))


def test_integer_power_follows_integer_rules():
    check(nb.tensor([2, 1, -1, 0], dtype=nb.int8) ** nb.tensor(128, dtype=nb.uint8), np.int8([0, 1, 1, 0]))
    check(nb.tensor([1, -1, 2, -1, 5]) ** nb.tensor([-1, -3, 2, -2, -1]), np.int64([1, -1, 4, 1, 0]))
    check(nb.tensor([-2, 3], dtype=nb.int8) ** nb.tensor([-1, 2]), np.int64([0, 9]))
    with pytest.raises(RuntimeError, match="negative integer powers"):
        nb.tensor([1, -1]) ** -1


def test_scalar_half_powers_are_square_roots():
    # torch computes x ** 0.5 as sqrt(x) and x ** -0.5 as rsqrt(x) for a number exponent.
    x = nb.tensor([-math.inf, -0.0, 4.0, -4.0, math.inf])
    r = x ** 0.5
    check(r, np.float32([np.nan, -0.0, 2, np.nan, np.inf]))
    assert np.signbit(r.cpu().numpy()[1])
    check(x ** -0.5, np.float32([np.nan, -np.inf, 0.5, np.nan, 0]))
    check(x ** nb.tensor(0.5), np.float32([np.inf, 0, 2, np.nan, np.inf]))  # a tensor: pow
    check(x.double().pow(0.5), np.float64([np.nan, -0.0, 2, np.nan, np.inf]))
    # float16 has no such shortcut in torch: C's pow (also into a float64 out=)
    h = x.half()
    check(h ** 0.5, np.float16([np.inf, 0, 2, np.nan, np.inf]))
    assert not np.signbit((h ** 0.5).cpu().numpy()[1])
    check(h ** -0.5, np.float16([0, np.inf, 0.5, np.nan, 0]))
    out = nb.zeros(5, dtype=nb.float64)
    nb.pow(h, 0.5, out=out)
    check(out, np.float64([np.inf, 0, 2, np.nan, np.inf]))


def test_integer_division_wraps_like_twos_complement():
    check(nb.tensor([-2**63]) // -1, np.int64([-2**63]))
    check(nb.tensor([-128], dtype=nb.int8) // -1, np.int8([-128]))
    # (torch's CPU kernel dies with SIGFPE here; nbtensor wraps as `//` does: its own choice)
    check(nb.div(nb.tensor([-2**63, 7]), -1, rounding_mode="trunc"), np.int64([-2**63, -7]))
    check(nb.tensor([-7, 7, -7, 7]) // nb.tensor([2, -2, -2, 2]), np.int64([-4, -4, 3, 3]))


def test_float_remainder_keeps_the_sign_of_zero_as_fmod():
    r = nb.remainder(nb.tensor([-0.0, 0.0, -4.0, 4.0, -3.0]), nb.tensor([2.0, 2.0, 2.0, -2.0, math.inf]))
    check(r, np.float32([-0.0, 0.0, -0.0, 0.0, np.inf]))
    assert list(np.signbit(r.cpu().numpy())) == [True, False, True, False, False]
    check(nb.tensor([-7., 7.]) % nb.tensor([2., -2.]), np.float32([1, -1]))


def test_out_view_of_another_shape_keeps_writing_into_its_base():
    base = nb.zeros(4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = nb.add(nb.ones(2, 3), 1, out=base[0])
    expected = np.zeros((4, 4), np.float32)
    expected.reshape(-1)[:6] = 2
    check(base, expected)
    check(r, np.full((2, 3), 2, np.float32))


def test_out_that_cannot_grow_in_place_is_refused_not_detached():
    base = nb.zeros(4)
    view = base[2:]
    with pytest.raises(RuntimeError, match="cannot resize the out= tensor"):
        nb.add(nb.ones(5), 1, out=view)
    check(base, np.zeros(4, np.float32))
    assert view.shape == (2,)


def test_out_of_its_own_memory_grows():
    out = nb.zeros(2)
    with pytest.warns(UserWarning, match="was resized"):
        nb.add(nb.ones(5), 1, out=out)
    check(out, np.full(5, 2, np.float32))


def test_out_grows_its_storage_in_place_of_the_old_one_as_torch():
    # torch resizes the storage: the offset stays, every tensor on it shares the new memory
    out = nb.zeros(4)[2:]  # sole owner of its memory, at offset 2
    with pytest.warns(UserWarning, match="was resized"):
        nb.add(nb.ones(10), 1, out=out)
    assert out.storage_offset() == 2
    check(out, np.full(10, 2, np.float32))
    for empty in (nb.empty(0), nb.zeros(5)[5:]):  # memory without or with elements
        view = empty.view(0)
        nb.add(nb.ones(3), 1, out=empty)
        nb.mul(nb.ones(2), 5, out=view)  # fits in the grown memory: written where empty is
        assert view.storage_offset() == empty.storage_offset()
        check(empty, np.float32([5, 5, 2]))
        check(view, np.float32([5, 5]))


def test_empty_out_takes_the_input_layout():
    out = nb.empty(0)
    nb.add(nb.ones(2, 3).t(), 1, out=out)
    assert out.shape == (3, 2) and out.stride() == (1, 3)
    check(out, np.full((3, 2), 2, np.float32))


def test_failed_out_call_leaves_out_untouched():
    o = nb.zeros(5, dtype=nb.int32)
    with pytest.raises(RuntimeError, match="can't be cast"):
        nb.add(nb.ones(2, 3), 1.5, out=o)
    check(o, np.zeros(5, np.int32))
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        nb.neg(nb.ones(2), out=o.double())
    r = nb.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype double, but got int instead"):
        nb.sum(r, 0, dtype=nb.float64, out=o)
    check(o, np.zeros(5, np.int32))


@pytest.mark.parametrize("call", [
    lambda: nb.zeros(2, dtype=nb.uint8).fill_(-1.5),
    lambda: nb.zeros(2, dtype=nb.uint8).fill_(-0.5),
    lambda: nb.zeros(2, dtype=nb.uint8).fill_(255.5),
    lambda: nb.zeros(2, dtype=nb.int8).fill_(127.9),
    lambda: nb.zeros(2, dtype=nb.uint8).masked_fill_(nb.tensor([True, False]), -1.5),
    lambda: nb.zeros(2, dtype=nb.uint8).__setitem__(nb.tensor([True, False]), -1.5),
    lambda: nb.zeros(2, dtype=nb.uint8).fill_(300),
    lambda: nb.full((2,), 1e39),
    # the value is checked before the index is read (torch's order; fuzzer seed 27001129)
    lambda: nb.zeros(2, dtype=nb.int8).__setitem__(slice(None, None, -1), 2 ** 31),
    lambda: nb.zeros(2, dtype=nb.int8).__setitem__(5, 300),
])
def test_values_that_do_not_fit_are_refused(call):
    with pytest.raises(RuntimeError, match="without overflow"):
        call()


def test_values_that_wrap_or_round_as_torch():
    check(nb.zeros(1, dtype=nb.uint8).fill_(-1), np.uint8([255]))
    check(nb.zeros(1, dtype=nb.uint8).fill_(-255), np.uint8([1]))
    check(nb.zeros(1, dtype=nb.float16).fill_(1e5), np.float16([np.inf]))
    with pytest.raises(RuntimeError, match="without overflow"):
        nb.zeros(1, dtype=nb.float16).masked_fill_(nb.tensor([True]), 1e5)
    check(nb.zeros(1, dtype=nb.bool).fill_(2.5), np.bool_([True]))


def test_integer_divisor_is_checked_as_the_kernel_sees_it():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        nb.ones(2, dtype=nb.int8).floor_divide_(2**40)  # 2**40 is 0 in int8
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        nb.ones(2, dtype=nb.int8) % 256
    check(nb.ones(2, dtype=nb.int8) // 300, np.int8([0, 0]))  # 300 is 44 in int8
    # an empty result divides nothing
    check(nb.zeros(0, dtype=nb.int64) // nb.tensor([0]), np.zeros(0, np.int64))
    check(nb.remainder(nb.zeros(0, dtype=nb.int64), nb.tensor([0])), np.zeros(0, np.int64))


def test_signs_of_zero_in_maximum_clamp_and_sums():
    neg, pos = nb.tensor([-0.0]), nb.tensor([0.0])
    # torch keeps the first operand of two equal values
    assert np.signbit(nb.maximum(neg, pos).cpu().numpy()[0]) and not np.signbit(nb.maximum(pos, neg).cpu().numpy()[0])
    assert np.signbit(nb.minimum(neg, pos).cpu().numpy()[0]) and not np.signbit(nb.minimum(pos, neg).cpu().numpy()[0])
    assert np.signbit(nb.fmax(neg, pos).cpu().numpy()[0]) and np.signbit(nb.fmin(neg, pos).cpu().numpy()[0])
    assert np.signbit(nb.clamp(neg, min=0.0).cpu().numpy()[0])
    assert not np.signbit(nb.clamp(pos, max=-0.0).cpu().numpy()[0])
    assert list(np.signbit(nb.clamp(nb.tensor([-0.0, 0.0]), -0.0, 0.0).cpu().numpy())) == [True, False]
    assert _bits(nb.tensor([-0.0, -0.0]).sum()) == _bits(nb.tensor(0.0))
    assert _bits(nb.tensor([[-0.0, -0.0]]).sum(1)) == _bits(nb.tensor([0.0]))
    assert _bits(nb.tensor([-0.0]).mean()) == _bits(nb.tensor(0.0))
    assert np.signbit(nb.tensor([-0.0, 0.0]).amax().cpu().numpy())


def test_shape_and_dtype_divergences():
    check(nb.tensor([1, 0], dtype=nb.uint8).any(), np.uint8(1))
    check(nb.tensor([[1, 0]], dtype=nb.uint8).all(1), np.uint8([0]))
    check(nb.tensor([True, False]).square(), np.int64([1, 0]))
    with pytest.raises(RuntimeError, match="can't be cast"):
        nb.tensor([True]).square_()
    x = nb.ones(3)
    y = x.t()
    assert y is not x and y.data_ptr() == x.data_ptr()
    with pytest.raises(NotImplementedError, match="linspace_cpu"):
        nb.linspace(0, 1, 3, dtype=nb.bool)
    with pytest.raises(NotImplementedError, match="arange_cpu"):
        nb.arange(3, dtype=nb.bool)


@pytest.mark.parametrize("call, error", [
    (lambda: nb.tensor([True, False]).argmin(), RuntimeError),
    (lambda: nb.tensor([True, False]).argmax(), RuntimeError),
    (lambda: nb.zeros(0).argmax(), IndexError),
    (lambda: nb.zeros(0).argmin(), IndexError),
    (lambda: nb.zeros(0, 3).argmax(0), IndexError),
    (lambda: nb.empty(2**62), RuntimeError),
    (lambda: nb.zeros(2**40, 2**40), RuntimeError),
    (lambda: nb.tensor(None), RuntimeError),
    (lambda: nb.tensor([1, None]), RuntimeError),
    (lambda: nb.ones(2).view(), TypeError),
    (lambda: nb.maximum(nb.ones(2), 1), TypeError),
    (lambda: nb.ones(2).maximum(1), TypeError),
    (lambda: nb.minimum(1, nb.ones(2)), TypeError),
    (lambda: nb.fmax(nb.ones(2), 1.0), TypeError),
    (lambda: nb.fmin(nb.ones(2), 1.0), TypeError),
    (lambda: nb.atan2(nb.ones(2), 1), TypeError),
    (lambda: nb.logical_and(nb.ones(2), 1), TypeError),
    (lambda: nb.ones(2).logical_or_(True), TypeError),
    (lambda: nb.eq(1, nb.ones(2)), TypeError),
    (lambda: nb.fmod(1, nb.ones(2)), TypeError),
    (lambda: nb.tensor([1]).sub_(False), RuntimeError),
    (lambda: nb.tensor([1]) - nb.tensor([True]), RuntimeError),
    (lambda: nb.tensor([True]) - 1, RuntimeError),
    (lambda: nb.neg(nb.ones(2), out=nb.empty(2, dtype=nb.float64)), RuntimeError),
    (lambda: nb.clamp(nb.ones(2), 0, 1, out=nb.empty(2, dtype=nb.float64)), RuntimeError),
    (lambda: nb.clamp(nb.ones(2), min=0, out=nb.empty(2, dtype=nb.float64)), RuntimeError),
    (lambda: nb.where(nb.tensor([True, False]), nb.ones(2), nb.zeros(2), out=nb.empty(2, dtype=nb.float64)),
     RuntimeError),
])
def test_calls_torch_refuses_raise_its_exception(call, error):
    with pytest.raises(error):
        call()


def test_calls_torch_accepts_work():
    check(nb.exp(nb.zeros(2), out=nb.empty(2, dtype=nb.float64)), np.float64([1, 1]))
    check(nb.eq(nb.ones(2), 1, out=nb.empty(2, dtype=nb.int64)), np.int64([1, 1]))
    check(nb.add(1, nb.ones(2)), np.float32([2, 2]))
    check(nb.pow(2, nb.tensor([1, 2])), np.int64([2, 4]))
    check(nb.clamp(nb.tensor([1, 5]), min=0.5, out=nb.empty(2)), np.float32([1, 5]))


def test_partially_overlapping_out_raises():
    x = nb.arange(5.0)
    with pytest.raises(RuntimeError, match="single memory location"):
        nb.add(x[1:], 1, out=x[:-1])
    check(x, np.arange(5.0, dtype=np.float32))


@pytest.mark.cpu_only  # memory shared with a NumPy array
@pytest.mark.skipif(sys.implementation.name != "cpython", reason="uses CPython reference counts")
def test_out_shared_with_numpy_is_not_detached():
    a = np.zeros(3, np.float32)
    out = nb.as_tensor(a)
    with pytest.raises(RuntimeError, match="cannot resize"):
        nb.add(nb.ones(4), 1, out=out)


@pytest.mark.parametrize("call, error", [
    (lambda: nb.floor_divide(nb.tensor([True]), nb.tensor([True])), NotImplementedError),
    (lambda: nb.remainder(nb.tensor([True]), nb.tensor([True])), NotImplementedError),
    (lambda: nb.bitwise_and(nb.ones(1), nb.ones(1)), NotImplementedError),
    (lambda: nb.ones(1) & 1, NotImplementedError),
    (lambda: nb.tensor([1]).frac(), NotImplementedError),
    (lambda: nb.lerp(nb.tensor([1]), nb.tensor([2]), 0.5), NotImplementedError),
    (lambda: nb.tensor([True]).floor(), NotImplementedError),
    (lambda: nb.tensor([True]).round(), NotImplementedError),
    (lambda: nb.tensor([3]).round(decimals=1), NotImplementedError),
    (lambda: nb.tensor([True]) ** nb.tensor([True]), NotImplementedError),
    (lambda: nb.tensor([1, 2]).softmax(0), NotImplementedError),
    (lambda: nb.tensor([True]).relu(), RuntimeError),
    (lambda: nb.tensor([True, False]).topk(1), RuntimeError),
])
def test_missing_kernels_raise_torchs_exception_class(call, error):
    with pytest.raises(error):
        call()


def test_alpha_times_other_does_not_overflow_on_its_own():
    # torch fuses a + alpha * b: -3e38 + (-2) * (-3e38) is 3e38, not inf
    v = nb.tensor([-3e38, 1.5])
    check(nb.add(v, v, alpha=-2), np.float32([3e38, -1.5]))
    v.add_(v.clone(), alpha=-2)
    check(v, np.float32([3e38, -1.5]))
    check(nb.sub(nb.tensor([1.0], dtype=nb.float16), nb.tensor([1.0], dtype=nb.float16), alpha=0.5),
          np.float16([0.5]))


def test_float16_alpha_is_rounded_to_half_and_the_sum_rounded_once():
    # torch converts alpha to the result dtype, then (vectorised loop) computes
    # x + alpha * y in float32 with one rounding: 3.7 enters as 3.69921875
    rng = np.random.default_rng(5)
    x, y = (rng.standard_normal((2, 64)) * 100).astype(np.float16)
    wide = x.astype(np.float32), y.astype(np.float32)
    for alpha in (0.1, 3.7, 0.3333):
        half_alpha = np.float32(np.float16(alpha))
        expected = (wide[0] + half_alpha * wide[1]).astype(np.float16)
        check(nb.add(nb.tensor(x), nb.tensor(y), alpha=alpha), expected)
        assert not np.array_equal(expected, (wide[0] + np.float32(alpha) * wide[1]).astype(np.float16))
        one_value = (wide[0] + half_alpha * wide[1][:1]).astype(np.float16)
        check(nb.tensor(x).sub_(nb.tensor(y[:1]), alpha=-alpha), one_value)


def test_an_index_sharing_the_destination_memory_is_refused():
    z = nb.tensor([0, 1])
    with pytest.raises(RuntimeError, match="single memory location"):
        z[z] = 1
    x = nb.tensor([True, False])
    with pytest.raises(RuntimeError, match="single memory location"):
        x[x] = nb.tensor([True, False])
    x[x] = False  # a full mask and a number: masked_fill, which torch allows
    check(x, np.bool_([False, False]))


def test_half_floor_division_rounds_every_step_to_half():
    # torch's float16 floor division: CPython's algorithm with each step in half precision
    # (the float32 quotient 3333 rounded once would be 3332)
    check(nb.tensor([10000.0, 7.0, -7.0, 0.0], dtype=nb.float16) // nb.tensor([3.0, 2.0, 2.0, -2.0], dtype=nb.float16),
          np.float16([3334, 3, -4, -0.0]))
    assert np.signbit((nb.tensor([0.0], dtype=nb.float16) // -2.0).cpu().numpy()[0])
    check(nb.tensor([1.0], dtype=nb.float16) // 0.0, np.float16([np.inf]))


def test_half_division_by_one_value_rounds_once():
    # a divisor that is one value (number, 0-d, (1,) or expanded) takes torch's scalar path:
    # the float32 quotient floored or truncated, then rounded to half once
    x = nb.tensor([10000.0, 10000.0], dtype=nb.float16)
    for d in (3.0, nb.tensor(3.0, dtype=nb.float16), nb.tensor([3.0], dtype=nb.float16),
              nb.tensor([3.0], dtype=nb.float16).expand(2)):
        check(x // d, np.float16([3332, 3332]))
        check(nb.div(x, d, rounding_mode="trunc"), np.float16([3332, 3332]))


def test_half_trunc_division_rounds_the_quotient_to_half_first():
    a = nb.tensor([5.0, -5.0, 7.0], dtype=nb.float16)
    b = nb.tensor([0.003, 0.003, 2.0], dtype=nb.float16)
    # 5 / float16(0.003) = 1666.52..., which is 1667 in half
    check(nb.div(a, b, rounding_mode="trunc"), np.float16([1667, -1667, 3]))
    q = (a.cpu().numpy().astype(np.float32) / b.cpu().numpy().astype(np.float32)).astype(np.float16)
    check(nb.div(a, b, rounding_mode="trunc"), np.trunc(q))
    # the composed float16 steps still give torch's layout: the first input's
    t = nb.zeros((2, 2), dtype=nb.float16).T
    assert (t // nb.ones(2, 2, dtype=nb.float16)).stride() == (1, 2)
    assert (nb.ones(2, 2, dtype=nb.float16) // t).stride() == (2, 1)


def test_copy_between_the_same_elements_is_skipped_even_when_expanded():
    # torch's copy_ returns at once when source and destination are the same data
    v = nb.tensor([[True], [False]]).expand(3, 2, 2)
    v[:] = v
    v.copy_(v.expand(3, 2, 2))
    check(v, np.broadcast_to(np.array([[True], [False]]), (3, 2, 2)))
    # setitem compares the value as torch's copy_to passes it on: leading size-1 dims
    # dropped, expanded to the target (fuzzer seed 27205184)
    e = nb.arange(6, dtype=nb.int16).reshape(2, 3).expand(3, 2, 3)
    e[None, ...] = e
    e[...] = e[0]
    e[:] = e[0:1]
    check(e, np.broadcast_to(np.arange(6, dtype=np.int16).reshape(2, 3), (3, 2, 3)))
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e[...] = nb.ones(2, 3, dtype=nb.int16)  # other memory: written, so refused


def test_reductions_resize_an_expanded_out_before_writing():
    # torch resizes an expanded out= to the result's shape: nothing aliases after that
    out = nb.zeros(1, 5, dtype=nb.bool).expand(3, 1, 5)
    with pytest.warns(UserWarning, match="was resized"):
        nb.prod(nb.ones(1, 5, dtype=nb.bool), -2, out=out)
    check(out, np.ones(5, np.bool_))


def test_scans_check_dim_before_dtype():
    with pytest.raises(IndexError, match="Dimension out of range"):
        nb.cumprod(nb.zeros(5), 1, dtype=nb.bool)


@pytest.mark.cpu_only  # memory shared with NumPy arrays
def test_overlap_of_tensors_over_numpy_views_is_seen_through_their_owner():
    a = np.arange(6.0, dtype=np.float32)
    x, y = nb.from_numpy(a[:4]), nb.from_numpy(a[1:5])  # two storages, one owner: they overlap
    with pytest.raises(RuntimeError, match="single memory location"):
        x += y
    check(x, np.arange(4.0, dtype=np.float32))
    b = np.arange(6.0, dtype=np.float32)  # views of two different owners never overlap
    x, z = nb.from_numpy(a[:4]), nb.from_numpy(b[2:])
    x += z
    check(x, np.arange(4.0, dtype=np.float32) + np.arange(2.0, 6.0, dtype=np.float32))
