"""Joining and reordering (SPEC §7): cat, stack, *stack, split sizes, flip, roll, repeat,
tile, repeat_interleave."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import nbtensor as nt

from support import check, needs_torch, torch


def data(shape=(3, 4), dtype=np.float32, start=0):
    return (np.arange(int(np.prod(shape))) + start).reshape(shape).astype(dtype)


def views(a):
    """(contiguous, transposed, stepped) tensors equal to `a`."""
    tt = nt.tensor(np.ascontiguousarray(a.T)).permute(*range(a.ndim - 1, -1, -1))
    big = np.zeros(tuple(2 * s for s in a.shape), a.dtype)
    big[tuple(slice(None, None, 2) for _ in a.shape)] = a
    return [nt.tensor(a), tt, nt.tensor(big)[tuple(slice(None, None, 2) for _ in a.shape)]]


# ----------------------------------------------------------------------------- cat
@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_cat(dim):
    a, b = data((3, 4)), data((3, 4), start=100)
    for x, y in zip(views(a), views(b)):
        check(nt.cat([x, y], dim), np.concatenate([a, b], dim))
        check(nt.cat((x, y, x), dim=dim), np.concatenate([a, b, a], dim))
    c = data((2, 4)) if dim in (0, -2) else data((3, 2))
    check(nt.concat([nt.tensor(a), nt.tensor(c)], dim), np.concatenate([a, c], dim))
    check(nt.concatenate([nt.tensor(a)], dim), a)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cat_and_stack_of_row_major_blocks_inside_larger_storages(dim):
    # row-major inputs that start inside their storage (the NumPy-copy fast path); the
    # result is new memory
    big = data((6, 3, 4))
    a, b, c = nt.tensor(big)[1:3], nt.tensor(big)[3:5], nt.tensor(big)[3:6]
    check(nt.cat([a, b, a], dim), np.concatenate([big[1:3], big[3:5], big[1:3]], dim))
    check(nt.stack([a, b], dim), np.stack([big[1:3], big[3:5]], dim))
    check(nt.cat([a, c]), np.concatenate([big[1:3], big[3:6]]))  # sizes differ along dim 0
    wide, thin = data((2, 3, 5), start=50), data((2, 3, 1), start=90)
    check(nt.cat([nt.tensor(wide), nt.tensor(thin)], dim if dim % 3 == 2 else 2),
          np.concatenate([wide, thin], 2))
    out = nt.cat([a, a], dim)
    out.fill_(-1)
    check(a, big[1:3])
    # every dim before the joined one of size 1: each input is one block of the result
    one = data((1, 6, 4), start=200)
    p, q = nt.tensor(one)[:, 1:3], nt.tensor(one)[:, 4:5]
    check(nt.cat([p, q, p], 1), np.concatenate([one[:, 1:3], one[:, 4:5], one[:, 1:3]], 1))
    check(nt.stack([p, p], 1), np.stack([one[:, 1:3], one[:, 1:3]], 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64, np.int8, np.uint8, np.bool_])
@pytest.mark.parametrize("n", [1, 7, 40_000])
def test_cat_and_stack_of_two_blocks_in_each_dtype(dtype, n):
    # two inputs that are each one block of the result: one copy kernel (float16: slices),
    # from any offset in their storage; small and larger than the allocator's threshold
    rng = np.random.default_rng(n)
    memory = (rng.random(3 * n) * 100).astype(dtype)
    x, y = nt.tensor(memory[:n]), nt.tensor(memory)[2 * n:].reshape(1, n)
    xs, ys = memory[:n], memory[2 * n:]
    check(nt.cat([x, y.view(-1)]), np.concatenate([xs, ys]))
    check(nt.cat([y, x.view(1, n)]), np.concatenate([ys[None], xs[None]]))
    check(nt.stack([y, y], 0), np.stack([ys[None], ys[None]]))
    check(nt.stack([x, x]), np.stack([xs, xs]))
    check(nt.cat([x.view(1, n), y], 1), np.concatenate([xs[None], ys[None]], 1))  # blocks along dim 1


def test_cat_promotes_and_skips_legacy_empty():
    ints = nt.tensor(data((2, 2), np.int64))
    check(nt.cat([ints, nt.tensor([[0.5, 1.5]])]), np.array([[0, 1], [2, 3], [0.5, 1.5]], np.float32))
    check(nt.cat([nt.tensor([True]), nt.tensor([2], dtype=nt.uint8)]), np.array([1, 2], np.uint8))
    check(nt.cat([ints, nt.zeros(0)]), data((2, 2), np.float32))
    check(nt.cat([nt.zeros(0), ints, nt.zeros(0)], dim=1), data((2, 2), np.float32))
    check(nt.cat([nt.zeros(0), nt.zeros(0)]), np.zeros(0, np.float32))
    check(nt.cat([nt.zeros(0, 3), nt.ones(2, 3)]), np.ones((2, 3), np.float32))
    h = nt.cat([nt.tensor([1.0], dtype=nt.float16), nt.tensor([2.0], dtype=nt.float64)])
    check(h, np.array([1, 2], np.float64))


@pytest.mark.large
def test_cat_out_and_large():
    rng = np.random.default_rng(0)
    a, b = rng.random((300, 500)).astype(np.float32), rng.random((300, 200)).astype(np.float32)
    out = nt.empty(0)
    r = nt.cat([nt.tensor(a), nt.tensor(b)], 1, out=out)
    assert r is out
    check(out, np.concatenate([a, b], 1))
    out64 = nt.empty(600, 500, dtype=nt.float64)
    nt.cat([nt.tensor(a), nt.tensor(a)], out=out64)
    check(out64, np.concatenate([a, a]).astype(np.float64))
    x = nt.arange(4.0)
    with pytest.raises(RuntimeError, match="single memory location"):
        nt.cat([x, x], out=x)  # torch refuses an out= that shares memory with an input
    check(x, np.arange(4, dtype=np.float32))
    with pytest.raises(TypeError, match="can't be cast to the desired output type Long"):
        nt.cat([x, x], out=nt.empty(8, dtype=nt.int64))


def test_cat_errors():
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        nt.cat([])
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 and 1"):
        nt.cat([nt.zeros(3, 4), nt.zeros(2)])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0. Expected size 4 "
                                           "but got size 3 for tensor number 1 in the list"):
        nt.cat([nt.zeros(3, 4), nt.zeros(2, 3)])
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        nt.cat([nt.zeros(3, 4)], dim=2)
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 1\\) cannot be concatenated"):
        nt.cat([nt.zeros(1), nt.tensor(1.0)])
    with pytest.raises(TypeError, match="expected Tensor as element 1"):
        nt.cat([nt.zeros(1), [1.0]])
    with pytest.raises(TypeError, match="can't be cast to the desired output type Long"):
        nt.cat([nt.zeros(2)], out=nt.empty(2, dtype=nt.int64))


# ----------------------------------------------------------------------------- stack family
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    a, b = data((3, 4)), data((3, 4), start=50)
    for x, y in zip(views(a), views(b)):
        check(nt.stack([x, y], dim), np.stack([a, b], dim))
    check(nt.stack([nt.tensor(1), nt.tensor(2)]), np.array([1, 2]))
    out = nt.empty(0)
    nt.stack([nt.tensor(a)], out=out)
    check(out, a[None])


def test_hstack_vstack_dstack_column_stack():
    v1, v2 = np.array([1, 2, 3]), np.array([4, 5, 6])
    m1, m2 = data((2, 3), np.int64), data((2, 3), np.int64, start=10)
    T = nt.tensor
    check(nt.hstack([T(v1), T(v2)]), np.hstack([v1, v2]))
    check(nt.hstack([T(m1), T(m2)]), np.hstack([m1, m2]))
    check(nt.vstack([T(v1), T(v2)]), np.vstack([v1, v2]))
    check(nt.row_stack([T(m1), T(v1)]), np.vstack([m1, v1]))
    check(nt.dstack([T(v1), T(v2)]), np.dstack([v1, v2]))
    check(nt.dstack([T(m1), T(m2)]), np.dstack([m1, m2]))
    check(nt.column_stack([T(v1), T(v2)]), np.column_stack([v1, v2]))
    check(nt.column_stack([T(m1).t(), T(v1)]), np.column_stack([m1.T, v1]))
    check(nt.hstack([T(5), T(6)]), np.hstack([5, 6]))
    check(nt.atleast_3d(T(5)), np.atleast_3d(5))
    check(nt.atleast_2d(T(v1)), np.atleast_2d(v1))
    assert [tuple(t.shape) for t in nt.atleast_1d(T(1), T(v1))] == [(1,), (3,)]


def test_stack_errors():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry "
                                           r"0 and \[3\] at entry 1"):
        nt.stack([nt.zeros(2), nt.zeros(3)])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        nt.stack([])
    with pytest.raises(IndexError, match="Dimension out of range"):
        nt.stack([nt.zeros(2)], 3)


def test_split_sizes_must_add_up():
    # split and chunk are views (SPEC §4); the bad-input case belongs to this issue.
    x = nt.arange(5)
    assert [t.tolist() for t in nt.split(x, [2, 3])] == [[0, 1], [2, 3, 4]]
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly to 5 .* "
                                           r"but got split_sizes=\[2, 2\]"):
        nt.split(x, [2, 2])
    assert [t.tolist() for t in x.chunk(2)] == [[0, 1, 2], [3, 4]]


# ----------------------------------------------------------------------------- flip / roll
@pytest.mark.parametrize("dims", [[0], [1], [0, 1], [-1], []])
def test_flip(dims):
    a = data((3, 4))
    for t in views(a):
        check(nt.flip(t, dims), np.flip(a, dims) if dims else a)
        check(t.flip(*dims) if dims else t.flip(dims), np.flip(a, dims) if dims else a)
    check(nt.fliplr(nt.tensor(a)), np.fliplr(a))
    check(nt.flipud(nt.tensor(a)), np.flipud(a))


@pytest.mark.parametrize("layout,strides", [
    ((0, 2, 1), (20, 1, 5)), ((2, 0, 1), (1, 20, 5)), ((1, 2, 0), (5, 1, 20)), ((2, 1, 0), (1, 5, 20))])
def test_flip_result_is_laid_out_as_its_input(layout, strides):
    """torch's flip writes into ``empty_like`` of its input: a permuted input's result is
    permuted the same way (so ``.view`` works or raises on it as on torch's)."""
    a = data((3, 4, 5))
    x = nt.tensor(a).permute(*layout)
    for dims in ((0,), (2,), (0, 1)):
        f = x.flip(dims)
        assert f.stride() == strides
        check(f, np.flip(a.transpose(layout), dims))
    # a strided (not dense) input: row-major
    assert nt.tensor(a)[:, ::2].flip(0).stride() == (10, 5, 1)
    # so a transposed flip views as its transpose does in torch
    t = nt.arange(6.0).reshape(2, 3).t().flip(0)
    assert t.t().view(6).tolist() == [2.0, 1.0, 0.0, 5.0, 4.0, 3.0]
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        t.view(6)
    assert nt.rot90(nt.arange(6.0).reshape(2, 3).t()).stride() == (3, 1)


def test_flip_result_is_a_copy_and_errors():
    t = nt.arange(4)
    f = t.flip(0)
    f[0] = 100
    check(t, np.arange(4))
    check(nt.flip(nt.tensor(5), []), np.array(5))
    check(nt.flip(nt.zeros(0, 2), [0, 1]), np.zeros((0, 2), np.float32))
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        nt.flip(nt.zeros(2, 3), (0, 0))
    with pytest.raises(RuntimeError, match="Input must be >= 2-d"):
        nt.fliplr(nt.zeros(3))


@pytest.mark.parametrize("shifts,dims", [(1, None), (-7, None), (1, 1), (2, 0), ((1, 2), (0, 1)), ((1, 1), (1, 1)),
                                         (-1, -1), (5, 0)])
def test_roll(shifts, dims):
    a = data((3, 4))
    for t in views(a):
        check(nt.roll(t, shifts, dims), np.roll(a, shifts, dims))
    check(nt.roll(nt.zeros(0, 3), 1, 1), np.zeros((0, 3), np.float32))


def test_roll_errors():
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims:1"):
        nt.roll(nt.zeros(2, 3), (1, 1), (0,))
    with pytest.raises(IndexError, match="Dimension out of range"):
        nt.roll(nt.zeros(2, 3), 1, 2)


# ----------------------------------------------------------------------------- repeat / tile
@pytest.mark.parametrize("reps", [(2, 1), (1, 3), (2, 2, 2), (0, 2)])
def test_repeat_and_tile(reps):
    a = data((2, 3), np.int64)
    for t in views(a):
        check(t.repeat(*reps), np.tile(a, reps))
        check(t.repeat(reps), np.tile(a, reps))
        check(nt.tile(t, reps), np.tile(a, reps))
    check(nt.tile(nt.tensor(a), (2,)), np.tile(a, (2,)))
    check(nt.tensor(7).repeat(3), np.array([7, 7, 7]))


def test_repeat_errors():
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller"):
        nt.zeros(2, 3).repeat(2)
    with pytest.raises(RuntimeError, match="negative dimension"):
        nt.zeros(2).repeat(-1)


def test_repeat_interleave():
    a = data((2, 3), np.int64)
    T = nt.tensor
    for t in views(a):
        check(nt.repeat_interleave(t, 2), np.repeat(a, 2))
        check(t.repeat_interleave(2, dim=0), np.repeat(a, 2, axis=0))
        check(t.repeat_interleave(T([1, 0, 2]), dim=1), np.repeat(a, [1, 0, 2], axis=1))
        check(t.repeat_interleave(T([3]), dim=-1), np.repeat(a, 3, axis=-1))
    check(nt.repeat_interleave(T([2, 0, 1])), np.array([0, 0, 2]))
    check(nt.repeat_interleave(T(4), 2), np.array([4, 4]))
    with pytest.raises(RuntimeError, match=r"repeats must have the same size as input along dim, but got "
                                           r"repeats.size\(0\) = 3 and input.size\(0\) = 2"):
        nt.repeat_interleave(T([1, 2]), T([1, 2, 3]))
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        nt.repeat_interleave(T([1, 2]), T([1, -1]))


# ----------------------------------------------------------------------------- hypothesis
@pytest.mark.kernel_variants
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4), st.integers(1, 3), st.data())
def test_hypothesis_cat_matches_concatenate(shape, n, draw):
    dim = draw.draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for k in range(n):
        s = list(shape)
        s[dim] = draw.draw(st.integers(0, 3))
        parts.append(np.arange(int(np.prod(s)), dtype=np.int32).reshape(s) + 100 * k)
    transpose = draw.draw(st.booleans())
    tensors = [nt.tensor(np.ascontiguousarray(p.T)).permute(*range(p.ndim - 1, -1, -1)) if transpose
               else nt.tensor(p) for p in parts]
    check(nt.cat(tensors, dim), np.concatenate(parts, dim))


