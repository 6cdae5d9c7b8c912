"""Side-by-side timings of nbtensor, NumPy and PyTorch (when installed), as a table of ratios.

Usage: python benchmarks/compare.py [--repeat N] [--pause SECONDS]
Runs the workloads of asv_benchmarks/bench_elementwise.py in one process; the backends
take turns as benchmarks/_timing.py describes.
"""
import argparse
import functools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from asv_benchmarks import bench_elementwise as be  # noqa: E402
from benchmarks import _timing as timing  # noqa: E402

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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pause", type=float, default=0.1)
    args = parser.parse_args()
    print(timing.header(30) + "  nb GB/s")
    objects = {}
    for label, cls, method, nbytes in WORKLOADS:
        fns = {}
        for backend in be.BACKENDS:
            key = (cls, backend)
            try:
                if key not in objects:
                    obj = cls()
                    obj.setup(backend)
                    objects[key] = obj
            except NotImplementedError:
                continue
            fns[backend] = functools.partial(getattr(objects[key], method), backend)
        times = timing.best_times(fns, args.repeat, args.pause)
        bandwidth = f"{nbytes / times['nbtensor'] / 1e9:8.1f}" if nbytes else ""
        print(timing.row(label, times, 30) + bandwidth)
    print(timing.FOOTNOTE)


if __name__ == "__main__":
    main()
