"""nbtensor.nn, nbtensor.optim and nbtensor.utils.data against torch (values and gradients)."""
import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.nn import functional as F
from nbtensor.utils import data

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(3)


def _np(t):
    return t.detach().cpu().numpy()


def _pair(shape, scale=1.0):
    values = (RNG.standard_normal(shape) * scale).astype(np.float32)
    return nb.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def _same_grads(pairs):
    for ours, theirs in pairs:
        np.testing.assert_allclose(_np(ours.grad), theirs.grad.numpy(), rtol=1e-4, atol=1e-6)


def _load_torch_weights(ours, theirs):
    ours.load_state_dict({k: nb.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def test_linear_matches_torch_forward_and_backward():
    layer, ref = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    _load_torch_weights(layer, ref)
    x, tx = _pair((5, 4))
    out, expected = layer(x), ref(tx)
    np.testing.assert_allclose(_np(out), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    _same_grads([(x, tx), (layer.weight, ref.weight), (layer.bias, ref.bias)])
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(5x3 and 4x3\)"):
        layer(nb.ones(5, 3))


def test_linear_takes_torchs_fused_paths():
    # torch's linear: addmm for rows with a bias; the rows of any other contiguous input
    # with a 1-D bias viewed as one batch; else a product and an in-place add
    w, b = nb.ones(5, 3, requires_grad=True), nb.arange(5.0).requires_grad_()
    cases = [((4, 3), b, "AddmmBackward0"), ((2, 4, 3), b, "ViewBackward0"), ((3,), b, "ViewBackward0"),
             ((2, 4, 3), nb.ones(4, 5), "AddBackward0"), ((4, 3), None, "MmBackward0")]
    for shape, bias, name in cases:
        x = nb.tensor(np.random.default_rng(0).standard_normal(shape), dtype=nb.float32)
        y = F.linear(x, w, bias)
        assert y.grad_fn.name() == name
        expected = _np(x) @ np.ones((3, 5)) + (0 if bias is None else _np(bias.detach()))
        np.testing.assert_allclose(_np(y.detach()), expected, rtol=1e-5, atol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(_np(w.grad), np.tile(_np(x).sum(0), (5, 1)), rtol=1e-5)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(5\) must match the existing size \(3\) "
                                           r"at non-singleton dimension 1.  Target sizes: \[8, 5\].  Tensor sizes: \[3\]"):
        F.linear(nb.ones(2, 4, 3), w, nb.ones(3))
    with pytest.raises(RuntimeError, match=r"output with shape \[5\] doesn't match the broadcast shape \[2, 5\]"):
        F.linear(nb.ones(3), w, nb.ones(2, 5))
    for shape in ((2, 0, 3), (0,)):  # empty batches and features, as torch's
        assert F.linear(nb.ones(shape), nb.ones(5, shape[-1]), nb.ones(5)).shape == shape[:-1] + (5,)
    np.testing.assert_array_equal(_np(F.linear(nb.ones(2, 4, 0), nb.ones(5, 0), nb.ones(5))), np.ones((2, 4, 5)))


def test_linear_default_initialisation_has_torch_bounds():
    layer = nn.Linear(400, 50)
    bound = 1 / np.sqrt(400)
    w, b = _np(layer.weight), _np(layer.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound and np.abs(w).mean() > 0.4 * bound
    assert np.abs(b).max() <= bound and layer.weight.requires_grad and layer.weight.is_leaf


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(reduction):
    logits, tlogits = _pair((6, 5))
    target = RNG.integers(0, 5, 6)
    cases = [
        (nn.CrossEntropyLoss(reduction=reduction), torch.nn.CrossEntropyLoss(reduction=reduction),
         nb.tensor(target), torch.tensor(target)),
        (nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1), nb.tensor(target), torch.tensor(target)),
        (nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction), nb.tensor(target),
         torch.tensor(target)),
    ]
    probs = RNG.uniform(0, 1, (6, 5)).astype(np.float32)
    cases.append((nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction), nb.tensor(probs),
                  torch.tensor(probs)))
    cases.append((nn.BCEWithLogitsLoss(reduction=reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction),
                  nb.tensor(probs), torch.tensor(probs)))
    cases.append((nn.CrossEntropyLoss(reduction=reduction), torch.nn.CrossEntropyLoss(reduction=reduction),
                  nb.tensor(probs), torch.tensor(probs)))  # class probabilities as targets
    for ours, theirs, t_ours, t_theirs in cases:
        logits.grad, tlogits.grad = None, None
        a, b = ours(logits, t_ours), theirs(tlogits, t_theirs)
        np.testing.assert_allclose(_np(a), b.detach().numpy(), rtol=1e-5, atol=1e-6)
        a.sum().backward()
        b.sum().backward()
        _same_grads([(logits, tlogits)])


def test_loss_options_and_errors():
    logits, tlogits = _pair((4, 3))
    target = np.array([0, 2, -100, 1])
    weight = np.array([1.0, 2.0, 0.5], np.float32)
    a = F.cross_entropy(logits, nb.tensor(target), weight=nb.tensor(weight))
    b = torch.nn.functional.cross_entropy(tlogits, torch.tensor(target), weight=torch.tensor(weight))
    np.testing.assert_allclose(_np(a), b.detach().numpy(), rtol=1e-5)
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(logits, nb.tensor([0, 1, 2, 3]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        F.cross_entropy(logits, nb.tensor([0, 1, -1, 2]))
    # without weights: ignored targets (the default -100, or one in the class range) and none
    for target, options in (([0, 2, -100, 1], {}), ([0, 2, 1, 1], {"ignore_index": 1}), ([2, 0, 1, 0], {}),
                            ([0, 2, 1, 1], {"ignore_index": 5})):
        for reduction in ("mean", "sum", "none"):
            a = F.cross_entropy(logits, nb.tensor(target), reduction=reduction, **options)
            b = torch.nn.functional.cross_entropy(tlogits, torch.tensor(target), reduction=reduction, **options)
            np.testing.assert_allclose(_np(a), b.detach().numpy(), rtol=1e-5)
    # an integer target is promoted, as torch does
    assert F.mse_loss(nb.ones(2), nb.tensor([1, 2])).item() == torch.nn.functional.mse_loss(
        torch.ones(2), torch.tensor([1, 2])).item()


def test_functional_pieces():
    x = nb.tensor([[-1.0, 2.0], [3.0, -4.0]])
    np.testing.assert_array_equal(_np(F.relu(x)), [[0, 2], [3, 0]])
    np.testing.assert_array_equal(_np(F.one_hot(nb.tensor([0, 2]), 3)), [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(_np(F.pad(x, (1, 0, 0, 1))), [[0, -1, 2], [0, 3, -4], [0, 0, 0]])
    assert F.dropout(x, 0.5, training=False) is x
    nb.manual_seed(0)
    big = F.dropout(nb.ones(10000), 0.3)
    kept = _np(big)
    assert np.allclose(kept[kept != 0], 1 / 0.7) and 0.25 < (kept == 0).mean() < 0.35
    # torch's form: input times a noise of 0 and float32(1) / float32(1 - p) (one MulBackward0)
    y = F.dropout(nb.ones(1000, requires_grad=True), 0.1)
    assert y.grad_fn.name() == "MulBackward0"
    assert set(_np(y).tolist()) == {0.0, float(np.float32(1) / np.float32(0.9))}


def test_module_registration_state_and_modes():
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 2))
    ref = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                              torch.nn.Linear(3, 2))
    assert repr(net) == repr(ref)
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert isinstance(net, nn.Module) and isinstance(net[1].weight, nn.Parameter) and len(net) == 5
    assert not isinstance(nb.ones(2), nn.Parameter)
    _load_torch_weights(net, ref)
    net.eval()
    ref.eval()
    x = RNG.standard_normal((2, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(_np(net(nb.tensor(x))), ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert not net[3].training and net.train() is net and net[3].training
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "4.bias"'):
        net.load_state_dict({k: v for k, v in net.state_dict().items() if k != "4.bias"})
    result = net.load_state_dict({**net.state_dict(), "extra": nb.ones(1)}, strict=False)
    assert result.unexpected_keys == ["extra"] and result.missing_keys == []
    net(nb.tensor(x)).sum().backward()
    assert net[1].weight.grad is not None
    weight = net[1].weight
    net.double()  # in place: the same parameter objects, now float64 (grads too)
    assert net[1].weight is weight and weight.dtype is nb.float64 and weight.grad.dtype is nb.float64
    assert weight.requires_grad and weight.is_leaf
    net.float()
    net.zero_grad()
    assert net[1].weight.grad is None


def _quadratic_steps(lib, opt_factory, steps=5):
    w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = opt_factory(lib, [w])
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w - 0.5) ** 2 * lib.tensor([1.0, 2.0, 3.0])).sum()
        loss.backward()
        opt.step()
    return w.detach().cpu().numpy() if lib is nb else w.detach().numpy()


@pytest.mark.parametrize("factory", [
    lambda m, p: m.optim.SGD(p, lr=0.1),
    lambda m, p: m.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda m, p: m.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda m, p: m.optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.3),
    lambda m, p: m.optim.Adam(p, lr=0.1),
    lambda m, p: m.optim.Adam(p, lr=0.1, weight_decay=0.1, amsgrad=True),
    lambda m, p: m.optim.AdamW(p, lr=0.1),
], ids=["sgd", "momentum_wd", "nesterov", "dampening", "adam", "adam_wd_amsgrad", "adamw"])
def test_optimizers_take_torchs_steps(factory):
    np.testing.assert_allclose(_quadratic_steps(nb, factory), _quadratic_steps(torch, factory), rtol=1e-5, atol=1e-6)


def test_optimizer_refuses_non_leaves_and_steplr_decays():
    w = nb.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        nb.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match=r"params argument given to the optimizer should be an iterable of Tensors "
                                        r"or dicts, but got torch\.(\w+\.)?FloatTensor"):  # (torch.cuda.FloatTensor)
        nb.optim.SGD(nb.nn.Linear(2, 1).weight, lr=0.1)  # (a tensor, not a list of them)
    opt = nb.optim.SGD([w], lr=1.0)
    sched = nb.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(4):
        opt.step()  # (no gradient: nothing moves; stepping the scheduler first would warn, as torch does)
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0, 0.5, 0.5, 0.25]


