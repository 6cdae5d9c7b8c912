"""Matrix products: mm, bmm, matmul/@, mv, dot, vdot and the fused add-forms
(addmm, addbmm, addmv, baddbmm).

On the CPU all of them end in `np.matmul`/`np.dot` on zero-copy host views of the
operands, so floating products run in NumPy's BLAS; integer products use NumPy's exact
integer loops (no float round trip). float16 is computed in float32 and rounded once at
the end.

On any other device the operands stay there: every product is expressed as batched
(b x n x k) @ (b x k x p) products over views of the operands' storage (vectors are 1 x k
rows or k x 1 columns, broadcast batch dimensions have stride 0, batch dimensions that no
single stride walks are copied together first) and computed by the device backend's
`matmul` primitive (`backends.base.Backend.matmul`); float16 operands are cast to float32
on the device and the result back, and the add-forms scale and add with element-wise ops
there (see "other devices" below). The validation, and so every error, is the same on
every device: the device branch is taken after it.
"""
import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.backends.base import backend_for
from nbtensor.backends.host import run_split, split_ranges
from nbtensor.dispatch.out import check_out_dtype
from nbtensor.core.device import CPU
from nbtensor.ops.elementwise import OPS_BY_NAME, apply
from nbtensor.ops.linalg.util import (array_of, arrays, check_args, check_out, finish, not_implemented, upcast,
                                      write_inplace)
from nbtensor.core.plan import broadcast_shapes, broadcast_strides, broadcasts_to, contiguous_strides
from nbtensor.dispatch.tensor import Tensor, _numel, _overlaps, check_writable, copy_into, empty_tensor, make, make_view
from nbtensor.ops.views import expand

__all__ = ["mm", "bmm", "matmul", "mv", "dot", "vdot", "addmm", "addbmm", "addmv", "baddbmm"]


# ---------------------------------------------------------------- the shared core
def _blas_ready(a):
    """`a`, or a row-major copy when its last two strides are neither row- nor
    column-major with unit inner stride (NumPy's matmul would then skip BLAS and run its
    slow generic loop)."""
    if a.ndim < 2 or a.dtype.kind != "f":
        return a
    s0, s1 = a.strides[-2:]
    n0, n1 = a.shape[-2:]
    it = a.itemsize
    if (s1 == it and s0 % it == 0 and s0 >= n1 * it) or (s0 == it and s1 % it == 0 and s1 >= n0 * it):
        return a
    return np.ascontiguousarray(a)


# A stack of small float matrices: NumPy makes one BLAS call per matrix and OpenBLAS runs
# each on one thread, so the stack is shared out among threads (np.matmul releases the GIL).
# 64 x (64 x 64): 1.7x (float32) and 1.36x (float64) faster than one np.matmul here.
_SMALL_MATRIX_WORK = 128 ** 3   # n*k*p up to which a single product stays single-threaded
_SPLIT_WORK = 1 << 21           # b*n*k*p from which handing half to a thread pays


def _matmul(x, y, out=None):
    """``np.matmul(x, y, out=out)``, with stacks of small float matrices split over threads."""
    if (x.ndim == 3 and y.ndim == 3 and x.shape[0] == y.shape[0] > 1 and x.dtype.kind == "f"
            and y.dtype == x.dtype):
        b, n, k = x.shape
        p = y.shape[2]
        if n * k * p <= _SMALL_MATRIX_WORK and b * n * k * p >= _SPLIT_WORK and (
                out is None or not (np.may_share_memory(out, x) or np.may_share_memory(out, y))):
            ranges = split_ranges(b, threshold=2)
            if len(ranges) > 1:
                out = np.empty((b, n, p), x.dtype) if out is None else out
                run_split(ranges, lambda lo, hi: np.matmul(x[lo:hi], y[lo:hi], out=out[lo:hi]))
                return out
    if x.dtype.kind == "f" and x.ndim == 2 and y.ndim == 2 and x.shape[1] == 1 and x.shape[0] > 1 and y.shape[1] > 1:
        # an outer product: torch's GEMM keeps each product's sign of zero, where NumPy's
        # BLAS adds it to +0. (a single row or column goes through GEMV there: +0.)
        return np.multiply(x, y, out=out)
    return np.matmul(x, y, out=out)


