"""``nbtensor.nn`` (torch.nn): Module, Parameter, the layers and losses of D2L chapters 3–4,
``nn.init`` and ``nn.functional``."""
from nbtensor.nn import functional, init, utils  # noqa: F401
from nbtensor.nn.modules import *  # noqa: F401,F403
from nbtensor.nn.parameter import Parameter, UninitializedParameter  # noqa: F401
