"""What D2L readers and small training scripts reach for beyond chapters 3–4's layers: more
activations (LeakyReLU, ELU, GELU, SiLU, Softplus, PReLU, Hardtanh, ReLU6) as modules and
functions, ``nn.utils`` (clip_grad_norm_, clip_grad_value_, parameters_to_vector),
``finfo``/``iinfo``, and sampling (``multinomial``, ``bernoulli``). Values and gradients
are compared with torch 2.13 when it is installed, and with hand-computed or NumPy values
otherwise."""
import math

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.nn import functional as F

try:
    import torch
except ImportError:  # the comparisons with torch are skipped; the hand-computed ones run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _np(t):
    return t.detach().cpu().numpy()


# Points at every kink and threshold the activations have (0, ±1, 6, softplus's threshold 20
# and, with beta 2, 10), beyond them, and far out (where exp overflows float32).
POINTS = [-100.0, -7.0, -1.0, -0.5, 0.0, 0.25, 1.0, 3.0, 6.0, 7.5, 10.0, 20.0, 25.0, 100.0]

# (name of the function in both nn.functional modules, its keywords)
ACTIVATIONS = [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}), ("elu", {"alpha": 0.5}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 10.0}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 6.0}),
    ("relu6", {}),
    ("rrelu", {}), ("rrelu", {"lower": 0.1, "upper": 0.5}),  # (eval mode: the mean slope)
]


def _id(param):
    return param if isinstance(param, str) else ",".join(f"{k}={v}" for k, v in param.items()) or "default"


# ------------------------------------------------------------------ 1. activations against torch
@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, kwargs", ACTIVATIONS, ids=_id)
def test_activation_values_and_gradients_match_torch(name, kwargs, dtype):
    x_np = np.array(POINTS, dtype=dtype)
    up_np = np.linspace(0.5, 2.0, len(POINTS)).astype(dtype)  # a non-uniform upstream gradient
    x = nb.tensor(x_np, requires_grad=True)
    y = getattr(F, name)(x, **kwargs)
    (y * nb.tensor(up_np)).sum().backward()
    xt = torch.tensor(x_np, requires_grad=True)
    yt = getattr(torch.nn.functional, name)(xt, **kwargs)
    (yt * torch.tensor(up_np)).sum().backward()
    assert y.dtype is getattr(nb, dtype) and y.shape == x.shape
    tol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(_np(y), yt.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=tol, atol=tol)


@needs_torch
@pytest.mark.parametrize("name, kwargs", [a for a in ACTIVATIONS if a[0] in ("leaky_relu", "elu", "silu", "relu6",
                                                                           "hardtanh")], ids=_id)
def test_inplace_activation_writes_its_input_and_keeps_gradients(name, kwargs):
    x_np = np.array(POINTS, dtype=np.float32)
    x = nb.tensor(x_np, requires_grad=True)
    h = x * 2
    out = getattr(F, name)(h, inplace=True, **kwargs)
    assert out is h
    out.sum().backward()
    xt = torch.tensor(x_np, requires_grad=True)
    ht = xt * 2
    getattr(torch.nn.functional, name)(ht, inplace=True, **kwargs).sum().backward()
    np.testing.assert_allclose(_np(h), ht.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("special", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "silu", "softplus", "hardtanh", "relu6"])
def test_nan_and_infinities_as_torch(name, special):
    x = nb.tensor([special, 1.0], requires_grad=True)
    getattr(F, name)(x).sum().backward()
    xt = torch.tensor([special, 1.0], requires_grad=True)
    yt = getattr(torch.nn.functional, name)(xt)
    yt.sum().backward()
    np.testing.assert_allclose(_np(getattr(F, name)(x)), yt.detach().numpy(), rtol=1e-6)  # (NaN where torch's)
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("shape, count", [((4, 3), 3), ((2, 3, 5), 3), ((4, 3), 1), ((5,), 1), ((), 1),
                                          ((2, 3, 2, 2), 3)])
