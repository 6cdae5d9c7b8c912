"""The CUDA backend's caching allocator, as torch's and CuPy's: `cudaMalloc`/`cudaFree` are
slow and synchronise the device, so the memory of a dead tensor goes back to a pool of
blocks binned by size, and the next allocation of that size takes it from there.

Reuse is safe without synchronising because every kernel and copy runs on one stream (the
default): work queued on a block before its tensor died finishes before work queued after
the block was handed out again. A storage is a 1-D device array over the first bytes of its
block; views of it (``reinterpret``) keep it alive, so the block goes back only when
nothing can reach its memory. ``empty_cache()`` gives the pooled blocks back to the driver;
an allocation that fails frees the pool and tries once more before raising torch's
out-of-memory error. ``NBTENSOR_CUDA_NO_CACHING=1`` turns pooling off (as torch's
``PYTORCH_NO_CUDA_MEMORY_CACHING``), so every dead tensor's memory goes straight back.
"""
import os
import threading
import weakref

import numpy as np

from nbtensor.backends.binning import block_size
from nbtensor.backends.cuda import runtime
from nbtensor.core.errors import OutOfMemoryError

__all__ = ["CachingAllocator", "block_size", "default"]


def _format_bytes(n):
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.2f} {unit}" if unit != "bytes" else f"{n} bytes"
        n /= 1024


class CachingAllocator:
    """Device storage from size-binned pools of blocks; counts what is in use and held."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pool = {}       # block size -> [free blocks]
        self.allocated = 0    # bytes in blocks that storages use
        self.reserved = 0     # bytes in every block held from the driver (used or pooled)
        self.peak = 0         # most bytes allocated at once since the last reset
        self.caching = os.environ.get("NBTENSOR_CUDA_NO_CACHING", "") in ("", "0")

    def allocate(self, n, np_dtype):
        """A 1-D device array of `n` uninitialised elements of `np_dtype`."""
        dtype = np.dtype(np_dtype)
        nbytes = n * dtype.itemsize
        size = block_size(nbytes)
        with self._lock:
            free = self._pool.get(size)
            block = free.pop() if free else None
            self.allocated += size
            self.peak = max(self.peak, self.allocated)
        if block is None:
            try:
                block = self._new_block(size)
            except BaseException:
                with self._lock:
                    self.allocated -= size
                raise
        storage = block[:nbytes].view(dtype)
        weakref.finalize(storage, self._release, block, size)
        return storage

    def _new_block(self, size):
        cuda = runtime.cuda()
        for attempt in (0, 1):
            try:
                block = cuda.device_array(size, np.uint8)
            except Exception as exc:
                if not _out_of_memory(exc):
                    raise
                if attempt == 0:
                    self.empty_cache()
                    continue
                raise OutOfMemoryError(
                    f"CUDA out of memory. Tried to allocate {_format_bytes(size)}. "
                    f"{_format_bytes(self.allocated - size)} is allocated by tensors and "
                    f"{_format_bytes(self.reserved - self.allocated + size)} is reserved but unallocated; "
                    "free tensors or call nbtensor.cuda.empty_cache()") from None
            with self._lock:
                self.reserved += size
            return block

    def _release(self, block, size):
        with self._lock:
            self.allocated -= size
            if self.caching:
                self._pool.setdefault(size, []).append(block)
                return
            self.reserved -= size
        del block
        _flush_deallocations()

    def empty_cache(self):
        """Give every pooled block back to the driver."""
        with self._lock:
            freed = sum(size * len(blocks) for size, blocks in self._pool.items())
            self._pool.clear()
            self.reserved -= freed
        _flush_deallocations()

    def reset_peak(self):
        with self._lock:
            self.peak = self.allocated


_default = None


def default():
    """The process's allocator (the CUDA backend's and its launchers')."""
    global _default
    if _default is None:
        _default = CachingAllocator()
    return _default


def _flush_deallocations():
    # numba defers cudaFree of dropped arrays in a queue; empty it so the driver has the memory
    if runtime.simulated():
        return
    try:
        runtime.cuda().current_context().deallocations.clear()
    except Exception:
        pass


def _out_of_memory(exc):
    if "out of memory" in str(exc).lower():
        return True
    code = getattr(exc, "code", None)
    return code == 2  # CUDA_ERROR_OUT_OF_MEMORY