def _compute(x, y, dtype):
    """A fresh ``x @ y`` of ndarrays in the compute dtype (float32 for float16)."""
    return _matmul(_blas_ready(upcast(x, dtype)), _blas_ready(upcast(y, dtype)))


def _product(x, y, dtype, out, shape, device):
    """``x @ y`` (host arrays whose product has `shape`) as a tensor of `dtype` on `device`,
    or written into `out`. When a CPU `out` already has the right dtype and shape, NumPy
    writes straight into it (buffering the result itself when `out` overlaps an operand)."""
    if (out is not None and out.device is CPU and dtype is not dt.float16 and out.dtype is dtype
            and out._shape == shape):
        check_writable(out)
        _matmul(_blas_ready(x), _blas_ready(y), out=out.numpy())
        return out
    return finish(_compute(x, y, dtype), dtype, out, device)


def _dims(shape):
    return "x".join(str(s) for s in shape)


def _no_bool(kernel, dtype):
    if dtype is dt.bool:
        raise not_implemented(kernel, dtype)


# ---------------------------------------------------------------- other devices
# Products on a device other than the CPU: views of the operands' storage handed to the
# device backend's `matmul` primitive ((b, n, k) @ (b, k, p) with strides in elements), no
# host round trip. Each op branches here after its validation (`device is not CPU`).
def _merged_stride(shape, strides):
    """The one stride that walks the dimensions `shape` (row-major order) as a single
    dimension, or None when no single stride does (0 when all sizes are 1)."""
    last = None
    for size, stride in zip(shape, strides):
        if size == 1:
            continue
        if last is not None and last != stride * size:
            return None
        last = stride
    return 0 if last is None else last


def _as_matrix(t):
    """`t`'s (shape, strides) as a matrix or a stack of matrices: a vector is a 1 x k row."""
    if len(t._shape) == 1:
        return (1,) + t._shape, (0,) + t._strides
    return t._shape, t._strides


def _as_column(t):
    """`t`'s (shape, strides), a vector as a k x 1 column."""
    if len(t._shape) == 1:
        return t._shape + (1,), t._strides + (0,)
    return t._shape, t._strides


def _stacked(t, shape, strides, batch):
    """The operand ``(storage, offset, (b, r, c), strides)`` of the matrices of `t` (viewed
    with `shape`/`strides`, a matrix or a stack) broadcast to the batch dimensions `batch`:
    a broadcast dimension strides by 0; batch dimensions no single stride walks are first
    copied into one contiguous stack on the device."""
    bstrides = broadcast_strides(shape[:-2], strides[:-2], batch)
    step = _merged_stride(batch, bstrides)
    if step is None:
        t = make_view(t._storage, t._offset, batch + shape[-2:], bstrides + strides[-2:], t.dtype).contiguous()
        strides = t._strides[-2:]
        step = shape[-2] * shape[-1]
    return (t._storage, t._offset, (_numel(batch),) + shape[-2:], (step,) + strides[-2:])


