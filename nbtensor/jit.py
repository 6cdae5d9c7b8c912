"""``nbtensor.jit`` (torch.jit): script, trace, save/load and TorchScript's decorators.

nbtensor has no TorchScript compiler: a scripted or traced module or function runs the same
Python, op by op, so its values are exactly the eager ones. What this module gives is
torch.jit's surface, so that code written for it (D2L 13.1's ``net = torch.jit.script(net);
net(x); net.save('my_mlp')``) runs unchanged:

- ``script(module)`` returns a ``RecursiveScriptModule`` (a ``ScriptModule``, an ``nn.Module``)
  that shares the module's parameters and buffers (same tensors, same ``state_dict`` keys),
  wraps its children the same way and prints as torch's (``original_name=...``); calling it
  calls the module. ``script(function)`` returns a ``ScriptFunction``.
- ``trace(func, example_inputs)`` checks the inputs as torch does and runs `func` on them once
  (torch runs it up to three times with ``check_trace``); the result (a ``TopLevelTracedModule``
  or a ``ScriptFunction``) then runs the Python again on every call. Unlike torch's trace it
  does not freeze the control flow taken by the example inputs: a data-dependent branch is
  taken anew each call (torch warns with a TracerWarning that its trace may be wrong there).
- ``save(m, f)`` / ``m.save(f)`` write **nbtensor's** format, not TorchScript's: an
  ``nbtensor.save`` archive (a zip, as torch's ``.pt``) of the original module, pickled, so
  ``load(f)`` needs the module's class importable (as ``torch.load(weights_only=False)``
  does) and runs the pickle: load only files you trust. torch.jit.load cannot read these
  files, nor nbtensor.jit.load TorchScript's.
- ``.code``, ``.graph`` and ``.inlined_graph`` are not provided: there is no TorchScript IR.
- ``is_scripting()`` is always false: scripted code runs as Python, so it takes the branch
  meant for Python (the one torch takes in eager mode and in ``@ignore``-d functions).
  ``is_tracing()`` is true while a traced function or module runs (the branch that torch
  recorded when tracing).
- ``ignore``, ``unused``, ``export``, ``script_method``, ``interface``, ``annotate``, ``Final``,
  ``Attribute``, ``fork``/``wait`` (run at once, as torch's in eager mode), ``freeze`` and
  ``optimize_for_inference`` behave as torch's do for Python code.
"""
import collections
import contextlib
import functools
import inspect
import os
import threading
import typing
import warnings

import nbtensor as torch
from nbtensor.nn import Module
from nbtensor.serialization import load as _load, save as _save

__all__ = ["script", "trace", "trace_module", "save", "load", "ScriptModule", "RecursiveScriptModule",
           "ScriptFunction", "TracedModule", "TopLevelTracedModule", "ignore", "unused", "export",
           "script_method", "interface", "annotate", "Final", "Attribute", "is_scripting", "is_tracing", "fork",
           "wait", "Future", "freeze", "optimize_for_inference", "optimized_execution", "script_if_tracing",
           "FunctionModifiers"]

Final = typing.Final
Attribute = collections.namedtuple("Attribute", ["value", "type"])

_state = threading.local()
_FORMAT = "nbtensor.jit"  # the key of the record that save writes


def _deprecated(what):
    warnings.warn(f"`torch.jit.{what}` is deprecated. Please switch to `torch.compile` or `torch.export`.",
                  DeprecationWarning, stacklevel=3)


# ------------------------------------------------------------------------- flags
def is_scripting():
    """False: nbtensor runs scripted code as Python, so the Python branch is the one to take."""
    return False


def is_tracing():
    """True while a traced function or module runs (the branch torch's tracer recorded)."""
    return getattr(_state, "tracing", 0) > 0


class _Tracing:
    __slots__ = ("saved",)

    def __enter__(self):
        self.saved = getattr(_state, "tracing", 0)
        _state.tracing = self.saved + 1

    def __exit__(self, *exc):
        _state.tracing = self.saved


class _NotTracing:
    def __enter__(self):
        pass

    def __exit__(self, *exc):
        pass


# ------------------------------------------------------------------------- decorators
class FunctionModifiers:
    """What a decorator marks a function with (torch's ``_torchscript_modifier`` values)."""
    UNUSED = "unused (ignored and replaced with raising of an exception)"
    IGNORE = "ignore (leave as a call to Python, cannot be torch.jit.save'd)"
    EXPORT = "export (compile this function even if nothing calls it)"
    DEFAULT = "default (compile if called from an exported function / forward)"
    COPY_TO_SCRIPT_WRAPPER = "if this method is not scripted, copy the python method onto the scripted model"
    _DROP = "_drop (function is fully ignored, declaration can be unscriptable)"


