"""In-place ops that read the memory they write: autograd's saved values, the index writers'
overlap checks, and the in-place functions of the namespace (``torch.relu_(x)``)."""
import numpy as np
import pytest

import nbtensor as nb

try:
    import torch
except ImportError:  # the parity checks run where torch is installed
    torch = None

WEIGHTS = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]

# (in-place code on y = x * 1, x = [[1, 2, 3], [0.5, 1.5, 2.5]]; x's gradient of
# sum(y * WEIGHTS) by hand, or None where backward must refuse: the op's backward reads the
# values it overwrote)
CASES = [
    ("y *= y", None),
    ("y.mul_(y)", None),
    ("v = y[0]; v.mul_(v)", None),
    ("v = y[:, :2]; v *= v", None),
    ("y.div_(y)", None),
    ("y.pow_(y)", None),
    ("y.addcmul_(y, y, value=0.5)", None),
    ("y.addcdiv_(y, y + 1)", None),
    ("y.atan2_(y)", None),
    ("y.hypot_(y)", None),
    ("y.mul_(y.detach())", None),  # (torch saves the other operand: it shares y's memory)
    ("y += y", [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]),
    ("y.sub_(y)", [0.0] * 6),
    ("y.add_(y, alpha=2)", [3.0, 6.0, 9.0, 12.0, 15.0, 18.0]),
    ("y[0] = y[1]", [0.0, 0.0, 0.0, 5.0, 7.0, 9.0]),
    ("y.mul_(y.detach().clone())", [1.0, 4.0, 9.0, 2.0, 7.5, 15.0]),
    ("y.copy_(y.t().t())", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
]


def _gradient(module, code):
    x = module.tensor([[1.0, 2.0, 3.0], [0.5, 1.5, 2.5]], requires_grad=True)
    y = x * 1
    exec(code, {"torch": module}, {"y": y})
    (y * module.tensor(WEIGHTS)).sum().backward()
    return x.grad


@pytest.mark.parametrize("code, expected", CASES, ids=[c[0] for c in CASES])
def test_backward_through_an_op_reading_what_it_wrote(code, expected):
    if expected is None:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            _gradient(nb, code)
    else:
        np.testing.assert_allclose(_gradient(nb, code).cpu().numpy().reshape(-1), expected, rtol=1e-6)


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("code, expected", CASES, ids=[c[0] for c in CASES])
def test_backward_through_an_op_reading_what_it_wrote_matches_torch(code, expected):
    try:
        want = _gradient(torch, code).cpu().numpy()
    except RuntimeError as error:
        assert "modified by an inplace operation" in str(error)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            _gradient(nb, code)
        return
    np.testing.assert_allclose(_gradient(nb, code).cpu().numpy(), want, rtol=1e-6)


def test_a_refused_backward_names_the_versions():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y *= y
    with pytest.raises(RuntimeError, match=r"\[torch\.(cuda\.)?FloatTensor \[2\]\] is at version 1; expected version 0"):
        y.sum().backward()


def test_an_op_keeping_its_result_still_checks_later_writes():
    x = nb.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.exp_()
    y.sum().backward(retain_graph=True)  # (its own write is not a stale read)
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


WRITERS = [
    ("index_add_", lambda y: y.index_add_(0, nb.tensor([1, 0]), y)),
    ("index_add_ alpha", lambda y: y.index_add_(0, nb.tensor([1, 0]), y, alpha=2.0)),
    ("index_copy_", lambda y: y.index_copy_(0, nb.tensor([1, 0]), y)),
    ("index_add_ row", lambda y: y.index_add_(0, nb.tensor([1]), y[:1])),
    ("scatter_", lambda y: y.scatter_(1, nb.tensor([[0], [1]]), y)),
    ("scatter_add_", lambda y: y.scatter_add_(1, nb.tensor([[0], [1]]), y)),
    ("scatter_reduce_", lambda y: y.scatter_reduce_(1, nb.tensor([[0], [1]]), y, "amax")),
]


@pytest.mark.parametrize("write", [w[1] for w in WRITERS], ids=[w[0] for w in WRITERS])
def test_index_writers_refuse_a_source_in_their_own_memory(write):
    y = nb.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(RuntimeError, match="unsupported operation: some elements of the input tensor and the "
                                           "written-to tensor refer to a single memory location"):
        write(y)
    np.testing.assert_array_equal(y.cpu().numpy(), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # nothing written


def test_index_writers_take_a_copy_of_their_own_values():
    y = nb.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y.index_add_(0, nb.tensor([1, 0]), y.clone())
    np.testing.assert_array_equal(y.cpu().numpy(), [[5.0, 7.0, 9.0], [5.0, 7.0, 9.0]])


@pytest.mark.skipif(torch is None, reason="needs torch")
@pytest.mark.parametrize("name", [w[0] for w in WRITERS])
def test_index_writers_overlap_like_torch(name):
    t = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(RuntimeError, match="unsupported operation"):
        eval(_TORCH_CALLS[name], {"torch": torch, "y": t})  # (the calls of WRITERS, on torch's tensors)


_TORCH_CALLS = {
    "index_add_": "y.index_add_(0, torch.tensor([1, 0]), y)",
    "index_add_ alpha": "y.index_add_(0, torch.tensor([1, 0]), y, alpha=2.0)",
    "index_copy_": "y.index_copy_(0, torch.tensor([1, 0]), y)",
    "index_add_ row": "y.index_add_(0, torch.tensor([1]), y[:1])",
    "scatter_": "y.scatter_(1, torch.tensor([[0], [1]]), y)",
    "scatter_add_": "y.scatter_add_(1, torch.tensor([[0], [1]]), y)",
    "scatter_reduce_": "y.scatter_reduce_(1, torch.tensor([[0], [1]]), y, 'amax')",
}


@pytest.mark.parametrize("a, b, message", [
    ((3, 2), (2, 3), r"tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1"),
    ((2, 3, 4), (3, 3, 5), r"tensor a \(4\) must match the size of tensor b \(5\) at non-singleton dimension 2"),
    ((4, 1, 3), (2, 5, 3), r"tensor a \(4\) must match the size of tensor b \(2\) at non-singleton dimension 0"),
])
def test_a_broadcast_error_names_the_last_dimension_that_differs(a, b, message):
    with pytest.raises(RuntimeError, match=message):
        nb.ones(*a) + nb.ones(*b)


def test_in_place_functions_of_the_namespace():
    x = nb.tensor([1.0, -2.0, 3.0])
    assert nb.relu_(x) is x
    np.testing.assert_array_equal(x.cpu().numpy(), [1.0, 0.0, 3.0])
    nb.clamp_(x, max=2.0)
    nb.sqrt_(x)
    np.testing.assert_allclose(x.cpu().numpy(), np.sqrt([1.0, 0.0, 2.0]))
    nb.zero_(x[:1])
    nb.fill_(x[2:], 7.0)
    np.testing.assert_allclose(x.cpu().numpy(), [0.0, 0.0, 7.0])
    g = nb.tensor([0.5, 1.0], requires_grad=True)
    y = g * 2
    nb.sigmoid_(y)
    y.sum().backward()
    s = 1 / (1 + np.exp(-np.array([1.0, 2.0])))
    np.testing.assert_allclose(g.grad.cpu().numpy(), 2 * s * (1 - s), rtol=1e-6)
    assert y.grad_fn.name() == "SigmoidBackward0"


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_the_namespace_has_torchs_in_place_functions_of_tensor_methods():
    names = [n for n in dir(torch) if n.endswith("_") and not n.startswith("_") and hasattr(torch.Tensor, n)]
    missing = [n for n in names if hasattr(nb.Tensor, n) and not hasattr(nb, n)]
    assert not missing


def test_round_saves_nothing_so_a_later_write_is_allowed():
    a = nb.tensor([0.4, 1.6], requires_grad=True)
    v = a * 2
    r = nb.round(v)
    v.mul_(r)  # (torch's RoundBackward0 keeps no tensor: its gradient is zero)
    v.sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), [2 * 1.0, 2 * 3.0])


