"""Edge cases of reductions, scans and sorting where nbtensor once returned a value where
torch raises, or a different shape/stride (expected values computed by hand)."""
import numpy as np
import pytest

import nbtensor as torch


def test_zero_dim_repeated_dims_raise():
    s = torch.tensor(3.5)
    for fn in (lambda: s.sum((0, -1)), lambda: s.sum((0, 0)), lambda: s.amax((-1, 0)),
               lambda: s.mean((0, 0)), lambda: torch.linalg.vector_norm(s, dim=(-1, 0))):
        with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
            fn()
    assert s.sum((0,)).item() == 3.5 and s.sum((-1,)).item() == 3.5


def test_zero_dim_vector_norm_checks_dim_range():
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.linalg.vector_norm(torch.tensor(3.5), dim=1)
    assert torch.linalg.vector_norm(torch.tensor(-3.5), dim=0).item() == 3.5


def test_aminmax_takes_one_int_dim():
    with pytest.raises(TypeError, match=r"aminmax\(\): argument 'dim' must be int, not tuple"):
        torch.aminmax(torch.tensor(2.0), dim=())
    with pytest.raises(TypeError, match="must be int, not list"):
        torch.aminmax(torch.tensor([1.0, 2.0]), dim=[0])
    assert torch.aminmax(torch.tensor(2.0), dim=0).max.item() == 2.0


def test_mode_zero_dim_checks_dim_and_keepdim_strides():
    s = torch.tensor(3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        s.mode(1)
    with pytest.raises(TypeError):
        s.mode((0,))
    r = torch.tensor([[1.0, 2.0, 2.0], [1.0, 2.0, 3.0]]).mode(0, keepdim=True)
    assert r.values.tolist() == [[1.0, 2.0, 2.0]] and r.indices.tolist() == [[1, 1, 0]]
    assert r.values.stride() == (3, 1) and r.indices.stride() == (3, 1)


def test_all_any_with_empty_dim_tuple_reduce_nothing():
    t = torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]]).t()
    r = t.all(dim=())
    assert r.dtype is torch.bool and r.shape == (3, 2) and r.stride() == (2, 1)
    assert r.tolist() == [[True, False], [False, False], [True, True]]
    assert torch.any(torch.empty(2, 0), dim=()).shape == (2, 0)
    u = torch.tensor([0, 7], dtype=torch.uint8).any(dim=[])
    assert u.dtype is torch.uint8 and u.tolist() == [0, 1]
    b = torch.tensor([True, False])
    assert b.all(dim=()).tolist() == [True, False] and b.all(dim=()) is not b
    assert t.all().item() is False  # (dim=None still reduces everything)


def test_scan_out_dtypes_must_match():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(RuntimeError, match="expected scalar_type Float but found Double"):
        torch.cummax(x, 0, out=(torch.empty(2, 3, dtype=torch.float64), torch.empty(2, 3, dtype=torch.int64)))
    with pytest.raises(RuntimeError, match="expected scalar_type Long but found Int"):
        torch.cummin(x, 0, out=(torch.empty(2, 3), torch.empty(2, 3, dtype=torch.int32)))
    with pytest.raises(RuntimeError, match="expected scalar_type Float but found Double"):
        torch.logcumsumexp(x, 0, out=torch.empty(2, 3, dtype=torch.float64))
    v, i = torch.empty(2, 3), torch.empty(2, 3, dtype=torch.int64)
    torch.cummax(x, 0, out=(v, i))
    assert v.tolist() == x.tolist() and i.tolist() == [[0, 0, 0], [1, 1, 1]]


def test_median_out_dtypes_must_match():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(RuntimeError, match="Expected tensor for 'values' to have the same type"):
        torch.median(x, 0, out=(torch.empty(3, dtype=torch.float64), torch.empty(3, dtype=torch.int64)))
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have scalar type Long"):
        torch.nanmedian(x, 0, out=(torch.empty(3), torch.empty(3, dtype=torch.int32)))
    v, i = torch.empty(3), torch.empty(3, dtype=torch.int64)
    torch.median(x, 0, out=(v, i))
    assert v.tolist() == [1.0, 2.0, 3.0] and i.tolist() == [0, 0, 0]


def test_nanmean_refuses_an_integer_dtype():
    with pytest.raises(RuntimeError, match="nanmean\\(\\): could not infer output dtype"):
        torch.nanmean(torch.tensor([1.0, float("nan")]), dtype=torch.int64)
    assert torch.nanmean(torch.tensor([1.0, float("nan"), 2.0]), dtype=torch.float64).item() == 1.5


def test_searchsorted_refuses_bool():
    with pytest.raises(NotImplementedError, match="\"searchsorted_out_cpu\" not implemented for 'Bool'"):
        torch.searchsorted(torch.tensor([False, True]), torch.tensor([True]))
    assert torch.searchsorted(torch.tensor([0.0, 1.0]), torch.tensor([True])).tolist() == [1]


def test_unique_dim_checks():
    with pytest.raises(RuntimeError, match="There are 0 sized dimensions, and they aren't selected"):
        torch.unique(torch.empty(2, 0), dim=0)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        torch.unique(torch.tensor(1.0), dim=0)
    assert torch.unique(torch.empty(0, 3), dim=0).shape == (0, 3)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 4, 0), (2, 3, 3, 4)])
@pytest.mark.parametrize("p", ["fro", 2])
def test_float16_norm_of_every_dim_of_more_than_two_dims(shape, p):
    # (float16 is computed in float32: the default 'fro' over every dim of a 3-d tensor
    # raised matrix_norm's "dim must be a 2-tuple" there; found by the fuzzer against torch)
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 7
    x = torch.tensor(values, dtype=torch.float16)
    expected = np.float16(np.sqrt((values.astype(np.float16).astype(np.float32) ** 2).sum()))
    got = x.norm(p)
    assert got.dtype is torch.float16 and got.shape == ()
    assert got.item() == pytest.approx(float(expected), rel=1e-3)
