"""Random fills on the GPU: Numba's xoroshiro128+ generators, one state per thread of the
launch (the launch must use exactly as many threads as there are states), each thread
drawing for the elements i, i + gridsize, ... of a contiguous float32 or float64 output."""
import numpy as np
from numba import cuda, types
from numba.cuda.random import (xoroshiro128p_normal_float32, xoroshiro128p_normal_float64,
                               xoroshiro128p_uniform_float32, xoroshiro128p_uniform_float64)
from numba.extending import overload

# (uniform, normal) draws in each output dtype
_DRAWS = {np.dtype(np.float32): (xoroshiro128p_uniform_float32, xoroshiro128p_normal_float32),
          np.dtype(np.float64): (xoroshiro128p_uniform_float64, xoroshiro128p_normal_float64)}


def draw(states, tid, out, normal):
    """One sample in `out`'s dtype from thread `tid`'s state: uniform in [0, 1), or standard
    normal when `normal` (what the simulator runs; the GPU takes the overload)."""
    return _DRAWS[np.dtype(out.dtype)][1 if normal else 0](states, tid)


@overload(draw, target="cuda")
def _draw(states, tid, out, normal):
    if out.dtype not in (types.float32, types.float64):
        return None
    uniform, gauss = _DRAWS[np.dtype(str(out.dtype))]
    return lambda states, tid, out, normal: gauss(states, tid) if normal else uniform(states, tid)


@cuda.jit(cache=True)
def fill(states, out, n, shift, scale, normal):
    """out[i] = shift + scale * (a uniform [0, 1) sample, or a standard normal one)."""
    tid = cuda.grid(1)
    i = tid
    while i < n:
        out[i] = shift + scale * draw(states, tid, out, normal)
        i += cuda.gridsize(1)
