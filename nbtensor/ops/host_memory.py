"""Where a tensor's memory lives, as torch's methods move and report it: memory shared
between processes (``share_memory_``, ``is_shared``) and page-locked host memory for the GPU
(``pin_memory``, ``is_pinned``).

- ``share_memory_()`` moves a CPU tensor's memory into memory that processes forked afterwards
  share with this one (its backend's `share`: an anonymous shared mapping), in place as torch
  does: every tensor on that memory (views, ``.data``, the tensor's ``untyped_storage()``)
  moves with it, keeping its offset, strides, version and kind, so a write in a forked worker
  shows in the parent. It returns the tensor; memory already shared, or on the GPU, stays.
  (NumPy arrays made earlier by ``numpy()`` keep the old memory: torch's keep a freed
  pointer.) Finding those tensors scans the garbage collector's objects when the memory has
  any holder but the tensor, as ``Module.share_memory`` of a large model does once.
- ``is_shared()`` is true for such memory, and for a GPU tensor (as torch: always).
- ``pin_memory()`` needs an accelerator: without a GPU it raises torch's RuntimeError (a
  CPU-only torch's too); with one, it returns a copy in page-locked memory (the CPU backend's
  `pinned`: numba-cuda's pinned allocation) with the tensor's strides, which ``is_pinned()``
  reports; an already pinned tensor is returned as is.
"""
import gc
import sys
import warnings

from nbtensor.backends.base import backend_for
from nbtensor.core.device import CPU, to_device
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.tensor import Tensor, copy_into, make, move_storage
from nbtensor.ops.storages import _Storage

__all__ = ["share_memory_", "is_shared", "pin_memory", "is_pinned"]


def share_memory_(input):
    """Move `input`'s memory into memory shared with processes forked from now on (in place,
    with every tensor on it); returns `input`."""
    if is_shared(input):
        return input
    old = input._storage
    new = backend_for(input.device).share(old)
    tensors, storages = [input], []
    if sys.getrefcount(old) > 3:  # (input's, this frame's and getrefcount's: anything more may be a view)
        for holder in gc.get_referrers(old):
            if type(holder) is Tensor and holder is not input and holder._storage is old:
                tensors.append(holder)
            elif isinstance(holder, _Storage) and holder._data is old:
                storages.append(holder)
    move_storage(tensors, new)
    for storage in storages:
        storage._data = new
    return input


def is_shared(input):
    """True when `input`'s memory is shared between processes (``share_memory_``), and for a
    GPU tensor."""
    return backend_for(input.device).is_shared(input._storage)


def _deprecated_device(method, device):
    warnings.warn(f"The argument 'device' of Tensor.{method}() is deprecated. Please do not pass this argument.",
                  DeprecationWarning, stacklevel=3)
    return to_device(device)


def pin_memory(input, device=None):
    """A copy of CPU tensor `input` in page-locked memory, from which the GPU copies
    asynchronously (`input` itself when it is pinned already); torch's RuntimeError where no
    GPU is available."""
    if device is not None:
        device = _deprecated_device("pin_memory", device)
        is_pinned(input, device)  # (torch asks, and warns again)
        if device.type == "cpu":
            raise RuntimeError("CPU device type not an accelerator.")
    if input.device.type != "cpu":
        raise RuntimeError(f"cannot pin '{input.type()}' only dense CPU tensors can be pinned")
    if is_pinned(input):  # (never without a GPU)
        return input
    shape, strides = input._shape, input._strides
    span = 0 if 0 in shape else 1 + sum((n - 1) * s for n, s in zip(shape, strides))
    # (torch's layout: the same strides, from the start of new memory; no GPU: torch's RuntimeError)
    pinned = make(backend_for(CPU).pinned(span, input.dtype.np), 0, shape, strides, input.dtype)
    copy_into(pinned, input)
    return pinned


def is_pinned(input, device=None):
    """True when `input`'s memory is page-locked (made by ``pin_memory``)."""
    if device is not None:
        _deprecated_device("is_pinned", device)
    return backend_for(input.device).is_pinned(input._storage)


forms.methods(__all__, globals())
