"""The on-disk cache behind every kernel: a directory fixed when the kernel is decorated,
and entries that are checked before use.

Numba's own cache has two weaknesses this module removes:

- Its directory comes from the global ``numba.config.CACHE_DIR``; setting that around each
  decoration races with other threads, whose kernels then cache beside their sources.
  `cache_class(root)` returns a cache class whose locator always answers `root`.
- A damaged file (truncated, empty, garbage) raises from deep inside numba on every later
  call, and a file of another kernel or signature copied over an entry would be loaded and
  run. Each data file here carries a tag (index file name, source stamp, index key) and a
  SHA-256 of its payload; an entry that fails to load or to verify is deleted, reported
  once per process with a RuntimeWarning, and compiled again.
"""
import hashlib
import os
import pickle
import threading
import warnings

from numba.core import caching

_warned = set()
_warned_lock = threading.Lock()


def warn_once(kind, message):
    """A RuntimeWarning with `message`, the first time per process for each `kind`."""
    with _warned_lock:
        if kind in _warned:
            return
        _warned.add(kind)
    warnings.warn(message, RuntimeWarning, stacklevel=3)


class DamagedEntry(Exception):
    """A cache file that cannot be used: unreadable, or not the entry it is filed under."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path = path


class CheckedCacheFile(caching.IndexDataCacheFile):
    """Numba's index + data files, each data file wrapped as (tag, sha256, payload)."""

    def _tag(self, key):
        return (self._index_name, self._source_stamp, key)

    def save(self, key, data):
        """Save `data` for index `key`, tagged with the key and a digest of its bytes."""
        payload = self._dump(data)
        super().save(key, (self._tag(key), hashlib.sha256(payload).digest(), payload))

    def load(self, key):
        """The data saved for `key`, None if there is none; DamagedEntry if unusable."""
        name = self._load_index().get(key)
        if name is None:
            return None
        path = self._data_path(name)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return None  # removed since the index was written: a plain miss
        try:
            tag, digest, payload = pickle.loads(raw)
            good = tag == self._tag(key) and hashlib.sha256(payload).digest() == digest
        except Exception as exc:
            raise DamagedEntry(path, f"{type(exc).__name__}: {exc}") from exc
        if not good:
            raise DamagedEntry(path, "holds another kernel's or signature's code, or bad bytes")
        return pickle.loads(payload)

    def _load_index(self):
        try:
            overloads = super()._load_index()
        except Exception as exc:
            raise DamagedEntry(self._index_path, f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(overloads, dict):
            raise DamagedEntry(self._index_path, "not an index")
        return overloads

    def discard(self):
        """Delete this function's index and data files (other processes may race: ignore)."""
        stem = self._index_name[:-len(".nbi")] + "."
        try:
            names = os.listdir(self._cache_path)
        except OSError:
            return
        for name in names:
            if name == self._index_name or (name.startswith(stem) and name.endswith(".nbc")):
                try:
                    os.remove(os.path.join(self._cache_path, name))
                except OSError:
                    pass


class KernelCache(caching.FunctionCache):
    """A FunctionCache whose failures to load or save an entry are never fatal: the entry
    is discarded and the kernel compiled (and saved) again."""

    def __init__(self, py_func):
        super().__init__(py_func)
        self._cache_file = CheckedCacheFile(self._cache_path, self._impl.filename_base,
                                            self._impl.locator.get_source_stamp())

    def load_overload(self, sig, target_context):
        """The cached compile result for `sig`, or None (a miss) if absent or damaged."""
        try:
            return super().load_overload(sig, target_context)
        except Exception as exc:
            self._cache_file.discard()
            detail = exc if isinstance(exc, DamagedEntry) else f"{self._cache_path}: {exc!r}"
            warn_once("damaged", f"nbtensor: kernel cache entry {self._impl.filename_base} was "
                      f"damaged ({detail}); discarded it and compiling again (warned once per "
                      "process)")
            return None

    def save_overload(self, sig, data):
        """Save the compile result for `sig`; a failure only costs a recompile later."""
        try:
            super().save_overload(sig, data)
        except Exception as exc:
            self._cache_file.discard()
            warn_once("save", f"nbtensor: could not save kernel {self._impl.filename_base} in "
                      f"{self._cache_path} ({exc!r}); it will be compiled again in the next "
                      "process (warned once per process)")


def cache_class(root):
    """A KernelCache subclass that stores every kernel under `root` (plus numba's
    per-source-directory subfolder), whatever ``numba.config.CACHE_DIR`` says."""

    class Locator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            inside = os.path.relpath(os.path.dirname(os.path.abspath(py_file)), root)
            if inside.split(os.sep)[0] != os.pardir:
                # a source rendered into the cache itself (loader.py): a subfolder named
                # after its place in the cache, so a moved or copied cache still matches
                subpath = "compiled-" + inside.replace(os.sep, "-")
            else:
                subpath = self.get_suitable_cache_subpath(py_file)
            self._cache_path = os.path.join(root, subpath)

        def get_cache_path(self):
            return self._cache_path

    class Impl(caching.CompileResultCacheImpl):
        _locator_classes = [Locator]

    class Cache(KernelCache):
        _impl_class = Impl

    return Cache
