"""Leftover edge cases of sorting, selection and norms where nbtensor once differed from
torch 2.13 (CPU): kthvalue's out= checks, searchsorted with NaN, the strides of sort's
results, topk of a 0-d tensor, nansum into an integer ``out=`` and the dtype checks of the
norms. (Which index topk and kthvalue pick among equal values is not matched: torch
documents no order, and its CPU choice is an artefact of libstdc++'s selection algorithms.)
Expected values were computed by hand (and checked against torch)."""

import numpy as np
import pytest

import nbtensor as torch

NAN = float("nan")


# ---------------------------------------------------------------- kthvalue's out=
def test_kthvalue_out_dtypes_are_checked_first():
    x = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    values, indices = torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="output values must be of same type as input"):
        torch.kthvalue(x, 2, out=(values, indices))
    with pytest.raises(RuntimeError, match="output indices must be of scalar type Long"):
        torch.kthvalue(x, 2, out=(torch.zeros(2), torch.zeros(2, dtype=torch.int32)))
    assert values.tolist() == [0.0, 0.0] and indices.tolist() == [0, 0]
    values = torch.zeros(2)
    torch.kthvalue(x, 2, out=(values, indices))
    assert values.tolist() == [2.0, 4.0] and indices.tolist() == [2, 2]


# ---------------------------------------------------------------- searchsorted with NaN
def test_searchsorted_nan_moves_right_as_torchs_binary_search():
    seq = torch.tensor([1.0, 2.0, NAN])
    values = torch.tensor([NAN, 3.0, 0.0, 2.0])
    assert torch.searchsorted(seq, values).tolist() == [3, 3, 0, 1]
    assert torch.searchsorted(seq, values, right=True).tolist() == [3, 3, 0, 3]
    seq = torch.tensor([1.0, NAN, NAN])  # (not "NaN largest": 0 lands after the NaNs too)
    assert torch.searchsorted(seq, torch.tensor([NAN, 3.0, 0.0, 1.0])).tolist() == [3, 3, 3, 3]
    assert torch.searchsorted(torch.tensor([1.0, 2.0, NAN]), NAN).item() == 3
    assert torch.searchsorted(torch.tensor([1.0, NAN]), torch.tensor([1, 5])).tolist() == [2, 2]
    half = torch.tensor([1.0, NAN], dtype=torch.float16)
    assert torch.searchsorted(half, torch.tensor([NAN, 5.0], dtype=torch.float16)).tolist() == [2, 2]


def test_searchsorted_nan_in_rows_and_with_sorter():
    seq = torch.tensor([[1.0, 2.0, NAN], [NAN, NAN, NAN]])
    values = torch.tensor([[NAN, 3.0], [0.0, NAN]])
    assert torch.searchsorted(seq, values).tolist() == [[3, 3], [3, 3]]
    assert torch.searchsorted(seq, values, side="right").tolist() == [[3, 3], [3, 3]]
    r = torch.searchsorted(torch.tensor([NAN, 1.0, 2.0]), torch.tensor([NAN, 1.5]), sorter=torch.tensor([1, 2, 0]))
    assert r.tolist() == [3, 1]


def test_searchsorted_errors_name_the_values():
    with pytest.raises(RuntimeError, match=r"boundaries tensor should have positive dimension, but got 0"):
        torch.searchsorted(torch.tensor(1.0), torch.tensor([1.5]))
    with pytest.raises(RuntimeError, match=r"input value can be a scalar only when boundaries tensor dimension "
                                           r"is 1, but we got boundaries tensor dim\(2\)"):
        torch.searchsorted(torch.tensor([[1.0, 2.0]]), torch.tensor(1.5))
    with pytest.raises(RuntimeError, match=r"output tensor's dtype is wrong.*dtype Int and out_int32 flag is False"):
        torch.searchsorted(torch.tensor([1.0, 2.0]), torch.tensor([1.5]), out=torch.empty(1, dtype=torch.int32))
    with pytest.raises(RuntimeError, match=r"dtype Float and out_int32 flag is True"):
        torch.searchsorted(torch.tensor([1.0, 2.0]), torch.tensor([1.5]), out_int32=True, out=torch.empty(1))


