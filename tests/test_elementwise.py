"""Element-wise ops against NumPy: every op, every dtype, every form, every layout."""
import math

import numpy as np
import pytest

import nbtensor as nb

FLOATS = [nb.float16, nb.float32, nb.float64]
INTS = [nb.uint8, nb.int8, nb.int16, nb.int32, nb.int64]
ALL = [nb.bool] + INTS + FLOATS

UNARY_FLOAT = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2,
    "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda a: 1 / np.sqrt(a),
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "reciprocal": lambda a: 1 / a,
}
UNARY_SAME = {
    "neg": np.negative, "abs": np.abs, "square": np.square, "sign": np.sign,
    "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc,
    "relu": lambda a: np.maximum(a, 0),
}
BINARY_SAME = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum,
    "minimum": np.minimum, "remainder": np.mod, "floor_divide": np.floor_divide,
}
COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
           "gt": np.greater, "ge": np.greater_equal}
LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor}
BITWISE = {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor}


def sample(dtype, shape=(3, 4), positive=False, seed=0):
    rng = np.random.default_rng(seed)
    if dtype is nb.bool:
        return rng.random(shape) < 0.5
    if dtype.is_floating_point:
        a = rng.uniform(0.1 if positive else -3, 3, shape)
        return a.astype(dtype.np)
    lo = 1 if positive else (0 if dtype is nb.uint8 else -20)
    return rng.integers(lo, 20, shape).astype(dtype.np)


