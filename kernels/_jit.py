"""The decorator every kernel uses: ``@njit(cache=True)`` with a stale-proof cache directory.

Numba's cache keys a kernel on its own file's timestamp only, so a kernel that inlined a
helper from another file would keep running the old helper after that file changed (numba
issue 1833). Every kernel is therefore cached under a directory named after a hash of all
kernel sources (and of the settings that change generated code): any change anywhere in
``kernels/`` starts a fresh cache.
"""
import hashlib
import os
import pathlib

import numba

KERNELS_ROOT = pathlib.Path(__file__).resolve().parent

# Environment settings that change the machine code numba generates.
_CODEGEN_ENV = ("NUMBA_BOUNDSCHECK", "NUMBA_OPT", "NUMBA_FASTMATH", "NUMBA_CPU_NAME",
                "NUMBA_CPU_FEATURES", "NUMBA_DEBUGINFO")


def source_hash(root=KERNELS_ROOT):
    """Hash of every ``.py`` file under `root`, numba's version and code-generation settings."""
    h = hashlib.sha256()
    for path in sorted(pathlib.Path(root).rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    h.update(numba.__version__.encode())
    for name in _CODEGEN_ENV:
        h.update(f"{name}={os.environ.get(name, '')}".encode())
    return h.hexdigest()[:16]


def cache_dir(root=KERNELS_ROOT):
    """The directory this build of the kernels caches into.

    ``NBTENSOR_CACHE_DIR`` overrides the base (default: ``$XDG_CACHE_HOME/nbtensor`` or
    ``~/.cache/nbtensor``).
    """
    base = os.environ.get("NBTENSOR_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "nbtensor")
    return os.path.join(base, "kernels-" + source_hash(root))


_CACHE_DIR = None


def kernel(parallel=False, **options):
    """Decorate a module-level kernel: compiled lazily, cached on disk under `cache_dir()`."""
    global _CACHE_DIR
    if _CACHE_DIR is None:
        _CACHE_DIR = cache_dir()

    def decorate(fn):
        saved = numba.config.CACHE_DIR
        numba.config.CACHE_DIR = _CACHE_DIR  # read once, when the cache locator is made
        try:
            return numba.njit(cache=True, parallel=parallel, error_model="numpy", nogil=True,
                              **options)(fn)
        finally:
            numba.config.CACHE_DIR = saved

    return decorate


def helper(fn):
    """Decorate a device-independent helper inlined into kernels (not cached on its own)."""
    return numba.njit(inline="always", error_model="numpy")(fn)
