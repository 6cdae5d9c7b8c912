"""More of torch.nn's surface: nn.Buffer, nn.DataParallel (and nn.parallel), nn.EmbeddingBag /
F.embedding_bag, nn.MaxUnpool1d/2d/3d / F.max_unpool1d/2d/3d, nn.LazyConvTranspose1d/2d.
Values and gradients are compared with torch 2.13 when it is installed (the ``torch_ref``
fixture skips those tests otherwise), errors by class and message; the rest checks by hand.
Tiny shapes: the suite also runs in the CUDA simulator."""
import copy

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from nbtensor.nn import functional as F

RNG = np.random.default_rng(11)


@pytest.fixture
def torch_ref():
    return pytest.importorskip("torch")


def _np(t):
    return t.detach().cpu().numpy()


def _close(a, b, tol=1e-6):
    np.testing.assert_allclose(_np(a), b.detach().numpy(), rtol=tol, atol=tol)


def _message(exc):
    return str(exc).replace("nbtensor.", "torch.")


def _same_error(ours, theirs):
    """`ours()` raises what `theirs()` (torch) raises: the same class and message."""
    with pytest.raises(Exception) as want:
        theirs()
    with pytest.raises(want.type) as got:
        ours()
    assert _message(got.value) == _message(want.value)


# ------------------------------------------------------------------ nn.Buffer
def test_buffer_registers_itself():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.kept = nn.Buffer(nb.ones(2))
            self.scratch = nn.Buffer(nb.zeros(3), persistent=False)
            self.plain = nb.ones(1)  # a plain tensor stays a plain attribute

    net = Net()
    assert list(net._buffers) == ["kept", "scratch"]
    assert [name for name, _ in net.named_buffers()] == ["kept", "scratch"]
    assert list(net.state_dict()) == ["kept"]
    assert "plain" not in net._buffers and isinstance(net.kept, nn.Buffer)
    assert not isinstance(net.plain, nn.Buffer) and isinstance(net.kept, nb.Tensor)
    # reassigning a registered buffer keeps its persistence; a Buffer brings its own
    net.scratch = nb.ones(3)
    assert list(net.state_dict()) == ["kept"]
    net.kept = nn.Buffer(nb.zeros(2), persistent=False)
    assert list(net.state_dict()) == [] and net.kept.tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match=r"cannot assign 'int' as buffer 'kept' \(torch.nn.Buffer, torch.Tensor or "
                                        r"None expected\)"):
        net.kept = 3
    net.other = 5
    with pytest.raises(KeyError, match="attribute 'other' already exists"):
        net.other = nn.Buffer(nb.ones(1))
    # detached, shares memory, keeps requires_grad; the empty default
    t = nb.ones(2, requires_grad=True)
    b = nn.Buffer(t)
    assert b.requires_grad and b.is_leaf and b is not t
    assert nn.Buffer().shape == (0,)
    # a deep copy of a module keeps its buffers' kind
    assert isinstance(copy.deepcopy(net).kept, nn.Buffer)


def test_buffer_matches_torch(torch_ref):
    def build(lib):
        m = lib.nn.Module()
        m.a = lib.nn.Buffer(lib.ones(2))
        m.b = lib.nn.Buffer(lib.ones(1), persistent=False)
        m.lin = lib.nn.Linear(1, 1)
        m.c = lib.nn.Buffer(lib.zeros(1))
        return m
    ours, theirs = build(nb), build(torch_ref)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


# ------------------------------------------------------------------ nn.DataParallel
def test_data_parallel_wraps_the_module():
    assert nn.DataParallel is nn.parallel.DataParallel
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    # D2L 13.6: device_ids from try_all_gpus() (the CPU when there is no GPU)
    devices = [nb.device(f"cuda:{i}") for i in range(nb.cuda.device_count())] or [nb.device("cpu")]
    wrapped = nn.DataParallel(net, device_ids=devices)
    assert wrapped.module is net
    assert list(wrapped.state_dict()) == ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]
    assert repr(wrapped).startswith("DataParallel(\n  (module): Sequential(")
    x = nb.tensor(RNG.standard_normal((5, 4)), dtype=nb.float32)
    y = wrapped(x)
    np.testing.assert_allclose(_np(y), _np(net(x)), rtol=1e-6)
    y.sum().backward()
    assert net[0].weight.grad is not None
    # a state dict saved from the wrapper loads into another wrapper
    other = nn.DataParallel(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), device_ids=devices)
    other.load_state_dict(wrapped.state_dict())
    np.testing.assert_array_equal(_np(other(x)), _np(y))
    if not nb.cuda.is_available():  # torch without a GPU: only the module, whatever device_ids said
        assert wrapped.device_ids == [] and not hasattr(wrapped, "output_device")
        with pytest.raises(RuntimeError, match="device type could not be determined"):
            nn.parallel.data_parallel(net, x)
    else:
        assert wrapped.device_ids == [0] and wrapped.output_device == 0


