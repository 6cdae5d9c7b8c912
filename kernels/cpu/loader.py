"""Kernel modules rendered at first use: ``load("add")``, ``load("reduce")``.

`codegen` renders a module's source from the op tables (0.04 ms); `load` writes it into
``<kernel cache>/src/<name>.py`` and imports it from that file, because numba caches only
module-level functions of real files. The cache directory is keyed on a hash of every
kernel source, codegen and the op tables included, so a rendering can never outlive the
code that rendered it; and a file whose text is not the rendering (damaged, or edited by
hand) is written again before it is imported. Files are written to a temporary name and
renamed, so processes racing on an empty cache each import a whole file. Where the cache
cannot be written, modules go to a private temporary directory (and compile in every
process, as `_jit.kernel` warns).
"""
import importlib.util
import os
import sys
import tempfile
import threading

from .. import _jit
from . import codegen

_lock = threading.Lock()
_MODULES = {}
_source_dir = None


def load(name):
    """The module of kernel `name` (an element-wise op of ops.py, or "reduce")."""
    module = _MODULES.get(name)
    if module is None:
        with _lock:  # one thread renders and imports; the others wait for its module
            module = _MODULES.get(name)
            if module is None:
                module = _MODULES[name] = _import(name, _write(name, codegen.render(name)))
    return module


def _directory():
    global _source_dir
    if _source_dir is None:
        path = os.path.join(_jit.cache_dir(), "src")
        try:
            os.makedirs(path, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=path, delete=True)
            probe.close()
        except OSError:
            path = tempfile.mkdtemp(prefix="nbtensor-kernels-")
        _source_dir = path
    return _source_dir


def _write(name, text):
    """The path of `name`'s source file, (re)written unless it already holds `text`."""
    path = os.path.join(_directory(), name + ".py")
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return path
    except (OSError, UnicodeDecodeError):
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{name}-", suffix=".py")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    return path


def _import(name, path):
    spec = importlib.util.spec_from_file_location(f"{__package__}.rendered.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[spec.name]
        raise
    return module
