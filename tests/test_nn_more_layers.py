"""More layers and functions of torch.nn: LayerNorm, Embedding, normalize, cosine similarity
and pairwise distance, Unflatten, the remaining activations (and torch's in-place function
forms), the divergence, likelihood, margin and embedding losses, and the nn.init fillers
trunc_normal_, orthogonal_, eye_ and dirac_. Each is checked by hand or with NumPy, its
derivative rule with central differences (float64), and against torch 2.13 when installed."""
import functools
import math
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.autograd import gradcheck
from nbtensor.nn import functional as F
from nbtensor.nn import init
from tests.support import needs_torch, torch
from tests.support import numpy_of as _np

RNG = np.random.default_rng(11)


def _leaf(a, dtype=None):
    return nb.tensor(a, dtype=dtype, requires_grad=True)


def _run_both(fn_name, arrays, kwargs=None, upstream=None, differentiable=None):
    """(values, gradients, node name) of ``F.<fn_name>(*arrays, **kwargs)`` in nbtensor and in
    torch (the float arrays require grad, or only the first `differentiable` ones)."""
    results = []
    for lib, functional in ((nb, F), (torch, torch.nn.functional)):
        args = [lib.tensor(a, requires_grad=a.dtype.kind == "f" and (differentiable is None or i < differentiable))
                for i, a in enumerate(arrays)]
        out = getattr(functional, fn_name)(*args, **(kwargs or {}))
        up = np.ones(tuple(out.shape), np.float32) if upstream is None else upstream
        (out * lib.tensor(up.astype(arrays[0].dtype))).sum().backward()
        results.append((out.detach().cpu().numpy(), [None if a.grad is None else a.grad.cpu().numpy() for a in args],
                        out.grad_fn.name() if out.grad_fn is not None else None))
    return results


def _assert_match(ours, theirs, rtol=1e-5, atol=1e-6, names=True):
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=atol)
    for g, tg in zip(ours[1], theirs[1]):
        assert (g is None) == (tg is None)
        if g is not None:
            np.testing.assert_allclose(g, tg, rtol=rtol, atol=atol)
    if names:
        assert ours[2] == theirs[2]


# ------------------------------------------------------------------ 1. LayerNorm
def test_layer_norm_by_hand_and_module():
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]], np.float32)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(_np(F.layer_norm(nb.tensor(x), (3,))), expected, rtol=1e-5, atol=1e-6)
    ln = nn.LayerNorm(3)
    assert repr(ln) == "LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert _np(ln.weight).tolist() == [1.0] * 3 and _np(ln.bias).tolist() == [0.0] * 3
    with nb.no_grad():
        ln.weight.copy_(nb.tensor([1.0, 2.0, 0.5]))
        ln.bias.fill_(1.0)
    y = ln(nb.tensor(x))
    assert y.grad_fn.name() == "NativeLayerNormBackward0"
    np.testing.assert_allclose(_np(y), expected * [1.0, 2.0, 0.5] + 1.0, rtol=1e-5, atol=1e-6)
    assert repr(nn.LayerNorm((2, 3), elementwise_affine=False)) == \
        "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False, bias=False)"
    plain = nn.LayerNorm(3, bias=False)
    assert plain.bias is None and [n for n, _ in plain.named_parameters()] == ["weight"]


def test_layer_norm_rule_gradcheck():
    x = _leaf(RNG.standard_normal((2, 2, 2)), nb.float64)
    w, b = _leaf([0.5, -1.5], nb.float64), _leaf([0.1, 0.2], nb.float64)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2,), w, b), (x, w, b))
    w2 = _leaf(RNG.standard_normal((2, 2)), nb.float64)
    assert gradcheck(lambda x, w: F.layer_norm(x, (2, 2), w, eps=0.1), (x, w2))