@pytest.mark.cpu_only
def test_data_parallel_matches_torch_without_a_gpu(torch_ref):
    for lib in (nb, torch_ref):
        if lib.cuda.is_available():
            pytest.skip("torch's behaviour without a GPU")
    ours = nn.DataParallel(nn.Linear(2, 2), device_ids=[0, 1], output_device=1)
    theirs = torch_ref.nn.DataParallel(torch_ref.nn.Linear(2, 2), device_ids=[0, 1], output_device=1)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.device_ids == theirs.device_ids == []
    kwargs = nn.DataParallel(nn.Linear(2, 2))(input=nb.ones(1, 2))  # keyword inputs reach the module
    assert kwargs.shape == (1, 2)


# ------------------------------------------------------------------ embedding bags
_BAGS = np.array([1, 2, 4, 5, 4, 3, 0, 2])
_OFFSETS = np.array([0, 2, 2, 5])


@pytest.mark.parametrize("kwargs", [
    {"mode": "sum"}, {"mode": "mean"}, {"mode": "max"},
    {"mode": "sum", "padding_idx": 4}, {"mode": "mean", "padding_idx": 4}, {"mode": "max", "padding_idx": 2},
    {"mode": "mean", "padding_idx": -2},
    {"mode": "sum", "include_last_offset": True, "offsets": [0, 2, 2, 5, 8]},
    {"mode": "max", "include_last_offset": True, "offsets": [0, 3, 8]},
    {"mode": "mean", "offsets": [0, 2, 2, 8]},  # an empty last bag
    {"mode": "sum", "per_sample_weights": True},
    {"mode": "sum", "per_sample_weights": True, "padding_idx": 2},
])
def test_embedding_bag_matches_torch(torch_ref, kwargs):
    kwargs = dict(kwargs)
    offsets = np.array(kwargs.pop("offsets", _OFFSETS))
    weights = RNG.standard_normal(len(_BAGS)) if kwargs.pop("per_sample_weights", False) else None
    w0 = RNG.standard_normal((6, 3))
    results = []
    for lib in (nb, torch_ref):
        w = lib.tensor(w0, requires_grad=True)
        psw = None if weights is None else lib.tensor(weights, requires_grad=True)
        out = lib.nn.functional.embedding_bag(lib.tensor(_BAGS), w, lib.tensor(offsets), per_sample_weights=psw,
                                              **kwargs)
        (out * lib.arange(out.numel(), dtype=lib.float64).reshape(out.shape)).sum().backward()
        results.append((out, w.grad, None if psw is None else psw.grad))
    (out, gw, gp), (t_out, t_gw, t_gp) = results
    assert tuple(out.shape) == tuple(t_out.shape) and out.dtype is nb.float64
    _close(out, t_out, 1e-12)
    _close(gw, t_gw, 1e-12)
    if gp is not None:
        _close(gp, t_gp, 1e-12)


def test_embedding_bag_2d_input_and_layer(torch_ref):
    w0 = RNG.standard_normal((7, 4)).astype(np.float32)
    idx = np.array([[0, 3, 3], [6, 1, 2]])
    for mode in ("sum", "mean", "max"):
        ours = nn.EmbeddingBag.from_pretrained(nb.tensor(w0), freeze=False, mode=mode)
        theirs = torch_ref.nn.EmbeddingBag.from_pretrained(torch_ref.tensor(w0), freeze=False, mode=mode)
        assert repr(ours) == repr(theirs)
        out, t_out = ours(nb.tensor(idx)), theirs(torch_ref.tensor(idx))
        _close(out, t_out)
        out.sum().backward()
        t_out.sum().backward()
        _close(ours.weight.grad, theirs.weight.grad)
    frozen = nn.EmbeddingBag.from_pretrained(nb.tensor(w0))
    assert not frozen.weight.requires_grad and frozen.mode == "mean"
    # scale_grad_by_freq: each row's gradient over how often the input reads it
    grads = []
    for lib in (nb, torch_ref):
        w = lib.tensor(w0, requires_grad=True)
        lib.nn.functional.embedding_bag(lib.tensor([3, 1, 3, 0]), w, lib.tensor([0, 2]), mode="sum",
                                        scale_grad_by_freq=True).sum().backward()
        grads.append(w.grad)
    _close(grads[0], grads[1])
    assert grads[0][3].tolist() == [1.0] * 4


