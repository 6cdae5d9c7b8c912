"""Sorting and counting (SPEC §7): sort, argsort, msort, topk, kthvalue, searchsorted,
unique, unique_consecutive, bincount, histc."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import nbtensor as nt

from support import check, needs_torch, torch


DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64]


def ref_sort(a, axis=-1, descending=False):
    """Stable sort with torch's order (NaN largest), descending keeping ties in order."""
    if not descending:
        idx = np.argsort(a, axis=axis, kind="stable")
    else:
        n = a.shape[axis]
        idx = (n - 1) - np.flip(np.argsort(np.flip(a, axis), axis=axis, kind="stable"), axis)
    return np.take_along_axis(a, idx, axis), idx


def sample(dtype, shape, rng):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -50), min(info.max, 50), shape, endpoint=True).astype(dtype)
    a = rng.integers(-5, 5, shape).astype(dtype)  # many ties
    a.reshape(-1)[::7] = np.nan
    return a


# ----------------------------------------------------------------------------- sort
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_every_dtype_is_stable(dtype, descending):
    rng = np.random.default_rng(1)
    a = sample(dtype, (4, 37), rng)
    for dim in (0, 1, -1):
        values, indices = nt.sort(nt.tensor(a), dim=dim, descending=descending)
        ev, ei = ref_sort(a, dim, descending)
        check(values, ev)
        check(indices, ei)


def test_sort_signed_zero_nan_and_infinities():
    a = np.array([3.0, -0.0, np.nan, -np.inf, 0.0, np.inf, -1.0, -np.nan], np.float32)
    v, i = nt.sort(nt.tensor(a))
    np.testing.assert_array_equal(i.cpu().numpy(), [3, 6, 1, 4, 0, 5, 2, 7])
    assert np.signbit(v.cpu().numpy()[2]) and not np.signbit(v.cpu().numpy()[3])
    v, i = nt.tensor(a).sort(descending=True)
    np.testing.assert_array_equal(i.cpu().numpy(), [2, 7, 5, 0, 1, 4, 6, 3])


def test_sort_layouts_and_edge_cases():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 6)).astype(np.float32)
    t = nt.tensor(np.ascontiguousarray(a.T)).t()
    check(nt.sort(t, 0).values, np.sort(a, 0))
    check(nt.sort(nt.tensor(a)[::2, 1::2], 1).indices, np.argsort(a[::2, 1::2], 1, kind="stable"))
    r = nt.sort(nt.tensor(3.0))
    check(r.values, np.array(3.0, np.float32))
    check(r.indices, np.array(0))
    check(nt.sort(nt.zeros(0, 3), 1).values, np.zeros((0, 3), np.float32))
    check(nt.sort(nt.zeros(2, 0)).indices, np.zeros((2, 0), np.int64))
    assert type(r).__name__ == "sort" and r._fields == ("values", "indices")
    out = (nt.empty(0), nt.empty(0, dtype=nt.int64))
    res = nt.sort(nt.tensor(a), out=out)
    assert res.values is out[0] and res.indices is out[1]
    check(out[0], np.sort(a))


@pytest.mark.large
def test_sort_large_rows_use_threads():
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.int64, np.int16):
        a = (rng.standard_normal(300000) * 1000).astype(dtype)
        layouts = ((a, 0), (a.reshape(6, 50000), 1), (a.reshape(50000, 6), 0)) if dtype == np.float32 else ((a, 0),)
        for x, dim in layouts:
            for descending in (False, True):
                v, i = nt.sort(nt.tensor(x), dim, descending)
                ev, ei = ref_sort(x, dim, descending)
                check(v, ev)
                check(i, ei)


@pytest.mark.parametrize("descending", [False, True])
def test_sort_64bit_keys_with_equal_top_halves(descending):
    # float64/int64 sort on the top 32 bits of the key, then order runs of equal top halves
    rng = np.random.default_rng(6)
    base = rng.choice([1.0, 2.0, -3.0, 7.5], 5000)                    # long runs (> 64)
    floats = base + rng.integers(0, 40, 5000) * 2.0 ** -50            # equal top halves, ties
    small = rng.integers(0, 3000, (3, 700)) * 2.0 ** -30 + 1.0        # short runs
    ints = rng.integers(-3, 3, 4000) * (1 << 33) + rng.integers(0, 5, 4000)
    for a in (floats, small, ints, small.T.copy()):
        for dim in range(a.ndim):
            v, i = nt.sort(nt.tensor(a), dim, descending)
            ev, ei = ref_sort(a, dim, descending)
            check(v, ev)
            check(i, ei)


