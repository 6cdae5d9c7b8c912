"""Calling a compiled CPU kernel without numba's per-call type dispatch.

A numba dispatcher works out the types of its arguments at every call: ~0.2 us of a small
op's ~2 us. A fast path whose calls always pass arguments of the same types can call the
kernel's compiled entry point for those types instead. Arrays are only ever storages, and
every storage is a 1-D C-contiguous NumPy array (ops/bridge.py makes even a strided array's
storage one), so an array's type is fixed by its dtype; ints are typed int64, floats float64.
An entry point checks each array's dtype (a wrong one raises TypeError) but not its
dimensions: only storages may be passed.
"""
import numpy as np


def entry_for(kernel, args):
    """`kernel`'s compiled entry point for arguments typed as `args` (compiled, or loaded from
    numba's cache, if need be); `kernel` itself when an argument is not a 1-D C-contiguous
    array, a Python int or a Python float, or when numba does not compile (NUMBA_DISABLE_JIT)."""
    compile_for = getattr(kernel, "compile", None)
    if compile_for is None:
        return kernel
    from numba import from_dtype, types  # (loaded already: the kernel is numba's)
    signature = []
    for a in args:
        kind = type(a)
        if kind is np.ndarray and a.ndim == 1 and a.flags.c_contiguous:
            signature.append(types.Array(from_dtype(a.dtype), 1, "C"))
        elif kind is int:
            signature.append(types.int64)
        elif kind is float:
            signature.append(types.float64)
        else:
            return kernel
    return compile_for(tuple(signature))


def bind_on_first_call(slots, index, kernel):
    """A stand-in for `kernel` at ``slots[index]``: its first call puts there the kernel's
    entry point for the types of that call's arguments (`entry_for`) and runs it. Every later
    call through the slot must pass arguments of the same types: arrays of the same dtypes
    (storages), ints where it passed ints, floats where it passed floats."""
    def first_call(*args):
        entry = slots[index] = entry_for(kernel, args)
        return entry(*args)
    return first_call
