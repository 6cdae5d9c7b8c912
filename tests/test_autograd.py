"""Autograd: every derivative rule against central differences (gradcheck, float64) and,
when torch is importable, against torch's gradients; D2L 2.3's walk-through; torch's
safety rules and messages."""
import gc
import warnings
import weakref

import numpy as np
import pytest
from support import SIMULATED

import nbtensor as nb

try:
    import torch
except ImportError:  # the parity half needs torch; gradcheck runs without it
    torch = None

RNG = np.random.default_rng(12)


def _np(t):
    """The values of a tensor on any device, as an ndarray."""
    return t.detach().cpu().numpy()


def _positive(shape):
    return RNG.uniform(0.5, 2.0, shape)


def _any(shape):
    return RNG.standard_normal(shape)


def _unit(shape):
    return RNG.uniform(-0.9, 0.9, shape)


# (id, function of (library, *tensors), input makers and shapes)
CASES = [
    ("add_broadcast", lambda m, a, b: a + b, [(_any, (2, 3)), (_any, (3,))]),
    ("add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), [(_any, (2, 3)), (_any, (2, 1))]),
    ("sub_rsub", lambda m, a, b: a - b - (3 - a), [(_any, (4,)), (_any, (4,))]),
    ("mul_scalar", lambda m, a, b: 2 * a * b * 0.5, [(_any, (3, 1)), (_any, (1, 4))]),
    ("div", lambda m, a, b: a / b + 1 / b, [(_any, (3, 2)), (_positive, (2,))]),
    ("pow_scalar", lambda m, a: a ** 3 + a ** 0.5, [(_positive, (5,))]),
    ("pow_tensor", lambda m, a, b: a ** b, [(_positive, (3,)), (_any, (3,))]),
    ("rpow", lambda m, a: 2.0 ** a, [(_any, (3,))]),
    ("neg_exp_log", lambda m, a: (-a).exp() + a.log(), [(_positive, (2, 2))]),
    ("sqrt_rsqrt", lambda m, a: a.sqrt() * a.rsqrt() + a.sqrt(), [(_positive, (3,))]),
    ("trig", lambda m, a: a.sin() + a.cos() * a.tan(), [(_unit, (4,))]),
    ("tanh_sigmoid", lambda m, a: a.tanh() * a.sigmoid(), [(_any, (2, 3))]),
    ("relu_abs", lambda m, a: m.relu(a) + a.abs(), [(_any, (6,))]),
    ("log1p_expm1", lambda m, a: a.log1p() + a.expm1(), [(_positive, (3,))]),
    ("maximum", lambda m, a, b: m.maximum(a, b) + m.max(a, b), [(_any, (3, 2)), (_any, (3, 2))]),
    ("clamp", lambda m, a: a.clamp(-0.5, 0.5) + a.clamp(min=0.1), [(_any, (8,))]),
    ("where", lambda m, a, b: m.where(a > 0, a, b), [(_any, (5,)), (_any, (5,))]),
    ("masked_fill", lambda m, a: a.masked_fill(a > 0, 0.0), [(_any, (2, 3))]),
    ("sum_dims", lambda m, a: a.sum() + a.sum(1).sum() + a.sum((0, 2), keepdim=True).sum(), [(_any, (2, 3, 2))]),
    ("mean", lambda m, a: a.mean(0), [(_any, (3, 4))]),
    ("max_all", lambda m, a: a.max(), [(_any, (3, 4))]),
    ("max_dim", lambda m, a: a.max(1).values + a.min(0, keepdim=True).values.sum(), [(_any, (3, 4))]),
    ("amax", lambda m, a: a.amax(1), [(_any, (3, 4))]),
    ("logsumexp", lambda m, a: a.logsumexp(1), [(_any, (3, 4))]),
    ("softmax", lambda m, a: a.softmax(1) * m.log_softmax(a, 0), [(_any, (3, 4))]),
    ("var_std", lambda m, a: a.var(1) + a.std(), [(_any, (3, 4))]),
    ("norm", lambda m, a: a.norm() + a.norm(dim=1).sum(), [(_any, (3, 4))]),
    ("prod", lambda m, a: a.prod() + a.prod(1).sum(), [(_any, (2, 3))]),
    ("cumsum", lambda m, a: a.cumsum(1), [(_any, (2, 3))]),
    ("views", lambda m, a: a.view(6, 2).t().reshape(3, 4).transpose(0, 1).permute(1, 0).unsqueeze(0).squeeze(),
     [(_any, (3, 4))]),
    ("expand", lambda m, a: a.expand(3, 2, 4) * 1.5, [(_any, (2, 1))]),
    ("T_flatten", lambda m, a: a.T.flatten(), [(_any, (2, 3))]),
    ("getitem_basic", lambda m, a: a[1:, ::2] + a[0, 1], [(_any, (3, 4))]),
    ("getitem_advanced", lambda m, a: a[[0, 0, 2], [1, 1, 3]], [(_any, (3, 4))]),
    ("getitem_slices_and_index", lambda m, a: a[:, [1, 3, 1, -1]] + a[:, m.tensor([0, 0, 2, 3])], [(_any, (3, 4))]),
    ("getitem_masks", lambda m, a: a[a > 0.2].sum() * a[:, m.tensor([True, False, True, True])]
     + a[m.tensor([False, True, True])].sum(0)[:3].sum(), [(_any, (3, 4))]),
    ("masked_select_broadcast", lambda m, a, b: a.masked_select(a > 0).sum() + m.masked_select(b, a > 0)
     * m.masked_select(a, m.tensor([True, False, True, True])).sum(), [(_any, (3, 4)), (_any, (4,))]),
    ("index_put", lambda m, a, v: a.index_put((m.tensor([0, 2]), m.tensor([1, 3])), v[:2] * 2)
     + a.index_put((m.tensor([0, 0, 2]),), v.reshape(3, 1).expand(3, 4), accumulate=True), [(_any, (3, 4)), (_any, (3,))]),
    ("cross_entropy_pick", lambda m, a: -a.softmax(1)[range(3), m.tensor([0, 2, 1])].log(), [(_any, (3, 4))]),
    ("narrow_select", lambda m, a: a.narrow(1, 1, 2).sum(1) + a.select(1, 2), [(_any, (3, 3))]),
    ("gather_index_select", lambda m, a: a.gather(1, m.tensor([[0, 0], [1, 0]])).sum(1) + a.index_select(
        0, m.tensor([1, 1])).sum(1), [(_any, (2, 3))]),
    ("split_chunk_unbind", lambda m, a: a.split(1, 0)[1].sum() + a.chunk(2, 1)[0].sum() + a.unbind(1)[2],
     [(_any, (2, 4))]),
    ("cat_stack", lambda m, a, b: m.cat((a, b), 0).sum(0) * m.stack((a[0], b[0])).sum(0), [(_any, (2, 3)),
                                                                                         (_any, (1, 3))]),
    ("mm_mv_dot", lambda m, a, b, v: m.mm(a, b).mv(v) + m.dot(v, v), [(_any, (2, 3)), (_any, (3, 4)),
                                                                       (_any, (4,))]),
    ("matmul_batched", lambda m, a, b: m.matmul(a, b), [(_any, (2, 3, 4)), (_any, (4, 2))]),
    ("matmul_vec", lambda m, a, b: (a @ b) + (b @ a.t()).sum(), [(_any, (3, 4)), (_any, (4,))]),
    ("bmm", lambda m, a, b: a.bmm(b), [(_any, (2, 2, 3)), (_any, (2, 3, 2))]),
    ("addmm", lambda m, c, a, b: m.addmm(c, a, b), [(_any, (2,)), (_any, (2, 3)), (_any, (3, 2))]),
    ("to_dtype", lambda m, a: a.float().double() * a, [(_any, (3,))]),
    ("flip_roll_repeat", lambda m, a: a.flip(0).roll(1, 1).repeat(2, 1), [(_any, (2, 3))]),
    ("tril", lambda m, a: a.tril() + a.triu(1), [(_any, (3, 3))]),
    ("inplace_nonleaf", lambda m, a: _inplace_chain(a), [(_any, (3,))]),
    # element-wise ops beyond the book's
    ("gamma_functions", lambda m, a: a.digamma() + a.lgamma() * m.polygamma(1, a) + m.special.psi(a + 1),
     [(_positive, (3,))]),
    ("inverse_hyperbolic", lambda m, a, b: a.asinh() + (b + 1).acosh() + m.atanh(a * 0.3), [(_unit, (3,)), (_positive, (3,))]),
    ("atan2_logaddexp", lambda m, a, b: m.atan2(a, b) + m.logaddexp(a, b), [(_any, (2, 3)), (_positive, (3,))]),
    ("remainder_fmod", lambda m, a, b: m.remainder(a * 3, b) + m.fmod(a * 3, b) + a % 0.7, [(_any, (4,)), (_positive, (4,))]),
    ("copysign", lambda m, a, b: m.copysign(a, b), [(_any, (4,)), (_any, (4,))]),
    ("lerp", lambda m, a, b, w: m.lerp(a, b, w) + a.lerp(b, 0.25), [(_any, (2, 3)), (_any, (3,)), (_unit, (2, 3))]),
    # values selected by index
    ("sort_topk", lambda m, a: a.sort(1)[0] * 2 + a.sort(0, descending=True).values + a.topk(4, 1).values,
     [(_any, (3, 4))]),
    ("kthvalue_median", lambda m, a: a.kthvalue(2, 1)[0] + a.median(1).values + a.nanmedian(1, keepdim=True)[0][:, 0]
     + a.median(), [(_any, (3, 5))]),
    ("cummax_cummin_msort", lambda m, a: a.cummax(1)[0] + a.cummin(0).values + m.msort(a), [(_any, (3, 4))]),
    ("scatter_family", lambda m, a, b: a.scatter(1, m.tensor([[0, 1], [2, 0]]), b) + a.scatter_add(1, m.tensor([[0, 0], [2, 1]]), b)
     + a.index_add(1, m.tensor([2, 0]), b, alpha=2) + a.index_copy(1, m.tensor([1, 2]), b) + a.index_fill(1, m.tensor([0]), 3.0),
     [(_any, (2, 3)), (_any, (2, 2))]),
    # shape ops and diagonals
    ("stacks", lambda m, a, b: m.hstack([a, b]).sum(1) + m.vstack([a, b]).sum(0).sum() + m.dstack([a, b]).sum((1, 2))
     + m.column_stack([a[:, 0], b]).sum(1), [(_any, (2, 3)), (_any, (2, 3))]),
    ("flips_tile_repeat", lambda m, a: (m.fliplr(a) * m.flipud(a)).tile(2, 1) + a.repeat_interleave(2, dim=0), [(_any, (2, 3))]),
    ("unfold_atleast", lambda m, a: a.unfold(1, 2, 1).sum(-1) + m.atleast_3d(a)[..., 0, None].sum(-1)[:, :2], [(_any, (2, 3))]),
    ("diag_trace", lambda m, a, v: a.diag() * a.trace() + a.diag(1).sum() + m.diag(v, -1).sum(0)[:3]
     + m.diag_embed(v, 1).sum((0,))[:3], [(_any, (3, 3)), (_any, (3,))]),
    # products and matrix functions
    ("addmv_addr", lambda m, c, a, v: m.addmv(v, a, v, beta=0.5, alpha=2) + m.addr(c, v, v, alpha=3).sum(0),
     [(_any, (3, 3)), (_any, (3, 3)), (_any, (3,))]),
    ("baddbmm_addbmm", lambda m, c, a, b: m.baddbmm(c, a, b, beta=2).sum(0) + m.addbmm(c, a, b, alpha=0.5),
     [(_any, (2, 2)), (_any, (3, 2, 4)), (_any, (3, 4, 2))]),
    ("tensordot_einsum", lambda m, a, b: m.tensordot(a, b, dims=([1], [0])) + m.einsum("ij,jk->ik", a, b)
     + m.einsum("ij,kl->il", a, b) * 0.1, [(_any, (2, 3)), (_any, (3, 2))]),
    ("kron_cross", lambda m, a, b: m.kron(a, b[:1]).sum() + m.cross(a, b, dim=1) + m.linalg.cross(a, b), [(_any, (3, 3)), (_any, (3, 3))]),
    ("inverse_det", lambda m, a: a.inverse() * a.det() + m.linalg.slogdet(a)[1] + (a @ a.t()).logdet(),
     [(lambda s: RNG.standard_normal(s) + 3 * np.eye(3), (3, 3))]),
    ("linalg_norms", lambda m, a: m.linalg.norm(a) + m.linalg.vector_norm(a, 3, dim=1) + m.linalg.matrix_norm(a)
     + m.linalg.diagonal(a), [(_any, (3, 3))]),
    ("reductions_more", lambda m, a: a.nanmean(1) + m.var_mean(a, 1)[0] * m.std_mean(a, 1)[1] + a.logcumsumexp(1)[:, -1]
     + a.cumprod(1)[:, -1] + m.aminmax(a, dim=1).max, [(_any, (3, 4))]),
    ("cumprod_with_zeros", lambda m, a: (a * (a.abs() > 0.5)).cumprod(1) * a, [(_any, (3, 5))]),
]


def _inplace_chain(a):
    b = a * 2
    b += a
    b.mul_(a)
    b[0] = 0.0
    return b


def _inputs(makers, lib, dtype):
    values = [make(shape) for make, shape in makers]
    return values, [lib.tensor(v, dtype=dtype, requires_grad=True) for v in values]


# cases that round to float32 inside: central differences need a step float32 can resolve
COARSE = {"to_dtype": dict(eps=1e-3, atol=1e-3, rtol=1e-2)}


@pytest.mark.parametrize("name, fn, makers", CASES, ids=[c[0] for c in CASES])
def test_rule_matches_central_differences(name, fn, makers):
    _, xs = _inputs(makers, nb, nb.float64)
    assert nb.autograd.gradcheck(lambda *a: fn(nb, *a), xs, **COARSE.get(name, {}))


def test_gradcheck_catches_a_wrong_rule(monkeypatch):
    from nbtensor.autograd import rules
    monkeypatch.setitem(rules.RULES, "exp", lambda args, kwargs, out: ("ExpBackward0", (args[0],), lambda g: (g,)))
    x = nb.tensor([0.5, 1.0], dtype=nb.float64, requires_grad=True)
    with pytest.raises(nb.autograd.GradcheckError, match="Jacobian mismatch"):
        nb.autograd.gradcheck(lambda a: a.exp(), (x,))


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("fn, makers", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_matches_torch(fn, makers):
    values, xs = _inputs(makers, nb, nb.float32)
    ts = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in values]
    out, expected = fn(nb, *xs), fn(torch, *ts)
    weights = RNG.standard_normal(tuple(expected.shape)).astype(np.float32)
    (out * nb.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(_np(x.grad), _np(t.grad), rtol=1e-4, atol=1e-5)


@pytest.mark.cpu_only  # compares reprs (another device adds device=)
def test_d2l_autograd_section():
    x = nb.arange(4.0)
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * nb.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    y.backward()
    np.testing.assert_array_equal(_np(x.grad), [0.0, 4.0, 8.0, 12.0])
    x.grad.zero_()
    x.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [1.0, 1.0, 1.0, 1.0])
    x.grad.zero_()
    y = x * x
    y.backward(gradient=nb.ones(len(y)))
    np.testing.assert_array_equal(_np(x.grad), [0.0, 2.0, 4.0, 6.0])
    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), _np(u))
    x.grad.zero_()
    y.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), 2 * _np(x))

    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        return b if b.sum() > 0 else 100 * b
    a = nb.randn(size=(), requires_grad=True)
    d = f(a)
    d.backward()
    assert a.grad.item() == pytest.approx((d / a).item())


