"""Softmax and log-softmax along rows, their gradients (``softmax_backward_rows``), and
logsumexp of each row (``logsumexp_rows``).

A row is R elements from ``src[base]`` at stride ``sr``; row k starts at ``off + k * sk``
and its results go to ``out[k * R:(k + 1) * R]`` (a row-major output). Each row: its
maximum (a NaN in the row makes all of the row's results NaN, as in torch), the
exponentials of the shifted values by `vexp` (the ``exp`` kernel's function) summed in
float64, then each shifted exponential divided by the sum rounded to the element type
(softmax), or each shifted value minus the log of that sum (log-softmax): what composing
amax, sub, exp, sum and div/log computes, in one kernel.
"""
import numpy as np
from numba import prange

from .._jit import helper, kernel, outlined
from .scalar import like
from .vmath import vexp, vlog


@helper
def _row(src, base, R, sr, out, o, log):
    # (the maximum's loop is written out in both kernels: called as an inlined helper, or
    # without the early exit at a nan, it made softmax 30-45% slower, measured)
    m = src[base]
    for r in range(1, R):
        v = src[base + r * sr]
        if v > m or v != v:
            m = v
            if v != v:
                break
    total = 0.0
    if log:
        for r in range(R):
            total += vexp(src[base + r * sr] - m)
        lse = vlog(like(total, m))
        for r in range(R):
            out[o + r] = (src[base + r * sr] - m) - lse
    else:
        for r in range(R):
            e = vexp(src[base + r * sr] - m)
            out[o + r] = e
            total += e
        s = like(total, m)
        for r in range(R):
            out[o + r] = out[o + r] / s


@helper
def _row_logsumexp(src, base, R, sr):
    # as logsumexp composes it: the maximum, replaced by 0 when not finite, shifts the row
    m = src[base]
    for r in range(1, R):
        v = src[base + r * sr]
        if v > m or v != v:
            m = v
            if v != v:
                break
    if m - m != 0:  # (inf or nan)
        m = like(0.0, m)
    total = 0.0
    for r in range(R):
        total += vexp(src[base + r * sr] - m)
    return vlog(like(total, m)) + m


# Rows laid out back to back (a row-major block) are done BLOCK elements' worth of rows at a
# time, each step a loop over the whole block: the exponentials and logs are then loops the
# compiler vectorises even for short rows (row by row, 256 x 10 took 19.8 us, 13.8 with the
# exponentials vectorised), and the block stays in cache between the steps (steps over all
# of a thread's rows made softmax of 10^4 x 1000 float32 take 51 ms, 9-10 now).
BLOCK = 4096


