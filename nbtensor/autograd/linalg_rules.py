"""Derivative rules of the products built on mm/bmm (addmv, addr, baddbmm, addbmm,
tensordot, einsum, kron, cross) and of the matrix functions (inverse, det, logdet, slogdet).
Each gradient is itself written with recorded ops, so second derivatives run through it.
Registered into `rules.RULES` on import.
"""
import string

from nbtensor.autograd.rules import (RULES, _arg, _for, _moving, _positions, _product_saves, _scatter_back, _wants,
                                     like, rule, sum_to)
import nbtensor.ops.creation as creation
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
        return node, (c, p, q), backward, _product_saves(p, q)
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


def _einsum_letters(equation, operands):
    """(input subscripts, output subscripts) of einsum `equation` over `operands` with one
    letter per dimension: an ellipsis becomes letters the equation does not use, aligned
    from the last dimension as its dims broadcast, and an implicit output is written out
    (the ellipsis, then the letters seen once, in torch's order); None for an equation
    the forward pass refuses."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        return None
    covered = [x.dim() - (len(t) - 3) if "..." in t else 0 for t, x in zip(terms, operands)]
    fresh = [c for c in string.ascii_letters if c not in equation]
    rank = max(covered)
    if rank > len(fresh):
        return None
    ellipsis = "".join(fresh[:rank])
    terms = [t.replace("...", ellipsis[rank - n:]) for t, n in zip(terms, covered)]
    if arrow:
        rhs = rhs.replace("...", ellipsis)
    else:
        named = lhs.replace("...", "").replace(",", "")
        rhs = ellipsis + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return terms, rhs


@rule("einsum")
def _einsum(args, kwargs, out):
    equation = args[0]
    operands = list(args[1] if len(args) == 2 and isinstance(args[1], (list, tuple)) else args[1:])
    parts = _einsum_letters(equation, operands) if isinstance(equation, str) else None
    if parts is None:
        return None
    terms, rhs = parts
    einsum = dispatcher.installed_function("einsum")  # (recorded: second derivatives run through it)

    def backward(g):
        grads = []
        for i, (x, term) in enumerate(zip(operands, terms)):
            if not _wants(x):
                grads.append(None)
                continue
            others = [(t, o if o.dtype is g.dtype else o.to(g.dtype))
                      for j, (t, o) in enumerate(zip(terms, operands)) if j != i]
            known = set(rhs).union(*[set(t) for t, _ in others])
            letters = "".join(dict.fromkeys(term))  # (a repeated letter: a diagonal of x)
            present = "".join(c for c in letters if c in known)
            # g contracted with the other operands onto x's letters; a letter only x has was
            # summed in the forward pass, so x's gradient is constant along it
            grad = einsum(",".join([rhs] + [t for t, _ in others]) + "->" + present, g, *[o for _, o in others])
            sizes = dict(zip(term, x._shape))
            if present != letters:
                for pos, c in enumerate(letters):
                    if c not in known:
                        grad = grad.unsqueeze(pos)
            if any(n == 1 and sizes[c] != 1 for c, n in zip(letters, grad._shape)):
                # (x's letters that only x has, or that the others have at size 1: x broadcast
                # them, and its gradient is constant along them)
                grad = grad.expand([sizes[c] if n == 1 else n for c, n in zip(letters, grad._shape)])
            if letters != term:
                # x's subscripts repeat a letter: the gradient goes back onto that diagonal,
                # whose positions einsum itself picks out of x's (as rules._moving finds them)
                diagonal = einsum(f"{term}->{letters}", _positions(x))
                grad = _scatter_back(x, (diagonal,))((sum_to(grad, diagonal._shape),))[0]
            grads.append(_for(grad, x))  # (summed over the dims x broadcast, in x's dtype)
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


# ---------------------------------------------------------------- solvers and decompositions
def _linalg(name):
    """The ``nbtensor.linalg`` function `name` as installed now (recorded while autograd
    records), found through the dispatch point: that module is above this one."""
    return dispatcher.installed_submodule_function("linalg_" + name)


def _solve(a, b):
    """``A⁻¹ B`` for a matrix (or batch of matrices) B, recorded."""
    return _linalg("solve")(a, b)


def _diag(v):
    """The diagonal matrices (last two dims) whose diagonals are the last dim of `v`."""
    return v.diag_embed()


def _sym(m):
    """The symmetric part of a matrix (or batch): the gradient of an op that reads a
    symmetric input only through its values as a symmetric matrix."""
    return (m + m.mT) * 0.5


@rule("linalg_solve")
def _linalg_solve(args, kwargs, out):
    """``linalg.solve(A, B, left=...)``: B a matrix, or a (batch of) vector(s)."""
    a, b = args[0], _arg(args, kwargs, 1, "B")
    left = kwargs.get("left", True)
    vector = b.dim() == 1 or (b.dim() == a.dim() - 1 and b._shape == a._shape[:-1])
    ma, mb = like(a) if _wants(a) else None, like(b) if _wants(b) else None

    def backward(g):
        # left: X = A⁻¹B, so dX = A⁻¹(dB - dA X): grad_B = A⁻ᵀ g, grad_A = -grad_B Xᵀ.
        # right (X A = B) is the left case transposed: Xᵀ = A⁻ᵀ Bᵀ.
        x = out
        if vector:
            g, x = (g.unsqueeze(-1), x.unsqueeze(-1)) if left else (g.unsqueeze(-2), x.unsqueeze(-2))
        if not left:
            g, x = g.mT, x.mT
        gb = _solve(a if not left else a.mT, g)
        ga = None if ma is None else _for(-(gb @ x.mT) if left else -(gb @ x.mT).mT, ma)
        if mb is None:
            return ga, None
        gb = gb if left else gb.mT
        if vector:
            gb = gb.squeeze(-1) if left else gb.squeeze(-2)
        return ga, _for(gb, mb)
    return "LinalgSolveExBackward0", (a, b), backward


def _lower_half_diagonal(m):
    """The lower triangle of `m` with its diagonal halved (the inverse of ``X + Xᵀ`` on
    lower-triangular X, restricted to symmetric inputs)."""
    return m.tril(-1) + _diag(m.diagonal(0, -2, -1) * 0.5)


@rule("linalg_cholesky")
def _linalg_cholesky(args, kwargs, out):
    """``linalg.cholesky(A, upper=...)`` of a symmetric positive-definite A."""
    upper = kwargs.get("upper", False)

    def backward(g):
        # A = L Lᵀ gives Lᵀ dL ... = Φ(L⁻¹ dA L⁻ᵀ) with Φ the lower triangle, diagonal
        # halved; its adjoint is grad_A = L⁻ᵀ Φ(Lᵀ g) L⁻¹, symmetrised (A is symmetric).
        low, g = (out.mT, g.mT) if upper else (out, g)
        inner = _lower_half_diagonal(low.mT @ g)
        left = _solve(low.mT, inner)                 # L⁻ᵀ Φ
        return (_sym(_solve(low.mT, left.mT).mT),)   # (L⁻ᵀ Φ) L⁻¹
    return "LinalgCholeskyExBackward0", (args[0],), backward


@rule("cholesky", keeps_out=True)  # (its backward, made by linalg_cholesky's rule, reads out)
def _cholesky(args, kwargs, out):
    """The legacy ``torch.cholesky(A, upper)``: linalg.cholesky's gradient, its own node name."""
    upper = _arg(args, kwargs, 1, "upper", False)
    node, inputs, backward = _linalg_cholesky((args[0],), {"upper": upper}, out)
    return "CholeskyBackward0", inputs, backward


