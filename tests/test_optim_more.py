"""nbtensor.optim beyond SGD/Adam: Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam, ASGD and
Rprop, and the Optimizer base (parameter groups, state_dict, errors). Each optimizer runs a
few steps on fixed gradients, checked against NumPy re-derivations of torch's formulas (in
float64) and, when it is installed, against torch itself (parameters and state_dict)."""
import copy
import math
import pickle
import warnings

import numpy as np
import pytest

import nbtensor as nb
from tests.support import needs_torch, torch

P0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
GRADS = np.array([[0.5, -1.0, 2.0], [0.25, 1.5, -0.5], [-0.75, 0.5, 1.0], [0.1, -0.2, 0.3], [1.0, 1.0, -1.0]],
                 dtype=np.float32)


def _trajectory(lib, name, kwargs, steps=None):
    """`steps` updates of the optimizer `name` on P0 with the gradients GRADS; returns the
    parameter (NumPy) and the optimizer."""
    p = lib.tensor(P0.copy(), requires_grad=True)
    opt = getattr(lib.optim, name)([p], **kwargs)
    for g in GRADS[:steps]:  # (all of them when steps is None)
        p.grad = lib.tensor(g)
        opt.step()
    return p.detach().cpu().numpy(), opt


# ------------------------------------------------------------------ NumPy references (float64)
def _ref_adagrad(p, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10):
    total = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(GRADS, 1):
        g = g + weight_decay * p
        total = total + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(total) + eps)
    return p


def _ref_rmsprop(p, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
    square, mean, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in GRADS:
        g = g + weight_decay * p
        square = alpha * square + (1 - alpha) * g * g
        mean = alpha * mean + (1 - alpha) * g
        avg = np.sqrt(square - mean * mean if centered else square) + eps
        if momentum:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
    return p


def _ref_adadelta(p, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    square, acc = np.zeros_like(p), np.zeros_like(p)
    for g in GRADS:
        g = (-g if maximize else g) + weight_decay * p
        square = rho * square + (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(square + eps) * g
        acc = rho * acc + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


def _ref_adamax(p, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
    m, u = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(GRADS, 1):
        g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        u = np.maximum(betas[1] * u, np.abs(g) + eps)
        p = p - lr / (1 - betas[0] ** t) * m / u
    return p


def _ref_nadam(p, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
               decoupled_weight_decay=False):
    (b1, b2), m, v, mu_product = betas, np.zeros_like(p), np.zeros_like(p), 1.0
    for t, g in enumerate(GRADS, 1):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        p = p - lr * (1 - mu) / (1 - mu_product) * g / denom - lr * mu_next / (1 - mu_product * mu_next) * m / denom
    return p


def _ref_radam(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False):
    (b1, b2), m, v = betas, np.zeros_like(p), np.zeros_like(p)
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(GRADS, 1):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p = p - lr * m_hat * rect * math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
        else:
            p = p - lr * m_hat
    return p


def _ref_asgd(p, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0):
    eta, mu, ax = lr, 1.0, np.zeros_like(p)
    for t, g in enumerate(GRADS, 1):
        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + (p - ax) * mu if mu != 1 else p.copy()
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
    return p


def _ref_rprop(p, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
    prev, size = np.zeros_like(p), np.full_like(p, lr)
    for g in GRADS:
        agreement = np.sign(g * prev)
        size = np.clip(size * np.where(agreement > 0, etas[1], np.where(agreement < 0, etas[0], 1.0)), *step_sizes)
        g = np.where(agreement < 0, 0.0, g)
        p = p - np.sign(g) * size
        prev = g
    return p


CASES = [
    ("Adagrad", {}, _ref_adagrad),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1), _ref_adagrad),
    ("RMSprop", {}, _ref_rmsprop),
    ("RMSprop", dict(lr=0.05, momentum=0.9, centered=True, weight_decay=0.1), _ref_rmsprop),
    ("Adadelta", {}, _ref_adadelta),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1, maximize=True), _ref_adadelta),
    ("Adamax", dict(lr=0.1, weight_decay=0.1), _ref_adamax),
    ("NAdam", dict(lr=0.1), _ref_nadam),
    ("NAdam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True), _ref_nadam),
    ("RAdam", dict(lr=0.1), _ref_radam),
    ("RAdam", dict(lr=0.1, betas=(0.9, 0.5), weight_decay=0.1, decoupled_weight_decay=True), _ref_radam),
    ("ASGD", dict(lr=0.1, t0=2, lambd=0.1), _ref_asgd),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.7), step_sizes=(0.05, 0.2)), _ref_rprop),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("name, kwargs, reference", CASES, ids=IDS)
