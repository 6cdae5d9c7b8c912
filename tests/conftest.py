"""Test configuration shared by every test module.

Hypothesis profiles, chosen with the environment variable HYPOTHESIS_PROFILE (or pytest's
``--hypothesis-profile``):

    ci        the default: 50 examples per property test, derandomized (a run draws the
              same examples every time, so a CI failure reproduces), no deadline (the first
              example of a test may compile kernels), failing examples printed with a
              ``@reproduce_failure`` blob
    thorough  2000 random examples per test, with the example database: for hunting bugs,
              e.g. ``HYPOTHESIS_PROFILE=thorough python -m pytest -k hypothesis``

Property tests set no ``max_examples`` of their own, so the profile decides how many run.

Kernel variants: the CPU engine runs a small tensor with serial, untiled kernels; the
parallel (``_par``) kernels, tiled layouts, thread-split gathers/sorts and split matmul
stacks only start at sizes a property test never draws. A test marked
``@pytest.mark.kernel_variants`` (or a module with ``pytestmark = ...``) runs twice:
``[default]`` and ``[small-thresholds]``, the second with every size threshold lowered
(SMALL_THRESHOLDS) so that its small examples take those paths. The thresholds are set
around the whole test (an autouse fixture, which hypothesis accepts), not per example.
The ``small_kernel_thresholds`` fixture does the same for one ordinary test.

Devices: the whole suite runs on one device, the CPU unless the environment variable
NBTENSOR_TEST_DEVICE names another: ``NBTENSOR_TEST_DEVICE=guarded python -m pytest`` makes
every creator without ``device=`` put its tensor on the test-only guarded device
(tests/guarded_backend.py: the CPU's kernels over storage that refuses NumPy), so a module
that bypasses its device's backend fails. ``NBTENSOR_TEST_DEVICE=cuda`` runs it on the GPU,
or in Numba's CUDA simulator with ``NUMBA_ENABLE_CUDASIM=1`` (see tests/gpu/run.sh). Tests of what only the CPU has (memory shared
with NumPy arrays, DLPack, the kernel cache, fork) are marked ``cpu_only`` and skipped
there. The ``device`` fixture names the device under test, for tests that pass it.
"""
import contextlib
import importlib
import os

import pytest

# ------------------------------------------------------------------------- hypothesis profiles
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # a GPU machine without it (tests/gpu/run.sh leaves the property tests out)
    settings = None
