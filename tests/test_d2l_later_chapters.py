"""What D2L chapters 6-11 do that earlier tests missed: loading a saved state dict into a
fresh model built of lazy layers (the book's ``clone.load_state_dict(torch.load(...))``
before any forward; also saving one before its first forward, and ``assign=True``), the
name checks of ``add_module`` and of assignments before ``Module.__init__``, a layer shared
under two names (6.2.3: one child, every name in the state dict), the forms of an LSTM's
state, the argument checks of adaptive pooling, and the dtype checks of the normalisation
layers and convolutions. The hand-made oracles run everywhere; with torch installed, the
same programs run on torch and the results are compared."""
import io

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.nn import functional as F

RNG = np.random.default_rng(11)


def _np(t):
    return t.detach().cpu().numpy()


def _torch():
    return pytest.importorskip("torch")


def _lenet(lib):
    """The book's LeNet with batch norm (8.5), every layer lazy, scaled down."""
    lnn = lib.nn
    return lnn.Sequential(
        lnn.LazyConv2d(3, kernel_size=3, padding=1), lnn.LazyBatchNorm2d(), lnn.Sigmoid(),
        lnn.AvgPool2d(kernel_size=2, stride=2), lnn.Flatten(),
        lnn.LazyLinear(5), lnn.LazyBatchNorm1d(), lnn.Sigmoid(), lnn.LazyLinear(4, bias=False))


def _batch():
    return RNG.standard_normal((4, 2, 6, 6)).astype(np.float32)


def _trained(lib, x, steps=2):
    """A lazy LeNet after a few SGD steps (so the running statistics are not the defaults)."""
    net = _lenet(lib)
    opt = lib.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        (net(x) ** 2).sum().backward()
        opt.step()
    return net


# ------------------------------------------------------------------ lazy models and state dicts
@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_state_dict_loads_into_a_lazy_model_before_its_first_forward():
    x = nb.tensor(_batch())
    net = _trained(nb, x)
    buffer = io.BytesIO()
    nb.save(net.state_dict(), buffer)
    buffer.seek(0)
    clone = _lenet(nb)
    result = clone.load_state_dict(nb.load(buffer))
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, mine), (_, theirs) in zip(clone.state_dict().items(), net.state_dict().items()):
        np.testing.assert_array_equal(_np(mine), _np(theirs), err_msg=name)
    net.eval(), clone.eval()
    np.testing.assert_array_equal(_np(clone(x)), _np(net(x)))  # the first forward keeps what was loaded
    net.train(), clone.train()
    np.testing.assert_array_equal(_np(clone(x)), _np(net(x)))
    assert type(clone[0]) is nn.Conv2d and type(clone[1]) is nn.BatchNorm2d and type(clone[5]) is nn.Linear


@pytest.mark.large  # (slow in the CUDA simulator: every GPU thread is a Python thread)
def test_a_loaded_lazy_model_trains_like_the_original():
    x = nb.tensor(_batch())
    net = _trained(nb, x, steps=1)
    clone = _lenet(nb)
    clone.load_state_dict(net.state_dict())
    for model in (net, clone):
        opt = nb.optim.SGD(model.parameters(), lr=0.1)
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        opt.step()
    for (name, a), (_, b) in zip(net.state_dict().items(), clone.state_dict().items()):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-7, err_msg=name)


def test_loaded_lazy_linear_checks_the_input_against_the_weight():
    lin = nn.LazyLinear(3)
    lin.load_state_dict({"weight": nb.ones(3, 2), "bias": nb.zeros(3)})
    assert tuple(lin.weight.shape) == (3, 2) and lin.in_features == 0
    with pytest.raises(AssertionError, match="in_features inferred from input: 4 is not equal to in_features from "
                                             "self.weight: 2"):
        lin(nb.ones(1, 4))
    np.testing.assert_array_equal(_np(lin(nb.ones(1, 2))), [[2.0, 2.0, 2.0]])
    assert type(lin) is nn.Linear and lin.in_features == 2


