"""torch.compile, torch.compiler and torch.jit (script, trace, save/load, decorators).

nbtensor has no graph compiler: compiled, scripted and traced code runs the same Python, so
its values equal the eager ones exactly; the surface (what is returned, state_dict keys,
argument checks and their errors) is torch's. Parity tests run when torch is installed."""
import copy
import importlib
import pickle
import re
import time
import warnings

import numpy as np
import pytest

import nbtensor as torch
from nbtensor import nn

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")


def get_net():  # D2L 13.1's factory
    return nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 2))


def small_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))


def values(t):
    return t.detach().cpu().numpy()


def torch_copy(torch_ref, net):
    """The same network in torch, with `net`'s parameters."""
    ref = torch_ref.nn.Sequential(torch_ref.nn.Linear(4, 8), torch_ref.nn.ReLU(), torch_ref.nn.Dropout(0.5),
                                  torch_ref.nn.Linear(8, 3))
    ref.load_state_dict({k: torch_ref.tensor(values(v)) for k, v in net.state_dict().items()})
    return ref


# ------------------------------------------------------------------------- torch.compile
def test_compile_module_wraps_and_forwards():
    net = small_net().eval()
    x = torch.randn(5, 4)
    c = torch.compile(net)
    assert type(c).__name__ == "OptimizedModule" and isinstance(c, nn.Module)
    assert isinstance(c, torch.compiler.OptimizedModule)
    assert c._orig_mod is net
    np.testing.assert_array_equal(values(c(x)), values(net(x)))
    assert list(c.state_dict()) == ["_orig_mod." + k for k in net.state_dict()]
    assert [n for n, _ in c.named_parameters()] == ["_orig_mod." + n for n, _ in net.named_parameters()]
    assert repr(c).startswith("OptimizedModule(\n  (_orig_mod): Sequential(")
    # attribute reads and writes reach the wrapped module; training mirrors it
    assert c.training is False
    c.train()
    assert net.training and net[2].training and c.training
    c.extra = 3
    assert net.extra == 3 and c.extra == 3
    with pytest.raises(TypeError):  # (no __getitem__, as torch's)
        c[0]
    assert len(c) == 4


def test_compile_module_attribute_forwarding_linear():
    lin = nn.Linear(3, 2)
    c = torch.compile(lin)
    assert c.weight is lin.weight and c.in_features == 3
    with pytest.raises(TypeError, match="Linear does not support len"):
        len(c)
    sd = c.state_dict()
    lin2 = nn.Linear(3, 2)
    c2 = torch.compile(lin2)
    c2.load_state_dict(sd)
    np.testing.assert_array_equal(values(lin2.weight), values(lin.weight))
    with pytest.raises(RuntimeError):
        c2.load_state_dict(lin.state_dict())  # (keys without the `_orig_mod.` prefix)


