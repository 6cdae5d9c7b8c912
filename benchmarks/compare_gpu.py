"""GPU timings of nbtensor next to CuPy and PyTorch (when installed), with the device-to-device
copy bandwidth measured in the same run as the yardstick.

Usage: python benchmarks/compare_gpu.py [--repeat N] [--small]
Each workload runs once to warm up (kernels compile), then `repeat` times; the best time is
reported, each timed between two synchronisations. GB/s counts the bytes a workload must
read and write once. Without a GPU it says so and exits 0.
"""
import argparse
import functools
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

import nbtensor  # noqa: E402


def _libraries():
    libs = {"nbtensor": (nbtensor, nbtensor.cuda.synchronize)}
    try:
        import cupy
        libs["cupy"] = (cupy, cupy.cuda.Device().synchronize)
    except Exception:
        pass
    try:
        import torch
        if torch.cuda.is_available():
            libs["torch"] = (torch, torch.cuda.synchronize)
    except Exception:
        pass
    return libs


def _to_device(name, lib, array):
    if name == "nbtensor":
        return nbtensor.tensor(array, device="cuda")
    if name == "cupy":
        return lib.asarray(array)
    return lib.as_tensor(array, device="cuda")


def _workloads(n_add, side, mm):
    """(label, bytes moved, setup(arrays) -> fn(lib_name, lib, arrays))."""
    rng = np.random.default_rng(0)
    big = rng.random(n_add, dtype=np.float32)
    mat = rng.random((side, side), dtype=np.float32)
    col = rng.random((side, 1), dtype=np.float32)
    a_mm = rng.random((mm, mm), dtype=np.float32)
    tiny = np.ones(3, np.float32)

    def softmax(name, lib, x):
        if name == "cupy":
            e = lib.exp(x - x.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return lib.softmax(x, dim=1)

    def sum_dim(d):
        return lambda name, lib, x: x.sum(axis=d) if name == "cupy" else x.sum(dim=d)

    return [
        (f"a + b, {n_add:.0e} float32", 12 * n_add, (big, big), lambda n, lib, a, b: a + b),
        (f"({side},{side}) + ({side},1)", 8 * side * side, (mat, col), lambda n, lib, a, b: a + b),
        (f"x.t() + y, {side}^2", 12 * side * side, (mat, mat), lambda n, lib, a, b: a.T + b),
        (f"x.sum(dim=0), {side}^2", 4 * side * side, (mat,), sum_dim(0)),
        (f"x.sum(dim=1), {side}^2", 4 * side * side, (mat,), sum_dim(1)),
        (f"x.sum(), {side}^2", 4 * side * side, (mat,), lambda n, lib, a: a.sum()),
        (f"softmax(x, dim=1), {side}^2", 8 * side * side, (mat,), softmax),
        (f"mm {mm}^2 float32", 0, (a_mm, a_mm), lambda n, lib, a, b: a @ b),
        ("a + b, 3 float32 (launch cost)", 0, (tiny, tiny), lambda n, lib, a, b: a + b),
    ]


def _best(fn, sync, repeat):
    fn()
    sync()
    best = float("inf")
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def _copy_bandwidth(n, repeat):
    """Device-to-device copy of n float32 (numba's memcpy), in GB/s (read + write)."""
    from numba import cuda
    src = cuda.to_device(np.ones(n, np.float32))
    dst = cuda.device_array(n, np.float32)
    seconds = _best(lambda: dst.copy_to_device(src), cuda.synchronize, repeat)
    return 8 * n / seconds / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--small", action="store_true", help="small sizes (a quick check)")
    args = parser.parse_args(argv)
    if not nbtensor.cuda.is_available():
        print("no GPU: nothing to measure")
        return 0
    n_add, side, mm = (1 << 20, 1024, 512) if args.small else (100_000_000, 8192, 4096)
    libs = _libraries()
    print(f"GPU: {nbtensor.cuda.get_device_name()}; libraries: {', '.join(libs)}")
    copy_gbs = _copy_bandwidth(n_add, args.repeat)
    print(f"device-to-device copy of {n_add:.0e} float32: {copy_gbs:.0f} GB/s")
    names = list(libs)
    print(f"{'workload':34s}" + "".join(f"{n + ' ms':>14s}" for n in names)
          + "   nb GB/s  nb/copy" + "".join(f"{'nb/' + n:>10s}" for n in names[1:]))
    for label, nbytes, arrays, op in _workloads(n_add, side, mm):
        times = {}
        for name, (lib, sync) in libs.items():
            dev = [_to_device(name, lib, a) for a in arrays]
            times[name] = _best(functools.partial(op, name, lib, *dev), sync, args.repeat)
        nb = times["nbtensor"]
        line = f"{label:34s}" + "".join(f"{times[n] * 1e3:14.3f}" for n in names)
        if nbytes:
            gbs = nbytes / nb / 1e9
            line += f"{gbs:10.0f}{gbs / copy_gbs:9.0%}"
        else:
            flops = 2 * mm ** 3 / nb / 1e12 if label.startswith("mm") else None
            line += f"{(f'{flops:.1f} TF/s' if flops else ''):>10s}{'':9s}"
        line += "".join(f"{nb / times[n]:10.2f}" for n in names[1:])
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
