"""The NumPy bridge (SPEC §9): numpy()/from_numpy share memory both ways, tensor()
copies, as_tensor shares when it can, __array__, DLPack with NumPy (and PyTorch when
it is installed), item/tolist/int/float/bool, and the errors for bad input."""
import gc
import re

import numpy as np
import pytest

import nbtensor

pytestmark = pytest.mark.cpu_only  # the NumPy bridge (numpy(), from_numpy, DLPack) is the CPU's, as in torch


def shares(x, y):
    x = x.cpu().numpy() if isinstance(x, nbtensor.Tensor) else x
    y = y.cpu().numpy() if isinstance(y, nbtensor.Tensor) else y
    return np.shares_memory(x, y)


# ---------------------------------------------------------------------------- numpy()
@pytest.mark.parametrize("view, np_view", [
    (lambda t: t, lambda a: a),
    (lambda t: t.t(), lambda a: a.T),
    (lambda t: t[1:, ::2], lambda a: a[1:, ::2]),
    (lambda t: t[2], lambda a: a[2]),
    (lambda t: t[:, 1], lambda a: a[:, 1]),
    (lambda t: t.diagonal(), lambda a: np.diagonal(a)),
    (lambda t: t.unsqueeze(1).expand(3, 2, 4), lambda a: np.broadcast_to(a[:, None], (3, 2, 4))),
    (lambda t: t[1, 1], lambda a: a[1, 1, ...]),           # 0-d
    (lambda t: t[:, 4:], lambda a: a[:, 4:]),              # empty
])
def test_numpy_shares_memory_with_any_view(view, np_view):
    base = nbtensor.arange(12.0).view(3, 4)
    v = view(base)
    a = v.cpu().numpy()
    assert isinstance(a, np.ndarray)
    assert a.shape == tuple(v.shape) and a.dtype == np.float32
    assert a.strides == tuple(s * 4 for s in v.stride())
    assert np.array_equal(a, np_view(np.arange(12.0, dtype=np.float32).reshape(3, 4)))
    if a.size == 0:
        return
    assert shares(a, base)
    if all(s != 0 for s, n in zip(v.stride(), v.shape) if n > 1):
        a[...] = -1                               # numpy -> tensor
        assert (v.cpu().numpy() == -1).all()
        assert (base.cpu().numpy() == -1).sum() == a.size
    base.fill_(5)                                 # tensor -> numpy
    assert (a == 5).all()


def test_numpy_data_pointer_and_lifetime():
    t = nbtensor.arange(6.0).view(2, 3)
    assert t.cpu().numpy().ctypes.data == t.data_ptr()
    assert t[1, 1:].cpu().numpy().ctypes.data == t[1, 1:].data_ptr()
    a = t.cpu().numpy()
    del t
    gc.collect()
    assert a.tolist() == [[0, 1, 2], [3, 4, 5]]   # the array keeps the storage alive


def test_numpy_of_every_dtype():
    for d in (nbtensor.bool, nbtensor.uint8, nbtensor.int8, nbtensor.int16, nbtensor.int32,
              nbtensor.int64, nbtensor.float16, nbtensor.float32, nbtensor.float64):
        t = nbtensor.ones(2, dtype=d)
        a = t.cpu().numpy()
        assert a.dtype == d.np and shares(a, t)


