"""Creating tensors (SPEC §2): dtype inference, sizes, dtype=/device=, *_like, new_*,
the legacy constructor, seeded random creators and the in-place fills; bad dtype and
device arguments (SPEC §10, §12)."""
import math
import re

import warnings

import numpy as np
import pytest

import nbtensor
from nbtensor import Tensor

F32, F64, I64 = nbtensor.float32, nbtensor.float64, nbtensor.int64


# ---------------------------------------------------------------------------- dtype inference
@pytest.mark.parametrize("data, dtype", [
    ([5.5, 3], F32),
    ([1, 2], I64),
    ([True], nbtensor.bool),
    ([True, 1], I64),
    ([1, 2.5, True], F32),
    ([[1, 2], [3, 4]], I64),
    (((1, 2), (3, 4.5)), F32),
    (3, I64),
    (3.5, F32),
    (False, nbtensor.bool),
    ([], F32),
    ([[], []], F32),
    (np.arange(3, dtype=np.int32), nbtensor.int32),
    (np.ones(2, dtype=np.float64), F64),
    (np.ones(2, dtype=np.float16), nbtensor.float16),
    (np.array([True, False]), nbtensor.bool),
    (np.array(2, dtype=np.uint8), nbtensor.uint8),
    (np.float64(2.5), F64),
    ([np.int32(1), np.int32(2)], nbtensor.int32),           # NumPy scalars keep their dtype
    ([np.float64(1.5), 2.0], F64),                          # promoted with the elements
    ([np.uint8(1), np.int8(1)], nbtensor.int16),
])
def test_tensor_dtype_inference(data, dtype):
    t = nbtensor.tensor(data)
    assert t.dtype is dtype
    assert np.array_equal(t.cpu().numpy(), np.asarray(data, dtype=dtype.np))


def test_tensor_infers_from_tensor_elements():
    assert nbtensor.tensor([nbtensor.tensor(1.0, dtype=F64)]).dtype is F64
    assert nbtensor.tensor([nbtensor.tensor(1, dtype=nbtensor.int32), 2]).dtype is I64
    assert nbtensor.tensor([nbtensor.tensor(1, dtype=nbtensor.float16), 2.0]).dtype is F32
    assert nbtensor.tensor(nbtensor.arange(3, dtype=nbtensor.int8)).dtype is nbtensor.int8


def test_tensor_shapes_and_explicit_dtype():
    assert nbtensor.tensor(3).shape == ()
    assert nbtensor.tensor([]).shape == (0,)
    assert nbtensor.tensor([[], []]).shape == (2, 0)
    assert nbtensor.tensor([[1, 2, 3], [4, 5, 6]]).shape == (2, 3)
    t = nbtensor.tensor([1.7, -1.7, 2.5], dtype=I64)
    assert t.dtype is I64 and t.tolist() == [1, -1, 2]             # truncation toward zero
    assert nbtensor.tensor([1, 2], dtype=F32).tolist() == [1.0, 2.0]
    assert nbtensor.tensor([0, 2], dtype=nbtensor.bool).tolist() == [False, True]
    assert nbtensor.tensor([2 ** 40]).item() == 2 ** 40


def test_tensor_always_copies():
    a = np.arange(4.0)
    t = nbtensor.tensor(a)
    a[0] = 100
    assert t[0].item() == 0.0
    src = nbtensor.arange(3)
    c = nbtensor.tensor(src)
    c[0] = 7
    assert src[0].item() == 0


def test_tensor_bad_data():
    with pytest.raises(ValueError):
        nbtensor.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        nbtensor.tensor("abc")
    with pytest.raises(RuntimeError, match="Could not infer dtype of object"):
        nbtensor.tensor([object()])
    with pytest.raises(RuntimeError, match="Could not infer dtype of dict"):
        nbtensor.tensor({1: 2})


# ---------------------------------------------------------------------------- ranges
def test_arange_dtypes_and_values():
    a = nbtensor.arange(1, 3)
    assert a.dtype is I64 and a.tolist() == [1, 2]
    assert nbtensor.arange(10).tolist() == list(range(10))
    f = nbtensor.arange(0.0, 1, 0.1)
    assert f.dtype is F32 and f.shape == (10,)
    assert np.array_equal(f.cpu().numpy(), (np.arange(10) * 0.1).astype(np.float32))
    assert nbtensor.arange(5.0).dtype is F32
    assert nbtensor.arange(1, 4, 0.5).tolist() == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert nbtensor.arange(5, 0, -1).tolist() == [5, 4, 3, 2, 1]
    assert np.allclose(nbtensor.arange(1, -1, -0.3).cpu().numpy(), [1.0, 0.7, 0.4, 0.1, -0.2, -0.5, -0.8])
    assert nbtensor.arange(0).shape == (0,)
    assert nbtensor.arange(5, dtype=F64).dtype is F64
    assert nbtensor.arange(3, dtype=nbtensor.int32).dtype is nbtensor.int32
    assert nbtensor.arange(nbtensor.tensor(3)).tolist() == [0, 1, 2]
    assert nbtensor.arange(12, dtype=F32).view(3, 4).shape == (3, 4)   # D2L 2.2


def test_arange_errors():
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        nbtensor.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        nbtensor.arange(0, 5, -1)
    with pytest.raises(RuntimeError, match="unsupported range"):
        nbtensor.arange(0, float("inf"))
    with pytest.raises(TypeError):
        nbtensor.arange("3")