@pytest.mark.cpu_only  # compares reprs (another device adds device=)
def test_printing_and_graph_structure():
    x = nb.arange(4.0, requires_grad=True)
    assert repr(x) == "tensor([0., 1., 2., 3.], requires_grad=True)"
    y = (x * x).sum()
    assert repr(y) == "tensor(14., grad_fn=<SumBackward0>)"
    mul = y.grad_fn.next_functions[0][0]
    assert mul.name() == "MulBackward0" and "MulBackward0 object at 0x" in repr(mul)
    leaf = mul.next_functions[0][0]
    assert type(leaf).__name__ == "AccumulateGrad" and leaf.variable is x and x.is_leaf and not y.is_leaf


def test_accumulation_retain_graph_and_second_backward():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(_np(x.grad), [4.0, 8.0])  # accumulated over two calls
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    z = (x + 1).sum()  # nothing saved: a second backward is allowed, as in torch
    z.backward()
    z.backward()


def test_autograd_grad_create_graph_and_allow_unused():
    x = nb.tensor(3.0, requires_grad=True)
    w = nb.tensor(1.0, requires_grad=True)
    y = x ** 3
    (dx,) = nb.autograd.grad(y, x, create_graph=True)
    assert dx.item() == 27.0 and dx.requires_grad
    (d2x,) = nb.autograd.grad(dx, x)
    assert d2x.item() == 18.0 and x.grad is None  # .grad untouched by autograd.grad
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        nb.autograd.grad((x * 2), (x, w))
    assert nb.autograd.grad(x * 2, (x, w), allow_unused=True)[1] is None


