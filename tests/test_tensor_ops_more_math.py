"""gcd, lcm, ldexp, frexp, nextafter, float_power_, i0, polygamma, mvlgamma, quantile,
nanquantile, mode, matrix_power, matrix_exp, histogram, dist and corrcoef: values against
NumPy/math (or by hand), and against torch where it is installed (values, dtypes, errors,
grad_fn, .grad); gradients by central differences in float64."""
import math

import numpy as np
import pytest

import nbtensor
from nbtensor.autograd import gradcheck
from tests.ops_more_support import f64, same_error
from tests.support import check, needs_torch, torch


def test_gcd_lcm():
    a, b = [12, -18, 0, 7, 0], [8, 12, 5, 0, 0]
    check(nbtensor.gcd(nbtensor.tensor(a), nbtensor.tensor(b)), np.gcd(a, b))
    check(nbtensor.tensor(a).lcm(nbtensor.tensor(b)), np.lcm(a, b))
    check(nbtensor.gcd(nbtensor.tensor([12, 200], dtype=nbtensor.uint8), nbtensor.tensor([-8, 5], dtype=nbtensor.int8)),
          np.array([4, 5], np.int16))
    x = nbtensor.tensor([12, 9], dtype=nbtensor.int32)
    assert x.gcd_(nbtensor.tensor([8, 6])) is x and x.tolist() == [4, 3]
    assert nbtensor.lcm_(x, nbtensor.tensor([6, 6])) is x and x.tolist() == [12, 6]
    out = nbtensor.empty(0, dtype=nbtensor.int64)
    nbtensor.lcm(nbtensor.tensor([[4], [6]]), nbtensor.tensor([6, 10]), out=out)
    check(out, np.lcm([[4], [6]], [6, 10]))
    check(nbtensor.lcm(nbtensor.tensor([100], dtype=nbtensor.int8), nbtensor.tensor([3], dtype=nbtensor.int8)),
          np.array([44], np.int8))  # (300 wraps in int8, as torch's)
    same_error(lambda m: m.gcd(m.tensor([1.0]), m.tensor([2])), NotImplementedError,
                "\"gcd_cpu\" not implemented for 'Float'")
    same_error(lambda m: m.gcd(m.tensor([1]), 2), TypeError, "argument 'other' \\(position 2\\) must be Tensor")


def test_ldexp_frexp_nextafter():
    check(nbtensor.ldexp(nbtensor.tensor([1.0, -2.5]), nbtensor.tensor([2, 3])), np.ldexp([1.0, -2.5], [2, 3]).astype(np.float32))
    check(nbtensor.ldexp(nbtensor.tensor([1, 2]), nbtensor.tensor([2, 3])), np.array([4.0, 16.0], np.float32))
    assert nbtensor.ldexp(nbtensor.tensor([1.0]), f64([2.0])).dtype == nbtensor.float64
    same_error(lambda m: m.tensor([1, 2]).ldexp_(m.tensor([1, 1])), RuntimeError,
                "ldexp can't be cast to the desired output type Long")
    values = [8.0, -0.3, 0.0, math.inf, 1e-310, 0.75, 3.0]
    mantissa, exponent = nbtensor.frexp(f64(values))
    m, e = np.frexp(values)
    check(mantissa, m)
    check(exponent, e.astype(np.int32))
    h = nbtensor.frexp(nbtensor.tensor([6e-8, 8.0], dtype=nbtensor.float16))
    check(h.mantissa, np.frexp(np.array([6e-8, 8.0], np.float16))[0])
    same_error(lambda m: m.frexp(m.tensor([8])), RuntimeError, "torch.frexp\\(\\) only supports floating-point")
    x, y = [1.0, 0.0, -0.0, 1.0, -1.0, math.inf, 2.0], [2.0, -1.0, 1.0, 1.0, -2.0, 0.0, math.nan]
    check(nbtensor.nextafter(nbtensor.tensor(x), nbtensor.tensor(y)),
          np.nextafter(np.array(x, np.float32), np.array(y, np.float32)))
    check(nbtensor.nextafter(f64(x), f64(y)), np.nextafter(x, y))
    same_error(lambda m: m.nextafter(m.tensor([1]), m.tensor([2])), NotImplementedError, "nextafter_cpu")
    p = f64([2.0, 3.0], True)
    q = f64([1.0, -1.0], True)
    assert nbtensor.ldexp(p, q).grad_fn.name() == "LdexpBackward0"
    assert gradcheck(lambda s, t: nbtensor.ldexp(s, t), (p, q))
    assert gradcheck(lambda s: nbtensor.frexp(s * 3)[0], (p,))
    assert nbtensor.nextafter(p, q).grad_fn.name() == "NextafterBackward0"


