"""``torch.distributions.bernoulli`` (its class lives in the package: ``from torch.distributions.bernoulli import Bernoulli`` as D2L writes it)."""
from nbtensor.distributions import Bernoulli

__all__ = ["Bernoulli"]
