"""The containers (ModuleDict, ParameterList, ParameterDict) and the rest of the nn.Module
API (looking up and setting by dotted path, casting and moving, non-persistent buffers,
forward pre-hooks and hooks with their options, full backward hooks, state-dict hooks),
checked against hand-written expectations and, when it is installed, torch 2.13."""
import collections
import warnings

import numpy as np
import pytest

import nbtensor as nb
from nbtensor import nn
from tests.support import needs_torch, torch
from tests.support import numpy_of as _np



def _both(build):
    """build(lib, nn) for nbtensor and (when installed) torch."""
    ours = build(nb, nn)
    return ours, (build(torch, torch.nn) if torch is not None else None)


def _as_ours(text):
    """torch's text with nbtensor's names for its dtypes and sizes."""
    return text.replace("torch.float", "nbtensor.float").replace("torch.Size", "nbtensor.Size")


def _where():
    """What a container's repr adds after a size for the device under test (none on the CPU)."""
    device = nb.zeros(1).device
    return "" if device.type == "cpu" else f" ({device})"


def _on_cpu(text):
    """`text`, a repr made on the device under test, as made on the CPU."""
    device = nb.zeros(1).device
    return text if device.type == "cpu" else text.replace(_where(), "").replace(f"torch.{device.type}.", "torch.")


# ------------------------------------------------------------------ 1. containers
def test_module_dict_registers_in_order():
    d = nn.ModuleDict({"b": nn.Linear(2, 3), "a": nn.ReLU()})
    d.update([("c", nn.Tanh())])
    assert list(d.keys()) == ["b", "a", "c"] and len(d) == 3 and "a" in d and list(d) == ["b", "a", "c"]
    assert list(d.state_dict()) == ["b.weight", "b.bias"] and len(list(d.parameters())) == 2
    assert repr(d) == ("ModuleDict(\n  (b): Linear(in_features=2, out_features=3, bias=True)\n  (a): ReLU()\n"
                       "  (c): Tanh()\n)")
    assert isinstance(d.pop("c"), nn.Tanh) and list(d) == ["b", "a"]
    del d["a"]
    assert list(d.items())[0][0] == "b"
    d.clear()
    assert len(d) == 0 and repr(d) == "ModuleDict()"
    with pytest.raises(TypeError, match="^ModuleDict.update should be called with an iterable of key/value pairs, "
                                        "but got int$"):
        d.update(3)
    with pytest.raises(ValueError, match="^ModuleDict update sequence element #0 has length 3; 2 is required$"):
        d.update([("a", nn.ReLU(), 1)])
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        d(1)


def test_parameter_list_makes_parameters_and_prints_as_torch():
    pl = nn.ParameterList([nn.Parameter(nb.ones(2)), nb.zeros(3, 2)])
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad and len(pl) == 2
    assert list(pl.state_dict()) == ["0", "1"] and [p.shape for p in pl] == [(2,), (3, 2)]
    pl.append(5)
    assert pl[2] == 5 and pl[-1] == 5 and len(list(pl.parameters())) == 2
    assert _on_cpu(repr(pl)) == ("ParameterList(\n    (0): Parameter containing: [nbtensor.float32 of size 2]\n"
                                 "    (1): Parameter containing: [nbtensor.float32 of size 3x2]\n"
                                 "    (2): Object of type: int\n)")
    assert repr(pl).endswith(f"of size 3x2{_where()}]\n    (2): Object of type: int\n)")
    sliced = pl[:2]
    assert type(sliced) is nn.ParameterList and len(sliced) == 2 and sliced[0] is pl[0]
    pl[0] = nb.full((1,), 7.0)
    assert isinstance(pl[0], nn.Parameter) and _np(pl[0]).tolist() == [7.0]
    with pytest.raises(IndexError, match="^index 3 is out of range$"):
        pl[3]
    with pytest.raises(TypeError, match="^ParameterList.extend should be called with an iterable, but got Tensor$"):
        pl.extend(nb.ones(2))
    with pytest.raises(RuntimeError, match="^ParameterList should not be called.$"):
        pl(1)

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.pl = nn.ParameterList([nn.Parameter(nb.ones(2))])
            self.md = nn.ModuleDict({"x": nn.Identity()})

    # (one entry: torch's one-line layout, the list's two-space indent included)
    assert _on_cpu(repr(Holder())) == (
        "Holder(\n  (pl): ParameterList(  (0): Parameter containing: [nbtensor.float32 of size 2])"
        "\n  (md): ModuleDict(\n    (x): Identity()\n  )\n)")
    assert list(Holder().state_dict()) == ["pl.0"]