def _device_product(a, b, into=None):
    """NumPy's matmul of tensors `a` and `b` (already in the compute dtype; a 1-D `a` is a
    row, a 1-D `b` a column, batch dimensions broadcast) on their device, by its backend's
    `matmul`: a new contiguous tensor of the result's shape, or written into `into` (a
    contiguous, writable tensor of that shape and dtype that overlaps neither operand)."""
    (ashape, astrides), (bshape, bstrides) = _as_matrix(a), _as_column(b)
    n, k, p = ashape[-2], ashape[-1], bshape[-1]
    batch = broadcast_shapes(ashape[:-2], bshape[:-2])
    shape = batch + ((n,) if a.dim() > 1 else ()) + ((p,) if b.dim() > 1 else ())
    out = empty_tensor(shape, a.dtype, a.device) if into is None else into
    if _numel(shape) == 0:
        return out
    if k == 0:
        return out.zero_()
    rows = _merged_stride(ashape[:-1], astrides[:-1]) if len(bshape) == 2 else None
    if rows is not None:
        # one matrix on the right: the left operand's batch dimensions fold into its rows
        m = _numel(ashape[:-1])
        x = (a._storage, a._offset, (1, m, k), (0, rows, astrides[-1]))
        y = (b._storage, b._offset, (1, k, p), (0,) + bstrides)
        dims = (1, m, p)
    else:
        x = _stacked(a, ashape, astrides, batch)
        y = _stacked(b, bshape, bstrides, batch)
        dims = (_numel(batch), n, p)
    backend_for(out.device).matmul(x, y, (out._storage, out._offset, dims, contiguous_strides(dims)))
    return out


def _device_compute(a, b, dtype):
    """`_device_product` of `a` and `b` in the compute dtype of `dtype` (float32 for float16)."""
    if dtype is dt.float16:
        a, b = a.to(dt.float32), b.to(dt.float32)
    return _device_product(a, b)


def _device_finish(result, dtype, out):
    """The device's `finish`: the fresh tensor `result` as a tensor of `dtype` (float16
    results are rounded once, from float32), or written into `out` (torch's checks)."""
    if result.dtype is not dtype:
        result = result.to(dtype)
    if out is None:
        return result
    check_out(out, result._shape, dtype)
    copy_into(out, result)
    return out


def _device_matmul(a, b, dtype, shape, out):
    """The product `a` @ `b` (validated; NumPy's matmul rules, of `shape` and `dtype`) on
    their device, returned or written into `out`. An `out` that already is a contiguous
    tensor of `shape` and `dtype` on that device, sharing no memory with an operand,
    receives the product directly."""
    if (type(out) is Tensor and out.dtype is dtype and dtype is not dt.float16 and out._shape == shape and out.is_contiguous()
            and not _overlaps(out, a) and not _overlaps(out, b)):
        check_writable(out)
        return _device_product(a, b, into=out)
    return _device_finish(_device_compute(a, b, dtype), dtype, out)


def _device_fused(input, product, shape, beta, alpha, out):
    """The device's `_fused`: ``beta * input + alpha * product`` with `input` broadcast to
    `shape` (torch's expand error), `product` a fresh tensor in the compute dtype; with
    beta == 0 `input` is ignored entirely (NaN and inf in it do not propagate), as in torch."""
    inp = expand(input, shape)
    dtype = input.dtype
    alpha, beta = _scalar_for(alpha, dtype), _scalar_for(beta, dtype)
    mul = OPS_BY_NAME["mul"]
    if alpha != 1:
        apply(mul, (product, alpha), inplace=True)
    if beta != 0:
        if dtype is dt.float16:
            inp = inp.to(dt.float32)
        apply(OPS_BY_NAME["add"], (product, inp if beta == 1 else apply(mul, (inp, beta))), inplace=True)
    return _device_finish(product, dtype, out)


def _stack_of_rows(t):
    """(nb, n, k) as the n x (nb*k) matrix [t[0] t[1] ...] (a view, or a copy on the device)."""
    nb, n, k = t._shape
    view = make_view(t._storage, t._offset, (n, nb, k), (t._strides[1], t._strides[0], t._strides[2]), t.dtype)
    if _merged_stride((nb, k), (t._strides[0], t._strides[2])) is None:
        view = view.contiguous()
    step = _merged_stride((nb, k), (view._strides[1], view._strides[2]))
    return make_view(view._storage, view._offset, (n, nb * k), (view._strides[0], step), t.dtype)


