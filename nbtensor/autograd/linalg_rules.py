"""Derivative rules of the products built on mm/bmm (addmv, addr, baddbmm, addbmm,
tensordot, einsum, kron, cross) and of the matrix functions (inverse, det, logdet, slogdet).
Each gradient is itself written with recorded ops, so second derivatives run through it.
Registered into `rules.RULES` on import.
"""
from nbtensor.autograd.rules import RULES, _arg, _for, _moving, _wants, rule
from nbtensor.core.plan import broadcast_shapes
from nbtensor.dispatch import dispatcher
from nbtensor.dispatch.tensor import wrap_dim


def _scaled(g, factor):
    return g if factor == 1 else g * factor


def _add_product(name, node, first, second, first_grad, second_grad, summed_batches=False):
    """The rule of ``beta * input + alpha * product(first, second)``: `first_grad(g, second)`
    and `second_grad(g, first)` are the product's gradients (`summed_batches`: addbmm, whose
    batches of products were added, so each received all of g)."""
    def make(args, kwargs, out):
        c, p, q = args[0], _arg(args, kwargs, 1, first), _arg(args, kwargs, 2, second)
        beta, alpha = kwargs.get("beta", 1), kwargs.get("alpha", 1)

        def backward(g):
            gp = g.expand(p._shape[0], *g._shape) if summed_batches else g
            return (_for(_scaled(g, beta), c) if _wants(c) else None,
                    _scaled(first_grad(gp, q), alpha) if _wants(p) else None,
                    _scaled(second_grad(gp, p), alpha) if _wants(q) else None)
        return node, (c, p, q), backward
    rule(name)(make)


_add_product("addmv", "AddmvBackward0", "mat", "vec", lambda g, v: g.outer(v), lambda g, m: m.t() @ g)
_add_product("addr", "AddrBackward0", "vec1", "vec2", lambda g, v2: g @ v2, lambda g, v1: g.t() @ v1)
_add_product("baddbmm", "BaddbmmBackward0", "batch1", "batch2", lambda g, b2: g.bmm(b2.mT),
             lambda g, b1: b1.mT.bmm(g))
_add_product("addbmm", "AddbmmBackward0", "batch1", "batch2", lambda g, b2: g.bmm(b2.mT),
             lambda g, b1: b1.mT.bmm(g), summed_batches=True)


# ---------------------------------------------------------------- contractions
def _tensordot_dims(a, b, dims):
    """(a's contracted dims, b's contracted dims) of ``tensordot(a, b, dims)``."""
    if isinstance(dims, int):
        return list(range(a.dim() - dims, a.dim())), list(range(dims))
    da, db = dims
    da = [da] if isinstance(da, int) else list(da)
    db = [db] if isinstance(db, int) else list(db)
    return [wrap_dim(d, a.dim()) for d in da], [wrap_dim(d, b.dim()) for d in db]


@rule("tensordot")
def _tensordot(args, kwargs, out):
    a, b = args[0], _arg(args, kwargs, 1, "b")
    if hasattr(_arg(args, kwargs, 2, "dims", 2), "dim"):
        return None  # (dims given as a tensor)
    ca, cb = _tensordot_dims(a, b, _arg(args, kwargs, 2, "dims", 2))
    free_a = [d for d in range(a.dim()) if d not in ca]
    free_b = [d for d in range(b.dim()) if d not in cb]

    def backward(g):
        # out = A @ B with A = a.permute(free_a + ca) as (Fa, K), B = b.permute(cb + free_b) as (K, Fb)
        fa = 1
        for d in free_a:
            fa *= a._shape[d]
        k = 1
        for d in ca:
            k *= a._shape[d]
        g2 = g.reshape(fa, -1)
        ga = gb = None
        if _wants(a):
            mat_b = b.permute(cb + free_b).reshape(k, -1)
            ga = _unpermuted((g2 @ mat_b.t()).reshape([a._shape[d] for d in free_a + ca]), free_a + ca)
        if _wants(b):
            mat_a = a.permute(free_a + ca).reshape(fa, k)
            gb = _unpermuted((mat_a.t() @ g2).reshape([b._shape[d] for d in cb + free_b]), cb + free_b)
        return ga, gb
    return "TensordotBackward0", (a, b), backward


