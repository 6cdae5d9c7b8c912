"""Convolutions (D2L chapters 7–8): F.conv1d/conv2d/conv_transpose1d/conv_transpose2d,
F.unfold/fold and the layers Conv1d/Conv2d/ConvTranspose2d/LazyConv2d, then a tiny LeNet
trained one SGD step. Values are checked by hand and against NumPy loops, gradients with
central differences (float64), and everything against torch 2.13 when it is installed
(values, gradients, node names, reprs, error messages). Tiny shapes: the suite also runs
in the CUDA simulator."""
import math
import re
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.autograd import gradcheck
from nbtensor.nn import functional as F

from tests.nn_conv_support import leaf as _leaf
from tests.nn_conv_support import check_against_torch, needs_torch, not_in_simulator, torch
from tests.nn_conv_support import values as _np

RNG = np.random.default_rng(5)


def _conv2d_loops(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """The definition of a 2-D cross-correlation, one output element at a time."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for s in range(n):
        for k in range(o):
            g = k // (o // groups)
            for i in range(oh):
                for j in range(ow):
                    patch = xp[s, g * cg:(g + 1) * cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                               j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[s, k, i, j] = (patch * w[k]).sum() + (0 if b is None else b[k])
    return out


# ------------------------------------------------------------------ values by hand and NumPy
def test_conv2d_by_hand():
    # D2L 7.2: the 3x3 input 0..8 cross-correlated with the kernel [[0, 1], [2, 3]]
    x = nb.arange(9.0).reshape(1, 1, 3, 3)
    k = nb.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    np.testing.assert_array_equal(_np(F.conv2d(x, k)), [[[[19.0, 25.0], [37.0, 43.0]]]])
    # padding 1, stride 2: the corners of the padded 5x5 image
    np.testing.assert_array_equal(_np(F.conv2d(x, k, padding=1, stride=2)), [[[[0.0, 8.0], [21.0, 43.0]]]])
    # a bias per output channel, unbatched input
    out = F.conv2d(x[0], nb.cat([k, -k]), nb.tensor([1.0, -1.0]))
    np.testing.assert_array_equal(_np(out), [[[20.0, 26.0], [38.0, 44.0]], [[-20.0, -26.0], [-38.0, -44.0]]])


@pytest.mark.parametrize("kwargs", [
    {},
    {"stride": (2, 1), "padding": (1, 0)},
    {"dilation": 2, "padding": 1},
    {"groups": 2, "stride": 2},
])
def test_conv2d_matches_loops(kwargs):
    x, w, b = RNG.standard_normal((2, 2, 4, 5)), RNG.standard_normal((2, 2 // kwargs.get("groups", 1), 2, 3)), \
        RNG.standard_normal(2)
    out = F.conv2d(nb.tensor(x), nb.tensor(w), nb.tensor(b), **kwargs)
    pair = {k: (v, v) if isinstance(v, int) and k != "groups" else v for k, v in kwargs.items()}
    np.testing.assert_allclose(_np(out), _conv2d_loops(x, w, b, **pair), rtol=1e-12, atol=1e-12)


def test_conv1d_and_same_padding():
    x = nb.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    w = nb.tensor([[[1.0, 0.0, -1.0]]])
    np.testing.assert_array_equal(_np(F.conv1d(x, w)), [[[-2.0, -2.0]]])
    np.testing.assert_array_equal(_np(F.conv1d(x, w, padding="same")), [[[-2.0, -2.0, -2.0, 3.0]]])
    np.testing.assert_array_equal(_np(F.conv1d(x, w, padding="valid")), [[[-2.0, -2.0]]])
    # an even kernel: the extra zero goes on the right, with torch's warning
    with pytest.warns(UserWarning, match="padding='same' with even kernel lengths"):
        out = F.conv2d(nb.ones((1, 1, 3, 3)), nb.ones((1, 1, 2, 2)), padding="same")
    np.testing.assert_array_equal(_np(out), [[[[4.0, 4.0, 2.0], [4.0, 4.0, 2.0], [2.0, 2.0, 1.0]]]])


def test_conv_transpose2d_by_hand():
    # D2L 14.10: each input element scales the kernel into its window of the output
    x = nb.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    k = nb.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    np.testing.assert_array_equal(_np(F.conv_transpose2d(x, k)),
                                  [[[[0.0, 0.0, 1.0], [0.0, 4.0, 6.0], [4.0, 12.0, 9.0]]]])
    np.testing.assert_array_equal(_np(F.conv_transpose2d(x, k, padding=1)), [[[[4.0]]]])
    np.testing.assert_array_equal(_np(F.conv_transpose2d(x, k, stride=2)),
                                  [[[[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 3.0],
                                     [4.0, 6.0, 6.0, 9.0]]]])


def test_conv_transpose_is_the_adjoint_of_conv():
    # <conv(x), y> == <x, conv_transpose(y)> for the same settings
    x, w, y = RNG.standard_normal((1, 2, 5, 4)), RNG.standard_normal((3, 2, 3, 2)), RNG.standard_normal((1, 3, 3, 1))
    settings = {"stride": 2, "padding": (1, 0), "dilation": (1, 2)}
    lhs = float((F.conv2d(nb.tensor(x), nb.tensor(w), **settings) * nb.tensor(y)).sum())
    back = F.conv_transpose2d(nb.tensor(y), nb.tensor(w), output_padding=(0, 1), **settings)
    assert tuple(back.shape) == x.shape
    assert lhs == pytest.approx(float((nb.tensor(x) * back).sum()), rel=1e-12)


def test_unfold_fold_by_hand():
    x = nb.arange(9.0).reshape(1, 1, 3, 3)
    cols = F.unfold(x, 2)
    np.testing.assert_array_equal(_np(cols), [[[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]])
    # fold adds the overlaps back: the centre is read by all four windows
    np.testing.assert_array_equal(_np(F.fold(nb.ones((1, 4, 4)), (3, 3), 2)), [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]])


# ------------------------------------------------------------------ gradients
@not_in_simulator
def test_conv2d_gradcheck():
    # (every setting at once, on a few elements: gradcheck runs two forwards per element)
    x, w, b = _leaf(RNG.standard_normal((1, 2, 2, 3))), _leaf(RNG.standard_normal((2, 1, 2, 2))), _leaf([0.5, -1.0])
    assert gradcheck(lambda *a: F.conv2d(*a, stride=(1, 2), padding=1, dilation=(2, 1), groups=2), (x, w, b))


@not_in_simulator
def test_conv_transpose2d_gradcheck():
    x, w, b = _leaf(RNG.standard_normal((1, 1, 2, 2))), _leaf(RNG.standard_normal((1, 1, 2, 2))), _leaf([0.5])
    assert gradcheck(lambda *a: F.conv_transpose2d(*a, stride=2, padding=1, output_padding=1), (x, w, b))


def test_conv2d_backward_by_hand_and_node():
    x = _leaf(np.arange(9.0).reshape(1, 1, 3, 3))
    k = _leaf([[[[0.0, 1.0], [2.0, 3.0]]]])
    b = _leaf([0.0])
    out = F.conv2d(x, k, b)
    assert out.grad_fn.name() == "ConvolutionBackward0"
    out.sum().backward()
    # each input element gets the sum of the kernel entries that read it
    np.testing.assert_array_equal(_np(x.grad), [[[[0, 1, 1], [2, 6, 4], [2, 5, 3]]]])
    # each kernel entry gets the sum of the 2x2 block of the input it reads
    np.testing.assert_array_equal(_np(k.grad), [[[[8, 12], [20, 24]]]])
    assert float(b.grad[0]) == 4.0


def test_conv2d_second_derivative():
    x = _leaf(RNG.standard_normal((1, 1, 3, 3)))
    w = _leaf(RNG.standard_normal((1, 1, 2, 2)))
    (gx,) = nb.autograd.grad((F.conv2d(x, w) ** 2).sum(), x, create_graph=True)
    gx.sum().backward()  # d/dw of sum(dL/dx): goes back through the convolution's own backward
    assert w.grad is not None and tuple(w.grad.shape) == (1, 1, 2, 2)


# ------------------------------------------------------------------ errors
def _sets_sorted(message):
    """`message` with the items of each {...} sorted (torch prints a Python set: its order varies)."""
    return re.sub(r"\{([^}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


@pytest.mark.parametrize("call, kind, message", [
    (lambda t, f, m, x, w: f.conv2d(x, t.ones((3, 1, 3, 3))), RuntimeError,
     "Given groups=1, weight of size [3, 1, 3, 3], expected input[1, 2, 5, 5] to have 1 channels, but got 2 "
     "channels instead"),
    (lambda t, f, m, x, w: f.conv2d(x, w, groups=2), RuntimeError,
     "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [[3, 2, 3, 3]] "
     "instead"),
    (lambda t, f, m, x, w: f.conv2d(t.ones((1, 2, 2, 2)), w), RuntimeError,
     "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than "
     "actual input size"),
    (lambda t, f, m, x, w: f.conv2d(x, w, stride=0), RuntimeError, "non-positive stride is not supported"),
    (lambda t, f, m, x, w: f.conv2d(x, w, padding=-1), RuntimeError, "negative padding is not supported"),
    (lambda t, f, m, x, w: f.conv2d(x, w, dilation=0), RuntimeError, "dilation should be greater than zero, but got [0, 0]"),
    (lambda t, f, m, x, w: f.conv2d(x, w, padding="same", stride=2), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda t, f, m, x, w: f.conv2d(x, w, padding="foo"), RuntimeError, "Invalid padding string: 'foo'"),
    (lambda t, f, m, x, w: f.conv2d(x, w, bias=t.ones(2)), RuntimeError,
     "Given weight of size [3, 2, 3, 3], expected bias to be 1-dimensional with 3 elements, but got bias of size "
     "[2] instead"),
    (lambda t, f, m, x, w: f.conv2d(x.double(), w), RuntimeError, "expected scalar type Double but found Float"),
    (lambda t, f, m, x, w: f.conv2d(x[0, 0], w), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]"),
    (lambda t, f, m, x, w: f.conv2d(x, w, padding=(1, 1, 1)), RuntimeError,
     "expected padding to be a single integer value or a list of 2 values to match the convolution dimensions, "
     "but got padding=[1, 1, 1]"),
    (lambda t, f, m, x, w: f.conv_transpose2d(x, t.ones((3, 2, 3, 3))), RuntimeError,
     "Given transposed=1, weight of size [3, 2, 3, 3], expected input[1, 2, 5, 5] to have 3 channels, but got 2 "
     "channels instead"),
    (lambda t, f, m, x, w: m.Conv2d(2, 3, 3, stride=2, padding="same"), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda t, f, m, x, w: m.Conv2d(2, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda t, f, m, x, w: m.Conv2d(2, 4, 3, groups=3), ValueError, "in_channels must be divisible by groups"),
    (lambda t, f, m, x, w: m.Conv2d(2, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda t, f, m, x, w: m.Conv2d(2, 4, 3, padding="foo"), ValueError,
     "Invalid padding string 'foo', should be one of {'same', 'valid'}"),
    (lambda t, f, m, x, w: m.ConvTranspose2d(2, 2, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
])
def test_conv_errors(call, kind, message):
    """(the message checked as written here, and against torch's own when installed)"""
    for lib in (nb, torch) if torch is not None else (nb,):
        with pytest.raises(kind) as raised, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(lib, lib.nn.functional, lib.nn, lib.ones((1, 2, 5, 5)), lib.ones((3, 2, 3, 3)))
        assert _sets_sorted(str(raised.value)) == _sets_sorted(message), lib.__name__


# ------------------------------------------------------------------ layers
def test_conv_layers_repr_state_and_init():
    conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
    assert repr(conv) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert tuple(conv.weight.shape) == (6, 1, 5, 5) and tuple(conv.bias.shape) == (6,)
    bound = 1 / math.sqrt(25)  # kaiming_uniform_(a=sqrt(5)) and the bias: both within 1/sqrt(fan_in)
    assert float(conv.weight.detach().abs().max()) <= bound and float(conv.bias.detach().abs().max()) <= bound
    assert repr(nn.Conv2d(1, 6, (3, 5), stride=2, padding=1, dilation=2, bias=False, padding_mode="reflect")) == (
        "Conv2d(1, 6, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False, "
        "padding_mode=reflect)")
    assert repr(nn.Conv1d(2, 4, 3, padding="same")) == "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=same)"
    assert repr(nn.Conv2d(4, 4, 3, groups=2)) == "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)"
    deconv = nn.ConvTranspose2d(2, 3, 2, stride=2)
    assert repr(deconv) == "ConvTranspose2d(2, 3, kernel_size=(2, 2), stride=(2, 2))"
    assert tuple(deconv.weight.shape) == (2, 3, 2, 2)
    assert tuple(deconv(nb.ones((1, 2, 2, 2))).shape) == (1, 3, 4, 4)
    assert tuple(nn.ConvTranspose2d(2, 3, 3, stride=2)(nb.ones((1, 2, 2, 2)), output_size=(6, 6)).shape) == \
        (1, 3, 6, 6)


def test_lazy_conv2d():
    conv = nn.LazyConv2d(4, 3, padding=1)
    assert repr(conv) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    out = conv(nb.ones((1, 2, 3, 3)))
    assert type(conv) is nn.Conv2d and conv.in_channels == 2 and tuple(conv.weight.shape) == (4, 2, 3, 3)
    assert tuple(out.shape) == (1, 4, 3, 3) and out.grad_fn.name() == "ConvolutionBackward0"


def test_padding_modes():
    conv = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular", bias=False)
    with nb.no_grad():
        conv.weight.copy_(nb.tensor([[[1.0, 0.0, 0.0]]]))  # picks the left neighbour
    np.testing.assert_array_equal(_np(conv(nb.tensor([[[1.0, 2.0, 3.0]]]))), [[[3.0, 1.0, 2.0]]])
    conv.padding_mode = "replicate"
    np.testing.assert_array_equal(_np(conv(nb.tensor([[[1.0, 2.0, 3.0]]]))), [[[1.0, 1.0, 2.0]]])


# ------------------------------------------------------------------ against torch
@needs_torch
@pytest.mark.parametrize("fn, x_shape, w_shape, kwargs", [
    ("conv2d", (2, 2, 4, 5), (3, 2, 2, 3), {"stride": (2, 1), "padding": 1}),
    ("conv2d", (2, 4, 4), (2, 1, 3, 2), {"dilation": (2, 1), "groups": 2, "padding": "same"}),
    ("conv1d", (1, 2, 5), (2, 2, 2), {"stride": 2, "padding": 1}),
    ("conv_transpose2d", (1, 2, 3, 2), (2, 3, 2, 3), {"stride": 2, "padding": (0, 1), "output_padding": 1}),
    ("conv_transpose1d", (2, 4), (2, 1, 3), {"stride": 2, "groups": 2}),
])
def test_conv_against_torch(fn, x_shape, w_shape, kwargs):
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    transposed = fn.startswith("conv_transpose")
    b = RNG.standard_normal(w_shape[1] * kwargs.get("groups", 1) if transposed else w_shape[0])
    ours, theirs = check_against_torch(fn, (x, w, b), rtol=1e-10, **kwargs)
    if len(x_shape) == len(w_shape):  # (unbatched: torch's squeeze node, see test_unbatched_nodes)
        assert ours[0] == theirs[0] == "ConvolutionBackward0"


def test_unbatched_nodes():
    out = F.conv2d(_leaf(np.ones((1, 3, 3))), nb.ones((1, 1, 2, 2), dtype=nb.float64))
    assert tuple(out.shape) == (1, 2, 2) and out.grad_fn.name() == "SqueezeBackward1"  # (torch's)
    assert out.grad_fn.next_functions[0][0].name() == "ConvolutionBackward0"


# ------------------------------------------------------------------ a tiny LeNet, one SGD step
def _lenet(lib):
    """LeNet's pattern in miniature: (1, 6, 6) -> conv 6x6 -> pool 3x3 -> conv 2x2 -> pool 1x1 -> 4."""
    layers = lib.nn
    return layers.Sequential(
        layers.Conv2d(1, 2, kernel_size=3, padding=1), layers.ReLU(), layers.MaxPool2d(2),
        layers.Conv2d(2, 3, kernel_size=2), layers.BatchNorm2d(3), layers.Sigmoid(),
        layers.AvgPool2d(2, stride=1), layers.Flatten(), layers.Linear(3, 4))


@needs_torch
def test_lenet_step_matches_torch():
    theirs = _lenet(torch)
    ours = _lenet(nb)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: nb.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((2, 1, 6, 6)).astype(np.float32)
    y = np.array([1, 3])
    losses = []
    for lib, net in ((nb, ours), (torch, theirs)):
        opt = lib.optim.SGD(net.parameters(), lr=0.1)
        loss = lib.nn.CrossEntropyLoss()(net(lib.tensor(x)), lib.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    their_state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(_np(value), their_state[name].numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(_np(p.grad), tp.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_lenet_forward_backward_shapes():
    net = _lenet(nb)
    out = net(nb.tensor(RNG.standard_normal((2, 1, 6, 6)).astype(np.float32)))
    assert tuple(out.shape) == (2, 4)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())


def test_too_few_filters_for_the_groups_and_windows_larger_than_the_input():
    with pytest.raises(RuntimeError, match=r"Given groups=3, expected weight to be at least 3 at dimension 0, but "
                                           r"got weight of size \[2, 1, 2, 2\] instead"):
        F.conv2d(nb.ones(1, 3, 4, 4), nb.ones(2, 1, 2, 2), groups=3)
    with pytest.raises(RuntimeError, match=r"Given input with spatial size \(2, 2\), kernel_size=\(3, 1\), "
                                           r"dilation=\(1, 1\), padding=\(0, 1\), calculated shape of the array of "
                                           r"sliding blocks as \(0, 4\), but its components must be at least one."):
        F.unfold(nb.ones(1, 1, 2, 2), (3, 1), padding=(0, 1))
