"""The kernel disk cache survives damage: a truncated, empty, garbage or swapped cache file
costs one warning and a recompile in the next process, never a crash or a wrong result;
and its location does not depend on numba's global configuration or on threads.

Every scenario runs in a subprocess with its own NBTENSOR_CACHE_DIR."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nbtensor.kernels import _jit

pytestmark = pytest.mark.cpu_only  # processes and the kernel cache: the CPU backend's own

# Runs a few ops whose kernels are cached: add (float32 and float64: two signatures of one
# kernel), its parallel build (same bytecode as the serial one), and a float32 sum (sum_reduce_narrow).
SCENARIO = textwrap.dedent("""
    import json, warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import nbtensor as torch
        # (views one element in: their sums run add's flat kernel, not its whole-storage one)
        x32 = torch.arange(6.)[1:]
        x64 = torch.arange(6., dtype=torch.float64)[1:]
        big = torch.ones(300000)  # above the parallel threshold (262 144 elements)
        values = [(x32 + x32).tolist(), (x64 + x64).tolist(), x32.sum().item(), (big + big).tolist()[-1]]
    from numba.core.dispatcher import Dispatcher
    from nbtensor.kernels.cpu import loader
    add, reduce = loader.load("add"), loader.load("reduce")
    kernels = [k for m in (add, reduce) for k in vars(m).values() if isinstance(k, Dispatcher)]
    print(json.dumps({
        "values": values,
        "warnings": [str(w.message) for w in caught if "kernel cache" in str(w.message)],
        "misses": sum(sum(k._cache_misses.values()) for k in kernels),
    }))
""")

EXPECTED = [(np.arange(1, 6, dtype=np.float32) * 2).tolist(), (np.arange(1.0, 6.0) * 2).tolist(),
            float(np.arange(1, 6, dtype=np.float32).sum()), 2.0]


def run_scenario(cache, cwd=None):
    env = dict(os.environ, NBTENSOR_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", SCENARIO], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    cache = tmp_path_factory.mktemp("populated")
    first = run_scenario(cache)
    assert first["values"] == EXPECTED and first["warnings"] == []
    assert run_scenario(cache)["misses"] == 0  # everything is loaded from disk
    return cache


def entry(cache, kernel, suffix):
    """The cache files of `kernel` (e.g. 'add.add_flat') ending in `suffix`, sorted."""
    found = sorted(pathlib.Path(cache).rglob(f"{kernel}-*{suffix}"))
    assert found, (kernel, suffix)
    return found


def truncate(path):
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


def garbage(path):
    path.write_bytes(np.random.default_rng(0).bytes(300))


def swap(a, b):
    data = a.read_bytes()
    a.write_bytes(b.read_bytes())
    b.write_bytes(data)


DAMAGE = {
    "truncated data": lambda c: truncate(entry(c, "add.add_flat", ".nbc")[0]),
    "empty data": lambda c: entry(c, "add.add_flat", ".nbc")[0].write_bytes(b""),
    "garbage data": lambda c: garbage(entry(c, "add.add_flat", ".nbc")[0]),
    "truncated index": lambda c: truncate(entry(c, "add.add_flat", ".nbi")[0]),
    "empty index": lambda c: entry(c, "reduce.sum_reduce_narrow", ".nbi")[0].write_bytes(b""),
    "garbage index": lambda c: garbage(entry(c, "reduce.sum_reduce_narrow", ".nbi")[0]),
    # another kernel's code under this kernel's name
    "data of another kernel": lambda c: shutil.copy(entry(c, "reduce.sum_reduce_narrow", ".nbc")[0],
                                                    entry(c, "add.add_flat", ".nbc")[0]),
    # float32 and float64 builds of one kernel exchanged
    "data of another signature": lambda c: swap(*entry(c, "add.add_flat", ".nbc")),
    # add_flat_par has add_flat's bytecode: numba's index key alone cannot tell them apart
    "index of another kernel": lambda c: shutil.copy(entry(c, "add.add_flat_par", ".nbi")[0],
                                                     entry(c, "add.add_flat", ".nbi")[0]),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_entry_is_discarded_once_and_recompiled(populated, tmp_path, damage):
    cache = tmp_path / "cache"
    shutil.copytree(populated, cache)
    DAMAGE[damage](cache)
    second = run_scenario(cache)
    assert second["values"] == EXPECTED
    assert len(second["warnings"]) == 1, second["warnings"]
    assert "damaged" in second["warnings"][0] and str(cache) in second["warnings"][0]
    third = run_scenario(cache)
    assert third == {"values": EXPECTED, "warnings": [], "misses": 0}  # repaired on disk


def test_index_of_another_source_file_is_a_plain_miss(populated, tmp_path):
    """An index whose source stamp is another file's reads as stale: recompiled silently."""
    cache = tmp_path / "cache"
    shutil.copytree(populated, cache)
    shutil.copy(entry(cache, "reduce.sum_reduce_narrow", ".nbi")[0], entry(cache, "add.add_flat", ".nbi")[0])
    second = run_scenario(cache)
    assert second["values"] == EXPECTED and second["warnings"] == []  # silently: no warning
    assert second["misses"] > 0  # recompiled
    assert run_scenario(cache) == {"values": EXPECTED, "warnings": [], "misses": 0}


