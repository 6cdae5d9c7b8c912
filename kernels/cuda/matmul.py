"""Batched matrix products on the GPU: a tiled shared-memory GEMM over arbitrary strides.

``out[b, i, j] = sum_t x[b, i, t] * y[b, t, j]`` for operands given as a flat 1-D buffer,
an element offset and three strides (in elements) each; a batch stride may be 0 (a
broadcast operand). Each block computes a ``TILE x TILE`` tile of one batch's output, one
element per thread: thread (tx, ty) owns ``out[b, row0 + ty, col0 + tx]``, so a warp's
threads write consecutive columns. The block walks the summed dimension in steps of
``TILE``, staging a ``TILE x TILE`` piece of `x` and of `y` in shared memory; a piece is
loaded with the thread index that runs fastest along the operand's unit stride, so that
row-major and column-major (transposed) operands both load with coalesced reads. Padded
rows (``TILE + 1``) keep the transposed stores free of bank conflicts. Grid-stride loops
over tiles and batches cover any size with any grid.

Accumulation: floats in their own dtype (float32 in float32, as cuBLAS does by default);
integers in 64 bits with wrap-around, which, truncated to the output's width, is exactly
the product NumPy computes in that dtype (arithmetic modulo 2**bits). The accumulator's
type is that of the last argument, ``zero``: float32(0) or float64(0) for `gemm_float`,
int64(0) for signed and uint64(0) for unsigned integers in `gemm_int`, which widens each
factor to it before multiplying (the GPU compiler does that for narrow integers anyway;
the simulator, which runs NumPy scalars, would otherwise multiply int8 by int8 in int8).
The staging tiles hold the storage's dtype.

Both kernels take ``(x, xo, xs0, xs1, xs2, y, yo, ys0, ys1, ys2, out, oo, os0, os1, os2,
b, n, k, p, zero)`` (the three storages of one dtype) and must be launched with blocks of
``(TILE, TILE)`` threads. A k of 0 writes zeros. `out` must not overlap `x` or `y`.

The kernels are cached on disk by numba-cuda (``cache=True``): the body they inline lives
in this file, whose changes numba notices, and `TILE` is 16 wherever a real GPU compiles.
"""
from numba import config, cuda

__all__ = ["TILE", "gemm_float", "gemm_int"]

# The tile edge, fixed when the module is imported: 16 x 16 threads per block on a GPU;
# in the simulator, where every thread is a Python thread, 4 x 4 (tiles stay smaller than
# the test shapes, so ragged edges and several k steps are exercised).
TILE = 4 if config.ENABLE_CUDASIM else 16
_PAD = TILE + 1


@cuda.jit(device=True, inline="always")
def _gemm(x, xo, xs0, xs1, xs2, y, yo, ys0, ys1, ys2, out, oo, os0, os1, os2, b, n, k, p, zero, widen):
    """The body of both kernels; `widen` (a constant after inlining) converts each factor
    to the accumulator's type before multiplying."""
    sx = cuda.shared.array((TILE, _PAD), x.dtype)
    sy = cuda.shared.array((TILE, _PAD), y.dtype)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    row_tiles = (n + TILE - 1) // TILE
    col_tiles = (p + TILE - 1) // TILE
    # Which thread index walks each operand's staged piece along its columns: the fastest
    # (tx) walks the unit-stride dimension, for coalesced reads.
    if xs1 == 1 and xs2 != 1:   # x is column-major: tx walks its rows
        xr, xc = tx, ty
    else:
        xr, xc = ty, tx
    if ys1 == 1 and ys2 != 1:
        yr, yc = tx, ty
    else:
        yr, yc = ty, tx
    for bz in range(cuda.blockIdx.z, b, cuda.gridDim.z):
        xb = xo + bz * xs0
        yb = yo + bz * ys0
        ob = oo + bz * os0
        for by in range(cuda.blockIdx.y, row_tiles, cuda.gridDim.y):
            row0 = by * TILE
            for bx in range(cuda.blockIdx.x, col_tiles, cuda.gridDim.x):
                col0 = bx * TILE
                acc = zero
                for k0 in range(0, k, TILE):
                    i = row0 + xr
                    t = k0 + xc
                    if i < n and t < k:
                        sx[xr, xc] = x[xb + i * xs1 + t * xs2]
                    else:
                        sx[xr, xc] = 0
                    t = k0 + yr
                    j = col0 + yc
                    if t < k and j < p:
                        sy[yr, yc] = y[yb + t * ys1 + j * ys2]
                    else:
                        sy[yr, yc] = 0
                    cuda.syncthreads()
                    if widen:
                        for u in range(TILE):
                            acc += (sx[ty, u] + zero) * sy[u, tx]
                    else:
                        for u in range(TILE):
                            acc += sx[ty, u] * sy[u, tx]
                    cuda.syncthreads()
                i = row0 + ty
                j = col0 + tx
                if i < n and j < p:
                    out[ob + i * os1 + j * os2] = out.dtype.type(acc)  # (integers: wraps)


@cuda.jit(cache=True)
def gemm_float(x, xo, xs0, xs1, xs2, y, yo, ys0, ys1, ys2, out, oo, os0, os1, os2, b, n, k, p, zero):
    """Batched product of float32 or float64 storages, accumulated in `zero`'s type (see
    the module's docstring for the arguments)."""
    _gemm(x, xo, xs0, xs1, xs2, y, yo, ys0, ys1, ys2, out, oo, os0, os1, os2, b, n, k, p, zero, False)


@cuda.jit(cache=True)
def gemm_int(x, xo, xs0, xs1, xs2, y, yo, ys0, ys1, ys2, out, oo, os0, os1, os2, b, n, k, p, zero):
    """Batched product of integer storages, exact modulo 2**64 in `zero`'s type (int64 or
    uint64) and so, once stored, in the storage's own width (see the module's docstring)."""
    _gemm(x, xo, xs0, xs1, xs2, y, yo, ys0, ys1, ys2, out, oo, os0, os1, os2, b, n, k, p, zero, True)
