"""``nbtensor.distributions`` (torch.distributions): Normal, Uniform, Bernoulli, Categorical and
Multinomial with ``sample``, ``log_prob``, ``mean``, ``variance``; sampled from nbtensor's
generator, so ``manual_seed`` makes them repeatable."""
import math

import nbtensor as torch

__all__ = ["Distribution", "Normal", "Uniform", "Bernoulli", "Categorical", "Multinomial"]


def _tensor(x):
    return x if isinstance(x, torch.Tensor) else torch.tensor(float(x))


def _broadcast(a, b):
    """`a` and `b` expanded to their common shape (torch's broadcast_all of a parameter pair)."""
    shape = torch.broadcast_shapes(a.shape, b.shape)
    return a.expand(shape), b.expand(shape)


def _shape(sample_shape, batch_shape):
    return tuple(sample_shape) + tuple(batch_shape)


class Distribution:
    """Base class: ``sample(sample_shape)``, ``log_prob(value)``, ``mean``, ``variance``,
    ``stddev``, ``batch_shape``, ``event_shape``."""

    event_shape = ()

    def sample(self, sample_shape=()):
        with torch.no_grad():
            return self.rsample(sample_shape)

    @property
    def stddev(self):
        return self.variance.sqrt()

    _shown = ()  # the parameters its repr shows (torch's: those given, in arg_constraints order)

    def __repr__(self):
        """torch's: each shown parameter's value when it has one element, else its size."""
        shown = (f"{name}: {value if value.numel() == 1 else value.size()}"
                 for name, value in ((name, getattr(self, name)) for name in self._shown))
        return f"{type(self).__name__}({', '.join(shown)})"


class Normal(Distribution):
    _shown = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = _broadcast(_tensor(loc), _tensor(scale))
        if validate_args is not False and bool((self.scale <= 0).any()):
            raise ValueError(f"Expected parameter scale of distribution Normal to satisfy the constraint "
                             f"GreaterThan(lower_bound=0.0), but found invalid values:\n{self.scale}")
        self.batch_shape = tuple(torch.broadcast_shapes(self.loc.shape, self.scale.shape))

    mean = property(lambda self: self.loc.expand(self.batch_shape))
    variance = property(lambda self: (self.scale ** 2).expand(self.batch_shape))

    def rsample(self, sample_shape=()):
        eps = torch.randn(_shape(sample_shape, self.batch_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = _tensor(value)
        return -((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log().expand(self.batch_shape)


class Uniform(Distribution):
    _shown = ("low", "high")

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = _broadcast(_tensor(low), _tensor(high))
        if validate_args is not False and bool((self.low >= self.high).any()):
            raise ValueError("Expected parameter low of distribution Uniform to be less than high")
        self.batch_shape = tuple(torch.broadcast_shapes(self.low.shape, self.high.shape))

    mean = property(lambda self: ((self.high + self.low) / 2).expand(self.batch_shape))
    variance = property(lambda self: ((self.high - self.low) ** 2 / 12).expand(self.batch_shape))

    def rsample(self, sample_shape=()):
        u = torch.rand(_shape(sample_shape, self.batch_shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        value = _tensor(value)
        inside = (value >= self.low) & (value < self.high)
        return torch.where(inside, -(self.high - self.low).log(), torch.full_like(value * 1.0, -math.inf))


class Bernoulli(Distribution):
    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._shown = ("probs",) if probs is not None else ("logits",)
        self.probs = _tensor(probs) if probs is not None else torch.sigmoid(_tensor(logits))
        self.logits = _tensor(logits) if logits is not None else (self.probs / (1 - self.probs)).log()
        self.batch_shape = tuple(self.probs.shape)

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    def sample(self, sample_shape=()):
        with torch.no_grad():
            shape = _shape(sample_shape, self.batch_shape)
            return (torch.rand(shape, device=self.probs.device) < self.probs.expand(shape)).to(self.probs.dtype)

    def log_prob(self, value):
        value = _tensor(value)
        return -(self.logits.clamp(min=0) - self.logits * value + (-self.logits.abs()).exp().log1p())


class Categorical(Distribution):
    """Classes 0..K-1 with probabilities `probs` (or softmax of `logits`) along the last dim."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._shown = ("probs",) if probs is not None else ("logits",)
        if probs is not None:
            probs = _tensor(probs)
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            self.probs = torch.softmax(_tensor(logits), -1)
        self.logits = self.probs.log()
        self.batch_shape = tuple(self.probs.shape[:-1])
        self._num_events = self.probs.shape[-1]

    mean = property(lambda self: torch.full(self.batch_shape, math.nan))
    variance = property(lambda self: torch.full(self.batch_shape, math.nan))

    def sample(self, sample_shape=()):
        with torch.no_grad():
            shape = _shape(sample_shape, self.batch_shape)
            flat = self.probs.reshape(-1, self._num_events)
            n = 1
            for s in sample_shape:
                n *= s
            # inverse CDF: a class is drawn where a uniform number first falls below the cumulative sum
            cdf = flat.cumsum(-1)
            u = torch.rand(flat.shape[0], n, device=flat.device, dtype=flat.dtype)
            draws = (u.unsqueeze(-1) >= cdf.unsqueeze(1)).sum(-1).clamp(max=self._num_events - 1)
            return draws.t().reshape(shape)

    def log_prob(self, value):
        value = _tensor(value).long()
        logits = self.logits.expand(tuple(value.shape) + (self._num_events,)) if value.dim() else self.logits
        return logits.gather(-1, value.unsqueeze(-1)).squeeze(-1)

    def entropy(self):
        return -(self.probs * self.logits).sum(-1)


class Multinomial(Distribution):
    """Counts of `total_count` draws from Categorical(`probs`)."""

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        self.total_count = int(total_count)
        self._categorical = Categorical(probs, logits)
        self.probs = self._categorical.probs
        self.batch_shape = self._categorical.batch_shape
        self.event_shape = (self._categorical._num_events,)

    mean = property(lambda self: self.probs * self.total_count)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    def sample(self, sample_shape=()):
        with torch.no_grad():
            draws = self._categorical.sample((self.total_count,) + tuple(sample_shape))
            k = self._categorical._num_events
            onehot = (draws.unsqueeze(-1) == torch.arange(k, device=draws.device)).to(self.probs.dtype)
            return onehot.sum(0)

    def log_prob(self, value):
        value = _tensor(value)
        log_factorial_n = math.lgamma(self.total_count + 1)
        rows = value.reshape(-1, value.shape[-1]).tolist()
        log_factorial_xs = torch.tensor([sum(math.lgamma(v + 1) for v in row) for row in rows],
                                        dtype=self.probs.dtype).reshape(value.shape[:-1])
        return log_factorial_n - log_factorial_xs + (value * self._categorical.logits).sum(-1)
