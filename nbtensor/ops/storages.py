"""A tensor's storage as torch shows it: ``untyped_storage()`` (its bytes) and the
deprecated ``storage()`` (its elements, a ``TypedStorage``).

Both are views of the memory the tensor and every view of it share (not copies): their
``data_ptr()`` is where that memory starts, which is how code checks that two tensors share
it (``x.untyped_storage().data_ptr() == y.untyped_storage().data_ptr()``). They read values
(``len``, indexing, ``tolist``, printing) from any device; writing goes through tensors.
"""
import warnings

import numpy as np

from nbtensor.backends.base import backend_for
from nbtensor.backends.host import host_array
from nbtensor.core import dtype as dt
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.tensor import make_view

__all__ = ["UntypedStorage", "TypedStorage"]


class _Storage:
    """What both kinds share: the storage (`_data`, a backend's flat buffer) and its device."""

    __slots__ = ("_data", "device")

    def __init__(self, data, device):
        self._data = data
        self.device = device

    def data_ptr(self):
        """The address of the storage's first byte."""
        return backend_for(self.device).address(self._data)

    def nbytes(self):
        return self._data.nbytes

    def is_shared(self):
        """True when the memory is shared between processes (``Tensor.share_memory_``), and
        for a GPU's."""
        return backend_for(self.device).is_shared(self._data)

    def is_pinned(self, device=None):
        """True when the memory is page-locked (``Tensor.pin_memory``)."""
        return backend_for(self.device).is_pinned(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def __len__(self):
        return self.size()

    def __iter__(self):
        return iter(self.tolist())

    def __getitem__(self, index):
        values = self._values()
        if isinstance(index, slice):
            return values[index].tolist()
        n = len(values)
        if not isinstance(index, int) or not -n <= index < n:
            raise IndexError(f"index {index} out of range for storage of size {n}")
        return values[index].item()

    def tolist(self):
        return self._values().tolist()

    def _values(self):
        """The storage's elements as a host ndarray (the storage's own memory on the CPU)."""
        element = dt.from_numpy_dtype(self._data.dtype)
        return host_array(make_view(self._data, 0, (self._data.size,), (1,), element)).reshape(-1)

    def __repr__(self):
        lines = [f" {v}" for v in self.tolist()]
        return "\n".join(lines + [f"[{self._kind()} of size {self.size()}]"])

    def _kind(self):
        raise NotImplementedError


class UntypedStorage(_Storage):
    """A tensor's memory as bytes (torch's ``UntypedStorage``): ``nbytes()``, ``data_ptr()``,
    its bytes by index as ints."""

    __slots__ = ()

    def size(self):
        return self._data.nbytes

    def element_size(self):
        return 1

    @property
    def dtype(self):
        return dt.uint8

    def _values(self):
        return np.ascontiguousarray(super()._values()).view(np.uint8)

    def _kind(self):
        return f"nbtensor.storage.UntypedStorage(device={self.device})"


class TypedStorage(_Storage):
    """A tensor's memory as elements of its dtype (torch's deprecated ``TypedStorage``)."""

    __slots__ = ("dtype",)

    def __init__(self, data, device, dtype):
        super().__init__(data, device)
        self.dtype = dtype

    def size(self):
        return self._data.size

    def element_size(self):
        return self.dtype.itemsize

    def untyped(self):
        """The same memory as an `UntypedStorage`."""
        return UntypedStorage(self._data, self.device)

    def _values(self):
        return super()._values().astype(self.dtype.np, copy=False)

    def _kind(self):
        return f"nbtensor.storage.TypedStorage(dtype={self.dtype}, device={self.device})"


def untyped_storage(self):
    """The memory `self` views, as bytes (every view of it has the same one)."""
    return UntypedStorage(self._storage, self.device)


_warned = False


def storage(self):
    """The memory `self` views, as elements of its dtype; torch's deprecation warning on
    the first call."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be "
                      "the only storage class. This should only matter to you if you are using storages "
                      "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead "
                      "of tensor.storage()", UserWarning, stacklevel=2)
    return TypedStorage(self._storage, self.device, self.dtype)


forms.methods(["untyped_storage", "storage"], globals())
