"""Precompile the common kernels into the disk cache: ``python -m nbtensor.warmup``.

Compiles the element-wise kernels and reductions the D2L chapters use, for float32,
float64, int64 and bool, in contiguous, strided and parallel forms. Later processes load
them from the cache in milliseconds.
"""
import time

import numpy as np

import nbtensor as nb

COMMON_BINARY = ("add", "sub", "mul", "div", "eq", "lt", "gt", "maximum", "pow")
COMMON_UNARY = ("exp", "log", "sqrt", "neg", "abs", "tanh", "sigmoid", "relu")


def main():
    start = time.perf_counter()
    for dtype in (nb.float32, nb.float64, nb.int64):
        for shape in ((3, 4), (600, 600)):  # serial and parallel kernels (from 262 144 elements)
            x = nb.ones(*shape, dtype=dtype)
            for name in COMMON_BINARY:
                getattr(nb, name)(x, x)
                getattr(nb, name)(x.t(), x.t()[:1])
            for name in COMMON_UNARY:
                if name in ("exp", "log", "sqrt", "tanh", "sigmoid") and not dtype.is_floating_point:
                    continue
                getattr(nb, name)(x)
            x.sum(), x.sum(0), x.sum(1), x.amax(1), x.max(1), x.t().contiguous()
            if dtype.is_floating_point:
                x.mean(), nb.softmax(x, 1), nb.log_softmax(x, 1)
    b = nb.from_numpy(np.ones(5, bool))
    b & b, b | b, ~b, b.any(), b.all()
    print(f"nbtensor kernels compiled and cached in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
