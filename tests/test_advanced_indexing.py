"""Advanced indexing (SPEC §4): integer tensors, lists, arrays and bool masks, get and set.

The oracle is NumPy, whose rules torch shares except one: torch applies integers (and 0-d
integer tensors) as plain selects first, so ``x[:, 0, :, idx]`` keeps idx's dims in place
where NumPy moves them to the front; those cases are computed by hand or against torch.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import nbtensor as nt

from support import check as _check_exact, needs_torch, torch


def base(shape=(2, 3, 4), dtype=np.float32):
    return np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)


def layouts(a):
    """(name, tensor, equal ndarray) for a contiguous, a transposed and a stepped layout."""
    t = nt.tensor(a)
    yield "contiguous", t, a
    tt = nt.tensor(np.ascontiguousarray(a.T)).permute(*range(a.ndim - 1, -1, -1))
    yield "transposed", tt, a
    big = np.zeros(tuple(2 * s for s in a.shape), a.dtype)
    big[tuple(slice(None, None, 2) for _ in a.shape)] = a
    yield "stepped", nt.tensor(big)[tuple(slice(None, None, 2) for _ in a.shape)], a


def check(result, expected):
    _check_exact(result, expected, dtype=False)


INDEXES = [
    [1, 0],
    np.array([[0, 1], [1, 0]]),
    (slice(None), [2, 0, 2]),
    (slice(None), [2, 0], [1, 3]),
    ([0, 1], slice(None), [1, 3]),
    ([0, -1], [-1, 0]),
    (Ellipsis, [3, 0]),
    (None, [1], slice(None), None),
    ([[1], [0]], slice(1, None), [[0, 3]]),
    (slice(None, None, 2), [True, False, True]),
    ([1, 0], None, [1, 2]),
    ([], slice(None)),
]


@pytest.mark.parametrize("index", INDEXES, ids=[str(i) for i in INDEXES])
def test_getitem_matches_numpy(index):
    a = base()
    np_index = tuple(np.array(i, dtype=np.int64 if i == [] else None) if isinstance(i, list) else i
                     for i in index) if isinstance(index, tuple) else np.array(index)
    expected = a[np_index]
    for _name, t, _ in layouts(a):
        check(t[index], expected)


@pytest.mark.parametrize("kind", ["tensor", "ndarray", "int32"])
def test_index_objects(kind):
    a = base()
    idx = np.array([[1, 0], [0, 0]])
    obj = {"tensor": nt.tensor(idx), "ndarray": idx, "int32": nt.tensor(idx, dtype=nt.int32)}[kind]
    check(nt.tensor(a)[obj], a[idx])
    check(nt.tensor(a)[:, obj], a[:, idx])


def test_integers_are_selects_first():
    # torch: the integer is a select, so idx's dim stays where it was (NumPy gives (2, 2, 4)).
    a = np.arange(120).reshape(2, 3, 4, 5)
    t = nt.tensor(a)
    check(t[:, 0, :, [0, 1]], a[:, 0][:, :, [0, 1]])
    check(t[nt.tensor(1), [0, 2]], a[1, [0, 2]])
    check(t[1, :, [2, 1]], a[1][:, [2, 1]])


def test_result_is_a_copy():
    t = nt.tensor(base())
    r = t[[0, 1]]
    r[0, 0, 0] = 100
    assert t[0, 0, 0].item() == 0


def test_bool_masks_full_and_partial():
    a = base()
    t = nt.tensor(a)
    check(t[t > 5], a[a > 5])
    check(t[nt.tensor(a[:, :, 0] > 4)], a[a[:, :, 0] > 4])
    check(t[:, nt.tensor([True, False, True])], a[:, [True, False, True]])
    check(t[1, :, nt.tensor(a[1, 0] > 13)], a[1][:, a[1, 0] > 13])
    check(t[nt.tensor(a > 100)], a[a > 100])
    for _, tv, av in layouts(a):
        check(tv[nt.tensor(av > 7)], av[av > 7])


def test_python_bools_and_0d_bool_tensors():
    a = base()
    t = nt.tensor(a)
    check(t[True], a[None])
    check(t[False], a[None][:0])
    check(t[None, True], a[None, None])
    check(t[nt.tensor(True)], a[None])
    check(nt.tensor(5)[nt.tensor(True)], np.array([5]))


def test_uint8_masks_are_masks_with_a_warning():
    a = base((3, 4))
    with pytest.warns(UserWarning, match="uint8"):
        r = nt.tensor(a)[nt.tensor([1, 0, 1], dtype=nt.uint8)]
    check(r, a[[True, False, True]])


def test_lone_list_of_sequences_is_a_tuple():
    a = base((3, 4))
    t = nt.tensor(a)
    check(t[[[0, 1], [1, 0]]], a[[0, 1], [1, 0]])
    check(t[[0, slice(None)]], a[0, :])
    check(t[np.array([[0, 1], [1, 0]])], a[np.array([[0, 1], [1, 0]])])


def test_zero_d_and_empty():
    t = nt.tensor(7.0)
    check(t[...], np.array(7.0, np.float32))
    e = nt.zeros(0, 3)
    check(e[[]], np.zeros((0, 3), np.float32))
    check(e[:, [2, 0]], np.zeros((0, 2), np.float32))
    check(e[e > 0], np.zeros(0, np.float32))
    x = nt.tensor(base((3, 4)))
    check(x[nt.tensor([], dtype=nt.int64)], np.zeros((0, 4), np.float32))


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64,
                                   np.float16, np.float32, np.float64])
def test_every_dtype(dtype):
    a = base((3, 4), dtype)
    t = nt.tensor(a)
    check(t[[2, 0]], a[[2, 0]])
    check(t[:, [3, 3, 0]], a[:, [3, 3, 0]])
    mask = base((3, 4)) % 3 == 0
    check(t[nt.tensor(mask)], a[mask])
    t[[0, 2]] = nt.tensor(a[[1, 1]])
    a[[0, 2]] = a[[1, 1]]
    check(t, a)


# ----------------------------------------------------------------------------- setitem
def test_setitem_writes_in_place():
    a = base()
    t = nt.tensor(a)
    storage = t._storage
    t[[0, 1], :, [1, 3]] = 100
    a[[0, 1], :, [1, 3]] = 100
    check(t, a)
    assert t._storage is storage
    t[nt.tensor(a > 20)] = 0
    a[a > 20] = 0
    check(t, a)
    t[[1, 0]] = nt.arange(4.0)
    a[[1, 0]] = np.arange(4.0)
    check(t, a)
    t[:, nt.tensor([True, False, True])] = nt.tensor([[-1.0], [-2.0]]).unsqueeze(1)
    a[:, [True, False, True]] = np.array([[-1.0], [-2.0]])[:, None]
    check(t, a)


def test_setitem_on_non_contiguous_views_writes_through():
    a = base((4, 6))
    big = nt.tensor(a)
    view = big.t()[::2]
    view[[0, 2], [1, 3]] = -5
    expected = a.copy()
    expected.T[::2][[0, 2], [1, 3]] = -5
    check(big, expected)
    view[nt.tensor(expected.T[::2] > 10)] = 0
    expected.T[::2][expected.T[::2] > 10] = 0
    check(big, expected)


def test_setitem_mask_with_values():
    a = base((3, 4))
    t = nt.tensor(a)
    t[nt.tensor(a > 5)] = nt.tensor(np.arange(6.0, dtype=np.float32) * 10)
    a[a > 5] = np.arange(6.0) * 10
    check(t, a)
    t[nt.tensor(a > 5)] = nt.tensor([7.0])
    a[a > 5] = 7
    check(t, a)


def test_augmented_assignment_does_not_accumulate():
    t = nt.zeros(5)
    t[nt.tensor([0, 0, 2])] += 1
    check(t, np.array([1, 0, 1, 0, 0], np.float32))


def test_index_put_accumulate_sums_duplicates():
    a = base((3, 4))
    t = nt.tensor(a)
    t.index_put_((nt.tensor([0, 0, 2]), nt.tensor([1, 1, 3])), nt.tensor([10.0, 20.0, 30.0]), accumulate=True)
    np.add.at(a, ([0, 0, 2], [1, 1, 3]), [10.0, 20.0, 30.0])
    check(t, a)
    t.index_put_((nt.tensor([1, 1]),), nt.tensor(1.0), accumulate=True)
    a[1] += 2
    check(t, a)
    h = nt.zeros(3, dtype=nt.float16)
    h.index_put_((nt.tensor([0, 0, 2]),), nt.tensor([1.0, 2.0, 3.0], dtype=nt.float16), accumulate=True)
    check(h, np.array([3, 0, 3], np.float16))
    b = nt.tensor([True, False])
    b.index_put_((nt.tensor([0, 0, 1]),), nt.tensor([True, True, True]), accumulate=True)
    check(b, np.array([True, True]))


def test_index_put_without_accumulate_and_out_of_place():
    t = nt.zeros(2, 3)
    r = nt.index_put(t, (nt.tensor([1]), nt.tensor([2])), nt.tensor(5.0))
    check(r, np.array([[0, 0, 0], [0, 0, 5]], np.float32))
    check(t, np.zeros((2, 3), np.float32))
    t.index_put_([nt.tensor([0, 0])], nt.tensor([1.0, 2.0, 3.0]))
    check(t, np.array([[1, 2, 3], [0, 0, 0]], np.float32))


@pytest.mark.large
def test_duplicate_writes_one_value_wins_per_element():
    t = nt.zeros(100000)
    idx = nt.tensor(np.zeros(200000, np.int64))
    t[idx] = nt.arange(200000.0)
    v = t[0].item()
    assert v in set(range(200000)) and (t[1:].cpu().numpy() == 0).all()


def test_value_overlapping_the_target_is_read_first():
    # a dense value in the target's memory is refused, as torch's index_put_ does ...
    t = nt.arange(6.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        t[nt.tensor([1, 2, 3])] = t[0:3]
    # ... a strided one (torch cannot classify the overlap) is read before the write
    t[nt.tensor([1, 2, 3])] = t[0:6:2]
    check(t, np.array([0, 0, 2, 4, 4, 5], np.float32))


@pytest.mark.large
def test_large_indices_use_the_threaded_kernels():
    rng = np.random.default_rng(1)
    a = rng.random((400, 300)).astype(np.float32)
    idx = rng.integers(-400, 400, 100000)
    t = nt.tensor(a)
    check(t[nt.tensor(idx)], a[idx])
    check(t.t()[:, nt.tensor(idx)], a.T[:, idx])
    m = a > 0.3
    check(t[nt.tensor(m)], a[m])
    t[nt.tensor(m)] = 0
    a[m] = 0
    check(t, a)


# ----------------------------------------------------------------------------- bad input
def test_out_of_range_names_the_value():
    t = nt.tensor(base((3, 4)))
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        t[nt.tensor([0, 5])]
    with pytest.raises(IndexError, match="index -7 is out of bounds for dimension 1 with size 4"):
        t[[0], [-7]]
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 4"):
        t[:, [4]] = 1
    with pytest.raises(IndexError, match="index 3 is out of bounds"):
        t.index_put_((nt.tensor([3]),), nt.tensor(1.0))
    # a list value int64 cannot hold is torch's ValueError, not a wrapped or float index
    for index in ([2 ** 70], (slice(None), [2 ** 63]), ([0], [-2 ** 63 - 1]), [[1, 2 ** 64]]):
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            t[index]
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            t[index] = 1.0
    with pytest.raises(IndexError, match="index 9223372036854775807 is out of bounds"):
        t[[2 ** 63 - 1]]


def test_bad_index_dtypes():
    t = nt.tensor(base((3, 4)))
    for bad in (nt.tensor([1.0]), nt.tensor([1], dtype=nt.int16), [1.5], np.array([0.5])):
        with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
            t[bad]
    with pytest.raises(IndexError, match="only integers, slices"):
        t["a"]


def test_mask_shape_mismatch():
    t = nt.tensor(base((3, 4)))
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match the shape "
                                         r"of the indexed tensor \[3, 4\] at index 0"):
        t[nt.tensor([True, False])]
    with pytest.raises(IndexError, match=r"mask \[2\] at index 0 .* tensor \[3, 4\] at index 1"):
        t[:, [True, False]]


def test_mask_shape_versus_overlap_order():
    # torch's index_put_ checks a value sharing the destination's memory before the mask's
    # shape; for a one-element value (its masked_fill path) the mask's shape comes first
    x = nt.zeros((0, 2, 3), dtype=nt.bool)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[nt.zeros((1, 1, 1), dtype=nt.bool)] = x
    t = nt.zeros((4, 4))
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        t[nt.zeros(3, dtype=nt.bool)] = t[0]
    m = nt.zeros((4, 4), dtype=nt.bool)
    with pytest.raises(IndexError, match=r"mask \[4, 4\] at index 0 .* tensor \[2, 2, 4\] at index 0"):
        m.view(2, 2, 4)[m] = nt.tensor(1.0, dtype=nt.float64)
    with pytest.raises(IndexError, match=r"mask \[4\] at index 0 .* tensor \[4, 2, 2\] at index 1"):
        m.view(4, 2, 2)[:, m[0]] = nt.ones(1)
    with pytest.raises(IndexError, match=r"mask \[2\] at index 0 .* tensor \[1, 2\] at index 0"):
        m[:1, :2][m[0, :2]] = True  # a number is a one-element value too
    # ... but a mask with more dimensions than the destination is refused before any of it,
    # even when it shares the destination's memory (fuzzer seed 29102131)
    d = nt.zeros((1, 4, 5), dtype=nt.bool)
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 3"):
        d[d.reshape(1, 4, 1, 5)] = nt.zeros(0, dtype=nt.bool)


def test_broadcast_and_value_mismatches():
    t = nt.tensor(base((3, 4)))
    with pytest.raises(IndexError, match=r"shape mismatch: indexing tensors could not be broadcast together "
                                         r"with shapes \[1, 2\], \[3\]"):
        t[nt.tensor([[0, 1]]), nt.tensor([0, 1, 2])]
    with pytest.raises(RuntimeError, match=r"value tensor of shape \[3\] cannot be broadcast to indexing "
                                           r"result of shape \[2, 4\]"):
        t[nt.tensor([0, 1])] = nt.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
        t[nt.tensor([0])] = nt.tensor([1, 2, 3, 4])
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        t[[0], [0], [0]]
    # torch writes an expanded tensor through index_put_ (with a deprecation warning)
    base1 = nt.zeros(1)
    with pytest.warns(UserWarning, match="Use of index_put_ on expanded tensors is deprecated"):
        base1.expand(3)[[0, 1]] = 1.0
    assert base1.tolist() == [1.0]


# ----------------------------------------------------------------------------- hypothesis
@st.composite
def index_case(draw):
    """A shape and an index of slices and int arrays (of one length, or length 1)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    n = draw(st.integers(0, 4))
    items = []
    for size in shape:
        kind = draw(st.sampled_from(["slice", "array", "array", "full"]))
        if kind == "slice":
            items.append(slice(draw(st.integers(0, size)), None, draw(st.integers(1, 3))))
        elif kind == "array" and size > 0:
            length = draw(st.sampled_from([n, 1]))
            items.append(draw(hnp.arrays(np.int64, (length,), elements=st.integers(-size, size - 1))))
        else:
            items.append(slice(None))
    return shape, tuple(items[:draw(st.integers(0, len(items)))])


