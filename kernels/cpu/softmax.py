"""Softmax and log-softmax along rows, in one pass per row over the input, their
gradients (``softmax_backward_rows``), and logsumexp of each row (``logsumexp_rows``).

A row is R elements from ``src[base]`` at stride ``sr``; row k starts at ``off + k * sk``
and its results go to ``out[k * R:(k + 1) * R]`` (a row-major output). Each row: its
maximum (nan if the row holds one, as torch's), the exponentials of the shifted values by
`vexp` (the ``exp`` kernel's function) summed in float64, then each shifted exponential
divided by the sum rounded to the element type (softmax), or each shifted value minus the
log of that sum (log-softmax): what composing amax, sub, exp, sum and div/log computes, in
one kernel.
"""
import numpy as np
from numba import prange

from .._jit import helper, kernel
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


@kernel()
def logsumexp_rows(src, off, K, R, sk, sr, out):
    """``out[k]``: logsumexp of row k (see the module's docstring) for k < K."""
    for k in range(K):
        out[k] = _row_logsumexp(src, off + k * sk, R, sr)


@helper
def _dense_rows(src, off, k0, k1, R, out, log):
    # rows k0..k1-1 laid out as the output's (row k at off + k * R): `_row`'s arithmetic in
    # passes over the whole block, so that the exponentials, and the logs of the rows' sums,
    # are loops the compiler vectorises (row by row, a short row's were not: 256 x 10 took
    # 19.8 us, 13.8 with the exponentials vectorised)
    n = k1 - k0
    scratch = np.empty(2 * n, src.dtype)
    maxima, sums = scratch[:n], scratch[n:]
    for k in range(k0, k1):
        base = off + k * R
        m = src[base]
        for r in range(1, R):
            v = src[base + r]
            if v > m or v != v:
                m = v
                if v != v:
                    break
        maxima[k - k0] = m
        for r in range(R):
            out[k * R + r] = src[base + r] - m
    for i in range(k0 * R, k1 * R):
        out[i] = vexp(out[i])
    for k in range(k0, k1):
        o = k * R
        total = 0.0
        for r in range(R):
            total += out[o + r]
        sums[k - k0] = like(total, maxima[k - k0])
    if log:
        for i in range(n):
            sums[i] = vlog(sums[i])
    for k in range(k0, k1):
        o = k * R
        s = sums[k - k0]
        if log:
            base = off + k * R
            m = maxima[k - k0]
            for r in range(R):
                out[o + r] = (src[base + r] - m) - s
        else:
            for r in range(R):
                out[o + r] = out[o + r] / s


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


@helper
def _dense_log_rows_backward(g, off, k0, k1, R, out, ooff, gx):
    # `_row_backward`'s log-softmax arithmetic for rows k0..k1-1 of a `g` laid out as the
    # output's, in passes over the block (as `_dense_rows`: one vectorised loop of exps)
    sums = np.empty(k1 - k0, out.dtype)
    for k in range(k0, k1):
        total = 0.0
        for r in range(R):
            total += g[off + k * R + r]
        sums[k - k0] = like(total, out[ooff + k * R])
    for i in range(k0 * R, k1 * R):
        gx[i] = vexp(out[ooff + i])
    for k in range(k0, k1):
        s = sums[k - k0]
        for r in range(R):
            gx[k * R + r] = g[off + k * R + r] - gx[k * R + r] * s


@helper
def _rows_backward(g, off, k0, k1, R, gk, gr, out, ooff, gx, log):
    if log and gr == 1 and gk == R:
        _dense_log_rows_backward(g, off, k0, k1, R, out, ooff, gx)
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
