"""The recorder's short paths (autograd/record.py): a plain element-wise call that tries the
op's fast path with grad mode on, a view or transpose whose rule has a short form
(rules.plain), and max/min over a dim, whose rule defers its index work to backward. Each
must make the node, the edge and the gradient the general path makes, whatever record its
input has (a leaf, a node serving as the record, a view's own record). Gradients are checked
against hand-derived NumPy values."""
import numpy as np
import pytest

import nbtensor as nb

RNG = np.random.default_rng(39)


def _np(t):
    """The values of a tensor on any device (the suite may run on another), as an ndarray."""
    return t.detach().cpu().numpy()


def _inputs(kind, shape=(3, 4)):
    """(tensor that requires grad, the leaf its gradient reaches, how leaf maps to it)."""
    values = RNG.standard_normal(shape)
    if kind == "leaf":
        leaf = nb.tensor(values, requires_grad=True)
        return leaf, leaf, 1.0
    if kind == "node":  # made by a recorded op: the node is its record
        leaf = nb.tensor(values / 2.0, requires_grad=True)
        return leaf * 2.0, leaf, 2.0
    # a view of a non-leaf: an AutogradMeta with a base
    leaf = nb.tensor(values.reshape(-1), requires_grad=True)
    return (leaf * 1.0).view(shape), leaf, 1.0


@pytest.mark.parametrize("kind", ["leaf", "node", "view"])
@pytest.mark.parametrize("form", ["dunder", "method", "function"])
def test_plain_elementwise_calls_record_the_general_node(kind, form):
    x, leaf, scale = _inputs(kind)
    y = nb.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    calls = {"dunder": lambda: (x * y, x - 1.5, -x),
             "method": lambda: (x.mul(y), x.sub(1.5), x.neg()),
             "function": lambda: (nb.mul(x, y), nb.sub(x, 1.5), nb.neg(x))}
    product, shifted, negated = calls[form]()
    assert [r.grad_fn.name() for r in (product, shifted, negated)] == ["MulBackward0", "SubBackward0",
                                                                        "NegBackward0"]
    (product.sum() + 2 * shifted.sum() + 3 * negated.sum()).backward()
    xv, yv = _np(x), _np(y)
    np.testing.assert_allclose(_np(leaf.grad).reshape(xv.shape), (yv + 2 - 3) * scale)
    np.testing.assert_allclose(_np(y.grad), xv)


def test_plain_elementwise_calls_off_the_fast_path_still_record():
    # a transposed operand, a broadcast one, a dtype that promotes, a Python int: each leaves
    # the fast path (or takes its layout branch) and must record as before
    x = nb.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    row = nb.tensor(RNG.standard_normal(3), dtype=nb.float32, requires_grad=True)
    out = (x.t() + 1) * 2 + (x * row).sum()
    out.sum().backward()  # (the scalar sum reaches each of out's 12 elements)
    np.testing.assert_allclose(_np(x.grad), 2 + 12 * np.broadcast_to(_np(row), (4, 3)), rtol=1e-6)
    np.testing.assert_allclose(_np(row.grad), 12 * _np(x).sum(0), rtol=1e-5)
    assert out.dtype == nb.float64


def test_plain_elementwise_calls_under_no_grad_and_with_operands_that_need_none():
    x = nb.tensor(RNG.standard_normal(5), requires_grad=True)
    with nb.no_grad():
        assert (x + x).grad_fn is None and not (x.exp()).requires_grad
    c = nb.ones(5)
    assert (c + c).grad_fn is None
    with pytest.raises(TypeError):
        x + None
    assert x.__add__("a") is NotImplemented


@pytest.mark.parametrize("kind", ["leaf", "node", "view"])
def test_short_view_forms_record_torchs_nodes_and_gradients(kind):
    x, leaf, scale = _inputs(kind)
    w = RNG.standard_normal((12,))
    cases = [
        (lambda: x.view(-1), "ViewBackward0", lambda g: g.reshape(3, 4)),
        (lambda: x.reshape(12), "ViewBackward0", lambda g: g.reshape(3, 4)),
        (lambda: x.unsqueeze(0), "UnsqueezeBackward0", lambda g: g.reshape(3, 4)),
        (lambda: x.t(), "TBackward0", lambda g: g.T),
        (lambda: x.transpose(0, 1), "TransposeBackward0", lambda g: g.T),
        (lambda: x.expand(2, 3, 4), "ExpandBackward0", lambda g: g.sum(0)),
        (lambda: x.unsqueeze(1).squeeze(1), "SqueezeBackward1", lambda g: g),
        (lambda: x.unsqueeze(1).squeeze(), "SqueezeBackward0", lambda g: g),
    ]
    for make, name, back in cases:
        leaf.grad = None
        out = make()
        assert out.grad_fn.name() == name
        weights = w[:1].repeat(out.numel()).reshape(out.shape) * np.arange(out.numel()).reshape(out.shape)
        (out * nb.tensor(weights)).sum().backward(retain_graph=True)
        np.testing.assert_allclose(_np(leaf.grad).reshape(3, 4), back(weights) * scale, err_msg=name)


