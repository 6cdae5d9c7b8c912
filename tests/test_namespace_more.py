"""bucketize, cdist, trapezoid/trapz/cumulative_trapezoid, unravel_index, the window
functions and erfinv: values against NumPy (or by hand) and against torch where it is
installed (values, dtypes, errors, gradients); gradients by central differences."""
import math

import numpy as np
import pytest

import nbtensor
from nbtensor.autograd import gradcheck
from tests.support import check, needs_torch, numpy_of, torch


def _f64(values, requires_grad=False):
    return nbtensor.tensor(values, dtype=nbtensor.float64, requires_grad=requires_grad)


def _raises_like(fn_nb, fn_torch):
    """Both calls raise the same exception class with the same message (nbtensor's module
    name stands where torch's prints its own)."""
    with pytest.raises(Exception) as want:
        fn_torch()
    with pytest.raises(type(want.value)) as got:
        fn_nb()
    assert type(got.value) is type(want.value)
    assert str(got.value).replace("nbtensor.", "torch.") == str(want.value), (got.value, want.value)


def _same_error(call):
    """``call(module)`` raises the same error from nbtensor as from torch."""
    _raises_like(lambda: call(nbtensor), lambda: call(torch))


# ---------------------------------------------------------------- erfinv
def _erf(values):
    return np.vectorize(math.erf)(np.asarray(values, np.float64))


def test_erfinv_inverts_erf_and_its_special_values():
    y = np.linspace(-0.999999, 0.999999, 401)
    x = nbtensor.erfinv(_f64(y))
    assert x.dtype is nbtensor.float64
    np.testing.assert_allclose(_erf(numpy_of(x)), y, rtol=1e-15, atol=1e-16)
    # near +-1, erfc is the check: 1 - erf(x) has no digits left there
    tails = 1 - np.logspace(-15, -1, 50)
    got = numpy_of(nbtensor.erfinv(_f64(tails)))
    np.testing.assert_allclose(np.vectorize(math.erfc)(got), 1 - tails, rtol=1e-13)
    edge = numpy_of(nbtensor.erfinv(_f64([1.0, -1.0, 1.5, -2.0, math.nan, 0.0, -0.0, 1e-300])))
    assert edge[0] == math.inf and edge[1] == -math.inf and np.isnan(edge[2:5]).all()
    assert edge[5] == 0 and math.copysign(1, edge[6]) == -1
    assert edge[7] == pytest.approx(1e-300 * math.sqrt(math.pi) / 2, rel=1e-15)
    # a known value: erfinv(0.5) = 0.4769362762044699
    assert float(nbtensor.erfinv(_f64(0.5))) == pytest.approx(0.4769362762044699, rel=2e-16)


def test_erfinv_forms_and_dtypes():
    ints = nbtensor.tensor([0, 1, -1])
    check(nbtensor.erfinv(ints), np.array([0.0, math.inf, -math.inf], np.float32))
    check(nbtensor.tensor([True, False]).erfinv(), np.array([math.inf, 0.0], np.float32))
    x = nbtensor.tensor([0.25, -0.5], dtype=nbtensor.float32)
    want = numpy_of(nbtensor.erfinv(x))
    assert nbtensor.special.erfinv(x).equal(nbtensor.erfinv(x))
    assert x.erfinv_() is x and np.array_equal(numpy_of(x), want)
    out = nbtensor.empty(2, dtype=nbtensor.float64)
    nbtensor.erfinv(nbtensor.tensor([0.25, -0.5], dtype=nbtensor.float64), out=out)
    np.testing.assert_allclose(_erf(numpy_of(out)), [0.25, -0.5], rtol=1e-15)
    half = nbtensor.erfinv(nbtensor.tensor([0.5], dtype=nbtensor.float16))
    assert half.dtype is nbtensor.float16 and abs(float(half) - 0.4769362762) < 1e-3
    with pytest.raises(RuntimeError):
        nbtensor.tensor([1, 2]).erfinv_()  # an int tensor cannot hold the float result


