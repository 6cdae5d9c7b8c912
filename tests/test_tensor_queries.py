"""Tensor queries and real-dtype identities (nbtensor/ops/tensor_queries.py), checked by hand
against what torch 2.13 answers."""
import pickle

import numpy as np
import pytest

import nbtensor as nb
from tests.support import check


@pytest.mark.parametrize("dtype, signed", [(nb.float32, True), (nb.int8, True), (nb.int64, True),
                                           (nb.uint8, False), (nb.bool, False)])
def test_is_signed(dtype, signed):
    x = nb.ones(2, dtype=dtype)
    assert x.is_signed() is signed and nb.is_signed(x) is signed


def test_is_nonzero_takes_one_element():
    assert nb.tensor([0.0]).is_nonzero() is False
    assert nb.tensor([[2]]).is_nonzero() is True
    assert nb.is_nonzero(nb.tensor(float("nan"))) is True
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        nb.ones(0).is_nonzero()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        nb.ones(2).is_nonzero()


def test_is_same_size_compares_shapes_only():
    assert nb.ones(2, 3).is_same_size(nb.zeros(2, 3, dtype=nb.int64))
    assert not nb.is_same_size(nb.ones(2), nb.ones(3))


def test_device_and_backend_flags(device):
    x = nb.ones(2)
    assert x.get_device() == (-1 if nb.device(device).type == "cpu" else 0)
    assert x.is_pinned() is False
    assert x.layout is nb.strided and repr(nb.strided) == "nbtensor.strided"
    assert pickle.loads(pickle.dumps(nb.strided)) is nb.strided
    for flag in ("is_meta", "is_sparse", "is_quantized", "is_mkldnn", "is_nested"):
        assert getattr(x, flag) is False


def test_real_identities_return_the_tensor():
    x = nb.arange(3.0, requires_grad=True)
    for same in (x.positive(), nb.positive(x), x.conj(), nb.conj(x), x.resolve_conj(), x.resolve_neg(),
                 x.conj_physical(), x.real, nb.real(x)):
        assert same is x
    assert not x.is_conj() and not nb.is_neg(x)
    with pytest.raises(RuntimeError, match=r"The `\+` operator, on a bool tensor is not supported."):
        nb.ones(2, dtype=nb.bool).positive()
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes."):
        _ = x.imag


@pytest.mark.parametrize("size, expected", [
    ((1, 3), [[3.0, 5.0, 7.0]]),
    ((3,), [3.0, 5.0, 7.0]),
    ((2, 1), [[3.0], [12.0]]),
    (((),), 15.0),
    ((1, 1), [[15.0]]),
    ((nb.Size([3]),), [3.0, 5.0, 7.0]),
])
def test_sum_to_size_sums_the_broadcast_dimensions(size, expected):
    x = nb.arange(6.0).view(2, 3)
    check(x.sum_to_size(*size), np.array(expected, dtype=np.float32))


def test_sum_to_size_of_its_own_shape_is_the_tensor_and_errors_name_both_sizes():
    x = nb.ones(2, 3)
    assert x.sum_to_size(2, 3) is x
    with pytest.raises(RuntimeError, match=r"size \{\[1, 1, 3\]\} is not expandable to size \{\[2, 3\]\}."):
        x.sum_to_size(1, 1, 3)
    with pytest.raises(RuntimeError, match=r"size \{\[3, 3\]\} is not expandable"):
        x.sum_to_size(3, 3)
    with pytest.raises(TypeError, match="missing 1 required positional"):
        x.sum_to_size()


def test_sum_to_size_records_its_sum():
    x = nb.ones(2, 3, requires_grad=True)
    y = x.sum_to_size(1, 3)
    assert y.grad_fn.name() == "SumBackward1"
    (y * nb.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    check(x.grad, np.array([[1, 2, 3], [1, 2, 3]], dtype=np.float32))


def test_split_with_sizes_and_its_node_name():
    x = nb.arange(6.0).view(2, 3).requires_grad_()
    a, b = x.split_with_sizes([1, 2], 1)
    check(a.detach(), np.array([[0], [3]], dtype=np.float32))
    check(b.detach(), np.array([[1, 2], [4, 5]], dtype=np.float32))
    assert a.grad_fn.name() == "SplitWithSizesBackward0"
    assert x.split([1, 1])[0].grad_fn.name() == "SplitWithSizesBackward0"
    assert x.split(1)[0].grad_fn.name() == "SplitBackward0"
    (b * 2).sum().backward()
    check(x.grad, np.array([[0, 2, 2], [0, 2, 2]], dtype=np.float32))
    assert [t.shape for t in nb.split_with_sizes(nb.ones(3), [1, 2])] == [(1,), (2,)]
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 3"):
        nb.ones(3).split_with_sizes([1, 1])


def test_in_and_reversed_as_torch():
    m = nb.arange(6).reshape(2, 3)
    assert nb.tensor(5) in m and 4 in m and 4.0 in m
    assert nb.tensor(7) not in m and nb.tensor([9, 4, 9]) in m  # (compared with broadcasting)
    assert True in nb.tensor([0, 1]) and np.int64(2) in m
    with pytest.raises(RuntimeError, match="Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                                           "<class 'str'>"):
        m.__contains__("a")
    np.testing.assert_array_equal(reversed(m).cpu().numpy(), [[3, 4, 5], [0, 1, 2]])
    s = nb.tensor(3.0)
    assert reversed(s) is s


def test_output_nr_and_new_empty_strided():
    a = nb.ones(2, requires_grad=True)
    assert a.output_nr == 0 and (a * 2).output_nr == 0 and nb.ones(1).output_nr == 0
    assert [p.output_nr for p in a.split(1)] == [0, 1]
    e = nb.ones(2, 2, dtype=nb.float64).new_empty_strided((2, 3), (1, 2))
    assert e.shape == (2, 3) and e.stride() == (1, 2) and e.dtype is nb.float64
