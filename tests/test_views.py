"""Views share memory, copies don't (SPEC §4): every shape function and basic index is
checked against NumPy by writing through one side and reading the other."""
import re

import numpy as np
import pytest

import nbtensor
from nbtensor import Tensor
from support import shares


# ---------------------------------------------------------------------------- helpers
def pair(shape, dtype=np.int64, base=None):
    """A tensor and an equal, independent ndarray (values 0..n-1 in row-major order).

    `base` picks a layout for the tensor: None (contiguous), "t" (a transposed view of a
    contiguous buffer), "slice" (every other column of a wider buffer), "pad" (rows
    padded: the first columns of a wider buffer)."""
    n = int(np.prod(shape))
    a = np.arange(n, dtype=dtype).reshape(shape)
    if base is None:
        t = nbtensor.as_tensor(a.copy())
    elif base == "t":
        buf = nbtensor.as_tensor(np.ascontiguousarray(a.T))
        t = buf.permute(*reversed(range(len(shape))))
    elif base == "slice":
        wide = np.zeros(shape[:-1] + (2 * shape[-1],), dtype=dtype)
        wide[..., ::2] = a
        t = nbtensor.as_tensor(wide)[..., ::2]
    elif base == "pad":
        wide = np.zeros(shape[:-1] + (shape[-1] + 3,), dtype=dtype)
        wide[..., :shape[-1]] = a
        t = nbtensor.as_tensor(wide)[..., :shape[-1]]
    else:
        raise ValueError(base)
    assert np.array_equal(t.cpu().numpy(), a)
    return t, a


def marker(shape, dtype=np.int64):
    """Distinct negative values of `shape` (so a write is never a no-op)."""
    return -(np.arange(int(np.prod(shape)), dtype=dtype) + 1).reshape(shape)


def check_view(t, a, view, np_view, writable=True):
    """`view` of t must equal `np_view` of a and share memory with t both ways."""
    v, w = view(t), np_view(a)
    assert isinstance(v, Tensor)
    assert tuple(v.shape) == w.shape
    assert np.array_equal(v.cpu().numpy(), w)
    if v.numel() == 0:
        return v
    # write through the view, read the base
    if writable:
        m = marker(w.shape, a.dtype)
        v.copy_(nbtensor.as_tensor(m))
        w[...] = m
        assert np.array_equal(t.cpu().numpy(), a)
    # write through the base, read the view
    new = (np.arange(a.size, dtype=a.dtype) * 7 + 3).reshape(a.shape)
    t.copy_(nbtensor.as_tensor(new))
    a[...] = new
    assert np.array_equal(v.cpu().numpy(), np_view(a))
    return v


def np_diagonal_view(a):
    """A writable NumPy view of the main diagonal of 2-D `a` (np.diagonal is read-only)."""
    n = min(a.shape)
    return np.lib.stride_tricks.as_strided(a, (n,), (a.strides[0] + a.strides[1],))


BASES = [None, "t", "slice", "pad"]


# ---------------------------------------------------------------------------- view functions
@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("name, view, np_view", [
    ("t", lambda x: x.t(), lambda a: a.T),
    ("T", lambda x: x.T, lambda a: a.T),
    ("mT", lambda x: x.mT, lambda a: np.swapaxes(a, -2, -1)),
    ("transpose", lambda x: x.transpose(0, 1), lambda a: np.swapaxes(a, 0, 1)),
    ("transpose-neg", lambda x: nbtensor.transpose(x, -1, -2), lambda a: np.swapaxes(a, -1, -2)),
    ("swapaxes", lambda x: x.swapaxes(0, 1), lambda a: np.swapaxes(a, 0, 1)),
    ("permute", lambda x: x.permute(1, 0), lambda a: a.transpose(1, 0)),
    ("permute-tuple", lambda x: x.permute((1, 0)), lambda a: a.transpose(1, 0)),
    ("unsqueeze0", lambda x: x.unsqueeze(0), lambda a: a[None]),
    ("unsqueeze-1", lambda x: x.unsqueeze(-1), lambda a: a[..., None]),
    ("unsqueeze1", lambda x: nbtensor.unsqueeze(x, 1), lambda a: a[:, None]),
    ("squeeze", lambda x: x.unsqueeze(0).unsqueeze(2).squeeze(), lambda a: a),
    ("squeeze-dim", lambda x: x.unsqueeze(1).squeeze(1), lambda a: a),
    ("narrow", lambda x: x.narrow(1, 1, 2), lambda a: a[:, 1:3]),
    ("narrow-neg-start", lambda x: x.narrow(0, -2, 2), lambda a: a[-2:]),
    ("select", lambda x: x.select(1, 2), lambda a: a[:, 2]),
    ("select-neg", lambda x: x.select(0, -1), lambda a: a[-1]),
    ("diagonal", lambda x: x.diagonal(), lambda a: np_diagonal_view(a)),
    ("int-index", lambda x: x[1], lambda a: a[1]),
    ("slice", lambda x: x[1:, ::2], lambda a: a[1:, ::2]),
    ("slice-neg", lambda x: x[-2:, -3:-1], lambda a: a[-2:, -3:-1]),
    ("none-ellipsis", lambda x: x[None, ..., 1:2, None], lambda a: a[None, ..., 1:2, None]),
    ("int-slice", lambda x: x[2, 1::2], lambda a: a[2, 1::2]),
    ("ellipsis", lambda x: x[...], lambda a: a[...]),
    ("chained", lambda x: x.t()[1:][:, ::2].unsqueeze(0)[0], lambda a: a.T[1:][:, ::2]),
])
def test_view_shares_memory_both_ways(base, name, view, np_view):
    t, a = pair((3, 4), base=base)
    check_view(t, a, view, np_view)


