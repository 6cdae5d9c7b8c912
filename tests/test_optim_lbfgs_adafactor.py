"""nbtensor.optim.LBFGS (fixed step and strong-Wolfe line search) and nbtensor.optim.Adafactor.

Without torch: LBFGS finds the Rosenbrock minimum and the least-squares solution, keeps a
bounded history, round-trips its state; Adafactor's first step computed by hand and its
steps checked against a NumPy re-derivation of torch's formulas (float64); argument errors.
With torch (``pytest.importorskip``): the same runs compared with torch's iterates, state
and error messages."""
import copy
import math

import numpy as np
import pytest

import nbtensor as nb

# (float(loss) on a loss that requires grad warns, in torch's LBFGS as in ours)
pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True to a scalar")

RTOL = {"float64": 1e-9, "float32": 1e-5}


def _rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _rosenbrock_run(lib, dim, dtype, steps, **kwargs):
    """`steps` LBFGS steps on the `dim`-D Rosenbrock function from (-1.2, 1, -1.2, 1, ...);
    returns the point (NumPy), the optimizer and the losses ``step`` returned."""
    x = lib.tensor([-1.2, 1.0] * (dim // 2), dtype=getattr(lib, dtype), requires_grad=True)
    opt = lib.optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x)
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return x.detach().cpu().numpy(), opt, losses


def _data(kind, n=64, features=4, seed=0):
    """Inputs, targets and initial Linear(features, 1) weights of a small regression
    ("lstsq") or binary classification ("logistic") problem, as float64 NumPy arrays."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features))
    w_true = rng.standard_normal((1, features))
    noise = 2.0 if kind == "logistic" else 0.1  # (labels that no plane separates: a finite optimum)
    score = x @ w_true.T + 0.3 + noise * rng.standard_normal((n, 1))
    y = (score > 0).astype(np.float64) if kind == "logistic" else score
    return x, y, 0.5 * rng.standard_normal((1, features)), np.array([0.1])


def _model_run(lib, kind, dtype, steps, **kwargs):
    """`steps` LBFGS steps fitting a Linear model built with ``lib.nn`` (mean squared error or
    logistic loss); returns [weight, bias] (NumPy) and the optimizer."""
    x, y, w0, b0 = _data(kind)
    dt = getattr(lib, dtype)
    model = lib.nn.Linear(x.shape[1], 1).to(dt)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(w0, dtype=dt))
        model.bias.copy_(lib.tensor(b0, dtype=dt))
    inputs, targets = lib.tensor(x, dtype=dt), lib.tensor(y, dtype=dt)
    loss_fn = lib.nn.functional.mse_loss if kind == "lstsq" else lib.nn.functional.binary_cross_entropy_with_logits
    opt = lib.optim.LBFGS(model.parameters(), **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
    return [p.detach().cpu().numpy() for p in model.parameters()], opt


# ================================================================== LBFGS without torch
@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_reaches_the_rosenbrock_minimum(line_search_fn):
    x, opt, losses = _rosenbrock_run(nb, 2, "float64", 6, line_search_fn=line_search_fn)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-4)
    assert losses[0] == pytest.approx(24.2)  # step returns the loss at the start
    assert losses[-1] < 1e-8
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert state["n_iter"] <= state["func_evals"]


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_lbfgs_solves_least_squares():
    (w, b), _ = _model_run(nb, "lstsq", "float64", 3, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                           tolerance_change=1e-15)
    x, y, _, _ = _data("lstsq")
    solution, *_ = np.linalg.lstsq(np.hstack([x, np.ones((len(x), 1))]), y, rcond=None)
    np.testing.assert_allclose(np.append(w, b), solution.ravel(), atol=1e-7)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_lbfgs_history_wraps_and_state_has_torch_keys():
    _, opt, _ = _rosenbrock_run(nb, 10, "float64", 2, max_iter=6, history_size=3)
    state = opt.state_dict()["state"][0]
    assert list(state) == ["func_evals", "n_iter", "al", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
                           "prev_flat_grad", "prev_loss"]
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) == 3
    assert len(state["al"]) == 3 and state["n_iter"] == 12
    assert isinstance(state["prev_loss"], float) and state["d"].shape == (10,)


def test_lbfgs_max_eval_and_tolerance_grad():
    _, opt, _ = _rosenbrock_run(nb, 2, "float64", 1, max_iter=50, max_eval=7, line_search_fn="strong_wolfe")
    assert opt.state_dict()["state"][0]["func_evals"] <= 7
    # at the optimum the first evaluation ends the step: nothing but the counters is kept
    x = nb.tensor([1.0, 1.0], dtype=nb.float64, requires_grad=True)
    opt = nb.optim.LBFGS([x])

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x)
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    assert opt.state_dict()["state"] == {0: {"func_evals": 1, "n_iter": 0}}


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_round_trip(line_search_fn):
    kwargs = dict(max_iter=4, history_size=2, line_search_fn=line_search_fn)
    x, opt, _ = _rosenbrock_run(nb, 4, "float64", 2, **kwargs)
    y = nb.tensor(x, requires_grad=True)
    other = nb.optim.LBFGS([y], **kwargs)
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert other.state_dict()["state"][0]["n_iter"] == opt.state_dict()["state"][0]["n_iter"] > 2
    original = opt.param_groups[0]["params"][0]
    for p, o in ((original, opt), (y, other)):
        def closure(p=p, o=o):
            o.zero_grad()
            loss = _rosenbrock(p)
            loss.backward()
            return loss
        o.step(closure)
    np.testing.assert_array_equal(y.detach().cpu().numpy(), original.detach().cpu().numpy())


def test_lbfgs_errors():
    p = nb.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        nb.optim.LBFGS([p], lr=-1)
    with pytest.raises(ValueError, match="^Tensor lr must be 1-element$"):
        nb.optim.LBFGS([p], lr=nb.ones(2))
    with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options \(parameter groups\)$"):
        nb.optim.LBFGS([{"params": [p]}, {"params": [nb.zeros(1, requires_grad=True)]}])
    opt = nb.optim.LBFGS([p], line_search_fn="wolfe")
    with pytest.raises(TypeError, match=r"step\(\) missing 1 required positional argument: 'closure'"):
        opt.step()

    def closure():
        opt.zero_grad()
        loss = ((p - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
        opt.step(closure)


# ================================================================== Adafactor without torch
SHAPES = [(), (5,), (4, 3), (2, 3, 4)]


def _adafactor_problem(dtype="float64", seed=1, steps=4):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return params, grads


def _adafactor_run(lib, dtype, params, grads, **kwargs):
    """Adafactor steps on `params` with the gradients `grads` (per step, per parameter);
    returns the parameters (NumPy) and the optimizer."""
    ps = [lib.tensor(p, requires_grad=True) for p in params]
    opt = lib.optim.Adafactor(ps, **kwargs)
    for step_grads in grads:
        for p, g in zip(ps, step_grads):
            p.grad = lib.tensor(g)
        opt.step()
    return [p.detach().cpu().numpy() for p in ps], opt


def _ref_adafactor(p, grads, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False):
    """torch's Adafactor re-derived in NumPy (float64): p after the steps with `grads`."""
    eps1 = np.finfo(p.dtype).eps if eps[0] is None else eps[0]
    row = col = var = None
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        w = t ** beta2_decay
        alpha = max(eps[1], np.sqrt(np.mean(p * p))) * min(lr, t ** -0.5)
        p = p * (1 - lr * weight_decay)
        if g.ndim > 1:
            row = (1 - w) * (0 if row is None else row) + w * (g * g).mean(-1, keepdims=True)
            col = (1 - w) * (0 if col is None else col) + w * (g * g).mean(-2, keepdims=True)
            v = row * col / np.maximum(row.mean(-2, keepdims=True), eps1)
        else:
            var = v = (1 - w) * (0 if var is None else var) + w * g * g
        u = g / np.sqrt(np.maximum(v, eps1 * eps1))
        p = p - alpha / max(1.0, np.sqrt(np.mean(u * u)) / d) * u
    return p


def test_adafactor_first_step_by_hand():
    p = nb.tensor([3.0, 4.0], requires_grad=True)
    p.grad = nb.tensor([1.0, 2.0])
    nb.optim.Adafactor([p]).step()
    # beta2 weight 1 ** -0.8 = 1: V = g^2, U = g / |g| = 1 (RMS 1, no clipping);
    # alpha = max(1e-3, RMS(p) = 5 / sqrt(2)) * min(0.01, 1 / sqrt(1))
    step = 5 / math.sqrt(2) * 0.01
    np.testing.assert_allclose(p.detach().cpu().numpy(), [3 - step, 4 - step], rtol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, dict(weight_decay=0.1, maximize=True),
                                    dict(lr=0.5, eps=(1e-30, 1e-3), d=1.2, beta2_decay=-0.5)])