def test_argsort_and_msort():
    a = np.array([[3, 1, 2], [0, 0, -1]])
    check(nt.argsort(nt.tensor(a)), np.argsort(a, kind="stable"))
    check(nt.tensor(a).argsort(dim=0, descending=True), ref_sort(a, 0, True)[1])
    check(nt.tensor(a).argsort(stable=True), np.argsort(a, kind="stable"))
    check(nt.msort(nt.tensor(a)), np.sort(a, 0))


@pytest.mark.cpu_only  # the repr of CPU tensors (another device's names it)
def test_sort_result_repr():
    assert repr(nt.sort(nt.tensor([2, 1]))).startswith("nbtensor.return_types.sort(\nvalues=tensor([1, 2]),")


# ----------------------------------------------------------------------------- topk / kthvalue
@pytest.mark.parametrize("dtype", [np.int16, np.float32, np.float64, np.int64])
def test_topk(dtype):
    rng = np.random.default_rng(4)
    a = rng.permutation(60).reshape(6, 10).astype(dtype)
    for k in (0, 1, 3, 10):
        v, i = nt.topk(nt.tensor(a), k)
        ev = -np.sort(-a, axis=1)[:, :k]
        check(v, ev)
        check(nt.tensor(a).gather(1, i), ev)
        v, i = nt.tensor(a).topk(k, dim=1, largest=False)
        check(v, np.sort(a, axis=1)[:, :k])
    v, i = nt.topk(nt.tensor(a), 2, dim=0)
    check(v, -np.sort(-a, axis=0)[:2])


def test_topk_nan_and_errors():
    v, i = nt.topk(nt.tensor([1.0, float("nan"), 3.0]), 2)
    assert np.isnan(v[0].item()) and v[1].item() == 3.0 and i.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        nt.topk(nt.tensor([1, 3, 2]), 4)
    with pytest.raises(IndexError, match="Dimension out of range"):
        nt.topk(nt.tensor([1, 3, 2]), 1, dim=1)


def test_kthvalue():
    rng = np.random.default_rng(5)
    a = rng.permutation(24).reshape(4, 6).astype(np.float32)
    for k in (1, 3, 6):
        v, i = nt.kthvalue(nt.tensor(a), k)
        check(v, np.sort(a, 1)[:, k - 1])
        check(i, np.argsort(a, 1)[:, k - 1])
    v, i = nt.tensor(a).kthvalue(2, dim=0, keepdim=True)
    check(v, np.sort(a, 0)[1:2])
    r = nt.kthvalue(nt.tensor([1, 3, 2, 3]), 2)
    assert (r.values.item(), r.indices.item()) == (2, 2)
    with pytest.raises(RuntimeError, match="kthvalue\\(\\): selected number k out of range for dimension 0"):
        nt.kthvalue(nt.tensor([1, 3, 2, 3]), 5)
    with pytest.raises(RuntimeError, match="selected number k out of range"):
        nt.kthvalue(nt.tensor([1, 3]), 0)


# ----------------------------------------------------------------------------- searchsorted
def test_searchsorted():
    seq = np.array([1, 3, 5, 7])
    vals = np.array([[3, 6, 9], [0, 7, 5]])
    T = nt.tensor
    check(nt.searchsorted(T(seq), T(vals)), np.searchsorted(seq, vals))
    check(nt.searchsorted(T(seq), T(vals), right=True), np.searchsorted(seq, vals, side="right"))
    check(nt.searchsorted(T(seq), T(vals), side="right"), np.searchsorted(seq, vals, side="right"))
    check(nt.searchsorted(T(seq), 4), np.array(2))
    check(nt.searchsorted(T(seq), T(vals), out_int32=True), np.searchsorted(seq, vals).astype(np.int32))
    seq2 = np.array([[1, 3, 5, 7], [2, 4, 6, 8]])
    check(nt.searchsorted(T(seq2), T(vals)), np.stack([np.searchsorted(s, v) for s, v in zip(seq2, vals)]))
    check(nt.searchsorted(T(seq2).t().contiguous().t(), T(vals), right=True),
          np.stack([np.searchsorted(s, v, side="right") for s, v in zip(seq2, vals)]))
    nan_rows = np.array([[1.0, 2.0, np.nan], [0.5, np.nan, np.nan]])
    nan_vals = np.array([[2.0, np.nan, 3.0], [np.nan, 0.5, -1.0]])
    # torch's binary search moves right whenever a comparison with NaN is false (torch 2.13's
    # answers; NumPy's, which orders NaN last, differ)
    check(nt.searchsorted(T(nan_rows), T(nan_vals)), np.array([[1, 3, 3], [3, 3, 3]]))
    check(nt.searchsorted(T(nan_rows), T(nan_vals), side="right"), np.array([[3, 3, 3], [3, 3, 3]]))
    unsorted = np.array([5, 1, 7, 3])
    check(nt.searchsorted(T(unsorted), T(vals), sorter=T(np.argsort(unsorted))), np.searchsorted(seq, vals))
    check(nt.searchsorted(T([1.0, 2.5]), T([2.0, 3.0], dtype=nt.float16)), np.array([1, 2]))


