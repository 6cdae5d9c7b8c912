"""``nn.utils.spectral_norm`` (hook-based): a weight divided by an estimate of its largest
singular value, found by power iteration with the vectors ``<name>_u`` and ``<name>_v``
(buffers, advanced only in training mode) before each forward. The original weight is the
parameter ``<name>_orig``. ``nn.utils.parametrizations.spectral_norm`` is the current form;
both share ``weight_as_matrix`` here."""
import nbtensor as torch
from nbtensor.nn import functional as F
from nbtensor.nn.conv_layers import _ConvTransposeNd
from nbtensor.nn.parameter import Parameter, UninitializedParameter
from nbtensor.nn.utils.weight_norm import remove_norm_hook

__all__ = ["SpectralNorm", "remove_spectral_norm", "spectral_norm", "weight_as_matrix"]


def weight_as_matrix(weight, dim):
    """`weight` as a matrix whose rows run along dimension `dim` (moved first, the others
    flattened)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.dim()) if d != dim))
    return weight.reshape(weight.shape[0], -1)


def check_iterations(n_power_iterations):
    """torch's ValueError for a number of power iterations that is not positive."""
    if n_power_iterations <= 0:
        raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}")


def random_unit(n, like, eps):
    """A random unit vector of length `n` (a normal sample normalised), dtype and device of `like`."""
    return F.normalize(like.new_empty(n).normal_(0, 1), dim=0, eps=eps)


def default_dim(module):
    """The dimension of the output channels: 1 for a transposed convolution, else 0."""
    return 1 if isinstance(module, _ConvTransposeNd) else 0


class SpectralNorm:
    """The forward pre-hook of ``spectral_norm``: sets ``module.<name>`` to ``<name>_orig``
    divided by its estimated spectral norm."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        check_iterations(n_power_iterations)
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def _iterate(self, weight_mat, u, v):
        """Advance the power iteration in place (v from u, then u from v)."""
        with torch.no_grad():
            for _ in range(self.n_power_iterations):
                v.copy_(F.normalize(torch.mv(weight_mat.t(), u), dim=0, eps=self.eps))
                u.copy_(F.normalize(torch.mv(weight_mat, v), dim=0, eps=self.eps))

    def compute_weight(self, module, do_power_iteration):
        """``<name>_orig / sigma``, ``sigma = u . (W v)`` after (when asked) advancing the
        iteration; gradients flow to ``<name>_orig`` through both W and sigma."""
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        weight_mat = weight_as_matrix(weight, self.dim)
        if do_power_iteration:
            self._iterate(weight_mat, u, v)
            u, v = u.clone(), v.clone()
        sigma = torch.dot(u, torch.mv(weight_mat, v))
        return weight / sigma

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        """Move ``module.<name>`` to ``<name>_orig``, add the ``_u``/``_v`` buffers and the hook."""
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying spectral normalization")
        with torch.no_grad():
            h, w = weight_as_matrix(weight, dim).shape
            u, v = random_unit(h, weight, eps), random_unit(w, weight, eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        """Put back a plain parameter `name` holding the current normalised weight."""
        with torch.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm, estimated by `n_power_iterations`
    steps of power iteration before each forward in training mode (`dim`: the output
    dimension, by default 1 for transposed convolutions, else 0). Returns `module`."""
    if dim is None:
        dim = default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo ``spectral_norm`` on ``module.<name>``; returns `module`."""
    return remove_norm_hook(module, name, SpectralNorm, "spectral_norm")
