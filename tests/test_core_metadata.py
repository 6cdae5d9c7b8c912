"""What a tensor is (SPEC §1, §3, §10): Size, dtypes and their aliases, the metadata
accessors, dtype conversions and the default dtype."""
import pickle
import re

import numpy as np
import pytest

import nbtensor
from nbtensor import Size


# ---------------------------------------------------------------------------- Size
def test_size_repr_and_tuple_behaviour():
    s = nbtensor.zeros(5, 3).shape
    assert isinstance(s, Size) and isinstance(s, tuple)
    assert repr(s) == "nbtensor.Size([5, 3])"
    assert str(s) == "nbtensor.Size([5, 3])"
    assert repr(Size([])) == "nbtensor.Size([])"
    assert s == (5, 3) and s == Size([5, 3]) and s[0] == 5 and len(s) == 2
    assert isinstance(s[1:], Size) and repr(s[1:]) == "nbtensor.Size([3])"
    assert isinstance(s + (2,), Size) and s + (2,) == (5, 3, 2)
    assert s.numel() == 15 and Size([]).numel() == 1 and Size([2, 0]).numel() == 0
    assert nbtensor.zeros(5, 3).size() == s
    assert list(s) == [5, 3]
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(TypeError):
        Size([1.5])


# ---------------------------------------------------------------------------- dtypes
def test_dtype_repr_and_aliases():
    assert repr(nbtensor.float32) == "nbtensor.float32"
    assert str(nbtensor.int64) == "nbtensor.int64"
    aliases = {"float": "float32", "double": "float64", "half": "float16", "int": "int32",
               "long": "int64", "short": "int16"}
    for alias, name in aliases.items():
        assert getattr(nbtensor, alias) is getattr(nbtensor, name)
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    for name in names:
        d = getattr(nbtensor, name)
        assert isinstance(d, nbtensor.dtype)
        assert repr(d) == f"nbtensor.{name}"
        assert d.itemsize == np.dtype(name if name != "bool" else np.bool_).itemsize
        assert pickle.loads(pickle.dumps(d)) is d
    assert nbtensor.zeros(1).dtype is nbtensor.float
    assert {nbtensor.float32: 1}[nbtensor.float] == 1


def test_dtype_properties():
    assert nbtensor.float16.is_floating_point and nbtensor.float64.is_floating_point
    assert not nbtensor.int64.is_floating_point and not nbtensor.bool.is_floating_point
    assert nbtensor.int8.is_signed and nbtensor.float32.is_signed
    assert not nbtensor.uint8.is_signed and not nbtensor.bool.is_signed
    assert not nbtensor.float32.is_complex
    assert nbtensor.float64.itemsize == 8 and nbtensor.bool.itemsize == 1
    assert nbtensor.promote_types(nbtensor.int32, nbtensor.float16) is nbtensor.float16
    assert nbtensor.promote_types(nbtensor.uint8, nbtensor.int8) is nbtensor.int16
    assert nbtensor.promote_types(nbtensor.bool, nbtensor.int8) is nbtensor.int8


def test_default_dtype():
    assert nbtensor.get_default_dtype() is nbtensor.float32
    try:
        nbtensor.set_default_dtype(nbtensor.float64)
        assert nbtensor.get_default_dtype() is nbtensor.float64
        assert nbtensor.tensor([1.5]).dtype is nbtensor.float64
        assert nbtensor.tensor([1]).dtype is nbtensor.int64
        nbtensor.set_default_dtype(nbtensor.float16)
        assert nbtensor.ones(1).dtype is nbtensor.float16
    finally:
        nbtensor.set_default_dtype(nbtensor.float32)
    assert nbtensor.get_default_dtype() is nbtensor.float32
    for bad in (nbtensor.int64, nbtensor.bool):
        with pytest.raises(TypeError, match="only floating-point types"):
            nbtensor.set_default_dtype(bad)
    assert nbtensor.get_default_dtype() is nbtensor.float32


# ---------------------------------------------------------------------------- metadata
def test_shape_size_dim_numel():
    t = nbtensor.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4)
    assert t.size(0) == 2 and t.size(-1) == 4 and t.size(1) == 3
    assert t.dim() == 3 and t.ndim == 3 and t.ndimension() == 3
    assert t.numel() == 24 and t.nelement() == 24 and nbtensor.numel(t) == 24
    assert len(t) == 2
    s = nbtensor.tensor(1.0)
    assert s.shape == () and s.dim() == 0 and s.numel() == 1 and s.stride() == ()
    e = nbtensor.zeros(0, 3)
    assert e.numel() == 0 and e.shape == (0, 3) and len(e) == 0
    with pytest.raises(IndexError, match=re.escape("expected to be in range of [-3, 2], but got 3")):
        t.size(3)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        s.size(0)
    with pytest.raises(TypeError, match="0-d"):
        len(s)