def test_float_power_():
    x = f64([2.0, 3.0])
    assert x.float_power_(2) is x and x.tolist() == [4.0, 9.0]
    same_error(lambda m: m.tensor([2.0]).float_power_(2), RuntimeError,
                "the base given to float_power_ has dtype Float but the operation's result requires dtype Double")


def test_i0_polygamma_mvlgamma():
    xs = [0.0, 1.0, -2.0, 14.9, 15.1, 30.0, 100.0]
    np.testing.assert_allclose(nbtensor.i0(f64(xs)).tolist(), np.i0(xs), rtol=1e-13)
    assert nbtensor.i0(nbtensor.tensor([1, 2])).dtype == nbtensor.float32
    # trigamma(1) = pi²/6, polygamma(2, 1) = -2 zeta(3), polygamma(3, 0.5) = pi⁴
    # (trigamma is torch's calc_trigamma: a short asymptotic series, within ~1e-9)
    got = nbtensor.polygamma(1, f64([1.0, 0.5])).tolist()
    np.testing.assert_allclose(got, [math.pi ** 2 / 6, math.pi ** 2 / 2], rtol=1e-9)
    np.testing.assert_allclose(f64([1.0]).polygamma(2).tolist(), [-2 * 1.2020569031595942], rtol=1e-13)
    np.testing.assert_allclose(nbtensor.polygamma(3, f64([0.5])).tolist(), [math.pi ** 4], rtol=1e-13)
    assert nbtensor.polygamma(1, f64([0.0])).item() == math.inf
    same_error(lambda m: m.polygamma(-1, m.tensor([1.0])), RuntimeError, "does not support negative n")
    x = [2.5, 3.0]
    expected = [sum(math.lgamma(v - i / 2) for i in range(2)) + 0.5 * math.log(math.pi) for v in x]
    np.testing.assert_allclose(nbtensor.mvlgamma(f64(x), 2).tolist(), expected, rtol=1e-13)
    same_error(lambda m: m.mvlgamma(m.tensor([2.0]), 0), RuntimeError, "p has to be greater than or equal to 1")
    p = f64([0.7, 1.5, -0.4], True)
    assert nbtensor.i0(p).grad_fn.name() == "I0Backward0"
    assert gradcheck(nbtensor.i0, (p[2:],))
    assert gradcheck(lambda t: nbtensor.polygamma(1, t.abs() + 0.5), (p,))
    assert gradcheck(lambda t: nbtensor.mvlgamma(t + 3, 3), (p,))
    assert nbtensor.mvlgamma(p + 3, 2).grad_fn.name() == "MvlgammaBackward0"


def test_quantile():
    data = [[1.0, 7.0, 3.0, 10.0], [4.0, 2.0, 9.0, 5.0]]
    q = [0.0, 0.3, 0.5, 1.0]
    for interpolation in ("linear", "lower", "higher", "midpoint", "nearest"):
        got = nbtensor.quantile(f64(data), f64(q), dim=1, interpolation=interpolation)
        check(got, np.quantile(data, q, axis=1, method=interpolation))
    check(nbtensor.tensor(data).quantile(0.4), np.float32(np.quantile(data, 0.4)))
    assert nbtensor.quantile(nbtensor.ones(2, 3), nbtensor.tensor([0.5, 0.2]), keepdim=True).shape == (2, 1, 1)
    assert nbtensor.quantile(nbtensor.ones(2, 3), nbtensor.tensor([0.5, 0.2]), 1, True).shape == (2, 2, 1)
    with_nan = [[1.0, math.nan, 2.0], [math.nan] * 3]
    assert math.isnan(nbtensor.quantile(f64(with_nan[0]), 0.3).item())
    got = nbtensor.nanquantile(f64(with_nan), 0.3, dim=1).tolist()
    assert got[0] == pytest.approx(1.3) and math.isnan(got[1])
    same_error(lambda m: m.quantile(m.tensor([1, 2]), 0.5), RuntimeError,
                "quantile\\(\\) input tensor must be either float or double dtype")
    same_error(lambda m: m.quantile(m.tensor([1.0]), 1.5), RuntimeError, "q must be in the range \\[0, 1\\]")
    same_error(lambda m: m.quantile(m.tensor([1.0]), m.tensor([0.5], dtype=m.float64)), RuntimeError,
                "q tensor must be same dtype as the input tensor")
    same_error(lambda m: m.quantile(m.zeros(0), 0.5), RuntimeError, "input tensor must be non-empty")
    same_error(lambda m: m.quantile(m.tensor([1.0]), 0.5, interpolation="foo"), RuntimeError,
                "interpolation must be one of linear, lower, higher, midpoint or nearest")
    p = f64(data, True)
    assert gradcheck(lambda t: nbtensor.quantile(t, f64([0.3, 0.5]), dim=1), (p,))


