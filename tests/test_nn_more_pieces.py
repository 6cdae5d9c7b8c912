"""RMSNorm, Bilinear, the triplet, multi-label and multi-margin losses, LocalResponseNorm,
ChannelShuffle, Dropout3d, the alpha dropouts, gumbel_softmax, pdist and LPPool1d/2d:
values against NumPy or by hand, gradients by gradcheck, the random pieces by their
statistics, and values, gradients, reprs and errors against torch when it is installed."""
import math
import warnings

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
RNG = np.random.default_rng(23)
SELU_SATURATION = 1.7580993408473766


def _np(t):
    return t.detach().cpu().numpy()


def _t(x, grad=False):
    return nb.tensor(x, requires_grad=grad)


# ------------------------------------------------------------------ values against NumPy
def test_rms_norm_matches_numpy():
    x, w = RNG.standard_normal((3, 4, 5)), RNG.standard_normal((4, 5))
    expected = x / np.sqrt((x ** 2).mean(axis=(1, 2), keepdims=True) + 1e-3) * w
    np.testing.assert_allclose(_np(F.rms_norm(_t(x), (4, 5), _t(w), 1e-3)), expected, rtol=1e-12)
    x32 = x.astype(np.float32)
    eps = np.finfo(np.float32).eps  # eps=None: the machine epsilon of the input's dtype
    expected = x32 / np.sqrt((x32 ** 2).mean(axis=-1, keepdims=True) + eps)
    np.testing.assert_allclose(_np(nn.RMSNorm(5)(_t(x32))), expected, rtol=1e-5)
    assert nn.RMSNorm([4, 5], elementwise_affine=False).weight is None
    # float16 is normalised in float32, and eps=None is then float32's epsilon (torch's)
    small = (x32 * 0.01).astype(np.float16)
    got = F.rms_norm(_t(small), [5])
    assert got.dtype is nb.float16
    wide = small.astype(np.float64)
    np.testing.assert_allclose(_np(got), wide / np.sqrt((wide ** 2).mean(-1, keepdims=True) + eps), rtol=2e-3)


def test_bilinear_matches_einsum():
    x1, x2 = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 3, 5))
    w, b = RNG.standard_normal((6, 4, 5)), RNG.standard_normal(6)
    expected = np.einsum("...i,oij,...j->...o", x1, w, x2) + b
    np.testing.assert_allclose(_np(F.bilinear(_t(x1), _t(x2), _t(w), _t(b))), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(F.bilinear(_t(x1[0, 0]), _t(x2[0, 0]), _t(w))), expected[0, 0] - b, rtol=1e-10)
    m = nn.Bilinear(4, 5, 6)
    bound = 1 / math.sqrt(4)
    assert m.weight.shape == (6, 4, 5) and m.bias.shape == (6,)
    for p in (m.weight, m.bias):
        assert -bound <= float(p.detach().min()) and float(p.detach().max()) <= bound
    assert nn.Bilinear(4, 5, 6, bias=False).bias is None


