"""The CPU backend's tuning: when kernels run in parallel and how they tile, read at call time
(the test suite lowers them so small tensors reach the parallel and tiled kernels)."""
import os
import sys

# GNU OpenMP threads (numba's default threading layer here) spin for GOMP_SPINCOUNT
# iterations after a parallel kernel before they sleep; by default long enough (300 000) to
# starve the BLAS threads of the next matrix product on a 2-core machine. Measured: a D2L
# MLP epoch (784-256-10, batch 256, 24 steps) took 1040 ms by default and ~180 ms with 2000,
# while a 65 536-element parallel add stayed at ~15 us (OMP_WAIT_POLICY=passive: 140 ms, but
# 81 us for that add). libgomp reads the variable once, when it is loaded, so it is set only
# while numba loads its OpenMP runtime: another library's OpenMP (torch bundles its own
# libgomp) loaded before or after keeps its default, and child processes do not inherit it.
# A value the user set is kept.
SPIN_COUNT = "2000"

# Below this many elements kernels run serially. Alone, threads pay from ~3e4 elements
# (DESIGN §2), but between matrix products NumPy's OpenBLAS threads are still spinning and
# take the cores our threads need: in a D2L MLP epoch (784-256-10, batch 256) the 65 536-
# and 200 704-element ops took 100-150 us each in parallel, and the epoch 119-148 ms at
# 1 << 16 against 68-87 ms at 1 << 18 (best of 10, three interleaved runs). Above 2.6e5
# elements the kernel's own time dominates and threads pay even then.
PARALLEL_THRESHOLD = 1 << 18
# A forked child runs no parallel (prange) kernel if its parent launched numba's threading
# layer, other than TBB: GNU OpenMP kills such a child, workqueue's threads did not survive
# the fork. `_after_fork_in_child` then raises the threshold out of reach.
SERIAL = sys.maxsize
# Tile edge (elements) used when an operand walks the inner loop with a large stride.
TILE = 64
# Outer rows handled per scheduling unit when not tiling.
ROW_BLOCK = 16

_threads = None
_serial = False  # after set_threads(1): the threshold it replaced (every kernel runs serially)


def is_parallel(work):
    """True when `work` elements are enough to start threads for."""
    return work >= PARALLEL_THRESHOLD


def available_threads():
    """The machine's threads numba may use (its NUMBA_NUM_THREADS: the cores, unless set)."""
    import numba
    return numba.config.NUMBA_NUM_THREADS


def set_threads(n):
    """Let parallel kernels use `n` threads (at most `available_threads`; 1: none start),
    and NumPy's BLAS too when threadpoolctl is installed (an optional extra: without it
    BLAS keeps its own setting, OPENBLAS_NUM_THREADS)."""
    global PARALLEL_THRESHOLD, _threads, _serial
    import numba
    _threads = min(n, available_threads())
    numba.set_num_threads(_threads)
    if n == 1 and _serial is False:
        _serial, PARALLEL_THRESHOLD = PARALLEL_THRESHOLD, SERIAL
    elif n > 1 and _serial is not False:
        _serial, PARALLEL_THRESHOLD = False, _serial
    try:
        import threadpoolctl
    except ImportError:
        return
    threadpoolctl.threadpool_limits(limits=n, user_api="blas")


def nchunks():
    """How many pieces a parallel kernel splits its work into (4 per thread)."""
    global _threads
    if _threads is None:
        import numba
        _threads = numba.get_num_threads()
    return _threads * 4


def _after_fork_in_child():
    """Make a forked child run serial kernels when its parent's threading layer is not
    fork-safe (registered with os.register_at_fork)."""
    global PARALLEL_THRESHOLD
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is None or not getattr(parallel, "_is_initialized", True):
        return  # never launched in the parent: the child launches its own
    try:
        import numba
        layer = numba.threading_layer()
    except ValueError:
        layer = None
    if layer != "tbb":
        PARALLEL_THRESHOLD = SERIAL


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _spin_briefly_in_numbas_openmp():
    """Make numba's threading layer, when it first launches, load OpenMP with GOMP_SPINCOUNT
    set to SPIN_COUNT, and take the variable out of the environment again straight after."""
    if "GOMP_SPINCOUNT" in os.environ:
        return
    from numba.np.ufunc import parallel
    if parallel._is_initialized:
        return
    launch = parallel._launch_threads

    def launch_with_short_spin():
        # numba looks `_launch_threads` up at each call: put the original back once it ran
        parallel._launch_threads = launch
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
        try:
            launch()
        finally:
            if os.environ.get("GOMP_SPINCOUNT") == SPIN_COUNT:
                del os.environ["GOMP_SPINCOUNT"]

    parallel._launch_threads = launch_with_short_spin


_spin_briefly_in_numbas_openmp()
