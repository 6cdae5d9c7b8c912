"""F.interpolate and the Upsample modules: values against hand-computed and NumPy results,
gradients by gradcheck, and values, gradients, reprs and errors against torch when it is
installed."""
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
RNG = np.random.default_rng(3)


def _np(t):
    return t.detach().cpu().numpy()


def test_nearest_and_linear_by_hand():
    x = nb.tensor([[[0.0, 10.0, 20.0]]])
    assert F.interpolate(x, scale_factor=2).tolist() == [[[0.0, 0.0, 10.0, 10.0, 20.0, 20.0]]]
    assert F.interpolate(x, size=2).tolist() == [[[0.0, 10.0]]]  # floor(i * 3 / 2): 0, 1
    assert F.interpolate(x, size=2, mode="nearest-exact").tolist() == [[[0.0, 20.0]]]  # floor((i + .5) * 1.5)
    # half-pixel centres: output i samples (i + 0.5) * 3 / 6 - 0.5, clamped at 0
    np.testing.assert_allclose(_np(F.interpolate(x, size=6, mode="linear")),
                               [[[0.0, 2.5, 7.5, 12.5, 17.5, 20.0]]])
    np.testing.assert_allclose(_np(F.interpolate(x, size=5, mode="linear", align_corners=True)),
                               [[[0.0, 5.0, 10.0, 15.0, 20.0]]])


def test_bilinear_matches_numpy():
    x = RNG.standard_normal((2, 3, 4, 5))
    got = _np(F.interpolate(nb.tensor(x), size=(7, 3), mode="bilinear", align_corners=True))

    def axis_weights(n_in, n_out):  # align_corners: output i at input i * (n_in - 1) / (n_out - 1)
        src = np.arange(n_out) * (n_in - 1) / (n_out - 1)
        low = np.minimum(np.floor(src).astype(int), n_in - 1)
        high = np.minimum(low + 1, n_in - 1)
        m = np.zeros((n_out, n_in))
        np.add.at(m, (np.arange(n_out), low), 1 - (src - low))
        np.add.at(m, (np.arange(n_out), high), src - low)
        return m
    expected = np.einsum("hi,ncij,wj->nchw", axis_weights(4, 7), x, axis_weights(5, 3))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_area_is_adaptive_average_pooling():
    x = nb.tensor(RNG.standard_normal((1, 2, 6, 4)))
    np.testing.assert_allclose(_np(F.interpolate(x, size=(3, 2), mode="area")),
                               _np(x).reshape(1, 2, 3, 2, 2, 2).mean(axis=(3, 5)), rtol=1e-12)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@pytest.mark.parametrize("mode, shape, options", [
    ("nearest", (1, 2, 3), {"scale_factor": 2}), ("linear", (1, 2, 4), {"size": 7}),
    ("bilinear", (1, 1, 3, 4), {"scale_factor": 1.5}), ("bilinear", (1, 1, 3, 3), {"size": 5, "align_corners": True}),
    ("trilinear", (1, 1, 2, 3, 2), {"size": (3, 4, 3)})])
def test_gradients_match_central_differences(mode, shape, options):
    x = nb.tensor(RNG.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, mode=mode, **options), (x,))


def test_upsample_modules():
    x = nb.tensor(RNG.standard_normal((1, 1, 2, 3)))
    np.testing.assert_array_equal(_np(nn.Upsample(scale_factor=2)(x)), _np(x).repeat(2, 2).repeat(2, 3))
    np.testing.assert_array_equal(_np(nn.UpsamplingNearest2d(size=(4, 6))(x)), _np(x).repeat(2, 2).repeat(2, 3))
    corners = _np(nn.UpsamplingBilinear2d(scale_factor=3)(x))
    assert corners.shape == (1, 1, 6, 9)
    np.testing.assert_allclose(corners[0, 0, [0, 0, -1, -1], [0, -1, 0, -1]], _np(x)[0, 0, [0, 0, -1, -1], [0, -1, 0, -1]])


CASES = [(mode, nd, ac, options) for mode, nd in [("nearest", 1), ("nearest", 2), ("nearest", 3), ("nearest-exact", 2),
                                                  ("linear", 1), ("bilinear", 2), ("trilinear", 3), ("area", 2)]
         for ac in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True])
         for options in [{"size": 7}, {"size": 2}, {"scale_factor": 2}, {"scale_factor": 1.7}, {"scale_factor": 0.6},
                         {"size": 1}, {"scale_factor": 1.7, "recompute_scale_factor": True}]
         if not (mode == "area" and "scale_factor" in options)]


@needs_torch
@pytest.mark.parametrize("mode, nd, align_corners, options", CASES)
def test_values_and_gradients_match_torch(mode, nd, align_corners, options):
    x = RNG.standard_normal((2, 3) + (5, 4, 3)[:nd])
    results = []
    for lib in (nb, torch):
        xs = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.interpolate(xs, mode=mode, align_corners=align_corners, **options)
        weights = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape))
        (out * lib.tensor(weights)).sum().backward()
        results.append((_np(out), _np(xs.grad)))
    (out, grad), (expected, expected_grad) = results
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("module", ["Upsample(scale_factor=2)", "Upsample(size=(3, 4), mode='bilinear')",
                                    "Upsample(scale_factor=(2, 1.5), mode='bilinear', align_corners=True)",
                                    "UpsamplingNearest2d(scale_factor=2)", "UpsamplingBilinear2d(size=5)"])
def test_module_reprs_match_torch(module):
    assert repr(eval("nn." + module)) == repr(eval("torch.nn." + module))


@needs_torch
@pytest.mark.parametrize("call", [
    "F.interpolate(X)", "F.interpolate(X, size=3, scale_factor=2)", "F.interpolate(X, size=3, align_corners=True)",
    "F.interpolate(X, size=3, mode='linear')", "F.interpolate(X, size=(3,))", "F.interpolate(X, scale_factor=(2, 2, 2))",
    "F.interpolate(X, size=3, mode='foo')", "F.interpolate(X[0, 0], size=3)", "F.interpolate(X, size=0)",
    "F.interpolate(X, scale_factor=-1.0)", "F.interpolate(X.long(), size=3)"])
def test_bad_calls_raise_as_torch(call):
    with pytest.raises(Exception) as theirs:
        eval(call, {"F": torch.nn.functional, "X": torch.ones(1, 1, 4, 4)})
    with pytest.raises(type(theirs.value)) as ours:
        eval(call, {"F": F, "X": nb.ones(1, 1, 4, 4)})
    if "long" not in call:  # (torch names its kernel after the layout it picked)
        assert str(ours.value) == str(theirs.value)
