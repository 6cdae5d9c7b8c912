"""Property tests: random shapes, broadcasts, strides and dtypes against NumPy."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import nbtensor as nb

# The binary and in-place tests also run with the parallel and tiled kernels
# (tests/conftest.py); test_strided_operands' unary ops and reductions do not (their
# parallel builds are covered by test_reductions' variants and cost minutes of cold
# compilation in CI).

# One float and one integer dtype: the loops under test (strides, broadcasts, tiles, thread
# splits) are the same code for every dtype, and each more dtype is a cold compilation of
# every parallel kernel here (minutes in CI); test_elementwise.py covers all dtypes.
DTYPES = [np.float32, np.int64]
BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum,
          "lt": np.less, "eq": np.equal}


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


@st.composite
def view_of_shape(draw, shape, dtype):
    """(base, perm, slices): a random strided view of a larger array whose shape is `shape`
    (each dimension sliced with its own start and step, then the dimensions permuted)."""
    perm = draw(st.permutations(range(len(shape))))
    sliced = [0] * len(shape)
    for i, p in enumerate(perm):  # view dim i is dim perm[i] of the sliced array
        sliced[p] = shape[i]
    slices, base_shape = [], []
    for n in sliced:
        start, step = draw(st.integers(0, 2)), draw(st.integers(1, 3))
        slices.append(slice(start, start + n * step, step))
        base_shape.append(start + max(n - 1, 0) * step + 1 + draw(st.integers(0, 1)))
    # values from a drawn seed: the base holds up to ~10^5 elements, too many to draw one by one
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = rng.integers(-50, 51, size=tuple(base_shape)).astype(dtype)
    return base, perm, tuple(slices)


@st.composite
def strided_pair(draw):
    """Two strided views (of one dtype) whose shapes broadcast together."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=6))
    dtype = draw(st.sampled_from(DTYPES))
    return [draw(view_of_shape(s, dtype)) for s in shapes.input_shapes]


@pytest.mark.kernel_variants
@given(broadcast_pair(), st.sampled_from(sorted(BINARY)))
def test_broadcast_binary(pair, name):
    (a, b), shape = pair
    result = getattr(nb, name)(nb.as_tensor(a), nb.as_tensor(b))
    expected = BINARY[name](a, b)
    assert result.shape == shape
    np.testing.assert_array_equal(result.cpu().numpy(), expected)


@pytest.mark.kernel_variants
@given(strided_pair(), st.sampled_from(sorted(BINARY)))
def test_binary_ops_between_strided_views(pair, name):
    """Both operands are views with their own strides and offsets, broadcast together."""
    (base1, perm1, slices1), (base2, perm2, slices2) = pair
    a_np, b_np = base1[slices1].transpose(perm1), base2[slices2].transpose(perm2)
    a, b = _view(nb.as_tensor(base1), perm1, slices1), _view(nb.as_tensor(base2), perm2, slices2)
    result = getattr(nb, name)(a, b)
    expected = BINARY[name](a_np, b_np)
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result.cpu().numpy(), expected)
    # the operands were only read
    np.testing.assert_array_equal(a.cpu().numpy(), a_np)
    np.testing.assert_array_equal(b.cpu().numpy(), b_np)
    if name in ("add", "sub", "mul") and expected.shape == a_np.shape:
        # in place, into the first view, through its strides
        t = nb.as_tensor(base1.copy())
        assert getattr(_view(t, perm1, slices1), name + "_")(b).shape == a_np.shape
        e = base1.copy()
        BINARY[name](a_np, b_np, out=e[slices1 + (Ellipsis,)].transpose(perm1))
        np.testing.assert_array_equal(t.cpu().numpy(), e)


@given(strided_view())
def test_strided_operands(v):
    base, perm, slices = v
    a_np = base[slices].transpose(perm)
    a = _view(nb.as_tensor(base), perm, slices)
    np.testing.assert_array_equal((a * 2 + 1).cpu().numpy(), a_np * 2 + 1)
    np.testing.assert_array_equal(a.contiguous().cpu().numpy(), a_np)
    np.testing.assert_array_equal(nb.abs(a).cpu().numpy(), np.abs(a_np))
    np.testing.assert_array_equal(a.sum(0).cpu().numpy(), a_np.sum(0))
    np.testing.assert_array_equal(a.amax(-1).cpu().numpy(), a_np.max(-1))
    if a_np.ndim:
        np.testing.assert_array_equal(a.argmax(0).cpu().numpy(), a_np.argmax(0))


@pytest.mark.kernel_variants
@given(strided_view())
def test_inplace_into_strided_view(v):
    base, perm, slices = v
    expected = base.copy()
    target_np = expected[slices].transpose(perm)
    target_np += target_np * 3
    t = nb.as_tensor(base.copy())
    view = _view(t, perm, slices)
    view += view * 3
    np.testing.assert_array_equal(t.cpu().numpy(), expected)