@pytest.mark.parametrize("shape, new", [
    ((3, 4), (-1,)), ((3, 4), (4, 3)), ((3, 4), (2, -1)), ((3, 4), (2, 3, 2)),
    ((2, 3, 4), (6, 4)), ((2, 3, 4), (2, 12)), ((2, 3, 4), (-1, 1, 4)), ((12,), (3, 1, 4)),
])
def test_view_with_minus_one(shape, new):
    t, a = pair(shape)
    v = check_view(t, a, lambda x: x.view(*new), lambda y: y.reshape(new))
    assert v.is_contiguous()
    # sizes may also be one sequence or a Size
    assert t.view(new).shape == v.shape
    assert t.view(nbtensor.Size(v.shape)).shape == v.shape


def test_view_of_noncontiguous_when_strides_allow():
    t, a = pair((4, 6))
    sub = t[:, :4]            # rows are not contiguous with each other
    v = sub.view(4, 2, 2)      # splitting the last dimension is still a view
    assert v.stride() == (6, 2, 1)
    w = a[:, :4].reshape(4, 2, 2)
    v.fill_(-1)
    w[...] = -1
    assert np.array_equal(t.cpu().numpy(), a)
    tt = t.t()                  # (6, 4) with strides (1, 6)
    assert tt.view(3, 2, 4).stride() == (2, 1, 6)
    assert tt.unsqueeze(1).view(6, 4).stride() == (1, 6)
    # a row-major tensor whose size-1 dim has another stride keeps it, as torch's rule does
    # (x.mT of a (1, 3) row is (3, 1) with strides (1, 3)); so x *= x.view(...) is one layout
    col = nbtensor.zeros(1, 3).mT
    assert col.view(3, 1).stride() == (1, 3) and col.view(1, 3, 1).stride() == (3, 1, 3)
    col *= col.view(3, 1)


def test_view_errors():
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        nbtensor.arange(9).view(-1, -1)
    with pytest.raises(RuntimeError, match=re.escape("shape '[2, 5]' is invalid for input of size 9")):
        nbtensor.arange(9).view(2, 5)
    with pytest.raises(RuntimeError, match=re.escape("shape '[2, 5]' is invalid for input of size 9")):
        nbtensor.arange(9).reshape(2, 5)
    with pytest.raises(RuntimeError, match=r"reshape"):
        nbtensor.arange(6).view(2, 3).t().view(6)
    with pytest.raises(RuntimeError, match=r"reshape"):
        nbtensor.arange(12).view(3, 4)[:, :2].view(-1)
    assert nbtensor.arange(12).view(3, 4)[:, ::2].view(-1).stride() == (2,)   # stride 4 = 2 * 2
    with pytest.raises(RuntimeError, match="invalid shape dimension -2"):
        nbtensor.arange(6).view(-2, 3)


def test_view_zero_d_and_empty():
    s = nbtensor.tensor(5.0)
    v = s.view(1, 1)
    assert v.shape == (1, 1)
    v[0, 0] = 7.0
    assert s.item() == 7.0
    assert s.view(-1).shape == (1,)
    assert v.view(()).shape == ()
    e = nbtensor.zeros(0, 3)
    assert e.view(3, -1).shape == (3, 0)
    assert e.view(-1).shape == (0,)
    assert e.reshape(0, 1, 3).shape == (0, 1, 3)
    with pytest.raises(RuntimeError, match="ambiguous"):
        e.view(-1, 0)


