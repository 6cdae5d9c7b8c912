"""Host helpers: a tensor's values as a host ndarray and back, for the values an op needs on
the host (an index's range, what NumPy's LAPACK computes) and for host fallbacks; and the
small thread pool that splits host and gather work above the CPU's parallel threshold.

On the CPU a host array is the storage's own memory, so these cost nothing there.
"""
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from nbtensor.backends.base import backend_for, strided_view
from nbtensor.core.device import CPU
from nbtensor.backends.cpu import tuning

__all__ = ["host_array", "from_host", "on_host", "strided_view", "bits", "split_ranges", "run_split"]

_UINT = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 4: np.dtype(np.uint32), 8: np.dtype(np.uint64)}


def host_array(t):
    """The values of tensor `t` as a host ndarray of its shape: `t`'s own memory on the CPU,
    a copy fetched from any other device (read it; write with `on_host`)."""
    if type(t._storage) is np.ndarray:
        return strided_view(t._storage, t._shape, t._strides, t._offset, t.dtype.np)
    lo, hi = _span(t)
    flat = backend_for(t.device).to_host(t._storage, lo, hi)  # only the elements `t` can reach
    return strided_view(flat, t._shape, t._strides, t._offset - lo, t.dtype.np)


def _span(t):
    """The range [lo, hi) of storage elements tensor `t` reaches."""
    if 0 in t._shape:
        return t._offset, t._offset
    lo = hi = t._offset
    for n, s in zip(t._shape, t._strides):
        if s < 0:
            lo += s * (n - 1)
        else:
            hi += s * (n - 1)
    return lo, hi + 1


def from_host(array, device):
    """New storage on `device` holding a copy of the host ndarray `array`, flattened in
    row-major order (on the CPU: the array itself when it already is one)."""
    flat = np.ascontiguousarray(array).reshape(-1)
    if device is CPU or device.type == "cpu":
        return flat
    return backend_for(device).from_host(flat)


@contextlib.contextmanager
def on_host(t):
    """``with on_host(t) as a:`` gives `t`'s values as a writable host ndarray; what is
    written to it reaches `t` (on the CPU it is `t`'s memory; elsewhere it is copied back)."""
    if type(t._storage) is np.ndarray:
        yield strided_view(t._storage, t._shape, t._strides, t._offset, t.dtype.np)
        return
    backend = backend_for(t.device)
    lo, hi = _span(t)
    flat = backend.to_host(t._storage, lo, hi).copy()
    yield strided_view(flat, t._shape, t._strides, t._offset - lo, t.dtype.np)
    backend.write_host(t._storage, flat, lo)


def bits(storage):
    """`storage` viewed as unsigned integers of its element width (for pure data movement)."""
    return storage.view(_UINT[storage.dtype.itemsize])


_pool = None
_pool_lock = threading.Lock()


def _threads():
    global _pool
    if _pool is None:
        import numba
        with _pool_lock:
            if _pool is None:
                n = max(1, numba.get_num_threads())
                _pool = (n, ThreadPoolExecutor(max_workers=n - 1, thread_name_prefix="nbtensor") if n > 1 else None)
    return _pool


def _forget_pool():
    """Threads do not survive fork: a forked child makes its own pool (and lock) on first use."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def split_ranges(total, threshold=None):
    """[lo, hi) ranges covering [0, total): one, or one per thread when total is large."""
    n, _ = _threads()
    threshold = tuning.PARALLEL_THRESHOLD if threshold is None else threshold
    if total < threshold or n == 1:
        return [(0, total)]
    edges = [total * i // n for i in range(n + 1)]
    return [(lo, hi) for lo, hi in zip(edges, edges[1:]) if lo < hi]


def run_split(ranges, run):
    """``[run(lo, hi) for lo, hi in ranges]``, the ranges after the first on pool threads."""
    if len(ranges) == 1:
        return [run(*ranges[0])]
    _, pool = _threads()
    futures = [pool.submit(run, lo, hi) for lo, hi in ranges[1:]]
    first = run(*ranges[0])
    return [first] + [f.result() for f in futures]