def check(result, expected, dtype=None, rtol=None):
    r = result.cpu().numpy()
    expected = np.asarray(expected)
    if dtype is not None:
        assert result.dtype is dtype
    assert r.shape == expected.shape
    if r.dtype.kind == "f":
        tol = rtol or (2e-3 if r.dtype == np.float16 else 2e-6 if r.dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(r.astype(np.float64), expected.astype(np.float64), rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(r, expected)


@pytest.mark.parametrize("name", sorted(UNARY_FLOAT))
@pytest.mark.parametrize("dtype", [nb.float16, nb.float32, nb.float64, nb.int64, nb.bool])
def test_unary_float_ops(name, dtype):
    positive = name in ("log", "log2", "log10", "sqrt", "rsqrt", "reciprocal", "log1p")
    a = sample(dtype, positive=positive)
    if name in ("asin", "acos") and dtype.is_floating_point:
        a = (a / 4).astype(dtype.np)
    x = nb.as_tensor(a)
    result = getattr(nb, name)(x)
    out_dtype = dtype if dtype.is_floating_point else nb.float32
    with np.errstate(all="ignore"):
        expected = UNARY_FLOAT[name](a.astype(np.float64))
    check(result, expected.astype(out_dtype.np), out_dtype, rtol=2e-3 if dtype is nb.float16 else 1e-5)


@pytest.mark.parametrize("name", sorted(UNARY_SAME))
@pytest.mark.parametrize("dtype", [nb.float32, nb.float64, nb.float16, nb.int64, nb.int32, nb.int8, nb.uint8])
def test_unary_same_dtype_ops(name, dtype):
    if name == "neg" and dtype is nb.uint8:
        pytest.skip("negating uint8 wraps in both libraries; covered elsewhere")
    a = sample(dtype)
    result = getattr(nb.as_tensor(a), name)()
    check(result, UNARY_SAME[name](a).astype(dtype.np), dtype)


@pytest.mark.parametrize("name", sorted(BINARY_SAME))
@pytest.mark.parametrize("dtype", [d for d in ALL if d is not nb.bool])
def test_binary_ops_every_dtype(name, dtype):
    a = sample(dtype, seed=1)
    b = sample(dtype, positive=name in ("remainder", "floor_divide"), seed=2)
    result = getattr(nb, name)(nb.as_tensor(a), nb.as_tensor(b))
    with np.errstate(all="ignore"):
        expected = BINARY_SAME[name](a, b)
    check(result, expected, dtype, rtol=1e-2 if dtype is nb.float16 else None)


@pytest.mark.parametrize("name", sorted(COMPARE) + sorted(LOGICAL))
@pytest.mark.parametrize("dtype", ALL)
def test_comparison_and_logic(name, dtype):
    a, b = sample(dtype, seed=3), sample(dtype, seed=4)
    b[0] = a[0]
    fn = {**COMPARE, **LOGICAL}[name]
    check(getattr(nb, name)(nb.as_tensor(a), nb.as_tensor(b)), fn(a, b), nb.bool)


@pytest.mark.parametrize("name", sorted(BITWISE))
@pytest.mark.parametrize("dtype", [nb.bool] + INTS)
def test_bitwise(name, dtype):
    a, b = sample(dtype, seed=5), sample(dtype, seed=6)
    check(getattr(nb, name)(nb.as_tensor(a), nb.as_tensor(b)), BITWISE[name](a, b), dtype)
    check(~nb.as_tensor(a), np.invert(a), dtype)


def test_bool_add_and_mul_are_or_and():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    check(nb.as_tensor(a) + nb.as_tensor(b), a | b, nb.bool)
    check(nb.as_tensor(a) * nb.as_tensor(b), a & b, nb.bool)


def test_division_forms():
    a = np.array([7, -7, 7, -7, 0])
    b = np.array([2, 2, -2, -2, 3])
    x, y = nb.as_tensor(a), nb.as_tensor(b)
    check(x / y, a / b, nb.float32)
    check(nb.div(x, y, rounding_mode="floor"), np.floor_divide(a, b), nb.int64)
    check(nb.div(x, y, rounding_mode="trunc"), np.trunc(a / b).astype(np.int64), nb.int64)
    check(x // y, np.floor_divide(a, b), nb.int64)
    check(x % y, np.mod(a, b), nb.int64)
    check(nb.fmod(x, y), np.fmod(a, b), nb.int64)
    af = a.astype(np.float64)
    xf = nb.as_tensor(af)
    check(nb.div(xf, y, rounding_mode="trunc"), np.trunc(af / b), nb.float64)
    check(nb.fmod(xf, y), np.fmod(af, b), nb.float64)
    check(xf % 2.5, np.mod(af, 2.5), nb.float64)
    with pytest.raises(RuntimeError, match="rounding_mode"):
        nb.div(x, y, rounding_mode="nearest")


def test_pow_forms():
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    x = nb.as_tensor(a)
    check(x ** 2, a ** 2, nb.float32)
    check(2 ** x, 2 ** a, nb.float32)
    check(nb.pow(x, x), a ** a, nb.float32)
    i = nb.tensor([2, 3, 4])
    check(i ** 3, np.array([8, 27, 64]), nb.int64)
    check(i ** 0.5, np.sqrt([2, 3, 4]).astype(np.float32), nb.float32)
    with pytest.raises(RuntimeError, match="negative integer powers"):
        i ** -1


def test_clamp_lerp_where_and_nan():
    a = np.array([-2.0, 0.5, 3.0, np.nan], dtype=np.float32)
    x = nb.as_tensor(a)
    check(nb.clamp(x, -1, 1), np.array([-1, 0.5, 1, np.nan], np.float32), nb.float32)
    check(x.clamp(min=0), np.array([0, 0.5, 3, np.nan], np.float32), nb.float32)
    check(x.clip(max=0), np.array([-2, 0, 0, np.nan], np.float32), nb.float32)
    check(nb.maximum(x, nb.zeros(4)), np.array([0, 0.5, 3, np.nan], np.float32))
    check(nb.fmax(x, nb.zeros(4)), np.array([0, 0.5, 3, 0], np.float32))
    e = nb.as_tensor(np.array([1.0, 1.0, 1.0, 1.0], np.float32))
    check(nb.lerp(x, e, 0.5), a + 0.5 * (1 - a), nb.float32)
    cond = nb.as_tensor(np.array([True, False, True, False]))
    check(nb.where(cond, x, 7), np.where([True, False, True, False], a, 7), nb.float32)
    check(nb.where(cond, nb.tensor([1, 2, 3, 4]), 0.5), np.array([1, 0.5, 3, 0.5], np.float32), nb.float32)
    with pytest.raises(RuntimeError, match="boolean"):
        nb.where(x, x, x)
    check(nb.isnan(x), np.isnan(a), nb.bool)
    check(nb.isinf(nb.tensor([1.0, math.inf, -math.inf])), [False, True, True], nb.bool)
    check(nb.isfinite(nb.tensor([1.0, math.inf, math.nan])), [True, False, False], nb.bool)
    check(nb.sign(nb.tensor([-2.0, 0.0, 3.0])), [-1.0, 0.0, 1.0], nb.float32)


LAYOUTS = {
    "contiguous": lambda a: a,
    "transposed": lambda a: a.T,
    "sliced": lambda a: a[::2, 1::2],
    "permuted3d": lambda a: a.reshape(2, 3, 4).transpose(2, 0, 1),
}


def _nb_layout(name, t):
    return {"contiguous": lambda: t, "transposed": lambda: t.t(),
            "sliced": lambda: t[::2, 1::2], "permuted3d": lambda: t.view(2, 3, 4).permute(2, 0, 1)}[name]()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [nb.float32, nb.int64, nb.float16, nb.bool])
def test_non_contiguous_inputs(layout, dtype):
    a = sample(dtype, (4, 6), seed=7)
    b = sample(dtype, (4, 6), seed=8)
    xa, xb = _nb_layout(layout, nb.as_tensor(a)), _nb_layout(layout, nb.as_tensor(b))
    na, nb_ = LAYOUTS[layout](a), LAYOUTS[layout](b)
    if dtype is nb.bool:
        check(xa & xb, na & nb_, dtype)
        check(xa == xb, na == nb_, nb.bool)
    else:
        check(xa + xb, na + nb_, dtype)
        check(xa * 2, na * 2, dtype)
        check(xa < xb, na < nb_, nb.bool)
        check(-xa if dtype is not nb.float16 else xa.neg(), -na, dtype)


@pytest.mark.parametrize("shapes", [((3, 1), (1, 2)), ((4, 1, 5), (3, 1)), ((0, 3), (1, 3)),
                                    ((2, 0), (2, 1)), ((), (3,)), ((1,), (2, 3)), ((5,), ())])
def test_broadcasting(shapes):
    sa, sb = shapes
    a = np.arange(int(np.prod(sa)), dtype=np.float32).reshape(sa)
    b = np.asarray(np.arange(int(np.prod(sb)), dtype=np.float32).reshape(sb) + 1)
    check(nb.as_tensor(a) + nb.as_tensor(b), a + b, nb.float32)
    check(nb.as_tensor(a) - nb.tensor(b), a - b, nb.float32)


@pytest.mark.large
def test_broadcast_expanded_and_large_inputs():
    a = np.random.default_rng(0).random((300, 400)).astype(np.float32)
    col = np.random.default_rng(1).random((300, 1)).astype(np.float32)
    x, c = nb.as_tensor(a), nb.as_tensor(col)
    check(x + c, a + col)
    check(x + c.expand(300, 400), a + col)
    check(x.t() + x.t(), (a + a).T)
    check(x.t().contiguous(), np.ascontiguousarray(a.T))
    check(x.t() * nb.as_tensor(a.T.copy()), a.T * a.T)
    big = np.random.default_rng(2).random(200_000).astype(np.float32)
    check(nb.as_tensor(big) * 3 + 1, big * 3 + 1)
    check(nb.exp(nb.as_tensor(big)), np.exp(big), rtol=1e-6)
    check(nb.as_tensor(big)[::2] + nb.as_tensor(big)[1::2], big[::2] + big[1::2])


def test_shape_mismatch_names_sizes_and_dimension():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"):
        nb.ones(2, 3) + nb.ones(2, 4)


def test_forms_function_method_operator_out_inplace():
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    b = np.array([10.0, 20.0], np.float32)
    x, y = nb.as_tensor(a.copy()), nb.as_tensor(b)
    check(nb.add(x, y), a + b)
    check(x.add(y), a + b)
    check(x + y, a + b)
    check(y + x, a + b)
    check(nb.add(x, y, alpha=2), a + 2 * b)
    check(nb.sub(x, y, alpha=2), a - 2 * b)
    check(1 - x, 1 - a)
    check(10 / x, 10 / a)
    r = nb.empty(2, 2)
    assert nb.add(x, y, out=r) is r
    check(r, a + b)
    ident = id(x)
    x += y
    assert id(x) == ident
    check(x, a + b)
    z = x.mul_(2)
    assert z is x
    check(x, (a + b) * 2)
    x.sub_(y, alpha=2)
    check(x, (a + b) * 2 - 2 * b)
    x.exp_()
    check(x, np.exp((a + b) * 2 - 2 * b), rtol=1e-5)


def test_inplace_and_out_casting_rules():
    i = nb.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        nb.add(nb.ones(3), 1, out=nb.empty(3, dtype=nb.int64))
    f = nb.zeros(3)
    f += i  # int into float is allowed
    check(f, [1.0, 2.0, 3.0], nb.float32)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        nb.zeros(3).add_(nb.ones(2, 3))
    out = nb.empty(3, dtype=nb.float64)
    nb.mul(i, 2, out=out)
    check(out, [2.0, 4.0, 6.0], nb.float64)


def test_out_is_resized_when_empty():
    out = nb.empty(0)
    nb.add(nb.ones(2, 3), 1, out=out)
    check(out, np.full((2, 3), 2.0, np.float32))


def test_partially_overlapping_writes_raise_as_in_torch():
    # torch refuses a write into dense memory that a dense input overlaps without being it.
    a = np.arange(16.0).reshape(4, 4)
    v = np.arange(10.0)
    _self_add(a)
    x = nb.as_tensor(a.copy())
    with pytest.raises(RuntimeError, match="single memory location"):
        x += x.t()
    y = nb.as_tensor(v.copy())
    with pytest.raises(RuntimeError, match="single memory location"):
        y[1:] += y[:-1]
    with pytest.raises(RuntimeError, match="single memory location"):
        y += y[1:2]
    with pytest.raises(RuntimeError, match="single memory location"):
        nb.add(y[:-1], y[1:], out=y[1:])
    with pytest.raises(RuntimeError, match="single memory location"):
        y[1:].copy_(y[:-1])
    check(y, v)  # nothing was written
    e = nb.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="single memory location"):
        e.add_(1)


def _self_add(a):
    x = nb.as_tensor(a.copy())
    x += x  # the same elements in the same layout: allowed
    check(x, a + a)


def test_overlapping_strided_writes_read_the_old_values():
    # Overlaps torch cannot classify (non-dense views) are allowed; nbtensor reads a copy.
    # Here the destination runs ahead of the source: reading in place would add the sums
    # already written (y[4] += new y[2]), reading a copy adds the old values.
    v = np.arange(1.0, 11.0)
    y = nb.as_tensor(v.copy())
    y[2::2] += y[:8:2]
    expected = v.copy()
    expected[2::2] = v[2::2] + v[:8:2]
    check(y, expected)
    assert expected[4] != v[4] + (v[2] + v[0])  # (the two orders differ)


def test_integer_division_by_zero_raises():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        nb.tensor([1, 2]) // 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        nb.tensor([1, 2]) % nb.tensor([1, 0])
    check(nb.tensor([1.0, -1.0]) / 0, [math.inf, -math.inf])


def test_unsupported_dtypes_raise():
    with pytest.raises(RuntimeError, match="bitwise_and"):
        nb.ones(2) & nb.ones(2)
    with pytest.raises(RuntimeError, match="Negation"):
        -nb.tensor([True])
    with pytest.raises(RuntimeError, match="Subtraction"):
        nb.tensor([True]) - nb.tensor([False])
    with pytest.raises(TypeError):
        nb.ones(2) + "a"


def test_scalar_and_zero_dim_operands():
    x = nb.tensor([1, 2, 3], dtype=nb.uint8)
    check(x + 300, (np.array([1, 2, 3]) + 300).astype(np.uint8), nb.uint8)
    check(x + nb.tensor(2), [3, 4, 5], nb.uint8)
    check(x + nb.tensor(2.5), [3.5, 4.5, 5.5], nb.float32)
    check(nb.tensor(2.0, dtype=nb.float64) + nb.ones(2), [3.0, 3.0], nb.float32)
    check(nb.tensor(2.0) * nb.tensor(3.0), 6.0, nb.float32)
    check(nb.tensor(True) + 1, 2, nb.int64)
    check(nb.ones(0) + 1, np.ones(0) + 1, nb.float32)


def test_float16_computes_and_rounds_back():
    a = np.array([0.1, 1.5, 3.25], np.float16)
    x = nb.as_tensor(a)
    check(x + x, a + a, nb.float16)
    check(x * 2.0, a * 2, nb.float16)
    check(nb.exp(x), np.exp(a), nb.float16)


def test_mixed_devices_message():
    if not nb.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda"):
            nb.ones(2, device="cuda")
        return
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at "
                                           "least two devices, (cuda:0 and cpu|cpu and cuda:0)"):
        nb.ones(2, device="cuda") + nb.ones(2, device="cpu")