def test_a_short_view_sees_in_place_writes_to_its_base():
    # the view's record must let autograd regenerate its node after the base is written
    leaf = nb.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    base = leaf * 1.0
    view = base.t()
    base.mul_(3.0)
    assert view.grad_fn.name() == "AsStridedBackward0"
    view.sum().backward()
    np.testing.assert_allclose(_np(leaf.grad), np.full((2, 3), 3.0))


def test_a_short_view_of_a_leaf_refuses_in_place_writes():
    leaf = nb.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        leaf.t().add_(1.0)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim, keepdim", [(1, False), (-1, True), (0, False), (-2, True)])
def test_max_min_over_a_dim_scatter_the_gradient_to_the_chosen_element(name, dim, keepdim):
    values = RNG.permutation(12).reshape(3, 4).astype(np.float64)  # distinct: one element chosen
    x = nb.tensor(values, requires_grad=True)
    result, indices = getattr(x, name)(dim, keepdim)
    assert result.grad_fn.name() == ("MaxBackward0" if name == "max" else "MinBackward0")
    g = RNG.standard_normal(result.shape)
    (result * nb.tensor(g)).sum().backward()
    expected = np.zeros((3, 4))
    axis = dim % 2
    chosen = (values.argmax if name == "max" else values.argmin)(axis=axis)
    gk = g if keepdim else np.expand_dims(g, axis)
    np.put_along_axis(expected, np.expand_dims(chosen, axis), gk, axis=axis)
    np.testing.assert_allclose(_np(x.grad), expected)
    np.testing.assert_array_equal(_np(indices), chosen if not keepdim else np.expand_dims(chosen, axis))


def test_max_over_the_dim_of_a_zero_dim_tensor_passes_the_gradient():
    x = nb.tensor(2.5, requires_grad=True)
    value, index = x.max(0)
    (value * 3.0).backward()
    assert x.grad.item() == 3.0 and index.item() == 0


def test_factories_given_a_tensor_that_requires_grad_make_a_leaf_that_requires_none():
    # torch: linspace/logspace/full/arange build from the numbers a 0-d tensor holds; the result
    # is a new leaf outside the graph (before, nbtensor looked for a derivative and raised)
    end = nb.tensor(2.0, dtype=nb.float64, requires_grad=True)
    spaced = nb.linspace(0, end, 5)
    np.testing.assert_allclose(_np(spaced), np.linspace(0.0, 2.0, 5))
    assert not spaced.requires_grad and spaced.is_leaf and spaced.grad_fn is None
    logs = nb.logspace(0, end, 3)
    np.testing.assert_allclose(_np(logs), np.logspace(0.0, 2.0, 3), rtol=1e-6)
    assert not logs.requires_grad
    filled = nb.zeros((2, 3))  # sizes as a tuple: a plain factory call
    assert filled.shape == (2, 3) and not filled.requires_grad
    made = nb.ones(2, 2, requires_grad=True)
    assert made.requires_grad and made.is_leaf and made.grad_fn is None
    # the factories of sizes alone run as they are: an out= still counts its write
    target = nb.ones(2, 3, dtype=nb.float64)
    before = target._version
    assert nb.zeros((2, 3), dtype=nb.float64, out=target) is target and target._version == before + 1
    np.testing.assert_array_equal(_np(target), np.zeros((2, 3)))
    noise = nb.randn(4, 2, dtype=nb.float64, requires_grad=True)
    assert noise.requires_grad and noise.is_leaf and noise.shape == (4, 2)
    (noise * 3).sum().backward()
    np.testing.assert_array_equal(_np(noise.grad), np.full((4, 2), 3.0))