OUT_OVERLAPS = [
    ("index_select", "torch.index_select(x, 0, torch.tensor([2, 1, 0]), out=x)"),
    ("index_select part", "torch.index_select(x, 0, torch.tensor([1]), out=x[2:])"),
    ("gather", "torch.gather(x, 1, torch.tensor([[2, 1, 0]] * 3), out=x)"),
    ("masked_select", "torch.masked_select(x, x > 2, out=x[0, :2])"),
    ("addcmul_", "x.addcmul_(x, x.t())"),
    ("xlogy_", "x.xlogy_(x.t())"),
]


@pytest.mark.parametrize("code", [c[1] for c in OUT_OVERLAPS], ids=[c[0] for c in OUT_OVERLAPS])
def test_a_result_written_over_what_the_op_reads_is_refused(code):
    x = nb.arange(9.0).reshape(3, 3)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        eval(code, {"torch": nb, "x": x})
    np.testing.assert_array_equal(x.cpu().numpy(), np.arange(9.0).reshape(3, 3))
    if torch is not None:
        with pytest.raises(RuntimeError, match="refer to a single memory location"):
            eval(code, {"torch": torch, "x": torch.arange(9.0).reshape(3, 3)})


def test_a_result_apart_from_what_the_op_reads_is_written():
    x = nb.arange(9.0).reshape(3, 3)
    out = nb.empty(3)
    nb.index_select(x[0], 0, nb.tensor([2, 0, 1]), out=out)
    np.testing.assert_array_equal(out.cpu().numpy(), [2.0, 0.0, 1.0])
    x.addcmul_(x, x, value=0.5)  # (the same elements in the same layout: allowed)
    np.testing.assert_allclose(x.cpu().numpy(), np.arange(9.0).reshape(3, 3) * (1 + 0.5 * np.arange(9.0).reshape(3, 3)))


