"""Derivatives of the torch.linalg solvers and decompositions (solve, cholesky, eigh,
eigvalsh, qr, svd, svdvals, pinv): central differences in float64, node names, and parity
of first and second derivatives with torch where it is installed. Eigenvectors and singular
vectors are defined up to sign, so those checks use losses that do not see the sign."""
import numpy as np
import pytest

import nbtensor as torch
from nbtensor.autograd import gradcheck, gradgradcheck

F64 = torch.float64


def _rand(*shape, seed=0):
    torch.manual_seed(seed)
    return torch.randn(*shape, dtype=F64)


def _well_conditioned(*shape, seed=0):
    """A square matrix (or batch) kept away from singular by a multiple of I."""
    return _rand(*shape, seed=seed) + 3 * torch.eye(shape[-1], dtype=F64)


def _spd(*shape, seed=0):
    """A symmetric positive-definite matrix (or batch): ``M Mᵀ + n I``."""
    m = _rand(*shape, seed=seed)
    return m @ m.mT + shape[-1] * torch.eye(shape[-1], dtype=F64)


def _sym(a):
    return (a + a.mT) / 2


# ---------------------------------------------------------------- the torch oracle
def _torch():
    return pytest.importorskip("torch")


def _first_and_second(lib, fn, a, weights):
    """(grad_A, grad_A of ``<grad_A, W>``) of ``loss = fn(lib, A)``, as NumPy arrays."""
    loss = fn(lib, a)
    (g,) = lib.autograd.grad(loss, a, create_graph=True)
    (gg,) = lib.autograd.grad((g * weights).sum(), a)
    return g.detach().cpu().numpy(), gg.detach().cpu().numpy()


def _assert_parity(fn, a, second=True):
    """First (and second) derivatives of ``fn(lib, A)`` (a scalar loss) match torch's."""
    t = _torch()
    weights = _rand(*a.shape, seed=7)
    a = a.detach().requires_grad_()
    at = t.tensor(a.detach().cpu().numpy(), requires_grad=True)
    if second:
        ours = _first_and_second(torch, fn, a, weights)
        theirs = _first_and_second(t, fn, at, t.tensor(weights.cpu().numpy()))
    else:
        ours = (torch.autograd.grad(fn(torch, a), a)[0].cpu().numpy(),)
        theirs = (t.autograd.grad(fn(t, at), at)[0].cpu().numpy(),)
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def _node_name(fn, a):
    """The node name of ``fn(a)`` (of its first output when it returns several)."""
    out = fn(a.detach().requires_grad_())
    return (out[0] if isinstance(out, tuple) else out).grad_fn.name()


def _assert_node_name(fn, tfn, a):
    t = _torch()
    assert _node_name(fn, a) == _node_name(tfn, t.tensor(a.cpu().numpy()))


# ---------------------------------------------------------------- solve
SOLVE_CASES = [((3, 3), (3, 2), True), ((3, 3), (3,), True), ((2, 3, 3), (2, 3), True),
               ((2, 3, 3), (3,), True), ((2, 3, 3), (3, 2), True), ((3, 3), (2, 3, 2), True),
               ((2, 3, 3), (2, 2, 3), False)]


@pytest.mark.parametrize("a_shape, b_shape, left", SOLVE_CASES)
def test_solve_gradcheck(a_shape, b_shape, left):
    a = _well_conditioned(*a_shape).requires_grad_()
    b = _rand(*b_shape, seed=1).requires_grad_()
    assert gradcheck(lambda a, b: torch.linalg.solve(a, b, left=left), (a, b))