@pytest.mark.cpu_only  # CPU identity: device, legacy CPU classes, repr, pointers
def test_linspace_matches_torch_values():
    # torch 2.13: computed in the output type with one rounding per element
    t = nbtensor.linspace(-1, 1, 7)
    assert t.dtype is F32
    assert t.cpu().numpy()[3] == np.float32(-2.9802322e-08)
    assert repr(t) == ("tensor([-1.0000e+00, -6.6667e-01, -3.3333e-01, -2.9802e-08,  3.3333e-01,\n"
                       "         6.6667e-01,  1.0000e+00])")
    assert nbtensor.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert nbtensor.linspace(3, 10, 1).tolist() == [3.0]
    assert nbtensor.linspace(0, 1, 0).shape == (0,)
    assert nbtensor.linspace(0, 10, 4, dtype=I64).tolist() == [0, 3, 6, 10]
    assert nbtensor.linspace(-3.5, 2, 12).tolist() == [
        -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
    assert nbtensor.linspace(0, 1, 3, dtype=F64).dtype is F64
    with pytest.raises(RuntimeError, match="non-negative"):
        nbtensor.linspace(0, 1, -1)


def test_eye():
    assert nbtensor.eye(3).tolist() == np.eye(3).tolist()
    e = nbtensor.eye(2, 3)
    assert e.dtype is F32 and e.tolist() == [[1, 0, 0], [0, 1, 0]]
    assert nbtensor.eye(2, dtype=I64).dtype is I64
    assert nbtensor.eye(2, dtype=nbtensor.bool).tolist() == [[True, False], [False, True]]
    assert nbtensor.eye(0).shape == (0, 0)
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        nbtensor.eye(-1)


# ---------------------------------------------------------------------------- constant fills
@pytest.mark.parametrize("fn, fill", [(nbtensor.zeros, 0), (nbtensor.ones, 1)])
def test_zeros_ones_size_forms(fn, fill):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3]), fn(nbtensor.Size([2, 3])), fn(size=(2, 3))):
        assert t.shape == (2, 3) and t.dtype is F32
        assert (t.cpu().numpy() == fill).all()
        assert t.is_contiguous()
    assert fn(()).shape == ()
    assert fn(0).shape == (0,)
    assert fn(2, 0, 3).shape == (2, 0, 3)
    assert fn(2, dtype=nbtensor.int32).dtype is nbtensor.int32
    assert fn(2, dtype=nbtensor.bool).tolist() == [bool(fill)] * 2


def test_empty_and_sizes_errors():
    e = nbtensor.empty(2, 3)
    assert e.shape == (2, 3) and e.dtype is F32 and e.is_contiguous()
    assert nbtensor.empty((4,), dtype=I64).dtype is I64
    with pytest.raises(RuntimeError, match=re.escape("negative dimension -1")):
        nbtensor.zeros(-1)
    with pytest.raises(RuntimeError, match=re.escape("negative dimension -3")):
        nbtensor.empty(2, -3)
    with pytest.raises(TypeError):
        nbtensor.zeros("a")
    with pytest.raises(TypeError, match="multiple values for argument 'size'"):
        nbtensor.zeros(2, size=(3,))


def test_out_argument_of_creators():
    o = nbtensor.empty(2, 2, dtype=F64)
    assert nbtensor.ones(2, 2, out=o) is o
    assert o.dtype is F64 and o.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert nbtensor.zeros((2, 2), out=o) is o and o.sum().item() == 0
    r = nbtensor.empty(3)
    nbtensor.manual_seed(0)
    nbtensor.rand(3, out=r)
    assert 0 <= r.cpu().numpy().min() and r.cpu().numpy().max() < 1


def test_full_dtype_inference():
    assert nbtensor.full((2, 3), 7).dtype is I64
    assert nbtensor.full((2,), 7.5).dtype is F32
    assert nbtensor.full((2,), True).dtype is nbtensor.bool
    assert nbtensor.full((2,), 7, dtype=F64).dtype is F64
    assert nbtensor.full([2], 1).tolist() == [1, 1]
    assert nbtensor.full((), 3.0).shape == ()
    assert nbtensor.full((2,), nbtensor.tensor(2.5)).tolist() == [2.5, 2.5]
    assert nbtensor.full((2, 2), -1.25).tolist() == [[-1.25, -1.25], [-1.25, -1.25]]
    # the plain path (a tuple of ints and a number) keeps -0.0's sign, nan and inf, and
    # leaves a float32 overflow to torch's error
    assert np.signbit(nbtensor.full((2,), -0.0).cpu().numpy()).all()
    assert np.isnan(nbtensor.full((1,), float("nan")).cpu().numpy()).all()
    assert nbtensor.full((3, 0), float("inf")).shape == (3, 0)
    assert nbtensor.full((2,), 2 ** 62).tolist() == [2 ** 62, 2 ** 62]
    with pytest.raises(RuntimeError, match="overflow"):
        nbtensor.full((2,), 1e40)


def test_arange_of_plain_ints_matches_numpy():
    for args in [(10,), (0,), (3, 10), (3, 10, 4), (5, 5), (-5, 5, 3), (7, 8, 100)]:
        t = nbtensor.arange(*args)
        assert t.dtype is I64 and t.stride() == (1,)
        np.testing.assert_array_equal(t.cpu().numpy(), np.arange(*args))
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        nbtensor.arange(10, 3)