def _distance(x1, x2, p=2.0, eps=1e-6):
    return (np.abs(x1 - x2 + eps) ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss_matches_numpy(swap):
    a, p, n = (RNG.standard_normal((5, 3)) for _ in range(3))
    to_negative = _distance(a, n, 1.5)
    if swap:
        to_negative = np.minimum(to_negative, _distance(p, n, 1.5))
    expected = np.maximum(0.7 + _distance(a, p, 1.5) - to_negative, 0)
    got = F.triplet_margin_loss(_t(a), _t(p), _t(n), margin=0.7, p=1.5, swap=swap, reduction="none")
    np.testing.assert_allclose(_np(got), expected, rtol=1e-12)
    loss = nn.TripletMarginLoss(margin=0.7, p=1.5, swap=swap)(_t(a), _t(p), _t(n))
    np.testing.assert_allclose(_np(loss), expected.mean(), rtol=1e-12)
    # a custom distance: the squared Euclidean one
    def squared(x, y):
        return ((x - y) ** 2).sum(-1)
    got = F.triplet_margin_with_distance_loss(_t(a), _t(p), _t(n), distance_function=squared, margin=2.0,
                                              reduction="sum")
    expected = np.maximum(2.0 + ((a - p) ** 2).sum(-1) - ((a - n) ** 2).sum(-1), 0).sum()
    np.testing.assert_allclose(_np(got), expected, rtol=1e-12)


def _log_sigmoid(x):
    return -np.logaddexp(0, -x)


def test_multilabel_soft_margin_loss_matches_numpy():
    x, y = RNG.standard_normal((4, 3)), RNG.integers(0, 2, (4, 3)).astype(np.float64)
    w = RNG.uniform(0.5, 2, 3)
    each = -(y * _log_sigmoid(x) + (1 - y) * _log_sigmoid(-x)) * w
    got = F.multilabel_soft_margin_loss(_t(x), _t(y), weight=_t(w), reduction="none")
    np.testing.assert_allclose(_np(got), each.mean(1), rtol=1e-12)
    loss = nn.MultiLabelSoftMarginLoss(weight=_t(w), reduction="sum")(_t(x), _t(y))
    np.testing.assert_allclose(_np(loss), each.mean(1).sum(), rtol=1e-12)


def _multi_margin(x, y, p, margin, w):
    out = np.zeros(len(x))
    for i, (row, target) in enumerate(zip(x, y)):
        for j in range(len(row)):
            if j != target:
                h = max(0.0, margin - row[target] + row[j]) ** p
                out[i] += h * (1.0 if w is None else w[target])
    return out / x.shape[1]


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss_matches_a_loop(p, weighted):
    x, y = RNG.standard_normal((6, 4)), RNG.integers(0, 4, 6)
    w = RNG.uniform(0.5, 2, 4) if weighted else None
    expected = _multi_margin(x, y, p, 0.8, w)
    got = F.multi_margin_loss(_t(x), nb.tensor(y), p=p, margin=0.8, weight=None if w is None else _t(w),
                              reduction="none")
    np.testing.assert_allclose(_np(got), expected, rtol=1e-12)
    module = nn.MultiMarginLoss(p=p, margin=0.8, weight=None if w is None else _t(w))
    np.testing.assert_allclose(_np(module(_t(x), nb.tensor(y))), expected.mean(), rtol=1e-12)
    one = F.multi_margin_loss(_t(x[0]), nb.tensor(y[0]), p=p, margin=0.8, reduction="none")  # unbatched
    assert one.shape == () and math.isclose(float(one), _multi_margin(x[:1], y[:1], p, 0.8, None)[0])


def _multilabel_margin(x, y):
    out = np.zeros(len(x))
    for i, (row, targets) in enumerate(zip(x, y)):
        chosen = list(targets[:list(targets).index(-1)] if -1 in targets else targets)
        for j in chosen:
            for k in range(len(row)):
                if k not in chosen:
                    out[i] += max(0.0, 1 - (row[j] - row[k]))
    return out / x.shape[1]


def test_multilabel_margin_loss_matches_a_loop():
    x = RNG.standard_normal((4, 5))
    # targets end at the first -1 (what follows it is ignored); a repeated target counts twice
    y = np.array([[3, 0, -1, 1, 1], [1, 2, 3, 4, 0], [-1, 2, 2, 2, 2], [4, 4, -1, 0, 0]])
    expected = _multilabel_margin(x, y)
    np.testing.assert_allclose(_np(F.multilabel_margin_loss(_t(x), nb.tensor(y), reduction="none")), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(_np(nn.MultiLabelMarginLoss()(_t(x), nb.tensor(y))), expected.mean(), rtol=1e-12)


def _local_response_norm(x, size, alpha, beta, k):
    squares = x ** 2
    div = np.zeros_like(x)
    channels = x.shape[1]
    for c in range(channels):
        lo, hi = max(c - size // 2, 0), min(c - size // 2 + size, channels)
        div[:, c] = squares[:, lo:hi].sum(1) / size
    return x / (k + alpha * div) ** beta


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 3, 2), (1, 4, 2, 2, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm_matches_a_loop(shape, size):
    x = RNG.standard_normal(shape)
    expected = _local_response_norm(x, size, 0.5, 0.6, 1.5)
    got = nn.LocalResponseNorm(size, alpha=0.5, beta=0.6, k=1.5)(_t(x))
    np.testing.assert_allclose(_np(got), expected, rtol=1e-12)
    assert F.local_response_norm(nb.ones(0, 3, 2), 2).shape == (0, 3, 2)


def test_channel_shuffle_interleaves_the_groups():
    x = RNG.standard_normal((2, 6, 3, 2))
    expected = x.reshape(2, 3, 2, 3, 2).transpose(0, 2, 1, 3, 4).reshape(x.shape)
    got = nn.ChannelShuffle(3)(_t(x))
    np.testing.assert_array_equal(_np(got), expected)
    assert got.is_contiguous()
    order = F.channel_shuffle(nb.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
    assert order == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def _windows(x, k, s):
    return np.stack([x[..., i:i + k] for i in range(0, x.shape[-1] - k + 1, s)], axis=-2)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
def test_lp_pools_match_numpy(norm_type):
    x = RNG.uniform(0.1, 2, (2, 3, 7))
    w = _windows(x, 3, 2)
    norm = np.abs(w).max(-1) if norm_type == math.inf else (w ** norm_type).sum(-1) ** (1 / norm_type)
    np.testing.assert_allclose(_np(nn.LPPool1d(norm_type, 3, stride=2)(_t(x))), norm, rtol=1e-12)
    x2 = RNG.uniform(0.1, 2, (2, 2, 4, 6))
    blocks = x2.reshape(2, 2, 2, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 2, 2, 3, 4)
    norm = (np.abs(blocks).max(-1) if norm_type == math.inf
            else (blocks ** norm_type).sum(-1) ** (1 / norm_type))
    np.testing.assert_allclose(_np(F.lp_pool2d(_t(x2), norm_type, 2)), norm, rtol=1e-12)


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.5, math.inf])
def test_pdist_matches_a_loop(p):
    x = RNG.standard_normal((5, 3))
    expected = []
    for i in range(5):
        for j in range(i + 1, 5):
            d = np.abs(x[i] - x[j])
            expected.append(d.max() if p == math.inf else (d != 0).sum() if p == 0 else (d ** p).sum() ** (1 / p))
    np.testing.assert_allclose(_np(F.pdist(_t(x), p)), expected, rtol=1e-12)
    assert F.pdist(nb.ones(1, 3)).shape == (0,) and F.pdist(nb.ones(0, 3)).shape == (0,)


def test_pdist_gradients_by_hand():
    x = nb.tensor([[0.0, 0.0], [2.0, -2.0], [0.0, 0.0]], requires_grad=True)
    d = F.pdist(x, math.inf)
    assert d.tolist() == [2.0, 0.0, 2.0]
    d.sum().backward()
    # both entries tie for the largest: each gets the whole gradient, sign(x_i - x_j) (torch's);
    # identical rows give none
    assert x.grad.tolist() == [[-1.0, 1.0], [2.0, -2.0], [-1.0, 1.0]]
    x.grad = None
    F.pdist(x, 0).sum().backward()  # the count of differing entries: gradient 0
    assert x.grad.tolist() == [[0.0, 0.0]] * 3
    x.grad = None
    F.pdist(x).sum().backward()  # zero distance: gradient 0, not nan
    r = 1 / math.sqrt(2)
    np.testing.assert_allclose(_np(x.grad), [[-r, r], [2 * r, -2 * r], [-r, r]], rtol=1e-6)


# ------------------------------------------------------------------ the random pieces
def test_dropout3d_drops_whole_channels_and_scales_the_rest():
    nb.manual_seed(0)
    x = nb.ones(40, 50, 2, 2, 2)
    y = _np(F.dropout3d(x, 0.3))
    per_channel = y.reshape(40, 50, -1)
    assert (per_channel == per_channel[..., :1]).all()  # one draw per channel
    assert set(np.unique(per_channel)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((per_channel[..., 0] == 0).mean() - 0.3) < 0.04
    unbatched = F.dropout3d(nb.ones(6, 2, 2, 2), 0.5)
    assert unbatched.shape == (6, 2, 2, 2)
    m = nn.Dropout3d(0.3)
    m.eval()
    assert m(x) is x
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(nb.ones(2, 3, 4), 0.5)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_variance(feature):
    nb.manual_seed(1)
    p = 0.2
    x = nb.tensor(RNG.standard_normal((400, 300, 1)))
    m = (nn.FeatureAlphaDropout if feature else nn.AlphaDropout)(p)
    y = _np(m(x))
    a = 1 / math.sqrt((SELU_SATURATION ** 2 * p + 1) * (1 - p))
    kept = np.isclose(y, a * _np(x) + a * SELU_SATURATION * p, rtol=1e-12)
    dropped = np.isclose(y, a * SELU_SATURATION * (p - 1), rtol=1e-12)
    assert (kept | dropped).all()
    assert abs(dropped.mean() - p) < 0.01
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.03
    if feature:  # whole channels: a channel (here one element) of each sample is one draw
        assert dropped.shape == (400, 300, 1)
        z = _np(F.feature_alpha_dropout(nb.ones(50, 40, 3), p, training=True))
        assert (z == z[..., :1]).all()
    m.eval()
    assert m(x) is x
    assert (F.alpha_dropout(x, p) is x) and (F.feature_alpha_dropout(x, p) is x)  # training=False by default
    assert (_np(F.alpha_dropout(x, 1.0, True)) == 0).all()


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_gumbel_softmax_samples_the_categorical_distribution():
    nb.manual_seed(2)
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    batch = nb.tensor(np.tile(logits, (20000, 1)))
    soft = F.gumbel_softmax(batch, tau=0.5)
    np.testing.assert_allclose(_np(soft).sum(1), 1.0, rtol=1e-12)
    hard = _np(F.gumbel_softmax(batch, hard=True))
    assert set(np.unique(hard)) == {0.0, 1.0} and (hard.sum(1) == 1).all()
    # the Gumbel-max trick: the argmax of logits + Gumbel noise is a sample of softmax(logits)
    np.testing.assert_allclose(hard.mean(0), [0.1, 0.2, 0.3, 0.4], atol=0.015)
    # the hard sample's gradient is the soft one's (straight-through)
    x = nb.tensor(logits, requires_grad=True)
    nb.manual_seed(3)
    (F.gumbel_softmax(x, hard=True) * nb.arange(4.0)).sum().backward()
    hard_grad = _np(x.grad)
    x.grad = None
    nb.manual_seed(3)
    (F.gumbel_softmax(x) * nb.arange(4.0)).sum().backward()
    np.testing.assert_allclose(hard_grad, _np(x.grad), rtol=1e-12)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(x, eps=1e-3)


def test_random_pieces_draw_from_nbtensors_generator():
    for draw in (lambda: F.dropout3d(nb.ones(2, 8, 2, 2, 2)), lambda: F.alpha_dropout(nb.ones(50), 0.5, True),
                 lambda: F.feature_alpha_dropout(nb.ones(10, 8, 2), 0.5, True),
                 lambda: F.gumbel_softmax(nb.zeros(4, 5))):
        nb.manual_seed(5)
        first = _np(draw())
        np.random.seed(0)  # NumPy's global generator plays no part
        nb.manual_seed(5)
        np.testing.assert_array_equal(_np(draw()), first)


# ------------------------------------------------------------------ gradients
def _params(module):
    for p in module.parameters():
        p.data.copy_(nb.tensor(RNG.standard_normal(tuple(p.shape))))
    return list(module.parameters())


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@pytest.mark.parametrize("make, shapes", [
    (lambda: nn.RMSNorm((3, 4)).double(), [(2, 3, 4)]),
    (lambda: nn.Bilinear(3, 4, 2).double(), [(5, 3), (5, 4)]),
    (lambda: nn.LocalResponseNorm(3, alpha=0.5, beta=0.75, k=1.0), [(2, 4, 3)]),
    (lambda: nn.LocalResponseNorm(2, alpha=0.3), [(1, 5, 2, 3)]),
    (lambda: nn.ChannelShuffle(2), [(2, 4, 3)]),
    (lambda: nn.TripletMarginLoss(swap=True), [(4, 3)] * 3),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=0.5, reduction="sum"), [(4, 3)] * 3)])
def test_gradients_match_central_differences(make, shapes):
    m = make()
    params = _params(m)
    inputs = [nb.tensor(RNG.standard_normal(shape), requires_grad=True) for shape in shapes]
    assert gradcheck(lambda *ts: m(*ts[:len(inputs)]), (*inputs, *params))


WEIGHT = np.random.default_rng(3).uniform(0.5, 2, 5)
BINARY = np.random.default_rng(4).integers(0, 2, (4, 5)).astype(np.float64)
MARGIN_TARGETS = np.array([[1, 3, -1, 0, 0], [4, -1, 0, 0, 0], [0, 1, 2, 3, -1], [2, 2, 0, -1, 1]])


def _gumbel_with_fixed_noise(a):
    nb.manual_seed(4)  # the same noise at every evaluation
    return F.gumbel_softmax(a, tau=0.7)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
# (torch's multi_margin_loss refuses a weight that requires grad: its weight is a constant)
@pytest.mark.parametrize("fn, shape", [
    (lambda a, b: F.multilabel_soft_margin_loss(a, nb.tensor(BINARY), weight=b), None),
    (lambda a: F.multi_margin_loss(a, nb.tensor([0, 4, 2, 2]), margin=0.9, weight=nb.tensor(WEIGHT)), (4, 5)),
    (lambda a: F.multi_margin_loss(a, nb.tensor([1, 0, 3, 2]), p=2, reduction="none"), (4, 5)),
    (lambda a: F.multilabel_margin_loss(a, nb.tensor(MARGIN_TARGETS), reduction="none"), (4, 5)),
    (lambda a: F.lp_pool1d(a.abs() + 0.2, 2.0, 3), (2, 3, 6)),
    (lambda a: F.lp_pool2d(a.abs() + 0.2, 1.5, (2, 3), stride=1), (1, 2, 3, 6)),
    (lambda a: F.pdist(a, 1.0), (4, 5)), (lambda a: F.pdist(a), (4, 5)), (lambda a: F.pdist(a, 3.0), (4, 5)),
    (lambda a: F.pdist(a, math.inf), (4, 5)), (_gumbel_with_fixed_noise, (4, 5))])
def test_function_gradients_match_central_differences(fn, shape):
    if shape is None:  # (input, weight)
        inputs = (nb.tensor(RNG.standard_normal((4, 5)), requires_grad=True), nb.tensor(WEIGHT, requires_grad=True))
    else:
        inputs = (nb.tensor(RNG.standard_normal(shape), requires_grad=True),)
    assert gradcheck(fn, inputs)


# ------------------------------------------------------------------ against torch
REPRS = ["RMSNorm(4)", "RMSNorm([3, 4], eps=1e-3, elementwise_affine=False)", "Bilinear(3, 4, 5)",
         "Bilinear(3, 4, 5, bias=False)", "TripletMarginLoss(margin=2.0, p=1, swap=True)",
         "TripletMarginWithDistanceLoss()", "MultiLabelSoftMarginLoss()", "MultiMarginLoss(p=2)",
         "MultiLabelMarginLoss()", "LocalResponseNorm(3)", "LocalResponseNorm(2, alpha=0.1, beta=1, k=2)",
         "ChannelShuffle(2)", "Dropout3d()", "Dropout3d(0.2, True)", "AlphaDropout(0.3)",
         "FeatureAlphaDropout(0.1, inplace=True)", "LPPool1d(2, 3)", "LPPool2d(1.5, (2, 3), stride=1, ceil_mode=True)"]


@needs_torch
@pytest.mark.parametrize("module", REPRS)
def test_reprs_match_torch(module):
    ours, theirs = eval("nn." + module), eval("torch.nn." + module)
    assert repr(ours) == repr(theirs)
    assert sorted(k for k, _ in ours.named_parameters()) == sorted(k for k, _ in theirs.named_parameters())
    for (_, a), (_, b) in zip(sorted(ours.named_parameters()), sorted(theirs.named_parameters())):
        assert tuple(a.shape) == tuple(b.shape)


# (call, float inputs by shape, other arguments by name): run with lib = nbtensor and torch
CALLS = [
    ("F.rms_norm(X0, (4,), X1, 1e-3)", [(2, 3, 4), (4,)]),
    ("F.rms_norm(X0, [3, 4])", [(2, 3, 4)]),
    ("F.rms_norm(X0, (4,), X1)", [(5, 4), (4,)]),
    ("F.bilinear(X0, X1, X2, X3)", [(2, 3, 4), (2, 3, 5), (6, 4, 5), (6,)]),
    ("F.bilinear(X0, X1, X2)", [(4,), (5,), (2, 4, 5)]),
    ("F.triplet_margin_loss(X0, X1, X2)", [(5, 3)] * 3),
    ("F.triplet_margin_loss(X0, X1, X2, margin=0.5, p=1, swap=True, reduction='none')", [(5, 3)] * 3),
    ("F.triplet_margin_loss(X0, X1, X2, p=3, eps=1e-3, reduction='sum')", [(3,)] * 3),
    ("F.triplet_margin_with_distance_loss(X0, X1, X2, swap=True)", [(5, 3)] * 3),
    ("F.triplet_margin_with_distance_loss(X0, X1, X2, distance_function=lambda a, b: 1 - F.cosine_similarity(a, b),"
     " margin=0.3, reduction='none')", [(5, 3)] * 3),
    ("F.multilabel_soft_margin_loss(X0, BINARY)", [(4, 5)]),
    ("F.multilabel_soft_margin_loss(X0, BINARY, weight=X1, reduction='none')", [(4, 5), (5,)]),
    ("F.multilabel_soft_margin_loss(X0, BINARY[0], reduction='sum')", [(5,)]),
    ("F.multi_margin_loss(X0, LABELS)", [(4, 5)]),
    ("F.multi_margin_loss(X0, LABELS, p=2, margin=0.7, weight=X1.detach(), reduction='none')", [(4, 5), (5,)]),
    ("F.multi_margin_loss(X0, LABELS[1], reduction='sum')", [(5,)]),
    ("F.multi_margin_loss(X0, LABELS[:1] * 0)", [()]),
    ("F.multilabel_margin_loss(X0, TARGETS)", [(4, 5)]),
    ("F.multilabel_margin_loss(X0, TARGETS, reduction='none')", [(4, 5)]),
    ("F.multilabel_margin_loss(X0, TARGETS[2], reduction='none')", [(5,)]),
    ("F.local_response_norm(X0, 3)", [(2, 5, 4)]),
    ("F.local_response_norm(X0, 4, alpha=0.3, beta=0.5, k=2.0)", [(2, 5, 3, 2)]),
    ("F.local_response_norm(X0, 2, alpha=1.0)", [(1, 4, 2, 2, 2)]),
    ("F.channel_shuffle(X0, 3)", [(2, 6, 4)]),
    ("F.channel_shuffle(X0, 2)", [(1, 4, 2, 3, 2)]),
    ("F.lp_pool1d(X0.abs(), 2, 3)", [(2, 3, 8)]),
    ("F.lp_pool1d(X0, 3, 2, stride=1, ceil_mode=True)", [(2, 3, 8)]),
    ("F.lp_pool1d(X0, float('inf'), 2)", [(2, 3, 8)]),
    ("F.lp_pool2d(X0.abs(), 1.5, (2, 3), stride=1)", [(2, 3, 5, 6)]),
    ("F.lp_pool2d(X0, 2, 2, ceil_mode=True)", [(3, 5, 5)]),
    ("F.pdist(X0)", [(6, 4)]),
    ("F.pdist(X0, 1)", [(6, 4)]),
    ("F.pdist(X0, 0.5)", [(6, 4)]),
    ("F.pdist(X0, float('inf'))", [(6, 4)]),
    ("F.pdist(X0, 0)", [(6, 4)]),
    # torch's deprecated size_average and reduce
    ("F.triplet_margin_loss(X0, X1, X2, size_average=False)", [(5, 3)] * 3),
    ("F.multilabel_soft_margin_loss(X0, BINARY, reduce=False)", [(4, 5)]),
    ("F.multi_margin_loss(X0, LABELS, size_average=False)", [(4, 5)]),
    ("F.multilabel_margin_loss(X0, TARGETS, reduce=False)", [(4, 5)]),
    ("F.pdist(lib.cat([X0, X0]), 2)", [(3, 4)]),
]


def _scope(lib, arrays):
    names = {f"X{i}": lib.tensor(a, requires_grad=True) for i, a in enumerate(arrays)}
    names.update(lib=lib, F=lib.nn.functional, BINARY=lib.tensor(RNG_FIXED["binary"]),
                 LABELS=lib.tensor(RNG_FIXED["labels"]), TARGETS=lib.tensor(RNG_FIXED["targets"]))
    return names


RNG_FIXED = {"binary": np.random.default_rng(1).integers(0, 2, (4, 5)).astype(np.float64),
             "labels": np.array([1, 4, 0, 2]),
             "targets": np.array([[1, 3, -1, 0, 0], [4, -1, 0, 0, 0], [0, 1, 2, 3, -1], [2, 2, 0, -1, 1]])}


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("call, shapes", CALLS)
def test_functions_match_torch(call, shapes, dtype):
    arrays = [RNG.standard_normal(shape).astype(dtype) for shape in shapes]
    results = []
    for lib in (nb, torch):
        scope = _scope(lib, arrays)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = eval(call, scope)
        weights = lib.tensor(np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape)).astype(dtype))
        (out * weights).sum().backward()
        grads = [_np(scope[f"X{i}"].grad) if scope[f"X{i}"].grad is not None else None for i in range(len(arrays))]
        # (RuntimeWarnings left out: NumPy's, from kernels run as Python in the CUDA simulator)
        results.append((_np(out), out.dtype, grads,
                        [str(w.message) for w in caught if not issubclass(w.category, RuntimeWarning)]))
    (ours, our_dtype, our_grads, our_warnings), (theirs, their_dtype, their_grads, their_warnings) = results
    assert our_warnings == their_warnings
    assert str(our_dtype).split(".")[-1] == str(their_dtype).split(".")[-1]
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(ours, theirs, **tol)
    for got, expected in zip(our_grads, their_grads):
        assert (got is None) == (expected is None)
        if got is not None:
            np.testing.assert_allclose(got, expected, **tol)