@pytest.mark.kernel_variants
@given(index_case(), st.booleans())
def test_hypothesis_get_and_set_match_numpy(case, transpose):
    shape, index = case
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    t = nt.tensor(np.ascontiguousarray(a.T)).permute(*range(a.ndim - 1, -1, -1)) if transpose else nt.tensor(a)
    expected = a[index]
    tindex = tuple(nt.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    check(t[tindex], expected)
    t[tindex] = -1.0
    a[index] = -1.0
    check(t, a)


@pytest.mark.kernel_variants
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                  elements=st.floats(-10, 10, width=32)), st.data())
def test_hypothesis_masks(a, data):
    k = data.draw(st.integers(1, a.ndim))
    mask = data.draw(hnp.arrays(np.bool_, a.shape[:k]))
    t = nt.tensor(a)
    check(t[nt.tensor(mask)], a[mask])
    t[nt.tensor(mask)] = 3.0
    a = a.copy()
    a[mask] = 3.0
    check(t, a)


@pytest.mark.kernel_variants
@given(st.integers(1, 6), st.lists(st.integers(0, 5), min_size=0, max_size=12), st.booleans())
def test_hypothesis_index_put_accumulate(n, idx, neg):
    idx = [i % n - (n if neg and i % 2 else 0) for i in idx]
    t = nt.zeros(n, dtype=nt.float64)
    vals = np.arange(1.0, len(idx) + 1)
    t.index_put_((nt.tensor(idx, dtype=nt.int64),), nt.tensor(vals), accumulate=True)
    expected = np.zeros(n)
    np.add.at(expected, idx, vals)
    check(t, expected)