def test_strides_offsets_contiguity():
    t = nbtensor.zeros(2, 3)
    assert t.stride() == (3, 1) and t.stride(0) == 3 and t.stride(-1) == 1
    assert t.storage_offset() == 0 and t.is_contiguous()
    assert t[1].storage_offset() == 3 and t[:, 1].storage_offset() == 1
    assert t[:, 1].stride() == (3,)
    tt = t.t()
    assert tt.stride() == (1, 3) and not tt.is_contiguous()
    assert nbtensor.zeros(2, 1, 3).transpose(0, 1).is_contiguous()     # size-1 dims don't count
    assert nbtensor.zeros(1, 3).t().is_contiguous()
    assert nbtensor.zeros(3, 1).t().stride() == (1, 1)
    assert nbtensor.zeros(0, 3).stride() == (3, 1) and nbtensor.zeros(0, 3).t().is_contiguous()
    assert nbtensor.zeros(4, 4)[:, ::2].stride() == (4, 2)
    assert not nbtensor.zeros(4, 4)[:, ::2].is_contiguous()
    assert nbtensor.zeros(4, 4)[::2].is_contiguous() is False
    assert nbtensor.zeros(4, 4)[1:3].is_contiguous()


@pytest.mark.cpu_only  # CPU identity: device, legacy CPU classes, repr, pointers
def test_data_ptr_and_element_size():
    t = nbtensor.zeros(2, 3)
    assert t.element_size() == 4 and t.itemsize == 4 and t.nbytes == 24
    assert t.data_ptr() == t.cpu().numpy().ctypes.data
    assert t[1].data_ptr() == t.data_ptr() + 3 * 4
    assert t[:, 2].data_ptr() == t.data_ptr() + 2 * 4
    assert t.t().data_ptr() == t.data_ptr()
    assert t.clone().data_ptr() != t.data_ptr()
    for d, size in ((nbtensor.float16, 2), (nbtensor.bool, 1), (nbtensor.int64, 8), (nbtensor.uint8, 1),
                    (nbtensor.float64, 8), (nbtensor.int16, 2), (nbtensor.int32, 4), (nbtensor.int8, 1)):
        assert nbtensor.zeros(2, dtype=d).element_size() == size


@pytest.mark.cpu_only  # CPU identity: device, legacy CPU classes, repr, pointers
def test_device_and_flags():
    t = nbtensor.zeros(2)
    assert t.device == nbtensor.device("cpu") and t.device.type == "cpu" and t.device.index is None
    assert not t.is_cuda and t.is_cpu
    assert t.is_floating_point() and nbtensor.is_floating_point(t)
    assert not nbtensor.zeros(1, dtype=nbtensor.int8).is_floating_point()
    assert nbtensor.is_tensor(t) and not nbtensor.is_tensor(np.zeros(1))
    assert t.requires_grad is False
    assert t.cpu() is t


# ---------------------------------------------------------------------------- conversions
@pytest.mark.parametrize("method, dtype", [
    ("float", nbtensor.float32), ("double", nbtensor.float64), ("half", nbtensor.float16),
    ("long", nbtensor.int64), ("int", nbtensor.int32), ("short", nbtensor.int16),
    ("char", nbtensor.int8), ("byte", nbtensor.uint8), ("bool", nbtensor.bool),
])
def test_dtype_shortcuts(method, dtype):
    values = [0.0, 1.75, 2.5, 3.0] if dtype is nbtensor.uint8 else [0.0, 1.75, -2.5, 3.0]
    t = nbtensor.tensor(values)
    r = getattr(t, method)()
    assert r.dtype is dtype and r.shape == t.shape
    if dtype is not t.dtype:
        assert r is not t and r.data_ptr() != t.data_ptr()
    assert np.array_equal(r.cpu().numpy(), np.array(values, dtype=np.float32).astype(dtype.np))
    assert getattr(r, method)() is r                   # nothing changes: the same tensor


