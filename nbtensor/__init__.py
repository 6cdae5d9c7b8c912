"""nbtensor: PyTorch's tensor, rebuilt in Python on Numba.

Write ``import nbtensor as torch`` and use the tensor API of PyTorch: creation, views,
element-wise math with broadcasting, reductions, the NumPy bridge and torch's printing.
"""
import numbers as _numbers
from math import e, inf, nan, pi  # noqa: F401  (torch.pi, torch.e, torch.inf, torch.nan)

from nbtensor.core import dtype as _dtype
from nbtensor.core.dtype import (bool, uint8, int8, int16, int32, int64, float16, float32, float64, dtype,
                                 get_default_dtype, set_default_dtype, promote_types, can_cast)
from nbtensor.core.dtype import int32 as int, int64 as long, float16 as half, float32 as float, float64 as double
from nbtensor.core.dtype import int16 as short
from nbtensor.core.device import device, get_default_device, set_default_device
from nbtensor.core.device import CPU as _CPU
from nbtensor.core.layout import memory_format as memory_format  # (the class; clone's keyword has its name)
from nbtensor.core.layout import contiguous_format, preserve_format, channels_last, channels_last_3d  # noqa: F401
from nbtensor.core.plan import broadcast_shapes as _broadcast_shapes
from nbtensor.core.size import Size
from nbtensor.core.typeinfo import finfo, iinfo
from nbtensor.dispatch import dispatcher as _dispatcher
from nbtensor.backends.base import backend_for as _backend_for
from nbtensor.dispatch.tensor import Tensor
# Every op module registers its functions, methods and operators with the dispatcher;
# `install` below puts them all in place at once (the order of these imports is free).
from nbtensor.ops import (advanced_indexing, arrange, bridge, counting, creation, elementwise_forms,  # noqa: F401
                          extra_math, host_memory, indexing, joining, legacy, linalg as _linalg_ops, printing,
                          random_fills, reduce, sampling, selecting, sorting, special_math, statistics, storages,
                          tensor_queries, view_splits, views, writers)
from nbtensor.ops.legacy import *  # noqa: F401,F403  (FloatTensor, ...: classes, not ops)
from nbtensor.ops.tensor_queries import layout, strided  # noqa: F401  (objects, not ops)
from nbtensor.ops.storages import TypedStorage, UntypedStorage  # noqa: F401  (classes, not ops)
from nbtensor.autograd.grad_mode import *  # noqa: F401,F403
from nbtensor.autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: F401
from nbtensor.core.errors import OutOfMemoryError  # noqa: F401
from nbtensor import linalg, return_types, special  # noqa: F401
from nbtensor.runtime import *  # noqa: F401,F403  (get/set_num_threads, deterministic algorithms, ...)
from nbtensor import cuda

_dispatcher.install(globals(), Tensor)
del (advanced_indexing, arrange, bridge, counting, creation, elementwise_forms, extra_math, host_memory, indexing,
     joining, legacy, _linalg_ops, printing, random_fills, reduce, sampling, selecting, sorting, special_math,
     statistics, storages, tensor_queries, view_splits, views, writers)

__version__ = "0.1.0"


def is_tensor(obj):
    """True when `obj` is an nbtensor Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def clone(input, memory_format=None):
    """A copy of `input` with its own memory, laid out in `memory_format` (by default
    preserve_format: a dense input keeps its dimension order)."""
    return input.clone(memory_format=memory_format)


def detach(input):
    """`input` without its autograd history (a new tensor sharing its memory)."""
    return input.detach()


def is_complex(input):
    """False: nbtensor has no complex dtypes."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_complex(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return False


def is_floating_point(input):
    return input.is_floating_point()


def ravel(input):
    """The elements as a 1-D tensor (a view when the layout allows)."""
    return input.ravel()


def adjoint(input):
    """The last two dimensions swapped (a view)."""
    return input.adjoint()


def empty_cache():
    """Free the memory of dead tensors that the CPU's caching allocator keeps for reuse
    (buffers of 1 MiB or more; see docs/design.md): every pooled block that no tensor,
    NumPy array, view or DLPack consumer still uses goes back to the system.
    ``nbtensor.cuda.empty_cache()`` does the same for the GPU's memory."""
    _backend_for(_CPU).empty_cache()


def broadcast_shapes(*shapes):
    """The shape all `shapes` broadcast to, as a `Size`."""
    # (`int` here is nbtensor.int32, the dtype: a shape given as one number is an Integral)
    return Size(_broadcast_shapes(*[(s,) if isinstance(s, _numbers.Integral) else tuple(s) for s in shapes]))


def broadcast_tensors(*tensors):
    """`tensors` expanded to the shape they broadcast to (views), as a tuple."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    shape = _broadcast_shapes(*[t._shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


_SUBPACKAGES = ("nn", "optim", "utils", "distributions", "func", "jit", "compiler", "_dynamo")
_LAZY = {"save": "serialization", "load": "serialization", "compile": "compiler"}
# torch.<name> that is a function of torch.nn.functional (see nn/namespace_functions.py)
_NN_FUNCTIONS = frozenset(
    "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d max_pool1d max_pool2d max_pool3d "
    "max_pool1d_with_indices avg_pool1d "
    "adaptive_avg_pool1d adaptive_max_pool1d selu celu rrelu threshold prelu hardshrink pixel_shuffle "
    "pixel_unshuffle channel_shuffle cosine_similarity pairwise_distance pdist bilinear layer_norm group_norm "
    "rms_norm selu_ celu_ rrelu_ threshold_ dropout dropout_ alpha_dropout alpha_dropout_ feature_alpha_dropout "
    "feature_alpha_dropout_ embedding embedding_bag".split())


def __getattr__(name):
    # torch.nn, torch.optim, torch.utils, torch.jit, torch.compiler, torch._dynamo,
    # torch.save/load, torch.compile: imported on first use (import nbtensor stays quick, and they may
    # import the facade)
    import importlib
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name in _NN_FUNCTIONS:
        return importlib.import_module(f"{__name__}.nn.namespace_functions").lookup(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