@pytest.mark.cpu_only  # CPU identity: device, legacy CPU classes, repr, pointers
def test_default_dtype_governs_float_creators():
    assert nbtensor.get_default_dtype() is F32
    assert nbtensor.zeros(2, 3).dtype is F32 and nbtensor.ones((2, 3)).dtype is F32
    try:
        nbtensor.set_default_dtype(F64)
        assert nbtensor.tensor([1.5]).dtype is F64
        assert nbtensor.zeros(2).dtype is F64
        for creator, value in ((nbtensor.zeros, 0), (nbtensor.ones, 1), (nbtensor.empty, None)):
            for size in ((2, 3), ((2, 3),)):  # sizes seen before under float32 (memoised shapes)
                made = creator(*size)
                assert made.dtype is F64 and made.shape == (2, 3) and made.is_contiguous()
                if value is not None:
                    assert (made.numpy() == value).all()
        assert nbtensor.arange(0.0, 1.0, 0.5).dtype is F64
        assert nbtensor.rand(2).dtype is F64
        assert nbtensor.tensor([1, 2]).dtype is I64
        assert repr(nbtensor.tensor([1.5])) == "tensor([1.5000])"
        assert repr(nbtensor.tensor([1.5], dtype=F32)) == "tensor([1.5000], dtype=nbtensor.float32)"
    finally:
        nbtensor.set_default_dtype(F32)
    assert nbtensor.tensor([1.5]).dtype is F32
    with pytest.raises(TypeError):
        nbtensor.set_default_dtype(I64)


# ---------------------------------------------------------------------------- *_like and new_*
def test_like_functions():
    x = nbtensor.ones(2, 3, dtype=nbtensor.int32)
    z = nbtensor.zeros_like(x)
    assert z.dtype is nbtensor.int32 and z.shape == (2, 3) and z.sum().item() == 0
    o = nbtensor.ones_like(x, dtype=F64)
    assert o.dtype is F64 and (o.cpu().numpy() == 1).all()
    assert nbtensor.full_like(nbtensor.arange(3), 2.7).tolist() == [2, 2, 2]
    assert nbtensor.full_like(nbtensor.arange(3.0), 2.5).tolist() == [2.5, 2.5, 2.5]
    e = nbtensor.empty_like(x)
    assert e.shape == x.shape and e.dtype is x.dtype
    assert nbtensor.rand_like(nbtensor.ones(2, 3, dtype=F64)).dtype is F64
    r = nbtensor.randn_like(nbtensor.ones(4, 5))
    assert r.shape == (4, 5) and r.dtype is F32
    for t in (z, o, e):
        assert not np.shares_memory(t.cpu().numpy(), x.cpu().numpy())


def test_like_keeps_dense_layouts():
    # torch's preserve_format: a dense permutation keeps its strides, others are row-major
    assert nbtensor.empty_like(nbtensor.zeros(2, 3).t()).stride() == (1, 3)
    assert nbtensor.zeros_like(nbtensor.zeros(2, 3)[:, ::2]).stride() == (2, 1)
    assert nbtensor.ones_like(nbtensor.zeros(4, 3)[::2]).stride() == (3, 1)


def test_new_methods():
    x = nbtensor.arange(3)
    n1 = x.new_ones(2, 2)
    assert n1.dtype is I64 and n1.tolist() == [[1, 1], [1, 1]]
    assert x.new_ones((2, 2)).shape == (2, 2)
    n0 = nbtensor.arange(3, dtype=nbtensor.int32).new_zeros(2)
    assert n0.dtype is nbtensor.int32 and n0.tolist() == [0, 0]
    ne = nbtensor.arange(3.0).new_empty(2, 3)
    assert ne.shape == (2, 3) and ne.dtype is F32
    nf = x.new_full((2,), 7.9)
    assert nf.dtype is I64 and nf.tolist() == [7, 7]
    nt = x.new_tensor([1.5, 2])
    assert nt.dtype is I64 and nt.tolist() == [1, 2]
    assert x.new_tensor([1.5, 2], dtype=F64).tolist() == [1.5, 2.0]
    assert x.new_zeros(2, dtype=F64).dtype is F64
    assert x.new_ones(0).shape == (0,)


def test_legacy_constructor():
    t = Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype is F32
    d = Tensor([1, 2])
    assert d.dtype is F32 and d.tolist() == [1.0, 2.0]
    assert Tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert Tensor((2, 3)).tolist() == [2.0, 3.0]            # a tuple is data
    assert Tensor(nbtensor.Size([2, 3])).shape == (2, 3)     # a Size is sizes
    assert Tensor().shape == (0,)
    assert Tensor(0).shape == (0,)
    assert Tensor(np.arange(3)).dtype is F32
    assert isinstance(nbtensor.zeros(1), Tensor)


