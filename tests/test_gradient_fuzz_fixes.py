"""Wrong gradients found by the gradient fuzzer (tests/fuzz/gradients.py), each checked
against hand-computed values or central differences (torch only where importable)."""
import numpy as np
import pytest

import nbtensor as nb


def _leaf(values):
    return nb.tensor(values, dtype=nb.float64, requires_grad=True)


@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_gradient_keeps_float64_for_a_scalar_result(op):
    # a 0-d float64 gradient times the float32 share (bool / count) stayed float32: -0.96
    # came back as -0.9599999785
    x = _leaf([-2.27, 0.85, 1.01])
    getattr(x, op)(-1).backward(nb.tensor(-0.96, dtype=nb.float64))
    expected = [0.0, 0.0, -0.96] if op == "amax" else [-0.96, 0.0, 0.0]
    assert x.grad.tolist() == expected


def test_amax_ties_share_in_float64():
    x = _leaf([1.0, 3.0, 3.0, 3.0])
    x.amax().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.0, 1 / 3, 1 / 3, 1 / 3])


@pytest.mark.parametrize("split", [
    lambda a: a.unbind(0), lambda a: a.split(1, 0), lambda a: a.chunk(1, 1),
    lambda a: a.tensor_split(1, 1), lambda a: a.t().unbind(1)])
def test_a_split_into_one_piece_has_a_gradient(split):
    # the engine hands a one-output node its gradient alone; the rule iterated over it
    a = _leaf([[-1.37, -1.05, -0.5]])
    (split(a)[0] * nb.tensor([0.93, 1.6, -0.87], dtype=nb.float64).reshape(split(a)[0].shape)).sum().backward()
    np.testing.assert_array_equal(a.grad.cpu().numpy(), [[0.93, 1.6, -0.87]])


def _lcse_grad(values, w):
    x = _leaf(values)
    return nb.autograd.grad((x.logcumsumexp(0) * nb.tensor(w, dtype=nb.float64)).sum(), x,
                            create_graph=True)[0], x


def test_logcumsumexp_second_derivative_is_finite():
    # log(clamp(g, min=0)) made log(0) = -inf in the first derivative, nan in the second;
    # checked against central differences of the first derivative
    values, w, v = [-1.54, -0.62, 1.12, 2.48], [1.48, -0.16, -1.54, 1.77], [0.58, 0.69, -1.09, -1.21]
    g, x = _lcse_grad(values, w)
    (g * nb.tensor(v, dtype=nb.float64)).sum().backward()
    eps, numeric = 1e-6, []
    for i in range(4):
        up, down = list(values), list(values)
        up[i] += eps
        down[i] -= eps
        diff = _lcse_grad(up, w)[0].detach().cpu().numpy() - _lcse_grad(down, w)[0].detach().cpu().numpy()
        numeric.append(float(np.dot(diff, v)) / (2 * eps))
    assert np.isfinite(x.grad.cpu().numpy()).all()
    np.testing.assert_allclose(x.grad.cpu().numpy(), numeric, rtol=1e-5, atol=1e-7)


def test_logcumsumexp_second_derivative_matches_torch():
    torch = pytest.importorskip("torch")
    values, w1, w2 = [[2.48], [-0.4]], [[-1.6], [-1.93]], [[0.12], [1.95]]
    grads = []
    for lib in (torch, nb):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad((x.logcumsumexp(1) * lib.tensor(w1, dtype=lib.float64)).sum(), [x],
                               create_graph=True)
        (g * lib.tensor(w2, dtype=lib.float64)).sum().backward()
        grads.append(np.asarray(x.grad.tolist()))
    np.testing.assert_allclose(grads[1], grads[0], atol=1e-12)


def test_an_in_place_op_that_raises_counts_no_write():
    # torch counts a write only once the op has succeeded: the refused in-place write to a
    # view of a leaf left the leaf's version alone, and backward through a node that saved
    # the leaf works (fuzz seed 110)
    a = _leaf([[-1.03]])
    view = a.transpose(-1, -2)
    base = nb.tensor([[1.2]], dtype=nb.float64)
    y = base ** a
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        view.clamp_(-0.6, 0.8)
    assert a._version == 0
    y.sum().backward()
    np.testing.assert_allclose(a.grad.tolist(), [[1.2 ** -1.03 * np.log(1.2)]], rtol=1e-12)
    x = nb.ones(3, dtype=nb.float64)
    with pytest.raises(RuntimeError):
        x.add_(nb.ones(4))  # (recording has started: the writing wrapper runs)
    assert x._version == 0
    x.add_(1.0)
    assert x._version == 1