def test_parameter_dict_orders_and_prints_as_torch():
    pd = nn.ParameterDict({"w": nn.Parameter(nb.ones(2)), "s": nb.zeros(2, 2, dtype=nb.float64)})
    assert list(pd) == ["s", "w"]  # (a plain dict is added in sorted order)
    assert list(nn.ParameterDict(collections.OrderedDict([("w", nb.ones(1)), ("s", nb.ones(1))]))) == ["w", "s"]
    assert isinstance(pd["s"], nn.Parameter) and list(pd.state_dict()) == ["s", "w"]
    pd["k"] = "hello"
    assert _on_cpu(repr(pd)) == ("ParameterDict(\n    (s): Parameter containing: [torch.DoubleTensor of size 2x2]\n"
                                 "    (w): Parameter containing: [torch.FloatTensor of size 2]\n"
                                 "    (k): Object of type: str\n)")
    assert pd.get("nope", 3) == 3 and pd.setdefault("k") == "hello"
    assert pd.popitem()[0] == "k" and list(pd.keys()) == ["s", "w"]
    merged = pd | nn.ParameterDict({"z": nb.ones(1)})
    assert list(merged) == ["s", "w", "z"] and merged["w"] is pd["w"]
    assert pd.pop("s").dtype is nb.float64 and list(pd) == ["w"] and len(list(pd.parameters())) == 1
    with pytest.raises(TypeError, match="^Index given to ParameterDict cannot be used as a key as it is not a string "
                                        r"\(type is 'int'\)\. Open an issue on github if you need non-string keys\.$"):
        pd[1]
    with pytest.raises(TypeError, match="^ParametersDict.update should be called with an iterable"):
        pd.update(1)
    with pytest.raises(RuntimeError, match="^ParameterDict should not be called.$"):
        pd(1)


@needs_torch
def test_container_reprs_and_keys_match_torch():
    def build(lib, mod):
        class M(mod.Module):
            def __init__(self):
                super().__init__()
                self.pl = mod.ParameterList([mod.Parameter(lib.ones(2)), lib.zeros(3)])
                self.pd = mod.ParameterDict({"b": lib.ones(1), "a": lib.ones(2, 1, dtype=lib.float64)})
                self.md = mod.ModuleDict([("lin", mod.Linear(1, 1)), ("act", mod.ReLU())])
        return M()
    ours, theirs = _both(build)
    assert _on_cpu(repr(ours)) == _as_ours(repr(theirs))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


# ------------------------------------------------------------------ 2. the Module API
def _net(lib, mod):
    net = mod.Sequential(mod.Linear(2, 3), mod.Sequential(mod.ReLU(), mod.Linear(3, 1)))
    net.register_buffer("buf", lib.zeros(2))
    net.register_buffer("steps", lib.zeros((), dtype=lib.int64))
    return net


LOOKUPS = [
    ("get_submodule", "1.1"), ("get_submodule", ""), ("get_submodule", "1.5"), ("get_submodule", "0.weight"),
    ("get_submodule", "0.foo"), ("get_parameter", "1.1.bias"), ("get_parameter", "1.1.foo"),
    ("get_parameter", "buf"), ("get_parameter", "1"), ("get_buffer", "buf"), ("get_buffer", "0.weight"),
    ("get_buffer", "0.nothing"), ("get_buffer", "x.nothing"),
]


def _outcome(call, *args):
    try:
        value = call(*args)
    except Exception as e:  # noqa: BLE001  (the class and message are what is compared)
        return type(e).__name__, str(e)
    return "ok", type(value).__name__ if not hasattr(value, "shape") else tuple(value.shape)


def test_lookups_by_dotted_path():
    net = _net(nb, nn)
    assert net.get_submodule("1.1") is net[1][1] and net.get_submodule("") is net
    assert net.get_parameter("1.1.bias") is net[1][1].bias and net.get_buffer("buf") is net.buf
    expected = {("get_submodule", "1.5"): ("AttributeError", "Sequential has no attribute `5`"),
                ("get_submodule", "0.weight"): ("AttributeError", "`weight` is not an nn.Module"),
                ("get_parameter", "buf"): ("AttributeError", "`buf` is not an nn.Parameter"),
                ("get_buffer", "0.weight"): ("AttributeError", "`weight` is not a buffer"),
                ("get_buffer", "x.nothing"): ("AttributeError", "Sequential has no attribute `x`")}
    for (method, target), outcome in expected.items():
        assert _outcome(getattr(net, method), target) == outcome