# ---------------------------------------------------------------------------- reshape / flatten
def test_reshape_is_a_view_when_possible():
    t, a = pair((3, 4))
    r = check_view(t, a, lambda x: x.reshape(2, 6), lambda y: y.reshape(2, 6))
    assert r.data_ptr() == t.data_ptr()
    sub = t[:, :2]
    r2 = sub.reshape(3, 2, 1)           # a view even though `sub` is not contiguous
    assert shares(r2, t)
    r2.fill_(0)
    assert (t[:, :2].cpu().numpy() == 0).all()


@pytest.mark.parametrize("base", ["t", "pad"])
def test_reshape_copies_when_it_must(base):
    t, a = pair((3, 4), base=base)
    r = t.reshape(-1)
    assert np.array_equal(r.cpu().numpy(), a.reshape(-1))
    assert not shares(r, t)
    assert r.is_contiguous()
    r.fill_(-1)                            # writes to the copy don't reach t
    assert np.array_equal(t.cpu().numpy(), a)


def test_flatten():
    t, a = pair((2, 3, 4))
    check_view(t, a, lambda x: x.flatten(), lambda y: y.reshape(-1))
    t, a = pair((2, 3, 4))
    check_view(t, a, lambda x: x.flatten(1), lambda y: y.reshape(2, 12))
    t, a = pair((2, 3, 4))
    check_view(t, a, lambda x: nbtensor.flatten(x, 0, 1), lambda y: y.reshape(6, 4))
    t, a = pair((2, 3, 4))
    assert t.flatten(1, 1) is t
    # non-contiguous: flatten copies, like reshape
    tt = t.transpose(0, 2)
    f = tt.flatten()
    assert np.array_equal(f.cpu().numpy(), a.transpose(2, 1, 0).reshape(-1))
    assert not shares(f, t)
    # 0-d flattens to one element
    assert nbtensor.tensor(3).flatten().shape == (1,)
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        t.flatten(2, 1)


# ---------------------------------------------------------------------------- other views
def test_expand_has_stride_zero_and_shares():
    t = nbtensor.tensor([[1], [2], [3]])
    e = t.expand(3, 4)
    assert e.shape == (3, 4)
    assert e.stride() == (1, 0)
    assert np.array_equal(e.cpu().numpy(), np.broadcast_to(np.array([[1], [2], [3]]), (3, 4)))
    t[1, 0] = 20                        # writes to the base show in every expanded copy
    assert e[1].tolist() == [20, 20, 20, 20]
    e2 = t.expand(2, -1, 4)               # new leading dimension; -1 keeps a size
    assert e2.shape == (2, 3, 4) and e2.stride() == (0, 1, 0)
    assert t.expand_as(nbtensor.zeros(5, 3, 2)).shape == (5, 3, 2)
    assert nbtensor.tensor(7).expand(2, 2).stride() == (0, 0)
    with pytest.raises(RuntimeError, match="must match the existing size"):
        nbtensor.zeros(2, 3).expand(3, 3)
    with pytest.raises(RuntimeError, match="greater or equal to the number of dimensions"):
        nbtensor.zeros(2, 3).expand(3)


def test_writing_into_an_expanded_view_is_refused():
    e = nbtensor.zeros(1).expand(3)
    with pytest.raises(RuntimeError, match="single memory location"):
        e[:] = 1.0
    with pytest.raises(RuntimeError, match="single memory location"):
        e.fill_(nbtensor.tensor(1.0))
    with pytest.raises(RuntimeError, match="single memory location"):
        e.copy_(nbtensor.ones(3))


def test_filling_an_expanded_view_with_a_number_writes_its_one_element():
    # torch's fill_ and zero_ with a number accept an expanded tensor
    base = nbtensor.zeros(1)
    e = base.expand(3)
    e.fill_(2.0)
    assert base.tolist() == [2.0] and e.tolist() == [2.0, 2.0, 2.0]
    e.zero_()
    assert base.tolist() == [0.0]