@helper
def _rows_per_block(R):
    return max(1, BLOCK // R)


@helper
def _dense_max(x):
    # the largest element of the contiguous 1-D `x`, in eight independent lanes so that
    # the loop vectorises. A NaN is skipped unless it comes first, which callers need not
    # care about: the NaN then turns the row's sum of exponentials, and so every result of
    # the row, into NaN, as a NaN maximum would.
    R = x.shape[0]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = x[0]
    r = 0
    while r + 8 <= R:
        m0 = _larger(x[r], m0)
        m1 = _larger(x[r + 1], m1)
        m2 = _larger(x[r + 2], m2)
        m3 = _larger(x[r + 3], m3)
        m4 = _larger(x[r + 4], m4)
        m5 = _larger(x[r + 5], m5)
        m6 = _larger(x[r + 6], m6)
        m7 = _larger(x[r + 7], m7)
        r += 8
    while r < R:
        m0 = _larger(x[r], m0)
        r += 1
    return _larger(_larger(_larger(m1, m0), _larger(m3, m2)), _larger(_larger(m5, m4), _larger(m7, m6)))


@helper
def _larger(v, m):
    return v if v > m else m


@outlined(reassociate=True)
def _dense_sum(x):
    """The float64 sum of the contiguous 1-D `x`, in any order (vectorised)."""
    total = 0.0
    for r in range(x.shape[0]):
        total += x[r]
    return total


@outlined(reassociate=True)
def _dense_dot(x, y):
    """The float64 sum of ``x * y`` (contiguous 1-D, the products in their own dtype), in
    any order."""
    total = 0.0
    for r in range(x.shape[0]):
        total += x[r] * y[r]
    return total


@helper
def _shifted_exps(x, y, n, R, maxima):
    # y = exp(x - the row's maximum) for the n rows of R in x, the maxima kept
    for k in range(n):
        row = x[k * R:(k + 1) * R]
        m = _dense_max(row)
        maxima[k] = m
        for r in range(R):
            y[k * R + r] = row[r] - m
    for i in range(n * R):
        y[i] = vexp(y[i])


@helper
def _dense_block(x, y, n, R, log, maxima, sums):
    # `_row`'s results for the n rows of R in x (both contiguous 1-D) into y
    _shifted_exps(x, y, n, R, maxima)
    for k in range(n):
        sums[k] = like(_dense_sum(y[k * R:(k + 1) * R]), maxima[k])
    if log:
        for k in range(n):
            sums[k] = vlog(sums[k])
        for k in range(n):
            m = maxima[k]
            s = sums[k]
            for r in range(R):
                y[k * R + r] = (x[k * R + r] - m) - s
    else:
        for k in range(n):
            s = sums[k]
            for r in range(R):
                y[k * R + r] = y[k * R + r] / s


@outlined
def _dense_rows(src, off, k0, k1, R, out, log):
    # rows k0..k1-1 laid out as the output's (row k at off + k * R)
    per = _rows_per_block(R)
    scratch = np.empty(2 * per, src.dtype)
    maxima, sums = scratch[:per], scratch[per:]
    for b0 in range(k0, k1, per):
        b1 = min(k1, b0 + per)
        _dense_block(src[off + b0 * R:off + b1 * R], out[b0 * R:b1 * R], b1 - b0, R, log, maxima, sums)


@helper
def _dense_logsumexp(src, off, K, R, out):
    # `_row_logsumexp` of the K rows of R at src[off:] into out, a block of rows at a time
    per = _rows_per_block(R)
    exps = np.empty(per * R, src.dtype)
    maxima = np.empty(per, src.dtype)
    for b0 in range(0, K, per):
        b1 = min(K, b0 + per)
        n = b1 - b0
        _shifted_exps(src[off + b0 * R:off + b1 * R], exps, n, R, maxima)
        for k in range(n):
            m = maxima[k]
            if m - m != 0:  # (an infinite maximum: the row shifted by 0 instead)
                m = like(0.0, m)
                maxima[k] = m
                row = src[off + (b0 + k) * R:off + (b0 + k + 1) * R]
                for r in range(R):
                    exps[k * R + r] = vexp(row[r])
            out[b0 + k] = like(_dense_sum(exps[k * R:(k + 1) * R]), m)
        for k in range(n):
            out[b0 + k] = vlog(out[b0 + k]) + maxima[k]


@kernel()
def logsumexp_rows(src, off, K, R, sk, sr, out):
    """``out[k]``: logsumexp of row k (see the module's docstring) for k < K."""
    if sr == 1 and sk == R:
        _dense_logsumexp(src, off, K, R, out)
    else:
        for k in range(K):
            out[k] = _row_logsumexp(src, off + k * sk, R, sr)


@helper
def _rows(src, off, k0, k1, R, sk, sr, out, log):
    if sr == 1 and sk == R:
        _dense_rows(src, off, k0, k1, R, out, log)
    else:
        for k in range(k0, k1):
            _row(src, off + k * sk, R, sr, out, k * R, log)


@kernel()
def softmax_rows(src, off, K, R, sk, sr, out, log):
    """Rows 0..K-1 (see the module's docstring); `log` picks log-softmax."""
    _rows(src, off, 0, K, R, sk, sr, out, log)


@kernel(parallel=True)
def softmax_rows_par(src, off, K, R, sk, sr, out, log, nchunks):
    """`softmax_rows` with the rows split into `nchunks` parallel pieces."""
    for c in prange(nchunks):
        _rows(src, off, c * K // nchunks, (c + 1) * K // nchunks, R, sk, sr, out, log)


@helper
def _row_backward(g, base, R, gr, out, ob, gx, o, log):
    total = 0.0
    if log:  # d log_softmax: g - exp(out) * sum(g)
        for r in range(R):
            total += g[base + r * gr]
        s = like(total, out[ob])
        for r in range(R):
            gx[o + r] = g[base + r * gr] - vexp(out[ob + r]) * s
    else:  # d softmax: out * (g - sum(g * out))
        for r in range(R):
            total += g[base + r * gr] * out[ob + r]
        s = like(total, out[ob])
        for r in range(R):
            gx[o + r] = out[ob + r] * (g[base + r * gr] - s)


@outlined
def _dense_rows_backward(g, off, k0, k1, R, out, ooff, gx, log):
    # `_row_backward`'s arithmetic for rows k0..k1-1 of a `g` laid out as the output's, a
    # block of rows at a time (as `_dense_rows`)
    per = _rows_per_block(R)
    sums = np.empty(per, out.dtype)
    for b0 in range(k0, k1, per):
        b1 = min(k1, b0 + per)
        _dense_block_backward(g[off + b0 * R:off + b1 * R], out[ooff + b0 * R:ooff + b1 * R],
                              gx[b0 * R:b1 * R], b1 - b0, R, log, sums)


@helper
def _dense_block_backward(g, y, gx, n, R, log, sums):
    if log:
        for k in range(n):
            sums[k] = like(_dense_sum(g[k * R:(k + 1) * R]), y[0])
        for i in range(n * R):
            gx[i] = vexp(y[i])
        for k in range(n):
            s = sums[k]
            for r in range(R):
                gx[k * R + r] = g[k * R + r] - gx[k * R + r] * s
    else:
        for k in range(n):
            s = like(_dense_dot(g[k * R:(k + 1) * R], y[k * R:(k + 1) * R]), y[0])
            for r in range(R):
                gx[k * R + r] = y[k * R + r] * (g[k * R + r] - s)


@helper
def _rows_backward(g, off, k0, k1, R, gk, gr, out, ooff, gx, log):
    if gr == 1 and gk == R:
        _dense_rows_backward(g, off, k0, k1, R, out, ooff, gx, log)
    else:
        for k in range(k0, k1):
            _row_backward(g, off + k * gk, R, gr, out, ooff + k * R, gx, k * R, log)


@kernel()
def softmax_backward_rows(g, off, K, R, gk, gr, out, ooff, gx, log):
    """The input gradient `gx` (row-major, as `out`, the forward's row-major result starting
    at `ooff`) of softmax or, with `log`, log-softmax along rows, from the output gradient
    `g` (rows at `off + k * gk`, elements `gr` apart): the rules' composed ops, with each
    row's sum in float64."""
    _rows_backward(g, off, 0, K, R, gk, gr, out, ooff, gx, log)


@kernel(parallel=True)
def softmax_backward_rows_par(g, off, K, R, gk, gr, out, ooff, gx, log, nchunks):
    """`softmax_backward_rows` with the rows split into `nchunks` parallel pieces."""
    for c in prange(nchunks):
        _rows_backward(g, off, c * K // nchunks, (c + 1) * K // nchunks, R, gk, gr, out, ooff, gx, log)
