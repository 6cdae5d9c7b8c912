"""Every CUDA matmul kernel compiles to PTX for sm_90 (H100/H200) with every signature its
launcher uses (nbtensor.backends.cuda.matmul.SIGNATURES), without a GPU: numba-cuda's real
compiler type-checks what the simulator runs as plain Python.

Needs the real CUDA target (skipped under NUMBA_ENABLE_CUDASIM=1) and the toolkit's NVVM
(``pip install "cuda-toolkit[nvrtc,nvvm,cudart]"``; skipped without it). The kernels'
shared body is an ``inline="always"`` device function, inlined before typing, so no
device (compute capability lookup) is needed to compile them.
"""
import re

import numpy as np
import pytest

import ptx_support  # noqa: E402  (tests/cuda is on sys.path)

ptx_support.require_compiler()

from numba import cuda  # noqa: E402
from numba.cuda.dispatcher import CUDADispatcher  # noqa: E402

from nbtensor.backends.cuda import matmul as launcher  # noqa: E402
from nbtensor.core import dtype as dt  # noqa: E402
from nbtensor.kernels.cuda import matmul as kernels  # noqa: E402

CC = ptx_support.CC


def test_the_table_covers_every_dtype_the_facade_sends_and_every_kernel():
    # products of bool raise before the backend; float16 arrives as float32
    sent = {d.np.name for d in dt.ALL_DTYPES if d not in (dt.bool, dt.float16)}
    assert set(launcher.SIGNATURES) == sent
    defined = {name for name, obj in vars(kernels).items()
               if isinstance(obj, CUDADispatcher) and not name.startswith("_")}  # (not the device body)
    assert {kernel for kernel, _ in launcher.SIGNATURES.values()} == defined


def test_gpu_tile_is_16():
    assert kernels.TILE == 16


@pytest.mark.parametrize("dtype", sorted(launcher.SIGNATURES))
def test_compiles_for_sm90(dtype):
    name, signature = launcher.SIGNATURES[dtype]
    ptx, _ = cuda.compile_ptx(getattr(kernels, name).py_func, signature, cc=CC)
    assert re.search(r"\.target\s+sm_90", ptx)
    assert ".shared" in ptx and "bar.sync" in ptx  # the tiles are staged in shared memory
    if np.dtype(dtype).kind == "f":
        # the inner loop multiplies and adds in the storage's own precision
        suffix = "f32" if dtype == "float32" else "f64"
        assert f"fma.rn.{suffix}" in ptx
    else:
        assert "mul.lo.s64" in ptx  # 64-bit (wrapping) integer products