def export(fn):
    """`fn`, marked as torch marks it (it runs as Python either way)."""
    fn._torchscript_modifier = FunctionModifiers.EXPORT
    return fn


def unused(fn):
    """`fn`, marked as torch marks it. (Scripted by torch, calling it raises; here it runs.)"""
    if isinstance(fn, property):
        for accessor in (fn.fget, fn.fset):
            if accessor is not None:
                accessor._torchscript_modifier = FunctionModifiers.UNUSED
        return fn
    fn._torchscript_modifier = FunctionModifiers.UNUSED
    return fn


def ignore(drop=False, **kwargs):
    """``@ignore`` / ``@ignore(drop=...)``: the function, marked as torch marks it."""
    if callable(drop):
        drop._torchscript_modifier = FunctionModifiers.IGNORE
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but got {drop}")
    if kwargs.pop("drop_on_export", None):
        warnings.warn("ignore(drop_on_export=True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now. {}", FutureWarning, stacklevel=2)
        drop = True

    def decorator(fn):
        fn._torchscript_modifier = FunctionModifiers.UNUSED if drop else FunctionModifiers.IGNORE
        return fn
    return decorator


def script_method(fn):
    """`fn` (a ScriptModule subclass's method; it runs as Python)."""
    _deprecated("script_method")
    return fn


def interface(obj):
    return obj


def script_if_tracing(fn):
    return fn


def annotate(the_type, the_value):
    """`the_value` (the type is for TorchScript's compiler)."""
    return the_value


@contextlib.contextmanager
def optimized_execution(should_optimize):
    yield


# ------------------------------------------------------------------------- fork / wait
class Future:
    """A finished result (torch.jit.Future): ``fork`` runs its function at once, as torch
    does outside TorchScript."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def value(self):
        return self._value

    def done(self):
        return True

    def then(self, callback):
        return Future(callback(self))

    def add_done_callback(self, callback):
        callback(self)


def fork(func, *args, **kwargs):
    return Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


# ------------------------------------------------------------------------- script functions
class ScriptFunction:
    """A scripted or traced function: calling it calls the Python function."""

    def __init__(self, fn, name, traced=False):
        self._fn = fn
        self.name = self.qualified_name = name
        self._traced = traced
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args, **kwargs):
        with _Tracing() if self._traced else _NotTracing():
            return self._fn(*args, **kwargs)

    def __get__(self, obj, objtype=None):  # (a method of a class stays one)
        return self if obj is None else functools.partial(self, obj)

    def save(self, f, _extra_files=None):
        save(self, f, _extra_files)

    def __repr__(self):
        return f"<nbtensor.jit.ScriptFunction {self.name}>"


# ------------------------------------------------------------------------- script modules
class ScriptModule(Module):
    """torch.jit.ScriptModule: the base class of scripted and traced modules (and of user
    classes written with ``@script_method``). ``save`` writes nbtensor's format."""

    def save(self, f, _extra_files=None):
        save(self, f, _extra_files)

    def __getattr__(self, name):
        if name in ("code", "graph", "inlined_graph", "code_with_constants"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}' (nbtensor has no "
                                 "TorchScript compiler: scripted code runs as Python and has no TorchScript IR)")
        return super().__getattr__(name)


