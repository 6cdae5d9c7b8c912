"""``torch.distributions.categorical`` (its class lives in the package: ``from torch.distributions.categorical import Categorical`` as D2L writes it)."""
from nbtensor.distributions import Categorical

__all__ = ["Categorical"]