# ---------------------------------------------------------------------------- from_numpy
@pytest.mark.parametrize("make", [
    lambda: np.arange(12.0).reshape(3, 4),
    lambda: np.arange(12.0).reshape(3, 4).T,                   # transposed
    lambda: np.arange(24, dtype=np.int32).reshape(4, 6)[1:, ::2],
    lambda: np.arange(24, dtype=np.int16).reshape(2, 3, 4).transpose(2, 0, 1)[::2],
    lambda: np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    lambda: np.array(3.5),                                     # 0-d
    lambda: np.zeros((2, 0)),                                  # empty
    lambda: np.ones(5, dtype=np.float16),
    lambda: np.array([True, False, True]),
])
def test_from_numpy_shares_memory_both_ways(make):
    a = make()
    t = nbtensor.from_numpy(a)
    assert tuple(t.shape) == a.shape
    assert t.dtype.np == a.dtype
    assert t.stride() == tuple(s // a.itemsize for s in a.strides)
    assert np.array_equal(t.cpu().numpy(), a)
    if a.size == 0:
        return
    assert shares(t, a)
    assert t.data_ptr() == a.ctypes.data
    t.fill_(0)                                    # tensor -> numpy
    assert not a.any()
    a[...] = 1                                    # numpy -> tensor
    assert (t.cpu().numpy() == 1).all()
    assert t.cpu().numpy().strides == a.strides


def test_from_numpy_views_of_the_tensor_share_too():
    a = np.zeros((3, 4))
    t = nbtensor.from_numpy(a)
    t[1:, ::2] = 7
    t.t()[0] = 1
    expected = np.zeros((3, 4))
    expected[1:, ::2] = 7
    expected[:, 0] = 1
    assert np.array_equal(a, expected)


def test_from_numpy_keeps_the_array_alive():
    a = np.arange(5.0)
    t = nbtensor.from_numpy(a)
    del a
    gc.collect()
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_from_numpy_errors():
    with pytest.raises(ValueError, match="negative"):
        nbtensor.from_numpy(np.arange(3)[::-1])
    with pytest.raises(ValueError, match="negative"):
        nbtensor.from_numpy(np.arange(6).reshape(2, 3)[:, ::-2])
    with pytest.raises(TypeError, match="object"):
        nbtensor.from_numpy(np.array([1, "a"], dtype=object))
    with pytest.raises(TypeError, match="complex64"):
        nbtensor.from_numpy(np.zeros(2, dtype=np.complex64))
    with pytest.raises(TypeError, match="uint16"):
        nbtensor.from_numpy(np.zeros(2, dtype=np.uint16))
    with pytest.raises(TypeError):
        nbtensor.from_numpy(np.zeros(2, dtype=">f8"))        # non-native byte order
    with pytest.raises(TypeError, match="expected np.ndarray"):
        nbtensor.from_numpy([1, 2])


def test_read_only_arrays_share_but_refuse_writes():
    a = np.arange(3.0)
    a.flags.writeable = False
    t = nbtensor.from_numpy(a)
    assert shares(t, a) and t.tolist() == [0.0, 1.0, 2.0]
    assert (t + 1).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="read-only"):
        t[0] = 5
    with pytest.raises(RuntimeError, match="read-only"):
        t.fill_(1)
    c = t.clone()
    c[0] = 5
    assert a[0] == 0 and c[0].item() == 5


# ---------------------------------------------------------------------------- tensor / as_tensor / __array__
def test_tensor_copies_as_tensor_shares():
    a = np.arange(4.0)
    t = nbtensor.tensor(a)
    assert not shares(t, a)
    s = nbtensor.as_tensor(a)
    assert shares(s, a) and s.dtype is nbtensor.float64
    s[0] = 9
    assert a[0] == 9
    c = nbtensor.as_tensor(a, dtype=nbtensor.float32)         # dtype change: a copy
    assert c.dtype is nbtensor.float32 and not shares(c, a)
    x = nbtensor.arange(3)
    assert nbtensor.as_tensor(x) is x
    assert nbtensor.as_tensor(x, dtype=nbtensor.int64) is x
    assert nbtensor.as_tensor(x, dtype=nbtensor.float64).dtype is nbtensor.float64
    assert nbtensor.as_tensor([1, 2]).tolist() == [1, 2]
    r = nbtensor.as_tensor(np.arange(3)[::-1])                 # cannot share: copies
    assert r.tolist() == [2, 1, 0]
    assert nbtensor.asarray(a).data_ptr() == a.ctypes.data


def test_array_protocol():
    t = nbtensor.arange(6.0).view(2, 3)
    a = np.asarray(t)
    assert shares(a, t)
    a[0, 0] = 42
    assert t[0, 0].item() == 42
    assert not shares(np.array(t), t)                          # np.array copies
    f = np.asarray(t, dtype=np.float64)
    assert f.dtype == np.float64 and not shares(f, t)
    assert np.asarray(t.t()).strides == (4, 12)
    assert np.asarray(nbtensor.tensor(2)).shape == ()


# ---------------------------------------------------------------------------- DLPack with NumPy
def test_dlpack_to_numpy_shares():
    t = nbtensor.arange(12.0).view(3, 4)
    v = t[:, 1::2]
    a = np.from_dlpack(v)
    assert a.shape == (3, 2) and a.strides == (16, 8) and shares(a, t)
    a[0, 0] = 100
    assert t[0, 1].item() == 100
    assert np.from_dlpack(t.T).strides == (4, 16)
    assert np.from_dlpack(nbtensor.tensor(3.0)).shape == ()
    assert np.from_dlpack(nbtensor.zeros(0, 3)).shape == (0, 3)
    e = nbtensor.tensor([1.0, 2.0]).expand(3, 2)
    assert np.from_dlpack(e).strides == (0, 4)
    assert t.__dlpack_device__() == (1, 0)
    c = np.from_dlpack(t, copy=True)
    c[0, 0] = -1
    assert t[0, 0].item() == 0