def test_no_grad_enable_grad_and_the_sgd_update():
    w = nb.ones(2, requires_grad=True)
    (w * 3).sum().backward()
    with nb.no_grad():
        w -= 0.1 * w.grad
        assert not (w * 2).requires_grad
        with nb.enable_grad():
            assert (w * 2).requires_grad
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(_np(w), [0.7, 0.7], rtol=1e-6)
    w.data -= 0.1 * w.grad  # through .data: not recorded either
    np.testing.assert_allclose(_np(w), [0.4, 0.4], rtol=1e-6)
    with nb.inference_mode():
        assert not (w * 2).requires_grad


def test_torch_errors_for_bad_use():
    x = nb.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        nb.ones(2).sum().backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(nb.ones(2))
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        nb.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        x.cpu().numpy()
    with pytest.raises(RuntimeError, match="functions with out=... arguments don't support automatic"):
        nb.add(x, x, out=nb.empty(3))
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert (x * 2).grad is None
    from nbtensor.dispatch import tensor as tensor_module
    tensor_module._float_warned = False  # (torch warns once per process)
    with nb.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")
        float(x.sum())  # (not under no_grad)
    with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True to a scalar"):
        float(x.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        float(x.sum())  # (once)


def test_retain_grad_and_hooks():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.tolist()))
    x.register_hook(lambda g: g * 10)  # replaces the leaf's gradient
    (y * y).sum().backward()
    np.testing.assert_array_equal(_np(y.grad), [6.0, 12.0])
    assert seen == [[6.0, 12.0]]
    np.testing.assert_array_equal(_np(x.grad), [180.0, 360.0])
    handle.remove()


def test_integer_and_comparison_results_do_not_require_grad():
    x = nb.tensor([1.0, -2.0, 3.0], requires_grad=True)
    assert not (x > 0).requires_grad and not x.argmax().requires_grad
    assert x.detach().requires_grad is False and nb.zeros_like(x).requires_grad is False


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_linear_regression_from_scratch_matches_torch():
    """D2L 3.2's training loop, the same data for both libraries."""
    rng = np.random.default_rng(0)
    features = rng.standard_normal((100, 2)).astype(np.float32)
    labels = (features @ np.array([2, -3.4], np.float32) + 4.2).reshape(-1, 1).astype(np.float32)
    w0 = rng.normal(0, 0.01, (2, 1)).astype(np.float32)
    results = []
    for lib in (nb, torch):
        X, y = lib.tensor(features), lib.tensor(labels)
        w, b = lib.tensor(w0, requires_grad=True), lib.zeros(1, requires_grad=True)
        for _ in range(3):
            for i in range(0, 100, 10):
                loss = ((lib.matmul(X[i:i + 10], w) + b - y[i:i + 10].reshape(-1, 1)) ** 2 / 2).sum()
                loss.backward()
                with lib.no_grad():
                    for p in (w, b):
                        p -= 0.03 * p.grad / 10
                        p.grad.zero_()
        results.append(np.concatenate([_np(w).ravel(), _np(b)]))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)


def _type_names(device):
    """(float, long, bool) as torch's modified-in-place message names them on `device`."""
    if device.startswith("cuda"):
        return r"torch\.cuda\.FloatTensor", r"torch\.cuda\.LongTensor", "CUDABoolType"
    return r"torch\.FloatTensor", r"torch\.LongTensor", "CPUBoolType"


def test_a_saved_tensor_written_in_place_before_backward_raises(device):
    w = nb.ones(2, requires_grad=True)
    y = (w * w).sum()
    with nb.no_grad():
        w -= 1  # the SGD step before backward: the graph saved the old w
    assert w._version == 1
    with pytest.raises(RuntimeError, match=rf"modified by an inplace operation: \[{_type_names(device)[0]} \[2\]\] "
                                           r"is at version 1; expected version 0 instead"):
        y.backward()




@pytest.mark.parametrize("before, after", [(0, 3), (2, 1), (1, 30)])
def test_the_modified_in_place_message_counts_the_writes_before_and_after_the_op(before, after):
    # torch's numbers: the version the op saw and the version now (here: since recording started)
    nb.ones(1, requires_grad=True)  # (recording has started: versions count from here)
    c = nb.zeros(3)
    for _ in range(before):
        c.add_(1)
    w = nb.ones(3, requires_grad=True)
    y = (w * c).sum()  # MulBackward0 saves c
    other = nb.zeros(3)
    for _ in range(after):
        c.add_(1)
        other.add_(1)  # (writes to other memory move the clock, not c's version)
    with pytest.raises(RuntimeError, match=rf"is at version {before + after}; expected version {before} instead "
                                           r"\(in MulBackward0\)"):
        y.backward()


def test_writes_to_other_memory_between_forward_and_backward_are_allowed():
    w = nb.ones(3, requires_grad=True)
    c = nb.full((3,), 2.0)
    y = (w * c).sum()
    other = nb.zeros(3)
    other.add_(1)
    y.backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("select", [lambda x, idx, mask: x[:, idx], lambda x, idx, mask: x[mask],
                                    lambda x, idx, mask: x.masked_select(mask)],
                         ids=["index tensor", "mask index", "masked_select"])
def test_an_index_or_mask_written_in_place_before_backward_raises(select, device):
    # torch saves the index tensors and the mask (IndexBackward0, MaskedSelectBackward0)
    x = nb.ones(2, 3, requires_grad=True)
    idx, mask = nb.tensor([0, 2]), nb.tensor([[True, False, True], [False, True, True]])
    y = select(x, idx, mask)
    idx[0], mask[0, 0] = 1, False
    _, long, bool_ = _type_names(device)
    with pytest.raises(RuntimeError, match=rf"modified by an inplace operation: \[({long} \[2\]|"
                                           rf"{bool_} \[2, 3\])\] is at version 1; expected version 0"):
        y.sum().backward()


