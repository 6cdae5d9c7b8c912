"""Pooling, batch normalisation and channel dropout (D2L chapters 7–8): F.max_pool1d/2d,
F.avg_pool1d/2d, the adaptive pools, F.batch_norm and the layers MaxPool*, AvgPool*,
AdaptiveAvgPool*, AdaptiveMaxPool*, BatchNorm1d/2d, LazyBatchNorm2d, Dropout1d/2d. Values
are checked by hand and with NumPy, gradients with central differences (float64), and
everything against torch 2.13 when it is installed. Tiny shapes: the suite also runs in
the CUDA simulator."""
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

RNG = np.random.default_rng(9)


# ------------------------------------------------------------------ pooling by hand
def test_pooling_by_hand():
    # D2L 7.5: 2x2 windows, stride 1, over the 3x3 input 0..8
    x = _leaf(np.arange(9.0).reshape(1, 1, 3, 3))
    out, indices = F.max_pool2d(x, 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(_np(out), [[[[4.0, 5.0], [7.0, 8.0]]]])
    np.testing.assert_array_equal(_np(indices), [[[[4, 5], [7, 8]]]])
    assert out.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[[[0, 0, 0], [0, 1, 1], [0, 1, 1]]]])
    avg = F.avg_pool2d(x, 2, stride=1)
    np.testing.assert_array_equal(_np(avg), [[[[2.0, 3.0], [5.0, 6.0]]]])
    assert avg.grad_fn.name() == "AvgPool2DBackward0"
    x.grad = None
    avg.sum().backward()  # the centre is in all four windows
    np.testing.assert_array_equal(_np(x.grad), np.array([[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]) / 4)


def test_max_pool_overlapping_windows_share_a_maximum():
    x = _leaf([[[[9.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]]])
    out = F.max_pool2d(x, 3, stride=1, padding=1)  # the 3x3 neighbourhood of each element (-inf outside)
    np.testing.assert_array_equal(_np(out), [[[[9, 9, 5], [9, 9, 8], [7, 8, 8]]]])
    out.sum().backward()  # each maximum gets the gradient of every window it wins
    np.testing.assert_array_equal(_np(x.grad), [[[[4, 0, 0], [0, 0, 1], [0, 1, 3]]]])


def test_avg_pool_divisors_by_hand():
    x = nb.ones((1, 1, 3, 3))
    # 2x2 windows, stride 2, padding 1: each window holds one, two or four real ones
    np.testing.assert_array_equal(_np(F.avg_pool2d(x, 2, padding=1)), [[[[0.25, 0.5], [0.5, 1.0]]]])
    np.testing.assert_array_equal(_np(F.avg_pool2d(x, 2, padding=1, count_include_pad=False)), np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(_np(F.avg_pool2d(x, 2, padding=1, divisor_override=1)), [[[[1, 2], [2, 4]]]])
    # ceil_mode: a last window hanging over the bottom/right edge, divided by what it covers of the input
    np.testing.assert_array_equal(_np(F.avg_pool2d(x * 2, 2, ceil_mode=True)), [[[[2, 2], [2, 2]]]])
    np.testing.assert_array_equal(_np(F.max_pool1d(nb.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2, ceil_mode=True)),
                                  [[3.0, 5.0, 4.0]])
    np.testing.assert_array_equal(_np(F.avg_pool1d(nb.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2)), [[2.0, 3.5]])


def test_adaptive_pools_by_hand():
    x = nb.arange(10.0).reshape(1, 1, 2, 5)
    # windows along the width: [0, 2), [1, 4), [3, 5); both rows in one
    np.testing.assert_allclose(_np(F.adaptive_avg_pool2d(x, (1, 3))), [[[[3.0, 4.5, 6.0]]]])
    out, indices = F.adaptive_max_pool2d(x, (2, 3), return_indices=True)
    np.testing.assert_array_equal(_np(out), [[[[1, 3, 4], [6, 8, 9]]]])
    np.testing.assert_array_equal(_np(indices), [[[[1, 3, 4], [6, 8, 9]]]])
    glob = F.adaptive_avg_pool2d(_leaf(np.arange(4.0).reshape(1, 1, 2, 2)), 1)
    assert float(glob.detach().reshape(())) == 1.5 and glob.grad_fn.name() == "MeanBackward1"  # torch's global pooling
    np.testing.assert_allclose(_np(F.adaptive_avg_pool1d(nb.tensor([[1.0, 2.0, 4.0]]), 2)), [[1.5, 3.0]])


def test_pooling_layers_repr_and_shapes():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool2d(3, 1, 1, ceil_mode=True)) == \
        "MaxPool2d(kernel_size=3, stride=1, padding=1, dilation=1, ceil_mode=True)"
    assert repr(nn.MaxPool1d(2)) == "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AvgPool1d(3, 2, 1)) == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.AdaptiveMaxPool2d((2, None))) == "AdaptiveMaxPool2d(output_size=(2, None))"
    assert repr(nn.AdaptiveAvgPool1d(3)) == "AdaptiveAvgPool1d(output_size=3)"
    x = nb.ones((1, 2, 4, 5))
    assert tuple(nn.MaxPool2d(2)(x).shape) == (1, 2, 2, 2)
    assert tuple(nn.AvgPool2d(3, 1, 1)(x).shape) == (1, 2, 4, 5)
    assert tuple(nn.AdaptiveMaxPool2d((2, None))(x).shape) == (1, 2, 2, 5)
    out, indices = nn.MaxPool2d(2, return_indices=True)(x)
    assert indices.dtype is nb.int64 and tuple(indices.shape) == (1, 2, 2, 2)
    assert tuple(nn.MaxPool1d(2)(x[0]).shape) == (2, 4, 2)


@not_in_simulator
@pytest.mark.parametrize("fn, args", [
    ("max_pool2d", (2, 1, 1)),
    ("avg_pool2d", (2, 2, 1, True, False)),
    ("adaptive_avg_pool2d", ((2, 2),)),
    ("adaptive_max_pool2d", ((2, 2),)),
])
def test_pooling_gradcheck(fn, args):
    x = _leaf(RNG.permutation(9).reshape(1, 1, 3, 3) / 4.0)  # distinct values: no ties for max
    assert gradcheck(lambda t: getattr(F, fn)(t, *args), (x,))


@pytest.mark.parametrize("call, message", [
    (lambda f, x: f.max_pool2d(x, 2, padding=2),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda f, x: f.avg_pool2d(x, (4, 2), padding=(3, 0)),
     "pad should be at most half of effective kernel size, but got pad=3, kernel_size=4 and dilation=1"),
    (lambda f, x: f.max_pool2d(x, 7), "Given input size: (2x5x5). Calculated output size: (2x0x0). Output size is "
                                      "too small"),
    (lambda f, x: f.max_pool2d(x, 2, stride=0), "stride should not be zero"),
    (lambda f, x: f.max_pool2d(x, 0, 1), "kernel size should be greater than zero, but got kH: 0 kW: 0"),
    (lambda f, x: f.max_pool2d(x, 2, dilation=0), "dilation should be greater than zero, but got dilationH: 0 "
                                                  "dilationW: 0"),
    (lambda f, x: f.max_pool2d(x, 2, padding=-1), "pad must be non-negative, but got pad: -1"),
    (lambda f, x: f.max_pool2d(x[0, 0], 2), "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda f, x: f.max_pool1d(x[0], 2, padding=2),
     "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=2"),
    (lambda f, x: f.max_pool1d(x[0], 7), "max_pool1d() Invalid computed output size: 0"),
    (lambda f, x: f.max_pool1d(x, 2), "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch "
                                      "size for input, but got:[1, 2, 5, 5]"),
    (lambda f, x: f.avg_pool1d(x, 2), "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 "
                                      "'self' (while checking arguments for avg_pool1d)"),
    (lambda f, x: f.avg_pool2d(x, 2, divisor_override=0), "divisor must be not zero"),
    (lambda f, x: f.adaptive_avg_pool2d(x[0, 0, 0], 2), "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [5]"),
    (lambda f, x: f.adaptive_max_pool2d(x[0, 0], 2),
     "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [5, 5]"),
    (lambda f, x: f.adaptive_avg_pool2d(x, (2, 3, 4)), "adaptive_avg_pool2d: output_size must be 2"),
])
def test_pooling_errors(call, message):
    """(the message checked as written here, and against torch's own when installed)"""
    for lib in (nb, torch) if torch is not None else (nb,):
        with pytest.raises(RuntimeError) as raised:
            call(lib.nn.functional, lib.ones((1, 2, 5, 5)))
        assert str(raised.value) == message, lib.__name__


@needs_torch
@pytest.mark.parametrize("fn, shape, args, kwargs", [
    ("max_pool2d", (1, 2, 5, 4), ((3, 2), (2, 1), (1, 0)), {"dilation": (1, 2), "ceil_mode": True,
                                                           "return_indices": True}),
    ("max_pool1d", (2, 7), (3, 2, 1), {"ceil_mode": True, "return_indices": True}),
    ("avg_pool2d", (2, 5, 4), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("avg_pool1d", (1, 2, 5), (2, 2, 1), {"ceil_mode": True}),
    ("adaptive_avg_pool2d", (1, 2, 5, 3), ((3, None),), {}),
    ("adaptive_max_pool2d", (2, 5, 3), ((2, 2),), {"return_indices": True}),
    ("adaptive_max_pool1d", (1, 2, 5), (3,), {"return_indices": True}),
])
def test_pooling_against_torch(fn, shape, args, kwargs):
    ours, theirs = check_against_torch(fn, (RNG.standard_normal(shape),), *args, **kwargs)
    assert ours[0] == theirs[0]  # (1-D pools: SqueezeBackward1 over the 2-D op)
    assert [n for n in ours[1:] if "Pool" in n] == [n for n in theirs[1:] if "Pool" in n]


# ------------------------------------------------------------------ batch norm
def test_batch_norm_by_hand():
    bn = nn.BatchNorm1d(2)
    x = nb.tensor([[1.0, 10.0], [3.0, 10.0], [5.0, 40.0]])
    out = bn(x)
    # biased variance for normalising: channel 0 has mean 3 and variance 8/3, channel 1 mean 20 and 200
    expected = np.array([[-2.0, -10.0], [0.0, -10.0], [2.0, 20.0]]) / np.sqrt(np.array([8 / 3, 200.0]) + 1e-5)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-5)
    assert out.grad_fn.name() == "NativeBatchNormBackward0"
    # the unbiased one for the running estimate, moved by momentum 0.1
    np.testing.assert_allclose(_np(bn.running_mean), [0.3, 2.0], rtol=1e-6)
    np.testing.assert_allclose(_np(bn.running_var), [0.9 + 0.1 * 4.0, 0.9 + 0.1 * 300.0], rtol=1e-6)
    assert int(bn.num_batches_tracked) == 1
    bn.eval()
    np.testing.assert_allclose(_np(bn(nb.tensor([[0.3, 2.0]]))), [[0.0, 0.0]], atol=1e-6)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert repr(bn) == "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


def test_batch_norm_cumulative_average_and_options():
    bn = nn.BatchNorm2d(1, momentum=None, affine=False)
    for mean in (1.0, 3.0):
        bn(nb.tensor([[[[mean - 1.0, mean + 1.0]]]]))
    np.testing.assert_allclose(_np(bn.running_mean), [2.0])  # the plain average of the batches' means
    np.testing.assert_allclose(_np(bn.running_var), [2.0])
    assert bn.weight is None and list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    free = nn.BatchNorm2d(3, track_running_stats=False)
    assert free.running_mean is None and list(free.state_dict()) == ["weight", "bias"]
    free.eval()  # without running estimates, eval still uses the batch's statistics
    np.testing.assert_allclose(_np(free(nb.tensor([[[[1.0]], [[2.0]], [[3.0]]], [[[3.0]], [[2.0]], [[1.0]]]])))
                               .reshape(2, 3), [[-1, 0, 1], [1, 0, -1]], atol=1e-4)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"^Expected more than 1 value per channel when training, got input size "
                                         r"torch\.Size\(\[1, 3\]\)$"):
        nn.BatchNorm1d(3)(nb.ones((1, 3)))
    with pytest.raises(ValueError, match=r"^expected 4D input \(got 3D input\)$"):
        nn.BatchNorm2d(3)(nb.ones((2, 3, 1)))
    with pytest.raises(ValueError, match=r"^expected 2D or 3D input \(got 4D input\)$"):
        nn.BatchNorm1d(3)(nb.ones((2, 3, 1, 1)))
    with pytest.raises(RuntimeError, match="^running_mean should contain 4 elements not 3$"):
        nn.BatchNorm1d(3)(nb.ones((2, 4)))
    bn = nn.BatchNorm1d(3).eval()
    assert tuple(bn(nb.ones((1, 3))).shape) == (1, 3)  # one sample is fine in eval mode


@not_in_simulator
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training):
    x = _leaf(RNG.standard_normal((2, 2, 2)))
    w, b = _leaf([1.5, -0.5]), _leaf([0.1, 0.2])
    mean, var = nb.tensor([0.2, -0.1], dtype=nb.float64), nb.tensor([1.5, 0.5], dtype=nb.float64)
    # (momentum 0: the running estimates stay the same across gradcheck's calls)
    assert gradcheck(lambda *a: F.batch_norm(a[0], mean, var, a[1], a[2], training, 0.0), (x, w, b))


