"""Type promotion against torch's published table (written out here) and, when torch is
installed, against torch itself."""
import itertools

import pytest

import nbtensor as nb

CODES = {"b1": nb.bool, "u1": nb.uint8, "i1": nb.int8, "i2": nb.int16, "i4": nb.int32,
         "i8": nb.int64, "f2": nb.float16, "f4": nb.float32, "f8": nb.float64}
ORDER = ["u1", "i1", "i2", "i4", "i8", "f2", "f4", "f8", "b1"]
# torch's promotion table (rows and columns in ORDER).
TABLE = """
u1 i2 i2 i4 i8 f2 f4 f8 u1
i2 i1 i2 i4 i8 f2 f4 f8 i1
i2 i2 i2 i4 i8 f2 f4 f8 i2
i4 i4 i4 i4 i8 f2 f4 f8 i4
i8 i8 i8 i8 i8 f2 f4 f8 i8
f2 f2 f2 f2 f2 f2 f4 f8 f2
f4 f4 f4 f4 f4 f4 f4 f8 f4
f8 f8 f8 f8 f8 f8 f8 f8 f8
u1 i1 i2 i4 i8 f2 f4 f8 b1
"""
EXPECTED = {(ORDER[i], ORDER[j]): code
            for i, row in enumerate(TABLE.split("\n")[1:-1]) for j, code in enumerate(row.split())}


@pytest.mark.parametrize("a,b", sorted(EXPECTED))
def test_promote_types_table(a, b):
    assert nb.promote_types(CODES[a], CODES[b]) is CODES[EXPECTED[(a, b)]]
    x = nb.ones(2, dtype=CODES[a])
    y = nb.ones(2, dtype=CODES[b])
    assert (x * y).dtype is CODES[EXPECTED[(a, b)]]
    assert (x == y).dtype is nb.bool


# Dimensioned tensor of dtype d with a Python scalar / 0-d tensor (torch's category rule).
@pytest.mark.parametrize("code", ORDER)
def test_scalars_and_zero_dim_tensors(code):
    d = CODES[code]
    x = nb.ones(2, dtype=d)
    floating = d.is_floating_point
    assert (x + 1).dtype is (nb.int64 if d is nb.bool else d)
    assert (x + 1.5).dtype is (d if floating else nb.float32)
    assert (x + True).dtype is d
    assert (x + nb.tensor(1, dtype=nb.int64)).dtype is (nb.int64 if d is nb.bool else d)
    assert (x + nb.tensor(1.0, dtype=nb.float64)).dtype is (d if floating else nb.float64)
    assert (x / 2).dtype is (d if floating else nb.float32)
    assert nb.result_type(x, 2.0) is (d if floating else nb.float32)


def test_default_dtype_drives_python_floats():
    nb.set_default_dtype(nb.float64)
    try:
        assert (nb.ones(2, dtype=nb.int32) * 0.5).dtype is nb.float64
        assert nb.tensor([1.5]).dtype is nb.float64
    finally:
        nb.set_default_dtype(nb.float32)


def test_can_cast():
    assert nb.can_cast(nb.int64, nb.float32)
    assert not nb.can_cast(nb.float32, nb.int64)
    assert not nb.can_cast(nb.int32, nb.bool)


def test_parity_with_torch():
    torch = pytest.importorskip("torch")
    tmap = {c: getattr(torch, d.name) for c, d in CODES.items()}
    for a, b in itertools.product(ORDER, ORDER):
        expected = (torch.ones(2, dtype=tmap[a]) + torch.ones(2, dtype=tmap[b])).dtype
        assert str(expected).replace("torch.", "") == nb.promote_types(CODES[a], CODES[b]).name
    for code in ORDER:
        for scalar in (True, 2, 2.5):
            t = torch.ones(2, dtype=tmap[code]) * scalar
            n = nb.ones(2, dtype=CODES[code]) * scalar
            assert str(t.dtype).replace("torch.", "") == n.dtype.name, (code, scalar)
        for other in ORDER:
            t = torch.ones(2, dtype=tmap[code]) * torch.ones((), dtype=tmap[other])
            n = nb.ones(2, dtype=CODES[code]) * nb.ones((), dtype=CODES[other])
            assert str(t.dtype).replace("torch.", "") == n.dtype.name, (code, other)