def test_squeeze_unsqueeze():
    t, a = pair((1, 3, 1, 2))
    check_view(t, a, lambda x: x.squeeze(), np.squeeze)
    t, a = pair((1, 3, 1, 2))
    check_view(t, a, lambda x: x.squeeze(2), lambda y: y[:, :, 0])
    t, a = pair((1, 3, 1, 2))
    check_view(t, a, lambda x: x.squeeze((0, 2)), lambda y: y[0, :, 0])
    t, a = pair((1, 3, 1, 2))
    check_view(t, a, lambda x: x.squeeze(1), lambda y: y)   # size 3: left alone
    assert nbtensor.zeros(1).squeeze().shape == ()
    assert nbtensor.tensor(1.0).squeeze(0).shape == ()
    assert nbtensor.tensor(1.0).unsqueeze(0).shape == (1,)
    assert nbtensor.tensor(1.0).unsqueeze(-1).shape == (1,)
    x = nbtensor.zeros(3, 4)[:, ::2]
    assert x.unsqueeze(2).stride() == (4, 2, 1)
    assert x.unsqueeze(0).stride() == (12, 4, 2)
    with pytest.raises(IndexError, match=re.escape("expected to be in range of [-3, 2], but got 3")):
        nbtensor.zeros(2, 3).unsqueeze(3)


def test_permute_transpose_T_mT():
    t, a = pair((2, 3, 4))
    check_view(t, a, lambda x: x.permute(2, 0, 1), lambda y: y.transpose(2, 0, 1))
    t, a = pair((2, 3, 4))
    check_view(t, a, lambda x: x.permute(-1, 0, -2), lambda y: y.transpose(2, 0, 1))
    t, a = pair((2, 3, 4))
    check_view(t, a, lambda x: x.T, lambda y: y.T)
    t, a = pair((2, 3, 4))
    check_view(t, a, lambda x: x.mT, lambda y: np.swapaxes(y, 1, 2))
    t, a = pair((2, 3, 4))
    check_view(t, a, lambda x: nbtensor.movedim(x, 0, -1), lambda y: np.moveaxis(y, 0, -1))
    assert t.permute(2, 0, 1).stride() == (1, 12, 4)
    v = nbtensor.arange(3)
    assert v.t() is v or v.t().shape == (3,)
    s = nbtensor.tensor(2.0)
    assert s.t().shape == () and s.T.shape == () and s.transpose(0, -1).shape == ()
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        t.t()
    with pytest.raises(RuntimeError, match="mT"):
        _ = v.mT
    with pytest.raises(RuntimeError, match="duplicate dims"):
        t.permute(0, 0, 1)
    with pytest.raises(RuntimeError, match="does not match the length"):
        t.permute(0, 1)


def test_narrow_select_unbind():
    t, a = pair((4, 5), base="t")
    check_view(t, a, lambda x: x.narrow(-1, 2, 3), lambda y: y[:, 2:5])
    t, a = pair((4, 5), base="slice")
    check_view(t, a, lambda x: nbtensor.select(x, 0, 2), lambda y: y[2])
    t, a = pair((4, 5))
    parts = t.unbind(1)
    assert len(parts) == 5
    for i, p in enumerate(parts):
        assert np.array_equal(p.cpu().numpy(), a[:, i])
    parts[3].fill_(-9)
    assert (t.cpu().numpy()[:, 3] == -9).all()
    assert nbtensor.unbind(t)[0].shape == (5,)
    assert [x.item() for x in nbtensor.arange(3)] == [0, 1, 2]      # __iter__ is unbind
    with pytest.raises(RuntimeError, match=re.escape("start (3) + length (3) exceeds dimension size (5)")):
        t.narrow(1, 3, 3)
    with pytest.raises(IndexError, match="start out of range"):
        t.narrow(1, 6, 0)
    with pytest.raises(IndexError, match=re.escape("index 5 out of range for tensor of size [4, 5] at dimension 1")):
        t.select(1, 5)
    with pytest.raises(IndexError):
        nbtensor.tensor(1.0).select(0, 0)
    with pytest.raises(RuntimeError, match="0-dim"):
        nbtensor.tensor(1.0).narrow(0, 0, 1)