def _gap_quotient(k, values):
    """``K_ij / (λ_j - λ_i)`` off the diagonal, 0 on it: how the eigenvectors' gradient
    K = Vᵀ grad_V reaches A (the eigenvalues must be distinct)."""
    gap = values.unsqueeze(-2) - values.unsqueeze(-1)
    eye = creation.eye(values._shape[-1], dtype=values.dtype, device=values.device)
    return k / (gap + eye) * (1 - eye)


def _eigh_grad(values, vectors, g_values, g_vectors):
    """grad_A of ``A = V diag(λ) Vᵀ`` from the gradients of λ and V (either may be None):
    ``V (diag(grad_λ) + K / gap) Vᵀ``, symmetrised."""
    inner = None
    if g_vectors is not None:
        inner = _gap_quotient(vectors.mT @ g_vectors, values)
    if g_values is not None:
        inner = _diag(g_values) if inner is None else inner + _diag(g_values)
    return _sym(vectors @ inner @ vectors.mT)


@rule("linalg_eigh")
def _linalg_eigh(args, kwargs, out):
    """``linalg.eigh``: (eigenvalues, eigenvectors), either gradient possibly None."""
    values, vectors = out

    def backward(grads):
        if grads[0] is None and grads[1] is None:
            return (None,)
        return (_eigh_grad(values, vectors, grads[0], grads[1]),)
    return "LinalgEighBackward0", (args[0],), backward