def test_searchsorted_errors():
    T = nt.tensor
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        nt.searchsorted(T([1, 3]), T([3]), right=True, side="left")
    with pytest.raises(RuntimeError, match=r"boundaries tensor \[2, 4\] and input value tensor \[1, 3\]"):
        nt.searchsorted(T([[1, 3, 5, 7]] * 2), T([[3, 6, 9]]))
    with pytest.raises(RuntimeError, match="sorter index out of range: 4"):
        nt.searchsorted(T([1, 3]), T([3]), sorter=T([0, 4]))


# ----------------------------------------------------------------------------- unique
def test_unique():
    a = np.array([[3, 1, 3], [2, 1, 0]])
    T = nt.tensor
    check(nt.unique(T(a)), np.unique(a))
    u, inv, cnt = nt.unique(T(a), return_inverse=True, return_counts=True)
    eu, einv, ecnt = np.unique(a, return_inverse=True, return_counts=True)
    check(u, eu)
    check(inv, einv.reshape(a.shape))
    check(cnt, ecnt)
    rows = np.array([[1, 2], [1, 2], [0, 1]])
    u, inv, cnt = T(rows).unique(dim=0, return_inverse=True, return_counts=True)
    check(u, np.array([[0, 1], [1, 2]]))
    check(inv, np.array([1, 1, 0]))
    check(cnt, np.array([1, 2]))
    check(nt.unique(T(rows).t(), dim=1), np.array([[0, 1], [1, 2]]).T)
    nan = nt.unique(T([float("nan"), 1.0, float("nan")]))
    assert nan.shape == (3,) and nan[0].item() == 1.0
    check(nt.unique(nt.zeros(0)), np.zeros(0, np.float32))
    check(nt.unique(T(True)), np.array([True]))


