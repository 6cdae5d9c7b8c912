"""``nn.utils.weight_norm`` (deprecated, hook-based): a weight ``w`` replaced by a magnitude
``w_g`` and a direction ``w_v`` (``w = w_g * w_v / ||w_v||``, the norm taken over every
dimension but `dim`), recomputed before each forward. ``nn.utils.parametrizations.weight_norm``
is the current form; both share ``norm_except_dim`` and ``weight_from_norm`` here."""
import warnings

import nbtensor as torch
from nbtensor.nn.parameter import Parameter, UninitializedParameter

__all__ = ["WeightNorm", "norm_except_dim", "remove_weight_norm", "weight_from_norm", "weight_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """torch.norm_except_dim: the `pow`-norm of `v` over every dimension except `dim`, kept
    as size-1 dimensions (shape ``[1, .., v.shape[dim], .., 1]``); ``dim=-1`` means the norm
    of the whole tensor (a 0-d tensor), as torch."""
    if dim == -1:
        return torch.linalg.vector_norm(v, pow)
    dim = dim % v.dim()
    others = tuple(d for d in range(v.dim()) if d != dim)
    return torch.linalg.vector_norm(v, pow, dim=others, keepdim=True)


def weight_from_norm(v, g, dim):
    """torch._weight_norm: ``v * (g / norm_except_dim(v, 2, dim))`` (recorded by autograd,
    so gradients reach both `g` and `v`)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook of the deprecated ``weight_norm``: recomputes ``module.<name>``
    from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        """The weight from the module's current ``<name>_g`` and ``<name>_v``."""
        return weight_from_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))

    @staticmethod
    def apply(module, name, dim):
        """Replace the parameter `name` of `module` by ``<name>_g`` and ``<name>_v`` and
        register the hook; returns the hook."""
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. Make sure to run "
                             "the dummy forward before applying weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        """Put back a plain parameter `name` holding the current weight."""
        with torch.no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))


def weight_norm(module, name="weight", dim=0):
    """Deprecated (torch's FutureWarning): split ``module.<name>`` into the parameters
    ``<name>_g`` (its norm over every dimension but `dim`; `dim=None`: the whole tensor) and
    ``<name>_v`` (itself); ``module.<name>`` is recomputed from them before each forward.
    Returns `module`."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo ``weight_norm`` on ``module.<name>`` (it becomes a parameter holding the current
    weight); returns `module`."""
    return remove_norm_hook(module, name, WeightNorm, "weight_norm")


def remove_norm_hook(module, name, kind, label):
    """Remove the forward pre-hook of class `kind` that recomputes ``module.<name>`` (what
    weight_norm and spectral_norm install), restoring the plain parameter; torch's
    ValueError naming `label` when there is none. Returns `module`."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{label} of '{name}' not found in {module}")