def test_mode():
    values, indices = nbtensor.mode(nbtensor.tensor([[1, 2, 2, 1, 3], [5, 5, 4, 4, 4]]))
    check(values, np.array([1, 4]))
    check(indices, np.array([3, 4]))  # (the last occurrence, as torch's)
    r = nbtensor.tensor([[1.0, 2.0, 2.0], [3.0, 3.0, 1.0]]).mode(0, keepdim=True)
    check(r.values, np.array([[1.0, 2.0, 1.0]], np.float32))  # (the smallest of equally frequent values)
    check(r.indices, np.array([[0, 0, 1]]))
    assert nbtensor.mode(nbtensor.tensor(3.0)).indices.item() == 0
    same_error(lambda m: m.mode(m.zeros(0)), IndexError, "Expected reduction dim 0 to have non-zero size")
    p = f64([[3.0, 1.0, 1.0], [2.0, 2.0, 5.0]], True)
    assert nbtensor.mode(p).values.grad_fn.name() == "ModeBackward0"
    nbtensor.mode(p).values.sum().backward()
    check(p.grad, np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_matrix_power_and_exp():
    fib = nbtensor.matrix_power(nbtensor.tensor([[1, 1], [1, 0]]), 10)
    check(fib, np.linalg.matrix_power(np.array([[1, 1], [1, 0]]), 10))
    a = [[2.0, 1.0], [1.0, 1.0]]
    np.testing.assert_allclose(nbtensor.matrix_power(f64(a), -2).tolist(), np.linalg.matrix_power(a, -2))
    check(f64(a).matrix_power(0), np.eye(2))
    same_error(lambda m: m.matrix_power(m.ones(2, 3), 2), RuntimeError,
                "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 matrices")
    rotation = nbtensor.matrix_exp(f64([[0.0, 1.0], [-1.0, 0.0]]))
    np.testing.assert_allclose(rotation.tolist(), [[math.cos(1), math.sin(1)], [-math.sin(1), math.cos(1)]],
                               rtol=1e-14)
    big = nbtensor.matrix_exp(f64([[[10.0, 2.0], [3.0, -4.0]], [[0.0, 0.0], [0.0, 0.0]]]))
    d, v = np.linalg.eig(np.array([[10.0, 2.0], [3.0, -4.0]]))
    np.testing.assert_allclose(big[0].tolist(), (v @ np.diag(np.exp(d)) @ np.linalg.inv(v)), rtol=1e-12)
    check(big[1], np.eye(2))
    same_error(lambda m: m.matrix_exp(m.tensor([[0, 1], [1, 0]])), RuntimeError,
                "linalg.matrix_exp: Expected a floating point or complex tensor as input. Got Long")
    p = f64([[0.5, -0.2], [0.3, 0.1]], True)
    assert gradcheck(lambda t: nbtensor.matrix_power(t, 3), (p,))
    assert gradcheck(lambda t: nbtensor.matrix_exp(t * nbtensor.eye(2, dtype=t.dtype)), (p[0, :1],))
    # (the full gradient of matrix_exp is compared with torch's below)


def test_histogram_dist_corrcoef():
    x = [1.0, 2.0, 1.0, 4.0, 0.5]
    for kwargs in ({}, {"range": (0.0, 3.0)}, {"weight": [1.0, 2.0, 3.0, 4.0, 5.0], "density": True}):
        np_kwargs = {("weights" if k == "weight" else k): v for k, v in kwargs.items()}
        nb_kwargs = {k: (f64(v) if k == "weight" else v) for k, v in kwargs.items()}
        hist, edges = nbtensor.histogram(f64(x), 3, **nb_kwargs)
        np_hist, np_edges = np.histogram(x, 3, **np_kwargs)
        np.testing.assert_allclose(hist.tolist(), np_hist)
        np.testing.assert_allclose(edges.tolist(), np_edges)
    hist, _ = nbtensor.histogram(f64(x), f64([0.0, 1.5, 4.0]))
    check(hist, np.histogram(x, [0.0, 1.5, 4.0])[0].astype(np.float64))
    same_error(lambda m: m.histogram(m.tensor([1.0]), 0), RuntimeError, "bins must be > 0, but got 0")
    same_error(lambda m: m.histogram(m.tensor([1, 2]), 2), NotImplementedError, "\"histogramdd\" not implemented")
    assert nbtensor.dist(nbtensor.tensor([1.0, 2.0]), nbtensor.tensor([[0.0, 0.0]]), 3).item() == pytest.approx(9 ** (1 / 3))
    same_error(lambda m: m.dist(m.tensor([1, 2]), m.tensor([0, 0])), RuntimeError,
                "norm\\(\\): input dtype should be either floating point or complex. Got Long instead.")
    data = [[1.0, 2.0, 4.0], [3.0, 1.0, 0.0]]
    np.testing.assert_allclose(nbtensor.corrcoef(f64(data)).tolist(), np.corrcoef(data), rtol=1e-14)
    check(nbtensor.corrcoef(nbtensor.tensor([[1, 2, 4], [3, 1, 0]])).isclose(
        nbtensor.corrcoef(nbtensor.tensor(data))), np.ones((2, 2), bool))
    p = f64(data, True)
    assert gradcheck(nbtensor.corrcoef, (p,))
    assert gradcheck(lambda t: nbtensor.dist(t[0], t[1], 3), (p,))


@needs_torch
def test_math_against_torch():
    values = [[0.5, 1.25, 2.0], [1.5, 0.75, 3.0]]
    cases = [
        (lambda m, t: m.i0(t), 1e-6),
        (lambda m, t: m.polygamma(2, t), 1e-6),
        (lambda m, t: t.mvlgamma(2), 1e-6),
        (lambda m, t: m.ldexp(t, m.tensor([1, 2, 3])), 0),
        (lambda m, t: m.quantile(t, 0.3, dim=0, keepdim=True), 1e-6),
        (lambda m, t: m.nanquantile(t, m.tensor([0.2, 0.9], dtype=t.dtype), interpolation="midpoint"), 1e-6),
        (lambda m, t: m.matrix_exp(t[:, :2]), 1e-6),
        (lambda m, t: m.matrix_power(t[:, :2], -3), 1e-6),
        (lambda m, t: m.corrcoef(t), 1e-6),
        (lambda m, t: m.dist(t[0], t[1]), 1e-6),
    ]
    for case, tolerance in cases:
        results, grads = [], []
        for module in (nbtensor, torch):
            t = module.tensor(values, dtype=module.float32, requires_grad=True)
            result = case(module, t)
            results.append((np.array(result.tolist()), str(result.dtype).split(".")[-1]))
            result.sum().backward()
            grads.append(np.array(t.grad.tolist()))
        assert results[0][1] == results[1][1]
        np.testing.assert_allclose(results[0][0], results[1][0], rtol=max(tolerance, 1e-7), atol=1e-6)
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-5)
    for n in (torch, nbtensor):
        r = n.histogram(n.tensor([0.1, 0.2, 0.3, 0.7, 1.0, 0.0]), 5)
        if n is torch:
            expected = (r.hist.tolist(), r.bin_edges.tolist())
    assert (r.hist.tolist(), r.bin_edges.tolist()) == expected