# ---------------------------------------------------------------------------- dtype= and device=
CREATORS = {
    "empty": lambda **kw: nbtensor.empty(2, 3, **kw),
    "zeros": lambda **kw: nbtensor.zeros((2, 3), **kw),
    "ones": lambda **kw: nbtensor.ones(2, 3, **kw),
    "full": lambda **kw: nbtensor.full((2, 3), 1, **kw),
    "eye": lambda **kw: nbtensor.eye(3, **kw),
    "arange": lambda **kw: nbtensor.arange(6, **kw),
    "linspace": lambda **kw: nbtensor.linspace(0, 5, 6, **kw),
    "rand": lambda **kw: nbtensor.rand(2, 3, **kw),
    "randn": lambda **kw: nbtensor.randn(2, 3, **kw),
    "randint": lambda **kw: nbtensor.randint(0, 5, (2, 3), **kw),
    "randperm": lambda **kw: nbtensor.randperm(5, **kw),
    "normal": lambda **kw: nbtensor.normal(0.0, 1.0, (2, 3), **kw),
    "tensor": lambda **kw: nbtensor.tensor([[1, 2], [3, 4]], **kw),
    "as_tensor": lambda **kw: nbtensor.as_tensor([1, 2], **kw),
    "zeros_like": lambda **kw: nbtensor.zeros_like(nbtensor.ones(2), **kw),
    "ones_like": lambda **kw: nbtensor.ones_like(nbtensor.ones(2), **kw),
    "empty_like": lambda **kw: nbtensor.empty_like(nbtensor.ones(2), **kw),
    "full_like": lambda **kw: nbtensor.full_like(nbtensor.ones(2), 3, **kw),
    "rand_like": lambda **kw: nbtensor.rand_like(nbtensor.ones(2), **kw),
    "randn_like": lambda **kw: nbtensor.randn_like(nbtensor.ones(2), **kw),
    "new_ones": lambda **kw: nbtensor.ones(2).new_ones(3, **kw),
    "new_zeros": lambda **kw: nbtensor.ones(2).new_zeros(3, **kw),
    "new_empty": lambda **kw: nbtensor.ones(2).new_empty(3, **kw),
    "new_full": lambda **kw: nbtensor.ones(2).new_full((3,), 2, **kw),
    "new_tensor": lambda **kw: nbtensor.ones(2).new_tensor([1, 2], **kw),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_every_creator_takes_dtype_and_device(name, device):
    make = CREATORS[name]
    dev = nbtensor.device(device)
    t = make(dtype=F64, device=device)
    assert t.dtype is F64
    assert t.device == dev and t.is_cuda == (dev.type == "cuda")
    assert make(device=dev).device == dev
    assert make(dtype=nbtensor.float64).dtype is F64
    if not nbtensor.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU is available"):
            make(device="cuda")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda.* device type at start of device string: gpu"):
        make(device="gpu")
    with pytest.raises(TypeError, match="argument 'dtype' must be torch.dtype, not str"):
        make(dtype="float33")  # as torch: a dtype's name is not a dtype


def test_creators_fill_on_the_device(device):
    """Values made on `device` (read back through the host) and devices inherited by the
    *_like and new_* forms."""
    dev = nbtensor.device(device)
    cases = [
        (nbtensor.zeros(2, 3, device=device), np.zeros((2, 3), np.float32)),
        (nbtensor.ones(4, dtype=I64, device=device), np.ones(4, np.int64)),
        (nbtensor.full((2,), 2.5, device=device), np.full(2, 2.5, np.float32)),
        (nbtensor.eye(3, 2, device=device), np.eye(3, 2, dtype=np.float32)),
        (nbtensor.arange(1, 7, 2, device=device), np.arange(1, 7, 2)),
        (nbtensor.linspace(0, 1, 5, device=device), np.linspace(0, 1, 5, dtype=np.float32)),
        (nbtensor.tensor([[1, 2], [3, 4]], device=device), np.array([[1, 2], [3, 4]])),
        (nbtensor.as_tensor([1.5, -2.0], device=device), np.array([1.5, -2.0], np.float32)),
        (nbtensor.empty(0, 2, device=device), np.zeros((0, 2), np.float32)),
    ]
    for t, expected in cases:
        assert t.device == dev
        host = t.cpu()
        assert host.device == nbtensor.device("cpu")
        assert host.cpu().numpy().dtype == expected.dtype
        np.testing.assert_array_equal(host.cpu().numpy(), expected)
    x = nbtensor.ones(2, 3, device=device)
    for t in (nbtensor.zeros_like(x), nbtensor.ones_like(x), nbtensor.empty_like(x), nbtensor.full_like(x, 3),
              nbtensor.rand_like(x), nbtensor.randn_like(x), x.new_ones(2), x.new_zeros(2), x.new_empty(2),
              x.new_full((2,), 1.0), x.new_tensor([1, 2])):
        assert t.device == dev
    assert nbtensor.full_like(x, 3).cpu().tolist() == [[3.0] * 3] * 2
    assert x.new_tensor([1, 2]).cpu().tolist() == [1, 2]


@pytest.mark.parametrize("bad", ["float33", "complex64", "torch.floot", "Float", "float32", "torch.float64"])
def test_dtype_strings_raise_type_error(bad):
    with pytest.raises(TypeError, match="zeros\\(\\): argument 'dtype' must be torch.dtype, not str"):
        nbtensor.zeros(2, dtype=bad)


def test_dtype_arguments_that_are_not_dtypes():
    assert nbtensor.zeros(2, dtype=float).dtype is F64           # as torch: Python float is float64
    assert nbtensor.zeros(2, dtype=int).dtype is I64
    assert nbtensor.zeros(2, dtype=bool).dtype is nbtensor.bool
    assert nbtensor.zeros(2, dtype=np.float16).dtype is nbtensor.float16
    with pytest.raises(TypeError):
        nbtensor.zeros(2, dtype=np.complex64)
    with pytest.raises(TypeError):
        nbtensor.zeros(2, dtype=5)


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "tpu", "cpu:1", "", "cuda:-1"])
def test_bad_device_strings_raise_runtime_error(bad):
    with pytest.raises(RuntimeError):
        nbtensor.zeros(2, device=bad)
    with pytest.raises(RuntimeError):
        nbtensor.device(bad)


@pytest.mark.skipif(nbtensor.cuda.is_available(), reason="a GPU (or the simulator) is available")
def test_cuda_is_not_available_and_rejected():
    assert nbtensor.cuda.is_available() is False
    assert nbtensor.cuda.device_count() == 0
    for dev in ("cuda", "cuda:0", nbtensor.device("cuda"), nbtensor.device("cuda", 1)):
        with pytest.raises(RuntimeError, match=f"cannot place a tensor on {dev}: no CUDA GPU is available"):
            nbtensor.ones(2, device=dev)
    with pytest.raises(RuntimeError, match="no CUDA GPU is available"):
        nbtensor.ones(2).cuda()
    with pytest.raises(RuntimeError, match="no CUDA GPU is available"):
        nbtensor.ones(2).to("cuda")
    # the book's idiom runs unchanged
    dev = nbtensor.device("cuda" if nbtensor.cuda.is_available() else "cpu")
    assert nbtensor.ones(2, device=dev).device == dev


