"""``nbtensor._dynamo`` (torch._dynamo): the few names of torch's compiler front end that code
around ``torch.compile`` commonly touches, as far as they mean something without a graph
compiler (nbtensor's compile runs the same Python: see compiler.py).

- ``reset()`` clears nothing (no compiled graphs are kept); ``list_backends``,
  ``is_compiling``, ``disable``, ``allow_in_graph``, ``assume_constant_result`` and
  ``OptimizedModule`` (also as ``eval_frame.OptimizedModule``, which libraries test with
  ``isinstance`` to find a compiled module) are ``nbtensor.compiler``'s.
- ``mark_dynamic``, ``maybe_mark_dynamic``, ``mark_static`` and ``graph_break`` return None and
  change nothing: with no tracer, no shape is ever specialised and there is no graph to break.
- ``config`` takes the settings people set around compile (``suppress_errors``,
  ``cache_size_limit``, ``capture_scalar_outputs``, ...; torch 2.13's defaults), reads them
  back, and ``config.patch(...)`` sets some for a ``with`` block or a decorated function.
  None of them changes what nbtensor computes (there is no compiler for them to steer; what
  each promises, such as falling back to eager or not recompiling, holds already). A name
  outside that list raises AttributeError rather than being silently accepted.

Not provided (they would have to invent graphs): ``explain``, ``optimize``, ``export``,
``register_backend``.
"""
import contextlib
import functools
import types

from nbtensor.compiler import (InvalidBackend, OptimizedModule, allow_in_graph, assume_constant_result,  # noqa: F401
                               disable, is_compiling, list_backends, reset)

__all__ = ["reset", "list_backends", "is_compiling", "disable", "allow_in_graph", "assume_constant_result",
           "OptimizedModule", "mark_dynamic", "maybe_mark_dynamic", "mark_static", "graph_break", "config",
           "eval_frame", "exc"]


def mark_dynamic(t, index, *, hint_override=None, min=None, max=None, specialize_on=None):
    """Nothing to mark: nbtensor never specialises code on a dimension's size."""


def maybe_mark_dynamic(t, index):
    """Nothing to mark (see `mark_dynamic`)."""


def mark_static(t, index=None):
    """Nothing to mark: without a tracer, no size is assumed dynamic either."""


def graph_break(msg=""):
    """Nothing to break: nbtensor builds no graph."""


# torch 2.13's defaults of the settings `config` takes
_SETTINGS = {
    "suppress_errors": False, "verbose": False, "recompile_limit": 8, "accumulated_recompile_limit": 256,
    "error_on_recompile": False,
    "capture_scalar_outputs": False, "capture_dynamic_output_shape_ops": False, "dynamic_shapes": True,
    "automatic_dynamic_shapes": True, "assume_static_by_default": True, "specialize_int": False,
    "specialize_float": False, "force_parameter_static_shapes": True, "guard_nn_modules": True,
    "optimize_ddp": True,
}
# torch's older names, which read and write the same setting
_ALIASES = {"cache_size_limit": "recompile_limit", "accumulated_cache_size_limit": "accumulated_recompile_limit"}


class _Config:
    """``torch._dynamo.config``: the settings of `_SETTINGS`, read and written as attributes
    (see the module's docstring: none of them changes what nbtensor computes)."""

    def __init__(self):
        object.__setattr__(self, "_values", dict(_SETTINGS))

    def _known(self, name):
        """The setting `name` is stored under (its own, or the one an old name stands for)."""
        name = _ALIASES.get(name, name)
        if name not in self._values:
            raise AttributeError(f"torch._dynamo.config.{name} does not exist in nbtensor (it has no graph compiler; "
                                 f"the settings it takes are: {', '.join(sorted([*self._values, *_ALIASES]))})")
        return name

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._values[self._known(name)]

    def __setattr__(self, name, value):
        self._values[self._known(name)] = value

    def __dir__(self):
        return sorted([*self._values, *_ALIASES]) + ["patch", "get_config_copy"]

    def get_config_copy(self):
        """The settings and their values, as a new dict."""
        values = dict(self._values)
        values.update({old: values[new] for old, new in _ALIASES.items()})
        return values

    def patch(self, arg1=None, arg2=None, **changes):
        """``config.patch(name, value)``, ``config.patch({name: value})`` or
        ``config.patch(name=value, ...)``: a context manager (or decorator) that sets them
        inside and restores the old values after."""
        if arg1 is not None:
            if arg2 is None:
                if not isinstance(arg1, dict):
                    raise AssertionError("first argument must be a dict when passing a single positional arg to patch")
                changes.update(arg1)
            else:
                changes[arg1] = arg2
        return _Patch(self, {self._known(name): value for name, value in changes.items()})


class _Patch(contextlib.ContextDecorator):
    def __init__(self, config, changes):
        self._config, self._changes = config, changes

    def __enter__(self):
        self._saved = {name: self._config._values[name] for name in self._changes}
        self._config._values.update(self._changes)

    def __exit__(self, *exc):
        self._config._values.update(self._saved)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def patched(*args, **kwargs):
            with _Patch(self._config, self._changes):
                return fn(*args, **kwargs)
        return patched


config = _Config()
eval_frame = types.SimpleNamespace(OptimizedModule=OptimizedModule)
exc = types.SimpleNamespace(InvalidBackend=InvalidBackend)
