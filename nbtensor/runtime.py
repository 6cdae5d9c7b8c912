"""Process-wide settings of torch's namespace: CPU threads, deterministic algorithms and
float32 matrix-product precision.

nbtensor's kernels are deterministic for a given thread count (a parallel reduction splits
its work the same way every run), so the determinism switches only record what was asked,
as torch reports it back; the precision setting is recorded too (products of float32
always run in float32 here: every setting's precision or better).
"""
import numbers
import warnings

from nbtensor.backends.cpu import tuning

__all__ = ["get_num_threads", "set_num_threads", "get_num_interop_threads", "set_num_interop_threads",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision", "get_float32_matmul_precision"]

_settings = {"threads": None, "interop_threads": None, "deterministic": False, "warn_only": False,
             "matmul_precision": "highest"}


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RuntimeError(f"{name} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return int(value)


def get_num_threads():
    """The number of threads CPU kernels may use (the machine's cores until set)."""
    threads = _settings["threads"]
    return tuning.available_threads() if threads is None else threads


def set_num_threads(n):
    """Let CPU kernels (and NumPy's BLAS, when threadpoolctl is installed) use `n` threads
    (at most the machine's cores take part); 1 runs every kernel serially."""
    _settings["threads"] = n = _positive_int("set_num_threads", n)
    tuning.set_threads(n)


def get_num_interop_threads():
    """The number of threads for work between ops (nbtensor runs ops one at a time: the
    value set, else the machine's cores, as torch reports)."""
    threads = _settings["interop_threads"]
    return tuning.available_threads() if threads is None else threads


def set_num_interop_threads(n):
    """Record the number of threads for work between ops (torch's setting: once, before any
    parallel work)."""
    _settings["interop_threads"] = _positive_int("set_num_interop_threads", n)


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms (nbtensor's are, for a given thread count)."""
    _settings["deterministic"] = bool(mode)
    _settings["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    """Whether deterministic algorithms were asked for (`use_deterministic_algorithms`)."""
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    """Whether they were asked for with ``warn_only=True``."""
    return _settings["warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """torch's other spelling of `use_deterministic_algorithms`: 0 or "default" (off),
    1 or "warn" (on, warn only), 2 or "error" (on)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, numbers.Integral):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    elif debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(int(debug_mode) > 0, warn_only=int(debug_mode) == 1)


def get_deterministic_debug_mode():
    """0 (off), 1 (on, warn only) or 2 (on): see `set_deterministic_debug_mode`."""
    if not _settings["deterministic"]:
        return 0
    return 1 if _settings["warn_only"] else 2


def set_float32_matmul_precision(precision):
    """Record the internal precision float32 matrix products may use ("highest", "high",
    "medium"; nbtensor computes them in float32 whatever the setting)."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision():
    """The precision last set by `set_float32_matmul_precision` ("highest" until then)."""
    return _settings["matmul_precision"]
