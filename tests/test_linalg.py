"""Linear algebra (SPEC §8): products, contractions, matrix structure, decompositions and
norms, against NumPy (and PyTorch, when installed), plus torch's errors for bad input.

Products and contractions are checked against `Ref`, an oracle that does not share the
library's path (nbtensor ends in NumPy's BLAS, so np.matmul on the same views would test
NumPy against itself), with a rounding bound that follows from the dtype."""
import math
import warnings

import numpy as np
import pytest

import nbtensor as nt

FLOATS = [np.float32, np.float64]
RTOL = {np.float32: 1e-4, np.float64: 1e-10, np.float16: 1e-2}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def T(a):
    """A tensor over (a copy of) the ndarray `a`."""
    return nt.as_tensor(np.array(a))


def close(t, expected, dtype=None, atol=None):
    """Assert tensor `t` matches `expected` in value and dtype."""
    expected = np.asarray(expected)
    assert isinstance(t, nt.Tensor)
    dtype = np.dtype(dtype or expected.dtype)
    assert t.dtype.np == dtype, (t.dtype, dtype)
    assert tuple(t.shape) == expected.shape, (tuple(t.shape), expected.shape)
    rtol = RTOL.get(dtype.type, 0)
    np.testing.assert_allclose(t.cpu().numpy().astype(np.float64), expected.astype(np.float64), rtol=rtol,
                               atol=atol if atol is not None else rtol)


class Ref:
    """The exact value of a product or contraction, and how far a float result may be from it.

    Every product is formed and summed one at a time by ``np.einsum(..., optimize=False)``
    in long double (BLAS has no long double: no BLAS call can be involved) or, for integer
    and bool operands, in Python integers (exact). `mag` is the same sum over absolute
    values and `terms` the number of roundings one result element goes through, so that a
    float result may differ by at most ``terms * eps * mag`` (the classical bound for a sum
    of products, with a factor ~2 to spare), plus the final rounding into its dtype.
    """

    def __init__(self, value, mag=None, terms=None):
        self.value = np.asarray(value, dtype=object if np.asarray(value).dtype == object else np.longdouble)
        self.exact = self.value.dtype == object
        self.mag = None if self.exact else np.asarray(mag, np.longdouble)
        self.terms = None if self.exact else np.asarray(terms, np.float64)

    @staticmethod
    def _wide(x):
        x = np.asarray(x.cpu().numpy() if isinstance(x, nt.Tensor) else x)
        return x.astype(object) if x.dtype.kind in "biu" else x.astype(np.longdouble)

    @classmethod
    def of(cls, x):
        """An operand as it is (no rounding yet)."""
        w = cls._wide(x)
        return cls(w, None if w.dtype == object else abs(w), 0)

    @classmethod
    def einsum(cls, eq, *operands):
        ops = [cls._wide(o) for o in operands]
        value = np.einsum(eq, *ops, optimize=False)
        if any(o.dtype == object for o in ops):
            return cls(np.asarray(value, dtype=object))
        mag = np.einsum(eq, *[abs(o) for o in ops], optimize=False)
        terms = np.einsum(eq, *[np.ones(o.shape) for o in ops], optimize=False) + len(ops)
        return cls(value, mag, terms)

    @classmethod
    def matmul(cls, a, b):
        """torch.matmul's rules: 1-D operands, batch dimensions broadcast."""
        na, nb = (cls._wide(x).ndim for x in (a, b))
        if na == 1 and nb == 1:
            eq = "j,j->"
        elif na == 1:
            eq = "j,...jk->...k"
        elif nb == 1:
            eq = "...ij,j->...i"
        else:
            eq = "...ij,...jk->...ik"
        return cls.einsum(eq, a, b)

    def _combine(self, other, value):
        if self.exact or other.exact:
            return Ref(np.asarray(value, dtype=object))
        return Ref(value, self.mag + other.mag, np.maximum(self.terms, other.terms) + 1)

    def __add__(self, other):
        if not isinstance(other, Ref):  # a Python number
            other = Ref(np.asarray(other, dtype=object)) if self.exact else Ref(other, abs(other), 0)
        return self._combine(other, self.value + other.value)

    __radd__ = __add__

    def __neg__(self):
        return Ref(-self.value, self.mag, self.terms)

    def __rmul__(self, c):  # a Python number times the reference
        if self.exact:
            return Ref(np.asarray(c * self.value, dtype=object))
        return Ref(self.value * c, self.mag * abs(c), self.terms + 1)

    def __getitem__(self, index):
        if self.exact:
            return Ref(np.asarray(self.value[index], dtype=object))
        return Ref(self.value[index], self.mag[index], self.terms[index])

    def sum(self, axis):
        if self.exact:
            return Ref(np.asarray(self.value.sum(axis), dtype=object))
        n = self.value.shape[axis]
        return Ref(self.value.sum(axis), self.mag.sum(axis), self.terms.max(axis, initial=0) + n)

    def broadcast_to(self, shape):
        return Ref(np.broadcast_to(self.value, shape), np.broadcast_to(self.mag, shape),
                   np.broadcast_to(self.terms, shape))


def check_ref(t, ref, dtype):
    """`t` is a tensor of `dtype` holding `ref`'s value: exactly for integer and bool
    results, within the rounding bound for float ones (computed in float32 for float16)."""
    dtype = np.dtype(dtype)
    assert isinstance(t, nt.Tensor)
    assert t.dtype.np == dtype, (t.dtype, dtype)
    assert tuple(t.shape) == ref.value.shape, (tuple(t.shape), ref.value.shape)
    got = t.cpu().numpy()
    if dtype.kind in "biu":
        # exact, in the dtype's arithmetic: bool is "nonzero", integers wrap around (as
        # torch's integer products do; modulo 2**bits the order of the sums does not matter)
        assert ref.exact
        if dtype.kind == "b":
            wrap = bool
        else:
            info = np.iinfo(dtype)
            wrap = lambda v: (int(v) - info.min) % (1 << info.bits) + info.min  # noqa: E731
        assert got.tolist() == np.vectorize(wrap, otypes=[object])(ref.value).tolist()
        return
    compute = np.float32 if dtype == np.float16 else dtype
    err = abs(got.astype(np.longdouble) - ref.value)
    bound = (ref.terms * np.finfo(compute).eps * ref.mag + np.finfo(dtype).eps * abs(ref.value)
             + np.finfo(dtype).smallest_subnormal)
    bad = ~(err <= bound)  # NaN fails too
    assert not bad.any(), (f"{bad.sum()} of {bad.size} elements outside the rounding bound; first: got "
                           f"{got[bad][0]!r}, exact {ref.value[bad][0]!r}, bound {bound[bad][0]!r}")


def rand(rng, shape, dtype, layout="contiguous"):
    """A random tensor of `shape`; 'transposed' builds it as the transpose of a contiguous
    tensor, 'strided' as every other column of a wider one."""
    if layout == "transposed" and len(shape) >= 2:
        base = rng.standard_normal(shape[:-2] + (shape[-1], shape[-2])).astype(dtype)
        return nt.as_tensor(base).transpose(-1, -2)
    if layout == "strided" and len(shape) >= 1:
        base = rng.standard_normal(shape[:-1] + (2 * shape[-1],)).astype(dtype)
        return nt.as_tensor(base)[..., ::2]
    return nt.as_tensor(rng.standard_normal(shape).astype(dtype))


# ====================================================================== matrix products
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("la", ["contiguous", "transposed", "strided"])
@pytest.mark.parametrize("lb", ["contiguous", "transposed"])
@pytest.mark.parametrize("n,k,p", [(3, 4, 5), (1, 1, 1), (0, 3, 2), (2, 0, 2), (16, 33, 7), (10, 2, 1), (3, 1, 4),
                                   # either side of the loop kernel's limit (4096 multiply-adds):
                                   # 'large' (every simulated GPU thread is a Python thread)
                                   pytest.param(16, 16, 16, marks=pytest.mark.large),
                                   pytest.param(16, 16, 17, marks=pytest.mark.large),
                                   pytest.param(1, 4096, 1, marks=pytest.mark.large)])
def test_mm_matches_numpy(rng, dtype, la, lb, n, k, p):
    a, b = rand(rng, (n, k), dtype, la), rand(rng, (k, p), dtype, lb)
    expected = Ref.matmul(a, b)
    r = nt.mm(a, b)
    check_ref(r, expected, dtype)
    assert r.is_contiguous()
    check_ref(a.mm(b), expected, dtype)
    check_ref(a @ b, expected, dtype)


def test_small_products_of_expanded_operands_and_signed_zeros(rng):
    col = rand(rng, (3, 1), np.float32).expand(3, 4)  # stride 0 along the product's k
    b = rand(rng, (4, 2), np.float32)
    check_ref(col @ b, Ref.matmul(col.cpu().numpy(), b.cpu().numpy()), np.float32)
    # sums start from +0 as BLAS's (and torch's) do: products of -0.0 sum to +0.0
    r = nt.tensor([[-0.0, -0.0]]) @ nt.tensor([[1.0], [1.0]])
    assert not np.signbit(r.cpu().numpy()).any()


