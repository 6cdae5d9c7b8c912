"""``nbtensor.cuda``: the GPU, as ``torch.cuda`` presents it.

numba.cuda is imported on the first call that needs it (``is_available()``, or a tensor put
on ``'cuda'``), not with nbtensor. nbtensor uses one GPU, ``cuda:0``. Under Numba's CUDA
simulator (``NUMBA_ENABLE_CUDASIM=1``) the simulated GPU counts as one.
"""
import random as _random

from nbtensor.backends.cuda import gpu_present as _gpu_present
from nbtensor.backends.cuda import require_backend as _require_backend
from nbtensor.backends.cuda import started as _started
from nbtensor.core.device import device as _device
from nbtensor.core.errors import OutOfMemoryError  # noqa: F401  (torch.cuda.OutOfMemoryError)

__all__ = ["is_available", "device_count", "current_device", "set_device", "get_device_name",
           "get_device_capability", "synchronize", "is_initialized", "init", "manual_seed",
           "manual_seed_all", "seed", "seed_all", "initial_seed", "memory_allocated",
           "memory_reserved", "max_memory_allocated", "max_memory_reserved", "reset_peak_memory_stats",
           "empty_cache", "mem_get_info", "get_device_properties", "is_bf16_supported", "device", "device_of",
           "OutOfMemoryError"]


def is_available():
    """True when a CUDA GPU is present and nbtensor can use it."""
    return _gpu_present()


def device_count():
    """Number of CUDA devices numba-cuda sees (0 without one)."""
    if not is_available():
        return 0
    from nbtensor.backends.cuda import runtime
    return runtime.device_count()


def _backend():
    """The CUDA backend, started if need be (raises where there is no GPU)."""
    backend = _started()
    if backend is None:
        _require_backend(_device("cuda", 0))
        backend = _started()
    return backend


def _index(device):
    """The GPU index a ``device=`` argument of the functions below names (checked as a
    tensor's placement is: torch's "invalid device ordinal")."""
    d = _device("cuda", 0) if device is None else device if isinstance(device, _device) else _device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return _require_backend(d).index


def init():
    """Start the CUDA backend now (it starts by itself on first use)."""
    _backend()


def is_initialized():
    """True once a tensor was put on the GPU (or `init()` ran)."""
    return _started() is not None


def current_device():
    """The index of the GPU tensors go to: always 0 (nbtensor uses one GPU)."""
    _backend()
    return 0


def set_device(device):
    """Select the GPU for ``'cuda'``: only ``cuda:0`` exists for nbtensor."""
    if isinstance(device, int) and not isinstance(device, bool):
        device = _device("cuda", device)
    if _index(device) != 0:
        raise RuntimeError(f"nbtensor uses one GPU, cuda:0; cannot select {device}")
    _backend()


def get_device_name(device=None):
    """The GPU's name, as the driver gives it."""
    from nbtensor.backends.cuda import runtime
    return runtime.device_name(_index(device))


def get_device_capability(device=None):
    """(major, minor) compute capability of the GPU."""
    from nbtensor.backends.cuda import runtime
    return runtime.compute_capability(_index(device))


class _DeviceProperties:
    """What ``get_device_properties`` reports (torch's _CudaDeviceProperties fields)."""

    def __init__(self, name, major, minor, total_memory, multi_processor_count):
        self.name, self.major, self.minor = name, major, minor
        self.total_memory, self.multi_processor_count = total_memory, multi_processor_count

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    """The GPU's name, compute capability, total memory (bytes) and multiprocessor count."""
    from nbtensor.backends.cuda import runtime
    index = _index(device)
    major, minor = runtime.compute_capability(index)
    return _DeviceProperties(runtime.device_name(index), major, minor, runtime.memory_info()[1],
                             runtime.multiprocessor_count(index))


def mem_get_info(device=None):
    """(free, total) bytes of the GPU's memory, as the driver reports them."""
    _index(device)
    from nbtensor.backends.cuda import runtime
    return runtime.memory_info()


def is_bf16_supported(including_emulation=True):
    """False: nbtensor has no bfloat16 dtype."""
    return False


class device:
    """``with nbtensor.cuda.device(0):`` — the GPU that ``'cuda'`` means inside (nbtensor uses
    one, cuda:0; None or a negative index leaves it as it is)."""

    def __init__(self, device):
        self.index = device.index if isinstance(device, _device) else device

    def __enter__(self):
        if self.index is not None and not (isinstance(self.index, int) and self.index < 0):
            set_device(self.index)

    def __exit__(self, *exc):
        return False


class device_of(device):
    """``with nbtensor.cuda.device_of(tensor):`` — the GPU of `tensor` (a CPU tensor changes
    nothing)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


def synchronize(device=None):
    """Wait for every kernel and copy queued on the GPU to finish."""
    _index(device)
    from nbtensor.backends.cuda import runtime
    runtime.synchronize()


# ------------------------------------------------------------------------------- random
def manual_seed(seed):
    """Seed the GPU's generator (``nbtensor.manual_seed`` seeds it too). Its uniform and
    normal draws (rand, randn, uniform_, normal_: what nn.init uses) run on the GPU; random
    integers, permutations and Bernoulli draws come from nbtensor's host generator."""
    from nbtensor.backends.base import seed_devices
    seed_devices(seed)


def manual_seed_all(seed):
    """Seed every GPU's generator (nbtensor uses one)."""
    manual_seed(seed)


def seed():
    """Seed the GPU's generator with a random number."""
    manual_seed(_random.SystemRandom().randrange(1 << 63))


def seed_all():
    """Seed every GPU's generator with a random number."""
    seed()


def initial_seed():
    """The seed the GPU's generator starts from."""
    from nbtensor.backends.base import device_seed
    return device_seed()


# ------------------------------------------------------------------------------- memory
def memory_allocated(device=None):
    """Bytes of GPU memory held by live tensors (in the allocator's blocks)."""
    _index(device)
    backend = _started()
    return 0 if backend is None else backend.allocator.allocated


def memory_reserved(device=None):
    """Bytes of GPU memory the caching allocator holds: in use, and pooled for reuse."""
    _index(device)
    backend = _started()
    return 0 if backend is None else backend.allocator.reserved


def max_memory_allocated(device=None):
    """The most bytes `memory_allocated` reached since the start or the last reset."""
    _index(device)
    backend = _started()
    return 0 if backend is None else backend.allocator.peak


def max_memory_reserved(device=None):
    """The bytes the allocator holds (nbtensor tracks no separate peak of reserved memory)."""
    return memory_reserved(device)


def reset_peak_memory_stats(device=None):
    """Start `max_memory_allocated` again from what is allocated now."""
    _index(device)
    backend = _started()
    if backend is not None:
        backend.allocator.reset_peak()


def empty_cache():
    """Give the GPU memory pooled by the caching allocator (not held by tensors) back."""
    backend = _started()
    if backend is not None:
        backend.allocator.empty_cache()