def test_adafactor_matches_numpy_reference(kwargs):
    params, grads = _adafactor_problem()
    got, opt = _adafactor_run(nb, "float64", params, grads, **kwargs)
    for i, (p0, p) in enumerate(zip(params, got)):
        expected = _ref_adafactor(p0, [g[i] for g in grads], **kwargs)
        np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-14)
    state = opt.state_dict()["state"]
    assert set(state[0]) == set(state[1]) == {"step", "variance"}
    assert state[2]["row_var"].shape == (4, 1) and state[2]["col_var"].shape == (1, 3)
    assert state[3]["row_var"].shape == (2, 3, 1) and state[3]["col_var"].shape == (2, 1, 4)
    assert state[3]["step"].dtype == nb.float32 and state[3]["step"].item() == len(grads)


def test_adafactor_state_dict_round_trip():
    params, grads = _adafactor_problem()
    _, opt = _adafactor_run(nb, "float64", params, grads[:2], weight_decay=0.05)
    ps = [nb.tensor(p.detach().cpu().numpy(), requires_grad=True) for p in opt.param_groups[0]["params"]]
    other = nb.optim.Adafactor(ps)
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert other.param_groups[0]["weight_decay"] == 0.05
    for o, targets in ((opt, opt.param_groups[0]["params"]), (other, ps)):
        for p, g in zip(targets, grads[2]):
            p.grad = nb.tensor(g)
        o.step()
    for a, b in zip(opt.param_groups[0]["params"], ps):
        np.testing.assert_array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy())


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
    (dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
    (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
    (dict(eps=(None, -1.0)), "epsilon2 should be >= 0 but is: -1.0"),
    (dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
    (dict(weight_decay=-0.1), "weight_decay should be >= 0 but is: -0.1")])
def test_adafactor_errors(kwargs, message):
    with pytest.raises(ValueError) as info:
        nb.optim.Adafactor([nb.zeros(2, requires_grad=True)], **kwargs)
    assert str(info.value) == message


# ================================================================== parity with torch
ROSENBROCK_CASES = [  # (dim, dtype, steps, kwargs)
    (2, "float64", 4, {}),
    (2, "float64", 4, dict(line_search_fn="strong_wolfe")),
    (2, "float64", 6, dict(max_iter=5, history_size=3)),
    (2, "float64", 6, dict(max_iter=5, history_size=3, line_search_fn="strong_wolfe")),
    (2, "float32", 4, {}),
    (2, "float32", 4, dict(line_search_fn="strong_wolfe")),
    (2, "float32", 6, dict(max_iter=5, history_size=3, line_search_fn="strong_wolfe")),
    (10, "float64", 3, dict(max_iter=10, history_size=4)),
    (10, "float64", 3, dict(max_iter=5, history_size=3)),
    (10, "float64", 1, dict(line_search_fn="strong_wolfe")),
    (10, "float64", 6, dict(max_iter=5, history_size=3, line_search_fn="strong_wolfe")),
    (10, "float32", 2, dict(max_iter=3, history_size=2)),
    (10, "float32", 1, dict(max_iter=3, history_size=2, line_search_fn="strong_wolfe")),
]


def _compare_lbfgs_state(mine, theirs, dtype):
    """Same keys, counters and history length; the last direction and gradient agree to
    `RTOL` plus an absolute slack (in float32, gradients near an optimum are rounding noise:
    a 1-ulp change of the point moves them by ~1e-5)."""
    assert list(mine) == list(theirs)
    for key in ("func_evals", "n_iter"):
        assert mine[key] == theirs[key], key
    assert len(mine["old_dirs"]) == len(theirs["old_dirs"])
    atol = 1e-9 if dtype == "float64" else 1e-4
    for key in ("d", "prev_flat_grad"):
        np.testing.assert_allclose(mine[key].cpu().numpy(), theirs[key].cpu().numpy(), rtol=RTOL[dtype], atol=atol, err_msg=key)
    assert mine["prev_loss"] == pytest.approx(theirs["prev_loss"], rel=RTOL[dtype], abs=RTOL[dtype])


@pytest.mark.cpu_only  # (to 1e-9 against torch's CPU: another device's kernels round differently)
@pytest.mark.parametrize("dim, dtype, steps, kwargs", [  # (float32: as the linear models below)
    case if case[1] == "float64" else pytest.param(*case, marks=pytest.mark.cpu_only) for case in ROSENBROCK_CASES])
def test_lbfgs_rosenbrock_matches_torch(dim, dtype, steps, kwargs):
    torch = pytest.importorskip("torch")
    mine, opt, losses = _rosenbrock_run(nb, dim, dtype, steps, **kwargs)
    theirs, ref, ref_losses = _rosenbrock_run(torch, dim, dtype, steps, **kwargs)
    np.testing.assert_allclose(mine, theirs, rtol=RTOL[dtype], atol=RTOL[dtype])
    np.testing.assert_allclose(losses, ref_losses, rtol=RTOL[dtype], atol=RTOL[dtype])
    _compare_lbfgs_state(opt.state_dict()["state"][0], ref.state_dict()["state"][0], dtype)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
@pytest.mark.parametrize("kind", ["lstsq", "logistic"])
# (float32 against torch's CPU on the CPU only: another device's kernels round differently,
# which the line search amplifies to ~1e-4)
@pytest.mark.parametrize("dtype", ["float64", pytest.param("float32", marks=pytest.mark.cpu_only)])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_linear_models_match_torch(kind, dtype, line_search_fn):
    torch = pytest.importorskip("torch")
    kwargs = dict(max_iter=4, history_size=3, line_search_fn=line_search_fn, lr=1 if line_search_fn else 0.5)
    # float32: two steps. Near the optimum the line search's decisions follow float32
    # rounding noise: with an exp differing from torch's in 2% of elements (each within an
    # ulp) the logistic fit's fourth step took 21 evaluations to torch's 17 and ended 1.7e-4
    # away, while two steps agree to 2.4e-7. float64 checks the longer runs to 1e-9.
    steps = 4 if dtype == "float64" else 2
    mine, opt = _model_run(nb, kind, dtype, steps, **kwargs)
    theirs, ref = _model_run(torch, kind, dtype, steps, **kwargs)
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=RTOL[dtype], atol=RTOL[dtype])
    _compare_lbfgs_state(opt.state_dict()["state"][0], ref.state_dict()["state"][0], dtype)


