"""The CUDA backend: storage is a 1-D Numba device array from the caching allocator; the
element-wise ops and reductions run the kernels rendered by `nbtensor.kernels.cuda.codegen`,
indexed data movement the kernels of `nbtensor.kernels.cuda.gather`.

Sorting (a bitonic network), the scans and uniform/normal random fills (xoroshiro128+)
have kernels of their own. What still runs on the
host, through the explicit fetch/put-back of `backends.host` (each a documented copy, never a
silent one): random integers, permutations and Bernoulli draws, searchsorted, picking medians/quantiles, unique, nonzero's
coordinates, bincount/histc, and the decompositions of `linalg` (NumPy's LAPACK).
"""
import numpy as np

from nbtensor.backends import base as _backend
from nbtensor.backends.cuda import elementwise as cuda_elementwise
from nbtensor.backends.cuda import reduce as cuda_reduce
from nbtensor.backends.cuda import random as cuda_random
from nbtensor.backends.cuda import runtime
from nbtensor.backends.cuda import scan as cuda_scan
from nbtensor.backends.cuda import sort as cuda_sort
from nbtensor.backends.cuda import allocator as _allocator
from nbtensor.core.device import device as _device

__all__ = ["CUDABackend", "DEVICE", "register"]

DEVICE = _device("cuda", 0)
_CONSTANTS = 4096  # scalar operands kept on the GPU


class CUDABackend(_backend.Backend):
    """The GPU's primitives (see `backends.base.Backend`); one GPU, device 0."""

    converts_half = True  # the GPU converts float16 in hardware

    def __init__(self):
        self.allocator = _allocator.default()
        self.allocate = self.allocator.allocate
        self._constants = {}  # (dtype, bytes) -> a one-element storage holding them

    def from_host(self, array):
        array = np.ascontiguousarray(array).reshape(-1)
        storage = self.allocate(array.shape[0], array.dtype)
        if array.shape[0]:
            storage.copy_to_device(array)
        return storage

    def constant(self, array):
        # A scalar operand costs a copy to the GPU that waits for it; the same values recur
        # (a learning rate, 0, 1), so their storages are kept, read-only by contract.
        key = (array.dtype.str, array.tobytes())
        storage = self._constants.get(key)
        if storage is None:
            if len(self._constants) >= _CONSTANTS:
                self._constants.clear()
            storage = self._constants[key] = self.from_host(array)
        return storage

    @staticmethod
    def to_host(storage, start=0, stop=None):
        part = storage if start == 0 and stop is None else storage[start:stop]
        return part.copy_to_host() if part.shape[0] else np.empty(0, storage.dtype)

    @staticmethod
    def write_host(storage, array, start=0):
        n = array.shape[0]
        if n:
            storage[start:start + n].copy_to_device(np.ascontiguousarray(array, dtype=storage.dtype))

    @staticmethod
    def reinterpret(storage, np_dtype):
        view = storage.view(np_dtype)
        view._nbtensor_base = storage  # keeps the block out of the pool while the view lives
        return view

    elementwise = staticmethod(cuda_elementwise.run)
    sort_rows = staticmethod(cuda_sort.sort_rows)
    scan_rows = staticmethod(cuda_scan.scan_rows)
    manual_seed = staticmethod(cuda_random.manual_seed)

    @staticmethod
    def random_fill(storage, kind, a, b):
        cuda_random.fill(storage, kind, a, b, _backend.device_seed())

    def launch(self, family, kernel, *args):
        if family != "reduce":
            raise NotImplementedError(f"the CUDA backend has no {family} kernels ({kernel})")
        cuda_reduce.run(kernel, *args)

    @staticmethod
    def matmul(x, y, out):
        from nbtensor.backends.cuda import matmul  # (CuPy, when present, loads on first use)
        matmul.matmul(x, y, out)

    @staticmethod
    def gather(name, *args):
        from nbtensor.backends.cuda import gather
        return getattr(gather, name)(*args)

    @staticmethod
    def base_of(storage):
        return getattr(storage, "_nbtensor_base", None)

    @staticmethod
    def address(storage):
        return runtime.address(storage)

    @staticmethod
    def may_share_memory(a, b):
        if a is b:
            return True
        lo_a, lo_b = runtime.address(a), runtime.address(b)
        return lo_a < lo_b + b.nbytes and lo_b < lo_a + a.nbytes and a.nbytes and b.nbytes

    @staticmethod
    def share(storage):
        return storage  # (GPU memory: torch's share_memory_ leaves it as it is)

    @staticmethod
    def is_shared(storage):
        return True  # (torch: always True for a CUDA tensor)


    @staticmethod
    def array_interface(storage, offset, shape, strides, np_dtype):
        """``__cuda_array_interface__`` (version 3) of a tensor's view of `storage`: its
        work is queued on the legacy default stream (1), which a consumer synchronises with."""
        item = np_dtype.itemsize
        contiguous = strides == _row_major(shape)
        return {"shape": tuple(shape), "typestr": np_dtype.str, "version": 3, "stream": 1,
                "data": (runtime.address(storage) + offset * item if 0 not in shape else 0, False),
                "strides": None if contiguous else tuple(s * item for s in strides)}

    @staticmethod
    def from_interface(obj):
        """(storage, offset, shape, strides, np_dtype) over the memory of `obj`, an object with
        ``__cuda_array_interface__`` (CuPy, PyTorch CUDA tensors): no copy; the storage keeps
        `obj` alive. numba synchronises with the producer's stream first."""
        desc = obj.__cuda_array_interface__
        if desc.get("mask") is not None:
            raise BufferError("a masked __cuda_array_interface__ cannot be shared")
        np_dtype = np.dtype(desc["typestr"])
        item = np_dtype.itemsize
        shape = tuple(desc["shape"])
        byte_strides = desc.get("strides") or tuple(s * item for s in _row_major(shape))
        if any(s % item for s in byte_strides):
            raise BufferError(f"strides {byte_strides} are not multiples of the element size {item}")
        strides = tuple(s // item for s in byte_strides)
        ptr = desc["data"][0]
        if 0 in shape:
            return runtime.cuda().device_array(0, np_dtype), 0, shape, strides, np_dtype
        low = sum(s * (n - 1) for s, n in zip(strides, shape) if s < 0)
        span = 1 + sum(abs(s) * (n - 1) for s, n in zip(strides, shape))
        flat = {"shape": (span,), "strides": None, "typestr": np_dtype.str, "version": 3,
                "data": (ptr + low * item, desc["data"][1]), "stream": desc.get("stream")}
        storage = runtime.cuda().from_cuda_array_interface(flat, owner=obj)
        return storage, -low, shape, strides, np_dtype


def _row_major(shape):
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


_instance = None


def register():
    """Make the CUDA backend hold tensors on ``cuda:0`` (idempotent); returns it."""
    global _instance
    if _instance is None:
        backend = CUDABackend()
        storage_type = type(backend.allocate(1, np.uint8))
        _backend.register("cuda", backend, storage_type, DEVICE)
        _instance = backend
    return _instance