def test_writing_a_tensor_the_graph_did_not_save_is_allowed():
    # exp keeps its result, not its input; indexing keeps positions: as in torch
    a = nb.ones(2, requires_grad=True)
    b = a * 2
    c = b.exp()
    b.add_(1)
    c.sum().backward()
    np.testing.assert_allclose(_np(a.grad), 2 * np.exp(2.0) * np.ones(2), rtol=1e-6)
    x = nb.ones(3, requires_grad=True)
    y = x * 1
    z = y[[0, 0]]
    y.add_(1)
    z.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [2.0, 0.0, 0.0])
    # a power with a number exponent, a quotient and a product keep their operands, not their
    # results: writing into the result before backward is allowed (torch saves the same)
    p = nb.tensor([1.0, 2.0], requires_grad=True)
    q = nb.tensor([4.0, 8.0], requires_grad=True)
    for make, grads in ((lambda: p ** 2, ([2.0, 4.0], None)),
                        (lambda: p / q, ([0.25, 0.125], [-1 / 16, -2 / 64])),
                        (lambda: p.reshape(1, 2) @ q.reshape(2, 1), ([4.0, 8.0], [1.0, 2.0]))):
        p.grad = q.grad = None
        r = make()
        r.add_(1)
        r.sum().backward()
        np.testing.assert_allclose(_np(p.grad), grads[0], rtol=1e-6)
        if grads[1] is not None:
            np.testing.assert_allclose(_np(q.grad), grads[1], rtol=1e-6)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w = p * 1
        r = w ** 2
        w.add_(1)  # the base is saved
        r.sum().backward()
    # x * c with data c keeps c (x's gradient reads it), not x (no gradient reads that)
    p.grad = None
    c = nb.tensor([3.0, 5.0])
    h = p * 1
    r = h * c
    h.add_(1)
    r.sum().backward()
    np.testing.assert_array_equal(_np(p.grad), [3.0, 5.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        r = (p * 1) * c
        c.add_(1)
        r.sum().backward()


def _views_then_in_place(lib):
    """In-place writes through views of non-leaves, as torch's CopySlices treats them: each
    case's (x.grad, other gradients...) as lists."""
    results = []
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    y[:, 0].mul_(3)  # the base y sees the write: d/dx (y * y).sum() is 18 x in column 0
    (y * y).sum().backward()
    results.append((x.grad.tolist(), y.grad_fn.name()))
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    y[1:].exp_()
    y.sum().backward()
    results.append((x.grad.tolist(),))
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.tensor([2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y.view(3, 1)[1:]
    v.mul_(w.view(2, 1))  # another tensor's gradient flows through the view too
    (y ** 2).sum().backward()
    results.append((x.grad.tolist(), w.grad.tolist()))
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[:2]
    y.mul_(2)  # written through the base after the view was taken: the view sees it
    v.sum().backward()
    results.append((x.grad.tolist(), v.grad_fn.name()))
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    a, b = y[:2], y[2:]
    a.add_(b)  # a sibling view is read, then the base is used
    (y * lib.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    results.append((x.grad.tolist(),))
    return results


def test_in_place_writes_through_views_reach_the_base():
    got = _views_then_in_place(nb)
    # hand-computed: y = x with column 0 tripled; d/dx sum(y^2) = 2 y dy/dx
    assert got[0] == ([[18.0, 4.0], [54.0, 8.0]], "torch::autograd::CopySlices")
    np.testing.assert_allclose(got[1][0], [1.0, np.exp(2.0), np.exp(3.0)], rtol=1e-6)
    assert got[2] == ([2.0, 16.0, 54.0], [16.0, 54.0])  # y = (1, 2 w0, 3 w1) = (1, 4, 9)
    assert got[3] == ([2.0, 2.0, 0.0], "AsStridedBackward0")
    assert got[4] == ([1.0, 10.0, 101.0, 1010.0],)  # y = (x0 + x2, x1 + x3, x2, x3)
    if torch is not None:
        for mine, theirs in zip(got, _views_then_in_place(torch)):
            for a, b in zip(mine, theirs):
                if isinstance(a, str):
                    assert a == b
                else:
                    np.testing.assert_allclose(a, b, rtol=1e-6)  # (exp: within an ulp on a GPU)


def _writes_into_views_of_tensors_outside_the_graph(lib):
    """In-place writes of values that require grad through views of a tensor that requires
    none (a buffer filled row by row): the buffer's history becomes CopySlices, as torch's.
    Each case's (buffer's node, g's gradient of sum(buffer ** 2))."""
    cases = {
        "row copy_": lambda buf, g: buf[0].copy_(g),
        "row add_": lambda buf, g: buf[1].add_(g),
        "column of a transpose": lambda buf, g: buf.t()[2].copy_(g * 2),
        "narrow": lambda buf, g: buf.narrow(0, 1, 1).copy_(g[None]),
        "select": lambda buf, g: buf.select(1, 2).copy_(g),
        "setitem on a view": lambda buf, g: buf.view(9).__setitem__(slice(3, 6), g),
        "view of a view": lambda buf, g: buf.view(9)[3:6].view(3).copy_(g),
        "diagonal": lambda buf, g: buf.diagonal().copy_(g),
        "two rows": lambda buf, g: (buf[0].copy_(g), buf[2].copy_(g * g)),
    }
    results = {}
    for name, write in cases.items():
        g = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        buf = lib.zeros(3, 3)
        write(buf, g)
        (grad,) = lib.autograd.grad((buf ** 2).sum(), g)
        results[name] = (buf.grad_fn.name(), grad.tolist())
    return results


def test_in_place_writes_through_views_of_a_tensor_outside_the_graph_reach_it():
    got = _writes_into_views_of_tensors_outside_the_graph(nb)
    # hand-computed: the buffer holds g (or 2g, or g and g^2) where written, 0 elsewhere
    for name, grad in [("row copy_", [2.0, 4.0, 6.0]), ("row add_", [2.0, 4.0, 6.0]),
                       ("column of a transpose", [8.0, 16.0, 24.0]), ("narrow", [2.0, 4.0, 6.0]),
                       ("select", [2.0, 4.0, 6.0]), ("setitem on a view", [2.0, 4.0, 6.0]),
                       ("view of a view", [2.0, 4.0, 6.0]), ("diagonal", [2.0, 4.0, 6.0]),
                       ("two rows", [2.0 + 4.0, 4.0 + 32.0, 6.0 + 108.0])]:  # d/dg (g^2 + g^4)
        assert got[name] == ("torch::autograd::CopySlices", grad), name
    if torch is not None:
        assert got == _writes_into_views_of_tensors_outside_the_graph(torch)


def test_a_view_knows_its_base_as_torchs():
    x = nb.zeros(3, 4)
    for view in (x[0], x[:, 1:3], x.t(), x.view(12), x.reshape(4, 3), x.unsqueeze(0), x.narrow(1, 0, 2),
                 x.select(1, 1), x.diagonal(), x.expand(2, 3, 4), x.permute(1, 0), x.split(2, 1)[1],
                 x.unbind(0)[2], x.as_strided((2,), (5,)), x.unfold(1, 2, 1), x[1][2:], x.view(12)[3:].view(3, 3)):
        assert view._base is x
    for not_a_view in (x, x.detach(), x.data, x.clone(), x.t().reshape(12), x.flip(0), x[[0, 1]]):
        assert not_a_view._base is None
    w = nb.ones(3, requires_grad=True)
    with nb.no_grad():
        v = w[1:]
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation"):
        v.mul_(nb.ones(2, requires_grad=True))  # (a view taken under no_grad is still w's, as torch's)


def test_in_place_on_a_view_of_a_leaf_raises_and_a_view_prints_torchs_node():
    w = nb.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation"):
        w[1:].mul_(2)
    with nb.no_grad():
        w[1:].mul_(2)  # the optimizer's way: allowed
    assert w.tolist() == [1.0, 2.0, 2.0]
    y = w * 1
    y[0] = 5
    assert repr(y).endswith("grad_fn=<CopySlices>)")


def test_custom_function():
    class Exp(nb.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            assert ctx.needs_input_grad == (True,)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    x = nb.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward"
    (y * 2).sum().backward()
    np.testing.assert_allclose(_np(x.grad), 2 * np.exp([0.0, 1.0]), rtol=1e-6)
    with nb.no_grad():
        assert not Exp.apply(x).requires_grad


def test_reading_a_saved_tensor_is_not_a_write():
    w = nb.ones(3, requires_grad=True)
    y = (w * w).sum()
    rows = list(w.detach())  # iteration, indexing, conversions: no write
    assert w[0].item() == 1.0 and float(rows[1]) == 1.0 and w._version == 0
    y.backward()
    np.testing.assert_array_equal(_np(w.grad), [2.0, 2.0, 2.0])


def test_an_op_returning_its_input_keeps_the_graph_as_it_was():
    x = nb.ones(3, requires_grad=True)
    assert x.contiguous() is x and x.to(nb.float32) is x and x.float() is x
    assert x.is_leaf and x.grad_fn is None  # (a node made here would point at x itself)
    (x.contiguous() * 2).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [2.0, 2.0, 2.0])


def test_the_input_passed_by_keyword_is_differentiated():
    # torch's functions take their tensor as input=...; the rules read it as the first argument
    x = nb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = nb.exp(input=x) + nb.mul(input=x, other=x) + nb.add(x, other=x, alpha=2) + nb.sum(input=x)
    y.sum().backward()
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(_np(x.grad), e + 2 * np.array([1.0, 2.0, 3.0]) + 3 + 3, rtol=1e-6)


def test_backward_of_several_roots_one_inside_the_others_graph():
    # the engine counts each node's inputs once even when a root is also an inner node
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    a = x * 3
    nb.autograd.backward([(a * a).sum(), a.sum()])
    np.testing.assert_array_equal(_np(x.grad), [21.0, 39.0])  # 18x + 3


def test_type_conversion_is_differentiable_and_uncovered_arguments_raise():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x.type(nb.float64)
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [2.0, 4.0])
    assert x.type().endswith("FloatTensor")  # (a string: nothing recorded)
    with pytest.raises(NotImplementedError, match="derivative of 'prod'"):
        nb.ones(2, 2, requires_grad=True).prod((0, 1))


def test_in_place_forms_without_a_rule_raise_instead_of_dropping_the_gradient():
    src = nb.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative of 'scatter_'"):
        nb.zeros(3).scatter_(0, nb.tensor([0, 2]), src, reduce="add")  # (torch has none either)
    target = nb.zeros(3)
    target.index_add_(0, nb.tensor([0, 2]), src * nb.tensor([2.0, 3.0]))  # (has its rule: recorded)
    target.sum().backward()
    np.testing.assert_array_equal(_np(src.grad), [2.0, 3.0])
    w = nb.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.normal_()
    with nb.no_grad():
        w.normal_()  # (the initialisers' way)
    assert w.is_leaf and w.requires_grad


NAMED = ["a * 2", "a + a", "a - 1", "1 - a", "a / 2", "a ** 2", "2 ** a", "-a", "a.exp()", "a.sum()", "a.sum(1)",
         "a.mean()", "a.max()", "a.max(1).values", "a.amax(1)", "a.softmax(1)", "a.log_softmax(1)", "a.relu()",
         "a.sigmoid()", "a.tanh()", "a.norm()", "a.clamp(0, 1)", "a.clamp_min(0)", "a.reshape(-1)", "a.view(12)",
         "a.flatten()", "a.t()", "a.T", "a.mT", "a.transpose(0, 1)", "a.permute(1, 0)", "a.unsqueeze(0)",
         "a.squeeze()", "a.expand(2, 3, 4)", "a[0]", "a[:, 1:]", "a[None]", "a[..., 2]", "a[[0, 1]]",
         "a.narrow(1, 0, 2)", "a.split(1, 0)[0]", "a.chunk(2, 1)[0]", "a.unbind(0)[0]", "a.gather(0, i)",
         "a.index_select(0, i[0])", "a.masked_fill(a > 0, 0)", "a @ a.t()", "a.mm(a.t())", "a.clone()",
         "a.double()", "a.cumsum(0)", "a.var()", "a.std()", "a.prod()", "a.logsumexp(1)", "a.movedim(0, 1)"]


def test_floor_division_records_and_refuses_only_in_backward():
    # torch: the result requires grad (grad_fn=<NotImplemented>); backward through it raises
    x = nb.tensor([1.5, -2.0], requires_grad=True)
    for q in (x // 2, 3 // x, nb.floor_divide(x, x.detach() + 1)):
        assert q.requires_grad and q.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            q.sum().backward()
    ((x // 2).detach() * x).sum().backward()  # (used as a constant: fine)
    np.testing.assert_array_equal(_np(x.grad), [0.0, -1.0])
    for q in (2.0 % x, nb.remainder(2.0, x)):  # (a number's remainder by a tensor: the same)
        assert q.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::remainder is not implemented"):
            q.sum().backward()


def test_normal_passes_zero_gradients_to_its_tensor_arguments():
    mean, std = nb.tensor([0.0, 1.0], requires_grad=True), nb.tensor([1.0, 2.0], requires_grad=True)
    for sample, node in ((nb.normal(mean, 1.0), "NormalBackward1"), (nb.normal(0.0, std), "NormalBackward2"),
                         (nb.normal(mean, std), "NormalBackward3")):
        assert sample.grad_fn.name() == node
        sample.sum().backward()
    np.testing.assert_array_equal(_np(mean.grad), [0.0, 0.0])
    np.testing.assert_array_equal(_np(std.grad), [0.0, 0.0])


def test_python_round_of_a_tensor_is_torchs_type_error():
    with pytest.raises(TypeError, match="type Tensor doesn't define __round__ method"):
        round(nb.tensor(2.7))


def test_overwritten_history_gets_a_zero_gradient():
    # torch's copy_/fill_ backward: zeros for what was overwritten, not None
    x, y = nb.tensor([1.0, 2.0], requires_grad=True), nb.tensor([3.0, 4.0], requires_grad=True)
    (x * 2).copy_(y).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.0])
    np.testing.assert_array_equal(_np(y.grad), [1.0, 1.0])
    x.grad = None
    (x * 2).fill_(5.0).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.0])


def test_cat_gives_a_skipped_empty_tensor_an_empty_gradient():
    # torch's cat skips 1-D empty tensors, and its backward gives them an empty gradient
    a, c = nb.ones(2, 3, requires_grad=True), nb.ones(1, 3, requires_grad=True)
    empty = nb.ones(0, dtype=nb.float64, requires_grad=True)
    (nb.cat([a, empty, c], dim=-2) * nb.arange(9.0).reshape(3, 3)).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(_np(c.grad), [[6, 7, 8]])
    assert empty.grad is not None and empty.grad.shape == (0,) and empty.grad.dtype is nb.float64


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_node_names_are_torchs():
    ours = {"a": nb.ones(3, 4, requires_grad=True), "i": nb.tensor([[0, 1, 2, 0]]), "nb": nb}
    theirs = {"a": torch.ones(3, 4, requires_grad=True), "i": torch.tensor([[0, 1, 2, 0]]), "nb": torch}
    differ = [(e, eval(e, {}, ours).grad_fn.name(), eval(e, {}, theirs).grad_fn.name()) for e in NAMED
              if eval(e, {}, ours).grad_fn.name() != eval(e, {}, theirs).grad_fn.name()]
    assert differ == []


def test_grad_of_a_row_major_leaf_is_row_major():
    # torch's gradient layout contract: a leaf's .grad is laid out as the leaf, even when the
    # gradient that reached it is a transposed product (here x.t() @ g for W of x @ W.t())
    w = nb.ones(3, 4, requires_grad=True)
    x = nb.tensor(RNG.standard_normal((2, 4)), dtype=nb.float32)
    (x @ w.t()).sum().backward()
    assert w.grad.stride() == (4, 1) and w.grad.is_contiguous()
    np.testing.assert_allclose(_np(w.grad), np.tile(_np(x).sum(0), (3, 1)), rtol=1e-6)
    wt = nb.ones(4, 3).t().requires_grad_()  # a transposed leaf keeps its own layout
    (x @ wt.t()).sum().backward()
    assert wt.grad.stride() == wt.stride()


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape", [(256, 10), (3, 4, 5), pytest.param((600, 500), marks=pytest.mark.large)])
def test_softmax_gradients_of_every_row_layout(shape, log):
    # the one-kernel backward of (log-)softmax along the last dim (a backward that builds no
    # graph), with a row-major, a transposed and an expanded output gradient, against the
    # formula in float64 (and torch's gradient when torch is there)
    a = RNG.standard_normal(shape).astype(np.float32)
    w = RNG.standard_normal(shape[::-1]).astype(np.float32)
    a64 = a.astype(np.float64)
    y = np.exp(a64 - a64.max(-1, keepdims=True))
    y /= y.sum(-1, keepdims=True)
    reverse = tuple(range(len(shape) - 1, -1, -1))
    weights = ((w.T, nb.tensor(w.T.copy())), (w.T, nb.tensor(w).permute(*reverse)), (np.float32(2.0), 2.0))
    for g, weight in weights:  # row-major, transposed, and expanded (a number) gradients
        x = nb.tensor(a, requires_grad=True)
        (getattr(nb, "log_softmax" if log else "softmax")(x, -1) * weight).sum().backward()
        g64 = np.broadcast_to(np.asarray(g, np.float64), shape)
        expected = (g64 - y * g64.sum(-1, keepdims=True) if log
                    else y * (g64 - (g64 * y).sum(-1, keepdims=True)))
        np.testing.assert_allclose(_np(x.grad), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, op", [
    ("exp", lambda t: t.exp()), ("tanh", lambda t: t.tanh()), ("sigmoid", lambda t: t.sigmoid()),
    ("relu", lambda t: t.relu()), ("softmax", lambda t: t.softmax(0)), ("sqrt", lambda t: t.sqrt()),
    ("pow by a tensor", lambda t: t ** nb.full((3,), 3.0)), ("in-place exp", lambda t: (t * 1).exp_()),
])
def test_a_result_kept_for_backward_makes_no_reference_cycle(name, op):
    # the node keeps an alias of the result, not the result: dropping the graph frees it at
    # once, without the garbage collector (as torch's saved outputs)
    x = nb.tensor([0.5, 1.5, 2.5], requires_grad=True)
    gc.disable()
    try:
        y = op(x)
        node, alive = weakref.ref(y.grad_fn), weakref.ref(y)
        del y
        assert alive() is None and node() is None
    finally:
        gc.enable()


def test_second_derivatives_run_through_kept_results():
    values = np.array([0.3, -0.7, 1.2])
    x = nb.tensor(values, dtype=nb.float64, requires_grad=True)
    tanh, sig = np.tanh(values), 1 / (1 + np.exp(-values))
    cases = [(lambda t: t.exp(), np.exp(values)),
             (lambda t: t.tanh(), -2 * tanh * (1 - tanh ** 2)),
             (lambda t: t.sigmoid(), sig * (1 - sig) * (1 - 2 * sig)),
             (lambda t: (t * t + 1).sqrt(), (values ** 2 + 1) ** -1.5),
             (lambda t: t.relu() * t, 2.0 * (values > 0)),
             (lambda t: t ** nb.full((3,), 3.0, dtype=nb.float64), 6 * values)]
    for op, expected in cases:
        g, = nb.autograd.grad(op(x).sum(), x, create_graph=True)
        g2, = nb.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(g2.detach().cpu().numpy(), expected, rtol=1e-12)


def test_product_gradients_keep_a_column_major_operands_layout():
    # torch's mm_mat1/mm_mat2_backward: nn.Linear's W.t() gets a column-major gradient, so
    # W's own gradient is row-major without a copy
    rng = np.random.default_rng(8)
    xv, wv = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    x = nb.tensor(xv, dtype=nb.float64, requires_grad=True)
    w = nb.tensor(wv, dtype=nb.float64, requires_grad=True)
    wt, xt = w.t(), x.t().contiguous().t()  # both column-major
    gx, gwt = nb.autograd.grad((xt @ wt).sum(), (xt, wt))
    ones = np.ones((4, 5))
    np.testing.assert_allclose(gwt.cpu().numpy(), xv.T @ ones, rtol=1e-12)
    np.testing.assert_allclose(gx.cpu().numpy(), ones @ wv, rtol=1e-12)
    assert gwt.stride() == (1, 3) and gx.stride() == (1, 4)
    (x @ w.t()).sum().backward()
    assert w.grad.is_contiguous() and x.grad.is_contiguous()
    np.testing.assert_allclose(w.grad.cpu().numpy(), ones.T @ xv, rtol=1e-12)


def test_nansum_gives_nan_elements_no_gradient():
    # torch's nansum backward: the gradient of sum, zero where the input is NaN
    nan = float("nan")
    x = nb.tensor([[1.0, nan, 2.0], [nan, 3.0, 4.0]], requires_grad=True)
    x.nansum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[1, 0, 1], [0, 1, 1]])
    assert x.nansum().grad_fn.name() == "NansumBackward0"
    x.grad = None
    (x.nansum(1, keepdim=True) * nb.tensor([[2.0], [3.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[2, 0, 2], [0, 3, 3]])


NAN = float("nan")


@pytest.mark.parametrize("op, expected", [
    # maximum/minimum: a tie splits the gradient; a NaN on either side gives both all of it
    (lambda x, y: nb.maximum(x, y), ([0, 1, 1, 0.5, 1], [1, 1, 1, 0.5, 1])),
    (lambda x, y: nb.minimum(x, y), ([1, 1, 1, 0.5, 1], [0, 1, 1, 0.5, 1])),
    # fmax/fmin: the first operand takes a tie, the other operand of a NaN takes it all
    (lambda x, y: nb.fmax(x, y), ([0, 0, 1, 1, 1], [1, 1, 0, 0, 0])),
    (lambda x, y: nb.fmin(x, y), ([1, 0, 1, 1, 1], [0, 1, 0, 0, 0])),
])
def test_gradients_of_binary_extremes_at_ties_and_nans(op, expected):
    # torch's rules; x = [1, nan, 2, 3, 0], y = [2, 1, nan, 3, nan]
    x = nb.tensor([1.0, NAN, 2.0, 3.0, 0.0], requires_grad=True)
    y = nb.tensor([2.0, 1.0, NAN, 3.0, NAN], requires_grad=True)
    op(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), expected[0])
    np.testing.assert_array_equal(y.grad.cpu().numpy(), expected[1])


@pytest.mark.parametrize("dtype", [nb.float16, nb.float32, nb.float64])
def test_relu_and_threshold_gradients_pass_where_the_input_is_above_the_threshold(dtype):
    """torch's threshold_backward: the incoming gradient where x > threshold (a NaN x too),
    +0 at or below it (at x == threshold, -0. and +0.), in the gradient's dtype."""
    values = np.array([-3.0, -0.0, 0.0, 0.5, 1.0, 2.5, np.inf, -np.inf, np.nan] * 8)
    g = np.linspace(-4, 4, values.size)
    for threshold, fn in ((0.0, lambda x: x.relu()), (0.5, lambda x: nb.nn.functional.threshold(x, 0.5, -7.0))):
        x = nb.tensor(values, dtype=dtype, requires_grad=True)
        fn(x).backward(nb.tensor(g, dtype=dtype))
        expected = np.where(np.nan_to_num(values, nan=np.inf) > threshold, g, 0.0).astype(x.grad.cpu().numpy().dtype)
        got = x.grad.cpu().numpy()
        assert x.grad.dtype is dtype
        np.testing.assert_array_equal(got, expected)
        assert not np.signbit(got[expected == 0]).any()


@pytest.mark.parametrize("name, other", [("maximum", [2.0, 2.0, 1.0]), ("minimum", [0.0, 2.0, 4.0])])
def test_second_derivative_of_binary_extremes_runs_through_torchs_composed_ops(name, other):
    # under create_graph the gradient is where/masked_fill of g (torch's graph), so the
    # second derivative of op(x, y)**2 is 2 * share**2: 2 where x wins, 0.5 at a tie (torch's values)
    x = nb.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = nb.autograd.grad(getattr(nb, name)(x, nb.tensor(other)).pow(2).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "MaskedFillBackward0"
    g.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.0, 0.5, 2.0])


