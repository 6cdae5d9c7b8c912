"""Reductions against NumPy: dims, keepdim, layouts, dtypes, NaN, empty inputs."""
import math

import numpy as np
import pytest
from support import SIMULATED

import nbtensor as nb

def check(result, expected, dtype=None, tol=1e-5):
    r = result.cpu().numpy()
    expected = np.asarray(expected)
    if dtype is not None:
        assert result.dtype is dtype
    assert r.shape == expected.shape, (r.shape, expected.shape)
    if r.dtype.kind == "f":
        np.testing.assert_allclose(r.astype(np.float64), expected.astype(np.float64), rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(r, expected)


A = np.random.default_rng(0).standard_normal((4, 5, 6)).astype(np.float32)
LAYOUTS = {
    "contiguous": (lambda t: t, lambda a: a),
    "permuted": (lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    "sliced": (lambda t: t[:, ::2, 1:], lambda a: a[:, ::2, 1:]),
}
DIMS = [None, 0, 1, -1, (0, 2), (1, 2), (0, 1, 2)]


# The layout tests also run with the parallel reduction kernels (tests/conftest.py); the
# dtype tests do not: a parallel build of every reduction for every dtype costs minutes of
# compilation on an empty kernel cache, for kernels whose bodies the serial builds share.
@pytest.mark.kernel_variants
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_value_reductions(layout, dim, keepdim):
    tf, af = LAYOUTS[layout]
    x, a = tf(nb.as_tensor(A)), af(A)
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    npkw = {"axis": dim, "keepdims": keepdim and dim is not None}
    check(x.sum(**kw), a.sum(**npkw, dtype=np.float64).astype(np.float32), nb.float32)
    check(x.mean(**kw), a.mean(**npkw, dtype=np.float64).astype(np.float32), nb.float32)
    check(x.prod(**kw) if dim is None or isinstance(dim, int) else nb.prod(x, dim, keepdim),
          a.prod(**npkw, dtype=np.float64).astype(np.float32), nb.float32, tol=1e-4)
    check(x.amax(**({} if dim is None else kw)), a.max(**npkw), nb.float32)
    check(x.amin(**({} if dim is None else kw)), a.min(**npkw), nb.float32)
    check(x.var(**kw), a.var(**npkw, ddof=1), nb.float32, tol=1e-4)
    check(x.std(**kw, correction=0), a.std(**npkw), nb.float32, tol=1e-4)
    # torch.norm keeps all dims with keepdim=True even when dim is None; its default 'fro'
    # over more than two dims is a matrix norm, which refuses them
    if dim is not None and not isinstance(dim, int) and len(dim) > 2:
        with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple"):
            nb.norm(x, dim=dim, keepdim=keepdim)
    else:
        check(nb.norm(x, dim=dim, keepdim=keepdim),
              np.sqrt((a.astype(np.float64) ** 2).sum(axis=dim, keepdims=keepdim)), tol=1e-4)
    check((x > 0).any(**kw), (a > 0).any(**npkw), nb.bool)
    check((x > -5).all(**kw), (a > -5).all(**npkw), nb.bool)


@pytest.mark.kernel_variants
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_max_min_argmax_with_indices(layout, dim):
    tf, af = LAYOUTS[layout]
    x, a = tf(nb.as_tensor(A)), af(A)
    values, indices = x.max(dim)
    check(values, a.max(axis=dim))
    check(indices, a.argmax(axis=dim), nb.int64)
    r = nb.min(x, dim=dim, keepdim=True)
    check(r.values, a.min(axis=dim, keepdims=True))
    check(r.indices, np.expand_dims(a.argmin(axis=dim), dim))
    check(x.argmax(dim), a.argmax(axis=dim))
    check(x.argmin(), np.argmin(a))
    assert x.max().item() == a.max()


@pytest.mark.parametrize("dtype", [nb.int64, nb.int32, nb.uint8, nb.bool, nb.float16, nb.float64])
def test_dtypes(dtype):
    a = (np.arange(24).reshape(4, 6) % 7).astype(dtype.np)
    x = nb.as_tensor(a)
    expected_sum_dtype = dtype if dtype.is_floating_point else nb.int64
    check(x.sum(), a.sum(dtype=np.float64 if dtype.is_floating_point else np.int64).astype(expected_sum_dtype.np),
          expected_sum_dtype)
    check(x.sum(1), a.sum(1, dtype=np.float64 if dtype.is_floating_point else np.int64).astype(expected_sum_dtype.np),
          expected_sum_dtype)
    check(x.amax(0), a.max(0), dtype)
    check(x.max(1).indices, a.argmax(1))
    check(x.sum(dtype=nb.float64), a.sum(dtype=np.float64), nb.float64)
    if not dtype.is_floating_point:
        with pytest.raises(RuntimeError, match="mean"):
            x.mean()


@pytest.mark.large
def test_float32_sum_is_accurate():
    x = nb.full((10 ** 6,), 0.1)
    assert abs(x.sum().item() - 1e5) / 1e5 < 1e-6
    big = np.random.default_rng(1).random((512, 700)).astype(np.float32)
    t = nb.as_tensor(big)
    check(t.sum(0), big.sum(0, dtype=np.float64))
    check(t.sum(1), big.sum(1, dtype=np.float64))
    check(t.t().sum(1), big.sum(0, dtype=np.float64))
    assert abs(t.sum().item() - big.sum(dtype=np.float64)) < 1e-2


def test_nan_propagation():
    a = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], np.float32)
    x = nb.as_tensor(a)
    check(x.sum(1), [np.nan, 15.0])
    check(x.amax(1), [np.nan, 6.0])
    check(x.max(1).indices, [1, 2])
    check(x.min(), np.nan)
    assert x.argmax().item() == 1