@needs_torch
def test_lookups_match_torch():
    ours, theirs = _both(_net)
    for method, target in LOOKUPS:
        assert _outcome(getattr(ours, method), target) == _outcome(getattr(theirs, method), target)


def test_set_submodule():
    net = _net(nb, nn)
    net.set_submodule("1.0", nn.Tanh())
    assert isinstance(net[1][0], nn.Tanh)
    net.set_submodule("1.7", nn.Tanh())  # (not strict: a new name is added)
    assert list(net[1]._modules) == ["0", "1", "7"]
    for args, error, message in [
            (("1.8", nn.Tanh(), True), AttributeError, "^Sequential has no attribute `8`$"),
            (("0.weight", nn.Tanh()), AttributeError, "^`weight` is not an nn.Module$"),
            (("", nn.Tanh()), ValueError, "^Cannot set the submodule without a target name!$"),
            (("1.0", 3), ValueError, "^`module` is not an nn.Module, found <class 'int'>$"),
            (("9.0", nn.Tanh()), AttributeError, "^Sequential has no attribute `9`$")]:
        with pytest.raises(error, match=message):
            net.set_submodule(*args)


def test_register_buffer_and_parameter_checks_and_non_persistent_buffers():
    m = nn.Linear(2, 2)
    m.register_buffer("running", nb.ones(2), persistent=False)
    m.register_buffer("kept", nb.ones(1))
    assert list(m.state_dict()) == ["weight", "bias", "kept"]
    assert [n for n, _ in m.named_buffers()] == ["running", "kept"]
    m.load_state_dict(m.state_dict())  # (the non-persistent buffer is neither missing nor expected)
    for call, error, message in [
            (lambda: m.register_buffer("a.b", nb.zeros(1)), KeyError, 'buffer name can\'t contain "."'),
            (lambda: m.register_buffer("", nb.zeros(1)), KeyError, 'buffer name can\'t be empty string ""'),
            (lambda: m.register_buffer("x", 3), TypeError,
             "cannot assign 'int' object to buffer 'x' (torch Tensor or None required)"),
            (lambda: m.register_buffer("weight", nb.zeros(1)), KeyError, "attribute 'weight' already exists"),
            (lambda: m.register_parameter(3, None), TypeError, "parameter name should be a string. Got int")]:
        with pytest.raises(error) as caught:
            call()
        assert caught.value.args == (message,)


def test_casting_and_moving():
    net = _net(nb, nn)
    weight = net[0].weight
    assert net.double() is net and net[0].weight is weight  # (the same parameter object, new data)
    assert weight.dtype is nb.float64 and net.buf.dtype is nb.float64 and net.steps.dtype is nb.int64
    net.half()
    assert weight.dtype is nb.float16 and net.steps.dtype is nb.int64
    net.to(nb.float32)
    assert weight.dtype is nb.float32 and net.steps.dtype is nb.int64  # (only floating tensors are cast)
    net.type(nb.float64)
    assert weight.dtype is nb.float64 and net.steps.dtype is nb.float64  # (type() casts every tensor)
    with pytest.raises(TypeError, match="^nn.Module.to only accepts floating point or complex dtypes, but got "
                                        "desired dtype=nbtensor.int64$"):
        net.to(nb.int64)
    net.float()
    net[0].weight.grad = nb.ones(3, 2)
    device = net.buf.device
    assert net.to(device, nb.float64) is net and net[0].weight.grad.dtype is nb.float64
    assert net.to(nb.zeros(1, dtype=nb.float32)).buf.dtype is nb.float32
    assert net.share_memory() is net
    assert net.to_empty(device=device) is net and net[0].weight is weight and weight.shape == (3, 2)
    if nb.cuda.is_available():
        assert net.cuda().buf.is_cuda and net.cpu().buf.device.type == "cpu"
    else:
        with pytest.raises(RuntimeError):
            net.cuda()


# ------------------------------------------------------------------ 3. forward hooks
def test_forward_pre_hooks_and_hooks():
    calls = []
    m = nn.ReLU()
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h = m.register_forward_pre_hook(lambda mod, args, kwargs: calls.append(("kw", kwargs)), with_kwargs=True,
                                    prepend=True)
    m.register_forward_hook(lambda mod, args, out: out + 1)
    assert _np(m(nb.tensor([-1.0, 1.0]))).tolist() == [1.0, 3.0] and calls == [("kw", {})]
    h.remove()
    h.remove()  # (twice: nothing happens)
    with m.register_forward_pre_hook(lambda mod, args: nb.tensor([5.0])):  # (not a tuple: wrapped in one)
        assert _np(m(nb.tensor([0.0]))).tolist() == [6.0]  # (after the doubling hook, registered first)
    assert _np(m(nb.tensor([0.0]))).tolist() == [1.0] and len(calls) == 1

    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    s = Scale()
    s.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    s.register_forward_hook(lambda mod, args, kwargs, out: calls.append(kwargs), with_kwargs=True)
    assert _np(s(nb.tensor([2.0]))).tolist() == [6.0] and calls[-1] == {"factor": 3.0}
    s.register_forward_pre_hook(lambda mod, args, kwargs: 1, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"^forward pre-hook must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), but got 1\.$"):
        s(nb.tensor([2.0]))


