"""torch's legacy typed tensor classes and the old-style Tensor API.

``nbtensor.FloatTensor([1, 2])`` (from data), ``FloatTensor(2, 3)`` (uninitialised, from
sizes) and ``FloatTensor()`` (empty) create float32 tensors; ``isinstance(x, FloatTensor)``
is true for every float32 CPU tensor, as in torch, while the tensors themselves are plain
`Tensor` objects. Also here: ``Tensor.type()`` with legacy names and ``Tensor.data``.
"""
import numbers

from nbtensor.core import dtype as dt
from nbtensor.core.device import to_device
from nbtensor.dispatch.tensor import _LEGACY_NAMES, Tensor
from nbtensor.dispatch import dispatcher as forms

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor",
           "IntTensor", "LongTensor", "ShortTensor"]


class _LegacyType(type):
    """Metaclass of the typed classes: calling one makes a Tensor of its dtype, and
    ``isinstance`` tests a tensor's dtype and device rather than its Python class."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __subclasscheck__(cls, sub):
        return sub is cls

    def __call__(cls, *args, device=None):
        return _construct(cls, args, device)

    def __repr__(cls):
        return f"<class 'nbtensor.{cls.__name__}'>"


def _construct(cls, args, device):
    from nbtensor.ops.creation import legacy_constructor
    d = cls.dtype
    if len(args) == 1 and isinstance(args[0], Tensor):
        if args[0].dtype is not d:
            raise TypeError(f"expected {d} tensor (got {args[0].dtype} tensor)")
        return args[0].detach()  # torch returns a new tensor on the same memory (an alias)
    if len(args) == 1 and isinstance(args[0], numbers.Number) and not isinstance(args[0], numbers.Integral):
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    # the typed classes are the CPU's (torch.cuda.FloatTensor is another class): the CPU
    # unless device= says otherwise, whatever the default device
    return legacy_constructor(args, "cpu" if device is None else device, dtype=d)


def _legacy_class(name, d):
    doc = (f"``{name}(data)``, ``{name}(*sizes)`` or ``{name}()``: a {d} tensor (legacy "
           f"constructor); ``isinstance(x, {name})`` is true for {d} CPU tensors.")
    return _LegacyType(name, (), {"dtype": d, "is_cuda": False, "is_sparse": False, "__doc__": doc,
                                  "__module__": "nbtensor"})


BoolTensor = _legacy_class("BoolTensor", dt.bool)
ByteTensor = _legacy_class("ByteTensor", dt.uint8)
CharTensor = _legacy_class("CharTensor", dt.int8)
ShortTensor = _legacy_class("ShortTensor", dt.int16)
IntTensor = _legacy_class("IntTensor", dt.int32)
LongTensor = _legacy_class("LongTensor", dt.int64)
HalfTensor = _legacy_class("HalfTensor", dt.float16)
FloatTensor = _legacy_class("FloatTensor", dt.float32)
DoubleTensor = _legacy_class("DoubleTensor", dt.float64)
_CLASSES = {_LEGACY_NAMES[c.dtype]: c for c in (BoolTensor, ByteTensor, CharTensor, ShortTensor, IntTensor,
                                                LongTensor, HalfTensor, FloatTensor, DoubleTensor)}


def _target_dtype(target):
    """The dtype `Tensor.type(target)` converts to."""
    if isinstance(target, _LegacyType):
        return target.dtype
    if isinstance(target, str):
        if target in _CLASSES:
            return _CLASSES[target].dtype
        if target.startswith(("torch.cuda.", "nbtensor.cuda.")):
            to_device("cuda")  # raises where no CUDA backend can hold tensors
        alias = "torch." + target.split(".", 1)[1] if target.startswith("nbtensor.") else None
        if alias in _CLASSES:
            return _CLASSES[alias].dtype
        raise ValueError(f"invalid type: {target!r}")
    return dt.to_dtype(target)


def type_(self, dtype=None, non_blocking=False, **kwargs):
    """With no argument, the legacy type name (``'torch.FloatTensor'``); with a dtype, a
    legacy class (``nbtensor.DoubleTensor``) or its name, `self` converted to it (`self`
    itself when it already has that type)."""
    if dtype is None:
        dtype = kwargs.pop("dtype", None)
    if dtype is None:
        name = _LEGACY_NAMES[self.dtype]
        # torch.cuda.FloatTensor for a CUDA tensor: the device type joins the name
        return name if self.device.type == "cpu" else name.replace("torch.", f"torch.{self.device.type}.")
    return self.to(_target_dtype(dtype))


def _get_data(self):
    """A tensor sharing this tensor's memory (``x.data``; without autograd, a plain alias)."""
    from nbtensor.dispatch.tensor import make_view
    return make_view(self._storage, self._offset, self._shape, self._strides, self.dtype)


def _set_data(self, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
    self._storage, self._offset, self._shape, self._strides = (value._storage, value._offset, value._shape,
                                                               value._strides)
    self.dtype, self.device, self._contig = value.dtype, value.device, value._contig


type_.__name__ = "type"
forms.method("type", type_)
forms.method("data", property(_get_data, _set_data))