def test_products_of_partial_views(rng):
    base = rand(rng, (4, 3), np.float64)
    top = base[:2]  # offset 0, row-major, but only part of the storage
    b = base.cpu().numpy()
    check_ref(nt.mm(top, base.t()), Ref.einsum("ij,kj->ik", b[:2], b), np.float64)
    check_ref(base[1:3] @ base[2], Ref.einsum("ij,j->i", b[1:3], b[2]), np.float64)
    # row-major and transposed views that start inside the storage
    check_ref(base[1:3] @ base.t()[:, 1:4], Ref.einsum("ij,kj->ik", b[1:3], b[1:4]), np.float64)
    check_ref(base.t()[:, 2:4].mm(base[2:4]), Ref.einsum("ji,jk->ik", b[2:4], b[2:4]), np.float64)


@pytest.mark.parametrize("dtype", FLOATS)
def test_blas_sized_products_of_whole_partial_and_transposed_storages(rng, dtype):
    # above the loop kernel's size, one BLAS call reads each operand as an ndarray over its
    # storage: a whole storage as it is, a part of one (at offset 0 or inside), transposed
    base = rand(rng, (70, 64), dtype)
    b = base.cpu().numpy()
    whole = rand(rng, (64, 64), dtype)
    w = whole.cpu().numpy()
    check_ref(nt.mm(whole, whole), Ref.einsum("ij,jk->ik", w, w), dtype)
    check_ref(nt.mm(base[:64], whole), Ref.einsum("ij,jk->ik", b[:64], w), dtype)
    check_ref(base[3:67] @ base[5:69].t(), Ref.einsum("ij,kj->ik", b[3:67], b[5:69]), dtype)
    check_ref(whole.t().mm(base[6:70]), Ref.einsum("ji,jk->ik", w, b[6:70]), dtype)


@pytest.mark.cpu_only  # read-only memory shared with a NumPy array (as_tensor copies elsewhere)
def test_inplace_forms_refuse_read_only_and_overlapping_targets():
    frozen = np.ones((3, 3), np.float32)
    frozen.flags.writeable = False
    with pytest.raises(RuntimeError, match="read-only"):
        nt.as_tensor(frozen).triu_()
    with pytest.raises(RuntimeError, match="read-only"):
        nt.as_tensor(frozen).addmm_(nt.ones(3, 3), nt.ones(3, 3))
    with pytest.raises(RuntimeError, match="single memory location"):
        nt.ones(3).expand(3, 3).addmm_(nt.ones(3, 3), nt.ones(3, 3))


def test_mm_result_owns_its_memory(rng):
    a, b = rand(rng, (3, 3), np.float64), rand(rng, (3, 3), np.float64)
    r = nt.mm(a, b)
    assert not np.may_share_memory(r.cpu().numpy(), a.cpu().numpy())
    assert not np.may_share_memory(r.cpu().numpy(), b.cpu().numpy())


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8])
def test_integer_mm_is_exact(dtype):
    big = 2 ** 27 + 1 if dtype == np.int64 else 3
    a = np.array([[big, 1], [2, big]], dtype=dtype)
    b = np.array([[big, 3], [5, 7]], dtype=dtype)
    r = nt.mm(T(a), T(b))
    check_ref(r, Ref.matmul(a, b), dtype)  # Python integers: exact
    if dtype == np.int64:
        assert r[0, 0].item() == big * big + 5 != int(float(big) * big + 5)  # float64 would round


def test_float16_products_compute_in_float32(rng):
    a = rng.standard_normal((8, 16)).astype(np.float16)
    b = rng.standard_normal((16, 4)).astype(np.float16)
    # within float32 rounding of the exact sums, then one rounding to float16 (a float16
    # accumulation would be off by up to 16 float16 roundings of the magnitudes)
    expected = Ref.matmul(a, b)
    check_ref(nt.mm(T(a), T(b)), expected, np.float16)
    check_ref(nt.matmul(T(a[0]), T(b)), expected[0], np.float16)
    check_ref(nt.dot(T(a[0]), T(a[1])), Ref.einsum("i,i->", a[0], a[1]), np.float16)


@pytest.mark.kernel_variants  # stacks of matrices also split among threads
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_bmm(rng, dtype, layout):
    a, b = rand(rng, (4, 3, 5), dtype, layout), rand(rng, (4, 5, 2), dtype, layout)
    check_ref(nt.bmm(a, b), Ref.matmul(a, b), dtype)
    check_ref(a.bmm(b), Ref.matmul(a, b), dtype)
    check_ref(nt.bmm(rand(rng, (0, 3, 5), dtype), rand(rng, (0, 5, 2), dtype)), Ref.of(np.zeros((0, 3, 2))), dtype)


@pytest.mark.large
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_bmm_of_a_stack_large_enough_to_share_among_threads(rng, dtype, layout):
    a, b = rand(rng, (33, 64, 48), dtype, layout), rand(rng, (33, 48, 64), dtype, layout)
    expected = Ref.matmul(a, b)
    check_ref(nt.bmm(a, b), expected, dtype)
    check_ref(a @ b, expected, dtype)
    out = nt.empty(33, 64, 64, dtype=a.dtype)
    assert nt.bmm(a, b, out=out) is out
    check_ref(out, expected, dtype)
    square = rand(rng, (33, 64, 64), dtype)
    expected = Ref.matmul(square, square)
    check_ref(nt.bmm(square, square, out=square), expected, dtype)   # out is an operand: no thread split


MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3,)),
    ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (6, 3, 1)), ((0, 2, 3), (3, 4)), ((2, 0), (0,)),
    ((1, 1), (1, 1)),
]


