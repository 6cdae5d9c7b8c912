"""``nn.Parameter``: a tensor a Module registers as trainable.

A parameter is an nbtensor ``Tensor`` (the ops' fast paths test the exact type), sharing the
data it was made from and requiring grad; ``isinstance(x, nn.Parameter)`` is answered from
a weak set of the tensors made this way.
"""
import weakref

import nbtensor as torch

_PARAMETERS = {}  # id -> weak reference (tensors compare element-wise: no WeakSet)


class _ParameterType(type):
    def __instancecheck__(cls, obj):
        ref = _PARAMETERS.get(id(obj))
        return ref is not None and ref() is obj


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
        key = id(t)
        _PARAMETERS[key] = weakref.ref(t, lambda _, key=key: _PARAMETERS.pop(key, None))
        return t