THREADS = textwrap.dedent("""
    import threading
    import numpy as np
    import nbtensor as torch

    rng = np.random.default_rng(0)
    a = rng.standard_normal((40, 30)).astype(np.float32)
    b = rng.integers(-50, 50, (40, 30))
    idx = rng.integers(0, 40, 17)
    cases = [  # first calls of kernels in different modules
        (lambda: torch.from_numpy(a) * 3, a * np.float32(3)),
        (lambda: torch.from_numpy(b) - 1, b - 1),
        (lambda: torch.from_numpy(a).exp(), None),
        (lambda: torch.from_numpy(b).sum(1), b.sum(1)),
        (lambda: torch.from_numpy(a).amax(0), a.max(0)),
        (lambda: torch.from_numpy(b).argmin(1), b.argmin(1)),
        (lambda: torch.from_numpy(a)[torch.from_numpy(idx)], a[idx]),
        (lambda: torch.sort(torch.from_numpy(b), 1).values, np.sort(b, 1)),
    ]
    barrier = threading.Barrier(len(cases))
    results = [None] * len(cases)

    def work(i):
        barrier.wait()
        fn, expected = cases[i]
        got = fn().cpu().numpy()
        if expected is None:
            results[i] = np.allclose(got, np.exp(a), rtol=1e-6)
        else:
            results[i] = got.dtype == expected.dtype and np.array_equal(got, expected)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results), results

    from numba.core.dispatcher import Dispatcher
    from nbtensor.kernels import _cache
    used = [k for name, m in list(sys.modules.items()) if name.startswith("nbtensor.kernels.")
            for k in vars(m).values() if isinstance(k, Dispatcher) and k.overloads]
    assert len(used) >= len(cases), len(used)
    for k in used:
        assert isinstance(k._cache, _cache.KernelCache), k
        assert k._cache.cache_path.startswith(os.environ["NBTENSOR_CACHE_DIR"]), k._cache.cache_path
    print("ok", len(used))
""")


def _numba_files(root):
    return {p for p in pathlib.Path(root).rglob("*") if p.suffix in (".nbi", ".nbc")}


def test_threads_making_first_calls_cache_only_under_the_cache_dir(tmp_path):
    cwd, cache = tmp_path / "cwd", tmp_path / "cache"
    cwd.mkdir()
    beside_sources = _numba_files(_jit.KERNELS_ROOT)
    # numba's own global setting points into cwd: the kernels must not follow it.
    env = dict(os.environ, NBTENSOR_CACHE_DIR=str(cache), NUMBA_CACHE_DIR=str(cwd / "numba"))
    out = subprocess.run([sys.executable, "-c", "import os, sys\n" + THREADS], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")
    assert list(cwd.iterdir()) == []
    assert _numba_files(_jit.KERNELS_ROOT) == beside_sources
    assert _numba_files(cache)


def test_unwritable_cache_dir_costs_one_warning_not_a_failure(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = dict(os.environ, NBTENSOR_CACHE_DIR=str(blocker))
    code = SCENARIO.replace('"kernel cache" in', '"not cached" in')
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["values"] == EXPECTED
    assert len(result["warnings"]) == 1 and str(blocker) in result["warnings"][0]


def test_processes_racing_on_an_empty_cache_each_import_whole_renderings(tmp_path):
    # Kernel sources are rendered into the cache at first use: four processes starting at
    # once on an empty cache all write them; each must import a whole file and compute right.
    env = dict(os.environ, NBTENSOR_CACHE_DIR=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", SCENARIO], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        result = json.loads(out.strip().splitlines()[-1])
        assert result["values"] == EXPECTED and result["warnings"] == []
    assert not [p for p in (tmp_path).rglob(".*.py")]  # no temporary file left behind