@pytest.mark.kernel_variants  # stacks of matrices also split among threads
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_follows_torch_rules(rng, dtype, sa, sb):
    a, b = rand(rng, sa, dtype), rand(rng, sb, dtype)
    expected = Ref.matmul(a, b)
    check_ref(nt.matmul(a, b), expected, dtype)
    check_ref(a @ b, expected, dtype)
    check_ref(a.matmul(b), expected, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_matmul_transposed_strided_and_expanded_operands(rng, dtype):
    a = rand(rng, (6, 4, 5), dtype, "transposed")
    b = rand(rng, (5, 3), dtype)
    check_ref(a @ b.expand(6, 5, 3), Ref.matmul(a, b), dtype)
    s = rand(rng, (5, 3), dtype, "strided")
    check_ref(a @ s, Ref.matmul(a, s), dtype)
    check_ref(s.t() @ a.transpose(-1, -2), Ref.einsum("ji,bkj->bik", s, a), dtype)


def test_matmul_of_batches_that_do_not_fold_into_rows():
    # torch folds (b, n, k) @ (k, p) into one matrix product only when the batch dims view
    # as rows; an expanded batch takes bmm instead, whose checks refuse bool before they
    # compare dtypes (found by the fuzzer)
    a = np.arange(12.0).reshape(1, 4, 3)
    b = np.arange(6.0).reshape(3, 2)
    expanded = T(a).expand(2, 4, 3)
    check_ref(expanded @ T(b), Ref.matmul(np.broadcast_to(a, (2, 4, 3)), b), np.float64)
    check_ref(T(a).expand(2, 4, 3).transpose(0, 1) @ T(b), Ref.matmul(np.broadcast_to(a, (2, 4, 3)).transpose(1, 0, 2), b),
              np.float64)
    with pytest.raises(NotImplementedError, match="\"bmm\" not implemented for 'Bool'"):
        nt.zeros((1, 4, 3), dtype=nt.bool).expand(2, 4, 3) @ T(b)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        nt.zeros((2, 4, 3), dtype=nt.bool) @ T(b)  # folds: mm's dtype check comes first


def test_matmul_int_batched_is_exact():
    a = np.arange(24, dtype=np.int64).reshape(2, 3, 4) * (2 ** 30)
    b = np.arange(8, dtype=np.int64).reshape(4, 2) + 2 ** 25
    check_ref(T(a) @ T(b), Ref.matmul(a, b), np.int64)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
def test_mv_dot_vdot_inner_outer(rng, dtype, layout):
    m = rand(rng, (4, 3), dtype, layout)
    v = rand(rng, (3,), dtype, "strided" if layout == "strided" else "contiguous")
    w = rand(rng, (4,), dtype)
    check_ref(nt.mv(m, v), Ref.einsum("ij,j->i", m, v), dtype)
    check_ref(m.mv(v), Ref.einsum("ij,j->i", m, v), dtype)
    check_ref(nt.dot(v, v), Ref.einsum("i,i->", v, v), dtype)
    check_ref(v.dot(v), Ref.einsum("i,i->", v, v), dtype)
    check_ref(nt.vdot(v, v), Ref.einsum("i,i->", v, v), dtype)
    check_ref(nt.inner(m, v), Ref.einsum("ij,j->i", m, v), dtype)
    check_ref(nt.inner(m, m), Ref.einsum("ij,kj->ik", m, m), dtype)
    check_ref(nt.outer(w, v), Ref.einsum("i,j->ij", w, v), dtype)
    check_ref(nt.ger(w, v), Ref.einsum("i,j->ij", w, v), dtype)
    check_ref(w.outer(v), Ref.einsum("i,j->ij", w, v), dtype)
    check_ref(nt.dot(rand(rng, (0,), dtype), rand(rng, (0,), dtype)), Ref.of(0.0), dtype)


def test_inner_with_a_scalar_and_outer_promotes():
    close(nt.inner(nt.tensor(2.0), nt.tensor([1, 2, 3])), np.array([2.0, 4.0, 6.0], np.float32))
    close(nt.outer(nt.tensor([1, 2]), nt.tensor([0.5, 1.5])), np.array([[0.5, 1.5], [1.0, 3.0]], np.float32))
    close(nt.kron(nt.tensor([[1, 2]]), nt.tensor([1.5, 2.0])), np.array([[1.5, 2.0, 3.0, 4.0]], np.float32))


def ref_cross(a, b, axis=-1):
    """The cross product along `axis` from its definition (a broadcast with b): Ref."""
    a, b = np.broadcast_arrays(Ref._wide(a), Ref._wide(b))
    a, b = np.moveaxis(a, axis, -1), np.moveaxis(b, axis, -1)
    pairs = [(1, 2), (2, 0), (0, 1)]
    value = np.stack([a[..., i] * b[..., j] - a[..., j] * b[..., i] for i, j in pairs], -1)
    mag = np.stack([abs(a[..., i] * b[..., j]) + abs(a[..., j] * b[..., i]) for i, j in pairs], -1)
    return Ref(np.moveaxis(value, -1, axis), np.moveaxis(mag, -1, axis), 3)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross(rng, dtype):
    a, b = rand(rng, (4, 3), dtype), rand(rng, (4, 3), dtype)
    check_ref(nt.linalg.cross(a, b), ref_cross(a, b), dtype)
    check_ref(nt.cross(a, b, dim=1), ref_cross(a, b), dtype)
    check_ref(a.cross(b, dim=-1), ref_cross(a, b), dtype)
    c, d = rand(rng, (3, 5), dtype), rand(rng, (3, 5), dtype)
    with pytest.warns(UserWarning, match="dim"):  # torch's default: the first dim of size 3
        check_ref(nt.cross(c, d), ref_cross(c, d, axis=0), dtype)
    e = rand(rng, (2, 1, 3), dtype)  # broadcasts against (1, 4, 3)
    check_ref(nt.linalg.cross(e, b.unsqueeze(0)), ref_cross(e, b), dtype)


# ====================================================================== fused add-forms
@pytest.mark.kernel_variants  # stacks of matrices also split among threads
@pytest.mark.parametrize("dtype", FLOATS)
def test_addmm_family(rng, dtype):
    m1, m2 = rand(rng, (2, 3), dtype), rand(rng, (3, 4), dtype, "transposed")
    inp = rand(rng, (4,), dtype)  # broadcasts to (2, 4)
    prod = Ref.matmul(m1, m2)
    check_ref(nt.addmm(inp, m1, m2), Ref.of(inp) + prod, dtype)
    check_ref(nt.addmm(inp, m1, m2, beta=0.5, alpha=2), 0.5 * Ref.of(inp) + 2 * prod, dtype)
    b1, b2 = rand(rng, (5, 2, 3), dtype), rand(rng, (5, 3, 4), dtype)
    bprod = Ref.matmul(b1, b2)
    check_ref(nt.baddbmm(inp, b1, b2, alpha=3), Ref.of(inp) + 3 * bprod, dtype)
    check_ref(nt.addbmm(inp, b1, b2, beta=2), 2 * Ref.of(inp) + bprod.sum(0), dtype)
    mat, vec, v2 = rand(rng, (2, 3), dtype), rand(rng, (3,), dtype), rand(rng, (2,), dtype)
    check_ref(nt.addmv(v2, mat, vec, beta=-1), -Ref.of(v2) + Ref.matmul(mat, vec), dtype)
    check_ref(nt.addr(rand(rng, (2, 3), dtype) * 0, v2, vec, alpha=2), 2 * Ref.einsum("i,j->ij", v2, vec), dtype)


def test_beta_zero_ignores_nan_in_input(rng):
    nan = nt.full((2, 2), float("nan"))
    m = rand(rng, (2, 2), np.float32)
    f32 = np.float32
    check_ref(nt.addmm(nan, m, m, beta=0), Ref.matmul(m, m), f32)
    check_ref(nt.addmv(nt.full((2,), float("nan")), m, m[0], beta=0), Ref.matmul(m, m[0]), f32)
    check_ref(nt.addr(nan, m[0], m[1], beta=0), Ref.einsum("i,j->ij", m[0], m[1]), f32)
    check_ref(nt.baddbmm(nan, m.unsqueeze(0), m.unsqueeze(0), beta=0), Ref.matmul(m, m)[None], f32)


def test_add_forms_on_integers_truncate_beta_like_torch():
    one = nt.ones(2, 3, dtype=nt.int64)
    close(nt.addmm(one, one, nt.ones(3, 3, dtype=nt.int64), beta=0.5, alpha=2), np.full((2, 3), 6))
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        nt.addr(one, one[0, :2], one[0], alpha=1.5)


def test_inplace_add_forms_keep_identity(rng):
    c = nt.zeros(2, 4)
    m1, m2 = rand(rng, (2, 3), np.float32), rand(rng, (3, 4), np.float32)
    cid = id(c)
    f32 = np.float32
    assert c.addmm_(m1, m2, alpha=2) is c and id(c) == cid
    check_ref(c, 2 * Ref.matmul(m1, m2), f32)
    v = nt.ones(2)
    assert v.addmv_(m1, m1[0]) is v
    check_ref(v, 1 + Ref.matmul(m1, m1[0]), f32)
    r = nt.zeros(2, 3)
    expected = Ref.einsum("i,j->ij", v, m1[0])
    assert r.addr_(v, m1[0]) is r
    check_ref(r, expected, f32)
    bc = nt.zeros(1, 2, 4)
    assert bc.baddbmm_(m1.unsqueeze(0), m2.unsqueeze(0)) is bc
    check_ref(bc, Ref.matmul(m1, m2)[None], f32)
    assert c.addbmm_(m1.unsqueeze(0), m2.unsqueeze(0), beta=0) is c
    check_ref(c, Ref.matmul(m1, m2), f32)


def test_out_argument(rng):
    a, b = rand(rng, (2, 3), np.float32), rand(rng, (3, 4), np.float32)
    out = nt.empty(2, 4)
    storage = out._storage
    f32, prod = np.float32, Ref.matmul(a, b)
    assert nt.mm(a, b, out=out) is out and out._storage is storage
    check_ref(out, prod, f32)
    assert nt.matmul(a, b, out=out) is out
    assert nt.addmm(out, a, b, out=out) is out  # out aliases input
    check_ref(out, prod + prod, f32)
    folded = nt.empty(5, 2, 4)
    assert nt.matmul(a.expand(5, 2, 3), b, out=folded) is folded
    check_ref(folded, prod.broadcast_to((5, 2, 4)), f32)
    transposed_out = nt.empty(4, 2).t()
    nt.mm(a, b, out=transposed_out)
    check_ref(transposed_out, prod, f32)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got double"):
        nt.mm(a, b, out=nt.empty(2, 4, dtype=nt.float64))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got long int"):
        nt.addmm(out, a, b, out=nt.empty(2, 4, dtype=nt.int64))
    small = nt.empty(3)
    with pytest.warns(UserWarning, match="resized"):
        nt.mm(a, b, out=small)
    check_ref(small, prod, f32)
    with pytest.raises(RuntimeError, match="single memory location"):
        nt.mm(a, b, out=nt.empty(1, 4).expand(2, 4))


# ====================================================================== einsum, tensordot, kron
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->ji", [(2, 3)]), ("i,i->", [(4,), (4,)]), ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ba,ca", [(2, 3), (4, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]), ("ij->", [(0, 3)]), ("ij,jk->ik", [(2, 1), (3, 4)]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum_matches_numpy(rng, dtype, eq, shapes):
    ops = [rand(rng, s, dtype) for s in shapes]
    arrays = [o.cpu().numpy() for o in ops]
    if eq == "ij,jk->ik" and shapes[0] == (2, 1):
        arrays[0] = np.broadcast_to(arrays[0], (2, 3))
    expected = Ref.einsum(eq, *arrays)
    r = nt.einsum(eq, *ops)
    check_ref(r, expected, dtype)
    assert not any(np.may_share_memory(r.cpu().numpy(), a) for a in arrays)
    check_ref(nt.einsum(eq, ops), expected, dtype)


@pytest.mark.parametrize("eq,shapes,dtype,expected", [
    ("ij->", [(3, 3)], np.int32, np.int64), ("ii->", [(3, 3)], np.bool_, np.int64),
    ("i,j->", [(3,), (2,)], np.uint8, np.int64), ("i,i->", [(3,), (3,)], np.int32, np.int32),
    ("ij->ji", [(3, 3)], np.bool_, np.bool_), ("i,i->i", [(3,), (3,)], np.bool_, np.bool_),
])
def test_einsum_integer_result_dtypes_follow_torch(eq, shapes, dtype, expected):
    ops = [np.ones(s, dtype) for s in shapes]
    r = nt.einsum(eq, *[T(o) for o in ops])
    check_ref(r, Ref.einsum(eq, *ops), expected)


# (equation, operand dtypes, torch 2.13's result dtype, or the words of its error): torch
# multiplies left to right, promoting, and contracts a label of size > 1 on both sides of a
# step by bmm, which takes one dtype; a label of one side alone is summed there (int -> int64)
@pytest.mark.parametrize("eq,specs,expected", [
    ("i,j->ij", [(np.int64, (3,)), (np.float32, (4,))], np.float32),
    ("i,i->i", [(np.int64, (3,)), (np.float32, (3,))], np.float32),
    ("i,i->", [(np.int64, (3,)), (np.float32, (3,))], "expected scalar type Long but found Float"),
    ("ij,j->i", [(np.int64, (3, 1)), (np.float32, (1,))], np.float32),
    ("ij,j->i", [(np.int64, (3, 2)), (np.float32, (2,))], "expected scalar type Long but found Float"),
    ("ij,jk,kl->il", [(np.float32, (3, 2)), (np.float32, (2, 4)), (np.float64, (4, 2))],
     "expected scalar type Float but found Double"),
    ("i,i,i->i", [(np.float32, (3,)), (np.float32, (3,)), (np.float64, (3,))], np.float64),
    ("bij,bjk->bik", [(np.float32, (2, 3, 1)), (np.float64, (2, 1, 4))], np.float64),
    ("i,j->", [(np.int32, (3,)), (np.bool_, (2,))], np.int64),
    ("ij,j->i", [(np.int32, (3, 1)), (np.int32, (1,))], np.int32),
    ("ij->j", [(np.int32, (1, 3))], np.int64),
    ("i,->i", [(np.float32, (3,)), (np.float64, ())], np.float64),
    ("...i,...i->i", [(np.int64, (2, 3)), (np.float32, (2, 3))], "expected scalar type Long but found Float"),
    ("...i,...i->i", [(np.int64, (1, 3)), (np.float32, (2, 3))], np.float32),
    ("i,i->", [(np.bool_, (3,)), (np.int32, (3,))], "\"bmm\" not implemented for 'Bool'"),
])
def test_einsum_of_mixed_dtypes_follows_torch(eq, specs, expected):
    arrays = [np.arange(1, 1 + int(np.prod(shape))).reshape(shape).astype(dtype) for dtype, shape in specs]
    if isinstance(expected, str):
        with pytest.raises((RuntimeError, NotImplementedError), match=f"^{expected}$"):
            nt.einsum(eq, *[T(a) for a in arrays])
        return
    kind = np.int64 if np.dtype(expected).kind in "biu" else np.float64
    spelled = eq.replace("...", "a")  # (the ellipses here cover one dim; NumPy keeps an ellipsis's dims)
    check_ref(nt.einsum(eq, *[T(a) for a in arrays]), Ref.einsum(spelled, *[a.astype(kind) for a in arrays]),
              expected)


def test_einsum_of_integers_and_floats_sums_the_integers_exactly():
    # torch sums an integer operand's own labels in int64, then the product converts: 2**24 + 2
    # (float32 would round 2**24 + 1 down to 2**24 before adding)
    r = nt.einsum("i,j->", nt.tensor([2 ** 24 + 1, 1]), nt.tensor([1.0]))
    assert r.dtype is nt.float32 and r.item() == 2 ** 24 + 2


@pytest.mark.parametrize("eq,letters", [
    ("...i->i", "abi->i"), ("...ij->j", "aij->j"), ("a...b->ab", "acb->ab"), ("...i,...i->", "abi,abi->"),
    ("ij...->", "ijc->"), ("...->", "abc->")])
def test_einsum_output_without_the_ellipsis_sums_its_dims(rng, eq, letters):
    """(`letters`: the equation with the ellipsis spelled out, for the reference)"""
    ops = [rand(rng, (2, 3, 4), np.float64) for _ in range(eq.count(",") + 1)]
    check_ref(nt.einsum(eq, *ops), Ref.einsum(letters, *[o.cpu().numpy() for o in ops]), np.float64)


def test_einsum_sublist_form_and_integers(rng):
    a, b = rand(rng, (2, 3), np.float64), rand(rng, (3, 4), np.float64)
    check_ref(nt.einsum(a, [0, 1], b, [1, 2], [0, 2]), Ref.matmul(a, b), np.float64)
    i = np.arange(6, dtype=np.int64).reshape(2, 3) * 2 ** 31
    check_ref(nt.einsum("ij,kj->ik", T(i), T(i)), Ref.einsum("ij,kj->ik", i, i), np.int64)


@pytest.mark.parametrize("dtype", FLOATS)
def test_tensordot_and_kron(rng, dtype):
    a, b = rand(rng, (2, 3, 4), dtype), rand(rng, (3, 4, 5), dtype)
    check_ref(nt.tensordot(a, b), Ref.einsum("ijk,jkl->il", a, b), dtype)
    check_ref(nt.tensordot(a, b, dims=0), Ref.einsum("ijk,lmn->ijklmn", a, b), dtype)
    c = rand(rng, (4, 3, 5), dtype)
    check_ref(nt.tensordot(a, c, dims=([1, 2], [1, 0])), Ref.einsum("ijk,kjl->il", a, c), dtype)
    e = np.eye(4, 2, dtype=dtype)
    check_ref(nt.tensordot(a, T(e), dims=nt.tensor(1)), Ref.einsum("ijk,kl->ijl", a, e), dtype)
    x, y = rand(rng, (2, 3), dtype), rand(rng, (3, 1, 2), dtype)
    check_ref(nt.kron(x, y), ref_kron(x, y), dtype)
    check_ref(x.kron(x), ref_kron(x, x), dtype)


def ref_kron(x, y):
    """The Kronecker product from its definition, element by element (small inputs):
    result[i * y.shape + j] = x[i] * y[j], the shorter shape padded with leading 1s."""
    x, y = Ref._wide(x), Ref._wide(y)
    nd = max(x.ndim, y.ndim)
    x, y = x.reshape((1,) * (nd - x.ndim) + x.shape), y.reshape((1,) * (nd - y.ndim) + y.shape)
    out = np.empty(tuple(a * b for a, b in zip(x.shape, y.shape, strict=True)), x.dtype)
    for i in np.ndindex(*x.shape):
        for j in np.ndindex(*y.shape):
            out[tuple(a * n + b for a, n, b in zip(i, y.shape, j, strict=True))] = x[i] * y[j]
    return Ref(out, abs(out), 1)


# ====================================================================== matrix structure
@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_trace_diag_diag_embed(rng, dtype):
    m = (rng.standard_normal((4, 5)) * 10).astype(dtype)
    close(nt.trace(T(m)), np.trace(m), dtype=np.int64 if dtype == np.int64 else dtype)
    close(T(m).t().trace(), np.trace(m.T), dtype=np.int64 if dtype == np.int64 else dtype)
    close(nt.trace(T(np.zeros((0, 0), dtype))), np.array(0, dtype if dtype != np.int64 else np.int64))
    v = m[0]
    for k in (0, 1, -2):
        close(nt.diag(T(v), k), np.diag(v, k))
        close(nt.diag(T(m), k), np.diag(m, k))
        close(T(m).t().diag(k), np.diag(m.T, k))
    close(nt.diag(T(m), 7), np.diag(m, 7))
    b = T(m[:2, :3])  # (2, 3) batch of vectors
    expected = np.zeros((2, 4, 4), dtype)
    for i in range(2):
        expected[i] = np.diag(m[i, :3], 1)
    close(nt.diag_embed(b, 1), expected)
    # dims (0, 2) of the result hold the diagonal: out[j, i, j] = b[i, j]
    close(nt.diag_embed(b, 0, 0, 2), np.einsum("ij,jk->jik", m[:2, :3], np.eye(3, dtype=dtype)).astype(dtype))


def test_diag_returns_a_copy():
    m = nt.arange(9.0).view(3, 3)
    d = nt.diag(m)
    d[0] = 100.0
    assert m[0, 0].item() == 0.0


@pytest.mark.parametrize("dtype", FLOATS + [np.int32, np.bool_])
@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_triu_tril(rng, dtype, k):
    a = (rng.standard_normal((2, 3, 4)) * 5).astype(dtype)
    close(nt.triu(T(a), k), np.triu(a, k))
    close(nt.tril(T(a), k), np.tril(a, k))
    close(T(a).transpose(-1, -2).triu(k), np.triu(a.transpose(0, 2, 1), k))
    t = T(a)
    storage = t._storage
    assert t.triu_(k) is t and t._storage is storage
    close(t, np.triu(a, k))
    t = T(a)
    assert t.tril_(k) is t
    close(t, np.tril(a, k))
    close(nt.triu(T(np.zeros((0, 3), dtype))), np.zeros((0, 3), dtype))


def test_tril_inplace_on_a_view_writes_through():
    base = nt.ones(4, 4)
    base[1:, 1:].tril_()
    expected = np.ones((4, 4), np.float32)
    expected[1:, 1:] = np.tril(expected[1:, 1:])
    close(base, expected)


# ====================================================================== decompositions
def well_conditioned(rng, shape, dtype):
    a = rng.standard_normal(shape)
    return (a + shape[-1] * np.eye(shape[-1])).astype(dtype)


def spd(rng, shape, dtype):
    a = rng.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def eye_like(shape, dtype):
    return np.broadcast_to(np.eye(shape[-1], dtype=dtype), shape)


SQUARE_SHAPES = [(4, 4), (3, 5, 5), (2, 1, 3, 3), (1, 1), (0, 0), (0, 3, 3)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SQUARE_SHAPES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_inverse_det_slogdet(rng, dtype, shape, layout):
    a = well_conditioned(rng, shape, dtype)
    t = T(a) if layout == "contiguous" else T(np.swapaxes(a, -1, -2).copy()).transpose(-1, -2)
    inv = nt.linalg.inv(t)
    close(inv, np.linalg.inv(a), atol=1e-3 if dtype == np.float32 else 1e-9)
    close(nt.matmul(t, inv), eye_like(shape, dtype), atol=1e-4 if dtype == np.float32 else 1e-10)
    close(nt.inverse(t), np.linalg.inv(a), atol=1e-3 if dtype == np.float32 else 1e-9)
    close(t.inverse(), np.linalg.inv(a), atol=1e-3 if dtype == np.float32 else 1e-9)
    close(nt.linalg.det(t), np.linalg.det(a))
    close(nt.det(t), np.linalg.det(a))
    sign, logabs = nt.linalg.slogdet(t)
    esign, elogabs = np.linalg.slogdet(a)
    close(sign, esign)
    close(logabs, elogabs)
    r = nt.slogdet(t)
    assert type(r).__name__ == "slogdet" and r._fields == ("sign", "logabsdet")
    close(r.logabsdet, elogabs)
    assert type(nt.linalg.slogdet(t)).__name__ == "linalg_slogdet"


def test_logdet_sign_cases():
    close(nt.logdet(nt.tensor([[2.0, 0], [0, 3]])), np.log(np.float32(6)))
    assert math.isnan(nt.logdet(nt.tensor([[-1.0, 0], [0, 3]])).item())
    assert nt.logdet(nt.zeros(3, 3)).item() == -math.inf
    close(nt.tensor([[4.0]]).logdet(), np.log(np.float32(4)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 4, 4), (1, 1), (0, 3), (3, 0), (2, 0, 0)])
def test_svd_reconstructs(rng, dtype, shape):
    a = rng.standard_normal(shape).astype(dtype)
    atol = 1e-4 if dtype == np.float32 else 1e-10
    k = min(shape[-2:])
    for full in (True, False):
        u, s, vh = nt.linalg.svd(T(a), full_matrices=full)
        assert tuple(u.shape) == shape[:-2] + (shape[-2], shape[-2] if full else k)
        assert tuple(vh.shape) == shape[:-2] + (shape[-1] if full else k, shape[-1])
        close(s, np.linalg.svd(a, compute_uv=False), atol=atol)
        recon = np.matmul(u.cpu().numpy()[..., :k] * s.cpu().numpy()[..., None, :], vh.cpu().numpy()[..., :k, :])
        np.testing.assert_allclose(recon, a, atol=atol * 10)
    U, S, V = nt.svd(T(a))
    assert tuple(V.shape) == shape[:-2] + (shape[-1], k)
    np.testing.assert_allclose(np.matmul(U.cpu().numpy() * S.cpu().numpy()[..., None, :], np.swapaxes(V.cpu().numpy(), -1, -2)),
                               a, atol=atol * 10)
    r = T(a).svd(some=False)
    assert type(r).__name__ == "svd" and tuple(r.V.shape) == shape[:-2] + (shape[-1], shape[-1])
    r = nt.svd(T(a), compute_uv=False)
    assert not r.U.cpu().numpy().any() and tuple(r.U.shape) == shape[:-2] + (shape[-2], shape[-2])
    close(nt.linalg.svdvals(T(a)), np.linalg.svd(a, compute_uv=False), atol=atol)


@pytest.mark.parametrize("dtype", FLOATS)
def test_solve(rng, dtype):
    atol = 1e-4 if dtype == np.float32 else 1e-10
    a = well_conditioned(rng, (3, 4, 4), dtype)
    b = rng.standard_normal((3, 4, 2)).astype(dtype)
    x = nt.linalg.solve(T(a), T(b))
    close(nt.matmul(T(a), x), b, atol=atol)
    v = rng.standard_normal((4,)).astype(dtype)  # one vector for the whole batch
    close(nt.linalg.solve(T(a), T(v)), np.linalg.solve(a, np.broadcast_to(v, (3, 4))[..., None])[..., 0], atol=atol)
    bv = rng.standard_normal((3, 4)).astype(dtype)  # a batch of vectors (B.shape == A.shape[:-1])
    close(nt.linalg.solve(T(a), T(bv)), np.linalg.solve(a, bv[..., None])[..., 0], atol=atol)
    bb = rng.standard_normal((2, 1, 4, 3)).astype(dtype)  # batch dims broadcast
    close(nt.linalg.solve(T(a), T(bb)), np.linalg.solve(a, bb), atol=atol * 10)
    xl = nt.linalg.solve(T(a), T(np.swapaxes(b, -1, -2).copy()), left=False)
    close(nt.matmul(xl, T(a)), np.swapaxes(b, -1, -2), atol=atol * 10)
    close(nt.linalg.solve(T(a[0]).t(), T(b[0])), np.linalg.solve(a[0].T, b[0]), atol=atol)
    close(nt.linalg.solve(T(np.zeros((0, 0), dtype)), T(np.zeros((0,), dtype))), np.zeros((0,), dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4), (1, 1), (0, 3)])
def test_qr(rng, dtype, shape):
    atol = 1e-4 if dtype == np.float32 else 1e-10
    a = rng.standard_normal(shape).astype(dtype)
    for mode in ("reduced", "complete"):
        q, r = nt.linalg.qr(T(a), mode=mode)
        close(nt.matmul(q, r), a, atol=atol)
        qn = q.cpu().numpy()
        np.testing.assert_allclose(np.swapaxes(qn, -1, -2) @ qn, eye_like(qn.shape[:-2] + (qn.shape[-1],) * 2, dtype),
                                   atol=atol)
        assert np.allclose(np.tril(r.cpu().numpy(), -1), 0)
    q, r = nt.linalg.qr(T(a), mode="r")
    assert tuple(q.shape) == (0,)
    close(r, np.linalg.qr(a, mode="r"), atol=atol)
    assert type(nt.qr(T(a))).__name__ == "qr"


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 5), (1, 1), (0, 0)])
def test_cholesky_and_eigh(rng, dtype, shape):
    atol = 1e-3 if dtype == np.float32 else 1e-9
    a = spd(rng, shape, dtype)
    low = nt.linalg.cholesky(T(a))
    close(low, np.linalg.cholesky(a), atol=atol)
    np.testing.assert_allclose(low.cpu().numpy() @ np.swapaxes(low.cpu().numpy(), -1, -2), a, atol=atol * 10)
    up = nt.linalg.cholesky(T(a), upper=True)
    np.testing.assert_allclose(np.swapaxes(up.cpu().numpy(), -1, -2) @ up.cpu().numpy(), a, atol=atol * 10)
    close(T(a).cholesky(), np.linalg.cholesky(a), atol=atol)
    for uplo in ("L", "U"):
        w, v = nt.linalg.eigh(T(a), UPLO=uplo)
        close(w, np.linalg.eigvalsh(a), atol=atol)
        vn = v.cpu().numpy()
        np.testing.assert_allclose((vn * w.cpu().numpy()[..., None, :]) @ np.swapaxes(vn, -1, -2), a, atol=atol * 10)
    assert nt.linalg.eigh(T(a))._fields == ("eigenvalues", "eigenvectors")
    close(nt.linalg.eigvalsh(T(a)), np.linalg.eigvalsh(a), atol=atol)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4), (1, 1), (0, 3)])
