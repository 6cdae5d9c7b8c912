"""diff, meshgrid, tril/triu_indices, take_along_dim, isin, cartesian_prod, combinations,
rot90, vander, diagflat, cov, renorm and get/set_rng_state: values against NumPy (or by
hand), and against torch where it is installed (values, dtypes, errors, grad_fn)."""
import warnings

import numpy as np
import pytest

import nbtensor
from nbtensor.autograd import gradcheck
from tests.support import check, needs_torch, shares, torch


def _f64(values, requires_grad=False):
    return nbtensor.tensor(values, dtype=nbtensor.float64, requires_grad=requires_grad)


M = [[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]]


def test_diff():
    x = nbtensor.tensor([1, 4, 9, 16])
    check(nbtensor.diff(x), np.diff([1, 4, 9, 16]))
    check(x.diff(n=2), np.diff([1, 4, 9, 16], n=2))
    check(nbtensor.diff(x, n=5), np.array([], np.int64))
    m = nbtensor.tensor(M)
    check(nbtensor.diff(m, dim=0, prepend=m[:1], append=m[1:]), np.diff(np.array(M, np.float32), axis=0,
                                                                         prepend=[M[0]], append=[M[1]]).astype(np.float32))
    check(nbtensor.diff(nbtensor.tensor([True, False, False])), np.array([True, False]))
    with pytest.raises(RuntimeError, match="diff expects input to be at least one-dimensional"):
        nbtensor.diff(nbtensor.tensor(1.0))
    with pytest.raises(RuntimeError, match="order must be non-negative but got -1"):
        nbtensor.diff(x, n=-1)
    with pytest.raises(RuntimeError, match="same dimension as input"):
        nbtensor.diff(m, prepend=nbtensor.tensor([1.0, 2.0]))
    a = _f64([0.5, 2.0, 3.5], True)
    assert nbtensor.diff(a, n=2).grad_fn.name() == "SubBackward0"
    assert gradcheck(lambda t: nbtensor.diff(t, append=t[:2]), (a,))