@pytest.mark.parametrize("kind", ["leaf", "node", "view"])
def test_one_input_rules_that_keep_the_result_or_read_indices(kind):
    # softmax keeps its result (an alias outside the graph); indexing, gather and index_select
    # read index tensors: each through the recorder's one-input path
    x, leaf, scale = _inputs(kind)
    xv = _np(x)
    w = RNG.standard_normal((3, 4))
    soft = nb.softmax(x, 1)
    assert soft.grad_fn.name() == "SoftmaxBackward0"
    (soft * nb.tensor(w)).sum().backward(retain_graph=True)
    p = np.exp(xv - xv.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(_np(leaf.grad).reshape(3, 4), p * (w - (w * p).sum(1, keepdims=True)) * scale,
                               rtol=1e-10)
    index = nb.tensor([[2], [0], [3]])
    picks = [(lambda: x[1], "SelectBackward0", lambda: np.eye(3)[1][:, None] * np.ones((3, 4))),
             (lambda: x[:, 1:3], "SliceBackward0", lambda: np.pad(np.ones((3, 2)), ((0, 0), (1, 1)))),
             (lambda: x[[0, 0, 2]], "IndexBackward0", lambda: np.array([2.0, 0.0, 1.0])[:, None] * np.ones((3, 4))),
             (lambda: nb.gather(x, 1, index), "GatherBackward0", lambda: np.eye(4)[[2, 0, 3]]),
             (lambda: x.index_select(1, nb.tensor([3, 3])), "IndexSelectBackward0",
              lambda: np.array([0.0, 0.0, 0.0, 2.0]) * np.ones((3, 1)))]
    for pick, name, expected in picks:
        leaf.grad = None
        out = pick()
        assert out.grad_fn.name() == name
        out.sum().backward(retain_graph=True)
        np.testing.assert_allclose(_np(leaf.grad).reshape(3, 4), expected() * scale, err_msg=name)


def test_softmax_through_the_one_input_path_has_a_second_derivative():
    # the kept result is linked to the node under create_graph: g0 = p0 (1 - p0), whose
    # gradient is (1 - 2 p0) p0 (e0 - p)
    x = nb.tensor([0.3, -1.2, 2.0], dtype=nb.float64, requires_grad=True)
    (g,) = nb.autograd.grad(nb.softmax(x, 0)[0], x, create_graph=True)
    g[0].backward()
    p = np.exp(_np(x)) / np.exp(_np(x)).sum()
    np.testing.assert_allclose(_np(g), p[0] * (np.eye(3)[0] - p), rtol=1e-12)
    np.testing.assert_allclose(_np(x.grad), (1 - 2 * p[0]) * p[0] * (np.eye(3)[0] - p), rtol=1e-12)


@pytest.mark.parametrize("grad", [False, True])
def test_array_and_list_operands_reach_the_general_path(grad):
    # the fast path looks numbers up by value: an array or a list (unhashable) must fall
    # through to the general path, which converts an array and refuses a list as torch does
    # (both raised "unhashable type" before)
    a = nb.tensor([1.0, 2.0], requires_grad=grad)
    np.testing.assert_allclose(_np(a + np.array([0.5, 4.0])), [1.5, 6.0])
    np.testing.assert_allclose(_np(a.add(np.array([0.5, 4.0]))), [1.5, 6.0])
    np.testing.assert_allclose(_np(a * np.array(3.0)), [3.0, 6.0])
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        nb.add(a, [1, 2])
    with pytest.raises(TypeError, match="unsupported operand"):
        a + [1, 2]
    if grad:
        (a * np.array(3.0)).sum().backward()
        np.testing.assert_allclose(_np(a.grad), [3.0, 3.0])


@pytest.mark.parametrize("form", ["function", "method", "div"])
def test_add_sub_div_forms_record_through_the_short_path(form):
    # add/sub (which take alpha=) and div (rounding_mode=) have forms of their own, marked as
    # plain calls of their row: their node and gradient must be the general path's
    x = nb.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    y = nb.tensor(RNG.standard_normal((2, 3)) + 3.0, requires_grad=True)
    calls = {"function": lambda: (nb.add(x, y), nb.sub(x, y)),
             "method": lambda: (x.add(y), x.sub(y)),
             "div": lambda: (nb.div(x, y), x.div(y))}
    first, second = calls[form]()
    xv, yv = _np(x), _np(y)
    if form == "div":
        assert [r.grad_fn.name() for r in (first, second)] == ["DivBackward0"] * 2
        np.testing.assert_allclose(_np(first), xv / yv)
        (first.sum() + second.sum()).backward()
        np.testing.assert_allclose(_np(x.grad), 2 / yv)
        np.testing.assert_allclose(_np(y.grad), -2 * xv / yv ** 2)
    else:
        assert [r.grad_fn.name() for r in (first, second)] == ["AddBackward0", "SubBackward0"]
        (first.sum() + 3 * second.sum()).backward()
        np.testing.assert_allclose(_np(x.grad), np.full((2, 3), 4.0))
        np.testing.assert_allclose(_np(y.grad), np.full((2, 3), -2.0))


def _counts_one_write(t, write):
    before = t._version
    result = write()
    assert t._version == before + 1
    return result


@pytest.mark.parametrize("call", ["add", "sub", "div", "mul", "exp"])
def test_out_calls_with_nothing_to_record_write_and_count(call):
    nb.ones(1, requires_grad=True)  # (recording has started: the recorder's out= path)
    a, b = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3)) + 3.0
    x, y, out = nb.tensor(a), nb.tensor(b), nb.zeros(3, 3, dtype=nb.float64)
    expected = {"add": a + b, "sub": a - b, "div": a / b, "mul": a * b, "exp": np.exp(a)}[call]
    args = (x,) if call == "exp" else (x, y)
    assert _counts_one_write(out, lambda: getattr(nb, call)(*args, out=out)) is out
    np.testing.assert_allclose(_np(out), expected)
    x.requires_grad_()  # an operand that requires grad: torch refuses the out= call
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        getattr(nb, call)(*args, out=out)