@given(st.data())
def test_hypothesis_index_put_by_one_or_two_index_tensors(data):
    """index_put_ by one or two int64 index tensors of one shape (the kind the gradient of
    ``y_hat[range(n), y]`` is added with): the values at each position, repeats adding up
    with accumulate, negative indices counting from the end; a value from a tensor of the
    indexed shape or one element."""
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3), "shape"))
    k = data.draw(st.integers(1, min(2, len(shape))), "k")
    ishape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=2), "index shape"))
    idx = [np.array(data.draw(st.lists(st.integers(-shape[d], shape[d] - 1), min_size=int(np.prod(ishape)),
                                       max_size=int(np.prod(ishape))), f"index {d}")).reshape(ishape)
           for d in range(k)]
    accumulate = data.draw(st.booleans(), "accumulate")
    wrapped = tuple(i % shape[d] for d, i in enumerate(idx))
    if not accumulate and len(set(np.ravel_multi_index(wrapped, shape[:k]).ravel())) < idx[0].size:
        accumulate = True  # (without accumulate, which of repeated writes lands is not defined)
    dtype = data.draw(st.sampled_from([np.float32, np.float64, np.int64]), "dtype")
    one = data.draw(st.booleans(), "one value")
    rng = np.random.default_rng(0)
    values = (rng.integers(-9, 9, () if one else ishape + shape[k:])).astype(dtype)
    base = rng.integers(-9, 9, shape).astype(dtype)
    t = nt.tensor(base)
    t.index_put_(tuple(nt.tensor(i) for i in idx), nt.tensor(values), accumulate=accumulate)
    expected = base.copy()
    if accumulate:
        np.add.at(expected, wrapped, values)
    else:
        expected[wrapped] = values
    check(t, expected)


