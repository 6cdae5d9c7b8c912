"""``nbtensor.linalg``: the functions of ``torch.linalg`` (decompositions, solvers, norms),
batched over leading dimensions, and `LinAlgError`."""
import types as _types

from nbtensor.core.numpy_names import accept_numpy_names as _accept_numpy_names
from nbtensor.dispatch import dispatcher as _forms
from nbtensor.ops.linalg.contract import linalg_cross as cross
from nbtensor.ops.linalg.decomp import LinAlgError, det, eigh, eigvalsh, inv, matrix_rank, pinv, solve, svdvals
from nbtensor.ops.linalg.decomp import linalg_cholesky as cholesky
from nbtensor.ops.linalg.decomp import linalg_qr as qr
from nbtensor.ops.linalg.decomp import linalg_slogdet as slogdet
from nbtensor.ops.linalg.decomp import linalg_svd as svd
from nbtensor.ops.linalg.norms import matrix_norm, norm, vector_norm
from nbtensor.ops.linalg.products import matmul
from nbtensor.ops.statistics import matrix_exp, matrix_power
from nbtensor.ops.views import diagonal as _diagonal

__all__ = ["LinAlgError", "inv", "det", "slogdet", "svd", "svdvals", "solve", "qr", "cholesky", "eigh",
           "eigvalsh", "pinv", "matrix_rank", "norm", "vector_norm", "matrix_norm", "cross", "matmul",
           "diagonal", "matrix_power", "matrix_exp"]


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.linalg.diagonal``: the diagonal of the last two dimensions (a view)."""
    return _diagonal(A, offset, dim1, dim2)


# Each function passes through the dispatch point under its op name (so autograd records
# it, or refuses loudly where it has no rule), taking NumPy's axis=/keepdims= as torch's
# parser does (``vector_norm(x, axis=2)``). Where torch.linalg's function differs from the
# top-level one of the same name (defaults, argument order), the op name says so.
_OP_NAMES = {"inv": "inverse", "det": "det", "slogdet": "slogdet", "matmul": "matmul", "matrix_power": "matrix_power",
             "matrix_exp": "matrix_exp"}
_forms.install_functions(globals(), {
    _name: (_OP_NAMES.get(_name, "linalg_" + _name), _accept_numpy_names(globals()[_name]))
    for _name in __all__ if isinstance(globals()[_name], _types.FunctionType)})
