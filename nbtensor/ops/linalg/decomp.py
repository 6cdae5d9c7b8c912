"""Decompositions and solvers through NumPy's LAPACK, batched over leading dimensions:
inverse, det, logdet, slogdet, svd, svdvals, solve, qr, cholesky, eigh, pinv, matrix_rank.
They compute on host arrays of their inputs and put results on the inputs' device.

Failures LAPACK reports (a singular matrix, a matrix that is not positive-definite)
raise `LinAlgError`, a RuntimeError as in torch, naming the batch element and LAPACK's
pivot or minor; these are recomputed on the error path only.
"""
import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.ops.linalg.util import array_of, batch_prefix, check_devices, check_tensor, finish, not_implemented, wrap
from nbtensor.core.plan import broadcast_shapes
from nbtensor.dispatch.tensor import Tensor
from nbtensor.core.return_types import return_type

__all__ = ["LinAlgError", "inverse", "inv", "det", "logdet", "slogdet", "linalg_slogdet", "svd",
           "linalg_svd", "svdvals", "solve", "qr", "linalg_qr", "cholesky", "linalg_cholesky",
           "eigh", "eigvalsh", "pinv", "pinverse", "matrix_rank"]


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (a singular matrix, a matrix that is
    not positive-definite); ``nbtensor.linalg.LinAlgError``, like torch's."""


svd_result = return_type("svd", ["U", "S", "V"])
linalg_svd_result = return_type("linalg_svd", ["U", "S", "Vh"])
slogdet_result = return_type("slogdet", ["sign", "logabsdet"])
linalg_slogdet_result = return_type("linalg_slogdet", ["sign", "logabsdet"])
qr_result = return_type("qr", ["Q", "R"])
linalg_qr_result = return_type("linalg_qr", ["Q", "R"])
linalg_eigh_result = return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])

LOW_PRECISION = "low"  # torch's "Low precision dtypes not supported" for float16


# ---------------------------------------------------------------- validation
def _lapack_input(name, A, half, square=True, dim_message=None, nonfloat=None):
    """Validate a (batch of) matrix input as torch does and return its host array.

    `half` says how float16 is refused: LOW_PRECISION, or the name of the LAPACK kernel
    that torch reports as not implemented. `nonfloat`, when given, is the kernel named in a
    NotImplementedError for non-float inputs (else torch's "Expected a floating point").
    """
    check_tensor(name.replace(".", "_"), "A", 1, A)
    if A.dim() < 2:
        raise RuntimeError(dim_message or f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and A._shape[-1] != A._shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A._shape[-2]} by {A._shape[-1]} matrices")
    if not A.dtype.is_floating_point:
        if nonfloat:
            raise not_implemented(nonfloat, A.dtype)
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {A.dtype.c_name}")
    if A.dtype is dt.float16:
        if half == LOW_PRECISION:
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
        raise not_implemented(half, A.dtype)
    return array_of(A)


def _first_failure(matrices, test):
    """(index, info) of the first matrix of the batch for which `test` returns an info
    number (LAPACK's 1-based index), or (None, None)."""
    flat = matrices.reshape((-1,) + matrices.shape[-2:])
    for i, m in enumerate(flat):
        info = test(m)
        if info is not None:
            return i, info
    return None, None


def _zero_pivot(m):
    """The 1-based column of the first exactly-zero pivot of an LU factorisation with
    partial pivoting (LAPACK getrf's info), or None."""
    a = np.array(m)
    n = a.shape[0]
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        a[[j, p]] = a[[p, j]]
        a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return None


def _not_positive_definite(m):
    """The order of the first leading minor that is not positive-definite (LAPACK potrf's
    info, reading the lower triangle), or None."""
    n = m.shape[0]
    low = np.zeros_like(m)
    for j in range(n):
        d = m[j, j] - np.dot(low[j, :j], low[j, :j])
        if not d > 0:
            return j + 1
        low[j, j] = np.sqrt(d)
        low[j + 1:, j] = (m[j + 1:, j] - low[j + 1:, :j] @ low[j, :j]) / low[j, j]
    return None


