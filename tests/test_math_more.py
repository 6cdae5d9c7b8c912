"""The element-wise math added after the D2L surface: addcmul/addcdiv, xlogy, hypot,
logaddexp2, logit, deg2rad/rad2deg, sgn/signbit, heaviside, nan_to_num, isposinf/isneginf,
isreal, erfc, lgamma, digamma, sinc and ``nbtensor.special``. Values against NumPy/math
(hand-computed), and against torch where it is installed (dtype, values, errors, grad_fn)."""
import math

import numpy as np
import pytest

import nbtensor
from nbtensor.autograd import gradcheck
from tests.support import check, needs_torch, torch

NAN, INF = math.nan, math.inf


def _f64(values, requires_grad=False):
    return nbtensor.tensor(values, dtype=nbtensor.float64, requires_grad=requires_grad)


def _close(result, expected, dtype=None, rtol=1e-6):
    got = result.cpu().numpy()
    expected = np.asarray(expected, dtype=got.dtype if dtype is None else dtype)
    assert got.shape == expected.shape and got.dtype == expected.dtype, (got.shape, got.dtype, expected.dtype)
    np.testing.assert_allclose(got, expected, rtol=rtol, equal_nan=True)


def _same_as_torch(nb_result, torch_result, rtol=1e-6):
    """Values, shape and dtype equal to torch's result."""
    expected = torch_result.numpy()
    got = nb_result.cpu().numpy()
    assert str(nb_result.dtype).split(".")[-1] == str(torch_result.dtype).split(".")[-1]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=0, equal_nan=True)


# ---------------------------------------------------------------- addcmul / addcdiv
def test_addcmul_forms_and_promotion():
    i = nbtensor.tensor([1, 0, -2])
    check(nbtensor.addcmul(i, i, i), np.array([2, 0, 2]))
    check(nbtensor.addcmul(i, i, i, value=2.5), np.array([3, 0, 6]))  # value truncated to the int result
    x = nbtensor.tensor([1.0, 2.0])
    check(x.addcmul(x, nbtensor.tensor([3, 4]), value=0.5), np.array([2.5, 6.0], np.float32))
    out = nbtensor.empty(2, dtype=nbtensor.float64)
    assert nbtensor.addcmul(x, x, x, out=out) is out
    check(out, np.array([2.0, 6.0]))
    y = x.clone()
    assert y.addcmul_(x, x, value=-1) is y
    check(y, np.array([0.0, -2.0], np.float32))
    with pytest.raises(NotImplementedError, match="addcmul_cpu_out"):
        nbtensor.addcmul(i.bool(), i.bool(), i.bool())
    with pytest.raises(TypeError, match="argument 'tensor2' \\(position 3\\) must be Tensor, not float"):
        nbtensor.addcmul(x, x, 2.0)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.clone().addcmul_(x[:1].expand(3), x[:1].expand(3))


def test_addcdiv_values_and_integer_error():
    x = nbtensor.tensor([1.0, 2.0])
    check(nbtensor.addcdiv(x, nbtensor.tensor([1.0, 3.0]), nbtensor.tensor([4, 2]), value=2),
          np.array([1.5, 5.0], np.float32))
    y = x.clone()
    y.addcdiv_(x, x)
    check(y, np.array([2.0, 3.0], np.float32))
    i = nbtensor.tensor([1, 2])
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        nbtensor.addcdiv(x, i, i)


def test_addcmul_addcdiv_gradients():
    a, b, c = _f64([0.5, -1.0], True), _f64([[2.0], [3.0]], True), _f64([1.5, 0.25], True)
    assert nbtensor.addcmul(a, b, c, value=3).grad_fn.name() == "AddcmulBackward0"
    assert nbtensor.addcdiv(a, b, c).grad_fn.name() == "AddcdivBackward0"
    assert gradcheck(lambda p, q, r: nbtensor.addcmul(p, q, r, value=3), (a, b, c))
    assert gradcheck(lambda p, q, r: nbtensor.addcdiv(p, q, r, value=-2), (a, b, c))