def test_pinv_and_matrix_rank(rng, dtype, shape):
    atol = 1e-4 if dtype == np.float32 else 1e-10
    a = rng.standard_normal(shape).astype(dtype)
    p = nt.linalg.pinv(T(a))
    close(p, np.linalg.pinv(a), atol=atol * 10)
    np.testing.assert_allclose(a @ p.cpu().numpy() @ a, a, atol=atol * 10)
    close(nt.linalg.matrix_rank(T(a)), np.linalg.matrix_rank(a) if a.size else np.zeros(shape[:-2], np.int64),
          dtype=np.int64)
    close(T(a).pinverse(), np.linalg.pinv(a, rcond=1e-15), atol=atol * 10)


def test_rank_deficient_tolerances(rng):
    u = rng.standard_normal((6, 2))
    a = T(u @ u.T)  # rank 2, symmetric
    assert nt.linalg.matrix_rank(a).item() == 2
    assert nt.linalg.matrix_rank(a, hermitian=True).item() == 2
    assert nt.linalg.matrix_rank(nt.eye(3), atol=2.0).item() == 0
    assert nt.linalg.matrix_rank(nt.eye(3), tol=0.5).item() == 3
    assert nt.linalg.matrix_rank(nt.diag(nt.tensor([1.0, 1e-3, 1e-9]))).item() == 2
    assert nt.linalg.matrix_rank(nt.diag(nt.tensor([1.0, 1e-3, 1e-9])), rtol=1e-2).item() == 1
    np.testing.assert_allclose(nt.linalg.pinv(a, hermitian=True).cpu().numpy(), np.linalg.pinv(a.cpu().numpy()), atol=1e-8)


