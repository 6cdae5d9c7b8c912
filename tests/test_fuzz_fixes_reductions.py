"""Regressions for mismatches the differential fuzzer (tests/fuzz) found in reductions,
scans, softmax, views and indexing. Expected values are hand-computed (or NumPy), so the
tests run without torch."""
import math
import warnings

import numpy as np
import pytest

import nbtensor as nb
from support import check


def _raises(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


# --- empty reduction dims: torch's exception class and wording ------------------------------

@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_empty_dim_is_index_error_naming_dim_as_given(name):
    f = getattr(nb, name)
    _raises(IndexError, rf"{name}\(\): Expected reduction dim -1 to have non-zero size", lambda: f(nb.zeros(0), dim=-1))
    _raises(IndexError, rf"{name}\(\): Expected reduction dim -1 to have non-zero size",
            lambda: f(nb.zeros(3, 0), dim=-1))
    # several dims: the first empty one in the order given
    _raises(IndexError, r"reduction dim 1 to", lambda: f(nb.zeros(3, 0), dim=(-2, 1)))
    _raises(IndexError, r"reduction dim 1 to", lambda: f(nb.zeros(0, 0, 3), dim=(1, 0)))
    _raises(IndexError, r"reduction dim -1 to", lambda: f(nb.zeros(0), -1, keepdim=True, out=nb.zeros(1)))
    # no dim: a RuntimeError
    _raises(RuntimeError, r"Expected reduction dim to be specified", lambda: f(nb.zeros(3, 0)))
    _raises(RuntimeError, r"Expected reduction dim to be specified", lambda: f(nb.zeros(3, 0), dim=()))
    check(f(nb.zeros(3, 0), dim=0), np.zeros(0, np.float32))


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_max_min_arg_dim_checks(name):
    f = getattr(nb, name)
    _raises(IndexError, r"Expected reduction dim 1 to have non-zero size", lambda: f(nb.zeros(3, 0), -1))
    # a 0-d tensor accepts only dims 0 and -1
    _raises(IndexError, r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 5\)",
            lambda: f(nb.zeros(()), 5))
    _raises(IndexError, r"got -2", lambda: getattr(nb.zeros(()), name)(-2))
    r = f(nb.tensor(3.0), -1)
    if isinstance(r, tuple):
        check(r[0], np.float32(3.0))
        check(r[1], np.int64(0))
    else:
        check(r, np.int64(0))


def test_aminmax_empty():
    _raises(RuntimeError, r"aminmax\(\): cannot compute aminmax over an empty dimension",
            lambda: nb.aminmax(nb.zeros(3, 0)))
    _raises(IndexError, r"aminmax: Expected reduction dim 1 to have non-zero size",
            lambda: nb.aminmax(nb.zeros(3, 0), dim=-1))


def test_nanmedian_empty_dim_words_it_as_median():
    _raises(IndexError, r"^median\(\): Expected reduction dim 1", lambda: nb.nanmedian(nb.zeros(3, 0), 1))


def test_empty_median_result_strides():
    v, i = nb.median(nb.zeros(3, 0), 0)
    assert v.shape == (0,) and v.stride() == (1,) and i.stride() == (1,)


# --- softmax / log_softmax ---------------------------------------------------------------

@pytest.mark.parametrize("fn", [nb.softmax, nb.log_softmax])
def test_softmax_dim_checked_on_0d(fn):
    _raises(IndexError, r"expected to be in range of \[-1, 0\], but got 5", lambda: fn(nb.zeros(()), 5))
    _raises(IndexError, r"but got 5", lambda: fn(nb.zeros((), dtype=nb.int64), 5))
    check(fn(nb.tensor(2.0), 0), np.float32(1.0 if fn.__name__ == "softmax" else 0.0))


@pytest.mark.parametrize("fn", [nb.softmax, nb.log_softmax])
@pytest.mark.parametrize("d", [nb.bool, nb.uint8, nb.int64, nb.float16, nb.float32])
def test_softmax_of_empty_computes_nothing(fn, d):
    x = nb.zeros((3, 0, 2), dtype=d)
    r = fn(x, 2)
    assert r.dtype is d and r.shape == (3, 0, 2) and r.stride() == (2, 2, 1)
    for target in (nb.bool, nb.int8, nb.float64):
        r = fn(x, 0, dtype=target)
        assert r.dtype is target and r.shape == (3, 0, 2)


def test_softmax_non_float_kernel_names():
    x = nb.ones((2, 3), dtype=nb.int64)
    _raises(NotImplementedError, r'"softmax_lastdim_kernel_impl" not implemented for \'Long\'', lambda: x.softmax(1))
    _raises(NotImplementedError, r'"softmax_kernel_impl" not implemented for \'Long\'', lambda: x.softmax(0))
    _raises(NotImplementedError, r'"log_softmax_lastdim_kernel_impl" not implemented for \'Bool\'',
            lambda: nb.log_softmax(x.float(), 1, dtype=nb.bool))
    _raises(NotImplementedError, r'"softmax_lastdim_kernel_impl" not implemented for \'Char\'',
            lambda: nb.softmax(nb.zeros(1, dtype=nb.int8), 0, dtype=nb.int8))


# --- var / std / norm overflow -----------------------------------------------------------