@pytest.mark.parametrize("sa, sb", [((256, 10), (256, 1)), ((256, 10), (1, 10)), ((256, 1), (1, 10)),
                                    ((3,), (2, 3)), ((2, 1, 4), (3, 1)), ((0, 3), (1, 3)), ((1,), ()),
                                    # one element against many (read with stride 0), either side
                                    ((10, 1), (1,)), ((1,), (10, 1)), ((), (2, 3)), ((2, 3), (1, 1)),
                                    ((1, 1, 1), (3,)), ((3,), (1, 1)), ((0,), (1,))])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "atan2"])
def test_same_dtype_broadcasts_of_contiguous_tensors(name, sa, sb):
    # the broadcast fast path: contiguous operands of one dtype, shapes that differ;
    # b is a contiguous view at a non-zero offset of a larger storage
    rng = np.random.default_rng(1)
    a = rng.random(sa).astype(np.float32)
    big = rng.random(int(np.prod(sb)) + 3).astype(np.float32)
    b = big[3:].reshape(sb)
    tb = nb.as_tensor(big)[3:].reshape(sb)
    for _ in range(2):  # the second call reuses the remembered broadcast
        result = getattr(nb, name)(nb.as_tensor(a), tb)
        check(result, getattr(np, {"div": "divide", "sub": "subtract", "mul": "multiply",
                                    "atan2": "arctan2"}.get(name, name))(a, b), nb.float32)
        assert result.is_contiguous()
    with pytest.raises(RuntimeError, match="must match the size"):
        getattr(nb, name)(nb.ones(2, 3), nb.ones(4))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "atan2"])