@pytest.mark.cpu_only  # CPU identity: device, legacy CPU classes, repr, pointers
def test_device_objects():
    assert repr(nbtensor.device("cpu")) == "device(type='cpu')"
    assert repr(nbtensor.device("cuda:1")) == "device(type='cuda', index=1)"
    assert str(nbtensor.device("cuda", 0)) == "cuda:0"
    assert nbtensor.device("cpu") == "cpu"
    assert nbtensor.device("cuda:0") != nbtensor.device("cuda")
    assert nbtensor.ones(1).device == nbtensor.device("cpu")
    assert str(nbtensor.ones(1).device) == "cpu"
    assert nbtensor.ones(1, device="cpu:0").device.type == "cpu"


# ---------------------------------------------------------------------------- randomness
RANDOM = {
    "rand": lambda: nbtensor.rand(3, 4),
    "randn": lambda: nbtensor.randn(3, 4),
    "randint": lambda: nbtensor.randint(0, 100, (3, 4)),
    "randint-high": lambda: nbtensor.randint(10, (5,)),
    "randperm": lambda: nbtensor.randperm(20),
    "normal": lambda: nbtensor.normal(2.0, 3.0, (3, 4)),
    "normal-tensors": lambda: nbtensor.normal(nbtensor.zeros(3, 4), nbtensor.ones(4)),
    "rand_like": lambda: nbtensor.rand_like(nbtensor.zeros(2, 2)),
    "randn_like": lambda: nbtensor.randn_like(nbtensor.zeros(2, 2)),
    "uniform_": lambda: nbtensor.empty(6).uniform_(-1, 1),
    "normal_": lambda: nbtensor.empty(6).normal_(5, 2),
    "random_": lambda: nbtensor.empty(6, dtype=I64).random_(0, 50),
}


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_manual_seed_makes_random_creators_reproducible(name):
    make = RANDOM[name]
    nbtensor.manual_seed(1234)
    a = make()
    b = make()
    nbtensor.manual_seed(1234)
    c = make()
    assert np.array_equal(a.cpu().numpy(), c.cpu().numpy())
    assert not np.array_equal(a.cpu().numpy(), b.cpu().numpy())          # the stream moves on
    nbtensor.manual_seed(4321)
    assert not np.array_equal(make().cpu().numpy(), a.cpu().numpy())


def test_generators_are_independent_of_the_default_one():
    g = nbtensor.Generator().manual_seed(5)
    x = nbtensor.rand(4, generator=g)
    g.manual_seed(5)
    nbtensor.manual_seed(0)
    nbtensor.rand(10)
    assert np.array_equal(nbtensor.rand(4, generator=g).cpu().numpy(), x.cpu().numpy())
    assert nbtensor.initial_seed() == 0


def test_random_value_ranges_and_dtypes():
    nbtensor.manual_seed(0)
    r = nbtensor.rand(10000)
    assert r.dtype is F32 and 0 <= r.cpu().numpy().min() and r.cpu().numpy().max() < 1
    assert abs(r.cpu().numpy().mean() - 0.5) < 0.02
    n = nbtensor.randn(10000, dtype=F64)
    assert n.dtype is F64 and abs(n.cpu().numpy().mean()) < 0.05 and abs(n.cpu().numpy().std() - 1) < 0.05
    i = nbtensor.randint(3, 10, (1000,))
    assert i.dtype is I64 and i.cpu().numpy().min() >= 3 and i.cpu().numpy().max() < 10
    assert nbtensor.randint(0, 5, (3,), dtype=F32).dtype is F32
    p = nbtensor.randperm(50)
    assert p.dtype is I64 and sorted(p.tolist()) == list(range(50))
    g = nbtensor.normal(10.0, 0.5, (10000,))
    assert abs(g.cpu().numpy().mean() - 10) < 0.05
    assert nbtensor.normal(nbtensor.zeros(2, dtype=F64), 1.0).dtype is F64
    assert nbtensor.rand(()).shape == () and nbtensor.randn(()).shape == ()


def test_randperm_takes_what_torch_reads_as_an_int():
    # a one-element integer tensor or a NumPy integer is an int; a float, a bool or a floating
    # tensor is refused by name (before: NumPy's AxisError, or a numpy() refusal)
    for n in (nbtensor.tensor(4), nbtensor.tensor([4]), np.int64(4)):
        assert sorted(nbtensor.randperm(n).tolist()) == [0, 1, 2, 3]
    for n, kind in ((2.5, "float"), (True, "bool"), (nbtensor.tensor(4.0, requires_grad=True), "Tensor")):
        with pytest.raises(TypeError, match=rf"randperm\(\): argument 'n' \(position 1\) must be int, not {kind}"):
            nbtensor.randperm(n)


def test_eye_randint_randperm_write_into_out():
    nbtensor.ones(1, requires_grad=True)  # (recording: each out= counts one write, as torch's)
    out = nbtensor.full((2, 3), 7.0, dtype=F64)
    assert nbtensor.eye(2, 3, out=out) is out and out._version == 1
    np.testing.assert_array_equal(out.cpu().numpy(), np.eye(2, 3))
    assert out.dtype is F64
    ints = nbtensor.zeros(5, dtype=I64)
    assert nbtensor.randperm(5, out=ints) is ints and sorted(ints.tolist()) == [0, 1, 2, 3, 4]
    assert nbtensor.randint(3, 6, (5,), out=ints) is ints
    assert ints.dtype is I64 and set(ints.tolist()) <= {3, 4, 5} and ints._version == 2
    small = nbtensor.zeros(3)  # (resized to the result's shape, as torch's factories do)
    assert nbtensor.eye(2, out=small) is small and small.shape == (2, 2)
    np.testing.assert_array_equal(small.cpu().numpy(), np.eye(2, dtype=np.float32))