@pytest.mark.parametrize("a_shape, b_shape, left", SOLVE_CASES)
def test_solve_parity(a_shape, b_shape, left):
    t = _torch()
    a, b = _well_conditioned(*a_shape), _rand(*b_shape, seed=1)
    w = _rand(*torch.linalg.solve(a, b, left=left).shape, seed=2)
    grads = []
    for lib, x, y, ww in ((torch, a, b, w), (t, t.tensor(a.cpu().numpy()), t.tensor(b.cpu().numpy()), t.tensor(w.cpu().numpy()))):
        x, y = x.clone().requires_grad_(), y.clone().requires_grad_()
        out = lib.linalg.solve(x, y, left=left)
        ga, gb = lib.autograd.grad((out * ww).sum(), (x, y), create_graph=True)
        (gg,) = lib.autograd.grad((ga * ga).sum() + (gb * gb).sum(), x)
        grads.append([g.detach().cpu().numpy() for g in (ga, gb, gg)] + [out.grad_fn.name()])
    for got, want in zip(grads[0][:3], grads[1][:3]):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    assert grads[0][3] == grads[1][3] == "LinalgSolveExBackward0"


# ---------------------------------------------------------------- cholesky
# (the batched shapes are 'large': slow in the CUDA simulator, where every GPU thread is a Python
# thread; the parity tests below still take batches there)
@pytest.mark.parametrize("shape", [(3, 3), pytest.param((2, 4, 4), marks=pytest.mark.large)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_gradcheck(shape, upper):
    a = _spd(*shape).requires_grad_()
    assert gradcheck(lambda a: torch.linalg.cholesky(_sym(a), upper=upper), (a,))
    assert gradcheck(lambda a: torch.cholesky(_sym(a), upper), (a,))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_parity(upper):
    w = _rand(2, 4, 4, seed=3)
    _assert_parity(lambda lib, a: (lib.linalg.cholesky(a, upper=upper) * lib.tensor(w.cpu().numpy())).sum(), _spd(2, 4, 4))
    _assert_node_name(lambda a: torch.linalg.cholesky(a, upper=upper),
                      lambda a: _torch().linalg.cholesky(a, upper=upper), _spd(3, 3))
    assert _node_name(torch.cholesky, _spd(3, 3)) == "CholeskyBackward0"


# ---------------------------------------------------------------- eigh, eigvalsh
def _eigh_invariants(a):
    values, vectors = torch.linalg.eigh(_sym(a))
    return values, vectors * vectors


@pytest.mark.parametrize("shape", [(3, 3), pytest.param((2, 4, 4), marks=pytest.mark.large)])
def test_eigh_gradcheck(shape):
    a = _rand(*shape).requires_grad_()
    assert gradcheck(_eigh_invariants, (a,))
    assert gradcheck(lambda a: torch.linalg.eigh(_sym(a))[0], (a,))  # (vectors unused: a None gradient)
    assert gradcheck(lambda a: torch.linalg.eigh(_sym(a))[1].abs(), (a,))
    assert gradcheck(lambda a: torch.linalg.eigvalsh(_sym(a)), (a,))


def test_eigh_parity():
    w1, w2 = _rand(2, 4, seed=4), _rand(2, 4, 4, seed=5)

    def loss(lib, a):
        values, vectors = lib.linalg.eigh(a)
        return (values * lib.tensor(w1.cpu().numpy())).sum() + (vectors ** 2 * lib.tensor(w2.cpu().numpy())).sum()
    _assert_parity(loss, _spd(2, 4, 4))
    _assert_parity(lambda lib, a: (lib.linalg.eigvalsh(a) * lib.tensor(w1.cpu().numpy())).sum(), _spd(2, 4, 4))
    t = _torch()
    _assert_node_name(lambda a: torch.linalg.eigh(a), lambda a: t.linalg.eigh(a), _spd(3, 3))
    _assert_node_name(torch.linalg.eigvalsh, t.linalg.eigvalsh, _spd(3, 3))


# ---------------------------------------------------------------- qr
@pytest.mark.parametrize("shape", [(3, 3), pytest.param((2, 5, 3), marks=pytest.mark.large)])
def test_qr_gradcheck(shape):
    a = _rand(*shape).requires_grad_()
    assert gradcheck(torch.linalg.qr, (a,))
    assert gradcheck(lambda a: torch.linalg.qr(a)[0], (a,))
    assert gradcheck(lambda a: torch.linalg.qr(a)[1], (a,))


def test_qr_parity_and_uncovered_modes():
    w1, w2 = _rand(2, 5, 3, seed=4), _rand(2, 3, 3, seed=5)

    def loss(lib, a):
        q, r = lib.linalg.qr(a)
        return (q * lib.tensor(w1.cpu().numpy())).sum() + (r * lib.tensor(w2.cpu().numpy())).sum()
    _assert_parity(loss, _rand(2, 5, 3))
    t = _torch()
    _assert_node_name(lambda a: torch.linalg.qr(a), lambda a: t.linalg.qr(a), _rand(3, 3))
    for mode, shape in (("r", (3, 3)), ("reduced", (2, 3))):  # (torch: no derivative with mode='r')
        with pytest.raises(NotImplementedError):
            torch.linalg.qr(_rand(*shape).requires_grad_(), mode)


# ---------------------------------------------------------------- svd, svdvals
def _svd_invariants(a):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    return s, u * u, vh * vh, (u * s.sqrt().unsqueeze(-2)) @ vh


@pytest.mark.parametrize("shape", [(3, 3), pytest.param((2, 5, 3), marks=pytest.mark.large),
                                   pytest.param((3, 5), marks=pytest.mark.large)])
def test_svd_gradcheck(shape):
    a = _rand(*shape).requires_grad_()
    assert gradcheck(_svd_invariants, (a,))
    assert gradcheck(lambda a: torch.linalg.svd(a, full_matrices=False)[1], (a,))
    assert gradcheck(torch.linalg.svdvals, (a,))
    assert gradcheck(lambda a: torch.svd(a)[2].abs(), (a,))


@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 5)])
def test_svd_parity(shape):
    k = min(shape[-2:])
    w = _rand(*shape[:-2], k, seed=4)

    def loss(lib, a):
        u, s, vh = lib.linalg.svd(a, full_matrices=False)
        ww = lib.tensor(w.cpu().numpy())
        return (s * ww).sum() + (u ** 2).sum(-2).mul(ww).sum() + (u @ (vh * ww.unsqueeze(-1))).square().sum()
    _assert_parity(loss, _rand(*shape))
    _assert_parity(lambda lib, a: (lib.linalg.svdvals(a) * lib.tensor(w.cpu().numpy())).sum(), _rand(*shape))
    t = _torch()
    _assert_node_name(lambda a: torch.linalg.svd(a, full_matrices=False),
                      lambda a: t.linalg.svd(a, full_matrices=False)[0], _rand(*shape))
    _assert_node_name(torch.linalg.svdvals, t.linalg.svdvals, _rand(*shape))


