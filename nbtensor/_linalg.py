"""Linear algebra (SPEC §8) in the top-level namespace, and the matching Tensor methods.

The work is split by theme: `_linalg_products` (mm, bmm, matmul/@, mv, dot and the fused
add-forms), `_linalg_contract` (inner, outer, cross, einsum, tensordot, kron),
`_linalg_matrix` (trace, diag, triu/tril), `_linalg_decomp` (LAPACK decompositions and
solvers) and `_linalg_norms`; `nbtensor.linalg` is the ``torch.linalg`` namespace.
"""
from . import _linalg_contract, _linalg_decomp, _linalg_matrix, _linalg_products
from ._linalg_contract import addr, cross, einsum, ger, inner, kron, outer, tensordot
from ._linalg_decomp import cholesky, inverse, logdet, pinverse, qr, slogdet, svd
from ._linalg_decomp import det as _det
from ._linalg_matrix import diag, diag_embed, trace, tril, triu
from ._linalg_products import addbmm, addmm, addmv, baddbmm, bmm, dot, matmul, mm, mv, vdot
from ._tensor import Tensor

__all__ = [
    "mm", "bmm", "matmul", "mv", "dot", "vdot", "addmm", "addbmm", "addmv", "baddbmm",
    "inner", "outer", "ger", "addr", "cross", "einsum", "tensordot", "kron",
    "trace", "diag", "diag_embed", "triu", "tril",
    "inverse", "det", "logdet", "slogdet", "svd", "qr", "cholesky", "pinverse",
]


def det(input, *, out=None):
    """The determinant of a square matrix (or of each in a batch); ``linalg.det`` names the
    argument `A`, ``torch.det`` names it `input`."""
    return _det(input, out=out)


def attach():
    """Install the linear-algebra methods (``mm``, ``__matmul__``, ``triu_``, ...) on Tensor."""
    for module in (_linalg_products, _linalg_contract, _linalg_matrix, _linalg_decomp):
        for name, fn in module.METHODS.items():
            setattr(Tensor, name, fn)


attach()