def _stack_of_columns(t):
    """(nb, k, p) as the (nb*k) x p matrix [t[0]; t[1]; ...] (a view, or a copy)."""
    nb, k, p = t._shape
    if _merged_stride((nb, k), t._strides[:2]) is None:
        t = t.contiguous()
    step = _merged_stride((nb, k), t._strides[:2])
    return make_view(t._storage, t._offset, (nb * k, p), (step, t._strides[2]), t.dtype)


# ---------------------------------------------------------------- validation by op
def _check_mm(sa, sb, first="self"):
    """torch's checks for a (n x k) @ (k x p) product of shapes `sa`, `sb`; returns the
    result shape. `first` is how torch names the left operand ("self" in mm)."""
    if len(sa) != 2:
        raise RuntimeError(f"{first} must be a matrix" if first == "self" else
                           f"{first} must be a matrix, got {len(sa)}-D tensor")
    if len(sb) != 2:
        raise RuntimeError("mat2 must be a matrix" if first == "self" else
                           f"mat2 must be a matrix, got {len(sb)}-D tensor")
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(sa)} and {_dims(sb)})")
    return (sa[0], sb[1])


def _computes(shape, k):
    """Whether torch runs a product kernel (and so checks its dtype) for a result of `shape`
    summing over `k`: not when the result is empty, nor when k == 0 (the result is zeros)."""
    return k != 0 and _numel(shape) != 0


def _check_mm_dtypes(a, b, shape, k):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype.cpp_name} != {b.dtype.cpp_name}")
    if _computes(shape, k):
        _no_bool("addmm_impl_cpu_", a.dtype)


def _check_bmm(sa, sb):
    """torch's checks for (b x n x k) @ (b x k x p); returns the result shape."""
    if len(sa) != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if len(sb) != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if sb[:2] != (sa[0], sa[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    return (sa[0], sa[1], sb[2])


def _check_scalar_type(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype.c_name} but found {b.dtype.c_name}")


def _check_mv(smat, svec, dtypes, input_shape=None):
    """torch's checks for mat @ vec (shapes `smat`, `svec`; `dtypes` of input, mat, vec;
    `input_shape` for addmv); returns the result length."""
    input_dim = 1 if input_shape is None else max(len(input_shape), 1)
    if len(smat) != 2 or len(svec) != 1 or input_dim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input_dim}, {len(smat)}, {len(svec)}")
    n, k = smat
    input_len = n if not input_shape else input_shape[0]
    if k != svec[0] or input_len not in (1, n):
        raise RuntimeError(f"size mismatch, got input ({input_len}), mat ({n}x{k}), vec ({svec[0]})")
    if not (dtypes[0] is dtypes[1] is dtypes[2]):
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{dtypes[0].c_name}, {dtypes[1].c_name}, and {dtypes[2].c_name}")
    if n and k:  # torch computes nothing for an empty result or k == 0 (zeros)
        _no_bool("addmv_impl_cpu", dtypes[1])
    return n


def _mv_dtypes(mat, vec):
    # mv's result (torch's `self` in the addmv message) is made with the vector's dtype
    return (vec.dtype, mat.dtype, vec.dtype)


def _check_dot(a, b, fname="dot"):
    if a.dim() != 1 or b.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a._shape[0] != b._shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a._shape[0]}] and src [{b._shape[0]}] to have "
            f"the same number of elements, but got {a._shape[0]} and {b._shape[0]} elements respectively")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{fname} : expected both vectors to have same dtype, but found "
                           f"{a.dtype.c_name} and {b.dtype.c_name}")
    _no_bool("dot", a.dtype)


# ---------------------------------------------------------------- products
_FAST_PRODUCT_DTYPES = (dt.float32, dt.float64)


# multiply-adds up to which a loop kernel beats NumPy's matmul call and the views it needs
# (measured on float32: (10, 2) @ (2, 1) 0.3 us against 1.3; equal near 16x16x16)
_SMALL_PRODUCT = 4096
_CPU = backend_for(CPU)