# ---------------------------------------------------------------- logarithms
def test_xlogy():
    x = nbtensor.tensor([0.0, 2.0, 0.0, 3.0])
    y = nbtensor.tensor([NAN, 4.0, 0.0, -1.0])
    _close(nbtensor.xlogy(x, y), [NAN, 2 * math.log(4), 0.0, NAN])
    check(nbtensor.xlogy(nbtensor.tensor([1, 0]), nbtensor.tensor([1, 5])), np.array([0.0, 0.0], np.float32))
    _close(nbtensor.xlogy(2, nbtensor.tensor([1, 0])), [0.0, -INF])
    _close(nbtensor.special.xlogy(x, 2.0), [0.0, 2 * math.log(2), 0.0, 3 * math.log(2)])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        nbtensor.tensor([1, 2]).xlogy_(nbtensor.tensor([1, 2]))
    with pytest.raises(TypeError, match="xlogy"):
        nbtensor.xlogy(2, 3)
    p, q = _f64([0.5, 2.0], True), _f64([1.5, 3.0], True)
    assert nbtensor.xlogy(p, q).grad_fn.name() == "XlogyBackward0"
    assert nbtensor.xlogy(2.0, q).grad_fn.name() == "XlogyBackward1"
    assert nbtensor.xlogy(p, 2.0).grad_fn.name() == "XlogyBackward2"
    assert gradcheck(nbtensor.xlogy, (p, q))


def test_logaddexp2_and_logit():
    x, y = nbtensor.tensor([1.0, -INF, INF, 0.0]), nbtensor.tensor([1.0, -INF, INF, 3.0])
    _close(nbtensor.logaddexp2(x, y), [2.0, -INF, INF, math.log2(9)])
    with pytest.raises(NotImplementedError, match="logaddexp2_cpu"):
        nbtensor.logaddexp2(nbtensor.tensor([1]), nbtensor.tensor([1]))
    p = nbtensor.tensor([0.25, 0.0, 1.0, 0.5])
    _close(nbtensor.logit(p), [math.log(1 / 3), -INF, INF, 0.0])
    _close(nbtensor.logit(p, eps=0.1), [math.log(1 / 3), math.log(1 / 9), math.log(9), 0.0])
    check(nbtensor.logit(nbtensor.tensor([True])), np.array([INF], np.float32))
    q = p.clone()
    assert q.logit_() is q
    a, b = _f64([0.3, -1.0], True), _f64([0.2, 2.0], True)
    assert gradcheck(nbtensor.logaddexp2, (a, b))
    c = _f64([0.3, 0.05, 0.6], True)
    assert nbtensor.logit(c).grad_fn.name() == "LogitBackward0"
    assert gradcheck(lambda t: nbtensor.logit(t, 0.1), (c,))


# ---------------------------------------------------------------- kernels of their own
def test_hypot_erfc_lgamma_digamma():
    big = _f64([3.0, 1e300, 0.0])
    check(nbtensor.hypot(big, _f64([4.0, 1e300, -0.0])), np.array([5.0, math.hypot(1e300, 1e300), 0.0]))
    with pytest.raises(NotImplementedError, match="hypot_cpu"):
        nbtensor.hypot(nbtensor.tensor([1]), nbtensor.tensor([1]))
    x = _f64([-1.5, 0.5, 5.0, 30.0])
    _close(nbtensor.erfc(x), [math.erfc(v) for v in (-1.5, 0.5, 5.0, 30.0)], rtol=1e-14)
    _close(nbtensor.lgamma(x), [math.lgamma(v) for v in (-1.5, 0.5, 5.0, 30.0)], rtol=1e-14)
    check(nbtensor.lgamma(nbtensor.tensor([0, 1])), np.array([INF, 0.0], np.float32))
    euler = 0.5772156649015329
    # digamma(1) = -gamma, digamma(0.5) = -gamma - 2 ln 2, digamma(x + 1) = digamma(x) + 1 / x
    _close(nbtensor.digamma(_f64([1.0, 0.5, 2.0, 0.0, -0.0, -2.0])),
           [-euler, -euler - 2 * math.log(2), 1 - euler, -INF, INF, NAN], rtol=1e-13)
    y = x.clone()
    y.erfc_()
    _close(y, nbtensor.erfc(x).numpy() if x.device.type == "cpu" else nbtensor.erfc(x).cpu().numpy())
    a, b = _f64([0.5, -2.0], True), _f64([1.5, 0.25], True)
    assert nbtensor.hypot(a, b).grad_fn.name() == "HypotBackward0"
    assert gradcheck(nbtensor.hypot, (a, b))
    assert gradcheck(nbtensor.erfc, (a,))
    assert gradcheck(nbtensor.lgamma, (b,))


