"""CUDA backend glue for sorting (kernels/cuda/sort.py): `sort_rows`, the backend primitive
``Backend.sort_rows`` on the GPU.

Every row is sorted at once by a bitonic network over (order key, position) pairs in global
memory: one launch to key the elements (rows padded to a power of two p), one launch per
network step (log2(p) * (log2(p) + 1) / 2 of them, each over every row), one to write the
values and indices out. Stable, NaN above every number, -0.0 equal to +0.0: the CPU's order
(kernels/cpu/sortkeys.py). Work and memory are O(p log^2 p) and 16 bytes per padded slot;
a shared-memory pass for the short steps (or a radix sort) would cut the launches and the
traffic of long rows.
"""
import numpy as np

from nbtensor.backends.cuda import allocator
from nbtensor.backends.cuda.launch import launch
from nbtensor.backends.host import bits

__all__ = ["sort_rows", "SIGNATURES"]

KERNELS = "nbtensor.kernels.cuda.sort"
UNSIGNED, SIGNED, FLOAT = 0, 1, 2

# dtype -> (kind, width in bits, bits of +inf); the CPU's table (ops/sorting.py: _KINDS)
_KINDS = {np.dtype(np.bool_): (UNSIGNED, 8, 0), np.dtype(np.uint8): (UNSIGNED, 8, 0),
          np.dtype(np.int8): (SIGNED, 8, 0), np.dtype(np.int16): (SIGNED, 16, 0),
          np.dtype(np.int32): (SIGNED, 32, 0), np.dtype(np.int64): (SIGNED, 64, 0),
          np.dtype(np.float16): (FLOAT, 16, 0x7C00), np.dtype(np.float32): (FLOAT, 32, 0x7F800000),
          np.dtype(np.float64): (FLOAT, 64, 0x7FF0000000000000)}
_PAD = np.uint64(0xFFFFFFFFFFFFFFFF)

# --------------------------------------------------------------------------- signatures
# Every signature `sort_rows` launches (tests/cuda/test_sort_scan_ptx.py compiles each for
# sm_90): sources and values are viewed as unsigned integers of the element's width.
_A = "[::1]"
_UINTS = ("uint8", "uint16", "uint32", "uint64")
SIGNATURES = {
    "sort_init": [f"void({u}{_A}, int64, int64, int64, uint64, uint64, uint64, uint64, uint64, uint64, "
                  f"uint64{_A}, int64{_A})" for u in _UINTS],
    "sort_step": [f"void(uint64{_A}, int64{_A}, int64, int64, int64)"],
    "sort_gather": [f"void({u}{_A}, int64, int64, int64{_A}, {u}{_A}, int64{_A})" for u in _UINTS],
}


def sort_rows(src, rows, n, descending, allocate=None):
    """Sort each of the `rows` rows of `n` elements held row-major at the start of the 1-D
    device storage `src`, stably (equal elements keep their order, NaN above every number,
    -0.0 equal to +0.0). Returns (values, int64 indices), new storages of rows * n elements
    from `allocate(n, dtype)` (default: the process's caching allocator)."""
    allocate = allocator.default().allocate if allocate is None else allocate
    total = rows * n
    values = allocate(total, src.dtype)
    indices = allocate(total, np.int64)
    if total == 0:
        return values, indices
    kind, width, inf_bits = _KINDS[src.dtype]
    sign = np.uint64(1 << (width - 1))
    mask = np.uint64((1 << (width - 1)) - 1)
    flip = np.uint64((1 << width) - 1 if descending else 0)
    p = 1 << (n - 1).bit_length()
    slots = rows * p
    keys = allocate(slots, np.uint64)
    idx = allocate(slots, np.int64)
    src_bits = bits(src)
    launch(KERNELS, "sort_init", slots, src_bits, n, p, kind, sign, mask, np.uint64(inf_bits),
           np.uint64(inf_bits + 1), flip, _PAD, keys, idx)
    k = 2
    while k <= p:
        j = k // 2
        while j:
            launch(KERNELS, "sort_step", slots // 2, keys, idx, p, k, j)
            j //= 2
        k *= 2
    launch(KERNELS, "sort_gather", total, src_bits, n, p, idx, bits(values), indices)
    return values, indices
