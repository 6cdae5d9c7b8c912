"""numba.cuda, imported on first use, and what the CUDA backend asks of it: is a GPU there,
which one, launch shapes, synchronisation, addresses.

`import numba.cuda` costs ~0.8 s, so nothing here imports it before a CUDA device or
`nbtensor.cuda.is_available()` is first used. Under Numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``, set before numba.cuda is imported) kernels run as Python on
the CPU; its arrays lack a few attributes of real device arrays, and the differences are
kept in this module.

Launch shapes: a kernel runs `threads()` threads per block (a power of two: the reductions
halve it) over at most `max_blocks()` blocks, with grid-stride loops, so any size is
covered. ``NBTENSOR_CUDA_THREADS`` sets the block size (default 256 on a GPU, 4 in the
simulator, where every thread is a Python thread).
"""
import os
import threading

__all__ = ["cuda", "simulated", "gpu_present", "device_count", "device_name", "synchronize",
           "threads", "max_blocks", "blocks_for", "address"]

_lock = threading.Lock()
_module = None
_present = None
_threads = None
_max_blocks = None


def cuda():
    """The `numba.cuda` module (imported on first call)."""
    global _module
    if _module is None:
        with _lock:
            if _module is None:
                from numba import cuda as numba_cuda
                _module = numba_cuda
    return _module


def simulated():
    """True when kernels run in Numba's CUDA simulator."""
    from numba import config
    return bool(config.ENABLE_CUDASIM)


def gpu_present():
    """True when numba-cuda can use a GPU (or the simulator stands in for one)."""
    global _present
    if _present is None:
        try:
            _present = bool(cuda().is_available())
        except Exception:  # no numba-cuda, no driver, or a driver that fails to start
            _present = False
    return _present


def device_count():
    """How many GPUs numba-cuda sees (0 without one)."""
    if not gpu_present():
        return 0
    return len(cuda().gpus)


def device_name(index=0):
    """The name of GPU `index`, as the driver gives it."""
    if simulated():
        return "Numba CUDA simulator"
    name = cuda().gpus[index].name
    return name.decode() if isinstance(name, bytes) else name


def compute_capability(index=0):
    """(major, minor) of GPU `index`."""
    return tuple(cuda().gpus[index].compute_capability)


def memory_info():
    """(free, total) bytes of the current GPU's memory, as the driver reports them (the
    simulator reports none: 0, 0)."""
    if simulated():
        return 0, 0
    info = cuda().current_context().get_memory_info()
    return int(info.free), int(info.total)


def multiprocessor_count(index=0):
    """How many streaming multiprocessors GPU `index` has (1 for the simulator)."""
    if simulated():
        return 1
    return int(cuda().gpus[index].MULTIPROCESSOR_COUNT)


def synchronize():
    """Wait until every kernel and copy queued on the GPU has finished."""
    cuda().synchronize()


def threads():
    """Threads per block of every launch (a power of two)."""
    global _threads
    if _threads is None:
        n = int(os.environ.get("NBTENSOR_CUDA_THREADS", "4" if simulated() else "256"))
        if n < 1 or n & (n - 1) or n > 1024:
            raise RuntimeError(f"NBTENSOR_CUDA_THREADS must be a power of two from 1 to 1024, got {n}")
        _threads = n
    return _threads


def max_blocks():
    """The most blocks a launch uses: enough to fill every multiprocessor several times
    (grid-stride loops cover the rest); 2 in the simulator."""
    global _max_blocks
    if _max_blocks is None:
        if simulated():
            _max_blocks = 2
        else:
            sms = cuda().get_current_device().MULTIPROCESSOR_COUNT
            _max_blocks = 32 * sms
    return _max_blocks


def blocks_for(n):
    """Blocks for `n` items, one per thread."""
    t = threads()
    return max(1, min(max_blocks(), (n + t - 1) // t))


def address(array):
    """The device address of `array`'s first element."""
    if simulated():
        return array._ary.__array_interface__["data"][0]
    return array.__cuda_array_interface__["data"][0]