@needs_torch
def test_half_precision_rms_norm_matches_torch():
    x = (RNG.standard_normal((3, 5)) * 0.01).astype(np.float16)
    w = np.linspace(-1, 1, 5).astype(np.float16)
    results = []
    for lib in (nb, torch):
        xs = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.rms_norm(xs, (5,), lib.tensor(w))
        out.sum().backward()
        results.append((_np(out).astype(np.float64), _np(xs.grad).astype(np.float64)))
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3)


@needs_torch
@pytest.mark.parametrize("module, shapes, targets", [
    ("RMSNorm((3, 4), eps=1e-4)", [(2, 3, 4)], None), ("Bilinear(3, 4, 5)", [(2, 3), (2, 4)], None),
    ("LocalResponseNorm(3, alpha=0.2)", [(2, 4, 3, 3)], None), ("ChannelShuffle(2)", [(2, 4, 3)], None),
    ("LPPool2d(2, 2)", [(1, 2, 4, 4)], None), ("TripletMarginLoss(swap=True)", [(4, 3)] * 3, None),
    ("TripletMarginWithDistanceLoss(margin=2.0)", [(4, 3)] * 3, None),
    ("MultiMarginLoss(p=2, weight=lib.tensor([0.5, 1.0, 2.0]))", [(4, 3)], "labels"),
    ("MultiLabelSoftMarginLoss(weight=lib.tensor([0.5, 1.0, 2.0]), reduction='none')", [(4, 3)], "binary"),
    ("MultiLabelMarginLoss(reduction='sum')", [(4, 3)], "targets")])