@pytest.mark.parametrize("dtype", [nb.float32, nb.float64])
def test_divisor_gradient_is_torchs_quotient_over_the_divisor(dtype):
    """torch's div_tensor_other_backward, -g * ((x / y) / y), rounded step by step in the
    dtype (no y * y to overflow: y = 1e-200 in float64, 1e-30 in float32, gives finite
    values where x is tinier still), and under create_graph the ops that compute it (their graph)."""
    npd = np.float32 if dtype is nb.float32 else np.float64
    tiny = npd(1e-30) if dtype is nb.float32 else npd(1e-200)
    xs = np.array([1.0, -2.5, 3.0, 1e-250 if dtype is nb.float64 else 1e-30, 0.0], npd)
    ys = np.array([3.0, 0.7, -1.5, tiny, 2.0], npd)
    g = np.array([0.5, 1.0, -2.0, 1.0, 3.0], npd)
    expected = -g * ((xs / ys) / ys)
    x = nb.tensor(xs, requires_grad=True)
    y = nb.tensor(ys, requires_grad=True)
    (x / y).backward(nb.tensor(g))
    np.testing.assert_array_equal(y.grad.cpu().numpy(), expected)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), g / ys)
    (gy,) = nb.autograd.grad(nb.div(x, y).sum(), y, create_graph=True)
    assert gy.grad_fn.name() == "MulBackward0"
    np.testing.assert_array_equal(gy.detach().cpu().numpy(), -((xs / ys) / ys))


