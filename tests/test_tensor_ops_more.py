"""Random fills (exponential_, log_normal_, cauchy_, geometric_), Tensor.new, the writers
(fill_diagonal_, masked_scatter, put, index_reduce, the *_scatter ops, resize_) and the views
and splits (as_strided, unsafe_*, h/v/dsplit, narrow_copy, moveaxis): values against NumPy or
by hand, and against torch where it is installed (values, dtypes, errors, grad_fn, .grad)."""
import warnings

import numpy as np
import pytest

import nbtensor
from nbtensor.autograd import gradcheck
from tests.ops_more_support import f64, same_error
from tests.support import check, needs_torch, shares, torch


# ---------------------------------------------------------------- random fills
def test_random_fills_moments_and_seed():
    nbtensor.manual_seed(3)
    e = nbtensor.empty(2000, dtype=nbtensor.float64).exponential_(2.0)
    assert abs(float(e.mean()) - 0.5) < 0.05 and float(e.min()) >= 0
    ln = nbtensor.empty(2000, dtype=nbtensor.float64).log_normal_(0.0, 0.5)
    logs = ln.log()
    assert abs(float(logs.mean())) < 0.05 and abs(float(logs.square().mean()) ** 0.5 - 0.5) < 0.05
    c = nbtensor.empty(2000, dtype=nbtensor.float64).cauchy_(1.0, 2.0)
    assert abs(float(c.median()) - 1.0) < 0.3  # (a Cauchy has no mean)
    g = nbtensor.empty(2000, dtype=nbtensor.int64).geometric_(0.25)
    assert g.dtype == nbtensor.int64 and int(g.min()) >= 1 and abs(float(g.double().mean()) - 4.0) < 0.3
    nbtensor.manual_seed(7)
    first = nbtensor.empty(5).exponential_()
    nbtensor.manual_seed(7)
    assert nbtensor.equal(first, nbtensor.empty(5).exponential_())
    gen = nbtensor.Generator().manual_seed(1)
    a = nbtensor.empty(3).cauchy_(generator=gen)
    gen.manual_seed(1)
    assert nbtensor.equal(a, nbtensor.empty(3).cauchy_(generator=gen))
    h = nbtensor.zeros(3, dtype=nbtensor.float16).log_normal_()
    assert h.dtype == nbtensor.float16 and bool((h > 0).all())


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.zeros(2).exponential_(0), RuntimeError, r"exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda m: m.zeros(2, dtype=m.long).exponential_(), RuntimeError,
     "Exponential distribution is a continuous probability distribution. dtype must be a floating point but you "
     "specified Long"),
    (lambda m: m.zeros(2, dtype=m.int8).cauchy_(), RuntimeError, "but you specified signed char"),
    (lambda m: m.zeros(2).cauchy_(0, -1), RuntimeError, r"cauchy_ expects sigma > 0.0, but found sigma=-1"),
    (lambda m: m.zeros(2).log_normal_(1, 0), RuntimeError, r"log_normal_ expects std > 0.0, but found std=0"),
    (lambda m: m.zeros(2, dtype=m.long).log_normal_(), NotImplementedError, "\"log_normal_cpu\" not implemented"),
    (lambda m: m.zeros(2).geometric_(1), RuntimeError, r"geometric_ expects p to be in \(0, 1\), but got p=1"),
    (lambda m: m.zeros(2, dtype=m.bool).geometric_(0.5), NotImplementedError, "\"geometric_cpu\" not implemented"),
])
def test_random_fill_errors(call, error, message):
    same_error(call, error, message)


def test_random_fill_autograd():
    x = nbtensor.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.exponential_()
    y = (x * 2).geometric_(0.5)
    assert y.grad_fn.name() == "GeometricBackward0"
    y.sum().backward()
    check(x.grad, np.zeros(3, np.float32))


def test_new():
    x = nbtensor.zeros(2, dtype=nbtensor.float64)
    assert x.new(2, 3).shape == (2, 3) and x.new(2, 3).dtype == nbtensor.float64
    check(x.new([1, 2]), np.array([1.0, 2.0]))
    check(x.new(), np.zeros(0))
    assert x.new((2, 3)).shape == (2,)  # (a tuple is data, as torch's)
    assert x.new(nbtensor.Size([2, 1])).shape == (2, 1)
    same = f64([1.0])
    assert x.new(same) is same
    with pytest.raises(TypeError):
        x.new(nbtensor.tensor([1]))


