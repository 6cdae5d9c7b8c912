"""``nn.Parameter``: a tensor a Module registers as trainable.

A parameter is an nbtensor ``Tensor`` (the ops' fast paths test the exact type), sharing the
data it was made from and requiring grad; ``isinstance(x, nn.Parameter)`` is answered from
a weak registry of the tensors made this way (in ``nbtensor.core.parameters``, which the
tensor printing code reads to print torch's ``Parameter containing:`` prefix).
"""
import weakref

import nbtensor as torch
from nbtensor.core.parameters import is_parameter, mark_parameter
from nbtensor.dispatch.tensor import on_deepcopy


class _ParameterType(type):
    def __instancecheck__(cls, obj):
        return is_parameter(obj)


class Parameter(metaclass=_ParameterType):
    """``Parameter(data, requires_grad=True)``: `data`'s memory as a leaf tensor that
    requires grad (by default), registered by the Module it is assigned to."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = torch.empty(0)
        if not isinstance(data, torch.Tensor):
            raise TypeError(f"Parameter data must be a Tensor, not {type(data).__name__}")
        t = data.detach()
        if requires_grad:
            t.requires_grad_(True)
        mark_parameter(t)
        return t


def _keep_kind(original, copy):
    """A deep copy of a parameter is a parameter (``copy.deepcopy(net)``)."""
    if is_parameter(original):
        mark_parameter(copy)
    persistent = buffer_persistence(original)
    if persistent is not None:
        _mark_buffer(copy, persistent)


on_deepcopy.append(_keep_kind)

_BUFFERS = {}  # id -> (weak reference, persistent): the tensors made by ``Buffer``


class _BufferType(type):
    def __instancecheck__(cls, obj):
        return buffer_persistence(obj) is not None


class Buffer(metaclass=_BufferType):
    """``Buffer(data, *, persistent=True)`` (torch >= 2.5): `data`'s memory (detached, keeping
    its requires_grad) as a tensor that a Module registers as a buffer when it is assigned
    as an attribute (``self.x = nn.Buffer(t)``); with ``persistent=False`` it is left out of
    the state dict. Like a Parameter it is an exact ``Tensor``, recognised by a weak registry."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = torch.empty(0)
        return _mark_buffer(data.detach().requires_grad_(data.requires_grad), bool(persistent))


def _mark_buffer(t, persistent):
    key = id(t)
    _BUFFERS[key] = (weakref.ref(t, lambda _, key=key: _BUFFERS.pop(key, None)), persistent)
    return t


def buffer_persistence(obj):
    """Whether the tensor `obj` made by ``Buffer`` is persistent; None for any other object."""
    found = _BUFFERS.get(id(obj))
    if found is None or found[0]() is not obj:
        return None
    return found[1]

_UNINITIALISED_USE = (
    "Attempted to use an uninitialized parameter in {}. This error happens when you are using a `LazyModule` or "
    "explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call "
    "`forward` with a dummy batch to initialize the parameters before calling torch functions")
# what an uninitialised parameter answers (the rest raises torch's ValueError above)
_ALLOWED = {"requires_grad", "requires_grad_", "grad", "grad_fn", "is_leaf", "device", "dtype", "data",
            "materialize"}


class UninitializedParameter(torch.Tensor):
    """A lazy module's parameter before its first forward: no shape yet. Using it raises
    torch's errors; ``materialize(shape)`` gives it memory and turns it, in place (the object
    an optimizer may already hold), into a plain parameter."""

    __slots__ = ()

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        t = torch.empty(0, device=device, dtype=dtype)
        t.requires_grad_(requires_grad)
        t.__class__ = cls
        mark_parameter(t)
        return t

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __getattribute__(self, name):
        if name.startswith("_") or name in _ALLOWED:
            return object.__getattribute__(self, name)
        if name == "shape":
            raise RuntimeError(
                "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. "
                "Call `forward` to initialize the parameters before accessing their attributes.")
        _refuse(name)(self)

    def materialize(self, shape, device=None, dtype=None):
        """Give the parameter uninitialised memory of `shape` (on its device, of its dtype
        unless given) and make it a plain parameter."""
        data = torch.empty(shape, device=device or self.device, dtype=dtype or self.dtype)
        self.__class__ = torch.Tensor
        self.data = data

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = UninitializedParameter(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __repr__(self):
        return "<UninitializedParameter>"

    __str__ = __repr__


def is_lazy(t):
    """Whether `t` is a lazy module's parameter that has no shape yet."""
    return isinstance(t, UninitializedParameter)


def has_lazy_parameters(module):
    """Whether any of `module`'s own parameters is still uninitialised (a lazy module not
    yet run nor loaded from a state dict)."""
    return any(is_lazy(p) for p in module._parameters.values())


def _refuse(name):
    """A method that raises torch's ValueError for using an uninitialised parameter."""
    def refuse(self, *args, **kwargs):
        raise ValueError(_UNINITIALISED_USE.format(f"<method '{name}' of 'torch._C.TensorBase' objects>"))
    return refuse


# operators are looked up on the class, not through __getattribute__
for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor"):
    for _form in ("__{}__", "__r{}__", "__i{}__"):
        setattr(UninitializedParameter, _form.format(_name), _refuse(_form.format(_name)))
for _name in ("__neg__", "__abs__", "__getitem__", "__setitem__", "__len__", "__iter__", "__float__", "__int__",
              "__bool__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(UninitializedParameter, _name, _refuse(_name))
