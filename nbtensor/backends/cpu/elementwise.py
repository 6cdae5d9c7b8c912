"""The CPU's element-wise launcher: picks the flat or N-d kernel, serial or parallel, for a
planned iteration. Callers pass raw operands (storage array, offset, strides) already
validated and broadcast to the output shape; this module never sees a Tensor.
"""
import numpy as np

from nbtensor.backends.base import strided_view
from nbtensor.backends.cpu import tuning
from nbtensor.core.plan import elementwise_layout, remember

_KERNELS = {}
_BLOCKED_COPY = 4096


def kernel(op, variant):
    """Kernel `op` + `variant` (``_flat``, ``_flat_par``, ``_nd``, ``_nd_par``); its module is
    imported on first use, so an op costs nothing until it runs."""
    key = op + variant
    fn = _KERNELS.get(key)
    if fn is None:
        from nbtensor.kernels.cpu import loader  # numba and the kernel sources: on first use
        fn = _KERNELS[key] = getattr(loader.load(op), key)
    return fn


_HALF = np.dtype(np.float16)


def _bits(storage):
    # numba has no float16: half-precision data is moved as its 16-bit pattern.
    return storage.view(np.uint16) if storage.dtype == _HALF else storage


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
    if len(inputs) == 1:
        strides = (ostrides, inputs[0][2])
    else:
        strides = (ostrides,) + tuple([s for _, _, s in inputs])
    layout = _LAYOUTS.get((shape, strides))
    if layout is None:
        layout = _layout(shape, strides)
    args = [_bits(ostore), ooff]
    if layout[0] is None:
        # One contiguous output range: (None, input strides).
        for (store, off, _), st in zip(inputs, layout[1]):
            args += (_bits(store), off, st)
        if parallel:
            kernel(name, "_flat_par")(*args, numel, tuning.nchunks())
        else:
            kernel(name, "_flat")(*args, numel, 1)
        return
    if (name == "copy" and numel >= _BLOCKED_COPY and not parallel and len(inputs) == 1
            and inputs[0][2][-1] != 1 and inputs[0][0].dtype == ostore.dtype):
        # a transposing copy of one dtype below the threads' size: NumPy's blocked copy beats
        # the kernels' strided loops (a 256x256 float32 transpose 60 us against 73, 784x256
        # 169 against 228); below 4096 elements making its two views costs more
        store, off, st = inputs[0]
        dtype = ostore.dtype
        np.copyto(strided_view(ostore, shape, ostrides, ooff, dtype), strided_view(store, shape, st, off, dtype))
        return
    grid = layout[4]
    if grid is not None and not parallel:
        # Two dimensions: (rows, columns, then the (outer, inner) strides of each operand).
        args += grid[2]
        for (store, off, _), st in zip(inputs, grid[3:]):
            args += (_bits(store), off, st[0], st[1])
        kernel(name, "_2d")(*args, grid[0], grid[1])
        return
    shape_arr, st_arr, row_block, col_block = layout[:4]
    args = [args[0]] + [_bits(store) for store, _, _ in inputs]
    base = np.array([ooff] + [off for _, off, _ in inputs], dtype=np.int64)
    if parallel:
        kernel(name, "_nd_par")(*args, shape_arr, st_arr, base, row_block, col_block, tuning.nchunks())
    else:
        kernel(name, "_nd")(*args, shape_arr, st_arr, base, row_block, col_block, 1)


def direct_layout(shape, strides):
    """How a serial run of `shape` over operands with `strides` (output first) can call a
    kernel without `run`: ("flat", input strides) for one contiguous output range, ("2d",
    (rows, columns, (outer, inner) strides of each operand)) for two dimensions, else None.
    For callers that memoise their own plans (the element-wise fast paths)."""
    layout = _LAYOUTS.get((shape, strides)) or _layout(shape, strides)
    if layout[0] is None:
        return "flat", layout[1]
    if layout[4] is not None:
        return "2d", layout[4]
    return None


# (shape, strides of every operand) -> how to run it; loops run the same layouts again and
# again, and planning one costs more than a small kernel.
_LAYOUTS = {}


def _layout(shape, strides):
    """Plan `shape` over operands with `strides` (output first): (None, input strides) for
    one flat loop, else the arguments of the N-d kernel (shape, strides, row and column
    block) and, for one or two dimensions, the 2-D kernel's (rows, columns, each operand's
    strides; else None). Remembered in _LAYOUTS."""
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
        blocks = (tuning.TILE, tuning.TILE) if tiled else (tuning.ROW_BLOCK, inner)
        # (a strided walk of up to GRID_TILED elements stays in cache untiled)
        grid = None
        if nd == 2 and (not tiled or new_shape[0] * inner <= GRID_TILED):
            grid = (new_shape[0], inner) + tuple(tuple(s) for s in new_strides)
        elif nd == 1:  # one strided run (a column x[:, j]): the 2-D kernel with one row
            grid = (1, inner) + tuple((0, s[0]) for s in new_strides)
        layout = (shape_arr, st_arr) + blocks + (grid,)
    return remember(_LAYOUTS, (shape, strides), layout)


# The most elements a transposed 2-D operand is walked without tiles (64 KiB of float32).
GRID_TILED = 1 << 14