def test_empty_inputs():
    e = nb.zeros(0, 3)
    check(e.sum(), 0.0)
    check(e.sum(0), np.zeros(3))
    check(e.prod(0), np.ones(3))
    check(e.amax(1), np.zeros(0))
    assert math.isnan(e.mean().item())
    with pytest.raises(RuntimeError, match="numel\\(\\) == 0"):
        e.max()
    with pytest.raises(IndexError, match="non-zero size"):
        e.max(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        nb.ones(2, 2).sum(2)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        nb.ones(2, 2).sum((0, 0))


def test_zero_dim():
    s = nb.tensor(3.5)
    check(s.sum(), 3.5)
    check(s.max(), 3.5)
    check(s.argmax(), 0)
    check(s.mean(0), 3.5)


def test_softmax_logsumexp_cumulative():
    a = np.random.default_rng(2).standard_normal((3, 5)).astype(np.float32) * 50
    x = nb.as_tensor(a)
    a64 = a.astype(np.float64)
    e = np.exp(a64 - a64.max(1, keepdims=True))
    check(nb.softmax(x, dim=1), e / e.sum(1, keepdims=True))
    check(x.log_softmax(1), (a64 - a64.max(1, keepdims=True)) - np.log(e.sum(1, keepdims=True)), tol=1e-4)
    m = a64.max(0)
    check(nb.logsumexp(x, 0), m + np.log(np.exp(a64 - m).sum(0)), tol=1e-4)
    check(nb.softmax(nb.tensor([1000.0, 1000.0]), 0), [0.5, 0.5])
    check(x.cumsum(1), np.cumsum(a, 1), tol=1e-4)
    check(nb.cumprod(nb.tensor([1, 2, 3]), 0), [1, 2, 6], nb.int64)
    check(nb.tensor([True, True]).cumsum(0), [1, 2], nb.int64)


def _laid_out(rng, shape, layout, dtype):
    """(values, a tensor of them) of `shape` laid out "contiguous", "transposed" or "strided"."""
    if layout == "transposed":
        stored = (rng.standard_normal(shape[::-1]) * 20).astype(dtype)
        return stored.T, nb.as_tensor(stored).t()
    if layout == "strided":
        stored = (rng.standard_normal(shape[:-1] + (2 * shape[-1],)) * 20).astype(dtype)
        return stored[..., ::2], nb.as_tensor(stored)[..., ::2]
    a = (rng.standard_normal(shape) * 20).astype(dtype)
    return a, nb.as_tensor(a)


def _softmax_reference(a, dim, log):
    """Softmax or log-softmax of ndarray `a` along `dim`, in float64 (NaN rows stay NaN)."""
    a64 = a.astype(np.float64)
    with np.errstate(invalid="ignore"):
        shifted = a64 - a64.max(dim, keepdims=True)
        total = np.exp(shifted).sum(dim, keepdims=True)
        return shifted - np.log(total) if log else np.exp(shifted) / total


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, dim, layout", [((256, 10), 1, "contiguous"), ((4, 7), -1, "transposed"),
                                                ((3, 4, 5), 2, "strided"), ((7,), 0, "contiguous"),
                                                ((2, 5, 1), 1, "contiguous"), ((3, 1), 1, "contiguous"),
                                                pytest.param((600, 500), 1, "contiguous", marks=pytest.mark.large),
                                                pytest.param((30, 5000), 1, "contiguous", marks=pytest.mark.large)])