# ---------------------------------------------------------------- sort's result strides
def test_sort_results_keep_a_dense_inputs_strides():
    x = torch.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)  # strides (1, 12, 4)
    for dim in (0, 1, 2, -1):
        values, indices = x.sort(dim)
        assert values.stride() == (1, 12, 4) and indices.stride() == (1, 12, 4)
        np.testing.assert_array_equal(values.cpu().numpy(), np.sort(x.cpu().numpy(), axis=dim))
        np.testing.assert_array_equal(indices.cpu().numpy(), np.argsort(x.cpu().numpy(), axis=dim, kind="stable"))
    assert x.argsort(1, descending=True).stride() == (1, 12, 4) and x.msort().stride() == (1, 12, 4)
    t = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]).t()
    r = t.sort(0)
    assert r.values.stride() == (1, 3) and r.values.tolist() == [[1.0, 0.0], [2.0, 4.0], [3.0, 5.0]]
    assert r.indices.tolist() == [[1, 0], [2, 2], [0, 1]]
    assert torch.empty(0, 3).t().sort(0).values.stride() == (1, 3)


def test_sort_results_of_a_non_dense_input_are_dense():
    assert torch.arange(12.0).reshape(3, 4)[:, ::2].sort(0).values.stride() == (2, 1)
    r = torch.tensor([2.0, 0.0, 1.0]).expand(2, 3).sort(1)
    assert r.values.stride() == (3, 1) and r.indices.tolist() == [[1, 2, 0], [1, 2, 0]]


# ---------------------------------------------------------------- topk of a 0-d tensor
def test_topk_of_zero_dim_tensor_with_k_zero_returns_the_element():
    for k in (0, 1):
        r = torch.tensor(3.5).topk(k)
        assert r.values.shape == () and r.values.item() == 3.5
        assert r.indices.shape == () and r.indices.item() == 0
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        torch.tensor(3.5).topk(2)


# ---------------------------------------------------------------- nansum into out=
def test_nansum_of_floats_into_an_integer_out_is_not_implemented():
    x = torch.tensor([1.5, 1.5, NAN])
    for dtype, name in ((torch.int64, "Long"), (torch.int32, "Int"), (torch.bool, "Bool"), (torch.uint8, "Byte")):
        out = torch.zeros((), dtype=dtype)
        with pytest.raises(NotImplementedError, match=f"\"nansum_cpu\" not implemented for '{name}'"):
            torch.nansum(x, out=out)
        assert out.item() == 0  # (left unchanged)
    assert torch.nansum(x, dtype=torch.int64).item() == 2  # (dtype=: each element truncated first)
    out = torch.empty((), dtype=torch.float64)
    assert torch.nansum(x, out=out) is out and out.item() == 3.0
    assert torch.nansum(torch.empty(0), out=torch.empty((), dtype=torch.int64)).item() == 0


def test_nansum_of_integers_into_out():
    x = torch.tensor([1, 2, 3])
    for dtype in (torch.int64, torch.int32, torch.uint8, torch.float16):
        out = torch.empty((), dtype=dtype)
        assert torch.nansum(x, out=out) is out and out.item() == 6 and out.dtype is dtype
    out = torch.empty(1, dtype=torch.int64)
    torch.nansum(x.reshape(1, 3), -1, out=out)
    assert out.tolist() == [6]
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype int, but got long int instead"):
        torch.nansum(x, dtype=torch.int32, out=torch.empty((), dtype=torch.int64))


# ---------------------------------------------------------------- norm dtypes
def test_norm_checks_the_input_dtype_before_dtype_argument():
    for fn in (lambda: torch.norm(torch.tensor([3, 4]), dtype=torch.float32),
               lambda: torch.norm(torch.tensor([3, 4]), 2, 0, dtype=torch.float32),
               lambda: torch.linalg.vector_norm(torch.tensor([3, 4]), dtype=torch.float32)):
        with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
            fn()
    with pytest.raises(RuntimeError, match="linalg.vector_norm: dtype should be floating point or complex, but got Long"):
        torch.norm(torch.tensor([3.0, 4.0]), dtype=torch.int64)


