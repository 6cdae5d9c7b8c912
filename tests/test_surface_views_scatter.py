"""Issue 9: Tensor.unfold (a view), in-place view methods (t_, transpose_, ...) and
scatter_reduce / scatter_reduce_ against NumPy and hand-computed values."""
import math

import numpy as np
import pytest
from support import check, needs_torch, torch

import nbtensor as nb


def test_unfold_is_a_view():
    x = nb.arange(12.0).view(3, 4)
    u = x.unfold(1, 2, 1)
    assert u.shape == (3, 3, 2) and u.stride() == (4, 1, 1)
    assert u.data_ptr() == x.data_ptr()
    check(u, np.lib.stride_tricks.sliding_window_view(x.cpu().numpy(), 2, axis=1))
    assert x.unfold(1, 2, 2).stride() == (4, 2, 1)
    check(x.unfold(1, 2, 2), x.cpu().numpy().reshape(3, 2, 2))
    assert x.unfold(0, 2, 1).shape == (2, 4, 2)
    check(x.unfold(-1, 4, 3), x.cpu().numpy().reshape(3, 1, 4))
    assert x.unfold(1, 0, 1).shape == (3, 5, 0)
    assert nb.zeros(3, 0).unfold(1, 0, 1).shape == (3, 1, 0)
    check(nb.tensor(5.0).unfold(0, 1, 1), np.array([5.0], np.float32))
    u[0, 0, 1] = 100.0  # writes through
    assert x[0, 1].item() == 100.0


def test_unfold_matches_numpy_windows():
    a = np.arange(2 * 9 * 3).reshape(2, 9, 3)
    x = nb.tensor(a)
    for size in range(10):
        for step in (1, 2, 3, 4):
            got = x.unfold(1, size, step).cpu().numpy()
            want = np.lib.stride_tricks.sliding_window_view(a, size, axis=1)[:, ::step]
            np.testing.assert_array_equal(got, want)