# ====================================================================== norms
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("ord", [2, 1, 0, 3.5, math.inf, -math.inf, -1])
def test_vector_norm(rng, dtype, ord):
    a = rng.standard_normal((3, 4, 5)).astype(dtype)
    close(nt.linalg.vector_norm(T(a), ord), np.linalg.vector_norm(a, ord=ord))
    for dim in (0, -1, (0, 2)):
        for keepdim in (False, True):
            close(nt.linalg.vector_norm(T(a), ord, dim, keepdim),
                  np.linalg.vector_norm(a, ord=ord, axis=dim, keepdims=keepdim))
    close(nt.linalg.norm(T(a), ord, dim=1), np.linalg.vector_norm(a, ord=ord, axis=1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
def test_matrix_norm(rng, dtype, ord):
    a = rng.standard_normal((3, 4, 5)).astype(dtype)
    close(nt.linalg.matrix_norm(T(a), ord), np.linalg.norm(a, ord, axis=(-2, -1)))
    close(nt.linalg.matrix_norm(T(a), ord, dim=(0, 2), keepdim=True),
          np.linalg.norm(a, ord, axis=(0, 2), keepdims=True))
    close(nt.linalg.norm(T(a[0]), ord), np.linalg.norm(a[0], ord))
    close(nt.linalg.norm(T(a), ord, dim=(2, 1)), np.linalg.norm(a, ord, axis=(2, 1)))


def test_norm_defaults_empty_and_dtype(rng):
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    close(nt.linalg.norm(T(a)), np.linalg.norm(a.ravel()))
    close(nt.linalg.norm(T(a), dtype=nt.float64), np.linalg.norm(a.astype(np.float64).ravel()))
    close(nt.linalg.vector_norm(nt.tensor(-3.0)), np.float32(3))
    close(nt.linalg.vector_norm(nt.zeros(0)), np.float32(0))
    close(nt.linalg.vector_norm(nt.zeros(0, 3), dim=0), np.zeros(3, np.float32))
    close(nt.linalg.matrix_norm(nt.zeros(0, 3)), np.float32(0))
    close(nt.linalg.matrix_norm(nt.zeros(0, 3), ord=2), np.float32(0))
    close(nt.linalg.matrix_norm(nt.zeros(2, 3, 0), ord=1), np.zeros(2, np.float32))
    h = rng.standard_normal((3, 3)).astype(np.float16)
    close(nt.linalg.vector_norm(T(h)), np.float16(np.linalg.norm(h.astype(np.float32))))
    close(nt.linalg.matrix_norm(T(h), 1), np.float16(np.linalg.norm(h.astype(np.float32), 1)))


# ====================================================================== bad input
o = nt.ones
f64 = nt.float64
i64 = nt.int64


def _singular_batch():
    return T(np.stack([np.eye(2, dtype=np.float32), np.zeros((2, 2), np.float32)]))


def _not_pd_batch():
    return T(np.stack([np.eye(3, dtype=np.float32), -np.eye(3, dtype=np.float32)]))


BAD_INPUT = [
    # products: shapes, ranks, dtypes
    (lambda: nt.mm(o(2, 3), o(2, 3)), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"),
    (lambda: o(2, 3) @ o(2, 3), RuntimeError, r"\(2x3 and 2x3\)"),
    (lambda: nt.mm(o(3), o(3, 3)), RuntimeError, "self must be a matrix"),
    (lambda: nt.mm(o(2, 3), o(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda: nt.mm(o(2, 3), o(3, 2, dtype=f64)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: nt.mm(o(2, 3, dtype=i64), o(3, 2)), RuntimeError, "long int != float"),
    (lambda: nt.mm(o(2, 3, dtype=nt.bool), o(3, 2, dtype=nt.bool)), NotImplementedError, "not implemented for 'Bool'"),
    (lambda: nt.mm(o(2, 3), [[1.0]]), TypeError, "argument 'mat2' \\(position 2\\) must be Tensor, not list"),
    (lambda: nt.bmm(o(2, 3), o(3, 2)), RuntimeError, "batch1 must be a 3D tensor"),
    (lambda: nt.bmm(o(2, 2, 3), o(3, 3, 3)), RuntimeError, r"batch2 tensor to be: \[2, 3\] but got: \[3, 3\]"),
    (lambda: nt.bmm(o(2, 2, 3), o(2, 3, 3, dtype=f64)), RuntimeError, "expected scalar type Float but found Double"),
    (lambda: nt.matmul(nt.tensor(1.0), o(3)), RuntimeError, "at least 1D, but they are 0D and 1D"),
    (lambda: nt.matmul(o(3), o(4)), RuntimeError, r"expected tensor \[3\] and src \[4\]"),
    (lambda: nt.matmul(o(3), o(2, 3)), RuntimeError, r"\(1x3 and 2x3\)"),
    (lambda: nt.matmul(o(2, 3), o(4)), RuntimeError, r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    (lambda: nt.matmul(o(2, 5, 3), o(4)), RuntimeError, r"mat \(10x3\), vec \(4\)"),
    (lambda: nt.matmul(o(2, 2, 3), o(3, 3, 3)), RuntimeError,
     "size of tensor a \\(2\\) must match the size of tensor b \\(3\\) at non-singleton dimension 0"),
    (lambda: nt.matmul(o(2, 2, 3), o(2, 4, 5)), RuntimeError, r"to be: \[2, 3\] but got: \[2, 4\]"),
    (lambda: nt.matmul(o(2, 2, 3), o(2, 3, 3, dtype=f64)), RuntimeError, "expected scalar type Float but found Double"),
    (lambda: nt.matmul(o(3), o(3, dtype=f64)),
     RuntimeError, "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda: o(2, 3) @ 2, TypeError, "unsupported operand"),
    (lambda: nt.mv(o(2, 3), o(3, 1)), RuntimeError, "vector \\+ matrix @ vector expected, got 1, 2, 2"),
    (lambda: nt.mv(o(2, 3), o(3, dtype=f64)), RuntimeError, "addmv input tensors must have the same dtype"),
    (lambda: nt.dot(o(3), o(2)), RuntimeError, "but got 3 and 2 elements"),
    (lambda: nt.dot(o(2, 3), o(2, 3)), RuntimeError, "1D tensors expected, but got 2D and 2D tensors"),
    (lambda: nt.dot(o(3, dtype=nt.bool), o(3, dtype=nt.bool)),
     NotImplementedError, '"dot" not implemented for \'Bool\''),
    (lambda: nt.vdot(o(3), o(2)), RuntimeError, "expected tensor \\[3\\] and src \\[2\\]"),
    (lambda: nt.inner(o(2, 3), o(2, 4)), RuntimeError, r"shapes \[2, 3\] and \[2, 4\]"),
    (lambda: nt.inner(o(3), o(3, dtype=f64)), RuntimeError, "both inputs should have same dtype"),
    (lambda: nt.outer(o(2, 2), o(3)), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: nt.cross(o(2, 2), o(2, 2)), RuntimeError, "no dimension of size 3 in input"),
    (lambda: nt.linalg.cross(o(3, 2), o(3, 2)), RuntimeError, "inputs dimension -1 must have length 3. Got 2 and 2"),
    (lambda: nt.linalg.cross(o(4, 3), o(2, 3)),
     RuntimeError, r"size of tensor a \(4\) must match the size of tensor b \(2\)"),
    (lambda: nt.linalg.cross(o(2, 3), o(2, 3, dtype=f64)), RuntimeError, "expected scalar type Float but found Double"),
    # fused add-forms
    (lambda: nt.addmm(o(4), o(2, 3), o(3, 3)),
     RuntimeError, r"expanded size of the tensor \(3\) must match the existing size \(4\)"),
    (lambda: nt.addmm(o(2, 3, dtype=f64), o(2, 3), o(3, 3)),
     RuntimeError, "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda: nt.addmm(o(2, 3), o(2, 3, dtype=f64), o(3, 3)),
     RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float"),
    (lambda: nt.addmm(o(2, 3), o(2), o(2, 3)), RuntimeError, "mat1 must be a matrix, got 1-D tensor"),
    (lambda: nt.addmm(o(2, 3), o(2, 3), o(2, 3)), RuntimeError, r"\(2x3 and 2x3\)"),
    (lambda: nt.addmv(o(2), o(2, 3), o(4)), RuntimeError, r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    (lambda: nt.addmv(o(2, dtype=f64), o(2, 3), o(3)), RuntimeError, "but got Double, Float, and Float"),
    (lambda: nt.addr(o(2, 3), o(2, 2), o(3)), RuntimeError, "addr: Expected 1-D argument vec1, but got 2-D"),
    (lambda: nt.baddbmm(o(5, 2, 3), o(4, 2, 5), o(4, 5, 3)),
     RuntimeError, r"expanded size of the tensor \(4\) must match the existing size \(5\)"),
    (lambda: nt.baddbmm(o(2, 2, 3, dtype=f64), o(2, 2, 3), o(2, 3, 3)),
     RuntimeError, "Input dtypes must be the same, got: input double, batch1: float"),
    (lambda: nt.addbmm(o(2, 3), o(2, 2, 3), o(3, 3, 3)), RuntimeError, "same number of batches, got 2 and 3"),
    (lambda: nt.addbmm(o(2, 3), o(2, 2, 4), o(2, 3, 3)),
     RuntimeError, r"Incompatible matrix sizes for bmm \(2x4 and 3x3\)"),
    (lambda: o(2, 3).addmm_(o(3, 2), o(2, 2)), RuntimeError, r"\[3, 2\]"),
    (lambda: o(2, 3, dtype=i64).addr_(o(2), o(3)),
     RuntimeError, "result type Float can't be cast to the desired output type Long"),
    # einsum / tensordot
    (lambda: nt.einsum("ij,jk->ik", o(2, 3), o(4, 4)),
     RuntimeError, "subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    (lambda: nt.einsum("ij,jk->ik", o(2, 3), o(3, 4, dtype=f64)),
     RuntimeError, "expected scalar type Float but found Double"),
    (lambda: nt.einsum("ijk,jk->ik", o(2, 3), o(3, 4)),
     RuntimeError, r"subscripts in the equation \(3\) does not match the number of dimensions \(2\) for operand 0"),
    (lambda: nt.einsum("ii", o(2, 3)),
     RuntimeError, "subscript i is repeated for operand 0 but the sizes don't match, 2 != 3"),
    (lambda: nt.einsum("ij,jk->ik", o(2, 3)), RuntimeError, "fewer operands"),
    (lambda: nt.einsum("i,i->", o(2, dtype=nt.bool), o(2, dtype=nt.bool)),
     NotImplementedError, "\"bmm\" not implemented"),
    (lambda: nt.einsum("ij->ij", o(2, 2), o(2, 2)), RuntimeError, "more operands"),
    (lambda: nt.einsum("ij,jk->iz", o(2, 2), o(2, 2)), RuntimeError, "output subscript z does not appear"),
    (lambda: nt.einsum("ij,jk->ii", o(2, 2), o(2, 2)), RuntimeError, "output subscript i appears more than once"),
    (lambda: nt.einsum("ij,jk->i1", o(2, 2), o(2, 2)), RuntimeError, "invalid subscript given at index 8"),
    (lambda: nt.einsum("i...jk", o(2, 3)), RuntimeError, r"\(3\) is more than the number of dimensions \(2\)"),
    (lambda: nt.tensordot(o(2, 3, 4), o(3, 4, 5), dims=-1),
     RuntimeError, "tensordot expects dims >= 0, but got dims=-1"),
    (lambda: nt.tensordot(o(2, 3, 4), o(3, 4, 5), dims=([1, 2], [0])),
     RuntimeError, "both dimension lists should have same length"),
    (lambda: nt.tensordot(o(2, 3, 4), o(4, 4, 5), dims=([1, 2], [0, 1])),
     RuntimeError, "first has size 3 in dim 1 and second has size 4 in dim 0"),
    (lambda: nt.tensordot(o(2, 3, 4), o(3, 4, 5, dtype=f64)), RuntimeError, "both inputs should have same dtype"),
    # structure
    (lambda: nt.trace(o(3)), RuntimeError, "trace: expected a matrix, but got tensor with dim 1"),
    (lambda: nt.trace(o(3, 3, dtype=nt.bool)), NotImplementedError, '"trace" not implemented for \'Bool\''),
    (lambda: nt.diag(o(2, 3, 3)), RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D"),
    (lambda: nt.diag_embed(o(2, 3), 0, 0, 0), RuntimeError, "diagonal dimensions cannot be identical 0, 0"),
    (lambda: nt.diag_embed(o(2, 3), 0, 1, 3), IndexError, r"range of \[-3, 2\], but got 3"),
    (lambda: nt.triu(o(3)), RuntimeError, "triu: input tensor must have at least 2 dimensions"),
    (lambda: o(3).tril_(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    # decompositions: integer, half, rank, square, singular
    (lambda: nt.linalg.inv(o(2, 2, dtype=i64)),
     RuntimeError, "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.inverse(o(2, 2, dtype=nt.int32)), RuntimeError, "Got Int"),
    (lambda: nt.linalg.inv(o(2, 2, dtype=nt.float16)),
     RuntimeError, "linalg.inv: Low precision dtypes not supported. Got Half"),
    (lambda: nt.linalg.inv(o(2, 3)),
     RuntimeError, "A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: nt.linalg.inv(o(3)), RuntimeError, "linalg.inv: The input tensor A must have at least 2 dimensions"),
    (lambda: nt.linalg.inv(o(2, 2)),
     nt.linalg.LinAlgError, "The diagonal element 2 is zero, the inversion could not be completed because the input"),
    (lambda: nt.linalg.inv(_singular_batch()),
     nt.linalg.LinAlgError, r"\(Batch element 1\): The diagonal element 1 is zero"),
    (lambda: nt.linalg.det(o(2, 2, dtype=i64)),
     RuntimeError, "linalg.det: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.linalg.det(o(2, 3)), RuntimeError, "2 by 3 matrices"),
    (lambda: nt.linalg.det(o(2, 2, dtype=nt.float16)), NotImplementedError, '"lu_cpu" not implemented for \'Half\''),
    (lambda: nt.logdet(o(2, 2, dtype=i64)),
     RuntimeError, "logdet: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.linalg.slogdet(o(2, 3)), RuntimeError, "linalg.slogdet: A must be batches of square matrices"),
    (lambda: nt.linalg.svd(o(2, 2, dtype=i64)),
     RuntimeError, "linalg.svd: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.linalg.svd(o(3)), RuntimeError, "linalg.svd: The input tensor A must have at least 2 dimensions"),
    (lambda: nt.svd(o(3)), RuntimeError, "input should have at least 2 dimensions, but has 1 dimensions instead"),
    (lambda: nt.linalg.svdvals(o(2, 2, dtype=nt.float16)),
     NotImplementedError, '"linalg_svd_cpu" not implemented for \'Half\''),
    (lambda: nt.linalg.solve(o(2, 2), o(2)),
     nt.linalg.LinAlgError, "torch.linalg.solve: The solver failed because the input matrix is singular"),
    (lambda: nt.linalg.solve(_singular_batch(), o(2, 2)),
     nt.linalg.LinAlgError, r"\(Batch element 1\): The solver failed"),
    (lambda: nt.linalg.solve(o(2, 2, dtype=i64), o(2, dtype=i64)),
     RuntimeError, "linalg.solve: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.linalg.solve(nt.eye(2), o(2, dtype=f64)),
     RuntimeError, "found A of type Float and B of type Double instead"),
    (lambda: nt.linalg.solve(nt.eye(2), o(3)), RuntimeError, r"equation AX = B \(2x2 and 3x1\)"),
    (lambda: nt.linalg.solve(nt.eye(2), o(3, 2)), RuntimeError, r"\(2x2 and 3x2\)"),
    (lambda: nt.linalg.solve(nt.eye(2), o(2, 5), left=False), RuntimeError, r"equation XA = B \(2x2 and 2x5\)"),
    (lambda: nt.linalg.solve(o(2, 3), o(2)), RuntimeError, "2 by 3 matrices"),
    (lambda: nt.linalg.solve(nt.eye(2).expand(3, 2, 2), o(4, 2, 2)),
     RuntimeError, r"size of tensor a \(3\) must match the size of tensor b \(4\)"),
    (lambda: nt.linalg.qr(o(2, 3, dtype=i64)),
     RuntimeError, "linalg.qr: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.linalg.qr(o(3, 3), mode="bad"), RuntimeError, "qr received unrecognized mode 'bad'"),
    (lambda: nt.linalg.qr(o(2, 2, dtype=nt.float16)), NotImplementedError, '"geqrf_cpu" not implemented'),
    (lambda: nt.linalg.cholesky(o(2, 2, dtype=i64)),
     RuntimeError, "linalg.cholesky: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.linalg.cholesky(o(2, 3)), RuntimeError, "2 by 3 matrices"),
    (lambda: nt.linalg.cholesky(nt.diag(nt.tensor([-1.0, 1, 1]))),
     nt.linalg.LinAlgError, r"not positive-definite \(the leading minor of order 1 is not positive-definite\)"),
    (lambda: nt.linalg.cholesky(_not_pd_batch()),
     nt.linalg.LinAlgError, r"\(Batch element 1\): The factorization could not be completed"),
    (lambda: nt.linalg.cholesky(nt.tensor([[1.0, 2.0], [2.0, 1.0]])),
     nt.linalg.LinAlgError, "leading minor of order 2"),
    (lambda: nt.linalg.eigh(o(2, 2, dtype=i64)), NotImplementedError, '"linalg_eigh_cpu" not implemented for \'Long\''),
    (lambda: nt.linalg.eigh(o(2, 3)),
     RuntimeError, "linalg.eigh: A must be batches of square matrices, but they are 2 by 3"),
    (lambda: nt.linalg.eigh(o(2, 2), UPLO="X"), RuntimeError, "Expected UPLO argument to be 'L' or 'U', but got X"),
    (lambda: nt.linalg.pinv(o(2, 2, dtype=i64)),
     RuntimeError, r"linalg.pinv\(Long\{\[2, 2\]\}\): expected a tensor with 2 or more dimensions of float"),
    (lambda: nt.linalg.pinv(o(3)), RuntimeError, r"linalg.pinv\(Float\{\[3\]\}\)"),
    (lambda: nt.linalg.matrix_rank(o(2, 2, dtype=i64)),
     RuntimeError, "doesn't handle types other than float and double"),
    (lambda: nt.linalg.matrix_rank(o(3)),
     RuntimeError, "matrix_rank: The input tensor input must have at least 2 dimensions"),
    # norms
    (lambda: nt.linalg.norm(o(2, 2, dtype=i64)),
     RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.linalg.matrix_norm(o(2, 2, dtype=i64)),
     RuntimeError, "linalg.matrix_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: nt.linalg.matrix_norm(o(2)),
     RuntimeError, "linalg.matrix_norm: The input tensor A must have at least 2 dimensions"),
    (lambda: nt.linalg.norm(o(2, 2, 2), ord=2),
     RuntimeError, "If dim is not specified but ord is, the input must be 1D or 2D. Got 3D"),
    (lambda: nt.linalg.norm(o(2, 2, 2), dim=(0, 1, 2)), RuntimeError, r"must be of length 1 or 2. Got \[0, 1, 2\]"),
    (lambda: nt.linalg.matrix_norm(o(2, 2), ord="bad"), RuntimeError, "linalg.matrix_norm: Order bad not supported"),
    (lambda: nt.linalg.matrix_norm(o(2, 2), ord=3), RuntimeError, "Order 3 not supported"),
    (lambda: nt.linalg.matrix_norm(o(2, 2, 2), dim=(0, 0)), RuntimeError, r"dims must be different. Got \(0, 0\)"),
    (lambda: nt.linalg.matrix_norm(o(2, 2, 2), dim=(0,)), RuntimeError, "dim must be a 2-tuple. Got 0"),
    (lambda: nt.linalg.matrix_norm(o(2, 2, dtype=nt.float16), ord=2),
     RuntimeError, "Low precision dtypes not supported. Got Half"),
    (lambda: nt.linalg.matrix_norm(nt.zeros(0, 3), ord=-2), IndexError, "amin"),
    (lambda: nt.linalg.vector_norm(o(2, 2), ord="fro"), TypeError, "argument 'ord' must be Number, not str"),
    (lambda: nt.linalg.vector_norm(o(2, 2), dtype=i64),
     RuntimeError, "dtype should be floating point or complex, but got Long"),
    (lambda: nt.linalg.vector_norm(nt.zeros(0), ord=math.inf),
     RuntimeError, "cannot compute the inf norm on an empty tensor"),
    (lambda: nt.linalg.vector_norm(nt.zeros(0, 3), ord=-1, dim=0),
     RuntimeError, "cannot compute the -1 norm on the dimension 0"),
    (lambda: nt.linalg.vector_norm(o(3, 3), dim=(0, 0)),
     RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda: nt.linalg.vector_norm(o(2, 3), dim=5), IndexError, r"range of \[-2, 1\], but got 5"),
]


@pytest.mark.parametrize("fn,exc,match", BAD_INPUT, ids=[f"bad{i}" for i in range(len(BAD_INPUT))])
def test_bad_input_raises_torchs_error(fn, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=match):
            fn()


def test_linalg_error_is_a_runtime_error():
    assert issubclass(nt.linalg.LinAlgError, RuntimeError)


# ====================================================================== parity with PyTorch
def _torch():
    return pytest.importorskip("torch")


@pytest.mark.cpu_only  # compares str() with torch's CPU tensors (another device's names it)
def test_parity_products_with_torch(rng):
    torch = _torch()
    for sa, sb in MATMUL_SHAPES:
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        expected = (torch.from_numpy(a) @ torch.from_numpy(b)).cpu().numpy()
        got = (T(a) @ T(b)).cpu().numpy()
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    i = torch.tensor([[1, 2], [3, 4]])
    assert (nt.tensor([[1, 2], [3, 4]]) @ nt.tensor([[1, 2], [3, 4]])).tolist() == (i @ i).tolist()
    m = rng.standard_normal((3, 4)).astype(np.float32)
    v = rng.standard_normal((3,)).astype(np.float32)
    w = rng.standard_normal((4,)).astype(np.float32)
    ta, tv, tw = (torch.from_numpy(x) for x in (m, v, w))
    np.testing.assert_allclose(nt.addr(T(m), T(v), T(w), beta=0.5, alpha=2).cpu().numpy(),
                               torch.addr(ta, tv, tw, beta=0.5, alpha=2).cpu().numpy(), rtol=1e-5)
    np.testing.assert_allclose(nt.addmv(T(v), T(m), T(w), alpha=-1).cpu().numpy(),
                               torch.addmv(tv, ta, tw, alpha=-1).cpu().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nt.einsum("ij,j->i", T(m), T(w)).cpu().numpy(),
                               torch.einsum("ij,j->i", ta, tw).cpu().numpy(), rtol=1e-5, atol=1e-6)
    assert str(nt.kron(nt.tensor([1, 2]), nt.tensor([[1.5]]))) == str(
        torch.kron(torch.tensor([1, 2]), torch.tensor([[1.5]]))).replace("torch", "nbtensor")


def test_parity_decompositions_with_torch(rng):
    torch = _torch()
    a = well_conditioned(rng, (2, 4, 4), np.float64)
    ta = torch.from_numpy(a)
    np.testing.assert_allclose(nt.linalg.inv(T(a)).cpu().numpy(), torch.linalg.inv(ta).cpu().numpy(), rtol=1e-10)
    np.testing.assert_allclose(nt.linalg.det(T(a)).cpu().numpy(), torch.linalg.det(ta).cpu().numpy(), rtol=1e-10)
    s, la = nt.linalg.slogdet(T(a))
    ts, tla = torch.linalg.slogdet(ta)
    np.testing.assert_allclose(s.cpu().numpy(), ts.cpu().numpy())
    np.testing.assert_allclose(la.cpu().numpy(), tla.cpu().numpy(), rtol=1e-10)
    np.testing.assert_allclose(nt.linalg.svdvals(T(a)).cpu().numpy(), torch.linalg.svdvals(ta).cpu().numpy(), rtol=1e-10)
    np.testing.assert_allclose(nt.linalg.pinv(T(a[0, :3])).cpu().numpy(), torch.linalg.pinv(ta[0, :3]).cpu().numpy(),
                               rtol=1e-8, atol=1e-10)
    for ord in (None, "fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        np.testing.assert_allclose(nt.linalg.norm(T(a[0]), ord).cpu().numpy(), torch.linalg.norm(ta[0], ord).cpu().numpy(),
                                   rtol=1e-10)
    assert nt.linalg.matrix_rank(T(a)).tolist() == torch.linalg.matrix_rank(ta).tolist()
    with pytest.raises(torch.linalg.LinAlgError) as theirs:
        torch.linalg.inv(torch.ones(3, 3))
    with pytest.raises(nt.linalg.LinAlgError) as ours:
        nt.linalg.inv(nt.ones(3, 3))
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError) as theirs:
        torch.mm(torch.ones(2, 3), torch.ones(2, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError) as ours:
        nt.mm(nt.ones(2, 3), nt.ones(2, 3, dtype=nt.float64))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.cpu_only  # compares repr() with torch's CPU tensors (another device's names it)
def test_parity_result_tuples_with_torch():
    torch = _torch()
    for ours, theirs in ((nt.linalg.slogdet(nt.eye(2)), torch.linalg.slogdet(torch.eye(2))),
                         (nt.linalg.eigh(nt.eye(2)), torch.linalg.eigh(torch.eye(2))),
                         (nt.svd(nt.eye(2)), torch.svd(torch.eye(2))),
                         (nt.linalg.qr(nt.eye(2)), torch.linalg.qr(torch.eye(2)))):
        assert type(ours).__name__ == type(theirs).__name__
        assert repr(ours) == repr(theirs).replace("torch.", "nbtensor.")


def test_linalg_matrix_power_and_exp_are_the_top_level_ops():
    a = nt.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=nt.float64)
    np.testing.assert_allclose(nt.linalg.matrix_power(a, 3).cpu().numpy(), [[2.0, 4.0], [1.0, -2.0]])
    np.testing.assert_allclose(nt.linalg.matrix_power(a, -1).cpu().numpy(), np.linalg.inv(a.cpu().numpy()))
    d = nt.tensor([[1.0, 0.0], [0.0, -2.0]], dtype=nt.float64)
    np.testing.assert_allclose(nt.linalg.matrix_exp(d).cpu().numpy(), np.diag(np.exp([1.0, -2.0])), rtol=1e-12,
                               atol=1e-15)
