"""Index math shared by every kernel: positioning and stepping an odometer over strided operands.

An iteration is described by `shape` (int64, ndim >= 1; the last dimension is the inner
loop), `st` (int64, operands x ndim: strides in elements, operand 0 is the output) and
`base` (int64, one start offset per operand). Rows are the flattened outer dimensions.
"""
from ._jit import helper


@helper
def position(shape, st, base, row, cur, idx):
    """Set cur[k] to operand k's offset at outer row `row`, and idx to that row's odometer."""
    nops = st.shape[0]
    nd = shape.shape[0]
    for k in range(nops):
        cur[k] = base[k]
    idx[nd - 1] = 0
    r = row
    for d in range(nd - 2, -1, -1):
        q = r % shape[d]
        r //= shape[d]
        idx[d] = q
        for k in range(nops):
            cur[k] += q * st[k, d]


@helper
def advance(shape, st, idx, cur):
    """Step the odometer over the outer dimensions by one row, updating every operand offset."""
    nops = st.shape[0]
    d = shape.shape[0] - 2
    while d >= 0:
        idx[d] += 1
        for k in range(nops):
            cur[k] += st[k, d]
        if idx[d] < shape[d]:
            return
        for k in range(nops):
            cur[k] -= st[k, d] * shape[d]
        idx[d] = 0
        d -= 1