def test_forward_hook_always_call_runs_when_forward_raises():
    seen = []

    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Broken()
    m.register_forward_hook(lambda mod, args, out: seen.append("always"), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("plain"))
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert seen == ["always"]


# ------------------------------------------------------------------ 4. backward hooks
def _hooked_linear(lib, mod, log):
    lin = mod.Linear(3, 2)
    with lib.no_grad():
        lin.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]))
        lin.bias.fill_(0.5)

    def hook(m, grad_input, grad_output):
        log.append(("hook", [None if g is None else g.tolist() for g in grad_input], [g.tolist() for g in grad_output]))
        return None if grad_input[0] is None else (grad_input[0] * 2,)

    def pre_hook(m, grad_output):
        log.append(("pre", [g.tolist() for g in grad_output]))
        return (grad_output[0] * 10,)

    return lin, lin.register_full_backward_hook(hook), lin.register_full_backward_pre_hook(pre_hook)


def test_full_backward_hooks_by_hand():
    log = []
    lin, h1, h2 = _hooked_linear(nb, nn, log)
    x = nb.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = lin(x)
    assert y.grad_fn.name() == "BackwardHookFunctionBackward"
    (y * nb.tensor([[1.0, 2.0]])).sum().backward()
    # the pre-hook scales grad_output (1, 2) by 10; grad_input = (10, 20) @ W; the hook doubles it
    assert log == [("pre", [[[1.0, 2.0]]]), ("hook", [[[-10.0, 30.0, 70.0]]], [[[10.0, 20.0]]])]
    assert _np(x.grad).tolist() == [[-20.0, 60.0, 140.0]]
    assert _np(lin.weight.grad).tolist() == [[10.0, 20.0, 30.0], [20.0, 40.0, 60.0]]
    h1.remove()
    h2.remove()
    x.grad = None
    lin(x).sum().backward()  # (removed: no hook node, plain gradients)
    assert _np(x.grad).tolist() == [[0.0, 2.5, 5.0]] and len(log) == 2


def test_full_backward_hook_without_input_gradient_warns_and_gets_none():
    log = []
    lin, _, pre = _hooked_linear(nb, nn, log)
    pre.remove()
    with pytest.warns(UserWarning, match="^Full backward hook is firing when gradients are computed with respect to "
                                         "module outputs since no inputs require gradients"):
        lin(nb.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert log == [("hook", [None], [[[1.0, 1.0]]])]


@needs_torch
def test_full_backward_hooks_match_torch():
    logs = [], []
    (ours, *_), (theirs, *_) = _hooked_linear(nb, nn, logs[0]), _hooked_linear(torch, torch.nn, logs[1])
    x = nb.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
    tx = torch.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
    (ours(x) ** 2).sum().backward()
    (theirs(tx) ** 2).sum().backward()
    assert logs[0] == logs[1]
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy())
    np.testing.assert_allclose(_np(ours.weight.grad), theirs.weight.grad.numpy())


# ------------------------------------------------------------------ 5. state-dict hooks
def test_state_dict_pre_hook_and_load_post_hook():
    net = nn.Sequential(nn.Linear(1, 1))
    seen = []
    net[0].register_state_dict_pre_hook(lambda m, prefix, keep_vars: seen.append((prefix, keep_vars)))
    state = net.state_dict()
    assert seen == [("0.", False)]

    def forgive(module, keys):
        seen.append(list(keys.unexpected_keys))
        keys.unexpected_keys.clear()

    handle = net.register_load_state_dict_post_hook(forgive)
    state["extra"] = nb.zeros(1)
    result = net.load_state_dict(state)  # (the hook empties the unexpected keys: strict passes)
    assert seen[-1] == ["extra"] and repr(result) == "<All keys matched successfully>"
    handle.remove()
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "extra".'):
        net.load_state_dict(state)


def test_repr_puts_extra_lines_before_children_as_torch():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "width=3"

    assert repr(Block()) == "Block(\n  width=3\n  (inner): ReLU()\n)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert repr(nn.Sequential()) == "Sequential()"