class RecursiveScriptModule(ScriptModule):
    """A scripted module: shares the original's parameters and buffers (so ``state_dict`` has
    the same keys and tensors), wraps each child the same way, and calls the original."""

    _tracing = False

    def __init__(self, original):
        object.__setattr__(self, "_original", original)
        object.__setattr__(self, "_initialized", False)
        super().__init__()
        set_ = object.__setattr__
        set_(self, "_parameters", original._parameters)
        set_(self, "_buffers", original._buffers)
        set_(self, "_non_persistent_buffers_set", original._non_persistent_buffers_set)
        set_(self, "_modules", collections.OrderedDict(
            (name, None if child is None else self._wrap(child)) for name, child in original._modules.items()))
        set_(self, "original_name", type(original).__name__)
        set_(self, "_initialized", True)

    @classmethod
    def _wrap(cls, module):
        return module if isinstance(module, ScriptModule) else cls(module)

    def forward(self, *args, **kwargs):
        with _Tracing() if self._tracing else _NotTracing():
            return self._original(*args, **kwargs)

    @property
    def training(self):
        return self._original.training

    @training.setter
    def training(self, value):
        if self.__dict__.get("_initialized"):
            self._original.training = value

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_original", "_initialized"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name in ("code", "graph", "inlined_graph", "code_with_constants"):
                raise
        return getattr(self._original, name)

    def __setattr__(self, name, value):
        if not self.__dict__.get("_initialized") or hasattr(type(self), name):
            return super().__setattr__(name, value)
        setattr(self._original, name, value)  # (the original is what runs)
        if isinstance(value, Module):
            self._modules[name] = self._wrap(value)
        elif name in self._modules:
            self._modules[name] = value

    def __delattr__(self, name):
        delattr(self._original, name)
        self._modules.pop(name, None)

    def __reduce__(self):
        return (type(self), (self._original,))

    def extra_repr(self):
        return f"original_name={self.original_name}"

    def __bool__(self):  # (not len(): a scripted Linear is true, as every module is)
        return True

    # container access, as torch's scripted containers give it (the original's items)
    def __getitem__(self, idx):
        return self._original[idx]

    def __len__(self):
        return len(self._original)

    def __iter__(self):
        return iter(self._original)

    def __contains__(self, key):
        return key in self._original

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(dir(self._original)))


class TracedModule(RecursiveScriptModule):
    """A traced module (prints with the original's class name, as torch's)."""
    _tracing = True

    def _get_name(self):
        return self.original_name


class TopLevelTracedModule(TracedModule):
    @classmethod
    def _wrap(cls, module):
        return module if isinstance(module, ScriptModule) else TracedModule(module)


# ------------------------------------------------------------------------- script / trace
def _qualified_function_name(fn):
    return "_lambda" if fn.__name__ == "<lambda>" else fn.__name__


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """torch.jit.script: a module becomes a ``RecursiveScriptModule``, a function a
    ``ScriptFunction``; both run the same Python (values equal the eager ones)."""
    _deprecated("script")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with torch.jit.optimized_execution()` "
                      "instead", FutureWarning, stacklevel=2)
    if isinstance(obj, (ScriptModule, ScriptFunction)):
        return obj
    if isinstance(obj, Module):
        if hasattr(obj, "__prepare_scriptable__"):
            obj = obj.__prepare_scriptable__()
        return RecursiveScriptModule(obj)
    if isinstance(obj, (dict, list)):
        return obj
    if inspect.isclass(obj):
        if issubclass(obj, Module):
            raise RuntimeError(f"Type '{obj}' cannot be compiled since it inherits from nn.Module, "
                               "pass an instance instead")
        return obj
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        if obj.__name__ == "<lambda>":
            code = obj.__code__
            raise RuntimeError(f"Expected a single top-level function: {code.co_filename}:{code.co_firstlineno}")
        return ScriptFunction(obj, _qualified_function_name(obj))
    if type(obj).__module__ == "builtins" or inspect.isbuiltin(obj):
        raise TypeError(f"{type(obj)} is a built-in class")
    raise RuntimeError(f"Cannot script an object of type {type(obj).__name__}: nbtensor.jit.script takes a "
                       "module, a function or a class")


def _as_tuple(example_inputs):
    if isinstance(example_inputs, (torch.Tensor, dict)):
        return (example_inputs,)
    if not isinstance(example_inputs, tuple):
        return tuple(example_inputs)
    return example_inputs


def _run(fn, example_inputs, example_kwarg_inputs):
    with _Tracing():
        if isinstance(example_kwarg_inputs, dict):
            return fn(**example_kwarg_inputs)
        return fn(*example_inputs)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """torch.jit.trace: checks `example_inputs` (or `example_kwarg_inputs`) as torch does and
    runs `func` on them once; returns a ``TopLevelTracedModule`` (for a module or its bound
    ``forward``) or a ``ScriptFunction``, which run the Python again on each call."""
    _deprecated("trace")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with torch.jit.optimized_execution()` "
                      "instead", FutureWarning, stacklevel=2)
    if isinstance(func, ScriptModule):
        warnings.warn("The input to trace is already a ScriptModule, tracing it is a no-op. Returning the object "
                      "as is.", stacklevel=2)
        return func
    module = func if isinstance(func, Module) else None
    if module is None and isinstance(getattr(func, "__self__", None), Module) and func.__name__ == "forward":
        module = func.__self__
    if module is not None:
        if example_inputs is None:
            if not isinstance(example_kwarg_inputs, dict):
                raise RuntimeError("example_kwarg_inputs should be a dict")
        return trace_module(module, {"forward": example_inputs}, None, check_trace, check_inputs, check_tolerance,
                            strict, _force_outplace, _module_class,
                            example_inputs_is_kwarg=isinstance(example_kwarg_inputs, dict),
                            _store_inputs=_store_inputs, _kwarg_inputs=example_kwarg_inputs)
    if example_kwarg_inputs is None:
        example_inputs = _as_tuple(example_inputs)
    elif not isinstance(example_kwarg_inputs, dict):
        raise TypeError("_create_function_from_trace(): incompatible function arguments: example_kwarg_inputs "
                        f"must be a dict, not {type(example_kwarg_inputs).__name__}")
    if isinstance(getattr(func, "__self__", None), Module):
        raise AttributeError("trace doesn't support compiling individual module's functions.\n"
                             "Please use trace_module")
    if not callable(func):
        raise RuntimeError("Could not get name of python class object")
    _run(func, example_inputs, example_kwarg_inputs)
    return ScriptFunction(func, _qualified_function_name(func) if hasattr(func, "__name__") else "forward",
                          traced=True)


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
                 strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
                 example_inputs_is_kwarg=False, _store_inputs=True, _kwarg_inputs=None):
    """torch.jit.trace_module: runs each named method of `mod` once on its example inputs
    and returns a ``TopLevelTracedModule`` of `mod`."""
    if not isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    traced = TopLevelTracedModule(mod)
    for method_name, example in inputs.items():
        method = mod if method_name == "forward" else getattr(mod, method_name)
        if example_inputs_is_kwarg:
            _run(method, (), example if isinstance(example, dict) else _kwarg_inputs)
        else:
            _run(method, _as_tuple(example), None)
    return traced