@rule("linalg_eigvalsh")
def _linalg_eigvalsh(args, kwargs, out):
    """``linalg.eigvalsh``: grad_A = V diag(g) Vᵀ."""
    a, uplo = args[0], _arg(args, kwargs, 1, "UPLO", "L")

    def backward(g):
        # the eigenvectors, which eigvalsh does not return, made again (recorded, so that
        # second derivatives see how they move with A)
        values, vectors = _linalg("eigh")(a, uplo)
        return (_eigh_grad(values, vectors, g, None),)
    return "LinalgEighBackward0", (a,), backward


def _lower_mirrored(m):
    """The symmetric matrix whose lower triangle (diagonal included) is that of `m`."""
    low = m.tril(-1)
    return low + low.mT + _diag(m.diagonal(0, -2, -1))


@rule("linalg_qr")
def _linalg_qr(args, kwargs, out):
    """``linalg.qr`` with Q of A's shape (mode 'reduced', or 'complete' of a square A), m >= n."""
    a, mode = args[0], _arg(args, kwargs, 1, "mode", "reduced")
    m, n = a._shape[-2], a._shape[-1]
    if mode == "r" or m < n or (mode == "complete" and m > n):
        return None  # (torch: no derivative with mode='r'; wide inputs are not covered here)
    q, r = out

    def backward(grads):
        gq, gr = grads
        if gq is None and gr is None:
            return (None,)
        # With M = R grad_Rᵀ - grad_Qᵀ Q, the constraints QᵀQ = I and R upper triangular
        # give grad_A = (grad_Q + Q sym_lower(M)) R⁻ᵀ.
        mixed = -(gq.mT @ q) if gq is not None else None
        if gr is not None:
            mixed = r @ gr.mT if mixed is None else mixed + r @ gr.mT
        b = q @ _lower_mirrored(mixed)
        if gq is not None:
            b = b + gq
        return (_solve(r, b.mT).mT,)
    return "LinalgQrBackward0", (a,), backward


@rule("qr")
def _qr(args, kwargs, out):
    """The legacy ``torch.qr(A, some)``."""
    some = _arg(args, kwargs, 1, "some", True)
    return _linalg_qr((args[0], "reduced" if some else "complete"), {}, out)


