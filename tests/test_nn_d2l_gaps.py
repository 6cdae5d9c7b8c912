"""nn features D2L uses beyond chapters 3–4: more losses, in-place layers, parameter printing,
load_state_dict's result, attribute assignment, Sequential editing and LazyLinear."""
import copy
import warnings

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
RNG = np.random.default_rng(7)

X = np.array([0.5, -2.0, 0.25, 3.0], dtype=np.float32)
Y = np.array([0.0, 0.0, 1.0, 1.0], dtype=np.float32)  # differences 0.5, -2, -0.75, 2


def _np(t):
    return t.detach().cpu().numpy()


# ------------------------------------------------------------------ 1. losses
@pytest.mark.parametrize("name, kwargs, expected", [
    ("l1_loss", {}, [0.5, 2.0, 0.75, 2.0]),
    ("mse_loss", {}, [0.25, 4.0, 0.5625, 4.0]),
    ("smooth_l1_loss", {}, [0.125, 1.5, 0.28125, 1.5]),
    ("smooth_l1_loss", {"beta": 2.0}, [0.0625, 1.0, 0.140625, 1.0]),
    ("smooth_l1_loss", {"beta": 0.0}, [0.5, 2.0, 0.75, 2.0]),
    ("huber_loss", {}, [0.125, 1.5, 0.28125, 1.5]),
    ("huber_loss", {"delta": 2.0}, [0.125, 2.0, 0.28125, 2.0]),
])
def test_regression_losses_by_hand(name, kwargs, expected):
    x, y = nb.tensor(X), nb.tensor(Y)
    fn = getattr(F, name)
    np.testing.assert_allclose(_np(fn(x, y, reduction="none", **kwargs)), expected, rtol=1e-6)
    np.testing.assert_allclose(float(fn(x, y, reduction="sum", **kwargs)), sum(expected), rtol=1e-6)
    np.testing.assert_allclose(float(fn(x, y, **kwargs)), np.mean(expected), rtol=1e-6)


@pytest.mark.parametrize("name, each", [("mse_loss", [1.0, 4.0, 9.0]), ("l1_loss", [1.0, 2.0, 3.0]),
                                        ("huber_loss", [0.5, 1.5, 2.5])])
def test_weighted_regression_losses_by_hand(name, each):
    x, y, w = nb.tensor([1.0, 2.0, 3.0]), nb.zeros(3), nb.tensor([1.0, 0.0, 2.0])
    weighted = [e * wi for e, wi in zip(each, [1.0, 0.0, 2.0])]
    assert float(getattr(F, name)(x, y, weight=w)) == pytest.approx(sum(weighted) / 3)
    assert float(getattr(F, name)(x, y, weight=w, reduction="sum")) == pytest.approx(sum(weighted))


def test_loss_modules_pass_their_settings():
    x, y = nb.tensor(X), nb.tensor(Y)
    assert float(nn.HuberLoss(delta=2.0)(x, y)) == pytest.approx(np.mean([0.125, 2.0, 0.28125, 2.0]))
    assert float(nn.SmoothL1Loss(beta=2.0, reduction="sum")(x, y)) == pytest.approx(2.203125)
    assert float(nn.L1Loss(reduction="sum")(x, y)) == pytest.approx(5.25)
    assert repr(nn.HuberLoss()) == "HuberLoss()" and nn.SmoothL1Loss(beta=3).beta == 3


def test_bce_by_hand_with_weight_and_log_clamp():
    p, t = nb.tensor([0.25, 0.5, 0.0]), nb.tensor([1.0, 0.0, 1.0])
    expected = [-np.log(0.25), -np.log(0.5), 100.0]  # log(0) clamped at -100
    np.testing.assert_allclose(_np(F.binary_cross_entropy(p, t, reduction="none")), expected, rtol=1e-6)
    w = nb.tensor([2.0, 1.0, 0.0])
    loss = nn.BCELoss(weight=w)(p, t)
    assert float(loss) == pytest.approx((2 * expected[0] + expected[1]) / 3, rel=1e-6)
    assert [name for name, _ in nn.BCELoss(weight=w).named_buffers()] == ["weight"]
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(nb.tensor([1.5]), nb.tensor([1.0]))
    with pytest.raises(ValueError, match="is deprecated. Please ensure they have the same size"):
        F.binary_cross_entropy(nb.tensor([[0.5], [0.5]]), nb.tensor([1.0, 0.0]))


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss, F.binary_cross_entropy])
def test_bad_reduction_raises(fn):
    with pytest.raises(ValueError, match="^bad is not a valid value for reduction$"):
        fn(nb.tensor([0.5]), nb.tensor([1.0]), reduction="bad")


