"""Which tensors are ``nn.Parameter``s: a weak registry low enough for the tensor printing
code to consult (a parameter is an exact ``Tensor``; ``nn.parameter`` marks it here)."""
import weakref

_PARAMETERS = {}  # id -> weak reference (tensors compare element-wise: no WeakSet)


def mark_parameter(tensor):
    """Record `tensor` as a parameter (forgotten when it is collected)."""
    key = id(tensor)
    _PARAMETERS[key] = weakref.ref(tensor, lambda _, key=key: _PARAMETERS.pop(key, None))


def is_parameter(obj):
    """Whether `obj` is a tensor made by ``nn.Parameter``."""
    ref = _PARAMETERS.get(id(obj))
    return ref is not None and ref() is obj
