"""Linear algebra timings of nbtensor, NumPy and PyTorch (when installed), as a table of ratios.

Usage: python benchmarks/compare_linalg.py [--repeat N] [--pause SECONDS] [--threads T]
Runs the workloads of asv_benchmarks/bench_linalg.py in one process; the backends take
turns as benchmarks/_timing.py describes.
--threads sets the BLAS/OpenMP thread count (on a busy 2-core machine, threaded BLAS
calls that wait for a descheduled thread take milliseconds; one thread is steadier).
"""
import argparse
import functools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks import _timing as timing  # noqa: E402

bl = None  # asv_benchmarks.bench_linalg, imported after the thread count is set


def _workloads():
    mm = [(f"mm {n}x{n} {dt}", bl.MM, "time_mm", (n, dt))
          for dt in ("float32", "float64") for n in (64, 256, 1024, 2048)]
    return mm + [
        ("bmm 64x(64x64) float32", bl.BMM, "time_bmm", ("float32",)),
        ("bmm 64x(64x64) float64", bl.BMM, "time_bmm", ("float64",)),
        ("a @ b.T 256 float32", bl.MatmulTransposed, "time_matmul_transposed", (256, "float32")),
        ("a @ b.T 1024 float32", bl.MatmulTransposed, "time_matmul_transposed", (1024, "float32")),
        ("inv 256x256 float32", bl.Decompositions, "time_inverse", ("float32",)),
        ("inv 256x256 float64", bl.Decompositions, "time_inverse", ("float64",)),
        ("svd 256x256 float32", bl.Decompositions, "time_svd", ("float32",)),
        ("svd 256x256 float64", bl.Decompositions, "time_svd", ("float64",)),
    ]


def compare(cls, method, params, repeat, pause, threads):
    """Best time per call of `method` for each installed backend."""
    fns = {}
    for backend in bl.BACKENDS:
        try:
            obj = cls()
            obj.setup(backend, *params)
        except NotImplementedError:
            continue
        if backend == "torch" and threads:
            sys.modules["torch"].set_num_threads(threads)
        fns[backend] = functools.partial(getattr(obj, method), backend, *params)
    return timing.best_times(fns, repeat, pause)


def main():
    global bl
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pause", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    from asv_benchmarks import bench_linalg
    bl = bench_linalg
    print(timing.header(26))
    for label, cls, method, params in _workloads():
        times = compare(cls, method, params, args.repeat, args.pause, args.threads)
        print(timing.row(label, times, 26))
    print(timing.FOOTNOTE)

if __name__ == "__main__":
    main()