def test_dlpack_from_numpy_shares():
    n = np.arange(6.0).reshape(2, 3)[:, ::2]
    z = nbtensor.from_dlpack(n)
    assert z.stride() == (3, 2) and shares(z, n)
    z[1, 1] = 7
    assert n[1, 1] == 7
    assert nbtensor.from_dlpack(np.array([True, False])).dtype is nbtensor.bool
    assert nbtensor.from_dlpack(np.zeros((0, 3))).shape == (0, 3)
    t = nbtensor.ones(2)
    assert nbtensor.from_dlpack(t) is t
    with pytest.raises(TypeError, match="__dlpack__"):
        nbtensor.from_dlpack([1, 2])


# ---------------------------------------------------------------------------- DLPack with PyTorch
def test_dlpack_with_torch_both_ways():
    torch = pytest.importorskip("torch")
    t = nbtensor.arange(12.0).view(3, 4)
    v = t[:, 1::2]
    tt = torch.from_dlpack(v)
    assert tuple(tt.shape) == (3, 2) and tt.stride() == (4, 2) and tt.dtype == torch.float32
    tt[1, 1] = -5
    assert t[1, 3].item() == -5
    t[2, 1] = 77
    assert tt[2, 0].item() == 77
    assert torch.from_dlpack(t.T).stride() == (1, 4)
    assert torch.from_dlpack(nbtensor.tensor([True, False])).tolist() == [True, False]
    assert torch.from_dlpack(nbtensor.tensor([1.5], dtype=nbtensor.float16)).dtype == torch.float16
    x = torch.arange(6.0).view(2, 3).t()
    y = nbtensor.from_dlpack(x)
    assert y.stride() == (1, 3) and y.dtype is nbtensor.float32
    y[0, 1] = 42
    assert x[0, 1].item() == 42
    x[2, 0] = -3
    assert y[2, 0].item() == -3
    assert nbtensor.from_dlpack(torch.tensor([1, 2], dtype=torch.int8)).dtype is nbtensor.int8
    assert nbtensor.from_dlpack(torch.tensor(2.5)).shape == ()


# ---------------------------------------------------------------------------- Python numbers
def test_item_tolist_and_conversions():
    assert nbtensor.tensor(3.5).item() == 3.5
    assert type(nbtensor.tensor([3]).item()) is int
    assert type(nbtensor.tensor([1.5], dtype=nbtensor.float16).item()) is float
    assert nbtensor.tensor([True]).item() is True
    assert nbtensor.tensor([[2.0]]).item() == 2.0
    assert nbtensor.arange(6).view(2, 3).t()[1, 0].item() == 1
    assert nbtensor.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert nbtensor.tensor(2.5).tolist() == 2.5
    assert nbtensor.arange(6).view(2, 3).t().tolist() == [[0, 3], [1, 4], [2, 5]]
    assert nbtensor.zeros(2, 0).tolist() == [[], []]
    assert type(nbtensor.tensor([1, 2], dtype=nbtensor.uint8).tolist()[0]) is int
    assert int(nbtensor.tensor([7.9])) == 7 and int(nbtensor.tensor(-2.5)) == -2
    assert float(nbtensor.tensor(3)) == 3.0 and type(float(nbtensor.tensor(3))) is float
    assert bool(nbtensor.tensor([0.0])) is False and bool(nbtensor.tensor(2)) is True
    assert f"{nbtensor.tensor(3.14159):.2f}" == "3.14"
    assert [10, 20, 30][nbtensor.tensor(1)] == 20                   # __index__


@pytest.mark.parametrize("data, message", [
    ([[1, 2], [3]], "expected sequence of length 2 at dim 1 \\(got 1\\)"),
    ([[1.5, 2], [3, 4, 5]], "expected sequence of length 2 at dim 1 \\(got 3\\)"),
    ([[[1], [2]], [[3], [4, 5]]], "expected sequence of length 1 at dim 2 \\(got 2\\)"),
    (([1, 2], (3,)), "expected sequence of length 2 at dim 1 \\(got 1\\)"),
])
def test_ragged_nested_lists_name_the_first_sequence_of_another_length(data, message):
    # (torch's message: the shape is read off the first elements, then checked in order)
    with pytest.raises(ValueError, match=message):
        nbtensor.tensor(data)