def test_nonpositive_delta_and_negative_beta_raise():
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta."):
        F.huber_loss(nb.tensor(X), nb.tensor(Y), delta=0.0)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        F.smooth_l1_loss(nb.tensor(X), nb.tensor(Y), beta=-1.0)


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.HuberLoss(), nn.SmoothL1Loss()])
def test_target_size_mismatch_warns(loss):
    x, y = nb.zeros(3, 1), nb.zeros(3)
    with pytest.warns(UserWarning) as record:
        loss(x, y)
    assert str(record[0].message) == (
        f"Using a target size ({y.shape!r}) that is different to the input size ({x.shape!r}). This will likely "
        "lead to incorrect results due to broadcasting. Please ensure they have the same size.")
    assert "nbtensor.Size([3])" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(x, nb.zeros(3, 1))  # same size: silent


@needs_torch
@pytest.mark.parametrize("name, kwargs", [
    ("l1_loss", {}), ("huber_loss", {"delta": 0.7}), ("smooth_l1_loss", {"beta": 0.7}),
    ("binary_cross_entropy", {}), ("binary_cross_entropy", {"weight": True}),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_and_gradients_match_torch(name, kwargs, reduction):
    shape = (5, 3)
    if name == "binary_cross_entropy":
        a = RNG.uniform(0.05, 0.95, shape).astype(np.float32)
        b = RNG.uniform(0, 1, shape).astype(np.float32)
    else:
        a, b = (RNG.standard_normal(shape).astype(np.float32) for _ in range(2))
    if kwargs.get("weight"):
        w = RNG.uniform(0, 2, shape[-1:]).astype(np.float32)
        kwargs = {"weight": nb.tensor(w)}, {"weight": torch.tensor(w)}
    else:
        kwargs = kwargs, kwargs
    x, t = nb.tensor(a, requires_grad=True), nb.tensor(b, requires_grad=True)
    tx, tt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours = getattr(F, name)(x, t, reduction=reduction, **kwargs[0])
    theirs = getattr(torch.nn.functional, name)(tx, tt, reduction=reduction, **kwargs[1])
    np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = RNG.standard_normal(theirs.shape).astype(np.float32)
    ours.backward(nb.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(_np(t.grad), tt.grad.numpy(), rtol=1e-4, atol=1e-6)


@needs_torch
def test_bce_gradient_at_the_edges_matches_torch():
    p, t = [0.0, 1.0, 0.5, 0.0], [0.0, 1.0, 1.0, 1.0]
    x, tx = nb.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    F.binary_cross_entropy(x, nb.tensor(t)).backward()
    torch.nn.functional.binary_cross_entropy(tx, torch.tensor(t)).backward()
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(), rtol=1e-5)


# ------------------------------------------------------------------ 2. in-place layers
def test_relu_inplace_modifies_its_input():
    x = nb.tensor([-1.0, 2.0])
    out = nn.ReLU(inplace=True)(x)
    assert out is x and x.tolist() == [0.0, 2.0]
    y = nb.tensor([-1.0, 2.0])
    nn.ReLU()(y)
    assert y.tolist() == [-1.0, 2.0]
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)" and repr(nn.ReLU()) == "ReLU()"


def test_dropout_inplace_modifies_its_input():
    x = nb.ones(1000)
    out = nn.Dropout(0.5, inplace=True)(x)
    assert out is x
    values = set(x.tolist())
    assert values == {0.0, 2.0}
    assert nn.Dropout(1.0, inplace=True)(x) is x and x.sum().item() == 0.0
    y = nb.ones(10)
    nn.Dropout(0.5)(y)
    assert y.tolist() == [1.0] * 10
    z = nb.ones(10)
    layer = nn.Dropout(0.5, inplace=True).eval()
    assert layer(z) is z and z.tolist() == [1.0] * 10


# ------------------------------------------------------------------ 3. printing a parameter
@pytest.mark.cpu_only  # (compares text that names the device's type on another device)
def test_parameter_prints_with_torchs_prefix():
    net = nn.Sequential(nn.Linear(2, 1))
    with nb.no_grad():
        net[0].bias.fill_(0.0)
    expected = "Parameter containing:\ntensor([0.], requires_grad=True)"
    assert repr(net[0].bias) == expected and str(net[0].bias) == expected
    frozen = nn.Parameter(nb.tensor([1.0, 2.0]), requires_grad=False)
    assert repr(frozen) == "Parameter containing:\ntensor([1., 2.])"
    assert repr(net[0].bias * 2) == "tensor([0.], grad_fn=<MulBackward0>)"  # results are plain tensors
    assert repr(nb.tensor([0.0])) == "tensor([0.])"
    assert type(net[0].bias) is nb.Tensor and isinstance(net[0].bias, nn.Parameter)


@pytest.mark.cpu_only  # (compares text that names the device's type on another device)
@needs_torch
def test_parameter_repr_matches_torch():
    ours, theirs = nn.Parameter(nb.tensor([[1.5, -2.0]])), torch.nn.Parameter(torch.tensor([[1.5, -2.0]]))
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)


