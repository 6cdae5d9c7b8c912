"""Side-by-side timings of nbtensor, NumPy and PyTorch (when installed), as a table of ratios.

Usage: python benchmarks/compare.py [--repeat N]
Runs the workloads of asv_benchmarks/bench_elementwise.py in one process, best of N each.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from asv_benchmarks import bench_elementwise as be  # noqa: E402

WORKLOADS = [
    ("a + b, 3x3 float32", be.SmallAdd, "time_add", 0),
    ("a + b, 1e7 float32", be.Large, "time_add", 80e6 + 40e6),
    ("exp(a), 1e7 float32", be.Large, "time_exp", 80e6),
    ("a.sum(), 1e7 float32", be.Large, "time_sum", 40e6),
    ("(4096,4096) + (4096,1)", be.Matrix, "time_add_column", 3 * 64e6),
    ("(4096,4096) + (1,4096)", be.Matrix, "time_add_row", 3 * 64e6),
    ("x.t() + y, 4096^2", be.Matrix, "time_transposed_add", 3 * 64e6),
    ("x.t().contiguous(), 4096^2", be.Matrix, "time_transpose_contiguous", 2 * 64e6),
    ("x.sum(dim=0), 4096^2", be.Matrix, "time_sum_dim0", 64e6),
    ("x.sum(dim=1), 4096^2", be.Matrix, "time_sum_dim1", 64e6),
]


def best_time(obj, method, backend, repeat):
    fn = getattr(obj, method)
    number = 1
    t = time.perf_counter()
    fn(backend)
    once = time.perf_counter() - t
    if once < 1e-3:
        number = max(1, int(2e-3 / max(once, 1e-7)))
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn(backend)
        best = min(best, (time.perf_counter() - t) / number)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"{'workload':30s} {'nbtensor':>12s} {'numpy':>12s} {'torch':>12s} {'np/nb':>7s} {'torch/nb':>8s}  nb GB/s")
    cache = {}
    for label, cls, method, nbytes in WORKLOADS:
        times = {}
        for backend in be.BACKENDS:
            key = (cls, backend)
            try:
                if key not in cache:
                    obj = cls()
                    obj.setup(backend)
                    cache[key] = obj
                times[backend] = best_time(cache[key], method, backend, args.repeat)
            except NotImplementedError:
                times[backend] = None
        nb_t, np_t, th_t = times["nbtensor"], times["numpy"], times["torch"]
        fmt = lambda t: f"{t * 1e6:10.1f}us" if t is not None else f"{'-':>12s}"  # noqa: E731
        ratio = lambda t: f"{t / nb_t:7.2f}" if t is not None else f"{'-':>7s}"  # noqa: E731
        bw = f"{nbytes / nb_t / 1e9:6.1f}" if nbytes else ""
        print(f"{label:30s} {fmt(nb_t)} {fmt(np_t)} {fmt(th_t)} {ratio(np_t)} {ratio(th_t):>8s}  {bw}")


if __name__ == "__main__":
    main()
