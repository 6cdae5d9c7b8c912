"""The dispatch point: the one registry every op's public forms pass through.

Every op module registers its forms here — functions of the ``nbtensor`` namespace
(`function`), ``Tensor`` methods, properties and operators (`method`) — and nothing else
sets attributes on ``Tensor`` or fills the namespace. `install` puts them in place once,
after every op module is imported, so no form depends on the order of imports; a name two
modules register is an error, not a silent override.

Each form is installed as its `entry`: while nothing records, the op's own function (no
extra frame for methods and operators; a namespace function is reached through a forwarder,
see `_put_function`; a form with a ``dim``/``keepdim`` parameter is wrapped
to take NumPy's ``axis``/``keepdims`` too); once a recorder is set (`set_recorder`,
autograd's hook), the function the recorder makes for it (of the adapted form, or of the
form itself when the recorder says ``takes_numpy_names``: its functions rename them).
Inside an op, the storage work starts with `tensor.common_device` (the one device check: torch's "Expected all tensors to be on the
same device") and `backends.backend_for` of that device.
"""
import functools
import inspect
import types

from nbtensor.core.numpy_names import accept_numpy_names

__all__ = ["function", "method", "functions", "methods", "install", "recorder", "set_recorder"]

_FUNCTIONS = {}   # name -> the function of the nbtensor namespace
_METHODS = {}     # name -> the Tensor attribute (function, property or operator)
# The forms an op table generates for every row (`default=True`); a form registered for the
# same name without `default` (an op with extra arguments: add's alpha) takes precedence.
_DEFAULT_FUNCTIONS = {}
_DEFAULT_METHODS = {}
_installed = []   # (namespace, cls) of each install, redone when the recorder changes
_submodules = []  # (namespace, forms) of each install_functions, redone likewise
_recorder = None


def _register(table, kind, name, form):
    old = table.get(name)
    if old is not None and old is not form:
        raise RuntimeError(f"two ops register the {kind} {name!r}: {old!r} and {form!r}")
    table[name] = form
    return form


def function(name, fn, default=False):
    """Register `fn` as ``nbtensor.<name>``; returns `fn`."""
    return _register(_DEFAULT_FUNCTIONS if default else _FUNCTIONS, "function", name, fn)


def method(name, form, default=False):
    """Register `form` (a function, a property) as ``Tensor.<name>``; returns `form`."""
    return _register(_DEFAULT_METHODS if default else _METHODS, "method", name, form)


def functions(names, namespace):
    """Register ``namespace[name]`` as ``nbtensor.<name>`` for each of `names`."""
    for name in names:
        function(name, namespace[name])


def methods(names, namespace):
    """Register ``namespace[name]`` as ``Tensor.<name>`` for each of `names`."""
    for name in names:
        method(name, namespace[name])


def entry(name, form):
    """What op `name`'s `form` is installed as (see the module's docstring)."""
    recorder = _recorder
    if recorder is None:
        return form
    if isinstance(form, property):  # x.T, x.mT: the getter is the op
        return property(entry(name, form.fget), form.fset, form.fdel, form.__doc__)
    if not isinstance(form, types.FunctionType):
        return form
    recorded = recorder(name, form)
    if recorded is not form:
        recorded.__name__, recorded.__doc__, recorded.__wrapped__ = form.__name__, form.__doc__, form
    return recorded


def install_functions(namespace, forms):
    """Put `forms` (attribute -> (op name, function)) into `namespace`, a submodule's dict
    (``nbtensor.linalg``), each as the `entry` of its op name, and again whenever the
    recorder changes: its functions record like the top-level ones."""
    _submodules.append((namespace, forms))
    _put_functions(namespace, forms)


def _put_functions(namespace, forms):
    for attribute, (name, fn) in forms.items():
        _put_function(namespace, attribute, entry(name, fn))


# Functions are looked up where a user put them: ``from nbtensor import cat`` keeps the object
# installed at that moment. While nothing records, a namespace holds a forwarder that calls
# the function installed there now, so such a reference records once autograd starts
# (methods and operators are looked up on the class at each call: they need none). Once a
# recorder is set, the namespace holds the recorded function itself: no extra frame.
_CURRENT = {}     # (id(namespace), attribute) -> [the function installed there now]
_FORWARDERS = {}  # (id(namespace), attribute) -> its forwarder (one object, however often installed)