def test_modules_match_torch(module, shapes, targets):
    arrays = [RNG.standard_normal(shape).astype(np.float32) for shape in shapes]
    fixed = {"labels": np.array([0, 2, 1, 2]), "binary": np.array([[0, 1, 1], [1, 0, 0], [1, 1, 1], [0, 0, 0.0]]),
             "targets": np.array([[2, 0, -1], [1, -1, 2], [0, 1, 2], [-1, 0, 0]])}
    results = []
    for lib in (nb, torch):
        m = eval("lib.nn." + module)
        params = list(m.parameters())
        for p, value in zip(params, [np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) for p in params]):
            with lib.no_grad():
                p.copy_(lib.tensor(value))
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        extra = [lib.tensor(fixed[targets].astype(np.float32) if targets == "binary" else fixed[targets])] \
            if targets else []
        out = m(*xs, *extra)
        out.sum().backward()
        results.append((repr(m), _np(out), [_np(x.grad) for x in xs], [_np(p.grad) for p in params]))
    ours, theirs = results
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=2e-5, atol=2e-6)
    for got, expected in zip(ours[2] + ours[3], theirs[2] + theirs[3]):
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)


@needs_torch
@pytest.mark.parametrize("make", ["Dropout3d(0.4)", "AlphaDropout(0.4)", "FeatureAlphaDropout(0.4)"])
def test_random_modules_match_torch_in_shape_scaling_and_eval(make):
    x = RNG.standard_normal((30, 20, 2, 2, 2)).astype(np.float32)
    scales = []
    for lib in (nb, torch):
        lib.manual_seed(0)
        m = eval("lib.nn." + make)
        xs = lib.tensor(x, requires_grad=True)
        y = m(xs)
        y.sum().backward()
        out, grad = _np(y), _np(xs.grad)
        assert out.shape == x.shape
        # every gradient is the element's scale: 0 or 1/(1-p) for dropout, 0 or a for alpha dropout
        scales.append(tuple(np.unique(np.round(grad, 5))))
        # (600 channels of 8 elements drawn, or 4800 elements: the rate is 0.4 within 4 sigma)
        assert abs(float((grad == 0).mean()) - 0.4) < 0.08
        m.eval()
        assert m(xs) is xs
    assert scales[0] == scales[1]


