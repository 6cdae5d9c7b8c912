"""NumPy's keyword names where torch takes them: ``axis=`` for ``dim=`` and ``keepdims=``
for ``keepdim=``. torch's argument parser accepts both spellings for every function and
method with those parameters, and D2L's code uses them (``A.sum(axis=1, keepdims=True)``).
"""
import functools
import inspect
import types

ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def _renamed(params):
    return {alias: name for alias, name in ALIASES.items() if name in params and alias not in params}


def accept_numpy_names(fn):
    """`fn`, or a wrapper that renames ``axis``/``keepdims`` keywords to its parameters."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    renamed = _renamed(params)
    if not renamed:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, name in renamed.items():
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got multiple values for argument '{name}' "
                                        f"(given as '{name}' and as '{alias}')")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    return wrapper


def install(namespace, cls=None):
    """Wrap every public function of `namespace` (a module's dict) and every method of
    `cls` that has a ``dim`` or ``keepdim`` parameter."""
    for name, obj in list(namespace.items()):
        if not name.startswith("_") and isinstance(obj, types.FunctionType):
            namespace[name] = accept_numpy_names(obj)
    if cls is not None:
        for name, obj in list(vars(cls).items()):
            if isinstance(obj, types.FunctionType) and not name.startswith("__"):
                setattr(cls, name, accept_numpy_names(obj))
