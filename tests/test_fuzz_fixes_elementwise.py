"""Regressions for element-wise mismatches the differential fuzzer (tests/fuzz) found.

Expected values are written out by hand (torch 2.13 CPU is the reference), so the tests
run without torch.
"""
import math

import numpy as np
import pytest

import nbtensor as nt
from support import check

INF, NAN = math.inf, math.nan


# ---------------------------------------------------------------- sign of +-inf
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_sign_of_infinities(dtype):
    d = getattr(nt, dtype)
    x = nt.tensor([INF, -INF, 0.0, -0.0, NAN, 2.0, -3.0], dtype=d)
    expected = np.array([1, -1, 0, 0, 0, 1, -1], dtype=dtype)
    got = x.sign()
    check(got, expected)
    assert list(np.signbit(got.numpy())) == [False, True, False, False, False, False, True]
    x.sign_()
    check(x, expected)


def test_sign_of_zero_is_positive():
    got = nt.tensor([-0.0, 0.0, NAN]).sign().numpy()
    assert not np.signbit(got).any()


@pytest.mark.parametrize("dtype,values,expected", [
    ("uint8", [0, 3, 255], [0, 1, 1]),
    ("int8", [-128, 3, 0], [-1, 1, 0]),
    ("int64", [-2**63, 2**63 - 1, 0], [-1, 1, 0]),
    ("bool", [True, False], [True, False]),
])
def test_sign_integers(dtype, values, expected):
    check(nt.tensor(values, dtype=getattr(nt, dtype)).sign(), np.array(expected, dtype=dtype))