def test_split_chunk():
    t, a = pair((7, 2))
    pieces = t.split(3)
    assert [p.shape[0] for p in pieces] == [3, 3, 1]
    for p, q in zip(pieces, np.split(a, [3, 6])):
        assert np.array_equal(p.cpu().numpy(), q) and shares(p, t)
    pieces[1].fill_(-1)
    assert (t.cpu().numpy()[3:6] == -1).all()
    sizes = nbtensor.split(t, [1, 4, 2])
    assert [p.shape[0] for p in sizes] == [1, 4, 2]
    assert np.array_equal(sizes[1].cpu().numpy(), t.cpu().numpy()[1:5])
    cols = t.split(1, dim=1)
    assert len(cols) == 2 and cols[1].stride() == (2, 1)
    chunks = t.chunk(3)
    assert [c.shape[0] for c in chunks] == [3, 3, 1]
    assert all(shares(c, t) for c in chunks)
    assert [c.shape[0] for c in nbtensor.arange(6).chunk(4)] == [2, 2, 2]      # torch gives 3, not 4
    assert [c.shape[0] for c in nbtensor.arange(5).chunk(5)] == [1] * 5
    assert [c.shape for c in nbtensor.zeros(0, 2).chunk(3)] == [(0, 2)] * 3
    # an empty dim splits into one empty view: a new tensor, so resizing the input (as an
    # out=) does not reshape the piece
    e = nbtensor.ones(3, 0)  # float32, like the cumsum below
    (piece,) = e.split(2, 1)
    assert piece is not e and piece.shape == (3, 0)
    nbtensor.cumsum(nbtensor.zeros(1), 0, out=e)
    assert e.shape == (1,) and piece.shape == (3, 0)
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 7"):
        t.split([1, 2])
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        t.chunk(0)
    with pytest.raises(RuntimeError, match="at least a 1-dimensional"):
        nbtensor.tensor(1.0).chunk(2)


@pytest.mark.parametrize("offset", [-3, -1, 0, 1, 2, 4, 9])
@pytest.mark.parametrize("base", BASES)
def test_diagonal(offset, base):
    t, a = pair((3, 4), base=base)
    d = t.diagonal(offset)
    expected = np.diagonal(a, offset)
    assert np.array_equal(d.cpu().numpy(), expected)
    if d.numel():
        d.fill_(-5)
        rows = np.arange(len(expected)) + max(0, -offset)
        a[rows, rows + offset] = -5
        assert np.array_equal(t.cpu().numpy(), a)


def test_diagonal_of_batches_and_dims():
    t, a = pair((2, 3, 3))
    d = t.diagonal(0, 1, 2)
    assert np.array_equal(d.cpu().numpy(), np.diagonal(a, 0, 1, 2))
    d2 = nbtensor.diagonal(t, 1, -1, 0)
    assert np.array_equal(d2.cpu().numpy(), np.diagonal(a, 1, -1, 0))
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
        t.diagonal(0, 1, 1)


# ---------------------------------------------------------------------------- copies
def test_contiguous_returns_self_when_contiguous():
    t = nbtensor.arange(6).view(2, 3)
    assert t.contiguous() is t
    assert t[1].contiguous() is t[1] or t[1].is_contiguous()
    x = t[1]
    assert x.contiguous() is x
    nt = t.t()
    c = nt.contiguous()
    assert c is not nt and c.is_contiguous() and c.stride() == (2, 1)
    assert np.array_equal(c.cpu().numpy(), t.cpu().numpy().T)
    assert not shares(c, t)
    e = nbtensor.zeros(1, 3).expand(2, 3)
    assert e.contiguous().stride() == (3, 1)


@pytest.mark.parametrize("base", BASES)
def test_clone_always_copies(base):
    t, a = pair((3, 4), base=base)
    c = t.clone()
    assert c is not t and c.data_ptr() != t.data_ptr()
    assert np.array_equal(c.cpu().numpy(), a)
    assert not shares(c, t)
    c.fill_(-1)
    assert np.array_equal(t.cpu().numpy(), a)
    assert nbtensor.clone(t).shape == t.shape


def test_clone_keeps_dense_layout():
    t = nbtensor.zeros(3, 4).t()
    assert t.clone().stride() == (1, 4)          # torch's preserve_format
    assert nbtensor.zeros(3, 4)[:, ::2].clone().stride() == (2, 1)
    s = nbtensor.tensor(3.5)
    c = s.clone()
    c.fill_(0)
    assert s.item() == 3.5


def test_copy_broadcasts_and_casts():
    t = nbtensor.zeros(2, 3)
    r = t.copy_(nbtensor.tensor([1, 2, 3]))
    assert r is t
    assert t.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
    i = nbtensor.zeros(3, dtype=nbtensor.int64)
    i.copy_(nbtensor.tensor([1.7, -2.5, 3.2]))        # float -> int truncates toward zero
    assert i.tolist() == [1, -2, 3]
    b = nbtensor.zeros(3, dtype=nbtensor.bool)
    b.copy_(nbtensor.tensor([0.0, 0.5, -2.0]))
    assert b.tolist() == [False, True, True]
    h = nbtensor.zeros(2, dtype=nbtensor.float16)
    h.copy_(nbtensor.tensor([1 / 3, 2.0], dtype=nbtensor.float64))
    assert h.cpu().numpy().tolist() == np.array([1 / 3, 2.0], dtype=np.float16).tolist()
    nt = nbtensor.zeros(3, 2).t()                        # into a non-contiguous target
    nt.copy_(nbtensor.arange(6).view(2, 3))
    assert nt.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        nbtensor.zeros(2, 3).copy_(nbtensor.zeros(4))