@pytest.mark.parametrize("fn", [
    lambda x, d: torch.norm(x, dtype=d), lambda x, d: torch.norm(x, 2, dtype=d),
    lambda x, d: torch.norm(x, "fro", (0,), dtype=d), lambda x, d: torch.linalg.vector_norm(x, dtype=d),
    lambda x, d: torch.linalg.norm(x, dtype=d)])
def test_vector_norms_refuse_a_narrowing_dtype(fn):
    with pytest.raises(RuntimeError, match=r"linalg.vector_norm: the dtype of the input \(Double\) should be "
                                           r"convertible without narrowing to the specified dtype \(Float\)"):
        fn(torch.tensor([1e200, 1e200], dtype=torch.float64), torch.float32)
    with pytest.raises(RuntimeError, match=r"input \(Float\) .* dtype \(Half\)"):
        fn(torch.tensor([3.0, 4.0]), torch.float16)
    r = fn(torch.tensor([3.0, 4.0]), torch.float64)
    assert r.dtype is torch.float64 and r.item() == 5.0
    r = fn(torch.tensor([3.0, 4.0], dtype=torch.float16), torch.float32)
    assert r.dtype is torch.float32 and r.item() == 5.0


def test_matrix_norms_refuse_a_narrowing_dtype_and_check_the_order_first():
    m = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    for fn in (lambda: torch.linalg.matrix_norm(m, dtype=torch.float32),
               lambda: torch.norm(m, "nuc", dtype=torch.float32)):
        with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: the dtype of the input \(Double\)"):
            fn()
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order abc not supported."):
        torch.norm(torch.tensor([1.0]), "abc")
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order 3 not supported."):
        torch.linalg.matrix_norm(torch.ones(3), 3)


def test_norm_nuc_is_the_nuclear_norm():
    r = torch.norm(torch.tensor([[3.0, 4.0]]), "nuc")
    assert r.dtype is torch.float32 and r.shape == () and r.item() == pytest.approx(5.0)
    r = torch.norm(torch.tensor([[[3.0, 0.0], [0.0, 4.0]]]), "nuc", (1, 2))
    assert r.shape == (1,) and r.tolist() == pytest.approx([7.0])


# ---------------------------------------------------------------- cummax/cummin of empty and 0-d tensors
@pytest.mark.parametrize("fn", [torch.cummax, torch.cummin])
def test_running_extremes_of_empty_tensors_return_before_reading_dim(fn):
    for shape, dim in (((0,), 1), ((0,), 5), ((2, 0), 3), ((2, 0), 0), ((0, 3), -1)):
        values, indices = fn(torch.empty(shape), dim=dim)
        assert values.shape == shape and indices.shape == shape and indices.dtype is torch.int64
    with pytest.raises(IndexError, match=r"^cum(max|min)\(\): Expected reduction dim -1 or 0 for scalar but got 1$"):
        fn(torch.tensor(1.0), dim=1)
    values, indices = fn(torch.tensor(3.0), dim=-1)
    assert values.item() == 3.0 and indices.item() == 0


# ---------------------------------------------------------------- unique(dim=) layout
def test_unique_along_a_dim_is_laid_out_dim_first_as_torchs():
    x = torch.arange(24.0).reshape(2, 3, 4)
    assert x.unique(dim=1).stride() == (4, 8, 1)
    p = x.permute(2, 0, 1)
    values, inverse, counts = p.unique(dim=2, return_inverse=True, return_counts=True)
    assert values.stride() == (2, 1, 8) and inverse.tolist() == [0, 1, 2] and counts.tolist() == [1, 1, 1]
    np.testing.assert_array_equal(values.cpu().numpy(), p.cpu().numpy())
    assert p.unique_consecutive(dim=2).stride() == (2, 1, 8)
    t = torch.arange(6.0).reshape(2, 3).t()
    assert t.unique(dim=-1).stride() == (1, 3) and t.unique(dim=-1).tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
