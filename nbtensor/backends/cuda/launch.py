"""Finding and launching the CUDA kernels, and recording the signatures they ran with.

Kernels live in modules: the element-wise ops' and the reductions' are rendered by
`nbtensor.kernels.cuda.codegen` into the kernel cache (``"rendered:add"``), the others are
written by hand (``"nbtensor.kernels.cuda.gather"``). `launch` runs one with a grid sized
for a number of items.

With ``NBTENSOR_CUDA_SIGNATURES=<file>`` every distinct (module, kernel, argument types)
launched is appended to <file> as a JSON line; `nbtensor.backends.cuda.ptx` compiles each
line to sm_90 PTX. CI records them while the device suite runs in the simulator, so every
signature the backend used there is also compiled by the real CUDA compiler.
"""
import importlib
import json
import os
import threading

import numpy as np

from nbtensor.backends.cuda import runtime

__all__ = ["kernel", "launch", "signature_of"]

_KERNELS = {}
_lock = threading.Lock()
_recorded = set()
_record_path = os.environ.get("NBTENSOR_CUDA_SIGNATURES")


def module(key):
    """The kernel module `key`: ``"rendered:<name>"`` or an import path."""
    if key.startswith("rendered:"):
        from nbtensor.kernels.cpu import loader
        from nbtensor.kernels.cuda import codegen
        return loader.load(key[len("rendered:"):], codegen.render, "cuda")
    return importlib.import_module(key)


def kernel(key, name):
    """Kernel `name` of module `key` (imported, or rendered, on first use)."""
    fn = _KERNELS.get((key, name))
    if fn is None:
        fn = _KERNELS[(key, name)] = getattr(module(key), name)
    return fn


def launch(key, name, items, *args, blocks=None):
    """Run kernel `name` of module `key` over `items` work items (one per thread, in
    grid-stride loops) or on `blocks` blocks, with `args`."""
    fn = kernel(key, name)
    if _record_path:
        _record(key, name, args)
    fn[runtime.blocks_for(items) if blocks is None else blocks, runtime.threads()](*args)


def signature_of(args):
    """The argument types of a launch, as JSON-able specs: ``["array", "float32", 1, "C"]``,
    ``["tuple", 2]`` (of int64), ``"int64"``, ``"float64"``, ``"bool"``."""
    specs = []
    for a in args:
        if isinstance(a, np.generic):
            specs.append(str(a.dtype))
        elif isinstance(a, bool):
            specs.append("bool")
        elif isinstance(a, int):
            specs.append("int64")
        elif isinstance(a, float):
            specs.append("float64")
        elif isinstance(a, tuple):
            specs.append(["tuple", len(a)])
        elif hasattr(a, "dtype") and hasattr(a, "shape"):
            dtype = "xoroshiro128p" if a.dtype.names else str(a.dtype)  # (the only record dtype: RNG states)
            specs.append(["array", dtype, len(a.shape), "C" if a.is_c_contiguous() else "A"])
        else:
            specs.append(type(a).__name__)
    return specs


def _record(key, name, args):
    line = json.dumps({"module": key, "kernel": name, "args": signature_of(args)})
    with _lock:
        if line in _recorded:
            return
        _recorded.add(line)
        with open(_record_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
