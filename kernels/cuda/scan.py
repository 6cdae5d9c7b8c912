"""CUDA scan kernels: cumsum, cumprod, logcumsumexp, cummax, cummin along the middle axis of
a contiguous (outer, n, inner) storage. The host side is nbtensor/backends/cuda/scan.py.

Each of the outer * inner scanned lines is cut into C chunks of L elements (C = 1: the whole
line), and a thread walks one chunk serially. Thread t takes chunk c = t // lines of line
t % lines, so threads side by side take neighbouring lines: their loads coalesce when
inner > 1. With C = 1 one launch of `<kernel>` does everything, in the CPU's order. With C > 1
(few long lines, which would leave the GPU idle): `<kernel>_chunks` writes each chunk's
summary (its total, or its running max/min and that element's position), `<kernel>_carry`
turns the C summaries of each line into inclusive prefixes (a thread per line, serially),
and `<kernel>` scans each chunk again from the previous chunk's prefix. The kernels are
`cumulate` (cumsum, cumprod), `cumextreme` (cummax, cummin) and `logcumsumexp`. Summaries and prefixes are laid out
as [c * lines + line].

Accumulation: `start` (0 or 1, of the accumulator's type: float64 for float32 data,
float32 for float16, the data's own type otherwise) fixes the type of the running value
and of the prefixes; integer sums and products wrap as the CPU's do. logcumsumexp runs in
float64 and follows NumPy's ``logaddexp``. With C > 1 float sums and products are
associated by chunk, so they may round differently from the CPU's sequential order (as
torch's GPU scans do); integers and cummax/cummin are exact either way. cummax/cummin take
torch's rule: an element that ties the running value replaces it (ties take the later
index; the CPU path's NumPy does the same for float32/float64, and keeps the older of
-0.0/+0.0 for float16: only the sign of a zero value can differ), NaN wins and sticks (the
latest NaN is held; the CPU holds the first: only NaN payloads differ). Grid-stride loops:
any launch shape covers any size.
"""
import math

from numba import cuda, float64

_LOG2 = math.log(2.0)


@cuda.jit(device=True)
def _chunk(t, lines, outer, n, inner, L):
    """(first element, element count, chunk number) of the chunk of thread `t`."""
    c = t // lines
    line = t - c * lines
    o = line // inner
    j0 = c * L
    return o * n * inner + (line - o * inner) + j0 * inner, min(L, n - j0), c


# --------------------------------------------------------------------------- cumsum, cumprod
# One set of kernels for both: `product` (0 or 1) picks the operation; every thread of a
# launch takes the same branch.
@cuda.jit(device=True)
def _combine(acc, v, product):
    return acc * v if product else acc + v