def test_conversion_errors():
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        nbtensor.zeros(2).item()
    with pytest.raises(RuntimeError, match="a Tensor with 0 elements cannot be converted to Scalar"):
        nbtensor.zeros(0).item()
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        int(nbtensor.zeros(2))
    with pytest.raises(ValueError, match="only one element tensors"):
        float(nbtensor.zeros(0))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(nbtensor.zeros(2))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(nbtensor.zeros(0))
    with pytest.raises(TypeError):
        [1, 2][nbtensor.tensor(1.0)]
    with pytest.raises(TypeError, match="0-d"):
        len(nbtensor.tensor(1))


def test_tensor_reads_ranges_as_sequences():
    t = nbtensor.tensor([range(3), range(3, 6)])
    assert t.dtype is nbtensor.int64
    np.testing.assert_array_equal(t.cpu().numpy(), [[0, 1, 2], [3, 4, 5]])
    assert nbtensor.tensor(range(0)).dtype is nbtensor.float32


@pytest.mark.parametrize("data, dtype, expected", [
    ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], nbtensor.float32, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    ([[1, 2], [3, 4.5]], nbtensor.float32, [[1.0, 2.0], [3.0, 4.5]]),  # an int and a float: the default dtype
    ([True, 2], nbtensor.int64, [1, 2]),
    ([[True], [False]], nbtensor.bool, [[True], [False]]),
    ([(1, 2), [3, 4]], nbtensor.int64, [[1, 2], [3, 4]]),
    ([[[2 ** 63 - 1]], [[-2 ** 63]]], nbtensor.int64, [[[2 ** 63 - 1]], [[-2 ** 63]]]),
    ([[], []], nbtensor.float32, [[], []]),
    ([0.1, np.float64(2)], nbtensor.float64, [0.1, 2.0]),  # a NumPy scalar keeps its dtype
])
def test_nested_python_numbers_take_torchs_dtype_and_values(data, dtype, expected):
    t = nbtensor.tensor(data)
    assert t.dtype is dtype
    np.testing.assert_array_equal(t.numpy(), np.array(expected, dtype=dtype.np))


@pytest.mark.parametrize("data, dtype", [([2 ** 63], None), ([1, 2 ** 63], None), ([[-2 ** 63 - 1]], None),
                                         ([2 ** 64], None), ([2 ** 63], "int32"), ([2 ** 63], "int64")])
def test_python_ints_past_int64_raise_torchs_overflow_instead_of_wrapping(data, dtype):
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        nbtensor.tensor(data, dtype=getattr(nbtensor, dtype) if dtype else None)


def test_python_ints_past_int64_read_as_floats_when_a_float_dtype_is_asked_for():
    assert nbtensor.tensor([2 ** 63], dtype=nbtensor.float32).item() == float(2 ** 63)
    assert nbtensor.tensor([1.5, 2 ** 63]).tolist() == [1.5, float(np.float32(2 ** 63))]


@pytest.mark.parametrize("data, dtype, value", [
    ([300], "uint8", "300"), ([-256], "uint8", "-256"), ([128], "int8", "128"), ([[1, 2], [3, 400]], "int8", "400"),
    ([1.5e10], "int32", "15000000000.0"), ([float("nan")], "int32", "nan"), ([-1.5], "uint8", "-1.5"),
    ([255.9], "uint8", "255.9"), ([2 ** 31], "int32", "2147483648"), (300, "uint8", "300")])
def test_python_numbers_that_do_not_fit_an_integer_dtype_raise_torchs_overflow_error(data, dtype, value):
    # torch checks each Python number it stores (c10's checked conversion) instead of wrapping
    with pytest.raises(RuntimeError, match=rf"value cannot be converted to type {dtype} without overflow "
                                           rf"\(got {value}\)"):
        nbtensor.tensor(data, dtype=getattr(nbtensor, dtype))


@pytest.mark.parametrize("data, dtype, expected", [
    ([-1, -255, 255], "uint8", [255, 1, 255]),  # a negative int wraps into an unsigned type, as in torch
    ([-3.7, 127.0], "int8", [-3, 127]),  # floats in range truncate toward zero
    ([2.5, 0.0], "bool", [True, False]),
    ([1e40], "float32", [np.inf]),  # a float dtype takes any float: too large is inf
])
def test_python_numbers_that_fit_convert_as_torch_converts_them(data, dtype, expected):
    t = nbtensor.tensor(data, dtype=getattr(nbtensor, dtype))
    np.testing.assert_array_equal(t.numpy(), np.array(expected, dtype=getattr(nbtensor, dtype).np))


