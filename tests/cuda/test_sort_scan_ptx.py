"""Every CUDA sort and scan kernel compiles to PTX for sm_90 (H100/H200) with every signature
its launcher uses (SIGNATURES in nbtensor/backends/cuda/sort.py and scan.py), without a
GPU: numba-cuda's real compiler type-checks what the simulator runs as plain Python.

Needs the real CUDA target (skipped under NUMBA_ENABLE_CUDASIM=1) and the toolkit's NVVM
(``pip install "cuda-toolkit[nvrtc,nvvm,cudart]"``; skipped without it).
"""

import pytest

import ptx_support  # noqa: E402  (tests/cuda is on sys.path)

ptx_support.require_compiler()

from numba.cuda.dispatcher import CUDADispatcher  # noqa: E402

from nbtensor.backends.cuda import scan as scan_launcher  # noqa: E402
from nbtensor.backends.cuda import sort as sort_launcher  # noqa: E402
from nbtensor.backends.cuda.ptx import compile_kernel  # noqa: E402
from nbtensor.kernels.cuda import scan as scan_kernels  # noqa: E402
from nbtensor.kernels.cuda import sort as sort_kernels  # noqa: E402

CC = ptx_support.CC
MODULES = {"sort": (sort_kernels, sort_launcher), "scan": (scan_kernels, scan_launcher)}
CASES = [(module, name, sig) for module, (_, launcher) in MODULES.items()
         for name, sigs in launcher.SIGNATURES.items() for sig in sigs]


def _kernel_names(kernels):
    return sorted(name for name, obj in vars(kernels).items()
                  if isinstance(obj, CUDADispatcher) and not name.startswith("_"))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_kernel_has_signatures(module):
    kernels, launcher = MODULES[module]
    assert _kernel_names(kernels) == sorted(launcher.SIGNATURES)
    assert all(launcher.SIGNATURES.values())
    assert launcher.KERNELS == kernels.__name__


@pytest.mark.parametrize("module, name, sig", CASES, ids=[f"{m}-{n}-{s}" for m, n, s in CASES])
def test_compiles_for_sm90(module, name, sig):
    ptx = compile_kernel(getattr(MODULES[module][0], name), sig, cc=CC)
    assert ".target sm_90" in ptx and ".entry" in ptx