@pytest.mark.cpu_only
def test_out_and_in_place_calls_on_numpy_memory_check_the_overlap():
    nb.ones(1, requires_grad=True)
    memory = np.arange(20.0)
    x = nb.from_numpy(memory[:9].reshape(3, 3))
    shifted = nb.from_numpy(memory[1:10].reshape(3, 3))  # the same array, one element on
    elsewhere = nb.from_numpy(memory[10:19].reshape(3, 3))  # the same array, no element shared
    other = nb.from_numpy(np.ones((3, 3)))  # another array
    for write in (lambda: nb.add(x, 1.0, out=shifted), lambda: shifted.add_(x), lambda: nb.add(x, other, out=shifted)):
        with pytest.raises(RuntimeError, match="refer to a single memory location"):
            write()
    np.testing.assert_array_equal(memory, np.arange(20.0))  # nothing was written
    nb.add(x, other, out=elsewhere)
    np.testing.assert_array_equal(memory[10:19], np.arange(9.0) + 1)
    x.add_(other)
    x += x  # (its own memory, the same elements: allowed)
    np.testing.assert_array_equal(memory[:9], 2 * (np.arange(9.0) + 1))
    np.testing.assert_array_equal(memory[9:], np.r_[9.0, np.arange(9.0) + 1, 19.0])


def test_in_place_calls_count_writes_and_step_parameters_under_no_grad():
    w = nb.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    (w * w).sum().backward()
    start, grad = _np(w).copy(), _np(w.grad).copy()
    with nb.no_grad():  # an optimizer's step: in place on a leaf that requires grad
        assert _counts_one_write(w, lambda: w.sub_(0.1 * w.grad)) is w
        _counts_one_write(w, lambda: w.__imul__(0.5))
    np.testing.assert_allclose(_np(w), (start - 0.1 * grad) * 0.5)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1.0)
    c = nb.tensor([1.0, 2.0])
    _counts_one_write(c, lambda: c.add_(nb.tensor([0.5, 0.5])))
    np.testing.assert_allclose(_np(c), [1.5, 2.5])
    with pytest.raises(TypeError, match=r"atan2_\(\): argument 'other' \(position 1\) must be Tensor, not float"):
        c.atan2_(2.0)
    np.testing.assert_allclose(_np(c), [1.5, 2.5])


def test_one_input_forms_record_only_for_their_first_argument():
    # the rule's one input is the first argument: another that requires grad (expand_as's
    # other, view_as's) gets no gradient and makes no node, as torch's
    x = nb.ones(3, dtype=nb.float64)
    y = nb.ones(2, 3, dtype=nb.float64, requires_grad=True)
    assert not x.expand_as(y).requires_grad and x.expand_as(y).grad_fn is None
    assert not x.view_as(nb.ones(3, requires_grad=True)).requires_grad
    z = nb.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    picked = z.expand_as(y)[:, 1:3]
    assert picked.grad_fn.name() == "SliceBackward0"
    (picked * nb.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=nb.float64)).sum().backward()
    np.testing.assert_array_equal(_np(z.grad), [[0.0, 1.0, 2.0], [0.0, 3.0, 4.0]])
    assert y.grad is None


