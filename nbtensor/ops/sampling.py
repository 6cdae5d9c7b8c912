"""Sampling from tensors of probabilities: ``bernoulli`` (and ``Tensor.bernoulli_``) and
``multinomial``. They draw from nbtensor's generator (``manual_seed`` repeats them) on the
host, and put the result on the input's device."""
import numbers

import numpy as np

from nbtensor.backends.host import host_array
from nbtensor.core import dtype as dt
from nbtensor.dispatch import dispatcher as forms
from nbtensor.dispatch.tensor import Tensor, common_device
from nbtensor.dispatch.out import check_out_tensor, resize_out
from nbtensor.ops.creation import _generator, _wrap

__all__ = ["bernoulli", "multinomial"]

_P_RANGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
            "improved?  If so, please report an enhancement request to PyTorch.)")


def _probabilities(p, shape):
    """The host values of the probability tensor `p` broadcast to `shape`, with torch's
    errors for an integer `p` and for values outside [0, 1] (NaN included)."""
    if not p.dtype.is_floating_point:
        raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{p.dtype.c_name}\'')
    values = host_array(p.expand(shape)).astype(np.float64)
    if values.size and not ((values >= 0) & (values <= 1)).all():
        raise RuntimeError(_P_RANGE)
    return values


def bernoulli_(self, p=0.5, generator=None):
    """Fill `self` with 1 with probability `p` (a number, or a tensor broadcast to `self`'s
    shape), else 0; returns `self`."""
    if isinstance(p, Tensor):
        p = _probabilities(p, self._shape)
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    drawn = _generator(generator).random(tuple(self._shape)) < p
    return self.copy_(_wrap(drawn, dt.bool, self.device))


def bernoulli(input, p=None, *, generator=None, out=None):
    """A tensor shaped like `input` (and of its dtype and device) holding 1 with probability
    `input` element-wise, else 0; with a number `p`, 1 with probability `p` everywhere."""
    if isinstance(p, Tensor):
        raise TypeError("bernoulli() received an invalid combination of arguments - got (Tensor, p=Tensor), "
                        "but expected one of:\n * (Tensor input, *, torch.Generator generator = None, Tensor out "
                        "= None)\n * (Tensor input, float p, *, torch.Generator generator = None)\n")
    result = bernoulli_(input.new_empty(input._shape), input if p is None else p, generator)
    return _sampled_into(out, result, "bernoulli")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """`num_samples` category indices (int64) drawn from each row of `input` (1-D: one
    distribution; 2-D: one per row) with probability proportional to its non-negative
    weights; without `replacement` a category is drawn at most once per row (the positive
    weights first, each draw proportional to the weights not yet drawn)."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral):
        raise TypeError("multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    if not isinstance(replacement, bool):
        raise TypeError(f"multinomial(): argument 'replacement' (position 3) must be bool, not "
                        f"{type(replacement).__name__}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype.c_name}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n = int(num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    categories = input._shape[-1]
    if not replacement and n > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if categories == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                           "no identity.")
    weights = host_array(input).astype(np.float64).reshape(-1, categories)
    if weights.size and not (np.isfinite(weights) & (weights >= 0)).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if weights.size and not (weights.sum(axis=1) > 0).all():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _generator(generator)
    draw = _with_replacement if replacement else _without_replacement
    samples = np.stack([draw(rng, row, n) for row in weights]) if len(weights) else np.empty((0, n), np.int64)
    samples = samples.reshape(tuple(input._shape[:-1]) + (n,))
    return _sampled_into(out, _wrap(samples, dt.int64, input.device), "multinomial")


def _sampled_into(out, result, name):
    """`result` of bernoulli or multinomial (`name`), or the ``out=`` tensor holding it as torch's:
    resized without a warning and cast into (multinomial's must be int64)."""
    if out is None:
        return result
    check_out_tensor(out, name)
    if name == "multinomial" and out.dtype is not dt.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {out.dtype.c_name}")
    common_device((out, result), cpu_scalars=False)
    resize_out(out, result._shape, warn=False)
    return out.copy_(result)


def _with_replacement(rng, weights, n):
    """`n` indices drawn independently with probability proportional to `weights` (inverting
    the cumulative sum; never an index of weight 0, even where rounding reaches the end)."""
    cumulative = np.cumsum(weights)
    picked = np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")
    return np.minimum(picked, np.flatnonzero(weights)[-1])


def _without_replacement(rng, weights, n):
    """`n` distinct indices: each draw proportional to the weights not yet drawn. The
    exponential race: index i's key is weights[i] / E_i (E_i ~ Exp(1)), the n largest keys win
    (keys of weight 0 are 0, so those indices come last, in order, as torch's)."""
    exponentials = np.maximum(rng.standard_exponential(weights.shape[0]), np.finfo(np.float64).tiny)
    keys = weights / exponentials
    return np.argsort(-keys, kind="stable")[:n]


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


forms.functions(__all__, globals())
forms.method("bernoulli_", bernoulli_)
forms.method("bernoulli", _bernoulli_method)
forms.method("multinomial", multinomial)