def _torch_trigamma(x):
    """torch's calc_trigamma (aten/src/ATen/native/Math.h) in Python floats, as an oracle."""
    sign, result = 1.0, 0.0
    if x < 0.5:
        sign = -1.0
        s = math.sin(math.pi * x)
        result -= (math.pi * math.pi) / (s * s)
        x = 1.0 - x
    for _ in range(6):
        result += 1.0 / (x * x)
        x += 1.0
    ixx = 1.0 / (x * x)
    result += (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / x
    return sign * result


def test_trigamma_is_torchs_series():
    # digamma's gradient is trigamma: second derivatives through digamma agree with torch's
    # only when trigamma is computed as torch computes it (its error, ~4e-10 relative at
    # 0.5-2, included)
    xs = [-4.3, -0.41, 0.0009, 0.3, 0.5, 0.51, 0.91, 1.0, 1.96, 8.7, 12.0, 1e3, 1e10]
    got = nbtensor.polygamma(1, f64(xs)).tolist()
    np.testing.assert_allclose(got, [_torch_trigamma(x) for x in xs], rtol=2e-16, atol=0)
    x = f64([0.6, 1.9]).requires_grad_()
    g, = nbtensor.autograd.grad(nbtensor.digamma(x).sum(), x)
    np.testing.assert_allclose(g.tolist(), [_torch_trigamma(0.6), _torch_trigamma(1.9)], rtol=2e-16, atol=0)
    if torch is not None:
        np.testing.assert_array_equal(got, torch.polygamma(1, torch.tensor(xs, dtype=torch.float64)).tolist())
