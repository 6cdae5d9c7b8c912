"""CPU backend glue: picks and launches the element-wise kernels for a planned iteration.

Callers pass raw operands (storage array, offset, strides) already validated and
broadcast to the output shape; this module never sees a Tensor.
"""
import importlib
import os
import sys

import numpy as np

from . import _backend
from ._plan import numel as _numel
from ._plan import plan, remember, row_major

# Below this many elements a serial kernel beats the ~2 us cost of starting threads
# (DESIGN §2 measured the break-even near 3e4; kept conservative for a loaded machine).
PARALLEL_THRESHOLD = 1 << 16
# A forked child runs no parallel (prange) kernel if its parent launched numba's threading
# layer, other than TBB: GNU OpenMP kills such a child, workqueue's threads did not survive
# the fork. `_after_fork_in_child` then raises the threshold out of reach.
SERIAL = sys.maxsize
# Tile edge (elements) used when an operand walks the inner loop with a large stride.
TILE = 64
# Outer rows handled per scheduling unit when not tiling.
ROW_BLOCK = 16

_threads = None
_KERNELS = {}


def kernel(op, variant):
    """Kernel `op` + `variant` (``_flat``, ``_flat_par``, ``_nd``, ``_nd_par``); its module is
    imported on first use, so an op costs nothing until it runs."""
    key = op + variant
    fn = _KERNELS.get(key)
    if fn is None:
        from .kernels.cpu import loader
        fn = _KERNELS[key] = getattr(loader.load(op), key)
    return fn


def _nchunks():
    global _threads
    if _threads is None:
        import numba
        _threads = numba.get_num_threads()
    return _threads * 4


def _bits(storage):
    # numba has no float16: half-precision data is moved as its 16-bit pattern.
    return storage.view(np.uint16) if storage.dtype == np.float16 else storage


def run(name, shape, numel, out, inputs):
    """Run element-wise kernel `name` over `shape`.

    `out` and each of `inputs` are (storage, offset, strides) with strides already
    broadcast to `shape`; shape and strides are tuples (they key the layout memo). Storage dtypes must be those the kernel computes in (float16
    only for a plain `copy` between float16 storages).
    """
    if numel == 0:
        return
    ostore, ooff, ostrides = out
    parallel = numel >= PARALLEL_THRESHOLD
    strides = (ostrides,) + tuple([s for _, _, s in inputs])
    layout = _LAYOUTS.get((shape, strides))
    if layout is None:
        layout = _layout(shape, strides)
    if layout[0] is None:
        # One contiguous output range: (None, input strides).
        args = [_bits(ostore), ooff]
        for (store, off, _), st in zip(inputs, layout[1]):
            args += (_bits(store), off, st)
        if parallel:
            kernel(name, "_flat_par")(*args, numel, _nchunks())
        else:
            kernel(name, "_flat")(*args, numel, 1)
        return
    shape_arr, st_arr, row_block, col_block = layout
    args = [_bits(ostore)] + [_bits(store) for store, _, _ in inputs]
    base = np.array([ooff] + [off for _, off, _ in inputs], dtype=np.int64)
    if parallel:
        kernel(name, "_nd_par")(*args, shape_arr, st_arr, base, row_block, col_block, _nchunks())
    else:
        kernel(name, "_nd")(*args, shape_arr, st_arr, base, row_block, col_block, 1)


# (shape, strides of every operand) -> how to run it; loops run the same layouts again and
# again, and planning one costs more than a small kernel.
_LAYOUTS = {}


def _layout(shape, strides):
    """Plan `shape` over operands with `strides` (output first): (None, input strides) for
    one flat loop, else the arguments of the N-d kernel (shape, strides, row and column
    block). Remembered in _LAYOUTS."""
    if all(s == strides[0] for s in strides[1:]) and row_major(shape, strides[0]):
        new_shape, new_strides = (_numel(shape),), [(1,)] * len(strides)
    else:
        new_shape, new_strides = plan(shape, list(strides))
    if len(new_shape) == 1 and new_strides[0][0] == 1 and all(s[0] in (0, 1) for s in new_strides[1:]):
        layout = (None, tuple(s[0] for s in new_strides[1:]))
    else:
        nd = len(new_shape)
        inner = new_shape[-1]
        tiled = nd >= 2 and inner > TILE and any(abs(s[-1]) > 1 for s in new_strides)
        shape_arr = np.array(new_shape, dtype=np.int64)
        st_arr = np.array(new_strides, dtype=np.int64)
        shape_arr.flags.writeable = st_arr.flags.writeable = False  # shared between calls
        layout = (shape_arr, st_arr) + ((TILE, TILE) if tiled else (ROW_BLOCK, inner))
    return remember(_LAYOUTS, (shape, strides), layout)


def _after_fork_in_child():
    """Make a forked child run serial kernels when its parent's threading layer is not
    fork-safe (registered with os.register_at_fork)."""
    global PARALLEL_THRESHOLD
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is None or not getattr(parallel, "_is_initialized", True):
        return  # never launched in the parent: the child launches its own
    try:
        import numba
        layer = numba.threading_layer()
    except ValueError:
        layer = None
    if layer != "tbb":
        PARALLEL_THRESHOLD = SERIAL


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class CPUBackend(_backend.Backend):
    """The CPU's primitives: storage is a 1-D NumPy array; kernels are Numba's (`run`, the
    kernel families loaded by `kernels.cpu.loader`); see `_backend.Backend`."""

    @staticmethod
    def allocate(n, np_dtype):
        return np.empty(n, np_dtype)

    @staticmethod
    def from_host(array):
        return np.array(array, copy=True)

    @staticmethod
    def to_host(storage):
        return storage

    @staticmethod
    def write_host(storage, array):
        storage[...] = array

    @staticmethod
    def reinterpret(storage, np_dtype):
        return storage.view(np_dtype)

    elementwise = staticmethod(run)

    @staticmethod
    def launch(family, kernel, *args):
        return getattr(_family(family), kernel)(*args)

    @staticmethod
    def gather(name, *args):
        return getattr(_gather_module(), name)(*args)

    nchunks = staticmethod(_nchunks)

    @staticmethod
    def address(storage):
        return storage.__array_interface__["data"][0]

    @staticmethod
    def may_share_memory(a, b):
        if a is b:
            return True
        if a.base is None and b.base is None:
            return False  # two arrays that own their memory never share it
        return np.may_share_memory(a, b)

    @staticmethod
    def is_writable(storage):
        return storage.flags.writeable


_FAMILIES = {}
_gather = None


def _gather_module():
    # imported on first use (it imports this module); a cached reference costs 1 us less
    # per call than an import statement
    global _gather
    if _gather is None:
        from . import _gather_cpu
        _gather = _gather_cpu
    return _gather


def _family(name):
    """The module of a kernel family: "reduce" is rendered from codegen at first use, the
    others ("gather", "sortkeys") are written by hand."""
    module = _FAMILIES.get(name)
    if module is None:
        if name == "reduce":
            from .kernels.cpu import loader
            module = loader.load(name)
        else:
            module = importlib.import_module(f"{__package__}.kernels.cpu.{name}")
        _FAMILIES[name] = module
    return module


def _register():
    _backend.register("cpu", CPUBackend(), np.ndarray)


_register()
