"""Property tests: random shapes, layouts, basic indices, permutations and reshapes,
compared with NumPy on values and on memory sharing (SPEC §4, DESIGN §4)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbtensor
from support import shares

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Every test also runs with the parallel and tiled kernels (tests/conftest.py).
pytestmark = pytest.mark.kernel_variants


def shapes(min_dims=0, max_dims=4, max_side=5):
    return st.lists(st.integers(0, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


@st.composite
def layouts(draw, min_dims=0, max_dims=4, max_side=5, min_side=0):
    """(tensor, ndarray): equal values and the same strided layout (a random permutation
    and positive-step slicing of a contiguous buffer), each over its own memory."""
    shape = draw(st.lists(st.integers(min_side, max_side), min_size=min_dims,
                          max_size=max_dims).map(tuple))
    n = int(np.prod(shape))
    base = np.arange(n, dtype=np.int64).reshape(shape)
    t, a = nbtensor.as_tensor(base.copy()), base.copy()
    perm = draw(st.permutations(range(len(shape))))
    t, a = t.permute(*perm), a.transpose(perm)
    index = []
    for size in a.shape:
        start = draw(st.integers(0, max(size - 1, 0)))
        stop = draw(st.integers(start, size))
        step = draw(st.integers(1, 3))
        index.append(slice(start, stop, step) if draw(st.booleans()) else slice(None))
    t, a = t[tuple(index)], np_index(a, tuple(index))
    assert np.array_equal(t.cpu().numpy(), a)
    return t, a


@st.composite
def basic_indices(draw, shape):
    """A random valid basic index for `shape`: ints, positive-step slices, None and at
    most one Ellipsis, possibly covering fewer dimensions than there are."""
    ndim = len(shape)
    k = draw(st.integers(0, ndim))                  # dimensions indexed explicitly
    use_ellipsis = draw(st.booleans())
    p = draw(st.integers(0, k)) if use_ellipsis else k
    dims = list(range(p)) + list(range(ndim - (k - p), ndim))   # items after '...' index the last dims
    items = []
    for pos, d in enumerate(dims):
        if use_ellipsis and pos == p:
            items.append(Ellipsis)
        if draw(st.integers(0, 5)) == 0:
            items.append(None)
        size = shape[d]
        if size and draw(st.booleans()):
            items.append(draw(st.integers(-size, size - 1)))
        else:
            start = draw(st.one_of(st.none(), st.integers(-size - 2, size + 2)))
            stop = draw(st.one_of(st.none(), st.integers(-size - 2, size + 2)))
            step = draw(st.one_of(st.none(), st.integers(1, 4)))
            items.append(slice(start, stop, step))
    if use_ellipsis and p == len(dims):
        items.append(Ellipsis)
    if draw(st.integers(0, 4)) == 0:
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


def np_index(a, index):
    """a[index] as an ndarray view (NumPy gives a scalar copy when every index is an int)."""
    if not any(i is Ellipsis for i in index):
        index = index + (Ellipsis,)
    return a[index]


def np_shares(view, base):
    return np.shares_memory(view, base)


def nb_shares(view, base):
    return shares(view, base)  # (tests/support.py: any device)


def write_both_ways(t, a, v, w, np_view):
    """Write through the view and read the base, then write the base and read the view."""
    if w.size:
        m = (-1 - np.arange(w.size, dtype=np.int64)).reshape(w.shape)
        v.copy_(nbtensor.as_tensor(m))
        w[...] = m
        assert np.array_equal(t.cpu().numpy(), a)
    new = (np.arange(a.size, dtype=np.int64) * 3 + 1000).reshape(a.shape)
    t.copy_(nbtensor.as_tensor(new))
    a[...] = new
    assert np.array_equal(v.cpu().numpy(), np_view(a))


@SETTINGS
@given(st.data())
def test_basic_indexing_matches_numpy(data):
    t, a = data.draw(layouts())
    index = data.draw(basic_indices(a.shape))
    v, w = t[index], np_index(a, index)
    assert v.shape == w.shape
    assert np.array_equal(v.cpu().numpy(), w)
    assert nb_shares(v, t) == np_shares(w, a)
    write_both_ways(t, a, v, w, lambda arr: np_index(arr, index))


@SETTINGS
@given(st.data())
def test_setitem_scalar_and_tensor_match_numpy(data):
    t, a = data.draw(layouts(min_dims=1))
    index = data.draw(basic_indices(a.shape))
    ident = id(t)
    t[index] = -1
    a[index] = -1
    assert np.array_equal(t.cpu().numpy(), a)
    target = np_index(a, index)
    # a value broadcast from the trailing dimensions of the target
    k = data.draw(st.integers(0, target.ndim))
    vshape = tuple(1 if data.draw(st.booleans()) else s for s in target.shape[target.ndim - k:])
    value = (-7 - np.arange(int(np.prod(vshape)), dtype=np.int64)).reshape(vshape)
    t[index] = nbtensor.as_tensor(value.copy())
    a[index] = value
    assert id(t) == ident
    assert np.array_equal(t.cpu().numpy(), a)


@SETTINGS
@given(st.data())
def test_permute_transpose_match_numpy(data):
    t, a = data.draw(layouts(min_dims=1))
    perm = data.draw(st.permutations(range(a.ndim)))
    v, w = t.permute(*perm), a.transpose(perm)
    assert np.array_equal(v.cpu().numpy(), w)
    assert nb_shares(v, t) == np_shares(w, a)
    assert v.stride() == tuple(t.stride(d) for d in perm)
    write_both_ways(t, a, v, w, lambda arr: arr.transpose(perm))
    d0 = data.draw(st.integers(-a.ndim, a.ndim - 1))
    d1 = data.draw(st.integers(-a.ndim, a.ndim - 1))
    assert np.array_equal(t.transpose(d0, d1).cpu().numpy(), np.swapaxes(a, d0, d1))


def factorizations(n, max_dims=4):
    """Strategy for shapes whose product is n (n > 0), or shapes containing 0 (n == 0)."""
    if n == 0:
        return st.lists(st.integers(0, 4), min_size=1, max_size=max_dims).filter(lambda s: 0 in s).map(tuple)
    divisors = [d for d in range(1, n + 1) if n % d == 0]

    @st.composite
    def build(draw):
        rest, out = n, []
        for _ in range(draw(st.integers(0, max_dims - 1))):
            d = draw(st.sampled_from([d for d in divisors if rest % d == 0]))
            out.append(d)
            rest //= d
        out.append(rest)
        return tuple(draw(st.permutations(out)))
    return build()


@SETTINGS
@given(st.data())
def test_reshape_and_view_match_numpy(data):
    t, a = data.draw(layouts())
    new = data.draw(factorizations(a.size))
    r, w = t.reshape(new), a.reshape(new)
    assert r.shape == w.shape
    assert np.array_equal(r.cpu().numpy(), w)
    # reshape copies only when it must: exactly when NumPy cannot make a view
    try:
        np_view = np.reshape(a, new, copy=False)
    except ValueError:
        np_view = None
    if a.size:
        assert nb_shares(r, t) == (np_view is not None)
    if np_view is None:
        with pytest.raises(RuntimeError, match="reshape"):
            t.view(new)
    else:
        v = t.view(new)
        assert np.array_equal(v.cpu().numpy(), w)
        write_both_ways(t, a, v, np_view, lambda arr: arr.reshape(new))
    # one -1 is inferred
    if a.size and new:
        i = data.draw(st.integers(0, len(new) - 1))
        inferred = new[:i] + (-1,) + new[i + 1:]
        assert t.reshape(inferred).shape == new


@SETTINGS
@given(st.data())
def test_contiguous_clone_flatten_match_numpy(data):
    t, a = data.draw(layouts())
    c = t.contiguous()
    assert c.is_contiguous() and np.array_equal(c.cpu().numpy(), a)
    assert (c is t) == t.is_contiguous()
    assert t.is_contiguous() == (a.flags.c_contiguous or a.size == 0)
    k = t.clone()
    assert np.array_equal(k.cpu().numpy(), a)
    if a.size:
        assert not nb_shares(k, t)
    f = t.flatten()
    assert np.array_equal(f.cpu().numpy(), a.reshape(-1))


@st.composite
def view_chains(draw):
    """A list of random view operations, applied to both sides by `apply_chain`."""
    return draw(st.lists(st.tuples(
        st.sampled_from(["unsqueeze", "squeeze", "transpose", "narrow", "select", "slice",
                         "diagonal", "T", "flatten_view", "split", "chunk", "unbind"]),
        st.integers(0, 10**6)), max_size=5))


def apply_chain(t, a, chain):
    """Apply the chain to tensor `t` and array `a`; ops that don't apply are skipped."""
    for op, r in chain:
        nd = a.ndim
        if op == "unsqueeze":
            d = r % (nd + 1)
            t, a = t.unsqueeze(d), np.expand_dims(a, d)
        elif op == "squeeze" and nd:
            d = r % nd
            t = t.squeeze(d)
            a = np.squeeze(a, d) if a.shape[d] == 1 else a
        elif op == "transpose" and nd:
            d0, d1 = r % nd, (r // 7) % nd
            t, a = t.transpose(d0, d1), np.swapaxes(a, d0, d1)
        elif op == "narrow" and nd:
            d = r % nd
            size = a.shape[d]
            start = (r // 5) % (size + 1)
            length = (r // 11) % (size - start + 1)
            t, a = t.narrow(d, start, length), a[(slice(None),) * d + (slice(start, start + length),)]
        elif op == "select" and nd and all(a.shape):
            d = r % nd
            i = (r // 5) % a.shape[d]
            t, a = t.select(d, i), np_index(a, (slice(None),) * d + (i,))
        elif op == "slice" and nd:
            d = r % nd
            s = slice((r // 3) % 3, None, 1 + (r // 13) % 3)
            t, a = t[(slice(None),) * d + (s,)], a[(slice(None),) * d + (s,)]
        elif op == "diagonal" and nd >= 2:
            off = (r % 5) - 2
            d1, d2 = r % nd, (r // 3) % nd
            if d1 != d2:
                t, a = t.diagonal(off, d1, d2), np_diagonal_view(a, off, d1, d2)
        elif op == "T":
            t, a = t.T, a.T
        elif op == "flatten_view" and nd >= 2:
            d = r % (nd - 1)
            try:
                np_v = np.reshape(a, a.shape[:d] + (-1,) + a.shape[d + 2:], copy=False)
            except ValueError:
                continue
            t, a = t.flatten(d, d + 1), np_v
        elif op in ("split", "chunk", "unbind") and nd and all(a.shape):
            d = r % nd
            size = a.shape[d]
            if op == "unbind":
                i = (r // 7) % size
                t, a = t.unbind(d)[i], np_index(a, (slice(None),) * d + (i,))
                continue
            if op == "split":
                step = 1 + (r // 7) % size
            else:
                chunks = 1 + (r // 7) % size
                step = -(-size // chunks)
            pieces = t.split(step, d) if op == "split" else t.chunk(chunks, d)
            starts = list(range(0, size, step))
            assert len(pieces) == len(starts)
            k = (r // 17) % len(starts)
            t = pieces[k]
            a = a[(slice(None),) * d + (slice(starts[k], starts[k] + step),)]
    return t, a


def np_diagonal_view(a, offset, d1, d2):
    """NumPy's diagonal(offset, d1, d2) as a writable strided view (np.diagonal's is
    read-only)."""
    s1, s2 = a.shape[d1], a.shape[d2]
    length = max(0, min(s1, s2 - offset) if offset >= 0 else min(s1 + offset, s2))
    if length == 0:
        return np.diagonal(a, offset, d1, d2)
    first = [slice(None)] * a.ndim
    if offset >= 0:
        first[d2] = slice(offset, None)
    else:
        first[d1] = slice(-offset, None)
    start = a[tuple(first)]
    keep = [d for d in range(a.ndim) if d not in (d1, d2)]
    shape = tuple(a.shape[d] for d in keep) + (length,)
    strides = tuple(a.strides[d] for d in keep) + (a.strides[d1] + a.strides[d2],)
    return np.lib.stride_tricks.as_strided(start, shape, strides)


@SETTINGS
@given(st.data())
def test_chains_of_views_share_memory_like_numpy(data):
    t0, a0 = data.draw(layouts(max_dims=3))
    chain = data.draw(view_chains())
    t, a = apply_chain(t0, a0, chain)
    assert t.shape == a.shape
    assert np.array_equal(t.cpu().numpy(), a)
    if a.size:
        assert nb_shares(t, t0)
    # write through the chained view and read the base
    if a.size:
        m = (-1 - np.arange(a.size, dtype=np.int64)).reshape(a.shape)
        t.copy_(nbtensor.as_tensor(m))
        a[...] = m
        assert np.array_equal(t0.cpu().numpy(), a0)


@SETTINGS
@given(st.data())
def test_copy_between_random_layouts(data):
    dst, dst_np = data.draw(layouts(max_dims=3))
    src_shape = tuple(1 if data.draw(st.booleans()) else s for s in dst_np.shape)
    k = data.draw(st.integers(0, len(src_shape)))
    src_shape = src_shape[k:]
    values = (np.arange(int(np.prod(src_shape)), dtype=np.float64) * 1.5 - 4).reshape(src_shape)
    src = nbtensor.as_tensor(values.copy())
    if data.draw(st.booleans()) and values.ndim >= 2:
        src = nbtensor.as_tensor(np.ascontiguousarray(values.T.copy())).T     # transposed layout
    out = dst.copy_(src)
    assert out is dst
    dst_np[...] = values.astype(np.int64)        # float -> int64 truncates, as in NumPy
    assert np.array_equal(dst.cpu().numpy(), dst_np)


@SETTINGS
@given(shape=shapes(max_dims=4, max_side=4), data=st.data())
def test_expand_matches_broadcast_to(shape, data):
    t = nbtensor.as_tensor(np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape))
    lead = tuple(data.draw(st.lists(st.integers(0, 3), max_size=2)))
    target = lead + tuple(data.draw(st.integers(0, 3)) if s == 1 else s for s in shape)
    e = t.expand(*target)
    expected = np.broadcast_to(t.cpu().numpy(), target)
    assert e.shape == expected.shape and np.array_equal(e.cpu().numpy(), expected)
    for d, size in enumerate(target):
        if (d < len(lead) and size != 1) or (d >= len(lead) and shape[d - len(lead)] == 1 and size != 1):
            assert e.stride(d) == 0
        elif d < len(lead) and d + 1 < len(target):  # torch: a new size-1 dim strides over the next
            assert e.stride(d) == target[d + 1] * e.stride(d + 1)