# ------------------------------------------------------------------ 4. load_state_dict's result
def test_load_state_dict_result_prints_as_torch():
    net = nn.Linear(2, 1)
    result = net.load_state_dict(net.state_dict())
    assert repr(result) == str(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    result = net.load_state_dict({"weight": nb.zeros(1, 2), "extra": nb.zeros(1)}, strict=False)
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])"
    missing, unexpected = result
    assert (missing, unexpected) == (["bias"], ["extra"]) and type(result).__name__ == "_IncompatibleKeys"
    assert net.weight.tolist() == [[0.0, 0.0]]


# ------------------------------------------------------------------ 5. assigning to a parameter's name
@pytest.mark.cpu_only  # (compares text that names the device's type on another device)
def test_assigning_a_plain_tensor_to_a_parameter_name_raises():
    layer = nn.Linear(2, 1)
    with pytest.raises(TypeError) as info:
        layer.weight = nb.zeros(1, 2)
    assert str(info.value) == ("cannot assign 'torch.FloatTensor' as parameter 'weight' "
                               "(torch.nn.Parameter or None expected)")
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter 'bias'"):
        layer.bias = 3
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module '0' \(torch.nn.Module or None"):
        setattr(nn.Sequential(nn.ReLU()), "0", 3)
    assert "weight" in layer._parameters


def test_reassigning_a_parameter_keeps_its_place_and_none_works():
    layer = nn.Linear(2, 1)
    layer.weight = nn.Parameter(nb.ones(1, 2))
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert [p.shape for p in layer.parameters()] == [(1, 2), (1,)]
    layer.weight = None
    assert layer.weight is None and list(layer.state_dict()) == ["bias"]
    layer.weight = nn.Parameter(nb.ones(1, 2))
    assert list(layer.state_dict()) == ["weight", "bias"]
    layer.scale = nb.ones(1)  # a new name: a plain attribute, not registered
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.scale.tolist() == [1.0]


@pytest.mark.cpu_only  # (compares text that names the device's type on another device)
@needs_torch
def test_assignment_rules_match_torch():
    def outcome(mod, tensor, param):
        try:
            mod.weight = tensor
        except TypeError as e:
            first = str(e)
        else:
            first = None
        mod.bias = None
        mod.weight = param
        return first, list(mod.state_dict())
    ours = outcome(nn.Linear(2, 1), nb.zeros(1, 2), nn.Parameter(nb.ones(1, 2)))
    theirs = outcome(torch.nn.Linear(2, 1), torch.zeros(1, 2), torch.nn.Parameter(torch.ones(1, 2)))
    assert ours == theirs


# ------------------------------------------------------------------ 6. editing Sequential / ModuleList
def _layout(container):
    return [(name, type(m).__name__) for name, m in container._modules.items()]


def _edit(nn_, container):
    """The same edits on either library's container; the layout after each."""
    layouts = []
    modules = [nn_.ReLU(), nn_.Tanh(), nn_.Sigmoid(), nn_.Identity()]
    net = container(*modules) if container.__name__ == "Sequential" else container(modules)
    del net[1]
    layouts.append(_layout(net))
    net[-1] = nn_.Tanh()
    net.insert(1, nn_.ReLU())
    net.insert(len(net) - 1, nn_.Sigmoid())  # (torch's ModuleList.insert takes no negative index)
    layouts.append(_layout(net))
    net.extend([nn_.Identity(), nn_.ReLU()])
    net.append(nn_.Tanh())
    del net[1:6:2]
    layouts.append(_layout(net) + [len(net)])
    layouts.append((type(net[1:]).__name__, _layout(net[1:])))
    popped = net.pop(0)
    layouts.append((type(popped).__name__, _layout(net)))
    return layouts


@pytest.mark.parametrize("container", ["Sequential", "ModuleList"])
def test_container_editing_by_hand(container):
    layouts = _edit(nn, getattr(nn, container))
    assert layouts[0] == [("0", "ReLU"), ("1", "Sigmoid"), ("2", "Identity")]
    assert layouts[1] == [("0", "ReLU"), ("1", "ReLU"), ("2", "Sigmoid"), ("3", "Sigmoid"), ("4", "Tanh")]
    assert layouts[2] == [("0", "ReLU"), ("1", "Sigmoid"), ("2", "Tanh"), ("3", "ReLU"), ("4", "Tanh"), 5]


@needs_torch
@pytest.mark.parametrize("container", ["Sequential", "ModuleList"])
def test_container_editing_matches_torch(container):
    assert _edit(nn, getattr(nn, container)) == _edit(torch.nn, getattr(torch.nn, container))


def test_sequential_edits_change_what_it_computes_and_its_parameters():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    net[1] = nn.Identity()
    with nb.no_grad():
        for p in net.parameters():
            p.fill_(1.0)
    assert net(nb.tensor([[-1.0, -1.0]])).tolist() == [[-2.0]]  # no ReLU any more: 3 * (-2 + 1) + 1
    del net[1:]
    assert list(net.state_dict()) == ["0.weight", "0.bias"] and net(nb.tensor([[1.0, 1.0]])).shape == (1, 3)
    assert len(nn.Sequential(nn.ReLU()).extend(nn.Sequential(nn.Tanh(), nn.ReLU()))) == 3


def test_container_index_errors():
    net = nn.Sequential(nn.ReLU(), nn.Tanh())
    for action in (lambda: net[2], lambda: net.__setitem__(-3, nn.ReLU()), lambda: net.__delitem__(2)):
        with pytest.raises(IndexError, match="out of range"):
            action()
    with pytest.raises(IndexError, match="^Index out of range: 3$"):
        net.insert(3, nn.ReLU())
    with pytest.raises(AssertionError, match="module should be of type"):
        net.insert(0, 3)
    with pytest.raises(TypeError, match="^ModuleList.extend should be called with an iterable, but got int$"):
        nn.ModuleList().extend(3)
    assert nn.ModuleList([nn.ReLU()]).insert(0, nn.Tanh()) is None


def test_sequential_insert_counts_a_negative_index_from_the_end():
    net = nn.Sequential(nn.ReLU(), nn.Tanh()).insert(-1, nn.Sigmoid())
    assert _layout(net) == [("0", "ReLU"), ("1", "Sigmoid"), ("2", "Tanh")]


# ------------------------------------------------------------------ 7. LazyLinear
def test_lazy_linear_before_its_first_forward():
    layer = nn.LazyLinear(3)
    assert repr(layer) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert repr(layer.weight) == str(layer.bias) == "<UninitializedParameter>"
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.weight, nn.UninitializedParameter)
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.state_dict()["weight"] is layer.weight
    with pytest.raises(ValueError, match="^Attempted to use an uninitialized parameter in .*'sum'"):
        layer.weight.sum()
    with pytest.raises(RuntimeError, match="^Can't access the shape of an uninitialized parameter"):
        _ = layer.weight.shape
    for use in (lambda w: w + 1, lambda w: 2 * w, lambda w: w[0], lambda w: w.t()):
        with pytest.raises(ValueError, match="^Attempted to use an uninitialized parameter in "):
            use(layer.weight)
    without_bias = nn.LazyLinear(2, bias=False)
    assert without_bias.bias is None and list(without_bias.state_dict()) == ["weight"]


