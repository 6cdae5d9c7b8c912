"""Shared by tests/test_nn_conv.py and tests/test_nn_pool_norm.py: the optional torch oracle
(tests/support.py's), a marker for the gradchecks, and small tensor helpers."""
import os

import numpy as np
import pytest

import nbtensor as nb
from tests.support import needs_torch, torch  # noqa: F401 (re-exported)

# gradcheck runs two forwards per input element: fine on a CPU or a GPU, over a minute in the
# CUDA simulator (every kernel launch is Python); the device's gradients are checked there
# against torch and by hand instead.
not_in_simulator = pytest.mark.skipif(
    os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" and os.environ.get("NBTENSOR_TEST_DEVICE") == "cuda",
    reason="gradcheck is too slow in the CUDA simulator")


def values(t):
    """`t`'s values as a NumPy array (from any device)."""
    return t.detach().cpu().numpy()


def leaf(a):
    """A float64 leaf that requires grad."""
    return nb.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