@pytest.mark.parametrize("bad", [3, -4])
def test_index_put_out_of_range_raises_and_writes_nothing(bad):
    t = nt.zeros(3, 2)
    with pytest.raises(IndexError, match=f"index {bad} is out of bounds for dimension 0 with size 3"):
        t.index_put_((nt.tensor([0, bad]), nt.tensor([1, 1])), nt.tensor([1.0, 2.0]), accumulate=True)
    check(t, np.zeros((3, 2)))


# ----------------------------------------------------------------------------- torch parity
@needs_torch
def test_torch_parity_on_mixed_indices():
    a = np.arange(120).reshape(2, 3, 4, 5)
    cases = [
        lambda x, T: x[:, 0, :, T([0, 1])],
        lambda x, T: x[T([0, 1]), :, T([1, 2])],
        lambda x, T: x[T([0, 1]), None, T([1, 2])],
        lambda x, T: x[..., T([[1], [0]]), 1:],
        lambda x, T: x[None, ..., None, T([1, 0])],
        lambda x, T: x[1:, T([True, False, True])],
        lambda x, T: x[x > 100],
        lambda x, T: x[T([1]), 1, T([2, 3])],
    ]
    for case in cases:
        r = case(nt.tensor(a), lambda v: nt.tensor(v))
        e = case(torch.tensor(a), lambda v: torch.tensor(v))
        np.testing.assert_array_equal(r.cpu().numpy(), e.cpu().numpy())