def test_index_tensors_record_torchs_nodes_and_gradients():
    # a 1-D or 2-D int64 index tensor is torch's IndexBackward0 (repeats accumulate); a 0-d
    # integer tensor selects as its int (SelectBackward0), read when the op runs
    x = nb.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    i = nb.tensor(2)
    outs = [x[i], x[nb.tensor([3, 0, 3])], x[nb.tensor([[1, 1], [2, 0]])], x[1, nb.tensor(2)],
            x[nb.tensor(1), 1:], x[:, nb.tensor(0)]]
    i.fill_(0)  # (after the op: the gradient still goes to row 2)
    assert [o.grad_fn.name() for o in outs] == ["SelectBackward0", "IndexBackward0", "IndexBackward0",
                                                "SelectBackward0", "SliceBackward0", "SelectBackward0"]
    sum((o * (k + 1)).sum() for k, o in enumerate(outs)).backward()
    expected = np.zeros((4, 3))
    expected[2] += 1
    np.add.at(expected, [3, 0, 3], 2)
    np.add.at(expected, np.array([[1, 1], [2, 0]]), 3)
    expected[1, 2] += 4
    expected[1, 1:] += 5
    expected[:, 0] += 6
    np.testing.assert_array_equal(_np(x.grad), expected)


def test_div_given_a_rounding_mode_records_torchs_node():
    # torch names div's node DivBackward2 whenever rounding_mode is given (None included);
    # floor and trunc pass zero gradients
    x = nb.tensor([3.0, -7.0], requires_grad=True)
    y = nb.tensor([2.0, 2.0], requires_grad=True)
    assert nb.div(x, y).grad_fn.name() == "DivBackward0"
    plain = nb.div(x, y, rounding_mode=None)
    floored = x.div(y, rounding_mode="floor")
    assert plain.grad_fn.name() == floored.grad_fn.name() == "DivBackward2"
    np.testing.assert_array_equal(_np(floored), [1.0, -4.0])
    (plain.sum() + floored.sum()).backward()
    np.testing.assert_array_equal(_np(x.grad), [0.5, 0.5])
    np.testing.assert_array_equal(_np(y.grad), [-0.75, 1.75])


def test_a_views_node_serves_as_its_record_until_its_memory_is_written():
    # (graph.ViewNode: one object is the view's node and its record; an in-place write to
    # the memory gives the view a record of its own holding the regenerated node)
    leaf = nb.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    x = leaf * 2.0
    v = x.view(-1)
    w = v[1:4]  # (a view of a view: the same base)
    assert (v.grad_fn.name(), w.grad_fn.name()) == ("ViewBackward0", "SliceBackward0")
    assert v.requires_grad and not v.is_leaf and w.grad_fn.next_functions[0][0] is v.grad_fn
    x.mul_(3.0)  # (through the base: both views' nodes are regenerated)
    assert (v.grad_fn.name(), w.grad_fn.name()) == ("AsStridedBackward0", "AsStridedBackward0")
    (w * nb.tensor([1.0, 2.0, 3.0], dtype=nb.float64)).sum().backward()
    expected = np.zeros(6)
    expected[1:4] = [1.0, 2.0, 3.0]
    np.testing.assert_allclose(_np(leaf.grad), (6.0 * expected).reshape(2, 3))


def test_in_place_writes_through_a_view_chain_record_copy_slices():
    leaf = nb.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    base = leaf.clone()
    row = base[0]
    flat = row.view(-1)
    flat.mul_(3.0)  # (its base's history becomes CopySlices; its own is regenerated)
    assert base.grad_fn.name() == "torch::autograd::CopySlices" and flat.grad_fn.name() == "AsStridedBackward0"
    assert row.grad_fn.name() == "AsStridedBackward0"
    flat.retain_grad()
    (base * base).sum().backward()
    values = _np(leaf)
    scale = np.array([[3.0], [1.0]])
    np.testing.assert_allclose(_np(leaf.grad), 2.0 * values * scale * scale)
    assert flat.grad is None  # (as torch's: the loss reads the base, not the view)


def test_a_hook_on_a_view_and_a_second_derivative_through_it():
    leaf = nb.tensor(RNG.standard_normal(4), requires_grad=True)
    seen = []
    v = (leaf * leaf).unsqueeze(0)
    v.register_hook(lambda g: seen.append(_np(g)) or g * 2.0)
    (g,) = nb.autograd.grad(v.sum(), leaf, create_graph=True)
    np.testing.assert_allclose(_np(g), 4.0 * _np(leaf))  # (the hook doubled d/dv = 1)
    np.testing.assert_allclose(seen[0], np.ones((1, 4)))
    (gg,) = nb.autograd.grad(g.sum(), leaf)
    np.testing.assert_allclose(_np(gg), np.full(4, 4.0))