def test_layer_norm_errors():
    x = nb.zeros(2, 4)
    for call, error, message in [
            (lambda: F.layer_norm(x, (3,)), RuntimeError,
             "Given normalized_shape=[3], expected input with shape [*, 3], but got input of size[2, 4]"),
            (lambda: F.layer_norm(x, ()), RuntimeError, "Expected normalized_shape to be at least 1-dimensional, "
                                                        "i.e., containing at least one element, but got "
                                                        "normalized_shape = []"),
            (lambda: F.layer_norm(x, (4,), nb.ones(3)), RuntimeError,
             "Expected weight to be of same shape as normalized_shape, but got weight of shape [3] and "
             "normalized_shape = [4]"),
            (lambda: F.layer_norm(x, 4), TypeError,
             "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"),
            (lambda: F.layer_norm(x.long(), (4,)), NotImplementedError,
             "\"LayerNormKernelImpl\" not implemented for 'Long'")]:
        with pytest.raises(error) as caught:
            call()
        assert str(caught.value) == message


@needs_torch
def test_layer_norm_matches_torch():
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    w, b = RNG.standard_normal((3, 4)).astype(np.float32), RNG.standard_normal((3, 4)).astype(np.float32)
    up = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    ours, theirs = _run_both("layer_norm", [x], {"normalized_shape": (4,)}, up)
    _assert_match(ours, theirs, rtol=1e-4, atol=1e-5)
    results = []
    for lib in (nb, torch):
        args = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        out = lib.nn.functional.layer_norm(args[0], (3, 4), args[1], args[2], eps=1e-3)
        (out * lib.tensor(up)).sum().backward()
        results.append([out.detach().cpu().numpy()] + [a.grad.cpu().numpy() for a in args])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ 2. Embedding
def test_embedding_rows_and_padding_gradient():
    w = nb.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], requires_grad=True)
    idx = nb.tensor([[0, 2], [2, 1]])
    out = F.embedding(idx, w, padding_idx=2)
    assert out.grad_fn.name() == "EmbeddingBackward0" and out.shape == (2, 2, 2)
    assert _np(out).tolist() == [[[0.0, 1.0], [4.0, 5.0]], [[4.0, 5.0], [2.0, 3.0]]]
    (out * nb.tensor([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]])).sum().backward()
    assert _np(w.grad).tolist() == [[1.0, 2.0], [7.0, 8.0], [0.0, 0.0]]  # (the padding row gets none)
    w.grad = None
    F.embedding(nb.tensor([1, 1, 0]), w, scale_grad_by_freq=True).sum().backward()
    assert _np(w.grad).tolist() == [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]  # (row 1 read twice: halved)
    assert gradcheck(lambda w: F.embedding(nb.tensor([[0, 2], [2, 2]]), w, padding_idx=1),
                     (_leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], nb.float64),))


def test_embedding_module_and_max_norm():
    emb = nn.Embedding(4, 3, padding_idx=-1)
    assert emb.padding_idx == 3 and _np(emb.weight[3]).tolist() == [0.0] * 3
    assert repr(emb) == "Embedding(4, 3, padding_idx=3)" and repr(nn.Embedding(5, 2)) == "Embedding(5, 2)"
    assert repr(nn.Embedding(5, 2, max_norm=1.0, scale_grad_by_freq=True)) == \
        "Embedding(5, 2, max_norm=1.0, scale_grad_by_freq=True)"
    pre = nn.Embedding.from_pretrained(nb.tensor([[3.0, 4.0], [0.3, 0.4]]), max_norm=1.0)
    assert not pre.weight.requires_grad
    out = pre(nb.tensor([0]))  # (row 0, of norm 5, is renormalised in place to norm 1; row 1 is not read)
    np.testing.assert_allclose(_np(out), [[0.6, 0.8]], rtol=1e-5)
    np.testing.assert_allclose(_np(pre.weight), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-5)
    for call, error, message in [
            (lambda: F.embedding(nb.tensor([1.0]), nb.ones(3, 2)), RuntimeError,
             "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but "
             f"got {nb.zeros(1).type()} instead (while checking arguments for embedding)"),
            (lambda: F.embedding(nb.tensor([3]), nb.ones(3, 2)), IndexError, "index out of range in self"),
            (lambda: F.embedding(nb.tensor([1]), nb.ones(3, 2), padding_idx=-4), AssertionError,
             "Padding_idx must be within num_embeddings"),
            (lambda: nn.Embedding.from_pretrained(nb.ones(3)), AssertionError,
             "Embeddings parameter is expected to be 2-dimensional"),
            (lambda: nn.Embedding(3, 2, padding_idx=5), AssertionError, "Padding_idx must be within num_embeddings")]:
        with pytest.raises(error) as caught:
            call()
        assert str(caught.value) == message


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1, "scale_grad_by_freq": True}])
def test_embedding_matches_torch(kwargs):
    w = RNG.standard_normal((4, 3)).astype(np.float32)
    idx = np.array([[1, 3], [1, 0]], np.int64)
    ours, theirs = _run_both("embedding", [idx, w], kwargs, RNG.standard_normal((2, 2, 3)).astype(np.float32))
    _assert_match(ours, theirs)


