"""``nbtensor.compile`` and ``nbtensor.compiler`` (torch.compile, torch.compiler).

nbtensor has no graph compiler: a "compiled" function or module runs the same Python, op by
op, so its results are exactly the eager ones (torch's compiled results equal its eager ones
up to rounding). What this module gives is torch's surface, so that code written for
``torch.compile`` runs unchanged:

- ``compile(model, *, fullgraph, dynamic, backend, mode, options, name, disable, ...)``
  checks its arguments as torch does (both `mode` and `options`, an unknown `mode`, an unknown
  backend name, a non-bool `dynamic`, a model that is not callable) and returns, for an
  ``nn.Module``, an ``OptimizedModule`` that wraps it (``_orig_mod``; attribute reads and
  writes reach the wrapped module; ``state_dict`` keys start with ``_orig_mod.``), for a
  function, a wrapper function (``functools.wraps``; ``_torchdynamo_orig_callable``); without
  a model it is a decorator. ``disable=True`` returns the model itself, as torch does.
- ``is_compiling()`` is true while a compiled function or module runs (the branch that torch's
  compiler traces is the one taken), and false inside ``disable``-d functions.
- A callable `backend` is accepted but never called (there is no FX graph to give it), and
  `options` are not checked against inductor's configuration (nbtensor has none).
"""
import functools
import threading

from nbtensor.nn import Module

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset",
           "list_backends", "allow_in_graph", "assume_constant_result", "cudagraph_mark_step_begin",
           "get_default_backend", "set_default_backend", "OptimizedModule", "InvalidBackend"]

# torch 2.13's registered backends (torch._dynamo.list_backends(None)) and those it lists by
# default (without the "debug" and "experimental" tags)
_BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_decomp_partition_crossref",
             "aot_eager_decomp_partition_with_mode", "aot_eager_default_partitioner", "aot_ts", "cudagraphs",
             "dynamo_accuracy_minifier_backend", "dynamo_minifier_backend", "eager", "eager_debug",
             "eager_noexcept", "inductor", "invoke_subgraph", "openxla", "openxla_eval", "pre_dispatch_eager",
             "ts", "tvm")
_LISTED_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm")
_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")

_state = threading.local()
_default_backend = "inductor"


class InvalidBackend(RuntimeError):
    """torch._dynamo.exc.InvalidBackend: a backend name that is not registered."""

    def __init__(self, name):
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for available backends.")


def _depth():
    return getattr(_state, "depth", 0)


class _Compiling:
    """Context: code run inside it is "being compiled" (is_compiling() is true), or, with
    `on=False`, is not (a disable-d function)."""
    __slots__ = ("on", "saved")

    def __init__(self, on):
        self.on = on

    def __enter__(self):
        self.saved = _depth()
        _state.depth = self.saved + 1 if self.on else 0

    def __exit__(self, *exc):
        _state.depth = self.saved


def is_compiling():
    """True while code runs as part of a ``compile``-d function or module (nbtensor runs that
    code as Python; the flag says which path torch's compiler would trace)."""
    return _depth() > 0


def is_dynamo_compiling():
    return _depth() > 0


def is_exporting():
    """False: nbtensor has no torch.export."""
    return False


def reset():
    """Nothing to clear: nbtensor keeps no compiled graphs (kernels stay in Numba's cache)."""


def list_backends(exclude_tags=("debug", "experimental")):
    """The backend names ``compile`` accepts (torch 2.13's list; all of them run eagerly here)."""
    return list(_LISTED_BACKENDS if exclude_tags else _BACKENDS)


def get_default_backend():
    return _default_backend


def set_default_backend(backend):
    """The backend ``compile`` uses when given none (None: back to "inductor")."""
    global _default_backend
    if backend is None:
        backend = "inductor"
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise InvalidBackend(backend)
    _default_backend = backend


def allow_in_graph(fn):
    """`fn` itself (there is no graph to put it in)."""
    return fn


