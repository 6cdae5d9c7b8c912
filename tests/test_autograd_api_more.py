"""torch.autograd's wider surface: Function's setup_context style, mark_dirty, materialized
gradients and once_differentiable; Variable; anomaly detection; autograd.functional.
Values are checked by hand (and against torch when it is installed)."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor.autograd.function import once_differentiable
from tests.support import check, needs_torch, torch

F32 = np.float32


def _grad_of(x):
    return x.grad.cpu().numpy()


# ---------------------------------------------------------------- Function
class _Exp(nb.autograd.Function):
    @staticmethod
    def forward(x):
        return x.exp()

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


def test_setup_context_style():
    x = nb.tensor([0.0, 1.0], requires_grad=True)
    y = _Exp.apply(x)
    assert y.grad_fn.name() == "_ExpBackward"
    assert repr(y.grad_fn).startswith("<nbtensor.autograd.function._ExpBackward object at 0x")
    y.sum().backward()
    np.testing.assert_allclose(_grad_of(x), np.exp([0.0, 1.0]).astype(F32), rtol=1e-6)


class _Two(nb.autograd.Function):
    @staticmethod
    def forward(ctx, x, materialize):
        ctx.set_materialize_grads(materialize)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, ga, gb):
        ctx.seen = (ga is None, gb is None)
        return (gb if ga is None else ga * 2 + gb * 3), None


@pytest.mark.parametrize("materialize", [True, False])
def test_unused_output_gradient_is_zeros_unless_materialize_is_off(materialize):
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    _, b = _Two.apply(x, materialize)
    b.sum().backward()
    # materialized: ga is zeros, so 0 * 2 + 1 * 3; otherwise ga is None and gb passes as it is
    check(x.grad, np.array([3.0, 3.0] if materialize else [1.0, 1.0], F32))


class _DoubleInPlace(nb.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_mark_dirty_keeps_the_tensor_and_continues_its_history():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = _DoubleInPlace.apply(y)
    assert z is y and z.grad_fn.name() == "_DoubleInPlaceBackward"
    check(z.detach(), np.array([2.0, 4.0], F32))
    z.sum().backward()
    check(x.grad, np.array([2.0, 2.0], F32))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
        _DoubleInPlace.apply(nb.tensor([1.0], requires_grad=True))


def _scaling(extra):
    """A Function x * k whose backward also returns `extra(g)` as a third gradient."""
    class Scale(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None, extra(g)
    return Scale


def test_extra_gradients_must_be_none():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    _scaling(lambda g: None).apply(x, 3).sum().backward()
    check(x.grad, np.array([3.0, 3.0], F32))
    with pytest.raises(RuntimeError, match=r"function ScaleBackward returned an incorrect number of gradients "
                                           r"\(expected 2, got 3\)"):
        _scaling(lambda g: g).apply(x, 3).sum().backward()


def test_an_input_returned_as_is_comes_back_as_a_new_tensor():
    class Same(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = Same.apply(x)
    assert y is not x and not y.is_leaf
    y.sum().backward()
    check(x.grad, np.array([5.0, 5.0], F32))


def test_saved_tensor_modified_in_place_raises():
    class Square(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = Square.apply(y)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_once_differentiable_refuses_a_second_derivative():
    class Cube(nb.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = nb.tensor([1.0, 2.0], requires_grad=True)
    (g,) = nb.autograd.grad(Cube.apply(x).sum(), x)
    check(g, np.array([3.0, 12.0], F32))
    (g,) = nb.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)  # (ones: nothing to refuse)
    assert not g.requires_grad
    (g,) = nb.autograd.grad(Cube.apply(x), x, nb.ones(2, requires_grad=True), create_graph=True)
    check(g.detach(), np.array([3.0, 12.0], F32))
    assert g.grad_fn.name() == "Error"
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


def test_variable_is_the_legacy_alias_constructor():
    t = nb.ones(2)
    v = nb.autograd.Variable(t, requires_grad=True)
    assert v is not t and v.requires_grad and not t.requires_grad and v.is_leaf
    assert isinstance(t, nb.autograd.Variable)
    v.detach()[0] = 5
    assert t[0].item() == 5.0  # (same memory)


# ---------------------------------------------------------------- anomaly detection
def test_detect_anomaly_names_the_node_that_returned_nan():
    x = nb.tensor([0.0, 1.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()  # off: the NaN lands in .grad silently, as in torch
    assert np.isnan(_grad_of(x)[0])
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = nb.autograd.detect_anomaly()
    with mode:
        assert nb.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned nan values in its 0th output."):
            (x.sqrt() * 0).sum().backward()
    assert not nb.autograd.is_anomaly_enabled()
    nb.autograd.set_detect_anomaly(True)
    try:
        assert nb.autograd.is_anomaly_enabled() and nb.autograd.is_anomaly_check_nan_enabled()
    finally:
        nb.autograd.set_detect_anomaly(False)
    with nb.autograd.set_detect_anomaly(True, check_nan=False):
        (x.sqrt() * 0).sum().backward()  # (no NaN check)
    assert not nb.autograd.is_anomaly_enabled()


# ---------------------------------------------------------------- autograd.functional
AF = nb.autograd.functional


def test_jacobian_of_tensor_and_tuple_functions():
    x = nb.tensor([1.0, 2.0])
    check(AF.jacobian(lambda t: t ** 2, x), np.array([[2.0, 0.0], [0.0, 4.0]], F32))
    a, b = nb.tensor([1.0, 2.0]), nb.tensor([3.0])
    ja, jb = AF.jacobian(lambda p, q: p * q, (a, b))
    check(ja, np.array([[3.0, 0.0], [0.0, 3.0]], F32))
    check(jb, np.array([[1.0], [2.0]], F32))
    (j1,), (j2,) = AF.jacobian(lambda p: (p.sum(), p * 0 + 1), (a,))
    check(j1, np.array([1.0, 1.0], F32))  # output shape () + input shape (2,)
    check(j2, np.zeros((2, 2), F32))      # independent of the input: zeros
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require gradients"):
        AF.jacobian(lambda p: p.detach(), a, strict=True)
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        AF.jacobian(lambda p: p, [1.0])


def test_hessian_vhp_hvp_vjp_jvp_by_hand():
    x = nb.tensor([1.0, 2.0])
    cube = lambda t: (t ** 3).sum()  # noqa: E731  (H = diag(6x), grad = 3x²)
    check(AF.hessian(cube, x), np.array([[6.0, 0.0], [0.0, 12.0]], F32))
    v = nb.tensor([1.0, -1.0])
    out, vh = AF.vhp(cube, x, v)
    check(out, np.array(9.0, F32))
    check(vh, np.array([6.0, -12.0], F32))
    check(AF.hvp(cube, x, v)[1], np.array([6.0, -12.0], F32))
    out, vj = AF.vjp(lambda t: t * t, x, v)
    check(out, np.array([1.0, 4.0], F32))
    check(vj, np.array([2.0, -4.0], F32))
    out, jv = AF.jvp(lambda t: t * t, x, v)
    check(jv, np.array([2.0, -4.0], F32))
    (h11, h12), (h21, h22) = AF.hessian(lambda p, q: (p * p * q).sum(), (nb.tensor([2.0]), nb.tensor([3.0])))
    check(h11, np.array([[6.0]], F32))
    check(h12, np.array([[4.0]], F32))
    check(h21, np.array([[4.0]], F32))
    check(h22, np.array([[0.0]], F32))
    with pytest.raises(RuntimeError, match="The vector v can only be None"):
        AF.vjp(lambda t: t * 2, x)


def test_functional_results_are_detached_unless_create_graph():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    assert not AF.jacobian(lambda t: t ** 2, x).requires_grad
    j = AF.jacobian(lambda t: t ** 2, x, create_graph=True)
    assert j.requires_grad
    j.sum().backward()  # d/dx sum(diag(2x)) = 2
    check(x.grad, np.array([2.0, 2.0], F32))


@needs_torch
def test_functional_matches_torch():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)).astype(F32), rng.normal(size=(3,)).astype(F32)

    def f(lib):
        return lambda p, q: ((p @ q).tanh() * p.sum(1)).exp()

    def g(lib):
        return lambda p, q: (p.sin() * q).sum() + (p @ q).pow(2).sum()

    for name, fn in (("jacobian", f), ("hessian", g)):
        ours = getattr(AF, name)(fn(nb), (nb.tensor(a), nb.tensor(b)))
        theirs = getattr(torch.autograd.functional, name)(fn(torch), (torch.tensor(a), torch.tensor(b)))
        for o_row, t_row in zip(ours, theirs):
            for o, t in zip(o_row, t_row):
                np.testing.assert_allclose(o.cpu().numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- post-accumulate hooks
def test_post_accumulate_grad_hook_sees_the_accumulated_grad_and_can_step():
    w = nb.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 3).sum().backward()
    (w * 2).sum().backward()
    handle.remove()
    (w * 2).sum().backward()
    assert seen == [[3.0, 3.0], [5.0, 5.0]]
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        nb.ones(2).register_post_accumulate_grad_hook(print)
    # the optimizer-in-backward pattern: each parameter steps as soon as its gradient is ready
    p = nb.tensor([1.0, 2.0], requires_grad=True)
    opt = nb.optim.SGD([p], lr=0.1)

    def step(param):
        opt.step()
        opt.zero_grad()
    p.register_post_accumulate_grad_hook(step)
    (p * p).sum().backward()
    check(p.detach(), np.array([0.8, 1.6], F32))
    assert p.grad is None
