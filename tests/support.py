"""Shared by the test modules: the optional torch oracle and an exact-result check."""
import numpy as np
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def check(result, expected, dtype=True):
    """`result` (a Tensor) has exactly the shape, the dtype (unless `dtype` is False or
    `expected` holds Python objects) and the values of `expected`."""
    expected = np.asarray(expected)
    got = result.cpu().numpy()
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if dtype and expected.dtype != object:
        assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(got, expected)
