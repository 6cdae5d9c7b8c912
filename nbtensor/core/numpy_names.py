"""NumPy's keyword names where torch takes them: ``axis=`` for ``dim=`` and ``keepdims=``
for ``keepdim=``. torch's argument parser accepts both spellings for every function and
method with those parameters, and D2L's code uses them (``A.sum(axis=1, keepdims=True)``).
"""
import functools
import inspect

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