def test_prelu_values_and_gradients_match_torch(shape, count):
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal(shape).astype(np.float32)
    if x_np.size:
        x_np.reshape(-1)[0] = 0.0  # the kink
    w_np = rng.uniform(0.1, 0.5, count).astype(np.float32)
    x, w = nb.tensor(x_np, requires_grad=True), nb.tensor(w_np, requires_grad=True)
    (F.prelu(x, w) * 3).sum().backward()
    xt, wt = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    yt = torch.nn.functional.prelu(xt, wt)
    (yt * 3).sum().backward()
    np.testing.assert_allclose(_np(F.prelu(x, w)), yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(_np(w.grad), wt.grad.numpy(), rtol=1e-5)


@needs_torch
def test_prelu_module_trains_as_torch():
    x_np = np.array([[-1.0, 2.0, -3.0], [0.5, -0.5, 0.0]], dtype=np.float32)
    m, mt = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    m(nb.tensor(x_np)).sum().backward()
    mt(torch.tensor(x_np)).sum().backward()
    np.testing.assert_allclose(_np(m.weight.grad), mt.weight.grad.numpy())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in mt.named_parameters()] == ["weight"]


@needs_torch
@pytest.mark.parametrize("module", ["LeakyReLU()", "LeakyReLU(0.2, True)", "ELU()", "ELU(alpha=0.5, inplace=True)",
                                    "GELU()", "GELU('tanh')", "GELU(approximate='tanh')", "SiLU()", "SiLU(True)",
                                    "Softplus()", "Softplus(2, 10)", "Softplus(beta=0.5)", "PReLU()", "PReLU(3, 0.1)",
                                    "Hardtanh()", "Hardtanh(-2, 2, True)", "ReLU6()", "ReLU6(inplace=True)",
                                    "ReLU()", "ReLU(True)", "Sigmoid()", "Tanh()", "RReLU()", "RReLU(0.1, 0.3, True)"])
def test_module_reprs_and_attributes_match_torch(module):
    ours, theirs = eval("nn." + module), eval("torch.nn." + module)
    assert repr(ours) == repr(theirs)
    for attribute in ("negative_slope", "alpha", "approximate", "inplace", "beta", "threshold", "num_parameters",
                      "init", "min_val", "max_val", "lower", "upper"):
        if hasattr(theirs, attribute) and attribute in vars(theirs):
            assert getattr(ours, attribute) == getattr(theirs, attribute), attribute


@needs_torch
@pytest.mark.parametrize("call, error", [
    ("F.leaky_relu(X_INT)", NotImplementedError), ("F.elu(X_BOOL)", NotImplementedError),
    ("F.gelu(X_INT)", NotImplementedError), ("F.silu(X_INT)", NotImplementedError),
    ("F.softplus(X_BOOL)", NotImplementedError), ("F.hardtanh(X_BOOL)", RuntimeError),
    ("F.gelu(X, approximate='tan')", RuntimeError), ("F.hardtanh(X, 1.0, -1.0)", ValueError),
    ("nn.Hardtanh(1, -1)", AssertionError), ("F.prelu(X, W3)", RuntimeError),
    ("F.prelu(X2x4, W3)", RuntimeError), ("F.prelu(X0, W3)", RuntimeError), ("F.prelu(X2x3, W3.reshape(3, 1))", RuntimeError),
    ("F.leaky_relu(X_LEAF, inplace=True)", RuntimeError),
    ("F.rrelu(X, 0.5, 0.1)", RuntimeError), ("F.rrelu(X_INT, training=True)", NotImplementedError),
    ("F.rrelu(X_INT)", NotImplementedError),
])
def test_bad_activation_calls_raise_as_torch(call, error):
    names = {"X": [-1.0, 0.0, 2.0], "X_INT": [-1, 0, 2], "X_BOOL": [True, False], "W3": [0.1, 0.2, 0.3],
             "X2x4": np.ones((2, 4), np.float32), "X0": 1.0, "X2x3": np.ones((2, 3), np.float32)}

    def scope(lib, functional, module):
        env = {k: lib.tensor(v) for k, v in names.items()}
        env["X_LEAF"] = lib.tensor([1.0, -1.0], requires_grad=True)
        env.update(F=functional, nn=module)
        return env
    with pytest.raises(error) as theirs:
        eval(call, scope(torch, torch.nn.functional, torch.nn))
    with pytest.raises(error) as ours:
        eval(call, scope(nb, F, nn))
    assert str(ours.value) == str(theirs.value)