def test_embedding_bag_layer_settings(torch_ref):
    for args in ({}, {"max_norm": 1.0, "norm_type": 1, "scale_grad_by_freq": True, "mode": "sum", "padding_idx": 0},
                 {"padding_idx": -2, "include_last_offset": True}):
        ours, theirs = nn.EmbeddingBag(6, 2, **args), torch_ref.nn.EmbeddingBag(6, 2, **args)
        assert repr(ours) == repr(theirs)
        assert ours.padding_idx == theirs.padding_idx
        assert list(ours.state_dict()) == ["weight"] and tuple(ours.weight.shape) == (6, 2)
        if ours.padding_idx is not None:
            assert ours.weight[ours.padding_idx].tolist() == [0.0, 0.0]
    _same_error(lambda: nn.EmbeddingBag(6, 2, padding_idx=6), lambda: torch_ref.nn.EmbeddingBag(6, 2, padding_idx=6))
    _same_error(lambda: nn.EmbeddingBag(6, 2, _weight=nb.ones(2, 6)),
                lambda: torch_ref.nn.EmbeddingBag(6, 2, _weight=torch_ref.ones(2, 6)))
    # max_norm renormalises the rows read, in place
    bag = nn.EmbeddingBag.from_pretrained(nb.tensor([[3.0, 4.0], [0.3, 0.4]]), max_norm=1.0, mode="sum")
    out = bag(nb.tensor([[0, 1]]))
    np.testing.assert_allclose(_np(bag.weight), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-5)
    np.testing.assert_allclose(_np(out), [[0.9, 1.2]], rtol=1e-5)


_BAG_ERRORS = [
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0, 3])),
    lambda L: (L.tensor([1, 7]), L.ones(6, 2), L.tensor([0])),
    lambda L: (L.tensor([-1, 2]), L.ones(6, 2), L.tensor([0])),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), None),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([[0]])),
    lambda L: (L.tensor([[1, 2]]), L.ones(6, 2), L.tensor([0])),
    lambda L: (L.tensor([[[1, 2]]]), L.ones(6, 2), None),
    lambda L: (L.tensor([1, 2]), L.ones(6), L.tensor([0])),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0]), {"mode": "min"}),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0]), {"mode": "max", "scale_grad_by_freq": True}),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0]), {"per_sample_weights": L.ones(3)}),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0]), {"per_sample_weights": L.ones(2), "mode": "mean"}),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0]), {"padding_idx": 6}),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0]), {"padding_idx": -7}),
]


@pytest.mark.parametrize("case", range(len(_BAG_ERRORS)))
def test_embedding_bag_errors_match_torch(torch_ref, case):
    def call(lib):
        made = _BAG_ERRORS[case](lib)
        kwargs = made[3] if len(made) > 3 else {}
        return lambda: lib.nn.functional.embedding_bag(made[0], made[1], made[2], **kwargs)
    _same_error(call(nb), call(torch_ref))


@pytest.mark.cpu_only
@pytest.mark.parametrize("make", [
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([1]), {}),  # (the message names the CPU's tensor type)
    lambda L: (L.tensor([1.0, 2.0]), L.ones(6, 2), L.tensor([0]), {}),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0.0]), {}),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2, dtype=L.int32), L.tensor([0]), {}),
    lambda L: (L.tensor([1, 2]), L.ones(6, 2), L.tensor([0]), {"per_sample_weights": L.ones(2, dtype=L.float64),
                                                              "mode": "sum"}),
])
def test_embedding_bag_dtype_errors_match_torch(torch_ref, make):
    def call(lib):
        i, w, o, kw = make(lib)
        return lambda: lib.nn.functional.embedding_bag(i, w, o, **kw)
    _same_error(call(nb), call(torch_ref))