def test_compile_training_step_matches_eager():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 1))
    eager = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 1))
    eager.load_state_dict(net.state_dict())
    model = torch.compile(net)
    x, y = torch.randn(6, 4), torch.randn(6, 1)
    for m in (model, eager):
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            loss = ((m(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
    for a, b in zip(net.parameters(), eager.parameters()):
        np.testing.assert_array_equal(values(a), values(b))


def test_compile_function_and_decorators():
    def f(x, y=1.0):
        """doc"""
        return torch.sin(x) + torch.cos(x) * y

    x = torch.randn(3)
    g = torch.compile(f)
    assert g is not f and g.__name__ == "f" and g.__doc__ == "doc" and g.__wrapped__ is f
    assert g._torchdynamo_orig_callable is f
    np.testing.assert_array_equal(values(g(x, y=2.0)), values(f(x, y=2.0)))

    @torch.compile
    def h(x):
        return x * 2

    @torch.compile(backend="eager", fullgraph=True, dynamic=False)
    def k(x):
        return x + 1

    @torch.compile()
    def m(x):
        return x - 1

    assert values(h(x)).tolist() == values(x * 2).tolist()
    assert values(k(x)).tolist() == values(x + 1).tolist()
    assert values(m(x)).tolist() == values(x - 1).tolist()
    assert h.__name__ == "h" and k.__name__ == "k"


def test_compile_disable_returns_model():
    net = nn.Linear(2, 2)

    def f(x):
        return x

    assert torch.compile(net, disable=True) is net
    assert torch.compile(f, disable=True) is f


@pytest.mark.parametrize("mode", ["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs", "lite"])
def test_compile_modes(mode):
    x = torch.randn(2, 2)
    assert values(torch.compile(torch.relu, mode=mode)(x)).tolist() == values(torch.relu(x)).tolist()


BAD_COMPILE = [
    (dict(mode="foo"), RuntimeError, "Unrecognized mode=foo, should be one of: default, lite, reduce-overhead, "
                                     "max-autotune-no-cudagraphs, max-autotune"),
    (dict(mode="default", options={}), RuntimeError,
     "Either mode or options can be specified, but both can't be specified at the same time."),
    (dict(backend="nope"), RuntimeError,
     "Invalid backend: 'nope', see `torch._dynamo.list_backends()` for available backends."),
    (dict(dynamic="x"), AssertionError, "Expected enable to be a bool, got <class 'str'>"),
]


@pytest.mark.parametrize("kwargs,exc,message", BAD_COMPILE)
def test_compile_bad_arguments(kwargs, exc, message):
    with pytest.raises(exc) as info:
        torch.compile(nn.Linear(2, 2), **kwargs)
    assert str(info.value) == message
    torch_ref = pytest.importorskip("torch")
    with pytest.raises(exc) as ref_info:
        torch_ref.compile(torch_ref.nn.Linear(2, 2), **kwargs)
    assert str(ref_info.value) == message


def test_compile_bad_model():
    with pytest.raises(AssertionError, match=r"A callable function is expected, but <class 'int'> is provided\."):
        torch.compile(3)
    with pytest.raises(RuntimeError, match="Model can't be None"):
        torch.compile(None)(None)
    deco = torch.compile(mode="foo")  # (checked when applied, as torch does)
    with pytest.raises(RuntimeError, match="Unrecognized mode=foo"):
        deco(lambda x: x)


def test_compiler_namespace():
    assert torch.compiler.is_compiling() is False
    seen = []

    @torch.compiler.disable
    def plain(x):
        seen.append(("disabled", torch.compiler.is_compiling()))
        return x

    @torch.compile
    def f(x):
        seen.append(("compiled", torch.compiler.is_compiling()))
        return plain(x) * 2

    assert values(f(torch.ones(2))).tolist() == [2.0, 2.0]
    assert seen == [("compiled", True), ("disabled", False)]
    assert torch.compiler.is_compiling() is False
    assert plain.__name__ == "plain"
    assert torch.compiler.disable(recursive=False)(len)([1]) == 1
    with pytest.raises(AssertionError, match="fn must be callable"):
        torch.compiler.disable(3)
    assert torch.compiler.list_backends() == ["cudagraphs", "inductor", "openxla", "tvm"]
    assert "eager" in torch.compiler.list_backends(None)
    assert torch.compiler.is_exporting() is False
    torch.compiler.reset()
    torch.compiler.cudagraph_mark_step_begin()
    assert torch.compiler.allow_in_graph(len) is len and torch.compiler.assume_constant_result(len) is len


def test_compile_parity_with_torch():
    torch_ref = pytest.importorskip("torch")
    net = small_net().eval()
    ref = torch_copy(torch_ref, net).eval()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    c = torch.compile(net)
    c_ref = torch_ref.compile(ref, backend="eager")
    assert list(c.state_dict()) == list(c_ref.state_dict())
    assert type(c).__name__ == type(c_ref).__name__
    assert repr(c) == repr(c_ref)
    np.testing.assert_allclose(values(c(torch.tensor(x))), c_ref(torch_ref.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert torch.compiler.list_backends() == torch_ref.compiler.list_backends()
    assert set(torch.compiler.list_backends(None)) <= set(torch_ref.compiler.list_backends(None))


# ------------------------------------------------------------------------- nn.Module.compile
class _Probe(nn.Module):
    """Reports whether its forward runs compiled."""

    def forward(self, x):
        return x * 2, torch.compiler.is_compiling()


def test_module_compile_compiles_the_call_in_place():
    m = _Probe()
    x = torch.ones(2)
    assert m(x)[1] is False
    assert m.compile() is None  # (in place: the module keeps its type, keys and printing)
    out, compiling = m(x)
    assert compiling is True and out.tolist() == [2.0, 2.0]
    assert type(m) is _Probe and repr(m) == "_Probe()" and m._compiled_call_impl is not None
    # hooks run inside the compiled call
    seen = []
    m.register_forward_hook(lambda mod, args, result: seen.append(torch.compiler.is_compiling()))
    m(x)
    assert seen == [True]
    # a copy, like a pickle, runs uncompiled (torch's __getstate__ drops the compiled call)
    assert copy.deepcopy(m)(x)[1] is False and copy.deepcopy(m)._compiled_call_impl is None
    lin = nn.Linear(2, 3)
    lin.compile()
    restored = pickle.loads(pickle.dumps(lin))
    assert restored._compiled_call_impl is None
    np.testing.assert_array_equal(values(restored(torch.ones(2))), values(lin(torch.ones(2))))
    m.compile(disable=True)  # (torch.compile gives back the call itself)
    assert m(x)[1] is False


@pytest.mark.parametrize("args, kwargs, exc, message", [
    ((1,), {}, TypeError, "compile() takes from 0 to 1 positional arguments but 2 were given"),
    ((), {"backend": "nope"}, RuntimeError, "Invalid backend: 'nope'"),
    ((), {"mode": "fast"}, RuntimeError, "Unrecognized mode=fast"),
    ((), {"mode": "default", "options": {}}, RuntimeError, "Either mode or options"),
])
def test_module_compile_checks_its_arguments_as_torch_compile(args, kwargs, exc, message):
    m = nn.Linear(2, 2)
    with pytest.raises(exc, match=re.escape(message)):
        m.compile(*args, **kwargs)
    assert m._compiled_call_impl is None
    torch_ref = pytest.importorskip("torch")
    with pytest.raises(exc, match=re.escape(message)):
        torch_ref.nn.Linear(2, 2).compile(*args, **kwargs)


def test_module_compile_parity_with_torch():
    torch_ref = pytest.importorskip("torch")
    net = small_net().eval()
    ref = torch_copy(torch_ref, net).eval()
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    assert net.compile() is None and ref.compile(backend="eager") is None
    assert type(net).__name__ == type(ref).__name__ == "Sequential"
    assert list(net.state_dict()) == list(ref.state_dict()) and repr(net) == repr(ref)
    np.testing.assert_allclose(values(net(torch.tensor(x))), ref(torch_ref.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------- torch._dynamo
def test_dynamo_names():
    dynamo = torch._dynamo
    assert dynamo.reset() is None
    assert dynamo.list_backends() == torch.compiler.list_backends()
    assert isinstance(torch.compile(nn.Linear(2, 2)), dynamo.eval_frame.OptimizedModule)
    assert not isinstance(nn.Linear(2, 2), dynamo.OptimizedModule)
    assert dynamo.is_compiling() is False and torch.compile(lambda: dynamo.is_compiling())() is True
    x = torch.ones(3, 2)
    assert dynamo.mark_dynamic(x, 0) is None and dynamo.maybe_mark_dynamic(x, 1) is None
    assert dynamo.mark_static(x) is None and dynamo.graph_break() is None
    with pytest.raises(dynamo.exc.InvalidBackend):
        torch.compile(len, backend="nope")


def test_dynamo_config_settings_and_patch():
    config = torch._dynamo.config
    assert config.suppress_errors is False and config.cache_size_limit == 8
    saved = config.get_config_copy()
    try:
        config.suppress_errors = True
        config.cache_size_limit = 64  # (torch's old name of recompile_limit)
        assert config.suppress_errors is True and config.recompile_limit == 64
        with config.patch(verbose=True, capture_scalar_outputs=True):
            assert config.verbose is True and config.capture_scalar_outputs is True
        assert config.verbose is False and config.capture_scalar_outputs is False
        with config.patch("recompile_limit", 3):
            assert config.cache_size_limit == 3
        assert config.cache_size_limit == 64

        @config.patch({"verbose": True})
        def inside():
            return config.verbose
        assert inside() is True and config.verbose is False
        with pytest.raises(AttributeError, match="torch._dynamo.config.bogus does not exist"):
            config.bogus = 1
        with pytest.raises(AttributeError, match="bogus"):
            config.patch(bogus=1)
        with pytest.raises(AssertionError, match="must be a dict"):
            config.patch("verbose")
    finally:
        for name, value in saved.items():
            setattr(config, name, value)


def test_dynamo_config_defaults_match_torch():
    torch_ref = pytest.importorskip("torch")
    theirs = importlib.import_module("torch._dynamo").config  # (torch's own)
    ours = torch._dynamo.config
    assert ours is not theirs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, value in ours.get_config_copy().items():
            assert value == getattr(theirs, name), name
    assert torch_ref._dynamo.config is theirs


# ------------------------------------------------------------------------- torch.jit.script
def test_script_module():
    net = small_net().eval()
    x = torch.randn(5, 4)
    with pytest.warns(DeprecationWarning, match="`torch.jit.script` is deprecated"):
        s = torch.jit.script(net)
    assert isinstance(s, torch.jit.ScriptModule) and isinstance(s, nn.Module)
    assert isinstance(s, torch.jit.RecursiveScriptModule)
    np.testing.assert_array_equal(values(s(x)), values(net(x)))
    assert list(s.state_dict()) == list(net.state_dict())
    assert s[0].weight is net[0].weight and s.original_name == "Sequential" and len(s) == 4
    assert repr(s) == ("RecursiveScriptModule(\n  original_name=Sequential\n"
                       "  (0): RecursiveScriptModule(original_name=Linear)\n"
                       "  (1): RecursiveScriptModule(original_name=ReLU)\n"
                       "  (2): RecursiveScriptModule(original_name=Dropout)\n"
                       "  (3): RecursiveScriptModule(original_name=Linear)\n)")
    assert torch.jit.script(s) is s
    # train/eval reach the original (dropout runs there)
    s.train()
    assert net.training and net[2].training
    s.eval()
    assert not net[2].training
    # no TorchScript IR: the attributes are absent rather than faked
    with pytest.raises(AttributeError, match="no TorchScript"):
        _ = s.code
    with pytest.raises(AttributeError, match="no TorchScript"):
        _ = s.graph
    assert bool(torch.jit.script(nn.Linear(2, 2)))


def test_script_custom_module_with_decorators():
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(3, 4)
            self.out = nn.Linear(4, 1)
            self.scale = 2.0

        def forward(self, x):
            if torch.jit.is_scripting():
                return self.helper(x)  # (never taken: scripted code runs as Python)
            return self.out(torch.relu(self.hidden(x))) * self.scale

        @torch.jit.ignore
        def helper(self, x):
            raise AssertionError

        @torch.jit.export
        def extra(self, x):
            return x + 1

        @torch.jit.unused
        def debug(self):
            return "python"

    torch.manual_seed(0)
    m = MLP()
    s = torch.jit.script(m)
    x = torch.randn(2, 3)
    np.testing.assert_array_equal(values(s(x)), values(m(x)))
    assert s.scale == 2.0 and values(s.extra(x)).tolist() == values(x + 1).tolist() and s.debug() == "python"
    assert [type(c).__name__ for c in s.children()] == ["RecursiveScriptModule"] * 2
    assert s.hidden.weight is m.hidden.weight
    s.scale = 3.0  # (written to the module that runs)
    assert m.scale == 3.0


def test_script_function_and_errors():
    def add(x, y):
        return x + y

    f = torch.jit.script(add)
    assert isinstance(f, torch.jit.ScriptFunction) and f.name == "add" and f.__name__ == "add"
    x = torch.randn(3)
    np.testing.assert_array_equal(values(f(x, x)), values(x + x))
    with pytest.raises(RuntimeError, match="Expected a single top-level function"):
        torch.jit.script(lambda x: x)
    with pytest.raises(TypeError, match="<class 'int'> is a built-in class"):
        torch.jit.script(3)
    with pytest.raises(RuntimeError, match="cannot be compiled since it inherits from nn.Module, pass an instance"):
        torch.jit.script(nn.Linear)


def test_jit_helpers():
    assert torch.jit.is_scripting() is False and torch.jit.is_tracing() is False
    assert torch.jit.annotate(int, 3) == 3
    from typing import Final
    assert torch.jit.Final is Final
    fut = torch.jit.fork(lambda a, b: a + b, 1, b=2)
    assert torch.jit.wait(fut) == 3 and fut.done()

    def g(x):
        return x

    assert torch.jit.ignore(g) is g and g._torchscript_modifier.startswith("ignore")
    assert torch.jit.ignore(drop=True)(g) is g and g._torchscript_modifier.startswith("unused")
    assert torch.jit.unused(g) is g and torch.jit.export(g) is g and g._torchscript_modifier.startswith("export")
    with pytest.raises(RuntimeError, match="Argument to @torch.jit.ignore must be a bool or a function but got 3"):
        torch.jit.ignore(3)
    with pytest.raises(RuntimeError, match="Freezing expects a ScriptModule"):
        torch.jit.freeze(nn.Linear(2, 2))
    s = torch.jit.script(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="only implemented for modules in eval mode"):
        torch.jit.freeze(s)
    assert torch.jit.freeze(s.eval()) is s


def test_script_parity_with_torch():
    torch_ref = pytest.importorskip("torch")
    net = small_net().eval()
    ref = torch_copy(torch_ref, net).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_ref = torch_ref.jit.script(ref)
        s = torch.jit.script(net)
        t_ref = torch_ref.jit.trace(ref, torch_ref.ones(1, 4))
        t = torch.jit.trace(net, torch.ones(1, 4))
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(values(s(torch.tensor(x))), s_ref(torch_ref.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(values(t(torch.tensor(x))), t_ref(torch_ref.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert repr(s) == repr(s_ref) and repr(t) == repr(t_ref)
    assert list(s.state_dict()) == list(s_ref.state_dict()) and list(t.state_dict()) == list(t_ref.state_dict())
    assert type(s).__name__ == type(s_ref).__name__ and type(t).__name__ == type(t_ref).__name__


# ------------------------------------------------------------------------- torch.jit.trace
def test_trace_function_runs_once():
    calls = []

    def f(x, y):
        calls.append(torch.jit.is_tracing())
        return x * y

    x = torch.randn(3)
    with pytest.warns(DeprecationWarning, match="`torch.jit.trace` is deprecated"):
        t = torch.jit.trace(f, (x, x))
    assert calls == [True]
    assert isinstance(t, torch.jit.ScriptFunction) and t.name == "f"
    np.testing.assert_array_equal(values(t(x, x + 1)), values(x * (x + 1)))
    assert calls == [True, True] and torch.jit.is_tracing() is False
    # one tensor is one argument; a list is taken as the arguments
    np.testing.assert_array_equal(values(torch.jit.trace(torch.neg, x)(x)), values(-x))
    assert values(torch.jit.trace(f, [x, x])(x, x)).tolist() == values(x * x).tolist()
    assert torch.jit.trace(lambda x: x * 2, x).name == "_lambda"


def test_trace_module():
    net = small_net().eval()
    x = torch.randn(2, 4)
    t = torch.jit.trace(net, x)
    assert isinstance(t, torch.jit.TopLevelTracedModule) and isinstance(t, torch.jit.ScriptModule)
    np.testing.assert_array_equal(values(t(x)), values(net(x)))
    assert list(t.state_dict()) == list(net.state_dict())
    assert repr(t).startswith("Sequential(\n  original_name=Sequential\n  (0): Linear(original_name=Linear)")
    assert type(torch.jit.trace(net.forward, x)).__name__ == "TopLevelTracedModule"
    t2 = torch.jit.trace(nn.Linear(4, 2), example_kwarg_inputs={"input": x})
    assert tuple(t2(x).shape) == (2, 2)
    with pytest.warns(UserWarning, match="already a ScriptModule"):
        assert torch.jit.trace(t, x) is t


def test_trace_bad_arguments():
    net = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="example_kwarg_inputs should be a dict"):
        torch.jit.trace(net)
    with pytest.raises(TypeError, match="'NoneType' object is not iterable"):
        torch.jit.trace(lambda x: x)
    with pytest.raises(TypeError, match="'int' object is not iterable"):
        torch.jit.trace(lambda x: x, 3)
    with pytest.raises(RuntimeError):  # (the example run's own error: wrong shapes)
        torch.jit.trace(net, torch.ones(3))


# ------------------------------------------------------------------------- save / load
@pytest.mark.cpu_only
def test_save_load_round_trip(tmp_path):
    net = small_net().eval()
    x = torch.randn(3, 4)
    s = torch.jit.script(net)
    path = tmp_path / "my_mlp"
    s.save(str(path))
    loaded = torch.jit.load(str(path))
    assert isinstance(loaded, torch.jit.RecursiveScriptModule)
    np.testing.assert_array_equal(values(loaded(x)), values(net(x)))
    assert list(loaded.state_dict()) == list(net.state_dict())
    for a, b in zip(loaded.parameters(), net.parameters()):
        assert a is not b
        np.testing.assert_array_equal(values(a), values(b))
    # torch.jit.save, a traced module, a path object, a function
    t = torch.jit.trace(net, x)
    torch.jit.save(t, tmp_path / "traced.pt")
    lt = torch.jit.load(tmp_path / "traced.pt", map_location="cpu")
    assert isinstance(lt, torch.jit.TopLevelTracedModule)
    np.testing.assert_array_equal(values(lt(x)), values(net(x)))
    f = torch.jit.script(_module_level_function)
    f.save(str(tmp_path / "f.pt"))
    lf = torch.jit.load(str(tmp_path / "f.pt"))
    assert values(lf(x)).tolist() == values(x * 3).tolist()
    extra = {"meta": ""}
    torch.jit.save(s, tmp_path / "e.pt", _extra_files={"meta": "hello"})
    torch.jit.load(tmp_path / "e.pt", _extra_files=extra)
    assert extra == {"meta": "hello"}


def _module_level_function(x):
    return x * 3


@pytest.mark.cpu_only
def test_save_load_errors(tmp_path):
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'save'"):
        torch.jit.save(nn.Linear(2, 2), tmp_path / "x.pt")
    with pytest.raises(ValueError, match="does not exist"):
        torch.jit.load(str(tmp_path / "missing.pt"))
    with pytest.raises(ValueError, match="is a directory"):
        torch.jit.load(str(tmp_path))
    torch.save({"a": torch.ones(2)}, tmp_path / "plain.pt")
    with pytest.raises(RuntimeError, match="not a module or function saved by nbtensor.jit.save"):
        torch.jit.load(tmp_path / "plain.pt")


# ------------------------------------------------------------------------- D2L 13.1
class Benchmark:
    """For measuring running time (D2L's, with time.perf_counter for d2l.Timer)."""

    def __init__(self, description="Done"):
        self.description = description

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *args):
        print(f"{self.description}: {time.perf_counter() - self.start:.4f} sec")


@pytest.mark.cpu_only
def test_d2l_13_1_cells(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    x = torch.randn(size=(1, 512))
    net = get_net()
    eager = net(x)
    net = torch.jit.script(net)
    np.testing.assert_array_equal(values(net(x)), values(eager))

    net = get_net()
    with Benchmark("Without torchscript"):
        for _ in range(20):
            net(x)
    net = torch.jit.script(net)
    with Benchmark("With torchscript"):
        for _ in range(20):
            net(x)
    out = capsys.readouterr().out
    assert "Without torchscript:" in out and "With torchscript:" in out

    net.save("my_mlp")
    assert (tmp_path / "my_mlp").stat().st_size > 512 * 256 * 4
    np.testing.assert_array_equal(values(torch.jit.load("my_mlp")(x)), values(net(x)))
