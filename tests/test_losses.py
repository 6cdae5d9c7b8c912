"""nn.functional's losses as torch 2.13 computes them: weighted means, class weights,
ignored targets, label smoothing, class-probability targets, K-dimensional inputs, the
deprecated size_average/reduce, one graph node per loss op, and their gradients (central
differences, and torch's when it is installed)."""
import math
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor.autograd import gradcheck
from nbtensor.nn import functional as F

from support import SIMULATED

try:
    import torch
except ImportError:  # the comparisons with torch are skipped; the hand-computed ones run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(11)
LOGITS = RNG.standard_normal((5, 4))
LABELS = np.array([0, 3, 1, 3, 2])
CLASS_WEIGHTS = RNG.uniform(0.5, 1.5, 4)


def _np(t):
    return t.detach().cpu().numpy()


def _log_softmax(x, axis=1):
    shifted = x - x.max(axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))


# ------------------------------------------------------------------ by hand (NumPy)
@pytest.mark.parametrize("name, errors", [("mse_loss", np.square), ("l1_loss", np.abs)])
def test_weighted_mean_divides_by_the_weights_sum(name, errors):
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    w = RNG.uniform(0, 3, (3, 4))
    loss = getattr(F, name)(nb.tensor(x), nb.tensor(y), weight=nb.tensor(w))
    assert float(loss) == pytest.approx((errors(x - y) * w).sum() / w.sum(), rel=1e-12)
    with pytest.raises(ValueError, match="^Weights and input must have the same size.$"):
        getattr(F, name)(nb.tensor(x), nb.tensor(y), weight=nb.tensor(w[0]))


def test_nll_loss_of_k_dimensional_inputs_averages_every_position():
    logp = _log_softmax(RNG.standard_normal((2, 4, 3, 2)))
    labels = RNG.integers(0, 4, (2, 3, 2))
    picked = -np.take_along_axis(logp, labels[:, None], 1)[:, 0]
    for shape in ((2, 4, 3, 2), (2, 4, 6)):  # 4-d (nll_loss2d) and 3-d (viewed as 4-d)
        x, t = nb.tensor(logp.reshape(shape)), nb.tensor(labels.reshape((2,) + shape[2:]))
        assert float(F.nll_loss(x, t)) == pytest.approx(picked.mean(), rel=1e-12)
        assert float(F.nll_loss(x, t, reduction="sum")) == pytest.approx(picked.sum(), rel=1e-12)
        np.testing.assert_allclose(_np(F.nll_loss(x, t, reduction="none")), picked.reshape(t.shape), rtol=1e-12)