def test_gradients_of_relu_sign_and_max_at_nans():
    x = nb.tensor([[1.0, NAN, 0.0], [-2.0, NAN, 3.0]], requires_grad=True)
    x.relu().sum().backward()  # relu(nan) is nan: its gradient passes (torch's threshold_backward)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[1, 1, 0], [0, 1, 1]])
    x.grad = None
    (x.sign() * x.detach()).sum().backward()  # sign's gradient is zero, not g * 0 (nan where g is)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.zeros((2, 3)))
    x.grad = None
    x.max().backward()  # a NaN result: its gradient shared by the NaN elements
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [[0, 0.5, 0], [0, 0.5, 0]])
    y = nb.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    y.min().backward()
    y.max().backward()  # ties share it
    np.testing.assert_array_equal(y.grad.cpu().numpy(), [1, 0.5, 0.5, 0])


def test_bce_with_logits_gradient_is_exact_at_zero_logits():
    # a zero-initialised output layer starts at logits 0, where the stable formula's pieces
    # (|x| and max(-x, 0)) have kinks: the gradient is still sigmoid(x) - target (torch's)
    x = nb.zeros(4, dtype=nb.float64, requires_grad=True)
    target = nb.tensor([0.0, 1.0, 0.25, 1.0], dtype=nb.float64, requires_grad=True)
    loss = nb.nn.functional.binary_cross_entropy_with_logits(x, target)
    np.testing.assert_allclose(loss.item(), np.log(2) - 0, rtol=1e-12)  # (1 - t) * 0 + log(2)
    loss.backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), (0.5 - np.array([0.0, 1.0, 0.25, 1.0])) / 4, rtol=1e-12)
    np.testing.assert_allclose(target.grad.cpu().numpy(), np.zeros(4), atol=0)  # -x / n
    x.grad = None
    nb.nn.functional.binary_cross_entropy_with_logits(
        x, target.detach(), pos_weight=nb.tensor([3.0], dtype=nb.float64), reduction="sum").backward()
    t = np.array([0.0, 1.0, 0.25, 1.0])
    np.testing.assert_allclose(x.grad.cpu().numpy(), (3 * t + 1 - t) * 0.5 - 3 * t, rtol=1e-12)


