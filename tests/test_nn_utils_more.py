"""More of ``nn.utils``: ``get_total_norm``/``clip_grads_with_norm_``/``clip_grad_norm``,
``parametrize`` (register/remove/cached, right_inverse, chaining), weight and spectral
normalisation (parametrized and hook-based), ``parametrizations.orthogonal``, batch-norm
fusion and ``functional_call``.
Values and gradients are checked against NumPy or hand-computed values, and against torch
2.13 when it is installed (the torch tests skip themselves otherwise)."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.autograd import gradcheck
from nbtensor.nn.utils import parametrize as P
from nbtensor.nn.utils.weight_norm import weight_from_norm


def _np(t):
    return t.detach().cpu().numpy()


def _torch():
    return pytest.importorskip("torch")


def _grads_of(arrays):
    """Parameters (float64) whose gradients are the given arrays."""
    params = []
    for a in arrays:
        p = nn.Parameter(nb.zeros(a.shape, dtype=nb.float64))
        p.grad = nb.tensor(a)
        params.append(p)
    return params


# ------------------------------------------------------------ clipping and total norms
GRADS = [np.array([[3.0, -4.0], [1.0, 2.0]]), np.array([0.5, -12.0, 2.0])]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_get_total_norm_is_the_norm_of_all_elements(norm_type):
    flat = np.concatenate([g.ravel() for g in GRADS])
    expected = np.abs(flat).max() if norm_type == float("inf") else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    total = nn.utils.get_total_norm([nb.tensor(g) for g in GRADS], norm_type)
    assert total.shape == () and np.isclose(float(total), expected)
    assert float(nn.utils.get_total_norm(nb.tensor(GRADS[0]))) == pytest.approx(np.linalg.norm(GRADS[0]))


def test_get_total_norm_of_nothing_and_nonfinite():
    assert float(nn.utils.get_total_norm([])) == 0.0
    bad = [nb.tensor([1.0, float("nan")])]
    assert np.isnan(float(nn.utils.get_total_norm(bad)))
    with pytest.raises(RuntimeError, match=r"The total norm of order 2.0 for gradients from `parameters` is "
                                           r"non-finite"):
        nn.utils.get_total_norm(bad, error_if_nonfinite=True)


def test_get_total_norm_records_no_graph():
    x = nb.tensor([3.0, 4.0], requires_grad=True)
    assert not nn.utils.get_total_norm([x]).requires_grad


def test_clip_grads_with_norm_scales_down_only():
    params = _grads_of(GRADS)
    total = nn.utils.get_total_norm([p.grad for p in params])
    assert nn.utils.clip_grads_with_norm_(params, 1.0, total) is None
    scale = 1.0 / (float(total) + 1e-6)
    for p, g in zip(params, GRADS):
        np.testing.assert_allclose(_np(p.grad), g * scale)
    params = _grads_of(GRADS)
    nn.utils.clip_grads_with_norm_(params, 100.0, total)
    for p, g in zip(params, GRADS):
        np.testing.assert_allclose(_np(p.grad), g)


def test_clip_grad_norm_is_total_norm_then_clip():
    a, b = _grads_of(GRADS), _grads_of(GRADS)
    total = nn.utils.clip_grad_norm_(a, 2.0, norm_type=1.0)
    nn.utils.clip_grads_with_norm_(b, 2.0, nn.utils.get_total_norm([p.grad for p in b], 1.0))
    assert float(total) == pytest.approx(np.abs(np.concatenate([g.ravel() for g in GRADS])).sum())
    for p, q in zip(a, b):
        np.testing.assert_allclose(_np(p.grad), _np(q.grad))


def test_clip_grad_norm_deprecated_and_empty_generator():
    a, b = _grads_of(GRADS), _grads_of(GRADS)
    with pytest.warns(FutureWarning, match=r"`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                                           r"`torch.nn.utils.clip_grad_norm_`\."):
        total = nn.utils.clip_grad_norm(a, 1.0)
    assert float(total) == float(nn.utils.clip_grad_norm_(b, 1.0))
    np.testing.assert_allclose(_np(a[1].grad), _np(b[1].grad))
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        assert float(nn.utils.clip_grad_norm_((p for p in []), 1.0)) == 0.0


def test_clip_and_total_norm_match_torch():
    torch = _torch()
    for norm_type in (2.0, 1.5, float("inf")):
        mine, theirs = _grads_of(GRADS), []
        for g in GRADS:
            t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
            t.grad = torch.tensor(g)
            theirs.append(t)
        expected_total = torch.nn.utils.get_total_norm([t.grad for t in theirs], norm_type)
        assert float(nn.utils.get_total_norm([p.grad for p in mine], norm_type)) == pytest.approx(float(expected_total))
        torch.nn.utils.clip_grads_with_norm_(theirs, 0.7, expected_total)
        nn.utils.clip_grads_with_norm_(mine, 0.7, nn.utils.get_total_norm([p.grad for p in mine], norm_type))
        for p, t in zip(mine, theirs):
            np.testing.assert_allclose(_np(p.grad), t.grad.numpy(), rtol=1e-12)


# ------------------------------------------------------------ parametrize
class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)

    def right_inverse(self, a):
        return a.triu()


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor

    def right_inverse(self, x):
        return x / self.factor


class NoInverse(nn.Module):
    def forward(self, x):
        return x * 2.0


class Split(nn.Module):
    """weight = a + b, split evenly by right_inverse (two originals)."""

    def forward(self, a, b):
        return a + b

    def right_inverse(self, w):
        return w * 0.5, w * 0.5


def _linear(n=3, m=3, dtype=nb.float64):
    nb.manual_seed(0)
    return nn.Linear(n, m).to(dtype)


def test_register_parametrization_layout_and_recomputation():
    lin = _linear()
    before = _np(lin.weight).copy()
    assert P.register_parametrization(lin, "weight", Symmetric()) is lin
    assert type(lin).__name__ == "ParametrizedLinear" and isinstance(lin, nn.Linear)
    assert P.type_before_parametrizations(lin) is nn.Linear
    assert P.is_parametrized(lin) and P.is_parametrized(lin, "weight") and not P.is_parametrized(lin, "bias")
    assert [n for n, _ in lin.named_parameters()] == ["bias", "parametrizations.weight.original"]
    original = lin.parametrizations.weight.original
    np.testing.assert_allclose(_np(original), np.triu(before))  # stored through right_inverse
    w = _np(lin.weight)
    np.testing.assert_allclose(w, w.T)
    with nb.no_grad():
        original.add_(1.0)
    np.testing.assert_allclose(_np(lin.weight), np.triu(np.triu(before) + 1) + np.triu(np.triu(before) + 1, 1).T)
    assert lin.weight is not lin.weight  # recomputed on each access


def test_parametrized_gradient_reaches_original():
    lin = _linear()
    P.register_parametrization(lin, "weight", Symmetric())
    x = nb.randn(2, 3, dtype=nb.float64)
    lin(x).sum().backward()
    g = np.tile(_np(x).sum(0), (3, 1))  # d(sum)/dW
    np.testing.assert_allclose(_np(lin.parametrizations.weight.original.grad), np.triu(g + g.T, 1) + np.diag(np.diag(g)))
    sym = Symmetric()
    assert gradcheck(lambda a: sym(a), (nb.randn(3, 3, dtype=nb.float64, requires_grad=True),))


def test_assignment_goes_through_right_inverse():
    lin = _linear()
    P.register_parametrization(lin, "weight", Scale(2.0))
    lin.weight = nb.ones(3, 3, dtype=nb.float64)
    np.testing.assert_allclose(_np(lin.parametrizations.weight.original), 0.5)
    np.testing.assert_allclose(_np(lin.weight), 1.0)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        lin.weight = nn.Parameter(nb.ones(3, 3))
    other = _linear()
    P.register_parametrization(other, "weight", NoInverse())
    with pytest.raises(RuntimeError, match="parametrization NoInverse does not implement right_inverse."):
        other.weight = nb.ones(3, 3, dtype=nb.float64)


def test_chained_parametrizations():
    lin = _linear()
    w = _np(lin.weight).copy()
    P.register_parametrization(lin, "weight", Scale(2.0))
    P.register_parametrization(lin, "weight", Scale(3.0))
    assert len(lin.parametrizations.weight) == 2
    np.testing.assert_allclose(_np(lin.parametrizations.weight.original), w / 2.0)
    np.testing.assert_allclose(_np(lin.weight), w * 3.0)
    lin.weight = nb.full((3, 3), 6.0, dtype=nb.float64)
    np.testing.assert_allclose(_np(lin.parametrizations.weight.original), 1.0)


def test_right_inverse_returning_a_tuple():
    lin = _linear()
    w = _np(lin.weight).copy()
    P.register_parametrization(lin, "weight", Split())
    chain = lin.parametrizations.weight
    assert not chain.is_tensor and chain.ntensors == 2
    assert [n for n, _ in lin.named_parameters()] == ["bias", "parametrizations.weight.original0",
                                                      "parametrizations.weight.original1"]
    np.testing.assert_allclose(_np(chain.original0), w / 2)
    np.testing.assert_allclose(_np(lin.weight), w)
    lin(nb.ones(1, 3, dtype=nb.float64)).sum().backward()
    np.testing.assert_allclose(_np(chain.original1.grad), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"Cannot leave unparametrized \(`leave_parametrized=False`\) a tensor that "
                                         r"is parametrized in terms of a sequence of tensors."):
        P.remove_parametrizations(lin, "weight", leave_parametrized=False)
    P.remove_parametrizations(lin, "weight")
    np.testing.assert_allclose(_np(lin.weight), w)
    assert isinstance(lin.weight, nn.Parameter)


def test_remove_parametrizations():
    lin = _linear()
    w = _np(lin.weight).copy()
    P.register_parametrization(lin, "weight", Scale(2.0))
    P.register_parametrization(lin, "bias", Scale(2.0))
    P.remove_parametrizations(lin, "weight")
    assert type(lin).__name__ == "ParametrizedLinear"  # bias is still parametrized
    np.testing.assert_allclose(_np(lin.weight), w)
    P.remove_parametrizations(lin, "bias", leave_parametrized=False)
    assert type(lin) is nn.Linear and not hasattr(lin, "parametrizations") and not P.is_parametrized(lin)
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(lin, "weight")


def test_transfer_parametrizations_and_params():
    source, target = _linear(), nn.Linear(3, 3).double()
    P.register_parametrization(source, "weight", Split())
    P.register_parametrization(source, "weight", Scale(2.0))
    assert P.transfer_parametrizations_and_params(source, target) is target
    assert target.parametrizations.weight.original1 is source.parametrizations.weight.original1
    assert len(target.parametrizations.weight) == 2
    np.testing.assert_allclose(_np(target.weight), _np(source.weight))
    assert P.transfer_parametrizations_and_params(nn.Linear(2, 2), target) is target


def test_parametrizing_a_buffer():
    bn = nn.BatchNorm1d(3)
    P.register_parametrization(bn, "running_var", Scale(2.0))
    assert "parametrizations.running_var.original" in dict(bn.named_buffers())
    np.testing.assert_allclose(_np(bn.running_var), 1.0)


def test_cached():
    lin = _linear()
    calls = []

    class Counting(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x

    P.register_parametrization(lin, "weight", Counting())
    calls.clear()
    with P.cached():
        first = lin.weight
        with P.cached():
            assert lin.weight is first
        assert lin.weight is first
    assert len(calls) == 1
    assert lin.weight is first  # (Counting returns its input) ...
    assert len(calls) == 2  # ... but it ran again: the cache is gone


def test_parametrize_errors():
    lin = _linear()
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name "
                                         "'foo'"):
        P.register_parametrization(lin, "foo", Scale(2.0))

    class Rows(nn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match="Registering a parametrization may not change the shape of the tensor, "
                                         "unless `unsafe` flag is enabled.\nunparametrized shape: "):
        P.register_parametrization(_linear(), "weight", Rows())
    P.register_parametrization(lin, "weight", Rows(), unsafe=True)
    assert lin.weight.shape == (1, 3)
    chained = _linear()
    P.register_parametrization(chained, "weight", Scale(2.0))
    with pytest.raises(ValueError, match=r"unless the `unsafe` flag is enabled.\nmodule.weight.shape: "):
        P.register_parametrization(chained, "weight", Rows())

    class Cast(nn.Module):
        def forward(self, x):
            return x.float()

    with pytest.raises(ValueError, match="may not change the dtype of the tensor, unless `unsafe` flag is enabled."
                                         "\nunparametrized dtype: nbtensor.float64"):
        P.register_parametrization(_linear(), "weight", Cast())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through "
                                           r"state_dict\(\)"):
        pickle.dumps(lin)


def test_parametrized_module_deepcopy_and_state_dict():
    lin = _linear()
    P.register_parametrization(lin, "weight", Scale(2.0))
    twin = copy.deepcopy(lin)
    np.testing.assert_allclose(_np(twin.weight), _np(lin.weight))
    assert twin.parametrizations.weight.original is not lin.parametrizations.weight.original
    with nb.no_grad():
        twin.parametrizations.weight.original.zero_()
    assert not np.allclose(_np(lin.weight), 0.0)
    fresh = _linear()
    P.register_parametrization(fresh, "weight", Scale(2.0))
    fresh.load_state_dict(twin.state_dict())
    np.testing.assert_allclose(_np(fresh.weight), 0.0)


def test_parametrize_errors_match_torch():
    torch = _torch()

    class TRows(torch.nn.Module):
        def forward(self, x):
            return x[:1]

    class NRows(nn.Module):
        def forward(self, x):
            return x[:1]

    for mine, theirs in ((lambda: P.register_parametrization(nn.Linear(2, 2), "foo", NRows()),
                          lambda: torch.nn.utils.parametrize.register_parametrization(torch.nn.Linear(2, 2), "foo",
                                                                                      TRows())),
                         (lambda: P.register_parametrization(nn.Linear(2, 2), "weight", NRows()),
                          lambda: torch.nn.utils.parametrize.register_parametrization(torch.nn.Linear(2, 2), "weight",
                                                                                      TRows())),
                         (lambda: P.remove_parametrizations(nn.Linear(2, 2), "weight"),
                          lambda: torch.nn.utils.parametrize.remove_parametrizations(torch.nn.Linear(2, 2), "weight"))):
        with pytest.raises(Exception) as expected:
            theirs()
        with pytest.raises(type(expected.value)) as got:
            mine()
        assert str(got.value).replace("nbtensor.", "torch.") == str(expected.value)


# ------------------------------------------------------------ weight normalisation
def _weight_norm_np(v, g, dim):
    if dim is None:
        return v * (g / np.linalg.norm(v))
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v * (g / np.sqrt((v ** 2).sum(axis=others, keepdims=True)))


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization(dim):
    lin = _linear(3, 4)
    w = _np(lin.weight).copy()
    nn.utils.parametrizations.weight_norm(lin, dim=dim)
    chain = lin.parametrizations.weight
    g, v = _np(chain.original0), _np(chain.original1)
    expected_g = np.linalg.norm(w) if dim is None else np.sqrt((w ** 2).sum(axis=1 - dim, keepdims=True))
    np.testing.assert_allclose(g, expected_g)
    np.testing.assert_allclose(v, w)
    np.testing.assert_allclose(_np(lin.weight), w)
    with nb.no_grad():
        chain.original0.mul_(2.0)
    np.testing.assert_allclose(_np(lin.weight), _weight_norm_np(w, 2 * expected_g, dim))


def test_weight_norm_gradients():
    v = nb.randn(4, 3, dtype=nb.float64, requires_grad=True)
    g0 = nb.rand(4, 1, dtype=nb.float64, requires_grad=True)
    gall = nb.rand((), dtype=nb.float64, requires_grad=True)
    assert gradcheck(lambda v_, g_: weight_from_norm(v_, g_, 0), (v, g0))
    assert gradcheck(lambda v_, g_: weight_from_norm(v_, g_, -1), (v, gall))


def test_weight_norm_hooks():
    lin = _linear(3, 4)
    w = _np(lin.weight).copy()
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated in favor of "
                                           "`torch.nn.utils.parametrizations.weight_norm`."):
        assert nn.utils.weight_norm(lin) is lin
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(_np(lin.weight_g), np.linalg.norm(w, axis=1, keepdims=True))
    with nb.no_grad():
        lin.weight_g.mul_(3.0)
    x = nb.randn(2, 3, dtype=nb.float64)
    out = lin(x)  # the hook recomputes the weight first
    np.testing.assert_allclose(_np(lin.weight), 3 * w)
    np.testing.assert_allclose(_np(out), _np(x) @ (3 * w).T + _np(lin.bias))
    out.sum().backward()
    assert lin.weight_g.grad.shape == (4, 1) and lin.weight_v.grad.shape == (4, 3)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            nn.utils.weight_norm(lin)
    nn.utils.remove_weight_norm(lin)
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(lin.weight), 3 * w)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(lin)


def test_weight_norm_matches_torch():
    torch = _torch()
    for dim in (0, 1, None):
        nlin, tlin = nn.Conv2d(2, 3, 3).double(), torch.nn.Conv2d(2, 3, 3).double()
        with torch.no_grad():
            tlin.weight.copy_(torch.tensor(_np(nlin.weight)))
            tlin.bias.copy_(torch.tensor(_np(nlin.bias)))
        nn.utils.parametrizations.weight_norm(nlin, dim=dim)
        torch.nn.utils.parametrizations.weight_norm(tlin, dim=dim)
        for name in ("original0", "original1"):
            np.testing.assert_allclose(_np(getattr(nlin.parametrizations.weight, name)),
                                       getattr(tlin.parametrizations.weight, name).detach().numpy(), rtol=1e-12)
        x = np.random.default_rng(1).standard_normal((2, 2, 5, 5))
        nlin(nb.tensor(x)).square().sum().backward()
        tlin(torch.tensor(x)).square().sum().backward()
        for name in ("original0", "original1"):
            np.testing.assert_allclose(_np(getattr(nlin.parametrizations.weight, name).grad),
                                       getattr(tlin.parametrizations.weight, name).grad.numpy(), rtol=1e-9)


def test_old_weight_norm_matches_torch():
    torch = _torch()
    nlin, tlin = nn.Linear(3, 4).double(), torch.nn.Linear(3, 4).double()
    with torch.no_grad():
        tlin.weight.copy_(torch.tensor(_np(nlin.weight)))
        tlin.bias.copy_(torch.tensor(_np(nlin.bias)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.weight_norm(nlin, dim=1)
        torch.nn.utils.weight_norm(tlin, dim=1)
    x = np.random.default_rng(2).standard_normal((5, 3))
    nlin(nb.tensor(x)).square().sum().backward()
    tlin(torch.tensor(x)).square().sum().backward()
    for name in ("weight_g", "weight_v"):
        np.testing.assert_allclose(_np(getattr(nlin, name)), getattr(tlin, name).detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(_np(getattr(nlin, name).grad), getattr(tlin, name).grad.numpy(), rtol=1e-9)


# ------------------------------------------------------------ spectral normalisation
def _normalize(x, eps=1e-12):
    return x / max(np.linalg.norm(x), eps)


def test_spectral_norm_hooks_one_step():
    lin = _linear(3, 4)
    w = _np(lin.weight).copy()
    nn.utils.spectral_norm(lin)
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight_orig"]
    assert sorted(n for n, _ in lin.named_buffers()) == ["weight_u", "weight_v"]
    u0 = _np(lin.weight_u).copy()
    assert np.isclose(np.linalg.norm(u0), 1.0)
    lin(nb.zeros(1, 3, dtype=nb.float64))
    v1 = _normalize(w.T @ u0)
    u1 = _normalize(w @ v1)
    np.testing.assert_allclose(_np(lin.weight_v), v1)
    np.testing.assert_allclose(_np(lin.weight_u), u1)
    np.testing.assert_allclose(_np(lin.weight), w / (u1 @ w @ v1))
    lin.eval()
    lin(nb.zeros(1, 3, dtype=nb.float64))
    np.testing.assert_allclose(_np(lin.weight_u), u1)  # no iteration in eval mode
    nn.utils.remove_spectral_norm(lin)
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(lin.weight), w / (u1 @ w @ v1))
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(lin)


def test_spectral_norm_errors():
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        nn.utils.spectral_norm(_linear(), n_power_iterations=0)
    lin = nn.utils.spectral_norm(_linear())
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        nn.utils.spectral_norm(lin)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'foo'"):
        nn.utils.parametrizations.spectral_norm(_linear(), "foo")
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\] but got 2\)"):
        nn.utils.parametrizations.spectral_norm(_linear(), dim=2)


def test_spectral_norm_parametrization():
    lin = _linear(3, 4)
    w = _np(lin.weight).copy()
    nn.utils.parametrizations.spectral_norm(lin)
    sn = lin.parametrizations.weight[0]
    u0, v0 = _np(sn._u).copy(), _np(sn._v).copy()
    weight = _np(lin.weight)  # training mode: one step (u from v, then v from u)
    u1 = _normalize(w @ v0)
    v1 = _normalize(w.T @ u1)
    np.testing.assert_allclose(_np(sn._u), u1)
    np.testing.assert_allclose(weight, w / (u1 @ w @ v1))
    assert np.isclose(np.linalg.svd(weight, compute_uv=False)[0], 1.0, atol=1e-3)  # 15 steps at creation
    lin.eval()
    np.testing.assert_allclose(_np(lin.weight), w / (u1 @ w @ v1))
    np.testing.assert_allclose(_np(sn._u), u1)
    vec = nn.Module()
    vec.register_buffer("b", nb.tensor([3.0, 4.0]))
    nn.utils.parametrizations.spectral_norm(vec, "b")
    np.testing.assert_allclose(_np(vec.b), [0.6, 0.8])
    assert np.allclose(u0 @ u0, 1.0)


def _copy_to_torch(torch, nmod, tmod):
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(nmod.named_parameters(), tmod.named_parameters()):
            assert name == tname
            tp.copy_(torch.tensor(_np(p)))


def test_spectral_norm_hooks_match_torch():
    torch = _torch()
    nconv, tconv = nn.ConvTranspose2d(2, 3, 3).double(), torch.nn.ConvTranspose2d(2, 3, 3).double()
    _copy_to_torch(torch, nconv, tconv)
    nn.utils.spectral_norm(nconv, n_power_iterations=2)  # dim 1 for a transposed convolution
    torch.nn.utils.spectral_norm(tconv, n_power_iterations=2)
    with nb.no_grad():
        nconv.weight_u.copy_(nb.tensor(tconv.weight_u.numpy()))
        nconv.weight_v.copy_(nb.tensor(tconv.weight_v.numpy()))
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4))
    for train in (True, True, False):
        nconv.train(train)
        tconv.train(train)
        nconv(nb.tensor(x)).square().sum().backward()
        tconv(torch.tensor(x)).square().sum().backward()
        for name in ("weight", "weight_u", "weight_v"):
            np.testing.assert_allclose(_np(getattr(nconv, name)), getattr(tconv, name).detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(_np(nconv.weight_orig.grad), tconv.weight_orig.grad.numpy(), rtol=1e-8)


def test_spectral_norm_parametrization_matches_torch():
    torch = _torch()
    nlin, tlin = nn.Linear(4, 5).double(), torch.nn.Linear(4, 5).double()
    _copy_to_torch(torch, nlin, tlin)
    nn.utils.parametrizations.spectral_norm(nlin)
    torch.nn.utils.parametrizations.spectral_norm(tlin)
    nsn, tsn = nlin.parametrizations.weight[0], tlin.parametrizations.weight[0]
    with nb.no_grad():
        nsn._u.copy_(nb.tensor(tsn._u.numpy()))
        nsn._v.copy_(nb.tensor(tsn._v.numpy()))
    x = np.random.default_rng(4).standard_normal((3, 4))
    for train in (True, False):
        nlin.train(train)
        tlin.train(train)
        nlin(nb.tensor(x)).square().sum().backward()
        tlin(torch.tensor(x)).square().sum().backward()
        np.testing.assert_allclose(_np(nsn._u), tsn._u.numpy(), rtol=1e-10)
        np.testing.assert_allclose(_np(nsn._v), tsn._v.numpy(), rtol=1e-10)
        np.testing.assert_allclose(_np(nlin.parametrizations.weight.original.grad),
                                   tlin.parametrizations.weight.original.grad.numpy(), rtol=1e-8)


# ------------------------------------------------------------ orthogonal
ORTH_CASES = [((5, 3), None, True), ((3, 5), None, True), ((4, 4), None, True), ((4, 4), "cayley", True),
              ((5, 3), "cayley", True),
              # (slow in the CUDA simulator, where every GPU thread is a Python thread)
              pytest.param((5, 3), "matrix_exp", True, marks=pytest.mark.large), ((5, 3), "householder", False),
              ((3, 4, 4), "householder", True)]


def _off_diagonal_step(rng, shape):
    """A random step with a zero diagonal (the householder map uses the diagonal's integer
    part as a sign, so a step there may zero a column, in torch as here)."""
    step = rng.standard_normal(shape) * 0.3
    return step * (1 - np.eye(shape[-2], shape[-1]))


def _module_with(weight):
    mod = nn.Module()
    mod.weight = nn.Parameter(nb.tensor(weight))
    return mod


@pytest.mark.parametrize("shape,orthogonal_map,trivial", ORTH_CASES)
def test_orthogonal_has_orthonormal_columns_and_takes_assignments(shape, orthogonal_map, trivial):
    rng = np.random.default_rng(7)
    mod = _module_with(rng.standard_normal(shape))
    nn.utils.parametrizations.orthogonal(mod, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    with nb.no_grad():
        mod.parametrizations.weight.original.add_(nb.tensor(_off_diagonal_step(rng, shape)))
    q = _np(mod.weight)
    gram = q @ np.swapaxes(q, -1, -2) if shape[-2] < shape[-1] else np.swapaxes(q, -1, -2) @ q
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(min(shape[-2:])), gram.shape), atol=1e-12)
    target = np.linalg.qr(rng.standard_normal(shape[:-2] + (max(shape[-2:]), min(shape[-2:]))))[0]
    target = np.swapaxes(target, -1, -2) if shape[-2] < shape[-1] else target
    mod.weight = nb.tensor(target)
    np.testing.assert_allclose(_np(mod.weight), target, atol=1e-12)


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_orthogonal_gradients():
    from nbtensor.nn.utils._orthogonal import OrthMaps, Orthogonal, householder_product
    a = nb.randn(4, 3, dtype=nb.float64, requires_grad=True)
    tau = nb.rand(3, dtype=nb.float64, requires_grad=True)
    assert gradcheck(householder_product, (a, tau))
    for orthogonal_map in OrthMaps:
        orth = Orthogonal(a, orthogonal_map, use_trivialization=False)
        assert gradcheck(orth, (nb.randn(4, 3, dtype=nb.float64, requires_grad=True),))


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        nn.utils.parametrizations.orthogonal(_linear(), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         "Got: qr"):
        nn.utils.parametrizations.orthogonal(_linear(), orthogonal_map="qr")
    plain = nn.utils.parametrizations.orthogonal(_linear(), use_trivialization=False)  # (kept as it is)
    with pytest.raises(NotImplementedError, match="It is not possible to assign to the matrix exponential or the "
                                                  "Cayley parametrizations when use_trivialization=False."):
        plain.weight = nb.eye(3, dtype=nb.float64)
    lin = nn.utils.parametrizations.orthogonal(_linear())
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
        lin.weight = nb.eye(2, dtype=nb.float64)


@pytest.mark.parametrize("shape,orthogonal_map,trivial", ORTH_CASES)
def test_orthogonal_matches_torch(shape, orthogonal_map, trivial):
    torch = _torch()
    rng = np.random.default_rng(8)
    w = rng.standard_normal(shape)
    mine, theirs = _module_with(w), torch.nn.Module()
    theirs.weight = torch.nn.Parameter(torch.tensor(w))
    nn.utils.parametrizations.orthogonal(mine, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    pm, tp = mine.parametrizations.weight, theirs.parametrizations.weight
    if trivial:  # (a wide or tall base is completed with random columns: take torch's)
        pm[0].base = nb.tensor(tp[0].base.numpy())
    np.testing.assert_allclose(_np(pm.original), tp.original.detach().numpy(), atol=1e-12)
    step = _off_diagonal_step(rng, shape)
    with torch.no_grad():
        tp.original.add_(torch.tensor(step))
    with nb.no_grad():
        pm.original.add_(nb.tensor(step))
    np.testing.assert_allclose(_np(mine.weight), theirs.weight.detach().numpy(), atol=1e-12)
    (mine.weight ** 3).sum().backward()
    (theirs.weight ** 3).sum().backward()
    np.testing.assert_allclose(_np(pm.original.grad), tp.original.grad.numpy(), atol=1e-11)


# ------------------------------------------------------------ batch-norm fusion
def _trained_bn(bn):
    """`bn` with non-trivial running statistics and affine parameters, in eval mode."""
    with nb.no_grad():
        bn.running_mean.copy_(nb.linspace(-1, 1, bn.num_features))
        bn.running_var.copy_(nb.linspace(0.5, 2, bn.num_features))
        bn.weight.copy_(nb.linspace(0.3, 1.7, bn.num_features))
        bn.bias.copy_(nb.linspace(-0.2, 0.4, bn.num_features))
    return bn.eval()


def test_fuse_conv_bn_eval():
    nb.manual_seed(0)
    conv, bn = nn.Conv2d(2, 3, 3).eval(), _trained_bn(nn.BatchNorm2d(3))
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    x = nb.randn(2, 2, 5, 5)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(conv(x))), rtol=1e-5, atol=1e-5)
    assert fused is not conv and isinstance(fused.weight, nn.Parameter)
    tconv = nn.ConvTranspose2d(2, 3, 3, bias=False).eval()
    fused = nn.utils.fuse_conv_bn_eval(tconv, bn, transpose=True)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(tconv(x))), rtol=1e-5, atol=1e-5)
    assert not fused.bias.requires_grad  # made from zeros, as torch
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)


def test_fuse_linear_bn_eval():
    nb.manual_seed(0)
    lin, bn = nn.Linear(4, 3).eval(), _trained_bn(nn.BatchNorm1d(3))
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    x = nb.randn(5, 4)
    np.testing.assert_allclose(_np(fused(x)), _np(bn(lin(x))), rtol=1e-5, atol=1e-5)
    w, b = nn.utils.fuse_linear_bn_weights(lin.weight, None, bn.running_mean, bn.running_var, bn.eps, bn.weight,
                                           bn.bias)
    np.testing.assert_allclose(_np(x @ w.T + b), _np(bn(lin(x) - lin.bias)), rtol=1e-5, atol=1e-5)
    with pytest.raises(AssertionError, match="To fuse, linear.out_features == bn.num_features or bn.num_features == "
                                             "1, got linear.out_features=3 and bn.num_features=2"):
        nn.utils.fuse_linear_bn_eval(lin, nn.BatchNorm1d(2).eval())


def test_fusion_matches_torch():
    torch = _torch()
    nconv, tconv = nn.Conv2d(2, 3, 3).double().eval(), torch.nn.Conv2d(2, 3, 3).double().eval()
    _copy_to_torch(torch, nconv, tconv)
    nbn, tbn = _trained_bn(nn.BatchNorm2d(3).double()), torch.nn.BatchNorm2d(3).double().eval()
    with torch.no_grad():
        for name in ("running_mean", "running_var", "weight", "bias"):
            getattr(tbn, name).copy_(torch.tensor(_np(getattr(nbn, name))))
    mine, theirs = nn.utils.fuse_conv_bn_eval(nconv, nbn), torch.nn.utils.fuse_conv_bn_eval(tconv, tbn)
    for name in ("weight", "bias"):
        np.testing.assert_allclose(_np(getattr(mine, name)), getattr(theirs, name).detach().numpy(), rtol=1e-12)
        assert getattr(mine, name).requires_grad == getattr(theirs, name).requires_grad


# ------------------------------------------------------------ functional_call
class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("shift", nb.zeros(2))

    def forward(self, x, scale=1.0):
        return self.fc(x) * scale + self.shift


def test_functional_call_substitutes_and_restores():
    net = TwoLayer()
    own = {n: t for n, t in net.named_parameters()}
    w = nb.ones(2, 3, requires_grad=True)
    x = nb.tensor([[1.0, 2.0, 3.0]])
    out = nb.func.functional_call(net, {"fc.weight": w, "shift": nb.tensor([10.0, 20.0])}, (x,), {"scale": 2.0})
    np.testing.assert_allclose(_np(out), ((6.0 + _np(net.fc.bias)) * 2 + [10.0, 20.0])[None], rtol=1e-6)
    assert net.fc.weight is own["fc.weight"] and float(net.shift.sum()) == 0.0
    out.sum().backward()
    np.testing.assert_allclose(_np(w.grad), np.full((2, 3), [2.0, 4.0, 6.0]))
    assert own["fc.weight"].grad is None
    single = nb.func.functional_call(net, ({"fc.weight": w}, {"fc.bias": nb.zeros(2)}), x)
    np.testing.assert_allclose(_np(single), [[6.0, 6.0]])


def test_functional_call_restores_after_an_error():
    net = TwoLayer()
    weight = net.fc.weight
    with pytest.raises(RuntimeError):
        nb.func.functional_call(net, {"fc.weight": nb.ones(2, 3)}, (nb.ones(1, 4),))
    assert net.fc.weight is weight


def test_functional_call_ties_and_strict():
    net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    net[1].weight = net[0].weight  # tied
    eye = nb.eye(2)
    out = nb.func.functional_call(net, {"0.weight": eye}, nb.tensor([[1.0, 2.0]]))
    np.testing.assert_allclose(_np(out), [[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"functional_call got multiple values for keys \['0.weight', '1.weight'\], "
                                         "which are tied. Consider using tie_weights=False"):
        nb.func.functional_call(net, {"0.weight": eye, "1.weight": eye * 2}, nb.ones(1, 2))
    untied = nb.func.functional_call(net, {"0.weight": eye * 2}, nb.ones(1, 2), tie_weights=False)
    np.testing.assert_allclose(_np(untied), _np(nb.ones(1, 2) @ (2 * eye) @ net[0].weight.T))
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Sequential:\n\tUnexpected key\\(s\\): "
                                           "'x'.\n\tMissing key\\(s\\): '1.weight'."):
        nb.func.functional_call(net, {"0.weight": eye, "x": eye}, nb.ones(1, 2), strict=True, tie_weights=False)
    with pytest.raises(ValueError, match=r"\['a'\] appeared in multiple dictionaries; behavior of functional call is "
                                         "ambiguous"):
        nb.func.functional_call(net, ({"a": eye}, {"a": eye}), nb.ones(1, 2))


def test_stateless_functional_call_is_deprecated():
    net = TwoLayer()
    with pytest.warns(FutureWarning, match="Please use `torch.func.functional_call` instead"):
        out = nn.utils.stateless.functional_call(net, {"shift": nb.ones(2)}, nb.zeros(1, 3))
    np.testing.assert_allclose(_np(out), _np(net.fc.bias)[None] + 1)


def test_functional_call_matches_torch():
    torch = _torch()
    nnet, tnet = nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    _copy_to_torch(torch, nnet, tnet)
    w = np.random.default_rng(5).standard_normal((2, 3))
    x = np.random.default_rng(6).standard_normal((4, 3))
    nw, tw = nb.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    mine = nb.func.functional_call(nnet, {"weight": nw}, (nb.tensor(x),))
    theirs = torch.func.functional_call(tnet, {"weight": tw}, (torch.tensor(x),))
    np.testing.assert_allclose(_np(mine), theirs.detach().numpy(), rtol=1e-12)
    mine.square().sum().backward()
    theirs.square().sum().backward()
    np.testing.assert_allclose(_np(nw.grad), tw.grad.numpy(), rtol=1e-12)
