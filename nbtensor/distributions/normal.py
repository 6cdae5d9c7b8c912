"""``torch.distributions.normal`` (its class lives in the package: ``from torch.distributions.normal import Normal`` as D2L writes it)."""
from nbtensor.distributions import Normal

__all__ = ["Normal"]
