"""The orthogonal parametrization of ``nn.utils.parametrizations.orthogonal``: a matrix (or
batch of matrices) with orthonormal columns (rows, when wide) made from an unconstrained
one by the matrix exponential or the Cayley map of a skew-symmetric matrix, or by a product
of Householder reflections; written with nbtensor ops, so gradients flow through it."""
import enum

import nbtensor as torch
from nbtensor.nn.module import Module

__all__ = ["OrthMaps", "Orthogonal", "geqrf", "householder_product", "orthogonal_map_of"]


class OrthMaps(enum.Enum):
    matrix_exp = enum.auto()
    cayley = enum.auto()
    householder = enum.auto()


def _reflectors(a):
    """The Householder vectors stored in `a` (..., n, k): below the diagonal, with an
    implicit 1 on it."""
    n, k = a.shape[-2], a.shape[-1]
    return a.tril(-1) + torch.eye(n, k, dtype=a.dtype, device=a.device)


def householder_product(a, tau):
    """torch.linalg.householder_product: the first k columns of ``H_1 H_2 ... H_k``,
    ``H_i = I - tau_i v_i v_i^T`` with ``v_i`` column i of `a` (..., n, k) below the diagonal
    and 1 on it."""
    n, k = a.shape[-2], a.shape[-1]
    v = _reflectors(a)
    q = torch.eye(n, dtype=a.dtype, device=a.device).expand(*a.shape[:-2], n, n)
    for i in range(k):
        vi = v[..., :, i:i + 1]
        q = q - (q @ vi) @ vi.mT * tau[..., i:i + 1].unsqueeze(-1)
    return q[..., :, :k]


def _reflector(x):
    """LAPACK's dlarfg for each row of `x` (..., m): (beta, tau, the vector's tail) with
    ``(I - tau v v^T) x = beta e_1``, ``v = [1, tail]``; tau = 0 when x's tail is zero."""
    alpha, tail = x[..., 0], x[..., 1:]
    tail_sq = (tail * tail).sum(-1)
    flat = tail_sq == 0
    norm = (alpha * alpha + tail_sq).sqrt()
    beta = torch.where(alpha >= 0, -norm, norm)
    beta = torch.where(flat, alpha, beta)
    safe_beta = torch.where(flat, torch.ones_like(beta), beta)
    tau = torch.where(flat, torch.zeros_like(beta), (beta - alpha) / safe_beta)
    denom = torch.where(flat, torch.ones_like(beta), alpha - beta)
    return beta, tau, tail / denom.unsqueeze(-1)


def geqrf(q):
    """torch.geqrf (no gradient): the QR factorisation of `q` (..., n, k), n >= k, in
    LAPACK's form: R on and above the diagonal, the Householder vectors below it, and their
    factors tau (..., k)."""
    with torch.no_grad():
        a = q.clone()
        k = a.shape[-1]
        taus = []
        for j in range(k):
            beta, tau, tail = _reflector(a[..., j:, j])
            v = torch.cat([torch.ones_like(beta).unsqueeze(-1), tail], dim=-1).unsqueeze(-1)
            rest = a[..., j:, j + 1:]
            rest.sub_(v @ (v.mT @ rest) * tau.unsqueeze(-1).unsqueeze(-1))
            a[..., j, j] = beta
            a[..., j + 1:, j] = tail
            taus.append(tau)
        return a, torch.stack(taus, dim=-1)


def is_orthogonal(q):
    """Whether the columns of `q` are orthonormal (to 10 n eps)."""
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * torch.finfo(q.dtype).eps
    return torch.allclose(q.mT @ q, torch.eye(k, dtype=q.dtype, device=q.device), atol=eps)


def make_orthogonal(a):
    """The Q of the QR factorisation of the tall `a` whose R has a non-negative diagonal."""
    q, r = torch.linalg.qr(a)
    signs = r.diagonal(dim1=-2, dim2=-1).sign()
    return q * torch.where(signs == 0, torch.ones_like(signs), signs).unsqueeze(-2)


def _skew_map(x, n, k, orthogonal_map):
    """The orthogonal n x n matrix exp(A) or Cayley(A), A = the skew-symmetric part built
    from the lower triangle of `x` (..., n, k) padded with zero columns; its first k columns."""
    x = x.tril()
    if n != k:
        x = torch.cat([x, x.new_zeros(n, n - k).expand(*x.shape[:-2], n, n - k)], dim=-1)
    a = x - x.mT
    if orthogonal_map is OrthMaps.matrix_exp:
        q = torch.matrix_exp(a)
    else:
        eye = torch.eye(n, dtype=a.dtype, device=a.device)
        # (I - A/2)^-1 (I + A/2); through inv, which has a derivative here (solve has none
        # yet); I - A/2 is well conditioned (its singular values are all >= 1)
        q = torch.linalg.inv(eye - 0.5 * a) @ (eye + 0.5 * a)
    return q[..., :, :k] if n != k else q


def _householder_map(x):
    """The orthonormal columns made of the reflectors below the diagonal of `x`, each column
    multiplied by the integer part of `x`'s diagonal entry (the sign trick torch uses)."""
    a = x.tril(-1)
    tau = 2.0 / (1.0 + (a * a).sum(dim=-2))
    q = householder_product(a, tau)
    return q * x.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)


class Orthogonal(Module):
    """The parametrization itself. With trivialization (the default) the result is
    ``base @ map(X)`` and assigning a matrix stores it in the buffer ``base`` (X becomes
    the point that maps to the identity); without it, assigning stores the matrix's
    Householder form (householder map only)."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x):
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x, n, k = x.mT, k, n
        if self.orthogonal_map is OrthMaps.householder:
            q = _householder_map(x)
        else:
            q = _skew_map(x, n, k, self.orthogonal_map)
        if "base" in self._buffers:
            q = self.base @ q
        return q.mT if transposed else q

    def right_inverse(self, q):
        """Store `q` (orthonormal columns, or rows when wide, else first made so)."""
        if q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of shape "
                             f"{q.shape}.")
        with torch.no_grad():
            return self._trivial_inverse(q) if "base" in self._buffers else self._householder_inverse(q)

    def _householder_inverse(self, q):
        if self.orthogonal_map is not OrthMaps.householder:
            raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                      "parametrizations when use_trivialization=False.")
        transposed = q.shape[-2] < q.shape[-1]
        a, tau = geqrf(q.mT if transposed else q)
        diag = a.diagonal(dim1=-2, dim2=-1)
        diag.copy_(torch.where(tau == 0.0, -diag.sign(), diag.sign()))
        return a.mT if transposed else a

    def _trivial_inverse(self, q):
        start = q
        n, k = q.shape[-2], q.shape[-1]
        if n < k:
            q, n, k = q.mT, k, n
        if n == k:
            q = q.clone() if is_orthogonal(q) else make_orthogonal(q)
        else:
            extra = torch.randn(*q.shape[:-2], n, n - k, dtype=q.dtype, device=q.device)
            q = make_orthogonal(torch.cat([q, extra], dim=-1))
        self.base = q
        neg_eye = torch.zeros_like(start)
        neg_eye.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_eye


def orthogonal_map_of(weight, name):
    """The OrthMaps member named `name` (None: matrix_exp for a square weight, householder
    otherwise); torch's ValueError for an unknown name."""
    if name is None:
        name = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    member = getattr(OrthMaps, name, None) if isinstance(name, str) else None
    if member is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {name}")
    return member

