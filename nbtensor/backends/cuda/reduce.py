"""The CUDA backend's "reduce" kernel family: the kernels ops/reduce.py launches by the CPU's
names (``sum_reduce``, ``argmax_reduce``, ``prod_reduce_ordered``, ...) with the CPU's
arguments ``(x, xo, K, R, sk, sr, out[, indices])``, run by the kernels rendered by
`nbtensor.kernels.cuda.codegen.render_reduce`: one block per output, one kernel per
accumulator dtype.
"""
from nbtensor.backends.cuda import runtime
from nbtensor.backends.cuda.launch import launch

__all__ = ["run"]

_TYPE_NAMES = {"bool": "bool_"}


def _module():
    return f"rendered:reduce_t{runtime.threads()}"


def run(kernel, *args):
    """Launch reduce-family `kernel` (a CPU kernel name) with the CPU's arguments."""
    if kernel.endswith("_par"):  # the CPU's threaded variants: one GPU kernel serves both
        kernel, args = kernel[:-len("_par")], args[:-1]
    K = args[2]
    if kernel.endswith("_ordered"):
        launch(_module(), kernel, K, *args)
        return
    typed = args[6].dtype.name  # the accumulator (values) decides the shared memory's type
    launch(_module(), f"{kernel}_{_TYPE_NAMES.get(typed, typed)}", K, *args,
           blocks=min(K, runtime.max_blocks()))
