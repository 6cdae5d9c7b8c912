"""The CUDA element-wise launcher: the same planned iteration as the CPU's
(`nbtensor.backends.cpu.elementwise.run`), run by the kernels of
`nbtensor.kernels.cuda.codegen` — ``<op>_flat`` when the output is one contiguous range and
every input contiguous or broadcast, else ``<op>_nd`` over the coalesced shape.
"""
import numpy as np

from nbtensor.backends.cuda.launch import launch
from nbtensor.core.plan import elementwise_layout, remember

__all__ = ["run"]

# (shape, strides of every operand) -> (None, input steps) or (shape, strides) to launch
_LAYOUTS = {}


def _bits(storage):
    # a float16 to float16 copy moves bit patterns: one kernel for every 16-bit type
    return storage.view(np.uint16) if storage.dtype == np.float16 else storage


def _same(storage):
    return storage


def run(name, shape, numel, out, inputs):
    """Run element-wise kernel `name` over `shape` (see backends.cpu.elementwise.run)."""
    if numel == 0:
        return
    ostore, ooff, ostrides = out
    strides = (ostrides,) + tuple([s for _, _, s in inputs])
    layout = _LAYOUTS.get((shape, strides))
    if layout is None:
        layout = _layout(shape, strides)
    key = "rendered:" + name
    # float16 reaches a kernel only in a copy: from float16 to float16 as bits, else converted
    bits = _bits if ostore.dtype == np.float16 and all(s.dtype == np.float16 for s, _, _ in inputs) else _same
    args = [bits(ostore), ooff]
    if layout[0] is None:
        for (store, off, _), step in zip(inputs, layout[1]):
            args += (bits(store), off, step)
        launch(key, name + "_flat", numel, *args, numel)
        return
    new_shape, new_strides = layout
    args.append(new_strides[0])
    for (store, off, _), st in zip(inputs, new_strides[1:]):
        args += (bits(store), off, st)
    launch(key, name + "_nd", numel, *args, new_shape, numel)


def _layout(shape, strides):
    new_shape, new_strides = elementwise_layout(shape, strides)
    if new_shape is None:
        layout = (None, new_strides)
    else:  # tuples: numba-cuda passes them by value (arrays it would copy to the GPU)
        layout = (tuple(new_shape), tuple(tuple(s) for s in new_strides))
    return remember(_LAYOUTS, (shape, strides), layout)
