"""Small questions a tensor answers and torch's identity ops for real tensors.

Queries: ``is_signed``, ``is_nonzero``, ``is_same_size``, ``is_inference``, ``get_device``, the
``layout`` and the ``is_<backend>`` flags that are always false here (``is_meta``,
``is_sparse``, ...). Identities: ``positive``, ``conj``, ``resolve_conj``, ``resolve_neg``
and ``real`` return the tensor itself, as torch does for a real dtype (``imag`` raises).
Also ``sum_to_size`` (a sum over the broadcast dimensions, recorded as its sum) and
``split_with_sizes``.
"""
import numbers

from nbtensor.core import dtype as dt
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.tensor import Tensor
from nbtensor.dispatch.tensor import is_inference as _is_inference
from nbtensor.ops.views import split


class layout:
    """A memory layout (torch.layout); nbtensor has one, ``nbtensor.strided``."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"nbtensor.{self._name}"

    def __reduce__(self):
        return self._name


strided = layout("strided")


def is_signed(input):
    """True for a dtype that holds negative numbers (not uint8, not bool)."""
    return input.dtype is not dt.uint8 and input.dtype is not dt.bool


def is_nonzero(input):
    """The truth of a one-element tensor (torch's error for another number of elements)."""
    return bool(input)


def is_same_size(input, other):
    """True when both tensors have the same shape."""
    return input._shape == other._shape


def get_device(input):
    """The CUDA device's index, -1 for a CPU tensor."""
    index = input.device.index
    return -1 if input.device.type == "cpu" else (0 if index is None else index)


def is_inference(input):
    """True for a tensor made in inference mode (``with nbtensor.inference_mode():``) or a
    view of one; False for any other, a view of a normal tensor made in inference mode too."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_inference(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return _is_inference(input)


def positive(input):
    """`input` itself (``+x``); torch refuses a bool tensor."""
    if input.dtype is dt.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _itself(input):
    """`input` itself: the conjugate (or the resolved view) of a real tensor is the tensor."""
    return input


def _false(input):
    return False


def _real(input):
    return input


def _imag(input):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def sum_to_size(input, *size):
    """The sum of `input` over the dimensions that broadcasting `size` to its shape would
    expand (torch's error when it cannot), so that the result has shape `size`."""
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        size = tuple(size[0])
    size = tuple(int(n) for n in size)
    shape = input._shape
    lead = len(shape) - len(size)
    if lead < 0 or any(n != m and n != 1 for n, m in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{[{', '.join(map(str, size))}]}} is not expandable to size "
                           f"{{[{', '.join(map(str, shape))}]}}.")
    if size == shape:
        return input
    summed = tuple(i for i in range(len(shape)) if i < lead or (size[i - lead] == 1 and shape[i] != 1))
    result = input.sum(summed, keepdim=True) if summed else input
    return result.view(size) if lead else result


def split_with_sizes(input, split_sizes, dim=0):
    """Views of the given sizes along `dim` (``split`` with a list of sizes)."""
    return split(input, list(split_sizes), dim)


_FLAGS = ("is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn", "is_nested", "is_xla",
          "is_mps", "is_vulkan", "is_ipu", "is_xpu", "is_maia", "is_mtia")

forms.functions(["is_signed", "is_nonzero", "is_same_size", "is_inference", "positive", "split_with_sizes"],
                globals())
forms.methods(["is_signed", "is_nonzero", "is_same_size", "is_inference", "get_device", "positive", "sum_to_size",
               "split_with_sizes"], globals())
for _name in ("conj", "resolve_conj", "resolve_neg", "conj_physical"):
    forms.function(_name, _itself)
    forms.method(_name, _itself)
for _name in ("is_conj", "is_neg"):
    forms.function(_name, _false)
    forms.method(_name, _false)
forms.function("real", _real)
forms.function("imag", _imag)
forms.method("real", property(_real))
forms.method("imag", property(_imag))
forms.method("layout", property(lambda self: strided))
for _name in _FLAGS:
    forms.method(_name, property(_false))