def _singular(matrices, message):
    """LinAlgError for the first singular matrix in the batch; `message` formats
    (prefix, pivot)."""
    index, info = _first_failure(matrices, _zero_pivot)
    prefix = batch_prefix(matrices.ndim > 2, index) if index is not None else ""
    return LinAlgError(message(prefix, info))


# ---------------------------------------------------------------- inverse and determinants
def inv(A, *, out=None):
    """The inverse of a square matrix (or of each in a batch); LinAlgError when singular."""
    x = _lapack_input("linalg.inv", A, LOW_PRECISION)
    device = check_devices(A, out)
    try:
        result = np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise _singular(x, lambda prefix, info: (
            f"linalg.inv: {prefix}The diagonal element {info} is zero, the inversion could not be "
            "completed because the input matrix is singular." if info else
            "linalg.inv: The inversion could not be completed because the input matrix is singular.")) from None
    return finish(result, A.dtype, out, device)


def inverse(input, *, out=None):
    """Alias of :func:`inv` (``torch.inverse``)."""
    return inv(input, out=out)


def det(A, *, out=None):
    """The determinant of a square matrix (or of each in a batch)."""
    x = _lapack_input("linalg.det", A, "lu_cpu")
    device = check_devices(A, out)
    return finish(np.linalg.det(x), A.dtype, out, device)


def _slogdet(name, A, result_type):
    x = _lapack_input(name, A, LOW_PRECISION)
    sign, logabsdet = np.linalg.slogdet(x)
    return result_type(wrap(sign, A.dtype, A.device), wrap(logabsdet, A.dtype, A.device))


def linalg_slogdet(A):
    """(sign, logabsdet) of the determinant: ``det = sign * exp(logabsdet)``."""
    return _slogdet("linalg.slogdet", A, linalg_slogdet_result)


def slogdet(input):
    """``torch.slogdet``: (sign, logabsdet) of the determinant."""
    return _slogdet("linalg.slogdet", input, slogdet_result)


def logdet(input):
    """log(det(input)): NaN for a negative determinant, -inf for a zero one."""
    x = _lapack_input("logdet", input, LOW_PRECISION)
    sign, logabsdet = np.linalg.slogdet(x)
    return wrap(np.where(sign < 0, np.nan, logabsdet), input.dtype, input.device)


# ---------------------------------------------------------------- SVD
def linalg_svd(A, full_matrices=True, *, driver=None):
    """``A = U @ diag(S) @ Vh``; with full_matrices=False, U and Vh are reduced to
    min(m, n) columns/rows."""
    x = _lapack_input("linalg.svd", A, "linalg_svd_cpu", square=False)
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return linalg_svd_result(wrap(u, A.dtype, A.device), wrap(s, A.dtype, A.device), wrap(vh, A.dtype, A.device))


def svd(input, some=True, compute_uv=True):
    """``torch.svd``: ``input = U @ diag(S) @ V.mT`` (V, not Vh). some=False gives the full
    U and V; compute_uv=False gives zero-filled full U and V."""
    dim_message = (f"linalg.svd: input should have at least 2 dimensions, but has {input.dim()} "
                   "dimensions instead") if isinstance(input, Tensor) else None
    x = _lapack_input("linalg.svd", input, "linalg_svd_cpu", square=False, dim_message=dim_message)
    dtype, device = input.dtype, input.device
    if not compute_uv:
        m, n = x.shape[-2:]
        s = np.linalg.svd(x, compute_uv=False)
        return svd_result(wrap(np.zeros(x.shape[:-2] + (m, m), x.dtype), dtype, device), wrap(s, dtype, device),
                          wrap(np.zeros(x.shape[:-2] + (n, n), x.dtype), dtype, device))
    u, s, vh = np.linalg.svd(x, full_matrices=not some)
    return svd_result(wrap(u, dtype, device), wrap(s, dtype, device),
                      wrap(np.swapaxes(vh, -1, -2), dtype, device))


def svdvals(A, *, driver=None, out=None):
    """The singular values of A (descending), batched."""
    x = _lapack_input("linalg.svd", A, "linalg_svd_cpu", square=False)
    device = check_devices(A, out)
    return finish(np.linalg.svd(x, compute_uv=False), A.dtype, out, device)