# ---------------------------------------------------------------- writers
def test_fill_diagonal():
    m = nbtensor.arange(12.0).reshape(3, 4).fill_diagonal_(-1)
    expected = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    np.fill_diagonal(expected, -1)
    check(m, expected)
    for wrap in (False, True):
        tall = np.zeros((7, 3), np.float32)
        np.fill_diagonal(tall, 5, wrap=wrap)
        check(nbtensor.zeros(7, 3).fill_diagonal_(5, wrap=wrap), tall)
    cube = np.zeros((2, 2, 2), np.float32)
    cube[0, 0, 0] = cube[1, 1, 1] = 5
    check(nbtensor.zeros(2, 2, 2).fill_diagonal_(5), cube)
    check(nbtensor.zeros(2, 2, dtype=nbtensor.int64).fill_diagonal_(2.7), np.eye(2, dtype=np.int64) * 2)
    t = nbtensor.zeros(4, 2).t()
    check(t.fill_diagonal_(1), np.eye(2, 4, dtype=np.float32))
    same_error(lambda m: m.zeros(2).fill_diagonal_(1), RuntimeError, "dimensions must larger than 1")
    same_error(lambda m: m.zeros(2, 3, 2).fill_diagonal_(1), RuntimeError,
                "all dimensions of input must be of equal length")


def test_masked_scatter():
    x = nbtensor.arange(6.0).reshape(2, 3)
    mask = nbtensor.tensor([[True, False, True], [False, True, True]])
    source = nbtensor.arange(100.0, 106.0)
    expected = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    expected[mask.cpu().numpy()] = [100, 101, 102, 103]
    check(x.masked_scatter(mask, source), expected)
    check(x, np.arange(6.0, dtype=np.float32).reshape(2, 3))
    y = x.clone()
    assert y.masked_scatter_(mask, source) is y
    check(y, expected)
    # the function broadcasts input and mask
    check(nbtensor.masked_scatter(nbtensor.zeros(3), nbtensor.ones(2, 3, dtype=nbtensor.bool), source),
          np.arange(100.0, 106.0, dtype=np.float32).reshape(2, 3))
    same_error(lambda m: m.zeros(3).masked_scatter(m.ones(3, dtype=m.bool), m.ones(2)), RuntimeError,
                "Number of elements of source < number of ones in mask")
    same_error(lambda m: m.zeros(3).masked_scatter(m.ones(3, dtype=m.int32), m.ones(3)), RuntimeError,
                "masked_scatter_ only supports boolean masks, but got mask with dtype Int")
    same_error(lambda m: m.zeros(3).masked_scatter(m.ones(3, dtype=m.bool), m.ones(3, dtype=m.long)),
                RuntimeError, "masked_scatter: expected self and source to have same dtypes but gotFloat and Long")
    a, s = f64([[1.0, -2.0], [3.0, 4.0]], True), f64([5.0, 6.0, 7.0], True)
    assert gradcheck(lambda p, q: p.masked_scatter(p.detach() > 0, q), (a, s))


