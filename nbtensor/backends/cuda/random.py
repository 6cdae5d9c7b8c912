"""The GPU's random generator: Numba's xoroshiro128+ states, one per thread of a full launch
(`runtime.max_blocks()` blocks of `runtime.threads()`), created from the devices' seed
(`backends.base.device_seed`, set by ``nbtensor.manual_seed`` and
``nbtensor.cuda.manual_seed``) when first used and again whenever that seed is set. Draws
advance the states, so a seed gives the same sequence of fills again; the values are not
the CPU's (as torch's CUDA generator's are not).
"""
import threading
import warnings


from nbtensor.backends.cuda import runtime
from nbtensor.backends.cuda.launch import launch

__all__ = ["fill", "manual_seed", "SIGNATURES"]

_MODULE = "nbtensor.kernels.cuda.random"
_lock = threading.Lock()
_states = None
_seed = None

# The kernel signatures `fill` launches (states, out, n, a, b), for the PTX check.
SIGNATURES = [("fill", (["array", "xoroshiro128p", 1, "C"], ["array", t, 1, "C"], "int64", "float64", "float64", "bool"))
              for t in ("float32", "float64")]


def manual_seed(seed):
    """Start the generator again from `seed` (states are made on the next fill)."""
    global _states, _seed
    with _lock:
        _seed, _states = int(seed) & 0xFFFFFFFFFFFFFFFF, None


def _current_states(default_seed):
    global _states, _seed
    with _lock:
        if _states is None:
            if _seed is None:
                _seed = int(default_seed) & 0xFFFFFFFFFFFFFFFF
            from numba.cuda.random import create_xoroshiro128p_states
            with warnings.catch_warnings():  # the simulator initialises them in object mode
                warnings.simplefilter("ignore")
                _states = create_xoroshiro128p_states(runtime.max_blocks() * runtime.threads(), seed=_seed)
        return _states


def fill(storage, kind, a, b, default_seed):
    """Fill the contiguous float32/float64 `storage` with `kind` samples: "uniform" in
    [a, b), "normal" with mean a and standard deviation b. `default_seed` seeds a generator
    that was never seeded."""
    n = storage.shape[0]
    if n == 0:
        return
    states = _current_states(default_seed)
    scale = b - a if kind == "uniform" else b
    launch(_MODULE, "fill", n, states, storage, n, float(a), float(scale), kind == "normal",
           blocks=runtime.max_blocks())
