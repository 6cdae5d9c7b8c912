"""``nbtensor.return_types``: the named tuples some ops return (``torch.return_types``)."""
from nbtensor.core.return_types import *  # noqa: F401,F403
from nbtensor.core.return_types import __all__  # noqa: F401