def test_lazy_linear_infers_in_features_and_becomes_linear():
    net = nn.Sequential(nn.LazyLinear(2), nn.ReLU(), nn.LazyLinear(1, bias=False))
    weight = net[0].weight
    optimizer = nb.optim.SGD(net.parameters(), lr=0.5)  # made before the parameters have a shape
    x = nb.ones(4, 5)
    out = net(x)
    assert type(net[0]) is nn.Linear and net[0].weight is weight and type(weight) is nb.Tensor
    assert repr(net[0]) == "Linear(in_features=5, out_features=2, bias=True)"
    assert repr(net[2]) == "Linear(in_features=2, out_features=1, bias=False)"
    assert weight.shape == (2, 5) and net[0].bias.shape == (2,) and net[2].weight.shape == (1, 2)
    assert isinstance(weight, nn.Parameter) and weight.requires_grad and weight.is_leaf
    bound = 1 / np.sqrt(5)  # Linear's initialisation, uniform in ±1/sqrt(in_features)
    assert np.abs(_np(weight)).max() <= bound and np.abs(_np(net[0].bias)).max() <= bound
    expected = np.maximum(_np(x) @ _np(weight).T + _np(net[0].bias), 0) @ _np(net[2].weight).T
    np.testing.assert_allclose(_np(out), expected, rtol=1e-5)
    before = _np(weight).copy()
    out.sum().backward()
    optimizer.step()
    np.testing.assert_allclose(_np(weight), before - 0.5 * _np(weight.grad), rtol=1e-6)
    assert repr(net[0].bias).startswith("Parameter containing:\ntensor([")


