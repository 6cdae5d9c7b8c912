"""Interpreter steps per call of each small-tensor op: a deterministic measure of nbtensor's
per-call Python work (timings on a shared 2-core machine swing 2x between runs; the count of
bytecode instructions executed does not).

Usage: python benchmarks/count_steps.py [--only TEXT]
Counts, with ``sys.settrace`` opcode events, one call of each row of
asv_benchmarks/bench_small_ops.py with recording off and on (the float inputs requiring
grad), in a process where recording has started (as in any training program); the
difference is what recording a node runs. Kernels and NumPy calls count as one step each
whatever they cost, so compare steps between versions of nbtensor, not with timings.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from asv_benchmarks import bench_small_ops as bs  # noqa: E402
from asv_benchmarks._backends import load  # noqa: E402


def steps(fn):
    """Bytecode instructions one call of `fn` executes (after two warm-up calls)."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        frame.f_trace_opcodes = True
        if event == "opcode":
            count += 1
        return tracer
    fn()
    fn()
    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="rows whose name contains this text")
    args = parser.parse_args()
    load("nbtensor").ones(1, requires_grad=True)  # recording on from the start, as in a training program
    width = 26
    print(f"{'op':{width}s} {'steps':>7s} {'grad':>7s} {'recording':>9s}")
    for op in (name for name in bs.OPS if args.only in name):
        plain = steps(bs.call("nbtensor", op, False))
        try:
            recorded = steps(bs.call("nbtensor", op, True))
        except NotImplementedError:
            print(f"{op:{width}s} {plain:7d} {'-':>7s} {'-':>9s}")
            continue
        print(f"{op:{width}s} {plain:7d} {recorded:7d} {recorded - plain:+9d}")


if __name__ == "__main__":
    main()