@pytest.mark.parametrize("dtype", [nb.float32, nb.float64])
def test_inplace_and_out_of_contiguous_operands(name, dtype):
    # the in-place / out= fast path: contiguous operands of the target's dtype and shape,
    # the target at a non-zero offset of a larger storage, or itself an operand
    np_name = {"div": "divide", "sub": "subtract", "mul": "multiply", "atan2": "arctan2", "pow": "power"}
    ref = getattr(np, np_name.get(name, name))
    rng = np.random.default_rng(2)
    a = rng.random((4, 5)).astype(dtype.np) + 0.5
    b = rng.random((4, 5)).astype(dtype.np) + 0.5
    big = np.zeros(23, dtype.np)
    target = nb.as_tensor(big)[3:].view(4, 5)
    got = getattr(nb, name)(nb.as_tensor(a), nb.as_tensor(b), out=target)
    assert got is target
    check(target, ref(a, b), dtype)
    assert not big[:3].any()  # nothing written before the view
    x, y = nb.as_tensor(a.copy()), nb.as_tensor(b.copy())
    assert getattr(x, name + "_")(y) is x
    check(x, ref(a, b), dtype)
    x = nb.as_tensor(a.copy())
    getattr(x, name + "_")(x)  # the operand is the target itself
    check(x, ref(a, a), dtype)
    x, y = nb.as_tensor(a.copy()), nb.as_tensor(b.copy())
    getattr(nb, name)(x, y, out=y)  # out= is the second operand
    check(y, ref(a, b), dtype)
    if name != "atan2":  # (torch's atan2 takes tensors only)
        x = nb.as_tensor(a.copy())
        getattr(x, name + "_")(3)  # an int into a float tensor
        check(x, ref(a, dtype.np.type(3)), dtype)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "atan2"])