def test_softmax_along_rows_of_every_layout(shape, dim, layout, dtype, log):
    # the one-kernel softmax: any input layout, a row-major result, NaN and inf rows as torch
    a, x = _laid_out(np.random.default_rng(4), shape, layout, dtype)
    if layout == "contiguous" and a.ndim == 2 and a.shape[0] > 2 and dim in (-1, 1):
        a[0, 0] = np.nan  # a NaN row: all NaN
        a[1, :] = -np.inf  # a row of -inf: all NaN (inf - inf)
        a[2, 0] = np.inf  # nan where inf, 0 elsewhere
        if a.shape[0] > 4:
            a[3, a.shape[1] // 2] = np.nan  # NaN rows whose NaN is not first (the row maxima
            a[4, -1] = np.nan  # skip it there; the rows' sums bring it back)
        x = nb.as_tensor(a)
    result = (x.log_softmax if log else x.softmax)(dim)
    assert result.is_contiguous() and result.dtype is (nb.float32 if dtype == np.float32 else nb.float64)
    np.testing.assert_allclose(result.cpu().numpy(), _softmax_reference(a, dim, log),
                               rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.cpu_only
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape", [(37, 11), (300, 3), pytest.param((600, 500), marks=pytest.mark.large)])
def test_softmax_of_row_major_rows_is_bitwise_that_of_strided_rows(shape, log):
    # the CPU kernel computes row-major rows in passes over blocks of rows, strided ones row
    # by row: the same arithmetic, so the same bits (and the same gradients), NaN rows included
    a = (np.random.default_rng(5).standard_normal(shape) * 6).astype(np.float32)
    a[3, 1] = np.nan
    fn = nb.log_softmax if log else nb.softmax
    x, xt = nb.tensor(a, requires_grad=True), nb.tensor(a.T.copy()).t().requires_grad_()
    results = [fn(t, 1) for t in (x, xt)]
    assert not xt.is_contiguous()
    np.testing.assert_array_equal(results[0].detach().cpu().numpy(), results[1].detach().cpu().numpy())
    np.testing.assert_allclose(results[0].detach().cpu().numpy(), _softmax_reference(a, 1, log), rtol=1e-5, atol=1e-6)
    weight = nb.tensor(np.random.default_rng(6).standard_normal(shape).astype(np.float32))
    grads = [nb.autograd.grad((r * weight).sum(), t)[0] for r, t in zip(results, (x, xt))]
    np.testing.assert_array_equal(grads[0].cpu().numpy(), grads[1].cpu().numpy())


def _logsumexp_reference(a, dim, keepdim):
    """logsumexp of ndarray `a` along `dim` in float64, shifted as torch shifts it (by the
    maximum, or by 0 where that is not finite)."""
    a64 = a.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        m = a64.max(dim, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        result = np.log(np.exp(a64 - m).sum(dim, keepdims=True)) + m
    return result if keepdim else result.squeeze(dim)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, dim, layout", [((256, 10), 1, "contiguous"), ((4, 7), -1, "transposed"),
                                                ((3, 4, 5), [2], "strided"), ((7,), (0,), "contiguous"),
                                                ((2, 5, 1), 1, "contiguous"), ((5, 6), 0, "contiguous"),
                                                pytest.param((40, 3000), 1, "contiguous", marks=pytest.mark.large)])
def test_logsumexp_of_every_layout_and_special_rows(shape, dim, layout, dtype, keepdim):
    # one kernel per row along the last dimension; other dims are composed from ops
    a, x = _laid_out(np.random.default_rng(6), shape, layout, dtype)
    if layout == "contiguous" and a.ndim == 2 and a.shape[0] > 4:
        a[0, 0] = np.nan     # nan
        a[1, :] = -np.inf    # -inf
        a[2, 0] = np.inf     # inf
        a[3, :] = 3e38 if dtype == np.float32 else 1e308  # near the top of the range: the shift keeps it finite
        a[4, -1] = np.nan    # nan, not first
        x = nb.as_tensor(a)
    np_dim = dim if type(dim) is int else dim[0]
    result = x.logsumexp(dim, keepdim=keepdim)
    assert result.dtype is (nb.float32 if dtype == np.float32 else nb.float64)
    expected = _logsumexp_reference(a, np_dim, keepdim).astype(dtype)
    np.testing.assert_allclose(result.cpu().numpy(), expected, rtol=1e-6 if dtype == np.float32 else 1e-13,
                               atol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.large
def test_large_parallel_reductions():
    a = np.random.default_rng(3).random((700, 300)).astype(np.float32)
    x = nb.as_tensor(a)
    check(x.amax(), a.max())
    check(x.amax(0), a.max(0))
    check(x.t().amin(1), a.min(0))
    check(x.argmax(1), a.argmax(1))
    check(x.sum(), a.sum(dtype=np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_amax_amin_max_min_of_row_major_tensors(dtype):
    # the memoised fast path (contiguous float32/float64/int64 on the CPU) against NumPy:
    # every dim and keepdim, NaN propagating, and the same plans as sum's
    rng = np.random.default_rng(3)
    a = (rng.standard_normal((3, 4, 5)) * 10).astype(dtype)
    if dtype != np.int64:
        a[1, 2, 3] = np.nan
    x = nb.tensor(a)
    check(x.max(), np.max(a))
    check(x.min(), np.min(a))
    check(x.sum(1), a.sum(1, dtype=np.float64 if dtype != np.int64 else np.int64).astype(dtype))
    for dims in (0, 1, -1, (0, 2), (1, 2), [0, 1, 2], ()):
        for keepdim in (False, True):
            axis = tuple(range(3)) if dims == () else dims if type(dims) is int else tuple(dims)
            check(x.amax(dims, keepdim), np.max(a, axis=axis, keepdims=keepdim))
            check(x.amin(dims, keepdim=keepdim), np.min(a, axis=axis, keepdims=keepdim))
    with pytest.raises(TypeError):
        x.amax(1.0)  # after amax(1) was planned: 1.0 == 1 as a key
    with pytest.raises(RuntimeError, match="numel\\(\\) == 0"):
        nb.zeros(0).max()


def test_float32_variance_of_one_output_takes_its_mean_from_a_float64_sum():
    # torch's single-output path: the float32 mean of the exact (float64) sum, the deviations
    # in float64. Summing float32 in float32 blocks first moved the mean by an ulp in about
    # half of these cases (values near 1e4).
    rng = np.random.default_rng(7)
    for _ in range(10 if SIMULATED else 200):  # (every GPU thread is a Python thread in the simulator)
        n = int(rng.integers(600, 3000))
        x = (rng.standard_normal(n) + 1e4).astype(np.float32)
        mean = np.float64(np.float32(x.astype(np.float64).sum()) / np.float32(n))
        expect = np.float32(((x.astype(np.float64) - mean) ** 2).sum() / (n - 1))
        assert nb.as_tensor(x).var().item() == expect


def test_memoised_sum_plans_never_let_a_bad_dim_through():
    # sum/mean remember plans per (shape, dim, keepdim); 1.0 == 1 and True == 1 as dict keys,
    # so those must still raise torch's TypeError after the int form has been planned
    x = nb.ones(2, 3)
    check(x.sum(1), [3.0, 3.0])
    check(x.mean(1, keepdim=True), [[1.0], [1.0]])
    check(x.sum([0, 1]), 6.0)
    for bad in (lambda: x.sum(1.0), lambda: x.mean(1.0), lambda: x.sum(True), lambda: x.sum([0, 1.0])):
        with pytest.raises(TypeError):
            bad()


def test_variance_over_no_degrees_of_freedom_warns_as_torch():
    import warnings
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        v = nb.ones(1).var()
    assert np.isnan(v.item())  # (torch: nan for 0 / 0)
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0"):
        s = nb.arange(6.0).reshape(2, 3).std(0, correction=3)
    np.testing.assert_array_equal(s.cpu().numpy(), [np.inf] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nb.ones(3).var()
        nb.ones(1).var(unbiased=False)


def test_amax_with_a_dim_that_is_not_ints_raises_torchs_type_error():
    x = nb.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError, match=r"amax\(\): argument 'dim' \(position 1\) must be tuple of ints, not float"):
        x.amax(1.0)
    with pytest.raises(TypeError, match="but found element of type float at pos 1"):
        x.amin((0, 1.0))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int16", "uint8"])
def test_max_and_min_of_long_runs_match_numpy(dtype):
    # runs of 64 or more elements reduce in lanes, then in order where the lanes could differ
    rng = np.random.default_rng(5)
    for n in (64, 65, 71, 128, 257, 1000):
        a = (rng.standard_normal((3, n)) * 50).astype(dtype)
        x = nb.tensor(a)
        np.testing.assert_array_equal(x.amax(1).cpu().numpy(), a.max(1))
        np.testing.assert_array_equal(x.amin(1).cpu().numpy(), a.min(1))
        assert x[1].max().item() == a[1].max() and x[2].min().item() == a[2].min()


@pytest.mark.cpu_only  # (the CPU kernels' order: a parallel GPU reduction keeps either zero of a tie)
def test_max_of_a_long_run_keeps_the_first_zero_and_propagates_nan():
    a = -np.arange(1.0, 101.0)
    a[3], a[40] = -0.0, 0.0  # a tie of -0. and 0.: the first is kept
    assert np.signbit(nb.tensor(a).max().item())
    a[3], a[40] = 0.0, -0.0
    assert not np.signbit(nb.tensor(a).max().item())
    b = -a
    b[3], b[40] = -0.0, 0.0
    assert np.signbit(nb.tensor(b).min().item())
    a[90] = np.nan
    assert np.isnan(nb.tensor(a).max().item()) and np.isnan(nb.tensor(-a).min().item())


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
def test_float32_sums_accumulate_wide_and_store_float32(dim):
    # a float32 sum is accumulated in float64 and stored as float32: past float32's range
    # it is inf (no NumPy overflow warning), a sum of -0.0 is +0.0, NaN propagates
    import warnings
    big = np.full((2, 3), 1e38, np.float32)
    big[:, 0] = -3e38
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = nb.tensor(big).sum(dim)
    assert got.dtype is nb.float32
    # by hand: the first column sums to -6e38 (-inf), the others to 2e38, a row to -1e38
    expected = {None: -2e38, 0: [-np.inf, 2e38, 2e38], 1: [-1e38, -1e38], (0, 1): -2e38}[dim]
    np.testing.assert_allclose(got.cpu().numpy(), np.asarray(expected, np.float32), rtol=1e-6)
    zeros = nb.tensor(np.full((2, 3), -0.0, np.float32)).sum(dim)
    assert not np.signbit(zeros.cpu().numpy()).any()
    holes = np.ones((2, 3), np.float32)
    holes[0, 1] = np.nan
    np.testing.assert_array_equal(np.isnan(nb.tensor(holes).sum(dim).cpu().numpy()), np.isnan(holes.sum(axis=dim)))
    small = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(nb.tensor(small).sum(dim).cpu().numpy(), small.astype(np.float64).sum(axis=dim),
                               rtol=1e-6, atol=1e-6)