# ------------------------------------------------------------------ 3. norms and distances
def test_normalize_cosine_and_pairwise_distance_by_hand():
    a = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    b = np.array([[4.0, 3.0], [1.0, 0.0]], np.float32)
    np.testing.assert_allclose(_np(F.normalize(nb.tensor(a))), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(_np(F.normalize(nb.tensor(a), p=1, dim=0)), [[1.0, 1.0], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(_np(F.cosine_similarity(nb.tensor(a), nb.tensor(b))), [24 / 25, 0.0], atol=1e-6)
    np.testing.assert_allclose(_np(nn.CosineSimilarity(dim=0)(nb.tensor(a), nb.tensor(b))),
                               [12 / (3 * math.sqrt(17)), 1.0], rtol=1e-5)
    expected = np.sqrt(((a - b + 1e-6) ** 2).sum(-1))
    np.testing.assert_allclose(_np(F.pairwise_distance(nb.tensor(a), nb.tensor(b))), expected, rtol=1e-6)
    np.testing.assert_allclose(_np(nn.PairwiseDistance(p=1.0, keepdim=True)(nb.tensor(a), nb.tensor(b))),
                               np.abs(a - b + 1e-6).sum(-1, keepdims=True), rtol=1e-6)
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity()" and repr(nn.PairwiseDistance()) == "PairwiseDistance()"


@needs_torch
@pytest.mark.parametrize("name, kwargs", [("normalize", {}), ("cosine_similarity", {}),
                                          ("pairwise_distance", {"p": 3.0})])
def test_distances_match_torch(name, kwargs):
    a, b = (RNG.standard_normal((2, 3)).astype(np.float32) for _ in range(2))
    arrays = [a] if name == "normalize" else [a, b]
    ours, theirs = _run_both(name, arrays, kwargs)
    _assert_match(ours, theirs, rtol=1e-4, names=name != "pairwise_distance")  # (see the report: NormBackward1)


def test_unflatten():
    u = nn.Unflatten(1, (2, 3))
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    assert u(nb.zeros(4, 6)).shape == (4, 2, 3)
    with pytest.raises(TypeError, match="^unflattened_size must be tuple of ints, but found element of type float at "
                                        "pos 1$"):
        nn.Unflatten(1, (2, 3.0))
    with pytest.raises(TypeError, match="^unflattened_size must be a tuple of ints, but found type int$"):
        nn.Unflatten(1, 6)


# ------------------------------------------------------------------ 4. activations
POINTS = [-4.0, -3.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 3.0, 5.0]

# (function, its keywords, the module and its arguments, torch's repr of the module)
ACTIVATIONS = [
    ("logsigmoid", {}, "LogSigmoid", (), "LogSigmoid()"),
    ("hardsigmoid", {}, "Hardsigmoid", (True,), "Hardsigmoid()"),
    ("hardswish", {}, "Hardswish", (), "Hardswish()"),
    ("mish", {}, "Mish", (True,), "Mish(inplace=True)"),
    ("selu", {}, "SELU", (), "SELU()"),
    ("celu", {"alpha": 2.0}, "CELU", (2.0,), "CELU(alpha=2.0)"),
    ("softshrink", {"lambd": 1.0}, "Softshrink", (1.0,), "Softshrink(1.0)"),
    ("hardshrink", {}, "Hardshrink", (), "Hardshrink(0.5)"),
    ("threshold", {"threshold": 0.25, "value": -2.0}, "Threshold", (0.25, -2.0), "Threshold(threshold=0.25, value=-2.0)"),
    ("softsign", {}, "Softsign", (), "Softsign()"),
    ("tanhshrink", {}, "Tanhshrink", (), "Tanhshrink()"),
    ("glu", {"dim": 0}, "GLU", (0,), "GLU(dim=0)"),
    ("softmin", {"dim": 0}, "Softmin", (0,), "Softmin(dim=0)"),
]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


BY_HAND = {  # NumPy definitions (float64)
    "logsigmoid": lambda x: np.log(_sigmoid(x)),
    "hardsigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hardswish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "celu": lambda x: np.where(x > 0, x, 2.0 * np.expm1(x / 2.0)),
    "softshrink": lambda x: np.where(x > 1, x - 1, np.where(x < -1, x + 1, 0.0)),
    "hardshrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "threshold": lambda x: np.where(x <= 0.25, -2.0, x),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "tanhshrink": lambda x: x - np.tanh(x),
    "glu": lambda x: x[:5] * _sigmoid(x[5:]),
    "softmin": lambda x: np.exp(-x) / np.exp(-x).sum(),
}


@pytest.mark.parametrize("name, kwargs, module, args, text", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_values_by_hand_and_modules(name, kwargs, module, args, text):
    x = np.array(POINTS)
    expected = BY_HAND[name](x)
    np.testing.assert_allclose(_np(getattr(F, name)(nb.tensor(x, dtype=nb.float32), **kwargs)), expected,
                               rtol=1e-5, atol=1e-6)
    layer = getattr(nn, module)(*args)
    assert repr(layer) == text
    np.testing.assert_allclose(_np(layer(nb.tensor(x, dtype=nb.float32))), expected, rtol=1e-5, atol=1e-6)


# (away from the kinks, where central differences hold)
SMOOTH = [-3.5, -1.2, -0.3, 0.7, 1.6, 3.3]
RULES = {"logsigmoid": {}, "hardsigmoid": {}, "hardswish": {}, "mish": {}, "selu": {}, "celu": {"alpha": 0.5},
         "softshrink": {"lambd": 0.5}, "hardshrink": {}, "threshold": {"threshold": 0.0, "value": 1.0},
         "glu": {}}


def test_activation_rules_gradcheck():
    x = _leaf(SMOOTH, nb.float64)
    for name, kwargs in RULES.items():
        assert gradcheck(functools.partial(getattr(F, name), **kwargs), (x,)), name


@needs_torch
@pytest.mark.parametrize("name, kwargs, module, args, text", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_match_torch(name, kwargs, module, args, text):
    x = np.array(POINTS, np.float32)
    up = np.linspace(0.5, 2.0, 5 if name == "glu" else len(POINTS)).astype(np.float32)
    ours, theirs = _run_both(name, [x], kwargs, up)
    _assert_match(ours, theirs)  # (values, gradients at the kinks too, and the node's name)
    assert text == repr(getattr(torch.nn, module)(*args))


INPLACE = [("relu_", {}), ("elu_", {"alpha": 0.5}), ("leaky_relu_", {"negative_slope": 0.2}),
           ("hardtanh_", {"min_val": -0.5, "max_val": 0.5}), ("threshold_", {"threshold": 0.0, "value": 9.0}),
           ("selu_", {}), ("celu_", {"alpha": 2.0})]


def test_inplace_forms_write_their_input_and_keep_gradients():
    for name, kwargs in INPLACE:
        base = _leaf([-1.5, -0.25, 0.25, 1.5])
        expected = getattr(F, name[:-1])(base.detach(), **kwargs)
        x = base * 1.0
        out = getattr(F, name)(x, **kwargs)
        assert out is x and np.allclose(_np(x), _np(expected)), name
        out.sum().backward()
        manual = _leaf([-1.5, -0.25, 0.25, 1.5])
        getattr(F, name[:-1])(manual, **kwargs).sum().backward()
        np.testing.assert_allclose(_np(base.grad), _np(manual.grad), rtol=1e-6, err_msg=name)


def test_activation_errors():
    for call, error, message in [
            (lambda: F.glu(nb.ones(2, 3)), RuntimeError, "Halving dimension must be even, but dimension 1 is size 3"),
            (lambda: F.glu(nb.ones(())), RuntimeError, "glu does not support scalars because halving size must be even"),
            (lambda: F.softshrink(nb.ones(2), -1), RuntimeError,
             "lambda must be in range [0, 3.40282e+38] for input dtype Float, but found -1"),
            (lambda: F.celu(nb.ones(2), 0.0), RuntimeError, "ZeroDivisionError: alpha cannot be 0 for CELU"),
            (lambda: F.mish(nb.ones(2, dtype=nb.int64)), NotImplementedError, "\"mish_cpu\" not implemented for 'Long'"),
            (lambda: F.selu(nb.ones(2, dtype=nb.int64)), NotImplementedError, "\"elu_cpu\" not implemented for 'Long'")]:
        with pytest.raises(error) as caught:
            call()
        assert str(caught.value) == message
    assert _np(F.threshold(nb.tensor([1, 5]), 2, 7)).tolist() == [7, 5]  # (integers too, as torch)
    with pytest.warns(UserWarning, match="^Implicit dimension choice for softmin has been deprecated"):
        out = F.softmin(nb.zeros(2, 3, 4))
    np.testing.assert_allclose(_np(out), np.full((2, 3, 4), 0.5))  # (dim 0 for a 3-d input, as torch)


# ------------------------------------------------------------------ 5. losses
X = np.array([0.5, -2.0, 0.25, 3.0], np.float32)
T = np.array([1.0, -1.0, -1.0, 1.0], np.float32)


def test_losses_by_hand():
    x, t = nb.tensor(X), nb.tensor(T)
    np.testing.assert_allclose(_np(F.soft_margin_loss(x, t, reduction="none")), np.log1p(np.exp(-X * T)), rtol=1e-6)
    np.testing.assert_allclose(_np(F.hinge_embedding_loss(x, t, reduction="none")), [0.5, 3.0, 0.75, 3.0])
    np.testing.assert_allclose(float(F.margin_ranking_loss(x, nb.zeros(4), t, margin=0.5)),
                               np.maximum(0, -T * X + 0.5).mean(), rtol=1e-6)
    p = np.array([[0.25, 0.75], [0.5, 0.5]], np.float32)
    logq = np.log(np.array([[0.5, 0.5], [0.9, 0.1]], np.float32))
    pointwise = p * (np.log(p) - logq)
    with pytest.warns(UserWarning, match="^reduction: 'mean' divides the total loss by both the batch size"):
        assert float(F.kl_div(nb.tensor(logq), nb.tensor(p))) == pytest.approx(pointwise.mean(), rel=1e-5)
    assert float(F.kl_div(nb.tensor(logq), nb.tensor(p), reduction="batchmean")) == \
        pytest.approx(pointwise.sum() / 2, rel=1e-5)
    np.testing.assert_allclose(_np(F.kl_div(nb.tensor(logq), nb.tensor(np.log(p)), reduction="none", log_target=True)),
                               pointwise, rtol=1e-5)
    np.testing.assert_allclose(_np(F.kl_div(nb.tensor(logq), nb.tensor([[0.0, 1.0], [1.0, 0.0]]), reduction="none")),
                               [[0.0, -logq[0, 1]], [-logq[1, 0], 0.0]], rtol=1e-6)  # (0 log 0 is 0)
    counts, rates = np.array([0.0, 1.0, 3.0], np.float32), np.array([0.5, 1.0, 2.0], np.float32)
    assert float(F.poisson_nll_loss(nb.tensor(np.log(rates)), nb.tensor(counts), reduction="sum")) == \
        pytest.approx((rates - counts * np.log(rates)).sum(), rel=1e-5)
    stirling = 3 * np.log(3) - 3 + 0.5 * np.log(2 * np.pi * 3)
    assert float(F.poisson_nll_loss(nb.tensor(rates), nb.tensor(counts), log_input=False, full=True,
                                    reduction="sum")) == \
        pytest.approx((rates - counts * np.log(rates + 1e-8)).sum() + stirling, rel=1e-5)
    mu, y, var = nb.tensor([1.0, 2.0]), nb.tensor([2.0, 2.0]), nb.tensor([4.0, 0.0])
    each = [0.5 * (np.log(4.0) + 1 / 4.0), 0.5 * np.log(1e-6)]  # (var clamped at eps)
    np.testing.assert_allclose(_np(F.gaussian_nll_loss(mu, y, var, reduction="none")), each, rtol=1e-5)
    assert float(nn.GaussianNLLLoss(full=True)(mu, y, var)) == pytest.approx(np.mean(each) + 0.5 * np.log(2 * np.pi),
                                                                             rel=1e-5)
    a, b = nb.tensor([[1.0, 0.0], [1.0, 1.0]]), nb.tensor([[1.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(_np(F.cosine_embedding_loss(a, b, nb.tensor([1.0, -1.0]), margin=-0.5,
                                                           reduction="none")), [0.0, 0.5], atol=1e-6)


def test_loss_modules_and_errors():
    assert [repr(m) for m in (nn.KLDivLoss(), nn.SoftMarginLoss(), nn.MarginRankingLoss(0.5), nn.HingeEmbeddingLoss(),
                              nn.PoissonNLLLoss(), nn.GaussianNLLLoss(), nn.CosineEmbeddingLoss())] == \
        ["KLDivLoss()", "SoftMarginLoss()", "MarginRankingLoss()", "HingeEmbeddingLoss()", "PoissonNLLLoss()",
         "GaussianNLLLoss()", "CosineEmbeddingLoss()"]
    assert nn.MarginRankingLoss().margin == 0.0 and nn.HingeEmbeddingLoss().margin == 1.0
    assert nn.PoissonNLLLoss().eps == 1e-8 and nn.GaussianNLLLoss().eps == 1e-6
    x, t = nb.tensor(X), nb.tensor(T)
    assert float(nn.KLDivLoss(reduction="sum", log_target=True)(x, x)) == 0.0
    assert float(nn.HingeEmbeddingLoss(margin=2.0, reduction="sum")(x, t)) == pytest.approx(0.5 + 4.0 + 1.75 + 3.0)
    for call, error, message in [
            (lambda: F.soft_margin_loss(x, t, reduction="bad"), ValueError, "bad is not a valid value for reduction"),
            (lambda: F.margin_ranking_loss(x, x, t.reshape(2, 2)), RuntimeError,
             "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: "
             "nbtensor.Size([4]), input2: nbtensor.Size([4]), target: nbtensor.Size([2, 2]) "),
            (lambda: F.cosine_embedding_loss(x, x, t), RuntimeError,
             "1D target tensor expects 2D input tensors, but found inputs with sizes [4] and [4]."),
            (lambda: F.gaussian_nll_loss(x, x, -1.0), ValueError, "var has negative entry/entries"),
            (lambda: F.gaussian_nll_loss(x, x, nb.ones(3)), ValueError, "var is of incorrect size"),
            (lambda: F.poisson_nll_loss(x, x, reduction="bad"), ValueError, "bad is not a valid value for reduction")]:
        with pytest.raises(error) as caught:
            call()
        assert str(caught.value) == message


def test_soft_margin_rule_gradcheck():
    x, t = _leaf([0.5, -2.0, 0.25], nb.float64), nb.tensor([1.0, -1.0, 0.5], dtype=nb.float64)
    assert gradcheck(lambda x: F.soft_margin_loss(x, t), (x,))
    assert F.soft_margin_loss(x, t, reduction="none").grad_fn.name() == "SoftMarginLossBackward0"
    with pytest.raises(RuntimeError, match="^The function 'soft_margin_loss' is not differentiable with respect to "
                                           "argument 'target'. This input cannot have requires_grad True.$"):
        F.soft_margin_loss(x, t.requires_grad_())


LOSSES = [  # (function, arrays maker, keywords[, how many of the arrays require grad])
    ("kl_div", lambda: [RNG.standard_normal((2, 3)), RNG.uniform(0.0, 1.0, (2, 3))], {"reduction": "batchmean"}),
    ("kl_div", lambda: [RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))], {"log_target": True,
                                                                                   "reduction": "sum"}),
    ("soft_margin_loss", lambda: [RNG.standard_normal(4), T], {}, 1),
    ("margin_ranking_loss", lambda: [RNG.standard_normal(4), RNG.standard_normal(4), T], {"margin": 0.3}),
    ("hinge_embedding_loss", lambda: [RNG.standard_normal(4), T], {"reduction": "none"}),
    ("poisson_nll_loss", lambda: [RNG.uniform(0.1, 2.0, 4), np.array([0.0, 1.0, 2.0, 5.0])],
     {"log_input": False, "full": True}),
    ("gaussian_nll_loss", lambda: [RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3)),
                                   RNG.uniform(0.5, 2.0, 2)], {}),
    ("cosine_embedding_loss", lambda: [RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3)),
                                       np.array([1.0, -1.0])], {"margin": 0.1}),
]


@needs_torch
@pytest.mark.parametrize("case", LOSSES, ids=[f"{case[0]}-{i}" for i, case in enumerate(LOSSES)])
def test_losses_match_torch(case):
    name, arrays, kwargs = case[:3]
    arrays = [a.astype(np.float32) for a in arrays()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = _run_both(name, arrays, kwargs, differentiable=case[3] if len(case) > 3 else None)
    _assert_match(ours, theirs, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ 6. nn.init
def test_init_fillers():
    nb.manual_seed(0)
    t = init.trunc_normal_(nb.empty(50), mean=0.5, std=1.0, a=0.0, b=1.0)
    values = _np(t)  # (mean 0.5, std 0.28: 0.15 is 3.7 standard errors of the mean of 50)
    assert values.min() >= 0.0 and values.max() <= 1.0 and abs(values.mean() - 0.5) < 0.15 and values.std() > 0.15
    tail = _np(init.trunc_normal_(nb.empty(30), a=1.5, b=2.0))  # (mass below 0.3: the uniform proposals)
    assert tail.min() >= 1.5 and tail.max() <= 2.0 and abs(tail.mean() - 1.716) < 0.1
    with pytest.warns(UserWarning, match="^mean is more than 2 std from \\[a, b\\] in nn.init.trunc_normal_"):
        init.trunc_normal_(nb.empty(2), mean=10.0, a=-1.0, b=1.0)
    for shape in ((3, 5), (5, 3), (2, 2, 2)):
        w = init.orthogonal_(nb.empty(shape), gain=2.0)
        flat = _np(w).reshape(shape[0], -1)
        small = flat @ flat.T if shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)
    assert _np(init.eye_(nb.empty(2, 3))).tolist() == [[1, 0, 0], [0, 1, 0]]
    d = _np(init.dirac_(nb.empty(4, 2, 3), groups=2))
    expected = np.zeros((4, 2, 3))
    for out, inp in ((0, 0), (1, 1), (2, 0), (3, 1)):
        expected[out, inp, 1] = 1
    np.testing.assert_array_equal(d, expected)
    p = nn.Parameter(nb.empty(2, 2))
    init.eye_(p)
    assert p.requires_grad and p.is_leaf
    for call, message in [(lambda: init.orthogonal_(nb.empty(3)), "Only tensors with 2 or more dimensions are supported"),
                          (lambda: init.eye_(nb.empty(3)), "Only tensors with 2 dimensions are supported"),
                          (lambda: init.dirac_(nb.empty(2, 2)), "Only tensors with 3, 4, or 5 dimensions are supported"),
                          (lambda: init.dirac_(nb.empty(3, 1, 1), groups=2), "dim 0 must be divisible by groups")]:
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value) == message