def test_erfinv_gradient_and_truncated_normal_use():
    y = _f64([-0.9, -0.3, 0.0, 0.45, 0.97], requires_grad=True)
    assert gradcheck(nbtensor.erfinv, (y,))
    x = nbtensor.erfinv(y)
    assert x.grad_fn.name() == "ErfinvBackward0"
    x.sum().backward()
    want = math.sqrt(math.pi) / 2 * np.exp(numpy_of(x) ** 2)
    np.testing.assert_allclose(numpy_of(y.grad), want, rtol=1e-14)
    # nn.init.trunc_normal_'s recipe: uniform in [2 cdf(a) - 1, 2 cdf(b) - 1], then erfinv_
    nbtensor.manual_seed(0)
    t = nbtensor.empty(2000)
    lo, hi = (1 + math.erf(-2 / math.sqrt(2))) / 2, (1 + math.erf(2 / math.sqrt(2))) / 2
    with nbtensor.no_grad():
        t.uniform_(2 * lo - 1, 2 * hi - 1).erfinv_().mul_(math.sqrt(2.0)).clamp_(-2, 2)
    values = numpy_of(t)
    assert np.isfinite(values).all() and values.min() >= -2 and values.max() <= 2
    assert abs(values.mean()) < 0.1 and 0.8 < values.std() < 0.95  # (a normal truncated at 2 sd: 0.88)


@needs_torch
@pytest.mark.large
def test_erfinv_matches_torch():
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.uniform(-1, 1, 20000), 1 - np.logspace(-16, -1, 200), -1 + np.logspace(-16, -1, 200),
                        np.logspace(-300, -1, 200), [1.0, -1.0, 2.0, math.nan]])
    for np_dtype, nb_dtype, t_dtype in ((np.float64, nbtensor.float64, torch.float64),
                                        (np.float32, nbtensor.float32, torch.float32)):
        a = y.astype(np_dtype)
        got = numpy_of(nbtensor.erfinv(nbtensor.tensor(a, dtype=nb_dtype)))
        want = torch.erfinv(torch.tensor(a, dtype=t_dtype)).numpy()
        assert got.dtype == want.dtype
        same = np.isnan(want) | ~np.isfinite(want)
        assert np.array_equal(got[same], want[same], equal_nan=True)
        ulps = np.abs(got[~same] - want[~same]) / np.spacing(np.abs(want[~same]).astype(np_dtype))
        assert ulps.max() <= 2, ulps.max()
    assert torch.erfinv(torch.tensor([0, 1])).dtype == torch.float32
    assert not hasattr(torch, "erfinv_") and not hasattr(nbtensor, "erfinv_")
    g = torch.tensor([0.3, -0.8], dtype=torch.float64, requires_grad=True)
    torch.erfinv(g).sum().backward()
    n = _f64([0.3, -0.8], requires_grad=True)
    nbtensor.erfinv(n).sum().backward()
    np.testing.assert_allclose(numpy_of(n.grad), g.grad.numpy(), rtol=1e-14)


# ---------------------------------------------------------------- bucketize
def test_bucketize_values():
    bounds = [1, 3, 5, 7, 9]
    values = np.array([[0, 1, 3, 6], [9, 10, 5, 2]])
    b = nbtensor.tensor(bounds)
    check(nbtensor.bucketize(nbtensor.tensor(values), b), np.searchsorted(bounds, values, side="left"))
    check(nbtensor.bucketize(nbtensor.tensor(values), b, right=True, out_int32=True),
          np.searchsorted(bounds, values, side="right").astype(np.int32))
    check(nbtensor.bucketize(3, b), np.array(1))
    check(nbtensor.bucketize(3.5, b, right=True), np.array(2))
    out = nbtensor.empty(4, dtype=nbtensor.int64)
    assert nbtensor.bucketize(nbtensor.tensor([0.5, 2.0, 8.0, 100.0]), b, out=out) is out
    check(out, np.array([0, 1, 4, 5]))
    check(nbtensor.bucketize(nbtensor.tensor([math.nan, 2.0]), nbtensor.tensor([0.0, 3.0])), np.array([2, 1]))
    assert not hasattr(nbtensor.Tensor, "bucketize")


def test_bucketize_errors():
    b = nbtensor.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"boundaries tensor must be 1 dimension, but got dim\(2\)"):
        nbtensor.bucketize(nbtensor.tensor([1.0]), b.reshape(1, 2))
    with pytest.raises(RuntimeError, match=r"but got dim\(0\)"):
        nbtensor.bucketize(nbtensor.tensor([1.0]), nbtensor.tensor(1.0))
    with pytest.raises(TypeError, match=r"got \(Tensor, list\)"):
        nbtensor.bucketize(nbtensor.tensor([1.0]), [1.0, 2.0])
    with pytest.raises(TypeError, match=r"got \(int, Tensor, out=Tensor\)"):
        nbtensor.bucketize(3, b, out=nbtensor.empty(0, dtype=nbtensor.int64))
    with pytest.raises(RuntimeError, match="output tensor's dtype is wrong"):
        nbtensor.bucketize(nbtensor.tensor([1.0]), b, out=nbtensor.empty(1, dtype=nbtensor.int32))