# ---------------------------------------------------------------- pinv
@pytest.mark.parametrize("shape", [(3, 3), pytest.param((2, 5, 3), marks=pytest.mark.large),
                                   pytest.param((3, 5), marks=pytest.mark.large)])
def test_pinv_gradcheck(shape):
    a = _rand(*shape).requires_grad_()
    assert gradcheck(torch.linalg.pinv, (a,))
    assert gradcheck(torch.pinverse, (a,))


def test_pinv_parity():
    w = _rand(2, 3, 5, seed=4)
    _assert_parity(lambda lib, a: (lib.linalg.pinv(a) * lib.tensor(w.cpu().numpy())).sum(), _rand(2, 5, 3))
    t = _torch()
    _assert_node_name(torch.linalg.pinv, t.linalg.pinv, _rand(3, 5))
    _assert_node_name(torch.pinverse, t.pinverse, _rand(3, 5))


# ---------------------------------------------------------------- partial requests
def test_solve_gradient_for_b_only_and_eigh_upper_triangle():
    t = _torch()
    a, b = _well_conditioned(2, 3, 3), _rand(2, 3, 2, seed=1).requires_grad_()
    (gb,) = torch.autograd.grad(torch.linalg.solve(a, b).sum(), b)
    bt = t.tensor(b.detach().cpu().numpy(), requires_grad=True)
    (want,) = t.autograd.grad(t.linalg.solve(t.tensor(a.cpu().numpy()), bt).sum(), bt)
    np.testing.assert_allclose(gb.cpu().numpy(), want.cpu().numpy(), rtol=1e-7, atol=1e-9)
    w = _rand(2, 4, 4, seed=6)
    _assert_parity(lambda lib, a: (lib.linalg.eigh(a, UPLO="U")[1] ** 2 * lib.tensor(w.cpu().numpy())).sum(),
                   _spd(2, 4, 4), second=False)


