"""The padding modules, PixelShuffle/PixelUnshuffle, Fold/Unfold and Softmax2d: values
against NumPy (np.pad's modes, a reshape/transpose by hand), gradients by gradcheck, and
reprs, values, gradients and errors against torch when it is installed."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.autograd import gradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(7)
NP_MODES = {"Constant": "constant", "Zero": "constant", "Reflection": "reflect", "Replication": "edge",
            "Circular": "wrap"}


def _np(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("kind", sorted(NP_MODES))
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_padding_modules_match_numpy(kind, dims):
    x = RNG.standard_normal((2, 3) + (4,) * dims)
    padding = (1, 2, 2, 0, 3, 1)[:2 * dims]
    module = getattr(nn, f"{kind}Pad{dims}d")(*((padding, 1.5) if kind == "Constant" else (padding,)))
    assert module.padding == padding
    # np.pad takes (before, after) per dimension from the first; torch's list starts at the last
    widths = [(0, 0), (0, 0)] + [(padding[2 * i], padding[2 * i + 1]) for i in reversed(range(dims))]
    extra = {"constant_values": 1.5} if kind == "Constant" else {}
    expected = np.pad(x, widths, mode=NP_MODES[kind], **extra)
    np.testing.assert_array_equal(_np(module(nb.tensor(x))), expected)
    assert getattr(nn, f"{kind}Pad{dims}d")(*((2, 0.0) if kind == "Constant" else (2,))).padding == (2,) * (2 * dims)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@pytest.mark.parametrize("module", ["ReflectionPad2d((1, 0, 2, 1))", "ReplicationPad3d(1)", "CircularPad2d(1)",
                                    "ConstantPad2d(1, -2.0)", "PixelShuffle(2)", "PixelUnshuffle(2)", "Softmax2d()",
                                    "Fold((3, 4), 2)", "Unfold((2, 1), padding=1, stride=2)"])
def test_gradients_match_central_differences(module):
    m = eval("nn." + module)
    shape = (1, 4, 3, 4) if "Unshuffle" not in module else (1, 1, 4, 4)
    if module.startswith("Fold"):
        shape = (1, 4, 6)
    x = nb.tensor(RNG.standard_normal(shape), requires_grad=True)
    assert gradcheck(m, (x,))


def test_pixel_shuffle_by_hand_and_its_inverse():
    x = nb.arange(8.0).reshape(1, 4, 1, 2)
    assert nn.PixelShuffle(2)(x).tolist() == [[[[0.0, 2.0, 1.0, 3.0], [4.0, 6.0, 5.0, 7.0]]]]
    y = nb.tensor(RNG.standard_normal((2, 3, 8, 2, 5)))  # extra leading dims are batch dims
    shuffled = nn.functional.pixel_shuffle(y, 2)
    assert shuffled.shape == (2, 3, 2, 4, 10) and shuffled.is_contiguous()
    np.testing.assert_array_equal(_np(nn.functional.pixel_unshuffle(shuffled, 2)), _np(y))


def test_softmax2d_normalises_over_channels():
    x = RNG.standard_normal((2, 3, 4, 5))
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(_np(nn.Softmax2d()(nb.tensor(x))), e / e.sum(axis=1, keepdims=True), rtol=1e-12)


def test_fold_of_unfold_counts_each_pixels_windows():
    ones = nb.ones(1, 2, 3, 4)
    counts = nn.Fold((3, 4), 2)(nn.Unfold(2)(ones))
    expected = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [1, 2, 2, 1]], dtype=np.float32)
    np.testing.assert_array_equal(_np(counts)[0, 1], expected)


MODULES = ["ZeroPad1d(2)", "ZeroPad2d((1, 1, 2, 0))", "ZeroPad3d(1)", "ConstantPad1d(2, 3.5)",
           "ConstantPad2d((1, 2, 3, 4), 0.5)", "ConstantPad3d(1, 2)", "ReflectionPad1d(2)", "ReflectionPad2d(1)",
           "ReflectionPad3d(1)", "ReplicationPad1d((1, 2))", "ReplicationPad2d(1)", "ReplicationPad3d(1)",
           "CircularPad1d(1)", "CircularPad2d(1)", "CircularPad3d(1)", "Softmax2d()", "PixelShuffle(2)",
           "PixelUnshuffle(2)", "Fold((4, 5), 2)", "Unfold(2, padding=1)"]


@needs_torch
@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("ndim", [1, 2, 3, 4, 5])
def test_modules_match_torch(module, ndim):
    ours, theirs = eval("nn." + module), eval("torch.nn." + module)
    assert repr(ours) == repr(theirs)
    x = RNG.standard_normal((2, 4, 4, 6, 6)[5 - ndim:])
    if module.startswith("Fold") and ndim == 3:
        x = RNG.standard_normal((2, 8, 12))
    nx, tx = nb.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    try:
        expected = theirs(tx)
    except Exception as error:
        with pytest.raises(type(error)) as raised:
            ours(nx)
        assert str(raised.value) == str(error)
        return
    got = ours(nx)
    assert got.shape == tuple(expected.shape) and got.stride() == expected.stride()
    np.testing.assert_allclose(_np(got), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = RNG.standard_normal(tuple(expected.shape))
    (got * nb.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(_np(nx.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("call", ["F.pixel_shuffle(X, 0)", "F.pixel_shuffle(X3, 2)", "F.pixel_unshuffle(X, -1)",
                                  "F.pixel_unshuffle(X, 3)", "F.pixel_shuffle(X, 1.5)", "F.pixel_shuffle(X2, 2)",
                                  "F.unfold(X0, 2)", "F.fold(X, (3, 3), 2)"])
def test_bad_calls_raise_as_torch(call):
    def scope(lib):
        names = {"X": lib.ones(1, 4, 4, 2), "X3": lib.ones(1, 3, 2, 2), "X2": lib.ones(4, 2), "X0": lib.tensor(1.0)}
        return dict(names, F=lib.nn.functional)
    with pytest.raises(Exception) as theirs:
        eval(call, scope(torch))
    with pytest.raises(type(theirs.value)) as ours:
        eval(call, scope(nb))
    assert str(ours.value) == str(theirs.value)
