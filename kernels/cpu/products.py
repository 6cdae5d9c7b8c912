"""Matrix products too small for a BLAS call to pay: ``out = a @ b`` by a loop over the
result's elements, reading `a` and `b` from their flat storages through their offsets and
strides (any layout: transposed, expanded, sliced).

`out` is a fresh row-major (n, p) storage; each element sums its k products in the element
type from +0 (as BLAS does: -0.0 products sum to +0.0). The facade validated the layouts:
every position read lies inside its storage.
"""
from .._jit import kernel
from .scalar import like


@kernel()
def small_matmul(out, a, ao, as0, as1, b, bo, bs0, bs1, n, k, p):
    for i in range(n):
        arow = ao + i * as0
        for j in range(p):
            bcol = bo + j * bs1
            acc = like(0.0, a[arow])
            for q in range(k):
                acc += a[arow + q * as1] * b[bcol + q * bs0]
            out[i * p + j] = acc
