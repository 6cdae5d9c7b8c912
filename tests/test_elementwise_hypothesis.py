"""Property tests: random shapes, broadcasts, strides and dtypes against NumPy."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import nbtensor as nb

DTYPES = [np.float32, np.float64, np.int64, np.int32]


@st.composite
def broadcast_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=5))
    dtype = draw(st.sampled_from(DTYPES))
    arrays = [draw(hnp.arrays(dtype, s, elements=st.integers(-50, 50))) for s in shapes.input_shapes]
    return arrays, shapes.result_shape


@st.composite
def strided_view(draw):
    """An array and a random view of it: permuted dims and positive-step slices."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=6))
    dtype = draw(st.sampled_from(DTYPES))
    base = draw(hnp.arrays(dtype, shape, elements=st.integers(-50, 50)))
    perm = draw(st.permutations(range(len(shape))))
    slices = tuple(slice(draw(st.integers(0, s - 1)), None, draw(st.integers(1, 3))) for s in shape)
    return base, perm, slices


def _view(t, perm, slices):
    return t[slices].permute(*perm)


@settings(max_examples=60, deadline=None)
@given(broadcast_pair(), st.sampled_from(["add", "sub", "mul", "maximum", "lt", "eq"]))
def test_broadcast_binary(pair, name):
    (a, b), shape = pair
    result = getattr(nb, name)(nb.from_numpy(a), nb.from_numpy(b))
    expected = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum,
                "lt": np.less, "eq": np.equal}[name](a, b)
    assert result.shape == shape
    np.testing.assert_array_equal(result.numpy(), expected)


@settings(max_examples=60, deadline=None)
@given(strided_view(), strided_view())
def test_strided_operands(v1, v2):
    base, perm, slices = v1
    a_np = base[slices].transpose(perm)
    a = _view(nb.from_numpy(base), perm, slices)
    np.testing.assert_array_equal((a * 2 + 1).numpy(), a_np * 2 + 1)
    np.testing.assert_array_equal(a.contiguous().numpy(), a_np)
    np.testing.assert_array_equal(nb.abs(a).numpy(), np.abs(a_np))
    np.testing.assert_array_equal(a.sum(0).numpy(), a_np.sum(0))
    np.testing.assert_array_equal(a.amax(-1).numpy(), a_np.max(-1))
    if a_np.ndim:
        np.testing.assert_array_equal(a.argmax(0).numpy(), a_np.argmax(0))


@settings(max_examples=40, deadline=None)
@given(strided_view())
def test_inplace_into_strided_view(v):
    base, perm, slices = v
    expected = base.copy()
    target_np = expected[slices].transpose(perm)
    target_np += target_np * 3
    t = nb.from_numpy(base.copy())
    view = _view(t, perm, slices)
    view += view * 3
    np.testing.assert_array_equal(t.numpy(), expected)