@pytest.mark.parametrize("dst, src", [
    (lambda x: x[1:], lambda x: x[:-1]),
    (lambda x: x[:-1], lambda x: x[1:]),
    (lambda x: x.view(2, 3), lambda x: x.view(3, 2).t()),
])
def test_copy_from_partially_overlapping_dense_source_raises(dst, src):
    """torch refuses a copy between dense views whose memory overlaps partially."""
    t = nbtensor.arange(6)
    with pytest.raises(RuntimeError, match="single memory location"):
        dst(t).copy_(src(t))
    assert np.array_equal(t.cpu().numpy(), np.arange(6))


@pytest.mark.parametrize("dst, src", [
    (lambda x: x, lambda x: x[::1]),
    (lambda x: x[::2], lambda x: x[:3]),
])
def test_copy_with_overlapping_source(dst, src):
    """Overlaps torch does not refuse read the source as it was before the copy (torch's own
    result for a strided destination depends on its loop order: nbtensor documents this
    choice instead)."""
    t = nbtensor.arange(6)
    a = np.arange(6)
    dst(t).copy_(src(t))
    dst(a)[...] = src(a).copy()
    assert np.array_equal(t.cpu().numpy(), a)


def test_copy_transpose_into_self_raises_as_in_torch():
    t = nbtensor.arange(9).view(3, 3)
    with pytest.raises(RuntimeError, match="single memory location"):
        t.copy_(t.t())
    t.copy_(t.t().clone())
    assert np.array_equal(t.cpu().numpy(), np.arange(9).reshape(3, 3).T)


def test_copy_zero_d_and_empty():
    s = nbtensor.tensor(1.0)
    s.copy_(nbtensor.tensor(4))
    assert s.item() == 4.0
    e = nbtensor.zeros(0, 3)
    assert e.copy_(nbtensor.ones(3)) is e
    z = nbtensor.zeros(2, 2)
    z.copy_(nbtensor.tensor(5.0))
    assert z.tolist() == [[5.0, 5.0], [5.0, 5.0]]


# ---------------------------------------------------------------------------- __setitem__
@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("index", [
    0, -1, (1, 2), (slice(None), 1), (slice(1, None), slice(None, None, 2)), Ellipsis,
    (Ellipsis, 0), (None, 1), slice(None), (slice(0, 3, 2), slice(1, 3)),
])
def test_setitem_scalar(base, index):
    t, a = pair((3, 4), base=base)
    before = id(t), t.data_ptr()
    t[index] = -7
    a[index] = -7
    assert (id(t), t.data_ptr()) == before
    assert np.array_equal(t.cpu().numpy(), a)


@pytest.mark.parametrize("base", BASES)
def test_setitem_broadcast_tensor(base):
    t, a = pair((3, 4), base=base)
    ident = id(t)
    t[1:, :] = nbtensor.tensor([10, 20, 30, 40])
    a[1:, :] = [10, 20, 30, 40]
    t[:, 0] = nbtensor.tensor(-1)
    a[:, 0] = -1
    t[0] = nbtensor.tensor([[[5, 6, 7, 8]]])                    # extra leading 1s are allowed
    a[0] = [5, 6, 7, 8]
    t[..., 3:] = nbtensor.tensor([[1], [2], [3]])
    a[..., 3:] = [[1], [2], [3]]
    assert id(t) == ident
    assert np.array_equal(t.cpu().numpy(), a)
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        t[0] = nbtensor.zeros(3)


def test_setitem_whole_tensor_keeps_identity():
    x = nbtensor.arange(6.0).view(2, 3)
    y = nbtensor.ones(2, 3)
    ident, ptr = id(x), x.data_ptr()
    x[:] = y + x
    assert id(x) == ident and x.data_ptr() == ptr
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    x[...] = 0
    assert id(x) == ident and x.sum().item() == 0


def test_setitem_casts_and_sequences():
    x = nbtensor.zeros(3, dtype=nbtensor.int64)
    x[0] = 2.9
    x[1:] = nbtensor.tensor([1.5, -1.5])
    assert x.tolist() == [2, 1, -1]
    f = nbtensor.zeros(2, 3)
    f[0] = [1, 2, 3]                                   # a sequence value is converted
    f[1, :2] = np.array([7.0, 8.0])
    assert f.tolist() == [[1.0, 2.0, 3.0], [7.0, 8.0, 0.0]]
    s = nbtensor.tensor(1.0)
    ident = id(s)
    s[...] = 5
    s[()] = s + 1
    assert s.item() == 6.0 and id(s) == ident