@needs_torch
def test_bucketize_matches_torch():
    rng = np.random.default_rng(1)
    bounds = np.sort(rng.normal(size=7)).astype(np.float32)
    values = rng.normal(size=(3, 5)).astype(np.float32)
    values[0, :3] = bounds[:3]
    for right in (False, True):
        got = nbtensor.bucketize(nbtensor.tensor(values), nbtensor.tensor(bounds), right=right)
        want = torch.bucketize(torch.tensor(values), torch.tensor(bounds), right=right)
        check(got, want.numpy())
    _raises_like(lambda: nbtensor.bucketize(nbtensor.tensor([1.0]), [1.0]),
                 lambda: torch.bucketize(torch.tensor([1.0]), [1.0]))
    _raises_like(lambda: nbtensor.bucketize(nbtensor.tensor([True]), nbtensor.tensor([True])),
                 lambda: torch.bucketize(torch.tensor([True]), torch.tensor([True])))
    _raises_like(lambda: nbtensor.bucketize(nbtensor.tensor([1.0]), nbtensor.ones(2, 2)),
                 lambda: torch.bucketize(torch.tensor([1.0]), torch.ones(2, 2)))


# ---------------------------------------------------------------- cdist
def _cdist_numpy(a, b, p):
    """Distances of rows by the definition, batch dimensions broadcast."""
    d = np.abs(a[..., :, None, :].astype(np.float64) - b[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(np.float64)
    if p == math.inf:
        return d.max(-1, initial=0)
    return (d ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf])
def test_cdist_values_and_batch_broadcasting(p):
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 1, 4, 5))
    b = rng.normal(size=(2, 6, 5))
    a[0, 0, 1] = b[1, 2]  # a zero distance
    got = nbtensor.cdist(_f64(a), _f64(b), p=p)
    assert got.shape == (3, 2, 4, 6) and got.dtype is nbtensor.float64
    np.testing.assert_allclose(numpy_of(got), _cdist_numpy(a, b, p), rtol=1e-12, atol=1e-12)
    f32 = nbtensor.cdist(nbtensor.tensor(a, dtype=nbtensor.float32), nbtensor.tensor(b, dtype=nbtensor.float32), p)
    assert f32.dtype is nbtensor.float32
    np.testing.assert_allclose(numpy_of(f32), _cdist_numpy(a.astype(np.float32), b.astype(np.float32), p),
                               rtol=1e-5, atol=1e-5)


def test_cdist_matrix_product_mode_for_many_points():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 40, 3)), rng.normal(size=(7, 3))
    want = _cdist_numpy(a, b, 2)
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        got = nbtensor.cdist(_f64(a), _f64(b), compute_mode=mode)
        np.testing.assert_allclose(numpy_of(got), want, rtol=1e-7, atol=1e-7)
    # the product form cancels: a point's distance to itself is not exactly 0 (clamped at 1e-30)
    same = nbtensor.cdist(_f64(a[0]), _f64(a[0]), compute_mode="use_mm_for_euclid_dist").diagonal()
    assert (numpy_of(same) >= 1e-15).all() and (numpy_of(same) < 1e-6).all()
    exact = nbtensor.cdist(_f64(a[0]), _f64(a[0]), compute_mode="donot_use_mm_for_euclid_dist").diagonal()
    assert (numpy_of(exact) == 0).all()
    # the default mode switches to the product past 25 points in either set
    for points, product in ((25, False), (26, True)):
        pts = _f64(a[0, :points])
        assert (numpy_of(nbtensor.cdist(pts, pts).diagonal()) > 0).all() == product
        assert (numpy_of(nbtensor.cdist(pts[:3], pts).diagonal()) > 0).all() == product


def test_cdist_large_inputs_go_in_blocks(monkeypatch):
    import nbtensor.ops.statistics as statistics
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(2, 9, 3)), rng.normal(size=(5, 3))
    weights = _f64(rng.normal(size=(2, 9, 5)))
    x = _f64(a, requires_grad=True)
    whole = nbtensor.cdist(x, _f64(b), p=3)
    whole.backward(weights)
    monkeypatch.setattr(statistics, "_CDIST_BLOCK", 60)  # two rows of 5 x 3 (x2 batches) at a time
    xb = _f64(a, requires_grad=True)
    blocked = nbtensor.cdist(xb, _f64(b), p=3)
    assert blocked.grad_fn.name() == "CatBackward0"
    np.testing.assert_array_equal(numpy_of(blocked), numpy_of(whole))
    blocked.backward(weights)
    np.testing.assert_array_equal(numpy_of(xb.grad), numpy_of(x.grad))


