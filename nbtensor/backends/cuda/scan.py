"""CUDA backend glue for the scans (kernels/cuda/scan.py): `scan_rows`, the backend
primitive ``Backend.scan_rows`` on the GPU.

A first version of the parallel scan: each scanned line is walked serially by one thread
when there are enough lines to fill the GPU (a scan along a leading axis, many rows), in
the CPU's order of accumulation. Few long lines are cut into chunks, a thread each:
chunk totals, then a serial pass per line over its chunk totals, then each chunk scanned
again from its prefix (three launches; floats may then round as a chunked sum does, not as
the CPU's sequential one). A block-wide scan (or decoupled look-back) per line would be
the next step for the longest lines.
"""
import numpy as np

from nbtensor.backends.cuda import allocator, runtime
from nbtensor.backends.cuda.launch import launch
from nbtensor.backends.host import bits

__all__ = ["scan_rows", "SIGNATURES"]

KERNELS = "nbtensor.kernels.cuda.scan"

# The running value's type of cumsum/cumprod: the CPU path's (ops/reduce.py: _scan).
_ACC = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}
# A line is cut into chunks only while there are fewer lines than threads to fill the GPU;
# a chunk holds at least MIN_CHUNK elements, and a line at most MAX_CHUNKS chunks (the
# serial pass over a line's chunk totals walks that many).
MIN_CHUNK = 64
MAX_CHUNKS = 4096

# --------------------------------------------------------------------------- signatures
# Every signature `scan_rows` launches (tests/cuda/test_sort_scan_ptx.py compiles each for
# sm_90). bool arrives as uint8 bits (cummax/cummin; sums and products of bool never do).
_A = "[::1]"
_FLOATS = ("float16", "float32", "float64")
_TYPES = _FLOATS + ("uint8", "int8", "int16", "int32", "int64")
_ACC_NAMES = {"float16": "float32", "float32": "float64"}


SIGNATURES = {
    "cumulate": [f"void({t}{_A}, {t}{_A}, int64, int64, int64, int64, {_ACC_NAMES.get(t, t)}{_A}, "
                 f"{_ACC_NAMES.get(t, t)}, int64)" for t in _TYPES],
    "cumulate_chunks": [f"void({t}{_A}, {_ACC_NAMES.get(t, t)}{_A}, int64, int64, int64, int64, "
                        f"{_ACC_NAMES.get(t, t)}, int64)" for t in _TYPES],
    "cumulate_carry": [f"void({a}{_A}, int64, int64)" for a in sorted({_ACC_NAMES.get(t, t) for t in _TYPES})],
    "cumextreme": [f"void({t}{_A}, {t}{_A}, int64{_A}, int64, int64, int64, int64, {t}{_A}, int64{_A}, int64)"
                   for t in _TYPES],
    "cumextreme_chunks": [f"void({t}{_A}, {t}{_A}, int64{_A}, int64, int64, int64, int64, int64)" for t in _TYPES],
    "cumextreme_carry": [f"void({t}{_A}, int64{_A}, int64, int64)" for t in _TYPES],
    "logcumsumexp": [f"void({t}{_A}, {t}{_A}, int64, int64, int64, int64, float64{_A})" for t in _FLOATS],
    "logcumsumexp_chunks": [f"void({t}{_A}, float64{_A}, int64, int64, int64, int64)" for t in _FLOATS],
    "logcumsumexp_carry": [f"void(float64{_A}, int64)"],
}


def chunk_length(lines, n):
    """Elements per chunk of each of `lines` lines of `n` elements (n: lines are not cut)."""
    target = runtime.max_blocks() * runtime.threads()  # threads that fill the GPU
    if lines >= target or n <= MIN_CHUNK:
        return n
    chunks = min(MAX_CHUNKS, -(-target // lines), -(-n // MIN_CHUNK))
    return -(-n // chunks)


def scan_rows(name, src, outer, n, inner, allocate=None):
    """Scan `name` ("cumsum", "cumprod", "logcumsumexp", "cummax", "cummin") along the middle
    axis of the contiguous (outer, n, inner) elements at the start of the 1-D device storage
    `src`. Returns new storage of src's dtype (and, for cummax/cummin, an int64 storage of
    indices) from `allocate(n, dtype)` (default: the process's caching allocator)."""
    allocate = allocator.default().allocate if allocate is None else allocate
    total = outer * n * inner
    values = allocate(total, src.dtype)
    extreme = name in ("cummax", "cummin")
    indices = allocate(total, np.int64) if extreme else None
    if name not in ("cumsum", "cumprod", "logcumsumexp") and not extreme:
        raise ValueError(f"unknown scan {name!r}")
    if total == 0:
        return (values, indices) if extreme else values
    lines = outer * inner
    L = chunk_length(lines, n)
    chunks = lines * (-(-n // L))
    if extreme:
        data, out = (bits(src), bits(values)) if src.dtype == np.bool_ else (src, values)
        carry = allocate(chunks if L < n else 1, data.dtype), allocate(chunks if L < n else 1, np.int64)
        smallest = int(name == "cummin")
        if L < n:
            launch(KERNELS, "cumextreme_chunks", chunks, data, *carry, outer, n, inner, L, smallest)
            launch(KERNELS, "cumextreme_carry", lines, *carry, lines, smallest)
        launch(KERNELS, "cumextreme", chunks, data, out, indices, outer, n, inner, L, *carry, smallest)
        return values, indices
    if name == "logcumsumexp":
        kernel, acc, extra, product = name, np.float64, (), ()
    else:
        if src.dtype == np.bool_:
            raise TypeError(f"{name} of bool: the facade casts bool to an integer type first")
        acc = _ACC.get(src.dtype, src.dtype.type)
        product = (int(name == "cumprod"),)
        kernel, extra = "cumulate", (acc(product[0]),)  # the running value's start and type
    carry = allocate(chunks if L < n else 1, acc)
    if L < n:
        launch(KERNELS, kernel + "_chunks", chunks, src, carry, outer, n, inner, L, *extra, *product)
        launch(KERNELS, kernel + "_carry", lines, carry, lines, *product)
    launch(KERNELS, kernel, chunks, src, values, outer, n, inner, L, carry, *extra, *product)
    return values
