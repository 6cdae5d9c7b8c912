"""Autograd on random shapes (hypothesis): broadcast operands, 0-d and non-contiguous inputs,
gradients of every operand against torch's."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import nbtensor as nb

torch = pytest.importorskip("torch")

BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 0.5), "maximum": lambda a, b: a.maximum(b),
    "where": lambda a, b: (a > b).float() * a + b, "pow": lambda a, b: (a.abs() + 0.5) ** b,
}
UNARY = {
    "exp": lambda a: a.exp(), "tanh": lambda a: a.tanh(), "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(), "log": lambda a: (a.abs() + 0.1).log(), "sqrt": lambda a: (a * a + 1).sqrt(),
    "sum": lambda a: a.sum(), "mean": lambda a: a.mean(), "amax": lambda a: a.amax(),
    "softmax": lambda a: a.softmax(-1) if a.dim() else a, "square": lambda a: a * a,
}


@st.composite
def _operands(draw, count):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=count, min_dims=0, max_dims=3, max_side=4))
    arrays, transposed = [], []
    for shape in shapes.input_shapes:
        values = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3, width=32)))
        flip = len(shape) >= 2 and draw(st.booleans())  # a non-contiguous (transposed) operand
        arrays.append(np.ascontiguousarray(values.swapaxes(-1, -2)) if flip else values)
        transposed.append(flip)
    return arrays, transposed


def _leaves(lib, arrays, transposed):
    leaves = [lib.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    used = [x.transpose(-1, -2) if flip else x for x, flip in zip(leaves, transposed)]
    return leaves, used


def _compare(fn, arrays, transposed):
    nb_leaves, nb_used = _leaves(nb, arrays, transposed)
    t_leaves, t_used = _leaves(torch, arrays, transposed)
    out, expected = fn(*nb_used), fn(*t_used)
    weights = np.linspace(-1, 1, max(1, int(np.prod(expected.shape)))).astype(np.float32)
    weights = weights.reshape(tuple(expected.shape))
    (out * nb.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for x, t in zip(nb_leaves, t_leaves):
        np.testing.assert_allclose(x.grad.detach().cpu().numpy(), t.grad.numpy(), rtol=2e-4, atol=2e-5)


@given(name=st.sampled_from(sorted(BINARY)), operands=_operands(2))
def test_binary_gradients_match_torch(name, operands):
    _compare(BINARY[name], *operands)


@given(name=st.sampled_from(sorted(UNARY)), operands=_operands(1))
def test_unary_and_reduction_gradients_match_torch(name, operands):
    _compare(UNARY[name], *operands)
