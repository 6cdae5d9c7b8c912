"""Second moments: the sum of squared deviations from a given mean along rows, in float64
(what var and std divide), in one pass over the input instead of a float64 copy, a
subtraction, a product and a sum.

Rows as the reductions lay them out: K rows of R elements, row k from ``src[off + k * sk]``
at stride ``sr``; ``mu[k]`` is row k's mean.
"""
import numpy as np

from .._jit import kernel


@kernel()
def sum_sq_dev(src, off, K, R, sk, sr, mu, out):
    for k in range(K):
        m = mu[k]
        base = off + k * sk
        acc = 0.0
        for r in range(R):
            d = np.float64(src[base + r * sr]) - m
            acc += d * d
        out[k] = acc
