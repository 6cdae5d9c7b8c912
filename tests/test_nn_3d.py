"""The 3-D convolutions and poolings: F.conv3d/conv_transpose3d, F.max_pool3d (indices, ceil_mode,
dilation, padding), F.avg_pool3d (ceil_mode, count_include_pad, divisor_override),
F.adaptive_avg_pool3d/adaptive_max_pool3d, F.lp_pool3d, their layers (Conv3d, ConvTranspose3d,
LazyConv3d, LazyConvTranspose3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d,
LPPool3d, with MaxUnpool3d) and torch.conv3d/conv_transpose3d/max_pool3d. They share one N-d
implementation with the 1-D and 2-D ones (nn/im2col.py, nn/conv.py, nn/pooling.py), so a few
tests here also pin 1-D/2-D cases that implementation fixed (int64 average pools, a transposed
convolution whose output_padding is at least its stride, torch's order of checks). Values are
checked by hand and against NumPy loops, gradients with central differences (float64), and
everything against torch 2.13 when it is installed (values, indices, gradients, node names,
reprs, error messages). Tiny shapes: the suite also runs in the CUDA simulator."""
import itertools
import math
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.autograd import gradcheck, gradgradcheck
from nbtensor.nn import functional as F

from tests.nn_conv_support import leaf as _leaf
from tests.nn_conv_support import check_against_torch, needs_torch, not_in_simulator, torch
from tests.nn_conv_support import values as _np

RNG = np.random.default_rng(33)
LIBS = (nb, torch) if torch is not None else (nb,)


def _conv3d_loops(x, w, b, stride, padding, dilation, groups):
    """The definition of a 3-D cross-correlation, one output element at a time."""
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    outs = [(s + 2 * p - d * (k - 1) - 1) // st + 1
            for s, p, d, k, st in zip(x.shape[2:], padding, dilation, kernel, stride)]
    out = np.zeros((n, o) + tuple(outs))
    for s, k in itertools.product(range(n), range(o)):
        g = k // (o // groups)
        for pos in itertools.product(*map(range, outs)):
            window = tuple(slice(i * st, i * st + d * (kk - 1) + 1, d)
                           for i, st, d, kk in zip(pos, stride, dilation, kernel))
            out[(s, k) + pos] = (xp[(s, slice(g * cg, (g + 1) * cg)) + window] * w[k]).sum() + b[k]
    return out