def test_meshgrid_views_and_indexing():
    a, b = nbtensor.tensor([1, 2, 3]), nbtensor.tensor([4, 5])
    ij = nbtensor.meshgrid(a, b, indexing="ij")
    xy = nbtensor.meshgrid([a, b], indexing="xy")
    na, nb = np.meshgrid([1, 2, 3], [4, 5], indexing="ij")
    check(ij[0], na)
    check(ij[1], nb)
    xa, xb = np.meshgrid([1, 2, 3], [4, 5], indexing="xy")
    check(xy[0], xa)
    check(xy[1], xb)
    assert shares(ij[0], a) and ij[0].stride() == (1, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nbtensor.meshgrid(a, b)
    assert "indexing argument" in str(caught[0].message)
    with pytest.raises(RuntimeError, match="meshgrid expects all tensors to have the same dtype"):
        nbtensor.meshgrid(a, b.float(), indexing="ij")
    with pytest.raises(RuntimeError, match='indexing must be one of "xy" or "ij", but received: foo'):
        nbtensor.meshgrid(a, indexing="foo")
    p = _f64([0.5, 2.0], True)
    assert nbtensor.meshgrid(p, p, indexing="ij")[0].grad_fn.name() == "ExpandBackward0"


def test_triangle_indices():
    check(nbtensor.tril_indices(3, 4, -1), np.stack(np.tril_indices(3, -1, 4)))
    check(nbtensor.triu_indices(3, 4, 1, dtype=nbtensor.int32), np.stack(np.triu_indices(3, 1, 4)).astype(np.int32))
    check(nbtensor.triu_indices(0, 2), np.zeros((2, 0), np.int64))
    with pytest.raises(RuntimeError, match="row must be non-negative, got-1"):
        nbtensor.tril_indices(-1, 3)
    with pytest.raises(NotImplementedError, match="\"tril_indices\" not implemented for 'Float'"):
        nbtensor.tril_indices(3, 3, dtype=nbtensor.float32)


def test_take_along_dim():
    m = nbtensor.tensor(M)
    idx = nbtensor.tensor([[0], [2]])
    check(nbtensor.take_along_dim(m, idx, dim=1), np.take_along_axis(np.array(M, np.float32), np.array([[0], [2]]), 1))
    check(m.take_along_dim(nbtensor.tensor([0, 5])), np.array([1.0, 9.0], np.float32))
    # broadcast in the other dimensions, and negative indices from the end
    check(nbtensor.take_along_dim(m, nbtensor.tensor([[-1, 0]]), dim=1), np.array([[4.0, 1.0], [9.0, 3.0]], np.float32))
    with pytest.raises(RuntimeError, match="should have the same number of dimensions, but got 2 dimensions for input, "
                                           "and 1 dimensions for indices"):
        nbtensor.take_along_dim(m, nbtensor.tensor([0]), dim=1)
    a = _f64(M, True)
    assert nbtensor.take_along_dim(a, idx, dim=1).grad_fn.name() == "GatherBackward0"
    assert gradcheck(lambda t: nbtensor.take_along_dim(t, nbtensor.tensor([[0, 0], [2, 1]]), dim=1), (a,))


def test_isin():
    x = nbtensor.tensor([1, 4, 9, 4])
    check(nbtensor.isin(x, nbtensor.tensor([4, 16])), np.isin([1, 4, 9, 4], [4, 16]))
    check(nbtensor.isin(x, nbtensor.tensor([4.5, 9.0]), invert=True), np.array([True, True, False, True]))
    check(nbtensor.isin(x, 4), np.array([False, True, False, True]))
    check(nbtensor.isin(4, x), np.array(True))
    check(nbtensor.isin(nbtensor.tensor([float("nan"), 1.0]), nbtensor.tensor([float("nan"), 1.0])),
          np.array([False, True]))
    check(nbtensor.isin(x, nbtensor.tensor([], dtype=nbtensor.int64)), np.zeros(4, bool))
    with pytest.raises(RuntimeError, match="Unsupported input type encountered for isin\\(\\): Bool"):
        nbtensor.isin(x, nbtensor.tensor([True]))


def test_cartesian_prod_and_combinations():
    a, b = nbtensor.tensor([1, 2]), nbtensor.tensor([3, 4, 5])
    check(nbtensor.cartesian_prod(a, b), np.array([[p, q] for p in (1, 2) for q in (3, 4, 5)]))
    assert nbtensor.cartesian_prod(a) is a
    c = nbtensor.tensor([1, 2, 3])
    check(nbtensor.combinations(c), np.array([[1, 2], [1, 3], [2, 3]]))
    check(nbtensor.combinations(c, 2, with_replacement=True), np.array([[1, 1], [1, 2], [1, 3], [2, 2], [2, 3], [3, 3]]))
    check(nbtensor.combinations(c, 4), np.zeros((0, 4), np.int64))
    check(nbtensor.combinations(c, 0), np.zeros((0,), np.int64))
    with pytest.raises(RuntimeError, match="Expect a 1D vector, but got shape \\[2, 3\\]"):
        nbtensor.combinations(nbtensor.tensor(M))
    p = _f64([0.5, 2.0, 3.0], True)
    assert nbtensor.combinations(p).grad_fn.name() == "StackBackward0"
    assert gradcheck(lambda t: nbtensor.cartesian_prod(t, t[:2]), (p,))


def test_rot90():
    m = nbtensor.tensor(M)
    for k in (0, 1, 2, 3, -1, 5):
        check(nbtensor.rot90(m, k), np.rot90(np.array(M, np.float32), k))
    check(m.rot90(1, [1, 0]), np.rot90(np.array(M, np.float32), 1, (1, 0)))
    assert nbtensor.rot90(m).stride() == (1, 3)
    with pytest.raises(RuntimeError, match="expected total rotation dims == 2, but got dims = 1"):
        nbtensor.rot90(m, 1, [0])
    with pytest.raises(RuntimeError, match="expected total dims >= 2, but got total dims = 1"):
        nbtensor.rot90(m[0])
    with pytest.raises(RuntimeError, match="expected rotation dims to be different, but got dim0 = 0 and dim1 = 0"):
        nbtensor.rot90(m, 1, [0, 0])
    a = _f64(M, True)
    assert nbtensor.rot90(a).grad_fn.name() == "Rot90Backward0"
    assert gradcheck(lambda t: nbtensor.rot90(t, 3), (a,))


def test_vander_and_diagflat():
    check(nbtensor.vander(nbtensor.tensor([1, 2, 3])), np.vander([1, 2, 3]).astype(np.int64))
    check(nbtensor.vander(nbtensor.tensor([1.0, 2.0]), 3, increasing=True),
          np.vander(np.array([1.0, 2.0]), 3, increasing=True).astype(np.float32))
    check(nbtensor.vander(nbtensor.tensor([True, False]), 2), np.array([[1, 1], [0, 1]]))
    check(nbtensor.vander(nbtensor.tensor([1.0]), 0), np.zeros((1, 0), np.float32))
    with pytest.raises(RuntimeError, match="N must be non-negative."):
        nbtensor.vander(nbtensor.tensor([1.0]), -1)
    check(nbtensor.diagflat(nbtensor.tensor([[1, 2], [3, 4]])), np.diagflat([1, 2, 3, 4]))
    check(nbtensor.tensor([1, 2]).diagflat(-1), np.diagflat([1, 2], -1))
    a = _f64([0.5, 2.0], True)
    assert nbtensor.vander(a).grad_fn.name() == "FlipBackward0"
    assert nbtensor.diagflat(a).grad_fn.name() == "DiagEmbedBackward0"
    assert gradcheck(lambda t: nbtensor.vander(t, 3), (a,))


def test_cov():
    np.testing.assert_allclose(nbtensor.cov(_f64(M)).cpu().numpy(), np.cov(np.array(M)), rtol=1e-14)
    np.testing.assert_allclose(nbtensor.cov(nbtensor.tensor([1, 4, 9])).item(), np.cov([1, 4, 9]), rtol=1e-6)
    fw, aw = nbtensor.tensor([1, 2, 1]), _f64([0.5, 1.0, 2.0])
    np.testing.assert_allclose(nbtensor.cov(_f64(M), correction=0, fweights=fw, aweights=aw).cpu().numpy(),
                               np.cov(np.array(M), ddof=0, fweights=[1, 2, 1], aweights=[0.5, 1.0, 2.0]))
    np.testing.assert_allclose(nbtensor.cov(_f64(M), fweights=fw, aweights=aw).cpu().numpy(),
                               np.cov(np.array(M), fweights=[1, 2, 1], aweights=[0.5, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="cov\\(\\): fweights cannot be negative"):
        nbtensor.cov(_f64(M), fweights=nbtensor.tensor([1, -2, 1]))
    with pytest.raises(RuntimeError, match="expected aweights to have floating point dtype but got aweights with Long"):
        nbtensor.cov(_f64(M), aweights=fw)
    with pytest.raises(RuntimeError, match="cov\\(\\): bool dtype is not supported for input"):
        nbtensor.cov(nbtensor.tensor([True, False]))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert np.isnan(nbtensor.cov(nbtensor.tensor([1.0])).item())
    a = _f64(M, True)
    assert nbtensor.cov(a).grad_fn.name() == "SqueezeBackward0"
    assert gradcheck(nbtensor.cov, (a,))


def test_renorm():
    m = _f64([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    scale = 5.0 / (50 ** 0.5 + 1e-7)
    np.testing.assert_allclose(nbtensor.renorm(m, 2, 0, 5.0).cpu().numpy(),
                               [[0.0, 1.0, 2.0], [3 * scale, 4 * scale, 5 * scale]], rtol=1e-15)
    # torch's result is row-major whatever the input's layout
    r = nbtensor.renorm(m.t(), 2, 1, 5.0)
    assert r.stride() == (2, 1)
    np.testing.assert_allclose(r.cpu().numpy(), [[0.0, 3 * scale], [1.0, 4 * scale], [2.0, 5 * scale]], rtol=1e-15)
    with pytest.raises(RuntimeError, match="renorm: non-positive-norm not supported"):
        nbtensor.renorm(m, -1, 0, 5.0)
    with pytest.raises(RuntimeError, match="renorm: expected maxnorm to be >= 0 but got -5"):
        nbtensor.renorm(m, 2, 0, -5.0)
    a = _f64([[0.5, 1.0], [3.0, 4.0]], True)
    assert gradcheck(lambda t: nbtensor.renorm(t, 2, 1, 2.0), (a,))


def test_rng_state_restores_the_stream():
    # (get_rng_state is the CPU generator's, as torch's; draws on the CPU use it)
    nbtensor.manual_seed(7)
    state = nbtensor.get_rng_state()
    assert state.dtype is nbtensor.uint8 and state.dim() == 1 and state.device.type == "cpu"
    first = nbtensor.rand(5, device="cpu")
    normal = nbtensor.randn(3, device="cpu")
    nbtensor.set_rng_state(state)
    assert nbtensor.equal(first, nbtensor.rand(5, device="cpu"))
    assert nbtensor.equal(normal, nbtensor.randn(3, device="cpu"))
    generator = nbtensor.Generator().manual_seed(3)
    saved = generator.get_state()
    drawn = nbtensor.rand(4, generator=generator, device="cpu")
    assert nbtensor.equal(drawn, nbtensor.rand(4, generator=generator.set_state(saved), device="cpu"))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        nbtensor.set_rng_state(nbtensor.zeros(5))
    with pytest.raises(RuntimeError, match="found the input RNG state size to be 5"):
        nbtensor.set_rng_state(nbtensor.zeros(5, dtype=nbtensor.uint8))


@needs_torch
def test_against_torch():
    m, tm = nbtensor.tensor(M), torch.tensor(M)
    v, tv = nbtensor.tensor([1, 3, 7]), torch.tensor([1, 3, 7])
    pairs = [
        (nbtensor.diff(m, dim=0), torch.diff(tm, dim=0)),
        (nbtensor.diff(v, prepend=nbtensor.tensor([2.0])), torch.diff(tv, prepend=torch.tensor([2.0]))),
        (nbtensor.take_along_dim(m, nbtensor.tensor([[2, 0, 1]]), dim=0),
         torch.take_along_dim(tm, torch.tensor([[2, 0, 1]]), dim=0)),
        (nbtensor.isin(v, nbtensor.tensor([3.0, 8.0])), torch.isin(tv, torch.tensor([3.0, 8.0]))),
        (nbtensor.combinations(v, 3), torch.combinations(tv, 3)),
        (nbtensor.cartesian_prod(v, v), torch.cartesian_prod(tv, tv)),
        (nbtensor.rot90(m, 3, [1, 0]), torch.rot90(tm, 3, [1, 0])),
        (nbtensor.vander(v, 4), torch.vander(tv, 4)),
        (nbtensor.diagflat(m, 1), torch.diagflat(tm, 1)),
        (nbtensor.cov(m), torch.cov(tm)),
        (nbtensor.cov(v), torch.cov(tv)),
        (nbtensor.renorm(m, 1, 1, 4.0), torch.renorm(tm, 1, 1, 4.0)),
        (nbtensor.tril_indices(4, 3, 1), torch.tril_indices(4, 3, 1)),
    ]
    for got, expected in pairs:
        assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
        assert got.stride() == expected.stride() or got.numel() <= 1
        np.testing.assert_allclose(got.cpu().numpy(), expected.numpy(), rtol=1e-6)
    a = _f64(M, True)
    ta = torch.tensor(M, dtype=torch.float64, requires_grad=True)
    for f in (lambda t, lib: lib.cov(t), lambda t, lib: lib.renorm(t, 2, 0, 3.0),
              lambda t, lib: lib.meshgrid(t[0], t[1], indexing="xy")[0]):
        a.grad = None
        ta.grad = None
        f(a, nbtensor).pow(2).sum().backward()
        f(ta, torch).pow(2).sum().backward()
        # (renorm: torch's derivative leaves out the 1e-7 added to the norm)
        np.testing.assert_allclose(a.grad.cpu().numpy(), ta.grad.numpy(), rtol=1e-6)
    assert nbtensor.meshgrid(a[0], a[1], indexing="xy")[0].grad_fn.name() == \
        torch.meshgrid(ta[0], ta[1], indexing="xy")[0].grad_fn.name()


def test_block_diag():
    blocks = [np.array(2.0), np.array([1.5, 2.0]), np.ones((0, 2)), np.arange(4.0).reshape(2, 2)]
    got = nbtensor.block_diag(*[nbtensor.tensor(b, dtype=nbtensor.float32) for b in blocks])
    want = np.zeros((4, 7))  # (hand-placed: rows 1 + 1 + 0 + 2, columns 1 + 2 + 2 + 2)
    want[0, 0] = 2.0
    want[1, 1:3] = [1.5, 2.0]
    want[2:4, 5:7] = [[0.0, 1.0], [2.0, 3.0]]
    check(got, want.astype(np.float32))
    mixed = nbtensor.block_diag(nbtensor.tensor([[1, 2]]), nbtensor.tensor([[0.5]], dtype=nbtensor.float64))
    assert mixed.dtype is nbtensor.float64 and mixed.shape == (2, 3)
    assert nbtensor.block_diag().shape == (1, 0)
    with pytest.raises(RuntimeError, match="Input tensors must have 2 or fewer dimensions. Input 1 has 3 dimensions"):
        nbtensor.block_diag(nbtensor.ones(1), nbtensor.ones(1, 1, 1))
    with pytest.raises(TypeError, match="expected Tensor as element 0 in argument 0, but got list"):
        nbtensor.block_diag([1])


def test_block_diag_gradient():
    a = nbtensor.tensor([[1.0, 2.0]], dtype=nbtensor.float64, requires_grad=True)
    b = nbtensor.tensor(3.0, dtype=nbtensor.float64, requires_grad=True)
    assert gradcheck(lambda x, y: nbtensor.block_diag(x, y), (a, b))


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_triangle_indices_take_ints_as_torchs_parser(name):
    fn = getattr(nbtensor, name)
    expected = (np.tril_indices if name == "tril_indices" else np.triu_indices)(3, 1, 4)
    # (an int, a NumPy integer, a 0-d integer tensor; each argument in turn)
    for row, col, offset in ((3, 4, 1), (np.int64(3), nbtensor.tensor(4), np.int32(1)), (nbtensor.tensor(3), 4, nbtensor.tensor(1))):
        np.testing.assert_array_equal(fn(row, col, offset).cpu().numpy(), np.stack(expected))
    for position, (parameter, bad) in enumerate((("row", 3.0), ("col", True), ("offset", nbtensor.tensor(1.0))), 1):
        args = [3, 4, 1]
        args[position - 1] = bad
        with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{parameter}' \(position {position}\) must be int, "
                                            rf"not {type(bad).__name__}$"):
            fn(*args)
    with pytest.raises(TypeError, match="must be int, not Tensor"):
        fn(nbtensor.tensor([3]), 4)  # (one element, but not 0-d: torch refuses it too)