def _unpermuted(t, order):
    """`t`, laid out as ``x.permute(order)``, permuted back to x's dimension order."""
    inverse = [order.index(i) for i in range(len(order))]
    return t.permute(inverse)


def _einsum_parts(equation, n):
    """(input subscripts, output subscripts) of an explicit or implicit einsum equation over
    `n` operands; None when it uses '...' (not covered here)."""
    equation = equation.replace(" ", "")
    if "." in equation:
        return None
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != n:
        return None
    if not arrow:  # implicit: the letters seen once, in order
        letters = "".join(terms)
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return terms, rhs


@rule("einsum")
def _einsum(args, kwargs, out):
    equation = args[0]
    operands = list(args[1] if len(args) == 2 and isinstance(args[1], (list, tuple)) else args[1:])
    parts = _einsum_parts(equation, len(operands)) if isinstance(equation, str) else None
    if parts is None:
        return None
    terms, rhs = parts
    if any(len(set(t)) != len(t) for t in terms) or len(set(rhs)) != len(rhs):
        return None  # (a repeated letter within a term: a diagonal, not covered here)
    einsum = dispatcher.installed_function("einsum")  # (recorded: second derivatives run through it)

    def backward(g):
        grads = []
        for i, (x, term) in enumerate(zip(operands, terms)):
            if not _wants(x):
                grads.append(None)
                continue
            others = [(t, o) for j, (t, o) in enumerate(zip(terms, operands)) if j != i]
            known = set(rhs).union(*[set(t) for t, _ in others])
            present = "".join(c for c in term if c in known)
            # g contracted with the other operands onto x's letters; a letter only x has was
            # summed in the forward pass, so x's gradient is constant along it
            grad = einsum(",".join([rhs] + [t for t, _ in others]) + "->" + present, g, *[o for _, o in others])
            if present != term:
                for pos, c in enumerate(term):
                    if c not in known:
                        grad = grad.unsqueeze(pos)
                grad = grad.expand(x._shape)
            grads.append(grad)
        return grads
    return "EinsumBackward0", tuple(operands), backward


@rule("kron")
def _kron(args, kwargs, out):
    a, b = args[0], _arg(args, kwargs, 1, "other")
    n = max(a.dim(), b.dim())
    sa = (1,) * (n - a.dim()) + tuple(a._shape)
    sb = (1,) * (n - b.dim()) + tuple(b._shape)
    # out, seen as (a0, b0, a1, b1, ...), is a[i] * b[j]: each gradient sums over the other's dims
    interleaved = [size for pair in zip(sa, sb) for size in pair]
    a_dims, b_dims = tuple(range(1, 2 * n, 2)), tuple(range(0, 2 * n, 2))

    def backward(g):
        g = g.reshape(interleaved)
        ga = (g * b.reshape([s for i in range(n) for s in (1, sb[i])])).sum(a_dims).reshape(a._shape) \
            if _wants(a) else None
        gb = (g * a.reshape([s for i in range(n) for s in (sa[i], 1)])).sum(b_dims).reshape(b._shape) \
            if _wants(b) else None
        return ga, gb
    return "KronBackward0", (a, b), backward


@rule("cross")
def _cross(args, kwargs, out):
    a, b = args[0], _arg(args, kwargs, 1, "other")
    dim = _arg(args, kwargs, 2, "dim")
    if dim is None:  # torch.cross's default: the first dimension of size 3
        shape = broadcast_shapes(a._shape, b._shape)
        dim = next(i for i, n in enumerate(shape) if n == 3)
    # d(a × b) = da × b + a × db; the adjoint of (· × b) is (b × ·)
    return "LinalgCrossBackward0", (a, b), lambda g: (
        _for(b.cross(g, dim=dim), a) if _wants(a) else None,
        _for(g.cross(a, dim=dim), b) if _wants(b) else None)


