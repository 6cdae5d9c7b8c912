"""What the PTX tests of tests/cuda/ share: they compile kernels for sm_90 with the real CUDA
target (NVVM from the cuda-toolkit wheels), which needs no GPU but is not there in Numba's
CUDA simulator, nor without the toolkit."""
import os

import pytest

CC = (9, 0)  # the H100/H200


def require_compiler():
    """Skip the calling test module where kernels cannot be compiled to PTX."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        pytest.skip("compiling PTX needs the real CUDA target, not the simulator", allow_module_level=True)
    try:
        from numba import cuda
        cuda.compile_ptx(lambda a: None, "void(int64[::1])", cc=CC)
    except Exception as exc:  # no numba-cuda, or no CUDA toolkit (NVVM) to compile with
        pytest.skip(f"cannot compile PTX here: {exc}", allow_module_level=True)
