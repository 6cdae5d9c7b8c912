"""``nbtensor.cuda``: GPU availability, probed lazily.

The CUDA backend is not part of this release yet: `is_available()` answers False until it
lands, so code written as ``'cuda' if torch.cuda.is_available() else 'cpu'`` runs unchanged,
and asking for a CUDA device explicitly raises a clear error.
"""

__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all", "seed", "seed_all"]

from nbtensor.backends.cuda import BACKEND_READY, gpu_present as _gpu_present, require_backend  # noqa: F401


def is_available():
    """True when a CUDA GPU is present and nbtensor's CUDA backend can use it."""
    return BACKEND_READY and _gpu_present()


def device_count():
    """Number of CUDA devices nbtensor can use."""
    if not is_available():
        return 0
    from numba import cuda as numba_cuda
    return len(numba_cuda.gpus)


def manual_seed(seed):
    """Seed the current GPU's generator; without a usable GPU, nothing to seed (as torch)."""


def manual_seed_all(seed):
    """Seed every GPU's generator; without a usable GPU, nothing to seed (as torch)."""


def seed():
    """Seed the current GPU's generator randomly; a no-op without a usable GPU."""


def seed_all():
    """Seed every GPU's generator randomly; a no-op without a usable GPU."""