def test_solve_refuses_a_vector_right_hand_side_for_x_a_equals_b():
    a = torch.tensor([[2.0, 1.0, 0.0], [1.0, 3.0, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B for the equation XA = B \(3x3 and 3x1\)"):
        torch.linalg.solve(a, torch.tensor([1.0, 2.0, 3.0]), left=False)
    with pytest.raises(RuntimeError, match="Vector broadcasting of the left hand side is not supported for left=False"):
        torch.linalg.solve(torch.tensor([[2.0]]), torch.tensor([4.0, 6.0]), left=False)
    np.testing.assert_allclose(torch.linalg.solve(a, torch.tensor([[1.0, 2.0, 3.0]]), left=False).cpu().numpy(),
                               [[0.2, 0.6, 3.0]], rtol=1e-6)


# ---------------------------------------------------------------- einsum
EINSUM_GRADIENT_CASES = [
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 2)]), ("...ij,...jk->...ik", [(1, 3, 4), (2, 4, 2)]),
    ("...ij,jk->...ik", [(2, 2, 3, 4), (4, 2)]), ("...i->i", [(2, 3, 4)]), ("...i,...i", [(2, 3), (3,)]),
    ("ii->i", [(3, 3)]), ("ii->", [(3, 3)]), ("ii", [(3, 3)]), ("iij->j", [(2, 2, 3)]), ("ij,jj->i", [(2, 3), (3, 3)]),
    ("bii,bi->b", [(2, 3, 3), (2, 3)]), ("ij,kj->ik", [(3, 1), (2, 4)]), ("i...->...", [(2, 3, 4)]),
    ("ij...,j...->i...", [(2, 3, 4), (3, 1)]), ("a...,...b->ab", [(2, 3), (3, 4)]), ("i,j->", [(3,), (2,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_GRADIENT_CASES)
def test_einsum_gradients_of_ellipses_diagonals_and_broadcasts(eq, shapes):
    """First and second derivatives against finite differences: an ellipsis (its dims
    broadcast or summed), a repeated letter (a diagonal: the gradient lies on it, zero
    elsewhere), a letter of size 1 broadcast against a larger one (summed back)."""
    operands = tuple(_rand(*s, seed=i).requires_grad_() for i, s in enumerate(shapes))
    assert gradcheck(lambda *ops: torch.einsum(eq, *ops), operands)
    if len(shapes) > 1:  # (a one-operand einsum is linear: its second derivative is zero)
        assert gradgradcheck(lambda *ops: torch.einsum(eq, *ops), operands)


def test_einsum_diagonal_gradient_is_zero_off_the_diagonal():
    a = _rand(3, 3).requires_grad_()
    torch.einsum("ii->i", a).backward(torch.tensor([1.0, 2.0, 3.0], dtype=F64))
    np.testing.assert_array_equal(a.grad.cpu().numpy(), np.diag([1.0, 2.0, 3.0]))


def test_einsum_gradients_of_mixed_dtypes_are_in_each_inputs_dtype():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = torch.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    r = torch.einsum("i,j->ij", x, y)
    assert r.dtype is F64
    r.sum().backward()
    assert x.grad.dtype is torch.float32 and y.grad.dtype is F64
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [3.0, 3.0, 3.0])  # sum of y
    np.testing.assert_array_equal(y.grad.cpu().numpy(), [6.0, 6.0])  # sum of x
    x.grad = None
    torch.einsum("i,j->ij", x, torch.tensor([1, 2])).sum().backward()  # an integer operand
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [3.0, 3.0, 3.0])
