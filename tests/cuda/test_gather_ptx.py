"""Every CUDA gather kernel compiles to PTX for sm_90 (H100/H200) with every signature its
launchers use (nbtensor.backends.cuda.gather.SIGNATURES), without a GPU: numba-cuda's real
compiler type-checks what the simulator runs as plain Python.

Needs the real CUDA target (skipped under NUMBA_ENABLE_CUDASIM=1) and the toolkit's NVVM
(``pip install "cuda-toolkit[nvrtc,nvvm,cudart]"``; skipped without it).

The kernels call device functions, which numba-cuda compiles for the *current* GPU's
compute capability even inside `compile_ptx`: `nbtensor.backends.cuda.ptx.compile_kernel`
answers that lookup with sm_90 when there is no GPU.
"""

import pytest

import ptx_support  # noqa: E402  (tests/cuda is on sys.path)

ptx_support.require_compiler()

from numba.cuda.dispatcher import CUDADispatcher  # noqa: E402

from nbtensor.backends.cuda.gather import SIGNATURES  # noqa: E402
from nbtensor.backends.cuda.ptx import compile_kernel  # noqa: E402
from nbtensor.kernels.cuda import gather as kernels  # noqa: E402

CC = ptx_support.CC
CASES = [(name, sig) for name, sigs in SIGNATURES.items() for sig in sigs]

# Instructions that show the accumulating kernels update memory atomically.
ATOMIC = {"add": ("atom.global.add", "red.global.add", "atom.add", "red.add"), "mul": ("atom.global.cas", "atom.cas")}


def _kernel_names():
    return sorted(name for name, obj in vars(kernels).items()
                  if isinstance(obj, CUDADispatcher) and not name.startswith("_"))


def test_every_kernel_has_signatures():
    assert _kernel_names() == sorted(SIGNATURES)
    assert all(SIGNATURES.values())


@pytest.mark.parametrize("name, sig", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_compiles_for_sm90(name, sig):
    ptx = compile_kernel(getattr(kernels, name), sig, cc=CC)
    assert ".target sm_90" in ptx and ".entry" in ptx
    kind = "add" if name.endswith("_add") else "mul" if "_mul" in name else None
    if kind:
        assert any(op in ptx for op in ATOMIC[kind]), f"{name} {sig}: no atomic instruction in the PTX"