@pytest.mark.parametrize("data, dtype, error, message", [
    (np.float64(1e40), "int32", RuntimeError, "value cannot be converted to type int32 without overflow"),
    (np.int64(300), "uint8", RuntimeError, "value cannot be converted to type uint8 without overflow"),
    (np.float32(1.5), "int64", TypeError, "'numpy.float32' object cannot be interpreted as an integer"),
    ([True, np.float32(2)], "int64", TypeError, "'numpy.float32' object cannot be interpreted as an integer"),
    (np.bool_(True), "int64", TypeError, "'numpy.bool' object cannot be interpreted as an integer"),
    (np.uint64(2 ** 63), "int64", ValueError, "Overflow when unpacking long long"),
    ([[2 ** 63], [1]], "int64", ValueError, "Overflow when unpacking long long"),
    ([1.5, 2 ** 63], "int64", ValueError, "Overflow when unpacking long long"),
])
def test_numbers_of_python_data_into_an_integer_dtype_are_checked_as_torch_checks_them(data, dtype, error, message):
    with pytest.raises(error, match=re.escape(message)):
        nbtensor.tensor(data, dtype=getattr(nbtensor, dtype))


def test_tensors_inside_a_list_are_single_numbers():
    # torch reads each tensor of a list as one number (its item), never as a block
    t = nbtensor.tensor([nbtensor.tensor([1]), nbtensor.tensor([2])])
    assert t.shape == (2,) and t.tolist() == [1, 2]
    assert nbtensor.tensor([[nbtensor.tensor(1.5)], [nbtensor.tensor([2.5])]]).tolist() == [[1.5], [2.5]]
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        nbtensor.tensor([nbtensor.tensor([1, 2]), nbtensor.tensor([3, 4])])
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        nbtensor.tensor([nbtensor.tensor([1.5, 2.0])])
    assert nbtensor.tensor(np.bool_(True), dtype=nbtensor.bool).item() is True
    assert nbtensor.tensor(np.int64(-1), dtype=nbtensor.uint8).item() == 255


def test_frombuffer_shares_the_buffers_memory():
    import array
    raw = bytearray(b"\x01\x02\x03\x04\x05\x06\x07\x08")
    t = nbtensor.frombuffer(raw, dtype=nbtensor.int16)
    np.testing.assert_array_equal(t.numpy(), np.frombuffer(bytes(raw), dtype=np.int16))
    t[0] = 0
    assert raw[:2] == b"\x00\x00"  # one memory
    np.testing.assert_array_equal(nbtensor.frombuffer(raw, dtype=nbtensor.uint8, count=3, offset=2).numpy(), [3, 4, 5])
    np.testing.assert_array_equal(nbtensor.frombuffer(array.array("f", [1.5, 2.5]), dtype=nbtensor.float32).numpy(),
                                  [1.5, 2.5])
    assert nbtensor.frombuffer(raw, dtype=nbtensor.float32, requires_grad=True).requires_grad
    frozen = nbtensor.frombuffer(b"ab", dtype=nbtensor.uint8)
    with pytest.raises(RuntimeError, match="read-only"):
        frozen.add_(1)  # (torch warns and lets it write into the bytes object)


@pytest.mark.parametrize("kwargs, message", [
    (dict(dtype="int32", offset=2), r"buffer length \(6 bytes\) after offset \(2 bytes\) must be a multiple of element "
                                    r"size \(4\)"),
    (dict(dtype="uint8", count=9), r"requested buffer length \(9 \* 1 bytes\) after offset \(0 bytes\) must not be "
                                   r"greater than actual buffer length \(8 bytes\)"),
    (dict(dtype="uint8", offset=8), r"offset \(8 bytes\) must be non-negative and no greater than buffer length "
                                    r"\(8 bytes\) minus 1"),
    (dict(dtype="uint8", count=0), r"both buffer length \(8\) and count \(0\) must not be 0"),
])
def test_frombuffer_bad_input(kwargs, message):
    kwargs = dict(kwargs, dtype=getattr(nbtensor, kwargs["dtype"]))
    with pytest.raises(ValueError, match=message):
        nbtensor.frombuffer(bytearray(8), **kwargs)
    with pytest.raises(ValueError, match="object does not implement Python buffer protocol"):
        nbtensor.frombuffer([1, 2], dtype=nbtensor.uint8)