def _put_function(namespace, attribute, fn):
    key = (id(namespace), attribute)
    cell = _CURRENT.get(key)
    if cell is None:
        cell = _CURRENT[key] = [fn]
    cell[0] = fn
    if _recorder is not None:
        namespace[attribute] = _named_as_installed(fn, namespace, attribute)
        return
    forwarder = _FORWARDERS.get(key)
    if forwarder is None:
        forwarder = _FORWARDERS[key] = _named_as_installed(_forwarder(cell, fn), namespace, attribute, True)
    namespace[attribute] = forwarder


def _named_as_installed(fn, namespace, attribute, own=False):
    """`fn` named as ``<module>.<attribute>``, where pickle finds it (as it finds torch's
    functions) when it is a function of the namespace's `own` (a forwarder) or one made
    inside another (a recorder's wrapper); an op's own function keeps its name."""
    if type(fn) is types.FunctionType and (own or "<locals>" in fn.__qualname__) and "__name__" in namespace:
        fn.__module__, fn.__qualname__ = namespace["__name__"], attribute
    return fn


def _forwarder(cell, fn):
    """A function calling ``cell[0]`` (see `_put_function`), named and documented as `fn`."""
    def forward(*args, **kwargs):
        return cell[0](*args, **kwargs)
    functools.update_wrapper(forward, inspect.unwrap(fn))
    return forward


def install(namespace, cls):
    """Put every registered form in place: functions into `namespace` (a module's dict),
    methods and operators onto `cls`, each taking NumPy's keyword names as torch does."""
    _installed.append((namespace, cls))
    _put(namespace, cls)


_ADAPTED = {}  # form -> the form taking NumPy's keyword names (one object, however often installed)


def _put(namespace, cls):
    def ready(name, form):
        if isinstance(form, types.FunctionType):
            adapted = _ADAPTED.get(form)
            if adapted is None:
                adapted = _ADAPTED[form] = accept_numpy_names(form)
            if getattr(_recorder, "takes_numpy_names", False):
                # its functions rename the keywords themselves (one frame fewer per call);
                # a form it leaves as it is is installed adapted
                installed = entry(name, form)
                return adapted if installed is form else installed
            form = adapted
        return entry(name, form)
    functions = {**_DEFAULT_FUNCTIONS, **_FUNCTIONS}
    methods = {**_DEFAULT_METHODS, **_METHODS}
    for name, fn in functions.items():
        _put_function(namespace, name, ready(name, fn))
    for name, form in methods.items():
        setattr(cls, name, ready(name, form))
    for name in _INPLACE_FUNCTIONS.difference(functions).intersection(methods):
        _put_function(namespace, name, ready(name, methods[name]))  # (``torch.exp_(x)`` is ``x.exp_()``)


# The in-place methods torch's namespace also has as functions of the tensor first.
_INPLACE_FUNCTIONS = frozenset(
    "abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ as_strided_ asin_ asinh_ "
    "atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ "
    "exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ index_put_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ "
    "nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ resize_as_ round_ rsqrt_ sigmoid_ sin_ sinc_ "
    "sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_".split())


def installed_function(name):
    """The namespace function `name` as installed now (its recorded form while autograd
    records): for code below the facade that must call an op the way users do."""
    return _CURRENT[(id(_installed[0][0]), name)][0]


def installed_submodule_function(op_name):
    """The function of a submodule (``nbtensor.linalg``) installed now for op `op_name`
    (``linalg_solve``): for code below the facade that must call it the way users do."""
    for namespace, forms in _submodules:
        for attribute, (name, _) in forms.items():
            if name == op_name:
                return _CURRENT[(id(namespace), attribute)][0]
    raise KeyError(op_name)


def method_names():
    """The names of every registered Tensor method and operator."""
    return set(_DEFAULT_METHODS) | set(_METHODS)


def recorder():
    """The recorder set now (None when nothing records)."""
    return _recorder


def set_recorder(recorder):
    """Install every form `name` as ``recorder(name, form)`` — a function that takes the
    form's arguments and calls `form` (None: install the ops themselves again). The place
    autograd records (issue 12)."""
    global _recorder
    _recorder = recorder
    for target in _installed:
        _put(*target)
    for target in _submodules:
        _put_functions(*target)

