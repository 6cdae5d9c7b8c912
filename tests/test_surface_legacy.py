"""Issue 9: legacy typed constructors (FloatTensor, ...), Tensor.type / .data, the
torch.cuda seeding no-ops, 0-d integer tensors as indices, dtype strings and
requires_grad handled alike by every creator."""
import numpy as np
import pytest
from support import check

import nbtensor as nb

LEGACY = {
    "FloatTensor": nb.float32, "DoubleTensor": nb.float64, "HalfTensor": nb.float16,
    "LongTensor": nb.int64, "IntTensor": nb.int32, "ShortTensor": nb.int16, "CharTensor": nb.int8,
    "ByteTensor": nb.uint8, "BoolTensor": nb.bool,
}


@pytest.mark.cpu_only  # CPU identity: device, legacy CPU classes, repr, pointers
@pytest.mark.parametrize("name,dtype", sorted(LEGACY.items()))
def test_legacy_constructors(name, dtype):
    cls = getattr(nb, name)
    x = cls([1, 0])
    check(x, np.array([1, 0], dtype.np))
    assert type(x) is nb.Tensor and isinstance(x, nb.Tensor)
    assert isinstance(x, cls)
    assert x.type() == "torch." + name
    assert cls(2, 3).shape == (2, 3) and cls(2, 3).dtype is dtype  # from sizes (uninitialised)
    assert cls(nb.Size([2, 3])).shape == (2, 3)
    e = cls()
    assert e.shape == (0,) and e.dtype is dtype
    assert cls.dtype is dtype and not cls.is_cuda
    for other, d in LEGACY.items():
        assert isinstance(nb.zeros(1, dtype=d), cls) == (other == name)
    assert not issubclass(cls, nb.Tensor)
    y = nb.ones(2, 3, dtype=dtype)[:, :2]
    z = cls(y)  # a tensor of the right type: its memory, as it is
    assert z.data_ptr() == y.data_ptr()
    assert z.shape == y.shape and z.stride() == y.stride() and z.dtype is dtype


def test_legacy_constructor_of_a_tensor_returns_an_alias():
    # torch 2.13: FloatTensor(t) of a float32 t is a new tensor object on t's memory
    # (torch.FloatTensor(y) is y -> False), not t itself
    y = nb.ones(2, 3)[:, :2]
    z = nb.FloatTensor(y)
    assert z is not y and z.data_ptr() == y.data_ptr() and z.stride() == (3, 1)
    z[0, 0] = 5.0
    assert y[0, 0].item() == 5.0


def test_legacy_constructor_details():
    check(nb.FloatTensor([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]], np.float32))
    check(nb.FloatTensor((2, 3)), np.array([2, 3], np.float32))  # a tuple is data
    check(nb.LongTensor([1.7, 2]), np.array([1, 2]))
    with pytest.raises(TypeError, match="new\\(\\): data must be a sequence \\(got float\\)"):
        nb.FloatTensor(3.5)
    with pytest.raises(TypeError):
        nb.FloatTensor(nb.tensor([1, 2]))  # a tensor of another dtype
    with pytest.raises(TypeError):
        nb.FloatTensor([1, 2], dtype=nb.float64)


@pytest.mark.cpu_only  # CPU identity: device, legacy CPU classes, repr, pointers
def test_type_conversions():
    x = nb.ones(2)
    assert x.type() == "torch.FloatTensor"
    assert nb.ones(2, dtype=nb.int16).type() == "torch.ShortTensor"
    for target in (nb.DoubleTensor, "torch.DoubleTensor", nb.float64, "nbtensor.DoubleTensor"):
        y = x.type(target)
        assert y.dtype is nb.float64 and y.data_ptr() != x.data_ptr()
    assert x.type(nb.float32) is x
    assert x.type(nb.FloatTensor) is x
    assert x.type(dtype=nb.int64).dtype is nb.int64
    assert x.type(nb.int32, non_blocking=True).dtype is nb.int32
    with pytest.raises(ValueError, match="invalid type: 'float'"):
        x.type("float")
    with pytest.raises(RuntimeError):
        x.type("torch.cuda.FloatTensor")