# ---------------------------------------------------------------- solvers and factorisations
def solve(A, B, *, left=True, out=None):
    """The X with ``A @ X = B`` (``X @ A = B`` when left=False). B is a vector (or a batch of
    vectors) when it is 1-D or has exactly A's batch shape; batch dims broadcast."""
    x = _lapack_input("linalg.solve", A, "lu_cpu")
    check_tensor("linalg_solve", "B", 2, B)
    device = check_devices(A, B, out)
    if B.dtype is not A.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{A.dtype.c_name} and B of type {B.dtype.c_name} instead")
    n = A._shape[-1]
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and B._shape == A._shape[:-1])
    b = array_of(B)
    if vector:
        b = b[..., None]  # (a column, also for X A = B: torch's shape check then refuses it unless n is 1)
    if b.ndim < 2 or b.shape[-2 if left else -1] != n:
        shown = b.shape[-2:] if b.ndim >= 2 else (b.shape[0], 1)
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shown[0]}x{shown[1]})")
    if vector and not left:
        raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not supported for left=False. "
                           "In this case linalg.solve is equivalent to B / A.squeeze(-1)")
    batch = broadcast_shapes(x.shape[:-2], b.shape[:-2])
    if not left:
        x, b = np.swapaxes(x, -1, -2), np.swapaxes(b, -1, -2)
    try:
        result = np.linalg.solve(x, b)
    except np.linalg.LinAlgError:
        raise _singular(np.broadcast_to(x, batch + (n, n)), lambda prefix, info: (
            f"torch.linalg.solve: {prefix}The solver failed because the input matrix is singular.")) from None
    if not left:
        result = np.swapaxes(result, -1, -2)
    if vector:
        result = result[..., 0]
    return finish(result, A.dtype, out, device)


_QR_MODES = ("reduced", "complete", "r")


def linalg_qr(A, mode="reduced", *, out=None):
    """``A = Q @ R`` with orthonormal Q and upper-triangular R; mode 'reduced' (default),
    'complete', or 'r' (R only; Q is then an empty tensor)."""
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    x = _lapack_input("linalg.qr", A, "geqrf_cpu", square=False)
    if mode == "r":
        return linalg_qr_result(wrap(np.empty(0, x.dtype), A.dtype, A.device),
                                wrap(np.linalg.qr(x, mode="r"), A.dtype, A.device))
    q, r = np.linalg.qr(x, mode=mode)
    return linalg_qr_result(wrap(q, A.dtype, A.device), wrap(r, A.dtype, A.device))


def qr(input, some=True):
    """``torch.qr`` (legacy): the reduced (some=True) or complete QR factorisation."""
    q, r = linalg_qr(input, "reduced" if some else "complete")
    return qr_result(q, r)


def linalg_cholesky(A, *, upper=False, out=None):
    """The lower-triangular L with ``A = L @ L.mT`` (upper=True: U = L.mT) of a symmetric
    positive-definite matrix; LinAlgError naming the failing leading minor otherwise."""
    x = _lapack_input("linalg.cholesky", A, "cholesky_cpu")
    device = check_devices(A, out)
    try:
        low = np.linalg.cholesky(x)
    except np.linalg.LinAlgError:
        index, order = _first_failure(x, _not_positive_definite)
        prefix = batch_prefix(x.ndim > 2, index) if index is not None else ""
        raise LinAlgError(f"linalg.cholesky: {prefix}The factorization could not be completed because the "
                          f"input is not positive-definite (the leading minor of order {order} is not "
                          "positive-definite).") from None
    return finish(np.swapaxes(low, -1, -2) if upper else low, A.dtype, out, device)


def cholesky(input, upper=False, *, out=None):
    """``torch.cholesky`` (legacy): :func:`linalg_cholesky` with `upper` positional."""
    return linalg_cholesky(input, upper=upper, out=out)


