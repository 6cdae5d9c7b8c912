"""A second backend that exists only for tests: the CPU's primitives under the device name
"guarded", over storage that refuses NumPy.

Its storage (`GuardedStorage`) is like a GPU buffer: its shape, dtype and size can be read,
its elements cannot; NumPy on it (``np.asarray``, a ufunc, ``np.ndarray(buffer=...)``,
indexing) raises TypeError. So a module that touches storage without going through its
device's backend, or keeps a tensor on the CPU where it should honour the device, fails
loudly when the suite runs on this device (``NBTENSOR_TEST_DEVICE=guarded``, see
tests/conftest.py). The CUDA backend plugs into the same switch.
"""
import numpy as np

from nbtensor.backends import base as _backend
from nbtensor.backends.cpu.backend import CPUBackend

DEVICE = "guarded"


class GuardedStorage:
    """A flat buffer whose elements only the guarded backend may touch."""

    __slots__ = ("_array", "base", "__weakref__")
    __array_ufunc__ = None  # NumPy's ufuncs refuse it

    def __init__(self, array, base=None):
        self._array = array
        self.base = base  # the storage whose memory this one reinterprets (view(dtype)), or None

    # its metadata (not its elements) can be read, as a GPU buffer's
    shape, dtype, nbytes, size = (property(lambda self, _name=name: getattr(self._array, _name))
                                  for name in ("shape", "dtype", "nbytes", "size"))

    def _refuse(self, *args, **kwargs):
        raise TypeError("a guarded storage was touched outside its backend: go through "
                        "nbtensor.backends.base (backend_for(device), host_array, on_host)")

    __array__ = __getitem__ = __setitem__ = __iter__ = __len__ = view = astype = copy = _refuse

    def __array_function__(self, func, types, args, kwargs):
        self._refuse()


def _unwrap(x):
    if type(x) is GuardedStorage:
        return x._array
    if type(x) in (tuple, list):
        return type(x)(_unwrap(v) for v in x)
    return x


class GuardedBackend(_backend.Backend):
    """The CPU backend's primitives with guarded storages unwrapped on the way in."""

    @staticmethod
    def allocate(n, np_dtype):
        return GuardedStorage(CPUBackend.allocate(n, np_dtype))

    @staticmethod
    def from_host(array):
        return GuardedStorage(CPUBackend.from_host(array))

    @staticmethod
    def to_host(storage, start=0, stop=None):
        return storage._array[start:stop].copy()  # a fetched copy: writing to it changes nothing here

    @staticmethod
    def write_host(storage, array, start=0):
        CPUBackend.write_host(storage._array, np.asarray(array), start)

    @staticmethod
    def reinterpret(storage, np_dtype):
        return GuardedStorage(storage._array.view(np_dtype), base=storage)

    @staticmethod
    def elementwise(name, shape, numel, out, inputs):
        for storage, _, _ in (out, *inputs):
            if type(storage) is not GuardedStorage:
                raise TypeError(f"element-wise {name} on the guarded device got a {type(storage).__name__} "
                                "operand: every operand must be on the device")
        CPUBackend.elementwise(name, shape, numel, _unwrap(out), _unwrap(inputs))

    @staticmethod
    def launch(family, kernel, *args):
        return CPUBackend.launch(family, kernel, *_unwrap(args))

    @staticmethod
    def gather(name, *args):
        result = CPUBackend.gather(name, *_unwrap(args))
        return GuardedStorage(result) if name == "compress" else result

    @staticmethod
    def matmul(x, y, out):
        for storage, *_ in (x, y, out):
            if type(storage) is not GuardedStorage:
                raise TypeError(f"matmul on the guarded device got a {type(storage).__name__} operand: "
                                "every operand must be on the device")
        CPUBackend.matmul(*_unwrap((x, y, out)))

    nchunks = staticmethod(CPUBackend.nchunks)

    @staticmethod
    def address(storage):
        return CPUBackend.address(storage._array)

    @staticmethod
    def may_share_memory(a, b):
        return np.may_share_memory(a._array, b._array)

    @staticmethod
    def is_writable(storage):
        return True

    # shared memory as the CPU's (share_memory_, Module.share_memory)
    @staticmethod
    def share(storage):
        return GuardedStorage(CPUBackend.share(storage._array))

    @staticmethod
    def is_shared(storage):
        return CPUBackend.is_shared(storage._array)


def register():
    """Make the "guarded" device available (idempotent)."""
    _backend.register(DEVICE, GuardedBackend(), GuardedStorage)