def _matrix_view(t):
    """`t` (2-D, on the CPU) as an ndarray over its storage when it is row-major or a
    transposed row-major matrix (what x and x.t() give); else None."""
    n, k = t._shape
    s0, s1 = t._strides
    storage, offset = t._storage, t._offset
    if offset or storage.size != n * k:  # (a whole storage as it is: slicing one costs ~0.2 us)
        storage = storage[offset:offset + n * k]
    if s1 == 1 and s0 == k:
        return storage.reshape(n, k)
    if s0 == 1 and s1 == n:
        return storage.reshape(k, n).T
    return None


def _fast_matrix_product(a, b):
    """``a @ b`` for two float32 or float64 CPU matrices of one dtype into a non-empty result:
    up to `_SMALL_PRODUCT` multiply-adds, in any layout, one loop kernel; above, when laid out
    as `_matrix_view` takes them and multiplying over k > 1 (k == 1 is an outer product: see
    `_matmul`), one BLAS call into a fresh storage. None for anything else (the general path
    checks and raises)."""
    if (type(a) is not Tensor or type(b) is not Tensor or a.dtype is not b.dtype
            or a.dtype not in _FAST_PRODUCT_DTYPES or a.device is not CPU or b.device is not CPU
            or len(a._shape) != 2 or len(b._shape) != 2):
        return None
    (n, k), (k2, p) = a._shape, b._shape
    if k != k2 or n == 0 or p == 0:
        return None
    if n * k * p <= _SMALL_PRODUCT and k:
        store = _CPU.allocate(n * p, a.dtype.np)
        _CPU.launch("products", "small_matmul", store, a._storage, a._offset, *a._strides,
                    b._storage, b._offset, *b._strides, n, k, p)
        return make(store, 0, (n, p), (p, 1), a.dtype, True)
    if k < 2:
        return None
    x, y = _matrix_view(a), _matrix_view(b)
    if x is None or y is None:
        return None
    store = _CPU.allocate(n * p, a.dtype.np)
    np.dot(x, y, out=store.reshape(n, p))  # (the same BLAS call as np.matmul's, ~0.4 us less around it)
    return make(store, 0, (n, p), (p, 1), a.dtype, True)


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors (n x k) @ (k x p) -> (n x p)."""
    if out is None:
        fast = _fast_matrix_product(input, mat2)
        if fast is not None:
            return fast
    device = check_args("mm", ("input", "mat2"), (input, mat2), out)
    shape = _check_mm(input._shape, mat2._shape)
    if isinstance(out, Tensor):
        check_out_dtype(out, input.dtype)  # torch checks out= before the operands' dtypes
    _check_mm_dtypes(input, mat2, shape, input._shape[1])
    if device is not CPU:
        return _device_matmul(input, mat2, input.dtype, shape, out)
    x, y = arrays(input, mat2)
    return _product(x, y, input.dtype, out, shape, device)


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-D tensors (b x n x k) @ (b x k x p) -> (b x n x p)."""
    device = check_args("bmm", ("input", "mat2"), (input, mat2), out)
    shape = _check_bmm(input._shape, mat2._shape)
    if not _computes(shape, input._shape[2]):
        return _zeros_product(shape, mat2.dtype, out, device)
    _no_bool("bmm", input.dtype)
    _check_scalar_type(input, mat2)
    if device is not CPU:
        return _device_matmul(input, mat2, input.dtype, shape, out)
    x, y = arrays(input, mat2)
    return _product(x, y, input.dtype, out, shape, device)


def _zeros_product(shape, dtype, out, device):
    """A batched product torch does not compute (an empty result, or k == 0: zeros): no
    dtype checks, and the result takes the second operand's dtype, as torch's does."""
    return finish(np.zeros(shape, dtype.np), dtype, out, device)


