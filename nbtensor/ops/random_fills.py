"""In-place random fills from further distributions — ``exponential_``, ``log_normal_``,
``cauchy_`` and ``geometric_`` — and the legacy constructor method ``Tensor.new``.

Like ``uniform_`` and ``normal_`` they draw from nbtensor's generator (``manual_seed`` and
``generator=`` repeat them) on the host, in float64, and copy the draws into the tensor on
its device (cast to its dtype); the arguments are checked first, with torch's errors."""
import numpy as np

from nbtensor.core import dtype as dt
from nbtensor.core.device import to_device
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.tensor import Tensor
from nbtensor.ops.creation import _generator, _wrap, legacy_constructor

__all__ = ["exponential_", "log_normal_", "cauchy_", "geometric_"]


def _continuous(self, name, c_names):
    """torch's error for a continuous distribution drawn into an integer or bool tensor
    (`c_names`: whether its message spells the dtype as ATen's short name or the C++ type)."""
    if not self.dtype.is_floating_point:
        spelled = self.dtype.c_name if c_names else self.dtype.cpp_name
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {spelled}")


def _fill(self, values):
    """`self` holding the host draws `values` (float64 or int64), cast to its dtype."""
    return self.copy_(_wrap(np.ascontiguousarray(values), dt.float64 if values.dtype.kind == "f" else dt.int64))


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with samples of the exponential distribution of rate `lambd` (> 0)."""
    _continuous(self, "Exponential", True)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _fill(self, _generator(generator).standard_exponential(tuple(self._shape)) / lambd)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with ``exp(N(mean, std²))`` samples (`std` > 0)."""
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_normal_cpu\" not implemented for '{self.dtype.c_name}'")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _fill(self, np.exp(mean + std * _generator(generator).standard_normal(tuple(self._shape))))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with samples of the Cauchy distribution at `median` with scale `sigma` (> 0)."""
    _continuous(self, "Cauchy", False)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return _fill(self, median + sigma * _generator(generator).standard_cauchy(tuple(self._shape)))


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(`p`) trials up to the first success (1, 2, ...);
    0 < p < 1. Integer tensors take the counts as they are (wrapping like a cast)."""
    if self.dtype is dt.bool:
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    counts = _generator(generator).geometric(p, tuple(self._shape))
    return _fill(self, counts.astype(np.float64 if self.dtype.is_floating_point else np.int64))


def new(self, *args, device=None):
    """The legacy constructor with `self`'s dtype and device: ``x.new(2, 3)`` (uninitialised),
    ``x.new(data)`` (a copy), ``x.new(tensor)`` (that tensor, which must have `self`'s dtype),
    ``x.new()`` (empty)."""
    if device is not None and self.device != to_device(device):
        raise RuntimeError(f"Attempted to create a tensor on {to_device(device)} with new() of a tensor on "
                           f"{self.device}")
    if len(args) == 1 and isinstance(args[0], Tensor) and args[0].dtype is not self.dtype:
        raise TypeError(f"expected {self.dtype.c_name} tensor (got {args[0].dtype.c_name} tensor)")
    return legacy_constructor(args, self.device, self.dtype)



forms.methods(__all__, globals())
forms.method("new", new)
