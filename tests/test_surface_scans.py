"""Issue 9 reductions and scans: nansum, nanmean, median, nanmedian, cummax, cummin,
logcumsumexp, and cumsum/cumprod accuracy and 0-d behaviour."""
import math

import numpy as np
import pytest
from support import SIMULATED, check, needs_torch, torch

import nbtensor as nb

NAN = math.nan


def test_nansum():
    a = nb.tensor([[1.0, NAN, 3.0], [4.0, 5.0, NAN]])
    check(nb.nansum(a), np.float32(13))
    check(nb.nansum(a, 1), np.array([4, 9], np.float32))
    check(a.nansum(dim=0, keepdim=True, dtype=nb.float64), np.array([[5.0, 5.0, 3.0]]))
    check(nb.nansum(nb.tensor([1, 2, 3])), np.int64(6))
    check(nb.nansum(nb.tensor([True, True])), np.int64(2))
    out = nb.empty(2)
    assert nb.nansum(a, 1, out=out) is out
    check(out, np.array([4, 9], np.float32))
    check(a.nansum(axis=1), np.array([4, 9], np.float32))


def test_nanmean():
    a = nb.tensor([[1.0, NAN, 3.0], [4.0, 5.0, NAN]])
    check(nb.nanmean(a, 1), np.array([2.0, 4.5], np.float32))
    check(a.nanmean(dim=0, keepdim=True), np.array([[2.5, 5.0, 3.0]], np.float32))
    check(nb.nanmean(nb.tensor([NAN, NAN])), np.float32(NAN))
    check(nb.nanmean(a, dtype=nb.float64), np.float64(13 / 4))
    with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating point or complex "
                                           "dtype but got Long"):
        nb.nanmean(nb.tensor([1, 2]))


def test_median_all():
    check(nb.median(nb.tensor([3.0, 1.0, 2.0, 4.0])), np.float32(2))  # the lower median
    check(nb.tensor([5, 1, 3]).median(), np.int64(3))
    check(nb.median(nb.tensor([3.0, NAN, 2.0])), np.float32(NAN))
    check(nb.median(nb.tensor([])), np.float32(NAN))


