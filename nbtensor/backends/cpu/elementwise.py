"""The CPU's element-wise launcher: picks the flat or N-d kernel, serial or parallel, for a
planned iteration. Callers pass raw operands (storage array, offset, strides) already
validated and broadcast to the output shape; this module never sees a Tensor.
"""
import numpy as np

from nbtensor.backends.cpu import tuning
from nbtensor.core.plan import elementwise_layout, remember

_KERNELS = {}


def kernel(op, variant):
    """Kernel `op` + `variant` (``_flat``, ``_flat_par``, ``_nd``, ``_nd_par``); its module is
    imported on first use, so an op costs nothing until it runs."""
    key = op + variant
    fn = _KERNELS.get(key)
    if fn is None:
        from nbtensor.kernels.cpu import loader  # numba and the kernel sources: on first use
        fn = _KERNELS[key] = getattr(loader.load(op), key)
    return fn


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
    parallel = numel >= tuning.PARALLEL_THRESHOLD
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
            kernel(name, "_flat_par")(*args, numel, tuning.nchunks())
        else:
            kernel(name, "_flat")(*args, numel, 1)
        return
    shape_arr, st_arr, row_block, col_block = layout
    args = [_bits(ostore)] + [_bits(store) for store, _, _ in inputs]
    base = np.array([ooff] + [off for _, off, _ in inputs], dtype=np.int64)
    if parallel:
        kernel(name, "_nd_par")(*args, shape_arr, st_arr, base, row_block, col_block, tuning.nchunks())
    else:
        kernel(name, "_nd")(*args, shape_arr, st_arr, base, row_block, col_block, 1)


# (shape, strides of every operand) -> how to run it; loops run the same layouts again and
# again, and planning one costs more than a small kernel.
_LAYOUTS = {}


def _layout(shape, strides):
    """Plan `shape` over operands with `strides` (output first): (None, input strides) for
    one flat loop, else the arguments of the N-d kernel (shape, strides, row and column
    block). Remembered in _LAYOUTS."""
    new_shape, new_strides = elementwise_layout(shape, strides)
    if new_shape is None:
        layout = (None, new_strides)
    else:
        nd = len(new_shape)
        inner = new_shape[-1]
        tiled = nd >= 2 and inner > tuning.TILE and any(abs(s[-1]) > 1 for s in new_strides)
        shape_arr = np.array(new_shape, dtype=np.int64)
        st_arr = np.array(new_strides, dtype=np.int64)
        shape_arr.flags.writeable = st_arr.flags.writeable = False  # shared between calls
        layout = (shape_arr, st_arr) + ((tuning.TILE, tuning.TILE) if tiled else (tuning.ROW_BLOCK, inner))
    return remember(_LAYOUTS, (shape, strides), layout)
