"""The CUDA backend's entry: the placement check that `device('cuda')` runs, which starts the
backend on first use (numba.cuda is imported then, not with nbtensor).

The backend itself is `backend.CUDABackend` (storage, kernels), over `runtime` (numba.cuda,
launch shapes), `allocator` (the caching allocator) and `launch` (finding and launching the
kernels of `nbtensor.kernels.cuda`).
"""
from nbtensor.core.device import register_device_type

__all__ = ["gpu_present", "require_backend", "started"]


def gpu_present():
    """True when numba-cuda finds a GPU, or runs its simulator (imports numba.cuda: ~0.8 s)."""
    from nbtensor.backends.cuda import runtime
    return runtime.gpu_present()


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