@pytest.mark.parametrize("piece, message", [
    (lambda t: t.split(1)[1], "Output 1 of Split"), (lambda t: t.chunk(3)[2], "Output 2 of Split"),
    (lambda t: t.unbind()[0], "Output 0 of Unbind"), (lambda t: t.split([1, 2])[1], "Output 1 of SplitWithSizes")])
def test_outputs_of_a_multi_view_op_refuse_in_place_writes(piece, message):
    # torch's rule for the views split, chunk and unbind return (fuzz seeds 41008, 45096)
    a = _leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=f"^{message} is a view and is being modified inplace"):
        piece(a * 1).add_(1.0)
    with pytest.raises(RuntimeError, match=f"^{message} is a view and is being modified inplace"):
        piece(a).mul_(2.0)  # (a view of a leaf: this message first, as torch)
    b = a * 1
    view = piece(b)
    b.add_(1.0)  # a write through the base: the view can no longer be used
    with pytest.raises(RuntimeError, match=f"^{message} is a view and its base or another view of its base"):
        view * 2
    piece(a * 1).detach().add_(1.0)  # (a detached piece, or one made under no_grad, may be written)
    with nb.no_grad():
        piece(a * 1).add_(1.0)
    pieces = (a * 1).unbind()
    (pieces[0] * 2 + pieces[1]).sum().backward()
    assert a.grad.tolist() == [2.0, 1.0, 0.0]


def test_an_in_place_op_reads_its_argument_views_as_they_were():
    # v2[:, :2].copy_(v2's own chunk): the op read the chunk before writing, so its node takes
    # the chunk's history as of then; it raised the multi-output rule's error (fuzz seed 72145)
    a = _leaf([[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 2.0, 1.5]])
    v2 = a * a
    v3 = v2.chunk(2, dim=1)[1]
    v2[:, :2].copy_(v3)
    (v2 * nb.arange(8.0, dtype=nb.float64).reshape(2, 4)).sum().backward()
    # d/da of sum(w * [a3², a4², a3², a4²]) per row: 2 a (w at the copied and original places)
    assert a.grad.tolist() == [[0.0, 0.0, 2 * 3.0 * (0 + 2), 2 * 4.0 * (1 + 3)],
                               [0.0, 0.0, 2 * 2.0 * (4 + 6), 2 * 1.5 * (5 + 7)]]
    with pytest.raises(RuntimeError, match="^Output 1 of Split is a view and its base"):
        v3 * 2  # (a later use sees the write, as torch)


@pytest.mark.parametrize("view", [lambda t: t[:], lambda t: t.t()])
def test_second_derivative_through_an_in_place_op_on_a_view(view):
    # the saved old values of the view kept its meta, which the write then pointed at the new
    # history: the second derivative was 106.125 where it is 33 (fuzz seed 94796)
    a = _leaf([[1.5, -0.5], [2.0, 0.25]])
    s = a.sum()
    v = a * 3
    view(v).mul_(s)  # v = 3 a s
    w = nb.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=nb.float64)
    u = nb.tensor([[1.0, -1.0], [0.5, 2.0]], dtype=nb.float64)
    g, = nb.autograd.grad((v * w).sum(), a, create_graph=True)
    # g = 3 s w + 3 sum(w a);  d/da sum(u g) = 3 sum(u w) + 3 w sum(u)
    np.testing.assert_allclose(g.tolist(), (3 * 3.25 * w.cpu().numpy() + 3 * 7.5).tolist(), rtol=1e-14)
    (g * u).sum().backward()
    np.testing.assert_allclose(a.grad.tolist(), (3 * 8.5 + 3 * 2.5 * w.cpu().numpy()).tolist(), rtol=1e-14)