def test_unfold_errors():
    x = nb.arange(12.0).view(3, 4)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 1 is 4 but size is 5"):
        x.unfold(1, 5, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(1, 2, 0)
    with pytest.raises(RuntimeError, match="size is -1 but must be >= 0"):
        x.unfold(1, -1, 1)
    with pytest.raises(IndexError, match="Dimension out of range \\(expected to be in range of \\[-2, 1\\], but got 2\\)"):
        x.unfold(2, 2, 1)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 1 but size is 2"):
        nb.tensor(5.0).unfold(0, 2, 1)


def test_in_place_view_methods():
    a = nb.arange(6).view(2, 3)
    ptr = a.data_ptr()
    assert a.t_() is a
    assert a.shape == (3, 2) and a.data_ptr() == ptr
    check(a, np.arange(6).reshape(2, 3).T)
    assert not a.is_contiguous()
    with pytest.raises(RuntimeError, match="t_\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        nb.arange(6).view(1, 2, 3).t_()
    check(nb.tensor(1).t_(), np.int64(1))
    b = nb.arange(6.0).view(1, 2, 3)
    assert b.transpose_(0, 2) is b and b.shape == (3, 2, 1)
    assert b.squeeze_() is b and b.shape == (3, 2)
    assert b.unsqueeze_(0) is b and b.shape == (1, 3, 2)


SELF = np.array([5.0, 5.0, 5.0])
INDEX = np.array([0, 1, 0, 2])
SRC = np.array([1.0, 2.0, 3.0, 4.0])


def _reference(self, index, src, reduce, include_self, floor=False):
    """scatter_reduce along dim 0 of 1-D arrays, by hand."""
    out = self.copy()
    for i in range(len(out)):
        vals = list(src[index == i])
        if not vals:
            continue
        if include_self:
            vals.append(self[i])
        if reduce == "sum":
            out[i] = sum(vals)
        elif reduce == "prod":
            out[i] = math.prod(vals)
        elif reduce == "amax":
            out[i] = max(vals)
        elif reduce == "amin":
            out[i] = min(vals)
        else:
            out[i] = sum(vals) // len(vals) if floor else sum(vals) / len(vals)
    return out


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_1d(reduce, include_self):
    got = nb.tensor(SELF).scatter_reduce(0, nb.tensor(INDEX), nb.tensor(SRC), reduce, include_self=include_self)
    check(got, _reference(SELF, INDEX, SRC, reduce, include_self))
    s, src = np.array([-5, -5, -5, 3]), np.array([-1, -2, -4, -4])
    got = nb.scatter_reduce(nb.tensor(s), 0, nb.tensor(INDEX), nb.tensor(src), reduce=reduce, include_self=include_self)
    check(got, _reference(s, INDEX, src, reduce, include_self, floor=True))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_2d_in_place(reduce):
    x = nb.ones(3, 2).t()  # a transposed (non-contiguous) self
    index = nb.tensor([[0, 0], [2, 2]])
    src = nb.arange(6.0).view(2, 3) + 1
    assert x.scatter_reduce_(1, index, src, reduce) is x
    want = np.ones((2, 3))
    for r in range(2):
        want[r] = _reference(np.ones(3), index.cpu().numpy()[r], src.cpu().numpy()[r, :2], reduce, True)
    check(x, want.astype(np.float32))


def test_scatter_reduce_nan_and_errors():
    nan = math.nan
    got = nb.tensor([5.0, nan, 5.0]).scatter_reduce(0, nb.tensor(INDEX), nb.tensor([1.0, nan, 3.0, 4.0]), "amax")
    check(got, np.array([5.0, nan, 5.0], np.float32))
    got = nb.tensor([5.0, 5.0, 5.0]).scatter_reduce(0, nb.tensor(INDEX), nb.tensor([nan, 1.0, 3.0, 4.0]), "amin")
    check(got, np.array([nan, 1.0, 4.0], np.float32))
    x = nb.tensor([5.0, 5.0, 5.0])
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x.scatter_reduce(0, nb.tensor([0, 3]), nb.tensor(SRC, dtype=nb.float32), "sum")
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 0 with size 3"):
        x.scatter_reduce(0, nb.tensor([-1]), nb.tensor(SRC, dtype=nb.float32), "amax")
    with pytest.raises(RuntimeError, match="scatter\\(\\): Expected self.dtype to be equal to src.dtype"):
        x.scatter_reduce(0, nb.tensor(INDEX), nb.tensor([1, 2, 3, 4]), "sum")
    # scatter_'s names are not scatter_reduce's ("max" and "min" are, see below)
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or amin, got add"):
        x.scatter_reduce(0, nb.tensor(INDEX), nb.tensor(SRC, dtype=nb.float32), "add")
    with pytest.raises(NotImplementedError, match="scatter_gather_tensor_cpu_reduce_mean"):
        nb.tensor([True]).scatter_reduce(0, nb.tensor([0]), nb.tensor([False]), "mean")
    check(x, np.array([5.0, 5.0, 5.0], np.float32))  # nothing written by a failed call


def test_scatter_reduce_takes_max_and_min_as_amax_and_amin():
    # torch 2.13 accepts reduce="max" and "min" (the legacy names) as "amax" and "amin"
    idx, src = nb.tensor(INDEX), nb.tensor([10.0, -2.0, 3.0, 4.0])
    x = nb.tensor([5.0, 5.0, 5.0])
    check(x.scatter_reduce(0, idx, src, "max"), np.float32([10, 5, 5]))
    check(x.scatter_reduce(0, idx, src, "min"), np.float32([3, -2, 4]))
    check(nb.scatter_reduce(x, 0, idx, src, reduce="max", include_self=False), np.float32([10, -2, 4]))
    check(x.clone().scatter_reduce_(0, idx, src, "min", include_self=False), np.float32([3, -2, 4]))


@needs_torch
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int16"])
def test_scatter_reduce_matches_torch(reduce, include_self, dtype):
    rng = np.random.default_rng(7)
    a = rng.integers(-5, 6, (4, 5)).astype(dtype)
    idx = rng.integers(0, 5, (3, 4))
    src = rng.integers(-3, 4, (4, 5)).astype(dtype)
    got = nb.tensor(a).scatter_reduce(1, nb.tensor(idx), nb.tensor(src), reduce, include_self=include_self)
    want = torch.tensor(a).scatter_reduce(1, torch.tensor(idx), torch.tensor(src), reduce, include_self=include_self)
    assert got.cpu().numpy().dtype == want.cpu().numpy().dtype
    np.testing.assert_allclose(got.cpu().numpy(), want.cpu().numpy(), rtol=1e-6)
