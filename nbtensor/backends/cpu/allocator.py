"""The CPU backend's caching allocator: the memory of a dead large tensor stays with the
process, so the next fresh output of about its size is memory already faulted in.

NumPy takes a large buffer from the C library, which maps fresh pages for it whenever it
cannot reuse a freed chunk (glibc: always from 32 MiB on; below, as soon as several buffers
of mixed sizes live at once), and the first write to each page faults: ``torch.exp`` of
10**7 float32 took 7.1 ms into fresh memory and 4.0 ms into pooled memory; filling 1-24 MiB
buffers of mixed sizes, six alive at a time, ran at 9-15 GB/s fresh and ~100 GB/s reused
(one run each on the 2-core development machine).

A request of `THRESHOLD` bytes or more is served from a block of `binning.block_size` bytes
(four sizes per power of two) made by ``np.empty(size, np.uint8)``, as
``block[:nbytes].view(dtype)``; a smaller one is plain ``np.empty``. The pool keeps a
reference to every block it made, handed out or not, and needs no hook on a tensor's death:
every array over a block's memory (the storage, views of it, ``numpy()``, reinterpreting
views, DLPack exports made from them, ``from_numpy`` of any of these) holds the block
itself as its ``.base`` (NumPy collapses bases to the array that owns the memory) or holds
an object that does, so **a block is free exactly when the pool's own references are all
it has** (`sys.getrefcount`). Each allocation takes a free block of its size from there.

Free blocks are kept up to `cache_limit()` bytes (``NBTENSOR_CPU_CACHE_LIMIT``, bytes or
with a suffix: ``512M``, ``2G``; default 1 GiB, or a quarter of the RAM when that is less):
at each pooled allocation, when the pool holds more than that in all (handed out or free),
the free blocks least recently handed out are dropped until the free ones fit. (The pool
learns that a block is free only when it looks, so after the last large allocation free
blocks beyond the cap stay until ``empty_cache``.) ``nbtensor.empty_cache()`` drops every free block;
``NBTENSOR_CPU_CACHING=0`` makes every request plain ``np.empty``.
"""
import os
import re
import sys
import threading

import numpy as np

from nbtensor.backends.binning import block_size

__all__ = ["THRESHOLD", "CachingAllocator", "allocate", "cache_limit", "caching_enabled", "default"]

# Below this many bytes a request is plain np.empty: the pool's own ~1.5 us per request stays
# a few percent of first-touching what it serves (writing 1 MiB fresh: ~80-500 us), and the
# element-wise fast paths (float32 below 2**18 elements) stay under it. Blocks start at the
# quarter-power-of-two bins of `block_size`, so a block's spare bytes (virtual memory that is
# never touched until a larger request takes the block) are under 25% of it.
THRESHOLD = 1 << 20

_DEFAULT_LIMIT = 1 << 30
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def cache_limit(environ=os.environ):
    """The most bytes of free blocks the pool keeps: ``NBTENSOR_CPU_CACHE_LIMIT`` (bytes, or
    a number with K, M, G or T, powers of 1024: ``512M``, ``1.5G``), else 1 GiB or a quarter
    of the physical memory when that is less."""
    text = environ.get("NBTENSOR_CPU_CACHE_LIMIT", "").strip()
    if not text:
        try:
            return min(_DEFAULT_LIMIT, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4)
        except (AttributeError, ValueError, OSError):
            return _DEFAULT_LIMIT
    match = re.fullmatch(r"(\d+(?:\.\d*)?)\s*([KMGT]?)(?:i?B)?", text, re.IGNORECASE)
    if match is None:
        raise ValueError(f"NBTENSOR_CPU_CACHE_LIMIT={text!r}: expected bytes, or a number with K, M, G or T "
                         "(such as 512M or 2G)")
    return int(float(match[1]) * _UNITS[match[2].upper()])


def caching_enabled(environ=os.environ):
    """False when ``NBTENSOR_CPU_CACHING`` is 0 (or false, off, no): no pool at all."""
    return environ.get("NBTENSOR_CPU_CACHING", "1").strip().lower() not in ("0", "false", "off", "no")


def _ref_counts(blocks):
    """(key, reference count) of each block in `blocks` (a dict key -> block)."""
    return [(key, sys.getrefcount(block)) for key, block in blocks.items()]