@pytest.mark.parametrize("other_shape, layout", [((), "expanded"), ((5,), "row"), ((4, 1), "column"),
                                                 ((4, 5), "transposed"), ((4, 5), "expanded")])
def test_inplace_and_out_with_broadcast_or_strided_operands(name, other_shape, layout):
    # the in-place / out= fast path with an operand in another layout (an expanded gradient
    # accumulating into .grad, a bias row, a transposed matrix) against NumPy
    ref = getattr(np, {"div": "divide", "sub": "subtract", "mul": "multiply", "atan2": "arctan2",
                       "pow": "power"}.get(name, name))
    rng = np.random.default_rng(5)
    a = rng.random((4, 5)).astype(np.float32) + 0.5
    b = rng.random(other_shape).astype(np.float32) + 0.5
    other = nb.as_tensor(b)
    if layout == "transposed":
        other = nb.as_tensor(np.ascontiguousarray(b.T)).t()
    elif layout == "expanded":
        other = nb.as_tensor(b.reshape(-1)[:1].copy()).reshape(()).expand(4, 5)
        b = np.full((4, 5), b.reshape(-1)[0], np.float32)
    x = nb.as_tensor(a.copy())
    assert getattr(x, name + "_")(other) is x
    check(x, ref(a, b), nb.float32)
    target = nb.empty(4, 5)
    getattr(nb, name)(nb.as_tensor(a), other, out=target)
    check(target, ref(a, b), nb.float32)


