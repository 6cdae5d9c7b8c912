"""The CUDA backend's matrix product: ``matmul(x, y, out)``, batched (b, n, k) @ (b, k, p).

Operands are ``(storage, offset, shape, strides)`` with 1-D numba device arrays as storage,
offsets and strides in elements, shapes (b, n, k), (b, k, p) and (b, n, p); a batch stride
may be 0 (a broadcast operand); the three storages hold one dtype (the compute dtype, see
`nbtensor.backends.base.Backend.matmul`); `out` overlaps neither input.

Two implementations, chosen per call by `path`:

- ``"cublas"``: float32 and float64 products through cuBLAS, by CuPy, when CuPy can be
  imported (it is imported lazily, on the first product, never at module import). The
  storages are wrapped as CuPy arrays without a copy (`cupy.cuda.UnownedMemory` over the
  device pointer, the storage as owner) and ``cupy.matmul(x, y, out=out)`` runs on the
  same (legacy default) stream as numba's launches. A broadcast batch operand is given to
  CuPy with batch size 1, which CuPy broadcasts itself (batched cuBLAS over pointer
  arrays) instead of receiving a materialised stack; CuPy copies a batched operand that is
  not row-major first. cuBLAS computes float32 in float32 (CuPy's default compute type,
  unless ``CUPY_TF32=1``). Both operands broadcast over a batch > 1 go to the kernel.
- ``"kernel"``: the tiled shared-memory GEMM of `nbtensor.kernels.cuda.matmul`, for every
  dtype in `SIGNATURES` (integers exactly, wrapping around in their width), for any
  strides, for k == 0, and for floats when CuPy is absent or `USE_CUBLAS` is False
  (set it to benchmark one path against the other).

`SIGNATURES` is the one table of the kernel signatures this module launches: storage dtype
-> (kernel name, numba signature); tests/cuda/test_matmul_ptx.py compiles each to sm_90
PTX.
"""
import threading

import numpy as np

from nbtensor.backends.cuda import runtime

__all__ = ["matmul", "path", "SIGNATURES", "USE_CUBLAS", "ACCUMULATORS"]

# Send float products through cuBLAS (CuPy) when CuPy is importable; False: always the
# numba kernel (to benchmark it, or to rule cuBLAS out).
USE_CUBLAS = True

# storage dtype -> (kernel, accumulator dtype: the type of the kernel's `zero` argument)
ACCUMULATORS = {
    "float32": ("gemm_float", "float32"),
    "float64": ("gemm_float", "float64"),
    "int8": ("gemm_int", "int64"),
    "int16": ("gemm_int", "int64"),
    "int32": ("gemm_int", "int64"),
    "int64": ("gemm_int", "int64"),
    "uint8": ("gemm_int", "uint64"),
}


def _signature(storage, acc):
    operand = f"{storage}[::1], int64, int64, int64, int64"
    return f"void({operand}, {operand}, {operand}, int64, int64, int64, int64, {acc})"


# The kernel signatures launched: storage dtype -> (kernel name, numba signature string).
SIGNATURES = {name: (kernel, _signature(name, acc)) for name, (kernel, acc) in ACCUMULATORS.items()}

_ZERO = {name: np.dtype(acc).type(0) for name, (_, acc) in ACCUMULATORS.items()}
_Y_MAX = 65535  # the most blocks along a grid's y and z
_X_MAX = (1 << 31) - 1

_lock = threading.Lock()
_kernels = None
_cupy = None
_cupy_tried = False


def _kernel_module():
    """nbtensor.kernels.cuda.matmul, imported on first use (it imports numba.cuda)."""
    global _kernels
    if _kernels is None:
        from nbtensor.kernels.cuda import matmul as kernels
        _kernels = kernels
    return _kernels


def cupy():
    """The `cupy` module, or None where it cannot be imported or used (always None in
    the simulator); imported once, on the first call."""
    global _cupy, _cupy_tried
    if not _cupy_tried:
        with _lock:
            if not _cupy_tried:
                module = None
                if not runtime.simulated():
                    try:
                        import cupy as module
                    except Exception:  # not installed, or built for another CUDA
                        module = None
                _cupy = module
                _cupy_tried = True
    return _cupy


