"""The CUDA backend's place (issue 11): until it lands, only the check that refuses a CUDA
device, with torch's message for a build that cannot use one.

The backend will subclass `nbtensor.backends.base.Backend` with `@cuda.jit` kernels built
from the same index math as the CPU's (`nbtensor.kernels.strides`) and `register("cuda",
...)` itself here, as `nbtensor.backends.cpu` does.
"""
from nbtensor.core.device import register_device_type

# Flipped when the CUDA backend lands; until then no CUDA device can hold a tensor.
BACKEND_READY = False


def gpu_present():
    """True when numba-cuda finds a GPU (imported lazily: numba.cuda costs ~0.8 s)."""
    try:
        from numba import cuda as numba_cuda
    except Exception:
        return False
    try:
        return bool(numba_cuda.is_available())
    except Exception:
        return False


def require_backend(dev):
    """Raise the error torch gives on a machine whose build cannot use CUDA."""
    if not BACKEND_READY:
        raise RuntimeError(
            f"cannot place a tensor on {dev}: nbtensor's CUDA backend is not available in this "
            "release. Use device='cpu' (nbtensor.cuda.is_available() is False).")
    if not gpu_present():
        raise RuntimeError(f"cannot place a tensor on {dev}: no CUDA GPU was found")


register_device_type("cuda", require_backend)
