"""Quick comparison of the hot indexing/joining ops with NumPy (and torch when installed).

    python benchmarks/compare_indexing.py [--n 1000000] [--repeat 7] [--pause S] [--threads T]

Prints the best times and the ratios to NumPy for x[mask], gather (vs np.take_along_axis),
index_select (vs np.take), cat (vs np.concatenate) and sort (vs np.sort), on float32 data
of n elements; the backends take turns as benchmarks/_timing.py describes.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import nbtensor  # noqa: E402
from benchmarks import _timing as timing  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:  # torch is optional
    torch = None


def workloads(n):
    """name -> {backend: zero-argument callable}."""
    rng = np.random.default_rng(0)
    side = int(round(n ** 0.5))
    x = rng.random(n, dtype=np.float32)
    mask = rng.random(n) < 0.5
    x2 = rng.random((side, side), dtype=np.float32)
    gidx = rng.integers(0, side, (side, side))
    sidx = rng.integers(0, n, n)
    halves = [x[: n // 2], x[n // 2:]]

    def nb(a):
        return nbtensor.from_numpy(a)

    out = {}
    nx, nm, nx2, ngi, nsi = nb(x), nb(mask), nb(x2), nb(gidx), nb(sidx)
    nh = [nb(h) for h in halves]
    out["x[mask]"] = {"nbtensor": lambda: nx[nm], "numpy": lambda: x[mask]}
    out["gather dim=1"] = {"nbtensor": lambda: nbtensor.gather(nx2, 1, ngi),
                           "numpy": lambda: np.take_along_axis(x2, gidx, 1)}
    out["index_select 1-D"] = {"nbtensor": lambda: nbtensor.index_select(nx, 0, nsi),
                               "numpy": lambda: np.take(x, sidx)}
    sel_rows = rng.integers(0, side, side)
    nsr = nb(sel_rows)
    out["index_select rows"] = {"nbtensor": lambda: nbtensor.index_select(nx2, 0, nsr),
                                "numpy": lambda: np.take(x2, sel_rows, axis=0)}
    out["cat 1-D"] = {"nbtensor": lambda: nbtensor.cat(nh), "numpy": lambda: np.concatenate(halves)}
    out["cat dim=1"] = {"nbtensor": lambda: nbtensor.cat([nx2, nx2], 1),
                        "numpy": lambda: np.concatenate([x2, x2], 1)}
    out["sort"] = {"nbtensor": lambda: nbtensor.sort(nx), "numpy": lambda: np.sort(x)}
    x64 = x.astype(np.float64)
    nx64 = nb(x64)
    out["sort float64"] = {"nbtensor": lambda: nbtensor.sort(nx64), "numpy": lambda: np.sort(x64)}
    if torch is not None:
        tx, tm, tx2, tgi, tsi = (torch.from_numpy(a) for a in (x, mask, x2, gidx, sidx))
        th = [torch.from_numpy(h) for h in halves]
        tsr = torch.from_numpy(sel_rows)
        tx64 = torch.from_numpy(x64)
        out["x[mask]"]["torch"] = lambda: tx[tm]
        out["gather dim=1"]["torch"] = lambda: torch.gather(tx2, 1, tgi)
        out["index_select 1-D"]["torch"] = lambda: torch.index_select(tx, 0, tsi)
        out["index_select rows"]["torch"] = lambda: torch.index_select(tx2, 0, tsr)
        out["cat 1-D"]["torch"] = lambda: torch.cat(th)
        out["cat dim=1"]["torch"] = lambda: torch.cat([tx2, tx2], 1)
        out["sort"]["torch"] = lambda: torch.sort(tx)
        out["sort float64"]["torch"] = lambda: torch.sort(tx64)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10 ** 6)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pause", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for nbtensor (numba) and torch; steadier on a busy machine")
    args = parser.parse_args()
    if args.threads:
        import numba
        numba.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    print(f"n = {args.n}, float32 unless noted")
    print(timing.header(20))
    for name, fns in workloads(args.n).items():
        print(timing.row(name, timing.best_times(fns, args.repeat, args.pause), 20))
    print(timing.FOOTNOTE)


if __name__ == "__main__":
    main()
