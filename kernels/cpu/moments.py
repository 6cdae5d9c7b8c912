"""First and second moments along rows, in float64 (what var and std need), each in one
pass over the input, which may be float32 (read as it is, each element widened): sums, and
sums of squared deviations from given means — instead of a float64 copy of the input, a
subtraction, a product and a sum.

Rows as the reductions lay them out: K rows of R elements, row k from ``src[off + k * sk]``
at stride ``sr``; ``mu[moff + k]`` is row k's mean.
"""
import numpy as np

from .._jit import kernel


@kernel()
def row_sums(src, off, K, R, sk, sr, out):
    for k in range(K):
        base = off + k * sk
        acc = 0.0
        for r in range(R):
            acc += np.float64(src[base + r * sr])
        out[k] = acc


@kernel()
def sum_sq_dev(src, off, K, R, sk, sr, mu, moff, out):
    for k in range(K):
        m = mu[moff + k]
        base = off + k * sk
        acc = 0.0
        for r in range(R):
            d = np.float64(src[base + r * sr]) - m
            acc += d * d
        out[k] = acc


@kernel()
def corrected_sum_sq_dev(src, off, K, R, sk, sr, mu, moff, out):
    # sum_sq_dev from the mean corrected once by the mean deviation from it: that of a row of
    # equal values is exactly their value (a variance of exactly 0, as torch's Welford gives)
    for k in range(K):
        m = mu[moff + k]
        base = off + k * sk
        shift = 0.0
        for r in range(R):
            shift += np.float64(src[base + r * sr]) - m
        m += shift / R
        acc = 0.0
        for r in range(R):
            d = np.float64(src[base + r * sr]) - m
            acc += d * d
        out[k] = acc
