"""The kernel layer's own guarantees: rendered code is what the templates say, caches
cannot go stale, importing compiles nothing."""
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

from nbtensor.kernels import _jit
from nbtensor.kernels.cpu import codegen, loader


GOLDEN = pathlib.Path(__file__).parent / "golden" / "kernel_add.py"


def test_rendered_kernel_matches_the_golden_file():
    # A change to the templates shows up here as a reviewable diff; regenerate with
    # python -m nbtensor.kernels.cpu.codegen add > tests/golden/kernel_add.py
    assert codegen.render("add") == GOLDEN.read_text()


def test_every_kernel_module_renders_and_imports():
    for name in codegen.names():
        module = loader.load(name)
        assert pathlib.Path(module.__file__).parent == pathlib.Path(_jit.cache_dir()) / "src"


def test_a_damaged_rendering_is_written_again(tmp_path):
    code = textwrap.dedent("""
        import pathlib, nbtensor as nb
        from nbtensor.kernels import _jit
        src = pathlib.Path(_jit.cache_dir()) / "src" / "mul.py"
        first = (nb.arange(3.) * 2).tolist()
        src.write_text(src.read_text()[:200])  # truncated, as by a crash or a bad disk
        print(first, src.stat().st_size)
    """)
    again = "import nbtensor as nb; print((nb.arange(3.) * 2).tolist())"
    env = dict(os.environ, NBTENSOR_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split("]")[0] == "[0.0, 2.0, 4.0"
    out = subprocess.run([sys.executable, "-c", again], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[0.0, 2.0, 4.0]"


def test_cache_directory_changes_when_any_kernel_source_changes(tmp_path):
    copy = tmp_path / "kernels"
    shutil.copytree(_jit.KERNELS_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = _jit.source_hash(copy)
    before_cuda = _jit.source_hash(copy, "cuda")
    helper = copy / "strides.py"
    helper.write_text(helper.read_text() + "\n# changed\n")
    assert _jit.source_hash(copy) != before
    # CUDA kernels render from the CPU's tables: any change reaches their cache too; a
    # CUDA-only change leaves the CPU's cache (no recompiling every CPU kernel)
    assert _jit.source_hash(copy, "cuda") != before_cuda
    cpu_now, cuda_now = _jit.source_hash(copy), _jit.source_hash(copy, "cuda")
    cuda_kernel = copy / "cuda" / "codegen.py"
    cuda_kernel.write_text(cuda_kernel.read_text() + "\n# changed\n")
    assert _jit.source_hash(copy) == cpu_now and _jit.source_hash(copy, "cuda") != cuda_now


def test_changed_helper_in_another_file_is_recompiled(tmp_path):
    """A kernel inlining a helper from another file must see the helper's new code."""
    pkg = tmp_path / "pkg"
    shutil.copytree(_jit.KERNELS_ROOT, pkg / "kern", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "__init__.py").write_text("")
    (pkg / "kern" / "helper_mod.py").write_text("from ._jit import helper\n\n@helper\ndef f(x):\n    return x + 1\n")
    (pkg / "kern" / "user_mod.py").write_text(textwrap.dedent("""
        from ._jit import kernel
        from .helper_mod import f

        @kernel()
        def g(x):
            return f(x)
    """))
    env = dict(os.environ, NBTENSOR_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(tmp_path))
    run = [sys.executable, "-c", "from pkg.kern.user_mod import g; print(g(1))"]
    assert subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.strip() == "2"
    assert subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.strip() == "2"
    (pkg / "kern" / "helper_mod.py").write_text("from ._jit import helper\n\n@helper\ndef f(x):\n    return x + 100\n")
    assert subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout.strip() == "101"


def test_import_compiles_nothing():
    code = textwrap.dedent("""
        import numba.core.dispatcher as d
        compiled = []
        original = d.Dispatcher.compile
        def spy(self, sig):
            compiled.append(self.py_func.__name__)
            return original(self, sig)
        d.Dispatcher.compile = spy
        import nbtensor
        print(len(compiled))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_kernels_are_module_level_functions():
    for module in map(loader.load, codegen.names()):
        for name in dir(module):
            obj = getattr(module, name)
            if hasattr(obj, "py_func") and not name.startswith("_"):
                assert obj.py_func.__qualname__ == name  # not a closure: numba can cache it
