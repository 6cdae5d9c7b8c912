"""``torch.autograd.Variable``: the pre-0.4 wrapper, now an alias-making call that old code
still uses (``Variable(x, requires_grad=True)``); every tensor is an instance of it."""
from nbtensor.dispatch.tensor import Tensor

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)``: a new tensor over `data`'s memory, outside its
    history, that requires grad when asked (torch's legacy constructor)."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