# ------------------------------------------------------------------ 2. activations without torch
def test_rrelu_draws_a_slope_per_element_in_training_and_uses_their_mean_otherwise():
    nb.manual_seed(0)
    x = nb.full((20000,), -2.0, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = _np(y) / -2.0
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and len(np.unique(slopes)) > 1000
    assert abs(slopes.mean() - 0.2) < 0.005
    y.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), slopes.astype(np.float32))  # d/dx (slope * x) = slope
    z = nb.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    out = F.rrelu(z, 0.1, 0.3)  # eval mode: slope (0.1 + 0.3) / 2, also at 0
    out.sum().backward()
    np.testing.assert_allclose(_np(out), [-0.4, 0.0, 3.0], rtol=1e-6)
    np.testing.assert_allclose(_np(z.grad), [0.2, 0.2, 1.0], rtol=1e-6)
    module = nn.RReLU(0.1, 0.3, inplace=True)
    w = nb.full((1000,), -1.0)
    assert module(w) is w and (_np(w) <= -0.1).all() and (_np(w) >= -0.3).all()
    module.eval()
    np.testing.assert_allclose(_np(module(nb.tensor([-1.0]))), [-0.2], rtol=1e-6)
    np.testing.assert_allclose(_np(F.rrelu_(nb.tensor([-1.0, 2.0]))), [-(1 / 8 + 1 / 3) / 2, 2.0], rtol=1e-6)


