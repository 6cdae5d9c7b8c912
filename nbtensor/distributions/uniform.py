"""``torch.distributions.uniform`` (its class lives in the package: ``from torch.distributions.uniform import Uniform`` as D2L writes it)."""
from nbtensor.distributions import Uniform

__all__ = ["Uniform"]