def test_cdist_edges():
    check(nbtensor.cdist(nbtensor.ones(3, 0), nbtensor.ones(2, 0)), np.zeros((3, 2), np.float32))
    check(nbtensor.cdist(nbtensor.ones(0, 4), nbtensor.ones(2, 4), p=1), np.zeros((0, 2), np.float32))
    inf_nan = nbtensor.tensor([[math.inf, 0.0], [math.nan, 1.0]])
    other = nbtensor.tensor([[math.inf, 0.0]])
    assert np.isnan(numpy_of(nbtensor.cdist(inf_nan, other, p=1))).all()
    assert np.isnan(numpy_of(nbtensor.cdist(inf_nan, other, p=0))).all()
    # the max-norm skips NaN coordinates, as torch's kernel does
    check(nbtensor.cdist(nbtensor.tensor([[math.nan, 1.0]]), nbtensor.tensor([[0.0, 3.0]]), p=math.inf),
          np.array([[2.0]], np.float32))
    check(nbtensor.cdist(nbtensor.tensor([[0.0, 1.0]]), nbtensor.tensor([[0.0, 3.0], [1.0, 1.0]]),
                         p=nbtensor.tensor(1.0)), np.array([[2.0, 1.0]], np.float32))


def test_cdist_errors():
    a, b = nbtensor.ones(2, 3), nbtensor.ones(4, 3)
    cases = [
        (RuntimeError, "cdist only supports at least 2D tensors, X1 got: 1D", (nbtensor.ones(3), b), {}),
        (RuntimeError, "cdist only supports at least 2D tensors, X2 got: 1D", (a, nbtensor.ones(3)), {}),
        (RuntimeError, "X1 and X2 must have the same number of columns. X1: 3 X2: 2", (a, nbtensor.ones(2, 2)), {}),
        (RuntimeError, "cdist only supports non-negative p values", (a, b), {"p": -1}),
        (RuntimeError, "cdist only supports floating-point dtypes, X2 got: Int", (a, b.int()), {}),
        (RuntimeError, "expected scalar type Float but found Double", (a, b.double()), {}),
        (NotImplementedError, "\"cdist\" not implemented for 'Half'", (a.half(), b.half()), {}),
        (ValueError, "foo is not a valid value for compute_mode", (a, b), {"compute_mode": "foo"}),
        (TypeError, "cdist(): argument 'x2' (position 2) must be Tensor, not list", (a, [[1.0, 2.0, 3.0]]), {}),
    ]
    for exception, message, args, kwargs in cases:
        with pytest.raises(exception) as caught:
            nbtensor.cdist(*args, **kwargs)
        assert str(caught.value) == message
    with pytest.raises(RuntimeError, match="must match the size"):
        nbtensor.cdist(nbtensor.ones(3, 2, 3), nbtensor.ones(2, 4, 3))


# (0.5, 1.5 and 3 are 'large': slow in the CUDA simulator, where every GPU thread is a Python thread)
@pytest.mark.parametrize("p", [pytest.param(0.5, marks=pytest.mark.large), 1, pytest.param(1.5, marks=pytest.mark.large),
                               2, pytest.param(3, marks=pytest.mark.large), math.inf])
def test_cdist_gradcheck(p):
    rng = np.random.default_rng(5)
    x = _f64(rng.normal(size=(2, 3, 4)), requires_grad=True)
    y = _f64(rng.normal(size=(5, 4)), requires_grad=True)
    assert gradcheck(lambda s, t: nbtensor.cdist(s, t, p=p), (x, y))
    if p == 2:  # the matrix-product form
        few = _f64(rng.normal(size=(3, 2)), requires_grad=True)
        assert gradcheck(lambda s, t: nbtensor.cdist(s, t, compute_mode="use_mm_for_euclid_dist"),
                         (few, y[:, :2].detach().contiguous().requires_grad_()))


def test_cdist_zero_norm_has_a_zero_gradient():
    x = _f64([[0.0, 1.0], [2.0, 2.0]], requires_grad=True)
    d = nbtensor.cdist(x, _f64([[0.0, 3.0]]), p=0)
    check(d.detach(), np.array([[1.0], [2.0]]))
    d.sum().backward()
    check(x.grad, np.zeros((2, 2)))