@pytest.mark.kernel_variants
@given(hnp.arrays(np.int16, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=st.integers(-9, 9)),
       st.data())
def test_hypothesis_flip_roll_repeat(a, draw):
    dims = draw.draw(st.lists(st.integers(0, a.ndim - 1), unique=True))
    check(nt.flip(nt.tensor(a), dims), np.flip(a, dims) if dims else a)
    shifts = draw.draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims)))
    if dims:
        check(nt.roll(nt.tensor(a), shifts, dims), np.roll(a, shifts, dims))
    reps = draw.draw(st.lists(st.integers(0, 3), min_size=a.ndim, max_size=a.ndim + 1))
    check(nt.tensor(a).repeat(*reps), np.tile(a, reps))


# ----------------------------------------------------------------------------- torch parity
@needs_torch
def test_torch_parity():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    cases = [
        lambda M, x: M.cat([x, x[:1]], 0),
        lambda M, x: M.stack([x, x], -1),
        lambda M, x: M.hstack([x, x]),
        lambda M, x: M.roll(x, (1, -2), (1, 2)),
        lambda M, x: M.roll(x, 5),
        lambda M, x: x.repeat(2, 1, 1, 2),
        lambda M, x: M.tile(x, (2,)),
        lambda M, x: M.flip(x, (0, 2)),
        lambda M, x: M.repeat_interleave(x, 2, dim=1),
        lambda M, x: M.cat([x, M.zeros(0)], 2),
    ]
    for case in cases:
        np.testing.assert_array_equal(case(nt, nt.tensor(a)).cpu().numpy(), case(torch, torch.tensor(a)).cpu().numpy())