def path(dtype, k=1):
    """Which implementation multiplies storages of NumPy dtype `dtype` summing over `k`:
    ``"cublas"`` or ``"kernel"``."""
    if USE_CUBLAS and k > 0 and dtype.kind == "f" and dtype.itemsize >= 4 and cupy() is not None:
        return "cublas"
    return "kernel"


def matmul(x, y, out):
    """``out[i] = x[i] @ y[i]`` for the operands ``(storage, offset, shape, strides)``
    described in the module's docstring; nothing to do for an empty `out`."""
    xs, xo, (b, n, k), xst = x
    ys, yo, (_, _, p), yst = y
    os_, oo, _, ost = out
    if b == 0 or n == 0 or p == 0:
        return
    dtype = os_.dtype
    if xs.dtype != dtype or ys.dtype != dtype:
        raise TypeError(f"matmul: the storages must have one dtype, got {xs.dtype}, {ys.dtype} and {dtype}")
    if path(dtype, k) == "cublas" and not (b > 1 and xst[0] == 0 and yst[0] == 0):
        _cublas(x, y, out, dtype)  # (CuPy would make both broadcast operands a batch of 1)
    else:
        _launch(xs, xo, xst, ys, yo, yst, os_, oo, ost, b, n, k, p, dtype)


def _launch(xs, xo, xst, ys, yo, yst, os_, oo, ost, b, n, k, p, dtype):
    spec = ACCUMULATORS.get(dtype.name)
    if spec is None:
        raise TypeError(f"matmul: no CUDA kernel for {dtype} (supported: {', '.join(ACCUMULATORS)})")
    kernels = _kernel_module()
    tile = kernels.TILE
    fn = getattr(kernels, spec[0])
    cols, rows = -(-p // tile), -(-n // tile)
    if runtime.simulated():  # few blocks: every simulated thread is a Python thread
        grid = (min(cols, 2), min(rows, 2), min(b, 2))
    else:
        grid = (min(cols, _X_MAX), min(rows, _Y_MAX), min(b, _Y_MAX))
    fn[grid, (tile, tile)](xs, xo, xst[0], xst[1], xst[2], ys, yo, yst[0], yst[1], yst[2],
                           os_, oo, ost[0], ost[1], ost[2], b, n, k, p, _ZERO[dtype.name])


def _wrap(cp, storage, offset, shape, strides, dtype):
    """A CuPy array over `storage`'s memory (no copy; `storage` stays its owner)."""
    item = dtype.itemsize
    memory = cp.cuda.UnownedMemory(runtime.address(storage), storage.size * item, storage)
    return cp.ndarray(shape, dtype, cp.cuda.MemoryPointer(memory, offset * item),
                      strides=tuple(s * item for s in strides))


def _cublas(x, y, out, dtype):
    cp = cupy()
    (xs, xo, (b, n, k), xst), (ys, yo, (_, _, p), yst), (os_, oo, _, ost) = x, y, out
    if b == 1:  # one product: 2-D arrays (CuPy passes transposed operands to cuBLAS as they are)
        xa = _wrap(cp, xs, xo, (n, k), xst[1:], dtype)
        ya = _wrap(cp, ys, yo, (k, p), yst[1:], dtype)
        oa = _wrap(cp, os_, oo, (n, p), ost[1:], dtype)
    else:  # a broadcast operand (batch stride 0) as a batch of 1, which CuPy broadcasts
        xa = _wrap(cp, xs, xo, (1 if xst[0] == 0 else b, n, k), xst, dtype)
        ya = _wrap(cp, ys, yo, (1 if yst[0] == 0 else b, k, p), yst, dtype)
        oa = _wrap(cp, os_, oo, (b, n, p), ost, dtype)
    cp.matmul(xa, ya, out=oa)