def _smoothed_cross_entropy(logits, labels, weight, ignore, eps, reduction):
    """torch's cross_entropy_loss_label_smoothing, written out."""
    logp, classes = _log_softmax(logits), logits.shape[1]
    w = np.ones(classes) if weight is None else weight
    kept = labels != ignore
    safe = np.where(kept, labels, 0)
    nll = np.where(kept, -logp[np.arange(len(labels)), safe] * w[safe], 0.0)
    smooth = np.where(kept, -(logp * w).sum(1), 0.0)
    if reduction == "none":
        return (1 - eps) * nll + eps / classes * smooth
    if reduction == "sum":
        return (1 - eps) * nll.sum() + eps / classes * smooth.sum()
    total = w[safe][kept].sum()
    return (1 - eps) * nll.sum() / total + eps / classes * smooth.sum() / total


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_label_smoothing_with_ignored_targets_and_class_weights(reduction, weighted):
    weight = CLASS_WEIGHTS if weighted else None
    loss = F.cross_entropy(nb.tensor(LOGITS), nb.tensor(LABELS), weight=None if weight is None else nb.tensor(weight),
                           ignore_index=3, label_smoothing=0.2, reduction=reduction)
    expected = _smoothed_cross_entropy(LOGITS, LABELS, weight, 3, 0.2, reduction)
    np.testing.assert_allclose(_np(loss), expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_probability_targets_take_weights_and_smoothing(reduction):
    probs = RNG.uniform(0, 1, (5, 4))
    probs /= probs.sum(1, keepdims=True)
    loss = F.cross_entropy(nb.tensor(LOGITS), nb.tensor(probs), weight=nb.tensor(CLASS_WEIGHTS),
                           label_smoothing=0.1, reduction=reduction)
    each = -(_log_softmax(LOGITS) * (probs * 0.9 + 0.1 / 4) * CLASS_WEIGHTS).sum(1)
    expected = {"none": each, "sum": each.sum(), "mean": each.sum() / 5}[reduction]
    np.testing.assert_allclose(_np(loss), expected, rtol=1e-12)


def test_deprecated_size_average_and_reduce_choose_the_reduction():
    x, y = nb.tensor(LOGITS), nb.tensor(LABELS)
    picked = -_log_softmax(LOGITS)[np.arange(5), LABELS]
    for size_average, reduce, expected in ((False, None, picked.sum()), (None, False, picked),
                                           (True, True, picked.mean()), (False, False, picked)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            loss = F.cross_entropy(x, y, size_average=size_average, reduce=reduce)
        np.testing.assert_allclose(_np(loss), expected, rtol=1e-12)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        assert float(F.mse_loss(nb.ones(3), nb.zeros(3), size_average=False)) == 3.0
    with pytest.warns(UserWarning):
        assert nb.nn.MSELoss(reduce=False).reduction == "none"


def test_nll_loss_shapes_and_errors():
    logp = nb.tensor(_log_softmax(LOGITS))
    assert F.nll_loss(logp[0], nb.tensor(2), reduction="none").shape == ()
    assert float(F.nll_loss(logp[0], nb.tensor([2]), reduction="none")) == pytest.approx(-_log_softmax(LOGITS)[0, 2])
    assert float(F.nll_loss(logp, nb.tensor([0, 7, 1, 3, 2]), ignore_index=7)) == pytest.approx(
        -_log_softmax(LOGITS)[[0, 2, 3, 4], [0, 1, 3, 2]].mean(), rel=1e-12)  # an out-of-range ignore_index
    assert np.isnan(float(F.nll_loss(logp, nb.zeros(5, dtype=nb.int64), ignore_index=0)))  # all ignored
    assert float(F.nll_loss(logp, nb.tensor(LABELS, dtype=nb.uint8))) == pytest.approx(
        float(F.nll_loss(logp, nb.tensor(LABELS))))
    cases = [
        ((logp, nb.tensor([0, 1])), ValueError, r"^Expected input batch_size \(5\) to match target batch_size \(2\).$"),
        ((logp, nb.tensor(0)), ValueError, r"^Expected input batch_size \(5\) to match target batch_size \(0\).$"),
        ((logp[0], nb.tensor([0, 1])), ValueError, "For 1D input, 1D target must have size 1, but got target size: 2"),
        ((logp, nb.tensor(LABELS, dtype=nb.int32)), RuntimeError, "expected target dtype to be Long or Byte, but got Int"),
        ((logp, nb.tensor(LABELS), nb.ones(3)), RuntimeError,
         r"weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: \[3\]"),
        ((nb.tensor(1.0), nb.tensor(0)), ValueError, r"Expected 1 or more dimensions \(got 0\)"),
        ((nb.zeros(2, 4, 3), nb.zeros(2, 4, dtype=nb.int64)), RuntimeError, r"Expected target size \[2, 3\], got \[2, 4\]"),
        ((logp, nb.tensor([0, 4, 1, 3, 2])), IndexError, "Target 4 is out of bounds."),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            F.nll_loss(*args)
    with pytest.raises(RuntimeError, match="Expected floating point type for target with class probabilities, got Long"):
        F.cross_entropy(logp, nb.zeros(5, 4, dtype=nb.int64))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(logp, nb.zeros(5, 4), ignore_index=1)
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(logp, nb.tensor(LABELS), label_smoothing=1.5)


def test_each_loss_op_is_one_node():
    x = nb.tensor(LOGITS, requires_grad=True)
    t = nb.tensor(RNG.uniform(0.1, 0.9, (5, 4)))
    nodes = {
        "NllLossBackward0": F.cross_entropy(x, nb.tensor(LABELS)),
        "NllLoss2DBackward0": F.nll_loss(x.reshape(5, 4, 1, 1), nb.tensor(LABELS).reshape(5, 1, 1)),
        "MseLossBackward0": F.mse_loss(x, t),
        "HuberLossBackward0": F.huber_loss(x, t, reduction="none"),
        "SmoothL1LossBackward0": F.smooth_l1_loss(x, t, reduction="sum"),
        "BinaryCrossEntropyBackward0": F.binary_cross_entropy(x.sigmoid(), t),
        "BinaryCrossEntropyWithLogitsBackward0": F.binary_cross_entropy_with_logits(x, t),
    }
    for name, loss in nodes.items():
        assert loss.grad_fn.name() == name
    assert nodes["NllLossBackward0"].grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(x, t, pos_weight=nb.ones(4, requires_grad=True))


GRADCHECKED = [
    lambda x, t: F.nll_loss(x, t["labels"]),
    lambda x, t: F.nll_loss(x, t["labels"], weight=t["weight"], ignore_index=3),
    lambda x, t: F.nll_loss(x, t["labels"], weight=t["weight"], reduction="none"),
    lambda x, t: F.nll_loss(x, t["labels"], ignore_index=1, reduction="sum"),
    lambda x, t: F.cross_entropy(x, t["labels"], label_smoothing=0.3, ignore_index=0),
    lambda x, t: F.nll_loss(x.reshape(5, 2, 2), t["labels"].remainder(2).reshape(5, 1).expand(5, 2)),
    lambda x, t: F.mse_loss(x, t["values"]),
    lambda x, t: F.mse_loss(t["values"][0], x, reduction="sum"),
    lambda x, t: F.huber_loss(x, t["values"], delta=0.6),
    lambda x, t: F.smooth_l1_loss(x, t["values"], beta=0.6, reduction="none"),
    lambda x, t: F.binary_cross_entropy(x.sigmoid(), t["probs"], weight=t["weight"]),
    lambda x, t: F.binary_cross_entropy_with_logits(x, t["probs"], pos_weight=t["weight"], reduction="sum"),
]


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("case", range(len(GRADCHECKED)))
def test_loss_gradients_match_central_differences(case):
    x = nb.tensor(LOGITS, requires_grad=True)
    # values kept off the kinks of huber/smooth_l1 (|x - t| == width)
    values = nb.tensor(LOGITS + RNG.choice([-1.0, 1.0], LOGITS.shape) * RNG.uniform(0.1, 0.5, LOGITS.shape))
    extras = {"labels": nb.tensor(LABELS), "weight": nb.tensor(CLASS_WEIGHTS), "values": values,
              "probs": nb.tensor(RNG.uniform(0.1, 0.9, (5, 4)))}
    assert gradcheck(lambda x: GRADCHECKED[case](x, extras), (x,))


# ------------------------------------------------------------------ torch
def _parity_cases():
    cases = []
    for reduction in ("mean", "sum", "none"):
        for extra in ("", ", weight=w", ", ignore_index=3", ", weight=w, ignore_index=3", ", label_smoothing=0.2",
                      ", label_smoothing=0.2, weight=w, ignore_index=3"):
            cases += [f"F.cross_entropy(x, y, reduction='{reduction}'{extra})",
                      f"F.cross_entropy(x3, y3, reduction='{reduction}'{extra})"]
            if "ignore" not in extra:
                cases.append(f"F.cross_entropy(x, p, reduction='{reduction}'{extra})")
            if "label" not in extra:
                cases += [f"F.nll_loss(x, y, reduction='{reduction}'{extra})",
                          f"F.nll_loss(x3, y3, reduction='{reduction}'{extra})"]
        for extra in ("", ", weight=ew"):
            cases += [f"F.{name}(x, t, reduction='{reduction}'{extra})" for name in ("mse_loss", "l1_loss", "huber_loss")]
        cases += [f"F.smooth_l1_loss(x, t, reduction='{reduction}', beta=0.5)",
                  f"F.mse_loss(x, t[0], reduction='{reduction}')",
                  f"F.binary_cross_entropy(x.sigmoid(), ew, weight=w, reduction='{reduction}')",
                  f"F.binary_cross_entropy_with_logits(x, ew, weight=ew, reduction='{reduction}', pos_weight=w)"]
    return cases + ["F.nll_loss(x[0], y[0])", "F.cross_entropy(x[0], p[0])", "F.cross_entropy(x[:0], y[:0])",
                    "F.cross_entropy(x[:0], p[:0])", "F.nll_loss(x, y, weight=w, ignore_index=0, reduction='sum')"]


def _evaluate(lib, expression):
    x = lib.tensor(LOGITS, requires_grad=True)
    x3 = lib.tensor(RNG_FIXED["x3"], requires_grad=True)
    names = {"F": lib.nn.functional, "x": x, "x3": x3, "y": lib.tensor(LABELS), "y3": lib.tensor(RNG_FIXED["y3"]),
             "p": lib.tensor(RNG_FIXED["p"]), "w": lib.tensor(CLASS_WEIGHTS), "t": lib.tensor(RNG_FIXED["t"]),
             "ew": lib.tensor(RNG_FIXED["ew"])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = eval(expression, names)
    (loss.sum() if loss.dim() else loss).backward()
    grad = x.grad if x.grad is not None else x3.grad
    return loss.detach().cpu().numpy(), grad.cpu().numpy(), loss.grad_fn.name()


_R = np.random.default_rng(5)
RNG_FIXED = {"x3": _R.standard_normal((2, 4, 3)), "y3": _R.integers(0, 4, (2, 3)), "t": _R.standard_normal((5, 4)),
             "ew": _R.uniform(0.05, 0.95, (5, 4)), "p": _R.dirichlet(np.ones(4), 5)}


@needs_torch
@pytest.mark.parametrize("expression", _parity_cases())
def test_losses_values_gradients_and_nodes_match_torch(expression):
    ours, theirs = _evaluate(nb, expression), _evaluate(torch, expression)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)
    if theirs[2] not in ("DivBackward1", "FillBackward0"):  # (torch's C++ divides by an int: a node of its own)
        assert ours[2] == theirs[2]


def test_binary_cross_entropy_without_reduction_is_laid_out_as_its_input():
    # (torch's kernel iterates over the input first: a transposed input gives a transposed
    # loss, so .view of it raises and .reshape copies, as the fuzzer against torch found)
    p = nb.tensor([[0.2, 0.7, 0.5], [0.9, 0.1, 0.4]], dtype=nb.float64).t()
    t = nb.tensor([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], dtype=nb.float64)
    loss = nb.nn.functional.binary_cross_entropy(p, t, reduction="none")
    assert loss.stride() == p.stride()
    pv, tv = np.array([[0.2, 0.7, 0.5], [0.9, 0.1, 0.4]]).T, np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(loss.cpu().numpy(), -(tv * np.log(pv) + (1 - tv) * np.log1p(-pv)), rtol=1e-12)


# ------------------------------------------------------------------ signs of zero
def _signs(a):
    """(value, sign bit) of each element: -0.0 and 0.0 differ (atan2, 1/x and copysign see it)."""
    a = np.atleast_1d(np.asarray(a, dtype=np.float64)).ravel()
    return [(v, bool(s)) for v, s in zip(a.tolist(), np.signbit(a).tolist())]


def test_nll_loss_zeros_have_torch_signs():
    # torch's kernel writes -input[target] * weight[target] (an input of 0 gives -0.0) and
    # +0.0 for an ignored target; a 1-d input goes through its reducing kernel (a sum from +0.0)
    x = nb.zeros(4, 1)
    loss = F.nll_loss(x, nb.tensor([0, -100, 0, -100]), reduction="none")
    assert _signs(_np(loss)) == [(0.0, True), (0.0, False), (0.0, True), (0.0, False)]
    angles = nb.atan2(loss, nb.tensor(-1.0))
    np.testing.assert_array_equal(_np(angles), np.float32([-np.pi, np.pi, -np.pi, np.pi]))
    assert _signs(_np(F.nll_loss(nb.zeros(1), nb.tensor(0), reduction="none"))) == [(0.0, False)]
    assert _signs(_np(F.nll_loss(nb.ones(1), nb.tensor(-100), reduction="none"))) == [(0.0, False)]
    # a class weight of 0 keeps the sign of -input * 0; an ignored target is +0.0 even where its
    # class weight is infinite (not inf * 0)
    x = nb.tensor([[1.5, -2.0], [-1.5, 2.0], [3.0, 1.0]])
    loss = F.nll_loss(x, nb.tensor([0, 0, 1]), weight=nb.tensor([0.0, 1.0]), reduction="none")
    assert _signs(_np(loss)) == [(0.0, True), (0.0, False), (-1.0, True)]
    loss = F.nll_loss(x, nb.tensor([0, 1, 1]), weight=nb.tensor([float("inf"), 2.0]), ignore_index=0,
                      reduction="none")
    assert _signs(_np(loss)) == [(0.0, False), (-4.0, True), (-2.0, True)]
    assert _np(F.nll_loss(x, nb.tensor([0, 1, 1]), weight=nb.tensor([float("inf"), 2.0]), ignore_index=0)) == -1.5


def test_nll_loss_gradient_at_ignored_targets_is_positive_zero():
    x = nb.tensor([[0.5, -1.0], [2.0, 0.0], [1.0, 1.0]], requires_grad=True)
    F.nll_loss(x, nb.tensor([1, -100, 0]), reduction="sum").backward()
    assert _signs(_np(x.grad)) == [(0.0, False), (-1.0, True), (0.0, False), (0.0, False), (-1.0, True),
                                   (0.0, False)]
    x = nb.tensor([0.5, 2.0], requires_grad=True)  # every target ignored: 0 / 0 is not spread as NaN
    F.nll_loss(x, nb.tensor(-100)).backward()
    assert _signs(_np(x.grad)) == [(0.0, False), (0.0, False)]


def _signed_zero_cases():
    values = [1.5, -1.5, 0.0, -0.0]
    grid = np.array([[a, b] for a in values for b in values], dtype=np.float32)
    n = len(grid)
    targets = {"kept": np.arange(n) % 2, "some ignored": np.where(np.arange(n) % 3, (np.arange(n) // 2) % 2, -100),
               "all ignored": np.full(n, -100)}
    cases = []
    for target in targets:
        for weight in (None, [0.0, 0.0], [-0.0, 2.0], [1.0, -1.0], [float("inf"), 1.0]):
            for reduction in ("none", "sum", "mean"):
                for ignore_index in (-100, 1):
                    labels = targets[target] if ignore_index == -100 else np.where(targets[target] < 0, 1, targets[target])
                    cases.append(("2d", grid, labels, weight, reduction, ignore_index))
    for value in values:
        for target in (0, -100):
            for weight in (None, [0.0], [-1.0]):
                for reduction in ("none", "sum", "mean"):
                    cases.append(("1d", np.float32([value]), np.array(target), weight, reduction, -100))
    spatial = np.ascontiguousarray(grid.T.reshape(1, 2, 4, 4))
    for target in (np.zeros((1, 4, 4), np.int64), np.where(np.arange(16).reshape(1, 4, 4) % 3, 1, -100)):
        for reduction in ("none", "sum", "mean"):
            cases.append(("4d", spatial, target, None, reduction, -100))
            cases.append(("3d", spatial.reshape(1, 2, 16), target.reshape(1, 16), None, reduction, -100))
    return cases[::4] if SIMULATED else cases  # (every 4th in the CUDA simulator)


def _nll_with_signs(lib, case):
    _, x, target, weight, reduction, ignore_index = case
    x = lib.tensor(x, requires_grad=True)
    kwargs = {} if weight is None else {"weight": lib.tensor(np.float32(weight))}
    loss = lib.nn.functional.nll_loss(x, lib.tensor(target), reduction=reduction, ignore_index=ignore_index, **kwargs)
    grad_out = lib.tensor(np.linspace(-1, 1, loss.numel(), dtype=np.float32).reshape(tuple(loss.shape)))
    loss.backward(grad_out if loss.dim() else None)
    angle = lib.atan2(loss, lib.tensor(np.float32(-1.0)))
    return [_signs(t.detach().cpu().numpy()) for t in (loss, angle, x.grad)]


@needs_torch
@pytest.mark.parametrize("case", _signed_zero_cases(), ids=lambda c: f"{c[0]}-{c[3]}-{c[4]}-{c[5]}")
def test_nll_loss_signs_of_zero_values_and_gradients_match_torch(case):
    ours, theirs = _nll_with_signs(nb, case), _nll_with_signs(torch, case)
    for got, want in zip(ours, theirs):
        np.testing.assert_allclose([v for v, _ in got], [v for v, _ in want], rtol=1e-6)
        assert [s for v, s in got if v == 0] == [s for v, s in want if v == 0]  # (a NaN's sign bit means nothing)


@pytest.mark.parametrize("dtype", [nb.float32, nb.float64])
def test_nll_loss_of_class_indices_in_any_layout(dtype, device):
    """The common call (a 2-D batch and class indices, no weight): one pick per row, from an
    input and a target in any layout, reduced as the general path reduces."""
    rng = np.random.default_rng(3)
    logp = rng.standard_normal((7, 5))
    labels = rng.integers(0, 5, 14)
    expected = -logp[np.arange(7), labels[::2]]
    x = nb.tensor(logp.T.copy(), dtype=dtype, device=device).t()       # a transposed input
    y = nb.tensor(labels, device=device)[::2]                          # a target of stride 2
    tol = dict(rtol=1e-6) if dtype is nb.float32 else dict(rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(x, y, reduction="none").cpu().numpy(), expected, **tol)
    np.testing.assert_allclose(F.nll_loss(x, y, reduction="sum").item(), expected.sum(), **tol)
    np.testing.assert_allclose(F.nll_loss(x, y).item(), expected.mean(), **tol)
    zeros = nb.zeros(2, 3, dtype=dtype, device=device)
    assert [math.copysign(1, v) for v in F.nll_loss(zeros, nb.tensor([0, 2], device=device),
                                                     reduction="none").tolist()] == [-1, -1]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", [nb.float32, nb.float64])
def test_nll_loss_gradient_of_class_indices(reduction, dtype, device):
    """nll_loss's input gradient for the common call: zeros, and minus each loss's gradient
    (over the count for a mean) at its target class; under create_graph too."""
    rng = np.random.default_rng(5)
    n, classes = 9, 4
    labels = rng.integers(0, classes, n)
    weights = rng.standard_normal(n)
    npd = np.dtype(np.float32 if dtype is nb.float32 else np.float64)
    w = weights.astype(npd)
    expected = np.zeros((n, classes), npd)
    coef = -w if reduction == "none" else np.full(n, -npd.type(2.5) / (n if reduction == "mean" else 1), npd)
    expected[np.arange(n), labels] = coef
    for create_graph in (False, True):
        x = nb.tensor(rng.standard_normal((n, classes)), dtype=dtype, device=device, requires_grad=True)
        loss = F.nll_loss(x, nb.tensor(labels, device=device), reduction=reduction)
        seed = nb.tensor(w, device=device) if reduction == "none" else nb.tensor(2.5, dtype=dtype, device=device)
        (grad,) = nb.autograd.grad(loss, x, seed, create_graph=create_graph)
        np.testing.assert_array_equal(grad.detach().cpu().numpy(), expected)
    # a mean's expanded gradient, as backward passes it on
    x = nb.tensor(rng.standard_normal((n, classes)), dtype=dtype, device=device, requires_grad=True)
    F.nll_loss(x, nb.tensor(labels, device=device), reduction="none").mean().backward()
    mean_grad = np.zeros((n, classes), npd)
    mean_grad[np.arange(n), labels] = -npd.type(1) / npd.type(n)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), mean_grad)


@pytest.mark.parametrize("bad", [-1, 5, 2 ** 40])
def test_nll_loss_of_a_class_out_of_range_raises_torchs_error(bad, device):
    x = nb.zeros(3, 5, device=device)
    with pytest.raises(IndexError, match=f"^Target {bad} is out of bounds.$"):
        F.nll_loss(x, nb.tensor([1, bad, 2], device=device), reduction="none")
    # an ignore_index among the classes is the general path's: its targets weigh nothing
    loss = F.nll_loss(nb.tensor([[0.5, -1.0], [2.0, 3.0]], device=device), nb.tensor([1, 0], device=device),
                      ignore_index=0, reduction="none")
    assert loss.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("values, target, name", [
    ([0.5], [1.5], "target"), ([float("nan")], [0.5], "input"), ([0.5], [float("nan")], "target"),
    ([1.5], [2.0], "input"), ([0.5, 1.5], [2.0, 0.5], "target"), ([-0.5, 0.5], [0.5, 7.0], "input"),
])
def test_binary_cross_entropy_checks_input_and_target_element_by_element(values, target, name):
    # torch's kernel checks input, then target, at each element in turn: NaN fails, and the
    # first element where either fails names the message
    with pytest.raises(RuntimeError, match=f"^all elements of {name} should be between 0 and 1$"):
        F.binary_cross_entropy(nb.tensor(values), nb.tensor(target))
    expected = -(0.25 * math.log(0.2) + 0.75 * math.log(0.8))
    assert F.binary_cross_entropy(nb.tensor([0.2], dtype=nb.float64), nb.tensor([0.25], dtype=nb.float64)).item() \
        == pytest.approx(expected, rel=1e-12)
