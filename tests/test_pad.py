"""nn.functional.pad: every mode against NumPy's np.pad (always there) and against torch
(values, gradients, errors) when torch is importable."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor.nn import functional as F

RNG = np.random.default_rng(11)
NUMPY_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}

# (input shape, pad) for 1, 2 and 3 padded dims, unbatched and batched; asymmetric amounts and
# a dimension left unpadded; every amount below its dimension's size (reflect's limit)
CASES = [
    ((2, 5), (2, 1)),
    ((2, 3, 5), (0, 4)),
    ((2, 4, 5), (1, 2, 3, 0)),
    ((1, 2, 4, 5), (0, 0, 2, 2)),
    ((1, 3, 4, 5), (1, 0, 2, 1, 2, 1)),
    ((1, 1, 3, 4, 5), (0, 0, 0, 0, 1, 2)),
]
MODES = ["constant", "reflect", "replicate", "circular"]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _np(t):
    return t.detach().cpu().numpy()


def _widths(ndim, pad):
    """np.pad's widths for torch's pad (last dimension first)."""
    widths = [(0, 0)] * ndim
    for j in range(len(pad) // 2):
        widths[ndim - 1 - j] = (pad[2 * j], pad[2 * j + 1])
    return widths


def _values(shape, dtype=np.float32):
    return (RNG.standard_normal(shape) * 3).astype(dtype)


def _outcome(call):
    """(exception class name, message) of call(), or None when it returns."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the class is what is compared
        return type(error).__name__, str(error)
    return None