@pytest.mark.parametrize("dtype", [nb.float32, nb.float64, nb.int32])
def test_inplace_runs_long_enough_to_vectorise(dtype):
    # the kernels' in-place loops (the target read through its own slice) over more elements
    # than a vector holds, for each stride pattern: a tensor, a number, a broadcast row, two
    # numbers (clamp); the target at an offset in its storage, and as its own operand
    rng = np.random.default_rng(11)
    a = (rng.random((37, 29)) * 8 - 4).astype(dtype.np)
    b = (rng.random((37, 29)) * 8 - 4).astype(dtype.np)
    row = (rng.random(29) * 8 - 4).astype(dtype.np)
    cases = [("add_", (b,), lambda: a + b), ("sub_", (b,), lambda: a - b), ("mul_", (3,), lambda: a * dtype.np.type(3)),
             ("add_", (row,), lambda: a + row), ("clamp_", (-1, 2), lambda: np.clip(a, -1, 2)),
             ("mul_", ("self",), lambda: a * a), ("abs_", (), lambda: np.abs(a))]
    if dtype.is_floating_point:
        cases += [("add_", (b, 0.5), None), ("relu_", (), lambda: np.maximum(a, 0)), ("exp_", (), lambda: np.exp(a))]
    for name, args, expected in cases:
        storage = nb.zeros(7 + a.size, dtype=dtype)
        storage[7:] = nb.as_tensor(a.reshape(-1))
        x = storage[7:].view(a.shape)
        operands = [nb.as_tensor(v) if isinstance(v, np.ndarray) else x if v == "self" else v for v in args]
        if name == "add_" and len(args) == 2:  # alpha: one rounding of a + alpha * b, as torch
            getattr(x, name)(operands[0], alpha=operands[1])
            want = (a.astype(np.float64) + 0.5 * b.astype(np.float64)).astype(dtype.np)
        else:
            getattr(x, name)(*operands)
            want = expected()
        np.testing.assert_allclose(x.cpu().numpy(), want, rtol=2e-6 if dtype is nb.float32 else 1e-12, err_msg=name)
        assert not storage[:7].cpu().numpy().any()