def test_a_failed_load_leaves_the_lazy_model_uninitialised():
    net = nn.Sequential(nn.LazyLinear(3), nn.Linear(3, 2))
    state = {"0.weight": nb.ones(3, 5), "0.bias": nb.zeros(3), "1.weight": nb.ones(4, 3), "1.bias": nb.zeros(2)}
    with pytest.raises(RuntimeError, match=r"size mismatch for 1.weight: copying a param with shape "
                                           r"nbtensor.Size\(\[4, 3\]\) from checkpoint"):
        net.load_state_dict(state)
    assert isinstance(net[0].weight, nn.parameter.UninitializedParameter)
    assert tuple(net(nb.ones(2, 7)).shape) == (2, 2)  # still initialised from its first input


def test_uninitialised_state_loads_into_an_uninitialised_model():
    lazy = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d())
    assert str(lazy.load_state_dict(nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d()).state_dict())) == \
        "<All keys matched successfully>"
    assert isinstance(lazy[0].weight, nn.parameter.UninitializedParameter)
    assert tuple(lazy(nb.ones(2, 4)).shape) == (2, 3) and tuple(lazy[0].weight.shape) == (3, 4)


def test_lazy_load_matches_torch():
    torch = _torch()
    x = _batch()
    theirs = _trained(torch, torch.tensor(x))
    mine, clone = _lenet(nb), _lenet(torch)
    state = {k: nb.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    assert str(mine.load_state_dict(state)) == str(clone.load_state_dict(theirs.state_dict()))
    assert repr(mine) == repr(clone)
    for model in (mine, clone):
        model.eval()
    np.testing.assert_allclose(_np(mine(nb.tensor(x))), clone(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert repr(mine) == repr(clone)  # (torch leaves in_channels and num_features at 0)
    assert [(k, tuple(v.shape)) for k, v in mine.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in clone.state_dict().items()]


def test_lazy_batch_norm_without_state_matches_torch():
    torch = _torch()
    x = _batch()
    made = [lib.nn.LazyBatchNorm2d(affine=False, track_running_stats=False) for lib in (nb, torch)]
    np.testing.assert_allclose(_np(made[0](nb.tensor(x))), made[1](torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    assert repr(made[0]) == repr(made[1])


# ------------------------------------------------------------------ add_module's names
@pytest.mark.parametrize("name, error, message", [
    ("a.b", KeyError, "module name can't contain \".\", got: a.b"),
    (1, TypeError, "module name should be a string. Got int"),
    ("", KeyError, "module name can't be empty string \"\""),
    ("training", KeyError, "attribute 'training' already exists"),
])
def test_add_module_checks_the_name(name, error, message):
    net = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(error) as info:
        net.add_module(name, nn.ReLU())
    assert info.value.args[0] == message
    assert list(net._modules) == ["0"]


def test_add_module_replaces_a_child_and_refuses_other_attributes():
    net = nn.Sequential(nn.Linear(2, 2))
    net.add_module("0", nn.Tanh())
    net.add_module("block1", nn.ReLU())
    assert [type(m).__name__ for m in net] == ["Tanh", "ReLU"]
    net.extra = 3
    with pytest.raises(KeyError, match="attribute 'extra' already exists"):
        net.add_module("extra", nn.ReLU())


def test_add_module_errors_match_torch():
    torch = _torch()
    for name in ("a.b", 1, "", "training", "forward"):
        outcomes = []
        for lib in (nb, torch):
            try:
                lib.nn.Sequential().add_module(name, lib.nn.ReLU())
                outcomes.append(None)
            except (KeyError, TypeError) as e:
                outcomes.append((type(e), str(e)))
        assert outcomes[0] == outcomes[1], name


def _before_init(value):
    class Forgot(nn.Module):
        def __init__(self):  # (no super().__init__() first)
            self.value = value
            super().__init__()
    return Forgot()


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Linear(1, 1), "cannot assign module before Module.__init__() call"),
    (lambda: nn.Parameter(nb.ones(1)), "cannot assign parameters before Module.__init__() call"),
])
def test_assigning_before_module_init_names_what_was_assigned(make, message):
    with pytest.raises(AttributeError) as info:
        _before_init(make())
    assert str(info.value) == message


def test_a_plain_tensor_may_be_assigned_before_module_init():
    module = _before_init(nb.ones(2))
    np.testing.assert_array_equal(_np(module.value), [1.0, 1.0])
    assert list(module.state_dict()) == []


# ------------------------------------------------------------------ a layer shared by two names (6.2.3)
def _shared_net(lib):
    shared = lib.nn.Linear(3, 3)
    inner = lib.nn.Sequential(shared, lib.nn.ReLU())
    net = lib.nn.Sequential(lib.nn.Linear(2, 3), inner, shared, lib.nn.ReLU(), inner, lib.nn.Linear(3, 1))
    net.add_module("alias", shared)
    return net


def test_a_shared_child_is_one_child_but_keeps_all_its_names_in_the_state_dict():
    net = _shared_net(nb)
    assert [name for name, _ in net.named_children()] == ["0", "1", "2", "3", "5"]
    assert len(list(net.children())) == 5
    assert [name for name, _ in net.named_modules()] == ["", "0", "1", "1.0", "1.1", "3", "5"]
    assert [name for name, _ in net.named_modules(remove_duplicate=False)] == [
        "", "0", "1", "1.0", "1.1", "2", "3", "4", "4.0", "4.1", "5", "alias"]
    assert list(net.state_dict()) == [f"{k}.{p}" for k in ("0", "1.0", "2", "4.0", "5", "alias")
                                      for p in ("weight", "bias")]
    visits = []
    net.apply(lambda m: visits.append(type(m).__name__))  # (each child of a module once: "4" and "alias" skipped)
    assert visits == ["Linear", "Linear", "ReLU", "Sequential", "Linear", "ReLU", "Linear", "Sequential"]
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, nn.ReLU(), shared)  # (Sequential still runs every position)
    x = nb.tensor(RNG.standard_normal((3, 2)).astype(np.float32))
    w, b = _np(shared.weight), _np(shared.bias)
    np.testing.assert_allclose(_np(twice(x)), np.maximum(_np(x) @ w.T + b, 0) @ w.T + b, rtol=1e-5, atol=1e-6)


def test_shared_children_match_torch():
    torch = _torch()
    ours, theirs = _shared_net(nb), _shared_net(torch)
    for query in (lambda n: [k for k, _ in n.named_children()], lambda n: [k for k, _ in n.named_modules()],
                  lambda n: [k for k, _ in n.named_modules(remove_duplicate=False)], lambda n: list(n.state_dict()),
                  lambda n: [k for k, _ in n.named_parameters()], repr):
        assert query(ours) == query(theirs)
    seen = [], []
    ours.apply(lambda m: seen[0].append(type(m).__name__))
    theirs.apply(lambda m: seen[1].append(type(m).__name__))
    assert seen[0] == seen[1]


# ------------------------------------------------------------------ an LSTM's state
@pytest.mark.parametrize("make, error, message", [
    (lambda: nb.zeros(1, 2, 4), IndexError, "index 1 is out of bounds for dimension 0 with size 1"),
    (lambda: (nb.zeros(1, 2, 4),), IndexError, "tuple index out of range"),
    (lambda: (nb.zeros(1, 2, 4),) * 3, RuntimeError, "lstm expects two hidden states"),
    (lambda: nb.zeros(3, 2, 4), RuntimeError, r"hx and cx should also be 3-D but got \(2-D, 2-D\)"),
])
def test_lstm_state_forms(make, error, message):
    with pytest.raises(error, match=message):
        nn.LSTM(3, 4)(nb.ones(2, 2, 3), make())


def test_lstm_state_as_a_list_or_stacked_rows():
    lstm = nn.LSTM(3, 4)
    x, h, c = nb.tensor(RNG.standard_normal((2, 2, 3)).astype(np.float32)), nb.zeros(1, 2, 4), nb.ones(1, 2, 4)
    expected = lstm(x, (h, c))[0]
    np.testing.assert_array_equal(_np(lstm(x, [h, c])[0]), _np(expected))
    unbatched = lstm(x[:, 0], nb.stack([h[:, 0], c[:, 0]]))[0]  # (one sequence: other matrix products)
    np.testing.assert_allclose(_np(unbatched), _np(expected[:, 0]), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ adaptive pooling's checks
@pytest.mark.parametrize("fn", [F.adaptive_avg_pool2d, F.adaptive_max_pool2d])
@pytest.mark.parametrize("shape", [(5,), (4, 5)])
@pytest.mark.parametrize("size", [(1, 1), (2, None), [3, 2]])
def test_adaptive_pool2d_needs_more_dimensions_than_the_output_size(fn, shape, size):
    with pytest.raises(ValueError, match="^Input dimension should be at least 3$"):
        fn(nb.ones(shape), size)


def test_global_adaptive_average_is_a_mean_over_the_last_two_dimensions():
    x = RNG.standard_normal((2, 1, 2, 3, 4)).astype(np.float32)
    for size in (1, (1, 1)):
        np.testing.assert_allclose(_np(F.adaptive_avg_pool2d(nb.tensor(x), size)), x.mean((-1, -2), keepdims=True),
                                   rtol=1e-6)
    np.testing.assert_allclose(_np(F.adaptive_avg_pool2d(nb.tensor(x[0, 0, 0]), 1)), [[x[0, 0, 0].mean()]], rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D tensor, but got \[2, 1, 2, 3, 4\]"):
        F.adaptive_avg_pool2d(nb.tensor(x), 2)


@pytest.mark.parametrize("fn", [F.adaptive_avg_pool1d, F.adaptive_max_pool1d, F.avg_pool1d])
def test_pool1d_rank_message(fn):
    with pytest.raises(RuntimeError, match=r"^Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument "
                                           rf"#1 'self' \(while checking arguments for {fn.__name__}\)$"):
        fn(nb.ones(5), 1)


@pytest.mark.parametrize("fn, size, error, message", [
    (F.adaptive_avg_pool1d, None, TypeError, "must be tuple of ints, not NoneType"),
    (F.adaptive_max_pool1d, (1.5,), TypeError, "must be tuple of ints, but found element of type float at pos 0"),
    (F.adaptive_avg_pool1d, (1, 1), RuntimeError, r"should contain one int \(got 2\)"),
    (F.adaptive_avg_pool2d, None, TypeError, "object of type 'NoneType' has no len()"),
    (F.adaptive_max_pool2d, (True, 1), TypeError, "found element of type bool at pos 0"),
    (F.adaptive_avg_pool2d, (2, -2), RuntimeError, r"greater than or equal to 0 but received \{2, -2\}"),
    (F.adaptive_max_pool2d, (2, -2), RuntimeError, r"negative dimension -2: \[1, 2, 2, -2\]"),
])
def test_adaptive_pool_output_size_is_checked(fn, size, error, message):
    with pytest.raises(error, match=message):
        fn(nb.ones(1, 2, 3, 3) if "2d" in fn.__name__ else nb.ones(2, 3), size)


def test_adaptive_pool_to_an_empty_output():
    x = nb.ones(1, 2, 3, 3)
    assert tuple(F.adaptive_avg_pool2d(x, (0, 2)).shape) == (1, 2, 0, 2)
    values, indices = F.adaptive_max_pool2d(x, (2, 0), return_indices=True)
    assert tuple(values.shape) == (1, 2, 2, 0) and indices.dtype == nb.int64
    assert tuple(F.adaptive_max_pool1d(nb.ones(2, 3), 0).shape) == (2, 0)
    with pytest.raises(RuntimeError, match=r"non-zero size for non-batch dimensions, but input has sizes "
                                           r"\[1, 1, 0, 3\] with dimension 2 being empty"):
        F.adaptive_max_pool2d(nb.ones(1, 1, 0, 3), 2)


def test_adaptive_pool_errors_match_torch():
    torch = _torch()
    sizes = (0, (0, 2), None, -1, (2, -2), (-1,), 1.5, (1.5, 1), (None, None), (None, 1), [2, 2], (), (1, 2, 3), "a",
             (1,), (True, 1), (None,), 1, (1, 1), 2)
    for name in ("adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool1d", "adaptive_max_pool1d"):
        for shape in ((2,), (2, 3), (1, 2, 3), (1, 1, 2, 3, 4), (1, 1, 0, 3), (0, 2, 3, 3)):
            for size in sizes:
                outcomes = []
                for lib in (nb, torch):
                    try:
                        outcomes.append(tuple(getattr(lib.nn.functional, name)(lib.ones(shape), size).shape))
                    except (RuntimeError, ValueError, IndexError, TypeError) as e:
                        outcomes.append((type(e), str(e)))
                assert outcomes[0] == outcomes[1], (name, shape, size)


# ------------------------------------------------------------------ dtypes of normalisation and convolution
def _norm_call(kind, x, params):
    """Batch, layer or group norm of `x` with `params` (weight, bias[, running_mean, running_var])."""
    if kind == "batch":
        weight, bias, mean, var = params
        return F.batch_norm(x, mean, var, weight, bias, training=True)
    if kind == "layer":
        return F.layer_norm(x, (x.shape[-1],), *params[:2])
    return F.group_norm(x, 1, *params[:2])


@pytest.mark.cpu_only  # (torch's CPU dtype rules: 'mixed dtype (CPU)')
@pytest.mark.parametrize("kind", ["batch", "layer", "group"])
@pytest.mark.parametrize("input_dtype, param_dtypes, message", [
    ("float64", "float32", "mixed dtype (CPU): all inputs must share same datatype."),
    ("float32", "float64", "mixed dtype (CPU): expect parameter to have scalar type of Float"),
    ("float16", "float64", "mixed dtype (CPU): expect parameter to have scalar type of Float"),
    ("float64", ("float64", "float32"), "expected scalar type Double but found Float"),
    ("float32", ("float64", "float32"), "mixed dtype (CPU): expect parameter to have scalar type of Float"),
])
def test_normalisations_refuse_mixed_dtypes(kind, input_dtype, param_dtypes, message):
    firsts, rest = (param_dtypes, param_dtypes) if isinstance(param_dtypes, str) else param_dtypes
    x = nb.ones(4, 2, dtype=getattr(nb, input_dtype))
    params = [nb.ones(2, dtype=getattr(nb, firsts))] + [nb.ones(2, dtype=getattr(nb, rest)) for _ in range(3)]
    with pytest.raises(RuntimeError) as info:
        _norm_call(kind, x, params)
    assert str(info.value) == message


@pytest.mark.cpu_only  # (torch's CPU dtype rules: 'mixed dtype (CPU)')
@pytest.mark.parametrize("kind", ["batch", "layer", "group"])
def test_float16_input_with_float32_parameters_keeps_float16(kind):
    x = RNG.standard_normal((4, 2)).astype(np.float16)
    params = [nb.ones(2), nb.zeros(2), nb.zeros(2), nb.ones(2)]
    out = _norm_call(kind, nb.tensor(x), params)
    assert out.dtype == nb.float16
    axis = 0 if kind == "batch" else 1
    x64 = x.astype(np.float64)
    expected = (x64 - x64.mean(axis, keepdims=True)) / np.sqrt(x64.var(axis, keepdims=True) + 1e-5)
    np.testing.assert_allclose(_np(out).astype(np.float64), expected, atol=4e-3)


@pytest.mark.cpu_only  # (torch's CPU dtype rules: 'mixed dtype (CPU)')
def test_module_dtype_mismatch_and_integer_batch_norm():
    with pytest.raises(RuntimeError, match=r"^mixed dtype \(CPU\): all inputs must share same datatype\.$"):
        nn.BatchNorm1d(2)(nb.ones(2, 2, dtype=nb.float64))
    with pytest.raises(RuntimeError, match=r"^mixed dtype \(CPU\): expect parameter to have scalar type of Float$"):
        nn.LayerNorm(2).double()(nb.ones(2, 2))
    with pytest.raises(NotImplementedError, match="\"batch_norm\" not implemented for 'Long'"):
        nn.BatchNorm1d(2)(nb.ones(2, 2, dtype=nb.int64))
    assert nn.BatchNorm1d(2, affine=False, track_running_stats=False)(nb.ones(2, 2, dtype=nb.float64)).dtype == \
        nb.float64  # (no parameters: nothing to disagree with)
    assert nn.LayerNorm(2).double()(nb.ones(2, 2, dtype=nb.float64)).dtype == nb.float64


@pytest.mark.parametrize("dtypes, message", [
    (("float64", "float32", "float32"), r"^Input type \(double\) and bias type \(float\) should be the same$"),
    (("float32", "float64", "float64"), r"^Input type \(float\) and bias type \(double\) should be the same$"),
    (("int64", "int64", "float32"), r"^Input type \(long int\) and bias type \(float\) should be the same$"),
    (("float32", "float64", "float32"), r"^expected scalar type Float but found Double$"),
    (("float64", "float32", None), r"^expected scalar type Double but found Float$"),
])
def test_convolution_checks_the_bias_dtype_before_the_weight(dtypes, message):
    x_dtype, w_dtype, b_dtype = (None if d is None else getattr(nb, d) for d in dtypes)
    bias = None if b_dtype is None else nb.ones(1, dtype=b_dtype)
    for conv, shape in ((F.conv2d, (1, 1, 2, 2)), (F.conv1d, (1, 1, 2))):
        with pytest.raises(RuntimeError, match=message):
            conv(nb.ones(shape, dtype=x_dtype), nb.ones(shape[:2] + (1,) * (len(shape) - 2), dtype=w_dtype), bias)


def test_transposed_convolution_adds_a_bias_of_another_dtype():
    x = nb.ones(1, 1, 2, 2, dtype=nb.float64, requires_grad=True)
    b = nb.ones(1, requires_grad=True)
    out = F.conv_transpose2d(x, nb.full((1, 1, 1, 1), 2.0, dtype=nb.float64), b)
    assert out.dtype == nb.float64
    np.testing.assert_array_equal(_np(out), np.full((1, 1, 2, 2), 3.0))
    out.sum().backward()
    assert x.grad.dtype == nb.float64 and b.grad.dtype == nb.float32 and float(b.grad) == 4.0
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        F.conv_transpose2d(nb.ones(1, 1, 2, 2, dtype=nb.int64), nb.ones(1, 1, 1, 1, dtype=nb.int64), nb.ones(1))


@pytest.mark.cpu_only  # (torch's CPU dtype rules: 'mixed dtype (CPU)')
def test_dtype_checks_match_torch():
    torch = _torch()
    names = ("float16", "float32", "float64")
    for kind in ("batch", "layer", "group"):
        for i in names:
            for p0 in names:
                for p1 in names:
                    outcomes = []
                    for lib in (nb, torch):
                        fn = lib.nn.functional
                        x = lib.ones(4, 2, dtype=getattr(lib, i))
                        params = [lib.ones(2, dtype=getattr(lib, p0))] + [lib.ones(2, dtype=getattr(lib, p1))
                                                                          for _ in range(3)]
                        try:
                            if kind == "batch":
                                out = fn.batch_norm(x, params[2], params[3], params[0], params[1], training=True)
                            elif kind == "layer":
                                out = fn.layer_norm(x, (2,), params[0], params[1])
                            else:
                                out = fn.group_norm(x, 1, params[0], params[1])
                            outcomes.append(str(out.dtype).split(".")[-1])
                        except RuntimeError as e:
                            outcomes.append(str(e))
                    assert outcomes[0] == outcomes[1], (kind, i, p0, p1)


# ------------------------------------------------------------------ saving a lazy model before its first forward
def _lazy_pair(lib):
    return lib.nn.Sequential(lib.nn.LazyLinear(3), lib.nn.LazyBatchNorm1d())


def test_an_uninitialised_state_dict_saves_and_loads():
    buffer = io.BytesIO()
    nb.save(_lazy_pair(nb).state_dict(), buffer)
    buffer.seek(0)
    with pytest.raises(RuntimeError, match="refusing to load torch.nn.parameter.UninitializedParameter"):
        nb.load(buffer)  # (as torch: only with weights_only=False)
    buffer.seek(0)
    state = nb.load(buffer, weights_only=False)
    assert isinstance(state["0.weight"], nn.parameter.UninitializedParameter) and state["0.weight"].requires_grad
    net = _lazy_pair(nb)
    assert str(net.load_state_dict(state)) == "<All keys matched successfully>"
    assert tuple(net(nb.ones(2, 4)).shape) == (2, 3) and tuple(net[0].weight.shape) == (3, 4)


def test_uninitialised_state_dicts_cross_between_nbtensor_and_torch():
    torch = _torch()
    buffer = io.BytesIO()
    torch.save(_lazy_pair(torch).state_dict(), buffer)
    buffer.seek(0)
    net = _lazy_pair(nb)
    assert str(net.load_state_dict(nb.load(buffer, weights_only=False))) == "<All keys matched successfully>"
    assert tuple(net(nb.ones(2, 4)).shape) == (2, 3)
    buffer = io.BytesIO()
    nb.save(nn.LazyLinear(3).state_dict(), buffer)
    buffer.seek(0)
    theirs = torch.load(buffer, weights_only=False)
    assert all(isinstance(v, torch.nn.parameter.UninitializedParameter) for v in theirs.values())


# ------------------------------------------------------------------ load_state_dict(assign=True)
def test_assign_makes_the_state_dict_tensors_the_model_state():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    state = {k: v.double() for k, v in net.state_dict().items()}
    old = net[0].weight
    assert str(net.load_state_dict(state, assign=True)) == "<All keys matched successfully>"
    weight = net[0].weight
    assert weight is not old and isinstance(weight, nn.Parameter) and weight.requires_grad
    assert weight.dtype == nb.float64 and weight.data_ptr() == state["0.weight"].data_ptr()
    assert net[1].running_mean is state["1.running_mean"]
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    kept = net.state_dict(keep_vars=True)
    net[0].weight.requires_grad_(False)
    net.load_state_dict(kept, assign=True)  # (a Parameter is taken as it is)
    assert net[0].weight is kept["0.weight"] and not net[0].weight.requires_grad


def test_assign_matches_torch():
    torch = _torch()
    outcomes = []
    for lib in (nb, torch):
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
        state = {k: v.double() for k, v in net.state_dict().items()}
        net.load_state_dict(state, assign=True)
        outcomes.append([(k, str(v.dtype).split(".")[-1], v.requires_grad, type(v).__name__ == "Parameter" or
                          isinstance(v, lib.nn.Parameter)) for k, v in net.state_dict(keep_vars=True).items()])
    assert outcomes[0] == outcomes[1]