@needs_torch
@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, math.inf])
def test_cdist_matches_torch_with_gradients_at_zero_distances(p):
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3))
    a[0, 0] = b[0, 0]  # zero distance
    a[1, 1, 0] = b[1, 2, 0]  # one equal coordinate
    a[1, 2] = b[1, 3] + np.array([1.0, -1.0, 0.5])  # tied largest differences
    tx, ty = (torch.tensor(v, requires_grad=True) for v in (a, b))
    nx, ny = (_f64(v, requires_grad=True) for v in (a, b))
    want, got = torch.cdist(tx, ty, p=p), nbtensor.cdist(nx, ny, p=p)
    np.testing.assert_allclose(numpy_of(got), want.detach().numpy(), rtol=1e-13, atol=1e-13)
    weights = rng.normal(size=want.shape)
    want.backward(torch.tensor(weights))
    got.backward(_f64(weights))
    np.testing.assert_allclose(numpy_of(nx.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(numpy_of(ny.grad), ty.grad.numpy(), rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.large
def test_cdist_many_points_match_torch():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(3, 60, 8)).astype(np.float32), rng.normal(size=(1, 30, 8)).astype(np.float32)
    for mode in ("use_mm_for_euclid_dist_if_necessary", "donot_use_mm_for_euclid_dist"):
        want = torch.cdist(torch.tensor(a), torch.tensor(b), compute_mode=mode).numpy()
        got = numpy_of(nbtensor.cdist(nbtensor.tensor(a), nbtensor.tensor(b), compute_mode=mode))
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)
    tx = torch.tensor(a[0], requires_grad=True)
    nx = nbtensor.tensor(a[0], requires_grad=True)
    torch.cdist(tx, torch.tensor(b[0])).sum().backward()
    nbtensor.cdist(nx, nbtensor.tensor(b[0])).sum().backward()
    np.testing.assert_allclose(numpy_of(nx.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    _raises_like(lambda: nbtensor.cdist(nbtensor.ones(2, 3).double(), nbtensor.ones(2, 3)),
                 lambda: torch.cdist(torch.ones(2, 3).double(), torch.ones(2, 3)))


# ---------------------------------------------------------------- trapezoid
Y = [1.0, 3.0, 7.0, 8.0]
X = [0.0, 1.0, 3.0, 6.0]


def _cumulative(y, x=None, dx=1.0, axis=-1):
    """The running trapezoidal rule by its definition."""
    y = np.asarray(y, np.float64)
    n = y.shape[axis]
    right, left = np.take(y, range(1, n), axis), np.take(y, range(n - 1), axis)
    widths = dx if x is None else np.diff(np.asarray(x, np.float64), axis=axis)
    return np.cumsum(widths * (right + left) / 2, axis=axis)


def test_trapezoid_values():
    check(nbtensor.trapezoid(nbtensor.tensor(Y)), np.array(np.trapezoid(Y), np.float32))
    check(nbtensor.trapezoid(nbtensor.tensor(Y), dx=0.5), np.array(np.trapezoid(Y, dx=0.5), np.float32))
    check(nbtensor.trapezoid(nbtensor.tensor(Y), nbtensor.tensor(X)), np.array(np.trapezoid(Y, X), np.float32))
    check(nbtensor.trapz(nbtensor.tensor(Y), nbtensor.tensor(X)), np.array(34.5, np.float32))
    check(nbtensor.trapz(nbtensor.tensor(Y), dx=2), np.array(29.0, np.float32))
    m = np.arange(24.0).reshape(2, 3, 4) ** 1.5
    xs = np.array([0.0, 0.5, 2.0])
    check(nbtensor.trapezoid(_f64(m), _f64(xs), dim=1), np.trapezoid(m, xs, axis=1))
    xb = np.array([[0.0, 1.0, 3.0, 4.0]])  # broadcast against y's slices
    np.testing.assert_allclose(numpy_of(nbtensor.trapezoid(_f64(m), _f64(xb))),
                               np.trapezoid(m, np.broadcast_to(xb, m.shape)))
    check(nbtensor.trapezoid(nbtensor.tensor([1, 2, 4])), np.array(4.5, np.float32))  # integers: default float
    check(nbtensor.trapezoid(nbtensor.tensor([1, 2, 4]), nbtensor.tensor([1, 2, 4])), np.array(7.5, np.float32))
    check(nbtensor.trapezoid(nbtensor.ones(2, 0, dtype=nbtensor.int64)), np.zeros(2, np.int64))
    check(nbtensor.trapezoid(nbtensor.tensor([2.0])), np.array(0.0, np.float32))
    assert nbtensor.trapezoid(nbtensor.ones(3, dtype=nbtensor.float16)).dtype is nbtensor.float16


def test_cumulative_trapezoid_values():
    check(nbtensor.cumulative_trapezoid(nbtensor.tensor(Y)), _cumulative(Y).astype(np.float32))
    check(nbtensor.cumulative_trapezoid(nbtensor.tensor(Y), dx=2), _cumulative(Y, dx=2).astype(np.float32))
    check(nbtensor.cumulative_trapezoid(nbtensor.tensor(Y), nbtensor.tensor(X)), _cumulative(Y, X).astype(np.float32))
    m = np.arange(12.0).reshape(3, 4) ** 2
    check(nbtensor.cumulative_trapezoid(_f64(m), _f64([0.0, 1.0, 4.0]), dim=0),
          _cumulative(m, np.array([0.0, 1.0, 4.0])[:, None], axis=0))
    check(nbtensor.cumulative_trapezoid(nbtensor.tensor([1, 2, 5])), np.array([1.5, 5.0], np.float32))
    check(nbtensor.cumulative_trapezoid(nbtensor.tensor([1.0])), np.zeros(0, np.float32))
    check(nbtensor.cumulative_trapezoid(nbtensor.ones(2, 0, dtype=nbtensor.int64)), np.zeros((2, 0), np.float32))


def test_trapezoid_errors():
    y = nbtensor.tensor(Y)
    with pytest.raises(RuntimeError, match=r"^trapezoid: There must be one `x` value for each sample point$"):
        nbtensor.trapezoid(y, nbtensor.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="^cumulative_trapezoid: There must be one `x` value"):
        nbtensor.cumulative_trapezoid(y, nbtensor.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"^trapezoid: received a bool input for `y`, but bool is not supported$"):
        nbtensor.trapezoid(nbtensor.tensor([True, False]))
    with pytest.raises(RuntimeError, match=r"received a bool input for `x` or `y`"):
        nbtensor.cumulative_trapezoid(y[:2], nbtensor.tensor([True, False]))
    with pytest.raises(TypeError, match=r"got \(Tensor, Tensor, dx=int\), but expected one of:\n \* \(Tensor y, "
                                        r"Tensor x"):
        nbtensor.trapezoid(y, nbtensor.tensor(X), dx=2)
    with pytest.raises(TypeError, match=r"^trapz\(\) received an invalid combination of arguments - got "
                                        r"\(Tensor, float\)"):
        nbtensor.trapz(y, 2.0)
    with pytest.raises(TypeError, match=r"argument 'y' \(position 1\) must be Tensor, not list"):
        nbtensor.trapezoid([1.0, 2.0])
    with pytest.raises(IndexError, match="Dimension specified as -1 but tensor has no dimensions"):
        nbtensor.trapezoid(nbtensor.tensor(1.0))
    with pytest.raises(IndexError, match=r"slice\(\) cannot be applied to a 0-dim tensor."):
        nbtensor.cumulative_trapezoid(nbtensor.tensor(1.0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        nbtensor.trapezoid(y, dim=1)
    with pytest.raises(RuntimeError, match="we only support dx as a real number"):
        nbtensor.trapezoid(y, dx=True)
    for name in ("trapezoid", "trapz", "cumulative_trapezoid"):
        assert not hasattr(nbtensor.Tensor, name)


def test_trapezoid_gradients():
    y = _f64([[1.0, 3.0, 7.0, 8.0], [0.5, -1.0, 2.0, 4.0]], requires_grad=True)
    x = _f64([0.0, 1.0, 3.0, 6.0], requires_grad=True)
    assert gradcheck(lambda a: nbtensor.trapezoid(a, dx=0.5), (y,))
    assert gradcheck(lambda a, b: nbtensor.trapezoid(a, b), (y, x))
    assert gradcheck(lambda a, b: nbtensor.trapz(a, b, dim=-1), (y, x))
    assert gradcheck(lambda a: nbtensor.cumulative_trapezoid(a, dim=0), (y,))
    assert gradcheck(lambda a, b: nbtensor.cumulative_trapezoid(a, b), (y, x))
    nbtensor.trapezoid(y[0], dx=2.0).backward()
    check(y.grad[0], np.array([1.0, 2.0, 2.0, 1.0]))  # the trapezoid weights dx/2, dx, ..., dx/2


@needs_torch
def test_trapezoid_matches_torch():
    rng = np.random.default_rng(8)
    y = rng.normal(size=(3, 5)).astype(np.float32)
    x = np.cumsum(rng.uniform(size=5)).astype(np.float32)
    calls = [
        lambda m, v: m.trapezoid(v(y)),
        lambda m, v: m.trapezoid(v(y), dx=0.3, dim=0),
        lambda m, v: m.trapezoid(v(y), v(x)),
        lambda m, v: m.trapz(v(y), v(x[:3]), dim=0),
        lambda m, v: m.cumulative_trapezoid(v(y), dx=1.5),
        lambda m, v: m.cumulative_trapezoid(v(y), v(x)),
        lambda m, v: m.trapezoid(v(y.astype(np.int32)), v(x.astype(np.int64))),
    ]
    for fn in calls:
        want = fn(torch, torch.tensor).numpy()
        got = numpy_of(fn(nbtensor, nbtensor.tensor))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    _raises_like(lambda: nbtensor.trapezoid(nbtensor.tensor(y), 2), lambda: torch.trapezoid(torch.tensor(y), 2))
    _raises_like(lambda: nbtensor.trapz(nbtensor.tensor(y), 2.0), lambda: torch.trapz(torch.tensor(y), 2.0))
    _raises_like(lambda: nbtensor.cumulative_trapezoid(nbtensor.tensor(y), 2),
                 lambda: torch.cumulative_trapezoid(torch.tensor(y), 2))
    _raises_like(lambda: nbtensor.trapezoid(nbtensor.tensor([True])), lambda: torch.trapezoid(torch.tensor([True])))


# ---------------------------------------------------------------- unravel_index
def test_unravel_index_values():
    flat = np.array([[0, 5, 23], [17, 9, 1]])
    got = nbtensor.unravel_index(nbtensor.tensor(flat), (2, 3, 4))
    assert isinstance(got, tuple) and len(got) == 3
    for g, w in zip(got, np.unravel_index(flat, (2, 3, 4))):
        check(g, w.astype(np.int64))
    check(nbtensor.unravel_index(nbtensor.tensor(4), (3, 2))[0], np.array(2))
    for g, w in zip(nbtensor.unravel_index(nbtensor.tensor([7], dtype=nbtensor.int32), nbtensor.Size([2, 4])), (1, 3)):
        check(g, np.array([w]))
    check(nbtensor.unravel_index(nbtensor.tensor([4]), 6)[0], np.array([4]))
    assert nbtensor.unravel_index(nbtensor.tensor([0]), ()) == ()
    # out of range wraps, as torch's floor division and remainder do (no error)
    wrapped = nbtensor.unravel_index(nbtensor.tensor([-1, 6, -7]), [2, 3])
    check(wrapped[0], np.floor_divide([-1, 6, -7], 3) % 2)
    check(wrapped[1], np.array([-1, 6, -7]) % 3)
    check(nbtensor.unravel_index(nbtensor.tensor([], dtype=nbtensor.int64), (2, 0))[1], np.zeros(0, np.int64))


def test_unravel_index_errors():
    idx = nbtensor.tensor([1])
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype, but got nbtensor.float32"):
        nbtensor.unravel_index(nbtensor.tensor([1.0]), (2, 3))
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype, but got nbtensor.bool"):
        nbtensor.unravel_index(nbtensor.tensor([True]), (2, 3))
    with pytest.raises(ValueError, match=r"'shape' cannot have negative values, but got \(2, -3\)"):
        nbtensor.unravel_index(idx, (2, -3))
    with pytest.raises(TypeError, match="expected 'shape' sequence to only contain ints, but got <class 'float'>"):
        nbtensor.unravel_index(idx, (2.0, 3))
    with pytest.raises(TypeError, match="expected 'shape' to be int or sequence of ints, but got <class 'float'>"):
        nbtensor.unravel_index(idx, 2.0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        nbtensor.unravel_index(idx, (2, 0))
    with pytest.raises(AttributeError, match="'list' object has no attribute 'is_complex'"):
        nbtensor.unravel_index([1], (2, 3))


@needs_torch
def test_unravel_index_matches_torch():
    flat = np.array([[-8, 0, 3], [11, 40, 2**40]])
    for dtype in (np.int64, np.int32, np.uint8, np.int8):
        for shape in ((3, 4), (2, 2, 5), (7,), 9):
            want = torch.unravel_index(torch.tensor(flat.astype(dtype)), shape)
            got = nbtensor.unravel_index(nbtensor.tensor(flat.astype(dtype)), shape)
            assert len(got) == len(want)
            for g, w in zip(got, want):
                check(g, w.numpy())
                assert g.stride() == w.stride()
    _raises_like(lambda: nbtensor.unravel_index(nbtensor.tensor([1]), (2, -3)),
                 lambda: torch.unravel_index(torch.tensor([1]), (2, -3)))
    _raises_like(lambda: nbtensor.unravel_index(nbtensor.tensor([1.0]), (2, 3)),
                 lambda: torch.unravel_index(torch.tensor([1.0]), (2, 3)))


# ---------------------------------------------------------------- windows
_NUMPY_WINDOWS = {"hann_window": np.hanning, "hamming_window": np.hamming, "blackman_window": np.blackman,
                  "bartlett_window": np.bartlett, "kaiser_window": lambda n: np.kaiser(n, 12.0)}
# (kaiser_window is 'large' in these: slow in the CUDA simulator, where every GPU thread is a Python
# thread; test_window_parameters still makes kaiser windows there)
_WINDOW_NAMES = [pytest.param(name, marks=pytest.mark.large) if name == "kaiser_window" else name
                 for name in sorted(_NUMPY_WINDOWS)]


@pytest.mark.parametrize("name", _WINDOW_NAMES)
def test_windows_against_numpy(name):
    make, symmetric = getattr(nbtensor, name), _NUMPY_WINDOWS[name]
    for n in (0, 1, 2, 5, 8, 33):
        for dtype, tol in ((nbtensor.float64, 1e-12), (nbtensor.float32, 2e-6)):
            got = make(n, False, dtype=dtype)
            assert got.dtype is dtype and got.shape == (n,)
            np.testing.assert_allclose(numpy_of(got), symmetric(n), rtol=tol, atol=tol)
            periodic = make(n, dtype=dtype)
            want = np.ones(n) if n == 1 else symmetric(n + 1)[:-1]
            np.testing.assert_allclose(numpy_of(periodic), want, rtol=tol, atol=tol)
    assert make(4).dtype is nbtensor.float32
    w = make(6, requires_grad=True)
    assert w.requires_grad and w.is_leaf


def test_window_parameters():
    n = np.arange(7)
    np.testing.assert_allclose(numpy_of(nbtensor.hamming_window(7, False, 0.6, 0.3, dtype=nbtensor.float64)),
                               0.6 - 0.3 * np.cos(2 * np.pi * n / 6), atol=1e-15)
    np.testing.assert_allclose(numpy_of(nbtensor.hamming_window(6, True, 0.5, dtype=nbtensor.float64)),
                               0.5 - 0.46 * np.cos(2 * np.pi * np.arange(6) / 6), atol=1e-15)
    np.testing.assert_allclose(numpy_of(nbtensor.kaiser_window(7, False, 3.0, dtype=nbtensor.float64)),
                               np.kaiser(7, 3.0), rtol=1e-13)
    np.testing.assert_allclose(numpy_of(nbtensor.kaiser_window(7, periodic=True, beta=3.0, dtype=nbtensor.float64)),
                               np.kaiser(8, 3.0)[:-1], rtol=1e-13)
    check(nbtensor.hann_window(nbtensor.tensor(1)), np.ones(1, np.float32))


def test_window_errors():
    with pytest.raises(RuntimeError, match="^hann_window requires non-negative window_length, got window_length=-1$"):
        nbtensor.hann_window(-1)
    with pytest.raises(RuntimeError) as caught:
        nbtensor.bartlett_window(4, dtype=nbtensor.int64, device="cpu")
    assert str(caught.value) == (
        "bartlett_window expects floating point dtypes, got: TensorOptions(dtype=long int, device=cpu, "
        "layout=Strided (default), requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))")
    with pytest.raises(TypeError, match=r"^hann_window\(\): argument 'window_length' \(position 1\) must be int, "
                                        r"not float$"):
        nbtensor.hann_window(5.0)
    with pytest.raises(TypeError, match="must be int, not bool"):
        nbtensor.blackman_window(True)
    with pytest.raises(TypeError, match=r"^kaiser_window\(\) received an invalid combination of arguments - got "
                                        r"\(int, beta=float\), but expected one of:\n \* \(int window_length, \*, "):
        nbtensor.kaiser_window(5, beta=3.0)
    with pytest.raises(TypeError, match=r"got \(int, bool, beta=float\)"):
        nbtensor.hamming_window(5, True, beta=0.3)
    with pytest.raises(TypeError, match=r"got \(int, int\)"):
        nbtensor.hann_window(5, 1)


@needs_torch
@pytest.mark.parametrize("name", _WINDOW_NAMES)
def test_windows_match_torch(name):
    for n in (0, 1, 2, 5, 8, 100):
        for periodic in (True, False):
            for nb_dtype, t_dtype, tol in ((nbtensor.float32, torch.float32, 2e-6),
                                           (nbtensor.float64, torch.float64, 1e-14),
                                           (nbtensor.float16, torch.float16, 1e-2)):
                want = getattr(torch, name)(n, periodic, dtype=t_dtype).numpy()
                got = numpy_of(getattr(nbtensor, name)(n, periodic, dtype=nb_dtype))
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol)
    for bad in (lambda m: getattr(m, name)(-3), lambda m: getattr(m, name)(3, dtype=m.int32, device="cpu"),
                lambda m: getattr(m, name)(3, 1), lambda m: getattr(m, name)(2.5)):
        _same_error(bad)
    _raises_like(lambda: nbtensor.hamming_window(5, alpha=0.5), lambda: torch.hamming_window(5, alpha=0.5))