def test_median_dim():
    r = nb.median(nb.tensor([[3.0, 1.0, 2.0, 4.0], [1.0, NAN, 1.0, 0.0]]), 1)
    assert type(r).__name__ == "median" and r._fields == ("values", "indices")
    check(r.values, np.array([2.0, NAN], np.float32))
    check(r.indices, np.array([2, 1]))  # a NaN row answers its (first) NaN
    r = nb.tensor([[3, 1, 2, 4], [1, 1, 1, 0]]).median(dim=1, keepdim=True)
    check(r.values, np.array([[2], [1]]))
    check(r.indices, np.array([[2], [0]]))
    check(nb.median(nb.tensor([1, 1, 1, 2, 2]), 0).indices, np.int64(2))
    r = nb.median(nb.tensor(5.0), 0)
    check(r.values, np.float32(5))
    check(r.indices, np.int64(0))
    with pytest.raises(IndexError, match="median\\(\\): Expected reduction dim 1 to have non-zero size."):
        nb.median(nb.zeros(1, 0), 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        nb.median(nb.zeros(2), 1)


def test_median_matches_numpy_lower_median():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 10, (5, 7, 6)).astype(np.float64)
    for d in range(3):
        r = nb.median(nb.tensor(a), d)
        lower = np.take(np.sort(a, axis=d), (a.shape[d] - 1) // 2, axis=d)
        check(r.values, lower)
        np.testing.assert_array_equal(np.take_along_axis(a, np.expand_dims(r.indices.cpu().numpy(), d), d)[..., ]
                                      .squeeze(d), lower)


def test_nanmedian():
    check(nb.nanmedian(nb.tensor([3.0, NAN, 2.0, 4.0])), np.float32(3))
    check(nb.nanmedian(nb.tensor([NAN, NAN])), np.float32(NAN))
    r = nb.tensor([[3.0, NAN, 2.0, 4.0], [NAN, NAN, NAN, NAN]]).nanmedian(1)
    assert type(r).__name__ == "nanmedian"
    check(r.values, np.array([3.0, NAN], np.float32))
    assert r.indices[0].item() == 0


def test_cummax_cummin():
    r = nb.cummax(nb.tensor([1.0, 3.0, 2.0, NAN, 5.0]), 0)
    assert type(r).__name__ == "cummax"
    check(r.values, np.array([1, 3, 3, NAN, NAN], np.float32))
    check(r.indices, np.array([0, 1, 1, 3, 3]))
    r = nb.tensor([3, 1, 1, 2, 0]).cummin(0)
    check(r.values, np.array([3, 1, 1, 1, 0]))
    check(r.indices, np.array([0, 1, 2, 2, 4]))  # ties take the later index
    r = nb.cummax(nb.tensor([NAN, 1.0, NAN, 2.0]), 0)
    check(r.indices, np.array([0, 0, 2, 2]))
    r = nb.cummax(nb.tensor([True, False]), 0)
    check(r.values, np.array([True, True]))
    check(r.indices, np.array([0, 0]))
    r = nb.cummax(nb.tensor(5.0), 0)
    check(r.values, np.float32(5))
    check(r.indices, np.int64(0))
    x = nb.tensor([[1, 5, 2], [7, 0, 9]])
    check(nb.cummax(x, 1).values, np.maximum.accumulate(x.cpu().numpy(), axis=1))
    check(nb.cummin(x.t(), 1).values, np.minimum.accumulate(x.cpu().numpy().T, axis=1))
    check(nb.cummax(nb.zeros(2, 0), 1).indices, np.zeros((2, 0), np.int64))


def test_logcumsumexp():
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(nb.logcumsumexp(nb.tensor(a), 0).cpu().numpy(), np.logaddexp.accumulate(a), rtol=1e-15)
    inf = math.inf
    check(nb.tensor([-inf, -inf, 1.0]).logcumsumexp(0), np.array([-inf, -inf, 1.0], np.float32))
    check(nb.tensor([inf, 1.0, NAN, 2.0]).logcumsumexp(0), np.array([inf, inf, NAN, NAN], np.float32))
    check(nb.tensor(3.0).logcumsumexp(0), np.float32(3))
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Long'"):
        nb.logcumsumexp(nb.tensor([1, 2]), 0)
    # accumulated in float64: a float32 running log-sum drifts far from log(n)
    n = 10**4 if SIMULATED else 10**6  # (every GPU thread is a Python thread in the simulator)
    assert nb.zeros(n).logcumsumexp(0)[-1].item() == pytest.approx(math.log(n), rel=1e-7)


@pytest.mark.large
def test_float32_cumsum_accumulates_in_float64():
    assert nb.ones(2 * 10**7).cumsum(0)[-1].item() == 2e7
    check(nb.ones(3, dtype=nb.float16).cumsum(0), np.array([1, 2, 3], np.float16))
    # cumprod keeps float32 accumulation, as torch's CPU kernel does
    expected = np.cumprod(np.full(3000, 1.001, np.float32))[-1]
    assert nb.full((3000,), 1.001).cumprod(0)[-1].item() == expected


def test_scans_of_0d():
    for name in ("cumsum", "cumprod", "logcumsumexp"):
        r = getattr(nb.tensor(3.0), name)(0)
        assert r.shape == () and r.item() == 3.0
        with pytest.raises(IndexError, match="Dimension out of range \\(expected to be in range of \\[-1, 0\\], "
                                             "but got 1\\)"):
            getattr(nb.tensor(3.0), name)(1)
    assert nb.tensor(3).cumprod(-1).shape == ()
    with pytest.raises(IndexError, match="Dimension out of range \\(expected to be in range of \\[-1, 0\\], "
                                         "but got 3\\)"):
        nb.ones(3).cumsum(3)


@needs_torch
def test_median_and_cum_extremes_match_torch():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 4, (4, 9)).astype(np.float32)
    a[1, 3] = NAN
    a[2, [2, 5]] = NAN
    t = torch.from_numpy(a)
    for d in (0, 1):
        for name in ("median", "cummax", "cummin"):
            got, want = getattr(nb, name)(nb.tensor(a), d), getattr(torch, name)(t, d)
            np.testing.assert_array_equal(got.values.cpu().numpy(), want.values.cpu().numpy())
            np.testing.assert_array_equal(got.indices.cpu().numpy(), want.indices.cpu().numpy())
        np.testing.assert_allclose(nb.logcumsumexp(nb.tensor(a), d).cpu().numpy(),
                                   torch.logcumsumexp(t, d).cpu().numpy(), rtol=1e-6)
        np.testing.assert_array_equal(nb.nansum(nb.tensor(a), d).cpu().numpy(), torch.nansum(t, d).cpu().numpy())
        np.testing.assert_allclose(nb.nanmean(nb.tensor(a), d).cpu().numpy(), torch.nanmean(t, d).cpu().numpy(), rtol=1e-6)
    for d in (0, 1):
        got, want = nb.nanmedian(nb.tensor(a), d), torch.nanmedian(t, d)
        np.testing.assert_array_equal(got.values.cpu().numpy(), want.values.cpu().numpy())
        np.testing.assert_array_equal(got.indices.cpu().numpy(), want.indices.cpu().numpy())
