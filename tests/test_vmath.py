"""Accuracy of the vectorised exp and log (kernels/cpu/vmath.py) behind exp, log, sigmoid,
softmax and log_softmax.

The oracle is NumPy's exp evaluated in long double (x86 80-bit: 11 more mantissa bits
than float64), rounded to each result's ulp.
"""
import numpy as np
import pytest

import nbtensor as torch

pytestmark = pytest.mark.cpu_kernels  # the CPU's kernels themselves

LONG_DOUBLE_IS_WIDER = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


def max_ulp_error(got, x):
    """Largest |got - e**x| in units of the ulp of the correctly rounded result."""
    want = np.exp(x.astype(np.longdouble))
    dtype = got.dtype
    with np.errstate(over="ignore"):
        rounded = want.astype(dtype)
    finite = np.isfinite(rounded)
    ulp = np.spacing(np.abs(rounded[finite])).astype(np.longdouble)
    return float(np.max(np.abs(got[finite].astype(np.longdouble) - want[finite]) / ulp))


def sweep(dtype, lo, hi):
    rng = np.random.default_rng(7)
    parts = [np.linspace(lo, hi, 400_001), rng.uniform(-1, 1, 100_000), rng.uniform(lo, hi, 200_000)]
    return np.concatenate(parts).astype(dtype)


@pytest.mark.skipif(not LONG_DOUBLE_IS_WIDER, reason="needs a long double wider than float64")
@pytest.mark.parametrize("dtype, lo, hi, bound", [
    # float32 is evaluated in float32 (vmath's docstring: every input checked, at most 0.78)
    (np.float32, -105.0, 90.0, 0.8),      # includes overflow to inf and subnormal results
    (np.float64, -746.0, 710.0, 1.05),
])
def test_exp_within_one_ulp(dtype, lo, hi, bound):
    x = sweep(dtype, lo, hi)
    got = torch.exp(torch.as_tensor(x)).cpu().numpy()
    assert max_ulp_error(got, x) <= bound


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_special_values_and_range_ends(dtype):
    info = np.finfo(dtype)
    big = np.log(info.max)              # largest x with a finite result
    tiny = np.log(info.smallest_subnormal)
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, big * 0.999, big * 1.001,
                  tiny * 0.99, tiny * 1.01, 2 * tiny], dtype)
    got = torch.exp(torch.as_tensor(x)).cpu().numpy()
    with np.errstate(over="ignore", under="ignore"):
        want = np.exp(x.astype(np.longdouble)).astype(dtype)
    np.testing.assert_array_max_ulp(got[1:], want[1:], maxulp=1)
    assert np.isnan(got[0])
    assert got[3] == 1.0 and got[4] == 1.0
    assert got[-1] == 0.0           # far below the smallest subnormal
    assert 0 < got[-3]              # a subnormal result keeps its value


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_softmax_use_it_accurately(dtype):
    x = sweep(dtype, -120.0, 120.0)[::50]
    xl = x.astype(np.longdouble)
    np.testing.assert_allclose(torch.sigmoid(torch.as_tensor(x)).cpu().numpy(),
                               (1 / (1 + np.exp(-xl))).astype(dtype),
                               rtol=4 * np.finfo(dtype).eps, atol=2 * np.finfo(dtype).smallest_subnormal)
    rows = x[:12_000].reshape(40, 300)
    # x - max is rounded in `dtype` by every implementation (torch's too): start from it.
    shifted = (rows - rows.max(1, keepdims=True)).astype(np.longdouble)
    want = np.exp(shifted)
    want = (want / want.sum(1, keepdims=True)).astype(dtype)
    got = torch.softmax(torch.as_tensor(rows), 1).cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=8 * np.finfo(dtype).eps, atol=np.finfo(dtype).tiny)


def test_float32_exp_is_mostly_the_correctly_rounded_value():
    # as often as torch's own expf (99.0% on these inputs); evaluating in float32 with the
    # reduced argument in one float32 gave 90%
    x = (np.random.default_rng(3).standard_normal(1_000_000) * 10).astype(np.float32)
    got = torch.exp(torch.as_tensor(x)).cpu().numpy()
    with np.errstate(over="ignore"):
        rounded = np.exp(x.astype(np.float64)).astype(np.float32)
    assert np.mean(got == rounded) > 0.98


def test_float32_log_is_the_correctly_rounded_value():
    # vlog: float32 evaluated in float64 (every positive float32 checked: one input 0.5 ulp off)
    rng = np.random.default_rng(11)
    x = np.concatenate([
        np.exp(rng.uniform(-103, 88, 300_000)), rng.uniform(0.5, 2.0, 200_000),  # around 1: cancellation
        np.linspace(1 - 1e-3, 1 + 1e-3, 50_001), [np.finfo(np.float32).smallest_subnormal, 1e-40,
                                                 np.finfo(np.float32).tiny, np.finfo(np.float32).max]]).astype(np.float32)
    got = torch.log(torch.as_tensor(x)).cpu().numpy()
    want = np.log(x.astype(np.longdouble)).astype(np.float32)
    np.testing.assert_array_max_ulp(got, want, maxulp=1)
    assert np.mean(got == want) > 0.99999


def test_log_special_values():
    x = np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan, 1.0], np.float32)
    got = torch.log(torch.as_tensor(x)).cpu().numpy()
    assert got[0] == -np.inf and got[1] == -np.inf
    assert np.isnan(got[2]) and np.isnan(got[3]) and np.isnan(got[5])
    assert got[4] == np.inf and got[6] == 0.0


def test_log_softmax_rows_match_the_long_double_formula():
    rows = np.random.default_rng(5).standard_normal((300, 10)).astype(np.float32) * 4
    shifted = rows - rows.max(1, keepdims=True)  # rounded in float32 by every implementation
    sums = np.exp(shifted.astype(np.longdouble)).sum(1, keepdims=True)
    want = (shifted - np.log(sums.astype(np.float32).astype(np.longdouble))).astype(np.float32)
    got = torch.log_softmax(torch.as_tensor(rows), 1).cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=2 * np.finfo(np.float32).eps, atol=4 * np.finfo(np.float32).eps)