# ------------------------------------------------------------------------- save / load / freeze
def save(m, f, _extra_files=None):
    """Write the scripted or traced module or function `m` to `f` (a path or a binary file)
    in nbtensor's format (an ``nbtensor.save`` archive of the original module; see the module
    docstring). ``load`` reads it back."""
    if not isinstance(m, (ScriptModule, ScriptFunction)):
        raise AttributeError(f"'{type(m).__name__}' object has no attribute 'save'")
    if isinstance(f, (str, os.PathLike)):
        f = os.fspath(f)
    if isinstance(m, ScriptFunction):
        record = {_FORMAT: 1, "kind": "traced_function" if m._traced else "function", "object": m._fn,
                  "name": m.name}
    elif isinstance(m, RecursiveScriptModule):
        record = {_FORMAT: 1, "kind": "traced" if isinstance(m, TracedModule) else "scripted",
                  "object": m._original}
    else:  # (a user's ScriptModule subclass)
        record = {_FORMAT: 1, "kind": "module", "object": m}
    if _extra_files:
        record["extra_files"] = dict(_extra_files)
    _save(record, f)


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """The module or function that ``save`` wrote to `f`, its tensors moved to `map_location`
    when given. Reads only nbtensor's format (not TorchScript archives); runs the pickle, so
    load only files you trust."""
    if isinstance(f, (str, os.PathLike)):
        if not os.path.exists(f):
            raise ValueError(f"The provided filename {f} does not exist")
        if os.path.isdir(f):
            raise ValueError(f"The provided filename {f} is a directory")
    record = _load(f, weights_only=False)
    if not (isinstance(record, dict) and record.get(_FORMAT) == 1):
        raise RuntimeError(f"{f!r} is not a module or function saved by nbtensor.jit.save (nbtensor.jit.load reads "
                           "only those, not TorchScript archives; use nbtensor.load for other files)")
    if _extra_files is not None:
        saved = record.get("extra_files", {})
        for name in _extra_files:
            _extra_files[name] = saved.get(name, "")
    kind, obj = record["kind"], record["object"]
    if kind in ("function", "traced_function"):
        return ScriptFunction(obj, record["name"], traced=kind == "traced_function")
    if map_location is not None:
        obj = obj.to(map_location)
    return {"scripted": RecursiveScriptModule, "traced": TopLevelTracedModule}.get(kind, lambda m: m)(obj)


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """`mod` (a ScriptModule in eval mode, as torch requires); nothing to fold here."""
    if not isinstance(mod, ScriptModule):
        raise RuntimeError("Freezing expects a ScriptModule as input. Please use torch.jit.script or "
                           "torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() "
                           "on your module before freezing.")
    return mod


def optimize_for_inference(mod, other_methods=None):
    """`mod`, frozen (in eval mode) as torch's is: scripted first if it is not yet."""
    if not isinstance(mod, ScriptModule):
        mod = script(mod)
    return freeze(mod.eval()) if mod.training else mod