def test_put():
    x = nbtensor.arange(6.0).reshape(2, 3)
    flat = np.arange(6.0, dtype=np.float32)
    flat[[1, 5]] = [10, 20]
    check(x.put(nbtensor.tensor([1, -1]), nbtensor.tensor([10.0, 20.0])), flat.reshape(2, 3))
    t = nbtensor.arange(6.0).reshape(2, 3).t()  # (row-major positions of the transposed view)
    t.put_(nbtensor.tensor([1, 1, 0]), nbtensor.tensor([1.0, 2.0, 3.0]), accumulate=True)
    expected = np.arange(6.0, dtype=np.float32).reshape(2, 3).T.copy()
    np.add.at(expected.reshape(-1), [1, 1, 0], [1, 2, 3])
    check(t, expected)
    same_error(lambda m: m.zeros(6).put_(m.tensor([6]), m.ones(1)), IndexError,
                "out of range: tried to access index 6 on a tensor of 6 elements.")
    same_error(lambda m: m.zeros(6).put_(m.tensor([-7]), m.ones(1)), IndexError, "tried to access index -7")
    same_error(lambda m: m.zeros(6).put_(m.tensor([1], dtype=m.int32), m.ones(1)), RuntimeError,
                "put_\\(\\): Expected a long tensor for index, but got Int")
    same_error(lambda m: m.zeros(6).put_(m.tensor([1, 2]), m.ones(1)), IndexError,
                "Expected source and index to have the same number of elements")
    same_error(lambda m: m.zeros(6).put_(m.tensor([1]), m.ones(1, dtype=m.float64)), RuntimeError,
                "self and source expected to have the same dtype")
    a, s = f64([1.0, 2.0, 3.0], True), f64([5.0, 6.0], True)
    assert gradcheck(lambda p, q: p.put(nbtensor.tensor([0, 0]), q, accumulate=True), (a, s))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce(reduce):
    x = np.arange(1.0, 7.0, dtype=np.float32).reshape(3, 2)
    index = [0, 2, 0]
    source = np.array([[2, 3], [4, 5], [6, 7]], np.float32)
    for include_self in (True, False):
        expected = x.copy()
        touched = {}
        for i, row in zip(index, source):
            touched.setdefault(i, [x[i]] if include_self else []).append(row)
        for i, rows in touched.items():
            rows = np.stack(rows)
            expected[i] = {"prod": rows.prod(0), "mean": rows.mean(0), "amax": rows.max(0),
                           "amin": rows.min(0)}[reduce]
        got = nbtensor.tensor(x).index_reduce(0, nbtensor.tensor(index), nbtensor.tensor(source), reduce,
                                              include_self=include_self)
        check(got, expected)