# ---------------------------------------------------------------- angles, signs, classes
def test_angles_sinc_and_signs():
    i = nbtensor.tensor([180, -90])
    _close(nbtensor.deg2rad(i), [math.pi, -math.pi / 2])
    _close(nbtensor.rad2deg(nbtensor.tensor([math.pi])), [180.0], rtol=1e-6)
    _close(nbtensor.sinc(_f64([0.0, 0.5, 1.0, -2.5])), [1.0, 2 / math.pi, math.sin(math.pi) / math.pi,
                                                         math.sin(-2.5 * math.pi) / (-2.5 * math.pi)])
    check(nbtensor.sgn(nbtensor.tensor([-3, 0, 2])), np.array([-1, 0, 1]))
    check(nbtensor.signbit(nbtensor.tensor([-0.0, 0.0, -NAN, NAN, -2.0])),
          np.signbit(np.array([-0.0, 0.0, -NAN, NAN, -2.0], np.float32)))
    check(nbtensor.signbit(nbtensor.tensor([-1, 1])), np.array([True, False]))
    check(nbtensor.signbit(nbtensor.tensor([True])), np.array([False]))
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        nbtensor.tensor([1, 2]).deg2rad_()
    a = _f64([0.3, -1.2, 0.0], True)
    for name, node in (("deg2rad", "Deg2RadBackward0"), ("rad2deg", "Rad2DegBackward0"), ("sinc", "SincBackward0")):
        fn = getattr(nbtensor, name)
        assert fn(a).grad_fn.name() == node
        assert gradcheck(fn, (a,))


def test_heaviside_nan_to_num_and_value_classes():
    x = nbtensor.tensor([NAN, 0.0, -1.0, 2.0])
    check(nbtensor.heaviside(x, nbtensor.tensor(5.0)), np.array([0.0, 5.0, 0.0, 1.0], np.float32))
    with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with different dtypes"):
        nbtensor.heaviside(x, nbtensor.tensor(1))
    v = nbtensor.tensor([NAN, INF, -INF, 1.5])
    big = float(np.finfo(np.float32).max)
    check(nbtensor.nan_to_num(v), np.array([0.0, big, -big, 1.5], np.float32))
    check(nbtensor.nan_to_num(v.half()), np.array([0.0, 65504.0, -65504.0, 1.5], np.float16))
    check(nbtensor.nan_to_num(v, 1.0, 2.0, 3.0), np.array([1.0, 2.0, 3.0, 1.5], np.float32))
    w = v.clone()
    assert w.nan_to_num_(nan=-1.0) is w
    check(w, np.array([-1.0, big, -big, 1.5], np.float32))
    check(nbtensor.nan_to_num(nbtensor.tensor([3])), np.array([3]))
    check(nbtensor.isposinf(v), np.array([False, True, False, False]))
    check(nbtensor.isneginf(v), np.array([False, False, True, False]))
    check(nbtensor.isneginf(nbtensor.tensor([1])), np.array([False]))
    check(nbtensor.isreal(nbtensor.tensor([1, 2])), np.array([True, True]))
    # laid out as its input, as torch's element-wise result
    vt = nbtensor.tensor([[NAN, 1.0, INF], [2.0, -INF, 3.0]]).t()
    r = nbtensor.nan_to_num(vt, 7.0, 8.0, 9.0)
    assert r.stride() == (1, 3)
    check(r, np.array([[7.0, 2.0], [1.0, 9.0], [8.0, 3.0]], np.float32))
    a = _f64([0.5, 2.0], True)
    assert nbtensor.nan_to_num(a).grad_fn.name() == "NanToNumBackward0"
    assert gradcheck(nbtensor.nan_to_num, (a,))


def test_special_namespace():
    x = _f64([0.5, 2.0])
    _close(nbtensor.special.gammaln(x), [math.lgamma(0.5), 0.0], rtol=1e-14)
    _close(nbtensor.special.expit(x), [1 / (1 + math.exp(-0.5)), 1 / (1 + math.exp(-2.0))], rtol=1e-14)
    _close(nbtensor.special.erfc(x), [math.erfc(0.5), math.erfc(2.0)], rtol=1e-14)
    _close(nbtensor.special.psi(_f64([1.0])), [-0.5772156649015329], rtol=1e-14)
    a = _f64([0.5, 2.0], True)
    assert nbtensor.special.erfc(a).grad_fn.name() == "ErfcBackward0"