def test_embedding_bag_by_hand():
    w = nb.arange(12.0).reshape(6, 2)
    i, off = nb.tensor([1, 2, 4, 5, 4, 3]), nb.tensor([0, 2, 2, 5])
    assert F.embedding_bag(i, w, off, mode="sum").tolist() == [[6.0, 8.0], [0.0, 0.0], [26.0, 29.0], [6.0, 7.0]]
    assert F.embedding_bag(i, w, off, mode="max").tolist() == [[4.0, 5.0], [0.0, 0.0], [10.0, 11.0], [6.0, 7.0]]
    assert F.embedding_bag(i, w, off, mode="max", padding_idx=4).tolist() == \
        [[4.0, 5.0], [0.0, 0.0], [10.0, 11.0], [6.0, 7.0]]
    assert F.embedding_bag(i, w, off, mode="mean", padding_idx=4).tolist() == \
        [[3.0, 4.0], [0.0, 0.0], [10.0, 11.0], [6.0, 7.0]]
    assert F.embedding_bag(nb.tensor([], dtype=nb.int64), w, nb.tensor([0, 0])).tolist() == [[0.0, 0.0]] * 2
    with pytest.raises(RuntimeError, match="offsets must be non-decreasing"):
        F.embedding_bag(i, w, nb.tensor([0, 3, 2]))


