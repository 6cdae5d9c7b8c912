"""Autograd edge cases (issue 12, item 4): gradcheck and gradgradcheck on non-contiguous,
0-d and empty inputs, and derivative rules at their edges (saturation, infinities, kinks
torch chooses, which gradients require grad under create_graph), each against torch 2.13
(skipped without it) or values computed by hand.
"""
import math
import sys
import warnings

import pytest

import nbtensor as nb
from nbtensor.autograd import GradcheckError, gradcheck, gradgradcheck

try:
    import torch
except ImportError:  # the torch halves skip; the hand-computed ones run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")
F64 = nb.float64


def _leaf(values, lib=nb):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


def _same(got, want):
    """Element-wise equality of nested lists of floats, NaN equal to NaN, within 1e-12."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want))
    if math.isnan(want):
        return math.isnan(got)
    return got == want or abs(got - want) <= 1e-12 * max(1.0, abs(want))


# ---------------------------------------------------------------- gradcheck
def test_gradcheck_transposed_input():
    x = nb.randn(3, 4, dtype=F64).t().requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(nb.sin, (x,))


def test_gradcheck_strided_slice_and_0d_and_empty():
    base = nb.randn(4, 6, dtype=F64)
    x = base[::2, 1::2].detach().requires_grad_()  # (a view with strides (12, 2))
    assert gradcheck(lambda a: (a * a).sum(1), (x,))
    assert gradcheck(lambda a, b: a * b.exp(), (nb.tensor(1.5, dtype=F64, requires_grad=True),
                                                 nb.tensor([0.5, -1.0], dtype=F64, requires_grad=True)))
    assert gradcheck(lambda a: a.exp(), (nb.zeros(0, 3, dtype=F64, requires_grad=True),))
    assert gradcheck(lambda a: a.sum(), (nb.zeros(0, dtype=F64, requires_grad=True),))


def test_gradcheck_leaves_the_input_unchanged():
    x = nb.randn(3, 4, dtype=F64).t().requires_grad_()
    before = x.detach().clone().tolist()
    assert gradcheck(lambda a: a.tanh(), (x,))
    assert x.tolist() == before


def test_gradcheck_error_names_output_and_input():
    x = nb.tensor([0.5, 1.0], dtype=F64, requires_grad=True)
    y = nb.tensor([2.0], dtype=F64, requires_grad=True)

    def wrong(a, b):  # the second output's gradient in b misses a term
        return a.exp(), a * b + (b * b).detach()
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 1 with respect to input 1") as info:
        gradcheck(wrong, (x, y))
    assert isinstance(info.value, RuntimeError)
    assert "numerical:" in str(info.value) and "analytical:" in str(info.value)
    assert gradcheck(wrong, (x, y), raise_exception=False) is False


def test_gradcheck_refuses_bad_inputs_as_torch():
    with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0"):
        gradcheck(nb.sin, (nb.randn(3, dtype=F64).expand(2, 3).requires_grad_(),))
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(nb.sin, (nb.randn(3, dtype=F64),))
    with pytest.raises(AssertionError):
        gradcheck(nb.sin, (nb.randn(3, dtype=F64, requires_grad=True),), check_backward_ad=False)
    with pytest.raises(NotImplementedError, match="check_forward_ad"):
        gradcheck(nb.sin, (nb.randn(3, dtype=F64, requires_grad=True),), check_forward_ad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert gradcheck(nb.sin, (nb.randn(3, requires_grad=True),), eps=1e-3, atol=1e-2, rtol=1e-2)
    assert any("is not a double precision" in str(w.message) for w in caught)


def test_gradcheck_catches_backward_not_multiplied_by_grad_output():
    class Bad(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 + 1  # right for g = 1 only... and wrong for g = 0
    with pytest.raises(GradcheckError):
        gradcheck(Bad.apply, (nb.tensor([1.0, 2.0], dtype=F64, requires_grad=True),))


def test_gradcheck_without_differentiable_outputs():
    x = nb.tensor([0.3, 0.7], dtype=F64, requires_grad=True)
    assert gradcheck(lambda a: (a > 0.5).to(F64), (x,))  # a step: numerically zero
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        gradcheck(lambda a: a.detach() * 2, (x,))


def test_gradgradcheck_and_module_path():
    x = nb.randn(3, 4, dtype=F64).t().requires_grad_()
    b = nb.randn(3, dtype=F64, requires_grad=True)
    assert gradgradcheck(lambda a, c: (a * c).sin() * a, (x, b))
    assert gradgradcheck(lambda a, c: (a * c).exp(), (x, b), gen_non_contig_grad_outputs=True)
    assert gradgradcheck(lambda a: a.pow(3), (nb.tensor(0.7, dtype=F64, requires_grad=True),))
    go = nb.tensor([[1.0, -2.0, 0.5, 3.0]] * 3, dtype=F64).t().requires_grad_()  # (4, 3), transposed
    assert gradgradcheck(lambda a: a.t() * a.t(), (x.t().detach().requires_grad_(),), (go,))
    module = sys.modules["nbtensor.autograd.gradcheck"]
    assert module.gradgradcheck is gradgradcheck and nb.autograd.gradgradcheck is gradgradcheck
    assert "gradgradcheck" in nb.autograd.__all__ and issubclass(module.GradcheckError, RuntimeError)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class Cube(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * (x * x).detach()  # right first derivative, no second
    x = nb.tensor([0.5, 1.5], dtype=F64, requires_grad=True)
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,), raise_exception=False) is False


# ---------------------------------------------------------------- rules, by hand
def test_vector_matmul_vector_backward():
    # x @ y for two vectors: d/dx = y, d/dy = x (the rule unsqueezed a 0-d gradient at -2)
    x, y = _leaf([1.0, 2.0, 3.0]), _leaf([4.0, 5.0, 6.0])
    gx, gy = nb.autograd.grad(x @ y, (x, y), create_graph=True)
    assert gx.tolist() == [4.0, 5.0, 6.0] and gy.tolist() == [1.0, 2.0, 3.0]
    assert gx.requires_grad and gy.requires_grad
    (gx.sum() + gy.sum()).backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0] and y.grad.tolist() == [1.0, 1.0, 1.0]


def test_relu_gradient_requires_grad_under_create_graph():
    # torch's threshold_backward depends on x: the gradient requires grad, a second backward gives zeros
    x = _leaf([0.5, -1.2, 2.0])
    g, = nb.autograd.grad(x.relu().sum(), x, create_graph=True)
    assert g.requires_grad and g.tolist() == [1.0, 0.0, 1.0]
    g.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_hardswish_gradient_of_grad_output_at_infinities():
    # d(hardswish_backward(g, x))/dg is hardswish'(x): 0 at -inf, 1 at +inf and nan (was nan)
    x = _leaf([-math.inf, -1.5, 0.0, math.inf, math.nan])
    g = nb.ones(5, dtype=F64, requires_grad=True)
    gx, = nb.autograd.grad(nb.nn.functional.hardswish(x), x, g, create_graph=True)
    gg, = nb.autograd.grad(gx.sum(), g)
    assert gg.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_log_sigmoid_second_derivative_at_zero():
    # d2/dx2 log(sigmoid(x)) = -sigmoid(x) (1 - sigmoid(x)): -0.25 at 0 (was -0.0)
    x = _leaf([0.0, 1.0])
    g, = nb.autograd.grad(nb.nn.functional.logsigmoid(x).sum(), x, create_graph=True)
    h, = nb.autograd.grad(g.sum(), x)
    s = 1 / (1 + math.exp(-1.0))
    assert _same(h.tolist(), [-0.25, -s * (1 - s)])


def test_bce_double_backward_at_saturation_by_hand():
    # torch's binary_cross_entropy_double_backward: (x^2 - 2xt + t) / ((x+eps)^2 (1-x+eps)^2) g gg
    p = _leaf([0.0, 1.0, 0.0])
    t = nb.tensor([0.0, 1.0, 1.0], dtype=F64)
    loss = nb.nn.functional.binary_cross_entropy(p, t, reduction="sum")
    g, = nb.autograd.grad(loss, p, create_graph=True)
    h, = nb.autograd.grad(g.sum(), p)
    assert h.tolist()[:2] == [0.0, 0.0]  # a saturated p equal to its target: 0 (was 1e12)
    assert h.tolist()[2] == pytest.approx(1e24)


def test_empty_index_of_any_dtype_gathers_nothing():
    x = nb.randn(3, 4, dtype=F64, requires_grad=True)
    for dtype in (nb.float32, nb.int16, nb.bool):
        r = x.gather(0, nb.empty(0, 4, dtype=dtype))
        assert tuple(r.shape) == (0, 4)
        r.sum().backward()
    assert x.grad.tolist() == [[0.0] * 4] * 3
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.gather(0, nb.zeros(1, 4, dtype=nb.float32))
    # nor is an empty index's number of dimensions checked (torch.gather(x, 1, torch.tensor([])))
    assert tuple(nb.gather(x, 1, nb.tensor([])).shape) == (0,)
    assert x.detach().scatter(1, nb.empty(0, 3, 2, dtype=nb.int64), 1.0).tolist() == x.tolist()
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, nb.tensor([0]))


def test_sgn_saves_input_and_result():
    x = _leaf([0.5, -2.0, 3.0])
    y = x.sgn()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    h = x * 1
    y = h.sgn()
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---------------------------------------------------------------- rules, against torch
def _f(lib):
    return lib.nn.functional


# (no nan: torch's vectorised and scalar loops disagree there, so its answer depends on the
# tensor's size and the element's position)
EDGE_VALUES = [-math.inf, -1e308, -30.0, -3.0, -2.0, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 3.0, 30.0, 1e308,
               math.inf]
UNARY = {
    "hardswish": lambda L, x: _f(L).hardswish(x),
    "hardsigmoid": lambda L, x: _f(L).hardsigmoid(x),
    "elu": lambda L, x: _f(L).elu(x, 0.7),
    "selu": lambda L, x: _f(L).selu(x),
    "celu": lambda L, x: _f(L).celu(x, 1.3),
    "softplus": lambda L, x: _f(L).softplus(x, beta=2.0),
    "softplus_threshold": lambda L, x: _f(L).softplus(x, 1.0, 1.5),
    "logsigmoid": lambda L, x: _f(L).logsigmoid(x),
    "leaky_relu": lambda L, x: _f(L).leaky_relu(x, 0.1),
    "hardtanh": lambda L, x: _f(L).hardtanh(x),
    "relu6": lambda L, x: _f(L).relu6(x),
    "relu": lambda L, x: L.relu(x),
    "threshold": lambda L, x: _f(L).threshold(x, 0.5, -2.0),
    "hardshrink": lambda L, x: _f(L).hardshrink(x, 0.5),
    "softshrink": lambda L, x: _f(L).softshrink(x, 0.5),
    "logit": lambda L, x: L.logit(x),
    "logit_eps": lambda L, x: L.logit(x, 0.1),
}
# torch implements no second derivative for hardsigmoid (it raises; nbtensor's is zero)
NO_SECOND = {"hardsigmoid"}


def _first_and_second(lib, fn, values, second):
    x = _leaf(values, lib)
    g = lib.ones(len(values), dtype=lib.float64, requires_grad=True)
    gx, = lib.autograd.grad(fn(lib, x), x, g, create_graph=True)
    found = {"gx": gx.tolist(), "requires_grad": gx.requires_grad}
    if second and gx.requires_grad:
        gxx, gg = lib.autograd.grad(gx.sum(), (x, g))
        found.update(gxx=gxx.tolist(), gg=gg.tolist())
    return found


@needs_torch
@pytest.mark.parametrize("name", sorted(UNARY))
def test_activation_gradients_at_edges_match_torch(name):
    fn = UNARY[name]
    want = _first_and_second(torch, fn, EDGE_VALUES, name not in NO_SECOND)
    got = _first_and_second(nb, fn, EDGE_VALUES, name not in NO_SECOND)
    assert got.keys() == want.keys()
    for key in want:
        assert _same(got[key], want[key]) if key != "requires_grad" else got[key] == want[key], (key, got[key],
                                                                                                 want[key])


@needs_torch
@pytest.mark.parametrize("values", [[0.3, 0.7], [1.0, 2.0]])
def test_logit_plain_backward_matches_torch(values):
    for eps in (None, 0.1):
        found = []
        for lib in (torch, nb):
            x = _leaf(values + [-0.5, math.nan], lib)
            lib.logit(x, eps).sum().backward()
            found.append(x.grad.tolist())
        assert _same(found[1], found[0])


def _bce_case(lib, reduction, weighted):
    p = _leaf([0.0, 1.0, 0.3, 0.0, 1.0], lib)
    t = _leaf([0.0, 1.0, 0.6, 1.0, 0.0], lib)
    w = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=lib.float64) if weighted else None
    loss = _f(lib).binary_cross_entropy(p, t, weight=w, reduction=reduction)
    gp, gt = lib.autograd.grad(loss.sum(), (p, t), create_graph=True)
    hpp, hpt = lib.autograd.grad(gp.sum(), (p, t))
    htp, = lib.autograd.grad(gt.sum(), (p,))
    return [loss.tolist(), gp.tolist(), gt.tolist(), hpp.tolist(), hpt.tolist(), htp.tolist()]


@needs_torch
@pytest.mark.parametrize("reduction, weighted", [("mean", False), ("sum", True), ("none", True)])
def test_bce_first_and_second_derivatives_at_saturation_match_torch(reduction, weighted):
    assert _same(_bce_case(nb, reduction, weighted), _bce_case(torch, reduction, weighted))


REQUIRES_GRAD_CASES = {
    "add": lambda L, x, y: x + y, "add_number": lambda L, x, y: x + 1, "sub": lambda L, x, y: x - y,
    "mul": lambda L, x, y: x * y, "mul_number": lambda L, x, y: x * 2, "sum": lambda L, x, y: x.sum(),
    "mean": lambda L, x, y: x.mean(), "sum_dim": lambda L, x, y: x.sum(0), "neg": lambda L, x, y: -x,
    "relu": lambda L, x, y: x.relu(), "abs": lambda L, x, y: x.abs(), "exp": lambda L, x, y: x.exp(),
    "sign": lambda L, x, y: x.sign(), "sgn": lambda L, x, y: x.sgn(), "clamp": lambda L, x, y: x.clamp(-1, 1),
    "where": lambda L, x, y: L.where(x > 0, x, y), "max": lambda L, x, y: x.max(),
    "leaky_relu": lambda L, x, y: _f(L).leaky_relu(x, 0.1), "hardtanh": lambda L, x, y: _f(L).hardtanh(x),
    "relu6": lambda L, x, y: _f(L).relu6(x), "threshold": lambda L, x, y: _f(L).threshold(x, 0.1, 2.0),
    "hardshrink": lambda L, x, y: _f(L).hardshrink(x, 0.6), "softshrink": lambda L, x, y: _f(L).softshrink(x, 0.6),
    "hardsigmoid": lambda L, x, y: _f(L).hardsigmoid(x), "hardswish": lambda L, x, y: _f(L).hardswish(x),
    "elu": lambda L, x, y: _f(L).elu(x), "softplus": lambda L, x, y: _f(L).softplus(x),
    "logsigmoid": lambda L, x, y: _f(L).logsigmoid(x), "matmul": lambda L, x, y: x @ y,
    "dot": lambda L, x, y: L.dot(x, y), "mse": lambda L, x, y: _f(L).mse_loss(x, y),
    "bce": lambda L, x, y: _f(L).binary_cross_entropy(x.sigmoid(), y.sigmoid()),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(REQUIRES_GRAD_CASES))
def test_create_graph_gradients_require_grad_as_torch(name):
    fn = REQUIRES_GRAD_CASES[name]
    found = []
    for lib in (torch, nb):
        x, y = _leaf([0.5, -1.2, 2.0], lib), _leaf([1.5, 0.7, -0.3], lib)
        out = fn(lib, x, y)
        grads = lib.autograd.grad(out, (x, y), lib.ones_like(out), create_graph=True, allow_unused=True)
        found.append([None if g is None else (g.requires_grad, _values(g)) for g in grads])
    assert [None if g is None else g[0] for g in found[1]] == [None if g is None else g[0] for g in found[0]]
    assert _same([[] if g is None else g[1] for g in found[1]], [[] if g is None else g[1] for g in found[0]])


def _values(t):
    """t.tolist(), or zeros for torch's efficient zero tensor (sgn's gradient), which has no memory."""
    if torch is not None and isinstance(t, torch.Tensor) and t._is_zerotensor():
        return [0.0] * t.numel()
    return t.tolist()


@needs_torch
def test_gradcheck_verdicts_match_torch():
    cases = [(lambda L, a: a.sin(), [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]),
             (lambda L, a: a.exp() + (a * 1e-3).detach(), [[0.1, 0.2], [0.4, 0.5]])]
    for fn, values in cases:
        verdicts = []
        for lib in (torch, nb):
            x = lib.tensor(values, dtype=lib.float64).t().requires_grad_()
            verdicts.append(lib.autograd.gradcheck(lambda a, lib=lib, fn=fn: fn(lib, a), (x,), raise_exception=False))
        assert verdicts[0] == verdicts[1]


def test_prod_of_0d_passes_the_gradient_as_it_is():
    # torch's prod_backward of a 0-d input: grad (was grad * result / x: nan at 0, inf, nan)
    for value in (0.0, math.inf, math.nan, 2.0):
        x = nb.tensor(value, dtype=F64, requires_grad=True)
        y = nb.tensor(value, dtype=F64, requires_grad=True)
        x.prod().backward()
        y.prod(0).backward()
        assert x.grad.tolist() == 1.0 and y.grad.tolist() == 1.0
    a, b = nb.tensor(-0.5, dtype=F64, requires_grad=True), nb.tensor(1.2, dtype=F64, requires_grad=True)
    g, = nb.autograd.grad(a.clamp(min=b).prod(), a, create_graph=True)
    assert g.tolist() == 0.0 and not g.requires_grad  # (no path back to the bound b)



# which tensors a node saves decides whether a later in-place write makes backward raise
SAVED_CASES = {
    "index_copy": lambda L, v, s: L.index_copy(v, 1, L.tensor([3, 2]), s),
    "index_fill": lambda L, v, s: v.index_fill(1, L.tensor([3, 2]), -0.5),
    "scatter": lambda L, v, s: v.scatter(1, L.tensor([[3, 2], [0, 1]]), s),
    "masked_fill": lambda L, v, s: v.masked_fill(L.tensor([True, False, True, False]), 2.0),
    "where": lambda L, v, s: L.where(L.tensor([True, False, True, False]), v, 0.5),
    "cumsum": lambda L, v, s: v.cumsum(1),
    "gather": lambda L, v, s: v.gather(1, L.tensor([[0], [1]])),
    "masked_select": lambda L, v, s: v.masked_select(L.tensor([True, False, True, False])),
    "max_dim": lambda L, v, s: v.max(1).values,
    "min_dim_keepdim": lambda L, v, s: v.min(0, keepdim=True)[0],
}
# torch keeps only the index or mask of these (x may be written afterwards); gather and
# masked_select keep x too (for its sizes): a write into it makes backward raise
WRITE_AFTER_ALLOWED = {"index_copy", "index_fill", "scatter", "masked_fill", "where", "cumsum", "max_dim",
                       "min_dim_keepdim"}


def _write_after(lib, name):
    a = lib.tensor([[1.38, 0.96, 1.01, -0.61], [-0.6, -2.04, -0.96, 1.03]], dtype=lib.float64, requires_grad=True)
    s = lib.tensor([[-0.82, 2.33], [-0.06, -0.85]], dtype=lib.float64, requires_grad=True)
    v = a * 1.0
    y = SAVED_CASES[name](lib, v, s)
    v.tanh_()
    y.sum().backward()
    return a.grad.tolist()


@pytest.mark.parametrize("name", sorted(SAVED_CASES))
def test_write_into_input_after_op(name):
    if name in WRITE_AFTER_ALLOWED:
        grad = _write_after(nb, name)
        assert len(grad) == 2
        if torch is not None:
            assert grad == _write_after(torch, name)
    else:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            _write_after(nb, name)


def test_out_of_place_writers_return_row_major_results():
    # torch's scatter, scatter_add, index_add, index_copy, scatter_reduce and masked_scatter
    # return a contiguous result for a transposed input (so .view works on it, as the
    # gradient fuzzer's x.scatter_add(...).view(...) did under torch); index_fill keeps the layout
    v = nb.randn(4, 2, dtype=F64).t()
    i, s = nb.tensor([[1, 2], [3, 0]]), nb.randn(2, 2, dtype=F64)
    for r in (v.scatter_add(1, i, s), v.scatter(1, i, s), v.scatter(1, i, 1.0), v.index_add(1, nb.tensor([0, 1]), s),
              v.index_copy(1, nb.tensor([0, 1]), s), v.scatter_reduce(1, i, s, "sum"),
              v.masked_scatter(v > 0, nb.zeros(8, dtype=F64))):
        assert r.stride() == (4, 1)
        assert r.view(4, 1, 2).shape == (4, 1, 2)
    assert v.index_fill(1, nb.tensor([0]), 1.0).stride() == (1, 2)


def test_gradcheck_of_a_view_of_the_input():
    # the outputs are read before the next perturbation writes into the memory they view
    a = nb.randn(2, 3, dtype=F64).t().requires_grad_()
    assert gradcheck(lambda p: p.t()[1], (a,))
    assert gradcheck(lambda p: p.as_strided((2, 2), (1, 1), 1), (nb.randn(6, dtype=F64, requires_grad=True),))


def test_number_divided_by_a_tensor_records_reciprocal_then_mul_as_torch():
    # torch computes c / v as v.reciprocal() * c: two nodes, and the product saves the
    # reciprocal (so writing into v after the op does not make backward raise)
    v = _leaf([3.0, 7.0, 0.5])
    y = 1.5 / v
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "ReciprocalBackward0"
    y.sum().backward()
    assert _same(v.grad.tolist(), [-1.5 / 9.0, -1.5 / 49.0, -6.0])
    assert gradgradcheck(lambda t: 2.0 / t, (_leaf([0.7, -1.3]),))


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients_pass_gradcheck(reduce, include_self):
    # distinct values away from zero: no ties, so every reduction is differentiable there
    x = nb.tensor([[0.3, -1.1, 2.2], [1.7, -0.4, 0.9]], dtype=F64, requires_grad=True)
    src = nb.tensor([[1.3, 0.6, -2.4], [-0.8, 1.9, 0.5], [2.6, -1.5, 1.2]], dtype=F64, requires_grad=True)
    index = nb.tensor([[0, 1, 1], [1, 1, 0], [0, 0, 1]])
    y = x.scatter_reduce(0, index, src, reduce, include_self=include_self)
    assert y.grad_fn.name() == "ScatterReduceBackward0"
    assert gradcheck(lambda a, b: a.scatter_reduce(0, index, b, reduce, include_self=include_self), (x, src))


def test_in_place_scatter_and_index_reduce_record_their_out_of_place_rules():
    # the old values of the written tensor are what the rule reads (torch: the same gradients,
    # and the same refusal when a later write changes the result a reduction saved)
    for lib in (nb,) + ((torch,) if torch is not None else ()):
        src = lib.tensor([2.0, 3.0, 4.0], dtype=lib.float64, requires_grad=True)
        z = lib.tensor([1.0, 5.0], dtype=lib.float64, requires_grad=True) * 1
        z.scatter_reduce_(0, lib.tensor([0, 1, 1]), src, "sum")
        z = z * 1
        z.index_reduce_(0, lib.tensor([1]), src[:1] * 7, "amax")
        assert z.grad_fn.name() == "IndexReduceBackward0"
        z.sum().backward()
        # z = [1 + 2, max(5 + 3 + 4, 2 * 7)]: the max is the source's, so z's old 12 gets none
        assert _same(src.grad.tolist(), [8.0, 0.0, 0.0])
        z = lib.tensor([1.0, 5.0], dtype=lib.float64, requires_grad=True) * 1
        z.scatter_reduce_(0, lib.tensor([0, 1, 1]), src, "prod")
        z.index_reduce_(0, lib.tensor([1]), src[:1] * 1, "amax")
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_xlog1py_values_and_node_are_torch_special_s():
    x = nb.tensor([0.0, 0.0, 2.0, 3.0], dtype=F64, requires_grad=True)
    y = nb.tensor([-1.0, float("nan"), 0.5, -0.5], dtype=F64)
    z = nb.special.xlog1py(x, y)
    # 0 where x is 0 (but NaN for a NaN y), else x * log1p(y)
    assert _same(z.tolist(), [0.0, float("nan"), 2.0 * math.log1p(0.5), 3.0 * math.log1p(-0.5)])
    assert z.grad_fn.name() == "SpecialXlog1PyBackward0"
    assert not hasattr(nb, "xlog1py") and not hasattr(nb.Tensor, "xlog1py")  # (torch.special's only)


def test_var_keeps_its_input_only_so_its_result_may_be_written_in_place():
    # torch's VarBackward0 saves self; StdBackward0 saves self and its result
    for lib in (nb,) + ((torch,) if torch is not None else ()):
        x = lib.tensor([[1.0, 2.0, 4.0], [0.5, 0.1, 3.0]], dtype=lib.float64, requires_grad=True)
        v = x.var(1)
        v.sigmoid_()
        v.sum().backward()
        s = x.std(1)
        s.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            s.sum().backward()
    values = [[1.0, 2.0, 4.0], [0.5, 0.1, 3.0]]
    x = nb.tensor(values, dtype=F64, requires_grad=True)
    x.var(1).sigmoid_().sum().backward()  # (the gradient through the in-place sigmoid, by hand)
    for row, got in zip(values, x.grad.tolist()):
        mean, var = sum(row) / 3, sum((r - sum(row) / 3) ** 2 for r in row) / 2
        slope = math.exp(-var) / (1 + math.exp(-var)) ** 2
        assert _same(got, [slope * (r - mean) for r in row])


def test_logsigmoid_of_a_transposed_input_is_row_major_as_torch_s_kernel_writes_it():
    values = [[-2.0, 0.5, 3.0], [1.0, -0.25, 0.0]]
    x = nb.tensor(values, dtype=F64, requires_grad=True).t()
    y = nb.nn.functional.logsigmoid(x)
    assert y.stride() == (2, 1)
    flat = y.view(-1)  # (raised: a transposed result cannot be viewed flat)
    want = [min(v, 0.0) - math.log1p(math.exp(-abs(v))) for v in (-2.0, 1.0, 0.5, -0.25, 3.0, 0.0)]
    assert _same(flat.tolist(), want)
    if torch is not None:
        assert torch.nn.functional.logsigmoid(torch.tensor(values).t()).stride() == (2, 1)


@needs_torch
def test_bce_second_derivative_through_its_incoming_gradient_matches_torch_near_saturation():
    # torch differentiates the input gradient in its incoming gradient with (x + eps)(1 - x + eps),
    # eps = 1e-12, not the input gradient's own clamp: at p = 1 - 4.4e-6 the two differ by 1e-7
    got = []
    for lib in (nb, torch):
        p = lib.tensor([0.9999955668290202, 0.3], dtype=lib.float64, requires_grad=True)
        loss = lib.cos(lib.nn.functional.binary_cross_entropy(p, lib.tensor([0.32, 0.8], dtype=lib.float64)))
        (g,) = lib.autograd.grad(loss, p, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), p)
        got.append(g2.tolist())
    assert got[0] == pytest.approx(got[1], rel=1e-12)
