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
_source_dirs = {}


def load(name, render=codegen.render, target="cpu"):
    """The module of kernel `name` (an element-wise op of ops.py, or "reduce") rendered by
    `render` for `target` ("cpu"; the CUDA backend passes its own codegen and "cuda")."""
    key = (target, name)
    module = _MODULES.get(key)
    if module is None:
        with _lock:  # one thread renders and imports; the others wait for its module
            module = _MODULES.get(key)
            if module is None:
                module = _MODULES[key] = _import(name, target, _write(name, target, render(name)))
    return module


def _directory(target):
    path = _source_dirs.get(target)
    if path is None:
        path = os.path.join(_jit.cache_dir(target=target), "src")
        try:
            os.makedirs(path, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=path, delete=True)
            probe.close()
        except OSError:
            path = tempfile.mkdtemp(prefix=f"nbtensor-kernels-{target}-")
        _source_dirs[target] = path
    return path


def _write(name, target, text):
    """The path of `name`'s source file, (re)written unless it already holds `text`."""
    path = os.path.join(_directory(target), name + ".py")
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


def _import(name, target, path):
    package = __package__ if target == "cpu" else f"{__package__.rpartition('.')[0]}.{target}"
    spec = importlib.util.spec_from_file_location(f"{package}.rendered.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[spec.name]
        raise
    return module