if settings is not None:
    settings.register_profile(
        "ci", max_examples=50, deadline=None, derandomize=True, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile(
        "thorough", max_examples=2000, deadline=None, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# ------------------------------------------------------------------------- kernel variants
# (module, attribute) -> value that makes tiny tensors take the variant chosen above a size.
# Every size that picks a kernel variant belongs here; a renamed or moved one fails loudly.
SMALL_THRESHOLDS = {
    # element-wise, reductions, copies, gathers and sorts: parallel / thread-split from 1 element
    ("nbtensor.backends.cpu.tuning", "PARALLEL_THRESHOLD"): 1,
    # element-wise N-d kernels: tiles of 2 x 2 once an operand strides the inner loop, else
    # rows in blocks of 2 (both smaller than the shapes drawn, so blocks are also ragged)
    ("nbtensor.backends.cpu.tuning", "TILE"): 2,
    ("nbtensor.backends.cpu.tuning", "ROW_BLOCK"): 2,
    # float products: runs shorter than this multiply in order (torch's short loop); 0 lets
    # the reassociating serial and parallel prod kernels take small runs too
    ("nbtensor.ops.reduce", "_ORDERED_RUN"): 0,
    # 64-bit sorts: runs of equal top halves longer than 2 are re-sorted by NumPy
    ("nbtensor.ops.sorting", "_RUN_LIMIT"): 2,
    # stacks of float matrices are split among threads from any size
    ("nbtensor.ops.linalg.products", "_SPLIT_WORK"): 1,
}
# Not lowered: kernels/cpu/blocked.py BLOCK (a compile-time constant of the sum kernels).

# Memos of decisions made with the thresholds above, emptied when they change.
_MEMOS = [("nbtensor.backends.cpu.elementwise", "_LAYOUTS"), ("nbtensor.ops.elementwise", "_LAYOUT_PLANS"),
          ("nbtensor.ops.reduce", "_SUM_PLANS")]  # (its plans are serial only: None when parallel)

KERNEL_VARIANTS = ("default", "small-thresholds")


def _resolve(module, name):
    mod = importlib.import_module(module)
    if not hasattr(mod, name):
        raise RuntimeError(f"tests/conftest.py: {module}.{name} no longer exists; update SMALL_THRESHOLDS "
                           "or _MEMOS so the kernel-variant tests keep reaching the parallel and tiled kernels")
    return mod


def _clear_memos():
    for module, name in _MEMOS:
        getattr(_resolve(module, name), name).clear()


@contextlib.contextmanager
def small_thresholds():
    """Lower every kernel-variant threshold (SMALL_THRESHOLDS) inside the block."""
    saved = []
    _clear_memos()
    try:
        for (module, name), value in SMALL_THRESHOLDS.items():
            mod = _resolve(module, name)
            saved.append((mod, name, getattr(mod, name)))
            setattr(mod, name, value)
        yield
    finally:
        for mod, name, value in reversed(saved):
            setattr(mod, name, value)
        _clear_memos()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cpu_only: the test needs what only the CPU device has (skipped on others)")
    config.addinivalue_line(
        "markers", "cpu_kernels: tests the CPU's kernels themselves (variants, accuracy): skipped on cuda")
    config.addinivalue_line(
        "markers", "large: too large or too slow for the CUDA simulator (skipped there, run everywhere else)")
    config.addinivalue_line(
        "markers", "kernel_variants: run the test with the default and with lowered kernel thresholds "
                   "(parallel and tiled kernels on small tensors); see tests/conftest.py")


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("kernel_variants") is not None:
        metafunc.parametrize("kernel_variant", KERNEL_VARIANTS, indirect=True)


@pytest.fixture(autouse=True)
def kernel_variant(request):
    """The kernel variant a ``kernel_variants`` test runs with ("default" for other tests).
    Autouse, so that hypothesis tests may use it (it is set once around all examples)."""
    variant = getattr(request, "param", "default")
    if variant == "default":
        yield variant
        return
    with small_thresholds():
        yield variant


@pytest.fixture
def small_kernel_thresholds():
    """Run one (non-hypothesis) test with every kernel-variant threshold lowered."""
    with small_thresholds():
        yield


# ------------------------------------------------------------------------- devices
DEVICE = os.environ.get("NBTENSOR_TEST_DEVICE", "cpu")
if DEVICE == "guarded":
    import nbtensor

    import guarded_backend  # (tests/ is on sys.path: pytest puts conftest directories there)
    guarded_backend.register()
    nbtensor.set_default_device(DEVICE)
elif DEVICE == "cuda":
    import nbtensor

    if not nbtensor.cuda.is_available():
        raise RuntimeError("NBTENSOR_TEST_DEVICE=cuda needs a GPU, or NUMBA_ENABLE_CUDASIM=1 for "
                           "Numba's CUDA simulator")
    nbtensor.set_default_device(DEVICE)


SIMULATED = DEVICE == "cuda" and os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


def pytest_collection_modifyitems(config, items):
    if DEVICE == "cpu":
        return
    skip = pytest.mark.skip(reason=f"needs the CPU (running on {DEVICE})")
    too_big = pytest.mark.skip(reason="too large for the CUDA simulator (every GPU thread is a Python thread)")
    cpu_variant = pytest.mark.skip(reason="the CPU's kernel variants and thresholds (not this device's)")
    for item in items:
        if item.get_closest_marker("cpu_only") is not None:
            item.add_marker(skip)
        elif SIMULATED and item.get_closest_marker("large") is not None:
            item.add_marker(too_big)
        elif DEVICE == "cuda" and item.get_closest_marker("cpu_kernels") is not None:
            item.add_marker(cpu_variant)
        elif DEVICE == "cuda" and getattr(item, "callspec", None) is not None and (
                item.callspec.params.get("kernel_variant") == "small-thresholds"):
            item.add_marker(cpu_variant)


@pytest.fixture(scope="session")
def device():
    """The name of the device under test (a string, as a user passes ``device=``; the GPU
    as tensors report it, ``cuda:0``)."""
    return "cuda:0" if DEVICE == "cuda" else DEVICE