def test_activations_by_hand():
    x = nb.tensor([-2.0, 0.0, 0.5, 30.0])
    np.testing.assert_allclose(_np(F.leaky_relu(x, 0.1)), [-0.2, 0.0, 0.5, 30.0], rtol=1e-6)
    np.testing.assert_allclose(_np(F.elu(x)), [math.expm1(-2.0), 0.0, 0.5, 30.0], rtol=1e-6)
    gelu = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in (-2.0, 0.0, 0.5, 30.0)]
    np.testing.assert_allclose(_np(F.gelu(x)), gelu, rtol=1e-6, atol=1e-7)
    silu = [v / (1 + math.exp(-v)) for v in (-2.0, 0.0, 0.5, 30.0)]
    np.testing.assert_allclose(_np(F.silu(x)), silu, rtol=1e-6)
    softplus = [math.log1p(math.exp(-2.0)), math.log(2.0), math.log1p(math.exp(0.5)), 30.0]  # 30 > threshold
    np.testing.assert_allclose(_np(F.softplus(x)), softplus, rtol=1e-6)
    np.testing.assert_allclose(_np(F.hardtanh(x)), [-1.0, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(_np(F.relu6(x)), [0.0, 0.0, 0.5, 6.0])
    np.testing.assert_allclose(_np(F.prelu(x, nb.tensor([0.25]))), [-0.5, 0.0, 0.5, 30.0])
    assert F.hardtanh(nb.tensor([-2, 0, 3])).dtype is nb.int64  # (integers stay integers, as torch's)


@pytest.mark.parametrize("name, at_kinks", [
    # torch's derivative at 0 (and at hardtanh's bounds): the side its formula picks
    ("leaky_relu", {0.0: 0.01}), ("elu", {0.0: 1.0}), ("relu6", {0.0: 0.0, 6.0: 0.0}),
    ("hardtanh", {-1.0: 0.0, 1.0: 0.0}), ("gelu", {0.0: 0.5}), ("silu", {0.0: 0.5}), ("softplus", {0.0: 0.5}),
])
def test_gradients_at_the_kinks_by_hand(name, at_kinks):
    x = nb.tensor(list(at_kinks), dtype=nb.float64, requires_grad=True)
    getattr(F, name)(x).sum().backward()
    np.testing.assert_allclose(_np(x.grad), list(at_kinks.values()), rtol=1e-12)


@pytest.mark.parametrize("name, kwargs", ACTIVATIONS, ids=_id)
def test_gradients_match_central_differences_in_float64(name, kwargs):
    """Away from the kinks, autograd's gradient is the derivative (central differences)."""
    points = np.array([-3.3, -0.7, 0.3, 0.9, 2.2, 5.1, 9.4, 12.0], dtype=np.float64)
    fn = getattr(F, name)
    x = nb.tensor(points, requires_grad=True)
    fn(x, **kwargs).sum().backward()
    h = 1e-6
    numeric = (_np(fn(nb.tensor(points + h), **kwargs)) - _np(fn(nb.tensor(points - h), **kwargs))) / (2 * h)
    np.testing.assert_allclose(_np(x.grad), numeric, rtol=1e-6, atol=1e-8)


def test_no_nan_gradient_from_the_branch_not_taken():
    """exp(100) overflows float32: the branch where() drops must not turn 0 * inf into NaN."""
    x = nb.tensor([100.0, 1000.0, -1000.0], requires_grad=True)
    (F.elu(x) + F.softplus(x) + F.leaky_relu(x)).sum().backward()
    np.testing.assert_allclose(_np(x.grad), [3.0, 3.0, 0.01])


def test_module_reprs_by_hand():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.GELU()) == "GELU(approximate='none')" and repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.SiLU()) == "SiLU()" and repr(nn.SiLU(True)) == "SiLU(inplace=True)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.PReLU()) == "PReLU(num_parameters=1)" and repr(nn.PReLU(4)) == "PReLU(num_parameters=4)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.ReLU6()) == "ReLU6()" and repr(nn.ReLU()) == "ReLU()" and repr(nn.ReLU(True)) == "ReLU(inplace=True)"
    net = nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1))
    assert repr(net).splitlines()[2] == "  (1): GELU(approximate='none')"
    with pytest.raises(TypeError):
        nn.Sigmoid(True)  # (torch's Sigmoid takes no arguments)


def test_modules_apply_their_settings():
    x = nb.tensor([-2.0, 0.5, 8.0])
    np.testing.assert_allclose(_np(nn.LeakyReLU(0.5)(x)), [-1.0, 0.5, 8.0])
    np.testing.assert_allclose(_np(nn.ELU(2.0)(x)), [2 * math.expm1(-2.0), 0.5, 8.0], rtol=1e-6)
    np.testing.assert_allclose(_np(nn.Softplus(beta=2.0, threshold=1.0)(x)),
                               [math.log1p(math.exp(-4.0)) / 2, math.log1p(math.exp(1.0)) / 2, 8.0], rtol=1e-6)
    np.testing.assert_allclose(_np(nn.Hardtanh(-1.5, 2.0)(x)), [-1.5, 0.5, 2.0])
    np.testing.assert_allclose(_np(nn.ReLU6()(x)), [0.0, 0.5, 6.0])
    np.testing.assert_allclose(_np(nn.GELU("tanh")(x)), _np(F.gelu(x, approximate="tanh")))
    m = nn.PReLU(num_parameters=2, init=0.5)
    assert m.weight.shape == (2,) and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    np.testing.assert_allclose(_np(m(nb.tensor([[-2.0, -4.0]]))), [[-1.0, -2.0]])
    y = nb.tensor([-1.0, 2.0])
    assert nn.SiLU(inplace=True)(y) is y and nn.ELU(inplace=True)(y) is y


