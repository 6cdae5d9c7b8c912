"""The CUDA backend's entry: the placement check that `device('cuda')` runs, which starts the
backend on first use (numba.cuda is imported then, not with nbtensor).

The backend itself is `backend.CUDABackend` (storage, kernels), over `runtime` (numba.cuda,
launch shapes), `allocator` (the caching allocator) and `launch` (finding and launching the
kernels of `nbtensor.kernels.cuda`).
"""
import weakref

import numpy as np

from nbtensor.core.device import register_device_type

__all__ = ["gpu_present", "require_backend", "started", "pinned_host", "is_pinned_host"]


def gpu_present():
    """True when numba-cuda finds a GPU, or runs its simulator (imports numba.cuda: ~0.8 s)."""
    from nbtensor.backends.cuda import runtime
    return runtime.gpu_present()


_PINNED = {}  # id -> weak reference: the host arrays `pinned_host` made


def pinned_host(n, np_dtype):
    """A new 1-D host ndarray of `n` elements in page-locked memory (the CPU storage of a
    ``pin_memory()`` copy); the caller checks `gpu_present` first."""
    from nbtensor.backends.cuda import runtime
    array = runtime.cuda().pinned_array((max(n, 1),), dtype=np_dtype)  # (the driver pins no 0 bytes)
    key = id(array)
    _PINNED[key] = weakref.ref(array, lambda _, key=key: _PINNED.pop(key, None))
    return array if n else array[:0]


def is_pinned_host(storage):
    """True when the host ndarray `storage` is, or views, one that `pinned_host` made (no GPU
    needed to ask: nothing is pinned until one was found)."""
    if not _PINNED:
        return False
    array = storage
    while isinstance(array, np.ndarray):
        ref = _PINNED.get(id(array))
        if ref is not None and ref() is array:
            return True
        array = array.base
    return False


def started():
    """The running CUDA backend, or None when no tensor has been put on a GPU yet."""
    from nbtensor.backends.cuda import backend
    return backend._instance


def require_backend(dev):
    """Start the CUDA backend for `dev` and return the device its tensors report (``cuda``
    is ``cuda:0``); raise torch's RuntimeError where no GPU can hold it."""
    if not gpu_present():
        raise RuntimeError(
            f"cannot place a tensor on {dev}: no CUDA GPU is available (numba-cuda found no "
            "GPU or no NVIDIA driver); nbtensor.cuda.is_available() is False, use device='cpu'")
    from nbtensor.backends.cuda import backend, runtime
    index = 0 if dev.index is None else dev.index
    count = runtime.device_count()
    if index >= count:
        raise RuntimeError(f"cannot place a tensor on {dev}: CUDA error: invalid device ordinal "
                           f"(this machine has {count} GPU{'s' if count != 1 else ''})")
    if index != 0:
        raise RuntimeError(f"cannot place a tensor on {dev}: nbtensor uses one GPU, cuda:0")
    backend.register()
    return backend.DEVICE


register_device_type("cuda", require_backend)