@pytest.mark.cpu_only  # (to 1e-9 against torch's CPU: another device's kernels round differently)
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_tensor_lr_matches_torch(line_search_fn):
    torch = pytest.importorskip("torch")
    kwargs = dict(max_iter=7, history_size=2, line_search_fn=line_search_fn)
    mine, opt, _ = _rosenbrock_run(nb, 2, "float64", 3, lr=nb.tensor(0.5), **kwargs)
    theirs, ref, _ = _rosenbrock_run(torch, 2, "float64", 3, lr=torch.tensor(0.5), **kwargs)
    # (1e-10: seven iterations compound float64 rounding that depends on the host's vector
    # width; one host read 1.2e-12 apart, with the same code that another read closer)
    np.testing.assert_allclose(mine, theirs, rtol=1e-10)
    assert isinstance(opt.state_dict()["state"][0]["t"], nb.Tensor)


def test_lbfgs_errors_match_torch():
    torch = pytest.importorskip("torch")
    for kwargs in (dict(lr=-1), dict(lr=-0.5)):
        messages = []
        for lib in (nb, torch):
            with pytest.raises(ValueError) as info:
                lib.optim.LBFGS([lib.zeros(2, requires_grad=True)], **kwargs)
            messages.append(str(info.value))
        assert messages[0] == messages[1]
    messages = []
    for lib in (nb, torch):
        with pytest.raises(TypeError) as info:
            lib.optim.LBFGS([lib.zeros(2, requires_grad=True)]).step()
        messages.append(str(info.value))
    assert messages[0] == messages[1]


