"""Issue 9 element-wise ops: inverse hyperbolics, copysign, logaddexp and the bit shifts,
in every form (function, method, in-place, operators, out=), against NumPy and torch."""
import numpy as np
import pytest
from support import check, needs_torch, torch

import nbtensor as nb

INTS = [nb.uint8, nb.int8, nb.int16, nb.int32, nb.int64]
FLOATS = [nb.float16, nb.float32, nb.float64]


@pytest.mark.parametrize("name,alias,ref,values", [
    ("asinh", "arcsinh", np.arcsinh, [-3.0, -0.5, 0.0, 0.5, 3.0]),
    ("acosh", "arccosh", np.arccosh, [0.5, 1.0, 1.5, 3.0, 10.0]),
    ("atanh", "arctanh", np.arctanh, [-1.0, -0.5, 0.0, 0.5, 1.0, 2.0]),
])
@pytest.mark.parametrize("dtype", [nb.float32, nb.float64])
def test_inverse_hyperbolic_all_forms(name, alias, ref, values, dtype):
    a = np.array(values, dtype=dtype.np)
    x = nb.tensor(a)
    rtol = 2e-6 if dtype is nb.float32 else 1e-14  # a few ulps of the dtype
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = ref(a)
        for fn in (getattr(nb, name), getattr(nb, alias)):
            np.testing.assert_allclose(fn(x).cpu().numpy(), expected, rtol=rtol, equal_nan=True)
        np.testing.assert_allclose(getattr(x, name)().cpu().numpy(), expected, rtol=rtol, equal_nan=True)
        np.testing.assert_allclose(getattr(x, alias)().cpu().numpy(), expected, rtol=rtol, equal_nan=True)
        out = nb.empty(len(values), dtype=dtype)
        assert getattr(nb, name)(x, out=out) is out
        np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=rtol, equal_nan=True)
        y = x.clone()
        assert getattr(y, alias + "_")() is y
        np.testing.assert_allclose(y.cpu().numpy(), expected, rtol=rtol, equal_nan=True)


def test_inverse_hyperbolic_float_rule():
    assert nb.asinh(nb.tensor([1, 2])).dtype is nb.float32
    assert nb.atanh(nb.tensor([True])).dtype is nb.float32
    assert nb.acosh(nb.tensor([1.0], dtype=nb.float16)).dtype is nb.float16
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        nb.tensor([1, 2]).asinh_()


def test_copysign():
    a = nb.tensor([1.0, -2.0, 3.0, 0.0])
    b = nb.tensor([-1.0, 2.0, -0.0, -5.0])
    got = nb.copysign(a, b).cpu().numpy()
    np.testing.assert_array_equal(got, np.copysign(a.cpu().numpy(), b.cpu().numpy()))
    assert np.signbit(got[2]) and np.signbit(got[3])
    check(nb.copysign(nb.tensor([1, 2]), nb.tensor([-1, 0])), np.array([-1.0, 2.0], np.float32))
    check(a.copysign(-1), np.array([-1.0, -2.0, -3.0, -0.0], np.float32))
    check(nb.copysign(nb.tensor([1.0, 2.0], dtype=nb.float16), -1), np.array([-1, -2], np.float16))
    y = a.clone()
    assert y.copysign_(b) is y
    np.testing.assert_array_equal(y.cpu().numpy(), got)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        nb.tensor([1, 2]).copysign_(-1)


def test_logaddexp():
    inf, nan = np.inf, np.nan
    a = np.array([inf, -inf, nan, 1.0, 2.0, -inf, 800.0], np.float64)
    b = np.array([inf, -inf, 1.0, 1.0, -3.0, 2.0, 800.0], np.float64)
    got = nb.logaddexp(nb.tensor(a), nb.tensor(b)).cpu().numpy()
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got, np.logaddexp(a, b), rtol=1e-15, equal_nan=True)
    x32 = nb.tensor([0.5, -1.0])
    np.testing.assert_allclose(x32.logaddexp(nb.tensor([0.25, 4.0])).cpu().numpy(),
                               np.logaddexp(np.float32([0.5, -1]), np.float32([0.25, 4])), rtol=1e-6)
    assert not hasattr(nb.Tensor, "logaddexp_")  # torch has no in-place form
    with pytest.raises(NotImplementedError, match="\"logaddexp_cpu\" not implemented for 'Long'"):
        nb.logaddexp(nb.tensor([1, 2]), nb.tensor([1, 2]))
    out = nb.empty(2)
    assert nb.logaddexp(x32, x32, out=out) is out
    np.testing.assert_allclose(out.cpu().numpy(), np.float32([0.5, -1.0]) + np.float32(np.log(2)), rtol=1e-6)
    assert out.dtype is nb.float32


def _torch_shift(a, c, left):
    """torch's rule, restated: counts outside [0, 64) give 0 (left) or the sign fill
    (right); otherwise shift in int64 and wrap to the dtype."""
    a64 = a.astype(np.int64)
    c = np.broadcast_to(np.asarray(c, np.int64), a.shape)
    ok = (c >= 0) & (c < 64)
    cc = np.where(ok, c, 0)
    if left:
        r = np.where(ok, a64 << cc, 0)
    else:
        r = np.where(ok, a64 >> cc, np.where(a64 < 0, -1, 0))
    return r.astype(a.dtype)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("count", [0, 1, 3, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, -1, -3])