def test_index_reduce_errors_and_ints():
    ints = nbtensor.tensor([[1, 2], [3, 4]]).index_reduce_(0, nbtensor.tensor([0, 0], dtype=nbtensor.int32),
                                                           nbtensor.tensor([[2, 3], [7, 7]]), "mean")
    check(ints, np.array([[3, 4], [3, 4]]))  # (1 + 2 + 7) // 3, (2 + 3 + 7) // 3
    x, idx, src = (lambda m: m.ones(3, 2)), (lambda m: m.tensor([0, 2, 0])), (lambda m: m.ones(3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's beta warning)
        same_error(lambda m: x(m).index_reduce(0, idx(m), src(m), "sum"), RuntimeError,
                    "Expected reduce to be one of prod, mean, amax or amin but got sum.")
        same_error(lambda m: x(m).index_reduce(0, m.tensor([0, 3, 0]), src(m), "prod"), IndexError,
                    "index out of range in self")
        same_error(lambda m: x(m).index_reduce(0, idx(m).float(), src(m), "prod"), RuntimeError,
                    "Expected dtype int32/int64 for index but got: Float")
        same_error(lambda m: x(m).index_reduce(0, idx(m)[:2], src(m), "prod"), RuntimeError,
                    r"Number of indices \(2\) should be equal to source.size\(dim\): \(3\), for dim: 0")
        same_error(lambda m: x(m).index_reduce(0, idx(m), src(m).double(), "prod"), RuntimeError,
                    r"self \(Float\) and source \(Double\) must have the same scalar type")


def test_scatter_ops():
    z = np.zeros((3, 3), np.float32)
    expected = z.copy()
    expected[[0, 1], [1, 2]] = 1
    check(nbtensor.diagonal_scatter(nbtensor.zeros(3, 3), nbtensor.ones(2), 1), expected)
    expected = z.copy()
    expected[:, -1] = 1
    check(nbtensor.zeros(3, 3).select_scatter(nbtensor.ones(3), 1, -1), expected)
    expected = np.zeros((4, 3), np.float32)
    expected[1:4:2] = 1
    check(nbtensor.slice_scatter(nbtensor.zeros(4, 3), nbtensor.ones(2, 3), 0, 1, 4, 2), expected)
    expected = np.zeros((4, 3), np.float32)
    expected[:, 1:] = 1
    check(nbtensor.slice_scatter(nbtensor.zeros(4, 3), nbtensor.ones(4, 2), 1, 1, 100), expected)
    same_error(lambda m: m.diagonal_scatter(m.zeros(3, 3), m.ones(3), 1), RuntimeError,
                r"expected src to have a size equal to the slice of self. src size = \[3\], slice size = \[2\]")
    same_error(lambda m: m.select_scatter(m.zeros(3, 3), m.ones(3), 0, 5), IndexError,
                "select\\(\\): index 5 out of range")
    same_error(lambda m: m.slice_scatter(m.zeros(4, 3), m.ones(0, 3), 0, 1, 4, 0), RuntimeError,
                "slice step must be positive")
    a, b = f64([[1.0, 2.0], [3.0, 4.0]], True), f64([5.0, 6.0], True)
    assert nbtensor.diagonal_scatter(a, b).grad_fn.name() == "DiagonalScatterBackward0"
    assert gradcheck(lambda p, q: nbtensor.diagonal_scatter(p, q), (a, b))
    assert gradcheck(lambda p, q: nbtensor.select_scatter(p, q, 1, 0), (a, b))
    assert gradcheck(lambda p, q: nbtensor.slice_scatter(p, q.reshape(1, 2), 0, 1), (a, b))


def test_resize():
    x = nbtensor.arange(6.0)
    assert x.resize_(2, 2) is x
    check(x, np.array([[0.0, 1.0], [2.0, 3.0]], np.float32))
    y = nbtensor.arange(4.0)
    y.resize_(2, 3)
    assert y.shape == (2, 3) and y.stride() == (3, 1)
    check(y.reshape(-1)[:4], np.arange(4.0, dtype=np.float32))
    t = nbtensor.arange(6.0).reshape(2, 3).t()
    assert t.resize_(3, 2).stride() == (1, 3)  # (the same shape keeps the layout)
    check(nbtensor.resize_as_(nbtensor.arange(6.0), nbtensor.zeros(2, 2)), np.arange(4.0, dtype=np.float32).reshape(2, 2))
    same_error(lambda m: m.zeros(2, requires_grad=True).resize_(3), RuntimeError,
                "cannot resize variables that require grad")
    base = nbtensor.arange(4.0)
    with pytest.raises(RuntimeError):
        base[:2].resize_(8)  # (shared memory cannot grow: the view would detach from its base)


# ---------------------------------------------------------------- views and splits
def test_as_strided():
    x = nbtensor.arange(12.0).reshape(3, 4)
    v = x.as_strided((2, 2), (1, 2), 1)
    check(v, np.array([[1.0, 3.0], [2.0, 4.0]], np.float32))
    assert shares(v, x) and v.storage_offset() == 1
    assert x[1].as_strided((2,), (1,)).storage_offset() == 4
    check(x[1].as_strided((2,), (1,), 0), np.array([0.0, 1.0], np.float32))
    assert x.as_strided((0, 5), (100, 100), 13).shape == (0, 5)
    y = x.clone()
    assert y.as_strided_((2,), (5,)) is y and y.tolist() == [0.0, 5.0]
    same_error(lambda m: m.arange(12.0).as_strided((2, 2), (4, 1), 9), RuntimeError,
                "setStorage: sizes \\[2, 2\\], strides \\[4, 1\\], storage offset 9, and itemsize 4 requiring a "
                "storage size of 60 are out of bounds for storage of size 48")
    same_error(lambda m: m.arange(12.0).as_strided((2,), (-1,)), RuntimeError, "Negative strides are not supported")
    same_error(lambda m: m.arange(12.0).as_strided((2,), (1,), -1), RuntimeError, "invalid storage offset -1")
    same_error(lambda m: m.arange(12.0).as_strided((2, 2), (1,)), RuntimeError, "mismatch in length of strides")
    a = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], True)
    assert a.as_strided((2, 2), (1, 1)).grad_fn.name() == "AsStridedBackward0"
    assert gradcheck(lambda p: p.as_strided((2, 2), (1, 1), 1), (a,))  # (overlapping elements)
    assert gradcheck(lambda p: p[1:].as_strided((2,), (1,), 4), (a,))