@needs_torch
@pytest.mark.parametrize("cls, shape, kwargs", [
    ("BatchNorm2d", (2, 3, 2, 2), {}),
    ("BatchNorm1d", (2, 3, 2), {"momentum": None, "bias": False}),
])
def test_batch_norm_against_torch(cls, shape, kwargs):
    ours, theirs = getattr(nn, cls)(3, **kwargs), getattr(torch.nn, cls)(3, **kwargs)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
    ours.load_state_dict({k: nb.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    for step in range(3):
        if step == 2:
            ours.eval(), theirs.eval()
        x = RNG.standard_normal(shape).astype(np.float32) * 2 + 1
        outs = []
        for lib, layer in ((nb, ours), (torch, theirs)):
            leaf = lib.tensor(x, requires_grad=True)
            out = layer(leaf)
            (out * lib.tensor(np.linspace(-1, 1, x.size, dtype=np.float32).reshape(shape))).sum().backward()
            outs.append((out.detach().cpu().numpy(), leaf.grad.cpu().numpy(), out.grad_fn.name()))
        np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-4, atol=1e-5)
        assert outs[0][2] == outs[1][2]
    their_state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(_np(value), their_state[name].numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(_np(ours.weight.grad), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_lazy_batch_norm():
    bn = nn.LazyBatchNorm2d()
    assert repr(bn) == "LazyBatchNorm2d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    bn(nb.ones((2, 3, 1, 2)))
    assert type(bn) is nn.BatchNorm2d and bn.num_features == 3 and tuple(bn.weight.shape) == (3,)
    assert tuple(bn.running_var.shape) == (3,) and int(bn.num_batches_tracked) == 1


# ------------------------------------------------------------------ channel dropout
def test_dropout2d_zeroes_whole_channels():
    nb.manual_seed(0)
    x = nb.ones((2, 8, 2, 2))
    out = F.dropout2d(x, 0.5)
    per_channel = _np(out).reshape(16, 4)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(1) == per_channel.max(1)).all()  # a channel is all kept or all dropped
    assert 0 < (per_channel[:, 0] == 0).sum() < 16
    layer = nn.Dropout2d(0.5)
    assert repr(layer) == "Dropout2d(p=0.5, inplace=False)"
    assert layer.eval()(x) is x
    out1 = F.dropout1d(nb.ones((8, 3)), 0.5)
    assert (_np(out1).min(1) == _np(out1).max(1)).all()
    assert repr(nn.Dropout1d(0.3)) == "Dropout1d(p=0.3, inplace=False)"
    with pytest.raises(RuntimeError, match=r"^dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(x, 0.5)
    with pytest.raises(ValueError, match="^dropout probability has to be between 0 and 1, but got 1.5$"):
        nn.Dropout2d(1.5)
    with pytest.warns(UserWarning, match="assuming that channel-wise 1D dropout"):
        F.dropout2d(nb.ones((2, 3, 4)), 0.5)
    x.requires_grad_()
    out = F.dropout2d(x, 0.25)
    out.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), _np(out))  # the gradient is the mask
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(F.dropout2d(x, 1.0).detach().abs().sum()) == 0.0