# ---------------------------------------------------------------- against torch
_VALUES = [-2.5, -1.0, -0.0, 0.0, 0.3, 1.0, 4.0, NAN, INF, -INF]


@needs_torch
def test_unary_against_torch():
    for dtype in ("float32", "float64", "int64", "bool"):
        values = _VALUES if dtype.startswith("float") else [-2, 0, 1, 3]
        if dtype == "bool":
            values = [True, False]
        x = nbtensor.tensor(values, dtype=getattr(nbtensor, dtype))
        t = torch.tensor(values, dtype=getattr(torch, dtype))
        for name in ("erfc", "lgamma", "digamma", "deg2rad", "rad2deg", "sinc", "logit", "sgn", "signbit",
                     "nan_to_num", "isposinf", "isneginf", "isreal"):
            # (float32 libm results may differ from torch's vectorised ones in the last bits)
            _same_as_torch(getattr(nbtensor, name)(x), getattr(torch, name)(t), rtol=2e-6)


@needs_torch
def test_binary_against_torch():
    a = [-2.0, 0.0, 0.0, 1.5, 3.0, INF, NAN]
    b = [0.5, 0.0, NAN, -1.0, 4.0, INF, 1.0]
    for dtype in ("float32", "float64"):
        x, y = (nbtensor.tensor(v, dtype=getattr(nbtensor, dtype)) for v in (a, b))
        tx, ty = (torch.tensor(v, dtype=getattr(torch, dtype)) for v in (a, b))
        for name in ("xlogy", "hypot", "logaddexp2", "heaviside"):
            _same_as_torch(getattr(nbtensor, name)(x, y), getattr(torch, name)(tx, ty))
        _same_as_torch(nbtensor.addcmul(x, y, x, value=0.5), torch.addcmul(tx, ty, tx, value=0.5))
        _same_as_torch(nbtensor.addcdiv(x, y, x, value=2), torch.addcdiv(tx, ty, tx, value=2))
    # integer and mixed promotion
    i, ti = nbtensor.tensor([1, 0, -2]), torch.tensor([1, 0, -2])
    f, tf = nbtensor.tensor([1.0, 2.0, 3.0], dtype=nbtensor.float64), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    _same_as_torch(nbtensor.addcmul(i, i, f), torch.addcmul(ti, ti, tf))
    _same_as_torch(nbtensor.xlogy(i, 3), torch.xlogy(ti, 3))
    _same_as_torch(nbtensor.addcdiv(i, f, f), torch.addcdiv(ti, tf, tf))


@needs_torch
def test_gradients_against_torch():
    values = [0.3, 0.7, 0.45]
    for name, args in (("xlogy", 2), ("hypot", 2), ("logaddexp2", 2), ("addcmul", 3), ("addcdiv", 3),
                       ("logit", 1), ("sinc", 1), ("erfc", 1), ("lgamma", 1), ("nan_to_num", 1)):
        nb = [_f64([v + k for v in values], True) for k in range(args)]
        th = [torch.tensor([v + k for v in values], dtype=torch.float64, requires_grad=True) for k in range(args)]
        r, tr = getattr(nbtensor, name)(*nb), getattr(torch, name)(*th)
        assert r.grad_fn.name() == tr.grad_fn.name()
        r.sum().backward()
        tr.sum().backward()
        for p, q in zip(nb, th):
            np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.numpy(), rtol=1e-12)


def test_angle_of_real_tensors():
    x = nbtensor.tensor([-1.0, 0.0, 2.0, float("nan"), -0.0, -float("inf")])
    # (hand-computed, as torch: pi for negative numbers, 0 for -0.0, NaN kept)
    np.testing.assert_array_equal(x.angle().cpu().numpy(), np.float32([np.pi, 0.0, 0.0, np.nan, 0.0, np.pi]))
    ints = nbtensor.angle(nbtensor.tensor([-1, 0, 3]))
    assert ints.dtype is nbtensor.float32
    np.testing.assert_allclose(ints.cpu().numpy(), [np.pi, 0.0, 0.0])
    g = nbtensor.tensor([-1.0, 2.0], requires_grad=True)
    g.angle().sum().backward()
    np.testing.assert_array_equal(g.grad.cpu().numpy(), [0.0, 0.0])