def test_splits():
    x = nbtensor.arange(12.0).reshape(3, 4)
    for pieces, sizes in ((x.unsafe_chunk(2, 1), [2, 2]), (x.unsafe_split(3, 1), [3, 1]),
                          (x.unsafe_split_with_sizes([1, 3], 1), [1, 3]), (x.hsplit([1, 3]), [1, 2, 1])):
        assert [p.shape[1] for p in pieces] == sizes and all(shares(p, x) for p in pieces)
    check(nbtensor.hsplit(x, 2)[1], np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, 2:])
    check(x.vsplit(3)[2], np.arange(8.0, 12.0, dtype=np.float32).reshape(1, 4))
    check(nbtensor.arange(4).hsplit(2)[1], np.array([2, 3]))
    check(x.reshape(1, 3, 4).dsplit([1])[0], np.array([[[0.0], [4.0], [8.0]]], np.float32))
    same_error(lambda m: m.arange(12.0).reshape(3, 4).hsplit(3), RuntimeError,
                "torch.hsplit attempted to split along dimension 1, but the size of the dimension 4 is not divisible "
                "by the split_size 3!")
    same_error(lambda m: m.arange(4).vsplit(2), RuntimeError,
                "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 dimensions!")
    same_error(lambda m: m.arange(12.0).reshape(3, 4).dsplit(2), RuntimeError, "torch.dsplit requires a tensor")
    a = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], True)
    assert [p.grad_fn.name() for p in a.unsafe_split(2, 1)] == ["UnsafeSplitBackward0"] * 2
    assert a.unsafe_split_with_sizes([1, 2], 1)[0].grad_fn.name() == "UnsafeSplitWithSizesBackward0"
    assert gradcheck(lambda p: p.unsafe_split_with_sizes([1, 2], 1)[1], (a,))


def test_narrow_copy_and_moveaxis():
    x = nbtensor.arange(12.0).reshape(3, 4)
    c = x.narrow_copy(1, 1, 2)
    check(c, np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, 1:3])
    assert not shares(c, x) and c.is_contiguous()
    out = nbtensor.empty(0)
    assert nbtensor.narrow_copy(x, 1, -2, 2, out=out) is out
    check(out, np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, 2:])
    m = x.moveaxis(0, 1)
    assert m.shape == (4, 3) and shares(m, x)
    a = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], True)
    assert a.narrow_copy(1, 1, 2).grad_fn.name() == "NarrowCopyBackward0"
    assert gradcheck(lambda p: p.narrow_copy(1, 1, 2), (a,))


@needs_torch
def test_gradients_match_torch():
    values = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
    cases = [
        lambda m, t: m.slice_scatter(t, t[:, :1] * 3, 1, 2),
        lambda m, t: t.as_strided((2, 2), (2, 1), 1),
        lambda m, t: t[1:].as_strided((2,), (1,), 1),  # (memory outside the view)
        lambda m, t: t.masked_scatter(m.tensor([True, False, True]), t.flip(0)),
        lambda m, t: t.put(m.tensor([0, -1, 0]), t[0], accumulate=True),
        lambda m, t: (t * 1).fill_diagonal_(0.0),
        lambda m, t: m.select_scatter(t, t[1] * 2, 0, 0),
    ]
    for case in cases:
        grads = []
        for module in (nbtensor, torch):
            t = module.tensor(values, dtype=module.float64, requires_grad=True)
            (case(module, t) * module.arange(1.0, 1.0 + t.numel()).reshape(-1)[:1]).sum().backward()
            grads.append(np.array(t.grad.tolist()))
        np.testing.assert_allclose(grads[0], grads[1])


def test_index_reduce_warns_that_it_is_in_beta_as_torch_does():
    with pytest.warns(UserWarning, match=r"index_reduce\(\) is in beta and the API may change at any time."):
        out = nbtensor.zeros(3).index_reduce(0, nbtensor.tensor([1]), nbtensor.tensor([5.0]), "amax")
    assert out.tolist() == [0.0, 5.0, 0.0]