def test_casts_follow_torch():
    assert nbtensor.tensor([1.7, -1.7, 0.0]).long().tolist() == [1, -1, 0]
    assert nbtensor.tensor([1.7, -1.7, 0.0]).bool().tolist() == [True, True, False]
    assert nbtensor.tensor([1, 2]).float().tolist() == [1.0, 2.0]
    assert nbtensor.tensor([True, False]).int().tolist() == [1, 0]
    assert nbtensor.tensor([1 / 3]).half().item() == float(np.float16(1 / 3))
    assert nbtensor.tensor([300]).to(nbtensor.uint8).tolist() == [44]


@pytest.mark.cpu_only  # CPU identity: device, legacy CPU classes, repr, pointers
def test_to_forms_and_identity():
    t = nbtensor.zeros(2, 3)
    assert t.to(nbtensor.float32) is t
    assert t.to("cpu") is t and t.to(nbtensor.device("cpu")) is t
    assert t.to("cpu", nbtensor.float32) is t
    assert t.to(t) is t
    assert t.float() is t
    assert t.type_as(nbtensor.ones(1)) is t
    assert t.to(nbtensor.float32, copy=True) is not t
    d = t.to(nbtensor.float64)
    assert d.dtype is nbtensor.float64 and d is not t
    assert t.to("cpu", nbtensor.int64).dtype is nbtensor.int64
    assert t.to(device="cpu", dtype=nbtensor.int32).dtype is nbtensor.int32
    assert t.to(nbtensor.zeros(1, dtype=nbtensor.int8)).dtype is nbtensor.int8
    assert t.type_as(nbtensor.zeros(1, dtype=nbtensor.int32)).dtype is nbtensor.int32
    assert t.to(float).dtype is nbtensor.float64 and t.to(int).dtype is nbtensor.int64
    assert t.type() == "torch.FloatTensor" and nbtensor.zeros(1, dtype=nbtensor.int64).type() == "torch.LongTensor"
    assert t.type(nbtensor.float64).dtype is nbtensor.float64
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        t.to("float64")
    with pytest.raises(TypeError):
        t.to(nbtensor.float32, bogus=1)


def test_conversion_keeps_layout_and_values_of_views():
    base = nbtensor.arange(12).view(3, 4)
    v = base.t()
    f = v.double()
    assert f.stride() == (1, 4)                     # dense permutation kept (preserve_format)
    assert np.array_equal(f.cpu().numpy(), base.cpu().numpy().T.astype(np.float64))
    s = base[:, ::2].float()
    assert s.is_contiguous() and np.array_equal(s.cpu().numpy(), base.cpu().numpy()[:, ::2])
    assert not np.shares_memory(s.cpu().numpy(), base.cpu().numpy())


def test_pickle_and_deepcopy_copy_the_data():
    import copy
    t = nbtensor.arange(6.0).view(2, 3).t()
    p = pickle.loads(pickle.dumps(t))
    assert p.tolist() == t.tolist() and p.dtype is t.dtype
    d = copy.deepcopy(t)
    d[0, 0] = 100
    assert t[0, 0].item() == 0


def test_public_classes_are_shown_under_nbtensor():
    # torch shows <class 'torch.Tensor'>; D2L 2.2 displays type(A), type(B)
    t = nbtensor.zeros(1)
    assert repr(type(t)) == "<class 'nbtensor.Tensor'>"
    assert repr(type(t.shape)) == "<class 'nbtensor.Size'>"
    assert repr(type(t.dtype)) == "<class 'nbtensor.dtype'>"
    assert repr(type(t.device)) == "<class 'nbtensor.device'>"
    assert pickle.loads(pickle.dumps(t.device)) == t.device


def test_detach_shares_memory_and_grad_switches():
    x = nbtensor.arange(6.0).reshape(2, 3)
    d = x.detach()
    assert d is not x and d.data_ptr() == x.data_ptr() and d.shape == x.shape
    d[0, 0] = 7.0                       # writes show through, as torch's detach
    assert x[0, 0].item() == 7.0
    assert x.detach_() is x and x.requires_grad is False and x.grad is None and x.is_leaf
    assert x.requires_grad_(False) is x
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    assert nbtensor.is_grad_enabled() is True
    with nbtensor.no_grad():
        assert nbtensor.is_grad_enabled() is False
        y = x * 2
    assert not y.requires_grad and nbtensor.is_grad_enabled() is True
    np.testing.assert_array_equal(y.detach().cpu().numpy(), x.detach().cpu().numpy() * 2)

    @nbtensor.no_grad()
    def double(t):
        return t * 2
    assert not double(x).requires_grad and (x * 2).requires_grad
    with nbtensor.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert nbtensor.is_grad_enabled() is True