def test_a_view_of_a_multi_output_view_keeps_the_rule():
    # torch names the rule after the last view's op: "Output 0 of Select" (fuzz seed 89870)
    piece = (_leaf([2.17, -1.88, 2.44]) * 1).split(2, 0)[1]
    with pytest.raises(RuntimeError, match="^Output 0 of Select is a view and is being modified inplace"):
        piece[0].mul_(2.0)
    with pytest.raises(RuntimeError, match="^Output 0 of T is a view"):
        piece.t().add_(1.0)


def test_layer_norm_result_is_contiguous():
    # torch's layer_norm makes its input contiguous: its result can be viewed flat (fuzz seed 80006)
    x = nb.tensor(np.arange(8.0).reshape(4, 2), dtype=nb.float64, requires_grad=True).t()
    out = nb.nn.functional.layer_norm(x, (4,), nb.ones(4, dtype=nb.float64), nb.zeros(4, dtype=nb.float64))
    assert out.stride() == (4, 1) and out.view(-1).shape == (8,)


@pytest.mark.parametrize("dtype", [nb.float32, nb.float64])
@pytest.mark.parametrize("size", [(4, 3), (3, 100_000)])  # (the second: the element-wise path)
def test_variance_of_rows_of_equal_values_is_exactly_zero(dtype, size):
    # torch reduces along a dim by Welford's method: rows of equal values have variance 0
    # exactly, so std's gradient there is 0; a two-pass mean an ulp off gave 2.2e-16 and a
    # gradient of 1.43 (seed 167391: std over cat((a, a, a), dim=2))
    x = nb.full(size, 1.73, dtype=dtype)
    assert x.var(1).tolist() == [0.0] * size[0]
    assert nb.var_mean(x, 1)[0].tolist() == [0.0] * size[0]
    a = nb.tensor([[0.51], [0.07], [-1.84], [2.1], [1.73]], dtype=dtype, requires_grad=True)
    nb.cat((a, a, a), dim=1).std(1, correction=0).sum().backward()
    assert a.grad.tolist() == [[0.0]] * 5


def test_variance_along_a_dim_still_matches_numpy():
    r = np.random.default_rng(3).standard_normal((6, 50)) * 1e3 + 1e6
    np.testing.assert_allclose(nb.from_numpy(r).var(1).numpy(), r.var(1, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(nb.from_numpy(r).std(0, correction=0).numpy(), r.std(0), rtol=1e-9)


def test_scatter_add_saves_only_its_index():
    # torch's ScatterAddBackward0 keeps the index alone: writing into the source afterwards
    # is allowed (seed 166299 raised "modified by an inplace operation")
    x, s = _leaf([1.0, 2.0, 3.0, 4.0]), _leaf([0.5, 1.5, 2.5, 3.5])
    src = s * 1
    y = x.scatter_add(0, nb.tensor([3, 0, 0, 2]), src)
    src.mul_(2)
    (y * nb.tensor([1.0, 2.0, 3.0, 4.0], dtype=nb.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert s.grad.tolist() == [4.0, 1.0, 1.0, 3.0]  # (the upstream gradient gathered at the index)


def test_logcumsumexp_of_a_0d_tensor_passes_its_gradient_on():
    # torch's backward returns the gradient as it is for a 0-d input: a second derivative
    # sees a constant (the general formula gave nan there: seed 198426)
    a = _leaf(-2.46)
    (g,) = nb.autograd.grad(a.logcumsumexp(0), [a], create_graph=True)
    assert g.item() == 1.0 and not g.requires_grad
    b = _leaf(-2.46)
    loss = 1.5 / nb.nn.functional.binary_cross_entropy_with_logits(b.logcumsumexp(0), b.sigmoid())
    (gb,) = nb.autograd.grad(loss, [b], create_graph=True)
    gb.backward()
    assert np.isfinite(b.grad.item())
    h = 1e-5  # central difference of the first derivative
    def first(v):
        c = _leaf(v)
        return nb.autograd.grad(1.5 / nb.nn.functional.binary_cross_entropy_with_logits(
            c.logcumsumexp(0), c.sigmoid()), [c])[0].item()
    assert abs(b.grad.item() - (first(-2.46 + h) - first(-2.46 - h)) / (2 * h)) < 1e-5