def test_data_property():
    x = nb.ones(2)
    d = x.data
    assert d is not x and d.data_ptr() == x.data_ptr()
    d[0] = 5
    assert x[0].item() == 5
    y = nb.zeros(3, dtype=nb.int64)
    x.data = y
    assert x.shape == (3,) and x.dtype is nb.int64 and x.data_ptr() == y.data_ptr()
    y[1] = 7
    check(x, np.array([0, 7, 0]))
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        x.data = [1, 2]


def test_cuda_seeding_without_gpu():
    for fn in (nb.cuda.manual_seed, nb.cuda.manual_seed_all):
        assert fn(1) is None
    assert nb.cuda.seed() is None and nb.cuda.seed_all() is None


def test_0d_integer_tensor_index():
    x = nb.arange(12).view(3, 4)
    check(x[nb.tensor(2)], np.array([8, 9, 10, 11]))
    assert x[nb.tensor(2)].data_ptr() == x[2].data_ptr()  # an integer index: a view
    check(x[:, nb.tensor(2)], np.array([2, 6, 10]))
    check(x[nb.tensor(2), nb.tensor(1)], np.int64(9))
    check(x[nb.tensor(-1, dtype=nb.int32)], np.array([8, 9, 10, 11]))
    y = x.clone()
    y[nb.tensor(2)] = 5
    check(y[2], np.array([5, 5, 5, 5]))
    y[:, nb.tensor(-1)] = 7
    check(y[:, 3], np.array([7, 7, 7]))
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[nb.tensor(3)]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[nb.tensor(2.0)]
    assert x[nb.tensor(True)].shape == (1, 3, 4)  # a 0-d bool is a mask


CREATORS = {
    "zeros": lambda **k: nb.zeros(2, **k), "ones": lambda **k: nb.ones(2, **k),
    "empty": lambda **k: nb.empty(2, **k), "full": lambda **k: nb.full((2,), 1.0, **k),
    "eye": lambda **k: nb.eye(2, **k), "arange": lambda **k: nb.arange(2, **k),
    "linspace": lambda **k: nb.linspace(0, 1, 3, **k), "logspace": lambda **k: nb.logspace(0, 1, 3, **k),
    "rand": lambda **k: nb.rand(2, **k), "randn": lambda **k: nb.randn(2, **k),
    "randint": lambda **k: nb.randint(0, 3, (2,), **k), "randperm": lambda **k: nb.randperm(3, **k),
    "normal": lambda **k: nb.normal(0.0, 1.0, size=(2,), **k), "tensor": lambda **k: nb.tensor([1.0], **k),
    "zeros_like": lambda **k: nb.zeros_like(nb.ones(2), **k), "full_like": lambda **k: nb.full_like(nb.ones(2), 2.0, **k),
    "rand_like": lambda **k: nb.rand_like(nb.ones(2), **k), "randint_like": lambda **k: nb.randint_like(nb.ones(2), 3, **k),
    "empty_strided": lambda **k: nb.empty_strided((2,), (1,), **k),
    "new_zeros": lambda **k: nb.ones(2).new_zeros(2, **k), "new_tensor": lambda **k: nb.ones(2).new_tensor([1.0], **k),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_creators_treat_requires_grad_and_dtype_strings_alike(name):
    make = CREATORS[name]
    assert not make(requires_grad=False).requires_grad
    if name in ("arange", "randint", "randperm"):  # integer results unless asked otherwise
        with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require"):
            make(requires_grad=True)
    else:
        t = make(requires_grad=True)
        assert t.requires_grad and t.is_leaf and t.grad_fn is None and t.grad is None
    # torch fills first: a random float creator asked for int64 fails as it would without grad
    random_float = name in ("rand", "randn", "normal", "rand_like", "randn_like")
    with pytest.raises(NotImplementedError if random_float else RuntimeError,
                       match="not implemented for 'Long'" if random_float else
                       "Only Tensors of floating point and complex dtype can require"):
        make(dtype=nb.int64, requires_grad=True)
    with pytest.raises(TypeError, match="argument 'dtype' must be torch.dtype, not str"):
        make(dtype="float32")


def test_dtype_string_message_names_the_function():
    with pytest.raises(TypeError, match="^ones\\(\\): argument 'dtype' must be torch.dtype, not str$"):
        nb.ones(2, dtype="float32")
    with pytest.raises(TypeError, match="^tensor\\(\\): argument 'dtype' must be torch.dtype, not str$"):
        nb.tensor([1], dtype="float32")
    assert nb.ones(2, dtype=float).dtype is nb.float64  # Python types are accepted, as torch