ADAFACTOR_CASES = [{}, dict(weight_decay=0.1, maximize=True), dict(lr=0.5, eps=(1e-30, 1e-3), d=1.2, beta2_decay=-0.5),
                   dict(foreach=True, weight_decay=0.01), "tensor lr"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kwargs", ADAFACTOR_CASES)
def test_adafactor_matches_torch(dtype, kwargs):
    torch = pytest.importorskip("torch")
    params, grads = _adafactor_problem(dtype, steps=5)
    ours, theirs = (dict(lr=nb.tensor(0.02)), dict(lr=torch.tensor(0.02))) if kwargs == "tensor lr" else (kwargs,) * 2
    mine, opt = _adafactor_run(nb, dtype, params, grads, **ours)
    expected, ref = _adafactor_run(torch, dtype, params, grads, **theirs)
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for a, b in zip(mine, expected):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    state, ref_state = opt.state_dict(), ref.state_dict()
    assert [{k: v for k, v in g.items() if k != "lr"} for g in state["param_groups"]] == \
        [{k: v for k, v in g.items() if k != "lr"} for g in ref_state["param_groups"]]
    for i, entries in ref_state["state"].items():
        assert list(state["state"][i]) == list(entries)
        for key, value in entries.items():
            np.testing.assert_allclose(state["state"][i][key].cpu().numpy(), value.cpu().numpy(), rtol=rtol * 10, err_msg=key)


@pytest.mark.parametrize("kwargs", [dict(lr=-1.0), dict(beta2_decay=0.5), dict(eps=(-1.0, 1e-3)),
                                    dict(eps=(None, -1.0)), dict(d=0.5), dict(weight_decay=-0.1)])
def test_adafactor_errors_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (nb, torch):
        with pytest.raises(ValueError) as info:
            lib.optim.Adafactor([lib.zeros(2, requires_grad=True)], **kwargs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_registered_in_optim():
    assert {"LBFGS", "Adafactor"} <= set(nb.optim.__all__)
    assert issubclass(nb.optim.LBFGS, nb.optim.Optimizer) and issubclass(nb.optim.Adafactor, nb.optim.Optimizer)