def mv(input, vec, *, out=None):
    """Matrix-vector product (n x k) @ (k) -> (n)."""
    device = check_args("mv", ("input", "vec"), (input, vec), out)
    n = _check_mv(input._shape, vec._shape, _mv_dtypes(input, vec))
    if device is not CPU:
        return _device_matmul(input, vec, input.dtype, (n,), out)
    x, y = arrays(input, vec)
    return _product(x, y, input.dtype, out, (n,), device)


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors of equal length, as a 0-d tensor (torch names the
    second argument `tensor`)."""
    other = tensor
    device = check_args("dot", ("input", "tensor"), (input, other), out)
    _check_dot(input, other)
    if device is not CPU:
        return _device_matmul(input, other, input.dtype, (), out)
    x, y = arrays(input, other)
    return finish(np.dot(upcast(x, input.dtype), upcast(y, input.dtype)), input.dtype, out, device)


def vdot(input, other, *, out=None):
    """Dot product conjugating the first vector (the same as `dot` for real tensors)."""
    device = check_args("vdot", ("input", "other"), (input, other), out)
    _check_dot(input, other)
    if device is not CPU:  # (real dtypes only: conjugating changes nothing)
        return _device_matmul(input, other, input.dtype, (), out)
    x, y = arrays(input, other)
    return finish(np.vdot(upcast(x, input.dtype), upcast(y, input.dtype)), input.dtype, out, device)


def matmul(input, other, *, out=None):
    """torch's matmul: dot for 1-D @ 1-D, matrix-vector and vector-matrix products, mm for
    2-D, and batched products that broadcast the leading (batch) dimensions."""
    if out is None:
        fast = _fast_matrix_product(input, other)
        if fast is not None:
            return fast
    device = check_args("matmul", ("input", "other"), (input, other), out)
    da, db = input.dim(), other.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other, out=out)
    if db == 1 and da == 2:
        return mv(input, other, out=out)
    if db <= 2 and _folds(input, other, out):
        return _matmul_folded(input, other, out, device)
    if db == 1:  # (torch's unfolded path: a batch of matrix-column products, bmm's checks)
        return _matmul_batched(input, other.unsqueeze(-1), out, device).squeeze(-1)
    if da == 1 and _folds_transposed(other):
        # torch folds other.mT into a matrix (no copy needed) and runs mv: mv's checks
        *batch, k, p = other._shape
        _check_mv((_numel(batch) * p, k), input._shape, (input.dtype, other.dtype, input.dtype))
    return _matmul_batched(input, other, out, device)


def _folds(a, b, out):
    """torch's should_fold for (..., n, k) @ (k, p): with out=, a `b` requiring grad, an
    empty or 2-D `a`, or one whose batch dimensions view as rows without a copy; otherwise
    torch broadcasts `b` over the batch (bmm, whose checks differ: bool before dtypes)."""
    if out is not None or len(a._shape) < 3 or _numel(a._shape) == 0 or b.requires_grad:
        return True
    shape, strides = a._shape, a._strides
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _folds_transposed(b):
    """torch's should_fold for vector @ batched matrices: ``b.mT`` is empty, or its leading
    dimensions view as rows without a copy."""
    if _numel(b._shape) == 0:
        return True
    shape = b._shape[:-2] + (b._shape[-1], b._shape[-2])
    strides = b._strides[:-2] + (b._strides[-1], b._strides[-2])
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _matmul_folded(a, b, out, device):
    """(..., n, k) @ (k[, p]) and (k) @ (k, p): the batch dims fold into the rows of one
    2-D product (one BLAS call), as torch does."""
    batch = a._shape[:-1]
    rows, k = _numel(batch), a._shape[-1]
    if b.dim() == 1:
        _check_mv((rows, k), b._shape, _mv_dtypes(a, b))
        shape = batch
    else:
        _check_mm((rows, k) if a.dim() > 1 else (1, k), b._shape)
        shape = batch + (b._shape[1],)
        _check_mm_dtypes(a, b, shape, k)
    if device is not CPU:
        return _device_matmul(a, b, a.dtype, shape, out)
    x, y = arrays(a, b)
    if a.dim() == 2:
        return _product(x, y, a.dtype, out, shape, device)
    return finish(_compute(x.reshape(rows, k), y, a.dtype).reshape(shape), a.dtype, out, device)


def _matmul_batched(a, b, out, device):
    """Products with a batched second operand: batch dims broadcast (NumPy's rule)."""
    batch = broadcast_shapes(a._shape[:-2], b._shape[:-2])
    k1, k2 = a._shape[-1], b._shape[-2]
    if k1 != k2:
        nb = _numel(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{nb}, {k1}] but got: [{nb}, {k2}].")
    shape = batch + ((a._shape[-2],) if a.dim() > 1 else ()) + (b._shape[-1],)
    if not _computes(shape, k1):
        return _zeros_product(shape, b.dtype, out, device)
    _no_bool("bmm", a.dtype)  # before the dtype check, as torch's bmm
    _check_scalar_type(a, b)
    if device is not CPU:
        return _device_matmul(a, b, a.dtype, shape, out)
    x, y = arrays(a, b)
    return _product(x, y, a.dtype, out, shape, device)


# ---------------------------------------------------------------- fused add-forms
def _scalar_for(value, dtype):
    """alpha/beta as torch casts them for a `dtype` computation (ints truncate)."""
    if dtype.is_floating_point:
        return value
    if dtype is dt.bool:
        return bool(value)
    return int(value)


def _scaled_sum(product, inp, beta, alpha, dtype):
    """``beta * inp + alpha * product`` into the fresh array `product`; with beta == 0
    `inp` is ignored entirely (NaN and inf in it do not propagate), as in torch."""
    alpha, beta = _scalar_for(alpha, dtype), _scalar_for(beta, dtype)
    if alpha != 1:
        np.multiply(product, alpha, out=product, casting="unsafe")
    if beta != 0:
        inp = upcast(inp, dtype)
        np.add(product, inp if beta == 1 else inp * beta, out=product, casting="unsafe")
    return product


def _fused(input, product, shape, beta, alpha, out, device):
    """Finish an add-form: broadcast `input` to `shape` (torch's expand error), scale, add."""
    inp = array_of(expand(input, shape))
    return finish(_scaled_sum(product, inp, beta, alpha, input.dtype), input.dtype, out, device)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``; `input` broadcasts to the product's shape."""
    if out is None and beta == 1 and alpha == 1 and type(input) is Tensor and input.device is CPU:
        fast = _fast_bias_product(input, mat1, mat2)
        if fast is not None:
            return fast
    device = check_args("addmm", ("input", "mat1", "mat2"), (input, mat1, mat2), out)
    shape = _check_mm(mat1._shape, mat2._shape, first="mat1")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{mat1.dtype.c_name} and {mat2.dtype.c_name}")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{input.dtype.c_name} and {mat2.dtype.c_name}")
    _no_bool("addmm_impl_cpu_", input.dtype)
    if device is not CPU:
        return _device_fused(input, _device_compute(mat1, mat2, input.dtype), shape, beta, alpha, out)
    x, y = arrays(mat1, mat2)
    return _fused(input, _compute(x, y, input.dtype), shape, beta, alpha, out, device)