def test_shift_counts(dtype, count):
    vals = [5, 100, 127] if dtype is nb.uint8 else [5, -5, 100, -100, 127]
    a = np.array(vals, dtype=dtype.np)
    x = nb.tensor(a)
    check(x << count, _torch_shift(a, count, True))
    check(x >> count, _torch_shift(a, count, False))
    c = nb.tensor([count] * len(vals), dtype=dtype) if (count >= 0 or dtype is not nb.uint8) else None
    if c is not None and count < np.iinfo(dtype.np).max:
        check(nb.bitwise_left_shift(x, c), _torch_shift(a, c.cpu().numpy(), True))
        check(nb.bitwise_right_shift(x, c), _torch_shift(a, c.cpu().numpy(), False))


def test_shift_forms():
    x = nb.tensor([1, 2], dtype=nb.int8)
    check(x.bitwise_left_shift(2), np.array([4, 8], np.int8))
    check(x.bitwise_right_shift(1), np.array([0, 1], np.int8))
    check(x.__rlshift__(2), np.array([4, 8], np.int8))
    check(3 << nb.tensor([1, 2]), np.array([6, 12]))
    check(3 >> nb.tensor([1, 2]), np.array([1, 0]))
    check(nb.tensor([-8, -1]) >> nb.tensor([1, 2]), np.array([-4, -1]))
    y = x.clone()
    z = y
    y <<= 2
    assert y is z
    check(y, np.array([4, 8], np.int8))
    y >>= 1
    assert y is z
    check(y, np.array([2, 4], np.int8))
    w = nb.tensor([1, 2])
    assert w.bitwise_left_shift_(3) is w
    check(w, np.array([8, 16]))
    assert w.bitwise_right_shift_(2) is w
    check(w, np.array([2, 4]))
    out = nb.empty(2, dtype=nb.int64)
    assert nb.bitwise_left_shift(nb.tensor([1, 2]), 1, out=out) is out
    check(out, np.array([2, 4]))
    # promotion: a bool tensor and a Python int give int64; uint8 with int8 gives int16
    check(nb.tensor([True]) << 1, np.array([2]))
    check(nb.tensor([1, 2], dtype=nb.uint8) << nb.tensor([1, 2], dtype=nb.int8), np.array([2, 8], np.int16))


def test_shift_errors():
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'Float'"):
        nb.tensor([1.0]) << 1
    with pytest.raises(NotImplementedError, match="\"rshift_cpu\" not implemented for 'Float'"):
        nb.tensor([1]) >> 1.5
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'Bool'"):
        nb.tensor([True, False]) << nb.tensor([True, True])


def test_not_implemented_is_a_runtime_error():
    # torch raises NotImplementedError (a RuntimeError subclass) for unsupported dtypes.
    with pytest.raises(NotImplementedError, match="\"bitwise_and_cpu\" not implemented for 'Float'"):
        nb.tensor([1.0]) & 1


@needs_torch
@pytest.mark.parametrize("dtype", INTS)
def test_shifts_match_torch(dtype):
    td = getattr(torch, str(dtype).split(".")[1])
    vals = [0, 1, 5, 100, 127] if dtype is nb.uint8 else [0, 1, -1, 5, -5, 100, -128]
    counts = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, -1, -2, -64]
    for c in counts:
        if dtype is nb.uint8 and c < 0:
            continue
        a, ta = nb.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=td)
        for op in ("__lshift__", "__rshift__"):
            np.testing.assert_array_equal(getattr(a, op)(c).cpu().numpy(), getattr(ta, op)(c).cpu().numpy(), err_msg=f"{op} {c}")
        if -128 <= c <= 127:
            cc, tcc = nb.tensor([c] * len(vals), dtype=nb.int8), torch.tensor([c] * len(vals), dtype=torch.int8)
            for op in ("bitwise_left_shift", "bitwise_right_shift"):
                np.testing.assert_array_equal(getattr(nb, op)(a, cc).cpu().numpy(), getattr(torch, op)(ta, tcc).cpu().numpy())


@needs_torch
@pytest.mark.parametrize("name", ["asinh", "acosh", "atanh"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_inverse_hyperbolic_match_torch(name, dtype):
    vals = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 4.0]
    a = nb.tensor(vals, dtype=dtype)
    t = torch.tensor(vals, dtype=getattr(torch, str(dtype).split(".")[1]))
    got, want = getattr(nb, name)(a), getattr(torch, name)(t)
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    rtol = {nb.float16: 1e-3, nb.float32: 2e-6, nb.float64: 1e-14}[dtype]  # a few ulps of the dtype
    np.testing.assert_allclose(got.cpu().numpy().astype(np.float64), want.cpu().numpy().astype(np.float64),
                               rtol=rtol, equal_nan=True)