def test_masked_scatter_into_an_expanded_tensor_is_refused():
    x = nb.arange(3.0)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x.expand(2, 3).masked_scatter_(nb.ones(2, 3, dtype=nb.bool), nb.ones(6))
    np.testing.assert_array_equal(x.cpu().numpy(), [0.0, 1.0, 2.0])


SETITEM_NODES = [  # (index, torch's node for a number written, for a tensor written)
    (lambda: nb.tensor([True, False, True]), "IndexPutBackward0", "IndexPutBackward0"),
    (lambda: [0, 2], "IndexPutBackward0", "IndexPutBackward0"),
    (lambda: (slice(None), [0, 1]), "IndexPutBackward0", "IndexPutBackward0"),
    (lambda: (Ellipsis, nb.tensor([True, False, True, True])), "IndexPutBackward0", "IndexPutBackward0"),
    (lambda: 1, "torch::autograd::CopySlices", "torch::autograd::CopySlices"),
    (lambda: nb.tensor(1), "torch::autograd::CopySlices", "torch::autograd::CopySlices"),
    (lambda: (1, [0, 1]), "torch::autograd::CopySlices", "torch::autograd::CopySlices"),
    (lambda: (slice(None), slice(1, None)), "torch::autograd::CopySlices", "torch::autograd::CopySlices"),
    (lambda: None, "torch::autograd::CopySlices", "torch::autograd::CopySlices"),
    (lambda: slice(None), "FillBackward3", "torch::autograd::CopyBackwards"),
    (lambda: slice(0, 10), "FillBackward3", "torch::autograd::CopyBackwards"),
    (lambda: Ellipsis, "FillBackward3", "torch::autograd::CopyBackwards"),
]


@pytest.mark.parametrize("index, for_number, for_tensor", SETITEM_NODES)
def test_setitem_names_its_node_as_torch(index, for_number, for_tensor):
    for value, expected in ((5.0, for_number), (nb.ones(1), for_tensor)):
        x = nb.ones(3, 4, requires_grad=True) * 1
        x[index()] = value
        assert x.grad_fn.name() == expected


def test_fill_and_zero_name_their_nodes_as_torch():
    names = []
    for write in (lambda y: y.fill_(2.0), lambda y: y.fill_(nb.tensor(2.0)), lambda y: y.zero_()):
        y = nb.ones(2, requires_grad=True) * 1
        write(y)
        names.append(y.grad_fn.name())
    assert names == ["FillBackward2", "FillBackward3", "ZeroBackward0"]
