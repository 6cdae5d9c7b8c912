"""The backends every benchmark is parametrised by: nbtensor, numpy and (if installed) torch."""
import numpy as np

BACKENDS = ["nbtensor", "numpy", "torch"]


def load(backend):
    """The module for `backend`; NotImplementedError (asv: skipped) when it isn't installed."""
    if backend == "nbtensor":
        import nbtensor
        return nbtensor
    if backend == "numpy":
        return np
    try:
        import torch
    except ImportError:
        raise NotImplementedError("torch is not installed") from None
    torch.set_num_threads(2)
    return torch


def array(backend, a):
    """`a` (an ndarray) as the backend's array type."""
    mod = load(backend)
    if backend == "numpy":
        return a
    return mod.from_numpy(np.ascontiguousarray(a))
