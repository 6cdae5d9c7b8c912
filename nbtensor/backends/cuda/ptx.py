"""Compile the CUDA kernels to PTX without a GPU, as the real compiler does on one.

Numba's CUDA simulator runs kernels as Python, so it never type-checks them; this module
compiles them with NVVM for a compute capability (sm_90, the H100/H200, by default) so
that a kernel the real target would reject fails on a machine without a GPU too. It needs
NVVM from ``pip install "cuda-toolkit[nvrtc,nvvm,cudart]"``, not a driver.

``python -m nbtensor.backends.cuda.ptx SIGNATURES.jsonl`` compiles every signature that
``NBTENSOR_CUDA_SIGNATURES`` recorded (see `launch`) and exits non-zero if one fails.
"""
import argparse
import contextlib
import json
import sys
import time

import numpy as np

__all__ = ["compile_kernel", "numba_types", "compile_recorded"]


@contextlib.contextmanager
def _target_without_gpu(cc):
    # numba-cuda compiles a device function called by a kernel for the current GPU's compute
    # capability; without a GPU (no driver) that query fails, so it is answered with `cc`
    from numba.cuda import dispatcher

    class _Device:
        compute_capability = cc

    saved = dispatcher.get_current_device
    dispatcher.get_current_device = _Device
    try:
        yield
    finally:
        dispatcher.get_current_device = saved


def numba_types(specs):
    """Numba argument types from the specs `launch.signature_of` records."""
    from numba import types
    from numba.np.numpy_support import from_dtype
    result = []
    for spec in specs:
        if isinstance(spec, list) and spec[0] == "array":
            dtype, ndim, layout = spec[1], spec[2], spec[3] if len(spec) > 3 else "C"
            if dtype == "xoroshiro128p":
                from numba.cuda.random import xoroshiro128p_type
                element = xoroshiro128p_type
            else:
                element = from_dtype(np.dtype(dtype))
            result.append(types.Array(element, ndim, layout))
        elif isinstance(spec, list) and spec[0] == "tuple":
            result.append(types.UniTuple(types.int64, spec[1]))
        elif spec == "bool":
            result.append(types.boolean)
        else:
            result.append(from_dtype(np.dtype(spec)))
    return tuple(result)


def compile_kernel(kernel, argtypes, cc=(9, 0)):
    """PTX of `kernel` (a ``cuda.jit`` dispatcher, or its Python function) for `argtypes`."""
    from numba import cuda
    fn = getattr(kernel, "py_func", kernel)
    with _target_without_gpu(cc):
        ptx, _ = cuda.compile_ptx(fn, argtypes, cc=cc)
    return ptx


def compile_recorded(lines, cc=(9, 0)):
    """Compile each recorded launch (JSON lines); returns [(record, error or None)]."""
    from nbtensor.backends.cuda import launch
    results = []
    for line in lines:
        record = json.loads(line)
        try:
            compile_kernel(launch.kernel(record["module"], record["kernel"]), numba_types(record["args"]), cc)
            results.append((record, None))
        except Exception as exc:  # reported, with the signature, by the caller
            results.append((record, f"{type(exc).__name__}: {exc}"))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("signatures", help="JSON lines recorded with NBTENSOR_CUDA_SIGNATURES")
    parser.add_argument("--cc", default="9.0", help="compute capability (default 9.0: sm_90)")
    args = parser.parse_args(argv)
    cc = tuple(int(p) for p in args.cc.split("."))
    with open(args.signatures, encoding="utf-8") as f:
        lines = sorted({line.strip() for line in f if line.strip()})
    start = time.perf_counter()
    results = compile_recorded(lines, cc)
    failed = [(r, e) for r, e in results if e is not None]
    for record, error in failed:
        print(f"FAILED {record['module']} {record['kernel']} {record['args']}: {error.splitlines()[0]}")
    kernels = {(r["module"], r["kernel"]) for r, _ in results}
    print(f"compiled {len(results) - len(failed)} of {len(results)} signatures ({len(kernels)} kernels) "
          f"to PTX for sm_{cc[0]}{cc[1]} in {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