def test_out_of_another_shape_takes_the_results_shape():
    # an out= whose shape differs from the broadcast of the operands is resized (torch warns),
    # never written as a broadcast of a smaller result (found by the fuzzer)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = nb.zeros(3, dtype=nb.int64)
        nb.bitwise_or(nb.ones(1, dtype=nb.int64), nb.ones(1, dtype=nb.int64), out=out)
        assert out.shape == (1,)
        out = nb.zeros(2, 3)
        nb.abs(nb.tensor(-2.0), out=out)
        assert out.shape == ()
        check(out, np.float32(2.0))
        out = nb.zeros(2, 3)
        nb.add(nb.ones(3), nb.ones(2, 1), out=out)  # the result's shape, written whole
        check(out, np.full((2, 3), 2.0, np.float32))


def test_inplace_fast_path_leaves_errors_to_the_general_path():
    x = nb.ones(3)
    with pytest.raises(RuntimeError, match="can't be cast"):
        nb.ones(3, dtype=nb.int64).add_(nb.ones(3))  # a float result into an int tensor
    with pytest.raises(RuntimeError, match="can't be cast"):
        nb.ones(3, dtype=nb.int64).mul_(1.5)
    v = nb.arange(6.0)
    with pytest.raises(RuntimeError, match="single memory location"):
        nb.add(v[:3], x, out=v[1:4])  # out= overlaps an operand without being it
    check(v, np.arange(6.0))


@pytest.mark.cpu_only  # memory shared with NumPy arrays (as_tensor copies on other devices)
def test_inplace_fast_path_leaves_numpy_memory_checks_to_the_general_path():
    x = nb.ones(3)
    ro = np.ones(3, np.float32)
    ro.flags.writeable = False
    with pytest.raises(RuntimeError, match="read-only"):
        nb.as_tensor(ro).add_(x)
    shared = np.arange(6.0, dtype=np.float32)
    t, u = nb.from_numpy(shared[:4]), nb.from_numpy(shared[2:])
    with pytest.raises(RuntimeError, match="single memory location"):
        t.add_(u)  # two views of one NumPy array


# Two-dimensional layouts (after merging dimensions) run the 2-D kernel: operand rows that
# start at an offset and step by a stride, a broadcast row or column, a transposed operand.
TWO_D_CASES = {
    "column broadcast": lambda x, c, r: x - c,
    "row broadcast": lambda x, c, r: x * r,
    "column first": lambda x, c, r: c + x,
    "transposed": lambda x, c, r: x.T + x.T,
    "transposed and plain": lambda x, c, r: x.T[:4] - x[:, :6].T[:4],
    "sliced": lambda x, c, r: x[1:, ::2] / 3,
    "number": lambda x, c, r: x[:, 1:] ** 2,
    "unary": lambda x, c, r: np.exp(x[:, ::3]) if isinstance(x, np.ndarray) else x[:, ::3].exp(),
    "transposed copy": lambda x, c, r: np.ascontiguousarray(x.T) if isinstance(x, np.ndarray) else x.t().contiguous(),
    "clone": lambda x, c, r: x[::2, 1:].copy() if isinstance(x, np.ndarray) else x[::2, 1:].clone(),
}


@pytest.mark.parametrize("dtype", [nb.float32, nb.float64, nb.float16, nb.int32])
@pytest.mark.parametrize("case", sorted(TWO_D_CASES))
def test_two_dimensional_layouts_match_numpy(case, dtype):
    if dtype is nb.int32 and case in ("sliced", "unary"):
        pytest.skip("integer division and exp promote: covered by the promotion tests")
    x, c, r = sample(dtype, (9, 13), seed=1), sample(dtype, (9, 1), seed=2), sample(dtype, (13,), seed=3)
    fn = TWO_D_CASES[case]
    result = fn(nb.as_tensor(x), nb.as_tensor(c), nb.as_tensor(r))
    with np.errstate(over="ignore"):
        expected = fn(x, c, r)
    check(result, expected, dtype if dtype.is_floating_point or case != "sliced" else None)
    if case == "transposed copy":
        assert result.is_contiguous()


