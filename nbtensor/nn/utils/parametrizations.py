"""``nn.utils.parametrizations``: orthogonal matrices, weight normalisation and spectral
normalisation written as parametrizations (see ``nn.utils.parametrize``), as torch's."""
import nbtensor as torch
from nbtensor.nn import functional as F
from nbtensor.nn.module import Module
from nbtensor.nn.utils import parametrize
from nbtensor.nn.utils._orthogonal import Orthogonal, orthogonal_map_of
from nbtensor.nn.utils.spectral_norm import check_iterations, default_dim, random_unit, weight_as_matrix
from nbtensor.nn.utils.weight_norm import norm_except_dim, weight_from_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """``w = g * v / ||v||`` from ``(g, v)``; its right inverse splits a weight into them."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_from_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Parametrize ``module.<name>`` as ``g * v / ||v||`` (the norm over every dimension but
    `dim`; `dim=None`: the whole tensor): ``module.parametrizations.<name>.original0`` is g,
    ``original1`` is v. Returns `module`."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """A weight divided by its spectral norm, estimated by power iteration with the buffers
    ``_u`` and ``_v`` (advanced on each call in training mode; 15 steps at creation). A 1-D
    weight is simply normalised."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        check_iterations(n_power_iterations)
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = weight_as_matrix(weight, self.dim)
            h, w = weight_mat.shape
            with torch.no_grad():
                self.register_buffer("_u", random_unit(h, weight_mat, eps))
                self.register_buffer("_v", random_unit(w, weight_mat, eps))
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat, n_power_iterations):
        """Advance the power iteration in place (u from v, then v from u)."""
        with torch.no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(torch.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(torch.mv(weight_mat.t(), self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = weight_as_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        return weight / torch.vdot(u, torch.mv(weight_mat, v))

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Parametrize ``module.<name>`` as itself divided by its spectral norm, estimated by
    power iteration (`n_power_iterations` steps per access in training mode; `dim`: the
    output dimension, by default 1 for transposed convolutions, else 0). The vectors are
    the buffers ``module.parametrizations.<name>[0]._u`` and ``._v``. Returns `module`."""
    weight = _tensor_named(module, name)
    if dim is None:
        dim = default_dim(module)
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def _tensor_named(module, name):
    """``module.<name>``; torch's ValueError when it is not a tensor."""
    weight = getattr(module, name, None)
    if not isinstance(weight, torch.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    return weight


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Parametrize the matrix (or batch of matrices) ``module.<name>`` to have orthonormal
    columns (rows, when wide), through `orthogonal_map`: "matrix_exp", "cayley" or
    "householder" (None: matrix_exp for square matrices, else householder). With
    `use_trivialization`, the starting point is kept in the buffer ``base`` of the
    parametrization and the original becomes the point mapped to it. Returns `module`."""
    weight = _tensor_named(module, name)
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    orth = Orthogonal(weight, orthogonal_map_of(weight, orthogonal_map), use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