# factory, call with an out= tensor of 6 float32 elements shaped (2, 3), expected values
_FACTORIES_INTO_OTHER_SHAPES = {
    "zeros": (lambda out: nbtensor.zeros(4, out=out), np.zeros(4)),
    "ones": (lambda out: nbtensor.ones(2, 2, out=out), np.ones((2, 2))),
    "full": (lambda out: nbtensor.full((1, 3), 7, out=out), np.full((1, 3), 7.0)),
    "eye": (lambda out: nbtensor.eye(2, 3, out=out).t(), np.eye(3, 2)),
    "arange": (lambda out: nbtensor.arange(1.0, 4.0, out=out), np.array([1.0, 2.0, 3.0])),
    "linspace": (lambda out: nbtensor.linspace(0, 1, 5, out=out), np.linspace(0, 1, 5)),
    "logspace": (lambda out: nbtensor.logspace(0, 2, 3, out=out), np.array([1.0, 10.0, 100.0])),
}


@pytest.mark.parametrize("name", sorted(_FACTORIES_INTO_OTHER_SHAPES))
def test_factory_out_of_another_shape_is_resized(name):
    call, expected = _FACTORIES_INTO_OTHER_SHAPES[name]
    out = nbtensor.ones(2, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(out)
    # (only arange warns, as torch's: its out's element count differs from the range's)
    assert [str(w.message)[:43] for w in caught] == (
        ["The number of elements in the out tensor of"] if name == "arange" else [])
    assert out.dtype is nbtensor.float32 and tuple(result.shape) == expected.shape
    np.testing.assert_allclose(result.cpu().numpy(), expected.astype(np.float32), rtol=1e-6)


def test_factory_out_takes_its_dtype_and_refuses_another():
    ints = nbtensor.zeros(3, dtype=I64)
    assert nbtensor.full((2,), 7, out=ints) is ints and ints.tolist() == [7, 7]
    assert nbtensor.arange(3, out=nbtensor.zeros(3, dtype=F64)).tolist() == [0.0, 1.0, 2.0]
    for call, asked in ((lambda out: nbtensor.zeros(2, dtype=F64, out=out), "Double"),
                        (lambda out: nbtensor.ones(2, dtype=I64, out=out), "Long"),
                        (lambda out: nbtensor.empty(2, dtype=F64, out=out), "Double"),
                        (lambda out: nbtensor.rand(2, dtype=F64, out=out), "Double"),
                        (lambda out: nbtensor.linspace(0, 1, 2, dtype=F64, out=out), "Double")):
        out = nbtensor.ones(2)
        with pytest.raises(RuntimeError, match=rf"^dtype {asked} does not match dtype of out parameter \(Float\)$"):
            call(out)
        assert out.tolist() == [1.0, 1.0]  # (refused before anything is written)
    with pytest.raises(TypeError, match=r"^zeros\(\): argument 'out' must be Tensor, not int$"):
        nbtensor.zeros(3, out=3)


def test_ranges_keep_the_shape_of_an_out_of_their_size():
    out = nbtensor.empty(3, 1)  # (torch resizes a range's out= only when its size differs)
    assert nbtensor.linspace(0, 1, 3, out=out).shape == (3, 1)
    np.testing.assert_allclose(out.cpu().numpy().ravel(), [0.0, 0.5, 1.0])
    assert nbtensor.arange(3.0, out=out).shape == (3, 1) and out.cpu().numpy().ravel().tolist() == [0.0, 1.0, 2.0]
    empty = nbtensor.empty(0)  # (an empty out grows without a warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nbtensor.arange(2.0, out=empty).tolist() == [0.0, 1.0]


def test_empty_out_keeps_its_values_and_grows():
    out = nbtensor.arange(6.0).reshape(2, 3)
    assert nbtensor.empty(2, 3, out=out) is out and out.cpu().numpy().ravel().tolist() == [0, 1, 2, 3, 4, 5]
    nbtensor.empty(8, out=out)
    assert out.shape == (8,) and out.cpu().numpy()[:6].tolist() == [0, 1, 2, 3, 4, 5]


def test_random_errors():
    with pytest.raises(RuntimeError, match="from=5 >= to=3"):
        nbtensor.randint(5, 3, (2,))
    with pytest.raises(RuntimeError):
        nbtensor.randperm(-1)
    with pytest.raises(RuntimeError):                  # NotImplementedError, as torch
        nbtensor.rand(3, dtype=I64)
    with pytest.raises(NotImplementedError):
        nbtensor.zeros(3, dtype=I64).uniform_()
    with pytest.raises(NotImplementedError):
        nbtensor.zeros(3, dtype=I64).normal_()
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        nbtensor.zeros(3).normal_(0, -1)
    with pytest.raises(RuntimeError, match="from=2 > to=1"):
        nbtensor.zeros(3).uniform_(2, 1)


# ---------------------------------------------------------------------------- in-place fills
def test_uniform_and_normal_fill_in_place():
    x = nbtensor.zeros(2000)
    ptr, ident = x.data_ptr(), id(x)
    assert x.uniform_(2, 3) is x
    v = x.cpu().numpy()
    assert v.min() >= 2 and v.max() < 3 and x.data_ptr() == ptr and id(x) == ident
    assert x.normal_(5, 0.1) is x
    assert abs(x.cpu().numpy().mean() - 5) < 0.02
    # non-contiguous view: only the viewed elements change
    base = nbtensor.zeros(4, 6)
    base[:, ::2].uniform_(1, 2)
    assert (base.cpu().numpy()[:, 1::2] == 0).all() and (base.cpu().numpy()[:, ::2] >= 1).all()
    s = nbtensor.tensor(0.0)
    assert s.uniform_().shape == () and 0 <= s.item() < 1
    h = nbtensor.zeros(3, dtype=nbtensor.float16).normal_()
    assert h.dtype is nbtensor.float16


def test_fill_and_zero():
    x = nbtensor.ones(2, 3)
    assert x.fill_(7) is x and (x.cpu().numpy() == 7).all()
    assert x.zero_() is x and (x.cpu().numpy() == 0).all()
    i = nbtensor.zeros(3, dtype=I64)
    assert i.fill_(2.7).tolist() == [2, 2, 2]
    b = nbtensor.zeros(2, dtype=nbtensor.bool)
    assert b.fill_(2).tolist() == [True, True]
    v = nbtensor.arange(6.0).view(2, 3)
    v.t()[1].fill_(-1)
    assert v.tolist() == [[0, -1, 2], [3, -1, 5]]
    v[:, 2].zero_()
    assert v.tolist() == [[0, -1, 0], [3, -1, 0]]
    assert nbtensor.zeros(2).fill_(nbtensor.tensor(4)).tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match="0-dimension value tensor"):
        nbtensor.zeros(2).fill_(nbtensor.tensor([4.0]))
    e = nbtensor.zeros(0, 3)
    assert e.fill_(1) is e
    r = nbtensor.arange(1.0, 9.0)
    r[2:5].zero_()  # a contiguous view inside its storage: only its elements
    assert r.tolist() == [1, 2, 0, 0, 0, 6, 7, 8]
    assert math.copysign(1, nbtensor.ones(2).fill_(-0.0)[1].item()) == -1  # the sign of zero kept
    h = nbtensor.ones(2, 2, dtype=nbtensor.float16).zero_()
    assert h.dtype is nbtensor.float16 and h.tolist() == [[0, 0], [0, 0]]


