"""Linear algebra timings of nbtensor, NumPy and PyTorch (when installed), as a table of ratios.

Usage: python benchmarks/compare_linalg.py [--repeat N] [--pause SECONDS] [--threads T]
Runs the workloads of asv_benchmarks/bench_linalg.py in one process. The backends take
turns, N rounds in a rotating order, a few samples per turn; each reports its best
sample, so load from other processes changes all three alike. Each turn starts after a
pause: the worker threads of the previous backend's BLAS/OpenMP spin for a while after a
call (OpenBLAS: up to ~0.1 s) and would otherwise slow whichever backend runs next.
--threads sets the BLAS/OpenMP thread count (on a busy 2-core machine, threaded BLAS
calls that wait for a descheduled thread take milliseconds; one thread is steadier).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

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


def _calls_per_sample(fn):
    """How many calls make one sample of at least ~0.2 ms (fast ops are timed in batches;
    short samples give the best-of more chances to miss other processes' bursts)."""
    t = time.perf_counter()
    fn()
    once = time.perf_counter() - t
    return max(1, int(2e-4 / max(once, 1e-7)))


def compare(cls, method, params, repeat, pause, threads, samples=5):
    """Best time per call of `method` for each backend (None when not installed)."""
    fns = {}
    for backend in bl.BACKENDS:
        try:
            obj = cls()
            obj.setup(backend, *params)
        except NotImplementedError:
            continue
        if backend == "torch" and threads:
            sys.modules["torch"].set_num_threads(threads)
        fn = getattr(obj, method)
        fns[backend] = (lambda fn=fn, b=backend: fn(b, *params))
    number = {b: _calls_per_sample(f) for b, f in fns.items()}
    best = {b: float("inf") for b in fns}
    order = list(fns)
    for r in range(repeat):
        for b in order[r % len(order):] + order[:r % len(order)]:
            time.sleep(pause)
            for _ in range(samples):
                t = time.perf_counter()
                for _ in range(number[b]):
                    fns[b]()
                best[b] = min(best[b], (time.perf_counter() - t) / number[b])
    return {b: best.get(b) for b in bl.BACKENDS}


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
    print(f"{'workload':26s} {'nbtensor':>12s} {'numpy':>12s} {'torch':>12s} {'nb/np':>7s} {'nb/torch':>8s}")
    for label, cls, method, params in _workloads():
        times = compare(cls, method, params, args.repeat, args.pause, args.threads)
        nb_t, np_t, th_t = times["nbtensor"], times["numpy"], times["torch"]
        fmt = lambda t: f"{t * 1e6:10.1f}us" if t is not None else f"{'-':>12s}"  # noqa: E731
        ratio = lambda t: f"{nb_t / t:7.2f}" if t is not None else f"{'-':>7s}"  # noqa: E731
        print(f"{label:26s} {fmt(nb_t)} {fmt(np_t)} {fmt(th_t)} {ratio(np_t)} {ratio(th_t):>8s}")
    print("nb/np and nb/torch: nbtensor's time over the other's (below 1: nbtensor is faster)")


if __name__ == "__main__":
    main()