@cuda.jit(cache=True)
def cumulate(src, out, outer, n, inner, L, carry, start, product):
    """Running sum (or product) of each chunk from `start` (first chunks) or the previous
    chunk's prefix in `carry` (out[e] is rounded into out's dtype at every position)."""
    lines = outer * inner
    for t in range(cuda.grid(1), lines * ((n + L - 1) // L), cuda.gridsize(1)):
        e, m, c = _chunk(t, lines, outer, n, inner, L)
        acc = start if c == 0 else carry[t - lines]
        for _ in range(m):
            acc = _combine(acc, src[e], product)
            out[e] = acc
            e += inner


@cuda.jit(cache=True)
def cumulate_chunks(src, sums, outer, n, inner, L, start, product):
    """sums[t] = the total (or product) of chunk t, from `start`, in the accumulator's type."""
    lines = outer * inner
    for t in range(cuda.grid(1), sums.shape[0], cuda.gridsize(1)):
        e, m, _ = _chunk(t, lines, outer, n, inner, L)
        acc = start
        for _ in range(m):
            acc = _combine(acc, src[e], product)
            e += inner
        sums[t] = acc


@cuda.jit(cache=True)
def cumulate_carry(sums, lines, product):
    """Each line's chunk totals (or products) become inclusive prefixes, in place."""
    for line in range(cuda.grid(1), lines, cuda.gridsize(1)):
        acc = sums[line]
        for e in range(line + lines, sums.shape[0], lines):
            acc = _combine(acc, sums[e], product)
            sums[e] = acc


# --------------------------------------------------------------------------- logcumsumexp
@cuda.jit(device=True)
def _logaddexp(x, y):
    """``log(exp(x) + exp(y))`` as NumPy's ``logaddexp`` computes it."""
    if x == y:  # equal infinities too
        return x + _LOG2
    d = x - y
    if d > 0:
        return x + math.log1p(math.exp(-d))
    if d <= 0:
        return y + math.log1p(math.exp(d))
    return d  # NaN


@cuda.jit(cache=True)
def logcumsumexp(src, out, outer, n, inner, L, carry):
    """out = log(exp(src[first]) + ... ) along each chunk, in float64, from the previous
    chunk's prefix in `carry` (first chunks: from their first element)."""
    lines = outer * inner
    for t in range(cuda.grid(1), lines * ((n + L - 1) // L), cuda.gridsize(1)):
        e, m, c = _chunk(t, lines, outer, n, inner, L)
        if c == 0:
            acc = float64(src[e])
            out[e] = acc
            e += inner
            m -= 1
        else:
            acc = carry[t - lines]
        for _ in range(m):
            acc = _logaddexp(acc, float64(src[e]))
            out[e] = acc
            e += inner


@cuda.jit(cache=True)
def logcumsumexp_chunks(src, sums, outer, n, inner, L):
    """sums[t] = log(sum(exp(chunk t))), in float64."""
    lines = outer * inner
    for t in range(cuda.grid(1), sums.shape[0], cuda.gridsize(1)):
        e, m, _ = _chunk(t, lines, outer, n, inner, L)
        acc = float64(src[e])
        for _ in range(1, m):
            e += inner
            acc = _logaddexp(acc, float64(src[e]))
        sums[t] = acc


@cuda.jit(cache=True)
def logcumsumexp_carry(sums, lines):
    """Each line's chunk log-sums become inclusive prefixes, in place."""
    for line in range(cuda.grid(1), lines, cuda.gridsize(1)):
        acc = sums[line]
        for e in range(line + lines, sums.shape[0], lines):
            acc = _logaddexp(acc, sums[e])
            sums[e] = acc


# --------------------------------------------------------------------------- cummax, cummin
# One set of kernels for both: `smallest` (0: cummax, 1: cummin) picks the comparison.
@cuda.jit(device=True)
def _replaces(x, v, smallest):
    """True when element `x` replaces the running extreme `v`: at least as large (small), or
    NaN; so ties take the later index and NaN wins and sticks."""
    return (x <= v if smallest else x >= v) or x != x


@cuda.jit(cache=True)
def cumextreme(src, values, indices, outer, n, inner, L, carry, carry_at, smallest):
    """Running maximum (minimum) and the position it was last found at. Chunks after the
    first start from the previous chunk's prefix (`carry`, `carry_at`)."""
    lines = outer * inner
    for t in range(cuda.grid(1), lines * ((n + L - 1) // L), cuda.gridsize(1)):
        e, m, c = _chunk(t, lines, outer, n, inner, L)
        if c == 0:
            v = src[e]
            at = 0
        else:
            v = carry[t - lines]
            at = carry_at[t - lines]
        for j in range(c * L, c * L + m):
            x = src[e]
            if _replaces(x, v, smallest):
                v = x
                at = j
            values[e] = v
            indices[e] = at
            e += inner


@cuda.jit(cache=True)
def cumextreme_chunks(src, sums, sums_at, outer, n, inner, L, smallest):
    """(sums[t], sums_at[t]) = the running extreme of chunk t at its end and its position."""
    lines = outer * inner
    for t in range(cuda.grid(1), sums.shape[0], cuda.gridsize(1)):
        e, m, c = _chunk(t, lines, outer, n, inner, L)
        v = src[e]
        at = c * L
        for j in range(c * L, c * L + m):
            x = src[e]
            if _replaces(x, v, smallest):
                v = x
                at = j
            e += inner
        sums[t] = v
        sums_at[t] = at


@cuda.jit(cache=True)
def cumextreme_carry(sums, sums_at, lines, smallest):
    """Each line's chunk extremes become inclusive prefixes, in place (by the same rule)."""
    for line in range(cuda.grid(1), lines, cuda.gridsize(1)):
        v = sums[line]
        at = sums_at[line]
        for e in range(line + lines, sums.shape[0], lines):
            x = sums[e]
            if _replaces(x, v, smallest):
                v = x
                at = sums_at[e]
            else:
                sums[e] = v
                sums_at[e] = at
