"""The CUDA backend's "reduce" kernel family: the kernels ops/reduce.py launches by the CPU's
names (``sum_reduce``, ``argmax_reduce``, ``prod_reduce_ordered``, ...) with the CPU's
arguments ``(x, xo, K, R, sk, sr, out[, indices])``, run by the kernels rendered by
`nbtensor.kernels.cuda.codegen.render_reduce`: a block per output (one kernel per
accumulator dtype: the type of its shared memory), or a thread per output where rows are
short or the outputs lie side by side (``sk == 1``, so that neighbouring threads read
neighbouring elements), which is also how products of floats keep their order
(``prod_reduce_ordered``).

Few long rows (a full ``x.sum()``) would leave most of the GPU idle with a block per row,
so rows are cut into C chunks of L elements, a block per chunk, and a second pass reduces
the K x C partial results (for argmax/argmin, a pass that keeps the first winner).
"""
from nbtensor.backends.cuda import allocator, runtime
from nbtensor.backends.cuda.launch import launch

__all__ = ["run", "chunks"]

_TYPE_NAMES = {"bool": "bool_"}


def _module():
    return f"rendered:reduce_t{runtime.threads()}"


# Rows up to this long are reduced by one thread each (no shared memory, no barriers).
SERIAL_ROW = 16


def chunks(K, R):
    """How many chunks each of K rows of R elements is cut into: enough blocks to fill the
    GPU, each chunk at least four elements per thread."""
    blocks = runtime.max_blocks()
    if K >= blocks:
        return 1
    return max(1, min(blocks // K, R // (4 * runtime.threads())))


def run(kernel, *args):
    """Launch reduce-family `kernel` (a CPU kernel name) with the CPU's arguments."""
    if kernel.endswith("_par"):  # the CPU's threaded variants: one GPU kernel serves both
        kernel, args = kernel[:-len("_par")], args[:-1]
    x, xo, K, R, sk, sr = args[:6]
    outputs = args[6:]
    if kernel.endswith("_ordered") or R <= SERIAL_ROW or (sk == 1 and K >= runtime.max_blocks() * runtime.threads()):
        launch(_module(), kernel.replace("_ordered", "") + "_serial", K, *args)
        return
    typed = outputs[0].dtype.name  # the accumulator (values) decides the shared memory's type
    name = f"{kernel}_{_TYPE_NAMES.get(typed, typed)}"
    C = chunks(K, R)
    L = (R + C - 1) // C
    C = (R + L - 1) // L  # no empty chunk
    if C == 1:
        launch(_module(), name, K, *args, 1, R, blocks=min(K, runtime.max_blocks()))
        return
    partial = [allocator.default().allocate(K * C, out.dtype) for out in outputs]
    launch(_module(), name, K * C, x, xo, K, R, sk, sr, *partial, C, L,
           blocks=min(K * C, runtime.max_blocks()))
    if len(outputs) == 1:
        launch(_module(), name, K, partial[0], 0, K, C, C, 1, outputs[0], 1, C,
               blocks=min(K, runtime.max_blocks()))
    else:
        launch(_module(), kernel[:-len("_reduce")] + "_combine", K, *partial, K, C, *outputs)