def test_bad_calls_by_hand():
    with pytest.raises(NotImplementedError, match="^\"leaky_relu_cpu\" not implemented for 'Long'$"):
        F.leaky_relu(nb.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="^approximate argument must be either none or tanh.$"):
        nn.GELU("exact")(nb.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Found parameter numbers = 3 and channel size = 4."):
        nn.PReLU(3)(nb.ones(2, 4))
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place"):
        F.elu(nb.tensor([1.0], requires_grad=True), inplace=True)


# ------------------------------------------------------------------ 3. nn.utils
def _with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(nb.zeros(len(g), dtype=nb.tensor(g).dtype))
        p.grad = nb.tensor(g)
        params.append(p)
    return params


def test_utils_import_forms():
    import nbtensor.nn.utils
    from nbtensor.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters
    from nbtensor.nn.utils.clip_grad import clip_grad_norm_ as same
    assert nn.utils is nbtensor.nn.utils and nb.nn.utils.clip_grad_norm_ is clip_grad_norm_ is same
    assert callable(clip_grad_value_) and callable(parameters_to_vector) and callable(vector_to_parameters)


def test_clip_grad_norm_by_hand():
    net = nn.Linear(3, 2)
    net.weight.grad, net.bias.grad = nb.ones(2, 3), nb.full((2,), 2.0)
    total = nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    assert total.shape == () and total.dtype is nb.float32
    assert float(total) == pytest.approx(math.sqrt(14), rel=1e-6)
    scale = 1.0 / (math.sqrt(14) + 1e-6)
    np.testing.assert_allclose(_np(net.weight.grad), np.full((2, 3), scale), rtol=1e-6)
    np.testing.assert_allclose(_np(net.bias.grad), [2 * scale] * 2, rtol=1e-6)
    # already within the bound: unchanged; the total is returned all the same
    p, = _with_grads([3.0, 4.0])
    assert float(nn.utils.clip_grad_norm_(p, 10.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(_np(p.grad), [3.0, 4.0])
    p, = _with_grads([3.0, -4.0])
    assert float(nn.utils.clip_grad_norm_([p], 2.0, norm_type="inf")) == 4.0
    np.testing.assert_allclose(_np(p.grad), [1.5, -2.0], rtol=1e-6)
    p, = _with_grads([3.0, -4.0])
    assert float(nn.utils.clip_grad_norm_([p], 1.0, norm_type=1)) == 7.0


def test_clip_grad_norm_edge_cases_by_hand():
    assert float(nn.utils.clip_grad_norm_([], 1.0)) == 0.0
    no_grad = nn.Parameter(nb.zeros(2))
    assert float(nn.utils.clip_grad_norm_([no_grad], 1.0)) == 0.0 and no_grad.grad is None
    p, = _with_grads([math.nan, 4.0])
    assert math.isnan(float(nn.utils.clip_grad_norm_(p, 1.0)))
    p, = _with_grads([math.inf, 4.0])
    with pytest.raises(RuntimeError, match=r"^The total norm of order 2.0 for gradients from `parameters` is "
                                           r"non-finite, so it cannot be clipped. To disable this error"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(_np(p.grad), [math.inf, 4.0])  # (left as it was)
    double, single = _with_grads([3.0, 4.0])[0], _with_grads([1.0])[0]
    double.grad = double.grad.double()
    double.data = double.data.double()
    total = nn.utils.clip_grad_norm_([double, single], 1.0)
    assert total.dtype is nb.float64 and float(total) == pytest.approx(math.sqrt(26))
    with pytest.raises(ValueError, match="could not convert string to float: 'foo'"):
        nn.utils.clip_grad_norm_(p, 1.0, norm_type="foo")


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1, 3, "inf", -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(11)
    grads = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4,), (2, 2, 2))]
    ours, theirs = [nn.Parameter(nb.zeros(g.shape)) for g in grads], [torch.nn.Parameter(torch.zeros(g.shape))
                                                                      for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = nb.tensor(g), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(iter(ours), max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(iter(theirs), max_norm, norm_type=norm_type)
    assert total.shape == expected.shape and float(total) == pytest.approx(float(expected), rel=1e-6)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(_np(p.grad), q.grad.numpy(), rtol=1e-6)


def test_clip_grad_value_by_hand():
    p, q = _with_grads([3.0, -4.0, 0.5], [-0.1])
    assert nn.utils.clip_grad_value_([p, q], 1.0) is None
    np.testing.assert_allclose(_np(p.grad), [1.0, -1.0, 0.5])
    np.testing.assert_allclose(_np(q.grad), [-0.1], rtol=1e-6)
    nn.utils.clip_grad_value_(p, 0.25)  # (a tensor alone)
    np.testing.assert_allclose(_np(p.grad), [0.25, -0.25, 0.25])


def test_parameters_to_vector_and_back():
    net = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(net.parameters())
    assert vec.shape == (8,)
    np.testing.assert_array_equal(_np(vec), np.concatenate([_np(net.weight).ravel(), _np(net.bias)]))
    nn.utils.vector_to_parameters(nb.arange(8.0), net.parameters())
    np.testing.assert_array_equal(_np(net.weight), [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(_np(net.bias), [6.0, 7.0])
    assert isinstance(net.weight, nn.Parameter) and net.weight.requires_grad
    with pytest.raises(TypeError, match="^expected torch.Tensor, but got: list$"):
        nn.utils.vector_to_parameters([1.0], net.parameters())
    with pytest.raises(RuntimeError, match=r"^shape '\[2, 3\]' is invalid for input of size 3$"):
        nn.utils.vector_to_parameters(nb.zeros(3), net.parameters())


# ------------------------------------------------------------------ 4. finfo / iinfo
@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_by_numpy(name):
    info, ref = nb.finfo(getattr(nb, name)), np.finfo(name)
    assert (info.bits, info.eps, info.max, info.min, info.tiny, info.smallest_normal, info.dtype) == (
        ref.bits, float(ref.eps), float(ref.max), float(ref.min), float(ref.tiny), float(ref.tiny), name)
    assert info.resolution == 10.0 ** -ref.precision and type(info.eps) is float
    assert nb.finfo().dtype == nb.get_default_dtype().name == "float32"


def test_finfo_iinfo_reprs_by_hand():
    assert repr(nb.finfo(nb.float32)) == (
        "finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, smallest_normal=1.17549e-38, "
        "tiny=1.17549e-38, dtype=float32)")
    assert repr(nb.iinfo(nb.uint8)) == "iinfo(min=0, max=255, dtype=uint8)"
    assert str(nb.iinfo(nb.int64)) == "iinfo(min=-9.22337e+18, max=9.22337e+18, dtype=int64)"
    info = nb.iinfo(nb.int32)
    assert (info.bits, info.min, info.max, info.dtype) == (32, -2**31, 2**31 - 1, "int32")
    assert nb.finfo(nb.float32) == nb.finfo(nb.float32) != nb.finfo(nb.float64)
    x = nb.tensor([1.0])
    assert float(x + nb.finfo(x.dtype).eps) > 1.0 and float(x + nb.finfo(x.dtype).eps / 4) == 1.0


@pytest.mark.parametrize("call, message", [
    ("finfo(nb.int64)", "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"),
    ("finfo(nb.bool)", "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"),
    ("iinfo(nb.float32)", "torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'"),
    ("iinfo(nb.bool)", "torch.bool is not supported by torch.iinfo"),
    ("finfo('float32')", "finfo(): argument 'type' (position 1) must be torch.dtype, not str"),
    ("iinfo(3)", "iinfo(): argument 'type' (position 1) must be torch.dtype, not int"),
    ("finfo(None)", "finfo(): argument 'type' (position 1) must be torch.dtype, not NoneType"),
])
def test_finfo_iinfo_bad_types(call, message):
    with pytest.raises(TypeError) as ours:
        eval("nb." + call)
    assert str(ours.value) == message
    if torch is not None:
        with pytest.raises(TypeError) as theirs:
            eval("torch." + call.replace("nb.", "torch."))
        assert str(theirs.value) == message


@needs_torch
@pytest.mark.parametrize("name", ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64"])
def test_finfo_iinfo_match_torch(name):
    kind = "finfo" if "float" in name else "iinfo"
    ours, theirs = getattr(nb, kind)(getattr(nb, name)), getattr(torch, kind)(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    for attribute in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        if hasattr(theirs, attribute):
            assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
            assert type(getattr(ours, attribute)) is type(getattr(theirs, attribute)), attribute
    assert repr(nb.finfo(float)) == repr(torch.finfo(float)) and repr(nb.iinfo(int)) == repr(torch.iinfo(int))


# ------------------------------------------------------------------ 5. multinomial and bernoulli
def _counts(samples, k):
    return np.bincount(_np(samples).ravel(), minlength=k)


def test_multinomial_with_replacement_frequencies():
    nb.manual_seed(0)
    p = [0.1, 0.0, 0.6, 0.3]
    n = 20000
    samples = nb.multinomial(nb.tensor([1.0, 0.0, 6.0, 3.0]), n, replacement=True)  # (weights, unnormalised)
    assert samples.dtype is nb.int64 and samples.shape == (n,)
    counts = _counts(samples, 4)
    assert counts[1] == 0  # never a category of weight 0
    np.testing.assert_allclose(counts / n, p, atol=0.015)  # (sd <= 0.0035)


def test_multinomial_without_replacement_is_sequential_draws():
    """Draw 1 is proportional to p; draw 2 to p among those left: P(0 then 1) = .5 * .3/.5,
    P(1 then 0) = .3 * .5/.7, ... A uniform permutation or draws that ignore what was taken
    fail this."""
    nb.manual_seed(1)
    p = np.array([0.5, 0.3, 0.2])
    rows = 6000
    samples = _np(nb.multinomial(nb.tensor(np.tile(p, (rows, 1)), dtype=nb.float64), 2))
    assert samples.shape == (rows, 2) and (samples[:, 0] != samples[:, 1]).all()
    for (a, b) in [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)]:
        expected = p[a] * p[b] / (1 - p[a])
        assert np.mean((samples[:, 0] == a) & (samples[:, 1] == b)) == pytest.approx(expected, abs=0.025)
    full = _np(nb.multinomial(nb.tensor(p), 3))
    assert sorted(full) == [0, 1, 2]


def test_multinomial_rows_and_zero_weights():
    nb.manual_seed(2)
    probs = nb.tensor([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    with_replacement = _np(probs.multinomial(50, True))
    assert (with_replacement[0] == 2).all() and set(with_replacement[1]) == {0, 1}
    # without replacement, the positive weights first, then those of weight 0 in order (torch's)
    np.testing.assert_array_equal(_np(nb.multinomial(nb.tensor([1.0, 0.0, 0.0]), 2)), [0, 1])
    assert nb.multinomial(nb.ones(0, 3), 2).shape == (0, 2)


def test_multinomial_is_reproducible_with_manual_seed_and_generators():
    p = nb.tensor([0.2, 0.3, 0.5])
    nb.manual_seed(5)
    first = [_np(nb.multinomial(p, 10, True)), _np(nb.multinomial(p, 3)), _np(nb.bernoulli(p))]
    nb.manual_seed(5)
    again = [_np(nb.multinomial(p, 10, True)), _np(nb.multinomial(p, 3)), _np(nb.bernoulli(p))]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    g = nb.Generator().manual_seed(9)
    one = _np(nb.multinomial(p, 20, True, generator=g))
    g.manual_seed(9)
    np.testing.assert_array_equal(one, _np(p.multinomial(20, True, generator=g)))


@pytest.mark.parametrize("call, error, message", [
    ("multinomial(nb.tensor([1., 2., 3.]), 4)", RuntimeError,
     "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    ("multinomial(nb.tensor([1., -2., 3.]), 1)", RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("multinomial(nb.tensor([1., math.inf]), 1)", RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("multinomial(nb.tensor([1., math.nan]), 1, True)", RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("multinomial(nb.tensor([[1., 1.], [0., 0.]]), 1)", RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    ("multinomial(nb.tensor([1, 2]), 1)", RuntimeError, "multinomial only supports floating-point dtypes for input, got: Long"),
    ("multinomial(nb.tensor(1.), 1)", RuntimeError, "prob_dist must be 1 or 2 dim"),
    ("multinomial(nb.ones(2, 2, 2), 1)", RuntimeError, "prob_dist must be 1 or 2 dim"),
    ("multinomial(nb.ones(3), 0)", RuntimeError, "cannot sample n_sample <= 0 samples"),
    ("multinomial(nb.ones(3), 1.5)", TypeError, "multinomial(): argument 'num_samples' (position 2) must be int, not float"),
    ("multinomial(nb.ones(3), 2, 1)", TypeError, "multinomial(): argument 'replacement' (position 3) must be bool, not int"),
    ("bernoulli(nb.tensor([0, 1]))", NotImplementedError, "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"),
    ("bernoulli(nb.tensor([0., 1.5]))", RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false."),
    ("bernoulli(nb.tensor([0., math.nan]))", RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false."),
    ("zeros(2).bernoulli_(1.5)", RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=1.5"),
    ("zeros(2).bernoulli_(nb.tensor([2., 0.]))", RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true"),
    ("zeros(2).bernoulli_(nb.tensor([1., 0., 1.]))", RuntimeError,
     "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 0."),
])
def test_bad_sampling_calls(call, error, message):
    with pytest.raises(error) as ours:
        eval("nb." + call, {"nb": nb, "math": math})
    assert str(ours.value).startswith(message)
    if torch is not None:
        with pytest.raises(error) as theirs:
            eval("torch." + call.replace("nb.", "torch."), {"torch": torch, "math": math})
        assert str(theirs.value).startswith(message)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_bernoulli_frequencies_dtype_and_forms():
    nb.manual_seed(3)
    p = nb.tensor([0.0, 0.1, 0.5, 0.9, 1.0], dtype=nb.float64)
    draws = np.stack([_np(nb.bernoulli(p)) for _ in range(4000)])
    assert draws.dtype == np.float64 and set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(0), [0.0, 0.1, 0.5, 0.9, 1.0], atol=0.03)
    fixed = nb.bernoulli(nb.zeros(20000, dtype=nb.int64), 0.25)  # a number p: the input gives shape and dtype
    assert fixed.dtype is nb.int64 and float(fixed.double().mean()) == pytest.approx(0.25, abs=0.015)
    x = nb.zeros(20000, 2)
    assert x.bernoulli_(nb.tensor([0.8, 0.2])) is x  # a tensor p, broadcast
    np.testing.assert_allclose(_np(x).mean(0), [0.8, 0.2], atol=0.015)
    assert float(nb.tensor([0.3] * 20000).bernoulli().mean()) == pytest.approx(0.3, abs=0.015)
    assert _np(nb.zeros(3, dtype=nb.bool).bernoulli_(1.0)).all()


def test_bernoulli_gradient_is_zero():
    x = nb.tensor([0.3, 0.6], requires_grad=True)
    y = nb.bernoulli(x)
    assert y.grad_fn.name() == "BernoulliBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.0])
    assert nb.multinomial(x, 1).requires_grad is False


def test_each_activation_is_one_node_named_as_torchs():
    x = nb.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    nodes = {"leaky_relu": "LeakyReluBackward0", "elu": "EluBackward0", "gelu": "GeluBackward0",
             "silu": "SiluBackward0", "softplus": "SoftplusBackward0", "hardtanh": "HardtanhBackward0",
             "relu6": "HardtanhBackward0"}
    for name, node in nodes.items():
        y = getattr(F, name)(x)
        assert y.grad_fn.name() == node
        assert y.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    assert F.prelu(x, nb.tensor([0.25], requires_grad=True)).grad_fn.name() == "PreluKernelBackward0"