def _fast_bias_product(bias, a, b):
    """``a @ b + bias`` (nn.Linear's addmm) by `_fast_matrix_product` and an in-place add,
    when every operand has one dtype and `bias` broadcasts to the product; None otherwise
    (the general path then checks and raises)."""
    if bias.dtype is not a.dtype:
        return None
    product = _fast_matrix_product(a, b)
    if product is None:
        return None
    n, p = shape = product._shape
    bshape = bias._shape
    if bshape == (p,) and bias._strides == (1,) or bshape == shape and bias._strides == (p, 1):
        # a row-major bias row or matrix: one NumPy add (the element-wise path's broadcast
        # plan costs more than the add of a linear layer's bias)
        rows = product._storage.reshape(shape)
        np.add(rows, bias._storage[bias._offset:bias._offset + _numel(bshape)].reshape(-1, p), out=rows)
        return product
    if not broadcasts_to(bshape, shape):
        return None
    return apply(_ADD, (product, bias), inplace=True)


_ADD = OPS_BY_NAME["add"]


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``; `input` broadcasts."""
    device = check_args("baddbmm", ("input", "batch1", "batch2"), (input, batch1, batch2), out)
    shape = _check_bmm(batch1._shape, batch2._shape)
    if not (input.dtype is batch1.dtype is batch2.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input {input.dtype.cpp_name}, "
                           f"batch1: {batch1.dtype.cpp_name}, batch2: {batch2.dtype.cpp_name}")
    _no_bool("bmm", input.dtype)
    if device is not CPU:
        return _device_fused(input, _device_compute(batch1, batch2, input.dtype), shape, beta, alpha, out)
    x, y = arrays(batch1, batch2)
    return _fused(input, _compute(x, y, input.dtype), shape, beta, alpha, out, device)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``, summed in one product."""
    device = check_args("addbmm", ("input", "batch1", "batch2"), (input, batch1, batch2), out)
    if batch1.dim() != 3 or batch2.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if batch1.dim() != 3 else "batch2 must be a 3D tensor")
    (nb1, n, k1), (nb2, k2, p) = batch1._shape, batch2._shape
    if nb1 != nb2:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {nb1} and {nb2}")
    if k1 != k2:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{k1} and {k2}x{p})")
    _check_scalar_type(batch1, batch2)
    if input.dtype is not batch2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{input.dtype.c_name} and {batch2.dtype.c_name}")
    _no_bool("addmm_impl_cpu_", input.dtype)
    if device is not CPU:
        product = _device_compute(_stack_of_rows(batch1), _stack_of_columns(batch2), input.dtype)
        return _device_fused(input, product, (n, p), beta, alpha, out)
    x, y = arrays(batch1, batch2)
    # sum_b A_b B_b == [A_0 A_1 ...] @ [B_0; B_1; ...]: one (n x b*k) @ (b*k x p) product.
    product = _compute(x.transpose(1, 0, 2).reshape(n, nb1 * k1), y.reshape(nb1 * k1, p), input.dtype)
    return _fused(input, product, (n, p), beta, alpha, out, device)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``; `input` broadcasts to the result's length."""
    device = check_args("addmv", ("input", "mat", "vec"), (input, mat, vec), out)
    n = _check_mv(mat._shape, vec._shape, (input.dtype, mat.dtype, vec.dtype), input._shape)
    if device is not CPU:
        return _device_fused(input, _device_compute(mat, vec, input.dtype), (n,), beta, alpha, out)
    x, y = arrays(mat, vec)
    return _fused(input, _compute(x, y, input.dtype), (n,), beta, alpha, out, device)


def _inplace(fn):
    def method(self, *args, beta=1, alpha=1):
        return write_inplace(self, fn(self, *args, beta=beta, alpha=alpha))
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place :func:`{fn.__name__}` into `self`."
    return method


addmm_ = _inplace(addmm)
baddbmm_ = _inplace(baddbmm)
addbmm_ = _inplace(addbmm)
addmv_ = _inplace(addmv)


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _matmul_op(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


METHODS = {
    "mm": mm, "bmm": bmm, "matmul": matmul, "mv": mv, "dot": dot, "vdot": vdot,
    "addmm": addmm, "addmm_": addmm_, "baddbmm": baddbmm, "baddbmm_": baddbmm_,
    "addbmm": addbmm, "addbmm_": addbmm_, "addmv": addmv, "addmv_": addmv_,
    "__matmul__": _matmul_op, "__rmatmul__": _rmatmul,
}