def _windows_max(x, kernel, stride):
    """max_pool3d without padding or dilation, by NumPy: (values, flat indices)."""
    n, c, *size = x.shape
    outs = [(s - k) // st + 1 for s, k, st in zip(size, kernel, stride)]
    values = np.zeros((n, c) + tuple(outs))
    indices = np.zeros((n, c) + tuple(outs), dtype=np.int64)
    for i, j in itertools.product(range(n), range(c)):
        for pos in itertools.product(*map(range, outs)):
            starts = [p * st for p, st in zip(pos, stride)]
            block = x[i, j][tuple(slice(a, a + k) for a, k in zip(starts, kernel))]
            at = np.unravel_index(np.argmax(block), block.shape)
            values[(i, j) + pos] = block[at]
            indices[(i, j) + pos] = np.ravel_multi_index(tuple(a + b for a, b in zip(starts, at)), size)
    return values, indices


# ------------------------------------------------------------------ convolutions by hand and NumPy
@pytest.mark.parametrize("kwargs", [
    {"stride": (1, 1, 1), "padding": (0, 0, 0), "dilation": (1, 1, 1), "groups": 1},
    {"stride": (2, 1, 3), "padding": (1, 0, 2), "dilation": (1, 1, 1), "groups": 1},
    {"stride": (1, 2, 1), "padding": (1, 1, 0), "dilation": (2, 1, 2), "groups": 2},
])
def test_conv3d_matches_loops(kwargs):
    x, w, b = RNG.standard_normal((2, 2, 4, 5, 3)), RNG.standard_normal((4, 2 // kwargs["groups"], 2, 3, 1)), \
        RNG.standard_normal(4)
    out = F.conv3d(nb.tensor(x), nb.tensor(w), nb.tensor(b), **kwargs)
    np.testing.assert_allclose(_np(out), _conv3d_loops(x, w, b, **kwargs), rtol=1e-12, atol=1e-12)


def test_conv3d_by_hand():
    x = nb.arange(8.0).reshape(1, 1, 2, 2, 2)
    # an all-ones 2x2x2 kernel sums the cube; a bias is added to each output channel
    np.testing.assert_array_equal(_np(F.conv3d(x, nb.ones((2, 1, 2, 2, 2)), nb.tensor([0.0, 1.0]))),
                                  [[[[[28.0]]], [[[29.0]]]]])
    # padding 1: each corner of the 3x3x3 output sees one element of the input
    out = _np(F.conv3d(x, nb.ones((1, 1, 2, 2, 2)), padding=1))
    assert out.shape == (1, 1, 3, 3, 3)
    assert [out[0, 0, i, j, k] for i, j, k in itertools.product((0, 2), repeat=3)] == list(range(8))
    # unbatched input
    assert tuple(F.conv3d(x[0], nb.ones((3, 1, 1, 1, 1))).shape) == (3, 2, 2, 2)


def test_conv_transpose3d_by_hand_and_the_adjoint_of_conv3d():
    # each input element scales the kernel into its window of the output
    out = F.conv_transpose3d(nb.tensor([[[[[1.0]], [[2.0]]]]]), nb.ones((1, 1, 2, 1, 1)))
    np.testing.assert_array_equal(_np(out).reshape(-1), [1.0, 3.0, 2.0])
    # <conv(x), y> == <x, conv_transpose(y)> for the same settings
    x, w = RNG.standard_normal((1, 2, 5, 4, 3)), RNG.standard_normal((3, 2, 3, 2, 2))
    settings = {"stride": (2, 1, 2), "padding": (1, 0, 1), "dilation": (1, 2, 1)}
    y = RNG.standard_normal(tuple(F.conv3d(nb.tensor(x), nb.tensor(w), **settings).shape))
    lhs = float((F.conv3d(nb.tensor(x), nb.tensor(w), **settings) * nb.tensor(y)).sum())
    back = F.conv_transpose3d(nb.tensor(y), nb.tensor(w), output_padding=(0, 0, 1), **settings)
    assert tuple(back.shape) == x.shape
    assert lhs == pytest.approx(float((nb.tensor(x) * back).sum()), rel=1e-12)


def test_output_padding_past_the_padding():
    # output_padding may reach stride when dilation is larger: the output extends past what the
    # windows write (zeros there), in 1-D, 2-D and 3-D alike (its gradient ignores those)
    for dims in (1, 2, 3):
        fn = getattr(F, f"conv_transpose{dims}d")
        x = _leaf(np.ones((1, 1) + (2,) * dims))
        out = fn(x, nb.ones((1, 1) + (1,) * dims, dtype=nb.float64), dilation=2, output_padding=1)
        expected = np.zeros((1, 1) + (3,) * dims)
        expected[(0, 0) + (slice(0, 2),) * dims] = 1.0
        np.testing.assert_array_equal(_np(out), expected)
        (out * nb.tensor(np.arange(3.0 ** dims).reshape(out.shape))).sum().backward()
        np.testing.assert_array_equal(_np(x.grad), np.arange(3.0 ** dims).reshape((1, 1) + (3,) * dims)[
            (0, 0) + (slice(0, 2),) * dims][None, None])


# ------------------------------------------------------------------ convolution gradients
@not_in_simulator
def test_conv3d_gradcheck():
    x, w, b = _leaf(RNG.standard_normal((1, 2, 3, 2, 3))), _leaf(RNG.standard_normal((2, 1, 2, 2, 2))), \
        _leaf([0.5, -1.0])
    fn = lambda *a: F.conv3d(*a, stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1), groups=2)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


@not_in_simulator
def test_conv_transpose3d_gradcheck():
    x, w, b = _leaf(RNG.standard_normal((1, 1, 2, 2, 1))), _leaf(RNG.standard_normal((1, 2, 2, 1, 2))), \
        _leaf([0.5, 1.5])
    fn = lambda *a: F.conv_transpose3d(*a, stride=2, padding=(1, 0, 0), output_padding=(1, 1, 0))  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    # output_padding beyond the padding (stride 1, dilation 2)
    x, w = _leaf(RNG.standard_normal((1, 1, 2, 1, 2))), _leaf(RNG.standard_normal((1, 1, 1, 2, 1)))
    assert gradcheck(lambda *a: F.conv_transpose3d(*a, dilation=2, output_padding=1), (x, w))


def test_conv3d_backward_by_hand_and_node():
    x = _leaf(np.arange(8.0).reshape(1, 1, 2, 2, 2))
    k = _leaf(np.ones((1, 1, 1, 2, 2)))
    b = _leaf([0.0])
    out = F.conv3d(x, k, b)
    assert out.grad_fn.name() == "ConvolutionBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), np.ones((1, 1, 2, 2, 2)))  # each element read once
    np.testing.assert_array_equal(_np(k.grad), [[[[[0.0 + 4, 1 + 5], [2 + 6, 3 + 7]]]]])  # sums over the depth
    assert float(b.grad[0]) == 2.0


@needs_torch
@pytest.mark.parametrize("fn, x_shape, w_shape, kwargs", [
    pytest.param("conv3d", (2, 2, 4, 5, 3), (3, 2, 2, 3, 1), {"stride": (2, 1, 1), "padding": 1},
                 marks=pytest.mark.large),
    pytest.param("conv3d", (4, 3, 4, 5), (2, 2, 3, 2, 2), {"dilation": (2, 1, 1), "groups": 2, "padding": "same"},
                 marks=pytest.mark.large),
    ("conv3d", (1, 3, 5, 3, 4), (3, 1, 2, 2, 3), {"groups": 3, "stride": 2, "padding": (0, 1, 1)}),
    ("conv3d", (1, 2, 3, 4, 4), (2, 2, 2, 2, 2), {"padding": "valid", "dilation": 2}),
    ("conv_transpose3d", (1, 2, 3, 2, 2), (2, 3, 2, 3, 2), {"stride": 2, "padding": (0, 1, 0), "output_padding": 1}),
    ("conv_transpose3d", (4, 2, 3, 2), (4, 1, 3, 2, 2), {"stride": (1, 2, 2), "groups": 2, "dilation": (2, 1, 1)}),
    ("conv_transpose3d", (1, 1, 2, 2, 2), (1, 2, 1, 2, 1), {"dilation": 2, "output_padding": (1, 0, 1)}),
    ("conv_transpose2d", (1, 2, 3, 2), (2, 2, 1, 3), {"dilation": 2, "padding": (0, 1), "output_padding": 1}),
    ("conv_transpose1d", (1, 2, 4), (2, 1, 2), {"dilation": 3, "padding": 1, "output_padding": 2}),
])
def test_conv_against_torch(fn, x_shape, w_shape, kwargs):
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    transposed = fn.startswith("conv_transpose")
    b = RNG.standard_normal(w_shape[1] * kwargs.get("groups", 1) if transposed else w_shape[0])
    ours, theirs = check_against_torch(fn, (x, w, b), rtol=1e-10, **kwargs)
    assert ours == theirs  # (ConvolutionBackward0; unbatched: SqueezeBackward1 over it)


@needs_torch
@pytest.mark.large
def test_conv3d_second_derivative_matches_torch():
    x, w = RNG.standard_normal((1, 1, 3, 2, 3)), RNG.standard_normal((2, 1, 2, 2, 2))
    grads = []
    for lib in (nb, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        (gx,) = lib.autograd.grad((lib.nn.functional.conv3d(xt, wt, padding=1) ** 2).sum(), xt, create_graph=True)
        (gx * lib.tensor(np.linspace(-1, 1, gx.numel()).reshape(x.shape))).sum().backward()
        grads.append((gx.detach().cpu().numpy(), wt.grad.cpu().numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ convolution errors
@pytest.mark.parametrize("call, kind, message", [
    (lambda t, f, m, x, w: f.conv3d(x, t.ones((3, 1, 3, 3, 3))), RuntimeError,
     "Given groups=1, weight of size [3, 1, 3, 3, 3], expected input[1, 2, 5, 5, 5] to have 1 channels, but got 2 "
     "channels instead"),
    (lambda t, f, m, x, w: f.conv3d(x, w, groups=2), RuntimeError,
     "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [[3, 2, 3, 3, 3]] "
     "instead"),
    (lambda t, f, m, x, w: f.conv3d(t.ones((1, 2, 2, 2, 2)), w), RuntimeError,
     "Calculated padded input size per channel: (2 x 2 x 2). Kernel size: (3 x 3 x 3). Kernel size can't be greater "
     "than actual input size"),
    (lambda t, f, m, x, w: f.conv3d(x, w, stride=0), RuntimeError, "non-positive stride is not supported"),
    (lambda t, f, m, x, w: f.conv3d(x, w, padding=-1), RuntimeError, "negative padding is not supported"),
    (lambda t, f, m, x, w: f.conv3d(x, w, dilation=0), RuntimeError,
     "dilation should be greater than zero, but got [0, 0, 0]"),
    (lambda t, f, m, x, w: f.conv3d(x, w, dilation=-1), RuntimeError, "dilation should be greater than zero"),
    (lambda t, f, m, x, w: f.conv3d(x, w, groups=0), RuntimeError, "non-positive groups is not supported"),
    (lambda t, f, m, x, w: f.conv3d(x, w, padding="same", stride=2), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda t, f, m, x, w: f.conv3d(x, w, bias=t.ones(2)), RuntimeError,
     "Given weight of size [3, 2, 3, 3, 3], expected bias to be 1-dimensional with 3 elements, but got bias of size "
     "[2] instead"),
    (lambda t, f, m, x, w: f.conv3d(x.double(), w), RuntimeError, "expected scalar type Double but found Float"),
    (lambda t, f, m, x, w: f.conv3d(x, w, t.ones(3).double()), RuntimeError,
     "Input type (float) and bias type (double) should be the same"),
    (lambda t, f, m, x, w: f.conv3d(x[0, 0], w), RuntimeError,
     "Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: [5, 5, 5]"),
    (lambda t, f, m, x, w: f.conv3d(x, w, padding=(1, 1)), RuntimeError,
     "expected padding to be a single integer value or a list of 3 values to match the convolution dimensions, "
     "but got padding=[1, 1]"),
    (lambda t, f, m, x, w: f.conv3d(x, t.ones((3, 2, 3, 3))), RuntimeError,
     "expected stride to be a single integer value or a list of 2 values to match the convolution dimensions, "
     "but got stride=[1, 1, 1]"),
    (lambda t, f, m, x, w: f.conv3d(t.ones((1, 2, 0, 5, 5)), w, padding=2), RuntimeError,
     "Only zero batch or zero channel inputs are supported, but got input shape: [1, 2, 0, 5, 5]"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((3, 2, 3, 3, 3))), RuntimeError,
     "Given transposed=1, weight of size [3, 2, 3, 3, 3], expected input[1, 2, 5, 5, 5] to have 3 channels, but got "
     "2 channels instead"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((2, 2, 3, 3, 3)), t.ones(3)), RuntimeError,
     "Given transposed=1, weight of size [2, 2, 3, 3, 3], expected bias to be 1-dimensional with 2 elements, but got "
     "bias of size [3] instead"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((2, 3, 3, 3, 3)), groups=4), RuntimeError,
     "Given groups=4, expected weight to be at least 4 at dimension 0, but got weight of size [2, 3, 3, 3, 3] "
     "instead"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((2, 2, 3, 3, 3)), output_padding=(0, 0, 2), stride=2),
     RuntimeError, "output padding must be smaller than either stride or dilation, but got output_padding_depth: 0 "
                   "output_padding_height: 0 output_padding_width: 2 stride_depth: 2 stride_height: 2 stride_width: 2 "
                   "dilation_depth: 1 dilation_height: 1 dilation_width: 1"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((2, 2, 3, 3, 3)), output_padding=-1), RuntimeError,
     "negative output_padding is not supported"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((2, 2, 3, 3, 3)), dilation=(1, 0, 1)), RuntimeError,
     "dilation should be greater than zero, but got dilation_depth: 1, dilation_height: 0, dilation_width: 1"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((2, 2, 1, 1, 1)), padding=(0, 0, 3)), RuntimeError,
     "Given input size per channel: (5 x 5 x 5). Calculated output size per channel: (5 x 5 x -1). Output size is "
     "too small"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((2, 2, 3, 3, 3)), padding="same"), TypeError,
     "conv_transpose3d(): argument 'padding' must be tuple of ints, not str"),
    (lambda t, f, m, x, w: f.conv_transpose3d(x, t.ones((2, 2, 3, 3, 3)).double()), RuntimeError,
     "expected scalar type Float but found Double"),
    # (a 1-D transposed convolution runs as a 2-D one: torch's messages show the height too)
    (lambda t, f, m, x, w: f.conv_transpose1d(t.ones((1, 2, 3)), t.ones((2, 2, 1)), padding=2), RuntimeError,
     "Given input size per channel: (1 x 3). Calculated output size per channel: (1 x -1). Output size is too "
     "small"),
    (lambda t, f, m, x, w: f.conv_transpose1d(t.ones((1, 2, 3)), t.ones((2, 2, 1)), output_padding=1), RuntimeError,
     "output padding must be smaller than either stride or dilation, but got output_padding_height: 0 "
     "output_padding_width: 1 stride_height: 1 stride_width: 1 dilation_height: 1 dilation_width: 1"),
    (lambda t, f, m, x, w: m.Conv3d(2, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda t, f, m, x, w: m.Conv3d(2, 4, 3, stride=2, padding="same"), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda t, f, m, x, w: m.ConvTranspose3d(2, 2, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose3d'),
    pytest.param(lambda t, f, m, x, w: m.ConvTranspose3d(2, 3, 3, stride=2)(t.ones((1, 2, 2, 2, 2)),
                                                                             output_size=(9, 5, 6)),
                 ValueError, "requested an output size of (9, 5, 6), but valid sizes range from [5, 5, 5] to [6, 6, 6] "
                             "(for an input of torch.Size([2, 2, 2]))", marks=pytest.mark.large),
])
def test_conv_errors(call, kind, message):
    """(the message checked as written here, and against torch's own when installed)"""
    for lib in LIBS:
        with pytest.raises(kind) as raised, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(lib, lib.nn.functional, lib.nn, lib.ones((1, 2, 5, 5, 5)), lib.ones((3, 2, 3, 3, 3)))
        assert str(raised.value) == message, lib.__name__


# ------------------------------------------------------------------ pooling by hand
def test_max_pool3d_by_hand():
    values = RNG.permutation(64).reshape(1, 1, 4, 4, 4).astype(np.float64)
    x = _leaf(values)
    out, indices = F.max_pool3d(x, 2, return_indices=True)
    expected, where = _windows_max(values, (2, 2, 2), (2, 2, 2))
    np.testing.assert_array_equal(_np(out), expected)
    np.testing.assert_array_equal(_np(indices), where)  # flat over each (D, H, W) volume, as torch's
    assert out.grad_fn.name() == "MaxPool3DWithIndicesBackward0" and indices.dtype is nb.int64
    out.sum().backward()
    grad = np.zeros(64)
    grad[where.reshape(-1)] = 1.0
    np.testing.assert_array_equal(_np(x.grad).reshape(-1), grad)
    # overlapping windows (stride 1, kernel (1, 2, 3)) and unbatched input
    values = RNG.standard_normal((2, 3, 4, 5))
    out, indices = F.max_pool3d(nb.tensor(values), (1, 2, 3), stride=1, return_indices=True)
    expected, where = _windows_max(values[None], (1, 2, 3), (1, 1, 1))
    np.testing.assert_array_equal(_np(out), expected[0])
    np.testing.assert_array_equal(_np(indices), where[0])


def test_max_pool3d_padding_dilation_and_ceil_mode():
    x = nb.arange(27.0).reshape(1, 1, 3, 3, 3)
    # padding 1 with -inf: each 2x2x2 window at a corner of the padded cube holds one element
    out, indices = F.max_pool3d(x, 2, padding=1, return_indices=True)
    np.testing.assert_array_equal(_np(out).reshape(-1), [0, 2, 6, 8, 18, 20, 24, 26])
    np.testing.assert_array_equal(_np(indices).reshape(-1), [0, 2, 6, 8, 18, 20, 24, 26])
    # dilation 2: the window is the 8 corners of the cube
    assert float(F.max_pool3d(-x, 2, dilation=2).reshape(())) == 0.0
    # ceil_mode: a last window hanging over the end
    assert tuple(F.max_pool3d(x, 2, ceil_mode=True).shape) == (1, 1, 2, 2, 2)
    assert tuple(F.max_pool3d(x, 2).shape) == (1, 1, 1, 1, 1)


def test_avg_pool3d_divisors_by_hand():
    x = nb.ones((1, 1, 3, 3, 3))
    # 2x2x2 windows, stride 2, padding 1: each window holds one, two, four or eight real ones
    out = _np(F.avg_pool3d(x, 2, padding=1))
    assert out[0, 0, 0, 0, 0] == 1 / 8 and out[0, 0, 1, 1, 1] == 1.0 and out[0, 0, 0, 1, 1] == 0.5
    np.testing.assert_array_equal(_np(F.avg_pool3d(x, 2, padding=1, count_include_pad=False)), np.ones((1, 1, 2, 2, 2)))
    np.testing.assert_array_equal(_np(F.avg_pool3d(x, 2, padding=1, divisor_override=1)).reshape(-1),
                                  [1, 2, 2, 4, 2, 4, 4, 8])
    # ceil_mode: windows over the end are divided by what they cover of the input (+ padding)
    np.testing.assert_array_equal(_np(F.avg_pool3d(x * 2, 2, ceil_mode=True)), np.full((1, 1, 2, 2, 2), 2.0))
    avg = F.avg_pool3d(_leaf(np.ones((1, 1, 2, 2, 2))), 2)
    assert avg.grad_fn.name() == "AvgPool3DBackward0"


def test_int64_average_pools_truncate_as_torch():
    x = nb.tensor([[[[-3, -2], [0, 0]]]])
    assert F.avg_pool2d(x, 2).tolist() == [[[[-1]]]] and F.avg_pool2d(x, 2).dtype is nb.int64
    assert F.avg_pool3d(x.unsqueeze(0), (1, 2, 2)).tolist() == [[[[[-1]]]]]
    assert F.avg_pool1d(nb.tensor([[-3, -2, 0, 5]]), 2).tolist() == [[-2, 2]]
    assert F.avg_pool2d(nb.tensor([[[[-3, -2], [0, 8]]]]), 2, divisor_override=2).tolist() == [[[[1]]]]


def test_adaptive_pools_3d_by_hand():
    x = nb.arange(30.0).reshape(1, 1, 2, 3, 5)
    # windows along the width: [0, 2), [1, 4), [3, 5); one window over depth and height
    np.testing.assert_allclose(_np(F.adaptive_avg_pool3d(x, (1, 1, 3))).reshape(-1),
                               [np.arange(30.0).reshape(2, 3, 5)[:, :, a:b].mean() for a, b in ((0, 2), (1, 4), (3, 5))])
    out, indices = F.adaptive_max_pool3d(x, (2, 2, 3), return_indices=True)
    np.testing.assert_array_equal(_np(out), _np(indices).astype(np.float64))  # (the values are their positions)
    np.testing.assert_array_equal(_np(out)[0, 0, 0], [[6, 8, 9], [11, 13, 14]])
    glob = F.adaptive_avg_pool3d(_leaf(np.arange(8.0).reshape(1, 2, 2, 2)), 1)
    assert float(glob.detach().reshape(())) == 3.5 and glob.grad_fn.name() == "MeanBackward1"  # torch's global pool
    assert tuple(F.adaptive_avg_pool3d(x, (None, 2, None)).shape) == (1, 1, 2, 2, 5)
    assert tuple(F.adaptive_max_pool3d(x, (2, 0, 1)).shape) == (1, 1, 2, 0, 1)


def test_lp_pool3d_matches_numpy():
    x = RNG.uniform(0.1, 2, (1, 2, 4, 2, 4))
    blocks = x.reshape(1, 2, 2, 2, 1, 2, 2, 2).transpose(0, 1, 2, 4, 6, 3, 5, 7).reshape(1, 2, 2, 1, 2, 8)
    for p in (1.0, 2.0, 3.5):
        np.testing.assert_allclose(_np(F.lp_pool3d(nb.tensor(x), p, 2)), (blocks ** p).sum(-1) ** (1 / p), rtol=1e-12)
    np.testing.assert_allclose(_np(nn.LPPool3d(math.inf, 2)(nb.tensor(-x))), np.abs(blocks).max(-1), rtol=0)
    with pytest.raises(ValueError, match=r"not enough values to unpack \(expected 3, got 2\)"):
        F.lp_pool3d(nb.tensor(x), 2, (2, 2))


# ------------------------------------------------------------------ pooling gradients
@not_in_simulator
@pytest.mark.parametrize("fn, args", [
    ("max_pool3d", (2, 1, 1, 1, True)),
    ("max_pool3d", ((2, 1, 2), (1, 1, 2), (1, 0, 1), (2, 1, 1))),
    ("avg_pool3d", (2, (1, 2, 1), (1, 1, 0), True, False)),
    ("avg_pool3d", (2, 1, 1, False, True, 3)),
    ("adaptive_avg_pool3d", ((2, 3, 1),)),
    ("adaptive_max_pool3d", ((2, 1, 2),)),
    ("lp_pool3d", (2.0, 2, 1)),
])
def test_pooling_3d_gradcheck(fn, args):
    # distinct positive values: no ties for max, and lp_pool's power is smooth
    x = _leaf(RNG.permutation(24).reshape(1, 2, 3, 2, 2) / 4.0 + 0.5)
    f = lambda t: getattr(F, fn)(t, *args)  # noqa: E731
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


@needs_torch
@pytest.mark.parametrize("fn, shape, args, kwargs", [
    ("max_pool3d", (1, 2, 5, 4, 3), ((3, 2, 2), (2, 1, 1), (1, 0, 1)), {"dilation": (1, 2, 1), "ceil_mode": True,
                                                                       "return_indices": True}),
    ("max_pool3d", (2, 3, 4, 5), (2,), {"padding": 1, "return_indices": True}),
    ("max_pool3d", (1, 1, 3, 4, 5), ((1, 2, 3),), {"stride": 1}),
    ("avg_pool3d", (2, 5, 4, 3), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool3d", (1, 2, 4, 3, 5), ((2, 1, 3), (1, 1, 2)), {"padding": (1, 0, 1), "divisor_override": 5}),
    ("avg_pool3d", (1, 2, 3, 3, 4), (2,), {"ceil_mode": True, "padding": 1}),
    ("adaptive_avg_pool3d", (1, 2, 5, 3, 4), ((3, None, 3),), {}),
    ("adaptive_avg_pool3d", (2, 4, 3, 7), ((2, 2, 3),), {}),
    ("adaptive_max_pool3d", (2, 5, 3, 4), ((2, 2, 3),), {"return_indices": True}),
    ("adaptive_max_pool3d", (1, 1, 3, 5, 2), ((None, 2, 1),), {"return_indices": True}),
    ("lp_pool3d", (1, 2, 4, 3, 5), (2.0, (2, 1, 2)), {"ceil_mode": True}),
    ("lp_pool3d", (2, 4, 3, 5), (1.5, 2, 1), {}),
])
def test_pooling_3d_against_torch(fn, shape, args, kwargs):
    x = RNG.standard_normal(shape)
    ours, theirs = check_against_torch(fn, (np.abs(x) + 0.1 if fn == "lp_pool3d" else x,), *args, **kwargs)
    assert ours == theirs


# ------------------------------------------------------------------ pooling errors
@pytest.mark.parametrize("call, kind, message", [
    (lambda t, f, x: f.max_pool3d(x, 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda t, f, x: f.max_pool3d(t.ones((1, 2, 6, 6, 6)), 3, 1, 2, 2), RuntimeError,
     "pad should be smaller than or equal to half of kernel size, but got kT: 3 kW: 3 kH: 3 padT: 2 padW: 2 padH: 2"),
    (lambda t, f, x: f.max_pool3d(x, (1, 7, 1)), RuntimeError,
     "Given input size: (2x5x5x5). Calculated output size: (2x5x0x5). Output size is too small"),
    (lambda t, f, x: f.max_pool3d(x, 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda t, f, x: f.max_pool3d(x, 2, stride=-1), RuntimeError,
     "stride should be greater than zero, but got dT: -1 dH: -1 dW: -1"),
    (lambda t, f, x: f.max_pool3d(x, 0, 1), RuntimeError, "kernel size should be greater than zero, but got kT: 0 kH: 0 "
                                                          "kW: 0"),
    (lambda t, f, x: f.max_pool3d(x, 2, dilation=0), RuntimeError,
     "dilation should be greater than zero, but got dilationT: 0 dilationH: 0 dilationW: 0"),
    (lambda t, f, x: f.max_pool3d(x, 2, padding=-1), RuntimeError, "pad must be non-negative, but got pad: -1"),
    (lambda t, f, x: f.max_pool3d(x[0, 0], 2), RuntimeError, "non-empty 4D or 5D (batch mode) tensor expected for input"),
    (lambda t, f, x: f.max_pool3d(x, (2, 2)), RuntimeError,
     "max_pool3d: kernel_size must either be a single int, or a tuple of three ints"),
    (lambda t, f, x: f.max_pool3d(x, 2, (2, 2)), RuntimeError,
     "max_pool3d: stride must either be omitted, a single int, or a tuple of three ints"),
    (lambda t, f, x: f.max_pool3d(x, 2, 2, (1, 1)), RuntimeError,
     "max_pool3d: padding must either be a single int, or a tuple of three ints"),
    (lambda t, f, x: f.max_pool3d(x, 2, 2, 0, (1, 1)), RuntimeError,
     "max_pool3d: dilation must be either a single int, or a tuple of three ints"),
    (lambda t, f, x: f.max_pool3d(t.ones((1, 0, 4, 4, 4)), 2), RuntimeError,
     "max_pool3d_with_indices_out_cpu_template(): Expected input's non-batch dimensions to have positive length, but "
     "input has a shape of [1, 0, 4, 4, 4] and non-batch dimension 0 has length zero!"),
    (lambda t, f, x: f.max_pool3d(x.bool(), 2), NotImplementedError, "\"max_pool3d\" not implemented for 'Bool'"),
    (lambda t, f, x: f.max_pool2d(x[0].bool(), 2), NotImplementedError, "\"max_pool2d\" not implemented for 'Bool'"),
    (lambda t, f, x: f.avg_pool3d(x, 7), RuntimeError,
     "input image (T: 5 H: 5 W: 5) smaller than kernel size (kT: 7 kH: 7 kW: 7)"),
    (lambda t, f, x: f.avg_pool3d(x, 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda t, f, x: f.avg_pool3d(x, 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda t, f, x: f.avg_pool3d(x, (2, 2)), RuntimeError,
     "avg_pool3d: kernel_size must be a single int, or a tuple of three ints"),
    (lambda t, f, x: f.avg_pool3d(x, 2, (2, 2)), RuntimeError,
     "avg_pool3d: stride must be omitted, a single int, or a tuple of three ints"),
    (lambda t, f, x: f.avg_pool3d(x[0, 0], 2), RuntimeError,
     "non-empty 4D or 5D (batch mode) tensor expected for input"),
    (lambda t, f, x: f.avg_pool3d(t.ones((1, 0, 4, 4, 4)), 2), RuntimeError,
     "avg_pool3d(): Expected input's non-batch dimensions to have positive length, but input has a shape of "
     "[1, 0, 4, 4, 4] and non-batch dimension 0 has length zero!"),
    (lambda t, f, x: f.avg_pool3d(x.int(), 2), NotImplementedError,
     "\"avg_pool3d_out_frame\" not implemented for 'Int'"),
    (lambda t, f, x: f.avg_pool3d(x.half(), 2), NotImplementedError,
     "\"avg_pool3d_out_frame\" not implemented for 'Half'"),
    (lambda t, f, x: f.avg_pool2d(x[0].int(), 2), NotImplementedError, "\"avg_pool2d\" not implemented for 'Int'"),
    (lambda t, f, x: f.max_pool2d(x[0], (2, 2, 2)), RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda t, f, x: f.adaptive_avg_pool3d(x[0, 0], 2), RuntimeError,
     "adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got [5, 5, 5]"),
    (lambda t, f, x: f.adaptive_avg_pool3d(x, (2, 2)), RuntimeError, "adaptive_avg_pool3d: output_size must be 3"),
    (lambda t, f, x: f.adaptive_avg_pool3d(x, (2, -1, 2)), RuntimeError,
     "adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but received {2, -1,2}"),
    (lambda t, f, x: f.adaptive_avg_pool3d(t.ones((2, 0, 5)), 2), RuntimeError,
     "adaptive_avg_pool3d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     "[2, 0, 5] with dimension 1 being empty"),
    (lambda t, f, x: f.adaptive_avg_pool3d(x.long(), 2), NotImplementedError,
     "\"adaptive_avg_pool3d_cpu\" not implemented for 'Long'"),
    (lambda t, f, x: f.adaptive_avg_pool3d(x, (2.0, 2, 2)), TypeError,
     "adaptive_avg_pool3d(): argument 'output_size' (position 2) must be tuple of ints, but found element of type "
     "float at pos 0"),
    (lambda t, f, x: f.adaptive_max_pool3d(x[0, 0], 2), RuntimeError,
     "adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: [5, 5, 5]"),
    (lambda t, f, x: f.adaptive_max_pool3d(x, (2, 2)), RuntimeError,
     "adaptive_max_pool3d(): internal error: output_size.size() must be 3"),
    (lambda t, f, x: f.adaptive_max_pool3d(x, (2, -1, 2)), RuntimeError,
     "Trying to create tensor with negative dimension -1: [1, 2, 2, -1, 2]"),
    (lambda t, f, x: f.adaptive_max_pool3d(t.ones((1, 0, 4, 4, 4)), 2), RuntimeError,
     "adaptive_max_pool3d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     "[1, 0, 4, 4, 4] with dimension 1 being empty"),
    (lambda t, f, x: f.adaptive_max_pool3d(x.long(), 2), NotImplementedError,
     "\"adaptive_max_pool3d_cpu\" not implemented for 'Long'"),
    (lambda t, f, x: f.adaptive_max_pool2d(x[0].long(), 2), NotImplementedError,
     "\"adaptive_max_pool2d\" not implemented for 'Long'"),
    (lambda t, f, x: f.adaptive_max_pool3d(t.ones((4, 4, 4)), (None, 2, 2)), ValueError,
     "Input dimension should be at least 4"),
    (lambda t, f, x: f.lp_pool3d(x[0, 0], 2, 2), RuntimeError,
     "non-empty 4D or 5D (batch mode) tensor expected for input"),
])
def test_pooling_3d_errors(call, kind, message):
    """(the message checked as written here, and against torch's own when installed)"""
    for lib in LIBS:
        with pytest.raises(kind) as raised:
            call(lib, lib.nn.functional, lib.ones((1, 2, 5, 5, 5)))
        assert str(raised.value) == message, lib.__name__


def _outcome(lib, fn, x, *args, **kwargs):
    """What `fn` gives (values and indices, as NumPy arrays) or raises (type and message)."""
    try:
        out = getattr(lib.nn.functional, fn)(lib.tensor(x), *args, **kwargs)
    except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError) as e:
        return type(e).__name__, str(e)
    return tuple(o.cpu().numpy() for o in (out if isinstance(out, tuple) else (out,)))


def _same_outcomes(ours, theirs, where):
    assert type(ours[0]) is type(theirs[0]), (where, ours, theirs)
    if isinstance(ours[0], str):
        assert ours == theirs, where
        return
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype, where
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=str(where))


@needs_torch
@pytest.mark.large
@pytest.mark.parametrize("dims", [2, 3])
def test_pooling_settings_sweep_matches_torch(dims):
    # kernels, strides, paddings, dilations and ceil_mode, valid or not, on odd and empty shapes:
    # the same values and indices, or the same error, as torch (one implementation, both ranks)
    data = RNG.standard_normal((1, 2) + (5, 4, 3)[3 - dims:])
    inputs = [data, data[0], np.ones((1, 2, 0) + (4,) * (dims - 1)), np.ones((0, 2) + (3,) * dims),
              np.arange(60).reshape((1, 3) + (5, 4, 1)[:dims])]
    for x in inputs:
        for k, s, p, d, ceil in itertools.product((0, 2, 3, (2,) * (dims - 1) + (1,)), (None, 0, 2), (0, 1, 2),
                                                  (1, 2), (False, True)):
            if x.dtype == np.float64:
                where = ("max", x.shape, k, s, p, d, ceil)
                _same_outcomes(_outcome(nb, f"max_pool{dims}d", x, k, s, p, d, ceil, return_indices=True),
                               _outcome(torch, f"max_pool{dims}d", x, k, s, p, d, ceil, return_indices=True), where)
            where = ("avg", x.shape, k, s, p, ceil, d == 2)
            _same_outcomes(_outcome(nb, f"avg_pool{dims}d", x, k, s, p, ceil, d == 2),
                           _outcome(torch, f"avg_pool{dims}d", x, k, s, p, ceil, d == 2), where)


@needs_torch
@pytest.mark.large
def test_adaptive_pool_3d_errors_match_torch():
    sizes = (0, (0, 2, 1), None, -1, (2, -2, 1), (-1,), 1.5, (1.5, 1, 1), (None, None, None), (None, 1, 2), [2, 2, 2],
             (), (1, 2), (1, 2, 3, 4), "a", (True, 1, 1), 1, (1, 1, 1), 2)
    shapes = ((2,), (2, 3), (2, 3, 4), (1, 1, 2, 3, 4), (1, 2, 1, 2, 3, 4), (1, 1, 0, 3, 2), (0, 2, 3, 3, 1), (2, 0, 3))
    for name, shape, size in itertools.product(("adaptive_avg_pool3d", "adaptive_max_pool3d"), shapes, sizes):
        x = RNG.standard_normal(shape)
        _same_outcomes(_outcome(nb, name, x, size), _outcome(torch, name, x, size), (name, shape, size))


@needs_torch
def test_empty_batches_and_integer_inputs_match_torch():
    for fn, args in (("max_pool3d", (2,)), ("avg_pool3d", (2,)), ("adaptive_avg_pool3d", (2,)),
                     ("adaptive_max_pool3d", (2,))):
        _same_outcomes(_outcome(nb, fn, np.ones((0, 2, 4, 4, 4)), *args),
                       _outcome(torch, fn, np.ones((0, 2, 4, 4, 4)), *args), fn)
    ints = RNG.integers(-20, 20, (1, 2, 4, 3, 5))
    for fn, args in (("max_pool3d", (2, 1, 1)), ("avg_pool3d", (2, 1, 1, True, False)), ("avg_pool3d", (3, 2, 1)),
                     ("avg_pool3d", (2, 2, 0, False, True, 3)), ("avg_pool2d", (2, 1, 1, True, False))):
        x = ints[0] if fn == "avg_pool2d" else ints
        _same_outcomes(_outcome(nb, fn, x, *args), _outcome(torch, fn, x, *args), (fn, args))
    x = RNG.standard_normal((0, 2, 3, 3, 3))
    for lib in LIBS:
        out = lib.nn.functional.conv3d(lib.tensor(x), lib.ones((4, 2, 2, 2, 2), dtype=lib.float64))
        assert tuple(out.shape) == (0, 4, 2, 2, 2)
    # int64 convolutions (torch's CPU kernels take them)
    w, b = RNG.integers(-3, 3, (2, 2, 2, 2, 2)), RNG.integers(-3, 3, 2)
    for fn, kwargs in (("conv3d", {"padding": 1, "stride": (1, 2, 1)}), ("conv_transpose3d", {"stride": 2})):
        ours, theirs = (getattr(lib.nn.functional, fn)(*(lib.tensor(a) for a in (ints, w, b)), **kwargs)
                        for lib in (nb, torch))
        assert ours.dtype is nb.int64
        np.testing.assert_array_equal(_np(ours), theirs.numpy())


# ------------------------------------------------------------------ layers
@pytest.mark.large  # (drawing the layers' weights is slow in the CUDA simulator)
def test_layers_3d_repr_and_shapes():
    reprs = {
        "Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))": lambda m: m.Conv3d(2, 4, 3),
        "Conv3d(2, 4, kernel_size=(3, 1, 2), stride=(2, 1, 1), padding=(1, 1, 1), dilation=(2, 2, 2), groups=2, "
        "bias=False, padding_mode=circular)": lambda m: m.Conv3d(2, 4, (3, 1, 2), stride=(2, 1, 1), padding=1,
                                                                 dilation=2, groups=2, bias=False,
                                                                 padding_mode="circular"),
        "ConvTranspose3d(2, 4, kernel_size=(3, 3, 3), stride=(2, 2, 2), output_padding=(1, 1, 1))":
            lambda m: m.ConvTranspose3d(2, 4, 3, stride=2, output_padding=1),
        "LazyConv3d(0, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))": lambda m: m.LazyConv3d(4, 3),
        "LazyConvTranspose3d(0, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))": lambda m: m.LazyConvTranspose3d(4, 3),
        "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)": lambda m: m.MaxPool3d(2),
        "MaxPool3d(kernel_size=(2, 1, 2), stride=1, padding=(1, 0, 1), dilation=2, ceil_mode=True)":
            lambda m: m.MaxPool3d((2, 1, 2), 1, (1, 0, 1), 2, return_indices=True, ceil_mode=True),
        "AvgPool3d(kernel_size=2, stride=2, padding=0)": lambda m: m.AvgPool3d(2),
        "AvgPool3d(kernel_size=(2, 1, 2), stride=1, padding=1)": lambda m: m.AvgPool3d((2, 1, 2), 1, 1, True, False, 3),
        "AdaptiveAvgPool3d(output_size=(2, None, 3))": lambda m: m.AdaptiveAvgPool3d((2, None, 3)),
        "AdaptiveMaxPool3d(output_size=2)": lambda m: m.AdaptiveMaxPool3d(2, return_indices=True),
        "LPPool3d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)": lambda m: m.LPPool3d(2, 3, stride=2),
    }
    for text, make in reprs.items():
        for lib in LIBS:
            assert repr(make(lib.nn)) == text, lib.__name__
    x = nb.ones((1, 2, 4, 5, 3))
    assert tuple(nn.MaxPool3d(2)(x).shape) == (1, 2, 2, 2, 1)
    assert tuple(nn.AvgPool3d(3, 1, 1)(x).shape) == (1, 2, 4, 5, 3)
    assert tuple(nn.AdaptiveAvgPool3d((1, None, 2))(x).shape) == (1, 2, 1, 5, 2)
    out, indices = nn.AdaptiveMaxPool3d(2, return_indices=True)(x)
    assert tuple(out.shape) == (1, 2, 2, 2, 2) and indices.dtype is nb.int64
    assert tuple(nn.LPPool3d(2, 2)(x).shape) == (1, 2, 2, 2, 1)
    conv = nn.Conv3d(2, 3, (1, 2, 3), padding=(0, 1, 1))
    assert tuple(conv.weight.shape) == (3, 2, 1, 2, 3) and tuple(conv(x).shape) == (1, 3, 4, 6, 3)
    bound = 1 / math.sqrt(2 * 6)  # kaiming_uniform_(a=sqrt(5)) and the bias: within 1/sqrt(fan_in)
    assert float(conv.weight.detach().abs().max()) <= bound and float(conv.bias.detach().abs().max()) <= bound
    assert tuple(nn.Conv3d(2, 3, 2, padding=1, padding_mode="reflect")(x).shape) == (1, 3, 5, 6, 4)
    deconv = nn.ConvTranspose3d(2, 3, 3, stride=2)
    assert tuple(deconv(nb.ones((1, 2, 2, 2, 2)), output_size=(6, 5, 6)).shape) == (1, 3, 6, 5, 6)
    assert tuple(deconv(nb.ones((2, 2, 2, 2)), output_size=(3, 5, 6, 5)).shape) == (3, 5, 6, 5)


def test_lazy_conv3d_layers():
    conv = nn.LazyConv3d(4, 3, padding=1)
    out = conv(nb.ones((1, 2, 3, 3, 3)))
    assert type(conv) is nn.Conv3d and conv.in_channels == 2 and tuple(conv.weight.shape) == (4, 2, 3, 3, 3)
    assert tuple(out.shape) == (1, 4, 3, 3, 3) and out.grad_fn.name() == "ConvolutionBackward0"
    deconv = nn.LazyConvTranspose3d(4, 2, stride=2)
    out = deconv(nb.ones((3, 2, 2, 2)))  # (unbatched)
    assert type(deconv) is nn.ConvTranspose3d and tuple(deconv.weight.shape) == (3, 4, 2, 2, 2)
    assert tuple(out.shape) == (4, 4, 4, 4)


def test_max_unpool3d_inverts_max_pool3d():
    values = RNG.permutation(128).reshape(1, 2, 4, 4, 4).astype(np.float64)
    out, indices = nn.MaxPool3d(2, return_indices=True)(nb.tensor(values))
    back = nn.MaxUnpool3d(2)(out, indices)
    expected = np.zeros_like(values)
    for c in range(2):
        expected[0, c].reshape(-1)[_np(indices)[0, c].reshape(-1)] = _np(out)[0, c].reshape(-1)
    np.testing.assert_array_equal(_np(back), expected)
    assert (_np(back) != 0).sum() == 16  # each window's maximum, back where it was
    np.testing.assert_array_equal(_np(F.max_pool3d(back, 2)), _np(out))


def test_top_level_functions():
    x = nb.ones((1, 2, 3, 3, 3))
    assert nb.conv3d(x, nb.ones((1, 2, 2, 2, 2))).tolist() == [[[[[16.0] * 2] * 2] * 2]]
    assert nb.conv_transpose3d(nb.ones((1, 1, 1, 1, 1)), nb.ones((1, 2, 2, 1, 1)), stride=2).shape == (1, 2, 2, 1, 1)
    assert nb.max_pool3d(nb.arange(8.0).reshape(1, 2, 2, 2), 2).tolist() == [[[[7.0]]]]
    if torch is not None:
        assert all(hasattr(torch, name) for name in ("conv3d", "conv_transpose3d", "max_pool3d"))


@needs_torch
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv3d_padding_modes_match_torch(mode):
    theirs = torch.nn.Conv3d(2, 3, (2, 3, 2), padding=(1, 1, 1), padding_mode=mode).double()
    ours = nn.Conv3d(2, 3, (2, 3, 2), padding=(1, 1, 1), padding_mode=mode).double()
    ours.load_state_dict({k: nb.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((1, 2, 3, 4, 3))
    np.testing.assert_allclose(_np(ours(nb.tensor(x))), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12,
                               atol=1e-12)


@needs_torch
@pytest.mark.large
def test_a_tiny_3d_net_step_matches_torch():
    def net(lib):
        layers = lib.nn
        return layers.Sequential(
            layers.Conv3d(1, 2, kernel_size=3, padding=1), layers.BatchNorm3d(2), layers.ReLU(), layers.MaxPool3d(2),
            layers.ConvTranspose3d(2, 2, 2, stride=2), layers.AvgPool3d(2, ceil_mode=True), layers.Conv3d(2, 3, 1),
            layers.AdaptiveMaxPool3d((1, 1, 2)), layers.Flatten(), layers.Linear(6, 3))
    theirs, ours = net(torch).double(), net(nb).double()  # (float64: the kernels the tests above loaded)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: nb.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((2, 1, 4, 3, 5))
    losses = []
    for lib, model in ((nb, ours), (torch, theirs)):
        loss = lib.nn.CrossEntropyLoss()(model(lib.tensor(x)), lib.tensor(np.array([0, 2])))
        loss.backward()
        losses.append(loss.item())
    nb.optim.SGD(ours.parameters(), lr=0.1).step()
    with torch.no_grad():  # (by hand: torch.optim's first use imports much of torch)
        for p in theirs.parameters():
            p -= 0.1 * p.grad
    assert losses[0] == pytest.approx(losses[1], rel=1e-10)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(_np(p.grad), tp.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(_np(p), tp.detach().numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
