"""The decorator every kernel uses: ``@njit`` with a stale-proof, damage-proof disk cache.

Numba's cache keys a kernel on its own file's timestamp only, so a kernel that inlined a
helper from another file would keep running the old helper after that file changed (numba
issue 1833). Every kernel is therefore cached under a directory named after a hash of all
kernel sources (and of the settings that change generated code): any change anywhere in
``kernels/`` starts a fresh cache. `_cache` makes damaged entries recompile instead of
failing, and binds the directory without touching numba's global configuration.
"""
import hashlib
import os
import pathlib

import numba
from numba.core.dispatcher import Dispatcher

from . import _cache

KERNELS_ROOT = pathlib.Path(__file__).resolve().parent

# Environment settings that change the machine code numba generates.
_CODEGEN_ENV = ("NUMBA_BOUNDSCHECK", "NUMBA_OPT", "NUMBA_FASTMATH", "NUMBA_CPU_NAME",
                "NUMBA_CPU_FEATURES", "NUMBA_DEBUGINFO")


def source_hash(root=KERNELS_ROOT, target="cpu"):
    """Hash of the ``.py`` files under `root` that `target`'s kernels are made from (the
    CPU's: all but ``cuda/``; CUDA's: all, since they render from the CPU's tables), numba's
    version and code-generation settings."""
    h = hashlib.sha256()
    for path in sorted(pathlib.Path(root).rglob("*.py")):
        relative = path.relative_to(root)
        if target == "cpu" and relative.parts[0] == "cuda":
            continue
        h.update(str(relative).encode())
        h.update(path.read_bytes())
    h.update(numba.__version__.encode())
    for name in _CODEGEN_ENV:
        h.update(f"{name}={os.environ.get(name, '')}".encode())
    return h.hexdigest()[:16]


def cache_dir(root=KERNELS_ROOT, target="cpu"):
    """The directory this build of `target`'s kernels caches into (editing a CUDA kernel
    leaves the CPU's cache alone).

    ``NBTENSOR_CACHE_DIR`` overrides the base (default: ``$XDG_CACHE_HOME/nbtensor`` or
    ``~/.cache/nbtensor``).
    """
    base = os.environ.get("NBTENSOR_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "nbtensor")
    prefix = "kernels-" if target == "cpu" else f"kernels-{target}-"
    return os.path.join(base, prefix + source_hash(root, target))


_CACHE_CLASS = None


def _cache_class():
    # Computed once per process; two threads racing here compute the same directory.
    global _CACHE_CLASS
    if _CACHE_CLASS is None:
        _CACHE_CLASS = _cache.cache_class(cache_dir())
    return _CACHE_CLASS


def kernel(parallel=False, **options):
    """Decorate a module-level kernel: compiled lazily, cached on disk under `cache_dir()`.

    The cache directory is bound to the kernel here, without touching numba's global
    configuration (thread-safe); damaged cache entries are discarded and recompiled.
    """
    cache = _cache_class()

    def decorate(fn):
        disp = numba.njit(parallel=parallel, error_model="numpy", nogil=True, **options)(fn)
        if isinstance(disp, Dispatcher):  # not when NUMBA_DISABLE_JIT returns `fn` itself
            try:
                disp._cache = cache(fn)  # what Dispatcher.enable_caching does, with our class
            except RuntimeError:  # no writable cache directory: compile in every process
                _cache.warn_once("unwritable", "nbtensor: kernels are not cached: cannot write "
                                 f"{cache_dir()} (set NBTENSOR_CACHE_DIR)")
        return disp

    return decorate


def helper(fn):
    """Decorate a device-independent helper inlined into kernels (not cached on its own)."""
    return numba.njit(inline="always", error_model="numpy")(fn)


def outlined(fn=None, *, reassociate=False):
    """Decorate a helper that numba compiles as a function of its own instead of inlining its
    code into each caller (LLVM may still inline the machine code). Two uses:

    - with `reassociate`, its float additions may be reordered so that its reductions
      vectorise: fastmath flags belong to the function compiled with them (a copy inlined by
      numba would take its caller's), so a kernel that must keep its own order (an
      exponential's error-free sums) can still call it;
    - a loop nest that numba compiles worse when inlined into a ``prange`` body (the dense
      softmax rows: 14 ms there against 9 ms outlined, for 10^4 x 1000 float32).
    """
    options = {"fastmath": {"reassoc"}} if reassociate else {}

    def decorate(fn):
        return numba.njit(error_model="numpy", nogil=True, **options)(fn)

    return decorate if fn is None else decorate(fn)