def _svd_grad(u, s, vh, gu, gs, gvh):
    """grad_A of the reduced ``A = U diag(S) Vh`` from the gradients of U, S and Vh (any
    may be None; the singular values must be distinct and nonzero)."""
    v = vh.mT
    inner = None if gs is None else _diag(gs)
    if gu is not None:
        ut_gu = u.mT @ gu
        part = _gap_quotient(ut_gu - ut_gu.mT, s * s) * s.unsqueeze(-2)  # (…) diag(S)
        inner = part if inner is None else inner + part
    if gvh is not None:
        gv = gvh.mT
        vt_gv = v.mT @ gv
        part = s.unsqueeze(-1) * _gap_quotient(vt_gv - vt_gv.mT, s * s)  # diag(S) (…)
        inner = part if inner is None else inner + part
    grad = None if inner is None else u @ inner @ vh
    # the parts of grad_U and grad_V outside the spans of U and V (nonzero for non-square A)
    if gu is not None and u._shape[-2] > u._shape[-1]:
        part = ((gu - u @ (u.mT @ gu)) / s.unsqueeze(-2)) @ vh
        grad = part if grad is None else grad + part
    if gvh is not None and v._shape[-2] > v._shape[-1]:
        part = u @ ((gvh - (gvh @ v) @ vh) / s.unsqueeze(-1))
        grad = part if grad is None else grad + part
    return grad


@rule("linalg_svd")
def _linalg_svd(args, kwargs, out):
    """``linalg.svd``: reduced (full_matrices=False, or a square A)."""
    a, full = args[0], _arg(args, kwargs, 1, "full_matrices", True)
    if full and a._shape[-2] != a._shape[-1]:
        return None  # (full U or Vh of a non-square matrix: not determined by A; torch has none either)
    u, s, vh = out

    def backward(grads):
        return (_svd_grad(u, s, vh, *grads),)
    return "LinalgSvdBackward0", (a,), backward


@rule("svd")
def _svd(args, kwargs, out):
    """The legacy ``torch.svd(A, some, compute_uv)``, which returns V rather than Vh."""
    a = args[0]
    some, uv = _arg(args, kwargs, 1, "some", True), _arg(args, kwargs, 2, "compute_uv", True)
    if (not some and a._shape[-2] != a._shape[-1]) or not uv:
        return None
    u, s, v = out

    def backward(grads):  # torch.svd returns V, not Vh
        gu, gs, gv = grads
        return (_svd_grad(u, s, v.mT, gu, gs, None if gv is None else gv.mT),)
    return "LinalgSvdBackward0", (a,), backward


@rule("linalg_svdvals")
def _linalg_svdvals(args, kwargs, out):
    """``linalg.svdvals``: grad_A = U diag(g) Vh."""
    a = args[0]

    def backward(g):
        # U and Vh, which svdvals does not return, made again (recorded, for second derivatives)
        u, _, vh = _linalg("svd")(a, full_matrices=False)
        return ((u * g.unsqueeze(-2)) @ vh,)
    return "LinalgSvdBackward0", (a,), backward


def _pinv_grad(a, p, g):
    """grad_A of ``P = pinv(A)`` (A of constant rank): the adjoint of
    ``dP = -P dA P + P Pᵀ dAᵀ (I - A P) + (I - P A) dAᵀ Pᵀ P``."""
    pt, gt = p.mT, g.mT
    grad = -(pt @ g @ pt)
    left = gt @ (p @ pt)  # (I - A P) gᵀ P Pᵀ
    grad = grad + left - a @ (p @ left)
    right = (pt @ p) @ gt  # Pᵀ P gᵀ (I - P A)
    return grad + right - (right @ p) @ a


@rule("linalg_pinv")
def _linalg_pinv(args, kwargs, out):
    """``linalg.pinv`` (the cutoffs are constants)."""
    a = args[0]
    return "LinalgPinvBackward0", (a,), lambda g: (_pinv_grad(a, out, g),)


@rule("pinverse")
def _pinverse(args, kwargs, out):
    """``torch.pinverse(A, rcond)``: pinv's gradient."""
    a = args[0]
    return "LinalgPinvBackward0", (a,), lambda g: (_pinv_grad(a, out, g),)