def test_setitem_empty_selection_is_a_no_op():
    t, a = pair((3, 4))
    t[2:1] = 99
    t[:, 4:] = nbtensor.tensor(1)
    assert np.array_equal(t.cpu().numpy(), a)


# ---------------------------------------------------------------------------- basic indexing
def test_getitem_matches_numpy_on_many_indices():
    t, a = pair((3, 4, 5), base="slice")
    indices = [
        0, -1, (0, 1), (0, 1, 2), (-1, -2, -3), slice(1, 2), slice(None, None, 2), (slice(None), 0),
        (Ellipsis, 1), (1, Ellipsis), (None,), (None, None, 1), (slice(None), None, slice(1, 4, 2)),
        (Ellipsis, None), slice(-100, 100), (slice(5, None),), (slice(2, 1),), (0, slice(1, 3), None, 4),
        (), Ellipsis,
    ]
    for index in indices:
        v = t[index]
        w = a[index]
        assert v.shape == w.shape, index
        assert np.array_equal(v.cpu().numpy(), w), index
        if v.numel():
            assert shares(v, t), index


def test_zero_d_indexing():
    s = nbtensor.tensor(3.0)
    assert s[...].shape == () and shares(s[...], s)
    assert s[None].shape == (1,)
    assert s[()].shape == ()
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 0"):
        s[0]


def test_empty_tensor_indexing():
    e = nbtensor.zeros(0, 3)
    assert e[:, 1].shape == (0,)
    assert e[..., None].shape == (0, 3, 1)
    assert e[1:].shape == (0, 3)
    with pytest.raises(IndexError, match="index 0 is out of bounds for dimension 0 with size 0"):
        e[0]


def test_index_out_of_range_names_index_dim_and_size():
    x = nbtensor.zeros(2, 3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 3"):
        x[0, 5]
    with pytest.raises(IndexError, match="index -3 is out of bounds for dimension 0 with size 2"):
        x[-3]
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        x[2] = 1.0
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]


@pytest.mark.parametrize("step", [0, -1, -2])
def test_slice_step_not_positive_is_value_error(step):
    x = nbtensor.arange(5)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::step]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::step] = 0


# ---------------------------------------------------------------------------- dimension errors
DIM_MSG = re.escape("Dimension out of range (expected to be in range of [-2, 1], but got 2)")


@pytest.mark.parametrize("call", [
    lambda x: x.transpose(0, 2),
    lambda x: x.squeeze(2),
    lambda x: x.select(2, 0),
    lambda x: x.narrow(2, 0, 1),
    lambda x: x.unbind(2),
    lambda x: x.split(1, 2),
    lambda x: x.chunk(2, 2),
    lambda x: x.flatten(0, 2),
    lambda x: x.diagonal(0, 0, 2),
    lambda x: x.permute(0, 2),
    lambda x: x.size(2),
    lambda x: x.stride(2),
    lambda x: nbtensor.movedim(x, 2, 0),
])
def test_dimension_out_of_range(call):
    with pytest.raises(IndexError, match=DIM_MSG):
        call(nbtensor.zeros(2, 3))


def test_dimension_out_of_range_negative_and_zero_d():
    with pytest.raises(IndexError, match=re.escape("[-2, 1], but got -3")):
        nbtensor.zeros(2, 3).transpose(-3, 0)
    with pytest.raises(IndexError, match=re.escape("[-1, 0], but got 1")):
        nbtensor.tensor(1.0).transpose(0, 1)
    with pytest.raises(TypeError):
        nbtensor.zeros(2, 3).transpose(0, 1.5)


def test_broadcast_tensors_expands_to_the_common_shape_and_carries_gradients():
    nb = nbtensor
    a = nb.tensor([[1.0], [2.0]], requires_grad=True)
    b = nb.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x, y = nb.broadcast_tensors(a, b)
    np.testing.assert_array_equal(x.detach().cpu().numpy(), np.broadcast_to([[1.0], [2.0]], (2, 3)))
    np.testing.assert_array_equal(y.detach().cpu().numpy(), np.broadcast_to([10.0, 20.0, 30.0], (2, 3)))
    assert x.stride() == (1, 0) and y.stride() == (0, 1)  # views
    (x * 2 + y).sum().backward()
    np.testing.assert_array_equal(a.grad.cpu().numpy(), [[6.0], [6.0]])
    np.testing.assert_array_equal(b.grad.cpu().numpy(), [2.0, 2.0, 2.0])
    with pytest.raises(RuntimeError, match=r"size of tensor a \(2\) must match the size of tensor b \(3\)"):
        nb.broadcast_tensors(nb.ones(2), nb.ones(3))
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 0, but got int"):
        nb.broadcast_tensors(nb.ones(2), 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.bool_, np.int64])
