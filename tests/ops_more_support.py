"""Helpers shared by test_tensor_ops_more*.py."""
import pytest

import nbtensor
from tests.support import torch


def f64(values, requires_grad=False):
    """A float64 nbtensor tensor of `values`."""
    return nbtensor.tensor(values, dtype=nbtensor.float64, requires_grad=requires_grad)


def same_error(call, error, message):
    """`call(nbtensor)` raises `error` matching `message`, and so does `call(torch)` when installed."""
    modules = (nbtensor, torch) if torch is not None else (nbtensor,)
    for module in modules:
        with pytest.raises(error, match=message):
            call(module)