# --------------------------------------------------------------------------- values
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, pad", CASES)
def test_modes_match_numpy(mode, shape, pad):
    a = _values(shape)
    out = F.pad(nb.tensor(a), pad, mode=mode)
    np.testing.assert_array_equal(_np(out), np.pad(a, _widths(a.ndim, pad), mode=NUMPY_MODE[mode]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, pad", CASES)
def test_modes_match_torch(torch, mode, shape, pad):
    a = _values(shape)
    expected = torch.nn.functional.pad(torch.tensor(a), pad, mode=mode)
    np.testing.assert_array_equal(_np(F.pad(nb.tensor(a), pad, mode=mode)), expected.numpy())


@pytest.mark.parametrize("mode, pad", [
    ("constant", (-1, 2, 0, -2)), ("constant", (-2, -1, 1, 1)),
    ("reflect", (-1, 2, 1, -3)), ("reflect", (-4, 3, 0, 0)),
    ("replicate", (4, -5, -1, 3)), ("replicate", (-6, 5, 2, -4)),
    ("circular", (-1, 2, 1, -2)), ("circular", (-2, -1, 0, 1)),
])
def test_negative_amounts_match_torch(torch, mode, pad):
    a = _values((2, 4, 5))
    expected = torch.nn.functional.pad(torch.tensor(a), pad, mode=mode)
    np.testing.assert_array_equal(_np(F.pad(nb.tensor(a), pad, mode=mode)), expected.numpy())


def test_negative_amounts_by_hand():
    # reflect/replicate: pad, then crop (the mirror stays at the input's own edges);
    # circular: crop, then wrap round what is left (as torch does)
    row = nb.tensor([[0.0, 1.0, 2.0]])
    assert _np(F.pad(row, (-1, 2), mode="reflect")).tolist() == [[1, 2, 1, 0]]
    assert _np(F.pad(row, (-2, 2), mode="reflect")).tolist() == [[2, 1, 0]]
    assert _np(F.pad(row, (4, -5), mode="replicate")).tolist() == [[0, 0]]
    assert _np(F.pad(row, (-1, 2), mode="circular")).tolist() == [[1, 2, 1, 2]]
    assert _np(F.pad(row, (1, -1), mode="circular")).tolist() == [[1, 0, 1]]


@pytest.mark.parametrize("pad", [(-1, 2), (-2, -1), (1, -3, 0, -1), (-3, 0, -1, -1), (0, 0, 2, -3)])
def test_negative_constant_pads_crop(pad):
    a = _values((3, 4))
    cropped = a
    for dim, (left, right) in enumerate(_widths(2, pad)):
        cropped = np.take(cropped, range(max(-left, 0), a.shape[dim] - max(-right, 0)), axis=dim)
    positive = [(max(left, 0), max(right, 0)) for left, right in _widths(2, pad)]
    expected = np.pad(cropped, positive, constant_values=1.5)
    np.testing.assert_array_equal(_np(F.pad(nb.tensor(a), pad, value=1.5)), expected)


@pytest.mark.parametrize("dtype, value, fill", [
    ("float32", None, 0.0), ("float32", -2.5, -2.5), ("float64", 7.25, 7.25),
    ("int64", None, 0), ("int64", 2.7, 2), ("int64", -2.7, -2), ("bool", 0.5, True), ("bool", 0, False),
])
def test_constant_dtypes_and_value_cast(dtype, value, fill):
    a = (_values((2, 3, 4)) > 0) if dtype == "bool" else _values((2, 3, 4)).astype(dtype)
    pad = (1, 2, 0, 1, -1, 1)
    out = F.pad(nb.tensor(a), pad, value=value)
    assert out.dtype is getattr(nb, dtype)
    expected = np.pad(a[1:], [(0, 1), (0, 1), (1, 2)], constant_values=fill)
    np.testing.assert_array_equal(_np(out), expected)


@pytest.mark.parametrize("dtype, value", [("float32", None), ("int64", 2.7), ("bool", 0.5), ("bool", None)])
def test_constant_dtypes_match_torch(torch, dtype, value):
    a = (_values((2, 3, 4)) > 0) if dtype == "bool" else _values((2, 3, 4)).astype(dtype)
    expected = torch.nn.functional.pad(torch.tensor(a), (1, 2, -1, 1), value=value)
    out = F.pad(nb.tensor(a), (1, 2, -1, 1), value=value)
    assert str(out.dtype) == str(expected.dtype).replace("torch", "nbtensor")
    np.testing.assert_array_equal(_np(out), expected.numpy())


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_integer_inputs(mode):
    a = RNG.integers(-50, 50, (2, 3, 4))
    out = F.pad(nb.tensor(a), (2, 1, 1, 2), mode=mode)
    assert out.dtype is nb.int64
    np.testing.assert_array_equal(_np(out), np.pad(a, [(0, 0), (1, 2), (2, 1)], mode=NUMPY_MODE[mode]))


def test_circular_pads_bool():
    a = _values((2, 5)) > 0
    np.testing.assert_array_equal(_np(F.pad(nb.tensor(a), (2, 3), mode="circular")),
                                  np.pad(a, [(0, 0), (2, 3)], mode="wrap"))


@pytest.mark.parametrize("mode", MODES)
def test_non_contiguous_input(mode):
    a = _values((2, 5, 4))
    x = nb.tensor(a).transpose(1, 2)  # (2, 4, 5), not contiguous
    assert not x.is_contiguous()
    pad = (3, 1, 0, 2)
    expected = np.pad(a.transpose(0, 2, 1), _widths(3, pad), mode=NUMPY_MODE[mode])
    np.testing.assert_array_equal(_np(F.pad(x, pad, mode=mode)), expected)


@pytest.mark.parametrize("mode", MODES)
def test_result_is_a_new_tensor(mode):
    a = _values((1, 2, 3))
    x = nb.tensor(a)
    for pad in [(0, 0), (0, 0, 0, 0)]:
        out = F.pad(x, pad, mode=mode)
        assert out is not x
        out.fill_(9.0)
        np.testing.assert_array_equal(_np(x), a)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_empty_batch(mode):
    out = F.pad(nb.ones(0, 2, 3), (1, 2), mode=mode)
    assert tuple(out.shape) == (0, 2, 6)


# --------------------------------------------------------------------------- gradients
GRAD_CASES = [((2, 3, 5), (2, 1)), ((1, 3, 4, 5), (1, 3, 0, 2)), ((1, 2, 3, 4, 5), (1, 1, 0, 2, 2, 1)),
              ((2, 4, 5), (-1, 2, 1, -2))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, pad", GRAD_CASES)
def test_gradients_match_torch(torch, mode, shape, pad):
    a = _values(shape)
    x, tx = nb.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    expected = torch.nn.functional.pad(tx, pad, mode=mode)
    weights = _values(tuple(expected.shape))
    out = F.pad(x, pad, mode=mode)
    (out * nb.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(_np(out), expected.detach().numpy())
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_gradients_by_hand(mode):
    # d(sum of the padded output)/dx counts how often each input element is read
    x = nb.tensor([[0.0, 1.0, 2.0, 3.0]], requires_grad=True)
    F.pad(x, (2, 3), mode=mode, value=None).sum().backward()
    counts = {"constant": [1, 1, 1, 1], "reflect": [2, 3, 3, 1], "replicate": [3, 1, 1, 4],
              "circular": [2, 2, 3, 2]}
    assert _np(x.grad).tolist() == [counts[mode]]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, pad", [((1, 2, 4), (2, 1)), ((1, 3, 3), (1, 2, 0, 1)),
                                        ((1, 2, 2, 3), (1, 0, 1, 1, 0, 1)), ((1, 3, 4), (-1, 2, 1, -1))])
def test_gradcheck(mode, shape, pad):
    x = nb.tensor(RNG.standard_normal(shape), dtype=nb.float64, requires_grad=True)
    assert nb.autograd.gradcheck(lambda t: F.pad(t, pad, mode=mode) * 1.5, (x,))


# --------------------------------------------------------------------------- errors
ERROR_CASES = [
    # (shape, dtype, pad, mode, value)
    ((2, 3), "float32", (1,), "constant", None),
    ((2, 3), "float32", (1, 1, 1, 1, 1, 1), "constant", None),
    ((2, 3), "float32", (1, 1, 1, 1, 1, 1), "reflect", 1.0),
    ((), "float32", (1, 1), "constant", None),
    ((2, 3), "float32", (1,), "foo", None),
    ((2, 3), "float32", (1, 1), "Reflect", None),
    ((2, 3), "float32", (1, 1), "reflect", 2.0),
    ((2, 3), "float32", (1, 1), "circular", float("nan")),
    ((3,), "float32", (1, 1), "reflect", None),
    ((1, 1, 1, 3), "float32", (1, 1), "replicate", None),
    ((2, 3), "float32", (1, 1, 1, 1), "circular", None),
    ((1, 1, 1, 1, 2, 2), "float32", (1, 1, 1, 1, 1, 1), "reflect", None),
    ((), "float32", (), "replicate", None),
    ((2, 3), "float32", (3, 1), "reflect", None),
    ((2, 3), "float32", (-3, 3), "reflect", None),
    ((1, 3, 3), "float32", (1, 1, 3, 0), "reflect", None),
    ((1, 3, 3), "float32", (3, 1, 3, 0), "reflect", None),
    ((1, 2, 3, 4), "float32", (1, 1, 1, 1, 2, 2), "reflect", None),
    ((2, 3), "float32", (-2, -1), "reflect", None),
    ((2, 3), "float32", (-9, -9), "replicate", None),
    ((1, 3, 3), "float32", (-2, -1, -2, -2), "reflect", None),
    ((1, 3, 3), "float32", (-2, -1, -2, -2), "replicate", None),
    ((1, 2, 3, 4), "float32", (-4, 0, -3, 0, -2, 0), "replicate", None),
    ((1, 2, 3, 4), "float32", (-4, 0, -3, 0, -2, 0), "reflect", None),
    ((1, 3, 3), "float32", (-5, 0, 1, 1), "replicate", None),
    ((1, 2, 3, 4), "float32", (3, 3, -3, 0, -3, 0), "reflect", None),
    ((2, 0), "float32", (1, 1), "reflect", None),
    ((0, 3), "float32", (1, 1), "replicate", None),
    ((1, 0, 2, 3), "float32", (1, 1, 1, 1), "replicate", None),
    ((1, 0, 2, 3, 3), "float32", (1, 1, 1, 1, 1, 1), "reflect", None),
    ((1, 3), "bool", (1, 1), "reflect", None),
    ((1, 3), "bool", (0, 0), "replicate", None),
    ((1, 2, 3, 3), "bool", (1, 1, 1, 1, 1, 1), "reflect", None),
    ((1, 3), "bool", (3, 1), "reflect", None),
    ((2, 3), "float32", (4, 1), "circular", None),
    ((1, 1, 3, 3), "float32", (-5, 1, 4, -1), "circular", None),
    ((1, 1, 3, 3), "float32", (4, 1, -5, 1), "circular", None),
    ((2, 3), "float32", (-3, -1), "circular", None),
    ((2, 3), "float32", (-2, -2), "constant", None),
    ((2, 3), "float32", (2, -4), "constant", None),
    ((2, 3), "float32", (-4, 5), "constant", None),
    ((2, 3, 3), "float32", (1, 1, -5, 0), "constant", 1e40),
    ((2, 3), "float32", (1.0, 1), "constant", None),
    ((2, 3), "float32", (True, 1), "constant", None),
    ((2, 3), "float32", 1, "constant", None),
    ((2, 3), "float32", None, "constant", None),
    ((2, 3), "float32", (1, 1), None, None),
    ((2, 3), "float32", (1, 1), "constant", 1j),
    ((2, 3), "float32", (1, 1), "constant", "a"),
]


@pytest.mark.parametrize("shape, dtype, pad, mode, value", ERROR_CASES)
def test_errors_match_torch(torch, shape, dtype, pad, mode, value):
    a = np.ones(shape, dtype=dtype)
    theirs = _outcome(lambda: torch.nn.functional.pad(torch.tensor(a), pad, mode, value))
    assert theirs is not None
    assert _outcome(lambda: F.pad(nb.tensor(a), pad, mode, value)) == theirs


@pytest.mark.parametrize("dtype, value, c_name", [("uint8", -1, "uint8_t"), ("int64", 1e20, "int64_t"),
                                                  ("float32", 1e40, "float")])
def test_value_that_does_not_fit_the_dtype(torch, dtype, value, c_name):
    message = f"value cannot be converted to type {c_name} without overflow"
    with pytest.raises(RuntimeError, match=message):
        torch.nn.functional.pad(torch.ones(2, dtype=getattr(torch, dtype)), (1, 1), value=value)
    with pytest.raises(RuntimeError, match=message):  # (nbtensor's words go on with the value)
        F.pad(nb.ones(2, dtype=getattr(nb, dtype)), (1, 1), value=value)
    # nothing to fill: no error, in either
    F.pad(nb.ones(2, dtype=getattr(nb, dtype)), (-1, 0), value=value)


@pytest.mark.parametrize("pad", [(3, -1), (2, -2), (-2, 3), (-3, 1), (1, -3), (3, -4)])
def test_circular_wider_than_what_cropping_leaves(pad):
    # torch checks a circular amount against the whole dimension only, and then copies from
    # memory it never wrote (garbage, or an error about shapes); here it is refused
    with pytest.raises(RuntimeError, match="^Padding value causes wrapping around more than once.$"):
        F.pad(nb.ones(2, 3), pad, mode="circular")


def test_error_messages_by_hand():
    x = nb.ones(2, 3)
    with pytest.raises(RuntimeError, match="^Padding length must be divisible by 2$"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(RuntimeError, match=r"^Padding length should be less than or equal to two times the "
                                           r"input dimension but got padding length 6 and input of dimension 2$"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(NotImplementedError, match="^Unrecognised padding mode zeros$"):
        F.pad(x, (1, 1), mode="zeros")
    with pytest.raises(RuntimeError, match=r"^Argument #4: Padding size should be less than the corresponding "
                                           r"input dimension, but got: padding \(3, 1\) at dimension 1 of "
                                           r"input \[2, 3\]$"):
        F.pad(x, (3, 1), mode="reflect")
    with pytest.raises(NotImplementedError, match="^Padding size 2 is not supported for 1D input tensor."):
        F.pad(nb.ones(3), (1, 1), mode="circular")
    with pytest.raises(RuntimeError, match="^narrow\\(\\): length must be non-negative.$"):
        F.pad(x, (-2, -2))