@pytest.mark.cpu_only  # read-only memory shared with a NumPy array
def test_zero_of_read_only_memory_raises():
    frozen = np.ones(3, np.float32)
    frozen.flags.writeable = False
    with pytest.raises(RuntimeError, match="read-only"):
        nbtensor.from_numpy(frozen).zero_()
    assert (frozen == 1).all()


def test_random_integer_fill():
    nbtensor.manual_seed(0)
    x = nbtensor.zeros(1000, dtype=I64).random_(5)
    assert x.cpu().numpy().min() == 0 and x.cpu().numpy().max() == 4
    y = nbtensor.zeros(1000).random_(3, 6)
    assert set(np.unique(y.cpu().numpy()).tolist()) == {3.0, 4.0, 5.0}


def test_repr_names_the_device(device):
    # torch: tensor([1.5000], device='cuda:0'); a CPU tensor's repr names no device
    suffix = "" if device == "cpu" else f", device='{device}'"
    assert repr(nbtensor.tensor([1.5], device=device)) == f"tensor([1.5000]{suffix})"
    assert repr(nbtensor.zeros(0, 2, dtype=nbtensor.int64, device=device)) == (
        f"tensor([]{suffix}, size=(0, 2), dtype=nbtensor.int64)")  # torch's order: device, size, dtype