@pytest.mark.cpu_kernels
def test_two_dimensional_layouts_reach_the_2d_kernel(monkeypatch):
    from nbtensor.backends.cpu import elementwise as cpu_elementwise
    seen = []
    real = cpu_elementwise.kernel
    monkeypatch.setattr(cpu_elementwise, "kernel", lambda op, variant: seen.append(variant) or real(op, variant))
    x = np.arange(12.0).reshape(3, 4)
    t = nb.as_tensor(x)
    check(t.t().contiguous(), x.T)             # the copy's launcher
    out = nb.zeros(4, 3, dtype=nb.float64)
    out.t().copy_(t)                           # a write through a transposed view
    check(out, x.T)
    assert seen.count("_2d") == 2 and "_nd" not in seen


@pytest.mark.parametrize("dtype", [nb.float32, nb.float64, nb.int64, nb.int32, nb.float16])
@pytest.mark.parametrize("other", [0.0, -2, 2.5, 1e39, "tensor", "tensor of another dtype", True])
def test_where_with_a_mask_a_tensor_and_a_number_or_tensor_matches_numpy(dtype, other):
    # the common forms take a fast path; the others (promotion, overflow, bool) the general one
    x = sample(dtype, (7, 5), seed=4)
    mask = sample(nb.bool, (7, 5), seed=5)
    if other == "tensor":
        y = sample(dtype, (7, 5), seed=6)
        ty = nb.as_tensor(y)
    elif other == "tensor of another dtype":
        y = sample(nb.float64, (7, 5), seed=6)
        ty = nb.as_tensor(y)
    else:
        y = ty = other
    tx, tmask = nb.as_tensor(x), nb.as_tensor(mask)
    if isinstance(ty, nb.Tensor):
        expected_dtype = nb.promote_types(dtype, ty.dtype)
    elif type(other) is float and not dtype.is_floating_point:
        expected_dtype = nb.float32  # (the default dtype)
    else:
        expected_dtype = dtype
    if other == 1e39 and expected_dtype is nb.float32:  # torch checks the number's range, except into half
        with pytest.raises(RuntimeError, match="value cannot be converted to type float without overflow"):
            nb.where(tmask, tx, ty)
        return
    with np.errstate(over="ignore"):
        expected = np.where(mask, x, y).astype(expected_dtype.np)
    check(nb.where(tmask, tx, ty), expected, expected_dtype)
    check(tx.where(tmask, ty), expected, expected_dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int16", "uint8"])
def test_square_by_pow_two_matches_numpy_in_every_layout(dtype):
    # x ** 2 runs the square kernel (x * x, as torch's pow special-cases 2); values as NumPy's
    a = (np.random.default_rng(3).standard_normal((5, 6)) * 7).astype(dtype)
    x = nb.tensor(a)
    for got, expected in ((x ** 2, a ** 2), (x.t() ** 2, a.T ** 2), (x[:, 1] ** 2, a[:, 1] ** 2),
                          (nb.pow(x, 2), a ** 2), (x.pow(2.0), a ** 2.0)):
        np.testing.assert_array_equal(got.cpu().numpy(), expected)
    assert (x ** 2).dtype == x.dtype


def test_writing_a_number_into_a_strided_column_writes_only_that_column():
    a = np.arange(40.0, dtype=np.float32).reshape(8, 5)
    x = nb.tensor(a)
    x[:, 2] = 1.5
    x[1::3, 4] = -0.0
    a[:, 2] = 1.5
    a[1::3, 4] = -0.0
    got = x.cpu().numpy()
    np.testing.assert_array_equal(got, a)
    assert np.array_equal(np.signbit(got), np.signbit(a))
