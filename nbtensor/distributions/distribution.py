"""``torch.distributions.distribution`` (its class lives in the package: ``from torch.distributions.distribution import Distribution`` as D2L writes it)."""
from nbtensor.distributions import Distribution

__all__ = ["Distribution"]