@needs_torch
def test_lazy_linear_matches_torch_text():
    ours, theirs = nn.LazyLinear(4), torch.nn.LazyLinear(4)
    assert repr(ours) == repr(theirs) and repr(ours.weight) == repr(theirs.weight)
    ours(nb.ones(2, 3))
    theirs(torch.ones(2, 3))
    assert repr(ours) == repr(theirs)


def test_lazy_linear_keeps_the_dtype_it_is_moved_to():
    layer = nn.LazyLinear(3).double()
    out = layer(nb.ones(2, 4, dtype=nb.float64))
    assert out.dtype is nb.float64 and layer.weight.dtype is nb.float64 and layer.bias.dtype is nb.float64


def test_deep_copies_keep_parameters_and_lazy_parameters_apart():
    lazy = nn.Sequential(nn.LazyLinear(2))
    twin = copy.deepcopy(lazy)
    assert isinstance(twin[0].weight, nn.UninitializedParameter) and twin[0].weight is not lazy[0].weight
    twin(nb.ones(1, 3))
    assert type(twin[0]) is nn.Linear and type(lazy[0]) is nn.LazyLinear
    copied = copy.deepcopy(twin)
    assert all(isinstance(p, nn.Parameter) for p in copied.parameters())
    assert repr(copied[0].bias).startswith("Parameter containing:")


def test_linear_refuses_mixed_dtypes_with_torchs_messages():
    # (D2L 2.2's pandas data is float64: fed to a float32 nn.Linear, torch raises, never promotes)
    net = nb.nn.Linear(4, 3)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        net(nb.ones(2, 4, dtype=nb.float64))
    with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Double and Float"):
        nb.nn.functional.linear(nb.ones(2, 4), nb.ones(3, 4), nb.ones(3, dtype=nb.float64))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        nb.nn.functional.linear(nb.ones(2, 4, dtype=nb.float64), nb.ones(3, 4))  # (no bias: matmul's)