# ------------------------------------------------------------------ max unpooling
@pytest.mark.parametrize("dims, shape, kwargs", [
    (1, (2, 3, 8), {"kernel_size": 2}),
    (1, (3, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    (2, (2, 2, 5, 6), {"kernel_size": 2}),
    (2, (2, 4, 5), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "output_size": (4, 5)}),
    (2, (1, 2, 4, 4), {"kernel_size": 2, "output_size": (5, 5)}),
    (3, (1, 2, 4, 4, 6), {"kernel_size": 2}),
    (3, (2, 3, 4, 5), {"kernel_size": (1, 2, 3), "stride": (1, 2, 2), "padding": (0, 1, 1)}),
])
def test_max_unpool_matches_torch(torch_ref, dims, shape, kwargs):
    kwargs = dict(kwargs)
    output_size = kwargs.pop("output_size", None)
    x0 = torch_ref.tensor(RNG.standard_normal(shape))
    pooled, indices = getattr(torch_ref.nn.functional, f"max_pool{dims}d")(x0, return_indices=True, **kwargs)
    results = []
    for lib in (nb, torch_ref):
        x = lib.tensor(pooled.numpy(), requires_grad=True)
        layer = getattr(lib.nn, f"MaxUnpool{dims}d")(**kwargs)
        out = layer(x, lib.tensor(indices.numpy()), output_size=output_size)
        (out * lib.arange(out.numel(), dtype=lib.float64).reshape(out.shape)).sum().backward()
        results.append((out, x.grad, repr(layer)))
    (out, gx, text), (t_out, t_gx, t_text) = results
    assert tuple(out.shape) == tuple(t_out.shape) and text == t_text
    _close(out, t_out, 0)
    _close(gx, t_gx, 0)
    # the functional form, and torch's node
    f = getattr(F, f"max_unpool{dims}d")(nb.tensor(pooled.numpy(), requires_grad=True), nb.tensor(indices.numpy()),
                                         output_size=output_size, **kwargs)
    _close(f, t_out, 0)
    assert f.grad_fn.name() == ("SqueezeBackward1" if dims == 1 else f"MaxUnpool{dims}DBackward0")


def test_max_unpool_by_hand():
    x = nb.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    idx = nb.tensor([[[[0, 3], [9, 15]]]])
    assert F.max_unpool2d(x, idx, 2).reshape(-1).tolist() == \
        [1.0, 0, 0, 2.0, 0, 0, 0, 0, 0, 3.0, 0, 0, 0, 0, 0, 4.0]
    assert F.max_unpool2d(x[0], idx[0], 2, output_size=(1, 1, 5, 5)).shape == (1, 5, 5)
    assert repr(nn.MaxUnpool1d(3, 1, 1)) == "MaxUnpool1d(kernel_size=(3,), stride=(1,), padding=(1,))"
    # several invalid indices: the first one in order is named (torch's, when its threads agree)
    with pytest.raises(RuntimeError, match=r"^Found an invalid max index: 50 \(output volumes are of size 4x4\)$"):
        F.max_unpool2d(x, nb.tensor([[[[1, 50], [60, -2]]]]), 2)


_UNPOOL_ERRORS = [
    (2, lambda L: (L.ones(1, 2, 2, 2), L.zeros(1, 2, 2, 2, dtype=L.int64)), {"kernel_size": 2, "output_size": (7, 5)}),
    (2, lambda L: (L.ones(1, 2, 2, 2), L.zeros(1, 2, 2, 2, dtype=L.int64)), {"kernel_size": 2, "output_size": (5,)}),
    (2, lambda L: (L.ones(1, 2, 2, 2), L.zeros(1, 2, 2, 2)), {"kernel_size": 2}),
    (2, lambda L: (L.ones(1, 2, 2, 2), L.zeros(1, 2, 2, 1, dtype=L.int64)), {"kernel_size": 2}),
    (2, lambda L: (L.ones(1, 1, 2, 2), L.tensor([[[[1, 50], [3, 2]]]])), {"kernel_size": 2}),
    (2, lambda L: (L.ones(1, 1, 2, 2), L.tensor([[[[1, -60], [5, 2]]]])), {"kernel_size": 2}),
    (2, lambda L: (L.ones(2, 2), L.zeros(2, 2, dtype=L.int64)), {"kernel_size": 2}),
    (2, lambda L: (L.ones(1, 2, 0, 2), L.zeros(1, 2, 0, 2, dtype=L.int64)), {"kernel_size": 2}),
    (2, lambda L: (L.ones(1, 1, 2, 2, dtype=L.int32), L.zeros(1, 1, 2, 2, dtype=L.int64)), {"kernel_size": 2}),
    (2, lambda L: (L.ones(1, 1, 2, 2), L.zeros(1, 1, 2, 2, dtype=L.int64)), {"kernel_size": 2, "padding": 3}),
    (1, lambda L: (L.ones(1, 2), L.tensor([[0, 9]])), {"kernel_size": 2}),
    (3, lambda L: (L.ones(1, 1, 1, 2, 2), L.zeros(1, 1, 1, 2, 2)), {"kernel_size": 2}),
    (3, lambda L: (L.ones(1, 1, 2, 2), L.zeros(1, 1, 2, 2, dtype=L.int64)[0]), {"kernel_size": 2}),
    (3, lambda L: (L.ones(1, 1, 1, 2, 2), L.zeros(1, 1, 1, 2, 2, dtype=L.int64)), {"kernel_size": 2, "stride": 0}),
    (3, lambda L: (L.ones(1, 1, 1, 2, 2), L.full((1, 1, 1, 2, 2), 100)), {"kernel_size": 2}),
]


@pytest.mark.parametrize("case", range(len(_UNPOOL_ERRORS)))
def test_max_unpool_errors_match_torch(torch_ref, case):
    dims, make, kwargs = _UNPOOL_ERRORS[case]

    def call(lib):
        x, idx = make(lib)
        return lambda: getattr(lib.nn.functional, f"max_unpool{dims}d")(x, idx, **kwargs)
    _same_error(call(nb), call(torch_ref))


# ------------------------------------------------------------------ lazy transposed convolutions
@pytest.mark.parametrize("dims", [1, 2])
def test_lazy_conv_transpose_matches_torch(torch_ref, dims):
    name = f"LazyConvTranspose{dims}d"
    ours = getattr(nn, name)(4, 3, stride=2, groups=2, bias=True)
    theirs = getattr(torch_ref.nn, name)(4, 3, stride=2, groups=2, bias=True)
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params()
    shape = (1, 6) + (5,) * dims
    x0 = RNG.standard_normal(shape).astype(np.float32)
    size = [12] * dims
    out, t_out = ours(nb.tensor(x0), output_size=size), theirs(torch_ref.tensor(x0), output_size=size)
    assert type(ours).__name__ == type(theirs).__name__ == f"ConvTranspose{dims}d"
    assert repr(ours) == repr(theirs) and tuple(out.shape) == tuple(t_out.shape)
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape) == (6, 2) + (3,) * dims
    with torch_ref.no_grad():
        theirs.weight.copy_(torch_ref.tensor(_np(ours.weight)))
        theirs.bias.copy_(torch_ref.tensor(_np(ours.bias)))
    _close(ours(nb.tensor(x0)), theirs(torch_ref.tensor(x0)), 1e-5)
    bad, t_bad = getattr(nn, name)(4, 3, groups=2), getattr(torch_ref.nn, name)(4, 3, groups=2)
    _same_error(lambda: bad(nb.ones((3,) + (5,) * dims)), lambda: t_bad(torch_ref.ones((3,) + (5,) * dims)))