def test_std_float32_whose_variance_overflows():
    r = nb.tensor([-2.0, 3e38]).std()
    expected = np.float32(np.std(np.array([-2.0, np.float32(3e38)]), ddof=1))
    assert r.dtype is nb.float32 and np.isfinite(expected)
    check(r, expected)
    assert math.isinf(nb.tensor([-2.0, 3e38]).var().item())  # the variance itself overflows


def test_std_float16_whose_variance_overflows():
    x = np.array([65504.0, 3, 3, 0.1, 1.008], np.float16)
    r = nb.tensor(x).std()
    check(r, np.float16(np.std(x.astype(np.float64), ddof=1)))
    assert r.item() == 29296.0
    check(nb.std_mean(nb.tensor(x[:3]))[0], np.float16(37824.0))


def test_float16_norm_accumulates_in_float32():
    x = nb.tensor([300.0, 4, 5], dtype=nb.float16)
    check(x.norm(), np.float16(300.0))
    check(x.norm(p=3), np.float16(np.cbrt(np.float32(300.0 ** 3 + 64 + 125))))
    check(nb.norm(nb.tensor([300.0, 4, 5, 5], dtype=nb.float16)[1:], dim=0), np.float16(np.sqrt(66.0)))
    assert math.isinf(nb.tensor([3e38, 4.0]).norm().item())  # float32 stays float32, as torch