def test_updates_match_the_formulas(name, kwargs, reference):
    got, _ = _trajectory(nb, name, kwargs)
    np.testing.assert_allclose(got, reference(P0.astype(np.float64), **kwargs), rtol=2e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("name, kwargs, reference", CASES, ids=IDS)
def test_updates_and_state_match_torch(name, kwargs, reference):
    got, opt = _trajectory(nb, name, kwargs)
    want, topt = _trajectory(torch, name, kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    mine, theirs = opt.state_dict(), topt.state_dict()
    assert mine["param_groups"] == theirs["param_groups"]
    assert list(mine["state"]) == list(theirs["state"]) == [0]
    assert list(mine["state"][0]) == list(theirs["state"][0])
    for key, value in theirs["state"][0].items():
        assert isinstance(mine["state"][0][key], nb.Tensor), key
        assert str(mine["state"][0][key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
        np.testing.assert_allclose(mine["state"][0][key].cpu().numpy(), value.numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam",
                                  "ASGD", "Rprop"])
def test_defaults_and_repr_match_torch(name):
    opt = getattr(nb.optim, name)([nb.zeros(2, requires_grad=True)])
    topt = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert opt.defaults == topt.defaults
    assert repr(opt) == repr(topt)


def test_step_is_a_float32_tensor_and_state_round_trips():
    _, opt = _trajectory(nb, "RMSprop", dict(lr=0.05, momentum=0.5, centered=True), steps=2)
    state = opt.state_dict()["state"][0]
    assert list(state) == ["step", "square_avg", "momentum_buffer", "grad_avg"]
    assert state["step"].dtype is nb.float32 and state["step"].shape == () and state["step"].item() == 2.0
    # loading shares the state tensors (as torch's, where they fit the parameter already)
    shared = nb.optim.RMSprop([nb.tensor(P0.copy(), requires_grad=True)])
    shared.load_state_dict(opt.state_dict())
    assert shared.state_dict()["state"][0]["square_avg"] is state["square_avg"]
    # a fresh optimizer given a copy of the state takes the same next step as the original
    p = nb.tensor(P0.copy(), requires_grad=True)
    fresh = nb.optim.RMSprop([p], lr=1.0)
    fresh.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert fresh.param_groups[0]["lr"] == 0.05 and fresh.param_groups[0]["params"][0] is p
    p.data.copy_(opt.param_groups[0]["params"][0].detach())
    for o in (opt, fresh):
        o.param_groups[0]["params"][0].grad = nb.tensor(GRADS[2])
        o.step()
    np.testing.assert_array_equal(p.detach().cpu().numpy(), opt.param_groups[0]["params"][0].detach().cpu().numpy())
    assert fresh.state[p]["step"].item() == 3.0


def test_adagrad_makes_its_state_at_construction():
    p = nb.zeros(3, requires_grad=True)
    opt = nb.optim.Adagrad([p], initial_accumulator_value=0.5)
    state = opt.state_dict()["state"][0]
    assert state["step"].item() == 0.0
    np.testing.assert_array_equal(state["sum"].cpu().numpy(), [0.5, 0.5, 0.5])


def test_parameter_groups_and_closure():
    a, b = nb.tensor([1.0], requires_grad=True), nb.tensor([1.0], requires_grad=True)
    opt = nb.optim.Adadelta([{"params": [a]}, {"params": b, "lr": 0.5, "rho": 0.5}], lr=1.0)
    assert [g["lr"] for g in opt.param_groups] == [1.0, 0.5] and opt.param_groups[1]["rho"] == 0.5
    assert [g["params"] for g in opt.state_dict()["param_groups"]] == [[0], [1]]

    def closure():
        opt.zero_grad()
        loss = (a * 2 + b).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 3.0
    # Adadelta's first step: delta = sqrt(eps) / sqrt((1 - rho) g^2 + eps) * g
    for p, g, rho, lr in ((a, 2.0, 0.9, 1.0), (b, 1.0, 0.5, 0.5)):
        delta = math.sqrt(1e-6) / math.sqrt((1 - rho) * g * g + 1e-6) * g
        assert p.item() == pytest.approx(1.0 - lr * delta, rel=1e-6)


def test_zero_grad_and_pickling_with_a_scheduler():
    p = nb.ones(2, requires_grad=True)
    opt = nb.optim.RAdam([p])
    (p * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.tolist() == [0.0, 0.0] and not p.grad.requires_grad
    opt.zero_grad()
    assert p.grad is None
    nb.optim.lr_scheduler.StepLR(opt, 2)  # wraps opt.step: the copy is of the optimizer's own state only
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.param_groups[0]["initial_lr"] == 1e-3 and "step" not in vars(clone)


def test_a_parameter_without_gradient_keeps_no_state():
    a, b = nb.zeros(2, requires_grad=True), nb.zeros(2, requires_grad=True)
    opt = nb.optim.NAdam([a, b])
    a.grad = nb.ones(2)
    opt.step()
    assert list(opt.state_dict()["state"]) == [0]
    assert list(opt.state_dict()["state"][0]) == ["step", "mu_product", "exp_avg", "exp_avg_sq"]


@pytest.mark.parametrize("make, error, message", [
    (lambda p: nb.optim.Adagrad(p, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda p: nb.optim.Adagrad(p, lr_decay=-0.5), ValueError, "Invalid lr_decay value: -0.5"),
    (lambda p: nb.optim.Adagrad(p, initial_accumulator_value=-1),
     ValueError, "Invalid initial_accumulator_value value: -1"),
    (lambda p: nb.optim.Adagrad(p, fused=True, differentiable=True), RuntimeError,
     "`fused` does not support `differentiable`"),
    (lambda p: nb.optim.RMSprop(p, alpha=-1), ValueError, "Invalid alpha value: -1"),
    (lambda p: nb.optim.RMSprop(p, eps=-1, momentum=-1), ValueError, "Invalid epsilon value: -1"),
    (lambda p: nb.optim.Adadelta(p, rho=1.5), ValueError, "Invalid rho value: 1.5"),
    (lambda p: nb.optim.Adamax(p, betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (lambda p: nb.optim.RAdam(p, betas=(0.9, -0.1)), ValueError, "Invalid beta parameter at index 1: -0.1"),
    (lambda p: nb.optim.NAdam(p, momentum_decay=-1), ValueError, "Invalid momentum_decay value: -1"),
    (lambda p: nb.optim.ASGD(p, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    (lambda p: nb.optim.Rprop(p, etas=(1.1, 1.2)), ValueError, "Invalid eta values: 1.1, 1.2"),
    (lambda p: nb.optim.Adam(p, betas=(0, 0.9)), ValueError, "betas must be either both floats or both Tensors"),
    (lambda p: nb.optim.SGD(p, lr=nb.tensor([1.0, 2.0])), ValueError, "Tensor lr must be 1-element"),
    (lambda p: nb.optim.SGD([{"params": set(p)}]), TypeError, "optimizer parameters need to be organized in ordered collections"),
    (lambda p: nb.optim.SGD([1.0]), TypeError, "optimizer can only optimize Tensors, but one of the params is float"),
    (lambda p: nb.optim.SGD([{"params": p}, {"params": p}]), ValueError,
     "some parameters appear in more than one parameter group"),
    (lambda p: nb.optim.SGD(p).add_param_group(p), TypeError, "param_group must be a dict, but got <class 'list'>"),
])
def test_bad_arguments_raise_as_torch(make, error, message):
    with pytest.raises(error) as info:
        make([nb.zeros(2, requires_grad=True)])
    assert str(info.value).startswith(message)


def test_load_state_dict_checks_the_groups():
    opt = nb.optim.Adamax([nb.zeros(1, requires_grad=True)])
    other = nb.optim.Adamax([nb.zeros(1, requires_grad=True), nb.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that doesn't match the size"):
        opt.load_state_dict(other.state_dict())
    two = nb.optim.Adamax([{"params": [nb.zeros(1, requires_grad=True)]}, {"params": [nb.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        opt.load_state_dict(two.state_dict())


def test_duplicate_parameters_warn():
    p = nb.zeros(1, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nb.optim.Rprop([p, p])
    assert any("duplicate parameters" in str(w.message) for w in caught)


def test_repr_of_several_groups_has_torchs_layout():
    w, b = nb.nn.Parameter(nb.ones(2)), nb.nn.Parameter(nb.zeros(1))
    opt = nb.optim.SGD([{"params": w, "weight_decay": 3}, {"params": b}], lr=0.5)
    group = ("    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n    lr: 0.5\n"
             "    maximize: False\n    momentum: 0\n    nesterov: False\n    weight_decay: {}\n")
    assert repr(opt) == ("SGD (\nParameter Group 0\n" + group.format(3) + "\nParameter Group 1\n" + group.format(0)
                         + ")")
