"""``torch.distributions.multinomial`` (its class lives in the package: ``from torch.distributions.multinomial import Multinomial`` as D2L writes it)."""
from nbtensor.distributions import Multinomial

__all__ = ["Multinomial"]