def assume_constant_result(fn):
    """`fn` itself (it is still called each time)."""
    return fn


def cudagraph_mark_step_begin():
    """Nothing to do: nbtensor records no CUDA graphs."""


def disable(fn=None, recursive=True, *, reason=None):
    """`fn` (or, without it, a decorator) run outside compilation: ``is_compiling()`` is false
    while it runs, as in torch. (`recursive=False` is treated like True: nbtensor cannot
    compile the functions that `fn` calls apart from `fn`.)"""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)
    if not callable(fn):
        raise AssertionError("fn must be callable")
    if isinstance(fn, type):
        return fn

    @functools.wraps(fn)
    def _disabled(*args, **kwargs):
        with _Compiling(False):
            return fn(*args, **kwargs)

    _disabled._torchdynamo_disable = True
    return _disabled


def _check(model, dynamic, backend, mode, options):
    """torch.compile's checks, in its order."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if backend == "inductor" and mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise InvalidBackend(backend)
    if options is not None and not isinstance(options, dict):
        raise AttributeError(f"'{type(options).__name__}' object has no attribute 'items'")
    if dynamic is not None and not isinstance(dynamic, bool):
        raise AssertionError(f"Expected enable to be a bool, got {type(dynamic)}")
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None, name=None,
            disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """torch.compile: `model` (an ``nn.Module`` or a function) wrapped so that it runs as a
    compiled one would; here that is the same Python, so the values are the eager ones.
    Without `model`, a decorator. Arguments are checked as torch checks them."""
    if backend is None:
        backend = _default_backend
    if model is None:
        def decorator(model):
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                           options=options, name=name, disable=disable, recompile_limit=recompile_limit,
                           isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
        return decorator
    _check(model, dynamic, backend, mode, options)
    if disable or isinstance(model, type):
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)
    return _compiled_function(model)


def _compiled_function(fn):
    @functools.wraps(fn)
    def compiled(*args, **kwargs):
        with _Compiling(True):
            return fn(*args, **kwargs)

    compiled._torchdynamo_orig_callable = fn
    compiled._torchdynamo_wrapper_id = id(compiled)
    return compiled


class OptimizedModule(Module):
    """torch._dynamo.eval_frame.OptimizedModule: wraps a module (``_orig_mod``, a child, so
    ``state_dict`` keys start with ``_orig_mod.``); reads and writes of other attributes
    reach the wrapped module; calling it runs the wrapped module's ``__call__``."""

    _opt_mod_attributes = {"_orig_mod", "dynamo_ctx", "_torchdynamo_orig_callable", "_torchdynamo_wrapper_id",
                           "get_compiler_config", "forward", "_forward", "__dict__", "named_children_walk",
                           "_super_module_initialized"}

    def __init__(self, mod):
        object.__setattr__(self, "_orig_mod", mod)  # (attribute reads during __init__ reach it)
        self._super_module_initialized = False
        super().__init__()
        self._super_module_initialized = True
        self._orig_mod = mod  # (registers it as the child `_orig_mod`)
        self.forward = _compiled_function(mod.__call__)
        self._torchdynamo_orig_callable = mod.__call__

    def __len__(self):
        if hasattr(type(self._orig_mod), "__len__"):
            return len(self._orig_mod)
        raise TypeError(f"{type(self._orig_mod).__name__} does not support len()")

    def __reduce__(self):
        return (type(self), (self._orig_mod,))

    @property
    def training(self):
        return self._orig_mod.training

    @training.setter
    def training(self, value):
        # (Module.__init__ sets the default; the wrapped module's flag is the one kept)
        if self.__dict__.get("_super_module_initialized"):
            self._orig_mod.training = value

    def __getattr__(self, name):
        if name == "_orig_mod":
            return self._modules["_orig_mod"]
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__setattr__(name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name):
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__delattr__(name)
        return delattr(self._orig_mod, name)

    def __dir__(self):
        orig = self._orig_mod.__dir__()
        return orig + [a for a in super().__dir__() if a not in orig]
