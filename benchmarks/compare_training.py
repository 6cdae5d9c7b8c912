"""Training-loop timings of nbtensor and PyTorch (when installed): one epoch of each D2L
chapter 3 model, from scratch and concise, as a table of epoch times and ratios.

Usage: python benchmarks/compare_training.py [--repeat N] [--samples N] [--pause SECONDS]
Runs the loops of asv_benchmarks/bench_training.py (forward, loss, backward and update on
every mini-batch of fixed synthetic data) in one process, after a warm-up epoch each; the
backends take turns as benchmarks/_timing.py describes, each keeping its best epoch.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from asv_benchmarks import bench_training as bt  # noqa: E402
from asv_benchmarks._backends import load  # noqa: E402
from benchmarks import _timing as timing  # noqa: E402

def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=3, help="epochs a turn")
    parser.add_argument("--pause", type=float, default=0.1)
    args = parser.parse_args()
    label_width = 30
    print(f"{'epoch':{label_width}s} {'nbtensor':>10s} {'torch':>10s} {'nb/torch':>8s}"
          f" {'nb per step':>12s}")
    for model in bt.MODELS:
        features, _, batch_size, _ = bt.data(model)
        steps = len(range(0, len(features), batch_size))  # mini-batches an epoch
        for form in bt.FORMS:
            fns = {}
            for backend in bt.BACKENDS:
                try:
                    fns[backend] = bt.epoch(load(backend), model, form)
                except NotImplementedError:
                    continue
            times = timing.best_times(fns, args.repeat, args.pause, args.samples)
            nb, th = times["nbtensor"], times.get("torch")
            ratio = f"{nb / th:8.2f}" if th else f"{'-':>8s}"
            torch_ms = f"{th * 1e3:8.1f}ms" if th else f"{'-':>10s}"
            print(f"{model.replace('_', ' ') + ', ' + form:{label_width}s} {nb * 1e3:8.1f}ms {torch_ms}"
                  f" {ratio} {nb / steps * 1e6:10.0f}us")
    print("nb/torch: nbtensor's epoch time over torch's (below 1: nbtensor is faster); "
          "nb per step: nbtensor's epoch time over its mini-batches")


if __name__ == "__main__":
    main()
