"""NumPy's keyword names where torch takes them: ``axis=`` for ``dim=`` and ``keepdims=``
for ``keepdim=``. torch's argument parser accepts both spellings for every function and
method with those parameters, and D2L's code uses them (``A.sum(axis=1, keepdims=True)``).
"""
import functools
import inspect

ALIASES = {"axis": "dim", "keepdims": "keepdim"}
_RENAMES = {}  # function -> its renames (see `renames`), worked out once


def renames(fn):
    """{NumPy's name: `fn`'s parameter} for the aliases `fn` takes ({} for none, or when
    `fn` has no signature to read)."""
    found = _RENAMES.get(fn)
    if found is None:
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        found = _RENAMES[fn] = {alias: name for alias, name in ALIASES.items()
                                if name in params and alias not in params}
    return found


def rename_keywords(fn, renamed, kwargs):
    """`kwargs` of a call of `fn` with NumPy's names (`renamed`: `renames(fn)`) replaced by
    torch's, in place; torch's TypeError when both spellings are given."""
    for alias, name in renamed.items():
        if alias in kwargs:
            if name in kwargs:
                raise TypeError(f"{fn.__name__}() got multiple values for argument '{name}' "
                                f"(given as '{name}' and as '{alias}')")
            kwargs[name] = kwargs.pop(alias)
    return kwargs


def accept_numpy_names(fn):
    """`fn`, or a wrapper that renames ``axis``/``keepdims`` keywords to its parameters."""
    renamed = renames(fn)
    if not renamed:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            return fn(*args, **rename_keywords(fn, renamed, kwargs))
        return fn(*args)

    return wrapper