def _eigh_input(A, UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return _lapack_input("linalg.eigh", A, "linalg_eigh_cpu", nonfloat="linalg_eigh_cpu")


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, read
    from its lower (UPLO='L') or upper triangle."""
    w, v = np.linalg.eigh(_eigh_input(A, UPLO), UPLO=UPLO)
    return linalg_eigh_result(wrap(w, A.dtype, A.device), wrap(v, A.dtype, A.device))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (ascending) of a symmetric matrix."""
    return wrap(np.linalg.eigvalsh(_eigh_input(A, UPLO), UPLO=UPLO), A.dtype, A.device)


# ---------------------------------------------------------------- pseudo-inverse and rank
def _spectrum_input(name, A, message):
    check_tensor(name.replace(".", "_"), "A", 1, A)
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor input must have at least 2 dimensions."
                           if message is None else message(A))
    if A.dtype not in (dt.float32, dt.float64):
        raise RuntimeError("This function doesn't handle types other than float and double"
                           if message is None else message(A))
    return array_of(A)


def _as_tolerance(value):
    """A float, or an ndarray that broadcasts against the batch of singular values."""
    if value is None:
        return None
    arr = array_of(value) if isinstance(value, Tensor) else np.asarray(value, dtype=np.float64)
    return arr[..., None] if arr.ndim else arr


def _cutoff(s, shape, atol, rtol):
    """torch's threshold max(atol, rtol * largest singular value); rtol defaults to
    eps * max(m, n), or to 0 where a positive atol is given."""
    atol, rtol = _as_tolerance(atol), _as_tolerance(rtol)
    if rtol is None:
        default = np.finfo(s.dtype).eps * max(shape[-2:])
        rtol = default if atol is None else np.where(atol > 0, 0.0, default)
    smax = np.max(s, axis=-1, keepdims=True, initial=0.0)
    return np.maximum(0.0 if atol is None else atol, rtol * smax)


def _spectrum(x, hermitian):
    """Singular values (|eigenvalues| when hermitian) of the batch x."""
    return np.abs(np.linalg.eigvalsh(x)) if hermitian else np.linalg.svd(x, compute_uv=False)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The Moore-Penrose pseudo-inverse; singular values at or below max(atol, rtol * the
    largest) are treated as zero (`rcond` is the legacy name for rtol)."""
    x = _spectrum_input("linalg.pinv", A, lambda t: (
        f"linalg.pinv({t.dtype.c_name}{{{list(t._shape)}}}): expected a tensor with 2 or more dimensions "
        "of float, double, cfloat or cdouble types"))
    rtol = rcond if rtol is None else rtol
    device = check_devices(A, atol, rtol, out)
    if hermitian:
        w, v = np.linalg.eigh(x)
        cut = _cutoff(np.abs(w), x.shape, atol, rtol)
        winv = np.where(np.abs(w) > cut, 1 / np.where(w == 0, 1, w), 0).astype(x.dtype)
        result = (v * winv[..., None, :]) @ np.swapaxes(v, -1, -2)
    else:
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        cut = _cutoff(s, x.shape, atol, rtol)
        sinv = np.where(s > cut, 1 / np.where(s == 0, 1, s), 0).astype(x.dtype)
        result = np.swapaxes(vh, -1, -2) @ (sinv[..., None] * np.swapaxes(u, -1, -2))
    return finish(result, A.dtype, out, device)


def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: :func:`pinv` with a relative cutoff `rcond`."""
    return pinv(input, rtol=rcond)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None, out=None):
    """The number of singular values above max(atol, rtol * the largest), as int64
    (`tol` is the legacy absolute tolerance, with rtol = 0)."""
    x = _spectrum_input("torch.linalg.matrix_rank", A, None)
    if tol is not None:
        atol, rtol = tol, 0.0
    device = check_devices(A, atol, rtol, out)
    s = _spectrum(x, hermitian)
    return finish(np.count_nonzero(s > _cutoff(s, x.shape, atol, rtol), axis=-1), dt.int64, out, device)


METHODS = {"inverse": inverse, "det": det, "logdet": logdet, "slogdet": slogdet, "svd": svd,
           "qr": qr, "cholesky": cholesky, "pinverse": pinverse}