# ---------------------------------------------------------------- matrix functions
@rule("inverse")
def _inverse(args, kwargs, out):
    # d(A⁻¹) = -A⁻¹ dA A⁻¹, so grad_A = -A⁻ᵀ g A⁻ᵀ
    a = args[0]
    return "LinalgInvExBackward0", (a,), lambda g: (-(out.mT @ g @ out.mT),)


def _inverse_transpose(a):
    return a.inverse().mT


@rule("det")
def _det(args, kwargs, out):
    a = args[0]  # grad_A = g · det(A) · A⁻ᵀ (nonsingular A)
    return "LinalgDetBackward0", (a,), lambda g: ((g * out).unsqueeze(-1).unsqueeze(-1) * _inverse_transpose(a),)


@rule("logdet")
def _logdet(args, kwargs, out):
    a = args[0]  # grad_A = g · A⁻ᵀ
    return "LogdetBackward0", (a,), lambda g: (g.unsqueeze(-1).unsqueeze(-1) * _inverse_transpose(a),)


@rule("slogdet")
def _slogdet(args, kwargs, out):
    a = args[0]

    def backward(grads):  # the sign is piecewise constant: only log|det| has a gradient
        g = grads[1]
        return (None if g is None else g.unsqueeze(-1).unsqueeze(-1) * _inverse_transpose(a),)
    return "LinalgSlogdetBackward0", (a,), backward


# ---------------------------------------------------------------- torch.linalg's own forms
def _as_norm(x, p, dim, keepdim, out):
    """A torch.linalg norm that is a vector p-norm over `dim`, by `norm`'s rule."""
    return RULES["norm"]((x, p, dim, keepdim), {}, out)


@rule("linalg_vector_norm")
def _linalg_vector_norm(args, kwargs, out):
    return _as_norm(args[0], _arg(args, kwargs, 1, "ord", 2), _arg(args, kwargs, 2, "dim"),
                    _arg(args, kwargs, 3, "keepdim", False), out)


@rule("linalg_matrix_norm")
def _linalg_matrix_norm(args, kwargs, out):
    if _arg(args, kwargs, 1, "ord", "fro") != "fro":
        return None  # (the singular-value and row/column-sum norms: not covered yet)
    return _as_norm(args[0], 2, tuple(_arg(args, kwargs, 2, "dim", (-2, -1))), _arg(args, kwargs, 3, "keepdim", False),
                    out)


@rule("linalg_norm")
def _linalg_norm(args, kwargs, out):
    x, ord, dim = args[0], _arg(args, kwargs, 1, "ord"), _arg(args, kwargs, 2, "dim")
    keepdim = _arg(args, kwargs, 3, "keepdim", False)
    two_dims = isinstance(dim, (tuple, list)) and len(dim) == 2 or dim is None and ord is not None and x.dim() == 2
    if ord is None or ord == "fro":  # the 2-norm of the elements (Frobenius over two dims)
        return _as_norm(x, 2, dim, keepdim, out)
    if two_dims or isinstance(ord, str):
        return None  # (matrix norms other than Frobenius: not covered yet)
    return _as_norm(x, ord, dim, keepdim, out)


@rule("linalg_cross")
def _linalg_cross(args, kwargs, out):
    return RULES["cross"]((args[0], _arg(args, kwargs, 1, "other")), {"dim": kwargs.get("dim", -1)}, out)


_moving("DiagonalBackward0", ("linalg_diagonal",),
        lambda p, offset=0, dim1=-2, dim2=-1: p.diagonal(offset, dim1, dim2))