def test_pow_gradient_is_zero_where_the_exponent_is_zero():
    # torch's pow_backward: 0 ** 0 has base gradient 0 (not 0 * 0 ** -1 = nan), and a number
    # exponent 0 gives zeros even where the incoming gradient is nan
    x = nb.tensor([0.0, 2.0, 0.0], dtype=nb.float64, requires_grad=True)
    y = nb.tensor([0.0, 3.0, 2.0], dtype=nb.float64, requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.0, 12.0, 0.0])
    np.testing.assert_allclose(y.grad.cpu().numpy(), [0.0, 8 * np.log(2), 0.0], rtol=1e-12)
    z = nb.tensor([1.0, float("nan")], dtype=nb.float64, requires_grad=True)
    ((z ** 0) * z.detach()).sum().backward()
    np.testing.assert_array_equal(z.grad.cpu().numpy(), [0.0, 0.0])


def test_prod_over_every_element_with_two_zeros_has_zero_gradient_even_beside_a_nan():
    # torch's prod_backward: more than one zero makes every product of the others zero
    x = nb.tensor([float("nan"), 0.0, 0.0, 2.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.0, 0.0, 0.0, 0.0])
    y = nb.tensor([3.0, 0.0, 2.0], dtype=nb.float64, requires_grad=True)
    y.prod().backward()  # one zero: its gradient is the product of the others
    np.testing.assert_array_equal(y.grad.cpu().numpy(), [0.0, 6.0, 0.0])


def test_second_derivative_of_prod_with_a_zero_stays_connected_to_x():
    # the exclusive products (needed where an element is zero) go through cumprod, whose
    # rule now exists: under create_graph the gradient is a function of x. Hand-computed:
    # d/dx_k of sum_i prod_{l != i} x_l = sum_{i != k} prod_{l != i, k} x_l
    x = nb.tensor([1.5, 0.0, 3.0, 2.0], dtype=nb.float64, requires_grad=True)
    g, = nb.autograd.grad(x.prod(), x, create_graph=True)
    np.testing.assert_array_equal(_np(g), [0.0, 9.0, 0.0, 0.0])
    second, = nb.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(_np(second), [6.0, 13.5, 3.0, 4.5], rtol=1e-12)


def test_cumprod_gradient_with_zeros_first_and_second_order():
    # hand-computed from grad_i = sum over j >= i of prod(x_k, k <= j, k != i): the first
    # order takes the O(n) first-zero path, the second (create_graph) the span table, which
    # must also differentiate the zeros after the first zero
    x = nb.tensor([2.0, 0.0, 3.0, 0.0, 5.0], dtype=nb.float64, requires_grad=True)
    x.cumprod(0).backward(nb.ones(5, dtype=nb.float64))
    np.testing.assert_array_equal(_np(x.grad), [1.0, 8.0, 0.0, 0.0, 0.0])
    g, = nb.autograd.grad(x.cumprod(0), x, nb.ones(5, dtype=nb.float64), create_graph=True)
    np.testing.assert_array_equal(_np(g), [1.0, 8.0, 0.0, 0.0, 0.0])
    second, = nb.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(_np(second), [4.0, 42.0, 2.0, 36.0, 0.0])


def test_cumprod_gradient_of_a_long_run_with_zeros_is_linear_in_memory():
    # (the span table would need n * n = 10^10 elements here; the simulator, where every GPU
    # thread is a Python thread, takes a shorter run: it still launches the chunked scans)
    n = 1000 if SIMULATED else 100_000
    x = nb.zeros(n, dtype=nb.float64, requires_grad=True)
    with nb.no_grad():
        x[:3] = nb.tensor([2.0, 3.0, 4.0], dtype=nb.float64)
    x.cumprod(0).sum().backward()
    expected = np.zeros(n)
    expected[:4] = [1 + 3 + 12, 2 + 8, 6, 24]  # (x_3 = 0 is the first zero: it gets 2 * 3 * 4)
    np.testing.assert_array_equal(_np(x.grad), expected)


def test_torch_linalg_functions_record_or_refuse_loudly():
    # nbtensor.linalg's functions once bypassed the dispatch point: their results silently
    # carried no gradient (linalg.norm(x).backward() raised, norm inside a loss dropped x's)
    a = nb.tensor(np.eye(3) * 2 + 0.1, dtype=nb.float64, requires_grad=True)
    calls = {
        "inv": lambda: nb.linalg.inv(a), "det": lambda: nb.linalg.det(a), "slogdet": lambda: nb.linalg.slogdet(a),
        "svd": lambda: nb.linalg.svd(a), "svdvals": lambda: nb.linalg.svdvals(a), "solve": lambda: nb.linalg.solve(a, a),
        "qr": lambda: nb.linalg.qr(a), "cholesky": lambda: nb.linalg.cholesky(a), "eigh": lambda: nb.linalg.eigh(a),
        "eigvalsh": lambda: nb.linalg.eigvalsh(a), "pinv": lambda: nb.linalg.pinv(a), "norm": lambda: nb.linalg.norm(a),
        "vector_norm": lambda: nb.linalg.vector_norm(a), "matrix_norm": lambda: nb.linalg.matrix_norm(a),
        "cross": lambda: nb.linalg.cross(a, a), "matmul": lambda: nb.linalg.matmul(a, a),
        "diagonal": lambda: nb.linalg.diagonal(a), "matrix_rank": lambda: nb.linalg.matrix_rank(a),
        "matrix_power": lambda: nb.linalg.matrix_power(a, 2), "matrix_exp": lambda: nb.linalg.matrix_exp(a),
    }
    functions = {name for name in nb.linalg.__all__ if callable(getattr(nb.linalg, name)) and name != "LinAlgError"}
    assert functions == set(calls)
    recorded = []
    for name, call in calls.items():
        try:
            result = call()
        except NotImplementedError:
            continue
        outs = [t for t in (result if isinstance(result, tuple) else (result,)) if t.dtype.is_floating_point]
        assert all(t.grad_fn is not None for t in outs), name
        recorded.append(name)
    assert {"inv", "det", "slogdet", "norm", "vector_norm", "matrix_norm", "cross", "matmul", "diagonal",
            "matrix_power", "matrix_exp"} <= set(recorded)
    (nb.linalg.norm(a) + nb.linalg.det(a)).backward()  # both paths reach a
    expected = _np(a) / np.linalg.norm(_np(a)) + np.linalg.det(_np(a)) * np.linalg.inv(_np(a)).T
    np.testing.assert_allclose(_np(a.grad), expected, rtol=1e-10)


def test_an_output_that_is_an_input_stays_that_tensor_with_its_history():
    # atleast_2d(v, x) returns the matrix x itself: it must not become an output of the node
    v = nb.tensor([1.0, 2.0], requires_grad=True)
    x = nb.tensor([[3.0, 4.0]], requires_grad=True)
    row, same = nb.atleast_2d(v, x)
    assert same is x and x.is_leaf and x.grad_fn is None
    (row * same).sum().backward()
    np.testing.assert_array_equal(_np(v.grad), [3.0, 4.0])
    np.testing.assert_array_equal(_np(x.grad), [[1.0, 2.0]])


