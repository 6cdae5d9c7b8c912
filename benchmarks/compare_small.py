"""Per-call cost of small-tensor ops, side by side: nbtensor and PyTorch (when installed),
with autograd recording off and on, as a table of times and ratios; the last two columns
are what recording adds to each call (the time with grad less the time without).

Usage: python benchmarks/compare_small.py [--repeat N] [--pause SECONDS] [--only TEXT]
Runs the rows of asv_benchmarks/bench_small_ops.py in one process; the backends take turns
as benchmarks/_timing.py describes.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from asv_benchmarks import bench_small_ops as bs  # noqa: E402
from benchmarks import _timing as timing  # noqa: E402


def _times(op, grad, repeat, pause):
    fns = {}
    for backend in bs.BACKENDS:
        try:
            fns[backend] = bs.call(backend, op, grad)
        except NotImplementedError:
            continue
    return timing.best_times(fns, repeat, pause) if fns else {}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pause", type=float, default=0.02)
    parser.add_argument("--only", default="", help="rows whose name contains this text")
    args = parser.parse_args()
    # recording on from the start, as in a training program (and as it is for every row but
    # the first anyway once a row has run with grad): every column times the same forms
    bs.load("nbtensor").ones(1, requires_grad=True)
    width = 26
    print(f"{'op':{width}s} {'nbtensor':>9s} {'torch':>9s} {'nb/torch':>8s}"
          f" {'nb grad':>9s} {'torch grad':>10s} {'nb/torch':>8s} {'nb rec':>8s} {'torch rec':>9s}")
    ratios = []
    for op in (name for name in bs.OPS if args.only in name):
        cells = []
        both = []
        for grad in (False, True):
            times = _times(op, grad, args.repeat, args.pause)
            nb, th = times.get("nbtensor"), times.get("torch")
            both.append((nb, th))
            if nb is not None and th is not None:
                ratios.append(nb / th)
            cells += [f"{nb * 1e6:7.2f}us" if nb else f"{'-':>9s}",
                      f"{th * 1e6:7.2f}us" if th else f"{'-':>9s}",
                      f"{nb / th:8.2f}" if nb and th else f"{'-':>8s}"]
        cells[4] = f"{cells[4]:>10s}"
        for i, width_ in ((0, 8), (1, 9)):  # what recording adds (nbtensor, torch)
            off, on = both[0][i], both[1][i]
            cells.append(f"{(on - off) * 1e6:{width_ - 2}.2f}us" if off and on else f"{'-':>{width_}s}")
        print(f"{op:{width}s} " + " ".join(cells))
    if ratios:
        worse = sum(r > 1.0 for r in ratios)
        print(f"{len(ratios)} comparisons: {worse} above 1.0, worst {max(ratios):.2f}, "
              f"geometric mean {_geomean(ratios):.2f}")
    print("nb/torch: nbtensor's time per call over torch's (below 1: nbtensor is faster); "
          "grad: the float inputs require grad")


def _geomean(values):
    product = 1.0
    for v in values:
        product *= v
    return product ** (1 / len(values))


if __name__ == "__main__":
    main()
