"""CPU storage in special host memory: shared between processes (``share_memory_``) and
page-locked for the GPU (``pin_memory``).

Shared: an anonymous shared mapping (``mmap`` of no file: MAP_SHARED | MAP_ANONYMOUS on
POSIX), so a process forked after it is made reads and writes the same memory as its parent,
as torch's shared memory does for ``fork``-started workers. (A process started another way, or
sent a tensor through a pipe, gets a copy: nbtensor pickles tensors by value.) The storage is
a NumPy array over the mapping; `is_shared` recognises it, and every view and reinterpretation
of it, by the mapping at the root of its ``.base`` chain (through the ``memoryview`` that
``np.frombuffer`` keeps).

Pinned: page-locked memory from numba-cuda (`backends.cuda.pinned_host`), so there must be a
GPU; without one, torch's RuntimeError (a CPU-only torch raises it too). Asking whether memory
is pinned needs no GPU.
"""
import mmap

import numpy as np

from nbtensor.backends import cuda as _cuda

__all__ = ["share", "is_shared", "pinned", "is_pinned"]


class _SharedMapping(mmap.mmap):
    """An anonymous mapping made by `share` (a subclass only to be told apart from other
    mappings, such as a memory-mapped file's)."""


def share(storage):
    """A new 1-D array of `storage`'s dtype and elements, in a fresh shared mapping (page
    aligned; at least one byte long, as a mapping cannot be empty)."""
    mapping = _SharedMapping(-1, max(storage.nbytes, 1))
    shared = np.frombuffer(mapping, dtype=storage.dtype, count=storage.shape[0])
    shared[...] = storage
    return shared


def is_shared(storage):
    """True when `storage` lies in a mapping `share` made."""
    base = storage
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):  # (np.frombuffer's: a view of the mapping's buffer)
        base = base.obj
    return isinstance(base, _SharedMapping)


def pinned(n, np_dtype):
    """A new 1-D array of `n` uninitialised elements in page-locked memory."""
    if not _cuda.gpu_present():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return _cuda.pinned_host(n, np_dtype)


def is_pinned(storage):
    """True when `storage` lies in page-locked memory `pinned` made."""
    return _cuda.is_pinned_host(storage)