def test_tile_method_takes_sizes_as_torch():
    x = nb.arange(6.0).reshape(2, 3)
    expected = np.tile(np.arange(6.0).reshape(2, 3), (2, 1))
    for tiled in (x.tile(2, 1), x.tile((2, 1)), x.tile([2, 1]), nb.tile(x, (2, 1))):
        np.testing.assert_array_equal(_np(tiled), expected)
    with pytest.raises(TypeError, match="dims"):
        x.tile()


def test_T_of_more_than_two_dims_reverses_the_gradient_too():
    # x.T reverses every dimension; its gradient was swapped in the last two only (silently
    # wrong values in x.grad)
    values = np.arange(24.0).reshape(2, 3, 4)
    weights = np.arange(24.0).reshape(4, 3, 2) - 7
    x = nb.tensor(values, requires_grad=True)
    with pytest.warns(UserWarning, match="dimension other than 2"):
        flipped = x.T
    assert flipped.shape == (4, 3, 2) and flipped.stride() == (1, 4, 12)
    (flipped * nb.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), weights.transpose(2, 1, 0))


def test_a_leaf_gradient_of_another_shape_is_summed_or_refused_as_torch(monkeypatch):
    from nbtensor.autograd import rules
    x = nb.ones(2, 3, requires_grad=True)
    monkeypatch.setitem(rules.RULES, "exp", lambda args, kwargs, out: ("ExpBackward0", (args[0],), lambda g: (g.t(),)))
    with pytest.raises(RuntimeError, match=r"Function ExpBackward0 returned an invalid gradient at index 0 - "
                                           r"got \[3, 2\] but expected shape compatible with \[2, 3\]"):
        x.exp().sum().backward()
    monkeypatch.setitem(rules.RULES, "exp", lambda args, kwargs, out: ("ExpBackward0", (args[0],),
                                                                       lambda g: (g.expand(4, 2, 3),)))
    x.exp().sum().backward()  # a broadcast gradient is summed to the leaf's shape (torch's engine)
    np.testing.assert_array_equal(_np(x.grad), np.full((2, 3), 4.0))


def test_a_first_argument_given_by_keyword_is_recorded():
    # torch.cat(tensors=[a, b]) and where(condition=..., input=..., other=...) record as their
    # positional calls do (the keyword-only call once raised IndexError in the recorder)
    a = nb.tensor([1.0, 2.0], requires_grad=True)
    b = nb.tensor([3.0, -4.0], requires_grad=True)
    weights = nb.tensor([1.0, 2.0, 3.0, 4.0])
    (nb.cat(tensors=[a, b]) * weights).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [1.0, 2.0])
    np.testing.assert_array_equal(_np(b.grad), [3.0, 4.0])
    a.grad = b.grad = None
    nb.stack(tensors=(a, b), dim=1).sum(1).mul(nb.tensor([5.0, 6.0])).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [5.0, 6.0])
    np.testing.assert_array_equal(_np(b.grad), [5.0, 6.0])
    a.grad = b.grad = None
    nb.where(condition=b > 0, input=a * 10, other=b).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [10.0, 0.0])
    np.testing.assert_array_equal(_np(b.grad), [0.0, 1.0])


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_second_derivatives_through_selections_match_torch():
    # gather, index_select, amax and indexing write their first backward into fresh zeros in
    # place, except under create_graph, where the form records the second
    a = RNG.standard_normal((3, 4))
    grads = []
    for lib in (nb, torch):
        x = lib.tensor(a, requires_grad=True)
        y = ((x.gather(1, lib.tensor([[0, 0], [3, 1], [2, 2]])) ** 3).sum()
             + (x.index_select(1, lib.tensor([1, 1, 3])) ** 3).sum() + (x.amax(1) ** 3).sum()
             + (x.masked_select(lib.tensor([True, False, True, True])) ** 3).sum() + (x[:, [0, 0, 3]] ** 3).sum()
             + (x[x > 0] ** 3).sum() + (x[[0, 0, 2]] ** 3).sum())  # (index_put_'s rule, under create_graph)
        g, = lib.autograd.grad(y, x, create_graph=True)
        (g * g).sum().backward()
        grads.append(_np(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)


def test_a_first_gradient_becomes_grad_without_aliasing_anything_else():
    # the engine takes a gradient nothing else holds as .grad (torch's AccumulateGrad steals
    # it); one that something else holds is copied: writing either never changes the other
    x, y = nb.ones(2, requires_grad=True), nb.ones(2, requires_grad=True)
    (x + y).sum().backward()  # one gradient tensor reaches both leaves
    x.grad.add_(1)
    assert y.grad.tolist() == [1.0, 1.0] and x.grad.tolist() == [2.0, 2.0]
    x, g = nb.ones(2, requires_grad=True), nb.ones(2)
    x.backward(g)  # the caller's gradient
    g.add_(5)
    assert x.grad.tolist() == [1.0, 1.0]
    x = nb.ones(2, requires_grad=True)
    y = x.clone()
    y.retain_grad()  # a retained gradient, passed on as it is
    y.sum().backward()
    y.grad.add_(1)
    assert x.grad.tolist() == [1.0, 1.0]
    kept = []
    x = nb.ones(2, requires_grad=True)
    x.register_hook(kept.append)  # a hook that keeps the gradient it sees
    (x * 2).sum().backward()
    kept[0].add_(1)
    assert x.grad.tolist() == [2.0, 2.0]
    w = nb.ones(3, 2, requires_grad=True)
    (nb.ones(4, 3) @ w).sum().backward()
    first = w.grad
    (nb.ones(4, 3) @ w).sum().backward()  # later gradients accumulate into the same .grad
    assert w.grad is first and w.grad.tolist() == [[8.0, 8.0]] * 3


@pytest.mark.parametrize("name, op, raises", [
    ("sort", lambda v: nb.sort(v)[0], False), ("msort", nb.msort, False), ("topk", lambda v: v.topk(2)[0], False),
    ("kthvalue", lambda v: v.kthvalue(2)[0], False), ("median along a dim", lambda v: v.median(0)[0], False),
    ("cummax", lambda v: v.cummax(0)[0], True), ("cummin", lambda v: v.cummin(0)[0], True),
    ("median", lambda v: v.median(), True),
])
def test_selecting_nodes_keep_what_torchs_keep(name, op, raises):
    # torch's sort, topk, kthvalue and median along a dim keep only their indices: a write
    # into the input afterwards leaves backward as it was; cummax, cummin and median keep the
    # input too, and backward raises
    a = nb.tensor([1.16, 0.75, 1.57], dtype=nb.float64, requires_grad=True)
    v = a * 2.5
    result = op(v)
    v.tanh_()
    if raises:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            result.sum().backward()
        return
    result.sum().backward()
    picked = {"sort": [1, 1, 1], "msort": [1, 1, 1], "topk": [1, 0, 1], "kthvalue": [1, 0, 0],
              "median along a dim": [1, 0, 0]}[name]
    assert a.grad.tolist() == [2.5 * p for p in picked]


def test_writing_the_indices_of_a_sort_makes_its_backward_raise():
    a = nb.tensor([1.16, 0.75, 1.57], dtype=nb.float64, requires_grad=True)
    values, indices = nb.sort(a * 1)
    indices.add_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        values.sum().backward()


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 3)])
def test_cumprod_of_one_element_passes_its_gradient_as_it_is(shape):
    # torch's cumprod_backward returns the gradient itself for at most one element, or one
    # along the dim: a second derivative sees no path back to what the input was made of
    a0 = nb.full(shape, -0.84, dtype=nb.float64, requires_grad=True)
    a1 = nb.tensor(-2.16, dtype=nb.float64, requires_grad=True)
    out = nb.cumprod(a0 / -1.7 - a1, 0)
    g0, _ = nb.autograd.grad((out * -0.85).sum(), [a0, a1], create_graph=True)
    assert np.allclose(g0.tolist(), np.full(shape, 0.5).tolist())
    ((g0 * -0.87).sum() + (a0 ** 2).sum() * 0.5).backward()
    assert a1.grad is None and np.allclose(a0.grad.tolist(), np.full(shape, -0.84).tolist())