def test_dataloader_batches_shuffles_and_drops():
    X, y = nb.arange(20.0).reshape(10, 2), nb.arange(10)
    ds = data.TensorDataset(X, y)
    assert len(ds) == 10 and _np(ds[3][0]).tolist() == [6.0, 7.0]
    batches = list(data.DataLoader(ds, batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 2] and _np(batches[2][1]).tolist() == [8, 9]
    assert len(data.DataLoader(ds, batch_size=4, drop_last=True)) == 2
    g = nb.Generator().manual_seed(7)
    seen = np.concatenate([_np(b[1]) for b in data.DataLoader(ds, batch_size=3, shuffle=True, generator=g)])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    parts = data.random_split(ds, [7, 3])
    assert [len(p) for p in parts] == [7, 3]
    collated = list(data.DataLoader(parts[0], batch_size=7))[0]
    assert collated[0].shape == (7, 2)


def test_concise_linear_regression_matches_torch():
    """D2L 3.3 with the same data and initial weights."""
    rng = np.random.default_rng(5)
    features = rng.standard_normal((100, 2)).astype(np.float32)
    labels = (features @ np.array([2, -3.4], np.float32) + 4.2).reshape(-1, 1).astype(np.float32)
    weights = rng.normal(0, 0.01, (1, 2)).astype(np.float32)
    results = []
    for lib in (nb, torch):
        net = lib.nn.Sequential(lib.nn.Linear(2, 1))
        net[0].weight.data.copy_(lib.tensor(weights))
        net[0].bias.data.fill_(0)
        loss = lib.nn.MSELoss()
        trainer = lib.optim.SGD(net.parameters(), lr=0.03)
        X, Y = lib.tensor(features), lib.tensor(labels)
        for _ in range(3):
            for i in range(0, 100, 10):
                l = loss(net(X[i:i + 10]), Y[i:i + 10])  # noqa: E741
                trainer.zero_grad()
                l.backward()
                trainer.step()
        results.append(np.concatenate([net[0].weight.data.cpu().numpy().ravel(), net[0].bias.data.cpu().numpy()]))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)