@pytest.mark.parametrize("d, big", [(nb.float32, 1e20), (nb.float64, 1e300)])
def test_norm_of_one_element_is_its_magnitude(d, big):
    # torch returns |x| when each result reduces one element; its square would overflow
    x = nb.tensor([[-big], [1.0]], dtype=d)
    for p in (2, 3, 1, -1, math.inf):
        check(x.norm(p=p, dim=1), np.abs(x.cpu().numpy()[:, 0]))
    check(nb.norm(nb.tensor(-big, dtype=d)), np.abs(x.cpu().numpy()[0, 0]))
    check(nb.linalg.vector_norm(x, dim=1), np.abs(x.cpu().numpy()[:, 0]))
    # torch squares a 0-d input reduced over a named dim: that overflows there
    assert math.isinf(nb.tensor(big, dtype=d).norm(dim=0).item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # inf without NumPy's overflow warning
        assert math.isinf(nb.linalg.vector_norm(nb.tensor(big, dtype=d), dim=-1).item())
    check(nb.tensor(big, dtype=d).norm(dim=()), np.abs(x.cpu().numpy()[0, 0]).reshape(()))
    check(nb.linalg.norm(nb.tensor([-big], dtype=d)), np.abs(x.cpu().numpy()[0, 0]))
    check(x.norm(p=0, dim=1), np.array([1.0, 1.0], x.cpu().numpy().dtype))  # a count, not |x|
    assert math.isinf(nb.tensor([big, 1.0], dtype=d).norm().item())  # two elements overflow, as torch


def test_short_float_products_multiply_first_to_last():
    # (-5 * -3e38) overflows to inf before the zero: nan, as torch's loop (not 0 by another order)
    x = nb.tensor([-0.0001, 300.0, -2.508, -4.0, -5.0, -3e38, 2.356, 3.0, -0.75, 2.761, 0.0, 0.1])
    assert math.isnan(x.prod().item())
    with np.errstate(over="ignore", invalid="ignore"):
        expected = np.array([np.prod(x.cpu().numpy()[i * 4:i * 4 + 4]) for i in range(3)], np.float32)
    check(x.reshape(3, 4).prod(1), expected)
    # a long run is vectorised, but a non-finite product is redone first to last: the zero
    # comes first in arange(80.) and the product stays 0 (as torch's), not 0 * inf
    check(nb.arange(80.0).prod(), np.float32(0))
    check(nb.arange(80.0).reshape(2, 40).prod(1), np.float32([0, np.inf]))


def test_float32_mean_whose_sum_overflows_float32_is_inf():
    # torch sums a float32 mean in float32: -6e38 is -inf before the division by 4
    x = nb.tensor([[-3e38, 5.0], [-3e38, 5.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no NumPy overflow warning on the way
        assert x.mean().item() == -math.inf
    check(x.mean(1), np.float32([-1.5e38, -1.5e38]))


def test_float16_mean_of_integers_is_summed_in_float32():
    x = nb.tensor([[1], [-2147483647], [-4], [2147483647], [4]], dtype=nb.int32)
    r = x.mean(dim=0, dtype=nb.float16)
    assert r.dtype is nb.float16 and math.isfinite(r.item())
    check(nb.tensor([1000, 70000], dtype=nb.int32).mean(dtype=nb.float16), np.float16(35500))


# --- scans -------------------------------------------------------------------------------

@pytest.mark.parametrize("d", [nb.float16, nb.float32, nb.float64])
def test_cumsum_starts_from_positive_zero(d):
    r = nb.tensor([-0.0, -0.0], dtype=d).cumsum(0)
    assert not np.signbit(r.cpu().numpy()).any()
    r = nb.tensor([-0.0, -0.0], dtype=nb.float64).cumsum(0, dtype=d)
    assert r.dtype is d and not np.signbit(r.cpu().numpy()).any()
    assert np.signbit(nb.tensor([-0.0, 1.0], dtype=d).cumprod(0).cpu().numpy()).all()  # 1 * -0. is -0.


def test_cumprod_accumulation_type():
    # float16 accumulates in float32, float32 in float64 (torch's CPU acc types)
    check(nb.tensor([300.0, 300, 1 / 300], dtype=nb.float16).cumprod(0),
          np.array([300, np.inf, 300], np.float16))
    r = nb.tensor([3e30, 3e30, 1e-30]).cumprod(0).cpu().numpy()
    assert math.isinf(r[1]) and np.isclose(r[2], 9e30, rtol=1e-6)
    x = (np.array([-0.0001, 0.1, -3.5, -1.004], np.float16) / np.float16(-2)).astype(np.float16)
    expected = np.cumprod(x.astype(np.float32)).astype(np.float16)
    check(nb.tensor(x).cumprod(0), expected)
    assert expected[2] == np.float16(-4.351139068603516e-06)


# --- views: diagonal / mT / mH / H on 0-d and 1-d tensors ---------------------------------

def test_diagonal_of_0d_tensor_wraps_both_dims_to_0():
    z = nb.tensor(5.0)
    _raises(RuntimeError, r"diagonal dimensions cannot be identical 0, -1", lambda: z.diagonal(0, 0, -1))
    _raises(RuntimeError, r"diagonal dimensions cannot be identical -1, 0", lambda: z.diagonal(-1, -1, 0))
    _raises(IndexError, r"expected to be in range of \[-1, 0\], but got 1", lambda: z.diagonal())
    _raises(RuntimeError, r"identical 0, -1", lambda: nb.arange(3.0).diagonal(0, 0, -1))


def test_matrix_transposes_of_0d_and_1d():
    z = nb.tensor(5.0)
    for attr in ("mT", "mH", "H"):
        with pytest.warns(UserWarning, match="deprecated on 0-D tensors"):
            r = getattr(z, attr)
        assert r is z  # torch returns the tensor itself
    with pytest.warns(UserWarning, match="deprecated on 0-D tensors"):
        assert z.adjoint() is z
    v = nb.arange(3.0)
    _raises(RuntimeError, r"tensor\.mT is only supported on matrices or batches of matrices\. Got 1-D", lambda: v.mT)
    _raises(RuntimeError, r"tensor\.mH is only supported", lambda: v.mH)
    _raises(RuntimeError, r"tensor\.adjoint\(\) is only supported", lambda: v.adjoint())
    _raises(RuntimeError, r"tensor\.H is only supported on matrices \(2-D tensors\)\. Got 1-D tensor\.$", lambda: v.H)
    _raises(RuntimeError, r"Got 3-D tensor\. For batches of matrices, consider using tensor\.mH",
            lambda: nb.zeros(1, 2, 3).H)
    m = nb.arange(6.0).reshape(2, 3)
    assert m.H.shape == (3, 2) and m.H.stride() == (1, 3)
    assert nb.zeros(4, 2, 3).mH.shape == (4, 3, 2)
    assert v.T.shape == (3,)


# --- advanced indexing: empty results, torch's order of checks ----------------------------

def test_index_values_unchecked_when_the_result_is_empty():
    x = nb.ones(3, 0)
    r = x[[-2, -1, -1, 1, 3]]            # torch reads no index: the result has no elements
    assert r.shape == (5, 0) and r.stride() == (1, 1)
    assert x[nb.tensor([5])].shape == (1, 0)
    assert x[None, [5]].shape == (1, 1, 0)
    assert nb.ones(3, 2)[[5], nb.tensor([], dtype=nb.int64)].shape == (0,)
    assert nb.ones(3, 4)[0:0, [9]].shape == (0, 1)
    assert nb.ones(2, 0, 3)[[5], :, [7]].shape == (1, 0)
    x[[5]] = 1.0                          # nothing written, nothing checked
    x.index_put_((nb.tensor([5]),), nb.tensor(1.0), accumulate=True)
    # an indexed dimension of size 0 takes only an empty index
    for fn in (lambda: x[:, [0]], lambda: nb.ones(0, 3)[[0]], lambda: nb.ones(0)[[0]],
               lambda: nb.ones(0, 0)[[0]], lambda: x.__setitem__((slice(None), [0]), 1.0)):
        _raises(IndexError, r"^index is out of bounds for dimension with size 0$", fn)
    assert nb.ones(2, 0)[:, nb.tensor([], dtype=nb.int64)].shape == (2, 0)
    # a non-empty result still checks every index
    _raises(IndexError, r"index 9 is out of bounds for dimension 0 with size 3", lambda: nb.ones(3, 4)[[9], 1])
    _raises(IndexError, r"index 5 is out of bounds for dimension 2 with size 2", lambda: nb.ones(3, 0, 2)[[9], :, 5])


def test_setitem_order_of_checks():
    i16 = nb.tensor([1], dtype=nb.int16)
    # parse errors (size-0 dim, too many indices) come before the dtype check
    _raises(IndexError, r"dimension with size 0", lambda: nb.zeros(0).__setitem__([0], i16))
    _raises(IndexError, r"too many indices for tensor of dimension 1",
            lambda: nb.zeros(3).__setitem__(nb.ones(1, 1, 3, dtype=nb.bool), i16))
    # value shape, then dtype, then the index range
    _raises(RuntimeError, r"shape mismatch: value tensor of shape \[2\]",
            lambda: nb.zeros(3).__setitem__([5], nb.ones(2)))
    _raises(RuntimeError, r"shape mismatch: value tensor of shape \[2\] cannot be broadcast to indexing result "
                          r"of shape \[1, 0\]", lambda: nb.zeros(3, 0).__setitem__([5], nb.ones(2)))
    _raises(RuntimeError, r"Index put requires the source and destination dtypes match",
            lambda: nb.zeros(3).__setitem__([5], i16))
    # a number that overflows the dtype is refused before the index is read
    u8 = nb.zeros(0, dtype=nb.uint8)
    for idx in (0, [0], (0, 0)):
        _raises(RuntimeError, r"value cannot be converted to type uint8_t without overflow",
                lambda idx=idx: u8.__setitem__(idx, 1e10))
    _raises(RuntimeError, r"uint8_t without overflow", lambda: nb.zeros(3, dtype=nb.uint8).__setitem__([5], 300))


def test_writes_torch_allows_on_an_expanded_tensor():
    def expanded():
        b = nb.zeros(2, 1)
        return b, b.expand(2, 3)
    for write, expected in [
            (lambda e: e.__setitem__(nb.tensor([0]), 1.0), [1.0, 0.0]),
            (lambda e: e.__setitem__([0, 1], 1.0), [1.0, 1.0]),
            (lambda e: e.__setitem__((slice(None), [0]), 1.0), [1.0, 1.0]),
            (lambda e: e.__setitem__(nb.ones(2, 3, dtype=nb.bool), 1.0), [1.0, 1.0]),
            (lambda e: e.__setitem__(nb.tensor([True, False]), 1.0), [1.0, 0.0]),
            (lambda e: e.__setitem__(nb.tensor([0]), nb.ones(3)), [1.0, 0.0]),
            (lambda e: e.masked_fill_(nb.ones(2, 3, dtype=nb.bool), 1.0), [1.0, 1.0]),
            (lambda e: e.index_put_((nb.tensor([0]),), nb.tensor(1.0)), [1.0, 0.0]),
            (lambda e: e.index_put_((nb.tensor([0]),), nb.tensor(1.0), accumulate=True), [3.0, 0.0]),
            (lambda e: e.index_fill_(1, nb.tensor([0]), 1.0), [1.0, 1.0])]:
        b, e = expanded()
        with pytest.warns(UserWarning, match="on expanded tensors is deprecated"):
            write(e)
        assert b.flatten().tolist() == expected
    # the writes torch refuses stay refused
    for write in (lambda e: e.__setitem__(slice(None), 1.0), lambda e: e.__setitem__(0, 1.0),
                  lambda e: e.copy_(nb.ones(2, 3)), lambda e: e.add_(1),
                  lambda e: e.index_copy_(0, nb.tensor([0]), nb.ones(1, 3))):
        _, e = expanded()
        _raises(RuntimeError, r"more than one element of the written-to tensor", write, e)
    b, e = expanded()
    e[0, 0] = 1.0  # a single element is not overlapping
    assert b.flatten().tolist() == [1.0, 0.0]


# --- matrix products torch does not compute --------------------------------------------

def test_bool_products_with_nothing_to_compute():
    B = nb.bool
    check(nb.mm(nb.zeros(2, 0, dtype=B), nb.zeros(0, 3, dtype=B)), np.zeros((2, 3), bool))
    check(nb.zeros(0, 2, dtype=B) @ nb.zeros(2, 3, dtype=B), np.zeros((0, 3), bool))
    check(nb.mv(nb.zeros(2, 0, dtype=B), nb.zeros(0, dtype=B)), np.zeros(2, bool))
    check(nb.bmm(nb.zeros(1, 2, 0, dtype=B), nb.zeros(1, 0, 3, dtype=B)), np.zeros((1, 2, 3), bool))
    check(nb.zeros(2, 2, 0, dtype=B) @ nb.zeros(0, 3, dtype=B), np.zeros((2, 2, 3), bool))
    check(nb.zeros(0, dtype=B) @ nb.zeros(2, 0, 3, dtype=B), np.zeros((2, 3), bool))
    _raises(NotImplementedError, r'"addmm_impl_cpu_" not implemented for \'Bool\'',
            lambda: nb.zeros(2, 2, dtype=B) @ nb.zeros(2, 3, dtype=B))


def test_batched_products_of_mixed_dtypes():
    # torch's bmm: nothing computed -> zeros of the second operand's dtype, no dtype check
    r = nb.zeros(2, 2, 0, dtype=nb.bool) @ nb.zeros(2, 0, 1, dtype=nb.uint8)
    check(r, np.zeros((2, 2, 1), np.uint8))
    check(nb.bmm(nb.zeros(0, 2, 2), nb.zeros(0, 2, 3, dtype=nb.bool)), np.zeros((0, 2, 3), bool))
    # computed: a bool first operand is refused before the dtype mismatch
    _raises(NotImplementedError, r'"bmm" not implemented for \'Bool\'',
            lambda: nb.zeros(3, dtype=nb.bool) @ nb.zeros(1, 3, 1, dtype=nb.uint8))
    _raises(RuntimeError, r"expected scalar type Byte but found Float",
            lambda: nb.zeros(2, 2, 3, dtype=nb.uint8) @ nb.zeros(2, 3, 1))
    # 2-D products keep checking the dtypes even when empty
    _raises(RuntimeError, r"expected m1 and m2 to have the same dtype, but got: bool != unsigned char",
            lambda: nb.zeros(2, 0, dtype=nb.bool) @ nb.zeros(0, 3, dtype=nb.uint8))
    # mv names the vector's dtype first, as torch's addmv message does
    _raises(RuntimeError, r"addmv input tensors must have the same dtype, but got Bool, Byte, and Bool",
            lambda: nb.zeros(3, 2, dtype=nb.uint8) @ nb.zeros(2, dtype=nb.bool))


# --- index_select / index_add_ / index_copy_ / index_fill_ / take on empty tensors -----------

def test_index_functions_on_empty_tensors():
    L = lambda *v: nb.tensor(v, dtype=nb.int64)  # noqa: E731
    x = nb.zeros(3, 0)
    # torch writes nothing into an empty self, and reads no index
    for write in (lambda: x.index_add_(0, L(5), nb.zeros(1, 0)), lambda: x.index_copy_(0, L(5), nb.zeros(1, 0)),
                  lambda: x.index_fill_(0, L(5), 1.0), lambda: x.index_add_(1, L(5), nb.zeros(3, 1))):
        assert write() is x and x.shape == (3, 0)
    assert nb.zeros(0, 3).index_copy_(1, L(5), nb.zeros(0, 1)).shape == (0, 3)
    # index_select of an empty input: torch's own checks (RuntimeError)
    assert x.index_select(0, L(1)).shape == (1, 0)
    _raises(RuntimeError, r"^INDICES element is out of DATA bounds, id=5 axis_dim=3$", lambda: x.index_select(0, L(5)))
    _raises(RuntimeError, r"id=-1 axis_dim=3", lambda: x.index_select(0, L(-1)))
    _raises(RuntimeError, r"index_select\(\): self indexing axis dim should be positive",
            lambda: x.index_select(1, L(0)))
    assert x.index_select(1, L()).shape == (3, 0)
    _raises(IndexError, r"index 5 is out of range", lambda: nb.zeros(3, 2).index_select(0, L(5)))
    _raises(IndexError, r"^take\(\): tried to take from an empty tensor$", lambda: x.take(L(5)))
    assert x.take(L()).shape == (0,)
    # a non-empty self still checks every index
    _raises(IndexError, r"index 5 is out of bounds", lambda: nb.zeros(3, 2).index_fill_(0, L(5), 1.0))
    _raises(RuntimeError, r"index 5 is out of bounds", lambda: nb.zeros(3, 2).index_add_(0, L(5), nb.zeros(1, 2)))


# --- out= resizing -----------------------------------------------------------------------

def test_out_whose_shared_memory_holds_nothing_grows():
    out = nb.ones((0,), dtype=nb.float16)
    alias = out.transpose(-1, -1)         # shares memory of no elements: it can observe nothing
    r = nb.remainder(nb.zeros((), dtype=nb.int16), -1, out=out)
    assert r is out and out.shape == () and out.item() == 0.0 and alias.shape == (0,)
    # (memory with elements shared with a view cannot grow: test_silent_wrong_answers.py::
    # test_out_that_cannot_grow_in_place_is_refused_not_detached)


def test_advanced_index_result_follows_the_input_layout():
    # torch's TensorIterator orders the result's memory like the input (a permuted input
    # gives a permuted result); values are those of NumPy's indexing
    a = np.arange(24, dtype=np.int8).reshape(2, 4, 3)
    x = nb.tensor(a).permute(1, 2, 0)                    # (4, 3, 2), strides (3, 1, 12)
    r = x[[1, -4, 1]]
    check(r, a.transpose(1, 2, 0)[[1, -4, 1]])
    assert r.stride() == (6, 1, 3)
    assert nb.tensor(a)[[1, 0]].stride() == (12, 3, 1)   # a row-major input: a row-major result
    r = x[:, [0, 2]]
    check(r, a.transpose(1, 2, 0)[:, [0, 2]])
    assert r.stride() == (1, 4, 8)
    r = x[None, [0, 1]]                                  # None has torch's unsqueeze stride
    check(r, a.transpose(1, 2, 0)[None, [0, 1]])
    assert r.stride() == (12, 6, 1, 3)


def test_index_put_refuses_a_value_overlapping_the_destination():
    # torch's assert_no_overlap: dense operands whose memory overlaps, even exactly
    msg = r"some elements of the input tensor and the written-to tensor refer to a single memory location"
    for dt_ in (nb.float32, nb.float16):
        x = nb.zeros(4, dtype=dt_)
        _raises(RuntimeError, msg, x.__setitem__, [0, 1, 2, 3], x)
        _raises(RuntimeError, msg, x.__setitem__, [0, 1], x[2:])
        _raises(RuntimeError, msg, x.__setitem__, [0], x[0])
        _raises(RuntimeError, msg, x.__setitem__, x > -1, x)
        _raises(RuntimeError, msg, x.index_put_, (nb.tensor([0, 1]),), x[1:3], accumulate=True)
        e = nb.zeros(1, dtype=dt_).narrow(0, 1, 0)
        _raises(RuntimeError, msg, e.__setitem__, [], e)
    x = nb.arange(4.0)
    x[:2][[0, 1]] = x[2:]                 # disjoint memory: written
    x[[0, 1]] = x[::2]                    # strided: torch cannot tell, reads a copy
    x[x > -1] = x[3]                      # a one-element value: masked_fill
    assert x.tolist() == [3.0, 3.0, 3.0, 3.0]


def test_basic_setitem_refuses_a_partially_overlapping_value():
    msg = r"refer to a single memory location"
    one = nb.zeros((), dtype=nb.float16)[None]
    _raises(RuntimeError, msg, lambda: one.__setitem__(slice(None, None, 3), one))  # strides differ
    x = nb.arange(6.0)
    _raises(RuntimeError, msg, lambda: x.__setitem__(slice(1, 4), x[0:3]))
    x[:] = x                               # the same elements in the same layout: allowed
    x[0:2] = x[::3]                        # strided: read from a copy
    assert x.tolist() == [0.0, 3.0, 2.0, 3.0, 4.0, 5.0]


def test_scans_refuse_to_compute_in_bool():
    ones = nb.ones(3, dtype=nb.bool)
    for name in ("cumsum", "cumprod"):
        msg = rf'"{name}_out_cpu" not implemented for \'Bool\''
        _raises(NotImplementedError, msg, getattr(ones, name), 0, dtype=nb.bool)
        _raises(NotImplementedError, msg, getattr(nb, name), nb.ones(3), 0, out=nb.zeros(3, dtype=nb.bool))
        check(getattr(ones, name)(0), getattr(np, name)(np.ones(3, np.int64)))  # bool input: int64
        assert getattr(nb.ones(0, dtype=nb.bool), name)(0, dtype=nb.bool).shape == (0,)


def test_cat_and_stack_order_of_checks():
    r = nb.cat([nb.ones(0), nb.ones(0, dtype=nb.int32)], dim=3)   # all skipped: dim never read
    assert r.shape == (0,) and r.dtype is nb.float32
    _raises(IndexError, r"Dimension out of range", lambda: nb.cat([nb.ones(0), nb.ones(2, 3)], dim=5))
    _raises(IndexError, r"expected to be in range of \[-2, 1\], but got 3",
            lambda: nb.stack([nb.ones(2), nb.ones(3)], dim=3))
    _raises(RuntimeError, r"stack expects each tensor to be equal size", lambda: nb.stack([nb.ones(2), nb.ones(3)]))


def test_more_orders_of_checks():
    # index_put_: the overlap check comes before the size-0-dimension check
    e = nb.ones(0, dtype=nb.uint8)
    _raises(RuntimeError, r"refer to a single memory location", lambda: e.__setitem__((Ellipsis, [0, 0]), e))
    _raises(IndexError, r"dimension with size 0", lambda: e.__setitem__((Ellipsis, [0, 0]), nb.ones(2, dtype=nb.uint8)))
    # cat: out='s dtype before the shapes
    _raises(TypeError, r"torch.cat\(\): input types can't be cast to the desired output type Byte",
            lambda: nb.cat([nb.zeros(2, dtype=nb.uint8), nb.ones(0, 4, 3)], 0, out=nb.zeros((), dtype=nb.uint8)))
    # cumsum of a 0-d tensor is a copy (-0. stays -0.)
    assert np.signbit(nb.tensor(-0.0).cumsum(0).cpu().numpy())


def test_out_shared_only_with_empty_views_grows():
    import warnings
    out = nb.zeros(1, 2, dtype=nb.float64)
    empty = out.diagonal(1, 1, -2)         # a view without elements: it can observe nothing
    assert empty.numel() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb.mul(nb.ones(5, dtype=nb.int8), 2, out=out)
    check(out, np.full(5, 2.0))
    # a view with elements, or a NumPy array on the memory (test below), keeps the refusal
    out = nb.zeros(2)
    view = out[None]
    with pytest.raises(RuntimeError, match="cannot resize the out= tensor"):
        nb.ne(nb.zeros(3, 2), 7, out=out)
    assert view.shape == (1, 2)


@pytest.mark.cpu_only  # a NumPy array on a tensor's memory exists only on the CPU
def test_out_shared_with_a_numpy_array_is_not_grown():
    out = nb.zeros(2)
    arr = out.cpu().numpy()
    with pytest.raises(RuntimeError, match="cannot resize the out= tensor"):
        nb.ne(nb.zeros(3, 2), 7, out=out)
    assert arr.shape == (2,)


def test_small_parity_fixes():
    # flip of a 0-d tensor
    check(nb.tensor(2.5).flip(0), np.float32(2.5))
    _raises(IndexError, r"but got 1", lambda: nb.tensor(2.5).flip(1))
    # nonzero: torch's column-major (n, ndim) layout
    r = nb.ones(2, 3).nonzero()
    assert r.stride() == (1, 6)
    check(r, np.argwhere(np.ones((2, 3))))
    assert nb.tensor([1, 0, 2]).nonzero().stride() == (1, 2)
    # median / kthvalue
    _raises(NotImplementedError, r'"median_cpu" not implemented for \'Bool\'', lambda: nb.ones(2, dtype=nb.bool).median())
    _raises(NotImplementedError, r'"median_out" not implemented', lambda: nb.ones(2, 2, dtype=nb.bool).median(0))
    check(nb.zeros(0, dtype=nb.int32).median(), np.int32(-2 ** 31))   # NaN as torch's CPU casts it
    check(nb.zeros(0, dtype=nb.int16).nanmedian(), np.int16(0))
    _raises(IndexError, r"kthvalue\(\): Expected reduction dim 1 to have non-zero size", lambda: nb.zeros(3, 0).kthvalue(1))
    _raises(NotImplementedError, r'"kthvalue_cpu" not implemented', lambda: nb.ones(2, 2, dtype=nb.bool).kthvalue(1))
    # inf norms of empty tensors
    _raises(RuntimeError, r"cannot compute the inf norm on an empty tensor", lambda: nb.zeros(0).norm(p=float("inf")))
    _raises(RuntimeError, r"cannot compute the -inf norm on the dimension 1",
            lambda: nb.zeros(3, 0).norm(p=-float("inf"), dim=1))
    assert nb.zeros(3, 0).norm(p=float("inf"), dim=0).shape == (0,)
    # float16 softmax computes in float32 and rounds once (torch's last-dim kernel; see
    # test_float16_softmax_over_a_leading_dim for the other dims)
    x = np.array([[1.5, -2], [3, 4]], np.float16)
    e = np.exp(x.astype(np.float32) - x.astype(np.float32).max(0))
    check(nb.tensor(x.T.copy()).softmax(1), (e / e.sum(0)).astype(np.float16).T)
    check(nb.tensor(x.T.copy()).softmax(1), np.float16([[0.182373046875, 0.8173828125],
                                                        [0.002471923828125, 0.99755859375]]))  # torch 2.13
    # ravel: contiguous().view(-1)
    m = nb.arange(6.0).reshape(2, 3)
    check(m.t().ravel(), np.arange(6.0, dtype=np.float32).reshape(2, 3).T.ravel())
    assert m.ravel()._storage is m._storage


def test_float16_softmax_over_a_leading_dim():
    # torch 2.13's kernel for a dim that is not the last does not round once: over dim 0 it
    # gives these values (the once-rounded ones, 0.182373046875 and 0.002471923828125, are
    # one float16 step below). Softmax is compared within a tolerance (as the fuzzer does):
    # one float16 step at most.
    x = np.array([[1.5, -2], [3, 4]], np.float16)
    torch_values = np.float16([[0.1824951171875, 0.0024738311767578125], [0.8173828125, 0.99755859375]])
    r = nb.tensor(x).softmax(0)
    assert r.dtype is nb.float16 and r.shape == (2, 2)
    np.testing.assert_allclose(r.cpu().numpy().astype(np.float64), torch_values.astype(np.float64), rtol=2 ** -10)


def test_index_put_self_overlap_as_torch_sees_it():
    msg = r"refer to a single memory location"
    a = nb.ones(0, dtype=nb.uint8)
    _raises(RuntimeError, msg, lambda: a.__setitem__([0, 0], a))                  # x itself: always refused
    _raises(RuntimeError, msg, lambda: a.__setitem__((Ellipsis, [0, 0]), a))
    c = nb.zeros(0, 2)
    _raises(RuntimeError, msg, lambda: c.__setitem__((slice(None), [0]), c))
    b = nb.zeros(1, 0)                    # a leading size-1 dim: torch compares a new view
    _raises(IndexError, r"dimension with size 0", lambda: b.__setitem__((slice(None), [0, 0, 0]), b))
    b[[0, 0]] = b                         # empty: nothing overlaps
    s = nb.full((3,), 0, dtype=nb.uint8).select(-1, -3)
    s[None] = s                           # a 0-d value fills: nothing checked
    assert s.item() == 0


def test_more_dim_checks():
    _raises(IndexError, r"but got 5", lambda: nb.ones((), dtype=nb.int16).flatten(5))
    assert nb.tensor(3.0).flatten(0, -1).shape == (1,)
    _raises(IndexError, r"amin\(\): Expected reduction dim -2 to have non-zero size",
            lambda: nb.amin(nb.ones(1, 0, 1), dim=(-2, 1)))
    out = nb.zeros(2, 4, dtype=nb.bool)
    with pytest.warns(UserWarning, match="was resized"):
        r = nb.cumsum(nb.zeros((), dtype=nb.bool), -1, out=out)   # a 0-d cumsum is a copy: no kernel
    assert r.shape == () and r.dtype is nb.bool


def test_float32_single_output_variance_takes_a_float32_mean():
    # torch's std_var_all_cpu: the mean in float32 (4 x 3e38 sums past float32: inf), the
    # deviations in float64; several outputs: a float64 (Welford) computation
    assert math.isinf(nb.full((4,), 3e38).std().item())
    assert math.isinf(nb.full((4, 1), 3e38).std(0).item())
    check(nb.full((4, 2), 3e38).std(0), np.zeros(2, np.float32))
    check(nb.tensor([1.0, 2, 3, 4]).var(), np.float32(5 / 3))


def test_setitem_value_expanded_with_torch_strides_is_not_refused():
    v = nb.zeros((5, 1), dtype=nb.uint8)
    v[None] = v                            # torch's expand: the new dim strides like the target
    x = nb.arange(3.0)
    x[None, :] = x
    assert x.tolist() == [0.0, 1.0, 2.0]


def test_softmax_dtype_float16_casts_the_input_first():
    x = nb.tensor([[-1.0, 1e8, -1.446]], dtype=nb.float64)
    r = x.softmax(1, dtype=nb.float16)     # 1e8 is inf in float16: the softmax is nan
    assert r.dtype is nb.float16 and np.isnan(r.cpu().numpy()).all()


def test_vector_at_batched_matrices_folds_as_torch():
    # torch folds b.mT into a matrix when that needs no copy (or b is empty): mv's checks
    msg = r"addmv input tensors must have the same dtype, but got Bool, Int, and Bool"
    _raises(RuntimeError, msg, lambda: nb.zeros(4, dtype=nb.bool) @ nb.zeros(0, 4, 3, dtype=nb.int32))
    _raises(RuntimeError, msg, lambda: nb.zeros(4, dtype=nb.bool) @ nb.zeros(2, 3, 4, dtype=nb.int32).mT)
    _raises(NotImplementedError, r'"bmm" not implemented for \'Bool\'',
            lambda: nb.zeros(4, dtype=nb.bool) @ nb.zeros(2, 4, 3, dtype=nb.int32))
    # batched matrices @ vector fold only as torch's should_fold too, else bmm (seed 27600417)
    _raises(NotImplementedError, r'"bmm" not implemented for \'Bool\'',
            lambda: nb.zeros((1, 1), dtype=nb.bool).expand(2, 1, 1) @ nb.zeros(1, dtype=nb.uint8))
    _raises(RuntimeError, r"Expected size for first two dimensions of batch2 tensor to be: \[3, 4\] but got: \[3, 5\]",
            lambda: nb.ones(2, 3, 4).transpose(0, 1) @ nb.ones(5))
    # only b.mT's leading dims must collapse (fuzzer seed 27410896: (1,) @ (1, 1, 2) folds)
    _raises(RuntimeError, r"addmv input tensors must have the same dtype, but got Bool, Long, and Bool",
            lambda: nb.zeros(1, dtype=nb.bool) @ nb.zeros(1, 1, 2, dtype=nb.int64))
    a = np.arange(4.0, dtype=np.float32)
    b = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    check(nb.tensor(a) @ nb.tensor(b).mT, a @ b.transpose(0, 2, 1))
    check(nb.tensor(b).transpose(0, 1) @ nb.tensor(a), b.transpose(1, 0, 2) @ a)  # (not folded: bmm)


def test_expand_new_size1_dims_take_torch_strides():
    assert nb.zeros(2, 5).expand(1, 2, 5).stride() == (10, 5, 1)
    assert nb.zeros(2, 1).expand(1, 2, 4).stride() == (2, 1, 0)
    assert nb.tensor(5.0).expand(1, 1).stride() == (0, 0)
    assert nb.zeros(2, 5).expand(3, 2, 5).stride() == (0, 5, 1)


def test_softmax_result_is_row_major():
    x = nb.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4)).t()
    for r in (x.softmax(0), x.log_softmax(1), x.softmax(0, dtype=nb.float64)):
        assert r.stride() == (3, 1)
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4).T
    e = np.exp(a - a.max(0))
    np.testing.assert_allclose(x.softmax(0).cpu().numpy(), e / e.sum(0), rtol=1e-6)


def test_float32_prod_multiplies_in_float32():
    with np.errstate(all="ignore"):
        for vals in ([3e38, 10, 0], [1e-30, 1e-30, 1e30, 1e30]):
            a = np.array(vals, np.float32)
            expected = np.float32(1)
            for v in a:
                expected = np.float32(expected * v)
            np.testing.assert_array_equal(nb.tensor(a).prod().cpu().numpy(), expected)
    assert math.isnan(nb.tensor([3e38, 10, 0]).prod().item())
    check(nb.tensor([3e38, 10, 0], dtype=nb.float64).prod(), np.float64(0))


def test_setitem_overlap_uses_the_value_as_given():
    v5 = nb.zeros((3, 2, 2), dtype=nb.int8)
    v5[None] = v5.select(0, 1)            # expanded along a dim of 3: torch cannot tell, allowed
    v1 = nb.zeros((), dtype=nb.int16)
    _raises(RuntimeError, r"refer to a single memory location", lambda: v1.__setitem__(None, v1.reshape(1, 1, 1)))


def test_empty_slice_keeps_torch_storage_offset():
    x = nb.zeros(5)
    assert x[7:9].storage_offset() == 5 and x[3:1].storage_offset() == 3
    y = nb.zeros(5, 3)[6:, 1:]
    assert y.storage_offset() == 16 and y.shape == (0, 2) and y.clone().shape == (0, 2)


def test_variance_mean_is_corrected_to_the_last_bit():
    # 10 x -1e300: a two-pass mean off by one ulp would square past float64's range
    check(nb.full((10, 3), -1e300, dtype=nb.float64).std(0, correction=0), np.zeros(3))


def test_mean_checks_dim_before_out_and_names_a_given_dtype():
    # torch wraps dim before it checks out='s dtype (fuzzer seeds 26205154, 26207954), and
    # says "Optional dtype" when the refused dtype was passed as dtype=
    _raises(IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], but got -3\)",
            lambda: nb.mean(nb.zeros(1, 4), -3, out=nb.zeros(4, dtype=nb.bool)))
    _raises(RuntimeError, "result type Float can't be cast to the desired output type Bool",
            lambda: nb.mean(nb.zeros(1, 4), 0, out=nb.zeros(4, dtype=nb.bool)))
    _raises(RuntimeError, "Optional dtype must be either a floating point or complex dtype. Got: Int",
            lambda: nb.mean(nb.zeros(1, 4), 0, dtype=nb.int32))
    _raises(RuntimeError, "Input dtype must be either a floating point or complex dtype. Got: Int",
            lambda: nb.mean(nb.zeros(2, dtype=nb.int32)))