@pytest.mark.large
def test_concurrent_use_from_python_threads():
    # the large ops split their work over a shared thread pool; two callers at once must
    # both get the right answer (and not deadlock)
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(11)
    a = rng.random(300000).astype(np.float32)
    idx = rng.integers(0, a.size, 200000)
    t, ti, tm = nt.tensor(a), nt.tensor(idx), nt.tensor(a > 0.5)

    def work(_):
        return t[ti].cpu().numpy().copy(), t[tm].cpu().numpy().copy(), nt.sort(t).indices.cpu().numpy().copy()

    with ThreadPoolExecutor(4) as pool:
        for got, mask_sel, order in pool.map(work, range(8)):
            np.testing.assert_array_equal(got, a[idx])
            np.testing.assert_array_equal(mask_sel, a[a > 0.5])
            np.testing.assert_array_equal(order, np.argsort(a, kind="stable"))


@st.composite
def torch_index_case(draw):
    """A shape and an index mixing ints, slices, None, ... and int/bool arrays."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    n = draw(st.integers(1, 3))
    items, dims_left = [], list(shape)
    used_ellipsis = False
    while dims_left:
        size = dims_left[0]
        kind = draw(st.sampled_from(["int", "slice", "array", "mask", "none", "ellipsis"]))
        if kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            items.append(slice(draw(st.integers(0, size)), None, draw(st.integers(1, 2))))
        elif kind == "array":
            items.append(draw(hnp.arrays(np.int64, (draw(st.sampled_from([n, 1])),),
                                         elements=st.integers(-size, size - 1))))
        elif kind == "mask":
            items.append(draw(hnp.arrays(np.bool_, (size,))))
        elif kind == "none":
            items.append(None)
            continue
        elif not used_ellipsis:
            used_ellipsis = True
            items.append(Ellipsis)
            dims_left = dims_left[draw(st.integers(0, len(dims_left))):]
            continue
        else:
            continue
        dims_left = dims_left[1:]
    return shape, tuple(items[:draw(st.integers(0, len(items)))])


@needs_torch
@pytest.mark.kernel_variants
@given(torch_index_case())
def test_hypothesis_matches_torch_with_ints_none_ellipsis_and_masks(case):
    shape, index = case
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)

    def convert(T):
        return tuple(T(i) if isinstance(i, np.ndarray) else i for i in index)

    try:
        expected = torch.tensor(a)[convert(torch.tensor)]
    except IndexError:  # e.g. masks/arrays that do not broadcast together
        with pytest.raises(IndexError):
            nt.tensor(a)[convert(nt.tensor)]
        return
    result = nt.tensor(a)[convert(nt.tensor)]
    check(result, expected.cpu().numpy())
    tt, nn = torch.tensor(a), nt.tensor(a)
    tt[convert(torch.tensor)] = -1.0
    nn[convert(nt.tensor)] = -1.0
    check(nn, tt.cpu().numpy())


@pytest.mark.parametrize("index", [
    (range(3), [0, 1, 2]),      # D2L's cross-entropy: y_hat[range(len(y_hat)), y]
    range(2),
    (range(0),),
    ((0, 2), slice(None)),      # a tuple inside the index tuple selects, like a list
    (slice(None), (1, 3)),
    ((0, 1), (1, 2)),
])
def test_ranges_and_inner_tuples_index_like_lists(index):
    a = base((3, 4))
    as_lists = tuple(list(i) if isinstance(i, (range, tuple)) else i for i in
                     (index if isinstance(index, tuple) else (index,)))
    check(nt.as_tensor(a)[index], a[as_lists])
    t = nt.as_tensor(a.copy())
    t[index] = -1.0
    expected = a.copy()
    expected[as_lists] = -1.0
    check(t, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.float16, np.bool_])
def test_one_index_among_full_slices_and_one_element_per_row(dtype):
    # the pick kernels' forms: x[list], x[:, list], x[:, :, tensor], x[range(n), y] on a
    # row-major CPU tensor; negative and out-of-range values still take the general path
    a = base((4, 5, 6), dtype)
    x = nt.tensor(a)
    _check_exact(x[[3, 0, 3]], a[[3, 0, 3]])
    _check_exact(x[:, [4, 1]], a[:, [4, 1]])
    _check_exact(x[:, :, nt.tensor([5, 0, 2, 2])], a[:, :, [5, 0, 2, 2]])
    _check_exact(x[nt.tensor([1, 2])[1:]], a[[2]])  # an index tensor inside its storage
    _check_exact(x[:, [-1, 0]], a[:, [-1, 0]])
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, [5]]
    m = nt.tensor(a[0])
    y = nt.tensor([4, 0, 3, 3, 1])[:4]
    _check_exact(m[range(4), y], a[0][np.arange(4), [4, 0, 3, 3]])
    # the same kernel and shapes as a gather of (4, 1) indices: each keeps its own result shape
    _check_exact(m.gather(1, y.unsqueeze(1)), a[0][np.arange(4), [4, 0, 3, 3]].reshape(4, 1))
    _check_exact(m[range(4), y], a[0][np.arange(4), [4, 0, 3, 3]])


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.float16, np.bool_])
def test_storing_through_one_index_among_full_slices(dtype):
    # the put kernel's forms: x[list] = v, x[:, list] = v, x[:, :, tensor] = v with v a number
    # or a row-major tensor of the indexed shape; anything else (negative values, broadcast
    # or overlapping values, other layouts) takes the general path, with the same results
    a = base((4, 5, 6), dtype)
    x = nt.tensor(a)
    one = np.array(1, dtype).item()
    for index, value in [(([3, 0, 3],), one), ((slice(None), [4, 1]), 0),
                         ((slice(None), slice(None), nt.tensor([5, 0, 2, 2])), base((4, 5, 4), dtype)),
                         (([2],), base((1, 5, 6), dtype)), ((slice(None), [-1, 0]), one),
                         ((slice(None), [1, 2]), base((2, 6), dtype)),  # broadcast
                         ((slice(None), slice(None), [0, 1]), base((4, 5, 2), dtype)[:, ::-1])]:
        x[index] = nt.tensor(value) if isinstance(value, np.ndarray) else value
        a[tuple(i.cpu().numpy() if isinstance(i, nt.Tensor) else i for i in index)] = value
        _check_exact(x, a)
    with pytest.raises(IndexError, match="index 6 is out of bounds for dimension 2 with size 6"):
        x[:, :, [0, 6]] = one
    _check_exact(x, a)  # nothing written


def test_storing_through_one_index_reads_an_overlapping_value_first():
    a = np.arange(12.0).reshape(3, 4)
    x = nt.tensor(a)
    x[:, [0, 1]] = x[:, 1:3]  # value and target share memory: read before written
    a[:, [0, 1]] = a[:, 1:3].copy()
    _check_exact(x, a)
    ro = nt.from_numpy(np.zeros((2, 3)))
    ro._storage.flags.writeable = False
    with pytest.raises((RuntimeError, ValueError)):
        ro[:, [1]] = 1.0


def test_an_empty_tensor_indexing_itself_is_refused_as_torch_refuses_the_same_tensor():
    # torch's assert_no_overlap: the index is the destination itself, a full overlap even
    # with no elements (fuzz seed 30136086); a scalar value takes masked_fill_, which allows it
    x = nt.zeros(0, dtype=nt.bool)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[x] = nt.zeros((1, 0), dtype=nt.bool)
    x[x] = True
    assert x.shape == (0,)
    y = nt.zeros(0, dtype=nt.int64)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        y[y] = 1


def test_an_empty_advanced_index_result_takes_torchs_strides():
    # operands of the result's shape with no elements are contiguous: torch's fast setup
    # makes the result row-major (fuzz seed 30216342)
    r = nt.zeros((1, 1, 1))[[]]
    assert r.shape == (0, 1, 1) and r.stride() == (1, 1, 1)
    assert nt.zeros((1, 1, 2))[..., []].stride() == (1, 1, 1)
    # otherwise torch orders the dims by the operands' strides, the size-0 one taking part:
    # (3, 3, 1)[[]] is (0, 3, 1) with strides (1, 0, 0) (fuzz seed 30507886)
    assert nt.zeros((3, 3, 1))[[]].stride() == (1, 0, 0)
    assert nt.zeros((3, 1, 2))[[]].stride() == (2, 0, 1)


def test_a_number_under_a_leading_bool_mask_that_shares_memory_is_a_masked_fill():
    # torch's index_put_ of one value under one bool mask is masked_fill_ with the mask
    # unsqueezed to the tensor's dims: the same elements, no overlap error (fuzz seed 30234649)
    v = nt.tensor([True, False])
    w = v.unsqueeze(1)
    w[v] = False
    assert w.tolist() == [[False], [False]]
    x = nt.zeros(2, 3, dtype=nt.int8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8_t without overflow"):
        x[nt.tensor([True, False])] = 300  # the number is converted first


@pytest.mark.parametrize("name", ["contiguous", "transposed", "stepped"])
def test_one_int64_index_tensor_picks_rows_in_every_layout(name):
    # ``x[rows]`` with a 1-D int64 tensor takes a short path for a row-major x (the others,
    # negative values, a bad value, other index dtypes and shapes take the general one)
    _, t, a = next(item for item in layouts(base((5, 3, 2))) if item[0] == name)
    values = np.array([4, 0, 0, 2, -1, -5])
    memory = nt.tensor(np.r_[7, values])  # the index starts inside its storage
    for index in (nt.tensor(values[:4]), memory[1:5], nt.tensor(values), nt.tensor(values, dtype=nt.int32),
                  nt.tensor(values[:4].reshape(2, 2)), nt.tensor(np.zeros(0, np.int64))):
        _check_exact(t[index], a[np.asarray(index.tolist(), dtype=np.int64)])
    _check_exact(t[nt.tensor(3)], a[3])  # (a 0-d int tensor selects, as an int)
    for bad in (5, -6):
        with pytest.raises(IndexError, match=f"index {bad} is out of bounds for dimension 0 with size 5"):
            t[nt.tensor([0, bad])]