def test_unique_consecutive():
    T = nt.tensor
    u, inv, cnt = nt.unique_consecutive(T([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True)
    check(u, np.array([1, 2, 3, 1, 2]))
    check(inv, np.array([0, 0, 1, 1, 2, 3, 3, 4]))
    check(cnt, np.array([2, 2, 1, 2, 1]))
    rows = np.array([[1, 2], [1, 2], [0, 1], [1, 2]])
    check(T(rows).unique_consecutive(dim=0), np.array([[1, 2], [0, 1], [1, 2]]))
    _, cnt = nt.unique_consecutive(T(rows).t(), dim=1, return_counts=True)
    check(cnt, np.array([2, 1, 1]))
    check(nt.unique_consecutive(T([], dtype=nt.int64)), np.zeros(0, np.int64))


# ----------------------------------------------------------------------------- bincount / histc
def test_bincount():
    T = nt.tensor
    check(nt.bincount(T([1, 2, 2, 5])), np.bincount([1, 2, 2, 5]))
    check(T([1, 2, 2]).bincount(minlength=6), np.bincount([1, 2, 2], minlength=6))
    check(nt.bincount(T([1, 2, 2]), weights=T([0.5, 1.0, 2.0])), np.array([0, 0.5, 3.0], np.float32))
    check(nt.bincount(T([1, 2]), weights=T([1, 2])), np.array([0, 1, 2], np.float64))
    check(nt.bincount(T([], dtype=nt.int64)), np.zeros(0, np.int64))
    check(nt.bincount(T([3, 1], dtype=nt.uint8)), np.bincount([3, 1]))


def test_bincount_errors():
    T = nt.tensor
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs.*-1"):
        nt.bincount(T([-1, 2]))
    with pytest.raises(RuntimeError, match=r"1-d non-negative integral inputs.*\[1, 2\]"):
        nt.bincount(T([[1, 2]]))
    with pytest.raises(NotImplementedError, match="\"bincount_cpu\" not implemented for 'Float'"):
        nt.bincount(T([1.0]))
    with pytest.raises(RuntimeError, match="weights should be 1-d and have the same length as input"):
        nt.bincount(T([1, 2]), weights=T([1.0]))
    with pytest.raises(RuntimeError, match="minlength should be >= 0"):
        nt.bincount(T([1]), minlength=-1)


def test_histc():
    T = nt.tensor
    check(nt.histc(T([1.0, 2, 1]), bins=4, min=0, max=3), np.array([0, 2, 1, 0], np.float32))
    check(T([1.0, 1, 1]).histc(bins=4), np.array([0, 0, 3, 0], np.float32))
    check(nt.histc(T([1.0, 2, 3, 4], dtype=nt.float64), bins=3), np.array([1, 1, 2], np.float64))
    check(nt.histc(T([-5.0, 0.5, 9.0, float("nan")]), bins=2, min=0, max=1), np.array([0, 1], np.float32))
    check(nt.histc(nt.zeros(0), bins=2), np.zeros(2, np.float32))
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        nt.histc(T([1.0]), bins=4, min=3, max=0)
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for 'Long'"):
        nt.histc(T([1, 2, 3]))
    with pytest.raises(RuntimeError, match="bins must be > 0, but got 0"):
        nt.histc(T([1.0]), bins=0)


# ----------------------------------------------------------------------------- hypothesis
@pytest.mark.kernel_variants
@given(hnp.arrays(st.sampled_from([np.int8, np.int32, np.float32, np.float64]),
                  hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
                  elements=st.integers(-4, 4)), st.booleans(), st.data())
def test_hypothesis_sort_is_stable(a, descending, draw):
    dim = draw.draw(st.integers(-a.ndim, a.ndim - 1))
    v, i = nt.sort(nt.tensor(a), dim, descending)
    ev, ei = ref_sort(a, dim, descending)
    check(v, ev)
    check(i, ei)
    if a.shape[dim]:
        k = draw.draw(st.integers(1, a.shape[dim]))
        kv, _ = nt.kthvalue(nt.tensor(a), k, dim)
        check(kv, np.take(np.sort(a, dim), k - 1, axis=dim))
        tv, ti = nt.topk(nt.tensor(a), k, dim)
        check(tv, np.take(ref_sort(a, dim, True)[0], range(k), axis=dim))


@pytest.mark.kernel_variants
@given(hnp.arrays(np.int64, st.integers(0, 20), elements=st.integers(-3, 3)))
def test_hypothesis_unique_and_searchsorted(a):
    T = nt.tensor
    u, inv, cnt = nt.unique(T(a), return_inverse=True, return_counts=True)
    eu, einv, ecnt = np.unique(a, return_inverse=True, return_counts=True)
    check(u, eu)
    check(inv, einv)
    check(cnt, ecnt)
    s = np.sort(a)
    check(nt.searchsorted(T(s), T(np.arange(-4, 5))), np.searchsorted(s, np.arange(-4, 5)))


# ----------------------------------------------------------------------------- torch parity
@needs_torch
def test_torch_parity():
    rng = np.random.default_rng(9)
    ints = rng.integers(0, 5, (6, 40))
    floats = rng.integers(-3, 3, (6, 40)).astype(np.float32)
    floats[0, ::5] = np.nan
    for a in (ints, floats, floats.astype(np.float64)):
        for dim in (0, 1):
            for desc in (False, True):
                r = nt.sort(nt.tensor(a), dim, desc)
                e = torch.sort(torch.tensor(a), stable=True, dim=dim, descending=desc)
                np.testing.assert_array_equal(r.values.cpu().numpy(), e.values.cpu().numpy())
                np.testing.assert_array_equal(r.indices.cpu().numpy(), e.indices.cpu().numpy())
        np.testing.assert_array_equal(nt.topk(nt.tensor(a), 5).values.cpu().numpy(),
                                      torch.topk(torch.tensor(a), 5).values.cpu().numpy())
    b = rng.integers(0, 9, 50)
    np.testing.assert_array_equal(nt.bincount(nt.tensor(b)).cpu().numpy(), torch.bincount(torch.tensor(b)).cpu().numpy())
    x = rng.standard_normal(100).astype(np.float32)
    np.testing.assert_array_equal(nt.histc(nt.tensor(x), bins=7).cpu().numpy(),
                                  torch.histc(torch.tensor(x), bins=7).cpu().numpy())
    u = [t.cpu().numpy() for t in nt.unique(nt.tensor(ints), return_inverse=True, return_counts=True)]
    ue = [t.cpu().numpy() for t in torch.unique(torch.tensor(ints), return_inverse=True, return_counts=True)]
    for r, e in zip(u, ue):
        np.testing.assert_array_equal(r, e)