# A block's count through `_ref_counts` when only the pool's dict refers to it (measured, not
# assumed: what an interpreter counts for a loop variable and an argument varies).
_POOL_REFS = _ref_counts({0: np.empty(1, np.uint8)})[0][1]


def _free_keys(blocks):
    """The keys of the blocks in `blocks` that nothing outside the pool references."""
    return [key for key, refs in _ref_counts(blocks) if refs == _POOL_REFS]


class CachingAllocator:
    """Storage for the CPU backend: requests of `threshold` bytes or more from size-binned
    blocks kept for reuse (see the module's docstring), the others plain ``np.empty``.
    `limit` (bytes of free blocks kept) and `caching` default to the environment's."""

    def __init__(self, threshold=THRESHOLD, limit=None, caching=None):
        self.threshold = threshold
        self.limit = cache_limit() if limit is None else limit
        self.caching = caching_enabled() if caching is None else caching
        self.held = 0       # bytes in every block of the pool, handed out or free
        self._bins = {}     # block size -> {id(block): block}
        self._order = {}    # id(block) -> block size, least recently handed out first
        self._lock = threading.Lock()

    def allocate(self, n, np_dtype):
        """A 1-D array of `n` uninitialised elements of `np_dtype`."""
        dtype = np.dtype(np_dtype)
        nbytes = n * dtype.itemsize
        if nbytes < self.threshold or not self.caching:
            return np.empty(n, dtype)
        size = block_size(nbytes)
        with self._lock:
            blocks = self._bins.setdefault(size, {})
            free = _free_keys(blocks)
            if free:
                key = free[-1]
                del self._order[key]
            else:
                block = self._new_block(size)
                key = id(block)
                blocks[key] = block
                self.held += size
            self._order[key] = size
            storage = blocks[key][:nbytes].view(dtype)
            if self.held > self.limit:
                self._trim(self.limit)
        return storage

    def _new_block(self, size):
        try:
            return np.empty(size, np.uint8)
        except MemoryError:
            self._trim(0)  # give the free blocks back and try once more
            return np.empty(size, np.uint8)

    def idle(self):
        """Bytes in the free blocks (those nothing outside the pool references)."""
        with self._lock:
            return sum(size for size, blocks in self._bins.items() for _ in _free_keys(blocks))

    def references(self, array):
        """How many references the pool itself holds on `array`: 1 for one of its blocks."""
        size = self._order.get(id(array))
        return int(size is not None and self._bins[size].get(id(array)) is array)

    def empty_cache(self):
        """Drop every free block (its memory goes back to the C library, and from there to
        the system); blocks that arrays still use stay."""
        with self._lock:
            self._trim(0)

    def _trim(self, limit):
        # (the caller holds the lock) drop free blocks, least recently handed out first,
        # until they hold at most `limit` bytes
        free = {key for blocks in self._bins.values() for key in _free_keys(blocks)}
        idle = sum(self._order[key] for key in free)
        for key, size in list(self._order.items()):
            if idle <= limit:
                break
            if key in free:
                del self._order[key], self._bins[size][key]
                self.held -= size
                idle -= size

    def _forget_parent(self):
        """In a forked child: a new lock (the parent's may have been held by a thread the
        child does not have), and no free blocks of the parent's (reusing one would copy
        each page on its first write)."""
        self._lock = threading.Lock()
        self.empty_cache()


_default = CachingAllocator()


def default():
    """The process's allocator (the CPU backend's)."""
    return _default


_SMALL_N = THRESHOLD // 8  # fewer elements than this are under THRESHOLD bytes at any itemsize
_empty = np.empty


def allocate(n, np_dtype):
    """New storage of `n` uninitialised elements of `np_dtype` (the CPU backend's `allocate`:
    a small request costs one comparison more than ``np.empty``)."""
    if n < _SMALL_N:
        return _empty(n, np_dtype)
    return _default.allocate(n, np_dtype)


if hasattr(os, "register_at_fork"):
    # the pool's lock is held across fork, so the child's copy of the pool is consistent
    os.register_at_fork(before=lambda: _default._lock.acquire(),
                        after_in_parent=lambda: _default._lock.release(),
                        after_in_child=lambda: _default._forget_parent())
