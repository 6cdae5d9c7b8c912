"""Shared by the test modules: the optional torch oracle and an exact-result check."""
import os

import numpy as np
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

# The suite runs in Numba's CUDA simulator (as tests/conftest.py's SIMULATED): every GPU thread is a
# Python thread there, so a few tests take smaller sizes (their CPU runs keep the full ones).
SIMULATED = os.environ.get("NBTENSOR_TEST_DEVICE") == "cuda" and os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


def numpy_of(t):
    """The values of tensor `t` as a NumPy array (detached, copied to the host)."""
    return t.detach().cpu().numpy()


def check(result, expected, dtype=True):
    """`result` (a Tensor) has exactly the shape, the dtype (unless `dtype` is False or
    `expected` holds Python objects) and the values of `expected`."""
    expected = np.asarray(expected)
    got = result.cpu().numpy()
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if dtype and expected.dtype != object:
        assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(got, expected)


def shares(x, y):
    """True when tensors x and y have an element in common: NumPy's answer for arrays over
    one buffer laid out as x and y are in their storage (any device's storage)."""
    if x._storage is not y._storage:
        return x.device.type == "cpu" and np.shares_memory(x.cpu().numpy(), y.cpu().numpy())
    buffer = np.empty(max(1, x._storage.shape[0]), x._storage.dtype)
    return np.shares_memory(*(_laid_out(buffer, t) for t in (x, y)))


def _laid_out(buffer, t):
    item = buffer.itemsize
    if 0 in t.shape:
        return buffer[:0]
    return np.lib.stride_tricks.as_strided(buffer[t.storage_offset():], t.shape, [s * item for s in t.stride()])
