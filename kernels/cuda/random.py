"""Random fills on the GPU: Numba's xoroshiro128+ generators, one state per thread of the
launch (the launch must use exactly as many threads as there are states), each thread
drawing for the elements i, i + gridsize, ... of a contiguous output."""
from numba import cuda
from numba.cuda.random import (xoroshiro128p_normal_float32, xoroshiro128p_normal_float64,
                               xoroshiro128p_uniform_float32, xoroshiro128p_uniform_float64)


@cuda.jit(cache=True)
def uniform_float32(states, out, n, low, span):
    tid = cuda.grid(1)
    i = tid
    while i < n:
        out[i] = low + span * xoroshiro128p_uniform_float32(states, tid)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def uniform_float64(states, out, n, low, span):
    tid = cuda.grid(1)
    i = tid
    while i < n:
        out[i] = low + span * xoroshiro128p_uniform_float64(states, tid)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def normal_float32(states, out, n, mean, std):
    tid = cuda.grid(1)
    i = tid
    while i < n:
        out[i] = mean + std * xoroshiro128p_normal_float32(states, tid)
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def normal_float64(states, out, n, mean, std):
    tid = cuda.grid(1)
    i = tid
    while i < n:
        out[i] = mean + std * xoroshiro128p_normal_float64(states, tid)
        i += cuda.gridsize(1)