@needs_torch
def test_gumbel_softmax_matches_torch_in_distribution():
    logits = np.log(np.array([[0.5, 0.3, 0.2]] * 5000, dtype=np.float32))
    means = []
    for lib in (nb, torch):
        lib.manual_seed(0)
        hard = lib.nn.functional.gumbel_softmax(lib.tensor(logits), hard=True)
        soft = lib.nn.functional.gumbel_softmax(lib.tensor(logits), tau=2.0)
        means.append((_np(hard).mean(0), _np(soft).mean(0)))
    for ours, theirs in zip(*means):
        np.testing.assert_allclose(ours, theirs, atol=0.03)


BAD_CALLS = [
    "F.rms_norm(X(2, 3), (4,))", "F.rms_norm(X(2, 3), (2, 4))", "F.rms_norm(X(2, 3), (3,), X(4))", "F.rms_norm(X(2, 3), 3)",
    "F.rms_norm(X(2, 3), ())", "F.rms_norm(X(2, 3).long(), (3,))", "F.rms_norm(X(3), (2, 3))",
    "F.bilinear(X(2, 3), X(3, 4), X(5, 3, 4))", "F.bilinear(X(2, 3), X(2, 4), X(5, 3, 5))",
    "F.bilinear(X(2, 3), X(2, 4), X(5, 2, 4))", "F.bilinear(X(2, 3), X(2, 1, 4), X(5, 3, 4))",
    "F.bilinear(X(2, 3), X(2, 4), X(5, 3, 4), X(4))", "F.bilinear(X(2, 3).double(), X(2, 4), X(5, 3, 4))",
    "F.bilinear(X(2, 3), X(2, 4), X(5, 3, 4), X(5).double())", "F.bilinear(X(2, 3), X(2, 4), X(5, 3, 4), X(2, 5))",
    "F.bilinear(X(2, 3), X(2, 4), X(5, 3, 4), X(5, 1))", "F.bilinear(X(2, 3), X(2, 4), X(5, 3, 4), X())",
    "nn.TripletMarginLoss(margin=0)", "nn.TripletMarginWithDistanceLoss(margin=-1)", "nn.MultiMarginLoss(p=3)",
    "nn.MultiMarginLoss(weight=X(2, 2))",
    "F.triplet_margin_loss(X(2, 3), X(2, 3), X(3))", "F.triplet_margin_loss(X(2, 3), X(2, 3), X(2, 3), reduction='x')",
    "F.triplet_margin_with_distance_loss(X(2, 3), X(2, 3), X(2, 3), margin=0)",
    "F.triplet_margin_with_distance_loss(X(2, 3), X(3), X(2, 3))",
    "F.triplet_margin_with_distance_loss(X(2, 3), X(2, 3), X(2, 3), reduction='x')",
    "F.multilabel_soft_margin_loss(X(2, 3), X(2, 3), reduction='x')", "F.multilabel_soft_margin_loss(X(), X())",
    "F.multi_margin_loss(X(2, 3), L([0, 1]), p=3)", "F.multi_margin_loss(X(2, 3), L([0, 1]), weight=X(3, 1))",
    "F.multi_margin_loss(X(2, 3), L([0, 3]))", "F.multi_margin_loss(X(2, 3), L([0, -1]))",
    "F.multi_margin_loss(X(2, 3), L([0, 1, 1]))", "F.multi_margin_loss(X(2, 3), L([0., 1]))",
    "F.multi_margin_loss(X(2, 3, 4), L([0, 1]))", "F.multi_margin_loss(X(2, 3), L([0, 1]), weight=X(4))",
    "F.multi_margin_loss(X(2, 3), L([0, 1]), reduction='x')", "F.multi_margin_loss(X(2, 0), L([0, 1]))",
    "F.multi_margin_loss(X(2, 3).long(), L([0, 1]))", "F.multi_margin_loss(X(2, 3), L([0, 1]), weight=X(3).requires_grad_())", "F.multi_margin_loss(X(2, 3), L([0, 1]), weight=X(3).double())",
    "F.multilabel_margin_loss(X(2, 3), L([[0, 1], [2, -1]]))", "F.multilabel_margin_loss(X(2, 3), L([[0, 3, -1], [2, -1, 0]]))",
    "F.multilabel_margin_loss(X(2, 3), L([[0, -1, 5], [2, -1, 0]]))",
    "F.multilabel_margin_loss(X(2, 3), L([[0., 1, -1], [2, -1, 0]]))", "F.multilabel_margin_loss(X(2, 3, 1), L([0, 1, -1]))",
    "F.multilabel_margin_loss(X(2, 3), L([[0, 1, -1], [2, -1, 0]]), reduction='x')",
    "F.multilabel_margin_loss(X(2, 3).long(), L([[0, 1, -1], [2, -1, 0]]))",
    "F.local_response_norm(X(2, 3), 2)", "F.local_response_norm(X(2, 3, 2), 0)", "F.local_response_norm(X(2, 3, 2, 2), 0)",
    "F.channel_shuffle(X(2, 3, 4), 2)", "F.channel_shuffle(X(2, 4), 2)", "F.channel_shuffle(X(2, 4, 3), 0)",
    "F.channel_shuffle(X(2, 4, 3), 2.0)",
    "nn.Dropout3d(2)", "F.dropout3d(X(2, 3, 2, 2), -0.1)", "F.alpha_dropout(X(3), 2)", "nn.AlphaDropout(1.5)",
    "F.feature_alpha_dropout(X(3), 0.5, True)", "F.feature_alpha_dropout(X(), 0.5, True)",
    "F.gumbel_softmax(X(2, 3).long())",
    "F.pdist(X(3, 2, 2))", "F.pdist(X(3, 2).long())", "F.pdist(X(3, 2), -1)", "F.pdist(X(3))",
]


@needs_torch
@pytest.mark.parametrize("call", BAD_CALLS)
def test_bad_calls_raise_as_torch(call):
    def scope(lib):
        return {"X": lambda *shape: lib.ones(shape), "L": lib.tensor, "F": lib.nn.functional, "nn": lib.nn}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            eval(call, scope(torch))
        with pytest.raises(type(theirs.value)) as ours:
            eval(call, scope(nb))
    assert str(ours.value) == str(theirs.value)