def _channels_last(shape):
    """A 4-D tensor of `shape` laid out channels-last (strides by hand: C innermost)."""
    n, c, h, w = shape
    return nt.arange(n * h * w * c, dtype=nt.float32).reshape(n, h, w, c).permute(0, 3, 1, 2)


def test_cat_of_channels_last_inputs_is_channels_last():
    # torch's cat keeps the memory format all its inputs suggest (fuzz seed 30118294)
    x = _channels_last((2, 3, 2, 2))
    assert x.stride() == (12, 1, 6, 3)
    r = nt.cat([x, x], 1)
    assert r.shape == (2, 6, 2, 2) and r.stride() == (24, 1, 12, 6)
    np.testing.assert_array_equal(r.cpu().numpy(), np.concatenate([x.cpu().numpy(), x.cpu().numpy()], 1))
    # a size-1 channel dim with a channels-last stride counts too, though the tensor is contiguous
    y = nt.zeros(2, 2, 2, 1).permute(0, 3, 1, 2)
    assert y.is_contiguous() and nt.cat([y, y], 0).stride() == (4, 1, 2, 1)
    # inputs that disagree give a row-major result
    assert nt.cat([x, x.contiguous()], 0).stride() == (12, 4, 2, 1)


def test_stack_is_cat_viewed_so_it_follows_cats_layout():
    # torch's stack below the last dim is cat(tensors, dim).view(...) (fuzz seed 30102571)
    x = _channels_last((2, 2, 5, 3))
    r = nt.stack([x, x], 1)
    assert r.shape == (2, 2, 2, 5, 3) and r.stride() == (60, 2, 1, 12, 4)
    np.testing.assert_array_equal(r.cpu().numpy(), np.stack([x.cpu().numpy(), x.cpu().numpy()], 1))
    # at the last dim it is the cat of the inputs unsqueezed there: row-major here, as torch's
    assert nt.stack([x, x], 4).stride() == (60, 30, 6, 2, 1)
