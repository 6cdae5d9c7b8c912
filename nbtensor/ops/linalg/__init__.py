"""Linear algebra (SPEC §8) in the top-level namespace, and the matching Tensor methods.

The work is split by theme: `_linalg_products` (mm, bmm, matmul/@, mv, dot and the fused
add-forms), `_linalg_contract` (inner, outer, cross, einsum, tensordot, kron),
`_linalg_matrix` (trace, diag, triu/tril), `_linalg_decomp` (LAPACK decompositions and
solvers) and `_linalg_norms`; `nbtensor.linalg` is the ``torch.linalg`` namespace.
"""
from nbtensor.ops.linalg import contract as _linalg_contract
from nbtensor.ops.linalg import decomp as _linalg_decomp
from nbtensor.ops.linalg import matrix as _linalg_matrix
from nbtensor.ops.linalg import products as _linalg_products
from nbtensor.ops.linalg.contract import addr, cross, einsum, ger, inner, kron, outer, tensordot
from nbtensor.ops.linalg.decomp import cholesky, inverse, logdet, pinverse, qr, slogdet, svd
from nbtensor.ops.linalg.decomp import det as _det
from nbtensor.ops.linalg.matrix import diag, diag_embed, trace, tril, triu
from nbtensor.ops.linalg.products import addbmm, addmm, addmv, baddbmm, bmm, dot, matmul, mm, mv, vdot
from nbtensor.dispatch.tensor import Tensor
from nbtensor.dispatch import dispatcher as forms

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


forms.functions(__all__, globals())
# the linear-algebra methods (``mm``, ``__matmul__``, ``triu_``, ...)
for _module in (_linalg_products, _linalg_contract, _linalg_matrix, _linalg_decomp):
    for _name, _fn in _module.METHODS.items():
        forms.method(_name, _fn)