def test_numba_cuda_is_imported_only_when_cuda_is_asked_for():
    # `from numba import cuda` costs ~0.8 s: import nbtensor and CPU work leave it alone
    import subprocess
    import sys
    code = ("import sys, nbtensor; (nbtensor.ones(3) + 1).sum(); print('numba.cuda' in sys.modules); "
            "nbtensor.cuda.is_available(); print('numba.cuda' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_memoised_sizes_never_let_a_bad_size_through():
    # zeros/ones/empty remember plans per sizes; 2.0 == 2 and True == 1 as dict keys, so a
    # float must still raise (as torch's TypeError) after the int form has been planned
    for creator in (nbtensor.zeros, nbtensor.ones, nbtensor.empty):
        assert creator(2).shape == (2,) and creator((2, 3)).shape == (2, 3)
        assert creator(nbtensor.Size([2, 3])).shape == (2, 3)
        for bad in ((2.0,), ((2, 3.0),)):
            with pytest.raises(TypeError):
                creator(*bad)


@pytest.mark.parametrize("data, dtype", [
    ([1, 2], I64), ([1.5, 2], F32), ([True, False], nbtensor.bool), ([True, 2], I64), ([True, 2.5], F32),
    ((1, 2.0), F32), (range(4), I64), ([[1, 2], [3.5, 4]], F32), ([[True], [1]], I64),
    ([1, np.float32(2.0)], F32), ([np.int8(1), 2], I64), ([], F32)])
def test_tensor_of_python_numbers_infers_torchs_dtype(data, dtype):
    # flat sequences of plain bools, ints and floats take a one-pass route (a set of their
    # types); mixed and nested ones the element walk: both give torch's promotion
    t = nbtensor.tensor(data)
    assert t.dtype is dtype
    np.testing.assert_array_equal(t.cpu().numpy(), np.array(list(data) if isinstance(data, range) else data,
                                                            dtype=dtype.np))
    try:
        nbtensor.set_default_dtype(F64)
        floats_follow_default = dtype is F32 and not any(isinstance(x, np.generic) for x in data)
        assert nbtensor.tensor(data).dtype is (F64 if floats_follow_default else dtype)  # (a NumPy scalar keeps its own)
    finally:
        nbtensor.set_default_dtype(F32)


@pytest.mark.parametrize("args, value", [((0, 2 ** 63, 2 ** 62), 2 ** 63), ((-2 ** 63 - 1, 0), -2 ** 63 - 1)])
def test_arange_refuses_integer_bounds_past_int64(args, value):
    # torch reads integer bounds as int64: no silent wrap of the values
    with pytest.raises(RuntimeError, match=rf"value cannot be converted to type int64_t without overflow \(got {value}\)"):
        nbtensor.arange(*args)


def test_arange_reaches_the_ends_of_int64():
    assert nbtensor.arange(2 ** 63 - 2, 2 ** 63 - 1).tolist() == [2 ** 63 - 2]
    assert nbtensor.arange(-2 ** 63, -2 ** 63 + 2).tolist() == [-2 ** 63, -2 ** 63 + 1]


@pytest.mark.parametrize("value, dtype, expected, expected_dtype", [
    (3, None, 3.0, "float32"), (True, None, 1.0, "float32"), (2.5, None, 2.5, "float32"),
    (2 ** 63, None, float(2 ** 63), "float32"), (3, "int32", 3, "int32"), (2.5, "float64", 2.5, "float64")])
def test_scalar_tensor_is_0d_in_the_default_dtype(value, dtype, expected, expected_dtype):
    t = nbtensor.scalar_tensor(value, dtype=getattr(nbtensor, dtype) if dtype else None)
    assert t.shape == () and t.dtype is getattr(nbtensor, expected_dtype) and t.item() == expected


def test_scalar_tensor_errors():
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        nbtensor.scalar_tensor(300, dtype=nbtensor.uint8)
    with pytest.raises(TypeError, match=r"argument 's' \(position 1\) must be Number, not list"):
        nbtensor.scalar_tensor([1])
    assert nbtensor.scalar_tensor(2.5, requires_grad=True).requires_grad


def test_where_of_two_ints_refuses_one_past_int64():
    with pytest.raises(RuntimeError, match="without overflow"):
        nbtensor.where(nbtensor.tensor([True]), 2 ** 63, 0)
    assert nbtensor.where(nbtensor.tensor([True, False]), 2 ** 63, 1.5).tolist() == [float(np.float32(2 ** 63)), 1.5]


# ---------------------------------------------------------------------------- torch's other keywords
CREATORS_WITH_OPTIONS = {
    "empty": lambda **kw: nbtensor.empty(2, **kw), "zeros": lambda **kw: nbtensor.zeros(2, **kw),
    "ones": lambda **kw: nbtensor.ones(2, **kw), "rand": lambda **kw: nbtensor.rand(2, **kw),
    "randn": lambda **kw: nbtensor.randn(2, **kw), "randint": lambda **kw: nbtensor.randint(0, 3, (2,), **kw),
    "full": lambda **kw: nbtensor.full((2,), 1.0, **kw), "eye": lambda **kw: nbtensor.eye(2, **kw),
    "arange": lambda **kw: nbtensor.arange(3, **kw), "linspace": lambda **kw: nbtensor.linspace(0, 1, 3, **kw),
    "logspace": lambda **kw: nbtensor.logspace(0, 1, 3, **kw), "randperm": lambda **kw: nbtensor.randperm(3, **kw),
    "randint_like": lambda **kw: nbtensor.randint_like(nbtensor.zeros(2), 3, **kw),
}


@pytest.mark.parametrize("name", sorted(CREATORS_WITH_OPTIONS))
def test_a_misspelt_keyword_raises_instead_of_being_ignored(name):
    # torch: TypeError; ignoring it would give float32 for a misspelt dtype=
    # (randint_like's parser, with overloads, lists them instead: see tests/test_memory_format.py)
    message = (r"^randint_like\(\) received an invalid combination of arguments - got \(Tensor, int, "
               r"dtpye=torch.dtype\), but expected one of:\n" if name == "randint_like"
               else f"^{name}\\(\\) got an unexpected keyword argument 'dtpye'$")
    with pytest.raises(TypeError, match=message):
        CREATORS_WITH_OPTIONS[name](dtpye=F64)
    made = CREATORS_WITH_OPTIONS[name](layout=nbtensor.strided, pin_memory=False)  # (torch's, accepted)
    assert made.layout is nbtensor.strided


def test_pin_memory_true_in_a_creator_needs_an_accelerator():
    if nbtensor.cuda.is_available():
        pytest.skip("a GPU (or the simulator) can pin")
    with pytest.raises(RuntimeError, match="^pin_memory=True requires a CUDA or other accelerator backend"):
        nbtensor.zeros(2, pin_memory=True)


def test_bernoulli_and_multinomial_out_is_resized_as_torchs():
    probabilities = nbtensor.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    out = nbtensor.empty(6, dtype=F64)  # (bernoulli casts into any dtype, without a warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nbtensor.bernoulli(probabilities, out=out) is out
        np.testing.assert_array_equal(out.cpu().numpy(), probabilities.cpu().numpy())
        drawn = nbtensor.empty(1, dtype=I64)
        nbtensor.multinomial(nbtensor.tensor([[0.0, 1.0], [1.0, 0.0]]), 1, out=drawn)
    assert drawn.tolist() == [[1], [0]]
    with pytest.raises(RuntimeError, match="^multinomial expects Long tensor out, got: Float$"):
        nbtensor.multinomial(probabilities, 1, out=nbtensor.empty(2))


def test_factory_out_that_requires_grad_is_refused_as_torchs():
    for name, call in (("zeros", lambda out: nbtensor.zeros(3, out=out)),
                       ("arange", lambda out: nbtensor.arange(3.0, out=out)),
                       ("full", lambda out: nbtensor.full((3,), 2.0, out=out))):
        with pytest.raises(RuntimeError, match=rf"^aten::{name}\(\): functions with out=\.\.\. arguments don't "
                                               "support automatic differentiation"):
            call(nbtensor.ones(3, requires_grad=True))
        with nbtensor.no_grad():  # (allowed there, as torch's)
            out = nbtensor.ones(3, requires_grad=True)
            assert call(out) is out and out.requires_grad
    for grad in (True, False):  # (empty resizes: refused in both modes, as torch's)
        with nbtensor.set_grad_enabled(grad), pytest.raises(RuntimeError, match="^cannot resize variables that require grad$"):
            nbtensor.empty(3, out=nbtensor.ones(3, requires_grad=True))