def test_transposing_copies_of_every_size_match_numpy(dtype):
    # below 4096 elements the kernels copy; from there to the threads' size NumPy's blocked
    # copy does; above, the tiled parallel kernels
    rng = np.random.default_rng(3)
    for shape, perm in [((8, 8), (1, 0)), ((64, 64), (1, 0)), ((16, 16, 32), (2, 0, 1)), ((100, 50), (1, 0)),
                        ((600, 500), (1, 0))]:
        a = (rng.random(shape) * 10).astype(dtype)
        got = nbtensor.from_numpy(a).permute(*perm).contiguous()
        np.testing.assert_array_equal(got.numpy(), np.ascontiguousarray(a.transpose(perm)))
        target = nbtensor.from_numpy(np.zeros(a.transpose(perm).shape, dtype))
        target.copy_(nbtensor.from_numpy(a).permute(*perm))
        np.testing.assert_array_equal(target.numpy(), a.transpose(perm))


def test_row_fill_by_int_index_matches_numpy():
    nb = nbtensor
    # t[i] = number: every row position, negative indices, the value checked before the index
    for shape in ((5,), (4, 3), (2, 3, 2)):
        expected = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        t = nb.tensor(expected.copy())
        for i, v in ((0, 7.5), (-1, -2), (shape[0] - 2, 0.25)):
            t[i] = v
            expected[i] = v
        np.testing.assert_array_equal(t.cpu().numpy(), expected)
    small = nb.zeros(3, dtype=nb.int8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8_t without overflow"):
        small[7] = 1000  # (the value first, as torch)
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        small[-4] = 1
    t = nb.ones(4, 2).t()  # not contiguous: each row is strided
    t[1] = 3.0
    np.testing.assert_array_equal(t.cpu().numpy(), [[1, 1, 1, 1], [3, 3, 3, 3]])


def test_conversions_keep_the_strides_of_empty_tensors():
    # torch: a tensor without elements is contiguous, so dense, so `to`/`double` keep its
    # strides (fuzzer seed 27422646: an empty diagonal's int64 copy had stride 1, not 2)
    nb = nbtensor
    cases = [(nb.zeros((4, 1), dtype=nb.float16).diagonal(2, 0, 1), (2,)), (nb.zeros(6)[::3][:0], (3,)),
             (nb.zeros(4, 4)[::2, :0], (8, 1)), (nb.zeros(0, 3).t(), (1, 3)),
             (nb.zeros(4)[::2], (1,)), (nb.zeros(3, 1, 4)[:, :, ::2], (2, 2, 1))]  # (not empty: packed)
    for t, strides in cases:
        assert t.double().stride() == strides and t.to(nb.int64).stride() == strides


def test_a_remembered_basic_index_serves_every_tensor_of_its_shape_and_strides():
    # ``x[index]`` remembers the view's plan per (shape, strides, index): the same index on
    # tensors at other offsets, of other layouts or shapes, must select their own elements
    memory = np.arange(60.0)
    whole = nbtensor.as_tensor(memory)
    for start in (0, 7, 20):
        block = whole[start:start + 24].view(4, 6)
        a = memory[start:start + 24].reshape(4, 6)
        for index in [(slice(None), slice(1, 3)), (1,), (slice(1, None, 2), -1), (Ellipsis, 2), (None, 0, slice(None, 4))]:
            np.testing.assert_array_equal(block[index].cpu().numpy(), a[index])
            np.testing.assert_array_equal(block.t()[index].cpu().numpy(), a.T[index])
    wide = nbtensor.as_tensor(np.arange(40.0).reshape(5, 8))
    np.testing.assert_array_equal(wide[:, 1:3].cpu().numpy(), np.arange(40.0).reshape(5, 8)[:, 1:3])
    # an index that raises raises at every call; one of NumPy ints or tensor bounds is read as ints
    for _ in range(2):
        with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 4"):
            block[4]
        with pytest.raises(ValueError, match="step must be greater than zero"):
            block[::-1]
    np.testing.assert_array_equal(block[np.int64(1), nbtensor.tensor(2):].cpu().numpy(), a[1, 2:])
    np.testing.assert_array_equal(block[True, 1].cpu().numpy(), a[None, 1])  # (a bool: an advanced index)
