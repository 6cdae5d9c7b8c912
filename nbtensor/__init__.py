"""nbtensor: PyTorch's tensor, rebuilt in Python on Numba.

Write ``import nbtensor as torch`` and use the tensor API of PyTorch: creation, views,
element-wise math with broadcasting, reductions, the NumPy bridge and torch's printing.
"""
from nbtensor.core import dtype as _dtype
from nbtensor.core.dtype import (bool, uint8, int8, int16, int32, int64, float16, float32, float64, dtype,
                     get_default_dtype, set_default_dtype, promote_types, can_cast)
from nbtensor.core.dtype import int32 as int, int64 as long, float16 as half, float32 as float, float64 as double
from nbtensor.core.dtype import int16 as short
from nbtensor.core.device import device, get_default_device, set_default_device
from nbtensor.core.size import Size
from nbtensor.dispatch.tensor import Tensor
from nbtensor.ops import views as _views  # noqa: F401  (installs the shape methods)
from nbtensor.ops import indexing as _indexing  # noqa: F401  (installs __getitem__ / __setitem__)
from nbtensor.ops.views import (view_as, reshape, flatten, unflatten, t, transpose, permute, squeeze, unsqueeze,
                     narrow, select, unbind, split, chunk, diagonal, movedim, broadcast_to,
                     tensor_split)
from nbtensor.ops.views import swapaxes, transpose as swapdims, movedim as moveaxis
from nbtensor.ops.creation import (empty, zeros, ones, full, eye, arange, linspace, logspace, rand, randn,
                        randint, randperm, normal, zeros_like, ones_like, empty_like, full_like,
                        rand_like, randn_like, randint_like, manual_seed, seed, initial_seed,
                        Generator, default_generator, empty_strided)
from nbtensor.ops.bridge import from_numpy, as_tensor, tensor, from_dlpack, asarray
from nbtensor.ops.printing import set_printoptions, get_printoptions
from nbtensor.ops.elementwise_forms import *  # noqa: F401,F403  (element-wise ops, reductions)
from nbtensor.ops.reduce import *  # noqa: F401,F403
from nbtensor.ops.advanced_indexing import index_put  # noqa: F401  (also installs Tensor.index_put_)
from nbtensor.ops.selecting import *  # noqa: F401,F403
from nbtensor.ops.joining import *  # noqa: F401,F403
from nbtensor.ops.sorting import *  # noqa: F401,F403
from nbtensor.ops.counting import *  # noqa: F401,F403
from nbtensor.core import return_types  # noqa: F401
from nbtensor.ops.legacy import *  # noqa: F401,F403  (FloatTensor, ..., Tensor.type, Tensor.data)
from nbtensor.autograd.grad_mode import *  # noqa: F401,F403
from nbtensor.ops.linalg import *  # noqa: F401,F403  (linear algebra; also installs Tensor.mm, @, ...)
from nbtensor import linalg  # noqa: F401
from nbtensor import cuda

__version__ = "0.1.0"


def is_tensor(obj):
    """True when `obj` is an nbtensor Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def clone(input, memory_format=None):
    return input.clone()


def is_floating_point(input):
    return input.is_floating_point()


def ravel(input):
    """The elements as a 1-D tensor (a view when the layout allows)."""
    return input.ravel()


def adjoint(input):
    """The last two dimensions swapped (a view)."""
    return input.adjoint()


def broadcast_shapes(*shapes):
    """The shape all `shapes` broadcast to, as a `Size`."""
    from nbtensor.core.plan import broadcast_shapes as _bs
    return Size(_bs(*[tuple(s) if not isinstance(s, int) else (s,) for s in shapes]))


# Last: every public function and Tensor method with a `dim`/`keepdim` parameter also
# takes NumPy's `axis`/`keepdims`, as in torch.
from nbtensor.ops import numpy_names as _numpy_names  # noqa: E402

_numpy_names.install(globals(), Tensor)
_numpy_names.install(vars(linalg))
