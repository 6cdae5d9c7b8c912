"""``nbtensor.linalg``: the functions of ``torch.linalg`` (decompositions, solvers, norms),
batched over leading dimensions, and `LinAlgError`."""
from ._linalg_contract import linalg_cross as cross
from ._linalg_decomp import LinAlgError, det, eigh, eigvalsh, inv, matrix_rank, pinv, solve, svdvals
from ._linalg_decomp import linalg_cholesky as cholesky
from ._linalg_decomp import linalg_qr as qr
from ._linalg_decomp import linalg_slogdet as slogdet
from ._linalg_decomp import linalg_svd as svd
from ._linalg_norms import matrix_norm, norm, vector_norm
from ._linalg_products import matmul
from ._views import diagonal as _diagonal

__all__ = ["LinAlgError", "inv", "det", "slogdet", "svd", "svdvals", "solve", "qr", "cholesky", "eigh",
           "eigvalsh", "pinv", "matrix_rank", "norm", "vector_norm", "matrix_norm", "cross", "matmul",
           "diagonal"]


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.linalg.diagonal``: the diagonal of the last two dimensions (a view)."""
    return _diagonal(A, offset, dim1, dim2)
