"""The CUDA element-wise launcher: the same planned iteration as the CPU's
(`nbtensor.backends.cpu.elementwise.run`), run by the kernels of
`nbtensor.kernels.cuda.codegen` — ``<op>_flat`` when the output is one contiguous range and
every input contiguous or broadcast, else ``<op>_nd`` over the coalesced shape.
"""
import numpy as np

from nbtensor.backends.cuda.launch import launch
from nbtensor.core.plan import numel as _numel
from nbtensor.core.plan import plan, remember, row_major

__all__ = ["run"]

# (shape, strides of every operand) -> (None, input steps) or (shape, strides) to launch
_LAYOUTS = {}


def _bits(storage):
    # float16 reaches an element-wise kernel only for a plain copy: move its bit patterns
    return storage.view(np.uint16) if storage.dtype == np.float16 else storage


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
    args = [_bits(ostore), ooff]
    if layout[0] is None:
        for (store, off, _), step in zip(inputs, layout[1]):
            args += (_bits(store), off, step)
        launch(key, name + "_flat", numel, *args, numel)
        return
    new_shape, new_strides = layout
    args.append(new_strides[0])
    for (store, off, _), st in zip(inputs, new_strides[1:]):
        args += (_bits(store), off, st)
    launch(key, name + "_nd", numel, *args, new_shape, numel)


def _layout(shape, strides):
    if all(s == strides[0] for s in strides[1:]) and row_major(shape, strides[0]):
        new_shape, new_strides = (_numel(shape),), [(1,)] * len(strides)
    else:
        new_shape, new_strides = plan(shape, list(strides))
    if len(new_shape) == 1 and new_strides[0][0] == 1 and all(s[0] in (0, 1) for s in new_strides[1:]):
        layout = (None, tuple(s[0] for s in new_strides[1:]))
    else:
        layout = (tuple(new_shape), tuple(tuple(s) for s in new_strides))
    return remember(_LAYOUTS, (shape, strides), layout)
