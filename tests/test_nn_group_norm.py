"""GroupNorm, InstanceNorm1d/2d/3d and BatchNorm3d (with F.group_norm, F.instance_norm):
values and running estimates against NumPy, gradients by gradcheck, and modules, gradients,
state and errors against torch when it is installed."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.autograd import gradcheck
from nbtensor.nn import functional as F

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(11)


def _np(t):
    return t.detach().cpu().numpy()


def _normalised(x, axes, eps=1e-5):
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def test_group_norm_matches_numpy():
    x = RNG.standard_normal((3, 6, 4, 5))
    w, b = RNG.standard_normal(6), RNG.standard_normal(6)
    expected = _normalised(x.reshape(3, 2, -1), 2).reshape(x.shape) * w[:, None, None] + b[:, None, None]
    got = F.group_norm(nb.tensor(x), 2, nb.tensor(w), nb.tensor(b))
    np.testing.assert_allclose(_np(got), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(nn.GroupNorm(3, 6, affine=False)(nb.tensor(x))),
                               _normalised(x.reshape(3, 3, -1), 2).reshape(x.shape), rtol=1e-10, atol=1e-12)


def test_instance_norm_matches_numpy_and_moves_the_running_estimates():
    x = RNG.standard_normal((4, 3, 5, 6))
    np.testing.assert_allclose(_np(nn.InstanceNorm2d(3)(nb.tensor(x))), _normalised(x, (2, 3)), rtol=1e-10,
                               atol=1e-12)
    m = nn.InstanceNorm2d(3, momentum=0.5, track_running_stats=True).double()
    m(nb.tensor(x))
    mean = x.mean(axis=(2, 3)).mean(0)
    var = x.var(axis=(2, 3), ddof=1).mean(0)  # the unbiased variance of each sample, averaged
    np.testing.assert_allclose(_np(m.running_mean), 0.5 * mean, rtol=1e-12)
    np.testing.assert_allclose(_np(m.running_var), 0.5 + 0.5 * var, rtol=1e-12)
    m.eval()  # evaluation: the running estimates, not the input's statistics
    expected = (x - _np(m.running_mean)[:, None, None]) / np.sqrt(_np(m.running_var)[:, None, None] + 1e-5)
    np.testing.assert_allclose(_np(m(nb.tensor(x))), expected, rtol=1e-10, atol=1e-12)
    one = nn.InstanceNorm1d(3)(nb.tensor(x[0, :, 0]))  # (C, L): one sample without its batch dimension
    np.testing.assert_allclose(_np(one), _normalised(x[0, :, 0], 1), rtol=1e-10, atol=1e-12)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@pytest.mark.parametrize("make, shape", [
    (lambda: nn.GroupNorm(2, 4).double(), (2, 4, 3)), (lambda: nn.InstanceNorm1d(3, affine=True).double(), (2, 3, 4)),
    (lambda: nn.InstanceNorm3d(2).double(), (1, 2, 2, 2, 3)), (lambda: nn.BatchNorm3d(2).double(), (2, 2, 2, 1, 3))])
def test_gradients_match_central_differences(make, shape):
    m = make()
    for p in m.parameters():
        p.data.copy_(nb.tensor(RNG.standard_normal(tuple(p.shape))))
    x = nb.tensor(RNG.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t, *params: m(t), (x, *m.parameters()))


MODULES = [("GroupNorm(2, 4)", (3, 4, 5)), ("GroupNorm(1, 4, affine=False)", (2, 4, 3, 3)),
           ("InstanceNorm1d(3)", (2, 3, 5)), ("InstanceNorm1d(3)", (3, 5)), ("InstanceNorm2d(3, affine=True)", (2, 3, 4, 4)),
           ("InstanceNorm2d(3, affine=True, track_running_stats=True)", (2, 3, 4, 4)),
           ("InstanceNorm3d(2, track_running_stats=True, momentum=None)", (2, 2, 2, 3, 3)), ("BatchNorm3d(2)", (3, 2, 2, 2, 3))]


@needs_torch
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("module, shape", MODULES)
def test_modules_match_torch(module, shape, train):
    x = RNG.standard_normal(shape).astype(np.float32)
    weights = np.linspace(-1, 1, x.size).reshape(shape).astype(np.float32)
    results = []
    for lib in (nb, torch):
        m = eval("lib.nn." + module)
        if not train:
            m(lib.tensor(x))  # (moves the running estimates, when kept)
            m.eval()
        xs = lib.tensor(x, requires_grad=True)
        y = m(xs)
        (y * lib.tensor(weights)).sum().backward()
        results.append((repr(m), _np(y), _np(xs.grad), {k: _np(v) for k, v in m.state_dict().items()},
                        [_np(p.grad) for p in m.parameters()]))
    ours, theirs = results
    assert ours[0] == theirs[0]
    for got, expected in zip(ours[1:3], theirs[1:3]):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert sorted(ours[3]) == sorted(theirs[3])
    for key in ours[3]:
        np.testing.assert_allclose(ours[3][key], theirs[3][key], rtol=1e-5, atol=1e-6)
    assert len(ours[4]) == len(theirs[4])
    for got, expected in zip(ours[4], theirs[4]):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("call", [
    "nn.GroupNorm(3, 4)", "F.group_norm(lib.ones(2, 3, 4), 2)", "F.group_norm(lib.ones(3), 1)",
    "F.group_norm(lib.ones(2, 4), 2, lib.ones(3))", "F.group_norm(lib.ones(2, 4, 3).long(), 2)",
    "nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 5))", "nn.InstanceNorm2d(3)(lib.ones(2, 3, 1, 1))",
    "nn.InstanceNorm2d(3, affine=True)(lib.ones(2, 4, 2, 2))", "nn.BatchNorm3d(3)(lib.ones(2, 3, 4))",
    "F.instance_norm(lib.ones(2, 3, 1))"])
def test_bad_calls_raise_as_torch(call):
    with pytest.raises(Exception) as theirs:
        eval(call, {"lib": torch, "nn": torch.nn, "F": torch.nn.functional})
    with pytest.raises(type(theirs.value)) as ours:
        eval(call, {"lib": nb, "nn": nn, "F": F})
    assert str(ours.value) == str(theirs.value)
